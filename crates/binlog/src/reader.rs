//! Framing: turns the bytes of one binlog file into whole, verified events.
//!
//! Each header is validated before anything is allocated for its body: the
//! size must be at least the header's own 19 bytes, at most the configured
//! limit, and, when the file's length is known, at most the bytes left.
//! CRC32 is verified whenever the format description announces it. A clean
//! end of file is `Ok(None)`; a file that ends inside an event is
//! [`Error::Truncated`]; bytes that cannot be right are a corruption error.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};

use crate::error::{Error, Position, Result};
use crate::event_type::EventType;
use crate::format::{fde_layout, format_from_fde, Format};
use crate::header::{EventHeader, LOG_EVENT_BINLOG_IN_USE_F};

/// The four bytes every binlog and relay log starts with.
pub const BINLOG_MAGIC: [u8; 4] = [0xfe, b'b', b'i', b'n'];

/// Limits and checks applied while framing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReaderOptions {
    /// Largest event accepted, in bytes. The server's own ceiling is
    /// `max_allowed_packet` (at most 1 GiB) plus headers; the default follows it.
    pub max_event_size: u64,
    /// Verify CRC32 checksums where the format description announces them.
    pub verify_checksums: bool,
}

impl Default for ReaderOptions {
    fn default() -> Self {
        Self {
            max_event_size: (1 << 30) + (1 << 20),
            verify_checksums: true,
        }
    }
}

/// One event exactly as it is on disk, with where it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawEvent {
    /// File and offset of the event's first byte.
    pub pos: Position,
    pub header: EventHeader,
    /// The whole event: header, body and checksum.
    pub bytes: Bytes,
    /// Whether the last 4 bytes are a CRC32 (already verified).
    pub has_checksum: bool,
}

impl RawEvent {
    /// Offset just after the event: where the next one starts.
    pub fn end(&self) -> u64 {
        self.pos.offset + self.bytes.len() as u64
    }

    /// The event body: after the header, before the checksum.
    pub fn body(&self) -> &[u8] {
        let end = self.bytes.len() - if self.has_checksum { 4 } else { 0 };
        &self.bytes[EventHeader::LEN..end]
    }

    /// The event's type.
    pub fn event_type(&self) -> EventType {
        self.header.event_type
    }
}

/// Reads the events of one binlog file, in order.
pub struct EventReader<R> {
    file: Arc<str>,
    input: R,
    /// Bytes read from `input` and not yet handed out. Events are split off
    /// its front without copying; it is refilled in chunks.
    buf: BytesMut,
    offset: u64,
    len: Option<u64>,
    format: Format,
    seen_fde: bool,
    options: ReaderOptions,
    done: bool,
}

impl EventReader<File> {
    /// Opens a binlog file and checks its magic number.
    pub fn open(path: impl AsRef<Path>, options: ReaderOptions) -> Result<Self> {
        let path = path.as_ref();
        let name: Arc<str> = path.display().to_string().into();
        let io_err = |source| Error::Io {
            file: name.clone(),
            source,
        };
        let file = File::open(path).map_err(io_err)?;
        let len = file.metadata().map_err(io_err)?.len();
        Self::new(name.clone(), file, Some(len), options)
    }
}

impl<R: Read> EventReader<R> {
    /// Wraps any reader positioned at the start of a binlog. `len`, when known,
    /// lets the reader refuse an event larger than what is left of the file
    /// before allocating it.
    pub fn new(
        file: impl Into<Arc<str>>,
        mut input: R,
        len: Option<u64>,
        options: ReaderOptions,
    ) -> Result<Self> {
        let file = file.into();
        let mut magic = [0u8; 4];
        let got = read_full(&mut input, &mut magic).map_err(|source| Error::Io {
            file: file.clone(),
            source,
        })?;
        if got == 0 {
            return Err(Error::Truncated {
                at: Position::new(file, 0),
                what: "binlog magic number (the file is empty)".into(),
                needed: 4,
                available: 0,
            });
        }
        if magic[..got] != BINLOG_MAGIC[..got] {
            return Err(Error::NotABinlog {
                file,
                found: magic[..got].to_vec(),
            });
        }
        if got < 4 {
            return Err(Error::Truncated {
                at: Position::new(file, 0),
                what: "binlog magic number".into(),
                needed: 4,
                available: got as u64,
            });
        }
        Ok(Self {
            file,
            input,
            buf: BytesMut::new(),
            offset: 4,
            len,
            format: Format::initial(),
            seen_fde: false,
            options,
            done: false,
        })
    }

