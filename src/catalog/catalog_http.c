/*
 * catalog_http.c - the service catalog on the web:
 *   GET  /services                        browse: ?q=TEXT &dept=CODE &division=CODE
 *                                         &event=CODE &audience=person|enterprise (any
 *                                         combination; q through the platform search)
 *   GET  /services/{code}                 the guide of one item (办事指南)
 *   GET  /services/bundles/{code}         a life-event bundle (一件事)
 *   GET  /api/v1/services[/...]           the same models as JSON
 *   GET  /admin/catalog                   administrators: every item, its latest version
 *   GET  /admin/catalog/new[?from=CODE]   a draft editor (the item as JSON in a textarea)
 *   POST /admin/catalog/new               save a draft (every problem listed at once)
 *   GET  /admin/catalog/{code}            versions with what changed; publish, retire
 *   POST /admin/catalog/{code}/publish    publish the draft version `version`
 *   POST /admin/catalog/{code}/retire     retire the item
 * Public pages come from the response cache keyed by catalog_version. The administration
 * pages are in catalog_admin_http.c: they ask authz_allowed(subject, "catalog.admin")
 * (platform administrators with two factors).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/lang.h"
#include "base/arena.h"
#include "catalog/catalog_internal.h"
#include "divisions/divisions.h"
#include "identity/identity.h"
#include "l10n/l10n.h"
#include "store/store.h"
#include "web/web.h"

/* The handle every route was registered with. */
static struct catalog *cat_of(const struct web_req *req)
{
    return req->ctx;
}

const char *catalog_web_label(struct web_req *req, const char *prefix, const char *code)
{
    return web_t(req, arena_printf(req->arena, "%s.%s", prefix, code ? code : ""));
}

const char *catalog_web_t_or(struct web_req *req, const char *key, const char *fallback)
{
    const char *s = web_t(req, key);
    return s == NULL || strcmp(s, key) == 0 ? fallback : s;
}

json_t *catalog_web_text(struct web_req *req, const json_t *loc)
{
    return json_pack("{s:s, s:s}", "text", catalog_text(loc, req->lang), "lang",
                     catalog_text_lang(loc, req->lang));
}

static const char *yuan(struct arena *a, int64_t fen)
{
    return arena_printf(a, "%lld.%02lld", (long long)(fen / 100), (long long)(fen % 100));
}

/* A department's name in the request's language (the code when unknown). */
static json_t *dept_json(struct web_req *req, const char *code)
{
    struct identity_department d;
    struct err err;
    const char *name = code, *lang = "zh";
    if (code != NULL &&
        identity_department_find(cat_of(req)->id, req->arena, code, &d, &err) == 0) {
        name = lang_pick(req->lang, d.name_zh, d.name_bo, d.name_en, &lang);
    }
    return json_pack("{s:s, s:s, s:s, s:s}", "code", code ? code : "", "name", name ? name : "",
                     "lang", lang, "url",
                     arena_printf(req->arena, "/services?dept=%s", code ? code : ""));
}

/* ---- browsing ------------------------------------------------------------------------------ */

static int valid_chars(const char *s, const char *allowed, size_t max)
{
    return s != NULL && *s != '\0' && strlen(s) <= max && strspn(s, allowed) == strlen(s);
}

static int has_string(const json_t *a, const char *s)
{
    size_t i;
    const json_t *v;
    json_array_foreach((json_t *)a, i, v)
    {
        if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
            return 1;
    }
    return 0;
}

