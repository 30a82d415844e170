//! A DDL commits on its own (an implicit commit): it cannot share a target
//! transaction with its checkpoint row the way row changes do. These tests
//! cut a replay in the window between the two, on every flavour, where the
//! server ran the DDL and the replay never heard back, and check that the
//! replay, or the next run, finds the DDL applied and records it once,
//! instead of running it again and stopping (the bug CI found on MariaDB
//! 11.8: `ERROR 1060 (42S21): Duplicate column name 'note'` on every run
//! after such a cut). A DDL the target already has without any cut is a
//! target that is not what the backup left, and still stops.

mod common;
#[path = "../../apply/tests/support/mod.rs"]
mod support;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use common::{apply_socket, checkpoint_rows, stderr, transactions};
use support::proxy::Proxy;
use support::{assert_same_tables, Flavour, PrivateMariaDb};

const SCHEMA: &str = "CREATE DATABASE app;
     CREATE TABLE app.ledger (id INT AUTO_INCREMENT PRIMARY KEY, amount BIGINT NOT NULL) ENGINE=InnoDB;";

/// What the tests cut: the reply to this DDL.
const DDL: &str = "ALTER TABLE app.ledger ADD COLUMN note VARCHAR(20) NULL";

/// A source and a target restored from it, and the source's binlogs: rows,
/// the DDL, then rows that use its column.
fn scenario(f: Flavour) -> (PrivateMariaDb, PrivateMariaDb, Vec<PathBuf>) {
    let mut source = PrivateMariaDb::start_flavour(f, &[]);
    source.exec(SCHEMA);
    let target = source.snapshot(&["--skip-log-bin"]);
    if f.is_mysql() {
        target.exec(
            "CREATE USER IF NOT EXISTS root@'127.0.0.1';
             GRANT ALL ON *.* TO root@'127.0.0.1' WITH GRANT OPTION;",
        );
    }
    let before = source.binlogs().len();
    let mut sql = String::new();
    for i in 0..200 {
        sql += &format!("INSERT INTO app.ledger (amount) VALUES ({i});");
    }
    sql += &format!("{DDL};");
    for i in 0..200 {
        sql += &format!("INSERT INTO app.ledger (amount, note) VALUES ({i}, 'n{i}');");
    }
    sql += "FLUSH BINARY LOGS;";
    source.exec(&sql);
    let files = source.binlogs_since(before);
    (source, target, files)
}

/// `myreplay apply` over TCP through `port` (the proxy).
fn apply_tcp(port: u16, files: &[PathBuf]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_myreplay"));
    c.args([
        "apply",
        "-h",
        "127.0.0.1",
        "-P",
        &port.to_string(),
        "-u",
        "root",
    ])
    // In the clear: the proxy reads the requests for the DDL.
    .args(["--no-defaults", "--ssl-mode", "DISABLED"])
    .args(["--workers", "2", "--unit-transactions", "2"])
    .args(files);
    c
}

/// The replay's warning that it found the cut DDL applied and recorded it.
fn says_the_ddl_was_found_applied(err: &str) -> bool {
    err.contains("was found already applied") && err.contains("1060")
}

/// The reply to the DDL is cut (the server committed it): the session
/// reconnects, the checkpoint table does not have the DDL, the DDL's mark
/// says it was in progress, so running it again with "Duplicate column"
/// means it is applied: recorded once, and the replay goes on.
fn a_ddl_cut_after_its_commit_is_found_applied_on_reconnect_and_recorded_once(f: Flavour) {
    let (source, target, files) = scenario(f);
    let total = transactions(&files);
    let proxy = Proxy::start(([127, 0, 0, 1], target.port()).into());
    proxy.cut_the_reply_to(DDL, false);
    let out = apply_tcp(proxy.port(), &files).output().unwrap();
    let err = stderr(&out);
    assert_eq!(proxy.replies_cut(), 1, "the DDL's reply was cut: {err}");
    assert!(out.status.success(), "the replay rides through: {err}");
    assert!(says_the_ddl_was_found_applied(&err), "{err}");
    assert_eq!(
        checkpoint_rows(&target),
        total,
        "each transaction recorded once"
    );
    assert_same_tables(&source, &target);
}

/// The same cut, then myreplay killed while it tries to reconnect: the
/// next run finds the DDL applied and finishes.
fn a_ddl_killed_after_its_commit_is_found_applied_by_the_next_run(f: Flavour) {
    let (source, target, files) = scenario(f);
    let total = transactions(&files);
    let proxy = Proxy::start(([127, 0, 0, 1], target.port()).into());
    proxy.cut_the_reply_to(DDL, true);
    let mut child = apply_tcp(proxy.port(), &files)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while proxy.replies_cut() == 0 {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the replay ended before its DDL"
        );
        assert!(started.elapsed() < Duration::from_secs(60), "no DDL seen");
        sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL, while it reconnects
    child.wait().unwrap();
    let out = apply_socket(&target, &files, &[]).output().unwrap();
    let err = stderr(&out);
    assert!(out.status.success(), "the next run finishes: {err}");
    assert!(says_the_ddl_was_found_applied(&err), "{err}");
    assert_eq!(
        checkpoint_rows(&target),
        total,
        "each transaction recorded once"
    );
    assert_same_tables(&source, &target);
}

/// Without a cut, a target that already has the DDL's change is not the
/// one the backup left: the replay stops on it, naming it, and the next run
/// stops the same way (the first run's attempt left nothing that would make
/// the next take the error for "already applied").
fn a_ddl_the_target_already_has_without_a_cut_stops_every_time(f: Flavour) {
    let (_source, target, files) = scenario(f);
    target.exec(&format!("{DDL};"));
    for run in ["first", "second"] {
        let out = apply_socket(&target, &files, &[]).output().unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(9), "the {run} run stops: {err}");
        assert!(
            err.contains("1060") && err.contains("Duplicate column"),
            "the {run} run names the error: {err}"
        );
        assert!(!says_the_ddl_was_found_applied(&err), "{err}");
    }
}

macro_rules! ddl_exactly_once {
    ($module:ident, $flavour:expr) => {
        $crate::flavour_tests!(
            $module,
            $flavour,
            [
                a_ddl_cut_after_its_commit_is_found_applied_on_reconnect_and_recorded_once,
                a_ddl_killed_after_its_commit_is_found_applied_by_the_next_run,
                a_ddl_the_target_already_has_without_a_cut_stops_every_time,
            ]
        );
    };
}

ddl_exactly_once!(on_mariadb_10_11, Flavour::MariaDb);
ddl_exactly_once!(on_mariadb_11_8, Flavour::MariaDb118);
ddl_exactly_once!(on_mysql_9_7, Flavour::MySql97);
