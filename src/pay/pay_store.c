/* pay_store.c - every SQL statement of the pay module (orders, events, notifications,
 * exceptions, refunds, reconciliations, and the sandbox gateway's own books). */
#include "pay/pay_internal.h"

#include <stdio.h>
#include <string.h>

#include "base/id.h"
#include "store/store.h"

#define ORDER_COLS                                                                                 \
    "id, code, application_id, application_number, item_code, department_id, "                     \
    "payer_account, amount_fen, currency, state, due, channel, gateway, gateway_txn, "             \
    "paid_fen, refunded_fen, receipt_id, created_at, expires_at, paid_at"

static const char SQL_ORDER_INSERT[] =
    "INSERT INTO pay_orders (id, code, application_id, application_number, item_code, "
    "department_id, payer_account, amount_fen, currency, state, due, created_at, expires_at, "
    "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'CNY', 'created', ?, ?, ?, ?)";
static const char SQL_ORDER_GET[] = "SELECT " ORDER_COLS " FROM pay_orders WHERE code = ?";
static const char SQL_ORDER_OF_APP[] =
    "SELECT " ORDER_COLS " FROM pay_orders WHERE application_number = ?";
static const char SQL_ORDER_STATE[] =
    "UPDATE pay_orders SET state = ?, updated_at = ? WHERE id = ? AND state = ?";
/* Only an order not paid yet can become paid: two payments racing, one wins. */
static const char SQL_ORDER_PAID[] =
    "UPDATE pay_orders SET state = 'paid', channel = ?, gateway = ?, gateway_txn = ?, "
    "counter_ref = ?, paid_fen = ?, paid_at = ?, updated_at = ? "
    "WHERE id = ? AND state IN ('created', 'paying')";
static const char SQL_ORDER_RECEIPT[] = "UPDATE pay_orders SET receipt_id = ? WHERE id = ?";
/* Never more than was paid: the row is changed only while the sum stays within it. */
static const char SQL_ORDER_REFUNDED[] =
    "UPDATE pay_orders SET refunded_fen = refunded_fen + ?, state = CASE WHEN refunded_fen + ? "
    "= paid_fen THEN 'refunded' ELSE 'partly_refunded' END, updated_at = ? WHERE id = ? AND "
    "state IN ('paid', 'partly_refunded') AND refunded_fen + ? <= paid_fen AND paid_fen = ?";
static const char SQL_EVENT[] = "INSERT INTO pay_events (id, order_id, at, kind, amount_fen, "
                                "actor, note) VALUES (?, ?, ?, ?, ?, ?, ?)";
static const char SQL_EVENTS[] = "SELECT at, kind, amount_fen, note FROM pay_events WHERE "
                                 "order_id = ? ORDER BY at, id";
static const char SQL_NOTICE_TAKE[] =
    "INSERT INTO pay_notifications (gateway, notify_id, order_id, txn, amount_fen, outcome, "
    "received_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (gateway, notify_id) DO NOTHING";
static const char SQL_EXCEPTION[] =
    "INSERT INTO pay_exceptions (id, order_id, gateway, txn, amount_fen, kind, status, at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (txn) DO NOTHING";
static const char SQL_REFUND[] = "INSERT INTO pay_refunds (id, order_id, amount_fen, reason, "
                                 "actor, gateway_ref, at) VALUES (?, ?, ?, ?, ?, ?, ?)";
static const char SQL_LIST[] =
    "SELECT code, application_number, item_code, amount_fen, state, channel, paid_fen, "
    "refunded_fen, created_at, paid_at FROM pay_orders WHERE (? = '' OR state = ?) "
    "ORDER BY created_at DESC, id DESC LIMIT ?";
static const char SQL_EXPIRED[] =
    "SELECT code FROM pay_orders WHERE state IN ('created', 'paying') AND expires_at <= ? "
    "ORDER BY expires_at LIMIT ?";
