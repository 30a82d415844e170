//! `myreplay transactions` lists what a DBA needs to find the stop point
//! (issue 12): commit time in a chosen zone (microseconds where the binlog
//! has them), GTID, file and offset, kind, the tables changed with rows per
//! table, and statement text, shortened on a text line and whole with
//! `--verbose` and in `--json`. Against real servers of every flavour.

mod common;
#[path = "../../apply/tests/support/mod.rs"]
mod support;

use std::path::PathBuf;

use common::myreplay;
use support::{Flavour, PrivateMariaDb};

/// A source's binlogs: a transaction over two tables (inserts, updates,
/// deletes), a long DDL, and a statement-format DELETE.
fn scenario(f: Flavour) -> (PrivateMariaDb, Vec<PathBuf>, String) {
    let source = PrivateMariaDb::start_flavour(f, &[]);
    source.exec(
        "CREATE DATABASE app;
         CREATE TABLE app.a (id INT PRIMARY KEY, v INT) ENGINE=InnoDB;
         CREATE TABLE app.b (id INT PRIMARY KEY, v INT) ENGINE=InnoDB;
         FLUSH BINARY LOGS;",
    );
    let before = source.binlogs().len();
    let long_ddl = "ALTER TABLE app.b ADD COLUMN a_very_long_column_name_a_very_long_column_name INT NULL, \
         ADD COLUMN w2 INT NULL, ADD COLUMN w3 INT NULL, ADD COLUMN w4 INT NULL, ADD COLUMN w5 INT NULL"
        .to_string();
    source.exec(&format!(
        "BEGIN;
         INSERT INTO app.a VALUES (1, 1), (2, 2), (3, 3);
         INSERT INTO app.b VALUES (1, 1);
         UPDATE app.a SET v = 10 WHERE id < 3;
         DELETE FROM app.a WHERE id = 3;
         COMMIT;
         {long_ddl};
         SET SESSION binlog_format = 'STATEMENT';
         DELETE FROM app.a WHERE id = 1;
         FLUSH BINARY LOGS;"
    ));
    let files = source.binlogs_since(before);
    (source, files, long_ddl)
}

fn lists_times_tables_rows_and_statements(f: Flavour) {
    let (_source, files, long_ddl) = scenario(f);
    let json: Vec<serde_json::Value> = myreplay(&["transactions", "--json"], &files)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let row = json
        .iter()
        .find(|t| t["kind"] == "row")
        .expect("the row transaction");
    assert_eq!(
        row["tables"],
        serde_json::json!([
            {"database": "app", "table": "a", "inserted": 3, "updated": 2, "deleted": 1},
            {"database": "app", "table": "b", "inserted": 1, "updated": 0, "deleted": 0},
        ]),
        "{row}"
    );
    assert_eq!(row["rows"], 7);
    let ddl = json.iter().find(|t| t["kind"] == "ddl").expect("the DDL");
    assert_eq!(ddl["statements"][0], long_ddl.as_str(), "whole in JSON");
    let stmt = json
        .iter()
        .find(|t| t["kind"] == "statement")
        .expect("the statement-format DELETE");
    assert!(
        stmt["statements"][0]
            .as_str()
            .unwrap()
            .contains("DELETE FROM app.a WHERE id = 1"),
        "{stmt}"
    );
    // The commit time: RFC 3339 in the zone asked for, the binlog's own
    // seconds; MySQL's to the microsecond.
    let ts = ddl["timestamp"].as_u64().unwrap();
    let utc = ddl["commit_time"].as_str().unwrap();
    assert!(utc.ends_with("+00:00"), "{utc}");
    if f.is_mysql() {
        let us = ddl["commit_us"].as_u64().unwrap();
        assert_eq!(us / 1_000_000, ts, "{ddl}");
        assert!(utc.contains(&format!(".{:06}", us % 1_000_000)), "{utc}");
    } else {
        assert!(utc.contains(".000000"), "{utc}");
    }
    let tokyo: Vec<serde_json::Value> = myreplay(
        &["transactions", "--json", "--timezone", "Asia/Tokyo"],
        &files,
    )
    .lines()
    .map(|l| serde_json::from_str(l).unwrap())
    .collect();
    let tokyo_ddl = tokyo.iter().find(|t| t["kind"] == "ddl").unwrap();
    assert!(
        tokyo_ddl["commit_time"]
            .as_str()
            .unwrap()
            .ends_with("+09:00"),
        "{tokyo_ddl}"
    );

    // The text line: one per transaction, the statement shortened, whole
    // with --verbose.
    let text = myreplay(&["transactions"], &files);
    assert_eq!(text.lines().count(), json.len(), "{text}");
    let line = |text: &str, kind: &str| -> String {
        text.lines()
            .find(|l| l.split('\t').nth(4) == Some(kind))
            .unwrap_or_else(|| panic!("no {kind} line in:\n{text}"))
            .to_string()
    };
    let row_line = line(&text, "row");
    assert!(row_line.contains("app.a +3 ~2 -1, app.b +1"), "{row_line}");
    let gtid = row["gtid"].as_str().unwrap();
    let at = format!("{}:{}", row["file"].as_str().unwrap(), row["offset"]);
    assert!(
        row_line.contains(gtid) && row_line.contains(&at),
        "{row_line}"
    );
    let short = line(&text, "ddl");
    assert!(
        short.ends_with("...") && !short.contains(&long_ddl),
        "{short}"
    );
    let verbose = myreplay(&["transactions", "--verbose"], &files);
    assert!(line(&verbose, "ddl").ends_with(&long_ddl), "{verbose}");
    let time = utc.replace('T', " ");
    assert!(short.contains(&time[..19]), "{short} has {utc}");
}

/// The same filters pick the same transactions in `events` and `plan`.
fn events_and_plan_take_the_same_filters(f: Flavour) {
    let (_source, files, long_ddl) = scenario(f);
    let total = myreplay(&["transactions"], &files).lines().count();
    let events = myreplay(&["events", "--kind", "ddl"], &files);
    assert!(events.contains(&long_ddl[..60]), "{events}");
    assert!(
        !events.contains("TABLE_MAP") && !events.contains("FORMAT_DESCRIPTION"),
        "only the DDL's events: {events}"
    );
    let grep = myreplay(&["events", "--grep", "WHERE id = 1"], &files);
    assert!(grep.contains("DELETE FROM app.a WHERE id = 1"), "{grep}");
    assert!(!grep.contains("ALTER TABLE"), "{grep}");
    let plan: serde_json::Value =
        serde_json::from_str(&myreplay(&["plan", "--json", "--table", "app.b"], &files)).unwrap();
    assert_eq!(plan["transactions"], 1, "{plan}");
    assert_eq!(plan["transactions_left_out"], total as u64 - 1, "{plan}");
}

flavour_tests!(
    on_mariadb_10_11,
    Flavour::MariaDb,
    [
        lists_times_tables_rows_and_statements,
        events_and_plan_take_the_same_filters
    ]
);
flavour_tests!(
    on_mariadb_11_8,
    Flavour::MariaDb118,
    [
        lists_times_tables_rows_and_statements,
        events_and_plan_take_the_same_filters
    ]
);
flavour_tests!(
    on_mysql_9_7,
    Flavour::MySql97,
    [
        lists_times_tables_rows_and_statements,
        events_and_plan_take_the_same_filters
    ]
);
