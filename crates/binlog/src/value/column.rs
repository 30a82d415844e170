//! [`ColumnDef`]: how to read one column of a row image, derived from a table map.

use super::types as t;
use super::ValueError;

/// How many bytes a value takes in a row image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Size {
    /// Always this many bytes.
    Fixed(usize),
    /// A little-endian length of this many bytes (1-4), then that many bytes.
    Prefixed(u8),
}

/// What the bytes of a value mean (the decoder to use), with the parameters taken from the
/// metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Integer of 1, 2, 3, 4 or 8 bytes.
    Int(u8),
    Float,
    Double,
    Decimal {
        precision: u8,
        scale: u8,
    },
    Bit {
        bits: u16,
    },
    Enum,
    Set,
    Year,
    Date,
    Time,
    Time2 {
        fsp: u8,
    },
    DateTime,
    DateTime2 {
        fsp: u8,
    },
    Timestamp,
    Timestamp2 {
        fsp: u8,
    },
    /// CHAR / VARCHAR / TEXT / BLOB: string or bytes by charset.
    Text,
    Json,
    Geometry,
    Vector,
}

/// One column of a table, as a table map event describes it: enough to find and decode its
/// values in row images.
///
/// Build it with [`columns_from_table_map`](super::columns_from_table_map),
/// [`columns_from_parts`](super::columns_from_parts) or [`ColumnDef::new`].
///
/// The metadata word [`meta`](Self::meta) follows MySQL's own convention (`mysqlbinlog`,
/// `rpl_utility.cc`): the single metadata byte for FLOAT/DOUBLE/BLOB/JSON/GEOMETRY/VECTOR
/// (pack length) and TIME2/DATETIME2/TIMESTAMP2 (fractional precision); little-endian
/// for VARCHAR (maximum byte length) and BIT (low byte `bits % 8`, high byte `bits / 8`);
/// big-endian, i.e. first byte high, for NEWDECIMAL (precision, scale) and
/// STRING/ENUM/SET (real type, then length or pack length).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnDef {
    /// Position of the column in the table (0-based); errors name it.
    pub index: usize,
    /// Numeric column declared `UNSIGNED` (from the SIGNEDNESS optional metadata; `false`
    /// when the table map has none).
    pub unsigned: bool,
    /// The column may hold NULL (table map null bitmap).
    pub nullable: bool,
    /// Collation id of a character / ENUM / SET column, when the optional metadata says it.
    pub charset: Option<u16>,
    column_type: u8,
    raw_type: u8,
    meta: u16,
    kind: Kind,
    size: Size,
}

impl ColumnDef {
    /// Describes a column of table-map type `column_type` with metadata word `meta` (see the
    /// type docs for its layout): signed, not nullable, charset unknown, index 0.
    ///
    /// Fails with [`ValueError::BadType`] for types that never appear in row images and
    /// [`ValueError::BadMeta`] for metadata the type cannot have.
    pub fn new(column_type: u8, meta: u16) -> Result<Self, ValueError> {
        Self::with_index(0, column_type, meta)
    }

