//! The target's own binlog after `myreplay apply --log-bin` (issue 11): about
//! the size of what was replayed, with no annotation carrying myreplay's
//! statements. Regression: with MariaDB's `binlog_annotate_row_events=ON`
//! (its default) every row-event group of a unit was preceded by an
//! ANNOTATE_ROWS event holding the whole `BINLOG '...'` statement of the
//! unit: 8 GB of target binlog for 23 MB of source binlog. MySQL writes the
//! same kind of copy (ROWS_QUERY) under `binlog_rows_query_log_events=ON`,
//! which its targets here run with. On MariaDB 10.11, MariaDB 11.8 and MySQL
//! 9.7, on both apply paths. Where the server lets a client carry the
//! source's own statement text (MySQL: a ROWS_QUERY event inside a BINLOG
//! statement, on the binlog path), the target's binlog has exactly the
//! source's annotations; elsewhere none.

mod common;
#[path = "../../apply/tests/support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};

use common::{apply_socket, events, stderr, transaction_bytes};
use support::{assert_same_tables, Flavour, PrivateMariaDb};

/// The texts of the annotations (ANNOTATE_ROWS, ROWS_QUERY) in the files,
/// in order, as `myreplay events` shows them.
fn annotation_texts(files: &[PathBuf]) -> Vec<String> {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_myreplay"))
        .arg("events")
        .args(files)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let mut cols = l.splitn(5, '\t').skip(3);
            match (cols.next(), cols.next()) {
                (Some("ANNOTATE_ROWS" | "ROWS_QUERY"), Some(text)) => Some(text.to_string()),
                _ => None,
            }
        })
        .collect()
}

/// The target's binlog files from `file` on.
fn binlogs_from(target: &PrivateMariaDb, file: &Path) -> Vec<PathBuf> {
    let all = target.binlogs();
    let at = all
        .iter()
        .position(|f| f.file_name() == file.file_name())
        .unwrap_or_else(|| panic!("{} not in {all:?}", file.display()));
    all[at..].to_vec()
}

fn a_replay_writes_a_target_binlog_about_the_size_of_its_input(f: Flavour) {
    // The source annotates: MariaDB by default, MySQL when asked.
    let source_options: &[&str] = if f.is_mysql() {
        &["--binlog-rows-query-log-events=ON"]
    } else {
        &[]
    };
    let mut source = PrivateMariaDb::start_flavour(f, source_options);
    source.exec(
        "CREATE DATABASE app;
         CREATE TABLE app.t (id INT PRIMARY KEY, k VARCHAR(20) NOT NULL, n INT NOT NULL, UNIQUE KEY (k)) ENGINE=InnoDB;",
    );
    // Annotations on, as MariaDB has them by default (MySQL: asked for).
    let annotating: &[&str] = if f.is_mysql() {
        &["--binlog-rows-query-log-events=ON"]
    } else {
        &["--binlog-annotate-row-events=ON"]
    };
    let targets = [source.snapshot(annotating), source.snapshot(annotating)];
    let before = source.binlogs().len();
    let mut sql = String::from("USE app;");
    for i in 0..3000 {
        sql += &format!(
            "BEGIN; INSERT INTO t VALUES ({i}, 'k{i}', {i}); UPDATE t SET n = n + 1 WHERE id = {}; COMMIT;",
            i / 2
        );
    }
    source.exec(&sql);
    source.exec("FLUSH BINARY LOGS");
    let files = source.binlogs_since(before);
    let input = transaction_bytes(&events(&files));

    for (target, path) in targets.iter().zip(["binlog", "sql"]) {
        let (file, _, _) = target.binlog_status();
        let out = apply_socket(
            target,
            &files,
            &["--log-bin", "--apply", path, "--workers", "2"],
        )
        .output()
        .unwrap();
        assert!(out.status.success(), "--apply {path}: {}", stderr(&out));
        target.exec("FLUSH BINARY LOGS");
        let written_files = binlogs_from(target, &file);
        let written = events(&written_files);
        let annotations = annotation_texts(&written_files);
        assert!(
            annotations.iter().all(|a| !a.contains("BINLOG")),
            "--apply {path}: a BINLOG statement in an annotation of the target's binlog: {:?}",
            annotations.iter().find(|a| a.contains("BINLOG"))
        );
        if f.is_mysql() && path == "binlog" {
            // MySQL lets a BINLOG statement carry the source's ROWS_QUERY:
            // the target's binlog has the source's statement texts.
            let source_texts = annotation_texts(&files);
            let extra: Vec<_> = annotations
                .iter()
                .filter(|a| !source_texts.contains(a))
                .take(3)
                .collect();
            assert!(
                extra.is_empty(),
                "--apply binlog: annotations not the source's: {extra:?}"
            );
            // In the order the units committed (two workers): as sets.
            let (mut got, mut want) = (annotations.clone(), source_texts.clone());
            got.sort();
            want.sort();
            assert_eq!(
                (got.len(), &got),
                (want.len(), &want),
                "--apply binlog: the source's statement texts, carried"
            );
        } else {
            assert!(
                annotations.is_empty(),
                "--apply {path}: {} annotations in the target's binlog, the first {:?}",
                annotations.len(),
                annotations.first()
            );
        }
        let output = transaction_bytes(&written);
        eprintln!(
            "{} --apply {path}: {input} bytes of transactions replayed, {output} written to the target's binlog ({:.2}x)",
            f.name(),
            output as f64 / input as f64
        );
        assert!(
            output * 10 <= input * 12,
            "--apply {path}: the target's binlog holds {output} bytes for {input} replayed"
        );
        assert_same_tables(&source, target);
    }
}

flavour_tests!(
    on_mariadb_10_11,
    Flavour::MariaDb,
    [a_replay_writes_a_target_binlog_about_the_size_of_its_input]
);
flavour_tests!(
    on_mariadb_11_8,
    Flavour::MariaDb118,
    [a_replay_writes_a_target_binlog_about_the_size_of_its_input]
);
flavour_tests!(
    on_mysql_9_7,
    Flavour::MySql97,
    [a_replay_writes_a_target_binlog_about_the_size_of_its_input]
);
