//! The point-in-time recovery runbook with myreplay alone (issue 12): a
//! `DROP TABLE` in the middle of a binlog file is found with
//! `transactions --grep`, which names the option that stops before it;
//! `apply` with that option leaves the table in place and everything
//! before it applied: every table equal to the source's just before the
//! DROP. On every flavour (MySQL with GTIDs on, and off: then the stop is a
//! position).

mod common;
#[path = "../../apply/tests/support/mod.rs"]
mod support;

use std::path::PathBuf;
use std::process::Command;

use common::{apply_socket, stderr};
use support::{table_states, Flavour, PrivateMariaDb};

fn found_and_stopped_before(f: Flavour, source_options: &[&str]) {
    let mut source = PrivateMariaDb::start_flavour(f, source_options);
    source.exec(
        "CREATE DATABASE app;
         CREATE TABLE app.orders (id INT PRIMARY KEY, amount INT) ENGINE=InnoDB;
         CREATE TABLE app.customers (id INT PRIMARY KEY, name VARCHAR(20)) ENGINE=InnoDB;",
    );
    let target = source.snapshot(&["--skip-log-bin"]);
    let before = source.binlogs().len();
    let mut sql = String::new();
    for i in 0..300 {
        sql += &format!(
            "INSERT INTO app.orders VALUES ({i}, {i}); INSERT INTO app.customers VALUES ({i}, 'c{i}');"
        );
        if i % 10 == 0 {
            sql += &format!("UPDATE app.orders SET amount = amount + 1 WHERE id <= {i};");
        }
    }
    source.exec(&sql);
    // The source as it was just before the mistake: the oracle.
    let expected = table_states(&source, &["myreplay"]);
    source.exec(
        "DROP TABLE app.orders;
         INSERT INTO app.customers VALUES (1000, 'after');
         FLUSH BINARY LOGS;",
    );
    let files = source.binlogs_since(before);

    let out = Command::new(env!("CARGO_BIN_EXE_myreplay"))
        .args(["transactions", "--grep", "(?i)drop table"])
        .args(&files)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "one match: {text}");
    assert!(lines[0].contains("DROP TABLE"), "{text}");
    let hint = lines[0]
        .split("stop before it: ")
        .nth(1)
        .unwrap_or_else(|| panic!("the match names the stop point: {text}"));
    // `--stop-before-gtid G`, or `--stop-position N with FILE the last file`.
    let words: Vec<&str> = hint.split_whitespace().collect();
    let (stop, last): (Vec<&str>, Option<&str>) = match words.as_slice() {
        ["--stop-before-gtid", g] => (vec!["--stop-before-gtid", g], None),
        ["--stop-position", n, "with", file, "the", "last", "file"] => {
            (vec!["--stop-position", n], Some(file))
        }
        _ => panic!("an apply option: {hint}"),
    };
    // The DROP is inside a file, after hundreds of transactions in it.
    let offset: u64 = lines[0]
        .split('\t')
        .nth(3)
        .unwrap()
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(offset > 10_000, "{}", lines[0]);
    let files: Vec<PathBuf> = match last {
        Some(last) => {
            let n = files
                .iter()
                .position(|p| p.ends_with(last))
                .expect("the file named");
            files[..=n].to_vec()
        }
        None => files,
    };
    let out = apply_socket(&target, &files, &stop).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        table_states(&target, &["myreplay"]),
        expected,
        "the target is the source just before the DROP"
    );
}

fn a_drop_table_found_with_grep_and_apply_stops_just_before_it(f: Flavour) {
    let options: &[&str] = if f.is_mysql() {
        &["--gtid-mode=ON", "--enforce-gtid-consistency=ON"]
    } else {
        &[]
    };
    found_and_stopped_before(f, options);
}

#[test]
fn on_mysql_9_7_without_gtids_a_drop_table_found_with_grep_and_apply_stops_at_its_position() {
    found_and_stopped_before(Flavour::MySql97, &["--gtid-mode=OFF"]);
}

flavour_tests!(
    on_mariadb_10_11,
    Flavour::MariaDb,
    [a_drop_table_found_with_grep_and_apply_stops_just_before_it]
);
flavour_tests!(
    on_mariadb_11_8,
    Flavour::MariaDb118,
    [a_drop_table_found_with_grep_and_apply_stops_just_before_it]
);
flavour_tests!(
    on_mysql_9_7,
    Flavour::MySql97,
    [a_drop_table_found_with_grep_and_apply_stops_just_before_it]
);
