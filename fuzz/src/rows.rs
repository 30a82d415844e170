//! The `rows` fuzz target's input format and body, shared with the seed
//! converter (`examples/rows_seeds.rs`) and the regression test
//! (`crates/binlog/tests/fuzz_regressions.rs` includes this file by path, so
//! it uses nothing but `myreplay_binlog`, its `bytes` dependency and std).
//!
//! An input is a table definition plus a rows event, laid out so that every
//! byte string is some input (missing bytes read as zero):
//!
//! | bytes | meaning |
//! |---|---|
//! | 1 | mode: bits 0-1 kind (0 WRITE, 1 UPDATE, 2 DELETE, 3 PARTIAL_UPDATE), bit 2 v2 layout (forced for PARTIAL_UPDATE), bit 3 explicit event column count |
//! | 1 (+2) | table column count `n`; 255 means a u16 LE count follows |
//! | 1 | `wanted` mask: column `i` is decoded by `rows_only` when bit `i % 8` is set |
//! | 0 or 2 | event column count `m` (u16 LE) when mode bit 3 is set, else `m = n` |
//! | per column: 1 + 0..2 | type: index into [`TYPES`] when below its length, else the raw code; then the column's metadata bytes (as many as a TABLE_MAP carries for the type) |
//! | ceil(n/8) | TABLE_MAP nullability bitmap |
//! | 2 + len | optional metadata (u16 LE length, then the bytes) |
//! | v2 only: 1 + len | rows-event extra data (u8 length, then the bytes) |
//! | ceil(m/8) x 1 or 2 | present-column bitmap(s) (two for UPDATE) |
//! | rest | the row images |
//!
//! From it, [`run`] builds a real TABLE_MAP event and rows event, decodes
//! both with [`myreplay_binlog::decode::decode`], and reads every row and
//! every value through the event API (`layout`, `count_rows`, `rows`,
//! `rows_only`) and the value API (`columns_from_parts`, `RowsLayout`,
//! `decode_rows`, `decode_rows_only`, `count_rows`, `value_len`,
//! `decode_value`), checking that the paths agree with each other.

use std::sync::Arc;

use bytes::Bytes;
use myreplay_binlog::decode::decode;
use myreplay_binlog::value::{
    columns_from_parts, count_rows, decode_rows, decode_rows_only, decode_value, value_len,
    ColumnDef, RowImages, RowsLayout, ValueError,
};
use myreplay_binlog::{EventData, EventHeader, EventType, Format, Position, RawEvent, RowsEvent};

/// Column types a table map can name: 0-19 and 242-255 (some of them never
/// valid in a row image, which must be an error).
pub const TYPES: [u8; 34] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 242, 243, 244, 245, 246,
    247, 248, 249, 250, 251, 252, 253, 254, 255,
];

/// Events and inflated payloads are capped at this size, as in the other targets.
pub const LIMIT: u64 = 1 << 20;

/// Metadata bytes a TABLE_MAP carries for a column type (MySQL
/// `Table_map_log_event`; 0 for the types it does not know).
pub fn metadata_len(column_type: u8) -> usize {
    match column_type {
        4 | 5 | 17 | 18 | 19 | 242 | 245 | 249 | 250 | 251 | 252 | 255 => 1,
        15 | 16 | 246 | 247 | 248 | 254 => 2,
        _ => 0,
    }
}

/// What a rows event does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Write,
    Update,
    Delete,
    PartialUpdate,
}

/// One decoded `rows` input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowsInput {
    pub kind: Kind,
    pub v2: bool,
    /// Raw column type codes of the table map.
    pub types: Vec<u8>,
    /// The table map's column metadata block.
    pub metadata: Vec<u8>,
    pub nulls: Vec<u8>,
    pub optional: Vec<u8>,
    /// Column count of the rows event.
    pub event_columns: usize,
    /// v2 extra data (after its 2-byte length).
    pub extra: Vec<u8>,
    /// The present-column bitmap(s), back to back.
    pub bitmaps: Vec<u8>,
    pub wanted: u8,
    pub rows: Vec<u8>,
}

