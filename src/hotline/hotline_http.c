/*
 * hotline_http.c - the hotline's staff pages and their JSON twins (Accept: application/json),
 * and what every hotline page shares (hotline_http_internal.h):
 *   GET  /hotline                       agent desk: new call form, queue (hotline.desk)
 *   POST /hotline/orders                register a call (phone channel)
 *   GET  /hotline/orders/{number}       order page: suggestion, actions, timeline
 *   POST /hotline/orders/{number}/{act} dispatch answer accept return reply rate supervise
 *                                       extend approve merge
 *   GET  /hotline/department            a department's queue (hotline.department)
 * The public pages are in hotline_public.c, the dashboard, settings and knowledge base in
 * hotline_board.c. Every code an order carries (state, channel, urgency, event) is shown by
 * its catalog name; a code without one shows a generic word, never itself.
 */
#include "hotline/hotline_http_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/lang.h"
#include "base/arena.h"
#include "base/id.h"
#include "divisions/divisions.h"
#include "l10n/l10n.h"
#include "store/store.h"

/* ---- who is asking ------------------------------------------------------------------------ */

int hh_who(struct web_req *req, struct web_resp *resp, struct hh_who *w)
{
    struct hotline *h = req->ctx;
    memset(w, 0, sizeof(*w));
    if (identity_web_subject_opt(h->id, req, resp, &w->s) < 0)
        return -1;
    if (w->s.account_id == 0)
        return 0;
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

int hh_refuse(struct web_resp *resp, const struct hh_who *w)
{
    if (!w->logged_in) /* to the login page and back (web_need_session) */
        return web_fail(resp, 401, "identity.login_required", "log in first");
    return web_fail(resp, 403, "hotline.forbidden", "you may not do this");
}

static int may_see(const struct hh_who *w, const struct hotline_order *o)
{
    if (w->agent || w->supervise)
        return 1;
    struct authz_object obj = {0, o->department_id, o->division_code};
    return o->department_id != 0 && authz_allowed(&w->s, "hotline.department", &obj);
}

/* ---- helpers ------------------------------------------------------------------------------ */

const char *hh_t(struct web_req *req, const char *prefix, const char *key, const char *fallback)
{
    const char *k = arena_printf(req->arena, "%s%s", prefix, key ? key : "");
    const char *s = web_t(req, k);
    return strcmp(s, k) == 0 ? fallback : s;
}

const char *hh_form(struct web_req *req, const char *name)
{
    const char *v = web_form_value(req, name);
    return v ? v : "";
}

/* Ids are 64-bit: JSON carries them as strings (JavaScript numbers hold 53 bits). */
const char *hh_id(struct web_req *req, int64_t id)
{
    return arena_printf(req->arena, "%lld", (long long)id);
}

json_t *hh_departments(struct web_req *req, int64_t selected)
{
    struct hotline *h = req->ctx;
    struct identity_department *list = NULL;
    size_t n = 0;
    struct err err;
    json_t *arr = json_array();
    if (identity_department_list(h->id, req->arena, &list, &n, &err) < 0)
        return arr;
    for (size_t i = 0; i < n; i++) {
        const char *name_lang;
        const char *name =
            lang_pick(req->lang, list[i].name_zh, list[i].name_bo, list[i].name_en, &name_lang);
        /* A name shown in Chinese on a Tibetan or English page says so (fonts, readers). */
        json_array_append_new(arr,
                              json_pack("{s:s, s:s, s:s, s:s, s:b}", "id", hh_id(req, list[i].id),
                                        "code", list[i].code, "name", name, "name_lang", name_lang,
                                        "selected", list[i].id == selected));
    }
    l10n_sort(req->lang, arr, "name");
    return arr;
}

static const char *dept_field(json_t *depts, int64_t id, const char *field)
{
    size_t i;
    json_t *d;
    char want[24];
    snprintf(want, sizeof(want), "%lld", (long long)id);
    json_array_foreach(depts, i, d)
    {
        if (strcmp(json_string_value(json_object_get(d, "id")), want) == 0)
            return json_string_value(json_object_get(d, field));
    }
    return "";
}

const char *hh_dept_name(json_t *depts, int64_t id)
{
    return dept_field(depts, id, "name");
}

json_t *hh_categories(struct web_req *req, const char *selected)
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

const char *hh_cat_name(json_t *cats, const char *code)
{
    size_t i;
    json_t *c;
    json_array_foreach(cats, i, c)
    {
        if (code && strcmp(json_string_value(json_object_get(c, "code")), code) == 0)
            return json_string_value(json_object_get(c, "name"));
    }
    return "";
}

const char *hh_division_name(struct web_req *req, int64_t code, const char **lang)
{
    struct hotline *h = req->ctx;
    struct err err;
    struct store_conn *c = store_conn(h->store, &err);
    struct division d;
    if (lang != NULL)
        *lang = req->lang;
    if (c == NULL || divisions_get(c, req->arena, code, &d, &err) < 0)
        return "";
    const char *name = divisions_name(&d, req->lang);
    if (lang != NULL && name == d.name_zh)
        *lang = "zh";
    return name;
}

json_t *hh_order_json(struct web_req *req, const struct hotline_order *o, int show_phone,
                      json_t *cats, json_t *depts)
{
    int64_t now = time_now_ms();
    const char *mark = hotline_mark(o, now);
    const char *other = web_t(req, "hotline.other"), *division_lang = NULL;
    const char *division = hh_division_name(req, o->division_code, &division_lang);
    json_t *j = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, "
        "s:I, s:s, s:s, s:s, s:s, s:s, s:b, s:b}",
        "id", hh_id(req, o->id), "number", o->number, "channel", o->channel, "channel_name",
        hh_t(req, "hotline.channels.", o->channel, other), "status", o->status, "status_name",
        hh_t(req, "hotline.states.", o->status, other), "urgency", o->urgency, "urgency_name",
        hh_t(req, "hotline.urgencies.", o->urgency, other), "category",
        o->category ? o->category : "", "category_name", hh_cat_name(cats, o->category),
        "division_code", arena_printf(req->arena, "%012lld", (long long)o->division_code),
        "division_name", division, "address", o->address, "description", o->description,
        "caller_name", o->caller_name ? o->caller_name : "", "department_id",
        hh_id(req, o->department_id), "department_name", hh_dept_name(depts, o->department_id),
        "rating", (json_int_t)o->rating, "reply", o->reply ? o->reply : "", "created",
        l10n_datetime(req->arena, req->lang, o->created_at), "deadline",
        l10n_datetime(req->arena, req->lang, o->deadline_at), "mark", mark, "mark_name",
        hh_t(req, "hotline.marks.", mark, other), "red", strcmp(mark, "red") == 0, "yellow",
        strcmp(mark, "yellow") == 0);
    if (o->rating >= 1 && o->rating <= 5)
        json_object_set_new(j, "rating_name",
                            json_string(hh_t(req, "hotline.levels.",
                                             arena_printf(req->arena, "%d", o->rating), other)));
    json_object_set_new(j, "division_lang", json_string(division_lang));
    const char *dept_lang = dept_field(depts, o->department_id, "name_lang");
    json_object_set_new(j, "department_lang", json_string(*dept_lang ? dept_lang : req->lang));
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

json_t *hh_orders_json(struct web_req *req, const struct hotline_order *list, size_t n)
{
    json_t *cats = hh_categories(req, NULL), *depts = hh_departments(req, 0);
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, hh_order_json(req, &list[i], 0, cats, depts));
    json_decref(cats);
    json_decref(depts);
    return arr;
}

