//! Builds the planner's [`Schema`] from the target's information_schema.
//!
//! One query per information_schema table (TABLES, COLUMNS, STATISTICS,
//! KEY_COLUMN_USAGE joined with REFERENTIAL_CONSTRAINTS, TRIGGERS), however
//! many tables there are: a restore target may have thousands.
//!
//! information_schema shows only what the connected user has some privilege
//! on; a user without the TRIGGER privilege on a table does not see its
//! triggers. Load the schema as a user that can see everything it replays
//! into.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use myreplay_plan::{
    Collation, Column, FkAction, ForeignKey, Index, IndexPart, Schema, Table, TableName,
};
use mysql::prelude::{FromValue, Queryable};
use mysql::{Params, Row, Value};

use crate::error::ApplyError;

/// Databases left out when no database is named.
/// Engines whose changes roll back with the transaction.
const TRANSACTIONAL_ENGINES: &[&str] = &["InnoDB", "RocksDB", "TokuDB", "ndbcluster"];

pub const SYSTEM_DATABASES: &[&str] = &["mysql", "information_schema", "performance_schema", "sys"];

/// Reads the tables of `databases` (every non-system database when empty)
/// and links their foreign keys both ways.
///
/// Databases that the loaded tables' foreign keys reference are loaded too
/// (a child's foreign key needs its parent's column positions). Foreign keys
/// whose parent table does not exist (created with FOREIGN_KEY_CHECKS=0) are
/// left out: the target cannot act on them until the parent is created,
/// which is DDL and makes the caller read the schema again.
///
/// Views are not tables and are left out. A UNIQUE index over an expression
/// (MySQL 8 functional index) is an error: its keys cannot be computed from
/// row images, and ignoring it would let conflicting transactions run in
/// parallel.
pub fn load_schema<Q: Queryable>(conn: &mut Q, databases: &[String]) -> Result<Schema, ApplyError> {
    let mut filter = DbFilter::new(databases);

    // Foreign keys first: they may name parent databases that must be loaded too.
    let mut fk_rows = Vec::new();
    let mut pending = filter.clone();
    loop {
        let rows = query_foreign_keys(conn, &pending)?;
        let mut missing = BTreeSet::new();
        if let DbFilter::Only(_) = filter {
            for fk in &rows {
                if !filter.contains(&fk.parent.schema) {
                    missing.insert(fk.parent.schema.to_string());
                }
            }
        }
        fk_rows.extend(rows);
        if missing.is_empty() {
            break;
        }
        filter.add(&missing);
        pending = DbFilter::Only(missing);
    }

    let mut tables = query_tables(conn, &filter)?;
    query_columns(conn, &filter, &mut tables)?;
    query_unique_indexes(conn, &filter, &mut tables)?;
    query_triggers(conn, &filter, &mut tables)?;
    attach_foreign_keys(fk_rows, &mut tables)?;

    let mut schema = Schema::new();
    for (_, t) in tables {
        schema.insert(t);
    }
    schema.link_foreign_keys();
    Ok(schema)
}

/// Which databases to read, as SQL and as a Rust check. information_schema
/// compares names with a case-insensitive collation, so rows are checked
/// again exactly.
#[derive(Clone)]
enum DbFilter {
    NonSystem,
    Only(BTreeSet<String>),
}

impl DbFilter {
    fn new(databases: &[String]) -> Self {
        if databases.is_empty() {
            DbFilter::NonSystem
        } else {
            DbFilter::Only(databases.iter().cloned().collect())
        }
    }

    fn add(&mut self, more: &BTreeSet<String>) {
        if let DbFilter::Only(set) = self {
            set.extend(more.iter().cloned());
        }
    }

    fn contains(&self, db: &str) -> bool {
        match self {
            DbFilter::NonSystem => !SYSTEM_DATABASES.iter().any(|s| s.eq_ignore_ascii_case(db)),
            DbFilter::Only(set) => set.contains(db),
        }
    }

    /// `column IN (?, ...)` or `column NOT IN (system databases)`, and its parameters.
    fn sql(&self, column: &str) -> (String, Vec<Value>) {
        let (op, names): (&str, Vec<&str>) = match self {
            DbFilter::NonSystem => ("NOT IN", SYSTEM_DATABASES.to_vec()),
            DbFilter::Only(set) => ("IN", set.iter().map(String::as_str).collect()),
        };
        let marks = vec!["?"; names.len()].join(", ");
        (
            format!("{column} {op} ({marks})"),
            names.into_iter().map(Value::from).collect(),
        )
    }
}

