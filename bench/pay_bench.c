/*
 * pay_bench.c - the payment targets of issue 12 (run by bench/pay.sh on an initialised
 * demo database):
 *   commits_per_s        the raw durable single-row commit rate through the store layer,
 *                        one thread (the baseline, measured in the same run)
 *   notices_per_s        gateway notifications handled one after another: parse, verify
 *                        the SM2 signature, mark the order paid, issue the sealed receipt,
 *                        audit, in one durable transaction each (signing them is the
 *                        gateway's work: done before the clock starts)
 *   notice_ratio         notices_per_s / commits_per_s (target >= 0.5)
 *   notice_cpu_us        this process's CPU time (user + system) per notice: steadier than
 *                        the rates on a shared machine (issue 19)
 *   reconcile_ms         reconciling a day of RECON_N transactions (target < 10,000 ms)
 * Usage: pay_bench DB_URL DATA_DIR [NOTICES] [RECON_N]. Prints key=value lines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "base/arena.h"
#include "base/id.h"
#include "crypto/crypto.h"
#include "identity/identity.h"
#include "pay/pay_internal.h"
#include "store/store.h"

static const char SQL_CREATE[] = "CREATE TABLE IF NOT EXISTS bench_commit (id BIGINT PRIMARY "
                                 "KEY, at BIGINT NOT NULL, payload TEXT NOT NULL)";
static const char SQL_INSERT[] = "INSERT INTO bench_commit (id, at, payload) VALUES (?, ?, ?)";

static double commit_rate(struct store *st, int n)
{
    struct err err;
    struct store_conn *c = store_conn(st, &err);
    if (c == NULL || store_exec(c, SQL_CREATE, &err) < 0)
        return 0;
    int64_t t0 = time_mono_us();
    for (int i = 0; i < n; i++) {
        struct store_stmt *s;
        if (store_begin(c, &err) < 0 || (s = store_prepare(c, SQL_INSERT, &err)) == NULL)
            return 0;
        store_bind_int64(s, 1, id_next());
        store_bind_int64(s, 2, time_now_ms());
        store_bind_text(s, 3, "a row of about the size of a payment notification", -1);
        if (store_run(s, NULL, &err) < 0 || store_commit(c, &err) < 0)
            return 0;
    }
    store_exec(c, "DROP TABLE bench_commit", &err);
    return n / ((time_mono_us() - t0) / 1e6);
}

static void order_at(struct pay_order *o, int64_t payer, int64_t dept, int64_t now)
{
    memset(o, 0, sizeof(*o));
    o->id = id_next();
    snprintf(o->code, sizeof(o->code), "%020lld", (long long)o->id);
    o->application_id = o->id;
    snprintf(o->number, sizeof(o->number), "B%lld", (long long)o->id);
    snprintf(o->item_code, sizeof(o->item_code), "XZ-GA-001");
    o->department_id = dept;
    o->payer = payer;
    o->amount_fen = 12000;
    snprintf(o->due, sizeof(o->due), "submission");
    o->created_at = now;
    o->expires_at = now + PAY_ORDER_TTL_MS;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: pay_bench DB_URL DATA_DIR [NOTICES] [RECON_N]\n");
        return 2;
    }
    int notices = argc > 3 ? atoi(argv[3]) : 300, recon_n = argc > 4 ? atoi(argv[4]) : 100000;
    struct err err;
    struct store *st = NULL;
    struct crypto_keyring *kr = NULL;
    struct identity *id = NULL;
    struct pay *p = NULL;
    struct identity_options io = {0};
    struct identity_department dept;
    int64_t payer = 0;
    id_init(1001);
    struct arena *a = arena_new(0);
    err_clear(&err);
    if (store_open(argv[1], NULL, &st, &err) < 0 || crypto_keyring_open(argv[2], &kr, &err) < 0 ||
        identity_open(st, kr, &io, &id, &err) < 0 ||
        pay_open(st, kr, id, NULL, NULL, &p, &err) < 0 ||
        identity_account_find_id_number(id, "540102199001011233", &payer, &err) < 0 ||
        identity_department_find(id, a, "ls-ga", &dept, &err) < 0) {
        fprintf(stderr, "pay_bench: %s\n", err.msg);
        return 1;
    }
    struct store_conn *c = store_conn(st, &err);
    double commits = commit_rate(st, notices);

    /* Notifications: orders, the bank's transactions and signed bodies first. */
    char(*bodies)[PAY_NOTICE_MAX] = calloc((size_t)notices, PAY_NOTICE_MAX);
    int64_t now = time_now_ms();
    for (int i = 0; i < notices; i++) {
        struct pay_order o;
        char canonical[512], sig[200], txn[64];
        order_at(&o, payer, dept.id, now);
        snprintf(txn, sizeof(txn), "SBB%lld", (long long)o.id);
        if (pay_db_order_insert(c, &o, &err) < 0 ||
            pay_db_sb_txn_insert(c, txn, o.code, o.amount_fen, "CNY", now, &err) < 0)
            return 1;
        snprintf(canonical, sizeof(canonical),
                 "amount=12000&currency=CNY&notify_id=NB%d&order=%s&paid_at=%lld&status=paid&"
                 "txn=%s",
                 i, o.code, (long long)now, txn);
        if (pay_sandbox_sign(p, canonical, sig, sizeof(sig)) < 0)
            return 1;
        snprintf(bodies[i], PAY_NOTICE_MAX, "%s&sign=%s", canonical, sig);
    }
    struct rusage ru0, ru1;
    getrusage(RUSAGE_SELF, &ru0);
    int64_t t0 = time_mono_us();
    for (int i = 0; i < notices; i++)
        if (pay_notice_receive(p, "sandbox", bodies[i], strlen(bodies[i]), NULL, &err) < 0) {
            fprintf(stderr, "pay_bench: notice: %s\n", err.msg);
            return 1;
        }
    double rate = notices / ((time_mono_us() - t0) / 1e6);
    getrusage(RUSAGE_SELF, &ru1);
