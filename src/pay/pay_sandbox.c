/*
 * pay_sandbox.c - the sandbox gateway: a connector (struct pay_gateway) that behaves like
 * a bank's. It keeps its own books (pay_sandbox_txns), shows a hosted checkout page where
 * the payer confirms or cancels, and on confirmation queues a notification signed with its
 * SM2 key over the canonical parameter string, delivered with back-off until we
 * acknowledge it (1 s, 2 s, 4 s ... up to SB_ATTEMPTS, one node at a time under the lease
 * 'pay.sandbox'). Its statement of a day is a CSV of the transactions paid that day.
 *
 * Delivery hands the exact signed body to pay_notice_receive, the function behind
 * POST /pay/notify/sandbox, in process: the sandbox runs inside the platform, so it needs
 * no address of its own. A real gateway POSTs the same body over HTTPS.
 */
#include "pay/pay_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/id.h"
#include "base/log.h"
#include "crypto/crypto.h"
#include "store/store.h"

#define SB_ATTEMPTS 8
#define SB_BACKOFF_MS 1000LL
#define SB_LEASE_MS 30000LL
#define SB_BATCH 32

int pay_sandbox_sign(struct pay *p, const char *canonical, char *sig_hex, size_t n)
{
    unsigned char sig[CRYPTO_SM2_SIG_MAX];
    size_t len = 0;
    if (crypto_sm2_sign(p->sandbox_key, canonical, strlen(canonical), sig, sizeof(sig), &len) < 0)
        return -1;
    return crypto_hex_encode(sig, len, sig_hex, n) < 0 ? -1 : 0;
}

static int sb_verify(struct pay *p, const struct pay_notice *n)
{
    unsigned char sig[CRYPTO_SM2_SIG_MAX];
    size_t len = 0;
    if (n->sign == NULL || strlen(n->sign) > 2 * CRYPTO_SM2_SIG_MAX ||
        crypto_hex_decode(n->sign, strlen(n->sign), sig, sizeof(sig), &len) < 0)
        return -1;
    return crypto_sm2_verify(p->sandbox_key, n->canonical, strlen(n->canonical), sig, len) == 0
               ? 0
               : -1;
}

/* A checkout's transaction id: it is the capability in the checkout's link (confirm, cancel,
 * no login, like a bank's page), so it is 128 random bits, not a guessable counter. */
static int sb_txn_new(char txn[64], struct err *err)
{
    unsigned char r[16];
    char hex[33];
    if (crypto_random(r, sizeof(r)) < 0)
        return err_set(err, 500, "pay.random", "no random numbers");
    crypto_hex_encode(r, sizeof(r), hex, sizeof(hex));
    snprintf(txn, 64, "SB%s", hex);
    return 0;
}

static int sb_create(struct pay *p, const char *order_code, int64_t amount_fen, char url[512],
                     struct err *err)
{
    char txn[64];
    struct store_conn *c = store_conn(p->store, err);
    if (c == NULL || sb_txn_new(txn, err) < 0 ||
        pay_db_sb_txn_insert(c, txn, order_code, amount_fen, "CNY", time_now_ms(), err) < 0)
        return -1;
    snprintf(url, 512, "/pay/sandbox/checkout/%s", txn);
    return 0;
}

static int sb_query(struct pay *p, const char *order_code, struct pay_gw_status *out,
                    struct err *err)
{
    struct pay_sb_txn t;
    struct store_conn *c = store_conn(p->store, err);
    memset(out, 0, sizeof(*out));
    if (c == NULL || pay_db_sb_txn_of_order(c, order_code, &t, &out->found, err) < 0)
        return -1;
    if (out->found) {
        out->paid = strcmp(t.state, "paid") == 0;
        snprintf(out->txn, sizeof(out->txn), "%s", t.txn);
        out->amount_fen = t.amount_fen;
        out->paid_at = t.paid_at;
    }
    return 0;
}

/* The sandbox keeps its checkout open after we close an order, as a slow bank page
 * might: a payment made there is a late payment we must record and refund. */
static int sb_close(struct pay *p, const char *order_code, struct err *err)
{
    (void)p, (void)order_code, (void)err;
    return 0;
}

static int sb_refund(struct pay *p, const char *txn, int64_t amount_fen, char ref[64],
                     struct err *err)
{
    int changed = 0;
    struct store_conn *c = store_conn(p->store, err);
    if (c == NULL || pay_db_sb_txn_refund(c, txn, amount_fen, &changed, err) < 0)
        return -1;
    if (!changed)
        return err_set(err, 409, "pay.gateway_refused", "the gateway refused the refund");
    snprintf(ref, 64, "RF%lld", (long long)id_next());
    return 0;
}

struct csv_ctx {
    struct buf *b;
    int failed;
};

