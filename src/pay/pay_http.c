/*
 * pay_http.c - payment pages and their JSON twins (/api/v1/...):
 *   GET  /pay/orders/{code}                 an order: amount, basis, state, events, actions
 *   POST /pay/orders/{code}/checkout        the payer starts paying (303 to the gateway)
 *   GET  /pay/orders/{code}/return          where the gateway sends the payer back: shows
 *                                           the state, never changes it
 *   POST /pay/orders/{code}/counter         a clerk records a cash or POS payment
 *   POST /pay/orders/{code}/refund          a clerk or head refunds (all or part)
 *   GET  /pay/sandbox/checkout/{txn}        the sandbox bank's hosted checkout
 *   POST /pay/sandbox/checkout/{txn}/confirm|cancel
 *   POST /pay/notify/{gateway}              a gateway's notification ("success" or a 4xx)
 *   GET  /finance/payments[.csv]            reconciliation runs and orders (auditors); CSV
 *   POST /finance/payments/reconcile        run a day's reconciliation
 *   GET  /api/v1/pay/applications/{number}  an application's order
 * Another person's order: 404 (codes cannot be probed).
 */
#include "pay/pay_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/id.h"
#include "catalog/catalog.h"
#include "identity/identity.h"
#include "l10n/l10n.h"
#include "store/store.h"
#include "web/web.h"

/* Amounts typed by people: "12", "12.5" or "12.50" yuan, to fen without floating point. */
static int64_t parse_yuan(const char *s)
{
    int64_t yuan = 0, fen = 0;
    int digits = 0, frac = -1;
    if (s == NULL || !*s || strlen(s) > 12)
        return -1;
    for (; *s; s++) {
        if (*s == '.' && frac < 0) {
            frac = 0;
            continue;
        }
        if (*s < '0' || *s > '9' || frac >= 2)
            return -1;
        if (frac >= 0) {
            fen = fen * 10 + (*s - '0');
            frac++;
        } else {
            yuan = yuan * 10 + (*s - '0');
            digits++;
        }
    }
    if (digits == 0)
        return -1;
    if (frac == 1)
        fen *= 10;
    return yuan * 100 + fen;
}

static const char *label(struct web_req *req, const char *prefix, const char *key)
{
    return web_t(req, arena_printf(req->arena, "%s.%s", prefix, key ? key : ""));
}

/* Labels, dates and links the templates need, added to an order's view; the fee's legal
 * basis in the reader's language from the catalog. */
static void decorate(struct pay *p, struct web_req *req, json_t *m)
{
    json_t *item = NULL;
    struct err e;
    if (catalog_item_published(p->store, json_string_value(json_object_get(m, "item_code")), &item,
                               &e) == 0) {
        const json_t *basis = json_object_get(json_object_get(item, "fee"), "basis");
        if (basis != NULL)
            json_object_set_new(m, "basis", json_string(catalog_text(basis, req->lang)));
        json_decref(item);
    }
    const char *state = json_string_value(json_object_get(m, "state"));
    const char *code = json_string_value(json_object_get(m, "code"));
    json_object_set_new(m, "state_label", json_string(label(req, "pay.states", state)));
    json_object_set_new(
        m, "due_label",
        json_string(label(req, "pay.due", json_string_value(json_object_get(m, "due")))));
    const char *ch = json_string_value(json_object_get(m, "channel"));
    if (ch != NULL)
        json_object_set_new(m, "channel_label", json_string(label(req, "pay.channels", ch)));
    json_object_set_new(m, "url", json_string(arena_printf(req->arena, "/pay/orders/%s", code)));
    json_object_set_new(m, "is_paid",
                        json_boolean(strcmp(state, PAY_PAID) == 0 ||
                                     strcmp(state, PAY_PARTLY_REFUNDED) == 0 ||
                                     strcmp(state, PAY_REFUNDED) == 0));
    json_int_t exp = json_integer_value(json_object_get(m, "expires_at"));
    json_object_set_new(m, "expires", json_string(l10n_datetime(req->arena, req->lang, exp)));
    json_int_t paid_at = json_integer_value(json_object_get(m, "paid_at"));
    if (paid_at)
        json_object_set_new(m, "paid_when",
                            json_string(l10n_datetime(req->arena, req->lang, paid_at)));
    const char *receipt = json_string_value(json_object_get(m, "receipt"));
    if (receipt != NULL) {
        json_object_set_new(m, "receipt_pdf",
                            json_string(arena_printf(req->arena, "/certificates/%s/pdf", receipt)));
        json_object_set_new(m, "receipt_verify",
                            json_string(arena_printf(req->arena, "/verify?q=%s", receipt)));
    }
    size_t i;
    json_t *ev;
    json_array_foreach(json_object_get(m, "events"), i, ev)
    {
        char amt[32];
        pay_fen_text(json_integer_value(json_object_get(ev, "amount_fen")), amt, sizeof(amt));
        json_object_set_new(
            ev, "label",
            json_string(label(req, "pay.events", json_string_value(json_object_get(ev, "kind")))));
        json_object_set_new(
            ev, "when",
            json_string(l10n_datetime(req->arena, req->lang,
                                      json_integer_value(json_object_get(ev, "at")))));
        if (json_integer_value(json_object_get(ev, "amount_fen")) > 0)
            json_object_set_new(ev, "amount", json_string(amt));
        /* Notes are reasons typed by staff or codes: shown only on refunds. */
        if (strcmp(json_string_value(json_object_get(ev, "kind")), "refund") != 0)
            json_object_del(ev, "note");
    }
}

