//! `transactions --rows`: every row change of a rows event, column by
//! column, as text (values as the SQL apply path writes them: one
//! rendering, [`myreplay_binlog::value::literal`]) or as typed JSON.

use myreplay_apply::time_zone::Zone;
use myreplay_binlog::value::literal::{hex, sql_literal, LiteralHints};
use myreplay_binlog::value::{
    column_names_from_table_map, decode_value_with, text_payload, visit_rows, Json, RowImage,
    RowPart, Value,
};
use myreplay_binlog::{Event, RowsEvent, RowsKind, TableMap};
use std::collections::HashMap;
use std::io::Write as _;
use std::sync::Arc;

use serde_json::{json, Value as J};

/// Column names by table, when a server gave them (`-h` / `-S`).
pub type ServerNames = HashMap<(String, String), Vec<String>>;

/// Row changes of one transaction, rendered as they are read: text lines
/// (each starting with a tab, ending with a newline), or JSON objects
/// separated by commas (the `changes` array's inside).
#[derive(Default)]
pub struct RowChanges {
    pub rendered: Vec<u8>,
    /// Column names by table id, with the table map they were found for:
    /// kept across transactions while the binlog maps the id to the same
    /// table (the stream shares one `TableMap` per unchanged TABLE_MAP).
    names: HashMap<u64, (Arc<TableMap>, Arc<ColumnNames>)>,
}

/// A table's column names, and each as a JSON object key (`"name":`).
struct ColumnNames {
    names: Vec<String>,
    json_keys: Vec<Vec<u8>>,
}

/// Most tables whose column names are kept; beyond it, they are found again.
const MAX_NAMED_TABLES: usize = 4096;

impl RowChanges {
    /// Forgets the rendered rows (the column names are kept).
    pub fn clear(&mut self) {
        self.rendered.clear();
    }

    /// The column names of `table`: from its optional metadata, else the
    /// server's, else `@1..@n`.
    fn names(
        &mut self,
        table_id: u64,
        table: &Arc<TableMap>,
        server: &ServerNames,
    ) -> Arc<ColumnNames> {
        if let Some((known, names)) = self.names.get(&table_id) {
            if Arc::ptr_eq(known, table) {
                return names.clone();
            }
        }
        let (db, name) = (table.database_name(), table.table_name());
        let names = match column_names_from_table_map(&table.event) {
            Ok(Some(names)) => names,
            _ => match server.get(&(db.to_string(), name.to_string())) {
                Some(names) if names.len() >= table.columns.len() => names.clone(),
                _ => (1..=table.columns.len()).map(|i| format!("@{i}")).collect(),
            },
        };
        let json_keys = names
            .iter()
            .map(|n| {
                let mut key = vec![];
                json_str(&mut key, n);
                key.push(b':');
                key
            })
            .collect();
        let names = Arc::new(ColumnNames { names, json_keys });
        if self.names.len() >= MAX_NAMED_TABLES {
            self.names.clear();
        }
        self.names.insert(table_id, (table.clone(), names.clone()));
        names
    }

