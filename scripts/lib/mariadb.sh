# shellcheck shell=bash
# scripts/lib/mariadb.sh: private, throw-away MariaDB servers for tests,
# fixtures, demos and benchmarks.
#
# Source it (`source scripts/lib/mariadb.sh`); it is `set -euo pipefail`
# friendly and changes no shell options itself. Everything a server writes
# lives under the directory it is given:
#
#   DIR/data/        datadir (binlogs are DIR/data/binlog.NNNNNN)
#   DIR/sock         unix socket          DIR/port   TCP port (127.0.0.1)
#   DIR/error.log    server error log     DIR/mariadbd.pid
#   DIR/tmp/         server tmpdir        DIR/mariadbd.out  stdout/stderr
#
# No fixed port, no system service, no option file: every server is started
# with --no-defaults. Keep DIR short (a unix socket path must fit in 107
# bytes); a `mktemp -d` directory is fine.
#
# Functions:
#   mariadb_ensure_installed       apt-get install mariadb-server/-client if mariadbd is missing
#   mariadb_ensure_sysbench        apt-get install sysbench if missing
#   mariadb_ensure_backup_tools    apt-get install mariadb-backup / mydumper (mydumper
#                                  and myloader) when mariadb-backup / mydumper is missing
#   mariadb_start DIR [opts...]    create DIR/data if needed, start, wait for SELECT 1;
#                                  extra opts go to mariadbd (they win over the defaults)
#   mariadb_client DIR [args...]   mariadb --no-defaults -S DIR/sock -uroot [args]
#   mariadb_port DIR               print the TCP port
#   mariadb_binlogs DIR            print the binlog paths, in order, one per line
#   mariadb_stop DIR               clean shutdown; waits for the process to exit
#   mariadb_fingerprint DIR DB     one line per base table of DB: name, rows,
#                                  CHECKSUM TABLE, definition, AUTO_INCREMENT
#
# After mariadb_start, MARIADB_PORT, MARIADB_SOCKET and MARIADB_DATADIR are
# exported for the last server started.

_mariadb_log() { printf '[mariadb] %s\n' "$*" >&2; }

# Print the path of a program, looking in the sbin directories too (mariadbd
# is in /usr/sbin, which is not in every user's PATH).
_mariadb_which() {
    local p
    if p=$(command -v "$1" 2>/dev/null); then
        printf '%s\n' "$p"
        return 0
    fi
    for p in /usr/sbin/"$1" /usr/local/sbin/"$1" /sbin/"$1"; do
        if [[ -x $p ]]; then
            printf '%s\n' "$p"
            return 0
        fi
    done
    return 1
}

# apt-get install the given packages (as root, or through sudo). Keeps
# Debian's maintainer scripts from starting a system service while installing
# (policy-rc.d), when no policy is in place already.
_mariadb_apt_install() {
    local sudo=()
    if [[ $(id -u) -ne 0 ]]; then
        if command -v sudo >/dev/null 2>&1; then
            sudo=(sudo)
        else
            _mariadb_log "need root (or sudo) to apt-get install $*"
            return 1
        fi
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        _mariadb_log "apt-get not found: install $* by hand"
        return 1
    fi
    local policy=/usr/sbin/policy-rc.d added_policy=0
    if [[ ! -e $policy ]]; then
        if printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null &&
            "${sudo[@]}" chmod 755 "$policy"; then
            added_policy=1
        fi
    fi
    local rc=0
    _mariadb_log "installing $* (apt-get)"
    "${sudo[@]}" apt-get update || rc=$?
    if [[ $rc -eq 0 ]]; then
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "$@" || rc=$?
    fi
    if [[ $added_policy -eq 1 ]]; then
        "${sudo[@]}" rm -f "$policy"
    fi
    return "$rc"
}

