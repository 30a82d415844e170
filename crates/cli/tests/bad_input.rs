//! `myreplay apply` fed bad input, one test per kind (issue 5), on every
//! flavour (issue 10): MariaDB 10.11, MariaDB 11.8 and MySQL 9.7 binlogs,
//! each replayed into a private target of the same flavour (modules
//! `on_mariadb_10_11`, `on_mariadb_11_8`, `on_mysql_9_7`). Each checks the exit code, that the error
//! names the file (and the offset where there is one), that the target holds
//! exactly the transactions before the bad point (rows and checkpoint
//! table), that stdout (`--json`) reports them, and that running the same
//! command again applies nothing more and stops at the same place.
//!
//! The source workload makes the expected state exact: transaction k
//! inserts row id=k into `app.t` and sets `app.counter.n = k`; 30
//! transactions in three files of 10 (binlog.000002..4). Transaction 15
//! (the 5th of the second file) carries a 6000-byte value, so its rows
//! event is the one an event size limit of 4096 refuses. The damaged inputs
//! are copies of the source's binlogs, damaged in a temporary directory.
//! MySQL sources and targets run with `gtid_mode=ON` (and the target's
//! transactions get fresh GTIDs, GTID_NEXT=AUTOMATIC).
//!
//! Not on MySQL: the encrypted binlog (MariaDB's START_ENCRYPTION event;
//! MySQL encrypts a whole file, which is read as "not a binlog file").

#[path = "../../apply/tests/support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use mysql::prelude::Queryable;
use support::{Flavour, PrivateMariaDb};

const SCHEMA: &str = "CREATE DATABASE app;
    CREATE TABLE app.t (id INT PRIMARY KEY, v TEXT NOT NULL) ENGINE=InnoDB;
    CREATE TABLE app.counter (id INT PRIMARY KEY, n INT NOT NULL) ENGINE=InnoDB;
    INSERT INTO app.counter VALUES (1, 0);";

/// Transaction k of the workload.
fn txn_sql(k: usize) -> String {
    let v = if k == 15 {
        "REPEAT('x', 6000)".to_string()
    } else {
        format!("'row {k}'")
    };
    format!(
        "BEGIN; INSERT INTO app.t VALUES ({k}, {v}); UPDATE app.counter SET n = {k} WHERE id = 1; COMMIT;"
    )
}

/// A source's binlogs (copied out of its datadir) and their transactions.
struct Source {
    flavour: Flavour,
    files: Vec<PathBuf>,
    txns: Vec<Txn>,
}

#[derive(Debug, Clone)]
struct Txn {
    file: String,
    offset: u64,
    end: u64,
    gtid: String,
}

/// Starts a server with `extra` options, runs the schema, then files of
/// `per_file` transactions (numbered on from 1), and copies the binlogs
/// holding them into `dir`.
fn make_source(f: Flavour, extra: &[&str], per_file: &[usize], dir: &Path) -> Source {
    let mut options = gtid_options(f);
    options.extend_from_slice(extra);
    let source = PrivateMariaDb::start_flavour(f, &options);
    source.exec(SCHEMA);
    source.exec("FLUSH BINARY LOGS");
    let before = source.binlogs().len();
    let mut k = 1;
    for &n in per_file {
        let sql: String = (k..k + n).map(txn_sql).collect();
        source.exec(&sql);
        source.exec("FLUSH BINARY LOGS");
        k += n;
    }
    std::fs::create_dir_all(dir).unwrap();
    let files: Vec<PathBuf> = source
        .binlogs_since(before)
        .iter()
        .map(|f| {
            let to = dir.join(f.file_name().unwrap());
            std::fs::copy(f, &to).unwrap();
            to
        })
        .collect();
    assert_eq!(files.len(), per_file.len());
    let txns = transactions(&files);
    assert_eq!(txns.len(), per_file.iter().sum::<usize>());
    Source {
        flavour: f,
        files,
        txns,
    }
}

/// MySQL with GTIDs on, as production runs it; MariaDB always has them.
fn gtid_options(f: Flavour) -> Vec<&'static str> {
    if f.is_mysql() {
        vec!["--gtid-mode=ON", "--enforce-gtid-consistency=ON"]
    } else {
        vec![]
    }
}

/// The rows event type a flavour writes for an INSERT.
fn write_rows(f: Flavour) -> &'static str {
    if f.is_mysql() {
        "WRITE_ROWS"
    } else {
        "WRITE_ROWS_V1"
    }
}