    /// Every row of `rows` (of `event`), decoded against `table`.
    pub fn add(
        &mut self,
        event: &Event,
        rows: &RowsEvent,
        table: &Arc<TableMap>,
        server: &ServerNames,
        zone: &Zone,
        json: bool,
    ) -> anyhow::Result<()> {
        let names = self.names(rows.table_id, table, server);
        let (db, name) = (table.database_name(), table.table_name());
        let kind = match rows.kind {
            RowsKind::Write => "INSERT",
            RowsKind::Update => "UPDATE",
            RowsKind::Delete => "DELETE",
        };
        let at = |e: &dyn std::fmt::Display| {
            anyhow::anyhow!(
                "{}: decoding the rows of `{db}`.`{name}`: {e}; the binlog and its TABLE_MAP do not agree",
                event.raw.pos
            )
        };
        let out = &mut self.rendered;
        if json {
            // Values by reference (nothing materialised), written as read.
            let layout = rows.layout(&table.columns).map_err(|e| at(&e))?;
            let n = table.columns.len();
            // What every row of the event starts with, written once.
            let mut row_head = b"{\"kind\":\"".to_vec();
            row_head.extend_from_slice(kind.to_ascii_lowercase().as_bytes());
            row_head.extend_from_slice(b"\",\"database\":");
            json_str(&mut row_head, &db);
            row_head.extend_from_slice(b",\"table\":");
            json_str(&mut row_head, &name);
            row_head.extend_from_slice(b",\"offset\":");
            push_u64(&mut row_head, event.raw.pos.offset);
            let keys = &names.json_keys;
            let mut open_image = false;
            let mut first_value = true;
            let mut missing: Vec<usize> = vec![];
            let mut image_name = "";
            // Closes the image being written, with the columns it lacks.
            let close = |out: &mut Vec<u8>, missing: &mut Vec<usize>, label: &str| {
                out.push(b'}');
                if !missing.is_empty() {
                    out.extend_from_slice(if label == "before" {
                        b",\"before_missing\":[".as_slice()
                    } else {
                        b",\"after_missing\":["
                    });
                    for (k, i) in missing.iter().enumerate() {
                        if k > 0 {
                            out.push(b',');
                        }
                        json_str(out, &names.names[*i]);
                    }
                    out.push(b']');
                    missing.clear();
                }
            };
            let mut started = false;
            visit_rows(&layout, rows.rows_data(), |part| {
                match part {
                    RowPart::Row(_) => {
                        if open_image {
                            close(out, &mut missing, image_name);
                            open_image = false;
                        }
                        if started {
                            out.push(b'}');
                        }
                        started = true;
                        if !out.is_empty() {
                            out.push(b',');
                        }
                        out.extend_from_slice(&row_head);
                    }
                    RowPart::Image { after, present } => {
                        if open_image {
                            close(out, &mut missing, image_name);
                        }
                        image_name = if after { "after" } else { "before" };
                        out.extend_from_slice(if after {
                            b",\"after\":{".as_slice()
                        } else {
                            b",\"before\":{"
                        });
                        open_image = true;
                        first_value = true;
                        missing.extend((0..n).filter(|i| {
                            present.get(i / 8).is_none_or(|b| b & (1 << (i % 8)) == 0)
                        }));
                    }
                    RowPart::Value {
                        column,
                        def,
                        raw,
                        partial,
                    } => {
                        if !first_value {
                            out.push(b',');
                        }
                        first_value = false;
                        out.extend_from_slice(&keys[column]);
                        match raw {
                            None => out.extend_from_slice(b"null"),
                            Some(raw) => match text_payload(def, raw) {
                                Some((bytes, false)) => match std::str::from_utf8(bytes) {
                                    Ok(s) => json_str(out, s),
                                    Err(_) => json_hex(out, bytes),
                                },
                                Some((bytes, true)) => json_hex(out, bytes),
                                None => {
                                    let (v, _) = decode_value_with(def, raw, partial)?;
                                    write_value_json(out, &v, zone);
                                }
                            },
                        }
                    }
                }
                Ok(())
            })
            .map_err(|e| at(&e))?;
            if open_image {
                close(out, &mut missing, image_name);
            }
            if started {
                out.push(b'}');
            }
            return Ok(());
        }
        for images in rows.rows(table).map_err(|e| at(&e))? {
            let images = images.map_err(|e| at(&e))?;
            let _ = write!(out, "\t{kind} `{db}`.`{name}`");
            for (label, image) in [("before", &images.before), ("after", &images.after)] {
                if let Some(image) = image {
                    let _ = write!(out, "\t{label}: {}", image_text(image, &names.names));
                }
            }
            out.push(b'\n');
        }
        Ok(())
    }
}

/// A JSON string literal of `s`.
fn json_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    // Most values need no escape: one pass over the bytes to see.
    if !s.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
        return;
    }
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let esc = match c {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            c if (c as u32) < 0x20 => "",
            _ => continue,
        };
        out.extend_from_slice(&s.as_bytes()[start..i]);
        if esc.is_empty() {
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.extend_from_slice(esc.as_bytes());
        }
        start = i + c.len_utf8();
    }
    out.extend_from_slice(&s.as_bytes()[start..]);
    out.push(b'"');
}

