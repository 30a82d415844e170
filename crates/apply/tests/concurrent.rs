//! Randomized concurrent workloads: several client threads on the source at
//! once run random conflicting transactions (unique-value swaps, primary-key
//! changes, deletes and re-inserts, cascading deletes, a key-less table,
//! rollbacks); whatever commits is in the binlog in commit order. The binlogs
//! are replayed with 8 workers on both apply paths; every table must equal
//! the source's. On MariaDB 10.11, MariaDB 11.8 and MySQL 9.7 (modules
//! `on_FLAVOUR`).

mod support;

use std::sync::atomic::AtomicBool;

use myreplay_apply::{ApplyPath, Replay};
use mysql::prelude::Queryable;
use support::{assert_same_tables, Flavour, PrivateMariaDb};

/// A small deterministic generator (xorshift), seeded per thread.
struct Rng(u64);

impl Rng {
    fn next(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn random_transaction(r: &mut Rng) -> String {
    let mut sql = String::from("BEGIN;");
    for _ in 0..1 + r.next(4) {
        let (a, b) = (r.next(40), r.next(40));
        sql += &match r.next(9) {
            0 => format!(
                "UPDATE shop.users SET email = CONCAT('tmp', {a}, '-', {b}) WHERE id = {a};"
            ),
            1 => format!("UPDATE shop.users SET email = 'e{b}' WHERE id = {a};"),
            2 => format!(
                "UPDATE shop.users SET id = {} WHERE id = {a};",
                40 + r.next(40)
            ),
            3 => format!("DELETE FROM shop.users WHERE id = {a};"),
            4 => format!(
                "INSERT IGNORE INTO shop.users VALUES ({a}, 'e{}', 'New');",
                r.next(80)
            ),
            5 => format!("INSERT INTO shop.orders (user_id, total) VALUES ({a}, {b}.5);"),
            6 => format!("UPDATE shop.counters SET v = v + {b} WHERE id = {};", a % 3),
            7 => format!("INSERT INTO shop.log VALUES ('{a}', {b});"),
            _ => format!("DELETE FROM shop.log WHERE n = {b} LIMIT 1;"),
        };
    }
    sql += if r.next(10) == 0 {
        "ROLLBACK;"
    } else {
        "COMMIT;"
    };
    sql
}

fn concurrent_random_workloads_replay_equal_on_both_paths(f: Flavour) {
    let mut source = PrivateMariaDb::start_flavour(f, &[]);
    let mut schema = String::from(
        "CREATE DATABASE shop;
         CREATE TABLE shop.users (id INT PRIMARY KEY, email VARCHAR(40) NOT NULL, name VARCHAR(20), UNIQUE KEY (email)) ENGINE=InnoDB;
         CREATE TABLE shop.orders (id INT AUTO_INCREMENT PRIMARY KEY, user_id INT NOT NULL, total DECIMAL(8,2),
           FOREIGN KEY (user_id) REFERENCES shop.users(id) ON DELETE CASCADE ON UPDATE CASCADE) ENGINE=InnoDB;
         CREATE TABLE shop.counters (id INT PRIMARY KEY, v BIGINT NOT NULL) ENGINE=InnoDB;
         CREATE TABLE shop.log (msg VARCHAR(10), n INT) ENGINE=InnoDB;
         INSERT INTO shop.counters VALUES (0, 0), (1, 0), (2, 0);",
    );
    for i in 0..40 {
        schema += &format!("INSERT INTO shop.users VALUES ({i}, 'e{i}', 'User');");
    }
    source.exec(&schema);
    let targets: Vec<PrivateMariaDb> = (0..2)
        .map(|_| source.snapshot(&["--skip-log-bin"]))
        .collect();
    let before = source.binlogs().len();

    let threads: Vec<_> = (0..4u64)
        .map(|t| {
            let options = source.options();
            std::thread::spawn(move || {
                let mut conn = options.conn().expect("a client connection");
                let mut r = Rng(0x9E37_79B9_7F4A_7C15 ^ ((t + 1) * 0x1234_5678_9ABC));
                let mut committed = 0;
                for _ in 0..250 {
                    // Conflicts between the threads are expected: a failed
                    // transaction is rolled back and is not in the binlog.
                    if conn.query_drop(random_transaction(&mut r)).is_ok() {
                        committed += 1;
                    } else {
                        let _ = conn.query_drop("ROLLBACK");
                    }
                }
                committed
            })
        })
        .collect();
    let committed: u32 = threads.into_iter().map(|t| t.join().unwrap()).sum();
    assert!(
        committed > 300,
        "only {committed} transactions went through"
    );
    source.exec("FLUSH BINARY LOGS");
    let files = source.binlogs_since(before);

    for (target, path) in targets.iter().zip([ApplyPath::Binlog, ApplyPath::Sql]) {
        let mut replay = Replay::new(files.clone(), target.options());
        replay.workers = 8;
        replay.limits.max_transactions = 4;
        replay.path = path;
        let report = replay
            .run(|_| {}, &AtomicBool::new(false))
            .unwrap_or_else(|e| panic!("{path:?}: {e}"));
        assert!(report.transactions_applied > 300, "{report:?}");
        assert_same_tables(&source, target);
    }
    let _ = source.conn().query_drop("SELECT 1");
}

flavour_tests!(
    on_mariadb_10_11,
    Flavour::MariaDb,
    [concurrent_random_workloads_replay_equal_on_both_paths]
);
flavour_tests!(
    on_mariadb_11_8,
    Flavour::MariaDb118,
    [concurrent_random_workloads_replay_equal_on_both_paths]
);
flavour_tests!(
    on_mysql_9_7,
    Flavour::MySql97,
    [concurrent_random_workloads_replay_equal_on_both_paths]
);
