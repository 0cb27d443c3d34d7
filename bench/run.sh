#!/usr/bin/env bash
# bench/run.sh - load benchmark of a freshly initialised onewindow server on loopback.
#
# Run by `make bench` after the build; it builds nothing itself. It starts its own server
# (temp data dir, free port, --log-requests 0), drives it with wrk, prints a table of
# requests/s and latency percentiles beside a baseline measured in the same run (the
# embedded static asset), the peak RSS under many connections, a keep-alive check and a
# key=value summary (also written to bench/results/latest.txt).
#
# Benchmarks report; they never fail the build: exit status is 0 unless the server cannot
# be started (or a required tool is missing). See bench/README.md.
#
# Knobs (environment):
#   BENCH_SECONDS      seconds per measured wrk run            (default 10)
#   BENCH_CONNECTIONS  connections for the peak-RSS run        (default 256)
#   BENCH_WARMUP       seconds of warm-up per target           (default 2)
#   BENCH_THREADS      wrk threads                             (default 2)
#   BENCH_SERVER_THREADS  server --threads                     (default 0: one per core)
#   ONEWINDOW_BIN      server binary                           (default build/onewindow)
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
# `bench/run.sh hotline`: only the hotline section (bench/hotline.sh).
[[ ${1:-} == hotline ]] && exec "$ROOT/bench/hotline.sh"

# `bench/run.sh apply`: only the applications section (bench/apply.sh).
if [[ ${1:-} == apply ]]; then
    exec bench/apply.sh
fi
# `bench/run.sh notify`: only the notification delivery section (bench/notify.sh).
if [[ ${1:-} == notify ]]; then
    exec bench/notify.sh
fi
# `bench/run.sh pay`: only the payment section (bench/pay.sh).
if [[ ${1:-} == pay ]]; then
    exec bench/pay.sh
fi
# `bench/run.sh opendata`: only the open-data section (bench/opendata.sh).
[[ ${1:-} == opendata ]] && exec "$ROOT/bench/opendata.sh"
# `bench/run.sh ask`: only the Q&A section (bench/ask.sh).
[[ ${1:-} == ask ]] && exec "$ROOT/bench/ask.sh"
# `bench/run.sh oversight`: only the supervision and dashboard section (bench/oversight.sh).
[[ ${1:-} == oversight ]] && exec "$ROOT/bench/oversight.sh"
# `bench/run.sh messaging`: only issue 16's section (bench/messaging.sh).
if [[ ${1:-} == messaging ]]; then
    exec bench/messaging.sh
fi
# `bench/run.sh exchange`: only the data exchange section (bench/exchange.sh).
if [[ ${1:-} == exchange ]]; then
    exec bench/exchange.sh
fi
# `bench/run.sh certs`: only the e-certificate section (bench/certs.sh).
if [[ ${1:-} == certs ]]; then
    exec bench/certs.sh
fi
# `bench/run.sh tokens`: only the OIDC token exchange (bench/oidc_token.sh, issue 19).
[[ ${1:-} == tokens ]] && exec "$ROOT/bench/oidc_token.sh"
# `bench/run.sh cluster`: only the cluster section (bench/cluster.sh: HAProxy, two nodes, a
# PostgreSQL primary and replica; backup time and size).
if [[ ${1:-} == cluster ]]; then
    exec bench/cluster.sh
fi

SECONDS_PER_RUN=${BENCH_SECONDS:-10}
RSS_CONNS=${BENCH_CONNECTIONS:-256}
WARMUP=${BENCH_WARMUP:-2}
WRK_THREADS=${BENCH_THREADS:-2}
WRK_CONNS=64
SERVER_THREADS=${BENCH_SERVER_THREADS:-0}
BIN=${ONEWINDOW_BIN:-$ROOT/build/onewindow}
BUILD_DIR=${BUILD:-build}
HOST=127.0.0.1

# Informational targets (never enforced).
TARGET_STATIC_RPS=150000
TARGET_HTML_RATIO=0.40
TARGET_RSS_MB=64

die() { echo "bench: $*" >&2; exit 1; }
note() { echo "bench: $*" >&2; }
# progress TEXT: a transient status line on a terminal; nothing when stderr is not a tty.
progress() { [[ -t 2 ]] && printf '\r%-60s\r%s' '' "$*" >&2; return 0; }

for n in "$SECONDS_PER_RUN" "$RSS_CONNS" "$WARMUP" "$WRK_THREADS" "$SERVER_THREADS"; do
    [[ $n =~ ^[0-9]+$ ]] || die "knob value '$n' is not a non-negative integer"
