/*
 * review_http.c - 好差评 pages and their JSON twins (/api/v1/...):
 *   GET  /reviews/{application_id}              ratings of an application, responses to bad
 *                                               ones, the rating form when the applicant may rate
 *   POST /reviews/{application_id}              the applicant rates (channel online)
 *   POST /reviews/{application_id}/record       counter staff or a 12345 agent records a rating
 *   GET  /workbench/rectifications              the department's rectification tasks
 *   POST /workbench/rectifications/{id}/respond the department answers a task
 *   GET  /ratings                               public statistics (cached until a rating or
 *                                               response changes review_version)
 * Another citizen's application, another department's task: 404 (ids cannot be probed).
 * Services are named in the reader's language (from the catalog), never by their code. A
 * rating or an answer comes back to its page with ?done=rating_saved / rectification_answered.
 */
#include "review/review_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/lang.h"
#include "base/arena.h"
#include "base/buf.h"
#include "catalog/catalog.h"
#include "identity/identity.h"
#include "l10n/l10n.h"
#include "web/web.h"

/* The published services' names in `lang`: {code: name} (new reference; empty when the
 * catalog cannot be read, and a page then shows the code). */
static json_t *item_names(struct review *r, const char *lang)
{
    return catalog_item_names(r->store, lang);
}

/* Give a row with item_code its item_name (the code when the catalog has no such item). */
static void name_item(json_t *row, const json_t *names)
{
    const char *code = json_string_value(json_object_get(row, "item_code"));
    const char *name = json_string_value(json_object_get(names, code ? code : ""));
    json_object_set_new(row, "item_name", json_string(name && *name ? name : code ? code : ""));
}

static json_t *levels_json(struct web_req *req, int checked)
{
    json_t *a = json_array();
    for (int l = 5; l >= 1; l--)
        json_array_append_new(
            a, json_pack("{s:i, s:s, s:s, s:b}", "value", l, "name", review_level_name(l), "label",
                         web_t(req, arena_printf(req->arena, "review.levels.%d", l)), "checked",
                         l == checked));
    return a;
}

/* Add the localised labels a page shows to a history model. */
static void decorate_history(struct web_req *req, json_t *h)
{
    size_t i;
    json_t *rt;
    json_array_foreach(json_object_get(h, "ratings"), i, rt)
    {
        int level = (int)json_integer_value(json_object_get(rt, "level"));
        json_object_set_new(
            rt, "level_label",
            json_string(web_t(req, arena_printf(req->arena, "review.levels.%d", level))));
        json_object_set_new(rt, "bad", json_boolean(level <= REVIEW_UNSATISFIED));
        const char *ch = json_string_value(json_object_get(rt, "channel"));
        json_object_set_new(
            rt, "channel_label",
            json_string(web_t(req, arena_printf(req->arena, "review.channels.%s", ch))));
        json_object_set_new(
            rt, "created",
            json_string(l10n_datetime(req->arena, req->lang,
                                      json_integer_value(json_object_get(rt, "created_at")))));
        json_t *task = json_object_get(rt, "task");
        if (task != NULL) {
            const char *st = json_string_value(json_object_get(task, "status"));
            json_object_set_new(
                task, "status_label",
                json_string(web_t(req, arena_printf(req->arena, "review.status.%s", st))));
            json_object_set_new(task, "deadline",
                                json_string(l10n_datetime(
                                    req->arena, req->lang,
                                    json_integer_value(json_object_get(task, "deadline_at")))));
            json_object_set_new(task, "responded",
                                json_boolean(json_object_get(task, "response") != NULL));
        }
    }
}