/// Reads bytes from the front; past the end everything is zero.
struct Input<'a>(&'a [u8]);

impl<'a> Input<'a> {
    fn take(&mut self, n: usize) -> Vec<u8> {
        let k = n.min(self.0.len());
        let mut out = self.0[..k].to_vec();
        self.0 = &self.0[k..];
        out.resize(n, 0);
        out
    }

    fn u8(&mut self) -> u8 {
        self.take(1)[0]
    }

    fn u16(&mut self) -> u16 {
        let b = self.take(2);
        u16::from_le_bytes([b[0], b[1]])
    }
}

impl RowsInput {
    /// Reads an input; never fails.
    pub fn parse(data: &[u8]) -> Self {
        let mut i = Input(data);
        let mode = i.u8();
        let kind = match mode & 3 {
            0 => Kind::Write,
            1 => Kind::Update,
            2 => Kind::Delete,
            _ => Kind::PartialUpdate,
        };
        let v2 = mode & 4 != 0 || kind == Kind::PartialUpdate;
        let n = match i.u8() {
            255 => usize::from(i.u16()),
            c => usize::from(c),
        };
        let wanted = i.u8();
        let event_columns = if mode & 8 != 0 {
            usize::from(i.u16())
        } else {
            n
        };
        let mut types = Vec::with_capacity(n);
        let mut metadata = Vec::new();
        for _ in 0..n {
            let b = i.u8();
            let t = TYPES.get(usize::from(b)).copied().unwrap_or(b);
            types.push(t);
            metadata.extend(i.take(metadata_len(t)));
        }
        let nulls = i.take(n.div_ceil(8));
        let len = usize::from(i.u16());
        let optional = i.take(len);
        let extra = if v2 {
            let len = usize::from(i.u8());
            i.take(len)
        } else {
            vec![]
        };
        let images = if matches!(kind, Kind::Update | Kind::PartialUpdate) {
            2
        } else {
            1
        };
        let bitmaps = i.take(event_columns.div_ceil(8) * images);
        Self {
            kind,
            v2,
            types,
            metadata,
            nulls,
            optional,
            event_columns,
            extra,
            bitmaps,
            wanted,
            rows: i.0.to_vec(),
        }
    }

    /// The bytes [`RowsInput::parse`] reads back as `self` (for seeds). The
    /// metadata block must hold [`metadata_len`] bytes per column, counts and
    /// lengths must fit their fields.
    pub fn encode(&self) -> Vec<u8> {
        let n = self.types.len();
        let explicit = self.event_columns != n;
        let mut out = vec![
            match self.kind {
                Kind::Write => 0,
                Kind::Update => 1,
                Kind::Delete => 2,
                Kind::PartialUpdate => 3,
            } | if self.v2 { 4 } else { 0 }
                | if explicit { 8 } else { 0 },
        ];
        if n < 255 {
            out.push(n as u8);
        } else {
            out.push(255);
            out.extend((n as u16).to_le_bytes());
        }
        out.push(self.wanted);
        if explicit {
            out.extend((self.event_columns as u16).to_le_bytes());
        }
        let mut meta = &self.metadata[..];
        for &t in &self.types {
            let index = TYPES.iter().position(|x| *x == t).map_or(t, |p| p as u8);
            out.push(index);
            let (m, rest) = meta.split_at(metadata_len(t).min(meta.len()));
            out.extend(m);
            meta = rest;
        }
        out.extend(&self.nulls);
        out.extend((self.optional.len() as u16).to_le_bytes());
        out.extend(&self.optional);
        if self.v2 {
            out.push(self.extra.len() as u8);
            out.extend(&self.extra);
        }
        out.extend(&self.bitmaps);
        out.extend(&self.rows);
        out
    }

