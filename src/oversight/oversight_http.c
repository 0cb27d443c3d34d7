/*
 * oversight_http.c - the supervisors' pages and the departments' answers (JSON twins
 * under /api/v1):
 *   GET  /oversight                       open / due soon / overdue per department and
 *                                         division of the supervisor's subtree
 *   GET  /oversight/cases                 the open cases behind a count (?department=,
 *                                         ?mark=overdue|soon, ?division=)
 *   GET  /oversight/figures               the cases behind a figure of the dashboard
 *                                         (?figure=, ?from=, ?to=, ?division=, ?department=)
 *   GET  /oversight/cases/{number}        one case: its clock and supervision notes
 *   POST /oversight/cases/{number}/notes  a supervision note (督办): body, days
 *   GET  /workbench/supervision           notes addressed to the reader's departments
 *   POST /workbench/supervision/{id}/answer
 * Read-only for supervisors: nothing here changes a case. A case outside the reader's
 * scope is 404, as if it did not exist. Dashboard: oversight_dash.c; auditor's desk:
 * oversight_audit.c.
 */
#include "oversight/oversight_http_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/id.h"
#include "catalog/catalog.h"
#include "divisions/divisions.h"
#include "identity/identity.h"
#include "l10n/l10n.h"
#include "store/store.h"
#include "web/web.h"

/* ---- shared helpers (oversight_http_internal.h) ---------------------------------------- */

int ovh_supervisor(struct web_req *req, struct web_resp *resp, struct oversight *o,
                   struct authz_subject *subj, int64_t *division)
{
    if (identity_web_subject(o->id, req, resp, subj) < 0)
        return -1;
    int64_t top = 0;
    for (size_t g = 0; g < subj->ngrants && top == 0; g++)
        if (subj->grants[g].role == ROLE_SUPERVISOR && subj->kind == IDENTITY_STAFF &&
            subj->aal >= 2)
            top = subj->grants[g].division_code;
    if (top == 0)
        return web_fail(resp, 403, "oversight.forbidden", "this page is for supervisors");
    const char *want = web_query(req, "division");
    struct err err;
    err_clear(&err);
    if (want == NULL || *want == '\0') {
        *division = top;
        return 0;
    }
    if (oversight_division_arg(want, division, &err) < 0)
        return web_fail_err(resp, &err);
    struct authz_object obj = {0, 0, *division};
    if (!authz_allowed(subj, "oversight.view", &obj))
        return web_fail(resp, 403, "oversight.outside", "this division is outside your scope");
    return 0;
}

/* The departments are read once per request: a page names up to hundreds of them. The
 * cache lives in the request's arena and is known by the request's id (unique per
 * process), so a later request never sees it. */
static __thread char dept_cache_req[24];
static __thread struct identity_department *dept_cache;
static __thread size_t dept_cache_n;

const char *ovh_dept_name(struct web_req *req, struct oversight *o, int64_t id)
{
    struct err err;
    if (req->id == NULL || strcmp(dept_cache_req, req->id) != 0) {
        dept_cache = NULL;
        dept_cache_n = 0;
        dept_cache_req[0] = '\0';
        if (identity_department_list(o->id, req->arena, &dept_cache, &dept_cache_n, &err) < 0)
            return "?";
        if (req->id != NULL)
            snprintf(dept_cache_req, sizeof(dept_cache_req), "%s", req->id);
    }
    for (size_t i = 0; i < dept_cache_n; i++) {
        const struct identity_department *d = &dept_cache[i];
        if (d->id != id)
            continue;
        if (strcmp(req->lang, "bo") == 0 && d->name_bo && *d->name_bo)
            return d->name_bo;
        if (strcmp(req->lang, "en") == 0 && d->name_en && *d->name_en)
            return d->name_en;
        return d->name_zh;
    }
    return "?";
}

const char *ovh_division_name(struct web_req *req, struct oversight *o, int64_t code)
{
    struct err err;
    struct store_conn *c = store_conn(o->store, &err);
    const char *name = c ? divisions_place_name(c, req->arena, code, req->lang, NULL) : NULL;
    return name ? name : arena_printf(req->arena, "%012lld", (long long)code);
}

json_t *ovh_item_names(struct oversight *o, const char *lang)
{
    return catalog_item_names(o->store, lang);
}

