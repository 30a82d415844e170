//! Where the binlogs of a recovery come from, and where the replay starts.
//!
//! - [`backup`]: the binlog coordinates a backup recorded (mariadb-backup,
//!   XtraBackup, mydumper, mysqldump / mariadb-dump, MySQL Shell).
//! - [`BinlogSet`]: one server's binlogs found in a list of files, a
//!   directory or an index file, each scanned once ([`BinlogFile`]), in
//!   the order their own contents give.
//! - [`plan_start`]: where the replay starts in them ([`RecoveryStart`]),
//!   from a GTID state or a file and position, refusing a gap, binlogs that
//!   end before the backup, and files that do not follow each other.
//!
//! This crate reads files but decodes nothing the binlog crate does not,
//! opens no connection and starts no thread. Restore tooling calls it
//! the way `myreplay apply --from-backup` does (a runnable version:
//! `cargo run -p myreplay-source --example recovery_start -- BACKUP DIR`):
//!
//! ```no_run
//! use myreplay_binlog::ReaderOptions;
//! use myreplay_source::{backup, plan_start, BinlogLocation, BinlogSet, StartRequest};
//!
//! let coordinates = backup::read_backup("/backups/full-2026-11-30".as_ref())?;
//! let binlogs = BinlogSet::discover(
//!     &BinlogLocation::Dir("/var/lib/mysql".into()),
//!     ReaderOptions::default(),
//! )?;
//! let start = plan_start(
//!     &binlogs,
//!     &StartRequest { backup: Some(coordinates), ..StartRequest::default() },
//!     ReaderOptions::default(),
//! )?;
//! println!("{}", start.reason);
//! for w in &start.warnings {
//!     eprintln!("warning: {w}");
//! }
//! // Read start.files from start.start_position, skipping the transactions
//! // inside start.start_state (myreplay_apply::Range::start_state does).
//! # Ok::<(), myreplay_source::SourceError>(())
//! ```

pub mod backup;
pub mod binlog_file;
pub mod binlog_set;
pub mod error;
pub mod start;

pub use binlog_file::{BinlogFile, TransactionMark};
pub use binlog_set::{BinlogLocation, BinlogSet};
pub use error::SourceError;
pub use start::{plan_start, RecoveryStart, StartRequest};
