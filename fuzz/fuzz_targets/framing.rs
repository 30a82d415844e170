//! Framing only: arbitrary bytes through `EventReader` until the end or the
//! first error. The first byte chooses the options: bit 0 turns CRC
//! verification on, bit 1 prefixes the binlog magic so the fuzzer gets past
//! it in half the cases without having to find it.
#![no_main]

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use myreplay_binlog::reader::BINLOG_MAGIC;
use myreplay_binlog::{EventReader, ReaderOptions};

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let options = ReaderOptions {
        max_event_size: 1 << 20,
        verify_checksums: flags & 1 != 0,
    };
    let input: Vec<u8> = if flags & 2 != 0 {
        BINLOG_MAGIC.iter().chain(rest).copied().collect()
    } else {
        rest.to_vec()
    };
    let len = input.len() as u64;
    let Ok(mut reader) = EventReader::new("fuzz", Cursor::new(input), Some(len), options) else {
        return;
    };
    while let Ok(Some(_event)) = reader.next_event() {}
});
