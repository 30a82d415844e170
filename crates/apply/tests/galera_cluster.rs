//! Self-test of the Galera cluster support (tests/support/galera.rs): a real
//! three-node MariaDB Galera cluster on 127.0.0.1 replicates a write from
//! node1 to node3 with the same GTID on every node, and a node killed with
//! SIGKILL rejoins.

mod support;

use std::time::Instant;

use mysql::prelude::Queryable;
use support::galera::{local_gtid_domain, GaleraCluster, SERVER_ID, WSREP_GTID_DOMAIN};

fn gtid_binlog_pos(db: &support::PrivateMariaDb) -> String {
    db.conn()
        .query_first::<String, _>("SELECT @@gtid_binlog_pos")
        .expect("SELECT @@gtid_binlog_pos")
        .expect("a row")
}

#[test]
fn three_nodes_replicate_with_equal_gtids() {
    let mut cluster = GaleraCluster::start(3, &[]);
    eprintln!(
        "a 3-node Galera cluster started in {:.1} s",
        cluster.start_time().as_secs_f64()
    );
    assert_eq!(cluster.len(), 3);
    for i in 0..3 {
        assert_eq!(
            cluster.cluster_size(i),
            3,
            "wsrep_cluster_size on node{}",
            i + 1
        );
        assert_eq!(cluster.status(i, "wsrep_local_state_comment"), "Synced");
        let (domain, local, server_id, on): (u32, u32, u32, String) = cluster
            .node(i)
            .conn()
            .query_first("SELECT @@wsrep_gtid_domain_id, @@gtid_domain_id, @@server_id, @@wsrep_on")
            .expect("variables")
            .expect("a row");
        assert_eq!(
            (domain, local, server_id, on.as_str()),
            (WSREP_GTID_DOMAIN, local_gtid_domain(i), SERVER_ID, "1")
        );
    }

    // A write on node1, read on node3 (causal read: wsrep_sync_wait).
    cluster.node(0).exec(
        "CREATE DATABASE shop;
         CREATE TABLE shop.t (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(20) NOT NULL);
         INSERT INTO shop.t (v) VALUES ('one'), ('two');
         INSERT INTO shop.t (v) VALUES ('three')",
    );
    let mut conn3 = cluster.node(2).conn();
    conn3
        .query_drop("SET SESSION wsrep_sync_wait = 1")
        .expect("wsrep_sync_wait");
    let rows: Vec<String> = conn3
        .query("SELECT v FROM shop.t ORDER BY id")
        .expect("reading on node3");
    assert_eq!(rows, ["one", "two", "three"]);

    // The same GTID position on every node: the cluster's domain, the
    // bootstrap node's server_id, one seqno per transaction (4).
    let gtid = cluster.wait_converged();
    assert_eq!(gtid, format!("{WSREP_GTID_DOMAIN}-{SERVER_ID}-4"));
    for node in cluster.nodes() {
        assert_eq!(gtid_binlog_pos(node), gtid, "in {}", node.dir().display());
        let (file, _pos, status_gtid) = node.binlog_status();
        assert_eq!(status_gtid, gtid);
        assert!(node.binlogs().contains(&file), "{file:?} in binlog.index");
    }
    support::assert_same_tables(cluster.node(0), cluster.node(2));
    support::assert_same_tables(cluster.node(0), cluster.node(1));

    // node3 killed; a write meanwhile; node3 back (rsync SST), equal again.
    let t = Instant::now();
    cluster.kill_node(2);
    eprintln!(
        "node3 killed, the others in a cluster of 2 after {:.1} s",
        t.elapsed().as_secs_f64()
    );
    assert_eq!(cluster.cluster_size(0), 2);
    cluster
        .node(1)
        .exec("INSERT INTO shop.t (v) VALUES ('while node3 was down')");
    let t = Instant::now();
    cluster.restart_node(2);
    eprintln!(
        "node3 rejoined and synced in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let gtid = cluster.wait_converged();
    assert_eq!(gtid, format!("{WSREP_GTID_DOMAIN}-{SERVER_ID}-5"));
    assert_eq!(cluster.cluster_size(2), 3);
    support::assert_same_tables(cluster.node(1), cluster.node(2));

    let t = Instant::now();
    drop(cluster);
    eprintln!("cluster stopped in {:.1} s", t.elapsed().as_secs_f64());
}
