//! TLS (`--ssl-mode`, `--ssl-ca`) and option files against private MariaDB
//! servers.
//!
//! The certificates are made with the `openssl` command at test time. It is
//! not in Debian's base system (priority optional; `ca-certificates` pulls it
//! in): when it is missing these tests fail, naming the package, and install
//! nothing.

mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use myreplay_apply::connect::option_file;
use myreplay_apply::connect::SslMode;
use myreplay_apply::{ApplyError, ConnectOptions};
use mysql::prelude::Queryable;
use support::PrivateMariaDb;

/// Runs `openssl ARGS` in `dir`; panics with its stderr, or with the
/// package to install when there is no `openssl`.
fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run `openssl` ({e}): the TLS tests make their certificates with it. \
                 Install it (Debian: apt-get install openssl); these tests install nothing"
            )
        });
    assert!(
        out.status.success(),
        "openssl {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA (`NAME-ca.pem`, `NAME-ca.key`) in `dir`.
fn make_ca(dir: &Path, name: &str) -> PathBuf {
    fs::write(
        dir.join(format!("{name}-ca.cnf")),
        format!(
            "[req]\ndistinguished_name = dn\nprompt = no\nx509_extensions = v3_ca\n\
             [dn]\nCN = myreplay test CA {name}\n\
             [v3_ca]\nbasicConstraints = critical,CA:TRUE\nkeyUsage = critical,keyCertSign,cRLSign\n\
             subjectKeyIdentifier = hash\n"
        ),
    )
    .unwrap();
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-config",
            &format!("{name}-ca.cnf"),
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            &format!("{name}-ca.key"),
            "-out",
            &format!("{name}-ca.pem"),
            "-days",
            "3",
        ],
    );
    dir.join(format!("{name}-ca.pem"))
}

/// A server certificate for the name `localhost` only (not 127.0.0.1), signed
/// by `ca`: returns (cert, key).
fn make_server_cert(dir: &Path, ca: &str) -> (PathBuf, PathBuf) {
    fs::write(
        dir.join("server.cnf"),
        "[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = localhost\n\
         [v3_server]\nbasicConstraints = critical,CA:FALSE\n\
         keyUsage = critical,digitalSignature,keyEncipherment\nextendedKeyUsage = serverAuth\n\
         subjectAltName = DNS:localhost\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "req",
            "-new",
            "-config",
            "server.cnf",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
        ],
    );
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            &format!("{ca}-ca.pem"),
            "-CAkey",
            &format!("{ca}-ca.key"),
            "-set_serial",
            "2",
            "-days",
            "3",
            "-extfile",
            "server.cnf",
            "-extensions",
            "v3_server",
            "-out",
            "server.pem",
        ],
    );
    (dir.join("server.pem"), dir.join("server.key"))
}

/// A directory removed when dropped, even by a failing test.
struct TempDir(PathBuf);

