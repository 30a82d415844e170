//! Errors of the apply layer: what was being done, against which server,
//! and the server's (or the driver's) own message.
//!
//! No variant carries a password: targets are described by
//! [`Endpoint`](crate::connect::Endpoint) and user name only.

/// An error while talking to the target server.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// The connection options cannot describe a connection.
    #[error("invalid connection options: {0}")]
    Options(String),

    /// Connecting (or authenticating) failed.
    #[error("connecting to {target}: {}{}", server_message(source), hint(source).map_or(String::new(), |h| format!(" ({h})")))]
    Connect {
        /// `user@endpoint`, e.g. `root@socket /tmp/x/sock` or `app@db1:3306`.
        target: String,
        #[source]
        source: mysql::Error,
    },

    /// A statement failed on an open connection. When the server's message
    /// alone does not say what to do (read-only, table full, lock waits),
    /// a hint follows it (see [`hint`]).
    #[error("{doing}: {}{}", server_message(source), hint(source).map_or(String::new(), |h| format!(" ({h})")))]
    Query {
        /// What the statement was for, e.g. `reading information_schema.COLUMNS`.
        doing: String,
        #[source]
        source: mysql::Error,
    },

    /// The server answered, but with something myreplay cannot use.
    #[error("{doing}: {reason}")]
    Unexpected { doing: String, reason: String },

    /// The target has something myreplay cannot handle safely.
    #[error("{0}")]
    Unsupported(String),

    /// The binlogs and the target (or the apply path) do not go together:
    /// refused before anything is written (a MySQL binlog into MariaDB on
    /// the BINLOG-statement path...).
    #[error("{0}")]
    Incompatible(String),

    /// Another replay holds the target's lock for this checkpoint table
    /// (see [`crate::run_lock`]): refused before anything is written, or
    /// the lock was lost to another run mid-replay.
    #[error("{0}")]
    Busy(String),
}

impl ApplyError {
    pub(crate) fn query(doing: impl Into<String>) -> impl FnOnce(mysql::Error) -> Self {
        let doing = doing.into();
        move |source| ApplyError::Query { doing, source }
    }
}

/// The server's error as the mysql client prints it (`ERROR 1290 (HY000):
/// ...`), other errors as the driver does.
fn server_message(e: &mysql::Error) -> String {
    match e {
        mysql::Error::MySqlError(m) => m.to_string(),
        other => other.to_string(),
    }
}

/// What to do about a server error whose message does not say it, for the
/// DBA reading it: the errors a replay meets when the target refuses writes
/// or another session holds its rows. `None` for the others.
pub fn hint(e: &mysql::Error) -> Option<&'static str> {
    const LOST: &str = "the connection to the target was lost (server restarted or down, network cut, \
         connection killed): once the server answers, run the same command; it resumes after the last \
         committed transaction";
    let m = match e {
        mysql::Error::IoError(_) | mysql::Error::CodecError(_) => return Some(LOST),
        mysql::Error::DriverError(d) => {
            return matches!(
                d,
                mysql::DriverError::PacketOutOfSync
                    | mysql::DriverError::UnexpectedPacket
                    | mysql::DriverError::Timeout
            )
            .then_some(LOST)
        }
        mysql::Error::MySqlError(m) => m,
        _ => return None,
    };
    match m.code {
        // Server gone away, lost connection, shutdown in progress, connection killed.
        2006 | 2013 | 1053 | 1927 => Some(LOST),
        // ER_OPTION_PREVENTS_STATEMENT, for --read-only (and MySQL's
        // --super-read-only); other options give the same code.
        1290 if m.message.contains("read-only") || m.message.contains("read_only") => Some(
            "the target is read-only: turn it off there (SET GLOBAL read_only = OFF, and in its option file) \
             or apply as a user with READ_ONLY ADMIN (MariaDB 10.11 and later; SUPER before, and on MySQL \
             without super_read_only), then run the same command",
        ),
        // ER_READ_ONLY_MODE: InnoDB started read-only.
        1836 => Some(
            "the target's InnoDB is read-only (innodb_read_only): restart it without that option, then run the same command",
        ),
        // ER_RECORD_FILE_FULL.
        1114 => Some(
            "a table on the target is full: for a MEMORY table raise max_heap_table_size (SET GLOBAL, and in the option file) \
             and rebuild the table in a session that has the new value (SET SESSION max_heap_table_size = ...; \
             ALTER TABLE ... ENGINE=MEMORY); otherwise free disk space or let the tablespace grow \
             (innodb_data_file_path ...:autoextend); then run the same command",
        ),
        // A Galera cluster's write-set limits, for one source transaction
        // (a unit of several is split first).
        1180 | 1105
            if m.message.contains("wsrep_max_ws_rows") || m.message.contains("writeset size") =>
        {
            Some(
                "the transaction is larger than the cluster's write-set limits: raise wsrep_max_ws_rows / wsrep_max_ws_size \
                 on every node (SET GLOBAL ..., and in their option files), then run the same command",
            )
        }
        // ER_LOCK_WAIT_TIMEOUT: only reported after the retries.
        1205 => Some(
            "myreplay retried the unit with backoff and the lock was still held: another session on the target holds \
             locks on these rows (find it in information_schema.INNODB_TRX or SHOW ENGINE INNODB STATUS and end it), \
             or raise innodb_lock_wait_timeout; then run the same command",
        ),
        // ER_LOCK_DEADLOCK: only reported after the retries.
        1213 => Some(
            "myreplay retried the unit with backoff and it deadlocked every time: another session on the target writes \
             the same rows (see LATEST DETECTED DEADLOCK in SHOW ENGINE INNODB STATUS); stop it, then run the same command",
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(code: u16, message: &str) -> mysql::Error {
        mysql::Error::MySqlError(mysql::MySqlError {
            state: "HY000".into(),
            code,
            message: message.into(),
        })
    }

    #[test]
    fn refused_writes_and_lock_waits_say_what_to_do() {
        let read_only = ApplyError::Query {
            doing: "COMMIT".into(),
            source: server(
                1290,
                "The MariaDB server is running with the --read-only option so it cannot execute this statement",
            ),
        };
        let text = read_only.to_string();
        assert!(text.starts_with("COMMIT: ERROR 1290"), "{text}");
        assert!(text.contains("SET GLOBAL read_only = OFF"), "{text}");
        let other = ApplyError::Query {
            doing: "x".into(),
            source: server(
                1290,
                "The MariaDB server is running with the --secure-file-priv option",
            ),
        };
        assert!(!other.to_string().contains("read_only"));
        for (code, words) in [
            (1114, "max_heap_table_size"),
            (1205, "retried"),
            (1213, "retried"),
            (1836, "innodb_read_only"),
        ] {
            let e = ApplyError::Query {
                doing: "x".into(),
                source: server(code, "m"),
            };
            assert!(e.to_string().contains(words), "{code}: {e}");
        }
        assert!(hint(&server(1062, "Duplicate entry")).is_none());
        let lost = mysql::Error::IoError(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "server disconnected",
        ));
        assert!(hint(&lost).unwrap().contains("run the same command"));
    }
}
