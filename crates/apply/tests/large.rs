//! Row statements and rows events larger than one `BINLOG` statement, and
//! transactions larger than the stream threshold, on MariaDB 10.11,
//! MariaDB 11.8 and MySQL 9.7 (modules `on_FLAVOUR`).
//!
//! Regression: MariaDB silently ignores the rows of a row statement that is
//! continued in a second `BINLOG` statement. Before the fix, a statement
//! whose rows events passed the 4 MiB cut lost its later rows on the
//! target without an error. Each test ends comparing every table with the
//! source.

mod support;

use std::sync::atomic::AtomicBool;

use myreplay_apply::{ApplyPath, Replay};
use support::{assert_same_tables, Flavour, PrivateMariaDb};

/// One big INSERT ... SELECT, an UPDATE of every row (before and after
/// images), a DELETE of half, each a single row statement of many events.
fn big_statements(source: &PrivateMariaDb) {
    source.exec(
        "USE big;
         INSERT INTO big.t SELECT seq, REPEAT(CHAR(65 + seq % 26), 100 + seq % 50), seq FROM seq_1_to_60000;
         UPDATE big.t SET v = v + 1, pad = REVERSE(pad);
         DELETE FROM big.t WHERE id % 2 = 0;
         INSERT INTO big.u SELECT seq, seq * 2 FROM seq_1_to_30000;",
    );
}

/// The two tables on `source`, a snapshot of it as the target, then
/// `workload`: the target and the binlogs the workload wrote.
fn scenario(
    source: &mut PrivateMariaDb,
    workload: fn(&PrivateMariaDb),
) -> (PrivateMariaDb, Vec<std::path::PathBuf>) {
    source.exec(
        "CREATE DATABASE big;
         CREATE TABLE big.t (id INT PRIMARY KEY, pad VARCHAR(200), v INT) ENGINE=InnoDB;
         CREATE TABLE big.u (id INT PRIMARY KEY, v INT) ENGINE=InnoDB;",
    );
    if source.flavour().is_mysql() {
        // MariaDB's Sequence engine tables the workloads select from, as a
        // table and views (made before the snapshot: on both sides).
        source.exec(
            "CREATE TABLE big.seq_1_to_60000 (seq INT PRIMARY KEY) ENGINE=InnoDB;
             SET SESSION cte_max_recursion_depth = 100000;
             INSERT INTO big.seq_1_to_60000 WITH RECURSIVE s (n) AS
               (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 60000) SELECT n FROM s;
             CREATE VIEW big.seq_1_to_40000 AS SELECT seq FROM big.seq_1_to_60000 WHERE seq <= 40000;
             CREATE VIEW big.seq_1_to_30000 AS SELECT seq FROM big.seq_1_to_60000 WHERE seq <= 30000;",
        );
    }
    let target = source.snapshot(&["--skip-log-bin"]);
    let before = source.binlogs().len();
    workload(source);
    source.exec("FLUSH BINARY LOGS");
    (target, source.binlogs_since(before))
}

fn replay(source: &mut PrivateMariaDb, limit: Option<usize>, path: ApplyPath) {
    let (target, files) = scenario(source, big_statements);
    let mut r = Replay::new(files, target.options());
    r.workers = 2;
    r.statement_limit = limit;
    r.path = path;
    let report = r
        .run(|_| {}, &AtomicBool::new(false))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.transactions_applied, 4);
    assert_same_tables(source, &target);
}

fn a_row_statement_larger_than_one_binlog_statement_is_applied_whole(f: Flavour) {
    // Default 8 KiB rows events: ~10 MB statements of many events, cut into
    // 4 MiB BINLOG statements that each end a row statement.
    let mut source = PrivateMariaDb::start_flavour(f, &[]);
    replay(&mut source, None, ApplyPath::Binlog);
}

fn small_binlog_statements_cut_every_row_statement_many_times(f: Flavour) {
    let mut source = PrivateMariaDb::start_flavour(f, &[]);
    replay(&mut source, Some(64 << 10), ApplyPath::Binlog);
}

fn a_rows_event_larger_than_a_binlog_statement_is_cut_at_row_boundaries(f: Flavour) {
    // Rows events of up to 64 MiB on the source: each statement is one or
    // two huge events, cut at row boundaries into 256 KiB pieces.
    let mut source = PrivateMariaDb::start_flavour(f, &["--binlog-row-event-max-size=67108864"]);
    replay(&mut source, Some(256 << 10), ApplyPath::Binlog);
}

