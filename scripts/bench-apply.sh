#!/usr/bin/env bash
# scripts/bench-apply.sh: the replay benchmark. Replays the same binlogs into
# the same physical snapshot with each method, times it, and checks every
# table against the source afterwards.
#
#   bash scripts/bench-apply.sh [--workload W] [--runs N] [--methods a,b,c]
#                               [--quick] [--events N] [--rebuild]
#
#   --workload W   oltp_write_only (default; sysbench's default, skewed
#                  distribution), uniform (oltp_write_only with
#                  --rand-type=uniform, written by 8 threads: rows spread
#                  over the whole tables), oltp_insert, oltp_update_index,
#                  hot_row (oltp_write_only over the first 100 ids of each
#                  table: every transaction hits the same few hundred rows),
#                  ddl_mix (oltp_write_only with columns added and indexes
#                  created beside it, mid-stream)
#                  big_txn (oltp_write_only with 300 row changes per
#                  transaction: 100 index updates, 100 non-index updates,
#                  50 delete+insert)
#   --runs N       runs per method (default 3); the table shows the median
#   --methods LIST comma-separated, default all of:
#                    pipe                 mariadb-binlog FILES | mariadb
#                    replica-0            MariaDB's applier, slave_parallel_threads=0
#                    replica-8            MariaDB's applier, 8 threads, optimistic
#                    myreplay-binlog-N    myreplay apply --apply binlog --workers N (N=1,2,4,8)
#                    myreplay-sql-N       myreplay apply --apply sql --workers N (N=1,2,4,8)
#                    myreplay-logged-N    the binlog path with --no-merge-statements
#                                         (row statements as logged; not in the default list)
#   --quick        small scenario for smoke tests: 4 tables x 10k rows,
#                  5,000 transactions (big_txn: 100)
#   --events N     sysbench transactions (default 60,000; big_txn 1,000)
#   --rebuild      build the scenario again even when it is cached
#
# The scenario (built once, cached in benches/data/apply/<name>/, git-ignored):
# a private source MariaDB (binlog ROW, FULL image, max_binlog_size 1G),
# sysbench prepare (8 tables x 100k rows), FLUSH BINARY LOGS, clean stop, a
# physical copy of the datadir = the snapshot (exactly the state a restored
# backup would have), restart, the sysbench run (4 threads, --rand-seed=42),
# clean stop. Kept: snapshot/ (datadir without binlogs), binlogs/ (the files
# written after the snapshot), source/ (the source's datadir, served as the
# primary for the replica methods), expected.tsv (per table: rows, CHECKSUM
# TABLE, SHOW CREATE TABLE) and scenario.env.
#
# Each run of each method: a fresh target from a copy of the snapshot with the
# same settings for every method (innodb_flush_log_at_trx_commit=1, binlog
# off, 512M buffer pool), the timed replay, then every table's rows, checksum
# and definition compared with the source's (a mismatch fails the run, loudly,
# and the script exits 1 at the end), then the target is stopped and deleted.
# Runs are interleaved: run 1 of every method, then run 2 of every method...
#
# Replica timing: the source datadir runs as a read-only primary; the target
# gets CHANGE MASTER TO the first file after the snapshot, position 4, starts
# only its IO thread and waits until it has fetched everything the primary
# has; the clock then runs from START SLAVE SQL_THREAD until MASTER_GTID_WAIT
# says the last source GTID is applied. The IO thread's copying is not timed.
#
# MYREPLAY_ARGS (environment): more options for every myreplay apply run
# (e.g. MYREPLAY_ARGS=--no-merge-statements for a before/after).
#
# Each run also reads the target server's CPU time (user + system, from
# /proc/<its pid>/stat) before and after the timed replay; the table shows
# its median, and per 1,000 row changes of the binlogs: the distance to
# what the server must do anyway. The myreplay-*-N rows are the scaling
# with the number of workers.
#
# Results: printed, and kept in benches/data/apply/<name>/results-<time>.{tsv,txt}.
# Uses one core for the server and one for the client side; run it on an
# otherwise idle machine.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=scripts/lib/mariadb.sh
source scripts/lib/mariadb.sh

