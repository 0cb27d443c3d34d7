/* seals_store.c - every SQL statement of the seals module. */
#include "seals/seals_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/id.h"
#include "store/store.h"

static const char SQL_ROOT_PLATFORM[] =
    "SELECT id, kind, name, cert_der, private_sealed FROM trust_roots WHERE kind = 'platform' "
    "ORDER BY created_at LIMIT 1";
static const char SQL_ROOTS_ALL[] =
    "SELECT id, kind, name, cert_der, private_sealed FROM trust_roots ORDER BY created_at, id";
static const char SQL_ROOT_INSERT[] =
    "INSERT INTO trust_roots (id, kind, name, cert_der, fingerprint, private_sealed, created_at, "
    "created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
static const char SQL_ROOTS_JSON[] =
    "SELECT id, kind, name, fingerprint, created_at FROM trust_roots ORDER BY created_at, id";
static const char SQL_SEAL_INSERT[] =
    "INSERT INTO seals (id, es_id, department_id, seal_type, name, status, valid_from, valid_to, "
    "picture_png, cert_der, eseal, private_sealed, created_at, created_by, status_at) "
    "VALUES (?, ?, ?, ?, ?, 'active', ?, ?, ?, ?, ?, ?, ?, ?, ?)";
#define SEAL_COLS                                                                                  \
    "SELECT id, es_id, department_id, seal_type, name, status, valid_from, valid_to, "             \
    "picture_png, "                                                                                \
    "cert_der, eseal, private_sealed FROM seals "
static const char SQL_SEAL_BY_ID[] = SEAL_COLS "WHERE id = ?";
static const char SQL_SEAL_BY_ESID[] = SEAL_COLS "WHERE es_id = ?";
static const char SQL_SEAL_STATUS[] =
    "UPDATE seals SET status = ?, status_at = ? WHERE id = ? AND status <> 'revoked'";
static const char SQL_SEALS_ALL[] =
    "SELECT id, es_id, department_id, seal_type, name, status, valid_from, valid_to FROM seals "
    "ORDER BY created_at, id";
static const char SQL_SEALS_DEPT[] =
    "SELECT id, es_id, department_id, seal_type, name, status, valid_from, valid_to FROM seals "
    "WHERE department_id = ? ORDER BY created_at, id";
static const char SQL_SEAL_ACTIVE[] =
    "SELECT id FROM seals WHERE department_id = ? AND seal_type = ? AND status = 'active' "
    "AND valid_from <= ? AND valid_to >= ? ORDER BY created_at DESC, id DESC LIMIT 1";
static const char SQL_USE_INSERT[] =
    "INSERT INTO seal_uses (id, seal_id, actor_id, data_hash, purpose, at) VALUES (?, ?, ?, ?, "
    "?, ?)";

static unsigned char *dup_blob(struct store_stmt *st, int col, size_t *n)
{
    size_t len = 0;
    const void *p = store_col_blob(st, col, &len);
    *n = 0;
    if (p == NULL)
        return NULL;
    unsigned char *b = malloc(len ? len : 1);
    if (b != NULL) {
        memcpy(b, p, len);
        *n = len;
    }
    return b;
}

static void copy_text(char *dst, size_t size, const char *s)
{
    snprintf(dst, size, "%s", s ? s : "");
}

void seals_root_row_free(struct seals_root_row *r)
{
    if (r == NULL)
        return;
    free(r->cert_der);
    free(r->private_sealed);
    memset(r, 0, sizeof(*r));
}

static int read_root(struct store_stmt *st, struct seals_root_row *r)
{
    memset(r, 0, sizeof(*r));
    r->id = store_col_int64(st, 0);
    copy_text(r->kind, sizeof(r->kind), store_col_text(st, 1));
    copy_text(r->name, sizeof(r->name), store_col_text(st, 2));
    r->cert_der = dup_blob(st, 3, &r->cert_len);
    if (!store_col_is_null(st, 4))
        r->private_sealed = dup_blob(st, 4, &r->private_len);
    return r->cert_der == NULL ? -1 : 0;
}

