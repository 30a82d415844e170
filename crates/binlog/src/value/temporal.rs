//! Date and time formats of row images.
//!
//! The 5.6+ types (TIME2, DATETIME2, TIMESTAMP2) are big-endian so that they sort bytewise;
//! their fraction takes `(fsp + 1) / 2` bytes holding the fraction in units of
//! 10^(6 - 2·bytes) µs. The older types are little-endian integers.

use super::{Value, ValueError};

/// Offset added to the 40-bit integer part of DATETIME2 (its sign bit).
const DATETIME2_OFFSET: u64 = 0x80_0000_0000;
/// Offset added to the 24-bit integer part of TIME2 with fsp < 5.
const TIME2_INT_OFFSET: i64 = 0x80_0000;
/// Offset added to the 48-bit TIME2 value with fsp 5 or 6.
const TIME2_OFFSET: i64 = 0x8000_0000_0000;

/// Fields of a TIME value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TimeParts {
    pub negative: bool,
    pub hours: u32,
    pub minutes: u8,
    pub seconds: u8,
    pub micros: u32,
}

impl From<TimeParts> for Value {
    fn from(p: TimeParts) -> Self {
        Value::Time {
            negative: p.negative,
            hours: p.hours,
            minutes: p.minutes,
            seconds: p.seconds,
            micros: p.micros,
        }
    }
}

/// Fields of a DATETIME value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DateTimeParts {
    pub year: u16,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
    pub micros: u32,
}

impl From<DateTimeParts> for Value {
    fn from(p: DateTimeParts) -> Self {
        Value::DateTime {
            year: p.year,
            month: p.month,
            day: p.day,
            hour: p.hour,
            minute: p.minute,
            second: p.second,
            micros: p.micros,
        }
    }
}

/// Big-endian unsigned integer of up to 8 bytes.
pub(crate) fn be(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0, |acc, b| (acc << 8) | u64::from(*b))
}

/// Little-endian unsigned integer of up to 8 bytes.
pub(crate) fn le(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .rev()
        .fold(0, |acc, b| (acc << 8) | u64::from(*b))
}

/// Microseconds from the unsigned fraction bytes of a DATETIME2 / TIMESTAMP2.
fn fraction(bytes: &[u8], column: usize) -> Result<u32, ValueError> {
    let unit: u64 = match bytes.len() {
        0 => return Ok(0),
        1 => 10_000,
        2 => 100,
        _ => 1,
    };
    let micros = be(bytes) * unit;
    if micros > 999_999 {
        return Err(ValueError::bad_value(
            column,
            format!("fraction of {micros} µs is over a second"),
        ));
    }
    Ok(micros as u32)
}

/// DATE / NEWDATE: 3 bytes little-endian, `year << 9 | month << 5 | day`.
pub(crate) fn date(bytes: &[u8]) -> Value {
    let v = le(bytes) as u32;
    Value::Date {
        year: (v >> 9) as u16,
        month: ((v >> 5) & 0xf) as u8,
        day: (v & 0x1f) as u8,
    }
}

/// Old TIME: 3-byte little-endian signed `±HHMMSS`.
pub(crate) fn time(bytes: &[u8]) -> Value {
    let raw = le(bytes) as u32;
    let signed = ((raw << 8) as i32) >> 8; // sign-extend 24 bits
    let abs = signed.unsigned_abs();
    Value::Time {
        negative: signed < 0,
        hours: abs / 10_000,
        minutes: (abs / 100 % 100) as u8,
        seconds: (abs % 100) as u8,
        micros: 0,
    }
}

/// Old DATETIME: 8-byte little-endian `YYYYMMDDHHMMSS`.
pub(crate) fn datetime(bytes: &[u8], column: usize) -> Result<Value, ValueError> {
    let v = le(bytes);
    let (date, time) = (v / 1_000_000, v % 1_000_000);
    if date / 10_000 > 9999 {
        return Err(ValueError::bad_value(
            column,
            format!("DATETIME {v} out of range"),
        ));
    }
    Ok(Value::DateTime {
        year: (date / 10_000) as u16,
        month: (date / 100 % 100) as u8,
        day: (date % 100) as u8,
        hour: (time / 10_000) as u8,
        minute: (time / 100 % 100) as u8,
        second: (time % 100) as u8,
        micros: 0,
    })
}

/// TIMESTAMP2: 4-byte big-endian seconds, then the fraction.
pub(crate) fn timestamp2(bytes: &[u8], column: usize) -> Result<Value, ValueError> {
    let (secs, frac) = bytes.split_at(4.min(bytes.len()));
    Ok(Value::Timestamp {
        seconds: be(secs) as u32,
        micros: fraction(frac, column)?,
    })
}

/// DATETIME2: 40-bit big-endian `sign | (year·13 + month) << 22 | day << 17 | hour << 12 |
/// minute << 6 | second`, then the fraction.
pub(crate) fn datetime2(bytes: &[u8], column: usize) -> Result<Value, ValueError> {
    let (int, frac) = bytes.split_at(5.min(bytes.len()));
    let packed = be(int)
        .checked_sub(DATETIME2_OFFSET)
        .ok_or_else(|| ValueError::bad_value(column, "negative DATETIME2"))?;
    Ok(datetime_fields(packed, fraction(frac, column)?).into())
}