impl std::ops::Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn temp_dir(tag: &str) -> TempDir {
    let dir = std::env::temp_dir().join(format!("myreplay-{tag}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    TempDir(dir)
}

/// The TLS cipher of a connection ("" when plain).
fn cipher(o: &ConnectOptions) -> Result<String, ApplyError> {
    let mut conn = o.conn()?;
    let row: Option<(String, String)> = conn
        .query_first("SHOW SESSION STATUS LIKE 'Ssl_cipher'")
        .unwrap();
    Ok(row.map(|r| r.1).unwrap_or_default())
}

#[test]
fn tls_modes_against_a_server_with_a_certificate() {
    let certs = temp_dir("tls");
    let ca = make_ca(&certs, "right");
    let wrong_ca = make_ca(&certs, "wrong");
    let (cert, key) = make_server_cert(&certs, "right");
    let db = PrivateMariaDb::start_with(&[
        &format!("--ssl-ca={}", ca.display()),
        &format!("--ssl-cert={}", cert.display()),
        &format!("--ssl-key={}", key.display()),
    ]);
    db.exec(
        "CREATE USER tls@'%' IDENTIFIED BY 'tls-secret-pw' REQUIRE SSL; \
         GRANT SELECT ON *.* TO tls@'%'",
    );
    let tcp = |mode: SslMode, ssl_ca: Option<&Path>| ConnectOptions {
        user: Some("tls".into()),
        password: Some("tls-secret-pw".into()),
        ssl_mode: mode,
        ssl_ca: ssl_ca.map(Path::to_path_buf),
        ..db.tcp_options()
    };

    // Encrypted, without verification.
    for mode in [SslMode::Preferred, SslMode::Required] {
        let c = cipher(&tcp(mode, None)).unwrap_or_else(|e| panic!("{mode}: {e}"));
        assert!(!c.is_empty(), "{mode}: not encrypted");
    }
    // The chain against the right CA; the host name (127.0.0.1, not in the
    // certificate) not checked.
    let c = cipher(&tcp(SslMode::VerifyCa, Some(&ca))).expect("VERIFY_CA with the right CA");
    assert!(!c.is_empty());
    // VERIFY_IDENTITY checks the name too: `localhost` is in the
    // certificate, 127.0.0.1 is not.
    let by_name = ConnectOptions {
        host: Some("localhost".into()),
        ..tcp(SslMode::VerifyIdentity, Some(&ca))
    };
    assert!(!cipher(&by_name)
        .expect("VERIFY_IDENTITY as localhost")
        .is_empty());
    let err = cipher(&tcp(SslMode::VerifyIdentity, Some(&ca)))
        .expect_err("127.0.0.1 is not the certificate's name");
    let msg = format!("{err:#}");
    eprintln!("wrong name: {msg}");
    assert!(
        msg.contains("TLS failed: the server's certificate was not accepted"),
        "{msg}"
    );
    assert!(
        msg.contains("certificate not valid for name \"127.0.0.1\""),
        "{msg}"
    );

    // The wrong CA: a clear failure, through a single connection and a pool.
    let wrong = tcp(SslMode::VerifyCa, Some(&wrong_ca));
    for err in [
        wrong.conn().map(drop).expect_err("wrong CA must fail"),
        wrong.pool_of(2).map(drop).expect_err("wrong CA must fail"),
    ] {
        let msg = err.to_string();
        eprintln!("wrong CA: {msg}");
        assert!(matches!(err, ApplyError::Connect { .. }), "{err:?}");
        assert!(
            msg.contains("--ssl-mode=VERIFY_CA")
                && msg.contains(&format!("--ssl-ca {}", wrong_ca.display()))
                && msg.contains("TLS failed: the server's certificate was not accepted"),
            "{msg}"
        );
        assert!(msg.contains("UnknownIssuer"), "{msg}");
        assert!(!msg.contains("tls-secret-pw") && !format!("{err:?}").contains("tls-secret-pw"));
    }

    // VERIFY_IDENTITY with the right name but the wrong CA: refused too.
    let wrong_by_name = ConnectOptions {
        host: Some("localhost".into()),
        ..tcp(SslMode::VerifyIdentity, Some(&wrong_ca))
    };
    for err in [
        wrong_by_name
            .conn()
            .map(drop)
            .expect_err("wrong CA must fail"),
        wrong_by_name
            .pool_of(2)
            .map(drop)
            .expect_err("wrong CA must fail"),
    ] {
        let msg = err.to_string();
        assert!(
            msg.contains("--ssl-mode=VERIFY_IDENTITY")
                && msg.contains("TLS failed: the server's certificate was not accepted")
                && msg.contains("UnknownIssuer"),
            "{msg}"
        );
    }
    // A replay (what `myreplay apply` runs) with the wrong CA stops before
    // writing anything.
    let err = myreplay_apply::Replay::new(db.binlogs(), wrong.clone())
        .run(|_| {}, &std::sync::atomic::AtomicBool::new(false))
        .expect_err("a replay with the wrong CA must fail");
    assert!(
        err.to_string()
            .contains("TLS failed: the server's certificate was not accepted"),
        "{err}"
    );
    let dbs: Vec<String> = db.conn().query("SHOW DATABASES LIKE 'myreplay'").unwrap();
    assert!(dbs.is_empty(), "nothing written: {dbs:?}");

    // DISABLED against a user that requires SSL: refused by the server.
    let err = tcp(SslMode::Disabled, None)
        .conn()
        .map(drop)
        .expect_err("REQUIRE SSL user without TLS");
    let msg = err.to_string();
    eprintln!("DISABLED, REQUIRE SSL: {msg}");
    assert!(msg.contains("Access denied"), "{msg}");
    assert!(!msg.contains("tls-secret-pw"), "{msg}");
    // A user without REQUIRE SSL connects in plain with DISABLED.
    let plain = ConnectOptions {
        ssl_mode: SslMode::Disabled,
        ..db.tcp_options()
    };
    assert_eq!(cipher(&plain).unwrap(), "");

    // VERIFY_* without a CA, or with a missing one: refused before connecting.
    let err = tcp(SslMode::VerifyCa, None).conn().map(drop).unwrap_err();
    assert!(matches!(err, ApplyError::Options(_)), "{err:?}");
    assert!(
        err.to_string()
            .contains("--ssl-mode=VERIFY_CA needs --ssl-ca"),
        "{err}"
    );
    let err = tcp(SslMode::VerifyIdentity, Some(&certs.join("nope.pem")))
        .conn()
        .map(drop)
        .unwrap_err();
    assert!(err.to_string().contains("nope.pem: no such file"), "{err}");

    // Over the unix socket: PREFERRED connects (in plain, the driver has no
    // TLS there), REQUIRED and VERIFY_* are refused rather than ignored.
    let socket = ConnectOptions {
        ssl_mode: SslMode::Preferred,
        ..db.options()
    };
    assert_eq!(cipher(&socket).unwrap(), "");
    let err = ConnectOptions {
        ssl_mode: SslMode::Required,
        ..db.options()
    }
    .conn()
    .map(drop)
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("--ssl-mode=REQUIRED cannot be honoured over the unix socket"),
        "{err}"
    );
    drop(db);
}

#[test]
fn preferred_falls_back_to_plain_required_does_not() {
    // The test servers have no certificate (MariaDB 10.x makes none).
    let db = PrivateMariaDb::start();
    let preferred = ConnectOptions {
        ssl_mode: SslMode::Preferred,
        ..db.tcp_options()
    };
    assert_eq!(cipher(&preferred).unwrap(), "");
    drop(preferred.pool_of(2).expect("a PREFERRED pool in plain"));
    drop(preferred.pool().expect("a PREFERRED pool in plain"));

    let required = ConnectOptions {
        ssl_mode: SslMode::Required,
        ..db.tcp_options()
    };
    let err = required.conn().map(drop).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("with --ssl-mode=REQUIRED (TLS failed)"),
        "{msg}"
    );
    assert!(
        msg.contains("server does not have this capability"),
        "{msg}"
    );
    // Through a pool (what the replay's workers use) too.
    let msg = required.pool_of(2).map(drop).unwrap_err().to_string();
    assert!(
        msg.contains("with --ssl-mode=REQUIRED (TLS failed)"),
        "{msg}"
    );
    // VERIFY_CA and VERIFY_IDENTITY do not fall back to plain either.
    let certs = temp_dir("no-tls");
    let ca = make_ca(&certs, "any");
    for mode in [SslMode::VerifyCa, SslMode::VerifyIdentity] {
        let verify = ConnectOptions {
            host: Some("localhost".into()),
            ssl_mode: mode,
            ssl_ca: Some(ca.clone()),
            ..db.tcp_options()
        };
        for err in [
            verify.conn().map(drop).unwrap_err(),
            verify.pool_of(2).map(drop).unwrap_err(),
        ] {
            let msg = err.to_string();
            assert!(
                msg.contains(&format!("with --ssl-mode={mode}"))
                    && msg.contains("server does not have this capability"),
                "{msg}"
            );
        }
    }
}

