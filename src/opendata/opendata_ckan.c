/*
 * opendata_ckan.c - CKAN's action API (version 3), read-only, so that existing harvesters
 * and clients (ckanapi, ckanext-harvest, ckanext-dcat's harvester) read this catalog:
 *   /api/3/action/package_list, package_show?id=, package_search?q=&fq=&rows=&start=,
 *   organization_list[?all_fields=true], organization_show?id=[&include_datasets=true]
 * Every answer is CKAN's envelope {help, success, result} or {help, success: false,
 * error: {__type, message}} with CKAN's status codes. Multilingual fields follow
 * ckanext-fluent: title and notes hold the Chinese text, title_translated and
 * notes_translated hold {zh, bo, en}.
 *
 * Heavy users: a call may carry an API key (Authorization or X-CKAN-API-Key header); a key
 * has a daily quota (429 past it). Without a key a search returns at most
 * CKAN_ANON_ROWS rows per call; with one up to CKAN_MAX_ROWS.
 */
#include "opendata/opendata_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/arena.h"
#include "base/buf.h"
#include "web/web.h"

#define CKAN_ANON_ROWS 100
#define CKAN_MAX_ROWS 1000

/* Answer `result` (owned) or an error in CKAN's envelope. */
static int reply(struct web_req *req, struct web_resp *resp, const char *action, json_t *result,
                 int status, const char *type, const char *message)
{
    struct od_http *h = req->ctx;
    const char *base = odh_base(req, h);
    json_t *doc = json_pack(
        "{s:s, s:b}", "help",
        arena_printf(req->arena, "%s/api/3/action/help_show?name=%s", base ? base : "", action),
        "success", result != NULL);
    if (result != NULL)
        json_object_set_new(doc, "result", result);
    else
        json_object_set_new(doc, "error",
                            json_pack("{s:s, s:s}", "__type", type, "message", message));
    char *s = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (s == NULL)
        return web_fail(resp, 500, "opendata.oom", "out of memory");
    struct buf b;
    buf_init(&b, 256 * 1024 * 1024);
    int rc = buf_puts(&b, s);
    free(s);
    if (rc < 0) {
        buf_free(&b);
        return web_fail(resp, 500, "opendata.oom", "out of memory");
    }
    resp->status = status;
    web_resp_header(resp, "Access-Control-Allow-Origin", "*");
    return odh_raw(req, resp, "application/json; charset=utf-8", &b);
}

static int fail_err(struct web_req *req, struct web_resp *resp, const char *action,
                    const struct err *e)
{
    const char *type = e->status == 404   ? "Not Found Error"
                       : e->status == 403 ? "Authorization Error"
                       : e->status == 429 ? "Rate Limit Error"
                       : e->status == 409 ? "Validation Error"
                       : e->status < 500  ? "Validation Error"
                                          : "Internal Server Error";
    int status = e->status >= 400 && e->status < 600 ? e->status : 500;
    return reply(req, resp, action, NULL, status, type,
                 status == 404   ? "Not found"
                 : status >= 500 ? "Internal error"
                                 : e->msg);
}

/* Spend a call of the request's API key, if it carries one. 1 with a key, 0 without, -1
 * failed (the reply is made). */
static int key_check(struct web_req *req, struct web_resp *resp, const char *action)
{
    struct od_http *h = req->ctx;
    const char *key = web_header(req, "X-CKAN-API-Key");
    if (key == NULL)
        key = web_header(req, "Authorization");
    if (key == NULL || *key == '\0')
        return 0;
    struct err err;
    err_clear(&err);
    if (opendata_key_use(h->od, key, &err) < 0) {
        fail_err(req, resp, action, &err);
        return -1;
    }
    return 1;
}

static void iso_ckan(int64_t ms, char out[40])
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 40, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + strlen(out), 40 - strlen(out), ".%06d", (int)(ms % 1000) * 1000);
}

static const char *zh_or(const json_t *texts)
{
    const char *s = json_string_value(json_object_get(texts, "zh"));
    return s ? s : "";
}

static json_t *org_dict(const char *base, const char *code, int64_t id, const json_t *names,
                        int64_t created)
{
    char when[40];
    iso_ckan(created, when);
    json_t *o =
        json_pack("{s:s, s:s, s:s, s:O, s:s, s:b, s:s, s:s, s:s, s:s, s:s}", "id", code, "name",
                  code, "title", zh_or(names), "title_translated", names, "type", "organization",
                  "is_organization", 1, "state", "active", "approval_status", "approved", "created",
                  when, "image_url", "", "description", "");
    (void)id;
    json_object_set_new(o, "url", json_string(base));
    return o;
}

