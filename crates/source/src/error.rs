//! Why the binlogs of a recovery cannot be found, ordered, or started where
//! the backup says: every message names the file and says what to do.

use std::path::PathBuf;

use crate::backup::BackupError;

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Binlog(myreplay_binlog::Error),
    #[error(transparent)]
    Backup(#[from] BackupError),
    /// The binlogs given cannot be made into one server's sequence
    /// (relay logs or other files mixed in, files of two servers, ...).
    #[error("{reason}")]
    Files { reason: String },
    /// Transactions between the backup (or an earlier file) and a binlog
    /// are missing: replaying would lose them.
    #[error("{reason}")]
    Gap { reason: String },
    /// The binlogs end before the point the backup holds: the backup is
    /// newer than the binlogs, or they are another server's.
    #[error("{reason}")]
    BackupNewer { reason: String },
    /// The start state cannot be used as given (a flavour mismatch, a
    /// domain it does not account for, transactions without GTIDs).
    #[error("{reason}")]
    StartState { reason: String },
}
