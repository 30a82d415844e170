//! Which part of the binlogs to apply: a stop point and database filters.
//!
//! Everything here works at transaction boundaries: a replay never applies
//! part of a transaction.

use std::collections::HashMap;

use myreplay_binlog::{Event, EventData, Gtid, TransactionSummary};

/// Where to start and stop, besides positions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Range {
    /// Skip transactions committed before this time (seconds since the
    /// epoch, UTC; the binlog's 1-second resolution).
    pub start_time: Option<u32>,
    /// Stop before the first transaction committed at or after this time.
    pub stop_time: Option<u32>,
    /// Stop before this transaction.
    pub stop_before_gtid: Option<Gtid>,
    /// Stop after this transaction.
    pub stop_after_gtid: Option<Gtid>,
}

/// What the range says about one transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Apply,
    /// Before the start: not applied, reading goes on.
    Skip,
    /// Apply it, then stop reading.
    ApplyThenStop,
    /// Stop before it.
    Stop,
}

impl Range {
    /// Decides for a transaction, by its commit timestamp and GTID.
    pub fn decide(&self, t: &TransactionSummary) -> Decision {
        if let (Some(stop), Some(g)) = (&self.stop_before_gtid, &t.gtid) {
            if g == stop {
                return Decision::Stop;
            }
        }
        if self.stop_time.is_some_and(|s| t.timestamp >= s) {
            return Decision::Stop;
        }
        if self.start_time.is_some_and(|s| t.timestamp < s) {
            return Decision::Skip;
        }
        if let (Some(stop), Some(g)) = (&self.stop_after_gtid, &t.gtid) {
            if g == stop {
                return Decision::ApplyThenStop;
            }
        }
        Decision::Apply
    }
}

/// Database filters, mysqlbinlog's `--database` and an exclusion list. Row
/// events are filtered by their table's database; statements by their
/// default database (as mysqlbinlog does).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DatabaseFilter {
    /// When not empty, only these databases.
    pub only: Vec<String>,
    pub exclude: Vec<String>,
}

impl DatabaseFilter {
    pub fn is_empty(&self) -> bool {
        self.only.is_empty() && self.exclude.is_empty()
    }

    pub fn allows(&self, db: &str) -> bool {
        (self.only.is_empty() || self.only.iter().any(|d| d == db))
            && !self.exclude.iter().any(|d| d == db)
    }

    /// Keeps the events of a transaction the filter allows.
    pub fn retain(&self, events: Vec<Event>) -> Vec<Event> {
        if self.is_empty() {
            return events;
        }
        let mut table_db: HashMap<u64, bool> = HashMap::new();
        events
            .into_iter()
            .filter(|e| match &e.data {
                EventData::TableMap(t) => {
                    let ok = self.allows(&t.database_name());
                    table_db.insert(t.table_id(), ok);
                    ok
                }
                EventData::Rows(r) => table_db.get(&r.table_id).copied().unwrap_or(false),
                EventData::Query(q) => self.allows(&q.schema),
                _ => true,
            })
            .collect()
    }
}

/// Parses `YYYY-MM-DD HH:MM:SS` in the time zone `tz` (`UTC`, `+HH:MM`,
/// `-HH:MM`) into seconds since the epoch.
pub fn parse_datetime(text: &str, tz: &str) -> Result<u32, String> {
    let bad = || format!("`{text}`: expected YYYY-MM-DD HH:MM:SS (or YYYY-MM-DDTHH:MM:SS)");
    let (date, time) = text.trim().split_once([' ', 'T']).ok_or_else(bad)?;
    let d: Vec<i64> = date
        .split('-')
        .map(|p| p.parse().map_err(|_| bad()))
        .collect::<Result<_, _>>()?;
    let t: Vec<i64> = time
        .split(':')
        .map(|p| p.parse().map_err(|_| bad()))
        .collect::<Result<_, _>>()?;
    if d.len() != 3
        || t.len() != 3
        || !(1..=12).contains(&d[1])
        || !(1..=31).contains(&d[2])
        || t[0] > 23
        || t[1] > 59
        || t[2] > 60
    {
        return Err(bad());
    }
    let offset = parse_tz(tz)?;
    let days = days_from_civil(d[0], d[1], d[2]);
    let secs = days * 86_400 + t[0] * 3600 + t[1] * 60 + t[2] - offset;
    u32::try_from(secs).map_err(|_| format!("`{text}` is outside the binlog's timestamp range"))
}

/// A time zone as an offset from UTC in seconds.
pub fn parse_tz(tz: &str) -> Result<i64, String> {
    if tz.eq_ignore_ascii_case("UTC") || tz == "Z" || tz == "+00:00" {
        return Ok(0);
    }
    let bad = || {
        format!("time zone `{tz}`: expected UTC or an offset such as +02:00 (named zones are not supported: give the offset in force at that time)")
    };
    let (sign, rest) = match tz.as_bytes().first() {
        Some(b'+') => (1, &tz[1..]),
        Some(b'-') => (-1, &tz[1..]),
        _ => return Err(bad()),
    };
    let (h, m) = rest.split_once(':').ok_or_else(bad)?;
    let (h, m): (i64, i64) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if h > 14 || m > 59 {
        return Err(bad());
    }
    Ok(sign * (h * 3600 + m * 60))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetimes_and_zones() {
        assert_eq!(parse_datetime("1970-01-01 00:00:00", "UTC"), Ok(0));
        assert_eq!(
            parse_datetime("2023-11-14 22:13:20", "UTC"),
            Ok(1_700_000_000)
        );
        assert_eq!(
            parse_datetime("2023-11-15 00:13:20", "+02:00"),
            Ok(1_700_000_000)
        );
        assert_eq!(
            parse_datetime("2024-02-29T12:00:00", "-05:30"),
            Ok(1_709_227_800)
        );
        assert!(parse_datetime("2024-13-01 00:00:00", "UTC").is_err());
        assert!(parse_tz("Europe/Paris").is_err());
    }

    #[test]
    fn database_filter() {
        let f = DatabaseFilter {
            only: vec!["a".into()],
            exclude: vec![],
        };
        assert!(f.allows("a") && !f.allows("b"));
        let f = DatabaseFilter {
            only: vec![],
            exclude: vec!["b".into()],
        };
        assert!(f.allows("a") && !f.allows("b"));
    }
}
