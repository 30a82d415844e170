//! Point-in-time recovery from real backups taken by the real tools:
//! `myreplay apply --from-backup BACKUP --binlog-dir SOURCE_DATADIR`, on
//! MariaDB 10.11 (the host's), MariaDB 11.8 and MySQL 9.7 (Debian unstable
//! roots), each with the tools of its own version.
//!
//! Every test starts a private source (binlog on, ROW; MySQL with
//! `gtid_mode=ON`) with a schema that has a unique key and a foreign key
//! (ON DELETE CASCADE), runs a workload thread on it (its own connection,
//! one transaction per step: inserts, updates, deletes, multi-statement
//! transactions, unique-key swaps) and takes the backup WHILE the workload
//! writes; the workload goes on after the backup (across a binlog rotation)
//! and stops. The backup is restored into a fresh target the way its tool
//! restores it, and myreplay brings the target from the backup's point to
//! the end of the source's binlogs, found in the source's datadir:
//!
//! - mariadb-backup (10.11, 11.8): `--backup`, `--prepare`, `--copy-back`
//!   into an empty datadir, a server started on it;
//! - mariadb-dump (10.11, 11.8) `--master-data=2 --gtid --single-transaction`,
//!   loaded with the `mariadb` client;
//! - mysqldump (9.7) `--source-data=2 --single-transaction
//!   --set-gtid-purged=ON`, loaded with the `mysql` client into a fresh
//!   target with `gtid_mode=ON` (the dump's `GTID_PURGED` becomes its
//!   `gtid_executed`);
//! - mydumper (the host's, Debian 12's 0.10, on 10.11 and 11.8), loaded
//!   with myloader; not on MySQL 9.7, where it writes no coordinates.
//!
//! Each success ends with every table of the target equal to the source's.
//! Two refusals, before the first write, on every flavour: binlogs that end
//! before the backup's point (the backup is newer than the binlogs), and
//! binlogs that no longer reach back to it (its file purged). The target
//! must be left as the restore left it, with no `myreplay` database.
//!
//! The tools are real programs (`bash scripts/test.sh` installs them and
//! builds the roots); a missing one fails the test.

mod common;
#[path = "../../apply/tests/support/mod.rs"]
mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::{self, sleep, JoinHandle};
use std::time::{Duration, Instant};

use common::{apply_socket, stderr};
use mysql::prelude::Queryable;
use support::backup_tools as tools;
use support::{assert_same_tables, table_states, Flavour, PrivateMariaDb};

/// The exit code of a refused start point (backup newer than the binlogs,
/// binlogs not reaching back to the backup): "where to start cannot be
/// proven safe" (docs/errors.md, `exit::START` of the cli).
const REFUSED_EXIT: i32 = 10;

/// Old customers (never deleted), and how many orders they start with.
const CUSTOMERS: u32 = 300;
const ORDERS: u32 = 600;

// ---------------------------------------------------------------------------
// The source and its workload

/// The server options of sources and targets of `flavour` beyond the
/// defaults: MySQL with GTIDs (a dump then records the GTID set, and its
/// load gives it to the target).
fn gtid_options(flavour: Flavour) -> &'static [&'static str] {
    if flavour.is_mysql() {
        &["--gtid-mode=ON", "--enforce-gtid-consistency=ON"]
    } else {
        &[]
    }
}

/// A fresh target of `flavour`, with no binlog of its own.
fn start_target(flavour: Flavour) -> PrivateMariaDb {
    let mut opts = vec!["--skip-log-bin"];
    opts.extend(gtid_options(flavour));
    PrivateMariaDb::start_flavour(flavour, &opts)
}

/// A temporary directory for backups, where the tools of `flavour` see it
/// (inside its root).
fn backup_tmp(flavour: Flavour) -> tempfile::TempDir {
    tempfile::tempdir_in(flavour.base_dir()).unwrap()
}

