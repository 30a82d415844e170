//! Dependency analysis: which transactions may run at the same time.
//!
//! The contract: every execution that respects the plan leaves the target in
//! the same state as replaying the transactions one by one in binlog order.
//! The crate does no I/O: it takes transactions from the binlog crate and a
//! [`Schema`] passed in as data, and hands out [`Unit`]s of work.
//!
//! - [`schema`]: tables, keys, collations, foreign keys, triggers.
//! - [`key`] / [`keyset`]: each transaction's keys (primary and unique key
//!   values, foreign-key references, table and index scopes, barriers).
//! - [`schedule`]: the dependency-graph scheduler [`Graph`] and its serial
//!   twin [`Serial`], behind the [`Scheduler`] trait.

pub mod analysis;
pub mod ddl;
pub mod from_binlog;
pub mod key;
pub mod keyset;
pub mod schedule;
pub mod schema;

pub use analysis::{Analysis, Parallelism};
pub use from_binlog::{BinlogPlanner, KeySource, PlanError, PlannedTransaction};
pub use keyset::{BarrierCause, CoarseReason, KeyCols, KeySet, KeySetBuilder, TableKeys};
pub use schedule::{Graph, Limits, PlannedTxn, Scheduler, Serial, Unit, UnitId};
pub use schema::{
    Collation, Column, FkAction, ForeignKey, Index, IndexPart, Schema, Table, TableName,
};

pub use myreplay_binlog as binlog;
