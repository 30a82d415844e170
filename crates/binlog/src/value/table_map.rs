//! Column definitions from a table map event: types, metadata, null bitmap and the optional
//! metadata (signedness, charsets).

use mysql_common::binlog::events::TableMapEvent;
use mysql_common::proto::MySerialize;

use super::types::{self as t, is_character, is_enum_or_set, is_numeric, metadata_len};
use super::{ColumnDef, ValueError};

/// Optional metadata field types (MySQL `Table_map_event::Optional_metadata_field_type`).
const SIGNEDNESS: u8 = 1;
const DEFAULT_CHARSET: u8 = 2;
const COLUMN_CHARSET: u8 = 3;
const COLUMN_NAME: u8 = 4;
const SIMPLE_PRIMARY_KEY: u8 = 8;
const PRIMARY_KEY_WITH_PREFIX: u8 = 9;
const ENUM_AND_SET_DEFAULT_CHARSET: u8 = 10;
const ENUM_AND_SET_COLUMN_CHARSET: u8 = 11;

/// Most columns a table can have (MySQL and MariaDB `MAX_FIELDS`). A table
/// map naming more is corrupt; refusing it bounds what its column count can
/// make us allocate (a [`ColumnDef`] per column, and per row image a slot per
/// column) whatever the event size limit.
pub const MAX_COLUMNS: usize = 4096;

/// The pieces of a table map body, by position.
struct Parts<'a> {
    count: usize,
    types: &'a [u8],
    metadata: &'a [u8],
    nulls: &'a [u8],
    optional: &'a [u8],
}

/// Splits a serialized table map body (6-byte table id) into its pieces.
fn parts(body: &[u8]) -> Result<Parts<'_>, ValueError> {
    let mut r = Reader::new(body);
    r.take(8, "table id and flags")?;
    let db_len = r.u8("schema name length")?;
    r.take(usize::from(db_len) + 1, "schema name")?;
    let table_len = r.u8("table name length")?;
    r.take(usize::from(table_len) + 1, "table name")?;
    let count = r.lenenc("column count")?;
    let count = usize::try_from(count)
        .ok()
        .filter(|c| *c <= r.remaining())
        .ok_or_else(|| bad_map(format!("column count {count} exceeds the event")))?;
    let types = r.take(count, "column types")?;
    let meta_len = r.lenenc("metadata length")?;
    let metadata = r.take_u64(meta_len, "column metadata")?;
    let nulls = r.take(count.div_ceil(8), "null bitmap")?;
    Ok(Parts {
        count,
        types,
        metadata,
        nulls,
        optional: r.rest(),
    })
}

/// The event's body as the server wrote it. mysql_common does not expose the
/// raw column metadata block; its serialization is the body (with a 6-byte
/// table id), which is then read in one linear pass.
fn serialized(tme: &TableMapEvent<'_>) -> Vec<u8> {
    let mut body = Vec::new();
    tme.serialize(&mut body);
    body
}

/// Builds the column definitions of a table from a parsed table map event.
pub fn columns_from_table_map(tme: &TableMapEvent<'_>) -> Result<Vec<ColumnDef>, ValueError> {
    let body = serialized(tme);
    let p = parts(&body)?;
    columns_from_parts(p.types, p.metadata, p.nulls, p.optional)
}

/// Key columns: (column position, prefix length).
pub type KeyColumns = Vec<(usize, Option<u32>)>;

/// The primary key a table map's optional metadata names (MySQL 8
/// `binlog_row_metadata=FULL`): column positions with their prefix length.
/// `None` when the metadata does not say.
pub fn primary_key_from_table_map(
    tme: &TableMapEvent<'_>,
) -> Result<Option<KeyColumns>, ValueError> {
    let body = serialized(tme);
    let Parts {
        count, optional, ..
    } = parts(&body)?;
    let mut r = Reader::new(optional);
    let column = |v: u64| {
        usize::try_from(v)
            .ok()
            .filter(|c| *c < count)
            .ok_or_else(|| bad_map(format!("primary key column {v} of {count}")))
    };
    while r.remaining() > 0 {
        let field = r.u8("optional metadata type")?;
        let len = r.lenenc("optional metadata length")?;
        let value = r.take_u64(len, "optional metadata value")?;
        let mut v = Reader::new(value);
        let mut key = vec![];
        match field {
            SIMPLE_PRIMARY_KEY => {
                while v.remaining() > 0 {
                    key.push((column(v.lenenc("primary key column")?)?, None));
                }
                return Ok(Some(key));
            }
            PRIMARY_KEY_WITH_PREFIX => {
                while v.remaining() > 0 {
                    let c = column(v.lenenc("primary key column")?)?;
                    let prefix = v.lenenc("primary key prefix")?;
                    let prefix = u32::try_from(prefix).ok().filter(|p| *p > 0);
                    key.push((c, prefix));
                }
                return Ok(Some(key));
            }
            _ => {}
        }
    }
    Ok(None)
}

