//! `myreplay transactions`: one line per transaction.

use std::io::{self, Write};

use myreplay_binlog::{EventStream, Item, TransactionStream, TransactionSummary};
use serde::Serialize;

use crate::args::ReadArgs;

#[derive(Serialize)]
struct TransactionLine<'a> {
    ordinal: u64,
    file: &'a str,
    offset: u64,
    end_file: &'a str,
    end: u64,
    gtid: Option<String>,
    kind: myreplay_binlog::TransactionKind,
    rows: u64,
    events: u64,
    bytes: u64,
    timestamp: u32,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    rolled_back: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_committed: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sequence_number: Option<u64>,
}

pub fn run(args: &ReadArgs) -> anyhow::Result<()> {
    let input = crate::input::Input::resolve(args)?;
    let events = EventStream::open(&input.files, input.stream)?;
    let mut txns = TransactionStream::new(events);
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut before_start = 0u64;
    while let Some(item) = txns.next_item()? {
        let Item::End(t) = item else { continue };
        // Inside the start state: the target holds it already.
        if input.holds(t.gtid.as_ref()) {
            before_start += 1;
            continue;
        }
        if print(&mut out, &t, args.json).is_err() {
            return Ok(()); // broken pipe
        }
    }
    let _ = out.flush();
    if before_start > 0 {
        eprintln!("myreplay: {before_start} transactions inside the start state not listed (the target holds them)");
    }
    Ok(())
}

fn print(out: &mut impl Write, t: &TransactionSummary, json: bool) -> io::Result<()> {
    let line = TransactionLine {
        ordinal: t.ordinal,
        file: &t.start.file,
        offset: t.start.offset,
        end_file: &t.end.file,
        end: t.end.offset,
        gtid: t.gtid.as_ref().map(|g| g.to_string()),
        kind: t.kind,
        rows: t.rows,
        events: t.events,
        bytes: t.bytes,
        timestamp: t.timestamp,
        rolled_back: t.rolled_back,
        last_committed: t.last_committed,
        sequence_number: t.sequence_number,
    };
    if json {
        serde_json::to_writer(&mut *out, &line)?;
        writeln!(out)
    } else {
        let kind = serde_json::to_value(line.kind).ok();
        let kind = kind.as_ref().and_then(|k| k.as_str()).unwrap_or("?");
        writeln!(
            out,
            "{}\t{}\t{}\t{}\t{}\t{}\trows={}{}",
            line.ordinal,
            line.file,
            line.offset,
            line.end,
            line.gtid.as_deref().unwrap_or("-"),
            kind,
            line.rows,
            if line.rolled_back { " rolled back" } else { "" }
        )
    }
}
