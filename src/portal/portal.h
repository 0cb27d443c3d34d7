/*
 * portal.h - the public portal's front pages: the home page that leads a citizen to
 * everything the platform offers. Later modules (catalog, guides, progress lookup) add
 * their entries to it.
 */
#ifndef ONEWINDOW_PORTAL_PORTAL_H
#define ONEWINDOW_PORTAL_PORTAL_H

#include "base/err.h"

struct store;
struct web_server;

/* GET / and GET /api/v1 (the home page's model). */
int portal_http_register(struct web_server *srv, struct store *s);
/* Remember that demo data was loaded (platform_meta "demo_loaded_at"). */
int portal_mark_demo(struct store *s, struct err *err);

#endif
