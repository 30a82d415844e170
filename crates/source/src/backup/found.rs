//! Coordinates as a reader collects them, each with the line it came from,
//! checked and turned into [`BackupCoordinates`] once the file is read.

use std::path::Path;

use myreplay_binlog::GtidSet;

use super::{BackupCoordinates, BackupError, BackupTool};

/// A value and the 1-based line where the file holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Located<T> {
    pub value: T,
    pub line: Option<u64>,
}

/// What one backup recorded about the dumped server's own binlogs.
#[derive(Debug, Default)]
pub(super) struct Found {
    pub file: Option<Located<String>>,
    pub position: Option<Located<u64>>,
    /// The GTID set as written; whitespace is removed when it is checked.
    pub gtid: Option<Located<String>>,
}

/// Longest GTID set text accepted (a MySQL set naming thousands of servers
/// stays far below it).
pub(super) const MAX_GTID_TEXT: usize = 4 * 1024 * 1024;

impl Found {
    /// Sets `slot`, refusing a second, different value for it: a file that
    /// names two positions of the same server is two backups in one, or
    /// damaged, and a replay must not guess which one holds.
    pub fn set<T: PartialEq + std::fmt::Display + Clone>(
        slot: &mut Option<Located<T>>,
        value: T,
        line: Option<u64>,
        what: &str,
        path: &Path,
    ) -> Result<(), BackupError> {
        match slot {
            Some(old) if old.value != value => Err(BackupError::malformed(
                path,
                line,
                format!(
                    "a second {what} `{value}`, but {} already gave `{}`; is this two backups in one file? Check which one the restored data comes from",
                    old.line.map_or("an earlier line".to_string(), |l| format!("line {l}")),
                    old.value
                ),
            )),
            Some(_) => Ok(()),
            None => {
                *slot = Some(Located { value, line });
                Ok(())
            }
        }
    }

    /// Whether any coordinate was found.
    pub fn is_empty(&self) -> bool {
        self.file.is_none() && self.position.is_none() && self.gtid.is_none()
    }

    /// Checks what was found and builds the coordinates; `None` when the
    /// backup recorded nothing (an empty GTID set counts as nothing), which
    /// each reader reports with its own reason.
    pub fn into_coordinates(
        self,
        tool: BackupTool,
        origin: &Path,
    ) -> Result<Option<BackupCoordinates>, BackupError> {
        let (file, position) = match (self.file, self.position) {
            (Some(f), Some(p)) => (Some(f), Some(p)),
            (None, None) => (None, None),
            (Some(f), None) => {
                return Err(BackupError::malformed(
                    origin,
                    f.line,
                    format!("binlog file `{}` without a position", f.value),
                ))
            }
            (None, Some(p)) => {
                return Err(BackupError::malformed(
                    origin,
                    p.line,
                    format!("binlog position {} without a file name", p.value),
                ))
            }
        };
        let file = match file {
            Some(f) => Some(Located {
                value: binlog_basename(&f.value, origin, f.line)?,
                line: f.line,
            }),
            None => None,
        };
        let gtid = match self.gtid {
            Some(g) => checked_gtid(&g.value, origin, g.line)?.map(|value| Located {
                value,
                line: g.line,
            }),
            None => None,
        };
        if file.is_none() && gtid.is_none() {
            return Ok(None);
        }
        Ok(Some(BackupCoordinates {
            tool,
            origin: origin.to_path_buf(),
            line: file
                .as_ref()
                .map_or(gtid.as_ref().and_then(|g| g.line), |f| f.line),
            binlog_file: file.map(|f| f.value),
            binlog_position: position.map(|p| p.value),
            gtid_line: gtid.as_ref().and_then(|g| g.line),
            gtid_set: gtid.map(|g| g.value),
        }))
    }
}

/// The binlog file's name without any directory a tool put before it
/// (`./mysql-bin.000001`).
fn binlog_basename(name: &str, origin: &Path, line: Option<u64>) -> Result<String, BackupError> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name).trim();
    if base.is_empty() || base.chars().any(|c| c.is_control()) {
        return Err(BackupError::malformed(
            origin,
            line,
            format!("`{name}` is not a binlog file name"),
        ));
    }
    Ok(base.to_string())
}

/// The GTID set with whitespace removed, checked to be one; `None` when
/// empty (also for the `(null)` a C tool prints for a missing value).
fn checked_gtid(
    text: &str,
    origin: &Path,
    line: Option<u64>,
) -> Result<Option<String>, BackupError> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.is_empty() || compact == "(null)" {
        return Ok(None);
    }
    compact.parse::<GtidSet>().map_err(|why| {
        BackupError::malformed(origin, line, format!("the GTID set does not parse: {why}"))
    })?;
    Ok(Some(compact))
}
