/*
 * hotline_http.c - the hotline's pages and their JSON twins (Accept: application/json):
 *   GET  /hotline                       agent desk: new call form, queue (hotline.desk)
 *   POST /hotline/orders                register a call (phone channel)
 *   GET  /hotline/orders/{number}       order page: suggestion, actions, timeline
 *   POST /hotline/orders/{number}/{act} dispatch answer accept return reply rate supervise
 *                                       extend approve merge
 *   GET  /hotline/department            a department's queue (hotline.department)
 *   GET  /hotline/submit, POST          public form (web, mobile; anonymous or logged in)
 *   GET  /hotline/status, POST /hotline/status/rate   lookup by number + phone, rating
 *   GET  /hotline/dashboard[?format=csv] the centre's dashboard (hotline.supervise)
 *   GET  /hotline/admin, POST /hotline/admin/{categories,routes} (hotline.admin)
 */
#include "hotline/hotline_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/id.h"
#include "divisions/divisions.h"
#include "identity/identity.h"
#include "store/store.h"
#include "web/web.h"

/* ---- who is asking ------------------------------------------------------------------------ */

struct who {
    struct authz_subject s;
    int logged_in, agent, supervise, admin;
    int64_t depts[AUTHZ_MAX_GRANTS]; /* departments where the subject handles orders */
    size_t ndepts;
};

static int load_who(struct web_req *req, struct web_resp *resp, struct who *w)
{
    struct hotline *h = req->ctx;
    memset(w, 0, sizeof(*w));
    const struct web_session *ss = web_session(req);
    if (ss == NULL || ss->aal < 1)
        return 0;
    struct err err;
    if (identity_subject_load(h->id, ss->account_id, ss->aal, &w->s, &err) < 0)
        return web_fail(resp, err.status, err.code, "%s", err.msg);
    w->logged_in = 1;
    w->agent = authz_allowed(&w->s, "hotline.desk", NULL);
    w->supervise = authz_allowed(&w->s, "hotline.supervise", NULL);
    w->admin = authz_allowed(&w->s, "hotline.admin", NULL);
    for (size_t g = 0; g < w->s.ngrants; g++) {
        struct authz_object o = {0, w->s.grants[g].department_id, 0};
        if (authz_allowed(&w->s, "hotline.department", &o))
            w->depts[w->ndepts++] = w->s.grants[g].department_id;
    }
    return 0;
}

/* Not logged in: to the login page (HTML) or 401; logged in without the right: 403. */
static int refuse(struct web_req *req, struct web_resp *resp, const struct who *w)
{
    if (!w->logged_in) /* to the login page and back (web_need_session) */
        return web_fail(resp, 401, "identity.login_required", "log in first");
    return web_fail(resp, 403, "hotline.forbidden", "you may not do this");
}

static int may_see(const struct who *w, const struct hotline_order *o)
{
    if (w->agent || w->supervise)
        return 1;
    struct authz_object obj = {0, o->department_id, o->division_code};
    return o->department_id != 0 && authz_allowed(&w->s, "hotline.department", &obj);
}

/* ---- helpers ------------------------------------------------------------------------------ */

static const char *fmt_time(struct web_req *req, int64_t ms)
{
    if (ms <= 0)
        return "";
    time_t t = (time_t)((ms + 8LL * 3600 * 1000) / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    return arena_printf(req->arena, "%04d-%02d-%02d %02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                        tm.tm_mday, tm.tm_hour, tm.tm_min);
}

static const char *tkey(struct web_req *req, const char *prefix, const char *key)
{
    return web_t(req, arena_printf(req->arena, "%s%s", prefix, key ? key : ""));
}

static const char *form(struct web_req *req, const char *name)
{
    const char *v = web_form_value(req, name);
    return v ? v : "";
}

/* Ids are 64-bit: JSON carries them as strings (JavaScript numbers hold 53 bits). */
static const char *id_text(struct web_req *req, int64_t id)
{
    return arena_printf(req->arena, "%lld", (long long)id);
}

static json_t *departments_json(struct web_req *req, int64_t selected)
{
    struct hotline *h = req->ctx;
    struct identity_department *list = NULL;
    size_t n = 0;
    struct err err;
    json_t *arr = json_array();
    if (identity_department_list(h->id, req->arena, &list, &n, &err) < 0)
        return arr;
    for (size_t i = 0; i < n; i++) {
        const char *name = strcmp(req->lang, "bo") == 0 && list[i].name_bo   ? list[i].name_bo
                           : strcmp(req->lang, "en") == 0 && list[i].name_en ? list[i].name_en
                                                                             : list[i].name_zh;
        json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:b}", "id", id_text(req, list[i].id),
                                             "code", list[i].code, "name", name, "selected",
                                             list[i].id == selected));
    }
    return arr;
}

static const char *dept_name(json_t *depts, int64_t id)
{
    size_t i;
    json_t *d;
    json_array_foreach(depts, i, d)
    {
        if (strtoll(json_string_value(json_object_get(d, "id")), NULL, 10) == id)
            return json_string_value(json_object_get(d, "name"));
    }
    return "";
}

