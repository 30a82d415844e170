//! Inputs the fuzz targets (`fuzz/`) found crashing or hanging, fed through
//! the same paths: framing (`EventReader`, with and without CRC checks),
//! decoding (`EventStream`), transaction assembly (`TransactionStream`) and
//! the `rows` target's row-image decoding (its structured input format and
//! body are `fuzz/src/rows.rs`, included here). Every file goes through every
//! path: any bytes are an input to each. Errors are fine; a panic is a
//! failure. Each file and path runs under `catch_unwind` so one run reports
//! every failing input.
//!
//! An input whose bug is an unbounded allocation (a length field trusted
//! before it is checked against the event) may abort the process instead of
//! panicking ("memory allocation of N bytes failed"); that also fails the test.
//! So does a hang, by never finishing (`rows-json-shared-subtrees.bin` took
//! 2^100 steps before its fix). A large allocation that succeeds is caught by
//! the counting allocator below: no single allocation may exceed
//! [`MAX_ALLOCATION`], the bound the fuzz runs use (`-malloc_limit_mb=8`).
//! It sees Rust allocations only; zstd's own (C) allocations, such as the
//! window `payload-zstd-window-128mib.bin` asked for, are caught by replaying
//! the file with a fuzz binary and `-malloc_limit_mb=8` (fuzz/README.md).

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Cursor;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

#[allow(dead_code)] // the seed converter's half of the module
#[path = "../../../fuzz/src/rows.rs"]
mod rows;

use myreplay_binlog::{EventReader, EventStream, ReaderOptions, StreamOptions, TransactionStream};

const LIMIT: u64 = 1 << 20;

/// Largest single allocation allowed while reading an input: a few times the
/// 1 MiB event and inflate limits (the reader reads in 1 MiB chunks and its
/// buffer may grow to about twice that to hold a whole 1 MiB event).
const MAX_ALLOCATION: usize = 8 << 20;

/// The system allocator, remembering the largest allocation since the last
/// [`take_largest`].
struct Counting;

static LARGEST: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LARGEST.fetch_max(new_size, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn take_largest() -> usize {
    LARGEST.swap(0, Ordering::Relaxed)
}

fn stream(data: &[u8]) -> EventStream {
    let options = StreamOptions {
        inflate_limit: LIMIT,
        reader: ReaderOptions {
            max_event_size: LIMIT,
            verify_checksums: false,
        },
        ..Default::default()
    };
    EventStream::from_reader(
        "fuzz",
        Cursor::new(data.to_vec()),
        Some(data.len() as u64),
        options,
    )
    .expect("no positions given: the stream opens")
}

fn framing(data: &[u8], verify_checksums: bool) {
    let options = ReaderOptions {
        max_event_size: LIMIT,
        verify_checksums,
    };
    let len = Some(data.len() as u64);
    if let Ok(mut reader) = EventReader::new("fuzz", Cursor::new(data.to_vec()), len, options) {
        while let Ok(Some(_)) = reader.next_event() {}
    }
}

fn events(data: &[u8]) {
    let mut s = stream(data);
    while let Ok(Some(_)) = s.next_event() {}
}

fn transactions(data: &[u8]) {
    let mut t = TransactionStream::new(stream(data));
    while let Ok(Some(_)) = t.next_item() {}
}

fn inputs() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_regressions");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "bin"))
        .collect();
    files.sort();
    files
}

/// A named way of feeding an input through the library.
type ReadPath = (&'static str, fn(&[u8]));

#[test]
fn fuzz_regressions_do_not_panic() {
    let files = inputs();
    assert!(!files.is_empty(), "no regression inputs found");
    let paths: [ReadPath; 5] = [
        ("framing (no CRC)", |d| framing(d, false)),
        ("framing (CRC)", |d| framing(d, true)),
        ("EventStream", events),
        ("TransactionStream", transactions),
        ("rows target", rows::run),
    ];
    let mut failures = Vec::new();
    for file in &files {
        let data = std::fs::read(file).unwrap();
        for (name, run) in paths {
            take_largest();
            if catch_unwind(AssertUnwindSafe(|| run(&data))).is_err() {
                failures.push(format!("{} via {name}", file.display()));
            }
            let largest = take_largest();
            if largest > MAX_ALLOCATION {
                failures.push(format!(
                    "{} via {name}: allocated {largest} bytes at once",
                    file.display()
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "panicked or allocated too much:\n{}",
        failures.join("\n")
    );
}
