/* catalog_store.c - every SQL statement of the catalog module. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog_internal.h"
#include "store/store.h"

#define COLS                                                                                       \
    "code, version, status, doc, digest, created_by, created_at, published_at, name_zh, "          \
    "department"

static const char SQL_GET[] =
    "SELECT " COLS " FROM catalog_versions WHERE code = ? AND version = ?";
static const char SQL_GET_STATUS[] =
    "SELECT " COLS " FROM catalog_versions WHERE code = ? AND status = ? ORDER BY version DESC";
static const char SQL_LATEST[] =
    "SELECT " COLS " FROM catalog_versions WHERE code = ? ORDER BY version DESC";
static const char SQL_CURRENT[] =
    "SELECT " COLS " FROM catalog_versions WHERE code = ? AND status IN ('published', 'retired') "
    "ORDER BY version DESC";
static const char SQL_INSERT[] =
    "INSERT INTO catalog_versions (code, version, status, department, name_zh, audience, "
    "life_events, handled_by, digest, doc, created_by, created_at, published_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
static const char SQL_SET_STATUS[] =
    "UPDATE catalog_versions SET status = ?, published_at = ? WHERE code = ? AND version = ?";
static const char SQL_UNPUBLISH[] =
    "UPDATE catalog_versions SET status = ? WHERE code = ? AND status = 'published'";
static const char SQL_EACH_PUBLISHED[] =
    "SELECT " COLS " FROM catalog_versions WHERE status = 'published' ORDER BY code";
static const char SQL_EACH_VERSION[] =
    "SELECT code, version, status, NULL, digest, created_by, created_at, published_at, name_zh, "
    "department FROM catalog_versions ORDER BY code, version";
/* The latest version of each item (any status), for the administrators' list. */
static const char SQL_EACH_LATEST[] =
    "SELECT " COLS " FROM catalog_versions v WHERE version = "
    "(SELECT MAX(version) FROM catalog_versions w WHERE w.code = v.code) ORDER BY code";
static const char SQL_HISTORY[] =
    "SELECT " COLS " FROM catalog_versions WHERE code = ? ORDER BY version";
static const char SQL_BUNDLE_GET[] = "SELECT doc, digest FROM catalog_bundles WHERE code = ?";
static const char SQL_BUNDLE_PUT[] =
    "INSERT INTO catalog_bundles (code, life_event, digest, doc, updated_at) VALUES (?, ?, ?, ?, "
    "?) "
    "ON CONFLICT (code) DO UPDATE SET life_event = excluded.life_event, digest = excluded.digest, "
    "doc = excluded.doc, updated_at = excluded.updated_at";
static const char SQL_BUNDLES[] = "SELECT doc FROM catalog_bundles ORDER BY code";

void catalog_row_clear(struct catalog_row *r)
{
    free(r->code);
    free(r->doc);
    memset(r, 0, sizeof *r);
}

static char *dup_or_null(const char *s)
{
    return s != NULL ? strdup(s) : NULL;
}

static void read_row(struct store_stmt *st, struct catalog_row *r)
{
    memset(r, 0, sizeof *r);
    r->code = dup_or_null(store_col_text(st, 0));
    r->version = (int)store_col_int64(st, 1);
    const char *s = store_col_text(st, 2);
    snprintf(r->status, sizeof r->status, "%s", s != NULL ? s : "");
    r->doc = dup_or_null(store_col_text(st, 3));
    s = store_col_text(st, 4);
    snprintf(r->digest, sizeof r->digest, "%s", s != NULL ? s : "");
    r->created_by = store_col_int64(st, 5);
    r->created_at = store_col_int64(st, 6);
    r->published_at = store_col_int64(st, 7);
}

static int one_row(struct store_stmt *st, struct catalog_row *out, int *found, struct err *err)
{
    int rc = store_step(st, err);
    *found = rc == STORE_ROW;
    if (rc == STORE_ROW)
        read_row(st, out);
    store_reset(st);
    if (rc == STORE_ROW && (out->code == NULL || out->doc == NULL)) {
        catalog_row_clear(out);
        return err_set(err, 500, "catalog.oom", "out of memory");
    }
    return rc < 0 ? -1 : 0;
}

int catalog_store_get(struct store_conn *c, const char *code, int version, const char *status,
                      struct catalog_row *out, int *found, struct err *err)
{
    struct store_stmt *st = store_prepare(c, status != NULL ? SQL_GET_STATUS : SQL_GET, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, code, -1);
    if (status != NULL)
        store_bind_text(st, 2, status, -1);
    else
        store_bind_int64(st, 2, version);
    return one_row(st, out, found, err);
}

int catalog_store_latest(struct store_conn *c, const char *code, struct catalog_row *out,
                         int *found, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_LATEST, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, code, -1);
    return one_row(st, out, found, err);
}

int catalog_store_current(struct store_conn *c, const char *code, struct catalog_row *out,
                          int *found, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_CURRENT, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, code, -1);
    return one_row(st, out, found, err);
}

