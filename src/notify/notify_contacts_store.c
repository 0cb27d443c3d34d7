/* notify_contacts_store.c - every SQL statement of contacts, preferences and opt-outs. */
#include "notify/notify_contacts_store.h"

#include <stdio.h>
#include <string.h>

#include "store/store.h"

static const char SQL_DEL[] = "DELETE FROM notify_contacts WHERE account_id = ? AND channel = ?";
static const char SQL_PUT[] =
    "INSERT INTO notify_contacts (account_id, channel, address_enc, address_masked, verified_at, "
    "code_hash, code_expires_at, code_tries, updated_at) VALUES (?, ?, ?, ?, NULL, ?, ?, 0, ?)";
static const char SQL_CODE[] = "SELECT code_hash, code_expires_at, code_tries FROM notify_contacts "
                               "WHERE account_id = ? AND channel = ?";
static const char SQL_GOOD[] =
    "UPDATE notify_contacts SET verified_at = ?, code_hash = NULL, code_expires_at = 0 "
    "WHERE account_id = ? AND channel = ?";
static const char SQL_BAD[] = "UPDATE notify_contacts SET code_tries = code_tries + 1 "
                              "WHERE account_id = ? AND channel = ?";
static const char SQL_LIST[] = "SELECT channel, address_masked, verified_at FROM notify_contacts "
                               "WHERE account_id = ? ORDER BY channel";
static const char SQL_ROUTES[] = "SELECT channel, address_enc FROM notify_contacts WHERE "
                                 "account_id = ? AND verified_at IS NOT NULL ORDER BY channel";
static const char SQL_PREFS[] =
    "SELECT lang, quiet_from, quiet_to FROM notify_prefs WHERE account_id = ?";
static const char SQL_PREFS_DEL[] = "DELETE FROM notify_prefs WHERE account_id = ?";
static const char SQL_PREFS_PUT[] = "INSERT INTO notify_prefs (account_id, lang, quiet_from, "
                                    "quiet_to, updated_at) VALUES (?, ?, ?, ?, ?)";
static const char SQL_OPT_DEL[] =
    "DELETE FROM notify_optouts WHERE account_id = ? AND grp = ? AND channel = ?";
static const char SQL_OPT_PUT[] =
    "INSERT INTO notify_optouts (account_id, grp, channel) VALUES (?, ?, ?)";
static const char SQL_OPT_GET[] =
    "SELECT 1 FROM notify_optouts WHERE account_id = ? AND grp = ? AND channel = ?";

static struct store_stmt *key2(struct store_conn *c, const char *sql, int64_t account_id,
                               const char *channel, struct err *err)
{
    struct store_stmt *st = store_prepare(c, sql, err);
    if (st != NULL) {
        store_bind_int64(st, 1, account_id);
        store_bind_text(st, 2, channel, -1);
    }
    return st;
}

int notify_db_contact_put(struct store_conn *c, int64_t account_id, const char *channel,
                          const unsigned char *sealed, size_t len, const char *masked,
                          const char *code_hash, int64_t code_expires, int64_t now, struct err *err)
{
    struct store_stmt *st = key2(c, SQL_DEL, account_id, channel, err);
    if (st == NULL || store_run(st, NULL, err) < 0)
        return -1;
    st = key2(c, SQL_PUT, account_id, channel, err);
    if (st == NULL)
        return -1;
    store_bind_blob(st, 3, sealed, len);
    store_bind_text(st, 4, masked, -1);
    store_bind_text(st, 5, code_hash, -1);
    store_bind_int64(st, 6, code_expires);
    store_bind_int64(st, 7, now);
    return store_run(st, NULL, err);
}

