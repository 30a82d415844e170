//! Key sets for transactions read from binlogs.
//!
//! [`BinlogPlanner`] is fed the items of a [`TransactionStream`](myreplay_binlog::TransactionStream) and returns,
//! at each transaction's end, its key set. Row images are decoded against
//! their table maps; the key information comes from one of two places:
//!
//! - **a schema** (read from a server holding the tables, e.g. the restored
//!   backup): exact primary, unique and foreign keys and collations. After a
//!   DDL, the tables it names (or all, when the statement is not understood)
//!   are keyed at table level until [`BinlogPlanner::set_table`] gives their
//!   new definition.
//! - **offline**: only what TABLE_MAP metadata says: the primary key under
//!   MySQL's `binlog_row_metadata=FULL`, else nothing (table-level keys).
//!   Unique secondary keys and foreign keys are not in the binlog: an offline
//!   plan of tables that have them may be too optimistic; apply never plans
//!   offline.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use myreplay_binlog::{EventData, Item, QueryClass, TableMap, TransactionKind, TransactionSummary};

use crate::ddl::affected_tables;
use crate::keyset::{BarrierCause, CoarseReason, KeySet, KeySetBuilder, TableKeys};
use crate::schema::{Collation, Column, Index, IndexPart, Schema, Table, TableName};

/// A transaction with its keys.
#[derive(Debug, Clone)]
pub struct PlannedTransaction {
    pub summary: TransactionSummary,
    pub keys: KeySet,
    /// Tables keyed at table level in this transaction, and why.
    pub coarse: Vec<(TableName, CoarseReason)>,
}

/// Where key information comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeySource {
    /// Read from a server's information_schema.
    Server,
    /// TABLE_MAP metadata only.
    Offline,
}

/// Turns transactions into key sets.
pub struct BinlogPlanner {
    schema: Schema,
    source: KeySource,
    /// Tables whose definition a DDL changed and nobody re-read.
    stale: HashSet<TableName>,
    all_stale: bool,
    /// Key layouts by table map identity (the reader shares one `TableMap`
    /// between identical TABLE_MAP events). Cleared when the schema changes.
    layouts: HashMap<usize, (Arc<TableMap>, Arc<TableKeys>)>,
    builder: Option<KeySetBuilder>,
    /// Databases the rows are applied under another name (schema lookups
    /// use the target's name).
    renames: Vec<(String, String)>,
    /// TABLE_MAPs of the current transaction, by table id.
    table_maps: HashMap<u64, Arc<TableMap>>,
    max_keys: usize,
    /// Every table keyed at table level so far, with the reasons.
    pub coarse_tables: BTreeMap<TableName, BTreeSet<CoarseReason>>,
}

/// An error planning a transaction (a rows event that does not decode).
#[derive(Debug, thiserror::Error)]
#[error("{at}: {reason}")]
pub struct PlanError {
    pub at: myreplay_binlog::Position,
    pub reason: String,
}

impl BinlogPlanner {
    /// Plans with exact keys from `schema` (read from a server).
    pub fn with_schema(schema: Schema) -> Self {
        Self::new(schema, KeySource::Server)
    }

    /// Plans from TABLE_MAP metadata only.
    pub fn offline() -> Self {
        Self::new(Schema::new(), KeySource::Offline)
    }

    fn new(schema: Schema, source: KeySource) -> Self {
        Self {
            schema,
            source,
            stale: HashSet::new(),
            all_stale: false,
            layouts: HashMap::new(),
            builder: None,
            table_maps: HashMap::new(),
            renames: vec![],
            max_keys: 1 << 20,
            coarse_tables: BTreeMap::new(),
        }
    }

    pub fn source(&self) -> KeySource {
        self.source
    }

    /// Looks tables of database `from` up as database `to` (rewrite-db).
    pub fn set_renames(&mut self, renames: Vec<(String, String)>) {
        self.layouts.clear();
        self.renames = renames;
    }

    /// Value keys beyond which one transaction is keyed by its tables.
    pub fn set_max_keys(&mut self, n: usize) {
        self.max_keys = n;
    }

    /// A table's definition, read again after a DDL.
    pub fn set_table(&mut self, table: Table) {
        self.layouts.clear();
        self.stale.remove(&table.name);
        self.schema.insert(table);
        self.schema.link_foreign_keys();
    }

    /// Marks every table as changed (after a DDL not understood) until set again.
    pub fn all_tables_changed(&mut self) {
        self.layouts.clear();
        self.all_stale = true;
    }

