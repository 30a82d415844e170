//! Row statements of a unit merged into fewer, larger ones.
//!
//! The server's row applier pays for every row statement: it opens and
//! locks the statement's tables at its first rows event, and closes them
//! and ends the statement at the rows event flagged STMT_END_F. A unit of
//! 100 sysbench transactions holds 400 row statements of one row each. A
//! row statement may hold rows events of several tables (all its TABLE_MAP
//! events come first): so consecutive row statements merge into one, their
//! TABLE_MAP events first, then every rows event in the original order,
//! only the last ending the statement. The server then changes the same
//! rows in the same order inside the same transaction: the result is the
//! same.
//!
//! Statements merge only where nothing else can differ:
//! - the rows events' other flags (NO_FOREIGN_KEY_CHECKS_F,
//!   RELAXED_UNIQUE_CHECKS_F) are equal: the server may set them once per
//!   statement, from its first rows event (MySQL's code does; MariaDB
//!   11.8 did in `apply/tests/replay.rs`, where a cascade then did not
//!   run);
//! - a table id means one table map throughout (the same bytes), and a
//!   table has one table id: no id is rewritten, and no table is opened
//!   twice;
//! - the events are TABLE_MAP and rows events only (no ROWS_QUERY: MySQL
//!   writes it into the target's binlog per statement), every statement
//!   complete.
//!
//! Anything else is left as it came. The `BINLOG` statements are then cut
//! at the packet limit as before ([`crate::row_apply`]): a merged statement
//! too large for one is closed and reopened with its TABLE_MAP events.

use myreplay_binlog::resend::RowsFlagsAt;
use myreplay_binlog::{Event, EventData, RowsEvent};

/// Flags that must be equal across a merged statement (all but STMT_END_F).
const SAME_FLAGS: u16 = !RowsEvent::STMT_END_F;

/// `events` (TABLE_MAP and rows events of whole row statements) as fewer
/// row statements; `None` when they hold anything else, or end inside a
/// statement (then they are sent as they are).
pub fn merge_row_statements(events: &[Event]) -> Option<Vec<Event>> {
    let mut out = Vec::with_capacity(events.len());
    let mut merged = Statement::default();
    let mut statement = Statement::default();
    for e in events {
        match &e.data {
            EventData::TableMap(m) => statement.maps.push((m.table_id(), e)),
            EventData::Rows(r) => {
                statement.rows.push(e);
                if r.is_statement_end() {
                    let done = std::mem::take(&mut statement);
                    if !merged.admits(&done) {
                        merged.flush(&mut out);
                    }
                    merged.take(done);
                }
            }
            _ => return None,
        }
    }
    if !statement.maps.is_empty() || !statement.rows.is_empty() {
        return None;
    }
    merged.flush(&mut out);
    Some(out)
}

/// A row statement (or several being merged): its TABLE_MAP events (by
/// table id), then its rows events.
#[derive(Default)]
struct Statement<'a> {
    maps: Vec<(u64, &'a Event)>,
    rows: Vec<&'a Event>,
}

impl<'a> Statement<'a> {
    /// Whether `s` can join this statement (see the module's rules).
    fn admits(&self, s: &Statement<'_>) -> bool {
        let Some(first) = self.rows.first() else {
            return true;
        };
        let flags = rows_flags(first);
        s.rows.iter().all(|e| rows_flags(e) == flags)
            && s.maps.iter().all(|(id, e)| {
                self.maps.iter().all(|(mid, m)| {
                    if mid == id {
                        m.raw.body() == e.raw.body()
                    } else {
                        !same_table(m, e)
                    }
                })
            })
    }

    fn take(&mut self, s: Statement<'a>) {
        for (id, e) in s.maps {
            if !self.maps.iter().any(|(mid, _)| *mid == id) {
                self.maps.push((id, e));
            }
        }
        self.rows.extend(s.rows);
    }

