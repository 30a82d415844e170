//! Walks the 41 real binlogs in `../shared/testdata/mysql-binlogs/` and checks
//! each against the outcome its README gives: every event read, each starting
//! where the previous ended, CRC32s verified, every rows event decoded against
//! its table map; or, for the damaged files, the expected clean error at the
//! expected offset.

use std::path::{Path, PathBuf};

use myreplay_binlog::{
    Error, EventReader, EventStream, EventType, Item, ReaderOptions, StreamOptions,
    TransactionStream,
};

fn shared_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/mysql-binlogs");
    assert!(
        dir.is_dir(),
        "{} is missing: the shared test data must sit beside the repository (../shared)",
        dir.display()
    );
    dir
}

/// What reading a file must give.
#[derive(Debug)]
enum Expect {
    /// Every event and every transaction reads.
    Parse,
    /// Events read; transaction assembly stops at an INCIDENT at this offset.
    Incident(u64),
    /// Reading stops with this error kind at this offset.
    Fails(&'static str, u64),
}

fn expectation(name: &str) -> Expect {
    match name {
        "binlog_truncated_event.000001" => Expect::Fails("truncated", 4),
        "binlog_truncated_prev_gtid_event.000001" => Expect::Fails("truncated", 120),
        "corrupt-relay-bin.000624" => Expect::Fails("corrupt", 91204),
        "ver_5_1-wl2325_r.001" => Expect::Fails("corrupt", 428),
        "ver_5_1-wl2325_s.001" => Expect::Fails("unsupported", 411),
        "bug40482-bin.000001" => Expect::Incident(106),
        _ => Expect::Parse,
    }
}

fn binlog_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(shared_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap() != "README.md")
        .collect();
    files.sort();
    assert_eq!(files.len(), 41, "the shared directory holds 41 binlogs");
    files
}

/// Reads every event; returns (events, last end, error).
fn read_events(path: &Path) -> (u64, u64, Option<Error>) {
    let mut stream = EventStream::open(&[path], StreamOptions::default()).unwrap();
    let (mut n, mut end) = (0u64, 4u64);
    loop {
        match stream.next_event() {
            Ok(Some(e)) => {
                if e.inner.is_none() {
                    assert_eq!(
                        e.raw.pos.offset,
                        end,
                        "{}: events must chain",
                        path.display()
                    );
                    assert_eq!(e.raw.bytes.len() as u64, u64::from(e.raw.header.event_size));
                }
                end = e.end;
                n += 1;
            }
            Ok(None) => return (n, end, None),
            Err(e) => return (n, end, Some(e)),
        }
    }
}

#[test]
fn every_shared_binlog_gives_its_expected_outcome() {
    let mut checked = 0;
    let mut rows_total = 0;
    for path in binlog_files() {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let size = std::fs::metadata(&path).unwrap().len();
        let (events, end, err) = read_events(&path);
        match expectation(&name) {
            Expect::Parse | Expect::Incident(_) => {
                assert!(err.is_none(), "{name}: {}", err.unwrap());
                assert_eq!(end, size, "{name}: the last event ends at the file's end");
                assert!(events >= 3, "{name}: {events} events");
            }
            Expect::Fails(kind, offset) => {
                let err = err.unwrap_or_else(|| panic!("{name} must fail with {kind}"));
                assert_eq!(err.kind(), kind, "{name}: {err}");
                assert_eq!(err.position().unwrap().offset, offset, "{name}: {err}");
                assert_eq!(end, offset, "{name}: events before the damage all read");
                let msg = err.to_string();
                assert!(
                    msg.contains(&name) && msg.contains(&offset.to_string()),
                    "{msg}"
                );
            }
        }
        // Transactions: every rows event decodes against its table map.
        let events = EventStream::open(&[&path], StreamOptions::default()).unwrap();
        let mut txns = TransactionStream::new(events);
        let mut result = Ok(());
        loop {
            match txns.next_item() {
                Ok(Some(Item::End(t))) => rows_total += t.rows,
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        match (expectation(&name), result) {
            (Expect::Parse, r) => r.unwrap_or_else(|e| panic!("{name}: {e}")),
            (Expect::Incident(offset), Err(e)) => {
                assert_eq!(
                    (e.kind(), e.position().unwrap().offset),
                    ("incident", offset)
                );
            }
            (Expect::Fails(kind, offset), Err(e)) => {
                assert_eq!(
                    (e.kind(), e.position().unwrap().offset),
                    (kind, offset),
                    "{name}: {e}"
                );
            }
            (expect, Ok(())) => panic!("{name}: transactions read, but {expect:?} was expected"),
        }
        checked += 1;
    }
    assert_eq!(checked, 41);
    assert_eq!(rows_total, 91, "row changes decoded across the files");
}

#[test]
fn checksums_are_verified() {
    // A file with CRC32: flip one byte inside the TABLE_MAP of its first
    // transaction; the reader must refuse that event and name its offset.
    let src = shared_dir().join("mariadb-bin.000001");
    let mut bytes = std::fs::read(&src).unwrap();
    let table_map_at = 476usize;
    bytes[table_map_at + 30] ^= 0x01;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mariadb-bin.000001");
    std::fs::write(&path, &bytes).unwrap();
    let (events, _, err) = read_events(&path);
    let err = err.expect("a CRC mismatch");
    assert_eq!(err.kind(), "checksum", "{err}");
    assert_eq!(err.position().unwrap().offset, table_map_at as u64);
    assert_eq!(events, 5, "the events before the damaged one are read");
    assert!(
        err.to_string().contains("TABLE_MAP event: CRC32 mismatch"),
        "{err}"
    );
}

#[test]
fn an_oversized_event_is_refused_before_allocation() {
    let src = shared_dir().join("mariadb-bin.000001");
    let mut reader = EventReader::open(
        &src,
        ReaderOptions {
            max_event_size: 200,
            verify_checksums: true,
        },
    )
    .unwrap();
    let err = reader.next_event().unwrap_err();
    assert_eq!(err.kind(), "event_too_large", "{err}");
    assert_eq!(err.position().unwrap().offset, 4);
}

#[test]
fn transaction_payload_inner_events_are_surfaced() {
    let path = shared_dir().join("transaction_compression.000001");
    let mut stream = EventStream::open(&[&path], StreamOptions::default()).unwrap();
    let mut inner = vec![];
    while let Some(e) = stream.next_event().unwrap() {
        if e.inner.is_some() {
            inner.push(e.event_type());
        }
    }
    assert_eq!(
        inner,
        [
            EventType::QUERY,
            EventType::TABLE_MAP,
            EventType::WRITE_ROWS,
            EventType::XID
        ]
    );
    let events = EventStream::open(&[&path], StreamOptions::default()).unwrap();
    let t = TransactionStream::new(events)
        .next_transaction()
        .unwrap()
        .unwrap();
    assert_eq!(t.summary.rows, 1);
}
