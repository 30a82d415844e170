//! Groups events into transactions, streaming.
//!
//! [`TransactionStream`] yields [`Item`]s: events outside any transaction
//! ([`Item::Bookkeeping`]: FORMAT_DESCRIPTION, ROTATE, GTID_LIST...), then for
//! each transaction a [`Item::Begin`], its events, and an [`Item::End`] with
//! the summary. Nothing is held beyond the current event, so a transaction of
//! any size passes through in bounded memory. [`TransactionStream::next_transaction`]
//! collects one whole transaction for callers that want it in one piece.
//!
//! Boundaries: a transaction starts at a GTID event (MySQL or MariaDB), or,
//! in files without GTIDs, at `BEGIN` or at the first event of a statement.
//! It ends at XID, `COMMIT`, `ROLLBACK`, XA PREPARE, or after its only
//! statement when it has no `BEGIN` (DDL, statement DML in autocommit). A
//! transaction still open when the input ends is an error: it is never
//! reported as complete. An INCIDENT event is an error: the source lost
//! events there.

use std::collections::HashMap;
use std::sync::Arc;

use crate::error::{Error, Position, Result};
use crate::event::{Event, EventData, GtidEvent, QueryClass, TableMap, XaStep};
use crate::event_type::EventType;
use crate::gtid::Gtid;
use crate::stream::EventStream;

/// What a transaction does, as far as the binlog says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TransactionKind {
    /// No data change (e.g. `BEGIN; COMMIT`).
    Empty,
    /// Row events only.
    Row,
    /// At least one statement-format DML (or LOAD DATA): effects unknown before running.
    Statement,
    /// DDL or another statement with an implicit commit.
    Ddl,
    /// An XA transaction (START..PREPARE) or an XA COMMIT / ROLLBACK.
    Xa,
}

/// How a transaction begins.
#[derive(Debug, Clone)]
pub struct TransactionStart {
    /// 1 for the first transaction read, counting on.
    pub ordinal: u64,
    pub gtid: Option<Gtid>,
    /// The GTID event's details (logical clock, commit timestamps, MariaDB flags).
    pub gtid_event: Option<GtidEvent>,
    /// Where its first event starts.
    pub start: Position,
}

/// A finished transaction: where it was and what it did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TransactionSummary {
    pub ordinal: u64,
    pub gtid: Option<Gtid>,
    pub start: Position,
    /// Where the event after the transaction starts.
    pub end: Position,
    pub kind: TransactionKind,
    /// Ended with ROLLBACK (only non-transactional changes remain).
    pub rolled_back: bool,
    /// Row changes (an UPDATE's before and after image count once).
    pub rows: u64,
    pub events: u64,
    /// Bytes of its events on disk.
    pub bytes: u64,
    /// Header timestamp of the last event (seconds since the epoch, UTC).
    pub timestamp: u32,
    /// MySQL 8 commit timestamp on the original source, microseconds.
    pub original_commit_us: Option<u64>,
    /// MySQL 8 commit timestamp on the server that wrote this binlog,
    /// microseconds (`timestamp` to the microsecond).
    pub immediate_commit_us: Option<u64>,
    /// The tables its row events changed, with row counts, in the order
    /// they were first changed (statements' changes are not counted).
    pub tables: Vec<crate::TableChanges>,
    pub last_committed: Option<u64>,
    pub sequence_number: Option<u64>,
}

/// One step of the stream.
#[derive(Debug, Clone)]
pub enum Item {
    /// An event outside transactions (or bookkeeping inside one, such as a
    /// relay log's ROTATE): not part of any transaction's effects.
    Bookkeeping(Event),
    /// Boxed, like [`Item::End`]: every item is moved several times on its
    /// way out, and a large variant would make each event's move that large.
    Begin(Box<TransactionStart>),
    /// An event of the open transaction, in order, GTID and COMMIT included.
    Event(Event),
    End(Box<TransactionSummary>),
}

/// A whole transaction, collected.
#[derive(Debug, Clone)]
pub struct Transaction {
    pub summary: TransactionSummary,
    pub gtid_event: Option<GtidEvent>,
    /// Its events in order, with their original bytes.
    pub events: Vec<Event>,
}

struct Open {
    start: TransactionStart,
    began: bool,
    kind: TransactionKind,
    rows: u64,
    tables: Vec<crate::TableChanges>,
    /// Where each table id's tally is in `tables`.
    tallies: Vec<(u64, usize)>,
    events: u64,
    bytes: u64,
    last: Position,
    last_timestamp: u32,
    /// Its only statement is done (no BEGIN): it ends here, unless an XID
    /// follows (MySQL 5.0 logs autocommit InnoDB statements as `stmt; XID`).
    statement_done: bool,
}

/// Transactions of a sequence of binlog files.
pub struct TransactionStream {
    events: EventStream,
    open: Option<Open>,
    ordinal: u64,
    /// Items produced by the last event, not yet returned (at most three).
    queue: std::collections::VecDeque<Item>,
    table_maps: HashMap<u64, Arc<TableMap>>,
    done: bool,
}

