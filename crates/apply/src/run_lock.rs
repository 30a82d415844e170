//! One replay per checkpoint table at a time.
//!
//! Two `myreplay apply` runs of the same binlogs into one target (a second
//! DBA running the same command, two nodes of a cluster) would each read
//! the checkpoint table before the other's commits and apply transactions
//! twice. The replay therefore holds a lock on the target for as long as it
//! runs, taken before the first write; a second run is refused at once,
//! saying who holds it.
//!
//! - **A server**: `GET_LOCK('myreplay <checkpoint table>', 0)` on a
//!   connection of its own. The server releases it when that connection
//!   goes, so a replay killed with SIGKILL leaves nothing behind and the
//!   same command can run again at once.
//! - **A Galera cluster** (`wsrep_on`): GET_LOCK is a node's own (and
//!   refused by some versions in a cluster), so the lock is a lease: a row
//!   of the table `myreplay_lease` in the checkpoint table's database,
//!   replicated to every node, naming the run and renewed every
//!   [`RENEW`]; a row not renewed for [`STALE`] belongs to a run that is
//!   gone and is taken over. A replay killed on one node can be resumed on
//!   another once its lease is stale.
//!
//! A keeper thread renews the lock (and takes a server's again after the
//! connection was lost: a restart of the target). When the lock is lost to
//! another run, [`RunLock::lost`] says so and the replay stops handing out
//! work.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use mysql::prelude::Queryable;
use mysql::Conn;

use crate::checkpoint::{escape, CheckpointTable};
use crate::connect::ConnectOptions;
use crate::error::ApplyError;

/// How often the keeper renews the lock.
pub const RENEW: Duration = Duration::from_secs(2);
/// A cluster lease not renewed for this long is taken over.
pub const STALE: Duration = Duration::from_secs(15);

/// The lock a replay holds on its target while it runs (see the module).
pub struct RunLock {
    stop: Arc<AtomicBool>,
    lost: Arc<Mutex<Option<String>>>,
    keeper: Option<JoinHandle<()>>,
}

/// How the lock is held.
#[derive(Clone)]
enum Kind {
    Server {
        name: String,
    },
    Cluster {
        run: String,
        table: String,
        key: String,
    },
}

impl RunLock {
    /// Takes the lock for `checkpoint` on the target, or says who holds it
    /// ([`ApplyError::Busy`]). `cluster`: the target is a Galera node.
    pub fn acquire(
        options: &ConnectOptions,
        checkpoint: &CheckpointTable,
        cluster: bool,
    ) -> Result<RunLock, ApplyError> {
        let mut conn = connect(options)?;
        let kind = if cluster {
            let kind = Kind::Cluster {
                run: run_id(),
                table: format!("`{}`.`myreplay_lease`", checkpoint.database),
                key: checkpoint.qualified(),
            };
            create_lease_table(&mut conn, &kind)?;
            take_lease(&mut conn, &kind, checkpoint)?;
            kind
        } else {
            let kind = Kind::Server {
                name: lock_name(checkpoint),
            };
            take_server_lock(&mut conn, &kind, checkpoint)?;
            kind
        };
        let stop = Arc::new(AtomicBool::new(false));
        let lost = Arc::new(Mutex::new(None));
        let keeper = {
            let (stop, lost, options, checkpoint) = (
                stop.clone(),
                lost.clone(),
                options.clone(),
                checkpoint.clone(),
            );
            std::thread::spawn(move || keep(conn, kind, &options, &checkpoint, &stop, &lost))
        };
        Ok(RunLock {
            stop,
            lost,
            keeper: Some(keeper),
        })
    }

    /// Why the lock was lost to another run, if it was.
    pub fn lost(&self) -> Option<String> {
        self.lost.lock().ok().and_then(|l| l.clone())
    }
}

impl Drop for RunLock {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(k) = self.keeper.take() {
            let _ = k.join();
        }
    }
}

/// The lock's connection: its lease rows carry no annotation into the
/// binlog either (see [`crate::target::no_annotations`]).
fn connect(options: &ConnectOptions) -> Result<Conn, ApplyError> {
    let mut conn = options.conn()?;
    let mysql = crate::target::is_mysql(&mut conn)?;
    crate::target::no_annotations(&mut conn, mysql)?;
    Ok(conn)
}