static const char SQL_PAYING[] = "SELECT code FROM pay_orders WHERE state = 'paying'";
static const char SQL_LEDGER[] =
    "SELECT gateway_txn, code, paid_fen FROM pay_orders WHERE gateway = ? AND channel = "
    "'online' AND paid_at >= ? AND paid_at < ? "
    "UNION ALL SELECT e.txn, o.code, e.amount_fen FROM pay_exceptions e JOIN pay_orders o ON "
    "o.id = e.order_id WHERE e.gateway = ? AND e.at >= ? AND e.at < ?";
static const char SQL_RECON_DEL[] = "DELETE FROM pay_reconciliations WHERE day = ?";
static const char SQL_RECON_PUT[] =
    "INSERT INTO pay_reconciliations (day, gateway, matched, ours_only, theirs_only, "
    "mismatched, detail, ran_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
static const char SQL_RECON_LIST[] =
    "SELECT day, gateway, matched, ours_only, theirs_only, mismatched, detail, ran_at FROM "
    "pay_reconciliations ORDER BY day DESC LIMIT 60";

static const char SQL_SB_INSERT[] =
    "INSERT INTO pay_sandbox_txns (txn, order_code, amount_fen, currency, state, created_at) "
    "VALUES (?, ?, ?, ?, 'pending', ?)";
#define SB_COLS "txn, order_code, amount_fen, currency, state, refunded_fen, paid_at"
static const char SQL_SB_GET[] = "SELECT " SB_COLS " FROM pay_sandbox_txns WHERE txn = ?";
static const char SQL_SB_OF_ORDER[] =
    "SELECT " SB_COLS " FROM pay_sandbox_txns WHERE order_code = ? "
    "ORDER BY CASE WHEN state = 'paid' THEN 0 ELSE 1 END, created_at DESC LIMIT 1";
static const char SQL_SB_SET[] = "UPDATE pay_sandbox_txns SET state = ?, paid_at = ?, day = ? "
                                 "WHERE txn = ? AND state = ?";
static const char SQL_SB_REFUND[] =
    "UPDATE pay_sandbox_txns SET refunded_fen = refunded_fen + ? WHERE txn = ? AND state = "
    "'paid' AND refunded_fen + ? <= amount_fen";
static const char SQL_SB_OUT_ADD[] = "INSERT INTO pay_sandbox_outbox (id, txn, body, status, "
                                     "attempts, next_at) VALUES (?, ?, ?, 'pending', 0, ?)";
static const char SQL_SB_OUT_DUE[] =
    "SELECT id, attempts, body FROM pay_sandbox_outbox WHERE status = 'pending' AND "
    "next_at <= ? ORDER BY next_at, id LIMIT ?";
static const char SQL_SB_OUT_DONE[] = "UPDATE pay_sandbox_outbox SET status = ?, attempts = ?, "
                                      "next_at = ?, last_error = ? WHERE id = ?";
static const char SQL_SB_OUT_LOSE[] =
    "UPDATE pay_sandbox_outbox SET status = 'lost' WHERE txn = ? AND status = 'pending'";
static const char SQL_SB_OUT_LIST[] = "SELECT id, txn, body, status, attempts, last_error FROM "
                                      "pay_sandbox_outbox ORDER BY id";
static const char SQL_SB_STATEMENT[] =
    "SELECT txn, order_code, amount_fen, currency, state, paid_at FROM pay_sandbox_txns "
    "WHERE day = ? ORDER BY paid_at, txn";
static const char SQL_LEASE[] =
    "UPDATE notify_leases SET holder = ?, expires_at = ? WHERE name = 'pay.sandbox' AND "
    "(holder = ? OR expires_at < ?)";

static void copy(char *dst, size_t n, struct store_stmt *st, int col)
{
    const char *s = store_col_text(st, col);
    snprintf(dst, n, "%s", s != NULL ? s : "");
}

static void bind_opt(struct store_stmt *st, int i, const char *s)
{
    if (s != NULL && *s)
        store_bind_text(st, i, s, -1);
    else
        store_bind_null(st, i);
}