static json_t *summary_json(struct web_req *req, const json_t *it)
{
    const char *code = json_string_value(json_object_get(it, "code"));
    int64_t fen = json_integer_value(json_object_get(it, "fee_fen"));
    const char *depth = json_string_value(json_object_get(it, "online_depth"));
    json_t *j = json_pack(
        "{s:s, s:o, s:s, s:s, s:o, s:s, s:I, s:b, s:b}", "code", code, "name",
        catalog_web_text(req, json_object_get(it, "name")), "url",
        arena_printf(req->arena, "/services/%s", code), "depth_label",
        catalog_web_label(req, "catalog.depth", depth), "department",
        dept_json(req, json_string_value(json_object_get(it, "department"))), "fee",
        fen == 0
            ? web_t(req, "catalog.fee_free")
            : arena_printf(req->arena, "%s %s", yuan(req->arena, fen), web_t(req, "catalog.yuan")),
        "promised_days", (json_int_t)json_integer_value(json_object_get(it, "promised_days")),
        "region_wide", json_is_true(json_object_get(it, "region_wide")), "cross_province",
        json_is_true(json_object_get(it, "cross_province")));
    json_object_set(j, "summary", (json_t *)it);
    return j;
}

/* The index's filters from the query (empty ones as absent), checked. */
struct index_filters {
    const char *dept, *event, *audience, *division, *q;
    int64_t div;
};

static const char *query_or_null(struct web_req *req, const char *name)
{
    const char *v = web_query(req, name);
    return v != NULL && *v == '\0' ? NULL : v;
}

static int index_filters(struct web_req *req, struct web_resp *resp, struct index_filters *x)
{
    x->dept = query_or_null(req, "dept");
    x->event = query_or_null(req, "event");
    x->audience = query_or_null(req, "audience");
    x->division = query_or_null(req, "division");
    x->q = query_or_null(req, "q");
    x->div = 0;
    if (x->dept != NULL && !valid_chars(x->dept, "abcdefghijklmnopqrstuvwxyz0123456789-_.", 64))
        return web_fail(resp, 400, "catalog.bad_filter", "not a department code");
    if (x->event != NULL && catalog_life_event_find(x->event) == NULL)
        return web_fail(resp, 400, "catalog.bad_filter", "not a life event");
    if (x->audience != NULL && strcmp(x->audience, "person") != 0 &&
        strcmp(x->audience, "enterprise") != 0)
        return web_fail(resp, 400, "catalog.bad_filter", "the audience is person or enterprise");
    struct err err;
    err_clear(&err);
    if (x->division != NULL && divisions_parse_code(x->division, &x->div, &err) < 0)
        return web_fail_err(resp, &err);
    return 0;
}

/* The items' summaries: in the search's order (best first) when there was a text query,
 * else by name as the reader's language sorts. */
static json_t *index_items(struct web_req *req, const json_t *items, const json_t *found)
{
    json_t *list = json_array();
    size_t i;
    json_t *it;
    if (found != NULL) {
        size_t k;
        json_t *code;
        json_array_foreach(found, k, code)
        {
            json_array_foreach(items, i, it)
            {
                if (json_equal(code, json_object_get(it, "code")))
                    json_array_append_new(list, summary_json(req, it));
            }
        }
    } else {
        json_array_foreach(items, i, it) json_array_append_new(list, summary_json(req, it));
        l10n_sort(req->lang, list, "name.text");
    }
    return list;
}

/* The life events for people and for enterprises, the current one marked. */
static void index_events(struct web_req *req, const char *event, json_t *ev_person, json_t *ev_ent)
{
    for (size_t k = 0; k < catalog_life_event_count; k++) {
        const struct catalog_life_event *e = &catalog_life_events[k];
        json_array_append_new(strcmp(e->audience, "person") == 0 ? ev_person : ev_ent,
                              json_pack("{s:s, s:s, s:s, s:b}", "code", e->code, "label",
                                        catalog_web_label(req, "catalog.events", e->code), "url",
                                        arena_printf(req->arena, "/services?event=%s", e->code),
                                        "current", event != NULL && strcmp(event, e->code) == 0));
    }
}

