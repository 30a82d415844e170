//! Errors of the row-value decoder.

/// Why a column value, a row image or a table map's column list could not be decoded.
///
/// Every variant names the column (its index in the table map) it is about, so a caller can
/// report the event offset plus this error and know exactly which value was bad. Decoding
/// never panics: malformed input always ends up here.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValueError {
    /// The value (or its length prefix) runs past the end of the input.
    #[error("column {column}: value truncated: needs {needed} bytes, {available} left")]
    Truncated {
        /// Column index in the table map.
        column: usize,
        /// Bytes the value needs (including any length prefix).
        needed: usize,
        /// Bytes left in the input.
        available: usize,
    },
    /// The column type code is unknown or cannot appear in a row image.
    #[error("column {column}: unsupported column type {column_type}")]
    BadType {
        /// Column index in the table map.
        column: usize,
        /// The type code from the table map.
        column_type: u8,
    },
    /// The table map's metadata for this column makes no sense for its type.
    #[error("column {column}: bad metadata {meta:#06x} for type {column_type}: {reason}")]
    BadMeta {
        /// Column index in the table map.
        column: usize,
        /// The type code from the table map.
        column_type: u8,
        /// The metadata word, as [`ColumnDef::meta`](super::ColumnDef::meta) gives it.
        meta: u16,
        /// What was expected.
        reason: &'static str,
    },
    /// The bytes are there but do not form a valid value of the column's type.
    #[error("column {column}: bad value: {reason}")]
    BadValue {
        /// Column index in the table map.
        column: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// A table map could not be turned into column definitions.
    #[error("table map: {reason}")]
    BadTableMap {
        /// What is wrong with it.
        reason: String,
    },
    /// The rows event names more columns than its table map defines.
    #[error("rows event has {event_columns} columns, its table map only {table_columns}")]
    ColumnCount {
        /// Columns according to the rows event.
        event_columns: usize,
        /// Columns according to the table map.
        table_columns: usize,
    },
    /// The rows data cannot be split into rows (e.g. images with no columns but bytes left).
    #[error("rows data at byte {offset}: {reason}")]
    BadRows {
        /// Offset inside the rows data.
        offset: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// A row of a rows event could not be decoded.
    #[error("row {row} at byte {offset} of the rows data: {source}")]
    InRow {
        /// Index of the row in the event (0-based).
        row: u64,
        /// Offset of the start of the failing image inside the rows data.
        offset: usize,
        /// The underlying error.
        #[source]
        source: Box<ValueError>,
    },
}

impl ValueError {
    /// Shorthand for a [`ValueError::Truncated`].
    pub(crate) fn truncated(column: usize, needed: usize, available: usize) -> Self {
        Self::Truncated {
            column,
            needed,
            available,
        }
    }

    /// Shorthand for a [`ValueError::BadValue`].
    pub(crate) fn bad_value(column: usize, reason: impl Into<String>) -> Self {
        Self::BadValue {
            column,
            reason: reason.into(),
        }
    }

    /// Wraps `self` with the row number and offset where it happened.
    pub(crate) fn in_row(self, row: u64, offset: usize) -> Self {
        Self::InRow {
            row,
            offset,
            source: Box::new(self),
        }
    }
}
