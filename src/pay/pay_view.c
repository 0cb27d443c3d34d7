/* pay_view.c - what people see of an order: its amounts, state, events and what the
 * reader may do with it (as JSON, for pages and the API). Reads only. */
#include "pay/pay_internal.h"

#include <stdio.h>
#include <string.h>

#include "base/id.h"
#include "identity/identity.h"
#include "store/store.h"

int pay_order_code_of(struct pay *p, const char *application_number, char code[32], struct err *err)
{
    struct store_conn *c = store_conn(p->store, err);
    struct pay_order o;
    int found = 0;
    if (c == NULL)
        return -1;
    if (application_number == NULL || strlen(application_number) > 40)
        return err_set(err, 404, "pay.not_found", "no such order");
    if (pay_db_order_of_application(c, application_number, &o, &found, err) < 0)
        return -1;
    if (!found)
        return err_set(err, 404, "pay.not_found", "no such order");
    snprintf(code, 32, "%s", o.code);
    return 0;
}

int pay_order_view(struct pay *p, const struct authz_subject *subj, const char *code,
                   const char *lang, json_t **out, struct err *err)
{
    struct store_conn *c = store_conn(p->store, err);
    struct pay_order o;
    int found = 0;
    (void)lang;
    if (c == NULL)
        return -1;
    if (code == NULL || strlen(code) > 40)
        return err_set(err, 404, "pay.not_found", "no such order");
    if (pay_db_order_get(c, code, &o, &found, err) < 0)
        return -1;
    struct authz_object self = {o.payer, 0, 0}, dept = {o.payer, o.department_id, 0};
    int payer = authz_allowed(subj, "pay.pay", &self);
    int case_staff = authz_allowed(subj, "case.view", &dept);
    int staff = case_staff || authz_allowed(subj, "pay.finance", NULL);
    /* 404 for anybody else, so codes cannot be probed. */
    if (!found || (!payer && !staff))
        return err_set(err, 404, "pay.not_found", "no such order");
    char amount[32], paid[32], refunded[32], refundable[32];
    pay_fen_text(o.amount_fen, amount, sizeof(amount));
    pay_fen_text(o.paid_fen, paid, sizeof(paid));
    pay_fen_text(o.refunded_fen, refunded, sizeof(refunded));
    pay_fen_text(o.paid_fen - o.refunded_fen, refundable, sizeof(refundable));
    int open = strcmp(o.state, PAY_CREATED) == 0 || strcmp(o.state, PAY_PAYING) == 0;
    int refundable_state =
        strcmp(o.state, PAY_PAID) == 0 || strcmp(o.state, PAY_PARTLY_REFUNDED) == 0;
    json_t *events = json_array();
    if (events == NULL || pay_db_events(c, o.id, events, err) < 0) {
        json_decref(events);
        return -1;
    }
    *out = json_pack(
        "{s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:s?, s:I, s:s, s:I, s:s, s:I, s:s, s:s?, "
        "s:I, s:I, s:I, s:o, s:b, s:b, s:b, s:b}",
        "code", o.code, "application", o.number, "item_code", o.item_code, "amount_fen",
        (json_int_t)o.amount_fen, "amount", amount, "currency", o.currency, "state", o.state, "due",
        o.due, "channel", o.channel[0] ? o.channel : NULL, "paid_fen", (json_int_t)o.paid_fen,
        "paid", paid, "refunded_fen", (json_int_t)o.refunded_fen, "refunded", refunded,
        "refundable_fen", (json_int_t)(o.paid_fen - o.refunded_fen), "refundable", refundable,
        "receipt", o.receipt[0] ? o.receipt : NULL, "created_at", (json_int_t)o.created_at,
        "expires_at", (json_int_t)o.expires_at, "paid_at", (json_int_t)o.paid_at, "events", events,
        "can_pay", payer && open && o.expires_at > time_now_ms(), "can_refund",
        refundable_state && authz_allowed(subj, "pay.refund", &dept), "can_counter",
        open && authz_allowed(subj, "pay.counter", &dept), "is_payer", payer);
    if (*out == NULL)
        return err_set(err, 500, "pay.oom", "out of memory");
    /* Finance sees orders, not the applications behind them. */
    json_object_set_new(*out, "can_open_application", json_boolean(payer || case_staff));
    return 0;
}
