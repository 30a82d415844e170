//! The fixtures in `testdata/mariadb/` were written by a real MariaDB
//! (`testdata/generate.sh`). The parser's view of them must agree with what
//! the server's own tools say: the committed summaries (from `SHOW BINLOG
//! EVENTS` and `mariadb-binlog -vv`), and `mariadb-binlog` run now on the same
//! files: event offsets, ends and types agree exactly; transactions, rows,
//! GTIDs and tables match the summaries.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use myreplay_binlog::{EventData, EventStream, Item, StreamOptions, TransactionStream};

fn fixtures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/mariadb");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension()
                .is_some_and(|e| e.to_string_lossy().bytes().all(|b| b.is_ascii_digit()))
        })
        .collect();
    files.sort();
    assert!(files.len() >= 5, "fixtures missing in {}", dir.display());
    files
}

/// (offset, end, type code) of every event, as this crate reads them.
fn our_events(path: &Path) -> Vec<(u64, u64, u8)> {
    EventStream::open(&[path], StreamOptions::default())
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.inner.is_none())
        .map(|e| (e.raw.pos.offset, e.end, e.event_type().code()))
        .collect()
}

fn summary(path: &Path) -> serde_json::Value {
    let p = PathBuf::from(format!("{}.summary.json", path.display()));
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

#[test]
fn events_agree_with_the_committed_event_lists() {
    for path in fixtures() {
        let s = summary(&path);
        let codes = s["event_type_codes"].as_object().unwrap();
        let tsv = std::fs::read_to_string(format!("{}.events.tsv", path.display())).unwrap();
        let expected: Vec<(u64, u64, u8)> = tsv
            .lines()
            .map(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                let code = codes[f[2]].as_u64().unwrap() as u8;
                (f[0].parse().unwrap(), f[1].parse().unwrap(), code)
            })
            .collect();
        assert_eq!(our_events(&path), expected, "{}", path.display());
        assert_eq!(expected.len() as u64, s["events"].as_u64().unwrap());
    }
}

#[test]
fn transactions_rows_gtids_and_tables_agree_with_the_summaries() {
    let files = fixtures();
    for path in &files {
        let s = summary(path);
        let events = EventStream::open(&[path], StreamOptions::default()).unwrap();
        let mut txns = TransactionStream::new(events);
        let (mut count, mut rows, mut gtids, mut tables) = (0u64, 0u64, vec![], vec![]);
        let mut rotate_to = None;
        while let Some(item) = txns.next_item().unwrap() {
            match item {
                Item::End(t) => {
                    count += 1;
                    rows += t.rows;
                    gtids.push(t.gtid.unwrap().to_string());
                }
                Item::Event(e) => {
                    if let EventData::TableMap(t) = &e.data {
                        let name = format!("{}.{}", t.database_name(), t.table_name());
                        if !tables.contains(&name) {
                            tables.push(name);
                        }
                    }
                }
                Item::Bookkeeping(e) => {
                    if let EventData::Rotate { next_file, .. } = &e.data {
                        rotate_to = Some(next_file.clone());
                    }
                }
                Item::Begin(_) => {}
            }
        }
        let name = path.display();
        assert_eq!(
            count,
            s["transactions"].as_u64().unwrap(),
            "{name}: transactions"
        );
        let r = &s["rows"];
        let expected_rows = ["inserted", "updated", "deleted"]
            .iter()
            .map(|k| r[k].as_u64().unwrap())
            .sum::<u64>();
        assert_eq!(rows, expected_rows, "{name}: row changes");
        let expected_gtids: Vec<String> = serde_json::from_value(s["gtids"].clone()).unwrap();
        assert_eq!(gtids, expected_gtids, "{name}: GTIDs");
        let expected_tables: Vec<String> = serde_json::from_value(s["tables"].clone()).unwrap();
        assert_eq!(tables, expected_tables, "{name}: tables");
        assert_eq!(
            rotate_to.as_deref(),
            s["rotate_to"].as_str(),
            "{name}: rotate"
        );
    }
    // The files are one sequence: reading them together gives every transaction once.
    let events = EventStream::open(&files, StreamOptions::default()).unwrap();
    let mut txns = TransactionStream::new(events);
    let mut n = 0;
    while txns.next_transaction().unwrap().is_some() {
        n += 1;
    }
    let total: u64 = files
        .iter()
        .map(|p| summary(p)["transactions"].as_u64().unwrap())
        .sum();
    assert_eq!(n, total);
}

