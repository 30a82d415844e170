//! Files that do not follow each other: names out of order are refused
//! before anything is read, and a file whose GTID state (MariaDB GTID_LIST,
//! MySQL PREVIOUS_GTIDS) does not continue the previous file's is refused as
//! coming from another server, naming both files. Real sequences pass.

use std::path::{Path, PathBuf};

use myreplay_binlog::{Error, EventData, EventStream, Gtid, StreamOptions, TransactionStream};

fn fixture(n: u32) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../testdata/mariadb/binlog.{n:06}"))
}

fn shared(name: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/testdata/mysql-binlogs")
        .join(name);
    assert!(
        p.is_file(),
        "{} missing: ../shared must sit beside the repository",
        p.display()
    );
    p
}

fn read_all(files: &[PathBuf]) -> Result<Vec<myreplay_binlog::Event>, Error> {
    EventStream::open(files, StreamOptions::default())?.collect()
}

fn transactions(files: &[PathBuf]) -> Result<usize, Error> {
    let mut t = TransactionStream::new(EventStream::open(files, StreamOptions::default())?);
    let mut n = 0;
    while t.next_transaction()?.is_some() {
        n += 1;
    }
    Ok(n)
}

/// An event with a fresh header (type, size, log_pos) and CRC32.
fn event(type_code: u8, server_id: u32, at: u32, body: &[u8]) -> Vec<u8> {
    let size = 19 + body.len() as u32 + 4;
    let mut ev = vec![];
    ev.extend_from_slice(&1_700_000_000u32.to_le_bytes());
    ev.push(type_code);
    ev.extend_from_slice(&server_id.to_le_bytes());
    ev.extend_from_slice(&size.to_le_bytes());
    ev.extend_from_slice(&(at + size).to_le_bytes());
    ev.extend_from_slice(&0u16.to_le_bytes());
    ev.extend_from_slice(body);
    let crc = crc32fast::hash(&ev);
    ev.extend_from_slice(&crc.to_le_bytes());
    ev
}

/// `bytes` with the event at `at` (of `old_len` bytes) replaced by `new`.
fn splice(bytes: &[u8], at: usize, old_len: usize, new: &[u8]) -> Vec<u8> {
    [&bytes[..at], new, &bytes[at + old_len..]].concat()
}

fn gtid_list_body(list: &[(u32, u32, u64)]) -> Vec<u8> {
    let mut b = (list.len() as u32).to_le_bytes().to_vec();
    for &(d, s, q) in list {
        b.extend_from_slice(&d.to_le_bytes());
        b.extend_from_slice(&s.to_le_bytes());
        b.extend_from_slice(&q.to_le_bytes());
    }
    b
}

/// testdata/mariadb/binlog.000002 (GTID_LIST [0-1-12] at 256, 43 bytes)
/// with another GTID_LIST, written as `dir/binlog.000002`.
fn mariadb_file2_with_list(dir: &Path, list: &[(u32, u32, u64)]) -> PathBuf {
    let bytes = std::fs::read(fixture(2)).unwrap();
    let new = event(163, 1, 256, &gtid_list_body(list));
    let path = dir.join("binlog.000002");
    std::fs::write(&path, splice(&bytes, 256, 43, &new)).unwrap();
    path
}

fn sequence_error(r: Result<impl std::fmt::Debug, Error>) -> String {
    match r {
        Err(e @ Error::Sequence { .. }) => e.to_string(),
        other => panic!("expected a sequence error, got {other:?}"),
    }
}

#[test]
fn the_mariadb_fixtures_read_in_sequence_and_from_a_start_position() {
    let files: Vec<PathBuf> = (1..=5).map(fixture).collect();
    assert_eq!(transactions(&files).unwrap(), 70);
    for pair in files.windows(2) {
        read_all(pair).unwrap();
    }
    // From a start position inside file 1: the GTIDs before it still count.
    let events = read_all(&files[..1]).unwrap();
    let mid = events
        .iter()
        .filter(|e| matches!(e.data, EventData::Gtid(_)))
        .nth(5)
        .unwrap()
        .raw
        .pos
        .offset;
    let options = StreamOptions {
        start_position: Some(mid),
        ..StreamOptions::default()
    };
    let n = EventStream::open(&files[..2], options)
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap()
        .len();
    assert!(n > 10);
}

#[test]
fn a_stream_started_inside_a_file_hands_on_its_format_description_first() {
    // Regression (issue 9): the events from a start position are written
    // under the file's FORMAT_DESCRIPTION; skipping to the position read it
    // without handing it on, and the applier sent an empty BINLOG ''.
    let events = read_all(&[fixture(2)]).unwrap();
    let first_gtid = events
        .iter()
        .find(|e| matches!(e.data, EventData::Gtid(_)))
        .unwrap()
        .raw
        .pos
        .offset;
    for start in [first_gtid, events.last().unwrap().raw.pos.offset] {
        let options = StreamOptions {
            start_position: Some(start),
            ..StreamOptions::default()
        };
        let got = EventStream::open(&[fixture(2)], options)
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        assert!(matches!(got[0].data, EventData::FormatDescription { .. }));
        assert_eq!(got[0].raw.pos.offset, 4);
        assert_eq!(got[1].raw.pos.offset, start);
    }
}

