//! A sequence of binlog files read as one stream of decoded events.
//!
//! Files are read in the order given. Each must follow the previous one: when
//! a file ends in a ROTATE event, the next file must be the one it names;
//! otherwise numbered names (`binlog.000041`, `binlog.000042`) must be
//! consecutive. A gap, a duplicate or a wrong order is an error naming both
//! files; the names are checked before anything is read. The GTID state each
//! file starts with (MariaDB GTID_LIST, MySQL PREVIOUS_GTIDS) must continue
//! the previous file: files of two servers mixed are refused where that
//! proves it (`continuity.rs`). MySQL TRANSACTION_PAYLOAD events are
//! followed by their inner events, decompressed and decoded like any other.

use std::collections::VecDeque;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::continuity::GtidTrail;
use crate::decode::{decode, decode_with, TableMapCache};
use crate::error::{Error, Position, Result};
use crate::event::{Event, EventData};
use crate::event_type::EventType;
use crate::reader::{EventReader, RawEvent, ReaderOptions};

/// Options of an [`EventStream`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamOptions {
    pub reader: ReaderOptions,
    /// Start reading the first file at this offset (mysqlbinlog's
    /// `--start-position`). It must be an event boundary: the events before
    /// it are framed and verified, not decoded, to make sure.
    pub start_position: Option<u64>,
    /// Stop before the first event of the last file that starts at or after
    /// this offset (mysqlbinlog's `--stop-position`).
    pub stop_position: Option<u64>,
    /// Largest size a compressed event (MariaDB QUERY/ROWS_COMPRESSED, MySQL
    /// TRANSACTION_PAYLOAD) may inflate to.
    pub inflate_limit: u64,
    /// Check that the files follow each other (ROTATE names, numbering).
    pub check_sequence: bool,
}

impl Default for StreamOptions {
    fn default() -> Self {
        let reader = ReaderOptions::default();
        Self {
            reader,
            start_position: None,
            stop_position: None,
            inflate_limit: reader.max_event_size,
            check_sequence: true,
        }
    }
}

/// Where a stream's bytes come from.
enum Source {
    Path(PathBuf),
    /// In-memory or piped input: a name for messages, the reader, its length if known.
    Reader(Arc<str>, Box<dyn Read + Send>, Option<u64>),
}

type Input = Box<dyn Read + Send>;

impl Source {
    fn name(&self) -> Arc<str> {
        match self {
            Source::Path(p) => p.display().to_string().into(),
            Source::Reader(name, ..) => name.clone(),
        }
    }
}

/// Decoded events of a sequence of files, in order.
pub struct EventStream {
    files: Vec<Option<Source>>,
    next_file: usize,
    reader: Option<EventReader<Input>>,
    /// Events to return before reading on: the inner events of the last
    /// TRANSACTION_PAYLOAD, or the first file's FORMAT_DESCRIPTION when
    /// reading starts past it.
    inner: VecDeque<Event>,
    /// The previous file, and the name its closing ROTATE gave (if any).
    previous: Option<(Arc<str>, Option<String>)>,
    last_rotate: Option<String>,
    options: StreamOptions,
    stopped: bool,
    table_maps: TableMapCache,
    /// The GTID state of the file being read, and of the previous one
    /// until the current file's own state has been checked against it.
    trail: GtidTrail,
    previous_trail: Option<(Arc<str>, GtidTrail)>,
}

impl EventStream {
    /// Prepares to read `files` in order. Nothing is opened yet.
    pub fn open<P: AsRef<Path>>(files: &[P], options: StreamOptions) -> Result<Self> {
        let sources = files
            .iter()
            .map(|p| Source::Path(p.as_ref().to_path_buf()))
            .collect();
        Self::from_sources(sources, options)
    }

    /// A stream over one in-memory or piped binlog (fuzzing, stdin). `len`,
    /// when known, bounds event sizes before allocation as for files.
    pub fn from_reader(
        name: impl Into<Arc<str>>,
        input: impl Read + Send + 'static,
        len: Option<u64>,
        options: StreamOptions,
    ) -> Result<Self> {
        Self::from_sources(
            vec![Source::Reader(name.into(), Box::new(input), len)],
            options,
        )
    }

