//! Row statements and rows events larger than one `BINLOG` statement.
//!
//! Regression: MariaDB silently ignores the rows of a row statement that is
//! continued in a second `BINLOG` statement. Before the fix, a statement
//! whose rows events passed the 4 MiB cut lost its later rows on the
//! target without an error. Each test ends comparing every table with the
//! source.

mod support;

use std::sync::atomic::AtomicBool;

use myreplay_apply::{ApplyPath, Replay};
use support::{assert_same_tables, PrivateMariaDb};

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

fn replay(
    source: &mut PrivateMariaDb,
    source_extra: &[&str],
    limit: Option<usize>,
    path: ApplyPath,
) {
    let _ = source_extra;
    source.exec(
        "CREATE DATABASE big;
         CREATE TABLE big.t (id INT PRIMARY KEY, pad VARCHAR(200), v INT) ENGINE=InnoDB;
         CREATE TABLE big.u (id INT PRIMARY KEY, v INT) ENGINE=InnoDB;",
    );
    let target = source.snapshot(&["--skip-log-bin"]);
    let before = source.binlogs().len();
    big_statements(source);
    source.exec("FLUSH BINARY LOGS");
    let files = source.binlogs_since(before);
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

#[test]
fn a_row_statement_larger_than_one_binlog_statement_is_applied_whole() {
    // Default 8 KiB rows events: ~10 MB statements of many events, cut into
    // 4 MiB BINLOG statements that each end a row statement.
    let mut source = PrivateMariaDb::start();
    replay(&mut source, &[], None, ApplyPath::Binlog);
}

#[test]
fn small_binlog_statements_cut_every_row_statement_many_times() {
    let mut source = PrivateMariaDb::start();
    replay(&mut source, &[], Some(64 << 10), ApplyPath::Binlog);
}

#[test]
fn a_rows_event_larger_than_a_binlog_statement_is_cut_at_row_boundaries() {
    // Rows events of up to 64 MiB on the source: each statement is one or
    // two huge events, cut at row boundaries into 256 KiB pieces.
    let mut source = PrivateMariaDb::start_with(&["--binlog-row-event-max-size=67108864"]);
    replay(&mut source, &[], Some(256 << 10), ApplyPath::Binlog);
}

#[test]
fn the_sql_path_applies_the_same_large_statements() {
    let mut source = PrivateMariaDb::start();
    replay(&mut source, &[], None, ApplyPath::Sql);
}
