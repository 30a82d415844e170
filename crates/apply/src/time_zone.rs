//! Times as a DBA gives and reads them: a local time in a time zone, to a
//! binlog timestamp, and back. Zones are `UTC`, a fixed offset (`+02:00`,
//! `-05:30`) or an IANA name (`Europe/Paris`, `America/New_York`) from the
//! system's time zone database, with its daylight-saving rules (the `jiff`
//! crate does the calendar and zone arithmetic). A local time that does not
//! exist in the zone (the clocks jumped over it) or exists twice (they went
//! back over it) is refused, naming the candidates and how to pick one.

use jiff::civil::DateTime;
use jiff::tz::{AmbiguousOffset, Offset, TimeZone};
use jiff::Timestamp;

/// A time zone given on the command line.
#[derive(Debug, Clone)]
pub struct Zone {
    name: String,
    tz: TimeZone,
}

impl Zone {
    /// `UTC` (or `Z`), `+HH:MM` / `-HH:MM`, or an IANA zone name.
    pub fn parse(name: &str) -> Result<Zone, String> {
        let name = name.trim();
        if name.eq_ignore_ascii_case("UTC") || name == "Z" {
            return Ok(Zone {
                name: "UTC".into(),
                tz: TimeZone::UTC,
            });
        }
        if let Some(sign) = match name.as_bytes().first() {
            Some(b'+') => Some(1),
            Some(b'-') => Some(-1),
            _ => None,
        } {
            let bad = || format!("time zone `{name}`: expected an offset such as +02:00");
            let (h, m) = name[1..].split_once(':').ok_or_else(bad)?;
            let (h, m): (i32, i32) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
            if h > 14 || m > 59 {
                return Err(bad());
            }
            let offset = Offset::from_seconds(sign * (h * 3600 + m * 60)).map_err(|_| bad())?;
            return Ok(Zone {
                name: name.into(),
                tz: TimeZone::fixed(offset),
            });
        }
        let tz = TimeZone::get(name).map_err(|e| {
            format!(
                "time zone `{name}`: not UTC, an offset such as +02:00, nor a zone of the system's time zone database ({e}); names are like Europe/Paris (the tzdata package provides them)"
            )
        })?;
        Ok(Zone {
            name: name.into(),
            tz,
        })
    }

    /// The zone as given.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `YYYY-MM-DD HH:MM:SS` (or with `T`) in this zone, as seconds since
    /// the epoch.
    pub fn timestamp_of(&self, text: &str) -> Result<u32, String> {
        let dt = parse_civil(text)?;
        let ambiguous = self.tz.to_ambiguous_timestamp(dt);
        let instant = |offset: Offset| {
            offset
                .to_timestamp(dt)
                .map(|t| t.strftime("%Y-%m-%d %H:%M:%S UTC").to_string())
                .unwrap_or_default()
        };
        let ts = match ambiguous.offset() {
            AmbiguousOffset::Unambiguous { offset } => offset
                .to_timestamp(dt)
                .map_err(|e| format!("`{text}` in {}: {e}", self.name))?,
            AmbiguousOffset::Gap { before, after } => {
                let (gap_before, gap_after) = (before, after);
                let (before, after) = (hhmm(before), hhmm(after));
                return Err(format!(
                    "`{text}` does not exist in {}: the clocks went from {before} to {after} then, over that time. Give a time before or after the change, or say which offset you mean: --timezone {before} ({}) or --timezone {after} ({})",
                    self.name,
                    instant(gap_before),
                    instant(gap_after)
                ));
            }
            AmbiguousOffset::Fold { before, after } => {
                let (fold_before, fold_after) = (before, after);
                let (before, after) = (hhmm(before), hhmm(after));
                return Err(format!(
                    "`{text}` happened twice in {}: the clocks went back from {before} to {after} over that time. Say which with --timezone {before} ({}, the first) or --timezone {after} ({}, the second)",
                    self.name,
                    instant(fold_before),
                    instant(fold_after)
                ));
            }
        };
        u32::try_from(ts.as_second())
            .map_err(|_| format!("`{text}` is outside the binlog's timestamp range"))
    }

    /// A binlog timestamp as `YYYY-MM-DD HH:MM:SS` in this zone (with the
    /// zone's abbreviation, e.g. `CEST`, unless the zone is UTC or an offset).
    pub fn format(&self, ts: u32) -> String {
        let Ok(t) = Timestamp::from_second(i64::from(ts)) else {
            return ts.to_string();
        };
        let zoned = t.to_zoned(self.tz.clone());
        if self.tz.iana_name().is_some() && self.name != "UTC" {
            zoned.strftime("%Y-%m-%d %H:%M:%S %Z").to_string()
        } else {
            zoned.strftime("%Y-%m-%d %H:%M:%S").to_string()
        }
    }
}

impl Zone {
    /// A commit time in microseconds since the epoch as `YYYY-MM-DD
    /// HH:MM:SS.ffffff` in this zone (with its abbreviation, as
    /// [`Zone::format`]).
    pub fn format_micros(&self, us: u64) -> String {
        let Ok(t) = Timestamp::from_microsecond(us as i64) else {
            return us.to_string();
        };
        let zoned = t.to_zoned(self.tz.clone());
        if self.tz.iana_name().is_some() && self.name != "UTC" {
            zoned.strftime("%Y-%m-%d %H:%M:%S%.6f %Z").to_string()
        } else {
            zoned.strftime("%Y-%m-%d %H:%M:%S%.6f").to_string()
        }
    }

