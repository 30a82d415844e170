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

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the events of binlog files, one line per event.
    Events(ReadArgs),
    /// List the transactions of binlog files, one line per transaction.
    Transactions(ReadArgs),
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
    /// Connect, read the schema and plan; apply nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Skip transactions committed before this time (YYYY-MM-DD HH:MM:SS in --timezone).
    #[arg(long, value_name = "DATETIME")]
    pub start_datetime: Option<String>,
    /// Stop before the first transaction committed at or after this time.
    #[arg(long, value_name = "DATETIME")]
    pub stop_datetime: Option<String>,
    /// Time zone of --start-datetime / --stop-datetime: UTC or an offset like +02:00.
    #[arg(long, value_name = "TZ", default_value = "UTC")]
    pub timezone: String,
    /// Stop before this transaction (MariaDB D-S-N or MySQL uuid[:tag]:N).
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
    /// Print help.
    #[arg(long, action = clap::ArgAction::Help)]
    pub help: Option<bool>,
}

/// `myreplay plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub read: ReadArgs,
    #[command(flatten)]
    pub conn: ConnArgs,
    /// Databases whose schema to read from the server (default: all but the system ones).
    #[arg(long = "database", value_name = "DB")]
    pub database: Vec<String>,
    /// Print help.
    #[arg(long, action = clap::ArgAction::Help)]
    pub help: Option<bool>,
}

/// Connection options, named like the mysql client's. Without any of them,
/// commands that can work offline do.
#[derive(Debug, Args)]
pub struct ConnArgs {
    /// Server host.
    #[arg(short = 'h', long, value_name = "HOST")]
    pub host: Option<String>,
    /// Server TCP port.
    #[arg(short = 'P', long, value_name = "PORT")]
    pub port: Option<u16>,
    /// User.
    #[arg(short = 'u', long, value_name = "USER")]
    pub user: Option<String>,
    /// Password. `-p` or `--password` alone asks for it on the terminal;
    /// MYSQL_PWD is read when neither is given. A password written on the
    /// command line is visible to other users of the machine.
    #[arg(long = "password", value_name = "PASSWORD", num_args = 0..=1, default_missing_value = "", require_equals = true)]
    pub password: Option<String>,
    /// Unix socket.
    #[arg(short = 'S', long, value_name = "PATH")]
    pub socket: Option<PathBuf>,
}

impl ConnArgs {
    /// The connection options, or `None` when no server was named.
    pub fn options(&self) -> anyhow::Result<Option<myreplay_apply::ConnectOptions>> {
        if self.host.is_none()
            && self.port.is_none()
            && self.socket.is_none()
            && self.user.is_none()
        {
            return Ok(None);
        }
        let password = match self.password.as_deref() {
            Some("") => Some(rpassword::prompt_password("Enter password: ")?),
            Some(p) => {
                eprintln!(
                    "myreplay: warning: using a password on the command line can be insecure"
                );
                Some(p.to_string())
            }
            None => std::env::var("MYSQL_PWD").ok(),
        };
        Ok(Some(myreplay_apply::ConnectOptions {
            host: self.host.clone(),
            port: self.port,
            user: self.user.clone(),
            password,
            socket: self.socket.clone(),
        }))
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
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Start reading the first file at this byte offset (must be an event boundary).
    #[arg(long, value_name = "N")]
    pub start_position: Option<u64>,

    /// Stop before the first event of the last file that starts at or after this offset.
    #[arg(long, value_name = "N")]
    pub stop_position: Option<u64>,

    /// Print NDJSON: one JSON object per line.
    #[arg(long)]
    pub json: bool,

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
