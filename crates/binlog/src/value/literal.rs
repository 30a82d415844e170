//! One value as an SQL literal that the server reads back as the same
//! value: the one rendering of row values in the tree, used by the SQL
//! apply path (which writes it into statements) and by `myreplay
//! transactions --rows` (which shows it).
//!
//! Integers as decimal (a signed value of a column known to be UNSIGNED
//! read as its bits: without `binlog_row_metadata=FULL` the event does not
//! say signedness), DECIMAL as its exact text, FLOAT and DOUBLE as the
//! shortest `e` notation that reads back to the same double, BIT as an
//! integer, ENUM and SET as their index / bitmask, YEAR as a number,
//! temporal values as quoted text (TIMESTAMP in UTC), every string, blob
//! and spatial value as a hex literal `X'..'` (the bytes, whatever the
//! character set), MySQL binary JSON as `CAST(<JSON text> AS JSON)`.

use std::fmt::Write as _;

use super::{Json, Value};

/// What the table knows about a column beyond the row image.
#[derive(Debug, Clone, Copy, Default)]
pub struct LiteralHints {
    /// The column is UNSIGNED, this many bits wide: a signed value (no
    /// signedness metadata) is read as its low bits.
    pub unsigned_bits: Option<u32>,
    /// BINARY(n): a shorter value is padded with zero bytes to `n`.
    pub fixed_len: Option<usize>,
}

/// `v` as an SQL literal; `Err` says what has no literal (a NaN, a partial
/// JSON update, an opaque JSON scalar).
pub fn sql_literal(v: &Value, hints: &LiteralHints) -> Result<String, String> {
    Ok(match v {
        Value::Null => "NULL".into(),
        Value::Int(n) => match hints.unsigned_bits {
            Some(bits) if bits < 64 => ((*n as u64) & ((1u64 << bits) - 1)).to_string(),
            Some(_) => (*n as u64).to_string(),
            None => n.to_string(),
        },
        Value::UInt(n) => n.to_string(),
        Value::Float(f) => double(f64::from(*f)).ok_or("a NaN or infinite FLOAT")?,
        Value::Double(d) => double(*d).ok_or("a NaN or infinite DOUBLE")?,
        Value::Decimal(text) => {
            if text.is_empty()
                || !text
                    .bytes()
                    .all(|b| b.is_ascii_digit() || b == b'-' || b == b'.')
            {
                return Err(format!("the DECIMAL text {text:?}"));
            }
            text.clone()
        }
        Value::Bit { bytes, .. } => bytes
            .iter()
            .fold(0u64, |a, b| (a << 8) | u64::from(*b))
            .to_string(),
        Value::Enum(n) => n.to_string(),
        Value::Set(n) => n.to_string(),
        Value::Year(y) => y.to_string(),
        Value::Date { .. } | Value::Time { .. } | Value::DateTime { .. } => {
            format!("'{}'", v.temporal_text(' ').unwrap_or_default())
        }
        Value::Timestamp { seconds, micros } => timestamp(*seconds, *micros),
        Value::Bytes(bytes) if hints.fixed_len.is_some_and(|n| bytes.len() < n) => {
            let mut padded = bytes.clone();
            padded.resize(hints.fixed_len.unwrap_or(0), 0);
            hex(&padded)
        }
        Value::String { bytes, .. } | Value::Bytes(bytes) | Value::Geometry(bytes) => hex(bytes),
        Value::Json(j) => json_sql(j)?,
        Value::JsonDiff(_) => return Err("a partial JSON update (PARTIAL_UPDATE_ROWS)".into()),
        Value::Vector(v) => {
            let bytes: Vec<u8> = v.iter().flat_map(|f| f.to_le_bytes()).collect();
            hex(&bytes)
        }
    })
}

/// `X'..'`: a binary string literal.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    let mut s = String::with_capacity(bytes.len() * 2 + 3);
    s.push_str("X'");
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s.push('\'');
    s
}

