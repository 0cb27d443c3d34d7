#!/bin/sh
# pg-test.sh - a throwaway PostgreSQL for the test suites (docs/internals/store.md).
#
#   scripts/pg-test.sh start DIR   initdb into DIR/data, start a server that listens only on
#                                  a unix socket in DIR, create the database "onewindow", and
#                                  print ONE line: the libpq URL to use. Exit 0 once the
#                                  server accepts connections.
#   scripts/pg-test.sh stop DIR    stop that server and remove DIR (nothing to do: exit 0).
#
# PostgreSQL refuses to run as root, so as root the server runs as the `postgres` OS user
# (its superuser role is then "postgres"); as anyone else it runs as that user, with a
# superuser role of the same name. Authentication is "trust": the socket is the only way
# in and DIR is mode 700, so only its owner (and root) can reach it.
set -eu

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
MARKER=pg-test.dir # proves DIR is ours before `stop` removes it
WAIT_S=30

die() {
    echo "pg-test: $*" >&2
    exit 1
}

usage() {
    die "usage: $0 start|stop DIR"
}

# Run a command as the server's OS user. From / so that it never depends on being able
# to enter the caller's working directory.
as_server() {
    if [ "$(id -u)" -eq 0 ]; then
        if command -v runuser >/dev/null 2>&1; then
            (cd / && runuser -u postgres -- "$@")
        else
            # su needs one shell string: quote every argument for sh.
            cmd=""
            for a in "$@"; do
                cmd="$cmd '$(printf '%s' "$a" | sed "s/'/'\\\\''/g")'"
            done
            (cd / && su postgres -s /bin/sh -c "$cmd")
        fi
    else
        (cd / && "$@")
    fi
}

server_user() {
    if [ "$(id -u)" -eq 0 ]; then echo postgres; else id -un; fi
}

start() {
    dir=$1
    [ -x "$PG_BIN/initdb" ] || die "no PostgreSQL server binaries in $PG_BIN (set PG_BIN)"
    if [ "$(id -u)" -eq 0 ]; then
        id postgres >/dev/null 2>&1 || die "running as root needs the 'postgres' OS user"
    fi
    mkdir -p "$dir"
    [ -f "$dir/$MARKER" ] || [ -z "$(ls -A "$dir")" ] ||
        die "$dir is not empty and was not made by pg-test.sh"
    : >"$dir/$MARKER"
    chmod 700 "$dir"
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres: "$dir" "$dir/$MARKER"
        # `mktemp -d` makes 700 directories: let postgres pass through (search, not list).
        parent=$(dirname "$dir")
        if ! as_server test -x "$parent"; then
            chmod o+x "$parent"
            echo "pg-test: made $parent searchable (o+x) for the postgres user" >&2
        fi
    fi
    as_server test -w "$dir" ||
        die "the $(server_user) user cannot reach $dir: make its parent directories searchable"

    user=$(server_user)
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        # UTF-8 with the C locale: every byte sequence sorts the same on every machine.
        as_server "$PG_BIN/initdb" -D "$dir/data" -U "$user" --auth=trust -E UTF8 \
            --locale=C --no-sync >"$dir/initdb.log" 2>&1 ||
            { cat "$dir/initdb.log" >&2; die "initdb failed (log above)"; }
    fi
    if ! as_server "$PG_BIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
        as_server "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t "$WAIT_S" \
            -o "-c listen_addresses='' -k $dir -c fsync=on" start >/dev/null ||
            { tail -n 20 "$dir/server.log" >&2; die "the server did not start (log above)"; }
    fi
    i=0
    until as_server "$PG_BIN/pg_isready" -q -h "$dir" -d postgres -U "$user"; do
        i=$((i + 1))
        [ "$i" -lt "$WAIT_S" ] || die "the server in $dir does not accept connections"
        sleep 1
    done
    exists=$(as_server "$PG_BIN/psql" -h "$dir" -U "$user" -d postgres -XAtq \
        -c "SELECT 1 FROM pg_database WHERE datname = 'onewindow'")
    if [ "$exists" != 1 ]; then
        as_server "$PG_BIN/createdb" -h "$dir" -U "$user" onewindow ||
            die "cannot create the database onewindow"
    fi
    echo "postgresql:///onewindow?host=$dir&user=$user"
}

stop() {
    dir=$1
    [ -d "$dir" ] || exit 0
    [ -f "$dir/$MARKER" ] || die "$dir was not made by pg-test.sh: not removing it"
    if [ -f "$dir/data/PG_VERSION" ] &&
        as_server "$PG_BIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
        as_server "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null ||
            die "cannot stop the server in $dir"
    fi
    rm -rf "$dir"
}

[ $# -eq 2 ] || usage
case $2 in
/*) dir=$2 ;;
*) dir=$(pwd)/$2 ;;
esac
# The path goes into the server's command line and into the URL unquoted, and a unix
# socket path is limited to 107 bytes (".s.PGSQL.5432" included).
case $dir in
*[!A-Za-z0-9/._-]*) die "DIR may contain only letters, digits and / . _ -" ;;
esac
[ ${#dir} -le 90 ] || die "DIR is too long for a unix socket path (at most 90 bytes)"

case $1 in
start) start "$dir" ;;
stop) stop "$dir" ;;
*) usage ;;
esac
