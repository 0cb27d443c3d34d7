/*
 * notify_settings_http.c - where a person hears from us, and the carriers' receipts:
 *   GET  /messages/settings (+ /api/v1)            contacts (masked), verified or not, prefs
 *   POST /messages/settings/contact (+ /api/v1)    channel, address: a code is sent to it
 *   POST /messages/settings/verify (+ /api/v1)     channel, code
 *   POST /messages/settings/prefs (+ /api/v1)      lang, quiet_from, quiet_to
 *   POST /api/v1/notify/receipts                   signed delivery receipts (no session)
 */
#include "notify/notify_internal.h"

#include <stdio.h>
#include <string.h>

#include "base/arena.h"
#include "identity/identity.h"
#include "l10n/l10n.h"
#include "web/web.h"

int notify_ops_register(struct web_server *srv, struct notify *n);
int notify_templates_register(struct web_server *srv, struct notify *n);

static int h_settings(struct web_req *req, struct web_resp *resp)
{
    struct notify *n = req->ctx;
    const struct web_session *ss = web_need_session(req, resp, 1);
    if (ss == NULL)
        return -1;
    struct notify_contact k[2];
    size_t count = 0;
    struct err err;
    err_clear(&err);
    if (notify_contacts(n, ss->account_id, k, &count, &err) < 0)
        return web_fail_err(resp, &err);
    json_t *model = json_pack("{s:s, s:s}", "title", web_t(req, "notify.settings.title"), "csrf",
                              web_csrf_token(req, resp));
    static const char *const chans[] = {"email", "sms"};
    json_t *list = json_array();
    for (size_t c = 0; c < 2; c++) {
        json_t *row = json_pack("{s:s, s:s, s:s}", "channel", chans[c], "label",
                                web_t(req, arena_printf(req->arena, "notify.channel.%s", chans[c])),
                                "input", c == 0 ? "email" : "tel");
        for (size_t i = 0; i < count; i++)
            if (strcmp(k[i].channel, chans[c]) == 0) {
                json_object_set_new(row, "masked", json_string(k[i].masked));
                json_object_set_new(row, k[i].verified ? "verified" : "unverified", json_true());
            }
        json_array_append_new(list, row);
    }
    json_object_set_new(model, "contacts", list);
    struct notify_prefs_view pv;
    if (notify_prefs_get(n, ss->account_id, &pv, &err) < 0) {
        json_decref(model);
        return web_fail_err(resp, &err);
    }
    static const char *const langs[] = {"zh", "bo", "en"};
    json_t *lo = json_array();
    for (int i = 0; i < 3; i++)
        json_array_append_new(
            lo, json_pack("{s:s, s:s, s:b}", "value", langs[i], "label",
                          web_t(req, arena_printf(req->arena, "notify.settings.lang_%s", langs[i])),
                          "selected", strcmp(pv.lang, langs[i]) == 0));
    json_t *groups = json_array();
    for (int g = 0; notify_optional_groups[g]; g++)
        json_array_append_new(
            groups, json_pack("{s:s, s:s, s:b, s:b}", "group", notify_optional_groups[g], "label",
                              web_t(req, arena_printf(req->arena, "notify.settings.group_%s",
                                                      notify_optional_groups[g])),
                              "email_on", !pv.off[g][0], "sms_on", !pv.off[g][1]));
    json_object_set_new(model, "lang_options", lo);
    json_object_set_new(model, "groups", groups);
    json_object_set_new(model, "quiet_from", json_integer(pv.quiet_from));
    json_object_set_new(model, "quiet_to", json_integer(pv.quiet_to));
    resp->model = model;
    resp->view = "notify/settings";
    return 0;
}

static int done(struct web_req *req, struct web_resp *resp, const char *what)
{
    if (req->want_json) {
        resp->model = json_pack("{s:s}", "done", what);
        return 0;
    }
    return web_redirect(req, resp, arena_printf(req->arena, "/messages/settings?done=%s", what));
}