/// A source of `flavour` with the schema and its first rows.
fn start_source(flavour: Flavour) -> PrivateMariaDb {
    let source = PrivateMariaDb::start_flavour(flavour, gtid_options(flavour));
    source.exec(
        "CREATE DATABASE shop; USE shop;
         CREATE TABLE customers (
           id INT PRIMARY KEY,
           email VARCHAR(64) NOT NULL,
           balance DECIMAL(12,2) NOT NULL DEFAULT 0,
           note VARCHAR(200),
           UNIQUE KEY email (email)
         ) ENGINE=InnoDB;
         CREATE TABLE orders (
           id INT AUTO_INCREMENT PRIMARY KEY,
           customer_id INT NOT NULL,
           amount DECIMAL(10,2) NOT NULL,
           status VARCHAR(10) NOT NULL DEFAULT 'new',
           KEY customer (customer_id),
           CONSTRAINT fk_customer FOREIGN KEY (customer_id) REFERENCES customers (id)
             ON DELETE CASCADE
         ) ENGINE=InnoDB;
         CREATE TABLE events (
           id BIGINT AUTO_INCREMENT PRIMARY KEY,
           customer_id INT NOT NULL,
           body TEXT NOT NULL
         ) ENGINE=InnoDB;",
    );
    let customers: Vec<String> = (1..=CUSTOMERS)
        .map(|i| format!("({i}, 'c{i}@shop', {}.{:02}, 'note {i}')", i * 3, i % 100))
        .collect();
    let orders: Vec<String> = (1..=ORDERS)
        .map(|i| format!("({}, {}.50, 'new')", 1 + i % CUSTOMERS, i % 50))
        .collect();
    source.exec(&format!(
        "USE shop; INSERT INTO customers VALUES {};
         INSERT INTO orders (customer_id, amount, status) VALUES {};",
        customers.join(","),
        orders.join(",")
    ));
    source
}

/// Workload step `n` (from 1): exactly one transaction, a function of `n`
/// only, that cannot fail on the source.
fn step(n: u64) -> String {
    let c = 1 + (n * 7) % CUSTOMERS as u64; // an old customer
    let d = 1 + (c + 13) % CUSTOMERS as u64; // another one
    match n % 6 {
        // A new customer with two orders.
        0 => format!(
            "BEGIN;
             INSERT INTO customers VALUES ({id}, 'new{n}@shop', 0, NULL);
             INSERT INTO orders (customer_id, amount) VALUES ({id}, {a}.25), ({id}, 1.75);
             COMMIT;",
            id = 1000 + n,
            a = n % 97
        ),
        // An order for an old customer, paid from the balance.
        1 => format!(
            "BEGIN;
             UPDATE customers SET balance = balance - {a}.10 WHERE id = {c};
             INSERT INTO orders (customer_id, amount) VALUES ({c}, {a}.10);
             COMMIT;",
            a = n % 31
        ),
        // Unique-key changes: a new email, or two customers swap theirs
        // (through a temporary value, in one transaction).
        2 if n % 4 == 0 => format!(
            "UPDATE customers SET email = 'c{c}-v{n}@shop', note = CONCAT('renamed at ', {n}) \
             WHERE id = {c};"
        ),
        2 => format!(
            "BEGIN;
             SELECT email INTO @ec FROM customers WHERE id = {c};
             SELECT email INTO @ed FROM customers WHERE id = {d};
             UPDATE customers SET email = 'swap-{n}' WHERE id = {c};
             UPDATE customers SET email = @ec WHERE id = {d};
             UPDATE customers SET email = @ed WHERE id = {c};
             COMMIT;"
        ),
        // Half of the new customers are deleted again, 15 steps later; their
        // orders go with them (ON DELETE CASCADE, not in the binlog).
        3 if n >= 15 && (n / 6) % 2 == 0 => {
            format!("DELETE FROM customers WHERE id = {};", 1000 + n - 15)
        }
        3 => format!("UPDATE customers SET note = NULL WHERE id = {c};"),
        // A transfer between two customers, logged with a TEXT body.
        4 => format!(
            "BEGIN;
             UPDATE customers SET balance = balance - 5 WHERE id = {c};
             UPDATE customers SET balance = balance + 5 WHERE id = {d};
             INSERT INTO events (customer_id, body) VALUES ({c}, REPEAT('transfer {n} ', {r}));
             COMMIT;",
            r = 1 + n % 20
        ),
        // Shipping and cancelling: multi-row update and delete.
        _ => format!(
            "BEGIN;
             UPDATE orders SET status = 'shipped' WHERE customer_id = {c} AND status = 'new';
             DELETE FROM orders WHERE customer_id = {d} ORDER BY id LIMIT 1;
             DELETE FROM events WHERE customer_id = {d};
             COMMIT;"
        ),
    }
}

