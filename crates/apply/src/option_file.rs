//! Option files (`my.cnf`), read like the `mysql` client reads them.
//!
//! Which file: `--defaults-file=PATH` alone when given (it must exist), else
//! the user's `~/.my.cnf` when it exists. The system files
//! (`/etc/mysql/my.cnf`, `/etc/my.cnf`) are not read.
//!
//! Which groups: `[client]` and `[myreplay]`. As in the client, options are
//! taken in file order whatever their group, the last one of a name wins.
//! Other groups are skipped.
//!
//! Which options: `host`, `port`, `user`, `password`, `socket`, `ssl-mode`,
//! `ssl-ca`. `_` and `-` are the same in names, and a `loose-` prefix is
//! accepted. Other options of `[client]` are other clients' business and are
//! skipped; an unknown option in `[myreplay]` is an error (unless
//! `loose-`), as a typo there would otherwise go unnoticed.
//!
//! Syntax, as the client's `my_default.c`:
//!
//! * `[group]`, `key`, `key=value`, `key = value`;
//! * lines starting with `#` or `;` are comments, and `#` outside quotes
//!   starts a comment anywhere in a line;
//! * a value in matching `'` or `"` quotes loses them;
//! * `\n`, `\t`, `\r`, `\b`, `\s` (space), `\\`, `\'`, `\"` are escapes (other
//!   backslashes are kept);
//! * a bare `password` (no `=`) asks for the password on the terminal, as
//!   `-p` does; `password=` is an empty password.
//!
//! `!include` and `!includedir` are **refused** with an error naming the
//! file and line: the client would read the included files, and a replay
//! that silently ignored them could connect to another server than the one
//! the DBA configured. Copy the options into the file, or name the file
//! that holds them with `--defaults-file`.
//!
//! A world-writable file is ignored with a warning, like the client does.
//!
//! Errors never quote a line's text (it may hold a password), only its
//! number and the option's name.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::connect::{ConnectOptions, SslMode};

/// Connection options from one source (an option file, or the command
/// line): `None` is "not given there". [`ClientOptions::over`] layers two
/// sources, [`ClientOptions::resolve`] makes [`ConnectOptions`] of them.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ClientOptions {
    pub host: Option<String>,
    pub port: Option<u16>,
    pub user: Option<String>,
    /// `password=VALUE`.
    pub password: Option<String>,
    /// A bare `password` line: ask on the terminal (cleared by a later
    /// `password=VALUE`, and the other way round).
    pub ask_password: bool,
    pub socket: Option<PathBuf>,
    pub ssl_mode: Option<SslMode>,
    pub ssl_ca: Option<PathBuf>,
    /// The file these came from (`None` when none was read).
    pub path: Option<PathBuf>,
    /// Things the user should know (e.g. a world-writable file ignored).
    pub warnings: Vec<String>,
}

impl fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientOptions")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("ask_password", &self.ask_password)
            .field("socket", &self.socket)
            .field("ssl_mode", &self.ssl_mode)
            .field("ssl_ca", &self.ssl_ca)
            .field("path", &self.path)
            .field("warnings", &self.warnings)
            .finish()
    }
}

/// An option file that cannot be used. The message names the file and, for
/// syntax errors, the line; never a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("option file {}{}: {reason}", path.display(), line.map(|l| format!(", line {l}")).unwrap_or_default())]
pub struct OptionFileError {
    pub path: PathBuf,
    pub line: Option<usize>,
    pub reason: String,
}

impl ClientOptions {
    /// These options, with `lower`'s where these have none: the command
    /// line `over` the option file. The password and asking for it are one
    /// choice: a `-p` that asks hides the file's password.
    pub fn over(self, lower: ClientOptions) -> ClientOptions {
        let password_here = self.password.is_some() || self.ask_password;
        let mut warnings = lower.warnings;
        warnings.extend(self.warnings);
        ClientOptions {
            host: self.host.or(lower.host),
            port: self.port.or(lower.port),
            user: self.user.or(lower.user),
            password: if password_here {
                self.password
            } else {
                lower.password
            },
            ask_password: if password_here {
                self.ask_password
            } else {
                lower.ask_password
            },
            socket: self.socket.or(lower.socket),
            ssl_mode: self.ssl_mode.or(lower.ssl_mode),
            ssl_ca: self.ssl_ca.or(lower.ssl_ca),
            path: self.path.or(lower.path),
            warnings,
        }
    }