#[test]
fn password_from_a_defaults_file() {
    let db = PrivateMariaDb::start();
    db.exec(
        "CREATE USER app@'%' IDENTIFIED BY 'file pw #1'; \
         CREATE USER app@localhost IDENTIFIED BY 'file pw #1'",
    );
    let dir = temp_dir("cnf");
    let cnf = dir.join("my.cnf");
    fs::write(
        &cnf,
        format!(
            "# written by the test\n[mysqld]\nport=1\n\n[client]\nuser = app\n\
             password = \"file pw #1\"  # quoted: it has a '#'\nhost=127.0.0.1\nport={}\n\
             ssl-mode=disabled\n",
            db.port()
        ),
    )
    .unwrap();
    let file = option_file::load(Some(&cnf)).unwrap();
    let options = file
        .clone()
        .resolve(None, || panic!("must not ask"))
        .unwrap();
    let mut conn = options.conn().expect("the file's user and password");
    let who: Option<String> = conn.query_first("SELECT CURRENT_USER()").unwrap();
    assert_eq!(who.as_deref(), Some("app@%"));

    // Over the socket instead: the command line's socket, the file's user and
    // password (`-h localhost` replaces the file's 127.0.0.1, so the socket is used).
    let cli = option_file::ClientOptions {
        host: Some("localhost".into()),
        socket: Some(db.socket()),
        ..Default::default()
    };
    let options = cli.over(file.clone()).resolve(None, || panic!()).unwrap();
    let mut conn = options.conn().expect("socket with the file's password");
    let who: Option<String> = conn.query_first("SELECT CURRENT_USER()").unwrap();
    assert_eq!(who.as_deref(), Some("app@localhost"));

    // A wrong password in the file: the server's refusal, never the password.
    fs::write(
        &cnf,
        format!(
            "[client]\nuser=app\npassword=wrong-file-pw\nhost=127.0.0.1\nport={}\n",
            db.port()
        ),
    )
    .unwrap();
    let options = option_file::load(Some(&cnf))
        .unwrap()
        .resolve(Some("env-pw-unused".into()), || panic!())
        .unwrap();
    assert_eq!(options.password.as_deref(), Some("wrong-file-pw"));
    let err = options.conn().map(drop).unwrap_err();
    for text in [err.to_string(), format!("{err:?}"), format!("{options:?}")] {
        assert!(!text.contains("wrong-file-pw"), "{text}");
    }
    assert!(
        err.to_string().contains("Access denied for user 'app'"),
        "{err}"
    );
}
