//! mydumper's `metadata` file, in the forms its versions wrote.
//!
//! - 0.9 to 0.13, text: `Started dump at:`, a `SHOW MASTER STATUS:` block of
//!   indented `Log:`, `Pos:`, `GTID:` lines (a MySQL set of several servers
//!   keeps the server's `,\n` line breaks), `SHOW SLAVE STATUS:` blocks, and
//!   `Finished dump at:` last.
//! - 0.14 to 0.16.5, INI: `[master]` with `File = `, `Position = `,
//!   `Executed_Gtid_Set = ` (unquoted, possibly wrapped like the text form).
//! - 0.16.7 to 0.19: `[source]` with the same keys, or with `--source-data`
//!   `executed_gtid_set = "…"`, `SOURCE_LOG_FILE = "…"`, `SOURCE_LOG_POS = n`
//!   (the last two commented out, `#SOURCE_LOG_FILE`, when replication is set
//!   up with auto-position).
//! - 0.20.1 to 0.20.2-4: `[source]` holds the coordinates only with
//!   `--source-data`; without it the section is empty.
//! - 0.20.2-5 on: always `# executed_gtid_set = "…"`, `# SOURCE_LOG_FILE =
//!   "…"`, `# SOURCE_LOG_POS = n` commented, and the uncommented lines too
//!   with `--source-data`.
//!
//! INI forms open with `# Started dump at:` and end with `# Finished dump at:`.
//! Other sections (`[config]`, `[myloader_session_variables]`, per-table
//! ``[`db`.`t`]``, and `[replication…]` with the replica's source position)
//! are not the dumped server's coordinates and are skipped. mydumper writes
//! `metadata.partial` while it runs and renames it to `metadata` at the end.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use super::found::{Found, MAX_GTID_TEXT};
use super::scan::{LineScanner, METADATA_LINE_CAP};
use super::text::{strip_prefix_ci, unquote};
use super::{BackupCoordinates, BackupError, BackupTool};

/// Reads the dump directory's `metadata`, refusing a dump that did not finish.
pub(super) fn read_dir(dir: &Path) -> Result<BackupCoordinates, BackupError> {
    let metadata = dir.join("metadata");
    let partial = dir.join("metadata.partial");
    if partial.is_file() {
        let reason = if metadata.is_file() {
            "metadata.partial is there next to metadata: a later mydumper run into this directory did not finish, so its files may be a mix of two dumps. Take a new dump into an empty directory"
        } else {
            "mydumper writes metadata.partial while it dumps and renames it to metadata when it finishes; this dump failed, was killed, or is still running. Take a new dump (or wait for this one to finish)"
        };
        return Err(BackupError::Unfinished {
            path: partial,
            reason: reason.to_string(),
        });
    }
    if !metadata.is_file() {
        return Err(BackupError::NotABackup {
            path: dir.to_path_buf(),
            reason: "no mydumper metadata or metadata.partial here".to_string(),
        });
    }
    read_file(&metadata)
}

/// Where a line of the metadata file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    /// Before any section.
    Top,
    /// Text form `SHOW MASTER STATUS:`: the dumped server's coordinates.
    ShowMaster,
    /// INI `[master]` / `[source]`: the dumped server's coordinates.
    Source,
    /// `SHOW SLAVE STATUS:` / `[replication…]`: another server's binlogs.
    Replica,
    /// Anything else.
    Other,
}

/// Coordinates of one section: as written, and as commented-out lines.
#[derive(Debug, Default)]
struct Collected {
    live: Found,
    commented: Found,
}

