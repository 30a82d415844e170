//! mysqldump and mariadb-dump SQL files, read as a stream.
//!
//! What the dumps write, commented out (`-- `) with `--master-data=2` /
//! `--source-data=2`, as statements with `=1`:
//!
//! - the dumped server's position: `CHANGE MASTER TO MASTER_LOG_FILE='…',
//!   MASTER_LOG_POS=n;` or (MySQL 8.0.23+) `CHANGE REPLICATION SOURCE TO
//!   SOURCE_LOG_FILE='…', SOURCE_LOG_POS=n;`, near the top;
//! - MySQL: `SET @@GLOBAL.GTID_PURGED=/*!80000 '+'*/ 'uuid:1-5,\nuuid2:1-3';`
//!   near the top, the set spanning lines when it names several servers;
//! - MariaDB: `SET GLOBAL gtid_slave_pos='0-1-3';`. mariadb-dump 10.11 writes
//!   it at the very end of the dump ("The deferred gtid setting … follows"),
//!   with `--master-data` alone too, commented unless `--master-data=1
//!   --gtid`;
//! - with `--dump-slave`: the same statements for the position in the
//!   binlogs of the dumped server's replication source (MariaDB names the
//!   connection, `CHANGE MASTER '' TO`); comments around them say which is
//!   which, and without comments the dumped server's come first. Those are
//!   another server's binlogs and are never returned.
//!
//! A dump can be hundreds of gigabytes with megabyte INSERT lines: it is
//! scanned line by line keeping at most [`SQL_LINE_CAP`] bytes of each.
//! Statement-looking text inside stored routines (between `DELIMITER ;;` and
//! `DELIMITER ;`) is skipped; data lines start with `INSERT` or, as
//! mariadb-dump 10.11 writes one row per line, with `(`, never with a
//! statement this reader looks for. A dump whose
//! header says it was written with comments (`-- MySQL dump` / `-- MariaDB
//! dump`) but that lacks the closing `-- Dump completed` line was cut short.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use super::found::{Found, MAX_GTID_TEXT};
use super::scan::{LineScanner, SQL_LINE_CAP};
use super::text::{find_ci, leading_number, quoted, strip_prefix_ci};
use super::{BackupCoordinates, BackupError, BackupTool};

/// Reads the coordinates of the dump at `path`.
pub(super) fn read(path: &Path) -> Result<BackupCoordinates, BackupError> {
    let file = File::open(path).map_err(BackupError::io(path))?;
    read_from(BufReader::with_capacity(64 * 1024, file), path)
}

/// Reads a dump from `reader`; `path` names it in errors.
pub(super) fn read_from(
    reader: impl BufRead,
    path: &Path,
) -> Result<BackupCoordinates, BackupError> {
    let mut lines = LineScanner::new(reader, SQL_LINE_CAP);
    let mut scan = Scan::new(path);
    while let Some(line) = lines.next_line().map_err(BackupError::io(path))? {
        scan.line(line.number, &line.text(), line.truncated)?;
    }
    scan.finish()
}

/// Whose binlogs a statement points into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// The dumped server's own (`--master-data`, `GTID_PURGED`).
    Own,
    /// The dumped server's replication source's (`--dump-slave`).
    Replica,
}

/// A GTID set whose closing quote is on a later line.
struct OpenGtid {
    role: Role,
    line: u64,
    quote: char,
    text: String,
}

struct Scan<'p> {
    path: &'p Path,
    /// Whose coordinates the comments last announced.
    context: Option<Role>,
    own: Found,
    /// The first `--dump-slave` position and its line.
    replica: Option<(String, u64, u64)>,
    replica_gtid_line: Option<u64>,
    header: bool,
    completed: bool,
    in_routine: bool,
    open: Option<OpenGtid>,
}

impl<'p> Scan<'p> {
    fn new(path: &'p Path) -> Self {
        Self {
            path,
            context: None,
            own: Found::default(),
            replica: None,
            replica_gtid_line: None,
            header: false,
            completed: false,
            in_routine: false,
            open: None,
        }
    }

