/* notices_store.c - every SQL statement of the notices module. */
#include "notices/notices_internal.h"

#include <string.h>

#include "base/arena.h"
#include "store/store.h"

static const char SQL_INSERT[] =
    "INSERT INTO notices (id, department_id, division_code, topic, title_zh, title_bo, title_en, "
    "body_zh, body_bo, body_en, author, published_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
static const char SQL_LIST[] =
    "SELECT n.id, n.department_id, n.division_code, n.topic, n.title_zh, n.title_bo, n.title_en, "
    "n.body_zh, n.body_bo, n.body_en, n.published_at "
    "FROM notices n "
    "WHERE n.id < ? AND (CAST(? AS TEXT) = '' OR n.topic = ?) "
    "AND (CAST(? AS BIGINT) = 0 OR n.id = ?) AND (CAST(? AS BIGINT) = 0 OR n.division_code = ?) "
    "ORDER BY n.id DESC LIMIT ?";
static const char SQL_SUBSCRIBERS[] =
    "SELECT account_id FROM notice_subscriptions WHERE topic = ? ORDER BY account_id";
static const char SQL_UNSUB[] =
    "DELETE FROM notice_subscriptions WHERE account_id = ? AND topic = ?";
static const char SQL_SUB[] =
    "INSERT INTO notice_subscriptions (account_id, topic, created_at) VALUES (?, ?, ?)";
static const char SQL_IS_SUB[] =
    "SELECT 1 FROM notice_subscriptions WHERE account_id = ? AND topic = ?";

static void bind_opt(struct store_stmt *st, int i, const char *s)
{
    if (s != NULL && *s)
        store_bind_text(st, i, s, -1);
    else
        store_bind_null(st, i);
}

int notices_db_insert(struct store_conn *c, int64_t id, int64_t division_code,
                      const struct notice_in *in, int64_t author, int64_t now, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_INSERT, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, id);
    store_bind_int64(st, 2, in->department_id);
    store_bind_int64(st, 3, division_code);
    store_bind_text(st, 4, in->topic, -1);
    store_bind_text(st, 5, in->title[0], -1);
    bind_opt(st, 6, in->title[1]);
    bind_opt(st, 7, in->title[2]);
    store_bind_text(st, 8, in->body[0], -1);
    bind_opt(st, 9, in->body[1]);
    bind_opt(st, 10, in->body[2]);
    store_bind_int64(st, 11, author);
    store_bind_int64(st, 12, now);
    return store_run(st, NULL, err);
}

static const char *dup(struct arena *a, struct store_stmt *st, int col)
{
    const char *s = store_col_text(st, col);
    return s ? arena_strdup(a, s) : NULL;
}

int notices_db_list(struct store_conn *c, struct arena *a, const char *topic, int64_t division,
                    int64_t before, int limit, int64_t only_id, struct notice *out, size_t *count,
                    struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_LIST, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, before > 0 ? before : INT64_MAX);
    store_bind_text(st, 2, topic ? topic : "", -1);
    store_bind_text(st, 3, topic ? topic : "", -1);
    store_bind_int64(st, 4, only_id);
    store_bind_int64(st, 5, only_id);
    store_bind_int64(st, 6, division);
    store_bind_int64(st, 7, division);
    store_bind_int64(st, 8, limit);
    int rc;
    *count = 0;
    while ((rc = store_step(st, err)) == STORE_ROW && *count < (size_t)limit) {
        struct notice *n = &out[(*count)++];
        n->id = store_col_int64(st, 0);
        n->department_id = store_col_int64(st, 1);
        n->division_code = store_col_int64(st, 2);
        n->topic = dup(a, st, 3);
        for (int i = 0; i < 3; i++) {
            n->title[i] = dup(a, st, 4 + i);
            n->body[i] = dup(a, st, 7 + i);
            n->dept_name[i] = NULL; /* named through identity by the caller */
        }
        n->published_at = store_col_int64(st, 10);
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int notices_db_subscribers(struct store_conn *c, const char *topic, notices_db_account_fn fn,
                           void *ctx, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_SUBSCRIBERS, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, topic, -1);
    /* collect first: the callback writes through the same connection */
    int64_t ids[1024];
    size_t n = 0;
    int rc;
    while ((rc = store_step(st, err)) == STORE_ROW && n < sizeof(ids) / sizeof(ids[0]))
        ids[n++] = store_col_int64(st, 0);
    store_reset(st);
    if (rc < 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (fn(ctx, ids[i]) < 0)
            return -1;
    return 0;
}

int notices_db_subscribe(struct store_conn *c, int64_t account_id, const char *topic, int on,
                         int64_t now, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_UNSUB, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, account_id);
    store_bind_text(st, 2, topic, -1);
    if (store_run(st, NULL, err) < 0)
        return -1;
    if (!on)
        return 0;
    if ((st = store_prepare(c, SQL_SUB, err)) == NULL)
        return -1;
    store_bind_int64(st, 1, account_id);
    store_bind_text(st, 2, topic, -1);
    store_bind_int64(st, 3, now);
    return store_run(st, NULL, err);
}

int notices_db_subscribed(struct store_conn *c, int64_t account_id, const char *topic, int *on,
                          struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_IS_SUB, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, account_id);
    store_bind_text(st, 2, topic, -1);
    int rc = store_step(st, err);
    *on = rc == STORE_ROW;
    store_reset(st);
    return rc < 0 ? -1 : 0;
}
