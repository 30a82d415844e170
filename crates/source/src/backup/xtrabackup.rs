//! mariadb-backup and Percona XtraBackup backup directories.
//!
//! Both write the result of `SHOW MASTER STATUS` taken under the backup lock
//! to a binlog info file, `file<TAB>position[<TAB>GTID set]`, and the same
//! again as the `binlog_pos` line of the info file:
//!
//! ```text
//! binlog.000002<TAB>605<TAB>0-1-4,2-1-1
//! binlog_pos = filename 'binlog.000002', position '605', GTID of the last change '0-1-4,2-1-1'
//! ```
//!
//! MariaDB 10.11 still names them `xtrabackup_binlog_info` and
//! `xtrabackup_info` (with `tool_name = mariadb-backup`); later versions
//! write `mariadb_backup_binlog_info` and `mariadb_backup_info`. A MySQL
//! GTID set naming several servers keeps the server's line breaks (`,\n`)
//! and so spans lines in both files. `xtrabackup_slave_info` holds the
//! replica's source position (another server's binlogs) and is never read.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use super::found::{Found, Located, MAX_GTID_TEXT};
use super::scan::{LineScanner, METADATA_LINE_CAP};
use super::text::{find_ci, leading_number};
use super::{BackupCoordinates, BackupError, BackupTool};

/// Binlog info files, most exact first.
pub(super) const BINLOG_INFO_FILES: [&str; 2] =
    ["mariadb_backup_binlog_info", "xtrabackup_binlog_info"];
/// Info files holding `tool_name` and `binlog_pos`.
pub(super) const INFO_FILES: [&str; 2] = ["mariadb_backup_info", "xtrabackup_info"];
/// Files every backup of these tools has, binlog or not.
pub(super) const CHECKPOINT_FILES: [&str; 2] =
    ["mariadb_backup_checkpoints", "xtrabackup_checkpoints"];
/// Replica-side files: the position in the replica's source's binlogs.
pub(super) const SLAVE_INFO_FILES: [&str; 2] =
    ["mariadb_backup_slave_info", "xtrabackup_slave_info"];

/// Reads a backup directory: the binlog info file, else the info file.
pub(super) fn read_dir(dir: &Path) -> Result<BackupCoordinates, BackupError> {
    let info_path = existing(dir, &INFO_FILES);
    if let Some(path) = existing(dir, &BINLOG_INFO_FILES) {
        return read_binlog_info(&path, tool_hints(info_path.as_deref()).as_ref());
    }
    if let Some(path) = info_path {
        let info = read_info(&path)?;
        return coordinates_from_info(&path, info);
    }
    Err(BackupError::NoCoordinates {
        path: dir.to_path_buf(),
        reason: format!(
            "there is no {} nor {} here: the tool writes them only when the server has binary logging on (XtraBackup also skips them with --binlog-info=OFF); without them this backup cannot start a binlog replay",
            BINLOG_INFO_FILES.join(" / "),
            INFO_FILES.join(" / ")
        ),
    })
}

