//! Command-line arguments, named like mysqlbinlog's and the mysql client's.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use myreplay_binlog::{ReaderOptions, StreamOptions};

/// Replay MySQL and MariaDB binary logs into a server, in parallel.
#[derive(Debug, Parser)]
#[command(name = "myreplay", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

// Parsed once per process: the variants' size difference does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the events of binlog files, one line per event.
    Events(EventsArgs),
    /// List the transactions of binlog files, one line per transaction.
    #[command(disable_help_flag = true)]
    Transactions(TransactionsArgs),
    /// Analyse what may run in parallel: barriers, table-level keys, critical path, speedups.
    #[command(disable_help_flag = true)]
    Plan(PlanArgs),
    /// Replay binlogs into a server, in parallel, exactly once (resumable).
    #[command(disable_help_flag = true)]
    Apply(ApplyArgs),
}

/// `myreplay apply`.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub read: ReadArgs,
    #[command(flatten)]
    pub conn: ConnArgs,
    /// Parallel sessions on the target (default: one per core, at least 2).
    #[arg(long, value_name = "N")]
    pub workers: Option<usize>,
    /// Most source transactions applied in one target commit.
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub unit_transactions: usize,
    /// Where applied transactions are recorded (DATABASE.TABLE).
    #[arg(long, value_name = "DB.TABLE", default_value = "myreplay.applied")]
    pub checkpoint_table: String,
    /// Also write the applied changes to the target's binlog.
    #[arg(long)]
    pub log_bin: bool,
    /// Keep the source's MariaDB GTIDs in the target's binlog (implies
    /// --log-bin; applies one transaction per commit, in order, on one
    /// session: slower, but the target can then serve as a replication source
    /// at the same GTID positions).
    #[arg(long)]
    pub preserve_gtids: bool,
    /// How rows are applied: `binlog` (BINLOG statements from the original
    /// events: exact replica semantics) or `sql` (generated INSERT / UPDATE /
    /// DELETE, for targets that refuse BINLOG statements; tables with
    /// triggers are refused).
    #[arg(long = "apply", value_name = "PATH", default_value = "binlog", value_parser = ["binlog", "sql"])]
    pub apply_path: String,
    /// Send the source's row statements as it logged them, one by one
    /// (BINLOG path). By default a unit's consecutive row statements go as
    /// one, which changes the same rows in the same order with less work
    /// for the server (docs/apply.md, "Row statements merged").
    #[arg(long)]
    pub no_merge_statements: bool,
    /// Connect, read the schema and plan; apply nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// A transaction larger than this (bytes of events) is applied while it
    /// is read, alone, in one target transaction, instead of being held in
    /// memory and run beside others.
    #[arg(long, value_name = "BYTES", default_value_t = 64 << 20)]
    pub stream_threshold: u64,
    /// Bytes of events of transactions read ahead and not yet committed, at
    /// most (with --stream-threshold and --max-event-size, this bounds
    /// memory: docs/apply.md).
    #[arg(long, value_name = "BYTES", default_value_t = 256 << 20)]
    pub max_pending: u64,
    /// Skip transactions committed before this time (YYYY-MM-DD HH:MM:SS in --timezone).
    #[arg(long, value_name = "DATETIME")]
    pub start_datetime: Option<String>,
    /// Stop before the first transaction committed at or after this time.
    #[arg(long, value_name = "DATETIME")]
    pub stop_datetime: Option<String>,
    /// Stop before this transaction (MariaDB `D-S-N` or MySQL `uuid[:tag]:N`).
    #[arg(long, value_name = "GTID")]
    pub stop_before_gtid: Option<String>,
    /// Stop after this transaction.
    #[arg(long, value_name = "GTID")]
    pub stop_after_gtid: Option<String>,
    /// Apply only these databases (repeatable): row events by their table's
    /// database, statements by their default database, as mysqlbinlog does.
    #[arg(long = "database", value_name = "DB")]
    pub database: Vec<String>,
    /// Leave these databases out (repeatable).
    #[arg(long = "exclude-database", value_name = "DB")]
    pub exclude_database: Vec<String>,
    #[command(flatten)]
    pub pick: PickArgs,
    /// Apply database FROM's changes to database TO (repeatable), like
    /// mysqlbinlog: row events and statements' default database; names
    /// written inside statements are not rewritten.
    #[arg(long = "rewrite-db", value_name = "FROM->TO")]
    pub rewrite_db: Vec<String>,
    /// Print help.
    #[arg(long, action = clap::ArgAction::Help)]
    pub help: Option<bool>,
}

