# shellcheck shell=bash
# scripts/lib/galera.sh: a private MariaDB Galera cluster on 127.0.0.1 for
# tests and demos (the shell side of crates/apply/tests/support/galera.rs).
#
# Source it after scripts/lib/mariadb.sh. Each node is a directory with the
# layout of scripts/lib/mariadb.sh, so mariadb_client, mariadb_port,
# mariadb_binlogs, mariadb_stop and mariadb_fingerprint work on a node:
#
#   BASEDIR/node1/ ... BASEDIR/nodeN/    DIR/data, DIR/sock, DIR/port,
#                                        DIR/mariadbd.pid, DIR/error.log, DIR/tmp,
#                                        DIR/mariadbd.out, DIR/galera.opts
#   BASEDIR/nodes                        N
#
# Functions:
#   galera_ensure_installed          apt-get install galera-4 and rsync (the rsync SST)
#                                    when missing (iproute2 too when `ss` is missing)
#   galera_start N BASEDIR [opts]    start an N-node cluster in BASEDIR (made if needed;
#                                    keep it short: unix socket paths), wait until every
#                                    node is Synced in a cluster of N; print the node
#                                    directories, node1 first; opts go to every mariadbd
#   galera_start_node BASEDIR I      start node I (1-based) again after mariadb_stop or
#                                    kill -9: it joins (never bootstraps) and syncs
#   galera_wait_synced BASEDIR       wait until every running node is Synced in a
#                                    cluster of every running node
#   galera_stop BASEDIR              clean shutdown of every node, nodeN first
#
# How (the same as the Rust support): node1 is installed, bootstrapped
# (--wsrep-new-cluster) and shut down cleanly; its datadir is copied to the
# other nodes (safe_to_bootstrap: 0); node1 is bootstrapped again and the
# others join one at a time with its state, so their state transfer is an
# IST of one configuration change (no data copied). The SST method is
# rsync: a node killed with -9 rejoins with a full rsync SST. The servers run
# as the `mysql` user when run as root (the rsync SST fails as root: its
# rsync daemon drops to nobody), so BASEDIR is chowned to mysql.
#
# Every node: wsrep_gtid_mode=ON, wsrep_gtid_domain_id=1 (the cluster's
# writes: GTIDs 1-1-N on every node), gtid_domain_id=10+I (node I's
# unreplicated writes), server_id=1, log_bin=binlog, log_slave_updates,
# binlog_format=ROW, innodb_autoinc_lock_mode=2. A commit on one node is
# applied on the others a moment later: read elsewhere with
# `SET SESSION wsrep_sync_wait = 1`.

_galera_log() { printf '[galera] %s\n' "$*" >&2; }

_galera_provider() {
    local p
    for p in /usr/lib/galera/libgalera_smm.so /usr/lib/libgalera_smm.so; do
        if [[ -f $p ]]; then
            printf '%s\n' "$p"
            return 0
        fi
    done
    return 1
}