    fn line(&mut self, number: u64, text: &str, truncated: bool) -> Result<(), BackupError> {
        if self.open.is_some() {
            return self.continue_gtid(number, text, truncated);
        }
        if number <= 5 && (text.starts_with("-- MySQL dump") || text.starts_with("-- MariaDB dump"))
        {
            self.header = true;
        }
        let trimmed = text.trim_start();
        if let Some(rest) = strip_prefix_ci(trimmed, "DELIMITER ") {
            self.in_routine = rest.trim() != ";";
            return Ok(());
        }
        if self.in_routine {
            return Ok(());
        }
        let (commented, body) = match trimmed.strip_prefix("--") {
            Some(rest) => (true, rest.trim_start()),
            None => (false, trimmed),
        };
        if commented && body.starts_with("Dump completed") {
            self.completed = true;
            return Ok(());
        }
        if let Some(rest) = strip_prefix_ci(body, "CHANGE MASTER")
            .or_else(|| strip_prefix_ci(body, "CHANGE REPLICATION SOURCE"))
        {
            self.refuse_truncated(number, truncated)?;
            return self.change(number, rest);
        }
        if let Some(rest) = strip_prefix_ci(body, "SET GLOBAL gtid_slave_pos")
            .or_else(|| strip_prefix_ci(body, "SET @@GLOBAL.gtid_slave_pos"))
        {
            let role = self.gtid_slave_pos_role();
            return self.gtid(number, rest, role, truncated);
        }
        if let Some(rest) = strip_prefix_ci(body, "SET @@GLOBAL.GTID_PURGED")
            .or_else(|| strip_prefix_ci(body, "SET GLOBAL GTID_PURGED"))
        {
            return self.gtid(number, rest, Role::Own, truncated);
        }
        if commented {
            if let Some(role) = announced(body) {
                self.context = Some(role);
            }
        }
        Ok(())
    }

    fn refuse_truncated(&self, number: u64, truncated: bool) -> Result<(), BackupError> {
        if truncated {
            return Err(BackupError::malformed(
                self.path,
                Some(number),
                format!("a binlog coordinates statement longer than {SQL_LINE_CAP} bytes; the dump is damaged"),
            ));
        }
        Ok(())
    }

    /// `CHANGE MASTER ['name'] TO …` / `CHANGE REPLICATION SOURCE TO …`.
    fn change(&mut self, number: u64, rest: &str) -> Result<(), BackupError> {
        let value_after = |keys: [&str; 2]| {
            keys.iter()
                .find_map(|k| find_ci(rest, k).map(|at| &rest[at + k.len()..]))
                .and_then(|v| v.trim_start().strip_prefix('='))
        };
        let file = value_after(["MASTER_LOG_FILE", "SOURCE_LOG_FILE"]);
        let pos = value_after(["MASTER_LOG_POS", "SOURCE_LOG_POS"]);
        let at = Some(number);
        let (file, pos) = match (file, pos) {
            // MASTER_USE_GTID=slave_pos, SOURCE_AUTO_POSITION=1: no position.
            (None, None) => return Ok(()),
            (Some(f), Some(p)) => {
                let file = match quoted(f) {
                    Some(Ok((name, _))) => name.to_string(),
                    _ => return Err(self.bad_change(number, "the log file name is not quoted")),
                };
                let pos = leading_number(p)
                    .ok_or_else(|| self.bad_change(number, "the log position is not a number"))?;
                (file, pos)
            }
            _ => {
                return Err(self.bad_change(
                    number,
                    "it names only one of the log file and the log position",
                ))
            }
        };
        let after = rest.trim_start();
        let names_other_server = after.starts_with('\'')
            || after.starts_with('"')
            || find_ci(rest, "FOR CHANNEL").is_some()
            || find_ci(rest, "MASTER_HOST").is_some()
            || find_ci(rest, "SOURCE_HOST").is_some();
        let role = if names_other_server {
            Role::Replica
        } else {
            self.context.unwrap_or(Role::Own)
        };
        match role {
            Role::Own => {
                Found::set(&mut self.own.file, file, at, "binlog file", self.path)?;
                Found::set(
                    &mut self.own.position,
                    pos,
                    at,
                    "binlog position",
                    self.path,
                )
            }
            Role::Replica => {
                self.replica.get_or_insert((file, pos, number));
                Ok(())
            }
        }
    }

    fn bad_change(&self, number: u64, why: &str) -> BackupError {
        BackupError::malformed(
            self.path,
            Some(number),
            format!("CHANGE MASTER / CHANGE REPLICATION SOURCE: {why}; expected MASTER_LOG_FILE='binlog.000002', MASTER_LOG_POS=379"),
        )
    }

