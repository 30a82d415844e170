//! The real backup tools, run against private servers: `mariadb-backup`
//! (physical: backup, prepare, copy-back), `mariadb-dump` / `mysqldump`
//! and the `mariadb` / `mysql` client (logical, one .sql file), `mydumper`
//! and `myloader` (logical, one directory).
//!
//! ```ignore
//! use support::backup_tools as tools;
//! let logs = tempfile::tempdir().unwrap();
//! let f = source.flavour();
//! tools::mariadb_backup(&source, &backup_dir, logs.path());
//! tools::mariadb_backup_prepare(f, &backup_dir, logs.path());
//! tools::mariadb_backup_copy_back(f, &backup_dir, &fresh_datadir, logs.path());
//! let target = PrivateMariaDb::from_datadir_as(f, &fresh_datadir, &["--skip-log-bin"]);
//! ```
//!
//! The server's own tools are the flavour's: the host's for MariaDB 10.11,
//! the root's (run under chroot, [`Flavour::command`]) for MariaDB 11.8 and
//! MySQL 9.7, so every path given to them (backup directories, datadirs,
//! sockets) must be inside the root (under [`Flavour::base_dir`]); they get
//! it as the tool sees it ([`Flavour::inside`]). A file read from stdin or
//! written from stdout (a dump) may be anywhere. mydumper and myloader are
//! the host's (Debian 12's 0.10) whatever the server.
//!
//! Every run writes the program's stdout and stderr to `LOGS/NAME.stdout`
//! and `LOGS/NAME.stderr` (NAME: the step, e.g. `mariadb-backup-prepare`)
//! and panics with the tail of its stderr when it fails. A missing tool is a
//! failure, never a skip: `bash scripts/test.sh` installs them (and builds
//! the roots).
//!
//! Every tool is run without the host's option files (`--no-defaults`, or an
//! empty `--defaults-file` for mydumper and myloader, which have no
//! `--no-defaults`): Debian's /etc/mysql/my.cnf names the system server's
//! socket and datadir.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use super::{Flavour, PrivateMariaDb};

/// The path of a backup tool (in PATH, or in the sbin directories). Panics
/// with the install hint when it is missing.
pub fn find_tool(name: &str) -> PathBuf {
    super::locate(name).unwrap_or_else(|| {
        panic!(
            "{name} not found (in PATH or /usr/sbin): these tests take real backups with \
             mariadb-backup, mariadb-dump and mydumper/myloader. Run bash scripts/test.sh, \
             which installs mariadb-backup and mydumper (apt-get install mariadb-backup \
             mydumper), or install those packages yourself"
        )
    })
}

/// A command running `program` of `flavour`: the host's (found with
/// [`find_tool`]) for MariaDB 10.11, the root's, under chroot, otherwise.
pub fn tool(flavour: Flavour, program: &str) -> Command {
    match flavour.root() {
        None => Command::new(find_tool(program)),
        Some(_) => flavour.command(program),
    }
}

/// Runs the host's `program` with `args` (stdin from `stdin`, else
/// /dev/null), its stdout and stderr captured into `logs/NAME.stdout` and
/// `.stderr`. Panics with its stderr when it cannot be started or exits
/// with a failure.
pub fn run(
    name: &str,
    program: &str,
    args: &[OsString],
    stdin: Option<&Path>,
    logs: &Path,
) -> Output {
    run_command(name, Command::new(find_tool(program)), args, stdin, logs)
}

/// [`run`] for a prepared command (e.g. [`tool`]'s): `args` are added to it.
pub fn run_command(
    name: &str,
    mut command: Command,
    args: &[OsString],
    stdin: Option<&Path>,
    logs: &Path,
) -> Output {
    let stdin = match stdin {
        Some(f) => Stdio::from(
            fs::File::open(f).unwrap_or_else(|e| panic!("{name}: opening {}: {e}", f.display())),
        ),
        None => Stdio::null(),
    };
    command.args(args).stdin(stdin);
    let shown = format!(
        "{} {}",
        command.get_program().to_string_lossy(),
        command
            .get_args()
            .map(|a| a.to_string_lossy())
            .collect::<Vec<_>>()
            .join(" ")
    );
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("{name}: cannot run {shown}: {e}"));
    fs::create_dir_all(logs).unwrap_or_else(|e| panic!("creating {}: {e}", logs.display()));
    let _ = fs::write(logs.join(format!("{name}.stdout")), &out.stdout);
    let _ = fs::write(logs.join(format!("{name}.stderr")), &out.stderr);
    if !out.status.success() {
        panic!(
            "{name} failed ({}): {shown}\ntail of its stderr:\n{}\ntail of its stdout:\n{}",
            out.status,
            tail(&String::from_utf8_lossy(&out.stderr), 40),
            tail(&String::from_utf8_lossy(&out.stdout), 20)
        );
    }
    out
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