/* One dataset in CKAN's package dictionary. */
static json_t *package(const char *base, const json_t *d)
{
    const char *slug = json_string_value(json_object_get(d, "slug"));
    char created[40], modified[40];
    iso_ckan(json_integer_value(json_object_get(d, "created_at")), created);
    iso_ckan(json_integer_value(json_object_get(d, "updated_at")), modified);
    const char *dep = json_string_value(json_object_get(d, "department_code"));
    const json_t *pub = json_object_get(d, "publisher");
    const char *lic = json_string_value(json_object_get(d, "licence"));
    const struct od_term *lt = od_term_find(od_licences, lic);
    char id[24];
    snprintf(id, sizeof(id), "%lld", (long long)json_integer_value(json_object_get(d, "id")));
    json_t *p = json_pack("{s:s, s:s, s:s, s:O, s:s, s:O, s:s?, s:s?, s:s?, s:s, s:s, s:s, s:b, "
                          "s:s, s:s, s:s}",
                          "id", id, "name", slug, "title", zh_or(json_object_get(d, "title")),
                          "title_translated", json_object_get(d, "title"), "notes",
                          zh_or(json_object_get(d, "description")), "notes_translated",
                          json_object_get(d, "description"), "license_id", lic, "license_title",
                          lic, "license_url", lt ? lt->uri : NULL, "metadata_created", created,
                          "metadata_modified", modified, "state", "active", "private", 0, "type",
                          "dataset", "owner_org", dep ? dep : "", "url", "");
    json_object_set_new(p, "url", json_string(""));
    json_object_set_new(p, "organization",
                        dep ? org_dict(base, dep,
                                       json_integer_value(json_object_get(d, "department_id")), pub,
                                       json_integer_value(json_object_get(d, "created_at")))
                            : json_null());
    /* Tags: the keywords of every language; groups: the themes. */
    json_t *tags = json_array();
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)json_object_get(d, "keywords"), k, v)
    {
        json_t *list = od_keywords(json_string_value(v));
        size_t n;
        json_t *w;
        json_array_foreach(list, n, w)
        {
            json_array_append_new(tags, json_pack("{s:O, s:O, s:n, s:s}", "name", w, "display_name",
                                                  w, "vocabulary_id", "state", "active"));
        }
        json_decref(list);
    }
    json_object_set_new(p, "num_tags", json_integer((json_int_t)json_array_size(tags)));
    json_object_set_new(p, "tags", tags);
    json_t *groups = json_array();
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(d, "themes"), i, t)
    {
        const struct od_term *th = od_term_find(od_themes, json_string_value(t));
        if (th != NULL)
            json_array_append_new(groups, json_pack("{s:s, s:s, s:s}", "name", th->code, "title",
                                                    th->code, "uri", th->uri));
    }
    json_object_set_new(p, "groups", groups);
    json_t *extras = json_array();
    static const char *const ex[] = {"frequency", "temporal_start", "temporal_end"};
    for (size_t e = 0; e < 3; e++) {
        const char *s = json_string_value(json_object_get(d, ex[e]));
        if (s != NULL)
            json_array_append_new(extras, json_pack("{s:s, s:s}", "key", ex[e], "value", s));
    }
    int64_t sp = json_integer_value(json_object_get(d, "spatial"));
    if (sp > 0) {
        char code[24];
        snprintf(code, sizeof(code), "%lld", (long long)sp);
        json_array_append_new(extras, json_pack("{s:s, s:s}", "key", "spatial", "value", code));
    }
    json_object_set_new(p, "extras", extras);
    json_t *res = json_array();
    static const char *const rid[] = {"csv", "json", "api"};
    static const char *const fmt[] = {"CSV", "JSON", "API"};
    static const char *const mime[] = {"text/csv", "application/json", "application/json"};
    for (int r = 0; r < 3; r++) {
        char u[512], rid_text[40];
        snprintf(rid_text, sizeof(rid_text), "%s-%s", id, rid[r]);
        if (r < 2)
            snprintf(u, sizeof(u), "%s/data/%s/data.%s", base, slug, rid[r]);
        else
            snprintf(u, sizeof(u), "%s/api/v1/data/%s/rows", base, slug);
        json_array_append_new(res, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:s}",
                                             "id", rid_text, "package_id", id, "name", fmt[r],
                                             "url", u, "format", fmt[r], "mimetype", mime[r],
                                             "position", r, "created", created, "last_modified",
                                             modified, "state", "active"));
    }
    json_object_set_new(p, "num_resources", json_integer(3));
    json_object_set_new(p, "resources", res);
    return p;
}

/* ---- actions -------------------------------------------------------------------------- */

