//! Per-type value decoders and the allocation-free size function.

use super::column::{Kind, Size};
use super::temporal::{self, le};
use super::types::BINARY_COLLATION;
use super::{decimal, json, ColumnDef, Value, ValueError};

/// Number of bytes the value of `col` at the start of `input` takes, length prefix included.
///
/// This is the fast path used to skip values: it reads at most the 1-4 byte length prefix,
/// allocates nothing and checks that the whole value is inside `input`.
#[inline]
pub fn value_len(col: &ColumnDef, input: &[u8]) -> Result<usize, ValueError> {
    let needed = match col.size() {
        Size::Fixed(n) => n,
        Size::Prefixed(width) => {
            let width = usize::from(width);
            let prefix = input
                .get(..width)
                .ok_or_else(|| ValueError::truncated(col.index, width, input.len()))?;
            // A 4-byte length always fits in usize on the 32/64-bit targets we support.
            let len = usize::try_from(le(prefix)).unwrap_or(usize::MAX);
            width.saturating_add(len)
        }
    };
    if needed > input.len() {
        return Err(ValueError::truncated(col.index, needed, input.len()));
    }
    Ok(needed)
}

/// Decodes the (non-NULL) value of `col` at the start of `input`; returns it and the number
/// of bytes it took (always equal to [`value_len`]).
pub fn decode_value(col: &ColumnDef, input: &[u8]) -> Result<(Value, usize), ValueError> {
    decode_value_with(col, input, false)
}

/// The bytes of a string, blob or spatial value (`raw`: the whole value,
/// length prefix included, as [`RowPart::Value`](super::RowPart) gives it)
/// without copying them, and whether they are binary (no character set
/// known, or `binary`); `None` for the other types.
pub fn text_payload<'a>(col: &ColumnDef, raw: &'a [u8]) -> Option<(&'a [u8], bool)> {
    let binary = match col.kind() {
        Kind::Text => matches!(col.charset, Some(BINARY_COLLATION) | None),
        Kind::Geometry => true,
        _ => return None,
    };
    let payload = match col.size() {
        Size::Fixed(_) => raw,
        Size::Prefixed(width) => raw.get(usize::from(width)..)?,
    };
    Some((payload, binary))
}

/// [`decode_value`], reading a JSON column as a partial update (`partial_json`) when the
/// PARTIAL_UPDATE_ROWS after image says so.
pub fn decode_value_with(
    col: &ColumnDef,
    input: &[u8],
    partial_json: bool,
) -> Result<(Value, usize), ValueError> {
    let len = value_len(col, input)?;
    let bytes = &input[..len];
    let payload = match col.size() {
        Size::Fixed(_) => bytes,
        Size::Prefixed(width) => &bytes[usize::from(width)..],
    };
    let column = col.index;
    let value = match col.kind() {
        Kind::Int(width) => int(payload, width, col.unsigned),
        Kind::Float => Value::Float(f32::from_le_bytes(array(payload))),
        Kind::Double => Value::Double(f64::from_le_bytes(array(payload))),
        Kind::Decimal { precision, scale } => {
            Value::Decimal(decimal::decode(payload, precision, scale, column)?)
        }
        Kind::Bit { bits } => Value::Bit {
            bits,
            bytes: payload.to_vec(),
        },
        Kind::Enum => Value::Enum(le(payload) as u16),
        Kind::Set => Value::Set(le(payload)),
        Kind::Year => Value::Year(match le(payload) as u16 {
            0 => 0,
            y => 1900 + y,
        }),
        Kind::Date => temporal::date(payload),
        Kind::Time => temporal::time(payload),
        Kind::Time2 { fsp } => temporal::time2(payload, fsp),
        Kind::DateTime => temporal::datetime(payload, column)?,
        Kind::DateTime2 { .. } => temporal::datetime2(payload, column)?,
        Kind::Timestamp => Value::Timestamp {
            seconds: le(payload) as u32,
            micros: 0,
        },
        Kind::Timestamp2 { .. } => temporal::timestamp2(payload, column)?,
        Kind::Text => match col.charset {
            Some(BINARY_COLLATION) | None => Value::Bytes(payload.to_vec()),
            charset => Value::String {
                bytes: payload.to_vec(),
                charset,
            },
        },
        Kind::Json if partial_json => Value::JsonDiff(json::decode_diffs(payload, column)?),
        Kind::Json => Value::Json(json::decode_document(payload, column)?),
        Kind::Geometry => Value::Geometry(payload.to_vec()),
        Kind::Vector => vector(payload, column)?,
    };
    Ok((value, len))
}

/// Little-endian integer of `width` bytes, sign-extended unless `unsigned`.
fn int(bytes: &[u8], width: u8, unsigned: bool) -> Value {
    let raw = le(bytes);
    if unsigned {
        Value::UInt(raw)
    } else {
        let shift = 64 - 8 * u32::from(width);
        Value::Int(((raw << shift) as i64) >> shift)
    }
}

/// Copies a fixed-size value; the caller sized `bytes` from the same column layout.
fn array<const N: usize>(bytes: &[u8]) -> [u8; N] {
    let mut out = [0; N];
    let n = bytes.len().min(N);
    out[..n].copy_from_slice(&bytes[..n]);
    out
}

/// VECTOR: little-endian `f32`s.
fn vector(bytes: &[u8], column: usize) -> Result<Value, ValueError> {
    if bytes.len() % 4 != 0 {
        return Err(ValueError::bad_value(
            column,
            format!(
                "VECTOR of {} bytes is not a whole number of floats",
                bytes.len()
            ),
        ));
    }
    Ok(Value::Vector(
        bytes
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes(array(c)))
            .collect(),
    ))
}
