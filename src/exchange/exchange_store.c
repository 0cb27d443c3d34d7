/* exchange_store.c - every SQL statement of the data exchange (tables in 0017_exchange.sql). */
#include "exchange/exchange_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "store/store.h"

static const char SQL_RES_INSERT_MISSING[] =
    "INSERT INTO exchange_resources (code, doc, updated_by, updated_at) VALUES (?, ?, 0, ?) "
    "ON CONFLICT (code) DO NOTHING";
static const char SQL_RES_PUT[] =
    "INSERT INTO exchange_resources (code, doc, updated_by, updated_at) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (code) DO UPDATE SET doc = excluded.doc, updated_by = excluded.updated_by, "
    "updated_at = excluded.updated_at";
static const char SQL_RES_GET[] = "SELECT doc FROM exchange_resources WHERE code = ?";
static const char SQL_RES_LIST[] = "SELECT doc FROM exchange_resources ORDER BY code";
static const char SQL_SANDBOX_GET[] = "SELECT record_enc FROM exchange_sandbox_records "
                                      "WHERE resource = ? AND subject_hash = ?";
static const char SQL_SANDBOX_PUT[] =
    "INSERT INTO exchange_sandbox_records (resource, subject_hash, record_enc) VALUES (?, ?, ?) "
    "ON CONFLICT (resource, subject_hash) DO UPDATE SET record_enc = excluded.record_enc";
#define GRANT_COLS                                                                                 \
    "id, client_id, consumer_name, resource, fields, purpose, legal_basis, status, "               \
    "rate_per_min, expires_at, decided_at, created_at"
static const char SQL_GRANT_INSERT[] =
    "INSERT INTO exchange_grants (" GRANT_COLS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
static const char SQL_GRANT_FIND[] = "SELECT " GRANT_COLS " FROM exchange_grants "
                                     "WHERE client_id = ? AND resource = ? AND purpose = ? "
                                     "ORDER BY status = 'approved' DESC, id DESC LIMIT 1";
static const char SQL_GRANT_GET[] = "SELECT " GRANT_COLS " FROM exchange_grants WHERE id = ?";
static const char SQL_GRANT_UPDATE[] =
    "UPDATE exchange_grants SET status = ?, fields = ?, rate_per_min = ?, expires_at = ?, "
    "decided_by = ?, decided_at = ? WHERE id = ? AND status = ?";
static const char SQL_GRANT_LIST[] =
    "SELECT " GRANT_COLS " FROM exchange_grants ORDER BY id DESC LIMIT 1000";
static const char SQL_GRANT_LIST_CLIENT[] =
    "SELECT " GRANT_COLS " FROM exchange_grants WHERE client_id = ? ORDER BY id DESC LIMIT 1000";
static const char SQL_READ_INSERT[] =
    "INSERT INTO exchange_reads (id, at, subject_hash, client_id, consumer_name, resource, "
    "fields, purpose, case_number, legal_basis, outcome) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
static const char SQL_READS_OF[] =
    "SELECT id, at, consumer_name, resource, fields, purpose, case_number, legal_basis, "
    "outcome FROM exchange_reads WHERE subject_hash = ? AND id < ? ORDER BY id DESC LIMIT ?";

#define READ_COLS                                                                                  \
    "SELECT id, at, subject_hash, client_id, consumer_name, resource, fields, purpose, "           \
    "case_number, legal_basis, outcome FROM exchange_reads "
static const char SQL_READS_ALL[] = READ_COLS "WHERE id < ? ORDER BY id DESC LIMIT ?";
static const char SQL_READS_CASE[] =
    READ_COLS "WHERE case_number = ? AND id < ? ORDER BY id DESC LIMIT ?";

static const char SQL_CORRECTION_INSERT[] =
    "INSERT INTO exchange_corrections (id, at, account_id, resource, field, note, status) "
    "VALUES (?, ?, ?, ?, ?, ?, 'open')";
static const char SQL_CORRECTIONS[] =
    "SELECT id, at, account_id, resource, field, note, status FROM exchange_corrections "
    "WHERE resource = ? ORDER BY id DESC LIMIT 200";

