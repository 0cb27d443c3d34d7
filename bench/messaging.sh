#!/usr/bin/env bash
# bench/messaging.sh - issue 16's figures (run as `bench/run.sh messaging`, or by `make bench`):
#  1. the delivery job to the sandbox SMS carrier: BENCH_MESSAGING_MESSAGES (default 5000)
#     queued with `notify send-many`, then `notify deliver` passes until none is pending
#     (rows of a pass in one durable transaction); baseline in the same run: the raw durable
#     single-row commit rate of the same disk (bench/commit_rate), i.e. one fsync a message;
#  2. the same number of e-mails to a local SMTP server (python3-aiosmtpd, Sink handler: it
#     accepts and drops), each row claimed, sent over a reused connection and marked;
#     baseline: python's smtplib sending as many messages over one connection to the same
#     server (what the relay itself takes);
#  3. 免申即享 eligibility over 1,000,000 people (bench/benefits_bench).
# key=value lines, also in bench/results/messaging.txt. Reports, never fails.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
BIN=${ONEWINDOW_BIN:-${BUILD:-build}/onewindow}
B=${BUILD:-build}/bench
N=${BENCH_MESSAGING_MESSAGES:-5000}
PY=/usr/bin/python3
[[ -x $BIN ]] || { echo "bench/messaging: $BIN missing" >&2; exit 1; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/onewindow-messaging-bench.XXXXXX")
SMTP_PID=""
trap '[[ -n $SMTP_PID ]] && kill "$SMTP_PID" 2>/dev/null; rm -rf "$WORK"' EXIT
COMMON=(--data "$WORK" --db "sqlite:$WORK/onewindow.db" --insecure-fast-passwords 1 --log-level error)
"$BIN" init "${COMMON[@]}" >/dev/null || { echo "bench/messaging: init failed" >&2; exit 1; }
ms() { echo $(($(date +%s%N) / 1000000)); }
drain() { # drain EXTRA_ARGS...: deliver passes until a pass delivers nothing
    while :; do
        OUT=$("$BIN" notify deliver "${COMMON[@]}" "$@") || return 1
        grep -q '^delivered	0$' <<<"$OUT" && grep -q '^retried	0$' <<<"$OUT" && return 0
    done
}
rate() { awk -v n="$1" -v ms="$2" 'BEGIN { printf "%.0f", (ms > 0) ? (n * 1000 / ms) : 0 }'; }

# 1. sandbox SMS
"$BIN" notify send-many "$N" 0 notify.test.hello '{"name":"bench","number":"1"}' 13900000000 \
    "${COMMON[@]}" >/dev/null || { echo "bench/messaging: send-many failed" >&2; exit 1; }
T0=$(ms); drain; T1=$(ms)
SMS=$("$BIN" notify outbox "${COMMON[@]}" | awk '$1 == "sent" {print $2}')
SMS_RATE=$(rate "$SMS" $((T1 - T0)))
RAW=""
[[ -x $B/commit_rate ]] && RAW=$("$B/commit_rate" "sqlite:$WORK/raw.db" 1 2 2>/dev/null | awk -F= '$1 == "commits_per_s" {print $2}')

# 2. e-mail to a local SMTP server
PORT=$((20000 + RANDOM % 20000))
"$PY" -m aiosmtpd -n -l "127.0.0.1:$PORT" -c aiosmtpd.handlers.Sink >/dev/null 2>&1 &
SMTP_PID=$!
for _ in $(seq 100); do "$PY" -c "import socket; socket.create_connection(('127.0.0.1', $PORT), 1)" 2>/dev/null && break; sleep 0.05; done
"$BIN" notify send-many "$N" 0 notify.test.hello '{"name":"bench","number":"2"}' bench@example.org \
    "${COMMON[@]}" >/dev/null || { echo "bench/messaging: send-many failed" >&2; exit 1; }
T0=$(ms); drain --smtp-url "smtp://127.0.0.1:$PORT" --mail-from noreply@bench.example; T1=$(ms)
MAIL=$(( $("$BIN" notify outbox "${COMMON[@]}" | awk '$1 == "sent" {print $2}') - SMS ))
MAIL_RATE=$(rate "$MAIL" $((T1 - T0)))
SMTP_RAW=$("$PY" - "$PORT" "$N" <<'PYEOF'
import smtplib, sys, time
from email.message import EmailMessage
port, n = int(sys.argv[1]), int(sys.argv[2])
m = EmailMessage(); m["From"] = "a@bench.example"; m["To"] = "bench@example.org"
m["Subject"] = "bench"; m.set_content("扎西德勒，您好：您的事项 2 有新进展。")
s = smtplib.SMTP("127.0.0.1", port); t = time.time()
for _ in range(n): s.send_message(m)
s.quit(); print(round(n / (time.time() - t)))
PYEOF
)
kill "$SMTP_PID" 2>/dev/null; SMTP_PID=""

# 3. eligibility
ELIG=""
[[ -x $B/benefits_bench ]] && ELIG=$("$B/benefits_bench" 1000000)

mkdir -p bench/results
{
    echo "messaging_raw_commit_per_s=${RAW:-unmeasured}"
    echo "messaging_sms_messages=$SMS"
    echo "messaging_sms_per_s=$SMS_RATE"
    [[ -n $RAW ]] && echo "messaging_sms_ratio_to_raw_commit=$(awk -v a="$SMS_RATE" -v b="$RAW" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }')"
    echo "messaging_email_messages=$MAIL"
    echo "messaging_email_per_s=$MAIL_RATE"
    echo "messaging_smtp_raw_one_connection_per_s=${SMTP_RAW:-unmeasured}"
    [[ -n $SMTP_RAW ]] && echo "messaging_email_ratio_to_raw_smtp=$(awk -v a="$MAIL_RATE" -v b="$SMTP_RAW" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
    echo "messaging_target_per_s=1000"
    [[ -n $ELIG ]] && echo "$ELIG"
} | tee bench/results/messaging.txt
