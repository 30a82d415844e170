//! Which transactions a DBA is looking for: by database, table (globs),
//! kind, commit time, and a regular expression over their statement text
//! (statements, MariaDB ANNOTATE_ROWS, MySQL ROWS_QUERY). One meaning for
//! every command that lists or applies transactions.

use regex::Regex;

use crate::event::{EventData, QueryClass};
use crate::gtid_set::GtidSet;
use crate::transaction::{TransactionKind, TransactionSummary};

/// The texts of one transaction, gathered from its events as they pass
/// (see [`TransactionTexts::add`]).
#[derive(Debug, Clone, Default)]
pub struct TransactionTexts {
    /// Its statements (statement-format DML, DDL), whole.
    pub statements: Vec<String>,
    /// The default database of each statement in `statements`.
    pub statement_databases: Vec<String>,
    /// The statements behind its row events, when the source logged them.
    pub row_queries: Vec<String>,
}

impl TransactionTexts {
    /// Takes what `data` says, if it is a statement or a rows query.
    pub fn add(&mut self, data: &EventData) {
        match data {
            EventData::Query(q) => {
                if matches!(q.class(), QueryClass::Dml | QueryClass::Ddl) {
                    self.statements.push(q.sql_lossy().into_owned());
                    self.statement_databases.push(q.schema.clone());
                }
            }
            EventData::RowsQuery(text) => {
                // std's UTF-8 check first: much faster than the lossy
                // conversion's own walk, and statements are UTF-8 nearly always.
                let text = match std::str::from_utf8(text) {
                    Ok(s) => s.to_owned(),
                    Err(_) => String::from_utf8_lossy(text).into_owned(),
                };
                self.row_queries.push(text);
            }
            _ => {}
        }
    }
}

/// A `DB.TABLE` pattern; `*` and `?` match any characters and any one.
#[derive(Debug, Clone)]
pub struct TablePattern {
    database: Regex,
    table: Regex,
}

impl TablePattern {
    /// `DB.TABLE`, each part a glob (`app.*`, `*.orders`, `shop_?.t`).
    pub fn parse(text: &str) -> Result<Self, String> {
        let (d, t) = text
            .split_once('.')
            .filter(|(d, t)| !d.is_empty() && !t.is_empty())
            .ok_or_else(|| format!("--table `{text}`: expected DB.TABLE (globs allowed: app.*)"))?;
        Ok(Self {
            database: glob(d),
            table: glob(t),
        })
    }

    pub fn matches(&self, database: &str, table: &str) -> bool {
        self.database.is_match(database) && self.table.is_match(table)
    }
}

/// A glob as an anchored regular expression.
fn glob(pattern: &str) -> Regex {
    let mut re = String::from("^");
    for c in pattern.chars() {
        match c {
            '*' => re.push_str(".*"),
            '?' => re.push('.'),
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push('$');
    Regex::new(&re).expect("an escaped glob is a valid expression")
}

/// Every condition must hold; an empty selection takes everything.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Changes a table of one of these databases, or runs a statement
    /// whose default database is one of them.
    pub databases: Vec<String>,
    /// Its row events change a table one of these match.
    pub tables: Vec<TablePattern>,
    pub kinds: Vec<TransactionKind>,
    /// Over its statements and rows queries.
    pub grep: Option<Regex>,
    /// Committed at or after (seconds since the epoch).
    pub start_time: Option<u32>,
    /// Committed before.
    pub stop_time: Option<u32>,
    /// Its GTID is in this set (MySQL), or at or before this state
    /// (MariaDB: up to N in each domain named); a transaction without a
    /// GTID is not.
    pub include_gtids: Option<GtidSet>,
    /// Its GTID is not in this set (or state); a transaction without a GTID
    /// is kept.
    pub exclude_gtids: Option<GtidSet>,
}

impl Selection {
    /// Whether anything is asked beyond the time range.
    pub fn picks(&self) -> bool {
        !self.databases.is_empty()
            || !self.tables.is_empty()
            || !self.kinds.is_empty()
            || self.grep.is_some()
            || self.include_gtids.is_some()
            || self.exclude_gtids.is_some()
    }

    pub fn matches(&self, t: &TransactionSummary, texts: &TransactionTexts) -> bool {
        if self.start_time.is_some_and(|s| t.timestamp < s)
            || self.stop_time.is_some_and(|s| t.timestamp >= s)
        {
            return false;
        }
        if !self.kinds.is_empty() && !self.kinds.contains(&t.kind) {
            return false;
        }
        if let Some(set) = &self.include_gtids {
            if !t.gtid.as_ref().is_some_and(|g| set.contains(g)) {
                return false;
            }
        }
        if let Some(set) = &self.exclude_gtids {
            if t.gtid.as_ref().is_some_and(|g| set.contains(g)) {
                return false;
            }
        }
        if !self.databases.is_empty() {
            let by_rows = t
                .tables
                .iter()
                .any(|c| self.databases.contains(&c.database));
            let by_statement = texts
                .statement_databases
                .iter()
                .any(|d| self.databases.contains(d));
            if !by_rows && !by_statement {
                return false;
            }
        }
        if !self.tables.is_empty()
            && !t
                .tables
                .iter()
                .any(|c| self.tables.iter().any(|p| p.matches(&c.database, &c.table)))
        {
            return false;
        }
        if let Some(re) = &self.grep {
            let found = texts
                .statements
                .iter()
                .chain(&texts.row_queries)
                .any(|s| re.is_match(s));
            if !found {
                return false;
            }
        }
        true
    }
}

/// A `--grep` regular expression.
pub fn parse_grep(text: &str) -> Result<Regex, String> {
    Regex::new(text).map_err(|e| format!("--grep `{text}`: {e}"))
}

/// `ddl`, `row`, `statement`, `xa`, `empty`, and `dml` for the two that
/// change rows (row and statement).
pub fn parse_kinds(text: &str) -> Result<Vec<TransactionKind>, String> {
    let mut kinds = vec![];
    for k in text.split(',').map(str::trim) {
        match k.to_ascii_lowercase().as_str() {
            "ddl" => kinds.push(TransactionKind::Ddl),
            "row" => kinds.push(TransactionKind::Row),
            "statement" => kinds.push(TransactionKind::Statement),
            "dml" => kinds.extend([TransactionKind::Row, TransactionKind::Statement]),
            "xa" => kinds.push(TransactionKind::Xa),
            "empty" => kinds.push(TransactionKind::Empty),
            _ => {
                return Err(format!(
                    "--kind `{k}`: expected ddl, dml, row, statement, xa or empty"
                ))
            }
        }
    }
    Ok(kinds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_globs() {
        let p = TablePattern::parse("app.ord*").unwrap();
        assert!(p.matches("app", "orders"));
        assert!(!p.matches("app2", "orders"));
        assert!(!p.matches("app", "xorders"));
        let q = TablePattern::parse("*.t?").unwrap();
        assert!(q.matches("a.b", "t1"));
        assert!(!q.matches("a", "t12"));
        // Dots and other characters are literal.
        assert!(!TablePattern::parse("a.b.c").unwrap().matches("a", "bxc"));
        assert!(TablePattern::parse("nodot").is_err());
    }

    #[test]
    fn kinds() {
        assert_eq!(
            parse_kinds("ddl,dml").unwrap(),
            vec![
                TransactionKind::Ddl,
                TransactionKind::Row,
                TransactionKind::Statement
            ]
        );
        assert!(parse_kinds("drop").is_err());
    }
}
