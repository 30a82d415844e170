//! Cross-check of the row-value decoder against `mysql_common`'s `BinlogRow` on the real
//! binlog files in `shared/testdata/mysql-binlogs`: every rows event is decoded by both, and
//! the row counts, present columns, values, signedness and charsets must agree.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufReader;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use mysql_common::binlog::consts::BinlogVersion;
use mysql_common::binlog::events::{EventData, RowsEventData, TableMapEvent};
use mysql_common::binlog::jsonb::{JsonContainer, JsonDom, JsonNumber, JsonScalar};
use mysql_common::binlog::row::BinlogRow;
use mysql_common::binlog::value::BinlogValue;
use mysql_common::binlog::BinlogFile;
use mysql_common::constants::ColumnFlags;
use mysql_common::Value as MyValue;

use myreplay_binlog::value::{self as v, ColumnDef, Json, JsonDiffOp, Value};

/// Files `mysql_common`'s reader panics on (they are for the framing tests).
const EXCLUDED: &[&str] = &[
    "binlog_truncated_event.000001",
    "binlog_truncated_prev_gtid_event.000001",
    "corrupt-relay-bin.000624",
    "ver_5_1-wl2325_r.001",
    "ver_5_1-wl2325_s.001",
];

/// The shared test data sits beside the repository (`../shared`).
fn testdata() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/mysql-binlogs");
    assert!(dir.is_dir(), "test data not found at {}", dir.display());
    dir
}

#[derive(Default, Debug)]
struct Stats {
    files: usize,
    table_maps: usize,
    rows_events: usize,
    rows: u64,
    images: u64,
    values: u64,
    json_values: u64,
    /// `mysql_common` could not decode (error or panic) but we could.
    theirs_failed: Vec<String>,
}

#[test]
fn agrees_with_mysql_common_on_real_binlogs() {
    let mut paths: Vec<_> = std::fs::read_dir(testdata())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap() != "README.md")
        .collect();
    paths.sort();
    let mut stats = Stats::default();
    let mut per_type: BTreeMap<u8, u64> = BTreeMap::new();
    for path in paths {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if EXCLUDED.contains(&name.as_str()) {
            continue;
        }
        let file = BufReader::new(File::open(&path).unwrap());
        let Ok(mut binlog) = BinlogFile::new(BinlogVersion::Version4, file) else {
            continue;
        };
        stats.files += 1;
        let mut pending = Vec::new();
        while let Some(event) = binlog.next() {
            let Ok(event) = event else { break };
            pending.push(event);
            while let Some(event) = pending.pop() {
                let Ok(Some(data)) = event.read_data() else {
                    continue;
                };
                match data {
                    EventData::TableMapEvent(tme) => check_table_map(&tme, &mut stats),
                    EventData::RowsEvent(rows) => {
                        let Some(tme) = binlog.reader().get_tme(rows.table_id()) else {
                            continue;
                        };
                        let ctx = format!("{name} @{}", event.header().log_pos());
                        check_rows(&rows, tme, &ctx, &mut stats, &mut per_type);
                    }
                    EventData::TransactionPayloadEvent(tpe) => {
                        let mut inner = tpe.decompressed().unwrap();
                        let mut inner_events = Vec::new();
                        while let Some(ev) =
                            binlog.reader_mut().read_decompressed(&mut inner).unwrap()
                        {
                            inner_events.push(ev);
                        }
                        // Table maps were registered while reading; check in order.
                        inner_events.reverse();
                        pending.extend(inner_events);
                    }
                    _ => {}
                }
            }
        }
    }
    println!("{stats:#?}");
    println!("values per column type: {per_type:?}");
    assert!(stats.rows > 0 && stats.values > 0);
    assert!(
        stats.theirs_failed.is_empty(),
        "mysql_common failed where we did not: {:?}",
        stats.theirs_failed
    );
}

fn check_table_map(tme: &TableMapEvent<'_>, stats: &mut Stats) {
    stats.table_maps += 1;
    let cols = v::columns_from_table_map(tme).expect("table map decodes");
    assert_eq!(cols.len() as u64, tme.columns_count());
    for (i, col) in cols.iter().enumerate() {
        let theirs = tme.get_column_type(i).unwrap().unwrap() as u8;
        let ours = match col.column_type() {
            v::types::DATE => v::types::NEWDATE,
            t => t,
        };
        assert_eq!(ours, theirs, "column {i} type");
        assert_eq!(
            col.nullable,
            tme.null_bitmask()[i],
            "column {i} nullability"
        );
    }
}

