//! A Galera cluster as the target (issue 11): what changes when the target
//! is a node of one (`wsrep_on`).
//!
//! - **The binlog is written** (`--log-bin` behaviour, the checkpoint
//!   table's DDL too): a cluster replicates a session's changes to the other
//!   nodes whatever its `sql_log_bin`, and they write them to their
//!   binlogs; with `sql_log_bin = 0` only the node replayed into would not,
//!   and its binlog and GTID position would part from the others'.
//! - **Units fit the cluster's write-set limits**: `wsrep_max_ws_rows`
//!   (every row changed, the checkpoint rows included) and
//!   `wsrep_max_ws_size` (bytes) cap the units the planner builds; a unit
//!   the cluster still refuses (`ERROR 1180 ... wsrep_max_ws_rows
//!   exceeded`, `ERROR 1105 Maximum writeset size exceeded`) is split in two
//!   and each half committed on its own (reported as a split unit); a
//!   single source transaction over a limit stops the replay, naming it and
//!   the setting to raise.
//! - **`--preserve-gtids` is refused** before the first write: every node
//!   gives a transaction the cluster's GTID (with `wsrep_gtid_mode=ON`, in
//!   the domain `wsrep_gtid_domain_id`, under the cluster's server_id: a
//!   session cannot set another, ERROR 1231; without it, each node numbers
//!   its own binlog), so the source's GTIDs cannot end up on every node.
//! - Certification failures and brute-force aborts reach the client as
//!   deadlocks (ERROR 1213) and are retried like them, after asking the
//!   checkpoint table (see [`crate::session`]).

use myreplay_plan::Limits;
use mysql::prelude::Queryable;

use crate::error::ApplyError;

/// What the replay needs to know of a cluster target.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Cluster {
    /// `wsrep_node_name`.
    pub node: String,
    /// `wsrep_cluster_size`.
    pub size: u64,
    /// `wsrep_max_ws_rows` (0: no limit).
    pub max_ws_rows: u64,
    /// `wsrep_max_ws_size` in bytes.
    pub max_ws_size: u64,
    /// `wsrep_gtid_mode`.
    pub gtid_mode: bool,
    /// `wsrep_gtid_domain_id`.
    pub gtid_domain_id: u64,
}

impl Cluster {
    /// The cluster the target is a node of, or `None` when it is not one.
    pub fn read(conn: &mut impl Queryable) -> Result<Option<Cluster>, ApplyError> {
        if !crate::target::is_galera(conn)? {
            return Ok(None);
        }
        let variables: Vec<(String, String)> = conn
            .query(
                "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('wsrep_node_name', 'wsrep_max_ws_rows', 'wsrep_max_ws_size', 'wsrep_gtid_mode', 'wsrep_gtid_domain_id')",
            )
            .map_err(ApplyError::query("reading the cluster's wsrep settings"))?;
        let status: Option<(String, String)> = conn
            .query_first("SHOW GLOBAL STATUS LIKE 'wsrep_cluster_size'")
            .map_err(ApplyError::query("reading wsrep_cluster_size"))?;
        let get = |name: &str| {
            variables
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let number = |name: &str| get(name).trim().parse::<u64>().unwrap_or(0);
        Ok(Some(Cluster {
            node: get("wsrep_node_name"),
            size: status.and_then(|(_, v)| v.parse().ok()).unwrap_or(0),
            max_ws_rows: number("wsrep_max_ws_rows"),
            max_ws_size: number("wsrep_max_ws_size"),
            gtid_mode: get("wsrep_gtid_mode").eq_ignore_ascii_case("ON"),
            gtid_domain_id: number("wsrep_gtid_domain_id"),
        }))
    }

    /// `limits` made to fit the write-set limits: half of
    /// `wsrep_max_ws_size` (a write set carries keys and row images: more
    /// than the row events' bytes), and rows plus one checkpoint row per
    /// transaction within `wsrep_max_ws_rows`.
    pub fn cap(&self, mut limits: Limits) -> Limits {
        if self.max_ws_size > 0 {
            limits.max_bytes = limits.max_bytes.min((self.max_ws_size / 2).max(1));
        }
        if self.max_ws_rows > 0 {
            let half = (self.max_ws_rows / 2).max(1);
            limits.max_transactions = limits.max_transactions.min(half as usize).max(1);
            limits.max_rows = limits.max_rows.min(
                self.max_ws_rows
                    .saturating_sub(limits.max_transactions as u64)
                    .max(1),
            );
        }
        limits
    }

    /// Why `--preserve-gtids` cannot work on this cluster.
    pub fn preserve_gtids_refusal(&self) -> String {
        let why = if self.gtid_mode {
            format!(
                "with wsrep_gtid_mode=ON every node writes a transaction under the cluster's GTID (domain {}, the cluster's server_id), and a session cannot set another (ERROR 1231 on server_id)",
                self.gtid_domain_id
            )
        } else {
            "with wsrep_gtid_mode=OFF each node numbers the transactions it writes to its own binlog, so the source's GTIDs set on one node would not be the others'".to_string()
        };
        format!(
            "--preserve-gtids cannot keep the source's GTIDs on a Galera cluster (the target is node `{}` of a cluster of {}): {why}. Replay without --preserve-gtids: the cluster's binlogs then carry its own GTIDs, equal on every node; nothing was written",
            self.node, self.size
        )
    }
}

/// The cluster refused a unit's write set as too large: ERROR 1180 with
/// `wsrep_max_ws_rows exceeded`, or ERROR 1105 `Maximum writeset size
/// exceeded`.
pub fn is_write_set_limit(e: &ApplyError) -> bool {
    match e {
        ApplyError::Query {
            source: mysql::Error::MySqlError(m),
            ..
        } => {
            let text = m.message.to_ascii_lowercase();
            (m.code == 1180 || m.code == 1105)
                && (text.contains("wsrep_max_ws_rows") || text.contains("writeset size"))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cluster(rows: u64, size: u64) -> Cluster {
        Cluster {
            node: "n1".into(),
            size: 3,
            max_ws_rows: rows,
            max_ws_size: size,
            gtid_mode: true,
            gtid_domain_id: 10,
        }
    }

    #[test]
    fn units_fit_the_write_set_limits_with_their_checkpoint_rows() {
        let d = Limits::default();
        // No row limit, 2 GiB: the defaults stand.
        assert_eq!(cluster(0, 2 << 30).cap(d), d);
        let l = cluster(50, 4 << 20).cap(d);
        assert_eq!(l.max_transactions, 25);
        assert_eq!(l.max_rows, 25);
        assert!(l.max_rows + l.max_transactions as u64 <= 50);
        assert_eq!(l.max_bytes, 2 << 20);
        // Capping twice changes nothing more.
        assert_eq!(cluster(50, 4 << 20).cap(l), l);
        let one = cluster(1, 4 << 20).cap(d);
        assert_eq!((one.max_transactions, one.max_rows), (1, 1));
    }

    #[test]
    fn the_refusal_of_preserved_gtids_says_why() {
        let text = cluster(0, 1 << 30).preserve_gtids_refusal();
        assert!(
            text.contains("wsrep_gtid_mode=ON") && text.contains("domain 10"),
            "{text}"
        );
        assert!(text.contains("nothing was written"), "{text}");
    }
}
