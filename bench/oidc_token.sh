#!/usr/bin/env bash
# bench/oidc_token.sh - the OpenID Connect token exchange (code -> tokens, durable) of
# issue 19, run as `bench/run.sh tokens`. For each binary (ONEWINDOW_BIN, and
# BENCH_BASELINE_BIN when set: a "before" build measured in the same run), on a fresh
# database: start the server, register a client, mint BENCH_OIDC_CODES codes with
# bench/oidc_flow.mjs (a citizen, consent once, PKCE), then exchange every code once with
# wrk and bench/oidc_token.lua (BENCH_OIDC_CONNS connections, one wrk thread: the client is C
# and takes little of the server's cores). The server's CPU time per exchange from
# /proc/PID/stat (on PostgreSQL also the database server's, when the URL names a scripts/pg-test.sh
# socket directory). Then the raw durable commit rate (bench/commit_rate.c, 8 writers) on the
# same file system or database, and each rate as a fraction of it (issue 19 target >= 0.5).
# BENCH_OIDC_DB: a postgresql:// URL to run on PostgreSQL (default: SQLite in a temp dir);
# BENCH_BASELINE_DB another database of the same server for the baseline binary.
# BENCH_SERVER_THREADS: the server's --threads (default: one per connection).
# BENCH_PERF=1: record the server with `perf record -g` during the exchange (kept in
# bench/results/tokens-NAME.perf.data for `perf report -i`).
# Results: key=value lines, also in bench/results/tokens.txt. Reports, never fails.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
BUILD_DIR=${BUILD:-build}
BIN=${ONEWINDOW_BIN:-$ROOT/$BUILD_DIR/onewindow}
BASE_BIN=${BENCH_BASELINE_BIN:-}
CODES=${BENCH_OIDC_CODES:-3000}
CONNS=${BENCH_OIDC_CONNS:-8}
# Server threads: each blocks in its handler until its commit is durable, so with one per
# core only 2 exchanges would be in flight against the baseline's 8 writers.
THREADS=${BENCH_SERVER_THREADS:-$CONNS}
SECS=${BENCH_SECONDS:-5}
PGURL=${BENCH_OIDC_DB:-}
CR=$ROOT/$BUILD_DIR/bench/commit_rate
for t in wrk curl node; do
    command -v $t >/dev/null || { echo "bench/tokens: $t missing" >&2; exit 1; }
done
[[ -x $BIN ]] || { echo "bench/tokens: $BIN missing (make)" >&2; exit 1; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/onewindow-tokens-bench.XXXXXX")
PID=
cleanup() { [[ -n $PID ]] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null; [[ -n ${BENCH_KEEP:-} ]] || rm -rf "$WORK"; }
trap cleanup EXIT
mkdir -p "$ROOT/bench/results"
OUT=$ROOT/bench/results/tokens.txt
: >"$OUT"
kv() { echo "$1=$2" | tee -a "$OUT"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "NA" }'; }
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# The PostgreSQL server's CPU ticks (postmaster and its children) when the URL names a
# socket directory holding data/postmaster.pid (scripts/pg-test.sh's layout), else empty.
PGDIR=$(sed -n 's/.*[?&]host=\([^&]*\).*/\1/p' <<<"$PGURL")
PM=
[[ -n $PGDIR && -r $PGDIR/data/postmaster.pid ]] && PM=$(head -n1 "$PGDIR/data/postmaster.pid")
pgticks() {
    [[ -n $PM ]] || return 0
    local t=0 p
    for p in "$PM" $(pgrep -P "$PM"); do
        t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0)))
    done
    echo "$t"
}

kv date "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
kv loadavg_before "$(cut -d' ' -f1-3 /proc/loadavg)"
kv backend "$([[ -n $PGURL ]] && echo postgresql || echo sqlite)"
kv codes "$CODES"
kv connections "$CONNS"
kv server_threads "$THREADS"

