//! End to end, on MariaDB 10.11, MariaDB 11.8 and MySQL 9.7 (source and
//! target of one flavour): a private source, physical snapshots as targets, a
//! workload with the hazards of parallel apply (FULL, MINIMAL and NOBLOB row
//! images among them), then `Replay` with 1, 2 and
//! 8 workers; every target table must equal the source's (CHECKSUM TABLE,
//! row count, definition), and a second run applies nothing.

mod support;

use std::sync::atomic::AtomicBool;

use myreplay_apply::Replay;
use support::{assert_same_tables, Flavour, PrivateMariaDb};

const SCHEMA: &str = "
CREATE DATABASE shop;
USE shop;
CREATE TABLE users (id INT PRIMARY KEY, email VARCHAR(50) NOT NULL, name VARCHAR(50) COLLATE utf8mb4_general_ci, UNIQUE KEY (email)) ENGINE=InnoDB;
CREATE TABLE orders (id INT PRIMARY KEY, user_id INT, total DECIMAL(10,2), FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE) ENGINE=InnoDB;
CREATE TABLE items (id INT PRIMARY KEY, order_id INT, sku VARCHAR(20), FOREIGN KEY (order_id) REFERENCES orders(id) ON DELETE CASCADE) ENGINE=InnoDB;
CREATE TABLE events (msg VARCHAR(40), n INT) ENGINE=InnoDB;
CREATE TABLE counters (id INT PRIMARY KEY, v BIGINT NOT NULL) ENGINE=InnoDB;
CREATE TABLE audited (id INT PRIMARY KEY, v INT) ENGINE=InnoDB;
CREATE TABLE audit_log (id INT AUTO_INCREMENT PRIMARY KEY, what VARCHAR(40)) ENGINE=InnoDB;
CREATE TRIGGER audit AFTER INSERT ON audited FOR EACH ROW INSERT INTO audit_log (what) VALUES (CONCAT('insert ', NEW.id));
INSERT INTO counters VALUES (1, 0), (2, 0), (3, 0);
";