/// Reads one metadata file.
pub(super) fn read_file(path: &Path) -> Result<BackupCoordinates, BackupError> {
    let file = File::open(path).map_err(BackupError::io(path))?;
    let mut lines = LineScanner::new(BufReader::new(file), METADATA_LINE_CAP);
    let mut section = Section::Top;
    let mut got = Collected::default();
    let mut finished = false;
    let mut text_form = false;
    let mut source_line: Option<u64> = None;
    let mut replica_line: Option<u64> = None;
    // The GTID value being continued on the next lines, and whether it
    // came from a commented line.
    let mut open_gtid: Option<bool> = None;
    while let Some(line) = lines.next_line().map_err(BackupError::io(path))? {
        if line.truncated {
            return Err(BackupError::malformed(
                path,
                Some(line.number),
                "line too long for a mydumper metadata file; the file is damaged or not one",
            ));
        }
        let at = Some(line.number);
        let raw = line.text();
        let text = raw.trim();
        if let Some(commented) = open_gtid {
            if continues_gtid(text) {
                let found = if commented {
                    &mut got.commented
                } else {
                    &mut got.live
                };
                if let Some(g) = found.gtid.as_mut() {
                    let piece = text.trim_end_matches(['"', '\'']);
                    g.value.push_str(piece);
                    if g.value.len() > MAX_GTID_TEXT {
                        return Err(BackupError::malformed(path, at, "GTID set too long"));
                    }
                    if piece.ends_with(',') {
                        continue;
                    }
                }
                open_gtid = None;
                continue;
            }
            open_gtid = None;
        }
        if text.is_empty() {
            continue;
        }
        if text.starts_with("Finished dump at:") || text.starts_with("# Finished dump at:") {
            finished = true;
            continue;
        }
        if text.starts_with("Started dump at:") {
            text_form = true;
            continue;
        }
        if text.eq_ignore_ascii_case("SHOW MASTER STATUS:") {
            text_form = true;
            section = Section::ShowMaster;
            source_line = at;
            continue;
        }
        if strip_prefix_ci(text, "SHOW SLAVE STATUS").is_some()
            || strip_prefix_ci(text, "SHOW REPLICA STATUS").is_some()
        {
            section = Section::Replica;
            replica_line = replica_line.or(at);
            continue;
        }
        if text.starts_with('[') && text.ends_with(']') {
            let name = text[1..text.len() - 1].trim().to_ascii_lowercase();
            section = match name.as_str() {
                "master" | "source" => {
                    source_line = at;
                    Section::Source
                }
                n if n.starts_with("replication") => {
                    replica_line = replica_line.or(at);
                    Section::Replica
                }
                _ => Section::Other,
            };
            continue;
        }
        match section {
            Section::ShowMaster => {
                let Some((key, value)) = text.split_once(':') else {
                    continue;
                };
                let value = value.trim();
                match key.trim().to_ascii_lowercase().as_str() {
                    "log" => Found::set(
                        &mut got.live.file,
                        value.to_string(),
                        at,
                        "binlog file",
                        path,
                    )?,
                    "pos" => {
                        let pos = number(value, path, at)?;
                        Found::set(&mut got.live.position, pos, at, "binlog position", path)?
                    }
                    "gtid" => {
                        Found::set(&mut got.live.gtid, value.to_string(), at, "GTID set", path)?;
                        if value.ends_with(',') {
                            open_gtid = Some(false);
                        }
                    }
                    _ => {}
                }
            }
            Section::Source => {
                let (commented, body) = match text.strip_prefix('#') {
                    Some(rest) => (true, rest.trim_start()),
                    None => (false, text),
                };
                let Some((key, value)) = body.split_once('=') else {
                    continue;
                };
                let found = if commented {
                    &mut got.commented
                } else {
                    &mut got.live
                };
                let value = value.trim();
                match key.trim().to_ascii_lowercase().as_str() {
                    "file" | "source_log_file" | "master_log_file" => Found::set(
                        &mut found.file,
                        unquote(value).to_string(),
                        at,
                        "binlog file",
                        path,
                    )?,
                    "position" | "source_log_pos" | "master_log_pos" => {
                        let pos = number(unquote(value), path, at)?;
                        Found::set(&mut found.position, pos, at, "binlog position", path)?
                    }
                    "executed_gtid_set" => {
                        let open = open_quote(value);
                        let gtid = unquote(value).trim_start_matches(['"', '\'']).to_string();
                        let wraps = open || gtid.ends_with(',');
                        Found::set(&mut found.gtid, gtid, at, "GTID set", path)?;
                        if wraps {
                            open_gtid = Some(commented);
                        }
                    }
                    _ => {}
                }
            }
            Section::Top | Section::Replica | Section::Other => {}
        }
    }

    if !finished {
        let marker = if text_form {
            "Finished dump at:"
        } else {
            "# Finished dump at:"
        };
        return Err(BackupError::Unfinished {
            path: path.to_path_buf(),
            reason: format!("it has no `{marker}` line, which mydumper writes last when the dump completes; the dump was cut short, or the file was cut while being copied. Take a new dump"),
        });
    }
    let found = merge(got);
    let empty = found.is_empty();
    if let Some(coordinates) = found.into_coordinates(BackupTool::Mydumper, path)? {
        return Ok(coordinates);
    }
    Err(BackupError::NoCoordinates {
        path: path.to_path_buf(),
        reason: no_coordinates_reason(text_form, source_line, replica_line, empty),
    })
}