static void decorate_case(struct web_req *req, struct oversight *o, json_t *r, const json_t *names)
{
    int64_t dept = oversight_db_json_id(json_object_get(r, "department_id"));
    int64_t div = json_integer_value(json_object_get(r, "division_code"));
    const char *code = json_string_value(json_object_get(r, "item_code"));
    const char *item = json_string_value(json_object_get(names, code ? code : ""));
    const char *mark = json_string_value(json_object_get(r, "mark"));
    const char *state = json_string_value(json_object_get(r, "state"));
    json_object_set_new(r, "department", json_string(ovh_dept_name(req, o, dept)));
    json_object_set_new(r, "division", json_string(ovh_division_name(req, o, div)));
    json_object_set_new(r, "item_name", json_string(item && *item ? item : code ? code : ""));
    json_object_set_new(
        r, "due",
        json_string(l10n_datetime(req->arena, req->lang,
                                  json_integer_value(json_object_get(r, "due_at")))));
    json_object_set_new(r, "mark_label",
                        json_string(web_t(req, arena_printf(req->arena, "oversight.marks.%s",
                                                            mark ? mark : "none"))));
    json_object_set_new(r, "overdue", json_boolean(mark && strcmp(mark, "overdue") == 0));
    json_object_set_new(r, "soon", json_boolean(mark && strcmp(mark, "soon") == 0));
    json_object_set_new(r, "state_label",
                        json_string(web_t(req, arena_printf(req->arena, "oversight.states.%s",
                                                            state ? state : "submitted"))));
    json_object_set_new(r, "url",
                        json_string(arena_printf(req->arena, "/oversight/cases/%s",
                                                 json_string_value(json_object_get(r, "number")))));
}

void ovh_queue_rows(struct web_req *req, struct oversight *o, json_t *rows)
{
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        int64_t dept = oversight_db_json_id(json_object_get(r, "department_id"));
        int64_t div = json_integer_value(json_object_get(r, "division_code"));
        json_object_set_new(r, "department", json_string(ovh_dept_name(req, o, dept)));
        json_object_set_new(r, "division", json_string(ovh_division_name(req, o, div)));
        const char *base =
            arena_printf(req->arena, "/oversight/cases?division=%012lld&department=%lld",
                         (long long)div, (long long)dept);
        json_object_set_new(r, "url_all", json_string(base));
        json_object_set_new(r, "url_soon",
                            json_string(arena_printf(req->arena, "%s&mark=soon", base)));
        json_object_set_new(r, "url_overdue",
                            json_string(arena_printf(req->arena, "%s&mark=overdue", base)));
    }
}

/* ---- the subtree's queues ---------------------------------------------------------------- */

static int h_queue(struct web_req *req, struct web_resp *resp)
{
    struct oversight *o = req->ctx;
    struct authz_subject subj;
    int64_t division;
    if (ovh_supervisor(req, resp, o, &subj, &division) < 0)
        return -1;
    json_t *rows = NULL;
    struct err err;
    err_clear(&err);
    if (oversight_queue(o, division, time_now_ms(), &rows, &err) < 0)
        return web_fail_err(resp, &err);
    int64_t open = 0, soon = 0, overdue = 0;
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        open += json_integer_value(json_object_get(r, "open"));
        soon += json_integer_value(json_object_get(r, "due_soon"));
        overdue += json_integer_value(json_object_get(r, "overdue"));
    }
    ovh_queue_rows(req, o, rows);
    json_t *m =
        json_pack("{s:s, s:s, s:s, s:o, s:b, s:I, s:I, s:I, s:s}", "title",
                  web_t(req, "oversight.queue.title"), "division",
                  arena_printf(req->arena, "%012lld", (long long)division), "division_name",
                  ovh_division_name(req, o, division), "rows", rows, "has_rows",
                  json_array_size(rows) > 0, "open", (json_int_t)open, "due_soon", (json_int_t)soon,
                  "overdue", (json_int_t)overdue, "dashboard_url",
                  arena_printf(req->arena, "/dashboard?division=%012lld", (long long)division));
    return web_page(resp, m, "oversight/queue", 200);
}

