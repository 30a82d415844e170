//! Test support: a private, throw-away MariaDB server (PRIMER section 6; the
//! shell version is `scripts/lib/mariadb.sh`).
//!
//! ```ignore
//! mod support;
//! let db = support::PrivateMariaDb::start();
//! let mut conn = db.conn();
//! db.exec("CREATE DATABASE shop");
//! ```
//!
//! Everything the server writes lives in one temporary directory, removed
//! when the [`PrivateMariaDb`] is dropped:
//!
//! ```text
//! DIR/data/        datadir (binlogs are DIR/data/binlog.NNNNNN)
//! DIR/sock         unix socket          DIR/error.log    server error log
//! DIR/tmp/         server tmpdir        DIR/mariadbd.out stdout/stderr
//! ```
//!
//! A missing MariaDB is a failure, never a skip: `bash scripts/test.sh`
//! installs it.

#![allow(dead_code)] // each test binary uses a different part of it

pub mod backup_tools;
pub mod flavour;
pub mod galera;
pub mod proxy;

pub use flavour::Flavour;

use std::fs;
use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread::sleep;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use myreplay_apply::ConnectOptions;
use mysql::prelude::Queryable;
use mysql::Conn;

/// How long the server may take to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a clean shutdown may take before the server is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(120);

/// A MariaDB server of its own, listening on a unix socket and on a free
/// TCP port of 127.0.0.1, with ROW binlogs (`binlog.NNNNNN`) and
/// utf8mb4 as the server character set. Root has no password.
pub struct PrivateMariaDb {
    flavour: Flavour,
    dir: PathBuf,
    port: u16,
    child: Option<Child>,
    /// The extra mariadbd options it was started with (kept for restarts).
    extra: Vec<String>,
}

impl PrivateMariaDb {
    /// Starts a server with the default options (see the type).
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// Starts a server; `extra` options go to mariadbd after the defaults
    /// (so they win), e.g. `["--binlog-row-image=MINIMAL"]`.
    pub fn start_with(extra: &[&str]) -> Self {
        Self::start_flavour(Flavour::MariaDb, extra)
    }

    /// Starts a server of `flavour`; `extra` options go to the server after
    /// the defaults (so they win).
    pub fn start_flavour(flavour: Flavour, extra: &[&str]) -> Self {
        if flavour == Flavour::MariaDb {
            find_program("mariadbd"); // fail early, with the install hint, when MariaDB is missing
        }
        let mut db = Self::unstarted(flavour, extra);
        flavour.install(
            &db.datadir(),
            &db.dir.join("tmp"),
            &db.dir.join("install-db.log"),
        );
        db.launch();
        db
    }

