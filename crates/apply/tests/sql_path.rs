//! The SQL apply path (`ApplyPath::Sql`) end to end: a private source
//! MariaDB with every column type, awkward identifiers, key-less tables,
//! MINIMAL / NOBLOB images, cascades, generated columns, statement-format
//! DML and DDL mid-stream; physical snapshots as targets; replay with
//! generated SQL on 1 and 2 workers; every table must equal the source's
//! (CHECKSUM TABLE, row count, definition). And a table with a trigger is
//! refused with nothing of the unit committed.

mod support;

use std::sync::atomic::AtomicBool;

use myreplay_apply::{ApplyPath, Replay, ReplayError};
use mysql::prelude::Queryable;
use support::{assert_same_tables, Flavour, PrivateMariaDb};

/// Every byte value, as hex.
fn all_bytes() -> String {
    (0..=255u8).map(|b| format!("{b:02X}")).collect()
}

/// The database and table names: backticks, quotes, unicode.
const DB: &str = "`sq``l 'é' 日本`";

/// The MariaDB schema (10.11 and 11.8): every MariaDB column type.
fn schema() -> String {
    format!(
        "
CREATE DATABASE {DB};
USE {DB};
CREATE TABLE all_types (
  id INT NOT NULL PRIMARY KEY,
  ti TINYINT, tiu TINYINT UNSIGNED, si SMALLINT, siu SMALLINT UNSIGNED,
  mi MEDIUMINT, miu MEDIUMINT UNSIGNED, i INT, iu INT UNSIGNED,
  bi BIGINT, biu BIGINT UNSIGNED,
  d1 DECIMAL(1,0), d5_2 DECIMAL(5,2), d10_4 DECIMAL(10,4), d18_9 DECIMAL(18,9),
  d30_10 DECIMAL(30,10), d65_30 DECIMAL(65,30), du DECIMAL(10,2) UNSIGNED,
  f FLOAT, dbl DOUBLE, f72 FLOAT(7,2),
  b1 BIT(1), b17 BIT(17), b64 BIT(64),
  e ENUM('a','b','c','été'), s SET('x','y','z','ü'),
  dt DATE, t0 TIME, t6 TIME(6), dt0 DATETIME, dt3 DATETIME(3), dt6 DATETIME(6),
  ts0 TIMESTAMP NULL DEFAULT NULL, ts6 TIMESTAMP(6) NULL DEFAULT NULL, y YEAR,
  c_u CHAR(10) CHARACTER SET utf8mb4, vc_u VARCHAR(100) CHARACTER SET utf8mb4,
  tx_u TEXT CHARACTER SET utf8mb4, lt_u LONGTEXT CHARACTER SET utf8mb4,
  c_l CHAR(10) CHARACTER SET latin1, vc_l VARCHAR(300) CHARACTER SET latin1,
  tx_l TEXT CHARACTER SET latin1,
  bin BINARY(4), vbin VARBINARY(300), tblb TINYBLOB, blb BLOB, mblb MEDIUMBLOB,
  j JSON, ip INET6, u UUID,
  g GEOMETRY, pt POINT, poly POLYGON
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
{}",
        common_tables("PERSISTENT")
    )
}

/// The tables every flavour's schema has besides `all_types` (run under
/// `USE DB`); `stored` is the flavour's word for a stored generated column.
fn common_tables(stored: &str) -> String {
    format!(
        "
CREATE TABLE `we``ird \"q\" 'x' ü` (`k``1` VARCHAR(20) COLLATE utf8mb4_general_ci NOT NULL, `v 2` INT, `ñ` TEXT, PRIMARY KEY (`k``1`)) ENGINE=InnoDB;
CREATE TABLE keyless (a INT, s VARCHAR(20) COLLATE utf8mb4_general_ci, f FLOAT, b BLOB) ENGINE=InnoDB;
CREATE TABLE uniq (a INT NOT NULL, b VARCHAR(10) NOT NULL, c INT, UNIQUE KEY (a, b)) ENGINE=InnoDB;
CREATE TABLE ai (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(10)) ENGINE=InnoDB;
CREATE TABLE parent (id INT PRIMARY KEY, v INT) ENGINE=InnoDB;
CREATE TABLE child (id INT PRIMARY KEY, p INT, FOREIGN KEY (p) REFERENCES parent(id) ON DELETE CASCADE ON UPDATE CASCADE) ENGINE=InnoDB;
CREATE TABLE gen (id INT PRIMARY KEY, a INT, v INT AS (a * 2) VIRTUAL, s INT AS (a + 1) {stored}, big LONGBLOB) ENGINE=InnoDB;
CREATE TABLE upd_trigger (id INT PRIMARY KEY, v INT) ENGINE=InnoDB;
CREATE TABLE upd_log (n INT) ENGINE=InnoDB;
CREATE TRIGGER on_upd AFTER UPDATE ON upd_trigger FOR EACH ROW INSERT INTO upd_log VALUES (NEW.v);
CREATE TABLE stmt_log (id INT AUTO_INCREMENT PRIMARY KEY, at DATETIME, ts TIMESTAMP NULL) ENGINE=InnoDB;
"
    )
}

fn all_types_rows() -> Vec<String> {
    let ab = all_bytes();
    let ab2 = &ab[2..];
    vec![
        // 1: minimum / most negative values
        format!("INSERT INTO all_types VALUES (1,
  -128, 0, -32768, 0, -8388608, 0, -2147483648, 0, -9223372036854775808, 0,
  -9, -999.99, -123456.7890, -123456789.123456789,
  -12345678901234567890.1234567890,
  -12345678901234567890123456789012345.123456789012345678901234567890, 0.00,
  -3.402823e38, -1.7976931348623157e308, -99999.99,
  b'0', b'0', 0,
  'a', '',
  '1000-01-01', '-838:59:59', '-838:59:59.999999', '1000-01-01 00:00:00',
  '1000-01-01 00:00:00.001', '1000-01-01 00:00:00.000001',
  '1970-01-01 00:00:01', '1970-01-01 00:00:01.000001', 1901,
  '', '', '', '', '', '', '',
  0x00000000, '', '', '', '',
  '[]', '::', '00000000-0000-0000-0000-000000000000',
  ST_GeomFromText('POINT(0 0)'), ST_GeomFromText('POINT(-180 -90)'),
  ST_GeomFromText('POLYGON((0 0,1 0,1 1,0 0))'))"),
        // 2: maximum values, long strings, every byte value
        format!("INSERT INTO all_types VALUES (2,
  127, 255, 32767, 65535, 8388607, 16777215, 2147483647, 4294967295,
  9223372036854775807, 18446744073709551615,
  9, 999.99, 999999.9999, 999999999.999999999,
  99999999999999999999.9999999999,
  99999999999999999999999999999999999.999999999999999999999999999999, 99999999.99,
  3.402823e38, 1.7976931348623157e308, 99999.99,
  b'1', b'11111111111111111', 0xFFFFFFFFFFFFFFFF,
  'été', 'x,y,z,ü',
  '9999-12-31', '838:59:59', '838:59:59.999999', '9999-12-31 23:59:59',
  '9999-12-31 23:59:59.999', '9999-12-31 23:59:59.999999',
  '2038-01-19 03:14:07', '2038-01-19 03:14:07.999999', 2155,
  REPEAT('é', 10), REPEAT('🐬', 100), REPEAT('日本語', 300), REPEAT('𝄞', 1000),
  REPEAT('ÿ', 10), REPEAT('é', 300), REPEAT('Ça va, élève ', 100),
  0xFFFFFFFF, UNHEX('{ab}'), UNHEX(SUBSTRING('{ab}', 3)), UNHEX(REPEAT('{ab}', 64)),
  UNHEX(REPEAT('{ab2}', 300)),
  JSON_OBJECT('k', REPEAT('v', 500), 'n', 1.5e300, 'arr', JSON_ARRAY(1, 2, 3)),
  'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'ffffffff-ffff-ffff-ffff-ffffffffffff',
  ST_GeomFromText('LINESTRING(0 0,1 1,2 3)'), ST_GeomFromText('POINT(180 90)'),
  ST_GeomFromText('POLYGON((0 0,10 0,10 10,0 10,0 0),(2 2,4 2,4 4,2 4,2 2))'))"),
        // 3: NULL in every nullable column
        "INSERT INTO all_types (id) VALUES (3)".into(),
        // 4: ordinary values, non-ASCII text; 5: zeros and zero dates (one statement: a multi-row event)
        "INSERT INTO all_types VALUES (4,
  -1, 1, -300, 300, -70000, 70000, -1, 1, -1, 1,
  -1, -0.50, -0.0001, 0.000000001, -0.0000000001, -0.000000000000000000000000000001, 12.34,
  1.1, -0.1, 3.14,
  b'1', b'10101010101010101', b'101',
  'b', 'x,ü',
  '2024-02-29', '-12:34:56', '-00:00:00.500000', '2024-02-29 12:34:56',
  '2024-02-29 12:34:56.789', '2024-02-29 12:34:56.789012',
  '2024-02-29 12:34:56', '2024-02-29 12:34:56.123456', 2024,
  'Grüße', 'Grüße, 世界 🐬', 'naïve café', 'emoji 🐬🎉',
  'Ça va', 'élève ñ ß', 'Ça va, élève, garçon, ñandú',
  0xDEADBEEF, 0x00FF00FF0A0D, 0x00, 0x0102030405, 0xCAFEBABE,
  '{\"a\": [1, 2.5, \"ü\", null, true], \"b\": {\"c\": \"🐬\"}}', '2001:db8::1',
  '123e4567-e89b-12d3-a456-426614174000',
  ST_GeomFromText('MULTIPOINT(1 1,2 2)'), ST_GeomFromText('POINT(1.5 -2.25)'),
  ST_GeomFromText('POLYGON((0 0,3 0,3 3,0 0))')),
 (5,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0,
  0, 0, 0,
  b'0', 0, 0,
  'c', 'y',
  '0000-00-00', '00:00:00', '00:00:00.000000', '0000-00-00 00:00:00',
  '0000-00-00 00:00:00.000', '0000-00-00 00:00:00.000000',
  '0000-00-00 00:00:00', '0000-00-00 00:00:00.000000', 0,
  ' ', 'trailing  ', ' ', '',
  'A', 'b', '',
  0x00, 0x00, 0x00, 0x00, 0x00,
  'null', '::1', '00000000-0000-0000-0000-000000000001',
  NULL, NULL, NULL)"
            .into(),
        // Floats that need every digit.
        "INSERT INTO all_types (id, f, dbl) VALUES (6, 0.1, 0.1), (7, 1.17549435e-38, 2.2250738585072014e-308), (8, 16777217, 9007199254740993), (9, -1.4e-45, 4.9e-324), (10, 3.3333333, 1/3)".into(),
    ]
}

