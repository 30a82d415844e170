//! One worker's session on the target: applies units of transactions, each
//! in one target transaction together with its checkpoint rows.
//!
//! Row events go through the server's own applier with `BINLOG '...'`
//! statements built from the original event bytes (exact replica semantics:
//! the target's triggers do not fire again, its cascades run, MINIMAL images
//! and partial JSON work). Statements (statement-format DML, DDL) run as SQL
//! with the session context the source had (sql_mode, time zone, charsets,
//! auto-increment settings, FOREIGN_KEY_CHECKS / UNIQUE_CHECKS, TIMESTAMP,
//! INSERT_ID, RAND seeds, user variables, default database).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use myreplay_binlog::{Event, EventData, Gtid, QueryClass};
use mysql::prelude::Queryable;
use mysql::Conn;

use crate::checkpoint::CheckpointTable;
use crate::connect::ConnectOptions;
use crate::error::ApplyError;
use crate::row_apply::{binlog_statement_limit, BinlogStatements, RowApply};
use crate::sql::SqlApply;
use crate::work::{Step, TxnWork};

/// Lost connections survived per unit (each followed by a reconnect that
/// waits up to about two minutes for the server).
const MAX_RECONNECTS: u32 = 10;

/// How a failed unit is retried.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub attempts: u32,
    pub first_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 5,
            first_backoff: Duration::from_millis(50),
        }
    }
}

/// What a session did that the replay reports (see [`Session::take_notes`]).
#[derive(Debug, Default)]
pub struct UnitNotes {
    /// Units split because a cluster refused their write set.
    pub splits: u64,
    /// DDLs a cut run had left in progress, found applied and recorded
    /// (see [`crate::ddl_mark`]): where, and the error that said so.
    pub ddls_found_applied: Vec<String>,
}

/// A failed unit: which transaction, and the server's message.
#[derive(Debug)]
pub struct UnitError {
    /// Index in the unit of the transaction being applied (None: at COMMIT).
    pub txn: Option<usize>,
    pub source: ApplyError,
}

/// How row events are applied.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ApplyPath {
    /// `BINLOG '...'` statements: the server's own row applier (default).
    #[default]
    Binlog,
    /// Generated INSERT / UPDATE / DELETE statements (see [`crate::sql`]).
    Sql,
}

/// A worker's connection to the target.
pub struct Session {
    conn: Conn,
    /// How to connect again after a lost connection.
    options: ConnectOptions,
    log_bin: bool,
    checkpoint: CheckpointTable,
    retry: RetryPolicy,
    /// How row events are applied (BINLOG statements or generated SQL).
    rows: Box<dyn RowApply>,
    preserve_gtids: bool,
    /// The target is MySQL (GTID_NEXT), not MariaDB.
    mysql: bool,
    /// Character sets of collation ids above 255, as the target names them.
    charsets: crate::target::CharsetNames,
    /// What happened to units that a caller should hear about.
    notes: UnitNotes,
    /// See [`Session::wait_for_the_cluster`].
    causal: bool,
    /// A unit's row statements merged into fewer ([`crate::coalesce`]).
    merge_statements: bool,
}

impl Session {
    /// Opens a session. Without `log_bin`, its changes are not written to
    /// the target's binlog (`sql_log_bin=0`).
    pub fn open(
        options: &ConnectOptions,
        checkpoint: CheckpointTable,
        log_bin: bool,
        retry: RetryPolicy,
        path: ApplyPath,
        preserve_gtids: bool,
        statement_limit: Option<usize>,
    ) -> Result<Self, ApplyError> {
        let (mut conn, mysql) = connect(options, log_bin)?;
        // BINLOG statements must fit in the target's packet limit.
        let packet: u64 = conn
            .query_first("SELECT @@max_allowed_packet")
            .map_err(ApplyError::query("reading the target's max_allowed_packet"))?
            .unwrap_or(16 << 20);
        let limit = binlog_statement_limit(packet).min(statement_limit.unwrap_or(usize::MAX));
        let carry_rows_query = mysql && global_rows_query(&mut conn)?;
        Ok(Self {
            conn,
            options: options.clone(),
            log_bin,
            checkpoint,
            retry,
            rows: match path {
                ApplyPath::Binlog => {
                    Box::new(BinlogStatements::new(limit, mysql).carry_rows_query(carry_rows_query))
                }
                ApplyPath::Sql => Box::new(SqlApply::new()),
            },
            preserve_gtids,
            mysql,
            charsets: Default::default(),
            notes: UnitNotes::default(),
            causal: false,
            merge_statements: true,
        })
    }