static int oom(struct store_stmt *st, struct err *err)
{
    store_reset(st);
    return err_set(err, 500, "exchange.oom", "out of memory");
}

int exchange_db_resource_insert_missing(struct store_conn *c, const char *code, const char *doc,
                                        int64_t now, int *added, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_RES_INSERT_MISSING, err);
    int64_t n = 0;
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, code, -1);
    store_bind_text(st, 2, doc, -1);
    store_bind_int64(st, 3, now);
    if (store_run(st, &n, err) < 0)
        return -1;
    *added += n > 0;
    return 0;
}

int exchange_db_resource_put(struct store_conn *c, const char *code, const char *doc, int64_t actor,
                             int64_t now, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_RES_PUT, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, code, -1);
    store_bind_text(st, 2, doc, -1);
    store_bind_int64(st, 3, actor);
    store_bind_int64(st, 4, now);
    return store_run(st, NULL, err);
}

static json_t *parse_doc(const char *text)
{
    return text ? json_loads(text, 0, NULL) : NULL;
}

int exchange_db_resource_get(struct store_conn *c, const char *code, json_t **doc, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_RES_GET, err);
    *doc = NULL;
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, code, -1);
    int rc = store_step(st, err);
    if (rc == STORE_ROW && (*doc = parse_doc(store_col_text(st, 0))) == NULL)
        return oom(st, err);
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int exchange_db_resource_list(struct store_conn *c, json_t *arr, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_RES_LIST, err);
    int rc;
    if (st == NULL)
        return -1;
    while ((rc = store_step(st, err)) == STORE_ROW) {
        json_t *d = parse_doc(store_col_text(st, 0));
        if (d == NULL)
            return oom(st, err);
        json_array_append_new(arr, d);
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int exchange_db_sandbox_get(struct store_conn *c, const char *resource, const char *subject_hash,
                            unsigned char **enc, size_t *len, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_SANDBOX_GET, err);
    *enc = NULL;
    *len = 0;
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, resource, -1);
    store_bind_text(st, 2, subject_hash, -1);
    int rc = store_step(st, err);
    if (rc == STORE_ROW) {
        size_t n = 0;
        const void *p = store_col_blob(st, 0, &n);
        if ((*enc = malloc(n ? n : 1)) == NULL)
            return oom(st, err);
        memcpy(*enc, p, n);
        *len = n;
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int exchange_db_sandbox_put(struct store_conn *c, const char *resource, const char *subject_hash,
                            const unsigned char *enc, size_t len, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_SANDBOX_PUT, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, resource, -1);
    store_bind_text(st, 2, subject_hash, -1);
    store_bind_blob(st, 3, enc, len);
    return store_run(st, NULL, err);
}

int exchange_db_grant_insert(struct store_conn *c, const struct exchange_grant_row *g,
                             struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_GRANT_INSERT, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, g->id);
    store_bind_text(st, 2, g->client_id, -1);
    store_bind_text(st, 3, g->consumer_name, -1);
    store_bind_text(st, 4, g->resource, -1);
    store_bind_text(st, 5, g->fields, -1);
    store_bind_text(st, 6, g->purpose, -1);
    store_bind_text(st, 7, g->legal_basis, -1);
    store_bind_text(st, 8, g->status, -1);
    store_bind_int64(st, 9, g->rate_per_min);
    store_bind_int64(st, 10, g->expires_at);
    store_bind_int64(st, 11, g->decided_at);
    store_bind_int64(st, 12, g->created_at);
    return store_run(st, NULL, err);
}