/// [`value_json`], written: the common types directly, the others through
/// serde_json.
fn write_value_json(out: &mut Vec<u8>, v: &Value, zone: &Zone) {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Int(n) => out.extend_from_slice(itoa::Buffer::new().format(*n).as_bytes()),
        Value::UInt(n) => push_u64(out, *n),
        Value::String { bytes, .. } => match std::str::from_utf8(bytes) {
            Ok(s) => json_str(out, s),
            Err(_) => json_hex(out, bytes),
        },
        Value::Bytes(b) | Value::Geometry(b) => json_hex(out, b),
        Value::Decimal(t) => json_str(out, t),
        _ => {
            let _ = serde_json::to_writer(&mut *out, &value_json(v, zone));
        }
    }
}

/// `n` in decimal.
fn push_u64(out: &mut Vec<u8>, n: u64) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// `{"hex":"..."}`, as [`value_json`] writes binary values.
fn json_hex(out: &mut Vec<u8>, bytes: &[u8]) {
    // Both digits of every byte, looked up at once.
    const PAIRS: [[u8; 2]; 256] = {
        const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
        let mut t = [[0u8; 2]; 256];
        let mut i = 0;
        while i < 256 {
            t[i] = [DIGITS[i >> 4], DIGITS[i & 15]];
            i += 1;
        }
        t
    };
    out.reserve(bytes.len() * 2 + 10);
    out.extend_from_slice(b"{\"hex\":\"");
    // The digits' room made at once, then filled: no capacity check per byte.
    let start = out.len();
    out.resize(start + bytes.len() * 2, 0);
    for (pair, b) in out[start..].chunks_exact_mut(2).zip(bytes) {
        pair.copy_from_slice(&PAIRS[usize::from(*b)]);
    }
    out.extend_from_slice(b"\"}");
}

/// `name=literal ...`, then the columns the image does not hold.
fn image_text(image: &RowImage, names: &[String]) -> String {
    let mut parts = vec![];
    let mut missing = vec![];
    for (i, v) in image.iter().enumerate() {
        let name = &names[i];
        match v {
            Some(v) => parts.push(format!("{name}={}", value_text(v))),
            None => missing.push(name.as_str()),
        }
    }
    let mut s = parts.join(" ");
    if !missing.is_empty() {
        s.push_str(&format!(" (not in the image: {})", missing.join(" ")));
    }
    s
}

/// A value as the SQL path writes it; text columns also readable.
fn value_text(v: &Value) -> String {
    match sql_literal(v, &LiteralHints::default()) {
        Ok(lit) => match v {
            // Text, and binary that reads as text: also shown as text.
            Value::String { bytes, .. } | Value::Bytes(bytes) => match std::str::from_utf8(bytes) {
                Ok(s) if !s.is_empty() && !s.chars().any(char::is_control) => {
                    format!("{lit} /* '{}' */", s.replace("*/", "* /"))
                }
                _ => lit,
            },
            _ => lit,
        },
        Err(_) => match v {
            Value::JsonDiff(diffs) => {
                let ops: Vec<String> = diffs
                    .iter()
                    .map(|d| {
                        format!(
                            "{:?} {}{}",
                            d.op,
                            d.path,
                            d.value
                                .as_ref()
                                .map(|v| format!(" = {}", json_of(v)))
                                .unwrap_or_default()
                        )
                    })
                    .collect();
                format!("/* partial JSON update: {} */", ops.join(", "))
            }
            Value::Json(j) => format!("/* JSON {} */", json_of(j)),
            Value::Float(f) => format!("/* {f} */"),
            Value::Double(d) => format!("/* {d} */"),
            other => format!("/* {other:?} */"),
        },
    }
}

