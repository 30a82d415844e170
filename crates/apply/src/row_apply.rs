//! The seam between a session and the way it applies row events: one trait,
//! two implementations. `BinlogStatements` sends the original events in
//! `BINLOG '...'` statements (the server's own row applier: exact replica
//! semantics); [`SqlApply`](crate::sql::SqlApply) renders them as INSERT /
//! UPDATE / DELETE for targets that refuse BINLOG statements.

use std::sync::Arc;

use base64::Engine;
use bytes::Bytes;
use myreplay_binlog::resend::{RowsFlagsAt, RowsPieces};
use myreplay_binlog::{Event, EventData, RowsEvent};
use mysql::prelude::Queryable;
use mysql::Conn;

use crate::error::ApplyError;
use crate::work::RowStatement;

/// How a session applies the row events of a transaction.
pub trait RowApply: Send {
    /// Applies row events (TABLE_MAP and ROWS, in order) written under the
    /// FORMAT_DESCRIPTION `fde`, inside the session's open transaction.
    /// Every TABLE_MAP a ROWS event needs is among `events`, before it.
    fn apply_rows(
        &mut self,
        conn: &mut Conn,
        fde: &Arc<Bytes>,
        events: &[Event],
    ) -> Result<(), ApplyError>;

    /// Called before the session opens a target transaction whose row
    /// events were written under `fde`: whatever must be sent outside a
    /// transaction is sent here (MySQL refuses a FORMAT_DESCRIPTION inside
    /// one, ERROR 1766).
    fn begin(&mut self, _conn: &mut Conn, _fde: &Arc<Bytes>) -> Result<(), ApplyError> {
        Ok(())
    }

    /// Whether the row events of several source transactions may be passed
    /// in one call (one round trip for a whole unit).
    fn batches(&self) -> bool {
        false
    }

    /// Called before a statement step runs on the session (it may change
    /// session settings or the schema).
    fn before_statement(&mut self, _query: &Event) {}

    /// Forgets per-connection state (after reconnecting).
    fn reset(&mut self);
}

/// Largest raw size of the events sent in one `BINLOG` statement, unless
/// the target's max_allowed_packet asks for less (base64 makes a statement
/// 4/3 of the events).
pub const MAX_BINLOG_STATEMENT: usize = 4 << 20;

/// The raw size of events that fits in a `BINLOG` statement on a target
/// with this max_allowed_packet (base64 is 4/3 larger; some room for the
/// statement and the packet header).
pub fn binlog_statement_limit(max_allowed_packet: u64) -> usize {
    let raw = max_allowed_packet.saturating_sub(1024) / 4 * 3;
    (raw as usize).clamp(4096, MAX_BINLOG_STATEMENT)
}

/// Row events through `BINLOG '<base64>'` statements.
#[derive(Debug)]
pub struct BinlogStatements {
    /// The FORMAT_DESCRIPTION last sent on this connection.
    fde: Option<Arc<Bytes>>,
    /// Raw bytes of events per `BINLOG` statement, at most.
    limit: usize,
    /// The target is MySQL: a FORMAT_DESCRIPTION sets the session's
    /// GTID_NEXT to NOT_YET_DETERMINED, which must be set back.
    mysql: bool,
    /// The FORMAT_DESCRIPTION sent announces CRC32 checksums.
    checksum: bool,
    /// MySQL target whose binlog annotates (`binlog_rows_query_log_events`
    /// ON globally): the source's ROWS_QUERY events are carried into it.
    carry_rows_query: bool,
    /// The session's binlog_rows_query_log_events as last set here.
    annotating: bool,
}

impl Default for BinlogStatements {
    fn default() -> Self {
        Self::new(MAX_BINLOG_STATEMENT, false)
    }
}

impl BinlogStatements {
    /// Statements of at most `limit` raw bytes of events (see
    /// [`binlog_statement_limit`]), for a MySQL target when `mysql`.
    pub fn new(limit: usize, mysql: bool) -> Self {
        Self {
            fde: None,
            limit,
            mysql,
            checksum: false,
            carry_rows_query: false,
            annotating: false,
        }
    }

    /// MySQL: carry the source's ROWS_QUERY events into the target's
    /// binlog. MySQL 9.7 writes a ROWS_QUERY event a `BINLOG` statement
    /// holds, with the source's text, when the session has
    /// `binlog_rows_query_log_events` ON (and nothing when it is OFF);
    /// before row events without one it would write the `BINLOG`
    /// statement's own text, and before the session's own statements
    /// theirs. So the session annotates only while it sends `BINLOG`
    /// statements whose every row statement starts with its ROWS_QUERY.
    pub fn carry_rows_query(mut self, carry: bool) -> Self {
        self.carry_rows_query = carry && self.mysql;
        self
    }

