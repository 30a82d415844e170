//! Seeds for the `rows` target: every rows event of the given binlogs, with
//! the TABLE_MAP it refers to, written in the target's input format
//! (`src/rows.rs`) into the output directory, one file per event (at most
//! `--max-per-file` per binlog, rows data cut at `--max-rows-bytes`).
//!
//!     cargo run --manifest-path fuzz/Cargo.toml --example rows_seeds -- OUT_DIR BINLOG...

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use myreplay_binlog::value::ColumnDef;
use myreplay_binlog::{EventData, EventStream, EventType, RowsKind, StreamOptions, TableMap};
use myreplay_fuzz::rows::{metadata_len, Kind, RowsInput};

const MAX_PER_FILE: usize = 40;
const MAX_ROWS_BYTES: usize = 2048;

/// Splits a TABLE_MAP body into types, metadata, null bitmap and optional metadata.
fn table_map_parts(body: &[u8]) -> Option<(Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>)> {
    let mut p = 8;
    p += usize::from(*body.get(p)?) + 2;
    p += usize::from(*body.get(p)?) + 2;
    let (n, k) = lenenc(body.get(p..)?)?;
    p += k;
    let n = n as usize;
    let types = body.get(p..p + n)?.to_vec();
    p += n;
    let (m, k) = lenenc(body.get(p..)?)?;
    p += k;
    let metadata = body.get(p..p + m as usize)?.to_vec();
    p += m as usize;
    let nulls = body.get(p..p + n.div_ceil(8))?.to_vec();
    p += n.div_ceil(8);
    Some((types, metadata, nulls, body.get(p..)?.to_vec()))
}

fn lenenc(b: &[u8]) -> Option<(u64, usize)> {
    let w = match *b.first()? {
        x @ 0..=250 => return Some((u64::from(x), 1)),
        252 => 2,
        253 => 3,
        254 => 8,
        _ => return None,
    };
    let v = b
        .get(1..1 + w)?
        .iter()
        .rev()
        .fold(0u64, |a, x| (a << 8) | u64::from(*x));
    Some((v, 1 + w))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (out, files) = args
        .split_first()
        .expect("usage: rows_seeds OUT_DIR BINLOG...");
    let out = Path::new(out);
    std::fs::create_dir_all(out).unwrap();
    let mut written = 0;
    let mut decoded_ok = 0;
    for file in files {
        let Ok(mut stream) = EventStream::open(&[file], StreamOptions::default()) else {
            continue;
        };
        let mut maps: HashMap<u64, (Arc<TableMap>, Vec<u8>)> = HashMap::new();
        let mut n = 0;
        while let Ok(Some(event)) = stream.next_event() {
            match &event.data {
                EventData::TableMap(map) => {
                    let body = event.raw.body().to_vec();
                    let id = body
                        .iter()
                        .take(6)
                        .rev()
                        .fold(0u64, |a, x| (a << 8) | u64::from(*x));
                    maps.insert(id, (map.clone(), body));
                }
                EventData::Rows(rows) if n < MAX_PER_FILE => {
                    let Some((map, body)) = maps.get(&rows.table_id) else {
                        continue;
                    };
                    let Some((types, metadata, nulls, optional)) = table_map_parts(body) else {
                        continue;
                    };
                    let expected: usize = types.iter().map(|t| metadata_len(*t)).sum();
                    if expected != metadata.len() || types.len() > 0xffff {
                        continue;
                    }
                    let kind = match (rows.layout, rows.kind) {
                        (EventType::PARTIAL_UPDATE_ROWS, _) => Kind::PartialUpdate,
                        (_, RowsKind::Write) => Kind::Write,
                        (_, RowsKind::Update) => Kind::Update,
                        (_, RowsKind::Delete) => Kind::Delete,
                    };
                    let v2 = !matches!(
                        rows.layout,
                        EventType::WRITE_ROWS_V1
                            | EventType::UPDATE_ROWS_V1
                            | EventType::DELETE_ROWS_V1
                    );
                    let extra = if v2 {
                        let len = u16::from_le_bytes([rows.body[8], rows.body[9]]) as usize;
                        rows.body[10..8 + len.max(2)].to_vec()
                    } else {
                        vec![]
                    };
                    let (before, after) = rows.present_columns();
                    let bitmaps: Vec<u8> =
                        before.into_iter().chain(after).flatten().copied().collect();
                    let data = rows.rows_data();
                    // Whole rows only, up to the size cap.
                    let cut = whole_rows(rows, &map.columns, data.len().min(MAX_ROWS_BYTES));
                    let input = RowsInput {
                        kind,
                        v2,
                        types,
                        metadata,
                        nulls,
                        optional,
                        event_columns: rows.columns as usize,
                        extra: extra[..extra.len().min(255)].to_vec(),
                        bitmaps,
                        wanted: 0x55,
                        rows: data[..cut].to_vec(),
                    };
                    let name = Path::new(file)
                        .file_name()
                        .unwrap()
                        .to_string_lossy()
                        .into_owned();
                    let parent = Path::new(file)
                        .parent()
                        .and_then(|p| p.file_name())
                        .map(|p| p.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    let bytes = input.encode();
                    assert_eq!(
                        RowsInput::parse(&bytes),
                        input,
                        "{file}: encoding round trip"
                    );
                    check(&input, &mut decoded_ok);
                    std::fs::write(out.join(format!("{parent}-{name}-{n}")), input.encode())
                        .unwrap();
                    n += 1;
                    written += 1;
                }
                _ => {}
            }
        }
    }
    eprintln!(
        "wrote {written} seeds to {} ({decoded_ok} decode to rows without error)",
        out.display()
    );
}

/// Length of the longest prefix of the rows data that holds whole rows and
/// fits in `max` (or the first row, when it alone is bigger, up to 64 KiB).
fn whole_rows(rows: &myreplay_binlog::RowsEvent, columns: &[ColumnDef], max: usize) -> usize {
    let Ok(layout) = rows.layout(columns) else {
        return max;
    };
    let data = rows.rows_data();
    let whole = |e: &usize| myreplay_binlog::value::count_rows(&layout, &data[..*e]).is_ok();
    (1..=max.min(data.len()))
        .rev()
        .find(whole)
        .or_else(|| (1..=data.len().min(1 << 16)).find(whole))
        .unwrap_or(max)
}

/// Counts the seeds whose rows decode without error (a seed that does not
/// decode still seeds, but says the conversion is off).
fn check(input: &RowsInput, ok: &mut usize) {
    use myreplay_binlog::decode::decode;
    use myreplay_binlog::Format;
    let format = Format::initial();
    let (Ok(EventData::TableMap(map)), Ok(EventData::Rows(rows))) = (
        decode(&input.table_map_event(), &format, 1 << 20),
        decode(&input.rows_event(), &format, 1 << 20),
    ) else {
        return;
    };
    if rows.rows(&map).is_ok_and(|mut r| r.all(|r| r.is_ok())) {
        *ok += 1;
    }
}
