//! MySQL's own binlog features, end to end: a MySQL 9.7 source with
//! `binlog_transaction_compression=ON`, `binlog_row_value_options=PARTIAL_JSON`
//! and `binlog_row_metadata=FULL` writes partial JSON updates, tagged GTIDs,
//! MINIMAL and NOBLOB images, invisible columns, a generated invisible
//! primary key and cascading foreign keys; replayed into a copy of the
//! source taken before, on both apply paths, every table ends equal.

mod common;
#[path = "../../apply/tests/support/mod.rs"]
mod support;

use common::{apply_socket, stderr, transactions};
use support::{assert_same_tables, Flavour, PrivateMariaDb};

const WORKLOAD: &str = "
CREATE DATABASE f; USE f;
CREATE TABLE j (id INT PRIMARY KEY, doc JSON, note VARCHAR(20));
INSERT INTO j VALUES (1, '{\"a\": 1, \"b\": [1, 2, 3], \"c\": \"x\", \"d\": {\"e\": null}}', 'n'), (2, '{\"a\": 2}', 'm');
UPDATE j SET doc = JSON_SET(doc, '$.a', 10), note = 'nn' WHERE id = 1;
UPDATE j SET doc = JSON_REPLACE(doc, '$.c', 'yy') WHERE id = 1;
UPDATE j SET doc = JSON_REMOVE(doc, '$.b[1]') WHERE id = 1;
UPDATE j SET doc = JSON_ARRAY_INSERT(doc, '$.b[0]', 'first') WHERE id = 1;
UPDATE j SET doc = JSON_SET(doc, '$.new', JSON_OBJECT('k', 15, 'f', 2.5e0)) WHERE id = 1;
UPDATE j SET doc = JSON_SET(doc, '$.d.e', 'set'), doc = JSON_REMOVE(doc, '$.a') WHERE id = 1;
CREATE TABLE inv (id INT PRIMARY KEY, v INT, secret INT INVISIBLE DEFAULT 7);
INSERT INTO inv (id, v, secret) VALUES (1, 1, 100), (2, 2, 200);
INSERT INTO inv VALUES (3, 3);
UPDATE inv SET secret = secret + 1 WHERE id = 2;
SET SESSION sql_generate_invisible_primary_key = ON;
CREATE TABLE g (a INT, b VARCHAR(10));
SET SESSION sql_generate_invisible_primary_key = OFF;
INSERT INTO g VALUES (1, 'x'), (2, 'y'), (2, 'y');
UPDATE g SET b = 'z' WHERE a = 2;
DELETE FROM g WHERE a = 1;
CREATE TABLE p (id INT PRIMARY KEY);
CREATE TABLE c (id INT PRIMARY KEY, pid INT, FOREIGN KEY (pid) REFERENCES p (id) ON DELETE CASCADE ON UPDATE CASCADE);
INSERT INTO p VALUES (1), (2), (3);
INSERT INTO c VALUES (10, 1), (20, 2), (30, 3);
DELETE FROM p WHERE id = 1;
UPDATE p SET id = 22 WHERE id = 2;
SET SESSION binlog_row_image = MINIMAL;
UPDATE j SET note = 'min' WHERE id = 2;
DELETE FROM inv WHERE id = 1;
SET SESSION binlog_row_image = NOBLOB;
CREATE TABLE bl (id INT PRIMARY KEY, v INT, b BLOB);
INSERT INTO bl VALUES (1, 1, 'blob'), (2, 2, REPEAT('z', 3000));
UPDATE bl SET v = 3 WHERE id = 1;
SET SESSION binlog_row_image = FULL;
SET gtid_next = 'AUTOMATIC:tag1';
INSERT INTO j VALUES (3, '[]', 'tagged');
SET gtid_next = 'AUTOMATIC';
CREATE TABLE big (id INT PRIMARY KEY, pad VARCHAR(200));
INSERT INTO big WITH RECURSIVE s (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 1000)
  SELECT n, REPEAT('compressible ', 15) FROM s;