/// The GET_LOCK name: at most 64 characters (the servers' limit).
fn lock_name(checkpoint: &CheckpointTable) -> String {
    let name = format!("myreplay {}.{}", checkpoint.database, checkpoint.table);
    if name.chars().count() <= 64 {
        return name;
    }
    // FNV-1a of the full name, after as much of it as fits.
    let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let head: String = name.chars().take(47).collect();
    format!("{head}~{hash:016x}")
}

/// Who this run is, for a lease row: `host:pid:nanos`.
fn run_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "localhost".into());
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{host}:{}:{nanos}", std::process::id())
}

fn busy(checkpoint: &CheckpointTable, holder: &str) -> ApplyError {
    ApplyError::Busy(format!(
        "another `myreplay apply` is replaying into this target with the checkpoint table {} ({holder}); two replays at once would apply transactions twice. Wait for it to finish, or stop it, then run the same command; nothing was written",
        checkpoint.qualified()
    ))
}

fn take_server_lock(
    conn: &mut Conn,
    kind: &Kind,
    checkpoint: &CheckpointTable,
) -> Result<(), ApplyError> {
    let Kind::Server { name } = kind else {
        unreachable!("a server lock")
    };
    let got: Option<Option<u8>> = conn
        .query_first(format!("SELECT GET_LOCK('{}', 0)", escape(name)))
        .map_err(ApplyError::query(format!(
            "taking the replay's lock on the target (GET_LOCK('{name}'))"
        )))?;
    if got.flatten() == Some(1) {
        return Ok(());
    }
    // Who holds it: its connection, and what the server says of it.
    let holder: Option<Option<u64>> = conn
        .query_first(format!("SELECT IS_USED_LOCK('{}')", escape(name)))
        .ok();
    let Some(Some(id)) = holder else {
        return Err(busy(
            checkpoint,
            "the server would not say which connection",
        ));
    };
    let seen: Option<(String, String, u64)> = conn
        .query_first(format!(
            "SELECT USER, HOST, TIME FROM information_schema.PROCESSLIST WHERE ID = {id}"
        ))
        .ok()
        .flatten();
    Err(busy(
        checkpoint,
        &match seen {
            Some((user, host, time)) => {
                format!(
                    "its lock is held by connection {id}, {user}@{host}, connected {time} s ago"
                )
            }
            None => format!("its lock is held by connection {id}"),
        },
    ))
}

fn create_lease_table(conn: &mut Conn, kind: &Kind) -> Result<(), ApplyError> {
    let Kind::Cluster { table, .. } = kind else {
        unreachable!("a cluster lease")
    };
    let database = table.split('.').next().unwrap_or_default();
    for sql in [
        format!("CREATE DATABASE IF NOT EXISTS {database}"),
        format!(
            "CREATE TABLE IF NOT EXISTS {table} (
               checkpoint_table VARCHAR(200) NOT NULL PRIMARY KEY,
               run VARCHAR(255) NOT NULL,
               started_at DATETIME(6) NOT NULL,
               renewed_at DATETIME(6) NOT NULL
             ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"
        ),
    ] {
        conn.query_drop(&sql).map_err(ApplyError::query(format!(
            "creating the lease table {table}"
        )))?;
    }
    Ok(())
}