static json_t *categories_json(struct web_req *req, const char *selected)
{
    struct hotline *h = req->ctx;
    json_t *arr = NULL;
    struct err err;
    if (hotline_categories(h, req->lang, &arr, &err) < 0)
        return json_array();
    size_t i;
    json_t *c;
    json_array_foreach(arr, i, c)
    {
        json_object_set_new(
            c, "selected",
            json_boolean(selected &&
                         strcmp(json_string_value(json_object_get(c, "code")), selected) == 0));
    }
    return arr;
}

static const char *cat_name(json_t *cats, const char *code)
{
    size_t i;
    json_t *c;
    json_array_foreach(cats, i, c)
    {
        if (code && strcmp(json_string_value(json_object_get(c, "code")), code) == 0)
            return json_string_value(json_object_get(c, "name"));
    }
    return code ? code : "";
}

static const char *division_name(struct web_req *req, int64_t code)
{
    struct hotline *h = req->ctx;
    struct err err;
    struct store_conn *c = store_conn(h->store, &err);
    struct division d;
    if (c == NULL || divisions_get(c, req->arena, code, &d, &err) < 0)
        return "";
    return divisions_name(&d, req->lang);
}

static json_t *order_json(struct web_req *req, const struct hotline_order *o, int show_phone,
                          json_t *cats, json_t *depts)
{
    int64_t now = time_now_ms();
    const char *mark = hotline_mark(o, now);
    json_t *j = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, "
        "s:I, s:s, s:s, s:s, s:s, s:s, s:b, s:b}",
        "id", id_text(req, o->id), "number", o->number, "channel", o->channel, "channel_name",
        tkey(req, "hotline.channels.", o->channel), "status", o->status, "status_name",
        tkey(req, "hotline.states.", o->status), "urgency", o->urgency, "urgency_name",
        tkey(req, "hotline.urgencies.", o->urgency), "category", o->category ? o->category : "",
        "category_name", cat_name(cats, o->category), "division_code",
        arena_printf(req->arena, "%012lld", (long long)o->division_code), "division_name",
        division_name(req, o->division_code), "address", o->address, "description", o->description,
        "caller_name", o->caller_name ? o->caller_name : "", "department_id",
        id_text(req, o->department_id), "department_name", dept_name(depts, o->department_id),
        "rating", (json_int_t)o->rating, "reply", o->reply ? o->reply : "", "created",
        fmt_time(req, o->created_at), "deadline", fmt_time(req, o->deadline_at), "mark", mark,
        "mark_name", tkey(req, "hotline.marks.", mark), "red", strcmp(mark, "red") == 0, "yellow",
        strcmp(mark, "yellow") == 0);
    const char *phone = show_phone && o->phone ? o->phone : o->phone_masked;
    if (phone != NULL)
        json_object_set_new(j, "phone", json_string(phone));
    if (o->lat)
        json_object_set_new(j, "lat", json_string(o->lat));
    if (o->lon)
        json_object_set_new(j, "lon", json_string(o->lon));
    if (o->deadline_at)
        json_object_set_new(j, "deadline_ms", json_integer(o->deadline_at));
    return j;
}

static json_t *orders_json(struct web_req *req, const struct hotline_order *list, size_t n)
{
    json_t *cats = categories_json(req, NULL), *depts = departments_json(req, 0);
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, order_json(req, &list[i], 0, cats, depts));
    json_decref(cats);
    json_decref(depts);
    return arr;
}

static json_t *page_model(struct web_req *req, struct web_resp *resp, const char *title_key)
{
    json_t *m = json_object();
    json_object_set_new(m, "title", json_string(web_t(req, title_key)));
    json_object_set_new(m, "csrf", json_string(web_csrf_token(req, resp)));
    return m;
}

/* A problem shown on a page: its message in the reader's language (errors.CODE), or the
 * module's own sentence when the catalogs have none. */
static void set_problem(struct web_req *req, json_t *m, const struct err *problem)
{
    if (problem == NULL)
        return;
    char key[96];
    snprintf(key, sizeof(key), "errors.%s", problem->code);
    const char *msg = web_t(req, key);
    json_object_set_new(m, "error", json_pack("{s:s, s:s}", "code", problem->code, "message",
                                              strcmp(msg, key) == 0 ? problem->msg : msg));
}

static int page(struct web_resp *resp, json_t *m, const char *view, int status)
{
    resp->model = m;
    resp->view = view;
    resp->status = status;
    return m ? 0 : web_fail(resp, 500, "http.internal", "out of memory");
}

static void add_field_errors(struct web_req *req, json_t *m, const struct hotline_field_errors *fe)
{
    json_t *errors = json_array(), *by = json_object();
    for (size_t i = 0; i < fe->n; i++) {
        char key[96];
        snprintf(key, sizeof(key), "errors.%s", fe->e[i].code);
        const char *msg = web_t(req, key);
        if (strcmp(msg, key) == 0)
            msg = fe->e[i].msg;
        json_array_append_new(errors, json_pack("{s:s, s:s, s:s}", "field", fe->e[i].field, "code",
                                                fe->e[i].code, "message", msg));
        if (json_object_get(by, fe->e[i].field) == NULL)
            json_object_set_new(by, fe->e[i].field, json_string(msg));
    }
    json_object_set_new(m, "errors", errors);
    json_object_set_new(m, "field_errors", by);
    json_object_set_new(m, "has_errors", json_true());
}