    /// Writes it out as one statement, and empties it: its TABLE_MAP
    /// events, then its rows events, only the last with STMT_END_F.
    fn flush(&mut self, out: &mut Vec<Event>) {
        let Statement { maps, rows } = std::mem::take(self);
        out.extend(maps.into_iter().map(|(_, e)| e.clone()));
        let last = rows.len().saturating_sub(1);
        for (i, e) in rows.into_iter().enumerate() {
            let EventData::Rows(r) = &e.data else {
                unreachable!("only rows events are taken as rows")
            };
            let flags = if i == last {
                r.flags | RowsEvent::STMT_END_F
            } else {
                r.flags & !RowsEvent::STMT_END_F
            };
            out.push(if flags == r.flags {
                e.clone()
            } else {
                with_flags(e, r, flags)
            });
        }
    }
}

/// A rows event's flags but STMT_END_F.
fn rows_flags(e: &Event) -> u16 {
    match &e.data {
        EventData::Rows(r) => r.flags & SAME_FLAGS,
        _ => 0,
    }
}

/// Whether two TABLE_MAP events map the same `db`.`table`.
fn same_table(a: &Event, b: &Event) -> bool {
    match (&a.data, &b.data) {
        (EventData::TableMap(a), EventData::TableMap(b)) => {
            a.table_name() == b.table_name() && a.database_name() == b.database_name()
        }
        _ => false,
    }
}

