//! A real MariaDB Galera cluster for tests (issue 11): `nodes` MariaDB 10.11
//! servers from the host with Debian's `galera-4` provider, all on
//! 127.0.0.1, each an ordinary [`PrivateMariaDb`] (its own temporary
//! directory, free client port, unix socket, ROW binlogs), so every helper
//! of the support works on a node: `conn`, `exec`, `options`, `binlogs`,
//! `binlog_status`, [`super::assert_same_tables`]... The shell version is
//! `scripts/lib/galera.sh`.
//!
//! ```ignore
//! mod support;
//! let mut cluster = support::galera::GaleraCluster::start(3, &[]);
//! cluster.node(0).exec("CREATE DATABASE shop");   // node1, the bootstrap node
//! cluster.wait_converged();                        // every node applied it
//! support::assert_same_tables(cluster.node(0), cluster.node(2));
//! cluster.kill_node(2);                            // SIGKILL node3
//! cluster.restart_node(2);                         // it rejoins (SST) and syncs
//! ```
//!
//! How the cluster is made (9.4 to 11.7 s for three nodes on this
//! project's 2-core machine, shared with other work):
//!
//! 1. node1's datadir is installed (`mariadb-install-db`), node1 is
//!    bootstrapped (`--wsrep-new-cluster`) and shut down cleanly: its
//!    `grastate.dat` then holds the new cluster's UUID and seqno;
//! 2. that datadir is copied to every other node (`safe_to_bootstrap: 0`);
//! 3. node1 is bootstrapped again on it, and the others join one after the
//!    other: their state is the cluster's, so the state transfer is an IST
//!    of the bootstrap's configuration change only (no data copied; about
//!    3.5 s a node, mostly the fixed cost of the `wsrep_sst_rsync` script).
//!    A full rsync SST from an empty datadir takes about 6.5 s a node;
//!    `wsrep_sst_method=skip` for these joins leaves the joiner in
//!    "Joining: receiving State Transfer" for ever.
//!
//! The state transfer method is rsync (`wsrep_sst_method=rsync`, no
//! credentials, no socat). A node restarted after [`GaleraCluster::kill_node`]
//! has `seqno: -1` in `grastate.dat` (plain mariadbd does not run
//! `--wsrep-recover` as `galera_recovery` / mysqld_safe would) and gets a
//! full rsync SST from a synced node (4 to 7 s). An SST replaces the
//! joiner's binlogs: it receives the donor's newest binlog file
//! (`sst-max-binlogs` = 1) and starts a new one after it, so its
//! `binlog.index` then lists the donor's file names, not its own history.
//!
//! The servers run as the `mysql` user when the tests run as root (as the
//! tests' own user otherwise): as root, the joiner's rsync daemon runs as
//! root, drops to `nobody` and cannot write the datadir (the donor logs
//! "rsync: [receiver] mkstemp ... (in rsync_sst) failed: Permission denied
//! (13)" and the joiner aborts), so the node directories are chowned to
//! `mysql`. A missing
//! `galera-4` (or rsync) is installed here through
//! `scripts/lib/galera.sh` (`bash scripts/test.sh` does it first); a node
//! that fails to start or join panics with the tail of its error log.
//!
//! What the nodes get, besides the defaults of every private server:
//! `wsrep_on`, `wsrep_provider`, `wsrep_cluster_name=myreplay`,
//! `wsrep_cluster_address=gcomm://127.0.0.1:P1,...,127.0.0.1:Pn`,
//! `wsrep_node_address=127.0.0.1`, `wsrep_node_name=nodeN`,
//! `wsrep_provider_options=gmcast.listen_addr=tcp://127.0.0.1:Pn;ist.recv_addr=127.0.0.1:In;gcache.size=64M`,
//! `wsrep_sst_receive_address=127.0.0.1:Sn`, `log_slave_updates`,
//! `innodb_autoinc_lock_mode=2`, `wsrep_gtid_mode=ON`,
//! `wsrep_gtid_domain_id=`[`WSREP_GTID_DOMAIN`] on every node,
//! `gtid_domain_id=`[`local_gtid_domain`]`(i)` (different on every node and
//! from the cluster's, for writes that are not replicated, e.g. with
//! `wsrep_on=OFF`) and `server_id=1` on every node (MariaDB's docs: the
//! cluster's GTIDs carry the bootstrap node's server_id; a joiner with
//! another one logs a warning). So a write anywhere gets the GTID
//! `1-1-SEQ` on every node, and `@@gtid_binlog_pos` is equal on all nodes
//! once they have applied it ([`GaleraCluster::wait_converged`]).
//!
//! What a cluster test must know:
//! - a commit on one node returns before the others have applied it: read
//!   on another node with `SET SESSION wsrep_sync_wait = 1` (causal reads),
//!   or call [`GaleraCluster::wait_converged`] first;
//! - `wsrep_auto_increment_control` is on: `auto_increment_increment` is
//!   the cluster size and the offset the node's index (node1 of three
//!   writes ids 1, 4, 7...), and the tables' AUTO_INCREMENT counters differ
//!   between nodes (`mariadb_fingerprint`'s last column; `table_states`
//!   leaves them out);
//! - a SIGKILLed node is declared gone after about 5 s
//!   (`evs.suspect_timeout`); writes on the others wait meanwhile;
//! - `binlog.000001` of nodes 2..n is a copy of node1's first bootstrap's
//!   (no transactions in it); the cluster's writes start in
//!   `binlog.000002` on every node;
//! - a node is stopped, killed and started again only through the cluster
//!   ([`GaleraCluster::stop_node`], [`GaleraCluster::kill_node`],
//!   [`GaleraCluster::restart_node`]: they wait for the cluster to settle,
//!   and start mariadbd as `mysql`; [`PrivateMariaDb::restart`] would start
//!   it as root, and its next state transfer would fail); node1 (index 0)
//!   is never bootstrapped again, so stopping every node ends the cluster.

