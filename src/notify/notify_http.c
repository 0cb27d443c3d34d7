/*
 * notify_http.c - the inbox pages and their JSON twins:
 *   GET  /messages, /api/v1/messages            newest first (?before=ID pages on)
 *   POST /messages/{id}/read, /api/v1/messages/{id}/read
 *   POST /messages/read-all, /api/v1/messages/read-all
 * and the layout's unread count (a page hook: globals "unread"). Only the recipient (or,
 * for a department's message, its staff) sees or marks a message; others get 404.
 */
#include "notify/notify_internal.h"

#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/arena.h"
#include "base/buf.h"
#include "identity/identity.h"
#include "l10n/l10n.h"
#include "web/web.h"

/* req->ctx is the module; its identity handle is set by notify_http_register. */
#define notify_web notify

/* The session's reader (account and its departments); 0, 1 when redirected to login, -1
 * when failed (401 for JSON). */
static int reader_of(struct web_req *req, struct web_resp *resp, struct notify_reader *r)
{
    struct notify_web *w = req->ctx;
    const struct web_session *ss = web_session(req);
    memset(r, 0, sizeof(*r));
    if (ss == NULL || ss->aal < 1) /* to the login page and back (web_need_session) */
        return web_fail(resp, 401, "identity.login_required", "log in first");
    r->account_id = ss->account_id;
    struct authz_subject subj;
    struct err err;
    if (identity_subject_load(w->id, ss->account_id, ss->aal, &subj, &err) == 0 &&
        subj.kind == IDENTITY_STAFF && subj.aal >= 2)
        for (size_t i = 0; i < subj.ngrants && r->ndepts < 32; i++)
            r->depts[r->ndepts++] = subj.grants[i].department_id;
    return 0;
}

static int h_inbox(struct web_req *req, struct web_resp *resp)
{
    struct notify_web *w = req->ctx;
    struct notify_reader r;
    int rc = reader_of(req, resp, &r);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    int64_t before;
    if (web_query_int(req, resp, "before", 0, INT64_MAX, 0, &before) < 0)
        return -1;
    struct notify_item *items;
    size_t n = 0;
    int64_t unread = 0;
    struct err err;
    err_clear(&err);
    if (notify_inbox(w, req->arena, &r, req->lang, before, 20, &items, &n, &err) < 0 ||
        notify_unread(w, &r, &unread, &err) < 0)
        return web_fail_err(resp, &err);
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *m = json_pack("{s:s, s:s, s:s, s:I, s:s, s:b}", "id",
                              arena_printf(req->arena, "%lld", (long long)items[i].id), "kind",
                              items[i].kind, "text", items[i].text, "created_at",
                              (json_int_t)items[i].created_at, "created",
                              l10n_datetime(req->arena, req->lang, items[i].created_at), "unread",
                              items[i].read_at == 0);
        if (items[i].link)
            json_object_set_new(m, "link", json_string(items[i].link));
        if (items[i].department_id)
            json_object_set_new(
                m, "department_id",
                json_string(arena_printf(req->arena, "%lld", (long long)items[i].department_id)));
        json_array_append_new(list, m);
    }
    json_t *model = json_pack("{s:s, s:o, s:I, s:b, s:s}", "title", web_t(req, "notify.title"),
                              "messages", list, "unread", (json_int_t)unread, "has_messages", n > 0,
                              "csrf", web_csrf_token(req, resp));
    if (n == 20)
        json_object_set_new(model, "next_url",
                            json_string(arena_printf(req->arena, "/messages?before=%lld",
                                                     (long long)items[n - 1].id)));
    resp->model = model;
    resp->view = "notify/inbox";
    return 0;
}

static int h_read(struct web_req *req, struct web_resp *resp)
{
    struct notify_web *w = req->ctx;
    struct notify_reader r;
    int rc = reader_of(req, resp, &r);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    struct err err;
    err_clear(&err);
    if (notify_mark_read(w, &r, web_param_int(req, "id"), &err) < 0)
        return web_fail_err(resp, &err);
    if (req->want_json) {
        resp->model = json_pack("{s:b}", "read", 1);
        return 0;
    }
    return web_redirect(req, resp, "/messages");
}

static int h_read_all(struct web_req *req, struct web_resp *resp)
{
    struct notify_web *w = req->ctx;
    struct notify_reader r;
    int rc = reader_of(req, resp, &r);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    struct err err;
    int64_t changed = 0;
    err_clear(&err);
    if (notify_mark_all_read(w, &r, &changed, &err) < 0)
        return web_fail_err(resp, &err);
    if (req->want_json) {
        resp->model = json_pack("{s:I}", "marked", (json_int_t)changed);
        return 0;
    }
    return web_redirect(req, resp, "/messages");
}

/* The layout's unread count. */
static void page_hook(struct web_req *req, json_t *globals, void *ctx)
{
    struct notify_web *w = ctx;
    const struct web_session *ss = web_session(req);
    if (ss == NULL || ss->aal < 1)
        return;
    struct notify_reader r;
    struct authz_subject subj;
    struct err err;
    memset(&r, 0, sizeof(r));
    r.account_id = ss->account_id;
    if (ss->aal >= 2 && identity_subject_load(w->id, ss->account_id, ss->aal, &subj, &err) == 0 &&
        subj.kind == IDENTITY_STAFF)
        for (size_t i = 0; i < subj.ngrants && r.ndepts < 32; i++)
            r.depts[r.ndepts++] = subj.grants[i].department_id;
    int64_t unread = 0;
    if (notify_unread(w, &r, &unread, &err) < 0)
        return;
    json_object_set_new(globals, "messages_nav", json_pack("{s:I}", "unread", (json_int_t)unread));
    if (unread > 0)
        json_object_set_new(globals, "unread", json_integer(unread));
}

int notify_http_register(struct web_server *srv, struct notify *n, struct identity *id)
{
    n->id = id;
    web_set_page_hook(srv, page_hook, n);
    if (web_route(srv, "GET", "/messages", h_inbox, n) < 0 ||
        web_route(srv, "GET", "/api/v1/messages", h_inbox, n) < 0 ||
        web_route(srv, "POST", "/messages/read-all", h_read_all, n) < 0 ||
        web_route(srv, "POST", "/api/v1/messages/read-all", h_read_all, n) < 0 ||
        web_route(srv, "POST", "/messages/{id:int}/read", h_read, n) < 0 ||
        web_route(srv, "POST", "/api/v1/messages/{id:int}/read", h_read, n) < 0 ||
        notify_settings_register(srv, n) < 0)
        return -1;
    return 0;
}
