//! Event type codes of MySQL and MariaDB, with the names `mariadb-binlog` and
//! the server sources use.

use std::fmt;

/// The type byte of an event header. Any byte is representable: unknown types
/// keep their code so errors can name them.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventType(pub u8);

macro_rules! event_types {
    ($($name:ident = $code:expr, $text:expr;)*) => {
        impl EventType {
            $(pub const $name: EventType = EventType($code);)*

            /// The conventional name, such as `TABLE_MAP`; `None` for unknown codes.
            pub fn known_name(self) -> Option<&'static str> {
                match self.0 {
                    $($code => Some($text),)*
                    _ => None,
                }
            }
        }
    };
}

event_types! {
    UNKNOWN = 0, "UNKNOWN";
    START_V3 = 1, "START_V3";
    QUERY = 2, "QUERY";
    STOP = 3, "STOP";
    ROTATE = 4, "ROTATE";
    INTVAR = 5, "INTVAR";
    LOAD = 6, "LOAD";
    SLAVE = 7, "SLAVE";
    CREATE_FILE = 8, "CREATE_FILE";
    APPEND_BLOCK = 9, "APPEND_BLOCK";
    EXEC_LOAD = 10, "EXEC_LOAD";
    DELETE_FILE = 11, "DELETE_FILE";
    NEW_LOAD = 12, "NEW_LOAD";
    RAND = 13, "RAND";
    USER_VAR = 14, "USER_VAR";
    FORMAT_DESCRIPTION = 15, "FORMAT_DESCRIPTION";
    XID = 16, "XID";
    BEGIN_LOAD_QUERY = 17, "BEGIN_LOAD_QUERY";
    EXECUTE_LOAD_QUERY = 18, "EXECUTE_LOAD_QUERY";
    TABLE_MAP = 19, "TABLE_MAP";
    PRE_GA_WRITE_ROWS = 20, "PRE_GA_WRITE_ROWS";
    PRE_GA_UPDATE_ROWS = 21, "PRE_GA_UPDATE_ROWS";
    PRE_GA_DELETE_ROWS = 22, "PRE_GA_DELETE_ROWS";
    WRITE_ROWS_V1 = 23, "WRITE_ROWS_V1";
    UPDATE_ROWS_V1 = 24, "UPDATE_ROWS_V1";
    DELETE_ROWS_V1 = 25, "DELETE_ROWS_V1";
    INCIDENT = 26, "INCIDENT";
    HEARTBEAT = 27, "HEARTBEAT";
    IGNORABLE = 28, "IGNORABLE";
    ROWS_QUERY = 29, "ROWS_QUERY";
    WRITE_ROWS = 30, "WRITE_ROWS";
    UPDATE_ROWS = 31, "UPDATE_ROWS";
    DELETE_ROWS = 32, "DELETE_ROWS";
    GTID = 33, "GTID";
    ANONYMOUS_GTID = 34, "ANONYMOUS_GTID";
    PREVIOUS_GTIDS = 35, "PREVIOUS_GTIDS";
    TRANSACTION_CONTEXT = 36, "TRANSACTION_CONTEXT";
    VIEW_CHANGE = 37, "VIEW_CHANGE";
    XA_PREPARE = 38, "XA_PREPARE";
    PARTIAL_UPDATE_ROWS = 39, "PARTIAL_UPDATE_ROWS";
    TRANSACTION_PAYLOAD = 40, "TRANSACTION_PAYLOAD";
    HEARTBEAT_V2 = 41, "HEARTBEAT_V2";
    GTID_TAGGED = 42, "GTID_TAGGED";
    MARIADB_ANNOTATE_ROWS = 160, "ANNOTATE_ROWS";
    MARIADB_BINLOG_CHECKPOINT = 161, "BINLOG_CHECKPOINT";
    MARIADB_GTID = 162, "GTID";
    MARIADB_GTID_LIST = 163, "GTID_LIST";
    MARIADB_START_ENCRYPTION = 164, "START_ENCRYPTION";
    MARIADB_QUERY_COMPRESSED = 165, "QUERY_COMPRESSED";
    MARIADB_WRITE_ROWS_COMPRESSED_V1 = 166, "WRITE_ROWS_COMPRESSED_V1";
    MARIADB_UPDATE_ROWS_COMPRESSED_V1 = 167, "UPDATE_ROWS_COMPRESSED_V1";
    MARIADB_DELETE_ROWS_COMPRESSED_V1 = 168, "DELETE_ROWS_COMPRESSED_V1";
    MARIADB_WRITE_ROWS_COMPRESSED = 169, "WRITE_ROWS_COMPRESSED";
    MARIADB_UPDATE_ROWS_COMPRESSED = 170, "UPDATE_ROWS_COMPRESSED";
    MARIADB_DELETE_ROWS_COMPRESSED = 171, "DELETE_ROWS_COMPRESSED";
    MARIADB_PARTIAL_ROW_DATA = 172, "PARTIAL_ROW_DATA";
}

/// What a rows event does to its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RowsKind {
    Write,
    Update,
    Delete,
}

impl EventType {
    /// The type byte.
    pub fn code(self) -> u8 {
        self.0
    }

    /// The name, or `UNKNOWN_<code>`.
    pub fn name(self) -> std::borrow::Cow<'static, str> {
        match self.known_name() {
            Some(n) => n.into(),
            None => format!("UNKNOWN_{}", self.0).into(),
        }
    }

    /// Whether this code is one the reader knows how to handle.
    pub fn is_known(self) -> bool {
        self.known_name().is_some()
    }

    /// For a rows event (any version, compressed or not): what it does.
    pub fn rows_kind(self) -> Option<RowsKind> {
        Some(match self {
            Self::WRITE_ROWS_V1
            | Self::WRITE_ROWS
            | Self::MARIADB_WRITE_ROWS_COMPRESSED
            | Self::MARIADB_WRITE_ROWS_COMPRESSED_V1 => RowsKind::Write,
            Self::UPDATE_ROWS_V1
            | Self::UPDATE_ROWS
            | Self::PARTIAL_UPDATE_ROWS
            | Self::MARIADB_UPDATE_ROWS_COMPRESSED
            | Self::MARIADB_UPDATE_ROWS_COMPRESSED_V1 => RowsKind::Update,
            Self::DELETE_ROWS_V1
            | Self::DELETE_ROWS
            | Self::MARIADB_DELETE_ROWS_COMPRESSED
            | Self::MARIADB_DELETE_ROWS_COMPRESSED_V1 => RowsKind::Delete,
            _ => return None,
        })
    }

    /// Whether this is a MariaDB zlib-compressed rows event (166-171).
    pub fn is_compressed_rows(self) -> bool {
        (166..=171).contains(&self.0)
    }

    /// For a compressed MariaDB rows event, the plain type it decompresses to.
    pub fn uncompressed_rows_type(self) -> Option<EventType> {
        Some(match self.0 {
            166 => Self::WRITE_ROWS_V1,
            167 => Self::UPDATE_ROWS_V1,
            168 => Self::DELETE_ROWS_V1,
            169 => Self::WRITE_ROWS,
            170 => Self::UPDATE_ROWS,
            171 => Self::DELETE_ROWS,
            _ => return None,
        })
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

impl fmt::Debug for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({})", self.name(), self.0)
    }
}
