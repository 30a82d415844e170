//! Garbage in a binlog without checksums (binlog_checksum=NONE, or servers
//! before MySQL 5.6.2 / MariaDB 5.3): what the reader catches and what it
//! cannot.
//!
//! Without a CRC32 the reader can only tell garbage when it breaks the
//! structure: an event size that cannot be (smaller than a header, larger
//! than the file or the limit), an unknown event type, a body that does not
//! decode as its type says (counts, lengths, column types). Garbage that
//! leaves the structure valid reads as a valid, wrong event: only a
//! checksum can catch that. On this file (16 bytes of 0xff at the start and
//! in the middle of every event body) that is: a statement's text, the
//! number in an XID, RAND seeds, an INTVAR value, a user variable's value,
//! the file name in a ROTATE, and the statement-based LOAD DATA events
//! (BEGIN_LOAD_QUERY, APPEND_BLOCK, EXECUTE_LOAD_QUERY: their bodies are not
//! decoded). In general also a string or number inside a row image whose
//! length fields stay plausible.
//! This test pins both halves on `ver_trunk_row_v2.001` (MySQL 5.6.4, no
//! checksums, QUERY/TABLE_MAP/ROWS v2/XID/USER_VAR/RAND/INTVAR/LOAD events).

use std::path::{Path, PathBuf};

use myreplay_binlog::{Error, EventStream, EventType, StreamOptions, TransactionStream};

fn source() -> (PathBuf, Vec<u8>) {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/testdata/mysql-binlogs/ver_trunk_row_v2.001");
    assert!(
        p.is_file(),
        "{} missing: ../shared must sit beside the repository",
        p.display()
    );
    let bytes = std::fs::read(&p).unwrap();
    (p, bytes)
}

/// (offset, size, type) of every event of the undamaged file.
fn events(path: &Path) -> Vec<(u64, u64, EventType)> {
    EventStream::open(&[path], StreamOptions::default())
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (e.raw.pos.offset, e.raw.bytes.len() as u64, e.event_type())
        })
        .collect()
}

/// Reads the events, then the transactions: the first error, if any.
fn read(path: &Path) -> Option<Error> {
    let mut events = EventStream::open(&[path], StreamOptions::default()).ok()?;
    loop {
        match events.next_event() {
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(e) => return Some(e),
        }
    }
    let mut txns =
        TransactionStream::new(EventStream::open(&[path], StreamOptions::default()).ok()?);
    loop {
        match txns.next_transaction() {
            Ok(Some(_)) => {}
            Ok(None) => return None,
            Err(e) => return Some(e),
        }
    }
}

fn write(dir: &Path, bytes: &[u8]) -> PathBuf {
    let path = dir.join("master-bin.000001");
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn garbage_in_an_event_header_is_caught_at_that_event() {
    let (src, bytes) = source();
    let evs = events(&src);
    assert_eq!(evs.len(), 40);
    let dir = tempfile::tempdir().unwrap();
    for &(at, _, t) in &evs[1..] {
        let at = at as usize;
        // The size field: impossible small, larger than the file, huge.
        for (size, kinds) in [
            (7u32, &["bad_event_size"][..]),
            (5_000_000, &["truncated"][..]),
            (0xffff_fff0, &["event_too_large"][..]),
        ] {
            let mut b = bytes.clone();
            b[at + 9..at + 13].copy_from_slice(&size.to_le_bytes());
            let path = write(dir.path(), &b);
            let e = read(&path).unwrap_or_else(|| panic!("{t} at {at}: size {size} not caught"));
            assert!(kinds.contains(&e.kind()), "{t} at {at}: {e}");
            assert_eq!(e.position().unwrap().offset, at as u64, "{e}");
            let text = e.to_string();
            assert!(
                text.contains(&format!("{} at offset {at}", path.display())),
                "{text}"
            );
        }
        // The type byte: a type nobody defines, without the ignorable flag.
        let mut b = bytes.clone();
        b[at + 4] = 0xee;
        let e = read(&write(dir.path(), &b)).expect("unknown type caught");
        assert_eq!(
            (e.kind(), e.position().unwrap().offset),
            ("unknown_event", at as u64),
            "{e}"
        );
    }
}

#[test]
fn garbage_in_an_event_body_is_caught_when_it_breaks_the_structure_and_never_earlier() {
    let (src, bytes) = source();
    let evs = events(&src);
    let dir = tempfile::tempdir().unwrap();
    let (mut caught, mut silent) = (vec![], vec![]);
    for &(at, size, t) in &evs[1..] {
        // Sixteen 0xff bytes from the start of the body, and in its middle.
        for from in [at + 19, at + 19 + (size - 19) / 2] {
            let to = (from + 16).min(at + size) as usize;
            let mut b = bytes.clone();
            b[from as usize..to].fill(0xff);
            let path = write(dir.path(), &b);
            match read(&path) {
                Some(e) => {
                    let pos = e.position().map(|p| p.offset);
                    // Never before the damaged event: everything before it is intact.
                    assert!(pos.is_none_or(|p| p >= at), "{t} at {at}: {e}");
                    assert!(e.to_string().contains(&path.display().to_string()), "{e}");
                    caught.push((t, at, from, e.kind()));
                }
                None => silent.push((t, at, from)),
            }
        }
    }
    eprintln!("caught ({}):", caught.len());
    for c in &caught {
        eprintln!("  {c:?}");
    }
    eprintln!("not detectable without checksums ({}):", silent.len());
    for s in &silent {
        eprintln!("  {s:?}");
    }
    // The structure of TABLE_MAP and rows events is checked: garbage at
    // the start of their bodies (table id, flags, column count/types) is caught.
    for t in [EventType::TABLE_MAP, EventType::WRITE_ROWS] {
        assert!(
            caught.iter().any(|c| c.0 == t),
            "{t}: garbage in its header part is caught"
        );
    }
    // What cannot be caught: a statement's text (QUERY at 1232 is
    // `INSERT INTO t1 VALUES (3, 'last stm in trx: next event should be xid')`).
    assert!(
        silent
            .iter()
            .any(|s| s.0 == EventType::QUERY && s.1 == 1232),
        "garbage inside a statement's text reads as a (wrong) statement"
    );
    for t in [EventType::XID, EventType::RAND, EventType::INTVAR] {
        assert!(silent.iter().any(|s| s.0 == t), "{t}: a number, unchecked");
    }
}
