//! Row images of WRITE / UPDATE / DELETE_ROWS events: present-column and NULL bitmaps, the
//! partial-JSON header of PARTIAL_UPDATE_ROWS, then the values.

use mysql_common::binlog::events::RowsEventData;

use super::decode::{decode_value_with, value_len};
use super::types::JSON;
use super::{ColumnDef, Value, ValueError};

/// `binlog_row_value_options` bit: JSON columns may hold partial updates.
const PARTIAL_JSON_UPDATES: u64 = 1;

/// One image of a row: for every column of the event, `None` when the column is not in the
/// image (MINIMAL / NOBLOB row images), `Some(Value::Null)` for SQL NULL.
pub type RowImage = Vec<Option<Value>>;

/// The images of one row: WRITE has only `after`, DELETE only `before`, UPDATE both.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RowImages {
    /// The row before the change (DELETE, UPDATE).
    pub before: Option<RowImage>,
    /// The row after the change (WRITE, UPDATE).
    pub after: Option<RowImage>,
}

/// What is needed to split a rows event body into rows: the table's columns and the event's
/// present-column bitmaps.
#[derive(Debug, Clone, Copy)]
pub struct RowsLayout<'a> {
    columns: &'a [ColumnDef],
    before: Option<&'a [u8]>,
    after: Option<&'a [u8]>,
    partial_json: bool,
    json_columns: usize,
    before_count: usize,
    after_count: usize,
}

impl<'a> RowsLayout<'a> {
    /// Layout of an event over the first `num_columns` of `columns` (the event's column
    /// count), with the present-column bitmaps of its before image (DELETE, UPDATE) and after
    /// image (WRITE, UPDATE), bit `i` of byte `i / 8` for column `i`. `partial_json` is set
    /// for PARTIAL_UPDATE_ROWS events.
    pub fn new(
        columns: &'a [ColumnDef],
        num_columns: usize,
        before: Option<&'a [u8]>,
        after: Option<&'a [u8]>,
        partial_json: bool,
    ) -> Result<Self, ValueError> {
        if num_columns > columns.len() {
            return Err(ValueError::ColumnCount {
                event_columns: num_columns,
                table_columns: columns.len(),
            });
        }
        let bitmap_len = num_columns.div_ceil(8);
        for bitmap in [before, after].into_iter().flatten() {
            if bitmap.len() < bitmap_len {
                return Err(ValueError::BadRows {
                    offset: 0,
                    reason: "present-column bitmap shorter than the column count",
                });
            }
        }
        let count = |bitmap: Option<&[u8]>| {
            bitmap.map_or(0, |b| (0..num_columns).filter(|i| bit(b, *i)).count())
        };
        Ok(Self {
            json_columns: columns.iter().filter(|c| c.column_type() == JSON).count(),
            before_count: count(before),
            after_count: count(after),
            columns: &columns[..num_columns],
            before,
            after,
            partial_json,
        })
    }
}

/// Iterates over the rows of a rows event body (`rows_data`: what follows the bitmaps).
///
/// The iterator stops after the first error, which carries the row number and offset.
pub fn decode_rows<'a>(layout: &RowsLayout<'a>, rows_data: &'a [u8]) -> Rows<'a> {
    decode_rows_only(layout, rows_data, None)
}

/// Like [`decode_rows`], but decodes only the columns `wanted` marks (by
/// position); the others are skipped without materialising them and read as
/// `None` (not in the image). For callers that need a few columns of wide
/// rows, such as key columns.
pub fn decode_rows_only<'a>(
    layout: &RowsLayout<'a>,
    rows_data: &'a [u8],
    wanted: Option<&'a [bool]>,
) -> Rows<'a> {
    Rows {
        layout: *layout,
        wanted,
        data: rows_data,
        pos: 0,
        row: 0,
        failed: false,
    }
}

/// Counts the rows of a rows event body without materialising any value.
pub fn count_rows(layout: &RowsLayout<'_>, rows_data: &[u8]) -> Result<u64, ValueError> {
    let mut pos = 0;
    let mut rows = 0u64;
    while pos < rows_data.len() {
        pos = row_end(layout, rows_data, pos, rows)?;
        rows += 1;
    }
    Ok(rows)
}

/// Where the row starting at `start` of `rows_data` ends (its images
/// skipped, not decoded). `row` is its number, for errors.
pub fn row_end(
    layout: &RowsLayout<'_>,
    rows_data: &[u8],
    start: usize,
    row: u64,
) -> Result<usize, ValueError> {
    let mut pos = start;
    for (bitmap, after) in [(layout.before, false), (layout.after, true)] {
        if let Some(present) = bitmap {
            let image_start = pos;
            skip_image(layout, present, after, rows_data, &mut pos)
                .map_err(|e| e.in_row(row, image_start))?;
        }
    }
    if pos == start {
        return Err(empty_row(start));
    }
    Ok(pos)
}

/// Decodes all rows of a `mysql_common` rows event.
pub fn decode_rows_event(
    event: &RowsEventData<'_>,
    columns: &[ColumnDef],
) -> Result<Vec<RowImages>, ValueError> {
    let bitmaps = EventBitmaps::new(event);
    let layout = bitmaps.layout(columns)?;
    decode_rows(&layout, event.rows_data()).collect()
}

