//! Exactly-once progress on the target.
//!
//! Every applied source transaction gets a row in the checkpoint table,
//! written in the same target transaction as its data: after a crash the
//! table says exactly what committed, whatever the order units committed
//! in. A transaction is identified by its binlog file's name (without its
//! directory: the files may be read from elsewhere on the re-run) and the
//! offset where it starts.

use std::collections::HashSet;
use std::fmt::Write;

use mysql::prelude::Queryable;

use crate::error::ApplyError;
use crate::work::TxnWork;

/// The checkpoint table's qualified name, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointTable {
    pub database: String,
    pub table: String,
}

impl Default for CheckpointTable {
    fn default() -> Self {
        Self {
            database: "myreplay".into(),
            table: "applied".into(),
        }
    }
}

impl CheckpointTable {
    /// Parses `db.table`; names are limited to letters, digits, `_` and `$`
    /// (no quoting games with a name that ends up in SQL).
    pub fn parse(name: &str) -> Result<Self, ApplyError> {
        let valid = |s: &str| {
            !s.is_empty()
                && s.len() <= 64
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
        };
        match name.split_once('.') {
            Some((d, t)) if valid(d) && valid(t) => Ok(Self {
                database: d.into(),
                table: t.into(),
            }),
            _ => Err(ApplyError::Options(format!(
                "checkpoint table `{name}`: expected DATABASE.TABLE made of letters, digits, _ and $"
            ))),
        }
    }

    pub fn qualified(&self) -> String {
        format!("`{}`.`{}`", self.database, self.table)
    }

    /// Creates the table if it does not exist. Not written to the target's
    /// binlog (it would take a GTID of the target's own before the source's,
    /// which `--preserve-gtids` must not); with `--log-bin`, the checkpoint
    /// rows are logged with the data they cover, so a replica of the target
    /// needs the table too (create it there, or filter its database out).
    /// `logged` (a Galera cluster, whose nodes all apply the DDL whatever
    /// the session's sql_log_bin): written to the binlog like the rest.
    pub fn create(&self, conn: &mut impl Queryable, logged: bool) -> Result<(), ApplyError> {
        if !logged {
            conn.query_drop("SET SESSION sql_log_bin = 0")
                .map_err(ApplyError::query(
                    "creating the checkpoint table without binary logging (needs SUPER or BINLOG ADMIN)",
                ))?;
        }
        let sql = format!(
            "CREATE DATABASE IF NOT EXISTS `{}`; CREATE TABLE IF NOT EXISTS {} (
               source_file VARCHAR(255) NOT NULL,
               source_offset BIGINT UNSIGNED NOT NULL,
               gtid VARCHAR(200) NULL,
               applied_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
               PRIMARY KEY (source_file, source_offset)
             ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
            self.database,
            self.qualified()
        );
        for stmt in sql.split(';') {
            conn.query_drop(stmt).map_err(ApplyError::query(format!(
                "creating the checkpoint table {}",
                self.qualified()
            )))?;
        }
        Ok(())
    }

    /// Every transaction already applied.
    pub fn load(&self, conn: &mut impl Queryable) -> Result<HashSet<(String, u64)>, ApplyError> {
        let rows: Vec<(String, u64)> = conn
            .query(format!(
                "SELECT source_file, source_offset FROM {}",
                self.qualified()
            ))
            .map_err(ApplyError::query(format!(
                "reading the checkpoint table {}",
                self.qualified()
            )))?;
        Ok(rows.into_iter().collect())
    }

    /// The query counting `t`'s row (1 when it was applied). A locking
    /// read: a COMMIT of its unit still in flight on the server holds the
    /// row's lock, so the answer waits for that COMMIT's outcome.
    pub fn lookup_sql(&self, t: &TxnWork) -> String {
        format!(
            "SELECT COUNT(*) FROM {} WHERE source_file = {} AND source_offset = {} LOCK IN SHARE MODE",
            self.qualified(),
            text_literal(&file_key(&t.summary.start.file)),
            t.summary.start.offset
        )
    }

    /// The query counting how many of `txns` were applied (a locking read,
    /// as [`CheckpointTable::lookup_sql`]).
    pub fn count_sql(&self, txns: &[&TxnWork]) -> String {
        let keys: Vec<String> = txns
            .iter()
            .map(|t| {
                format!(
                    "({},{})",
                    text_literal(&file_key(&t.summary.start.file)),
                    t.summary.start.offset
                )
            })
            .collect();
        format!(
            "SELECT COUNT(*) FROM {} WHERE (source_file, source_offset) IN ({}) LOCK IN SHARE MODE",
            self.qualified(),
            keys.join(",")
        )
    }

    /// The statement recording `txns` as applied (run inside their transaction).
    pub fn record_sql(&self, txns: &[&TxnWork]) -> String {
        let mut sql = format!(
            "INSERT INTO {} (source_file, source_offset, gtid) VALUES ",
            self.qualified()
        );
        for (i, t) in txns.iter().enumerate() {
            if i > 0 {
                sql.push(',');
            }
            let gtid = t
                .summary
                .gtid
                .as_ref()
                .map_or("NULL".to_string(), |g| text_literal(&g.to_string()));
            sql.push_str(&format!(
                "({},{},{})",
                text_literal(&file_key(&t.summary.start.file)),
                t.summary.start.offset,
                gtid
            ));
        }
        sql
    }
}

/// The file part of a position: its base name.
pub fn file_key(file: &str) -> String {
    std::path::Path::new(file)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| file.to_string())
}

/// A string as a utf8mb4 hex literal: read the same whatever the session's
/// character set and sql_mode (the checkpoint row is written after the
/// source's statements, in the session settings they left; a quoted
/// literal with a backslash or a non-ASCII name would be read differently
/// under NO_BACKSLASH_ESCAPES or latin1, and a transaction not recognised
/// as applied).
pub fn text_literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 2 + 12);
    out.push_str("_utf8mb4 X'");
    for b in s.bytes() {
        let _ = write!(out, "{b:02x}");
    }
    out.push('\'');
    out
}

/// Escapes a string for a single-quoted SQL literal (backslash and quote).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\'' => out.push_str("''"),
            '\\' => out.push_str("\\\\"),
            '\0' => out.push_str("\\0"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_validated() {
        assert!(CheckpointTable::parse("myreplay.applied").is_ok());
        assert!(CheckpointTable::parse("a.b.c").is_err());
        assert!(CheckpointTable::parse("a`;drop.b").is_err());
        assert!(CheckpointTable::parse("nodot").is_err());
        assert_eq!(escape("a'b\\c"), "a''b\\\\c");
        assert_eq!(file_key("/x/y/binlog.000003"), "binlog.000003");
    }
}
