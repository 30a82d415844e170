//! Checks before the first write: can this target be replayed into, the way
//! the replay is about to do it? Failing here leaves the target untouched.

use myreplay_binlog::{EventReader, EventType, ReaderOptions};
use mysql::prelude::Queryable;

use crate::error::ApplyError;

/// What the preflight found.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Preflight {
    /// `VERSION()`, e.g. `10.11.6-MariaDB-log`.
    pub server_version: String,
    pub mariadb: bool,
    /// The target writes a binlog (`log_bin`).
    pub target_log_bin: bool,
    /// The server of the first binlog file.
    pub source_server_version: String,
    /// The cluster the target is a node of (Galera), if it is one.
    pub cluster: Option<crate::galera::Cluster>,
}

/// Runs the checks on `conn` (a session like the workers'): the server
/// answers, it accepts writes from this user (not read-only for it),
/// binary logging can be turned off for the session (unless
/// `log_bin`), and the server accepts a `BINLOG` statement with the first
/// file's FORMAT_DESCRIPTION event (the privilege the row path needs). None
/// of this changes data.
pub fn preflight(
    conn: &mut impl Queryable,
    first_file: Option<&std::path::Path>,
    log_bin: bool,
    apply_path: crate::session::ApplyPath,
) -> Result<Preflight, ApplyError> {
    let server_version: String = conn
        .query_first("SELECT VERSION()")
        .map_err(ApplyError::query("preflight: SELECT VERSION()"))?
        .unwrap_or_default();
    let target_log_bin: u8 = conn
        .query_first("SELECT @@log_bin")
        .map_err(ApplyError::query("preflight: reading @@log_bin"))?
        .unwrap_or(0);
    // A read-only target refuses the first write: find out now, without
    // writing anything. START TRANSACTION READ WRITE is refused exactly when
    // this user's writes would be (read_only without READ_ONLY ADMIN, or
    // SUPER before MariaDB 10.11; MySQL's super_read_only for everyone).
    let innodb_read_only: u8 = conn
        .query_first("SELECT @@innodb_read_only")
        .ok()
        .flatten()
        .unwrap_or(0);
    if innodb_read_only != 0 {
        return Err(ApplyError::Unexpected {
            doing: "preflight: checking that the target accepts writes".into(),
            reason: "the target's InnoDB is read-only (innodb_read_only = ON): restart it without that option, then run the same command; nothing was written".into(),
        });
    }
    conn.query_drop("START TRANSACTION READ WRITE")
        .map_err(ApplyError::query(
            "preflight: the target refuses writes from this user (START TRANSACTION READ WRITE); nothing was written",
        ))?;
    conn.query_drop("ROLLBACK")
        .map_err(ApplyError::query("preflight: ROLLBACK"))?;
    let mysql = !server_version.contains("MariaDB");
    if !log_bin {
        conn.query_drop("SET SESSION sql_log_bin = 0").map_err(ApplyError::query(if mysql {
            "preflight: SET SESSION sql_log_bin = 0 (the apply sessions must not write the target's binlog; grant SESSION_VARIABLES_ADMIN or SYSTEM_VARIABLES_ADMIN, or pass --log-bin)"
        } else {
            "preflight: SET SESSION sql_log_bin = 0 (the apply sessions must not write the target's binlog; grant SUPER or BINLOG ADMIN, or pass --log-bin)"
        }))?;
    }
    crate::target::no_annotations(conn, mysql)?;
    let mut source_server_version = String::new();
    if let Some(path) = first_file {
        let mut reader = EventReader::open(path, ReaderOptions::default()).map_err(|e| {
            ApplyError::Unexpected {
                doing: "preflight: reading the first binlog".into(),
                reason: e.to_string(),
            }
        })?;
        if let Ok(Some(fde)) = reader.next_event() {
            if fde.header.event_type == EventType::FORMAT_DESCRIPTION {
                source_server_version = reader.format().server_version.clone();
                let source_mariadb = reader.format().is_mariadb();
                let same_flavour = source_mariadb != mysql;
                if !same_flavour && apply_path == crate::session::ApplyPath::Binlog {
                    let flavour = |mariadb: bool| if mariadb { "MariaDB" } else { "MySQL" };
                    let (from, to) = (flavour(source_mariadb), flavour(!mysql));
                    return Err(ApplyError::Incompatible(format!(
                        "the binlogs were written by {from} {source_server_version} and the target is {to} {server_version}: {to} cannot apply {from}'s row events as BINLOG statements (their formats differ). Use --apply sql (generated INSERT / UPDATE / DELETE; see docs/compatibility.md), or replay into a {from} server; nothing was written"
                    )));
                }
                // The SQL path sends no BINLOG statement: nothing to check.
                if apply_path == crate::session::ApplyPath::Binlog {
                    let statement =
                        crate::row_apply::binlog_statement(std::slice::from_ref(&fde.bytes));
                    conn.query_drop(statement).map_err(ApplyError::query(if mysql {
                        "preflight: a BINLOG statement with the binlog's FORMAT_DESCRIPTION (the row path needs BINLOG_ADMIN or REPLICATION_APPLIER)"
                    } else {
                        "preflight: a BINLOG statement with the binlog's FORMAT_DESCRIPTION (the row path needs SUPER or BINLOG REPLAY)"
                    }))?;
                    if mysql {
                        crate::target::automatic_gtid_next(conn)?;
                    }
                }
            }
        }
    }
    let cluster = crate::galera::Cluster::read(conn)?;
    Ok(Preflight {
        cluster,
        mariadb: !mysql,
        server_version,
        target_log_bin: target_log_bin != 0,
        source_server_version,
    })
}

