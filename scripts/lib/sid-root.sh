# shellcheck shell=bash
# scripts/lib/sid-root.sh: MySQL 9.7 and MariaDB 11.8 from Debian's unstable
# suite, in Debian unstable roots made with debootstrap (their binaries need
# a newer glibc than Debian 12's), built once per machine into a cache
# directory and reused.
#
# Source it after scripts/lib/mariadb.sh (it uses _mariadb_apt_install).
#
#   sid_root_ensure FLAVOUR     mysql | mariadb: print the root's path,
#                               building it first when missing or broken
#   sid_root_dir FLAVOUR        print where the root is (built or not)
#
# One root per flavour: MySQL's and MariaDB's server packages conflict.
# Roots live in $MYREPLAY_SID_CACHE (default /var/cache/myreplay); a root
# is complete when its .complete marker exists and its server answers
# --version; otherwise it is removed and built again. Servers are started
# with `chroot ROOT mysqld ...` on directories under ROOT/srv (see
# scripts/lib/server.sh and crates/apply/tests/support/flavour.rs); their sockets are reached from the
# host through ROOT.

_sid_log() { printf '[sid-root] %s\n' "$*" >&2; }

sid_root_dir() {
    local flavour=${1:?sid_root_dir mysql|mariadb}
    printf '%s/sid-%s\n' "${MYREPLAY_SID_CACHE:-/var/cache/myreplay}" "$flavour"
}

# The Debian mirror the machine's apt already uses.
_sid_mirror() {
    local uri
    uri=$(grep -h -m1 -E '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | head -1)
    if [[ -z $uri ]]; then
        uri=$(grep -h -m1 -E '^deb ' /etc/apt/sources.list 2>/dev/null | awk '{print $2}' | head -1)
    fi
    printf '%s\n' "${uri:-http://deb.debian.org/debian}"
}

_sid_server_binary() {
    case $1 in
    mysql) echo /usr/sbin/mysqld ;;
    mariadb) echo /usr/sbin/mariadbd ;;
    esac
}

_sid_packages() {
    case $1 in
    mysql) echo mysql-server-core mysql-client-core ;;
    mariadb) echo mariadb-server mariadb-client mariadb-backup ;;
    esac
}

_sid_root_ok() {
    local flavour=$1 root=$2
    [[ -f $root/.complete ]] || return 1
    chroot "$root" "$(_sid_server_binary "$flavour")" --version >/dev/null 2>&1
}

# Servers in the root need /proc.
_sid_mount_proc() {
    mountpoint -q "$1/proc" 2>/dev/null || mount -t proc proc "$1/proc"
}

sid_root_ensure() {
    local flavour=${1:?sid_root_ensure mysql|mariadb}
    # One build at a time per machine (test binaries may ask at once).
    local cache=${MYREPLAY_SID_CACHE:-/var/cache/myreplay}
    mkdir -p "$cache"
    (
        flock 9
        _sid_root_ensure_locked "$flavour"
    ) 9>"$cache/.lock"
}

_sid_root_ensure_locked() {
    local flavour=$1
    case $flavour in mysql | mariadb) ;; *)
        _sid_log "unknown flavour $flavour (mysql or mariadb)"
        return 1
        ;;
    esac
    local root
    root=$(sid_root_dir "$flavour")
    if _sid_root_ok "$flavour" "$root"; then
        _sid_mount_proc "$root"
        printf '%s\n' "$root"
        return 0
    fi
    if [[ $(id -u) -ne 0 ]]; then
        _sid_log "building $root needs root (debootstrap, chroot)"
        return 1
    fi
    command -v debootstrap >/dev/null 2>&1 || _mariadb_apt_install debootstrap
    _sid_log "building $root (debootstrap sid, then $(_sid_packages "$flavour")); a few minutes, once per machine"
    umount "$root/proc" 2>/dev/null || true
    rm -rf "$root" "$root.tmp"
    mkdir -p "$(dirname "$root")"
    local mirror
    mirror=$(_sid_mirror)
    if ! debootstrap --variant=minbase sid "$root.tmp" "$mirror" >"$root.log" 2>&1; then
        tail -20 "$root.log" >&2
        _sid_log "debootstrap failed (log: $root.log)"
        return 1
    fi
    # mariadb-install-db resolves localhost; servers need /proc.
    printf '127.0.0.1 localhost\n::1 localhost\n' >"$root.tmp/etc/hosts"
    printf '#!/bin/sh\nexit 101\n' >"$root.tmp/usr/sbin/policy-rc.d"
    chmod 755 "$root.tmp/usr/sbin/policy-rc.d"
    mount -t proc proc "$root.tmp/proc"
    # shellcheck disable=SC2046
    if ! chroot "$root.tmp" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
        apt-get install -y --no-install-recommends $(_sid_packages "$flavour") >>"$root.log" 2>&1; then
        umount "$root.tmp/proc" || true
        tail -20 "$root.log" >&2
        _sid_log "apt-get install in the root failed (log: $root.log)"
        return 1
    fi
    chroot "$root.tmp" apt-get clean >/dev/null 2>&1 || true
    umount "$root.tmp/proc"
    mkdir -p "$root.tmp/srv"
    mv "$root.tmp" "$root"
    touch "$root/.complete"
    _sid_mount_proc "$root"
    if ! _sid_root_ok "$flavour" "$root"; then
        _sid_log "$root was built but its server does not run"
        return 1
    fi
    _sid_log "$root ready: $(chroot "$root" "$(_sid_server_binary "$flavour")" --version)"
    printf '%s\n' "$root"
}
