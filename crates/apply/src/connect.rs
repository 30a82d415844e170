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
//!
//! # TLS (`--ssl-mode`, `--ssl-ca`)
//!
//! Through the driver's rustls support (feature `rustls-tls-ring` of the
//! `mysql` crate: rustls with ring, no OpenSSL headers or library), like the
//! client's `--ssl-mode`:
//!
//! | mode              | over TCP                                                        | over a unix socket |
//! |-------------------|-----------------------------------------------------------------|--------------------|
//! | `DISABLED`        | no TLS                                                          | no TLS             |
//! | `PREFERRED` (default) | TLS without verification when the server offers it, else plain | no TLS        |
//! | `REQUIRED`        | TLS without verification; fails when the server has none        | refused            |
//! | `VERIFY_CA`       | TLS, the chain verified against `--ssl-ca`, not the host name   | refused            |
//! | `VERIFY_IDENTITY` | TLS, the chain against `--ssl-ca` and the host name against the certificate | refused |
//!
//! * `VERIFY_*` without `--ssl-ca` is an error (the driver has no
//!   `--ssl-capath`). A certificate that fails verification fails the
//!   connection, with an error that says TLS verification failed.
//! * `PREFERRED` falls back to plain only when the server does not offer
//!   TLS at all (the driver's `TlsNotSupported`); a failed handshake is an
//!   error. This is what the client's PREFERRED does, and, like it, it
//!   protects against passive eavesdropping only: use `VERIFY_IDENTITY`
//!   against an active attacker.
//! * The driver cannot run TLS over a unix socket: `REQUIRED` and `VERIFY_*`
//!   are refused there rather than silently not honoured. A socket never
//!   leaves the machine; use `PREFERRED`/`DISABLED` with it, or TCP.
//! * The driver trusts the public web PKI roots (`webpki-roots`) in
//!   addition to `--ssl-ca`. With `VERIFY_IDENTITY` this only adds roots
//!   that would have to issue a certificate for the server's own name; with
//!   `VERIFY_CA` (no name check) a certificate from a public CA for any
//!   name would pass, so prefer `VERIFY_IDENTITY` on untrusted networks.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use mysql::prelude::Queryable;
use mysql::{Conn, Opts, OptsBuilder, Pool, PoolConstraints, PoolOpts, SslOpts};

use crate::error::ApplyError;

// Declared here (not in lib.rs) while lib.rs is edited elsewhere; reached as
// `myreplay_apply::connect::option_file`.
#[path = "option_file.rs"]
pub mod option_file;

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

/// `--ssl-mode`: whether, and how strictly, to use TLS (see the module
/// documentation).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum SslMode {
    Disabled,
    #[default]
    Preferred,
    Required,
    VerifyCa,
    VerifyIdentity,
}

impl SslMode {
    /// The client's spelling, e.g. `VERIFY_CA`.
    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disabled => "DISABLED",
            SslMode::Preferred => "PREFERRED",
            SslMode::Required => "REQUIRED",
            SslMode::VerifyCa => "VERIFY_CA",
            SslMode::VerifyIdentity => "VERIFY_IDENTITY",
        }
    }

    /// VERIFY_CA or VERIFY_IDENTITY.
    pub fn verifies(self) -> bool {
        matches!(self, SslMode::VerifyCa | SslMode::VerifyIdentity)
    }
}

impl fmt::Display for SslMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for SslMode {
    type Err = String;

    /// Case-insensitive, `-` for `_` accepted.
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_uppercase().replace('-', "_").as_str() {
            "DISABLED" => Ok(SslMode::Disabled),
            "PREFERRED" => Ok(SslMode::Preferred),
            "REQUIRED" => Ok(SslMode::Required),
            "VERIFY_CA" => Ok(SslMode::VerifyCa),
            "VERIFY_IDENTITY" => Ok(SslMode::VerifyIdentity),
            _ => Err(format!(
                "ssl-mode {s:?}: expected one of DISABLED, PREFERRED, REQUIRED, VERIFY_CA, VERIFY_IDENTITY"
            )),
        }
    }
}

/// Where to connect, as whom, and with which TLS. Field names follow the
/// `mysql` client's options (`--host`, `--port`, `--user`, `--password`,
/// `--socket`, `--ssl-mode`, `--ssl-ca`). Option files and `MYSQL_PWD`:
/// [`option_file`].
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ConnectOptions {
    pub host: Option<String>,
    pub port: Option<u16>,
    pub user: Option<String>,
    pub password: Option<String>,
    pub socket: Option<PathBuf>,
    pub ssl_mode: SslMode,
    /// The CA certificate (PEM) the server's must chain to, for VERIFY_*.
    pub ssl_ca: Option<PathBuf>,
}

