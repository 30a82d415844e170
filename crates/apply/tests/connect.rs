//! `ConnectOptions` against a private MariaDB: socket, TCP, and errors.

mod support;

use myreplay_apply::{ApplyError, ConnectOptions, Endpoint};
use mysql::prelude::Queryable;
use support::PrivateMariaDb;

#[test]
fn socket_tcp_pool_and_errors() {
    let db = PrivateMariaDb::start();

    // Socket (host defaults to localhost, so the socket is used).
    let socket = db.options();
    assert_eq!(socket.endpoint(), Endpoint::Socket(db.socket()));
    let mut conn = socket.conn().expect("socket connection");
    let via: Option<String> = conn.query_first("SELECT @@hostname").unwrap();
    assert!(via.is_some());

    // TCP to 127.0.0.1 stays on TCP, even with a socket given.
    let tcp = ConnectOptions {
        socket: Some(db.socket()),
        ..db.tcp_options()
    };
    assert_eq!(
        tcp.endpoint(),
        Endpoint::Tcp {
            host: "127.0.0.1".into(),
            port: db.port()
        }
    );
    let mut conn = tcp.conn().expect("tcp connection");
    let port: Option<u16> = conn.query_first("SELECT @@port").unwrap();
    assert_eq!(port, Some(db.port()));

    // A pool checks its first connection.
    let pool = tcp.pool_of(4).expect("pool");
    let one: Option<i64> = pool.get_conn().unwrap().query_first("SELECT 1").unwrap();
    assert_eq!(one, Some(1));
    drop(pool);
    let pool = socket.pool().expect("pool");
    drop(pool);

    // Wrong password: the server's message, who and where, never the password.
    db.exec(
        "CREATE USER app@'%' IDENTIFIED BY 'right-pw'; \
         CREATE USER app@localhost IDENTIFIED BY 'right-pw'",
    );
    for base in [db.options(), db.tcp_options()] {
        let wrong = ConnectOptions {
            user: Some("app".into()),
            password: Some("s3cr3t-wrong".into()),
            ..base.clone()
        };
        for err in [
            wrong
                .conn()
                .map(drop)
                .expect_err("wrong password must fail"),
            wrong
                .pool()
                .map(drop)
                .expect_err("wrong password must fail"),
        ] {
            let msg = err.to_string();
            assert!(matches!(err, ApplyError::Connect { .. }), "{err:?}");
            assert!(msg.contains("Access denied"), "{msg}");
            assert!(msg.contains(&format!("app@{}", base.endpoint())), "{msg}");
            assert!(!msg.contains("s3cr3t"), "{msg}");
            assert!(!format!("{err:?}").contains("s3cr3t"), "{err:?}");
        }
        let right = ConnectOptions {
            user: Some("app".into()),
            password: Some("right-pw".into()),
            ..base
        };
        right.conn().expect("right password");
    }

    // Nothing listens: a connect error that says where.
    drop(db);
    let err = tcp.conn().map(drop).expect_err("server is gone");
    assert!(
        err.to_string().starts_with("connecting to root@127.0.0.1:"),
        "{err}"
    );
}
