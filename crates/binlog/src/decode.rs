//! Decoding of event bodies into [`EventData`].
//!
//! mysql_common decodes the MySQL events it knows (TABLE_MAP, GTID,
//! PREVIOUS_GTIDS, TRANSACTION_PAYLOAD, INCIDENT); this module decodes the
//! rest, MariaDB's events among them, with nom. Nothing is skipped: an event
//! this module cannot decode is an error naming its offset and type.

use std::sync::Arc;

use bytes::Bytes;
use mysql_common::binlog::events::{GtidEvent as MyGtidEvent, IncidentEvent, TableMapEvent};
use mysql_common::binlog::BinlogCtx;
use mysql_common::io::ParseBuf;
use mysql_common::proto::MyDeserialize;
use nom::bytes::complete::take;
use nom::number::complete::{le_u16, le_u32, le_u64, le_u8};
use nom::IResult;

use crate::error::{Error, Result};
use crate::event::{EventData, GtidEvent, Query, RowsEvent, TableMap};
use crate::event_type::EventType;
use crate::format::Format;
use crate::gtid::Gtid;
use crate::header::EventHeader;
use crate::mariadb::{self, MariadbGtidEvent};
use crate::reader::RawEvent;

/// Decodes one event's body. `inflate_limit` bounds the size a compressed
/// MariaDB event may claim once inflated.
pub fn decode(raw: &RawEvent, format: &Format, inflate_limit: u64) -> Result<EventData> {
    decode_with(raw, format, inflate_limit, &mut TableMapCache::default())
}

/// Decoded TABLE_MAP events by table id. A source writes the same TABLE_MAP
/// before every statement on a table; when the bytes are the same as last
/// time, the decoded map is shared instead of decoded again.
#[derive(Default)]
pub struct TableMapCache {
    maps: std::collections::HashMap<u64, (Bytes, Arc<TableMap>)>,
}

impl TableMapCache {
    /// Most tables a cache keeps; beyond it, it starts again (a bound on memory
    /// for binlogs that touch very many tables).
    const MAX_TABLES: usize = 4096;

    fn get_or_decode(&mut self, raw: &RawEvent, format: &Format) -> Result<Arc<TableMap>, String> {
        let body = raw.body();
        let table_id = body
            .get(..6)
            .map(|b| b.iter().rev().fold(0u64, |a, x| (a << 8) | u64::from(*x)))
            .ok_or_else(|| format!("TABLE_MAP body of {} bytes", body.len()))?;
        if let Some((bytes, map)) = self.maps.get(&table_id) {
            if bytes[..] == *body {
                return Ok(map.clone());
            }
        }
        let tme: TableMapEvent<'_> = mysql_common_event(raw, format)?;
        let columns = crate::value::columns_from_table_map(&tme).map_err(|e| e.to_string())?;
        let primary_key =
            crate::value::primary_key_from_table_map(&tme).map_err(|e| e.to_string())?;
        let map = Arc::new(TableMap {
            event: tme.into_owned(),
            columns,
            primary_key,
        });
        if self.maps.len() >= Self::MAX_TABLES {
            self.maps.clear();
        }
        self.maps
            .insert(table_id, (raw.bytes.slice_ref(body), map.clone()));
        Ok(map)
    }
}

