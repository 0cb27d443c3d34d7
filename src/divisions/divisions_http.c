/*
 * divisions_http.c - the divisions pages and their JSON twins:
 *   GET /divisions                  the region, its prefectures and counts per level
 *   GET /divisions/{code}           one division, the way up to the region, its children
 *   GET /api/v1/divisions[/{code}]  the same view models as JSON
 *   GET /api/v1/divisions/search?q=  the picker's type-ahead: names in zh, bo, en, or a code
 *   GET /api/v1/divisions/{code}/picker  the picker's model with `code` chosen (the script
 *                                    refills the selects from it; divisions_picker.c)
 * Names are shown in the request's language where a translation exists, else in Chinese,
 * marked with lang="zh" so browsers and screen readers treat them right.
 */
#include "divisions/divisions_internal.h"

#include <stdio.h>

#include "base/arena.h"
#include "store/store.h"
#include "web/web.h"

#define MAX_DEPTH 5

static json_t *division_json(struct web_req *req, const struct division *d)
{
    char code[16], key[64];
    snprintf(code, sizeof(code), "%012lld", (long long)d->code);
    const char *name = divisions_name(d, req->lang);
    const char *name_lang = name == d->name_zh ? "zh" : req->lang;
    snprintf(key, sizeof(key), "divisions.levels.%s", divisions_level_key(d->level));
    json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "code", code, "name", name,
                          "name_lang", name_lang, "name_zh", d->name_zh, "level",
                          divisions_level_key(d->level), "level_name", web_t(req, key), "url",
                          arena_printf(req->arena, "/divisions/%s", code));
    if (j == NULL)
        return NULL;
    json_object_set_new(j, "name_bo", d->name_bo ? json_string(d->name_bo) : json_null());
    json_object_set_new(j, "name_en", d->name_en ? json_string(d->name_en) : json_null());
    /* Where the Tibetan name comes from: the reference data's source, a page address
     * perhaps followed by a note; the page shows the address as a link. */
    const char *src = d->name_bo_source;
    json_object_set_new(j, "name_bo_source", src ? json_string(src) : json_null());
    if (src != NULL && (strncmp(src, "https://", 8) == 0 || strncmp(src, "http://", 7) == 0))
        json_object_set_new(j, "name_bo_source_url",
                            json_string(arena_strndup(req->arena, src, strcspn(src, " "))));
    json_object_set_new(j, "api_url",
                        json_string(arena_printf(req->arena, "/api/v1/divisions/%s", code)));
    if (d->parent_code != 0) {
        snprintf(code, sizeof(code), "%012lld", (long long)d->parent_code);
        json_object_set_new(j, "parent_code", json_string(code));
    }
    return j;
}

/* The model shared by the index and the show page. */
static int division_model(struct web_req *req, struct web_resp *resp, int64_t code, int index)
{
    struct store *s = req->ctx;
    struct err err;
    err_clear(&err);
    struct store_conn *c = store_conn(s, &err);
    struct division d, *kids = NULL;
    size_t nkids = 0;
    if (c == NULL || divisions_get(c, req->arena, code, &d, &err) < 0 ||
        divisions_children(c, req->arena, code, &kids, &nkids, &err) < 0)
        return web_fail_err(resp, &err);

    /* The way up to the root, for breadcrumbs: at most MAX_DEPTH levels. */
    struct division chain[MAX_DEPTH];
    int depth = 0;
    chain[depth++] = d;
    while (depth < MAX_DEPTH && chain[depth - 1].parent_code != 0) {
        if (divisions_get(c, req->arena, chain[depth - 1].parent_code, &chain[depth], &err) < 0)
            return web_fail(resp, 500, "divisions.broken_tree", "%s", err.msg);
        depth++;
    }
    json_t *crumbs = json_array();
    for (int i = depth - 1; i >= 0; i--)
        json_array_append_new(crumbs, division_json(req, &chain[i]));
    json_object_set_new(json_array_get(crumbs, json_array_size(crumbs) - 1), "current",
                        json_true());

    json_t *children = json_array();
    for (size_t i = 0; i < nkids; i++)
        json_array_append_new(children, division_json(req, &kids[i]));

    json_t *model = json_object();
    json_object_set_new(model, "division", division_json(req, &d));
    json_object_set_new(model, "breadcrumbs", crumbs);
    json_object_set_new(model, "children", children);
    json_object_set_new(model, "children_count", json_integer((json_int_t)nkids));
    json_object_set_new(model, "has_children", json_boolean(nkids > 0));
    if (d.level < DIVISION_VILLAGE) {
        char key[64];
        snprintf(key, sizeof(key), "divisions.levels.%s", divisions_level_key(d.level + 1));
        json_object_set_new(model, "children_level_name", json_string(web_t(req, key)));
    }
    const char *name = divisions_name(&d, req->lang);
    json_object_set_new(model, "title",
                        json_string(index ? web_t(req, "divisions.title")
                                          : arena_printf(req->arena, "%s · %s", name,
                                                         web_t(req, "divisions.title"))));
    if (index) {
        int64_t counts[6];
        if (divisions_count_by_level(c, counts, &err) < 0) {
            json_decref(model);
            return web_fail_err(resp, &err);
        }
        json_t *stats = json_array();
        for (int level = DIVISION_PREFECTURE; level <= DIVISION_VILLAGE; level++) {
            char key[64];
            snprintf(key, sizeof(key), "divisions.levels.%s", divisions_level_key(level));
            json_array_append_new(
                stats, json_pack("{s:s, s:s, s:I}", "level", divisions_level_key(level), "name",
                                 web_t(req, key), "count", (json_int_t)counts[level]));
        }
        json_object_set_new(model, "counts", json_pack("{s:o}", "items", stats));
    }
    resp->max_age = 60;
    return web_page(resp, model, "divisions/show", 200);
}