    /// Reads the events packed inside a MySQL TRANSACTION_PAYLOAD: no magic
    /// number, no checksums, the enclosing file's format.
    pub fn payload(
        file: Arc<str>,
        input: R,
        len: u64,
        format: &Format,
        options: ReaderOptions,
    ) -> Self {
        let mut format = format.clone();
        format.checksum = false;
        Self {
            file,
            input,
            buf: BytesMut::new(),
            offset: 0,
            len: Some(len),
            format,
            seen_fde: true,
            options,
            done: false,
        }
    }

    /// The file's length, when known.
    pub fn file_len(&self) -> Option<u64> {
        self.len
    }

    /// Whether a FORMAT_DESCRIPTION event has been read.
    pub fn has_format(&self) -> bool {
        self.seen_fde
    }

    /// The file name as given.
    pub fn file(&self) -> &Arc<str> {
        &self.file
    }

    /// Offset of the next event.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The format from the last FORMAT_DESCRIPTION event.
    pub fn format(&self) -> &Format {
        &self.format
    }

    fn at(&self) -> Position {
        Position::new(self.file.clone(), self.offset)
    }

    fn io(&self, source: io::Error) -> Error {
        Error::Io {
            file: self.file.clone(),
            source,
        }
    }

    /// Skips to `offset` without reading the events in between. Events from
    /// there on are still framed and verified; the FORMAT_DESCRIPTION event
    /// must have been read already (call this after the first event).
    pub fn skip_to(&mut self, offset: u64) -> Result<()> {
        if offset < self.offset {
            return Err(Error::BadPosition {
                at: Position::new(self.file.clone(), offset),
                reason: format!(
                    "start position is before the reader's position {}; positions below it are inside the file header",
                    self.offset
                ),
            });
        }
        if let Some(len) = self.len {
            if offset > len {
                return Err(Error::BadPosition {
                    at: Position::new(self.file.clone(), offset),
                    reason: format!("start position is past the end of the file ({len} bytes)"),
                });
            }
        }
        let n = offset - self.offset;
        let from_buf = n.min(self.buf.len() as u64);
        let _ = self.buf.split_to(from_buf as usize);
        let copied = from_buf
            + io::copy(&mut (&mut self.input).take(n - from_buf), &mut io::sink())
                .map_err(|e| self.io(e))?;
        if copied < n {
            return Err(Error::BadPosition {
                at: Position::new(self.file.clone(), offset),
                reason: format!(
                    "start position is past the end of the file ({} bytes)",
                    self.offset + copied
                ),
            });
        }
        self.offset = offset;
        Ok(())
    }

    /// The next event, `Ok(None)` at a clean end of file. After an error the
    /// reader stays stopped: it never resynchronises past damage.
    pub fn next_event(&mut self) -> Result<Option<RawEvent>> {
        if self.done {
            return Ok(None);
        }
        let r = self.read_event();
        if !matches!(r, Ok(Some(_))) {
            self.done = true;
        }
        r
    }