/// Transactions covering what the SQL path must render; the source runs
/// them in order. `rows` are the first inserts into `all_types` (the
/// flavour's own types).
fn workload(rows: Vec<String>) -> Vec<String> {
    let mut w = rows;
    w.extend(
        [
            // Updates: one column, NULL -> value, value -> NULL, several rows at once, a key change.
            "UPDATE all_types SET i = i + 1, vc_u = CONCAT(vc_u, ' ✓') WHERE id = 4",
            "UPDATE all_types SET ti = 42, d5_2 = -1.23, t6 = '-01:02:03.000004', j = '{\"x\": 1}', pt = ST_GeomFromText('POINT(3 4)'), ts6 = '2001-02-03 04:05:06.7', e = 'été', s = 'ü,x' WHERE id = 3",
            "UPDATE all_types SET vc_u = NULL, blb = NULL WHERE id = 2",
            "UPDATE all_types SET f = f * 2, dt0 = '2000-01-01 00:00:00' WHERE id IN (4, 6, 7)",
            "UPDATE all_types SET id = 40 WHERE id = 4",
            "DELETE FROM all_types WHERE id = 8",
            "BEGIN; UPDATE all_types SET id = id + 100 WHERE id IN (9, 10); DELETE FROM all_types WHERE id = 109; COMMIT",
            // An ENUM's empty error value (index 0; the server warns when it is assigned).
            "SET SESSION sql_mode = ''; INSERT INTO all_types (id, e, s) VALUES (11, 'nope', 'x'); UPDATE all_types SET i = 1 WHERE id = 11",
            // Awkward identifiers; a case-insensitive text key changing case.
            "INSERT INTO `we``ird \"q\" 'x' ü` VALUES ('a', 1, 'ü'), ('B', 2, NULL), ('\\'q\\\\', 3, '`')",
            "UPDATE `we``ird \"q\" 'x' ü` SET `k``1` = 'A', `v 2` = 10 WHERE `k``1` = 'a'",
            "UPDATE `we``ird \"q\" 'x' ü` SET `ñ` = 'changed' WHERE `k``1` = 'b'",
            "DELETE FROM `we``ird \"q\" 'x' ü` WHERE `k``1` = '\\'q\\\\'",
            // Key-less: duplicates, rows equal under the collation but not as bytes.
            "INSERT INTO keyless VALUES (1, 'a', 1.1, 'x'), (1, 'a', 1.1, 'x'), (1, 'A', 1.1, 'x'), (1, 'a ', 1.1, 'x'), (2, NULL, NULL, NULL), (3, 'z', 0.3, X'00FF')",
            "UPDATE keyless SET a = 10 WHERE s = BINARY 'A'",
            "UPDATE keyless SET a = 11 WHERE s = BINARY 'a ' ",
            "DELETE FROM keyless WHERE a = 1 LIMIT 1",
            "UPDATE keyless SET s = 'n' WHERE a = 2",
            "DELETE FROM keyless WHERE a = 3",
            // A unique NOT NULL key and no primary key.
            "INSERT INTO uniq VALUES (1, 'x', 1), (1, 'y', 2), (2, 'x', NULL)",
            "UPDATE uniq SET b = 'z', c = 5 WHERE a = 1 AND b = 'y'",
            "DELETE FROM uniq WHERE a = 2",
            // An explicit 0 in an AUTO_INCREMENT column.
            "SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO'; INSERT INTO ai VALUES (0, 'zero'); INSERT INTO ai (v) VALUES ('one'), ('two')",
            // Cascades: the target redoes them.
            "INSERT INTO parent VALUES (1, 1), (2, 2), (3, 3)",
            "INSERT INTO child VALUES (1, 1), (2, 1), (3, 2), (4, 3)",
            "DELETE FROM parent WHERE id = 1",
            "UPDATE parent SET id = 20 WHERE id = 2",
            "SET SESSION foreign_key_checks = 0; INSERT INTO child VALUES (5, 99); SET SESSION foreign_key_checks = 1",
            // Generated columns.
            "INSERT INTO gen (id, a, big) VALUES (1, 1, REPEAT('b', 70000)), (2, 2, NULL)",
            "UPDATE gen SET a = 5 WHERE id = 1",
            // A table with an UPDATE trigger only gets inserts and deletes.
            "INSERT INTO upd_trigger VALUES (1, 1), (2, 2)",
            "DELETE FROM upd_trigger WHERE id = 1",
            // Statement-format DML with its own time zone and sql_mode, then rows again.
            "SET SESSION binlog_format = STATEMENT; SET SESSION time_zone = '+05:30'; INSERT INTO stmt_log (at, ts) VALUES ('2020-01-01 10:00:00', '2020-01-01 10:00:00'); SET SESSION binlog_format = ROW",
            "SET SESSION time_zone = '-08:00'; INSERT INTO stmt_log (at, ts) VALUES ('2020-01-01 10:00:00', '2020-01-01 10:00:00'); UPDATE all_types SET ts0 = '2021-06-01 12:00:00' WHERE id = 5",
            // MINIMAL images: only the key before, only the changed columns after.
            "SET SESSION binlog_row_image = MINIMAL; UPDATE all_types SET vc_l = 'minimal é', y = 1999 WHERE id = 1; DELETE FROM all_types WHERE id = 5; INSERT INTO all_types (id, vc_u) VALUES (50, 'min'); UPDATE keyless SET a = 12 WHERE a = 11; UPDATE gen SET a = 7 WHERE id = 2",
            "SET SESSION binlog_row_image = MINIMAL; UPDATE `we``ird \"q\" 'x' ü` SET `v 2` = 20 WHERE `k``1` = 'B'; DELETE FROM uniq WHERE a = 1 AND b = 'x'",
            // NOBLOB images.
            "SET SESSION binlog_row_image = NOBLOB; UPDATE all_types SET i = 7 WHERE id = 2; UPDATE gen SET a = 9 WHERE id = 1",
            // DDL mid-stream, then rows on the changed table.
            "ALTER TABLE `we``ird \"q\" 'x' ü` ADD COLUMN `new``col` BIGINT UNSIGNED NOT NULL DEFAULT 0 FIRST",
            "INSERT INTO `we``ird \"q\" 'x' ü` VALUES (18446744073709551615, 'n', 5, 'after DDL')",
            "UPDATE `we``ird \"q\" 'x' ü` SET `new``col` = 3 WHERE `k``1` = 'A'",
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    // A multi-row event of many rows.
    let values: Vec<String> = (0..500)
        .map(|k| format!("({}, 'row {k}', {k}.5, NULL)", 1000 + k))
        .collect();
    w.push(format!("INSERT INTO keyless VALUES {}", values.join(",")));
    w.push("DELETE FROM keyless WHERE a > 1200".into());
    w
}

// ---------------------------------------------------------------------------
// MySQL 9.7: the same ground with MySQL's types (no INET6 / UUID; binary
// JSON, VECTOR, SRID-restricted geometry, every fractional-second
// precision, more character sets).

/// The MySQL schema: `all_types` with MySQL's types, the common tables,
/// and tables for what MySQL has beyond them.
fn mysql_schema() -> String {
    let charset_columns =
        "u16 VARCHAR(20) CHARACTER SET utf16, u32 VARCHAR(20) CHARACTER SET utf32,
  ucs VARCHAR(20) CHARACTER SET ucs2, gbk VARCHAR(20) CHARACTER SET gbk,
  sjis VARCHAR(20) CHARACTER SET sjis, cyr VARCHAR(20) CHARACTER SET cp1251,
  u3 VARCHAR(20) CHARACTER SET utf8mb3, asc7 VARCHAR(20) CHARACTER SET ascii,
  u_bin VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,
  u_cs VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_0900_as_cs,
  u_ja TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_ja_0900_as_cs,
  cb CHAR(10) CHARACTER SET binary, c255 CHAR(255) CHARACTER SET utf8mb4,
  c16 CHAR(10) CHARACTER SET utf16, tt TINYTEXT, mt MEDIUMTEXT CHARACTER SET latin1,
  lt16 LONGTEXT CHARACTER SET utf16";
    let fsp_columns: Vec<String> = (0..=6)
        .map(|n| {
            format!("t{n} TIME({n}), dt{n} DATETIME({n}), ts{n} TIMESTAMP({n}) NULL DEFAULT NULL")
        })
        .collect();
    format!(
        "
CREATE DATABASE {DB};
USE {DB};
CREATE TABLE all_types (
  id INT NOT NULL PRIMARY KEY,
  ti TINYINT, tiu TINYINT UNSIGNED, si SMALLINT, siu SMALLINT UNSIGNED,
  mi MEDIUMINT, miu MEDIUMINT UNSIGNED, i INT, iu INT UNSIGNED,
  bi BIGINT, biu BIGINT UNSIGNED,
  d1 DECIMAL(1,0), d5_2 DECIMAL(5,2), d10_4 DECIMAL(10,4), d18_9 DECIMAL(18,9),
  d30_10 DECIMAL(30,10), d65_30 DECIMAL(65,30), du DECIMAL(10,2) UNSIGNED,
  f FLOAT, dbl DOUBLE, f72 FLOAT(7,2),
  b1 BIT(1), b17 BIT(17), b64 BIT(64),
  e ENUM('a','b','c','été'), s SET('x','y','z','ü'),
  dt DATE, t0 TIME, t6 TIME(6), dt0 DATETIME, dt3 DATETIME(3), dt6 DATETIME(6),
  ts0 TIMESTAMP NULL DEFAULT NULL, ts6 TIMESTAMP(6) NULL DEFAULT NULL, y YEAR,
  c_u CHAR(10) CHARACTER SET utf8mb4, vc_u VARCHAR(100) CHARACTER SET utf8mb4,
  tx_u TEXT CHARACTER SET utf8mb4, lt_u LONGTEXT CHARACTER SET utf8mb4,
  c_l CHAR(10) CHARACTER SET latin1, vc_l VARCHAR(300) CHARACTER SET latin1,
  tx_l TEXT CHARACTER SET latin1,
  bin BINARY(4), vbin VARBINARY(300), tblb TINYBLOB, blb BLOB, mblb MEDIUMBLOB,
  j JSON, lblb LONGBLOB,
  g GEOMETRY, pt POINT, poly POLYGON
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
{common}
CREATE TABLE fsp (id INT PRIMARY KEY, d DATE, y YEAR, {fsp}) ENGINE=InnoDB;
CREATE TABLE charsets (id INT PRIMARY KEY, {charset_columns}) ENGINE=InnoDB;
CREATE TABLE charsets_keyless (id INT, {charset_columns}) ENGINE=InnoDB;
CREATE TABLE geo (id INT PRIMARY KEY, g GEOMETRY, pt POINT, ls LINESTRING, pg POLYGON,
  mpt MULTIPOINT, mls MULTILINESTRING, mpg MULTIPOLYGON, gc GEOMETRYCOLLECTION,
  p4326 POINT NOT NULL SRID 4326, g0 GEOMETRY SRID 0, SPATIAL KEY (p4326)) ENGINE=InnoDB;
INSERT INTO geo (id, p4326) VALUES (0, ST_GeomFromText('POINT(0 0)', 4326));
CREATE TABLE geo_keyless (n INT, g GEOMETRY, p4326 POINT SRID 4326) ENGINE=InnoDB;
CREATE TABLE js (id INT PRIMARY KEY, j JSON) ENGINE=InnoDB;
CREATE TABLE js_keyless (n INT, j JSON) ENGINE=InnoDB;
CREATE TABLE vec (id INT PRIMARY KEY, v1 VECTOR(1), v4 VECTOR(4), vdef VECTOR, vbig VECTOR(16383)) ENGINE=InnoDB;
CREATE TABLE vec_keyless (n INT, v VECTOR(3)) ENGINE=InnoDB;
CREATE TABLE gen_json (id INT PRIMARY KEY, j JSON, k VARCHAR(20) AS (j->>'$.k') VIRTUAL,
  up VARCHAR(40) AS (UPPER(j->>'$.k')) STORED, n INT AS (JSON_LENGTH(j)) VIRTUAL, KEY (k), UNIQUE KEY (up)) ENGINE=InnoDB;
CREATE TABLE gen_keyless (a INT, v INT AS (a * 2) VIRTUAL, s INT AS (a + 1) STORED, t VARCHAR(10)) ENGINE=InnoDB;
CREATE TABLE uniq_nullable (a INT, b VARCHAR(10), UNIQUE KEY (a)) ENGINE=InnoDB;
",
        common = common_tables("STORED"),
        fsp = fsp_columns.join(",\n  "),
    )
}

/// The first rows of `all_types` on MySQL: MariaDB's, without INET6 and
/// UUID (a LONGBLOB instead), TIME at most 838:59:59 (MySQL refuses a
/// fraction above it), zero dates under sql_mode ''.
fn mysql_all_types_rows() -> Vec<String> {
    let ab = all_bytes();
    let ab2 = &ab[2..];
    vec![
        format!("INSERT INTO all_types VALUES (1,
  -128, 0, -32768, 0, -8388608, 0, -2147483648, 0, -9223372036854775808, 0,
  -9, -999.99, -123456.7890, -123456789.123456789,
  -12345678901234567890.1234567890,
  -12345678901234567890123456789012345.123456789012345678901234567890, 0.00,
  -3.402823e38, -1.7976931348623157e308, -99999.99,
  b'0', b'0', 0,
  'a', '',
  '1000-01-01', '-838:59:59', '-838:59:59.000000', '1000-01-01 00:00:00',
  '1000-01-01 00:00:00.001', '1000-01-01 00:00:00.000001',
  '1970-01-01 00:00:01', '1970-01-01 00:00:01.000001', 1901,
  '', '', '', '', '', '', '',
  0x00000000, '', '', '', '',
  '[]', '',
  ST_GeomFromText('POINT(0 0)'), ST_GeomFromText('POINT(-180 -90)'),
  ST_GeomFromText('POLYGON((0 0,1 0,1 1,0 0))'))"),
        format!("INSERT INTO all_types VALUES (2,
  127, 255, 32767, 65535, 8388607, 16777215, 2147483647, 4294967295,
  9223372036854775807, 18446744073709551615,
  9, 999.99, 999999.9999, 999999999.999999999,
  99999999999999999999.9999999999,
  99999999999999999999999999999999999.999999999999999999999999999999, 99999999.99,
  3.402823e38, 1.7976931348623157e308, 99999.99,
  b'1', b'11111111111111111', 0xFFFFFFFFFFFFFFFF,
  'été', 'x,y,z,ü',
  '9999-12-31', '838:59:59', '838:59:59.000000', '9999-12-31 23:59:59',
  '9999-12-31 23:59:59.999', '9999-12-31 23:59:59.999999',
  '2038-01-19 03:14:07', '2038-01-19 03:14:07.999999', 2155,
  REPEAT('é', 10), REPEAT('🐬', 100), REPEAT('日本語', 300), REPEAT('𝄞', 1000),
  REPEAT('ÿ', 10), REPEAT('é', 300), REPEAT('Ça va, élève ', 100),
  0xFFFFFFFF, UNHEX('{ab}'), UNHEX(SUBSTRING('{ab}', 3)), UNHEX(REPEAT('{ab}', 64)),
  UNHEX(REPEAT('{ab2}', 300)),
  JSON_OBJECT('k', REPEAT('v', 500), 'n', 1.5e300, 'arr', JSON_ARRAY(1, 2, 3)),
  UNHEX(REPEAT('{ab}', 5000)),
  ST_GeomFromText('LINESTRING(0 0,1 1,2 3)'), ST_GeomFromText('POINT(180 90)'),
  ST_GeomFromText('POLYGON((0 0,10 0,10 10,0 10,0 0),(2 2,4 2,4 4,2 4,2 2))'))"),
        "INSERT INTO all_types (id) VALUES (3)".into(),
        "SET SESSION sql_mode = ''; INSERT INTO all_types VALUES (4,
  -1, 1, -300, 300, -70000, 70000, -1, 1, -1, 1,
  -1, -0.50, -0.0001, 0.000000001, -0.0000000001, -0.000000000000000000000000000001, 12.34,
  1.1, -0.1, 3.14,
  b'1', b'10101010101010101', b'101',
  'b', 'x,ü',
  '2024-02-29', '-12:34:56', '-00:00:00.500000', '2024-02-29 12:34:56',
  '2024-02-29 12:34:56.789', '2024-02-29 12:34:56.789012',
  '2024-02-29 12:34:56', '2024-02-29 12:34:56.123456', 2024,
  'Grüße', 'Grüße, 世界 🐬', 'naïve café', 'emoji 🐬🎉',
  'Ça va', 'élève ñ ß', 'Ça va, élève, garçon, ñandú',
  0xDEADBEEF, 0x00FF00FF0A0D, 0x00, 0x0102030405, 0xCAFEBABE,
  '{\"a\": [1, 2.5, \"ü\", null, true], \"b\": {\"c\": \"🐬\"}}', 0x00,
  ST_GeomFromText('MULTIPOINT(1 1,2 2)'), ST_GeomFromText('POINT(1.5 -2.25)'),
  ST_GeomFromText('POLYGON((0 0,3 0,3 3,0 0))')),
 (5,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0,
  0, 0, 0,
  b'0', 0, 0,
  'c', 'y',
  '0000-00-00', '00:00:00', '00:00:00.000000', '0000-00-00 00:00:00',
  '0000-00-00 00:00:00.000', '0000-00-00 00:00:00.000000',
  '0000-00-00 00:00:00', '0000-00-00 00:00:00.000000', 0,
  ' ', 'trailing  ', ' ', '',
  'A', 'b', '',
  0x00, 0x00, 0x00, 0x00, 0x00,
  'null', '',
  NULL, NULL, NULL)"
            .into(),
        "INSERT INTO all_types (id, f, dbl) VALUES (6, 0.1, 0.1), (7, 1.17549435e-38, 2.2250738585072014e-308), (8, 16777217, 9007199254740993), (9, -1.4e-45, 4.9e-324), (10, 3.3333333, 1/3)".into(),
    ]
}

/// `digits` cut to `n` fractional digits, with the point (none for 0).
fn frac(digits: &str, n: usize) -> String {
    if n == 0 {
        String::new()
    } else {
        format!(".{}", &digits[..n])
    }
}

/// One `fsp` row: the same value shape at every precision 0..6.
fn fsp_row(
    id: u32,
    d: &str,
    y: &str,
    time: &str,
    datetime: &str,
    ts: &str,
    digits: &str,
) -> String {
    let mut cols = vec!["id".to_string(), "d".into(), "y".into()];
    let mut vals = vec![id.to_string(), d.into(), y.into()];
    for n in 0..=6 {
        let f = frac(digits, n);
        cols.extend([format!("t{n}"), format!("dt{n}"), format!("ts{n}")]);
        vals.extend([
            format!("'{time}{f}'"),
            format!("'{datetime}{f}'"),
            if ts == "NULL" {
                "NULL".into()
            } else {
                format!("'{ts}{f}'")
            },
        ]);
    }
    format!(
        "INSERT INTO fsp ({}) VALUES ({})",
        cols.join(","),
        vals.join(",")
    )
}

/// A JSON object over 64 KiB (MySQL's large storage format), as text.
fn large_json_object() -> String {
    let members: Vec<String> = (0..2500)
        .map(|k| {
            format!(
                "\"key {k:05} é\": [{k}, \"value {k} 🐬\", {k}.5, {}]",
                k % 2 == 0
            )
        })
        .collect();
    format!("{{{}}}", members.join(", "))
}

/// What MySQL has beyond the common workload: every fractional-second
/// precision, character sets, spatial types with SRIDs, binary JSON,
/// VECTOR, generated columns over JSON; in tables with a key and without.
fn mysql_extra_workload() -> Vec<String> {
    let charset_values = |id: u32, s: &str| {
        format!(
            "({id}, '{s}', '{s}', 'ucs2 ü {id}', '中文 {id}', '日本語 {id}', 'Привет {id}', 'bmp ü {id}', 'plain {id}',
              '{s}', '{s}', 'かな カナ 漢字 {s}', X'00FF00', '{s}', 'ü🐬', '{s}', 'Ça va {id}', REPEAT('{s}', 100))"
        )
    };
    let charset_rows = [
        charset_values(1, "Grüße 🐬"),
        charset_values(2, "a"),
        charset_values(3, "A "),
        "(4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)".into(),
        "(5, '', '', '', '', '', '', '', '', '', '', '', '', '', '', '', '', '')".into(),
    ]
    .join(", ");
    let json_docs = [
        "'{}'",
        "'[]'",
        "'null'",
        "'true'",
        "'false'",
        "'0'",
        "'-1'",
        "'\"a string\"'",
        "'[32767, 32768, -32768, -32769, 2147483647, 2147483648, -2147483649, 9223372036854775807, -9223372036854775808, 18446744073709551615]'",
        "'[0.1, 1e300, -1.5e-300, 5e-324, 1.0, -0.0, 123456789.125]'",
        "'{\"quote \\\\\" backslash \\\\\\\\ newline \\\\n tab \\\\t ctl \\\\u0001 \\\\u001f\": \"é 🐬 日本 \\\\u2028 \\\\u0000 end\"}'",
        "'{\"b\": 1, \"a\": 2, \"aa\": {\"z\": [true, false, null, {\"deep\": [[[[[\"x\"]]]]]}]}, \"\": \"empty key\", \"ключ\": \"значение\"}'",
        "JSON_OBJECT('u', CAST(5 AS UNSIGNED), 'big', CAST(18446744073709551615 AS UNSIGNED), 'arr', JSON_ARRAY(CAST(0 AS UNSIGNED), CAST(70000 AS UNSIGNED), -5, 2.5e0))",
        "CAST(CAST(7 AS UNSIGNED) AS JSON)",
        "JSON_ARRAY(TRUE, FALSE, NULL, 'text', 1.5e0, CAST(4294967296 AS UNSIGNED))",
    ];
    let js_rows: Vec<String> = json_docs
        .iter()
        .enumerate()
        .map(|(n, d)| format!("({}, {d})", n + 1))
        .collect();
    let nested = format!("{}1{}", "[".repeat(90), "]".repeat(90));
    let big_vector: Vec<String> = (0..16383)
        .map(|k| format!("{}", k as f32 * 0.25 - 2000.0))
        .collect();
    vec![
        // Every precision: min, max, fractions, NULL, zeros.
        fsp_row(1, "'1000-01-01'", "1901", "-838:59:59", "1000-01-01 00:00:00", "1970-01-01 00:00:01", "000000"),
        fsp_row(2, "'9999-12-31'", "2155", "838:59:59", "9999-12-31 23:59:59", "2038-01-19 03:14:07", "000000"),
        fsp_row(3, "'2024-02-29'", "2024", "-12:34:56", "9999-12-31 23:59:59", "2038-01-19 03:14:07", "999999"),
        fsp_row(4, "'0001-01-01'", "1970", "-00:00:00", "0001-01-01 00:00:00", "1999-12-31 23:59:59", "123456"),
        "INSERT INTO fsp (id) VALUES (5)".into(),
        format!(
            "SET SESSION sql_mode = ''; {}; {}",
            fsp_row(6, "'0000-00-00'", "0", "00:00:00", "0000-00-00 00:00:00", "0000-00-00 00:00:00", "000000"),
            fsp_row(7, "'2024-00-00'", "0", "-00:00:00", "2024-02-00 00:00:00", "2001-01-01 00:00:00", "000001")
        ),
        "UPDATE fsp SET t3 = ADDTIME(t3, '0.001'), dt6 = '2020-02-02 02:02:02.020202', ts6 = ts6 - INTERVAL 1 SECOND, y = 2000 WHERE id = 3".into(),
        "UPDATE fsp SET t6 = '-838:59:59.000000', ts0 = NULL, d = NULL WHERE id = 4".into(),
        "DELETE FROM fsp WHERE id = 2".into(),
        // Character sets, key and no key.
        format!("INSERT INTO charsets VALUES {charset_rows}"),
        format!("INSERT INTO charsets_keyless VALUES {charset_rows}, {charset_rows}"),
        "UPDATE charsets SET u16 = 'changed 🎉', gbk = '变了', cb = X'01', c255 = REPEAT('ñ', 255) WHERE id IN (1, 5)".into(),
        "DELETE FROM charsets WHERE id = 2".into(),
        "UPDATE charsets_keyless SET u32 = 'x' WHERE id = 3 LIMIT 1".into(),
        "UPDATE charsets_keyless SET sjis = 'カ' WHERE id = 1".into(),
        "DELETE FROM charsets_keyless WHERE id IN (2, 4) LIMIT 3".into(),
        // Spatial: every type, SRIDs, NULLs, keyed and not.
        "INSERT INTO geo VALUES
          (1, ST_GeomFromText('GEOMETRYCOLLECTION(POINT(1 1),LINESTRING(0 0,1 1))'), ST_GeomFromText('POINT(-1.5 2.25)'),
           ST_GeomFromText('LINESTRING(0 0,10 10,20 25,50 60)'), ST_GeomFromText('POLYGON((0 0,10 0,10 10,0 10,0 0),(5 5,7 5,7 7,5 7,5 5))'),
           ST_GeomFromText('MULTIPOINT(0 0,20 20,60 60)'), ST_GeomFromText('MULTILINESTRING((10 10,20 20),(15 15,30 15))'),
           ST_GeomFromText('MULTIPOLYGON(((0 0,10 0,10 10,0 10,0 0)),((5 5,7 5,7 7,5 7,5 5)))'),
           ST_GeomFromText('GEOMETRYCOLLECTION(POINT(10 10),POINT(30 30),LINESTRING(15 15,20 20))'),
           ST_GeomFromText('POINT(45.5 -73.25)', 4326), ST_GeomFromText('POINT(1 1)', 0)),
          (2, ST_GeomFromText('POINT(1e300 -1e-300)'), ST_GeomFromText('POINT(0 -0)'), NULL, NULL, NULL, NULL, NULL,
           ST_GeomFromText('GEOMETRYCOLLECTION EMPTY'), ST_GeomFromText('POINT(-90 180)', 4326), NULL),
          (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, ST_GeomFromText('POINT(90 -180)', 4326), NULL)".into(),
        "UPDATE geo SET pt = ST_GeomFromText('POINT(3 4)'), p4326 = ST_GeomFromText('POINT(10 20)', 4326) WHERE id = 1".into(),
        "UPDATE geo SET g = ST_GeomFromText('POLYGON((0 0,1 0,0 1,0 0))') WHERE id = 3".into(),
        "DELETE FROM geo WHERE id = 2".into(),
        "INSERT INTO geo_keyless VALUES (1, ST_GeomFromText('POINT(1 2)'), ST_GeomFromText('POINT(1 2)', 4326)), (1, ST_GeomFromText('POINT(1 2)'), ST_GeomFromText('POINT(1 2)', 4326)), (2, ST_GeomFromText('LINESTRING(0 0,1 1)'), NULL), (3, NULL, NULL)".into(),
        "UPDATE geo_keyless SET n = 10 WHERE n = 1 LIMIT 1".into(),
        "UPDATE geo_keyless SET g = ST_GeomFromText('POINT(9 9)') WHERE n = 2".into(),
        "DELETE FROM geo_keyless WHERE n = 3".into(),
        // Binary JSON: scalars, every integer storage width, unsigned
        // integers small and large, doubles, escapes, unicode, nesting,
        // the large format.
        format!("INSERT INTO js VALUES {}", js_rows.join(", ")),
        format!("INSERT INTO js VALUES (100, '{}'), (101, '{nested}')", large_json_object()),
        "UPDATE js SET j = JSON_SET(j, '$.u', CAST(6 AS UNSIGNED), '$.new', JSON_OBJECT('x', CAST(1 AS UNSIGNED))) WHERE id = 13".into(),
        "UPDATE js SET j = JSON_ARRAY_APPEND(j, '$', 'more') WHERE id = 2".into(),
        "UPDATE js SET j = JSON_REMOVE(j, '$.\"key 00001 é\"') WHERE id = 100".into(),
        "UPDATE js SET j = NULL WHERE id = 3".into(),
        "DELETE FROM js WHERE id IN (4, 8)".into(),
        "INSERT INTO js_keyless VALUES (1, '{\"a\": 1}'), (1, '{\"a\": 1}'), (2, JSON_ARRAY(CAST(3 AS UNSIGNED), 0.5e0)), (3, NULL), (4, '[1, \"two\", {\"three\": 3}]')".into(),
        "UPDATE js_keyless SET n = 10 WHERE n = 1 LIMIT 1".into(),
        "UPDATE js_keyless SET j = JSON_OBJECT('b', CAST(9 AS UNSIGNED)) WHERE n = 2".into(),
        "UPDATE js_keyless SET n = 40 WHERE n = 4".into(),
        "DELETE FROM js_keyless WHERE n = 3".into(),
        // VECTOR: one float, the default dimension, the largest.
        format!(
            "INSERT INTO vec VALUES
              (1, STRING_TO_VECTOR('[1.5]'), STRING_TO_VECTOR('[0, -0, 3.4028235e38, -1.17549435e-38]'),
               STRING_TO_VECTOR('[1.5e-38, 0.1, 16777217]'), STRING_TO_VECTOR('[{}]')),
              (2, NULL, NULL, NULL, NULL),
              (3, X'0000803F', X'000000000000803F0000004000004040', X'01000000', NULL)",
            big_vector.join(",")
        ),
        "UPDATE vec SET v4 = STRING_TO_VECTOR('[4, 3, 2, 1]'), v1 = NULL WHERE id = 1".into(),
        "DELETE FROM vec WHERE id = 2".into(),
        "INSERT INTO vec_keyless VALUES (1, STRING_TO_VECTOR('[1, 2, 3]')), (1, STRING_TO_VECTOR('[1, 2, 3]')), (2, STRING_TO_VECTOR('[-1, -2, -3]')), (3, NULL)".into(),
        "UPDATE vec_keyless SET n = 10 WHERE n = 1 LIMIT 1".into(),
        "UPDATE vec_keyless SET v = STRING_TO_VECTOR('[7, 8, 9]') WHERE n = 2".into(),
        "DELETE FROM vec_keyless WHERE n = 3".into(),
        // Generated columns over JSON (indexed virtual, unique stored), and
        // in a key-less table.
        "INSERT INTO gen_json (id, j) VALUES (1, '{\"k\": \"one\"}'), (2, '{\"k\": \"two\", \"x\": [1, 2]}'), (3, NULL)".into(),
        "UPDATE gen_json SET j = '{\"k\": \"uno\"}' WHERE id = 1".into(),
        "UPDATE gen_json SET id = 30 WHERE id = 3".into(),
        "DELETE FROM gen_json WHERE id = 2".into(),
        "INSERT INTO gen_keyless (a, t) VALUES (1, 'a'), (1, 'a'), (2, 'b'), (NULL, NULL)".into(),
        "UPDATE gen_keyless SET a = 5 WHERE a = 1 LIMIT 1".into(),
        "UPDATE gen_keyless SET t = 'n' WHERE a IS NULL".into(),
        "DELETE FROM gen_keyless WHERE a = 2".into(),
        "SET SESSION binlog_row_image = MINIMAL; UPDATE gen_keyless SET t = 'min' WHERE a = 5; UPDATE gen_json SET j = '{\"k\": \"minimal\"}' WHERE id = 1".into(),
        // A unique key over a nullable column is no key: rows are matched
        // on every column.
        "INSERT INTO uniq_nullable VALUES (1, 'a'), (NULL, 'b'), (NULL, 'b'), (2, NULL)".into(),
        "UPDATE uniq_nullable SET b = 'c' WHERE a IS NULL LIMIT 1".into(),
        "UPDATE uniq_nullable SET a = 3 WHERE a = 2".into(),
        "DELETE FROM uniq_nullable WHERE a = 1".into(),
    ]
}

/// Every value inside every JSON column of the database, with its JSON
/// type, for MySQL's binary JSON: per column and document, each path and
/// `JSON_TYPE` (CHECKSUM TABLE sees JSON as text, where the unsigned `5`
/// and the signed `5` are the same).
fn json_types(db: &PrivateMariaDb) -> Vec<(String, String, String, String)> {
    let mut conn = db.conn();
    conn.query_drop(
        "SET SESSION group_concat_max_len = 1073741824, cte_max_recursion_depth = 100000",
    )
    .unwrap();
    let columns: Vec<(String, String, String)> = conn
        .query(
            "SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME FROM information_schema.COLUMNS \
             WHERE DATA_TYPE = 'json' AND TABLE_SCHEMA NOT IN \
             ('mysql', 'information_schema', 'performance_schema', 'sys', 'myreplay') \
             ORDER BY TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME",
        )
        .unwrap();
    assert!(!columns.is_empty(), "no JSON columns");
    let mut out = vec![];
    for (schema, table, column) in columns {
        let name = format!("{}.{}", q(&schema), q(&table));
        let rows: Vec<(String, String)> = conn
            .query(format!(
                "WITH RECURSIVE w (h, p, v) AS (
                   SELECT SHA2(CAST(t.{c} AS CHAR), 256), CAST('$' AS CHAR(4000)), t.{c} FROM {name} t WHERE t.{c} IS NOT NULL
                   UNION ALL
                   SELECT w.h, CONCAT(w.p, '[', e.i - 1, ']'), JSON_EXTRACT(w.v, CONCAT('$[', e.i - 1, ']')) FROM w,
                     JSON_TABLE(w.v, '$[*]' COLUMNS (i FOR ORDINALITY)) e
                     WHERE JSON_TYPE(w.v) = 'ARRAY'
                   UNION ALL
                   SELECT w.h, CONCAT(w.p, '.', k.k), JSON_EXTRACT(w.v, CONCAT('$.', k.k)) FROM w,
                     JSON_TABLE(JSON_KEYS(w.v), '$[*]' COLUMNS (k JSON PATH '$')) k
                     WHERE JSON_TYPE(w.v) = 'OBJECT')
                 SELECT h, GROUP_CONCAT(p, ' ', JSON_TYPE(v) ORDER BY p SEPARATOR '\n') FROM w GROUP BY h ORDER BY h",
                c = q(&column)
            ))
            .unwrap_or_else(|e| panic!("JSON types of {name}.{column}: {e}"));
        for (h, types) in rows {
            out.push((name.clone(), column.clone(), h, types));
        }
    }
    out
}

