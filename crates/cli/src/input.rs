//! Which binlogs a command reads and where it starts: the FILEs given, or
//! the binlogs found with `--binlog-dir` / `--binlog-index`, started where
//! `--from-backup` or `--start-gtid` say (the `myreplay-source` crate).

use std::io::Write;
use std::path::PathBuf;

use myreplay_binlog::{GtidSet, StreamOptions};
use myreplay_source::{backup, plan_start, BinlogLocation, BinlogSet, RecoveryStart, StartRequest};

use crate::args::ReadArgs;

/// What to read.
pub struct Input {
    pub files: Vec<PathBuf>,
    pub stream: StreamOptions,
    /// How the start was worked out, when it was (not for plain FILEs).
    pub recovery: Option<RecoveryStart>,
}

impl Input {
    /// The files and start point `read` asks for. With a backup, a GTID
    /// state or a directory, every file is scanned first and the start
    /// proven (or refused) before anything is applied; the start and any
    /// warnings go to stderr.
    pub fn resolve(read: &ReadArgs) -> anyhow::Result<Input> {
        let mut stream = read.stream_options();
        let planned = read.from_backup.is_some()
            || read.start_gtid.is_some()
            || read.binlog_dir.is_some()
            || read.binlog_index.is_some();
        if !planned {
            return Ok(Input {
                files: read.files.clone(),
                stream,
                recovery: None,
            });
        }
        let start_gtid = read.start_gtid.clone();
        let coordinates = read
            .from_backup
            .as_deref()
            .map(backup::read_backup)
            .transpose()?;
        let location = match (&read.binlog_dir, &read.binlog_index) {
            (Some(d), _) => BinlogLocation::Dir(d.clone()),
            (None, Some(i)) => BinlogLocation::Index(i.clone()),
            (None, None) => BinlogLocation::Files(read.files.clone()),
        };
        let set = BinlogSet::discover(&location, stream.reader)?;
        let request = StartRequest {
            backup: coordinates,
            start_gtid,
            start_position: read.start_position,
            allow_gap: read.allow_gap,
        };
        let start = plan_start(&set, &request, stream.reader)?;
        eprintln!("myreplay: start: {}", start.reason);
        for w in &start.warnings {
            eprintln!("myreplay: warning: {w}");
        }
        stream.start_position = start.start_position;
        // Every gap was checked (and, with --allow-gap, accepted) above.
        stream.check_sequence = !read.allow_gap;
        Ok(Input {
            files: start.files.clone(),
            stream,
            recovery: Some(start),
        })
    }

    /// The GTID state the target holds already: transactions inside it are
    /// skipped.
    pub fn start_state(&self) -> Option<&GtidSet> {
        self.recovery.as_ref()?.start_state.as_ref()
    }

    /// Whether the target holds the transaction `gtid` already.
    pub fn holds(&self, gtid: Option<&myreplay_binlog::Gtid>) -> bool {
        matches!((self.start_state(), gtid), (Some(state), Some(g)) if state.contains(g))
    }

    /// Prints the plan of the recovery: where it starts and why, every
    /// binlog with its first and last GTID and commit time, what is skipped.
    pub fn print_recovery(&self, out: &mut impl Write) -> std::io::Result<()> {
        let Some(r) = &self.recovery else {
            return Ok(());
        };
        writeln!(out, "recovery start: {}", r.reason)?;
        if let Some(p) = r.start_position {
            writeln!(out, "  first binlog read from offset {p}")?;
        }
        for w in &r.warnings {
            writeln!(out, "  warning: {w}")?;
        }
        writeln!(out, "binlogs:")?;
        for (i, f) in r.binlogs.iter().enumerate() {
            let gtid = |m: &Option<myreplay_source::TransactionMark>| {
                m.as_ref()
                    .map(|m| {
                        format!(
                            "{} at {}",
                            m.gtid
                                .as_ref()
                                .map_or("no GTID".to_string(), |g| g.to_string()),
                            crate::time::utc(m.timestamp)
                        )
                    })
                    .unwrap_or_else(|| "-".into())
            };
            let what = if i < r.skipped {
                "skipped: the target holds all of it"
            } else if i == r.skipped && r.start_state.is_some() {
                "read; transactions inside the start state skipped"
            } else {
                "read"
            };
            writeln!(
                out,
                "  {}  {} bytes, {} transactions, first {}, last {}  [{what}]",
                f.name,
                f.size,
                f.transactions,
                gtid(&f.first),
                gtid(&f.last)
            )?;
            if let Some(p) = &f.problem {
                writeln!(out, "    stops at: {p}")?;
            }
        }
        Ok(())
    }
}