WORKLOAD=oltp_write_only
RUNS=3
METHODS=""
QUICK=0
EVENTS=""
REBUILD=0
MYREPLAY=${MYREPLAY:-$ROOT/target/release/myreplay}
ALL_METHODS=(pipe replica-0 replica-8
    myreplay-binlog-1 myreplay-binlog-2 myreplay-binlog-4 myreplay-binlog-8
    myreplay-sql-1 myreplay-sql-2 myreplay-sql-4 myreplay-sql-8)
KNOWN_METHODS=("${ALL_METHODS[@]}" myreplay-logged-1 myreplay-logged-2 myreplay-logged-4 myreplay-logged-8)

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; }
die() { printf 'bench-apply: %s\n' "$*" >&2; exit 2; }

while (($#)); do
    case $1 in
        --workload) WORKLOAD=${2:?}; shift 2 ;;
        --workload=*) WORKLOAD=${1#*=}; shift ;;
        --runs) RUNS=${2:?}; shift 2 ;;
        --runs=*) RUNS=${1#*=}; shift ;;
        --methods) METHODS=${2:?}; shift 2 ;;
        --methods=*) METHODS=${1#*=}; shift ;;
        --events) EVENTS=${2:?}; shift 2 ;;
        --events=*) EVENTS=${1#*=}; shift ;;
        --quick) QUICK=1; shift ;;
        --rebuild) REBUILD=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) die "unknown option $1 (see --help)" ;;
    esac
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "--runs wants a positive number"
if [[ -z $METHODS ]]; then
    METHOD_LIST=("${ALL_METHODS[@]}")
else
    IFS=, read -r -a METHOD_LIST <<<"$METHODS"
fi
for m in "${METHOD_LIST[@]}"; do
    [[ " ${KNOWN_METHODS[*]} " == *" $m "* ]] || die "unknown method $m (one of: ${KNOWN_METHODS[*]})"
done

# ---------------------------------------------------------------- scenario --

if ((QUICK)); then
    TABLES=4 TABLE_SIZE=10000 DEFAULT_EVENTS=5000
else
    TABLES=8 TABLE_SIZE=100000 DEFAULT_EVENTS=60000
fi
SB_TEST=oltp_write_only
SB_RUN_EXTRA=()
SB_THREADS=4
case $WORKLOAD in
    oltp_write_only | oltp_insert | oltp_update_index) SB_TEST=$WORKLOAD ;;
    uniform)
        SB_RUN_EXTRA=(--rand-type=uniform --mysql-ignore-errors=1213,1205,1020)
        SB_THREADS=8 ;;
    hot_row)
        # sysbench draws ids from 1..--table-size: the run sees 100 rows per table.
        SB_RUN_EXTRA=(--table-size=100 --mysql-ignore-errors=1213,1205,1020,1062) ;;
    big_txn)
        SB_RUN_EXTRA=(--index-updates=100 --non-index-updates=100 --delete-inserts=50
            --mysql-ignore-errors=1213,1205,1020)
        DEFAULT_EVENTS=$((DEFAULT_EVENTS / 60)) ;;
    ddl_mix)
        # oltp_write_only while DDL runs beside it (ddl_loop below): columns
        # added, indexes created, mid-stream.
        SB_RUN_EXTRA=(--mysql-ignore-errors=1213,1205,1020) ;;
    *) die "unknown workload $WORKLOAD (oltp_write_only, uniform, oltp_insert, oltp_update_index, hot_row, big_txn, ddl_mix)" ;;
esac
EVENTS=${EVENTS:-$DEFAULT_EVENTS}
[[ $EVENTS =~ ^[1-9][0-9]*$ ]] || die "--events wants a positive number"

SCEN_NAME=$WORKLOAD
((QUICK)) && SCEN_NAME+=-quick
[[ $EVENTS != "$DEFAULT_EVENTS" ]] && SCEN_NAME+=-e$EVENTS
SCEN=$ROOT/benches/data/apply/$SCEN_NAME
SCEN_KEY="workload=$WORKLOAD tables=$TABLES table_size=$TABLE_SIZE events=$EVENTS v=1"
# (The writers' count joined the key later: cached scenarios of 4 keep theirs.)
[[ $SB_THREADS != 4 ]] && SCEN_KEY+=" threads=$SB_THREADS"

