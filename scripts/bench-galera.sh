#!/usr/bin/env bash
# scripts/bench-galera.sh: the replay benchmark into a 3-node MariaDB Galera
# cluster (issue 11), side by side, every run verified on every node.
#
#   bash scripts/bench-galera.sh [--events N] [--runs N] [--rand-type T] [--rebuild]
#
#   --events N     sysbench oltp_write_only transactions (default 15,000)
#   --runs N       runs per method (default 2, interleaved); medians reported
#   --rand-type T  uniform (default) or special (sysbench's skewed default)
#   --rebuild      build the scenario again even when cached
#
# Methods, each into a fresh cluster (scripts/lib/galera.sh: 3 nodes on
# 127.0.0.1, MariaDB 10.11 + galera-4, wsrep_gtid_mode=ON, binlog on):
#   pipe             mariadb-binlog FILES | sed ... | mariadb -S node1: the sed
#                    drops mariadb-binlog's SET @@session.server_id /
#                    gtid_domain_id / gtid_seq_no lines, which a node with
#                    wsrep_gtid_mode=ON refuses (ERROR 1231 "Variable
#                    'server_id' can't be set"): the cluster numbers the
#                    transactions itself, as it does myreplay's
#   myreplay-4       myreplay apply --workers 4 -S node1
#   myreplay-4-all   myreplay apply --workers 4 -S node1,node2,node3 (sessions
#                    spread over the nodes, wsrep_sync_wait=1)
#
# The scenario (cached in benches/data/galera/<name>/, git-ignored): a
# private MariaDB 10.11 source (ROW, FULL images), sysbench prepare (8 tables
# x 10k rows), FLUSH BINARY LOGS, the sysbench run (4 threads,
# --rand-seed=42), every table's fingerprint. Each run: a fresh cluster, the
# prepare's binlogs loaded into it with myreplay (untimed), then the timed
# replay of the run's binlogs, timed until every node has applied the last
# write set (wsrep_last_committed equal on the three); then every table of
# every node compared with the source's (rows, CHECKSUM TABLE, definition):
# a mismatch fails the run and the script exits 1. The three nodes and the
# client share this machine's cores: the figures are those of one machine
# pretending to be a cluster.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=scripts/lib/mariadb.sh
source scripts/lib/mariadb.sh
# shellcheck source=scripts/lib/galera.sh
source scripts/lib/galera.sh

EVENTS=15000 RUNS=2 RAND=uniform REBUILD=0
while (($#)); do
    case $1 in
        --events) EVENTS=${2:?}; shift 2 ;;
        --runs) RUNS=${2:?}; shift 2 ;;
        --rand-type) RAND=${2:?}; shift 2 ;;
        --rebuild) REBUILD=1; shift ;;
        -h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench-galera: unknown option $1" >&2; exit 2 ;;
    esac
done

mariadb_ensure_installed
mariadb_ensure_sysbench
galera_ensure_installed
cargo build --release -q -p myreplay-cli
MYREPLAY=$ROOT/target/release/myreplay

NAME=oltp_write_only-$RAND-$EVENTS
DATA=$ROOT/benches/data/galera/$NAME
WORK=$(mktemp -d /tmp/bg.XXXXXX)
chmod 755 "$WORK" # the nodes run as mysql
trap 'galera_stop "$WORK/c" >/dev/null 2>&1 || true; mariadb_stop "$WORK/src" >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

build_scenario() {
    local src=$WORK/src
    rm -rf "$DATA"
    mkdir -p "$DATA/load" "$DATA/run"
    mariadb_start "$src" --max-binlog-size=1G >/dev/null
    mariadb_client "$src" -e 'CREATE DATABASE sbtest'
    local sb=(sysbench oltp_write_only --db-driver=mysql --mysql-socket="$src/sock"
        --mysql-user=root --mysql-password= --mysql-db=sbtest
        --tables=8 --table-size=10000 --threads=4 --rand-seed=42 --rand-type="$RAND")
    "${sb[@]}" prepare >"$DATA/prepare.log"
    mariadb_client "$src" -e 'FLUSH BINARY LOGS'
    local before f
    mapfile -t before < <(mariadb_binlogs "$src")
    for f in "${before[@]:0:${#before[@]}-1}"; do cp "$f" "$DATA/load/"; done
    "${sb[@]}" --events="$EVENTS" --time=0 --report-interval=0 run >"$DATA/run.log"
    mariadb_client "$src" -e 'FLUSH BINARY LOGS'
    mariadb_fingerprint "$src" sbtest | cut -f1-4 >"$DATA/expected.tsv"
    local after
    mapfile -t after < <(mariadb_binlogs "$src")
    for f in "${after[@]:${#before[@]}-1:${#after[@]}-${#before[@]}}"; do cp "$f" "$DATA/run/"; done
    mariadb_stop "$src"
    grep -E 'transactions:' "$DATA/run.log" | sed 's/^ */  /'
}