    /// The TABLE_MAP event (table id 1, schema `d`, table `t`).
    pub fn table_map_event(&self) -> RawEvent {
        let mut body = vec![1, 0, 0, 0, 0, 0, 1, 0, 1, b'd', 0, 1, b't', 0];
        put_lenenc(&mut body, self.types.len() as u64);
        body.extend(&self.types);
        put_lenenc(&mut body, self.metadata.len() as u64);
        body.extend(&self.metadata);
        body.extend(&self.nulls);
        body.extend(&self.optional);
        raw_event(EventType::TABLE_MAP, body)
    }

    /// The rows event on table 1, STMT_END_F set.
    pub fn rows_event(&self) -> RawEvent {
        let event_type = match (self.kind, self.v2) {
            (Kind::Write, false) => EventType::WRITE_ROWS_V1,
            (Kind::Update, false) => EventType::UPDATE_ROWS_V1,
            (Kind::Delete, false) => EventType::DELETE_ROWS_V1,
            (Kind::Write, true) => EventType::WRITE_ROWS,
            (Kind::Update, true) => EventType::UPDATE_ROWS,
            (Kind::Delete, true) => EventType::DELETE_ROWS,
            (Kind::PartialUpdate, _) => EventType::PARTIAL_UPDATE_ROWS,
        };
        let mut body = vec![1, 0, 0, 0, 0, 0, 1, 0];
        if self.v2 {
            body.extend((self.extra.len() as u16 + 2).to_le_bytes());
            body.extend(&self.extra);
        }
        put_lenenc(&mut body, self.event_columns as u64);
        body.extend(&self.bitmaps);
        body.extend(&self.rows);
        raw_event(event_type, body)
    }
}

fn put_lenenc(out: &mut Vec<u8>, v: u64) {
    match v {
        0..=250 => out.push(v as u8),
        251..=0xffff => {
            out.push(252);
            out.extend((v as u16).to_le_bytes());
        }
        0x1_0000..=0xff_ffff => {
            out.push(253);
            out.extend(&v.to_le_bytes()[..3]);
        }
        _ => {
            out.push(254);
            out.extend(v.to_le_bytes());
        }
    }
}

fn raw_event(event_type: EventType, body: Vec<u8>) -> RawEvent {
    let size = (EventHeader::LEN + body.len()) as u32;
    let mut bytes = Vec::with_capacity(size as usize);
    bytes.extend(0u32.to_le_bytes()); // timestamp
    bytes.push(event_type.code());
    bytes.extend(1u32.to_le_bytes()); // server id
    bytes.extend(size.to_le_bytes());
    bytes.extend((4 + size).to_le_bytes()); // log_pos
    bytes.extend(0u16.to_le_bytes()); // flags
    let header = EventHeader::parse(bytes[..EventHeader::LEN].try_into().unwrap());
    bytes.extend(body);
    RawEvent {
        pos: Position::new(Arc::<str>::from("fuzz"), 4),
        header,
        bytes: Bytes::from(bytes),
        has_checksum: false,
    }
}

/// Values compared by their debug text (NaN floats are equal to themselves).
fn same(a: &RowImages, b: &RowImages, wanted: &[bool]) -> bool {
    let image = |x: &Option<Vec<Option<myreplay_binlog::value::Value>>>,
                 y: &Option<Vec<Option<myreplay_binlog::value::Value>>>| {
        match (x, y) {
            (None, None) => true,
            (Some(x), Some(y)) => {
                x.len() == y.len()
                    && x.iter().zip(y).enumerate().all(|(i, (v, w))| {
                        if wanted[i] {
                            format!("{v:?}") == format!("{w:?}")
                        } else {
                            w.is_none()
                        }
                    })
            }
            _ => false,
        }
    };
    image(&a.before, &b.before) && image(&a.after, &b.after)
}