static int h_contact(struct web_req *req, struct web_resp *resp)
{
    struct notify *n = req->ctx;
    const struct web_session *ss = web_need_session(req, resp, 1);
    if (ss == NULL)
        return -1;
    struct err err;
    err_clear(&err);
    if (notify_contact_set(n, ss->account_id, web_form_value(req, "channel"),
                           web_form_value(req, "address"), req->lang, &err) < 0)
        return web_fail_err(resp, &err);
    return done(req, resp, "notify_code_sent");
}

static int h_verify(struct web_req *req, struct web_resp *resp)
{
    struct notify *n = req->ctx;
    const struct web_session *ss = web_need_session(req, resp, 1);
    if (ss == NULL)
        return -1;
    struct err err;
    err_clear(&err);
    if (notify_contact_verify(n, ss->account_id, web_form_value(req, "channel"),
                              web_form_value(req, "code"), &err) < 0)
        return web_fail_err(resp, &err);
    return done(req, resp, "notify_verified");
}

static int h_prefs(struct web_req *req, struct web_resp *resp)
{
    struct notify *n = req->ctx;
    const struct web_session *ss = web_need_session(req, resp, 1);
    if (ss == NULL)
        return -1;
    int64_t from = 0, to = 0;
    if (web_form_int(req, resp, "quiet_from", 0, 23, 0, &from) < 0 ||
        web_form_int(req, resp, "quiet_to", 0, 23, 0, &to) < 0)
        return -1;
    struct err err;
    err_clear(&err);
    if (notify_prefs_set(n, ss->account_id, web_form_value(req, "lang"), (int)from, (int)to, &err) <
        0)
        return web_fail_err(resp, &err);
    return done(req, resp, "notify_prefs");
}

/* One group's channels: checkboxes "email" and "sms" (absent: off). */
static int h_optout(struct web_req *req, struct web_resp *resp)
{
    struct notify *n = req->ctx;
    const struct web_session *ss = web_need_session(req, resp, 1);
    if (ss == NULL)
        return -1;
    const char *group = web_form_value(req, "group");
    struct err err;
    err_clear(&err);
    static const char *const chans[2] = {"email", "sms"};
    for (int k = 0; k < 2; k++) {
        const char *v = web_form_value(req, chans[k]);
        if (notify_optout_set(n, ss->account_id, group, chans[k], v == NULL || *v == '\0', &err) <
            0)
            return web_fail_err(resp, &err);
    }
    return done(req, resp, "notify_prefs");
}

static int h_receipt(struct web_req *req, struct web_resp *resp)
{
    struct notify *n = req->ctx;
    struct err err;
    err_clear(&err);
    if (notify_receipt(n, req->body ? req->body : "", req->body ? req->body_len : 0,
                       web_header(req, "x-onewindow-signature"), &err) < 0)
        return web_fail_err(resp, &err);
    resp->model = json_pack("{s:b}", "ok", 1);
    return 0;
}

int notify_settings_register(struct web_server *srv, struct notify *n)
{
    static const struct {
        const char *method, *path;
        web_handler h;
    } routes[] = {
        {"GET", "/messages/settings", h_settings},
        {"POST", "/messages/settings/contact", h_contact},
        {"POST", "/messages/settings/verify", h_verify},
        {"POST", "/messages/settings/prefs", h_prefs},
        {"POST", "/messages/settings/channels", h_optout},
    };
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        char api[128];
        snprintf(api, sizeof(api), "/api/v1%s", routes[i].path);
        if (web_route(srv, routes[i].method, routes[i].path, routes[i].h, n) < 0 ||
            web_route(srv, routes[i].method, api, routes[i].h, n) < 0)
            return -1;
    }
    if (notify_ops_register(srv, n) < 0 || notify_templates_register(srv, n) < 0)
        return -1;
    return web_route_ex(srv, "POST", "/api/v1/notify/receipts", h_receipt, n, WEB_ROUTE_NO_CSRF);
}

/* ---- the operator's page: GET /admin/outbox (+ /api/v1), POST /admin/outbox/{id}/resend */

static const char *const STATUSES[] = {"pending", "sending", "sent", "delivered", "failed"};

