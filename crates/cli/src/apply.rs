//! `myreplay apply`: the replay.

use std::io::{IsTerminal, Write};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use myreplay_apply::{CheckpointTable, Replay};

use crate::args::ApplyArgs;

pub fn run(args: &ApplyArgs) -> anyhow::Result<()> {
    // Before connecting (or asking for a password).
    let checkpoint = CheckpointTable::parse(&args.checkpoint_table)?;
    let Some(target) = args.conn.options()? else {
        anyhow::bail!(
            "myreplay apply needs a target: give -h/-P/-u/-p or -S like the mysql client"
        );
    };
    // Which binlogs and where to start: proven (or refused) before the
    // target is touched.
    let input = crate::input::Input::resolve(&args.read)?;
    if args.dry_run {
        let mut conn = target.conn()?;
        let p = myreplay_apply::preflight(
            &mut conn,
            input.files.first().map(|f| f.as_path()),
            args.log_bin,
            apply_path(args),
        )?;
        eprintln!(
            "preflight: target {} ({}), target binlog {}; binlogs written by {}; the apply session may skip the target's binlog and run BINLOG statements",
            target.describe(),
            p.server_version,
            if p.target_log_bin { "on" } else { "off" },
            p.source_server_version
        );
        if let Some(c) = &p.cluster {
            eprintln!(
                "preflight: the target is node `{}` of a Galera cluster of {}: the apply sessions write its binlog (as with --log-bin, the checkpoint table's DDL too), units fit wsrep_max_ws_rows = {} and wsrep_max_ws_size = {}, wsrep_gtid_mode = {}",
                c.node,
                c.size,
                c.max_ws_rows,
                c.max_ws_size,
                if c.gtid_mode { "ON" } else { "OFF" }
            );
        }
        return crate::plan::report(
            &args.read,
            &input,
            Some(target),
            &[],
            &myreplay_binlog::Selection::default(),
        );
    }
    if input.recovery.is_some() && input.files.is_empty() {
        // Proven above: the target holds every transaction of the binlogs.
        if args.read.json {
            println!(
                "{}",
                serde_json::to_string(&myreplay_apply::Report::default())?
            );
        } else {
            println!("nothing to apply: the start state holds every transaction of these binlogs");
        }
        return Ok(());
    }
    let mut replay = Replay::new(input.files.clone(), target);
    replay.stream = input.stream;
    replay.nodes = args.conn.other_nodes(&replay.target);
    if let Some(w) = args.workers {
        replay.workers = w.max(1);
    }
    replay.limits.max_transactions = args.unit_transactions.max(1);
    replay.checkpoint = checkpoint;
    replay.stream_threshold = args.stream_threshold;
    replay.max_pending_bytes = args.max_pending;
    replay.log_bin = args.log_bin || args.preserve_gtids;
    replay.preserve_gtids = args.preserve_gtids;
    replay.merge_statements = !args.no_merge_statements;
    replay.path = apply_path(args);
    let time = |t: &Option<String>| -> anyhow::Result<Option<u32>> {
        t.as_deref()
            .map(|t| myreplay_apply::filter::parse_datetime(t, &args.read.timezone))
            .transpose()
            .map_err(anyhow::Error::msg)
    };
    let gtid = |g: &Option<String>| -> anyhow::Result<Option<myreplay_binlog::Gtid>> {
        g.as_deref()
            .map(str::parse)
            .transpose()
            .map_err(anyhow::Error::msg)
    };
    replay.range = myreplay_apply::Range {
        start_time: time(&args.start_datetime)?,
        stop_time: time(&args.stop_datetime)?,
        stop_before_gtid: gtid(&args.stop_before_gtid)?,
        stop_after_gtid: gtid(&args.stop_after_gtid)?,
        start_state: input.start_state().cloned(),
    };
    for (option, given, ts) in [
        (
            "--start-datetime",
            &args.start_datetime,
            replay.range.start_time,
        ),
        (
            "--stop-datetime",
            &args.stop_datetime,
            replay.range.stop_time,
        ),
    ] {
        if let (Some(given), Some(ts)) = (given, ts) {
            eprintln!(
                "myreplay: {option} {given} in time zone {} is {} UTC",
                args.read.timezone,
                crate::time::utc(ts)
            );
        }
    }
    replay.rewrite = myreplay_apply::Rewrite {
        pairs: args
            .rewrite_db
            .iter()
            .map(|r| myreplay_apply::Rewrite::parse_pair(r))
            .collect::<Result<_, _>>()
            .map_err(anyhow::Error::msg)?,
    };
    replay.databases = myreplay_apply::DatabaseFilter {
        only: args.database.clone(),
        exclude: args.exclude_database.clone(),
        tables: args.pick.tables().map_err(anyhow::Error::msg)?,
    };
    // Tables are the filter's above (row changes by table).
    replay.selection = myreplay_binlog::Selection {
        tables: vec![],
        ..args.pick.selection().map_err(anyhow::Error::msg)?
    };

    let started = Instant::now();
    let mut last_print = Instant::now();
    let total: u64 = input
        .files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    // On a terminal: a bar (bytes of binlog applied, transactions, rate,
    // ETA). Otherwise: a plain line every 5 seconds.
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(total);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:30} {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta} {msg}",
            )
            .expect("a valid template"),
        );
        bar
    });
    let progress = |p: myreplay_apply::Progress| {
        let secs = started.elapsed().as_secs_f64().max(0.001);
        let msg = format!(
            "{} transactions ({} skipped), {:.0}/s",
            p.transactions_applied,
            p.transactions_skipped,
            p.transactions_applied as f64 / secs
        );
        match &bar {
            Some(bar) => {
                bar.set_position(p.bytes);
                bar.set_message(msg);
            }
            None if last_print.elapsed() >= Duration::from_secs(5) => {
                last_print = Instant::now();
                eprintln!("myreplay: {msg}, {} rows", p.rows);
            }
            None => {}
        }
    };
    // Ctrl-C (SIGINT) or SIGTERM: stop handing out work, let the running
    // units commit or roll back, report, exit 130. Run again to resume.
    static CANCEL: AtomicBool = AtomicBool::new(false);
    let _ = ctrlc::set_handler(|| {
        if CANCEL.swap(true, std::sync::atomic::Ordering::SeqCst) {
            std::process::exit(130); // a second signal: stop now (still safe: resumable)
        }
        eprintln!(
            "\nmyreplay: stopping after the running units; run the same command again to resume"
        );
    });
    let result = replay.run(progress, &CANCEL);
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let report = match &result {
        Ok(r) => r.clone(),
        Err(e) => e.report().cloned().unwrap_or_default(),
    };
    if report.units_split > 0 {
        eprintln!(
            "myreplay: warning: {} units were over the cluster's write-set limits (wsrep_max_ws_rows / wsrep_max_ws_size) and were split, each part committed on its own: raise the limits on every node, or give a smaller --unit-transactions",
            report.units_split
        );
    }
    for ddl in &report.ddls_found_applied {
        eprintln!(
            "myreplay: note: the DDL at {ddl} when run again: it was found already applied. An earlier run was cut after the server committed it and before its checkpoint row; it is now recorded as applied"
        );
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.read.json {
        serde_json::to_writer(&mut out, &report)?;
        writeln!(out)?;
    } else {
        writeln!(
            out,
            "applied {} transactions ({} skipped as already applied, {} left out by the range or filters, {} inside the start state), {} rows in {:.2} s ({:.0} transactions/s)",
            report.transactions_applied,
            report.transactions_skipped,
            report.transactions_filtered,
            report.transactions_before_start,
            report.rows,
            report.seconds,
            report.transactions_applied as f64 / report.seconds.max(0.001)
        )?;
        if report.transactions_streamed > 0 {
            writeln!(
                out,
                "{} of them larger than --stream-threshold: applied while read, alone",
                report.transactions_streamed
            )?;
        }
        match &report.last_applied {
            Some(l) => writeln!(
                out,
                "last applied: {} at {} ({}), committed on the source at {} UTC",
                l.file,
                l.offset,
                l.gtid.as_deref().unwrap_or("no GTID"),
                crate::time::utc(l.timestamp)
            )?,
            None => writeln!(out, "nothing new to apply")?,
        }
    }
    result.map(|_| ()).map_err(anyhow::Error::from)
}

/// `--apply binlog|sql`.
fn apply_path(args: &ApplyArgs) -> myreplay_apply::ApplyPath {
    match args.apply_path.as_str() {
        "sql" => myreplay_apply::ApplyPath::Sql,
        _ => myreplay_apply::ApplyPath::Binlog,
    }
}