    /// Applies `txns` in order in one target transaction with their
    /// checkpoint rows. Deadlocks and lock wait timeouts are retried with
    /// backoff. A lost connection (a server restart, a network cut) is
    /// re-established with backoff; the checkpoint table then says whether
    /// the unit committed before the connection went (so it is never applied
    /// twice), and if not it is applied again. On error nothing of the unit
    /// is committed.
    ///
    /// A unit a Galera cluster refuses as over its write-set limits is
    /// split in two, each half committed on its own (counted: see
    /// [`Session::take_notes`]).
    pub fn apply(&mut self, txns: &[&TxnWork]) -> Result<(), UnitError> {
        match self.apply_unit(txns) {
            Err(e) if crate::galera::is_write_set_limit(&e.source) && txns.len() > 1 => {
                self.notes.splits += 1;
                let (first, second) = txns.split_at(txns.len() / 2);
                self.apply(first)?;
                self.apply(second)
            }
            r => r,
        }
    }

    /// Spread over a cluster's nodes: before each unit, wait for this node
    /// to have applied what the cluster committed (`wsrep_sync_wait = 1`,
    /// START TRANSACTION waits), here and after every reconnect.
    pub fn wait_for_the_cluster(&mut self) -> Result<(), ApplyError> {
        self.causal = true;
        set_causal(&mut self.conn)
    }

    /// Whether a unit's row statements are merged into fewer (the
    /// default; see [`crate::coalesce`]), or sent as the source logged them.
    pub fn merge_statements(&mut self, merge: bool) {
        self.merge_statements = merge;
    }

    /// What happened since the last call that the replay reports.
    pub fn take_notes(&mut self) -> UnitNotes {
        std::mem::take(&mut self.notes)
    }

    fn apply_unit(&mut self, txns: &[&TxnWork]) -> Result<(), UnitError> {
        let mut backoff = self.retry.first_backoff;
        let mut attempt = 1;
        let mut reconnects = 0;
        let mut batched = true;
        loop {
            match self.apply_once(txns, batched) {
                Ok(()) => return Ok(()),
                Err(e) if is_connection_lost(&e.source) && reconnects < MAX_RECONNECTS => {
                    // Connect again and ask whether the unit committed; a
                    // cut during either is one more reconnect.
                    let mut lost = e;
                    loop {
                        reconnects += 1;
                        self.reconnect().map_err(|source| UnitError {
                            txn: lost.txn,
                            source,
                        })?;
                        match self.committed(txns[0]) {
                            Ok(true) => return Ok(()),
                            Ok(false) => break,
                            Err(source)
                                if is_connection_lost(&source) && reconnects < MAX_RECONNECTS =>
                            {
                                lost = UnitError { txn: None, source };
                            }
                            Err(source) => return Err(UnitError { txn: None, source }),
                        }
                    }
                }
                Err(e) => {
                    let _ = self.conn.query_drop("ROLLBACK");
                    if crate::galera::is_write_set_limit(&e.source) {
                        // Split by the caller (a unit of one: a clean stop).
                        return Err(e);
                    }
                    if e.txn.is_none() && batched && txns.len() > 1 && !is_transient(&e.source) {
                        // A batched statement failed: run the unit again one
                        // transaction at a time, to name the one that fails.
                        batched = false;
                        continue;
                    }
                    if attempt >= self.retry.attempts || !is_transient(&e.source) {
                        return Err(e);
                    }
                    std::thread::sleep(backoff);
                    backoff *= 2;
                    attempt += 1;
                    if is_unknown_error(&e.source) {
                        // Whatever state of the session the server's
                        // applier choked on, the next attempt starts
                        // without it.
                        self.reconnect()
                            .map_err(|source| UnitError { txn: e.txn, source })?;
                    }
                    // Before running it again: did the unit's transactions
                    // commit meanwhile (another run, or a certification
                    // failure reported after a commit elsewhere)?
                    match self.committed_count(txns) {
                        Ok(0) => {}
                        Ok(n) if n == txns.len() => return Ok(()),
                        Ok(n) => {
                            return Err(UnitError {
                                txn: None,
                                source: ApplyError::Unexpected {
                                    doing: "checking the checkpoint table before retrying a unit".into(),
                                    reason: format!(
                                        "{n} of the unit's {} transactions were committed by another run meanwhile (after: {}); another replay is writing this target: stop it, then run the same command",
                                        txns.len(),
                                        e.source
                                    ),
                                },
                            })
                        }
                        Err(source) => return Err(UnitError { txn: None, source }),
                    }
                }
            }
        }
    }

