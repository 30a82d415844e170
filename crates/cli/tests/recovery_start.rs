//! `--from-backup`, `--start-gtid`, `--binlog-dir` and `--binlog-index` on
//! the commands that read binlogs, offline, on the MariaDB fixtures
//! (testdata/mariadb: GTIDs 0-1-1 to 0-1-69, and 2-1-1 in binlog.000003):
//! what each prints, and the exit code of every refusal (docs/errors.md).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture(n: u32) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../testdata/mariadb/binlog.{n:06}"))
}

fn backup_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/backups")
        .join(name)
}

/// A directory holding copies of fixtures `numbers`, like a datadir.
fn dir_with(numbers: &[u32]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for &n in numbers {
        std::fs::copy(fixture(n), dir.path().join(format!("binlog.{n:06}"))).unwrap();
    }
    dir
}

fn myreplay(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_myreplay"))
        .args(args)
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn transactions_from_a_gtid_state_list_only_what_the_target_lacks() {
    let dir = dir_with(&[1, 2, 3, 4, 5]);
    let d = dir.path().to_str().unwrap();
    let out = myreplay(&[
        "transactions",
        "--json",
        "--start-gtid",
        "0-1-60,2-1-1",
        "--binlog-dir",
        d,
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let gtids: Vec<String> = text(&out.stdout)
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["gtid"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let expected: Vec<String> = (61..=69).map(|n| format!("0-1-{n}")).collect();
    assert_eq!(gtids, expected);
    assert!(
        text(&out.stderr).contains("reading starts at binlog.000004"),
        "{}",
        text(&out.stderr)
    );
    // The same from the index file.
    let index = dir.path().join("binlog.index");
    let list: String = (1..=5).map(|n| format!("./binlog.{n:06}\n")).collect();
    std::fs::write(&index, list).unwrap();
    let out = myreplay(&[
        "transactions",
        "--start-gtid",
        "0-1-60,2-1-1",
        "--binlog-index",
        index.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).lines().count(), 9);
}

#[test]
fn plan_tells_where_the_recovery_starts_in_text_and_json() {
    let dir = dir_with(&[1, 2, 3, 4, 5]);
    let d = dir.path().to_str().unwrap();
    let out = myreplay(&["plan", "--start-gtid", "0-1-15,2-0-0", "--binlog-dir", d]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let t = text(&out.stdout);
    assert!(
        t.starts_with("recovery start: GTID state 0-1-15,2-0-0 from --start-gtid"),
        "{t}"
    );
    assert!(
        t.contains("binlog.000001  102157 bytes, 12 transactions, first 0-1-1 at "),
        "{t}"
    );
    assert!(
        t.contains("last 0-1-12 at 2023-11-14 23:13:20  [skipped: the target holds all of it]"),
        "{t}"
    );
    assert!(
        t.contains("binlog.000002")
            && t.contains("[read; transactions inside the start state skipped]"),
        "{t}"
    );
    assert!(t.contains("before the start:  3 transactions"), "{t}");
    let out = myreplay(&[
        "plan",
        "--json",
        "--start-gtid",
        "0-1-15,2-0-0",
        "--binlog-dir",
        d,
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["transactions_before_start"], 3);
    assert_eq!(v["recovery"]["skipped"], 1);
    assert_eq!(v["recovery"]["start_state"], "0-1-15,2-0-0");
    assert_eq!(v["recovery"]["binlogs"].as_array().unwrap().len(), 5);
}

#[test]
fn every_refusal_has_its_exit_code() {
    let all = dir_with(&[1, 2, 3, 4, 5]);
    let late = dir_with(&[3, 4, 5]);
    let holed = dir_with(&[1, 2, 4, 5]);
    let relay = dir_with(&[1, 2]);
    std::fs::copy(fixture(1), relay.path().join("relay-bin.000001")).unwrap();
    let p = |d: &tempfile::TempDir| d.path().to_str().unwrap().to_string();
    let partial = backup_fixture("mydumper-partial");
    let no_coordinates = backup_fixture("mydumper-0.20.1-no-source-data");
    let cases: Vec<(Vec<String>, i32, &str)> = vec![
        (
            vec![
                "--start-gtid".into(),
                "0-1-15,2-0-0".into(),
                "--binlog-dir".into(),
                p(&late),
            ],
            10,
            "do not reach back",
        ),
        (
            vec![
                "--start-gtid".into(),
                "0-1-99,2-1-1".into(),
                "--binlog-dir".into(),
                p(&all),
            ],
            10,
            "end before the backup's point",
        ),
        (
            vec![
                "--start-gtid".into(),
                "0-1-15".into(),
                "--binlog-dir".into(),
                p(&all),
            ],
            10,
            "does not name it",
        ),
        (
            vec![
                "--start-gtid".into(),
                "0-1-5,2-0-0".into(),
                "--binlog-dir".into(),
                p(&holed),
            ],
            10,
            "--allow-gap",
        ),
        (vec!["--binlog-dir".into(), p(&relay)], 7, "several names"),
        (
            vec![
                "--from-backup".into(),
                partial.display().to_string(),
                "--binlog-dir".into(),
                p(&all),
            ],
            11,
            "metadata.partial",
        ),
        (
            vec![
                "--from-backup".into(),
                no_coordinates.display().to_string(),
                "--binlog-dir".into(),
                p(&all),
            ],
            11,
            "--source-data",
        ),
        (
            vec![
                "--start-gtid".into(),
                "0-1".into(),
                "--binlog-dir".into(),
                p(&all),
            ],
            2,
            "GTID",
        ),
    ];
    for (args, code, why) in cases {
        let mut a = vec!["transactions"];
        a.extend(args.iter().map(String::as_str));
        let out = myreplay(&a);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
        assert!(err.contains(why), "{args:?}: {why} not in: {err}");
        assert!(out.stdout.is_empty(), "{args:?}: nothing listed");
    }
    // The gap accepted: listed, with a warning.
    let out = myreplay(&[
        "transactions",
        "--allow-gap",
        "--start-gtid",
        "0-1-5,2-0-0",
        "--binlog-dir",
        &p(&holed),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("accepted: --allow-gap"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_backup_given_with_files_goes_by_its_gtid_state_and_reports_a_disagreeing_position() {
    // mariadb-backup 10.11 recorded `binlog.000002 606 0-1-4,2-1-1` on the
    // server it ran on; in these binlogs 0-1-4 is in binlog.000001, so the
    // position does not match the GTID state: the GTID state decides, and
    // the warning names both.
    let b = backup_fixture("mariadb-backup-10.11");
    let files: Vec<String> = (1..=5).map(|n| fixture(n).display().to_string()).collect();
    let mut a = vec!["transactions", "--from-backup", b.to_str().unwrap()];
    a.extend(files.iter().map(String::as_str));
    let out = myreplay(&a);
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("xtrabackup_binlog_info line 1"), "{err}");
    assert!(
        err.contains("binlog.000002:606")
            && err.contains("disagree")
            && err.contains("The GTID set is used"),
        "{err}"
    );
    let first = text(&out.stdout).lines().next().unwrap().to_string();
    assert!(first.contains("\t0-1-5\t"), "{first}");
}
