//! `myreplay plan` on binlogs a private server writes (MariaDB 10.11, MariaDB
//! 11.8, MySQL 9.7; modules `on_FLAVOUR`), offline and with the
//! exact keys read from that server.

#[path = "../../apply/tests/support/mod.rs"]
mod support;

use std::process::Command;

use support::{Flavour, PrivateMariaDb};

fn plan(args: &[&str], binlogs: &[std::path::PathBuf]) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_myreplay"))
        .arg("plan")
        .arg("--json")
        .args(args)
        .args(binlogs)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn plan_offline_and_with_the_servers_keys(f: Flavour) {
    let db = PrivateMariaDb::start_flavour(f, &[]);
    db.exec(
        "CREATE DATABASE shop;
         USE shop;
         CREATE TABLE users (id INT PRIMARY KEY, email VARCHAR(50) NOT NULL, UNIQUE KEY (email)) ENGINE=InnoDB;
         CREATE TABLE orders (id INT PRIMARY KEY, user_id INT, FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE) ENGINE=InnoDB;
         CREATE TABLE order_lines (id INT PRIMARY KEY, order_id INT, FOREIGN KEY (order_id) REFERENCES orders(id) ON DELETE CASCADE) ENGINE=InnoDB;
         CREATE TABLE log (msg VARCHAR(20)) ENGINE=InnoDB;
         CREATE TABLE audited (id INT PRIMARY KEY) ENGINE=InnoDB;
         CREATE TRIGGER audit AFTER INSERT ON audited FOR EACH ROW INSERT INTO log VALUES ('x');
         FLUSH BINARY LOGS;",
    );
    let mut sql = String::from("USE shop;");
    for i in 0..40 {
        sql += &format!("INSERT INTO users VALUES ({i}, 'u{i}@x');");
    }
    for i in 0..40 {
        sql += &format!("INSERT INTO orders VALUES ({i}, {});", i % 5);
    }
    // A unique-value swap through a temporary value, then independent work.
    sql += "BEGIN; UPDATE users SET email='tmp' WHERE id=1; UPDATE users SET email='u1@x' WHERE id=2; COMMIT;";
    sql += "UPDATE users SET email='u2@x' WHERE id=1;";
    sql += "INSERT INTO log VALUES ('a'), ('b');";
    sql += "DELETE FROM users WHERE id = 4;";
    sql += "INSERT INTO audited VALUES (1);";
    sql += "SET SESSION binlog_format=STATEMENT; UPDATE log SET msg='c' WHERE msg='a'; SET SESSION binlog_format=ROW;";
    db.exec(&sql);
    db.exec("FLUSH BINARY LOGS;");
    // The workload's file: the one after the DDL's.
    let logs = db.binlogs();
    let workload = vec![logs[logs.len() - 2].clone()];

    let offline = plan(&[], &workload);
    assert_eq!(offline["key_source"], "offline");
    assert!(offline["warnings"][0]
        .as_str()
        .unwrap()
        .contains("unique secondary keys"));
    let n = offline["transactions"].as_u64().unwrap();
    assert_eq!(n, 40 + 40 + 1 + 1 + 1 + 1 + 1 + 1);

    let socket = db.socket().display().to_string();
    let online = plan(
        &[
            "-S",
            &socket,
            "-u",
            "root",
            "--no-defaults",
            "--database",
            "shop",
        ],
        &workload,
    );
    assert_eq!(online["key_source"], "server");
    assert_eq!(online["transactions"].as_u64().unwrap(), n);
    assert_eq!(online["barriers_by_cause"]["statement"], 1);
    assert_eq!(
        online["keyless_tables"],
        serde_json::json!(["`shop`.`log`"])
    );
    assert_eq!(
        online["tables_with_triggers"],
        serde_json::json!(["`shop`.`audited`"])
    );
    let cascades: Vec<String> = serde_json::from_value(online["cascade_chains"].clone()).unwrap();
    assert!(
        cascades
            .iter()
            .any(|c| c.starts_with("`shop`.`users` -> `shop`.`orders`")),
        "{cascades:?}"
    );
    assert!(
        cascades
            .iter()
            .any(|c| c.starts_with("`shop`.`orders` -> `shop`.`order_lines`")),
        "{cascades:?}"
    );
    // Inserts into distinct rows run in parallel; the offline plan keys
    // every table at table level and cannot.
    let speedup = |v: &serde_json::Value, w: &str| v["speedup"][w].as_f64().unwrap();
    assert!(speedup(&online, "8") > 2.0, "{online}");
    assert!(speedup(&offline, "8") < speedup(&online, "8"));
    assert!(online["critical_path"].as_u64().unwrap() < offline["critical_path"].as_u64().unwrap());
}

flavour_tests!(
    on_mariadb_10_11,
    Flavour::MariaDb,
    [plan_offline_and_with_the_servers_keys]
);
flavour_tests!(
    on_mariadb_11_8,
    Flavour::MariaDb118,
    [plan_offline_and_with_the_servers_keys]
);
flavour_tests!(
    on_mysql_9_7,
    Flavour::MySql97,
    [plan_offline_and_with_the_servers_keys]
);