/// Counts the rows of a `mysql_common` rows event (see [`count_rows`]).
pub fn count_rows_event(
    event: &RowsEventData<'_>,
    columns: &[ColumnDef],
) -> Result<u64, ValueError> {
    let bitmaps = EventBitmaps::new(event);
    count_rows(&bitmaps.layout(columns)?, event.rows_data())
}

/// The present-column bitmaps of a `mysql_common` rows event, as bytes.
struct EventBitmaps {
    num_columns: usize,
    before: Option<Vec<u8>>,
    after: Option<Vec<u8>>,
    partial_json: bool,
}

impl EventBitmaps {
    fn new(event: &RowsEventData<'_>) -> Self {
        let num_columns = usize::try_from(event.num_columns()).unwrap_or(usize::MAX);
        let pack = |ones: &mut dyn Iterator<Item = usize>| {
            let mut bytes = vec![0u8; num_columns.div_ceil(8)];
            for i in ones {
                if let Some(b) = bytes.get_mut(i / 8) {
                    *b |= 1 << (i % 8);
                }
            }
            bytes
        };
        Self {
            num_columns,
            before: event
                .columns_before_image()
                .map(|bits| pack(&mut bits.iter_ones())),
            after: event
                .columns_after_image()
                .map(|bits| pack(&mut bits.iter_ones())),
            partial_json: matches!(event, RowsEventData::PartialUpdateRowsEvent(_)),
        }
    }

    fn layout<'a>(&'a self, columns: &'a [ColumnDef]) -> Result<RowsLayout<'a>, ValueError> {
        RowsLayout::new(
            columns,
            self.num_columns,
            self.before.as_deref(),
            self.after.as_deref(),
            self.partial_json,
        )
    }
}

/// Iterator over decoded rows (see [`decode_rows`]).
#[derive(Debug, Clone)]
pub struct Rows<'a> {
    layout: RowsLayout<'a>,
    /// Columns to decode; the others are skipped and left `None`.
    wanted: Option<&'a [bool]>,
    data: &'a [u8],
    pos: usize,
    row: u64,
    failed: bool,
}

impl Iterator for Rows<'_> {
    type Item = Result<RowImages, ValueError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.pos >= self.data.len() {
            return None;
        }
        let result = self.next_row();
        self.failed = result.is_err();
        self.row += 1;
        Some(result)
    }
}

impl Rows<'_> {
    fn next_row(&mut self) -> Result<RowImages, ValueError> {
        let start = self.pos;
        let mut images = [None, None];
        for (slot, (bitmap, after)) in [(self.layout.before, false), (self.layout.after, true)]
            .into_iter()
            .enumerate()
        {
            if let Some(present) = bitmap {
                let image_start = self.pos;
                images[slot] = Some(
                    read_image(
                        &self.layout,
                        present,
                        after,
                        self.data,
                        &mut self.pos,
                        self.wanted,
                    )
                    .map_err(|e| e.in_row(self.row, image_start))?,
                );
            }
        }
        if self.pos == start {
            return Err(empty_row(start));
        }
        let [before, after] = images;
        Ok(RowImages { before, after })
    }
}

fn empty_row(offset: usize) -> ValueError {
    ValueError::BadRows {
        offset,
        reason: "row without any column but rows data left",
    }
}

/// Bit `i` of an LSB-first bitmap (absent bits are 0).
#[inline]
fn bit(bitmap: &[u8], i: usize) -> bool {
    bitmap.get(i / 8).is_some_and(|b| b & (1 << (i % 8)) != 0)
}

/// Takes `n` bytes at `*pos`, for the header parts of an image.
fn take<'a>(data: &'a [u8], pos: &mut usize, n: usize) -> Result<&'a [u8], ValueError> {
    let rest = &data[*pos..];
    let out = rest.get(..n).ok_or(ValueError::BadRows {
        offset: *pos,
        reason: "row image header truncated",
    })?;
    *pos += n;
    Ok(out)
}

/// The image header: the partial-JSON bits (after image of PARTIAL_UPDATE_ROWS) and the NULL
/// bitmap over the present columns.
fn image_header<'a>(
    layout: &RowsLayout<'_>,
    after: bool,
    data: &'a [u8],
    pos: &mut usize,
) -> Result<(Option<&'a [u8]>, &'a [u8]), ValueError> {
    let mut partial = None;
    if after && layout.partial_json {
        let options = read_packed_int(data, pos)?;
        if options & PARTIAL_JSON_UPDATES != 0 {
            partial = Some(take(data, pos, layout.json_columns.div_ceil(8))?);
        }
    }
    let present_count = if after {
        layout.after_count
    } else {
        layout.before_count
    };
    let nulls = take(data, pos, present_count.div_ceil(8))?;
    Ok((partial, nulls))
}