json_t *pay_application_box(struct pay *p, struct web_req *req, struct web_resp *resp,
                            const struct authz_subject *subj, const char *number)
{
    char code[32];
    struct err e;
    json_t *m = NULL;
    if (pay_order_code_of(p, number, code, &e) < 0 ||
        pay_order_view(p, subj, code, req->lang, &m, &e) < 0)
        return NULL;
    decorate(p, req, m);
    /* The history is on the order's own page; the box shows where things stand. */
    json_object_del(m, "events");
    if (!json_is_true(json_object_get(m, "is_payer")))
        json_object_del(m, "receipt_pdf");
    json_object_set_new(m, "csrf", json_string(web_csrf_token(req, resp)));
    return m;
}

void pay_workbench_marks(struct pay *p, struct web_req *req, json_t *rows)
{
    struct err e;
    struct store_conn *c = store_conn(p->store, &e);
    size_t i;
    json_t *row;
    if (c == NULL)
        return;
    json_array_foreach(rows, i, row)
    {
        const char *number = json_string_value(json_object_get(row, "number"));
        struct pay_order o;
        int found = 0;
        if (number == NULL || strlen(number) > 40 ||
            pay_db_order_of_application(c, number, &o, &found, &e) < 0 || !found)
            continue;
        json_object_set_new(row, "payment_state", json_string(o.state));
        json_object_set_new(row, "payment_label", json_string(label(req, "pay.states", o.state)));
    }
}

static int order_page(struct web_req *req, struct web_resp *resp, const char *code, int returned,
                      int status, const struct err *problem)
{
    struct pay *p = req->ctx;
    struct authz_subject s;
    json_t *m = NULL;
    struct err e;
    if (identity_web_subject(p->id, req, resp, &s) < 0)
        return -1;
    if (pay_order_view(p, &s, code, req->lang, &m, &e) < 0)
        return web_fail_err(resp, &e);
    decorate(p, req, m);
    if (!json_is_true(json_object_get(m, "is_payer")))
        json_object_del(m, "receipt_pdf"); /* the PDF is the payer's document */
    json_object_set_new(m, "title", json_string(web_t(req, "pay.order.title")));
    json_object_set_new(m, "csrf", json_string(web_csrf_token(req, resp)));
    /* Back from the gateway: the page says what we know; only the gateway's signed
     * notification (or a query) makes the order paid. */
    if (returned && !json_is_true(json_object_get(m, "is_paid")))
        json_object_set_new(m, "waiting", json_true());
    if (problem != NULL)
        json_object_set_new(
            m, "error",
            json_string(web_t(req, arena_printf(req->arena, "errors.%s", problem->code))));
    return web_page(resp, m, "pay/order", status);
}

static int h_order(struct web_req *req, struct web_resp *resp)
{
    return order_page(req, resp, web_param(req, "code"), 0, 200, NULL);
}

static int h_return(struct web_req *req, struct web_resp *resp)
{
    return order_page(req, resp, web_param(req, "code"), 1, 200, NULL);
}

