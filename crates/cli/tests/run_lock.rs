//! One replay per checkpoint table at a time (issue 11), on MariaDB 10.11,
//! MariaDB 11.8 and MySQL 9.7:
//!
//! - a second `myreplay apply` of the same binlogs into the same target,
//!   while the first runs, is refused at once (exit 12), writes nothing,
//!   and names the connection that holds the lock; the first finishes equal
//!   to the source; once it is done the same command runs (and finds
//!   nothing to do);
//! - a unit whose attempt failed (a lock wait timeout) and whose
//!   transaction another session committed meanwhile, checkpoint row and
//!   all, is not applied again: the retry asks the checkpoint table first.
//!   Regression: the retry after ERROR 1213 / 1205 ran the unit again
//!   without asking, and two replays racing on a cluster stopped on
//!   `ERROR 1062 Duplicate entry`.
//!
//! A replay killed with SIGKILL leaves no lock behind (the server releases
//! it with the connection): `faults.rs` runs the same command right after
//! each of its kills.

mod common;
#[path = "../../apply/tests/support/mod.rs"]
mod support;

use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use common::{apply_socket, checkpoint_rows, stderr};
use mysql::prelude::Queryable;
use support::{assert_same_tables, Flavour, PrivateMariaDb};

/// A source, `targets` snapshots of it (lock wait timeout 1 s), and `n`
/// transactions: each updates rows 1 and 2 of `app.t` and inserts a row.
fn workload(
    f: Flavour,
    targets: usize,
    n: usize,
) -> (PrivateMariaDb, Vec<PrivateMariaDb>, Vec<PathBuf>) {
    let mut source = PrivateMariaDb::start_flavour(f, &[]);
    source.exec(
        "CREATE DATABASE app;
         CREATE TABLE app.t (id INT PRIMARY KEY, n BIGINT NOT NULL) ENGINE=InnoDB;
         INSERT INTO app.t VALUES (1, 0), (2, 0);",
    );
    let options = ["--skip-log-bin", "--innodb-lock-wait-timeout=1"];
    let targets = (0..targets).map(|_| source.snapshot(&options)).collect();
    let before = source.binlogs().len();
    let mut sql = String::from("USE app;");
    for i in 0..n {
        sql += &txn_sql(i);
    }
    source.exec(&sql);
    source.exec("FLUSH BINARY LOGS");
    let files = source.binlogs_since(before);
    (source, targets, files)
}

/// Transaction `i` of [`workload`].
fn txn_sql(i: usize) -> String {
    format!(
        "BEGIN; UPDATE t SET n = n + {i} + 1 WHERE id = 1; UPDATE t SET n = (n * 3 + 1) % 1000003 WHERE id = 2; INSERT INTO t VALUES ({}, {i}); COMMIT;",
        i + 10
    )
}

/// Waits until a row lock is waited for on `db` while a statement that
/// starts with `statement` runs; panics if `replay` ends first.
fn wait_for_lock_wait(db: &PrivateMariaDb, replay: &mut Child, statement: &str) {
    let started = Instant::now();
    loop {
        let mut conn = db.conn();
        let (_, waits): (String, u64) = conn
            .query_first("SHOW GLOBAL STATUS LIKE 'Innodb_row_lock_current_waits'")
            .unwrap()
            .unwrap();
        let running: Option<u64> = conn
            .query_first(format!(
                "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE '{statement}%'"
            ))
            .unwrap();
        if waits > 0 && running.unwrap_or(0) > 0 {
            return;
        }
        if let Some(status) = replay.try_wait().unwrap() {
            let mut err = String::new();
            if let Some(mut e) = replay.stderr.take() {
                let _ = std::io::Read::read_to_string(&mut e, &mut err);
            }
            panic!("the replay ended ({status}) before waiting on `{statement}`: {err}");
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the replay never waited on `{statement}`"
        );
        sleep(Duration::from_millis(5));
    }
}