static int h_cases(struct web_req *req, struct web_resp *resp)
{
    struct oversight *o = req->ctx;
    struct authz_subject subj;
    int64_t division, dept = 0;
    if (ovh_supervisor(req, resp, o, &subj, &division) < 0 ||
        web_query_int(req, resp, "department", 0, INT64_MAX, 0, &dept) < 0)
        return -1;
    const char *mark = web_query(req, "mark");
    if (mark != NULL && *mark && strcmp(mark, "overdue") != 0 && strcmp(mark, "soon") != 0)
        return web_fail(resp, 400, "oversight.bad_mark", "mark is overdue or soon");
    json_t *rows = NULL;
    struct err err;
    err_clear(&err);
    if (oversight_cases(o, division, dept, mark, time_now_ms(), &rows, &err) < 0)
        return web_fail_err(resp, &err);
    json_t *names = ovh_item_names(o, req->lang);
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r) decorate_case(req, o, r, names);
    json_decref(names);
    json_t *m = json_pack(
        "{s:s, s:s, s:o, s:b, s:s}", "title", web_t(req, "oversight.cases.title"), "division_name",
        ovh_division_name(req, o, division), "cases", rows, "has_cases", json_array_size(rows) > 0,
        "back_url", arena_printf(req->arena, "/oversight?division=%012lld", (long long)division));
    if (dept != 0)
        json_object_set_new(m, "department", json_string(ovh_dept_name(req, o, dept)));
    return web_page(resp, m, "oversight/cases", 200);
}

/* GET /oversight/figures?figure=&from=&to=&division=&department=: the cases behind a
 * figure of the dashboard (its drill-down), from oversight's per-case facts. */
static int h_figures(struct web_req *req, struct web_resp *resp)
{
    struct oversight *o = req->ctx;
    struct authz_subject subj;
    int64_t division, dept = 0;
    if (ovh_supervisor(req, resp, o, &subj, &division) < 0 ||
        web_query_int(req, resp, "department", 0, INT64_MAX, 0, &dept) < 0)
        return -1;
    const char *figure = web_query(req, "figure");
    struct err err;
    err_clear(&err);
    int from, to;
    if (oversight_figure_index(figure) < 0)
        return web_fail(resp, 400, "oversight.bad_figure", "no such figure");
    if (oversight_period(web_query(req, "from"), web_query(req, "to"), time_now_ms(), &from, &to,
                         &err) < 0)
        return web_fail_err(resp, &err);
    json_t *rows = NULL;
    if (oversight_figure_cases(o, division, dept, figure, from, to, &rows, &err) < 0)
        return web_fail_err(resp, &err);
    json_t *names = ovh_item_names(o, req->lang);
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        const char *code = json_string_value(json_object_get(r, "item_code"));
        const char *item = json_string_value(json_object_get(names, code ? code : ""));
        int rd = (int)json_integer_value(json_object_get(r, "received_day"));
        int cd = (int)json_integer_value(json_object_get(r, "completed_day"));
        json_object_set_new(r, "item_name", json_string(item && *item ? item : code ? code : ""));
        json_object_set_new(
            r, "department",
            json_string(
                ovh_dept_name(req, o, oversight_db_json_id(json_object_get(r, "department_id")))));
        json_object_set_new(r, "division",
                            json_string(ovh_division_name(
                                req, o, json_integer_value(json_object_get(r, "division_code")))));
        json_object_set_new(r, "received",
                            json_string(rd ? arena_printf(req->arena, "%04d-%02d-%02d", rd / 10000,
                                                          rd / 100 % 100, rd % 100)
                                           : ""));
        json_object_set_new(r, "completed",
                            json_string(cd ? arena_printf(req->arena, "%04d-%02d-%02d", cd / 10000,
                                                          cd / 100 % 100, cd % 100)
                                           : ""));
        json_object_set_new(r, "is_completed", json_boolean(cd != 0));
    }
    json_decref(names);
    const char *period =
        arena_printf(req->arena, "%04d-%02d-%02d – %04d-%02d-%02d", from / 10000, from / 100 % 100,
                     from % 100, to / 10000, to / 100 % 100, to % 100);
    json_t *m = json_pack(
        "{s:s, s:s, s:s, s:s, s:o, s:b, s:I, s:b, s:s}", "title",
        web_t(req, arena_printf(req->arena, "oversight.figures.names.%s", figure)), "division_name",
        ovh_division_name(req, o, division), "period", period, "figure", figure, "cases", rows,
        "has_cases", json_array_size(rows) > 0, "max", (json_int_t)OVERSIGHT_FIGURE_MAX, "full",
        json_array_size(rows) >= OVERSIGHT_FIGURE_MAX, "back_url",
        arena_printf(req->arena,
                     "/dashboard?division=%012lld&from=%04d-%02d-%02d&to=%04d-%02d-%02d",
                     (long long)division, from / 10000, from / 100 % 100, from % 100, to / 10000,
                     to / 100 % 100, to % 100));
    if (dept != 0)
        json_object_set_new(m, "department", json_string(ovh_dept_name(req, o, dept)));
    return web_page(resp, m, "oversight/figures", 200);
}