    fn annotate(&mut self, conn: &mut Conn, on: bool) -> Result<(), ApplyError> {
        if self.annotating == on {
            return Ok(());
        }
        conn.query_drop(format!(
            "SET SESSION binlog_rows_query_log_events = {}",
            u8::from(on)
        ))
        .map_err(ApplyError::query(
            "SET SESSION binlog_rows_query_log_events (carrying the source's statement text into the target's binlog)",
        ))?;
        self.annotating = on;
        Ok(())
    }

    fn send_fde(&mut self, conn: &mut Conn, fde: &Arc<Bytes>) -> Result<(), ApplyError> {
        if self
            .fde
            .as_ref()
            .is_some_and(|f| Arc::ptr_eq(f, fde) || same_format(f, fde))
        {
            return Ok(());
        }
        conn.query_drop(binlog_statement(std::slice::from_ref(&**fde)))
            .map_err(ApplyError::query(if self.mysql {
                "sending the FORMAT_DESCRIPTION event (BINLOG statement; needs BINLOG_ADMIN or REPLICATION_APPLIER, and no open transaction)"
            } else {
                "sending the FORMAT_DESCRIPTION event (BINLOG statement; needs SUPER or BINLOG REPLAY)"
            }))?;
        if self.mysql {
            crate::target::automatic_gtid_next(conn)?;
        }
        self.checksum = myreplay_binlog::Format::from_event(fde)
            .map(|f| f.checksum)
            .map_err(|e| ApplyError::Unexpected {
                doing: "reading the FORMAT_DESCRIPTION event".into(),
                reason: e.to_string(),
            })?;
        self.fde = Some(fde.clone());
        Ok(())
    }
}

/// Whether two FORMAT_DESCRIPTION events describe the same format: equal
/// but for the header's timestamp and flags (the in-use flag), the
/// creation time and the checksum (each file's own).
pub(crate) fn same_format(a: &[u8], b: &[u8]) -> bool {
    // Header: timestamp 0..4, type 4, server id 5..9, size 9..13, log_pos
    // 13..17, flags 17..19. Body: binlog version 19..21, server version
    // 21..71, created 71..75, then the header length and post-header
    // lengths (and the checksum algorithm and CRC32 at the end).
    if a.len() != b.len() || a.len() < 75 {
        return a == b;
    }
    let crc = |x: &[u8]| x.len() - 4;
    a[4..17] == b[4..17] && a[19..71] == b[19..71] && a[75..crc(a)] == b[75..crc(b)]
}

impl RowApply for BinlogStatements {
    fn apply_rows(
        &mut self,
        conn: &mut Conn,
        fde: &Arc<Bytes>,
        events: &[Event],
    ) -> Result<(), ApplyError> {
        self.send_fde(conn, fde)?;
        // MariaDB's compressed rows events go inflated: a BINLOG statement
        // refuses them (ERROR 1730; see myreplay_binlog::resend::plain).
        let inflated: Vec<Event>;
        let events = if events.iter().any(is_compressed_rows) {
            inflated = events.iter().map(inflate).collect();
            &inflated[..]
        } else {
            events
        };
        // The inner events of a MySQL TRANSACTION_PAYLOAD have no CRC32 of
        // their own (the payload has one); sent on their own under a
        // FORMAT_DESCRIPTION that announces checksums, they need one
        // (ERROR 1610 Corrupted replication event otherwise).
        let with_checksums: Vec<Event>;
        let events = if self.checksum && events.iter().any(|e| !e.raw.has_checksum) {
            with_checksums = events
                .iter()
                .map(|e| {
                    let mut e = e.clone();
                    if !e.raw.has_checksum {
                        e.raw.bytes = myreplay_binlog::resend::with_checksum(&e.raw.bytes);
                        e.raw.has_checksum = true;
                    }
                    e
                })
                .collect();
            &with_checksums[..]
        } else {
            events
        };
        let carry = self.carry_rows_query && carries_rows_query(events, self.limit);
        if carry {
            self.annotate(conn, true)?;
        }
        let mut send = |events: &[Bytes]| {
            conn.query_drop(binlog_statement(events)).map_err(|e| {
                let size: usize = events.iter().map(|e| e.len()).sum();
                ApplyError::query(format!(
                    "applying row events (a BINLOG statement of {} bytes; if the server says the packet is too large, raise max_allowed_packet on the target to at least {} bytes)",
                    size * 4 / 3 + 16,
                    (size * 4 / 3 + 1024).next_power_of_two()
                ))(e)
            })
        };
        let sent = for_each_statement(events, self.limit, &mut send);
        if carry {
            // Off again: the session's own statements (the checkpoint
            // rows) would be annotated with their text.
            self.annotate(conn, false)?;
        }
        sent
    }

