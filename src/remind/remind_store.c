/* remind_store.c - every SQL statement of the reminders. */
#include "remind/remind_internal.h"

#include <stdio.h>
#include <string.h>

#include "store/store.h"

static const char SQL_SEEN[] = "SELECT 1 FROM remind_sent WHERE kind = ? AND object = ?";
static const char SQL_MARK[] = "INSERT INTO remind_sent (kind, object, sent_at) VALUES (?, ?, ?)";

int remind_db_mark(struct store_conn *c, const char *kind, const char *object, int64_t now,
                   int *fresh, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_SEEN, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, kind, -1);
    store_bind_text(st, 2, object, -1);
    int rc = store_step(st, err);
    store_reset(st);
    if (rc < 0)
        return -1;
    *fresh = rc != STORE_ROW;
    if (!*fresh)
        return 0;
    if ((st = store_prepare(c, SQL_MARK, err)) == NULL)
        return -1;
    store_bind_text(st, 1, kind, -1);
    store_bind_text(st, 2, object, -1);
    store_bind_int64(st, 3, now);
    return store_run(st, NULL, err);
}
