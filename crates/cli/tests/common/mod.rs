//! Helpers the `myreplay apply` test files share: the command, counting
//! transactions, reading stderr.

#![allow(dead_code)] // each test binary uses a different part of it

use std::path::PathBuf;
use std::process::{Command, Output};

use crate::support::PrivateMariaDb;

/// `myreplay apply` as `user` over the target's unix socket, without option
/// files (a password, when needed, goes in `MYSQL_PWD` on the command).
pub fn apply_as(target: &PrivateMariaDb, user: &str, files: &[PathBuf], extra: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_myreplay"));
    c.arg("apply")
        .arg("-S")
        .arg(target.socket())
        .args(["-u", user, "--no-defaults"])
        .args(extra)
        .args(files);
    c
}

/// `myreplay apply` as root over the target's unix socket.
pub fn apply_socket(target: &PrivateMariaDb, files: &[PathBuf], extra: &[&str]) -> Command {
    apply_as(target, "root", files, extra)
}

/// Transactions in the files, as `myreplay transactions` counts them.
pub fn transactions(files: &[PathBuf]) -> u64 {
    let out = Command::new(env!("CARGO_BIN_EXE_myreplay"))
        .arg("transactions")
        .args(files)
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout).lines().count() as u64
}

/// `myreplay ARGS FILES`'s standard output; panics with its stderr unless
/// it succeeded.
pub fn myreplay(args: &[&str], files: &[PathBuf]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_myreplay"))
        .args(args)
        .args(files)
        .output()
        .unwrap();
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Events (offset, end, type) of the files, in order, from `myreplay events`.
pub fn events(files: &[PathBuf]) -> Vec<(String, u64, u64, String)> {
    let out = Command::new(env!("CARGO_BIN_EXE_myreplay"))
        .args(["events", "--json"])
        .args(files)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let e: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                e["file"].as_str().unwrap().to_string(),
                e["offset"].as_u64().unwrap(),
                e["end"].as_u64().unwrap(),
                e["type"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Bytes of the events that belong to transactions (everything but the
/// files' own header and rotation events).
pub fn transaction_bytes(events: &[(String, u64, u64, String)]) -> u64 {
    const FILE_EVENTS: [&str; 6] = [
        "FORMAT_DESCRIPTION",
        "GTID_LIST",
        "BINLOG_CHECKPOINT",
        "PREVIOUS_GTIDS",
        "ROTATE",
        "STOP",
    ];
    events
        .iter()
        .filter(|e| !FILE_EVENTS.contains(&e.3.as_str()))
        .map(|e| e.2 - e.1)
        .sum()
}

/// Rows in the target's checkpoint table (0 before it exists).
pub fn checkpoint_rows(target: &PrivateMariaDb) -> u64 {
    use mysql::prelude::Queryable;
    target
        .conn()
        .query_first("SELECT COUNT(*) FROM myreplay.applied")
        .ok()
        .flatten()
        .unwrap_or(0)
}