    /// Like [`ColumnDef::new`], for the column at position `index`.
    pub fn with_index(index: usize, column_type: u8, meta: u16) -> Result<Self, ValueError> {
        let bad_meta = |reason| ValueError::BadMeta {
            column: index,
            column_type,
            meta,
            reason,
        };
        let [hi, lo] = meta.to_be_bytes();
        let real_type = real_type(column_type, meta);
        if column_type == t::STRING && !matches!(real_type, t::STRING | t::ENUM | t::SET) {
            return Err(bad_meta("STRING real type must be STRING, ENUM or SET"));
        }
        let (kind, size) = match real_type {
            t::TINY => (Kind::Int(1), Size::Fixed(1)),
            t::SHORT => (Kind::Int(2), Size::Fixed(2)),
            t::INT24 => (Kind::Int(3), Size::Fixed(3)),
            t::LONG => (Kind::Int(4), Size::Fixed(4)),
            t::LONGLONG => (Kind::Int(8), Size::Fixed(8)),
            t::FLOAT => (Kind::Float, Size::Fixed(4)),
            t::DOUBLE => (Kind::Double, Size::Fixed(8)),
            t::NEWDECIMAL => {
                if hi == 0 || hi > 65 || lo > 30 || lo > hi {
                    return Err(bad_meta("precision 1..=65, scale 0..=30 and <= precision"));
                }
                let size = super::decimal::binary_size(hi, lo);
                (
                    Kind::Decimal {
                        precision: hi,
                        scale: lo,
                    },
                    Size::Fixed(size),
                )
            }
            t::BIT => {
                let bits = u16::from(hi) * 8 + u16::from(lo);
                if lo > 7 || bits > 64 {
                    return Err(bad_meta("at most 64 bits, low byte < 8"));
                }
                (
                    Kind::Bit { bits },
                    Size::Fixed(usize::from(bits.div_ceil(8))),
                )
            }
            t::ENUM => match lo {
                1 | 2 => (Kind::Enum, Size::Fixed(usize::from(lo))),
                _ => return Err(bad_meta("ENUM pack length 1 or 2")),
            },
            t::SET => match lo {
                1..=8 => (Kind::Set, Size::Fixed(usize::from(lo))),
                _ => return Err(bad_meta("SET pack length 1..=8")),
            },
            t::YEAR => (Kind::Year, Size::Fixed(1)),
            t::DATE | t::NEWDATE => (Kind::Date, Size::Fixed(3)),
            t::TIME => (Kind::Time, Size::Fixed(3)),
            t::DATETIME => (Kind::DateTime, Size::Fixed(8)),
            t::TIMESTAMP => (Kind::Timestamp, Size::Fixed(4)),
            t::TIME2 | t::DATETIME2 | t::TIMESTAMP2 => {
                let fsp = u8::try_from(meta)
                    .ok()
                    .filter(|f| *f <= 6)
                    .ok_or_else(|| bad_meta("fractional precision 0..=6"))?;
                let frac = usize::from(fsp.div_ceil(2));
                match real_type {
                    t::TIME2 => (Kind::Time2 { fsp }, Size::Fixed(3 + frac)),
                    t::DATETIME2 => (Kind::DateTime2 { fsp }, Size::Fixed(5 + frac)),
                    _ => (Kind::Timestamp2 { fsp }, Size::Fixed(4 + frac)),
                }
            }
            t::VARCHAR | t::VAR_STRING => {
                (Kind::Text, Size::Prefixed(if meta < 256 { 1 } else { 2 }))
            }
            t::STRING => {
                let max_len = string_max_len(meta);
                (
                    Kind::Text,
                    Size::Prefixed(if max_len < 256 { 1 } else { 2 }),
                )
            }
            t::BLOB
            | t::TINY_BLOB
            | t::MEDIUM_BLOB
            | t::LONG_BLOB
            | t::JSON
            | t::GEOMETRY
            | t::VECTOR => {
                let pack = match meta {
                    1..=4 => meta as u8,
                    _ => return Err(bad_meta("pack length 1..=4")),
                };
                let kind = match real_type {
                    t::JSON => Kind::Json,
                    t::GEOMETRY => Kind::Geometry,
                    t::VECTOR => Kind::Vector,
                    _ => Kind::Text,
                };
                (kind, Size::Prefixed(pack))
            }
            _ => {
                return Err(ValueError::BadType {
                    column: index,
                    column_type,
                })
            }
        };
        Ok(Self {
            index,
            unsigned: false,
            nullable: false,
            charset: None,
            column_type: real_type,
            raw_type: column_type,
            meta,
            kind,
            size,
        })
    }

    /// Sets [`unsigned`](Self::unsigned).
    pub fn unsigned(mut self, unsigned: bool) -> Self {
        self.unsigned = unsigned;
        self
    }

    /// Sets [`charset`](Self::charset).
    pub fn charset(mut self, charset: Option<u16>) -> Self {
        self.charset = charset;
        self
    }

    /// Sets [`nullable`](Self::nullable).
    pub fn nullable(mut self, nullable: bool) -> Self {
        self.nullable = nullable;
        self
    }

    /// The real column type (see [`types`](super::types)): ENUM and SET resolved from the
    /// metadata of a STRING column, everything else as in the table map.
    pub fn column_type(&self) -> u8 {
        self.column_type
    }

    /// The type code exactly as the table map wrote it.
    pub fn raw_type(&self) -> u8 {
        self.raw_type
    }

    /// The metadata word (layout in the type docs).
    pub fn meta(&self) -> u16 {
        self.meta
    }

    /// Fractional-seconds precision (0-6) of TIME2 / DATETIME2 / TIMESTAMP2 columns.
    pub fn fsp(&self) -> Option<u8> {
        match self.kind {
            Kind::Time2 { fsp } | Kind::DateTime2 { fsp } | Kind::Timestamp2 { fsp } => Some(fsp),
            _ => None,
        }
    }

    /// `(precision, scale)` of a DECIMAL column.
    pub fn decimal_precision(&self) -> Option<(u8, u8)> {
        match self.kind {
            Kind::Decimal { precision, scale } => Some((precision, scale)),
            _ => None,
        }
    }

    /// Declared maximum length in bytes of a CHAR / VARCHAR column.
    pub fn max_length(&self) -> Option<u16> {
        match self.column_type {
            t::VARCHAR | t::VAR_STRING => Some(self.meta),
            t::STRING => Some(string_max_len(self.meta)),
            _ => None,
        }
    }

    /// The size rule of this column's values.
    pub(crate) fn size(&self) -> Size {
        self.size
    }

    /// The decoder of this column's values.
    pub(crate) fn kind(&self) -> Kind {
        self.kind
    }
}

/// The real type of a column: STRING columns carry ENUM / SET in their metadata.
fn real_type(column_type: u8, meta: u16) -> u8 {
    let hi = (meta >> 8) as u8;
    if column_type == t::STRING && hi != 0 {
        hi | 0x30
    } else {
        column_type
    }
}

/// Maximum byte length of a CHAR column from its metadata (lengths over 255 borrow two bits
/// of the type byte, MySQL bug #37426).
fn string_max_len(meta: u16) -> u16 {
    let [hi, lo] = meta.to_be_bytes();
    if hi != 0 && hi & 0x30 != 0x30 {
        u16::from(lo) | (u16::from((hi & 0x30) ^ 0x30) << 4)
    } else {
        u16::from(lo)
    }
}
