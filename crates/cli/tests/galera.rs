//! A real 3-node MariaDB Galera cluster as the target (issue 11), started by
//! each test (`support::galera`: MariaDB 10.11 and Debian's galera-4 on
//! 127.0.0.1). The source is a plain MariaDB 10.11 whose workload has a
//! unique key and a foreign key; every test ends with every table of every
//! node equal to the source's and the nodes at one GTID position.
//!
//! - the default replay into one node: equal on all three, one GTID
//!   position, the checkpoint table's DDL in every node's binlog (the
//!   sessions write the binlog on a cluster), no annotation;
//! - the replay killed mid-run with SIGKILL and resumed on another node:
//!   refused (exit 12) while the killed run's lease is fresh, then taken
//!   over and finished;
//! - two replays at once into two nodes: the second refused (exit 12);
//! - a unit over `wsrep_max_ws_rows` (lowered mid-run) is split in two,
//!   and the replay says so;
//! - `wsrep_max_ws_rows` / `wsrep_max_ws_size`: units fit them, a single
//!   source transaction over one is a clean stop naming the setting, and
//!   after raising it the same command finishes;
//! - sessions spread over the three nodes (`-S a,b,c`): every node commits
//!   units, the cluster ends equal;
//! - `--preserve-gtids` with `wsrep_gtid_mode=ON`: refused before the first
//!   write, with the reason.

mod common;
#[path = "../../apply/tests/support/mod.rs"]
mod support;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use common::{apply_socket, checkpoint_rows, events, stderr, transaction_bytes, transactions};
use mysql::prelude::Queryable;
use support::galera::GaleraCluster;
use support::{assert_same_tables, PrivateMariaDb};

const SCHEMA: &str = "CREATE DATABASE app;
     CREATE TABLE app.accounts (id INT PRIMARY KEY, owner VARCHAR(40) NOT NULL, balance BIGINT NOT NULL, UNIQUE KEY (owner)) ENGINE=InnoDB;
     CREATE TABLE app.ledger (id INT AUTO_INCREMENT PRIMARY KEY, account INT NOT NULL, amount BIGINT NOT NULL,
       FOREIGN KEY (account) REFERENCES app.accounts (id) ON DELETE CASCADE) ENGINE=InnoDB;";

/// `transfers` transactions moving money between two of 200 accounts with
/// a ledger row each, every 50th swapping two owners (the unique key),
/// every 97th deleting an account (its ledger rows cascade) and creating it
/// again.
fn bank_sql(transfers: usize) -> String {
    let mut sql = String::from("USE app;");
    for i in 0..200 {
        sql += &format!("INSERT INTO accounts VALUES ({i}, 'o{i}', 1000);");
    }
    for i in 0..transfers {
        let (a, b) = (i * 7 % 200, (i * 13 + 1) % 200);
        sql += &format!(
            "BEGIN; UPDATE accounts SET balance = balance - {i} WHERE id = {a}; UPDATE accounts SET balance = balance + {i} WHERE id = {b}; INSERT INTO ledger (account, amount) VALUES ({a}, {i}); COMMIT;"
        );
        if i % 50 == 0 && a != b {
            sql += &format!(
                "BEGIN; UPDATE accounts SET owner = 'tmp' WHERE id = {a}; UPDATE accounts SET owner = 'o{a}x{i}' WHERE id = {b}; UPDATE accounts SET owner = 'o{b}x{i}' WHERE id = {a}; COMMIT;"
            );
        }
        if i % 97 == 0 {
            sql += &format!(
                "BEGIN; DELETE FROM accounts WHERE id = {b}; INSERT INTO accounts VALUES ({b}, 'r{b}x{i}', 5); COMMIT;"
            );
        }
    }
    sql
}

/// A source with the schema, the cluster with the schema (written on
/// node1), then `workload` on the source: its binlogs.
fn scenario(cluster: &GaleraCluster, workload: &str) -> (PrivateMariaDb, Vec<PathBuf>) {
    let source = PrivateMariaDb::start();
    source.exec(SCHEMA);
    cluster.node(0).exec(SCHEMA);
    cluster.wait_converged();
    source.exec("FLUSH BINARY LOGS");
    let before = source.binlogs().len();
    source.exec("SET GLOBAL innodb_flush_log_at_trx_commit = 2");
    source.exec(workload);
    source.exec("FLUSH BINARY LOGS");
    let files = source.binlogs_since(before);
    (source, files)
}

/// Every node equal to the source, all at one GTID position (returned).
fn assert_cluster_equals(cluster: &GaleraCluster, source: &PrivateMariaDb) -> String {
    let gtid = cluster.wait_converged();
    for node in cluster.nodes() {
        assert_same_tables(source, node);
    }
    gtid
}