    /// Connects again, waiting for the server for up to about two minutes.
    fn reconnect(&mut self) -> Result<(), ApplyError> {
        self.conn = connect_retrying(|| connect(&self.options, self.log_bin).map(|(c, _)| c))?;
        if self.causal {
            set_causal(&mut self.conn)?;
        }
        self.rows.reset();
        Ok(())
    }

    /// Whether the checkpoint table records `t` (its unit committed).
    fn committed(&mut self, t: &TxnWork) -> Result<bool, ApplyError> {
        let n: Option<u64> = self
            .conn
            .query_first(self.checkpoint.lookup_sql(t))
            .map_err(ApplyError::query(
                "checking the checkpoint table after reconnecting",
            ))?;
        Ok(n.unwrap_or(0) > 0)
    }

    /// How many of `txns` the checkpoint table records.
    fn committed_count(&mut self, txns: &[&TxnWork]) -> Result<usize, ApplyError> {
        let n: Option<u64> = self
            .conn
            .query_first(self.checkpoint.count_sql(txns))
            .map_err(ApplyError::query(
                "checking the checkpoint table before retrying a unit",
            ))?;
        Ok(n.unwrap_or(0) as usize)
    }

    fn apply_once(&mut self, txns: &[&TxnWork], batched: bool) -> Result<(), UnitError> {
        if let [t] = txns {
            if t.summary.kind == myreplay_binlog::TransactionKind::Ddl {
                return self.apply_ddl_once(t);
            }
        }
        let at = |i: Option<usize>| move |source| UnitError { txn: i, source };
        self.rows
            .begin(&mut self.conn, &txns[0].fde)
            .map_err(at(None))?;
        if self.preserve_gtids {
            // Outside the transaction (inside one MariaDB refuses it, 1953).
            self.set_gtid(txns).map_err(at(Some(0)))?;
        }
        self.conn
            .query_drop("START TRANSACTION")
            .map_err(ApplyError::query("START TRANSACTION"))
            .map_err(at(None))?;
        if batched && self.rows.batches() && can_batch(txns) {
            // Row events only: every transaction's events in one call (as
            // few BINLOG statements as the packet size allows: one round trip
            // and one parse for many source transactions).
            let events: Vec<Event> = txns
                .iter()
                .flat_map(|t| t.steps.iter())
                .flat_map(|s| match s {
                    Step::Rows(events) => events.iter().cloned(),
                    Step::Statement { .. } => unreachable!("checked by can_batch"),
                })
                .collect();
            // Fewer, larger row statements: less work for the server per
            // row change, the same rows (see crate::coalesce).
            let events = match self.merge_statements {
                true => crate::coalesce::merge_row_statements(&events).unwrap_or(events),
                false => events,
            };
            self.rows
                .apply_rows(&mut self.conn, &txns[0].fde, &events)
                .map_err(at(None))?;
        } else {
            for (i, t) in txns.iter().enumerate() {
                self.apply_txn(t).map_err(at(Some(i)))?;
            }
        }
        self.commit_with_checkpoint(txns).map_err(at(None))
    }

