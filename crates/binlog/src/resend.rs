//! Row events rewritten to be sent again in pieces.
//!
//! A `BINLOG '...'` statement must carry whole row statements: MariaDB
//! (10.11, checked by hand and by `apply/tests/large.rs`) silently ignores
//! the rows events of a statement continued in a second `BINLOG`
//! statement. And it must fit in the target's `max_allowed_packet`. So a
//! statement too large for one `BINLOG` statement is cut into pieces that
//! each end with STMT_END_F, and a single rows event too large is cut at
//! row boundaries into several events of the same table. Each piece is then
//! a complete row statement of its own: rows events change rows one by one,
//! so applying them in pieces, in order, inside the same transaction, gives
//! the same rows.
//!
//! Pieces keep the original event's header (timestamp, server id, flags);
//! their size is rewritten and their CRC32 computed again when the event
//! had one.

use bytes::{BufMut, Bytes, BytesMut};

use crate::event::{RowsEvent, TableMap};
use crate::header::EventHeader;
use crate::reader::RawEvent;
use crate::value::{row_end, RowsLayout, ValueError};

/// Offset of the event size in the common header.
const SIZE_AT: usize = 9;
/// Offset of the event type in the common header.
const TYPE_AT: usize = 4;

/// How to find and fix the flags of a rows event (or of a piece of one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowsFlagsAt {
    /// Offset of the 2-byte flags from the event's first byte.
    pub offset: usize,
    /// Whether the event ends with a CRC32.
    pub checksum: bool,
}

impl RowsFlagsAt {
    /// Where the flags of `rows`, read from `raw`, are.
    pub fn of(raw: &RawEvent, rows: &RowsEvent) -> Self {
        Self {
            offset: EventHeader::LEN + rows.flags_at,
            checksum: raw.has_checksum,
        }
    }

    /// The flags of `event` (an event this locates).
    pub fn flags(&self, event: &[u8]) -> u16 {
        u16::from_le_bytes([event[self.offset], event[self.offset + 1]])
    }

    /// `event` with STMT_END_F set, its CRC32 (if any) computed again.
    pub fn with_statement_end(&self, event: &[u8]) -> Bytes {
        self.with_flags(event, self.flags(event) | RowsEvent::STMT_END_F)
    }

    /// `event` with its flags set to `flags`, its CRC32 (if any) computed
    /// again.
    pub fn with_flags(&self, event: &[u8], flags: u16) -> Bytes {
        let mut b = BytesMut::from(event);
        b[self.offset..self.offset + 2].copy_from_slice(&flags.to_le_bytes());
        if self.checksum {
            let n = b.len();
            let crc = crc32fast::hash(&b[..n - 4]);
            b[n - 4..].copy_from_slice(&crc.to_le_bytes());
        }
        b.freeze()
    }
}

/// An event without a CRC32 (an inner event of a MySQL
/// TRANSACTION_PAYLOAD: the payload carries the checksum) with one, its size
/// grown by 4: how it is sent on its own under a FORMAT_DESCRIPTION that
/// announces checksums.
pub fn with_checksum(event: &[u8]) -> Bytes {
    let mut b = BytesMut::with_capacity(event.len() + 4);
    b.extend_from_slice(event);
    let size = u32::from_le_bytes(b[SIZE_AT..SIZE_AT + 4].try_into().expect("4 bytes")) + 4;
    b[SIZE_AT..SIZE_AT + 4].copy_from_slice(&size.to_le_bytes());
    let crc = crc32fast::hash(&b);
    b.put_u32_le(crc);
    b.freeze()
}

