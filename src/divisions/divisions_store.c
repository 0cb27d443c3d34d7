/* divisions_store.c - every SQL statement of the divisions module. */
#include "divisions/divisions_internal.h"

#include <stdio.h>
#include <stdlib.h>

#include "base/arena.h"
#include "store/store.h"

static const char SQL_GET[] =
    "SELECT code, parent_code, level, name_zh, name_bo, name_en FROM divisions WHERE code = ?";
static const char SQL_CHILDREN[] =
    "SELECT code, parent_code, level, name_zh, name_bo, name_en FROM divisions "
    "WHERE parent_code = ? ORDER BY code";
static const char SQL_INSERT[] =
    "INSERT INTO divisions (code, parent_code, level, name_zh, name_bo, name_en) "
    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (code) DO NOTHING";
static const char SQL_COUNT_BY_LEVEL[] = "SELECT level, COUNT(*) FROM divisions GROUP BY level";

int divisions_store_version(struct store_conn *c, int64_t *version, struct err *err)
{
    int found;
    return store_meta_get_int64(c, "divisions_version", version, &found, err);
}

int divisions_store_bump_version(struct store_conn *c, int64_t version, struct err *err)
{
    return store_meta_set_int64(c, "divisions_version", version, err);
}

static const char *col_str(struct store_stmt *st, int col, struct arena *a)
{
    const char *s = store_col_text(st, col);
    return s && *s ? arena_strdup(a, s) : NULL;
}

static int read_row(struct store_stmt *st, struct arena *a, struct division *d)
{
    d->code = store_col_int64(st, 0);
    d->parent_code = store_col_int64(st, 1);
    d->level = (int)store_col_int64(st, 2);
    d->name_zh = col_str(st, 3, a);
    d->name_bo = col_str(st, 4, a);
    d->name_en = col_str(st, 5, a);
    return d->name_zh ? 0 : -1;
}

int divisions_store_get(struct store_conn *c, struct arena *a, int64_t code, struct division *out,
                        int *found, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_GET, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, code);
    int rc = store_step(st, err);
    *found = rc == STORE_ROW;
    if (rc == STORE_ROW && read_row(st, a, out) < 0)
        rc = err_set(err, 500, "divisions.oom", "out of memory");
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int divisions_store_children(struct store_conn *c, struct arena *a, int64_t code,
                             struct division **out, size_t *n, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_CHILDREN, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, code);
    size_t cap = 32, count = 0;
    struct division *list = arena_alloc(a, cap * sizeof(*list));
    int rc;
    while (list != NULL && (rc = store_step(st, err)) == STORE_ROW) {
        if (count == cap) {
            struct division *bigger = arena_alloc(a, 2 * cap * sizeof(*list));
            if (bigger == NULL) {
                list = NULL;
                break;
            }
            memcpy(bigger, list, count * sizeof(*list));
            list = bigger;
            cap *= 2;
        }
        if (read_row(st, a, &list[count]) < 0) {
            list = NULL;
            break;
        }
        count++;
    }
    store_reset(st);
    if (list == NULL)
        return err_set(err, 500, "divisions.oom", "out of memory");
    if (rc < 0)
        return -1;
    *out = list;
    *n = count;
    return 0;
}

int divisions_store_insert(struct store_conn *c, const struct division *d, int *inserted,
                           struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_INSERT, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, d->code);
    if (d->parent_code != 0)
        store_bind_int64(st, 2, d->parent_code);
    store_bind_int64(st, 3, d->level);
    store_bind_text(st, 4, d->name_zh, -1);
    store_bind_text(st, 5, d->name_bo, -1);
    store_bind_text(st, 6, d->name_en, -1);
    int rc = store_step(st, err);
    if (rc == STORE_DONE)
        *inserted += (int)store_changes(st);
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int divisions_store_count_by_level(struct store_conn *c, int64_t counts[6], struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_COUNT_BY_LEVEL, err);
    if (st == NULL)
        return -1;
    for (int i = 0; i < 6; i++)
        counts[i] = 0;
    int rc;
    while ((rc = store_step(st, err)) == STORE_ROW) {
        int64_t level = store_col_int64(st, 0);
        if (level >= 1 && level <= 5)
            counts[level] = store_col_int64(st, 1);
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}