galera_ensure_installed() {
    local pkgs=()
    _galera_provider >/dev/null || pkgs+=(galera-4)
    command -v rsync >/dev/null 2>&1 || pkgs+=(rsync)
    # wsrep_sst_rsync finds its rsync daemon's port with ss, lsof or sockstat.
    if ! command -v ss >/dev/null 2>&1 && ! command -v lsof >/dev/null 2>&1 &&
        ! command -v sockstat >/dev/null 2>&1; then
        pkgs+=(iproute2)
    fi
    ((${#pkgs[@]} == 0)) && return 0
    _mariadb_apt_install "${pkgs[@]}"
    if ! _galera_provider >/dev/null || ! command -v rsync >/dev/null 2>&1; then
        _galera_log "libgalera_smm.so or rsync still not found after installing ${pkgs[*]}"
        return 1
    fi
}

_galera_status() {
    mariadb_client "$1" -N -B -e "SHOW GLOBAL STATUS LIKE '$2'" 2>/dev/null </dev/null | cut -f2
}

# Start the node in DIR with its DIR/galera.opts (and --wsrep-new-cluster
# when $2 is "bootstrap"); wait until it accepts connections (a joiner does
# after its state transfer).
_galera_launch() {
    local dir=$1 bootstrap=${2:-} mariadbd port pid i
    local opts=() user_opt=()
    mariadbd=$(_mariadb_which mariadbd)
    mapfile -t opts <"$dir/galera.opts"
    [[ $bootstrap == bootstrap ]] && opts+=(--wsrep-new-cluster)
    [[ $(id -u) -eq 0 ]] && user_opt=(--user=mysql)
    for _ in 1 2 3; do
        port=$(_mariadb_free_port)
        rm -f "$dir/mariadbd.pid"
        : >"$dir/error.log"
        ((${#user_opt[@]} == 0)) || chown mysql:mysql "$dir/error.log"
        # A subshell that execs (see scripts/lib/server.sh): the server must
        # not hold the caller's stdout.
        (
            exec "$mariadbd" --no-defaults "${user_opt[@]}" \
                --datadir="$dir/data" --socket="$dir/sock" --pid-file="$dir/mariadbd.pid" \
                --tmpdir="$dir/tmp" --log-error="$dir/error.log" \
                --port="$port" --bind-address=127.0.0.1 --skip-name-resolve \
                --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci \
                "${opts[@]}"
        ) </dev/null >>"$dir/mariadbd.out" 2>&1 &
        pid=$!
        printf '%s\n' "$port" >"$dir/port"
        for ((i = 0; i < 1200; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            if mariadb_client "$dir" -N -e 'SELECT 1' >/dev/null 2>&1 </dev/null; then
                _galera_log "node up in $dir (pid $pid, port $port)"
                return 0
            fi
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            _galera_log "node in $dir did not accept connections within 120 s; tail of its error log:"
            tail -40 "$dir/error.log" >&2
            kill -TERM "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
            return 1
        fi
        wait "$pid" 2>/dev/null || true
        grep -qiE 'Bind on TCP/IP port|another server running on port' "$dir/error.log" && continue
        break
    done
    _galera_log "node in $dir failed to start or join; tail of its error log:"
    tail -40 "$dir/error.log" >&2
    return 1
}

# Wait until the node in DIR is Synced in a primary cluster of WANT nodes.
_galera_wait_node() {
    local dir=$1 want=$2 i state size prim
    for ((i = 0; i < 2400; i++)); do
        state=$(_galera_status "$dir" wsrep_local_state_comment)
        size=$(_galera_status "$dir" wsrep_cluster_size)
        prim=$(_galera_status "$dir" wsrep_cluster_status)
        if [[ $state == Synced && $size == "$want" && $prim == Primary ]]; then
            return 0
        fi
        sleep 0.05
    done
    _galera_log "node in $dir is not Synced in a primary cluster of $want within 120 s" \
        "(state '$state', size '$size', '$prim'); tail of its error log:"
    tail -40 "$dir/error.log" >&2
    return 1
}

galera_wait_synced() {
    local base=${1:?galera_wait_synced BASEDIR} n i up=()
    n=$(<"$base/nodes")
    for ((i = 1; i <= n; i++)); do
        _mariadb_pid "$base/node$i" >/dev/null && up+=("$base/node$i")
    done
    for i in "${up[@]}"; do
        _galera_wait_node "$i" "${#up[@]}" || return 1
    done
}

galera_start() {
    local n=${1:?galera_start N BASEDIR [opts...]} base=${2:?galera_start N BASEDIR [opts...]}
    shift 2
    [[ $n =~ ^[1-9][0-9]*$ ]] || {
        _galera_log "galera_start: N must be a positive number, not '$n'"
        return 1
    }
    mariadb_ensure_installed
    galera_ensure_installed
    mkdir -p "$base"
    base=$(cd "$base" && pwd)
    if ((${#base} + 12 > 107)); then
        _galera_log "$base is too long for unix socket paths; use a shorter directory"
        return 1
    fi
    local provider install_db i j p ports=() address="" dir
    provider=$(_galera_provider)
    install_db=$(_mariadb_which mariadb-install-db)
    # Three distinct free ports a node: gcomm, IST, SST.
    while ((${#ports[@]} < 3 * n)); do
        p=$(_mariadb_free_port)
        [[ " ${ports[*]} " == *" $p "* ]] || ports+=("$p")
    done
    for ((i = 1; i <= n; i++)); do
        address+=${address:+,}127.0.0.1:${ports[3 * (i - 1)]}
    done
    printf '%s\n' "$n" >"$base/nodes"
    for ((i = 1; i <= n; i++)); do
        dir=$base/node$i
        j=$((3 * (i - 1)))
        mkdir -p "$dir/tmp"
        printf '%s\n' --server-id=1 --log-bin=binlog --log-slave-updates --binlog-format=ROW \
            --innodb-autoinc-lock-mode=2 --wsrep-on=ON --wsrep-provider="$provider" \
            --wsrep-cluster-name=myreplay --wsrep-cluster-address="gcomm://$address" \
            --wsrep-node-address=127.0.0.1 --wsrep-node-name="node$i" \
            --wsrep-provider-options="gmcast.listen_addr=tcp://127.0.0.1:${ports[j]};ist.recv_addr=127.0.0.1:${ports[j + 1]};gcache.size=64M" \
            --wsrep-sst-receive-address="127.0.0.1:${ports[j + 2]}" --wsrep-sst-method=rsync \
            --wsrep-gtid-mode=ON --wsrep-gtid-domain-id=1 --gtid-domain-id=$((10 + i)) \
            "$@" >"$dir/galera.opts"
    done

    local user_opt=()
    [[ $(id -u) -eq 0 ]] && user_opt=(--user=mysql)
    if ((${#user_opt[@]} > 0)); then
        id mysql >/dev/null 2>&1 || {
            _galera_log "no mysql user (the mariadb-server package makes it)"
            return 1
        }
        chown -R mysql:mysql "$base"
    fi
    # 1. node1: installed, bootstrapped once, stopped cleanly.
    if ! "$install_db" --no-defaults "${user_opt[@]}" --datadir="$base/node1/data" \
        --tmpdir="$base/node1/tmp" --auth-root-authentication-method=normal --skip-test-db \
        >"$base/node1/install-db.log" 2>&1; then
        _galera_log "mariadb-install-db failed:"
        cat "$base/node1/install-db.log" >&2
        return 1
    fi
    _galera_launch "$base/node1" bootstrap || return 1
    _galera_wait_node "$base/node1" 1 || return 1
    mariadb_stop "$base/node1" || return 1
    if ! grep -q 'safe_to_bootstrap: 1' "$base/node1/data/grastate.dat" 2>/dev/null ||
        grep -qE '^seqno: +-1' "$base/node1/data/grastate.dat"; then
        _galera_log "node1 was not shut down cleanly after its bootstrap; grastate.dat:"
        cat "$base/node1/data/grastate.dat" >&2 || true
        return 1
    fi
    # 2. Its datadir for the others.
    for ((i = 2; i <= n; i++)); do
        cp -a "$base/node1/data" "$base/node$i/data"
        rm -f "$base/node$i/data/gvwstate.dat"
        sed -i 's/^safe_to_bootstrap: 1/safe_to_bootstrap: 0/' "$base/node$i/data/grastate.dat"
    done
    ((${#user_opt[@]} == 0)) || chown -R mysql:mysql "$base"
    # 3. node1 again, then the others one at a time.
    _galera_launch "$base/node1" bootstrap || return 1
    _galera_wait_node "$base/node1" 1 || return 1
    for ((i = 2; i <= n; i++)); do
        _galera_launch "$base/node$i" || {
            _galera_log "node$i did not join; tail of node1's error log:"
            tail -30 "$base/node1/error.log" >&2
            return 1
        }
        _galera_wait_node "$base/node$i" "$i" || return 1
    done
    galera_wait_synced "$base" || return 1
    _galera_log "cluster of $n up in $base"
    for ((i = 1; i <= n; i++)); do
        printf '%s\n' "$base/node$i"
    done
}

galera_start_node() {
    local base=${1:?galera_start_node BASEDIR I} i=${2:?galera_start_node BASEDIR I}
    if _mariadb_pid "$base/node$i" >/dev/null; then
        _galera_log "node$i in $base is running already"
        return 1
    fi
    _galera_launch "$base/node$i" || return 1
    galera_wait_synced "$base"
}

galera_stop() {
    local base=${1:?galera_stop BASEDIR} n i rc=0
    [[ -f $base/nodes ]] || return 0
    n=$(<"$base/nodes")
    for ((i = n; i >= 1; i--)); do
        mariadb_stop "$base/node$i" || rc=1
    done
    return "$rc"
}
