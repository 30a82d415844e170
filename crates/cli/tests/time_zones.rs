//! `--stop-datetime` in a named time zone across a daylight-saving change
//! (issue 12, point 4), against a real server: the source's transactions
//! are committed at chosen times (`SET TIMESTAMP`) around Paris's return
//! to winter time, 2026-10-25, when 03:00 CEST became 02:00 CET. A local
//! time the change repeats is refused before anything is written, naming
//! both candidates; each offset it names stops the replay at the instant
//! it means; a local time after the change is read in CET.

mod common;
#[path = "../../apply/tests/support/mod.rs"]
mod support;

use common::{apply_socket, stderr};
use mysql::prelude::Queryable;
use support::PrivateMariaDb;

/// UTC seconds of 2026-10-25 00:00:00 UTC (02:00 CEST).
const CHANGE_DAY: u32 = 1_792_886_400;

/// Transactions at 2026-10-25 00:00, 00:20, 00:40, 01:00, 01:20, 01:40,
/// 02:00 UTC: (id, UTC time). Paris: 02:00, 02:20, 02:40 CEST, then 02:00,
/// 02:20, 02:40 CET again, then 03:00 CET.
fn moments() -> Vec<(u32, u32)> {
    (0..7).map(|i| (i + 1, CHANGE_DAY + i * 20 * 60)).collect()
}

fn ids(db: &PrivateMariaDb) -> Vec<u32> {
    db.conn()
        .query("SELECT id FROM app.t ORDER BY id")
        .unwrap_or_default()
}

#[test]
fn a_stop_datetime_in_a_named_zone_across_a_daylight_saving_change() {
    let mut source = PrivateMariaDb::start();
    source.exec("CREATE DATABASE app; CREATE TABLE app.t (id INT PRIMARY KEY, at VARCHAR(30)) ENGINE=InnoDB;");
    let targets: Vec<PrivateMariaDb> = (0..4)
        .map(|_| source.snapshot(&["--skip-log-bin"]))
        .collect();
    let before = source.binlogs().len();
    let mut sql = String::new();
    for (id, ts) in moments() {
        sql +=
            &format!("SET TIMESTAMP = {ts}; INSERT INTO app.t VALUES ({id}, FROM_UNIXTIME({ts}));");
    }
    source.exec(&sql);
    source.exec("FLUSH BINARY LOGS");
    let files = source.binlogs_since(before);

    // 02:30 happened twice in Paris that night: refused, both named.
    let out = apply_socket(
        &targets[0],
        &files,
        &[
            "--stop-datetime",
            "2026-10-25 02:30:00",
            "--timezone",
            "Europe/Paris",
        ],
    )
    .output()
    .unwrap();
    let err = stderr(&out);
    eprintln!("{err}");
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains("happened twice in Europe/Paris")
            && err.contains("--timezone +02:00 (2026-10-25 00:30:00 UTC, the first)")
            && err.contains("--timezone +01:00 (2026-10-25 01:30:00 UTC, the second)"),
        "{err}"
    );
    let dbs: Vec<String> = targets[0]
        .conn()
        .query("SHOW DATABASES LIKE 'myreplay'")
        .unwrap();
    assert!(dbs.is_empty(), "nothing was written");

    // The first 02:30 (CEST): before 00:30 UTC, two transactions.
    let run = |target: &PrivateMariaDb, at: &str, tz: &str| {
        let out = apply_socket(target, &files, &["--stop-datetime", at, "--timezone", tz])
            .output()
            .unwrap();
        assert!(out.status.success(), "{at} {tz}: {}", stderr(&out));
        stderr(&out)
    };
    let said = run(&targets[1], "2026-10-25 02:30:00", "+02:00");
    assert!(said.contains("is 2026-10-25 00:30:00 UTC"), "{said}");
    assert_eq!(ids(&targets[1]), vec![1, 2]);
    // The second 02:30 (CET): before 01:30 UTC, five.
    run(&targets[2], "2026-10-25 02:30:00", "+01:00");
    assert_eq!(ids(&targets[2]), vec![1, 2, 3, 4, 5]);
    // 03:00 in Paris after the change is CET: 02:00 UTC, so all but the last.
    let said = run(&targets[3], "2026-10-25 03:00:00", "Europe/Paris");
    assert!(said.contains("is 2026-10-25 02:00:00 UTC"), "{said}");
    assert_eq!(ids(&targets[3]), vec![1, 2, 3, 4, 5, 6]);
    let rows = |db: &PrivateMariaDb| -> Vec<(u32, String)> {
        db.conn()
            .query("SELECT id, at FROM app.t ORDER BY id")
            .unwrap()
    };
    let all = rows(&source);
    assert_eq!(rows(&targets[3])[..], all[..6], "the rows as on the source");
}
