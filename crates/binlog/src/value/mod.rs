//! Typed decoding of row images: the column values inside WRITE / UPDATE / DELETE_ROWS
//! (and PARTIAL_UPDATE_ROWS) events.
//!
//! A table map event describes each column (type, metadata, nullability and, with
//! `binlog_row_metadata=FULL`, signedness and charsets): [`columns_from_table_map`] turns it
//! into [`ColumnDef`]s. With those, [`decode_rows`] yields each row's before and/or after
//! image as typed [`Value`]s, and [`count_rows`] counts rows by skipping values with
//! [`value_len`] — no allocation, the fast path for parsing. [`decode_value`] decodes one
//! value.
//!
//! This is our own decoder rather than `mysql_common`'s `BinlogRow`: it is faster (no
//! per-row column metadata objects, a size-only path), it produces our own typed values
//! (dates as fields, DECIMAL as exact text, unsigned integers as [`Value::UInt`]) and it
//! returns a [`ValueError`] naming the column, row and offset on malformed input instead of
//! panicking. Only the binary JSON format is parsed through `mysql_common`'s `jsonb` and
//! `jsondiff` readers.
//!
//! Every length read from the input is checked against what is left before it is used, and
//! nothing is allocated beyond the size of the input.

mod column;
mod decimal;
mod decode;
mod error;
mod json;
pub mod literal;
mod row;
mod table_map;
mod temporal;
pub mod types;

pub use column::ColumnDef;
pub use decode::{decode_value, decode_value_with, text_payload, value_len};
pub use error::ValueError;
pub use json::{Json, JsonDiff, JsonDiffOp, MAX_DEPTH as JSON_MAX_DEPTH};
pub use row::{
    count_rows, count_rows_event, decode_rows, decode_rows_event, decode_rows_only, row_end,
    visit_rows, RowImage, RowImages, RowPart, Rows, RowsLayout,
};
pub use table_map::{
    column_names_from_table_map, columns_from_parts, columns_from_table_map,
    primary_key_from_table_map, KeyColumns, MAX_COLUMNS,
};

/// One decoded column value.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub enum Value {
    /// SQL NULL.
    Null,
    /// Signed TINYINT / SMALLINT / MEDIUMINT / INT / BIGINT.
    Int(i64),
    /// The same types declared UNSIGNED (per the table map's SIGNEDNESS metadata).
    UInt(u64),
    /// FLOAT.
    Float(f32),
    /// DOUBLE.
    Double(f64),
    /// DECIMAL as exact text, e.g. `-1234.5600` (scale digits after the point).
    Decimal(String),
    /// BIT(`bits`): the stored big-endian bytes.
    Bit {
        /// Declared width in bits.
        bits: u16,
        /// `ceil(bits / 8)` bytes, most significant first.
        bytes: Vec<u8>,
    },
    /// ENUM: 1-based index of the member (0 for the empty error value).
    Enum(u16),
    /// SET: bitmask of the members.
    Set(u64),
    /// YEAR: 0 or 1901..=2155.
    Year(u16),
    /// DATE (zero parts allowed, as MySQL stores them).
    Date {
        /// Year.
        year: u16,
        /// Month, 0-12.
        month: u8,
        /// Day, 0-31.
        day: u8,
    },
    /// TIME.
    Time {
        /// Before zero.
        negative: bool,
        /// Hours, up to 838 (1023 in the format).
        hours: u32,
        /// Minutes.
        minutes: u8,
        /// Seconds.
        seconds: u8,
        /// Microseconds.
        micros: u32,
    },
    /// DATETIME.
    DateTime {
        /// Year.
        year: u16,
        /// Month.
        month: u8,
        /// Day.
        day: u8,
        /// Hour.
        hour: u8,
        /// Minute.
        minute: u8,
        /// Second.
        second: u8,
        /// Microseconds.
        micros: u32,
    },
    /// TIMESTAMP: seconds since the Unix epoch, UTC.
    Timestamp {
        /// Seconds.
        seconds: u32,
        /// Microseconds.
        micros: u32,
    },
    /// CHAR / VARCHAR / TEXT (and ENUM-less string columns) whose collation the table map
    /// gives (not `binary`).
    String {
        /// The stored bytes, in the column's character set.
        bytes: Vec<u8>,
        /// Collation id.
        charset: Option<u16>,
    },
    /// BINARY / VARBINARY / BLOB, and character columns whose charset is unknown.
    Bytes(Vec<u8>),
    /// MySQL binary JSON (MariaDB's JSON is LONGTEXT and decodes as a string).
    Json(Json),
    /// Partial JSON update of a PARTIAL_UPDATE_ROWS after image.
    JsonDiff(Vec<JsonDiff>),
    /// Spatial value: 4-byte SRID then WKB, as stored.
    Geometry(Vec<u8>),
    /// MySQL 9 VECTOR.
    Vector(Vec<f32>),
}