int notify_db_code_get(struct store_conn *c, int64_t account_id, const char *channel,
                       struct notify_db_code *out, struct err *err)
{
    struct store_stmt *st = key2(c, SQL_CODE, account_id, channel, err);
    if (st == NULL)
        return -1;
    memset(out, 0, sizeof(*out));
    int rc = store_step(st, err);
    if (rc == STORE_ROW) {
        out->found = 1;
        const char *h = store_col_text(st, 0);
        snprintf(out->hash, sizeof(out->hash), "%s", h ? h : "");
        out->expires_at = store_col_int64(st, 1);
        out->tries = (int)store_col_int64(st, 2);
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int notify_db_code_result(struct store_conn *c, int64_t account_id, const char *channel, int good,
                          int64_t now, struct err *err)
{
    struct store_stmt *st = store_prepare(c, good ? SQL_GOOD : SQL_BAD, err);
    if (st == NULL)
        return -1;
    int i = 1;
    if (good)
        store_bind_int64(st, i++, now);
    store_bind_int64(st, i++, account_id);
    store_bind_text(st, i, channel, -1);
    return store_run(st, NULL, err);
}

int notify_db_contacts(struct store_conn *c, int64_t account_id, struct notify_contact out[2],
                       size_t *count, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_LIST, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, account_id);
    int rc;
    *count = 0;
    while ((rc = store_step(st, err)) == STORE_ROW && *count < 2) {
        struct notify_contact *k = &out[(*count)++];
        snprintf(k->channel, sizeof(k->channel), "%s", store_col_text(st, 0));
        snprintf(k->masked, sizeof(k->masked), "%s", store_col_text(st, 1));
        k->verified = !store_col_is_null(st, 2);
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int notify_db_routes(struct store_conn *c, int64_t account_id, struct notify_db_route out[2],
                     size_t *count, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_ROUTES, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, account_id);
    int rc;
    *count = 0;
    while ((rc = store_step(st, err)) == STORE_ROW && *count < 2) {
        struct notify_db_route *r = &out[*count];
        size_t len = 0;
        const void *p = store_col_blob(st, 1, &len);
        if (p == NULL || len > sizeof(r->address_enc))
            continue;
        snprintf(r->channel, sizeof(r->channel), "%s", store_col_text(st, 0));
        memcpy(r->address_enc, p, len);
        r->address_len = len;
        (*count)++;
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int notify_db_prefs_get(struct store_conn *c, int64_t account_id, struct notify_db_prefs *out,
                        struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_PREFS, err);
    if (st == NULL)
        return -1;
    memset(out, 0, sizeof(*out));
    store_bind_int64(st, 1, account_id);
    int rc = store_step(st, err);
    if (rc == STORE_ROW) {
        out->found = 1;
        const char *l = store_col_text(st, 0);
        snprintf(out->lang, sizeof(out->lang), "%s", l ? l : "");
        out->quiet_from = (int)store_col_int64(st, 1);
        out->quiet_to = (int)store_col_int64(st, 2);
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int notify_db_prefs_put(struct store_conn *c, int64_t account_id, const char *lang, int quiet_from,
                        int quiet_to, int64_t now, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_PREFS_DEL, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, account_id);
    if (store_run(st, NULL, err) < 0 || (st = store_prepare(c, SQL_PREFS_PUT, err)) == NULL)
        return -1;
    store_bind_int64(st, 1, account_id);
    if (lang)
        store_bind_text(st, 2, lang, -1);
    else
        store_bind_null(st, 2);
    store_bind_int64(st, 3, quiet_from);
    store_bind_int64(st, 4, quiet_to);
    store_bind_int64(st, 5, now);
    return store_run(st, NULL, err);
}

static struct store_stmt *key3(struct store_conn *c, const char *sql, int64_t account_id,
                               const char *group, const char *channel, struct err *err)
{
    struct store_stmt *st = store_prepare(c, sql, err);
    if (st != NULL) {
        store_bind_int64(st, 1, account_id);
        store_bind_text(st, 2, group, -1);
        store_bind_text(st, 3, channel, -1);
    }
    return st;
}

int notify_db_optout(struct store_conn *c, int64_t account_id, const char *group,
                     const char *channel, int off, struct err *err)
{
    struct store_stmt *st = key3(c, SQL_OPT_DEL, account_id, group, channel, err);
    if (st == NULL || store_run(st, NULL, err) < 0)
        return -1;
    if (!off)
        return 0;
    st = key3(c, SQL_OPT_PUT, account_id, group, channel, err);
    return st == NULL ? -1 : store_run(st, NULL, err);
}

int notify_db_optout_get(struct store_conn *c, int64_t account_id, const char *group,
                         const char *channel, int *off, struct err *err)
{
    struct store_stmt *st = key3(c, SQL_OPT_GET, account_id, group, channel, err);
    if (st == NULL)
        return -1;
    int rc = store_step(st, err);
    *off = rc == STORE_ROW;
    store_reset(st);
    return rc < 0 ? -1 : 0;
}
