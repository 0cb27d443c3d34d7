/*
 * hotline_board.c - the hotline centre's own pages:
 *   GET  /hotline/dashboard[?weeks=N&format=csv]  statistics (hotline.supervise, agents)
 *   GET  /hotline/admin, POST /hotline/admin/{categories,routes}   settings (hotline.admin)
 *   GET  /hotline/kb[?q=], /hotline/kb/{id}        the knowledge base (public)
 *   POST /hotline/kb[/{id}], /hotline/kb/from/{number}   articles (agents)
 */
#include "hotline/hotline_http_internal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/id.h"
#include "divisions/divisions.h"
#include "store/store.h"

/* ---- the dashboard ------------------------------------------------------------------------ */

static int h_dashboard(struct web_req *req, struct web_resp *resp)
{
    struct hotline *h = req->ctx;
    struct hh_who w;
    if (hh_who(req, resp, &w) < 0)
        return -1;
    if (!w.supervise && !w.agent)
        return hh_refuse(resp, &w);
    int64_t weeks;
    if (web_query_int(req, resp, "weeks", 1, 104, 8, &weeks) < 0)
        return -1;
    int64_t to = time_now_ms() + 1, from = to - (int64_t)weeks * 7 * 24 * 3600 * 1000;
    json_t *st = NULL;
    struct err err;
    if (hotline_stats(h, req->lang, from, to, &st, &err) < 0)
        return web_fail_err(resp, &err);
    json_t *cats = hh_categories(req, NULL);
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(st, "by_category"), i, e)
    {
        /* Orders not yet categorised (fresh from the public form) are a row too. */
        const char *name = hh_cat_name(cats, json_string_value(json_object_get(e, "category")));
        json_object_set_new(
            e, "name", json_string(*name ? name : web_t(req, "hotline.dashboard.uncategorised")));
    }
    json_array_foreach(json_object_get(st, "hot_spots"), i, e)
    {
        json_object_set_new(
            e, "name",
            json_string(hh_cat_name(cats, json_string_value(json_object_get(e, "category")))));
        int64_t code =
            strtoll(json_string_value(json_object_get(e, "division")), NULL, 10) * 1000000;
        const char *lang = NULL, *name = hh_division_name(req, code, &lang);
        json_object_set_new(e, "division_name", json_string(name));
        json_object_set_new(e, "division_lang", json_string(lang));
    }
    json_array_foreach(json_object_get(st, "by_division"), i, e)
    {
        int64_t code =
            strtoll(json_string_value(json_object_get(e, "division")), NULL, 10) * 1000000;
        const char *lang = NULL, *name = hh_division_name(req, code, &lang);
        json_object_set_new(e, "name", json_string(name));
        json_object_set_new(e, "name_lang", json_string(lang));
    }
    json_array_foreach(json_object_get(st, "ratings"), i, e)
    {
        json_int_t level = json_integer_value(json_object_get(e, "level"));
        json_object_set_new(
            e, "name",
            json_string(hh_t(req, "hotline.levels.", arena_printf(req->arena, "%lld", level),
                             web_t(req, "hotline.other"))));
    }
    json_decref(cats);
    const char *format = web_query(req, "format");
    if (format != NULL && strcmp(format, "csv") == 0) {
        struct buf b;
        buf_init(&b, 1 << 20);
        buf_puts(&b, "section,key,name,count\r\n");
        static const char *const secs[][2] = {
            {"by_category", "category"}, {"by_division", "division"}, {"by_week", "week"}};
        for (int s = 0; s < 3; s++)
            json_array_foreach(json_object_get(st, secs[s][0]), i, e)
            {
                const char *name = json_string_value(json_object_get(e, "name"));
                char *q = arena_strdup(req->arena, name ? name : "");
                for (char *p = q; *p; p++)
                    if (*p == '"' || *p == ',' || *p == '\r' || *p == '\n')
                        *p = ' ';
                buf_printf(&b, "%s,%s,%s,%lld\r\n", secs[s][0],
                           json_string_value(json_object_get(e, secs[s][1])), q,
                           (long long)json_integer_value(json_object_get(e, "count")));
            }
        buf_printf(&b,
                   "summary,total,,%lld\r\nsummary,satisfaction_pct,,%.1f\r\n"
                   "summary,overdue_pct,,%.1f\r\nsummary,response_hours,,%.1f\r\n"
                   "summary,resolution_hours,,%.1f\r\n",
                   (long long)json_integer_value(json_object_get(st, "total")),
                   100 * json_real_value(json_object_get(st, "satisfaction")),
                   100 * json_real_value(json_object_get(st, "overdue_rate")),
                   json_real_value(json_object_get(st, "response_hours")),
                   json_real_value(json_object_get(st, "resolution_hours")));
        char *body = arena_alloc(req->arena, b.len + 1);
        memcpy(body, b.data, b.len);
        body[b.len] = '\0';
        resp->body = body;
        resp->body_len = b.len;
        buf_free(&b);
        json_decref(st);
        resp->content_type = "text/csv; charset=utf-8";
        web_resp_header(resp, "Content-Disposition", "attachment; filename=\"hotline.csv\"");
        return 0;
    }
    json_t *m = hh_page_model(req, resp, "hotline.dashboard.title");
    json_object_set_new(m, "weeks", json_integer(weeks));
    json_object_set_new(
        m, "csv_url",
        json_string(arena_printf(req->arena, "/hotline/dashboard?weeks=%lld&format=csv",
                                 (long long)weeks)));
    json_object_set_new(
        m, "satisfaction_pct",
        json_string(arena_printf(req->arena, "%.1f",
                                 100 * json_real_value(json_object_get(st, "satisfaction")))));
    json_object_set_new(
        m, "overdue_pct",
        json_string(arena_printf(req->arena, "%.1f",
                                 100 * json_real_value(json_object_get(st, "overdue_rate")))));
    json_object_set_new(
        m, "response_h",
        json_string(arena_printf(req->arena, "%.1f",
                                 json_real_value(json_object_get(st, "response_hours")))));
    json_object_set_new(
        m, "resolution_h",
        json_string(arena_printf(req->arena, "%.1f",
                                 json_real_value(json_object_get(st, "resolution_hours")))));
    json_object_set_new(m, "stats", st);
    return web_page(resp, m, "hotline/dashboard", 200);
}

