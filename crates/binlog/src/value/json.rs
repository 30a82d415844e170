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
    Convert::new(bytes.len(), column).value(&value, 0)
}

/// Decodes the sequence of partial updates of a JSON column.
pub(crate) fn decode_diffs(bytes: &[u8], column: usize) -> Result<Vec<JsonDiff>, ValueError> {
    let mut buf = ParseBuf(bytes);
    let mut diffs = Vec::new();
    let mut convert = Convert::new(bytes.len(), column);
    while !buf.is_empty() {
        let diff: jsondiff::JsonDiff<'_> = buf.parse(()).map_err(|e| bad(column, &e))?;
        let op = match diff.operation() {
            JsonDiffOperation::REPLACE => JsonDiffOp::Replace,
            JsonDiffOperation::INSERT => JsonDiffOp::Insert,
            JsonDiffOperation::REMOVE => JsonDiffOp::Remove,
        };
        let path = utf8(diff.path(), column)?;
        let value = diff.value().map(|v| convert.value(v, 0)).transpose()?;
        diffs.push(JsonDiff { op, path, value });
    }
    Ok(diffs)
}

/// Turns a parsed binary JSON value into a [`Json`] tree, within a budget.
///
/// Containers in the binary format point to their elements by offset, and
/// nothing stops two entries from pointing to the same bytes: a document of a
/// few hundred bytes can describe a tree of 2^100 nodes (each level an array
/// of two entries sharing one sub-array), or the same long string a million
/// times. MySQL never writes shared values, so every node of a real document
/// (and every byte of its strings, keys and opaque data) takes bytes of its
/// own; the budget, twice the input size, is spent per node and per byte
/// copied, and running out is an error instead of a hang or an allocation
/// far beyond the input.
struct Convert {
    column: usize,
    budget: usize,
}

impl Convert {
    fn new(input_len: usize, column: usize) -> Self {
        Self {
            column,
            budget: input_len.saturating_mul(2).saturating_add(64),
        }
    }

    /// Spends one node plus `bytes` copied bytes.
    fn spend(&mut self, bytes: usize) -> Result<(), ValueError> {
        let cost = bytes.saturating_add(1);
        if cost > self.budget {
            return Err(ValueError::bad_value(
                self.column,
                "binary JSON expands far beyond its size (shared sub-values)",
            ));
        }
        self.budget -= cost;
        Ok(())
    }

    fn value(&mut self, value: &jsonb::Value<'_>, depth: usize) -> Result<Json, ValueError> {
        use jsonb::Value as J;
        let column = self.column;
        if depth > MAX_DEPTH {
            return Err(ValueError::bad_value(column, "JSON nested too deeply"));
        }
        self.spend(0)?;
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
            J::String(s) => {
                self.spend(s.str_raw().len())?;
                Json::String(utf8(s.str_raw(), column)?)
            }
            J::SmallArray(a) => self.array(&mut a.iter(), depth)?,
            J::LargeArray(a) => self.array(&mut a.iter(), depth)?,
            J::SmallObject(o) => self.object(o.iter(), depth)?,
            J::LargeObject(o) => self.object(o.iter(), depth)?,
            J::Opaque(o) => {
                self.spend(o.data_raw().len())?;
                opaque(o.value_type() as u8, o.data_raw(), column)?
            }
        })
    }

    fn array(
        &mut self,
        items: &mut dyn Iterator<Item = std::io::Result<jsonb::Value<'_>>>,
        depth: usize,
    ) -> Result<Json, ValueError> {
        let column = self.column;
        items
            .map(|item| self.value(&item.map_err(|e| bad(column, &e))?, depth + 1))
            .collect::<Result<Vec<_>, _>>()
            .map(Json::Array)
    }

    fn object<'a>(
        &mut self,
        entries: impl Iterator<Item = std::io::Result<(jsonb::ObjectKey<'a>, jsonb::Value<'a>)>>,
        depth: usize,
    ) -> Result<Json, ValueError> {
        let column = self.column;
        entries
            .map(|entry| {
                let (key, value) = entry.map_err(|e| bad(column, &e))?;
                self.spend(key.value_raw().len())?;
                Ok((
                    utf8(key.value_raw(), column)?,
                    self.value(&value, depth + 1)?,
                ))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Json::Object)
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A small array of two entries that both point to the same sub-array,
    /// `depth` levels deep: a few bytes per level, 2^depth nodes as a tree.
    fn shared_subtrees(depth: usize) -> Vec<u8> {
        let mut body = vec![0, 0, 4, 0]; // innermost: empty small array
        for _ in 0..depth {
            let size = (10 + body.len()) as u16;
            let mut level = vec![2, 0];
            level.extend(size.to_le_bytes());
            level.extend([2, 10, 0, 2, 10, 0]);
            level.extend(body);
            body = level;
        }
        let mut doc = vec![2];
        doc.extend(body);
        doc
    }

    #[test]
    fn shared_sub_values_do_not_expand_exponentially() {
        // Shallow: a legitimate-size tree, decoded.
        let small = decode_document(&shared_subtrees(3), 0).unwrap();
        assert!(matches!(small, Json::Array(ref a) if a.len() == 2));
        // 100 levels would be 2^100 nodes: an error, at once.
        let err = decode_document(&shared_subtrees(100), 0).unwrap_err();
        assert!(err.to_string().contains("expands"), "{err}");
    }
}
