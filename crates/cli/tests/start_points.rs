//! `myreplay apply --start-position` at every kind of event boundary a
//! backup records, on both apply paths: right after a file's header events
//! (what `SHOW MASTER STATUS` says after `FLUSH BINARY LOGS`, the most common
//! start point), in the middle of a file, before the last transaction of a
//! file, and at a file's very end. The source stays up the whole time, so
//! none of these points is a file boundary made by a restart.
//!
//! On MariaDB 10.11, MariaDB 11.8 and MySQL 9.7, each as source and target.
//! Each target is a physical copy of the source taken before the workload,
//! brought to the start point by running the same SQL on it directly (not by
//! myreplay), then replayed from the point; it must end equal to the source.

mod common;
#[path = "../../apply/tests/support/mod.rs"]
mod support;

use std::path::PathBuf;

use common::{apply_socket, stderr};
use support::{assert_same_tables, Flavour, PrivateMariaDb};

/// One step of the workload: transactions of several kinds.
fn step(n: u32) -> String {
    let b = n * 100;
    let mut sql = String::from("USE d;");
    for i in 0..4 {
        sql += &format!("INSERT INTO t VALUES ({}, {n}, 'r{}');", b + i, b + i);
    }
    sql += &format!(
        "BEGIN; UPDATE t SET v = v + 1 WHERE id < {b}; INSERT INTO u VALUES ({n}, 'u{n}'); COMMIT;"
    );
    sql += &format!("DELETE FROM t WHERE id = {};", b + 3);
    if n == 2 {
        sql += "CREATE TABLE w (id INT PRIMARY KEY, note TEXT);";
    }
    if n >= 2 {
        sql += &format!("INSERT INTO w VALUES ({n}, REPEAT('x', {n} * 10));");
    }
    sql
}

#[test]
fn a_replay_starts_at_every_kind_of_event_boundary_on_both_apply_paths() {
    every_boundary(Flavour::MariaDb);
}

#[test]
fn on_mysql_9_7_a_replay_starts_at_every_kind_of_event_boundary_on_both_apply_paths() {
    every_boundary(Flavour::MySql97);
}

#[test]
fn on_mariadb_11_8_a_replay_starts_at_every_kind_of_event_boundary_on_both_apply_paths() {
    every_boundary(Flavour::MariaDb118);
}

fn every_boundary(flavour: Flavour) {
    let mut source = PrivateMariaDb::start_flavour(flavour, &[]);
    source.exec(
        "CREATE DATABASE d; USE d;
         CREATE TABLE t (id INT PRIMARY KEY, v INT NOT NULL, s VARCHAR(20)) ENGINE=InnoDB;
         CREATE TABLE u (id INT PRIMARY KEY, name VARCHAR(20) NOT NULL, UNIQUE KEY (name)) ENGINE=InnoDB;
         INSERT INTO t VALUES (-1, 0, 'before');",
    );
    let mut base = source.snapshot(&["--skip-log-bin"]);

    // The workload, with the coordinates a backup would record at each point.
    source.exec("FLUSH BINARY LOGS");
    let after_header = source.binlog_status();
    source.exec(&step(1));
    source.exec(&step(2));
    let mid_file = source.binlog_status();
    source.exec(&step(3));
    source.exec("USE d; INSERT INTO t VALUES (1000, 1, 'last-a'), (1001, 1, 'last-b')");
    let last_pos = source.binlog_status();
    source.exec("USE d; UPDATE t SET s = 'last' WHERE id = 1000");
    source.exec("FLUSH BINARY LOGS");
    let end_file = {
        let len = std::fs::metadata(&last_pos.0).unwrap().len();
        let gtid = source.binlog_status().2;
        (last_pos.0.clone(), len, gtid)
    };
    source.exec(&step(4));
    source.exec(&step(5));
    source.exec("FLUSH BINARY LOGS");
    let all = source.binlogs();
    let files_from = |file: &PathBuf| -> Vec<PathBuf> {
        let i = all.iter().position(|f| f == file).unwrap();
        all[i..all.len() - 1].to_vec()
    };
    assert_eq!(after_header.0, mid_file.0, "the points share one file");
    assert!(after_header.1 > 4 && after_header.1 < mid_file.1);

    // What the target must hold at each point (run directly on it).
    let before_last = format!(
        "{}{}USE d; INSERT INTO t VALUES (1000, 1, 'last-a'), (1001, 1, 'last-b');",
        step(1) + &step(2),
        step(3)
    );
    let at_end = before_last.clone() + "USE d; UPDATE t SET s = 'last' WHERE id = 1000;";
    let points: [(&str, &(PathBuf, u64, String), String); 4] = [
        (
            "right after the header events",
            &after_header,
            String::new(),
        ),
        ("mid-file", &mid_file, step(1) + &step(2)),
        ("the last transaction of a file", &last_pos, before_last),
        ("a file's end", &end_file, at_end),
    ];
    for path in ["binlog", "sql"] {
        for (what, (file, pos, gtid), done) in &points {
            // From the position, files listed; and from the GTID state,
            // the binlogs found in the source's datadir.
            let by_position: Vec<String> = ["--start-position".to_string(), pos.to_string()]
                .into_iter()
                .chain(files_from(file).iter().map(|f| f.display().to_string()))
                .collect();
            let by_gtid: Vec<String> = vec![
                "--start-gtid".into(),
                gtid.clone(),
                "--binlog-dir".into(),
                source.datadir().display().to_string(),
            ];
            for start in [by_position, by_gtid] {
                let target = base.snapshot(&["--skip-log-bin"]);
                if !done.is_empty() {
                    target.exec(done);
                }
                let mut args: Vec<&str> = vec!["--apply", path];
                args.extend(start.iter().map(String::as_str));
                let out = apply_socket(&target, &[], &args).output().unwrap();
                assert!(
                    out.status.success(),
                    "--apply {path}, start {what} ({}:{pos}, {gtid}) with {start:?}: exit {:?}\n{}",
                    file.display(),
                    out.status.code(),
                    stderr(&out)
                );
                assert_same_tables(&source, &target);
            }
        }
    }
    base.stop();
}
