//! Exactly-once for DDL.
//!
//! A DDL commits on its own (an implicit commit), so its checkpoint row
//! cannot commit with it the way a row change's does: a run cut after the
//! server committed the DDL and before the checkpoint row would, run again,
//! find the DDL unrecorded, run it once more and fail ("Duplicate column",
//! "Table already exists"), every time.
//!
//! So before a DDL runs, a *mark* row is committed in the checkpoint table
//! (under a key no transaction has: the file name followed by
//! [`MARK_SUFFIX`]); after the DDL, the mark is deleted and the checkpoint
//! row inserted in one transaction. A mark without a checkpoint row means a
//! run was cut while the DDL was in flight: it may have committed or not.
//! The DDL is then run again, and an error that says its change is already
//! there ([`already_applied`]) means it committed: it is recorded as applied
//! (and said so in the report). Without a mark the same error stops the
//! replay, as a target that is not what the backup left.
//!
//! The DDL runs at a barrier (nothing else of the replay in flight), so no
//! later transaction can have touched what it changed in between.

use crate::checkpoint::{file_key, text_literal, CheckpointTable};
use crate::error::ApplyError;
use crate::work::TxnWork;

/// Appended to the file name in a mark's `source_file`.
pub const MARK_SUFFIX: &str = " (DDL in progress)";

impl CheckpointTable {
    fn mark_key(&self, t: &TxnWork) -> (String, u64) {
        (
            text_literal(&format!("{}{MARK_SUFFIX}", file_key(&t.summary.start.file))),
            t.summary.start.offset,
        )
    }

    /// The statement marking the DDL `t` as in progress (committed on its
    /// own, before the DDL runs).
    pub fn mark_sql(&self, t: &TxnWork) -> String {
        let (file, offset) = self.mark_key(t);
        format!(
            "INSERT INTO {} (source_file, source_offset, gtid) VALUES ({file},{offset},{})",
            self.qualified(),
            t.summary
                .gtid
                .as_ref()
                .map_or("NULL".to_string(), |g| text_literal(&g.to_string()))
        )
    }

    /// The query counting `t`'s mark (1 when a run was cut while `t` ran).
    pub fn marked_sql(&self, t: &TxnWork) -> String {
        let (file, offset) = self.mark_key(t);
        format!(
            "SELECT COUNT(*) FROM {} WHERE source_file = {file} AND source_offset = {offset}",
            self.qualified()
        )
    }

    /// The statement deleting `t`'s mark (run in the transaction that
    /// records `t`, or when the DDL failed).
    pub fn unmark_sql(&self, t: &TxnWork) -> String {
        let (file, offset) = self.mark_key(t);
        format!(
            "DELETE FROM {} WHERE source_file = {file} AND source_offset = {offset}",
            self.qualified()
        )
    }
}

/// Whether `e`, from running a DDL again, says its change is already on
/// the target: the object it creates exists, or the one it drops or renames
/// is gone. Only ever asked about a DDL that has a mark.
pub fn already_applied(e: &ApplyError) -> bool {
    let ApplyError::Query {
        source: mysql::Error::MySqlError(m),
        ..
    } = e
    else {
        return false;
    };
    matches!(
        m.code,
        1007 // database exists
            | 1008 // database does not exist (DROP DATABASE)
            | 1022 // duplicate key (a foreign key name, MariaDB)
            | 1050 // table or view exists
            | 1051 // unknown table (DROP TABLE)
            | 1054 // unknown column (CHANGE or RENAME COLUMN, done)
            | 1060 // duplicate column
            | 1061 // duplicate key name
            | 1091 // can't drop a column or key: it is gone
            | 1146 // table does not exist (RENAME TABLE, ALTER ... RENAME, done)
            | 1304 // procedure or function exists
            | 1305 // procedure or function does not exist
            | 1359 // trigger exists
            | 1360 // trigger does not exist
            | 1396 // CREATE USER / DROP USER done
            | 1507 // partition does not exist (DROP PARTITION)
            | 1517 // duplicate partition name
            | 1537 // event exists
            | 1539 // event does not exist
            | 1826 // duplicate foreign key name (MySQL)
            | 3822 // duplicate check constraint name (MySQL)
            | 4092 // unknown view (DROP VIEW, MariaDB)
    )
}
