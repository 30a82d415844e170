#!/usr/bin/env bash
# scripts/bench-decode.sh: decoding every row of a binlog for a human (the
# stop-point search), side by side with the tool a DBA uses for it, in one
# run (issue 12).
#
#   bash scripts/bench-decode.sh
#
# Input: the parser benchmark's binlog (scripts/gen-bench-binlog.sh makes
# it when missing: ~130 MB of sysbench oltp_write_only, MariaDB, ROW, FULL
# images). Runs, alternating, RUNS times each (default 3):
#
#   mariadb-binlog --base64-output=decode-rows -vv FILE > a file
#   myreplay transactions --rows --json FILE           > a file
#
# each under /usr/bin/time (wall, user, sys, peak RSS), and prints the
# medians and the ratio. Verified after every run: the row changes each
# printed (`### INSERT/UPDATE/DELETE` lines; `changes` entries by kind) equal
# the input summary's counts. Peak RSS is also measured on the first half of
# the file alone: memory that does not grow with the file reads the same.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
FILE=${MYREPLAY_BENCH_BINLOG:-$ROOT/benches/data/sysbench-oltp-write-only.binlog}
SUMMARY=${FILE%.binlog}.summary.json
RUNS=${RUNS:-3}
[[ -f $FILE ]] || bash scripts/gen-bench-binlog.sh
command -v mariadb-binlog >/dev/null || { echo "mariadb-binlog is missing (apt-get install mariadb-client)" >&2; exit 1; }
cargo build -q --release -p myreplay-cli
MYREPLAY=$ROOT/target/release/myreplay
# Outputs go to memory (/dev/shm) when there is one: on this VM, writing
# 300 MB to disk per run made both tools' times swing by a third.
OUTDIR=${BENCH_OUT_DIR:-/dev/shm}
[[ -d $OUTDIR && -w $OUTDIR ]] || OUTDIR=${TMPDIR:-/tmp}
WORK=$(mktemp -d "$OUTDIR/myreplay-decode.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
SIZE=$(stat -c %s "$FILE")
want() { python3 -c "import json,sys; s=json.load(open('$SUMMARY')); print(s['rows']['$1'])"; }
W_INS=$(want inserted); W_UPD=$(want updated); W_DEL=$(want deleted)

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "== input: $FILE ($SIZE bytes; rows: $W_INS inserted, $W_UPD updated, $W_DEL deleted)"
echo "== outputs written to files in $WORK"
echo "== $(mariadb-binlog --version | head -1)"

# Runs "$@" > $WORK/out, prints "wall user sys rss_kb".
timed() {
    /usr/bin/time -f '%e %U %S %M' -o "$WORK/time" "$@" >"$WORK/out"
    cat "$WORK/time"
}

check_reference() {
    local ins upd del
    ins=$(grep -c '^### INSERT INTO ' "$WORK/out" || true)
    upd=$(grep -c '^### UPDATE ' "$WORK/out" || true)
    del=$(grep -c '^### DELETE FROM ' "$WORK/out" || true)
    [[ $ins == "$W_INS" && $upd == "$W_UPD" && $del == "$W_DEL" ]] ||
        { echo "mariadb-binlog printed $ins/$upd/$del rows, the summary says $W_INS/$W_UPD/$W_DEL" >&2; exit 1; }
}

check_myreplay() {
    python3 - "$WORK/out" "$W_INS" "$W_UPD" "$W_DEL" <<'PY'
import json, sys
counts = {"insert": 0, "update": 0, "delete": 0}
for line in open(sys.argv[1]):
    for c in json.loads(line).get("changes", []):
        counts[c["kind"]] += 1
        assert "after" in c or "before" in c
want = dict(zip(["insert", "update", "delete"], map(int, sys.argv[2:5])))
if counts != want:
    sys.exit(f"myreplay printed {counts}, the summary says {want}")
PY
}

ref=() mine=()
for i in $(seq 1 "$RUNS"); do
    r=$(timed mariadb-binlog --no-defaults --base64-output=decode-rows -vv "$FILE")
    check_reference
    ref_bytes=$(stat -c %s "$WORK/out")
    m=$(timed "$MYREPLAY" transactions --rows --json "$FILE")
    check_myreplay
    mine_bytes=$(stat -c %s "$WORK/out")
    echo "   run $i: mariadb-binlog $r (wall user sys rss_kb), $ref_bytes bytes out; myreplay $m, $mine_bytes bytes out (both verified)"
    ref+=("$r") mine+=("$m")
done
median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $0 } END { print a[int((NR + 1) / 2)] }'; }
ref_wall=$(median "${ref[@]%% *}")
mine_wall=$(median "${mine[@]%% *}")
ref_rss=$(median "$(printf '%s\n' "${ref[@]}" | awk '{ print $4 }')")
mine_rss=$(printf '%s\n' "${mine[@]}" | awk '{ print $4 }' | sort -n | tail -1)

# Memory on half the input: the first half of the file's transactions.
half=$("$MYREPLAY" transactions --json "$FILE" | python3 -c "
import json, sys
lines = sys.stdin.readlines()
print(json.loads(lines[len(lines) // 2])['offset'])")
h=$(timed "$MYREPLAY" transactions --rows --json --stop-position "$half" "$FILE")
half_rss=$(echo "$h" | awk '{ print $4 }')

awk -v r="$ref_wall" -v m="$mine_wall" -v s="$SIZE" -v rr="$ref_rss" -v mr="$mine_rss" -v hr="$half_rss" 'BEGIN {
    printf "== median wall: mariadb-binlog -vv %.2f s (%.1f MB/s), myreplay --rows --json %.2f s (%.1f MB/s): %.1fx\n", r, s / r / 1e6, m, s / m / 1e6, r / m
    printf "== peak RSS: mariadb-binlog %.1f MB; myreplay %.1f MB on the whole file, %.1f MB on its first half\n", rr / 1024, mr / 1024, hr / 1024
}'
