#!/usr/bin/env bash
# bench/hotline.sh - the hotline's targets (issue 6), run by `bench/run.sh hotline` and at the
# end of `make bench`: order intake over HTTP (Open311 POST requests.json with an API key,
# every order validated, its phone sealed, numbered, audited and committed durably with
# group commit) on SQLite, target 1,000/s; and the classifier's held-out accuracy from
# `onewindow hotline evaluate` on the demo orders. Reports; never fails the build.
# Knobs: BENCH_SECONDS (10), BENCH_HOTLINE_CONNS (32), ONEWINDOW_BIN.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
BIN=${ONEWINDOW_BIN:-$ROOT/build/onewindow}
SECS=${BENCH_SECONDS:-10}
CONNS=${BENCH_HOTLINE_CONNS:-32}
TARGET_INTAKE=1500 # issue 19 (issue 8 asked for 1,000/s)
[[ -x $BIN ]] || { echo "bench: $BIN not found" >&2; exit 1; }
command -v wrk >/dev/null || { echo "bench: wrk not found" >&2; exit 1; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/onewindow-hotline-bench.XXXXXX")
PID=
cleanup() { [[ -n $PID ]] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
common=(--data "$WORK/data" --db "sqlite:$WORK/data/onewindow.db")
"$BIN" init "${common[@]}" >/dev/null 2>&1 || { echo "bench: init failed" >&2; exit 1; }
"$BIN" demo "${common[@]}" >/dev/null 2>&1 || { echo "bench: demo failed" >&2; exit 1; }
KEY=$("$BIN" open311 key create bench "${common[@]}" 2>/dev/null | sed -n 's/.*(shown once): //p')
EVAL=$("$BIN" hotline evaluate "${common[@]}" 2>/dev/null)
"$BIN" serve "${common[@]}" --listen 127.0.0.1:0 --log-requests 0 --sync group \
    </dev/null >/dev/null 2>"$WORK/serve.log" &
PID=$!
PORT=
for ((i = 0; i < 100; i++)); do
    PORT=$(sed -n 's/.*msg=listening.* port=\([0-9][0-9]*\).*/\1/p' "$WORK/serve.log" | head -n1)
    [[ -n $PORT ]] && break
    sleep 0.1
done
[[ -n $PORT ]] || { echo "bench: the server did not start" >&2; cat "$WORK/serve.log" >&2; exit 1; }
cat >"$WORK/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "api_key=$KEY&service_code=water&lat=29.6525&long=91.1320&address_string=%E5%85%AB%E5%BB%93%E8%A1%97&attribute%5Bdivision%5D=540102002000&phone=13900001234&description=%E5%B0%8F%E5%8C%BA%E5%B7%B2%E7%BB%8F%E5%81%9C%E6%B0%B4%E4%B8%A4%E5%A4%A9%E4%BA%86"
LUA
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
T0=$(ticks "$PID")
BEFORE=$(sqlite3 "$WORK/data/onewindow.db" "SELECT COUNT(*) FROM hotline_orders WHERE channel = 'open311'")
wrk -t2 -c"$CONNS" -d"${SECS}s" --latency -s "$WORK/post.lua" \
    "http://127.0.0.1:$PORT/open311/v2/requests.json" >"$WORK/wrk.txt" 2>&1
T1=$(ticks "$PID")
AFTER=$(sqlite3 "$WORK/data/onewindow.db" "SELECT COUNT(*) FROM hotline_orders WHERE channel = 'open311'")
# Orders whose search document the indexing job had not written yet when the load stopped
# (issue 19: the index is built after commit; none when the table predates it).
QUEUED=$(sqlite3 "$WORK/data/onewindow.db" "SELECT COUNT(*) FROM search_pending" 2>/dev/null || echo NA)
RPS=$(awk '/^Requests\/sec/ { print $2 }' "$WORK/wrk.txt")
P99=$(awk '$1 == "99%" { print $2 }' "$WORK/wrk.txt")
NON2XX=$(awk '/Non-2xx/ { print $NF }' "$WORK/wrk.txt")
STORED=$((AFTER - BEFORE))
CPU_US=$(awk -v t=$((T1 - T0)) -v n="$STORED" -v hz="$(getconf CLK_TCK)" 'BEGIN { if (n > 0) printf "%.0f", t * 1e6 / hz / n; else print "NA" }')
PER_S=$(awk -v n="$STORED" -v s="$SECS" 'BEGIN { printf "%.0f", n / s }')
echo "hotline: Open311 intake (POST requests.json, SQLite, group commit, $CONNS connections)"
echo "  requests/s $RPS  p99 $P99  non-2xx ${NON2XX:-0}  orders stored $STORED ($PER_S/s)  server CPU/order ${CPU_US}us  search queue at the end ${QUEUED}  target $TARGET_INTAKE/s: $(awk -v r="$PER_S" -v t=$TARGET_INTAKE 'BEGIN { print (r >= t) ? "met" : "not met" }')"
echo "hotline: classifier (onewindow hotline evaluate, demo orders, every 5th held out)"
sed 's/^/  /' <<<"$EVAL"
echo "hotline_intake_per_s=$PER_S"
echo "hotline_intake_p99=$P99"
echo "hotline_intake_cpu_us=$CPU_US"
echo "(load average now: $(cut -d' ' -f1-3 /proc/loadavg); the machine's raw durable commit rate is in make bench)"