    /// A server with a directory (and tmpdir) of its own, not started.
    fn unstarted(flavour: Flavour, extra: &[&str]) -> Self {
        let dir = make_temp_dir(flavour);
        fs::create_dir_all(dir.join("tmp")).expect("creating the server's tmpdir");
        PrivateMariaDb {
            flavour,
            dir,
            port: 0,
            child: None,
            extra: extra.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// Which server this is.
    pub fn flavour(&self) -> Flavour {
        self.flavour
    }

    /// Starts the server on this directory's datadir (installed already).
    fn launch(&mut self) {
        let f = self.flavour;
        let program = f.server_program();
        let user_opt: Vec<&str> = if running_as_root() {
            vec!["--user=root"]
        } else {
            vec![]
        };
        let inside = |p: PathBuf| f.inside(&p).display().to_string();
        // A free port can be taken by someone else before the server binds
        // it: try a few.
        for attempt in 1..=3 {
            self.port = free_port();
            let _ = fs::write(self.error_log(), b"");
            let out = fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(self.dir.join("mariadbd.out"))
                .expect("creating mariadbd.out");
            let child = f
                .command(program)
                .arg("--no-defaults")
                .args(&user_opt)
                .arg(format!("--datadir={}", inside(self.datadir())))
                .arg(format!("--socket={}", inside(self.socket())))
                .arg(format!(
                    "--pid-file={}",
                    inside(self.dir.join("mariadbd.pid"))
                ))
                .arg(format!("--tmpdir={}", inside(self.dir.join("tmp"))))
                .arg(format!("--log-error={}", inside(self.error_log())))
                .arg(format!("--port={}", self.port))
                .args(f.default_options())
                .args(&self.extra)
                .stdin(Stdio::null())
                .stdout(out.try_clone().expect("dup mariadbd.out"))
                .stderr(out)
                .spawn()
                .unwrap_or_else(|e| panic!("cannot run {program} ({}): {e}", f.name()));
            self.child = Some(child);
            match self.wait_until_up() {
                Ok(()) => return,
                Err(exited) => {
                    self.child = None;
                    let log = self.error_log_tail(200);
                    let port_taken = log.contains("Address already in use")
                        || log.contains("Do you already have another server running on port");
                    if port_taken && attempt < 3 {
                        continue;
                    }
                    panic!(
                        "{} ({}) in {} exited ({exited}) before accepting connections; \
                         tail of its error log:\n{}",
                        program,
                        f.name(),
                        self.dir.display(),
                        self.error_log_tail(40)
                    );
                }
            }
        }
        unreachable!("the loop returns or panics")
    }

    /// Stops this server, copies its data directory into a new server of
    /// its own (an exact physical snapshot, PRIMER section 6), and starts
    /// both. `extra` are the new server's extra options (e.g.
    /// `--skip-log-bin` for a replay target).
    pub fn snapshot(&mut self, extra: &[&str]) -> PrivateMariaDb {
        self.stop();
        let copy = PrivateMariaDb::from_datadir_as(self.flavour, &self.datadir(), extra);
        self.launch();
        copy
    }

    /// Kills the server with SIGKILL (no shutdown: InnoDB recovers at the
    /// next start) and waits for it to be gone; [`PrivateMariaDb::start_again`]
    /// brings it back on the same data directory.
    pub fn crash(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again after [`PrivateMariaDb::crash`].
    pub fn start_again(&mut self) {
        self.launch();
    }

    /// Stops and starts the server again on the same data directory.
    pub fn restart(&mut self) {
        self.stop();
        self.launch();
    }

    /// Waits until `SELECT 1` works. Err(exit status) when mariadbd exits
    /// first; panics (after stopping it) when it is still not up after
    /// [`START_TIMEOUT`].
    fn wait_until_up(&mut self) -> Result<(), String> {
        let started = Instant::now();
        let mut last_error = String::from("no connection attempted");
        loop {
            let child = self.child.as_mut().expect("a server was started");
            if let Some(status) = child.try_wait().expect("waiting for mariadbd") {
                return Err(status.to_string());
            }
            if self.socket().exists() {
                match self.options().conn() {
                    Ok(mut conn) => match conn.query_drop("SELECT 1") {
                        Ok(()) => return Ok(()),
                        Err(e) => last_error = e.to_string(),
                    },
                    Err(e) => last_error = e.to_string(),
                }
            }
            if started.elapsed() > START_TIMEOUT {
                self.stop();
                panic!(
                    "mariadbd in {} did not accept connections within {} s (last error: {last_error}); \
                     tail of its error log:\n{}",
                    self.dir.display(),
                    START_TIMEOUT.as_secs(),
                    self.error_log_tail(40)
                );
            }
            sleep(Duration::from_millis(100));
        }
    }

    /// Connection options for root over the unix socket.
    pub fn options(&self) -> ConnectOptions {
        ConnectOptions::socket(self.socket(), "root")
    }

    /// Connection options for root over TCP (127.0.0.1).
    pub fn tcp_options(&self) -> ConnectOptions {
        ConnectOptions {
            host: Some("127.0.0.1".into()),
            port: Some(self.port),
            user: Some("root".into()),
            ..ConnectOptions::default()
        }
    }

    /// A new root connection over the socket.
    pub fn conn(&self) -> Conn {
        self.options()
            .conn()
            .unwrap_or_else(|e| panic!("connecting to the private MariaDB: {e}"))
    }

    /// Runs SQL (several `;`-separated statements are fine) as root; panics
    /// with the server's error.
    pub fn exec(&self, sql: &str) {
        let mut conn = self.conn();
        let fail = |e: mysql::Error| -> ! { panic!("{e}\nin SQL:\n{sql}") };
        // Every result set must be read: a connection closed before the
        // last one makes the server abandon the statements after it.
        let mut result = conn.query_iter(sql).unwrap_or_else(|e| fail(e));
        while let Some(set) = result.iter() {
            for row in set {
                row.unwrap_or_else(|e| fail(e));
            }
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn datadir(&self) -> PathBuf {
        self.dir.join("data")
    }

    pub fn socket(&self) -> PathBuf {
        self.dir.join("sock")
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn error_log(&self) -> PathBuf {
        self.dir.join("error.log")
    }

    /// The current binlog coordinates and GTID state, as a backup records
    /// them: file (its path), position, and `gtid_binlog_pos` (MariaDB) or
    /// `gtid_executed` (MySQL).
    pub fn binlog_status(&self) -> (PathBuf, u64, String) {
        let mut conn = self.conn();
        let (file, pos, gtid) = if self.flavour.is_mysql() {
            let r: (String, u64, String, String, String) = conn
                .query_first("SHOW BINARY LOG STATUS")
                .expect("SHOW BINARY LOG STATUS")
                .expect("the binlog is on");
            (r.0, r.1, r.4)
        } else {
            let r: (String, u64, String, String) = conn
                .query_first("SHOW MASTER STATUS")
                .expect("SHOW MASTER STATUS")
                .expect("the binlog is on");
            let gtid: String = conn
                .query_first("SELECT @@gtid_binlog_pos")
                .expect("gtid_binlog_pos")
                .expect("a row");
            (r.0, r.1, gtid)
        };
        (self.datadir().join(file), pos, gtid.replace('\n', ""))
    }

    /// The binlog files, in order (from `binlog.index`).
    pub fn binlogs(&self) -> Vec<PathBuf> {
        let index = self.datadir().join("binlog.index");
        let Ok(text) = fs::read_to_string(index) else {
            return vec![];
        };
        text.lines()
            .filter(|l| !l.is_empty())
            .map(|l| {
                let p = Path::new(l.strip_prefix("./").unwrap_or(l));
                if p.is_absolute() {
                    p.to_path_buf()
                } else {
                    self.datadir().join(p)
                }
            })
            .collect()
    }

    /// The binlog files written since the server had `before` files (its
    /// `binlogs().len()` then), up to the one before the newest: the files a
    /// replay takes after a `FLUSH BINARY LOGS`.
    pub fn binlogs_since(&self, before: usize) -> Vec<PathBuf> {
        let logs = self.binlogs();
        logs[before - 1..logs.len() - 1].to_vec()
    }

    /// The last `lines` lines of the error log.
    pub fn error_log_tail(&self, lines: usize) -> String {
        let mut text = String::new();
        if let Ok(mut f) = fs::File::open(self.error_log()) {
            let _ = f.read_to_string(&mut text);
        }
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// Shuts the server down cleanly (SHUTDOWN, else SIGTERM) and waits for
    /// it to exit; SIGKILL after [`STOP_TIMEOUT`]. Idempotent.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        if child.try_wait().ok().flatten().is_some() {
            return;
        }
        let asked = self
            .options()
            .conn()
            .ok()
            .and_then(|mut c| c.query_drop("SHUTDOWN").ok())
            .is_some();
        if !asked {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
        }
        let started = Instant::now();
        while started.elapsed() < STOP_TIMEOUT {
            if child.try_wait().ok().flatten().is_some() {
                return;
            }
            sleep(Duration::from_millis(50));
        }
        eprintln!(
            "mariadbd in {} still running after {} s; killing it",
            self.dir.display(),
            STOP_TIMEOUT.as_secs()
        );
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for PrivateMariaDb {
    fn drop(&mut self) {
        self.stop();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// The path of a program in PATH or in the sbin directories (mariadbd is
/// in /usr/sbin, which is not in every user's PATH).
pub fn locate(name: &str) -> Option<PathBuf> {
    let path_dirs = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
    let sbin = ["/usr/sbin", "/usr/local/sbin", "/sbin"].map(PathBuf::from);
    path_dirs
        .into_iter()
        .chain(sbin)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// The path of a MariaDB program. Panics, naming the script that installs
/// MariaDB, when it is missing.
fn find_program(name: &str) -> PathBuf {
    locate(name).unwrap_or_else(|| {
        panic!(
            "{name} not found (in PATH or /usr/sbin): these tests need MariaDB (10.6 or later). \
             Run them with `bash scripts/test.sh`, which installs it (apt-get install \
             mariadb-server mariadb-client), or install those packages yourself"
        )
    })
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// A TCP port on 127.0.0.1 that nobody listens on right now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("finding a free TCP port on 127.0.0.1")
}

/// A new, empty directory with a short path (a unix socket path must fit in
/// 107 bytes).
fn make_temp_dir(flavour: Flavour) -> PathBuf {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let base = flavour.base_dir();
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    for _ in 0..100 {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = base.join(format!("myreplay-db-{}-{n}-{nanos:x}", std::process::id()));
        match fs::create_dir(&dir) {
            Ok(()) => return dir,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => panic!("creating {}: {e}", dir.display()),
        }
    }
    panic!("cannot create a temporary directory in {}", base.display())
}

/// Copies a directory tree (files and subdirectories).
fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap_or_else(|e| panic!("creating {}: {e}", to.display()));
    for entry in fs::read_dir(from).unwrap_or_else(|e| panic!("reading {}: {e}", from.display())) {
        let entry = entry.expect("directory entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target)
                .unwrap_or_else(|e| panic!("copying {}: {e}", entry.path().display()));
        }
    }
}

/// Every table of the non-system databases (other than `skip`), with its
/// row count, CHECKSUM TABLE and SHOW CREATE TABLE.
pub fn table_states(db: &PrivateMariaDb, skip: &[&str]) -> Vec<(String, u64, Option<u64>, String)> {
    let mut conn = db.conn();
    let tables: Vec<(String, String)> = conn
        .query(
            "SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES \
             WHERE TABLE_TYPE = 'BASE TABLE' AND TABLE_SCHEMA NOT IN \
             ('mysql', 'information_schema', 'performance_schema', 'sys') \
             ORDER BY TABLE_SCHEMA, TABLE_NAME",
        )
        .expect("listing tables");
    let mut out = vec![];
    for (schema, table) in tables {
        if skip.contains(&schema.as_str()) {
            continue;
        }
        let name = format!(
            "`{}`.`{}`",
            schema.replace('`', "``"),
            table.replace('`', "``")
        );
        let count: u64 = conn
            .query_first(format!("SELECT COUNT(*) FROM {name}"))
            .expect("count")
            .expect("a row");
        let (_, checksum): (String, Option<u64>) = conn
            .query_first(format!("CHECKSUM TABLE {name}"))
            .expect("checksum")
            .expect("a row");
        let (_, create): (String, String) = conn
            .query_first(format!("SHOW CREATE TABLE {name}"))
            .expect("show create")
            .expect("a row");
        // AUTO_INCREMENT counters may legitimately differ: compare the rest.
        let create = create
            .split(' ')
            .filter(|w| !w.starts_with("AUTO_INCREMENT="))
            .collect::<Vec<_>>()
            .join(" ");
        out.push((name, count, checksum, create));
    }
    out
}

/// Asserts that every table of `target` equals `source`'s (the oracle).
pub fn assert_same_tables(source: &PrivateMariaDb, target: &PrivateMariaDb) {
    let expected = table_states(source, &["myreplay"]);
    let got = table_states(target, &["myreplay"]);
    let names = |v: &[(String, u64, Option<u64>, String)]| {
        v.iter().map(|t| t.0.clone()).collect::<Vec<_>>()
    };
    assert_eq!(names(&got), names(&expected), "the same tables");
    for (e, g) in expected.iter().zip(&got) {
        assert_eq!(g, e, "table {} differs from the source", e.0);
    }
}

impl PrivateMariaDb {
    /// Starts a server on a copy of an existing data directory (a backup
    /// restored with `mariadb-backup --copy-back`, another server's datadir
    /// copied while it was stopped...): `datadir` is copied to this server's
    /// `DIR/data` and left as it was. `extra` as for
    /// [`PrivateMariaDb::start_with`] (e.g. `--skip-log-bin` for a replay
    /// target).
    pub fn from_datadir(datadir: &Path, extra: &[&str]) -> Self {
        Self::from_datadir_as(Flavour::MariaDb, datadir, extra)
    }

    /// [`PrivateMariaDb::from_datadir`] for a server of `flavour`. A MySQL
    /// copy gets a server UUID of its own (auto.cnf is not copied), as a
    /// restored backup does.
    pub fn from_datadir_as(flavour: Flavour, datadir: &Path, extra: &[&str]) -> Self {
        if flavour == Flavour::MariaDb {
            find_program("mariadbd");
        }
        assert!(
            datadir.join("mysql").is_dir(),
            "{} does not look like a server's data directory (no mysql/)",
            datadir.display()
        );
        let mut db = Self::unstarted(flavour, extra);
        copy_dir(datadir, &db.datadir());
        let _ = fs::remove_file(db.datadir().join("auto.cnf"));
        db.launch();
        db
    }
}
