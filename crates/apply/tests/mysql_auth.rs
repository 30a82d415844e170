//! MySQL 9.7's default authentication, `caching_sha2_password`, for the
//! connections myreplay makes: over the unix socket, over TCP without TLS
//! (the first login of a user is a full authentication: the password goes
//! RSA-encrypted with the server's public key), with TLS, and with TLS
//! verified against the CA MySQL made for itself (`ca.pem` in its datadir).
//! A wrong password is refused every way.

mod support;

use myreplay_apply::connect::SslMode;
use myreplay_apply::ConnectOptions;
use mysql::prelude::Queryable;
use support::{Flavour, PrivateMariaDb};

fn tcp(db: &PrivateMariaDb, password: &str, ssl_mode: SslMode) -> ConnectOptions {
    ConnectOptions {
        host: Some("127.0.0.1".into()),
        port: Some(db.port()),
        user: Some("app".into()),
        password: Some(password.into()),
        socket: None,
        ssl_mode,
        ssl_ca: None,
    }
}

fn cipher(o: &ConnectOptions) -> String {
    let mut conn = o.conn().unwrap_or_else(|e| panic!("{o:?}: {e}"));
    let row: Option<(String, String)> = conn
        .query_first("SHOW SESSION STATUS LIKE 'Ssl_cipher'")
        .unwrap();
    row.map(|r| r.1).unwrap_or_default()
}

#[test]
fn on_mysql_9_7_caching_sha2_password_over_the_socket_tcp_and_tls() {
    let db = PrivateMariaDb::start_flavour(Flavour::MySql97, &[]);
    db.exec(
        "CREATE USER app@'%' IDENTIFIED WITH caching_sha2_password BY 'app-secret';
         CREATE USER app@localhost IDENTIFIED WITH caching_sha2_password BY 'app-secret';
         GRANT ALL ON *.* TO app@'%'; GRANT ALL ON *.* TO app@localhost;",
    );
    // First logins (full authentication): plain TCP, then TLS.
    assert_eq!(
        cipher(&tcp(&db, "app-secret", SslMode::Disabled)),
        "",
        "no TLS"
    );
    assert_ne!(
        cipher(&tcp(&db, "app-secret", SslMode::Required)),
        "",
        "TLS"
    );
    let mut verified = tcp(&db, "app-secret", SslMode::VerifyCa);
    verified.ssl_ca = Some(db.datadir().join("ca.pem"));
    assert_ne!(cipher(&verified), "");
    let socket = ConnectOptions {
        password: Some("app-secret".into()),
        ..ConnectOptions::socket(db.socket(), "app")
    };
    assert_eq!(cipher(&socket), "");
    for mode in [SslMode::Disabled, SslMode::Required] {
        let e = tcp(&db, "wrong", mode).conn().unwrap_err().to_string();
        assert!(e.contains("1045"), "{mode:?}: {e}");
        assert!(!e.contains("wrong"), "no password in the message: {e}");
    }
}