static void csv_row(void *ctx, const char *txn, const char *order, int64_t amount,
                    const char *currency, const char *state, int64_t paid_at)
{
    struct csv_ctx *x = ctx;
    if (buf_printf(x->b, "%s,%s,%lld,%s,%s,%lld\n", txn, order, (long long)amount, currency, state,
                   (long long)paid_at) < 0)
        x->failed = 1;
}

static int sb_statement(struct pay *p, const char *day, char **csv, size_t *len, struct err *err)
{
    struct buf b;
    struct csv_ctx x = {&b, 0};
    struct store_conn *c = store_conn(p->store, err);
    buf_init(&b, (size_t)256 << 20);
    if (buf_puts(&b, "txn,order,amount_fen,currency,status,paid_at\n") < 0)
        x.failed = 1;
    if (c == NULL || pay_db_sb_statement(c, day, csv_row, &x, err) < 0) {
        buf_free(&b);
        return -1;
    }
    if (x.failed) {
        buf_free(&b);
        return err_set(err, 500, "pay.oom", "out of memory");
    }
    *csv = buf_take(&b, len);
    return *csv ? 0 : err_set(err, 500, "pay.oom", "out of memory");
}

const struct pay_gateway pay_sandbox_gateway = {
    "sandbox", sb_create, sb_query, sb_close, sb_refund, sb_verify, sb_statement,
};

const struct pay_gateway *pay_gateway_find(const char *name)
{
    if (name != NULL && strcmp(name, pay_sandbox_gateway.name) == 0)
        return &pay_sandbox_gateway;
    return NULL;
}

/* ---- the checkout and its notification ------------------------------------------------- */

static int notice_body(struct pay *p, const struct pay_sb_txn *t, int64_t paid_at, char *out,
                       size_t n)
{
    char nid[32], amount[24], at[24], canonical[PAY_NOTICE_MAX], sig[2 * CRYPTO_SM2_SIG_MAX + 1];
    snprintf(nid, sizeof(nid), "N%lld", (long long)id_next());
    snprintf(amount, sizeof(amount), "%lld", (long long)t->amount_fen);
    snprintf(at, sizeof(at), "%lld", (long long)paid_at);
    const char *keys[] = {"notify_id", "txn", "order", "amount", "currency", "status", "paid_at"};
    const char *vals[] = {nid, t->txn, t->order, amount, t->currency, "paid", at};
    if (pay_canonical(keys, vals, 7, canonical, sizeof(canonical)) < 0 ||
        pay_sandbox_sign(p, canonical, sig, sizeof(sig)) < 0)
        return -1;
    int w = snprintf(out, n, "%s&sign=%s", canonical, sig);
    return w < 0 || (size_t)w >= n ? -1 : 0;
}

/* One delivery attempt; the outcome goes to the outbox row. */
static int deliver_one(struct pay *p, int64_t id, int attempts, const char *body, int64_t now,
                       struct err *err)
{
    struct err e;
    err_clear(&e);
    int rc = pay_notice_receive(p, "sandbox", body, strlen(body), "sandbox", &e);
    struct store_conn *c = store_conn(p->store, err);
    if (c == NULL)
        return -1;
    attempts++;
    if (rc == 0)
        return pay_db_sb_outbox_done(c, id, "acked", attempts, now, NULL, err);
    /* A 4xx is our final answer: a bank stops too. Anything else is tried again later. */
    if (e.status >= 400 && e.status < 500)
        return pay_db_sb_outbox_done(c, id, "refused", attempts, now, e.code, err);
    int64_t wait = SB_BACKOFF_MS << (attempts < 20 ? attempts - 1 : 20);
    return pay_db_sb_outbox_done(c, id, attempts >= SB_ATTEMPTS ? "failed" : "pending", attempts,
                                 now + wait, e.code, err);
}

static int paid_and_queued(struct pay *p, const char *txn, char order_code[32], int64_t *out_id,
                           char *body, size_t bn, struct err *err)
{
    struct store_conn *c = store_conn(p->store, err);
    struct pay_sb_txn t;
    int found = 0, changed = 0;
    int64_t now = time_now_ms();
    char day[11];
    if (c == NULL || txn == NULL || strlen(txn) >= 64 || store_begin(c, err) < 0)
        return c == NULL ? -1 : err_set(err, 404, "pay.unknown_txn", "no such transaction");
    pay_day_of(now, day);
    if (pay_db_sb_txn_get(c, txn, &t, &found, err) < 0)
        goto fail;
    if (!found) {
        err_set(err, 404, "pay.unknown_txn", "no such transaction");
        goto fail;
    }
    if (pay_db_sb_txn_set(c, txn, "pending", "paid", now, day, &changed, err) < 0)
        goto fail;
    if (!changed) {
        err_set(err, 409, "pay.bad_state", "this transaction is no longer open");
        goto fail;
    }
    if (notice_body(p, &t, now, body, bn) < 0) {
        err_set(err, 500, "pay.sign", "cannot sign the notification");
        goto fail;
    }
    *out_id = id_next();
    if (pay_db_sb_outbox_add(c, txn, body, now, err) < 0)
        goto fail;
    snprintf(order_code, 32, "%s", t.order);
    return store_commit(c, err);
fail:
    store_rollback(c);
    return -1;
}