/// Takes the cluster lease: no row, a stale row, or our own. Two runs
/// taking it at once on two nodes: one of them fails certification (a
/// deadlock error) or meets the other's row (a duplicate key), reads again
/// and is refused.
fn take_lease(
    conn: &mut Conn,
    kind: &Kind,
    checkpoint: &CheckpointTable,
) -> Result<(), ApplyError> {
    let Kind::Cluster { run, table, key } = kind else {
        unreachable!("a cluster lease")
    };
    let doing = || format!("taking the replay's lease in {table}");
    for _ in 0..5 {
        let found: Option<(String, String, i64)> = conn
            .query_first(format!(
                "SELECT run, CAST(started_at AS CHAR), TIMESTAMPDIFF(MICROSECOND, renewed_at, UTC_TIMESTAMP(6)) FROM {table} WHERE checkpoint_table = '{}'",
                escape(key)
            ))
            .map_err(ApplyError::query(doing()))?;
        let sql = match &found {
            None => format!(
                "INSERT INTO {table} VALUES ('{}', '{}', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))",
                escape(key),
                escape(run)
            ),
            Some((other, _, age)) if other == run || *age > STALE.as_micros() as i64 => format!(
                "UPDATE {table} SET run = '{}', started_at = UTC_TIMESTAMP(6), renewed_at = UTC_TIMESTAMP(6) WHERE checkpoint_table = '{}' AND run = '{}'",
                escape(run),
                escape(key),
                escape(other)
            ),
            Some((other, started, age)) => {
                return Err(busy(
                    checkpoint,
                    &format!(
                        "the cluster's lease row in {table} names the run {other}, started {started} UTC, renewed {:.1} s ago; a run that is gone leaves it stale after {} s, then the same command takes it over",
                        *age as f64 / 1e6,
                        STALE.as_secs()
                    ),
                ))
            }
        };
        match conn.query_drop(&sql) {
            Ok(()) if conn.affected_rows() == 1 => return Ok(()),
            Ok(()) => continue,
            // Certification failure / deadlock, or the other run's row
            // arrived: read again.
            Err(mysql::Error::MySqlError(e)) if matches!(e.code, 1213 | 1062 | 1205) => {
                std::thread::sleep(Duration::from_millis(200));
                continue;
            }
            Err(e) => return Err(ApplyError::query(doing())(e)),
        }
    }
    Err(busy(checkpoint, "another run kept taking the lease"))
}

/// Renews the lock every [`RENEW`] until `stop`; reconnects when the
/// connection goes; records in `lost` a lock taken by another run.
fn keep(
    mut conn: Conn,
    kind: Kind,
    options: &ConnectOptions,
    checkpoint: &CheckpointTable,
    stop: &AtomicBool,
    lost: &Mutex<Option<String>>,
) {
    let mut connected = true;
    let mut last = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(50));
        if last.elapsed() < RENEW {
            continue;
        }
        last = Instant::now();
        if !connected {
            match connect(options) {
                Ok(c) => {
                    conn = c;
                    connected = true;
                }
                Err(_) => continue,
            }
            // A server's lock went with the old connection: take it again.
            if let Kind::Server { .. } = kind {
                match take_server_lock(&mut conn, &kind, checkpoint) {
                    Ok(()) => continue,
                    Err(e @ ApplyError::Busy(_)) => {
                        set_lost(lost, e.to_string());
                        return;
                    }
                    Err(_) => {
                        connected = false;
                        continue;
                    }
                }
            }
        }
        let renewed = match &kind {
            Kind::Server { name } => conn
                .query_first::<Option<u8>, _>(format!(
                    "SELECT IS_USED_LOCK('{}') = CONNECTION_ID()",
                    escape(name)
                ))
                .map(|v| v.flatten() == Some(1)),
            Kind::Cluster { run, table, key } => conn
                .query_drop(format!(
                    "UPDATE {table} SET renewed_at = UTC_TIMESTAMP(6) WHERE checkpoint_table = '{}' AND run = '{}'",
                    escape(key),
                    escape(run)
                ))
                .map(|()| conn.affected_rows() == 1),
        };
        match renewed {
            Ok(true) => {}
            Ok(false) => {
                set_lost(
                    lost,
                    busy(
                        checkpoint,
                        "it took this run's lock while this run could not renew it",
                    )
                    .to_string(),
                );
                return;
            }
            Err(_) => connected = false,
        }
    }
    if let Kind::Cluster { run, table, key } = &kind {
        if connected {
            let _ = conn.query_drop(format!(
                "DELETE FROM {table} WHERE checkpoint_table = '{}' AND run = '{}'",
                escape(key),
                escape(run)
            ));
        }
    }
}

fn set_lost(lost: &Mutex<Option<String>>, why: String) {
    if let Ok(mut l) = lost.lock() {
        *l = Some(why);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_names_fit_the_servers_limit_and_stay_distinct() {
        let short = CheckpointTable::parse("myreplay.applied").unwrap();
        assert_eq!(lock_name(&short), "myreplay myreplay.applied");
        let a = CheckpointTable::parse(&format!("{}.{}", "d".repeat(64), "a".repeat(64))).unwrap();
        let b = CheckpointTable::parse(&format!("{}.{}", "d".repeat(64), "b".repeat(64))).unwrap();
        assert_eq!(lock_name(&a).chars().count(), 64);
        assert_ne!(lock_name(&a), lock_name(&b));
    }
}
