//! Decoded events: what each event means, next to its bytes.

use std::sync::Arc;

use bytes::Bytes;
use mysql_common::binlog::events::TableMapEvent;

use crate::event_type::{EventType, RowsKind};
use crate::gtid::Gtid;
use crate::mariadb::MariadbGtidEvent;
use crate::reader::RawEvent;
use crate::value::{
    count_rows, decode_rows, decode_rows_only, ColumnDef, Rows, RowsLayout, ValueError,
};

/// One event: the bytes as read (offset, header, verified checksum) and
/// what they say.
#[derive(Debug, Clone)]
pub struct Event {
    pub raw: RawEvent,
    /// For an event unpacked from a MySQL TRANSACTION_PAYLOAD: its index
    /// inside the payload (the position is the payload event's).
    pub inner: Option<u32>,
    /// Where the next event of the file starts (for an inner event: the end
    /// of its TRANSACTION_PAYLOAD).
    pub end: u64,
    pub data: EventData,
}

impl Event {
    pub fn event_type(&self) -> EventType {
        self.raw.header.event_type
    }
}

/// What an event says. Variants hold what replay and planning need; the
/// original bytes stay in [`RawEvent::bytes`]. Large variants are boxed so an
/// event stays small to move (it is moved several times per event on the hot path).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum EventData {
    FormatDescription {
        server_version: String,
        binlog_version: u16,
        checksum: bool,
        in_use: bool,
    },
    Rotate {
        next_file: String,
        position: u64,
    },
    Stop,
    Query(Box<Query>),
    Xid(u64),
    /// INTVAR: LAST_INSERT_ID (1) or INSERT_ID (2) for the next statement.
    Intvar {
        kind: u8,
        value: u64,
    },
    Rand {
        seed1: u64,
        seed2: u64,
    },
    UserVar {
        name: String,
    },
    TableMap(Arc<TableMap>),
    Rows(RowsEvent),
    Gtid(Box<GtidEvent>),
    PreviousGtids,
    GtidList(Vec<Gtid>),
    BinlogCheckpoint(String),
    /// MariaDB ANNOTATE_ROWS / MySQL ROWS_QUERY: the statement behind row
    /// events, as the source wrote it (bytes in the statement's charset).
    RowsQuery(Bytes),
    XaPrepare {
        one_phase: bool,
    },
    Incident {
        code: u16,
        message: String,
    },
    /// A MySQL TRANSACTION_PAYLOAD; its inner events follow as events of their own.
    TransactionPayload {
        compression: u64,
        uncompressed_size: u64,
    },
    /// Statement-based LOAD DATA (BEGIN_LOAD_QUERY, APPEND_BLOCK, EXECUTE_LOAD_QUERY, DELETE_FILE).
    LoadData,
    /// Events with no effect on data: HEARTBEAT, IGNORABLE, TRANSACTION_CONTEXT,
    /// VIEW_CHANGE, and unknown types flagged ignorable.
    Ignorable,
}

/// A QUERY or QUERY_COMPRESSED event.
#[derive(Debug, Clone)]
pub struct Query {
    pub thread_id: u32,
    pub exec_time: u32,
    pub error_code: u16,
    pub schema: String,
    /// Status variables, raw (sql_mode, charsets, time zone, flags...).
    pub status_vars: Bytes,
    /// The statement text, inflated when the event was compressed.
    pub sql: Bytes,
}

impl Query {
    /// The statement as text (lossy for non-UTF-8 bytes; use `sql` to replay).
    pub fn sql_lossy(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.sql)
    }

    /// The session context from the status variables.
    pub fn context(&self) -> Result<crate::context::StatementContext, String> {
        crate::context::StatementContext::parse(&self.status_vars)
    }

    /// What the statement does to a transaction.
    pub fn class(&self) -> QueryClass {
        QueryClass::of(&self.sql)
    }
}