# Source: durability off while generating (it changes how fast the server
# writes, not what goes into the binlog), as in scripts/gen-bench-binlog.sh.
SRC_OPTS=(--binlog-row-image=FULL --max-binlog-size=1G
    --innodb-buffer-pool-size=512M --innodb-log-file-size=256M
    --innodb-flush-log-at-trx-commit=0 --sync-binlog=0 --max-connections=64)
# Target: the same for every method. Durable, binlog off, another server id.
TGT_OPTS=(--skip-log-bin --server-id=2
    --innodb-buffer-pool-size=512M --innodb-log-file-size=256M
    --innodb-flush-log-at-trx-commit=1 --max-connections=64
    --skip-slave-start --relay-log=relay-bin)

mariadb_ensure_installed
WORK=$(mktemp -d "${TMPDIR:-/tmp}/mrba.XXXXXX")
cleanup() {
    local rc=$? d
    for d in "$WORK"/*/; do
        [[ -d $d ]] && mariadb_stop "${d%/}" 2>/dev/null || true
    done
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.3f\", $* }"; }
log() { printf '%s\n' "$*" >&2; }

# DDL beside the workload (ddl_mix): every 0.7 s, on the tables in turn, a
# column added or an index created.
ddl_loop() {
    local src=$1 i=0 t sql
    while :; do
        t=$((i % TABLES + 1))
        if ((i % 2 == 0)); then
            sql="ALTER TABLE sbtest$t ADD COLUMN x$i INT NOT NULL DEFAULT $i"
        else
            sql="CREATE INDEX ix$i ON sbtest$t (k, id)"
        fi
        mariadb_client "$src" sbtest -e "$sql" && echo "ok $sql"
        i=$((i + 1))
        sleep 0.7
    done
}

build_scenario() {
    mariadb_ensure_sysbench
    local tmp=$SCEN.building src=$WORK/src
    rm -rf "$tmp" "$SCEN"
    mkdir -p "$tmp"
    log "== building scenario $SCEN_NAME ($SCEN_KEY)"
    mariadb_start "$src" "${SRC_OPTS[@]}" >/dev/null
    mariadb_client "$src" -e 'CREATE DATABASE sbtest'
    local sb=(sysbench "$SB_TEST" --db-driver=mysql --mysql-socket="$src/sock"
        --mysql-user=root --mysql-password= --mysql-db=sbtest
        --tables="$TABLES" --table-size="$TABLE_SIZE" --threads="$SB_THREADS" --rand-seed=42)
    log "   sysbench $SB_TEST prepare: $TABLES tables x $TABLE_SIZE rows"
    "${sb[@]}" prepare >"$tmp/prepare.log"
    mariadb_client "$src" -e 'FLUSH BINARY LOGS'
    local snap_gtid
    snap_gtid=$(mariadb_client "$src" -N -B -e 'SELECT @@gtid_binlog_pos')
    mariadb_stop "$src"
    local before
    mapfile -t before < <(mariadb_binlogs "$src")
    log "   snapshot at GTID $snap_gtid (after $(basename "${before[-1]}"))"
    cp -a "$src/data" "$tmp/snapshot"
    rm -f "$tmp/snapshot"/binlog.*

    mariadb_start "$src" "${SRC_OPTS[@]}" >/dev/null
    log "   sysbench $SB_TEST run: $EVENTS transactions ${SB_RUN_EXTRA[*]}"
    local ddl_pid=
    if [[ $WORKLOAD == ddl_mix ]]; then
        ddl_loop "$src" >"$tmp/ddl.log" 2>&1 &
        ddl_pid=$!
    fi
    "${sb[@]}" "${SB_RUN_EXTRA[@]}" --events="$EVENTS" --time=0 --report-interval=0 run >"$tmp/run.log"
    if [[ -n $ddl_pid ]]; then
        kill "$ddl_pid" 2>/dev/null || true
        wait "$ddl_pid" 2>/dev/null || true
        log "   DDL beside the workload: $(grep -c '^ok' "$tmp/ddl.log" || true) statements"
    fi
    grep -E 'transactions:|ignored errors:' "$tmp/run.log" | sed 's/^ */   /' >&2
    local end_gtid
    end_gtid=$(mariadb_client "$src" -N -B -e 'SELECT @@gtid_binlog_pos')
    mariadb_fingerprint "$src" sbtest >"$tmp/expected.tsv"
    mariadb_stop "$src"

    local after f files=() bytes=0
    mapfile -t after < <(mariadb_binlogs "$src")
    mkdir -p "$tmp/binlogs"
    for f in "${after[@]}"; do
        [[ " ${before[*]} " == *" $f "* ]] && continue
        cp "$f" "$tmp/binlogs/"
        files+=("$(basename "$f")")
        bytes=$((bytes + $(stat -c %s "$f")))
    done
    mv "$src/data" "$tmp/source"
    cat >"$tmp/scenario.env" <<ENV
SCEN_KEY='$SCEN_KEY'
SNAP_GTID='$snap_gtid'
END_GTID='$end_gtid'
BINLOG_FILES='${files[*]}'
BINLOG_BYTES=$bytes
SERVER_VERSION='$("$(_mariadb_which mariadbd)" --version | awk '{ print $3 }')'
BUILT='$(date -u +%Y-%m-%dT%H:%M:%SZ)'
ENV
    mv "$tmp" "$SCEN"
    log "   end GTID $end_gtid; binlogs ${files[*]} ($bytes bytes)"
}

