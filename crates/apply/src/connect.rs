//! Connection options for the target server, named like the `mysql` client's.
//!
//! Which transport is used follows the command-line client:
//!
//! | host                    | socket | port   | connects to                                 |
//! |-------------------------|--------|--------|---------------------------------------------|
//! | none or `localhost`     | given  | any    | that unix socket (the port is ignored)      |
//! | none or `localhost`     | none   | given  | TCP `localhost:PORT` (like MariaDB ≥ 10.6.1) |
//! | none or `localhost`     | none   | none   | the default socket ([`DEFAULT_SOCKETS`], or `$MYSQL_UNIX_PORT`); TCP `localhost:3306` when none exists |
//! | anything else           | any    | any    | TCP `HOST:PORT` (port 3306 by default)      |
//!
//! Passwords never appear in errors or in `Debug` output.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use mysql::prelude::Queryable;
use mysql::{Conn, Opts, OptsBuilder, Pool, PoolConstraints, PoolOpts};

use crate::error::ApplyError;

/// The port the client uses when none is given.
pub const DEFAULT_PORT: u16 = 3306;

/// Socket paths tried, in order, when neither host, port nor socket is given
/// (after `$MYSQL_UNIX_PORT`): Debian/Ubuntu, then other distributions.
pub const DEFAULT_SOCKETS: &[&str] = &[
    "/run/mysqld/mysqld.sock",
    "/var/run/mysqld/mysqld.sock",
    "/var/lib/mysql/mysql.sock",
    "/tmp/mysql.sock",
];

/// How long a TCP connect may take before it fails.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Where to connect and as whom. Field names follow the `mysql` client's
/// options (`--host`, `--port`, `--user`, `--password`, `--socket`).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ConnectOptions {
    pub host: Option<String>,
    pub port: Option<u16>,
    pub user: Option<String>,
    pub password: Option<String>,
    pub socket: Option<PathBuf>,
}

impl fmt::Debug for ConnectOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectOptions")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("socket", &self.socket)
            .finish()
    }
}

/// The transport [`ConnectOptions`] resolve to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    Socket(PathBuf),
    Tcp { host: String, port: u16 },
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Endpoint::Socket(path) => write!(f, "socket {}", path.display()),
            Endpoint::Tcp { host, port } if host.contains(':') => write!(f, "[{host}]:{port}"),
            Endpoint::Tcp { host, port } => write!(f, "{host}:{port}"),
        }
    }
}

impl ConnectOptions {
    /// Options for a unix socket, as `user` without a password.
    pub fn socket(path: impl Into<PathBuf>, user: &str) -> Self {
        Self {
            socket: Some(path.into()),
            user: Some(user.to_owned()),
            ..Self::default()
        }
    }

    /// Where these options connect to (see the module documentation).
    pub fn endpoint(&self) -> Endpoint {
        self.endpoint_with(
            std::env::var_os("MYSQL_UNIX_PORT").map(PathBuf::from),
            |p| p.exists(),
        )
    }

    fn endpoint_with(
        &self,
        env_socket: Option<PathBuf>,
        exists: impl Fn(&Path) -> bool,
    ) -> Endpoint {
        let local = self
            .host
            .as_deref()
            .is_none_or(|h| h.is_empty() || h.eq_ignore_ascii_case("localhost"));
        if local {
            if let Some(socket) = &self.socket {
                return Endpoint::Socket(socket.clone());
            }
            if self.port.is_none() {
                let default = env_socket
                    .filter(|p| !p.as_os_str().is_empty())
                    .or_else(|| {
                        DEFAULT_SOCKETS
                            .iter()
                            .map(PathBuf::from)
                            .find(|p| exists(p))
                    });
                if let Some(socket) = default {
                    return Endpoint::Socket(socket);
                }
            }
        }
        Endpoint::Tcp {
            host: match &self.host {
                Some(h) if !h.is_empty() => h.clone(),
                _ => "localhost".to_owned(),
            },
            port: self.port.unwrap_or(DEFAULT_PORT),
        }
    }

    /// `user@endpoint`, for messages (never the password).
    pub fn describe(&self) -> String {
        format!(
            "{}@{}",
            self.user.as_deref().unwrap_or("(no user)"),
            self.endpoint()
        )
    }

    /// The driver's options for one connection (pool constraints are the
    /// driver's defaults).
    pub fn opts(&self) -> Result<Opts, ApplyError> {
        let builder = OptsBuilder::new()
            .user(self.user.clone())
            .pass(self.password.clone())
            .tcp_connect_timeout(Some(CONNECT_TIMEOUT));
        let builder = match self.endpoint() {
            Endpoint::Socket(path) => {
                let path = path.to_str().ok_or_else(|| {
                    ApplyError::Options(format!(
                        "socket path {} is not valid UTF-8",
                        path.display()
                    ))
                })?;
                builder.socket(Some(path))
            }
            // Connect where asked: without this the driver would switch a
            // loopback TCP connection to the server's socket, where other
            // accounts (e.g. unix_socket authentication) apply.
            Endpoint::Tcp { host, port } => builder
                .ip_or_hostname(Some(host))
                .tcp_port(port)
                .prefer_socket(false),
        };
        Ok(builder.into())
    }

