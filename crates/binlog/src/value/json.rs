//! MySQL binary JSON (and partial JSON updates) as an owned tree.
//!
//! The binary format itself is parsed by `mysql_common`'s `jsonb` / `jsondiff` readers; this
//! module turns their borrowed, lazily parsed values into [`Json`] with a depth limit and
//! with MySQL's opaque scalars (DECIMAL, DATE, TIME, DATETIME) decoded.

use mysql_common::binlog::jsonb;
use mysql_common::binlog::jsondiff::{self, JsonDiffOperation};
use mysql_common::io::ParseBuf;

use super::{decimal, temporal, types as t, ValueError};

/// Maximum nesting depth (MySQL's `JSON_DOCUMENT_MAX_DEPTH`).
pub const MAX_DEPTH: usize = 100;

/// A JSON document from a MySQL JSON column.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub enum Json {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// Signed integer (INT16/INT32/INT64 in the binary form).
    Int(i64),
    /// Unsigned integer (UINT16/UINT32/UINT64 in the binary form).
    UInt(u64),
    /// Double.
    Double(f64),
    /// UTF-8 string.
    String(String),
    /// Array.
    Array(Vec<Json>),
    /// Object, keys in stored order (MySQL sorts them by length, then bytes).
    Object(Vec<(String, Json)>),
    /// Opaque DECIMAL, as exact text.
    Decimal(String),
    /// Opaque DATE.
    Date {
        /// Year.
        year: u16,
        /// Month.
        month: u8,
        /// Day.
        day: u8,
    },
    /// Opaque TIME.
    Time {
        /// Before zero.
        negative: bool,
        /// Hours (may exceed 23).
        hours: u32,
        /// Minutes.
        minutes: u8,
        /// Seconds.
        seconds: u8,
        /// Microseconds.
        micros: u32,
    },
    /// Opaque DATETIME or TIMESTAMP.
    DateTime {
        /// Year.
        year: u16,
        /// Month.
        month: u8,
        /// Day.
        day: u8,
        /// Hour.
        hour: u8,
        /// Minute.
        minute: u8,
        /// Second.
        second: u8,
        /// Microseconds.
        micros: u32,
    },
    /// Any other opaque value: the MySQL column type it came from and its raw bytes.
    Opaque {
        /// Column type code.
        column_type: u8,
        /// Raw bytes.
        data: Vec<u8>,
    },
}

/// What a partial JSON update does at its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum JsonDiffOp {
    /// `JSON_REPLACE` / `JSON_SET` of an existing path.
    Replace,
    /// `JSON_ARRAY_INSERT` / `JSON_SET` of a new path.
    Insert,
    /// `JSON_REMOVE`.
    Remove,
}

/// One step of a partial JSON update (PARTIAL_UPDATE_ROWS after image).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct JsonDiff {
    /// The operation.
    pub op: JsonDiffOp,
    /// The JSON path, e.g. `$.a[2]`.
    pub path: String,
    /// The new value (absent for [`JsonDiffOp::Remove`]).
    pub value: Option<Json>,
}

/// Decodes a whole binary JSON document (an empty one is `null`, as in MySQL).
pub(crate) fn decode_document(bytes: &[u8], column: usize) -> Result<Json, ValueError> {
    let value: jsonb::Value<'_> = ParseBuf(bytes).parse(()).map_err(|e| bad(column, &e))?;
    convert(&value, column, 0)
}

/// Decodes the sequence of partial updates of a JSON column.
pub(crate) fn decode_diffs(bytes: &[u8], column: usize) -> Result<Vec<JsonDiff>, ValueError> {
    let mut buf = ParseBuf(bytes);
    let mut diffs = Vec::new();
    while !buf.is_empty() {
        let diff: jsondiff::JsonDiff<'_> = buf.parse(()).map_err(|e| bad(column, &e))?;
        let op = match diff.operation() {
            JsonDiffOperation::REPLACE => JsonDiffOp::Replace,
            JsonDiffOperation::INSERT => JsonDiffOp::Insert,
            JsonDiffOperation::REMOVE => JsonDiffOp::Remove,
        };
        let path = utf8(diff.path(), column)?;
        let value = diff.value().map(|v| convert(v, column, 0)).transpose()?;
        diffs.push(JsonDiff { op, path, value });
    }
    Ok(diffs)
}