json_t *hh_levels(struct web_req *req)
{
    json_t *arr = json_array();
    for (int v = 5; v >= 1; v--)
        json_array_append_new(
            arr, json_pack("{s:i, s:s}", "v", v, "name",
                           web_t(req, arena_printf(req->arena, "hotline.levels.%d", v))));
    return arr;
}

/* The events a caller may see on the status page; the rest are the centre's own. */
static int public_event(const char *kind)
{
    static const char *const shown[] = {"created", "answered",  "dispatched", "accepted",
                                        "replied", "rated",     "callback",   "reopened",
                                        "merged",  "merged_in", "notice"};
    for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]); i++)
        if (strcmp(kind, shown[i]) == 0)
            return 1;
    return 0;
}

/* The note of an event as the reader should see it. Notes are stored as the workflow wrote
 * them (hotline.c): the channel's code on "created", the catalog key of the message sent on
 * "notice", "<rating> <comment>" on ratings and callbacks, "<hours> <reason>" on extension
 * requests, free text elsewhere. */
static const char *event_note(struct web_req *req, const struct hotline_order *o, const char *kind,
                              const char *note, int public_view)
{
    const char *other = web_t(req, "hotline.other");
    if (strcmp(kind, "created") == 0)
        return hh_t(req, "hotline.channels.", note, "");
    if (strcmp(kind, "notice") == 0) {
        /* The message as the caller read it: notify renders {{number}} with the order's
         * number, the one parameter hotline messages carry. */
        const char *text = hh_t(req, "", note, "");
        const char *tag = strstr(text, "{{number}}");
        while (tag != NULL) {
            text = arena_printf(req->arena, "%.*s%s%s", (int)(tag - text), text, o->number,
                                tag + strlen("{{number}}"));
            tag = strstr(text, "{{number}}");
        }
        return text;
    }
    if (strcmp(kind, "rated") == 0 || strcmp(kind, "callback") == 0 ||
        strcmp(kind, "reopened") == 0) {
        const char *level = hh_t(req, "hotline.levels.", arena_strndup(req->arena, note, 1), other);
        const char *comment = note[0] && note[1] == ' ' ? note + 2 : "";
        if (public_view || *comment == '\0')
            return level;
        return arena_printf(req->arena, "%s · %s", level, comment);
    }
    if (public_view)
        return strcmp(kind, "merged") == 0 || strcmp(kind, "merged_in") == 0 ? note : "";
    if (strcmp(kind, "extension_requested") == 0) {
        char *end = NULL;
        long hours = strtol(note, &end, 10);
        if (end != note && *end == ' ')
            return arena_printf(req->arena, "%ld %s · %s", hours, web_t(req, "hotline.hours"),
                                end + 1);
    }
    return note;
}