int catalog_store_insert(struct store_conn *c, const struct catalog_cols *cols, int version,
                         const char *status, const char *digest, const char *doc, int64_t actor,
                         int64_t now, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_INSERT, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, cols->code, -1);
    store_bind_int64(st, 2, version);
    store_bind_text(st, 3, status, -1);
    store_bind_text(st, 4, cols->department, -1);
    store_bind_text(st, 5, cols->name_zh, -1);
    store_bind_text(st, 6, cols->audience, -1);
    store_bind_text(st, 7, cols->life_events, -1);
    store_bind_text(st, 8, cols->handled_by, -1);
    store_bind_text(st, 9, digest, -1);
    store_bind_text(st, 10, doc, -1);
    store_bind_int64(st, 11, actor);
    store_bind_int64(st, 12, now);
    if (strcmp(status, "published") == 0)
        store_bind_int64(st, 13, now);
    else
        store_bind_null(st, 13);
    return store_run(st, NULL, err);
}

int catalog_store_set_status(struct store_conn *c, const char *code, int version,
                             const char *status, int64_t published_at, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_SET_STATUS, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, status, -1);
    if (published_at > 0)
        store_bind_int64(st, 2, published_at);
    else
        store_bind_null(st, 2);
    store_bind_text(st, 3, code, -1);
    store_bind_int64(st, 4, version);
    return store_run(st, NULL, err);
}

int catalog_store_unpublish(struct store_conn *c, const char *code, const char *status,
                            int64_t *changed, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_UNPUBLISH, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, status, -1);
    store_bind_text(st, 2, code, -1);
    return store_run(st, changed, err);
}

static int each(struct store_stmt *st, catalog_row_fn fn, void *ctx, struct err *err)
{
    int rc, stop = 0;
    while ((rc = store_step(st, err)) == STORE_ROW) {
        struct catalog_row r;
        read_row(st, &r);
        stop = fn(&r, store_col_text(st, 8), store_col_text(st, 9), ctx);
        catalog_row_clear(&r);
        if (stop != 0)
            break;
    }
    store_reset(st);
    if (stop != 0)
        return err_set(err, 500, "catalog.bad_data", "a stored catalog item is invalid");
    return rc < 0 ? -1 : 0;
}

int catalog_store_each_published(struct store_conn *c, catalog_row_fn fn, void *ctx,
                                 struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_EACH_PUBLISHED, err);
    return st == NULL ? -1 : each(st, fn, ctx, err);
}

int catalog_store_each_version(struct store_conn *c, catalog_row_fn fn, void *ctx, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_EACH_VERSION, err);
    return st == NULL ? -1 : each(st, fn, ctx, err);
}

int catalog_store_each_latest(struct store_conn *c, catalog_row_fn fn, void *ctx, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_EACH_LATEST, err);
    return st == NULL ? -1 : each(st, fn, ctx, err);
}

int catalog_store_history(struct store_conn *c, const char *code, catalog_row_fn fn, void *ctx,
                          struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_HISTORY, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, code, -1);
    return each(st, fn, ctx, err);
}

int catalog_store_bundle_get(struct store_conn *c, const char *code, char **doc, char *digest,
                             int *found, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_BUNDLE_GET, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, code, -1);
    int rc = store_step(st, err);
    *found = rc == STORE_ROW;
    *doc = NULL;
    if (rc == STORE_ROW) {
        *doc = dup_or_null(store_col_text(st, 0));
        if (digest != NULL)
            snprintf(digest, 72, "%s", store_col_text(st, 1) ? store_col_text(st, 1) : "");
    }
    store_reset(st);
    if (rc == STORE_ROW && *doc == NULL)
        return err_set(err, 500, "catalog.oom", "out of memory");
    return rc < 0 ? -1 : 0;
}

int catalog_store_bundle_put(struct store_conn *c, const char *code, const char *life_event,
                             const char *digest, const char *doc, int64_t now, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_BUNDLE_PUT, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, code, -1);
    store_bind_text(st, 2, life_event, -1);
    store_bind_text(st, 3, digest, -1);
    store_bind_text(st, 4, doc, -1);
    store_bind_int64(st, 5, now);
    return store_run(st, NULL, err);
}

int catalog_store_bundles(struct store_conn *c, json_t *out, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_BUNDLES, err);
    if (st == NULL)
        return -1;
    int rc;
    while ((rc = store_step(st, err)) == STORE_ROW) {
        json_t *b = json_loads(store_col_text(st, 0), 0, NULL);
        if (b == NULL) {
            store_reset(st);
            return err_set(err, 500, "catalog.bad_data", "a stored bundle is invalid");
        }
        json_array_append_new(out, b);
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int catalog_store_version(struct store_conn *c, int64_t *v, struct err *err)
{
    int found;
    return store_meta_get_int64(c, "catalog_version", v, &found, err);
}

int catalog_store_bump(struct store_conn *c, struct err *err)
{
    int64_t v = 0;
    if (catalog_store_version(c, &v, err) < 0)
        return -1;
    return store_meta_set_int64(c, "catalog_version", v + 1, err);
}