/// `myreplay events`.
#[derive(Debug, Args)]
pub struct EventsArgs {
    #[command(flatten)]
    pub read: ReadArgs,
    /// With any of these, only the events of the transactions they pick
    /// (the files' own header events left out).
    #[command(flatten)]
    pub select: SelectArgs,
}

/// `myreplay transactions`.
#[derive(Debug, Args)]
pub struct TransactionsArgs {
    #[command(flatten)]
    pub read: ReadArgs,
    #[command(flatten)]
    pub select: SelectArgs,
    /// Decode every row change: before and after images, column by column
    /// (names from binlog_row_metadata=FULL, else from the server given
    /// with -h / -S, else @1..@n).
    #[arg(long)]
    pub rows: bool,
    /// A server holding the schema (e.g. the restored backup), for column
    /// names with --rows.
    #[command(flatten)]
    pub conn: ConnArgs,
    /// Print help.
    #[arg(long, action = clap::ArgAction::Help)]
    pub help: Option<bool>,
}

/// Which transactions to list: every condition given must hold. Each one
/// listed while one of --database, --table, --kind, --grep is given also
/// names what `apply` takes to stop just before it.
#[derive(Debug, Args)]
pub struct SelectArgs {
    /// Transactions that change a table of this database, or run a
    /// statement with it as the default database (repeatable).
    #[arg(long = "database", value_name = "DB")]
    pub database: Vec<String>,
    #[command(flatten)]
    pub pick: PickArgs,
    /// Committed at or after this time (YYYY-MM-DD HH:MM:SS in --timezone).
    #[arg(long, value_name = "DATETIME")]
    pub start_datetime: Option<String>,
    /// Committed before this time.
    #[arg(long, value_name = "DATETIME")]
    pub stop_datetime: Option<String>,
}

impl SelectArgs {
    /// The selection these arguments ask for, times in `timezone`.
    pub fn selection(&self, timezone: &str) -> Result<myreplay_binlog::Selection, String> {
        let time = |t: &Option<String>| {
            t.as_deref()
                .map(|t| myreplay_apply::filter::parse_datetime(t, timezone))
                .transpose()
        };
        Ok(myreplay_binlog::Selection {
            databases: self.database.clone(),
            start_time: time(&self.start_datetime)?,
            stop_time: time(&self.stop_datetime)?,
            ..self.pick.selection()?
        })
    }
}

/// The filters that pick transactions by what they are, for every command
/// (`apply` applies only what they pick; see docs/stop-point.md).
#[derive(Debug, Args)]
pub struct PickArgs {
    /// Transactions whose row events change this table (repeatable; globs:
    /// `app.*`, `*.orders`). `apply` applies only these tables' row
    /// changes, and no statements (the binlog does not say which tables a
    /// statement touches).
    #[arg(long = "table", value_name = "DB.TABLE")]
    pub table: Vec<String>,
    /// Transactions of these kinds: ddl, dml (row or statement), row,
    /// statement, xa, empty (comma-separated).
    #[arg(long, value_name = "KINDS")]
    pub kind: Option<String>,
    /// Transactions with a statement, or a statement behind their row
    /// events (ANNOTATE_ROWS, ROWS_QUERY), matching this regular expression
    /// (`(?i)` for any case).
    #[arg(long, value_name = "REGEX")]
    pub grep: Option<String>,
    /// Transactions whose GTID is in this set (MySQL `uuid:1-100,...`), or
    /// at or before this state (MariaDB `0-1-100,1-2-7`: up to N in each
    /// domain named).
    #[arg(long, value_name = "SET", value_parser = str::parse::<myreplay_binlog::GtidSet>)]
    pub include_gtids: Option<myreplay_binlog::GtidSet>,
    /// Leave out transactions whose GTID is in this set (or state).
    #[arg(long, value_name = "SET", value_parser = str::parse::<myreplay_binlog::GtidSet>)]
    pub exclude_gtids: Option<myreplay_binlog::GtidSet>,
}