done
((SECONDS_PER_RUN >= 1)) || die "BENCH_SECONDS must be >= 1"
((RSS_CONNS >= 1)) || die "BENCH_CONNECTIONS must be >= 1"
((WRK_THREADS >= 1)) || die "BENCH_THREADS must be >= 1"
# wrk needs at least one connection per thread.
((RSS_CONNS >= WRK_THREADS)) || RSS_CONNS=$WRK_THREADS
[[ -x $BIN ]] || die "$BIN not found or not executable (run 'make build/onewindow' or 'make bench')"
command -v wrk >/dev/null || die "wrk not found (apt-get install wrk)"
command -v curl >/dev/null || die "curl not found"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/onewindow-bench.XXXXXX") || die "mktemp failed"
SERVER_PID=

stop_server() {
    local pid=$SERVER_PID
    SERVER_PID=
    [[ -n $pid ]] || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    # The server drains for up to --drain-timeout (default 10 s); wait a little longer.
    local i
    for ((i = 0; i < 150; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        note "server $pid did not stop on SIGTERM; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null
    return 0
}
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
    if [[ -n ${WRK_PID:-} ]]; then
        kill -TERM "$WRK_PID" 2>/dev/null
        wait "$WRK_PID" 2>/dev/null
    fi
    stop_server
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- search (also alone: bench/run.sh search) ------------------------------------------------
# BENCH_SEARCH_DOCS (default 100000) documents from bench/search_gen.mjs (zh, bo, en and
# mixed; division names, service and complaint phrases) indexed with `onewindow search
# index-file` into a fresh SQLite database (and into BENCH_SEARCH_PG_URL's PostgreSQL database
# when set), then `onewindow search bench`: wall and CPU time per query class, in-process.
# Target (issue 6): p99 under 20 ms. Writes key=value lines to $WORK/search.kv.
SEARCH_DOCS=${BENCH_SEARCH_DOCS:-100000}
SEARCH_ROUNDS=${BENCH_SEARCH_ROUNDS:-20}
TARGET_SEARCH_P99_MS=20
bench_search_on() { # bench_search_on NAME DBURL
    local name=$1 db=$2 dir=$WORK/search t0 t1
    "$BIN" init --data "$dir" --db "$db" >/dev/null 2>"$dir/init.$name.err" ||
        { note "search/$name: init failed: $(head -c 300 "$dir/init.$name.err")"; return 1; }
    t0=$(date +%s.%N)
    "$BIN" search index-file "$dir/docs.jsonl" --data "$dir" --db "$db" >/dev/null 2>"$dir/index.$name.err" ||
        { note "search/$name: indexing failed: $(head -c 300 "$dir/index.$name.err")"; return 1; }
    t1=$(date +%s.%N)
    "$BIN" search bench "$dir/queries.tsv" "$SEARCH_ROUNDS" --data "$dir" --db "$db" \
        >"$dir/bench.$name.txt" 2>"$dir/bench.$name.err" ||
        { note "search/$name: bench failed: $(head -c 300 "$dir/bench.$name.err")"; return 1; }
    echo "Search on $name: $SEARCH_DOCS documents indexed in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s; latency per query class (ms):"
    cat "$dir/bench.$name.txt"
    {
        awk -v a="$t0" -v b="$t1" -v n="$SEARCH_DOCS" -v p="$name" \
            'BEGIN { printf "search_%s_index_docs_per_s=%.0f\n", p, n / (b - a) }'
        awk -v p="$name" -v t="$TARGET_SEARCH_P99_MS" 'NR > 1 {
            printf "search_%s_%s_p50_ms=%s\nsearch_%s_%s_p99_ms=%s\nsearch_%s_%s_cpu_p99_ms=%s\n",
                p, $1, $4, p, $1, $5, p, $1, $8
            if ($5 + 0 > worst) worst = $5 + 0
            if ($8 + 0 > worstcpu) worstcpu = $8 + 0
        } END {
            printf "search_%s_worst_p99_ms=%s\nsearch_%s_worst_cpu_p99_ms=%s\n", p, worst, p, worstcpu
            printf "target_search_%s_p99_met=%s\n", p, worst < t ? "yes" : "no"
        }' "$dir/bench.$name.txt"
    } >>"$WORK/search.kv"
}
bench_search() {
    command -v node >/dev/null || { note "search: node not found"; return 1; }
    mkdir -p "$WORK/search" && : >"$WORK/search.kv"
    echo "search_docs=$SEARCH_DOCS" >>"$WORK/search.kv"
    node "$ROOT/bench/search_gen.mjs" "$SEARCH_DOCS" "$WORK/search/docs.jsonl" "$WORK/search/queries.tsv" ||
        { note "search: the document generator failed"; return 1; }
    bench_search_on sqlite "sqlite:$WORK/search/search.db"
    [[ -n ${BENCH_SEARCH_PG_URL:-} ]] && bench_search_on postgresql "$BENCH_SEARCH_PG_URL"
    rm -f "$WORK/search/docs.jsonl" "$WORK/search/search.db"*
    return 0
}
if [[ ${1:-} == search ]]; then
    bench_search
    echo "Summary (also in bench/results/search.txt):"
    cat "$WORK/search.kv"
    mkdir -p "$ROOT/bench/results" 2>/dev/null && cp "$WORK/search.kv" "$ROOT/bench/results/search.txt" 2>/dev/null ||
        note "could not write bench/results/search.txt"
    exit 0
fi

# listen_port PID: the TCP port PID listens on, from /proc (socket inodes of its fds matched
# against the LISTEN entries of /proc/PID/net/tcp); empty when there is none yet.
listen_port() {
    local pid=$1 fd link inodes=" "
    for fd in /proc/"$pid"/fd/*; do
        link=$(readlink "$fd" 2>/dev/null) || continue
        [[ $link == socket:\[*\] ]] || continue
        link=${link#socket:[}
        inodes+="${link%]} "
    done
    [[ $inodes != " " ]] || return 0
    local hex
    hex=$(awk -v inodes="$inodes" '$4 == "0A" && index(inodes, " " $10 " ") {
        split($2, a, ":"); print a[2]; exit }' "/proc/$pid/net/tcp" 2>/dev/null)
    [[ $hex =~ ^[0-9A-Fa-f]+$ ]] && echo $((16#$hex))
    return 0
}

# start_server LOG_REQUESTS STDERR_FILE: starts the server on a free port (--listen HOST:0),
# sets SERVER_PID and PORT. The port comes from the "msg=listening ... port=N" line when
# stderr goes to a file, else (stderr to /dev/null) from /proc.
start_server() {
    local logreq=$1 errf=$2 i
    [[ $errf == /dev/null ]] || : >"$errf"
    "$BIN" serve --data "$WORK/data" --listen "$HOST:0" --log-requests "$logreq" \
        --threads "$SERVER_THREADS" </dev/null >/dev/null 2>"$errf" &
    SERVER_PID=$!
    PORT=
    for ((i = 0; i < 100; i++)); do
        kill -0 "$SERVER_PID" 2>/dev/null || break
        if [[ $errf == /dev/null ]]; then
            PORT=$(listen_port "$SERVER_PID")
        else
            PORT=$(sed -n 's/.*msg=listening.* port=\([0-9][0-9]*\).*/\1/p' "$errf" | head -n1)
        fi
        [[ -n $PORT ]] && break
        sleep 0.1
    done
    if [[ -z $PORT ]]; then
        [[ $errf == /dev/null ]] || cat "$errf" >&2
        if kill -0 "$SERVER_PID" 2>/dev/null; then
            die "server did not start listening within 10 s"
        fi
        wait "$SERVER_PID"
        local rc=$?
        SERVER_PID=
        die "server exited with status $rc before listening"
    fi
    # Ready for requests?
    for ((i = 0; i < 50; i++)); do
        curl -sf -o /dev/null "http://$HOST:$PORT/healthz" && return 0
        sleep 0.1
    done
    die "server on port $PORT does not answer /healthz"
}

# cpu_ticks PID: user+system CPU time of PID (all threads) in clock ticks.
cpu_ticks() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
    stat=${stat##*) } # after "(comm) "; fields from 3 (state) on
    awk '{ print $12 + $13 }' <<<"$stat"
}
CLK_TCK=$(getconf CLK_TCK 2>/dev/null || echo 100)

# run_wrk NAME PATH CONNS SECONDS: runs wrk, leaves its output in $WORK/wrk.NAME and the
# server's CPU ticks spent during the run in $WORK/cpu.NAME.
run_wrk() {
    local name=$1 path=$2 conns=$3 secs=$4 t0 t1
    t0=$(cpu_ticks "$SERVER_PID")
    wrk_bg -t"$WRK_THREADS" -c"$conns" -d"${secs}s" --latency "http://$HOST:$PORT$path" \
        >"$WORK/wrk.$name"
    t1=$(cpu_ticks "$SERVER_PID")
    echo $((t1 - t0)) >"$WORK/cpu.$name"
    server_alive
}

# wrk_bg ARGS...: runs wrk in the background and waits for it, so that an interrupt reaches
# the script's trap at once (wrk catches SIGINT itself, and bash would then carry on).
WRK_PID=
wrk_bg() {
    wrk "$@" 2>&1 &
    WRK_PID=$!
    wait "$WRK_PID"
    WRK_PID=
    return 0
}

# A server that dies under load is a failure, not a slow figure.
server_alive() {
    kill -0 "$SERVER_PID" 2>/dev/null && return 0
    SERVER_PID=
    die "the server exited during the benchmark (see its log above, if any)"
}

warm() { # warm PATH CONNS
    ((WARMUP > 0)) || return 0
    wrk_bg -t"$WRK_THREADS" -c"$2" -d"${WARMUP}s" "http://$HOST:$PORT$1" >/dev/null
    server_alive
}

# Converts a wrk duration (e.g. 812.00us, 1.46ms, 2.01s, 1.00m) to milliseconds.
to_ms() {
    awk -v v="$1" 'BEGIN {
        if (v == "") { print "NA"; exit }
        n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
        if (u == "us") n /= 1000; else if (u == "s") n *= 1000;
        else if (u == "m") n *= 60000; else if (u == "h") n *= 3600000;
        printf "%.3f", n }'
}

