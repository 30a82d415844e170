//! `myreplay apply` as a DBA runs it: killed with SIGKILL at several
//! moments and run again each time, it ends with every table equal to the
//! source's; a finished replay run again applies nothing.

mod common;
#[path = "../../apply/tests/support/mod.rs"]
mod support;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::{apply_socket, checkpoint_rows, transactions};
use support::{assert_same_tables, Flavour, PrivateMariaDb};

#[test]
fn killed_at_any_moment_and_run_again_it_ends_equal_to_the_source() {
    killed_at_any_moment_and_run_again_it_ends_equal_to_the_source_on(Flavour::MariaDb);
}

#[test]
fn on_mariadb_11_8_killed_at_any_moment_and_run_again_it_ends_equal_to_the_source() {
    killed_at_any_moment_and_run_again_it_ends_equal_to_the_source_on(Flavour::MariaDb118);
}

#[test]
fn on_mysql_9_7_killed_at_any_moment_and_run_again_it_ends_equal_to_the_source() {
    killed_at_any_moment_and_run_again_it_ends_equal_to_the_source_on(Flavour::MySql97);
}

fn killed_at_any_moment_and_run_again_it_ends_equal_to_the_source_on(flavour: Flavour) {
    let mut source = PrivateMariaDb::start_flavour(flavour, &[]);
    source.exec(
        "CREATE DATABASE app; USE app;
         CREATE TABLE accounts (id INT PRIMARY KEY, owner VARCHAR(30) NOT NULL, balance BIGINT NOT NULL, UNIQUE KEY (owner)) ENGINE=InnoDB;
         CREATE TABLE ledger (id INT AUTO_INCREMENT PRIMARY KEY, account INT NOT NULL, amount BIGINT NOT NULL) ENGINE=InnoDB;",
    );
    let target = source.snapshot(&["--skip-log-bin"]);
    let mut restarted = source.snapshot(&["--skip-log-bin"]);
    let before = source.binlogs().len();
    let mut sql = String::from("USE app;");
    for i in 0..300 {
        sql += &format!("INSERT INTO accounts VALUES ({i}, 'o{i}', 1000);");
    }
    for i in 0..3000 {
        let (a, b) = (i * 7 % 300, (i * 13 + 1) % 300);
        sql += &format!(
            "BEGIN; UPDATE accounts SET balance = balance - {i} WHERE id = {a}; UPDATE accounts SET balance = balance + {i} WHERE id = {b}; INSERT INTO ledger (account, amount) VALUES ({a}, {i}); COMMIT;"
        );
        if i % 100 == 0 {
            // A unique-value swap through a temporary value.
            sql += &format!(
                "UPDATE accounts SET owner = 'tmp' WHERE id = {a}; UPDATE accounts SET owner = 'o{a}x' WHERE id = {b}; UPDATE accounts SET owner = 'o{b}x' WHERE id = {a};"
            );
        }
    }
    source.exec(&sql);
    source.exec("FLUSH BINARY LOGS");
    let files = source.binlogs_since(before);

    let slow = ["--workers", "2", "--unit-transactions", "3"];
    let mut interrupted = 0;
    for delay_ms in [60u64, 120, 200, 300, 450, 650] {
        let mut child = apply_socket(&target, &files, &slow)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL
        let status = child.wait().unwrap();
        if !status.success() {
            interrupted += 1;
        }
    }
    assert!(
        interrupted >= 3,
        "only {interrupted} runs were killed before finishing"
    );
    // Ctrl-C: a clean stop (exit 130) after the running units.
    let child = apply_socket(&target, &files, &slow)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(100));
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    if !out.status.success() {
        assert_eq!(
            out.status.code(),
            Some(130),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("run the same command again to resume")
        );
    }
    // The target server restarted while a replay runs: the sessions
    // reconnect, find out from the checkpoint table whether their unit
    // committed, and go on. One transaction per commit on one session makes
    // this replay take seconds, so the restart lands in the middle of it.
    let slowest = ["--workers", "1", "--unit-transactions", "1"];
    let total = transactions(&files);
    let mut child = apply_socket(&restarted, &files, &slowest)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Restart once the replay has committed something (its checkpoint rows
    // say so), not after a fixed sleep: on a loaded machine a fixed sleep
    // can land before the first write or after the last.
    let started = std::time::Instant::now();
    let at_restart = loop {
        let rows = checkpoint_rows(&restarted);
        if rows > 0 {
            break rows;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "no progress");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(
        child.try_wait().unwrap().is_none() && at_restart < total,
        "the restart happens during the replay ({at_restart} of {total} committed)"
    );
    restarted.restart();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the replay survives the restart: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_same_tables(&source, &restarted);
    let out = apply_socket(&target, &files, &["--workers", "2", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(total > 3300);
    let applied = report["transactions_applied"].as_u64().unwrap();
    let skipped = report["transactions_skipped"].as_u64().unwrap();
    assert_eq!(applied + skipped, total, "{report}");
    assert!(skipped > 0, "the killed runs applied something: {report}");
    assert_same_tables(&source, &target);

    // Finished: running it again applies nothing and says so.
    let out = apply_socket(&target, &files, &[]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("applied 0 transactions ({total} skipped")),
        "{text}"
    );
    assert!(text.contains("nothing new to apply"), "{text}");
    assert_same_tables(&source, &target);
}

#[test]
fn a_failing_transaction_stops_cleanly_with_its_position() {
    a_failing_transaction_stops_cleanly_with_its_position_on(Flavour::MariaDb);
}

#[test]
fn on_mariadb_11_8_a_failing_transaction_stops_cleanly_with_its_position() {
    a_failing_transaction_stops_cleanly_with_its_position_on(Flavour::MariaDb118);
}

#[test]
fn on_mysql_9_7_a_failing_transaction_stops_cleanly_with_its_position() {
    a_failing_transaction_stops_cleanly_with_its_position_on(Flavour::MySql97);
}

fn a_failing_transaction_stops_cleanly_with_its_position_on(flavour: Flavour) {
    let mut source = PrivateMariaDb::start_flavour(flavour, &[]);
    source
        .exec("CREATE DATABASE app; CREATE TABLE app.t (id INT PRIMARY KEY, v INT) ENGINE=InnoDB;");
    let target = source.snapshot(&["--skip-log-bin"]);
    let before = source.binlogs().len();
    source.exec("INSERT INTO app.t VALUES (1, 1); INSERT INTO app.t VALUES (2, 2); INSERT INTO app.t VALUES (3, 3);");
    source.exec("FLUSH BINARY LOGS");
    let files = source.binlogs_since(before);
    // The target already has row 2: the second transaction cannot apply.
    target.exec("SET SESSION sql_log_bin = 0; INSERT INTO app.t VALUES (2, 99);");
    let out = apply_socket(&target, &files, &["--workers", "1"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(9),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("(transaction ") && err.contains("Duplicate entry"),
        "{err}"
    );
    assert!(err.contains("nothing of it was committed"), "{err}");
}

#[test]
fn stop_points_and_database_filters_end_at_transaction_boundaries() {
    stop_points_and_database_filters_end_at_transaction_boundaries_on(Flavour::MariaDb);
}

#[test]
fn on_mariadb_11_8_stop_points_and_database_filters_end_at_transaction_boundaries() {
    stop_points_and_database_filters_end_at_transaction_boundaries_on(Flavour::MariaDb118);
}

#[test]
fn on_mysql_9_7_stop_points_and_database_filters_end_at_transaction_boundaries() {
    stop_points_and_database_filters_end_at_transaction_boundaries_on(Flavour::MySql97);
}

fn stop_points_and_database_filters_end_at_transaction_boundaries_on(flavour: Flavour) {
    let mut source = PrivateMariaDb::start_flavour(flavour, &[]);
    source.exec(
        "CREATE DATABASE a; CREATE DATABASE b;
         CREATE TABLE a.t (id INT PRIMARY KEY) ENGINE=InnoDB;
         CREATE TABLE b.t (id INT PRIMARY KEY) ENGINE=InnoDB;",
    );
    let targets: Vec<PrivateMariaDb> = (0..4)
        .map(|_| source.snapshot(&["--skip-log-bin"]))
        .collect();
    let before = source.binlogs().len();
    // Ten transactions a minute apart from 2023-11-14 22:13:20 UTC, each
    // writing one row in a and one in b.
    let mut sql = String::new();
    for i in 0..10 {
        sql += &format!(
            "SET TIMESTAMP = {}; BEGIN; INSERT INTO a.t VALUES ({i}); INSERT INTO b.t VALUES ({i}); COMMIT;",
            1_700_000_000 + i * 60
        );
    }
    source.exec(&sql);
    source.exec("FLUSH BINARY LOGS");
    let files = source.binlogs_since(before);
    let gtids: Vec<String> = {
        let out = Command::new(env!("CARGO_BIN_EXE_myreplay"))
            .arg("transactions")
            .arg("--json")
            .args(&files)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).unwrap()["gtid"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    };
    assert_eq!(gtids.len(), 10);
    let count = |db: &PrivateMariaDb, table: &str| -> u64 {
        use mysql::prelude::Queryable;
        db.conn()
            .query_first(format!("SELECT COUNT(*) FROM {table}"))
            .unwrap()
            .unwrap()
    };
    let run = |target: &PrivateMariaDb, extra: &[&str]| {
        let out = apply_socket(target, &files, extra).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let text = run(&targets[0], &["--stop-before-gtid", &gtids[4]]);
    assert_eq!(
        (count(&targets[0], "a.t"), count(&targets[0], "b.t")),
        (4, 4)
    );
    assert!(
        text.contains(&format!("({})", gtids[3])),
        "the last applied is named: {text}"
    );

    run(&targets[1], &["--stop-after-gtid", &gtids[4]]);
    assert_eq!(count(&targets[1], "a.t"), 5);

    // 22:18:20 UTC is 2023-11-15 00:18:20 at +02:00: five transactions before it.
    run(
        &targets[2],
        &[
            "--stop-datetime",
            "2023-11-15 00:18:20",
            "--timezone",
            "+02:00",
        ],
    );
    assert_eq!(count(&targets[2], "a.t"), 5);

    let text = run(&targets[3], &["--database", "a"]);
    assert_eq!(
        (count(&targets[3], "a.t"), count(&targets[3], "b.t")),
        (10, 0),
        "{text}"
    );
}

#[test]
fn a_missing_privilege_stops_before_the_first_write() {
    a_missing_privilege_stops_before_the_first_write_on(Flavour::MariaDb);
}

#[test]
fn on_mysql_9_7_a_missing_privilege_stops_before_the_first_write() {
    a_missing_privilege_stops_before_the_first_write_on(Flavour::MySql97);
}

fn a_missing_privilege_stops_before_the_first_write_on(flavour: Flavour) {
    let mut source = PrivateMariaDb::start_flavour(flavour, &[]);
    source.exec("CREATE DATABASE app; CREATE TABLE app.t (id INT PRIMARY KEY) ENGINE=InnoDB;");
    let target = source.snapshot(&["--skip-log-bin"]);
    let before = source.binlogs().len();
    source.exec("INSERT INTO app.t VALUES (1); FLUSH BINARY LOGS;");
    let files = source.binlogs_since(before);
    target.exec("CREATE USER limited@localhost IDENTIFIED BY 'secret-pw'; GRANT ALL ON app.* TO limited@localhost; GRANT ALL ON myreplay.* TO limited@localhost;");
    let out = Command::new(env!("CARGO_BIN_EXE_myreplay"))
        .args(["apply", "-S"])
        .arg(target.socket())
        .args(["-u", "limited", "--no-defaults"])
        .env("MYSQL_PWD", "secret-pw")
        .args(&files)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(8),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("preflight") && err.contains("sql_log_bin"),
        "{err}"
    );
    let privilege = if flavour.is_mysql() {
        "SESSION_VARIABLES_ADMIN"
    } else {
        "BINLOG ADMIN"
    };
    assert!(err.contains(privilege), "the privilege named: {err}");
    assert!(
        !err.contains("secret-pw"),
        "the password must not appear: {err}"
    );
    use mysql::prelude::Queryable;
    let dbs: Vec<String> = target
        .conn()
        .query("SHOW DATABASES LIKE 'myreplay'")
        .unwrap();
    assert!(dbs.is_empty(), "nothing was written: no checkpoint table");
    let rows: u64 = target
        .conn()
        .query_first("SELECT COUNT(*) FROM app.t")
        .unwrap()
        .unwrap();
    assert_eq!(rows, 0);
}

#[test]
fn rewrite_db_applies_one_database_into_another() {
    rewrite_db_applies_one_database_into_another_on(Flavour::MariaDb);
}

#[test]
fn on_mariadb_11_8_rewrite_db_applies_one_database_into_another() {
    rewrite_db_applies_one_database_into_another_on(Flavour::MariaDb118);
}

#[test]
fn on_mysql_9_7_rewrite_db_applies_one_database_into_another() {
    rewrite_db_applies_one_database_into_another_on(Flavour::MySql97);
}

fn rewrite_db_applies_one_database_into_another_on(flavour: Flavour) {
    let mut source = PrivateMariaDb::start_flavour(flavour, &[]);
    source.exec(
        "CREATE DATABASE a; CREATE TABLE a.t (id INT PRIMARY KEY, v VARCHAR(20)) ENGINE=InnoDB;",
    );
    let target = source.snapshot(&["--skip-log-bin"]);
    target.exec("CREATE DATABASE a_restored; CREATE TABLE a_restored.t (id INT PRIMARY KEY, v VARCHAR(20)) ENGINE=InnoDB;");
    let before = source.binlogs().len();
    source.exec(
        "USE a; INSERT INTO t VALUES (1, 'row'); UPDATE t SET v = 'changed' WHERE id = 1;
         SET SESSION binlog_format = STATEMENT; INSERT INTO t VALUES (2, 'statement'); SET SESSION binlog_format = ROW;
         FLUSH BINARY LOGS;",
    );
    let files = source.binlogs_since(before);
    for path in ["binlog", "sql"] {
        let out = apply_socket(
            &target,
            &files,
            &[
                "--rewrite-db",
                "a->a_restored",
                "--apply",
                path,
                "--checkpoint-table",
                &format!("myreplay.applied_{path}"),
            ],
        )
        .output()
        .unwrap();
        assert!(
            out.status.success(),
            "{path}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        use mysql::prelude::Queryable;
        let rows: Vec<(i32, String)> = target
            .conn()
            .query("SELECT id, v FROM a_restored.t ORDER BY id")
            .unwrap();
        assert_eq!(
            rows,
            vec![(1, "changed".to_string()), (2, "statement".to_string())],
            "{path}"
        );
        let original: u64 = target
            .conn()
            .query_first("SELECT COUNT(*) FROM a.t")
            .unwrap()
            .unwrap();
        assert_eq!(
            original, 0,
            "{path}: nothing written to the original database"
        );
        target.exec("DELETE FROM a_restored.t");
    }
}

#[test]
fn preserve_gtids_gives_the_target_the_sources_gtids() {
    let mut source = PrivateMariaDb::start();
    source.exec("CREATE DATABASE app; CREATE TABLE app.t (id INT PRIMARY KEY) ENGINE=InnoDB;");
    // A target that writes its own binlog.
    let target = source.snapshot(&["--gtid-strict-mode=ON"]);
    let before = source.binlogs().len();
    let mut sql = String::new();
    for i in 0..50 {
        sql += &format!("INSERT INTO app.t VALUES ({i});");
    }
    // A DDL takes the source's GTID; its checkpoint row must not take one
    // of the target's own after it (the next source GTID, refused by
    // gtid_strict_mode as out of order).
    sql += "CREATE TABLE app.u (id INT PRIMARY KEY); INSERT INTO app.u VALUES (1);";
    sql += "SET SESSION gtid_domain_id = 7; INSERT INTO app.t VALUES (1000); FLUSH BINARY LOGS;";
    source.exec(&sql);
    let files = source.binlogs_since(before);
    let out = apply_socket(&target, &files, &["--preserve-gtids", "--workers", "4"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The target's binlog position and GTID state.
    let pos = |db: &PrivateMariaDb| db.binlog_status();
    let mut expected: Vec<String> = pos(&source).2.split(',').map(str::to_string).collect();
    let mut got: Vec<String> = pos(&target).2.split(',').map(str::to_string).collect();
    expected.sort();
    got.sort();
    assert_eq!(
        got, expected,
        "the target's binlog ends at the source's GTIDs"
    );
    assert_same_tables(&source, &target);
}

#[test]
fn on_mysql_9_7_preserve_gtids_gives_the_target_the_sources_gtid_executed() {
    let mut source = PrivateMariaDb::start_flavour(Flavour::MySql97, &[]);
    source.exec("CREATE DATABASE app; CREATE TABLE app.t (id INT PRIMARY KEY) ENGINE=InnoDB;");
    // A target that writes its own binlog, with a server UUID of its own.
    let target = source.snapshot(&[]);
    let before = source.binlogs().len();
    let mut sql = String::new();
    for i in 0..50 {
        sql += &format!("INSERT INTO app.t VALUES ({i});");
    }
    sql += "CREATE TABLE app.u (id INT PRIMARY KEY); INSERT INTO app.u VALUES (1);
            SET gtid_next = 'AUTOMATIC:blue'; INSERT INTO app.t VALUES (1000); SET gtid_next = 'AUTOMATIC';
            FLUSH BINARY LOGS;";
    source.exec(&sql);
    let files = source.binlogs_since(before);
    let out = apply_socket(&target, &files, &["--preserve-gtids", "--workers", "4"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let set =
        |db: &PrivateMariaDb| -> myreplay_binlog::GtidSet { db.binlog_status().2.parse().unwrap() };
    assert_eq!(
        set(&target),
        set(&source),
        "the target's gtid_executed is the source's"
    );
    assert_same_tables(&source, &target);
}

#[test]
fn apply_sessions_do_not_write_the_targets_binlog_unless_asked() {
    apply_sessions_do_not_write_the_targets_binlog_unless_asked_on(Flavour::MariaDb);
}

#[test]
fn on_mariadb_11_8_apply_sessions_do_not_write_the_targets_binlog_unless_asked() {
    apply_sessions_do_not_write_the_targets_binlog_unless_asked_on(Flavour::MariaDb118);
}

#[test]
fn on_mysql_9_7_apply_sessions_do_not_write_the_targets_binlog_unless_asked() {
    apply_sessions_do_not_write_the_targets_binlog_unless_asked_on(Flavour::MySql97);
}

fn apply_sessions_do_not_write_the_targets_binlog_unless_asked_on(flavour: Flavour) {
    let mut source = PrivateMariaDb::start_flavour(flavour, &[]);
    source.exec("CREATE DATABASE app; CREATE TABLE app.t (id INT PRIMARY KEY) ENGINE=InnoDB;");
    // Targets with their binlog on.
    let quiet = source.snapshot(&[]);
    let logged = source.snapshot(&[]);
    let before = source.binlogs().len();
    source.exec(
        "INSERT INTO app.t VALUES (1), (2); INSERT INTO app.t VALUES (3); FLUSH BINARY LOGS;",
    );
    let files = source.binlogs_since(before);
    // The target's binlog position and GTID state.
    let pos = |db: &PrivateMariaDb| db.binlog_status();
    let (quiet_before, logged_before) = (pos(&quiet), pos(&logged));
    let run = |target: &PrivateMariaDb, extra: &[&str]| {
        let out = apply_socket(target, &files, extra).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&quiet, &[]);
    run(&logged, &["--log-bin"]);
    assert_eq!(
        pos(&quiet),
        quiet_before,
        "nothing written to the target's binlog"
    );
    assert_ne!(pos(&logged), logged_before, "--log-bin writes it");
    assert_same_tables(&source, &quiet);
    assert_same_tables(&source, &logged);
}
