//! Faults during `myreplay apply` (issue 5), each against private servers
//! of every flavour (issue 10: MariaDB 10.11, MariaDB 11.8, MySQL 9.7;
//! modules `on_mariadb_10_11`, `on_mariadb_11_8`, `on_mysql_9_7`): myreplay killed with SIGKILL at random moments, connections
//! cut by a TCP proxy, a target that refuses writes (read-only, a table
//! full), rows locked by another session. Each ends with the target equal
//! to the source after the last successful run, or with a clean stop that
//! says what to do.
//!
//! The random moments come from a seeded generator; the seed is printed
//! (shown when a test fails) and `MYREPLAY_FAULT_SEED=<seed>` replays it:
//!
//! ```text
//! MYREPLAY_FAULT_SEED=1234 cargo test -p myreplay-cli --test faults
//! ```
//!
//! MySQL sources run with `gtid_mode=ON` (their transactions are named by
//! GTID in the messages), except the full-table one: a MEMORY table written
//! in a transaction with an InnoDB one is what `enforce_gtid_consistency`
//! forbids, so that source runs with GTIDs off (anonymous transactions).

mod common;
#[path = "../../apply/tests/support/mod.rs"]
mod support;

use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use common::{apply_as, apply_socket, checkpoint_rows, stderr, transactions};
use mysql::prelude::Queryable;
use support::proxy::Proxy;
use support::{assert_same_tables, Flavour, PrivateMariaDb};

/// A small deterministic generator (splitmix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `lo..hi`.
    fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo).max(1)
    }
}

/// The seed: `MYREPLAY_FAULT_SEED`, else from the clock. Printed so that a
/// failure can be replayed.
fn seed(test: &str) -> u64 {
    let seed = match std::env::var("MYREPLAY_FAULT_SEED") {
        Ok(s) => s
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("MYREPLAY_FAULT_SEED={s}: expected a number")),
        Err(_) => {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                % 1_000_000_000
        }
    };
    eprintln!("{test}: seed {seed} (replay with MYREPLAY_FAULT_SEED={seed})");
    seed
}

/// Runs to the end; panics with its stderr unless it succeeded.
fn succeeds(mut c: Command) -> String {
    let out = c.output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Asserts that running the finished replay again applies nothing.
fn a_rerun_applies_nothing(mut c: Command, total: u64) {
    let out = c.output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("applied 0 transactions ({total} skipped")),
        "{text}"
    );
    assert!(text.contains("nothing new to apply"), "{text}");
}

/// Waits for `child` up to `limit`; kills it and panics when it hangs.
fn wait_at_most(mut child: Child, limit: Duration, what: &str) -> Output {
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "{what}: still running after {} s (a hang); stderr:\n{}",
                limit.as_secs(),
                stderr(&out)
            );
        }
        sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// A bank: `accounts` rows, then `transfers` transactions moving money
/// between two accounts and writing a ledger row (updates that are not
/// idempotent: applying one twice changes a balance), every 100th followed
/// by a swap of unique values, every 500th by a statement-format update.
/// Returns the SQL.
fn bank_sql(accounts: usize, transfers: usize) -> String {
    let mut sql = String::from("USE app;");
    for i in 0..accounts {
        sql += &format!("INSERT INTO accounts VALUES ({i}, 'o{i}', 1000);");
    }
    for i in 0..transfers {
        let (a, b) = (i * 7 % accounts, (i * 13 + 1) % accounts);
        sql += &format!(
            "BEGIN; UPDATE accounts SET balance = balance - {i} WHERE id = {a}; UPDATE accounts SET balance = balance + {i} WHERE id = {b}; INSERT INTO ledger (account, amount) VALUES ({a}, {i}); COMMIT;"
        );
        if i % 100 == 0 {
            sql += &format!(
                "UPDATE accounts SET owner = 'tmp' WHERE id = {a}; UPDATE accounts SET owner = 'o{a}x{i}' WHERE id = {b}; UPDATE accounts SET owner = 'o{b}x{i}' WHERE id = {a};"
            );
        }
        if i % 500 == 250 {
            sql += &format!(
                "SET SESSION binlog_format = STATEMENT; UPDATE accounts SET balance = balance + 1 WHERE id < {}; SET SESSION binlog_format = ROW;",
                accounts / 10
            );
        }
    }
    sql
}

