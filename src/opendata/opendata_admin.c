/*
 * opendata_admin.c - publishing open data:
 *   GET  /data/admin   the datasets of the departments the person publishes for (all of them
 *                      for the platform's administrators), those without Tibetan flagged
 *   POST /data/admin   upload or replace a dataset (multipart; every problem at once, a CSV
 *                      problem with its line; a licence to publish)
 * JSON twins under /api/v1/data/admin.
 */
#include "opendata/opendata_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "identity/identity.h"
#include "web/web.h"

/* Departments `subj` may publish for, as [{id, name, name_lang}]; *all says whether it may
 * see every department's datasets (opendata.admin). */
static json_t *publishable(struct web_req *req, struct od_http *h, const struct authz_subject *s,
                           int *all)
{
    json_t *out = json_array();
    struct identity_department *depts = NULL;
    size_t nd = 0;
    struct err err;
    *all = authz_allowed(s, "opendata.admin", NULL);
    if (identity_department_list(h->id, req->arena, &depts, &nd, &err) < 0)
        return out;
    for (size_t k = 0; k < nd; k++) {
        struct authz_object obj = {0, depts[k].id, 0};
        if (!authz_allowed(s, "opendata.publish", &obj))
            continue;
        json_t *names = json_pack("{s:s, s:s?, s:s?}", "zh", depts[k].name_zh, "bo",
                                  depts[k].name_bo, "en", depts[k].name_en);
        /* ids in text: they exceed what a JavaScript number holds exactly */
        json_t *o =
            json_pack("{s:s}", "id", arena_printf(req->arena, "%lld", (long long)depts[k].id));
        odh_put_text(o, "name", names, req->lang);
        json_decref(names);
        json_array_append_new(out, o);
    }
    return out;
}

static int may_see(const json_t *mine, int all, const json_t *d)
{
    if (all)
        return 1;
    int64_t dep = json_integer_value(json_object_get(d, "department_id"));
    size_t i;
    json_t *m;
    json_array_foreach(mine, i, m)
    {
        if (strtoll(json_string_value(json_object_get(m, "id")), NULL, 10) == dep)
            return 1;
    }
    return 0;
}

static json_t *admin_model(struct web_req *req, struct web_resp *resp, struct od_http *h,
                           const struct authz_subject *s, struct err *err)
{
    int all = 0;
    json_t *mine = publishable(req, h, s, &all);
    json_t *list = NULL;
    if (opendata_list(h->od, 1, &list, err) < 0) {
        json_decref(mine);
        return NULL;
    }
    json_t *rows = json_array();
    size_t i;
    json_t *d;
    int missing = 0;
    json_array_foreach(list, i, d)
    {
        if (!may_see(mine, all, d))
            continue;
        d = json_deep_copy(d); /* the list's objects are shared */
        odh_decorate(req, NULL, d);
        json_object_set_new(d, "published",
                            json_boolean(strcmp(json_string_value(json_object_get(d, "status")),
                                                "published") == 0));
        missing += json_is_true(json_object_get(d, "missing_bo"));
        json_array_append_new(rows, d);
    }
    json_decref(list);
    json_t *m = odh_model(req, "opendata.admin.title");
    json_t *lic = json_array(), *th = json_array(), *fq = json_array();
    /* The choices, with what the form sent marked (after an error) or the defaults. */
    const char *licence = web_form_value(req, "licence");
    const char *freq = web_form_value(req, "frequency");
    for (size_t k = 0; od_licences[k].code; k++)
        json_array_append_new(
            lic, json_pack("{s:s, s:b}", "code", od_licences[k].code, "selected",
                           licence != NULL && strcmp(licence, od_licences[k].code) == 0));
    for (size_t k = 0; od_themes[k].code; k++) {
        int checked = 0;
        for (size_t f = 0; f < req->nform; f++)
            checked |= strcmp(req->form[f].name, "themes") == 0 &&
                       strcmp(req->form[f].value, od_themes[k].code) == 0;
        json_array_append_new(
            th,
            json_pack("{s:s, s:s, s:b}", "code", od_themes[k].code, "label",
                      web_t(req, arena_printf(req->arena, "opendata.themes.%s", od_themes[k].code)),
                      "checked", checked));
    }
    for (size_t k = 0; od_frequencies[k].code; k++)
        json_array_append_new(
            fq, json_pack("{s:s, s:s, s:b}", "code", od_frequencies[k].code, "label",
                          web_t(req, arena_printf(req->arena, "opendata.frequency.%s",
                                                  od_frequencies[k].code)),
                          "selected",
                          strcmp(freq != NULL ? freq : "IRREG", od_frequencies[k].code) == 0));
    json_object_set_new(m, "datasets", rows);
    json_object_set_new(m, "has_datasets", json_boolean(json_array_size(rows) > 0));
    json_object_set_new(m, "missing_bo", json_integer(missing));
    json_object_set_new(m, "departments", mine);
    json_object_set_new(m, "may_upload", json_boolean(json_array_size(mine) > 0));
    json_object_set_new(m, "licences", lic);
    json_object_set_new(m, "themes", th);
    json_object_set_new(m, "frequencies", fq);
    json_object_set_new(m, "csrf", json_string(web_csrf_token(req, resp)));
    json_object_set_new(m, "form", json_object());
    return m;
}

static int admin_subject(struct web_req *req, struct web_resp *resp, struct od_http *h,
                         struct authz_subject *s)
{
    if (identity_web_subject(h->id, req, resp, s) < 0)
        return -1;
    if (!authz_allowed_somewhere(s, "opendata.publish") &&
        !authz_allowed(s, "opendata.admin", NULL))
        return web_fail(resp, 403, "authz.denied", "not a publisher of open data");
    return 0;
}