static int history_page(struct web_req *req, struct web_resp *resp,
                        const struct authz_subject *subj, int64_t app, json_t *problems, int level,
                        const char *comment, int status)
{
    struct review *r = req->ctx;
    json_t *h = NULL;
    struct err err;
    err_clear(&err);
    if (review_history(r, subj, app, &h, &err) < 0) {
        json_decref(problems);
        return web_fail_err(resp, &err);
    }
    decorate_history(req, h);
    /* The service's name in the reader's language, as the version filed shows it. */
    json_t *item = NULL;
    const char *code = json_string_value(json_object_get(h, "item_code"));
    const char *name = code;
    if (code != NULL && catalog_item_published(r->store, code, &item, &err) == 0)
        name = arena_strdup(req->arena, catalog_text(json_object_get(item, "name"), req->lang));
    json_decref(item);
    json_object_set_new(h, "item_name", json_string(name ? name : ""));
    json_object_set_new(h, "title", json_string(web_t(req, "review.title")));
    json_object_set_new(h, "csrf", json_string(web_csrf_token(req, resp)));
    json_object_set_new(h, "levels", levels_json(req, level));
    json_object_set_new(h, "typed_comment", json_string(comment ? comment : ""));
    json_object_set_new(h, "has_ratings",
                        json_boolean(json_array_size(json_object_get(h, "ratings")) > 0));
    json_object_set_new(h, "action",
                        json_string(arena_printf(req->arena, "/reviews/%lld", (long long)app)));
    json_object_set_new(h, "max_len", json_integer(REVIEW_TEXT_MAX));
    if (problems != NULL && json_array_size(problems) > 0) {
        json_object_set_new(h, "field_errors", web_localise_problems(req, problems));
        json_object_set_new(h, "errors", problems);
        json_object_set_new(h, "has_errors", json_true());
    } else {
        json_decref(problems);
    }
    return web_page(resp, h, "review/application", status);
}

static int h_history(struct web_req *req, struct web_resp *resp)
{
    struct review *r = req->ctx;
    struct authz_subject subj;
    if (identity_web_subject(r->id, req, resp, &subj) < 0)
        return -1;
    return history_page(req, resp, &subj, web_param_int(req, "id"), NULL, 0, NULL, 200);
}

static int rate_common(struct web_req *req, struct web_resp *resp, const char *channel)
{
    struct review *r = req->ctx;
    struct authz_subject subj;
    if (identity_web_subject(r->id, req, resp, &subj) < 0)
        return -1;
    int64_t app = web_param_int(req, "id");
    const char *comment = web_form_value(req, "comment");
    int level = review_level_parse(web_form_value(req, "level"));
    if (channel == NULL)
        channel = web_form_value(req, "channel");
    struct review_rating_in in = {app,     level,     channel ? channel : "",
                                  comment, req->lang, web_client_ip(req)};
    json_t *problems = json_array();
    int64_t rating_id = 0;
    int round = 0;
    struct err err;
    err_clear(&err);
    int rc = review_rate(r, &subj, &in, problems, &rating_id, &round, &err);
    if (rc < 0) {
        json_decref(problems);
        return web_fail_err(resp, &err);
    }
    if (rc == 1)
        return history_page(req, resp, &subj, app, problems, level, comment, 422);
    json_decref(problems);
    if (req->want_json)
        return web_page(resp,
                        json_pack("{s:s, s:i, s:i}", "rating_id",
                                  arena_printf(req->arena, "%lld", (long long)rating_id), "round",
                                  round, "level", level),
                        "review/application", 201);
    return web_redirect(
        req, resp, arena_printf(req->arena, "/reviews/%lld?done=rating_saved", (long long)app));
}

static int h_rate(struct web_req *req, struct web_resp *resp)
{
    return rate_common(req, resp, "online");
}

static int h_record(struct web_req *req, struct web_resp *resp)
{
    return rate_common(req, resp, NULL);
}

/* ---- the department's tasks ---------------------------------------------------------------- */