/// Transactions with every hazard of PRIMER section 3 (row format unless said).
fn workload() -> Vec<String> {
    let mut w: Vec<String> = vec![];
    for i in 0..200 {
        w.push(format!(
            "INSERT INTO shop.users VALUES ({i}, 'u{i}@x', 'User {i}')"
        ));
    }
    for i in 0..300 {
        w.push(format!(
            "INSERT INTO shop.orders VALUES ({i}, {}, {}.{:02})",
            i % 200,
            i * 3,
            i % 100
        ));
        w.push(format!(
            "INSERT INTO shop.items VALUES ({i}, {i}, 'sku{i}')"
        ));
    }
    // Unique-value swaps through a temporary value, across transactions.
    for i in 0..20 {
        let (a, b) = (i * 2, i * 2 + 1);
        w.push(format!("UPDATE shop.users SET email='tmp{i}' WHERE id={a}"));
        w.push(format!("UPDATE shop.users SET email='u{a}@x' WHERE id={b}"));
        w.push(format!("UPDATE shop.users SET email='u{b}@x' WHERE id={a}"));
    }
    // Primary-key changes, then the old key reused.
    for i in 100..110 {
        w.push(format!(
            "UPDATE shop.items SET id={} WHERE id={i}",
            i + 10_000
        ));
        w.push(format!("INSERT INTO shop.items VALUES ({i}, {i}, 'again')"));
    }
    // Cascades: deleting users deletes their orders and items on the target too.
    for i in 150..160 {
        w.push(format!("DELETE FROM shop.users WHERE id={i}"));
        w.push(format!(
            "INSERT INTO shop.orders VALUES ({}, {}, 1.00)",
            1000 + i,
            i - 100
        ));
    }
    // A hot row, a key-less table, a trigger (row events must not fire it twice).
    for i in 0..100 {
        w.push(format!("UPDATE shop.counters SET v = v + {i} WHERE id = 1"));
        w.push(format!(
            "INSERT INTO shop.events VALUES ('e{}', {i})",
            i % 7
        ));
    }
    for i in 0..20 {
        w.push(format!("INSERT INTO shop.audited VALUES ({i}, {i})"));
    }
    // FOREIGN_KEY_CHECKS=0 and UNIQUE_CHECKS=0 on the source, between
    // ordinary transactions: an orphan order the target must take too, and
    // right after it a delete whose cascade the target must run. Row
    // statements merged into one must not share their flags: the server
    // may take them from a statement's first rows event, and a cascade does
    // not run with FOREIGN_KEY_CHECKS=0. (With the flags check taken out of
    // crate::coalesce, MariaDB 11.8's target kept 4 items the cascade
    // deletes on the source.)
    for i in 0..5 {
        // A DDL (a unit of its own) first: the next unit starts with the
        // FOREIGN_KEY_CHECKS=0 statement.
        w.push(format!("CREATE TABLE shop.marker{i} (id INT PRIMARY KEY)"));
        w.push(format!("SET SESSION foreign_key_checks = 0; INSERT INTO shop.orders VALUES ({}, 99999, 1.00); SET SESSION foreign_key_checks = 1", 5000 + i));
        w.push(format!("DELETE FROM shop.users WHERE id = {}", 170 + i));
        w.push(format!("SET SESSION unique_checks = 0; INSERT INTO shop.events VALUES ('uc', {i}); SET SESSION unique_checks = 1"));
    }
    // Multi-statement transactions, a rollback, a savepoint.
    w.push("BEGIN; UPDATE shop.counters SET v = 7 WHERE id = 2; UPDATE shop.users SET name='x' WHERE id = 1; COMMIT".into());
    w.push("BEGIN; UPDATE shop.counters SET v = 99 WHERE id = 3; ROLLBACK".into());
    w.push("BEGIN; INSERT INTO shop.events VALUES ('sp', 1); SAVEPOINT s; INSERT INTO shop.events VALUES ('gone', 2); ROLLBACK TO SAVEPOINT s; COMMIT".into());
    // DDL mid-stream, then DML on the changed table.
    w.push(
        "ALTER TABLE shop.users ADD COLUMN score INT NOT NULL DEFAULT 0, ADD UNIQUE KEY (name)"
            .into(),
    );
    for i in 0..30 {
        w.push(format!(
            "UPDATE shop.users SET score = {i}, name = 'n{i}' WHERE id = {i}"
        ));
    }
    // Statement-format DML with context: auto-increment, TIMESTAMP, a non-default
    // time zone, and a sql_mode under which `||` concatenates instead of OR-ing.
    w.push("SET SESSION binlog_format = STATEMENT; SET SESSION time_zone = '+05:30'; SET SESSION sql_mode = 'PIPES_AS_CONCAT'; INSERT INTO shop.audit_log (what) VALUES ('stmt ' || 'x' || NOW()); UPDATE shop.counters SET v = v + 1 WHERE id = 3; SET SESSION binlog_format = ROW; SET SESSION sql_mode = DEFAULT".into());
    // MINIMAL and NOBLOB row images: the row path must find rows by the
    // key columns alone and change only the columns logged.
    w.push("SET SESSION binlog_row_image = MINIMAL; UPDATE shop.users SET name = CONCAT('min', id) WHERE id BETWEEN 50 AND 60; DELETE FROM shop.items WHERE id BETWEEN 200 AND 205; INSERT INTO shop.items VALUES (9000, 1, 'min')".into());
    w.push("SET SESSION binlog_row_image = NOBLOB; UPDATE shop.orders SET total = total + 1 WHERE id < 20; UPDATE shop.users SET email = CONCAT('nb', id) WHERE id BETWEEN 61 AND 63".into());
    // A large transaction.
    let mut big = String::from("BEGIN;");
    for chunk in 0..20 {
        let values: Vec<String> = (0..250)
            .map(|k| format!("('big', {})", chunk * 250 + k))
            .collect();
        big += &format!("INSERT INTO shop.events VALUES {};", values.join(","));
    }
    big += "DELETE FROM shop.events WHERE n % 10 = 3 AND msg = 'big'; COMMIT";
    w.push(big);
    w
}

fn replay(
    source: &PrivateMariaDb,
    target: &PrivateMariaDb,
    files: &[std::path::PathBuf],
    workers: usize,
) -> myreplay_apply::Report {
    let mut r = Replay::new(files.to_vec(), target.options());
    r.workers = workers;
    let report = r.run(|_| {}, &AtomicBool::new(false)).unwrap_or_else(|e| {
        panic!(
            "replay with {workers} workers: {e}\ntarget log:\n{}",
            target.error_log_tail(20)
        )
    });
    let _ = source;
    report
}

#[test]
fn replay_equals_the_source_with_1_2_and_8_workers() {
    replay_equals_the_source_with_1_2_and_8_workers_on(Flavour::MariaDb);
}

#[test]
fn on_mariadb_11_8_replay_equals_the_source_with_1_2_and_8_workers() {
    replay_equals_the_source_with_1_2_and_8_workers_on(Flavour::MariaDb118);
}

#[test]
fn on_mysql_9_7_replay_equals_the_source_with_1_2_and_8_workers() {
    replay_equals_the_source_with_1_2_and_8_workers_on(Flavour::MySql97);
}