int seals_db_root_platform(struct store_conn *c, struct seals_root_row *r, int *found,
                           struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_ROOT_PLATFORM, err);
    if (st == NULL)
        return -1;
    *found = 0;
    int rc = store_step(st, err);
    if (rc == STORE_ROW) {
        *found = 1;
        if (read_root(st, r) < 0) {
            store_reset(st);
            return err_set(err, 500, "seals.oom", "out of memory");
        }
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int seals_db_roots_all(struct store_conn *c, struct seals_root_row **rows, size_t *n,
                       struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_ROOTS_ALL, err);
    if (st == NULL)
        return -1;
    *rows = NULL;
    *n = 0;
    size_t cap = 0;
    int rc;
    while ((rc = store_step(st, err)) == STORE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 4;
            struct seals_root_row *nr = realloc(*rows, cap * sizeof(**rows));
            if (nr == NULL) {
                rc = err_set(err, 500, "seals.oom", "out of memory");
                break;
            }
            *rows = nr;
        }
        if (read_root(st, &(*rows)[*n]) < 0) {
            rc = err_set(err, 500, "seals.oom", "out of memory");
            break;
        }
        (*n)++;
    }
    store_reset(st);
    if (rc < 0) {
        for (size_t i = 0; i < *n; i++)
            seals_root_row_free(&(*rows)[i]);
        free(*rows);
        *rows = NULL;
        *n = 0;
        return -1;
    }
    return 0;
}

int seals_db_root_insert(struct store_conn *c, int64_t id, const char *kind, const char *name,
                         const unsigned char *der, size_t der_len, const char *fp,
                         const unsigned char *priv, size_t priv_len, int64_t actor, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_ROOT_INSERT, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, id);
    store_bind_text(st, 2, kind, -1);
    store_bind_text(st, 3, name, -1);
    store_bind_blob(st, 4, der, der_len);
    store_bind_text(st, 5, fp, -1);
    if (priv != NULL)
        store_bind_blob(st, 6, priv, priv_len);
    else
        store_bind_null(st, 6);
    store_bind_int64(st, 7, time_now_ms());
    store_bind_int64(st, 8, actor);
    return store_run(st, NULL, err);
}

int seals_db_roots_json(struct store_conn *c, json_t **list, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_ROOTS_JSON, err);
    if (st == NULL)
        return -1;
    json_t *a = json_array();
    int rc;
    while ((rc = store_step(st, err)) == STORE_ROW)
        json_array_append_new(a, json_pack("{s:I, s:s, s:s, s:s, s:I}", "id",
                                           (json_int_t)store_col_int64(st, 0), "kind",
                                           store_col_text(st, 1), "name", store_col_text(st, 2),
                                           "fingerprint", store_col_text(st, 3), "created_at",
                                           (json_int_t)store_col_int64(st, 4)));
    store_reset(st);
    if (rc < 0) {
        json_decref(a);
        return -1;
    }
    *list = a;
    return 0;
}

void seals_row_free(struct seals_row *r)
{
    if (r == NULL)
        return;
    free(r->picture);
    free(r->cert_der);
    free(r->eseal);
    free(r->private_sealed);
    memset(r, 0, sizeof(*r));
}

int seals_db_seal_insert(struct store_conn *c, const struct seals_row *r, int64_t actor,
                         int64_t now, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_SEAL_INSERT, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, r->id);
    store_bind_text(st, 2, r->es_id, -1);
    store_bind_int64(st, 3, r->department_id);
    store_bind_text(st, 4, r->type, -1);
    store_bind_text(st, 5, r->name, -1);
    store_bind_int64(st, 6, r->valid_from);
    store_bind_int64(st, 7, r->valid_to);
    store_bind_blob(st, 8, r->picture, r->picture_len);
    store_bind_blob(st, 9, r->cert_der, r->cert_len);
    store_bind_blob(st, 10, r->eseal, r->eseal_len);
    store_bind_blob(st, 11, r->private_sealed, r->private_len);
    store_bind_int64(st, 12, now);
    store_bind_int64(st, 13, actor);
    store_bind_int64(st, 14, now);
    return store_run(st, NULL, err);
}