json_t *hh_timeline(struct web_req *req, const struct hotline_order *o, json_t *depts,
                    int public_view)
{
    struct hotline *h = req->ctx;
    json_t *ev = NULL, *out = json_array();
    struct err err;
    if (hotline_timeline(h, o->id, &ev, &err) < 0)
        return out;
    size_t i;
    json_t *e;
    json_array_foreach(ev, i, e)
    {
        const char *kind = json_string_value(json_object_get(e, "kind"));
        const char *note = json_string_value(json_object_get(e, "note"));
        if (public_view && !public_event(kind))
            continue;
        int64_t dept = strtoll(json_string_value(json_object_get(e, "department_id")), NULL, 10);
        json_t *x = json_pack(
            "{s:s, s:s, s:s, s:s}", "kind", kind, "kind_name",
            hh_t(req, "hotline.events.", kind, web_t(req, "hotline.events.other")), "time",
            l10n_datetime(req->arena, req->lang, json_integer_value(json_object_get(e, "at"))),
            "note", event_note(req, o, kind, note ? note : "", public_view));
        if (!public_view)
            json_object_set_new(x, "department_name", json_string(hh_dept_name(depts, dept)));
        json_array_append_new(out, x);
    }
    json_decref(ev);
    return out;
}

json_t *hh_page_model(struct web_req *req, struct web_resp *resp, const char *title_key)
{
    json_t *m = json_object();
    json_object_set_new(m, "title", json_string(web_t(req, title_key)));
    json_object_set_new(m, "csrf", json_string(web_csrf_token(req, resp)));
    return m;
}

/* A problem shown on a page: its message in the reader's language (errors.CODE), or a
 * generic sentence when the catalogs have none (a module's English detail is for logs). */