static int grant_row(struct store_stmt *st, struct arena *a, struct exchange_grant_row *g)
{
    g->id = store_col_int64(st, 0);
    g->client_id = arena_strdup(a, store_col_text(st, 1));
    g->consumer_name = arena_strdup(a, store_col_text(st, 2));
    g->resource = arena_strdup(a, store_col_text(st, 3));
    g->fields = arena_strdup(a, store_col_text(st, 4));
    g->purpose = arena_strdup(a, store_col_text(st, 5));
    g->legal_basis = arena_strdup(a, store_col_text(st, 6));
    g->status = arena_strdup(a, store_col_text(st, 7));
    g->rate_per_min = (int)store_col_int64(st, 8);
    g->expires_at = store_col_int64(st, 9);
    g->decided_at = store_col_int64(st, 10);
    g->created_at = store_col_int64(st, 11);
    return g->client_id && g->consumer_name && g->resource && g->fields && g->purpose &&
                   g->legal_basis && g->status
               ? 0
               : -1;
}

static int grant_one(struct store_stmt *st, struct arena *a, struct exchange_grant_row *out,
                     int *found, struct err *err)
{
    int rc = store_step(st, err);
    *found = rc == STORE_ROW;
    if (rc == STORE_ROW && grant_row(st, a, out) < 0)
        return oom(st, err);
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int exchange_db_grant_find(struct store_conn *c, struct arena *a, const char *client_id,
                           const char *resource, const char *purpose,
                           struct exchange_grant_row *out, int *found, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_GRANT_FIND, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, client_id, -1);
    store_bind_text(st, 2, resource, -1);
    store_bind_text(st, 3, purpose, -1);
    return grant_one(st, a, out, found, err);
}

int exchange_db_grant_get(struct store_conn *c, struct arena *a, int64_t id,
                          struct exchange_grant_row *out, int *found, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_GRANT_GET, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, id);
    return grant_one(st, a, out, found, err);
}

int exchange_db_grant_update(struct store_conn *c, int64_t id, const char *from_status,
                             const char *status, const char *fields, int rate, int64_t expires_at,
                             int64_t by, int64_t now, int *changed, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_GRANT_UPDATE, err);
    int64_t n = 0;
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, status, -1);
    store_bind_text(st, 2, fields, -1);
    store_bind_int64(st, 3, rate);
    store_bind_int64(st, 4, expires_at);
    store_bind_int64(st, 5, by);
    store_bind_int64(st, 6, now);
    store_bind_int64(st, 7, id);
    store_bind_text(st, 8, from_status, -1);
    if (store_run(st, &n, err) < 0)
        return -1;
    *changed = n > 0;
    return 0;
}

int exchange_db_grant_list(struct store_conn *c, const char *client_id, json_t *arr,
                           struct err *err)
{
    struct store_stmt *st =
        store_prepare(c, client_id ? SQL_GRANT_LIST_CLIENT : SQL_GRANT_LIST, err);
    struct arena *a = arena_new(0);
    int rc = -1;
    if (st == NULL || a == NULL) {
        arena_free(a);
        return st == NULL ? -1 : err_set(err, 500, "exchange.oom", "out of memory");
    }
    if (client_id)
        store_bind_text(st, 1, client_id, -1);
    struct exchange_grant_row g;
    while ((rc = store_step(st, err)) == STORE_ROW) {
        if (grant_row(st, a, &g) < 0) {
            arena_free(a);
            return oom(st, err);
        }
        json_array_append_new(
            arr,
            json_pack("{s:o, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:I, s:I, s:I}", "id",
                      json_sprintf("%lld", (long long)g.id), "client_id", g.client_id, "consumer",
                      g.consumer_name, "resource", g.resource, "fields", g.fields, "purpose",
                      g.purpose, "legal_basis", g.legal_basis, "status", g.status, "rate_per_min",
                      g.rate_per_min, "expires_at", (json_int_t)g.expires_at, "decided_at",
                      (json_int_t)g.decided_at, "created_at", (json_int_t)g.created_at));
    }
    store_reset(st);
    arena_free(a);
    return rc < 0 ? -1 : 0;
}

