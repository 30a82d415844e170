#!/usr/bin/env bash
# scripts/bench-scale.sh: the scale run (issue 5): one binlog of more than
# 2 GB holding a single transaction of 5 million rows in rows events of
# more than 256 MB each, read and replayed by myreplay; wall time and peak
# memory (max RSS, from GNU time) recorded; every table checked against the
# source afterwards.
#
#   bash scripts/bench-scale.sh [--rebuild] [--pipe]
#
#   --rebuild   build the scenario again even when it is cached
#   --pipe      also time `mariadb-binlog FILE | mariadb` on a second target
#               (needs max_allowed_packet=1G on it: a BINLOG statement of a
#               512 MB event is ~700 MB of base64)
#
# Environment: ROWS (default 5000000), PAD (bytes of padding per row,
# default 400), EVENT_MAX (the source's binlog_row_event_max_size, default
# 512 MiB), WORKERS (default 2), DATA (where the scenario is cached).
#
# The scenario (cached in benches/data/scale/, git-ignored): a private
# source MariaDB with binlog_row_event_max_size=EVENT_MAX; the table
# scale.big (id BIGINT PRIMARY KEY, pad VARCHAR(500), v INT) and a small
# table; FLUSH BINARY LOGS; a physical copy of the datadir (the snapshot);
# then 100 small transactions, one INSERT ... SELECT of ROWS rows in one
# transaction, 100 small transactions; FLUSH BINARY LOGS. The binlog written
# after the snapshot is the input.
#
# Each measurement runs on a fresh copy of the snapshot (binlog off,
# innodb_flush_log_at_trx_commit=1, 1G buffer pool, max_allowed_packet 64M).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=scripts/lib/mariadb.sh
source scripts/lib/mariadb.sh

REBUILD=0 PIPE=0
for a in "$@"; do
    case $a in
    --rebuild) REBUILD=1 ;;
    --pipe) PIPE=1 ;;
    *) echo "usage: $0 [--rebuild] [--pipe]" >&2; exit 2 ;;
    esac
done
ROWS=${ROWS:-5000000}
PAD=${PAD:-400}
EVENT_MAX=${EVENT_MAX:-536870912}
WORKERS=${WORKERS:-2}
DATA=${DATA:-$ROOT/benches/data/scale}
MYREPLAY=$ROOT/target/release/myreplay

mariadb_ensure_installed
if [[ ! -x /usr/bin/time ]]; then
    apt-get update && apt-get install -y time
fi
cargo build --release -p myreplay-cli
COMMIT=$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- crates || echo "+local changes")

SRC_OPTS=(--binlog-row-event-max-size="$EVENT_MAX" --max-binlog-size=1G
    --max-allowed-packet=1G --innodb-buffer-pool-size=1G
    --innodb-log-file-size=1G --innodb-flush-log-at-trx-commit=2)
TGT_OPTS=(--skip-log-bin --innodb-buffer-pool-size=1G --innodb-log-file-size=1G
    --innodb-flush-log-at-trx-commit=1 --max-allowed-packet=64M)

build_scenario() {
    rm -rf "$DATA"
    mkdir -p "$DATA/binlogs"
    local src=$DATA/source
    mariadb_start "$src" "${SRC_OPTS[@]}" >/dev/null
    mariadb_client "$src" -e "
        CREATE DATABASE scale;
        CREATE TABLE scale.big (id BIGINT PRIMARY KEY, pad VARCHAR(500) NOT NULL, v INT NOT NULL) ENGINE=InnoDB;
        CREATE TABLE scale.small (id INT PRIMARY KEY, v INT NOT NULL) ENGINE=InnoDB;
        FLUSH BINARY LOGS;"
    local before
    before=$(mariadb_binlogs "$src" | wc -l)
    mariadb_stop "$src"
    mkdir -p "$DATA/snapshot"
    cp -a "$src/data" "$DATA/snapshot/data"
    rm -f "$DATA"/snapshot/data/binlog.*
    mariadb_start "$src" "${SRC_OPTS[@]}" >/dev/null
    local i sql=""
    for ((i = 1; i <= 100; i++)); do sql+="INSERT INTO scale.small VALUES ($i, $i);"; done
    mariadb_client "$src" -e "$sql"
    echo "source: one transaction of $ROWS rows ($(date +%T))"
    mariadb_client "$src" -e "
        USE scale;
        BEGIN;
        INSERT INTO big SELECT seq, REPEAT(CHAR(65 + seq % 26), $PAD), seq FROM seq_1_to_$ROWS;
        COMMIT;"
    sql=""
    for ((i = 1; i <= 100; i++)); do sql+="UPDATE scale.small SET v = v + 1 WHERE id = $i;"; done
    mariadb_client "$src" -e "$sql; FLUSH BINARY LOGS"
    mariadb_fingerprint "$src" scale >"$DATA/expected.tsv"
    mariadb_binlogs "$src" | tail -n +"$before" | head -n -1 >"$DATA/files"
    while read -r f; do mv "$f" "$DATA/binlogs/"; done <"$DATA/files"
    mariadb_stop "$src"
    rm -rf "$src"
    ls -l "$DATA/binlogs" >&2
}

