//! `myreplay transactions`: one line per transaction, to find the stop
//! point: when it committed, its GTID and position, its kind, the tables it
//! changed with rows per table, and its statements.

use std::io::{self, Write};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;

use myreplay_apply::time_zone::Zone;
use myreplay_binlog::{
    Event, EventData, EventStream, Item, Selection, TableChanges, TableMap, TransactionStream,
    TransactionSummary, TransactionTexts,
};
use serde::Serialize;

use crate::args::{ReadArgs, TransactionsArgs};

/// Characters of statement text on a text line without `--verbose`.
const SHORT_STATEMENT: usize = 100;

#[derive(Serialize)]
struct TransactionLine<'a> {
    ordinal: u64,
    /// The commit time in `--timezone`, RFC 3339 (microseconds when the
    /// binlog has them: MySQL 8's immediate commit timestamp).
    commit_time: String,
    file: &'a str,
    offset: u64,
    end_file: &'a str,
    end: u64,
    gtid: Option<String>,
    kind: myreplay_binlog::TransactionKind,
    rows: u64,
    tables: &'a [TableChanges],
    /// Its statements (statement-format DML, DDL), whole.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    statements: Vec<String>,
    /// The statements behind its row events (MariaDB ANNOTATE_ROWS, MySQL
    /// ROWS_QUERY), when the source logged them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    row_queries: Vec<String>,
    events: u64,
    bytes: u64,
    /// Seconds since the epoch (the binlog's own timestamp).
    timestamp: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    commit_us: Option<u64>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    rolled_back: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_committed: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sequence_number: Option<u64>,
    /// What `apply` takes to stop just before this transaction.
    stop_before: String,
}

pub fn run(all: &TransactionsArgs) -> anyhow::Result<()> {
    let args = &all.read;
    let zone = Zone::parse(&args.timezone).map_err(anyhow::Error::msg)?;
    let selection = all
        .select
        .selection(&args.timezone)
        .map_err(anyhow::Error::msg)?;
    let server: crate::rows::ServerNames = match (all.rows, all.conn.options()?) {
        (true, Some(opts)) => server_names(&opts)?,
        _ => Default::default(),
    };
    let input = crate::input::Input::resolve(args)?;
    let events = EventStream::open(&input.files, input.stream)?;
    let mut txns = TransactionStream::new(events);
    // Two threads (three with the output's): this one reads and groups
    // the events, the other renders rows and lines, in order.
    let (send, pieces) = sync_channel::<Vec<Piece>>(PIECES_IN_FLIGHT);
    let printer = Printer {
        rows: all.rows,
        server: &server,
        zone: &zone,
        args,
        selection: &selection,
    };
    std::thread::scope(|scope| {
        let printing = scope.spawn(move || printer.run(pieces));
        let read = read(&mut txns, &input, all.rows, &selection, send);
        let printed = printing
            .join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("the printing thread panicked")));
        // The printer's error is about an earlier event than the reader's.
        printed?;
        let before_start = read?;
        if before_start > 0 {
            eprintln!("myreplay: {before_start} transactions inside the start state not listed (the target holds them)");
        }
        Ok(())
    })
}

/// Pieces sent at once: one channel operation per batch, not per event.
const PIECES_PER_BATCH: usize = 64;
/// Batches queued for the printer at most (memory stays bounded).
const PIECES_IN_FLIGHT: usize = 8;

/// What the reading thread hands the printing one.
enum Piece {
    /// A rows event of the open transaction, with its table map.
    Rows(Event, Arc<TableMap>),
    /// The open transaction ends: printed (with its texts), or not.
    End(Option<(Box<TransactionSummary>, TransactionTexts)>),
}

