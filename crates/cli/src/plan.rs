//! `myreplay plan`: what the dependency analysis finds in binlogs.

use std::collections::BTreeMap;
use std::io::Write;

use myreplay_binlog::{EventStream, TransactionStream};
use myreplay_plan::{Analysis, BarrierCause, BinlogPlanner, CoarseReason, KeySource, Parallelism};
use serde::Serialize;

use crate::args::PlanArgs;

const WORKERS: [usize; 5] = [1, 2, 4, 8, 16];

#[derive(Serialize)]
struct Largest {
    ordinal: u64,
    gtid: Option<String>,
    file: String,
    offset: u64,
    rows: u64,
}

#[derive(Serialize)]
struct Report<'a> {
    key_source: KeySource,
    transactions: u64,
    rows: u64,
    /// Barrier transactions (run alone), total.
    barriers: u64,
    barriers_by_cause: BTreeMap<BarrierCause, u64>,
    /// Tables keyed at table level, and why.
    table_level_keys: BTreeMap<String, Vec<CoarseReason>>,
    keyless_tables: Vec<String>,
    cascade_chains: Vec<String>,
    tables_with_triggers: Vec<String>,
    largest_transactions: Vec<Largest>,
    critical_path: u64,
    /// Workers -> speedup over one worker.
    speedup: BTreeMap<usize, f64>,
    /// Rows events by image: every column in every image (FULL), or not
    /// (MINIMAL / NOBLOB); and statement-format transactions.
    row_images: RowImages,
    warnings: Vec<String>,
    /// Transactions inside the start state (the target holds them), not planned.
    transactions_before_start: u64,
    /// Transactions the filters (--database, --table, --kind, --grep,
    /// --start/--stop-datetime) left out, not planned.
    #[serde(skip_serializing_if = "is_zero")]
    transactions_left_out: u64,
    /// Where the recovery starts and why, every binlog (with --from-backup,
    /// --start-gtid, --binlog-dir or --binlog-index).
    #[serde(skip_serializing_if = "Option::is_none")]
    recovery: Option<&'a myreplay_source::RecoveryStart>,
}

/// What row images and formats the binlogs hold.
#[derive(Default, Serialize)]
struct RowImages {
    full: u64,
    partial: u64,
}

impl RowImages {
    fn count(&mut self, item: &myreplay_binlog::Item) {
        let myreplay_binlog::Item::Event(e) = item else {
            return;
        };
        let myreplay_binlog::EventData::Rows(r) = &e.data else {
            return;
        };
        let (before, after) = r.present_columns();
        let complete = |b: Option<&[u8]>| {
            b.is_none_or(|b| {
                (0..r.columns as usize)
                    .all(|i| b.get(i / 8).is_some_and(|x| x & (1 << (i % 8)) != 0))
            })
        };
        if complete(before) && complete(after) {
            self.full += 1;
        } else {
            self.partial += 1;
        }
    }
}

pub fn run(args: &PlanArgs) -> anyhow::Result<()> {
    let input = crate::input::Input::resolve(&args.read)?;
    let selection = args
        .select
        .selection(&args.read.timezone)
        .map_err(anyhow::Error::msg)?;
    report(
        &args.read,
        &input,
        args.conn.options()?,
        &args.select.database,
        &selection,
    )
}

