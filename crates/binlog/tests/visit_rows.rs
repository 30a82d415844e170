//! [`visit_rows`] (values by reference, nothing materialised) agrees with
//! [`decode_rows`] on every rows event of the 41 real binlogs (59 of
//! them): the same rows,
//! images, present columns and values, with strings' bytes taken through
//! `text_payload` equal to the decoded ones.

use std::path::{Path, PathBuf};

use myreplay_binlog::value::{
    decode_value_with, text_payload, visit_rows, RowImages, RowPart, Value,
};
use myreplay_binlog::{EventData, EventStream, StreamOptions};

fn testdata() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/mysql-binlogs");
    assert!(dir.is_dir(), "test data not found at {}", dir.display());
    dir
}

#[test]
fn visiting_rows_gives_what_decoding_them_gives() {
    let mut paths: Vec<_> = std::fs::read_dir(testdata())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap() != "README.md")
        .collect();
    paths.sort();
    let (mut events, mut values) = (0u64, 0u64);
    for path in &paths {
        let Ok(mut stream) = EventStream::open(&[path], StreamOptions::default()) else {
            continue;
        };
        let mut maps = std::collections::HashMap::new();
        // Files with damage stop where the damage is: what came before counts.
        while let Ok(Some(e)) = stream.next_event() {
            match &e.data {
                EventData::TableMap(t) => {
                    maps.insert(t.table_id(), t.clone());
                }
                EventData::Rows(r) => {
                    let Some(t) = maps.get(&r.table_id) else {
                        continue;
                    };
                    let Ok(layout) = r.layout(&t.columns) else {
                        continue;
                    };
                    let decoded: Result<Vec<RowImages>, _> =
                        myreplay_binlog::value::decode_rows(&layout, r.rows_data()).collect();
                    let Ok(decoded) = decoded else { continue };
                    // Rebuild the images from the visit.
                    let mut visited: Vec<RowImages> = vec![];
                    let mut side_after = false;
                    visit_rows(&layout, r.rows_data(), |part| {
                        match part {
                            RowPart::Row(_) => visited.push(RowImages {
                                before: None,
                                after: None,
                            }),
                            RowPart::Image { after, .. } => {
                                side_after = after;
                                let image = Some(vec![None; t.columns.len()]);
                                let row = visited.last_mut().unwrap();
                                if after {
                                    row.after = image;
                                } else {
                                    row.before = image;
                                }
                            }
                            RowPart::Value {
                                column,
                                def,
                                raw,
                                partial,
                            } => {
                                let value = match raw {
                                    None => Value::Null,
                                    Some(raw) => {
                                        let (v, len) = decode_value_with(def, raw, partial)?;
                                        assert_eq!(len, raw.len(), "{}", e.raw.pos);
                                        if let Some((bytes, binary)) = text_payload(def, raw) {
                                            match &v {
                                                Value::String { bytes: b, .. } => {
                                                    assert!(!binary);
                                                    assert_eq!(b.as_slice(), bytes);
                                                }
                                                Value::Bytes(b) | Value::Geometry(b) => {
                                                    assert!(binary);
                                                    assert_eq!(b.as_slice(), bytes);
                                                }
                                                other => panic!(
                                                    "{}: text payload for {other:?}",
                                                    e.raw.pos
                                                ),
                                            }
                                        }
                                        v
                                    }
                                };
                                let row = visited.last_mut().unwrap();
                                let image = if side_after {
                                    &mut row.after
                                } else {
                                    &mut row.before
                                };
                                image.as_mut().unwrap()[column] = Some(value);
                                values += 1;
                            }
                        }
                        Ok(())
                    })
                    .unwrap_or_else(|err| panic!("{}: {err}", e.raw.pos));
                    assert_eq!(visited, decoded, "{}", e.raw.pos);
                    events += 1;
                }
                _ => {}
            }
        }
    }
    eprintln!("{events} rows events, {values} values visited");
    // The corpus holds 59 rows events (`myreplay events | grep ROWS`); the
    // others are in files that stop at their damage first.
    assert!(
        events >= 55 && values >= 300,
        "{events} rows events, {values} values"
    );
}
