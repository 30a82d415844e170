//! `myreplay transactions --rows` (issue 12): a table of every column type
//! written with known values on a real server, its binlog decoded, and
//! every value equal to what `SELECT` returns on the source; the same
//! table under MINIMAL and NOBLOB row images (what an image holds is
//! shown, what it lacks is named); column names from
//! binlog_row_metadata=FULL, from a server (`-S`), or `@1..@n`.

mod common;
#[path = "../../apply/tests/support/mod.rs"]
mod support;

use std::path::PathBuf;

use common::myreplay;
use mysql::prelude::Queryable;
use support::{Flavour, PrivateMariaDb};

/// How a decoded value is compared with what SELECT returns.
#[derive(Clone, Copy)]
enum Compare {
    /// The JSON string, or the number's text, equals the SELECT text.
    Text,
    /// Both read as the same double.
    Float,
    /// `{"hex": ...}` equals `HEX(col)`.
    Hex,
    /// Both parse as the same JSON document.
    Json,
}

/// Column, type, a value to insert, the SELECT expression giving its
/// expected text, and how to compare.
fn columns(f: Flavour) -> Vec<(&'static str, &'static str, &'static str, String, Compare)> {
    use Compare::*;
    let mut c = vec![
        (
            "c_tinyint",
            "TINYINT",
            "-128",
            "CAST(c_tinyint AS CHAR)".into(),
            Text,
        ),
        (
            "c_utiny",
            "TINYINT UNSIGNED",
            "255",
            "CAST(c_utiny AS CHAR)".into(),
            Text,
        ),
        (
            "c_small",
            "SMALLINT UNSIGNED",
            "65535",
            "CAST(c_small AS CHAR)".into(),
            Text,
        ),
        (
            "c_medium",
            "MEDIUMINT",
            "-8388608",
            "CAST(c_medium AS CHAR)".into(),
            Text,
        ),
        (
            "c_int",
            "INT",
            "-2147483648",
            "CAST(c_int AS CHAR)".into(),
            Text,
        ),
        (
            "c_ubig",
            "BIGINT UNSIGNED",
            "18446744073709551615",
            "CAST(c_ubig AS CHAR)".into(),
            Text,
        ),
        (
            "c_dec",
            "DECIMAL(30,10)",
            "-12345678901234567890.0123456789",
            "CAST(c_dec AS CHAR)".into(),
            Text,
        ),
        (
            "c_float",
            "FLOAT",
            "-2.25",
            "CAST(c_float AS CHAR)".into(),
            Float,
        ),
        (
            "c_double",
            "DOUBLE",
            "3.141592653589793",
            "CAST(c_double AS CHAR)".into(),
            Float,
        ),
        (
            "c_bit",
            "BIT(10)",
            "b'1010000001'",
            "CAST(c_bit + 0 AS CHAR)".into(),
            Text,
        ),
        (
            "c_enum",
            "ENUM('a','b','c')",
            "'c'",
            "CAST(c_enum + 0 AS CHAR)".into(),
            Text,
        ),
        (
            "c_set",
            "SET('x','y','z')",
            "'x,z'",
            "CAST(c_set + 0 AS CHAR)".into(),
            Text,
        ),
        (
            "c_year",
            "YEAR",
            "2024",
            "CAST(c_year + 0 AS CHAR)".into(),
            Text,
        ),
        (
            "c_date",
            "DATE",
            "'2024-02-29'",
            "DATE_FORMAT(c_date, '%Y-%m-%d')".into(),
            Text,
        ),
        (
            "c_time",
            "TIME(6)",
            "'-838:59:58.999999'",
            "TIME_FORMAT(c_time, '%H:%i:%s.%f')".into(),
            Text,
        ),
        (
            "c_datetime",
            "DATETIME(6)",
            "'2026-10-25 02:30:00.000123'",
            "DATE_FORMAT(c_datetime, '%Y-%m-%dT%H:%i:%s.%f')".into(),
            Text,
        ),
        (
            "c_ts",
            "TIMESTAMP(6) NULL",
            "'2038-01-19 03:14:07.999999'",
            "CONCAT(DATE_FORMAT(c_ts, '%Y-%m-%dT%H:%i:%s.%f'), '+00:00')".into(),
            Text,
        ),
        (
            "c_char",
            "CHAR(10) CHARACTER SET utf8mb4",
            "'ça va'",
            "c_char".into(),
            Text,
        ),
        (
            "c_varchar",
            "VARCHAR(50) CHARACTER SET utf8mb4",
            "'🐬 dolphin'",
            "c_varchar".into(),
            Text,
        ),
        (
            "c_latin",
            "VARCHAR(20) CHARACTER SET latin1",
            "'plain ascii'",
            "c_latin".into(),
            Text,
        ),
        (
            "c_text",
            "TEXT CHARACTER SET utf8mb4",
            "'long text'",
            "c_text".into(),
            Text,
        ),
        (
            "c_binary",
            "BINARY(4)",
            "X'00ff10ab'",
            "HEX(c_binary)".into(),
            Hex,
        ),
        (
            "c_varbinary",
            "VARBINARY(10)",
            "X'00010203'",
            "HEX(c_varbinary)".into(),
            Hex,
        ),
        ("c_blob", "BLOB", "X'DEADBEEF00'", "HEX(c_blob)".into(), Hex),
        ("c_null", "INT NULL", "NULL", "NULL".into(), Text),
    ];
    if f.is_mysql() {
        c.push((
            "c_json",
            "JSON",
            r#"'{"a": [1, 2.5, "x", null, true], "b": {"c": 18446744073709551615}}'"#,
            "CAST(c_json AS CHAR)".into(),
            Json,
        ));
    } else {
        c.push((
            "c_json",
            "JSON",
            r#"'{"a": [1, "x"]}'"#,
            "c_json".into(),
            Text,
        ));
    }
    c
}

