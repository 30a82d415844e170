//! The real backup tools, run against private servers: `mariadb-backup`
//! (physical: backup, prepare, copy-back), `mariadb-dump` and the `mariadb`
//! client (logical, one .sql file), `mydumper` and `myloader` (logical, one
//! directory).
//!
//! ```ignore
//! use support::backup_tools as tools;
//! let logs = tempfile::tempdir().unwrap();
//! tools::mariadb_backup(&source, &backup_dir, logs.path());
//! tools::mariadb_backup_prepare(&backup_dir, logs.path());
//! tools::mariadb_backup_copy_back(&backup_dir, &fresh_datadir, logs.path());
//! let target = PrivateMariaDb::from_datadir(&fresh_datadir, &["--skip-log-bin"]);
//! ```
//!
//! Every run writes the program's stdout and stderr to `LOGS/NAME.stdout`
//! and `LOGS/NAME.stderr` (NAME: the step, e.g. `mariadb-backup-prepare`)
//! and panics with the tail of its stderr when it fails. A missing tool is a
//! failure, never a skip: `bash scripts/test.sh` installs them.
//!
//! Every tool is run without the host's option files (`--no-defaults`, or an
//! empty `--defaults-file` for mydumper and myloader, which have no
//! `--no-defaults`): Debian's /etc/mysql/my.cnf names the system server's
//! socket and datadir.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use super::PrivateMariaDb;

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

/// Runs `program` with `args` (stdin from `stdin`, else /dev/null), its
/// stdout and stderr captured into `logs/NAME.stdout` and `.stderr`. Panics
/// with its stderr when it cannot be started or exits with a failure.
pub fn run(
    name: &str,
    program: &str,
    args: &[OsString],
    stdin: Option<&Path>,
    logs: &Path,
) -> Output {
    let path = find_tool(program);
    let stdin = match stdin {
        Some(f) => Stdio::from(
            fs::File::open(f).unwrap_or_else(|e| panic!("{name}: opening {}: {e}", f.display())),
        ),
        None => Stdio::null(),
    };
    let out = Command::new(&path)
        .args(args)
        .stdin(stdin)
        .output()
        .unwrap_or_else(|e| panic!("{name}: cannot run {}: {e}", path.display()));
    fs::create_dir_all(logs).unwrap_or_else(|e| panic!("creating {}: {e}", logs.display()));
    let _ = fs::write(logs.join(format!("{name}.stdout")), &out.stdout);
    let _ = fs::write(logs.join(format!("{name}.stderr")), &out.stderr);
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let lines: Vec<&str> = err.lines().collect();
        panic!(
            "{name} failed ({}): {} {}\ntail of its stderr:\n{}\ntail of its stdout:\n{}",
            out.status,
            path.display(),
            args.iter()
                .map(|a| a.to_string_lossy())
                .collect::<Vec<_>>()
                .join(" "),
            lines[lines.len().saturating_sub(40)..].join("\n"),
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

fn opt(name: &str, path: &Path) -> String {
    format!("{name}={}", path.display())
}

/// `mariadb-backup --backup --target-dir=DIR` of `source` (root over its
/// socket). `DIR` must not exist or be empty. The server's datadir comes
/// from the server itself.
pub fn mariadb_backup(source: &PrivateMariaDb, dir: &Path, logs: &Path) -> Output {
    run(
        "mariadb-backup-backup",
        "mariadb-backup",
        &os(&[
            "--no-defaults", // must come first
            "--backup",
            &opt("--target-dir", dir),
            &opt("--socket", &source.socket()),
            "--user=root",
        ]),
        None,
        logs,
    )
}

/// `mariadb-backup --prepare --target-dir=DIR`: applies the redo log copied
/// during the backup, so that DIR is a consistent datadir.
pub fn mariadb_backup_prepare(dir: &Path, logs: &Path) -> Output {
    run(
        "mariadb-backup-prepare",
        "mariadb-backup",
        &os(&["--no-defaults", "--prepare", &opt("--target-dir", dir)]),
        None,
        logs,
    )
}

/// `mariadb-backup --copy-back --target-dir=DIR --datadir=DATADIR`: copies a
/// prepared backup into an empty (or missing) data directory.
pub fn mariadb_backup_copy_back(dir: &Path, datadir: &Path, logs: &Path) -> Output {
    run(
        "mariadb-backup-copy-back",
        "mariadb-backup",
        &os(&[
            "--no-defaults",
            "--copy-back",
            &opt("--target-dir", dir),
            &opt("--datadir", datadir),
        ]),
        None,
        logs,
    )
}

/// `mariadb-dump --master-data=2 --gtid --single-transaction --databases
/// DBS... > FILE` of `source`: the binlog coordinates and the GTID state of
/// the dump's snapshot are written into FILE as comments.
pub fn mariadb_dump(source: &PrivateMariaDb, databases: &[&str], file: &Path, logs: &Path) {
    let mut args = os(&[
        "--no-defaults",
        &opt("--socket", &source.socket()),
        "--user=root",
        "--master-data=2",
        "--gtid",
        "--single-transaction",
        "--routines",
        "--triggers",
        "--databases",
    ]);
    args.extend(databases.iter().map(OsString::from));
    let out = run("mariadb-dump", "mariadb-dump", &args, None, logs);
    fs::write(file, &out.stdout).unwrap_or_else(|e| panic!("writing {}: {e}", file.display()));
}

/// `mariadb < FILE` into `target` (root over its socket).
pub fn mariadb_load(target: &PrivateMariaDb, file: &Path, logs: &Path) -> Output {
    run(
        "mariadb-load",
        "mariadb",
        &os(&[
            "--no-defaults",
            &opt("--socket", &target.socket()),
            "--user=root",
        ]),
        Some(file),
        logs,
    )
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
/// binlog coordinates of the dump's snapshot).
pub fn mydumper(source: &PrivateMariaDb, database: &str, dir: &Path, logs: &Path) -> Output {
    let defaults = empty_defaults_file(logs);
    run(
        "mydumper",
        "mydumper",
        &os(&[
            &opt("--defaults-file", &defaults),
            &opt("--socket", &source.socket()),
            "--user=root",
            &opt("--outputdir", dir),
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
            &opt("--defaults-file", &defaults),
            &opt("--socket", &target.socket()),
            "--user=root",
            &opt("--directory", dir),
            "--threads=2",
            "--overwrite-tables",
            "--verbose=3",
        ]),
        None,
        logs,
    )
}
