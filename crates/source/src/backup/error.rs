//! Why a backup's coordinates could not be read.
//!
//! Each outcome is its own variant, because each asks the DBA for something
//! different: a file that cannot be read, a path that is not a backup, a
//! backup that never finished, a finished backup that recorded no position of
//! the dumped server, one whose data does not match its position, and a file
//! that does not read as its tool writes it. Every variant names the file (and
//! the line, when there is one) and says what to do.

use std::io;
use std::path::{Path, PathBuf};

/// What went wrong while reading a backup's binlog coordinates.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BackupError {
    /// The operating system refused to open or read a file.
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    /// None of the files a supported tool writes is there.
    #[error("{}: not a backup myreplay can read: {reason}", path.display())]
    NotABackup { path: PathBuf, reason: String },

    /// The tool did not finish the backup: it failed, was killed, or is
    /// still running.
    #[error("{}: the backup did not finish: {reason}", path.display())]
    Unfinished { path: PathBuf, reason: String },

    /// The backup finished but recorded no binlog coordinates of the server
    /// it was taken from.
    #[error("{}: no binlog coordinates of the backed-up server: {reason}", path.display())]
    NoCoordinates { path: PathBuf, reason: String },

    /// The backup says its data matches no single binlog position.
    #[error("{}: the backup is not consistent: {reason}", path.display())]
    Inconsistent { path: PathBuf, reason: String },

    /// A file does not read as the tool writes it.
    #[error("{}{}: {reason}", path.display(), at_line(*line))]
    Malformed {
        path: PathBuf,
        line: Option<u64>,
        reason: String,
    },
}

impl BackupError {
    /// The file or directory the error is about.
    pub fn path(&self) -> &Path {
        match self {
            BackupError::Io { path, .. }
            | BackupError::NotABackup { path, .. }
            | BackupError::Unfinished { path, .. }
            | BackupError::NoCoordinates { path, .. }
            | BackupError::Inconsistent { path, .. }
            | BackupError::Malformed { path, .. } => path,
        }
    }

    pub(crate) fn io(path: &Path) -> impl FnOnce(io::Error) -> BackupError + '_ {
        move |source| BackupError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    pub(crate) fn malformed(path: &Path, line: Option<u64>, reason: impl Into<String>) -> Self {
        BackupError::Malformed {
            path: path.to_path_buf(),
            line,
            reason: reason.into(),
        }
    }
}

fn at_line(line: Option<u64>) -> String {
    line.map(|n| format!(", line {n}")).unwrap_or_default()
}