fn sql_replay(files: &[std::path::PathBuf], target: &PrivateMariaDb, workers: usize) -> Replay {
    let mut r = Replay::new(files.to_vec(), target.options());
    r.workers = workers;
    r.path = ApplyPath::Sql;
    r
}

#[test]
fn sql_path_equals_the_source_with_1_and_2_workers() {
    sql_path_equals_the_source_with_1_and_2_workers_on(Flavour::MariaDb);
}

#[test]
fn on_mariadb_11_8_sql_path_equals_the_source_with_1_and_2_workers() {
    sql_path_equals_the_source_with_1_and_2_workers_on(Flavour::MariaDb118);
}

#[test]
fn on_mysql_9_7_sql_path_equals_the_source_with_1_and_2_workers() {
    sql_path_equals_the_source_with_1_and_2_workers_on(Flavour::MySql97);
}

fn sql_path_equals_the_source_with_1_and_2_workers_on(flavour: Flavour) {
    let mut source = PrivateMariaDb::start_flavour(flavour, &[]);
    let (schema, workload) = if flavour.is_mysql() {
        let mut w = workload(mysql_all_types_rows());
        w.extend(mysql_extra_workload());
        (mysql_schema(), w)
    } else {
        (schema(), workload(all_types_rows()))
    };
    source.exec(&schema);
    let targets: Vec<PrivateMariaDb> = (0..2)
        .map(|_| source.snapshot(&["--skip-log-bin"]))
        .collect();
    let before = source.binlogs().len();
    for sql in &workload {
        source.exec(&format!("USE {DB}; {sql}"));
    }
    source.exec("FLUSH BINARY LOGS");
    let files = source.binlogs_since(before);

    if flavour.is_mysql() {
        // The oracle sees inside the documents: unsigned integers, nulls.
        let types = json_types(&source);
        for t in [
            "UNSIGNED INTEGER",
            "INTEGER",
            "DOUBLE",
            "NULL",
            "BOOLEAN",
            "STRING",
        ] {
            assert!(
                types
                    .iter()
                    .any(|(.., v)| v.lines().any(|l| l.ends_with(&format!(" {t}"))
                        && (t != "INTEGER" || !l.ends_with("UNSIGNED INTEGER")))),
                "no JSON {t} in {types:?}"
            );
        }
    }
    for (target, workers) in targets.iter().zip([1, 2]) {
        let report = sql_replay(&files, target, workers)
            .run(|_| {}, &AtomicBool::new(false))
            .unwrap_or_else(|e| {
                panic!(
                    "{}: SQL replay with {workers} workers: {e}\ntarget log:\n{}",
                    flavour.name(),
                    target.error_log_tail(20)
                )
            });
        assert!(report.transactions_applied > 40, "{report:?}");
        assert_same_tables(&source, target);
        if flavour.is_mysql() {
            assert_eq!(json_types(target), json_types(&source), "JSON types");
        }
        // The trigger on UPDATE did not fire (no update reached its table).
        let mut conn = target.conn();
        let n: u64 = conn
            .query_first(format!("SELECT COUNT(*) FROM {DB}.upd_log"))
            .unwrap()
            .unwrap();
        assert_eq!(n, 0);
        // Running it again applies nothing.
        let again = sql_replay(&files, target, workers)
            .run(|_| {}, &AtomicBool::new(false))
            .unwrap();
        assert_eq!(again.transactions_applied, 0);
        assert_same_tables(&source, target);
    }
}

