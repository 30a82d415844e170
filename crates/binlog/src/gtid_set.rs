//! GTID sets and states, MySQL and MariaDB, compared as sets, never as
//! strings.
//!
//! - MySQL: a set of GTIDs, per source (server UUID and tag) sorted disjoint
//!   intervals: `uuid:1-5:7-9,uuid2:tag:1-3` (what `gtid_executed`,
//!   `GTID_PURGED` and PREVIOUS_GTIDS hold). Gaps are allowed.
//! - MariaDB: a GTID state, per replication domain the last GTID:
//!   `0-1-100,1-2-7` (what `gtid_slave_pos`, `gtid_binlog_pos` and a backup
//!   record). A GTID `d-s-n` is inside the state when domain `d` is in it
//!   with a sequence number of at least `n`: sequence numbers grow within a
//!   domain, whichever server wrote them.

use std::collections::BTreeMap;
use std::fmt;

use crate::gtid::{fmt_uuid, Gtid};

/// A MySQL GTID's source: server UUID and tag.
pub type GtidSource = ([u8; 16], Option<String>);

/// A set of MySQL GTIDs and a MariaDB GTID state (either may be empty).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct GtidSet {
    /// MySQL: per source, sorted disjoint intervals `[start, end)`.
    mysql: BTreeMap<GtidSource, Vec<(u64, u64)>>,
    /// MariaDB: per domain, the last GTID's server id and sequence number.
    mariadb: BTreeMap<u32, (u32, u64)>,
}

impl GtidSet {
    /// Nothing in it.
    pub fn is_empty(&self) -> bool {
        self.mysql.is_empty() && self.mariadb.is_empty()
    }

    /// Whether it holds MariaDB domains.
    pub fn has_mariadb(&self) -> bool {
        !self.mariadb.is_empty()
    }

    /// Whether it holds MySQL GTIDs.
    pub fn has_mysql(&self) -> bool {
        !self.mysql.is_empty()
    }

    /// Whether `gtid` is in the set (MySQL) or at or before the state
    /// (MariaDB; a domain the state does not name holds nothing).
    pub fn contains(&self, gtid: &Gtid) -> bool {
        match gtid {
            Gtid::MySql { sid, tag, gno } => self
                .mysql
                .get(&(*sid, tag.clone()))
                .is_some_and(|v| v.iter().any(|&(s, e)| s <= *gno && *gno < e)),
            Gtid::MariaDb { domain, seq, .. } => {
                self.mariadb.get(domain).is_some_and(|&(_, n)| *seq <= n)
            }
        }
    }

    /// Adds `gtid`: to the MySQL set, or as its domain's position in the
    /// MariaDB state when it is past it.
    pub fn insert(&mut self, gtid: &Gtid) {
        match gtid {
            Gtid::MySql { sid, tag, gno } => {
                self.add_interval(&(*sid, tag.clone()), *gno, gno.saturating_add(1))
            }
            Gtid::MariaDb {
                domain,
                server,
                seq,
            } => {
                let e = self.mariadb.entry(*domain).or_insert((*server, *seq));
                if *seq >= e.1 {
                    *e = (*server, *seq);
                }
            }
        }
    }

    /// Everything of `other` added.
    pub fn extend(&mut self, other: &GtidSet) {
        for (key, v) in &other.mysql {
            for &(s, e) in v {
                self.add_interval(key, s, e);
            }
        }
        for (&d, &(server, seq)) in &other.mariadb {
            self.insert(&Gtid::MariaDb {
                domain: d,
                server,
                seq,
            });
        }
    }

