//! Framing, decoding and transaction assembly (including row counting against
//! table maps): arbitrary bytes through `TransactionStream` until the end or
//! the first error. Checksums are off, as in `decode`.
#![no_main]

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use myreplay_binlog::{EventStream, ReaderOptions, StreamOptions, TransactionStream};

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
    let Ok(stream) =
        EventStream::from_reader("fuzz", Cursor::new(data.to_vec()), Some(len), options)
    else {
        return;
    };
    let mut transactions = TransactionStream::new(stream);
    while let Ok(Some(_item)) = transactions.next_item() {}
});