static int h_admin(struct web_req *req, struct web_resp *resp)
{
    struct od_http *h = req->ctx;
    struct authz_subject s;
    struct err err;
    err_clear(&err);
    if (admin_subject(req, resp, h, &s) < 0)
        return -1;
    json_t *m = admin_model(req, resp, h, &s, &err);
    if (m == NULL)
        return web_fail_err(resp, &err);
    return web_page(resp, m, "opendata/admin", 200);
}

/* The form's fields as the metadata document opendata_put takes. */
static json_t *form_meta(struct web_req *req)
{
    static const char *const langs[] = {"zh", "bo", "en"};
    json_t *m = json_object();
    static const char *const groups[] = {"title", "description", "keywords"};
    for (int g = 0; g < 3; g++) {
        json_t *o = json_object();
        for (int l = 0; l < 3; l++) {
            const char *v =
                web_form_value(req, arena_printf(req->arena, "%s_%s", groups[g], langs[l]));
            if (v != NULL && *v)
                json_object_set_new(o, langs[l], json_string(v));
        }
        json_object_set_new(m, groups[g], o);
    }
    static const char *const plain[] = {"slug",    "licence",        "frequency",
                                        "spatial", "temporal_start", "temporal_end"};
    for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
        const char *v = web_form_value(req, plain[i]);
        if (v != NULL && *v)
            json_object_set_new(m, plain[i], json_string(v));
    }
    json_t *themes = json_array();
    for (size_t i = 0; i < req->nform; i++)
        if (strcmp(req->form[i].name, "themes") == 0)
            json_array_append_new(themes, json_string(req->form[i].value));
    json_object_set_new(m, "themes", themes);
    return m;
}

/* "line N" in the reader's language: the catalog's text with {line} replaced. */
static const char *at_line(struct web_req *req, long long line)
{
    const char *t = web_t(req, "opendata.admin.at_line");
    const char *p = strstr(t, "{line}");
    if (p == NULL)
        return arena_printf(req->arena, "%s %lld", t, line);
    return arena_printf(req->arena, "%.*s%lld%s", (int)(p - t), t, line, p + 6);
}

static int h_upload(struct web_req *req, struct web_resp *resp)
{
    struct od_http *h = req->ctx;
    struct authz_subject s;
    struct err err;
    err_clear(&err);
    if (admin_subject(req, resp, h, &s) < 0)
        return -1;
    int64_t dep = 0;
    if (web_form_int(req, resp, "department", 1, INT64_MAX, 0, &dep) < 0)
        return -1;
    const struct web_file *file = NULL;
    for (size_t i = 0; i < req->nfiles; i++)
        if (strcmp(req->files[i].name, "file") == 0 && req->files[i].len > 0)
            file = &req->files[i];
    const char *publish = web_form_value(req, "publish");
    json_t *meta = form_meta(req), *problems = json_array();
    int rc = opendata_put(h->od, &s, dep, meta, file ? file->data : NULL, file ? file->len : 0,
                          publish != NULL && *publish, problems, &err);
    if (rc < 0) {
        json_decref(meta);
        json_decref(problems);
        return web_fail_err(resp, &err);
    }
    if (rc == 0) {
        json_decref(problems);
        json_decref(meta);
        if (req->want_json)
            return web_page(resp, json_pack("{s:s}", "saved", "ok"), "opendata/admin", 200);
        return web_redirect(req, resp, "/data/admin?done=opendata_saved");
    }
    /* Field errors: the page again, with the form as typed and every message at once. */
    json_t *m = admin_model(req, resp, h, &s, &err);
    if (m == NULL) {
        json_decref(meta);
        json_decref(problems);
        return web_fail_err(resp, &err);
    }
    json_t *fe = json_object();
    size_t i;
    json_t *p;
    json_array_foreach(problems, i, p)
    {
        const char *code = json_string_value(json_object_get(p, "code"));
        const char *msg = web_t(req, arena_printf(req->arena, "errors.%s", code));
        json_int_t line = json_integer_value(json_object_get(p, "line"));
        if (line > 0)
            msg = arena_printf(req->arena, "%s %s", msg, at_line(req, (long long)line));
        json_object_set_new(p, "message", json_string(msg));
        const char *field = json_string_value(json_object_get(p, "field"));
        if (json_object_get(fe, field) == NULL)
            json_object_set_new(fe, field, json_string(msg));
    }
    json_object_set_new(m, "errors", problems);
    json_object_set_new(m, "has_errors", json_true());
    json_object_set_new(m, "field_errors", fe);
    json_t *form = json_object();
    for (size_t k = 0; k < req->nform; k++)
        if (strcmp(req->form[k].name, "_csrf") != 0)
            json_object_set_new(form, req->form[k].name, json_string(req->form[k].value));
    json_object_set_new(m, "form", form);
    json_decref(meta);
    return web_page(resp, m, "opendata/admin", 400);
}

int odh_admin_register(struct web_server *srv, struct od_http *h)
{
    if (web_route(srv, "GET", "/data/admin", h_admin, h) < 0 ||
        web_route(srv, "GET", "/api/v1/data/admin", h_admin, h) < 0 ||
        web_route_ex(srv, "POST", "/data/admin", h_upload, h, WEB_ROUTE_UPLOAD) < 0 ||
        web_route_ex(srv, "POST", "/api/v1/data/admin", h_upload, h, WEB_ROUTE_UPLOAD) < 0)
        return -1;
    return 0;
}