    /// One connection, outside any pool.
    pub fn conn(&self) -> Result<Conn, ApplyError> {
        Conn::new(self.opts()?).map_err(|source| self.connect_error(source))
    }

    /// A pool with the driver's default size (10 to 100 connections). One
    /// connection is opened and checked before returning, so that wrong
    /// credentials or an unreachable server fail here.
    pub fn pool(&self) -> Result<Pool, ApplyError> {
        self.build_pool(self.opts()?)
    }

    /// A pool of at most `max` connections (at least 1), opening them on demand.
    pub fn pool_of(&self, max: usize) -> Result<Pool, ApplyError> {
        let constraints = PoolConstraints::new(0, max.max(1)).expect("0 <= max, max > 0");
        let opts = OptsBuilder::from_opts(self.opts()?)
            .pool_opts(PoolOpts::default().with_constraints(constraints));
        self.build_pool(opts.into())
    }

    fn build_pool(&self, opts: Opts) -> Result<Pool, ApplyError> {
        let pool = Pool::new(opts).map_err(|source| self.connect_error(source))?;
        let mut conn = pool
            .get_conn()
            .map_err(|source| self.connect_error(source))?;
        conn.query_drop("DO 1")
            .map_err(|source| self.connect_error(source))?;
        drop(conn);
        Ok(pool)
    }

    fn connect_error(&self, source: mysql::Error) -> ApplyError {
        ApplyError::Connect {
            target: self.describe(),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(host: Option<&str>, port: Option<u16>, socket: Option<&str>) -> ConnectOptions {
        ConnectOptions {
            host: host.map(str::to_owned),
            port,
            user: Some("u".into()),
            password: Some("hunter2".into()),
            socket: socket.map(PathBuf::from),
        }
    }

    fn endpoint(o: &ConnectOptions, env: Option<&str>, existing: &[&str]) -> Endpoint {
        o.endpoint_with(env.map(PathBuf::from), |p| {
            existing.iter().any(|e| Path::new(e) == p)
        })
    }

    fn tcp(host: &str, port: u16) -> Endpoint {
        Endpoint::Tcp {
            host: host.into(),
            port,
        }
    }

    #[test]
    fn socket_wins_for_localhost() {
        let s = Endpoint::Socket("/s".into());
        assert_eq!(endpoint(&opts(None, None, Some("/s")), None, &[]), s);
        assert_eq!(
            endpoint(&opts(Some("localhost"), Some(3307), Some("/s")), None, &[]),
            s
        );
        assert_eq!(
            endpoint(&opts(Some("LOCALHOST"), None, Some("/s")), None, &[]),
            s
        );
    }

    #[test]
    fn other_hosts_use_tcp_even_with_a_socket() {
        assert_eq!(
            endpoint(&opts(Some("127.0.0.1"), None, Some("/s")), None, &[]),
            tcp("127.0.0.1", 3306)
        );
        assert_eq!(
            endpoint(&opts(Some("db1"), Some(3307), None), None, &[]),
            tcp("db1", 3307)
        );
    }

    #[test]
    fn localhost_without_socket() {
        // An explicit port means TCP.
        assert_eq!(
            endpoint(
                &opts(None, Some(3307), None),
                None,
                &["/run/mysqld/mysqld.sock"]
            ),
            tcp("localhost", 3307)
        );
        // Otherwise the default socket: the environment's, then the first that exists.
        assert_eq!(
            endpoint(&opts(None, None, None), Some("/env.sock"), &[]),
            Endpoint::Socket("/env.sock".into())
        );
        assert_eq!(
            endpoint(&opts(None, None, None), None, &["/tmp/mysql.sock"]),
            Endpoint::Socket("/tmp/mysql.sock".into())
        );
        // And TCP when there is none.
        assert_eq!(
            endpoint(&opts(Some("localhost"), None, None), None, &[]),
            tcp("localhost", 3306)
        );
    }

    #[test]
    fn password_is_never_shown() {
        let o = opts(Some("db1"), None, None);
        assert!(!format!("{o:?}").contains("hunter2"));
        assert_eq!(o.describe(), "u@db1:3306");
        let ipv6 = opts(Some("::1"), Some(3307), None);
        assert_eq!(ipv6.describe(), "u@[::1]:3307");
    }

    #[cfg(unix)]
    #[test]
    fn non_utf8_socket_is_an_options_error() {
        use std::os::unix::ffi::OsStrExt;
        let o = ConnectOptions {
            socket: Some(PathBuf::from(std::ffi::OsStr::from_bytes(b"/tmp/\xff"))),
            ..ConnectOptions::default()
        };
        assert!(matches!(o.opts(), Err(ApplyError::Options(_))));
    }
}
