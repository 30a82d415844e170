//! The seam between a session and the way it applies row events: one trait,
//! two implementations. `BinlogStatements` sends the original events in
//! `BINLOG '...'` statements (the server's own row applier: exact replica
//! semantics); [`SqlApply`](crate::sql::SqlApply) renders them as INSERT /
//! UPDATE / DELETE for targets that refuse BINLOG statements.

use std::sync::Arc;

use base64::Engine;
use bytes::Bytes;
use myreplay_binlog::Event;
use mysql::prelude::Queryable;
use mysql::Conn;

use crate::error::ApplyError;

/// How a session applies the row events of a transaction.
pub trait RowApply: Send {
    /// Applies row events (TABLE_MAP and ROWS, raw, in order) written under
    /// the FORMAT_DESCRIPTION `fde`, inside the session's open transaction.
    fn apply_rows(
        &mut self,
        conn: &mut Conn,
        fde: &Arc<Bytes>,
        events: &[Bytes],
    ) -> Result<(), ApplyError>;

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

/// Largest raw size of the events sent in one `BINLOG` statement (base64
/// makes it 4/3 larger; the server's default max_allowed_packet is 16 MiB).
const MAX_BINLOG_CHUNK: usize = 4 << 20;

/// Row events through `BINLOG '<base64>'` statements.
#[derive(Debug, Default)]
pub struct BinlogStatements {
    /// The FORMAT_DESCRIPTION last sent on this connection.
    fde: Option<Arc<Bytes>>,
}

impl BinlogStatements {
    fn send_fde(&mut self, conn: &mut Conn, fde: &Arc<Bytes>) -> Result<(), ApplyError> {
        if self
            .fde
            .as_ref()
            .is_some_and(|f| Arc::ptr_eq(f, fde) || f == fde)
        {
            return Ok(());
        }
        conn.query_drop(binlog_statement(std::slice::from_ref(&**fde)))
            .map_err(ApplyError::query("sending the FORMAT_DESCRIPTION event (BINLOG statement; needs SUPER or BINLOG REPLAY)"))?;
        self.fde = Some(fde.clone());
        Ok(())
    }
}

impl RowApply for BinlogStatements {
    fn apply_rows(
        &mut self,
        conn: &mut Conn,
        fde: &Arc<Bytes>,
        events: &[Bytes],
    ) -> Result<(), ApplyError> {
        self.send_fde(conn, fde)?;
        for chunk in chunks(events) {
            conn.query_drop(binlog_statement(chunk))
                .map_err(ApplyError::query("applying row events (BINLOG statement)"))?;
        }
        Ok(())
    }

    fn batches(&self) -> bool {
        true
    }

    fn reset(&mut self) {
        self.fde = None;
    }
}

impl RowApply for crate::sql::SqlApply {
    fn apply_rows(
        &mut self,
        conn: &mut Conn,
        fde: &Arc<Bytes>,
        events: &[Bytes],
    ) -> Result<(), ApplyError> {
        crate::sql::SqlApply::apply_rows(self, conn, fde, events)
    }

    fn before_statement(&mut self, query: &Event) {
        crate::sql::SqlApply::before_statement(self, query)
    }

    fn reset(&mut self) {
        *self = crate::sql::SqlApply::new();
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

/// Splits events into runs of at most MAX_BINLOG_CHUNK bytes (an event
/// larger than that is a run of its own).
fn chunks(events: &[Bytes]) -> impl Iterator<Item = &[Bytes]> {
    let mut start = 0;
    std::iter::from_fn(move || {
        if start >= events.len() {
            return None;
        }
        let mut end = start;
        let mut size = 0;
        while end < events.len() && (end == start || size + events[end].len() <= MAX_BINLOG_CHUNK) {
            size += events[end].len();
            end += 1;
        }
        let run = &events[start..end];
        start = end;
        Some(run)
    })
}