static void decorate_notes(struct web_req *req, json_t *notes, int64_t now)
{
    size_t i;
    json_t *n;
    json_array_foreach(notes, i, n)
    {
        int open = !json_is_string(json_object_get(n, "answer"));
        json_object_set_new(n, "open", json_boolean(open));
        json_object_set_new(
            n, "overdue",
            json_boolean(open && json_integer_value(json_object_get(n, "deadline_at")) < now));
        json_object_set_new(
            n, "deadline",
            json_string(l10n_datetime(req->arena, req->lang,
                                      json_integer_value(json_object_get(n, "deadline_at")))));
        json_object_set_new(
            n, "created",
            json_string(l10n_datetime(req->arena, req->lang,
                                      json_integer_value(json_object_get(n, "created_at")))));
        json_object_set_new(n, "escalated",
                            json_boolean(json_integer_value(json_object_get(n, "level")) > 0));
    }
}

static int case_page(struct web_req *req, struct web_resp *resp, const struct authz_subject *subj,
                     const char *number, json_t *problems, const char *body, const char *days,
                     int status)
{
    struct oversight *o = req->ctx;
    json_t *k = NULL;
    struct err err;
    err_clear(&err);
    int64_t now = time_now_ms();
    if (oversight_case(o, subj, number, now, &k, &err) < 0) {
        json_decref(problems);
        return web_fail_err(resp, &err);
    }
    json_t *names = ovh_item_names(o, req->lang);
    decorate_case(req, o, k, names);
    json_decref(names);
    decorate_notes(req, json_object_get(k, "notes"), now);
    json_object_set_new(k, "has_notes", json_boolean(json_array_size(json_object_get(k, "notes"))));
    json_object_set_new(k, "title", json_string(web_t(req, "oversight.case.title")));
    json_object_set_new(k, "csrf", json_string(web_csrf_token(req, resp)));
    json_object_set_new(k, "body", json_string(body ? body : ""));
    json_object_set_new(k, "days", json_string(days ? days : "5"));
    json_object_set_new(k, "max_days", json_integer(OVERSIGHT_NOTE_DAYS));
    if (problems != NULL) {
        json_object_set_new(k, "field_errors", web_localise_problems(req, problems));
        json_object_set_new(k, "errors", problems);
        json_object_set_new(k, "has_errors", json_true());
    }
    return web_page(resp, k, "oversight/case", status);
}

static int h_case(struct web_req *req, struct web_resp *resp)
{
    struct oversight *o = req->ctx;
    struct authz_subject subj;
    if (identity_web_subject(o->id, req, resp, &subj) < 0)
        return -1;
    return case_page(req, resp, &subj, web_param(req, "number"), NULL, NULL, NULL, 200);
}

static int h_note(struct web_req *req, struct web_resp *resp)
{
    struct oversight *o = req->ctx;
    struct authz_subject subj;
    if (identity_web_subject(o->id, req, resp, &subj) < 0)
        return -1;
    const char *number = web_param(req, "number");
    const char *body = web_form_value(req, "body"), *days = web_form_value(req, "days");
    json_t *problems = json_array();
    struct err err;
    err_clear(&err);
    int64_t id = 0;
    int rc =
        oversight_note_add(o, &subj, number, body, days, web_client_ip(req), problems, &id, &err);
    if (rc < 0) {
        json_decref(problems);
        return web_fail_err(resp, &err);
    }
    if (rc == 1) {
        if (req->want_json) {
            json_decref(web_localise_problems(req, problems));
            return web_page(
                resp, json_pack("{s:s, s:o}", "code", "oversight.invalid", "errors", problems),
                NULL, 422);
        }
        return case_page(req, resp, &subj, number, problems, body, days, 422);
    }
    json_decref(problems);
    if (req->want_json)
        return web_page(resp, json_pack("{s:o}", "note_id", json_sprintf("%lld", (long long)id)),
                        NULL, 201);
    return web_redirect(req, resp,
                        arena_printf(req->arena, "/oversight/cases/%s?done=note_added", number));
}