impl PickArgs {
    /// The `--table` patterns.
    pub fn tables(&self) -> Result<Vec<myreplay_binlog::TablePattern>, String> {
        self.table
            .iter()
            .map(|t| myreplay_binlog::TablePattern::parse(t))
            .collect()
    }

    /// The selection these ask for (no databases, no times).
    pub fn selection(&self) -> Result<myreplay_binlog::Selection, String> {
        Ok(myreplay_binlog::Selection {
            tables: self.tables()?,
            kinds: match &self.kind {
                Some(k) => myreplay_binlog::selection::parse_kinds(k)?,
                None => vec![],
            },
            grep: self
                .grep
                .as_deref()
                .map(myreplay_binlog::selection::parse_grep)
                .transpose()?,
            include_gtids: self.include_gtids.clone(),
            exclude_gtids: self.exclude_gtids.clone(),
            ..Default::default()
        })
    }
}

/// `myreplay plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub read: ReadArgs,
    #[command(flatten)]
    pub conn: ConnArgs,
    /// Plan only the transactions these pick; `--database` also limits
    /// the schema read from the server (default: all but the system ones).
    #[command(flatten)]
    pub select: SelectArgs,
    /// Print help.
    #[arg(long, action = clap::ArgAction::Help)]
    pub help: Option<bool>,
}

/// Connection options, named like the mysql client's. Without any of them,
/// commands that can work offline do.
///
/// Precedence, as the client's: the command line, then the option file
/// (`--defaults-file`, else `~/.my.cnf`; groups `[client]` and `[myreplay]`),
/// then, for the password only, `MYSQL_PWD`. `-p` alone (or a bare
/// `password` line in the file) asks on the terminal.
#[derive(Args)]
pub struct ConnArgs {
    /// Server host. `apply` takes several (`-h` more than once, or a
    /// comma-separated list, each `HOST` or `HOST:PORT`): the nodes of a
    /// cluster its sessions spread over; the first is the one it checks,
    /// locks and reads the schema on.
    #[arg(short = 'h', long, value_name = "HOST", action = clap::ArgAction::Append)]
    pub host: Vec<String>,
    /// Server TCP port.
    #[arg(short = 'P', long, value_name = "PORT")]
    pub port: Option<u16>,
    /// User.
    #[arg(short = 'u', long, value_name = "USER")]
    pub user: Option<String>,
    /// Password. `-p` or `--password` alone asks for it on the terminal;
    /// otherwise the option file's, then MYSQL_PWD, is used. A password
    /// written on the command line is visible to other users of the machine.
    #[arg(long = "password", value_name = "PASSWORD", num_args = 0..=1, default_missing_value = "", require_equals = true)]
    pub password: Option<String>,
    /// Unix socket. `apply` takes several (`-S` more than once, or a
    /// comma-separated list), as `-h`.
    #[arg(short = 'S', long, value_name = "PATH", action = clap::ArgAction::Append)]
    pub socket: Vec<PathBuf>,
    /// Read connection options from this file only (groups `[client]` and
    /// `[myreplay]`) instead of ~/.my.cnf.
    #[arg(long, value_name = "PATH")]
    pub defaults_file: Option<PathBuf>,
    /// Read no option file (not even ~/.my.cnf).
    #[arg(long, conflicts_with = "defaults_file")]
    pub no_defaults: bool,
    /// TLS: DISABLED, PREFERRED (default), REQUIRED, VERIFY_CA or
    /// VERIFY_IDENTITY (case-insensitive). VERIFY_* need --ssl-ca; over a
    /// unix socket only PREFERRED and DISABLED are possible.
    #[arg(long, value_name = "MODE", value_parser = str::parse::<myreplay_apply::connect::SslMode>)]
    pub ssl_mode: Option<myreplay_apply::connect::SslMode>,
    /// CA certificate (PEM) that the server's certificate must chain to
    /// (used by VERIFY_CA and VERIFY_IDENTITY).
    #[arg(long, value_name = "PATH")]
    pub ssl_ca: Option<PathBuf>,
}