static int h_app_order(struct web_req *req, struct web_resp *resp)
{
    struct pay *p = req->ctx;
    char code[32];
    struct err e;
    struct authz_subject s;
    if (identity_web_subject(p->id, req, resp, &s) < 0)
        return -1;
    if (pay_order_code_of(p, web_param(req, "number"), code, &e) < 0)
        return web_fail_err(resp, &e);
    return order_page(req, resp, code, 0, 200, NULL);
}

static int h_checkout(struct web_req *req, struct web_resp *resp)
{
    struct pay *p = req->ctx;
    struct authz_subject s;
    char url[512];
    struct err e;
    if (identity_web_subject(p->id, req, resp, &s) < 0)
        return -1;
    err_clear(&e);
    if (pay_checkout(p, &s, web_param(req, "code"), web_form_value(req, "gateway"),
                     web_client_ip(req), url, &e) < 0)
        return web_fail_err(resp, &e);
    if (req->want_json)
        return web_page(resp, json_pack("{s:s}", "url", url), "pay/order", 201);
    return web_redirect(req, resp, arena_strdup(req->arena, url));
}

/* Staff actions come back to the order page: 303 with ?done=, or the page with the error. */
static int after_staff(struct web_req *req, struct web_resp *resp, int rc, const struct err *e,
                       const char *done)
{
    const char *code = web_param(req, "code");
    if (rc < 0) {
        if (req->want_json || e->status == 404 || e->status >= 500)
            return web_fail_err(resp, e);
        return order_page(req, resp, code, 0, e->status, e);
    }
    if (req->want_json)
        return order_page(req, resp, code, 0, 200, NULL);
    return web_redirect(req, resp, arena_printf(req->arena, "/pay/orders/%s?done=%s", code, done));
}

static int h_counter(struct web_req *req, struct web_resp *resp)
{
    struct pay *p = req->ctx;
    struct authz_subject s;
    struct err e;
    if (identity_web_subject(p->id, req, resp, &s) < 0)
        return -1;
    err_clear(&e);
    int rc = pay_counter(p, &s, web_param(req, "code"), web_form_value(req, "method"),
                         web_form_value(req, "ref"), web_client_ip(req), &e);
    return after_staff(req, resp, rc, &e, "pay_counter");
}

static int h_refund(struct web_req *req, struct web_resp *resp)
{
    struct pay *p = req->ctx;
    struct authz_subject s;
    struct err e;
    if (identity_web_subject(p->id, req, resp, &s) < 0)
        return -1;
    err_clear(&e);
    const char *fen = web_form_value(req, "amount_fen"), *yuan = web_form_value(req, "amount");
    int64_t amount = -1;
    if (fen != NULL && *fen) {
        char *end = NULL;
        long long v = strtoll(fen, &end, 10);
        amount = end != NULL && *end == '\0' && v > 0 ? v : -1;
    } else
        amount = parse_yuan(yuan);
    int rc = amount <= 0 ? err_set(&e, 400, "pay.bad_amount", "the amount is not a sum of money")
                         : pay_refund(p, &s, web_param(req, "code"), amount,
                                      web_form_value(req, "reason"), web_client_ip(req), &e);
    return after_staff(req, resp, rc, &e, "pay_refunded");
}

/* ---- the sandbox bank ------------------------------------------------------------------ */

static int h_sandbox(struct web_req *req, struct web_resp *resp)
{
    struct pay *p = req->ctx;
    json_t *m = NULL;
    struct err e;
    if (pay_sandbox_txn(p, web_param(req, "txn"), &m, &e) < 0)
        return web_fail_err(resp, &e);
    char amt[32];
    pay_fen_text(json_integer_value(json_object_get(m, "amount_fen")), amt, sizeof(amt));
    json_object_set_new(m, "amount", json_string(amt));
    json_object_set_new(
        m, "open",
        json_boolean(strcmp(json_string_value(json_object_get(m, "state")), "pending") == 0));
    json_object_set_new(m, "title", json_string(web_t(req, "pay.sandbox.title")));
    json_object_set_new(m, "csrf", json_string(web_csrf_token(req, resp)));
    return web_page(resp, m, "pay/checkout", 200);
}