# parse NAME: sets RPS, P50, P99 (ms), ERRS (non-2xx/3xx + socket errors) from wrk output
# and CPU_US (server CPU microseconds per request, user+system, all threads).
parse() {
    local f=$WORK/wrk.$1 reqs ticks
    RPS=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$f")
    P50=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$f")")
    P99=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$f")")
    ERRS=$(awk '/Non-2xx or 3xx responses:/ { n += $NF }
        /Socket errors:/ { gsub(/,/, ""); n += $4 + $6 + $8 + $10 }
        END { print n + 0 }' "$f")
    [[ -n $RPS ]] || { RPS=0; note "could not parse wrk output for $1:"; sed 's/^/    /' "$f" >&2; }
    reqs=$(awk '/ requests in / { print $1 }' "$f")
    ticks=$(cat "$WORK/cpu.$1" 2>/dev/null)
    CPU_US=$(awk -v r="${reqs:-0}" -v t="${ticks:-0}" -v hz="$CLK_TCK" \
        'BEGIN { if (r > 0 && t > 0) printf "%.1f", t * 1e6 / hz / r; else print "NA" }')
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "NA" }'; }
pct() { awk -v r="$1" 'BEGIN { if (r == "NA") print "NA"; else printf "%.1f%%", r * 100 }'; }
meets() { # meets VALUE OP LIMIT -> yes/no
    awk -v a="$1" -v op="$2" -v b="$3" 'BEGIN {
        if (a == "NA" || a == "") { print "n/a"; exit }
        ok = (op == ">=") ? (a >= b) : (a < b); print ok ? "yes" : "NO" }'
}

