//! Decodes MySQL and MariaDB binary logs into events and transactions.
//!
//! Bytes in, events out: this crate opens files but never a connection, and
//! starts no threads. Layers, from the bottom:
//!
//! - [`EventReader`] frames one file into verified [`RawEvent`]s (sizes
//!   checked before allocating, CRC32 verified, clean end, truncation and
//!   corruption kept apart).
//! - [`decode()`](decode::decode) turns a raw event into [`EventData`];
//!   [`EventStream`] does it for a sequence of files followed in order,
//!   unpacking MySQL TRANSACTION_PAYLOAD events into their inner events.
//! - [`TransactionStream`] groups events into transactions, streaming: a
//!   transaction of any size passes through without being held whole.
//! - [`value`] decodes row images into typed values.
//!
//! ```no_run
//! use myreplay_binlog::{EventStream, StreamOptions};
//!
//! let mut events = EventStream::open(&["binlog.000001", "binlog.000002"], StreamOptions::default())?;
//! while let Some(event) = events.next_event()? {
//!     println!("{} {} {}", event.raw.pos, event.event_type(), event.raw.end());
//! }
//! # Ok::<(), myreplay_binlog::Error>(())
//! ```

pub mod context;
mod continuity;
pub mod decode;
pub mod error;
pub mod event;
pub mod event_type;
pub mod format;
pub mod gtid;
pub mod gtid_set;
pub mod header;
pub mod mariadb;
mod parse_error;
pub mod payload;
pub mod reader;
pub mod resend;
pub mod selection;
pub mod stream;
pub mod table_changes;
pub mod transaction;
pub mod value;

pub use context::StatementContext;
pub use error::{Error, Position, Result};
pub use event::{Event, EventData, GtidEvent, Query, QueryClass, RowsEvent, TableMap};
pub use event_type::{EventType, RowsKind};
pub use format::Format;
pub use gtid::Gtid;
pub use gtid_set::GtidSet;
pub use header::EventHeader;
pub use reader::{EventReader, RawEvent, ReaderOptions};
pub use selection::{Selection, TablePattern, TransactionTexts};
pub use stream::{EventStream, StreamOptions};
pub use table_changes::TableChanges;
pub use transaction::{
    Item, Transaction, TransactionKind, TransactionStart, TransactionStream, TransactionSummary,
};