/// Plans `read`'s binlogs, with the keys of the server `conn` names if any,
/// and prints the report (`myreplay plan`, `myreplay apply --dry-run`).
pub fn report(
    read: &crate::args::ReadArgs,
    input: &crate::input::Input,
    conn: Option<myreplay_apply::ConnectOptions>,
    databases: &[String],
    selection: &myreplay_binlog::Selection,
) -> anyhow::Result<()> {
    let (mut planner, schema_notes) = match conn {
        Some(opts) => {
            let mut conn = opts.conn()?;
            let schema = myreplay_apply::load_schema(&mut conn, databases)?;
            let notes = SchemaNotes::of(&schema);
            (BinlogPlanner::with_schema(schema), notes)
        }
        None => (BinlogPlanner::offline(), SchemaNotes::default()),
    };
    let events = EventStream::open(&input.files, input.stream)?;
    let mut txns = TransactionStream::new(events);
    let mut before_start = 0u64;
    let mut analysis = Analysis::new(&WORKERS, 100_000);
    let (mut transactions, mut rows, mut barriers) = (0u64, 0u64, 0u64);
    let mut by_cause = BTreeMap::new();
    let mut largest: Vec<Largest> = vec![];
    let mut images = RowImages::default();
    let mut texts = myreplay_binlog::TransactionTexts::default();
    let mut left_out = 0u64;
    while let Some(item) = txns.next_item()? {
        images.count(&item);
        match &item {
            myreplay_binlog::Item::Begin(_) => texts = Default::default(),
            myreplay_binlog::Item::Event(e) => texts.add(&e.data),
            _ => {}
        }
        let Some(p) = planner.feed(&item)? else {
            continue;
        };
        // Inside the start state: the target holds it already.
        if input.holds(p.summary.gtid.as_ref()) {
            before_start += 1;
            continue;
        }
        if !selection.matches(&p.summary, &texts) {
            left_out += 1;
            continue;
        }
        transactions += 1;
        rows += p.summary.rows;
        if let Some(cause) = p.keys.barrier {
            barriers += 1;
            *by_cause.entry(cause).or_insert(0) += 1;
        }
        analysis.push(&p.keys, p.summary.rows);
        if largest.len() < 5 || p.summary.rows > largest.last().map_or(0, |l| l.rows) {
            largest.push(Largest {
                ordinal: p.summary.ordinal,
                gtid: p.summary.gtid.as_ref().map(|g| g.to_string()),
                file: p.summary.start.file.to_string(),
                offset: p.summary.start.offset,
                rows: p.summary.rows,
            });
            largest.sort_by(|a, b| b.rows.cmp(&a.rows).then(a.ordinal.cmp(&b.ordinal)));
            largest.truncate(5);
        }
    }
    let Parallelism {
        critical_path,
        speedup,
        ..
    } = analysis.finish();
    let table_level_keys: BTreeMap<String, Vec<CoarseReason>> = planner
        .coarse_tables
        .iter()
        .map(|(t, r)| (t.to_string(), r.iter().copied().collect()))
        .collect();
    let mut keyless: Vec<String> = planner
        .coarse_tables
        .iter()
        .filter(|(_, r)| r.contains(&CoarseReason::NoKey))
        .map(|(t, _)| t.to_string())
        .collect();
    keyless.extend(
        schema_notes
            .keyless
            .iter()
            .filter(|t| !keyless.contains(t))
            .cloned()
            .collect::<Vec<_>>(),
    );
    let mut warnings = vec![];
    if planner.source() == KeySource::Offline {
        warnings.push(
            "offline plan: key information comes from TABLE_MAP metadata only (primary keys under MySQL binlog_row_metadata=FULL); unique secondary keys and foreign keys are not in binlogs, so tables that have them may be planned too optimistically. Give -h/-P/-u/-p or -S of a server holding the schema (e.g. the restored backup) for exact keys".into(),
        );
    }
    let report = Report {
        key_source: planner.source(),
        transactions,
        rows,
        barriers,
        barriers_by_cause: by_cause,
        table_level_keys,
        keyless_tables: keyless,
        cascade_chains: schema_notes.cascades,
        tables_with_triggers: schema_notes.triggers,
        largest_transactions: largest,
        critical_path,
        speedup: speedup.into_iter().collect(),
        row_images: images,
        warnings,
        transactions_before_start: before_start,
        transactions_left_out: left_out,
        recovery: input.recovery.as_ref(),
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let written = if read.json {
        serde_json::to_writer(&mut out, &report)
            .map_err(std::io::Error::from)
            .and_then(|()| writeln!(out))
    } else {
        input
            .print_recovery(&mut out)
            .and_then(|()| print_text(&mut out, &report))
    };
    // A closed pipe (`| head`) is not an error.
    match written {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

/// Facts about the schema itself (not the binlog).
#[derive(Default)]
struct SchemaNotes {
    keyless: Vec<String>,
    cascades: Vec<String>,
    triggers: Vec<String>,
}

impl SchemaNotes {
    fn of(schema: &myreplay_plan::Schema) -> Self {
        let mut n = SchemaNotes::default();
        for t in schema.tables() {
            if !t.has_usable_key() {
                n.keyless.push(t.name.to_string());
            }
            if t.has_triggers {
                n.triggers.push(t.name.to_string());
            }
            for fk in t.referenced_by.iter().filter(|fk| fk.cascades()) {
                n.cascades.push(format!(
                    "{} -> {} (ON DELETE {:?}, ON UPDATE {:?})",
                    fk.parent, fk.child, fk.on_delete, fk.on_update
                ));
            }
        }
        n.keyless.sort();
        n.cascades.sort();
        n.triggers.sort();
        n
    }
}

fn print_text(out: &mut impl Write, r: &Report) -> std::io::Result<()> {
    writeln!(out, "key source:        {:?}", r.key_source)?;
    writeln!(out, "transactions:      {}", r.transactions)?;
    if r.transactions_before_start > 0 {
        writeln!(
            out,
            "before the start:  {} transactions inside the start state, skipped (the target holds them)",
            r.transactions_before_start
        )?;
    }
    if r.transactions_left_out > 0 {
        writeln!(
            out,
            "left out:          {} transactions the filters did not pick, not planned",
            r.transactions_left_out
        )?;
    }
    writeln!(out, "row changes:       {}", r.rows)?;
    writeln!(
        out,
        "barriers:          {} {:?}",
        r.barriers, r.barriers_by_cause
    )?;
    writeln!(
        out,
        "row events:        {} with FULL images, {} with MINIMAL/NOBLOB images",
        r.row_images.full, r.row_images.partial
    )?;
    writeln!(out, "critical path:     {} transactions", r.critical_path)?;
    let s: Vec<String> = r
        .speedup
        .iter()
        .map(|(w, x)| format!("{w}: {x:.2}x"))
        .collect();
    writeln!(out, "speedup (workers): {}", s.join(", "))?;
    if !r.table_level_keys.is_empty() {
        writeln!(out, "table-level keys:")?;
        for (t, why) in &r.table_level_keys {
            writeln!(out, "  {t}: {why:?}")?;
        }
    }
    for (title, list) in [
        ("tables without a usable key", &r.keyless_tables),
        ("cascading foreign keys", &r.cascade_chains),
        ("tables with triggers", &r.tables_with_triggers),
    ] {
        if !list.is_empty() {
            writeln!(out, "{title}:")?;
            for x in list {
                writeln!(out, "  {x}")?;
            }
        }
    }
    writeln!(out, "largest transactions:")?;
    for l in &r.largest_transactions {
        writeln!(
            out,
            "  #{} {} {} at {}: {} rows",
            l.ordinal,
            l.gtid.as_deref().unwrap_or("-"),
            l.file,
            l.offset,
            l.rows
        )?;
    }
    for w in &r.warnings {
        writeln!(out, "warning: {w}")?;
    }
    Ok(())
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}