/// Reads one file of such a backup: a binlog info file (the info file next
/// to it names the tool) or an info file.
pub(super) fn read_file(path: &Path, name: &str) -> Result<BackupCoordinates, BackupError> {
    if INFO_FILES.contains(&name) {
        let info = read_info(path)?;
        return coordinates_from_info(path, info);
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let info = tool_hints(existing(dir, &INFO_FILES).as_deref());
    read_binlog_info(path, info.as_ref())
}

/// The info file next to a binlog info file, read only to name the tool: a
/// damaged info file does not stand in the way of the binlog info file.
fn tool_hints(info: Option<&Path>) -> Option<Info> {
    info.and_then(|p| read_info(p).ok())
}

fn existing(dir: &Path, names: &[&str]) -> Option<PathBuf> {
    names.iter().map(|n| dir.join(n)).find(|p| p.is_file())
}

/// What the info file says.
#[derive(Debug, Default)]
struct Info {
    tool_name: Option<String>,
    tool_version: Option<String>,
    /// The `binlog_pos` value (all its lines joined) and its line.
    binlog_pos: Option<Located<String>>,
}

fn read_info(path: &Path) -> Result<Info, BackupError> {
    let file = File::open(path).map_err(BackupError::io(path))?;
    let mut lines = LineScanner::new(BufReader::new(file), METADATA_LINE_CAP);
    let mut info = Info::default();
    // A binlog_pos whose GTID set spans lines: the text so far.
    let mut open_pos: Option<Located<String>> = None;
    while let Some(line) = lines.next_line().map_err(BackupError::io(path))? {
        if line.truncated {
            return Err(too_long(path, line.number));
        }
        let text = line.text();
        if let Some(pos) = open_pos.as_mut() {
            pos.value.push_str(&text);
            if pos.value.len() > MAX_GTID_TEXT {
                return Err(too_long(path, line.number));
            }
            if quotes_balanced(&pos.value) {
                info.binlog_pos = open_pos.take();
            }
            continue;
        }
        let Some((key, value)) = text.split_once('=') else {
            continue;
        };
        let value = value.trim().to_string();
        match key.trim() {
            "tool_name" => info.tool_name = Some(value),
            "tool_version" => info.tool_version = Some(value),
            "binlog_pos" if !value.is_empty() => {
                let pos = Located {
                    value,
                    line: Some(line.number),
                };
                if quotes_balanced(&pos.value) {
                    info.binlog_pos = Some(pos);
                } else {
                    open_pos = Some(pos);
                }
            }
            _ => {}
        }
    }
    if let Some(pos) = open_pos {
        return Err(BackupError::malformed(
            path,
            pos.line,
            "binlog_pos: the GTID set's closing quote is missing; the file was cut short. Read the coordinates from the binlog info file next to it",
        ));
    }
    Ok(info)
}

fn quotes_balanced(text: &str) -> bool {
    text.matches('\'').count() % 2 == 0
}

fn too_long(path: &Path, line: u64) -> BackupError {
    BackupError::malformed(
        path,
        Some(line),
        "line too long for a backup metadata file; the file is damaged or not what its name says",
    )
}

/// Coordinates from `binlog_pos = filename '…', position '…'[, GTID of the
/// last change '…']`, for backups whose binlog info file is missing.
fn coordinates_from_info(path: &Path, info: Info) -> Result<BackupCoordinates, BackupError> {
    let name = file_name(path);
    let Some(pos) = info.binlog_pos.as_ref() else {
        return Err(BackupError::NoCoordinates {
            path: path.to_path_buf(),
            reason: "it has no binlog_pos line: the server had binary logging off when the backup ran (or XtraBackup ran with --binlog-info=OFF)".to_string(),
        });
    };
    let bad = |why: &str| {
        BackupError::malformed(
            path,
            pos.line,
            format!("binlog_pos `{}`: {why}; expected filename 'binlog.000002', position '379', GTID of the last change '…'", pos.value),
        )
    };
    let value = &pos.value;
    let file = after_marker(value, "filename")
        .and_then(|rest| single_quoted(rest))
        .ok_or_else(|| bad("no filename"))?;
    let position = after_marker(value, "position")
        .and_then(leading_number)
        .ok_or_else(|| bad("no position"))?;
    let gtid = after_marker(value, "GTID of the last change").map(|rest| {
        let rest = rest.trim_start().strip_prefix('\'').unwrap_or(rest);
        rest.rsplit_once('\'').map_or(rest, |(g, _)| g).to_string()
    });
    let found = Found {
        file: Some(Located {
            value: file.to_string(),
            line: pos.line,
        }),
        position: Some(Located {
            value: position,
            line: pos.line,
        }),
        gtid: gtid.map(|value| Located {
            value,
            line: pos.line,
        }),
    };
    let gtid_text = found.gtid.as_ref().map(|g| g.value.clone());
    let tool = tool_of(&name, Some(&info), gtid_text.as_deref());
    found
        .into_coordinates(tool, path)?
        .ok_or_else(|| bad("no coordinates"))
}

fn after_marker<'a>(text: &'a str, marker: &str) -> Option<&'a str> {
    find_ci(text, marker).map(|at| &text[at + marker.len()..])
}