static int h_package_list(struct web_req *req, struct web_resp *resp)
{
    struct od_http *h = req->ctx;
    struct err err;
    err_clear(&err);
    if (key_check(req, resp, "package_list") < 0)
        return 0;
    json_t *list = NULL;
    if (opendata_list(h->od, 0, &list, &err) < 0)
        return fail_err(req, resp, "package_list", &err);
    json_t *names = json_array();
    size_t i;
    json_t *d;
    json_array_foreach(list, i, d)
    {
        json_array_append(names, json_object_get(d, "slug"));
    }
    json_decref(list);
    return reply(req, resp, "package_list", names, 200, NULL, NULL);
}

static int h_package_show(struct web_req *req, struct web_resp *resp)
{
    struct od_http *h = req->ctx;
    struct err err;
    err_clear(&err);
    const char *id = web_query(req, "id");
    if (key_check(req, resp, "package_show") < 0)
        return 0;
    if (id == NULL || *id == '\0')
        return reply(req, resp, "package_show", NULL, 409, "Validation Error", "id: Missing value");
    json_t *d = NULL;
    if (opendata_get(h->od, id, 0, &d, &err) < 0)
        return fail_err(req, resp, "package_show", &err);
    opendata_count(h->od, json_string_value(json_object_get(d, "slug")), 0, &err);
    const char *base = odh_base(req, h);
    json_t *p = package(base ? base : "", d);
    json_object_set(p, "downloads", json_object_get(d, "downloads"));
    json_object_set(p, "api_calls", json_object_get(d, "api_calls"));
    json_decref(d);
    return reply(req, resp, "package_show", p, 200, NULL, NULL);
}

/* fq as CKAN's clients send it: space-separated field:value terms; organization (or
 * owner_org), groups (or theme) and spatial narrow the search, others are ignored. */
static void parse_fq(struct web_req *req, const char *fq, struct od_query *q)
{
    if (fq == NULL)
        return;
    char *s = arena_strdup(req->arena, fq), *save = NULL;
    for (char *tok = strtok_r(s, " ", &save); tok != NULL; tok = strtok_r(NULL, " ", &save)) {
        char *colon = strchr(tok, ':');
        if (colon == NULL)
            continue;
        *colon = '\0';
        char *v = colon + 1;
        size_t n = strlen(v);
        if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
            v[n - 1] = '\0';
            v++;
        }
        if (strcmp(tok, "organization") == 0 || strcmp(tok, "owner_org") == 0)
            q->department = v;
        else if (strcmp(tok, "groups") == 0 || strcmp(tok, "theme") == 0)
            q->theme = v;
        else if (strcmp(tok, "spatial") == 0)
            q->place = strtoll(v, NULL, 10);
    }
}

static int h_package_search(struct web_req *req, struct web_resp *resp)
{
    struct od_http *h = req->ctx;
    struct err err;
    err_clear(&err);
    int keyed = key_check(req, resp, "package_search");
    if (keyed < 0)
        return 0;
    struct od_query q = {web_query(req, "q"), NULL, NULL, 0};
    if (q.q != NULL && strcmp(q.q, "*:*") == 0)
        q.q = NULL; /* Solr's "everything", which CKAN clients send */
    if (q.q != NULL && strlen(q.q) > 200)
        return reply(req, resp, "package_search", NULL, 409, "Validation Error",
                     "q: the search is too long");
    parse_fq(req, web_query(req, "fq"), &q);
    const char *rs = web_query(req, "rows"), *ss = web_query(req, "start");
    char *end = NULL;
    long long rows = rs ? strtoll(rs, &end, 10) : 10;
    if (rs != NULL && (end == rs || *end || rows < 0))
        return reply(req, resp, "package_search", NULL, 409, "Validation Error",
                     "rows: Invalid integer");
    long long start = ss ? strtoll(ss, &end, 10) : 0;
    if (ss != NULL && (end == ss || *end || start < 0))
        return reply(req, resp, "package_search", NULL, 409, "Validation Error",
                     "start: Invalid integer");
    if (rows > (keyed ? CKAN_MAX_ROWS : CKAN_ANON_ROWS))
        return reply(req, resp, "package_search", NULL, 403, "Authorization Error",
                     keyed ? "rows: at most 1000 per call"
                           : "rows: more than 100 rows per call need an API key");
    json_t *list = NULL;
    if (opendata_list(h->od, 0, &list, &err) < 0)
        return fail_err(req, resp, "package_search", &err);
    const char *base = odh_base(req, h);
    json_t *results = json_array();
    long long count = 0;
    size_t i;
    json_t *d;
    json_array_foreach(list, i, d)
    {
        if (!od_match(d, &q))
            continue;
        if (count >= start && count < start + rows)
            json_array_append_new(results, package(base ? base : "", d));
        count++;
    }
    json_decref(list);
    json_t *r = json_pack("{s:I, s:s, s:{}, s:o, s:{}}", "count", (json_int_t)count, "sort",
                          "metadata_modified desc", "facets", "results", results, "search_facets");
    return reply(req, resp, "package_search", r, 200, NULL, NULL);
}