/// The type codes a name printed by `mariadb-binlog` (10.11) may stand for.
fn mariadb_binlog_codes(name: &str) -> &'static [u8] {
    match name {
        "Start:" => &[15],
        "Gtid list" => &[163],
        "Binlog checkpoint" => &[161],
        "GTID" => &[162],
        "Annotate_rows:" => &[160],
        "Table_map:" => &[19],
        "Write_rows:" => &[23, 30],
        "Update_rows:" => &[24, 31],
        "Delete_rows:" => &[25, 32],
        "Write_compressed_rows:" => &[166, 169],
        "Update_compressed_rows:" => &[167, 170],
        "Delete_compressed_rows:" => &[168, 171],
        "Query" => &[2],
        "Query_compressed" => &[165],
        "Xid" => &[16],
        "XID" => &[38],
        "Intvar" => &[5],
        "Rand" => &[13],
        "User_var" => &[14],
        "Rotate" => &[4],
        "Stop" => &[3],
        _ => &[],
    }
}

/// Parses `mariadb-binlog FILE`: each `# at N` line is matched, in order,
/// with the next header line giving `end_log_pos` and the type name
/// (mariadb-binlog prints the `# at` lines of ANNOTATE_ROWS and TABLE_MAP
/// ahead of their headers).
fn mariadb_binlog_events(path: &Path) -> Vec<(u64, u64, String)> {
    let out = Command::new("mariadb-binlog")
        .arg(path)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run mariadb-binlog ({e}); scripts/test.sh installs it (mariadb-client)")
        });
    assert!(
        out.status.success(),
        "mariadb-binlog failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let mut events = vec![];
    let mut at = std::collections::VecDeque::new();
    for line in text.lines() {
        if let Some(n) = line.strip_prefix("# at ") {
            at.push_back(n.trim().parse::<u64>().unwrap());
        } else if let (true, Some(i)) = (line.starts_with('#'), line.find("end_log_pos ")) {
            let offset = at.pop_front().expect("a header line after a `# at` line");
            let rest = &line[i + "end_log_pos ".len()..];
            let (end, rest) = rest.split_once(' ').unwrap_or((rest, ""));
            let rest = rest.trim_start();
            let rest = match rest.strip_prefix("CRC32 ") {
                Some(r) => r
                    .split_once(char::is_whitespace)
                    .map(|x| x.1)
                    .unwrap_or("")
                    .trim_start(),
                None => rest,
            };
            let name = if rest.starts_with("Gtid list") || rest.starts_with("Binlog checkpoint") {
                rest.splitn(3, ' ').take(2).collect::<Vec<_>>().join(" ")
            } else {
                rest.split_whitespace().next().unwrap_or("").to_string()
            };
            events.push((offset, end.parse().unwrap(), name));
        }
    }
    events
}

#[test]
fn offsets_and_types_agree_with_mariadb_binlog() {
    let mut compared = BTreeMap::<String, usize>::new();
    for path in fixtures() {
        let theirs = mariadb_binlog_events(&path);
        let ours = our_events(&path);
        assert_eq!(ours.len(), theirs.len(), "{}: event count", path.display());
        for ((o_off, o_end, code), (t_off, t_end, name)) in ours.iter().zip(&theirs) {
            assert_eq!((o_off, o_end), (t_off, t_end), "{}: {name}", path.display());
            let codes = mariadb_binlog_codes(name);
            assert!(
                codes.contains(code),
                "{} at {o_off}: we read type {code}, mariadb-binlog says {name}",
                path.display()
            );
            *compared.entry(name.clone()).or_default() += 1;
        }
    }
    assert!(compared.len() >= 15, "event kinds compared: {compared:?}");
}
