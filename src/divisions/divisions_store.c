/* divisions_store.c - every SQL statement of the divisions module. */
#include "divisions/divisions_internal.h"

#include <stdio.h>
#include <stdlib.h>

#include "base/arena.h"
#include "store/store.h"

/* The columns read_row reads. A Tibetan name's source is shown only while the name is the
 * one the reference data gave (an administrator's name has no page behind it). */
#define COLS                                                                                       \
    "code, parent_code, level, name_zh, name_bo, name_en, "                                        \
    "CASE WHEN name_bo = name_bo_ref THEN name_bo_source END"
static const char SQL_GET[] = "SELECT " COLS " FROM divisions WHERE code = ?";
static const char SQL_CHILDREN[] =
    "SELECT " COLS " FROM divisions WHERE parent_code = ? ORDER BY code";
static const char SQL_INSERT[] =
    "INSERT INTO divisions (code, parent_code, level, name_zh, name_bo, name_en, name_bo_ref, "
    "name_bo_source) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (code) DO NOTHING";
/* Set the reference data's Tibetan name (parameters 1, 2, 5-7) and its source (3, 8) on
 * division 4, unless someone changed the name since it was loaded: only an empty name, the
 * name the reference data last gave (name_bo_ref) or the same name are replaced. The last
 * condition skips rows already in step, so that the rows changed say what was done. */
static const char SQL_SYNC_BO[] =
    "UPDATE divisions SET name_bo = ?, name_bo_ref = ?, name_bo_source = ? WHERE code = ? "
    "AND (name_bo IS NULL OR name_bo = '' OR name_bo = name_bo_ref OR name_bo = ?) "
    "AND (name_bo IS NULL OR name_bo <> ? OR name_bo_ref IS NULL OR name_bo_ref <> ? "
    "OR name_bo_source IS NULL OR name_bo_source <> ?)";
/* The reference data has no Tibetan name (any more) for division 1: withdraw the one it
 * gave, if nobody changed it. */
static const char SQL_WITHDRAW_BO[] =
    "UPDATE divisions SET name_bo = NULL, name_bo_ref = NULL, name_bo_source = NULL "
    "WHERE code = ? AND name_bo_ref IS NOT NULL AND name_bo = name_bo_ref";
static const char SQL_COUNT_BY_LEVEL[] = "SELECT level, COUNT(*) FROM divisions GROUP BY level";
/* The picker's type-ahead: a substring of a name in any language (parameters 1-3, the
 * same pattern; English without case), or a prefix of the code (4). Exact names first,
 * then names that start with the text (5-10), then the higher levels, then by code. A full
 * scan of ~6,400 rows, well under a millisecond: no index helps a substring anyway. */
static const char SQL_SEARCH[] =
    "SELECT " COLS " FROM divisions "
    "WHERE level >= 2 AND (name_zh LIKE ? ESCAPE '!' OR name_bo LIKE ? ESCAPE '!' "
    "OR LOWER(name_en) LIKE ? ESCAPE '!' OR CAST(code AS TEXT) LIKE ? ESCAPE '!') "
    "ORDER BY CASE WHEN name_zh = ? OR name_bo = ? OR LOWER(name_en) = ? THEN 0 "
    "WHEN name_zh LIKE ? ESCAPE '!' OR name_bo LIKE ? ESCAPE '!' "
    "OR LOWER(name_en) LIKE ? ESCAPE '!' THEN 1 ELSE 2 END, level, code LIMIT ?";

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
    d->name_bo_source = col_str(st, 6, a);
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

/* `s` with LIKE's wildcards (and the escape character '!') escaped, in `a`. */
static char *like_escape(struct arena *a, const char *s)
{
    char *out = arena_alloc(a, 2 * strlen(s) + 1), *o = out;
    if (out == NULL)
        return NULL;
    for (; *s; s++) {
        if (*s == '%' || *s == '_' || *s == '!')
            *o++ = '!';
        *o++ = *s;
    }
    *o = '\0';
    return out;
}

int divisions_store_search(struct store_conn *c, struct arena *a, const char *q, int limit,
                           struct division **out, size_t *n, struct err *err)
{
    char *lower = arena_strdup(a, q), *esc = NULL;
    for (char *p = lower; p != NULL && *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    if (lower == NULL || (esc = like_escape(a, lower)) == NULL)
        return err_set(err, 500, "divisions.oom", "out of memory");
    const char *anywhere = arena_printf(a, "%%%s%%", esc), *start = arena_printf(a, "%s%%", esc);
    /* Only digits search the codes: "5401" is a prefix, never a name. */
    int digits = *q != '\0';
    for (const char *p = q; *p; p++)
        digits &= *p >= '0' && *p <= '9';
    if (anywhere == NULL || start == NULL)
        return err_set(err, 500, "divisions.oom", "out of memory");
    struct store_stmt *st = store_prepare(c, SQL_SEARCH, err);
    if (st == NULL)
        return -1;
    for (int i = 1; i <= 3; i++)
        store_bind_text(st, i, anywhere, -1);
    store_bind_text(st, 4, digits ? start : "-", -1);
    for (int i = 5; i <= 7; i++)
        store_bind_text(st, i, lower, -1);
    for (int i = 8; i <= 10; i++)
        store_bind_text(st, i, start, -1);
    store_bind_int64(st, 11, limit);
    size_t cap = 0, count = 0;
    struct division *list = NULL;
    int rc;
    while ((rc = store_step(st, err)) == STORE_ROW) {
        struct division *grown = arena_grow(a, list, count, &cap, sizeof(*list));
        if (grown == NULL || read_row(st, a, &grown[count]) < 0) {
            store_reset(st);
            return err_set(err, 500, "divisions.oom", "out of memory");
        }
        list = grown;
        count++;
    }
    store_reset(st);
    if (rc < 0)
        return -1;
    *out = list;
    *n = count;
    return 0;
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
    store_bind_text(st, 7, d->name_bo, -1);
    store_bind_text(st, 8, d->name_bo_source, -1);
    int rc = store_step(st, err);
    if (rc == STORE_DONE)
        *inserted += (int)store_changes(st);
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int divisions_store_sync_bo(struct store_conn *c, const struct division *d, int *changed,
                            struct err *err)
{
    struct store_stmt *st = store_prepare(c, d->name_bo ? SQL_SYNC_BO : SQL_WITHDRAW_BO, err);
    if (st == NULL)
        return -1;
    if (d->name_bo != NULL) {
        store_bind_text(st, 1, d->name_bo, -1);
        store_bind_text(st, 2, d->name_bo, -1);
        store_bind_text(st, 3, d->name_bo_source, -1);
        store_bind_int64(st, 4, d->code);
        store_bind_text(st, 5, d->name_bo, -1);
        store_bind_text(st, 6, d->name_bo, -1);
        store_bind_text(st, 7, d->name_bo, -1);
        store_bind_text(st, 8, d->name_bo_source, -1);
    } else {
        store_bind_int64(st, 1, d->code);
    }
    int rc = store_step(st, err);
    if (rc == STORE_DONE)
        *changed += (int)store_changes(st);
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