if ((REBUILD)) || [[ ! -f $SCEN/scenario.env ]] || ! grep -qxF "SCEN_KEY='$SCEN_KEY'" "$SCEN/scenario.env"; then
    build_scenario
fi
# shellcheck disable=SC1091
source "$SCEN/scenario.env"
read -r -a FILE_NAMES <<<"$BINLOG_FILES"
FILES=()
for f in "${FILE_NAMES[@]}"; do FILES+=("$SCEN/binlogs/$f"); done
N_TABLES=$(wc -l <"$SCEN/expected.tsv")

# --------------------------------------------------------------- methods --

# The primary for the replica methods: a copy of the source's datadir, read-only.
PRIMARY=$WORK/primary
PRIMARY_FILE="" PRIMARY_POS="" PRIMARY_PORT=""
start_primary() {
    [[ -n $PRIMARY_PORT ]] && return 0
    log "== starting the primary (copy of the source datadir)"
    mkdir -p "$PRIMARY"
    cp -a "$SCEN/source" "$PRIMARY/data"
    PRIMARY_PORT=$(mariadb_start "$PRIMARY" "${SRC_OPTS[@]}")
    mariadb_client "$PRIMARY" -e "SET sql_log_bin=0;
        CREATE USER IF NOT EXISTS 'repl'@'127.0.0.1' IDENTIFIED BY 'repl';
        GRANT REPLICATION SLAVE ON *.* TO 'repl'@'127.0.0.1';
        SET GLOBAL read_only=1"
    read -r PRIMARY_FILE PRIMARY_POS < <(mariadb_client "$PRIMARY" -N -B -e 'SHOW MASTER STATUS' | cut -f1,2)
    local g
    g=$(mariadb_client "$PRIMARY" -N -B -e 'SELECT @@gtid_binlog_pos')
    [[ $g == "$END_GTID" ]] || { log "primary's gtid_binlog_pos is $g, expected $END_GTID"; return 1; }
}

TARGET=$WORK/target
start_target() {
    rm -rf "$TARGET"
    mkdir -p "$TARGET"
    cp -a "$SCEN/snapshot" "$TARGET/data"
    mariadb_start "$TARGET" "${TGT_OPTS[@]}" "$@" >/dev/null
}

slave_field() { # slave_field NAME: one field of SHOW SLAVE STATUS on the target
    mariadb_client "$TARGET" -e 'SHOW SLAVE STATUS\G' |
        awk -v k="$1" '{ n = $0; sub(/^ +/, "", n); sub(/:.*/, "", n) } n == k { sub(/^[^:]*: ?/, ""); print; exit }'
}

# InnoDB's fsync count on the target: with innodb_flush_log_at_trx_commit=1,
# about one per commit group, which explains most of the differences.
fsyncs() { mariadb_client "$TARGET" -N -B -e "SHOW GLOBAL STATUS LIKE 'Innodb_data_fsyncs'" | cut -f2; }

