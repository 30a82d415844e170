//! Whether one binlog file continues the previous one, from the GTID state
//! each file starts with (MariaDB GTID_LIST, MySQL PREVIOUS_GTIDS): files of
//! two servers mixed are refused where that proves it. Used by
//! [`EventStream`](crate::EventStream) when it moves to the next file.

use std::collections::{BTreeMap, BTreeSet};

use crate::event::EventData;
use crate::gtid::Gtid;
use crate::gtid_set::{GtidSet, GtidSource};
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

type GtidKey = GtidSource;

#[cfg(test)]
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
                match GtidSet::from_previous_gtids(raw.body()) {
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
                            self.seen.add_interval(&key, gno, gno.saturating_add(1));
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
            required.extend(&self.seen);
            let missing = required.first_missing_from(previous)?;
            let whence = if self.seen.first_missing_from(previous).is_some() {
                "holds"
            } else {
                "lists in its PREVIOUS_GTIDS event"
            };
            return Some(format!(
                "{next_name} does not continue {prev_name}: its PREVIOUS_GTIDS event (at offset {}) lacks {}, which {prev_name} {whence}",
                next.list_at,
                missing,
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
                return GtidSet::from_previous_gtids(ev.body());
            }
        }
        panic!("{name}: no PREVIOUS_GTIDS")
    }

    fn show(set: &GtidSet) -> Vec<String> {
        set.mysql_intervals()
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
        assert!(plain.has_mysql());
        assert!(
            tagged.mysql_intervals().keys().any(|k| k.1.is_some()),
            "{:?}",
            show(&tagged)
        );
        assert!(previous_gtids_of("binlog_transaction_with_GTID.000001")
            .unwrap()
            .is_empty());
    }

    #[test]
    fn previous_gtids_refuse_counts_the_body_cannot_hold() {
        let mut body = u64::MAX.to_le_bytes().to_vec();
        assert!(GtidSet::from_previous_gtids(&body).is_none());
        body = 1u64.to_le_bytes().to_vec();
        body.extend_from_slice(&[0; 16]);
        body.extend_from_slice(&u64::MAX.to_le_bytes());
        assert!(GtidSet::from_previous_gtids(&body).is_none());
        assert!(GtidSet::from_previous_gtids(&[1, 2]).is_none());
    }
}
