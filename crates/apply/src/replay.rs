//! The replay: binlogs in, the target brought to the source's state,
//! exactly once.
//!
//! One thread reads and plans (binlog reader → [`BinlogPlanner`] →
//! dependency [`Graph`]); `workers` threads each hold a [`Session`] and apply
//! the units the graph hands out, each unit in one target transaction with
//! its checkpoint rows. Transactions already recorded in the checkpoint
//! table are skipped, so re-running the same command after a crash or a
//! kill resumes where it stopped; re-running a finished replay applies
//! nothing.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use crossbeam_channel::{bounded, unbounded};
use myreplay_binlog::{
    Event, EventData, EventStream, Gtid, Item, Position, StreamOptions, TransactionStart,
    TransactionStream, TransactionSummary,
};
use myreplay_plan::{BinlogPlanner, Graph, Limits, PlannedTxn, Scheduler};

use crate::checkpoint::{file_key, CheckpointTable};
use crate::connect::ConnectOptions;
use crate::error::ApplyError;
use crate::filter::{DatabaseFilter, Decision, Range, Rewrite};
use crate::schema_loader::load_schema;
use crate::session::{ApplyPath, RetryPolicy, Session};
use crate::streamed::{Outcome, Streaming};
use crate::work::TxnWork;

/// Counts a committed transaction in the report.
fn record_applied(
    report: &mut Report,
    last: &mut Option<(u64, LastApplied)>,
    t: &TransactionSummary,
) {
    report.transactions_applied += 1;
    report.rows += t.rows;
    report.bytes += t.bytes;
    if last.as_ref().is_none_or(|(o, _)| t.ordinal > *o) {
        *last = Some((
            t.ordinal,
            LastApplied {
                file: t.start.file.to_string(),
                offset: t.start.offset,
                gtid: t.gtid.as_ref().map(|g| g.to_string()),
                timestamp: t.timestamp,
            },
        ));
    }
}

/// What to replay, where, and how.
#[derive(Debug, Clone)]
pub struct Replay {
    pub files: Vec<PathBuf>,
    pub stream: StreamOptions,
    pub target: ConnectOptions,
    pub workers: usize,
    pub limits: Limits,
    pub checkpoint: CheckpointTable,
    /// Write the applied changes to the target's binlog too.
    pub log_bin: bool,
    /// Transactions planned ahead of the oldest one not yet committed.
    pub window: usize,
    pub retry: RetryPolicy,
    /// Start and stop points besides positions (time, GTID).
    pub range: Range,
    /// Databases to apply (mysqlbinlog's --database) or leave out.
    pub databases: DatabaseFilter,
    /// Databases applied under another name (`--rewrite-db FROM->TO`).
    pub rewrite: Rewrite,
    /// Whole transactions to apply, by kind, statement text and GTID
    /// (`--kind`, `--grep`, `--include-gtids`, `--exclude-gtids`); the
    /// others are left out. Tables are [`Replay::databases`]'
    /// (row changes by table), times [`Replay::range`]'s.
    pub selection: myreplay_binlog::Selection,
    /// Keep the source's MariaDB GTIDs in the target's binlog (needs
    /// `log_bin`). Transactions are then applied one per commit, in source
    /// order, on one session: GTIDs of a domain must reach the binlog in
    /// order (gtid_strict_mode), which rules out parallel commits.
    pub preserve_gtids: bool,
    /// How row events are applied: `BINLOG` statements (default) or generated SQL.
    pub path: ApplyPath,
    /// Raw bytes of events per `BINLOG` statement, at most (default: as
    /// much as the target's max_allowed_packet allows, up to 4 MiB).
    pub statement_limit: Option<usize>,
    /// Other nodes of the target's cluster the workers' sessions spread
    /// over, round robin with `target` (empty: every session on `target`).
    /// Sessions then wait, at each unit's start, for their node to have
    /// applied what the cluster committed before (`wsrep_sync_wait = 1`):
    /// a unit may follow one committed on another node.
    pub nodes: Vec<ConnectOptions>,
    /// A transaction larger than this (bytes of events) is applied while
    /// it is read, alone, instead of being held and planned (see
    /// docs/apply.md, "Large statements and transactions").
    pub stream_threshold: u64,
    /// Bytes of events of planned transactions held, at most (with
    /// `window`, this bounds memory).
    pub max_pending_bytes: u64,
    /// BINLOG path: a unit's row statements merged into fewer, larger ones
    /// (same rows, same order; see [`crate::coalesce`]). On by default.
    pub merge_statements: bool,
}

