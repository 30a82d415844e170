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
    #[error("connecting to {target}: {source}")]
    Connect {
        /// `user@endpoint`, e.g. `root@socket /tmp/x/sock` or `app@db1:3306`.
        target: String,
        #[source]
        source: mysql::Error,
    },

    /// A statement failed on an open connection.
    #[error("{doing}: {source}")]
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
}

impl ApplyError {
    pub(crate) fn query(doing: impl Into<String>) -> impl FnOnce(mysql::Error) -> Self {
        let doing = doing.into();
        move |source| ApplyError::Query { doing, source }
    }
}