impl std::fmt::Debug for ConnArgs {
    /// As derived, but never the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnArgs")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field(
                "password",
                &self
                    .password
                    .as_ref()
                    .map(|p| if p.is_empty() { "<ask>" } else { "<redacted>" }),
            )
            .field("socket", &self.socket)
            .field("defaults_file", &self.defaults_file)
            .field("no_defaults", &self.no_defaults)
            .field("ssl_mode", &self.ssl_mode)
            .field("ssl_ca", &self.ssl_ca)
            .finish()
    }
}

impl ConnArgs {
    /// The connection options, or `None` when no connection option was
    /// given on the command line (an option file alone does not make an
    /// offline command connect).
    pub fn options(&self) -> anyhow::Result<Option<myreplay_apply::ConnectOptions>> {
        if self.host.is_empty()
            && self.port.is_none()
            && self.socket.is_empty()
            && self.user.is_none()
            && self.password.is_none()
            && self.defaults_file.is_none()
            && self.ssl_mode.is_none()
            && self.ssl_ca.is_none()
        {
            return Ok(None);
        }
        self.target().map(Some)
    }

    /// The connection options of a command that must connect (`apply`):
    /// the command line over the option file over the client's defaults,
    /// as the mysql client does.
    pub fn target(&self) -> anyhow::Result<myreplay_apply::ConnectOptions> {
        use myreplay_apply::connect::option_file::{self, ClientOptions};
        let file = if self.no_defaults {
            ClientOptions::default()
        } else {
            option_file::load(self.defaults_file.as_deref())?
        };
        for warning in &file.warnings {
            eprintln!("myreplay: warning: {warning}");
        }
        if self.password.as_deref().is_some_and(|p| !p.is_empty()) {
            eprintln!("myreplay: warning: using a password on the command line can be insecure");
        }
        // One host and one socket: the client's choice between them, as
        // before; several servers: the first.
        let endpoints = self.endpoints();
        let first = |tcp: bool| {
            endpoints
                .iter()
                .find(|n| matches!(n, Node::Tcp { .. }) == tcp)
                .filter(|n| !self.spreads() || *n == &endpoints[0])
                .cloned()
        };
        let (host, port) = match first(true) {
            Some(Node::Tcp { host, port }) => (Some(host), port.or(self.port)),
            _ => (None, self.port),
        };
        let socket = match first(false) {
            Some(Node::Socket(path)) => Some(path),
            _ => None,
        };
        let command_line = ClientOptions {
            host,
            port,
            user: self.user.clone(),
            password: self.password.clone().filter(|p| !p.is_empty()),
            ask_password: self.password.as_deref() == Some(""),
            socket,
            ssl_mode: self.ssl_mode,
            ssl_ca: self.ssl_ca.clone(),
            ..ClientOptions::default()
        };
        let merged = command_line.over(file);
        if merged.ssl_ca.is_some() && !merged.ssl_mode.is_some_and(|m| m.verifies()) {
            eprintln!(
                "myreplay: warning: --ssl-ca is used only with --ssl-mode=VERIFY_CA or VERIFY_IDENTITY; \
                 the server's certificate is not verified"
            );
        }
        let options = merged.resolve(std::env::var("MYSQL_PWD").ok(), || {
            rpassword::prompt_password("Enter password: ")
        })?;
        Ok(options)
    }
}

/// One server of `-h` / `-S`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Tcp { host: String, port: Option<u16> },
    Socket(PathBuf),
}