# ---------------------------------------------------------------------------------------
START_TS=$(date +%s)
# Run a private copy: a rebuild of build/onewindow during the run must not change (or
# break) the server between passes.
cp "$BIN" "$WORK/onewindow" || die "cannot copy $BIN"
BIN=$WORK/onewindow
mkdir -p "$WORK/data"
"$BIN" init --data "$WORK/data" >"$WORK/init.log" 2>&1 || {
    cat "$WORK/init.log" >&2
    die "'onewindow init' failed"
}

# The demo region and its service catalog, for the catalog targets (/services...).
"$BIN" demo --data "$WORK/data" >>"$WORK/init.log" 2>&1 || note "'onewindow demo' failed: catalog figures measure errors"

start_server 0 "$WORK/server.err"
VERSION=$("$BIN" version 2>/dev/null | head -n1)
echo "onewindow bench: $VERSION"
echo "server: pid $SERVER_PID, http://$HOST:$PORT, --log-requests 0, --threads $SERVER_THREADS" \
    "(0 = one per core); $(nproc) cores shared with wrk"
echo "wrk: -t$WRK_THREADS -c$WRK_CONNS -d${SECONDS_PER_RUN}s --latency, ${WARMUP}s warm-up per target"
LOAD=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)
echo "load average before the run: $LOAD (other load on the machine lowers every figure)"
echo

# name|path|label
TARGETS=(
    "static|/static/site.css|static asset /static/site.css"
    "html_divisions|/divisions|HTML /divisions"
    "html_division|/divisions/540100000000|HTML /divisions/540100000000"
    "json_divisions|/api/v1/divisions|JSON /api/v1/divisions"
    "healthz|/healthz|/healthz"
    "html_services|/services|HTML /services (catalog)"
    "html_guide|/services/XZ-MZ-001|HTML /services/XZ-MZ-001 (guide)"
    "json_guide|/api/v1/services/XZ-MZ-001|JSON /api/v1/services/XZ-MZ-001"
)

# Check every target answers 200 before loading it.
for t in "${TARGETS[@]}"; do
    IFS='|' read -r name path label <<<"$t"
    code=$(curl -s -o /dev/null -w '%{http_code}' "http://$HOST:$PORT$path")
    [[ $code == 200 ]] || note "warning: $path answered HTTP $code (figures for it measure that)"
done

declare -A R_RPS R_P50 R_P99 R_ERR R_CPU
for t in "${TARGETS[@]}"; do
    IFS='|' read -r name path label <<<"$t"
    progress "running $label ..."
    warm "$path" "$WRK_CONNS"
    run_wrk "$name" "$path" "$WRK_CONNS" "$SECONDS_PER_RUN"
    parse "$name"
    R_RPS[$name]=$RPS R_P50[$name]=$P50 R_P99[$name]=$P99 R_ERR[$name]=$ERRS R_CPU[$name]=$CPU_US
done
progress ""
BASE=${R_RPS[static]}