int pay_db_order_insert(struct store_conn *c, const struct pay_order *o, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_ORDER_INSERT, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, o->id);
    store_bind_text(st, 2, o->code, -1);
    store_bind_int64(st, 3, o->application_id);
    store_bind_text(st, 4, o->number, -1);
    store_bind_text(st, 5, o->item_code, -1);
    store_bind_int64(st, 6, o->department_id);
    store_bind_int64(st, 7, o->payer);
    store_bind_int64(st, 8, o->amount_fen);
    store_bind_text(st, 9, o->due, -1);
    store_bind_int64(st, 10, o->created_at);
    store_bind_int64(st, 11, o->expires_at);
    store_bind_int64(st, 12, o->created_at);
    return store_run(st, NULL, err);
}

static int order_row(struct store_stmt *st, struct pay_order *o, int *found, struct err *err)
{
    int rc = store_step(st, err);
    *found = rc == STORE_ROW;
    if (*found) {
        memset(o, 0, sizeof(*o));
        o->id = store_col_int64(st, 0);
        copy(o->code, sizeof(o->code), st, 1);
        o->application_id = store_col_int64(st, 2);
        copy(o->number, sizeof(o->number), st, 3);
        copy(o->item_code, sizeof(o->item_code), st, 4);
        o->department_id = store_col_int64(st, 5);
        o->payer = store_col_int64(st, 6);
        o->amount_fen = store_col_int64(st, 7);
        copy(o->currency, sizeof(o->currency), st, 8);
        copy(o->state, sizeof(o->state), st, 9);
        copy(o->due, sizeof(o->due), st, 10);
        copy(o->channel, sizeof(o->channel), st, 11);
        copy(o->gateway, sizeof(o->gateway), st, 12);
        copy(o->txn, sizeof(o->txn), st, 13);
        o->paid_fen = store_col_int64(st, 14);
        o->refunded_fen = store_col_int64(st, 15);
        copy(o->receipt, sizeof(o->receipt), st, 16);
        o->created_at = store_col_int64(st, 17);
        o->expires_at = store_col_int64(st, 18);
        o->paid_at = store_col_int64(st, 19);
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int pay_db_order_get(struct store_conn *c, const char *code, struct pay_order *o, int *found,
                     struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_ORDER_GET, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, code, -1);
    return order_row(st, o, found, err);
}

int pay_db_order_of_application(struct store_conn *c, const char *number, struct pay_order *o,
                                int *found, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_ORDER_OF_APP, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, number, -1);
    return order_row(st, o, found, err);
}

static int run_changed(struct store_stmt *st, int *changed, struct err *err)
{
    int64_t ch = 0;
    if (store_run(st, &ch, err) < 0)
        return -1;
    if (changed != NULL)
        *changed = ch > 0;
    return 0;
}

int pay_db_order_state(struct store_conn *c, int64_t id, const char *from, const char *to,
                       int64_t now, int *changed, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_ORDER_STATE, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, to, -1);
    store_bind_int64(st, 2, now);
    store_bind_int64(st, 3, id);
    store_bind_text(st, 4, from, -1);
    return run_changed(st, changed, err);
}

int pay_db_order_paid(struct store_conn *c, int64_t id, const char *channel, const char *gateway,
                      const char *txn, const char *counter_ref, int64_t amount, int64_t now,
                      int *changed, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_ORDER_PAID, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, channel, -1);
    bind_opt(st, 2, gateway);
    bind_opt(st, 3, txn);
    bind_opt(st, 4, counter_ref);
    store_bind_int64(st, 5, amount);
    store_bind_int64(st, 6, now);
    store_bind_int64(st, 7, now);
    store_bind_int64(st, 8, id);
    return run_changed(st, changed, err);
}

int pay_db_order_receipt(struct store_conn *c, int64_t id, const char *receipt, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_ORDER_RECEIPT, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, receipt, -1);
    store_bind_int64(st, 2, id);
    return store_run(st, NULL, err);
}

int pay_db_order_refunded(struct store_conn *c, int64_t id, int64_t amount, int64_t paid_fen,
                          int64_t now, int *changed, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_ORDER_REFUNDED, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, amount);
    store_bind_int64(st, 2, amount);
    store_bind_int64(st, 3, now);
    store_bind_int64(st, 4, id);
    store_bind_int64(st, 5, amount);
    store_bind_int64(st, 6, paid_fen);
    return run_changed(st, changed, err);
}