# The target server's CPU time so far (user + system, in clock ticks), from
# the kernel's counters for its process: the server's own work, whatever
# the client side does.
CLK_TCK=$(getconf CLK_TCK)
server_ticks() { awk '{ print $14 + $15 }' "/proc/$(<"$TARGET/mariadbd.pid")/stat"; }

# Each method: start its target, replay, set SECS to the replay's seconds and
# FSYNCS to the fsyncs meanwhile. Return non-zero on failure. The caller
# verifies and stops the target.
run_pipe() {
    start_target || return 1
    local t0 t1 f0 c0
    f0=$(fsyncs) c0=$(server_ticks)
    t0=$(now)
    mariadb-binlog --no-defaults "${FILES[@]}" |
        mariadb --no-defaults -S "$TARGET/sock" -uroot 2>"$WORK/pipe.err" ||
        { cat "$WORK/pipe.err" >&2; return 1; }
    t1=$(now)
    SECS=$(calc "$t1 - $t0")
    FSYNCS=$(($(fsyncs) - f0))
    CPU=$(calc "($(server_ticks) - c0) / $CLK_TCK")
}

run_replica() {
    local threads=$1
    start_primary || return 1
    start_target --slave-parallel-threads="$threads" --slave-parallel-mode=optimistic || return 1
    mariadb_client "$TARGET" -e "CHANGE MASTER TO MASTER_HOST='127.0.0.1',
        MASTER_PORT=$PRIMARY_PORT, MASTER_USER='repl', MASTER_PASSWORD='repl',
        MASTER_LOG_FILE='${FILE_NAMES[0]}', MASTER_LOG_POS=4, MASTER_USE_GTID=no;
        START SLAVE IO_THREAD" || return 1
    # Let the IO thread fetch everything the primary has before timing.
    local i file pos
    for ((i = 0; i < 6000; i++)); do
        file=$(slave_field Master_Log_File)
        pos=$(slave_field Read_Master_Log_Pos)
        [[ $file == "$PRIMARY_FILE" && $pos == "$PRIMARY_POS" ]] && break
        if [[ $(slave_field Slave_IO_Running) == No ]]; then
            log "IO thread stopped: $(slave_field Last_IO_Error)"
            return 1
        fi
        sleep 0.1
    done
    [[ $file == "$PRIMARY_FILE" && $pos == "$PRIMARY_POS" ]] ||
        { log "IO thread did not fetch up to $PRIMARY_FILE:$PRIMARY_POS (at $file:$pos)"; return 1; }
    local t0 t1 r f0 c0
    f0=$(fsyncs) c0=$(server_ticks)
    t0=$(now)
    mariadb_client "$TARGET" -e 'START SLAVE SQL_THREAD' || return 1
    while :; do
        r=$(mariadb_client "$TARGET" -N -B -e "SELECT MASTER_GTID_WAIT('$END_GTID', 2)") || return 1
        [[ $r == 0 ]] && break
        if [[ $(slave_field Slave_SQL_Running) == No ]]; then
            log "SQL thread stopped: $(slave_field Last_SQL_Error)"
            return 1
        fi
    done
    t1=$(now)
    FSYNCS=$(($(fsyncs) - f0))
    CPU=$(calc "($(server_ticks) - c0) / $CLK_TCK")
    mariadb_client "$TARGET" -e 'STOP SLAVE' || return 1
    SECS=$(calc "$t1 - $t0")
}

# ==== MYREPLAY: the rows for `myreplay apply` (issue 4) =====================
# Runs target/release/myreplay (or $MYREPLAY) as
#   myreplay apply --workers N --apply binlog|sql -S <target socket> -u root FILES
# Until the apply subcommand exists these rows are skipped, and said so.
# Available when `myreplay apply --help` offers --workers, --apply and --socket.
myreplay_available() {
    local help
    [[ -x $MYREPLAY ]] || return 1
    help=$("$MYREPLAY" apply --help 2>&1) || return 1
    [[ $help == *--workers* && $help == *--apply* && $help == *--socket* ]]
}

