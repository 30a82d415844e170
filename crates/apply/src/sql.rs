//! The SQL apply path (`--apply sql`): row events rendered as plain
//! `INSERT` / `UPDATE` / `DELETE` statements, for targets that do not allow
//! the `BINLOG` statement (managed services).
//!
//! # What is rendered
//!
//! Each rows event is decoded against its TABLE_MAP. Consecutive inserted
//! rows of one event become one multi-row `INSERT INTO `db`.`t` (...)
//! VALUES (...),(...)`; an updated row becomes `UPDATE ... SET <every
//! column of the after image> WHERE <key from the before image>`, a deleted
//! row `DELETE ... WHERE <key>`. The key is the target's primary key, else
//! a UNIQUE key whose columns are all NOT NULL; a table without either is
//! matched on every column of the before image with `<=>` and `LIMIT 1`
//! (text compared as bytes, like the server's own row lookup; MySQL's
//! VECTOR, which `<=>` refuses, too). Column names
//! are the target's, by position; a target table whose column count is not
//! the event's is refused (schema drift). Generated columns are left out
//! (the target computes them).
//!
//! Every UPDATE and DELETE must match exactly one row, and no statement may
//! raise a warning (the server changed the value it was given): otherwise
//! the unit fails with a message saying so, as a row event would fail with
//! "can't find record" instead of silently diverging.
//!
//! Values: integers as decimal (UNSIGNED target columns read the bits as
//! unsigned: without `binlog_row_metadata=FULL` the event does not say
//! signedness), DECIMAL as its exact text, FLOAT and DOUBLE as the shortest
//! `e` notation that reads back to the same double (a FLOAT is widened to a
//! double exactly first), BIT as an integer, ENUM and SET as their index /
//! bitmask (numbers assign by index), YEAR as a number (0 stays 0000),
//! temporal values as quoted text (TIMESTAMP in UTC, the session's time
//! zone being `+00:00`), every string, blob and spatial value as a hex
//! literal `X'..'`: a hex literal is a binary string, assigned to a
//! character column byte for byte (no conversion), so the target gets the
//! source's bytes whatever the column's character set, and compared with a
//! column in the column's own collation (it is coercible), so key lookups
//! use the index. MySQL binary JSON is rendered as JSON text with
//! `CAST(.. AS JSON)`, built with `JSON_ARRAY` / `JSON_OBJECT` around an
//! unsigned integer (JSON text would read it back signed: another binary
//! value); partial JSON updates as the JSON functions that
//! made them; JSON with opaque scalars
//! (DECIMAL, dates) are refused (use `--apply binlog`).
//!
//! # Session settings
//!
//! Before the first rows of a unit (and again after any statement step,
//! which sets the source's own context), the session runs
//! `SET NAMES utf8mb4, time_zone='+00:00', sql_mode='NO_AUTO_VALUE_ON_ZERO'`:
//! UTC for TIMESTAMP text; no strict mode, so zero dates and other values
//! the source stored are accepted as they are (a server that would change a
//! value raises a warning, which fails the unit instead); and an explicit 0
//! in an AUTO_INCREMENT column stays 0. `foreign_key_checks` and
//! `unique_checks` follow each rows event's flags, like the server's own
//! applier. ON DELETE / ON UPDATE CASCADE: the target redoes the cascades
//! of a parent change, exactly as with row events (InnoDB cascades are not
//! in the binlog), so nothing special is needed; no `REPLACE` is ever
//! generated (it would delete children).
//!
//! # Refused
//!
//! - A table with a trigger for the operation being applied (generated SQL
//!   fires it, row events do not, so its effect would be applied twice):
//!   the unit fails naming the table and suggesting `--apply binlog`.
//!   Triggers are read from information_schema, which shows only triggers
//!   on tables the user has the TRIGGER privilege for.
//! - An UPDATE or DELETE whose before image lacks a primary key column
//!   (MINIMAL images always log the primary key; a target with another key
//!   than the source's may not).
//!
//! # Target schema
//!
//! Each session reads what it needs of a table (columns, types, keys,
//! triggers) from information_schema the first time it applies rows to it,
//! and again after any statement ran in this process (a process-wide
//! counter; DDL runs alone, so the next rows see its effect).
//!
//! # Limits
//!
//! One statement holds at most [`MAX_STATEMENT`] bytes of SQL, except a
//! single row larger than that (its hex is twice its size): such a row needs
//! `max_allowed_packet` above twice its size.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use myreplay_binlog::decode::{decode_with, TableMapCache};
use myreplay_binlog::reader::crc32_of_event;
use myreplay_binlog::value::literal::{hex_utf8, json_sql, sql_literal, LiteralHints};
use myreplay_binlog::value::{RowImage, Value};
use myreplay_binlog::{
    Event, EventData, EventHeader, Format, Position, QueryClass, RawEvent, RowsEvent, RowsKind,
    TableMap,
};
use mysql::prelude::Queryable;
use mysql::Conn;

