//! Parser throughput on a real binlog: framing alone, framing + decoding,
//! and framing + decoding + transaction assembly (rows counted against their
//! table maps), in MB/s on one core.
//!
//! Input: `benches/data/sysbench-oltp-write-only.binlog`, made by
//! `bash scripts/gen-bench-binlog.sh` (about 130 MB, 60,000 sysbench
//! oltp_write_only transactions), or the file named by `MYREPLAY_BENCH_BINLOG`.
//! Every run checks its own result against the summary the script wrote
//! beside the binlog. Under `cargo test` (no `--bench` flag) the benchmark
//! runs once on the small committed fixture `testdata/mariadb/binlog.000004`
//! instead, so the code path stays compiled and checked in CI.

use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use myreplay_binlog::{
    EventReader, EventStream, Item, ReaderOptions, StreamOptions, TransactionStream,
};

struct Input {
    path: PathBuf,
    size: u64,
    events: u64,
    transactions: u64,
    rows: u64,
}

fn input() -> Input {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let benching = std::env::args().any(|a| a == "--bench");
    let (path, summary) = if benching {
        let path = std::env::var_os("MYREPLAY_BENCH_BINLOG")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join("benches/data/sysbench-oltp-write-only.binlog"));
        assert!(
            path.is_file(),
            "{} is missing: run `bash scripts/gen-bench-binlog.sh` first",
            path.display()
        );
        let summary = path.with_extension("summary.json");
        (path, summary)
    } else {
        let path = root.join("testdata/mariadb/binlog.000004");
        let summary = root.join("testdata/mariadb/binlog.000004.summary.json");
        (path, summary)
    };
    let s: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(&summary).expect("summary beside the binlog"),
    )
    .unwrap();
    let rows = ["inserted", "updated", "deleted"]
        .iter()
        .map(|k| s["rows"][k].as_u64().unwrap())
        .sum();
    Input {
        size: std::fs::metadata(&path).unwrap().len(),
        events: s["events"].as_u64().unwrap(),
        transactions: s["transactions"].as_u64().unwrap(),
        rows,
        path,
    }
}

fn frame(path: &Path) -> u64 {
    let mut r = EventReader::open(path, ReaderOptions::default()).unwrap();
    let mut n = 0;
    while r.next_event().unwrap().is_some() {
        n += 1;
    }
    n
}

fn decode(path: &Path) -> u64 {
    let mut s = EventStream::open(&[path], StreamOptions::default()).unwrap();
    let mut n = 0;
    while s.next_event().unwrap().is_some() {
        n += 1;
    }
    n
}

fn transactions(path: &Path) -> (u64, u64) {
    let s = EventStream::open(&[path], StreamOptions::default()).unwrap();
    let mut t = TransactionStream::new(s);
    let (mut n, mut rows) = (0, 0);
    while let Some(item) = t.next_item().unwrap() {
        if let Item::End(s) = item {
            n += 1;
            rows += s.rows;
        }
    }
    (n, rows)
}

fn parse(c: &mut Criterion) {
    let input = input();
    let mut g = c.benchmark_group("parse");
    g.throughput(Throughput::Bytes(input.size));
    g.sample_size(10);
    g.bench_function("frame", |b| {
        b.iter(|| assert_eq!(frame(&input.path), input.events))
    });
    g.bench_function("decode", |b| {
        b.iter(|| assert_eq!(decode(&input.path), input.events))
    });
    g.bench_function("transactions", |b| {
        b.iter(|| assert_eq!(transactions(&input.path), (input.transactions, input.rows)))
    });
    g.finish();
}

criterion_group!(benches, parse);
criterion_main!(benches);
