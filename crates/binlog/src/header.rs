//! The 19-byte common event header.

use crate::event_type::EventType;

/// Header flag: the file was not closed cleanly (only meaningful on a
/// FORMAT_DESCRIPTION event). The last transaction may be cut.
pub const LOG_EVENT_BINLOG_IN_USE_F: u16 = 0x1;
/// Header flag: a reader that does not know this event type may skip it.
pub const LOG_EVENT_IGNORABLE_F: u16 = 0x80;
/// Header flag: the event does not change the database (artificial).
pub const LOG_EVENT_ARTIFICIAL_F: u16 = 0x20;

/// The common header every event starts with (little-endian on disk).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventHeader {
    /// Seconds since the epoch when the statement began (UTC).
    pub timestamp: u32,
    pub event_type: EventType,
    pub server_id: u32,
    /// Size of the whole event, header and checksum included.
    pub event_size: u32,
    /// End position the source wrote; 0 in some relay logs and MariaDB 11.4+
    /// cases. The reader trusts its own offsets, never this field.
    pub log_pos: u32,
    pub flags: u16,
}

impl EventHeader {
    /// Length of the header on disk.
    pub const LEN: usize = 19;

    /// Decodes the 19 header bytes. Any byte pattern is a header; validation
    /// of the size happens in the reader, which knows the limits.
    pub fn parse(b: &[u8; Self::LEN]) -> Self {
        let u32_at = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        Self {
            timestamp: u32_at(0),
            event_type: EventType(b[4]),
            server_id: u32_at(5),
            event_size: u32_at(9),
            log_pos: u32_at(13),
            flags: u16::from_le_bytes([b[17], b[18]]),
        }
    }

    /// Whether the header carries LOG_EVENT_IGNORABLE_F.
    pub fn is_ignorable(&self) -> bool {
        self.flags & LOG_EVENT_IGNORABLE_F != 0
    }
}
