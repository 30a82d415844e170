//! Binlogs of one flavour into a target of the other (docs/compatibility.md):
//! the BINLOG-statement path is refused before the first write, saying why
//! and what to use; the SQL path replays rows and statements of a plain
//! schema (integers, strings, decimals, dates; DDL) and ends equal, unless
//! a statement was written under session settings the target does not
//! know (a collation id), which is refused before the first write too.

mod common;
#[path = "../../apply/tests/support/mod.rs"]
mod support;

use common::{apply_socket, stderr};
use mysql::prelude::Queryable;
use support::{table_states, Flavour, PrivateMariaDb};

const SCHEMA: &str = "CREATE DATABASE x; CREATE TABLE x.t (id INT PRIMARY KEY, name VARCHAR(30) NOT NULL, amount DECIMAL(10,2), at DATETIME, UNIQUE KEY (name)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;";

const WORKLOAD: &str = "
INSERT INTO x.t VALUES (1, 'one', 1.50, '2026-11-30 10:00:00'), (2, 'two', NULL, NULL);
UPDATE x.t SET amount = amount + 1, name = 'uno' WHERE id = 1;
BEGIN; INSERT INTO x.t VALUES (3, 'three', -3.25, '2026-12-01 00:00:01'); DELETE FROM x.t WHERE id = 2; COMMIT;
CREATE TABLE x.u (id INT PRIMARY KEY, note VARCHAR(10)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
INSERT INTO x.u VALUES (1, 'é'), (2, 'ß');
";

/// Tables of `x` (name, rows, CHECKSUM TABLE): the definitions differ
/// between flavours by their nature, the data must not.
fn data(db: &PrivateMariaDb) -> Vec<(String, u64, Option<u64>)> {
    table_states(db, &["myreplay"])
        .into_iter()
        .map(|(name, rows, checksum, _)| (name, rows, checksum))
        .collect()
}

fn rows(db: &PrivateMariaDb) -> Vec<(i64, String)> {
    db.conn()
        .query("SELECT id, CONCAT_WS('|', name, amount, at) FROM x.t ORDER BY id")
        .unwrap()
}

/// What the SQL path does with these binlogs on this target.
enum Sql {
    Equal,
    /// Refused before the first write, the message holding this.
    Refused(&'static str),
}

fn across(from: Flavour, to: Flavour, sql: Sql) {
    let source = PrivateMariaDb::start_flavour(from, &["--binlog-format=ROW"]);
    source.exec(SCHEMA);
    source.exec("FLUSH BINARY LOGS");
    let (file, pos, _) = source.binlog_status();
    source.exec(WORKLOAD);
    source.exec("FLUSH BINARY LOGS");
    let files = vec![file];
    let start = pos.to_string();

    let target = PrivateMariaDb::start_flavour(to, &["--skip-log-bin"]);
    target.exec(SCHEMA);
    // The BINLOG-statement path: refused before anything is written.
    let out = apply_socket(&target, &files, &["--start-position", &start])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(
        out.status.code(),
        Some(7),
        "{} into {}: {err}",
        from.name(),
        to.name()
    );
    assert!(
        err.contains("--apply sql") && err.contains("nothing was written"),
        "{err}"
    );
    let dbs: Vec<String> = target
        .conn()
        .query("SHOW DATABASES LIKE 'myreplay'")
        .unwrap();
    assert!(dbs.is_empty(), "no checkpoint table: {err}");
    // The SQL path.
    let out = apply_socket(
        &target,
        &files,
        &["--apply", "sql", "--start-position", &start],
    )
    .output()
    .unwrap();
    match sql {
        Sql::Equal => {
            assert!(
                out.status.success(),
                "{} into {}, --apply sql: {}",
                from.name(),
                to.name(),
                stderr(&out)
            );
            assert_eq!(rows(&target), rows(&source));
            let names = |v: Vec<(String, u64, Option<u64>)>| {
                v.into_iter().map(|t| (t.0, t.1)).collect::<Vec<_>>()
            };
            assert_eq!(
                names(data(&target)),
                names(data(&source)),
                "the same tables and row counts"
            );
        }
        Sql::Refused(why) => {
            let err = stderr(&out);
            assert_eq!(
                out.status.code(),
                Some(7),
                "{} into {}, --apply sql: {err}",
                from.name(),
                to.name()
            );
            assert!(
                err.contains(why) && err.contains("Nothing was written"),
                "{err}"
            );
            let dbs: Vec<String> = target
                .conn()
                .query("SHOW DATABASES LIKE 'myreplay'")
                .unwrap();
            assert!(dbs.is_empty(), "no checkpoint table: {err}");
            let n: u64 = target
                .conn()
                .query_first("SELECT COUNT(*) FROM x.t")
                .unwrap()
                .unwrap();
            assert_eq!(n, 0, "nothing applied");
        }
    }
}

#[test]
fn mysql_9_7_binlogs_into_mariadb_11_8() {
    across(Flavour::MySql97, Flavour::MariaDb118, Sql::Equal);
}

#[test]
fn mariadb_10_11_binlogs_into_mysql_9_7() {
    across(Flavour::MariaDb, Flavour::MySql97, Sql::Equal);
}

#[test]
fn mysql_9_7_binlogs_into_mariadb_10_11() {
    across(
        Flavour::MySql97,
        Flavour::MariaDb,
        Sql::Refused("Unknown collation: '255'"),
    );
}

#[test]
fn mariadb_11_8_binlogs_into_mysql_9_7() {
    across(
        Flavour::MariaDb118,
        Flavour::MySql97,
        Sql::Refused("collation id 2304"),
    );
}

/// Binlogs of an older server of the same flavour into a newer one (an
/// upgrade between the backup and the replay): both paths apply them, and
/// every table ends equal (rows, CHECKSUM TABLE, definition).
fn upgrade(from: Flavour, to: Flavour) {
    let source = PrivateMariaDb::start_flavour(from, &["--binlog-format=ROW"]);
    source.exec(SCHEMA);
    source.exec("FLUSH BINARY LOGS");
    let (file, pos, _) = source.binlog_status();
    source.exec(WORKLOAD);
    // Statement-format changes and a multi-row update too.
    source.exec(
        "SET SESSION binlog_format = STATEMENT;
         UPDATE x.t SET amount = amount * 2 WHERE amount IS NOT NULL;
         SET SESSION binlog_format = ROW;
         UPDATE x.u SET note = CONCAT(note, '!');",
    );
    source.exec("FLUSH BINARY LOGS");
    let files = vec![file];
    let start = pos.to_string();
    for path in ["binlog", "sql"] {
        let target = PrivateMariaDb::start_flavour(to, &["--skip-log-bin"]);
        target.exec(SCHEMA);
        let out = apply_socket(
            &target,
            &files,
            &["--apply", path, "--start-position", &start],
        )
        .output()
        .unwrap();
        assert!(
            out.status.success(),
            "{} into {}, --apply {path}: {}",
            from.name(),
            to.name(),
            stderr(&out)
        );
        assert_eq!(rows(&target), rows(&source), "--apply {path}");
        support::assert_same_tables(&source, &target);
    }
}

#[test]
fn mariadb_10_11_binlogs_into_mariadb_11_8_on_both_paths() {
    upgrade(Flavour::MariaDb, Flavour::MariaDb118);
}