static int sandbox_act(struct web_req *req, struct web_resp *resp, int confirm)
{
    struct pay *p = req->ctx;
    char order[32];
    struct err e;
    err_clear(&e);
    int rc = confirm ? pay_sandbox_confirm(p, web_param(req, "txn"), order, &e)
                     : pay_sandbox_cancel(p, web_param(req, "txn"), order, &e);
    if (rc < 0)
        return web_fail_err(resp, &e);
    if (req->want_json)
        return web_page(resp,
                        json_pack("{s:s, s:s}", "order", order, "return",
                                  arena_printf(req->arena, "/pay/orders/%s/return", order)),
                        "pay/checkout", 200);
    return web_redirect(req, resp, arena_printf(req->arena, "/pay/orders/%s/return", order));
}

static int h_sandbox_confirm(struct web_req *req, struct web_resp *resp)
{
    return sandbox_act(req, resp, 1);
}

static int h_sandbox_cancel(struct web_req *req, struct web_resp *resp)
{
    return sandbox_act(req, resp, 0);
}

/* The gateway's notification: "success" acknowledges it (the gateway stops retrying). */
static int h_notify(struct web_req *req, struct web_resp *resp)
{
    struct pay *p = req->ctx;
    struct err e;
    err_clear(&e);
    req->want_json = 1; /* a gateway reads a problem document, not a page */
    if (pay_notice_receive(p, web_param(req, "gateway"), req->body, req->body_len,
                           web_client_ip(req), &e) < 0)
        return web_fail_err(resp, &e);
    resp->content_type = "text/plain; charset=utf-8";
    resp->body = "success";
    resp->body_len = 7;
    return 0;
}

/* ---- finance ------------------------------------------------------------------------------ */

static int need_finance(struct pay *p, struct web_req *req, struct web_resp *resp,
                        struct authz_subject *s)
{
    if (identity_web_subject(p->id, req, resp, s) < 0)
        return -1;
    if (!authz_allowed(s, "pay.finance", NULL))
        return web_fail(resp, 403, "pay.forbidden", "this page is for the finance staff");
    return 0;
}

static int finance_page(struct web_req *req, struct web_resp *resp, json_t *result, int status)
{
    struct pay *p = req->ctx;
    json_t *runs = NULL, *orders = json_array();
    struct err e;
    struct store_conn *c = store_conn(p->store, &e);
    if (c == NULL || orders == NULL || pay_reconciliations(p, &runs, &e) < 0 ||
        pay_db_orders_list(c, NULL, 50, orders, &e) < 0) {
        json_decref(orders);
        json_decref(result);
        return web_fail_err(resp, &e);
    }
    size_t i;
    json_t *o;
    json_array_foreach(orders, i, o)
    {
        char amt[32];
        pay_fen_text(json_integer_value(json_object_get(o, "amount_fen")), amt, sizeof(amt));
        json_object_set_new(o, "amount", json_string(amt));
        json_object_set_new(
            o, "state_label",
            json_string(label(req, "pay.states", json_string_value(json_object_get(o, "state")))));
    }
    json_array_foreach(runs, i, o)
    {
        size_t k;
        json_t *d;
        json_array_foreach(json_object_get(o, "differences"), k, d)
        {
            const char *kind = json_string_value(json_object_get(d, "kind"));
            json_object_set_new(
                d, "kind_label",
                json_string(
                    label(req, "pay.finance",
                          kind && strcmp(kind, "amount_mismatch") == 0 ? "mismatched" : kind)));
        }
        json_object_set_new(o, "clean",
                            json_boolean(json_integer_value(json_object_get(o, "ours_only")) +
                                             json_integer_value(json_object_get(o, "theirs_only")) +
                                             json_integer_value(json_object_get(o, "mismatched")) ==
                                         0));
    }
    char today[11];
    pay_day_of(time_now_ms(), today);
    json_t *m =
        json_pack("{s:s, s:o, s:o, s:b, s:s, s:s}", "title", web_t(req, "pay.finance.title"),
                  "runs", runs, "orders", orders, "has_runs", json_array_size(runs) > 0, "today",
                  today, "csrf", web_csrf_token(req, resp));
    if (result != NULL)
        json_object_set_new(m, "result", result);
    return web_page(resp, m, "pay/finance", status);
}