/* Publishers of published datasets: code -> {names, created, count, id}. */
static json_t *organizations(struct od_http *h, json_t **list, struct err *err)
{
    if (opendata_list(h->od, 0, list, err) < 0)
        return NULL;
    json_t *orgs = json_object();
    size_t i;
    json_t *d;
    json_array_foreach(*list, i, d)
    {
        const char *code = json_string_value(json_object_get(d, "department_code"));
        if (code == NULL)
            continue;
        json_t *o = json_object_get(orgs, code);
        if (o == NULL) {
            o = json_pack("{s:O, s:O, s:I, s:O}", "names", json_object_get(d, "publisher"),
                          "created", json_object_get(d, "created_at"), "count", (json_int_t)0, "id",
                          json_object_get(d, "department_id"));
            json_object_set_new(orgs, code, o);
        }
        json_object_set_new(o, "count",
                            json_integer(json_integer_value(json_object_get(o, "count")) + 1));
    }
    return orgs;
}

static json_t *org_of(const char *base, const char *code, const json_t *o)
{
    json_t *d =
        org_dict(base, code, json_integer_value(json_object_get(o, "id")),
                 json_object_get(o, "names"), json_integer_value(json_object_get(o, "created")));
    json_object_set(d, "package_count", json_object_get(o, "count"));
    return d;
}

static int h_org_list(struct web_req *req, struct web_resp *resp)
{
    struct od_http *h = req->ctx;
    struct err err;
    err_clear(&err);
    if (key_check(req, resp, "organization_list") < 0)
        return 0;
    json_t *list = NULL, *orgs = organizations(h, &list, &err);
    if (orgs == NULL)
        return fail_err(req, resp, "organization_list", &err);
    const char *af = web_query(req, "all_fields");
    int all =
        af != NULL && (strcmp(af, "true") == 0 || strcmp(af, "True") == 0 || strcmp(af, "1") == 0);
    const char *base = odh_base(req, h);
    json_t *out = json_array();
    const char *code;
    json_t *o;
    json_object_foreach(orgs, code, o)
    {
        json_array_append_new(out, all ? org_of(base ? base : "", code, o) : json_string(code));
    }
    json_decref(orgs);
    json_decref(list);
    return reply(req, resp, "organization_list", out, 200, NULL, NULL);
}

static int h_org_show(struct web_req *req, struct web_resp *resp)
{
    struct od_http *h = req->ctx;
    struct err err;
    err_clear(&err);
    if (key_check(req, resp, "organization_show") < 0)
        return 0;
    const char *id = web_query(req, "id");
    if (id == NULL || *id == '\0')
        return reply(req, resp, "organization_show", NULL, 409, "Validation Error",
                     "id: Missing value");
    json_t *list = NULL, *orgs = organizations(h, &list, &err);
    if (orgs == NULL)
        return fail_err(req, resp, "organization_show", &err);
    json_t *o = json_object_get(orgs, id);
    if (o == NULL) {
        json_decref(orgs);
        json_decref(list);
        return reply(req, resp, "organization_show", NULL, 404, "Not Found Error", "Not found");
    }
    const char *base = odh_base(req, h);
    json_t *out = org_of(base ? base : "", id, o);
    const char *inc = web_query(req, "include_datasets");
    if (inc != NULL && (strcmp(inc, "true") == 0 || strcmp(inc, "True") == 0)) {
        json_t *pk = json_array();
        size_t i;
        json_t *d;
        json_array_foreach(list, i, d)
        {
            const char *c = json_string_value(json_object_get(d, "department_code"));
            if (c != NULL && strcmp(c, id) == 0)
                json_array_append_new(pk, package(base ? base : "", d));
        }
        json_object_set_new(out, "packages", pk);
    }
    json_decref(orgs);
    json_decref(list);
    return reply(req, resp, "organization_show", out, 200, NULL, NULL);
}

static int h_unknown(struct web_req *req, struct web_resp *resp)
{
    return reply(req, resp, "help_show", NULL, 400, "Bad request - Action name not known",
                 "Action name not known");
}

int odh_ckan_register(struct web_server *srv, struct od_http *h)
{
    if (web_route(srv, "GET", "/api/3/action/package_list", h_package_list, h) < 0 ||
        web_route(srv, "GET", "/api/3/action/package_show", h_package_show, h) < 0 ||
        web_route(srv, "GET", "/api/3/action/package_search", h_package_search, h) < 0 ||
        web_route(srv, "GET", "/api/3/action/organization_list", h_org_list, h) < 0 ||
        web_route(srv, "GET", "/api/3/action/organization_show", h_org_show, h) < 0 ||
        web_route(srv, "GET", "/api/3/action/{name}", h_unknown, h) < 0)
        return -1;
    return 0;
}