/// How a QUERY event relates to transaction boundaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryClass {
    Begin,
    Commit,
    Rollback,
    /// SAVEPOINT / ROLLBACK TO SAVEPOINT / RELEASE SAVEPOINT: inside a transaction.
    Savepoint,
    /// XA START / END / PREPARE / COMMIT / ROLLBACK.
    Xa(XaStep),
    /// INSERT / UPDATE / DELETE / REPLACE / LOAD ... as a statement.
    Dml,
    /// Everything else: DDL, GRANT, SET PASSWORD... (implicit commit).
    Ddl,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XaStep {
    Start,
    End,
    Prepare,
    Commit,
    Rollback,
}

impl QueryClass {
    /// Classifies by leading keywords, skipping spaces and comments.
    pub fn of(sql: &[u8]) -> QueryClass {
        let words = leading_words(sql, 3);
        let w = |i: usize| words.get(i).map(String::as_str).unwrap_or("");
        match w(0) {
            "BEGIN" => QueryClass::Begin,
            "START" if w(1) == "TRANSACTION" => QueryClass::Begin,
            "COMMIT" => QueryClass::Commit,
            "ROLLBACK" if w(1) == "TO" => QueryClass::Savepoint,
            "ROLLBACK" => QueryClass::Rollback,
            "SAVEPOINT" | "RELEASE" => QueryClass::Savepoint,
            "XA" => QueryClass::Xa(match w(1) {
                "START" | "BEGIN" => XaStep::Start,
                "END" => XaStep::End,
                "PREPARE" => XaStep::Prepare,
                "COMMIT" => XaStep::Commit,
                _ => XaStep::Rollback,
            }),
            "INSERT" | "UPDATE" | "DELETE" | "REPLACE" | "LOAD" | "CALL" | "DO" | "SELECT"
            | "WITH" | "SET" => QueryClass::Dml,
            _ => QueryClass::Ddl,
        }
    }
}

/// The first `n` words, upper-cased, after whitespace, `/* */` and `#`/`--` comments.
fn leading_words(sql: &[u8], n: usize) -> Vec<String> {
    let mut out = Vec::with_capacity(n);
    let mut i = 0;
    while i < sql.len() && out.len() < n {
        let c = sql[i];
        if c.is_ascii_whitespace() || c == b'(' || c == b';' {
            i += 1;
        } else if sql[i..].starts_with(b"/*") {
            // MySQL-specific comments /*!NNNNN ... */ hold real SQL: read inside them.
            if sql[i..].starts_with(b"/*!") {
                i += 3;
                while i < sql.len() && sql[i].is_ascii_digit() {
                    i += 1;
                }
            } else {
                match sql[i + 2..].windows(2).position(|w| w == b"*/") {
                    Some(p) => i += 2 + p + 2,
                    None => break,
                }
            }
        } else if c == b'#' || sql[i..].starts_with(b"-- ") {
            match sql[i..].iter().position(|&b| b == b'\n') {
                Some(p) => i += p + 1,
                None => break,
            }
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < sql.len() && (sql[i].is_ascii_alphanumeric() || sql[i] == b'_') {
                i += 1;
            }
            out.push(String::from_utf8_lossy(&sql[start..i]).to_ascii_uppercase());
        } else {
            break;
        }
    }
    out
}

/// A TABLE_MAP event with its columns decoded for row images.
#[derive(Debug)]
pub struct TableMap {
    pub event: TableMapEvent<'static>,
    /// Type, metadata, signedness and charset of every column.
    pub columns: Vec<ColumnDef>,
    /// The primary key (column, prefix length) when the optional metadata
    /// names it (MySQL `binlog_row_metadata=FULL`).
    pub primary_key: Option<crate::value::KeyColumns>,
}

impl std::ops::Deref for TableMap {
    type Target = TableMapEvent<'static>;

    fn deref(&self) -> &Self::Target {
        &self.event
    }
}

