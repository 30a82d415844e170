//! The checkpoint row is written in the session settings the source's
//! statements left (sql_mode, character set). Regression: a binlog file
//! name with a backslash, recorded after a statement run under
//! NO_BACKSLASH_ESCAPES, was stored with the backslash doubled, so the
//! next run did not recognise the transaction as applied and ran it again.
//! On MariaDB 10.11, MariaDB 11.8 and MySQL 9.7 (modules `on_FLAVOUR`).

mod support;

use std::sync::atomic::AtomicBool;

use myreplay_apply::Replay;
use support::{assert_same_tables, Flavour, PrivateMariaDb};

fn a_file_name_with_a_backslash_and_unicode_is_recognised_after_statements_in_any_session(
    f: Flavour,
) {
    let mut source = PrivateMariaDb::start_flavour(f, &[]);
    source.exec("CREATE DATABASE app; CREATE TABLE app.t (id INT PRIMARY KEY, v VARCHAR(20)) ENGINE=InnoDB;");
    let target = source.snapshot(&["--skip-log-bin"]);
    let before = source.binlogs().len();
    source.exec(
        "SET SESSION binlog_format = STATEMENT;
         SET SESSION sql_mode = 'NO_BACKSLASH_ESCAPES';
         SET NAMES latin1;
         INSERT INTO app.t VALUES (1, 'a\\b');
         INSERT INTO app.t VALUES (2, 'caf\u{e9}');
         SET SESSION binlog_format = ROW;
         INSERT INTO app.t VALUES (3, 'row');",
    );
    source.exec("FLUSH BINARY LOGS");
    let files = source.binlogs_since(before);
    // The same files under awkward names (numbering kept).
    let dir = source.dir().join("renamed");
    std::fs::create_dir_all(&dir).unwrap();
    let renamed: Vec<_> = files
        .iter()
        .map(|f| {
            let ext = f.extension().unwrap().to_str().unwrap();
            let to = dir.join(format!("log\\ caf\u{e9}'x.{ext}"));
            std::fs::copy(f, &to).unwrap();
            to
        })
        .collect();
    let r = Replay::new(renamed, target.options());
    let first = r
        .run(|_| {}, &AtomicBool::new(false))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(first.transactions_applied, 3);
    assert_same_tables(&source, &target);
    let again = r
        .run(|_| {}, &AtomicBool::new(false))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(again.transactions_applied, 0, "{again:?}");
    assert_eq!(again.transactions_skipped, 3);
    assert_same_tables(&source, &target);
}

flavour_tests!(
    on_mariadb_10_11,
    Flavour::MariaDb,
    [a_file_name_with_a_backslash_and_unicode_is_recognised_after_statements_in_any_session]
);
flavour_tests!(
    on_mariadb_11_8,
    Flavour::MariaDb118,
    [a_file_name_with_a_backslash_and_unicode_is_recognised_after_statements_in_any_session]
);
flavour_tests!(
    on_mysql_9_7,
    Flavour::MySql97,
    [a_file_name_with_a_backslash_and_unicode_is_recognised_after_statements_in_any_session]
);
