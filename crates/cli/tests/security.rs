//! Security of the `myreplay` command, as a user of the machine would check
//! it: a password given on the command line is hidden from the process list
//! (`/proc/PID/cmdline`, what `ps` shows), no password (command line,
//! `MYSQL_PWD`, option file) is ever printed (errors from a wrong password
//! or an unreachable server included), and `--checkpoint-table` is
//! validated before connecting.
//!
//! A "hung server" is a TcpListener of the test that accepts connections
//! and never answers: a `myreplay` connecting to it blocks in the MySQL
//! handshake, alive, so its process can be looked at; and a `myreplay` that
//! must not connect can be seen not to.
//!
//! Every run has a `HOME` of its own (no `~/.my.cnf`) and `RUST_LOG=trace`,
//! `RUST_BACKTRACE=full` (myreplay installs no logger today: should one
//! come, these tests cover it).

#[path = "../../apply/tests/support/mod.rs"]
mod support;

use std::fs;
use std::io::ErrorKind;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use mysql::prelude::Queryable;
use support::PrivateMariaDb;

fn fixture() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/mariadb/binlog.000001");
    assert!(p.is_file(), "{} missing", p.display());
    p
}

/// A HOME of its own, removed on drop.
struct Home(PathBuf);

impl Home {
    fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("myreplay-sec-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Home(dir)
    }

    /// `myreplay ARGS` with this HOME, logging asked for, MYSQL_PWD as given.
    fn command(&self, args: &[&str], mysql_pwd: Option<&str>) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_myreplay"));
        c.args(args)
            .env("HOME", &self.0)
            .env("RUST_LOG", "trace")
            .env("RUST_BACKTRACE", "full")
            .env_remove("MYSQL_PWD")
            .env_remove("MYSQL_UNIX_PORT")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(pw) = mysql_pwd {
            c.env("MYSQL_PWD", pw);
        }
        c
    }

    /// An option file in this HOME (mode 0600).
    fn option_file(&self, name: &str, text: &str) -> String {
        let path = self.0.join(name);
        fs::write(&path, text).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        }
        path.display().to_string()
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
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

/// The output, after asserting that no password appears in it.
fn without(o: Output, passwords: &[&str]) -> Output {
    let t = text(&o);
    for pw in passwords {
        assert!(!t.contains(pw), "password {pw:?} shown:\n{t}");
    }
    o
}

/// A listener on 127.0.0.1 that never answers (see the module documentation).
fn hung_server() -> (TcpListener, u16) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.set_nonblocking(true).unwrap();
    let port = l.local_addr().unwrap().port();
    (l, port)
}

/// Waits until `child` connects to `listener`; panics with its output if it
/// exits first, or after 60 s.
fn accept_from(listener: &TcpListener, child: &mut Child) -> TcpStream {
    let started = Instant::now();
    loop {
        match listener.accept() {
            Ok((stream, _)) => return stream,
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            Err(e) => panic!("accept: {e}"),
        }
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            if let Some(mut s) = child.stderr.take() {
                use std::io::Read;
                let _ = s.read_to_string(&mut err);
            }
            panic!("myreplay exited ({status}) before connecting:\n{err}");
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "myreplay did not connect within 60 s"
        );
        sleep(Duration::from_millis(20));
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_password_on_the_command_line_is_hidden_from_the_process_list() {
    let home = Home::new("argv");
    let file = fixture();
    let file = file.to_str().unwrap();
    for (arg, secret) in [
        ("-pS3cret-short-form", "S3cret-short-form"),
        ("--password=S3cret-long-form", "S3cret-long-form"),
    ] {
        let (listener, port) = hung_server();
        let port = port.to_string();
        let mut child = home
            .command(
                &[
                    "apply",
                    "-h",
                    "127.0.0.1",
                    "-P",
                    &port,
                    "-u",
                    "u",
                    arg,
                    "--no-defaults",
                    file,
                ],
                None,
            )
            .spawn()
            .expect("run myreplay");
        // Connected: past argument parsing, blocked in the handshake.
        let _stream = accept_from(&listener, &mut child);
        let cmdline = fs::read(format!("/proc/{}/cmdline", child.id())).unwrap();
        let shown = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        // What `ps` shows, when it is installed (it reads the same file).
        let ps = Command::new("ps")
            .args(["-o", "args=", "-p", &child.id().to_string()])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        child.kill().unwrap();
        let out = without(child.wait_with_output().unwrap(), &[secret]);
        eprintln!("{arg}: /proc/PID/cmdline: {shown}\nps: {ps}");
        assert!(!shown.contains(secret), "{shown}");
        assert!(!ps.contains(secret), "{ps}");
        let hidden = arg.replace(secret, &"x".repeat(secret.len()));
        assert!(shown.contains(&format!(" {hidden} ")), "{shown}");
        // The other arguments are intact.
        assert!(shown.contains(&format!("-P {port} -u u ")), "{shown}");
        // Accepted, with one warning.
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            err.matches("using a password on the command line can be insecure")
                .count(),
            1,
            "{err}"
        );
        assert!(!err.contains("stays visible"), "{err}");
    }
}

