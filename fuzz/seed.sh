#!/bin/sh
# Seeds fuzz/corpus/<target>/ with small real binlogs (MySQL test-suite files
# from ../shared/testdata/mysql-binlogs and our MariaDB fixtures). The corpus
# directory is git-ignored; run this before the first `cargo fuzz run`.
# The `rows` target takes structured inputs, not binlogs: its seeds are the
# rows events (with their TABLE_MAP) of the same files, converted by
# examples/rows_seeds.rs.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
mysql="$root/../shared/testdata/mysql-binlogs"
mariadb="$root/testdata/mariadb"
max_size=${SEED_MAX_SIZE:-16384}   # bytes; small seeds keep executions fast

for target in framing decode transactions; do
    dir="$here/corpus/$target"
    mkdir -p "$dir"
    n=0
    for f in "$mysql"/* "$mariadb"/binlog.0*; do
        [ -f "$f" ] || continue
        case "$f" in *.md|*.tsv|*.json) continue ;; esac
        size=$(wc -c < "$f")
        [ "$size" -le "$max_size" ] || continue
        name=$(basename "$(dirname "$f")")-$(basename "$f")
        if [ "$target" = framing ]; then
            # framing reads flag byte first: 0x03 = add magic + verify CRC, so
            # strip the file's own magic and let the target put it back.
            { printf '\003'; tail -c +5 "$f"; } > "$dir/$name"
            { printf '\000'; cat "$f"; } > "$dir/$name.raw"
        else
            cp "$f" "$dir/$name"
        fi
        n=$((n + 1))
    done
    echo "seeded $dir with $n binlogs"
done

# rows: every rows event of the small binlogs, in the target's input format.
rows_files=""
for f in "$mysql"/* "$mariadb"/binlog.0*; do
    [ -f "$f" ] || continue
    case "$f" in *.md|*.tsv|*.json) continue ;; esac
    [ "$(wc -c < "$f")" -le "${ROWS_SEED_MAX_SIZE:-1048576}" ] || continue
    rows_files="$rows_files $f"
done
# shellcheck disable=SC2086 # the list is split on purpose (no spaces in the names)
cargo run --quiet --manifest-path "$here/Cargo.toml" --example rows_seeds -- \
    "$here/corpus/rows" $rows_files
