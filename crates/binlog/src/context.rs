//! The session context a QUERY event carries in its status variables:
//! everything a statement needs to run on another server exactly as it ran
//! on the source (sql_mode, charsets, time zone, auto-increment settings,
//! FOREIGN_KEY_CHECKS / UNIQUE_CHECKS / AUTOCOMMIT flags, ...).
//!
//! Keys 0-20 are MySQL's, 128+ MariaDB's. A key this parser does not know
//! has no known length, so parsing stops there (as the server does) and
//! [`StatementContext::unknown_key`] says so; the raw bytes stay in
//! [`Query::status_vars`](crate::Query::status_vars).

/// Decoded status variables of a QUERY event. `None`: not present.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct StatementContext {
    /// OPTION_* bits: AUTO_IS_NULL (1<<14), NOT_AUTOCOMMIT (1<<19),
    /// NO_FOREIGN_KEY_CHECKS (1<<26), RELAXED_UNIQUE_CHECKS (1<<27).
    pub flags2: Option<u32>,
    pub sql_mode: Option<u64>,
    /// (auto_increment_increment, auto_increment_offset).
    pub auto_increment: Option<(u16, u16)>,
    /// (character_set_client, collation_connection, collation_server).
    pub charset: Option<(u16, u16, u16)>,
    pub time_zone: Option<String>,
    pub lc_time_names: Option<u16>,
    pub charset_database: Option<u16>,
    pub table_map_for_update: Option<u64>,
    /// DEFINER of a stored routine, view or trigger statement: (user, host).
    pub invoker: Option<(String, String)>,
    pub updated_db_names: Option<Vec<String>>,
    /// Microseconds of the statement's start time (TIMESTAMP fraction).
    pub microseconds: Option<u32>,
    pub explicit_defaults_for_timestamp: Option<bool>,
    pub ddl_logged_with_xid: Option<u64>,
    pub default_collation_for_utf8mb4: Option<u16>,
    pub sql_require_primary_key: Option<u8>,
    pub default_table_encryption: Option<u8>,
    /// MariaDB Q_XID: the XID of a DDL statement.
    pub xid: Option<u64>,
    /// MariaDB Q_GTID_FLAGS3.
    pub gtid_flags3: Option<u8>,
    /// The first key this parser did not know; later variables were not read.
    pub unknown_key: Option<u8>,
}

impl StatementContext {
    pub const OPTION_AUTO_IS_NULL: u32 = 1 << 14;
    pub const OPTION_NOT_AUTOCOMMIT: u32 = 1 << 19;
    pub const OPTION_NO_FOREIGN_KEY_CHECKS: u32 = 1 << 26;
    pub const OPTION_RELAXED_UNIQUE_CHECKS: u32 = 1 << 27;

