/* opendata_store.c - every SQL statement of the open-data module. */
#include "opendata/opendata_internal.h"

#include <stdlib.h>
#include <string.h>

#include "store/store.h"

static const char SQL_LIST[] =
    "SELECT d.id, d.slug, d.department_id, d.meta, d.licence, d.spatial, d.temporal_start, "
    "d.temporal_end, d.frequency, d.status, d.platform, d.created_at, d.updated_at, r.nrows, "
    "r.ncols FROM od_datasets d LEFT JOIN od_resources r ON r.dataset_id = d.id "
    "ORDER BY d.updated_at DESC, d.id DESC";
static const char SQL_FIND[] = "SELECT id, department_id FROM od_datasets WHERE slug = ?";
static const char SQL_INSERT[] =
    "INSERT INTO od_datasets (id, slug, department_id, meta, licence, spatial, temporal_start, "
    "temporal_end, frequency, status, platform, created_at, updated_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
static const char SQL_UPDATE[] =
    "UPDATE od_datasets SET meta = ?, licence = ?, spatial = ?, temporal_start = ?, "
    "temporal_end = ?, frequency = ?, status = ?, updated_at = ? WHERE id = ?";
static const char SQL_RES_PUT[] =
    "INSERT INTO od_resources (dataset_id, csv, nrows, ncols, updated_at) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (dataset_id) DO UPDATE SET csv = excluded.csv, nrows = excluded.nrows, "
    "ncols = excluded.ncols, updated_at = excluded.updated_at";
static const char SQL_COUNTERS[] = "SELECT downloads, api_calls FROM od_datasets WHERE id = ?";
static const char SQL_CSV[] = "SELECT r.csv FROM od_resources r JOIN od_datasets d "
                              "ON d.id = r.dataset_id WHERE d.slug = ?";
static const char SQL_COUNT_DL[] =
    "UPDATE od_datasets SET downloads = downloads + 1 WHERE slug = ?";
static const char SQL_COUNT_API[] =
    "UPDATE od_datasets SET api_calls = api_calls + 1 WHERE slug = ?";
static const char SQL_KEY_INSERT[] =
    "INSERT INTO od_api_keys (key_hash, name, quota, created_at) VALUES (?, ?, ?, ?)";
/* A new day starts the count again; within a day a call past the quota changes nothing. */
static const char SQL_KEY_USE[] =
    "UPDATE od_api_keys SET used = CASE WHEN day = ? THEN used + 1 ELSE 1 END, day = ? "
    "WHERE key_hash = ? AND (day <> ? OR used < quota)";
static const char SQL_KEY_EXISTS[] = "SELECT 1 FROM od_api_keys WHERE key_hash = ?";

static void bind_opt(struct store_stmt *st, int i, const char *s)
{
    if (s != NULL && *s)
        store_bind_text(st, i, s, -1);
    else
        store_bind_null(st, i);
}

static json_t *text_or_null(struct store_stmt *st, int col)
{
    const char *s = store_col_text(st, col);
    return s != NULL ? json_string(s) : json_null();
}

