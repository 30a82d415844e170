//! `resend::plain`: MariaDB's compressed rows events rewritten as plain
//! ones (a `BINLOG` statement refuses compressed rows events, ERROR 1730),
//! decoded again: the same table, flags and rows as the compressed event.

use std::path::Path;

use myreplay_binlog::{decode, resend, EventData, EventHeader, EventStream, Format, RawEvent};

#[test]
fn compressed_rows_events_decode_the_same_when_plain() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/mariadb/binlog.000005");
    let mut stream = EventStream::open(&[&path], Default::default()).unwrap();
    let mut format = None;
    let mut compressed = 0;
    while let Some(e) = stream.next_event().unwrap() {
        match &e.data {
            EventData::FormatDescription { .. } => {
                format = Some(Format::from_event(&e.raw.bytes).unwrap())
            }
            EventData::Rows(r) if r.compressed => {
                compressed += 1;
                let bytes = resend::plain(&e.raw, r);
                let header = EventHeader::parse(bytes[..EventHeader::LEN].try_into().unwrap());
                assert_eq!(header.event_type, r.layout, "the plain type");
                assert_eq!(header.event_size as usize, bytes.len());
                let n = bytes.len();
                assert_eq!(
                    bytes[n - 4..],
                    crc32fast::hash(&bytes[..n - 4]).to_le_bytes()
                );
                let raw = RawEvent {
                    pos: e.raw.pos.clone(),
                    header,
                    bytes: bytes.clone(),
                    has_checksum: true,
                };
                let EventData::Rows(p) =
                    decode::decode(&raw, format.as_ref().unwrap(), 1 << 20).unwrap()
                else {
                    panic!("not a rows event once plain")
                };
                assert!(!p.compressed);
                assert_eq!(
                    (p.kind, p.table_id, p.flags, p.columns),
                    (r.kind, r.table_id, r.flags, r.columns)
                );
                assert_eq!(p.body, r.body, "the same inflated body");
                // Flags changed in the decoded event are the ones written.
                let mut changed = r.clone();
                changed.flags ^= myreplay_binlog::RowsEvent::STMT_END_F;
                let b = resend::plain(&e.raw, &changed);
                let at = resend::RowsFlagsAt::of(&raw, &p);
                assert_eq!(at.flags(&b), changed.flags);
            }
            _ => {}
        }
    }
    assert!(compressed > 0, "the fixture holds compressed rows events");
}
