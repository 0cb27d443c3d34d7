/* remind_store.c - every SQL statement of the reminders. */
#include "remind/remind_internal.h"

#include <stdio.h>
#include <string.h>

#include "store/store.h"

static const char SQL_RETURNED[] =
    "SELECT id, applicant_account, updated_at, number, item_name, lang FROM applications "
    "WHERE state = 'returned' AND applicant_account > 0 ORDER BY id LIMIT 5000";
static const char SQL_UNRATED[] =
    "SELECT a.id, a.applicant_account, a.decided_at, a.number, a.item_name, a.lang FROM "
    "applications a WHERE a.decided_at > ? AND a.applicant_account > 0 AND a.state IN "
    "('approved', 'denied', 'delivered', 'closed') AND NOT EXISTS (SELECT 1 FROM review_ratings r "
    "WHERE r.application_id = a.id) ORDER BY a.id LIMIT 5000";
static const char SQL_EXPIRING[] =
    "SELECT id, holder_account, valid_until, '', type_code, 'zh' FROM certificates WHERE status = "
    "'valid' AND valid_until > ? AND valid_until <= ? ORDER BY id LIMIT 5000";
static const char SQL_SEEN[] = "SELECT 1 FROM remind_sent WHERE kind = ? AND object = ?";
static const char SQL_MARK[] = "INSERT INTO remind_sent (kind, object, sent_at) VALUES (?, ?, ?)";

/* Up to 256 rows a kind and run (the next working day's run takes the rest), collected
 * before the callback, which writes through the same connection. */
static int rows(struct store_stmt *st, rmd_fn fn, void *ctx, struct err *err)
{
    static __thread struct rmd_row buf[256];
    size_t n = 0;
    int rc;
    while (n < 256 && (rc = store_step(st, err)) == STORE_ROW) {
        struct rmd_row *r = &buf[n++];
        const char *s;
        r->id = store_col_int64(st, 0);
        r->account = store_col_int64(st, 1);
        r->at = store_col_int64(st, 2);
        snprintf(r->number, sizeof(r->number), "%s", (s = store_col_text(st, 3)) ? s : "");
        snprintf(r->item, sizeof(r->item), "%s", (s = store_col_text(st, 4)) ? s : "");
        snprintf(r->lang, sizeof(r->lang), "%s", (s = store_col_text(st, 5)) ? s : "zh");
    }
    store_reset(st);
    if (n < 256 && rc < 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (fn(ctx, &buf[i]) < 0)
            return -1;
    return 0;
}

int rmd_returned(struct store_conn *c, rmd_fn fn, void *ctx, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_RETURNED, err);
    return st == NULL ? -1 : rows(st, fn, ctx, err);
}

int rmd_unrated(struct store_conn *c, int64_t since, rmd_fn fn, void *ctx, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_UNRATED, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, since);
    return rows(st, fn, ctx, err);
}

int rmd_expiring(struct store_conn *c, int64_t now, int64_t until, rmd_fn fn, void *ctx,
                 struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_EXPIRING, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, now);
    store_bind_int64(st, 2, until);
    return rows(st, fn, ctx, err);
}

int rmd_mark(struct store_conn *c, const char *kind, const char *object, int64_t now, int *fresh,
             struct err *err)
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