/// Reads the transactions, picks those to print, and sends them on;
/// returns how many were inside the start state. Stops early, without an
/// error, when the printer has stopped (a closed pipe, or its own error).
fn read(
    txns: &mut TransactionStream,
    input: &crate::input::Input,
    rows: bool,
    selection: &Selection,
    send: SyncSender<Vec<Piece>>,
) -> anyhow::Result<u64> {
    let mut out = Batches {
        send,
        batch: Vec::with_capacity(PIECES_PER_BATCH),
    };
    let mut before_start = 0u64;
    let mut texts = TransactionTexts::default();
    let mut read = || -> anyhow::Result<()> {
        while let Some(item) = txns.next_item()? {
            let piece = match item {
                Item::Begin(_) => {
                    texts = TransactionTexts::default();
                    continue;
                }
                Item::Event(e) => {
                    texts.add(&e.data);
                    let table_id = match &e.data {
                        EventData::Rows(r) if rows => r.table_id,
                        _ => continue,
                    };
                    let Some(table) = txns.table_map(table_id) else {
                        anyhow::bail!("{}: a rows event without its TABLE_MAP", e.raw.pos);
                    };
                    Piece::Rows(e, table.clone())
                }
                Item::Bookkeeping(_) => continue,
                Item::End(t) => {
                    let texts = std::mem::take(&mut texts);
                    // Inside the start state: the target holds it already.
                    if input.holds(t.gtid.as_ref()) {
                        before_start += 1;
                        Piece::End(None)
                    } else if selection.matches(&t, &texts) {
                        Piece::End(Some((t, texts)))
                    } else {
                        Piece::End(None)
                    }
                }
            };
            if !out.push(piece) {
                return Ok(());
            }
        }
        Ok(())
    };
    let read = read();
    // What was read before an error is printed too.
    let _ = out.send.send(out.batch);
    read.map(|()| before_start)
}

/// Pieces gathered, handed to the printer [`PIECES_PER_BATCH`] at a time.
struct Batches {
    send: SyncSender<Vec<Piece>>,
    batch: Vec<Piece>,
}

impl Batches {
    /// Adds `piece`; false once the printer has stopped.
    fn push(&mut self, piece: Piece) -> bool {
        self.batch.push(piece);
        if self.batch.len() < PIECES_PER_BATCH {
            return true;
        }
        let full = std::mem::replace(&mut self.batch, Vec::with_capacity(PIECES_PER_BATCH));
        self.send.send(full).is_ok()
    }
}

/// Renders what the reader sends: rows as they come, a transaction's line
/// at its end, through a thread of its own for standard output.
struct Printer<'a> {
    rows: bool,
    server: &'a crate::rows::ServerNames,
    zone: &'a Zone,
    args: &'a ReadArgs,
    selection: &'a Selection,
}

impl Printer<'_> {
    fn run(self, pieces: Receiver<Vec<Piece>>) -> anyhow::Result<()> {
        // --rows prints hundreds of MB: written by a thread of its own.
        let mut out = crate::output::ThreadedStdout::new();
        let mut changes = crate::rows::RowChanges::default();
        for piece in pieces.iter().flatten() {
            match piece {
                Piece::Rows(e, table) => {
                    if let EventData::Rows(r) = &e.data {
                        changes.add(&e, r, &table, self.server, self.zone, self.args.json)?;
                    }
                }
                Piece::End(None) => changes.clear(),
                Piece::End(Some((t, texts))) => {
                    let rows = self.rows.then_some(changes.rendered.as_slice());
                    let printed = print(
                        &mut out,
                        &t,
                        texts,
                        rows,
                        self.zone,
                        self.args,
                        self.selection,
                    );
                    if printed.is_err() {
                        return Ok(()); // broken pipe
                    }
                    changes.clear();
                }
            }
        }
        let _ = out.finish();
        Ok(())
    }
}