    /// Records `txns` in the checkpoint table and commits the open target
    /// transaction with them.
    fn commit_with_checkpoint(&mut self, txns: &[&TxnWork]) -> Result<(), ApplyError> {
        self.conn
            .query_drop(self.checkpoint.record_sql(txns))
            .map_err(ApplyError::query(
                "recording progress in the checkpoint table",
            ))?;
        self.conn
            .query_drop("COMMIT")
            .map_err(ApplyError::query("COMMIT"))?;
        if self.mysql && self.preserve_gtids {
            // After a transaction run under an explicit GTID_NEXT, MySQL
            // wants it set again before the next (ERROR 1837).
            crate::target::automatic_gtid_next(&mut self.conn)?;
        }
        Ok(())
    }

    /// A unit of one DDL transaction (see [`crate::ddl_mark`]): marked in
    /// progress, run (a DDL commits itself), then recorded with its mark
    /// deleted in one transaction, together with what followed the DDL in
    /// its transaction. Run again after a cut (the mark is there), an error
    /// that says the DDL's change is already on the target means it is.
    fn apply_ddl_once(&mut self, t: &TxnWork) -> Result<(), UnitError> {
        let at = |i: Option<usize>| move |source| UnitError { txn: i, source };
        let gtid = t.summary.gtid.as_ref();
        let is_ddl = |step: &Step| match step {
            Step::Statement { query, .. } => {
                matches!(&query.data, EventData::Query(q) if q.class() == QueryClass::Ddl)
            }
            Step::Rows(_) => false,
        };
        // --preserve-gtids: the DDL takes the source's GTID and commits
        // with it; anything else of the transaction would need a GTID of
        // its own, which the source does not have.
        let alone = self.preserve_gtids;
        if alone {
            let first = t.steps.iter().position(is_ddl);
            if first.is_some_and(|i| i + 1 != t.steps.len()) {
                return Err(at(Some(0))(ApplyError::Unsupported(format!(
                    "{} ({}): the transaction has changes after its DDL (a CREATE TABLE ... SELECT?); with --preserve-gtids they cannot commit under the source's one GTID with the DDL: run without --preserve-gtids",
                    t.summary.start,
                    gtid.map_or("no GTID".into(), |g| g.to_string())
                ))));
            }
        }
        self.rows.begin(&mut self.conn, &t.fde).map_err(at(None))?;
        let marked: Option<u64> = self
            .conn
            .query_first(self.checkpoint.marked_sql(t))
            .map_err(ApplyError::query(
                "looking for a DDL in progress in the checkpoint table",
            ))
            .map_err(at(None))?;
        let cut_before = marked.unwrap_or(0) > 0;
        if !cut_before {
            let mark = self.checkpoint.mark_sql(t);
            self.unlogged_if(alone, |conn| {
                conn.query_drop(mark).map_err(ApplyError::query(
                    "marking a DDL in progress in the checkpoint table",
                ))
            })
            .map_err(at(None))?;
        }
        if alone {
            self.set_gtid(&[t]).map_err(at(Some(0)))?;
        } else {
            self.conn
                .query_drop("START TRANSACTION")
                .map_err(ApplyError::query("START TRANSACTION"))
                .map_err(at(None))?;
        }
        for step in &t.steps {
            let ddl = is_ddl(step);
            match self.apply_steps(&t.fde, std::slice::from_ref(step), gtid) {
                Ok(()) => {}
                Err(e) if ddl && cut_before && crate::ddl_mark::already_applied(&e) => {
                    let ApplyError::Query { source, .. } = &e else {
                        unreachable!("already_applied is about server errors")
                    };
                    self.notes.ddls_found_applied.push(format!(
                        "{} ({}): {source}",
                        t.summary.start,
                        gtid.map_or("no GTID".into(), |g| g.to_string())
                    ));
                }
                Err(e) => {
                    if !cut_before && !is_connection_lost(&e) {
                        // It did not run: no mark may stay behind, or the
                        // next run would take this error for "applied".
                        let _ = self.conn.query_drop("ROLLBACK");
                        let unmark = self.checkpoint.unmark_sql(t);
                        let _ = self.unlogged_if(alone, |conn| {
                            conn.query_drop(unmark)
                                .map_err(ApplyError::query("unmarking"))
                        });
                    }
                    return Err(at(Some(0))(e));
                }
            }
            if ddl && !alone {
                // What follows the DDL commits with the checkpoint row.
                self.conn
                    .query_drop("START TRANSACTION")
                    .map_err(ApplyError::query("START TRANSACTION after a DDL"))
                    .map_err(at(None))?;
            }
        }
        if alone && self.mysql {
            // The DDL used the explicit GTID_NEXT (ERROR 1837 otherwise).
            crate::target::automatic_gtid_next(&mut self.conn).map_err(at(None))?;
        }
        let record = [
            self.checkpoint.record_sql(&[t]),
            self.checkpoint.unmark_sql(t),
        ];
        // --preserve-gtids: the checkpoint row goes unlogged (no GTID of
        // the target's own after the source's).
        self.unlogged_if(alone, |conn| {
            if alone {
                conn.query_drop("START TRANSACTION")
                    .map_err(ApplyError::query("START TRANSACTION"))?;
            }
            for stmt in record {
                conn.query_drop(stmt)
                    .map_err(ApplyError::query("recording a DDL in the checkpoint table"))?;
            }
            conn.query_drop("COMMIT")
                .map_err(ApplyError::query("COMMIT"))
        })
        .map_err(at(None))
    }