# The ceiling: a bare libmicrohttpd server (bench/bare_mhd.c) with the same thread model,
# 2 KiB from memory, measured now on the same machine under the same load.
BARE_RPS=NA BARE_P50=NA BARE_P99=NA
if cc -O2 -o "$WORK/bare_mhd" "$ROOT/bench/bare_mhd.c" $(pkg-config --cflags --libs libmicrohttpd) \
    2>"$WORK/bare_cc.log"; then
    BARE_PORT=$(( (RANDOM % 20000) + 30000 ))
    THREADS_FOR_BARE=$SERVER_THREADS
    ((THREADS_FOR_BARE > 0)) || THREADS_FOR_BARE=$(nproc)
    "$WORK/bare_mhd" "$BARE_PORT" "$THREADS_FOR_BARE" &
    BARE_PID=$!
    sleep 0.3
    if kill -0 "$BARE_PID" 2>/dev/null; then
        progress "running bare libmicrohttpd baseline ..."
        ((WARMUP > 0)) && wrk_bg -t"$WRK_THREADS" -c"$WRK_CONNS" -d"${WARMUP}s" "http://$HOST:$BARE_PORT/" >/dev/null
        wrk_bg -t"$WRK_THREADS" -c"$WRK_CONNS" -d"${SECONDS_PER_RUN}s" --latency \
            "http://$HOST:$BARE_PORT/" >"$WORK/wrk.bare"
        echo 0 >"$WORK/cpu.bare"
        parse bare
        BARE_RPS=$RPS BARE_P50=$P50 BARE_P99=$P99
        progress ""
    fi
    kill "$BARE_PID" 2>/dev/null
    wait "$BARE_PID" 2>/dev/null
else
    note "could not build bench/bare_mhd.c (see $WORK/bare_cc.log); no ceiling measured"
fi

# Peak RSS under many connections (HTML page).
progress "running peak RSS, $RSS_CONNS connections ..."
# Reset the high-water mark first (Linux clear_refs 5): start-up work such as the password
# hasher's first argon2id hash (64 MiB) is not what this figure is about.
echo 5 >"/proc/$SERVER_PID/clear_refs" 2>/dev/null || note "cannot reset VmHWM: peak includes start-up"
run_wrk rss /divisions "$RSS_CONNS" "$SECONDS_PER_RUN"
parse rss
RSS_RPS=$RPS RSS_P50=$P50 RSS_P99=$P99 RSS_ERR=$ERRS RSS_CPU=$CPU_US
RSS_KB=$(awk '/^VmHWM:/ { print $2 }' "/proc/$SERVER_PID/status" 2>/dev/null)
RSS_NOW_KB=$(awk '/^VmRSS:/ { print $2 }' "/proc/$SERVER_PID/status" 2>/dev/null)
RSS_MB=$(awk -v k="${RSS_KB:-}" 'BEGIN { if (k == "") print "NA"; else printf "%.1f", k / 1024 }')
RSS_NOW_MB=$(awk -v k="${RSS_NOW_KB:-}" 'BEGIN { if (k == "") print "NA"; else printf "%.1f", k / 1024 }')
progress ""

# Keep-alive: two requests on one curl invocation must reuse the connection.
curl -sv -o /dev/null -o /dev/null "http://$HOST:$PORT/healthz" "http://$HOST:$PORT/healthz" \
    >"$WORK/keepalive.log" 2>&1
if grep -q 'Re-using existing connection' "$WORK/keepalive.log"; then
    KEEPALIVE=yes
else
    KEEPALIVE=no
fi
KA_CLOSE=$(grep -ci '^< Connection: close' "$WORK/keepalive.log")