run_myreplay() {
    local path=$1 workers=$2 extra=()
    if [[ $path == logged ]]; then
        path=binlog extra=(--no-merge-statements)
    fi
    start_target || return 1
    local t0 t1 f0 c0
    f0=$(fsyncs) c0=$(server_ticks)
    t0=$(now)
    # shellcheck disable=SC2086 # MYREPLAY_ARGS: extra options, split on spaces
    "$MYREPLAY" apply --no-defaults --workers "$workers" --apply "$path" -S "$TARGET/sock" -u root \
        "${extra[@]}" ${MYREPLAY_ARGS:-} "${FILES[@]}" >"$WORK/myreplay.out" 2>&1 ||
        { cat "$WORK/myreplay.out" >&2; return 1; }
    t1=$(now)
    SECS=$(calc "$t1 - $t0")
    FSYNCS=$(($(fsyncs) - f0))
    CPU=$(calc "($(server_ticks) - c0) / $CLK_TCK")
}
# ============================================================================

run_method() {
    case $1 in
        pipe) run_pipe ;;
        replica-*) run_replica "${1#replica-}" ;;
        myreplay-binlog-*) run_myreplay binlog "${1#myreplay-binlog-}" ;;
        myreplay-sql-*) run_myreplay sql "${1#myreplay-sql-}" ;;
        myreplay-logged-*) run_myreplay logged "${1#myreplay-logged-}" ;;
    esac
}

# Compare the target's tables with the source's. Prints a one-line verdict.
verify_target() {
    mariadb_fingerprint "$TARGET" sbtest >"$WORK/got.tsv" || { echo "FAIL (could not read the target)"; return 1; }
    if ! diff <(cut -f1-4 "$SCEN/expected.tsv") <(cut -f1-4 "$WORK/got.tsv") >"$WORK/diff.txt"; then
        {
            echo "!!!!!!!! VERIFICATION FAILED: the target differs from the source"
            echo "!!!!!!!! (< source, > target; columns: table, rows, checksum, definition)"
            cut -c1-300 "$WORK/diff.txt"
        } >&2
        echo "FAIL (tables differ from the source)"
        return 1
    fi
    local note=""
    if ! diff -q <(cut -f1,5 "$SCEN/expected.tsv") <(cut -f1,5 "$WORK/got.tsv") >/dev/null; then
        note="; note: AUTO_INCREMENT counters differ from the source's"
    fi
    echo "OK ($N_TABLES tables: rows, CHECKSUM TABLE, SHOW CREATE TABLE equal$note)"
}

# ------------------------------------------------------------------ runs --

MYREPLAY_OK=0
myreplay_available && MYREPLAY_OK=1
# Row changes in the binlogs (an UPDATE's before and after image count once),
# for the servers' CPU per 1,000 of them.
ROW_CHANGES=
if ((MYREPLAY_OK)); then
    ROW_CHANGES=$("$MYREPLAY" transactions --json "${FILES[@]}" |
        python3 -c 'import json, sys; print(sum(json.loads(l)["rows"] for l in sys.stdin))')
fi
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(free -g | awk '/Mem:/ {print $2}') GiB"
echo "== server: MariaDB $SERVER_VERSION; client: $(mariadb-binlog --version | head -1)"
echo "== scenario $SCEN_NAME: $WORKLOAD, $TABLES tables x $TABLE_SIZE rows, $EVENTS sysbench transactions"
echo "   snapshot GTID $SNAP_GTID -> end GTID $END_GTID; binlogs: $BINLOG_FILES ($BINLOG_BYTES bytes)${ROW_CHANGES:+; $ROW_CHANGES row changes}"
echo "== methods: ${METHOD_LIST[*]}; $RUNS interleaved runs each"
if ((!MYREPLAY_OK)); then
    for m in "${METHOD_LIST[@]}"; do
        if [[ $m == myreplay-* ]]; then
            echo "   myreplay apply not available yet ($MYREPLAY apply --help does not offer --workers, --apply binlog|sql and -S): skipping the myreplay-* rows"
            break
        fi
    done
fi

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
TSV=$SCEN/results-$STAMP.tsv
TXT=$SCEN/results-$STAMP.txt
printf 'run\tmethod\tseconds\tfsyncs\tserver_cpu_s\tverification\tloadavg\n' >"$TSV"
declare -A TIMES=() CPUS=() OKS=() FAILS=()
FAILED=0
for m in "${METHOD_LIST[@]}"; do
    [[ $m == replica-* ]] && { start_primary || exit 1; break; }