impl TransactionStream {
    /// Groups the events of `events` into transactions.
    pub fn new(events: EventStream) -> Self {
        Self {
            events,
            open: None,
            ordinal: 0,
            queue: Default::default(),
            table_maps: HashMap::new(),
            done: false,
        }
    }

    /// The table map in force for `table_id`.
    pub fn table_map(&self, table_id: u64) -> Option<&Arc<TableMap>> {
        self.table_maps.get(&table_id)
    }

    /// The next item; `Ok(None)` at the end of the input.
    pub fn next_item(&mut self) -> Result<Option<Item>> {
        loop {
            if let Some(item) = self.queue.pop_front() {
                return Ok(Some(item));
            }
            if self.done {
                return Ok(None);
            }
            match self.events.next_event()? {
                Some(event) => self.push(event)?,
                None => {
                    self.done = true;
                    if let Some(open) = &self.open {
                        if open.statement_done {
                            let ts = open.last_timestamp;
                            self.end(ts, false);
                            continue;
                        }
                    }
                    if let Some(open) = self.open.take() {
                        return Err(Error::IncompleteTransaction {
                            start: open.start.start,
                            gtid: open.start.gtid.map(|g| g.to_string()),
                            end: open.last,
                        });
                    }
                }
            }
        }
    }

    /// The next whole transaction, with the bookkeeping events before it
    /// dropped. This holds the transaction's events in memory; use
    /// [`next_item`](Self::next_item) for transactions of unbounded size.
    pub fn next_transaction(&mut self) -> Result<Option<Transaction>> {
        let mut events = Vec::new();
        let mut gtid_event = None;
        while let Some(item) = self.next_item()? {
            match item {
                Item::Bookkeeping(_) => {}
                Item::Begin(s) => gtid_event = s.gtid_event,
                Item::Event(e) => events.push(e),
                Item::End(summary) => {
                    return Ok(Some(Transaction {
                        summary: *summary,
                        gtid_event,
                        events,
                    }))
                }
            }
        }
        Ok(None)
    }

    fn begin(&mut self, event: &Event, gtid_event: Option<GtidEvent>) {
        self.ordinal += 1;
        let start = TransactionStart {
            ordinal: self.ordinal,
            gtid: gtid_event.as_ref().and_then(|g| g.gtid.clone()),
            gtid_event,
            start: event.raw.pos.clone(),
        };
        self.queue.push_back(Item::Begin(Box::new(start.clone())));
        self.open = Some(Open {
            start,
            began: false,
            kind: TransactionKind::Empty,
            rows: 0,
            tables: vec![],
            tallies: vec![],
            events: 0,
            bytes: 0,
            last: event.raw.pos.clone(),
            last_timestamp: event.raw.header.timestamp,
            statement_done: false,
        });
    }

    fn end(&mut self, timestamp: u32, rolled_back: bool) {
        let open = self.open.take().expect("an open transaction");
        let g = open.start.gtid_event.as_ref();
        self.queue.push_back(Item::End(Box::new(TransactionSummary {
            ordinal: open.start.ordinal,
            gtid: open.start.gtid,
            start: open.start.start,
            end: open.last,
            kind: open.kind,
            rolled_back,
            rows: open.rows,
            events: open.events,
            bytes: open.bytes,
            timestamp,
            original_commit_us: g.and_then(|g| g.original_commit_timestamp),
            immediate_commit_us: g.and_then(|g| g.immediate_commit_timestamp),
            tables: open.tables,
            last_committed: g.and_then(|g| g.last_committed),
            sequence_number: g.and_then(|g| g.sequence_number),
        })));
        self.table_maps.clear();
    }