int exchange_db_read_insert(struct store_conn *c, const struct exchange_read_row *r,
                            struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_READ_INSERT, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, r->id);
    store_bind_int64(st, 2, r->at);
    store_bind_text(st, 3, r->subject_hash, -1);
    store_bind_text(st, 4, r->client_id, -1);
    store_bind_text(st, 5, r->consumer_name, -1);
    store_bind_text(st, 6, r->resource, -1);
    store_bind_text(st, 7, r->fields, -1);
    store_bind_text(st, 8, r->purpose, -1);
    store_bind_text(st, 9, r->case_number, -1);
    store_bind_text(st, 10, r->legal_basis, -1);
    store_bind_text(st, 11, r->outcome, -1);
    return store_run(st, NULL, err);
}

int exchange_db_reads_of(struct store_conn *c, const char *subject_hash, int64_t before, int limit,
                         json_t *arr, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_READS_OF, err);
    int rc;
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, subject_hash, -1);
    store_bind_int64(st, 2, before > 0 ? before : INT64_MAX);
    store_bind_int64(st, 3, limit);
    while ((rc = store_step(st, err)) == STORE_ROW)
        json_array_append_new(
            arr, json_pack("{s:o, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id",
                           json_sprintf("%lld", (long long)store_col_int64(st, 0)), "at",
                           (json_int_t)store_col_int64(st, 1), "consumer", store_col_text(st, 2),
                           "resource", store_col_text(st, 3), "fields", store_col_text(st, 4),
                           "purpose", store_col_text(st, 5), "case_number", store_col_text(st, 6),
                           "legal_basis", store_col_text(st, 7), "outcome", store_col_text(st, 8)));
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int exchange_db_reads_search(struct store_conn *c, const char *case_number, int64_t before,
                             int limit, json_t *arr, struct err *err)
{
    int by_case = case_number != NULL && *case_number;
    struct store_stmt *st = store_prepare(c, by_case ? SQL_READS_CASE : SQL_READS_ALL, err);
    int rc, i = 1;
    if (st == NULL)
        return -1;
    if (by_case)
        store_bind_text(st, i++, case_number, -1);
    store_bind_int64(st, i++, before > 0 ? before : INT64_MAX);
    store_bind_int64(st, i, limit);
    while ((rc = store_step(st, err)) == STORE_ROW) {
        /* The subject by a prefix of its keyed hash: enough to group one person's reads,
         * never the number. */
        char subject[17];
        snprintf(subject, sizeof(subject), "%.16s", store_col_text(st, 2));
        json_array_append_new(
            arr,
            json_pack("{s:o, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id",
                      json_sprintf("%lld", (long long)store_col_int64(st, 0)), "at",
                      (json_int_t)store_col_int64(st, 1), "subject", subject, "client_id",
                      store_col_text(st, 3), "consumer", store_col_text(st, 4), "resource",
                      store_col_text(st, 5), "fields", store_col_text(st, 6), "purpose",
                      store_col_text(st, 7), "case_number", store_col_text(st, 8), "legal_basis",
                      store_col_text(st, 9), "outcome", store_col_text(st, 10)));
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int exchange_db_correction_insert(struct store_conn *c, int64_t id, int64_t at, int64_t account_id,
                                  const char *resource, const char *field, const char *note,
                                  struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_CORRECTION_INSERT, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, id);
    store_bind_int64(st, 2, at);
    store_bind_int64(st, 3, account_id);
    store_bind_text(st, 4, resource, -1);
    store_bind_text(st, 5, field, -1);
    store_bind_text(st, 6, note, -1);
    return store_run(st, NULL, err);
}

int exchange_db_corrections(struct store_conn *c, const char *resource, json_t *arr,
                            struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_CORRECTIONS, err);
    int rc;
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, resource, -1);
    while ((rc = store_step(st, err)) == STORE_ROW)
        json_array_append_new(
            arr, json_pack("{s:o, s:I, s:I, s:s, s:s, s:s, s:s}", "id",
                           json_sprintf("%lld", (long long)store_col_int64(st, 0)), "at",
                           (json_int_t)store_col_int64(st, 1), "account_id",
                           (json_int_t)store_col_int64(st, 2), "resource", store_col_text(st, 3),
                           "field", store_col_text(st, 4), "note", store_col_text(st, 5), "status",
                           store_col_text(st, 6)));
    store_reset(st);
    return rc < 0 ? -1 : 0;
}
