#!/usr/bin/env bash
# scripts/gen-bench-binlog.sh: make the parser benchmark's input.
#
#   bash scripts/gen-bench-binlog.sh
#
# Writes benches/data/sysbench-oltp-write-only.binlog (git-ignored): one
# MariaDB binlog of at least 100 MB (about 130 MB) holding only sysbench
# oltp_write_only transactions (8 tables x 100k rows; the `prepare` step is
# not in it), ROW format, FULL row image, CRC32. Beside it,
# sysbench-oltp-write-only.summary.json holds mariadb-binlog's counts (events,
# GTIDs, rows), for the benchmark to check its own result against.
#
# Idempotent: when the binlog exists already, it says so and exits 0 (delete
# the file to make a new one). Installs MariaDB and sysbench with apt-get when
# missing. Takes a few minutes; needs ~1 GB free in $TMPDIR (or /tmp).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=scripts/lib/mariadb.sh
source scripts/lib/mariadb.sh

DATA=$ROOT/benches/data
OUT=$DATA/sysbench-oltp-write-only.binlog
SUMMARY=$DATA/sysbench-oltp-write-only.summary.json
MIN_BYTES=$((100 * 1024 * 1024))
TABLES=8
TABLE_SIZE=100000
CHUNK_EVENTS=20000 # sysbench transactions per run; runs repeat until MIN_BYTES
FIRST_EVENTS=60000

if [[ -f $OUT ]]; then
    echo "$OUT exists already ($(wc -c <"$OUT") bytes): nothing to do (delete it to regenerate)"
    exit 0
fi

mariadb_ensure_installed
mariadb_ensure_sysbench

WORK=$(mktemp -d "${TMPDIR:-/tmp}/myreplay-bench.XXXXXX")
cleanup() {
    local rc=$?
    mariadb_stop "$WORK" || true
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Durability settings only change how fast the server writes, not what it
# writes into the binlog.
mariadb_start "$WORK" --binlog-row-image=FULL --max-binlog-size=1G \
    --innodb-buffer-pool-size=512M --innodb-log-file-size=256M \
    --innodb-flush-log-at-trx-commit=0 --sync-binlog=0 --max-connections=64 >/dev/null
mariadb_client "$WORK" -e 'CREATE DATABASE sbtest'

sb=(sysbench oltp_write_only --db-driver=mysql --mysql-socket="$WORK/sock"
    --mysql-user=root --mysql-password= --mysql-db=sbtest
    --tables="$TABLES" --table-size="$TABLE_SIZE" --threads=4 --rand-seed=42)

echo "sysbench prepare: $TABLES tables x $TABLE_SIZE rows"
"${sb[@]}" prepare >"$WORK/prepare.log"
# Start the binlog afresh: only the oltp_write_only transactions go in it.
mariadb_client "$WORK" -e 'RESET MASTER'

current_size() {
    mariadb_client "$WORK" -N -B -e 'SHOW BINARY LOGS' | tail -1 | cut -f2
}

events=$FIRST_EVENTS
while :; do
    echo "sysbench run: $events transactions"
    "${sb[@]}" --events="$events" --time=0 --report-interval=0 run >"$WORK/run.log"
    grep -E 'transactions:' "$WORK/run.log" | sed 's/^ */  /'
    size=$(current_size)
    echo "  binlog now $size bytes"
    ((size >= MIN_BYTES)) && break
    events=$CHUNK_EVENTS
done

mapfile -t logs < <(mariadb_binlogs "$WORK")
if [[ ${#logs[@]} -ne 1 ]]; then
    echo "expected one binlog file, got ${#logs[@]}: ${logs[*]}" >&2
    exit 1
fi
# A clean shutdown closes the file (STOP event, "in use" flag cleared).
mariadb_stop "$WORK"

mkdir -p "$DATA"
cp "${logs[0]}" "$OUT.tmp"

echo "counting events with mariadb-binlog"
mariadb-binlog --no-defaults --base64-output=decode-rows -vv "$OUT.tmp" >"$WORK/decoded.txt"
n_events=$(grep -cE '^# at [0-9]+$' "$WORK/decoded.txt" || true)
n_gtids=$(grep -cE '^#[0-9]{6} .*[[:space:]]GTID [0-9]+-[0-9]+-[0-9]+' "$WORK/decoded.txt" || true)
n_ins=$(grep -c '^### INSERT INTO ' "$WORK/decoded.txt" || true)
n_upd=$(grep -c '^### UPDATE ' "$WORK/decoded.txt" || true)
n_del=$(grep -c '^### DELETE FROM ' "$WORK/decoded.txt" || true)
size=$(wc -c <"$OUT.tmp")
cat >"$SUMMARY" <<JSON
{
  "file": "$(basename "$OUT")",
  "size": $size,
  "server_version": "$("$(_mariadb_which mariadbd)" --version 2>/dev/null | awk '{ print $3 }' || true)",
  "workload": "sysbench oltp_write_only, $TABLES tables x $TABLE_SIZE rows, binlog_format=ROW, binlog_row_image=FULL",
  "events": $n_events,
  "transactions": $n_gtids,
  "rows": { "inserted": $n_ins, "updated": $n_upd, "deleted": $n_del }
}
JSON
mv "$OUT.tmp" "$OUT"

echo
echo "wrote $OUT"
echo "  $size bytes ($((size / 1024 / 1024)) MiB), $n_events events, $n_gtids transactions,"
echo "  rows: $n_ins inserted, $n_upd updated, $n_del deleted"
echo "wrote $SUMMARY"
echo
echo "reference decoder speed:  time mariadb-binlog $OUT > /dev/null"