    /// Parses the status variables of a QUERY event.
    pub fn parse(vars: &[u8]) -> Result<Self, String> {
        let mut c = StatementContext::default();
        let mut r = Cursor { b: vars, p: 0 };
        while r.p < vars.len() {
            let key = r.u8()?;
            match key {
                0 => c.flags2 = Some(r.le(4)? as u32),
                1 => c.sql_mode = Some(r.le(8)?),
                2 => {
                    let n = r.u8()? as usize;
                    r.take(n + 1)?; // old catalog, NUL-terminated
                }
                3 => c.auto_increment = Some((r.le(2)? as u16, r.le(2)? as u16)),
                4 => c.charset = Some((r.le(2)? as u16, r.le(2)? as u16, r.le(2)? as u16)),
                5 => c.time_zone = Some(r.short_string()?),
                6 => {
                    r.short_string()?; // catalog
                }
                7 => c.lc_time_names = Some(r.le(2)? as u16),
                8 => c.charset_database = Some(r.le(2)? as u16),
                9 => c.table_map_for_update = Some(r.le(8)?),
                10 => {
                    r.take(4)?;
                }
                11 => c.invoker = Some((r.short_string()?, r.short_string()?)),
                12 => {
                    let n = r.u8()?;
                    let mut names = vec![];
                    // 254: more databases than the event lists (no names follow).
                    if n != 254 {
                        for _ in 0..n {
                            let rest = &vars[r.p..];
                            let end = rest
                                .iter()
                                .position(|&b| b == 0)
                                .ok_or("updated database name without its NUL")?;
                            names.push(String::from_utf8_lossy(&rest[..end]).into_owned());
                            r.p += end + 1;
                        }
                    }
                    c.updated_db_names = Some(names);
                }
                13 => c.microseconds = Some(r.le(3)? as u32),
                14 => {
                    r.take(8)?;
                }
                15 => {
                    r.take(8)?;
                }
                16 => c.explicit_defaults_for_timestamp = Some(r.u8()? != 0),
                17 => c.ddl_logged_with_xid = Some(r.le(8)?),
                18 => c.default_collation_for_utf8mb4 = Some(r.le(2)? as u16),
                19 => c.sql_require_primary_key = Some(r.u8()?),
                20 => c.default_table_encryption = Some(r.u8()?),
                128 => c.microseconds = Some(r.le(3)? as u32), // MariaDB Q_HRNOW
                129 => c.xid = Some(r.le(8)?),
                130 => c.gtid_flags3 = Some(r.u8()?),
                other => {
                    c.unknown_key = Some(other);
                    break;
                }
            }
        }
        Ok(c)
    }

    /// FOREIGN_KEY_CHECKS was 0 on the source.
    pub fn no_foreign_key_checks(&self) -> bool {
        self.flags2
            .is_some_and(|f| f & Self::OPTION_NO_FOREIGN_KEY_CHECKS != 0)
    }

    /// UNIQUE_CHECKS was 0 on the source.
    pub fn relaxed_unique_checks(&self) -> bool {
        self.flags2
            .is_some_and(|f| f & Self::OPTION_RELAXED_UNIQUE_CHECKS != 0)
    }
}

struct Cursor<'a> {
    b: &'a [u8],
    p: usize,
}

impl Cursor<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], String> {
        let s = self.b.get(self.p..self.p + n).ok_or_else(|| {
            format!(
                "status variables end at byte {} inside a {n}-byte field",
                self.b.len()
            )
        })?;
        self.p += n;
        Ok(s)
    }

    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }

    fn le(&mut self, n: usize) -> Result<u64, String> {
        Ok(self
            .take(n)?
            .iter()
            .rev()
            .fold(0u64, |a, x| (a << 8) | u64::from(*x)))
    }

    fn short_string(&mut self) -> Result<String, String> {
        let n = self.u8()? as usize;
        Ok(String::from_utf8_lossy(self.take(n)?).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mysql_and_mariadb_keys() {
        let mut v = vec![0u8];
        v.extend_from_slice(&(StatementContext::OPTION_NO_FOREIGN_KEY_CHECKS).to_le_bytes());
        v.push(1);
        v.extend_from_slice(&0x4000_0000u64.to_le_bytes());
        v.extend_from_slice(&[3, 5, 0, 3, 0]);
        v.extend_from_slice(&[5, 6]);
        v.extend_from_slice(b"+05:30");
        v.extend_from_slice(&[128, 1, 2, 3]);
        v.push(129);
        v.extend_from_slice(&7u64.to_le_bytes());
        v.extend_from_slice(&[200, 1, 2]);
        let c = StatementContext::parse(&v).unwrap();
        assert!(c.no_foreign_key_checks() && !c.relaxed_unique_checks());
        assert_eq!(c.sql_mode, Some(0x4000_0000));
        assert_eq!(c.auto_increment, Some((5, 3)));
        assert_eq!(c.time_zone.as_deref(), Some("+05:30"));
        assert_eq!(c.microseconds, Some(0x030201));
        assert_eq!(c.xid, Some(7));
        assert_eq!(c.unknown_key, Some(200));
        assert!(StatementContext::parse(&[1, 2, 3]).is_err());
    }
}