int pay_db_event(struct store_conn *c, int64_t order_id, int64_t at, const char *kind,
                 int64_t amount, int64_t actor, const char *note, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_EVENT, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, id_next());
    store_bind_int64(st, 2, order_id);
    store_bind_int64(st, 3, at);
    store_bind_text(st, 4, kind, -1);
    store_bind_int64(st, 5, amount);
    store_bind_int64(st, 6, actor);
    bind_opt(st, 7, note);
    return store_run(st, NULL, err);
}

int pay_db_events(struct store_conn *c, int64_t order_id, json_t *out, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_EVENTS, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, order_id);
    int rc;
    while ((rc = store_step(st, err)) == STORE_ROW) {
        const char *note = store_col_text(st, 3);
        json_array_append_new(out, json_pack("{s:I, s:s, s:I, s:s?}", "at",
                                             (json_int_t)store_col_int64(st, 0), "kind",
                                             store_col_text(st, 1), "amount_fen",
                                             (json_int_t)store_col_int64(st, 2), "note", note));
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int pay_db_notice_take(struct store_conn *c, const char *gateway, const char *notify_id,
                       int64_t order_id, const char *txn, int64_t amount, const char *outcome,
                       int64_t now, int *taken, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_NOTICE_TAKE, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, gateway, -1);
    store_bind_text(st, 2, notify_id, -1);
    store_bind_int64(st, 3, order_id);
    store_bind_text(st, 4, txn, -1);
    store_bind_int64(st, 5, amount);
    store_bind_text(st, 6, outcome, -1);
    store_bind_int64(st, 7, now);
    return run_changed(st, taken, err);
}

int pay_db_exception(struct store_conn *c, int64_t order_id, const char *gateway, const char *txn,
                     int64_t amount, const char *kind, const char *status, int64_t now,
                     int *inserted, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_EXCEPTION, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, id_next());
    store_bind_int64(st, 2, order_id);
    store_bind_text(st, 3, gateway, -1);
    store_bind_text(st, 4, txn, -1);
    store_bind_int64(st, 5, amount);
    store_bind_text(st, 6, kind, -1);
    store_bind_text(st, 7, status, -1);
    store_bind_int64(st, 8, now);
    return run_changed(st, inserted, err);
}

int pay_db_refund_insert(struct store_conn *c, int64_t order_id, int64_t amount, const char *reason,
                         int64_t actor, const char *ref, int64_t now, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_REFUND, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, id_next());
    store_bind_int64(st, 2, order_id);
    store_bind_int64(st, 3, amount);
    store_bind_text(st, 4, reason, -1);
    store_bind_int64(st, 5, actor);
    bind_opt(st, 6, ref);
    store_bind_int64(st, 7, now);
    return store_run(st, NULL, err);
}

int pay_db_orders_list(struct store_conn *c, const char *state, int limit, json_t *out,
                       struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_LIST, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, state ? state : "", -1);
    store_bind_text(st, 2, state ? state : "", -1);
    store_bind_int64(st, 3, limit);
    int rc;
    while ((rc = store_step(st, err)) == STORE_ROW)
        json_array_append_new(
            out, json_pack("{s:s, s:s, s:s, s:I, s:s, s:s?, s:I, s:I, s:I, s:I}", "code",
                           store_col_text(st, 0), "application", store_col_text(st, 1), "item_code",
                           store_col_text(st, 2), "amount_fen", (json_int_t)store_col_int64(st, 3),
                           "state", store_col_text(st, 4), "channel", store_col_text(st, 5),
                           "paid_fen", (json_int_t)store_col_int64(st, 6), "refunded_fen",
                           (json_int_t)store_col_int64(st, 7), "created_at",
                           (json_int_t)store_col_int64(st, 8), "paid_at",
                           (json_int_t)store_col_int64(st, 9)));
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

