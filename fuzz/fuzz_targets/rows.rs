//! Row-image decoding, structure-aware: the input is a table definition (what
//! a TABLE_MAP carries) and a rows event (WRITE / UPDATE / DELETE /
//! PARTIAL_UPDATE, v1 or v2, with present-column bitmaps); both are built into
//! real events, decoded, and every row and value is read through the event API
//! and the value API (layout, count_rows, rows, rows_only, value_len,
//! decode_value), which must agree. Format: `fuzz/src/rows.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    myreplay_fuzz::rows::run(data);
});
