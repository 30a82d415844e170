//! `load_schema` against a private server of every flavour (MariaDB 10.11,
//! MariaDB 11.8, MySQL 9.7; modules `on_FLAVOUR`): every field of the model.

mod support;

use std::sync::Arc;

use myreplay_apply::load_schema;
use myreplay_apply::plan::{
    Collation, FkAction, ForeignKey, Index, IndexPart, Schema, Table, TableName,
};
use support::{Flavour, PrivateMariaDb};

const SETUP: &str = r"
CREATE DATABASE other;
CREATE TABLE other.countries (
    code CHAR(2) COLLATE utf8mb4_bin NOT NULL PRIMARY KEY
) ENGINE=InnoDB;
CREATE TABLE other.unrelated (id INT PRIMARY KEY) ENGINE=InnoDB;

CREATE DATABASE third;
CREATE TABLE third.t (id INT PRIMARY KEY) ENGINE=InnoDB;

CREATE DATABASE shop CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci;
CREATE TABLE shop.items (
    id INT NOT NULL,
    sku VARCHAR(32) COLLATE utf8mb4_general_ci NOT NULL,
    region CHAR(2) COLLATE utf8mb4_bin NOT NULL,
    code VARCHAR(100) COLLATE utf8mb4_bin NOT NULL,
    ext_ref VARBINARY(16) NULL,
    label VARCHAR(20) COLLATE utf8mb4_nopad_bin NULL,
    blob_key BLOB NULL,
    price DECIMAL(10,2) NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY region_sku (region, sku),
    UNIQUE KEY code_prefix (code(10)),
    UNIQUE KEY ext_ref (ext_ref),
    UNIQUE KEY blob_prefix (blob_key(8)),
    KEY price (price),
    CONSTRAINT fk_country FOREIGN KEY (region) REFERENCES other.countries (code)
) ENGINE=InnoDB;

CREATE TABLE shop.customers (
    id INT NOT NULL PRIMARY KEY,
    tenant INT NOT NULL,
    email VARCHAR(64) NOT NULL,
    UNIQUE KEY email_tenant (email, tenant)
) ENGINE=InnoDB;

CREATE TABLE shop.orders (
    id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
    note TEXT,
    customer_tenant INT NULL,
    customer_email VARCHAR(64) NULL,
    item_id INT NOT NULL,
    CONSTRAINT fk_customer FOREIGN KEY (customer_email, customer_tenant)
        REFERENCES customers (email, tenant) ON DELETE CASCADE ON UPDATE SET NULL,
    CONSTRAINT fk_item FOREIGN KEY (item_id) REFERENCES items (id)
        ON DELETE RESTRICT ON UPDATE NO ACTION
) ENGINE=InnoDB;

CREATE TABLE shop.log (at DATETIME NOT NULL, msg TEXT, KEY at (at)) ENGINE=InnoDB;
CREATE TABLE shop.nullable_uk (a INT NULL, b INT NOT NULL, UNIQUE KEY a (a)) ENGINE=InnoDB;
CREATE TABLE shop.not_null_uk (a INT NULL, b INT NOT NULL, UNIQUE KEY b (b)) ENGINE=InnoDB;

CREATE TABLE shop.audited (id INT PRIMARY KEY, v INT) ENGINE=InnoDB;
CREATE TRIGGER shop.audited_bi BEFORE INSERT ON shop.audited
    FOR EACH ROW SET NEW.v = NEW.v + 1;
CREATE TRIGGER shop.audited_bu BEFORE UPDATE ON shop.audited
    FOR EACH ROW SET NEW.v = NEW.v + 1;

CREATE VIEW shop.item_ids AS SELECT id FROM shop.items;
";

/// [`SETUP`] on a server of `f`: MySQL has no `utf8mb4_nopad_bin`; its
/// `utf8mb4_0900_bin` is the same kind of collation (exact, NO PAD).
fn setup(f: Flavour) -> PrivateMariaDb {
    let db = PrivateMariaDb::start_flavour(f, &[]);
    if f.is_mysql() {
        db.exec(&SETUP.replace("utf8mb4_nopad_bin", "utf8mb4_0900_bin"));
    } else {
        db.exec(SETUP);
    }
    db
}

fn name(db: &str, t: &str) -> TableName {
    TableName::new(db, t)
}