    /// Runs `f` with the session's binary logging off when `off`, and puts
    /// the session's own setting back after it.
    fn unlogged_if(
        &mut self,
        off: bool,
        f: impl FnOnce(&mut Conn) -> Result<(), ApplyError>,
    ) -> Result<(), ApplyError> {
        if !off || !self.log_bin {
            return f(&mut self.conn);
        }
        self.conn
            .query_drop("SET SESSION sql_log_bin = 0")
            .map_err(ApplyError::query(
                "SET SESSION sql_log_bin = 0 for a checkpoint row of a DDL",
            ))?;
        let result = f(&mut self.conn);
        self.conn
            .query_drop("SET SESSION sql_log_bin = 1")
            .map_err(ApplyError::query(
                "SET SESSION sql_log_bin = 1 after a checkpoint row of a DDL",
            ))?;
        result
    }

    /// `--preserve-gtids`: the unit's single transaction gets the source's
    /// MariaDB GTID in the target's binlog.
    fn set_gtid(&mut self, txns: &[&TxnWork]) -> Result<(), ApplyError> {
        let [t] = txns else {
            return Err(ApplyError::Unsupported(
                "--preserve-gtids needs units of one transaction".into(),
            ));
        };
        self.set_session_gtid(t.summary.gtid.as_ref())
    }

    fn set_session_gtid(&mut self, gtid: Option<&Gtid>) -> Result<(), ApplyError> {
        match gtid {
            Some(myreplay_binlog::Gtid::MariaDb { domain, server, seq }) if !self.mysql => {
                let doing = format!("setting the GTID {domain}-{server}-{seq} (--preserve-gtids needs SUPER)");
                // Two statements: the server checks gtid_seq_no against the
                // session's domain before a combined SET would change it.
                self.conn
                    .query_drop(format!(
                        "SET @@session.gtid_domain_id = {domain}, @@session.server_id = {server}"
                    ))
                    .map_err(ApplyError::query(doing.clone()))?;
                self.conn
                    .query_drop(format!("SET @@session.gtid_seq_no = {seq}"))
                    .map_err(ApplyError::query(doing))
            }
            Some(g @ myreplay_binlog::Gtid::MySql { .. }) if self.mysql => self
                .conn
                .query_drop(format!("SET @@SESSION.GTID_NEXT = '{g}'"))
                .map_err(ApplyError::query(format!(
                    "setting GTID_NEXT to the source's {g} (--preserve-gtids needs SYSTEM_VARIABLES_ADMIN or REPLICATION_APPLIER)"
                ))),
            Some(other) => Err(ApplyError::Unsupported(format!(
                "--preserve-gtids: {other} is a {} GTID and the target is {}: the source's GTIDs can only be kept by a server of the same flavour",
                if matches!(other, myreplay_binlog::Gtid::MySql { .. }) { "MySQL" } else { "MariaDB" },
                if self.mysql { "MySQL" } else { "MariaDB" }
            ))),
            None => Ok(()),
        }
    }