/// Event types of a node's binlogs (`myreplay events`), with the SQL of
/// QUERY events.
fn binlog_texts(node: &PrivateMariaDb) -> Vec<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_myreplay"))
        .arg("events")
        .args(node.binlogs())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        // Type and what the event says (not the position, nor the time:
        // each node writes its own binlog when it applies).
        .map(|l| l.split('\t').skip(4).collect::<Vec<_>>().join("\t"))
        .collect()
}

#[test]
fn a_replay_into_one_node_ends_equal_on_every_node_at_one_gtid_position() {
    let cluster = GaleraCluster::start(3, &[]);
    let (source, files) = scenario(&cluster, &bank_sql(3000));
    let total = transactions(&files);
    let out = apply_socket(cluster.node(0), &files, &["--workers", "4"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let gtid = assert_cluster_equals(&cluster, &source);
    eprintln!("{total} transactions; every node at {gtid}");
    let input = transaction_bytes(&events(&files));
    for (i, node) in cluster.nodes().iter().enumerate() {
        assert_eq!(checkpoint_rows(node), total, "node{}", i + 1);
        // The sessions write the binlog on a cluster, the checkpoint
        // table's DDL too: every node's binlog holds the same history.
        let events = binlog_texts(node);
        assert!(
            events
                .iter()
                .any(|e| e.contains("CREATE TABLE IF NOT EXISTS `myreplay`.`applied`")),
            "node{}: the checkpoint table's DDL in its binlog",
            i + 1
        );
        assert!(
            !events.iter().any(|e| e.starts_with("ANNOTATE_ROWS")),
            "node{}: no annotation (the BINLOG statements' text): {:?}",
            i + 1,
            events
                .iter()
                .filter(|e| e.starts_with("ANNOTATE_ROWS"))
                .take(3)
                .collect::<Vec<_>>()
        );
        // The node's binlog about the size of what was replayed (the
        // schema and checkpoint DDL and the lease rows besides).
        let written = transaction_bytes(&common::events(&node.binlogs()));
        eprintln!(
            "node{}: {input} bytes replayed, {written} in its binlog ({:.2}x)",
            i + 1,
            written as f64 / input as f64
        );
        assert!(written * 10 <= input * 12, "node{}: {written} bytes", i + 1);
    }
    // Run again: nothing to do.
    let again = apply_socket(cluster.node(1), &files, &[]).output().unwrap();
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(
        String::from_utf8_lossy(&again.stdout).contains(&format!("({total} skipped")),
        "{}",
        String::from_utf8_lossy(&again.stdout)
    );
}

#[test]
fn killed_mid_run_and_resumed_on_another_node_it_ends_equal() {
    let cluster = GaleraCluster::start(3, &[]);
    let (source, files) = scenario(&cluster, &bank_sql(3000));
    let total = transactions(&files);
    let slow = ["--workers", "2", "--unit-transactions", "1"];
    let mut first = apply_socket(cluster.node(0), &files, &slow)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while checkpoint_rows(cluster.node(0)) < 300 {
        assert!(started.elapsed() < Duration::from_secs(120), "no progress");
        assert!(first.try_wait().unwrap().is_none(), "finished too soon");
        sleep(Duration::from_millis(10));
    }
    first.kill().unwrap(); // SIGKILL
    first.wait().unwrap();
    let killed_at = Instant::now();
    // On node2: refused while the killed run's lease is fresh, then taken over.
    let mut refusals = 0;
    loop {
        let out = apply_socket(cluster.node(1), &files, &["--workers", "2"])
            .output()
            .unwrap();
        if out.status.success() {
            break;
        }
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(12), "{err}");
        assert!(
            err.contains("lease row")
                && err.contains("renewed")
                && err.contains("nothing was written"),
            "{err}"
        );
        refusals += 1;
        assert!(
            killed_at.elapsed() < Duration::from_secs(60),
            "the lease was never taken over: {err}"
        );
        sleep(Duration::from_secs(2));
    }
    eprintln!(
        "resumed on node2 {:.1} s after the kill, after {refusals} refusals",
        killed_at.elapsed().as_secs_f64()
    );
    assert!(refusals > 0, "the killed run's lease was fresh at first");
    assert_cluster_equals(&cluster, &source);
    for node in cluster.nodes() {
        assert_eq!(checkpoint_rows(node), total);
    }
}

#[test]
fn two_replays_at_once_into_two_nodes_the_second_is_refused() {
    let cluster = GaleraCluster::start(3, &[]);
    let (source, files) = scenario(&cluster, &bank_sql(1500));
    let first = apply_socket(
        cluster.node(0),
        &files,
        &["--workers", "1", "--unit-transactions", "1"],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let started = Instant::now();
    while checkpoint_rows(cluster.node(2)) == 0 {
        assert!(started.elapsed() < Duration::from_secs(60), "no progress");
        sleep(Duration::from_millis(10));
    }
    let second = apply_socket(cluster.node(2), &files, &[]).output().unwrap();
    let err = stderr(&second);
    eprintln!("{err}");
    assert_eq!(second.status.code(), Some(12), "{err}");
    assert!(
        err.contains("another `myreplay apply`") && err.contains("lease row"),
        "{err}"
    );
    let out = first.wait_with_output().unwrap();
    assert!(out.status.success(), "the first run: {}", stderr(&out));
    assert_cluster_equals(&cluster, &source);
}

#[test]
fn units_fit_the_write_set_limits_and_a_transaction_over_one_stops_naming_it() {
    let cluster = GaleraCluster::start(3, &[]);
    // Small transfers, then one transaction of 120 rows (over 50 rows),
    // then one of 200 KB (over 64 KiB).
    let mut workload = bank_sql(600);
    workload += "BEGIN;";
    for i in 0..120 {
        workload += &format!(
            "INSERT INTO ledger (account, amount) VALUES ({}, -1);",
            i % 200
        );
    }
    workload += "COMMIT;";
    workload += "CREATE TABLE blobs (id INT PRIMARY KEY, b LONGBLOB) ENGINE=InnoDB;";
    workload += "INSERT INTO blobs VALUES (1, REPEAT('x', 200000));";
    let (source, files) = scenario(&cluster, &workload);
    let set_everywhere = |sql: &str| {
        for node in cluster.nodes() {
            node.exec(sql);
        }
    };
    set_everywhere("SET GLOBAL wsrep_max_ws_rows = 50; SET GLOBAL wsrep_max_ws_size = 65536");
    let dry = apply_socket(cluster.node(0), &files, &["--dry-run"])
        .output()
        .unwrap();
    assert!(
        stderr(&dry).contains("wsrep_max_ws_rows = 50"),
        "the preflight names the limits: {}",
        stderr(&dry)
    );

    let run = || apply_socket(cluster.node(0), &files, &[]).output().unwrap();
    let out = run();
    let err = stderr(&out);
    eprintln!("{err}");
    assert_eq!(out.status.code(), Some(9), "{err}");
    assert!(
        err.contains("wsrep_max_ws_rows")
            && err.contains("raise")
            && err.contains("run the same command"),
        "{err}"
    );
    assert!(!err.contains("split"), "no unit was over the limits: {err}");
    let applied = checkpoint_rows(cluster.node(0));
    assert!(
        applied >= 600,
        "the transfers before it committed: {applied}"
    );

    set_everywhere("SET GLOBAL wsrep_max_ws_rows = 0");
    let out = run();
    let err = stderr(&out);
    eprintln!("{err}");
    assert_eq!(out.status.code(), Some(9), "{err}");
    assert!(err.contains("wsrep_max_ws_size"), "{err}");

    set_everywhere("SET GLOBAL wsrep_max_ws_size = 2147483647");
    let out = run();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_cluster_equals(&cluster, &source);
}

#[test]
fn preserve_gtids_on_a_cluster_is_refused_before_the_first_write() {
    let cluster = GaleraCluster::start(3, &[]);
    let (_source, files) = scenario(&cluster, &bank_sql(10));
    let out = apply_socket(cluster.node(0), &files, &["--preserve-gtids", "--log-bin"])
        .output()
        .unwrap();
    let err = stderr(&out);
    eprintln!("{err}");
    assert_eq!(out.status.code(), Some(7), "{err}");
    assert!(
        err.contains("--preserve-gtids cannot keep the source's GTIDs on a Galera cluster")
            && err.contains("wsrep_gtid_mode=ON")
            && err.contains("nothing was written"),
        "{err}"
    );
    let dbs: Vec<String> = cluster
        .node(0)
        .conn()
        .query("SHOW DATABASES LIKE 'myreplay'")
        .unwrap();
    assert!(dbs.is_empty(), "nothing was written");
}

#[test]
fn a_unit_over_the_write_set_limits_is_split_and_the_replay_says_so() {
    let cluster = GaleraCluster::start(3, &[]);
    let (source, files) = scenario(&cluster, &bank_sql(1500));
    let child = apply_socket(
        cluster.node(0),
        &files,
        &["--workers", "2", "--unit-transactions", "20"],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let started = Instant::now();
    while checkpoint_rows(cluster.node(0)) < 100 {
        assert!(started.elapsed() < Duration::from_secs(60), "no progress");
        sleep(Duration::from_millis(5));
    }
    // Units of 20 transfers change about 80 rows: over 60 from now on
    // (the replay capped its units by the limits it read at its start).
    for node in cluster.nodes() {
        node.exec("SET GLOBAL wsrep_max_ws_rows = 60");
    }
    let out = child.wait_with_output().unwrap();
    let err = stderr(&out);
    eprintln!("{err}");
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("units were over the cluster's write-set limits")
            && err.contains("were split"),
        "{err}"
    );
    assert_cluster_equals(&cluster, &source);
    for node in cluster.nodes() {
        assert_eq!(checkpoint_rows(node), transactions(&files));
    }
}

/// Another client writes, on node2, rows the replay writes on node1:
/// certification failures (the replay's commit loses to a write set
/// certified first) and brute-force aborts (a replicated write set aborts
/// the replay's transaction in progress) reach the replay as deadlocks and
/// are retried like them. The client stops well before the end: the
/// replay's later row images (full images) bring the rows back to the
/// source's, so the cluster ends equal.
#[test]
fn certification_failures_and_brute_force_aborts_are_retried() {
    let cluster = GaleraCluster::start(3, &[]);
    let (source, files) = scenario(&cluster, &bank_sql(3000));
    let total = transactions(&files);
    let conflicts = |db: &PrivateMariaDb| -> u64 {
        ["wsrep_local_cert_failures", "wsrep_local_bf_aborts"]
            .iter()
            .map(|v| {
                let (_, n): (String, u64) = db
                    .conn()
                    .query_first(format!("SHOW GLOBAL STATUS LIKE '{v}'"))
                    .unwrap()
                    .unwrap();
                n
            })
            .sum()
    };
    let before = conflicts(cluster.node(0));
    let mut child = apply_socket(
        cluster.node(0),
        &files,
        &["--workers", "2", "--unit-transactions", "2"],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let mut other = cluster.node(1).conn();
    let started = Instant::now();
    let mut writes = 0u64;
    // The client writes until the replay is half done and it has seen a
    // conflict on node1 (asked every write: on a loaded machine one write
    // in many conflicts, so a fixed count of writes can miss), and never
    // past nine tenths, so the replay's own later images still follow.
    loop {
        let rows = checkpoint_rows(cluster.node(1));
        let seen = conflicts(cluster.node(0)) - before;
        if (rows >= total / 2 && seen > 0) || rows >= total * 9 / 10 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(120), "no progress");
        assert!(
            child.try_wait().unwrap().is_none(),
            "finished before the conflicts stopped"
        );
        // Every account at once: any replay unit in flight conflicts.
        let _ = other.query_drop("UPDATE app.accounts SET balance = balance + 1");
        writes += 1;
        sleep(Duration::from_millis(10));
    }
    drop(other);
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the replay rides through the conflicts: {}",
        stderr(&out)
    );
    let seen = conflicts(cluster.node(0)) - before;
    eprintln!("{writes} conflicting writes on node2; {seen} certification failures and brute-force aborts on node1");
    assert!(seen > 0, "the test made no conflict in {writes} writes");
    assert_cluster_equals(&cluster, &source);
    for node in cluster.nodes() {
        assert_eq!(checkpoint_rows(node), total);
    }
}

/// Sessions spread over the three nodes (`-S` with the three sockets):
/// units that follow one committed on another node see it (the sessions
/// wait for their node with wsrep_sync_wait), and the cluster ends equal.
#[test]
fn sessions_spread_over_the_nodes_end_equal_on_every_node() {
    let cluster = GaleraCluster::start(3, &[]);
    let (source, files) = scenario(&cluster, &bank_sql(3000));
    let total = transactions(&files);
    let sockets: Vec<String> = cluster
        .nodes()
        .iter()
        .map(|n| n.socket().display().to_string())
        .collect();
    let local_commits = |db: &PrivateMariaDb| -> u64 {
        let (_, n): (String, u64) = db
            .conn()
            .query_first("SHOW GLOBAL STATUS LIKE 'wsrep_local_commits'")
            .unwrap()
            .unwrap();
        n
    };
    let local_commits_before: Vec<u64> = cluster.nodes().iter().map(local_commits).collect();
    let out = Command::new(env!("CARGO_BIN_EXE_myreplay"))
        .args([
            "apply",
            "-S",
            &sockets.join(","),
            "-u",
            "root",
            "--no-defaults",
        ])
        .args(["--workers", "6", "--unit-transactions", "5"])
        .args(&files)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    // Every node committed units of its own (write sets it replicated).
    for (i, before) in local_commits_before.iter().enumerate() {
        let after = local_commits(cluster.node(i));
        assert!(
            after > *before + 10,
            "node{}: {before} then {after} local commits",
            i + 1
        );
    }
    assert_cluster_equals(&cluster, &source);
    for node in cluster.nodes() {
        assert_eq!(checkpoint_rows(node), total);
    }
}