use std::fs;
use std::net::TcpListener;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use mysql::prelude::Queryable;

use super::{copy_dir, find_program, free_port, running_as_root, Flavour, PrivateMariaDb};

/// The GTID domain of every write replicated by the cluster
/// (`wsrep_gtid_domain_id`, the same on all nodes).
pub const WSREP_GTID_DOMAIN: u32 = 1;
/// The `server_id` of every node (and of the cluster's GTIDs).
pub const SERVER_ID: u32 = 1;

/// The `gtid_domain_id` of node `i` (0-based): 11, 12, 13... (writes a node
/// does not replicate).
pub fn local_gtid_domain(i: usize) -> u32 {
    11 + i as u32
}

/// How long a node may take to be `Synced` in a cluster of the right size
/// once it accepts connections.
const SYNC_TIMEOUT: Duration = Duration::from_secs(120);

/// The Galera provider of Debian's `galera-4` package.
const PROVIDER_PATHS: [&str; 2] = [
    "/usr/lib/galera/libgalera_smm.so",
    "/usr/lib/libgalera_smm.so",
];

/// Galera ports of one node (the client port is the node's own).
#[derive(Debug, Clone, Copy)]
struct NodePorts {
    gcomm: u16,
    ist: u16,
    sst: u16,
}

/// A running Galera cluster of [`PrivateMariaDb`] nodes; dropping it stops
/// every node and removes their directories.
pub struct GaleraCluster {
    nodes: Vec<PrivateMariaDb>,
    ports: Vec<NodePorts>,
    /// Which nodes are running (not killed or stopped by the cluster).
    up: Vec<bool>,
    /// How long [`GaleraCluster::start`] took.
    start_time: Duration,
}