/// Reads all rows of `layout` three ways (count, full decode, decode of the
/// `wanted` columns) and checks they agree. Returns the row count, or the
/// error of the full decode.
fn check_rows(layout: &RowsLayout<'_>, data: &[u8], wanted: &[bool]) -> Result<u64, ValueError> {
    let counted = count_rows(layout, data);
    let mut all = decode_rows(layout, data);
    let mut only = decode_rows_only(layout, data, Some(wanted));
    let mut rows = 0u64;
    let outcome = loop {
        let Some(row) = all.next() else {
            break Ok(rows);
        };
        match (row, only.next()) {
            (Ok(row), Some(Ok(part))) => {
                assert!(
                    same(&row, &part, wanted),
                    "rows_only disagrees with rows at row {rows}"
                );
            }
            // rows_only skips unwanted values with value_len, which decoding
            // must agree with: it cannot fail where the full decode does not.
            (Ok(_), other) => panic!("rows_only gave {other:?} at row {rows}, rows succeeded"),
            (Err(e), _) => break Err(e),
        }
        rows += 1;
    };
    assert!(all.next().is_none(), "rows yields after an error");
    if let Ok(n) = &outcome {
        assert_eq!(
            counted.as_ref().ok(),
            Some(n),
            "count_rows {counted:?}, rows decoded {n}"
        );
    }
    if counted.is_err() {
        assert!(outcome.is_err(), "count_rows failed where rows succeeded");
    }
    outcome
}

/// The fuzz target's body: no input may panic (and the three ways of reading
/// rows must agree).
pub fn run(data: &[u8]) {
    let input = RowsInput::parse(data);
    let format = Format::initial();
    let wanted: Vec<bool> = (0..input.types.len().max(input.event_columns))
        .map(|i| input.wanted & (1 << (i % 8)) != 0)
        .collect();

    // The value API straight from the pieces, and the TABLE_MAP event.
    let direct = columns_from_parts(&input.types, &input.metadata, &input.nulls, &input.optional);
    let map = match decode(&input.table_map_event(), &format, LIMIT) {
        Ok(EventData::TableMap(map)) => Some(map),
        Ok(other) => panic!("TABLE_MAP decoded as {other:?}"),
        Err(_) => None,
    };
    if let (Ok(direct), Some(map)) = (&direct, &map) {
        assert_eq!(direct, &map.columns, "columns_from_parts vs TABLE_MAP");
    }
    let columns: &[ColumnDef] = match (&map, &direct) {
        (Some(map), _) => &map.columns,
        (None, Ok(direct)) => direct,
        (None, Err(_)) => return,
    };

    // Every column's decoder on the raw row bytes (JSON, DECIMAL, temporal...).
    for col in columns {
        let len = value_len(col, &input.rows);
        if let Ok((_, n)) = decode_value(col, &input.rows) {
            assert_eq!(len, Ok(n), "value_len vs decode_value");
        }
        if len.is_err() {
            assert!(decode_value(col, &input.rows).is_err());
        }
    }

    let rows: RowsEvent = match decode(&input.rows_event(), &format, LIMIT) {
        Ok(EventData::Rows(rows)) => rows,
        Ok(other) => panic!("rows event decoded as {other:?}"),
        Err(_) => return,
    };
    let (before, after) = rows.present_columns();
    let partial = rows.layout == EventType::PARTIAL_UPDATE_ROWS;
    // The value API with the event's bitmaps.
    let by_value = RowsLayout::new(columns, rows.columns as usize, before, after, partial)
        .map(|layout| check_rows(&layout, rows.rows_data(), &wanted));
    // The event API.
    if let Some(map) = &map {
        let layout = rows.layout(&map.columns);
        assert_eq!(
            layout.is_ok(),
            by_value.is_ok(),
            "layout vs RowsLayout::new"
        );
        if let Ok(layout) = layout {
            let outcome = check_rows(&layout, rows.rows_data(), &wanted);
            let count = rows.count_rows(map);
            let decoded = rows.rows(map).expect("layout succeeded");
            let decoded_ok = decoded.clone().take_while(Result::is_ok).count() as u64;
            let decoded_all = decoded.count() as u64;
            let only = rows.rows_only(map, &wanted).expect("layout succeeded");
            let only_all = only.count() as u64;
            if let Ok(n) = outcome {
                assert_eq!(count, Ok(n));
                assert_eq!((decoded_ok, decoded_all, only_all), (n, n, n));
            }
        }
    }
}