static json_t *intake_values(struct web_req *req)
{
    static const char *const names[] = {"division", "address",     "lat",
                                        "lon",      "description", "caller_name",
                                        "phone",    "urgency",     "category"};
    json_t *v = json_object();
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        json_object_set_new(v, names[i], json_string(form(req, names[i])));
    return v;
}

static json_t *urgencies_json(struct web_req *req, const char *selected)
{
    static const char *const u[] = {"normal", "urgent", "low"};
    json_t *arr = json_array();
    for (int i = 0; i < 3; i++)
        json_array_append_new(arr, json_pack("{s:s, s:s, s:b}", "code", u[i], "name",
                                             tkey(req, "hotline.urgencies.", u[i]), "selected",
                                             selected && strcmp(selected, u[i]) == 0));
    return arr;
}

/* ---- the agent desk --------------------------------------------------------------------- */

static int desk_page(struct web_req *req, struct web_resp *resp, const struct who *w,
                     const struct hotline_field_errors *fe, int status)
{
    struct hotline *h = req->ctx;
    json_t *m = page_model(req, resp, "hotline.desk.title");
    struct hotline_filter f = {0};
    f.statuses = "new returned";
    f.limit = 50;
    struct hotline_order *list = NULL;
    size_t n = 0;
    struct err err;
    if (hotline_order_list(h, req->arena, &f, &list, &n, &err) < 0) {
        json_decref(m);
        return web_fail(resp, err.status, err.code, "%s", err.msg);
    }
    json_object_set_new(m, "queue", orders_json(req, list, n));
    json_object_set_new(m, "queue_empty", json_boolean(n == 0));
    struct hotline_filter f2 = {0};
    f2.statuses = "dispatched accepted";
    f2.limit = 50;
    if (hotline_order_list(h, req->arena, &f2, &list, &n, &err) < 0) {
        json_decref(m);
        return web_fail(resp, err.status, err.code, "%s", err.msg);
    }
    json_object_set_new(m, "open", orders_json(req, list, n));
    json_object_set_new(m, "categories", categories_json(req, form(req, "category")));
    json_object_set_new(m, "urgencies", urgencies_json(req, form(req, "urgency")));
    json_object_set_new(m, "values", intake_values(req));
    json_object_set_new(m, "supervise", json_boolean(w->supervise));
    if (fe != NULL)
        add_field_errors(req, m, fe);
    return page(resp, m, "hotline/desk", status);
}

static int h_desk(struct web_req *req, struct web_resp *resp)
{
    struct who w;
    if (load_who(req, resp, &w) < 0)
        return -1;
    if (!w.agent)
        return refuse(req, resp, &w);
    return desk_page(req, resp, &w, NULL, 200);
}

static void intake_from_form(struct web_req *req, struct hotline_intake *in)
{
    memset(in, 0, sizeof(*in));
    in->category = web_form_value(req, "category");
    in->division = web_form_value(req, "division");
    in->address = web_form_value(req, "address");
    in->lat = web_form_value(req, "lat");
    in->lon = web_form_value(req, "lon");
    in->description = web_form_value(req, "description");
    in->caller_name = web_form_value(req, "caller_name");
    in->phone = web_form_value(req, "phone");
    in->urgency = web_form_value(req, "urgency");
    in->lang = req->lang;
}

static int h_create(struct web_req *req, struct web_resp *resp)
{
    struct hotline *h = req->ctx;
    struct who w;
    if (load_who(req, resp, &w) < 0)
        return -1;
    if (!w.agent)
        return refuse(req, resp, &w);
    struct hotline_intake in;
    intake_from_form(req, &in);
    in.channel = "phone";
    in.agent_id = w.s.account_id;
    struct hotline_field_errors fe;
    struct err err;
    int64_t id;
    const char *number;
    int rc = hotline_order_create(h, req->arena, &in, web_client_ip(req), &id, &number, &fe, &err);
    if (rc < 0)
        return web_fail(resp, err.status, err.code, "%s", err.msg);
    if (rc == 1)
        return desk_page(req, resp, &w, &fe, 422);
    return web_redirect(req, resp, arena_printf(req->arena, "/hotline/orders/%s", number));
}

/* ---- the order page ------------------------------------------------------------------------ */

