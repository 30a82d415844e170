//! Where `myreplay` takes its connection options from, as the mysql client
//! does: the command line, then the option file (`--defaults-file`, else
//! `~/.my.cnf`), then `MYSQL_PWD` for the password. Run against a private
//! MariaDB with `myreplay plan`, which reads the target's schema when it
//! connects ("key source: Offline" otherwise). Every run has a `HOME` of its
//! own, so the developer's `~/.my.cnf` plays no part.

#[path = "../../apply/tests/support/mod.rs"]
mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use support::PrivateMariaDb;

fn fixture() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/mariadb/binlog.000001");
    assert!(p.is_file(), "{} missing", p.display());
    p
}

struct Env {
    home: PathBuf,
}

impl Env {
    fn new(tag: &str) -> Self {
        let home = std::env::temp_dir().join(format!("myreplay-home-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&home);
        fs::create_dir_all(&home).unwrap();
        Env { home }
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.home.join(name);
        fs::write(&path, text).unwrap();
        path
    }

    /// `myreplay plan ARGS FIXTURE` with this HOME and `MYSQL_PWD` (or none).
    fn plan(&self, args: &[&str], mysql_pwd: Option<&str>) -> Output {
        let mut c = Command::new(env!("CARGO_BIN_EXE_myreplay"));
        c.arg("plan")
            .args(args)
            .arg(fixture())
            .env("HOME", &self.home)
            .env_remove("MYSQL_PWD")
            .env_remove("MYSQL_UNIX_PORT");
        if let Some(pw) = mysql_pwd {
            c.env("MYSQL_PWD", pw);
        }
        c.output().expect("run myreplay")
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.home);
    }
}

fn text(o: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Connected and read the schema.
fn assert_connected(o: &Output) {
    let t = text(o);
    assert!(o.status.success(), "{t}");
    assert!(!t.contains("key source:        Offline"), "{t}");
}

/// Refused by the server (exit 8), the password nowhere in the output.
fn assert_denied(o: &Output, passwords: &[&str]) {
    let t = text(o);
    assert_eq!(o.status.code(), Some(8), "{t}");
    assert!(t.contains("Access denied for user 'app'"), "{t}");
    for pw in passwords {
        assert!(!t.contains(pw), "password {pw:?} shown:\n{t}");
    }
}

#[test]
fn command_line_over_option_file_over_mysql_pwd() {
    let db = PrivateMariaDb::start();
    db.exec(
        "CREATE USER app@'%' IDENTIFIED BY 'right-pw'; GRANT SELECT ON *.* TO app@'%'; \
         CREATE DATABASE shop; CREATE TABLE shop.t (id INT PRIMARY KEY)",
    );
    let env = Env::new("prec");
    let port = db.port().to_string();
    let server = format!("[client]\nhost=127.0.0.1\nport={port}\n");
    let good = env.write(
        "good.cnf",
        &format!("{server}[myreplay]\nuser=app\npassword=right-pw\n"),
    );
    let good = good.to_str().unwrap();
    let bad = env.write(
        "bad.cnf",
        &format!("{server}user=app\npassword='wrong-file-pw'\n"),
    );
    let bad = bad.to_str().unwrap();
    let no_pw = env.write("nopw.cnf", &format!("{server}user=app\n"));
    let no_pw = no_pw.to_str().unwrap();
    let defaults = |f: &str| format!("--defaults-file={f}");

    // Host, port, user and password from --defaults-file alone.
    assert_connected(&env.plan(&[&defaults(good)], None));
    // The command line wins over the file: the user...
    let nobody = env.write(
        "nobody.cnf",
        &format!("{server}user=nobody\npassword=right-pw\n"),
    );
    assert_connected(&env.plan(&["-u", "app", &defaults(nobody.to_str().unwrap())], None));
    // ...and the password (-pPASSWORD, with its warning).
    let o = env.plan(&["-pright-pw", &defaults(bad)], None);
    assert_connected(&o);
    assert!(text(&o).contains("password on the command line can be insecure"));
    // The file's password wins over MYSQL_PWD, as in the client.
    assert_connected(&env.plan(&[&defaults(good)], Some("wrong-env-pw")));
    assert_denied(
        &env.plan(&[&defaults(bad)], Some("right-pw")),
        &["wrong-file-pw", "right-pw"],
    );
    // MYSQL_PWD when neither gives a password.
    assert_connected(&env.plan(&[&defaults(no_pw)], Some("right-pw")));
    assert_denied(&env.plan(&[&defaults(no_pw)], None), &[]);
    // A command-line password also wins over MYSQL_PWD.
    assert_connected(&env.plan(&["--password=right-pw", &defaults(no_pw)], Some("x")));

    // ~/.my.cnf when there is no --defaults-file; once any connection option
    // is given (an option file alone does not make `plan` connect).
    let o = env.plan(&[], None);
    assert!(
        text(&o).contains("key source:        Offline"),
        "{}",
        text(&o)
    );
    fs::copy(good, env.home.join(".my.cnf")).unwrap();
    let o = env.plan(&[], None);
    assert!(
        text(&o).contains("key source:        Offline"),
        "{}",
        text(&o)
    );
    assert_connected(&env.plan(&["-u", "app"], None));
    // --defaults-file replaces ~/.my.cnf (not added to it): no password then,
    // and MYSQL_PWD's is used.
    assert_denied(
        &env.plan(&[&defaults(no_pw)], Some("wrong-env-pw")),
        &["wrong-env-pw"],
    );
    // --no-defaults reads neither.
    let o = env.plan(
        &["--no-defaults", "-h", "127.0.0.1", "-P", &port, "-u", "app"],
        None,
    );
    assert_denied(&o, &["right-pw"]);
    assert!(text(&o).contains("using password: NO"), "{}", text(&o));
    // A world-writable ~/.my.cnf is ignored, with a warning.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let cnf = env.home.join(".my.cnf");
        fs::set_permissions(&cnf, fs::Permissions::from_mode(0o666)).unwrap();
        let o = env.plan(&["-h", "127.0.0.1", "-P", &port, "-u", "app"], None);
        assert_denied(&o, &["right-pw"]);
        assert!(
            text(&o).contains("world-writable option file"),
            "{}",
            text(&o)
        );
    }
}

#[test]
fn bad_option_files_and_tls_options_are_refused_clearly() {
    let env = Env::new("bad");
    let run = |args: &[&str]| {
        let o = env.plan(args, None);
        assert!(!o.status.success(), "{}", text(&o));
        String::from_utf8_lossy(&o.stderr).into_owned()
    };

    let missing = env.home.join("missing.cnf");
    let e = run(&[&format!("--defaults-file={}", missing.display())]);
    assert!(e.contains("missing.cnf: cannot read it"), "{e}");

    let inc = env.write(
        "inc.cnf",
        "[client]\npassword=hunter2\n!include /etc/other.cnf\n",
    );
    let e = run(&[&format!("--defaults-file={}", inc.display())]);
    assert!(
        e.contains("inc.cnf, line 3: !include is not supported"),
        "{e}"
    );
    assert!(!e.contains("hunter2"), "{e}");

    let typo = env.write("typo.cnf", "[myreplay]\npasword=hunter2\n");
    let e = run(&[&format!("--defaults-file={}", typo.display())]);
    assert!(
        e.contains("line 2: unknown option \"pasword\" in [myreplay]"),
        "{e}"
    );
    assert!(!e.contains("hunter2"), "{e}");

    let e = run(&["-h", "127.0.0.1", "-P", "1", "--ssl-mode=verify_ca"]);
    assert!(e.contains("--ssl-mode=VERIFY_CA needs --ssl-ca"), "{e}");
    let e = run(&["-S", "/nonexistent/sock", "--ssl-mode", "Required"]);
    assert!(
        e.contains("--ssl-mode=REQUIRED cannot be honoured over the unix socket"),
        "{e}"
    );
    let e = run(&["-h", "127.0.0.1", "--ssl-mode=sometimes"]);
    assert!(
        e.contains("expected one of DISABLED, PREFERRED, REQUIRED, VERIFY_CA, VERIFY_IDENTITY"),
        "{e}"
    );
    // From the file too.
    let cnf = env.write(
        "tls.cnf",
        "[client]\nhost=127.0.0.1\nport=1\nssl-mode=VERIFY_IDENTITY\n",
    );
    let e = run(&[&format!("--defaults-file={}", cnf.display())]);
    assert!(
        e.contains("--ssl-mode=VERIFY_IDENTITY needs --ssl-ca"),
        "{e}"
    );
}
