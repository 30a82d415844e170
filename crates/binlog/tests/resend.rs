//! Rows events cut into pieces (`resend`): every piece is a valid event
//! (CRC32 verified when read back), the pieces hold the original rows in
//! order, and only the last keeps STMT_END_F.

use std::path::PathBuf;

use bytes::{BufMut, Bytes, BytesMut};
use myreplay_binlog::resend::{RowsFlagsAt, RowsPieces};
use myreplay_binlog::{EventData, EventStream, RowsEvent, StreamOptions};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/mariadb")
        .join(name)
}

/// All events of a file.
fn events(bytes: Bytes) -> Vec<myreplay_binlog::Event> {
    let len = bytes.len() as u64;
    let mut s = EventStream::from_reader(
        "pieces",
        std::io::Cursor::new(bytes),
        Some(len),
        StreamOptions::default(),
    )
    .unwrap();
    let mut out = vec![];
    while let Some(e) = s.next_event().unwrap() {
        out.push(e);
    }
    out
}

fn rows_of(e: &myreplay_binlog::Event, map: &myreplay_binlog::TableMap) -> Vec<String> {
    let EventData::Rows(r) = &e.data else {
        panic!("not a rows event")
    };
    r.rows(map)
        .unwrap()
        .map(|row| format!("{:?}", row.unwrap()))
        .collect()
}

#[test]
fn a_rows_event_cut_at_row_boundaries_gives_the_same_rows() {
    // binlog.000004: one INSERT ... SELECT of 20,000 rows in 23 rows events.
    let file = std::fs::read(fixture("binlog.000004")).unwrap();
    let all = events(Bytes::from(file.clone()));
    let fde = all
        .iter()
        .find(|e| matches!(e.data, EventData::FormatDescription { .. }))
        .unwrap();
    let (map_event, map) = all
        .iter()
        .find_map(|e| match &e.data {
            EventData::TableMap(m) => Some((e, m.clone())),
            _ => None,
        })
        .unwrap();
    let mut checked = 0;
    for e in &all {
        let EventData::Rows(rows) = &e.data else {
            continue;
        };
        for max in [200, 1_000, 4_000, 1 << 20] {
            let pieces: Vec<Bytes> = RowsPieces::new(&e.raw, rows, &map, max)
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            assert!(!pieces.is_empty());
            if max >= e.raw.bytes.len() {
                assert_eq!(pieces.len(), 1);
            }
            // Read the pieces back as a binlog: magic, FDE, TABLE_MAP, pieces.
            let mut b = BytesMut::new();
            b.put_slice(b"\xfebin");
            b.put_slice(&fde.raw.bytes);
            b.put_slice(&map_event.raw.bytes);
            for p in &pieces {
                assert!(p.len() <= max.max(p.len()));
                b.put_slice(p);
            }
            let back = events(b.freeze());
            let back_rows: Vec<&myreplay_binlog::Event> = back
                .iter()
                .filter(|e| matches!(e.data, EventData::Rows(_)))
                .collect();
            assert_eq!(back_rows.len(), pieces.len());
            let got: Vec<String> = back_rows.iter().flat_map(|p| rows_of(p, &map)).collect();
            assert_eq!(got, rows_of(e, &map), "rows of the pieces, max {max}");
            for (i, p) in back_rows.iter().enumerate() {
                let EventData::Rows(r) = &p.data else {
                    unreachable!()
                };
                let last = i + 1 == back_rows.len();
                assert_eq!(
                    r.is_statement_end(),
                    last && rows.is_statement_end(),
                    "STMT_END_F on piece {i}"
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 20 * 4, "{checked}");
}

#[test]
fn marking_a_statement_end_keeps_the_event_valid() {
    let file = std::fs::read(fixture("binlog.000004")).unwrap();
    let all = events(Bytes::from(file));
    let e = all
        .iter()
        .find(|e| matches!(&e.data, EventData::Rows(r) if !r.is_statement_end()))
        .unwrap();
    let EventData::Rows(rows) = &e.data else {
        unreachable!()
    };
    let at = RowsFlagsAt::of(&e.raw, rows);
    assert_eq!(at.flags(&e.raw.bytes), rows.flags);
    let marked = at.with_statement_end(&e.raw.bytes);
    assert_eq!(at.flags(&marked), rows.flags | RowsEvent::STMT_END_F);
    assert_eq!(marked.len(), e.raw.bytes.len());
    // Read back with CRC checks on: the checksum was computed again.
    let fde = &all[0].raw.bytes;
    let map = all
        .iter()
        .find(|e| matches!(e.data, EventData::TableMap(_)))
        .unwrap();
    let mut b = BytesMut::new();
    b.put_slice(b"\xfebin");
    b.put_slice(fde);
    b.put_slice(&map.raw.bytes);
    b.put_slice(&marked);
    let back = events(b.freeze());
    let EventData::Rows(r) = &back.last().unwrap().data else {
        panic!()
    };
    assert!(r.is_statement_end());
}

#[test]
fn an_event_without_its_crc32_gets_it_back() {
    // What a MySQL TRANSACTION_PAYLOAD's inner events look like (no CRC32
    // of their own): the event with its checksum taken off, then restored.
    let bytes = Bytes::from(std::fs::read(fixture("binlog.000002")).unwrap());
    for e in events(bytes).iter().filter(|e| e.raw.has_checksum) {
        let full = &e.raw.bytes;
        let mut bare = BytesMut::from(&full[..full.len() - 4]);
        let size = (full.len() - 4) as u32;
        bare[9..13].copy_from_slice(&size.to_le_bytes());
        let restored = myreplay_binlog::resend::with_checksum(&bare);
        assert_eq!(&restored[..], &full[..], "{}", e.raw.pos);
    }
}