static json_t *suggestion_json(struct web_req *req, const struct hotline_order *o, json_t *cats,
                               json_t *depts, const char **best_cat, int64_t *best_dept)
{
    struct hotline *h = req->ctx;
    struct hotline_suggestion s;
    hotline_suggest(h, o->description, &s);
    json_t *sc = json_array(), *sd = json_array();
    for (int i = 0; i < s.ncat; i++)
        json_array_append_new(sc, json_pack("{s:s, s:s, s:i}", "code", s.cat[i].label, "name",
                                            cat_name(cats, s.cat[i].label), "percent",
                                            (int)(s.cat[i].p * 100 + 0.5)));
    for (int i = 0; i < s.ndept; i++) {
        int64_t d = strtoll(s.dept[i].label, NULL, 10);
        json_array_append_new(sd, json_pack("{s:s, s:s, s:i}", "id", id_text(req, d), "name",
                                            dept_name(depts, d), "percent",
                                            (int)(s.dept[i].p * 100 + 0.5)));
    }
    *best_cat = o->category ? o->category
                : s.ncat    ? arena_strdup(req->arena, s.cat[0].label)
                            : NULL;
    *best_dept = s.ndept ? strtoll(s.dept[0].label, NULL, 10) : 0;
    json_t *j =
        json_pack("{s:o, s:o, s:b}", "categories", sc, "departments", sd, "trained", s.ncat > 0);
    /* The routing rules for the best category in the order's division win over the
     * classifier's department. */
    int64_t routed = 0;
    struct err err;
    if (*best_cat && hotline_route(h, *best_cat, o->division_code, &routed, &err) == 0 &&
        routed != 0) {
        *best_dept = routed;
        json_object_set_new(
            j, "route",
            json_pack("{s:s, s:s}", "id", id_text(req, routed), "name", dept_name(depts, routed)));
    }
    if (*best_dept)
        json_object_set_new(j, "department",
                            json_pack("{s:s, s:s}", "id", id_text(req, *best_dept), "name",
                                      dept_name(depts, *best_dept)));
    return j;
}

static json_t *timeline_json(struct web_req *req, int64_t order_id, json_t *depts)
{
    struct hotline *h = req->ctx;
    json_t *ev = NULL;
    struct err err;
    if (hotline_timeline(h, order_id, &ev, &err) < 0)
        return json_array();
    size_t i;
    json_t *e;
    json_array_foreach(ev, i, e)
    {
        const char *kind = json_string_value(json_object_get(e, "kind"));
        json_object_set_new(e, "kind_name", json_string(tkey(req, "hotline.events.", kind)));
        json_object_set_new(
            e, "time", json_string(fmt_time(req, json_integer_value(json_object_get(e, "at")))));
        json_object_set_new(
            e, "department_name",
            json_string(dept_name(
                depts, strtoll(json_string_value(json_object_get(e, "department_id")), NULL, 10))));
        if (strcmp(kind, "notice") == 0)
            json_object_set_new(
                e, "note",
                json_string(tkey(req, "", json_string_value(json_object_get(e, "note")))));
    }
    return ev;
}

static int order_page(struct web_req *req, struct web_resp *resp, const struct who *w,
                      const char *number, const struct err *problem, int status)
{
    struct hotline *h = req->ctx;
    struct hotline_order o;
    struct err err;
    if (hotline_order_get(h, req->arena, number, &o, 1, &err) < 0)
        return web_fail(resp, err.status, err.code, "%s", err.msg);
    if (!may_see(w, &o))
        return web_fail(resp, 404, "hotline.not_found", "no such order");
    json_t *m = page_model(req, resp, "hotline.order.title");
    json_t *cats = categories_json(req, NULL), *depts = departments_json(req, 0);
    /* The phone in clear only for the agent who took the call. */
    int show_phone = w->agent && o.agent_id == w->s.account_id;
    json_object_set_new(m, "order", order_json(req, &o, show_phone, cats, depts));
    int is_agent = w->agent, is_dept = 0;
    struct authz_object obj = {0, o.department_id, o.division_code};
    is_dept = o.department_id != 0 && authz_allowed(&w->s, "hotline.department", &obj);
    const char *best_cat = NULL;
    int64_t best_dept = 0;
    if (is_agent) {
        json_object_set_new(m, "suggestion",
                            suggestion_json(req, &o, cats, depts, &best_cat, &best_dept));
        json_object_set_new(m, "dispatch_categories", categories_json(req, best_cat));
        json_object_set_new(m, "dispatch_departments", departments_json(req, best_dept));
    }
    int open = strcmp(o.status, "dispatched") == 0 || strcmp(o.status, "accepted") == 0;
    int fresh = strcmp(o.status, "new") == 0 || strcmp(o.status, "returned") == 0;
    json_t *can = json_pack(
        "{s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b}", "dispatch", is_agent && fresh, "answer",
        is_agent && fresh, "accept", is_dept && strcmp(o.status, "dispatched") == 0, "send_back",
        is_dept && open, "reply", is_dept && open, "extend", is_dept && open, "approve",
        (is_agent || w->supervise) && open, "supervise",
        (is_agent || w->supervise) && strcmp(o.status, "closed") != 0 &&
            strcmp(o.status, "merged") != 0,
        "callback",
        is_agent && (strcmp(o.status, "replied") == 0 || strcmp(o.status, "answered") == 0));
    json_object_set_new(can, "merge", json_boolean(is_agent && (fresh || open)));
    json_object_set_new(
        can, "kb",
        json_boolean(is_agent && o.reply != NULL &&
                     (strcmp(o.status, "answered") == 0 || strcmp(o.status, "replied") == 0 ||
                      strcmp(o.status, "closed") == 0)));
    json_object_set_new(m, "can", can);
    json_object_set_new(m, "timeline", timeline_json(req, o.id, depts));
    json_object_set_new(m, "levels",
                        json_pack("[{s:i, s:s}, {s:i, s:s}, {s:i, s:s}, {s:i, s:s}, "
                                  "{s:i, s:s}]",
                                  "v", 5, "name", web_t(req, "hotline.levels.5"), "v", 4, "name",
                                  web_t(req, "hotline.levels.4"), "v", 3, "name",
                                  web_t(req, "hotline.levels.3"), "v", 2, "name",
                                  web_t(req, "hotline.levels.2"), "v", 1, "name",
                                  web_t(req, "hotline.levels.1")));
    set_problem(req, m, problem);
    json_decref(cats);
    json_decref(depts);
    return page(resp, m, "hotline/order", status);
}