const BANK_SCHEMA: &str = "CREATE DATABASE app; USE app;
     CREATE TABLE accounts (id INT PRIMARY KEY, owner VARCHAR(40) NOT NULL, balance BIGINT NOT NULL, UNIQUE KEY (owner)) ENGINE=InnoDB;
     CREATE TABLE ledger (id INT AUTO_INCREMENT PRIMARY KEY, account INT NOT NULL, amount BIGINT NOT NULL) ENGINE=InnoDB;";

/// A source with the bank schema, `targets` snapshots of it taken before
/// the workload (replay targets, binlog off), and the workload's binlogs.
fn bank(
    f: Flavour,
    accounts: usize,
    transfers: usize,
    targets: usize,
    target_options: &[&str],
) -> (PrivateMariaDb, Vec<PrivateMariaDb>, Vec<PathBuf>) {
    bank_then(f, accounts, transfers, targets, target_options, "")
}

/// MySQL with GTIDs on (9.7's default; MariaDB always has them), said
/// explicitly.
fn gtid_options(f: Flavour) -> Vec<&'static str> {
    if f.is_mysql() {
        vec!["--gtid-mode=ON", "--enforce-gtid-consistency=ON"]
    } else {
        vec![]
    }
}

/// How a stop names a transaction of a source started with
/// [`gtid_options`]: by its GTID (MariaDB `0-1-N`, MySQL `UUID:N`).
fn names_a_transaction(f: Flavour, err: &str) -> bool {
    if f.is_mysql() {
        // `(transaction 3e11fa47-71ca-11e1-9e33-c80aa9429562:17)`
        err.split("(transaction ").nth(1).is_some_and(|rest| {
            let gtid = rest.split(')').next().unwrap_or("");
            gtid.len() > 37 && gtid.as_bytes()[36] == b':'
        })
    } else {
        err.contains("(transaction 0-1-")
    }
}

/// Lets root connect over TCP from 127.0.0.1 (MySQL's root is
/// `root@localhost` only; MariaDB's root there is reached already).
fn root_over_tcp(target: &PrivateMariaDb) {
    if target.flavour().is_mysql() {
        target.exec(
            "CREATE USER IF NOT EXISTS root@'127.0.0.1';
             GRANT ALL ON *.* TO root@'127.0.0.1' WITH GRANT OPTION;",
        );
    }
}

/// A DDL after the transfers, and a change that uses it: once it commits,
/// the replay reads the target's schema again on its control connection.
const LEDGER_DDL: &str = "ALTER TABLE app.ledger ADD COLUMN note VARCHAR(20) NULL;
     USE app; INSERT INTO ledger (account, amount, note) VALUES (1, 1, 'after');";

/// [`bank`], then `then` (SQL) on the source before its binlogs are closed.
fn bank_then(
    f: Flavour,
    accounts: usize,
    transfers: usize,
    targets: usize,
    target_options: &[&str],
    then: &str,
) -> (PrivateMariaDb, Vec<PrivateMariaDb>, Vec<PathBuf>) {
    let mut source = PrivateMariaDb::start_flavour(f, &gtid_options(f));
    source.exec(BANK_SCHEMA);
    let mut options = vec!["--skip-log-bin"];
    options.extend_from_slice(target_options);
    let targets = (0..targets).map(|_| source.snapshot(&options)).collect();
    let before = source.binlogs().len();
    // The source only writes the workload: no need to flush at each commit.
    source.exec("SET GLOBAL innodb_flush_log_at_trx_commit = 2");
    source.exec(&bank_sql(accounts, transfers));
    if !then.is_empty() {
        source.exec(then);
    }
    source.exec("FLUSH BINARY LOGS");
    let files = source.binlogs_since(before);
    (source, targets, files)
}