# ---- OpenID Connect (issue 3 targets) ---------------------------------------------------
# Discovery and JWKS against the static rate; userinfo with a JWT access token; the token
# endpoint (code exchange, durable) against the database's raw durable commit rate measured
# right here (bench/commit_rate.c, 8 writers, same file system); and the same discovery and
# JWKS endpoints of the Node.js reference provider (npm oidc-provider), as a multiple.
OIDC_CODES=${BENCH_OIDC_CODES:-3000}
progress "OpenID Connect: client, citizen, codes ..."
CLIENT_OUT=$("$BIN" client add bench redirect=http://127.0.0.1:9/cb --data "$WORK/data" 2>&1) ||
    note "client add failed: $CLIENT_OUT"
CLIENT_ID=$(sed -n 's/^client_id=//p' <<<"$CLIENT_OUT")
CLIENT_SECRET=$(sed -n 's/^client_secret=//p' <<<"$CLIENT_OUT")
node "$ROOT/bench/oidc_flow.mjs" "http://$HOST:$PORT" "$CLIENT_ID" "$CLIENT_SECRET" \
    "$OIDC_CODES" 8 "$SERVER_PID" >"$WORK/oidc_flow.txt" 2>"$WORK/oidc_flow.err" ||
    note "the OIDC flow failed: $(head -c 300 "$WORK/oidc_flow.err")"
AUTHZ_RPS=$(sed -n 's/^authorize_per_s=//p' "$WORK/oidc_flow.txt")
TOKEN_RPS=$(sed -n 's/^token_per_s=//p' "$WORK/oidc_flow.txt")
ACCESS_TOKEN=$(sed -n 's/^access_token=//p' "$WORK/oidc_flow.txt")
AUTHZ_CPU=$(sed -n 's/^authorize_cpu_us=//p' "$WORK/oidc_flow.txt")
TOKEN_CPU=$(sed -n 's/^token_cpu_us=//p' "$WORK/oidc_flow.txt")
declare -A O_RPS O_P99
for t in "discovery|/.well-known/openid-configuration" "jwks|/oauth2/jwks"; do
    IFS='|' read -r name path <<<"$t"
    warm "$path" "$WRK_CONNS"
    run_wrk "$name" "$path" "$WRK_CONNS" "$SECONDS_PER_RUN"
    parse "$name"
    O_RPS[$name]=$RPS O_P99[$name]=$P99
done
if [[ -n $ACCESS_TOKEN ]]; then
    wrk_bg -t"$WRK_THREADS" -c"$WRK_CONNS" -d"${SECONDS_PER_RUN}s" --latency \
        -H "Authorization: Bearer $ACCESS_TOKEN" "http://$HOST:$PORT/oauth2/userinfo" >"$WORK/wrk.userinfo"
    echo 0 >"$WORK/cpu.userinfo"
    parse userinfo
    O_RPS[userinfo]=$RPS O_P99[userinfo]=$P99
fi
progress ""
stop_server

# The raw durable commit rate of the same kind of database, measured now.
COMMIT_RPS=NA
if [[ -x $ROOT/$BUILD_DIR/bench/commit_rate ]]; then
    COMMIT_RPS=$("$ROOT/$BUILD_DIR/bench/commit_rate" "sqlite:$WORK/commit.db" 8 "$SECONDS_PER_RUN" |
        sed -n 's/^commits_per_s=//p')
fi

# The Node.js reference provider on the same machine, same endpoints.
REF_DISC=NA REF_JWKS=NA
REF_PORT=$(( (RANDOM % 20000) + 30000 ))
if [[ -d $ROOT/node_modules/oidc-provider ]]; then
    node "$ROOT/bench/oidc_ref.mjs" "$REF_PORT" >"$WORK/ref.log" 2>&1 &
    REF_PID=$!
    for ((i = 0; i < 50; i++)); do
        curl -sf -o /dev/null "http://$HOST:$REF_PORT/.well-known/openid-configuration" && break
        sleep 0.1
    done
    progress "reference provider (oidc-provider) ..."
    for t in "ref_discovery|/.well-known/openid-configuration" "ref_jwks|/jwks"; do
        IFS='|' read -r name path <<<"$t"
        ((WARMUP > 0)) && wrk_bg -t"$WRK_THREADS" -c"$WRK_CONNS" -d"${WARMUP}s" "http://$HOST:$REF_PORT$path" >/dev/null
        wrk_bg -t"$WRK_THREADS" -c"$WRK_CONNS" -d"${SECONDS_PER_RUN}s" --latency \
            "http://$HOST:$REF_PORT$path" >"$WORK/wrk.$name"
        echo 0 >"$WORK/cpu.$name"
        parse "$name"
        [[ $name == ref_discovery ]] && REF_DISC=$RPS || REF_JWKS=$RPS
    done
    kill "$REF_PID" 2>/dev/null
    wait "$REF_PID" 2>/dev/null
    progress ""
else
    note "npm oidc-provider is not installed (npm ci): no reference provider figures"
fi

# One extra pass of the HTML page with request logging on (stderr to /dev/null).
progress "running HTML /divisions with request logging ..."
start_server 1 /dev/null
warm /divisions "$WRK_CONNS"
run_wrk logged /divisions "$WRK_CONNS" "$SECONDS_PER_RUN"
parse logged
LOG_RPS=$RPS LOG_P50=$P50 LOG_P99=$P99 LOG_ERR=$ERRS LOG_CPU=$CPU_US
progress ""
stop_server

# ---------------------------------------------------------------------------------------
row() { # label rps p50 p99 ratio cpu errs
    printf '%-34s %9s %9s %9s %9s %9s %6s\n' "$1" "$2" "$3" "$4" "$5" "$6" "$7"
}

echo "Results: req/s; latency p50/p99 in ms; vs_static = req/s / static asset req/s (same run);"
echo "cpu_us = server CPU (user+sys, all threads) per request, less sensitive to other load."
row target req/s p50_ms p99_ms vs_static cpu_us errors
row "$(printf '%.34s' ----------------------------------)" --------- --------- --------- --------- --------- ------
for t in "${TARGETS[@]}"; do
    IFS='|' read -r name path label <<<"$t"
    row "$label" "${R_RPS[$name]}" "${R_P50[$name]}" "${R_P99[$name]}" \
        "$(pct "$(ratio "${R_RPS[$name]}" "$BASE")")" "${R_CPU[$name]}" "${R_ERR[$name]}"
done
LOG_RATIO=$(ratio "$LOG_RPS" "$BASE")
RSS_RATIO=$(ratio "$RSS_RPS" "$BASE")
row "HTML /divisions, request logging" "$LOG_RPS" "$LOG_P50" "$LOG_P99" "$(pct "$LOG_RATIO")" \
    "$LOG_CPU" "$LOG_ERR"
row "HTML /divisions, -c$RSS_CONNS" "$RSS_RPS" "$RSS_P50" "$RSS_P99" "$(pct "$RSS_RATIO")" \
    "$RSS_CPU" "$RSS_ERR"
row "bare libmicrohttpd, 2 KiB (ceiling)" "$BARE_RPS" "$BARE_P50" "$BARE_P99" \
    "$(pct "$(ratio "$BARE_RPS" "$BASE")")" "-" "-"
STATIC_OF_BARE=$(ratio "$BASE" "$BARE_RPS")
echo "static asset = $(pct "$STATIC_OF_BARE") of the bare libmicrohttpd ceiling measured in this run"
echo "(errors = non-2xx/3xx responses + socket errors reported by wrk)"
echo
echo "OpenID Connect:"
printf '  %-44s %9s req/s  %s of static; %sx the reference provider (%s req/s)\n' "discovery" \
    "${O_RPS[discovery]:-NA}" "$(pct "$(ratio "${O_RPS[discovery]:-0}" "$BASE")")" \
    "$(ratio "${O_RPS[discovery]:-0}" "$REF_DISC")" "$REF_DISC"
printf '  %-44s %9s req/s  %s of static; %sx the reference provider (%s req/s)\n' "JWKS" \
    "${O_RPS[jwks]:-NA}" "$(pct "$(ratio "${O_RPS[jwks]:-0}" "$BASE")")" \
    "$(ratio "${O_RPS[jwks]:-0}" "$REF_JWKS")" "$REF_JWKS"
printf '  %-44s %9s req/s  (p99 %s ms)\n' "userinfo, JWT access token" "${O_RPS[userinfo]:-NA}" \
    "${O_P99[userinfo]:-NA}"
printf '  %-44s %9s /s  (server CPU %s us each)\n' "authorize (code issued, durable), 8 at once" \
    "${AUTHZ_RPS:-NA}" "${AUTHZ_CPU:-NA}"
printf '  %-44s %9s /s  %s of the raw durable commit rate (%s/s, 8 writers); server CPU %s us each\n' \
    "token: code exchange (durable), 8 at once" "${TOKEN_RPS:-NA}" \
    "$(pct "$(ratio "${TOKEN_RPS:-0}" "$COMMIT_RPS")")" "$COMMIT_RPS" "${TOKEN_CPU:-NA}"
echo

HTML_RATIO=$(ratio "${R_RPS[html_divisions]}" "$BASE")
LOG_COST=$(awk -v a="${R_RPS[html_divisions]}" -v b="$LOG_RPS" \
    'BEGIN { if (a > 0) printf "%.1f", (a - b) * 100 / a; else print "NA" }')
LOG_CPU_COST=$(awk -v a="${R_CPU[html_divisions]}" -v b="$LOG_CPU" \
    'BEGIN { if (a == "NA" || b == "NA" || a <= 0) print "NA"; else printf "%.1f", (b - a) * 100 / a }')
echo "request logging on HTML /divisions (log to /dev/null): req/s ${R_RPS[html_divisions]} -> $LOG_RPS" \
    "(cost ${LOG_COST}%), CPU/request ${R_CPU[html_divisions]} -> $LOG_CPU us (cost ${LOG_CPU_COST}%)"
echo "  (a negative cost means the logged pass was faster: the difference is noise; trust cpu_us more)"
echo "peak RSS (VmHWM) after $RSS_CONNS connections on /divisions: ${RSS_MB} MB (VmRSS then ${RSS_NOW_MB} MB)"
echo "keep-alive (curl -sv, two requests in one invocation): connection reused=$KEEPALIVE" \
    "('Connection: close' headers seen: $KA_CLOSE)"
echo
echo "Targets (informational, never enforced):"
printf '  %-44s %-14s %s\n' "static asset >= $TARGET_STATIC_RPS req/s" "$BASE" \
    "$(meets "$BASE" '>=' "$TARGET_STATIC_RPS")"
printf '  %-44s %-14s %s\n' "HTML /divisions >= 40% of static" "$(pct "$HTML_RATIO")" \
    "$(meets "$HTML_RATIO" '>=' "$TARGET_HTML_RATIO")"
printf '  %-44s %-14s %s\n' "peak RSS < $TARGET_RSS_MB MB at $RSS_CONNS connections" "$RSS_MB MB" \
    "$(meets "$RSS_MB" '<' "$TARGET_RSS_MB")"
printf '  %-44s %-14s %s\n' "keep-alive effective" "$KEEPALIVE" \
    "$([[ $KEEPALIVE == yes ]] && echo yes || echo NO)"
echo

# Machine-readable summary.
bench_search
SUMMARY=$WORK/summary.txt
{
    echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "version=$VERSION"
    echo "commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo "bare_mhd_rps=$BARE_RPS"
    echo "oidc_discovery_rps=${O_RPS[discovery]:-NA}"
    echo "oidc_jwks_rps=${O_RPS[jwks]:-NA}"
    echo "oidc_userinfo_rps=${O_RPS[userinfo]:-NA}"
    echo "oidc_authorize_per_s=${AUTHZ_RPS:-NA}"
    echo "oidc_token_per_s=${TOKEN_RPS:-NA}"
    echo "raw_commit_per_s=$COMMIT_RPS"
    echo "ref_provider_discovery_rps=$REF_DISC"
    echo "ref_provider_jwks_rps=$REF_JWKS"
    echo "static_of_bare_ratio=$STATIC_OF_BARE"
    echo "cores=$(nproc)"
    echo "loadavg_before=${LOAD// /,}"
    echo "bench_seconds=$SECONDS_PER_RUN"
    echo "wrk_threads=$WRK_THREADS"
    echo "wrk_connections=$WRK_CONNS"
    echo "server_threads=$SERVER_THREADS"
    for t in "${TARGETS[@]}"; do
        IFS='|' read -r name path label <<<"$t"
        echo "${name}_rps=${R_RPS[$name]}"
        echo "${name}_p50_ms=${R_P50[$name]}"
        echo "${name}_p99_ms=${R_P99[$name]}"
        echo "${name}_ratio=$(ratio "${R_RPS[$name]}" "$BASE")"
        echo "${name}_cpu_us_per_req=${R_CPU[$name]}"
        echo "${name}_errors=${R_ERR[$name]}"
    done
    echo "html_divisions_logged_rps=$LOG_RPS"
    echo "html_divisions_logged_p50_ms=$LOG_P50"
    echo "html_divisions_logged_p99_ms=$LOG_P99"
    echo "html_divisions_logged_ratio=$LOG_RATIO"
    echo "html_divisions_logged_cpu_us_per_req=$LOG_CPU"
    echo "html_divisions_logged_errors=$LOG_ERR"
    echo "request_logging_cost_pct=$LOG_COST"
    echo "request_logging_cpu_cost_pct=$LOG_CPU_COST"
    echo "rss_connections=$RSS_CONNS"
    echo "rss_run_rps=$RSS_RPS"
    echo "rss_run_p50_ms=$RSS_P50"
    echo "rss_run_p99_ms=$RSS_P99"
    echo "rss_run_ratio=$RSS_RATIO"
    echo "rss_run_cpu_us_per_req=$RSS_CPU"
    echo "rss_run_errors=$RSS_ERR"
    echo "peak_rss_mb=$RSS_MB"
    echo "rss_after_mb=$RSS_NOW_MB"
    echo "keepalive_reused=$KEEPALIVE"
    echo "target_static_rps_met=$(meets "$BASE" '>=' "$TARGET_STATIC_RPS")"
    echo "target_html_ratio_met=$(meets "$HTML_RATIO" '>=' "$TARGET_HTML_RATIO")"
    echo "target_peak_rss_met=$(meets "$RSS_MB" '<' "$TARGET_RSS_MB")"
    cat "$WORK/search.kv" 2>/dev/null
    echo "duration_s=$(($(date +%s) - START_TS))"
} >"$SUMMARY"

# The applications section (issue 4 targets) runs on its own databases.
stop_server
bench/apply.sh || note "the applications section failed"
bench/notify.sh || note "the notification section failed"
bench/certs.sh || note "the e-certificate section failed"
bench/pay.sh || note "the payment section failed"
bench/opendata.sh || note "the open-data section failed"
bench/cluster.sh || note "the cluster section failed"
bench/ask.sh || note "the Q&A section failed"
bench/oversight.sh || note "the oversight section failed"
bench/messaging.sh || note "the messaging section failed"
bench/exchange.sh || note "the data exchange section failed"

echo "Summary (also in bench/results/latest.txt):"
cat "$SUMMARY"
if mkdir -p "$ROOT/bench/results" 2>/dev/null && cp "$SUMMARY" "$ROOT/bench/results/latest.txt.tmp" 2>/dev/null \
    && mv "$ROOT/bench/results/latest.txt.tmp" "$ROOT/bench/results/latest.txt"; then
    :
else
    note "could not write bench/results/latest.txt"
fi
exit 0