    /// A time in microseconds since the epoch as RFC 3339 in this zone,
    /// with its offset (`2026-10-25T02:30:00.000123+02:00`): for JSON.
    pub fn rfc3339_micros(&self, us: u64) -> String {
        let Ok(t) = Timestamp::from_microsecond(us as i64) else {
            return us.to_string();
        };
        t.to_zoned(self.tz.clone())
            .strftime("%Y-%m-%dT%H:%M:%S%.6f%:z")
            .to_string()
    }
}

/// An offset as `+HH:MM`, the form `--timezone` takes.
fn hhmm(offset: Offset) -> String {
    let s = offset.seconds();
    let sign = if s < 0 { '-' } else { '+' };
    format!("{sign}{:02}:{:02}", s.abs() / 3600, s.abs() % 3600 / 60)
}

/// A binlog timestamp as `YYYY-MM-DD HH:MM:SS` (UTC).
pub fn utc(ts: u32) -> String {
    Zone {
        name: "UTC".into(),
        tz: TimeZone::UTC,
    }
    .format(ts)
}

/// `YYYY-MM-DD HH:MM:SS` in the zone `tz` (see [`Zone::parse`]) as seconds
/// since the epoch.
pub fn parse_datetime(text: &str, tz: &str) -> Result<u32, String> {
    Zone::parse(tz)?.timestamp_of(text)
}

/// `YYYY-MM-DD HH:MM:SS` or `YYYY-MM-DDTHH:MM:SS`, a real calendar time.
fn parse_civil(text: &str) -> Result<DateTime, String> {
    let bad = || format!("`{text}`: expected YYYY-MM-DD HH:MM:SS (or YYYY-MM-DDTHH:MM:SS)");
    let (date, time) = text.trim().split_once([' ', 'T']).ok_or_else(bad)?;
    let d: Vec<i32> = date
        .split('-')
        .map(|p| p.parse().map_err(|_| bad()))
        .collect::<Result<_, _>>()?;
    let t: Vec<i32> = time
        .split(':')
        .map(|p| p.parse().map_err(|_| bad()))
        .collect::<Result<_, _>>()?;
    let (&[y, mo, day], &[h, mi, s]) = (&d[..], &t[..]) else {
        return Err(bad());
    };
    let narrow = |v: i32| i8::try_from(v).map_err(|_| bad());
    DateTime::new(
        i16::try_from(y).map_err(|_| bad())?,
        narrow(mo)?,
        narrow(day)?,
        narrow(h)?,
        narrow(mi)?,
        narrow(s)?,
        0,
    )
    .map_err(|e| format!("`{text}`: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_zones_and_utc() {
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
        assert!(parse_datetime("2023-02-29 00:00:00", "UTC").is_err());
        assert_eq!(utc(1_700_000_000), "2023-11-14 22:13:20");
    }

    #[test]
    fn named_zones_follow_daylight_saving() {
        // Paris: CET (+01:00) in winter, CEST (+02:00) in summer.
        assert_eq!(
            parse_datetime("2026-01-15 12:00:00", "Europe/Paris"),
            parse_datetime("2026-01-15 11:00:00", "UTC")
        );
        assert_eq!(
            parse_datetime("2026-07-15 12:00:00", "Europe/Paris"),
            parse_datetime("2026-07-15 10:00:00", "UTC")
        );
        let paris = Zone::parse("Europe/Paris").unwrap();
        let ts = parse_datetime("2026-07-15 10:00:00", "UTC").unwrap();
        assert_eq!(paris.format(ts), "2026-07-15 12:00:00 CEST");
        assert!(Zone::parse("Mars/Olympus_Mons").is_err());
    }

    #[test]
    fn a_local_time_skipped_or_repeated_by_a_change_is_refused_naming_both() {
        // 2026-03-29: 02:00 CET became 03:00 CEST.
        let gap = parse_datetime("2026-03-29 02:30:00", "Europe/Paris").unwrap_err();
        assert!(gap.contains("does not exist in Europe/Paris"), "{gap}");
        assert!(
            gap.contains("--timezone +01:00") && gap.contains("--timezone +02:00"),
            "{gap}"
        );
        // 2026-10-25: 03:00 CEST became 02:00 CET.
        let fold = parse_datetime("2026-10-25 02:30:00", "Europe/Paris").unwrap_err();
        assert!(fold.contains("happened twice in Europe/Paris"), "{fold}");
        assert!(
            fold.contains("2026-10-25 00:30:00 UTC, the first"),
            "{fold}"
        );
        assert!(
            fold.contains("2026-10-25 01:30:00 UTC, the second"),
            "{fold}"
        );
        // The offsets they name pick one.
        assert_eq!(
            parse_datetime("2026-10-25 02:30:00", "+02:00"),
            parse_datetime("2026-10-25 00:30:00", "UTC")
        );
    }

    #[test]
    fn commit_times_to_the_microsecond_in_a_zone() {
        let paris = Zone::parse("Europe/Paris").unwrap();
        // 2026-07-01 10:00:00.000123 UTC
        let us = 1_782_900_000_000_123;
        assert_eq!(paris.format_micros(us), "2026-07-01 12:00:00.000123 CEST");
        assert_eq!(paris.rfc3339_micros(us), "2026-07-01T12:00:00.000123+02:00");
        let utc = Zone::parse("UTC").unwrap();
        assert_eq!(utc.format_micros(us), "2026-07-01 10:00:00.000123");
        assert_eq!(utc.rfc3339_micros(us), "2026-07-01T10:00:00.000123+00:00");
    }
}