mariadb_ensure_installed() {
    if _mariadb_which mariadbd >/dev/null && _mariadb_which mariadb >/dev/null &&
        _mariadb_which mariadb-binlog >/dev/null && _mariadb_which mariadb-install-db >/dev/null; then
        return 0
    fi
    _mariadb_apt_install mariadb-server mariadb-client
    _mariadb_which mariadbd >/dev/null || {
        _mariadb_log "mariadbd still not found after installing"
        return 1
    }
}

mariadb_ensure_sysbench() {
    command -v sysbench >/dev/null 2>&1 && return 0
    _mariadb_apt_install sysbench
}

# The backup tools the recovery tests take real backups with: mariadb-backup
# (package mariadb-backup), mydumper and myloader (package mydumper);
# mariadb-dump comes with mariadb-client.
mariadb_ensure_backup_tools() {
    local pkgs=()
    _mariadb_which mariadb-backup >/dev/null || pkgs+=(mariadb-backup)
    { _mariadb_which mydumper >/dev/null && _mariadb_which myloader >/dev/null; } || pkgs+=(mydumper)
    ((${#pkgs[@]} == 0)) && return 0
    _mariadb_apt_install "${pkgs[@]}"
    if ! _mariadb_which mariadb-backup >/dev/null || ! _mariadb_which mydumper >/dev/null; then
        _mariadb_log "mariadb-backup or mydumper still not found after installing ${pkgs[*]}"
        return 1
    fi
}

# Print a TCP port on 127.0.0.1 that nobody listens on right now.
_mariadb_free_port() {
    local py port i
    if py=$(command -v python3 2>/dev/null); then
        "$py" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()' && return 0
    fi
    # No python: random ports in the dynamic range until one refuses a connect.
    for ((i = 0; i < 100; i++)); do
        port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            printf '%s\n' "$port"
            return 0
        fi
    done
    _mariadb_log "no free TCP port found"
    return 1
}

_mariadb_pid() {
    local dir=$1 pid
    [[ -s $dir/mariadbd.pid ]] || return 1
    pid=$(<"$dir/mariadbd.pid")
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    printf '%s\n' "$pid"
}

mariadb_client() {
    local dir=${1:?mariadb_client DIR [args...]}
    shift
    mariadb --no-defaults -S "$dir/sock" -uroot "$@"
}

mariadb_port() {
    local dir=${1:?mariadb_port DIR}
    cat "$dir/port"
}

mariadb_binlogs() {
    local dir=${1:?mariadb_binlogs DIR}
    local index=$dir/data/binlog.index f
    [[ -f $index ]] || return 0
    while IFS= read -r f; do
        [[ -n $f ]] || continue
        f=${f#./}
        [[ $f = /* ]] || f=$dir/data/$f
        printf '%s\n' "$f"
    done <"$index"
}

mariadb_start() {
    local dir=${1:?mariadb_start DIR [mariadbd options...]}
    shift
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    if _mariadb_pid "$dir" >/dev/null; then
        _mariadb_log "a server is already running in $dir"
        return 1
    fi
    if ((${#dir} + 5 > 107)); then
        _mariadb_log "$dir is too long for a unix socket path; use a shorter directory"
        return 1
    fi
    mariadb_ensure_installed
    local mariadbd install_db
    mariadbd=$(_mariadb_which mariadbd)
    install_db=$(_mariadb_which mariadb-install-db)

    local user_opt=()
    [[ $(id -u) -eq 0 ]] && user_opt=(--user=root)

    mkdir -p "$dir/tmp"
    if [[ ! -d $dir/data/mysql ]]; then
        # --tmpdir goes through to the bootstrap mariadbd: without it, two
        # installs running at once share /tmp and can clash.
        if ! "$install_db" --no-defaults "${user_opt[@]}" --datadir="$dir/data" \
            --tmpdir="$dir/tmp" --auth-root-authentication-method=normal --skip-test-db \
            >"$dir/install-db.log" 2>&1; then
            _mariadb_log "mariadb-install-db failed:"
            cat "$dir/install-db.log" >&2
            return 1
        fi
    fi

    local port pid i
    for _ in 1 2 3; do
        port=$(_mariadb_free_port)
        rm -f "$dir/mariadbd.pid"
        : >"$dir/error.log"
        "$mariadbd" --no-defaults "${user_opt[@]}" \
            --datadir="$dir/data" --socket="$dir/sock" --pid-file="$dir/mariadbd.pid" \
            --tmpdir="$dir/tmp" --log-error="$dir/error.log" \
            --port="$port" --bind-address=127.0.0.1 --skip-name-resolve \
            --log-bin=binlog --server-id=1 --binlog-format=ROW \
            --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci \
            "$@" </dev/null >>"$dir/mariadbd.out" 2>&1 &
        pid=$!
        printf '%s\n' "$port" >"$dir/port"
        for ((i = 0; i < 600; i++)); do
            if ! kill -0 "$pid" 2>/dev/null; then
                break
            fi
            if mariadb_client "$dir" -N -e 'SELECT 1' >/dev/null 2>&1; then
                export MARIADB_PORT=$port MARIADB_SOCKET=$dir/sock MARIADB_DATADIR=$dir/data
                _mariadb_log "server up in $dir (pid $pid, port $port)"
                printf '%s\n' "$port"
                return 0
            fi
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            _mariadb_log "server in $dir did not answer SELECT 1 within 60 s; error log:"
            cat "$dir/error.log" >&2
            kill -TERM "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
            return 1
        fi
        wait "$pid" 2>/dev/null || true
        if grep -qiE 'bind on tcp/ip port|address already in use' "$dir/error.log"; then
            _mariadb_log "port $port was taken meanwhile; retrying"
            continue
        fi
        break
    done
    _mariadb_log "server in $dir failed to start; error log:"
    cat "$dir/error.log" >&2
    return 1
}

mariadb_stop() {
    local dir=${1:?mariadb_stop DIR}
    local pid i
    pid=$(_mariadb_pid "$dir") || return 0
    mariadb_client "$dir" -e 'SHUTDOWN' >/dev/null 2>&1 || kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 1200; i++)); do
        kill -0 "$pid" 2>/dev/null || {
            _mariadb_log "server in $dir stopped"
            return 0
        }
        sleep 0.1
    done
    _mariadb_log "server in $dir (pid $pid) still running after 120 s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    return 1
}

# Print one tab-separated line per base table of database DB, sorted by name:
#   name  rows  checksum  definition  auto_increment
# rows is COUNT(*), checksum is CHECKSUM TABLE's value, definition is SHOW
# CREATE TABLE with its newlines as \n and the AUTO_INCREMENT=N table option
# taken out (the counter is not part of the definition, and a replay need not
# leave it where the source had it: it is the last column, on its own).
# Two servers hold the same tables when the first four columns are equal.
mariadb_fingerprint() {
    local dir=${1:?mariadb_fingerprint DIR DB} db=${2:?mariadb_fingerprint DIR DB}
    local t out rows sum def ai
    while IFS= read -r t; do
        [[ -n $t ]] || continue
        out=$(mariadb_client "$dir" -N -B -e "SELECT COUNT(*) FROM \`$db\`.\`$t\`;
            CHECKSUM TABLE \`$db\`.\`$t\`;
            SHOW CREATE TABLE \`$db\`.\`$t\`;
            SELECT IFNULL(AUTO_INCREMENT, '') FROM information_schema.TABLES
             WHERE TABLE_SCHEMA = '$db' AND TABLE_NAME = '$t'" </dev/null) || return 1
        rows=$(sed -n 1p <<<"$out")
        sum=$(sed -n 2p <<<"$out" | cut -f2)
        def=$(sed -n 3p <<<"$out" | cut -f2- | sed -E 's/ AUTO_INCREMENT=[0-9]+//')
        ai=$(sed -n 4p <<<"$out")
        printf '%s\t%s\t%s\t%s\t%s\n' "$t" "$rows" "$sum" "$def" "$ai"
    done < <(mariadb_client "$dir" -N -B -e "SELECT TABLE_NAME FROM information_schema.TABLES
        WHERE TABLE_SCHEMA = '$db' AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME")
}