impl ConnArgs {
    /// The servers `-h` and `-S` name, in order (the sockets first, as the
    /// client prefers a socket), lists split at commas.
    pub fn endpoints(&self) -> Vec<Node> {
        let sockets = self.socket.iter().flat_map(|s| {
            s.to_string_lossy()
                .split(',')
                .filter(|p| !p.is_empty())
                .map(|p| Node::Socket(PathBuf::from(p)))
                .collect::<Vec<_>>()
        });
        let hosts = self.host.iter().flat_map(|h| {
            h.split(',')
                .filter(|h| !h.is_empty())
                .map(|h| match h.rsplit_once(':') {
                    // HOST:PORT; a bare IPv6 address has several colons.
                    Some((name, port)) if !name.contains(':') && port.parse::<u16>().is_ok() => {
                        Node::Tcp {
                            host: name.to_string(),
                            port: port.parse().ok(),
                        }
                    }
                    _ => Node::Tcp {
                        host: h.to_string(),
                        port: None,
                    },
                })
                .collect::<Vec<_>>()
        });
        sockets.chain(hosts).collect()
    }

    /// More than one host or more than one socket: servers to spread over.
    pub fn spreads(&self) -> bool {
        let e = self.endpoints();
        e.iter().filter(|n| matches!(n, Node::Tcp { .. })).count() > 1
            || e.iter().filter(|n| matches!(n, Node::Socket(_))).count() > 1
    }

    /// The connection options of every server `-h` / `-S` name after the
    /// first, when they name several: `first`'s (user, password, TLS) with
    /// another endpoint.
    pub fn other_nodes(
        &self,
        first: &myreplay_apply::ConnectOptions,
    ) -> Vec<myreplay_apply::ConnectOptions> {
        if !self.spreads() {
            return vec![];
        }
        self.endpoints()
            .into_iter()
            .skip(1)
            .map(|n| {
                let mut o = first.clone();
                match n {
                    Node::Socket(path) => {
                        o.socket = Some(path);
                        o.host = None;
                    }
                    Node::Tcp { host, port } => {
                        o.socket = None;
                        o.host = Some(host);
                        o.port = port.or(self.port).or(first.port);
                    }
                }
                o
            })
            .collect()
    }
}

/// Rewrites the mysql client's `-p` forms for clap: `-p` alone becomes
/// `--password` (prompt), `-pSECRET` becomes `--password=SECRET`.
pub fn normalize_password_flag(
    args: impl IntoIterator<Item = std::ffi::OsString>,
) -> Vec<std::ffi::OsString> {
    let mut out = vec![];
    let mut files = false;
    for a in args {
        let s = a.to_string_lossy();
        if files || s == "--" {
            files = true;
            out.push(a);
        } else if s == "-p" {
            out.push("--password".into());
        } else if let Some(rest) = s.strip_prefix("-p").filter(|r| !r.starts_with('-')) {
            out.push(format!("--password={rest}").into());
        } else {
            out.push(a);
        }
    }
    out
}

/// Which files to read, and which part of them.
#[derive(Debug, Args)]
pub struct ReadArgs {
    /// Binlog or relay log files, in order (a shell glob such as binlog.0* sorts them).
    #[arg(value_name = "FILE", required_unless_present_any = ["binlog_dir", "binlog_index"], conflicts_with_all = ["binlog_dir", "binlog_index"])]
    pub files: Vec<PathBuf>,

    /// Read the binlogs of this directory (e.g. the source's datadir or a
    /// binlog archive), ordered by their own continuity, instead of FILEs.
    #[arg(long, value_name = "DIR", conflicts_with = "binlog_index")]
    pub binlog_dir: Option<PathBuf>,

    /// Read the binlogs this index file lists (binlog.index), instead of FILEs.
    #[arg(long, value_name = "FILE")]
    pub binlog_index: Option<PathBuf>,

    /// Start where this backup ends: its directory or metadata file
    /// (mariadb-backup / XtraBackup, mydumper, mysqldump / mariadb-dump .sql,
    /// MySQL Shell dump). Its GTID set decides; its file and position are checked.
    #[arg(long, value_name = "PATH")]
    pub from_backup: Option<PathBuf>,

    /// The GTID state the target already holds: transactions inside it are
    /// skipped (MariaDB `0-1-100,1-2-7`, one per domain, every domain of the
    /// binlogs named, `D-0-0` for none of domain D; MySQL `uuid:1-100[,...]`).
    #[arg(long, value_name = "SET", value_parser = str::parse::<myreplay_binlog::GtidSet>)]
    pub start_gtid: Option<myreplay_binlog::GtidSet>,

