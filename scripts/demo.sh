#!/usr/bin/env bash
# scripts/demo.sh: the main job, end to end, on a private MariaDB.
#
#   bash scripts/demo.sh
#
# 1. starts a private source MariaDB (installing MariaDB and sysbench with
#    apt-get when missing), loads tables, and takes a physical snapshot (the
#    "restored backup");
# 2. runs a write workload on the source, which writes binlogs;
# 3. replays those binlogs onto two copies of the snapshot: once with
#    `mariadb-binlog | mariadb` (the DBA's way today), once with
#    `myreplay apply`;
# 4. checks every table of both targets against the source (row count,
#    CHECKSUM TABLE, SHOW CREATE TABLE) and prints the times side by side.
# Targets use innodb_flush_log_at_trx_commit=1 and no binlog. Everything lives
# in a temporary directory, removed on exit (also on error or Ctrl-C).
# DEMO_PLAIN_SQL=1 uses plain SQL instead of sysbench.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=scripts/lib/mariadb.sh
source scripts/lib/mariadb.sh

mariadb_ensure_installed
[[ -n ${DEMO_PLAIN_SQL:-} ]] || mariadb_ensure_sysbench || true

WORK=$(mktemp -d "${TMPDIR:-/tmp}/myreplay-demo.XXXXXX")
SRC=$WORK/source PIPE=$WORK/target-pipe MYR=$WORK/target-myreplay
cleanup() {
    local rc=$?
    for d in "$SRC" "$PIPE" "$MYR"; do mariadb_stop "$d" >/dev/null 2>&1 || true; done
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { printf '\n== %s\n' "$*"; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

step "building myreplay (cargo build --release)"
cargo build --release -q -p myreplay-cli
MYREPLAY=$ROOT/target/release/myreplay

step "source: a private MariaDB in $SRC"
mariadb_start "$SRC" --binlog-row-image=FULL >/dev/null
mariadb_client "$SRC" -e 'CREATE DATABASE sbtest'

use_sysbench=
if [[ -z ${DEMO_PLAIN_SQL:-} ]] && command -v sysbench >/dev/null 2>&1; then
    use_sysbench=1
    sb=(sysbench oltp_write_only --db-driver=mysql --mysql-socket="$SRC/sock"
        --mysql-user=root --mysql-password= --mysql-db=sbtest
        --tables=4 --table-size=20000 --threads=2)
    step "loading 4 tables x 20,000 rows (sysbench prepare)"
    "${sb[@]}" prepare >"$WORK/sysbench-prepare.log"
else
    step "loading tables (plain SQL)"
    {
        echo "CREATE TABLE customers (id INT PRIMARY KEY, email VARCHAR(100) NOT NULL UNIQUE, balance DECIMAL(12,2) NOT NULL DEFAULT 0) ENGINE=InnoDB;"
        echo "CREATE TABLE orders (id INT AUTO_INCREMENT PRIMARY KEY, customer_id INT NOT NULL, amount DECIMAL(12,2) NOT NULL, KEY (customer_id)) ENGINE=InnoDB;"
        for ((i = 0; i < 2000; i++)); do echo "INSERT INTO customers VALUES ($i, 'user$i@example.com', 0);"; done
    } | mariadb_client "$SRC" sbtest
fi

step "snapshot: the source is stopped and its data directory copied (the restored backup)"
mariadb_stop "$SRC" >/dev/null
mkdir -p "$WORK/snapshot"
cp -a "$SRC/data" "$WORK/snapshot/data"
mariadb_start "$SRC" --binlog-row-image=FULL >/dev/null
mapfile -t logs_before < <(mariadb_binlogs "$SRC")

if [[ -n $use_sysbench ]]; then
    step "workload: sysbench oltp_write_only, 6,000 transactions"
    "${sb[@]}" --events=6000 --time=0 --report-interval=0 run >"$WORK/sysbench-run.log"
    grep -E 'transactions:' "$WORK/sysbench-run.log" | sed 's/^ */  /'
else
    step "workload: plain SQL, 4,000 transactions"
    {
        for ((t = 0; t < 4000; t++)); do
            c=$((t * 7 % 2000))
            echo "BEGIN; UPDATE customers SET balance = balance + 1 WHERE id = $c; INSERT INTO orders (customer_id, amount) VALUES ($c, $((t % 97)).25); COMMIT;"
        done
    } | mariadb_client "$SRC" sbtest
fi
mariadb_client "$SRC" -e 'FLUSH BINARY LOGS'
mapfile -t logs_after < <(mariadb_binlogs "$SRC")
# The files written after the snapshot: from the one current at the
# snapshot to the one before the (empty) newest.
files=("${logs_after[@]:${#logs_before[@]}-1:${#logs_after[@]}-${#logs_before[@]}}")
bytes=$(cat "${files[@]}" | wc -c)
printf '  binlogs to replay: %d file(s), %d bytes, %s transactions\n' "${#files[@]}" "$bytes" \
    "$("$MYREPLAY" transactions "${files[@]}" | wc -l)"

# Rows, CHECKSUM TABLE and definition of every table (the library's
# fingerprint, without its AUTO_INCREMENT column).
fingerprint() { mariadb_fingerprint "$1" sbtest | cut -f1-4; }
fingerprint "$SRC" >"$WORK/expected.tsv"

target() {
    mkdir -p "$1"
    cp -a "$WORK/snapshot/data" "$1/data"
    mariadb_start "$1" --skip-log-bin --innodb-flush-log-at-trx-commit=1 >/dev/null
}
verify() {
    fingerprint "$1" >"$1.tsv"
    if cmp -s "$WORK/expected.tsv" "$1.tsv"; then
        echo "identical to the source ($(wc -l <"$1.tsv") tables: rows, CHECKSUM TABLE, definition)"
    else
        diff "$WORK/expected.tsv" "$1.tsv" >&2 || true
        echo "DIFFERENT from the source" && return 1
    fi
}

step "replay 1: mariadb-binlog | mariadb"
target "$PIPE"
t0=$(now)
mariadb-binlog --no-defaults "${files[@]}" | mariadb_client "$PIPE"
pipe_s=$(since "$t0")
pipe_ok=$(verify "$PIPE")
echo "  $pipe_s s, $pipe_ok"

step "replay 2: myreplay apply --workers 2"
target "$MYR"
t0=$(now)
"$MYREPLAY" apply -S "$MYR/sock" -u root --workers 2 "${files[@]}"
myr_s=$(since "$t0")
myr_ok=$(verify "$MYR")
echo "  $myr_s s, $myr_ok"

step "result"
printf '  %-28s %8s s   %s\n' "mariadb-binlog | mariadb" "$pipe_s" "$pipe_ok"
printf '  %-28s %8s s   %s\n' "myreplay apply (2 workers)" "$myr_s" "$myr_ok"
awk -v a="$pipe_s" -v b="$myr_s" 'BEGIN { if (b > 0) printf "  myreplay: %.1fx faster than the pipe\n", a / b }'
