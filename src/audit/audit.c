/*
 * audit.c - writing and listing audit records, and the hash that chains them; see audit.h.
 * Checkpoints, verification and retention are in audit_chain.c; the format is in
 * docs/internals/audit.md.
 */
#include "audit/audit.h"

#include <string.h>

#include "audit/audit_internal.h"
#include "base/arena.h"
#include "base/id.h"
#include "crypto/crypto.h"
#include "store/store.h"

/* Attempts at the next sequence number in autocommit mode, where a concurrent writer can
 * take it between our read of the head and our insert (the unique index refuses ours). */
#define AUDIT_RECORD_TRIES 64

static const char SQL_INSERT[] =
    "INSERT INTO audit_events (id, at, actor_id, action, object, outcome, source_ip, detail, "
    "seq, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
static const char SQL_LIST[] =
    "SELECT id, at, actor_id, action, object, outcome, source_ip, detail FROM audit_events "
    "WHERE (? = 0 OR actor_id = ?) AND (? = '' OR action LIKE ?) ORDER BY id DESC LIMIT ?";
/* The chain lock, and a mark that lasts as long as the transaction holding it: the mark
 * still being there at the next statement means a transaction block (BEGIN), its absence
 * autocommit mode, where the lock has already gone with its one-statement transaction. */
static const char SQL_LOCK[] =
    "SELECT pg_advisory_xact_lock(4242101), set_config('onewindow.audit_lock', 'held', true)";
static const char SQL_LOCK_HELD[] = "SELECT current_setting('onewindow.audit_lock', true)";
static const char SQL_HEAD[] = "SELECT seq, hash FROM audit_events WHERE seq IS NOT NULL "
                               "ORDER BY seq DESC LIMIT 1";
static const char SQL_ANCHOR[] =
    "SELECT seq, hash FROM audit_checkpoints WHERE anchor = 1 ORDER BY seq DESC LIMIT 1";

static const char HASH_TAG[] = "onewindow.audit.v1";

static void put_be64(unsigned char *p, int64_t v)
{
    uint64_t u = (uint64_t)v;
    for (int i = 7; i >= 0; i--, u >>= 8)
        p[i] = (unsigned char)(u & 0xff);
}

/* A string as: 0x00 for NULL, else 0x01 || be64(length) || bytes. */
static int hash_str(struct crypto_sm3 *h, const char *s)
{
    unsigned char hdr[9] = {0};
    if (s == NULL)
        return crypto_sm3_update(h, hdr, 1);
    hdr[0] = 1;
    size_t n = strlen(s);
    put_be64(hdr + 1, (int64_t)n);
    if (crypto_sm3_update(h, hdr, sizeof(hdr)) < 0)
        return -1;
    return crypto_sm3_update(h, s, n);
}

int audit_entry_hash(const char *prev_hex, const struct audit_entry *e, char out[AUDIT_HASH_HEX])
{
    unsigned char prev[CRYPTO_SM3_LEN], md[CRYPTO_SM3_LEN], ints[4 * 8];
    size_t plen = 0;
    int rc = -1;
    struct crypto_sm3 *h = NULL;
    if (prev_hex == NULL || strlen(prev_hex) != 2 * CRYPTO_SM3_LEN ||
        crypto_hex_decode(prev_hex, 2 * CRYPTO_SM3_LEN, prev, sizeof(prev), &plen) < 0)
        goto out;
    if ((h = crypto_sm3_new()) == NULL)
        goto out;
    put_be64(ints, e->seq);
    put_be64(ints + 8, e->id);
    put_be64(ints + 16, e->at);
    put_be64(ints + 24, e->actor_id);
    if (crypto_sm3_update(h, HASH_TAG, sizeof(HASH_TAG) - 1) < 0 ||
        crypto_sm3_update(h, prev, sizeof(prev)) < 0 ||
        crypto_sm3_update(h, ints, sizeof(ints)) < 0 || hash_str(h, e->action) < 0 ||
        hash_str(h, e->object) < 0 || hash_str(h, e->outcome) < 0 ||
        hash_str(h, e->source_ip) < 0 || hash_str(h, e->detail) < 0 ||
        crypto_sm3_final(h, md) < 0 || crypto_hex_encode(md, sizeof(md), out, AUDIT_HASH_HEX) < 0)
        goto out;
    rc = 0;
out:
    crypto_sm3_free(h);
    return rc;
}