/* ---- administration ----------------------------------------------------------------------- */

static int admin_page(struct web_req *req, struct web_resp *resp, const struct err *problem,
                      int status)
{
    json_t *m = hh_page_model(req, resp, "hotline.admin.title");
    json_object_set_new(m, "categories", hh_categories(req, NULL));
    json_object_set_new(m, "departments", hh_departments(req, 0));
    hh_set_problem(req, m, problem);
    return web_page(resp, m, "hotline/admin", status);
}

static int h_admin(struct web_req *req, struct web_resp *resp)
{
    struct hh_who w;
    if (hh_who(req, resp, &w) < 0)
        return -1;
    if (!w.admin)
        return hh_refuse(resp, &w);
    return admin_page(req, resp, NULL, 200);
}

static int h_admin_post(struct web_req *req, struct web_resp *resp)
{
    struct hotline *h = req->ctx;
    struct hh_who w;
    if (hh_who(req, resp, &w) < 0)
        return -1;
    if (!w.admin)
        return hh_refuse(resp, &w);
    struct err err;
    err_clear(&err);
    int rc;
    if (strcmp(web_param(req, "what"), "categories") == 0) {
        rc = hotline_category_put(h, w.s.account_id, hh_form(req, "code"), hh_form(req, "name_zh"),
                                  hh_form(req, "name_bo"), hh_form(req, "name_en"), &err);
    } else if (strcmp(web_param(req, "what"), "routes") == 0) {
        int64_t prefix = 0, dept = 0;
        if (web_form_int(req, resp, "department", 0, INT64_MAX, 0, &dept) < 0)
            return -1;
        rc = divisions_parse_code(hh_form(req, "division_prefix"), &prefix, &err);
        if (rc == 0)
            rc = hotline_route_put(h, w.s.account_id, hh_form(req, "category"), prefix, dept, &err);
    } else {
        return web_fail(resp, 404, "hotline.no_action", "no such form");
    }
    if (rc == 0)
        return web_redirect(req, resp, "/hotline/admin?done=hotline_settings_saved");
    if (err.status >= 500 || req->want_json)
        return web_fail_err(resp, &err);
    return admin_page(req, resp, &err, err.status ? err.status : 400);
}

/* ---- knowledge base -------------------------------------------------------------------------- */

