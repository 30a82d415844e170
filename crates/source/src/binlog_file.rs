//! What one binlog file holds, from one pass over it: who wrote it, the GTID
//! state it starts with, its first and last transactions, and where it says
//! the next file is.

use std::path::{Path, PathBuf};

use myreplay_binlog::{
    EventData, EventStream, EventType, Gtid, GtidSet, Item, ReaderOptions, StreamOptions,
    TransactionStream,
};

use crate::error::SourceError;

/// One transaction's place: where it starts, its GTID and commit time.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TransactionMark {
    pub offset: u64,
    pub gtid: Option<Gtid>,
    /// Commit time on the source, seconds since the epoch (UTC).
    pub timestamp: u32,
}

/// A binlog file as one pass over it found it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BinlogFile {
    pub path: PathBuf,
    /// The file name (`binlog.000042`).
    pub name: String,
    pub size: u64,
    /// The server that wrote it (the FORMAT_DESCRIPTION event's server id)
    /// and its version.
    pub server_id: u32,
    pub server_version: String,
    /// The GTID state before the file (MariaDB GTID_LIST, MySQL
    /// PREVIOUS_GTIDS), when it has one.
    pub start_state: Option<GtidSet>,
    /// The GTIDs the file holds (MariaDB: each domain's last).
    pub gtids: GtidSet,
    pub first: Option<TransactionMark>,
    pub last: Option<TransactionMark>,
    pub transactions: u64,
    /// Transactions without a GTID (MySQL ANONYMOUS_GTID or none).
    pub without_gtid: u64,
    /// The file its closing ROTATE names.
    pub rotate_to: Option<String>,
    /// The server had not closed it (the FORMAT_DESCRIPTION's in-use flag):
    /// it was still being written, or the server crashed.
    pub in_use: bool,
    /// A relay log, not a binlog the server wrote itself: named like one
    /// (`*relay-bin.NNNNNN`), or holding a second FORMAT_DESCRIPTION (its
    /// source's).
    pub relay_log: bool,
    /// Where reading it stopped early, and why (truncated, damaged...): a
    /// replay stops there too.
    pub problem: Option<String>,
}

impl BinlogFile {
    /// Reads `path` once. Errors only when it is not a readable binlog at
    /// all; trouble further in is kept in [`BinlogFile::problem`].
    pub fn scan(path: &Path, options: ReaderOptions) -> Result<BinlogFile, SourceError> {
        let name = file_name(path);
        let size = std::fs::metadata(path)
            .map_err(|source| SourceError::Io {
                path: path.to_path_buf(),
                source,
            })?
            .len();
        let stream = StreamOptions {
            reader: options,
            check_sequence: false,
            ..StreamOptions::default()
        };
        let events = EventStream::open(&[path], stream).map_err(SourceError::Binlog)?;
        let mut txns = TransactionStream::new(events);
        let mut file = BinlogFile {
            path: path.to_path_buf(),
            name,
            size,
            server_id: 0,
            server_version: String::new(),
            start_state: None,
            gtids: GtidSet::default(),
            first: None,
            last: None,
            transactions: 0,
            without_gtid: 0,
            rotate_to: None,
            in_use: false,
            relay_log: false,
            problem: None,
        };
        file.relay_log = file.name.contains("relay-bin.");
        let mut formats = 0;
        loop {
            let item = match txns.next_item() {
                Ok(Some(item)) => item,
                Ok(None) => break,
                // Not a binlog at all: the caller decides what that means.
                Err(e @ myreplay_binlog::Error::NotABinlog { .. }) if formats == 0 => {
                    return Err(SourceError::Binlog(e))
                }
                Err(e) => {
                    file.problem = Some(e.to_string());
                    break;
                }
            };
            match item {
                Item::Bookkeeping(e) => match &e.data {
                    EventData::FormatDescription {
                        server_version,
                        in_use,
                        ..
                    } => {
                        formats += 1;
                        if formats == 1 {
                            file.server_id = e.raw.header.server_id;
                            file.server_version = server_version.clone();
                            file.in_use = *in_use;
                        } else {
                            // A server writes one per binlog; a relay log
                            // holds its source's too.
                            file.relay_log = true;
                        }
                    }
                    EventData::GtidList(list) if file.start_state.is_none() => {
                        file.start_state = Some(GtidSet::from_gtid_list(list));
                    }
                    EventData::PreviousGtids if file.start_state.is_none() => {
                        file.start_state = GtidSet::from_previous_gtids(e.raw.body());
                    }
                    EventData::Rotate { next_file, .. }
                        if e.raw.header.event_type == EventType::ROTATE =>
                    {
                        file.rotate_to = Some(next_file.clone());
                    }
                    _ => {}
                },
                Item::End(t) => {
                    let mark = TransactionMark {
                        offset: t.start.offset,
                        gtid: t.gtid.clone(),
                        timestamp: t.timestamp,
                    };
                    match &t.gtid {
                        Some(g) => file.gtids.insert(g),
                        None => file.without_gtid += 1,
                    }
                    file.transactions += 1;
                    file.first.get_or_insert_with(|| mark.clone());
                    file.last = Some(mark);
                }
                Item::Begin(_) | Item::Event(_) => {}
            }
        }
        Ok(file)
    }

    /// The GTID state after the file: its start state and its own GTIDs.
    pub fn end_state(&self) -> GtidSet {
        let mut s = self.start_state.clone().unwrap_or_default();
        s.extend(&self.gtids);
        s
    }

    /// Whether MariaDB wrote it.
    pub fn is_mariadb(&self) -> bool {
        self.server_version.contains("MariaDB")
    }
}

/// The GTID state a binlog has at `offset` of `file` (which must be an
/// event boundary): the file's start state and the GTIDs of the
/// transactions that start before `offset`.
pub fn state_at(
    file: &BinlogFile,
    offset: u64,
    options: ReaderOptions,
) -> Result<GtidSet, SourceError> {
    let stream = StreamOptions {
        reader: options,
        check_sequence: false,
        stop_position: Some(offset),
        ..StreamOptions::default()
    };
    let events = EventStream::open(&[&file.path], stream).map_err(SourceError::Binlog)?;
    let mut txns = TransactionStream::new(events);
    let mut state = file.start_state.clone().unwrap_or_default();
    loop {
        match txns.next_item() {
            Ok(Some(Item::End(t))) => {
                if let Some(g) = &t.gtid {
                    state.insert(g);
                }
            }
            Ok(Some(_)) => {}
            Ok(None) | Err(myreplay_binlog::Error::IncompleteTransaction { .. }) => break,
            Err(e) => return Err(SourceError::Binlog(e)),
        }
    }
    Ok(state)
}

/// The last component of `path`, as text.
pub(crate) fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}
