//! `myreplay events`: one line per event.

use std::io::{self, Write};

use myreplay_binlog::{Event, EventData, EventStream, Item, TransactionStream, TransactionTexts};
use serde::Serialize;

use crate::args::EventsArgs;

#[derive(Serialize)]
struct EventLine<'a> {
    file: &'a str,
    offset: u64,
    end: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    inner: Option<u32>,
    type_code: u8,
    #[serde(rename = "type")]
    type_name: &'a str,
    timestamp: u32,
    /// `timestamp` in --timezone, RFC 3339.
    time: String,
    server_id: u32,
    #[serde(skip_serializing_if = "String::is_empty")]
    info: String,
}

pub fn run(all: &EventsArgs) -> anyhow::Result<()> {
    let args = &all.read;
    let zone =
        myreplay_apply::time_zone::Zone::parse(&args.timezone).map_err(anyhow::Error::msg)?;
    let selection = all
        .select
        .selection(&args.timezone)
        .map_err(anyhow::Error::msg)?;
    let input = crate::input::Input::resolve(args)?;
    let stream = EventStream::open(&input.files, input.stream)?;
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let print = |out: &mut io::BufWriter<io::StdoutLock<'_>>, event: &Event| -> io::Result<()> {
        let name = event.event_type().name();
        let line = EventLine {
            file: &event.raw.pos.file,
            offset: event.raw.pos.offset,
            end: event.end,
            inner: event.inner,
            type_code: event.event_type().code(),
            type_name: &name,
            timestamp: event.raw.header.timestamp,
            time: zone.rfc3339_micros(u64::from(event.raw.header.timestamp) * 1_000_000),
            server_id: event.raw.header.server_id,
            info: info(event),
        };
        if args.json {
            serde_json::to_writer(&mut *out, &line).map_err(io::Error::from)?;
            writeln!(out)
        } else {
            let inner = line.inner.map(|i| format!(" [{i}]")).unwrap_or_default();
            writeln!(
                out,
                "{}\t{}\t{}{}\t{}\t{}\t{}",
                line.file,
                line.offset,
                line.end,
                inner,
                zone.format(line.timestamp),
                line.type_name,
                line.info
            )
        }
    };
    let selective =
        selection.picks() || selection.start_time.is_some() || selection.stop_time.is_some();
    if !selective {
        let mut stream = stream;
        while let Some(event) = stream.next_event()? {
            if print(&mut out, &event).is_err() {
                // Broken pipe (`| head`): stop quietly.
                return Ok(());
            }
        }
        let _ = out.flush();
        return Ok(());
    }
    // Only the events of the transactions picked: each transaction's
    // events are held until its end decides.
    let mut txns = TransactionStream::new(stream);
    let mut held: Vec<Event> = vec![];
    let mut texts = TransactionTexts::default();
    while let Some(item) = txns.next_item()? {
        match item {
            Item::Bookkeeping(_) => {}
            Item::Begin(_) => {
                held.clear();
                texts = TransactionTexts::default();
            }
            Item::Event(e) => {
                texts.add(&e.data);
                held.push(e);
            }
            Item::End(t) => {
                if input.holds(t.gtid.as_ref()) || !selection.matches(&t, &texts) {
                    continue;
                }
                for e in held.drain(..) {
                    if print(&mut out, &e).is_err() {
                        return Ok(());
                    }
                }
            }
        }
    }
    let _ = out.flush();
    Ok(())
}

/// A short description of what the event says.
pub fn info(event: &Event) -> String {
    match &event.data {
        EventData::FormatDescription {
            server_version,
            checksum,
            in_use,
            ..
        } => format!(
            "server {server_version}{}{}",
            if *checksum { ", CRC32" } else { "" },
            if *in_use {
                ", in use (not closed cleanly)"
            } else {
                ""
            }
        ),
        EventData::Rotate {
            next_file,
            position,
        } => format!("to {next_file}:{position}"),
        EventData::Query(q) => {
            let sql = q.sql_lossy();
            let one_line: String = sql.split_whitespace().collect::<Vec<_>>().join(" ");
            truncate(&one_line, 120)
        }
        EventData::Xid(x) => format!("xid={x}"),
        EventData::Intvar { kind, value } => format!(
            "{}={value}",
            if *kind == 2 {
                "INSERT_ID"
            } else {
                "LAST_INSERT_ID"
            }
        ),
        EventData::Rand { seed1, seed2 } => format!("rand_seed1={seed1} rand_seed2={seed2}"),
        EventData::UserVar { name } => format!("@`{name}`"),
        EventData::TableMap(t) => format!(
            "table_id={} `{}`.`{}`",
            t.table_id(),
            t.database_name(),
            t.table_name()
        ),
        EventData::Rows(r) => format!(
            "table_id={}{}{}",
            r.table_id,
            if r.is_statement_end() {
                " STMT_END"
            } else {
                ""
            },
            if r.compressed { " compressed" } else { "" }
        ),
        EventData::Gtid(g) => {
            let mut s = g
                .gtid
                .as_ref()
                .map(|g| g.to_string())
                .unwrap_or_else(|| "anonymous".into());
            if let (Some(lc), Some(sn)) = (g.last_committed, g.sequence_number) {
                s.push_str(&format!(" last_committed={lc} sequence_number={sn}"));
            }
            if let Some(m) = &g.mariadb {
                if let Some(c) = m.commit_id {
                    s.push_str(&format!(" cid={c}"));
                }
                if m.is_standalone() {
                    s.push_str(" standalone");
                }
            }
            s
        }
        EventData::GtidList(l) => {
            let v: Vec<String> = l.iter().map(|g| g.to_string()).collect();
            format!("[{}]", v.join(","))
        }
        EventData::BinlogCheckpoint(f) => f.clone(),
        EventData::RowsQuery(q) => {
            let q = String::from_utf8_lossy(q);
            truncate(&q.split_whitespace().collect::<Vec<_>>().join(" "), 120)
        }
        EventData::Incident { code, message } => format!("incident {code}: {message}"),
        EventData::TransactionPayload {
            uncompressed_size, ..
        } => format!("{uncompressed_size} bytes uncompressed"),
        _ => String::new(),
    }
}

fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s.to_string(),
    }
}
