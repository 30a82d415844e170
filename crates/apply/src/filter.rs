//! Which part of the binlogs to apply: a stop point and database filters.
//!
//! Everything here works at transaction boundaries: a replay never applies
//! part of a transaction.

use std::collections::HashMap;

use myreplay_binlog::{Event, EventData, Gtid, GtidSet, TransactionSummary};

/// Where to start and stop, besides positions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Range {
    /// Skip transactions committed before this time (seconds since the
    /// epoch, UTC; the binlog's 1-second resolution).
    pub start_time: Option<u32>,
    /// Stop before the first transaction committed at or after this time.
    pub stop_time: Option<u32>,
    /// Stop before this transaction.
    pub stop_before_gtid: Option<Gtid>,
    /// Stop after this transaction.
    pub stop_after_gtid: Option<Gtid>,
    /// The GTID state the target already holds (the restored backup's):
    /// transactions inside it are not applied, reading goes on.
    pub start_state: Option<GtidSet>,
}

/// What the range says about one transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Apply,
    /// Before the start: not applied, reading goes on.
    Skip,
    /// Inside the start state (the target holds it already): not applied,
    /// reading goes on.
    Before,
    /// Apply it, then stop reading.
    ApplyThenStop,
    /// Stop before it.
    Stop,
}

impl Range {
    /// Decides for a transaction, by its commit timestamp and GTID.
    pub fn decide(&self, t: &TransactionSummary) -> Decision {
        if let (Some(stop), Some(g)) = (&self.stop_before_gtid, &t.gtid) {
            if g == stop {
                return Decision::Stop;
            }
        }
        if self.stop_time.is_some_and(|s| t.timestamp >= s) {
            return Decision::Stop;
        }
        if let (Some(state), Some(g)) = (&self.start_state, &t.gtid) {
            if state.contains(g) {
                return Decision::Before;
            }
        }
        if self.start_time.is_some_and(|s| t.timestamp < s) {
            return Decision::Skip;
        }
        if let (Some(stop), Some(g)) = (&self.stop_after_gtid, &t.gtid) {
            if g == stop {
                return Decision::ApplyThenStop;
            }
        }
        Decision::Apply
    }
}

/// Database filters, mysqlbinlog's `--database` and an exclusion list. Row
/// events are filtered by their table's database; statements by their
/// default database (as mysqlbinlog does).
#[derive(Debug, Clone, Default)]
pub struct DatabaseFilter {
    /// When not empty, only these databases.
    pub only: Vec<String>,
    pub exclude: Vec<String>,
    /// `--table DB.TABLE` (globs): only these tables' row changes, and no
    /// statements (the binlog does not say which tables a statement
    /// touches).
    pub tables: Vec<myreplay_binlog::TablePattern>,
}

impl DatabaseFilter {
    pub fn is_empty(&self) -> bool {
        self.only.is_empty() && self.exclude.is_empty() && self.tables.is_empty()
    }

    /// Whether the row changes of `db`.`table` are applied.
    pub fn allows_table(&self, db: &str, table: &str) -> bool {
        self.allows(db)
            && (self.tables.is_empty() || self.tables.iter().any(|p| p.matches(db, table)))
    }

    pub fn allows(&self, db: &str) -> bool {
        (self.only.is_empty() || self.only.iter().any(|d| d == db))
            && !self.exclude.iter().any(|d| d == db)
    }

    /// Keeps the events of a transaction the filter allows.
    pub fn retain(&self, events: Vec<Event>) -> Vec<Event> {
        if self.is_empty() {
            return events;
        }
        let mut table_db: HashMap<u64, bool> = HashMap::new();
        events
            .into_iter()
            .filter(|e| match &e.data {
                EventData::TableMap(t) => {
                    let ok = self.allows_table(&t.database_name(), &t.table_name());
                    table_db.insert(t.table_id(), ok);
                    ok
                }
                EventData::Rows(r) => table_db.get(&r.table_id).copied().unwrap_or(false),
                EventData::Query(q) => self.tables.is_empty() && self.allows(&q.schema),
                _ => true,
            })
            .collect()
    }
}