fn table<'a>(schema: &'a Schema, db: &str, t: &str) -> &'a Arc<Table> {
    schema
        .table(&name(db, t))
        .unwrap_or_else(|| panic!("{db}.{t} not loaded"))
}

fn part(column: usize) -> IndexPart {
    IndexPart {
        column,
        prefix: None,
    }
}

fn index(name: &str, parts: Vec<IndexPart>) -> Index {
    Index {
        name: name.into(),
        parts,
    }
}

fn sorted_names(schema: &Schema) -> Vec<String> {
    let mut names: Vec<String> = schema
        .tables()
        .map(|t| format!("{}.{}", t.name.schema, t.name.table))
        .collect();
    names.sort();
    names
}

const CI: Collation = Collation::Insensitive { pad_space: true };
const BIN: Collation = Collation::Exact { pad_space: true };
const NOPAD_BIN: Collation = Collation::Exact { pad_space: false };
const BINARY: Collation = Collation::Binary;

fn loads_every_field(f: Flavour) {
    let db = setup(f);
    let mut conn = db.conn();
    let schema = load_schema(&mut conn, &["shop".to_string()]).expect("load_schema");

    // shop, plus the database its foreign keys reference; no view, no other database.
    assert_eq!(
        sorted_names(&schema),
        [
            "other.countries",
            "other.unrelated",
            "shop.audited",
            "shop.customers",
            "shop.items",
            "shop.log",
            "shop.not_null_uk",
            "shop.nullable_uk",
            "shop.orders",
        ]
    );

    // --- items: collations, nullability, PK, unique keys, prefixes.
    let items = table(&schema, "shop", "items");
    let cols: Vec<(&str, Collation, bool)> = items
        .columns
        .iter()
        .map(|c| (c.name.as_str(), c.collation, c.nullable))
        .collect();
    assert_eq!(
        cols,
        [
            ("id", BINARY, false),
            ("sku", CI, false),
            ("region", BIN, false),
            ("code", BIN, false),
            ("ext_ref", BINARY, true),
            ("label", NOPAD_BIN, true),
            ("blob_key", BINARY, true),
            ("price", BINARY, false),
        ]
    );
    assert_eq!(items.primary_key, Some(index("PRIMARY", vec![part(0)])));
    let mut uks = items.unique_keys.clone();
    uks.sort_by(|a, b| a.name.cmp(&b.name));
    assert_eq!(
        uks,
        [
            index(
                "blob_prefix",
                vec![IndexPart {
                    column: 6,
                    prefix: Some(8)
                }]
            ),
            index(
                "code_prefix",
                vec![IndexPart {
                    column: 3,
                    prefix: Some(10)
                }]
            ),
            index("ext_ref", vec![part(4)]),
            // SEQ_IN_INDEX order, not column order.
            index("region_sku", vec![part(2), part(1)]),
        ]
    );
    assert!(items.has_usable_key());
    assert!(!items.has_triggers);
    // No action given: MariaDB reports RESTRICT, MySQL NO ACTION (the same
    // thing in InnoDB: neither cascades).
    let unspecified = if f.is_mysql() {
        FkAction::NoAction
    } else {
        FkAction::Restrict
    };
    let fk_country = ForeignKey {
        name: "fk_country".into(),
        child: name("shop", "items"),
        child_columns: vec![2],
        parent: name("other", "countries"),
        parent_columns: vec![0],
        on_delete: unspecified,
        on_update: unspecified,
    };
    assert_eq!(items.foreign_keys, std::slice::from_ref(&fk_country));

    // --- customers / orders: foreign keys in both directions.
    let fk_customer = ForeignKey {
        name: "fk_customer".into(),
        child: name("shop", "orders"),
        // (customer_email, customer_tenant): the constraint's order.
        child_columns: vec![3, 2],
        parent: name("shop", "customers"),
        parent_columns: vec![2, 1],
        on_delete: FkAction::Cascade,
        on_update: FkAction::SetNull,
    };
    let fk_item = ForeignKey {
        name: "fk_item".into(),
        child: name("shop", "orders"),
        child_columns: vec![4],
        parent: name("shop", "items"),
        parent_columns: vec![0],
        on_delete: FkAction::Restrict,
        on_update: FkAction::NoAction,
    };
    let orders = table(&schema, "shop", "orders");
    let mut fks = orders.foreign_keys.clone();
    fks.sort_by(|a, b| a.name.cmp(&b.name));
    assert_eq!(fks, [fk_customer.clone(), fk_item.clone()]);
    assert!(orders.referenced_by.is_empty());
    assert_eq!(
        orders
            .columns
            .iter()
            .map(|c| (c.collation, c.nullable))
            .collect::<Vec<_>>(),
        [
            (BINARY, false),
            (CI, true),
            (BINARY, true),
            (CI, true),
            (BINARY, false)
        ]
    );
    assert_eq!(orders.primary_key, Some(index("PRIMARY", vec![part(0)])));
    assert!(orders.unique_keys.is_empty());

    let customers = table(&schema, "shop", "customers");
    assert_eq!(customers.referenced_by, [fk_customer]);
    assert!(customers.foreign_keys.is_empty());
    assert_eq!(
        customers.unique_keys,
        [index("email_tenant", vec![part(2), part(1)])]
    );
    assert_eq!(
        customers.cascading_children().collect::<Vec<_>>(),
        [&name("shop", "orders")]
    );
    assert_eq!(items.referenced_by, [fk_item]);
    assert_eq!(items.cascading_children().count(), 0);
    let countries = table(&schema, "other", "countries");
    assert_eq!(countries.referenced_by, [fk_country]);
    assert_eq!(
        countries
            .columns
            .iter()
            .map(|c| c.collation)
            .collect::<Vec<_>>(),
        [BIN]
    );

    // --- no keys: a non-unique index is not a key.
    let log = table(&schema, "shop", "log");
    assert_eq!(log.primary_key, None);
    assert!(log.unique_keys.is_empty());
    assert!(!log.has_usable_key());
    assert_eq!(
        log.columns
            .iter()
            .map(|c| (c.name.as_str(), c.collation, c.nullable))
            .collect::<Vec<_>>(),
        [("at", BINARY, false), ("msg", CI, true)]
    );

    // A unique key over a nullable column is not a row identity; over NOT NULL it is.
    let nullable_uk = table(&schema, "shop", "nullable_uk");
    assert_eq!(nullable_uk.unique_keys, [index("a", vec![part(0)])]);
    assert!(!nullable_uk.has_usable_key());
    let not_null_uk = table(&schema, "shop", "not_null_uk");
    assert_eq!(not_null_uk.unique_keys, [index("b", vec![part(1)])]);
    assert!(not_null_uk.has_usable_key());

    // --- triggers.
    assert!(table(&schema, "shop", "audited").has_triggers);
    for t in schema.tables() {
        assert_eq!(
            t.has_triggers,
            t.name == name("shop", "audited"),
            "{}",
            t.name
        );
    }
}

