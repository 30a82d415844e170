//! Binlog coordinates recorded by backup tools: where a restored backup's
//! data ends in the binlogs of the server it was taken from, so that a replay
//! starts right after it.
//!
//! [`read_backup`] takes a backup directory or one of its metadata files and
//! tells the tool by the files present (a directory) or by name and content
//! (a file):
//!
//! | tool | reads | records |
//! |---|---|---|
//! | mariadb-backup | `mariadb_backup_binlog_info` / `xtrabackup_binlog_info`, else `binlog_pos` of `mariadb_backup_info` / `xtrabackup_info` | file, position, GTID state |
//! | XtraBackup | `xtrabackup_binlog_info`, else `binlog_pos` of `xtrabackup_info` | file, position, GTID set |
//! | mydumper | `metadata`: `SHOW MASTER STATUS:` (0.9-0.13), `[master]` (0.14-0.16), `[source]` (0.16.7+) | file, position, GTID |
//! | mysqldump, mariadb-dump | the `.sql` file, streamed: `CHANGE MASTER TO` / `CHANGE REPLICATION SOURCE TO`, `SET @@GLOBAL.GTID_PURGED`, `SET GLOBAL gtid_slave_pos` | file, position, GTID |
//! | MySQL Shell | `@.json` (`binlogFile`, `binlogPosition`, `gtidExecuted`), once `@.done.json` exists | file, position, GTID set |
//!
//! Only the backed-up server's own coordinates are returned. What a backup
//! of a replica records about the replica's source (mydumper `SHOW SLAVE
//! STATUS:` / `[replication]`, `--dump-slave`, `xtrabackup_slave_info`) is a
//! position in another server's binlogs, and is never taken for it.
//!
//! ```no_run
//! use myreplay_source::backup::read_backup;
//!
//! let c = read_backup("/backups/2024-05-01".as_ref())?;
//! if let (Some(file), Some(pos)) = (&c.binlog_file, c.binlog_position) {
//!     println!("{}: replay from {file} at {pos}", c.tool);
//! }
//! # Ok::<(), myreplay_source::backup::BackupError>(())
//! ```

mod detect;
mod error;
mod found;
mod mydumper;
mod mysqlsh;
mod scan;
mod sqldump;
mod text;
mod xtrabackup;

use std::fmt;
use std::path::{Path, PathBuf};

pub use error::BackupError;

/// Which tool wrote the backup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum BackupTool {
    /// mariadb-backup (mariabackup), MariaDB's fork of XtraBackup.
    MariaBackup,
    /// Percona XtraBackup.
    XtraBackup,
    /// mydumper.
    Mydumper,
    /// mysqldump or mariadb-dump.
    Mysqldump,
    /// MySQL Shell's dump utilities.
    MysqlShell,
}

impl fmt::Display for BackupTool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BackupTool::MariaBackup => "mariadb-backup",
            BackupTool::XtraBackup => "XtraBackup",
            BackupTool::Mydumper => "mydumper",
            BackupTool::Mysqldump => "mysqldump",
            BackupTool::MysqlShell => "MySQL Shell",
        })
    }
}

/// The binlog coordinates a backup recorded: where its data ends in the
/// source's binlogs.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BackupCoordinates {
    pub tool: BackupTool,
    /// The file the coordinates were read from, and the 1-based line where
    /// they are (the line of the file name / position, or of the GTID set
    /// when only that exists).
    pub origin: PathBuf,
    pub line: Option<u64>,
    /// Binlog file name as the backup recorded it (basename, e.g.
    /// "binlog.000002"), and the byte position in it.
    pub binlog_file: Option<String>,
    pub binlog_position: Option<u64>,
    /// The GTID set/state exactly as text, with whitespace and line breaks
    /// removed (e.g. "0-1-3" or "uuid:1-5,uuid2:1-3"); None when the backup
    /// wrote none; an empty set is None too. Also the 1-based line where it
    /// starts.
    pub gtid_set: Option<String>,
    pub gtid_line: Option<u64>,
}

/// Reads the coordinates of the backup at `path`: a backup directory, or
/// one metadata file (a dump .sql file, xtrabackup_binlog_info, metadata,
/// @.json, ...).
pub fn read_backup(path: &Path) -> Result<BackupCoordinates, BackupError> {
    let meta = std::fs::metadata(path).map_err(BackupError::io(path))?;
    if meta.is_dir() {
        detect::read_dir(path)
    } else {
        detect::read_file(path)
    }
}
