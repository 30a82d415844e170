//! Key sets: every key a transaction's row changes touch, built row by row.

use myreplay_binlog::value::Value;
use myreplay_binlog::RowsKind;

use crate::key::{index_scope, normalise, table_scope, Access, KeyHash, Normalised, Part};
use crate::schema::{Collation, IndexPart, Table, TableName};

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

    /// Adds one row change. `table` is `None` when the planner has no key
    /// information for it: the whole table is keyed.
    pub fn add_row(
        &mut self,
        name: &TableName,
        table: Option<&Table>,
        kind: RowsKind,
        before: Option<&[Option<Value>]>,
        after: Option<&[Option<Value>]>,
    ) {
        if !self.tables.contains(name) {
            self.tables.push(name.clone());
        }
        if self.collapsed {
            return self.exclusive_table(name, CoarseReason::HugeTransaction);
        }
        let Some(table) = table else {
            return self.exclusive_table(name, CoarseReason::NoSchema);
        };
        if !table.has_usable_key() {
            return self.exclusive_table(name, CoarseReason::NoKey);
        }
        let tscope = table_scope(name);
        self.set.scopes.push((tscope, Access::Shared));
        let images = [before, after];

        // Unique indexes and the column sets other tables reference.
        let mut column_sets: Vec<(Vec<IndexPart>, KeyHash)> = table
            .unique_indexes()
            .map(|ix| {
                let cols: Vec<usize> = ix.parts.iter().map(|p| p.column).collect();
                (ix.parts.clone(), index_scope(name, &cols))
            })
            .collect();
        for fk in &table.referenced_by {
            let scope = index_scope(name, &fk.parent_columns);
            if !column_sets.iter().any(|(_, s)| *s == scope) {
                let parts = fk
                    .parent_columns
                    .iter()
                    .map(|&column| IndexPart {
                        column,
                        prefix: None,
                    })
                    .collect();
                column_sets.push((parts, scope));
            }
        }
        for (parts, scope) in &column_sets {
            for image in images.into_iter().flatten() {
                let collations = |c: usize| {
                    table
                        .columns
                        .get(c)
                        .map_or(Collation::Unknown, |c| c.collation)
                };
                self.key_index(name, tscope, *scope, parts, collations, kind, image, after);
            }
        }

        // Child side: the parent rows this row points at.
        for fk in &table.foreign_keys {
            let scope = index_scope(&fk.parent, &fk.parent_columns);
            let pscope = table_scope(&fk.parent);
            let parts: Vec<IndexPart> = fk
                .child_columns
                .iter()
                .map(|&column| IndexPart {
                    column,
                    prefix: None,
                })
                .collect();
            for image in images.into_iter().flatten() {
                let collations = |c: usize| {
                    table
                        .columns
                        .get(c)
                        .map_or(Collation::Unknown, |c| c.collation)
                };
                self.key_index(
                    &fk.parent, pscope, scope, &parts, collations, kind, image, after,
                );
            }
        }

        // Parent side: children the target changes itself (not in the binlog).
        let cascades = table.referenced_by.iter().filter(|fk| match kind {
            RowsKind::Write => false,
            RowsKind::Update => fk.on_update.changes_children(),
            RowsKind::Delete => fk.on_delete.changes_children(),
        });
        let children: Vec<TableName> = cascades.map(|fk| fk.child.clone()).collect();
        for child in children {
            self.exclusive_table(&child, CoarseReason::Cascade);
        }
        if self.set.values.len() > self.max_values {
            self.collapse();
        }
    }

    /// Keys one index (or referenced column set) from one image.
    #[allow(clippy::too_many_arguments)]
    fn key_index(
        &mut self,
        table: &TableName,
        tscope: KeyHash,
        scope: KeyHash,
        parts: &[IndexPart],
        collation: impl Fn(usize) -> Collation,
        kind: RowsKind,
        image: &[Option<Value>],
        after: Option<&[Option<Value>]>,
    ) {
        let values: Option<Vec<Part<'_>>> = parts
            .iter()
            .map(|p| {
                image
                    .get(p.column)
                    .and_then(Option::as_ref)
                    .map(|value| Part {
                        value,
                        collation: collation(p.column),
                        prefix: p.prefix,
                    })
            })
            .collect();
        let Some(values) = values else {
            // Columns missing from the image. An UPDATE whose after image has
            // none of them did not change them: the row keeps its values,
            // and its other keys identify it.
            let unchanged = kind == RowsKind::Update
                && after.is_some_and(|a| {
                    parts
                        .iter()
                        .all(|p| a.get(p.column).is_none_or(Option::is_none))
                });
            if !unchanged {
                self.exclusive_table(table, CoarseReason::MissingColumns);
            }
            return;
        };
        match normalise(scope, &values) {
            Normalised::Key(k) => {
                self.set.values.push(k);
                self.set.scopes.push((scope, Access::Shared));
                self.set.scopes.push((tscope, Access::Shared));
            }
            Normalised::Null => {}
            Normalised::Coarse => {
                self.set.scopes.push((scope, Access::Exclusive));
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
