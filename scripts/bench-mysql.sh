#!/usr/bin/env bash
# scripts/bench-mysql.sh: the replay benchmark on MySQL 9.7 (issue 10):
# MySQL's own `mysqlbinlog | mysql`, MySQL's multi-threaded replica applier
# (replica_parallel_workers=8, the source's WRITESET dependency tracking,
# MySQL 9's only one) and `myreplay apply`, side by side, each run verified.
#
#   bash scripts/bench-mysql.sh [--events N] [--runs N] [--rand-type T] [--rebuild]
#
#   --events N     sysbench oltp_write_only transactions (default 60,000)
#   --runs N       runs per method (default 3, interleaved); medians reported
#   --rand-type T  uniform (default) or special (sysbench's skewed default)
#   --rebuild      build the scenario again even when cached
#
# The scenario (cached in benches/data/mysql/<name>/, git-ignored): a private
# MySQL 9.7 source (scripts/lib/server.sh: gtid_mode=ON, ROW, FULL images, its
# defaults), a replication user, sysbench prepare (8 tables x 100k rows),
# FLUSH BINARY LOGS, clean stop, a physical copy of the datadir (the
# snapshot: a restored backup's state, auto.cnf left out), restart, the
# sysbench run (8 threads, --rand-seed=42), clean stop.
#
# Each run: a fresh target from the snapshot (innodb_flush_log_at_trx_commit=1,
# binlog off, 512M buffer pool), the timed replay, then every table's rows,
# CHECKSUM TABLE and definition compared with the source's (a mismatch fails
# the run and the script exits 1). Replica timing: the source datadir runs as
# the primary; the target fetches everything with its IO thread first
# (untimed), then the clock runs from START REPLICA SQL_THREAD until
# WAIT_FOR_EXECUTED_GTID_SET returns for the primary's gtid_executed.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=scripts/lib/mariadb.sh
source scripts/lib/mariadb.sh
# shellcheck source=scripts/lib/sid-root.sh
source scripts/lib/sid-root.sh
# shellcheck source=scripts/lib/server.sh
source scripts/lib/server.sh

EVENTS=60000 RUNS=3 RAND=uniform REBUILD=0
while (($#)); do
    case $1 in
        --events) EVENTS=${2:?}; shift 2 ;;
        --runs) RUNS=${2:?}; shift 2 ;;
        --rand-type) RAND=${2:?}; shift 2 ;;
        --rebuild) REBUILD=1; shift ;;
        -h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench-mysql: unknown option $1" >&2; exit 2 ;;
    esac
done

mariadb_ensure_installed   # the host's mariadb client talks to the servers
mariadb_ensure_sysbench
cargo build --release -q -p myreplay-cli
MYREPLAY=$ROOT/target/release/myreplay
MYSQL_ROOT=$(sid_root_ensure mysql)

NAME=oltp_write_only-$RAND-$EVENTS
DATA=$ROOT/benches/data/mysql/$NAME
SERVERS=bench-mysql-$$
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
inside() { server_path mysql-9.7 "$1"; }
target_opts=(--skip-log-bin --server-id=2 --innodb-flush-log-at-trx-commit=1 --innodb-buffer-pool-size=512M)
fingerprint() { mariadb_fingerprint "$1" sbtest | cut -f1-4; }