/// `e` (a rows event) with its flags set to `flags`, in its bytes and in
/// what was decoded from them.
fn with_flags(e: &Event, r: &RowsEvent, flags: u16) -> Event {
    let at = RowsFlagsAt::of(&e.raw, r);
    let mut e = e.clone();
    e.raw.bytes = at.with_flags(&e.raw.bytes, flags);
    if let EventData::Rows(rows) = &mut e.data {
        rows.flags = flags;
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    use myreplay_binlog::{EventStream, TransactionStream};

    /// The TABLE_MAP and rows events of every transaction of fixture
    /// binlog `n`, in order (1: ten row statements of one table; 5: two
    /// tables, compressed rows events among them).
    fn row_events(n: u32) -> Vec<Event> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(format!("../../testdata/mariadb/binlog.{n:06}"));
        let events = EventStream::open(&[path], Default::default()).unwrap();
        let mut txns = TransactionStream::new(events);
        let mut out = vec![];
        while let Some(t) = txns.next_transaction().unwrap() {
            out.extend(
                t.events
                    .into_iter()
                    .filter(|e| matches!(e.data, EventData::TableMap(_) | EventData::Rows(_))),
            );
        }
        out
    }

    fn rows(events: &[Event]) -> Vec<&RowsEvent> {
        events
            .iter()
            .filter_map(|e| match &e.data {
                EventData::Rows(r) => Some(r),
                _ => None,
            })
            .collect()
    }

    fn statement_ends(events: &[Event]) -> usize {
        rows(events).iter().filter(|r| r.is_statement_end()).count()
    }

    /// Each rows event's bytes but its flags, and its flags but STMT_END_F.
    fn rows_but_statement_ends(events: &[Event]) -> Vec<(Vec<u8>, u16)> {
        events
            .iter()
            .filter_map(|e| match &e.data {
                EventData::Rows(r) => {
                    let at = RowsFlagsAt::of(&e.raw, r);
                    let mut b = e.raw.bytes.to_vec();
                    b[at.offset..at.offset + 2].fill(0);
                    let n = b.len();
                    b[n - 4..].fill(0); // the CRC32 changes with the flags
                    assert_eq!(
                        at.flags(&e.raw.bytes),
                        r.flags,
                        "bytes and decoded flags agree"
                    );
                    Some((b, r.flags & SAME_FLAGS))
                }
                _ => None,
            })
            .collect()
    }

    #[test]
    fn statements_merge_into_one_with_every_rows_event_in_order() {
        for n in [1, 5] {
            statements_merge_into_one(n);
        }
    }

    fn statements_merge_into_one(n: u32) {
        let events = row_events(n);
        assert!(
            statement_ends(&events) >= 5,
            "fixture {n} has many statements"
        );
        let merged = merge_row_statements(&events).expect("row statements only");
        assert_eq!(statement_ends(&merged), 1);
        assert!(rows(&merged).last().unwrap().is_statement_end());
        // The same rows events, in the same order, with the same other flags.
        assert_eq!(
            rows_but_statement_ends(&merged),
            rows_but_statement_ends(&events)
        );
        // Every TABLE_MAP first, once per table id.
        let first_rows = merged
            .iter()
            .position(|e| matches!(e.data, EventData::Rows(_)))
            .unwrap();
        assert!(merged[first_rows..]
            .iter()
            .all(|e| matches!(e.data, EventData::Rows(_))));
        let mut ids: Vec<u64> = merged[..first_rows]
            .iter()
            .map(|e| match &e.data {
                EventData::TableMap(m) => m.table_id(),
                _ => unreachable!(),
            })
            .collect();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n);
        // Bytes and the CRC32 agree (the reader verifies it again).
        for e in &merged {
            let n = e.raw.bytes.len();
            let crc = crc32fast::hash(&e.raw.bytes[..n - 4]);
            assert_eq!(e.raw.bytes[n - 4..], crc.to_le_bytes());
        }
    }

    #[test]
    fn different_foreign_key_flags_are_not_merged() {
        let mut events = row_events(1);
        // The third statement's rows events as FOREIGN_KEY_CHECKS=0.
        let mut statement = 0;
        for e in &mut events {
            if let EventData::Rows(r) = &e.data {
                let end = r.is_statement_end();
                if statement == 2 {
                    *e = with_flags(e, &r.clone(), r.flags | RowsEvent::NO_FOREIGN_KEY_CHECKS_F);
                }
                statement += usize::from(end);
            }
        }
        let merged = merge_row_statements(&events).unwrap();
        assert_eq!(statement_ends(&merged), 3, "before, the odd one, after");
        assert_eq!(
            rows_but_statement_ends(&merged),
            rows_but_statement_ends(&events)
        );
    }

    #[test]
    fn one_table_id_for_two_tables_or_two_ids_for_one_table_end_the_merge() {
        let events = row_events(5);
        let maps: Vec<&Event> = events
            .iter()
            .filter(|e| matches!(e.data, EventData::TableMap(_)))
            .collect();
        let (a, b) = maps
            .iter()
            .flat_map(|a| maps.iter().map(move |b| (*a, *b)))
            .find(|(a, b)| !same_table(a, b))
            .expect("the fixture maps two tables");
        let row = events
            .iter()
            .find(|e| matches!(&e.data, EventData::Rows(r) if r.is_statement_end()))
            .unwrap();
        let statement = |id: u64, map: &'static Event| Statement {
            maps: vec![(id, map)],
            rows: vec![leak(row)],
        };
        let (a, b): (&'static Event, &'static Event) = (leak(a), leak(b));
        let mut merged = Statement::default();
        merged.take(statement(7, a));
        assert!(merged.admits(&statement(7, a)), "the same map again");
        assert!(merged.admits(&statement(8, b)), "another table, another id");
        assert!(!merged.admits(&statement(7, b)), "id 7 is table a's");
        assert!(!merged.admits(&statement(9, a)), "table a is id 7");
    }

    fn leak(e: &Event) -> &'static Event {
        Box::leak(Box::new(e.clone()))
    }

    #[test]
    fn anything_but_whole_row_statements_is_left_alone() {
        let events = row_events(1);
        // Ends inside a statement.
        let cut = events
            .iter()
            .position(|e| matches!(&e.data, EventData::Rows(r) if r.is_statement_end()))
            .unwrap();
        assert!(merge_row_statements(&events[..cut]).is_none());
        assert!(merge_row_statements(&[]).is_some_and(|v| v.is_empty()));
    }
}