/// Runs SQL on a connection, reading every result (a statement's error
/// shows up while reading).
fn run_sql(conn: &mut mysql::Conn, sql: &str) -> Result<(), mysql::Error> {
    let mut result = conn.query_iter(sql)?;
    while let Some(set) = result.iter() {
        for row in set {
            row?;
        }
    }
    Ok(())
}

/// A thread writing workload steps on its own connection until stopped.
struct Workload {
    stop: Arc<AtomicBool>,
    written: Arc<AtomicU64>,
    handle: JoinHandle<u64>,
}

impl Workload {
    fn start(db: &PrivateMariaDb) -> Workload {
        let mut conn = db.conn();
        run_sql(&mut conn, "USE shop").unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let written = Arc::new(AtomicU64::new(0));
        let handle = {
            let stop = stop.clone();
            let written = written.clone();
            thread::spawn(move || {
                let mut n = 0;
                while !stop.load(Ordering::SeqCst) {
                    n += 1;
                    let sql = step(n);
                    if let Err(e) = run_sql(&mut conn, &sql) {
                        panic!("workload step {n} failed on the source: {e}\n{sql}");
                    }
                    written.store(n, Ordering::SeqCst);
                }
                n
            })
        };
        Workload {
            stop,
            written,
            handle,
        }
    }

    /// Transactions committed so far.
    fn written(&self) -> u64 {
        self.written.load(Ordering::SeqCst)
    }

    /// Waits until `more` transactions more than now are committed.
    fn wait_more(&self, more: u64) {
        let goal = self.written() + more;
        let started = Instant::now();
        while self.written() < goal {
            assert!(!self.handle.is_finished(), "the workload thread died");
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the workload wrote {} of {goal} transactions in 60 s",
                self.written()
            );
            sleep(Duration::from_millis(5));
        }
    }

    /// Stops the workload; returns how many transactions it wrote.
    fn stop(self) -> u64 {
        self.stop.store(true, Ordering::SeqCst);
        match self.handle.join() {
            Ok(n) => n,
            Err(e) => std::panic::resume_unwind(e),
        }
    }
}

/// The source's last GTID sequence number: of domain 0 in
/// `gtid_binlog_pos` (MariaDB), or of the server's UUID in `gtid_executed`
/// (MySQL), as [`PrivateMariaDb::binlog_status`] reads them.
fn gtid_seq(db: &PrivateMariaDb) -> u64 {
    seq_of(&db.binlog_status().2)
}

/// The last sequence number of a GTID state written by one server: a
/// MariaDB GTID list (`0-1-4242`, domain 0's) or a MySQL GTID set of one
/// server UUID (`uuid:1-4242`, its last interval's end).
fn seq_of(gtid_state: &str) -> u64 {
    let state: String = gtid_state.chars().filter(|c| !c.is_whitespace()).collect();
    if state.contains(':') {
        let sets: Vec<&str> = state.split(',').filter(|s| !s.is_empty()).collect();
        assert_eq!(sets.len(), 1, "the GTIDs of one server in {gtid_state:?}");
        let last = sets[0].rsplit(':').next().unwrap();
        let end = last.rsplit('-').next().unwrap();
        return end
            .parse()
            .unwrap_or_else(|_| panic!("a MySQL GTID set, {gtid_state:?}"));
    }
    let gtid = state
        .split(',')
        .find(|g| g.starts_with("0-"))
        .unwrap_or_else(|| panic!("no GTID of domain 0 in {gtid_state:?}"));
    gtid.rsplit('-').next().unwrap().parse().unwrap()
}

/// What happened around the backup.
#[derive(Debug)]
struct Around {
    /// Workload transactions committed when the backup started / ended.
    written_before: u64,
    written_after: u64,
    /// The source's last GTID seq when the backup started / ended.
    seq_before: u64,
    seq_after: u64,
    /// All workload transactions.
    total: u64,
}

/// Runs the workload on `source` and takes the backup (`backup`) while it
/// writes: the binlog is rotated before the backup (so the backup's point is
/// in the second file) and after it (the workload goes on in a third file);
/// the binlog is rotated once more when the workload has stopped, so every
/// file holding transactions is closed.
fn with_workload(source: &PrivateMariaDb, backup: impl FnOnce()) -> Around {
    let workload = Workload::start(source);
    workload.wait_more(150);
    source.exec("FLUSH BINARY LOGS");
    workload.wait_more(100);
    let written_before = workload.written();
    let seq_before = gtid_seq(source);
    backup();
    let written_after = workload.written();
    let seq_after = gtid_seq(source);
    workload.wait_more(150);
    source.exec("FLUSH BINARY LOGS");
    workload.wait_more(100);
    let total = workload.stop();
    source.exec("FLUSH BINARY LOGS");
    let around = Around {
        written_before,
        written_after,
        seq_before,
        seq_after,
        total,
    };
    eprintln!("workload around the backup: {around:?}");
    assert!(
        around.written_after > around.written_before,
        "the workload wrote during the backup: {around:?}"
    );
    assert!(around.total >= around.written_after + 250, "{around:?}");
    around
}