/// Runs `sql` with `WHERE_DB` replaced by the filter on `db_column`.
fn select<Q: Queryable>(
    conn: &mut Q,
    what: &str,
    sql: &str,
    db_column: &str,
    filter: &DbFilter,
) -> Result<Vec<Row>, ApplyError> {
    let (cond, params) = filter.sql(db_column);
    let sql = sql.replace("WHERE_DB", &cond);
    let params = if params.is_empty() {
        Params::Empty
    } else {
        Params::Positional(params)
    };
    conn.exec(sql, params)
        .map_err(ApplyError::query(format!("reading {what}")))
}

/// Column `idx` of `row`, converted.
fn get<T: FromValue>(row: &Row, idx: usize, what: &str) -> Result<T, ApplyError> {
    let value = row
        .as_ref(idx)
        .cloned()
        .ok_or_else(|| ApplyError::Unexpected {
            doing: format!("reading {what}"),
            reason: format!("the result has no column {idx}"),
        })?;
    mysql::from_value_opt::<T>(value).map_err(|e| ApplyError::Unexpected {
        doing: format!("reading {what}"),
        reason: format!("column {idx}: {e}"),
    })
}

fn query_tables<Q: Queryable>(
    conn: &mut Q,
    filter: &DbFilter,
) -> Result<BTreeMap<TableName, Table>, ApplyError> {
    const WHAT: &str = "information_schema.TABLES";
    let rows = select(
        conn,
        WHAT,
        "SELECT TABLE_SCHEMA, TABLE_NAME, IFNULL(ENGINE, '') FROM information_schema.TABLES \
         WHERE WHERE_DB AND TABLE_TYPE <> 'VIEW'",
        "TABLE_SCHEMA",
        filter,
    )?;
    let mut tables = BTreeMap::new();
    for row in rows {
        let db: String = get(&row, 0, WHAT)?;
        if !filter.contains(&db) {
            continue;
        }
        let name = TableName::new(&db, &get::<String>(&row, 1, WHAT)?);
        let mut table = Table::new(name.clone(), vec![]);
        let engine: String = get(&row, 2, WHAT)?;
        table.transactional = TRANSACTIONAL_ENGINES
            .iter()
            .any(|e| e.eq_ignore_ascii_case(&engine));
        tables.insert(name, table);
    }
    Ok(tables)
}

fn query_columns<Q: Queryable>(
    conn: &mut Q,
    filter: &DbFilter,
    tables: &mut BTreeMap<TableName, Table>,
) -> Result<(), ApplyError> {
    const WHAT: &str = "information_schema.COLUMNS";
    let rows = select(
        conn,
        WHAT,
        "SELECT TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION, COLUMN_NAME, COLLATION_NAME, IS_NULLABLE \
         FROM information_schema.COLUMNS WHERE WHERE_DB",
        "TABLE_SCHEMA",
        filter,
    )?;
    let mut columns: HashMap<TableName, Vec<(u64, Column)>> = HashMap::new();
    for row in rows {
        let name = TableName::new(
            &get::<String>(&row, 0, WHAT)?,
            &get::<String>(&row, 1, WHAT)?,
        );
        if !tables.contains_key(&name) {
            continue; // a view, or a table created since the TABLES query
        }
        let position: u64 = get(&row, 2, WHAT)?;
        let collation = match get::<Option<String>>(&row, 4, WHAT)? {
            Some(c) => Collation::from_name(&c),
            None => Collation::Binary,
        };
        let nullable: String = get(&row, 5, WHAT)?;
        columns.entry(name).or_default().push((
            position,
            Column {
                name: get(&row, 3, WHAT)?,
                collation,
                nullable: nullable.eq_ignore_ascii_case("YES"),
            },
        ));
    }
    for (name, mut cols) in columns {
        cols.sort_by_key(|(pos, _)| *pos);
        if let Some(i) = cols
            .iter()
            .enumerate()
            .position(|(i, (pos, _))| *pos != i as u64 + 1)
        {
            return Err(ApplyError::Unexpected {
                doing: format!("reading {WHAT}"),
                reason: format!(
                    "{name}: column positions are not 1..{} (position {} found where {} was expected)",
                    cols.len(),
                    cols[i].0,
                    i + 1
                ),
            });
        }
        if let Some(t) = tables.get_mut(&name) {
            t.columns = cols.into_iter().map(|(_, c)| c).collect();
        }
    }
    Ok(())
}