fn check_rows(
    rows: &RowsEventData<'_>,
    tme: &TableMapEvent<'_>,
    ctx: &str,
    stats: &mut Stats,
    per_type: &mut BTreeMap<u8, u64>,
) {
    stats.rows_events += 1;
    let cols = v::columns_from_table_map(tme).expect("table map decodes");
    let ours = v::decode_rows_event(rows, &cols).unwrap_or_else(|e| panic!("{ctx}: {e}"));
    let count = v::count_rows_event(rows, &cols).unwrap_or_else(|e| panic!("{ctx}: {e}"));
    assert_eq!(count, ours.len() as u64, "{ctx}: count_rows vs decode_rows");

    let theirs = catch_unwind(AssertUnwindSafe(|| {
        rows.rows(tme).collect::<Result<Vec<_>, _>>()
    }));
    let theirs = match theirs {
        Ok(Ok(theirs)) => theirs,
        Ok(Err(e)) => return stats.theirs_failed.push(format!("{ctx}: {e}")),
        Err(_) => return stats.theirs_failed.push(format!("{ctx}: panic")),
    };
    assert_eq!(ours.len(), theirs.len(), "{ctx}: row count");
    stats.rows += ours.len() as u64;
    for (r, (our_row, (their_before, their_after))) in ours.iter().zip(&theirs).enumerate() {
        for (our_img, their_img) in [
            (&our_row.before, their_before),
            (&our_row.after, their_after),
        ] {
            assert_eq!(our_img.is_some(), their_img.is_some(), "{ctx} row {r}");
            if let (Some(o), Some(t)) = (our_img, their_img) {
                stats.images += 1;
                compare_image(o, t, &cols, &format!("{ctx} row {r}"), stats, per_type);
            }
        }
    }
}

fn compare_image(
    ours: &[Option<Value>],
    theirs: &BinlogRow,
    cols: &[ColumnDef],
    ctx: &str,
    stats: &mut Stats,
    per_type: &mut BTreeMap<u8, u64>,
) {
    let present: Vec<(usize, &Value)> = ours
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.as_ref().map(|v| (i, v)))
        .collect();
    assert_eq!(present.len(), theirs.len(), "{ctx}: present columns");
    for (k, (i, our)) in present.into_iter().enumerate() {
        let col = &cols[i];
        let their_col = &theirs.columns_ref()[k];
        assert_eq!(
            col.unsigned,
            their_col.flags().contains(ColumnFlags::UNSIGNED_FLAG),
            "{ctx} column {i}: signedness"
        );
        // mysql_common does not count VECTOR columns as character columns when it matches
        // DEFAULT_CHARSET / COLUMN_CHARSET entries to columns, the server does.
        let has_vector = cols.iter().any(|c| c.column_type() == v::types::VECTOR);
        if !has_vector {
            assert_eq!(
                col.charset.unwrap_or(0),
                their_col.character_set(),
                "{ctx} column {i}: charset"
            );
        }
        let their = theirs.as_ref(k).unwrap();
        assert!(
            agree(our, their),
            "{ctx} column {i} (type {}, meta {:#x}): ours {our:?}, theirs {their:?}",
            col.column_type(),
            col.meta()
        );
        stats.values += 1;
        if matches!(our, Value::Json(_) | Value::JsonDiff(_)) {
            stats.json_values += 1;
        }
        *per_type.entry(col.column_type()).or_default() += 1;
    }
}

fn agree(ours: &Value, theirs: &BinlogValue<'_>) -> bool {
    match (ours, theirs) {
        (Value::Json(j), BinlogValue::Jsonb(t)) => json_eq(j, &t.clone().parse().unwrap()),
        (Value::JsonDiff(ds), BinlogValue::JsonDiff(ts)) => {
            ds.len() == ts.len()
                && ds.iter().zip(ts).all(|(d, t)| {
                    let op = match d.op {
                        JsonDiffOp::Replace => 0,
                        JsonDiffOp::Insert => 1,
                        JsonDiffOp::Remove => 2,
                    };
                    op == t.operation() as u8
                        && d.path.as_bytes() == t.path()
                        && match (&d.value, t.value()) {
                            (None, None) => true,
                            (Some(d), Some(t)) => json_eq(d, &t.clone().parse().unwrap()),
                            _ => false,
                        }
                })
        }
        (ours, BinlogValue::Value(t)) => value_eq(ours, t),
        _ => false,
    }
}