impl fmt::Debug for ConnectOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectOptions")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("socket", &self.socket)
            .field("ssl_mode", &self.ssl_mode)
            .field("ssl_ca", &self.ssl_ca)
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
    /// driver's defaults). With PREFERRED they ask for TLS: the fallback to
    /// plain is done by [`conn`](Self::conn) and the pools, not by the driver.
    pub fn opts(&self) -> Result<Opts, ApplyError> {
        let endpoint = self.endpoint();
        let builder = OptsBuilder::new()
            .user(self.user.clone())
            .pass(self.password.clone())
            .tcp_connect_timeout(Some(CONNECT_TIMEOUT))
            .ssl_opts(self.ssl_opts(&endpoint)?);
        let builder = match endpoint {
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

    /// The driver's TLS options for `endpoint` (see the module documentation).
    fn ssl_opts(&self, endpoint: &Endpoint) -> Result<Option<SslOpts>, ApplyError> {
        let mode = self.ssl_mode;
        if let Endpoint::Socket(path) = endpoint {
            return match mode {
                SslMode::Disabled | SslMode::Preferred => Ok(None),
                _ => Err(ApplyError::Options(format!(
                    "--ssl-mode={mode} cannot be honoured over the unix socket {}: the mysql \
                     driver has no TLS over sockets. A socket does not leave this machine: use \
                     --ssl-mode=PREFERRED or DISABLED with it, or connect over TCP (-h HOST -P PORT)",
                    path.display()
                ))),
            };
        }
        let unverified = || {
            SslOpts::default()
                .with_danger_accept_invalid_certs(true)
                .with_danger_skip_domain_validation(true)
        };
        let ca = || -> Result<PathBuf, ApplyError> {
            let ca = self.ssl_ca.clone().ok_or_else(|| {
                ApplyError::Options(format!(
                    "--ssl-mode={mode} needs --ssl-ca: the CA certificate (PEM) the server's must chain to"
                ))
            })?;
            if !ca.is_file() {
                return Err(ApplyError::Options(format!(
                    "--ssl-ca {}: no such file",
                    ca.display()
                )));
            }
            Ok(ca)
        };
        Ok(match mode {
            SslMode::Disabled => None,
            SslMode::Preferred | SslMode::Required => Some(unverified()),
            SslMode::VerifyCa => Some(
                SslOpts::default()
                    .with_root_cert_path(Some(ca()?))
                    .with_danger_skip_domain_validation(true),
            ),
            SslMode::VerifyIdentity => Some(SslOpts::default().with_root_cert_path(Some(ca()?))),
        })
    }

    /// PREFERRED against a server without TLS: connect again in plain.
    fn falls_back(&self, error: &mysql::Error) -> bool {
        self.ssl_mode == SslMode::Preferred
            && matches!(
                error,
                mysql::Error::DriverError(mysql::DriverError::TlsNotSupported)
            )
    }

    /// One connection, outside any pool.
    pub fn conn(&self) -> Result<Conn, ApplyError> {
        let opts = self.opts()?;
        match Conn::new(opts.clone()) {
            Err(e) if self.falls_back(&e) => Conn::new(without_tls(opts)),
            result => result,
        }
        .map_err(|source| self.connect_error(source))
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
        let try_pool = |opts: Opts| -> Result<Pool, mysql::Error> {
            let pool = Pool::new(opts)?;
            pool.get_conn()?.query_drop("DO 1")?;
            Ok(pool)
        };
        match try_pool(opts.clone()) {
            Err(e) if self.falls_back(&e) => try_pool(without_tls(opts)),
            result => result,
        }
        .map_err(|source| self.connect_error(source))
    }

    /// The target, and for a TLS failure the mode and CA, so that a
    /// certificate refused reads as such.
    fn connect_error(&self, source: mysql::Error) -> ApplyError {
        let mut target = self.describe();
        if is_tls_error(&source) {
            target += &format!(" with --ssl-mode={}", self.ssl_mode);
            if let (true, Some(ca)) = (self.ssl_mode.verifies(), &self.ssl_ca) {
                target += &format!(" --ssl-ca {}", ca.display());
            }
            target += " (TLS failed";
            if self.ssl_mode.verifies() {
                target += ": the server's certificate was not accepted";
            }
            target += ")";
        }
        ApplyError::Connect { target, source }
    }
}

/// The same options without TLS.
fn without_tls(opts: Opts) -> Opts {
    OptsBuilder::from_opts(opts)
        .ssl_opts(None::<SslOpts>)
        .into()
}

/// Whether the driver's error comes from TLS (including a handshake that
/// failed in the first write, which the driver reports as an I/O error).
fn is_tls_error(error: &mysql::Error) -> bool {
    match error {
        mysql::Error::TlsError(_) => true,
        mysql::Error::DriverError(mysql::DriverError::TlsNotSupported) => true,
        // rustls's errors, wrapped in io::Error by its stream (the driver
        // does not re-export rustls to downcast them).
        mysql::Error::IoError(_) | mysql::Error::CodecError(_) => {
            let text = error.to_string();
            ["certificate", "TLS", "tls", "handshake", "alert"]
                .iter()
                .any(|w| text.contains(w))
        }
        _ => false,
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
            ..ConnectOptions::default()
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
