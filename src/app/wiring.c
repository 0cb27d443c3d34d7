/*
 * wiring.c - registers every domain module with the server and the data commands.
 * The order of route registration does not matter (the router picks the most specific
 * pattern), but keep modules in the order of docs/ARCHITECTURE.md for readers.
 */
#include <stdio.h>

#include "app/app.h"
#include "divisions/divisions.h"
#include "portal/portal.h"
#include "store/store.h"
#include "web/web.h"

int app_register_routes(struct web_server *srv, struct store *s, struct err *err)
{
    if (portal_http_register(srv, s) < 0 || divisions_http_register(srv, s) < 0)
        return err_set(err, 1, "app.routes", "a module failed to register its routes");
    return 0;
}

int app_load_reference(struct store *s, int *inserted, struct err *err)
{
    return divisions_load_reference(s, inserted, err);
}

int app_load_demo(struct store *s, struct err *err)
{
    /* The demo region is the reference deployment's real divisions; the modules that
     * bring demo departments, staff, services and citizens add their loaders here. */
    int inserted = 0;
    if (app_load_reference(s, &inserted, err) < 0 || portal_mark_demo(s, err) < 0)
        return -1;
    printf("demo: the Xizang reference divisions are loaded (%d added now); "
           "no other module has demo data yet\n",
           inserted);
    return 0;
}