use crate::error::ApplyError;

/// Largest SQL text sent in one round trip (statements are batched up to it).
pub const MAX_STATEMENT: usize = 1 << 20;
/// Most UPDATE / DELETE statements sent in one round trip.
const MAX_BATCH: usize = 200;
/// Largest size a compressed MariaDB rows event may claim once inflated.
const INFLATE_LIMIT: u64 = 1 << 30;

/// Bumped whenever a statement (possibly DDL) runs on any session: cached
/// table descriptions older than it are read again.
static SCHEMA_GENERATION: AtomicU64 = AtomicU64::new(0);

/// The session settings the SQL path needs (see the module docs).
pub const SESSION_SETTINGS: &str =
    "SET NAMES utf8mb4, @@session.time_zone='+00:00', @@session.sql_mode='NO_AUTO_VALUE_ON_ZERO'";

/// A column of a target table, as the SQL path needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetColumn {
    pub name: String,
    /// information_schema DATA_TYPE, lower case (`int`, `varchar`...).
    pub data_type: String,
    pub unsigned: bool,
    /// A character column (compared as bytes when matching key-less rows).
    pub text: bool,
    pub nullable: bool,
    /// VIRTUAL / STORED generated: never assigned.
    pub generated: bool,
    /// BINARY(n), INET6, UUID, INET4: the row image drops trailing zero
    /// bytes (the pad byte), which the server would not add back for the
    /// MariaDB types: values are padded to this many bytes.
    pub fixed_len: Option<usize>,
}

/// A target table, as the SQL path needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetTable {
    pub schema: String,
    pub name: String,
    pub columns: Vec<TargetColumn>,
    /// Primary key column positions.
    pub primary_key: Option<Vec<usize>>,
    /// Column positions of UNIQUE keys whose columns are all NOT NULL.
    pub unique_not_null: Vec<Vec<usize>>,
    /// Whether triggers exist for INSERT, UPDATE, DELETE.
    pub triggers: [bool; 3],
}

impl TargetTable {
    /// `` `db`.`t` ``, quoted.
    pub fn qualified(&self) -> String {
        format!("{}.{}", ident(&self.schema), ident(&self.name))
    }
}

/// Quotes an identifier with backticks (a backtick inside is doubled).
pub fn ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// The SQL path's state on one session.
#[derive(Default)]
pub struct SqlApply {
    /// The FORMAT_DESCRIPTION the events are decoded under.
    format: Option<(Arc<Bytes>, Format)>,
    table_maps: TableMapCache,
    tables: HashMap<(String, String), (u64, Arc<TargetTable>)>,
    /// Settings in force on the session: None until SESSION_SETTINGS ran
    /// (and again after a statement step changed them).
    settings: Option<Flags>,
}

/// foreign_key_checks and unique_checks as last set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Flags {
    foreign_key_checks: Option<bool>,
    unique_checks: Option<bool>,
}

impl SqlApply {
    pub fn new() -> Self {
        Self::default()
    }