fn convert(value: &jsonb::Value<'_>, column: usize, depth: usize) -> Result<Json, ValueError> {
    use jsonb::Value as J;
    if depth > MAX_DEPTH {
        return Err(ValueError::bad_value(column, "JSON nested too deeply"));
    }
    let array = |items: &mut dyn Iterator<Item = std::io::Result<jsonb::Value<'_>>>| {
        items
            .map(|item| convert(&item.map_err(|e| bad(column, &e))?, column, depth + 1))
            .collect::<Result<Vec<_>, _>>()
            .map(Json::Array)
    };
    Ok(match value {
        J::Null => Json::Null,
        J::Bool(b) => Json::Bool(*b),
        J::I16(x) => Json::Int((*x).into()),
        J::I32(x) => Json::Int((*x).into()),
        J::I64(x) => Json::Int(*x),
        J::U16(x) => Json::UInt((*x).into()),
        J::U32(x) => Json::UInt((*x).into()),
        J::U64(x) => Json::UInt(*x),
        J::F64(x) => Json::Double(*x),
        J::String(s) => Json::String(utf8(s.str_raw(), column)?),
        J::SmallArray(a) => array(&mut a.iter())?,
        J::LargeArray(a) => array(&mut a.iter())?,
        J::SmallObject(o) => object(o.iter(), column, depth)?,
        J::LargeObject(o) => object(o.iter(), column, depth)?,
        J::Opaque(o) => opaque(o.value_type() as u8, o.data_raw(), column)?,
    })
}

fn object<'a>(
    entries: impl Iterator<Item = std::io::Result<(jsonb::ObjectKey<'a>, jsonb::Value<'a>)>>,
    column: usize,
    depth: usize,
) -> Result<Json, ValueError> {
    entries
        .map(|entry| {
            let (key, value) = entry.map_err(|e| bad(column, &e))?;
            Ok((
                utf8(key.value_raw(), column)?,
                convert(&value, column, depth + 1)?,
            ))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Json::Object)
}

/// Opaque scalars: DECIMAL is `precision, scale, decimal2bin`; temporals are MySQL's packed
/// 64-bit little-endian form.
fn opaque(column_type: u8, data: &[u8], column: usize) -> Result<Json, ValueError> {
    let packed = || -> Result<i64, ValueError> {
        data.first_chunk::<8>()
            .map(|b| i64::from_le_bytes(*b))
            .ok_or_else(|| ValueError::bad_value(column, "short JSON temporal"))
    };
    Ok(match column_type {
        t::NEWDECIMAL => match data {
            [precision, scale, bin @ ..] if scale <= precision && *precision <= 65 => {
                let size = decimal::binary_size(*precision, *scale);
                let bin = bin.get(..size).unwrap_or(bin);
                Json::Decimal(decimal::decode(bin, *precision, *scale, column)?)
            }
            _ => return Err(ValueError::bad_value(column, "bad JSON DECIMAL")),
        },
        t::TIME => {
            let p = temporal::time_from_packed(packed()?);
            Json::Time {
                negative: p.negative,
                hours: p.hours,
                minutes: p.minutes,
                seconds: p.seconds,
                micros: p.micros,
            }
        }
        t::DATE => {
            let p = temporal::datetime_from_packed(packed()?);
            Json::Date {
                year: p.year,
                month: p.month,
                day: p.day,
            }
        }
        t::DATETIME | t::TIMESTAMP => {
            let p = temporal::datetime_from_packed(packed()?);
            Json::DateTime {
                year: p.year,
                month: p.month,
                day: p.day,
                hour: p.hour,
                minute: p.minute,
                second: p.second,
                micros: p.micros,
            }
        }
        _ => Json::Opaque {
            column_type,
            data: data.to_vec(),
        },
    })
}

fn utf8(bytes: &[u8], column: usize) -> Result<String, ValueError> {
    String::from_utf8(bytes.to_vec())
        .map_err(|_| ValueError::bad_value(column, "JSON string is not UTF-8"))
}

fn bad(column: usize, e: &std::io::Error) -> ValueError {
    ValueError::bad_value(column, format!("binary JSON: {e}"))
}