/// Position (0-based) of the column called `name`: exact match first, then
/// case-insensitively (column names are case-insensitive in MySQL).
fn column_position(table: &Table, name: &str) -> Option<usize> {
    table
        .columns
        .iter()
        .position(|c| c.name == name)
        .or_else(|| {
            let lower = name.to_lowercase();
            table
                .columns
                .iter()
                .position(|c| c.name.to_lowercase() == lower)
        })
}

fn query_unique_indexes<Q: Queryable>(
    conn: &mut Q,
    filter: &DbFilter,
    tables: &mut BTreeMap<TableName, Table>,
) -> Result<(), ApplyError> {
    const WHAT: &str = "information_schema.STATISTICS";
    let rows = select(
        conn,
        WHAT,
        "SELECT TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX, COLUMN_NAME, SUB_PART \
         FROM information_schema.STATISTICS WHERE WHERE_DB AND NON_UNIQUE = 0",
        "TABLE_SCHEMA",
        filter,
    )?;
    // table -> index name -> (seq, part)
    let mut indexes: BTreeMap<TableName, BTreeMap<String, Vec<(u64, IndexPart)>>> = BTreeMap::new();
    for row in rows {
        let name = TableName::new(
            &get::<String>(&row, 0, WHAT)?,
            &get::<String>(&row, 1, WHAT)?,
        );
        let Some(table) = tables.get(&name) else {
            continue;
        };
        let index: String = get(&row, 2, WHAT)?;
        let seq: u64 = get(&row, 3, WHAT)?;
        let Some(column) = get::<Option<String>>(&row, 4, WHAT)? else {
            return Err(ApplyError::Unsupported(format!(
                "{name}: UNIQUE index `{index}` is over an expression; myreplay cannot compute its keys \
                 from row images (drop the index on the target, or make it a unique key over a \
                 stored generated column)"
            )));
        };
        let position = column_position(table, &column).ok_or_else(|| ApplyError::Unexpected {
            doing: format!("reading {WHAT}"),
            reason: format!(
                "{name}: index `{index}` names column `{column}`, which the table does not have"
            ),
        })?;
        let prefix =
            get::<Option<u64>>(&row, 5, WHAT)?.map(|p| u32::try_from(p).unwrap_or(u32::MAX));
        indexes
            .entry(name)
            .or_default()
            .entry(index)
            .or_default()
            .push((
                seq,
                IndexPart {
                    column: position,
                    prefix,
                },
            ));
    }
    for (name, by_index) in indexes {
        let Some(table) = tables.get_mut(&name) else {
            continue;
        };
        for (index, mut parts) in by_index {
            parts.sort_by_key(|(seq, _)| *seq);
            let index = Index {
                name: index,
                parts: parts.into_iter().map(|(_, p)| p).collect(),
            };
            if index.name == "PRIMARY" {
                table.primary_key = Some(index);
            } else {
                table.unique_keys.push(index);
            }
        }
    }
    Ok(())
}

/// One foreign key as information_schema gives it, columns by name.
struct FkRow {
    name: String,
    child: TableName,
    parent: TableName,
    /// (ordinal, child column, parent column)
    columns: Vec<(u64, String, String)>,
    on_delete: FkAction,
    on_update: FkAction,
}

