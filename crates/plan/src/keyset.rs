//! Key sets: every key a transaction's row changes touch, built row by row.

use myreplay_binlog::value::Value;
use myreplay_binlog::RowsKind;

use crate::key::{index_scope, normalise, table_scope, Access, KeyHash, Normalised, Part};
use crate::schema::{Collation, IndexPart, Schema, Table, TableName};

/// Why a transaction is a barrier: it runs alone, after everything before it
/// and before everything after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BarrierCause {
    /// Statement-format DML: its rows are not known before it runs.
    Statement,
    /// DDL (or another statement with an implicit commit).
    Ddl,
    /// An XA transaction or XA COMMIT / ROLLBACK.
    Xa,
    /// Rows of a table whose changes do not roll back (MEMORY, MyISAM,
    /// Aria): applied in a unit of its own, so a failure elsewhere cannot
    /// leave its rows behind with its checkpoint row rolled back.
    NonTransactional,
    /// Something the planner does not understand.
    Unknown,
}

/// The keys of one transaction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeySet {
    /// Value keys (always exclusive).
    pub values: Vec<KeyHash>,
    /// Scope keys (tables, indexes) and how they are held.
    pub scopes: Vec<(KeyHash, Access)>,
    /// Set for a transaction that must run alone.
    pub barrier: Option<BarrierCause>,
}

impl KeySet {
    /// A barrier.
    pub fn barrier(cause: BarrierCause) -> Self {
        Self {
            barrier: Some(cause),
            ..Self::default()
        }
    }

    /// Sorts and removes duplicates; a scope held both ways is exclusive.
    pub fn normalise(&mut self) {
        self.values.sort_unstable();
        self.values.dedup();
        // Exclusive sorts after Shared: keep the last entry per scope.
        self.scopes.sort_unstable();
        self.scopes.dedup_by(|later, earlier| {
            if later.0 == earlier.0 {
                earlier.1 = earlier.1.max(later.1);
                true
            } else {
                false
            }
        });
    }

    /// Whether two key sets conflict (the test oracle for the scheduler).
    pub fn conflicts(&self, other: &KeySet) -> bool {
        if self.barrier.is_some() || other.barrier.is_some() {
            return true;
        }
        if self.values.iter().any(|v| other.values.contains(v)) {
            return true;
        }
        self.scopes.iter().any(|(s, a)| {
            other
                .scopes
                .iter()
                .any(|(t, b)| s == t && (*a == Access::Exclusive || *b == Access::Exclusive))
        })
    }
}

/// Why a table was keyed at table level (for the plan report).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CoarseReason {
    /// No key information for the table (offline without metadata, or after a DDL).
    NoSchema,
    /// No primary key and no NOT NULL unique key.
    NoKey,
    /// A row image lacks columns of a key (MINIMAL / NOBLOB images).
    MissingColumns,
    /// A parent whose foreign keys cascade to this (child) table.
    Cascade,
    /// Too many keys in one transaction: collapsed to its tables.
    HugeTransaction,
}

/// Columns whose values make one key, how they compare, and their scope.
#[derive(Debug, Clone)]
pub struct KeyCols {
    pub parts: Vec<IndexPart>,
    pub collations: Vec<Collation>,
    pub scope: KeyHash,
}

/// What keys a table's rows get, computed once per table definition.
#[derive(Debug, Clone)]
pub struct TableKeys {
    pub name: TableName,
    tscope: KeyHash,
    /// Key information is known (a schema, or TABLE_MAP metadata).
    known: bool,
    usable: bool,
    /// Unique indexes and the column sets child tables reference.
    indexes: Vec<KeyCols>,
    /// Child side: (parent, parent's table scope, the parent's key columns in this row).
    parents: Vec<(TableName, KeyHash, KeyCols)>,
    cascade_on_update: Vec<TableName>,
    cascade_on_delete: Vec<TableName>,
    /// Columns any key reads, by position: the only ones worth decoding.
    pub wanted: Vec<bool>,
    /// The table's changes roll back (see [`Table::transactional`]).
    pub transactional: bool,
}

impl TableKeys {
    /// A table the planner knows nothing about: keyed at table level.
    pub fn unknown(name: TableName) -> Self {
        Self {
            tscope: table_scope(&name),
            name,
            known: false,
            usable: false,
            indexes: vec![],
            parents: vec![],
            cascade_on_update: vec![],
            cascade_on_delete: vec![],
            wanted: vec![],
            transactional: true,
        }
    }