    fn begin(&mut self, conn: &mut Conn, fde: &Arc<Bytes>) -> Result<(), ApplyError> {
        self.send_fde(conn, fde)
    }

    fn batches(&self) -> bool {
        true
    }

    fn reset(&mut self) {
        self.fde = None;
        // A new connection starts with annotations off (Session's connect).
        self.annotating = false;
    }
}

impl RowApply for crate::sql::SqlApply {
    fn apply_rows(
        &mut self,
        conn: &mut Conn,
        fde: &Arc<Bytes>,
        events: &[Event],
    ) -> Result<(), ApplyError> {
        let raw: Vec<Bytes> = events.iter().map(|e| e.raw.bytes.clone()).collect();
        crate::sql::SqlApply::apply_rows(self, conn, fde, &raw)
    }

    fn before_statement(&mut self, query: &Event) {
        crate::sql::SqlApply::before_statement(self, query)
    }

    fn reset(&mut self) {
        *self = crate::sql::SqlApply::new();
    }
}

fn is_compressed_rows(e: &Event) -> bool {
    matches!(&e.data, EventData::Rows(r) if r.compressed)
}

/// `e` with its rows inflated when it is a compressed rows event.
fn inflate(e: &Event) -> Event {
    let mut e = e.clone();
    if let EventData::Rows(r) = &mut e.data {
        if r.compressed {
            e.raw.bytes = myreplay_binlog::resend::plain(&e.raw, r);
            e.raw.header.event_type = r.layout;
            r.compressed = false;
        }
    }
    e
}

/// Whether `events` go in one `BINLOG` statement and every row statement
/// among them starts with its ROWS_QUERY event (then the source's text is
/// what the target writes; see [`BinlogStatements::carry_rows_query`]).
fn carries_rows_query(events: &[Event], limit: usize) -> bool {
    let size: usize = events.iter().map(|e| e.raw.bytes.len()).sum();
    if size > limit {
        return false;
    }
    let mut statement = RowStatement::default();
    let mut previous_was_query = false;
    let mut any = false;
    for e in events {
        if let EventData::TableMap(_) = e.data {
            if statement.open_maps().is_empty() && !previous_was_query {
                return false;
            }
        }
        previous_was_query = matches!(e.data, EventData::RowsQuery(_));
        any |= previous_was_query;
        statement.see(e);
    }
    any
}

/// Groups row events into `BINLOG` statements of at most `limit` raw bytes
/// and calls `send` with each, in order. A statement only ever holds whole
/// row statements: a row statement too large for one is cut into pieces,
/// each starting with the statement's TABLE_MAP events and ending with
/// STMT_END_F, and a single rows event too large is cut at row boundaries
/// (see [`myreplay_binlog::resend`]). Only a single row larger than `limit`
/// makes a larger statement.
pub(crate) fn for_each_statement(
    events: &[Event],
    limit: usize,
    send: &mut dyn FnMut(&[Bytes]) -> Result<(), ApplyError>,
) -> Result<(), ApplyError> {
    let mut out = Pending::default();
    let mut statement = RowStatement::default();
    for e in events {
        match &e.data {
            // Pushed while the statement it may end is still open: a piece
            // sent before it closes the statement, and the next one starts
            // with its TABLE_MAP events.
            EventData::Rows(rows) => push_rows(&mut out, e, rows, &statement, limit, send)?,
            _ => out.push(
                e.raw.bytes.clone(),
                None,
                limit,
                statement.open_maps(),
                send,
            )?,
        }
        statement.see(e);
    }
    out.finish(send)
}

/// Pushes a rows event, cut at row boundaries when it is too large for a
/// `BINLOG` statement with its statement's TABLE_MAP events.
fn push_rows(
    out: &mut Pending,
    e: &Event,
    rows: &RowsEvent,
    statement: &RowStatement,
    limit: usize,
    send: &mut dyn FnMut(&[Bytes]) -> Result<(), ApplyError>,
) -> Result<(), ApplyError> {
    let at = RowsFlagsAt::of(&e.raw, rows);
    let maps = statement.open_maps();
    let maps_len: usize = maps.iter().map(|m| m.raw.bytes.len()).sum();
    if e.raw.bytes.len() + maps_len <= limit {
        return out.push(e.raw.bytes.clone(), Some(at), limit, maps, send);
    }
    let cutting = |reason: String| ApplyError::Unexpected {
        doing: format!("cutting the rows event at {} into pieces", e.raw.pos),
        reason,
    };
    let map = statement.table_map(rows.table_id).ok_or_else(|| {
        cutting(format!(
            "no TABLE_MAP for table id {} before it",
            rows.table_id
        ))
    })?;
    let piece_limit = limit.saturating_sub(maps_len).max(1024);
    for piece in
        RowsPieces::new(&e.raw, rows, map, piece_limit).map_err(|v| cutting(v.to_string()))?
    {
        let piece = piece.map_err(|v| cutting(v.to_string()))?;
        out.push(piece, Some(at), limit, maps, send)?;
    }
    Ok(())
}