pub use crate::time_zone::parse_datetime;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_filter() {
        let f = DatabaseFilter {
            only: vec!["a".into()],
            exclude: vec![],
            tables: vec![],
        };
        assert!(f.allows("a") && !f.allows("b"));
        let f = DatabaseFilter {
            only: vec![],
            exclude: vec!["b".into()],
            tables: vec![],
        };
        assert!(f.allows("a") && !f.allows("b"));
        let f = DatabaseFilter {
            tables: vec![myreplay_binlog::TablePattern::parse("a.t*").unwrap()],
            ..Default::default()
        };
        assert!(
            f.allows_table("a", "t1") && !f.allows_table("a", "u") && !f.allows_table("b", "t1")
        );
    }
}

/// `--rewrite-db FROM->TO`: changes the database of row events (in the
/// TABLE_MAP bytes sent to the server) and the default database of
/// statements. Like mysqlbinlog's option, it does not rewrite database names
/// written inside statements (`INSERT INTO from_db.t ...`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rewrite {
    pub pairs: Vec<(String, String)>,
}

impl Rewrite {
    /// Parses `FROM->TO`.
    pub fn parse_pair(text: &str) -> Result<(String, String), String> {
        let (from, to) = text
            .split_once("->")
            .ok_or_else(|| format!("`{text}`: expected FROM->TO"))?;
        let ok = |s: &str| !s.is_empty() && s.len() <= 64 && !s.contains('\0');
        if !ok(from.trim()) || !ok(to.trim()) {
            return Err(format!(
                "`{text}`: database names must be 1 to 64 characters"
            ));
        }
        Ok((from.trim().to_string(), to.trim().to_string()))
    }

    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// The name `db` is rewritten to, if any.
    pub fn target_of<'a>(&'a self, db: &str) -> Option<&'a str> {
        self.pairs
            .iter()
            .find(|(f, _)| f == db)
            .map(|(_, t)| t.as_str())
    }

    /// Rewrites a transaction's events.
    pub fn apply(&self, events: Vec<Event>) -> Vec<Event> {
        if self.is_empty() {
            return events;
        }
        events
            .into_iter()
            .map(|mut e| {
                match &mut e.data {
                    EventData::TableMap(t) => {
                        if let Some(to) = self.target_of(&t.database_name()) {
                            if let Some(bytes) = rewrite_table_map(&e.raw, to) {
                                e.raw.bytes = bytes;
                            }
                        }
                    }
                    EventData::Query(q) => {
                        if let Some(to) = self.target_of(&q.schema) {
                            q.schema = to.to_string();
                        }
                    }
                    _ => {}
                }
                e
            })
            .collect()
    }
}

/// A TABLE_MAP event with another database name: header size and CRC32
/// recomputed. `None` for layouts it does not know (4-byte table ids).
fn rewrite_table_map(raw: &myreplay_binlog::RawEvent, db: &str) -> Option<bytes::Bytes> {
    use myreplay_binlog::EventHeader;
    let body = raw.body();
    // table id (6), flags (2), db length (1), db, NUL, ...
    let old_len = *body.get(8)? as usize;
    let rest = body.get(9 + old_len + 1..)?;
    let mut out = Vec::with_capacity(raw.bytes.len() + db.len());
    out.extend_from_slice(&raw.bytes[..EventHeader::LEN]);
    out.extend_from_slice(&body[..8]);
    out.push(u8::try_from(db.len()).ok()?);
    out.extend_from_slice(db.as_bytes());
    out.push(0);
    out.extend_from_slice(rest);
    let size = out.len() + if raw.has_checksum { 4 } else { 0 };
    out[9..13].copy_from_slice(&u32::try_from(size).ok()?.to_le_bytes());
    if raw.has_checksum {
        let mut header = raw.header;
        header.event_size = size as u32;
        let crc = myreplay_binlog::reader::crc32_of_event(&header, &out);
        out.extend_from_slice(&crc.to_le_bytes());
    }
    Some(bytes::Bytes::from(out))
}
