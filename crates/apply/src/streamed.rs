//! Transactions too large to hold in memory: applied while they are read.
//!
//! A transaction whose events pass [`Replay::stream_threshold`] bytes is
//! not planned against the others: the replay first lets every earlier
//! transaction commit (it is a barrier), then applies this one alone on a
//! session of its own, a run of events at a time, in one target
//! transaction, and commits it with its checkpoint row when its last event
//! has been read. Memory stays at about one run of events (8 MiB, or one
//! event when a single event is larger) whatever the transaction's size.
//!
//! It is never retried: on any error it is rolled back and the replay
//! stops; running the same command again starts it over from its first
//! event (the checkpoint table has no row for it).

use std::sync::Arc;

use bytes::Bytes;
use myreplay_binlog::{Event, EventData, Item, QueryClass, TransactionStart, TransactionStream};
use myreplay_binlog::{Gtid, TransactionSummary};
use myreplay_plan::BinlogPlanner;

use crate::error::ApplyError;
use crate::filter::Decision;
use crate::replay::{Replay, ReplayError};
use crate::session::Session;
use crate::work::{steps, RowStatement, TxnWork};

/// Events sent to the target at a time.
const RUN_BYTES: u64 = 8 << 20;

/// How a streamed transaction ended.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// Committed; `stop` when the range ends after it.
    Applied {
        summary: Box<TransactionSummary>,
        stop: bool,
    },
    /// Recorded as applied by an earlier run: read past, nothing sent.
    AlreadyApplied,
    /// Left out by the range (rolled back); `stop` when the range ends here.
    LeftOut { stop: bool },
    /// The input ends inside it at --stop-position: rolled back.
    StoppedInside,
}

/// What a streamed transaction needs from the replay.
pub(crate) struct Streaming<'a> {
    pub replay: &'a Replay,
    pub txns: &'a mut TransactionStream,
    pub planner: &'a mut BinlogPlanner,
    /// The session streamed transactions run on, opened on first use.
    pub session: &'a mut Option<Session>,
    pub fde: &'a Arc<Bytes>,
}

/// A run may end after a rows event or a statement (not between a
/// statement and its context events, or after a TABLE_MAP).
fn can_end_run_after(e: &Event) -> bool {
    matches!(&e.data, EventData::Rows(_))
        || matches!(&e.data, EventData::Query(q) if !matches!(q.class(), QueryClass::Begin))
}

impl Streaming<'_> {
    /// Applies the transaction that began at `start`, whose first events
    /// `read` were read already. `already_applied`: the checkpoint table
    /// has it (read past it, send nothing). `progress` gets the bytes read
    /// so far.
    pub(crate) fn run(
        &mut self,
        start: &TransactionStart,
        read: Vec<Event>,
        already_applied: bool,
        progress: &mut dyn FnMut(u64),
    ) -> Result<Outcome, ReplayError> {
        let gtid = start.gtid.clone();
        let failed = |source: ApplyError| ReplayError::Apply {
            at: start.start.clone(),
            gtid: gtid.clone(),
            source: Box::new(source),
            report: Box::default(),
        };
        let send = !already_applied;
        if send {
            if self.session.is_none() {
                *self.session = Some(self.replay.open_session(0).map_err(failed)?);
            }
            let fde = self.fde.clone();
            self.session()
                .begin_streamed(gtid.as_ref(), &fde)
                .map_err(failed)?;
        }
        let result = self.read_and_apply(read, send, gtid.as_ref(), progress);
        let rollback = |s: &mut Self| {
            if send {
                s.session().rollback();
            }
        };
        let summary = match result {
            Ok(Some(summary)) => summary,
            Ok(None) => {
                rollback(self);
                return Ok(Outcome::StoppedInside);
            }
            Err(Failure::Input(e)) => {
                rollback(self);
                return Err(e);
            }
            Err(Failure::Target(e)) => {
                rollback(self);
                return Err(failed(e));
            }
        };
        let stop = match self.replay.range.decide(&summary) {
            Decision::Stop => {
                rollback(self);
                return Ok(Outcome::LeftOut { stop: true });
            }
            Decision::Skip | Decision::Before => {
                rollback(self);
                return Ok(Outcome::LeftOut { stop: false });
            }
            Decision::ApplyThenStop => true,
            Decision::Apply => false,
        };
        if already_applied {
            return Ok(Outcome::AlreadyApplied);
        }
        let record = TxnWork {
            summary,
            fde: self.fde.clone(),
            steps: vec![],
        };
        if let Err(e) = self.session().commit_streamed(&record) {
            rollback(self);
            return Err(failed(e));
        }
        Ok(Outcome::Applied {
            summary: Box::new(record.summary),
            stop,
        })
    }

    fn session(&mut self) -> &mut Session {
        self.session.as_mut().expect("opened before use")
    }

    /// Reads the rest of the transaction, sending runs of events. Its
    /// summary at the end; `None` when the input stops inside it at
    /// --stop-position.
    fn read_and_apply(
        &mut self,
        mut run: Vec<Event>,
        send: bool,
        gtid: Option<&Gtid>,
        progress: &mut dyn FnMut(u64),
    ) -> Result<Option<TransactionSummary>, Failure> {
        let mut statement = RowStatement::default();
        let mut run_bytes: u64 = 0;
        let mut total: u64 = 0;
        for e in &run {
            statement.see(e);
            run_bytes += e.raw.bytes.len() as u64;
        }
        loop {
            if run_bytes >= RUN_BYTES && run.last().is_some_and(can_end_run_after) {
                total += run_bytes;
                let next = statement.open_maps().to_vec();
                if send {
                    self.send(std::mem::replace(&mut run, next), gtid)?;
                } else {
                    run = next;
                }
                run_bytes = run.iter().map(|e| e.raw.bytes.len() as u64).sum();
                progress(total);
            }
            let item = match self.txns.next_item() {
                Ok(Some(item)) => item,
                Ok(None) => {
                    unreachable!(
                        "the transaction stream reports an unfinished transaction as an error"
                    )
                }
                Err(myreplay_binlog::Error::IncompleteTransaction { .. })
                    if self.replay.stream.stop_position.is_some() =>
                {
                    return Ok(None)
                }
                Err(e) => return Err(Failure::Input(e.into())),
            };
            let planned = self
                .planner
                .feed(&item)
                .map_err(|e| Failure::Input(e.into()))?;
            match item {
                Item::Event(e) => {
                    statement.see(&e);
                    run_bytes += e.raw.bytes.len() as u64;
                    run.push(e);
                }
                Item::End(_) => {
                    if send && !run.is_empty() {
                        self.send(run, gtid)?;
                    }
                    let planned = planned.expect("the planner ends a transaction at its end");
                    return Ok(Some(planned.summary));
                }
                Item::Begin(_) | Item::Bookkeeping(_) => {}
            }
        }
    }

    fn send(&mut self, run: Vec<Event>, gtid: Option<&Gtid>) -> Result<(), Failure> {
        let events = self.replay.rewrite.apply(self.replay.databases.retain(run));
        let steps = steps(events);
        let fde = self.fde.clone();
        self.session()
            .apply_steps(&fde, &steps, gtid)
            .map_err(Failure::Target)
    }
}

enum Failure {
    Input(ReplayError),
    Target(ApplyError),
}
