//! Replay of planned work over a connection pool (issue 4).
//!
//! The only layer that talks to a server. It depends on the planner, which
//! depends on the binlog reader.

pub mod checkpoint;
pub mod connect;
pub mod error;
pub mod filter;
pub mod replay;
pub mod schema_loader;
pub mod session;
pub mod work;

pub use checkpoint::CheckpointTable;
pub use connect::{ConnectOptions, Endpoint};
pub use error::ApplyError;
pub use filter::{DatabaseFilter, Range};
pub use myreplay_plan as plan;
pub use replay::{LastApplied, Progress, Replay, ReplayError, Report};
pub use schema_loader::load_schema;
