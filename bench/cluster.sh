#!/usr/bin/env bash
# bench/cluster.sh - cost of the cluster path (run as `bench/run.sh cluster`, or by
# `make bench` after the other sections). On a PostgreSQL primary with a synchronous
# streaming replica (scripts/pg-cluster.sh) and two nodes, wrk measures GET /divisions
# (a cached page) and GET /readyz (one database round trip) direct to one node, through
# HAProxy with one node, and through HAProxy with two, in the same run; on a 2-core machine
# the point is the cost per request HAProxy adds, not scaling. Then `onewindow backup` of the
# demo data on SQLite (time and size). Results: key=value lines, also in
# bench/results/cluster.txt. Reports, never fails (exit 1 only when a tool is missing).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
BIN=${ONEWINDOW_BIN:-${BUILD:-build}/onewindow}
SECS=${BENCH_SECONDS:-5}
for t in wrk haproxy; do command -v $t >/dev/null || { echo "bench/cluster: $t missing" >&2; exit 1; }; done
[[ -x $BIN ]] || { echo "bench/cluster: $BIN missing" >&2; exit 1; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ow-cluster-bench.XXXXXX")
chmod 755 "$WORK"
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    scripts/pg-cluster.sh stop "$WORK/pg" >/dev/null 2>&1
    rm -rf "$WORK"
}
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
P1=$(port) P2=$(port) N1=$(port) N2=$(port) HB=$(port) HS=$(port)
URL=$(scripts/pg-cluster.sh start "$WORK/pg" "$P1" "$P2") || { echo "bench/cluster: no PostgreSQL cluster" >&2; exit 0; }
"$BIN" init --data "$WORK/n1" --db "$URL" --log-level error >/dev/null || exit 0
mkdir -p -m 700 "$WORK/n2/keys" && install -m 600 "$WORK/n1/keys/master.key" "$WORK/n2/keys/"
for i in 1 2; do
    np=N$i
    "$BIN" serve --data "$WORK/n$i" --db "$URL" --node-id "$i" --listen "127.0.0.1:${!np}" \
        --log-requests 0 --log-level error --trusted-proxy 127.0.0.1 &
    PIDS+=($!)
done
cat >"$WORK/haproxy.cfg" <<CFG
global
  maxconn 4000
defaults
  mode http
  timeout connect 2s
  timeout client 30s
  timeout server 30s
  option forwardfor
backend nodes
  balance roundrobin
  option httpchk
  http-check send meth GET uri /readyz ver HTTP/1.1 hdr Host localhost
  server n1 127.0.0.1:$N1 check inter 500ms
  server n2 127.0.0.1:$N2 check inter 500ms
backend one
  server n1 127.0.0.1:$N1
frontend both
  bind 127.0.0.1:$HB
  default_backend nodes
frontend single
  bind 127.0.0.1:$HS
  default_backend one
CFG
haproxy -db -f "$WORK/haproxy.cfg" 2>/dev/null &
PIDS+=($!)
for i in $(seq 100); do
    curl -sf "http://127.0.0.1:$N1/readyz" >/dev/null && curl -sf "http://127.0.0.1:$N2/readyz" >/dev/null &&
        curl -sf "http://127.0.0.1:$HB/readyz" >/dev/null && break
    sleep 0.1
done
sleep 1 # both servers up in HAProxy (rise)
rps() { wrk -t2 -c32 -d"${SECS}s" "http://127.0.0.1:$1$2" 2>/dev/null | awk '/Requests\/sec/ {printf "%.0f", $2}'; }
mkdir -p bench/results
{
    for path in /divisions /readyz; do
        key=$(tr -dc a-z <<<"$path")
        D=$(rps "$N1" "$path") S=$(rps "$HS" "$path") B=$(rps "$HB" "$path")
        echo "cluster_${key}_direct_rps=$D"
        echo "cluster_${key}_haproxy_1node_rps=$S"
        echo "cluster_${key}_haproxy_2nodes_rps=$B"
        awk -v d="$D" -v s="$S" -v b="$B" -v k="$key" 'BEGIN { if (d > 0) printf "cluster_%s_haproxy_1node_ratio=%.2f\ncluster_%s_haproxy_2nodes_ratio=%.2f\n", k, s / d, k, b / d }'
    done
    # Backup of the demo data on SQLite: time and size.
    "$BIN" init --data "$WORK/s" --log-level error >/dev/null && "$BIN" demo --data "$WORK/s" --log-level error >/dev/null &&
        "$BIN" backup "$WORK/s-backup" --data "$WORK/s" |
        sed -E 's/^backup of the sqlite database and keys in .*: ([0-9]+) bytes, ([0-9.]+) s$/backup_demo_sqlite_bytes=\1\nbackup_demo_sqlite_s=\2/'
} | tee bench/results/cluster.txt
