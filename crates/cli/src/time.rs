//! Times as the DBA reads them (the calendar work is the apply crate's
//! `time_zone`, on the `jiff` crate).

pub use myreplay_apply::time_zone::utc;
