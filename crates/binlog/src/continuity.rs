//! Whether one binlog file continues the previous one, from the GTID state
//! each file starts with (MariaDB GTID_LIST, MySQL PREVIOUS_GTIDS): files of
//! two servers mixed are refused where that proves it. Used by
//! [`EventStream`](crate::EventStream) when it moves to the next file.

use std::collections::{BTreeMap, BTreeSet};

use crate::event::EventData;
use crate::gtid::Gtid;
use crate::reader::RawEvent;

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
pub(crate) struct GtidTrail {
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
    pub(crate) unreliable: bool,
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
    pub(crate) fn observe(&mut self, raw: &RawEvent, data: &EventData) {
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
    pub(crate) fn mismatch(
        &self,
        next: &GtidTrail,
        prev_name: &str,
        next_name: &str,
    ) -> Option<String> {
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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::event_type::EventType;
    use crate::reader::{EventReader, ReaderOptions};

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
