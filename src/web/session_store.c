/*
 * session_store.c - every SQL statement of the login sessions (session.c): the table
 * web_sessions, keyed by the hex SM3 hash of the cookie's token. Sessions belong to the web
 * layer, not to identity: identity calls web_session_start/web_sessions_end_all, and the web
 * layer must not depend on a domain module.
 */
#include "web/web_internal.h"

#include <stdio.h>

#include "store/store.h"

static const char SQL_GET[] =
    "SELECT account_id, aal, csrf, created_at, last_seen_at, expires_at FROM web_sessions "
    "WHERE token_hash = ?";
static const char SQL_TOUCH[] = "UPDATE web_sessions SET last_seen_at = ? WHERE token_hash = ?";
static const char SQL_INSERT[] =
    "INSERT INTO web_sessions (token_hash, account_id, aal, csrf, created_at, last_seen_at, "
    "expires_at, ip) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
static const char SQL_DELETE[] = "DELETE FROM web_sessions WHERE token_hash = ?";
static const char SQL_DELETE_ACCOUNT[] = "DELETE FROM web_sessions WHERE account_id = ?";

int web_session_db_get(struct store_conn *c, const char *hash, struct web_session *ss,
                       struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_GET, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, hash, -1);
    int rc = store_step(st, err);
    if (rc == STORE_ROW) {
        ss->account_id = store_col_int64(st, 0);
        ss->aal = (int)store_col_int64(st, 1);
        snprintf(ss->csrf, sizeof(ss->csrf), "%s", store_col_text(st, 2));
        ss->created_at = store_col_int64(st, 3);
        ss->last_seen_at = store_col_int64(st, 4);
        ss->expires_at = store_col_int64(st, 5);
    }
    store_reset(st);
    return rc < 0 ? -1 : rc == STORE_ROW;
}

int web_session_db_touch(struct store_conn *c, const char *hash, int64_t now, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_TOUCH, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, now);
    store_bind_text(st, 2, hash, -1);
    int rc = store_step(st, err);
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int web_session_db_insert(struct store_conn *c, const struct web_session *ss, const char *ip,
                          struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_INSERT, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, ss->token_hash, -1);
    store_bind_int64(st, 2, ss->account_id);
    store_bind_int64(st, 3, ss->aal);
    store_bind_text(st, 4, ss->csrf, -1);
    store_bind_int64(st, 5, ss->created_at);
    store_bind_int64(st, 6, ss->last_seen_at);
    store_bind_int64(st, 7, ss->expires_at);
    store_bind_text(st, 8, ip, -1);
    int rc = store_step(st, err);
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int web_session_db_delete(struct store_conn *c, const char *hash, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_DELETE, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, hash, -1);
    int rc = store_step(st, err);
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int web_session_db_delete_account(struct store_conn *c, int64_t account_id, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_DELETE_ACCOUNT, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, account_id);
    int rc = store_step(st, err);
    store_reset(st);
    return rc < 0 ? -1 : 0;
}
