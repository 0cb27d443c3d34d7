#!/usr/bin/env bash
# bench/certs.sh - the e-certificate targets of issue 5 (run as `bench/run.sh certs`, or by
# `make bench` after the HTTP section). On a fresh data directory (init + demo):
#   1. SM2 sign and verify rates through src/crypto (bench/certs_bench) beside
#      `openssl speed sm2` on the same machine in the same run (ratio; OpenSSL's figure
#      excludes the per-call context set-up the platform does to set the default SM2 ID);
#   2. the verification API (/api/v1/verify?q=IDENTIFIER) with wrk: requests/s and p99,
#      the server's CPU per request, and the ratio to the machine's SM2 verify capacity over
#      all its cores (`openssl speed -multi NPROC sm2`, same run; issue 19 target >= 0.8);
#   3. PDF rendering of a bilingual certificate (target < 50 ms each): p50 and max.
# Results: key=value lines, also in bench/results/certs.txt. Reports, never fails.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
BUILD_DIR=${BUILD:-build}
BIN=${ONEWINDOW_BIN:-$BUILD_DIR/onewindow}
CB=$BUILD_DIR/bench/certs_bench
SECS=${BENCH_SECONDS:-5}
CONNS=${BENCH_CERTS_CONNECTIONS:-32}
for f in "$BIN" "$CB"; do
    [[ -x $f ]] || { echo "bench/certs: $f missing (make $f)" >&2; exit 1; }
done
WORK=$(mktemp -d "${TMPDIR:-/tmp}/onewindow-certs-bench.XXXXXX")
PID=
cleanup() { [[ -n $PID ]] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
OUT=$WORK/out
: >"$OUT"
kv() { echo "$1=$2" | tee -a "$OUT"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "NA" }'; }

# 1. SM2
"$CB" "$SECS" 50 >"$WORK/cb" || echo "bench/certs: certs_bench failed" >&2
sign=$(sed -n 's/^sm2_sign_per_s=//p' "$WORK/cb")
verify=$(sed -n 's/^sm2_verify_per_s=//p' "$WORK/cb")
read -r osign overify < <(openssl speed -seconds "$SECS" sm2 2>/dev/null | awk '/SM2/ { print $(NF-1), $NF }')
kv sm2_sign_per_s "$sign"
kv sm2_verify_per_s "$verify"
kv openssl_sm2_sign_per_s "${osign:-NA}"
kv openssl_sm2_verify_per_s "${overify:-NA}"
CORES=$(nproc 2>/dev/null || echo 1)
read -r _ overify_all < <(openssl speed -seconds "$SECS" -multi "$CORES" sm2 2>/dev/null \
    | awk '/^ *256 bits SM2/ { print $(NF-1), $NF }')
kv openssl_sm2_verify_all_cores_per_s "${overify_all:-NA}"
kv sm2_sign_ratio "$(ratio "$sign" "${osign:-0}")"
kv sm2_verify_ratio "$(ratio "$verify" "${overify:-0}")"

# 3. PDF (before the server, so that the load does not share the cores)
kv pdf_ms_p50 "$(sed -n 's/^pdf_ms_p50=//p' "$WORK/cb")"
kv pdf_ms_max "$(sed -n 's/^pdf_ms_max=//p' "$WORK/cb")"
kv pdf_target_ms 50

# 2. the verification API
O=(--data "$WORK/d" --db "sqlite:$WORK/d/db")
mkdir -p "$WORK/d"
if "$BIN" init "${O[@]}" >/dev/null 2>&1 && "$BIN" demo "${O[@]}" >/dev/null 2>&1; then
    ID=$("$BIN" cert issue MARRIAGE_CERT 540102199001011233 cg-mz \
        '{"male_name":"扎西多吉","female_name":"卓玛"}' "${O[@]}" 2>/dev/null)
    PORT=$((20000 + RANDOM % 20000))
    "$BIN" serve "${O[@]}" --listen "127.0.0.1:$PORT" --log-requests 0 >"$WORK/log" 2>&1 &
    PID=$!
    for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
    URL="http://127.0.0.1:$PORT/api/v1/verify?q=$ID"
    status=$(curl -s "$URL" | sed -n 's/.*"status": *"\([a-z_]*\)".*/\1/p')
    kv verify_status "${status:-none}"
    if command -v wrk >/dev/null; then
        wrk -t2 -c"$CONNS" -d1s "$URL" >/dev/null 2>&1
        cpu0=$(awk '{ print $14 + $15 }' "/proc/$PID/stat")
        wrk -t2 -c"$CONNS" -d"${SECS}s" --latency "$URL" >"$WORK/wrk" 2>&1
        cpu1=$(awk '{ print $14 + $15 }' "/proc/$PID/stat")
        rps=$(awk '/Requests\/sec/ { printf "%.0f", $2 }' "$WORK/wrk")
        nreq=$(awk '/requests in/ { print $1 }' "$WORK/wrk")
        kv verify_api_rps "$rps"
        kv verify_api_p99 "$(awk '$1 == "99%" { print $2 }' "$WORK/wrk")"
        kv verify_api_cpu_us_per_req "$(awk -v a="$cpu0" -v b="$cpu1" -v n="${nreq:-0}" -v hz="$(getconf CLK_TCK)" \
            'BEGIN { if (n > 0) printf "%.1f", (b - a) * 1e6 / hz / n; else print "NA" }')"
        kv verify_api_vs_sm2_capacity "$(ratio "${rps:-0}" "${overify_all:-0}")"
        kv verify_api_target_ratio 0.8
    else
        echo "bench/certs: wrk missing: no API figure" >&2
    fi
else
    echo "bench/certs: init/demo failed" >&2
fi
mkdir -p bench/results
cp "$OUT" bench/results/certs.txt