#[test]
fn names_out_of_order_are_refused_before_anything_is_read() {
    // EventStream::open reads no event: the error comes from the names
    // (and the closing ROTATE of the first file, read for the message).
    for (files, why) in [
        (vec![fixture(2), fixture(1)], "ROTATE to binlog.000003"),
        (vec![fixture(1), fixture(3)], "ROTATE to binlog.000002"),
        (
            vec![fixture(1), fixture(2), fixture(4)],
            "ROTATE to binlog.000003",
        ),
        (vec![fixture(1), fixture(1)], "the same file is given twice"),
    ] {
        let e = sequence_error(EventStream::open(&files, StreamOptions::default()).map(|_| ()));
        assert!(e.contains(why), "{e}");
    }
    // A file without its closing ROTATE: the numbering speaks.
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(fixture(1)).unwrap();
    let cut = read_all(&[fixture(1)])
        .unwrap()
        .last()
        .unwrap()
        .raw
        .pos
        .offset as usize;
    let one = dir.path().join("binlog.000001");
    std::fs::write(&one, &bytes[..cut]).unwrap();
    let e =
        sequence_error(EventStream::open(&[one, fixture(3)], StreamOptions::default()).map(|_| ()));
    assert!(e.contains("expected number 2"), "{e}");
}

#[test]
fn a_mariadb_file_whose_gtid_list_does_not_continue_the_previous_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    // File 1 starts empty and logs 0-1-1 .. 0-1-12: file 2 must start at 0-1-12.
    let same = mariadb_file2_with_list(dir.path(), &[(0, 1, 12)]);
    read_all(&[fixture(1), same]).unwrap();
    // Without the last GTID: a transaction cut by a crash is not in the
    // state the server rebuilds, so this is allowed.
    let without_last = mariadb_file2_with_list(dir.path(), &[(0, 1, 11)]);
    read_all(&[fixture(1), without_last]).unwrap();

    for (list, shows) in [
        (vec![(0, 1, 40)], "starts with the GTID state 0-1-40"),
        (vec![(0, 1, 10)], "starts with the GTID state 0-1-10"),
        (vec![(0, 2, 12)], "starts with the GTID state 0-2-12"),
        (vec![(0, 1, 12), (0, 2, 3)], "0-1-12,0-2-3"),
        (vec![(0, 1, 12), (5, 1, 3)], "0-1-12,5-1-3"),
        // Domain 0 gone, but file 1 wrote it: no DELETE_DOMAIN_ID can do that.
        (vec![], "domain 0, holding 0-1-12, is missing"),
    ] {
        let other = mariadb_file2_with_list(dir.path(), &list);
        let err = read_all(&[fixture(1), other.clone()]).unwrap_err();
        let e = sequence_error(Err::<(), _>(err));
        assert!(e.contains(shows), "{list:?}: {e}");
        assert!(
            e.contains("binlog.000001 ends at 0-1-12")
                && e.contains("GTID_LIST event at offset 256")
                && e.contains(&fixture(1).display().to_string())
                && e.contains(&other.display().to_string())
                && e.contains("Give the binlogs of one server"),
            "{e}"
        );
        // Every event of file 1 was read before the error.
        let mut stream = EventStream::open(&[fixture(1), other], StreamOptions::default()).unwrap();
        let mut last_end = 0;
        let err = loop {
            match stream.next_event() {
                Ok(Some(ev)) => last_end = ev.end,
                Ok(None) => panic!("no error"),
                Err(e) => break e,
            }
        };
        assert_eq!(err.kind(), "sequence");
        assert_eq!(last_end, 256, "file 2's events up to its GTID_LIST");
    }
}

#[test]
fn a_whole_domain_may_be_dropped_between_files() {
    // binlog.000004 starts at [0-1-60, 2-1-1] and logs only domain 0: a
    // FLUSH BINARY LOGS DELETE_DOMAIN_ID=(2) may leave domain 2 out of the
    // next file; leaving out domain 0, which the file wrote, is refused.
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(fixture(5)).unwrap();
    let write = |list: &[(u32, u32, u64)]| {
        // binlog.000005's GTID_LIST at 256 is 59 bytes.
        let path = dir.path().join("binlog.000005");
        let new = event(163, 1, 256, &gtid_list_body(list));
        std::fs::write(&path, splice(&bytes, 256, 59, &new)).unwrap();
        path
    };
    read_all(&[fixture(4), write(&[(0, 1, 62), (2, 1, 1)])]).unwrap();
    read_all(&[fixture(4), write(&[(0, 1, 62)])]).unwrap();
    let e = sequence_error(read_all(&[fixture(4), write(&[(2, 1, 1)])]));
    assert!(e.contains("domain 0"), "{e}");
}

