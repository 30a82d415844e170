//! `apply` takes the filters `transactions` lists with (issue 12), with
//! the same meaning: `--table` applies only those tables' row changes,
//! `--kind` and `--grep` only the transactions they pick; a stop point
//! still stops whether or not its transaction is picked. Real servers of
//! every flavour; each table compared with the source's.

mod common;
#[path = "../../apply/tests/support/mod.rs"]
mod support;

use common::{apply_socket, stderr};
use mysql::prelude::Queryable;
use support::{table_states, Flavour, PrivateMariaDb};

fn state_of(db: &PrivateMariaDb, table: &str) -> (String, u64, Option<u64>, String) {
    table_states(db, &["myreplay"])
        .into_iter()
        .find(|t| t.0 == table)
        .unwrap_or_else(|| panic!("no table {table}"))
}

fn filters_pick_what_they_say(f: Flavour) {
    let options: &[&str] = if f.is_mysql() {
        &[
            "--binlog-rows-query-log-events=ON",
            "--gtid-mode=ON",
            "--enforce-gtid-consistency=ON",
        ]
    } else {
        &[]
    };
    let mut source = PrivateMariaDb::start_flavour(f, options);
    source.exec(
        "CREATE DATABASE app;
         CREATE TABLE app.a (id INT PRIMARY KEY, v INT) ENGINE=InnoDB;
         CREATE TABLE app.b (id INT PRIMARY KEY, v INT) ENGINE=InnoDB;",
    );
    let targets: Vec<PrivateMariaDb> = (0..3)
        .map(|_| source.snapshot(&["--skip-log-bin"]))
        .collect();
    let before = source.binlogs().len();
    let mut sql = String::new();
    for i in 0..50 {
        sql += &format!(
            "BEGIN; INSERT INTO app.a VALUES ({i}, {i}); INSERT INTO app.b VALUES ({i}, {i}); COMMIT;"
        );
    }
    sql += "ALTER TABLE app.b ADD COLUMN note VARCHAR(10) NULL;
            INSERT INTO app.a VALUES (1000, 42) /* fix-42 */;
            UPDATE app.a SET v = v + 1 WHERE id < 10;
            FLUSH BINARY LOGS;";
    source.exec(&sql);
    let files = source.binlogs_since(before);

    // --table: app.a's rows, nothing of app.b, not even its DDL.
    let out = apply_socket(&targets[0], &files, &["--table", "app.a"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        state_of(&targets[0], "`app`.`a`"),
        state_of(&source, "`app`.`a`")
    );
    let b: u64 = targets[0]
        .conn()
        .query_first("SELECT COUNT(*) FROM app.b")
        .unwrap()
        .unwrap();
    assert_eq!(b, 0, "nothing of app.b");

    // --kind ddl: the ALTER only.
    let out = apply_socket(&targets[1], &files, &["--kind", "ddl"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let cols: u64 = targets[1]
        .conn()
        .query_first("SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'app' AND TABLE_NAME = 'b' AND COLUMN_NAME = 'note'")
        .unwrap()
        .unwrap();
    assert_eq!(cols, 1, "the DDL applied");
    let rows: u64 = targets[1]
        .conn()
        .query_first("SELECT (SELECT COUNT(*) FROM app.a) + (SELECT COUNT(*) FROM app.b)")
        .unwrap()
        .unwrap();
    assert_eq!(rows, 0, "no row change");

    // --grep: the transaction whose statement says fix-42.
    let out = apply_socket(&targets[2], &files, &["--grep", "fix-42"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let got: Vec<(i32, i32)> = targets[2].conn().query("SELECT id, v FROM app.a").unwrap();
    assert_eq!(got, vec![(1000, 42)]);

    // A stop point stops even when its transaction is not picked: nothing
    // after the DDL, whose GTID is the stop.
    let ddl_gtid = {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_myreplay"))
            .args(["transactions", "--json", "--kind", "ddl"])
            .args(&files)
            .output()
            .unwrap();
        let line: serde_json::Value =
            serde_json::from_str(String::from_utf8_lossy(&out.stdout).lines().next().unwrap())
                .unwrap();
        line["gtid"].as_str().expect("the DDL's GTID").to_string()
    };
    // GTID sets: MySQL's hold exactly the GTIDs named, MariaDB's are a
    // state (up to N in the domain).
    let listed = |option: &str| -> Vec<String> {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_myreplay"))
            .args(["transactions", "--json", option, &ddl_gtid])
            .args(&files)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["gtid"].to_string())
            .collect()
    };
    let (included, excluded) = (listed("--include-gtids"), listed("--exclude-gtids"));
    let all = {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_myreplay"))
            .args(["transactions"])
            .args(&files)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).lines().count()
    };
    assert_eq!(included.len() + excluded.len(), all);
    if f.is_mysql() {
        assert_eq!(
            included,
            vec![format!("\"{ddl_gtid}\"")],
            "exactly the GTID named"
        );
    } else {
        assert_eq!(
            included.last().unwrap(),
            &format!("\"{ddl_gtid}\""),
            "up to it"
        );
        assert_eq!(included.len(), 51, "the 50 transfers and the DDL");
    }
    {
        let g = ddl_gtid;
        let fresh = source.snapshot(&["--skip-log-bin"]);
        fresh.exec("DROP DATABASE app; CREATE DATABASE app; CREATE TABLE app.a (id INT PRIMARY KEY, v INT) ENGINE=InnoDB; CREATE TABLE app.b (id INT PRIMARY KEY, v INT) ENGINE=InnoDB;");
        let out = apply_socket(
            &fresh,
            &files,
            &["--grep", "fix-42", "--stop-before-gtid", &g],
        )
        .output()
        .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let n: u64 = fresh
            .conn()
            .query_first("SELECT COUNT(*) FROM app.a")
            .unwrap()
            .unwrap();
        assert_eq!(n, 0, "the stop before the DDL came before fix-42");
    }
}

flavour_tests!(
    on_mariadb_10_11,
    Flavour::MariaDb,
    [filters_pick_what_they_say]
);
flavour_tests!(
    on_mariadb_11_8,
    Flavour::MariaDb118,
    [filters_pick_what_they_say]
);
flavour_tests!(on_mysql_9_7, Flavour::MySql97, [filters_pick_what_they_say]);