static int h_order(struct web_req *req, struct web_resp *resp)
{
    struct who w;
    if (load_who(req, resp, &w) < 0)
        return -1;
    if (!w.agent && !w.supervise && w.ndepts == 0)
        return refuse(req, resp, &w);
    return order_page(req, resp, &w, web_param(req, "number"), NULL, 200);
}

static int h_action(struct web_req *req, struct web_resp *resp)
{
    struct hotline *h = req->ctx;
    struct who w;
    if (load_who(req, resp, &w) < 0)
        return -1;
    if (!w.agent && !w.supervise && w.ndepts == 0)
        return refuse(req, resp, &w);
    const char *number = web_param(req, "number"), *act = web_param(req, "action");
    struct hotline_order o;
    struct err err;
    err_clear(&err);
    if (hotline_order_get(h, req->arena, number, &o, 0, &err) < 0)
        return web_fail(resp, err.status, err.code, "%s", err.msg);
    if (!may_see(&w, &o))
        return web_fail(resp, 404, "hotline.not_found", "no such order");
    struct authz_object obj = {0, o.department_id, o.division_code};
    int is_dept = o.department_id != 0 && authz_allowed(&w.s, "hotline.department", &obj);
    int64_t me = w.s.account_id;
    const char *ip = web_client_ip(req);
    int rc;
    int agent_acts = strcmp(act, "dispatch") == 0 || strcmp(act, "answer") == 0 ||
                     strcmp(act, "rate") == 0 || strcmp(act, "merge") == 0;
    int dept_acts = strcmp(act, "accept") == 0 || strcmp(act, "return") == 0 ||
                    strcmp(act, "reply") == 0 || strcmp(act, "extend") == 0;
    int sup_acts = strcmp(act, "supervise") == 0 || strcmp(act, "approve") == 0;
    if (!agent_acts && !dept_acts && !sup_acts)
        return web_fail(resp, 404, "hotline.no_action", "no such action");
    if ((agent_acts && !w.agent) || (dept_acts && !is_dept) ||
        (sup_acts && !w.agent && !w.supervise))
        return web_fail(resp, 403, "hotline.forbidden", "you may not do this");
    if (strcmp(act, "dispatch") == 0)
        rc = hotline_dispatch(h, me, ip, number, form(req, "category"),
                              strtoll(form(req, "department"), NULL, 10), &err);
    else if (strcmp(act, "answer") == 0)
        rc = hotline_answer(h, me, ip, number, form(req, "category"), form(req, "answer"), &err);
    else if (strcmp(act, "rate") == 0)
        rc = hotline_rate(h, me, ip, number, atoi(form(req, "rating")), form(req, "comment"),
                          strcmp(form(req, "reopen"), "1") == 0, &err);
    else if (strcmp(act, "merge") == 0)
        rc = hotline_merge(h, me, ip, number, form(req, "into"), &err);
    else if (strcmp(act, "accept") == 0)
        rc = hotline_accept(h, me, ip, number, &err);
    else if (strcmp(act, "return") == 0)
        rc = hotline_send_back(h, me, ip, number, form(req, "reason"), &err);
    else if (strcmp(act, "reply") == 0)
        rc = hotline_reply(h, me, ip, number, form(req, "reply"), &err);
    else if (strcmp(act, "extend") == 0)
        rc = hotline_extension_request(h, me, ip, number, atoi(form(req, "hours")),
                                       form(req, "reason"), &err);
    else if (strcmp(act, "approve") == 0)
        rc = hotline_extension_approve(h, me, ip, number, &err);
    else
        rc = hotline_supervise(h, me, ip, number, form(req, "note"), &err);
    if (rc == 0)
        return web_redirect(req, resp, arena_printf(req->arena, "/hotline/orders/%s", number));
    if (err.status >= 500 || req->want_json)
        return web_fail(resp, err.status, err.code, "%s", err.msg);
    return order_page(req, resp, &w, number, &err, err.status ? err.status : 400);
}

/* ---- a department's queue ------------------------------------------------------------------ */

