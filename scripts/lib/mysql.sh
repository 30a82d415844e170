# shellcheck shell=bash
# scripts/lib/mysql.sh: private MySQL 9.7 servers for benchmarks and
# scripts, from the Debian unstable root of scripts/lib/sid-root.sh, with
# the directory layout of scripts/lib/mariadb.sh (DIR/data, DIR/sock,
# DIR/mariadbd.pid, DIR/error.log, DIR/tmp), so mariadb_client,
# mariadb_stop, mariadb_binlogs and mariadb_fingerprint work on them too.
#
# Source it after scripts/lib/mariadb.sh and scripts/lib/sid-root.sh.
#
#   mysql_dir NAME              print a server directory under the root (made)
#   mysql_start DIR [opts...]   initialize DIR/data if needed, start, wait for SELECT 1
#   mysql_tool PROGRAM [args]   run a MySQL 9.7 program (mysqlbinlog, mysql) in the root
#
# DIR must be inside the root (mysql_dir gives one): the server runs under
# chroot and sees DIR without the root's prefix.

_mysql_root() { sid_root_ensure mysql; }

mysql_dir() {
    local name=${1:?mysql_dir NAME} root
    root=$(_mysql_root) || return 1
    mkdir -p "$root/srv/$name"
    printf '%s\n' "$root/srv/$name"
}

mysql_tool() {
    local root
    root=$(_mysql_root) || return 1
    chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"
}

mysql_start() {
    local dir=${1:?mysql_start DIR [mysqld options...]}
    shift
    local root inside port pid i
    root=$(_mysql_root) || return 1
    dir=$(cd "$dir" && pwd)
    inside=${dir#"$root"}
    if [[ $inside == "$dir" ]]; then
        _mariadb_log "$dir is not inside $root (use mysql_dir)"
        return 1
    fi
    mkdir -p "$dir/tmp"
    if [[ ! -d $dir/data/mysql ]]; then
        if ! mysql_tool mysqld --no-defaults --initialize-insecure --user=root \
            --datadir="$inside/data" --tmpdir="$inside/tmp" >"$dir/install-db.log" 2>&1; then
            _mariadb_log "mysqld --initialize-insecure failed:"
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
                mysqld --no-defaults --user=root \
                --datadir="$inside/data" --socket="$inside/sock" --pid-file="$inside/mariadbd.pid" \
                --tmpdir="$inside/tmp" --log-error="$inside/error.log" \
                --port="$port" --bind-address=127.0.0.1 --skip-name-resolve --mysqlx=OFF \
                --secure-file-priv= --log-bin=binlog --server-id=1 \
                "$@"
        ) </dev/null >>"$dir/mariadbd.out" 2>&1 &
        pid=$!
        printf '%s\n' "$port" >"$dir/port"
        for ((i = 0; i < 600; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            if mariadb_client "$dir" -N -e 'SELECT 1' >/dev/null 2>&1; then
                _mariadb_log "MySQL up in $dir (pid $pid, port $port)"
                printf '%s\n' "$port"
                return 0
            fi
            sleep 0.1
        done
        grep -q 'Address already in use' "$dir/error.log" 2>/dev/null && continue
        break
    done
    _mariadb_log "MySQL in $dir did not start; tail of its error log:"
    tail -20 "$dir/error.log" >&2
    return 1
}