fn query_foreign_keys<Q: Queryable>(
    conn: &mut Q,
    filter: &DbFilter,
) -> Result<Vec<FkRow>, ApplyError> {
    const WHAT: &str = "information_schema.KEY_COLUMN_USAGE and REFERENTIAL_CONSTRAINTS";
    let rows = select(
        conn,
        WHAT,
        "SELECT k.TABLE_SCHEMA, k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION, k.COLUMN_NAME, \
                k.REFERENCED_TABLE_SCHEMA, k.REFERENCED_TABLE_NAME, k.REFERENCED_COLUMN_NAME, \
                r.DELETE_RULE, r.UPDATE_RULE \
         FROM information_schema.KEY_COLUMN_USAGE k \
         JOIN information_schema.REFERENTIAL_CONSTRAINTS r \
           ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA \
          AND r.TABLE_NAME = k.TABLE_NAME \
          AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME \
         WHERE WHERE_DB AND k.REFERENCED_TABLE_NAME IS NOT NULL",
        "k.TABLE_SCHEMA",
        filter,
    )?;
    let mut fks: BTreeMap<(TableName, String), FkRow> = BTreeMap::new();
    for row in rows {
        let db: String = get(&row, 0, WHAT)?;
        if !filter.contains(&db) {
            continue;
        }
        let child = TableName::new(&db, &get::<String>(&row, 1, WHAT)?);
        let name: String = get(&row, 2, WHAT)?;
        let column = (
            get::<u64>(&row, 3, WHAT)?,
            get::<String>(&row, 4, WHAT)?,
            get::<String>(&row, 7, WHAT)?,
        );
        let parent = TableName::new(
            &get::<String>(&row, 5, WHAT)?,
            &get::<String>(&row, 6, WHAT)?,
        );
        let on_delete = FkAction::from_rule(&get::<String>(&row, 8, WHAT)?);
        let on_update = FkAction::from_rule(&get::<String>(&row, 9, WHAT)?);
        fks.entry((child.clone(), name.clone()))
            .or_insert_with(|| FkRow {
                name,
                child,
                parent,
                columns: vec![],
                on_delete,
                on_update,
            })
            .columns
            .push(column);
    }
    Ok(fks.into_values().collect())
}

fn attach_foreign_keys(
    fks: Vec<FkRow>,
    tables: &mut BTreeMap<TableName, Table>,
) -> Result<(), ApplyError> {
    const WHAT: &str = "information_schema.KEY_COLUMN_USAGE";
    for mut fk in fks {
        let Some(parent) = tables.get(&fk.parent) else {
            continue; // dangling: see load_schema
        };
        let Some(child) = tables.get(&fk.child) else {
            continue;
        };
        fk.columns.sort_by_key(|(ord, _, _)| *ord);
        let mut child_columns = Vec::with_capacity(fk.columns.len());
        let mut parent_columns = Vec::with_capacity(fk.columns.len());
        for (_, c, p) in &fk.columns {
            let missing = |table: &TableName, col: &str| ApplyError::Unexpected {
                doing: format!("reading {WHAT}"),
                reason: format!(
                    "foreign key `{}` of {}: {table} has no column `{col}`",
                    fk.name, fk.child
                ),
            };
            child_columns.push(column_position(child, c).ok_or_else(|| missing(&fk.child, c))?);
            parent_columns.push(column_position(parent, p).ok_or_else(|| missing(&fk.parent, p))?);
        }
        let key = ForeignKey {
            name: fk.name,
            child: fk.child.clone(),
            child_columns,
            parent: fk.parent,
            parent_columns,
            on_delete: fk.on_delete,
            on_update: fk.on_update,
        };
        if let Some(child) = tables.get_mut(&fk.child) {
            child.foreign_keys.push(key);
        }
    }
    Ok(())
}

fn query_triggers<Q: Queryable>(
    conn: &mut Q,
    filter: &DbFilter,
    tables: &mut BTreeMap<TableName, Table>,
) -> Result<(), ApplyError> {
    const WHAT: &str = "information_schema.TRIGGERS";
    let rows = select(
        conn,
        WHAT,
        "SELECT DISTINCT EVENT_OBJECT_SCHEMA, EVENT_OBJECT_TABLE FROM information_schema.TRIGGERS \
         WHERE WHERE_DB",
        "EVENT_OBJECT_SCHEMA",
        filter,
    )?;
    for row in rows {
        let name = TableName::new(
            &get::<String>(&row, 0, WHAT)?,
            &get::<String>(&row, 1, WHAT)?,
        );
        if let Some(t) = tables.get_mut(&name) {
            t.has_triggers = true;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_sql() {
        let (sql, params) = DbFilter::new(&[]).sql("TABLE_SCHEMA");
        assert_eq!(sql, "TABLE_SCHEMA NOT IN (?, ?, ?, ?)");
        assert_eq!(params.len(), 4);
        let f = DbFilter::new(&["a".into(), "b".into()]);
        assert_eq!(f.sql("k.TABLE_SCHEMA").0, "k.TABLE_SCHEMA IN (?, ?)");
        assert!(f.contains("a"));
        assert!(!f.contains("A"));
        assert!(!DbFilter::NonSystem.contains("MySQL"));
        assert!(DbFilter::NonSystem.contains("shop"));
    }
}
