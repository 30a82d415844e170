#!/usr/bin/env bash
# scripts/test.sh: the project's test command (see the README).
#
#   bash scripts/test.sh
#
# Installs MariaDB with apt-get when mariadbd is missing (tests start private
# servers through scripts/lib/mariadb.sh), and mariadb-backup and mydumper
# when they are missing (the recovery tests take real backups), builds the
# MySQL 9.7 and MariaDB 11.8 roots when missing (scripts/lib/sid-root.sh),
# checks that
# the shared real-binlog corpus is present, then runs every test of the
# workspace.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=scripts/lib/mariadb.sh
source scripts/lib/mariadb.sh

mariadb_ensure_installed
# The recovery tests (crates/cli/tests/from_backup.rs) take real backups.
mariadb_ensure_backup_tools
# MySQL 9.7 and MariaDB 11.8 from Debian unstable, in debootstrap roots
# built once per machine (scripts/lib/sid-root.sh; about a minute each).
# shellcheck source=scripts/lib/sid-root.sh
source scripts/lib/sid-root.sh
sid_root_ensure mysql >/dev/null
sid_root_ensure mariadb >/dev/null
# Named time zones (--timezone Europe/Paris) come from the system's database.
[[ -e /usr/share/zoneinfo/Europe/Paris ]] || _mariadb_apt_install tzdata
# The TLS tests make their certificates with openssl (not in Debian's base system).
command -v openssl >/dev/null 2>&1 || _mariadb_apt_install openssl
source scripts/lib/galera.sh && galera_ensure_installed # the Galera cluster tests (issue 11): galera-4 and rsync

SHARED_BINLOGS=$ROOT/../shared/testdata/mysql-binlogs
if [[ ! -d $SHARED_BINLOGS ]] || ! compgen -G "$SHARED_BINLOGS/*" >/dev/null; then
    cat >&2 <<MSG
error: the shared test data is missing: $SHARED_BINLOGS
  The parser's tests read the real MySQL/MariaDB binlogs in
  ../shared/testdata/mysql-binlogs/ (relative to the repository root); they
  are not part of this repository. Put (or link) that directory there and
  run this script again.
MSG
    exit 1
fi

echo "== cargo test --workspace --all-targets"
cargo test --workspace --all-targets
echo "== cargo test --workspace --doc"
cargo test --workspace --doc

echo "== cargo doc (warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps

echo "== fuzz targets compile (fuzz/ is its own workspace; fuzzing itself: fuzz/README.md)"
cargo build --manifest-path fuzz/Cargo.toml --bins

echo "== testdata/generate.sh still reproduces the committed fixture summaries"
REGEN=$(mktemp -d "${TMPDIR:-/tmp}/myreplay-regen.XXXXXX")
TESTDATA_OUT=$REGEN bash testdata/generate.sh >"$REGEN.log" 2>&1 || {
    cat "$REGEN.log" >&2
    echo "error: testdata/generate.sh failed (log above)" >&2
    exit 1
}
for f in testdata/mariadb/*.events.tsv testdata/mariadb/*.summary.json; do
    if ! cmp -s "$f" "$REGEN/$(basename "$f")"; then
        diff -u "$f" "$REGEN/$(basename "$f")" >&2 || true
        echo "error: $f differs from a fresh run of testdata/generate.sh; regenerate and commit the fixtures" >&2
        exit 1
    fi
done
rm -rf "$REGEN" "$REGEN.log"

echo "== all tests passed"