impl GaleraCluster {
    /// Starts a cluster of `nodes` nodes (at least 1) and waits until every
    /// node is `Synced` in a cluster of that size. `extra` options go to
    /// every node's mariadbd after the cluster's (so they win; a
    /// `--wsrep-provider-options` replaces the cluster's whole list).
    pub fn start(nodes: usize, extra: &[&str]) -> GaleraCluster {
        assert!(nodes >= 1, "a cluster needs a node");
        let started = Instant::now();
        find_program("mariadbd");
        let provider = ensure_galera();
        let as_mysql = running_as_root();
        let ports = distinct_ports(3 * nodes);
        let ports: Vec<NodePorts> = ports
            .chunks(3)
            .map(|p| NodePorts {
                gcomm: p[0],
                ist: p[1],
                sst: p[2],
            })
            .collect();
        let address = ports
            .iter()
            .map(|p| format!("127.0.0.1:{}", p.gcomm))
            .collect::<Vec<_>>()
            .join(",");
        let mut members: Vec<PrivateMariaDb> = (0..nodes)
            .map(|i| {
                let mut opts = node_options(i, &provider, &address, ports[i]);
                opts.extend(extra.iter().map(|s| s.to_string()));
                let opts: Vec<&str> = opts.iter().map(String::as_str).collect();
                PrivateMariaDb::unstarted(Flavour::MariaDb, &opts)
            })
            .collect();

        // 1. node1: installed, bootstrapped once, stopped cleanly.
        let first = &mut members[0];
        Flavour::MariaDb.install(
            &first.datadir(),
            &first.dir.join("tmp"),
            &first.dir.join("install-db.log"),
        );
        give_to_mysql(first, as_mysql);
        bootstrap(first);
        wait_node_synced(first, 1);
        first.stop();
        let grastate = read_grastate(first);
        assert!(
            grastate.contains("safe_to_bootstrap: 1")
                && grastate
                    .lines()
                    .any(|l| l.starts_with("seqno:") && l[6..].trim() != "-1"),
            "node1 in {} was not shut down cleanly after its bootstrap: grastate.dat:\n{grastate}\n\
             tail of its error log:\n{}",
            first.dir.display(),
            first.error_log_tail(40)
        );

        // 2. Its datadir for every other node: they join with its state.
        let source = members[0].datadir();
        for node in members.iter_mut().skip(1) {
            copy_dir(&source, &node.datadir());
            let _ = fs::remove_file(node.datadir().join("gvwstate.dat"));
            let path = node.datadir().join("grastate.dat");
            let text = grastate.replace("safe_to_bootstrap: 1", "safe_to_bootstrap: 0");
            fs::write(&path, text).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
            give_to_mysql(node, as_mysql);
        }

        // 3. node1 bootstrapped again, the others joining one at a time
        //    (two nodes joining at once make gcomm retry for seconds).
        let mut cluster = GaleraCluster {
            nodes: vec![],
            ports,
            up: vec![],
            start_time: Duration::ZERO,
        };
        for (i, mut node) in members.into_iter().enumerate() {
            // A joiner that fails exits because of its donor as often as
            // because of itself: its panic gets every node's log.
            let launched = panic::catch_unwind(AssertUnwindSafe(|| {
                if i == 0 {
                    bootstrap(&mut node);
                } else {
                    launch(&mut node);
                }
            }));
            cluster.nodes.push(node);
            cluster.up.push(true);
            if let Err(e) = launched {
                let message = e
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                panic!(
                    "node{} did not start or join the cluster: {message}\n\
                     the other nodes' logs:\n{}",
                    i + 1,
                    cluster.logs_tail_except(i, 30)
                );
            }
            cluster.wait_node(i);
        }
        cluster.wait_synced();
        cluster.start_time = started.elapsed();
        cluster
    }

    /// How long [`GaleraCluster::start`] took (install, bootstrap, joins).
    pub fn start_time(&self) -> Duration {
        self.start_time
    }

    /// The nodes, node1 (the bootstrap node) first.
    pub fn nodes(&self) -> &[PrivateMariaDb] {
        &self.nodes
    }