/// A source of `f` with these options, the table, one row of known
/// values, then an UPDATE and a DELETE under `row_image`.
fn scenario(f: Flavour, options: &[&str], row_image: &str) -> (PrivateMariaDb, Vec<PathBuf>) {
    let source = PrivateMariaDb::start_flavour(f, options);
    let cols = columns(f);
    let defs: Vec<String> = cols.iter().map(|c| format!("{} {}", c.0, c.1)).collect();
    source.exec(&format!(
        "CREATE DATABASE app; CREATE TABLE app.every (id INT PRIMARY KEY, {}) ENGINE=InnoDB; FLUSH BINARY LOGS;",
        defs.join(", ")
    ));
    let before = source.binlogs().len();
    let names: Vec<&str> = cols.iter().map(|c| c.0).collect();
    let values: Vec<&str> = cols.iter().map(|c| c.2).collect();
    source.exec(&format!(
        "SET SESSION time_zone = '+00:00';
         INSERT INTO app.every (id, {}) VALUES (1, {});
         SET SESSION binlog_row_image = '{row_image}';
         UPDATE app.every SET c_int = 7 WHERE id = 1;
         DELETE FROM app.every WHERE id = 1;
         FLUSH BINARY LOGS;",
        names.join(", "),
        values.join(", ")
    ));
    let files = source.binlogs_since(before);
    (source, files)
}

/// Every row change of the files, from `--rows --json`.
fn changes(files: &[PathBuf], extra: &[&str]) -> Vec<serde_json::Value> {
    let mut args = vec!["transactions", "--rows", "--json"];
    args.extend_from_slice(extra);
    myreplay(&args, files)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .flat_map(|t| t["changes"].as_array().cloned().unwrap_or_default())
        .collect()
}

fn every_value_decodes_to_what_select_returns(f: Flavour) {
    let (source, files) = scenario(f, &["--binlog-row-metadata=FULL"], "FULL");
    // What SELECT says, before the DELETE: the same INSERT again, read back.
    let cols = columns(f);
    let names: Vec<&str> = cols.iter().map(|c| c.0).collect();
    let values: Vec<&str> = cols.iter().map(|c| c.2).collect();
    source.exec(&format!(
        "SET SESSION time_zone = '+00:00'; INSERT INTO app.every (id, {}) VALUES (1, {});",
        names.join(", "),
        values.join(", ")
    ));
    let mut conn = source.conn();
    conn.query_drop("SET SESSION time_zone = '+00:00'").unwrap();
    let exprs: Vec<String> = cols.iter().map(|c| c.3.clone()).collect();
    let row: mysql::Row = conn
        .query_first(format!(
            "SELECT {} FROM app.every WHERE id = 1",
            exprs.join(", ")
        ))
        .unwrap()
        .unwrap();
    let expected: Vec<Option<String>> = (0..cols.len())
        .map(|i| {
            row.get_opt::<Option<String>, _>(i)
                .unwrap()
                .unwrap_or_else(|e| panic!("{}: {e:?}", cols[i].0))
        })
        .collect();

    let all = changes(&files, &[]);
    assert_eq!(all.len(), 3, "insert, update, delete: {all:?}");
    let insert = &all[0];
    assert_eq!(insert["kind"], "insert");
    assert_eq!(insert["table"], "every");
    let after = &insert["after"];
    assert_eq!(
        after["id"], 1,
        "names from binlog_row_metadata=FULL: {insert}"
    );
    for (i, c) in cols.iter().enumerate() {
        let got = &after[c.0];
        let want = &expected[i];
        let ok = match (c.4, want) {
            (_, None) => got.is_null(),
            (Compare::Text, Some(w)) => match got {
                serde_json::Value::String(s) => s == w,
                serde_json::Value::Number(n) => &n.to_string() == w,
                _ => false,
            },
            (Compare::Float, Some(w)) => got.as_f64() == Some(w.parse::<f64>().unwrap()),
            (Compare::Hex, Some(w)) => got["hex"]
                .as_str()
                .is_some_and(|h| h.eq_ignore_ascii_case(w)),
            (Compare::Json, Some(w)) => {
                got == &serde_json::from_str::<serde_json::Value>(w).unwrap()
            }
        };
        assert!(ok, "{}: decoded {got}, SELECT gives {want:?}", c.0);
    }
    // The text form: the values as the SQL path writes them.
    let text = myreplay(&["transactions", "--rows"], &files);
    let insert_line = text
        .lines()
        .find(|l| l.starts_with("\tINSERT `app`.`every`"))
        .unwrap_or_else(|| panic!("{text}"));
    for want in [
        "c_ubig=18446744073709551615",
        "c_dec=-12345678901234567890.0123456789",
        "c_date='2024-02-29'",
        "c_blob=X'DEADBEEF00'",
        "c_null=NULL",
    ] {
        assert!(insert_line.contains(want), "{want} in {insert_line}");
    }
    assert!(insert_line.contains("/* '🐬 dolphin' */"), "{insert_line}");
}

