//! Replay of planned work over a connection pool (issue 4).
//!
//! The only layer that talks to a server. It depends on the planner, which
//! depends on the binlog reader.

pub use myreplay_plan as plan;