static int codes(struct store_stmt *st, json_t *out, struct err *err)
{
    int rc;
    while ((rc = store_step(st, err)) == STORE_ROW)
        json_array_append_new(out, json_string(store_col_text(st, 0)));
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int pay_db_orders_expired(struct store_conn *c, int64_t now, int limit, json_t *out,
                          struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_EXPIRED, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, now);
    store_bind_int64(st, 2, limit);
    return codes(st, out, err);
}

int pay_db_orders_paying(struct store_conn *c, json_t *out, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_PAYING, err);
    return st == NULL ? -1 : codes(st, out, err);
}

int pay_db_ledger(struct store_conn *c, const char *gateway, int64_t from, int64_t to,
                  void (*row)(void *ctx, const char *txn, const char *order, int64_t amount),
                  void *ctx, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_LEDGER, err);
    if (st == NULL)
        return -1;
    for (int k = 0; k < 2; k++) {
        store_bind_text(st, 1 + 3 * k, gateway, -1);
        store_bind_int64(st, 2 + 3 * k, from);
        store_bind_int64(st, 3 + 3 * k, to);
    }
    int rc;
    while ((rc = store_step(st, err)) == STORE_ROW)
        row(ctx, store_col_text(st, 0), store_col_text(st, 1), store_col_int64(st, 2));
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int pay_db_recon_put(struct store_conn *c, const char *day, const char *gateway, int64_t matched,
                     int64_t ours, int64_t theirs, int64_t mism, const char *detail, int64_t now,
                     struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_RECON_DEL, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, day, -1);
    if (store_run(st, NULL, err) < 0 || (st = store_prepare(c, SQL_RECON_PUT, err)) == NULL)
        return -1;
    store_bind_text(st, 1, day, -1);
    store_bind_text(st, 2, gateway, -1);
    store_bind_int64(st, 3, matched);
    store_bind_int64(st, 4, ours);
    store_bind_int64(st, 5, theirs);
    store_bind_int64(st, 6, mism);
    store_bind_text(st, 7, detail, -1);
    store_bind_int64(st, 8, now);
    return store_run(st, NULL, err);
}

int pay_db_recon_list(struct store_conn *c, json_t *out, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_RECON_LIST, err);
    if (st == NULL)
        return -1;
    int rc;
    while ((rc = store_step(st, err)) == STORE_ROW) {
        json_t *detail = json_loads(store_col_text(st, 6), 0, NULL);
        json_array_append_new(out,
                              json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:o, s:I}", "day",
                                        store_col_text(st, 0), "gateway", store_col_text(st, 1),
                                        "matched", (json_int_t)store_col_int64(st, 2), "ours_only",
                                        (json_int_t)store_col_int64(st, 3), "theirs_only",
                                        (json_int_t)store_col_int64(st, 4), "mismatched",
                                        (json_int_t)store_col_int64(st, 5), "differences",
                                        detail ? detail : json_array(), "ran_at",
                                        (json_int_t)store_col_int64(st, 7)));
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

/* ---- the sandbox gateway's books ------------------------------------------------------- */

int pay_db_sb_txn_insert(struct store_conn *c, const char *txn, const char *order, int64_t amount,
                         const char *currency, int64_t now, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_SB_INSERT, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, txn, -1);
    store_bind_text(st, 2, order, -1);
    store_bind_int64(st, 3, amount);
    store_bind_text(st, 4, currency, -1);
    store_bind_int64(st, 5, now);
    return store_run(st, NULL, err);
}

static int sb_row(struct store_stmt *st, struct pay_sb_txn *t, int *found, struct err *err)
{
    int rc = store_step(st, err);
    *found = rc == STORE_ROW;
    if (*found) {
        copy(t->txn, sizeof(t->txn), st, 0);
        copy(t->order, sizeof(t->order), st, 1);
        t->amount_fen = store_col_int64(st, 2);
        copy(t->currency, sizeof(t->currency), st, 3);
        copy(t->state, sizeof(t->state), st, 4);
        t->refunded_fen = store_col_int64(st, 5);
        t->paid_at = store_col_int64(st, 6);
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int pay_db_sb_txn_get(struct store_conn *c, const char *txn, struct pay_sb_txn *t, int *found,
                      struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_SB_GET, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, txn, -1);
    return sb_row(st, t, found, err);
}

int pay_db_sb_txn_of_order(struct store_conn *c, const char *order, struct pay_sb_txn *t,
                           int *found, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_SB_OF_ORDER, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, order, -1);
    return sb_row(st, t, found, err);
}

