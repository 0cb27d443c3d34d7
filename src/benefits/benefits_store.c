/* benefits_store.c - every SQL statement of the benefits module. */
#include "benefits/benefits_internal.h"

#include <stdio.h>
#include <string.h>

#include "base/arena.h"
#include "store/store.h"

static const char SQL_EXISTS[] =
    "SELECT 1 FROM benefit_grants WHERE benefit = ? AND account_id = ?";
static const char SQL_INSERT[] =
    "INSERT INTO benefit_grants (id, benefit, account_id, status, reason, created_at, decided_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)";
static const char SQL_OF[] =
    "SELECT id, benefit, status, reason, note, created_at, decided_at FROM benefit_grants "
    "WHERE account_id = ? ORDER BY id DESC LIMIT ?";
static const char SQL_GET[] = "SELECT account_id, status FROM benefit_grants WHERE id = ?";
static const char SQL_DECIDE[] =
    "UPDATE benefit_grants SET status = ?, note = COALESCE(?, note), decided_at = ? "
    "WHERE id = ? AND status = ?";

int benefits_db_insert(struct store_conn *c, int64_t id, const char *benefit, int64_t account_id,
                       const char *status, const char *reason, int64_t now, int *inserted,
                       struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_EXISTS, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, benefit, -1);
    store_bind_int64(st, 2, account_id);
    int rc = store_step(st, err);
    store_reset(st);
    if (rc < 0)
        return -1;
    *inserted = 0;
    if (rc == STORE_ROW)
        return 0;
    if ((st = store_prepare(c, SQL_INSERT, err)) == NULL)
        return -1;
    store_bind_int64(st, 1, id);
    store_bind_text(st, 2, benefit, -1);
    store_bind_int64(st, 3, account_id);
    store_bind_text(st, 4, status, -1);
    store_bind_text(st, 5, reason, -1);
    store_bind_int64(st, 6, now);
    if (strcmp(status, "granted") == 0)
        store_bind_int64(st, 7, now);
    else
        store_bind_null(st, 7);
    if (store_run(st, NULL, err) < 0)
        return -1;
    *inserted = 1;
    return 0;
}

static const char *dup(struct arena *a, struct store_stmt *st, int col)
{
    const char *s = store_col_text(st, col);
    return s ? arena_strdup(a, s) : NULL;
}

int benefits_db_of(struct store_conn *c, struct arena *a, int64_t account_id,
                   struct benefits_grant *out, size_t max, size_t *count, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_OF, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, account_id);
    store_bind_int64(st, 2, (int64_t)max);
    int rc;
    *count = 0;
    while ((rc = store_step(st, err)) == STORE_ROW && *count < max) {
        struct benefits_grant *g = &out[(*count)++];
        g->id = store_col_int64(st, 0);
        g->benefit = dup(a, st, 1);
        g->status = dup(a, st, 2);
        g->reason = dup(a, st, 3);
        g->note = dup(a, st, 4);
        g->created_at = store_col_int64(st, 5);
        g->decided_at = store_col_is_null(st, 6) ? 0 : store_col_int64(st, 6);
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int benefits_db_get(struct store_conn *c, int64_t id, int64_t *account_id, char status[16],
                    int *found, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_GET, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, id);
    int rc = store_step(st, err);
    *found = rc == STORE_ROW;
    if (*found) {
        *account_id = store_col_int64(st, 0);
        snprintf(status, 16, "%s", store_col_text(st, 1));
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int benefits_db_decide(struct store_conn *c, int64_t id, const char *from, const char *to,
                       const char *note, int64_t now, int *changed, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_DECIDE, err);
    if (st == NULL)
        return -1;
    int64_t ch = 0;
    store_bind_text(st, 1, to, -1);
    if (note && *note)
        store_bind_text(st, 2, note, -1);
    else
        store_bind_null(st, 2);
    store_bind_int64(st, 3, now);
    store_bind_int64(st, 4, id);
    store_bind_text(st, 5, from, -1);
    if (store_run(st, &ch, err) < 0)
        return -1;
    *changed = ch == 1;
    return 0;
}
