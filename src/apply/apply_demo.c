/*
 * apply_demo.c - demo data only (src/app/demo.c): a case's due time moved into the past,
 * so that supervisors see an overdue case on a fresh demo (issue 15). Not reachable over
 * HTTP.
 */
#include "apply/apply_internal.h"

#include "base/arena.h"
#include "store/store.h"

int apply_demo_due(struct apply *ap, const char *number, int64_t due_at, struct err *err)
{
    struct store_conn *c = store_conn(ap->store, err);
    struct arena *a = arena_new(0);
    struct app_row r;
    int found = 0, rc = -1;
    if (c == NULL || a == NULL) {
        if (a == NULL)
            err_set(err, 500, "apply.oom", "out of memory");
        goto out;
    }
    if (apply_db_get_number(c, a, number, &r, &found, err) < 0)
        goto out;
    if (!found) {
        err_set(err, 404, "apply.not_found", "no application with this number");
        goto out;
    }
    r.due_at = due_at;
    r.deadline_at = due_at;
    rc = apply_db_update_state(c, &r, err);
out:
    arena_free(a);
    return rc;
}
