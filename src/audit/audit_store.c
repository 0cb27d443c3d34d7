/*
 * audit_store.c - every statement of the audit module (STYLE.md: SQL only in *_store.c):
 * appending to a sub-chain and its lock, backfill, signing keys, checkpoints (legacy and
 * merged), the walk of a sub-chain for verification, retention; and reading the log for
 * people (audit.h: audit_list, audit_search, audit_checkpoint_latest). The logic is in
 * audit.c (append) and audit_chain.c (checkpoints, verification, retention).
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
#include "audit/audit_internal.h"
#include "base/arena.h"
#include "base/id.h"
#include "store/store.h"

/* ---- appending (audit.c) ------------------------------------------------------------ */

static const char SQL_INSERT[] =
    "INSERT INTO audit_events (id, at, actor_id, action, object, outcome, source_ip, detail, "
    "slot, seq, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
/* The same insert, only if (seq - 1, prev_hash) is still the slot's head: the writer's
 * memory of the head it wrote last, checked in the statement that appends after it. On
 * PostgreSQL the statement also takes the slot's lock (held to commit, as SQL_LOCK's) and
 * does nothing on a conflict: its snapshot may predate the lock, so an entry committed
 * by the lock's previous holder can be missed by the check, never by the unique index;
 * then the caller locks (again) and reads the head. */
#define SQL_INSERT_AFTER_BODY                                                                      \
    "INSERT INTO audit_events (id, at, actor_id, action, object, outcome, source_ip, detail, "     \
    "slot, seq, prev_hash, hash) SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? "                       \
    "WHERE EXISTS (SELECT 1 FROM audit_events WHERE slot = ? AND seq = ? AND hash = ?) "           \
    "AND NOT EXISTS (SELECT 1 FROM audit_events WHERE slot = ? AND seq > ?)"
static const char SQL_INSERT_AFTER[] = SQL_INSERT_AFTER_BODY;
static const char SQL_INSERT_AFTER_LOCKED[] =
    SQL_INSERT_AFTER_BODY " AND CAST(pg_advisory_xact_lock(4242101, CAST(? AS INTEGER)) AS TEXT) "
                          "= '' ON CONFLICT DO NOTHING";
static const char SQL_LIST[] =
    "SELECT id, at, actor_id, action, object, outcome, source_ip, detail FROM audit_events "
    "WHERE (? = 0 OR actor_id = ?) AND (? = '' OR action LIKE ?) ORDER BY id DESC LIMIT ?";
/* The slot's lock, and a mark that lasts as long as the transaction holding it: the mark
 * still being there at the next statement means a transaction block (BEGIN), its absence
 * autocommit mode, where the lock has already gone with its one-statement transaction. */
static const char SQL_LOCK[] = "SELECT pg_advisory_xact_lock(4242101, CAST(? AS INTEGER))";
static const char SQL_HEAD[] = "SELECT seq, hash FROM audit_events WHERE slot = ? AND seq IS NOT "
                               "NULL ORDER BY seq DESC LIMIT 1";
static const char SQL_LEGACY_ANCHOR[] =
    "SELECT seq, hash FROM audit_checkpoints WHERE anchor = 1 ORDER BY seq DESC LIMIT 1";
static const char SQL_MERGED_ANCHORS[] =
    "SELECT heads FROM audit_merged_checkpoints WHERE anchor = 1 ORDER BY id DESC";

/* ---- maintenance (audit_chain.c) ------------------------------------------------------ */

static const char SQL_BACKFILL_DONE[] =
    "SELECT value FROM platform_meta WHERE key = 'audit.chain_backfilled'";
static const char SQL_BACKFILL_MARK[] =
    "INSERT INTO platform_meta (key, value, updated_at) VALUES ('audit.chain_backfilled', ?, ?) "
    "ON CONFLICT (key) DO NOTHING";
static const char SQL_UNCHAINED_NEXT[] =
    "SELECT id, at, actor_id, action, object, outcome, source_ip, detail FROM audit_events "
    "WHERE seq IS NULL AND id > ? ORDER BY id LIMIT 1";
static const char SQL_CHAIN_ROW[] =
    "UPDATE audit_events SET slot = 0, seq = ?, prev_hash = ?, hash = ? WHERE id = ?";