    /// The key layout of `table`; `schema` gives the tables its cascades
    /// reach beyond its direct children.
    pub fn new(table: &Table, schema: &Schema) -> Self {
        let name = table.name.clone();
        let collation = |c: usize| {
            table
                .columns
                .get(c)
                .map_or(Collation::Unknown, |c| c.collation)
        };
        let key_cols = |parts: Vec<IndexPart>, scope: KeyHash| KeyCols {
            collations: parts.iter().map(|p| collation(p.column)).collect(),
            parts,
            scope,
        };
        let mut indexes: Vec<KeyCols> = table
            .unique_indexes()
            .map(|ix| {
                let cols: Vec<usize> = ix.parts.iter().map(|p| p.column).collect();
                key_cols(ix.parts.clone(), index_scope(&name, &cols))
            })
            .collect();
        for fk in &table.referenced_by {
            let scope = index_scope(&name, &fk.parent_columns);
            if !indexes.iter().any(|k| k.scope == scope) {
                let parts = fk
                    .parent_columns
                    .iter()
                    .map(|&column| IndexPart {
                        column,
                        prefix: None,
                    })
                    .collect();
                indexes.push(key_cols(parts, scope));
            }
        }
        let parents = table
            .foreign_keys
            .iter()
            .map(|fk| {
                let parts = fk
                    .child_columns
                    .iter()
                    .map(|&column| IndexPart {
                        column,
                        prefix: None,
                    })
                    .collect();
                (
                    fk.parent.clone(),
                    table_scope(&fk.parent),
                    key_cols(parts, index_scope(&fk.parent, &fk.parent_columns)),
                )
            })
            .collect::<Vec<_>>();
        let mut wanted = vec![false; table.columns.len()];
        for cols in indexes.iter().chain(parents.iter().map(|p| &p.2)) {
            for p in &cols.parts {
                if let Some(w) = wanted.get_mut(p.column) {
                    *w = true;
                }
            }
        }
        // Children the target changes itself, and, transitively, the tables
        // their own cascades reach (a cascaded DELETE or SET NULL on a child
        // is a change of that child, which cascades in turn).
        let children = |f: fn(&crate::schema::ForeignKey) -> bool| {
            let mut reached: Vec<TableName> = table
                .referenced_by
                .iter()
                .filter(|fk| f(fk))
                .map(|fk| fk.child.clone())
                .collect();
            let mut i = 0;
            while i < reached.len() {
                if let Some(child) = schema.table(&reached[i]) {
                    for fk in child.referenced_by.iter().filter(|fk| fk.cascades()) {
                        if !reached.contains(&fk.child) {
                            reached.push(fk.child.clone());
                        }
                    }
                }
                i += 1;
            }
            reached.sort();
            reached.dedup();
            reached
        };
        Self {
            tscope: table_scope(&name),
            known: true,
            usable: table.has_usable_key(),
            cascade_on_update: children(|fk| fk.on_update.changes_children()),
            cascade_on_delete: children(|fk| fk.on_delete.changes_children()),
            name,
            indexes,
            parents,
            wanted,
            transactional: table.transactional,
        }
    }

    /// Whether rows must be decoded to key this table's changes.
    pub fn needs_rows(&self) -> bool {
        self.known
            && (self.usable
                || !self.parents.is_empty()
                || !self.cascade_on_update.is_empty()
                || !self.cascade_on_delete.is_empty())
    }
}

/// Builds a transaction's key set from its row changes.
#[derive(Debug)]
pub struct KeySetBuilder {
    set: KeySet,
    tables: Vec<TableName>,
    /// Tables keyed at table level, and why.
    pub coarse: Vec<(TableName, CoarseReason)>,
    max_values: usize,
    collapsed: bool,
}

impl Default for KeySetBuilder {
    fn default() -> Self {
        Self::new(1 << 20)
    }
}

impl KeySetBuilder {
    /// A builder that collapses to table keys beyond `max_values` value keys.
    pub fn new(max_values: usize) -> Self {
        Self {
            set: KeySet::default(),
            tables: vec![],
            coarse: vec![],
            max_values,
            collapsed: false,
        }
    }

    /// Marks the transaction a barrier.
    pub fn barrier(&mut self, cause: BarrierCause) {
        self.set.barrier = Some(self.set.barrier.map_or(cause, |c| c.max(cause)));
    }

    /// Keys a table at table level without looking at its rows (no key
    /// information, or no usable key).
    pub fn add_table(&mut self, keys: &TableKeys) {
        self.touch(keys);
        let reason = if keys.known {
            CoarseReason::NoKey
        } else {
            CoarseReason::NoSchema
        };
        self.exclusive_table(&keys.name, reason);
    }