/// A UTF-8 text literal as `CONVERT(X'..' USING utf8mb4)`.
pub fn hex_utf8(s: &str) -> String {
    format!("CONVERT({} USING utf8mb4)", hex(s.as_bytes()))
}

/// A double literal that reads back as exactly `d` (shortest round-trip
/// digits, `e` notation: always a floating-point literal). None for NaN and
/// infinities, which a column cannot hold.
pub fn double(d: f64) -> Option<String> {
    if !d.is_finite() {
        return None;
    }
    Some(format!("{d:e}"))
}

/// A TIMESTAMP (seconds since the epoch, UTC) as text in UTC; 0 is the zero
/// timestamp.
pub fn timestamp(seconds: u32, micros: u32) -> String {
    if seconds == 0 && micros == 0 {
        return "'0000-00-00 00:00:00'".into();
    }
    let utc = jiff::Timestamp::from_second(i64::from(seconds))
        .map(|t| t.strftime("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_else(|_| seconds.to_string());
    format!("'{utc}.{micros:06}'")
}

/// MySQL binary JSON as JSON text. Opaque scalars (DECIMAL, dates, other
/// column types) have no JSON text form that reads back as the same binary
/// JSON: refused.
/// A JSON value as an SQL expression of type JSON that the server stores
/// as the same binary JSON: `CAST(<text> AS JSON)`, except around unsigned
/// integers up to i64::MAX, which JSON text would read back as signed
/// (`5` is an INTEGER, the source's `CAST(5 AS UNSIGNED)` an UNSIGNED
/// INTEGER: another binary value). Those are built with JSON_ARRAY /
/// JSON_OBJECT around `CAST(CAST(n AS UNSIGNED) AS JSON)`; the parts
/// without one stay text.
pub fn json_sql(j: &Json) -> Result<String, String> {
    fn has_small_uint(j: &Json) -> bool {
        match j {
            Json::UInt(n) => *n <= i64::MAX as u64,
            Json::Array(items) => items.iter().any(has_small_uint),
            Json::Object(members) => members.iter().any(|(_, v)| has_small_uint(v)),
            _ => false,
        }
    }
    if !has_small_uint(j) {
        let mut text = String::new();
        json_text(j, &mut text)?;
        return Ok(format!("CAST({} AS JSON)", hex_utf8(&text)));
    }
    Ok(match j {
        Json::UInt(n) => format!("CAST(CAST({n} AS UNSIGNED) AS JSON)"),
        Json::Array(items) => {
            let items: Vec<String> = items.iter().map(json_sql).collect::<Result<_, _>>()?;
            format!("JSON_ARRAY({})", items.join(","))
        }
        Json::Object(members) => {
            let mut args = Vec::with_capacity(members.len() * 2);
            for (k, v) in members {
                args.push(hex_utf8(k));
                args.push(json_sql(v)?);
            }
            format!("JSON_OBJECT({})", args.join(","))
        }
        _ => unreachable!("only containers and unsigned integers hold one"),
    })
}

pub fn json_text(j: &Json, out: &mut String) -> Result<(), String> {
    match j {
        Json::Null => out.push_str("null"),
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Json::Int(n) => {
            let _ = write!(out, "{n}");
        }
        Json::UInt(n) => {
            let _ = write!(out, "{n}");
        }
        Json::Double(d) => {
            out.push_str(&double(*d).ok_or("a NaN or infinite JSON number")?);
        }
        Json::String(s) => json_string(s, out),
        Json::Array(items) => {
            out.push('[');
            for (n, item) in items.iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                json_text(item, out)?;
            }
            out.push(']');
        }
        Json::Object(members) => {
            out.push('{');
            for (n, (k, v)) in members.iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                json_string(k, out);
                out.push(':');
                json_text(v, out)?;
            }
            out.push('}');
        }
        _ => {
            return Err(
                "a JSON document holding an opaque value (DECIMAL, date, time or other MySQL type)"
                    .into(),
            )
        }
    }
    Ok(())
}

fn json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}
