//! Global transaction identifiers, MySQL and MariaDB.

use std::fmt;

/// A transaction's GTID as the source wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Gtid {
    /// MySQL `uuid:n`, or `uuid:tag:n` (8.4+ tagged GTIDs).
    MySql {
        sid: [u8; 16],
        tag: Option<String>,
        gno: u64,
    },
    /// MariaDB `domain-server-seq`.
    MariaDb { domain: u32, server: u32, seq: u64 },
}

impl fmt::Display for Gtid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Gtid::MySql { sid, tag, gno } => {
                fmt_uuid(f, sid)?;
                if let Some(tag) = tag {
                    write!(f, ":{tag}")?;
                }
                write!(f, ":{gno}")
            }
            Gtid::MariaDb {
                domain,
                server,
                seq,
            } => write!(f, "{domain}-{server}-{seq}"),
        }
    }
}

impl serde::Serialize for Gtid {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Writes 16 bytes as a canonical UUID.
pub(crate) fn fmt_uuid(f: &mut impl fmt::Write, sid: &[u8; 16]) -> fmt::Result {
    for (i, b) in sid.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            f.write_char('-')?;
        }
        write!(f, "{b:02x}")?;
    }
    Ok(())
}

/// Parses `uuid[:tag]:n` or `domain-server-seq`.
impl std::str::FromStr for Gtid {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || {
            format!("`{s}` is not a GTID: expected MariaDB `domain-server-seq` (e.g. 0-1-42) or MySQL `uuid[:tag]:n`")
        };
        if let Some((uuid, rest)) = s.split_once(':') {
            let hex: String = uuid.chars().filter(|c| *c != '-').collect();
            if hex.len() != 32 {
                return Err(bad());
            }
            let mut sid = [0u8; 16];
            for (i, b) in sid.iter_mut().enumerate() {
                *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
            }
            let (tag, gno) = match rest.rsplit_once(':') {
                Some((tag, n)) => (Some(tag.to_ascii_lowercase()), n),
                None => (None, rest),
            };
            let gno = gno.parse().map_err(|_| bad())?;
            return Ok(Gtid::MySql { sid, tag, gno });
        }
        let mut it = s.splitn(3, '-');
        let (Some(d), Some(sv), Some(q)) = (it.next(), it.next(), it.next()) else {
            return Err(bad());
        };
        Ok(Gtid::MariaDb {
            domain: d.parse().map_err(|_| bad())?,
            server: sv.parse().map_err(|_| bad())?,
            seq: q.parse().map_err(|_| bad())?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Gtid;

    #[test]
    fn gtids_round_trip_through_text() {
        for s in [
            "0-1-42",
            "3a6b8e2c-0d1f-11ef-8a2b-0242ac120002:17",
            "3a6b8e2c-0d1f-11ef-8a2b-0242ac120002:blue:17",
        ] {
            let g: Gtid = s.parse().unwrap();
            assert_eq!(g.to_string(), s);
        }
        assert!("0-1".parse::<Gtid>().is_err());
        assert!("abc:1".parse::<Gtid>().is_err());
    }
}