int seals_db_seal_get(struct store_conn *c, int64_t id, const char *es_id, struct seals_row *r,
                      int *found, struct err *err)
{
    struct store_stmt *st =
        store_prepare(c, es_id != NULL ? SQL_SEAL_BY_ESID : SQL_SEAL_BY_ID, err);
    if (st == NULL)
        return -1;
    if (es_id != NULL)
        store_bind_text(st, 1, es_id, -1);
    else
        store_bind_int64(st, 1, id);
    *found = 0;
    memset(r, 0, sizeof(*r));
    int rc = store_step(st, err);
    if (rc == STORE_ROW) {
        *found = 1;
        r->id = store_col_int64(st, 0);
        copy_text(r->es_id, sizeof(r->es_id), store_col_text(st, 1));
        r->department_id = store_col_int64(st, 2);
        copy_text(r->type, sizeof(r->type), store_col_text(st, 3));
        copy_text(r->name, sizeof(r->name), store_col_text(st, 4));
        copy_text(r->status, sizeof(r->status), store_col_text(st, 5));
        r->valid_from = store_col_int64(st, 6);
        r->valid_to = store_col_int64(st, 7);
        r->picture = dup_blob(st, 8, &r->picture_len);
        r->cert_der = dup_blob(st, 9, &r->cert_len);
        r->eseal = dup_blob(st, 10, &r->eseal_len);
        r->private_sealed = dup_blob(st, 11, &r->private_len);
        if (!r->picture || !r->cert_der || !r->eseal || !r->private_sealed) {
            seals_row_free(r);
            store_reset(st);
            return err_set(err, 500, "seals.oom", "out of memory");
        }
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int seals_db_seal_status(struct store_conn *c, int64_t id, const char *status, int64_t now,
                         int64_t *changes, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_SEAL_STATUS, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, status, -1);
    store_bind_int64(st, 2, now);
    store_bind_int64(st, 3, id);
    return store_run(st, changes, err);
}

int seals_db_seals_json(struct store_conn *c, int64_t department_id, json_t **list, struct err *err)
{
    struct store_stmt *st = store_prepare(c, department_id ? SQL_SEALS_DEPT : SQL_SEALS_ALL, err);
    if (st == NULL)
        return -1;
    if (department_id)
        store_bind_int64(st, 1, department_id);
    json_t *a = json_array();
    int rc;
    while ((rc = store_step(st, err)) == STORE_ROW)
        json_array_append_new(
            a, json_pack("{s:I, s:s, s:I, s:s, s:s, s:s, s:I, s:I}", "id",
                         (json_int_t)store_col_int64(st, 0), "es_id", store_col_text(st, 1),
                         "department_id", (json_int_t)store_col_int64(st, 2), "type",
                         store_col_text(st, 3), "name", store_col_text(st, 4), "status",
                         store_col_text(st, 5), "valid_from", (json_int_t)store_col_int64(st, 6),
                         "valid_to", (json_int_t)store_col_int64(st, 7)));
    store_reset(st);
    if (rc < 0) {
        json_decref(a);
        return -1;
    }
    *list = a;
    return 0;
}

int seals_db_seal_find_active(struct store_conn *c, int64_t department_id, const char *type,
                              int64_t now, int64_t *id, int *found, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_SEAL_ACTIVE, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, department_id);
    store_bind_text(st, 2, type, -1);
    store_bind_int64(st, 3, now);
    store_bind_int64(st, 4, now);
    *found = 0;
    int rc = store_step(st, err);
    if (rc == STORE_ROW) {
        *found = 1;
        *id = store_col_int64(st, 0);
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int seals_db_seal_use_insert(struct store_conn *c, int64_t seal_id, int64_t actor,
                             const char *hash_hex, const char *purpose, int64_t at, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_USE_INSERT, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, id_next());
    store_bind_int64(st, 2, seal_id);
    store_bind_int64(st, 3, actor);
    store_bind_text(st, 4, hash_hex, -1);
    store_bind_text(st, 5, purpose, -1);
    store_bind_int64(st, 6, at);
    return store_run(st, NULL, err);
}

static const char SQL_DEPT_BY_CODE[] = "SELECT id, name_zh FROM departments WHERE code = ?";

int seals_db_department(struct store_conn *c, const char *code, int64_t *id, char name[200],
                        int *found, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_DEPT_BY_CODE, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, code, -1);
    *found = 0;
    int rc = store_step(st, err);
    if (rc == STORE_ROW) {
        *found = 1;
        *id = store_col_int64(st, 0);
        copy_text(name, 200, store_col_text(st, 1));
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

static const char SQL_ROOTS_COUNT[] = "SELECT COUNT(*) FROM trust_roots";

int seals_db_roots_count(struct store_conn *c, int64_t *n, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_ROOTS_COUNT, err);
    if (st == NULL)
        return -1;
    int rc = store_step(st, err);
    *n = rc == STORE_ROW ? store_col_int64(st, 0) : 0;
    store_reset(st);
    return rc < 0 ? -1 : 0;
}