impl Replay {
    /// A replay of `files` into `target` with defaults: one worker per core
    /// (at least 2), units of up to 100 transactions.
    pub fn new(files: Vec<PathBuf>, target: ConnectOptions) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self {
            files,
            stream: StreamOptions::default(),
            target,
            workers: cores.clamp(2, 16),
            limits: Limits::default(),
            checkpoint: CheckpointTable::default(),
            log_bin: false,
            window: 20_000,
            retry: RetryPolicy::default(),
            range: Range::default(),
            databases: DatabaseFilter::default(),
            selection: myreplay_binlog::Selection::default(),
            rewrite: Rewrite::default(),
            path: ApplyPath::Binlog,
            preserve_gtids: false,
            statement_limit: None,
            nodes: vec![],
            stream_threshold: 64 << 20,
            merge_statements: true,
            max_pending_bytes: 256 << 20,
        }
    }
}

/// The last transaction applied (in source order among those committed).
#[derive(Debug, Clone, serde::Serialize)]
pub struct LastApplied {
    pub file: String,
    pub offset: u64,
    pub gtid: Option<String>,
    /// Commit time on the source, seconds since the epoch (UTC).
    pub timestamp: u32,
}

/// What a replay did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Report {
    pub transactions_applied: u64,
    /// Already recorded as applied in the checkpoint table.
    pub transactions_skipped: u64,
    /// Left out by the range or the database filters.
    pub transactions_filtered: u64,
    /// Inside the start state (`Range::start_state`): the restored backup
    /// holds them already.
    pub transactions_before_start: u64,
    pub rows: u64,
    pub units: u64,
    /// Transactions above the stream threshold, applied while read.
    pub transactions_streamed: u64,
    /// Units a cluster refused as over its write-set limits, split and
    /// committed in parts (raise `wsrep_max_ws_rows` / `wsrep_max_ws_size`,
    /// or lower `--unit-transactions`, to avoid it).
    pub units_split: u64,
    /// DDLs an earlier run was cut in (after the server committed them,
    /// before their checkpoint rows), found applied and recorded: where,
    /// and the error that said so (see [`crate::ddl_mark`]).
    pub ddls_found_applied: Vec<String>,
    pub bytes: u64,
    pub seconds: f64,
    pub last_applied: Option<LastApplied>,
}

impl Report {
    /// The progress so far.
    fn progress(&self) -> Progress {
        Progress {
            transactions_applied: self.transactions_applied,
            transactions_skipped: self.transactions_skipped,
            rows: self.rows,
            bytes: self.bytes,
        }
    }
}

/// Progress, passed to the callback after each committed unit.
#[derive(Debug, Clone, Copy, Default)]
pub struct Progress {
    pub transactions_applied: u64,
    pub transactions_skipped: u64,
    pub rows: u64,
    pub bytes: u64,
}

/// Why a replay stopped early.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// The input went bad (damaged, truncated, out of sequence...). Every
    /// complete transaction read before the bad point was applied first;
    /// `report` says what was.
    #[error("{}", input_message(source, report))]
    Binlog {
        source: myreplay_binlog::Error,
        report: Box<Report>,
    },
    #[error("{source}")]
    Plan {
        source: myreplay_plan::PlanError,
        report: Box<Report>,
    },
    #[error(transparent)]
    Target(Box<ApplyError>),
    /// A transaction failed on the target; nothing of its unit committed.
    #[error("{at} (transaction {}): {source}; nothing of it was committed. Fix the cause and run the same command again: it resumes after the last committed transaction", gtid.as_ref().map_or("without GTID".to_string(), |g| g.to_string()))]
    Apply {
        at: Position,
        gtid: Option<Gtid>,
        source: Box<ApplyError>,
        report: Box<Report>,
    },
    #[error("cancelled; run the same command again to resume")]
    Cancelled { report: Box<Report> },
}

