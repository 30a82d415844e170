//! The server flavours the tests run on, behind one interface: MariaDB
//! 10.11 from the host, MariaDB 11.8 and MySQL 9.7 from Debian unstable
//! roots (built once per machine by `scripts/lib/sid-root.sh`, which
//! `bash scripts/test.sh` runs first; a missing root is built here).
//!
//! A server in a root runs under `chroot ROOT`, on a directory under
//! `ROOT/srv`; the tests reach its socket and files through ROOT.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// Which server a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Flavour {
    /// MariaDB 10.11, Debian 12's (the host's).
    MariaDb,
    /// MariaDB 11.8 (the current LTS), Debian unstable's.
    MariaDb118,
    /// MySQL 9.7, Debian unstable's.
    MySql97,
}

impl Flavour {
    pub fn name(self) -> &'static str {
        match self {
            Flavour::MariaDb => "MariaDB 10.11",
            Flavour::MariaDb118 => "MariaDB 11.8",
            Flavour::MySql97 => "MySQL 9.7",
        }
    }

    pub fn is_mysql(self) -> bool {
        self == Flavour::MySql97
    }

    /// The unstable root the server runs in; `None` for the host's.
    pub fn root(self) -> Option<&'static Path> {
        static MYSQL: OnceLock<PathBuf> = OnceLock::new();
        static MARIADB: OnceLock<PathBuf> = OnceLock::new();
        let (cell, which) = match self {
            Flavour::MariaDb => return None,
            Flavour::MariaDb118 => (&MARIADB, "mariadb"),
            Flavour::MySql97 => (&MYSQL, "mysql"),
        };
        Some(cell.get_or_init(|| ensure_root(which)).as_path())
    }

    /// The server program.
    pub fn server_program(self) -> &'static str {
        match self {
            Flavour::MySql97 => "mysqld",
            _ => "mariadbd",
        }
    }

    /// A command running `program` of this flavour (under chroot, without
    /// the host's environment, for a root).
    pub fn command(self, program: &str) -> Command {
        match self.root() {
            None => Command::new(super::find_program(program)),
            Some(root) => {
                let mut c = Command::new("chroot");
                c.arg(root)
                    .arg("env")
                    .arg("-i")
                    .arg("PATH=/usr/sbin:/usr/bin:/sbin:/bin")
                    .arg("LANG=C.UTF-8")
                    .arg(program);
                c
            }
        }
    }

    /// `path` (on the host) as the server sees it.
    pub fn inside(self, path: &Path) -> PathBuf {
        match self.root() {
            None => path.to_path_buf(),
            Some(root) => Path::new("/").join(path.strip_prefix(root).unwrap_or_else(|_| {
                panic!(
                    "{} is not inside the root {}",
                    path.display(),
                    root.display()
                )
            })),
        }
    }

    /// Where this flavour's server directories are made.
    pub fn base_dir(self) -> PathBuf {
        match self.root() {
            None => {
                let base = std::env::temp_dir();
                if base.as_os_str().len() > 60 {
                    PathBuf::from("/tmp")
                } else {
                    base
                }
            }
            Some(root) => root.join("srv"),
        }
    }

    /// Creates the system tables in `datadir` (with `tmp` as the tmpdir).
    pub fn install(self, datadir: &Path, tmp: &Path, log: &Path) {
        let (datadir, tmp) = (self.inside(datadir), self.inside(tmp));
        let mut c = match self {
            Flavour::MySql97 => {
                let mut c = self.command("mysqld");
                c.arg("--no-defaults")
                    .arg("--initialize-insecure")
                    .arg("--user=root")
                    .arg(format!("--datadir={}", datadir.display()))
                    .arg(format!("--tmpdir={}", tmp.display()));
                c
            }
            _ => {
                let mut c = self.command("mariadb-install-db");
                c.arg("--no-defaults");
                if super::running_as_root() {
                    c.arg("--user=root");
                }
                c.arg(format!("--datadir={}", datadir.display()))
                    .arg("--auth-root-authentication-method=normal")
                    .arg("--skip-test-db")
                    // Its own tmpdir: bootstraps running at the same time in a
                    // shared /tmp collide on temporary table names (ERROR 1051
                    // on mysql.tmp_user_sys).
                    .arg(format!("--tmpdir={}", tmp.display()));
                c
            }
        };
        let out = c
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot install a {} datadir: {e}", self.name()));
        let _ = std::fs::write(log, [&out.stdout[..], &out.stderr[..]].concat());
        if !out.status.success() {
            panic!(
                "installing a {} datadir failed ({}):\n{}{}",
                self.name(),
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }

    /// The server options every private server of this flavour gets,
    /// before the test's own (which win).
    pub fn default_options(self) -> Vec<String> {
        let mut o: Vec<String> = vec![
            "--bind-address=127.0.0.1".into(),
            "--skip-name-resolve".into(),
            "--log-bin=binlog".into(),
            "--server-id=1".into(),
            "--character-set-server=utf8mb4".into(),
        ];
        match self {
            Flavour::MySql97 => {
                // No X protocol port to collide on; LOAD DATA / SELECT ...
                // INTO OUTFILE not restricted to a directory that is not there.
                o.push("--mysqlx=OFF".into());
                o.push("--secure-file-priv=".into());
            }
            _ => {
                o.push("--binlog-format=ROW".into());
                o.push("--collation-server=utf8mb4_general_ci".into());
            }
        }
        o
    }
}

/// Builds (or finds) the root with `scripts/lib/sid-root.sh`.
fn ensure_root(which: &str) -> PathBuf {
    let scripts = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/lib");
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "set -euo pipefail; source {0}/mariadb.sh; source {0}/sid-root.sh; sid_root_ensure {which}",
            scripts.display()
        ))
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run bash for scripts/lib/sid-root.sh: {e}"));
    if !out.status.success() {
        panic!(
            "the Debian unstable root for {which} could not be built (scripts/lib/sid-root.sh; \
             bash scripts/test.sh builds it first):\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let path = String::from_utf8_lossy(&out.stdout)
        .trim()
        .lines()
        .last()
        .unwrap_or("")
        .to_string();
    PathBuf::from(path)
}

/// One `#[test]` per test function and flavour, in a module named after the
/// flavour: `flavour_tests!(on_mysql_9_7, Flavour::MySql97, [a, b])` makes
/// the tests `on_mysql_9_7::a` and `on_mysql_9_7::b`, calling
/// `a(Flavour::MySql97)` and `b(Flavour::MySql97)` (so `cargo test
/// on_mysql_9_7` runs one flavour's).
#[macro_export]
macro_rules! flavour_tests {
    ($module:ident, $flavour:expr, [$($test:ident),* $(,)?]) => {
        mod $module {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[test]
                fn $test() {
                    super::$test($flavour)
                }
            )*
        }
    };
}
