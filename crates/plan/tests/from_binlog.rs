//! Key sets of real MariaDB transactions (testdata/mariadb, written by
//! testdata/generate.sh): a schema given as data keys rows exactly; a DDL
//! makes the tables it names fall back to table-level keys until their new
//! definition is set; statement DML, DDL and XA are barriers.

use std::path::Path;

use myreplay_binlog::{EventStream, StreamOptions, TransactionStream};
use myreplay_plan::{
    BarrierCause, BinlogPlanner, CoarseReason, Collation, Column, Index, IndexPart,
    PlannedTransaction, Schema, Table, TableName,
};

fn plan_all(planner: &mut BinlogPlanner, file: &str) -> Vec<PlannedTransaction> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/mariadb")
        .join(file);
    let events = EventStream::open(&[path], StreamOptions::default()).unwrap();
    let mut txns = TransactionStream::new(events);
    let mut out = vec![];
    while let Some(item) = txns.next_item().unwrap() {
        if let Some(p) = planner.feed(&item).unwrap() {
            out.push(p);
        }
    }
    out
}

fn gen_cols() -> Table {
    let col = |n: &str| Column {
        name: n.into(),
        collation: Collation::Binary,
        nullable: true,
    };
    let mut t = Table::new(
        TableName::new("fixtures", "gen_cols"),
        vec![col("id"), col("a"), col("v"), col("p")],
    );
    t.primary_key = Some(Index {
        name: "PRIMARY".into(),
        parts: vec![IndexPart {
            column: 0,
            prefix: None,
        }],
    });
    t
}

#[test]
fn ddl_makes_named_tables_table_level_until_they_are_read_again() {
    let mut schema = Schema::new();
    schema.insert(gen_cols());
    let mut planner = BinlogPlanner::with_schema(schema);
    let planned = plan_all(&mut planner, "binlog.000003");
    let gen = TableName::new("fixtures", "gen_cols");
    let touching: Vec<&PlannedTransaction> = planned
        .iter()
        .filter(|p| p.keys.barrier.is_none() && p.coarse.iter().any(|(t, _)| *t == gen))
        .collect();
    // gen_cols is created in this file: every row change after its CREATE
    // TABLE is keyed at table level, because the planner cannot know the
    // schema the DDL produced.
    assert!(!touching.is_empty());
    assert!(touching
        .iter()
        .all(|p| p.coarse.contains(&(gen.clone(), CoarseReason::NoSchema))));

    // Given the definition again (as apply does after running the DDL), its
    // rows get exact keys.
    let mut schema = Schema::new();
    schema.insert(gen_cols());
    let mut planner = BinlogPlanner::with_schema(schema);
    let options = StreamOptions::default();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/mariadb/binlog.000003");
    let mut txns = TransactionStream::new(EventStream::open(&[path], options).unwrap());
    let mut exact = 0;
    while let Some(item) = txns.next_item().unwrap() {
        let Some(p) = planner.feed(&item).unwrap() else {
            continue;
        };
        if p.keys.barrier == Some(BarrierCause::Ddl) {
            planner.set_table(gen_cols());
        } else if p.coarse.is_empty() && !p.keys.values.is_empty() {
            exact += 1;
        }
    }
    assert!(exact > 0, "rows keyed exactly once the table was set again");
}

#[test]
fn barriers_by_cause_on_the_fixtures() {
    let mut planner = BinlogPlanner::offline();
    let mut causes = std::collections::BTreeMap::new();
    for f in [
        "binlog.000001",
        "binlog.000002",
        "binlog.000003",
        "binlog.000004",
        "binlog.000005",
    ] {
        for p in plan_all(&mut planner, f) {
            if let Some(c) = p.keys.barrier {
                *causes.entry(c).or_insert(0) += 1;
            }
            assert_eq!(
                p.keys.barrier.is_some(),
                p.summary.kind != myreplay_binlog::TransactionKind::Row,
                "#{} {:?}",
                p.summary.ordinal,
                p.summary.kind
            );
        }
    }
    assert_eq!(causes.get(&BarrierCause::Xa), Some(&4));
    assert!(causes[&BarrierCause::Ddl] >= 10);
    assert!(causes[&BarrierCause::Statement] >= 5);
}