fn value_eq(ours: &Value, theirs: &MyValue) -> bool {
    use MyValue as M;
    match (ours, theirs) {
        (Value::Null, M::NULL) => true,
        (Value::Int(x), M::Int(y)) => x == y,
        (Value::UInt(x), M::UInt(y)) => x == y,
        (Value::UInt(x), M::Int(y)) => *y >= 0 && *x == *y as u64,
        (Value::Float(x), M::Float(y)) => x.to_bits() == y.to_bits(),
        (Value::Double(x), M::Double(y)) => x.to_bits() == y.to_bits(),
        (Value::Decimal(s), M::Bytes(b)) => s.as_bytes() == b,
        (Value::Bit { bytes, .. }, M::Bytes(b)) => bytes == b,
        (Value::Enum(x), M::Int(y)) => i64::from(*x) == *y,
        (Value::Set(x), M::Bytes(b)) => {
            *x == b.iter().rev().fold(0u64, |a, b| (a << 8) | u64::from(*b))
        }
        (Value::Year(y), M::Bytes(b)) => {
            let expected = if *y == 0 { 1900 } else { *y };
            expected.to_string().as_bytes() == b
        }
        (Value::Date { year, month, day }, M::Date(y, m, d, 0, 0, 0, 0)) => {
            (*year, *month, *day) == (*y, *m, *d)
        }
        (
            Value::Time {
                negative,
                hours,
                minutes,
                seconds,
                micros,
            },
            M::Time(n, days, h, m, s, us),
        ) => {
            (*negative, *minutes, *seconds, *micros) == (*n, *m, *s, *us)
                && *hours == days * 24 + u32::from(*h)
        }
        (
            Value::DateTime {
                year,
                month,
                day,
                hour,
                minute,
                second,
                micros,
            },
            M::Date(y, mo, d, h, mi, s, us),
        ) => (year, month, day, hour, minute, second, micros) == (y, mo, d, h, mi, s, us),
        (Value::Timestamp { seconds, micros: 0 }, M::Int(y)) => i64::from(*seconds) == *y,
        (Value::Timestamp { seconds, micros }, M::Bytes(b)) => {
            let text = if *micros == 0 {
                seconds.to_string()
            } else {
                format!("{seconds}.{micros:06}")
            };
            text.as_bytes() == b
        }
        (
            Value::String { bytes, .. } | Value::Bytes(bytes) | Value::Geometry(bytes),
            M::Bytes(b),
        ) => bytes == b,
        (Value::Vector(fs), M::Bytes(b)) => {
            fs.iter().flat_map(|f| f.to_le_bytes()).collect::<Vec<_>>() == *b
        }
        _ => false,
    }
}

fn json_eq(ours: &Json, theirs: &JsonDom) -> bool {
    match (ours, theirs) {
        (Json::Array(a), JsonDom::Container(JsonContainer::Array(b))) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| json_eq(x, y))
        }
        (Json::Object(a), JsonDom::Container(JsonContainer::Object(b))) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(k, x)| b.get(k).is_some_and(|y| json_eq(x, y)))
        }
        (ours, JsonDom::Scalar(s)) => scalar_eq(ours, s),
        _ => false,
    }
}

fn scalar_eq(ours: &Json, theirs: &JsonScalar) -> bool {
    match (ours, theirs) {
        (Json::Null, JsonScalar::Null) => true,
        (Json::Bool(a), JsonScalar::Boolean(b)) => a == b,
        (Json::String(a), JsonScalar::String(b)) => a == b,
        (Json::Int(a), JsonScalar::Number(JsonNumber::Int(b))) => a == b,
        (Json::UInt(a), JsonScalar::Number(JsonNumber::Uint(b))) => a == b,
        (Json::Double(a), JsonScalar::Number(JsonNumber::Double(b))) => a.to_bits() == b.to_bits(),
        (Json::Decimal(a), JsonScalar::Number(JsonNumber::Decimal(b))) => *a == b.to_string(),
        (Json::Date { year, month, day }, JsonScalar::DateTime(t)) => {
            (u32::from(*year), u32::from(*month), u32::from(*day)) == (t.year, t.month, t.day)
        }
        (
            Json::DateTime {
                year,
                month,
                day,
                hour,
                minute,
                second,
                micros,
            },
            JsonScalar::DateTime(t),
        ) => {
            [*year as u32, *month as u32, *day as u32, *hour as u32]
                == [t.year, t.month, t.day, t.hour]
                && [*minute as u32, *second as u32, *micros] == [t.minute, t.second, t.second_part]
        }
        (
            Json::Time {
                negative,
                hours,
                minutes,
                seconds,
                micros,
            },
            JsonScalar::DateTime(t),
        ) => {
            *negative == t.neg
                && [*hours, u32::from(*minutes), u32::from(*seconds), *micros]
                    == [t.hour, t.minute, t.second, t.second_part]
        }
        (Json::Opaque { column_type, .. }, JsonScalar::Opaque(o)) => o
            .to_string()
            .starts_with(&format!("base64:type{column_type}:")),
        _ => false,
    }
}
