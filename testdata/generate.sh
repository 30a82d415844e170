#!/usr/bin/env bash
# testdata/generate.sh: regenerate the MariaDB binlog fixtures in
# testdata/mariadb/ with the reference implementation (a real MariaDB server
# and its own tools). See testdata/README.md for what each file holds.
#
# Usage: bash testdata/generate.sh        (as root on Debian, or any user with
#                                          MariaDB installed; no root service
#                                          is used, nothing outside a temp dir)
#
# Output, for each binlog NAME (binlog.000001 .. binlog.000005):
#   NAME               the binary log itself
#   NAME.events.tsv    offset<TAB>end<TAB>type per event, from the server's
#                      SHOW BINLOG EVENTS, checked against mariadb-binlog's
#                      "# at" / end_log_pos lines
#   NAME.summary.json  counts: events by type, transactions (GTID events),
#                      rows inserted/updated/deleted (mariadb-binlog -vv), GTIDs
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${TESTDATA_OUT:-$ROOT/testdata/mariadb}
# shellcheck source=scripts/lib/mariadb.sh
source "$ROOT/scripts/lib/mariadb.sh"

mariadb_ensure_installed

WORK=$(mktemp -d "${TMPDIR:-/tmp}/myreplay-gen.XXXXXX")
cleanup() {
    mariadb_stop "$WORK" || true
    rm -rf "$WORK"
}
trap cleanup EXIT

# Every session: utf8mb4 connection, UTC, a fixed clock (event header
# timestamps come from the session's TIMESTAMP, so they are stable too).
sql() {
    mariadb_client "$WORK" --default-character-set=utf8mb4 fixtures
}
# part N: the session clock starts at 2023-11-14 22:13:20 UTC + N hours.
session_prelude() {
    printf "SET time_zone='+00:00'; SET TIMESTAMP=%d;\n" $((1700000000 + $1 * 3600))
}
# Rotate to a new binlog, then wait for the server's background thread to
# write the Binlog_checkpoint event that names the new file, so that it lands
# at the same place on every run (right after the file's own header events).
flush() {
    local cur i
    mariadb_client "$WORK" -e 'FLUSH BINARY LOGS'
    cur=$(mariadb_client "$WORK" -N -B -e 'SHOW MASTER STATUS' | cut -f1)
    for ((i = 0; i < 100; i++)); do
        if mariadb_client "$WORK" -N -B -e "SHOW BINLOG EVENTS IN '$cur'" |
            awk -F'\t' -v f="$cur" '$3 == "Binlog_checkpoint" && $6 == f { ok = 1 } END { exit !ok }'; then
            return 0
        fi
        sleep 0.1
    done
    echo "no Binlog_checkpoint for $cur after 10 s" >&2
    return 1
}

mariadb_start "$WORK" --binlog-row-image=FULL --log-bin-compress=OFF \
    --max-binlog-size=64M >/dev/null
mariadb_client "$WORK" -e 'CREATE DATABASE fixtures DEFAULT CHARACTER SET utf8mb4'

# 256 bytes 00..ff, as hex, for BLOB / VARBINARY values with every byte value.
ALL_BYTES=$(for ((b = 0; b < 256; b++)); do printf '%02X' "$b"; done)

