/*
 * pay.c - fee orders and the state machine that never loses money: creating an order
 * with the application, taking a payment (gateway notification or counter), refunds,
 * closing on timeout, and the fiscal receipt issued with a payment. No HTTP here;
 * notifications are parsed in pay_notice.c, gateways live in pay_sandbox.c.
 *
 * Invariants (docs/internals/pay.md): an order becomes paid only through mark_paid, whose
 * UPDATE matches only orders not yet paid or closed, so two payments racing make one paid
 * order and one exception; refunded_fen never passes paid_fen (the UPDATE's condition and
 * the table's CHECK); every transition writes an event and an audit record in its
 * transaction.
 */
#include "pay/pay_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply/apply.h"
#include "audit/audit.h"
#include "base/arena.h"
#include "base/id.h"
#include "base/log.h"
#include "catalog/catalog.h"
#include "certs/certs.h"
#include "crypto/crypto.h"
#include "identity/identity.h"
#include "notify/notify.h"
#include "store/store.h"

int pay_open(struct store *st, struct crypto_keyring *kr, struct identity *id, struct notify *n,
             struct certs *cs, struct pay **out, struct err *err)
{
    struct pay *p = calloc(1, sizeof(*p));
    unsigned char scalar[32];
    char hex[65];
    if (p == NULL)
        return err_set(err, 500, "pay.oom", "out of memory");
    p->store = st;
    p->kr = kr;
    p->id = id;
    p->notify = n;
    p->certs = cs;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->wake, NULL);
    /* The sandbox gateway's key pair comes from the installation's master key, so every
     * node of a cluster has the same one and nothing more is stored. A real gateway's
     * public key is configured instead (docs/internals/pay.md). */
    if (crypto_keyring_derive(kr, "pay.sandbox.sm2", scalar, sizeof(scalar)) < 0 ||
        crypto_hex_encode(scalar, sizeof(scalar), hex, sizeof(hex)) < 0 ||
        crypto_key_from_private_hex(CRYPTO_KEY_SM2, hex, &p->sandbox_key, err) < 0) {
        crypto_wipe(scalar, sizeof(scalar));
        crypto_wipe(hex, sizeof(hex));
        pay_close(p);
        return err->status ? -1 : err_set(err, 500, "pay.key", "cannot make the sandbox key");
    }
    crypto_wipe(scalar, sizeof(scalar));
    crypto_wipe(hex, sizeof(hex));
    *out = p;
    return 0;
}