int audit_chain_lock(struct store_conn *c, int *autocommit, struct err *err)
{
    if (autocommit)
        *autocommit = 0;
    if (store_kind(store_conn_store(c)) != STORE_POSTGRES)
        return 0;
    struct store_stmt *st = store_prepare(c, SQL_LOCK, err);
    if (st == NULL)
        return -1;
    int rc = store_step(st, err);
    store_reset(st);
    if (rc < 0 || autocommit == NULL)
        return rc < 0 ? -1 : 0;
    if ((st = store_prepare(c, SQL_LOCK_HELD, err)) == NULL)
        return -1;
    rc = store_step(st, err);
    const char *mark = rc == STORE_ROW ? store_col_text(st, 0) : NULL;
    *autocommit = mark == NULL || strcmp(mark, "held") != 0;
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

/* Read (seq, hash) from the first row of `sql`; *found = 0 if there is none. */
static int read_seq_hash(struct store_conn *c, const char *sql, int *found, int64_t *seq,
                         char hash[AUDIT_HASH_HEX], struct err *err)
{
    struct store_stmt *st = store_prepare(c, sql, err);
    if (st == NULL)
        return -1;
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

int audit_chain_head(struct store_conn *c, int64_t *seq, char hash[AUDIT_HASH_HEX], struct err *err)
{
    int found = 0;
    if (read_seq_hash(c, SQL_HEAD, &found, seq, hash, err) < 0)
        return -1;
    if (!found && read_seq_hash(c, SQL_ANCHOR, &found, seq, hash, err) < 0)
        return -1;
    if (!found) {
        *seq = 0;
        memcpy(hash, AUDIT_GENESIS, AUDIT_HASH_HEX);
    }
    return 0;
}

/* Read the head and insert the entry after it. */
static int append(struct store_conn *c, struct audit_entry *e, const struct audit_event *ev,
                  struct err *err)
{
    char prev[AUDIT_HASH_HEX], hash[AUDIT_HASH_HEX];
    int64_t head = 0;
    if (audit_chain_head(c, &head, prev, err) < 0)
        return -1;
    e->seq = head + 1;
    if (audit_entry_hash(prev, e, hash) < 0)
        return err_set(err, 500, "audit.error", "could not hash an audit record");
    struct store_stmt *st = store_prepare(c, SQL_INSERT, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, e->id);
    store_bind_int64(st, 2, e->at);
    if (ev->actor_id != 0)
        store_bind_int64(st, 3, ev->actor_id);
    store_bind_text(st, 4, ev->action, -1);
    store_bind_text(st, 5, ev->object, -1);
    store_bind_text(st, 6, ev->outcome, -1);
    store_bind_text(st, 7, ev->source_ip, -1);
    store_bind_text(st, 8, ev->detail, -1);
    store_bind_int64(st, 9, e->seq);
    store_bind_text(st, 10, prev, -1);
    store_bind_text(st, 11, hash, -1);
    int rc = store_step(st, err);
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

/*
 * No two writers may read the same head. SQLite: a transaction holds the write lock from
 * BEGIN IMMEDIATE, so nobody writes between its head read and its insert; an autocommit
 * writer can lose the race, which the unique index on seq turns into store.conflict in
 * *its own* statement (nothing to roll back), and it simply tries again. PostgreSQL: every
 * writer holds the advisory lock from the head read to its commit; in autocommit mode the
 * lock would end with its statement, so the record gets a transaction of its own. Hence a
 * caller's transaction never sees a conflict here (which would abort it on PostgreSQL).
 */
int audit_record(struct store_conn *c, const struct audit_event *ev, struct err *err)
{
    int64_t id = id_next();
    struct audit_entry e = {.id = id,
                            .at = id_time_ms(id),
                            .actor_id = ev->actor_id,
                            .action = ev->action,
                            .object = ev->object,
                            .outcome = ev->outcome,
                            .source_ip = ev->source_ip,
                            .detail = ev->detail};
    struct err local;
    int own = 0, autocommit = 0;
    if (err == NULL)
        err = &local;
    if (audit_chain_lock(c, &autocommit, err) < 0)
        return -1;
    if (autocommit) {
        if (store_begin(c, err) < 0)
            return -1;
        own = 1;
        if (audit_chain_lock(c, NULL, err) < 0)
            goto fail;
    }
    for (int attempt = 1;; attempt++) {
        if (append(c, &e, ev, err) == 0)
            break;
        if (own || strcmp(err->code, "store.conflict") != 0 || attempt >= AUDIT_RECORD_TRIES)
            goto fail;
        err_clear(err);
    }
    if (own && store_commit(c, err) < 0)
        return -1;
    return 0;
fail:
    if (own)
        store_rollback(c);
    return -1;
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
