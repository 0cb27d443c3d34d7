/*
 * portal.c - the home page (portal.h), and the installation fact that the demo region was
 * loaded (platform_meta "demo_loaded_at", through store_meta_set).
 *
 * Popular services: the items applied for most in the last 30 days (the popular hook, when
 * wiring gives one and it names at least POPULAR_MIN published items); otherwise the
 * catalog's curated list, the items with a "featured" rank, lowest first. Which items are
 * popular is data, never code here.
 *
 * Notices: the holidays and make-up working days of the next NOTICE_DAYS days from the
 * working-day calendar (they move every deadline and close the service halls), one line per
 * run of days.
 *
 * An anonymous visitor's page depends only on the language, the day, the catalog and the
 * calendar: it is served from the response cache under a key with the day and a version
 * that moves with either. A logged-in person's page is never cached (web_cache_hit).
 */
#include "portal/portal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/arena.h"
#include "base/id.h"
#include "calendar/calendar.h"
#include "catalog/catalog.h"
#include "l10n/l10n.h"
#include "store/store.h"
#include "web/web.h"

#define POPULAR_DAYS 30
#define POPULAR_MAX 6
#define POPULAR_MIN 3
#define MINE_MAX 3
#define NOTICE_DAYS 60
#define NOTICE_MAX 4

struct portal {
    struct store *st;
    struct portal_hooks hooks; /* set once before serving */
};

int portal_open(struct store *s, struct portal **out, struct err *err)
{
    struct portal *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return err_set(err, 500, "portal.oom", "out of memory");
    p->st = s;
    *out = p;
    return 0;
}

void portal_close(struct portal *p)
{
    free(p);
}

void portal_set_hooks(struct portal *p, const struct portal_hooks *h)
{
    if (h != NULL)
        p->hooks = *h;
    else
        memset(&p->hooks, 0, sizeof(p->hooks));
}

/* The handle every route was registered with. */
static const struct portal_hooks *hooks_of(const struct web_req *req)
{
    return &((const struct portal *)req->ctx)->hooks;
}

int portal_mark_demo(struct store *s, struct err *err)
{
    struct store_conn *c = store_conn(s, err);
    return c == NULL ? -1 : store_meta_set_int64(c, "demo_loaded_at", time_now_ms(), err);
}

/* A localised name {text, lang}: the reader's language when the catalog has it. */
static json_t *loc_name(struct web_req *req, const json_t *loc)
{
    const char *s = json_string_value(json_object_get(loc, req->lang));
    const char *lang = req->lang;
    if (s == NULL || *s == '\0') {
        s = json_string_value(json_object_get(loc, "zh"));
        lang = "zh";
    }
    return json_pack("{s:s, s:s}", "text", s != NULL ? s : "", "lang", lang);
}

static const json_t *find_item(const json_t *items, const char *code)
{
    size_t i;
    json_t *it;
    json_array_foreach((json_t *)items, i, it)
    {
        if (code != NULL && strcmp(json_string_value(json_object_get(it, "code")), code) == 0)
            return it;
    }
    return NULL;
}

static json_t *service_link(struct web_req *req, const json_t *it)
{
    const char *code = json_string_value(json_object_get(it, "code"));
    return json_pack("{s:s, s:o, s:s}", "code", code, "name",
                     loc_name(req, json_object_get(it, "name")), "url",
                     arena_printf(req->arena, "/services/%s", code));
}

static int by_featured(const void *a, const void *b)
{
    const json_t *x = *(const json_t *const *)a, *y = *(const json_t *const *)b;
    json_int_t fx = json_integer_value(json_object_get(x, "featured"));
    json_int_t fy = json_integer_value(json_object_get(y, "featured"));
    return fx < fy ? -1 : fx > fy;
}

/* Popular services (see the file comment); *from_use says which rule gave them. */
static json_t *popular(struct web_req *req, const json_t *items, int *from_use)
{
    json_t *out = json_array(), *counts = NULL;
    struct err err;
    *from_use = 0;
    const struct portal_hooks *hk = hooks_of(req);
    if (hk->popular != NULL && hk->popular(hk->ctx, time_now_ms() - POPULAR_DAYS * 86400000LL,
                                           POPULAR_MAX * 2, &counts, &err) == 0) {
        size_t i;
        json_t *c;
        json_array_foreach(counts, i, c)
        {
            const json_t *it = find_item(items, json_string_value(json_object_get(c, "code")));
            if (it != NULL && json_array_size(out) < POPULAR_MAX)
                json_array_append_new(out, service_link(req, it));
        }
        json_decref(counts);
        if (json_array_size(out) >= POPULAR_MIN) {
            *from_use = 1;
            return out;
        }
        json_array_clear(out);
    }
    size_t n = 0, i;
    json_t *it;
    const json_t **featured = calloc(json_array_size(items) + 1, sizeof(*featured));
    if (featured == NULL)
        return out;
    json_array_foreach((json_t *)items, i, it)
    {
        if (json_integer_value(json_object_get(it, "featured")) > 0)
            featured[n++] = it;
    }
    qsort(featured, n, sizeof(*featured), by_featured);
    for (i = 0; i < n && i < POPULAR_MAX; i++)
        json_array_append_new(out, service_link(req, featured[i]));
    free(featured);
    return out;
}