void pay_close(struct pay *p)
{
    if (p == NULL)
        return;
    pay_stop(p);
    crypto_key_free(p->sandbox_key);
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

void pay_fen_text(int64_t fen, char *out, size_t n)
{
    int64_t a = fen < 0 ? -fen : fen;
    snprintf(out, n, "%s%lld.%02lld", fen < 0 ? "-" : "", (long long)(a / 100),
             (long long)(a % 100));
}

void pay_day_of(int64_t ms, char out[11])
{
    time_t t = (time_t)((ms + 8 * 3600 * 1000LL) / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

static int audit(struct store_conn *c, int64_t actor, const char *action, const char *code,
                 const char *outcome, const char *ip, const char *detail, struct err *err)
{
    char object[48];
    snprintf(object, sizeof(object), "pay_order:%s", code ? code : "-");
    struct audit_event ev = {actor, action, object, outcome, ip, detail};
    return audit_record(c, &ev, err);
}

/* A refusal is audited on its own (there is no transaction to join). */
int pay_audit_refusal(struct pay *p, const char *action, const char *code, const char *ip,
                      const struct err *why)
{
    struct err e;
    struct store_conn *c = store_conn(p->store, &e);
    return c == NULL ? -1 : audit(c, 0, action, code, "denied", ip, why->code, &e);
}

static void tell_payer(struct pay *p, const struct pay_order *o, const char *kind, int64_t amount)
{
    if (p->notify == NULL)
        return;
    char amt[32], link[80];
    struct err e;
    pay_fen_text(amount, amt, sizeof(amt));
    snprintf(link, sizeof(link), "/pay/orders/%s", o->code);
    json_t *params =
        json_pack("{s:s, s:s, s:s}", "number", o->number, "amount", amt, "code", o->code);
    struct notify_msg m = {o->payer, NULL, NULL, kind, params, link, 0};
    if (notify_send(p->notify, &m, &e) < 0)
        log_kv(LOG_WARN, "pay: message not sent", "code", e.code, LOG_END);
    json_decref(params);
}

/* ---- creating the order with the application ------------------------------------------ */

int pay_on_submitted(struct pay *p, const struct apply_decided *d, struct err *err)
{
    json_t *item = NULL;
    int rc = -1;
    struct store_conn *c = store_conn(p->store, err);
    if (c == NULL || catalog_item_version(p->store, d->item_code, d->item_version, &item, err) < 0)
        return -1;
    const json_t *fee = json_object_get(item, "fee");
    int64_t fen = json_integer_value(json_object_get(fee, "fen"));
    if (fen <= 0) {
        rc = 0;
        goto out;
    }
    const char *due = json_string_value(json_object_get(fee, "due"));
    struct pay_order o;
    memset(&o, 0, sizeof(o));
    o.id = id_next();
    /* 缴款码: 20 digits, unique (the id), printed on the receipt and told at counters. */
    snprintf(o.code, sizeof(o.code), "%020lld", (long long)o.id);
    o.application_id = d->application_id;
    snprintf(o.number, sizeof(o.number), "%s", d->number);
    snprintf(o.item_code, sizeof(o.item_code), "%s", d->item_code);
    o.department_id = d->department_id;
    o.payer = d->applicant_account;
    o.amount_fen = fen;
    snprintf(o.due, sizeof(o.due), "%s",
             due && strcmp(due, "acceptance") == 0 ? due : "submission");
    o.created_at = time_now_ms();
    o.expires_at = o.created_at + PAY_ORDER_TTL_MS;
    if (pay_db_order_insert(c, &o, err) < 0 ||
        pay_db_event(c, o.id, o.created_at, "created", fen, d->applicant_account, NULL, err) < 0 ||
        audit(c, d->applicant_account, "pay.order_create", o.code, "ok", NULL, d->number, err) < 0)
        goto out;
    rc = 0;
out:
    json_decref(item);
    return rc;
}

/* ---- the receipt ---------------------------------------------------------------------- */

static const char *dept_name(struct pay *p, struct arena *a, int64_t dept_id)
{
    struct identity_department *ds = NULL;
    size_t n = 0;
    struct err e;
    if (identity_department_list(p->id, a, &ds, &n, &e) == 0)
        for (size_t i = 0; i < n; i++)
            if (ds[i].id == dept_id)
                return ds[i].name_zh;
    return "";
}

/* Issue the fiscal receipt inside the paying transaction. A receipt that cannot be made
 * for a reason a person must fix (no finance seal) leaves the payment standing and an
 * event saying so: the money is never refused for want of a receipt. */
static int issue_receipt(struct pay *p, struct store_conn *c, struct pay_order *o, int64_t now,
                         struct err *err)
{
    struct arena *a = arena_new(0);
    struct identity_department fin;
    struct identity_account acc;
    const char *idn = NULL, *phone = NULL;
    json_t *data = NULL, *item = NULL;
    char amt[32], day[11], idf[CERTS_ID_SIZE] = "";
    struct err e;
    int rc = -1;
    if (a == NULL)
        return err_set(err, 500, "pay.oom", "out of memory");
    err_clear(&e);
    if (identity_department_find(p->id, a, PAY_FINANCE_DEPT, &fin, &e) < 0 ||
        identity_account_get(p->id, a, o->payer, &acc, &e) < 0 ||
        identity_account_private(p->id, a, o->payer, &idn, &phone, &e) < 0)
        goto soft;
    const char *item_name = o->item_code;
    if (catalog_item_published(p->store, o->item_code, &item, &e) == 0)
        item_name = catalog_text(json_object_get(item, "name"), "zh");
    pay_fen_text(o->paid_fen, amt, sizeof(amt));
    pay_day_of(now, day);
    data = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "payer", acc.name, "item", item_name,
                     "amount", amt, "payment_code", o->code, "application", o->number, "collector",
                     dept_name(p, a, o->department_id), "paid_at", day);
    struct certs_issue_req r = {"FISCAL_RECEIPT", o->payer, acc.name, idn ? idn : "",
                                fin.id,           data,     o->code,  0};
    if (data == NULL || p->certs == NULL || certs_issue(p->certs, &r, 1, idf, &e) < 0)
        goto soft;
    if (pay_db_order_receipt(c, o->id, idf, err) < 0 ||
        pay_db_event(c, o->id, now, "receipt", o->paid_fen, 0, idf, err) < 0)
        goto out;
    snprintf(o->receipt, sizeof(o->receipt), "%s", idf);
    rc = 0;
    goto out;
soft:
    if (e.status >= 500) {
        *err = e;
        goto out;
    }
    log_kv(LOG_WARN, "pay: no receipt", "order", o->code, "code", e.code, LOG_END);
    rc = pay_db_event(c, o->id, now, "receipt_failed", 0, 0, e.code, err);
out:
    json_decref(data);
    json_decref(item);
    arena_free(a);
    return rc;
}

/* ---- taking a payment ------------------------------------------------------------------ */

/* Inside the caller's transaction: the order becomes paid, an event, the receipt, an
 * audit record, a message. 1 when the order was no longer payable (then nothing changed). */
static int mark_paid(struct pay *p, struct store_conn *c, struct pay_order *o, const char *channel,
                     const char *gateway, const char *txn, const char *ref, int64_t amount,
                     int64_t actor, const char *ip, struct err *err)
{
    int64_t now = time_now_ms();
    int changed = 0;
    if (pay_db_order_paid(c, o->id, channel, gateway, txn, ref, amount, now, &changed, err) < 0)
        return -1;
    if (!changed)
        return 1;
    snprintf(o->state, sizeof(o->state), "%s", PAY_PAID);
    o->paid_fen = amount;
    o->paid_at = now;
    if (pay_db_event(c, o->id, now, "paid", amount, actor, channel, err) < 0 ||
        issue_receipt(p, c, o, now, err) < 0 ||
        audit(c, actor, "pay.paid", o->code, "ok", ip, channel, err) < 0)
        return -1;
    tell_payer(p, o, "pay.notice.paid", amount);
    return 0;
}

/* Money that came when the order could not take it: recorded, refunded at the gateway
 * (flagged for a person when the gateway cannot refund), audited. */
static int take_exception(struct pay *p, struct store_conn *c, const struct pay_order *o,
                          const struct pay_gateway *gw, const char *txn, int64_t amount,
                          const char *ip, struct err *err)
{
    const char *kind = strcmp(o->state, PAY_CLOSED) == 0 ? "late_payment" : "double_payment";
    char ref[64] = "";
    struct err e;
    int inserted = 0;
    int64_t now = time_now_ms();
    const char *status = gw->refund(p, txn, amount, ref, &e) == 0 ? "refunded" : "flagged";
    if (pay_db_exception(c, o->id, gw->name, txn, amount, kind, status, now, &inserted, err) < 0)
        return -1;
    if (!inserted)
        return 0;
    if (pay_db_event(c, o->id, now, kind, amount, 0, status, err) < 0 ||
        audit(c, 0, "pay.exception", o->code, status, ip, kind, err) < 0)
        return -1;
    if (strcmp(status, "refunded") == 0)
        tell_payer(p, o, "pay.notice.returned", amount);
    return 0;
}

int pay_take_gateway_payment(struct pay *p, const struct pay_gateway *gw, const char *order,
                             const char *txn, int64_t amount, const char *notify_id, const char *ip,
                             struct err *err)
{
    struct store_conn *c = store_conn(p->store, err);
    struct pay_order o;
    int found = 0, taken = 1;
    if (c == NULL || store_begin(c, err) < 0)
        return -1;
    if (pay_db_order_get(c, order, &o, &found, err) < 0)
        goto fail;
    if (!found) {
        err_set(err, 404, "pay.unknown_order", "no order has this code");
        goto fail;
    }
    if (notify_id != NULL && pay_db_notice_take(c, gw->name, notify_id, o.id, txn, amount, "taken",
                                                time_now_ms(), &taken, err) < 0)
        goto fail;
    if (taken) {
        int rc = 1;
        if (strcmp(o.state, PAY_CREATED) == 0 || strcmp(o.state, PAY_PAYING) == 0)
            rc = mark_paid(p, c, &o, "online", gw->name, txn, NULL, amount, 0, ip, err);
        if (rc < 0)
            goto fail;
        /* Not payable (any more): the same transaction again changes nothing; other money
         * is an exception. */
        if (rc == 1 &&
            (pay_db_order_get(c, order, &o, &found, err) < 0 ||
             (strcmp(o.txn, txn) != 0 && take_exception(p, c, &o, gw, txn, amount, ip, err) < 0)))
            goto fail;
    }
    return store_commit(c, err);
fail:
    store_rollback(c);
    return -1;
}

int pay_notice_receive(struct pay *p, const char *gateway, const char *body, size_t len,
                       const char *ip, struct err *err)
{
    const struct pay_gateway *gw = pay_gateway_find(gateway);
    struct pay_notice *n = calloc(1, sizeof(*n));
    struct pay_order o;
    int found = 0, rc = -1;
    if (n == NULL)
        return err_set(err, 500, "pay.oom", "out of memory");
    if (gw == NULL) {
        err_set(err, 404, "pay.bad_gateway", "no gateway has this name");
        goto refuse;
    }
    if (pay_notice_parse(body, len, n, err) < 0)
        goto refuse;
    if (gw->verify(p, n) != 0) {
        err_set(err, 403, "pay.bad_signature", "the notification's signature does not hold");
        goto refuse;
    }
    struct store_conn *c = store_conn(p->store, err);
    if (c == NULL || pay_db_order_get(c, n->order, &o, &found, err) < 0)
        goto out;
    if (!found) {
        err_set(err, 404, "pay.unknown_order", "no order has this code");
        goto refuse;
    }
    if (strcmp(n->status, "paid") != 0) {
        err_set(err, 400, "pay.bad_notice", "only paid notifications are taken");
        goto refuse;
    }
    if (strcmp(n->currency, o.currency) != 0 || n->amount_fen != o.amount_fen) {
        /* The gateway holds money we did not ask for: flagged for a person, never lost. */
        int ins = 0;
        struct err e;
        if (pay_db_exception(c, o.id, gw->name, n->txn, n->amount_fen,
                             strcmp(n->currency, o.currency) != 0 ? "currency_mismatch"
                                                                  : "amount_mismatch",
                             "flagged", time_now_ms(), &ins, &e) < 0)
            log_kv(LOG_ERROR, "pay: exception not recorded", "code", e.code, LOG_END);
        if (strcmp(n->currency, o.currency) != 0)
            err_set(err, 409, "pay.currency_mismatch", "the currency is not the order's");
        else
            err_set(err, 409, "pay.amount_mismatch", "the amount is not the order's");
        goto refuse;
    }
    rc = pay_take_gateway_payment(p, gw, n->order, n->txn, n->amount_fen, n->notify_id, ip, err);
    goto out;
refuse:
    pay_audit_refusal(p, "pay.notice", n->order, ip, err);
out:
    free(n);
    return rc;
}

/* ---- the payer, the counter, refunds --------------------------------------------------- */

static int load(struct pay *p, struct store_conn *c, const char *code, struct pay_order *o,
                struct err *err)
{
    int found = 0;
    (void)p;
    if (code == NULL || strlen(code) > 40)
        return err_set(err, 404, "pay.not_found", "no such order");
    if (pay_db_order_get(c, code, o, &found, err) < 0)
        return -1;
    return found ? 0 : err_set(err, 404, "pay.not_found", "no such order");
}

/* Who may see an order at all: its payer, the collecting department's staff, finance.
 * Anybody else is told it does not exist (404), so codes cannot be probed. */
static int visible(const struct authz_subject *subj, const struct pay_order *o)
{
    struct authz_object self = {o->payer, 0, 0}, dept = {o->payer, o->department_id, 0};
    return authz_allowed(subj, "pay.pay", &self) || authz_allowed(subj, "case.view", &dept) ||
           authz_allowed(subj, "pay.finance", NULL);
}

int pay_checkout(struct pay *p, const struct authz_subject *subj, const char *code,
                 const char *gateway, const char *ip, char url[512], struct err *err)
{
    const struct pay_gateway *gw = pay_gateway_find(gateway ? gateway : "sandbox");
    struct store_conn *c = store_conn(p->store, err);
    struct pay_order o;
    if (c == NULL || load(p, c, code, &o, err) < 0)
        return -1;
    struct authz_object obj = {o.payer, 0, 0};
    if (!authz_allowed(subj, "pay.pay", &obj))
        return err_set(err, 404, "pay.not_found", "no such order");
    if (gw == NULL)
        return err_set(err, 400, "pay.bad_gateway", "no gateway has this name");
    if (strcmp(o.state, PAY_CREATED) != 0 && strcmp(o.state, PAY_PAYING) != 0)
        return err_set(err, 409, "pay.bad_state", "this order cannot be paid now");
    int64_t now = time_now_ms();
    if (o.expires_at <= now)
        return err_set(err, 409, "pay.expired", "the time to pay this order has run out");
    if (store_begin(c, err) < 0)
        return -1;
    int changed = 0;
    if (gw->create(p, o.code, o.amount_fen, url, err) < 0 ||
        pay_db_order_state(c, o.id, PAY_CREATED, PAY_PAYING, now, &changed, err) < 0 ||
        pay_db_event(c, o.id, now, "checkout", o.amount_fen, subj->account_id, gw->name, err) < 0 ||
        audit(c, subj->account_id, "pay.checkout", o.code, "ok", ip, gw->name, err) < 0) {
        store_rollback(c);
        return -1;
    }
    return store_commit(c, err);
}

int pay_counter(struct pay *p, const struct authz_subject *subj, const char *code,
                const char *method, const char *ref, const char *ip, struct err *err)
{
    struct store_conn *c = store_conn(p->store, err);
    struct pay_order o;
    if (c == NULL || load(p, c, code, &o, err) < 0)
        return -1;
    struct authz_object obj = {o.payer, o.department_id, 0};
    if (!visible(subj, &o))
        return err_set(err, 404, "pay.not_found", "no such order");
    if (!authz_allowed(subj, "pay.counter", &obj))
        return err_set(err, 403, "pay.forbidden", "you may not take payments for this order");
    if (method == NULL || (strcmp(method, "cash") != 0 && strcmp(method, "pos") != 0))
        return err_set(err, 400, "pay.bad_method", "the method is cash or pos");
    size_t rl = ref ? strlen(ref) : 0;
    if (rl == 0 || rl > PAY_REF_MAX)
        return err_set(err, 400, "pay.bad_ref", "the terminal's reference is required");
    for (size_t i = 0; i < rl; i++)
        if ((unsigned char)ref[i] < 0x21 || (unsigned char)ref[i] > 0x7e)
            return err_set(err, 400, "pay.bad_ref", "the reference has letters and digits");
    char full[PAY_REF_MAX + 8];
    snprintf(full, sizeof(full), "%s:%s", method, ref);
    if (store_begin(c, err) < 0)
        return -1;
    int rc =
        mark_paid(p, c, &o, "counter", NULL, NULL, full, o.amount_fen, subj->account_id, ip, err);
    if (rc != 0) {
        store_rollback(c);
        return rc < 0 ? -1 : err_set(err, 409, "pay.bad_state", "this order cannot be paid now");
    }
    return store_commit(c, err);
}

int pay_refund(struct pay *p, const struct authz_subject *subj, const char *code, int64_t amount,
               const char *reason, const char *ip, struct err *err)
{
    struct store_conn *c = store_conn(p->store, err);
    struct pay_order o;
    if (c == NULL || load(p, c, code, &o, err) < 0)
        return -1;
    struct authz_object obj = {o.payer, o.department_id, 0};
    if (subj != NULL && !visible(subj, &o))
        return err_set(err, 404, "pay.not_found", "no such order");
    if (subj != NULL && !authz_allowed(subj, "pay.refund", &obj))
        return err_set(err, 403, "pay.forbidden", "you may not refund this order");
    if (amount <= 0)
        return err_set(err, 400, "pay.bad_amount", "the amount is a positive number of fen");
    if (reason == NULL || !*reason)
        return err_set(err, 400, "pay.reason_required", "a refund needs a reason");
    if (strlen(reason) > PAY_REASON_MAX)
        return err_set(err, 400, "pay.reason_too_long", "the reason is too long");
    if (strcmp(o.state, PAY_PAID) != 0 && strcmp(o.state, PAY_PARTLY_REFUNDED) != 0)
        return err_set(err, 409, "pay.bad_state", "only a paid order can be refunded");
    if (amount > o.paid_fen - o.refunded_fen)
        return err_set(err, 409, "pay.over_refund", "more than was paid and not yet refunded");
    const struct pay_gateway *gw = o.gateway[0] ? pay_gateway_find(o.gateway) : NULL;
    char ref[64] = "";
    int changed = 0;
    int64_t now = time_now_ms(), actor = subj ? subj->account_id : 0;
    if (store_begin(c, err) < 0)
        return -1;
    /* The ledger first (the UPDATE re-checks the sum under the lock), then the gateway. */
    if (pay_db_order_refunded(c, o.id, amount, o.paid_fen, now, &changed, err) < 0)
        goto fail;
    if (!changed) {
        err_set(err, 409, "pay.over_refund", "more than was paid and not yet refunded");
        goto fail;
    }
    if ((gw != NULL && gw->refund(p, o.txn, amount, ref, err) < 0) ||
        pay_db_refund_insert(c, o.id, amount, reason, actor, ref, now, err) < 0 ||
        pay_db_event(c, o.id, now, "refund", amount, actor, reason, err) < 0 ||
        audit(c, actor, "pay.refund", o.code, "ok", ip, NULL, err) < 0)
        goto fail;
    if (store_commit(c, err) < 0)
        return -1;
    tell_payer(p, &o, "pay.notice.refunded", amount);
    return 0;
fail:
    store_rollback(c);
    return -1;
}

/* ---- timeouts ---------------------------------------------------------------------------- */

int pay_close_expired(struct pay *p, int64_t now_ms, int *closed, struct err *err)
{
    struct store_conn *c = store_conn(p->store, err);
    json_t *codes = json_array();
    int rc = -1;
    *closed = 0;
    if (c == NULL || codes == NULL || pay_db_orders_expired(c, now_ms, 100, codes, err) < 0)
        goto out;
    size_t i;
    json_t *v;
    json_array_foreach(codes, i, v)
    {
        const char *code = json_string_value(v);
        struct pay_order o;
        struct pay_gw_status s;
        struct err e;
        if (load(p, c, code, &o, err) < 0)
            goto out;
        /* Ask the gateway first: a payment made meanwhile is taken, not closed away. */
        const struct pay_gateway *gw = pay_gateway_find("sandbox");
        memset(&s, 0, sizeof(s));
        if (gw->query(p, code, &s, &e) == 0 && s.found && s.paid) {
            if (pay_take_gateway_payment(p, gw, code, s.txn, s.amount_fen, NULL, NULL, err) < 0)
                goto out;
            continue;
        }
        int changed = 0;
        if (store_begin(c, err) < 0)
            goto out;
        if (pay_db_order_state(c, o.id, o.state, PAY_CLOSED, now_ms, &changed, err) < 0 ||
            (changed && (gw->close(p, code, err) < 0 ||
                         pay_db_event(c, o.id, now_ms, "closed", 0, 0, NULL, err) < 0 ||
                         audit(c, 0, "pay.close", code, "ok", NULL, "timeout", err) < 0))) {
            store_rollback(c);
            goto out;
        }
        if (store_commit(c, err) < 0)
            goto out;
        *closed += changed;
    }
    rc = 0;
out:
    json_decref(codes);
    return rc;
}