/// The input error, and what it means for the target.
fn input_message(source: &myreplay_binlog::Error, report: &Report) -> String {
    match &report.last_applied {
        Some(l) => format!(
            "{source}. Every complete transaction before it was applied, the last one at {}:{}; nothing after it. Repair or replace the file, then run the same command again: it resumes after what was applied",
            l.file, l.offset
        ),
        None if report.transactions_skipped > 0 => format!(
            "{source}. Nothing new was applied before it (the transactions before it were applied by an earlier run)"
        ),
        None => format!("{source}. Nothing was applied"),
    }
}

impl From<myreplay_binlog::Error> for ReplayError {
    fn from(source: myreplay_binlog::Error) -> Self {
        ReplayError::Binlog {
            source,
            report: Box::default(),
        }
    }
}

impl From<myreplay_plan::PlanError> for ReplayError {
    fn from(source: myreplay_plan::PlanError) -> Self {
        ReplayError::Plan {
            source,
            report: Box::default(),
        }
    }
}

impl ReplayError {
    /// What was applied before the replay stopped (empty when it stopped
    /// before the first write).
    pub fn report(&self) -> Option<&Report> {
        match self {
            ReplayError::Binlog { report, .. }
            | ReplayError::Plan { report, .. }
            | ReplayError::Apply { report, .. }
            | ReplayError::Cancelled { report } => Some(report),
            ReplayError::Target(_) => None,
        }
    }

    fn with_report(self, r: Report) -> Self {
        match self {
            ReplayError::Binlog { source, .. } => ReplayError::Binlog {
                source,
                report: Box::new(r),
            },
            ReplayError::Plan { source, .. } => ReplayError::Plan {
                source,
                report: Box::new(r),
            },
            ReplayError::Apply {
                at, gtid, source, ..
            } => ReplayError::Apply {
                at,
                gtid,
                source,
                report: Box::new(r),
            },
            ReplayError::Cancelled { .. } => ReplayError::Cancelled {
                report: Box::new(r),
            },
            e @ ReplayError::Target(_) => e,
        }
    }
}

impl From<ApplyError> for ReplayError {
    fn from(e: ApplyError) -> Self {
        ReplayError::Target(Box::new(e))
    }
}

impl Replay {
    /// A session on the target set up as this replay's options say.
    pub(crate) fn open_session(&self, worker: usize) -> Result<Session, ApplyError> {
        let target = match worker % (1 + self.nodes.len()) {
            0 => &self.target,
            n => &self.nodes[n - 1],
        };
        let mut session = Session::open(
            target,
            self.checkpoint.clone(),
            self.log_bin,
            self.retry,
            self.path,
            self.preserve_gtids,
            self.statement_limit,
        )?;
        session.merge_statements(self.merge_statements);
        if !self.nodes.is_empty() {
            session.wait_for_the_cluster()?;
        }
        Ok(session)
    }

    /// The target's schema again (after a DDL), on the control connection,
    /// which is re-established first if it was lost (a restart, a cut).
    fn reload_schema(
        &self,
        control: &mut mysql::Conn,
    ) -> Result<myreplay_plan::Schema, ApplyError> {
        match load_schema(control, &[]) {
            Err(e) if crate::session::is_connection_lost(&e) => {
                *control = crate::session::connect_retrying(|| self.target.conn())?;
                load_schema(control, &[])
            }
            r => r,
        }
    }