/// The column names a table map's optional metadata holds (MySQL 8
/// `binlog_row_metadata=FULL`), one per column; `None` when it has none.
pub fn column_names_from_table_map(
    tme: &TableMapEvent<'_>,
) -> Result<Option<Vec<String>>, ValueError> {
    let body = serialized(tme);
    let Parts {
        count, optional, ..
    } = parts(&body)?;
    let mut r = Reader::new(optional);
    while r.remaining() > 0 {
        let field = r.u8("optional metadata type")?;
        let len = r.lenenc("optional metadata length")?;
        let value = r.take_u64(len, "optional metadata value")?;
        if field != COLUMN_NAME {
            continue;
        }
        let mut v = Reader::new(value);
        let mut names = Vec::with_capacity(count);
        while v.remaining() > 0 {
            let n = v.lenenc("column name length")?;
            names.push(String::from_utf8_lossy(v.take_u64(n, "column name")?).into_owned());
        }
        if names.len() != count {
            return Err(bad_map(format!(
                "{} column names for {count} columns",
                names.len()
            )));
        }
        return Ok(Some(names));
    }
    Ok(None)
}

/// Builds column definitions from the raw pieces of a table map event body: the column type
/// bytes, the column metadata block, the nullability bitmap and the optional metadata (empty
/// when the server logs none).
///
/// Without SIGNEDNESS metadata every column is signed; without charset metadata every
/// charset is `None`.
pub fn columns_from_parts(
    types: &[u8],
    metadata: &[u8],
    null_bitmap: &[u8],
    optional_metadata: &[u8],
) -> Result<Vec<ColumnDef>, ValueError> {
    if types.len() > MAX_COLUMNS {
        return Err(bad_map(format!(
            "{} columns, more than a table can have ({MAX_COLUMNS})",
            types.len()
        )));
    }
    let mut columns = Vec::with_capacity(types.len());
    let mut meta = Reader::new(metadata);
    for (index, &raw_type) in types.iter().enumerate() {
        let len = metadata_len(raw_type).ok_or(ValueError::BadType {
            column: index,
            column_type: raw_type,
        })?;
        let bytes = meta.take(len, "column metadata")?;
        let word = match (raw_type, bytes) {
            (t::VARCHAR | t::BIT, [a, b]) => u16::from_le_bytes([*a, *b]),
            (_, [a, b]) => u16::from_be_bytes([*a, *b]),
            (_, [a]) => u16::from(*a),
            _ => 0,
        };
        let nullable = null_bitmap
            .get(index / 8)
            .is_some_and(|b| b & (1 << (index % 8)) != 0);
        columns.push(ColumnDef::with_index(index, raw_type, word)?.nullable(nullable));
    }
    apply_optional_metadata(&mut columns, optional_metadata)?;
    Ok(columns)
}

/// Applies SIGNEDNESS and the charset fields of the optional metadata to `columns`.
fn apply_optional_metadata(columns: &mut [ColumnDef], data: &[u8]) -> Result<(), ValueError> {
    let mut r = Reader::new(data);
    while r.remaining() > 0 {
        let field = r.u8("optional metadata type")?;
        let len = r.lenenc("optional metadata length")?;
        let value = r.take_u64(len, "optional metadata value")?;
        match field {
            SIGNEDNESS => {
                let numeric = columns.iter_mut().filter(|c| is_numeric(c.column_type()));
                for (k, col) in numeric.enumerate() {
                    col.unsigned = value.get(k / 8).is_some_and(|b| b & (0x80 >> (k % 8)) != 0);
                }
            }
            DEFAULT_CHARSET => default_charsets(columns, value, is_character)?,
            COLUMN_CHARSET => column_charsets(columns, value, is_character)?,
            ENUM_AND_SET_DEFAULT_CHARSET => default_charsets(columns, value, is_enum_or_set)?,
            ENUM_AND_SET_COLUMN_CHARSET => column_charsets(columns, value, is_enum_or_set)?,
            _ => {} // names, keys, geometry types, visibility...: not needed to decode values
        }
    }
    Ok(())
}

