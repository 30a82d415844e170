//! What differs between target servers, MySQL and MariaDB, in one place.

use myreplay_binlog::StatementContext;
use mysql::prelude::Queryable;

use crate::checkpoint::escape;
use crate::error::ApplyError;

/// MySQL's NO_AUTO_CREATE_USER: MariaDB's default and MySQL 5.7's; MySQL
/// 8.0 removed it (GRANT no longer creates users) and refuses a sql_mode
/// holding it (ERROR 3899).
const NO_AUTO_CREATE_USER: u64 = 1 << 28;

/// The session settings a statement's context asks for, as `SET`
/// assignments, for a MySQL target when `mysql`: sql_mode, time zone,
/// character sets and collations, lc_time_names, auto-increment settings,
/// foreign key and unique checks.
pub fn context_assignments(
    ctx: &StatementContext,
    charsets: &mut CharsetNames,
    conn: &mut impl Queryable,
    mysql: bool,
) -> Result<Vec<String>, ApplyError> {
    let mut set = vec![];
    if let Some(v) = ctx.sql_mode {
        let v = if mysql { v & !NO_AUTO_CREATE_USER } else { v };
        set.push(format!("@@session.sql_mode={v}"));
    }
    if let Some(tz) = &ctx.time_zone {
        set.push(format!("@@session.time_zone='{}'", escape(tz)));
    }
    if let Some((client, connection, server)) = ctx.charset {
        // character_set_client takes a character set: an id above 255
        // (MariaDB 11's uca1400 collations) is a collation's, which the
        // server does not take there (ERROR 1115): its character set's name.
        let client = charsets.client_charset(conn, client)?;
        set.push(format!(
            "@@session.character_set_client={client}, @@session.collation_connection={connection}, @@session.collation_server={server}"
        ));
    }
    if let Some(id) = ctx.charset_database {
        set.push(format!("@@session.collation_database={id}"));
    }
    if let Some(id) = ctx.lc_time_names {
        set.push(format!("@@session.lc_time_names={id}"));
    }
    if let Some((inc, off)) = ctx.auto_increment {
        set.push(format!(
            "@@session.auto_increment_increment={inc}, @@session.auto_increment_offset={off}"
        ));
    }
    if ctx.flags2.is_some() {
        set.push(format!(
            "@@session.foreign_key_checks={}, @@session.unique_checks={}",
            u8::from(!ctx.no_foreign_key_checks()),
            u8::from(!ctx.relaxed_unique_checks())
        ));
    }
    Ok(set)
}

/// The target's flavour, from `SELECT VERSION()`.
pub fn is_mysql(conn: &mut impl Queryable) -> Result<bool, ApplyError> {
    let version: String = conn
        .query_first("SELECT VERSION()")
        .map_err(ApplyError::query("SELECT VERSION()"))?
        .unwrap_or_default();
    Ok(!version.contains("MariaDB"))
}

/// Whether the target is a node of a Galera cluster (`wsrep_on`; MySQL and
/// MariaDB without the provider have it off or not at all).
pub fn is_galera(conn: &mut impl Queryable) -> Result<bool, ApplyError> {
    let row: Option<(String, String)> = conn
        .query_first("SHOW GLOBAL VARIABLES LIKE 'wsrep_on'")
        .map_err(ApplyError::query("reading wsrep_on"))?;
    Ok(row.is_some_and(|(_, v)| v.eq_ignore_ascii_case("ON")))
}

/// MySQL: a `BINLOG` statement holding a FORMAT_DESCRIPTION sets the
/// session's GTID_NEXT to NOT_YET_DETERMINED, and the next statement that
/// is not a GTID event then runs as ANONYMOUS, which a target with
/// `gtid_mode=ON` refuses (ERROR 1782). Applied transactions take the
/// target's own next GTID (AUTOMATIC), as its own clients' do.
pub fn automatic_gtid_next(conn: &mut impl Queryable) -> Result<(), ApplyError> {
    conn.query_drop("SET @@SESSION.GTID_NEXT = 'AUTOMATIC'")
        .map_err(ApplyError::query(
            "SET @@SESSION.GTID_NEXT = 'AUTOMATIC' after the FORMAT_DESCRIPTION event",
        ))
}