#define RU_US(r)                                                                                   \
    ((r).ru_utime.tv_sec * 1e6 + (r).ru_utime.tv_usec + (r).ru_stime.tv_sec * 1e6 +                \
     (r).ru_stime.tv_usec)
    double cpu_us = (RU_US(ru1) - RU_US(ru0)) / notices;
    free(bodies);
    printf("commits_per_s=%.0f\nnotices_per_s=%.0f\nnotice_ratio=%.2f\nnotice_cpu_us=%.0f\n",
           commits, rate, commits > 0 ? rate / commits : 0, cpu_us);

    /* A day of recon_n transactions on both sides, on a day of its own. */
    const char *day = "2030-01-01";
    int64_t noon = 1893470400000LL; /* 2030-01-01 12:00 China time */
    if (store_begin(c, &err) < 0)
        return 1;
    for (int i = 0; i < recon_n; i++) {
        struct pay_order o;
        char txn[64];
        int changed = 0;
        order_at(&o, payer, dept.id, noon);
        snprintf(txn, sizeof(txn), "SBR%lld", (long long)o.id);
        if (pay_db_order_insert(c, &o, &err) < 0 ||
            pay_db_order_paid(c, o.id, "online", "sandbox", txn, NULL, 12000, noon, &changed,
                              &err) < 0 ||
            pay_db_sb_txn_insert(c, txn, o.code, 12000, "CNY", noon, &err) < 0 ||
            pay_db_sb_txn_set(c, txn, "pending", "paid", noon, day, &changed, &err) < 0) {
            store_rollback(c);
            fprintf(stderr, "pay_bench: %s\n", err.msg);
            return 1;
        }
    }
    if (store_commit(c, &err) < 0)
        return 1;
    json_t *r = NULL;
    t0 = time_mono_us();
    if (pay_reconcile(p, "sandbox", day, &r, &err) < 0) {
        fprintf(stderr, "pay_bench: reconcile: %s\n", err.msg);
        return 1;
    }
    printf("reconcile_n=%d\nreconcile_ms=%.0f\nreconcile_matched=%lld\n", recon_n,
           (time_mono_us() - t0) / 1e3,
           (long long)json_integer_value(json_object_get(r, "matched")));
    json_decref(r);
    pay_close(p);
    identity_close(id);
    crypto_keyring_close(kr);
    store_close(st);
    arena_free(a);
    return 0;
}