/* Divisions are reference data: pages are served from the response cache until the
 * divisions version changes. */
static int cached(struct web_req *req, struct web_resp *resp, int64_t code, int index)
{
    struct err err;
    struct store_conn *c = store_conn(req->ctx, &err);
    int64_t version = c ? divisions_version(c) : -1;
    if (version < 0)
        return 0;
    char key[48];
    snprintf(key, sizeof(key), "divisions:%lld:%d", (long long)code, index);
    return web_cache_hit(req, resp, key, version);
}

static int h_index(struct web_req *req, struct web_resp *resp)
{
    if (cached(req, resp, DIVISIONS_ROOT, 1))
        return 0;
    return division_model(req, resp, DIVISIONS_ROOT, 1);
}

static int h_show(struct web_req *req, struct web_resp *resp)
{
    int64_t code;
    struct err err;
    if (divisions_parse_code(web_param(req, "code"), &code, &err) < 0)
        return web_fail_err(resp, &err);
    if (cached(req, resp, code, 0))
        return 0;
    return division_model(req, resp, code, 0);
}

/* The longest type-ahead text looked for: longer names do not exist. */
#define SEARCH_MAX_BYTES 120

/* "Township · Chengguan · Lhasa": what a hit is and where, so that two villages of the same
 * name can be told apart. */
static const char *hit_context(struct web_req *req, struct store_conn *c, const struct division *d)
{
    const char *out =
        web_t(req, arena_printf(req->arena, "divisions.levels.%s", divisions_level_key(d->level)));
    int64_t up = d->parent_code;
    for (int depth = 0; up != 0 && up != DIVISIONS_ROOT && depth < MAX_DEPTH; depth++) {
        struct division p;
        struct err err;
        if (divisions_get(c, req->arena, up, &p, &err) < 0)
            break;
        out = arena_printf(req->arena, "%s · %s", out, divisions_name(&p, req->lang));
        up = p.parent_code;
    }
    return out;
}

static int h_search(struct web_req *req, struct web_resp *resp)
{
    const char *q = web_query(req, "q");
    int64_t limit;
    if (web_query_int(req, resp, "limit", 1, 50, 10, &limit) < 0)
        return -1;
    if (q == NULL)
        q = "";
    if (strlen(q) > SEARCH_MAX_BYTES)
        return web_fail(resp, 400, "divisions.query_too_long", "at most %d bytes",
                        SEARCH_MAX_BYTES);
    struct err err;
    struct store_conn *c = store_conn(req->ctx, &err);
    struct division *hits = NULL;
    size_t n = 0;
    if (c == NULL || divisions_search(c, req->arena, q, (int)limit, &hits, &n, &err) < 0)
        return web_fail_err(resp, &err);
    json_t *results = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *j = division_json(req, &hits[i]);
        json_object_set_new(j, "context", json_string(hit_context(req, c, &hits[i])));
        json_array_append_new(results, j);
    }
    return web_page(resp, json_pack("{s:s, s:o}", "q", q, "results", results), "divisions/show",
                    200);
}

static int h_picker(struct web_req *req, struct web_resp *resp)
{
    int64_t code;
    struct err err;
    struct division d;
    if (divisions_parse_code(web_param(req, "code"), &code, &err) < 0)
        return web_fail_err(resp, &err);
    char key[48];
    snprintf(key, sizeof(key), "divisions:picker:%lld", (long long)code);
    struct store_conn *c = store_conn(req->ctx, &err);
    if (c == NULL)
        return web_fail_err(resp, &err);
    int64_t version = divisions_version(c);
    if (version >= 0 && web_cache_hit(req, resp, key, version))
        return 0;
    json_t *m = NULL;
    if (divisions_get(c, req->arena, code, &d, &err) < 0 ||
        divisions_picker_model(c, req->arena, req->lang, code, DIVISION_TOWNSHIP, &m, &err) < 0)
        return web_fail_err(resp, &err);
    resp->max_age = 60;
    return web_page(resp, m, "divisions/show", 200);
}

int divisions_http_register(struct web_server *srv, struct store *s)
{
    if (web_route(srv, "GET", "/divisions", h_index, s) < 0 ||
        web_route(srv, "GET", "/divisions/{code}", h_show, s) < 0 ||
        web_route(srv, "GET", "/api/v1/divisions", h_index, s) < 0 ||
        web_route(srv, "GET", "/api/v1/divisions/{code}", h_show, s) < 0 ||
        web_route(srv, "GET", "/api/v1/divisions/search", h_search, s) < 0 ||
        web_route(srv, "GET", "/api/v1/divisions/{code}/picker", h_picker, s) < 0)
        return -1;
    return 0;
}