static int tasks_page(struct web_req *req, struct web_resp *resp, const struct authz_subject *subj,
                      json_t *problems, int64_t task_with_error, int status)
{
    struct review *r = req->ctx;
    const char *st = web_query(req, "status");
    if (st != NULL && strcmp(st, "open") != 0 && strcmp(st, "responded") != 0)
        st = NULL;
    json_t *tasks = NULL;
    struct err err;
    err_clear(&err);
    if (review_tasks(r, subj, st, time(NULL) * 1000LL, &tasks, &err) < 0) {
        json_decref(problems);
        return web_fail_err(resp, &err);
    }
    size_t i;
    json_t *t;
    json_t *field_errors = problems ? web_localise_problems(req, problems) : NULL;
    json_t *names = item_names(r, req->lang);
    json_array_foreach(tasks, i, t)
    {
        name_item(t, names);
        int level = (int)json_integer_value(json_object_get(t, "level"));
        json_object_set_new(
            t, "level_label",
            json_string(web_t(req, arena_printf(req->arena, "review.levels.%d", level))));
        json_object_set_new(
            t, "status_label",
            json_string(web_t(req, arena_printf(req->arena, "review.status.%s",
                                                json_string_value(json_object_get(t, "status"))))));
        json_object_set_new(
            t, "deadline",
            json_string(l10n_datetime(req->arena, req->lang,
                                      json_integer_value(json_object_get(t, "deadline_at")))));
        json_object_set_new(
            t, "application_url",
            json_string(arena_printf(req->arena, "/reviews/%s",
                                     json_string_value(json_object_get(t, "application_id")))));
        if (field_errors != NULL &&
            strcmp(json_string_value(json_object_get(t, "id")),
                   arena_printf(req->arena, "%lld", (long long)task_with_error)) == 0)
            json_object_set(t, "field_errors", field_errors);
    }
    json_decref(names);
    json_decref(field_errors);
    json_t *m =
        json_pack("{s:s, s:o, s:b, s:s}", "title", web_t(req, "review.tasks.title"), "tasks", tasks,
                  "has_tasks", json_array_size(tasks) > 0, "csrf", web_csrf_token(req, resp));
    if (problems != NULL) {
        json_object_set_new(m, "errors", problems);
        json_object_set_new(m, "has_errors", json_true());
    }
    return web_page(resp, m, "review/tasks", status);
}

static int is_staff(struct web_resp *resp, const struct authz_subject *subj)
{
    if (subj->kind != IDENTITY_STAFF || subj->aal < 2)
        return web_fail(resp, 403, "review.staff_only", "this page is for department staff");
    return 0;
}

static int h_tasks(struct web_req *req, struct web_resp *resp)
{
    struct review *r = req->ctx;
    struct authz_subject subj;
    if (identity_web_subject(r->id, req, resp, &subj) < 0)
        return -1;
    if (is_staff(resp, &subj) < 0)
        return -1;
    return tasks_page(req, resp, &subj, NULL, 0, 200);
}

static int h_respond(struct web_req *req, struct web_resp *resp)
{
    struct review *r = req->ctx;
    struct authz_subject subj;
    if (identity_web_subject(r->id, req, resp, &subj) < 0)
        return -1;
    if (is_staff(resp, &subj) < 0)
        return -1;
    int64_t task = web_param_int(req, "id");
    json_t *problems = json_array();
    struct err err;
    err_clear(&err);
    int rc = review_respond(r, &subj, task, web_form_value(req, "response"), web_client_ip(req),
                            problems, &err);
    if (rc < 0) {
        json_decref(problems);
        return web_fail_err(resp, &err);
    }
    if (rc == 1)
        return tasks_page(req, resp, &subj, problems, task, 422);
    json_decref(problems);
    if (req->want_json)
        return web_page(resp, json_pack("{s:b}", "responded", 1), "review/tasks", 200);
    return web_redirect(req, resp, "/workbench/rectifications?done=rectification_answered");
}

/* ---- public statistics --------------------------------------------------------------------- */

static const char *dept_name(const struct identity_department *d, const char *lang)
{
    return lang_pick(lang, d->name_zh, d->name_bo, d->name_en, NULL);
}

static void stat_labels(json_t *row)
{
    json_t *rate = json_object_get(row, "satisfaction_rate");
    char buf[16] = "—";
    if (json_is_number(rate))
        snprintf(buf, sizeof(buf), "%.1f%%", json_number_value(rate));
    json_object_set_new(row, "rate_text", json_string(buf));
    json_t *c = json_object_get(row, "counts");
    json_t *arr = json_array();
    for (int l = 5; l >= 1; l--) {
        char k[2] = {(char)('0' + l), 0};
        json_array_append(arr, json_object_get(c, k));
    }
    json_object_set_new(row, "by_level", arr);
}