#[test]
fn a_table_with_a_trigger_is_refused_and_nothing_of_the_unit_commits() {
    a_table_with_a_trigger_is_refused_and_nothing_of_the_unit_commits_on(Flavour::MariaDb);
}

#[test]
fn on_mariadb_11_8_a_table_with_a_trigger_is_refused_and_nothing_of_the_unit_commits() {
    a_table_with_a_trigger_is_refused_and_nothing_of_the_unit_commits_on(Flavour::MariaDb118);
}

#[test]
fn on_mysql_9_7_a_table_with_a_trigger_is_refused_and_nothing_of_the_unit_commits() {
    a_table_with_a_trigger_is_refused_and_nothing_of_the_unit_commits_on(Flavour::MySql97);
}

fn a_table_with_a_trigger_is_refused_and_nothing_of_the_unit_commits_on(flavour: Flavour) {
    let mut source = PrivateMariaDb::start_flavour(flavour, &[]);
    source.exec(
        "CREATE DATABASE t; USE t;
         CREATE TABLE plain (id INT PRIMARY KEY) ENGINE=InnoDB;
         CREATE TABLE audited (id INT PRIMARY KEY) ENGINE=InnoDB;
         CREATE TABLE audit_log (id INT) ENGINE=InnoDB;
         CREATE TRIGGER audit AFTER INSERT ON audited FOR EACH ROW INSERT INTO audit_log VALUES (NEW.id);",
    );
    let target = source.snapshot(&["--skip-log-bin"]);
    let before = source.binlogs().len();
    source.exec("BEGIN; INSERT INTO t.plain VALUES (1); INSERT INTO t.audited VALUES (1); COMMIT");
    source.exec("FLUSH BINARY LOGS");
    let files = source.binlogs_since(before);

    let err = sql_replay(&files, &target, 1)
        .run(|_| {}, &AtomicBool::new(false))
        .expect_err("a table with a trigger must be refused on the SQL path");
    let text = err.to_string();
    assert!(matches!(err, ReplayError::Apply { .. }), "{text}");
    assert!(text.contains("`t`.`audited`"), "{text}");
    assert!(text.contains("trigger"), "{text}");
    assert!(text.contains("--apply binlog"), "{text}");
    let mut conn = target.conn();
    let counts: (u64, u64, u64, u64) = conn
        .query_first(
            "SELECT (SELECT COUNT(*) FROM t.plain), (SELECT COUNT(*) FROM t.audited), \
             (SELECT COUNT(*) FROM t.audit_log), (SELECT COUNT(*) FROM myreplay.applied)",
        )
        .unwrap()
        .unwrap();
    assert_eq!(counts, (0, 0, 0, 0), "nothing of the unit committed");

    // The binlog path applies it, without firing the trigger.
    let mut r = Replay::new(files, target.options());
    r.workers = 1;
    r.run(|_| {}, &AtomicBool::new(false)).unwrap();
    assert_same_tables(&source, &target);
}

