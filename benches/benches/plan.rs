//! Planner throughput on a real binlog (read into memory first, so the
//! reader is not measured): row changes per second on one core for key sets (rows decoded against their table maps, keys normalised and
//! hashed) and for key sets plus dependency-graph scheduling (every
//! transaction pushed, units taken and completed as soon as they are ready).
//!
//! Input as for the `parse` bench: the sysbench binlog from
//! `bash scripts/gen-bench-binlog.sh`, with the sysbench schema given by
//! hand (8 tables, `id` INT primary key); under `cargo test`, the committed
//! fixture `testdata/mariadb/binlog.000004` (20,000 rows into `fixtures.big`).

use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use myreplay_binlog::{EventStream, Item, StreamOptions, TransactionStream};
use myreplay_plan::{
    BinlogPlanner, Collation, Column, Graph, Index, IndexPart, Limits, PlannedTxn, Scheduler,
    Schema, Table, TableName,
};

fn column(name: &str, collation: Collation) -> Column {
    Column {
        name: name.into(),
        collation,
        nullable: false,
    }
}

fn table(db: &str, name: &str, columns: Vec<Column>) -> Table {
    let mut t = Table::new(TableName::new(db, name), columns);
    t.primary_key = Some(Index {
        name: "PRIMARY".into(),
        parts: vec![IndexPart {
            column: 0,
            prefix: None,
        }],
    });
    t
}

struct Input {
    path: PathBuf,
    /// Where to start reading (past the fixture's CREATE TABLE, after which
    /// the planner would rightly key the new table at table level).
    start: Option<u64>,
    schema: Schema,
    transactions: u64,
    rows: u64,
}

fn input() -> Input {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let ci = Collation::Insensitive { pad_space: true };
    let mut schema = Schema::new();
    if std::env::args().any(|a| a == "--bench") {
        let path = std::env::var_os("MYREPLAY_BENCH_BINLOG")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join("benches/data/sysbench-oltp-write-only.binlog"));
        assert!(
            path.is_file(),
            "{} is missing: run `bash scripts/gen-bench-binlog.sh` first",
            path.display()
        );
        for i in 1..=8 {
            let cols = vec![
                column("id", Collation::Binary),
                column("k", Collation::Binary),
                column("c", ci),
                column("pad", ci),
            ];
            schema.insert(table("sbtest", &format!("sbtest{i}"), cols));
        }
        Input {
            path,
            start: None,
            schema,
            transactions: 60_000,
            rows: 240_000,
        }
    } else {
        let cols = vec![
            column("id", Collation::Binary),
            column("v", Collation::Binary),
        ];
        schema.insert(table("fixtures", "big", cols));
        let path = root.join("testdata/mariadb/binlog.000004");
        Input {
            path,
            start: Some(584),
            schema,
            transactions: 1,
            rows: 20_000,
        }
    }
}

/// Reads the binlog once: the planner is measured without the reader.
fn items(input: &Input) -> Vec<Item> {
    let options = StreamOptions {
        start_position: input.start,
        ..StreamOptions::default()
    };
    let events = EventStream::open(&[&input.path], options).unwrap();
    let mut txns = TransactionStream::new(events);
    let mut items = vec![];
    while let Some(item) = txns.next_item().unwrap() {
        items.push(item);
    }
    items
}

/// Plans every transaction; with `schedule`, also runs them through the graph.
fn plan(input: &Input, items: &[Item], schedule: bool) -> (u64, u64) {
    let mut planner = BinlogPlanner::with_schema(input.schema.clone());
    let mut graph: Graph<()> = Graph::new();
    let limits = Limits::default();
    let (mut n, mut rows) = (0, 0);
    for item in items {
        let Some(p) = planner.feed(item).unwrap() else {
            continue;
        };
        n += 1;
        rows += p.summary.rows;
        assert!(
            p.coarse.is_empty(),
            "every table has its primary key: {:?}",
            p.coarse
        );
        if schedule {
            graph.push(PlannedTxn {
                id: p.summary.ordinal,
                keys: p.keys,
                rows: p.summary.rows,
                bytes: p.summary.bytes,
                payload: (),
            });
            while graph.pending() > 1000 {
                let unit = graph.next_unit(&limits).expect("something is ready");
                graph.complete(unit.id);
            }
        }
    }
    while let Some(unit) = graph.next_unit(&limits) {
        graph.complete(unit.id);
    }
    assert_eq!(graph.pending(), 0);
    (n, rows)
}

fn planner(c: &mut Criterion) {
    let input = input();
    let items = items(&input);
    let mut g = c.benchmark_group("plan");
    g.throughput(Throughput::Elements(input.rows));
    g.sample_size(10);
    g.bench_function("keys", |b| {
        b.iter(|| {
            assert_eq!(
                plan(&input, &items, false),
                (input.transactions, input.rows)
            )
        })
    });
    g.bench_function("keys+schedule", |b| {
        b.iter(|| assert_eq!(plan(&input, &items, true), (input.transactions, input.rows)))
    });
    g.finish();
}

criterion_group!(benches, planner);
criterion_main!(benches);