void hh_set_problem(struct web_req *req, json_t *m, const struct err *problem)
{
    if (problem == NULL)
        return;
    const char *msg = hh_t(req, "errors.", problem->code, web_t(req, "hotline.problem"));
    json_object_set_new(m, "error", json_pack("{s:s, s:s}", "code", problem->code, "message", msg));
}

static void add_field_errors(struct web_req *req, json_t *m, const struct hotline_field_errors *fe)
{
    json_t *errors = json_array(), *by = json_object();
    for (size_t i = 0; i < fe->n; i++) {
        const char *msg = hh_t(req, "errors.", fe->e[i].code, web_t(req, "hotline.problem"));
        json_array_append_new(errors, json_pack("{s:s, s:s, s:s}", "field", fe->e[i].field, "code",
                                                fe->e[i].code, "message", msg));
        if (json_object_get(by, fe->e[i].field) == NULL)
            json_object_set_new(by, fe->e[i].field, json_string(msg));
    }
    json_object_set_new(m, "errors", errors);
    json_object_set_new(m, "field_errors", by);
    json_object_set_new(m, "has_errors", json_true());
}

int hh_intake_model(struct web_req *req, json_t *m, const struct hotline_field_errors *fe,
                    struct err *err)
{
    struct hotline *h = req->ctx;
    static const char *const names[] = {"address",     "lat",   "lon",     "description",
                                        "caller_name", "phone", "urgency", "category"};
    json_t *v = json_object();
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        json_object_set_new(v, names[i], json_string(hh_form(req, names[i])));
    const char *division = divisions_pick_value(req, "division");
    json_object_set_new(v, "division", json_string(division));
    json_object_set_new(m, "values", v);
    json_object_set_new(m, "categories", hh_categories(req, hh_form(req, "category")));
    if (fe != NULL)
        add_field_errors(req, m, fe);
    json_t *by = json_object_get(m, "field_errors");
    /* The coordinates are optional and folded away, unless given or wrong. */
    json_object_set_new(m, "coords_open",
                        json_boolean(*hh_form(req, "lat") || *hh_form(req, "lon") ||
                                     json_object_get(by, "lat") != NULL));
    struct divisions_picker_field pf = {"division",
                                        division,
                                        web_t(req, "hotline.fields.division"),
                                        web_t(req, "hotline.hints.division"),
                                        json_string_value(json_object_get(by, "division")),
                                        1,
                                        DIVISION_TOWNSHIP};
    json_t *picker = NULL;
    if (divisions_picker(req, h->store, &pf, &picker, err) < 0)
        return -1;
    json_object_set_new(m, "picker", picker);
    return 0;
}

void hh_intake_from_form(struct web_req *req, struct hotline_intake *in)
{
    memset(in, 0, sizeof(*in));
    in->category = web_form_value(req, "category");
    in->division = divisions_pick_value(req, "division");
    in->address = web_form_value(req, "address");
    in->lat = web_form_value(req, "lat");
    in->lon = web_form_value(req, "lon");
    in->description = web_form_value(req, "description");
    in->caller_name = web_form_value(req, "caller_name");
    in->phone = web_form_value(req, "phone");
    in->urgency = web_form_value(req, "urgency");
    in->lang = req->lang;
}

static json_t *urgencies_json(struct web_req *req, const char *selected)
{
    static const char *const u[] = {"normal", "urgent", "low"};
    json_t *arr = json_array();
    for (int i = 0; i < 3; i++)
        json_array_append_new(arr, json_pack("{s:s, s:s, s:b}", "code", u[i], "name",
                                             hh_t(req, "hotline.urgencies.", u[i], u[i]),
                                             "selected", selected && strcmp(selected, u[i]) == 0));
    return arr;
}

/* ---- the agent desk --------------------------------------------------------------------- */