/* ---- the department's side --------------------------------------------------------------- */

static int notes_page(struct web_req *req, struct web_resp *resp, const struct authz_subject *subj,
                      json_t *problems, int64_t with_error, int status)
{
    struct oversight *o = req->ctx;
    json_t *notes = NULL;
    struct err err;
    err_clear(&err);
    int64_t now = time_now_ms();
    if (oversight_notes_mine(o, subj, now, &notes, &err) < 0) {
        json_decref(problems);
        return web_fail_err(resp, &err);
    }
    decorate_notes(req, notes, now);
    json_t *fe = problems ? web_localise_problems(req, problems) : NULL;
    size_t i;
    json_t *n;
    json_array_foreach(notes, i, n)
    {
        json_object_set_new(
            n, "department",
            json_string(
                ovh_dept_name(req, o, oversight_db_json_id(json_object_get(n, "department_id")))));
        if (fe != NULL && oversight_db_json_id(json_object_get(n, "id")) == with_error)
            json_object_set(n, "field_errors", fe);
    }
    json_decref(fe);
    json_t *m = json_pack("{s:s, s:o, s:b, s:s}", "title", web_t(req, "oversight.notes.title"),
                          "notes", notes, "has_notes", json_array_size(notes) > 0, "csrf",
                          web_csrf_token(req, resp));
    if (problems != NULL) {
        json_object_set_new(m, "errors", problems);
        json_object_set_new(m, "has_errors", json_true());
    }
    return web_page(resp, m, "oversight/notes", status);
}

static int h_notes(struct web_req *req, struct web_resp *resp)
{
    struct oversight *o = req->ctx;
    struct authz_subject subj;
    if (identity_web_subject(o->id, req, resp, &subj) < 0)
        return -1;
    if (!authz_allowed_somewhere(&subj, "oversight.answer"))
        return web_fail(resp, 403, "oversight.staff_only", "this page is for department staff");
    return notes_page(req, resp, &subj, NULL, 0, 200);
}

static int h_answer(struct web_req *req, struct web_resp *resp)
{
    struct oversight *o = req->ctx;
    struct authz_subject subj;
    if (identity_web_subject(o->id, req, resp, &subj) < 0)
        return -1;
    int64_t id = web_param_int(req, "id");
    json_t *problems = json_array();
    struct err err;
    err_clear(&err);
    int rc = oversight_note_answer(o, &subj, id, web_form_value(req, "answer"), web_client_ip(req),
                                   problems, &err);
    if (rc < 0) {
        json_decref(problems);
        return web_fail_err(resp, &err);
    }
    if (rc == 1) {
        if (req->want_json) {
            json_decref(web_localise_problems(req, problems));
            return web_page(
                resp, json_pack("{s:s, s:o}", "code", "oversight.invalid", "errors", problems),
                NULL, 422);
        }
        return notes_page(req, resp, &subj, problems, id, 422);
    }
    json_decref(problems);
    if (req->want_json)
        return web_page(resp, json_pack("{s:b}", "answered", 1), NULL, 200);
    return web_redirect(req, resp, "/workbench/supervision?done=note_answered");
}

int oversight_http_register(struct web_server *srv, struct oversight *o)
{
    static const struct {
        const char *method, *path, *api;
        web_handler h;
    } routes[] = {
        {"GET", "/oversight", "/api/v1/oversight", h_queue},
        {"GET", "/oversight/cases", "/api/v1/oversight/cases", h_cases},
        {"GET", "/oversight/figures", "/api/v1/oversight/figures", h_figures},
        {"GET", "/oversight/cases/{number}", "/api/v1/oversight/cases/{number}", h_case},
        {"POST", "/oversight/cases/{number}/notes", "/api/v1/oversight/cases/{number}/notes",
         h_note},
        {"GET", "/workbench/supervision", "/api/v1/workbench/supervision", h_notes},
        {"POST", "/workbench/supervision/{id:int}/answer",
         "/api/v1/workbench/supervision/{id:int}/answer", h_answer},
    };
    /* Patterns are kept by the router: static strings only. */
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
        if (web_route(srv, routes[i].method, routes[i].path, routes[i].h, o) < 0 ||
            web_route(srv, routes[i].method, routes[i].api, routes[i].h, o) < 0)
            return -1;
    return oversight_dash_register(srv, o) < 0 || oversight_audit_register(srv, o) < 0
               ? -1
               : oversight_roles_register(srv, o);
}