    /// The MariaDB domains named, with their last GTID.
    pub fn mariadb_domains(&self) -> impl Iterator<Item = Gtid> + '_ {
        self.mariadb
            .iter()
            .map(|(&domain, &(server, seq))| Gtid::MariaDb {
                domain,
                server,
                seq,
            })
    }

    /// The position of MariaDB domain `domain`, if named.
    pub fn mariadb_domain(&self, domain: u32) -> Option<Gtid> {
        self.mariadb
            .get(&domain)
            .map(|&(server, seq)| Gtid::MariaDb {
                domain,
                server,
                seq,
            })
    }

    /// The first GTID of `self` that `other` does not hold (MySQL: the
    /// lowest missing number of the first source; MariaDB: the first domain
    /// `other` does not name or holds less of), if any.
    pub fn first_missing_from(&self, other: &GtidSet) -> Option<Gtid> {
        for (key, intervals) in &self.mysql {
            let theirs = other.mysql.get(key).map(Vec::as_slice).unwrap_or(&[]);
            for &(s, e) in intervals {
                let mut at = s;
                while at < e {
                    match theirs.iter().find(|&&(ts, te)| ts <= at && at < te) {
                        Some(&(_, te)) => at = te,
                        None => {
                            return Some(Gtid::MySql {
                                sid: key.0,
                                tag: key.1.clone(),
                                gno: at,
                            })
                        }
                    }
                }
            }
        }
        self.mariadb_domains().find(|g| !other.contains(g))
    }

    /// The part of `self` whose MySQL sources (UUID and tag) and MariaDB
    /// domains `other` names too.
    pub fn restricted_to(&self, other: &GtidSet) -> GtidSet {
        GtidSet {
            mysql: self
                .mysql
                .iter()
                .filter(|(k, _)| other.mysql.contains_key(*k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            mariadb: self
                .mariadb
                .iter()
                .filter(|(d, _)| other.mariadb.contains_key(*d))
                .map(|(d, v)| (*d, *v))
                .collect(),
        }
    }

    /// Whether every GTID of `self` is in `other`.
    pub fn is_subset(&self, other: &GtidSet) -> bool {
        self.first_missing_from(other).is_none()
    }

    pub(crate) fn add_interval(&mut self, key: &GtidSource, start: u64, end: u64) {
        if start >= end {
            return;
        }
        let v = self.mysql.entry(key.clone()).or_default();
        // The common case: GTIDs in increasing order, extending the last interval.
        match v.last_mut() {
            Some(last) if start == last.1 => {
                last.1 = end;
                return;
            }
            Some(last) if start > last.1 => {
                v.push((start, end));
                return;
            }
            None => {
                v.push((start, end));
                return;
            }
            Some(_) => {}
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

    /// The MySQL part: per source, intervals `[start, end)`.
    #[cfg(test)]
    pub(crate) fn mysql_intervals(&self) -> &BTreeMap<GtidSource, Vec<(u64, u64)>> {
        &self.mysql
    }

    /// Decodes a MySQL PREVIOUS_GTIDS event body (plain or, MySQL 8.3+, tagged), refusing
    /// counts the body cannot hold before allocating for them.
    pub fn from_previous_gtids(body: &[u8]) -> Option<GtidSet> {
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

    /// A MariaDB GTID_LIST (the binlog state: the last GTID of each domain
    /// and server) as a state: per domain, its highest sequence number.
    pub fn from_gtid_list(list: &[Gtid]) -> GtidSet {
        let mut set = GtidSet::default();
        for g in list {
            set.insert(g);
        }
        set
    }
}

/// Text as MySQL and MariaDB print it: `uuid:1-5:7,uuid2:tag:1-3` and
/// `0-1-100,1-2-7` (MySQL part first when both are present).
impl fmt::Display for GtidSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        let mut sep = |f: &mut fmt::Formatter<'_>| {
            if !std::mem::take(&mut first) {
                f.write_str(",")?;
            }
            Ok::<_, fmt::Error>(())
        };
        let mut last_sid: Option<[u8; 16]> = None;
        for ((sid, tag), v) in &self.mysql {
            if last_sid != Some(*sid) {
                sep(f)?;
                fmt_uuid(f, sid)?;
                last_sid = Some(*sid);
            }
            if let Some(tag) = tag {
                write!(f, ":{tag}")?;
            }
            for &(s, e) in v {
                if e - s == 1 {
                    write!(f, ":{s}")?;
                } else {
                    write!(f, ":{s}-{}", e - 1)?;
                }
            }
        }
        for g in self.mariadb_domains() {
            sep(f)?;
            write!(f, "{g}")?;
        }
        Ok(())
    }
}

impl serde::Serialize for GtidSet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Parses the forms the servers and backup tools write: comma-separated
/// members, whitespace and line breaks anywhere between them; a MySQL member
/// is `uuid(:tag)?(:n|:n-m)+` where a tag applies to the intervals after it
/// (`uuid:1-5:tag:1-3`); a MariaDB member is `domain-server-seq`. An empty
/// text is the empty set. MariaDB: one GTID per domain.
impl std::str::FromStr for GtidSet {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let mut set = GtidSet::default();
        for member in compact.split(',').filter(|m| !m.is_empty()) {
            let bad = |why: &str| {
                format!("`{member}` in the GTID set `{compact}`: {why}; expected MySQL `uuid:1-5[:tag:1-3]` or MariaDB `domain-server-seq` members separated by commas")
            };
            match member.split_once(':') {
                Some((uuid, rest)) => {
                    let sid = parse_uuid(uuid).ok_or_else(|| bad("not a server UUID"))?;
                    let mut tag: Option<String> = None;
                    let mut intervals = 0;
                    for part in rest.split(':') {
                        if let Some((s, e)) = parse_interval(part) {
                            if s == 0 || e < s {
                                return Err(bad("an interval must be n or n-m with 1 <= n <= m"));
                            }
                            set.add_interval(&(sid, tag.clone()), s, e + 1);
                            intervals += 1;
                        } else if is_tag(part) {
                            tag = Some(part.to_ascii_lowercase());
                        } else {
                            return Err(bad(&format!("`{part}` is neither an interval nor a tag")));
                        }
                    }
                    if intervals == 0 {
                        return Err(bad("no interval"));
                    }
                }
                None => {
                    let g: Gtid = member.parse().map_err(|e: String| bad(&e))?;
                    let Gtid::MariaDb { domain, .. } = g else {
                        return Err(bad("not a MariaDB GTID"));
                    };
                    if set.mariadb.contains_key(&domain) {
                        return Err(bad(&format!(
                            "domain {domain} is named twice (a MariaDB GTID state has one GTID per domain)"
                        )));
                    }
                    set.insert(&g);
                }
            }
        }
        Ok(set)
    }
}

