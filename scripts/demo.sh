#!/usr/bin/env bash
# scripts/demo.sh: the main job, end to end, on a private MariaDB.
#
#   bash scripts/demo.sh
#
# 1. starts a private source MariaDB (installing MariaDB, mariadb-backup and
#    sysbench with apt-get when missing) and loads tables;
# 2. runs a write workload on the source and, while it writes, takes a real
#    backup with mariadb-backup: its binlog position falls inside a file, as
#    every backup's does; the workload goes on after the backup;
# 3. prepares the backup and restores it (mariadb-backup --copy-back) into
#    two fresh data directories, the two targets;
# 4. recovers each target to the source's last transaction: once the DBA's
#    way today (read the position from xtrabackup_binlog_info, then
#    `mariadb-binlog --start-position=POS FILE... | mariadb`), once with
#    `myreplay apply --from-backup BACKUP --binlog-dir SOURCE_DATADIR`, which
#    reads the start from the backup and finds the binlogs itself;
# 5. checks every table of both targets against the source (row count,
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
mariadb_ensure_backup_tools
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
# Binlogs of 16 MiB: the workload spans several files, as real ones do.
mariadb_start "$SRC" --binlog-row-image=FULL --max-binlog-size=16M >/dev/null
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

BACKUP=$WORK/backup
# The load's binlog is one the backup holds whole.
mariadb_client "$SRC" -e 'FLUSH BINARY LOGS'
if [[ -n $use_sysbench ]]; then
    step "workload: sysbench oltp_write_only, 10,000 transactions; mariadb-backup while it writes"
    "${sb[@]}" --events=10000 --time=0 --report-interval=0 run >"$WORK/sysbench-run.log" &
else
    step "workload: plain SQL, 4,000 transactions; mariadb-backup while it writes"
    {
        for ((t = 0; t < 4000; t++)); do
            c=$((t * 7 % 2000))
            echo "BEGIN; UPDATE customers SET balance = balance + 1 WHERE id = $c; INSERT INTO orders (customer_id, amount) VALUES ($c, $((t % 97)).25); COMMIT;"
        done
    } | mariadb_client "$SRC" sbtest &
fi
workload=$!
sleep 1
mariadb-backup --no-defaults --backup --target-dir="$BACKUP" --socket="$SRC/sock" --user=root \
    >"$WORK/backup.log" 2>&1 || { tail -20 "$WORK/backup.log" >&2; exit 1; }
wait "$workload"
[[ -n $use_sysbench ]] && grep -E 'transactions:' "$WORK/sysbench-run.log" | sed 's/^ */  /'
mariadb_client "$SRC" -e 'FLUSH BINARY LOGS'
read -r bfile bpos bgtid <"$BACKUP/xtrabackup_binlog_info"
echo "  the backup recorded (xtrabackup_binlog_info): $bfile $bpos $bgtid"

step "restore: mariadb-backup --prepare, then --copy-back into two fresh datadirs (the targets)"
mariadb-backup --no-defaults --prepare --target-dir="$BACKUP" >>"$WORK/backup.log" 2>&1 ||
    { tail -20 "$WORK/backup.log" >&2; exit 1; }
for d in "$PIPE" "$MYR"; do
    mkdir -p "$d"
    mariadb-backup --no-defaults --copy-back --target-dir="$BACKUP" --datadir="$d/data" \
        >>"$WORK/backup.log" 2>&1 || { tail -20 "$WORK/backup.log" >&2; exit 1; }
done

# The DBA's way: the files from the backup's one to the one before the
# (empty) newest, the first from the backup's position.
mapfile -t logs < <(mariadb_binlogs "$SRC")
files=()
for f in "${logs[@]:0:${#logs[@]}-1}"; do
    [[ -n ${files[*]} || $(basename "$f") == "$bfile" ]] && files+=("$f")
done
bytes=$(cat "${files[@]}" | wc -c)
printf '  binlogs after the backup: %d file(s), %d bytes, from %s at %s\n' "${#files[@]}" "$bytes" "$bfile" "$bpos"

# Rows, CHECKSUM TABLE and definition of every table (the library's
# fingerprint, without its AUTO_INCREMENT column).
fingerprint() { mariadb_fingerprint "$1" sbtest | cut -f1-4; }
fingerprint "$SRC" >"$WORK/expected.tsv"

target() {
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

step "replay 1: mariadb-binlog --start-position=$bpos ${files[*]##*/} | mariadb"
target "$PIPE"
t0=$(now)
mariadb-binlog --no-defaults --start-position="$bpos" "${files[@]}" | mariadb_client "$PIPE"
pipe_s=$(since "$t0")
pipe_ok=$(verify "$PIPE")
echo "  $pipe_s s, $pipe_ok"

step "replay 2: myreplay apply --from-backup BACKUP --binlog-dir SOURCE_DATADIR --workers 2"
target "$MYR"
echo "  the plan of the recovery (myreplay apply --dry-run ...):"
"$MYREPLAY" apply -S "$MYR/sock" -u root --no-defaults --dry-run --from-backup "$BACKUP" \
    --binlog-dir "$SRC/data" 2>/dev/null | sed -n '/^recovery start/,/^key source/p' | sed '$d; s/^/    /'
t0=$(now)
"$MYREPLAY" apply -S "$MYR/sock" -u root --no-defaults --workers 2 --from-backup "$BACKUP" --binlog-dir "$SRC/data"
myr_s=$(since "$t0")
myr_ok=$(verify "$MYR")
echo "  $myr_s s, $myr_ok"

step "result"
printf '  %-28s %8s s   %s\n' "mariadb-binlog | mariadb" "$pipe_s" "$pipe_ok"
printf '  %-28s %8s s   %s\n' "myreplay apply (2 workers)" "$myr_s" "$myr_ok"
awk -v a="$pipe_s" -v b="$myr_s" 'BEGIN { if (b > 0) printf "  myreplay: %.1fx faster than the pipe\n", a / b }'
