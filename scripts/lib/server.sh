# shellcheck shell=bash
# scripts/lib/server.sh: a private server of any flavour the tests run on,
# through one interface (the shell side of
# crates/apply/tests/support/flavour.rs):
#
#   mariadb-10.11   the host's MariaDB (Debian 12), scripts/lib/mariadb.sh
#   mariadb-11.8    Debian unstable's MariaDB, in a debootstrap root
#   mysql-9.7       Debian unstable's MySQL, in a debootstrap root
#
# The roots come from scripts/lib/sid-root.sh (built once per machine). A
# server's directory has the layout of scripts/lib/mariadb.sh (DIR/data,
# DIR/sock, DIR/port, DIR/mariadbd.pid, DIR/error.log, DIR/tmp), so
# mariadb_client, mariadb_stop, mariadb_binlogs and mariadb_fingerprint work
# on every flavour (the host's mariadb client talks to all three).
#
# Source it after scripts/lib/mariadb.sh and scripts/lib/sid-root.sh.
#
#   server_dir FLAVOUR NAME            print a new server directory (made): under
#                                      the root's srv/ for a root flavour
#   server_start FLAVOUR DIR [opts]    initialize DIR/data if needed, start, wait
#                                      for SELECT 1, print the port; opts win
#   server_tool FLAVOUR PROGRAM [args] run a program of the flavour (mysqlbinlog,
#                                      mariadb-binlog, mysql, mariadb-backup, ...)
#   server_path FLAVOUR PATH           PATH as the flavour's programs see it
#   server_stop DIR                    clean shutdown (mariadb_stop)
#
# A root flavour's server runs under chroot and sees DIR without the root's
# prefix: give it a directory from server_dir, and its programs paths from
# server_path.

_server_root() {
    case $1 in
    mariadb-10.11) return 1 ;;
    mariadb-11.8) sid_root_ensure mariadb ;;
    mysql-9.7) sid_root_ensure mysql ;;
    *)
        _mariadb_log "unknown flavour $1 (mariadb-10.11, mariadb-11.8 or mysql-9.7)"
        return 2
        ;;
    esac
}

server_dir() {
    local flavour=${1:?server_dir FLAVOUR NAME} name=${2:?server_dir FLAVOUR NAME} root rc=0
    root=$(_server_root "$flavour") || rc=$?
    case $rc in
    0)
        mkdir -p "$root/srv/$name"
        printf '%s\n' "$root/srv/$name"
        ;;
    1) mktemp -d "/tmp/$name.XXXXXX" ;;
    *) return 1 ;;
    esac
}

server_path() {
    local flavour=${1:?server_path FLAVOUR PATH} path=${2:?server_path FLAVOUR PATH} root rc=0
    root=$(_server_root "$flavour") || rc=$?
    case $rc in
    0)
        path=$(realpath -m "$path")
        if [[ ${path#"$root"} == "$path" ]]; then
            _mariadb_log "$path is not inside $root (use server_dir)"
            return 1
        fi
        printf '%s\n' "${path#"$root"}"
        ;;
    1) printf '%s\n' "$path" ;;
    *) return 1 ;;
    esac
}

server_tool() {
    local flavour=${1:?server_tool FLAVOUR PROGRAM [args]} root rc=0
    shift
    root=$(_server_root "$flavour") || rc=$?
    case $rc in
    0) chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@" ;;
    1) "$@" ;;
    *) return 1 ;;
    esac
}

server_stop() { mariadb_stop "$@"; }

server_start() {
    local flavour=${1:?server_start FLAVOUR DIR [options...]} dir=${2:?server_start FLAVOUR DIR [options...]}
    shift 2
    if [[ $flavour == mariadb-10.11 ]]; then
        mariadb_start "$dir" "$@"
        return
    fi
    local root inside port pid i server
    root=$(_server_root "$flavour") || return 1
    dir=$(cd "$dir" && pwd)
    inside=$(server_path "$flavour" "$dir") || return 1
    mkdir -p "$dir/tmp"
    # Each flavour's installer, server program and defaults (those of the
    # tests' support: crates/apply/tests/support/flavour.rs).
    local install defaults
    case $flavour in
    mysql-9.7)
        server=mysqld
        install=(mysqld --no-defaults --initialize-insecure --user=root
            --datadir="$inside/data" --tmpdir="$inside/tmp")
        defaults=(--mysqlx=OFF --secure-file-priv=)
        ;;
    mariadb-11.8)
        server=mariadbd
        install=(mariadb-install-db --no-defaults --user=root --datadir="$inside/data"
            --tmpdir="$inside/tmp" --auth-root-authentication-method=normal --skip-test-db)
        defaults=(--binlog-format=ROW --collation-server=utf8mb4_general_ci)
        ;;
    esac
    if [[ ! -d $dir/data/mysql ]]; then
        if ! server_tool "$flavour" "${install[@]}" >"$dir/install-db.log" 2>&1; then
            _mariadb_log "${install[0]} failed:"
            cat "$dir/install-db.log" >&2
            return 1
        fi
    fi
    for _ in 1 2 3; do
        port=$(_mariadb_free_port)
        rm -f "$dir/mariadbd.pid"
        : >"$dir/error.log"
        # A subshell that execs, not a function call with redirections:
        # bash would hand the server its saved copy of the caller's stdout
        # (a $(...) capturing it would then wait for the server to exit).
        (
            exec chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
                "$server" --no-defaults --user=root \
                --datadir="$inside/data" --socket="$inside/sock" --pid-file="$inside/mariadbd.pid" \
                --tmpdir="$inside/tmp" --log-error="$inside/error.log" \
                --port="$port" --bind-address=127.0.0.1 --skip-name-resolve \
                --log-bin=binlog --server-id=1 --character-set-server=utf8mb4 \
                "${defaults[@]}" "$@"
        ) </dev/null >>"$dir/mariadbd.out" 2>&1 &
        pid=$!
        printf '%s\n' "$port" >"$dir/port"
        for ((i = 0; i < 600; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            if mariadb_client "$dir" -N -e 'SELECT 1' >/dev/null 2>&1; then
                _mariadb_log "$flavour up in $dir (pid $pid, port $port)"
                printf '%s\n' "$port"
                return 0
            fi
            sleep 0.1
        done
        grep -qiE 'address already in use|bind on tcp/ip port' "$dir/error.log" 2>/dev/null && continue
        break
    done
    _mariadb_log "$flavour in $dir did not start; tail of its error log:"
    tail -20 "$dir/error.log" >&2
    return 1
}