static int desk_page(struct web_req *req, struct web_resp *resp, const struct hh_who *w,
                     const struct hotline_field_errors *fe, int status)
{
    struct hotline *h = req->ctx;
    json_t *m = hh_page_model(req, resp, "hotline.desk.title");
    struct hotline_filter f = {0};
    f.statuses = "new returned";
    f.limit = 50;
    struct hotline_order *list = NULL;
    size_t n = 0;
    struct err err;
    if (hotline_order_list(h, req->arena, &f, &list, &n, &err) < 0)
        goto fail;
    json_object_set_new(m, "queue", hh_orders_json(req, list, n));
    json_object_set_new(m, "queue_empty", json_boolean(n == 0));
    struct hotline_filter f2 = {0};
    f2.statuses = "dispatched accepted";
    f2.limit = 50;
    if (hotline_order_list(h, req->arena, &f2, &list, &n, &err) < 0)
        goto fail;
    json_object_set_new(m, "open", hh_orders_json(req, list, n));
    json_object_set_new(m, "urgencies", urgencies_json(req, hh_form(req, "urgency")));
    json_object_set_new(m, "supervise", json_boolean(w->supervise));
    if (hh_intake_model(req, m, fe, &err) < 0)
        goto fail;
    return web_page(resp, m, "hotline/desk", status);
fail:
    json_decref(m);
    return web_fail_err(resp, &err);
}

static int h_desk(struct web_req *req, struct web_resp *resp)
{
    struct hh_who w;
    if (hh_who(req, resp, &w) < 0)
        return -1;
    if (!w.agent)
        return hh_refuse(resp, &w);
    return desk_page(req, resp, &w, NULL, 200);
}

static int h_create(struct web_req *req, struct web_resp *resp)
{
    struct hotline *h = req->ctx;
    struct hh_who w;
    if (hh_who(req, resp, &w) < 0)
        return -1;
    if (!w.agent)
        return hh_refuse(resp, &w);
    /* The picker's "next level" (no JavaScript): the same form again, nothing checked. */
    if (divisions_pick_requested(req))
        return desk_page(req, resp, &w, NULL, 200);
    struct hotline_intake in;
    hh_intake_from_form(req, &in);
    in.channel = "phone";
    in.agent_id = w.s.account_id;
    struct hotline_field_errors fe;
    struct err err;
    int64_t id;
    const char *number;
    int rc = hotline_order_create(h, req->arena, &in, web_client_ip(req), &id, &number, &fe, &err);
    if (rc < 0)
        return web_fail_err(resp, &err);
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
                                            hh_cat_name(cats, s.cat[i].label), "percent",
                                            (int)(s.cat[i].p * 100 + 0.5)));
    for (int i = 0; i < s.ndept; i++) {
        int64_t d = strtoll(s.dept[i].label, NULL, 10); /* the model's own label */
        json_array_append_new(sd, json_pack("{s:s, s:s, s:i}", "id", hh_id(req, d), "name",
                                            hh_dept_name(depts, d), "percent",
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
            json_pack("{s:s, s:s}", "id", hh_id(req, routed), "name", hh_dept_name(depts, routed)));
    }
    if (*best_dept)
        json_object_set_new(j, "department",
                            json_pack("{s:s, s:s}", "id", hh_id(req, *best_dept), "name",
                                      hh_dept_name(depts, *best_dept)));
    return j;
}

