#!/usr/bin/env bash
# bench/apply.sh - the application targets of issue 4 (run as `bench/run.sh apply`, or by
# `make bench` after the HTTP section). On a fresh data directory (init + demo):
#   1. the raw durable single-row commit rate of the same database (bench/commit_rate),
#      1 and BENCH_APPLY_THREADS writers;
#   2. the submit rate (apply_submit: application, sealed form, three materials, timeline,
#      inbox + outbox, audit in one transaction), 1 writer with synchronous=FULL and
#      BENCH_APPLY_THREADS writers with group commit (one fsync for the commits of a group,
#      each acknowledged after it);
#   3. BENCH_APPLY_ROWS generated applications, then the clerk queue and a citizen's list
#      (p50/p99/max over BENCH_APPLY_RUNS calls).
# SQLite always; PostgreSQL too when BENCH_PG_URL names a server where databases may be
# created. Results: key=value lines, also in bench/results/apply.txt. Reports, never fails.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
BUILD_DIR=${BUILD:-build}
BIN=${ONEWINDOW_BIN:-$BUILD_DIR/onewindow}
AB=$BUILD_DIR/bench/apply_bench
CR=$BUILD_DIR/bench/commit_rate
SECS=${BENCH_SECONDS:-5}
THREADS=${BENCH_APPLY_THREADS:-8}
ROWS=${BENCH_APPLY_ROWS:-1000000}
RUNS=${BENCH_APPLY_RUNS:-500}
for f in "$BIN" "$AB" "$CR"; do
    [[ -x $f ]] || { echo "bench/apply: $f missing (make $f)" >&2; exit 1; }
done
OUT=$(mktemp)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/onewindow-apply-bench.XXXXXX")
trap 'rm -rf "$WORK" "$OUT"' EXIT

val() { sed -n "s/^$1=//p" "$2" | tail -n1; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.0f", 100 * a / b; else print "NA" }'; }

run_backend() { # NAME DB_URL
    local name=$1 db=$2 data="$WORK/$1" r="$WORK/$1.out"
    mkdir -p "$data"
    if ! "$BIN" init --data "$data" --db "$db" >/dev/null 2>&1 ||
        ! "$BIN" demo --data "$data" --db "$db" >/dev/null 2>&1; then
        echo "bench/apply: init/demo failed on $name" >&2
        return
    fi
    : >"$r"
    echo "bench/apply: $name raw commits" >&2
    "$CR" "$db" 1 "$SECS" | sed "s/^/raw_1_/" >>"$r"
    "$CR" "$db" "$THREADS" "$SECS" | sed "s/^/raw_${THREADS}_/" >>"$r"
    echo "bench/apply: $name submits" >&2
    "$AB" "$data" "$db" submit 1 "$SECS" | sed "s/^/full_1_/" >>"$r"
    "$AB" "$data" "$db" submit "$THREADS" "$SECS" group | sed "s/^/group_${THREADS}_/" >>"$r"
    echo "bench/apply: $name generating $ROWS applications" >&2
    "$AB" "$data" "$db" generate "$ROWS" >>"$r"
    "$AB" "$data" "$db" query "$RUNS" >>"$r"
    local raw1 rawn s1 sn
    raw1=$(val raw_1_commits_per_s "$r"); rawn=$(val "raw_${THREADS}_commits_per_s" "$r")
    s1=$(val full_1_submits_per_s "$r"); sn=$(val "group_${THREADS}_submits_per_s" "$r")
    {
        echo "${name}_raw_commits_per_s_1=$raw1"
        echo "${name}_raw_commits_per_s_${THREADS}=$rawn"
        echo "${name}_submits_per_s_1_full=$s1"
        echo "${name}_submits_per_s_${THREADS}_group=$sn"
        echo "${name}_submit_pct_of_raw_1=$(pct "$s1" "$raw1")"
        echo "${name}_submit_group_pct_of_raw_${THREADS}=$(pct "$sn" "$rawn")"
        echo "${name}_submit_group_pct_of_raw_1=$(pct "$sn" "$raw1")"
        echo "${name}_applications=$(val generated "$r")"
        for k in clerk_queue_p50_ms clerk_queue_p99_ms clerk_queue_max_ms citizen_list_p50_ms \
                 citizen_list_p99_ms citizen_list_max_ms queue_rows mine_rows; do
            echo "${name}_$k=$(val "$k" "$r")"
        done
        echo "${name}_target_submit_50pct_met=$(awk -v s="$sn" -v r="$rawn" 'BEGIN { print (r > 0 && s >= r / 2) ? "yes" : "no" }')"
        # issue 19: submissions with 8 writers at >= 60 % of raw commits with 8 writers (SQLite)
        # and >= 50 % (PostgreSQL), the same run
        echo "${name}_target_issue19_met=$(awk -v s="$sn" -v r="$rawn" -v k="$name" 'BEGIN { f = k == "sqlite" ? 0.6 : 0.5; print (r > 0 && s >= r * f) ? "yes" : "no" }')"
        echo "${name}_target_p99_50ms_met=$(awk -v q="$(val clerk_queue_p99_ms "$r")" -v m="$(val citizen_list_p99_ms "$r")" 'BEGIN { print (q != "" && q < 50 && m < 50) ? "yes" : "no" }')"
    } >>"$OUT"
}

run_backend sqlite "sqlite:$WORK/apply.db"
if [[ -n ${BENCH_PG_URL:-} ]]; then
    pgdb="ow_apply_bench_$$"
    pgconn=${BENCH_PG_URL/#postgresql:/postgres:}
    if psql "$pgconn" -XAtqc "CREATE DATABASE $pgdb" >/dev/null 2>&1; then
        # postgresql://host/db?params or postgresql:///db?host=...: swap the database name.
        base=${BENCH_PG_URL%%\?*}
        query=
        [[ $BENCH_PG_URL == *\?* ]] && query="?${BENCH_PG_URL#*\?}"
        u="${base%/*}/$pgdb$query"
        run_backend postgresql "$u"
        psql "$BENCH_PG_URL" -XAtqc "DROP DATABASE IF EXISTS $pgdb WITH (FORCE)" >/dev/null 2>&1
    else
        echo "bench/apply: cannot create a database at BENCH_PG_URL; PostgreSQL skipped" >&2
    fi
fi
echo "Applications (also in bench/results/apply.txt):"
cat "$OUT"
mkdir -p bench/results 2>/dev/null && cp "$OUT" bench/results/apply.txt 2>/dev/null
exit 0
