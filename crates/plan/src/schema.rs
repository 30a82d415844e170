//! What the planner knows about the target's tables: keys, collations,
//! foreign keys and triggers. It is data, passed in: the apply crate builds
//! it from the target's information_schema, tests build it by hand, and
//! offline planning derives what it can from TABLE_MAP metadata.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

/// `schema`.`table`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct TableName {
    pub schema: Arc<str>,
    pub table: Arc<str>,
}

impl TableName {
    pub fn new(schema: &str, table: &str) -> Self {
        Self {
            schema: schema.into(),
            table: table.into(),
        }
    }
}

impl fmt::Display for TableName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`.`{}`", self.schema, self.table)
    }
}

/// How the target compares a column's values in an index: what the key
/// bytes must be normalised to so that equal-comparing values give equal keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Collation {
    /// Bytes compare as bytes (binary strings, numbers, temporal types).
    #[default]
    Binary,
    /// A case- and accent-sensitive text collation (`*_bin`).
    Exact { pad_space: bool },
    /// A case-insensitive (and possibly accent-insensitive) text collation
    /// (`*_ci`, `*_ai_ci`, `*_general_ci`...). Folding is done coarsely:
    /// ASCII letters are lower-cased and every non-ASCII character maps to
    /// one placeholder, which can only over-serialise.
    Insensitive { pad_space: bool },
    /// Not known (offline planning without charset metadata): treated as
    /// case-insensitive with PAD SPACE, the coarsest folding.
    Unknown,
}

impl Collation {
    /// From a collation name as information_schema gives it.
    pub fn from_name(name: &str) -> Self {
        let n = name.to_ascii_lowercase();
        if n == "binary" {
            return Collation::Binary;
        }
        // MySQL 8's UCA 9.0.0 collations (utf8mb4_0900_*) are NO PAD; older
        // ones and MariaDB's (except *_nopad_*) are PAD SPACE.
        let pad_space = !(n.contains("_0900_") || n.contains("nopad"));
        if n.ends_with("_bin") || n.ends_with("_as_cs") || n.ends_with("_cs") {
            Collation::Exact { pad_space }
        } else {
            Collation::Insensitive { pad_space }
        }
    }
}

/// A column as the target defines it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub collation: Collation,
    pub nullable: bool,
}

/// One column of an index, with its prefix length (characters for text,
/// bytes for binary) when the index covers only a prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IndexPart {
    /// Position of the column in the table (0-based), as in row images.
    pub column: usize,
    pub prefix: Option<u32>,
}

/// A PRIMARY or UNIQUE key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Index {
    pub name: String,
    pub parts: Vec<IndexPart>,
}

/// ON DELETE / ON UPDATE action of a foreign key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FkAction {
    Restrict,
    NoAction,
    Cascade,
    SetNull,
    SetDefault,
}

impl FkAction {
    /// From information_schema's DELETE_RULE / UPDATE_RULE text.
    pub fn from_rule(rule: &str) -> Self {
        match rule.to_ascii_uppercase().as_str() {
            "CASCADE" => FkAction::Cascade,
            "SET NULL" => FkAction::SetNull,
            "SET DEFAULT" => FkAction::SetDefault,
            "NO ACTION" => FkAction::NoAction,
            _ => FkAction::Restrict,
        }
    }

    /// Whether the target changes child rows itself (changes that are not in the binlog).
    pub fn changes_children(self) -> bool {
        matches!(
            self,
            FkAction::Cascade | FkAction::SetNull | FkAction::SetDefault
        )
    }
}

/// A foreign key from a child table to a parent table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignKey {
    pub name: String,
    pub child: TableName,
    pub child_columns: Vec<usize>,
    pub parent: TableName,
    pub parent_columns: Vec<usize>,
    pub on_delete: FkAction,
    pub on_update: FkAction,
}

impl ForeignKey {
    /// Whether changes to the parent make the target change child rows.
    pub fn cascades(&self) -> bool {
        self.on_delete.changes_children() || self.on_update.changes_children()
    }
}

/// A table as the planner needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub name: TableName,
    pub columns: Vec<Column>,
    pub primary_key: Option<Index>,
    /// UNIQUE keys other than the primary key.
    pub unique_keys: Vec<Index>,
    /// Foreign keys of this table (this table is the child).
    pub foreign_keys: Vec<ForeignKey>,
    /// Foreign keys of other tables that reference this one (this is the parent).
    pub referenced_by: Vec<ForeignKey>,
    pub has_triggers: bool,
    /// Its changes roll back (InnoDB and the like). Changes to a table that
    /// does not (MEMORY, MyISAM, Aria) stay when the target transaction
    /// they ran in fails, so a transaction writing one runs alone.
    pub transactional: bool,
}

impl Table {
    /// A table with columns only, no keys (add them with the fields).
    pub fn new(name: TableName, columns: Vec<Column>) -> Self {
        Self {
            name,
            columns,
            primary_key: None,
            unique_keys: vec![],
            foreign_keys: vec![],
            referenced_by: vec![],
            has_triggers: false,
            transactional: true,
        }
    }

    /// PRIMARY then UNIQUE keys.
    pub fn unique_indexes(&self) -> impl Iterator<Item = &Index> {
        self.primary_key.iter().chain(&self.unique_keys)
    }

    /// Whether rows have an identity: a primary key, or a unique key whose
    /// columns are all NOT NULL.
    pub fn has_usable_key(&self) -> bool {
        self.primary_key.is_some()
            || self.unique_keys.iter().any(|k| {
                k.parts
                    .iter()
                    .all(|p| self.columns.get(p.column).is_some_and(|c| !c.nullable))
            })
    }

    /// Child tables the target changes when this table's rows change.
    pub fn cascading_children(&self) -> impl Iterator<Item = &TableName> {
        self.referenced_by
            .iter()
            .filter(|fk| fk.cascades())
            .map(|fk| &fk.child)
    }
}

/// The tables the planner knows, by name.
#[derive(Debug, Clone, Default)]
pub struct Schema {
    tables: HashMap<TableName, Arc<Table>>,
}

impl Schema {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds or replaces a table. Foreign keys are linked both ways by
    /// [`Schema::link_foreign_keys`].
    pub fn insert(&mut self, table: Table) {
        self.tables.insert(table.name.clone(), Arc::new(table));
    }

    /// Forgets a table (after a DDL changed or dropped it).
    pub fn remove(&mut self, name: &TableName) -> Option<Arc<Table>> {
        self.tables.remove(name)
    }

    pub fn table(&self, name: &TableName) -> Option<&Arc<Table>> {
        self.tables.get(name)
    }

    pub fn tables(&self) -> impl Iterator<Item = &Arc<Table>> {
        self.tables.values()
    }

    pub fn len(&self) -> usize {
        self.tables.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tables.is_empty()
    }

    /// Fills every parent's `referenced_by` from the children's `foreign_keys`.
    pub fn link_foreign_keys(&mut self) {
        let fks: Vec<ForeignKey> = self
            .tables
            .values()
            .flat_map(|t| t.foreign_keys.iter().cloned())
            .collect();
        for t in self.tables.values_mut() {
            Arc::make_mut(t).referenced_by.clear();
        }
        for fk in fks {
            if let Some(parent) = self.tables.get_mut(&fk.parent) {
                Arc::make_mut(parent).referenced_by.push(fk);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collations_from_names() {
        assert_eq!(
            Collation::from_name("utf8mb4_general_ci"),
            Collation::Insensitive { pad_space: true }
        );
        assert_eq!(
            Collation::from_name("utf8mb4_0900_ai_ci"),
            Collation::Insensitive { pad_space: false }
        );
        assert_eq!(
            Collation::from_name("utf8mb4_bin"),
            Collation::Exact { pad_space: true }
        );
        assert_eq!(
            Collation::from_name("utf8mb4_nopad_bin"),
            Collation::Exact { pad_space: false }
        );
        assert_eq!(Collation::from_name("binary"), Collation::Binary);
    }
}