    /// Accept a gap between binlog files (a missing file, transactions no
    /// file holds): only when its transactions are known not to be needed.
    #[arg(long)]
    pub allow_gap: bool,

    /// Start reading the first file at this byte offset (must be an event
    /// boundary). Not with --binlog-dir / --binlog-index (list the files,
    /// the one it applies to first) nor with --from-backup / --start-gtid.
    #[arg(long, value_name = "N", conflicts_with_all = ["from_backup", "start_gtid", "binlog_dir", "binlog_index"])]
    pub start_position: Option<u64>,

    /// Stop before the first event of the last file that starts at or after this offset.
    #[arg(long, value_name = "N")]
    pub stop_position: Option<u64>,

    /// Print NDJSON: one JSON object per line.
    #[arg(long)]
    pub json: bool,

    /// Print more: statements whole, not shortened to one screen line.
    #[arg(short = 'v', long)]
    pub verbose: bool,

    /// Time zone of the times printed and of --start-datetime /
    /// --stop-datetime: UTC, an offset like +02:00, or an IANA name like
    /// Europe/Paris (the system's time zone database; a local time a
    /// daylight-saving change skips or repeats is refused, naming the
    /// candidates).
    #[arg(long, value_name = "TZ", default_value = "UTC")]
    pub timezone: String,

    /// Largest event accepted, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = ReaderOptions::default().max_event_size)]
    pub max_event_size: u64,

    /// Do not verify CRC32 checksums (only to read a file known to be damaged).
    #[arg(long)]
    pub no_verify_checksums: bool,
}

impl ReadArgs {
    /// The library options these arguments ask for.
    pub fn stream_options(&self) -> StreamOptions {
        StreamOptions {
            reader: ReaderOptions {
                max_event_size: self.max_event_size,
                verify_checksums: !self.no_verify_checksums,
            },
            start_position: self.start_position,
            stop_position: self.stop_position,
            inflate_limit: self.max_event_size,
            check_sequence: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn(hosts: &[&str], sockets: &[&str]) -> ConnArgs {
        ConnArgs {
            host: hosts.iter().map(|h| h.to_string()).collect(),
            port: Some(3306),
            user: Some("root".into()),
            password: None,
            socket: sockets.iter().map(PathBuf::from).collect(),
            defaults_file: None,
            no_defaults: true,
            ssl_mode: None,
            ssl_ca: None,
        }
    }

    #[test]
    fn several_hosts_or_sockets_name_the_nodes_to_spread_over() {
        // One host and one socket: no spreading (the client's choice).
        assert!(!conn(&["db1"], &["/run/s"]).spreads());
        let c = conn(&["db1:3307,db2", "db3:3309"], &[]);
        assert!(c.spreads());
        assert_eq!(
            c.endpoints(),
            vec![
                Node::Tcp {
                    host: "db1".into(),
                    port: Some(3307)
                },
                Node::Tcp {
                    host: "db2".into(),
                    port: None
                },
                Node::Tcp {
                    host: "db3".into(),
                    port: Some(3309)
                },
            ]
        );
        let first = c.target().unwrap();
        assert_eq!(
            (first.host.as_deref(), first.port),
            (Some("db1"), Some(3307))
        );
        let others = c.other_nodes(&first);
        assert_eq!(others.len(), 2);
        assert_eq!(
            (others[0].host.as_deref(), others[0].port),
            (Some("db2"), Some(3306))
        );
        assert_eq!(
            (others[1].host.as_deref(), others[1].port),
            (Some("db3"), Some(3309))
        );
        // A bare IPv6 address is a host, not HOST:PORT.
        assert_eq!(
            conn(&["::1"], &[]).endpoints(),
            vec![Node::Tcp {
                host: "::1".into(),
                port: None
            }]
        );
        let s = conn(&[], &["/a/sock,/b/sock"]);
        assert!(s.spreads());
        assert_eq!(
            s.other_nodes(&s.target().unwrap())[0].socket,
            Some(PathBuf::from("/b/sock"))
        );
    }
}
