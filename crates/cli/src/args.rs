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