    fn apply_txn(&mut self, t: &TxnWork) -> Result<(), ApplyError> {
        self.apply_steps(&t.fde, &t.steps, t.summary.gtid.as_ref())
    }

    /// Applies steps of the transaction `gtid` (for messages) in the open
    /// target transaction (for a streamed transaction: its next steps).
    pub fn apply_steps(
        &mut self,
        fde: &Arc<Bytes>,
        steps: &[Step],
        gtid: Option<&Gtid>,
    ) -> Result<(), ApplyError> {
        for step in steps {
            match step {
                Step::Rows(events) => self.rows.apply_rows(&mut self.conn, fde, events)?,
                Step::Statement { context, query } => {
                    self.rows.before_statement(query);
                    self.run_statement(gtid, context, query)?
                }
            }
        }
        Ok(())
    }

    /// Starts a streamed transaction: one too large to hold in memory,
    /// applied on this session while it is read, alone on the target (see
    /// [`crate::replay`]). Not retried: on any error it is rolled back and
    /// the replay stops; running it again applies it from its start.
    pub fn begin_streamed(
        &mut self,
        gtid: Option<&Gtid>,
        fde: &Arc<Bytes>,
    ) -> Result<(), ApplyError> {
        self.rows.begin(&mut self.conn, fde)?;
        if self.preserve_gtids {
            self.set_session_gtid(gtid)?;
        }
        self.conn
            .query_drop("START TRANSACTION")
            .map_err(ApplyError::query("START TRANSACTION"))
    }

    /// Commits the streamed transaction `t` (its summary; its steps were
    /// streamed) with its checkpoint row.
    pub fn commit_streamed(&mut self, t: &TxnWork) -> Result<(), ApplyError> {
        self.commit_with_checkpoint(&[t])
    }

    /// Rolls the streamed transaction back (best effort: a lost connection
    /// rolls it back on the server anyway).
    pub fn rollback(&mut self) {
        let _ = self.conn.query_drop("ROLLBACK");
    }

    fn run_statement(
        &mut self,
        gtid: Option<&Gtid>,
        context: &[Event],
        query: &Event,
    ) -> Result<(), ApplyError> {
        let EventData::Query(q) = &query.data else {
            return Ok(());
        };
        let sql = std::str::from_utf8(&q.sql).map_err(|_| {
            ApplyError::Unsupported(format!(
                "{}: the statement is not valid UTF-8; myreplay cannot send it byte for byte yet",
                query.raw.pos
            ))
        })?;
        let ctx = q.context().map_err(|reason| ApplyError::Unexpected {
            doing: format!(
                "reading the status variables of the QUERY at {}",
                query.raw.pos
            ),
            reason,
        })?;
        let mut set = crate::target::context_assignments(
            &ctx,
            &mut self.charsets,
            &mut self.conn,
            self.mysql,
        )?;
        set.push(format!("@@session.pseudo_thread_id={}", q.thread_id));
        let micros = ctx.microseconds.unwrap_or(0);
        set.push(format!(
            "@@session.timestamp={}.{micros:06}",
            query.raw.header.timestamp
        ));
        for c in context {
            match &c.data {
                EventData::Intvar { kind: 1, value } => set.push(format!("LAST_INSERT_ID={value}")),
                EventData::Intvar { value, .. } => set.push(format!("INSERT_ID={value}")),
                EventData::Rand { seed1, seed2 } => {
                    set.push(format!("@@rand_seed1={seed1}, @@rand_seed2={seed2}"))
                }
                EventData::UserVar { .. } => set.push(user_var(c)?),
                _ => {}
            }
        }
        let doing = |what: &str| {
            format!(
                "{what} for the statement at {} ({})",
                query.raw.pos,
                gtid.map_or("no GTID".into(), |g| g.to_string())
            )
        };
        // The default database's name (and user variables' names) are UTF-8
        // in the binlog, whatever character set the source's session had:
        // they are sent under utf8mb4, which a previous statement's context
        // may have changed, and before this statement's context changes it.
        let mut prelude = String::from("SET @@session.character_set_client=utf8mb4");
        if !q.schema.is_empty() {
            prelude += &format!("; USE `{}`", q.schema.replace('`', "``"));
        }
        self.conn
            .query_drop(prelude)
            .map_err(ApplyError::query(doing("selecting the default database")))?;
        self.conn
            .query_drop(format!("SET {}", set.join(", ")))
            .map_err(ApplyError::query(doing("setting the session context")))?;
        if matches!(q.class(), QueryClass::Savepoint) || !sql.is_empty() {
            self.conn
                .query_drop(sql)
                .map_err(ApplyError::query(doing("running the statement")))?;
        }
        Ok(())
    }
}