/// [`decode`] with a cache of decoded TABLE_MAP events.
pub fn decode_with(
    raw: &RawEvent,
    format: &Format,
    inflate_limit: u64,
    table_maps: &mut TableMapCache,
) -> Result<EventData> {
    let t = raw.header.event_type;
    let body = raw.body();
    let corrupt = |reason: String| Error::Corrupt {
        at: raw.pos.clone(),
        event_type: t,
        reason,
    };
    let data = match t {
        EventType::FORMAT_DESCRIPTION => EventData::FormatDescription {
            server_version: format.server_version.clone(),
            binlog_version: format.binlog_version,
            checksum: format.checksum,
            in_use: format.in_use,
        },
        EventType::ROTATE => {
            let (pos, name) = rotate(body)
                .map_err(|e| corrupt(crate::parse_error::describe(body.len(), &e)))?
                .1;
            EventData::Rotate {
                next_file: String::from_utf8_lossy(name).into_owned(),
                position: pos,
            }
        }
        EventType::STOP => EventData::Stop,
        EventType::QUERY => EventData::Query(Box::new(query(raw, body, None).map_err(corrupt)?)),
        EventType::MARIADB_QUERY_COMPRESSED => EventData::Query(Box::new(
            query(raw, body, Some(inflate_limit)).map_err(corrupt)?,
        )),
        EventType::XID => EventData::Xid(fixed_u64(body).map_err(corrupt)?),
        EventType::INTVAR => {
            let (kind, value) = intvar(body)
                .map_err(|e| corrupt(crate::parse_error::describe(body.len(), &e)))?
                .1;
            EventData::Intvar { kind, value }
        }
        EventType::RAND => {
            let (seed1, seed2) = rand(body)
                .map_err(|e| corrupt(crate::parse_error::describe(body.len(), &e)))?
                .1;
            EventData::Rand { seed1, seed2 }
        }
        EventType::USER_VAR => {
            let name = user_var_name(body)
                .map_err(|e| corrupt(crate::parse_error::describe(body.len(), &e)))?
                .1;
            EventData::UserVar {
                name: String::from_utf8_lossy(name).into_owned(),
            }
        }
        EventType::TABLE_MAP => {
            EventData::TableMap(table_maps.get_or_decode(raw, format).map_err(corrupt)?)
        }
        EventType::WRITE_ROWS_V1
        | EventType::UPDATE_ROWS_V1
        | EventType::DELETE_ROWS_V1
        | EventType::WRITE_ROWS
        | EventType::UPDATE_ROWS
        | EventType::DELETE_ROWS
        | EventType::PARTIAL_UPDATE_ROWS => EventData::Rows(
            rows_event(t, raw.bytes.slice_ref(body), false, format).map_err(corrupt)?,
        ),
        t if t.is_compressed_rows() => {
            EventData::Rows(compressed_rows(raw, format, inflate_limit).map_err(corrupt)?)
        }
        EventType::GTID | EventType::ANONYMOUS_GTID | EventType::GTID_TAGGED => {
            let g: MyGtidEvent = mysql_common_event(raw, format).map_err(corrupt)?;
            let gtid = (t != EventType::ANONYMOUS_GTID).then(|| Gtid::MySql {
                sid: g.sid(),
                tag: g.tag().map(|tag| tag.to_string()),
                gno: g.gno(),
            });
            let logical = g.lc_typecode().is_some();
            let nonzero = |v: u64| (v != 0).then_some(v);
            EventData::Gtid(Box::new(GtidEvent {
                gtid,
                last_committed: logical.then(|| g.last_committed()),
                sequence_number: logical.then(|| g.sequence_number()),
                original_commit_timestamp: nonzero(g.original_commit_timestamp()),
                immediate_commit_timestamp: nonzero(g.immediate_commit_timestamp()),
                mariadb: None,
            }))
        }
        EventType::MARIADB_GTID => {
            let m = MariadbGtidEvent::parse(body).map_err(corrupt)?;
            EventData::Gtid(Box::new(GtidEvent {
                gtid: Some(m.gtid(raw.header.server_id)),
                last_committed: None,
                sequence_number: None,
                original_commit_timestamp: None,
                immediate_commit_timestamp: None,
                mariadb: Some(m),
            }))
        }
        // The set of GTIDs before this file: bookkeeping, not needed for
        // replay, so not decoded (mysql_common allocates from its unchecked
        // counts; found by fuzzing).
        EventType::PREVIOUS_GTIDS => EventData::PreviousGtids,
        EventType::MARIADB_GTID_LIST => {
            EventData::GtidList(mariadb::parse_gtid_list(body).map_err(corrupt)?)
        }
        EventType::MARIADB_BINLOG_CHECKPOINT => {
            EventData::BinlogCheckpoint(mariadb::parse_binlog_checkpoint(body).map_err(corrupt)?)
        }
        EventType::MARIADB_ANNOTATE_ROWS => EventData::RowsQuery(raw.bytes.slice_ref(body)),
        EventType::ROWS_QUERY => {
            // One length byte (truncated at 255, ignored by servers), then the text.
            let text = body.get(1..).unwrap_or_default();
            EventData::RowsQuery(raw.bytes.slice_ref(text))
        }
        EventType::MARIADB_START_ENCRYPTION => {
            return Err(Error::Encrypted {
                at: raw.pos.clone(),
            })
        }
        EventType::INCIDENT => {
            let e: IncidentEvent<'_> = mysql_common_event(raw, format).map_err(corrupt)?;
            let code = e.incident_type().map(|t| t as u16).unwrap_or_else(|u| u.0);
            EventData::Incident {
                code,
                message: e.message().into_owned(),
            }
        }
        EventType::XA_PREPARE => {
            let one_phase = *body
                .first()
                .ok_or_else(|| corrupt("empty XA_PREPARE event".into()))?;
            EventData::XaPrepare {
                one_phase: one_phase != 0,
            }
        }
        EventType::TRANSACTION_PAYLOAD => {
            let h = crate::payload::parse_header(body).map_err(corrupt)?;
            EventData::TransactionPayload {
                compression: h.compression,
                uncompressed_size: h.uncompressed_size,
            }
        }
        EventType::BEGIN_LOAD_QUERY
        | EventType::APPEND_BLOCK
        | EventType::EXECUTE_LOAD_QUERY
        | EventType::DELETE_FILE => EventData::LoadData,
        EventType::HEARTBEAT
        | EventType::HEARTBEAT_V2
        | EventType::IGNORABLE
        | EventType::TRANSACTION_CONTEXT
        | EventType::VIEW_CHANGE => EventData::Ignorable,
        EventType::PRE_GA_WRITE_ROWS
        | EventType::PRE_GA_UPDATE_ROWS
        | EventType::PRE_GA_DELETE_ROWS
        | EventType::START_V3
        | EventType::LOAD
        | EventType::CREATE_FILE
        | EventType::EXEC_LOAD
        | EventType::NEW_LOAD
        | EventType::SLAVE
        | EventType::MARIADB_PARTIAL_ROW_DATA => {
            return Err(Error::Unsupported {
                at: raw.pos.clone(),
                event_type: t,
            })
        }
        _ if raw.header.is_ignorable() => EventData::Ignorable,
        _ => {
            return Err(Error::UnknownEvent {
                at: raw.pos.clone(),
                event_type: t,
            })
        }
    };
    Ok(data)
}

