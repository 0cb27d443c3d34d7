#!/usr/bin/env bash
# bench/opendata.sh - open data's targets (issue 14), run by `bench/run.sh opendata` and at the
# end of `make bench`: the DCAT-AP catalog /data/catalog.ttl for 1,000 datasets (target
# 100 ms), built afresh after a change (cold, timed with curl) and served from the response
# cache (warm, wrk); and CKAN package_search p99 (target 20 ms) for a search every dataset
# matches and one that matches a single dataset. Baseline in the same run: /healthz.
# Reports; never fails the build. Knobs: BENCH_SECONDS (10), BENCH_OD_CONNS (16),
# BENCH_OD_DATASETS (1000), ONEWINDOW_BIN.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
BIN=${ONEWINDOW_BIN:-$ROOT/build/onewindow}
SECS=${BENCH_SECONDS:-10}
CONNS=${BENCH_OD_CONNS:-16}
N=${BENCH_OD_DATASETS:-1000}
[[ -x $BIN ]] || { echo "bench: $BIN not found" >&2; exit 1; }
command -v wrk >/dev/null || { echo "bench: wrk not found" >&2; exit 1; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/onewindow-opendata-bench.XXXXXX")
PID=
cleanup() { [[ -n $PID ]] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
common=(--data "$WORK/data" --db "sqlite:$WORK/data/onewindow.db")
"$BIN" init "${common[@]}" >/dev/null 2>&1 || { echo "bench: init failed" >&2; exit 1; }
"$BIN" opendata bench-fill "$N" "${common[@]}" >/dev/null 2>&1 || { echo "bench: bench-fill failed" >&2; exit 1; }
"$BIN" serve "${common[@]}" --listen 127.0.0.1:0 --log-requests 0 </dev/null >/dev/null 2>"$WORK/serve.log" &
PID=$!
PORT=
for ((i = 0; i < 100; i++)); do
    PORT=$(sed -n 's/.*msg=listening.* port=\([0-9][0-9]*\).*/\1/p' "$WORK/serve.log" | head -n1)
    [[ -n $PORT ]] && break
    sleep 0.1
done
[[ -n $PORT ]] || { echo "bench: the server did not start" >&2; cat "$WORK/serve.log" >&2; exit 1; }
URL=http://127.0.0.1:$PORT
# The refresh job adds the platform's own datasets at start: wait until they are in.
for ((i = 0; i < 100; i++)); do
    curl -s "$URL/api/3/action/package_show?id=divisions" | grep -q '"success":true' && break
    sleep 0.1
done

# The server's CPU time so far (clock ticks): the machine may be shared, so beside wall-clock
# latency the CPU a request costs is reported too, which load does not inflate.
ticks() { awk '{ print $14 + $15 }' "/proc/$PID/stat" 2>/dev/null || echo 0; }
HZ=$(getconf CLK_TCK)
# run NAME PATH: wrk for SECS seconds; prints "rps p50 p99 cpu-us-per-request".
run() {
    local t0 t1
    t0=$(ticks)
    wrk -t2 -c"$CONNS" -d"${SECS}s" --latency "$URL$2" >"$WORK/$1.txt" 2>&1
    t1=$(ticks)
    awk -v t=$((t1 - t0)) -v hz="$HZ" '/^Requests\/sec/ { r = $2 } / requests in / { n = $1 } $1 == "50%" { p50 = $2 } $1 == "99%" { p99 = $2 }
        END { printf "%s %s %s %.0f\n", r, p50, p99, (n > 0 ? t * 1e6 / hz / n : 0) }' "$WORK/$1.txt"
}
ms() { awk -v t="$1" 'BEGIN { if (t ~ /us$/) v = t / 1000; else if (t ~ /ms$/) v = t + 0; else if (t ~ /s$/) v = t * 1000; printf "%.2f", v }'; }

# Cold: each time one dataset changes (the version moves), the next request builds the
# catalog again; five samples, the median reported.
COLD=()
COLD_CPU=()
for ((i = 0; i < 5; i++)); do
    "$BIN" opendata bench-fill 1 "${common[@]}" >/dev/null 2>&1
    t0=$(ticks)
    COLD+=("$(curl -s -o "$WORK/c.ttl" -w '%{time_total}' "$URL/data/catalog.ttl")")
    t1=$(ticks)
    COLD_CPU+=("$(awk -v t=$((t1 - t0)) -v hz="$HZ" 'BEGIN { printf "%.1f", t * 1000 / hz }')")
done
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
COLD_MS=$(printf '%s\n' "${COLD[@]}" | median | awk '{ printf "%.1f", $1 * 1000 }')
COLD_CPU_MS=$(printf '%s\n' "${COLD_CPU[@]}" | median)
TTL_BYTES=$(wc -c <"$WORK/c.ttl")
DATASETS=$(grep -c 'a dcat:Dataset' "$WORK/c.ttl")

read -r B_RPS B_P50 B_P99 B_CPU <<<"$(run base /healthz)"
read -r T_RPS T_P50 T_P99 T_CPU <<<"$(run ttl /data/catalog.ttl)"
read -r S_RPS S_P50 S_P99 S_CPU <<<"$(run search_all '/api/3/action/package_search?q=%E6%B5%8B%E8%AF%95&rows=10')"
read -r O_RPS O_P50 O_P99 O_CPU <<<"$(run search_one '/api/3/action/package_search?q=Test%20dataset%20999')"
met() { awk -v v="$(ms "$1")" -v t="$2" 'BEGIN { print (v <= t) ? "met" : "not met" }'; }
echo "opendata: $DATASETS datasets, catalog.ttl $TTL_BYTES bytes, $CONNS connections, ${SECS}s per run"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
printf '  %-44s %10s %9s %9s %8s %11s\n' target req/s p50 p99 vs-base CPU/req-us
printf '  %-44s %10s %9s %9s %8s %11s\n' "/healthz (baseline)" "$B_RPS" "$B_P50" "$B_P99" 1.00 "$B_CPU"
printf '  %-44s %10s %9s %9s %8s %11s\n' "/data/catalog.ttl (cached)" "$T_RPS" "$T_P50" "$T_P99" "$(ratio "$T_RPS" "$B_RPS")" "$T_CPU"
printf '  %-44s %10s %9s %9s %8s %11s\n' "package_search q=测试 (all match, 10 rows)" "$S_RPS" "$S_P50" "$S_P99" "$(ratio "$S_RPS" "$B_RPS")" "$S_CPU"
printf '  %-44s %10s %9s %9s %8s %11s\n' "package_search q=Test dataset 999 (1 hit)" "$O_RPS" "$O_P50" "$O_P99" "$(ratio "$O_RPS" "$B_RPS")" "$O_CPU"
echo "  catalog.ttl built afresh after a change: median ${COLD_MS} ms wall, ${COLD_CPU_MS} ms server CPU, of 5 (target 100 ms: $(awk -v v="$COLD_MS" 'BEGIN { print (v <= 100) ? "met" : "not met" }'))"
echo "  package_search p99: $S_P99 / $O_P99 (target 20 ms: $(met "$S_P99" 20) / $(met "$O_P99" 20))"
echo "opendata_ttl_cold_ms=$COLD_MS"
echo "opendata_ttl_cold_cpu_ms=$COLD_CPU_MS"
echo "opendata_search_one_cpu_us=$O_CPU"
echo "opendata_ttl_warm_p99=$T_P99"
echo "opendata_search_all_p99=$S_P99"
echo "opendata_search_one_p99=$O_P99"
echo "(load average now: $(cut -d' ' -f1-3 /proc/loadavg))"