/// Each field from the written line when there is one, else from the
/// commented-out line (both name the same position).
fn merge(got: Collected) -> Found {
    let Collected { live, commented } = got;
    Found {
        file: live.file.or(commented.file),
        position: live.position.or(commented.position),
        gtid: live.gtid.or(commented.gtid),
    }
}

fn no_coordinates_reason(
    text_form: bool,
    source_line: Option<u64>,
    replica_line: Option<u64>,
    empty: bool,
) -> String {
    if let Some(line) = source_line.filter(|_| !text_form && empty) {
        return format!("the [source] section at line {line} holds no binlog file, position or GTID set: mydumper 0.20.1 to 0.20.2-4 write them only when run with --source-data. Take the dump again with --source-data (or with mydumper 0.20.2-5 or later)");
    }
    if source_line.is_some() {
        return "the SHOW MASTER STATUS / [source] section names no binlog file and no GTID set"
            .to_string();
    }
    let replica = replica_line.map_or(String::new(), |l| {
        format!(" The replication section at line {l} is the position in the binlogs of this server's replication source, another server, so it is not used.")
    });
    format!("there is no SHOW MASTER STATUS / [master] / [source] section: the server had binary logging off, or the dump user could not run SHOW MASTER STATUS (it needs the REPLICATION CLIENT privilege, BINLOG MONITOR on MariaDB 10.5+), or the server is MySQL 8.4 or later, which no longer has SHOW MASTER STATUS (SHOW BINARY LOG STATUS replaced it): a mydumper that still runs it writes no coordinates and exits 0 (Debian 12's mydumper 0.10 does so against MySQL 9.7). For MySQL 8.4 and later take the backup with mysqldump --source-data=2 --single-transaction, or a mydumper that records the position.{replica}")
}

/// Whether `text` carries on a GTID set from the line before: a bare piece of
/// a set, not a key, a section or a marker.
fn continues_gtid(text: &str) -> bool {
    !text.is_empty()
        && !text.starts_with('[')
        && !text.starts_with('#')
        && !text.contains('=')
        && !text.contains(": ")
        && !text.ends_with(':')
        && !text.to_ascii_lowercase().starts_with("gtid:")
}

/// Whether `value` opens a quote it does not close.
fn open_quote(value: &str) -> bool {
    let v = value.trim();
    match v.chars().next() {
        Some(q @ ('"' | '\'')) => v.len() == 1 || !v[1..].ends_with(q),
        _ => false,
    }
}

fn number(value: &str, path: &Path, line: Option<u64>) -> Result<u64, BackupError> {
    value.trim().parse().map_err(|_| {
        BackupError::malformed(
            path,
            line,
            format!("binlog position `{value}` is not a number"),
        )
    })
}