/// Decodes a body with mysql_common, refusing leftover bytes.
fn mysql_common_event<'a, T>(raw: &'a RawEvent, format: &'a Format) -> Result<T, String>
where
    T: MyDeserialize<'a, Ctx = BinlogCtx<'a>>,
{
    let body = raw.body();
    let ctx = BinlogCtx::new(
        EventHeader::LEN + body.len(),
        format.fde(),
        raw.header.event_type.0,
    );
    let mut buf = ParseBuf(body);
    let v = buf.parse(ctx).map_err(|e| e.to_string())?;
    if !buf.is_empty() {
        return Err(format!(
            "{} bytes left over after the event's fields",
            buf.len()
        ));
    }
    Ok(v)
}

fn fixed_u64(body: &[u8]) -> Result<u64, String> {
    let b: [u8; 8] = body
        .get(..8)
        .and_then(|s| s.try_into().ok())
        .ok_or_else(|| format!("body of {} bytes, 8 expected", body.len()))?;
    if body.len() != 8 {
        return Err(format!("body of {} bytes, 8 expected", body.len()));
    }
    Ok(u64::from_le_bytes(b))
}

fn rotate(i: &[u8]) -> IResult<&[u8], (u64, &[u8])> {
    let (name, pos) = le_u64(i)?;
    Ok((&[], (pos, name)))
}

fn intvar(i: &[u8]) -> IResult<&[u8], (u8, u64)> {
    let (i, kind) = le_u8(i)?;
    let (i, value) = le_u64(i)?;
    Ok((i, (kind, value)))
}

fn rand(i: &[u8]) -> IResult<&[u8], (u64, u64)> {
    let (i, a) = le_u64(i)?;
    let (i, b) = le_u64(i)?;
    Ok((i, (a, b)))
}

fn user_var_name(i: &[u8]) -> IResult<&[u8], &[u8]> {
    let (i, len) = le_u32(i)?;
    take(len as usize)(i)
}

/// QUERY post-header (binlog v4): thread_id, exec_time, schema length,
/// error code, status-vars length; then status vars, schema, NUL, statement.
fn query(raw: &RawEvent, body: &[u8], inflate: Option<u64>) -> Result<Query, String> {
    type Fields<'a> = (u32, u32, u16, &'a [u8], &'a [u8]);
    fn fields(i: &[u8]) -> IResult<&[u8], Fields<'_>> {
        let (i, thread_id) = le_u32(i)?;
        let (i, exec_time) = le_u32(i)?;
        let (i, schema_len) = le_u8(i)?;
        let (i, error_code) = le_u16(i)?;
        let (i, vars_len) = le_u16(i)?;
        let (i, vars) = take(vars_len as usize)(i)?;
        let (i, schema) = take(schema_len as usize)(i)?;
        let (i, _nul) = take(1usize)(i)?;
        Ok((i, (thread_id, exec_time, error_code, vars, schema)))
    }
    let (sql, (thread_id, exec_time, error_code, vars, schema)) =
        fields(body).map_err(|e| crate::parse_error::describe(body.len(), &e))?;
    let sql = match inflate {
        Some(limit) => Bytes::from(mariadb::uncompress(sql, limit)?),
        None => raw.bytes.slice_ref(sql),
    };
    Ok(Query {
        thread_id,
        exec_time,
        error_code,
        schema: String::from_utf8_lossy(schema).into_owned(),
        status_vars: raw.bytes.slice_ref(vars),
        sql,
    })
}