/* The departments (sorted by name) and the divisions they are in, the chosen ones marked. */
static int index_places(struct web_req *req, const struct index_filters *x, json_t *dlist,
                        json_t *divs, struct err *err)
{
    struct identity_department *depts = NULL;
    size_t ndepts = 0;
    struct store_conn *c = store_conn(cat_of(req)->st, err);
    if (c == NULL ||
        identity_department_list(cat_of(req)->id, req->arena, &depts, &ndepts, err) < 0)
        return -1;
    for (size_t k = 0; k < ndepts; k++) {
        json_t *dj = dept_json(req, depts[k].code);
        json_object_set_new(dj, "selected",
                            json_boolean(x->dept != NULL && strcmp(x->dept, depts[k].code) == 0));
        json_array_append_new(dlist, dj);
        int seen = 0;
        for (size_t m = 0; m < k; m++)
            if (depts[m].division_code == depts[k].division_code)
                seen = 1;
        struct division d;
        struct err e2;
        if (!seen && divisions_get(c, req->arena, depts[k].division_code, &d, &e2) == 0)
            json_array_append_new(
                divs, json_pack("{s:s, s:s, s:b}", "code",
                                arena_printf(req->arena, "%012lld", (long long)d.code), "name",
                                divisions_name(&d, req->lang), "selected", d.code == x->div));
    }
    l10n_sort(req->lang, dlist, "name");
    return 0;
}

/* The bundles (一件事), only those a text query found when there was one. */
static json_t *index_bundles(struct web_req *req, const json_t *found_bundles)
{
    struct err err;
    json_t *bundles;
    if (catalog_bundles(cat_of(req)->st, &bundles, &err) < 0)
        bundles = json_array();
    json_t *blist = json_array();
    size_t i;
    json_t *it;
    json_array_foreach(bundles, i, it)
    {
        const char *bcode = json_string_value(json_object_get(it, "code"));
        if (found_bundles != NULL && !has_string(found_bundles, bcode))
            continue;
        json_array_append_new(blist,
                              json_pack("{s:s, s:o, s:s}", "code", bcode, "name",
                                        catalog_web_text(req, json_object_get(it, "name")), "url",
                                        arena_printf(req->arena, "/services/bundles/%s", bcode)));
    }
    json_decref(bundles);
    return blist;
}

static int h_index(struct web_req *req, struct web_resp *resp)
{
    struct index_filters x;
    if (index_filters(req, resp, &x) < 0)
        return -1;
    struct err err;
    err_clear(&err);
    int64_t version = catalog_version(cat_of(req)->st);
    const char *key =
        arena_printf(req->arena, "catalog:index:%s:%lld:%s:%s", x.dept ? x.dept : "",
                     (long long)x.div, x.event ? x.event : "", x.audience ? x.audience : "");
    /* A text query is not cached: its answers are as many as the texts people type. */
    if (x.q == NULL && version >= 0 && web_cache_hit(req, resp, key, version))
        return 0;

    json_t *handled_in = NULL;
    if (x.div != 0 && catalog_departments_in(cat_of(req), x.div, &handled_in, &err) < 0)
        return web_fail_err(resp, &err);
    struct catalog_filter f = {x.dept, x.event, x.audience, handled_in};
    json_t *items, *found = NULL, *found_bundles = NULL;
    int listed = catalog_list(cat_of(req)->st, &f, &items, &err);
    json_decref(handled_in);
    if (listed < 0)
        return web_fail_err(resp, &err);
    if (x.q != NULL &&
        (catalog_find(cat_of(req), CATALOG_KIND_ITEM, x.q, 100, &found, &err) < 0 ||
         catalog_find(cat_of(req), CATALOG_KIND_BUNDLE, x.q, 100, &found_bundles, &err) < 0)) {
        json_decref(items);
        json_decref(found);
        return web_fail_err(resp, &err);
    }
    json_t *list = index_items(req, items, found);
    json_decref(items);
    json_decref(found);

    /* The ways in: life events for people and for enterprises, departments, divisions. */
    json_t *ev_person = json_array(), *ev_ent = json_array();
    index_events(req, x.event, ev_person, ev_ent);
    json_t *dlist = json_array(), *divs = json_array();
    if (index_places(req, &x, dlist, divs, &err) < 0) {
        json_decref(list);
        json_decref(ev_person);
        json_decref(ev_ent);
        json_decref(dlist);
        json_decref(divs);
        json_decref(found_bundles);
        return web_fail_err(resp, &err);
    }
    json_t *blist = index_bundles(req, found_bundles);
    json_decref(found_bundles);
    size_t n = json_array_size(list);
    json_t *m = json_pack("{s:s, s:o, s:I, s:b, s:o, s:o, s:o, s:o, s:o}", "title",
                          web_t(req, "catalog.title"), "items", list, "count", (json_int_t)n,
                          "has_items", n > 0, "events_person", ev_person, "events_enterprise",
                          ev_ent, "departments", dlist, "divisions", divs, "bundles", blist);
    json_object_set_new(m, "filters",
                        json_pack("{s:s?, s:s?, s:s?, s:s?, s:s?}", "dept", x.dept, "event",
                                  x.event, "audience", x.audience, "division", x.division, "q",
                                  x.q));
    json_object_set_new(m, "has_bundles", json_boolean(json_array_size(blist) > 0));
    json_object_set_new(m, "audience_person",
                        json_boolean(x.audience && strcmp(x.audience, "person") == 0));
    json_object_set_new(m, "audience_enterprise",
                        json_boolean(x.audience && strcmp(x.audience, "enterprise") == 0));
    resp->max_age = x.q == NULL ? 60 : 0;
    return web_page(resp, m, "catalog/index", 200);
}

