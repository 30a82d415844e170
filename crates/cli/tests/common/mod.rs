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

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}