fn os(parts: &[&str]) -> Vec<OsString> {
    parts.iter().map(OsString::from).collect()
}

/// `--name=PATH`, PATH as a tool of `flavour` sees it.
fn opt(flavour: Flavour, name: &str, path: &Path) -> String {
    format!("{name}={}", flavour.inside(path).display())
}

fn assert_mariadb(flavour: Flavour, what: &str) {
    assert!(
        !flavour.is_mysql(),
        "{what} is MariaDB's tool; {} has none",
        flavour.name()
    );
}

/// `mariadb-backup --backup --target-dir=DIR` of `source` (root over its
/// socket), with the source's flavour's mariadb-backup. `DIR` must not
/// exist or be empty (and be inside the root for a root flavour). The
/// server's datadir comes from the server itself.
pub fn mariadb_backup(source: &PrivateMariaDb, dir: &Path, logs: &Path) -> Output {
    let f = source.flavour();
    assert_mariadb(f, "mariadb-backup");
    run_command(
        "mariadb-backup-backup",
        tool(f, "mariadb-backup"),
        &os(&[
            "--no-defaults", // must come first
            "--backup",
            &opt(f, "--target-dir", dir),
            &opt(f, "--socket", &source.socket()),
            "--user=root",
        ]),
        None,
        logs,
    )
}

/// `mariadb-backup --prepare --target-dir=DIR` (of `flavour`): applies the
/// redo log copied during the backup, so that DIR is a consistent datadir.
pub fn mariadb_backup_prepare(flavour: Flavour, dir: &Path, logs: &Path) -> Output {
    assert_mariadb(flavour, "mariadb-backup");
    run_command(
        "mariadb-backup-prepare",
        tool(flavour, "mariadb-backup"),
        &os(&[
            "--no-defaults",
            "--prepare",
            &opt(flavour, "--target-dir", dir),
        ]),
        None,
        logs,
    )
}

/// `mariadb-backup --copy-back --target-dir=DIR --datadir=DATADIR` (of
/// `flavour`): copies a prepared backup into an empty (or missing) data
/// directory.
pub fn mariadb_backup_copy_back(
    flavour: Flavour,
    dir: &Path,
    datadir: &Path,
    logs: &Path,
) -> Output {
    assert_mariadb(flavour, "mariadb-backup");
    run_command(
        "mariadb-backup-copy-back",
        tool(flavour, "mariadb-backup"),
        &os(&[
            "--no-defaults",
            "--copy-back",
            &opt(flavour, "--target-dir", dir),
            &opt(flavour, "--datadir", datadir),
        ]),
        None,
        logs,
    )
}

/// `mariadb-dump --master-data=2 --gtid --single-transaction --databases
/// DBS... > FILE` of `source` (its flavour's mariadb-dump): the binlog
/// coordinates and the GTID state of the dump's snapshot are written into
/// FILE as comments.
pub fn mariadb_dump(source: &PrivateMariaDb, databases: &[&str], file: &Path, logs: &Path) {
    let f = source.flavour();
    assert_mariadb(f, "mariadb-dump");
    let mut args = os(&[
        "--no-defaults",
        &opt(f, "--socket", &source.socket()),
        "--user=root",
        "--master-data=2",
        "--gtid",
        "--single-transaction",
        "--routines",
        "--triggers",
        "--databases",
    ]);
    args.extend(databases.iter().map(OsString::from));
    let out = run_command("mariadb-dump", tool(f, "mariadb-dump"), &args, None, logs);
    fs::write(file, &out.stdout).unwrap_or_else(|e| panic!("writing {}: {e}", file.display()));
}