    fn from_sources(sources: Vec<Source>, options: StreamOptions) -> Result<Self> {
        // Start applies to the first file and stop to the last: with one
        // file, a stop before the start is a mistake, not an empty range.
        if let (Some(start), Some(stop), [only]) = (
            options.start_position,
            options.stop_position,
            sources.as_slice(),
        ) {
            if stop < start {
                return Err(Error::BadPosition {
                    at: Position::new(only.name(), stop),
                    reason: format!("stop position {stop} is before start position {start}"),
                });
            }
        }
        // Names that cannot follow each other are refused before anything
        // is read (and applied).
        if options.check_sequence {
            for pair in sources.windows(2) {
                if let [Source::Path(a), Source::Path(_)] = pair {
                    let (an, bn) = (pair[0].name(), pair[1].name());
                    if check_follows(&an, None, &bn).is_err() {
                        // The closing ROTATE, when there is one, has the last word.
                        let rotate = closing_rotate(a, options);
                        check_follows(&an, rotate.as_deref(), &bn)?;
                    }
                }
            }
        }
        Ok(Self {
            files: sources.into_iter().map(Some).collect(),
            next_file: 0,
            reader: None,
            inner: VecDeque::new(),
            previous: None,
            last_rotate: None,
            options,
            stopped: false,
            table_maps: TableMapCache::default(),
            trail: GtidTrail::default(),
            previous_trail: None,
        })
    }

    /// The next decoded event; `Ok(None)` after the last event of the last
    /// file (or at the stop position).
    pub fn next_event(&mut self) -> Result<Option<Event>> {
        if let Some(e) = self.inner.pop_front() {
            return Ok(Some(e));
        }
        loop {
            if self.stopped {
                return Ok(None);
            }
            let Some(reader) = self.reader.as_mut() else {
                if !self.open_next()? {
                    self.stopped = true;
                    return Ok(None);
                }
                if let Some(e) = self.inner.pop_front() {
                    return Ok(Some(e));
                }
                continue;
            };
            let is_last = self.next_file == self.files.len();
            let Some(raw) = reader.next_event()? else {
                let name = reader.file().clone();
                self.previous_trail = Some((name.clone(), std::mem::take(&mut self.trail)));
                self.previous = Some((name, self.last_rotate.take()));
                self.reader = None;
                continue;
            };
            if is_last {
                if let Some(stop) = self.options.stop_position {
                    if raw.pos.offset >= stop {
                        self.stopped = true;
                        return Ok(None);
                    }
                }
            }
            let data = decode_with(
                &raw,
                reader.format(),
                self.options.inflate_limit,
                &mut self.table_maps,
            )?;
            self.last_rotate = match &data {
                EventData::Rotate { next_file, .. } => Some(next_file.clone()),
                _ => None,
            };
            self.trail.observe(&raw, &data);
            if matches!(data, EventData::GtidList(_) | EventData::PreviousGtids) {
                let file = reader.file().clone();
                self.check_continues(&file)?;
            }
            if raw.header.event_type == EventType::TRANSACTION_PAYLOAD {
                self.unpack_payload(&raw)?;
            }
            return Ok(Some(Event {
                end: raw.end(),
                raw,
                inner: None,
                data,
            }));
        }
    }