    /// Runs the replay. `progress` is called after every committed unit;
    /// setting `cancel` stops dispatching and returns once running units end.
    pub fn run(
        &self,
        mut progress: impl FnMut(Progress),
        cancel: &AtomicBool,
    ) -> Result<Report, ReplayError> {
        let started = Instant::now();
        if self.preserve_gtids && !self.log_bin {
            return Err(ApplyError::Options(
                "--preserve-gtids writes the source's GTIDs into the target's binlog: it needs --log-bin".into(),
            )
            .into());
        }
        // With preserved GTIDs: one transaction per commit, in source order.
        let workers = if self.preserve_gtids {
            1
        } else {
            self.workers.max(1)
        };
        let mut limits = self.limits;
        if self.preserve_gtids {
            limits.max_transactions = 1;
        }
        // The input is checked before the target is touched: file names in
        // sequence, and the first file a readable binlog (not something
        // else, not empty); a refused input leaves the target as it was.
        let events = EventStream::open(&self.files, self.stream)?;
        if let Some(first) = self.files.first() {
            myreplay_binlog::EventReader::open(first, self.stream.reader)?.next_event()?;
        }
        let mut control = self.target.conn()?;
        // A Galera node: the binlog written, units within the cluster's
        // write-set limits, no preserved GTIDs (see crate::galera).
        let cluster = crate::galera::Cluster::read(&mut control)?;
        if let Some(c) = &cluster {
            if self.preserve_gtids {
                return Err(ApplyError::Incompatible(c.preserve_gtids_refusal()).into());
            }
            let limits = c.cap(self.limits);
            if !self.log_bin || limits != self.limits {
                let mut on_cluster = self.clone();
                on_cluster.log_bin = true;
                on_cluster.limits = limits;
                drop(control);
                return on_cluster.run(progress, cancel);
            }
        }
        // Before the first write.
        let checked = crate::preflight::preflight(
            &mut control,
            self.files.first().map(|p| p.as_path()),
            self.log_bin,
            self.path,
        )?;
        let source_mariadb = checked.source_server_version.contains("MariaDB");
        if !checked.source_server_version.is_empty() && source_mariadb != checked.mariadb {
            crate::preflight::check_statement_contexts(&self.target, &self.files, self.stream)?;
        }
        // One replay per checkpoint table: taken before the first write,
        // held to the end of the run.
        let lock =
            crate::run_lock::RunLock::acquire(&self.target, &self.checkpoint, cluster.is_some())?;
        self.checkpoint.create(&mut control, cluster.is_some())?;
        let applied: HashSet<(String, u64)> = self.checkpoint.load(&mut control)?;
        let schema = load_schema(&mut control, &[])?;
        let mut planner = BinlogPlanner::with_schema(schema);
        planner.set_renames(self.rewrite.pairs.clone());

        // Workers.
        let (work_tx, work_rx) = bounded::<(u64, Vec<TxnWork>)>(workers);
        // Units with statements go to the worker their source thread maps to:
        // one source thread's temporary tables live in one session.
        let mut pinned_txs = vec![];
        let (done_tx, done_rx) = unbounded();
        let mut handles = vec![];
        for worker in 0..workers {
            let (pinned_tx, pinned_rx) = bounded::<(u64, Vec<TxnWork>)>(1);
            pinned_txs.push(pinned_tx);
            let (shared_rx, tx) = (work_rx.clone(), done_tx.clone());
            let next = move || {
                crossbeam_channel::select! {
                    recv(pinned_rx) -> m => m.ok(),
                    recv(shared_rx) -> m => m.ok(),
                }
            };
            let replay = self.clone();
            handles.push(std::thread::spawn(move || {
                let mut session = match replay.open_session(worker) {
                    Ok(s) => s,
                    Err(e) => {
                        // Report the failure on the first unit received.
                        let e = Arc::new(e);
                        while let Some((id, txns)) = next() {
                            let _ = tx.send((
                                id,
                                txns,
                                Err((
                                    None,
                                    ApplyError::Unexpected {
                                        doing: "opening an apply session".into(),
                                        reason: e.to_string(),
                                    },
                                )),
                            ));
                        }
                        return;
                    }
                };
                while let Some((id, txns)) = next() {
                    let refs: Vec<&TxnWork> = txns.iter().collect();
                    let result = session
                        .apply(&refs)
                        .map(|()| session.take_notes())
                        .map_err(|e| (e.txn, e.source));
                    if tx.send((id, txns, result)).is_err() {
                        return;
                    }
                }
            }));
        }
        drop(done_tx);

        let mut txns = TransactionStream::new(events);
        let mut graph: Graph<TxnWork> = Graph::new();
        let mut report = Report::default();
        let mut fde: Arc<Bytes> = Arc::new(Bytes::new());
        let mut current: Vec<Event> = vec![];
        let (mut input_done, mut running) = (false, 0usize);
        // A failure on the target: stop handing out work.
        let mut failure: Option<ReplayError> = None;
        // The input went bad: stop reading, apply the complete transactions
        // read before the bad point, then report it.
        let mut input_failure: Option<ReplayError> = None;
        let mut cancelled = false;
        let mut last: Option<(u64, LastApplied)> = None;
        // The transaction being read, and the bytes of its events so far.
        let mut current_start: Option<TransactionStart> = None;
        let mut current_bytes: u64 = 0;
        // The transaction being read is too large to hold: stream it once
        // everything before it has committed.
        let mut large = false;
        // Bytes of events held in the graph.
        let mut pending_bytes: u64 = 0;
        let mut streaming_session: Option<Session> = None;

        loop {
            // Read and plan ahead, up to the window; hand out work every
            // few hundred transactions so the first commits do not wait
            // for the whole window to be read.
            let mut read_this_round = 0usize;
            while !input_done
                && (read_this_round < 512 || running == 0 && graph.pending() == 0)
                && !large
                && failure.is_none()
                && graph.pending() < self.window
                && pending_bytes < self.max_pending_bytes
            {
                let item = match txns.next_item() {
                    Ok(Some(item)) => item,
                    Ok(None) => {
                        input_done = true;
                        break;
                    }
                    // --stop-position inside a transaction: stop before that
                    // transaction (never apply part of one).
                    Err(myreplay_binlog::Error::IncompleteTransaction { .. })
                        if self.stream.stop_position.is_some() =>
                    {
                        input_done = true;
                        break;
                    }
                    Err(e) => {
                        input_failure = Some(e.into());
                        input_done = true;
                        break;
                    }
                };
                let planned = match planner.feed(&item) {
                    Ok(p) => p,
                    Err(e) => {
                        input_failure = Some(e.into());
                        input_done = true;
                        break;
                    }
                };
                match item {
                    Item::Bookkeeping(e) => {
                        if let EventData::FormatDescription { .. } = e.data {
                            fde = Arc::new(e.raw.bytes.clone());
                        }
                    }
                    Item::Begin(start) => {
                        current.clear();
                        current_bytes = 0;
                        current_start = Some(*start);
                    }
                    Item::Event(e) => {
                        current_bytes += e.raw.bytes.len() as u64;
                        current.push(e);
                        if current_bytes > self.stream_threshold {
                            if self.selection.picks() {
                                // Streamed, it would be applied before its
                                // end says whether it is picked.
                                failure = Some(
                                    ApplyError::Incompatible(format!(
                                        "the transaction at {} is over --stream-threshold ({} bytes), so it would be applied while read, before the filters (--kind, --grep, --include-gtids, --exclude-gtids) can pick it or not: give a --stream-threshold above its size, or leave those filters out",
                                        current_start.as_ref().map_or("?".into(), |s| s.start.to_string()),
                                        self.stream_threshold
                                    ))
                                    .into(),
                                );
                                input_done = true;
                                break;
                            }
                            large = true;
                            break;
                        }
                    }
                    Item::End(_) => {}
                }
                if let Some(p) = planned {
                    read_this_round += 1;
                    let key = (file_key(&p.summary.start.file), p.summary.start.offset);
                    // Decided after the range (a stop point stops whether
                    // or not its transaction is picked).
                    let picked = !self.selection.picks() || {
                        let mut texts = myreplay_binlog::TransactionTexts::default();
                        for e in &current {
                            texts.add(&e.data);
                        }
                        self.selection.matches(&p.summary, &texts)
                    };
                    let events = self
                        .rewrite
                        .apply(self.databases.retain(std::mem::take(&mut current)));
                    match self.range.decide(&p.summary) {
                        Decision::Stop => {
                            input_done = true;
                            break;
                        }
                        Decision::Skip => {
                            report.transactions_filtered += 1;
                            continue;
                        }
                        Decision::Before => {
                            report.transactions_before_start += 1;
                            continue;
                        }
                        Decision::ApplyThenStop => input_done = true,
                        Decision::Apply => {}
                    }
                    if !picked {
                        report.transactions_filtered += 1;
                        continue;
                    }
                    if applied.contains(&key) {
                        report.transactions_skipped += 1;
                        continue;
                    }
                    let work = TxnWork::new(p.summary, fde.clone(), events);
                    if work.steps.is_empty() && !self.databases.is_empty() {
                        report.transactions_filtered += 1;
                        continue;
                    }
                    pending_bytes += work.summary.bytes;
                    graph.push(PlannedTxn {
                        id: work.summary.ordinal,
                        keys: p.keys,
                        rows: work.summary.rows,
                        bytes: work.summary.bytes,
                        payload: work,
                    });
                }
            }
            if cancel.load(Ordering::Relaxed) {
                cancelled = true;
            }
            if failure.is_none() {
                if let Some(why) = lock.lost() {
                    failure = Some(ApplyError::Busy(why).into());
                }
            }
            // Hand out what may run.
            while running < workers && failure.is_none() && !cancelled {
                let Some(unit) = graph.next_unit(&limits) else {
                    break;
                };
                let txns: Vec<TxnWork> = unit.txns.into_iter().map(|t| t.payload).collect();
                // A unit with statements is a barrier: every worker is idle.
                let sent = match txns.iter().find_map(TxnWork::source_thread) {
                    Some(thread) => pinned_txs[thread as usize % workers].send((unit.id, txns)),
                    None => work_tx.send((unit.id, txns)),
                };
                if sent.is_err() {
                    break;
                }
                running += 1;
            }
            if running == 0 {
                if failure.is_some() || cancelled || (input_done && graph.pending() == 0) {
                    break;
                }
                if large && graph.pending() == 0 {
                    // Everything before the large transaction has committed.
                    large = false;
                    let Some(start) = current_start.take() else {
                        unreachable!("a large transaction has a start");
                    };
                    let key = (file_key(&start.start.file), start.start.offset);
                    let base = report.bytes;
                    let mut streaming = Streaming {
                        replay: self,
                        txns: &mut txns,
                        planner: &mut planner,
                        session: &mut streaming_session,
                        fde: &fde,
                    };
                    let outcome = streaming.run(
                        &start,
                        std::mem::take(&mut current),
                        applied.contains(&key),
                        &mut |bytes| {
                            progress(Progress {
                                bytes: base + bytes,
                                ..report.progress()
                            })
                        },
                    );
                    match outcome {
                        Ok(Outcome::Applied { summary, stop }) => {
                            report.units += 1;
                            report.transactions_streamed += 1;
                            record_applied(&mut report, &mut last, &summary);
                            input_done |= stop;
                            progress(report.progress());
                        }
                        Ok(Outcome::AlreadyApplied) => report.transactions_skipped += 1,
                        Ok(Outcome::LeftOut { stop }) => {
                            report.transactions_filtered += 1;
                            input_done |= stop;
                        }
                        Ok(Outcome::StoppedInside) => input_done = true,
                        Err(e @ ReplayError::Apply { .. }) => failure = Some(e),
                        Err(e) => {
                            input_failure = Some(e);
                            input_done = true;
                        }
                    }
                    continue;
                }
                if input_done {
                    // Pending but nothing ready and nothing running cannot happen.
                    unreachable!("the scheduler holds transactions it cannot hand out");
                }
                continue;
            }
            // Wait for a unit to end.
            let Ok((id, done, result)) = done_rx.recv() else {
                break;
            };
            running -= 1;
            match result {
                Ok(notes) => {
                    graph.complete(id);
                    report.units += 1;
                    report.units_split += notes.splits;
                    report.ddls_found_applied.extend(notes.ddls_found_applied);
                    let mut ddl = false;
                    for t in &done {
                        pending_bytes -= t.summary.bytes;
                        record_applied(&mut report, &mut last, &t.summary);
                        ddl |= t.summary.kind == myreplay_binlog::TransactionKind::Ddl;
                    }
                    if ddl {
                        // The DDL changed the target's schema: read it again.
                        match self.reload_schema(&mut control) {
                            Ok(schema) => {
                                for t in schema.tables() {
                                    planner.set_table((**t).clone());
                                }
                            }
                            Err(e) => failure = Some(e.into()),
                        }
                    }
                    progress(report.progress());
                }
                Err((index, source)) => {
                    let t = &done[index.unwrap_or(0)];
                    if failure.is_none() {
                        failure = Some(ReplayError::Apply {
                            at: t.summary.start.clone(),
                            gtid: t.summary.gtid.clone(),
                            source: Box::new(source),
                            report: Box::default(),
                        });
                    }
                }
            }
        }
        drop(work_tx);
        drop(pinned_txs);
        for h in handles {
            let _ = h.join();
        }
        report.seconds = started.elapsed().as_secs_f64();
        report.last_applied = last.map(|(_, l)| l);
        match failure.or(input_failure) {
            Some(e) => Err(e.with_report(report)),
            None if cancelled => Err(ReplayError::Cancelled {
                report: Box::new(report),
            }),
            None => Ok(report),
        }
    }
}