/// Binlogs of the other flavour (or of a newer server): every distinct
/// session context their statements were written under (sql_mode,
/// character sets and collations, time zone...) is set once on a scratch
/// session of the target, before anything is written, so that a context
/// the target refuses (a collation id it does not know, a sql_mode bit it
/// dropped) stops the replay now, naming the first statement, instead of
/// half-way. It reads the files once more. A statement's own text (another
/// flavour's syntax) is not checked: the replay stops at it, cleanly.
pub fn check_statement_contexts(
    target: &crate::ConnectOptions,
    files: &[std::path::PathBuf],
    stream: myreplay_binlog::StreamOptions,
) -> Result<(), ApplyError> {
    use myreplay_binlog::{EventData, EventStream, QueryClass};
    let mut conn = target.conn()?;
    let mysql = crate::target::is_mysql(&mut conn)?;
    let mut charsets = crate::target::CharsetNames::default();
    let mut tried = std::collections::HashSet::new();
    // Damaged input is reported by the replay itself, at its place.
    let Ok(mut events) = EventStream::open(files, stream) else {
        return Ok(());
    };
    while let Ok(Some(e)) = events.next_event() {
        let EventData::Query(q) = &e.data else {
            continue;
        };
        if matches!(
            q.class(),
            QueryClass::Begin | QueryClass::Commit | QueryClass::Rollback
        ) {
            continue;
        }
        let Ok(ctx) = q.context() else { continue };
        let refused = |why: String| {
            ApplyError::Incompatible(format!(
                "{}: the statement there was written under session settings the target refuses: {why}. The target is another flavour or an older server than the binlogs' ({}); replay into a server of the binlogs' flavour and version. Nothing was written",
                e.raw.pos,
                if mysql { "MySQL" } else { "MariaDB" }
            ))
        };
        let set = crate::target::context_assignments(&ctx, &mut charsets, &mut conn, mysql)
            .map_err(|err| refused(err.to_string()))?;
        if set.is_empty() {
            continue;
        }
        let sql = format!("SET {}", set.join(", "));
        if tried.insert(sql.clone()) {
            conn.query_drop(&sql).map_err(|err| {
                refused(format!(
                    "{sql}: {}",
                    match &err {
                        mysql::Error::MySqlError(m) =>
                            format!("ERROR {} ({}): {}", m.code, m.state, m.message),
                        other => other.to_string(),
                    }
                ))
            })?;
        }
    }
    Ok(())
}