/// Turns off, for the session, the annotations the server would write into
/// its binlog before each row-event group with the text of the statement
/// that made it (MariaDB's ANNOTATE_ROWS, `binlog_annotate_row_events`, on
/// by default; MySQL's ROWS_QUERY, `binlog_rows_query_log_events`). For an
/// apply session that text is myreplay's own: a `BINLOG '...'` statement
/// (the base64 of a whole unit, copied before every row-event group of it:
/// a target binlog growing with the square of the unit) or a generated
/// statement, never the source's. MariaDB's cannot carry the source's own
/// (a `BINLOG` statement refuses an ANNOTATE_ROWS event: ERROR 1730, "Only
/// Format_description_log_event and row events are allowed"); MySQL's can,
/// and `BinlogStatements::carry_rows_query` turns the variable on for just
/// those statements.
///
/// Nothing is set (no privilege needed) when the session does not annotate.
pub fn no_annotations(conn: &mut impl Queryable, mysql: bool) -> Result<(), ApplyError> {
    let variable = if mysql {
        "binlog_rows_query_log_events"
    } else {
        "binlog_annotate_row_events"
    };
    let on: Option<u8> = conn
        .query_first(format!("SELECT @@session.{variable}"))
        .map_err(ApplyError::query(format!("reading @@session.{variable}")))?;
    if on.unwrap_or(0) == 0 {
        return Ok(());
    }
    conn.query_drop(format!("SET SESSION {variable} = 0")).map_err(ApplyError::query(if mysql {
        "SET SESSION binlog_rows_query_log_events = 0 (keeps myreplay's statements out of the target's binlog; needs SESSION_VARIABLES_ADMIN or SYSTEM_VARIABLES_ADMIN)"
    } else {
        "SET SESSION binlog_annotate_row_events = 0 (keeps the BINLOG statements' text out of the target's binlog; needs SUPER or BINLOG ADMIN)"
    }))
}

/// The character set of each collation id above 255 a statement's context
/// names, asked of the target once per id.
#[derive(Debug, Default)]
pub struct CharsetNames(std::collections::HashMap<u16, String>);

impl CharsetNames {
    /// What to set `character_set_client` to for the collation id `id`:
    /// the id itself up to 255 (the servers take it there), otherwise the
    /// name of its character set.
    pub fn client_charset(
        &mut self,
        conn: &mut impl Queryable,
        id: u16,
    ) -> Result<String, ApplyError> {
        if id <= 255 {
            return Ok(id.to_string());
        }
        if let Some(name) = self.0.get(&id) {
            return Ok(name.clone());
        }
        // MariaDB 10.10+ lists every collation id there (the uca1400 ones
        // only there); MySQL and older MariaDB in COLLATIONS.
        let mut name: Option<String> = conn
            .query_first(format!(
                "SELECT CHARACTER_SET_NAME FROM information_schema.COLLATION_CHARACTER_SET_APPLICABILITY WHERE ID = {id}"
            ))
            .ok()
            .flatten();
        if name.is_none() {
            name = conn
                .query_first(format!(
                    "SELECT CHARACTER_SET_NAME FROM information_schema.COLLATIONS WHERE ID = {id}"
                ))
                .map_err(ApplyError::query(
                    "looking up a collation id in information_schema.COLLATIONS",
                ))?;
        }
        let name = name.ok_or_else(|| {
            ApplyError::Unsupported(format!(
                "the statement was written under collation id {id}, which the target does not know: the target is older than the source, or another flavour; replay into a server of the source's version"
            ))
        })?;
        // A name from the server's own tables, but quoted all the same.
        let quoted = format!("'{}'", escape(&name));
        self.0.insert(id, quoted.clone());
        Ok(quoted)
    }
}