/* ---- the guide ------------------------------------------------------------------------------ */

static json_t *loc_list(struct web_req *req, const json_t *a)
{
    json_t *out = json_array();
    size_t i;
    const json_t *v;
    json_array_foreach((json_t *)a, i, v) json_array_append_new(out, catalog_web_text(req, v));
    return out;
}

static json_t *guide_model(struct web_req *req, json_t *item)
{
    struct arena *a = req->arena;
    const char *code = json_string_value(json_object_get(item, "code"));
    json_t *m = json_object();
    json_object_set_new(m, "title",
                        json_string(catalog_text(json_object_get(item, "name"), req->lang)));
    json_object_set_new(m, "code", json_string(code));
    json_object_set_new(m, "name", catalog_web_text(req, json_object_get(item, "name")));
    json_object_set_new(
        m, "type_label",
        json_string(catalog_web_label(req, "catalog.types",
                                      json_string_value(json_object_get(item, "type")))));
    json_object_set_new(m, "department",
                        dept_json(req, json_string_value(json_object_get(item, "department"))));
    json_t *hb = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(item, "handled_by"), i, v)
        json_array_append_new(hb, dept_json(req, json_string_value(v)));
    json_object_set_new(m, "handled_by", hb);
    json_t *aud = json_array(), *levels = json_array(), *events = json_array();
    json_array_foreach(json_object_get(item, "audience"), i, v) json_array_append_new(
        aud, json_string(catalog_web_label(req, "catalog.audience", json_string_value(v))));
    json_array_foreach(json_object_get(item, "levels"), i, v) json_array_append_new(
        levels, json_string(catalog_web_label(req, "catalog.levels", json_string_value(v))));
    json_array_foreach(json_object_get(item, "life_events"), i, v) json_array_append_new(
        events, json_pack("{s:s, s:s}", "label",
                          catalog_web_label(req, "catalog.events", json_string_value(v)), "url",
                          arena_printf(a, "/services?event=%s", json_string_value(v))));
    json_object_set_new(m, "audience", aud);
    json_object_set_new(m, "levels", levels);
    json_object_set_new(m, "life_events", events);
    json_object_set_new(m, "legal_basis",
                        catalog_web_text(req, json_object_get(item, "legal_basis")));
    json_object_set_new(m, "conditions",
                        catalog_web_text(req, json_object_get(item, "conditions")));
    json_t *mats = json_array();
    json_array_foreach(json_object_get(item, "materials"), i, v)
    {
        const char *ct = json_string_value(json_object_get(v, "cert_type"));
        json_t *mj = json_pack(
            "{s:i, s:o, s:s, s:s, s:I}", "n", (int)i + 1, "name",
            catalog_web_text(req, json_object_get(v, "name")), "required",
            web_t(req, json_is_true(json_object_get(v, "required")) ? "catalog.required"
                                                                    : "catalog.optional"),
            "form",
            catalog_web_label(req, "catalog.forms", json_string_value(json_object_get(v, "form"))),
            "count", (json_int_t)json_integer_value(json_object_get(v, "count")));
        if (ct != NULL)
            json_object_set_new(mj, "cert",
                                json_string(catalog_web_t_or(
                                    req, arena_printf(a, "catalog.cert_types.%s", ct), ct)));
        if (json_object_get(v, "note") != NULL)
            json_object_set_new(mj, "note", catalog_web_text(req, json_object_get(v, "note")));
        json_array_append_new(mats, mj);
    }
    json_object_set_new(m, "materials", mats);
    json_t *fee = json_object_get(item, "fee");
    int64_t fen = json_integer_value(json_object_get(fee, "fen"));
    json_object_set_new(
        m, "fee",
        json_string(fen == 0 ? web_t(req, "catalog.fee_free")
                             : arena_printf(a, "%s %s", yuan(a, fen), web_t(req, "catalog.yuan"))));
    if (json_object_get(fee, "basis") != NULL)
        json_object_set_new(m, "fee_basis", catalog_web_text(req, json_object_get(fee, "basis")));
    json_t *tl = json_object_get(item, "time_limit");
    json_object_set_new(m, "legal_days",
                        json_integer(json_integer_value(json_object_get(tl, "legal_days"))));
    json_object_set_new(m, "promised_days",
                        json_integer(json_integer_value(json_object_get(tl, "promised_days"))));
    json_object_set_new(
        m, "on_the_spot",
        json_boolean(json_integer_value(json_object_get(tl, "promised_days")) == 0));
    json_object_set_new(m, "steps", loc_list(req, json_object_get(item, "steps")));
    json_object_set_new(
        m, "depth_label",
        json_string(catalog_web_label(req, "catalog.depth",
                                      json_string_value(json_object_get(item, "online_depth")))));
    json_object_set_new(
        m, "region_wide",
        json_string(web_t(req, json_is_true(json_object_get(item, "region_wide")) ? "catalog.yes"
                                                                                  : "catalog.no")));
    json_object_set_new(m, "cross_province",
                        json_string(web_t(req, json_is_true(json_object_get(item, "cross_province"))
                                                   ? "catalog.yes"
                                                   : "catalog.no")));
    json_t *contact = json_object_get(item, "contact");
    json_object_set_new(m, "phone",
                        json_string(json_string_value(json_object_get(contact, "phone"))));
    json_object_set_new(m, "contact_address",
                        catalog_web_text(req, json_object_get(contact, "address")));
    json_t *wins = json_array();
    json_array_foreach(json_object_get(item, "windows"), i, v) json_array_append_new(
        wins,
        json_pack("{s:o, s:o, s:o}", "name", catalog_web_text(req, json_object_get(v, "name")),
                  "address", catalog_web_text(req, json_object_get(v, "address")), "hours",
                  catalog_web_text(req, json_object_get(v, "hours"))));
    json_object_set_new(m, "windows", wins);
    const char *issues = json_string_value(json_object_get(item, "issues_cert_type"));
    if (issues != NULL)
        json_object_set_new(m, "issues",
                            json_string(catalog_web_t_or(
                                req, arena_printf(a, "catalog.cert_types.%s", issues), issues)));
    json_object_set_new(m, "field_count",
                        json_integer((json_int_t)json_array_size(
                            json_object_get(json_object_get(item, "form"), "fields"))));
    json_object_set_new(m, "apply_url", json_string(arena_printf(a, "/services/%s/apply", code)));
    json_object_set_new(m, "api_url", json_string(arena_printf(a, "/api/v1/services/%s", code)));
    json_object_set_new(m, "version",
                        json_integer(json_integer_value(json_object_get(item, "version"))));
    json_object_set(m, "item", item);
    return m;
}