UPDATE big SET pad = 'short' WHERE id % 7 = 0;
";

#[test]
fn on_mysql_9_7_compression_partial_json_tags_images_invisible_and_cascades_replay_on_both_paths() {
    let mut source = PrivateMariaDb::start_flavour(
        Flavour::MySql97,
        &[
            "--binlog-transaction-compression=ON",
            "--binlog-row-value-options=PARTIAL_JSON",
            "--binlog-row-metadata=FULL",
        ],
    );
    let targets: Vec<PrivateMariaDb> = (0..2)
        .map(|_| source.snapshot(&["--skip-log-bin"]))
        .collect();
    let (file, pos, _) = source.binlog_status();
    source.exec(WORKLOAD);
    source.exec("FLUSH BINARY LOGS");
    let files = vec![file];
    // What the binlog holds: the features really are there.
    let events = std::process::Command::new(env!("CARGO_BIN_EXE_myreplay"))
        .arg("events")
        .args(&files)
        .output()
        .unwrap();
    let listing = String::from_utf8_lossy(&events.stdout);
    for kind in ["TRANSACTION_PAYLOAD", "PARTIAL_UPDATE_ROWS", "GTID_TAGGED"] {
        assert!(
            listing.contains(kind),
            "no {kind} event in the source's binlog"
        );
    }
    assert!(transactions(&files) > 30);
    for (target, path) in targets.iter().zip(["binlog", "sql"]) {
        let out = apply_socket(
            target,
            &files,
            &["--apply", path, "--start-position", &pos.to_string()],
        )
        .output()
        .unwrap();
        assert!(out.status.success(), "--apply {path}: {}", stderr(&out));
        assert_same_tables(&source, target);
    }
}

/// The source's and the target's `gtid_mode` in every combination, on both
/// paths: applied transactions take the target's own next GTID (AUTOMATIC),
/// anonymous ones with `gtid_mode=OFF`.
#[test]
fn on_mysql_9_7_gtid_mode_on_and_off_sources_into_on_and_off_targets() {
    for (source_mode, target_mode) in [("ON", "OFF"), ("OFF", "ON"), ("OFF", "OFF")] {
        let opts = |mode: &str| -> Vec<String> {
            if mode == "OFF" {
                vec![
                    "--gtid-mode=OFF".into(),
                    "--enforce-gtid-consistency=OFF".into(),
                ]
            } else {
                vec![]
            }
        };
        let src_opts = opts(source_mode);
        let src_opts: Vec<&str> = src_opts.iter().map(String::as_str).collect();
        let mut source = PrivateMariaDb::start_flavour(Flavour::MySql97, &src_opts);
        source.exec("CREATE DATABASE m; CREATE TABLE m.t (id INT PRIMARY KEY, v INT);");
        let tgt_opts = opts(target_mode);
        let mut tgt_opts: Vec<&str> = tgt_opts.iter().map(String::as_str).collect();
        tgt_opts.push("--skip-log-bin");
        let targets: Vec<PrivateMariaDb> = (0..2).map(|_| source.snapshot(&tgt_opts)).collect();
        let (file, pos, _) = source.binlog_status();
        source.exec(
            "INSERT INTO m.t VALUES (1, 1), (2, 2); UPDATE m.t SET v = 3 WHERE id = 2;
             CREATE TABLE m.u (id INT PRIMARY KEY); INSERT INTO m.u VALUES (7); DELETE FROM m.t WHERE id = 1;",
        );
        source.exec("FLUSH BINARY LOGS");
        for (target, path) in targets.iter().zip(["binlog", "sql"]) {
            let out = apply_socket(
                target,
                std::slice::from_ref(&file),
                &["--apply", path, "--start-position", &pos.to_string()],
            )
            .output()
            .unwrap();
            assert!(
                out.status.success(),
                "source gtid_mode={source_mode}, target {target_mode}, --apply {path}: {}",
                stderr(&out)
            );
            assert_same_tables(&source, target);
        }
    }
}
