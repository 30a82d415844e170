#!/usr/bin/env bash
# scripts/demo.sh: myreplay on binlogs fresh from a real server.
#
#   bash scripts/demo.sh
#
# Starts a private MariaDB in a temp directory (installing MariaDB with
# apt-get if mariadbd is missing), runs a small write workload (sysbench
# oltp_write_only when sysbench is installed, plain SQL otherwise), rotates
# the binlog, then lists its events and transactions with `myreplay` and
# compares the counts with mariadb-binlog's (DEMO_PLAIN_SQL=1 skips sysbench). The server is stopped and the
# temp directory removed on exit, also on error or Ctrl-C.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=scripts/lib/mariadb.sh
source scripts/lib/mariadb.sh

mariadb_ensure_installed

WORK=$(mktemp -d "${TMPDIR:-/tmp}/myreplay-demo.XXXXXX")
cleanup() {
    local rc=$?
    mariadb_stop "$WORK" || true
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { printf '\n== %s\n' "$*"; }

step "starting a private MariaDB in $WORK"
mariadb_start "$WORK" --binlog-row-image=FULL >/dev/null
echo "port $MARIADB_PORT, socket $MARIADB_SOCKET"
mariadb_client "$WORK" -e 'CREATE DATABASE sbtest'

if [[ -z ${DEMO_PLAIN_SQL:-} ]] && command -v sysbench >/dev/null 2>&1; then
    step "workload: sysbench oltp_write_only (4 tables x 2,000 rows, 1,000 transactions, 2 threads)"
    sb=(sysbench oltp_write_only --db-driver=mysql --mysql-socket="$WORK/sock"
        --mysql-user=root --mysql-password= --mysql-db=sbtest
        --tables=4 --table-size=2000 --threads=2)
    "${sb[@]}" prepare >"$WORK/sysbench-prepare.log"
    "${sb[@]}" --events=1000 --time=0 --report-interval=0 run >"$WORK/sysbench-run.log"
    grep -E 'transactions:|queries:' "$WORK/sysbench-run.log" | sed 's/^ */  /'
else
    step "workload: plain SQL (sysbench not installed)"
    {
        cat <<'SQL'
CREATE TABLE customers (id INT PRIMARY KEY, email VARCHAR(100) NOT NULL UNIQUE,
  name VARCHAR(100), balance DECIMAL(12,2) NOT NULL DEFAULT 0) ENGINE=InnoDB;
CREATE TABLE orders (id INT AUTO_INCREMENT PRIMARY KEY, customer_id INT NOT NULL,
  amount DECIMAL(12,2) NOT NULL, created DATETIME(6) NOT NULL, KEY (customer_id)) ENGINE=InnoDB;
CREATE TABLE audit (id BIGINT AUTO_INCREMENT PRIMARY KEY, note TEXT) ENGINE=InnoDB;
SQL
        for ((t = 0; t < 50; t++)); do
            echo "BEGIN;"
            for ((i = 0; i < 40; i++)); do
                id=$((t * 40 + i))
                echo "INSERT INTO customers VALUES ($id, 'user$id@example.com', 'User $id', $((id % 997)).50);"
                echo "INSERT INTO orders (customer_id, amount, created) VALUES ($id, $((id % 89)).25, NOW(6));"
            done
            echo "UPDATE customers SET balance = balance + 1 WHERE id % 7 = $((t % 7));"
            echo "INSERT INTO audit (note) VALUES ('batch $t');"
            echo "COMMIT;"
        done
        for ((t = 0; t < 20; t++)); do
            echo "BEGIN;"
            echo "DELETE FROM orders WHERE customer_id % 20 = $t;"
            echo "UPDATE customers SET email = CONCAT('moved', id, '@example.org') WHERE id % 20 = $t;"
            echo "COMMIT;"
        done
    } | mariadb_client "$WORK" sbtest
    mariadb_client "$WORK" sbtest -N -e \
        "SELECT CONCAT('  customers: ', COUNT(*)) FROM customers UNION ALL SELECT CONCAT('  orders: ', COUNT(*)) FROM orders"
fi

step "FLUSH BINARY LOGS"
mariadb_client "$WORK" -e 'FLUSH BINARY LOGS'
mapfile -t all_logs < <(mariadb_binlogs "$WORK")
# Every file but the new, still open one.
logs=("${all_logs[@]:0:${#all_logs[@]}-1}")
bytes=$(cat "${logs[@]}" | wc -c)
for f in "${logs[@]}"; do
    printf '  %s  %d bytes\n' "$(basename "$f")" "$(wc -c <"$f")"
done

step "building myreplay (cargo build --release -p myreplay-cli)"
cargo build --release -q -p myreplay-cli

step "myreplay events (last lines)"
cargo run --release -q -p myreplay-cli -- events "${logs[@]}" >"$WORK/events.txt"
tail -n 8 "$WORK/events.txt" | cut -c1-160

step "myreplay transactions (last lines)"
cargo run --release -q -p myreplay-cli -- transactions "${logs[@]}" >"$WORK/transactions.txt"
tail -n 8 "$WORK/transactions.txt" | cut -c1-160

# Reference counts from the server's own decoder.
mariadb-binlog --no-defaults --base64-output=decode-rows -v "${logs[@]}" >"$WORK/reference.txt"
ref_events=$(grep -cE '^# at [0-9]+$' "$WORK/reference.txt" || true)
ref_gtids=$(grep -cE '^#[0-9]{6} .*[[:space:]]GTID [0-9]+-[0-9]+-[0-9]+' "$WORK/reference.txt" || true)
ref_rows=$(grep -cE '^### (INSERT INTO|UPDATE|DELETE FROM) ' "$WORK/reference.txt" || true)
my_events=$(wc -l <"$WORK/events.txt")
my_trx=$(wc -l <"$WORK/transactions.txt")
my_rows=$(awk -F'\t' '{ sub(/^rows=/, "", $7); sub(/ .*/, "", $7); n += $7 } END { print n + 0 }' "$WORK/transactions.txt")

step "summary"
printf '  binlogs:       %d files, %d bytes\n' "${#logs[@]}" "$bytes"
printf '  events:        myreplay %d lines, mariadb-binlog %d events\n' "$my_events" "$ref_events"
printf '  transactions:  myreplay %d lines, mariadb-binlog %d GTIDs\n' "$my_trx" "$ref_gtids"
printf '  row changes:   myreplay %d, mariadb-binlog -v %d\n' "$my_rows" "$ref_rows"
if [[ $my_events -eq $ref_events && $my_trx -eq $ref_gtids && $my_rows -eq $ref_rows ]]; then
    echo "  counts agree with mariadb-binlog"
else
    echo "  counts differ from mariadb-binlog: look at the output above" >&2
    exit 1
fi
