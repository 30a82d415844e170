#!/usr/bin/env bash
# testdata/backups/generate.sh: capture the coordinates files that the
# backup tools installed here write (mariadb-backup, mydumper, mariadb-dump),
# from a private primary and a replica of it. See testdata/backups/README.md
# for what each case holds; the hand-written cases are not touched.
#
# Usage: bash testdata/backups/generate.sh
#
# Only metadata is kept: no data files of the physical backups, and trimmed
# copies of the big dump. Paths of the temp directory inside tool output are
# rewritten to /tmp/bk so that reruns differ only in dates and UUIDs.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT=${TESTDATA_OUT:-$ROOT/testdata/backups}
# shellcheck source=scripts/lib/mariadb.sh
source "$ROOT/scripts/lib/mariadb.sh"

mariadb_ensure_installed
for tool in mariadb-backup mydumper mariadb-dump; do
    command -v "$tool" >/dev/null || {
        echo "$tool is not installed (apt-get install mariadb-backup mydumper mariadb-client)" >&2
        exit 1
    }
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/myreplay-bk.XXXXXX")
P=$WORK/p
R=$WORK/r
cleanup() {
    mariadb_stop "$R" || true
    mariadb_stop "$P" || true
    rm -rf "$WORK"
}
trap cleanup EXIT

# Rotate, then wait for the Binlog_checkpoint naming the new file, so that
# the positions below are the same on every run.
flush() {
    local dir=$1 cur i
    mariadb_client "$dir" -e 'FLUSH BINARY LOGS'
    cur=$(mariadb_client "$dir" -N -B -e 'SHOW MASTER STATUS' | cut -f1)
    for ((i = 0; i < 100; i++)); do
        if mariadb_client "$dir" -N -B -e "SHOW BINLOG EVENTS IN '$cur'" |
            awk -F'\t' -v f="$cur" '$3 == "Binlog_checkpoint" && $6 == f { ok = 1 } END { exit !ok }'; then
            return 0
        fi
        sleep 0.1
    done
    echo "no Binlog_checkpoint for $cur after 10 s" >&2
    return 1
}

# Primary: two GTID domains, the position in its second binlog.
mariadb_start "$P" >/dev/null
mariadb_client "$P" -e "CREATE DATABASE d;
    CREATE TABLE d.t (id INT PRIMARY KEY, v VARCHAR(20));
    INSERT INTO d.t VALUES (1, 'a'), (2, 'b');
    SET SESSION gtid_domain_id = 2; INSERT INTO d.t VALUES (3, 'c');"
flush "$P"
mariadb_client "$P" -e "INSERT INTO d.t VALUES (4, 'd')"

# Replica: replicates everything from the primary's first binlog into its
# own binlog (--log-slave-updates), so its own position and its source's
# differ.
mariadb_start "$R" --server-id=2 --log-slave-updates >/dev/null
mariadb_client "$R" -e "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$(mariadb_port "$P"),
    MASTER_USER='root', MASTER_USE_GTID=current_pos; START SLAVE;"
want=$(mariadb_client "$P" -N -B -e 'SELECT @@gtid_binlog_pos')
for ((i = 0; i < 300; i++)); do
    [[ $(mariadb_client "$R" -N -B -e 'SELECT @@gtid_slave_pos') == "$want" ]] && break
    sleep 0.1
done
[[ $(mariadb_client "$R" -N -B -e 'SELECT @@gtid_slave_pos') == "$want" ]] || {
    echo "the replica did not reach $want" >&2
    exit 1
}
# A write of the replica's own, in a domain of its own: its binlog position
# (gtid_binlog_pos) and its source's (gtid_slave_pos) now differ.
mariadb_client "$R" -e "SET SESSION gtid_domain_id = 5;
    CREATE TABLE d.r (id INT PRIMARY KEY); INSERT INTO d.r VALUES (1);"

keep() { # keep CASE FILE...: copy metadata files into OUT/CASE
    local case=$1 f
    shift
    rm -rf "${OUT:?}/$case"
    mkdir -p "$OUT/$case"
    for f in "$@"; do
        sed "s|$WORK|/tmp/bk|g" "$f" >"$OUT/$case/$(basename "$f")"
    done
}

# mariadb-backup: the binlog info, info and checkpoints files.
mariadb-backup --backup --target-dir="$WORK/mb" -S "$P/sock" -uroot >"$WORK/mb.log" 2>&1
keep mariadb-backup-10.11 "$WORK"/mb/xtrabackup_{binlog_info,info,checkpoints}
mariadb-backup --backup --slave-info --target-dir="$WORK/mbr" -S "$R/sock" -uroot >"$WORK/mbr.log" 2>&1
keep mariadb-backup-10.11-replica "$WORK"/mbr/xtrabackup_{binlog_info,info,checkpoints,slave_info}

# mydumper: the metadata file.
mydumper -S "$P/sock" -u root -B d -o "$WORK/md" >"$WORK/md.log" 2>&1
keep mydumper-0.10 "$WORK/md/metadata"
mydumper -S "$R/sock" -u root -B d -o "$WORK/mdr" >"$WORK/mdr.log" 2>&1
keep mydumper-0.10-replica "$WORK/mdr/metadata"

dump() { # dump CASE SERVER OPTIONS...: a small dump of database d, whole
    local case=$1 dir=$2
    shift 2
    mariadb-dump -S "$dir/sock" -uroot --single-transaction "$@" -B d >"$WORK/$case.sql"
    keep "$case" "$WORK/$case.sql"
    mv "$OUT/$case/$case.sql" "$OUT/$case/dump.sql"
}

# --all-databases, trimmed: the header and database d, then the end of the
# dump from the deferred gtid_slave_pos comment on (mysql and sys dropped).
mariadb-dump -S "$P/sock" -uroot --master-data=2 --gtid --single-transaction --all-databases >"$WORK/all.sql"
rm -rf "$OUT/mariadb-dump-10.11" "$OUT/mariadb-dump-10.11-cut"
mkdir -p "$OUT/mariadb-dump-10.11"
awk 'NR == FNR { if (!cut && /^-- Current Database: `mysql`/) cut = FNR - 1; next }
    FNR < cut || /^-- The deferred gtid setting/ { on = on || FNR >= cut; print; next }
    on { print }' "$WORK/all.sql" "$WORK/all.sql" >"$OUT/mariadb-dump-10.11/dump.sql"

dump mariadb-dump-10.11-master-data-1 "$P" --master-data=1 --gtid
dump mariadb-dump-10.11-dump-slave "$R" --dump-slave=2 --gtid
dump mariadb-dump-10.11-replica-both "$R" --master-data=2 --dump-slave=2 --gtid
dump mariadb-dump-10.11-skip-comments "$R" --skip-comments --master-data=2 --dump-slave=2 --gtid

# A dump cut short: the first 60 lines of a whole one.
mkdir -p "$OUT/mariadb-dump-10.11-cut"
head -n 60 "$OUT/mariadb-dump-10.11-master-data-1/dump.sql" >"$OUT/mariadb-dump-10.11-cut/dump.sql"

{
    echo "primary: $(mariadb_client "$P" -N -B -e 'SHOW MASTER STATUS' | cut -f1,2) gtid_binlog_pos $want"
    echo "replica: $(mariadb_client "$R" -N -B -e 'SHOW MASTER STATUS' | cut -f1,2) gtid_binlog_pos $(mariadb_client "$R" -N -B -e 'SELECT @@gtid_binlog_pos')"
    echo "versions: $(mariadb-backup --version 2>&1 | head -1); $(mydumper --version); $(mariadb-dump --version)"
} >&2
