//! `myreplay apply`: the replay.

use std::io::{IsTerminal, Write};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use myreplay_apply::{CheckpointTable, Replay, ReplayError};

use crate::args::ApplyArgs;

pub fn run(args: &ApplyArgs) -> anyhow::Result<()> {
    let Some(target) = args.conn.options()? else {
        anyhow::bail!(
            "myreplay apply needs a target: give -h/-P/-u/-p or -S like the mysql client"
        );
    };
    if args.dry_run {
        return crate::plan::report(&args.read, Some(target), &[]);
    }
    let mut replay = Replay::new(args.read.files.clone(), target);
    replay.stream = args.read.stream_options();
    if let Some(w) = args.workers {
        replay.workers = w.max(1);
    }
    replay.limits.max_transactions = args.unit_transactions.max(1);
    replay.checkpoint = CheckpointTable::parse(&args.checkpoint_table)?;
    replay.log_bin = args.log_bin;

    let started = Instant::now();
    let mut last_print = Instant::now();
    let tty = std::io::stderr().is_terminal();
    let progress = |p: myreplay_apply::Progress| {
        if last_print.elapsed() >= Duration::from_secs(if tty { 1 } else { 5 }) {
            last_print = Instant::now();
            let secs = started.elapsed().as_secs_f64().max(0.001);
            let line = format!(
                "myreplay: {} transactions applied ({} skipped), {} rows, {:.0} transactions/s",
                p.transactions_applied,
                p.transactions_skipped,
                p.rows,
                p.transactions_applied as f64 / secs
            );
            if tty {
                eprint!("\r{line}");
            } else {
                eprintln!("{line}");
            }
        }
    };
    let result = replay.run(progress, &AtomicBool::new(false));
    if tty {
        eprintln!();
    }
    let report = match &result {
        Ok(r) => r.clone(),
        Err(ReplayError::Apply { report, .. }) | Err(ReplayError::Cancelled { report }) => {
            (**report).clone()
        }
        Err(_) => Default::default(),
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.read.json {
        serde_json::to_writer(&mut out, &report)?;
        writeln!(out)?;
    } else {
        writeln!(
            out,
            "applied {} transactions ({} skipped as already applied), {} rows in {:.2} s ({:.0} transactions/s)",
            report.transactions_applied,
            report.transactions_skipped,
            report.rows,
            report.seconds,
            report.transactions_applied as f64 / report.seconds.max(0.001)
        )?;
        match &report.last_applied {
            Some(l) => writeln!(
                out,
                "last applied: {} at {} ({}), committed on the source at {} (UTC epoch seconds)",
                l.file,
                l.offset,
                l.gtid.as_deref().unwrap_or("no GTID"),
                l.timestamp
            )?,
            None => writeln!(out, "nothing new to apply")?,
        }
    }
    result.map(|_| ()).map_err(anyhow::Error::from)
}
