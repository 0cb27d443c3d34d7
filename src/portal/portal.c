/*
 * portal.c - the home page and the installation facts kept in platform_meta.
 * (Small enough to keep its one SQL statement here rather than in a portal_store.c.)
 */
#include "portal/portal.h"

#include <stdio.h>

#include "base/id.h"
#include "store/store.h"
#include "web/web.h"

static const char SQL_META_SET[] =
    "INSERT INTO platform_meta (key, value, updated_at) VALUES (?, ?, ?) "
    "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at";

int portal_mark_demo(struct store *s, struct err *err)
{
    struct store_conn *c = store_conn(s, err);
    if (c == NULL)
        return -1;
    struct store_stmt *st = store_prepare(c, SQL_META_SET, err);
    if (st == NULL)
        return -1;
    char now[32];
    int64_t ms = time_now_ms();
    snprintf(now, sizeof(now), "%lld", (long long)ms);
    store_bind_text(st, 1, "demo_loaded_at", -1);
    store_bind_text(st, 2, now, -1);
    store_bind_int64(st, 3, ms);
    int rc = store_step(st, err);
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

/* The areas of the platform a visitor can go to now; each links to its page. */
static const struct {
    const char *key; /* i18n: portal.areas.<key>.title / .text */
    const char *url;
} areas[] = {
    {"account", "/register"},
    {"divisions", "/divisions"},
};

static int h_home(struct web_req *req, struct web_resp *resp)
{
    json_t *list = json_array();
    for (size_t i = 0; i < sizeof(areas) / sizeof(areas[0]); i++) {
        char tkey[96], xkey[96];
        snprintf(tkey, sizeof(tkey), "portal.areas.%s.title", areas[i].key);
        snprintf(xkey, sizeof(xkey), "portal.areas.%s.text", areas[i].key);
        json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s}", "key", areas[i].key,
                                              "title", web_t(req, tkey), "text",
                                              web_t(req, xkey), "url", areas[i].url));
    }
    resp->model = json_pack("{s:s, s:o}", "title", web_t(req, "portal.title"), "areas", list);
    resp->view = "portal/home";
    if (resp->model == NULL)
        return web_fail(resp, 500, "http.internal", "out of memory");
    return 0;
}

int portal_http_register(struct web_server *srv, struct store *s)
{
    if (web_route(srv, "GET", "/", h_home, s) < 0 || web_route(srv, "GET", "/api/v1", h_home, s) < 0)
        return -1;
    return 0;
}
