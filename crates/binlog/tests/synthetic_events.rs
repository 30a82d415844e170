//! Events no fixture holds, appended with a valid CRC32 to a real MariaDB
//! binlog: what the reader does with an encrypted binlog, unknown event
//! types with and without the ignorable flag, and an impossible size.

use std::path::{Path, PathBuf};

use myreplay_binlog::{EventData, EventStream, EventType, StreamOptions};

const IGNORABLE: u16 = 0x80;

/// `testdata/mariadb/binlog.000005` (CRC32, ends with STOP) with `event` appended.
fn with_event(dir: &Path, type_code: u8, flags: u16, body: &[u8]) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/mariadb/binlog.000005");
    let mut bytes = std::fs::read(src).unwrap();
    let start = bytes.len() as u32;
    let size = 19 + body.len() as u32 + 4;
    let mut ev = vec![];
    ev.extend_from_slice(&1_700_000_000u32.to_le_bytes());
    ev.push(type_code);
    ev.extend_from_slice(&1u32.to_le_bytes());
    ev.extend_from_slice(&size.to_le_bytes());
    ev.extend_from_slice(&(start + size).to_le_bytes());
    ev.extend_from_slice(&flags.to_le_bytes());
    ev.extend_from_slice(body);
    let crc = crc32fast::hash(&ev);
    ev.extend_from_slice(&crc.to_le_bytes());
    bytes.extend_from_slice(&ev);
    let path = dir.join("binlog.000005");
    std::fs::write(&path, bytes).unwrap();
    path
}

fn read_all(path: &Path) -> Result<Vec<myreplay_binlog::Event>, myreplay_binlog::Error> {
    EventStream::open(&[path], StreamOptions::default())?.collect()
}

#[test]
fn an_encrypted_binlog_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    // START_ENCRYPTION: scheme (1), key version (4), nonce (12).
    let path = with_event(
        dir.path(),
        164,
        0,
        &[1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    );
    let err = read_all(&path).unwrap_err();
    assert_eq!(err.kind(), "encrypted");
    assert_eq!(err.position().unwrap().offset, 3125);
    assert!(
        err.to_string().contains("this binlog is encrypted"),
        "{err}"
    );
}

#[test]
fn an_unknown_event_is_skipped_only_when_flagged_ignorable() {
    let dir = tempfile::tempdir().unwrap();
    let path = with_event(dir.path(), 200, IGNORABLE, b"future stuff");
    let events = read_all(&path).unwrap();
    let last = events.last().unwrap();
    assert_eq!(last.event_type(), EventType(200));
    assert!(matches!(last.data, EventData::Ignorable));

    let path = with_event(dir.path(), 200, 0, b"future stuff");
    let err = read_all(&path).unwrap_err();
    assert_eq!(err.kind(), "unknown_event");
    assert_eq!(err.position().unwrap().offset, 3125);
    assert!(err.to_string().contains("unknown event type 200"), "{err}");
}

#[test]
fn a_size_smaller_than_the_header_is_corruption_not_truncation() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/mariadb/binlog.000005");
    let mut bytes = std::fs::read(src).unwrap();
    // The second event (GTID_LIST at 256): claim a size of 7.
    bytes[256 + 9..256 + 13].copy_from_slice(&7u32.to_le_bytes());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("binlog.000005");
    std::fs::write(&path, bytes).unwrap();
    let err = read_all(&path).unwrap_err();
    assert_eq!(
        (err.kind(), err.position().unwrap().offset),
        ("bad_event_size", 256)
    );
}

#[test]
fn a_size_beyond_the_end_of_the_file_is_truncation() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/mariadb/binlog.000005");
    let bytes = std::fs::read(src).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("binlog.000005");
    // Cut the last event (STOP, 23 bytes at 3102) in the middle.
    std::fs::write(&path, &bytes[..3122]).unwrap();
    let err = read_all(&path).unwrap_err();
    assert_eq!(
        (err.kind(), err.position().unwrap().offset),
        ("truncated", 3102)
    );
    assert!(err.to_string().contains("truncated STOP event"), "{err}");
}