fn print(
    out: &mut crate::output::ThreadedStdout,
    t: &TransactionSummary,
    texts: TransactionTexts,
    rows: Option<&[u8]>,
    zone: &Zone,
    args: &ReadArgs,
    selection: &Selection,
) -> io::Result<()> {
    let us = t
        .immediate_commit_us
        .unwrap_or(u64::from(t.timestamp) * 1_000_000);
    let line = TransactionLine {
        ordinal: t.ordinal,
        commit_time: zone.rfc3339_micros(us),
        file: &t.start.file,
        offset: t.start.offset,
        end_file: &t.end.file,
        end: t.end.offset,
        gtid: t.gtid.as_ref().map(|g| g.to_string()),
        kind: t.kind,
        rows: t.rows,
        tables: &t.tables,
        statements: texts.statements,
        row_queries: texts.row_queries,
        events: t.events,
        bytes: t.bytes,
        timestamp: t.timestamp,
        commit_us: t.immediate_commit_us,
        rolled_back: t.rolled_back,
        last_committed: t.last_committed,
        sequence_number: t.sequence_number,
        stop_before: stop_before(t),
    };
    if args.json {
        let buf = out.buffer();
        serde_json::to_writer(&mut *buf, &line)?;
        if let Some(rows) = rows {
            // Its `changes` (rendered as read), before the line's `}`.
            buf.pop();
            buf.extend_from_slice(b",\"changes\":[");
            buf.extend_from_slice(rows);
            buf.extend_from_slice(b"]}");
        }
        buf.push(b'\n');
        return out.written();
    }
    let time = match t.immediate_commit_us {
        Some(us) => zone.format_micros(us),
        None => zone.format(t.timestamp),
    };
    let kind = serde_json::to_value(line.kind).ok();
    let kind = kind.as_ref().and_then(|k| k.as_str()).unwrap_or("?");
    let tables = if line.tables.is_empty() {
        "-".to_string()
    } else {
        line.tables
            .iter()
            .map(table_counts)
            .collect::<Vec<_>>()
            .join(", ")
    };
    // Statements, else the statements behind the row events.
    let text = if line.statements.is_empty() {
        &line.row_queries
    } else {
        &line.statements
    };
    let text = one_line(&text.join("; "), args.verbose);
    write!(
        out,
        "{}\t{time}\t{}\t{}:{}\t{kind}{}\t{tables}\t{text}",
        line.ordinal,
        line.gtid.as_deref().unwrap_or("-"),
        line.file,
        line.offset,
        if line.rolled_back {
            " (rolled back)"
        } else {
            ""
        },
    )?;
    if selection.picks() {
        write!(out, "\tstop before it: {}", line.stop_before)?;
    }
    writeln!(out)?;
    if let Some(rows) = rows {
        out.write_all(rows)?;
    }
    Ok(())
}

/// Column names of every table of the server `opts` names.
fn server_names(opts: &myreplay_apply::ConnectOptions) -> anyhow::Result<crate::rows::ServerNames> {
    let mut conn = opts.conn()?;
    let schema = myreplay_apply::load_schema(&mut conn, &[])?;
    Ok(schema
        .tables()
        .map(|t| {
            (
                (t.name.schema.to_string(), t.name.table.to_string()),
                t.columns.iter().map(|c| c.name.clone()).collect(),
            )
        })
        .collect())
}

/// The `apply` options that stop just before `t`: its GTID, else its
/// offset (which `--stop-position` takes in the last file given).
fn stop_before(t: &TransactionSummary) -> String {
    match &t.gtid {
        Some(g) => format!("--stop-before-gtid {g}"),
        None => format!(
            "--stop-position {} with {} the last file",
            t.start.offset,
            myreplay_apply::checkpoint::file_key(&t.start.file)
        ),
    }
}

/// `db.table +inserted ~updated -deleted`, the counts that are not zero.
fn table_counts(t: &TableChanges) -> String {
    let mut s = format!("{}.{}", t.database, t.table);
    for (sign, n) in [('+', t.inserted), ('~', t.updated), ('-', t.deleted)] {
        if n > 0 {
            s.push_str(&format!(" {sign}{n}"));
        }
    }
    s
}

/// Statement text on one line: line breaks and tabs as spaces, shortened
/// (unless `whole`) to [`SHORT_STATEMENT`] characters with `...`.
fn one_line(text: &str, whole: bool) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if whole || flat.chars().count() <= SHORT_STATEMENT {
        return flat;
    }
    let mut short: String = flat.chars().take(SHORT_STATEMENT).collect();
    short.push_str("...");
    short
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_are_one_line_and_shortened_unless_whole() {
        assert_eq!(one_line("DROP\n\tTABLE t", false), "DROP  TABLE t");
        let long = "x".repeat(150);
        assert_eq!(one_line(&long, false).len(), SHORT_STATEMENT + 3);
        assert_eq!(one_line(&long, true), long);
    }

    #[test]
    fn table_counts_show_what_is_not_zero() {
        let t = TableChanges {
            database: "app".into(),
            table: "t".into(),
            inserted: 2,
            updated: 0,
            deleted: 1,
        };
        assert_eq!(table_counts(&t), "app.t +2 -1");
    }
}