/// Splits the 39-bit DATETIME2 integer part (also the high part of MySQL's packed datetime).
fn datetime_fields(packed: u64, micros: u32) -> DateTimeParts {
    let ymd = packed >> 17;
    let ym = ymd >> 5;
    let hms = packed & 0x1_ffff;
    DateTimeParts {
        year: (ym / 13) as u16,
        month: (ym % 13) as u8,
        day: (ymd & 0x1f) as u8,
        hour: (hms >> 12) as u8,
        minute: ((hms >> 6) & 0x3f) as u8,
        second: (hms & 0x3f) as u8,
        micros,
    }
}

/// TIME2: 24-bit big-endian `sign | hour << 12 | minute << 6 | second` (offset-encoded), then
/// a fraction that is negative together with the time; fsp 5-6 store one 48-bit value.
pub(crate) fn time2(bytes: &[u8], fsp: u8) -> Value {
    let packed = match fsp {
        5 | 6 => be(bytes) as i64 - TIME2_OFFSET,
        _ => {
            let (int, frac) = bytes.split_at(3.min(bytes.len()));
            let mut int = be(int) as i64 - TIME2_INT_OFFSET;
            let (mut frac, unit, span) = match frac.len() {
                1 => (be(frac) as i64, 10_000, 0x100),
                2 => (be(frac) as i64, 100, 0x1_0000),
                _ => (0, 0, 0),
            };
            if int < 0 && frac > 0 {
                // The fraction was stored as its complement towards the next second.
                int += 1;
                frac -= span;
            }
            int * (1 << 24) + frac * unit
        }
    };
    time_from_packed(packed).into()
}

/// Splits MySQL's packed time: `±(hour << 12 | minute << 6 | second) << 24 | micros`.
pub(crate) fn time_from_packed(packed: i64) -> TimeParts {
    let abs = packed.unsigned_abs();
    let hms = abs >> 24;
    TimeParts {
        negative: packed < 0,
        hours: ((hms >> 12) & 0x3ff) as u32,
        minutes: ((hms >> 6) & 0x3f) as u8,
        seconds: (hms & 0x3f) as u8,
        micros: (abs & 0xff_ffff) as u32,
    }
}

/// Splits MySQL's packed datetime: `(DATETIME2 integer part) << 24 | micros`.
pub(crate) fn datetime_from_packed(packed: i64) -> DateTimeParts {
    let abs = packed.unsigned_abs();
    datetime_fields(abs >> 24, (abs & 0xff_ffff) as u32)
}

/// `YYYY-MM-DD`.
fn date_text(year: u16, month: u8, day: u8) -> String {
    format!("{year:04}-{month:02}-{day:02}")
}

/// `[-]HH:MM:SS.ffffff`.
fn time_text(negative: bool, hours: u32, minutes: u8, seconds: u8, micros: u32) -> String {
    format!(
        "{}{hours:02}:{minutes:02}:{seconds:02}.{micros:06}",
        if negative { "-" } else { "" }
    )
}

/// `YYYY-MM-DD<sep>HH:MM:SS.ffffff`.
fn datetime_text(date: (u16, u8, u8), time: (u8, u8, u8, u32), sep: char) -> String {
    let (year, month, day) = date;
    let (hour, minute, second, micros) = time;
    format!("{year:04}-{month:02}-{day:02}{sep}{hour:02}:{minute:02}:{second:02}.{micros:06}")
}

impl super::Value {
    /// A DATE, TIME or DATETIME as text (`sep` between a DATETIME's date
    /// and time: `' '` as SQL writes it, `'T'` for ISO 8601); `None` for
    /// the other values (TIMESTAMP is an instant: see its zone).
    pub fn temporal_text(&self, sep: char) -> Option<String> {
        use super::Value as V;
        Some(match *self {
            V::Date { year, month, day } => date_text(year, month, day),
            V::Time {
                negative,
                hours,
                minutes,
                seconds,
                micros,
            } => time_text(negative, hours, minutes, seconds, micros),
            V::DateTime {
                year,
                month,
                day,
                hour,
                minute,
                second,
                micros,
            } => datetime_text((year, month, day), (hour, minute, second, micros), sep),
            _ => return None,
        })
    }
}

impl super::Json {
    /// An opaque DATE, TIME or DATETIME as text, as
    /// [`Value::temporal_text`](super::Value::temporal_text).
    pub fn temporal_text(&self, sep: char) -> Option<String> {
        use super::Json as J;
        Some(match *self {
            J::Date { year, month, day } => date_text(year, month, day),
            J::Time {
                negative,
                hours,
                minutes,
                seconds,
                micros,
            } => time_text(negative, hours, minutes, seconds, micros),
            J::DateTime {
                year,
                month,
                day,
                hour,
                minute,
                second,
                micros,
            } => datetime_text((year, month, day), (hour, minute, second, micros), sep),
            _ => return None,
        })
    }
}