static int h_outbox(struct web_req *req, struct web_resp *resp)
{
    struct notify *n = req->ctx;
    struct authz_subject subj;
    if (identity_web_subject(n->id, req, resp, &subj) != 0)
        return -1;
    if (!authz_allowed(&subj, "notify.operate", NULL))
        return web_fail(resp, 403, "notify.forbidden", "operators only");
    const char *status = web_query(req, "status");
    int ok = status == NULL || *status == '\0';
    for (size_t i = 0; !ok && i < sizeof(STATUSES) / sizeof(STATUSES[0]); i++)
        ok = strcmp(status, STATUSES[i]) == 0;
    if (!ok)
        return web_fail(resp, 400, "notify.bad_status", "no such status");
    int64_t before;
    if (web_query_int(req, resp, "before", 0, INT64_MAX, 0, &before) < 0)
        return -1;
    struct notify_op *rows;
    size_t count = 0;
    int64_t p = 0, s = 0, f = 0;
    struct err err;
    err_clear(&err);
    if (notify_ops(n, req->arena, status, before, 50, &rows, &count, &err) < 0 ||
        notify_outbox_counts(n, &p, &s, &f, &err) < 0)
        return web_fail_err(resp, &err);
    json_t *list = json_array();
    for (size_t i = 0; i < count; i++) {
        json_t *o =
            json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:b}", "id",
                      arena_printf(req->arena, "%lld", (long long)rows[i].id), "channel",
                      rows[i].channel, "status", rows[i].status, "status_label",
                      web_t(req, arena_printf(req->arena, "notify.status.%s", rows[i].status)),
                      "kind", rows[i].kind, "attempts", rows[i].attempts, "lang", rows[i].lang,
                      "created", l10n_datetime(req->arena, req->lang, rows[i].created_at), "failed",
                      strcmp(rows[i].status, "failed") == 0);
        if (rows[i].last_error)
            json_object_set_new(o, "error", json_string(rows[i].last_error));
        json_array_append_new(list, o);
    }
    json_t *filters = json_array();
    for (size_t i = 0; i < sizeof(STATUSES) / sizeof(STATUSES[0]); i++)
        json_array_append_new(
            filters,
            json_pack("{s:s, s:s}", "status", STATUSES[i], "label",
                      web_t(req, arena_printf(req->arena, "notify.status.%s", STATUSES[i]))));
    resp->model = json_pack(
        "{s:s, s:o, s:o, s:b, s:s, s:{s:I, s:I, s:I}}", "title", web_t(req, "notify.outbox.title"),
        "rows", list, "filters", filters, "has_rows", count > 0, "csrf", web_csrf_token(req, resp),
        "counts", "pending", (json_int_t)p, "sent", (json_int_t)s, "failed", (json_int_t)f);
    resp->view = "notify/outbox";
    return 0;
}

static int h_resend(struct web_req *req, struct web_resp *resp)
{
    struct notify *n = req->ctx;
    struct authz_subject subj;
    if (identity_web_subject(n->id, req, resp, &subj) != 0)
        return -1;
    if (!authz_allowed(&subj, "notify.operate", NULL))
        return web_fail(resp, 403, "notify.forbidden", "operators only");
    struct err err;
    err_clear(&err);
    if (notify_resend(n, subj.account_id, web_client_ip(req), web_param_int(req, "id"), &err) < 0)
        return web_fail_err(resp, &err);
    if (req->want_json) {
        resp->model = json_pack("{s:s}", "done", "notify_resent");
        return 0;
    }
    return web_redirect(req, resp, "/admin/outbox?done=notify_resent");
}

int notify_ops_register(struct web_server *srv, struct notify *n)
{
    if (web_route(srv, "GET", "/admin/outbox", h_outbox, n) < 0 ||
        web_route(srv, "GET", "/api/v1/admin/outbox", h_outbox, n) < 0 ||
        web_route(srv, "POST", "/admin/outbox/{id:int}/resend", h_resend, n) < 0 ||
        web_route(srv, "POST", "/api/v1/admin/outbox/{id:int}/resend", h_resend, n) < 0)
        return -1;
    return 0;
}