/// The end of a binlog file's header events (format description, GTID
/// list, binlog checkpoints; MySQL's previous GTIDs): where `SHOW MASTER
/// STATUS` / `SHOW BINARY LOG STATUS` points in a file nothing has been
/// written to yet.
fn header_end(file: &Path) -> u64 {
    let bytes = fs::read(file).unwrap_or_else(|e| panic!("reading {}: {e}", file.display()));
    assert_eq!(&bytes[..4], b"\xfebin", "{} is a binlog", file.display());
    let mut pos = 4usize;
    while pos + 19 <= bytes.len() {
        let kind = bytes[pos + 4];
        let len = u32::from_le_bytes(bytes[pos + 9..pos + 13].try_into().unwrap()) as usize;
        // FORMAT_DESCRIPTION, PREVIOUS_GTIDS (MySQL), BINLOG_CHECKPOINT,
        // GTID_LIST, START_ENCRYPTION (MariaDB)
        if ![15u8, 35, 161, 163, 164].contains(&kind) {
            break;
        }
        pos += len;
    }
    pos as u64
}

/// Asserts that a backup's point (`file`:`pos` of the source) is inside
/// the file, after transactions and before others: not a file boundary.
fn assert_mid_file(source: &PrivateMariaDb, file: &str, pos: u64) {
    let path = source.datadir().join(file);
    let header = header_end(&path);
    let len = fs::metadata(&path).unwrap().len();
    eprintln!(
        "backup point {file}:{pos}; that file's header events end at {header}, the file at {len}"
    );
    assert!(
        pos > header && pos < len,
        "the backup's point {file}:{pos} is inside the file (header end {header}, length {len})"
    );
}

/// What a MariaDB 11.x datadir holds that 10.11's does not, and the
/// `--binlog-dir` discovery must cope with: a GTID index (`binlog.N.idx`,
/// `binlog_gtid_index`, 11.4+) beside the binlogs, and events inside
/// transactions written with `end_log_pos` 0 (the binlog is written from
/// a cache whose positions are not known yet). Asserted on MariaDB 11.8,
/// where the tests show myreplay reads such a datadir; printed elsewhere.
fn note_binlog_layout(source: &PrivateMariaDb) {
    let datadir = source.datadir();
    let mut idx: Vec<String> = fs::read_dir(&datadir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".idx"))
        .collect();
    idx.sort();
    let bytes = fs::read(datadir.join("binlog.000002")).unwrap();
    let (mut events, mut zero) = (0, 0);
    let mut pos = 4usize;
    while pos + 19 <= bytes.len() {
        let len = u32::from_le_bytes(bytes[pos + 9..pos + 13].try_into().unwrap()) as usize;
        let end_log_pos = u32::from_le_bytes(bytes[pos + 13..pos + 17].try_into().unwrap());
        events += 1;
        if end_log_pos == 0 {
            zero += 1;
        }
        pos += len;
    }
    eprintln!(
        "{}: GTID index files {idx:?}; binlog.000002: {events} events, {zero} with end_log_pos 0",
        source.flavour().name()
    );
    if source.flavour() == Flavour::MariaDb118 {
        assert!(
            !idx.is_empty(),
            "MariaDB 11.8 writes GTID index files beside its binlogs"
        );
        assert!(
            zero > 0,
            "MariaDB 11.8 writes end_log_pos 0 inside transactions"
        );
    }
}

// ---------------------------------------------------------------------------
// Targets and the myreplay step

fn from_backup(target: &PrivateMariaDb, backup: &Path, binlog_dir: &Path) -> Output {
    let backup = backup.to_str().unwrap();
    let dir = binlog_dir.to_str().unwrap();
    apply_socket(target, &[], &["--from-backup", backup, "--binlog-dir", dir])
        .output()
        .unwrap()
}