static json_t *life_events(struct web_req *req, const char *audience)
{
    json_t *out = json_array();
    for (size_t k = 0; k < catalog_life_event_count; k++) {
        const struct catalog_life_event *e = &catalog_life_events[k];
        if (strcmp(e->audience, audience) != 0)
            continue;
        json_array_append_new(
            out, json_pack("{s:s, s:s}", "label",
                           web_t(req, arena_printf(req->arena, "catalog.events.%s", e->code)),
                           "url", arena_printf(req->arena, "/services?event=%s", e->code)));
    }
    return out;
}

static json_t *bundles(struct web_req *req)
{
    json_t *all = NULL, *out = json_array();
    struct err err;
    if (catalog_bundles(((struct portal *)req->ctx)->st, &all, &err) < 0)
        return out;
    size_t i;
    json_t *b;
    json_array_foreach(all, i, b)
    {
        const char *code = json_string_value(json_object_get(b, "code"));
        json_array_append_new(
            out, json_pack("{s:o, s:s}", "name", loc_name(req, json_object_get(b, "name")), "url",
                           arena_printf(req->arena, "/services/bundles/%s", code)));
    }
    json_decref(all);
    return out;
}

/* ---- notices ------------------------------------------------------------------------------ */

/* The holidays and make-up working days of the coming NOTICE_DAYS days, one entry per run of
 * consecutive days of the same kind and name. */
static json_t *notices(struct web_req *req, const struct calendar *cal)
{
    json_t *out = json_array();
    int32_t today = calendar_day_of_ms(time_now_ms());
    for (int32_t d = today; d < today + NOTICE_DAYS && json_array_size(out) < NOTICE_MAX; d++) {
        const struct calendar_day *sp = calendar_special(cal, d);
        if (sp == NULL)
            continue;
        int32_t end = d;
        for (const struct calendar_day *nx; (nx = calendar_special(cal, end + 1)) != NULL &&
                                            nx->kind == sp->kind &&
                                            strcmp(nx->name_zh, sp->name_zh) == 0;)
            end++;
        const char *key = arena_printf(req->arena, "calendar.holiday_names.%s", sp->name_zh);
        const char *name = web_t(req, key), *lang = req->lang;
        if (strcmp(name, key) == 0)
            name = sp->name_zh, lang = "zh";
        const char *kind = calendar_kind_name(sp->kind);
        char from[11], to[11];
        json_array_append_new(
            out,
            json_pack("{s:s, s:s, s:s, s:s, s:s, s:b}", "name", name, "name_lang", lang,
                      "kind_label", web_t(req, arena_printf(req->arena, "calendar.kinds.%s", kind)),
                      "from", calendar_format_date(d, from), "to", calendar_format_date(end, to),
                      "single", end == d));
        d = end;
    }
    return out;
}

/* ---- the logged-in person ------------------------------------------------------------------ */

/* My applications and messages, when wiring connected them (errors leave a section out: the
 * home page must show whatever else it can). */
