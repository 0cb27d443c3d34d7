/*
 * app.h - wiring of the domain modules into the binary (wiring.c): which routes the
 * server answers, what reference and demo data `init` and `demo` load. Adding a module
 * means adding it here and nowhere else in src/app/.
 */
#ifndef ONEWINDOW_APP_APP_H
#define ONEWINDOW_APP_APP_H

#include "base/err.h"

struct store;
struct web_server;

int app_register_routes(struct web_server *srv, struct store *s, struct err *err);
/* Reference data every installation needs (divisions...). */
int app_load_reference(struct store *s, int *inserted, struct err *err);
/* The demo region: prints what it loaded. */
int app_load_demo(struct store *s, struct err *err);

#endif
