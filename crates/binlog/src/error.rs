//! The reader's error type.
//!
//! Three outcomes of reading a file stay apart: a clean end of file is not an
//! error at all (`Ok(None)`), a file that ends inside an event is
//! [`Error::Truncated`], and bytes that cannot be what they claim to be are one
//! of the corruption variants. Every variant names the file and the byte offset
//! of the event it is about, so a DBA can find it with `mariadb-binlog
//! --start-position`.

use std::fmt;
use std::io;
use std::sync::Arc;

use crate::event_type::EventType;

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A place in a binlog sequence: the file's name as given and a byte offset.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct Position {
    /// The file name as the caller named it (a path, or a name such as `stdin`).
    pub file: Arc<str>,
    /// Byte offset from the start of the file.
    pub offset: u64,
}

impl Position {
    /// A position in `file` at `offset`.
    pub fn new(file: impl Into<Arc<str>>, offset: u64) -> Self {
        Self {
            file: file.into(),
            offset,
        }
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at offset {}", self.file, self.offset)
    }
}

/// Everything that can go wrong while reading binlogs.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The operating system refused a read.
    #[error("{file}: cannot read: {source}")]
    Io {
        file: Arc<str>,
        #[source]
        source: io::Error,
    },

    /// The file does not start with the binlog magic `\xfebin`.
    #[error("{file}: not a binlog file (it starts with {found:02x?}, a binlog starts with fe 62 69 6e); check that you passed binlog files, not a dump or an index")]
    NotABinlog { file: Arc<str>, found: Vec<u8> },

    /// The file ends inside an event (or inside the magic number).
    #[error("{at}: truncated {what}: it needs {needed} bytes, the file has only {available} left; the server may have crashed while writing it, or the copy is incomplete. Everything before offset {} is complete", at.offset)]
    Truncated {
        at: Position,
        /// What is cut: "event header", "TABLE_MAP event", ...
        what: String,
        needed: u64,
        available: u64,
    },

    /// An event header whose length cannot be right.
    #[error("{at}: {event_type} event: event size {size} is impossible ({reason}); the file is corrupt at this offset")]
    BadEventSize {
        at: Position,
        event_type: EventType,
        size: u64,
        reason: &'static str,
    },

    /// An event larger than the configured limit.
    #[error("{at}: {event_type} event of {size} bytes is larger than the limit of {limit} bytes; raise the limit (--max-event-size) if the source really wrote events this large")]
    EventTooLarge {
        at: Position,
        event_type: EventType,
        size: u64,
        limit: u64,
    },

    /// The CRC32 stored in the event does not match its bytes.
    #[error("{at}: {event_type} event: CRC32 mismatch (expected {expected:#010x}, found {found:#010x}); the file is damaged at this offset")]
    Checksum {
        at: Position,
        event_type: EventType,
        expected: u32,
        found: u32,
    },

    /// The event's bytes do not decode as its type says they should.
    #[error("{at}: {event_type} event: cannot decode: {reason}")]
    Corrupt {
        at: Position,
        event_type: EventType,
        reason: String,
    },

    /// An event type this reader does not know, without the "ignorable" flag.
    #[error("{at}: unknown event type {} without the ignorable flag; a reader that skipped it could lose data. Is this binlog from a newer server than myreplay supports?", event_type.code())]
    UnknownEvent { at: Position, event_type: EventType },

    /// A pre-GA MySQL 5.1 rows event (types 20-22), whose layout is not supported.
    #[error("{at}: unsupported pre-GA {event_type} event (written by a MySQL 5.1 beta); this binlog cannot be replayed by myreplay")]
    Unsupported { at: Position, event_type: EventType },

    /// The binlog is encrypted (MariaDB START_ENCRYPTION event).
    #[error("{at}: this binlog is encrypted (START_ENCRYPTION event); myreplay cannot read encrypted binlogs. Decrypt it first by reading it through the server that holds the key (for example `mariadb-binlog --read-from-remote-server`)")]
    Encrypted { at: Position },

    /// The source logged an INCIDENT: it lost events at this point.
    #[error("{at}: INCIDENT event ({incident}): the source server lost events here{}; replay cannot continue past this point without losing data", if message.is_empty() { String::new() } else { format!(" ({message})") })]
    Incident {
        at: Position,
        incident: u16,
        message: String,
    },

    /// A transaction whose end is missing: the input ends, or a new
    /// transaction begins, before its COMMIT.
    #[error("{start}: transaction {} is incomplete: no COMMIT before {end}; it is not applied. If the source crashed, this transaction was not committed there either; if the file was copied while the server wrote it, copy it again", gtid.as_deref().unwrap_or("(no GTID)"))]
    IncompleteTransaction {
        start: Position,
        gtid: Option<String>,
        end: Position,
    },

    /// A start or stop position that is not usable.
    #[error("{at}: {reason}")]
    BadPosition { at: Position, reason: String },

    /// Files that do not follow each other.
    #[error("{previous} then {next}: {reason}")]
    Sequence {
        previous: Arc<str>,
        next: Arc<str>,
        reason: String,
    },
}

impl Error {
    /// The position the error is about, when it has one.
    pub fn position(&self) -> Option<&Position> {
        match self {
            Error::Truncated { at, .. }
            | Error::BadEventSize { at, .. }
            | Error::EventTooLarge { at, .. }
            | Error::Checksum { at, .. }
            | Error::Corrupt { at, .. }
            | Error::UnknownEvent { at, .. }
            | Error::Unsupported { at, .. }
            | Error::Encrypted { at }
            | Error::Incident { at, .. }
            | Error::BadPosition { at, .. } => Some(at),
            Error::IncompleteTransaction { start, .. } => Some(start),
            Error::Io { .. } | Error::NotABinlog { .. } | Error::Sequence { .. } => None,
        }
    }

    /// A short machine-readable name for the kind of error.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Io { .. } => "io",
            Error::NotABinlog { .. } => "not_a_binlog",
            Error::Truncated { .. } => "truncated",
            Error::BadEventSize { .. } => "bad_event_size",
            Error::EventTooLarge { .. } => "event_too_large",
            Error::Checksum { .. } => "checksum",
            Error::Corrupt { .. } => "corrupt",
            Error::UnknownEvent { .. } => "unknown_event",
            Error::Unsupported { .. } => "unsupported",
            Error::Encrypted { .. } => "encrypted",
            Error::Incident { .. } => "incident",
            Error::BadPosition { .. } => "bad_position",
            Error::IncompleteTransaction { .. } => "incomplete_transaction",
            Error::Sequence { .. } => "sequence",
        }
    }
}