/// DEFAULT_CHARSET layout: the default collation, then `(index, collation)` pairs where the
/// index counts only the columns the field covers.
fn default_charsets(
    columns: &mut [ColumnDef],
    value: &[u8],
    covers: fn(u8) -> bool,
) -> Result<(), ValueError> {
    let mut r = Reader::new(value);
    let default = charset_id(r.lenenc("default charset")?)?;
    let mut covered: Vec<&mut ColumnDef> = columns
        .iter_mut()
        .filter(|c| covers(c.column_type()))
        .collect();
    for col in covered.iter_mut() {
        col.charset = Some(default);
    }
    while r.remaining() > 0 {
        let index = r.lenenc("charset column index")?;
        let charset = charset_id(r.lenenc("column charset")?)?;
        // An index past the covered columns would mean we classify some new type
        // differently from the server; the charset is informational, so skip it.
        if let Some(col) = usize::try_from(index).ok().and_then(|i| covered.get_mut(i)) {
            col.charset = Some(charset);
        }
    }
    Ok(())
}

/// COLUMN_CHARSET layout: one collation per covered column, in order.
fn column_charsets(
    columns: &mut [ColumnDef],
    value: &[u8],
    covers: fn(u8) -> bool,
) -> Result<(), ValueError> {
    let mut r = Reader::new(value);
    for col in columns.iter_mut().filter(|c| covers(c.column_type())) {
        if r.remaining() == 0 {
            break;
        }
        col.charset = Some(charset_id(r.lenenc("column charset")?)?);
    }
    Ok(())
}

fn charset_id(id: u64) -> Result<u16, ValueError> {
    u16::try_from(id).map_err(|_| bad_map(format!("collation id {id} out of range")))
}

fn bad_map(reason: String) -> ValueError {
    ValueError::BadTableMap { reason }
}

/// Bounds-checked reader over a table map body.
struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(data: &'a [u8]) -> Self {
        Self { data, pos: 0 }
    }

    fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    fn rest(&self) -> &'a [u8] {
        &self.data[self.pos..]
    }

    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], ValueError> {
        if n > self.remaining() {
            return Err(bad_map(format!(
                "{what} at byte {}: needs {n} bytes, {} left",
                self.pos,
                self.remaining()
            )));
        }
        let out = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    fn take_u64(&mut self, n: u64, what: &str) -> Result<&'a [u8], ValueError> {
        self.take(usize::try_from(n).unwrap_or(usize::MAX), what)
    }

    fn u8(&mut self, what: &str) -> Result<u8, ValueError> {
        Ok(self.take(1, what)?[0])
    }

    /// MySQL packed integer (`net_field_length`).
    fn lenenc(&mut self, what: &str) -> Result<u64, ValueError> {
        let first = self.u8(what)?;
        let width = match first {
            0..=250 => return Ok(u64::from(first)),
            252 => 2,
            253 => 3,
            254 => 8,
            _ => {
                return Err(bad_map(format!(
                    "{what}: invalid packed integer {first:#x}"
                )))
            }
        };
        let bytes = self.take(width, what)?;
        Ok(bytes
            .iter()
            .rev()
            .fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn more_columns_than_a_table_can_have_is_an_error() {
        let types = vec![t::TINY; MAX_COLUMNS];
        let nulls = vec![0; MAX_COLUMNS / 8];
        assert_eq!(
            columns_from_parts(&types, &[], &nulls, &[]).map(|c| c.len()),
            Ok(MAX_COLUMNS)
        );
        let types = vec![t::TINY; MAX_COLUMNS + 1];
        assert!(matches!(
            columns_from_parts(&types, &[], &nulls, &[]),
            Err(ValueError::BadTableMap { .. })
        ));
    }
}
