/* audit.c - audit records in the audit_events table; see audit.h. All SQL is here. */
#include "audit/audit.h"

#include <string.h>

#include "base/arena.h"
#include "base/id.h"
#include "store/store.h"

static const char SQL_INSERT[] =
    "INSERT INTO audit_events (id, at, actor_id, action, object, outcome, source_ip, detail) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
static const char SQL_LIST[] =
    "SELECT id, at, actor_id, action, object, outcome, source_ip, detail FROM audit_events "
    "WHERE (? = 0 OR actor_id = ?) AND (? = '' OR action LIKE ?) ORDER BY id DESC LIMIT ?";

int audit_record(struct store_conn *c, const struct audit_event *ev, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_INSERT, err);
    if (st == NULL)
        return -1;
    int64_t id = id_next();
    store_bind_int64(st, 1, id);
    store_bind_int64(st, 2, id_time_ms(id));
    if (ev->actor_id != 0)
        store_bind_int64(st, 3, ev->actor_id);
    store_bind_text(st, 4, ev->action, -1);
    store_bind_text(st, 5, ev->object, -1);
    store_bind_text(st, 6, ev->outcome, -1);
    store_bind_text(st, 7, ev->source_ip, -1);
    store_bind_text(st, 8, ev->detail, -1);
    int rc = store_step(st, err);
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

static const char *dup_col(struct store_stmt *st, int col, struct arena *a)
{
    const char *s = store_col_text(st, col);
    return s ? arena_strdup(a, s) : NULL;
}

int audit_list(struct store_conn *c, struct arena *a, int64_t actor_id, const char *action_prefix,
               size_t limit, struct audit_row **out, size_t *n, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_LIST, err);
    if (st == NULL)
        return -1;
    const char *prefix = action_prefix ? action_prefix : "";
    char *like = arena_printf(a, "%s%%", prefix);
    struct audit_row *rows = arena_zalloc(a, (limit ? limit : 1) * sizeof(*rows));
    if (like == NULL || rows == NULL) {
        store_reset(st);
        return err_set(err, 500, "audit.oom", "out of memory");
    }
    store_bind_int64(st, 1, actor_id);
    store_bind_int64(st, 2, actor_id);
    store_bind_text(st, 3, prefix, -1);
    store_bind_text(st, 4, like, -1);
    store_bind_int64(st, 5, (int64_t)limit);
    size_t k = 0;
    int rc = STORE_DONE;
    while (k < limit && (rc = store_step(st, err)) == STORE_ROW) {
        struct audit_row *r = &rows[k++];
        r->id = store_col_int64(st, 0);
        r->at = store_col_int64(st, 1);
        r->actor_id = store_col_int64(st, 2);
        r->action = dup_col(st, 3, a);
        r->object = dup_col(st, 4, a);
        r->outcome = dup_col(st, 5, a);
        r->source_ip = dup_col(st, 6, a);
        r->detail = dup_col(st, 7, a);
    }
    store_reset(st);
    if (rc < 0)
        return -1;
    *out = rows;
    *n = k;
    return 0;
}
