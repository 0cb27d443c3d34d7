/* calendar_store.c - every SQL statement of the calendar module. */
#include "calendar/calendar_internal.h"

#include <stdio.h>
#include <stdlib.h>

#include "store/store.h"

static const char SQL_EACH[] =
    "SELECT day, kind, name_zh, scope, source FROM calendar_days ORDER BY day, scope";
static const char SQL_INSERT[] =
    "INSERT INTO calendar_days (day, kind, name_zh, scope, source, created_at) "
    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (day, scope) DO NOTHING";
static const char SQL_UPSERT[] =
    "INSERT INTO calendar_days (day, kind, name_zh, scope, source, created_at) "
    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (day, scope) DO UPDATE SET kind = excluded.kind, "
    "name_zh = excluded.name_zh, source = excluded.source, created_at = excluded.created_at";
static const char SQL_DELETE[] = "DELETE FROM calendar_days WHERE day = ? AND scope = ?";

int calendar_store_each(struct store_conn *c, calendar_row_fn fn, void *ctx, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_EACH, err);
    if (st == NULL)
        return -1;
    int rc, stop = 0;
    while ((rc = store_step(st, err)) == STORE_ROW) {
        struct calendar_row r = {store_col_text(st, 0), store_col_text(st, 1),
                                 store_col_text(st, 2), store_col_text(st, 3),
                                 store_col_text(st, 4)};
        if ((stop = fn(&r, ctx)) != 0)
            break;
    }
    store_reset(st);
    if (stop != 0)
        return err_set(err, 500, "calendar.bad_data", "a stored calendar row is invalid");
    return rc < 0 ? -1 : 0;
}

static void bind_row(struct store_stmt *st, const struct calendar_row *r, int64_t now)
{
    store_bind_text(st, 1, r->day, -1);
    store_bind_text(st, 2, r->kind, -1);
    store_bind_text(st, 3, r->name_zh, -1);
    store_bind_text(st, 4, r->scope, -1);
    store_bind_text(st, 5, r->source ? r->source : "", -1);
    store_bind_int64(st, 6, now);
}

int calendar_store_insert(struct store_conn *c, const struct calendar_row *r, int64_t now,
                          int *inserted, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_INSERT, err);
    if (st == NULL)
        return -1;
    bind_row(st, r, now);
    int rc = store_step(st, err);
    if (rc == STORE_DONE)
        *inserted += (int)store_changes(st);
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int calendar_store_upsert(struct store_conn *c, const struct calendar_row *r, int64_t now,
                          struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_UPSERT, err);
    if (st == NULL)
        return -1;
    bind_row(st, r, now);
    int rc = store_step(st, err);
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int calendar_store_delete(struct store_conn *c, const char *day, const char *scope, int *removed,
                          struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_DELETE, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, day, -1);
    store_bind_text(st, 2, scope, -1);
    int rc = store_step(st, err);
    *removed = rc == STORE_DONE && store_changes(st) > 0;
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int calendar_store_version(struct store_conn *c, int64_t *version, struct err *err)
{
    int found;
    return store_meta_get_int64(c, "calendar_version", version, &found, err);
}

int calendar_store_bump_version(struct store_conn *c, int64_t version, struct err *err)
{
    return store_meta_set_int64(c, "calendar_version", version, err);
}