done
for ((run = 1; run <= RUNS; run++)); do
    for m in "${METHOD_LIST[@]}"; do
        if [[ $m == myreplay-* ]] && ((!MYREPLAY_OK)); then
            continue
        fi
        load=$(cut -d' ' -f1-3 /proc/loadavg)
        SECS="" FSYNCS="" CPU="" verdict=""
        if run_method "$m"; then
            secs=$SECS
            if verdict=$(verify_target); then
                TIMES[$m]+="$secs "
                CPUS[$m]+="$CPU "
                OKS[$m]=$((${OKS[$m]:-0} + 1))
            else
                FAILS[$m]=$((${FAILS[$m]:-0} + 1))
                FAILED=1
            fi
        else
            verdict="FAIL (the replay itself failed)"
            echo "!!!!!!!! $m run $run: the replay failed" >&2
            secs=-
            FAILS[$m]=$((${FAILS[$m]:-0} + 1))
            FAILED=1
        fi
        mariadb_stop "$TARGET" 2>/dev/null || true
        rm -rf "$TARGET"
        printf 'run %d  %-18s %9s s  %7s fsyncs  %7s s server CPU  load %s  %s\n' "$run" "$m" "$secs" "${FSYNCS:--}" "${CPU:--}" "$load" "$verdict" | tee -a "$TXT"
        printf '%d\t%s\t%s\t%s\t%s\t%s\t%s\n' "$run" "$m" "$secs" "${FSYNCS:--}" "${CPU:--}" "$verdict" "$load" >>"$TSV"
    done
done
[[ -n $PRIMARY_PORT ]] && mariadb_stop "$PRIMARY" 2>/dev/null

median() { tr ' ' '\n' | awk NF | sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) print ""; else if (NR % 2) print a[(NR + 1) / 2]; else printf "%.3f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
PIPE_MED=$(median <<<"${TIMES[pipe]:-}")
REPLICA_MED=$(median <<<"${TIMES[replica-8]:-}")
{
    echo
    echo "== $SCEN_NAME: medians of $RUNS interleaved runs (seconds; 'vs pipe' = pipe median / method median, 'vs replica-8' likewise;"
    echo "   'server CPU' = the target server's user+system seconds during the replay, and per 1,000 row changes${ROW_CHANGES:+ of the $ROW_CHANGES})"
    printf '%-18s %9s %9s %12s %11s %15s  %-24s %s\n' method median "vs pipe" "vs replica-8" "server CPU" "CPU ms/1k rows" runs checks
    for m in "${METHOD_LIST[@]}"; do
        if [[ $m == myreplay-* ]] && ((!MYREPLAY_OK)); then
            printf '%-18s %9s %9s %12s %11s %15s  %-24s %s\n' "$m" - - - - - "skipped" "myreplay apply not available yet"
            continue
        fi
        med=$(median <<<"${TIMES[$m]:-}")
        cpu=$(median <<<"${CPUS[$m]:-}")
        ratio=- vsrep=- per1k=-
        [[ -n $med && -n $PIPE_MED ]] && ratio=$(awk "BEGIN { printf \"%.2fx\", $PIPE_MED / $med }")
        [[ -n $med && -n $REPLICA_MED ]] && vsrep=$(awk "BEGIN { printf \"%.2fx\", $REPLICA_MED / $med }")
        [[ -n $cpu && -n $ROW_CHANGES ]] && per1k=$(awk "BEGIN { printf \"%.1f\", $cpu * 1e6 / $ROW_CHANGES }")
        printf '%-18s %9s %9s %12s %11s %15s  %-24s %s\n' "$m" "${med:--}" "$ratio" "$vsrep" "${cpu:--}" "$per1k" "${TIMES[$m]:-}" \
            "${OKS[$m]:-0}/$RUNS verified OK${FAILS[$m]:+, ${FAILS[$m]} FAILED}"
    done
} | tee -a "$TXT"
echo "results: $TSV, $TXT"
if ((FAILED)); then
    echo "!!!!!!!! at least one run failed or did not match the source (see above)" >&2
    exit 1
fi