    /// Opens the next file, checks it follows the previous one, and applies
    /// the start position to the first file.
    fn open_next(&mut self) -> Result<bool> {
        let Some(source) = self.files.get_mut(self.next_file).and_then(Option::take) else {
            return Ok(false);
        };
        let first = self.next_file == 0;
        self.next_file += 1;
        let mut reader = match source {
            Source::Path(ref path) => {
                let name = source.name();
                let io_err = |source| Error::Io {
                    file: name.clone(),
                    source,
                };
                let file = std::fs::File::open(path).map_err(io_err)?;
                let len = file.metadata().map_err(io_err)?.len();
                EventReader::new(
                    name.clone(),
                    Box::new(file) as Input,
                    Some(len),
                    self.options.reader,
                )?
            }
            Source::Reader(name, input, len) => {
                EventReader::new(name, input, len, self.options.reader)?
            }
        };
        if let (Some((prev, rotate)), true) = (&self.previous, self.options.check_sequence) {
            check_follows(prev, rotate.as_deref(), reader.file())?;
        }
        if first {
            if let Some(start) = self.options.start_position {
                // The events from `start` are read under the file's
                // FORMAT_DESCRIPTION: it is handed on first, as mysqlbinlog
                // prints it first (an applier needs it to send row events).
                if let Some(fde) =
                    skip_to_boundary(&mut reader, start, &mut self.trail, self.options)?
                {
                    let data = decode(&fde, reader.format(), self.options.inflate_limit)?;
                    self.inner.push_back(Event {
                        end: fde.end(),
                        raw: fde,
                        inner: None,
                        data,
                    });
                }
            }
        }
        self.reader = Some(reader);
        Ok(true)
    }

    /// Once the current file's GTID state is read: checks it continues the
    /// previous file's.
    fn check_continues(&mut self, next: &Arc<str>) -> Result<()> {
        let Some((prev, trail)) = self.previous_trail.take() else {
            return Ok(());
        };
        if !self.options.check_sequence {
            return Ok(());
        }
        let base = |s: &str| {
            Path::new(s)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| s.to_string())
        };
        match trail.mismatch(&self.trail, &base(&prev), &base(next)) {
            None => Ok(()),
            Some(why) => Err(Error::Sequence {
                previous: prev,
                next: next.clone(),
                reason: format!(
                    "{why}. These are not one server's binlogs in sequence: a file from another server is mixed in, or files are missing in between. Give the binlogs of one server, all of them, in order"
                ),
            }),
        }
    }

    /// Decompresses a TRANSACTION_PAYLOAD and queues its inner events.
    fn unpack_payload(&mut self, raw: &RawEvent) -> Result<()> {
        let reader = self.reader.as_ref().expect("reader is open");
        let format = reader.format().clone();
        let corrupt = |reason: String| Error::Corrupt {
            at: raw.pos.clone(),
            event_type: raw.header.event_type,
            reason,
        };
        let body = raw.body();
        let header = crate::payload::parse_header(body).map_err(corrupt)?;
        let inflated =
            crate::payload::inflate(body, &header, self.options.inflate_limit).map_err(corrupt)?;
        let len = inflated.len() as u64;
        let name: Arc<str> = format!("{} (payload at {})", raw.pos.file, raw.pos.offset).into();
        let mut inner = EventReader::payload(
            name,
            std::io::Cursor::new(inflated),
            len,
            &format,
            self.options.reader,
        );
        let mut index = 0u32;
        while let Some(mut ev) = inner
            .next_event()
            .map_err(|e| corrupt(format!("inner event: {e}")))?
        {
            let data = decode(&ev, &format, self.options.inflate_limit)
                .map_err(|e| corrupt(format!("inner event {index}: {e}")))?;
            ev.pos = raw.pos.clone();
            self.inner.push_back(Event {
                raw: ev,
                inner: Some(index),
                end: raw.end(),
                data,
            });
            index += 1;
        }
        Ok(())
    }
}