static int order_page(struct web_req *req, struct web_resp *resp, const struct hh_who *w,
                      const char *number, const struct err *problem, int status)
{
    struct hotline *h = req->ctx;
    struct hotline_order o;
    struct err err;
    if (hotline_order_get(h, req->arena, number, &o, 1, &err) < 0)
        return web_fail_err(resp, &err);
    if (!may_see(w, &o))
        return web_fail(resp, 404, "hotline.not_found", "no such order");
    json_t *m = hh_page_model(req, resp, "hotline.order.title");
    json_t *cats = hh_categories(req, NULL), *depts = hh_departments(req, 0);
    /* The phone in clear only for the agent who took the call. */
    int show_phone = w->agent && o.agent_id == w->s.account_id;
    json_t *oj = hh_order_json(req, &o, show_phone, cats, depts);
    /* Where, from the prefecture down, each name in the reader's language where it has
     * one (divisions.h, divisions_path_json). */
    struct store_conn *c = store_conn(h->store, &err);
    const char *where = NULL;
    json_t *parts = c != NULL && oj != NULL
                        ? divisions_path_json(c, req->arena, o.division_code, req->lang, &where)
                        : NULL;
    if (parts != NULL)
        json_object_set_new(oj, "division_parts", parts);
    json_object_set_new(m, "order", oj);
    int is_agent = w->agent;
    struct authz_object obj = {0, o.department_id, o.division_code};
    int is_dept = o.department_id != 0 && authz_allowed(&w->s, "hotline.department", &obj);
    const char *best_cat = NULL;
    int64_t best_dept = 0;
    if (is_agent) {
        json_object_set_new(m, "suggestion",
                            suggestion_json(req, &o, cats, depts, &best_cat, &best_dept));
        json_object_set_new(m, "dispatch_categories", hh_categories(req, best_cat));
        json_object_set_new(m, "dispatch_departments", hh_departments(req, best_dept));
    }
    int open = strcmp(o.status, "dispatched") == 0 || strcmp(o.status, "accepted") == 0;
    int fresh = strcmp(o.status, "new") == 0 || strcmp(o.status, "returned") == 0;
    int answered = strcmp(o.status, "replied") == 0 || strcmp(o.status, "answered") == 0;
    json_t *can = json_pack("{s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b}", "dispatch",
                            is_agent && fresh, "answer", is_agent && fresh, "accept",
                            is_dept && strcmp(o.status, "dispatched") == 0, "send_back",
                            is_dept && open, "reply", is_dept && open, "extend", is_dept && open,
                            "approve", (is_agent || w->supervise) && open, "supervise",
                            (is_agent || w->supervise) && strcmp(o.status, "closed") != 0 &&
                                strcmp(o.status, "merged") != 0,
                            "callback", is_agent && answered);
    json_object_set_new(can, "merge", json_boolean(is_agent && (fresh || open)));
    json_object_set_new(
        can, "kb",
        json_boolean(is_agent && o.reply != NULL && (answered || strcmp(o.status, "closed") == 0)));
    json_object_set_new(m, "can", can);
    json_object_set_new(m, "timeline", hh_timeline(req, &o, depts, 0));
    if (is_agent && answered) /* the callback form's choices, only when it is shown */
        json_object_set_new(m, "levels", hh_levels(req));
    hh_set_problem(req, m, problem);
    json_decref(cats);
    json_decref(depts);
    return web_page(resp, m, "hotline/order", status);
}

static int h_order(struct web_req *req, struct web_resp *resp)
{
    struct hh_who w;
    if (hh_who(req, resp, &w) < 0)
        return -1;
    if (!w.agent && !w.supervise && w.ndepts == 0)
        return hh_refuse(resp, &w);
    return order_page(req, resp, &w, web_param(req, "number"), NULL, 200);
}

/* The bounded integers of the action forms: junk is a 400 (web_form_int), a number out of
 * the hotline's range is the workflow's own localised refusal. */
static int form_int(struct web_req *req, struct web_resp *resp, const char *name, int64_t *out)
{
    return web_form_int(req, resp, name, INT32_MIN, INT32_MAX, 0, out);
}

