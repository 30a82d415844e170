//! Dependency analysis: which transactions may run at the same time.
//!
//! Placeholder for issue 3: key sets per transaction, barriers, and a
//! schedule whose every execution equals serial replay. It depends on the
//! binlog crate only; it never does I/O.

pub use myreplay_binlog as binlog;
