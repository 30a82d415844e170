//! Finding one server's binlogs and putting them in order: from a list of
//! files, a directory (a datadir, a binlog archive) or an index file
//! (`binlog.index`).
//!
//! Files are taken in the order of their numbers (`binlog.000041`,
//! `binlog.000042`), never of their modification times, and that order
//! must be the one their own contents give: each file's closing ROTATE
//! names the next, and each file's GTID state (GTID_LIST, PREVIOUS_GTIDS)
//! continues the one before. Relay logs, MariaDB GTID index files (`.idx`)
//! and InnoDB binlogs (`.ibb`) are not binlogs to replay; in a directory
//! anything else not made of binlog events is left alone.

use std::path::{Path, PathBuf};

use myreplay_binlog::stream::numbered as number;
use myreplay_binlog::ReaderOptions;

use crate::binlog_file::{file_name, BinlogFile};
use crate::error::SourceError;

/// Where the binlogs are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BinlogLocation {
    /// These files, in this order.
    Files(Vec<PathBuf>),
    /// Every binlog of this directory.
    Dir(PathBuf),
    /// The files an index file lists (paths relative to its directory).
    Index(PathBuf),
}

/// One server's binlogs, scanned, in order.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BinlogSet {
    pub files: Vec<BinlogFile>,
    /// Files of the location that were not taken, and why.
    pub left_out: Vec<(PathBuf, String)>,
}

impl BinlogSet {
    /// Finds, scans and orders the binlogs at `location`.
    pub fn discover(
        location: &BinlogLocation,
        options: ReaderOptions,
    ) -> Result<Self, SourceError> {
        let mut left_out = vec![];
        let paths = match location {
            BinlogLocation::Files(files) => {
                for f in files {
                    refuse_by_name(f)?;
                }
                files.clone()
            }
            BinlogLocation::Index(index) => {
                let paths = read_index(index)?;
                for f in &paths {
                    refuse_by_name(f)?;
                }
                paths
            }
            BinlogLocation::Dir(dir) => candidates(dir, &mut left_out)?,
        };
        let mut files = vec![];
        for p in &paths {
            match BinlogFile::scan(p, options) {
                Ok(f) => files.push(f),
                Err(SourceError::Binlog(myreplay_binlog::Error::NotABinlog { .. }))
                    if matches!(location, BinlogLocation::Dir(_)) =>
                {
                    left_out.push((p.clone(), "not a binlog (no binlog magic number)".into()));
                }
                Err(e) => return Err(e),
            }
        }
        if let BinlogLocation::Dir(dir) = location {
            files = one_stem(dir, files)?;
            files.sort_by_key(|f| number(&f.name).map(|(_, n)| n));
        }
        if let Some(relay) = files.iter().find(|f| f.relay_log) {
            return Err(SourceError::Files {
                reason: format!(
                    "{} is a relay log (it holds another server's FORMAT_DESCRIPTION event): relay logs are not the source's binlogs. Give the source's own binlogs (binlog.NNNNNN in its datadir)",
                    relay.path.display()
                ),
            });
        }
        if files.is_empty() {
            return Err(SourceError::Files {
                reason: match location {
                    BinlogLocation::Dir(d) => {
                        format!("{}: no binlog files in this directory", d.display())
                    }
                    BinlogLocation::Index(i) => {
                        format!("{}: the index lists no binlog files", i.display())
                    }
                    BinlogLocation::Files(_) => "no binlog files given".into(),
                },
            });
        }
        Ok(BinlogSet { files, left_out })
    }

    /// The index of the file named `name` (compared by file name).
    pub fn position_of(&self, name: &str) -> Option<usize> {
        let name = file_name(Path::new(name));
        self.files.iter().position(|f| f.name == name)
    }
}

/// Refuses a file that is not a binlog to replay, by its name.
fn refuse_by_name(path: &Path) -> Result<(), SourceError> {
    let name = file_name(path);
    let why = if name.ends_with(".idx") {
        "a MariaDB GTID index file (.idx), not a binlog"
    } else if name.ends_with(".ibb") {
        "a binlog stored in InnoDB (.ibb, MariaDB 12's binlog_storage_engine), which myreplay cannot read"
    } else if name.ends_with(".index") {
        "a binlog index file: give it with --binlog-index, not as a binlog"
    } else {
        return Ok(());
    };
    Err(SourceError::Files {
        reason: format!("{}: {why}", path.display()),
    })
}

/// The files an index file names, relative to its directory.
fn read_index(index: &Path) -> Result<Vec<PathBuf>, SourceError> {
    let text = std::fs::read_to_string(index).map_err(|source| SourceError::Io {
        path: index.to_path_buf(),
        source,
    })?;
    let dir = index.parent().unwrap_or(Path::new("."));
    let mut out = vec![];
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let p = Path::new(line);
        let p = if p.is_absolute() {
            p.to_path_buf()
        } else {
            dir.join(line.strip_prefix("./").unwrap_or(line))
        };
        if !p.exists() {
            return Err(SourceError::Files {
                reason: format!(
                    "{} lists {}, which does not exist: the index and the files disagree (copied without it, or purged by hand). Put the file back, or give the files or the directory instead",
                    index.display(),
                    p.display()
                ),
            });
        }
        out.push(p);
    }
    Ok(out)
}

/// The files of `dir` named like binlogs (`STEM.NNN`), in name order; the
/// rest is noted in `left_out` when it looks related.
fn candidates(
    dir: &Path,
    left_out: &mut Vec<(PathBuf, String)>,
) -> Result<Vec<PathBuf>, SourceError> {
    let io = |source| SourceError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut out = vec![];
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let path = entry.path();
        if !entry.file_type().map_err(io)?.is_file() {
            continue;
        }
        let name = file_name(&path);
        if name.ends_with(".ibb") {
            return Err(SourceError::Files {
                reason: format!(
                    "{}: binlogs stored in InnoDB (.ibb, MariaDB 12's binlog_storage_engine), which myreplay cannot read",
                    path.display()
                ),
            });
        }
        if name.ends_with(".idx") {
            left_out.push((path, "a MariaDB GTID index file, not a binlog".into()));
            continue;
        }
        if number(&name).is_some() {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}

/// The binlogs of one name: several names (binlog.*, relay-bin.*) are
/// refused, naming them.
fn one_stem(dir: &Path, files: Vec<BinlogFile>) -> Result<Vec<BinlogFile>, SourceError> {
    let mut stems: Vec<(String, usize)> = vec![];
    for f in &files {
        let stem = number(&f.name)
            .map(|(s, _)| s.to_string())
            .unwrap_or_default();
        match stems.iter_mut().find(|(s, _)| *s == stem) {
            Some((_, n)) => *n += 1,
            None => stems.push((stem, 1)),
        }
    }
    if stems.len() > 1 {
        let list = stems
            .iter()
            .map(|(s, n)| format!("{s}.* ({n} files)"))
            .collect::<Vec<_>>()
            .join(", ");
        return Err(SourceError::Files {
            reason: format!(
                "{} holds binlogs of several names: {list}. Relay logs or another server's binlogs are mixed in: name the source's with --binlog-index {}/STEM.index, or list the files",
                dir.display(),
                dir.display()
            ),
        });
    }
    Ok(files)
}
