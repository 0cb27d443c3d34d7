#!/usr/bin/env bash
# bench/ask.sh - Q&A latency over 100,000 indexed passages (issue 14 target: /api/v1/ask p99
# under 30 ms). `bench/run.sh ask` runs it alone; `make bench` as one of its sections.
#
# A data directory with the demo (service guides, the two seed plans, the hotline's
# knowledge base), plus BENCH_ASK_PASSAGES (default 100000) passages from bench/ask_gen.mjs:
# policy clauses imported with `onewindow policy import` and knowledge-base documents indexed
# with `onewindow search index-file`. Then `onewindow ask bench ROUNDS`: every question of
# the evaluation set (data/ask/questions.json) through the whole of policy_ask, in-process,
# and as the baseline in the same run one search of the question's first term; wall and
# thread-CPU p50/p99; then the same questions as GET /api/v1/ask against a server on the same
# data, one at a time (bench/ask_http.mjs; the target is judged on this p99). key=value
# lines to bench/results/ask.txt. Reports; never fails a build.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
BIN=${ONEWINDOW_BIN:-$ROOT/build/onewindow}
N=${BENCH_ASK_PASSAGES:-100000}
ROUNDS=${BENCH_ASK_ROUNDS:-5}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
note() { echo "bench/ask: $*" >&2; }
common=(--data "$WORK" --db "sqlite:$WORK/ask.db")
"$BIN" init "${common[@]}" >/dev/null 2>"$WORK/init.err" || { note "init failed: $(head -c 300 "$WORK/init.err")"; exit 0; }
"$BIN" demo "${common[@]}" --insecure-fast-passwords 1 >/dev/null 2>"$WORK/demo.err" ||
    { note "demo failed: $(head -c 300 "$WORK/demo.err")"; exit 0; }
node bench/ask_gen.mjs "$N" "$WORK/policies.json" "$WORK/kb.jsonl" || { note "generator failed"; exit 0; }
t0=$(date +%s.%N)
"$BIN" policy import "$WORK/policies.json" "${common[@]}" >/dev/null 2>"$WORK/import.err" ||
    { note "policy import failed: $(head -c 300 "$WORK/import.err")"; exit 0; }
"$BIN" search index-file "$WORK/kb.jsonl" "${common[@]}" >/dev/null 2>"$WORK/index.err" ||
    { note "indexing failed: $(head -c 300 "$WORK/index.err")"; exit 0; }
t1=$(date +%s.%N)
{
    echo "ask_passages=$N"
    awk -v a="$t0" -v b="$t1" -v n="$N" 'BEGIN { printf "ask_index_passages_per_s=%.0f\n", n / (b - a) }'
    "$BIN" ask bench "$ROUNDS" "${common[@]}" 2>"$WORK/bench.err" || note "ask bench failed: $(head -c 300 "$WORK/bench.err")"
    # The same questions over HTTP: a server on the same data, one request at a time.
    port=$((20000 + RANDOM % 20000))
    "$BIN" serve "${common[@]}" --listen "127.0.0.1:$port" 2>"$WORK/serve.err" &
    spid=$!
    for _ in $(seq 1 100); do
        curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
        sleep 0.1
    done
    node bench/ask_http.mjs "http://127.0.0.1:$port" "$ROUNDS" || note "the HTTP run failed"
    kill "$spid" 2>/dev/null
    wait "$spid" 2>/dev/null
} | tee "$WORK/ask.kv"
p99=$(sed -n 's/^ask_http_p99_ms=//p' "$WORK/ask.kv")
[[ -n $p99 ]] && awk -v p="$p99" 'BEGIN { printf "target_ask_p99_under_30ms_met=%s\n", p < 30 ? "yes" : "no" }' | tee -a "$WORK/ask.kv"
mkdir -p bench/results 2>/dev/null && cp "$WORK/ask.kv" bench/results/ask.txt 2>/dev/null || note "could not write bench/results/ask.txt"
exit 0