int opendata_db_list(struct store_conn *c, json_t *arr, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_LIST, err);
    if (st == NULL)
        return -1;
    int rc;
    while ((rc = store_step(st, err)) == STORE_ROW) {
        json_t *meta = json_loads(store_col_text(st, 3), 0, NULL);
        if (!json_is_object(meta)) {
            json_decref(meta);
            meta = json_object();
        }
        json_object_set_new(meta, "id", json_integer(store_col_int64(st, 0)));
        json_object_set_new(meta, "slug", json_string(store_col_text(st, 1)));
        json_object_set_new(meta, "department_id", json_integer(store_col_int64(st, 2)));
        json_object_set_new(meta, "licence", text_or_null(st, 4));
        json_object_set_new(meta, "spatial", json_integer(store_col_int64(st, 5)));
        json_object_set_new(meta, "temporal_start", text_or_null(st, 6));
        json_object_set_new(meta, "temporal_end", text_or_null(st, 7));
        json_object_set_new(meta, "frequency", json_string(store_col_text(st, 8)));
        json_object_set_new(meta, "status", json_string(store_col_text(st, 9)));
        json_object_set_new(meta, "platform", json_boolean(store_col_int64(st, 10)));
        json_object_set_new(meta, "created_at", json_integer(store_col_int64(st, 11)));
        json_object_set_new(meta, "updated_at", json_integer(store_col_int64(st, 12)));
        json_object_set_new(meta, "nrows", json_integer(store_col_int64(st, 13)));
        json_object_set_new(meta, "ncols", json_integer(store_col_int64(st, 14)));
        json_array_append_new(arr, meta);
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int opendata_db_find(struct store_conn *c, const char *slug, int64_t *id, int64_t *department_id,
                     int *found, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_FIND, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, slug, -1);
    int rc = store_step(st, err);
    *found = rc == STORE_ROW;
    if (*found) {
        *id = store_col_int64(st, 0);
        *department_id = store_col_int64(st, 1);
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int opendata_db_put(struct store_conn *c, const struct od_row *r, int exists, int64_t now,
                    struct err *err)
{
    struct store_stmt *st = store_prepare(c, exists ? SQL_UPDATE : SQL_INSERT, err);
    if (st == NULL)
        return -1;
    int i = 1;
    if (!exists) {
        store_bind_int64(st, i++, r->id);
        store_bind_text(st, i++, r->slug, -1);
        store_bind_int64(st, i++, r->department_id);
    }
    store_bind_text(st, i++, r->meta, -1);
    bind_opt(st, i++, r->licence);
    store_bind_int64(st, i++, r->spatial);
    bind_opt(st, i++, r->temporal_start);
    bind_opt(st, i++, r->temporal_end);
    store_bind_text(st, i++, r->frequency, -1);
    store_bind_text(st, i++, r->status, -1);
    if (!exists) {
        store_bind_int64(st, i++, r->platform);
        store_bind_int64(st, i++, now);
        store_bind_int64(st, i++, now);
    } else {
        store_bind_int64(st, i++, now);
        store_bind_int64(st, i++, r->id);
    }
    return store_run(st, NULL, err);
}

int opendata_db_resource_put(struct store_conn *c, int64_t id, const char *csv, size_t len,
                             size_t rows, size_t cols, int64_t now, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_RES_PUT, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, id);
    store_bind_text(st, 2, csv, (int)len);
    store_bind_int64(st, 3, (int64_t)rows);
    store_bind_int64(st, 4, (int64_t)cols);
    store_bind_int64(st, 5, now);
    return store_run(st, NULL, err);
}

int opendata_db_counters(struct store_conn *c, int64_t id, int64_t *downloads, int64_t *api_calls,
                         struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_COUNTERS, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, id);
    int rc = store_step(st, err);
    *downloads = rc == STORE_ROW ? store_col_int64(st, 0) : 0;
    *api_calls = rc == STORE_ROW ? store_col_int64(st, 1) : 0;
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int opendata_db_csv(struct store_conn *c, const char *slug, char **csv, size_t *len, int *found,
                    struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_CSV, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, slug, -1);
    int rc = store_step(st, err);
    *found = rc == STORE_ROW;
    if (*found) {
        const char *s = store_col_text(st, 0);
        *len = strlen(s);
        if ((*csv = strdup(s)) == NULL)
            rc = err_set(err, 500, "opendata.oom", "out of memory");
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int opendata_db_count(struct store_conn *c, const char *slug, int download, struct err *err)
{
    struct store_stmt *st = store_prepare(c, download ? SQL_COUNT_DL : SQL_COUNT_API, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, slug, -1);
    return store_run(st, NULL, err);
}

int opendata_db_key_insert(struct store_conn *c, const char *hash, const char *name, int64_t quota,
                           int64_t now, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_KEY_INSERT, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, hash, -1);
    store_bind_text(st, 2, name, -1);
    store_bind_int64(st, 3, quota);
    store_bind_int64(st, 4, now);
    return store_run(st, NULL, err);
}

int opendata_db_key_use(struct store_conn *c, const char *hash, int64_t day, int *exists,
                        struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_KEY_USE, err);
    if (st == NULL)
        return -1;
    int64_t changed = 0;
    store_bind_int64(st, 1, day);
    store_bind_int64(st, 2, day);
    store_bind_text(st, 3, hash, -1);
    store_bind_int64(st, 4, day);
    if (store_run(st, &changed, err) < 0)
        return -1;
    *exists = changed > 0;
    if (changed > 0)
        return 1;
    if ((st = store_prepare(c, SQL_KEY_EXISTS, err)) == NULL)
        return -1;
    store_bind_text(st, 1, hash, -1);
    int rc = store_step(st, err);
    *exists = rc == STORE_ROW;
    store_reset(st);
    return rc < 0 ? -1 : 0;
}