/// MySQL: `binlog_transaction_with_GTID.000001` (5.6, CRC32, empty
/// PREVIOUS_GTIDS at 120, GTIDs of one server, ends with STOP) as
/// `mysql-bin.000001`, and a `mysql-bin.000002` made of its
/// FORMAT_DESCRIPTION and a PREVIOUS_GTIDS holding `set`.
/// A server UUID and its GTID intervals `[start, end)`.
type SidIntervals<'a> = ([u8; 16], &'a [(u64, u64)]);

fn mysql_pair(dir: &Path, set: &[SidIntervals<'_>]) -> Vec<PathBuf> {
    let src = std::fs::read(shared("binlog_transaction_with_GTID.000001")).unwrap();
    let one = dir.join("mysql-bin.000001");
    std::fs::write(&one, &src).unwrap();
    let mut body = (set.len() as u64).to_le_bytes().to_vec();
    for (sid, intervals) in set {
        body.extend_from_slice(sid);
        body.extend_from_slice(&(intervals.len() as u64).to_le_bytes());
        for &(s, e) in *intervals {
            body.extend_from_slice(&s.to_le_bytes());
            body.extend_from_slice(&e.to_le_bytes());
        }
    }
    let mut two = src[..120].to_vec();
    two.extend_from_slice(&event(35, 1, 120, &body));
    let path = dir.join("mysql-bin.000002");
    std::fs::write(&path, two).unwrap();
    vec![one, path]
}

#[test]
fn a_mysql_file_whose_previous_gtids_lacks_gtids_of_the_previous_file_is_refused() {
    let src = shared("binlog_transaction_with_GTID.000001");
    let gtids: Vec<(Option<[u8; 16]>, u64)> = read_all(&[src])
        .unwrap()
        .iter()
        .filter_map(|e| match &e.data {
            EventData::Gtid(g) => match &g.gtid {
                Some(Gtid::MySql { sid, gno, .. }) => Some((Some(*sid), *gno)),
                _ => None,
            },
            _ => None,
        })
        .collect();
    assert!(gtids.len() >= 3, "{gtids:?}");
    let sid = gtids[0].0.unwrap();
    let (first, last) = (gtids[0].1, gtids.last().unwrap().1);
    assert_eq!(
        gtids.iter().map(|g| g.1).collect::<Vec<_>>(),
        (first..=last).collect::<Vec<_>>()
    );
    let dir = tempfile::tempdir().unwrap();
    // Everything, or everything and more (SET GLOBAL gtid_purged adds some).
    read_all(&mysql_pair(dir.path(), &[(sid, &[(first, last + 1)])])).unwrap();
    read_all(&mysql_pair(
        dir.path(),
        &[([7; 16], &[(1, 100)]), (sid, &[(1, last + 10)])],
    ))
    .unwrap();
    // All but the last (cut by a crash).
    read_all(&mysql_pair(dir.path(), &[(sid, &[(first, last)])])).unwrap();

    // Another server's file: none of them.
    let files = mysql_pair(dir.path(), &[([7; 16], &[(1, 100)])]);
    let e = sequence_error(read_all(&files));
    let text = Gtid::MySql {
        sid,
        tag: None,
        gno: first,
    }
    .to_string();
    assert!(
        e.contains(&format!(
            "PREVIOUS_GTIDS event (at offset 120) lacks {text}"
        )) && e.contains("mysql-bin.000001 holds")
            && e.contains(&files[0].display().to_string())
            && e.contains(&files[1].display().to_string()),
        "{e}"
    );
    // One missing in the middle.
    let files = mysql_pair(
        dir.path(),
        &[(sid, &[(first, first + 1), (first + 2, last + 1)])],
    );
    let e = sequence_error(read_all(&files));
    assert!(e.contains(&format!(":{}, which", first + 1)), "{e}");
}

#[test]
fn the_real_binlogs_are_not_refused() {
    // Every shared binlog alone reads as before (shared_binlogs.rs checks
    // each outcome); the ones with PREVIOUS_GTIDS, plain and tagged, decode
    // it without making the stream unreliable or failing.
    for name in [
        "binlog_transaction_with_GTID.000001",
        "binlog_transaction_previous_GTID_no_tag.000001",
        "binlog_transaction_with_GTID_TAG.000001",
        "binlog_56_gtid_reserved_word.000001",
        "transaction_compression.000001",
    ] {
        read_all(&[shared(name)]).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}