    /// Whose `gtid_slave_pos` line this is when no comment said: the dumped
    /// server's comes before the `--dump-slave` one.
    fn gtid_slave_pos_role(&self) -> Role {
        match self.context {
            Some(role) => role,
            None if self.own.gtid.is_none()
                && (self.own.file.is_some() || self.replica.is_none()) =>
            {
                Role::Own
            }
            None => Role::Replica,
        }
    }

    /// `= [/*…*/] 'GTID set'`, the closing quote possibly on a later line.
    fn gtid(
        &mut self,
        number: u64,
        rest: &str,
        role: Role,
        truncated: bool,
    ) -> Result<(), BackupError> {
        let bad = |why: &str| {
            BackupError::malformed(
                self.path,
                Some(number),
                format!("GTID statement: {why}; expected `= 'GTID set'`"),
            )
        };
        let Some(mut value) = rest.trim_start().strip_prefix('=') else {
            return Err(bad("no `=`"));
        };
        value = value.trim_start();
        while let Some(comment) = value.strip_prefix("/*") {
            let end = comment
                .find("*/")
                .ok_or_else(|| bad("a comment that does not close"))?;
            value = comment[end + 2..].trim_start();
        }
        match quoted(value) {
            Some(Ok((set, _))) => self.gtid_done(role, number, set),
            Some(Err(start)) => {
                self.refuse_truncated(number, truncated)?;
                let quote = value.trim_start().chars().next().unwrap_or('\'');
                self.open = Some(OpenGtid {
                    role,
                    line: number,
                    quote,
                    text: start.to_string(),
                });
                Ok(())
            }
            None => Err(bad("the GTID set is not quoted")),
        }
    }

    fn continue_gtid(
        &mut self,
        number: u64,
        text: &str,
        truncated: bool,
    ) -> Result<(), BackupError> {
        self.refuse_truncated(number, truncated)?;
        let Some(open) = self.open.as_mut() else {
            return Ok(());
        };
        let piece = text.trim_start();
        let piece = piece.strip_prefix("--").unwrap_or(piece);
        match piece.find(open.quote) {
            Some(end) => {
                open.text.push_str(&piece[..end]);
                let done = self.open.take().expect("an open GTID set");
                self.gtid_done(done.role, done.line, &done.text)
            }
            None => {
                open.text.push_str(piece);
                if open.text.len() > MAX_GTID_TEXT {
                    return Err(BackupError::malformed(
                        self.path,
                        Some(open.line),
                        "the GTID set never closes its quote; the dump is damaged",
                    ));
                }
                Ok(())
            }
        }
    }

    fn gtid_done(&mut self, role: Role, line: u64, set: &str) -> Result<(), BackupError> {
        let compact: String = set.chars().filter(|c| !c.is_whitespace()).collect();
        match role {
            Role::Own => Found::set(
                &mut self.own.gtid,
                compact,
                Some(line),
                "GTID set",
                self.path,
            ),
            Role::Replica => {
                self.replica_gtid_line.get_or_insert(line);
                Ok(())
            }
        }
    }

