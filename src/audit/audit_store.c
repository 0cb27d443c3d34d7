/*
 * audit_store.c - reading the audit log for people: the auditor's desk searches the chained
 * records and shows the newest signed checkpoint (audit.h: audit_search,
 * audit_checkpoint_latest). The writing side is in audit.c and audit_chain.c.
 */
#include "audit/audit.h"

#include <stdint.h>
#include <string.h>

#include "store/store.h"

static const char SQL_AUDIT_SEARCH[] =
    "SELECT seq, at, actor_id, action, object, outcome, source_ip, detail, hash, prev_hash, id "
    "FROM audit_events WHERE seq IS NOT NULL AND COALESCE(actor_id, 0) BETWEEN ? AND ? "
    "AND at BETWEEN ? AND ? AND action LIKE ? ESCAPE '!' AND COALESCE(object, '') LIKE ? "
    "ESCAPE '!' AND outcome LIKE ? ESCAPE '!' ORDER BY seq DESC LIMIT ?";
static const char SQL_AUDIT_SEARCH_ASC[] =
    "SELECT seq, at, actor_id, action, object, outcome, source_ip, detail, hash, prev_hash, id "
    "FROM audit_events WHERE seq IS NOT NULL AND COALESCE(actor_id, 0) BETWEEN ? AND ? "
    "AND at BETWEEN ? AND ? AND action LIKE ? ESCAPE '!' AND COALESCE(object, '') LIKE ? "
    "ESCAPE '!' AND outcome LIKE ? ESCAPE '!' ORDER BY seq LIMIT ?";
static const char SQL_AUDIT_CHECKPOINT[] =
    "SELECT c.seq, c.hash, c.at, c.anchor, c.signature, c.key_id, k.public_hex "
    "FROM audit_checkpoints c LEFT JOIN audit_keys k ON k.key_id = c.key_id "
    "ORDER BY c.seq DESC LIMIT 1";

/* "%text%" with LIKE's wildcards escaped ('!' is the escape), or "%" for any. */
static void like_of(const char *s, char *out, size_t size)
{
    size_t o = 0;
    out[o++] = '%';
    for (; s != NULL && *s && o + 3 < size; s++) {
        if (*s == '%' || *s == '_' || *s == '!')
            out[o++] = '!';
        out[o++] = *s;
    }
    if (s != NULL && *s == '\0' && o > 1)
        out[o++] = '%';
    out[o] = '\0';
}

int audit_search(struct store_conn *c, const struct audit_filter *f, json_t *rows, struct err *err)
{
    struct store_stmt *st =
        store_prepare(c, f->ascending ? SQL_AUDIT_SEARCH_ASC : SQL_AUDIT_SEARCH, err);
    if (st == NULL)
        return -1;
    char action[160], object[160], outcome[64];
    like_of(f->action, action, sizeof(action));
    like_of(f->object, object, sizeof(object));
    like_of(f->outcome, outcome, sizeof(outcome));
    store_bind_int64(st, 1, f->actor_id != 0 ? f->actor_id : INT64_MIN);
    store_bind_int64(st, 2, f->actor_id != 0 ? f->actor_id : INT64_MAX);
    store_bind_int64(st, 3, f->from_ms);
    store_bind_int64(st, 4, f->to_ms > 0 ? f->to_ms : INT64_MAX);
    store_bind_text(st, 5, action, -1);
    store_bind_text(st, 6, object, -1);
    store_bind_text(st, 7, outcome, -1);
    store_bind_int64(st, 8, f->limit);
    int rc;
    while ((rc = store_step(st, err)) == STORE_ROW)
        json_array_append_new(
            rows,
            json_pack("{s:I, s:I, s:I, s:s, s:s?, s:s, s:s?, s:s?, s:s?, s:s?, s:I}", "seq",
                      (json_int_t)store_col_int64(st, 0), "at", (json_int_t)store_col_int64(st, 1),
                      "actor_id", (json_int_t)store_col_int64(st, 2), "action",
                      store_col_text(st, 3), "object", store_col_text(st, 4), "outcome",
                      store_col_text(st, 5), "source_ip", store_col_text(st, 6), "detail",
                      store_col_text(st, 7), "hash", store_col_text(st, 8), "prev_hash",
                      store_col_text(st, 9), "id", (json_int_t)store_col_int64(st, 10)));
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int audit_checkpoint_latest(struct store_conn *c, json_t **out, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_AUDIT_CHECKPOINT, err);
    if (st == NULL)
        return -1;
    int rc = store_step(st, err);
    *out = rc == STORE_ROW
               ? json_pack("{s:I, s:s, s:I}", "seq", (json_int_t)store_col_int64(st, 0), "hash",
                           store_col_text(st, 1), "at", (json_int_t)store_col_int64(st, 2))
               : json_null();
    store_reset(st);
    return rc < 0 ? -1 : 0;
}
