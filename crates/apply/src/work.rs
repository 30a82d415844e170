//! What a worker needs to apply one transaction: its summary and the events
//! to send, with the FORMAT_DESCRIPTION they were written under.

use std::sync::Arc;

use bytes::Bytes;
use myreplay_binlog::{Event, EventData, EventType, QueryClass, TransactionSummary};

/// One source transaction, ready to apply.
#[derive(Debug, Clone)]
pub struct TxnWork {
    pub summary: TransactionSummary,
    /// The FORMAT_DESCRIPTION event (raw bytes) of the file the transaction is in.
    pub fde: Arc<Bytes>,
    /// The steps, in order.
    pub steps: Vec<Step>,
}

/// One thing to do on the target, in order.
#[derive(Debug, Clone)]
pub enum Step {
    /// Row events (TABLE_MAP and ROWS, and MySQL's ROWS_QUERY), in order.
    Rows(Vec<Event>),
    /// A statement with the context events before it (INTVAR, RAND, USER_VAR).
    Statement { context: Vec<Event>, query: Event },
}

impl TxnWork {
    /// Builds the steps from a transaction's events.
    pub fn new(summary: TransactionSummary, fde: Arc<Bytes>, events: Vec<Event>) -> Self {
        Self {
            summary,
            fde,
            steps: steps(events),
        }
    }

    /// The source thread (pseudo_thread_id) of its first statement, if it
    /// has one: statements of one source thread run on one session, where
    /// its temporary tables live.
    pub fn source_thread(&self) -> Option<u32> {
        self.steps.iter().find_map(|s| match s {
            Step::Statement { query, .. } => match &query.data {
                EventData::Query(q) => Some(q.thread_id),
                _ => None,
            },
            Step::Rows(_) => None,
        })
    }

    /// Whether the transaction holds statements (not only row events).
    pub fn has_statements(&self) -> bool {
        self.steps
            .iter()
            .any(|s| matches!(s, Step::Statement { .. }))
    }
}

/// The steps of a transaction's events (or of a run of them, in order).
pub fn steps(events: Vec<Event>) -> Vec<Step> {
    let mut steps: Vec<Step> = vec![];
    let mut context = vec![];
    for e in events {
        match &e.data {
            // MySQL's ROWS_QUERY (the source's statement text) goes with
            // its row events: a BINLOG statement may carry it into the
            // target's binlog (see BinlogStatements). MariaDB's
            // ANNOTATE_ROWS cannot be (a BINLOG statement refuses it).
            EventData::RowsQuery(_) if e.raw.header.event_type != EventType::ROWS_QUERY => {}
            EventData::TableMap(_) | EventData::Rows(_) | EventData::RowsQuery(_) => {
                match steps.last_mut() {
                    Some(Step::Rows(v)) => v.push(e),
                    _ => steps.push(Step::Rows(vec![e])),
                }
            }
            EventData::Intvar { .. } | EventData::Rand { .. } | EventData::UserVar { .. } => {
                context.push(e)
            }
            EventData::Query(q) => match q.class() {
                // Transaction control is the session's own.
                QueryClass::Begin | QueryClass::Commit | QueryClass::Rollback => {}
                _ => steps.push(Step::Statement {
                    context: std::mem::take(&mut context),
                    query: e,
                }),
            },
            _ => {}
        }
    }
    steps
}

/// Follows the row statement in progress (TABLE_MAP events, then rows
/// events up to the one with STMT_END_F) through a run of events, to start
/// a later piece of it with its TABLE_MAP events again.
#[derive(Debug, Default)]
pub(crate) struct RowStatement {
    maps: Vec<Event>,
    open: bool,
}

impl RowStatement {
    /// Takes `e`, the next event, into account.
    pub(crate) fn see(&mut self, e: &Event) {
        match &e.data {
            EventData::TableMap(_) => {
                if !self.open {
                    self.maps.clear();
                    self.open = true;
                }
                self.maps.push(e.clone());
            }
            EventData::Rows(r) => self.open = !r.is_statement_end(),
            EventData::Query(_) => self.open = false,
            _ => {}
        }
    }

    /// The TABLE_MAP events of the statement in progress (none between
    /// statements).
    pub(crate) fn open_maps(&self) -> &[Event] {
        if self.open {
            &self.maps
        } else {
            &[]
        }
    }

    /// The TABLE_MAP of `table_id` in the statement in progress.
    pub(crate) fn table_map(&self, table_id: u64) -> Option<&myreplay_binlog::TableMap> {
        self.open_maps().iter().find_map(|e| match &e.data {
            EventData::TableMap(m) if m.table_id() == table_id => Some(&**m),
            _ => None,
        })
    }
}