if [[ $REBUILD == 1 || ! -f $DATA/expected.tsv ]]; then
    build_scenario
fi
mapfile -t FILES < <(ls "$DATA"/binlogs/binlog.* | sort)
SIZE=$(cat "${FILES[@]}" | wc -c)

# GNU time's "Maximum resident set size" (KiB) and elapsed seconds.
measure() { # OUT CMD...
    local out=$1
    shift
    /usr/bin/time -f '%e %M' -o "$out" "$@"
}

RESULTS=$DATA/results-$(date +%Y%m%d-%H%M%S).txt
{
    echo "# scale run $(date -u +%FT%TZ), myreplay built from $COMMIT"
    echo "# input: ${#FILES[@]} file(s), $SIZE bytes; $ROWS-row transaction; source binlog_row_event_max_size=$EVENT_MAX"
    "$MYREPLAY" events "${FILES[@]}" | awk -F'\t' '$5 ~ /ROWS/ {n++; s=$3-$2; if (s > m) m = s} END {printf "# rows events: %d, largest %d bytes\n", n, m}' || true
} | tee "$RESULTS"

# 1. Reading: every transaction decoded and counted, nothing applied.
measure "$DATA/time.read" "$MYREPLAY" transactions "${FILES[@]}" >/dev/null
read -r secs kib <"$DATA/time.read"
echo "read (myreplay transactions): ${secs} s, max RSS $((kib / 1024)) MiB" | tee -a "$RESULTS"

fresh_target() { # DIR
    rm -rf "$1"
    mkdir -p "$1"
    cp -a "$DATA/snapshot/data" "$1/data"
    mariadb_start "$1" "${TGT_OPTS[@]}" "${@:2}" >/dev/null
}

verify() { # DIR LABEL
    mariadb_fingerprint "$1" scale >"$DATA/got.tsv"
    if diff -q "$DATA/expected.tsv" "$DATA/got.tsv" >/dev/null; then
        echo "$2: verified, every table equal to the source" | tee -a "$RESULTS"
    else
        echo "$2: MISMATCH with the source" | tee -a "$RESULTS"
        diff "$DATA/expected.tsv" "$DATA/got.tsv" | cut -c1-200 >&2
        FAILED=1
    fi
}

FAILED=0
T=$DATA/target
fresh_target "$T"
measure "$DATA/time.apply" "$MYREPLAY" apply -S "$T/sock" -u root --no-defaults \
    --workers "$WORKERS" "${FILES[@]}" >"$DATA/apply.out"
read -r secs kib <"$DATA/time.apply"
echo "myreplay apply --workers $WORKERS: ${secs} s, max RSS $((kib / 1024)) MiB" | tee -a "$RESULTS"
cat "$DATA/apply.out" | tee -a "$RESULTS"
verify "$T" "myreplay apply"
mariadb_stop "$T"
rm -rf "$T"

if [[ $PIPE == 1 ]]; then
    fresh_target "$T" --max-allowed-packet=1G
    if measure "$DATA/time.pipe" bash -o pipefail -c "mariadb-binlog ${FILES[*]} | mariadb --no-defaults --max-allowed-packet=1G -S '$T/sock' -uroot" 2>"$DATA/pipe.err"; then
        read -r secs kib <"$DATA/time.pipe"
        echo "mariadb-binlog | mariadb: ${secs} s, max RSS (largest process) $((kib / 1024)) MiB" | tee -a "$RESULTS"
        verify "$T" "pipe"
    else
        # GNU time writes the exit status on the first line of its output.
        secs=$(tail -1 "$DATA/time.pipe" | cut -d' ' -f1)
        echo "mariadb-binlog | mariadb: FAILED after ${secs} s: $(grep -a '^ERROR' "$DATA/pipe.err" | tail -1)" | tee -a "$RESULTS"
        echo "  target error log: $(grep -a 'Aborted connection' "$T/error.log" | tail -1 | cut -c1-200)" | tee -a "$RESULTS"
    fi
    mariadb_stop "$T"
    rm -rf "$T"
fi
echo "results: $RESULTS"
exit "$FAILED"