# ---------------------------------------------------------------------------
# binlog.000001: every column type, binlog_row_image=FULL
# ---------------------------------------------------------------------------
{
    session_prelude 1
    cat <<SQL
CREATE TABLE all_types (
  id INT NOT NULL PRIMARY KEY,
  ti TINYINT, tiu TINYINT UNSIGNED, si SMALLINT, siu SMALLINT UNSIGNED,
  mi MEDIUMINT, miu MEDIUMINT UNSIGNED, i INT, iu INT UNSIGNED,
  bi BIGINT, biu BIGINT UNSIGNED,
  d1 DECIMAL(1,0), d5_2 DECIMAL(5,2), d10_4 DECIMAL(10,4), d18_9 DECIMAL(18,9),
  d30_10 DECIMAL(30,10), d65_30 DECIMAL(65,30), du DECIMAL(10,2) UNSIGNED,
  f FLOAT, dbl DOUBLE,
  b1 BIT(1), b17 BIT(17), b64 BIT(64),
  e ENUM('a','b','c','été'), s SET('x','y','z','ü'),
  dt DATE, t0 TIME, t6 TIME(6), dt0 DATETIME, dt3 DATETIME(3), dt6 DATETIME(6),
  ts0 TIMESTAMP NULL DEFAULT NULL, ts6 TIMESTAMP(6) NULL DEFAULT NULL, y YEAR,
  c_u CHAR(10) CHARACTER SET utf8mb4, c_u_big CHAR(100) CHARACTER SET utf8mb4,
  vc_u VARCHAR(100) CHARACTER SET utf8mb4, vc_u_short VARCHAR(20) CHARACTER SET utf8mb4,
  tt_u TINYTEXT CHARACTER SET utf8mb4, tx_u TEXT CHARACTER SET utf8mb4,
  lt_u LONGTEXT CHARACTER SET utf8mb4,
  c_l CHAR(10) CHARACTER SET latin1, vc_l VARCHAR(300) CHARACTER SET latin1,
  vc_l_short VARCHAR(50) CHARACTER SET latin1, tx_l TEXT CHARACTER SET latin1,
  bin BINARY(4), vbin VARBINARY(300), tblb TINYBLOB, blb BLOB, mblb MEDIUMBLOB,
  j JSON, ip INET6, u UUID,
  g GEOMETRY, pt POINT, poly POLYGON
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- 1: minimum / most negative values
INSERT INTO all_types VALUES (1,
  -128, 0, -32768, 0, -8388608, 0, -2147483648, 0, -9223372036854775808, 0,
  -9, -999.99, -123456.7890, -123456789.123456789,
  -12345678901234567890.1234567890,
  -12345678901234567890123456789012345.123456789012345678901234567890, 0.00,
  -3.402823e38, -1.7976931348623157e308,
  b'0', b'0', 0,
  'a', '',
  '1000-01-01', '-838:59:59', '-838:59:59.999999', '1000-01-01 00:00:00',
  '1000-01-01 00:00:00.001', '1000-01-01 00:00:00.000001',
  '1970-01-01 00:00:01', '1970-01-01 00:00:01.000001', 1901,
  '', '', '', '', '', '', '',
  '', '', '', '',
  0x00000000, '', '', '', '',
  '[]', '::', '00000000-0000-0000-0000-000000000000',
  ST_GeomFromText('POINT(0 0)'), ST_GeomFromText('POINT(-180 -90)'),
  ST_GeomFromText('POLYGON((0 0,1 0,1 1,0 0))'));

-- 2: maximum values, long strings, every byte value
INSERT INTO all_types VALUES (2,
  127, 255, 32767, 65535, 8388607, 16777215, 2147483647, 4294967295,
  9223372036854775807, 18446744073709551615,
  9, 999.99, 999999.9999, 999999999.999999999,
  99999999999999999999.9999999999,
  99999999999999999999999999999999999.999999999999999999999999999999, 99999999.99,
  3.402823e38, 1.7976931348623157e308,
  b'1', b'11111111111111111', 0xFFFFFFFFFFFFFFFF,
  'été', 'x,y,z,ü',
  '9999-12-31', '838:59:59', '838:59:59.999999', '9999-12-31 23:59:59',
  '9999-12-31 23:59:59.999', '9999-12-31 23:59:59.999999',
  '2038-01-19 03:14:07', '2038-01-19 03:14:07.999999', 2155,
  REPEAT('é', 10), REPEAT('🐬', 100), REPEAT('ж', 100), REPEAT('€', 20),
  REPEAT('ü', 127), REPEAT('日本語', 300), REPEAT('𝄞', 1000),
  REPEAT('ÿ', 10), REPEAT('é', 300), REPEAT('ñ', 50), REPEAT('Ça va, élève ', 100),
  0xFFFFFFFF, UNHEX('$ALL_BYTES'), UNHEX(SUBSTRING('$ALL_BYTES', 3)), UNHEX(REPEAT('$ALL_BYTES', 4)),
  UNHEX(REPEAT('$ALL_BYTES', 64)),
  JSON_OBJECT('k', REPEAT('v', 500), 'n', 1.5e300, 'arr', JSON_ARRAY(1, 2, 3)),
  'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'ffffffff-ffff-ffff-ffff-ffffffffffff',
  ST_GeomFromText('LINESTRING(0 0,1 1,2 3)'), ST_GeomFromText('POINT(180 90)'),
  ST_GeomFromText('POLYGON((0 0,10 0,10 10,0 10,0 0),(2 2,4 2,4 4,2 4,2 2))'));

-- 3: NULL in every nullable column
INSERT INTO all_types (id) VALUES (3);

-- 4: ordinary values, non-ASCII text; 5: zeros and zero dates
INSERT INTO all_types VALUES (4,
  -1, 1, -300, 300, -70000, 70000, -1, 1, -1, 1,
  -1, -0.50, -0.0001, 0.000000001, -0.0000000001, -0.000000000000000000000000000001, 12.34,
  1.5, -0.1,
  b'1', b'10101010101010101', b'101',
  'b', 'x,ü',
  '2024-02-29', '-12:34:56', '-00:00:00.500000', '2024-02-29 12:34:56',
  '2024-02-29 12:34:56.789', '2024-02-29 12:34:56.789012',
  '2024-02-29 12:34:56', '2024-02-29 12:34:56.123456', 2024,
  'Grüße', 'Grüße, 世界 🐬', 'Grüße, 世界 🐬', 'naïve café', 'ℕ ⊆ ℤ', 'Ελληνικά', 'emoji 🐬🎉',
  'Ça va', 'élève ñ ß', 'Ærø', 'Ça va, élève, garçon, ñandú',
  0xDEADBEEF, 0x00FF00FF0A0D, 0x00, 0x0102030405, 0xCAFEBABE,
  '{"a": [1, 2.5, "ü", null, true], "b": {"c": "🐬"}}', '2001:db8::1',
  '123e4567-e89b-12d3-a456-426614174000',
  ST_GeomFromText('MULTIPOINT(1 1,2 2)'), ST_GeomFromText('POINT(1.5 -2.25)'),
  ST_GeomFromText('POLYGON((0 0,3 0,3 3,0 0))')),
 (5,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0,
  0, 0,
  b'0', 0, 0,
  'c', 'y',
  '0000-00-00', '00:00:00', '00:00:00.000000', '0000-00-00 00:00:00',
  '0000-00-00 00:00:00.000', '0000-00-00 00:00:00.000000',
  '0000-00-00 00:00:00', '0000-00-00 00:00:00.000000', 0,
  ' ', 'a ', 'trailing  ', '0', ' ', '', '',
  'A', 'a ', 'b', '',
  0x00, 0x00, 0x00, 0x00, 0x00,
  'null', '::1', '00000000-0000-0000-0000-000000000001',
  NULL, NULL, NULL);

-- updates: one column, NULL -> value, value -> NULL, several rows at once
UPDATE all_types SET i = i + 1, vc_u = CONCAT(vc_u, ' ✓') WHERE id = 4;
UPDATE all_types SET ti = 42, d5_2 = -1.23, t6 = '-01:02:03.000004', j = '{"x": 1}', pt = ST_GeomFromText('POINT(3 4)') WHERE id = 3;
UPDATE all_types SET ti = NULL, blb = NULL, dt6 = NULL, s = NULL WHERE id = 4;
UPDATE all_types SET e = 'c' WHERE id IN (1, 2, 5);
-- primary key change
UPDATE all_types SET id = 40 WHERE id = 4;
-- deletes
DELETE FROM all_types WHERE id = 5;
SQL
} | sql
flush

# ---------------------------------------------------------------------------
# binlog.000002: the same table with binlog_row_image=MINIMAL, then NOBLOB
# ---------------------------------------------------------------------------
{
    session_prelude 2
    cat <<SQL
SET SESSION binlog_row_image = MINIMAL;
INSERT INTO all_types (id, i, vc_u, blb) VALUES (6, 6, 'minimal ✓', 0x0606);
UPDATE all_types SET i = 7 WHERE id = 6;
UPDATE all_types SET vc_u = 'minimal, two rows' WHERE id IN (1, 6);
UPDATE all_types SET id = 60 WHERE id = 6;
DELETE FROM all_types WHERE id = 60;

SET SESSION binlog_row_image = NOBLOB;
INSERT INTO all_types (id, i, vc_u, tx_u, blb) VALUES (7, 7, 'noblob', 'text ✓', 0x0707);
UPDATE all_types SET i = 8 WHERE id = 7;
UPDATE all_types SET blb = 0x080808, tx_u = 'changed text' WHERE id = 7;
UPDATE all_types SET si = 1234 WHERE id = 2;
DELETE FROM all_types WHERE id = 7;
SQL
} | sql
flush

# ---------------------------------------------------------------------------
# binlog.000003: DDL, statement-format DML with its context, savepoints,
# rollback, XA, non-transactional engine, foreign keys, a second GTID domain
# ---------------------------------------------------------------------------
{
    session_prelude 3
    cat <<'SQL'
CREATE TABLE ddl_t (id INT AUTO_INCREMENT PRIMARY KEY, a INT, b VARCHAR(20)) ENGINE=InnoDB;
ALTER TABLE ddl_t ADD COLUMN c DATETIME NULL, ADD UNIQUE KEY uk_b (b);
CREATE INDEX idx_a ON ddl_t (a);
CREATE TABLE to_drop (id INT PRIMARY KEY);
INSERT INTO to_drop VALUES (1);
DROP TABLE to_drop;
DROP TABLE IF EXISTS never_existed;

CREATE TABLE gen_cols (id INT PRIMARY KEY, a INT, v INT AS (a * 2) VIRTUAL, p INT AS (a + 1) PERSISTENT);
INSERT INTO gen_cols (id, a) VALUES (1, 10), (2, 20);
UPDATE gen_cols SET a = 11 WHERE id = 1;

CREATE TABLE parent (id INT PRIMARY KEY, name VARCHAR(20)) ENGINE=InnoDB;
CREATE TABLE child (id INT PRIMARY KEY, parent_id INT,
  FOREIGN KEY (parent_id) REFERENCES parent (id) ON DELETE CASCADE) ENGINE=InnoDB;
INSERT INTO parent VALUES (1, 'p1'), (2, 'p2');
INSERT INTO child VALUES (10, 1), (11, 1), (20, 2);
-- the cascaded child deletes are not in the binlog
DELETE FROM parent WHERE id = 1;

CREATE TABLE no_pk (a INT, b VARCHAR(10));
INSERT INTO no_pk VALUES (1, 'x'), (1, 'x'), (2, 'y');
DELETE FROM no_pk WHERE a = 1 LIMIT 1;

-- non-transactional engine: BEGIN ... Query COMMIT, no Xid
CREATE TABLE myisam_t (id INT PRIMARY KEY, v VARCHAR(10)) ENGINE=MyISAM;
INSERT INTO myisam_t VALUES (1, 'myisam');

-- savepoint, row format
BEGIN;
INSERT INTO ddl_t (a, b) VALUES (1, 'one');
SAVEPOINT sp1;
INSERT INTO ddl_t (a, b) VALUES (2, 'two');
ROLLBACK TO SAVEPOINT sp1;
INSERT INTO ddl_t (a, b) VALUES (3, 'three');
COMMIT;

-- a rolled-back transaction: not logged
BEGIN;
INSERT INTO ddl_t (a, b) VALUES (99, 'rolled back');
ROLLBACK;

-- XA: prepare + commit, prepare + rollback, one phase
XA START 'xa1';
INSERT INTO ddl_t (a, b) VALUES (4, 'xa one');
UPDATE ddl_t SET a = 5 WHERE b = 'one';
XA END 'xa1';
XA PREPARE 'xa1';
XA COMMIT 'xa1';
XA START 'xa2', 'branch', 7;
INSERT INTO ddl_t (a, b) VALUES (6, 'xa two');
XA END 'xa2', 'branch', 7;
XA PREPARE 'xa2', 'branch', 7;
XA ROLLBACK 'xa2', 'branch', 7;
XA START 'xa3';
INSERT INTO ddl_t (a, b) VALUES (7, 'xa three');
XA END 'xa3';
XA COMMIT 'xa3' ONE PHASE;

-- another GTID domain
SET SESSION gtid_domain_id = 2;
INSERT INTO ddl_t (a, b) VALUES (8, 'domain 2');
SET SESSION gtid_domain_id = 0;

-- statement format, with non-default context
SET SESSION binlog_format = STATEMENT;
SET SESSION sql_mode = 'ANSI_QUOTES,PIPES_AS_CONCAT,NO_ZERO_DATE,STRICT_ALL_TABLES';
SET SESSION time_zone = '+05:30';
SET SESSION auto_increment_increment = 5, auto_increment_offset = 3;
CREATE TABLE stmt_t (id INT AUTO_INCREMENT PRIMARY KEY, r DOUBLE, s VARCHAR(50),
  ts TIMESTAMP NULL DEFAULT NULL, n INT);
INSERT INTO stmt_t (r, s, ts) VALUES (RAND(), 'a' || 'b', NOW());
INSERT INTO stmt_t (r, s) VALUES (RAND(7), 'seeded');
SET @uv = 'from a user variable', @num = 42;
INSERT INTO stmt_t (s, n) VALUES (@uv, @num);
INSERT INTO stmt_t (s, n) VALUES ('last id', LAST_INSERT_ID());
UPDATE stmt_t SET ts = '2024-02-29 12:00:00' WHERE "s" = 'seeded' OR s = 'seeded';
CREATE TEMPORARY TABLE tmp_t (id INT, s VARCHAR(20));
INSERT INTO tmp_t VALUES (1, 'from temp');
INSERT INTO stmt_t (s) SELECT s FROM tmp_t;
DROP TEMPORARY TABLE tmp_t;
-- savepoint, statement format
BEGIN;
INSERT INTO stmt_t (s) VALUES ('sp kept');
SAVEPOINT sp2;
INSERT INTO stmt_t (s) VALUES ('sp rolled back');
ROLLBACK TO SAVEPOINT sp2;
COMMIT;
DELETE FROM stmt_t WHERE s = 'ab';
SQL
} | sql
flush

# ---------------------------------------------------------------------------
# binlog.000004: one large transaction (20,000 short rows)
# ---------------------------------------------------------------------------
{
    session_prelude 4
    cat <<'SQL'
CREATE TABLE big (id INT PRIMARY KEY, v INT NOT NULL) ENGINE=InnoDB;
SET SESSION max_recursive_iterations = 100000;
BEGIN;
INSERT INTO big (id, v)
  WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
  SELECT i, i * 7 FROM n;
COMMIT;
SQL
} | sql
flush

# ---------------------------------------------------------------------------
# binlog.000005: log_bin_compress=ON; ends with a STOP event (clean shutdown)
# ---------------------------------------------------------------------------
mariadb_client "$WORK" -e 'SET GLOBAL log_bin_compress = ON; SET GLOBAL log_bin_compress_min_len = 10'
{
    session_prelude 5
    cat <<'SQL'
CREATE TABLE compressed_t (id INT PRIMARY KEY, s VARCHAR(200), b BLOB) ENGINE=InnoDB;
INSERT INTO compressed_t VALUES (1, REPEAT('compress me ', 10), REPEAT(0xAB, 100)),
  (2, 'short', NULL), (3, REPEAT('é', 150), 0x00);
UPDATE compressed_t SET s = REPEAT('updated ', 20) WHERE id IN (1, 2);
DELETE FROM compressed_t WHERE id = 3;
BEGIN;
INSERT INTO compressed_t VALUES (4, 'in a transaction', NULL);
UPDATE big SET v = v + 1 WHERE id <= 100;
COMMIT;
SET SESSION binlog_format = STATEMENT;
INSERT INTO compressed_t (id, s) VALUES (5, 'statement format, compressed query event');
UPDATE compressed_t SET s = CONCAT(s, ' ✓') WHERE id = 5;
SQL
} | sql

# The binlogs, in order, before the shutdown writes STOP into the last one.
mapfile -t LOGS < <(mariadb_binlogs "$WORK")
[[ ${#LOGS[@]} -eq 5 ]] || {
    echo "expected 5 binlogs, got ${#LOGS[@]}: ${LOGS[*]}" >&2
    exit 1
}
mariadb_stop "$WORK"

rm -rf "$OUT"
mkdir -p "$OUT"
for f in "${LOGS[@]}"; do
    cp "$f" "$OUT/"
done

# Restart (this opens binlog.000006, which is not kept) so that the server
# can list the events of the closed files with SHOW BINLOG EVENTS.
mariadb_start "$WORK" >/dev/null

# type code -> name, as the server names events (Log_event::get_type_str)
for f in "${LOGS[@]}"; do
    name=$(basename "$f")
    cmp -s "$f" "$OUT/$name" || {
        echo "$name changed on restart" >&2
        exit 1
    }
    out=$OUT/$name
    # Pos, Event_type, End_log_pos, Info (-B escapes tabs/newlines in Info)
    mariadb_client "$WORK" -N -B -e "SHOW BINLOG EVENTS IN '$name'" |
        awk -F'\t' -v OFS='\t' '{ print $2, $5, $3, $6 }' >"$WORK/$name.show"
    cut -f1-3 "$WORK/$name.show" >"$out.events.tsv"

    # Cross-check offsets and end positions with mariadb-binlog. It prints a
    # "# at N" line before each event, but for row events several "# at"
    # lines can precede their headers: pair them in order.
    mariadb-binlog --no-defaults --base64-output=decode-rows -vv "$out" >"$WORK/$name.txt"
    grep -E '^# at [0-9]+$' "$WORK/$name.txt" | awk '{ print $3 }' >"$WORK/$name.at"
    grep -E '^#[0-9]{6} +[0-9]+:[0-9]+:[0-9]+ server id [0-9]+ +end_log_pos [0-9]+ ' "$WORK/$name.txt" |
        sed -E 's/.* end_log_pos ([0-9]+) .*/\1/' >"$WORK/$name.end"
    paste "$WORK/$name.at" "$WORK/$name.end" >"$WORK/$name.tool"
    cut -f1-2 "$out.events.tsv" >"$WORK/$name.server"
    if ! diff -u "$WORK/$name.server" "$WORK/$name.tool" >"$WORK/$name.diff"; then
        echo "$name: SHOW BINLOG EVENTS and mariadb-binlog disagree on event positions:" >&2
        head -40 "$WORK/$name.diff" >&2
        exit 1
    fi
    # The file size must be the end of the last event.
    size=$(wc -c <"$out")
    last_end=$(tail -1 "$out.events.tsv" | cut -f2)
    [[ $size -eq $last_end ]] || {
        echo "$name: size $size but last event ends at $last_end" >&2
        exit 1
    }
    # Event type codes, read from the file (header byte 4 of each event).
    while IFS=$'\t' read -r pos _ type; do
        printf '%s\t%s\n' "$type" "$(od -An -tu1 -j $((pos + 4)) -N1 "$out" | tr -d ' ')"
    done <"$out.events.tsv" | sort -u >"$WORK/$name.codes"

    inserted=$(grep -c '^### INSERT INTO ' "$WORK/$name.txt" || true)
    updated=$(grep -c '^### UPDATE ' "$WORK/$name.txt" || true)
    deleted=$(grep -c '^### DELETE FROM ' "$WORK/$name.txt" || true)

    awk -F'\t' -v file="$name" -v size="$size" -v ins="$inserted" -v upd="$updated" \
        -v del="$deleted" -v codes="$WORK/$name.codes" '
        function js(s) { gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); return "\"" s "\"" }
        BEGIN { while ((getline line < codes) > 0) { split(line, c, "\t"); code[c[1]] = c[2] } }
        {
            n++
            if (!($3 in count)) order[++ntypes] = $3
            count[$3]++
            if (n == 1) first = $3
            last = $3
            if ($3 == "Format_desc" && match($4, /Server ver: [^,]*/))
                version = substr($4, RSTART + 12, RLENGTH - 12)
            if ($3 == "Gtid") {
                if (match($4, /GTID [0-9]+-[0-9]+-[0-9]+/)) gtids[++ngtid] = substr($4, RSTART + 5, RLENGTH - 5)
            }
            if ($3 == "Gtid_list") gtid_list = $4
            if ($3 == "Rotate") { rotate = $4; sub(/;.*/, "", rotate) }
            if ($3 == "Table_map" && match($4, /\(.*\)$/)) {
                t = substr($4, RSTART + 1, RLENGTH - 2)
                if (!(t in seen)) { seen[t] = 1; tables[++ntables] = t }
            }
            if ($3 == "XA_prepare") xa_prepare++
        }
        END {
            # events_by_type sorted by name, for a stable file
            for (i = 1; i <= ntypes; i++) sorted[i] = order[i]
            for (i = 1; i <= ntypes; i++) for (j = i + 1; j <= ntypes; j++)
                if (sorted[j] < sorted[i]) { t = sorted[i]; sorted[i] = sorted[j]; sorted[j] = t }
            printf "{\n"
            printf "  \"file\": %s,\n", js(file)
            printf "  \"size\": %d,\n", size
            printf "  \"server_version\": %s,\n", js(version)
            printf "  \"events\": %d,\n", n
            printf "  \"first_event\": %s,\n", js(first)
            printf "  \"last_event\": %s,\n", js(last)
            printf "  \"events_by_type\": {"
            for (i = 1; i <= ntypes; i++) printf "%s\n    %s: %d", (i > 1 ? "," : ""), js(sorted[i]), count[sorted[i]]
            printf "\n  },\n"
            printf "  \"event_type_codes\": {"
            for (i = 1; i <= ntypes; i++) printf "%s\n    %s: %d", (i > 1 ? "," : ""), js(sorted[i]), code[sorted[i]]
            printf "\n  },\n"
            printf "  \"transactions\": %d,\n", ngtid
            printf "  \"xa_prepared\": %d,\n", xa_prepare
            printf "  \"rows\": { \"inserted\": %d, \"updated\": %d, \"deleted\": %d },\n", ins, upd, del
            printf "  \"gtid_list\": %s,\n", js(gtid_list)
            printf "  \"gtids\": ["
            for (i = 1; i <= ngtid; i++) printf "%s%s", (i > 1 ? ", " : ""), js(gtids[i])
            printf "],\n"
            printf "  \"tables\": ["
            for (i = 1; i <= ntables; i++) printf "%s%s", (i > 1 ? ", " : ""), js(tables[i])
            printf "],\n"
            printf "  \"rotate_to\": %s\n", (rotate == "" ? "null" : js(rotate))
            printf "}\n"
        }' "$WORK/$name.show" >"$out.summary.json"
done
mariadb_stop "$WORK"

# Report
echo
echo "fixtures in ${OUT#"$ROOT"/}:"
for f in "${LOGS[@]}"; do
    name=$(basename "$f")
    printf '  %-16s %8d bytes  %4d events  %s\n' "$name" "$(wc -c <"$OUT/$name")" \
        "$(wc -l <"$OUT/$name.events.tsv")" \
        "$(cut -f3 "$OUT/$name.events.tsv" | sort | uniq -c | awk '{ n = $1; sub(/^ *[0-9]+ /, ""); printf "%s%s=%s", (NR > 1 ? ", " : ""), $0, n }')"
done
total=$(cat "$OUT"/binlog.?????? | wc -c)
echo "  total binlog bytes: $total"
if ((total > 1000000)); then
    echo "fixtures are larger than 1 MB: shrink the workload" >&2
    exit 1
fi
