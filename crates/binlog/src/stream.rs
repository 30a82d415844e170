//! A sequence of binlog files read as one stream of decoded events.
//!
//! Files are read in the order given. Each must follow the previous one: when
//! a file ends in a ROTATE event, the next file must be the one it names;
//! otherwise numbered names (`binlog.000041`, `binlog.000042`) must be
//! consecutive. A gap, a duplicate or a wrong order is an error naming both
//! files; the names are checked before anything is read. The GTID state each
//! file starts with (MariaDB GTID_LIST, MySQL PREVIOUS_GTIDS) must continue
//! the previous file: files of two servers mixed are refused where that
//! proves it (see `GtidTrail`). MySQL TRANSACTION_PAYLOAD events are
//! followed by their inner events, decompressed and decoded like any other.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::decode::{decode, decode_with, TableMapCache};
use crate::error::{Error, Position, Result};
use crate::event::{Event, EventData};
use crate::event_type::EventType;
use crate::gtid::Gtid;
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
    /// Inner events of the last TRANSACTION_PAYLOAD, not yet returned.
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
                skip_to_boundary(&mut reader, start, &mut self.trail, self.options)?;
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
/// begins. The GTID state they carry is noted in `trail`.
fn skip_to_boundary(
    reader: &mut EventReader<Input>,
    start: u64,
    trail: &mut GtidTrail,
    options: StreamOptions,
) -> Result<()> {
    if start <= 4 {
        return if start == 4 {
            Ok(())
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
            return Ok(());
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

/// Splits `binlog.000042` into (`binlog`, 42).
fn numbered(name: &str) -> Option<(&str, u64)> {
    let (stem, ext) = name.rsplit_once('.')?;
    if ext.is_empty() || !ext.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((stem, ext.parse().ok()?))
}

/// What one file says about the binlog's GTID state, for the check that the
/// next file continues it (files from another server mixed in).
///
/// MariaDB starts every file with a GTID_LIST event: the server's binlog
/// state at that point, the last GTID logged for each (domain, server_id).
/// It is the previous file's GTID_LIST updated with every GTID that file
/// holds, so the next file's GTID_LIST must equal that (a whole domain may be
/// missing: `FLUSH BINARY LOGS DELETE_DOMAIN_ID`). MySQL starts every file
/// with PREVIOUS_GTIDS, the GTIDs executed before it: it must include the
/// previous file's PREVIOUS_GTIDS and every GTID that file holds. The last
/// GTID of a file is allowed to be missing (a transaction cut by a crash is
/// not in the state the server rebuilds; the transaction check reports it).
#[derive(Debug, Default)]
struct GtidTrail {
    /// MariaDB GTID_LIST at the start of the file, when read.
    list: Option<BTreeMap<(u32, u32), u64>>,
    /// MariaDB: the GTID_LIST updated with every GTID of the file, in order.
    state: BTreeMap<(u32, u32), u64>,
    /// MariaDB: the (domain, server_id) pairs logged in the file.
    logged: BTreeSet<(u32, u32)>,
    /// MariaDB: the last GTID's pair, and its value before that GTID.
    last_mariadb: Option<((u32, u32), Option<u64>)>,
    /// MySQL PREVIOUS_GTIDS at the start of the file, when read.
    previous: Option<GtidSet>,
    /// MySQL GTIDs of the file, except the last one (in `last_mysql`).
    seen: GtidSet,
    last_mysql: Option<(GtidKey, u64)>,
    /// A GTID event was read (a GTID_LIST / PREVIOUS_GTIDS after it is
    /// not the file's own).
    gtid_seen: bool,
    format_seen: bool,
    /// Not a plain binlog of one server (a relay log holds its source's
    /// FORMAT_DESCRIPTION and GTID_LIST events too), or a list that did
    /// not decode: say nothing about the next file.
    unreliable: bool,
    /// Where the file's GTID_LIST / PREVIOUS_GTIDS is.
    list_at: u64,
}

/// A MySQL GTID's source: server UUID and tag.
type GtidKey = ([u8; 16], Option<String>);

/// A MySQL GTID set: per source, sorted disjoint intervals `[start, end)`.
#[derive(Debug, Default, Clone)]
struct GtidSet(BTreeMap<GtidKey, Vec<(u64, u64)>>);

impl GtidSet {
    fn add_interval(&mut self, key: &GtidKey, start: u64, end: u64) {
        if start >= end {
            return;
        }
        let v = self.0.entry(key.clone()).or_default();
        // The common case: GTIDs in increasing order, extending the last interval.
        if let Some(last) = v.last_mut() {
            if start == last.1 {
                last.1 = end;
                return;
            }
            if start > last.1 {
                v.push((start, end));
                return;
            }
        } else {
            v.push((start, end));
            return;
        }
        v.push((start, end));
        v.sort_unstable();
        let mut merged: Vec<(u64, u64)> = Vec::with_capacity(v.len());
        for &(s, e) in v.iter() {
            match merged.last_mut() {
                Some(m) if s <= m.1 => m.1 = m.1.max(e),
                _ => merged.push((s, e)),
            }
        }
        *v = merged;
    }

    fn add(&mut self, key: &GtidKey, gno: u64) {
        self.add_interval(key, gno, gno.saturating_add(1));
    }

    /// The first GTID of `self` that `other` does not hold.
    fn first_missing_from(&self, other: &GtidSet) -> Option<(GtidKey, u64)> {
        for (key, intervals) in &self.0 {
            let theirs = other.0.get(key).map(Vec::as_slice).unwrap_or(&[]);
            for &(s, e) in intervals {
                let mut at = s;
                while at < e {
                    match theirs.iter().find(|&&(ts, te)| ts <= at && at < te) {
                        Some(&(_, te)) => at = te,
                        None => return Some((key.clone(), at)),
                    }
                }
            }
        }
        None
    }
}

fn mysql_gtid_text(key: &GtidKey, gno: u64) -> String {
    Gtid::MySql {
        sid: key.0,
        tag: key.1.clone(),
        gno,
    }
    .to_string()
}

fn mariadb_gtid_text(pair: (u32, u32), seq: u64) -> String {
    format!("{}-{}-{}", pair.0, pair.1, seq)
}

/// Decodes a PREVIOUS_GTIDS body (plain or, MySQL 8.3+, tagged), refusing
/// counts the body cannot hold before allocating for them.
fn parse_previous_gtids(body: &[u8]) -> Option<GtidSet> {
    fn take<'a>(i: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
        if i.len() < n {
            return None;
        }
        let (a, b) = i.split_at(n);
        *i = b;
        Some(a)
    }
    fn u64_le(i: &mut &[u8]) -> Option<u64> {
        Some(u64::from_le_bytes(take(i, 8)?.try_into().ok()?))
    }
    // MySQL's variable-length integer: the count of trailing one bits of the
    // first byte gives the extra bytes; 0xff is followed by 8 bytes.
    fn varlen(i: &mut &[u8]) -> Option<u64> {
        let first = *i.first()?;
        let ones = first.trailing_ones() as usize;
        if ones == 8 {
            take(i, 1)?;
            return u64_le(i);
        }
        let bytes = take(i, ones + 1)?;
        let mut raw = [0u8; 8];
        raw[..bytes.len()].copy_from_slice(bytes);
        Some(u64::from_le_bytes(raw) >> (ones + 1))
    }
    let mut i = body;
    let head = u64_le(&mut i)?;
    let tagged = head >> 56 != 0;
    let n_sids = if tagged {
        (head >> 8) & ((1 << 48) - 1)
    } else {
        head & ((1 << 56) - 1)
    };
    // Each source takes at least 16 + 8 bytes.
    if n_sids.checked_mul(24)? > i.len() as u64 {
        return None;
    }
    let mut set = GtidSet::default();
    for _ in 0..n_sids {
        let sid: [u8; 16] = take(&mut i, 16)?.try_into().ok()?;
        let tag = if tagged {
            let len = usize::try_from(varlen(&mut i)?).ok()?;
            let t = take(&mut i, len)?;
            (len > 0).then(|| String::from_utf8_lossy(t).to_ascii_lowercase())
        } else {
            None
        };
        let n = u64_le(&mut i)?;
        if n.checked_mul(16)? > i.len() as u64 {
            return None;
        }
        let key = (sid, tag);
        for _ in 0..n {
            let (s, e) = (u64_le(&mut i)?, u64_le(&mut i)?);
            set.add_interval(&key, s, e);
        }
    }
    Some(set)
}

impl GtidTrail {
    /// Takes note of an event of the file.
    fn observe(&mut self, raw: &RawEvent, data: &EventData) {
        match data {
            EventData::FormatDescription { .. } => {
                if self.format_seen {
                    self.unreliable = true;
                }
                self.format_seen = true;
            }
            EventData::GtidList(list) => {
                if self.gtid_seen || self.list.is_some() || self.previous.is_some() {
                    self.unreliable = true;
                    return;
                }
                let mut map = BTreeMap::new();
                for g in list {
                    if let Gtid::MariaDb {
                        domain,
                        server,
                        seq,
                    } = *g
                    {
                        map.insert((domain, server), seq);
                    }
                }
                self.state = map.clone();
                self.list = Some(map);
                self.list_at = raw.pos.offset;
            }
            EventData::PreviousGtids => {
                if self.gtid_seen || self.list.is_some() || self.previous.is_some() {
                    self.unreliable = true;
                    return;
                }
                match parse_previous_gtids(raw.body()) {
                    Some(set) => {
                        self.previous = Some(set);
                        self.list_at = raw.pos.offset;
                    }
                    None => self.unreliable = true,
                }
            }
            EventData::Gtid(g) => {
                self.gtid_seen = true;
                match &g.gtid {
                    Some(Gtid::MariaDb {
                        domain,
                        server,
                        seq,
                    }) => {
                        let pair = (*domain, *server);
                        let before = self.state.insert(pair, *seq);
                        self.logged.insert(pair);
                        self.last_mariadb = Some((pair, before));
                    }
                    Some(Gtid::MySql { sid, tag, gno }) => {
                        if let Some((key, gno)) = self.last_mysql.take() {
                            self.seen.add(&key, gno);
                        }
                        self.last_mysql = Some(((*sid, tag.clone()), *gno));
                    }
                    None => {}
                }
            }
            _ => {}
        }
    }

    /// Why `next` (this trail's file's successor, whose GTID_LIST or
    /// PREVIOUS_GTIDS has just been read) cannot follow it, if it provably
    /// cannot.
    fn mismatch(&self, next: &GtidTrail, prev_name: &str, next_name: &str) -> Option<String> {
        if self.unreliable || next.unreliable {
            return None;
        }
        if let Some(list) = &next.list {
            return self.mariadb_mismatch(list, prev_name, next_name, next.list_at);
        }
        if let Some(previous) = &next.previous {
            let mut required = self.previous.clone().unwrap_or_default();
            for (key, intervals) in &self.seen.0 {
                for &(s, e) in intervals {
                    required.add_interval(key, s, e);
                }
            }
            let (key, gno) = required.first_missing_from(previous)?;
            let whence = if self.seen.first_missing_from(previous).is_some() {
                "holds"
            } else {
                "lists in its PREVIOUS_GTIDS event"
            };
            return Some(format!(
                "{next_name} does not continue {prev_name}: its PREVIOUS_GTIDS event (at offset {}) lacks {}, which {prev_name} {whence}",
                next.list_at,
                mysql_gtid_text(&key, gno),
            ));
        }
        None
    }

    fn mariadb_mismatch(
        &self,
        list: &BTreeMap<(u32, u32), u64>,
        prev_name: &str,
        next_name: &str,
        list_at: u64,
    ) -> Option<String> {
        let known_base = self.list.is_some();
        let check = |expected: &BTreeMap<(u32, u32), u64>| -> Option<String> {
            let shown = |m: &BTreeMap<(u32, u32), u64>| {
                if m.is_empty() {
                    "empty".to_string()
                } else {
                    m.iter()
                        .map(|(&p, &s)| mariadb_gtid_text(p, s))
                        .collect::<Vec<_>>()
                        .join(",")
                }
            };
            let state = || {
                format!(
                    "{next_name} starts with the GTID state {} (GTID_LIST event at offset {list_at}), but {prev_name} ends at {}",
                    shown(list),
                    shown(expected)
                )
            };
            for (&pair, &seq) in list {
                match expected.get(&pair) {
                    Some(&e) if e != seq => return Some(state()),
                    None if known_base => return Some(state()),
                    _ => {}
                }
            }
            for (&pair, &seq) in expected {
                if list.contains_key(&pair) {
                    continue;
                }
                let domain = pair.0;
                if list.keys().any(|&(d, _)| d == domain) {
                    // A server is never dropped from a domain on its own.
                    return Some(state());
                }
                // FLUSH BINARY LOGS DELETE_DOMAIN_ID drops a whole domain,
                // and only one with a GTID unchanged since the oldest file:
                // not one whose every GTID was logged in the previous file.
                let droppable = !known_base
                    || self.list.as_ref().is_some_and(|l| {
                        l.keys().any(|p| p.0 == domain && !self.logged.contains(p))
                    });
                if !droppable {
                    return Some(format!(
                        "{} (domain {domain}, holding {}, is missing from it)",
                        state(),
                        mariadb_gtid_text(pair, seq)
                    ));
                }
            }
            None
        };
        let why = check(&self.state)?;
        // The last GTID may belong to a transaction cut by a crash.
        if let Some((pair, before)) = self.last_mariadb {
            let mut without = self.state.clone();
            match before {
                Some(b) => without.insert(pair, b),
                None => without.remove(&pair),
            };
            check(&without)?;
        }
        Some(why)
    }
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

#[cfg(test)]
mod continuity_tests {
    use super::*;

    fn previous_gtids_of(name: &str) -> Option<GtidSet> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/testdata/mysql-binlogs")
            .join(name);
        let mut r = EventReader::open(&path, ReaderOptions::default()).unwrap();
        while let Some(ev) = r.next_event().unwrap() {
            if ev.header.event_type == EventType::PREVIOUS_GTIDS {
                return parse_previous_gtids(ev.body());
            }
        }
        panic!("{name}: no PREVIOUS_GTIDS")
    }

    fn show(set: &GtidSet) -> Vec<String> {
        set.0
            .iter()
            .flat_map(|(k, v)| {
                v.iter()
                    .map(move |&(s, e)| format!("{}-{}", mysql_gtid_text(k, s), e - 1))
            })
            .collect()
    }

    #[test]
    fn previous_gtids_decode_plain_and_tagged() {
        let plain = previous_gtids_of("binlog_transaction_previous_GTID_no_tag.000001").unwrap();
        let tagged = previous_gtids_of("binlog_transaction_with_GTID_TAG.000001").unwrap();
        assert!(!plain.0.is_empty());
        assert!(
            tagged.0.keys().any(|k| k.1.is_some()),
            "{:?}",
            show(&tagged)
        );
        assert!(previous_gtids_of("binlog_transaction_with_GTID.000001")
            .unwrap()
            .0
            .is_empty());
    }

    #[test]
    fn previous_gtids_refuse_counts_the_body_cannot_hold() {
        let mut body = u64::MAX.to_le_bytes().to_vec();
        assert!(parse_previous_gtids(&body).is_none());
        body = 1u64.to_le_bytes().to_vec();
        body.extend_from_slice(&[0; 16]);
        body.extend_from_slice(&u64::MAX.to_le_bytes());
        assert!(parse_previous_gtids(&body).is_none());
        assert!(parse_previous_gtids(&[1, 2]).is_none());
    }

    #[test]
    fn gtid_sets_merge_and_find_what_is_missing() {
        let k: GtidKey = ([1; 16], None);
        let mut a = GtidSet::default();
        for g in [5, 1, 2, 3, 9, 4] {
            a.add(&k, g);
        }
        assert_eq!(a.0[&k], vec![(1, 6), (9, 10)]);
        let mut b = GtidSet::default();
        b.add_interval(&k, 1, 10);
        assert!(a.first_missing_from(&b).is_none());
        assert_eq!(b.first_missing_from(&a), Some((k.clone(), 6)));
    }
}