/// A rows event (any version; MariaDB compressed ones arrive inflated).
#[derive(Debug, Clone)]
pub struct RowsEvent {
    pub kind: RowsKind,
    /// The uncompressed event type the body is laid out as (WRITE_ROWS_V1, ...).
    pub layout: EventType,
    pub table_id: u64,
    pub flags: u16,
    /// Number of columns the event covers.
    pub columns: u64,
    /// The body as the plain event type would have it (inflated if it was compressed).
    pub body: Bytes,
    pub compressed: bool,
    /// Offset in `body` of the present-column bitmap(s), and of the rows.
    pub(crate) bitmaps_at: usize,
    pub(crate) rows_at: usize,
    /// Offset in the body of the flags (after the table id, 6 or 4 bytes).
    pub(crate) flags_at: usize,
}

impl RowsEvent {
    /// STMT_END_F: the last rows event of its statement.
    pub const STMT_END_F: u16 = 1;
    /// NO_FOREIGN_KEY_CHECKS_F: FOREIGN_KEY_CHECKS=0 on the source.
    pub const NO_FOREIGN_KEY_CHECKS_F: u16 = 2;
    /// RELAXED_UNIQUE_CHECKS_F: UNIQUE_CHECKS=0 on the source.
    pub const RELAXED_UNIQUE_CHECKS_F: u16 = 4;

    pub fn is_statement_end(&self) -> bool {
        self.flags & Self::STMT_END_F != 0
    }

    /// Present-column bitmaps: (before image, after image). WRITE has only
    /// an after image, DELETE only a before image, UPDATE both.
    pub fn present_columns(&self) -> (Option<&[u8]>, Option<&[u8]>) {
        let n = (self.columns as usize).div_ceil(8);
        let first = &self.body[self.bitmaps_at..self.bitmaps_at + n];
        match self.kind {
            RowsKind::Write => (None, Some(first)),
            RowsKind::Delete => (Some(first), None),
            RowsKind::Update => (
                Some(first),
                Some(&self.body[self.bitmaps_at + n..self.bitmaps_at + 2 * n]),
            ),
        }
    }

    /// The row images, after the header and bitmaps.
    pub fn rows_data(&self) -> &[u8] {
        &self.body[self.rows_at..]
    }

    /// How to split the rows of this event, given its table's columns.
    pub fn layout<'a>(&'a self, columns: &'a [ColumnDef]) -> Result<RowsLayout<'a>, ValueError> {
        let (before, after) = self.present_columns();
        RowsLayout::new(
            columns,
            self.columns as usize,
            before,
            after,
            self.layout == EventType::PARTIAL_UPDATE_ROWS,
        )
    }

    /// Counts the rows without materialising values.
    pub fn count_rows(&self, table: &TableMap) -> Result<u64, ValueError> {
        count_rows(&self.layout(&table.columns)?, self.rows_data())
    }

    /// Decodes every row into typed values.
    pub fn rows<'a>(&'a self, table: &'a TableMap) -> Result<Rows<'a>, ValueError> {
        Ok(decode_rows(&self.layout(&table.columns)?, self.rows_data()))
    }

    /// Decodes only the columns `wanted` marks; the others read as `None`.
    pub fn rows_only<'a>(
        &'a self,
        table: &'a TableMap,
        wanted: &'a [bool],
    ) -> Result<Rows<'a>, ValueError> {
        Ok(decode_rows_only(
            &self.layout(&table.columns)?,
            self.rows_data(),
            Some(wanted),
        ))
    }
}

/// A GTID event, MySQL (GTID, ANONYMOUS_GTID, GTID_TAGGED) or MariaDB.
#[derive(Debug, Clone)]
pub struct GtidEvent {
    /// `None` for MySQL anonymous transactions.
    pub gtid: Option<Gtid>,
    /// MySQL logical clock: the transaction may run in parallel with all
    /// transactions after `last_committed`.
    pub last_committed: Option<u64>,
    pub sequence_number: Option<u64>,
    /// MySQL 8 commit timestamps, microseconds since the epoch.
    pub original_commit_timestamp: Option<u64>,
    pub immediate_commit_timestamp: Option<u64>,
    /// MariaDB's GTID event, with flags, commit id and XA id.
    pub mariadb: Option<MariadbGtidEvent>,
}