static const char SQL_UNCHAINED_COUNT[] =
    "SELECT COUNT(*), MIN(id) FROM audit_events WHERE seq IS NULL";
static const char SQL_KEY_NEWEST[] = "SELECT key_id, private_sealed, public_hex FROM audit_keys "
                                     "ORDER BY created_at DESC, key_id DESC LIMIT 1";
static const char SQL_KEY_INSERT[] = "INSERT INTO audit_keys (key_id, public_hex, private_sealed, "
                                     "created_at) VALUES (?, ?, ?, ?)";
static const char SQL_KEYS_ALL[] = "SELECT key_id, private_sealed, public_hex FROM audit_keys";
static const char SQL_CP_LEGACY[] = "SELECT seq, hash, at, anchor, signature, key_id "
                                    "FROM audit_checkpoints ORDER BY seq";
static const char SQL_CP_MERGED[] =
    "SELECT id, at, anchor, entries, hash, heads, signature, key_id "
    "FROM audit_merged_checkpoints ORDER BY id";
static const char SQL_CP_MERGED_NEWEST[] =
    "SELECT id, at, anchor, entries, hash, heads, signature, key_id "
    "FROM audit_merged_checkpoints WHERE anchor = 0 ORDER BY id DESC LIMIT 1";
static const char SQL_CP_INSERT[] =
    "INSERT INTO audit_merged_checkpoints (id, at, anchor, entries, hash, heads, signature, "
    "key_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
static const char SQL_SLOTS[] =
    "SELECT DISTINCT slot FROM audit_events WHERE seq IS NOT NULL ORDER BY slot";
static const char SQL_ENTRIES[] =
    "SELECT seq, id, at, actor_id, action, object, outcome, source_ip, detail, prev_hash, hash "
    "FROM audit_events WHERE slot = ? AND seq > ? AND seq <= ? ORDER BY seq LIMIT 1000";
static const char SQL_FIRST_YOUNG[] = "SELECT seq FROM audit_events WHERE slot = ? AND seq IS NOT "
                                      "NULL AND at >= ? ORDER BY seq LIMIT 1";
static const char SQL_ENTRY_HASH[] = "SELECT hash FROM audit_events WHERE slot = ? AND seq = ?";
static const char SQL_PURGE[] = "DELETE FROM audit_events WHERE slot = ? AND seq <= ?";

/* ---- appending ------------------------------------------------------------------------ */

