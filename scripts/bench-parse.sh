#!/usr/bin/env bash
# scripts/bench-parse.sh: the parser benchmark, side by side with the
# reference decoder, in one run.
#
#   bash scripts/bench-parse.sh
#
# Makes the input if needed (scripts/gen-bench-binlog.sh), times
# `mariadb-binlog FILE > /dev/null` three times (median), runs the criterion
# bench `parse` (frame / decode / transactions, each iteration asserting its
# counts against the input's summary), and prints MB/s and the ratio.
# Both run on one core each, one after the other.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
FILE=${MYREPLAY_BENCH_BINLOG:-$ROOT/benches/data/sysbench-oltp-write-only.binlog}
[[ -f $FILE ]] || bash scripts/gen-bench-binlog.sh
SIZE=$(stat -c %s "$FILE")
calc() { awk "BEGIN { printf \"%.6f\", $* }"; }

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(free -g | awk '/Mem:/ {print $2}') GiB"
echo "== input: $FILE ($SIZE bytes)"

echo "== mariadb-binlog $(mariadb-binlog --version | head -1)"
times=()
for i in 1 2 3; do
    s=$(date +%s.%N)
    mariadb-binlog "$FILE" >/dev/null
    e=$(date +%s.%N)
    t=$(calc "$e - $s")
    times+=("$t")
    printf '   run %d: %.3f s\n' "$i" "$t"
done
ref=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 2p)
printf '   median %.3f s = %.1f MB/s\n' "$ref" "$(calc "$SIZE / $ref / 1000000")"

echo "== cargo bench -p myreplay-benches --bench parse"
out=$(cargo bench -q -p myreplay-benches --bench parse 2>&1 | tee /dev/stderr)
for name in frame decode transactions; do
    # criterion prints: parse/NAME time: [lo MID hi] with a unit.
    line=$(printf '%s\n' "$out" | grep -A0 "parse/$name" | grep 'time:' | head -1)
    [[ -n $line ]] || line=$(printf '%s\n' "$out" | grep -A1 "^parse/$name" | grep 'time:' | head -1)
    mid=$(echo "$line" | sed -E 's/.*\[[^ ]+ [^ ]+ ([0-9.]+) ([a-zµ]+) .*/\1 \2/')
    val=${mid% *}
    unit=${mid#* }
    case $unit in
        ms) secs=$(calc "$val / 1000") ;;
        s) secs=$val ;;
        µs|us) secs=$(calc "$val / 1000000") ;;
        *) echo "cannot read criterion's time for $name: $line" >&2; exit 1 ;;
    esac
    printf '   %-13s %8.1f ms  %7.1f MB/s  %5.1fx mariadb-binlog\n' "$name" \
        "$(calc "$secs * 1000")" "$(calc "$SIZE / $secs / 1000000")" "$(calc "$ref / $secs")"
done