    fn finish(self) -> Result<BackupCoordinates, BackupError> {
        let path = self.path;
        if let Some(open) = &self.open {
            return Err(BackupError::malformed(
                path,
                Some(open.line),
                "the GTID set's closing quote never comes: the dump was cut short. Take a new dump",
            ));
        }
        if self.header && !self.completed {
            return Err(BackupError::Unfinished {
                path: path.to_path_buf(),
                reason: "it has no closing `-- Dump completed` line, which mysqldump / mariadb-dump writes last: the dump was cut short (disk full, killed, still running, or cut while being copied). Take a new dump".to_string(),
            });
        }
        let found_any =
            !self.own.is_empty() || self.replica.is_some() || self.replica_gtid_line.is_some();
        if let Some(coordinates) = self.own.into_coordinates(BackupTool::Mysqldump, path)? {
            return Ok(coordinates);
        }
        if !self.header && !found_any {
            return Err(BackupError::NotABackup {
                path: path.to_path_buf(),
                reason: "it has neither a mysqldump / mariadb-dump header (`-- MySQL dump`, `-- MariaDB dump`) nor binlog coordinates (CHANGE MASTER TO, CHANGE REPLICATION SOURCE TO, SET @@GLOBAL.GTID_PURGED, SET GLOBAL gtid_slave_pos). Give a backup directory (mariadb-backup, XtraBackup, mydumper, MySQL Shell) or a dump's .sql file".to_string(),
            });
        }
        let reason = match (&self.replica, self.replica_gtid_line) {
            (Some((file, pos, line)), _) => format!(
                "it holds only --dump-slave coordinates (line {line}: {file} at {pos}), which are in the binlogs of the dumped server's replication source, another server. To replay the dumped server's own binlogs, take the dump with --master-data=2 (--source-data=2 on MySQL 8.0.26+); to replay the source's binlogs, start the replay at those coordinates explicitly"
            ),
            (None, Some(line)) => format!(
                "it holds only the --dump-slave GTID position (line {line}), the dumped server's replication source's. Take the dump with --master-data=2 (add --gtid on MariaDB)"
            ),
            (None, None) => "there is no CHANGE MASTER TO / CHANGE REPLICATION SOURCE TO line and no GTID_PURGED / gtid_slave_pos line: the dump was taken without --master-data (mariadb-dump, mysqldump before 8.0.26) or --source-data (MySQL 8.0.26+). Take dumps for point-in-time recovery with --single-transaction --master-data=2 (add --gtid on MariaDB)".to_string(),
        };
        Err(BackupError::NoCoordinates {
            path: path.to_path_buf(),
            reason,
        })
    }
}

/// Whose coordinates a dump comment announces, if it announces any.
fn announced(comment: &str) -> Option<Role> {
    let c = comment.to_ascii_uppercase();
    let replica = [
        "SHOW SLAVE STATUS",
        "SHOW REPLICA STATUS",
        "DUMP-SLAVE",
        "DUMP-REPLICA",
        "RECOVERY FROM (THE",
    ];
    let own = [
        "SHOW MASTER STATUS",
        "SHOW BINARY LOG STATUS",
        "MASTER-DATA",
        "SOURCE-DATA",
        "POSITION TO START REPLICATION OR POINT-IN-TIME RECOVERY FROM",
    ];
    if replica.iter().any(|p| c.contains(p)) {
        Some(Role::Replica)
    } else if own.iter().any(|p| c.contains(p)) {
        Some(Role::Own)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::read_from;
    use std::path::Path;

    fn read(text: &str) -> Result<super::BackupCoordinates, super::BackupError> {
        read_from(text.as_bytes(), Path::new("dump.sql"))
    }

    #[test]
    fn a_commented_source_statement_and_a_plain_purged_set() {
        let c = read("-- CHANGE REPLICATION SOURCE TO SOURCE_LOG_FILE='gbichot2-bin.000007',SOURCE_LOG_POS=4;\nSET @@GLOBAL.GTID_PURGED='3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5';\n").unwrap();
        assert_eq!(c.binlog_file.as_deref(), Some("gbichot2-bin.000007"));
        assert_eq!(c.binlog_position, Some(4));
        assert_eq!(c.line, Some(1));
        assert_eq!(
            c.gtid_set.as_deref(),
            Some("3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5")
        );
        assert_eq!(c.gtid_line, Some(2));
    }

    #[test]
    fn without_comments_the_first_gtid_line_is_the_dumped_servers() {
        let c = read("-- CHANGE MASTER TO MASTER_LOG_FILE='binlog.000001', MASTER_LOG_POS=10;\n-- CHANGE MASTER '' TO MASTER_LOG_FILE='binlog.000009', MASTER_LOG_POS=99;\n-- SET GLOBAL gtid_slave_pos='0-1-5';\n-- SET GLOBAL gtid_slave_pos='0-1-5,2-1-1';\n").unwrap();
        assert_eq!(
            (c.binlog_file.as_deref(), c.binlog_position),
            (Some("binlog.000001"), Some(10))
        );
        assert_eq!(
            (c.gtid_set.as_deref(), c.gtid_line),
            (Some("0-1-5"), Some(3))
        );
    }

    #[test]
    fn two_different_positions_of_the_dumped_server_are_refused() {
        let e = read("CHANGE MASTER TO MASTER_LOG_FILE='binlog.000001', MASTER_LOG_POS=10;\nCHANGE MASTER TO MASTER_LOG_FILE='binlog.000002', MASTER_LOG_POS=4;\n").unwrap_err();
        assert!(
            matches!(e, super::BackupError::Malformed { line: Some(2), .. }),
            "{e}"
        );
    }
}
