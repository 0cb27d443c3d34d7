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
#include "web/web.h"

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
    };
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        char api[128];
        snprintf(api, sizeof(api), "/api/v1%s", routes[i].path);
        if (web_route(srv, routes[i].method, routes[i].path, routes[i].h, n) < 0 ||
            web_route(srv, routes[i].method, api, routes[i].h, n) < 0)
            return -1;
    }
    return web_route_ex(srv, "POST", "/api/v1/notify/receipts", h_receipt, n, WEB_ROUTE_NO_CSRF);
}