fn empty_list_means_every_non_system_database(f: Flavour) {
    let db = setup(f);
    let mut conn = db.conn();
    let schema = load_schema(&mut conn, &[]).expect("load_schema");
    let names = sorted_names(&schema);
    assert!(names.contains(&"third.t".to_string()), "{names:?}");
    assert!(names.contains(&"shop.orders".to_string()), "{names:?}");
    assert!(
        names.iter().all(|n| !n.starts_with("mysql.")
            && !n.starts_with("information_schema.")
            && !n.starts_with("performance_schema.")
            && !n.starts_with("sys.")),
        "{names:?}"
    );
    assert_eq!(names.len(), 10, "{names:?}");
    // Same links as with an explicit list.
    assert_eq!(table(&schema, "shop", "customers").referenced_by.len(), 1);
    assert_eq!(table(&schema, "other", "countries").referenced_by.len(), 1);

    // Names are matched exactly, and unknown databases give nothing.
    let none =
        load_schema(&mut conn, &["SHOP".to_string(), "nope".to_string()]).expect("load_schema");
    assert!(none.is_empty(), "{:?}", sorted_names(&none));
}

macro_rules! schema_loader {
    ($module:ident, $flavour:expr) => {
        $crate::flavour_tests!(
            $module,
            $flavour,
            [
                loads_every_field,
                empty_list_means_every_non_system_database,
            ]
        );
    };
}

schema_loader!(on_mariadb_10_11, Flavour::MariaDb);
schema_loader!(on_mariadb_11_8, Flavour::MariaDb118);
schema_loader!(on_mysql_9_7, Flavour::MySql97);