/// Asserts that the target is not the source yet (the backup's point is
/// behind the end of the workload), runs the replay and asserts it made the
/// target equal to the source.
fn replay_and_compare(source: &PrivateMariaDb, target: &PrivateMariaDb, backup: &Path) {
    assert_ne!(
        table_states(target, &[]),
        table_states(source, &[]),
        "the restored backup is behind the source"
    );
    let out = from_backup(target, backup, &source.datadir());
    let err = stderr(&out);
    assert!(
        out.status.success(),
        "myreplay apply --from-backup {} --binlog-dir {}: exit {:?}\n{err}",
        backup.display(),
        source.datadir().display(),
        out.status.code(),
    );
    assert!(
        !err.contains("disagree"),
        "the backup's position and GTID state agree:\n{err}"
    );
    assert_same_tables(source, target);
}

/// The schemas of the target (other than the system ones).
fn schemas(db: &PrivateMariaDb) -> Vec<String> {
    db.conn()
        .query(
            "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME NOT IN \
             ('mysql', 'information_schema', 'performance_schema', 'sys') ORDER BY 1",
        )
        .unwrap()
}

/// Runs the replay, expecting a refusal before the first write: exit
/// [`REFUSED_EXIT`], the target exactly as it was, no `myreplay` database.
fn assert_refused(target: &PrivateMariaDb, backup: &Path, binlog_dir: &Path, why: &str) {
    let tables = table_states(target, &[]);
    let dbs = schemas(target);
    assert_eq!(
        dbs,
        ["shop"],
        "the restored target holds the shop database only"
    );
    let out = from_backup(target, backup, binlog_dir);
    let err = stderr(&out);
    eprintln!(
        "refused ({why}): exit {:?}: {}",
        out.status.code(),
        err.trim()
    );
    assert_eq!(
        out.status.code(),
        Some(REFUSED_EXIT),
        "{why}: myreplay apply --from-backup {} --binlog-dir {} must be refused\n{err}",
        backup.display(),
        binlog_dir.display()
    );
    assert_eq!(
        schemas(target),
        dbs,
        "{why}: no database created (no myreplay)"
    );
    assert_eq!(
        table_states(target, &[]),
        tables,
        "{why}: the target unchanged"
    );
}

/// The (file, position, GTID state) a mariadb-backup backup recorded, from
/// `mariadb_backup_binlog_info` or (10.11's name) `xtrabackup_binlog_info`,
/// and that file; every metadata file's binlog lines are printed.
fn mariadb_backup_point(backup: &Path) -> (String, u64, String, PathBuf) {
    let info = ["mariadb_backup_binlog_info", "xtrabackup_binlog_info"]
        .iter()
        .map(|n| backup.join(n))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("no binlog info file in {}", backup.display()));
    let text = fs::read_to_string(&info).unwrap();
    eprintln!("{}: {text:?}", info.display());
    for name in ["mariadb_backup_info", "xtrabackup_info"] {
        if let Ok(t) = fs::read_to_string(backup.join(name)) {
            for line in t.lines().filter(|l| l.starts_with("binlog_pos")) {
                eprintln!("{name}: {line}");
            }
        }
    }
    let fields: Vec<&str> = text.trim_end().split('\t').collect();
    assert!(fields.len() >= 2, "file, position[, GTID] in {text:?}");
    (
        fields[0].to_string(),
        fields[1].parse().unwrap(),
        fields.get(2).unwrap_or(&"").to_string(),
        info,
    )
}

/// Takes a mariadb-backup of `source` (its flavour's) while the workload
/// writes, prepares it, copies it back into a fresh datadir and starts a
/// target on it. `tmp` is inside the flavour's root ([`backup_tmp`]).
fn mariadb_backup_restored(
    source: &PrivateMariaDb,
    tmp: &Path,
) -> (PathBuf, PrivateMariaDb, Around) {
    let f = source.flavour();
    let logs = tmp.join("logs");
    let backup = tmp.join("backup");
    let around = with_workload(source, || {
        tools::mariadb_backup(source, &backup, &logs);
    });
    tools::mariadb_backup_prepare(f, &backup, &logs);
    let restored = tmp.join("restored");
    tools::mariadb_backup_copy_back(f, &backup, &restored, &logs);
    let target = PrivateMariaDb::from_datadir_as(f, &restored, &["--skip-log-bin"]);
    (backup, target, around)
}