int pay_sandbox_confirm(struct pay *p, const char *txn, char order_code[32], struct err *err)
{
    char body[PAY_NOTICE_MAX];
    int64_t id;
    if (paid_and_queued(p, txn, order_code, &id, body, sizeof(body), err) < 0)
        return -1;
    /* A fast bank notifies at once; the queue retries if this attempt fails. */
    int delivered = 0;
    struct err e;
    if (pay_sandbox_deliver(p, "checkout", time_now_ms(), &delivered, &e) < 0)
        log_kv(LOG_WARN, "pay: sandbox delivery", "code", e.code, LOG_END);
    return 0;
}

int pay_sandbox_cancel(struct pay *p, const char *txn, char order_code[32], struct err *err)
{
    struct store_conn *c = store_conn(p->store, err);
    struct pay_sb_txn t;
    int found = 0, changed = 0;
    if (c == NULL)
        return -1;
    if (txn == NULL || strlen(txn) >= 64 || pay_db_sb_txn_get(c, txn, &t, &found, err) < 0 ||
        !found)
        return err_set(err, 404, "pay.unknown_txn", "no such transaction");
    if (pay_db_sb_txn_set(c, txn, "pending", "cancelled", 0, NULL, &changed, err) < 0)
        return -1;
    if (!changed)
        return err_set(err, 409, "pay.bad_state", "this transaction is no longer open");
    snprintf(order_code, 32, "%s", t.order);
    return 0;
}

int pay_sandbox_txn(struct pay *p, const char *txn, json_t **out, struct err *err)
{
    struct store_conn *c = store_conn(p->store, err);
    struct pay_sb_txn t;
    int found = 0;
    if (c == NULL)
        return -1;
    if (txn == NULL || strlen(txn) >= 64 || pay_db_sb_txn_get(c, txn, &t, &found, err) < 0 ||
        !found)
        return err_set(err, 404, "pay.unknown_txn", "no such transaction");
    *out = json_pack("{s:s, s:s, s:I, s:s, s:s}", "txn", t.txn, "order", t.order, "amount_fen",
                     (json_int_t)t.amount_fen, "currency", t.currency, "state", t.state);
    return *out ? 0 : err_set(err, 500, "pay.oom", "out of memory");
}

int pay_sandbox_deliver(struct pay *p, const char *holder, int64_t now_ms, int *delivered,
                        struct err *err)
{
    struct store_conn *c = store_conn(p->store, err);
    struct pay_sb_out *rows = calloc(SB_BATCH, sizeof(*rows));
    int n = 0, taken = 0, rc = -1;
    *delivered = 0;
    if (c == NULL || rows == NULL)
        goto out;
    /* Look before taking the lease: an idle pass writes nothing. */
    if (pay_db_sb_outbox_due(c, now_ms, SB_BATCH, rows, &n, err) < 0)
        goto out;
    if (n == 0) {
        rc = 0;
        goto out;
    }
    if (pay_db_lease_take(c, holder, now_ms, now_ms + SB_LEASE_MS, &taken, err) < 0)
        goto out;
    n = 0;
    if (taken && pay_db_sb_outbox_due(c, now_ms, SB_BATCH, rows, &n, err) < 0)
        goto out;
    for (int i = 0; i < n; i++) {
        if (deliver_one(p, rows[i].id, rows[i].attempts, rows[i].body, now_ms, err) < 0)
            goto out;
        (*delivered)++;
    }
    /* Let the lease go so that the next caller (the worker, a checkout) delivers at once. */
    if (taken && pay_db_lease_take(c, holder, now_ms, 0, &taken, err) < 0)
        goto out;
    rc = 0;
out:
    free(rows);
    return rc;
}

int pay_sandbox_pay_now(struct pay *p, const char *order_code, int64_t amount_fen,
                        const char *currency, int lose_notice, char txn[64], struct err *err)
{
    struct store_conn *c = store_conn(p->store, err);
    char code[32], body[PAY_NOTICE_MAX];
    int64_t id;
    if (c == NULL || sb_txn_new(txn, err) < 0 ||
        pay_db_sb_txn_insert(c, txn, order_code, amount_fen, currency ? currency : "CNY",
                             time_now_ms(), err) < 0)
        return -1;
    if (paid_and_queued(p, txn, code, &id, body, sizeof(body), err) < 0)
        return -1;
    /* A notification lost on the way: only a query (reconciliation) finds this payment. */
    return lose_notice ? pay_db_sb_outbox_lose(c, txn, err) : 0;
}