#[test]
fn passwords_are_never_printed_wrong_right_or_unreachable() {
    let mut source = PrivateMariaDb::start();
    source.exec(
        "CREATE DATABASE app; CREATE TABLE app.t (id INT PRIMARY KEY, v VARCHAR(20)) ENGINE=InnoDB",
    );
    let target = source.snapshot(&["--skip-log-bin"]);
    let before = source.binlogs().len();
    source.exec("INSERT INTO app.t VALUES (1, 'a'), (2, 'b'); FLUSH BINARY LOGS");
    let files = source.binlogs_since(before);
    let files: Vec<&str> = files.iter().map(|f| f.to_str().unwrap()).collect();
    const RIGHT: &str = "Right-pw-7f3a";
    target.exec(&format!(
        "CREATE USER app@'%' IDENTIFIED BY '{RIGHT}'; GRANT ALL ON *.* TO app@'%'"
    ));
    let home = Home::new("pw");
    let port = target.port().to_string();
    let conn = ["-h", "127.0.0.1", "-P", &port, "-u", "app"];
    let apply = |extra: &[&str], mysql_pwd: Option<&str>, secrets: &[&str]| -> Output {
        let mut args = vec!["apply"];
        args.extend_from_slice(&conn);
        args.extend_from_slice(extra);
        args.extend_from_slice(&files);
        let out = home
            .command(&args, mysql_pwd)
            .output()
            .expect("run myreplay");
        without(out, secrets)
    };
    let denied = |o: &Output| {
        assert_eq!(o.status.code(), Some(8), "{}", text(o));
        assert!(
            text(o).contains("Access denied for user 'app'"),
            "{}",
            text(o)
        );
    };

    // A wrong password, from each place a password comes from.
    let wrong_file = home.option_file("wrong.cnf", "[client]\npassword=Wrong-file-pw-2\n");
    denied(&apply(
        &["--no-defaults"],
        Some("Wrong-env-pw-1"),
        &["Wrong-env-pw-1"],
    ));
    denied(&apply(
        &[&format!("--defaults-file={wrong_file}")],
        Some(RIGHT),
        &["Wrong-file-pw-2", RIGHT],
    ));
    denied(&apply(
        &["--no-defaults", "-pWrong-argv-pw-3"],
        None,
        &["Wrong-argv-pw-3"],
    ));
    denied(&apply(
        &["--no-defaults", "--password=Wrong-argv-pw-4"],
        Some(RIGHT),
        &["Wrong-argv-pw-4", RIGHT],
    ));

    // An unreachable server: nothing listens on the port.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_port = closed.local_addr().unwrap().port().to_string();
    drop(closed);
    let o = without(
        home.command(
            &[
                "apply",
                "-h",
                "127.0.0.1",
                "-P",
                &closed_port,
                "-u",
                "app",
                "--no-defaults",
                "-pUnreachable-pw-5",
                files[0],
            ],
            Some("Unreachable-env-pw-6"),
        )
        .output()
        .unwrap(),
        &["Unreachable-pw-5", "Unreachable-env-pw-6"],
    );
    assert_eq!(o.status.code(), Some(8), "{}", text(&o));
    assert!(
        text(&o).contains(&format!("app@127.0.0.1:{closed_port}")),
        "{}",
        text(&o)
    );

    // The right password: the replay, its report and its warnings show no
    // password; a valid --checkpoint-table DB.TABLE is used.
    let right_file = home.option_file("right.cnf", &format!("[myreplay]\npassword={RIGHT}\n"));
    let o = apply(
        &[
            &format!("--defaults-file={right_file}"),
            "--checkpoint-table",
            "restore_log.applied_1",
        ],
        None,
        &[RIGHT],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("applied 1 transactions"), "{}", text(&o));
    let recorded: u64 = target
        .conn()
        .query_first("SELECT COUNT(*) FROM restore_log.applied_1")
        .unwrap()
        .unwrap();
    assert_eq!(recorded, 1);
    // Run again (nothing new), from MYSQL_PWD and from the command line.
    let ckpt = ["--checkpoint-table", "restore_log.applied_1"];
    for (extra, pwd) in [
        (vec!["--no-defaults", "--json"], Some(RIGHT)),
        (vec!["--no-defaults", "--dry-run"], Some(RIGHT)),
        (vec!["--no-defaults", &*format!("-p{RIGHT}")], None),
    ] {
        let o = apply(&[&extra[..], &ckpt].concat(), pwd, &[RIGHT]);
        assert!(o.status.success(), "{extra:?}: {}", text(&o));
    }
    // `plan`, which connects to read the schema, too.
    let mut args = vec!["plan"];
    args.extend_from_slice(&conn);
    args.push("--no-defaults");
    args.extend_from_slice(&files);
    let o = without(home.command(&args, Some(RIGHT)).output().unwrap(), &[RIGHT]);
    assert!(o.status.success(), "{}", text(&o));
}