int audit_db_lock(struct store_conn *c, int64_t slot, struct err *err)
{
    if (store_kind(store_conn_store(c)) != STORE_POSTGRES)
        return 0;
    struct store_stmt *st = store_prepare(c, SQL_LOCK, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, slot);
    int rc = store_step(st, err);
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

/* (seq, hash) from the first row of `st` (bound); *found = 0 if there is none. */
static int read_seq_hash(struct store_stmt *st, int *found, int64_t *seq, char hash[AUDIT_HASH_HEX],
                         struct err *err)
{
    int rc = store_step(st, err);
    *found = rc == STORE_ROW;
    if (rc == STORE_ROW) {
        const char *h = store_col_text(st, 1);
        *seq = store_col_int64(st, 0);
        if (h == NULL || strlen(h) != AUDIT_HASH_HEX - 1) {
            store_reset(st);
            return err_set(err, 500, "audit.chain_corrupt",
                           "the audit chain head %lld has no valid hash: run `onewindow audit "
                           "verify`",
                           (long long)*seq);
        }
        memcpy(hash, h, AUDIT_HASH_HEX);
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int audit_db_head(struct store_conn *c, int64_t slot, int *found, int64_t *seq,
                  char hash[AUDIT_HASH_HEX], struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_HEAD, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, slot);
    return read_seq_hash(st, found, seq, hash, err);
}

int audit_db_anchor(struct store_conn *c, int64_t slot, int *found, int64_t *seq,
                    char hash[AUDIT_HASH_HEX], struct err *err)
{
    *found = 0;
    struct store_stmt *st = store_prepare(c, SQL_MERGED_ANCHORS, err);
    if (st == NULL)
        return -1;
    int rc;
    while ((rc = store_step(st, err)) == STORE_ROW)
        if (audit_heads_find(store_col_text(st, 0), slot, seq, hash) == 1) {
            *found = 1;
            break;
        }
    store_reset(st);
    if (rc < 0)
        return -1;
    if (*found || slot != 0)
        return 0;
    if ((st = store_prepare(c, SQL_LEGACY_ANCHOR, err)) == NULL)
        return -1;
    return read_seq_hash(st, found, seq, hash, err);
}

/* Bind SQL_INSERT's 12 parameters (SQL_INSERT_AFTER's first 12). */
static void bind_entry(struct store_stmt *st, int64_t slot, const struct audit_entry *e,
                       const char *prev_hash, const char *hash)
{
    store_bind_int64(st, 1, e->id);
    store_bind_int64(st, 2, e->at);
    if (e->actor_id != 0)
        store_bind_int64(st, 3, e->actor_id);
    else
        store_bind_null(st, 3);
    store_bind_text(st, 4, e->action, -1);
    store_bind_text(st, 5, e->object, -1);
    store_bind_text(st, 6, e->outcome, -1);
    store_bind_text(st, 7, e->source_ip, -1);
    store_bind_text(st, 8, e->detail, -1);
    store_bind_int64(st, 9, slot);
    store_bind_int64(st, 10, e->seq);
    store_bind_text(st, 11, prev_hash, -1);
    store_bind_text(st, 12, hash, -1);
}

int audit_db_insert(struct store_conn *c, int64_t slot, const struct audit_entry *e,
                    const char *prev_hash, const char *hash, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_INSERT, err);
    if (st == NULL)
        return -1;
    bind_entry(st, slot, e, prev_hash, hash);
    return store_run(st, NULL, err);
}

int audit_db_insert_after(struct store_conn *c, int64_t slot, const struct audit_entry *e,
                          const char *prev_hash, const char *hash, int *inserted, struct err *err)
{
    int pg = store_kind(store_conn_store(c)) == STORE_POSTGRES;
    struct store_stmt *st = store_prepare(c, pg ? SQL_INSERT_AFTER_LOCKED : SQL_INSERT_AFTER, err);
    if (st == NULL)
        return -1;
    bind_entry(st, slot, e, prev_hash, hash);
    store_bind_int64(st, 13, slot);
    store_bind_int64(st, 14, e->seq - 1);
    store_bind_text(st, 15, prev_hash, -1);
    store_bind_int64(st, 16, slot);
    store_bind_int64(st, 17, e->seq - 1);
    if (pg)
        store_bind_int64(st, 18, slot);
    int64_t n = 0;
    int rc = store_run(st, &n, err);
    *inserted = rc == 0 && n == 1;
    return rc;
}

static const char *dup_col(struct store_stmt *st, int col, struct arena *a)
{
    const char *s = store_col_text(st, col);
    return s ? arena_strdup(a, s) : NULL;
}

int audit_list(struct store_conn *c, struct arena *a, int64_t actor_id, const char *action_prefix,
               size_t limit, struct audit_row **out, size_t *n, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_LIST, err);
    if (st == NULL)
        return -1;
    const char *prefix = action_prefix ? action_prefix : "";
    char *like = arena_printf(a, "%s%%", prefix);
    struct audit_row *rows = arena_zalloc(a, (limit ? limit : 1) * sizeof(*rows));
    if (like == NULL || rows == NULL) {
        store_reset(st);
        return err_set(err, 500, "audit.oom", "out of memory");
    }
    store_bind_int64(st, 1, actor_id);
    store_bind_int64(st, 2, actor_id);
    store_bind_text(st, 3, prefix, -1);
    store_bind_text(st, 4, like, -1);
    store_bind_int64(st, 5, (int64_t)limit);
    size_t k = 0;
    int rc = STORE_DONE;
    while (k < limit && (rc = store_step(st, err)) == STORE_ROW) {
        struct audit_row *r = &rows[k++];
        r->id = store_col_int64(st, 0);
        r->at = store_col_int64(st, 1);
        r->actor_id = store_col_int64(st, 2);
        r->action = dup_col(st, 3, a);
        r->object = dup_col(st, 4, a);
        r->outcome = dup_col(st, 5, a);
        r->source_ip = dup_col(st, 6, a);
        r->detail = dup_col(st, 7, a);
    }
    store_reset(st);
    if (rc < 0)
        return -1;
    *out = rows;
    *n = k;
    return 0;
}