    /// The connection options. The password, as the client chooses it: the
    /// one given (or asked for, with `ask`) by the highest source that has
    /// one, else `env_password` (`MYSQL_PWD`), else none. `ssl_mode`
    /// defaults to PREFERRED.
    pub fn resolve(
        self,
        env_password: Option<String>,
        ask: impl FnOnce() -> std::io::Result<String>,
    ) -> std::io::Result<ConnectOptions> {
        let password = match (self.password, self.ask_password) {
            (Some(p), _) => Some(p),
            (None, true) => Some(ask()?),
            (None, false) => env_password,
        };
        Ok(ConnectOptions {
            host: self.host,
            port: self.port,
            user: self.user,
            password,
            socket: self.socket,
            ssl_mode: self.ssl_mode.unwrap_or_default(),
            ssl_ca: self.ssl_ca,
        })
    }
}

/// The groups read.
pub const GROUPS: &[&str] = &["client", "myreplay"];

/// Reads the options: `defaults_file` alone when given (an error when it
/// cannot be read), else `~/.my.cnf` when `$HOME` is set and the file exists.
pub fn load(defaults_file: Option<&Path>) -> Result<ClientOptions, OptionFileError> {
    match defaults_file {
        Some(path) => read(path),
        None => match user_file() {
            Some(path) if path.is_file() => read(&path),
            _ => Ok(ClientOptions::default()),
        },
    }
}

/// `$HOME/.my.cnf`, the user's option file.
pub fn user_file() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| PathBuf::from(h).join(".my.cnf"))
}

/// Reads one option file.
pub fn read(path: &Path) -> Result<ClientOptions, OptionFileError> {
    let error = |reason: String| OptionFileError {
        path: path.to_path_buf(),
        line: None,
        reason,
    };
    let bytes = std::fs::read(path).map_err(|e| error(format!("cannot read it: {e}")))?;
    if world_writable(path) {
        return Ok(ClientOptions {
            warnings: vec![format!(
                "world-writable option file {} is ignored (anyone could change where and as whom myreplay connects); \
                 chmod o-w it",
                path.display()
            )],
            ..ClientOptions::default()
        });
    }
    let text = String::from_utf8(bytes).map_err(|_| error("not valid UTF-8".into()))?;
    let mut options = parse(&text, path)?;
    options.path = Some(path.to_path_buf());
    Ok(options)
}

#[cfg(unix)]
fn world_writable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .map(|m| m.is_file() && m.permissions().mode() & 0o002 != 0)
        .unwrap_or(false)
}

#[cfg(not(unix))]
fn world_writable(_: &Path) -> bool {
    false
}