static int h_finance(struct web_req *req, struct web_resp *resp)
{
    struct authz_subject s;
    if (need_finance(req->ctx, req, resp, &s) < 0)
        return -1;
    return finance_page(req, resp, NULL, 200);
}

static int h_reconcile(struct web_req *req, struct web_resp *resp)
{
    struct pay *p = req->ctx;
    struct authz_subject s;
    json_t *r = NULL;
    struct err e;
    if (need_finance(p, req, resp, &s) < 0)
        return -1;
    err_clear(&e);
    if (pay_reconcile(p, "sandbox", web_form_value(req, "day"), &r, &e) < 0)
        return web_fail_err(resp, &e);
    return finance_page(req, resp, r, 200);
}

static int h_finance_csv(struct web_req *req, struct web_resp *resp)
{
    struct pay *p = req->ctx;
    struct authz_subject s;
    json_t *runs = NULL;
    struct err e;
    struct buf b;
    if (need_finance(p, req, resp, &s) < 0)
        return -1;
    if (pay_reconciliations(p, &runs, &e) < 0)
        return web_fail_err(resp, &e);
    buf_init(&b, (size_t)16 << 20);
    buf_puts(&b, "day,gateway,matched,ours_only,theirs_only,mismatched\n");
    size_t i;
    json_t *o;
    json_array_foreach(runs, i, o)
    {
        buf_printf(&b, "%s,%s,%lld,%lld,%lld,%lld\n", json_string_value(json_object_get(o, "day")),
                   json_string_value(json_object_get(o, "gateway")),
                   (long long)json_integer_value(json_object_get(o, "matched")),
                   (long long)json_integer_value(json_object_get(o, "ours_only")),
                   (long long)json_integer_value(json_object_get(o, "theirs_only")),
                   (long long)json_integer_value(json_object_get(o, "mismatched")));
    }
    json_decref(runs);
    size_t len = 0;
    char *csv = buf_take(&b, &len);
    char *copy = csv ? arena_alloc(req->arena, len + 1) : NULL;
    if (copy != NULL)
        memcpy(copy, csv, len + 1);
    free(csv);
    if (copy == NULL)
        return web_fail(resp, 500, "http.internal", "out of memory");
    resp->content_type = "text/csv; charset=utf-8";
    resp->body = copy;
    resp->body_len = len;
    web_resp_header(resp, "Content-Disposition", "attachment; filename=\"reconciliation.csv\"");
    return 0;
}

int pay_http_register(struct web_server *srv, struct pay *p)
{
    static const struct {
        const char *method, *path;
        web_handler h;
    } routes[] = {
        {"GET", "/pay/orders/{code}", h_order},
        {"GET", "/api/v1/pay/orders/{code}", h_order},
        {"GET", "/pay/orders/{code}/return", h_return},
        {"GET", "/api/v1/pay/applications/{number}", h_app_order},
        {"POST", "/pay/orders/{code}/checkout", h_checkout},
        {"POST", "/api/v1/pay/orders/{code}/checkout", h_checkout},
        {"POST", "/pay/orders/{code}/counter", h_counter},
        {"POST", "/api/v1/pay/orders/{code}/counter", h_counter},
        {"POST", "/pay/orders/{code}/refund", h_refund},
        {"POST", "/api/v1/pay/orders/{code}/refund", h_refund},
        {"GET", "/pay/sandbox/checkout/{txn}", h_sandbox},
        {"POST", "/pay/sandbox/checkout/{txn}/confirm", h_sandbox_confirm},
        {"POST", "/pay/sandbox/checkout/{txn}/cancel", h_sandbox_cancel},
        {"GET", "/finance/payments", h_finance},
        {"GET", "/api/v1/finance/payments", h_finance},
        {"GET", "/finance/payments.csv", h_finance_csv},
        {"POST", "/finance/payments/reconcile", h_reconcile},
        {"POST", "/api/v1/finance/payments/reconcile", h_reconcile},
    };
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
        if (web_route(srv, routes[i].method, routes[i].path, routes[i].h, p) < 0)
            return -1;
    /* Gateways authenticate by their signature, not a browser's cookie. */
    return web_route_ex(srv, "POST", "/pay/notify/{gateway}", h_notify, p, WEB_ROUTE_NO_CSRF);
}