/// A value as typed JSON: numbers as numbers, DECIMAL as its exact text
/// (a string: most JSON readers take numbers as doubles), temporal values
/// as ISO 8601 text (TIMESTAMP in --timezone), JSON as JSON, text as a
/// string when it is UTF-8, binary as `{"hex": ...}`.
pub fn value_json(v: &Value, zone: &Zone) -> J {
    let bin = |b: &[u8]| json!({ "hex": hex(b).trim_start_matches("X'").trim_end_matches('\'') });
    match v {
        Value::Null => J::Null,
        Value::Int(n) => json!(n),
        Value::UInt(n) => json!(n),
        Value::Float(f) => finite(f64::from(*f)),
        Value::Double(d) => finite(*d),
        Value::Decimal(t) => json!(t),
        Value::Bit { bytes, .. } => json!(bytes.iter().fold(0u64, |a, b| (a << 8) | u64::from(*b))),
        Value::Enum(n) => json!(n),
        Value::Set(n) => json!(n),
        Value::Year(y) => json!(y),
        Value::Date { .. } | Value::Time { .. } | Value::DateTime { .. } => {
            json!(v.temporal_text('T'))
        }
        Value::Timestamp { seconds, micros } => {
            json!(zone.rfc3339_micros(u64::from(*seconds) * 1_000_000 + u64::from(*micros)))
        }
        Value::String { bytes, .. } => match std::str::from_utf8(bytes) {
            Ok(s) => json!(s),
            Err(_) => bin(bytes),
        },
        Value::Bytes(b) | Value::Geometry(b) => bin(b),
        Value::Json(j) => json_of(j),
        Value::JsonDiff(diffs) => J::Array(
            diffs
                .iter()
                .map(|d| {
                    json!({
                        "op": format!("{:?}", d.op).to_ascii_lowercase(),
                        "path": d.path,
                        "value": d.value.as_ref().map(json_of),
                    })
                })
                .collect(),
        ),
        Value::Vector(v) => json!(v),
        #[allow(unreachable_patterns)]
        other => json!(format!("{other:?}")),
    }
}

fn finite(d: f64) -> J {
    serde_json::Number::from_f64(d).map_or_else(|| json!(d.to_string()), J::Number)
}

/// MySQL binary JSON as JSON (opaque scalars as their text).
fn json_of(j: &Json) -> J {
    match j {
        Json::Null => J::Null,
        Json::Bool(b) => json!(b),
        Json::Int(n) => json!(n),
        Json::UInt(n) => json!(n),
        Json::Double(d) => finite(*d),
        Json::String(s) => json!(s),
        Json::Array(items) => J::Array(items.iter().map(json_of).collect()),
        Json::Object(members) => J::Object(
            members
                .iter()
                .map(|(k, v)| (k.clone(), json_of(v)))
                .collect(),
        ),
        Json::Decimal(t) => json!(t),
        Json::Date { .. } | Json::Time { .. } | Json::DateTime { .. } => {
            json!(j.temporal_text('T'))
        }
        Json::Opaque { column_type, data } => {
            json!({ "opaque_type": column_type, "hex": hex(data).trim_start_matches("X'").trim_end_matches('\'') })
        }
        other => json!(format!("{other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_is_written_as_value_json_says() {
        let zone = Zone::parse("UTC").unwrap();
        let v = Value::Bytes(vec![0, 0xab, 0x10]);
        let mut out = Vec::new();
        write_value_json(&mut out, &v, &zone);
        assert_eq!(
            serde_json::from_slice::<J>(&out).unwrap(),
            value_json(&v, &zone)
        );
    }

    #[test]
    fn integers_are_written_whole() {
        let zone = Zone::parse("UTC").unwrap();
        for v in [
            Value::Int(i64::MIN),
            Value::Int(0),
            Value::Int(-7),
            Value::UInt(u64::MAX),
        ] {
            let mut out = Vec::new();
            write_value_json(&mut out, &v, &zone);
            assert_eq!(
                serde_json::from_slice::<J>(&out).unwrap(),
                value_json(&v, &zone)
            );
        }
    }

    #[test]
    fn json_strings_read_back_as_themselves() {
        for s in [
            "plain",
            "quote \" and \\ back",
            "tab\tline\nnul\u{0}",
            "🐬 ça",
        ] {
            let mut out = Vec::new();
            json_str(&mut out, s);
            assert_eq!(
                serde_json::from_slice::<String>(&out).unwrap(),
                s,
                "{}",
                String::from_utf8_lossy(&out)
            );
        }
    }
}