fn replay_equals_the_source_with_1_2_and_8_workers_on(flavour: Flavour) {
    let mut source = PrivateMariaDb::start_flavour(flavour, &[]);
    source.exec(SCHEMA);
    let targets: Vec<PrivateMariaDb> = (0..3)
        .map(|_| source.snapshot(&["--skip-log-bin"]))
        .collect();
    let before = source.binlogs().len();
    for sql in workload() {
        source.exec(&sql);
    }
    source.exec("FLUSH BINARY LOGS");
    // The files written after the snapshot.
    let files = source.binlogs_since(before);

    let mut applied = None;
    for (target, workers) in targets.iter().zip([1, 2, 8]) {
        let report = replay(&source, target, &files, workers);
        assert!(report.transactions_applied > 1000, "{report:?}");
        assert_eq!(report.transactions_skipped, 0);
        if let Some(n) = applied {
            assert_eq!(
                report.transactions_applied, n,
                "same transactions whatever the workers"
            );
        }
        applied = Some(report.transactions_applied);
        assert_same_tables(&source, target);
        // Running it again applies nothing.
        let again = replay(&source, target, &files, workers);
        assert_eq!(
            (again.transactions_applied, again.transactions_skipped),
            (0, report.transactions_applied)
        );
        assert_same_tables(&source, target);
    }
}

#[test]
fn temporary_tables_of_one_source_thread_live_in_one_session() {
    temporary_tables_of_one_source_thread_live_in_one_session_on(Flavour::MariaDb);
}

#[test]
fn on_mariadb_11_8_temporary_tables_of_one_source_thread_live_in_one_session() {
    temporary_tables_of_one_source_thread_live_in_one_session_on(Flavour::MariaDb118);
}

#[test]
fn on_mysql_9_7_temporary_tables_of_one_source_thread_live_in_one_session() {
    temporary_tables_of_one_source_thread_live_in_one_session_on(Flavour::MySql97);
}

fn temporary_tables_of_one_source_thread_live_in_one_session_on(flavour: Flavour) {
    let mut source = PrivateMariaDb::start_flavour(flavour, &[]);
    source.exec(
        "CREATE DATABASE app; CREATE TABLE app.totals (k INT PRIMARY KEY, n INT) ENGINE=InnoDB;",
    );
    let target = source.snapshot(&["--skip-log-bin"]);
    let before = source.binlogs().len();
    // Statement format: the temporary table's statements are logged, each
    // its own transaction, with the session's pseudo thread id.
    let mut sql = String::from("SET SESSION binlog_format = STATEMENT; USE app; CREATE TEMPORARY TABLE tmp (k INT, n INT);");
    for i in 0..20 {
        sql += &format!("INSERT INTO tmp VALUES ({}, {i});", i % 4);
    }
    sql += "INSERT INTO totals SELECT k, SUM(n) FROM tmp GROUP BY k; DROP TEMPORARY TABLE tmp; SET SESSION binlog_format = ROW;";
    for i in 10..40 {
        sql += &format!("INSERT INTO app.totals VALUES ({i}, {i});");
    }
    source.exec(&sql);
    source.exec("FLUSH BINARY LOGS");
    let files = source.binlogs_since(before);
    let report = replay(&source, &target, &files, 4);
    assert!(report.transactions_applied >= 50, "{report:?}");
    assert_same_tables(&source, &target);
}

#[test]
fn compressed_rows_events_merge_and_replay_equal() {
    compressed_rows_events_merge_and_replay_equal_on(Flavour::MariaDb);
}

#[test]
fn on_mariadb_11_8_compressed_rows_events_merge_and_replay_equal() {
    compressed_rows_events_merge_and_replay_equal_on(Flavour::MariaDb118);
}

/// MariaDB's `log_bin_compress`: rows events compressed (their flags stay
/// in the uncompressed post-header, which merging row statements rewrites),
/// the whole hazard workload replayed, equal to the source.
fn compressed_rows_events_merge_and_replay_equal_on(flavour: Flavour) {
    let mut source = PrivateMariaDb::start_flavour(
        flavour,
        &["--log-bin-compress=ON", "--log-bin-compress-min-len=10"],
    );
    source.exec(SCHEMA);
    let target = source.snapshot(&["--skip-log-bin"]);
    let before = source.binlogs().len();
    for sql in workload() {
        source.exec(&sql);
    }
    source.exec("FLUSH BINARY LOGS");
    let files = source.binlogs_since(before);
    let mut events =
        myreplay_binlog::EventStream::open(&files, Default::default()).expect("the binlogs");
    let mut compressed = 0;
    while let Some(e) = events.next_event().expect("an event") {
        if let myreplay_binlog::EventData::Rows(r) = &e.data {
            compressed += usize::from(r.compressed);
        }
    }
    assert!(compressed > 100, "{compressed} compressed rows events");
    let report = replay(&source, &target, &files, 2);
    assert!(report.transactions_applied > 1000, "{report:?}");
    assert_same_tables(&source, &target);
}