fn the_sql_path_applies_the_same_large_statements(f: Flavour) {
    let mut source = PrivateMariaDb::start_flavour(f, &[]);
    replay(&mut source, None, ApplyPath::Sql);
}

/// Small transactions around large ones, so the large ones are barriers
/// between parallel work.
fn mixed(source: &PrivateMariaDb) {
    for i in 0..200 {
        source.exec(&format!("INSERT INTO big.u VALUES ({}, {i})", 100_000 + i));
    }
    source.exec(
        "USE big;
         BEGIN;
         INSERT INTO big.t SELECT seq, REPEAT('s', 150), seq FROM seq_1_to_40000;
         UPDATE big.u SET v = v + 1 WHERE id >= 100000;
         UPDATE big.t SET v = -v WHERE id % 3 = 0;
         COMMIT;",
    );
    for i in 0..200 {
        source.exec(&format!(
            "UPDATE big.u SET v = v * 2 WHERE id = {}",
            100_000 + i
        ));
        source.exec(&format!(
            "UPDATE big.t SET pad = 'p{i}' WHERE id = {}",
            i + 1
        ));
    }
}

fn mixed_source_on(flavour: Flavour) -> (PrivateMariaDb, PrivateMariaDb, Vec<std::path::PathBuf>) {
    let mut source = PrivateMariaDb::start_flavour(flavour, &[]);
    let (target, files) = scenario(&mut source, mixed);
    (source, target, files)
}

fn a_transaction_larger_than_the_stream_threshold_is_applied_while_read(flavour: Flavour) {
    let (source, target, files) = mixed_source_on(flavour);
    let mut r = Replay::new(files.clone(), target.options());
    r.workers = 4;
    r.stream_threshold = 1 << 20;
    let report = r
        .run(|_| {}, &AtomicBool::new(false))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.transactions_applied, 601);
    assert_eq!(report.transactions_streamed, 1);
    assert_same_tables(&source, &target);
    // Run again: the streamed transaction is recognised as applied.
    let again = r.run(|_| {}, &AtomicBool::new(false)).unwrap();
    assert_eq!(again.transactions_applied, 0);
    assert_eq!(again.transactions_skipped, 601);
    assert_same_tables(&source, &target);
}

fn a_streamed_transaction_that_fails_leaves_nothing_and_resumes(f: Flavour) {
    let (source, target, files) = mixed_source_on(f);
    // A row on the target the large transaction will collide with.
    target.exec("INSERT INTO big.t VALUES (39999, 'in the way', 0)");
    let mut r = Replay::new(files, target.options());
    r.workers = 2;
    r.stream_threshold = 1 << 20;
    let err = r.run(|_| {}, &AtomicBool::new(false)).unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(err, myreplay_apply::ReplayError::Apply { .. }),
        "{text}"
    );
    assert!(text.contains("nothing of it was committed"), "{text}");
    // The 200 small transactions before it committed; nothing of it did.
    let report = err.report().unwrap();
    assert_eq!(report.transactions_applied, 200, "{text}");
    let mut conn = target.conn();
    let n: u64 = mysql::prelude::Queryable::query_first(&mut conn, "SELECT COUNT(*) FROM big.t")
        .unwrap()
        .unwrap();
    assert_eq!(n, 1, "only the row put in the way");
    target.exec("DELETE FROM big.t WHERE id = 39999");
    let report = r.run(|_| {}, &AtomicBool::new(false)).unwrap();
    assert_eq!(report.transactions_applied, 401);
    assert_eq!(report.transactions_streamed, 1);
    assert_same_tables(&source, &target);
}

macro_rules! large {
    ($module:ident, $flavour:expr) => {
        $crate::flavour_tests!(
            $module,
            $flavour,
            [
                a_row_statement_larger_than_one_binlog_statement_is_applied_whole,
                small_binlog_statements_cut_every_row_statement_many_times,
                a_rows_event_larger_than_a_binlog_statement_is_cut_at_row_boundaries,
                the_sql_path_applies_the_same_large_statements,
                a_transaction_larger_than_the_stream_threshold_is_applied_while_read,
                a_streamed_transaction_that_fails_leaves_nothing_and_resumes,
            ]
        );
    };
}

large!(on_mariadb_10_11, Flavour::MariaDb);
large!(on_mariadb_11_8, Flavour::MariaDb118);
large!(on_mysql_9_7, Flavour::MySql97);