    /// Feeds one event through the state machine.
    fn push(&mut self, event: Event) -> Result<()> {
        use EventData as D;
        use Step as Then;
        if let Some(open) = &self.open {
            if open.statement_done {
                if matches!(event.data, D::Xid(_)) {
                    return self.add(event, Then::End { rolled_back: false });
                }
                let ts = open.last_timestamp;
                self.end(ts, false);
            }
        }
        let bookkeeping = matches!(
            event.data,
            D::FormatDescription { .. }
                | D::Rotate { .. }
                | D::Stop
                | D::PreviousGtids
                | D::GtidList(_)
                | D::BinlogCheckpoint(_)
                | D::Ignorable
        );
        if bookkeeping {
            self.queue.push_back(Item::Bookkeeping(event));
            return Ok(());
        }
        if let D::Incident { code, message } = &event.data {
            return Err(Error::Incident {
                at: event.raw.pos.clone(),
                incident: *code,
                message: message.clone(),
            });
        }
        if let D::Gtid(g) = &event.data {
            if let Some(open) = &self.open {
                return Err(self.unfinished(open, &event));
            }
            let g = g.clone();
            // A MariaDB GTID event stands for BEGIN unless it is standalone.
            let began = g.mariadb.as_ref().is_some_and(|m| !m.is_standalone());
            self.begin(&event, Some(*g));
            self.open.as_mut().expect("open").began = began;
            return self.add(event, Then::Continue);
        }
        if self.open.is_none() {
            if matches!(event.data, D::Xid(_) | D::XaPrepare { .. }) {
                return Err(Error::Corrupt {
                    at: event.raw.pos.clone(),
                    event_type: event.event_type(),
                    reason: "a commit with no transaction open before it; the start position may be inside a transaction".into(),
                });
            }
            self.begin(&event, None);
        }
        let open = self.open.as_mut().expect("open");
        let then = match &event.data {
            D::Query(q) => match q.class() {
                QueryClass::Begin => {
                    if open.began {
                        return Err(Error::Corrupt {
                            at: event.raw.pos.clone(),
                            event_type: event.event_type(),
                            reason: "BEGIN inside a transaction that already began".into(),
                        });
                    }
                    open.began = true;
                    Then::Continue
                }
                QueryClass::Commit => Then::End { rolled_back: false },
                QueryClass::Rollback => Then::End { rolled_back: true },
                QueryClass::Savepoint => Then::Continue,
                QueryClass::Xa(step) => {
                    open.kind = open.kind.max(TransactionKind::Xa);
                    match step {
                        XaStep::Start => {
                            open.began = true;
                            Then::Continue
                        }
                        XaStep::End => Then::Continue,
                        XaStep::Prepare | XaStep::Commit => Then::End { rolled_back: false },
                        XaStep::Rollback => Then::End { rolled_back: true },
                    }
                }
                QueryClass::Dml => {
                    open.kind = open.kind.max(TransactionKind::Statement);
                    statement_end(open.began)
                }
                QueryClass::Ddl => {
                    open.kind = open.kind.max(TransactionKind::Ddl);
                    statement_end(open.began)
                }
            },
            D::Xid(_) => Then::End { rolled_back: false },
            D::XaPrepare { .. } => {
                open.kind = open.kind.max(TransactionKind::Xa);
                Then::End { rolled_back: false }
            }
            D::TableMap(t) => {
                self.table_maps.insert(t.table_id(), t.clone());
                Then::Continue
            }
            D::Rows(r) => {
                let Some(tme) = self.table_maps.get(&r.table_id) else {
                    return Err(Error::Corrupt {
                        at: event.raw.pos.clone(),
                        event_type: event.event_type(),
                        reason: format!(
                            "rows event for table_id {} without a TABLE_MAP before it",
                            r.table_id
                        ),
                    });
                };
                let n = r.count_rows(tme).map_err(|reason| Error::Corrupt {
                    at: event.raw.pos.clone(),
                    event_type: event.event_type(),
                    reason: format!(
                        "rows of `{}`.`{}`: {reason}",
                        tme.database_name(),
                        tme.table_name()
                    ),
                })?;
                open.rows += n;
                // By table id first: its names are compared (and decoded)
                // once per table and transaction, not once per event.
                match open.tallies.iter().find(|(id, _)| *id == r.table_id) {
                    Some(&(_, i)) => open.tables[i].count(r.kind, n),
                    None => {
                        let i = crate::TableChanges::add(
                            &mut open.tables,
                            &tme.database_name(),
                            &tme.table_name(),
                            r.kind,
                            n,
                        );
                        open.tallies.push((r.table_id, i));
                    }
                }
                open.kind = open.kind.max(TransactionKind::Row);
                if r.is_statement_end() && !open.began {
                    Then::StatementDone
                } else {
                    Then::Continue
                }
            }
            D::LoadData => {
                open.kind = open.kind.max(TransactionKind::Statement);
                if event.event_type() == EventType::EXECUTE_LOAD_QUERY {
                    statement_end(open.began)
                } else {
                    Then::Continue
                }
            }
            _ => Then::Continue,
        };
        self.add(event, then)
    }

    fn add(&mut self, event: Event, step: Step) -> Result<()> {
        let open = self.open.as_mut().expect("open");
        // Inner events of a TRANSACTION_PAYLOAD are counted through the payload's bytes.
        if event.inner.is_none() {
            open.bytes += event.raw.bytes.len() as u64;
        }
        open.events += 1;
        open.last = Position::new(event.raw.pos.file.clone(), event.end);
        open.last_timestamp = event.raw.header.timestamp;
        let timestamp = open.last_timestamp;
        self.queue.push_back(Item::Event(event));
        match step {
            Step::Continue => {}
            Step::StatementDone => open.statement_done = true,
            Step::End { rolled_back } => self.end(timestamp, rolled_back),
        }
        Ok(())
    }

    fn unfinished(&self, open: &Open, next: &Event) -> Error {
        Error::IncompleteTransaction {
            start: open.start.start.clone(),
            gtid: open.start.gtid.as_ref().map(|g| g.to_string()),
            end: next.raw.pos.clone(),
        }
    }
}

/// What an event does to the open transaction.
enum Step {
    Continue,
    /// The only statement of a transaction without BEGIN is done.
    StatementDone,
    End {
        rolled_back: bool,
    },
}

/// A statement ends its transaction when no BEGIN opened one.
fn statement_end(began: bool) -> Step {
    if began {
        Step::Continue
    } else {
        Step::StatementDone
    }
}