#[test]
fn checkpoint_table_names_are_validated_before_connecting() {
    let home = Home::new("ckpt");
    let file = fixture();
    let file = file.to_str().unwrap();
    let long = "x".repeat(65);
    let bad = [
        "a`b.t",
        "db.t`; DROP DATABASE mysql; -- ",
        "db.t; DROP TABLE x",
        "db.'t'",
        "db.\"t\"",
        "db.t\\",
        "db.t x",
        " db.t",
        "db.t ",
        "",
        "db",
        ".t",
        "db.",
        "a.b.c",
        "db.tä",
        "db.t\n",
        &format!("db.{long}"),
        &format!("{long}.t"),
    ];
    for name in bad {
        let (listener, port) = hung_server();
        let port = port.to_string();
        let mut child = home
            .command(
                &[
                    "apply",
                    "-h",
                    "127.0.0.1",
                    "-P",
                    &port,
                    "-u",
                    "u",
                    "--no-defaults",
                    "--checkpoint-table",
                    name,
                    file,
                ],
                None,
            )
            .spawn()
            .unwrap();
        let started = Instant::now();
        while child.try_wait().unwrap().is_none() && started.elapsed() < Duration::from_secs(30) {
            sleep(Duration::from_millis(20));
        }
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap();
            panic!("--checkpoint-table {name:?}: still running after 30 s (connecting?)");
        }
        let o = child.wait_with_output().unwrap();
        let t = text(&o);
        assert_eq!(o.status.code(), Some(7), "{name:?}: {t}");
        assert!(
            t.contains(&format!("checkpoint table `{name}`"))
                && t.contains("expected DATABASE.TABLE made of letters, digits, _ and $"),
            "{name:?}: {t}"
        );
        assert!(
            matches!(listener.accept(), Err(e) if e.kind() == ErrorKind::WouldBlock),
            "{name:?}: connected to the server before refusing the name"
        );
    }
}