    /// Node `i` (0-based: `node(0)` is node1, the bootstrap node).
    pub fn node(&self, i: usize) -> &PrivateMariaDb {
        &self.nodes[i]
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The `wsrep_cluster_address` every node was given.
    pub fn cluster_address(&self) -> String {
        format!(
            "gcomm://{}",
            self.ports
                .iter()
                .map(|p| format!("127.0.0.1:{}", p.gcomm))
                .collect::<Vec<_>>()
                .join(",")
        )
    }

    /// A status variable of node `i` (`SHOW GLOBAL STATUS LIKE name`).
    pub fn status(&self, i: usize, name: &str) -> String {
        status(&self.nodes[i], name)
            .unwrap_or_else(|e| panic!("SHOW GLOBAL STATUS LIKE '{name}' on node{}: {e}", i + 1))
    }

    /// `wsrep_cluster_size` as node `i` sees it.
    pub fn cluster_size(&self, i: usize) -> usize {
        self.status(i, "wsrep_cluster_size")
            .parse()
            .expect("a number")
    }

    /// Kills node `i` with SIGKILL and waits until the other running nodes
    /// form a primary cluster without it (about 5 s: Galera's
    /// `evs.suspect_timeout`).
    pub fn kill_node(&mut self, i: usize) {
        self.nodes[i].crash();
        self.up[i] = false;
        self.wait_synced();
    }

    /// Stops node `i` cleanly and waits until the others see it gone.
    pub fn stop_node(&mut self, i: usize) {
        self.nodes[i].stop();
        self.up[i] = false;
        self.wait_synced();
    }

    /// Starts node `i` again (after [`GaleraCluster::kill_node`] or
    /// [`GaleraCluster::stop_node`]; it joins, never bootstraps) and waits
    /// until every running node is synced in a cluster with it. Another
    /// node must be running.
    pub fn restart_node(&mut self, i: usize) {
        if self.up[i] {
            self.nodes[i].stop();
        }
        assert!(
            self.up.iter().enumerate().any(|(j, up)| *up && j != i),
            "restart_node({i}): no other node is running to join (the cluster is gone)"
        );
        launch(&mut self.nodes[i]);
        self.up[i] = true;
        self.wait_synced();
    }

    /// Waits until every running node is `Synced` and sees a cluster of
    /// every running node. Panics, with the error logs' tails, after
    /// [`SYNC_TIMEOUT`].
    pub fn wait_synced(&self) {
        let want = self.up.iter().filter(|u| **u).count();
        for i in 0..self.nodes.len() {
            if self.up[i] {
                self.wait_node_size(i, want);
            }
        }
    }

    /// Waits until every running node has applied the same last write set
    /// (`wsrep_last_committed` equal, and `@@gtid_binlog_pos` equal) and
    /// returns that GTID position. Call it when nothing is writing.
    pub fn wait_converged(&self) -> String {
        let started = Instant::now();
        loop {
            let states: Vec<(usize, String, String)> = (0..self.nodes.len())
                .filter(|i| self.up[*i])
                .map(|i| {
                    let gtid: String = self.nodes[i]
                        .conn()
                        .query_first("SELECT @@gtid_binlog_pos")
                        .expect("SELECT @@gtid_binlog_pos")
                        .expect("a row");
                    (i, self.status(i, "wsrep_last_committed"), gtid)
                })
                .collect();
            if states
                .windows(2)
                .all(|w| w[0].1 == w[1].1 && w[0].2 == w[1].2)
            {
                return states.first().map(|s| s.2.clone()).unwrap_or_default();
            }
            if started.elapsed() > SYNC_TIMEOUT {
                panic!(
                    "the nodes did not converge within {} s (node, wsrep_last_committed, \
                     gtid_binlog_pos): {states:?}\n{}",
                    SYNC_TIMEOUT.as_secs(),
                    self.logs_tail(20)
                );
            }
            sleep(Duration::from_millis(50));
        }
    }

    /// The tail of every node's error log, for failure messages.
    pub fn logs_tail(&self, lines: usize) -> String {
        self.nodes
            .iter()
            .enumerate()
            .map(|(i, n)| {
                format!(
                    "--- node{} ({}) error log:\n{}",
                    i + 1,
                    n.dir().display(),
                    n.error_log_tail(lines)
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// [`GaleraCluster::logs_tail`] without node `skip`'s.
    fn logs_tail_except(&self, skip: usize, lines: usize) -> String {
        self.nodes
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != skip)
            .map(|(i, n)| {
                format!(
                    "--- node{} ({}) error log:\n{}",
                    i + 1,
                    n.dir().display(),
                    n.error_log_tail(lines)
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// After node `i` was started: it is synced, in a cluster of every node
    /// started so far.
    fn wait_node(&self, i: usize) {
        let want = self.up.iter().filter(|u| **u).count();
        self.wait_node_size(i, want);
    }

    fn wait_node_size(&self, i: usize, want: usize) {
        let node = &self.nodes[i];
        let started = Instant::now();
        let mut last;
        loop {
            match (
                status(node, "wsrep_local_state_comment"),
                status(node, "wsrep_cluster_size"),
                status(node, "wsrep_cluster_status"),
            ) {
                (Ok(state), Ok(size), Ok(primary)) => {
                    if state == "Synced" && size == want.to_string() && primary == "Primary" {
                        return;
                    }
                    last = format!("{state}, cluster size {size}, {primary}");
                }
                (a, b, c) => {
                    last = format!("{a:?} {b:?} {c:?}");
                }
            }
            if started.elapsed() > SYNC_TIMEOUT {
                panic!(
                    "node{} in {} is not Synced in a primary cluster of {want} within {} s \
                     (last seen: {last});\n{}",
                    i + 1,
                    node.dir().display(),
                    SYNC_TIMEOUT.as_secs(),
                    self.logs_tail(40)
                );
            }
            sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for GaleraCluster {
    fn drop(&mut self) {
        // The joiners first, node1 last: each shutdown is a clean leave.
        // After a failure, SIGKILL: a node stuck in a state transfer would
        // hold a clean shutdown for minutes.
        let failed = std::thread::panicking();
        for node in self.nodes.iter_mut().rev() {
            if failed {
                node.crash();
            } else {
                node.stop();
            }
        }
        // Each PrivateMariaDb removes its directory when dropped.
    }
}

/// The cluster's options for node `i` (0-based).
fn node_options(i: usize, provider: &Path, address: &str, ports: NodePorts) -> Vec<String> {
    vec![
        format!("--server-id={SERVER_ID}"),
        "--log-bin=binlog".into(),
        "--log-slave-updates".into(),
        "--binlog-format=ROW".into(),
        "--innodb-autoinc-lock-mode=2".into(),
        "--wsrep-on=ON".into(),
        format!("--wsrep-provider={}", provider.display()),
        "--wsrep-cluster-name=myreplay".into(),
        format!("--wsrep-cluster-address=gcomm://{address}"),
        "--wsrep-node-address=127.0.0.1".into(),
        format!("--wsrep-node-name=node{}", i + 1),
        format!(
            "--wsrep-provider-options=gmcast.listen_addr=tcp://127.0.0.1:{};ist.recv_addr=127.0.0.1:{};gcache.size=64M",
            ports.gcomm, ports.ist
        ),
        format!("--wsrep-sst-receive-address=127.0.0.1:{}", ports.sst),
        "--wsrep-sst-method=rsync".into(),
        "--wsrep-gtid-mode=ON".into(),
        format!("--wsrep-gtid-domain-id={WSREP_GTID_DOMAIN}"),
        format!("--gtid-domain-id={}", local_gtid_domain(i)),
    ]
}

/// Launches node1 with `--wsrep-new-cluster` (for this start only: a later
/// restart joins).
fn bootstrap(node: &mut PrivateMariaDb) {
    node.extra.push("--wsrep-new-cluster".into());
    launch(node);
    node.extra.pop();
}

/// Starts a node's mariadbd and waits until it accepts connections (it
/// has joined: a joiner opens its socket after its state transfer). The
/// same command as [`PrivateMariaDb`]'s own launch, but as the `mysql` user
/// when the tests run as root: mariadbd keeps the first `--user` it is
/// given ("Ignoring user change to 'mysql' because the user was set to
/// 'root' earlier on the command line", so `--user=mysql` in the options
/// after launch's `--user=root` does nothing), and the rsync SST fails as root (its rsync daemon drops to
/// `nobody`, which cannot write the datadir: "rsync: [receiver] mkstemp
/// \".rsync_sst_complete...\" (in rsync_sst) failed: Permission denied (13)").
/// So a node is (re)started only through the cluster, never with
/// [`PrivateMariaDb::restart`].
fn launch(node: &mut PrivateMariaDb) {
    let program = find_program("mariadbd");
    let user: &[&str] = if running_as_root() {
        &["--user=mysql"]
    } else {
        &[]
    };
    for attempt in 1..=3 {
        node.port = free_port();
        let _ = fs::write(node.error_log(), b"");
        let out = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(node.dir.join("mariadbd.out"))
            .expect("creating mariadbd.out");
        let dir = node.dir.clone();
        let child = Command::new(&program)
            .arg("--no-defaults")
            .args(user)
            .arg(format!("--datadir={}", node.datadir().display()))
            .arg(format!("--socket={}", node.socket().display()))
            .arg(format!("--pid-file={}", dir.join("mariadbd.pid").display()))
            .arg(format!("--tmpdir={}", dir.join("tmp").display()))
            .arg(format!("--log-error={}", node.error_log().display()))
            .arg(format!("--port={}", node.port))
            .args(Flavour::MariaDb.default_options())
            .args(&node.extra)
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("dup mariadbd.out"))
            .stderr(out)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
        node.child = Some(child);
        match node.wait_until_up() {
            Ok(()) => return,
            Err(exited) => {
                node.child = None;
                let log = node.error_log_tail(200);
                // Only the client port is chosen again: the Galera ports
                // are in every node's cluster address.
                let port_taken = log.contains("Do you already have another server running on port")
                    || log.contains("Bind on TCP/IP port");
                if port_taken && attempt < 3 {
                    continue;
                }
                panic!(
                    "mariadbd (Galera node) in {} exited ({exited}) before accepting connections; \
                     tail of its error log:\n{}",
                    dir.display(),
                    node.error_log_tail(40)
                );
            }
        }
    }
    unreachable!("the loop returns or panics")
}

/// Waits until a lone node is synced in a cluster of `want` (before the
/// cluster value exists).
fn wait_node_synced(node: &PrivateMariaDb, want: usize) {
    let started = Instant::now();
    loop {
        let state = status(node, "wsrep_local_state_comment").unwrap_or_default();
        let size = status(node, "wsrep_cluster_size").unwrap_or_default();
        if state == "Synced" && size == want.to_string() {
            return;
        }
        if started.elapsed() > SYNC_TIMEOUT {
            panic!(
                "node in {} not Synced within {} s (state {state:?}, size {size:?}); \
                 tail of its error log:\n{}",
                node.dir().display(),
                SYNC_TIMEOUT.as_secs(),
                node.error_log_tail(40)
            );
        }
        sleep(Duration::from_millis(50));
    }
}

/// `SHOW GLOBAL STATUS LIKE name` (the value) on a node.
fn status(node: &PrivateMariaDb, name: &str) -> Result<String, String> {
    let mut conn = node.options().conn().map_err(|e| e.to_string())?;
    let row: Option<(String, String)> = conn
        .query_first(format!("SHOW GLOBAL STATUS LIKE '{name}'"))
        .map_err(|e| e.to_string())?;
    row.map(|r| r.1)
        .ok_or_else(|| format!("no status variable {name}"))
}

fn read_grastate(node: &PrivateMariaDb) -> String {
    let path = node.datadir().join("grastate.dat");
    fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "reading {}: {e}; tail of the error log:\n{}",
            path.display(),
            node.error_log_tail(40)
        )
    })
}

/// Makes a node's directory the `mysql` user's (its server runs as mysql
/// when the tests run as root), with an error log it can write (launch
/// truncates it, which keeps the owner).
fn give_to_mysql(node: &PrivateMariaDb, as_mysql: bool) {
    let log = node.error_log();
    if !log.exists() {
        fs::write(&log, b"").unwrap_or_else(|e| panic!("creating {}: {e}", log.display()));
    }
    if !as_mysql {
        return;
    }
    let out = Command::new("chown")
        .arg("-R")
        .arg("mysql:mysql")
        .arg(node.dir())
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run chown: {e}"));
    assert!(
        out.status.success(),
        "chown -R mysql:mysql {} failed (is there a `mysql` user? the mariadb-server package \
         makes it): {}",
        node.dir().display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `n` distinct free TCP ports of 127.0.0.1 (all bound at once, so no two
/// are the same; released before the servers bind them).
fn distinct_ports(n: usize) -> Vec<u16> {
    let listeners: Vec<TcpListener> = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0").expect("finding a free TCP port on 127.0.0.1"))
        .collect();
    listeners
        .iter()
        .map(|l| l.local_addr().expect("local address").port())
        .collect()
}

/// The Galera provider's path; installs `galera-4` (and rsync) through
/// `scripts/lib/galera.sh` when it or the rsync SST's programs are missing.
fn ensure_galera() -> PathBuf {
    let found = || {
        let provider = PROVIDER_PATHS
            .iter()
            .map(PathBuf::from)
            .find(|p| p.is_file());
        let tools = super::locate("rsync").is_some() && super::locate("wsrep_sst_rsync").is_some();
        provider.filter(|_| tools)
    };
    if let Some(p) = found() {
        return p;
    }
    let scripts = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/lib");
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "set -euo pipefail; source {0}/mariadb.sh; source {0}/galera.sh; galera_ensure_installed",
            scripts.display()
        ))
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run bash for scripts/lib/galera.sh: {e}"));
    if !out.status.success() {
        panic!(
            "galera-4 / rsync could not be installed (scripts/lib/galera.sh galera_ensure_installed; \
             bash scripts/test.sh runs it first):\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    found().unwrap_or_else(|| {
        panic!(
            "after installing galera-4 there is still no Galera provider ({}) or no rsync / \
             wsrep_sst_rsync",
            PROVIDER_PATHS.join(" or ")
        )
    })
}