fn single_quoted(text: &str) -> Option<&str> {
    let t = text.trim_start().strip_prefix('\'')?;
    t.split_once('\'').map(|(v, _)| v)
}

/// Reads `file<TAB>position[<TAB>GTID set]`, the set possibly continued on
/// the following lines.
fn read_binlog_info(path: &Path, info: Option<&Info>) -> Result<BackupCoordinates, BackupError> {
    let file = File::open(path).map_err(BackupError::io(path))?;
    let mut lines = LineScanner::new(BufReader::new(file), METADATA_LINE_CAP);
    let mut found = Found::default();
    while let Some(line) = lines.next_line().map_err(BackupError::io(path))? {
        if line.truncated {
            return Err(too_long(path, line.number));
        }
        let text = line.text();
        if text.trim().is_empty() {
            continue;
        }
        if found.file.is_none() {
            let mut fields = text.split_whitespace();
            let name = fields.next().unwrap_or_default();
            let pos = fields.next().ok_or_else(|| {
                BackupError::malformed(
                    path,
                    Some(line.number),
                    format!("`{text}` has a file name but no position; expected `binlog.000002<TAB>379<TAB>GTID set`"),
                )
            })?;
            let pos: u64 = pos.parse().map_err(|_| {
                BackupError::malformed(
                    path,
                    Some(line.number),
                    format!("position `{pos}` is not a number; expected `binlog.000002<TAB>379<TAB>GTID set`"),
                )
            })?;
            let at = Some(line.number);
            found.file = Some(Located {
                value: name.to_string(),
                line: at,
            });
            found.position = Some(Located {
                value: pos,
                line: at,
            });
            let gtid: String = fields.collect();
            if !gtid.is_empty() {
                found.gtid = Some(Located {
                    value: gtid,
                    line: at,
                });
            }
            continue;
        }
        // A GTID set continued from the line before (a MySQL set of several
        // servers, written with the server's `,\n`).
        match found.gtid.as_mut() {
            Some(g) if g.value.ends_with(',') => {
                g.value.push_str(text.trim());
                if g.value.len() > MAX_GTID_TEXT {
                    return Err(too_long(path, line.number));
                }
            }
            _ => {
                return Err(BackupError::malformed(
                    path,
                    Some(line.number),
                    format!("unexpected `{text}` after the coordinates; the file holds one line `file<TAB>position<TAB>GTID set`, the set continued on the next lines only after a comma"),
                ))
            }
        }
    }
    let name = file_name(path);
    let gtid_text = found.gtid.as_ref().map(|g| g.value.clone());
    let tool = tool_of(&name, info, gtid_text.as_deref());
    found.into_coordinates(tool, path)?.ok_or_else(|| {
        BackupError::malformed(
            path,
            None,
            "the file is empty; it should hold `binlog.000002<TAB>379<TAB>GTID set`. The info file next to it (binlog_pos line) may still have the coordinates",
        )
    })
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// mariadb-backup or XtraBackup: by the file's name, then the info file's
/// `tool_name` and `tool_version`, then the GTID flavour.
fn tool_of(file_name: &str, info: Option<&Info>, gtid: Option<&str>) -> BackupTool {
    if file_name.starts_with("mariadb_backup") {
        return BackupTool::MariaBackup;
    }
    if let Some(name) = info.and_then(|i| i.tool_name.as_deref()) {
        let name = name.to_ascii_lowercase();
        if name.contains("maria") {
            return BackupTool::MariaBackup;
        }
        if name.contains("xtrabackup") || name.contains("innobackupex") {
            return BackupTool::XtraBackup;
        }
    }
    if info
        .and_then(|i| i.tool_version.as_deref())
        .is_some_and(|v| v.contains("MariaDB"))
    {
        return BackupTool::MariaBackup;
    }
    // A MariaDB GTID state (`0-1-3`) has no `:`; a MySQL set always has.
    match gtid {
        Some(g) if !g.trim().is_empty() && !g.contains(':') => BackupTool::MariaBackup,
        _ => BackupTool::XtraBackup,
    }
}
