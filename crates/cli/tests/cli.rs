//! The `myreplay events` and `transactions` commands, run as a DBA would:
//! output fields, positions, and the one-line errors with their exit codes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn myreplay(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_myreplay"))
        .args(args)
        .output()
        .expect("run myreplay")
}

fn fixture(n: u32) -> String {
    let p =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../testdata/mariadb/binlog.{n:06}"));
    assert!(p.is_file(), "{} missing", p.display());
    p.display().to_string()
}

fn shared(name: &str) -> String {
    let p: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/testdata/mysql-binlogs")
        .join(name);
    assert!(
        p.is_file(),
        "{} missing: ../shared must sit beside the repository",
        p.display()
    );
    p.display().to_string()
}

fn stdout_lines(o: &Output) -> Vec<serde_json::Value> {
    assert!(
        o.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn events_json_has_the_documented_fields_and_chains() {
    let f = fixture(1);
    let events = stdout_lines(&myreplay(&["events", "--json", &f]));
    assert!(events.len() > 10);
    let mut end = 4;
    for e in &events {
        for k in [
            "file",
            "offset",
            "end",
            "type_code",
            "type",
            "timestamp",
            "server_id",
        ] {
            assert!(e.get(k).is_some(), "{k} missing in {e}");
        }
        assert_eq!(e["offset"], end);
        end = e["end"].as_u64().unwrap();
    }
    assert_eq!(events[0]["type"], "FORMAT_DESCRIPTION");
    assert_eq!(end, std::fs::metadata(&f).unwrap().len());
}

#[test]
fn transactions_json_over_a_sequence_of_files() {
    let files: Vec<String> = (1..=5).map(fixture).collect();
    let mut args = vec!["transactions", "--json"];
    args.extend(files.iter().map(String::as_str));
    let txns = stdout_lines(&myreplay(&args));
    assert_eq!(txns.len(), 70);
    for t in &txns {
        for k in ["file", "offset", "end_file", "end", "gtid", "kind", "rows"] {
            assert!(t.get(k).is_some(), "{k} missing in {t}");
        }
    }
    assert_eq!(txns[0]["gtid"], "0-1-1");
    let big = txns
        .iter()
        .find(|t| t["rows"] == 20000)
        .expect("the 20,000-row transaction");
    assert_eq!(big["kind"], "row");
    let kinds: std::collections::BTreeSet<&str> =
        txns.iter().map(|t| t["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["ddl", "row", "statement", "xa"].into_iter().collect()
    );
}

#[test]
fn start_and_stop_positions_follow_mysqlbinlog() {
    let f = fixture(1);
    let all = stdout_lines(&myreplay(&["transactions", "--json", &f]));
    let (second, third) = (&all[1], &all[2]);
    let start = second["offset"].as_u64().unwrap().to_string();
    let stop = third["offset"].as_u64().unwrap().to_string();
    let some = stdout_lines(&myreplay(&[
        "transactions",
        "--json",
        "--start-position",
        &start,
        "--stop-position",
        &stop,
        &f,
    ]));
    assert_eq!(some.len(), 1);
    assert_eq!(some[0]["gtid"], second["gtid"]);

    // Not an event boundary: a clear error that names the nearest boundaries.
    let inside = (second["offset"].as_u64().unwrap() + 3).to_string();
    let o = myreplay(&["events", "--start-position", &inside, &f]);
    assert_eq!(o.status.code(), Some(7));
    let e = stderr(&o);
    assert!(
        e.contains("not an event boundary") && e.contains(&start),
        "{e}"
    );

    // Stop before start.
    let o = myreplay(&[
        "events",
        "--start-position",
        &stop,
        "--stop-position",
        &start,
        &f,
    ]);
    assert_eq!(o.status.code(), Some(7));
    assert!(
        stderr(&o).contains("before start position"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn files_out_of_sequence_are_refused_naming_both() {
    let (a, b, c) = (fixture(1), fixture(2), fixture(3));
    for (args, why) in [
        (vec![&a, &c], "ROTATE to binlog.000002"),
        (vec![&b, &a], "ROTATE to binlog.000003"),
        (vec![&a, &a], "the same file is given twice"),
    ] {
        let mut full = vec!["events"];
        full.extend(args.iter().map(|s| s.as_str()));
        let o = myreplay(&full);
        assert_eq!(o.status.code(), Some(7), "{}", stderr(&o));
        let e = stderr(&o);
        assert!(
            e.contains(why) && e.contains(args[0].as_str()) && e.contains(args[1].as_str()),
            "{e}"
        );
    }
}

#[test]
fn damaged_input_fails_with_one_line_and_its_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let not_binlog = dir.path().join("notes.txt");
    std::fs::write(&not_binlog, "CHANGE MASTER TO MASTER_LOG_POS=4").unwrap();
    let empty = dir.path().join("empty.000001");
    std::fs::write(&empty, "").unwrap();
    let cases = [
        (
            shared("binlog_truncated_event.000001"),
            4,
            "at offset 4: truncated",
        ),
        (
            shared("corrupt-relay-bin.000624"),
            5,
            "at offset 91204: QUERY event",
        ),
        (
            shared("ver_5_1-wl2325_s.001"),
            6,
            "at offset 411: unsupported",
        ),
        (not_binlog.display().to_string(), 5, "not a binlog file"),
        (empty.display().to_string(), 4, "the file is empty"),
        ("/nonexistent/binlog.000001".to_string(), 3, "cannot read"),
    ];
    for (file, code, text) in cases {
        let o = myreplay(&["events", &file]);
        assert_eq!(o.status.code(), Some(code), "{file}: {}", stderr(&o));
        let e = stderr(&o);
        assert_eq!(e.lines().count(), 1, "one line: {e}");
        assert!(e.contains(text) && e.contains(&file), "{e}");
    }
    // The incident: events list it, transactions stop there.
    let f = shared("bug40482-bin.000001");
    assert!(myreplay(&["events", &f]).status.success());
    let o = myreplay(&["transactions", &f]);
    assert_eq!(o.status.code(), Some(6));
    assert!(
        stderr(&o).contains("at offset 106: INCIDENT"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn an_unfinished_transaction_is_an_error_not_a_result() {
    // Cut binlog.000004 inside its 20,000-row transaction, at an event boundary.
    let src = fixture(4);
    let bytes = std::fs::read(&src).unwrap();
    let events = stdout_lines(&myreplay(&["events", "--json", &src]));
    let cut = events[events.len() / 2]["offset"].as_u64().unwrap() as usize;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("binlog.000004");
    std::fs::write(&path, &bytes[..cut]).unwrap();
    let o = myreplay(&["transactions", &path.display().to_string()]);
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("0-1-62 is incomplete"), "{e}");
    // The complete transaction before it was still reported.
    assert_eq!(String::from_utf8_lossy(&o.stdout).lines().count(), 1);
}

#[test]
fn plan_reports_the_row_images_it_found() {
    let plan = |f: String| -> serde_json::Value {
        let o = myreplay(&["plan", "--json", &f]);
        assert!(o.status.success(), "{}", stderr(&o));
        serde_json::from_slice(&o.stdout).unwrap()
    };
    // binlog.000001: binlog_row_image=FULL; binlog.000002: MINIMAL then NOBLOB.
    let full = plan(fixture(1));
    assert!(full["row_images"]["full"].as_u64().unwrap() > 0);
    assert_eq!(full["row_images"]["partial"], 0);
    let minimal = plan(fixture(2));
    assert_eq!(minimal["row_images"]["full"], 0);
    assert!(minimal["row_images"]["partial"].as_u64().unwrap() > 0);
    // Statement-format transactions show as statement barriers.
    let stmt = plan(fixture(3));
    assert!(stmt["barriers_by_cause"]["statement"].as_u64().unwrap() > 0);
}
