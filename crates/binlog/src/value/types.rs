//! MySQL column type codes, as they appear in a table map event.
//!
//! `ENUM` and `SET` columns are written as [`STRING`] with the real type in the high byte of
//! the metadata; [`ColumnDef::column_type`](super::ColumnDef::column_type) gives the real type.

/// Pre-5.0 `DECIMAL` (never in row events).
pub const DECIMAL: u8 = 0;
/// `TINYINT`, 1 byte.
pub const TINY: u8 = 1;
/// `SMALLINT`, 2 bytes.
pub const SHORT: u8 = 2;
/// `INT`, 4 bytes.
pub const LONG: u8 = 3;
/// `FLOAT`, 4 bytes IEEE.
pub const FLOAT: u8 = 4;
/// `DOUBLE`, 8 bytes IEEE.
pub const DOUBLE: u8 = 5;
/// `NULL` type (never in row events).
pub const NULL: u8 = 6;
/// Pre-5.6 `TIMESTAMP`: seconds, 4 bytes little-endian.
pub const TIMESTAMP: u8 = 7;
/// `BIGINT`, 8 bytes.
pub const LONGLONG: u8 = 8;
/// `MEDIUMINT`, 3 bytes.
pub const INT24: u8 = 9;
/// `DATE`, 3 bytes packed (same layout as [`NEWDATE`]).
pub const DATE: u8 = 10;
/// Pre-5.6 `TIME`: `HHMMSS` as a 3-byte signed integer.
pub const TIME: u8 = 11;
/// Pre-5.6 `DATETIME`: `YYYYMMDDHHMMSS` as an 8-byte integer.
pub const DATETIME: u8 = 12;
/// `YEAR`, 1 byte (offset from 1900; 0 is year 0).
pub const YEAR: u8 = 13;
/// Internal `DATE` type, 3 bytes packed.
pub const NEWDATE: u8 = 14;
/// `VARCHAR` / `VARBINARY`: 1 or 2 length bytes, by the maximum length in the metadata.
pub const VARCHAR: u8 = 15;
/// `BIT(n)`.
pub const BIT: u8 = 16;
/// 5.6+ `TIMESTAMP(fsp)`: big-endian seconds plus fraction.
pub const TIMESTAMP2: u8 = 17;
/// 5.6+ `DATETIME(fsp)`: big-endian packed fields plus fraction.
pub const DATETIME2: u8 = 18;
/// 5.6+ `TIME(fsp)`: big-endian packed fields plus fraction.
pub const TIME2: u8 = 19;
/// Typed array (multi-valued indexes; never in row images).
pub const TYPED_ARRAY: u8 = 244;
/// MySQL 9 `VECTOR`: little-endian `f32`s behind a length prefix.
pub const VECTOR: u8 = 242;
/// MySQL binary `JSON`.
pub const JSON: u8 = 245;
/// `DECIMAL(p, s)`.
pub const NEWDECIMAL: u8 = 246;
/// `ENUM` (real type; written as [`STRING`]).
pub const ENUM: u8 = 247;
/// `SET` (real type; written as [`STRING`]).
pub const SET: u8 = 248;
/// `TINYBLOB` (table maps use [`BLOB`] with a pack length instead).
pub const TINY_BLOB: u8 = 249;
/// `MEDIUMBLOB` (table maps use [`BLOB`] with a pack length instead).
pub const MEDIUM_BLOB: u8 = 250;
/// `LONGBLOB` (table maps use [`BLOB`] with a pack length instead).
pub const LONG_BLOB: u8 = 251;
/// `BLOB` / `TEXT` of any size: pack length 1-4 in the metadata.
pub const BLOB: u8 = 252;
/// Old `VARCHAR`: 1 or 2 length bytes.
pub const VAR_STRING: u8 = 253;
/// `CHAR` / `BINARY` (and `ENUM` / `SET`, see the metadata).
pub const STRING: u8 = 254;
/// Spatial types: WKB with a 4-byte SRID prefix, behind a length prefix.
pub const GEOMETRY: u8 = 255;

/// Collation id of the `binary` character set.
pub const BINARY_COLLATION: u16 = 63;

/// Whether the SIGNEDNESS optional metadata has a bit for a column of this (real) type.
pub(crate) fn is_numeric(column_type: u8) -> bool {
    matches!(
        column_type,
        TINY | SHORT | INT24 | LONG | LONGLONG | DECIMAL | NEWDECIMAL | FLOAT | DOUBLE | YEAR
    )
}

/// Whether DEFAULT_CHARSET / COLUMN_CHARSET cover a column of this (real) type.
///
/// MySQL 9 counts VECTOR columns (binary BLOBs underneath) among the character columns:
/// `vector.binlog` has DEFAULT_CHARSET entries indexed that way.
pub(crate) fn is_character(column_type: u8) -> bool {
    matches!(column_type, STRING | VAR_STRING | VARCHAR | BLOB | VECTOR)
}

/// Whether ENUM_AND_SET_* charset metadata cover a column of this (real) type.
pub(crate) fn is_enum_or_set(column_type: u8) -> bool {
    matches!(column_type, ENUM | SET)
}

/// Number of metadata bytes a column of this table-map type has, `None` if unknown.
pub(crate) fn metadata_len(column_type: u8) -> Option<usize> {
    match column_type {
        TINY_BLOB | MEDIUM_BLOB | LONG_BLOB | BLOB | DOUBLE | FLOAT | GEOMETRY | TIME2
        | DATETIME2 | TIMESTAMP2 | JSON | VECTOR => Some(1),
        VARCHAR | NEWDECIMAL | SET | ENUM | STRING | BIT => Some(2),
        DECIMAL | TINY | SHORT | LONG | NULL | TIMESTAMP | LONGLONG | INT24 | DATE | TIME
        | DATETIME | YEAR | NEWDATE | VAR_STRING => Some(0),
        _ => None,
    }
}
