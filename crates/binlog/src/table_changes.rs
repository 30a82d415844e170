//! Which tables a transaction changed, and how many rows of each.

use crate::event_type::RowsKind;

/// Row changes of one table in one transaction, from its row events (an
/// UPDATE's before and after image count once).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TableChanges {
    pub database: String,
    pub table: String,
    pub inserted: u64,
    pub updated: u64,
    pub deleted: u64,
}

impl TableChanges {
    /// Adds `rows` of `kind` to the tally of `database`.`table` in
    /// `tables` (in the order the tables were first changed), and returns
    /// where that tally is, for [`TableChanges::count`].
    pub fn add(
        tables: &mut Vec<TableChanges>,
        database: &str,
        table: &str,
        kind: RowsKind,
        rows: u64,
    ) -> usize {
        let i = match tables
            .iter()
            .position(|t| t.table == table && t.database == database)
        {
            Some(i) => i,
            None => {
                tables.push(TableChanges {
                    database: database.to_string(),
                    table: table.to_string(),
                    inserted: 0,
                    updated: 0,
                    deleted: 0,
                });
                tables.len() - 1
            }
        };
        tables[i].count(kind, rows);
        i
    }

    /// Adds `rows` of `kind` to this tally.
    pub fn count(&mut self, kind: RowsKind, rows: u64) {
        match kind {
            RowsKind::Write => self.inserted += rows,
            RowsKind::Update => self.updated += rows,
            RowsKind::Delete => self.deleted += rows,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tallies_by_table_in_first_seen_order() {
        let mut v = vec![];
        TableChanges::add(&mut v, "app", "b", RowsKind::Write, 2);
        TableChanges::add(&mut v, "app", "a", RowsKind::Delete, 1);
        TableChanges::add(&mut v, "app", "b", RowsKind::Update, 3);
        assert_eq!(v.len(), 2);
        assert_eq!(
            (v[0].table.as_str(), v[0].inserted, v[0].updated),
            ("b", 2, 3)
        );
        assert_eq!((v[1].table.as_str(), v[1].deleted), ("a", 1));
    }
}