    /// To be called before a statement step runs on the session: it sets
    /// the source's own context (sql_mode, time zone, charsets, checks), and
    /// it may be DDL.
    pub fn before_statement(&mut self, query: &Event) {
        self.settings = None;
        let ddl = match &query.data {
            EventData::Query(q) => !matches!(
                q.class(),
                QueryClass::Dml | QueryClass::Savepoint | QueryClass::Begin | QueryClass::Commit
            ),
            _ => true,
        };
        if ddl {
            SCHEMA_GENERATION.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// Applies the TABLE_MAP and rows events of one step (raw bytes, written
    /// under the FORMAT_DESCRIPTION `fde`) as SQL statements.
    pub fn apply_rows(
        &mut self,
        conn: &mut Conn,
        fde: &Arc<Bytes>,
        events: &[Bytes],
    ) -> Result<(), ApplyError> {
        let format = self.format(fde)?;
        let mut maps: HashMap<u64, Arc<TableMap>> = HashMap::new();
        let mut batch = Batch::default();
        for bytes in events {
            let raw = raw_event(bytes, &format)?;
            let data =
                decode_with(&raw, &format, INFLATE_LIMIT, &mut self.table_maps).map_err(|e| {
                    ApplyError::Unexpected {
                        doing: "decoding a row event for the SQL path".into(),
                        reason: e.to_string(),
                    }
                })?;
            match data {
                EventData::TableMap(map) => {
                    maps.insert(map.table_id(), map);
                }
                EventData::Rows(rows) => {
                    let map = maps
                        .get(&rows.table_id)
                        .ok_or_else(|| ApplyError::Unexpected {
                            doing: "applying a rows event with generated SQL".into(),
                            reason: format!(
                                "no TABLE_MAP for table id {} before it in the transaction",
                                rows.table_id
                            ),
                        })?;
                    let flags = Flags {
                        foreign_key_checks: Some(
                            rows.flags & RowsEvent::NO_FOREIGN_KEY_CHECKS_F == 0,
                        ),
                        unique_checks: Some(rows.flags & RowsEvent::RELAXED_UNIQUE_CHECKS_F == 0),
                    };
                    // Before the table is looked up: a statement's context
                    // (e.g. character_set_client=latin1) would otherwise
                    // apply to the lookup's UTF-8 names.
                    if self.settings != Some(flags) {
                        batch.flush(conn)?;
                        self.settings(conn, flags)?;
                    }
                    let table = self.table(conn, map)?;
                    check_triggers(&table, rows.kind)?;
                    for stmt in render_rows(&table, map, &rows)? {
                        batch.push(conn, stmt)?;
                    }
                }
                _ => {}
            }
        }
        batch.flush(conn)
    }

    fn settings(&mut self, conn: &mut Conn, flags: Flags) -> Result<(), ApplyError> {
        let mut sql = String::new();
        if self.settings.is_none() {
            sql.push_str(SESSION_SETTINGS);
        }
        let current = self.settings.unwrap_or(Flags {
            foreign_key_checks: None,
            unique_checks: None,
        });
        for (name, want, have) in [
            (
                "foreign_key_checks",
                flags.foreign_key_checks,
                current.foreign_key_checks,
            ),
            ("unique_checks", flags.unique_checks, current.unique_checks),
        ] {
            if let Some(v) = want.filter(|_| want != have) {
                sql.push_str(if sql.is_empty() { "SET " } else { ", " });
                let _ = write!(sql, "@@session.{name}={}", u8::from(v));
            }
        }
        if !sql.is_empty() {
            conn.query_drop(&sql).map_err(ApplyError::query(format!(
                "setting the SQL apply session's context ({sql})"
            )))?;
        }
        self.settings = Some(flags);
        Ok(())
    }

    fn format(&mut self, fde: &Arc<Bytes>) -> Result<Format, ApplyError> {
        if let Some((f, format)) = &self.format {
            if Arc::ptr_eq(f, fde) || f == fde {
                return Ok(format.clone());
            }
        }
        let format = Format::from_event(fde).map_err(|e| ApplyError::Unexpected {
            doing: "reading the FORMAT_DESCRIPTION event for the SQL path".into(),
            reason: e.to_string(),
        })?;
        self.format = Some((fde.clone(), format.clone()));
        Ok(format)
    }

    /// The target's description of the table `map` names, read or cached.
    fn table(&mut self, conn: &mut Conn, map: &TableMap) -> Result<Arc<TargetTable>, ApplyError> {
        let key = (
            map.database_name().into_owned(),
            map.table_name().into_owned(),
        );
        let generation = SCHEMA_GENERATION.load(Ordering::SeqCst);
        if let Some((g, t)) = self.tables.get(&key) {
            if *g == generation {
                return Ok(t.clone());
            }
        }
        let t = Arc::new(load_table(conn, &key.0, &key.1)?);
        self.tables.insert(key, (generation, t.clone()));
        Ok(t)
    }
}

/// Statements waiting to be sent together, with what each must do.
#[derive(Default)]
struct Batch {
    sql: String,
    checks: Vec<Check>,
}

/// What a statement must have done.
struct Check {
    /// The server warns about a value it stores as given (an ENUM's empty
    /// error value, index 0): warnings are not a failure then.
    warnings_expected: bool,
    /// Rows it must match (UPDATE, DELETE); None for INSERT.
    matched: Option<u64>,
    /// Table and statement kind, for messages.
    what: String,
    /// The WHERE clause (shortened), for messages.
    condition: String,
}

impl Batch {
    fn push(&mut self, conn: &mut Conn, stmt: Statement) -> Result<(), ApplyError> {
        if !self.sql.is_empty()
            && (self.sql.len() + stmt.sql.len() > MAX_STATEMENT || self.checks.len() >= MAX_BATCH)
        {
            self.flush(conn)?;
        }
        if !self.sql.is_empty() {
            self.sql.push_str(";\n");
        }
        self.sql.push_str(&stmt.sql);
        self.checks.push(stmt.check);
        Ok(())
    }

    fn flush(&mut self, conn: &mut Conn) -> Result<(), ApplyError> {
        if self.sql.is_empty() {
            return Ok(());
        }
        let sql = std::mem::take(&mut self.sql);
        let checks = std::mem::take(&mut self.checks);
        let failed = |c: &Check| ApplyError::query(format!("applying {} (SQL path)", c.what));
        let mut result = conn.query_iter(&sql).map_err(failed(&checks[0]))?;
        let mut problem = None;
        let mut i = 0;
        while let Some(mut set) = result.iter() {
            let check = checks.get(i).unwrap_or(&checks[checks.len() - 1]);
            // The OK packet's counts first: reading the (empty) rows moves
            // on to the next statement's result.
            if problem.is_none() {
                if set.warnings() > 0 && !check.warnings_expected {
                    problem = Some((i, None));
                } else if let Some(want) = check.matched {
                    let got = if check.what.starts_with("UPDATE") {
                        matched_rows(&set.info_str())
                    } else {
                        Some(set.affected_rows())
                    };
                    if let Some(got) = got.filter(|&got| got != want) {
                        problem = Some((i, Some(got)));
                    }
                }
            }
            for row in set.by_ref() {
                row.map_err(failed(check))?;
            }
            drop(set);
            i += 1;
        }
        drop(result);
        let Some((i, matched)) = problem else {
            return Ok(());
        };
        let check = &checks[i];
        let reason = match matched {
            Some(got) => format!(
                "it matched {got} rows instead of {} on the target (WHERE {}): the target is not in the state the source was in before this change (a row event would fail with \"can't find record\")",
                check.matched.unwrap_or(0),
                check.condition
            ),
            None => {
                let warnings: Vec<(u32, String)> = conn
                    .query_map("SHOW WARNINGS", |(_level, code, msg): (String, u32, String)| {
                        (code, msg)
                    })
                    .unwrap_or_default();
                let list: Vec<String> = warnings
                    .iter()
                    .take(5)
                    .map(|(c, m)| format!("{c}: {m}"))
                    .collect();
                format!(
                    "the server changed a value it was given (warnings: {}); refusing to store something other than the source's row. --apply binlog stores the row events as they are",
                    if list.is_empty() { "not available".to_string() } else { list.join("; ") }
                )
            }
        };
        Err(ApplyError::Unexpected {
            doing: format!("applying {} (SQL path)", check.what),
            reason,
        })
    }
}

/// The N of `Rows matched: N  Changed: M  Warnings: W`, an UPDATE's info
/// string: its first number (the text is translated with lc_messages, the
/// order of the numbers is not). None when there is none.
fn matched_rows(info: &str) -> Option<u64> {
    let start = info.find(|c: char| c.is_ascii_digit())?;
    let digits: String = info[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// One statement and what it must do.
pub struct Statement {
    pub sql: String,
    check: Check,
}

/// The event's bytes as a [`RawEvent`] under `format`. An event unpacked
/// from a MySQL TRANSACTION_PAYLOAD has no checksum even when the file's
/// events do: the checksum is taken as present only when it verifies.
fn raw_event(bytes: &Bytes, format: &Format) -> Result<RawEvent, ApplyError> {
    let head: &[u8; EventHeader::LEN] = bytes
        .get(..EventHeader::LEN)
        .and_then(|h| h.try_into().ok())
        .ok_or_else(|| ApplyError::Unexpected {
            doing: "reading a row event for the SQL path".into(),
            reason: format!("an event of {} bytes", bytes.len()),
        })?;
    let header = EventHeader::parse(head);
    let n = bytes.len();
    let has_checksum = format.checksum
        && n >= EventHeader::LEN + 4
        && crc32_of_event(&header, &bytes[..n - 4]).to_le_bytes() == bytes[n - 4..];
    Ok(RawEvent {
        pos: Position::new("(rows step)", 0),
        header,
        bytes: bytes.clone(),
        has_checksum,
    })
}

fn check_triggers(table: &TargetTable, kind: RowsKind) -> Result<(), ApplyError> {
    let (i, op) = match kind {
        RowsKind::Write => (0, "INSERT"),
        RowsKind::Update => (1, "UPDATE"),
        RowsKind::Delete => (2, "DELETE"),
    };
    if table.triggers[i] {
        return Err(ApplyError::Unsupported(format!(
            "{} has an {op} trigger on the target: generated SQL would fire it and apply its effect a second time (row events do not fire triggers). Replay with --apply binlog, or drop the trigger for the replay",
            table.qualified()
        )));
    }
    Ok(())
}

/// Reads a table's columns, keys and triggers from information_schema.
pub fn load_table(conn: &mut Conn, schema: &str, table: &str) -> Result<TargetTable, ApplyError> {
    let name = format!("{}.{}", ident(schema), ident(table));
    let params = (schema, table);
    type ColumnRow = (
        String,
        String,
        String,
        Option<String>,
        String,
        String,
        Option<u64>,
    );
    let rows: Vec<ColumnRow> = conn
        .exec(
            "SELECT COLUMN_NAME, LOWER(DATA_TYPE), LOWER(COLUMN_TYPE), CHARACTER_SET_NAME, IS_NULLABLE, EXTRA, CHARACTER_OCTET_LENGTH \
             FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? \
             ORDER BY ORDINAL_POSITION",
            params,
        )
        .map_err(ApplyError::query(format!("reading the columns of {name}")))?;
    if rows.is_empty() {
        return Err(ApplyError::Unsupported(format!(
            "{name}: the binlog changes this table but the target has no such table (or the user cannot see it)"
        )));
    }
    let columns: Vec<TargetColumn> = rows
        .into_iter()
        .map(
            |(name, data_type, column_type, charset, nullable, extra, octets)| {
                let extra = extra.to_ascii_uppercase();
                let fixed_len = match data_type.as_str() {
                    "binary" => octets.map(|n| n as usize),
                    "inet6" | "uuid" => Some(16),
                    "inet4" => Some(4),
                    _ => None,
                };
                TargetColumn {
                    name,
                    unsigned: column_type.contains("unsigned"),
                    text: charset.is_some_and(|c| !c.eq_ignore_ascii_case("binary")),
                    nullable: nullable.eq_ignore_ascii_case("YES"),
                    generated: extra.contains("VIRTUAL GENERATED")
                        || extra.contains("STORED GENERATED")
                        || extra.contains("PERSISTENT GENERATED"),
                    data_type,
                    fixed_len,
                }
            },
        )
        .collect();
    let position = |c: &str| columns.iter().position(|x| x.name.eq_ignore_ascii_case(c));
    let index_rows: Vec<(String, Option<String>)> = conn
        .exec(
            "SELECT INDEX_NAME, COLUMN_NAME FROM information_schema.STATISTICS \
             WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND NON_UNIQUE = 0 \
             ORDER BY INDEX_NAME, SEQ_IN_INDEX",
            params,
        )
        .map_err(ApplyError::query(format!("reading the keys of {name}")))?;
    let mut indexes: Vec<(String, Option<Vec<usize>>)> = vec![];
    for (index, column) in index_rows {
        if indexes.last().is_none_or(|(n, _)| *n != index) {
            indexes.push((index, Some(vec![])));
        }
        let parts = &mut indexes.last_mut().expect("pushed").1;
        // A functional key part (no column) cannot be matched from row images.
        match column.as_deref().and_then(position) {
            Some(p) => {
                if let Some(v) = parts {
                    v.push(p)
                }
            }
            None => *parts = None,
        }
    }
    let mut primary_key = None;
    let mut unique_not_null = vec![];
    for (index, parts) in indexes {
        let Some(parts) = parts else { continue };
        if index == "PRIMARY" {
            primary_key = Some(parts);
        } else if parts.iter().all(|&p| !columns[p].nullable) {
            unique_not_null.push(parts);
        }
    }
    let trigger_rows: Vec<String> = conn
        .exec(
            "SELECT UPPER(EVENT_MANIPULATION) FROM information_schema.TRIGGERS \
             WHERE EVENT_OBJECT_SCHEMA = ? AND EVENT_OBJECT_TABLE = ?",
            params,
        )
        .map_err(ApplyError::query(format!("reading the triggers of {name}")))?;
    let mut triggers = [false; 3];
    for t in trigger_rows {
        match t.as_str() {
            "INSERT" => triggers[0] = true,
            "UPDATE" => triggers[1] = true,
            "DELETE" => triggers[2] = true,
            _ => triggers = [true; 3],
        }
    }
    Ok(TargetTable {
        schema: schema.into(),
        name: table.into(),
        columns,
        primary_key,
        unique_not_null,
        triggers,
    })
}

/// Renders the rows of one event as statements.
pub fn render_rows(
    table: &TargetTable,
    map: &TableMap,
    rows: &RowsEvent,
) -> Result<Vec<Statement>, ApplyError> {
    let qualified = table.qualified();
    if rows.columns as usize != table.columns.len() {
        return Err(ApplyError::Unsupported(format!(
            "{qualified}: the binlog's rows have {} columns, the target's table has {} (schema drift: the table was changed outside the replayed binlogs); the SQL path needs the source's column layout",
            rows.columns,
            table.columns.len()
        )));
    }
    let decode_error = |e: myreplay_binlog::value::ValueError| ApplyError::Unexpected {
        doing: format!("decoding the rows of {qualified}"),
        reason: e.to_string(),
    };
    let mut out = vec![];
    // Columns, SQL, and whether warnings are expected.
    let mut insert: Option<(Vec<usize>, String, bool)> = None;
    let flush_insert = |insert: &mut Option<(Vec<usize>, String, bool)>,
                        out: &mut Vec<Statement>| {
        if let Some((_, sql, warnings_expected)) = insert.take() {
            out.push(Statement {
                sql,
                check: Check {
                    warnings_expected,
                    matched: None,
                    what: format!("INSERT INTO {qualified}"),
                    condition: String::new(),
                },
            });
        }
    };
    for images in rows.rows(map).map_err(decode_error)? {
        let images = images.map_err(decode_error)?;
        let enum_zero = [&images.before, &images.after]
            .into_iter()
            .flatten()
            .flatten()
            .any(|v| matches!(v, Some(Value::Enum(0))));
        match (images.before, images.after) {
            (None, Some(after)) => {
                let cols = assigned(table, &after);
                let values = render_tuple(table, &after, &cols)?;
                match &mut insert {
                    Some((c, sql, w)) if *c == cols && sql.len() + values.len() < MAX_STATEMENT => {
                        sql.push(',');
                        sql.push_str(&values);
                        *w |= enum_zero;
                    }
                    _ => {
                        flush_insert(&mut insert, &mut out);
                        let names: Vec<String> = cols
                            .iter()
                            .map(|&i| ident(&table.columns[i].name))
                            .collect();
                        let sql = format!(
                            "INSERT INTO {qualified} ({}) VALUES {values}",
                            names.join(",")
                        );
                        insert = Some((cols, sql, enum_zero));
                    }
                }
            }
            (Some(before), after) => {
                flush_insert(&mut insert, &mut out);
                let (condition, limit) = row_condition(table, &before)?;
                let sql = match &after {
                    Some(after) => {
                        let cols = assigned(table, after);
                        if cols.is_empty() {
                            // Nothing assignable changed (only generated columns): nothing to do.
                            continue;
                        }
                        let mut set = String::new();
                        for (n, &i) in cols.iter().enumerate() {
                            if n > 0 {
                                set.push(',');
                            }
                            let v = after[i].as_ref().expect("assigned columns are present");
                            let name = ident(&table.columns[i].name);
                            let value = match v {
                                // MySQL's partial JSON update: the column's
                                // current value changed as the diffs say.
                                Value::JsonDiff(diffs) => {
                                    json_diff_expression(&name, diffs).map_err(|what| {
                                        ApplyError::Unsupported(format!(
                                            "{qualified} column {name}: {what} cannot be applied as SQL; use --apply binlog"
                                        ))
                                    })?
                                }
                                v => render_value(table, i, v)?,
                            };
                            let _ = write!(set, "{name}={value}");
                        }
                        format!("UPDATE {qualified} SET {set} WHERE {condition}{limit}")
                    }
                    None => format!("DELETE FROM {qualified} WHERE {condition}{limit}"),
                };
                let what = if after.is_some() {
                    format!("UPDATE {qualified}")
                } else {
                    format!("DELETE FROM {qualified}")
                };
                out.push(Statement {
                    sql,
                    check: Check {
                        warnings_expected: enum_zero,
                        matched: Some(1),
                        what,
                        condition: shorten(&condition),
                    },
                });
            }
            (None, None) => {}
        }
    }
    flush_insert(&mut insert, &mut out);
    Ok(out)
}

fn shorten(s: &str) -> String {
    const MAX: usize = 300;
    if s.len() <= MAX {
        return s.to_string();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end])
}

/// Columns of an image the statement assigns: present and not generated.
fn assigned(table: &TargetTable, image: &RowImage) -> Vec<usize> {
    image
        .iter()
        .enumerate()
        .filter(|(i, v)| v.is_some() && !table.columns[*i].generated)
        .map(|(i, _)| i)
        .collect()
}

fn render_tuple(
    table: &TargetTable,
    image: &RowImage,
    cols: &[usize],
) -> Result<String, ApplyError> {
    let mut s = String::from("(");
    for (n, &i) in cols.iter().enumerate() {
        if n > 0 {
            s.push(',');
        }
        s.push_str(&render_value(
            table,
            i,
            image[i].as_ref().expect("assigned columns are present"),
        )?);
    }
    s.push(')');
    Ok(s)
}

/// The WHERE condition that finds the row of a before image, and
/// ` LIMIT 1` when it is not a key.
fn row_condition(
    table: &TargetTable,
    before: &RowImage,
) -> Result<(String, &'static str), ApplyError> {
    let present = |cols: &[usize]| {
        cols.iter()
            .all(|&i| before.get(i).is_some_and(|v| v.is_some()))
    };
    let key = match &table.primary_key {
        Some(pk) if present(pk) => Some(pk),
        Some(pk) => {
            let missing: Vec<&str> = pk
                .iter()
                .filter(|&&i| before.get(i).is_none_or(|v| v.is_none()))
                .map(|&i| table.columns[i].name.as_str())
                .collect();
            return Err(ApplyError::Unsupported(format!(
                "{}: the row image does not hold the primary key column(s) {} (the source's key differs from the target's?); the SQL path cannot find the row. Use --apply binlog",
                table.qualified(),
                missing.join(", ")
            )));
        }
        None => table.unique_not_null.iter().find(|k| present(k)),
    };
    let mut s = String::new();
    match key {
        Some(cols) => {
            for (n, &i) in cols.iter().enumerate() {
                if n > 0 {
                    s.push_str(" AND ");
                }
                let v = before[i].as_ref().expect("present");
                let _ = write!(
                    s,
                    "{}={}",
                    ident(&table.columns[i].name),
                    render_value(table, i, v)?
                );
            }
            Ok((s, ""))
        }
        None => {
            let mut n = 0;
            for (i, v) in before.iter().enumerate() {
                let Some(v) = v else { continue };
                let c = &table.columns[i];
                if c.generated {
                    continue;
                }
                if n > 0 {
                    s.push_str(" AND ");
                }
                n += 1;
                let value = render_value(table, i, v)?;
                // Text as bytes, not the collation: 'a' and 'A ' are
                // different rows here. MySQL's VECTOR cannot be compared at
                // all ("Incorrect arguments to <=>", with NULL too): its
                // bytes can.
                if (c.text && !matches!(v, Value::Null)) || c.data_type == "vector" {
                    let _ = write!(s, "CAST({} AS BINARY)<=>{value}", ident(&c.name));
                } else {
                    let _ = write!(s, "{}<=>{value}", ident(&c.name));
                }
            }
            if n == 0 {
                return Err(ApplyError::Unsupported(format!(
                    "{}: the row image has no column to find the row by",
                    table.qualified()
                )));
            }
            Ok((s, " LIMIT 1"))
        }
    }
}

/// One value as an SQL literal for column `i` of `table` (the shared
/// rendering, [`myreplay_binlog::value::literal`], told what the target
/// knows about the column: its signedness and fixed width).
pub fn render_value(table: &TargetTable, i: usize, v: &Value) -> Result<String, ApplyError> {
    let column = &table.columns[i];
    let hints = LiteralHints {
        // Without signedness metadata the value was sign-extended: read its bits.
        unsigned_bits: column.unsigned.then_some(match column.data_type.as_str() {
            "tinyint" => 8,
            "smallint" => 16,
            "mediumint" => 24,
            "int" | "integer" => 32,
            _ => 64,
        }),
        fixed_len: column.fixed_len,
    };
    sql_literal(v, &hints).map_err(|what| {
        ApplyError::Unsupported(format!(
            "{} column {}: {what} cannot be applied as SQL; use --apply binlog",
            table.qualified(),
            ident(&column.name)
        ))
    })
}

/// A partial JSON update (MySQL PARTIAL_UPDATE_ROWS, one column's diffs in
/// order) as an expression over the column's current value `column`: each
/// diff as the JSON function that made it (MySQL's Json_diff semantics):
/// REPLACE of an existing path, INSERT of a new object member or of an
/// array element at its index (the later ones move up), REMOVE.
fn json_diff_expression(
    column: &str,
    diffs: &[myreplay_binlog::value::JsonDiff],
) -> Result<String, String> {
    use myreplay_binlog::value::JsonDiffOp;
    let mut e = column.to_string();
    for d in diffs {
        let path = hex_utf8(&d.path);
        let value = || -> Result<String, String> {
            let v = d
                .value
                .as_ref()
                .ok_or("a partial JSON update without the value it sets")?;
            json_sql(v)
        };
        e = match d.op {
            JsonDiffOp::Replace => format!("JSON_REPLACE({e},{path},{})", value()?),
            JsonDiffOp::Insert if d.path.ends_with(']') => {
                format!("JSON_ARRAY_INSERT({e},{path},{})", value()?)
            }
            JsonDiffOp::Insert => format!("JSON_INSERT({e},{path},{})", value()?),
            JsonDiffOp::Remove => format!("JSON_REMOVE({e},{path})"),
        };
    }
    Ok(e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use myreplay_binlog::value::literal::{double, json_text, timestamp};
    use myreplay_binlog::value::Json;

    fn table() -> TargetTable {
        let col = |name: &str, data_type: &str, unsigned: bool, text: bool| TargetColumn {
            name: name.into(),
            data_type: data_type.into(),
            unsigned,
            text,
            nullable: true,
            generated: false,
            fixed_len: None,
        };
        TargetTable {
            schema: "d`b".into(),
            name: "t'é".into(),
            columns: vec![
                col("id", "int", false, false),
                col("u8", "tinyint", true, false),
                col("u24", "mediumint", true, false),
                col("u64", "bigint", true, false),
                col("s", "varchar", false, true),
            ],
            primary_key: Some(vec![0]),
            unique_not_null: vec![],
            triggers: [false; 3],
        }
    }

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(ident("a`b"), "`a``b`");
        assert_eq!(ident("日本"), "`日本`");
        assert_eq!(table().qualified(), "`d``b`.`t'é`");
    }

    #[test]
    fn values_render_exactly() {
        let t = table();
        let r = |i, v| render_value(&t, i, &v).unwrap();
        assert_eq!(r(1, Value::Int(-1)), "255");
        assert_eq!(r(2, Value::Int(-1)), "16777215");
        assert_eq!(r(3, Value::Int(-1)), "18446744073709551615");
        assert_eq!(r(0, Value::Int(-1)), "-1");
        assert_eq!(r(4, Value::Bytes(vec![0, 0x27, 0xff])), "X'0027FF'");
        assert_eq!(r(4, Value::Bytes(vec![])), "X''");
        assert_eq!(r(0, Value::Null), "NULL");
        assert_eq!(
            r(
                0,
                Value::Bit {
                    bits: 17,
                    bytes: vec![1, 0, 1]
                }
            ),
            "65537"
        );
        for d in [0.1f64, -1.7976931348623157e308, 5e-324, 1.0, 123456.789] {
            let s = double(d).unwrap();
            assert_eq!(s.parse::<f64>().unwrap(), d, "{s}");
        }
        let f = 3.402_823_5e38_f32;
        assert_eq!(r(0, Value::Float(f)).parse::<f64>().unwrap() as f32, f);
        assert!(render_value(&t, 0, &Value::Double(f64::NAN)).is_err());
        assert_eq!(
            r(
                0,
                Value::Time {
                    negative: true,
                    hours: 838,
                    minutes: 59,
                    seconds: 59,
                    micros: 999_999
                }
            ),
            "'-838:59:59.999999'"
        );
    }

    #[test]
    fn timestamps_are_utc() {
        assert_eq!(timestamp(0, 0), "'0000-00-00 00:00:00'");
        assert_eq!(timestamp(1, 1), "'1970-01-01 00:00:01.000001'");
        assert_eq!(
            timestamp(2_147_483_647, 999_999),
            "'2038-01-19 03:14:07.999999'"
        );
        assert_eq!(timestamp(1_709_209_496, 0), "'2024-02-29 12:24:56.000000'");
    }

    #[test]
    fn json_text_is_json() {
        let j = Json::Object(vec![
            (
                "k\"".into(),
                Json::Array(vec![Json::Int(1), Json::Double(1.5), Json::Null]),
            ),
            ("b".into(), Json::String("a\n🐬".into())),
        ]);
        let mut s = String::new();
        json_text(&j, &mut s).unwrap();
        assert_eq!(s, "{\"k\\\"\":[1,1.5e0,null],\"b\":\"a\\u000a🐬\"}");
        assert!(json_text(&Json::Decimal("1.0".into()), &mut s).is_err());
    }

    #[test]
    fn a_keyless_vector_column_is_matched_by_its_bytes() {
        // MySQL refuses `<=>` on a VECTOR, even with NULL.
        let mut t = table();
        t.primary_key = None;
        t.columns[4].data_type = "vector".into();
        t.columns[4].text = false;
        let before = vec![
            Some(Value::Int(1)),
            None,
            None,
            None,
            Some(Value::Vector(vec![1.0])),
        ];
        let (condition, limit) = row_condition(&t, &before).unwrap();
        assert_eq!(condition, "`id`<=>1 AND CAST(`s` AS BINARY)<=>X'0000803F'");
        assert_eq!(limit, " LIMIT 1");
        let before = vec![Some(Value::Int(1)), None, None, None, Some(Value::Null)];
        let (condition, _) = row_condition(&t, &before).unwrap();
        assert_eq!(condition, "`id`<=>1 AND CAST(`s` AS BINARY)<=>NULL");
    }

    #[test]
    fn json_unsigned_integers_stay_unsigned() {
        // JSON text would read 5 back as a signed INTEGER.
        let j = Json::Object(vec![
            ("u".into(), Json::UInt(5)),
            (
                "a".into(),
                Json::Array(vec![Json::Int(-1), Json::UInt(u64::MAX)]),
            ),
        ]);
        assert_eq!(
            json_sql(&j).unwrap(),
            "JSON_OBJECT(CONVERT(X'75' USING utf8mb4),CAST(CAST(5 AS UNSIGNED) AS JSON),\
             CONVERT(X'61' USING utf8mb4),CAST(CONVERT(X'5B2D312C31383434363734343037333730393535313631355D' USING utf8mb4) AS JSON))"
        );
        // Above i64::MAX text reads back unsigned: text it stays.
        assert_eq!(
            json_sql(&Json::UInt(u64::MAX)).unwrap(),
            "CAST(CONVERT(X'3138343436373434303733373039353531363135' USING utf8mb4) AS JSON)"
        );
    }

    #[test]
    fn update_info_is_parsed() {
        assert_eq!(
            matched_rows("Rows matched: 1  Changed: 0  Warnings: 0"),
            Some(1)
        );
        assert_eq!(
            matched_rows("Rows matched: 12  Changed: 3  Warnings: 0"),
            Some(12)
        );
        assert_eq!(matched_rows(""), None);
    }
}