/// Reads (frames and verifies) events up to `start`, which must be where one
/// begins. The GTID state they carry is noted in `trail`. Returns the
/// FORMAT_DESCRIPTION event read on the way, the one the events from `start`
/// are written under.
fn skip_to_boundary(
    reader: &mut EventReader<Input>,
    start: u64,
    trail: &mut GtidTrail,
    options: StreamOptions,
) -> Result<Option<RawEvent>> {
    let mut fde = None;
    if start <= 4 {
        return if start == 4 {
            Ok(None)
        } else {
            Err(Error::BadPosition {
                at: Position::new(reader.file().clone(), start),
                reason: "start position is inside the 4-byte file header; the first event is at 4"
                    .into(),
            })
        };
    }
    loop {
        let here = reader.offset();
        if here == start {
            return Ok(fde);
        }
        match reader.next_event()? {
            Some(ev) if ev.end() > start => {
                return Err(Error::BadPosition {
                    at: Position::new(reader.file().clone(), start),
                    reason: format!(
                        "start position is not an event boundary: it falls inside the {} event at {}..{}; use {} or {}",
                        ev.header.event_type,
                        ev.pos.offset,
                        ev.end(),
                        ev.pos.offset,
                        ev.end()
                    ),
                })
            }
            Some(ev) => {
                let t = ev.header.event_type;
                if matches!(
                    t,
                    EventType::FORMAT_DESCRIPTION
                        | EventType::MARIADB_GTID_LIST
                        | EventType::PREVIOUS_GTIDS
                        | EventType::MARIADB_GTID
                        | EventType::GTID
                        | EventType::GTID_TAGGED
                ) {
                    match decode(&ev, reader.format(), options.inflate_limit) {
                        Ok(data) => trail.observe(&ev, &data),
                        Err(_) => trail.unreliable = true,
                    }
                }
                if t == EventType::FORMAT_DESCRIPTION {
                    fde = Some(ev);
                }
            }
            None => {
                return Err(Error::BadPosition {
                    at: Position::new(reader.file().clone(), start),
                    reason: format!("start position is past the end of the file ({here} bytes)"),
                })
            }
        }
    }
}

/// Checks that `next` can follow `prev` (which ended with a ROTATE naming
/// `rotate`, if any).
pub fn check_follows(prev: &Arc<str>, rotate: Option<&str>, next: &Arc<str>) -> Result<()> {
    let err = |reason: String| Error::Sequence {
        previous: prev.clone(),
        next: next.clone(),
        reason,
    };
    let base = |s: &str| {
        Path::new(s)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let (pb, nb) = (base(prev), base(next));
    if pb == nb {
        return Err(err("the same file is given twice".into()));
    }
    if let Some(r) = rotate {
        if base(r) != nb {
            return Err(err(format!(
                "{pb} ends with a ROTATE to {r}, but the next file given is {nb}; a file is missing or the order is wrong"
            )));
        }
        return Ok(());
    }
    if let (Some((ps, pn)), Some((ns, nn))) = (numbered(&pb), numbered(&nb)) {
        if ps == ns && nn != pn + 1 {
            return Err(err(format!(
                "{nb} does not follow {pb} (expected number {}); a file is missing or the order is wrong",
                pn + 1
            )));
        }
    }
    Ok(())
}

/// The file named by the ROTATE event that ends `path`, if it ends with one
/// and reads without error (for the message of a sequence error).
fn closing_rotate(path: &Path, options: StreamOptions) -> Option<String> {
    let options = StreamOptions {
        start_position: None,
        stop_position: None,
        check_sequence: false,
        ..options
    };
    let mut events = EventStream::open(&[path], options).ok()?;
    let mut last = None;
    while let Some(e) = events.next_event().ok()? {
        last = match e.data {
            EventData::Rotate { next_file, .. } => Some(next_file),
            _ => None,
        };
    }
    last
}

/// Splits a numbered binlog name, `binlog.000042`, into (`binlog`, 42).
pub fn numbered(name: &str) -> Option<(&str, u64)> {
    let (stem, ext) = name.rsplit_once('.')?;
    if ext.is_empty() || !ext.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((stem, ext.parse().ok()?))
}

impl Iterator for EventStream {
    type Item = Result<Event>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_event().transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_rules() {
        let a: Arc<str> = "/x/binlog.000001".into();
        let b: Arc<str> = "/y/binlog.000002".into();
        let c: Arc<str> = "binlog.000003".into();
        assert!(check_follows(&a, Some("./binlog.000002"), &b).is_ok());
        assert!(check_follows(&a, Some("binlog.000003"), &b).is_err());
        assert!(check_follows(&a, None, &b).is_ok());
        assert!(check_follows(&a, None, &c).is_err());
        assert!(check_follows(&b, None, &a).is_err());
        assert!(check_follows(&a, None, &a).is_err());
    }
}