/// `mysqldump --source-data=2 --single-transaction --set-gtid-purged=ON
/// --databases DBS... > FILE` of a MySQL `source` (its own mysqldump): the
/// binlog coordinates as a commented `CHANGE REPLICATION SOURCE TO`, and
/// the snapshot's GTID set as `SET @@GLOBAL.GTID_PURGED='+...'`, which
/// loading the dump into a fresh server makes that server's
/// `gtid_executed`. `ON` rather than the default `AUTO` (which does the
/// same when the server has GTIDs): a source without GTIDs is an error,
/// not a dump without them. The dump also turns `sql_log_bin` off while it
/// loads.
pub fn mysqldump(source: &PrivateMariaDb, databases: &[&str], file: &Path, logs: &Path) {
    let f = source.flavour();
    assert!(f.is_mysql(), "mysqldump is run against MySQL here");
    let mut args = os(&[
        "--no-defaults",
        &opt(f, "--socket", &source.socket()),
        "--user=root",
        "--source-data=2",
        "--single-transaction",
        "--set-gtid-purged=ON",
        "--routines",
        "--triggers",
        "--databases",
    ]);
    args.extend(databases.iter().map(OsString::from));
    let out = run_command("mysqldump", tool(f, "mysqldump"), &args, None, logs);
    fs::write(file, &out.stdout).unwrap_or_else(|e| panic!("writing {}: {e}", file.display()));
}

/// The dump of `source` by its flavour's dump tool: [`mariadb_dump`] on
/// MariaDB, [`mysqldump`] on MySQL.
pub fn dump(source: &PrivateMariaDb, databases: &[&str], file: &Path, logs: &Path) {
    if source.flavour().is_mysql() {
        mysqldump(source, databases, file, logs)
    } else {
        mariadb_dump(source, databases, file, logs)
    }
}

/// `mariadb < FILE` (MariaDB) or `mysql < FILE` (MySQL) into `target`
/// (root over its socket), with the target's flavour's client.
pub fn client_load(target: &PrivateMariaDb, file: &Path, logs: &Path) -> Output {
    let f = target.flavour();
    let client = if f.is_mysql() { "mysql" } else { "mariadb" };
    run_command(
        &format!("{client}-load"),
        tool(f, client),
        &os(&[
            "--no-defaults",
            &opt(f, "--socket", &target.socket()),
            "--user=root",
        ]),
        Some(file),
        logs,
    )
}

/// `mariadb < FILE` into a MariaDB `target`: [`client_load`].
pub fn mariadb_load(target: &PrivateMariaDb, file: &Path, logs: &Path) -> Output {
    assert_mariadb(target.flavour(), "the mariadb client");
    client_load(target, file, logs)
}

/// An empty option file for mydumper and myloader (which have no
/// `--no-defaults`), in `logs`.
fn empty_defaults_file(logs: &Path) -> PathBuf {
    fs::create_dir_all(logs).unwrap_or_else(|e| panic!("creating {}: {e}", logs.display()));
    let f = logs.join("empty.cnf");
    fs::write(&f, "").unwrap_or_else(|e| panic!("writing {}: {e}", f.display()));
    f
}

/// `mydumper -o DIR -B DB` of `source` (root over its socket), 2 threads:
/// DIR gets one schema and one data file per table, and `metadata` (the
/// binlog coordinates of the dump's snapshot). The host's mydumper, on the
/// host's paths, whatever the server.
pub fn mydumper(source: &PrivateMariaDb, database: &str, dir: &Path, logs: &Path) -> Output {
    let defaults = empty_defaults_file(logs);
    run(
        "mydumper",
        "mydumper",
        &os(&[
            &format!("--defaults-file={}", defaults.display()),
            &format!("--socket={}", source.socket().display()),
            "--user=root",
            &format!("--outputdir={}", dir.display()),
            "--database",
            database,
            "--threads=2",
            "--triggers",
            "--routines",
            "--verbose=3",
        ]),
        None,
        logs,
    )
}

/// `myloader -d DIR` into `target` (root over its socket), 2 threads,
/// `--overwrite-tables`; without `--enable-binlog` the load is not binlogged.
pub fn myloader(target: &PrivateMariaDb, dir: &Path, logs: &Path) -> Output {
    let defaults = empty_defaults_file(logs);
    run(
        "myloader",
        "myloader",
        &os(&[
            &format!("--defaults-file={}", defaults.display()),
            &format!("--socket={}", target.socket().display()),
            "--user=root",
            &format!("--directory={}", dir.display()),
            "--threads=2",
            "--overwrite-tables",
            "--verbose=3",
        ]),
        None,
        logs,
    )
}
