//! Status variables of QUERY events decode into a statement context: on every
//! real binlog without an unknown key, and with the session settings the
//! fixture workload used for its statement-format part.

use std::path::{Path, PathBuf};

use myreplay_binlog::{EventData, EventStream, StreamOptions};

fn queries(path: &Path) -> Vec<myreplay_binlog::Query> {
    let mut out = vec![];
    let Ok(stream) = EventStream::open(&[path], StreamOptions::default()) else {
        return out;
    };
    for e in stream {
        match e {
            Ok(e) => {
                if let EventData::Query(q) = e.data {
                    out.push(*q);
                }
            }
            Err(_) => break, // damaged files: their QUERY events before the damage count
        }
    }
    out
}

#[test]
fn every_query_context_decodes() {
    let shared =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/mysql-binlogs");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/mariadb");
    let mut files: Vec<PathBuf> = vec![];
    for dir in [shared, fixtures] {
        assert!(dir.is_dir(), "{} missing", dir.display());
        files.extend(
            std::fs::read_dir(dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| {
                    !p.to_string_lossy().ends_with(".md")
                        && !p.to_string_lossy().ends_with(".tsv")
                        && !p.to_string_lossy().ends_with(".json")
                }),
        );
    }
    let mut n = 0;
    for f in &files {
        for q in queries(f) {
            let c = q
                .context()
                .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            assert_eq!(c.unknown_key, None, "{}: {}", f.display(), q.sql_lossy());
            n += 1;
        }
    }
    assert!(n > 600, "{n} QUERY events");
}

#[test]
fn the_fixture_session_settings_come_back() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/mariadb/binlog.000003");
    let ctx: Vec<_> = queries(&path)
        .into_iter()
        .filter(|q| q.sql_lossy().contains("stmt_t"))
        .map(|q| q.context().unwrap())
        .collect();
    assert!(!ctx.is_empty());
    const MODE_PIPES_AS_CONCAT: u64 = 2;
    const MODE_ANSI_QUOTES: u64 = 4;
    assert!(
        ctx.iter().any(|c| {
            c.time_zone.as_deref() == Some("+05:30")
                && c.auto_increment == Some((5, 3))
                && c.sql_mode
                    .is_some_and(|m| m & (MODE_ANSI_QUOTES | MODE_PIPES_AS_CONCAT) == 6)
        }),
        "{ctx:#?}"
    );
}