/// Events waiting to be sent in one `BINLOG` statement.
#[derive(Default)]
struct Pending {
    events: Vec<Bytes>,
    size: usize,
    /// Index of the last rows event in `events`.
    last_rows: Option<usize>,
    /// Where the flags of that rows event are, when it does not end its row
    /// statement.
    open: Option<RowsFlagsAt>,
}

impl Pending {
    fn push(
        &mut self,
        event: Bytes,
        rows: Option<RowsFlagsAt>,
        limit: usize,
        maps: &[Event],
        send: &mut dyn FnMut(&[Bytes]) -> Result<(), ApplyError>,
    ) -> Result<(), ApplyError> {
        if self.last_rows.is_some() && rows.is_some() && self.size + event.len() > limit {
            self.send_rows(maps, send)?;
        }
        self.size += event.len();
        if let Some(at) = rows {
            self.last_rows = Some(self.events.len());
            self.open = (at.flags(&event) & RowsEvent::STMT_END_F == 0).then_some(at);
        }
        self.events.push(event);
        Ok(())
    }

    /// Sends the events up to the last rows event. A row statement left
    /// open is closed there (STMT_END_F) and continues in the next
    /// `BINLOG` statement, which starts again with its TABLE_MAP events
    /// `maps`; TABLE_MAP events after the last rows event move to the next
    /// statement.
    fn send_rows(
        &mut self,
        maps: &[Event],
        send: &mut dyn FnMut(&[Bytes]) -> Result<(), ApplyError>,
    ) -> Result<(), ApplyError> {
        let Some(last) = self.last_rows.take() else {
            return Ok(());
        };
        let tail = self.events.split_off(last + 1);
        let reopen = self.open.take();
        if let Some(at) = reopen {
            self.events[last] = at.with_statement_end(&self.events[last]);
        }
        send(&self.events)?;
        self.events = if reopen.is_some() {
            maps.iter().map(|m| m.raw.bytes.clone()).collect()
        } else {
            tail
        };
        self.size = self.events.iter().map(|e| e.len()).sum();
        Ok(())
    }

    /// Sends everything left (closing a row statement left open).
    fn finish(
        mut self,
        send: &mut dyn FnMut(&[Bytes]) -> Result<(), ApplyError>,
    ) -> Result<(), ApplyError> {
        if let (Some(last), Some(at)) = (self.last_rows, self.open) {
            self.events[last] = at.with_statement_end(&self.events[last]);
        }
        if self.events.is_empty() {
            return Ok(());
        }
        send(&self.events)
    }
}

/// `BINLOG '<base64 of event 1>\n<base64 of event 2>...'`: MariaDB and
/// MySQL accept several newline-separated events in one statement.
pub(crate) fn binlog_statement(events: &[Bytes]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut s =
        String::with_capacity(events.iter().map(|e| e.len() * 4 / 3 + 4).sum::<usize>() + 10);
    s.push_str("BINLOG '");
    for (i, e) in events.iter().enumerate() {
        if i > 0 {
            s.push('\n');
        }
        b64.encode_string(e, &mut s);
    }
    s.push('\'');
    s
}

#[cfg(test)]
mod tests {
    use super::same_format;

    /// The FORMAT_DESCRIPTION event of a fixture binlog.
    fn fde(n: u32) -> Vec<u8> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(format!("../../testdata/mariadb/binlog.{n:06}"));
        let mut r = myreplay_binlog::EventReader::open(&path, Default::default()).unwrap();
        r.next_event().unwrap().unwrap().bytes.to_vec()
    }

    #[test]
    fn format_descriptions_of_one_servers_files_are_the_same_format() {
        let (a, b) = (fde(1), fde(2));
        assert_ne!(a, b, "the bytes differ (timestamps, CRC32)");
        assert!(same_format(&a, &b));
        let mut other = b.clone();
        other[80] ^= 1; // a post-header length
        assert!(!same_format(&a, &other));
    }
}
