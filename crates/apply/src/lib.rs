//! Replays binlogs into a server in parallel, exactly once.
//!
//! The only layer that talks to a server. It depends on the planner, which
//! depends on the binlog reader. The entry point is [`Replay`]: files, a
//! target, options; [`Replay::run`] takes a progress callback and a
//! cancellation flag, and returns a [`Report`].
//!
//! ```no_run
//! use std::sync::atomic::AtomicBool;
//! use myreplay_apply::{ConnectOptions, Replay};
//!
//! let target = ConnectOptions::socket("/run/mysqld/mysqld.sock", "root");
//! let mut replay = Replay::new(vec!["binlog.000041".into(), "binlog.000042".into()], target);
//! replay.workers = 8;
//! replay.stream.start_position = Some(1933); // from the backup's binlog coordinates
//! let cancel = AtomicBool::new(false); // set from a signal handler to stop cleanly
//! let report = replay.run(|p| eprintln!("{} applied", p.transactions_applied), &cancel)?;
//! println!("{} transactions in {:.1} s", report.transactions_applied, report.seconds);
//! # Ok::<(), myreplay_apply::ReplayError>(())
//! ```

pub mod checkpoint;
pub mod coalesce;
pub mod connect;
pub mod ddl_mark;
pub mod error;
pub mod filter;
pub mod galera;
pub mod preflight;
pub mod replay;
pub mod row_apply;
pub mod run_lock;
pub mod schema_loader;
pub mod session;
pub mod sql;
mod streamed;
pub mod target;
pub mod time_zone;
pub mod work;

pub use checkpoint::CheckpointTable;
pub use connect::{ConnectOptions, Endpoint, SslMode};
pub use error::ApplyError;
pub use filter::{DatabaseFilter, Range, Rewrite};
pub use myreplay_plan as plan;
pub use preflight::{preflight, Preflight};
pub use replay::{LastApplied, Progress, Replay, ReplayError, Report};
pub use row_apply::RowApply;
pub use run_lock::RunLock;
pub use schema_loader::load_schema;
pub use session::ApplyPath;