static int h_department(struct web_req *req, struct web_resp *resp)
{
    struct hotline *h = req->ctx;
    struct who w;
    if (load_who(req, resp, &w) < 0)
        return -1;
    if (w.ndepts == 0)
        return refuse(req, resp, &w);
    struct hotline_filter f = {0};
    f.statuses = "dispatched accepted replied";
    f.departments = w.depts;
    f.ndepartments = w.ndepts;
    f.limit = 200;
    struct hotline_order *list = NULL;
    size_t n = 0;
    struct err err;
    if (hotline_order_list(h, req->arena, &f, &list, &n, &err) < 0)
        return web_fail(resp, err.status, err.code, "%s", err.msg);
    json_t *m = page_model(req, resp, "hotline.department.title");
    json_object_set_new(m, "orders", orders_json(req, list, n));
    json_object_set_new(m, "empty", json_boolean(n == 0));
    return page(resp, m, "hotline/department", 200);
}

/* ---- public: submit, status, rating ---------------------------------------------------------- */

static int submit_page(struct web_req *req, struct web_resp *resp,
                       const struct hotline_field_errors *fe, int status)
{
    json_t *m = page_model(req, resp, "hotline.submit.title");
    json_object_set_new(m, "categories", categories_json(req, form(req, "category")));
    json_object_set_new(m, "values", intake_values(req));
    const char *ch = web_query(req, "channel");
    if (ch == NULL)
        ch = web_form_value(req, "channel");
    json_object_set_new(m, "channel",
                        json_string(ch && strcmp(ch, "mobile") == 0 ? "mobile" : "web"));
    if (fe != NULL)
        add_field_errors(req, m, fe);
    return page(resp, m, "hotline/submit", status);
}

static int h_submit_form(struct web_req *req, struct web_resp *resp)
{
    return submit_page(req, resp, NULL, 200);
}

static int h_submit(struct web_req *req, struct web_resp *resp)
{
    struct hotline *h = req->ctx;
    struct hotline_intake in;
    intake_from_form(req, &in);
    in.urgency = "normal";
    in.channel = strcmp(form(req, "channel"), "mobile") == 0 ? "mobile" : "web";
    const struct web_session *ss = web_session(req);
    if (ss != NULL && ss->aal >= 1)
        in.caller_account = ss->account_id;
    struct hotline_field_errors fe;
    struct err err;
    int64_t id;
    const char *number;
    int rc = hotline_order_create(h, req->arena, &in, web_client_ip(req), &id, &number, &fe, &err);
    if (rc < 0)
        return web_fail(resp, err.status, err.code, "%s", err.msg);
    if (rc == 1)
        return submit_page(req, resp, &fe, 422);
    json_t *m = page_model(req, resp, "hotline.submit.done");
    json_object_set_new(m, "number", json_string(number));
    return page(resp, m, "hotline/submitted", 201);
}

static int status_page(struct web_req *req, struct web_resp *resp, const char *number,
                       const char *phone, const struct err *problem, int status)
{
    struct hotline *h = req->ctx;
    json_t *m = page_model(req, resp, "hotline.status.title");
    json_object_set_new(
        m, "values",
        json_pack("{s:s, s:s}", "number", number ? number : "", "phone", phone ? phone : ""));
    if (number && *number && phone && *phone) {
        struct hotline_order o;
        struct err err;
        if (hotline_order_lookup(h, req->arena, number, phone, &o, &err) < 0) {
            if (err.status >= 500) {
                json_decref(m);
                return web_fail(resp, err.status, err.code, "%s", err.msg);
            }
            json_object_set_new(m, "not_found", json_true());
            status = 404;
        } else {
            json_t *cats = categories_json(req, NULL), *depts = departments_json(req, 0);
            json_t *oj = order_json(req, &o, 0, cats, depts);
            json_decref(cats);
            json_decref(depts);
            json_object_set_new(m, "order", oj);
            json_object_set_new(m, "can_rate",
                                json_boolean(strcmp(o.status, "replied") == 0 ||
                                             strcmp(o.status, "answered") == 0));
            json_object_set_new(
                m, "levels",
                json_pack("[{s:i, s:s}, {s:i, s:s}, {s:i, s:s}, {s:i, s:s}, {s:i, s:s}]", "v", 5,
                          "name", web_t(req, "hotline.levels.5"), "v", 4, "name",
                          web_t(req, "hotline.levels.4"), "v", 3, "name",
                          web_t(req, "hotline.levels.3"), "v", 2, "name",
                          web_t(req, "hotline.levels.2"), "v", 1, "name",
                          web_t(req, "hotline.levels.1")));
        }
    }
    set_problem(req, m, problem);
    return page(resp, m, "hotline/status", status);
}

static int h_status(struct web_req *req, struct web_resp *resp)
{
    return status_page(req, resp, web_query(req, "number"), web_query(req, "phone"), NULL, 200);
}