/// Length of a rows event's header part: post-header (table id, flags, v2
/// extra data), column count, and the column bitmaps.
/// Returns (column count, offset of the bitmaps, offset of the rows).
fn rows_header_len(
    layout: EventType,
    body: &[u8],
    format: &Format,
) -> Result<(u64, usize, usize), String> {
    let mut p = table_id_len(layout, format) + 2;
    let v2 = matches!(
        layout,
        EventType::WRITE_ROWS
            | EventType::UPDATE_ROWS
            | EventType::DELETE_ROWS
            | EventType::PARTIAL_UPDATE_ROWS
    );
    let short = || {
        format!(
            "rows event body of {} bytes ends inside its header",
            body.len()
        )
    };
    if v2 {
        let b = body.get(p..p + 2).ok_or_else(short)?;
        let extra = u16::from_le_bytes([b[0], b[1]]) as usize;
        if extra < 2 {
            return Err(format!("rows event extra-data length {extra} is below 2"));
        }
        p += extra;
    }
    let (width, n) = lenenc(body.get(p..).ok_or_else(short)?).ok_or_else(short)?;
    p += n;
    let bitmaps_at = p;
    if width > body.len() as u64 * 8 {
        return Err(format!(
            "rows event claims {width} columns, more than its body can describe"
        ));
    }
    let bitmap = width.div_ceil(8) as usize;
    let bitmaps = if matches!(
        layout,
        EventType::UPDATE_ROWS | EventType::UPDATE_ROWS_V1 | EventType::PARTIAL_UPDATE_ROWS
    ) {
        2
    } else {
        1
    };
    p = p.checked_add(bitmap * bitmaps).ok_or_else(short)?;
    if p > body.len() {
        return Err(short());
    }
    Ok((width, bitmaps_at, p))
}

/// Table ids are 6 bytes, except in early 5.1 files whose v1 rows post-header is 6 bytes long.
fn table_id_len(layout: EventType, format: &Format) -> usize {
    let post_header = mysql_common::binlog::consts::EventType::try_from(layout.0)
        .map(|t| format.fde().get_event_type_header_length(t))
        .unwrap_or(8);
    if post_header == 6 {
        4
    } else {
        6
    }
}

/// A length-encoded integer: value and bytes used.
pub(crate) fn lenenc(b: &[u8]) -> Option<(u64, usize)> {
    let first = *b.first()?;
    let le = |n: usize| -> Option<(u64, usize)> {
        let s = b.get(1..1 + n)?;
        Some((
            s.iter().rev().fold(0u64, |a, x| (a << 8) | u64::from(*x)),
            1 + n,
        ))
    };
    match first {
        0..=250 => Some((u64::from(first), 1)),
        252 => le(2),
        253 => le(3),
        254 => le(8),
        _ => None,
    }
}

fn rows_event(
    layout: EventType,
    body: Bytes,
    compressed: bool,
    format: &Format,
) -> Result<RowsEvent, String> {
    let (columns, bitmaps_at, rows_at) = rows_header_len(layout, &body, format)?;
    let table_id_len = table_id_len(layout, format);
    let table_id = body[..table_id_len]
        .iter()
        .rev()
        .fold(0u64, |a, x| (a << 8) | u64::from(*x));
    let flags = u16::from_le_bytes([body[table_id_len], body[table_id_len + 1]]);
    Ok(RowsEvent {
        kind: layout.rows_kind().expect("rows layout"),
        layout,
        table_id,
        flags,
        columns,
        body,
        compressed,
        bitmaps_at,
        rows_at,
        flags_at: table_id_len,
    })
}

/// MariaDB compressed rows events: the rows part after the column bitmaps is
/// compressed; the header part is as in the plain event.
fn compressed_rows(raw: &RawEvent, format: &Format, limit: u64) -> Result<RowsEvent, String> {
    let t = raw.header.event_type;
    let layout = t.uncompressed_rows_type().expect("compressed rows type");
    let body = raw.body();
    let (_, _, header_len) = rows_header_len(layout, body, format)?;
    let rows = mariadb::uncompress(&body[header_len..], limit)?;
    let mut plain = Vec::with_capacity(header_len + rows.len());
    plain.extend_from_slice(&body[..header_len]);
    plain.extend_from_slice(&rows);
    rows_event(layout, Bytes::from(plain), true, format)
}