/// Parses the text of an option file (`path` is for messages only).
pub fn parse(text: &str, path: &Path) -> Result<ClientOptions, OptionFileError> {
    let mut out = ClientOptions::default();
    // None: before the first group; Some(None): a group not read.
    let mut group: Option<Option<String>> = None;
    for (n, raw) in text.lines().enumerate() {
        let line_no = n + 1;
        let error = |reason: String| OptionFileError {
            path: path.to_path_buf(),
            line: Some(line_no),
            reason,
        };
        let line = raw.trim_start();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if line.starts_with('!') {
            let directive = line.split_whitespace().next().unwrap_or("!");
            return Err(error(format!(
                "{directive} is not supported: copy the options into this file, \
                 or name the file that holds them with --defaults-file"
            )));
        }
        if let Some(rest) = line.strip_prefix('[') {
            let Some(end) = rest.find(']') else {
                return Err(error("a group name without its closing ']'".into()));
            };
            let name = rest[..end].trim().to_ascii_lowercase();
            group = Some(GROUPS.contains(&name.as_str()).then_some(name));
            continue;
        }
        let line = strip_end_comment(line);
        let (key, value) = match line.find('=') {
            Some(eq) => (line[..eq].trim_end(), Some(line[eq + 1..].trim())),
            None => (line.trim_end(), None),
        };
        let Some(group) = &group else {
            return Err(error(format!(
                "option {} comes before any [group]",
                printable_key(key)
            )));
        };
        let Some(group) = group else { continue };
        let name = key.to_ascii_lowercase().replace('_', "-");
        let (loose, name) = match name.strip_prefix("loose-") {
            Some(rest) => (true, rest.to_owned()),
            None => (false, name),
        };
        let value = value.map(unquote);
        let need = |value: Option<String>| {
            value.ok_or_else(|| error(format!("option {name} needs a value ({name}=...)")))
        };
        match name.as_str() {
            "host" => out.host = Some(need(value)?),
            "user" => out.user = Some(need(value)?),
            "socket" => out.socket = Some(PathBuf::from(need(value)?)),
            "ssl-ca" => out.ssl_ca = Some(PathBuf::from(need(value)?)),
            "port" => {
                let v = need(value)?;
                out.port = Some(v.parse().map_err(|_| {
                    error(format!("port must be a number from 0 to 65535, not {v:?}"))
                })?);
            }
            "ssl-mode" => {
                let v = need(value)?;
                out.ssl_mode = Some(v.parse().map_err(error)?);
            }
            "password" => match value {
                Some(v) => {
                    out.password = Some(v);
                    out.ask_password = false;
                }
                None => {
                    out.password = None;
                    out.ask_password = true;
                }
            },
            _ if group == "myreplay" && !loose => {
                return Err(error(format!(
                    "unknown option {} in [myreplay] (known: host, port, user, password, \
                     socket, ssl-mode, ssl-ca; a loose- prefix skips an unknown one)",
                    printable_key(key)
                )));
            }
            _ => {}
        }
    }
    Ok(out)
}

/// A key for a message: short, and nothing that could be a value.
fn printable_key(key: &str) -> String {
    let short: String = key.chars().take(40).collect();
    format!("{short:?}")
}

/// Cuts a line at the first `#` outside quotes (`remove_end_comment` in the
/// client).
fn strip_end_comment(line: &str) -> &str {
    let mut quote = None;
    let mut escape = false;
    for (i, c) in line.char_indices() {
        if (c == '\'' || c == '"') && !escape {
            match quote {
                None => quote = Some(c),
                Some(q) if q == c => quote = None,
                Some(_) => {}
            }
        }
        if quote.is_none() && c == '#' {
            return &line[..i];
        }
        escape = quote.is_some() && c == '\\' && !escape;
    }
    line
}