cleanup() {
    local d
    for d in "$MYSQL_ROOT/srv/$SERVERS"-*; do
        [[ -d $d ]] || continue
        mariadb_stop "$d" >/dev/null 2>&1 || true
        rm -rf "$d"
    done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

build_scenario() {
    echo "== building the scenario $NAME (once; cached in $DATA)"
    rm -rf "$DATA"
    mkdir -p "$DATA"
    local src
    src=$(server_dir mysql-9.7 "$SERVERS-build")
    server_start mysql-9.7 "$src" --max-binlog-size=1G >/dev/null
    mariadb_client "$src" -e "CREATE DATABASE sbtest; CREATE USER repl@'%' IDENTIFIED BY 'repl-pw'; GRANT REPLICATION SLAVE ON *.* TO repl@'%'"
    local sb=(sysbench oltp_write_only --db-driver=mysql --mysql-socket="$src/sock" --mysql-user=root
        --mysql-password= --mysql-db=sbtest --tables=8 --table-size=100000)
    "${sb[@]}" prepare >"$DATA/prepare.log"
    mariadb_client "$src" -e 'FLUSH BINARY LOGS'
    mariadb_stop "$src" >/dev/null
    cp -a "$src/data" "$DATA/snapshot"
    rm -f "$DATA/snapshot/auto.cnf"
    mapfile -t before < <(mariadb_binlogs "$src")
    server_start mysql-9.7 "$src" --max-binlog-size=1G >/dev/null
    "${sb[@]}" --threads=8 --events="$EVENTS" --time=0 --rand-type="$RAND" --rand-seed=42 run >"$DATA/run.log"
    mariadb_client "$src" -e 'FLUSH BINARY LOGS'
    fingerprint "$src" >"$DATA/expected.tsv"
    mariadb_client "$src" -N -e 'SELECT @@gtid_executed' | tr -d '\n' >"$DATA/gtid_executed"
    mapfile -t after < <(mariadb_binlogs "$src")
    mariadb_stop "$src" >/dev/null
    mkdir -p "$DATA/binlogs"
    # The files written after the snapshot (the last one is the empty newest).
    local n=${#before[@]} f
    for f in "${after[@]:n-1:${#after[@]}-n}"; do cp "$f" "$DATA/binlogs/"; done
    mv "$src/data" "$DATA/source"
    rm -rf "$src"
    grep -E 'transactions:' "$DATA/run.log" | sed 's/^ */  /'
}

[[ $REBUILD -eq 1 || ! -f $DATA/expected.tsv ]] && build_scenario
mapfile -t FILES < <(ls "$DATA"/binlogs/binlog.*)
printf '  %d binlog file(s), %s bytes, %s transactions\n' "${#FILES[@]}" "$(cat "${FILES[@]}" | wc -c)" \
    "$("$MYREPLAY" transactions "${FILES[@]}" | wc -l)"

# A fresh target from the snapshot, started; prints its directory.
new_target() {
    local d
    d=$(server_dir mysql-9.7 "$SERVERS-$1")
    rm -rf "$d/data"
    cp -a "$DATA/snapshot" "$d/data"
    server_start mysql-9.7 "$d" "${target_opts[@]}" "${@:2}" >/dev/null
    printf '%s\n' "$d"
}

run_pipe() {
    local t=$1 f files=()
    for f in "${FILES[@]}"; do
        cp "$f" "$t/tmp/"
        files+=("$(inside "$t/tmp/$(basename "$f")")")
    done
    local t0
    t0=$(now)
    server_tool mysql-9.7 mysqlbinlog "${files[@]}" | server_tool mysql-9.7 mysql -S "$(inside "$t/sock")" -uroot
    since "$t0"
}

run_replica() {
    local t=$1 p first
    p=$(server_dir mysql-9.7 "$SERVERS-primary")
    rm -rf "$p/data"
    cp -a "$DATA/source" "$p/data"
    server_start mysql-9.7 "$p" --read-only >/dev/null
    first=$(basename "${FILES[0]}")
    mariadb_client "$t" -e "CHANGE REPLICATION SOURCE TO SOURCE_HOST='127.0.0.1', SOURCE_PORT=$(<"$p/port"),
        SOURCE_USER='repl', SOURCE_PASSWORD='repl-pw', GET_SOURCE_PUBLIC_KEY=1,
        SOURCE_LOG_FILE='$first', SOURCE_LOG_POS=4;
        START REPLICA IO_THREAD"
    local last size i
    last=$(basename "${FILES[-1]}")
    size=$(stat -c %s "${FILES[-1]}")
    for ((i = 0; i < 6000; i++)); do
        read -r file pos < <(mariadb_client "$t" -e 'SHOW REPLICA STATUS\G' |
            awk '/ Source_Log_File:/ {f=$2} / Read_Source_Log_Pos:/ {p=$2} END {print f, p}')
        # Past the last file (the restarted primary opened a new one), or at its end.
        [[ $file > "$last" || ($file == "$last" && $pos -ge $size) ]] && break
        sleep 0.1
    done
    local t0 gtids
    gtids=$(<"$DATA/gtid_executed")
    t0=$(now)
    mariadb_client "$t" -N -e "START REPLICA SQL_THREAD; SELECT WAIT_FOR_EXECUTED_GTID_SET('$gtids', 3600)" >/dev/null
    since "$t0"
    mariadb_stop "$p" >/dev/null
    rm -rf "$p"
}

run_myreplay() {
    local t=$1 t0
    t0=$(now)
    "$MYREPLAY" apply -S "$t/sock" -u root --no-defaults --workers 2 "${FILES[@]}" >/dev/null
    since "$t0"
}

declare -A TIMES
failed=0
for ((r = 1; r <= RUNS; r++)); do
    for m in pipe replica-8 myreplay-2; do
        case $m in
            pipe) t=$(new_target "$m") && s=$(run_pipe "$t") ;;
            replica-8) t=$(new_target "$m" --replica-parallel-workers=8) && s=$(run_replica "$t") ;;
            myreplay-2) t=$(new_target "$m") && s=$(run_myreplay "$t") ;;
        esac
        if cmp -s "$DATA/expected.tsv" <(fingerprint "$t"); then
            ok=verified
        else
            ok=DIFFERENT
            failed=1
        fi
        printf '  run %d  %-12s %8s s  %s\n' "$r" "$m" "$s" "$ok"
        TIMES[$m]+="$s "
        mariadb_stop "$t" >/dev/null
        rm -rf "$t"
    done
done

median() { tr ' ' '\n' <<<"$1" | sed '/^$/d' | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
echo "== medians of $RUNS runs, $NAME, MySQL 9.7, durable target"
pipe=$(median "${TIMES[pipe]}")
for m in pipe replica-8 myreplay-2; do
    x=$(median "${TIMES[$m]}")
    printf '  %-12s %8s s  %6.1fx the pipe\n' "$m" "$x" "$(awk -v a="$pipe" -v b="$x" 'BEGIN { print a / b }')"
done
exit "$failed"