/// The USER_VAR event as `@name := value`.
fn user_var(e: &Event) -> Result<String, ApplyError> {
    let b = e.raw.body();
    let bad = || ApplyError::Unexpected {
        doing: format!("reading the USER_VAR event at {}", e.raw.pos),
        reason: "the event is shorter than its fields".into(),
    };
    let u32_at = |i: usize| -> Result<u32, ApplyError> {
        Ok(u32::from_le_bytes(
            b.get(i..i + 4)
                .ok_or_else(bad)?
                .try_into()
                .expect("4 bytes"),
        ))
    };
    let name_len = u32_at(0)? as usize;
    let name = String::from_utf8_lossy(b.get(4..4 + name_len).ok_or_else(bad)?).replace('`', "``");
    let p = 4 + name_len;
    let is_null = *b.get(p).ok_or_else(bad)? != 0;
    if is_null {
        return Ok(format!("@`{name}` := NULL"));
    }
    let kind = *b.get(p + 1).ok_or_else(bad)?;
    let charset = u32_at(p + 2)?;
    let len = u32_at(p + 6)? as usize;
    let value = b.get(p + 10..p + 10 + len).ok_or_else(bad)?;
    let unsigned = b.get(p + 10 + len).is_some_and(|f| f & 1 != 0);
    let hex: String = value.iter().map(|x| format!("{x:02x}")).collect();
    Ok(match kind {
        0 => {
            let collation = mysql_common::collations::Collation::resolve(
                mysql_common::collations::CollationId::from(charset as u16),
            );
            format!(
                "@`{name}` := CONVERT(X'{hex}' USING {}) COLLATE {}",
                collation.charset(),
                collation.collation()
            )
        }
        1 if len == 8 => format!(
            "@`{name}` := {:e}",
            f64::from_le_bytes(value.try_into().expect("8 bytes"))
        ),
        2 if len == 8 => {
            let v: [u8; 8] = value.try_into().expect("8 bytes");
            if unsigned {
                format!("@`{name}` := {}", u64::from_le_bytes(v))
            } else {
                format!("@`{name}` := {}", i64::from_le_bytes(v))
            }
        }
        _ => {
            return Err(ApplyError::Unsupported(format!(
                "{}: user variable @{name} of type {kind} (DECIMAL or ROW) is not supported yet",
                e.raw.pos
            )))
        }
    })
}

/// Connects with `connect`, trying again with backoff for up to about two
/// minutes (a server restarting, a network cut).
pub(crate) fn connect_retrying(
    connect: impl Fn() -> Result<Conn, ApplyError>,
) -> Result<Conn, ApplyError> {
    let mut wait = Duration::from_millis(200);
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    loop {
        match connect() {
            Ok(conn) => return Ok(conn),
            Err(e) if std::time::Instant::now() >= deadline => return Err(e),
            Err(_) => {
                std::thread::sleep(wait);
                wait = (wait * 2).min(Duration::from_secs(5));
            }
        }
    }
}

