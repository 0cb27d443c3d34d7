/*
 * portal.h - the home page: a search box, popular services, life events,
 * the 12345 hotline, certificate verification, notices, and for a logged-in person their
 * latest applications and messages. It reads the catalog and the calendar through their
 * public headers; what belongs to other modules (applications, messages, popularity) comes
 * through hooks that wiring sets, so that the portal includes none of their headers.
 */
#ifndef ONEWINDOW_PORTAL_PORTAL_H
#define ONEWINDOW_PORTAL_PORTAL_H

#include <jansson.h>
#include <stdint.h>

#include "base/err.h"

struct store;
struct web_server;

/* Each hook may be NULL (the section is then left out, or popular services fall back to the
 * catalog's curated list). Strings in the returned JSON are plain text; the page escapes. */
struct portal_hooks {
    void *ctx;
    /* The item codes applied for most since `since_ms`, most first, at most `limit`: a new
     * array of {code, count}. */
    int (*popular)(void *ctx, int64_t since_ms, int limit, json_t **out, struct err *err);
    /* The account's latest applications, newest first, at most `limit`: a new array of
     * {number (absent for a draft), draft_id, item_code, item_name, state, submitted_at (in
     * `lang`)}. */
    int (*applications)(void *ctx, int64_t account_id, int aal, const char *lang, int limit,
                        json_t **out, struct err *err);
    /* The account's latest messages rendered in `lang`, newest first, at most `limit`: a
     * new array of {text, link, created_at (ms), unread (bool)}, and the unread count. */
    int (*messages)(void *ctx, int64_t account_id, int aal, const char *lang, int limit,
                    json_t **out, int64_t *unread, struct err *err);
};

/* The module's handle (made in wiring): the store and the hooks. */
struct portal;
int portal_open(struct store *s, struct portal **out, struct err *err);
void portal_close(struct portal *p);
/* Set once at start-up, before serving. */
void portal_set_hooks(struct portal *p, const struct portal_hooks *h);
/* GET / and GET /api/v1 (the home page's model). */
int portal_http_register(struct web_server *srv, struct portal *p);
/* Remember that demo data was loaded (platform_meta "demo_loaded_at"). */
int portal_mark_demo(struct store *s, struct err *err);

#endif