    /// Adds one row change of the table `keys` describes. Images hold, by
    /// column position, `Some(value)` for the columns present, `None` for
    /// columns absent from the image (only key columns are read).
    pub fn add_row(
        &mut self,
        keys: &TableKeys,
        kind: RowsKind,
        before: Option<&[Option<Value>]>,
        after: Option<&[Option<Value>]>,
    ) {
        if !keys.known {
            return self.add_table(keys);
        }
        self.touch(keys);
        if self.collapsed {
            self.exclusive_table(&keys.name, CoarseReason::HugeTransaction);
        } else if !keys.usable {
            self.exclusive_table(&keys.name, CoarseReason::NoKey);
        } else {
            self.set.scopes.push((keys.tscope, Access::Shared));
            for cols in &keys.indexes {
                for image in [before, after].into_iter().flatten() {
                    self.key_cols(&keys.name, keys.tscope, cols, kind, image, after);
                }
            }
        }
        // The parent rows this row points at (also for a key-less child).
        for (parent, pscope, cols) in &keys.parents {
            // A collapse makes every touched table exclusive: parents included.
            self.touch_name(parent);
            if self.collapsed {
                self.exclusive_table(parent, CoarseReason::HugeTransaction);
                continue;
            }
            for image in [before, after].into_iter().flatten() {
                self.key_cols(parent, *pscope, cols, kind, image, after);
            }
        }
        let children = match kind {
            RowsKind::Write => &[][..],
            RowsKind::Update => &keys.cascade_on_update[..],
            RowsKind::Delete => &keys.cascade_on_delete[..],
        };
        for child in children {
            self.exclusive_table(child, CoarseReason::Cascade);
        }
        if self.set.values.len() > self.max_values {
            self.collapse();
        }
    }

    fn touch(&mut self, keys: &TableKeys) {
        self.touch_name(&keys.name);
    }

    fn touch_name(&mut self, name: &TableName) {
        if !self.tables.contains(name) {
            self.tables.push(name.clone());
        }
    }

    /// Keys one index (or referenced column set) from one image.
    fn key_cols(
        &mut self,
        table: &TableName,
        tscope: KeyHash,
        cols: &KeyCols,
        kind: RowsKind,
        image: &[Option<Value>],
        after: Option<&[Option<Value>]>,
    ) {
        let mut values: Vec<Part<'_>> = Vec::with_capacity(cols.parts.len());
        for (p, &collation) in cols.parts.iter().zip(&cols.collations) {
            match image.get(p.column).and_then(Option::as_ref) {
                Some(value) => values.push(Part {
                    value,
                    collation,
                    prefix: p.prefix,
                }),
                None => {
                    // Columns missing from the image. An UPDATE whose after
                    // image has none of them did not change them: the row
                    // keeps its values, and its other keys identify it.
                    let unchanged = kind == RowsKind::Update
                        && after.is_some_and(|a| {
                            cols.parts
                                .iter()
                                .all(|p| a.get(p.column).is_none_or(Option::is_none))
                        });
                    if !unchanged {
                        self.exclusive_table(table, CoarseReason::MissingColumns);
                    }
                    return;
                }
            }
        }
        match normalise(cols.scope, &values) {
            Normalised::Key(k) => {
                self.set.values.push(k);
                self.set.scopes.push((cols.scope, Access::Shared));
                self.set.scopes.push((tscope, Access::Shared));
            }
            Normalised::Null => {}
            Normalised::Coarse => {
                self.set.scopes.push((cols.scope, Access::Exclusive));
                self.set.scopes.push((tscope, Access::Shared));
            }
        }
    }

    fn exclusive_table(&mut self, table: &TableName, reason: CoarseReason) {
        self.set
            .scopes
            .push((table_scope(table), Access::Exclusive));
        if !self.coarse.iter().any(|(t, r)| t == table && *r == reason) {
            self.coarse.push((table.clone(), reason));
        }
    }

    /// Replaces value keys by exclusive keys on every table touched.
    fn collapse(&mut self) {
        self.set.values.clear();
        let tables = std::mem::take(&mut self.tables);
        for t in &tables {
            self.exclusive_table(t, CoarseReason::HugeTransaction);
        }
        self.tables = tables;
        self.set.scopes.retain(|(_, a)| *a == Access::Exclusive);
        self.collapsed = true;
    }

    /// The tables touched so far.
    pub fn tables(&self) -> &[TableName] {
        &self.tables
    }

    /// The finished key set.
    pub fn finish(mut self) -> (KeySet, Vec<(TableName, CoarseReason)>) {
        self.set.normalise();
        (self.set, self.coarse)
    }
}
