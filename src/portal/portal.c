/*
 * portal.c - the home page, and the installation fact that the demo region was loaded
 * (platform_meta "demo_loaded_at", through store_meta_set).
 */
#include "portal/portal.h"

#include <stdio.h>

#include "base/id.h"
#include "store/store.h"
#include "web/web.h"

int portal_mark_demo(struct store *s, struct err *err)
{
    struct store_conn *c = store_conn(s, err);
    return c == NULL ? -1 : store_meta_set_int64(c, "demo_loaded_at", time_now_ms(), err);
}

/* The areas of the platform a visitor can go to now; each links to its page. */
static const struct {
    const char *key; /* i18n: portal.areas.<key>.title / .text */
    const char *url;
} areas[] = {
    {"services", "/services"},
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
        json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s}", "key", areas[i].key, "title",
                                              web_t(req, tkey), "text", web_t(req, xkey), "url",
                                              areas[i].url));
    }
    resp->model = json_pack("{s:s, s:o}", "title", web_t(req, "portal.title"), "areas", list);
    resp->view = "portal/home";
    if (resp->model == NULL)
        return web_fail(resp, 500, "http.internal", "out of memory");
    return 0;
}

int portal_http_register(struct web_server *srv, struct store *s)
{
    if (web_route(srv, "GET", "/", h_home, s) < 0 ||
        web_route(srv, "GET", "/api/v1", h_home, s) < 0)
        return -1;
    return 0;
}