# run NAME BIN: one server, its codes, the exchange; figures under NAME_*.
run() {
    local name=$1 bin=$2 d=$WORK/$1 port= url=$PGURL
    mkdir -p "$d"
    local O=(--data "$d")
    # An older binary refuses a schema newer than its own: the baseline may use its own
    # database (BENCH_BASELINE_DB, same server).
    [[ $name == before && -n ${BENCH_BASELINE_DB:-} ]] && url=$BENCH_BASELINE_DB
    [[ -n $url ]] && O+=(--db "$url")
    "$bin" init "${O[@]}" >"$d/init.log" 2>&1 || { echo "bench/tokens: $name: init failed" >&2; return 1; }
    "$bin" serve "${O[@]}" --listen 127.0.0.1:0 --log-requests 0 --threads "$THREADS" </dev/null >/dev/null 2>"$d/log" &
    PID=$!
    for _ in $(seq 100); do
        port=$(sed -n 's/.*msg=listening.* port=\([0-9][0-9]*\).*/\1/p' "$d/log" | head -n1)
        [[ -n $port ]] && curl -sf -o /dev/null "http://127.0.0.1:$port/healthz" && break
        sleep 0.1
    done
    [[ -n $port ]] || { echo "bench/tokens: $name: server did not start" >&2; return 1; }
    local cl id secret
    cl=$("$bin" client add "bench-$name" redirect=http://127.0.0.1:9/cb "${O[@]}" 2>&1)
    id=$(sed -n 's/^client_id=//p' <<<"$cl")
    secret=$(sed -n 's/^client_secret=//p' <<<"$cl")
    OIDC_CODES_FILE=$d/codes node bench/oidc_flow.mjs "http://127.0.0.1:$port" "$id" "$secret" \
        "$CODES" 8 "$PID" >"$d/flow" 2>&1 || { echo "bench/tokens: $name: $(head -c 300 "$d/flow")" >&2; return 1; }
    kv "${name}_authorize_per_s" "$(sed -n 's/^authorize_per_s=//p' "$d/flow")"
    local basic c0 c1
    basic="Basic $(printf '%s:%s' "$id" "$secret" | base64 -w0)"
    c0=$(ticks "$PID")
    local p0 p1
    p0=$(pgticks)
    # One wrk thread: the exchange rate is a few thousand per second at most. wrk's
    # duration is only a cap: the script marks the end and wrk is stopped with SIGINT.
    wrk -t1 -c"$CONNS" -d600s --latency -s bench/oidc_token.lua "http://127.0.0.1:$port" -- \
        "$d/codes" "$basic" http://127.0.0.1:9/cb "$d/done" >"$d/wrk" 2>&1 &
    local wpid=$! ppid=
    if [[ -n ${BENCH_PERF:-} ]]; then
        perf record -q -g -p "$PID" -o "$ROOT/bench/results/tokens-$name.perf.data" 2>/dev/null &
        ppid=$!
    fi
    for _ in $(seq 6000); do
        [[ -e $d/done ]] && break
        kill -0 "$wpid" 2>/dev/null || break
        sleep 0.05
    done
    kill -INT "$wpid" 2>/dev/null
    wait "$wpid"
    [[ -n $ppid ]] && kill -INT "$ppid" 2>/dev/null && wait "$ppid"
    c1=$(ticks "$PID")
    p1=$(pgticks)
    local ok
    ok=$(sed -n 's/^tokens=//p' "$d/wrk")
    kv "${name}_tokens" "${ok:-0}"
    kv "${name}_refused" "$(sed -n 's/^refused=//p' "$d/wrk")"
    kv "${name}_token_per_s" "$(sed -n 's/^tokens_per_s=//p' "$d/wrk")"
    kv "${name}_token_p50_ms" "$(sed -n 's/^p50_ms=//p' "$d/wrk")"
    kv "${name}_token_p99_ms" "$(sed -n 's/^p99_ms=//p' "$d/wrk")"
    kv "${name}_token_cpu_us" "$(awk -v a="$c0" -v b="$c1" -v n="${ok:-0}" -v hz="$(getconf CLK_TCK)" \
        'BEGIN { if (n > 0) printf "%.0f", (b - a) * 1e6 / hz / n; else print "NA" }')"
    [[ -n $p0 ]] && kv "${name}_token_pg_cpu_us" "$(awk -v a="$p0" -v b="$p1" -v n="${ok:-0}" \
        -v hz="$(getconf CLK_TCK)" 'BEGIN { if (n > 0) printf "%.0f", (b - a) * 1e6 / hz / n; else print "NA" }')"
    kill "$PID" 2>/dev/null
    wait "$PID" 2>/dev/null
    PID=
}

[[ -n $BASE_BIN ]] && run before "$BASE_BIN"
run after "$BIN"
RAW=NA
if [[ -x $CR ]]; then
    RAW=$("$CR" "${PGURL:-sqlite:$WORK/commit.db}" 8 "$SECS" | sed -n 's/^commits_per_s=//p')
fi
kv raw_commits_per_s "${RAW:-NA}"
[[ -n $BASE_BIN ]] && kv before_token_ratio "$(ratio "$(sed -n 's/^before_token_per_s=//p' "$OUT")" "${RAW:-0}")"
kv after_token_ratio "$(ratio "$(sed -n 's/^after_token_per_s=//p' "$OUT")" "${RAW:-0}")"
kv target_ratio 0.5
kv loadavg_after "$(cut -d' ' -f1-3 /proc/loadavg)"