/* ---- backfill --------------------------------------------------------------------------- */

int audit_db_backfill_done(struct store_conn *c, int *done, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_BACKFILL_DONE, err);
    if (st == NULL)
        return -1;
    int rc = store_step(st, err);
    store_reset(st);
    *done = rc == STORE_ROW;
    return rc < 0 ? -1 : 0;
}

int audit_db_backfill_mark(struct store_conn *c, int64_t count, struct err *err)
{
    char value[32];
    snprintf(value, sizeof(value), "%" PRId64, count);
    struct store_stmt *st = store_prepare(c, SQL_BACKFILL_MARK, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, value, -1);
    store_bind_int64(st, 2, time_now_ms());
    return store_run(st, NULL, err);
}

int audit_db_unchained_next(struct store_conn *c, int64_t after_id, struct arena *a,
                            struct audit_entry *e, int *found, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_UNCHAINED_NEXT, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, after_id);
    int rc = store_step(st, err);
    *found = rc == STORE_ROW;
    if (rc == STORE_ROW) {
        e->id = store_col_int64(st, 0);
        e->at = store_col_int64(st, 1);
        e->actor_id = store_col_int64(st, 2);
        const char **f[] = {&e->action, &e->object, &e->outcome, &e->source_ip, &e->detail};
        for (int i = 0; i < 5; i++) {
            const char *v = store_col_text(st, 3 + i);
            *f[i] = v ? arena_strdup(a, v) : NULL;
            if (v && *f[i] == NULL) {
                store_reset(st);
                return err_set(err, 500, "audit.oom", "out of memory");
            }
        }
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int audit_db_chain_row(struct store_conn *c, const struct audit_entry *e, const char *prev_hash,
                       const char *hash, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_CHAIN_ROW, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, e->seq);
    store_bind_text(st, 2, prev_hash, -1);
    store_bind_text(st, 3, hash, -1);
    store_bind_int64(st, 4, e->id);
    return store_run(st, NULL, err);
}

int audit_db_unchained_count(struct store_conn *c, int64_t *count, int64_t *first_id,
                             struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_UNCHAINED_COUNT, err);
    if (st == NULL)
        return -1;
    int rc = store_step(st, err);
    *count = rc == STORE_ROW ? store_col_int64(st, 0) : 0;
    *first_id = rc == STORE_ROW ? store_col_int64(st, 1) : 0;
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

/* ---- keys ------------------------------------------------------------------------------- */

