//! MySQL Shell dumps (`util.dumpInstance`, `dumpSchemas`, `dumpTables`).
//!
//! `@.json`, written when the dump starts, holds the position taken under
//! the dump's lock: `"binlogFile"`, `"binlogPosition"` (MySQL Shell 8.0.24
//! and later) and `"gtidExecuted"` (the server's `gtid_executed`, its line
//! breaks escaped as `\n`), with `"consistent"` / `"gtidExecutedInconsistent"`
//! saying whether the data matches them. `@.done.json` is written when the
//! dump completes; without it the dump is incomplete.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use super::found::{Found, Located};
use super::{BackupCoordinates, BackupError, BackupTool};

/// Largest `@.json` read (it lists schemas, users and their file names).
const MAX_JSON: u64 = 256 * 1024 * 1024;

/// The members of `@.json` that matter here.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct DumpStarted {
    dumper: Option<String>,
    binlog_file: Option<String>,
    binlog_position: Option<u64>,
    gtid_executed: Option<String>,
    gtid_executed_inconsistent: Option<bool>,
    consistent: Option<bool>,
}

/// Reads the `@.json` at `path`, once `@.done.json` next to it says the dump
/// finished.
pub(super) fn read(path: &Path) -> Result<BackupCoordinates, BackupError> {
    let done = path.with_file_name("@.done.json");
    if !done.is_file() {
        return Err(BackupError::Unfinished {
            path: path.to_path_buf(),
            reason: "@.done.json is missing next to it: MySQL Shell writes it when the dump completes, so this dump failed, was interrupted, or is still running (util.loadDump would wait for it too). Take a new dump, or wait for this one to finish".to_string(),
        });
    }
    let file = File::open(path).map_err(BackupError::io(path))?;
    let mut text = String::new();
    file.take(MAX_JSON + 1)
        .read_to_string(&mut text)
        .map_err(BackupError::io(path))?;
    if text.len() as u64 > MAX_JSON {
        return Err(BackupError::malformed(
            path,
            None,
            format!("larger than {MAX_JSON} bytes: not a MySQL Shell @.json"),
        ));
    }
    let started: DumpStarted = serde_json::from_str(&text).map_err(|e| {
        BackupError::malformed(
            path,
            Some(e.line() as u64),
            format!("not the JSON MySQL Shell writes: {e}"),
        )
    })?;
    if started.dumper.is_none() && started.binlog_file.is_none() && started.gtid_executed.is_none()
    {
        return Err(BackupError::NotABackup {
            path: path.to_path_buf(),
            reason: "this JSON has none of \"dumper\", \"binlogFile\", \"gtidExecuted\": it is not a MySQL Shell dump's @.json".to_string(),
        });
    }
    if started.consistent == Some(false) || started.gtid_executed_inconsistent == Some(true) {
        return Err(BackupError::Inconsistent {
            path: path.to_path_buf(),
            reason: "MySQL Shell dumped without a consistent snapshot (\"consistent\": false, \"gtidExecutedInconsistent\": true): the tables were read at different moments, so no binlog position or GTID set matches the data. Take the dump again with consistent: true (the default)".to_string(),
        });
    }
    let mut found = Found::default();
    if let Some(file) = started.binlog_file.filter(|f| !f.is_empty()) {
        let line = key_line(&text, "binlogFile");
        found.file = Some(Located { value: file, line });
        found.position = started.binlog_position.map(|value| Located {
            value,
            line: key_line(&text, "binlogPosition").or(line),
        });
    }
    found.gtid = started.gtid_executed.map(|value| Located {
        value,
        line: key_line(&text, "gtidExecuted"),
    });
    found
        .into_coordinates(BackupTool::MysqlShell, path)?
        .ok_or_else(|| BackupError::NoCoordinates {
            path: path.to_path_buf(),
            reason: "\"binlogFile\" and \"gtidExecuted\" are missing or empty: the server had binary logging and GTIDs off, or MySQL Shell was older than 8.0.24 (which records no binlog position)".to_string(),
        })
}

/// The 1-based line of a top-level `"key":` (MySQL Shell indents them by
/// four spaces; deeper members, such as schema names, by more).
fn key_line(text: &str, key: &str) -> Option<u64> {
    let quoted = format!("\"{key}\"");
    text.lines().enumerate().find_map(|(i, line)| {
        let rest = line.trim_start();
        let indent = line.len() - rest.len();
        (indent <= 4 && rest.strip_prefix(&quoted)?.trim_start().starts_with(':'))
            .then_some(i as u64 + 1)
    })
}