int pay_db_sb_txn_set(struct store_conn *c, const char *txn, const char *from, const char *to,
                      int64_t paid_at, const char *day, int *changed, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_SB_SET, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, to, -1);
    if (paid_at)
        store_bind_int64(st, 2, paid_at);
    else
        store_bind_null(st, 2);
    bind_opt(st, 3, day);
    store_bind_text(st, 4, txn, -1);
    store_bind_text(st, 5, from, -1);
    return run_changed(st, changed, err);
}

int pay_db_sb_txn_refund(struct store_conn *c, const char *txn, int64_t amount, int *changed,
                         struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_SB_REFUND, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, amount);
    store_bind_text(st, 2, txn, -1);
    store_bind_int64(st, 3, amount);
    return run_changed(st, changed, err);
}

int pay_db_sb_outbox_add(struct store_conn *c, const char *txn, const char *body, int64_t now,
                         struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_SB_OUT_ADD, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, id_next());
    store_bind_text(st, 2, txn, -1);
    store_bind_text(st, 3, body, -1);
    store_bind_int64(st, 4, now);
    return store_run(st, NULL, err);
}

int pay_db_sb_outbox_due(struct store_conn *c, int64_t now, int max, struct pay_sb_out *rows,
                         int *n, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_SB_OUT_DUE, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, now);
    store_bind_int64(st, 2, max);
    int rc;
    *n = 0;
    while ((rc = store_step(st, err)) == STORE_ROW && *n < max) {
        rows[*n].id = store_col_int64(st, 0);
        rows[*n].attempts = (int)store_col_int64(st, 1);
        copy(rows[*n].body, sizeof(rows[*n].body), st, 2);
        (*n)++;
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int pay_db_sb_outbox_done(struct store_conn *c, int64_t id, const char *status, int attempts,
                          int64_t next_at, const char *error, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_SB_OUT_DONE, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, status, -1);
    store_bind_int64(st, 2, attempts);
    store_bind_int64(st, 3, next_at);
    bind_opt(st, 4, error);
    store_bind_int64(st, 5, id);
    return store_run(st, NULL, err);
}

int pay_db_sb_outbox_lose(struct store_conn *c, const char *txn, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_SB_OUT_LOSE, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, txn, -1);
    return store_run(st, NULL, err);
}

int pay_db_sb_outbox_list(struct store_conn *c, json_t *out, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_SB_OUT_LIST, err);
    if (st == NULL)
        return -1;
    int rc;
    while ((rc = store_step(st, err)) == STORE_ROW)
        json_array_append_new(out, json_pack("{s:I, s:s, s:s, s:s, s:I, s:s?}", "id",
                                             (json_int_t)store_col_int64(st, 0), "txn",
                                             store_col_text(st, 1), "body", store_col_text(st, 2),
                                             "status", store_col_text(st, 3), "attempts",
                                             (json_int_t)store_col_int64(st, 4), "last_error",
                                             store_col_text(st, 5)));
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int pay_db_sb_statement(struct store_conn *c, const char *day,
                        void (*row)(void *ctx, const char *txn, const char *order, int64_t amount,
                                    const char *currency, const char *state, int64_t paid_at),
                        void *ctx, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_SB_STATEMENT, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, day, -1);
    int rc;
    while ((rc = store_step(st, err)) == STORE_ROW)
        row(ctx, store_col_text(st, 0), store_col_text(st, 1), store_col_int64(st, 2),
            store_col_text(st, 3), store_col_text(st, 4), store_col_int64(st, 5));
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int pay_db_lease_take(struct store_conn *c, const char *holder, int64_t now, int64_t until,
                      int *taken, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_LEASE, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, holder, -1);
    store_bind_int64(st, 2, until);
    store_bind_text(st, 3, holder, -1);
    store_bind_int64(st, 4, now);
    return run_changed(st, taken, err);
}