    /// Feeds the next item of a [`TransactionStream`](myreplay_binlog::TransactionStream);
    /// at a transaction's end returns its keys.
    pub fn feed(&mut self, item: &Item) -> Result<Option<PlannedTransaction>, PlanError> {
        match item {
            Item::Bookkeeping(_) => Ok(None),
            Item::Begin(_) => {
                self.builder = Some(KeySetBuilder::new(self.max_keys));
                Ok(None)
            }
            Item::Event(event) => {
                let builder = self.builder.get_or_insert_with(KeySetBuilder::default);
                match &event.data {
                    EventData::Query(q) => match q.class() {
                        QueryClass::Dml => builder.barrier(BarrierCause::Statement),
                        QueryClass::Ddl => {
                            builder.barrier(BarrierCause::Ddl);
                            self.layouts.clear();
                            match affected_tables(&q.sql_lossy(), &q.schema) {
                                Some(tables) => {
                                    let renamed = tables.into_iter().map(|t| {
                                        match self.renames.iter().find(|(f, _)| **f == *t.schema) {
                                            Some((_, to)) => TableName::new(to, &t.table),
                                            None => t,
                                        }
                                    });
                                    self.stale.extend(renamed)
                                }
                                None => self.all_stale = true,
                            }
                        }
                        QueryClass::Xa(_) => builder.barrier(BarrierCause::Xa),
                        _ => {}
                    },
                    EventData::LoadData => builder.barrier(BarrierCause::Statement),
                    EventData::TableMap(map) => {
                        self.table_maps.insert(map.table_id(), map.clone());
                    }
                    EventData::Rows(rows) => {
                        let map =
                            self.table_maps
                                .get(&rows.table_id)
                                .cloned()
                                .ok_or_else(|| PlanError {
                                    at: event.raw.pos.clone(),
                                    reason: format!("no TABLE_MAP for table id {}", rows.table_id),
                                })?;
                        let keys = self.layout(&map);
                        let builder = self.builder.get_or_insert_with(KeySetBuilder::default);
                        if !keys.transactional {
                            builder.barrier(BarrierCause::NonTransactional);
                        }
                        if !keys.needs_rows() {
                            builder.add_table(&keys);
                            return Ok(None);
                        }
                        let decoded =
                            rows.rows_only(&map, &keys.wanted).map_err(|e| PlanError {
                                at: event.raw.pos.clone(),
                                reason: e.to_string(),
                            })?;
                        for images in decoded {
                            let images = images.map_err(|e| PlanError {
                                at: event.raw.pos.clone(),
                                reason: e.to_string(),
                            })?;
                            builder.add_row(
                                &keys,
                                rows.kind,
                                images.before.as_deref(),
                                images.after.as_deref(),
                            );
                        }
                    }
                    _ => {}
                }
                Ok(None)
            }
            Item::End(summary) => {
                self.table_maps.clear();
                let mut builder = self.builder.take().unwrap_or_default();
                if summary.kind == TransactionKind::Xa {
                    builder.barrier(BarrierCause::Xa);
                }
                let (keys, coarse) = builder.finish();
                for (t, r) in &coarse {
                    self.coarse_tables.entry(t.clone()).or_default().insert(*r);
                }
                Ok(Some(PlannedTransaction {
                    summary: (**summary).clone(),
                    keys,
                    coarse,
                }))
            }
        }
    }

    /// The key layout for the table a TABLE_MAP describes.
    fn layout(&mut self, map: &Arc<TableMap>) -> Arc<TableKeys> {
        let id = Arc::as_ptr(map) as usize;
        if let Some((_, keys)) = self.layouts.get(&id) {
            return keys.clone();
        }
        let db = map.database_name();
        let db = self
            .renames
            .iter()
            .find(|(from, _)| *from == db)
            .map_or(db.as_ref(), |(_, to)| to.as_str());
        let name = TableName::new(db, &map.table_name());
        let table = match self.source {
            KeySource::Server if self.all_stale || self.stale.contains(&name) => None,
            // The binlog's table has other columns than the schema's: the
            // schema is not the one these rows were written with.
            KeySource::Server => self
                .schema
                .table(&name)
                .filter(|t| t.columns.len() == map.columns.len())
                .cloned(),
            KeySource::Offline => map
                .primary_key
                .as_ref()
                .map(|pk| Arc::new(derive_table(&name, map, pk))),
        };
        // Whether its changes roll back is known even when its keys are
        // not (a stale table still has its engine).
        let transactional = self.schema.table(&name).is_none_or(|t| t.transactional);
        let mut keys = match table {
            Some(t) => TableKeys::new(&t, &self.schema),
            None => TableKeys::unknown(name),
        };
        keys.transactional &= transactional;
        let keys = Arc::new(keys);
        if self.layouts.len() > 4096 {
            self.layouts.clear();
        }
        self.layouts.insert(id, (map.clone(), keys.clone()));
        keys
    }
}

/// A table from TABLE_MAP metadata: columns (collation unknown unless the
/// column is binary) and the primary key.
fn derive_table(name: &TableName, map: &TableMap, pk: &[(usize, Option<u32>)]) -> Table {
    let columns = map
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| Column {
            name: format!("@{}", i + 1),
            collation: if c.charset == Some(63) {
                Collation::Binary
            } else {
                Collation::Unknown
            },
            nullable: c.nullable,
        })
        .collect();
    let mut t = Table::new(name.clone(), columns);
    t.primary_key = Some(Index {
        name: "PRIMARY".into(),
        parts: pk
            .iter()
            .map(|&(column, prefix)| IndexPart { column, prefix })
            .collect(),
    });
    t
}
