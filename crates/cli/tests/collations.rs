//! Statements written under a collation id above 255 (MariaDB 11's
//! uca1400 collations, the default of MariaDB 11.8: `utf8mb4_uca1400_ai_ci`
//! is 2304) replay on both apply paths. Regression: the session's
//! `character_set_client` was set to the id, which the server refuses
//! there (ERROR 1115 Unknown character set: '2304').

mod common;
#[path = "../../apply/tests/support/mod.rs"]
mod support;

use common::{apply_socket, stderr};
use support::{assert_same_tables, Flavour, PrivateMariaDb};

#[test]
fn on_mariadb_11_8_statements_under_a_uca1400_collation_replay_on_both_paths() {
    let mut source = PrivateMariaDb::start_flavour(Flavour::MariaDb118, &[]);
    source.exec("CREATE DATABASE base");
    for path in ["binlog", "sql"] {
        let target = source.snapshot(&["--skip-log-bin"]);
        let before = source.binlog_status();
        source.exec(&format!(
            "SET NAMES utf8mb4 COLLATE utf8mb4_uca1400_ai_ci;
             CREATE DATABASE c_{path};
             CREATE TABLE c_{path}.t (id INT PRIMARY KEY, name VARCHAR(20), UNIQUE KEY (name));
             INSERT INTO c_{path}.t VALUES (1, 'Ærø'), (2, 'straße');
             SET NAMES utf8mb3 COLLATE utf8mb3_uca1400_ai_ci;
             UPDATE c_{path}.t SET name = 'strasse' WHERE id = 2;
             ALTER TABLE c_{path}.t ADD COLUMN note TEXT DEFAULT 'ü';"
        ));
        let after = source.binlog_status();
        source.exec("FLUSH BINARY LOGS");
        assert_eq!(before.0, after.0, "one file");
        let out = apply_socket(
            &target,
            std::slice::from_ref(&before.0),
            &["--apply", path, "--start-position", &before.1.to_string()],
        )
        .output()
        .unwrap();
        assert!(out.status.success(), "--apply {path}: {}", stderr(&out));
        assert_same_tables(&source, &target);
    }
}
