//! Framing and decoding: arbitrary bytes through `EventStream` until the end
//! or the first error. Checksums are off so mutated events reach the decoders
//! instead of stopping at the CRC check.
#![no_main]

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use myreplay_binlog::{EventStream, ReaderOptions, StreamOptions};

fuzz_target!(|data: &[u8]| {
    let len = data.len() as u64;
    let options = StreamOptions {
        inflate_limit: 1 << 20,
        reader: ReaderOptions {
            max_event_size: 1 << 20,
            verify_checksums: false,
        },
        ..Default::default()
    };
    let Ok(mut stream) =
        EventStream::from_reader("fuzz", Cursor::new(data.to_vec()), Some(len), options)
    else {
        return;
    };
    while let Ok(Some(_event)) = stream.next_event() {}
});
