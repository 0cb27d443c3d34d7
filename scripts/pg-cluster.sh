#!/bin/sh
# pg-cluster.sh - a throwaway PostgreSQL primary with a streaming replica on 127.0.0.1, for
# the cluster test (tests/cluster/cluster.test.mjs, docs/deploy.md).
#
#   scripts/pg-cluster.sh start DIR PORT1 PORT2   initdb a primary in DIR/primary on PORT1,
#       create the database "onewindow", clone it with `pg_basebackup -R` into DIR/replica,
#       start that as a hot standby on PORT2, then make commits wait for it
#       (synchronous_standby_names = '*': an acknowledged commit is on both). Prints ONE
#       line: the libpq multi-host URL with target_session_attrs=read-write.
#   scripts/pg-cluster.sh stop-primary DIR        stop the primary (fast shutdown)
#   scripts/pg-cluster.sh promote DIR             promote the replica (pg_ctl promote)
#   scripts/pg-cluster.sh stop DIR                stop both and remove DIR
#
# Authentication is "trust" on 127.0.0.1 only: for tests on one machine, never for a
# deployment (docs/deploy.md has the settings for one). As root the servers run as the
# `postgres` OS user, as in scripts/pg-test.sh.
set -eu

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
MARKER=pg-cluster.dir
WAIT_S=30

die() {
    echo "pg-cluster: $*" >&2
    exit 1
}

as_server() {
    if [ "$(id -u)" -eq 0 ]; then
        (cd / && runuser -u postgres -- "$@")
    else
        (cd / && "$@")
    fi
}

server_user() {
    if [ "$(id -u)" -eq 0 ]; then echo postgres; else id -un; fi
}

pg_ctl_start() { # DATA LOG OPTIONS
    as_server "$PG_BIN/pg_ctl" -D "$1" -l "$2" -w -t "$WAIT_S" -o "$3" start >/dev/null ||
        { tail -n 20 "$2" >&2; die "the server in $1 did not start (log above)"; }
}

start() {
    dir=$1 p1=$2 p2=$3
    user=$(server_user)
    [ -x "$PG_BIN/initdb" ] || die "no PostgreSQL server binaries in $PG_BIN (set PG_BIN)"
    mkdir -p "$dir"
    [ -z "$(ls -A "$dir")" ] || die "$dir is not empty"
    : >"$dir/$MARKER"
    chmod 700 "$dir"
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres: "$dir" "$dir/$MARKER"
        parent=$(dirname "$dir")
        as_server test -x "$parent" || chmod o+x "$parent"
    fi
    as_server "$PG_BIN/initdb" -D "$dir/primary" -U "$user" --auth=trust -E UTF8 --locale=C \
        --no-sync >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
    # fsync off: the test never crashes PostgreSQL itself (it stops it cleanly), and a commit
    # still waits for the replica to have it (synchronous replication, below).
    common="-c listen_addresses=127.0.0.1 -k $dir -c fsync=off -c wal_level=replica -c max_wal_senders=5 -c hot_standby=on -c wal_keep_size=256MB"
    pg_ctl_start "$dir/primary" "$dir/primary.log" "$common -c port=$p1"
    as_server "$PG_BIN/createdb" -h 127.0.0.1 -p "$p1" -U "$user" onewindow ||
        die "cannot create the database onewindow"
    as_server "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$p1" -U "$user" -D "$dir/replica" -R \
        -X stream --checkpoint=fast --no-sync >"$dir/basebackup.log" 2>&1 ||
        { cat "$dir/basebackup.log" >&2; die "pg_basebackup failed"; }
    # The replica must not wait for a standby of its own once promoted.
    pg_ctl_start "$dir/replica" "$dir/replica.log" "$common -c port=$p2 -c synchronous_standby_names="
    i=0
    until [ "$(as_server "$PG_BIN/psql" -h 127.0.0.1 -p "$p1" -U "$user" -d postgres -XAtq \
        -c "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")" = 1 ]; do
        i=$((i + 1))
        [ "$i" -lt $((WAIT_S * 10)) ] || die "the replica does not stream"
        sleep 0.1
    done
    as_server "$PG_BIN/psql" -h 127.0.0.1 -p "$p1" -U "$user" -d postgres -XAtq \
        -c "ALTER SYSTEM SET synchronous_standby_names = '*'" -c "SELECT pg_reload_conf()" \
        >/dev/null || die "cannot make replication synchronous"
    echo "postgresql://$user@127.0.0.1:$p1,127.0.0.1:$p2/onewindow?target_session_attrs=read-write&connect_timeout=2"
}

stop_one() {
    if [ -f "$1/PG_VERSION" ] && as_server "$PG_BIN/pg_ctl" -D "$1" status >/dev/null 2>&1; then
        as_server "$PG_BIN/pg_ctl" -D "$1" -m fast -w stop >/dev/null || die "cannot stop $1"
    fi
}

[ $# -ge 2 ] || die "usage: $0 start DIR PORT1 PORT2 | stop-primary DIR | promote DIR | stop DIR"
dir=$2
case $dir in
/*) ;;
*) dir=$(pwd)/$dir ;;
esac
case $dir in
*[!A-Za-z0-9/._-]*) die "DIR may contain only letters, digits and / . _ -" ;;
esac
case $1 in
start)
    [ $# -eq 4 ] || die "usage: $0 start DIR PORT1 PORT2"
    start "$dir" "$3" "$4"
    ;;
stop-primary) stop_one "$dir/primary" ;;
promote) as_server "$PG_BIN/pg_ctl" -D "$dir/replica" -w promote >/dev/null || die "promote failed" ;;
stop)
    [ -d "$dir" ] || exit 0
    [ -f "$dir/$MARKER" ] || die "$dir was not made by pg-cluster.sh: not removing it"
    stop_one "$dir/replica"
    stop_one "$dir/primary"
    rm -rf "$dir"
    ;;
*) die "unknown command $1" ;;
esac
