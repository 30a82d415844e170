//! Where a recovery starts, as restore tooling asks it: the backup's
//! coordinates, the binlogs found in a directory, and the proven start.
//!
//! ```sh
//! cargo run -p myreplay-source --example recovery_start -- /backups/full-2026-11-30 /var/lib/mysql
//! ```

use myreplay_binlog::ReaderOptions;
use myreplay_source::{backup, plan_start, BinlogLocation, BinlogSet, StartRequest};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args_os().skip(1);
    let (Some(backup_path), Some(dir)) = (args.next(), args.next()) else {
        eprintln!("usage: recovery_start BACKUP BINLOG_DIR");
        std::process::exit(2);
    };
    let coordinates = backup::read_backup(backup_path.as_ref())?;
    println!(
        "{} backup ({}): file {:?}, position {:?}, GTID {:?}",
        coordinates.tool,
        coordinates.origin.display(),
        coordinates.binlog_file,
        coordinates.binlog_position,
        coordinates.gtid_set
    );
    let options = ReaderOptions::default();
    let binlogs = BinlogSet::discover(&BinlogLocation::Dir(dir.into()), options)?;
    let request = StartRequest {
        backup: Some(coordinates),
        ..StartRequest::default()
    };
    let start = plan_start(&binlogs, &request, options)?;
    println!("{}", start.reason);
    for w in &start.warnings {
        println!("warning: {w}");
    }
    for (i, f) in start.binlogs.iter().enumerate() {
        let what = if i < start.skipped { "skip" } else { "read" };
        println!("{what} {} ({} transactions)", f.name, f.transactions);
    }
    // A replayer reads start.files from start.start_position and leaves out
    // the transactions inside start.start_state.
    Ok(())
}