/// MySQL packed integer (`net_field_length`) at `*pos`.
fn read_packed_int(data: &[u8], pos: &mut usize) -> Result<u64, ValueError> {
    let first = take(data, pos, 1)?[0];
    let width = match first {
        0..=250 => return Ok(u64::from(first)),
        252 => 2,
        253 => 3,
        254 => 8,
        _ => {
            return Err(ValueError::BadRows {
                offset: *pos - 1,
                reason: "invalid packed integer",
            })
        }
    };
    Ok(super::temporal::le(take(data, pos, width)?))
}

/// Walks one image, calling `on_value` for every present column with its NULL flag and
/// whether it is a partial JSON value.
fn walk_image(
    layout: &RowsLayout<'_>,
    present: &[u8],
    after: bool,
    data: &[u8],
    pos: &mut usize,
    mut on_value: impl FnMut(usize, &ColumnDef, bool, bool, &mut usize) -> Result<(), ValueError>,
) -> Result<(), ValueError> {
    let (partial, nulls) = image_header(layout, after, data, pos)?;
    let mut image_index = 0;
    let mut json_index = 0;
    for (i, col) in layout.columns.iter().enumerate() {
        let is_json = col.column_type() == JSON;
        let is_partial = is_json && partial.is_some_and(|p| bit(p, json_index));
        if is_json {
            json_index += 1;
        }
        if !bit(present, i) {
            continue;
        }
        let is_null = bit(nulls, image_index);
        image_index += 1;
        on_value(i, col, is_null, is_partial, pos)?;
    }
    Ok(())
}

/// One step of [`visit_rows`]: the rows of an event, value by value,
/// without materialising them.
#[derive(Debug, Clone, Copy)]
pub enum RowPart<'a> {
    /// Row `n` (0-based) begins.
    Row(u64),
    /// Its before image (`after == false`) or after image begins;
    /// `present` is the present-column bitmap (bit `i` for column `i`).
    Image { after: bool, present: &'a [u8] },
    /// A value of that image: column `column`, `None` for SQL NULL, else
    /// its bytes, length prefix included (decode with
    /// [`decode_value_with`](super::decode::decode_value_with), or take a
    /// string's with [`text_payload`](super::decode::text_payload));
    /// `partial` for a partial JSON update.
    Value {
        column: usize,
        def: &'a ColumnDef,
        raw: Option<&'a [u8]>,
        partial: bool,
    },
}

/// Walks every row of `rows_data` under `layout`, calling `f` for each
/// [`RowPart`] in order: the allocation-free way to look at every value
/// (what [`decode_rows`] does, without building [`RowImages`]).
pub fn visit_rows<'a>(
    layout: &RowsLayout<'a>,
    rows_data: &'a [u8],
    mut f: impl FnMut(RowPart<'_>) -> Result<(), ValueError>,
) -> Result<(), ValueError> {
    let mut pos = 0;
    let mut row = 0u64;
    while pos < rows_data.len() {
        let start = pos;
        f(RowPart::Row(row))?;
        for (bitmap, after) in [(layout.before, false), (layout.after, true)] {
            let Some(present) = bitmap else { continue };
            f(RowPart::Image { after, present })?;
            let image_start = pos;
            walk_image(
                layout,
                present,
                after,
                rows_data,
                &mut pos,
                |i, col, is_null, partial, pos| {
                    let raw = if is_null {
                        None
                    } else {
                        let len = value_len(col, &rows_data[*pos..])?;
                        let raw = &rows_data[*pos..*pos + len];
                        *pos += len;
                        Some(raw)
                    };
                    f(RowPart::Value {
                        column: i,
                        def: col,
                        raw,
                        partial,
                    })
                },
            )
            .map_err(|e| e.in_row(row, image_start))?;
        }
        if pos == start {
            return Err(empty_row(start));
        }
        row += 1;
    }
    Ok(())
}

fn skip_image(
    layout: &RowsLayout<'_>,
    present: &[u8],
    after: bool,
    data: &[u8],
    pos: &mut usize,
) -> Result<(), ValueError> {
    walk_image(
        layout,
        present,
        after,
        data,
        pos,
        |_, col, is_null, _, pos| {
            if !is_null {
                *pos += value_len(col, &data[*pos..])?;
            }
            Ok(())
        },
    )
}

fn read_image(
    layout: &RowsLayout<'_>,
    present: &[u8],
    after: bool,
    data: &[u8],
    pos: &mut usize,
    wanted: Option<&[bool]>,
) -> Result<RowImage, ValueError> {
    let mut image: RowImage = vec![None; layout.columns.len()];
    walk_image(
        layout,
        present,
        after,
        data,
        pos,
        |i, col, is_null, partial, pos| {
            if wanted.is_some_and(|w| !w.get(i).copied().unwrap_or(false)) {
                if !is_null {
                    *pos += value_len(col, &data[*pos..])?;
                }
                return Ok(());
            }
            let value = if is_null {
                Value::Null
            } else {
                let (value, len) = decode_value_with(col, &data[*pos..], partial)?;
                *pos += len;
                value
            };
            if let Some(slot) = image.get_mut(i) {
                *slot = Some(value);
            }
            Ok(())
        },
    )?;
    Ok(image)
}