[[ $REBUILD -eq 1 || ! -f $DATA/expected.tsv ]] && build_scenario
mapfile -t LOAD < <(ls "$DATA"/load/binlog.*)
mapfile -t FILES < <(ls "$DATA"/run/binlog.*)
printf '  %d binlog file(s), %s bytes, %s transactions\n' "${#FILES[@]}" "$(cat "${FILES[@]}" | wc -c)" \
    "$("$MYREPLAY" transactions "${FILES[@]}" | wc -l)"

# wsrep_last_committed of node I.
committed() { mariadb_client "$WORK/c/node$1" -N -B -e "SHOW GLOBAL STATUS LIKE 'wsrep_last_committed'" | cut -f2; }
converged() {
    local a b c
    for ((i = 0; i < 6000; i++)); do
        a=$(committed 1) b=$(committed 2) c=$(committed 3)
        [[ $a == "$b" && $b == "$c" ]] && return 0
        sleep 0.05
    done
    echo "bench-galera: the nodes did not converge ($a $b $c)" >&2
    return 1
}

run_method() {
    local method=$1 c=$WORK/c t0
    rm -rf "$c"
    galera_start 3 "$c" >/dev/null 2>"$WORK/galera.log" || { cat "$WORK/galera.log" >&2; return 1; }
    "$MYREPLAY" apply -S "$c/node1/sock" -u root --no-defaults --checkpoint-table myreplay.load "${LOAD[@]}" >/dev/null
    converged
    t0=$(now)
    case $method in
        pipe) mariadb-binlog "${FILES[@]}" | sed -E '/SET @@session\.(server_id|gtid_domain_id|gtid_seq_no)=/d' | mariadb_client "$c/node1" ;;
        myreplay-4) "$MYREPLAY" apply -S "$c/node1/sock" -u root --no-defaults --workers 4 "${FILES[@]}" >/dev/null ;;
        myreplay-4-all) "$MYREPLAY" apply -S "$c/node1/sock,$c/node2/sock,$c/node3/sock" -u root --no-defaults --workers 4 "${FILES[@]}" >/dev/null ;;
    esac
    converged
    local took
    took=$(since "$t0")
    local ok=verified n
    for n in 1 2 3; do
        if ! diff -q <(mariadb_fingerprint "$c/node$n" sbtest | cut -f1-4) "$DATA/expected.tsv" >/dev/null; then
            ok="MISMATCH on node$n"
        fi
    done
    galera_stop "$c" >/dev/null 2>&1
    rm -rf "$c"
    printf '%s %s\n' "$took" "$ok"
}

METHODS=(pipe myreplay-4 myreplay-4-all)
declare -A TIMES
FAILED=0
for ((r = 1; r <= RUNS; r++)); do
    for m in "${METHODS[@]}"; do
        read -r took ok < <(run_method "$m" || echo "0 FAILED")
        printf '  run %d  %-16s %7s s  %s\n' "$r" "$m" "$took" "$ok"
        [[ $ok == verified ]] || FAILED=1
        TIMES[$m]+="$took "
    done
done
median() { tr ' ' '\n' | awk NF | sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else printf "%.2f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
pipe=$(median <<<"${TIMES[pipe]}")
echo "== medians of $RUNS runs, $NAME, 3-node Galera cluster (MariaDB 10.11), every node verified"
for m in "${METHODS[@]}"; do
    t=$(median <<<"${TIMES[$m]}")
    printf '  %-16s %7s s  %5.1fx the pipe\n' "$m" "$t" "$(awk -v p="$pipe" -v t="$t" 'BEGIN { print p / t }')"
done
exit "$FAILED"