static int h_action(struct web_req *req, struct web_resp *resp)
{
    struct hotline *h = req->ctx;
    struct hh_who w;
    if (hh_who(req, resp, &w) < 0)
        return -1;
    if (!w.agent && !w.supervise && w.ndepts == 0)
        return hh_refuse(resp, &w);
    const char *number = web_param(req, "number"), *act = web_param(req, "action");
    struct hotline_order o;
    struct err err;
    err_clear(&err);
    if (hotline_order_get(h, req->arena, number, &o, 0, &err) < 0)
        return web_fail_err(resp, &err);
    if (!may_see(&w, &o))
        return web_fail(resp, 404, "hotline.not_found", "no such order");
    struct authz_object obj = {0, o.department_id, o.division_code};
    int is_dept = o.department_id != 0 && authz_allowed(&w.s, "hotline.department", &obj);
    int64_t me = w.s.account_id, n = 0;
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
    if (strcmp(act, "dispatch") == 0) {
        if (web_form_int(req, resp, "department", 0, INT64_MAX, 0, &n) < 0)
            return -1;
        rc = hotline_dispatch(h, me, ip, number, hh_form(req, "category"), n, &err);
    } else if (strcmp(act, "answer") == 0) {
        rc = hotline_answer(h, me, ip, number, hh_form(req, "category"), hh_form(req, "answer"),
                            &err);
    } else if (strcmp(act, "rate") == 0) {
        if (form_int(req, resp, "rating", &n) < 0)
            return -1;
        rc = hotline_rate(h, me, ip, number, (int)n, hh_form(req, "comment"),
                          strcmp(hh_form(req, "reopen"), "1") == 0, &err);
    } else if (strcmp(act, "merge") == 0) {
        rc = hotline_merge(h, me, ip, number, hh_form(req, "into"), &err);
    } else if (strcmp(act, "accept") == 0) {
        rc = hotline_accept(h, me, ip, number, &err);
    } else if (strcmp(act, "return") == 0) {
        rc = hotline_send_back(h, me, ip, number, hh_form(req, "reason"), &err);
    } else if (strcmp(act, "reply") == 0) {
        rc = hotline_reply(h, me, ip, number, hh_form(req, "reply"), &err);
    } else if (strcmp(act, "extend") == 0) {
        if (form_int(req, resp, "hours", &n) < 0)
            return -1;
        rc = hotline_extension_request(h, me, ip, number, (int)n, hh_form(req, "reason"), &err);
    } else if (strcmp(act, "approve") == 0) {
        rc = hotline_extension_approve(h, me, ip, number, &err);
    } else {
        rc = hotline_supervise(h, me, ip, number, hh_form(req, "note"), &err);
    }
    if (rc == 0)
        return web_redirect(req, resp, arena_printf(req->arena, "/hotline/orders/%s", number));
    if (err.status >= 500 || req->want_json)
        return web_fail_err(resp, &err);
    return order_page(req, resp, &w, number, &err, err.status ? err.status : 400);
}

/* ---- a department's queue ------------------------------------------------------------------ */

static int h_department(struct web_req *req, struct web_resp *resp)
{
    struct hotline *h = req->ctx;
    struct hh_who w;
    if (hh_who(req, resp, &w) < 0)
        return -1;
    if (w.ndepts == 0)
        return hh_refuse(resp, &w);
    struct hotline_filter f = {0};
    f.statuses = "dispatched accepted replied";
    f.departments = w.depts;
    f.ndepartments = w.ndepts;
    f.limit = 200;
    struct hotline_order *list = NULL;
    size_t n = 0;
    struct err err;
    if (hotline_order_list(h, req->arena, &f, &list, &n, &err) < 0)
        return web_fail_err(resp, &err);
    json_t *m = hh_page_model(req, resp, "hotline.department.title");
    json_object_set_new(m, "orders", hh_orders_json(req, list, n));
    json_object_set_new(m, "empty", json_boolean(n == 0));
    return web_page(resp, m, "hotline/department", 200);
}

int hotline_http_register(struct web_server *srv, struct hotline *h)
{
    if (web_route(srv, "GET", "/hotline", h_desk, h) < 0 ||
        web_route(srv, "POST", "/hotline/orders", h_create, h) < 0 ||
        web_route(srv, "GET", "/hotline/orders/{number}", h_order, h) < 0 ||
        web_route(srv, "POST", "/hotline/orders/{number}/{action}", h_action, h) < 0 ||
        web_route(srv, "GET", "/hotline/department", h_department, h) < 0 ||
        hh_register_public(srv, h) < 0 || hh_register_board(srv, h) < 0)
        return -1;
    return 0;
}

/* For hotline_board.c: an order page with a problem on it (knowledge base from an order). */
int hh_order_page(struct web_req *req, struct web_resp *resp, const struct hh_who *w,
                  const char *number, const struct err *problem, int status)
{
    return order_page(req, resp, w, number, problem, status);
}