static int h_stats(struct web_req *req, struct web_resp *resp)
{
    struct review *r = req->ctx;
    int64_t version = review_version(r);
    if (version < 0)
        return web_fail(resp, 503, "store.unavailable", "the statistics cannot be read");
    /* Service names come from the catalog: a new catalog version is a new page too. */
    const char *key =
        arena_printf(req->arena, "review:ratings:%lld", (long long)catalog_version(r->store));
    if (web_cache_hit(req, resp, key, version))
        return 0;
    json_t *s = NULL;
    struct err err;
    err_clear(&err);
    if (review_stats(r, &s, &err) < 0)
        return web_fail_err(resp, &err);
    struct identity_department *depts = NULL;
    size_t nd = 0;
    if (r->id != NULL)
        identity_department_list(r->id, req->arena, &depts, &nd, &err);
    size_t i;
    json_t *row;
    json_array_foreach(json_object_get(s, "departments"), i, row)
    {
        const char *id = json_string_value(json_object_get(row, "department_id"));
        const char *name = NULL;
        for (size_t k = 0; k < nd && id != NULL; k++)
            if (strcmp(arena_printf(req->arena, "%lld", (long long)depts[k].id), id) == 0) {
                name = dept_name(&depts[k], req->lang);
                json_object_set_new(row, "department_code", json_string(depts[k].code));
            }
        json_object_set_new(row, "name", json_string(name ? name : "?"));
        stat_labels(row);
    }
    json_t *names = item_names(r, req->lang);
    json_array_foreach(json_object_get(s, "items"), i, row)
    {
        name_item(row, names);
        stat_labels(row);
    }
    json_decref(names);
    stat_labels(json_object_get(s, "total"));
    json_t *levels = json_array();
    for (int l = 5; l >= 1; l--)
        json_array_append_new(
            levels, json_string(web_t(req, arena_printf(req->arena, "review.levels.%d", l))));
    json_object_set_new(s, "level_labels", levels);
    json_object_set_new(s, "title", json_string(web_t(req, "review.stats.title")));
    json_object_set_new(s, "has_departments",
                        json_boolean(json_array_size(json_object_get(s, "departments")) > 0));
    json_object_set_new(s, "has_items",
                        json_boolean(json_array_size(json_object_get(s, "items")) > 0));
    web_page(resp, s, "review/stats", 200);
    /* Shared caches may keep the anonymous page a minute; a signed-in visitor's page carries
     * their name and unread count, and they expect their own rating to show at once. */
    resp->max_age = web_session(req) == NULL ? 60 : 0;
    return 0;
}

int review_http_register(struct web_server *srv, struct review *r, struct identity *id)
{
    r->id = id;
    if (web_route(srv, "GET", "/reviews/{id:int}", h_history, r) < 0 ||
        web_route(srv, "GET", "/api/v1/reviews/{id:int}", h_history, r) < 0 ||
        web_route(srv, "POST", "/reviews/{id:int}", h_rate, r) < 0 ||
        web_route(srv, "POST", "/api/v1/reviews/{id:int}", h_rate, r) < 0 ||
        web_route(srv, "POST", "/reviews/{id:int}/record", h_record, r) < 0 ||
        web_route(srv, "POST", "/api/v1/reviews/{id:int}/record", h_record, r) < 0 ||
        web_route(srv, "GET", "/workbench/rectifications", h_tasks, r) < 0 ||
        web_route(srv, "GET", "/api/v1/workbench/rectifications", h_tasks, r) < 0 ||
        web_route(srv, "POST", "/workbench/rectifications/{id:int}/respond", h_respond, r) < 0 ||
        web_route(srv, "POST", "/api/v1/workbench/rectifications/{id:int}/respond", h_respond, r) <
            0 ||
        web_route(srv, "GET", "/ratings", h_stats, r) < 0 ||
        web_route(srv, "GET", "/api/v1/ratings", h_stats, r) < 0)
        return -1;
    return 0;
}