fn parse_uuid(text: &str) -> Option<[u8; 16]> {
    let hex: Vec<u8> = text.bytes().filter(|b| *b != b'-').collect();
    if hex.len() != 32 || text.len() != 36 {
        return None;
    }
    let mut sid = [0u8; 16];
    for (i, b) in sid.iter_mut().enumerate() {
        *b = u8::from_str_radix(std::str::from_utf8(&hex[2 * i..2 * i + 2]).ok()?, 16).ok()?;
    }
    Some(sid)
}

fn parse_interval(text: &str) -> Option<(u64, u64)> {
    let num = |s: &str| {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    match text.split_once('-') {
        Some((a, b)) => Some((num(a)?, num(b)?)),
        None => num(text).map(|n| (n, n)),
    }
}

/// MySQL tags: a letter or underscore, then letters, digits, underscores; at
/// most 32 characters.
fn is_tag(text: &str) -> bool {
    let mut b = text.bytes();
    text.len() <= 32
        && b.next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == b'_')
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
    const B: &str = "4d7b1a2c-0d1f-11ef-8a2b-0242ac120002";

    fn g(s: &str) -> Gtid {
        s.parse().unwrap()
    }

    #[test]
    fn mysql_sets_are_sets_with_gaps_sources_and_tags() {
        let s: GtidSet = format!("{A}:1-5:7-9,\n {B}:1-3:blue:4-6").parse().unwrap();
        for yes in ["1", "5", "7", "9"] {
            assert!(s.contains(&g(&format!("{A}:{yes}"))));
        }
        for no in ["6", "10"] {
            assert!(!s.contains(&g(&format!("{A}:{no}"))));
        }
        assert!(s.contains(&g(&format!("{B}:blue:4"))));
        assert!(!s.contains(&g(&format!("{B}:4"))));
        assert!(!s.contains(&g(&format!("{B}:blue:1"))));
        assert_eq!(s.to_string(), format!("{A}:1-5:7-9,{B}:1-3:blue:4-6"));
        let same: GtidSet = format!("{B}:blue:4-6,{B}:1-2,{B}:3,{A}:7-9:1-5")
            .parse()
            .unwrap();
        assert_eq!(same, s, "compared as sets, not as strings");
        let sub: GtidSet = format!("{A}:2-4").parse().unwrap();
        assert!(sub.is_subset(&s));
        assert!(!s.is_subset(&sub));
        assert_eq!(s.first_missing_from(&sub), Some(g(&format!("{A}:1"))));
    }

    #[test]
    fn mariadb_states_are_per_domain_by_sequence_number() {
        let s: GtidSet = "0-1-100, 1-2-7".parse().unwrap();
        assert!(s.contains(&g("0-1-100")));
        assert!(
            s.contains(&g("0-2-50")),
            "another server of the domain, earlier"
        );
        assert!(!s.contains(&g("0-1-101")));
        assert!(!s.contains(&g("2-1-1")), "a domain not named holds nothing");
        assert_eq!(s.to_string(), "0-1-100,1-2-7");
        assert!("0-1-1,0-2-2".parse::<GtidSet>().is_err());
        let list = GtidSet::from_gtid_list(&[g("0-1-100"), g("0-2-120"), g("1-1-3")]);
        assert_eq!(list.to_string(), "0-2-120,1-1-3");
        assert!(list.is_subset(&"0-1-120,1-1-3".parse().unwrap()));
        assert!(!list.is_subset(&"0-1-119,1-1-3".parse().unwrap()));
    }

    #[test]
    fn bad_sets_are_refused_with_the_member() {
        for bad in [
            "abc:1",
            A,
            &format!("{A}:0"),
            &format!("{A}:5-3"),
            &format!("{A}:1-x"),
            "0-1",
        ] {
            let e = bad.parse::<GtidSet>().unwrap_err();
            assert!(e.contains("GTID set"), "{e}");
        }
        assert!("".parse::<GtidSet>().unwrap().is_empty());
    }
}