static int h_guide(struct web_req *req, struct web_resp *resp)
{
    const char *code = web_param(req, "code");
    if (!valid_chars(code, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-", CATALOG_CODE_MAX))
        return web_fail(resp, 404, "catalog.not_found", "no such service item");
    int64_t version = catalog_version(cat_of(req)->st);
    const char *key = arena_printf(req->arena, "catalog:item:%s", code);
    if (version >= 0 && web_cache_hit(req, resp, key, version))
        return 0;
    json_t *item;
    struct err err;
    err_clear(&err);
    if (catalog_item_published(cat_of(req)->st, code, &item, &err) < 0)
        return web_fail_err(resp, &err);
    json_t *m = guide_model(req, item);
    json_decref(item);
    resp->max_age = 60;
    return web_page(resp, m, "catalog/guide", 200);
}

static int h_bundle(struct web_req *req, struct web_resp *resp)
{
    const char *code = web_param(req, "code");
    if (!valid_chars(code, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-", CATALOG_CODE_MAX))
        return web_fail(resp, 404, "catalog.not_found", "no such bundle");
    int64_t version = catalog_version(cat_of(req)->st);
    const char *key = arena_printf(req->arena, "catalog:bundle:%s", code);
    if (version >= 0 && web_cache_hit(req, resp, key, version))
        return 0;
    json_t *b;
    struct err err;
    err_clear(&err);
    if (catalog_bundle_get(cat_of(req)->st, code, &b, &err) < 0)
        return web_fail_err(resp, &err);
    json_t *items = json_array();
    size_t i;
    json_t *v;
    int64_t total_promised = 0;
    json_array_foreach(json_object_get(b, "items"), i, v)
    {
        json_t *it;
        struct err e2;
        if (catalog_item_published(cat_of(req)->st, json_string_value(v), &it, &e2) < 0)
            continue; /* retired since: the bundle shows what can be applied for */
        int64_t p =
            json_integer_value(json_object_get(json_object_get(it, "time_limit"), "promised_days"));
        if (p > total_promised)
            total_promised = p;
        json_array_append_new(
            items,
            json_pack("{s:s, s:o, s:s, s:o, s:I}", "code", json_string_value(v), "name",
                      catalog_web_text(req, json_object_get(it, "name")), "url",
                      arena_printf(req->arena, "/services/%s", json_string_value(v)), "department",
                      dept_json(req, json_string_value(json_object_get(it, "department"))),
                      "promised_days", (json_int_t)p));
        json_decref(it);
    }
    const char *event = json_string_value(json_object_get(b, "life_event"));
    json_t *m =
        json_pack("{s:s, s:s, s:o, s:s, s:s, s:o, s:I, s:s, s:O}", "title",
                  catalog_text(json_object_get(b, "name"), req->lang), "code", code, "name",
                  catalog_web_text(req, json_object_get(b, "name")), "event_label",
                  catalog_web_label(req, "catalog.events", event), "event_url",
                  arena_printf(req->arena, "/services?event=%s", event), "items", items,
                  "promised_days", (json_int_t)total_promised, "apply_url",
                  arena_printf(req->arena, "/services/bundles/%s/apply", code), "bundle", b);
    json_decref(b);
    resp->max_age = 60;
    return web_page(resp, m, "catalog/bundle", 200);
}

int catalog_http_register(struct web_server *srv, struct catalog *cat)
{
    if (web_route(srv, "GET", "/services", h_index, cat) < 0 ||
        web_route(srv, "GET", "/services/bundles/{code}", h_bundle, cat) < 0 ||
        web_route(srv, "GET", "/services/{code}", h_guide, cat) < 0 ||
        web_route(srv, "GET", "/api/v1/services", h_index, cat) < 0 ||
        web_route(srv, "GET", "/api/v1/services/bundles/{code}", h_bundle, cat) < 0 ||
        web_route(srv, "GET", "/api/v1/services/{code}", h_guide, cat) < 0 ||
        catalog_admin_routes(srv, cat) < 0)
        return -1;
    return 0;
}