// ---------------------------------------------------------------------------
// Quoting: awkward names and every byte value, on both apply paths, with and
// without --rewrite-db, through row events and statements (`USE` of such a
// database).

/// A database name with a backtick, both quotes, a backslash, a space and
/// 2- and 3-byte UTF-8 (MariaDB refuses 4-byte characters in names: see
/// the test).
const AWKWARD_DB: &str = "q`b'k\"s\\ é日";
/// What AWKWARD_DB is rewritten to (--rewrite-db), as awkward.
const REWRITTEN_DB: &str = "r`w'\"\\ ñ本";
/// A table name, as awkward.
const AWKWARD_TABLE: &str = "t`'\"\\ ü表";

/// `name` as a quoted identifier.
fn q(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// `bytes` as a hex literal.
fn x(bytes: &[u8]) -> String {
    let hex: String = bytes.iter().map(|b| format!("{b:02X}")).collect();
    format!("X'{hex}'")
}

/// Every byte value, rotated by `by`.
fn every_byte(by: u8) -> Vec<u8> {
    (0..=255u8).map(|b| b.wrapping_add(by)).collect()
}

/// Every ASCII character (NUL, quotes, backslash, backtick, controls
/// included), every character from U+0080 to U+00FF, 3- and 4-byte ones.
fn every_char() -> String {
    let mut s: String = (0..=0xFFu32).filter_map(char::from_u32).collect();
    s.push_str("日本語 €‰ 🐬𝄞😀");
    s
}

fn awkward_schema() -> String {
    let t = q(AWKWARD_TABLE);
    format!(
        "CREATE DATABASE {db};
USE {db};
CREATE TABLE `bytes` (id VARBINARY(16) NOT NULL PRIMARY KEY, bin VARBINARY(300), blb BLOB,
  l VARCHAR(300) CHARACTER SET latin1 COLLATE latin1_bin, u TEXT CHARACTER SET utf8mb4,
  e ENUM('it''s', 'back\\\\slash', '\"q\"', '`b`', 'é🐬') CHARACTER SET utf8mb4) ENGINE=InnoDB;
CREATE TABLE `lat` (k VARCHAR(1) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL PRIMARY KEY, n INT) ENGINE=InnoDB;
CREATE TABLE {t} (`c``1` INT NOT NULL PRIMARY KEY, `c'2` VARCHAR(60) CHARACTER SET utf8mb4,
  `c\"3` VARBINARY(60), `c\\4` TEXT CHARACTER SET latin1, `ç 5 日` DOUBLE) ENGINE=InnoDB;
CREATE TABLE `stmt` (id INT AUTO_INCREMENT PRIMARY KEY, s VARCHAR(100) CHARACTER SET utf8mb4, b VARBINARY(100)) ENGINE=InnoDB;",
        db = q(AWKWARD_DB)
    )
}

/// Transactions over the awkward schema: rows with every byte (in keys
/// too, so that UPDATE and DELETE render them in WHERE), statements under
/// that default database (with latin1 and NO_BACKSLASH_ESCAPES sessions),
/// DDL adding an awkward column.
fn awkward_workload() -> Vec<String> {
    let t = q(AWKWARD_TABLE);
    let u = every_char();
    let rows: Vec<String> = (0..=255u8)
        .map(|i| {
            let mut reversed = every_byte(i);
            reversed.reverse();
            format!(
                "({}, {}, {}, CONVERT({} USING latin1), CONVERT({} USING utf8mb4), {})",
                x(&[i]),
                x(&every_byte(i)),
                x(&reversed),
                x(&every_byte(i)),
                x(u.as_bytes()),
                i % 5 + 1
            )
        })
        .collect();
    let lat: Vec<String> = (0..=255u8)
        .map(|i| format!("(CONVERT({} USING latin1), {i})", x(&[i])))
        .collect();
    vec![
        format!("INSERT INTO `bytes` VALUES {}", rows.join(",\n")),
        format!("INSERT INTO `lat` VALUES {}", lat.join(",")),
        format!(
            "INSERT INTO {t} VALUES (1, 'it''s \"q\" `b` \\\\ é🐬', X'00275C22600A0D1A', CONVERT({} USING latin1), 1.5),
             (2, '\\\\''', X'', '', -0.0), (3, NULL, NULL, NULL, NULL)",
            x(&every_byte(0))
        ),
        "UPDATE `bytes` SET bin = REVERSE(bin), l = REVERSE(l), u = CONCAT(u, '✓'), e = 2 WHERE id >= X'80'".into(),
        "UPDATE `bytes` SET id = CONCAT(id, X'00FF27225C60') WHERE id < X'10'".into(),
        "DELETE FROM `bytes` WHERE id BETWEEN X'20' AND X'30'".into(),
        "UPDATE `lat` SET n = n + 1000 WHERE k > CONVERT(X'7F' USING latin1); DELETE FROM `lat` WHERE k < CONVERT(X'05' USING latin1)".into(),
        format!("UPDATE {t} SET `c'2` = 'changed \\\\''\\\\', `c\"3` = X'FF00', `ç 5 日` = 2.5 WHERE `c``1` = 1; DELETE FROM {t} WHERE `c``1` = 2"),
        // Statements: run under the awkward default database (`USE`).
        format!(
            "SET SESSION binlog_format = STATEMENT;
             INSERT INTO `stmt` (s, b) VALUES ('it''s \\\\ \"q\" `b` é🐬', X'00FF275C');
             INSERT INTO {t} (`c``1`, `c'2`) VALUES (10, 'from a statement');
             SET SESSION binlog_format = ROW"
        ),
        // NO_BACKSLASH_ESCAPES: 'a\b' is three characters.
        "SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_BACKSLASH_ESCAPES'); SET SESSION binlog_format = STATEMENT;
         INSERT INTO `stmt` (s) VALUES ('a\\b ''q''');
         SET SESSION binlog_format = ROW; SET SESSION sql_mode = DEFAULT"
            .into(),
        // A latin1 session: the default database is still found (its name
        // is UTF-8 in the binlog, whatever the session's character set), and
        // so is the table the next rows change (looked up by name).
        "SET NAMES latin1; SET SESSION binlog_format = STATEMENT;
         INSERT INTO `stmt` (s) VALUES ('latin1 session');
         SET SESSION binlog_format = ROW; SET NAMES utf8mb4"
            .into(),
        // Rows after those statements (the session's settings put back).
        format!("UPDATE `stmt` SET b = X'5C27', s = CONCAT(s, ' é') WHERE id <= 2; INSERT INTO {t} (`c``1`, `c'2`) VALUES (11, '\\\\ \\' `')"),
        // DDL under the awkward default database, then rows on it.
        format!("ALTER TABLE {t} ADD COLUMN `n``e'w\"\\\\ ø` VARCHAR(10) CHARACTER SET utf8mb4 NOT NULL DEFAULT 'd''f' FIRST"),
        format!("INSERT INTO {t} VALUES ('x''\\\\', 20, 'after DDL', X'00', 'ÿ', 0); UPDATE {t} SET `n``e'w\"\\\\ ø` = '`' WHERE `c``1` = 1"),
    ]
}

/// Moves every table of database `from` to a new database `to` (`from` is
/// dropped).
fn move_database(db: &PrivateMariaDb, from: &str, to: &str) {
    let tables: Vec<String> = db
        .conn()
        .exec(
            "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?",
            (from,),
        )
        .unwrap();
    assert!(!tables.is_empty(), "no tables in {from}");
    let renames: Vec<String> = tables
        .iter()
        .map(|t| format!("{}.{} TO {}.{}", q(from), q(t), q(to), q(t)))
        .collect();
    db.exec(&format!(
        "CREATE DATABASE {}; RENAME TABLE {}; DROP DATABASE {}",
        q(to),
        renames.join(", "),
        q(from)
    ));
}

#[test]
fn awkward_names_and_every_byte_on_both_paths_and_through_rewrite_db() {
    awkward_names_and_every_byte_on_both_paths_and_through_rewrite_db_on(Flavour::MariaDb);
}

#[test]
fn on_mariadb_11_8_awkward_names_and_every_byte_on_both_paths_and_through_rewrite_db() {
    awkward_names_and_every_byte_on_both_paths_and_through_rewrite_db_on(Flavour::MariaDb118);
}

#[test]
fn on_mysql_9_7_awkward_names_and_every_byte_on_both_paths_and_through_rewrite_db() {
    awkward_names_and_every_byte_on_both_paths_and_through_rewrite_db_on(Flavour::MySql97);
}

fn awkward_names_and_every_byte_on_both_paths_and_through_rewrite_db_on(flavour: Flavour) {
    let mut source = PrivateMariaDb::start_flavour(flavour, &[]);
    if flavour.is_mysql() {
        // MySQL takes 4-byte characters in names but stores each as `?`:
        // no name with one reaches a row event.
        source.exec("CREATE DATABASE `🐬`; CREATE TABLE `🐬`.`🐬` (a INT)");
        let stored: Vec<(String, String)> = source
            .conn()
            .query(
                "SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES \
                 WHERE TABLE_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')",
            )
            .unwrap();
        assert_eq!(stored, vec![("?".to_string(), "?".to_string())]);
        source.exec("DROP DATABASE `?`");
    } else {
        // 4-byte characters are refused in names by the server: they cannot
        // reach a binlog.
        for refused in ["CREATE DATABASE `🐬`", "CREATE TABLE test.`🐬` (a INT)"] {
            let err = source
                .conn()
                .query_drop(refused)
                .expect_err("MariaDB refuses 4-byte characters in names");
            eprintln!("{refused}: {err}");
        }
    }
    source.exec(&awkward_schema());
    // The targets' starting point: the schema, no rows.
    let mut pristine = source.snapshot(&["--skip-log-bin"]);
    let before = source.binlogs().len();
    for sql in awkward_workload() {
        source.exec(&format!("USE {}; {sql}", q(AWKWARD_DB)));
    }
    source.exec("FLUSH BINARY LOGS");
    let files = source.binlogs_since(before);

    // One worker without --rewrite-db (each statement's context then stays
    // on the session for the next rows: deterministic), two with it.
    let replay = |target: &PrivateMariaDb, path: ApplyPath, rewrite: bool| {
        let mut r = Replay::new(files.clone(), target.options());
        r.workers = if rewrite { 2 } else { 1 };
        r.path = path;
        if rewrite {
            r.rewrite.pairs = vec![(AWKWARD_DB.into(), REWRITTEN_DB.into())];
        }
        let report = r.run(|_| {}, &AtomicBool::new(false)).unwrap_or_else(|e| {
            panic!(
                "{}: {path:?}, rewrite {rewrite}: {e}\ntarget log:\n{}",
                flavour.name(),
                target.error_log_tail(20)
            )
        });
        assert!(
            report.transactions_applied as usize >= awkward_workload().len(),
            "{path:?}, rewrite {rewrite}: {report:?}"
        );
    };

    for path in [ApplyPath::Binlog, ApplyPath::Sql] {
        let target = pristine.snapshot(&["--skip-log-bin"]);
        replay(&target, path, false);
        assert_same_tables(&source, &target);
    }
    // --rewrite-db to another awkward name: the targets have the tables
    // under that name; so does the source, once moved (the oracle).
    let targets: Vec<PrivateMariaDb> = [ApplyPath::Binlog, ApplyPath::Sql]
        .iter()
        .map(|&path| {
            let target = pristine.snapshot(&["--skip-log-bin"]);
            move_database(&target, AWKWARD_DB, REWRITTEN_DB);
            replay(&target, path, true);
            target
        })
        .collect();
    drop(pristine);
    move_database(&source, AWKWARD_DB, REWRITTEN_DB);
    for target in &targets {
        assert_same_tables(&source, target);
    }
    // The values themselves, read back from the last target (beyond
    // CHECKSUM TABLE): every byte in the binary and latin1 columns.
    let mut conn = targets[1].conn();
    let (bin, l, u): (Vec<u8>, Vec<u8>, String) = conn
        .query_first(format!(
            "SELECT bin, CAST(l AS BINARY), u FROM {}.`bytes` WHERE id = X'40'",
            q(REWRITTEN_DB)
        ))
        .unwrap()
        .unwrap();
    assert_eq!(bin, every_byte(0x40));
    assert_eq!(l, every_byte(0x40));
    assert_eq!(u, every_char());
}