/// Removes matching quotes around a (trimmed) value, then resolves escapes.
fn unquote(value: &str) -> String {
    let inner = match value.chars().next() {
        Some(q @ ('\'' | '"')) if value.len() >= 2 && value.ends_with(q) => {
            &value[1..value.len() - 1]
        }
        _ => value,
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('b') => out.push('\u{8}'),
            Some('s') => out.push(' '),
            Some(c @ ('\\' | '\'' | '"')) => out.push(c),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Result<ClientOptions, OptionFileError> {
        parse(text, Path::new("/x/my.cnf"))
    }

    #[test]
    fn client_and_myreplay_groups_in_file_order() {
        let o = p(
            "# comment\n; other comment\n\n[mysqld]\nport=1\nuser=mysql\n\
                   [client]\nhost = db1\nport=3307\nuser\t=\tapp\n\
                   [mysql]\nhost=not-this\n\
                   [myreplay]\nhost=db2\n  ssl_mode = verify_ca\nloose-ssl-ca=/ca.pem\n\
                   [client]\nsocket=/s\n",
        )
        .unwrap();
        assert_eq!(o.host.as_deref(), Some("db2"));
        assert_eq!(o.port, Some(3307));
        assert_eq!(o.user.as_deref(), Some("app"));
        assert_eq!(o.socket, Some(PathBuf::from("/s")));
        assert_eq!(o.ssl_mode, Some(SslMode::VerifyCa));
        assert_eq!(o.ssl_ca, Some(PathBuf::from("/ca.pem")));
        assert_eq!(o.password, None);
        assert!(!o.ask_password);
    }

    #[test]
    fn quotes_comments_and_escapes() {
        let pw = |line: &str| {
            p(&format!("[client]\n{line}\n"))
                .unwrap()
                .password
                .expect("a password")
        };
        assert_eq!(pw("password=plain"), "plain");
        assert_eq!(pw("password = spaced out  "), "spaced out");
        assert_eq!(pw("password=abc # a comment"), "abc");
        assert_eq!(pw("password=\"a#b;c\" # comment"), "a#b;c");
        assert_eq!(pw("password='it''s'"), "it''s");
        assert_eq!(pw("password=\"say \\\"hi\\\"\""), "say \"hi\"");
        assert_eq!(pw("password='x=y'"), "x=y");
        assert_eq!(pw("password=a;b"), "a;b");
        assert_eq!(pw("password=\"  padded  \""), "  padded  ");
        assert_eq!(pw("password=tab\\there\\s\\\\"), "tab\there \\");
        assert_eq!(pw("password=c:\\dir"), "c:\\dir");
        assert_eq!(pw("password=\"unterminated"), "\"unterminated");
        assert_eq!(pw("password="), "");
        assert_eq!(pw("password=\"\""), "");
    }

    #[test]
    fn bare_password_asks() {
        let o = p("[client]\npassword=x\npassword\n").unwrap();
        assert!(o.ask_password);
        assert_eq!(o.password, None);
        let o = p("[client]\npassword\npassword=y\n").unwrap();
        assert!(!o.ask_password);
        assert_eq!(o.password.as_deref(), Some("y"));
    }

    #[test]
    fn group_names_and_other_groups() {
        let o = p("[Client]\nuser=a\n[ myreplay ]\nport=1\n[client-server]\nuser=b\n").unwrap();
        assert_eq!(o.user.as_deref(), Some("a"));
        assert_eq!(o.port, Some(1));
        // Other clients' options in [client] are not ours to judge.
        let o = p("[client]\ndefault-character-set=utf8mb4\ncompress\nuser=a\n").unwrap();
        assert_eq!(o.user.as_deref(), Some("a"));
    }

    #[test]
    fn errors_name_file_and_line_never_the_value() {
        let e = p("[client]\nuser=a\n!include /etc/secret.cnf\n").unwrap_err();
        assert_eq!(e.line, Some(3));
        assert!(
            e.to_string()
                .starts_with("option file /x/my.cnf, line 3: !include is not supported"),
            "{e}"
        );
        let e = p("[client]\n!includedir /etc/mysql/conf.d/\n").unwrap_err();
        assert!(
            e.to_string().contains("!includedir is not supported"),
            "{e}"
        );

        let e = p("password=hunter2\n[client]\n").unwrap_err();
        assert_eq!(e.line, Some(1));
        assert!(e.to_string().contains("before any [group]"), "{e}");
        assert!(!e.to_string().contains("hunter2"), "{e}");

        let e = p("[client\npassword=hunter2\n").unwrap_err();
        assert_eq!(e.line, Some(1));

        let e = p("[client]\nport=33o6\n").unwrap_err();
        assert!(
            e.to_string().contains("line 2: port must be a number"),
            "{e}"
        );
        let e = p("[client]\nhost\n").unwrap_err();
        assert!(e.to_string().contains("host needs a value"), "{e}");
        let e = p("[client]\nssl-mode=sometimes\n").unwrap_err();
        assert!(
            e.to_string().contains("DISABLED, PREFERRED, REQUIRED"),
            "{e}"
        );

        let e = p("[myreplay]\npasword=hunter2\n").unwrap_err();
        assert!(e.to_string().contains("unknown option \"pasword\""), "{e}");
        assert!(!e.to_string().contains("hunter2"), "{e}");
        assert!(p("[myreplay]\nloose-whatever=1\n").is_ok());
    }

    #[test]
    fn command_line_over_file_over_mysql_pwd() {
        let file =
            p("[client]\nhost=file-host\nuser=file-user\npassword=file-pw\nssl-mode=REQUIRED\n")
                .unwrap();
        let cli = ClientOptions {
            user: Some("cli-user".into()),
            ssl_mode: Some(SslMode::Disabled),
            ..ClientOptions::default()
        };
        let never = || -> std::io::Result<String> { panic!("must not ask") };
        let o = cli
            .clone()
            .over(file.clone())
            .resolve(Some("env-pw".into()), never)
            .unwrap();
        assert_eq!(o.host.as_deref(), Some("file-host"));
        assert_eq!(o.user.as_deref(), Some("cli-user"));
        assert_eq!(o.password.as_deref(), Some("file-pw"));
        assert_eq!(o.ssl_mode, SslMode::Disabled);

        // A password on the command line wins over the file's.
        let cli_pw = ClientOptions {
            password: Some("cli-pw".into()),
            ..cli.clone()
        };
        let o = cli_pw.over(file.clone()).resolve(None, never).unwrap();
        assert_eq!(o.password.as_deref(), Some("cli-pw"));

        // `-p` alone asks, even when the file has one.
        let ask = ClientOptions {
            ask_password: true,
            ..cli.clone()
        };
        let o = ask
            .over(file.clone())
            .resolve(Some("env-pw".into()), || Ok("typed".into()))
            .unwrap();
        assert_eq!(o.password.as_deref(), Some("typed"));

        // MYSQL_PWD only when neither has one.
        let no_pw = p("[client]\nuser=u\n").unwrap();
        let o = cli
            .clone()
            .over(no_pw.clone())
            .resolve(Some("env-pw".into()), never)
            .unwrap();
        assert_eq!(o.password.as_deref(), Some("env-pw"));
        let o = cli.clone().over(no_pw).resolve(None, never).unwrap();
        assert_eq!(o.password, None);
        assert_eq!(
            ClientOptions::default()
                .resolve(None, never)
                .unwrap()
                .ssl_mode,
            SslMode::Preferred
        );

        // A bare `password` in the file asks; MYSQL_PWD does not replace it.
        let asks = p("[client]\npassword\n").unwrap();
        let o = ClientOptions::default()
            .over(asks)
            .resolve(Some("env-pw".into()), || Ok("typed".into()))
            .unwrap();
        assert_eq!(o.password.as_deref(), Some("typed"));
    }

    #[test]
    fn debug_redacts_the_password() {
        let o = p("[client]\npassword=hunter2\n").unwrap();
        assert!(!format!("{o:?}").contains("hunter2"));
    }

    #[cfg(unix)]
    #[test]
    fn files_missing_world_writable_and_read() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("myreplay-optfile-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("my.cnf");

        let e = read(&dir.join("missing.cnf")).unwrap_err();
        assert!(e.to_string().contains("cannot read it"), "{e}");
        assert!(load(Some(&dir.join("missing.cnf"))).is_err());

        std::fs::write(&file, "[client]\nuser=u\npassword=pw\n").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        let o = load(Some(&file)).unwrap();
        assert_eq!(o.user.as_deref(), Some("u"));
        assert_eq!(o.path.as_deref(), Some(file.as_path()));
        assert!(o.warnings.is_empty());

        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o666)).unwrap();
        let o = read(&file).unwrap();
        assert_eq!(o.user, None);
        assert!(o.warnings[0].contains("world-writable"), "{:?}", o.warnings);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