    fn read_event(&mut self) -> Result<Option<RawEvent>> {
        let got = self.fill(EventHeader::LEN).map_err(|e| self.io(e))?;
        if got == 0 {
            return Ok(None);
        }
        if got < EventHeader::LEN {
            return Err(Error::Truncated {
                at: self.at(),
                what: "event header".into(),
                needed: EventHeader::LEN as u64,
                available: got as u64,
            });
        }
        let head: &[u8; EventHeader::LEN] =
            self.buf[..EventHeader::LEN].try_into().expect("19 bytes");
        let header = EventHeader::parse(head);
        let size = u64::from(header.event_size);
        let event_type = header.event_type;
        if size < EventHeader::LEN as u64 {
            return Err(Error::BadEventSize {
                at: self.at(),
                event_type,
                size,
                reason: "smaller than the 19-byte header",
            });
        }
        if size > self.options.max_event_size {
            return Err(Error::EventTooLarge {
                at: self.at(),
                event_type,
                size,
                limit: self.options.max_event_size,
            });
        }
        if let Some(len) = self.len {
            let left = len.saturating_sub(self.offset);
            if size > left {
                return Err(Error::Truncated {
                    at: self.at(),
                    what: format!("{event_type} event"),
                    needed: size,
                    available: left,
                });
            }
        }
        let got = self.fill(size as usize).map_err(|e| self.io(e))?;
        if (got as u64) < size {
            return Err(Error::Truncated {
                at: self.at(),
                what: format!("{event_type} event"),
                needed: size,
                available: got as u64,
            });
        }
        let buf = self.buf.split_to(size as usize).freeze();

        let has_checksum = if event_type == EventType::FORMAT_DESCRIPTION {
            let layout = fde_layout(&buf[EventHeader::LEN..]).map_err(|reason| Error::Corrupt {
                at: self.at(),
                event_type,
                reason,
            })?;
            let crc = layout.checksum_alg == Some(1);
            // A checksum-aware writer always ends the FDE in the algorithm
            // byte and 4 checksum bytes, whatever the algorithm.
            let has_crc_field = layout.checksum_alg.is_some();
            if crc {
                self.verify_crc(&header, &buf)?;
            }
            self.format =
                format_from_fde(&header, &buf, layout).map_err(|reason| Error::Corrupt {
                    at: self.at(),
                    event_type,
                    reason,
                })?;
            self.seen_fde = true;
            has_crc_field
        } else {
            if self.format.checksum {
                if buf.len() < EventHeader::LEN + 4 {
                    return Err(Error::BadEventSize {
                        at: self.at(),
                        event_type,
                        size,
                        reason: "too small to hold the CRC32 the format description announces",
                    });
                }
                self.verify_crc(&header, &buf)?;
            }
            self.format.checksum
        };

        let pos = self.at();
        self.offset += size;
        Ok(Some(RawEvent {
            pos,
            header,
            bytes: buf,
            has_checksum,
        }))
    }

    /// Reads until at least `n` bytes are buffered or the input ends;
    /// returns how many are buffered. The caller has bounded `n`.
    fn fill(&mut self, n: usize) -> io::Result<usize> {
        const CHUNK: usize = 1 << 20;
        while self.buf.len() < n {
            let have = self.buf.len();
            let want = (n - have).max(CHUNK);
            self.buf.resize(have + want, 0);
            let got = loop {
                match self.input.read(&mut self.buf[have..]) {
                    Ok(k) => break k,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        self.buf.truncate(have);
                        return Err(e);
                    }
                }
            };
            self.buf.truncate(have + got);
            if got == 0 {
                break;
            }
        }
        Ok(self.buf.len())
    }

    fn verify_crc(&self, header: &EventHeader, event: &[u8]) -> Result<()> {
        if !self.options.verify_checksums {
            return Ok(());
        }
        let at = self.at();
        if event.len() < EventHeader::LEN + 4 {
            return Err(Error::BadEventSize {
                at,
                event_type: header.event_type,
                size: event.len() as u64,
                reason: "too small to hold the CRC32 the format description announces",
            });
        }
        let (data, stored) = event.split_at(event.len() - 4);
        let found = u32::from_le_bytes([stored[0], stored[1], stored[2], stored[3]]);
        let expected = crc32_of_event(header, data);
        if expected != found {
            return Err(Error::Checksum {
                at,
                event_type: header.event_type,
                expected,
                found,
            });
        }
        Ok(())
    }
}

/// The CRC32 the server computes over an event (without its checksum). The
/// server writes a FORMAT_DESCRIPTION's checksum with the "in use" flag clear
/// and sets the flag afterwards, so the flag is cleared before computing.
pub fn crc32_of_event(header: &EventHeader, data: &[u8]) -> u32 {
    if header.event_type == EventType::FORMAT_DESCRIPTION
        && header.flags & LOG_EVENT_BINLOG_IN_USE_F != 0
    {
        let mut h = crc32fast::Hasher::new();
        h.update(&data[..17]);
        h.update(&(header.flags & !LOG_EVENT_BINLOG_IN_USE_F).to_le_bytes());
        h.update(&data[19..]);
        h.finalize()
    } else {
        crc32fast::hash(data)
    }
}

/// Reads until `buf` is full or the input ends; returns the bytes read.
fn read_full(input: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match input.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}