/// A rows event as its plain (uncompressed) layout: MariaDB's compressed
/// rows events (`log_bin_compress`) with their rows inflated, the type
/// and size rewritten, the CRC32 (if any) computed again. A `BINLOG`
/// statement refuses compressed rows events (MariaDB 10.11 and 11.8:
/// ERROR 1730 "Only Format_description_log_event and row events are
/// allowed in BINLOG statements (but Write_rows_compressed_v1 was
/// provided)"). A plain event is returned as it is.
pub fn plain(raw: &RawEvent, rows: &RowsEvent) -> Bytes {
    if !rows.compressed {
        return raw.bytes.clone();
    }
    let checksum = if raw.has_checksum { 4 } else { 0 };
    let len = EventHeader::LEN + rows.body.len() + checksum;
    let mut b = BytesMut::with_capacity(len);
    b.put_slice(&raw.bytes[..EventHeader::LEN]);
    b[TYPE_AT] = rows.layout.0;
    b[SIZE_AT..SIZE_AT + 4].copy_from_slice(&(len as u32).to_le_bytes());
    b.put_slice(&rows.body);
    // The flags as `rows` has them now (a caller may have changed them in
    // the raw event and in `rows`, not in the inflated body).
    let at = EventHeader::LEN + rows.flags_at;
    b[at..at + 2].copy_from_slice(&rows.flags.to_le_bytes());
    if raw.has_checksum {
        let crc = crc32fast::hash(&b);
        b.put_u32_le(crc);
    }
    b.freeze()
}

/// Cuts a rows event at row boundaries into events of at most about
/// `max_bytes` each (a row larger than that is an event of its own). The
/// pieces are plain (uncompressed) events of the event's layout; STMT_END_F
/// is cleared on all but the last, which keeps the original flags.
pub struct RowsPieces<'a> {
    raw: &'a RawEvent,
    rows: &'a RowsEvent,
    layout: RowsLayout<'a>,
    max_bytes: usize,
    pos: usize,
    row: u64,
}

impl<'a> RowsPieces<'a> {
    pub fn new(
        raw: &'a RawEvent,
        rows: &'a RowsEvent,
        table: &'a TableMap,
        max_bytes: usize,
    ) -> Result<Self, ValueError> {
        Ok(Self {
            raw,
            rows,
            layout: rows.layout(&table.columns)?,
            max_bytes,
            pos: 0,
            row: 0,
        })
    }

    /// The size of an event holding `rows_len` bytes of rows.
    fn event_len(&self, rows_len: usize) -> usize {
        EventHeader::LEN + self.rows.rows_at + rows_len + if self.raw.has_checksum { 4 } else { 0 }
    }

    fn piece(&self, rows: &[u8], last: bool) -> Bytes {
        let len = self.event_len(rows.len());
        let mut b = BytesMut::with_capacity(len);
        b.put_slice(&self.raw.bytes[..EventHeader::LEN]);
        b[TYPE_AT] = self.rows.layout.0;
        b[SIZE_AT..SIZE_AT + 4].copy_from_slice(&(len as u32).to_le_bytes());
        let header_end = EventHeader::LEN + self.rows.rows_at;
        b.put_slice(&self.rows.body[..self.rows.rows_at]);
        let mut flags = self.rows.flags;
        if !last {
            flags &= !RowsEvent::STMT_END_F;
        }
        let at = EventHeader::LEN + self.rows.flags_at;
        b[at..at + 2].copy_from_slice(&flags.to_le_bytes());
        debug_assert_eq!(b.len(), header_end);
        b.put_slice(rows);
        if self.raw.has_checksum {
            let crc = crc32fast::hash(&b);
            b.put_u32_le(crc);
        }
        b.freeze()
    }
}

impl Iterator for RowsPieces<'_> {
    type Item = Result<Bytes, ValueError>;

    fn next(&mut self) -> Option<Self::Item> {
        let data = self.rows.rows_data();
        if self.pos >= data.len() {
            return None;
        }
        let start = self.pos;
        let mut end = start;
        while end < data.len() {
            let next = match row_end(&self.layout, data, end, self.row) {
                Ok(n) => n,
                Err(e) => {
                    self.pos = data.len();
                    return Some(Err(e));
                }
            };
            if end > start && self.event_len(next - start) > self.max_bytes {
                break;
            }
            end = next;
            self.row += 1;
        }
        self.pos = end;
        Some(Ok(self.piece(&data[start..end], end == data.len())))
    }
}