static int kb_list_page(struct web_req *req, struct web_resp *resp, const struct hh_who *w,
                        const struct err *problem, int status)
{
    struct hotline *h = req->ctx;
    json_t *m = hh_page_model(req, resp, "hotline.kb.title");
    const char *q = web_query(req, "q");
    struct err err;
    if (q != NULL && *q && h->hooks.search != NULL) {
        json_t *res = NULL;
        if (h->hooks.search(h->hooks.ctx, "kb", q, 0, 20, &res, &err) < 0) {
            json_decref(m);
            return web_fail_err(resp, &err);
        }
        json_object_set_new(m, "q", json_string(q));
        json_object_set_new(m, "results", res);
        json_object_set_new(m, "no_results",
                            json_boolean(json_array_size(json_object_get(res, "hits")) == 0));
    } else {
        json_t *list = NULL;
        if (hotline_kb_list(h, 50, &list, &err) < 0) {
            json_decref(m);
            return web_fail_err(resp, &err);
        }
        json_object_set_new(m, "articles", list);
    }
    json_object_set_new(m, "agent", json_boolean(w->agent));
    if (w->agent)
        json_object_set_new(m, "categories", hh_categories(req, NULL));
    hh_set_problem(req, m, problem);
    return web_page(resp, m, "hotline/kb", status);
}

static int h_kb(struct web_req *req, struct web_resp *resp)
{
    struct hh_who w;
    if (hh_who(req, resp, &w) < 0)
        return -1;
    return kb_list_page(req, resp, &w, NULL, 200);
}

static int h_kb_article(struct web_req *req, struct web_resp *resp)
{
    struct hotline *h = req->ctx;
    struct hh_who w;
    if (hh_who(req, resp, &w) < 0)
        return -1;
    json_t *a = NULL;
    struct err err;
    if (hotline_kb_get(h, web_param_int(req, "id"), &a, &err) < 0)
        return web_fail_err(resp, &err);
    json_t *m = hh_page_model(req, resp, "hotline.kb.title");
    json_object_set_new(m, "title", json_string(json_string_value(json_object_get(a, "title"))));
    json_object_set_new(m, "article", a);
    json_object_set_new(m, "agent", json_boolean(w.agent));
    return web_page(resp, m, "hotline/kb_article", 200);
}

static int h_kb_post(struct web_req *req, struct web_resp *resp)
{
    struct hotline *h = req->ctx;
    struct hh_who w;
    if (hh_who(req, resp, &w) < 0)
        return -1;
    if (!w.agent)
        return hh_refuse(resp, &w);
    int64_t id = 0, edit = web_param(req, "id") ? web_param_int(req, "id") : 0;
    struct err err;
    err_clear(&err);
    if (hotline_kb_put(h, w.s.account_id, edit,
                       hh_form(req, "lang")[0] ? hh_form(req, "lang") : req->lang,
                       hh_form(req, "title"), hh_form(req, "body"), hh_form(req, "category"), 0,
                       &id, &err) < 0) {
        if (err.status >= 500 || req->want_json)
            return web_fail_err(resp, &err);
        return kb_list_page(req, resp, &w, &err, err.status);
    }
    return web_redirect(req, resp, arena_printf(req->arena, "/hotline/kb/%lld", (long long)id));
}

static int h_kb_from_order(struct web_req *req, struct web_resp *resp)
{
    struct hotline *h = req->ctx;
    struct hh_who w;
    if (hh_who(req, resp, &w) < 0)
        return -1;
    if (!w.agent)
        return hh_refuse(resp, &w);
    int64_t id = 0;
    struct err err;
    err_clear(&err);
    if (hotline_kb_from_order(h, w.s.account_id, web_param(req, "number"), &id, &err) < 0) {
        if (err.status >= 500 || req->want_json)
            return web_fail_err(resp, &err);
        return hh_order_page(req, resp, &w, web_param(req, "number"), &err, err.status);
    }
    return web_redirect(req, resp, arena_printf(req->arena, "/hotline/kb/%lld", (long long)id));
}

int hh_register_board(struct web_server *srv, struct hotline *h)
{
    if (web_route(srv, "GET", "/hotline/dashboard", h_dashboard, h) < 0 ||
        web_route(srv, "GET", "/hotline/admin", h_admin, h) < 0 ||
        web_route(srv, "POST", "/hotline/admin/{what}", h_admin_post, h) < 0 ||
        web_route(srv, "GET", "/hotline/kb", h_kb, h) < 0 ||
        web_route(srv, "POST", "/hotline/kb", h_kb_post, h) < 0 ||
        web_route(srv, "GET", "/hotline/kb/{id:int}", h_kb_article, h) < 0 ||
        web_route(srv, "POST", "/hotline/kb/{id:int}", h_kb_post, h) < 0 ||
        web_route(srv, "POST", "/hotline/kb/from/{number}", h_kb_from_order, h) < 0)
        return -1;
    return 0;
}