/// The binlog file, position and GTID state a dump recorded: mariadb-dump's
/// `-- CHANGE MASTER TO MASTER_LOG_FILE='...', MASTER_LOG_POS=...;` and
/// `-- SET GLOBAL gtid_slave_pos='...';`, or mysqldump's `-- CHANGE
/// REPLICATION SOURCE TO SOURCE_LOG_FILE='...', SOURCE_LOG_POS=...;` and
/// `SET @@GLOBAL.GTID_PURGED=/*!80000 '+'*/ '...';` (over several lines
/// when it names several servers). The lines are printed.
fn dump_point(dump: &Path) -> (String, u64, String) {
    let text = fs::read_to_string(dump).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut change = None;
    let mut gtid: Option<String> = None;
    for (i, line) in lines.iter().enumerate() {
        if line.contains("CHANGE MASTER")
            || line.contains("CHANGE REPLICATION SOURCE")
            || line.contains("gtid_slave_pos")
            || line.contains("GTID_PURGED")
        {
            eprintln!(
                "{} line {} of {}: {line}",
                dump.display(),
                i + 1,
                lines.len()
            );
        }
        let coordinates = line
            .strip_prefix("-- CHANGE MASTER TO MASTER_LOG_FILE='")
            .map(|r| (r, "MASTER_LOG_POS="))
            .or_else(|| {
                line.strip_prefix("-- CHANGE REPLICATION SOURCE TO SOURCE_LOG_FILE='")
                    .map(|r| (r, "SOURCE_LOG_POS="))
            });
        if let Some((rest, pos_name)) = coordinates {
            let (file, rest) = rest.split_once('\'').unwrap();
            let pos = rest
                .trim_start_matches(',')
                .trim()
                .trim_start_matches(pos_name)
                .trim_end_matches(';');
            change = Some((file.to_string(), pos.parse::<u64>().unwrap()));
        }
        if let Some(rest) = line.strip_prefix("-- SET GLOBAL gtid_slave_pos='") {
            gtid = Some(rest.trim_end_matches("';").to_string());
        }
        if line.starts_with("SET @@GLOBAL.GTID_PURGED=") {
            // The set is the last quoted string, up to the `;`.
            let mut statement = line.to_string();
            for more in &lines[i + 1..] {
                if statement.trim_end().ends_with(';') {
                    break;
                }
                statement.push_str(more);
            }
            let quoted: Vec<&str> = statement.split('\'').collect();
            assert!(quoted.len() >= 3, "a quoted GTID set in {statement:?}");
            gtid = Some(quoted[quoted.len() - 2].to_string());
        }
    }
    let (file, pos) = change.expect("a CHANGE MASTER TO / CHANGE REPLICATION SOURCE TO line");
    let gtid = gtid.expect("a SET GLOBAL gtid_slave_pos / SET @@GLOBAL.GTID_PURGED line");
    (file, pos, gtid)
}

/// Dumps `source`'s shop database with its flavour's dump tool while the
/// workload writes, and loads the dump into a fresh target with its
/// flavour's client.
fn dump_restored(source: &PrivateMariaDb, tmp: &Path) -> (PathBuf, PrivateMariaDb, Around) {
    let logs = tmp.join("logs");
    let dump = tmp.join("dump.sql");
    let around = with_workload(source, || {
        tools::dump(source, &["shop"], &dump, &logs);
    });
    let target = start_target(source.flavour());
    tools::client_load(&target, &dump, &logs);
    (dump, target, around)
}

// ---------------------------------------------------------------------------
// The tests

#[test]
fn mariadb_backup_taken_while_a_workload_writes() {
    mariadb_backup_taken_while_a_workload_writes_on(Flavour::MariaDb);
}

#[test]
fn on_mariadb_11_8_mariadb_backup_taken_while_a_workload_writes() {
    mariadb_backup_taken_while_a_workload_writes_on(Flavour::MariaDb118);
}