fn killed_with_sigkill_at_20_random_moments_and_run_again_it_ends_equal_to_the_source(f: Flavour) {
    let seed = seed("sigkill");
    let mut rng = Rng(seed);
    let (source, targets, files) = bank(f, 500, 10_000, 1, &[]);
    let target = &targets[0];
    let total = transactions(&files);
    // Small units on two workers: many commits, so a kill lands between
    // and inside them. Before its first commit a run reads and plans the
    // files (1-2 s in a debug build, more when the machine is busy), so the
    // moments are drawn relative to that: three runs in four are killed a
    // random 0-300 ms after their first commit (mid-run); every fourth at a
    // random moment before the time the previous run took to its first
    // commit (start, preflight, checkpoint table, schema, reading).
    let slow = ["--workers", "2", "--unit-transactions", "1"];
    let mut log = vec![];
    let mut killed = 0;
    let mut before = 0;
    let mut startup = 1000;
    for k in 0..20 {
        let mut child = apply_socket(target, &files, &slow)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let started = Instant::now();
        let delay = if k % 4 == 3 {
            rng.between(0, startup)
        } else {
            while checkpoint_rows(target) == before && child.try_wait().unwrap().is_none() {
                sleep(Duration::from_millis(5));
            }
            startup = started.elapsed().as_millis() as u64;
            startup + rng.between(0, 300)
        };
        sleep(Duration::from_millis(delay).saturating_sub(started.elapsed()));
        let _ = child.kill(); // SIGKILL
        let status = child.wait().unwrap();
        let after = checkpoint_rows(target);
        log.push(format!(
            "run {k}: {} after {delay} ms, {} transactions committed ({after} of {total} in all)",
            if status.success() {
                "finished"
            } else {
                "killed"
            },
            after - before
        ));
        if !status.success() {
            killed += 1;
        }
        before = after;
    }
    eprintln!("{}", log.join("\n"));
    let mid_run = log
        .iter()
        .filter(|l| !l.contains(", 0 transactions"))
        .count();
    let log = log.join("\n");
    assert_eq!(
        killed, 20,
        "seed {seed}: every run was killed before it finished:\n{log}"
    );
    assert!(
        mid_run >= 15,
        "seed {seed}: only {mid_run} runs committed something before the kill:\n{log}"
    );
    assert!(before < total, "seed {seed}: work was left:\n{log}");

    let out = apply_socket(target, &files, &["--workers", "2", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "seed {seed}: {}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let applied = report["transactions_applied"].as_u64().unwrap();
    let skipped = report["transactions_skipped"].as_u64().unwrap();
    assert_eq!(applied + skipped, total, "seed {seed}: {report}");
    assert_eq!(
        skipped, before,
        "seed {seed}: what the killed runs committed is skipped: {report}"
    );
    assert_eq!(checkpoint_rows(target), total, "one row per transaction");
    assert_same_tables(&source, target);
    a_rerun_applies_nothing(apply_socket(target, &files, &[]), total);
    assert_same_tables(&source, target);
}

/// The target's mariadbd is killed with SIGKILL mid-run and started again
/// a couple of seconds later (crash recovery): the sessions reconnect (and
/// the control connection, to read the schema after a later DDL), the
/// checkpoint table says which units committed before the crash, the
/// replay finishes on its own, equal to the source, one checkpoint row per
/// transaction.
fn the_target_server_killed_mid_run_and_started_again_the_replay_finishes_equal(f: Flavour) {
    // The DDL comes after the crash: the control connection the crash cut
    // connects again to read the schema.
    let (source, mut targets, files) = bank_then(f, 500, 6_000, 1, &[], LEDGER_DDL);
    let target = &mut targets[0];
    let total = transactions(&files);
    let mut child = apply_socket(
        target,
        &files,
        &["--workers", "2", "--unit-transactions", "1"],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let started = Instant::now();
    while checkpoint_rows(target) < 200 {
        assert!(started.elapsed() < Duration::from_secs(60), "no progress");
        sleep(Duration::from_millis(5));
    }
    assert!(
        child.try_wait().unwrap().is_none(),
        "the replay is still running when the server is killed"
    );
    target.crash();
    sleep(Duration::from_secs(2));
    target.start_again();
    let out = wait_at_most(
        child,
        Duration::from_secs(180),
        "the replay after the crash",
    );
    let err = stderr(&out);
    assert!(
        out.status.success(),
        "the replay rides through the crash: {err}"
    );
    let done = checkpoint_rows(target);
    assert_eq!(done, total, "one checkpoint row per transaction");
    assert_same_tables(&source, target);
    a_rerun_applies_nothing(apply_socket(target, &files, &[]), total);
}

fn connections_cut_by_a_proxy_at_random_moments_the_replay_reconnects_and_ends_equal(f: Flavour) {
    let seed = seed("proxy");
    let mut rng = Rng(seed);
    let (source, targets, files) = bank(f, 300, 8_000, 1, &[]);
    let target = &targets[0];
    let total = transactions(&files);
    root_over_tcp(target);
    let proxy = Proxy::start(([127, 0, 0, 1], target.port()).into());
    let workers = 2;
    let port = proxy.port().to_string();
    let mut child = Command::new(env!("CARGO_BIN_EXE_myreplay"))
        .args(["apply", "-h", "127.0.0.1", "-P", &port, "-u", "root"])
        .args(["--no-defaults", "--workers", &workers.to_string()])
        .args(["--unit-transactions", "2"])
        .args(&files)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Cut only once the replay runs (its control connection and every
    // worker's are open, a unit committed): the preflight and the opening
    // of sessions do not reconnect (see the test below for those).
    let started = Instant::now();
    while proxy.accepted() < 1 + workers || checkpoint_rows(target) == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the replay did not start"
        );
        sleep(Duration::from_millis(5));
    }
    let mut events = vec![];
    let mut cuts = 0;
    let mut refusals = 0;
    while child.try_wait().unwrap().is_none() && started.elapsed() < Duration::from_secs(90) {
        sleep(Duration::from_millis(rng.between(50, 400)));
        // One cut in four: the server "goes away" for a while, new
        // connections are closed at once, so the sessions' reconnects fail
        // and back off.
        let refuse = rng.between(0, 4) == 0;
        if refuse {
            proxy.set_refusing(true);
        }
        let accepted = proxy.accepted();
        let mut n = proxy.cut_all();
        if n > 0 {
            cuts += 1;
        }
        // One cut in four again as soon as a session has connected anew:
        // the cut lands in the reconnect or in the checkpoint lookup after
        // it (regression: a cut during that lookup stopped the replay).
        let again = !refuse && rng.between(0, 4) == 0;
        if again {
            let waiting = Instant::now();
            while proxy.accepted() == accepted && waiting.elapsed() < Duration::from_secs(5) {
                sleep(Duration::from_millis(1));
            }
            n += proxy.cut_all();
        }
        let mut what = format!(
            "cut {n} connections{} at {} of {total}",
            if again { " (twice)" } else { "" },
            checkpoint_rows(target)
        );
        if refuse {
            let pause = rng.between(200, 1500);
            sleep(Duration::from_millis(pause));
            proxy.set_refusing(false);
            refusals += 1;
            what += &format!(", refusing new ones for {pause} ms");
        }
        events.push(what);
    }
    let out = wait_at_most(
        child,
        Duration::from_secs(60),
        "the replay behind the proxy",
    );
    let events = events.join("\n");
    eprintln!("{events}");
    assert!(
        out.status.success(),
        "seed {seed}: the replay survives the cuts:\n{events}\n{}",
        stderr(&out)
    );
    assert!(
        cuts >= 3,
        "seed {seed}: only {cuts} cuts landed during the replay:\n{events}"
    );
    eprintln!(
        "{cuts} cuts and {refusals} refusals during the replay; {} connections forwarded, {} refused",
        proxy.accepted(),
        proxy.refused()
    );
    assert_eq!(checkpoint_rows(target), total, "seed {seed}");
    assert_same_tables(&source, target);
    a_rerun_applies_nothing(apply_socket(target, &files, &[]), total);
}

/// A user with what the apply needs, but not READ_ONLY ADMIN (nor SUPER):
/// read_only applies to it (root has READ_ONLY ADMIN and ignores it).
const APPLIER: &str = "CREATE USER applier@localhost IDENTIFIED BY 'applier-pw';
     GRANT ALL ON app.* TO applier@localhost;
     GRANT ALL ON myreplay.* TO applier@localhost;";

/// The global privileges of [`APPLIER`]: MariaDB's, or MySQL's dynamic ones
/// (neither READ_ONLY ADMIN, nor CONNECTION_ADMIN, nor SUPER).
fn applier_grants(f: Flavour) -> &'static str {
    if f.is_mysql() {
        "GRANT SESSION_VARIABLES_ADMIN, REPLICATION_APPLIER ON *.* TO applier@localhost;"
    } else {
        "GRANT BINLOG ADMIN, BINLOG REPLAY ON *.* TO applier@localhost;"
    }
}

fn a_read_only_target_is_refused_before_the_first_write_and_mid_run_stops_cleanly(f: Flavour) {
    let (source, targets, files) = bank(f, 200, 3_000, 1, &[]);
    let target = &targets[0];
    let total = transactions(&files);
    target.exec(APPLIER);
    target.exec(applier_grants(f));
    let applier = |extra: &[&str]| {
        let mut c = apply_as(target, "applier", &files, extra);
        c.env("MYSQL_PWD", "applier-pw");
        c
    };

    // Read-only before the run: the preflight says so, nothing written.
    target.exec("SET GLOBAL read_only = ON");
    let out = applier(&[]).output().unwrap();
    let err = stderr(&out);
    eprintln!("{err}");
    assert_eq!(out.status.code(), Some(8), "{err}");
    assert!(
        err.contains("preflight")
            && err.contains("read-only")
            && err.contains("SET GLOBAL read_only = OFF")
            && err.contains("nothing was written"),
        "{err}"
    );
    assert!(!err.contains("applier-pw"), "{err}");
    let dbs: Vec<String> = target
        .conn()
        .query("SHOW DATABASES LIKE 'myreplay'")
        .unwrap();
    assert!(dbs.is_empty(), "nothing was written: no checkpoint table");

    // Read-only from the middle of the run: a clean stop naming the
    // transaction and what to do.
    target.exec("SET GLOBAL read_only = OFF");
    let child = applier(&["--workers", "2", "--unit-transactions", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while checkpoint_rows(target) < 100 {
        assert!(started.elapsed() < Duration::from_secs(60), "no progress");
        sleep(Duration::from_millis(5));
    }
    target.exec("SET GLOBAL read_only = ON");
    let out = wait_at_most(child, Duration::from_secs(60), "the read-only stop");
    let err = stderr(&out);
    eprintln!("{err}");
    assert_eq!(out.status.code(), Some(9), "{err}");
    assert!(
        err.contains("binlog.0")
            && err.contains("at offset")
            && names_a_transaction(f, &err)
            && err.contains("ERROR 1290")
            && err.contains("SET GLOBAL read_only = OFF")
            && err.contains("nothing of it was committed")
            && err.contains("run the same command"),
        "{err}"
    );
    let stopped_at = checkpoint_rows(target);
    assert!(stopped_at < total, "it stopped before the end");

    // Lifted: the same command finishes, equal to the source.
    target.exec("SET GLOBAL read_only = OFF");
    let text = succeeds(applier(&["--workers", "2"]));
    assert!(text.contains(&format!("({stopped_at} skipped")), "{text}");
    assert_same_tables(&source, target);
    a_rerun_applies_nothing(applier(&[]), total);
}

fn a_full_table_stops_cleanly_and_after_the_fix_the_same_command_finishes(f: Flavour) {
    full_table(f, &["--workers", "1", "--unit-transactions", "1"]);
}

/// Regression: a MEMORY table is not transactional, so the rows a unit of
/// several transactions wrote before the error stayed after its ROLLBACK
/// and the re-run stopped on a duplicate key. Transactions writing such a
/// table now run in a unit of their own (a barrier), also after a
/// statement made the table's keys unknown to the planner.
fn a_full_table_with_units_of_several_transactions(f: Flavour) {
    full_table(f, &["--workers", "1"]);
}

/// A MEMORY table fills up on the target: a clean stop (exit 9) naming the
/// transaction and what to do; after the fix the same command finishes.
fn full_table(f: Flavour, extra: &[&str]) {
    // GTIDs off on MySQL: enforce_gtid_consistency refuses a MEMORY table
    // written in the transaction that writes an InnoDB one.
    let options: &[&str] = if f.is_mysql() {
        &["--gtid-mode=OFF", "--enforce-gtid-consistency=OFF"]
    } else {
        &[]
    };
    let mut source = PrivateMariaDb::start_flavour(f, options);
    // A MEMORY table: on the target (max_heap_table_size = 64 KiB at its
    // start) it holds a few hundred rows only.
    source.exec(
        "CREATE DATABASE app;
         CREATE TABLE app.cache (id INT PRIMARY KEY, v VARCHAR(200) NOT NULL) ENGINE=MEMORY;
         CREATE TABLE app.t (id INT PRIMARY KEY, n INT NOT NULL) ENGINE=InnoDB;",
    );
    let target = source.snapshot(&["--skip-log-bin", "--max-heap-table-size=65536"]);
    let before = source.binlogs().len();
    let mut sql = String::from("USE app;");
    for i in 0..2000 {
        sql += &format!(
            "BEGIN; INSERT INTO t VALUES ({i}, {i}); INSERT INTO cache VALUES ({i}, REPEAT('x', 150)); COMMIT;"
        );
    }
    source.exec(&sql);
    source.exec("FLUSH BINARY LOGS");
    let files = source.binlogs_since(before);
    let total = transactions(&files);

    let out = apply_socket(&target, &files, extra).output().unwrap();
    let err = stderr(&out);
    eprintln!("{err}");
    assert_eq!(out.status.code(), Some(9), "{err}");
    assert!(
        err.contains("binlog.0")
            && (if f.is_mysql() {
                err.contains("(transaction without GTID)")
            } else {
                names_a_transaction(f, &err)
            })
            && err.contains("ERROR 1114")
            && err.contains("is full")
            && err.contains("max_heap_table_size")
            && err.contains("nothing of it was committed"),
        "{err}"
    );
    let stopped_at = checkpoint_rows(&target);
    assert!(stopped_at > 0 && stopped_at < total, "{stopped_at}");

    // The fix the message gives: a bigger limit, the table rebuilt with it.
    target.exec(
        "SET GLOBAL max_heap_table_size = 64 * 1024 * 1024;
         SET SESSION max_heap_table_size = 64 * 1024 * 1024;
         ALTER TABLE app.cache ENGINE=MEMORY;",
    );
    let text = succeeds(apply_socket(&target, &files, extra));
    assert!(text.contains(&format!("({stopped_at} skipped")), "{text}");
    assert_same_tables(&source, &target);
    a_rerun_applies_nothing(apply_socket(&target, &files, &[]), total);
}

/// Holds `SELECT ... FOR UPDATE` locks on the target from another session
/// until dropped or `release`d.
struct RowLock {
    conn: mysql::Conn,
}

impl RowLock {
    fn hold(db: &PrivateMariaDb, sql: &str) -> RowLock {
        let mut conn = db.conn();
        conn.query_drop("START TRANSACTION").unwrap();
        conn.query_drop(sql).unwrap();
        RowLock { conn }
    }

    fn release(mut self) {
        self.conn.query_drop("ROLLBACK").unwrap();
    }
}

/// Source and `targets` targets with innodb_lock_wait_timeout = 1: 300
/// transactions, each updating rows 1 then 2 of `app.t`, then inserting
/// its own row.
fn lock_workload(
    f: Flavour,
    targets: usize,
) -> (PrivateMariaDb, Vec<PrivateMariaDb>, Vec<PathBuf>) {
    let mut source = PrivateMariaDb::start_flavour(f, &gtid_options(f));
    source.exec(
        "CREATE DATABASE app;
         CREATE TABLE app.t (id INT PRIMARY KEY, n BIGINT NOT NULL) ENGINE=InnoDB;
         INSERT INTO app.t VALUES (1, 0), (2, 0);
         CREATE TABLE app.filler (id INT PRIMARY KEY, n INT NOT NULL) ENGINE=InnoDB;",
    );
    let mut sql = String::from("USE app;");
    for i in 0..2000 {
        sql += &format!("INSERT INTO filler VALUES ({i}, 0);");
    }
    source.exec(&sql);
    let options = ["--skip-log-bin", "--innodb-lock-wait-timeout=1"];
    let targets = (0..targets).map(|_| source.snapshot(&options)).collect();
    let before = source.binlogs().len();
    let mut sql = String::from("USE app;");
    for i in 0..300 {
        sql += &format!(
            "BEGIN; UPDATE t SET n = n + {i} + 1 WHERE id = 1; UPDATE t SET n = (n * 3 + 1) % 1000003 WHERE id = 2; INSERT INTO t VALUES ({}, {i}); COMMIT;",
            i + 10
        );
    }
    source.exec(&sql);
    source.exec("FLUSH BINARY LOGS");
    let files = source.binlogs_since(before);
    (source, targets, files)
}

/// Waits until a transaction on `db` waits for a lock; panics with the
/// replay's output if it ends first.
fn wait_for_lock_wait(db: &PrivateMariaDb, replay: &mut Child) {
    let started = Instant::now();
    loop {
        let (_, waiting): (String, u64) = db
            .conn()
            .query_first("SHOW GLOBAL STATUS LIKE 'Innodb_row_lock_current_waits'")
            .unwrap()
            .unwrap();
        if waiting > 0 {
            return;
        }
        if let Some(status) = replay.try_wait().unwrap() {
            let mut err = String::new();
            if let Some(mut e) = replay.stderr.take() {
                let _ = std::io::Read::read_to_string(&mut e, &mut err);
            }
            panic!("the replay ended ({status}) without waiting for the lock: {err}");
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the replay never waited for the lock"
        );
        sleep(Duration::from_millis(10));
    }
}

fn a_lock_held_for_a_while_is_waited_out_and_a_deadlock_is_retried(f: Flavour) {
    let (source, targets, files) = lock_workload(f, 2);
    let total = transactions(&files);
    let extra = ["--workers", "1", "--unit-transactions", "1"];

    // A lock wait timeout (1 s on the target): row 2 locked for 2.5 s by
    // another session. The unit is rolled back and retried with backoff;
    // the replay finishes once the lock goes.
    let target = &targets[0];
    let lock = RowLock::hold(target, "SELECT * FROM app.t WHERE id = 2 FOR UPDATE");
    let started = Instant::now();
    let mut child = apply_socket(target, &files, &extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_lock_wait(target, &mut child);
    sleep(Duration::from_millis(2500));
    lock.release();
    let out = wait_at_most(child, Duration::from_secs(60), "the replay after the lock");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(started.elapsed() > Duration::from_millis(2500));
    assert_same_tables(&source, target);
    a_rerun_applies_nothing(apply_socket(target, &files, &[]), total);

    // A deadlock: another session locks row 2, the replay's unit locks row
    // 1 and waits for row 2, then the other session asks for row 1. InnoDB
    // rolls back the smaller transaction: the replay's (the other one has
    // changed 2000 rows first). The replay retries and finishes; the other
    // session rolls back what it did.
    let target = &targets[1];
    let deadlocks = |db: &PrivateMariaDb| -> u64 {
        // MySQL has no Innodb_deadlocks status: its InnoDB metric counts them.
        let sql = if f.is_mysql() {
            "SELECT 'lock_deadlocks', COUNT FROM information_schema.INNODB_METRICS WHERE NAME = 'lock_deadlocks'"
        } else {
            "SHOW GLOBAL STATUS LIKE 'Innodb_deadlocks'"
        };
        let (_, n): (String, u64) = db.conn().query_first(sql).unwrap().unwrap();
        n
    };
    let deadlocks_before = deadlocks(target);
    let mut other = target.conn();
    other.query_drop("START TRANSACTION").unwrap();
    other.query_drop("UPDATE app.filler SET n = n + 1").unwrap();
    other
        .query_drop("SELECT * FROM app.t WHERE id = 2 FOR UPDATE")
        .unwrap();
    let mut child = apply_socket(target, &files, &extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_lock_wait(target, &mut child);
    // Row 1 is the replay's now: this closes the cycle.
    let t = Instant::now();
    other
        .query_drop("SELECT * FROM app.t WHERE id = 1 FOR UPDATE")
        .expect("InnoDB picks the replay's smaller transaction as the victim");
    eprintln!("the other session waited {:?} for row 1", t.elapsed());
    other.query_drop("ROLLBACK").unwrap();
    let out = wait_at_most(
        child,
        Duration::from_secs(60),
        "the replay after the deadlock",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(deadlocks(target), deadlocks_before + 1, "one deadlock");
    assert_same_tables(&source, target);
    a_rerun_applies_nothing(apply_socket(target, &files, &[]), total);
}

fn a_lock_never_released_stops_cleanly_saying_it_was_retried(f: Flavour) {
    let (source, targets, files) = lock_workload(f, 1);
    let target = &targets[0];
    let total = transactions(&files);
    // Row 2 stays locked: every attempt times out after 1 s.
    let lock = RowLock::hold(target, "SELECT * FROM app.t WHERE id = 2 FOR UPDATE");
    let started = Instant::now();
    let out = apply_socket(target, &files, &["--workers", "2"])
        .output()
        .unwrap();
    let err = stderr(&out);
    eprintln!("{err}");
    assert_eq!(out.status.code(), Some(9), "{err}");
    assert!(
        started.elapsed() > Duration::from_secs(5),
        "five attempts of 1 s each, with backoff between them"
    );
    assert!(
        err.contains("binlog.0")
            && names_a_transaction(f, &err)
            && err.contains("ERROR 1205")
            && err.contains("retried")
            && err.contains("INNODB_TRX")
            && err.contains("nothing of it was committed")
            && err.contains("run the same command"),
        "{err}"
    );
    assert_eq!(checkpoint_rows(target), 0, "the first transaction waits");
    lock.release();
    succeeds(apply_socket(target, &files, &["--workers", "2"]));
    assert_same_tables(&source, target);
    a_rerun_applies_nothing(apply_socket(target, &files, &[]), total);
}

/// The control connection (preflight, checkpoint table, schema, the schema
/// read again after a DDL) does not reconnect, unlike the workers'
/// sessions, and neither does a worker's first connection: a cut there
/// stops the replay cleanly (exit 8, or 9 naming the unit), saying to run
/// the same command, which then finishes.
fn cuts_from_the_first_moment_and_across_a_ddl_stop_cleanly_and_a_rerun_finishes(f: Flavour) {
    let seed = seed("proxy-startup");
    let mut rng = Rng(seed);
    let then = format!("{LEDGER_DDL} UPDATE accounts SET balance = balance + 1 WHERE id < 50;");
    let (source, targets, files) = bank_then(f, 300, 2_000, 1, &[], &then);
    let target = &targets[0];
    let total = transactions(&files);
    root_over_tcp(target);
    let proxy = Proxy::start(([127, 0, 0, 1], target.port()).into());
    let port = proxy.port().to_string();
    let mut outcomes = vec![];
    let mut stops = 0;
    let mut finished = false;
    for run in 0..30 {
        let child = Command::new(env!("CARGO_BIN_EXE_myreplay"))
            .args(["apply", "-h", "127.0.0.1", "-P", &port, "-u", "root"])
            .args([
                "--no-defaults",
                "--workers",
                "2",
                "--unit-transactions",
                "1",
            ])
            .args(&files)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Two cuts anywhere from the first moment to past the end of the run.
        let (a, b) = (rng.between(0, 1500), rng.between(0, 1500));
        let delay = a.min(b);
        sleep(Duration::from_millis(delay));
        let mut n = proxy.cut_all();
        sleep(Duration::from_millis(a.max(b) - delay));
        n += proxy.cut_all();
        let delay = format!("{delay} and {} ms", a.max(b));
        let out = wait_at_most(
            child,
            Duration::from_secs(120),
            "the replay behind the proxy",
        );
        let err = stderr(&out);
        outcomes.push(format!(
            "run {run}: cut {n} connections at {delay}: exit {:?} {}",
            out.status.code(),
            err.trim()
        ));
        if out.status.success() {
            finished = true;
            break;
        }
        stops += 1;
        assert!(
            matches!(out.status.code(), Some(8 | 9)) && err.contains("run the same command"),
            "seed {seed}: a clean stop that says what to do:\n{}",
            outcomes.join("\n")
        );
    }
    let outcomes = outcomes.join("\n");
    eprintln!("{outcomes}");
    assert!(finished, "seed {seed}: a run finished:\n{outcomes}");
    eprintln!("{stops} runs stopped by a cut before one finished");
    assert_eq!(checkpoint_rows(target), total, "seed {seed}");
    assert_same_tables(&source, target);
    a_rerun_applies_nothing(apply_socket(target, &files, &[]), total);
}

/// Every fault, for one flavour.
macro_rules! faults {
    ($module:ident, $flavour:expr) => {
        $crate::flavour_tests!(
            $module,
            $flavour,
            [
                killed_with_sigkill_at_20_random_moments_and_run_again_it_ends_equal_to_the_source,
                the_target_server_killed_mid_run_and_started_again_the_replay_finishes_equal,
                connections_cut_by_a_proxy_at_random_moments_the_replay_reconnects_and_ends_equal,
                a_read_only_target_is_refused_before_the_first_write_and_mid_run_stops_cleanly,
                a_full_table_stops_cleanly_and_after_the_fix_the_same_command_finishes,
                a_full_table_with_units_of_several_transactions,
                a_lock_held_for_a_while_is_waited_out_and_a_deadlock_is_retried,
                a_lock_never_released_stops_cleanly_saying_it_was_retried,
                cuts_from_the_first_moment_and_across_a_ddl_stop_cleanly_and_a_rerun_finishes,
            ]
        );
    };
}

faults!(on_mariadb_10_11, Flavour::MariaDb);
faults!(on_mariadb_11_8, Flavour::MariaDb118);
faults!(on_mysql_9_7, Flavour::MySql97);