static int each_key(struct store_conn *c, const char *sql, audit_db_key_fn fn, void *ctx,
                    struct err *err)
{
    struct store_stmt *st = store_prepare(c, sql, err);
    if (st == NULL)
        return -1;
    int rc;
    while ((rc = store_step(st, err)) == STORE_ROW) {
        size_t n = 0;
        const void *sealed = store_col_blob(st, 1, &n);
        if (fn(ctx, store_col_text(st, 0), sealed, n, store_col_text(st, 2)) != 0)
            break;
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int audit_db_key_newest(struct store_conn *c, audit_db_key_fn fn, void *ctx, struct err *err)
{
    return each_key(c, SQL_KEY_NEWEST, fn, ctx, err);
}

int audit_db_keys(struct store_conn *c, audit_db_key_fn fn, void *ctx, struct err *err)
{
    return each_key(c, SQL_KEYS_ALL, fn, ctx, err);
}

int audit_db_key_insert(struct store_conn *c, const char *key_id, const char *public_hex,
                        const void *sealed, size_t n, int64_t created_at, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_KEY_INSERT, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, key_id, -1);
    store_bind_text(st, 2, public_hex, -1);
    store_bind_blob(st, 3, sealed, n);
    store_bind_int64(st, 4, created_at);
    return store_run(st, NULL, err);
}

/* ---- checkpoints ------------------------------------------------------------------------ */

int audit_db_checkpoints_legacy(struct store_conn *c, audit_db_cp_fn fn, void *ctx, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_CP_LEGACY, err);
    if (st == NULL)
        return -1;
    int rc, stop = 0;
    while (!stop && (rc = store_step(st, err)) == STORE_ROW) {
        struct audit_db_cp cp = {.seq = store_col_int64(st, 0),
                                 .hash = store_col_text(st, 1),
                                 .at = store_col_int64(st, 2),
                                 .anchor = store_col_int64(st, 3),
                                 .key_id = store_col_text(st, 5)};
        cp.sig = store_col_blob(st, 4, &cp.sig_len);
        if ((stop = fn(ctx, &cp)) < 0)
            rc = err_set(err, 500, "audit.oom", "out of memory");
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int audit_db_checkpoints_merged(struct store_conn *c, int newest_plain, audit_db_cp_fn fn,
                                void *ctx, struct err *err)
{
    struct store_stmt *st =
        store_prepare(c, newest_plain ? SQL_CP_MERGED_NEWEST : SQL_CP_MERGED, err);
    if (st == NULL)
        return -1;
    int rc, stop = 0;
    while (!stop && (rc = store_step(st, err)) == STORE_ROW) {
        struct audit_db_cp cp = {.id = store_col_int64(st, 0),
                                 .at = store_col_int64(st, 1),
                                 .anchor = store_col_int64(st, 2),
                                 .entries = store_col_int64(st, 3),
                                 .hash = store_col_text(st, 4),
                                 .heads = store_col_text(st, 5),
                                 .key_id = store_col_text(st, 7)};
        cp.sig = store_col_blob(st, 6, &cp.sig_len);
        if ((stop = fn(ctx, &cp)) < 0)
            rc = err_set(err, 500, "audit.oom", "out of memory");
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int audit_db_checkpoint_insert(struct store_conn *c, const struct audit_db_cp *cp, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_CP_INSERT, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, cp->id);
    store_bind_int64(st, 2, cp->at);
    store_bind_int64(st, 3, cp->anchor);
    store_bind_int64(st, 4, cp->entries);
    store_bind_text(st, 5, cp->hash, -1);
    store_bind_text(st, 6, cp->heads, -1);
    store_bind_blob(st, 7, cp->sig, cp->sig_len);
    store_bind_text(st, 8, cp->key_id, -1);
    return store_run(st, NULL, err);
}

/* ---- walking and purging ---------------------------------------------------------------- */

int audit_db_slots(struct store_conn *c, audit_db_slot_fn fn, void *ctx, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_SLOTS, err);
    if (st == NULL)
        return -1;
    int rc;
    while ((rc = store_step(st, err)) == STORE_ROW)
        if (fn(ctx, store_col_int64(st, 0)) < 0) {
            rc = err_set(err, 500, "audit.oom", "out of memory");
            break;
        }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int audit_db_entries(struct store_conn *c, int64_t slot, int64_t after, int64_t to,
                     audit_db_entry_fn fn, void *ctx, int *rows, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_ENTRIES, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, slot);
    store_bind_int64(st, 2, after);
    store_bind_int64(st, 3, to);
    int rc;
    *rows = 0;
    while ((rc = store_step(st, err)) == STORE_ROW) {
        (*rows)++;
        struct audit_entry e = {.seq = store_col_int64(st, 0),
                                .id = store_col_int64(st, 1),
                                .at = store_col_int64(st, 2),
                                .actor_id = store_col_int64(st, 3),
                                .action = store_col_text(st, 4),
                                .object = store_col_text(st, 5),
                                .outcome = store_col_text(st, 6),
                                .source_ip = store_col_text(st, 7),
                                .detail = store_col_text(st, 8)};
        fn(ctx, &e, store_col_text(st, 9), store_col_text(st, 10));
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int audit_db_first_young(struct store_conn *c, int64_t slot, int64_t at_ms, int64_t none,
                         int64_t *seq, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_FIRST_YOUNG, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, slot);
    store_bind_int64(st, 2, at_ms);
    int rc = store_step(st, err);
    *seq = rc == STORE_ROW ? store_col_int64(st, 0) : none;
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int audit_db_entry_hash(struct store_conn *c, int64_t slot, int64_t seq, int *found,
                        char hash[AUDIT_HASH_HEX], struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_ENTRY_HASH, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, slot);
    store_bind_int64(st, 2, seq);
    int rc = store_step(st, err);
    *found = rc == STORE_ROW;
    if (rc == STORE_ROW)
        snprintf(hash, AUDIT_HASH_HEX, "%s", store_col_text(st, 0) ? store_col_text(st, 0) : "");
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int audit_db_purge(struct store_conn *c, int64_t slot, int64_t last, int64_t *deleted,
                   struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_PURGE, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, slot);
    store_bind_int64(st, 2, last);
    return store_run(st, deleted, err);
}

/* ---- reading the log for people (the auditor's desk) -------------------------------------- */

static const char SQL_AUDIT_SEARCH[] =
    "SELECT seq, at, actor_id, action, object, outcome, source_ip, detail, hash, prev_hash, id, "
    "slot "
    "FROM audit_events WHERE seq IS NOT NULL AND COALESCE(actor_id, 0) BETWEEN ? AND ? "
    "AND at BETWEEN ? AND ? AND action LIKE ? ESCAPE '!' AND COALESCE(object, '') LIKE ? "
    "ESCAPE '!' AND outcome LIKE ? ESCAPE '!' ORDER BY id DESC LIMIT ?";
static const char SQL_AUDIT_SEARCH_ASC[] =
    "SELECT seq, at, actor_id, action, object, outcome, source_ip, detail, hash, prev_hash, id, "
    "slot "
    "FROM audit_events WHERE seq IS NOT NULL AND COALESCE(actor_id, 0) BETWEEN ? AND ? "
    "AND at BETWEEN ? AND ? AND action LIKE ? ESCAPE '!' AND COALESCE(object, '') LIKE ? "
    "ESCAPE '!' AND outcome LIKE ? ESCAPE '!' ORDER BY id LIMIT ?";
static const char SQL_AUDIT_CHECKPOINT[] =
    "SELECT seq, hash, at FROM audit_checkpoints ORDER BY seq DESC LIMIT 1";

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
    while ((rc = store_step(st, err)) == STORE_ROW) {
        json_t *row = json_pack(
            "{s:I, s:I, s:I, s:s, s:s?, s:s, s:s?, s:s?, s:s?, s:s?, s:I, s:I}", "seq",
            (json_int_t)store_col_int64(st, 0), "at", (json_int_t)store_col_int64(st, 1),
            "actor_id", (json_int_t)store_col_int64(st, 2), "action", store_col_text(st, 3),
            "object", store_col_text(st, 4), "outcome", store_col_text(st, 5), "source_ip",
            store_col_text(st, 6), "detail", store_col_text(st, 7), "hash", store_col_text(st, 8),
            "prev_hash", store_col_text(st, 9), "id", (json_int_t)store_col_int64(st, 10), "slot",
            (json_int_t)store_col_int64(st, 11));
        /* How the desk names it: "seq" in sub-chain 0, "slot:seq" in the others. */
        int64_t slot = store_col_int64(st, 11), seq = store_col_int64(st, 0);
        char entry[48];
        if (slot == 0)
            snprintf(entry, sizeof(entry), "%" PRId64, seq);
        else
            snprintf(entry, sizeof(entry), "%" PRId64 ":%" PRId64, slot, seq);
        json_object_set_new(row, "entry", json_string(entry));
        json_array_append_new(rows, row);
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

static int latest_merged(void *ctx, const struct audit_db_cp *cp)
{
    json_t **out = ctx;
    size_t slots = 0;
    for (const char *p = cp->heads; p && *p; p++)
        slots += *p == '\n';
    *out = json_pack("{s:I, s:s, s:I, s:I}", "seq", (json_int_t)cp->entries, "hash", cp->hash, "at",
                     (json_int_t)cp->at, "slots", (json_int_t)slots);
    return 0;
}

int audit_checkpoint_latest(struct store_conn *c, json_t **out, struct err *err)
{
    *out = NULL;
    if (audit_db_checkpoints_merged(c, 1, latest_merged, out, err) < 0)
        return -1;
    if (*out != NULL)
        return 0;
    struct store_stmt *st = store_prepare(c, SQL_AUDIT_CHECKPOINT, err);
    if (st == NULL)
        return -1;
    int rc = store_step(st, err);
    *out = rc == STORE_ROW
               ? json_pack("{s:I, s:s, s:I, s:I}", "seq", (json_int_t)store_col_int64(st, 0),
                           "hash", store_col_text(st, 1), "at", (json_int_t)store_col_int64(st, 2),
                           "slots", (json_int_t)1)
               : json_null();
    store_reset(st);
    return rc < 0 ? -1 : 0;
}