static void mine(struct web_req *req, const struct web_session *ss, const json_t *items, json_t *m)
{
    struct err err;
    json_t *apps = NULL, *msgs = NULL;
    int64_t unread = 0;
    const struct portal_hooks *hk = hooks_of(req);
    if (hk->applications != NULL &&
        hk->applications(hk->ctx, ss->account_id, ss->aal, req->lang, MINE_MAX, &apps, &err) == 0) {
        /* Only what the page shows (the rows carry more, such as the applicant's name). */
        json_t *list = json_array();
        size_t i;
        json_t *a;
        json_array_foreach(apps, i, a)
        {
            const char *num = json_string_value(json_object_get(a, "number"));
            const char *code = json_string_value(json_object_get(a, "item_code"));
            const char *state = json_string_value(json_object_get(a, "state"));
            const char *name = json_string_value(json_object_get(a, "item_name"));
            const json_t *it = find_item(items, code);
            json_t *row = json_pack(
                "{s:s?, s:s?, s:o, s:s, s:s}", "number", num, "item_code", code, "name",
                it != NULL ? loc_name(req, json_object_get(it, "name"))
                           : json_pack("{s:s, s:s}", "text", name ? name : "", "lang", "zh"),
                "state_label",
                web_t(req, arena_printf(req->arena, "apply.states.%s", state ? state : "")), "url",
                num != NULL && *num != '\0'
                    ? arena_printf(req->arena, "/applications/%s", num)
                    : arena_printf(req->arena, "/services/%s/apply?draft=%s", code ? code : "",
                                   json_string_value(json_object_get(a, "draft_id"))));
            if (row != NULL)
                json_array_append_new(list, row);
        }
        json_decref(apps);
        apps = list;
        json_object_set_new(m, "applications", apps);
        json_object_set_new(m, "has_applications", json_boolean(json_array_size(apps) > 0));
        json_object_set_new(m, "shows_applications", json_true());
    }
    if (hk->messages != NULL && hk->messages(hk->ctx, ss->account_id, ss->aal, req->lang, MINE_MAX,
                                             &msgs, &unread, &err) == 0) {
        size_t i;
        json_t *v;
        json_array_foreach(msgs, i, v)
        {
            json_object_set_new(
                v, "when",
                json_string(l10n_datetime(req->arena, req->lang,
                                          json_integer_value(json_object_get(v, "created_at")))));
        }
        json_object_set_new(m, "messages", msgs);
        json_object_set_new(m, "has_messages", json_boolean(json_array_size(msgs) > 0));
        json_object_set_new(m, "unread", json_integer(unread));
        json_object_set_new(m, "shows_messages", json_true());
    }
}

/* ---- the page ------------------------------------------------------------------------------ */

static int h_home(struct web_req *req, struct web_resp *resp)
{
    struct store *st = ((struct portal *)req->ctx)->st;
    struct err err;
    err_clear(&err);
    const struct web_session *ss = web_session(req);
    int logged_in = ss != NULL && ss->aal >= 1;
    struct store_conn *c = store_conn(st, &err);
    if (c == NULL)
        return web_fail_err(resp, &err);
    int64_t today = calendar_day_of_ms(time_now_ms());
    int64_t cv = catalog_version(st), kv = calendar_version(c);
    /* Both only grow, so their sum moves whenever either does. */
    if (!logged_in && cv >= 0 && kv >= 0 &&
        web_cache_hit(req, resp, arena_printf(req->arena, "portal:home:%lld", (long long)today),
                      cv + kv))
        return 0;

    json_t *items = NULL;
    struct calendar *cal = NULL;
    if (catalog_list(st, NULL, &items, &err) < 0)
        return web_fail_err(resp, &err);
    int from_use;
    json_t *m =
        json_pack("{s:s, s:o, s:o, s:o, s:o}", "title", web_t(req, "portal.title"), "popular",
                  popular(req, items, &from_use), "events_person", life_events(req, "person"),
                  "events_enterprise", life_events(req, "enterprise"), "bundles", bundles(req));
    if (m == NULL) {
        json_decref(items);
        return web_page(resp, NULL, NULL, 500);
    }
    json_object_set_new(m, "popular_by_use", json_boolean(from_use));
    json_object_set_new(m, "has_popular",
                        json_boolean(json_array_size(json_object_get(m, "popular")) > 0));
    json_object_set_new(m, "has_bundles",
                        json_boolean(json_array_size(json_object_get(m, "bundles")) > 0));
    json_t *ns = NULL;
    if (calendar_load(st, CALENDAR_SCOPES_XIZANG, &cal, &err) == 0) {
        ns = notices(req, cal);
        calendar_free(cal);
    }
    json_object_set_new(m, "notices", ns != NULL ? ns : json_array());
    json_object_set_new(m, "has_notices", json_boolean(json_array_size(ns) > 0));
    json_object_set_new(m, "logged_in", json_boolean(logged_in));
    if (logged_in)
        mine(req, ss, items, m);
    json_decref(items);
    resp->max_age = logged_in ? 0 : 60;
    return web_page(resp, m, "portal/home", 200);
}

int portal_http_register(struct web_server *srv, struct portal *p)
{
    if (web_route(srv, "GET", "/", h_home, p) < 0 ||
        web_route(srv, "GET", "/api/v1", h_home, p) < 0)
        return -1;
    return 0;
}