fn scratch(f: Flavour, name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("bad_input-{f:?}-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// The main source of a flavour: CRC32 checksums (the default), files of
/// 10, 10, 10.
fn source(f: Flavour) -> &'static Source {
    static S: [OnceLock<Source>; 3] = [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    let cell = match f {
        Flavour::MariaDb => &S[0],
        Flavour::MariaDb118 => &S[1],
        Flavour::MySql97 => &S[2],
    };
    cell.get_or_init(|| make_source(f, &[], &[10, 10, 10], &scratch(f, "source")))
}

fn myreplay(args: &[&str], files: &[PathBuf]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_myreplay"))
        .args(args)
        .args(files)
        .output()
        .expect("run myreplay")
}

fn transactions(files: &[PathBuf]) -> Vec<Txn> {
    let o = myreplay(&["transactions", "--json"], files);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| {
            let t: serde_json::Value = serde_json::from_str(l).unwrap();
            Txn {
                file: base(t["file"].as_str().unwrap()),
                offset: t["offset"].as_u64().unwrap(),
                end: t["end"].as_u64().unwrap(),
                gtid: t["gtid"].as_str().unwrap().to_string(),
            }
        })
        .collect()
}

/// (offset, end, type) of the events of a file.
fn events(file: &Path) -> Vec<(u64, u64, String)> {
    let o = myreplay(&["events", "--json"], &[file.to_path_buf()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| {
            let e: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                e["offset"].as_u64().unwrap(),
                e["end"].as_u64().unwrap(),
                e["type"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The first event of type `kind` inside transaction k (1-based): (offset, end).
fn event_in(source: &Source, k: usize, kind: &str) -> (u64, u64) {
    let t = &source.txns[k - 1];
    let file = source
        .files
        .iter()
        .find(|f| base(&f.display().to_string()) == t.file)
        .unwrap();
    events(file)
        .into_iter()
        .find(|e| e.0 >= t.offset && e.1 <= t.end && e.2 == kind)
        .map(|e| (e.0, e.1))
        .unwrap_or_else(|| panic!("no {kind} in transaction {k}: {t:?}"))
}

fn base(path: &str) -> String {
    Path::new(path)
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

/// Copies of the source's files in a new temporary directory.
fn copies(source: &Source) -> (tempfile::TempDir, Vec<PathBuf>) {
    let dir = tempfile::tempdir().unwrap();
    let files = source
        .files
        .iter()
        .map(|f| {
            let to = dir.path().join(f.file_name().unwrap());
            std::fs::copy(f, &to).unwrap();
            to
        })
        .collect();
    (dir, files)
}

/// An event with a fresh header and a CRC32.
fn event(type_code: u8, at: u64, body: &[u8]) -> Vec<u8> {
    let size = 19 + body.len() as u32 + 4;
    let mut ev = vec![];
    ev.extend_from_slice(&1_700_000_000u32.to_le_bytes());
    ev.push(type_code);
    ev.extend_from_slice(&1u32.to_le_bytes());
    ev.extend_from_slice(&size.to_le_bytes());
    ev.extend_from_slice(&(at as u32 + size).to_le_bytes());
    ev.extend_from_slice(&0u16.to_le_bytes());
    ev.extend_from_slice(body);
    let crc = crc32(&ev);
    ev.extend_from_slice(&crc.to_le_bytes());
    ev
}

/// CRC-32 (IEEE, as binlog_checksum=CRC32), bit by bit: a few events only.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn insert_at(path: &Path, at: u64, new: &[u8]) {
    let bytes = std::fs::read(path).unwrap();
    let at = at as usize;
    std::fs::write(path, [&bytes[..at], new, &bytes[at..]].concat()).unwrap();
}

/// A replay target: a fresh server with the source's schema, no binlog.
fn target(f: Flavour) -> PrivateMariaDb {
    let mut options = gtid_options(f);
    options.push("--skip-log-bin");
    let t = PrivateMariaDb::start_flavour(f, &options);
    t.exec(SCHEMA);
    t
}

fn apply(target: &PrivateMariaDb, files: &[PathBuf], extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_myreplay"))
        .arg("apply")
        .arg("-S")
        .arg(target.socket())
        .args(["-u", "root", "--no-defaults", "--workers", "2"])
        .args(extra)
        .args(files)
        .output()
        .expect("run myreplay apply")
}

/// What a bad input must give.
struct Expect<'a> {
    code: i32,
    /// Transactions 1..=applied are on the target, no others.
    applied: usize,
    /// Texts stderr must contain (file names, offsets, reasons).
    stderr: &'a [&'a str],
}

/// Runs `myreplay apply --json` on a fresh target and checks everything;
/// then runs it again (text output): nothing more is applied, same stop.
fn check(source: &Source, files: &[PathBuf], extra: &[&str], expect: Expect<'_>) {
    let target = target(source.flavour);
    let mut args = vec!["--json"];
    args.extend_from_slice(extra);
    let out = apply(&target, files, &args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(expect.code), "stderr: {stderr}");
    let line = stderr
        .lines()
        .find(|l| l.starts_with("myreplay: error:"))
        .unwrap_or_else(|| panic!("no error line: {stderr}"));
    for text in expect.stderr {
        assert!(line.contains(text), "`{text}` not in: {line}");
    }
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: stdout {}", String::from_utf8_lossy(&out.stdout)));
    assert_eq!(
        report["transactions_applied"].as_u64(),
        Some(expect.applied as u64),
        "{report}"
    );
    if expect.applied == 0 {
        assert!(report["last_applied"].is_null(), "{report}");
    } else {
        let last = &source.txns[expect.applied - 1];
        let l = &report["last_applied"];
        assert_eq!(base(l["file"].as_str().unwrap()), last.file, "{report}");
        assert_eq!(l["offset"].as_u64(), Some(last.offset), "{report}");
        assert_eq!(l["gtid"].as_str(), Some(last.gtid.as_str()), "{report}");
    }
    assert_target_holds(&target, source, expect.applied);

    // The same command again: the transactions applied are skipped, the
    // replay stops at the same bad point.
    let again = apply(&target, files, extra);
    assert_eq!(
        again.status.code(),
        Some(expect.code),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let text = String::from_utf8_lossy(&again.stdout);
    assert!(
        text.contains(&format!(
            "applied 0 transactions ({} skipped as already applied",
            expect.applied
        )),
        "{text}"
    );
    assert_target_holds(&target, source, expect.applied);
}

/// The target holds rows 1..=n, counter n, and n checkpoint rows, the
/// GTIDs of transactions 1..=n.
fn assert_target_holds(target: &PrivateMariaDb, source: &Source, n: usize) {
    let mut conn = target.conn();
    let ids: Vec<i32> = conn.query("SELECT id FROM app.t ORDER BY id").unwrap();
    assert_eq!(ids, (1..=n as i32).collect::<Vec<_>>());
    let counter: i32 = conn
        .query_first("SELECT n FROM app.counter WHERE id = 1")
        .unwrap()
        .unwrap();
    assert_eq!(counter, n as i32);
    let has_checkpoint: Option<String> = conn
        .query_first("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'myreplay' AND TABLE_NAME = 'applied'")
        .unwrap();
    let mut gtids: Vec<String> = if has_checkpoint.is_some() {
        conn.query("SELECT gtid FROM myreplay.applied").unwrap()
    } else {
        vec![]
    };
    gtids.sort();
    let mut expected: Vec<String> = source.txns[..n].iter().map(|t| t.gtid.clone()).collect();
    expected.sort();
    assert_eq!(gtids, expected, "checkpoint rows");
}

fn path_str(p: &Path) -> String {
    p.display().to_string()
}

fn a_truncated_last_event(f: Flavour) {
    let s = source(f);
    let (_dir, files) = copies(s);
    // The last event of the last file (its ROTATE), cut in the middle.
    let (at, end, kind) = events(&files[2]).pop().unwrap();
    assert_eq!(kind, "ROTATE");
    let bytes = std::fs::read(&files[2]).unwrap();
    std::fs::write(&files[2], &bytes[..(at + (end - at) / 2) as usize]).unwrap();
    check(
        s,
        &files,
        &[],
        Expect {
            code: 4,
            applied: 30,
            stderr: &[&format!(
                "{} at offset {at}: truncated ROTATE event",
                path_str(&files[2])
            )],
        },
    );
}

fn a_file_cut_inside_a_transaction(f: Flavour) {
    let s = source(f);
    let (_dir, files) = copies(s);
    // binlog.000003 ends after the rows event of transaction 15.
    let (_, rows_end) = event_in(s, 15, write_rows(f));
    let bytes = std::fs::read(&files[1]).unwrap();
    std::fs::write(&files[1], &bytes[..rows_end as usize]).unwrap();
    let t15 = &s.txns[14];
    check(
        s,
        &files[..2],
        &[],
        Expect {
            code: 4,
            applied: 14,
            stderr: &[
                &format!("{} at offset {}", path_str(&files[1]), t15.offset),
                &format!("transaction {} is incomplete", t15.gtid),
            ],
        },
    );
}

fn a_flipped_byte(f: Flavour) {
    let s = source(f);
    let (_dir, files) = copies(s);
    let (at, end) = event_in(s, 15, write_rows(f));
    let mut bytes = std::fs::read(&files[1]).unwrap();
    bytes[((at + end) / 2) as usize] ^= 0x01;
    std::fs::write(&files[1], bytes).unwrap();
    check(
        s,
        &files,
        &[],
        Expect {
            code: 5,
            applied: 14,
            stderr: &[
                &format!("{} at offset {at}: {}", path_str(&files[1]), write_rows(f)),
                "CRC32 mismatch",
            ],
        },
    );
}

fn garbage_in_a_file_without_checksums(f: Flavour) {
    let s = make_source(
        f,
        &["--binlog-checksum=NONE"],
        &[10, 10, 10],
        &scratch(f, "nochecksum"),
    );
    let (_dir, files) = copies(&s);
    // Sixteen bytes of garbage at the start of the rows event's body (table
    // id, flags, column count): without a checksum only the structure can
    // tell, and here it does.
    let (at, _) = event_in(&s, 15, write_rows(f));
    let mut bytes = std::fs::read(&files[1]).unwrap();
    bytes[at as usize + 19..at as usize + 35].fill(0xff);
    std::fs::write(&files[1], bytes).unwrap();
    check(
        &s,
        &files,
        &[],
        Expect {
            code: 5,
            applied: 14,
            stderr: &[&format!(
                "{} at offset {at}: {}",
                path_str(&files[1]),
                write_rows(f)
            )],
        },
    );
}

fn files_in_the_wrong_order(f: Flavour) {
    let s = source(f);
    let (_dir, files) = copies(s);
    let swapped = vec![files[1].clone(), files[0].clone(), files[2].clone()];
    check(
        s,
        &swapped,
        &[],
        Expect {
            code: 7,
            applied: 0,
            stderr: &[
                &path_str(&files[1]),
                &path_str(&files[0]),
                "a file is missing or the order is wrong",
            ],
        },
    );
}

fn a_file_missing_from_the_sequence(f: Flavour) {
    let s = source(f);
    let (_dir, files) = copies(s);
    let gap = vec![files[0].clone(), files[2].clone()];
    check(
        s,
        &gap,
        &[],
        Expect {
            code: 7,
            applied: 0,
            stderr: &[
                &path_str(&files[0]),
                &path_str(&files[2]),
                "a file is missing or the order is wrong",
            ],
        },
    );
}

fn files_from_two_different_servers_mixed(f: Flavour) {
    let a = source(f);
    // Another server, same schema and numbering, a different history: its
    // binlog.000003 follows its own binlog.000002 of 7 transactions.
    let b = make_source(f, &[], &[7, 5], &scratch(f, "other-server"));
    let (_dir, files) = copies(a);
    assert_eq!(base(&path_str(&b.files[1])), "binlog.000003");
    let mixed = vec![files[0].clone(), b.files[1].clone()];
    // MariaDB: the file's GTID_LIST names the state it starts from; MySQL:
    // its PREVIOUS_GTIDS lacks GTIDs the file before holds (the other
    // server has another server_uuid).
    let (list, state) = if f.is_mysql() {
        (
            "its PREVIOUS_GTIDS event (at offset".to_string(),
            "which binlog.000002 holds".to_string(),
        )
    } else {
        (
            "GTID_LIST event at offset 256".to_string(),
            format!("binlog.000002 ends at {}", a.txns[9].gtid),
        )
    };
    check(
        a,
        &mixed,
        &[],
        Expect {
            code: 7,
            applied: 10,
            stderr: &[
                &path_str(&files[0]),
                &path_str(&b.files[1]),
                &list,
                &state,
                "Give the binlogs of one server",
            ],
        },
    );
}

fn not_a_binlog_at_all(f: Flavour) {
    let s = source(f);
    let dir = tempfile::tempdir().unwrap();
    let dump = dir.path().join("dump.sql");
    std::fs::write(&dump, "-- MariaDB dump 10.19\nCREATE TABLE t (id INT);\n").unwrap();
    check(
        s,
        std::slice::from_ref(&dump),
        &[],
        Expect {
            code: 5,
            applied: 0,
            stderr: &[&path_str(&dump), "not a binlog file"],
        },
    );
}

fn not_a_binlog_after_a_good_file(f: Flavour) {
    let s = source(f);
    let (_dir, files) = copies(s);
    std::fs::write(
        &files[1],
        "-- MariaDB dump 10.19\nCREATE TABLE t (id INT);\n",
    )
    .unwrap();
    check(
        s,
        &files,
        &[],
        Expect {
            code: 5,
            applied: 10,
            stderr: &[&path_str(&files[1]), "not a binlog file"],
        },
    );
}

fn an_empty_file(f: Flavour) {
    let s = source(f);
    let (_dir, files) = copies(s);
    std::fs::write(&files[1], b"").unwrap();
    check(
        s,
        &files,
        &[],
        Expect {
            code: 4,
            applied: 10,
            stderr: &[
                &format!("{} at offset 0", path_str(&files[1])),
                "the file is empty",
            ],
        },
    );
}

fn an_encrypted_binlog(f: Flavour) {
    let s = source(f);
    let (_dir, files) = copies(s);
    // MariaDB (encrypt_binlog=ON) writes START_ENCRYPTION right after the
    // FORMAT_DESCRIPTION; what follows is ciphertext.
    let (_, fde_end, kind) = events(&files[1]).remove(0);
    assert_eq!(kind, "FORMAT_DESCRIPTION");
    let start_encryption = event(
        164,
        fde_end,
        &[1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    );
    insert_at(&files[1], fde_end, &start_encryption);
    check(
        s,
        &files,
        &[],
        Expect {
            code: 6,
            applied: 10,
            stderr: &[
                &format!("{} at offset {fde_end}", path_str(&files[1])),
                "this binlog is encrypted",
            ],
        },
    );
}

fn an_incident_event(f: Flavour) {
    let s = source(f);
    let (_dir, files) = copies(s);
    // INCIDENT (LOST_EVENTS) between transactions 15 and 16.
    let at = s.txns[15].offset;
    let mut body = 1u16.to_le_bytes().to_vec();
    body.push(11);
    body.extend_from_slice(b"lost events");
    insert_at(&files[1], at, &event(26, at, &body));
    check(
        s,
        &files,
        &[],
        Expect {
            code: 6,
            applied: 15,
            stderr: &[
                &format!("{} at offset {at}: INCIDENT", path_str(&files[1])),
                "lost events",
            ],
        },
    );
}

fn an_event_larger_than_the_limit(f: Flavour) {
    let s = source(f);
    let (at, end) = event_in(s, 15, write_rows(f));
    assert!(end - at > 6000);
    check(
        s,
        &s.files,
        &["--max-event-size", "4096"],
        Expect {
            code: 6,
            applied: 14,
            stderr: &[
                &format!(
                    "{} at offset {at}: {} event of {} bytes",
                    path_str(&s.files[1]),
                    write_rows(f),
                    end - at
                ),
                "larger than the limit of 4096 bytes",
            ],
        },
    );
}

fn a_start_position_that_is_not_an_event_boundary(f: Flavour) {
    let s = source(f);
    let t5 = &s.txns[4];
    let inside = (t5.offset + 3).to_string();
    check(
        s,
        &s.files,
        &["--start-position", &inside],
        Expect {
            code: 7,
            applied: 0,
            stderr: &[
                &format!("{} at offset {inside}", path_str(&s.files[0])),
                "not an event boundary",
                &t5.offset.to_string(),
            ],
        },
    );
}

fn a_stop_point_before_the_start(f: Flavour) {
    let s = source(f);
    let (start, stop) = (s.txns[4].offset.to_string(), s.txns[2].offset.to_string());
    check(
        s,
        &s.files[..1],
        &["--start-position", &start, "--stop-position", &stop],
        Expect {
            code: 7,
            applied: 0,
            stderr: &[
                &path_str(&s.files[0]),
                &format!("stop position {stop} is before start position {start}"),
            ],
        },
    );
}

/// Every bad input, and those only some flavours have, for one flavour.
macro_rules! bad_inputs {
    ($module:ident, $flavour:expr, [$($only:ident),* $(,)?]) => {
        $crate::flavour_tests!($module, $flavour, [
            a_truncated_last_event,
            a_file_cut_inside_a_transaction,
            a_flipped_byte,
            garbage_in_a_file_without_checksums,
            files_in_the_wrong_order,
            a_file_missing_from_the_sequence,
            files_from_two_different_servers_mixed,
            not_a_binlog_at_all,
            not_a_binlog_after_a_good_file,
            an_empty_file,
            an_incident_event,
            an_event_larger_than_the_limit,
            a_start_position_that_is_not_an_event_boundary,
            a_stop_point_before_the_start,
            $($only,)*
        ]);
    };
}

bad_inputs!(on_mariadb_10_11, Flavour::MariaDb, [an_encrypted_binlog]);
bad_inputs!(on_mariadb_11_8, Flavour::MariaDb118, [an_encrypted_binlog]);
bad_inputs!(on_mysql_9_7, Flavour::MySql97, []);