fn a_second_replay_into_the_same_target_is_refused_while_the_first_runs(f: Flavour) {
    let (source, targets, files) = workload(f, 1, 1500);
    let target = &targets[0];
    let slow = ["--workers", "1", "--unit-transactions", "1"];
    let first = apply_socket(target, &files, &slow)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while checkpoint_rows(target) == 0 {
        assert!(started.elapsed() < Duration::from_secs(60), "no progress");
        sleep(Duration::from_millis(5));
    }
    // The same command again, while the first runs.
    let t = Instant::now();
    let second = apply_socket(target, &files, &["--json"]).output().unwrap();
    let err = stderr(&second);
    eprintln!("{err}");
    assert_eq!(second.status.code(), Some(12), "{err}");
    assert!(t.elapsed() < Duration::from_secs(10), "refused at once");
    assert!(
        err.contains("another `myreplay apply` is replaying into this target")
            && err.contains("`myreplay`.`applied`")
            && err.contains("held by connection")
            && err.contains("nothing was written"),
        "{err}"
    );
    let out = first.wait_with_output().unwrap();
    assert!(out.status.success(), "the first run: {}", stderr(&out));
    assert_eq!(checkpoint_rows(target), 1500, "one row per transaction");
    assert_same_tables(&source, target);
    // The lock went with the first run: the same command runs, nothing to do.
    let again = apply_socket(target, &files, &[]).output().unwrap();
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(
        String::from_utf8_lossy(&again.stdout).contains("applied 0 transactions (1500 skipped"),
        "{}",
        String::from_utf8_lossy(&again.stdout)
    );
}

fn a_retried_unit_committed_meanwhile_by_another_session_is_not_applied_again(f: Flavour) {
    let (source, targets, files) = workload(f, 1, 50);
    let target = &targets[0];
    // The first transaction, as the checkpoint table records it.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_myreplay"))
        .args(["transactions", "--json"])
        .args(&files)
        .output()
        .unwrap();
    let first: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&out.stdout).lines().next().unwrap()).unwrap();
    let file = std::path::Path::new(first["file"].as_str().unwrap())
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let offset = first["offset"].as_u64().unwrap();
    let gtid = first["gtid"].as_str().unwrap_or_default().to_string();

    // Row 1 locked: the replay's first unit waits for it, and times out.
    let mut other = target.conn();
    other.query_drop("START TRANSACTION").unwrap();
    other
        .query_drop("SELECT * FROM app.t WHERE id = 1 FOR UPDATE")
        .unwrap();
    let mut replay = apply_socket(
        target,
        &files,
        &["--workers", "1", "--unit-transactions", "1"],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    wait_for_lock_wait(target, &mut replay, "BINLOG");
    // Meanwhile the other session does the first transaction itself, with
    // its checkpoint row (as another run would), and commits once the
    // replay, after its attempt timed out, asks the checkpoint table (a
    // locking read: it waits for this commit).
    other
        .query_drop(format!(
            "USE app; {}",
            txn_sql(0).replace("BEGIN; ", "").replace(" COMMIT;", "")
        ))
        .unwrap();
    other
        .query_drop(format!(
            "INSERT INTO myreplay.applied (source_file, source_offset, gtid) VALUES ('{file}', {offset}, '{gtid}')"
        ))
        .unwrap();
    wait_for_lock_wait(
        target,
        &mut replay,
        "SELECT COUNT(*) FROM `myreplay`.`applied`",
    );
    other.query_drop("COMMIT").unwrap();
    let out = replay.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the retry finds the unit committed and goes on: {}",
        stderr(&out)
    );
    assert_eq!(checkpoint_rows(target), 50);
    assert_same_tables(&source, target);
}

macro_rules! run_lock {
    ($module:ident, $flavour:expr) => {
        $crate::flavour_tests!(
            $module,
            $flavour,
            [
                a_second_replay_into_the_same_target_is_refused_while_the_first_runs,
                a_retried_unit_committed_meanwhile_by_another_session_is_not_applied_again,
            ]
        );
    };
}

run_lock!(on_mariadb_10_11, Flavour::MariaDb);
run_lock!(on_mariadb_11_8, Flavour::MariaDb118);
run_lock!(on_mysql_9_7, Flavour::MySql97);
