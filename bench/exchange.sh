#!/usr/bin/env bash
# bench/exchange.sh - the data exchange targets of issue 13 (run as `bench/run.sh exchange`,
# or by `make bench` after the other sections). On a fresh data directory (init + demo), SQLite:
#   1. the raw durable single-row commit rate (bench/commit_rate), 1 and BENCH_EXCHANGE_THREADS
#      writers, beside exchange reads in process (bench/exchange_bench read: grant check,
#      provider lookup, masking, durable log) with 1 caller (synchronous=FULL) and
#      BENCH_EXCHANGE_THREADS callers (group commit, as the server runs);
#   2. the same read over HTTP with a client-credentials bearer token (token check too), wrk;
#   3. BENCH_EXCHANGE_ROWS rows in the read log (one in 2000 about the demo citizen), then his
#      /account/data-use page: in process (p50/p99/max of the query) and over HTTP with wrk
#      (p99 of the JSON twin and of the HTML page, logged in, 2 connections), beside the
#      account page of the same session as a baseline.
# Target: reads at >= 50% of the raw commit rate; the page's p99 under 50 ms.
# Results: key=value lines, also in bench/results/exchange.txt. Reports, never fails.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
BUILD_DIR=${BUILD:-build}
BIN=${ONEWINDOW_BIN:-$BUILD_DIR/onewindow}
XB=$BUILD_DIR/bench/exchange_bench
CR=$BUILD_DIR/bench/commit_rate
SECS=${BENCH_SECONDS:-5}
THREADS=${BENCH_EXCHANGE_THREADS:-8}
ROWS=${BENCH_EXCHANGE_ROWS:-1000000}
CONNS=${BENCH_EXCHANGE_CONNECTIONS:-16}
ZX=540102199001011233
for f in "$BIN" "$XB" "$CR"; do
    [[ -x $f ]] || { echo "bench/exchange: $f missing (make $f)" >&2; exit 1; }