fn minimal_and_noblob_images_say_what_they_lack(f: Flavour) {
    for image in ["MINIMAL", "NOBLOB"] {
        let (_source, files) = scenario(f, &["--binlog-row-metadata=FULL"], image);
        let all = changes(&files, &[]);
        let update = all.iter().find(|c| c["kind"] == "update").unwrap();
        let delete = all.iter().find(|c| c["kind"] == "delete").unwrap();
        let has = |img: &serde_json::Value, col: &str| img.get(col).is_some();
        let lacks = |c: &serde_json::Value, key: &str, col: &str| {
            c[key]
                .as_array()
                .is_some_and(|m| m.iter().any(|n| n == col))
        };
        match image {
            "MINIMAL" => {
                // Before: the primary key only; after: the changed column.
                assert!(
                    has(&update["before"], "id") && !has(&update["before"], "c_int"),
                    "{update}"
                );
                assert!(lacks(update, "before_missing", "c_varchar"), "{update}");
                assert!(
                    has(&update["after"], "c_int") && !has(&update["after"], "c_varchar"),
                    "{update}"
                );
                assert_eq!(update["after"]["c_int"], 7);
                assert!(lacks(delete, "before_missing", "c_text"), "{delete}");
            }
            _ => {
                // Everything but the blobs and texts that did not change.
                assert!(has(&update["before"], "c_varchar"), "{update}");
                assert!(lacks(update, "before_missing", "c_blob"), "{update}");
                assert!(lacks(update, "after_missing", "c_text"), "{update}");
                assert!(lacks(delete, "before_missing", "c_blob"), "{delete}");
            }
        }
        let text = myreplay(&["transactions", "--rows"], &files);
        assert!(text.contains("(not in the image: "), "{image}: {text}");
    }
}

fn column_names_come_from_the_server_or_are_numbered(f: Flavour) {
    let (source, files) = scenario(f, &["--binlog-row-metadata=MINIMAL"], "FULL");
    let numbered = changes(&files, &[]);
    assert_eq!(numbered[0]["after"]["@1"], 1, "{}", numbered[0]);
    let socket = source.socket().display().to_string();
    let mut args = vec!["-S", socket.as_str(), "-u", "root", "--no-defaults"];
    if f.is_mysql() {
        args.push("--ssl-mode=DISABLED");
    }
    let named = changes(&files, &args);
    assert_eq!(
        named[0]["after"]["id"], 1,
        "names from the server: {}",
        named[0]
    );
    assert_eq!(named[0]["after"]["c_int"], -2147483648);
}

macro_rules! rows_tests {
    ($module:ident, $flavour:expr) => {
        flavour_tests!(
            $module,
            $flavour,
            [
                every_value_decodes_to_what_select_returns,
                minimal_and_noblob_images_say_what_they_lack,
                column_names_come_from_the_server_or_are_numbered,
            ]
        );
    };
}

rows_tests!(on_mariadb_10_11, Flavour::MariaDb);
rows_tests!(on_mariadb_11_8, Flavour::MariaDb118);
rows_tests!(on_mysql_9_7, Flavour::MySql97);