static int h_rate(struct web_req *req, struct web_resp *resp)
{
    struct hotline *h = req->ctx;
    const char *number = form(req, "number"), *phone = form(req, "phone");
    struct hotline_order o;
    struct err err;
    err_clear(&err);
    if (hotline_order_lookup(h, req->arena, number, phone, &o, &err) < 0)
        return web_fail(resp, err.status, err.code, "%s", err.msg);
    if (hotline_rate(h, 0, web_client_ip(req), number, atoi(form(req, "rating")),
                     form(req, "comment"), strcmp(form(req, "reopen"), "1") == 0, &err) < 0) {
        if (err.status >= 500 || req->want_json)
            return web_fail(resp, err.status, err.code, "%s", err.msg);
        return status_page(req, resp, number, phone, &err, err.status);
    }
    return status_page(req, resp, number, phone, NULL, 200);
}

/* ---- the dashboard ------------------------------------------------------------------------ */

static int h_dashboard(struct web_req *req, struct web_resp *resp)
{
    struct hotline *h = req->ctx;
    struct who w;
    if (load_who(req, resp, &w) < 0)
        return -1;
    if (!w.supervise && !w.agent)
        return refuse(req, resp, &w);
    const char *ws = web_query(req, "weeks");
    int weeks = ws ? atoi(ws) : 8;
    if (weeks < 1 || weeks > 104)
        return web_fail(resp, 400, "hotline.bad_weeks", "weeks is 1 to 104");
    int64_t to = time_now_ms() + 1, from = to - (int64_t)weeks * 7 * 24 * 3600 * 1000;
    json_t *st = NULL;
    struct err err;
    if (hotline_stats(h, req->lang, from, to, &st, &err) < 0)
        return web_fail(resp, err.status, err.code, "%s", err.msg);
    json_t *cats = categories_json(req, NULL);
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(st, "by_category"), i, e)
    {
        json_object_set_new(
            e, "name",
            json_string(cat_name(cats, json_string_value(json_object_get(e, "category")))));
    }
    json_array_foreach(json_object_get(st, "hot_spots"), i, e)
    {
        json_object_set_new(
            e, "name",
            json_string(cat_name(cats, json_string_value(json_object_get(e, "category")))));
        int64_t code =
            strtoll(json_string_value(json_object_get(e, "division")), NULL, 10) * 1000000;
        json_object_set_new(e, "division_name", json_string(division_name(req, code)));
    }
    json_array_foreach(json_object_get(st, "by_division"), i, e)
    {
        int64_t code =
            strtoll(json_string_value(json_object_get(e, "division")), NULL, 10) * 1000000;
        json_object_set_new(e, "name", json_string(division_name(req, code)));
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
    json_t *m = page_model(req, resp, "hotline.dashboard.title");
    json_object_set_new(m, "weeks", json_integer(weeks));
    json_object_set_new(
        m, "csv_url",
        json_string(arena_printf(req->arena, "/hotline/dashboard?weeks=%d&format=csv", weeks)));
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
    return page(resp, m, "hotline/dashboard", 200);
}

/* ---- administration ----------------------------------------------------------------------- */

static int admin_page(struct web_req *req, struct web_resp *resp, const struct err *problem,
                      int status)
{
    json_t *m = page_model(req, resp, "hotline.admin.title");
    json_object_set_new(m, "categories", categories_json(req, NULL));
    json_object_set_new(m, "departments", departments_json(req, 0));
    set_problem(req, m, problem);
    const char *done = web_query(req, "done");
    if (done != NULL)
        json_object_set_new(m, "done", json_true());
    return page(resp, m, "hotline/admin", status);
}

static int h_admin(struct web_req *req, struct web_resp *resp)
{
    struct who w;
    if (load_who(req, resp, &w) < 0)
        return -1;
    if (!w.admin)
        return refuse(req, resp, &w);
    return admin_page(req, resp, NULL, 200);
}

static int h_admin_post(struct web_req *req, struct web_resp *resp)
{
    struct hotline *h = req->ctx;
    struct who w;
    if (load_who(req, resp, &w) < 0)
        return -1;
    if (!w.admin)
        return refuse(req, resp, &w);
    struct err err;
    err_clear(&err);
    int rc;
    if (strcmp(web_param(req, "what"), "categories") == 0) {
        rc = hotline_category_put(h, w.s.account_id, form(req, "code"), form(req, "name_zh"),
                                  form(req, "name_bo"), form(req, "name_en"), &err);
    } else if (strcmp(web_param(req, "what"), "routes") == 0) {
        int64_t prefix = 0;
        rc = divisions_parse_code(form(req, "division_prefix"), &prefix, &err);
        if (rc == 0)
            rc = hotline_route_put(h, w.s.account_id, form(req, "category"), prefix,
                                   strtoll(form(req, "department"), NULL, 10), &err);
    } else {
        return web_fail(resp, 404, "hotline.no_action", "no such form");
    }
    if (rc == 0)
        return web_redirect(req, resp, "/hotline/admin?done=1");
    if (err.status >= 500 || req->want_json)
        return web_fail(resp, err.status, err.code, "%s", err.msg);
    return admin_page(req, resp, &err, err.status ? err.status : 400);
}