fn mariadb_backup_taken_while_a_workload_writes_on(flavour: Flavour) {
    let tmp = backup_tmp(flavour);
    let source = start_source(flavour);
    let (backup, target, around) = mariadb_backup_restored(&source, tmp.path());

    let (file, pos, gtid, info) = mariadb_backup_point(&backup);
    assert_eq!(
        file, "binlog.000002",
        "the backup's point is in the file after the first rotation"
    );
    assert_mid_file(&source, &file, pos);
    let seq = seq_of(&gtid);
    assert!(
        around.seq_before < seq && seq <= around.seq_after,
        "the backup's GTID {gtid} was taken during the backup: {around:?}"
    );

    // The dry run tells the plan of the recovery, and writes nothing.
    let before = (schemas(&target), table_states(&target, &[]));
    let datadir = source.datadir();
    let out = apply_socket(
        &target,
        &[],
        &[
            "--dry-run",
            "--from-backup",
            backup.to_str().unwrap(),
            "--binlog-dir",
            datadir.to_str().unwrap(),
        ],
    )
    .output()
    .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}\n{}", stderr(&out));
    let expected = format!(
        "recovery start: GTID state {gtid} from {} line 1: transactions inside it are skipped; reading starts at binlog.000002",
        info.display()
    );
    assert!(text.contains(&expected), "{expected}\nnot in:\n{text}");
    assert!(
        text.lines()
            .any(|l| l.contains("binlog.000001")
                && l.contains("[skipped: the target holds all of it]")),
        "{text}"
    );
    assert!(
        text.lines().any(|l| l.contains("binlog.000002")
            && l.contains("last 0-1-")
            && l.contains("[read; transactions inside the start state skipped]")),
        "{text}"
    );
    assert!(!stderr(&out).contains("disagree"), "{}", stderr(&out));
    assert_eq!(
        before,
        (schemas(&target), table_states(&target, &[])),
        "the dry run wrote nothing"
    );

    note_binlog_layout(&source);
    replay_and_compare(&source, &target, &backup);
}

#[test]
fn mariadb_dump_with_master_data_and_gtid() {
    a_dump_taken_while_a_workload_writes_on(Flavour::MariaDb);
}

#[test]
fn on_mariadb_11_8_mariadb_dump_with_master_data_and_gtid() {
    a_dump_taken_while_a_workload_writes_on(Flavour::MariaDb118);
}

#[test]
fn on_mysql_9_7_mysqldump_with_source_data_and_gtid_purged() {
    a_dump_taken_while_a_workload_writes_on(Flavour::MySql97);
}

/// mariadb-dump (MariaDB) or mysqldump (MySQL) while the workload writes,
/// loaded with the client, then the replay.
fn a_dump_taken_while_a_workload_writes_on(flavour: Flavour) {
    let tmp = backup_tmp(flavour);
    let source = start_source(flavour);
    let (dump, target, around) = dump_restored(&source, tmp.path());

    // Where the dump records its point.
    let (file, pos, gtid) = dump_point(&dump);
    assert_eq!(file, "binlog.000002");
    assert_mid_file(&source, &file, pos);
    let seq = seq_of(&gtid);
    assert!(
        around.seq_before <= seq && seq <= around.seq_after,
        "the dump's GTID {gtid} was taken during the dump: {around:?}"
    );
    if flavour.is_mysql() {
        // The load gave the target the dump's GTID set (GTID_PURGED).
        let executed: String = target
            .conn()
            .query_first("SELECT @@GLOBAL.gtid_executed")
            .unwrap()
            .unwrap();
        let parse = |s: &str| -> myreplay_binlog::GtidSet { s.replace('\n', "").parse().unwrap() };
        assert_eq!(
            parse(&executed),
            parse(&gtid),
            "the loaded dump set the target's gtid_executed"
        );
    }

    note_binlog_layout(&source);
    replay_and_compare(&source, &target, &dump);
}

#[test]
fn mydumper_and_myloader() {
    mydumper_and_myloader_on(Flavour::MariaDb);
}

#[test]
fn on_mariadb_11_8_mydumper_and_myloader() {
    mydumper_and_myloader_on(Flavour::MariaDb118);
}

/// The host's mydumper and myloader (Debian 12's 0.10) whatever the server.
/// Not on MySQL 9.7: mydumper 0.10 runs SHOW MASTER STATUS, which MySQL 8.4
/// removed, and writes a metadata without coordinates (refused, exit 11:
/// the source crate's
/// `mydumper_0_10_of_mysql_9_7_without_coordinates_names_the_removed_show_master_status`).
fn mydumper_and_myloader_on(flavour: Flavour) {
    let tmp = backup_tmp(flavour);
    let logs = tmp.path().join("logs");
    let dir = tmp.path().join("mydumper");
    let source = start_source(flavour);
    let around = with_workload(&source, || {
        tools::mydumper(&source, "shop", &dir, &logs);
    });

    let metadata = fs::read_to_string(dir.join("metadata")).unwrap();
    eprintln!("mydumper metadata: {metadata:?}");
    let field = |name: &str| -> String {
        metadata
            .lines()
            .find_map(|l| l.trim().strip_prefix(name))
            .unwrap_or_else(|| panic!("no {name} line in the metadata"))
            .trim()
            .to_string()
    };
    let (file, pos, gtid) = (field("Log:"), field("Pos:"), field("GTID:"));
    assert_eq!(file, "binlog.000002");
    assert_mid_file(&source, &file, pos.parse().unwrap());
    let seq = seq_of(&gtid);
    assert!(
        around.seq_before <= seq && seq <= around.seq_after,
        "the dump's GTID {gtid} was taken during the dump: {around:?}"
    );

    let target = start_target(flavour);
    tools::myloader(&target, &dir, &logs);
    replay_and_compare(&source, &target, &dir);
}