/// Whether a unit's transactions can share BINLOG statements: row events
/// only, all under one format (the FORMAT_DESCRIPTIONs of one server's
/// files differ only in timestamps and checksums).
fn can_batch(txns: &[&TxnWork]) -> bool {
    txns.iter().all(|t| !t.has_statements())
        && txns.windows(2).all(|w| {
            Arc::ptr_eq(&w[0].fde, &w[1].fde) || crate::row_apply::same_format(&w[0].fde, &w[1].fde)
        })
        && txns.iter().any(|t| !t.steps.is_empty())
}

/// MySQL: whether the target's binlog annotates row events
/// (`@@global.binlog_rows_query_log_events`).
fn global_rows_query(conn: &mut Conn) -> Result<bool, ApplyError> {
    let on: Option<u8> = conn
        .query_first("SELECT @@global.binlog_rows_query_log_events")
        .map_err(ApplyError::query(
            "reading @@global.binlog_rows_query_log_events",
        ))?;
    Ok(on.unwrap_or(0) != 0)
}

fn set_causal(conn: &mut Conn) -> Result<(), ApplyError> {
    conn.query_drop("SET SESSION wsrep_sync_wait = 1")
        .map_err(ApplyError::query(
            "SET SESSION wsrep_sync_wait = 1 (sessions spread over a cluster's nodes wait for what the others committed)",
        ))
}

/// Opens a connection set up for applying, and says whether the target is
/// MySQL.
fn connect(options: &ConnectOptions, log_bin: bool) -> Result<(Conn, bool), ApplyError> {
    let mut conn = options.conn()?;
    // Also without log_bin: a Galera cluster replicates the annotations in
    // its write sets even when this node's binlog is off for the session.
    let mysql = crate::target::is_mysql(&mut conn)?;
    crate::target::no_annotations(&mut conn, mysql)?;
    if !log_bin {
        conn.query_drop("SET SESSION sql_log_bin = 0")
            .map_err(ApplyError::query("turning off binary logging for the apply session (SET SESSION sql_log_bin = 0; needs SUPER or BINLOG ADMIN on MariaDB, SESSION_VARIABLES_ADMIN on MySQL; or pass --log-bin)"))?;
    }
    Ok((conn, mysql))
}

/// The connection is gone (server restart or crash, network cut, killed
/// connection): reconnect, then find out whether the unit committed.
pub fn is_connection_lost(e: &ApplyError) -> bool {
    match e {
        ApplyError::Query { source, .. } => match source {
            mysql::Error::IoError(_)
            | mysql::Error::DriverError(_)
            | mysql::Error::CodecError(_) => true,
            // Server gone away, lost connection, shutdown in progress, connection killed.
            mysql::Error::MySqlError(m) => matches!(m.code, 2006 | 2013 | 1053 | 1927),
            _ => false,
        },
        _ => false,
    }
}

/// Deadlock (1213), lock wait timeout (1205), and the server's "Unknown
/// error" (1105): worth another attempt (nothing of the unit committed; the
/// checkpoint table is asked before it). A lost connection is reconnected
/// instead (see [`Session::apply`]).
///
/// 1105 is what MySQL 9.7 answered once in CI to the first `BINLOG`
/// statement after a target restart, where the same unit then applied
/// fine: its row applier failed without saying why. A 1105 that stays is
/// still a stop, after the attempts.
pub fn is_transient(e: &ApplyError) -> bool {
    matches!(
        e,
        ApplyError::Query { source: mysql::Error::MySqlError(m), .. } if matches!(m.code, 1205 | 1213)
    ) || is_unknown_error(e)
}

/// ERROR 1105 (HY000): Unknown error.
fn is_unknown_error(e: &ApplyError) -> bool {
    matches!(
        e,
        ApplyError::Query { source: mysql::Error::MySqlError(m), .. } if m.code == 1105
    )
}