/* ---- knowledge base -------------------------------------------------------------------------- */

static int kb_list_page(struct web_req *req, struct web_resp *resp, const struct who *w,
                        const struct err *problem, int status)
{
    struct hotline *h = req->ctx;
    json_t *m = page_model(req, resp, "hotline.kb.title");
    const char *q = web_query(req, "q");
    struct err err;
    if (q != NULL && *q && h->hooks.search != NULL) {
        json_t *res = NULL;
        if (h->hooks.search(h->hooks.ctx, "kb", q, 0, 20, &res, &err) < 0) {
            json_decref(m);
            return web_fail(resp, err.status, err.code, "%s", err.msg);
        }
        json_object_set_new(m, "q", json_string(q));
        json_object_set_new(m, "results", res);
        json_object_set_new(m, "no_results",
                            json_boolean(json_array_size(json_object_get(res, "hits")) == 0));
    } else {
        json_t *list = NULL;
        if (hotline_kb_list(h, 50, &list, &err) < 0) {
            json_decref(m);
            return web_fail(resp, err.status, err.code, "%s", err.msg);
        }
        json_object_set_new(m, "articles", list);
    }
    json_object_set_new(m, "agent", json_boolean(w->agent));
    if (w->agent)
        json_object_set_new(m, "categories", categories_json(req, NULL));
    set_problem(req, m, problem);
    return page(resp, m, "hotline/kb", status);
}

static int h_kb(struct web_req *req, struct web_resp *resp)
{
    struct who w;
    if (load_who(req, resp, &w) < 0)
        return -1;
    return kb_list_page(req, resp, &w, NULL, 200);
}

static int h_kb_article(struct web_req *req, struct web_resp *resp)
{
    struct hotline *h = req->ctx;
    struct who w;
    if (load_who(req, resp, &w) < 0)
        return -1;
    json_t *a = NULL;
    struct err err;
    if (hotline_kb_get(h, web_param_int(req, "id"), &a, &err) < 0)
        return web_fail(resp, err.status, err.code, "%s", err.msg);
    json_t *m = page_model(req, resp, "hotline.kb.title");
    json_object_set_new(m, "title", json_string(json_string_value(json_object_get(a, "title"))));
    json_object_set_new(m, "article", a);
    json_object_set_new(m, "agent", json_boolean(w.agent));
    return page(resp, m, "hotline/kb_article", 200);
}

static int h_kb_post(struct web_req *req, struct web_resp *resp)
{
    struct hotline *h = req->ctx;
    struct who w;
    if (load_who(req, resp, &w) < 0)
        return -1;
    if (!w.agent)
        return refuse(req, resp, &w);
    int64_t id = 0, edit = web_param(req, "id") ? web_param_int(req, "id") : 0;
    struct err err;
    err_clear(&err);
    if (hotline_kb_put(h, w.s.account_id, edit,
                       form(req, "lang")[0] ? form(req, "lang") : req->lang, form(req, "title"),
                       form(req, "body"), form(req, "category"), 0, &id, &err) < 0) {
        if (err.status >= 500 || req->want_json)
            return web_fail(resp, err.status, err.code, "%s", err.msg);
        return kb_list_page(req, resp, &w, &err, err.status);
    }
    return web_redirect(req, resp, arena_printf(req->arena, "/hotline/kb/%lld", (long long)id));
}

static int h_kb_from_order(struct web_req *req, struct web_resp *resp)
{
    struct hotline *h = req->ctx;
    struct who w;
    if (load_who(req, resp, &w) < 0)
        return -1;
    if (!w.agent)
        return refuse(req, resp, &w);
    int64_t id = 0;
    struct err err;
    err_clear(&err);
    if (hotline_kb_from_order(h, w.s.account_id, web_param(req, "number"), &id, &err) < 0) {
        if (err.status >= 500 || req->want_json)
            return web_fail(resp, err.status, err.code, "%s", err.msg);
        return order_page(req, resp, &w, web_param(req, "number"), &err, err.status);
    }
    return web_redirect(req, resp, arena_printf(req->arena, "/hotline/kb/%lld", (long long)id));
}

int hotline_http_register(struct web_server *srv, struct hotline *h)
{
    if (web_route(srv, "GET", "/hotline", h_desk, h) < 0 ||
        web_route(srv, "POST", "/hotline/orders", h_create, h) < 0 ||
        web_route(srv, "GET", "/hotline/orders/{number}", h_order, h) < 0 ||
        web_route(srv, "POST", "/hotline/orders/{number}/{action}", h_action, h) < 0 ||
        web_route(srv, "GET", "/hotline/department", h_department, h) < 0 ||
        web_route(srv, "GET", "/hotline/submit", h_submit_form, h) < 0 ||
        web_route(srv, "POST", "/hotline/submit", h_submit, h) < 0 ||
        web_route(srv, "GET", "/hotline/status", h_status, h) < 0 ||
        web_route(srv, "POST", "/hotline/status/rate", h_rate, h) < 0 ||
        web_route(srv, "GET", "/hotline/dashboard", h_dashboard, h) < 0 ||
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