#[test]
fn a_backup_newer_than_the_binlogs_is_refused_before_the_first_write() {
    a_backup_newer_than_the_binlogs_is_refused_before_the_first_write_on(Flavour::MariaDb);
}

#[test]
fn on_mariadb_11_8_a_backup_newer_than_the_binlogs_is_refused_before_the_first_write() {
    a_backup_newer_than_the_binlogs_is_refused_before_the_first_write_on(Flavour::MariaDb118);
}

#[test]
fn on_mysql_9_7_a_backup_newer_than_the_binlogs_is_refused_before_the_first_write() {
    a_backup_newer_than_the_binlogs_is_refused_before_the_first_write_on(Flavour::MySql97);
}

/// The backup: mariadb-backup on MariaDB, mysqldump on MySQL (which has no
/// physical backup tool here).
fn a_backup_newer_than_the_binlogs_is_refused_before_the_first_write_on(flavour: Flavour) {
    let tmp = backup_tmp(flavour);
    let source = start_source(flavour);
    let (backup, target, file) = if flavour.is_mysql() {
        let (dump, target, _) = dump_restored(&source, tmp.path());
        let (file, _, _) = dump_point(&dump);
        (dump, target, file)
    } else {
        let (backup, target, _) = mariadb_backup_restored(&source, tmp.path());
        let (file, _, _, _) = mariadb_backup_point(&backup);
        (backup, target, file)
    };

    // The binlogs up to the one before the backup's file: they end (at
    // their rotation to the backup's file) before the backup's point.
    let old = tmp.path().join("old-binlogs");
    fs::create_dir(&old).unwrap();
    let logs = source.binlogs();
    let at = logs
        .iter()
        .position(|f| f.file_name().unwrap() == file.as_str())
        .expect("the backup's file is one of the source's binlogs");
    assert!(at > 0, "there are binlogs before the backup's file");
    for f in &logs[..at] {
        fs::copy(f, old.join(f.file_name().unwrap())).unwrap();
    }

    assert_refused(
        &target,
        &backup,
        &old,
        "binlogs ending before the backup's point",
    );
}

#[test]
fn binlogs_that_do_not_reach_back_to_the_backup_are_refused() {
    binlogs_that_do_not_reach_back_to_the_backup_are_refused_on(Flavour::MariaDb);
}

#[test]
fn on_mariadb_11_8_binlogs_that_do_not_reach_back_to_the_backup_are_refused() {
    binlogs_that_do_not_reach_back_to_the_backup_are_refused_on(Flavour::MariaDb118);
}

#[test]
fn on_mysql_9_7_binlogs_that_do_not_reach_back_to_the_backup_are_refused() {
    binlogs_that_do_not_reach_back_to_the_backup_are_refused_on(Flavour::MySql97);
}

/// The backup: mariadb-dump on MariaDB, mysqldump on MySQL.
fn binlogs_that_do_not_reach_back_to_the_backup_are_refused_on(flavour: Flavour) {
    let tmp = backup_tmp(flavour);
    let source = start_source(flavour);
    let (dump, target, _) = dump_restored(&source, tmp.path());

    // The dump's point is in binlog.000002: purge it (and 000001).
    let (file, _, _) = dump_point(&dump);
    assert_eq!(file, "binlog.000002");
    source.exec("PURGE BINARY LOGS TO 'binlog.000003'");
    let names: Vec<String> = source
        .binlogs()
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names[0], "binlog.000003",
        "the backup's file is purged: {names:?}"
    );
    assert!(!source.datadir().join("binlog.000002").exists());

    assert_refused(
        &target,
        &dump,
        &source.datadir(),
        "binlogs starting after the backup's file",
    );
}