done
WORK=$(mktemp -d "${TMPDIR:-/tmp}/onewindow-exchange-bench.XXXXXX")
PID=
cleanup() { [[ -n $PID ]] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
OUT=$WORK/out
: >"$OUT"
kv() { echo "$1=$2" | tee -a "$OUT"; }
val() { sed -n "s/^$1=//p" "$2" | tail -n1; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.0f", 100 * a / b; else print "NA" }'; }
ms() { awk '{ v = $1; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) } else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 } printf "%.2f", v }' <<<"$1"; }

D=$WORK/d
DB=sqlite:$WORK/d/db
O=(--data "$D" --db "$DB" --insecure-fast-passwords 1)
mkdir -p "$D"
if ! "$BIN" init "${O[@]}" >/dev/null 2>&1 || ! "$BIN" demo "${O[@]}" >/dev/null 2>&1; then
    echo "bench/exchange: init/demo failed" >&2
    exit 0
fi

# 1. in process
echo "bench/exchange: raw commits and reads in process" >&2
"$CR" "sqlite:$WORK/commit.db" 1 "$SECS" >"$WORK/c1"
"$CR" "sqlite:$WORK/commit.db" "$THREADS" "$SECS" >"$WORK/cn"
"$XB" "$D" "$DB" read 1 "$SECS" >"$WORK/r1"
"$XB" "$D" "$DB" read "$THREADS" "$SECS" group >"$WORK/rn"
raw1=$(val commits_per_s "$WORK/c1"); rawn=$(val commits_per_s "$WORK/cn")
r1=$(val reads_per_s "$WORK/r1"); rn=$(val reads_per_s "$WORK/rn")
kv raw_commits_per_s_1 "$raw1"
kv "raw_commits_per_s_$THREADS" "$rawn"
kv exchange_reads_per_s_1_full "$r1"
kv "exchange_reads_per_s_${THREADS}_group" "$rn"
kv exchange_read_pct_of_raw_1 "$(pct "$r1" "$raw1")"
kv "exchange_read_group_pct_of_raw_$THREADS" "$(pct "$rn" "$rawn")"
kv exchange_read_failures "$(( $(val read_failures "$WORK/r1") + $(val read_failures "$WORK/rn") ))"

# 3a. the log, filled before the server starts
echo "bench/exchange: $ROWS read-log rows" >&2
"$XB" "$D" "$DB" fill "$ROWS" "$ZX" >"$WORK/fill" || echo "bench/exchange: fill failed" >&2
kv read_log_rows "$(val filled_rows "$WORK/fill")"
"$XB" "$D" "$DB" query "$ZX" 300 >"$WORK/q"
for k in data_use_rows data_use_p50_ms data_use_p99_ms data_use_max_ms; do kv "query_$k" "$(val $k "$WORK/q")"; done

if ! command -v wrk >/dev/null; then
    echo "bench/exchange: wrk missing: no HTTP figures" >&2
else
    PORT=$((20000 + RANDOM % 20000))
    BASE=http://127.0.0.1:$PORT
    "$BIN" serve "${O[@]}" --listen "127.0.0.1:$PORT" --log-requests 0 --public-url "$BASE" >"$WORK/log" 2>&1 &
    PID=$!
    for _ in $(seq 100); do curl -sf "$BASE/healthz" >/dev/null && break; sleep 0.1; done
    # 2. over HTTP: a department system's token, a grant, reads.
    "$BIN" client add bench redirect=http://127.0.0.1:9/cb "scopes=openid exchange:read" \
        "grants=authorization_code client_credentials" "${O[@]}" >"$WORK/client" 2>/dev/null
    CID=$(sed -n 's/^client_id=//p' "$WORK/client"); SEC=$(sed -n 's/^client_secret=//p' "$WORK/client")
    TOKEN=$(curl -s -u "$CID:$SEC" -d grant_type=client_credentials -d scope=exchange:read "$BASE/oauth2/token" |
        sed -n 's/.*"access_token": *"\([^"]*\)".*/\1/p')
    GRANT=$(curl -s -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' \
        -d '{"resource":"marriage","fields":"name,status","purpose":"bench","legal_basis":"婚姻登记条例"}' \
        "$BASE/exchange/v1/requests" | sed -n 's/.*"id": *"\([0-9]*\)".*/\1/p')
    "$BIN" exchange approve "$GRANT" days=1 rate=1000000 "${O[@]}" >/dev/null 2>&1
    URL="$BASE/exchange/v1/marriage?id_number=$ZX&purpose=bench&case=BENCH-2"
    kv http_read_status "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$URL")"
    wrk -t2 -c"$CONNS" -d1s -H "Authorization: Bearer $TOKEN" "$URL" >/dev/null 2>&1
    wrk -t2 -c"$CONNS" -d"${SECS}s" --latency -H "Authorization: Bearer $TOKEN" "$URL" >"$WORK/wrk" 2>&1
    hr=$(awk '/Requests\/sec/ { printf "%.0f", $2 }' "$WORK/wrk")
    kv http_exchange_reads_per_s "$hr"
    kv http_exchange_read_p99_ms "$(ms "$(awk '$1 == "99%" { print $2 }' "$WORK/wrk")")"
    kv "http_exchange_read_pct_of_raw_$THREADS" "$(pct "$hr" "$rawn")"
    kv http_exchange_read_pct_of_raw_1 "$(pct "$hr" "$raw1")"
    # 3b. the citizen's page, logged in (the CSRF double-submit cookie, then the form).
    J=$WORK/jar
    CSRF=$(curl -s -c "$J" -H 'accept: application/json' "$BASE/login" | sed -n 's/.*"csrf": *"\([^"]*\)".*/\1/p')
    curl -s -b "$J" -c "$J" -o /dev/null --data-urlencode "_csrf=$CSRF" --data-urlencode "login=$ZX" \
        --data-urlencode "password=Demo-2026-xz" "$BASE/login"
    COOKIE=$(awk '$6 ~ /^ow_s/ { printf "%s=%s; ", $6, $7 }' "$J")
    # Baseline: the account page of the same session (session check, one account read).
    for page in api/v1/account api/v1/account/data-use account/data-use; do
        name=$(tr '/-' '__' <<<"$page")
        kv "http_${name}_status" "$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $COOKIE" "$BASE/$page")"
        wrk -t1 -c2 -d1s -H "Cookie: $COOKIE" "$BASE/$page" >/dev/null 2>&1
        wrk -t1 -c2 -d"${SECS}s" --latency -H "Cookie: $COOKIE" "$BASE/$page" >"$WORK/wrk2" 2>&1
        kv "http_${name}_rps" "$(awk '/Requests\/sec/ { printf "%.0f", $2 }' "$WORK/wrk2")"
        kv "http_${name}_p99_ms" "$(ms "$(awk '$1 == "99%" { print $2 }' "$WORK/wrk2")")"
    done
fi
kv target_read_pct 50
kv target_data_use_p99_ms 50
mkdir -p bench/results
cp "$OUT" bench/results/exchange.txt
