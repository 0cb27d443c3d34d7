/*
 * audit.c - writing and listing audit records, and the hash that chains them; see audit.h.
 * Checkpoints, verification and retention are in audit_chain.c; the format is in
 * docs/internals/audit.md.
 */
#include "audit/audit.h"

#include <stdio.h>
#include <string.h>

#include "audit/audit_internal.h"
#include "base/arena.h"
#include "base/id.h"
#include "crypto/crypto.h"
#include "store/store.h"

/* Attempts at the next sequence number in autocommit mode, where a concurrent writer can
 * take it between our read of the head and our insert (the unique index refuses ours). */
#define AUDIT_RECORD_TRIES 64

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

/* The slot of this thread: -1 until first use. PostgreSQL writers are spread round robin
 * over 1..AUDIT_SLOTS by thread; the slot is only a lock stripe plus a chain, so two nodes'
 * threads on one slot are correct (they take turns), just not parallel. */
static __thread int64_t thread_slot = -1;
static int64_t next_slot;

void audit_use_slot(int64_t slot)
{
    thread_slot = slot;
}

int64_t audit_slot(struct store_conn *c)
{
    if (store_kind(store_conn_store(c)) != STORE_POSTGRES)
        return thread_slot > 0 ? thread_slot : 0;
    if (thread_slot < 0)
        thread_slot = __atomic_fetch_add(&next_slot, 1, __ATOMIC_RELAXED) % AUDIT_SLOTS + 1;
    return thread_slot;
}

int audit_heads_find(const char *heads, int64_t slot, int64_t *seq, char hash[AUDIT_HASH_HEX])
{
    for (const char *p = heads; p != NULL && *p;) {
        long long sl = 0, sq = 0;
        char h[AUDIT_HASH_HEX];
        int used = 0;
        if (sscanf(p, "%lld %lld %64[0-9a-f]%n", &sl, &sq, h, &used) != 3 || p[used] != '\n' ||
            strlen(h) != AUDIT_HASH_HEX - 1)
            return -1;
        if (sl == slot) {
            *seq = sq;
            memcpy(hash, h, AUDIT_HASH_HEX);
            return 1;
        }
        p += used + 1;
    }
    return 0;
}

int audit_chain_head(struct store_conn *c, int64_t slot, int64_t *seq, char hash[AUDIT_HASH_HEX],
                     struct err *err)
{
    int found = 0;
    if (audit_db_head(c, slot, &found, seq, hash, err) < 0)
        return -1;
    if (!found && audit_db_anchor(c, slot, &found, seq, hash, err) < 0)
        return -1;
    if (!found) {
        *seq = 0;
        memcpy(hash, AUDIT_GENESIS, AUDIT_HASH_HEX);
    }
    return 0;
}

/* The entry this thread appended last: a hint of its slot's head, never trusted (the
 * insert after it checks, under the slot's lock, that it is still the head). It saves the
 * lock and the head read while a PostgreSQL thread keeps appending to its own slot. Not on
 * SQLite: every thread writes slot 0 there, under the process's one write lock, and the
 * checked INSERT ... SELECT from the same table costs SQLite more than the head read it
 * saves (SQLite materialises the SELECT first): 8 writers submitting, 298-316 µs of CPU
 * per submission without it, 355-361 µs with it (issue 19). */
struct head_hint {
    const void *store;
    int64_t slot, seq;
    char hash[AUDIT_HASH_HEX];
};
static __thread struct head_hint thread_hint;

static struct head_hint *hint_of(struct store_conn *c)
{
    return store_kind(store_conn_store(c)) == STORE_POSTGRES ? &thread_hint : NULL;
}

static void remember(struct store_conn *c, int64_t slot, const struct audit_entry *e,
                     const char *hash)
{
    struct head_hint *h = hint_of(c);
    if (h == NULL)
        return;
    h->store = store_conn_store(c);
    h->slot = slot;
    h->seq = e->seq;
    memcpy(h->hash, hash, AUDIT_HASH_HEX);
}

/* Append after the remembered entry if it still is the slot's head (one statement, which
 * on PostgreSQL takes the slot's lock too): *done 1, else 0 and nothing written. */
static int append_after_last(struct store_conn *c, int64_t slot, struct audit_entry *e, int *done,
                             struct err *err)
{
    char hash[AUDIT_HASH_HEX], prev[AUDIT_HASH_HEX];
    struct head_hint *h = hint_of(c);
    *done = 0;
    if (h == NULL || h->store != store_conn_store(c) || h->slot != slot || h->seq <= 0)
        return 0;
    e->seq = h->seq + 1;
    memcpy(prev, h->hash, AUDIT_HASH_HEX);
    h->store = NULL; /* until this insert is known */
    if (audit_entry_hash(prev, e, hash) < 0)
        return err_set(err, 500, "audit.error", "could not hash an audit record");
    if (audit_db_insert_after(c, slot, e, prev, hash, done, err) < 0)
        return -1;
    if (*done)
        remember(c, slot, e, hash);
    return 0;
}

/* Read the slot's head and insert the entry after it (the slot's lock held). */
static int append(struct store_conn *c, int64_t slot, struct audit_entry *e, struct err *err)
{
    char prev[AUDIT_HASH_HEX], hash[AUDIT_HASH_HEX];
    int64_t head = 0;
    if (audit_chain_head(c, slot, &head, prev, err) < 0)
        return -1;
    e->seq = head + 1;
    if (audit_entry_hash(prev, e, hash) < 0)
        return err_set(err, 500, "audit.error", "could not hash an audit record");
    if (audit_db_insert(c, slot, e, prev, hash, err) < 0)
        return -1;
    remember(c, slot, e, hash);
    return 0;
}

/*
 * No two writers may read the same head of one sub-chain. SQLite (slot 0 only): a
 * transaction holds the write lock from BEGIN IMMEDIATE, so nobody writes between its head
 * read and its insert; an autocommit writer can lose the race, which the unique index on
 * (slot, seq) turns into store.conflict in *its own* statement (nothing to roll back), and
 * it simply tries again. PostgreSQL: every writer holds its slot's advisory lock from the
 * head read to its commit (writers on other slots go on in parallel); in autocommit mode
 * the lock would end with its statement, so the record gets a transaction of its own.
 * Hence a caller's transaction never sees a conflict here (which would abort it on
 * PostgreSQL). A writer that remembers the slot's head (the entry it appended last) skips
 * the head read: one statement checks the memory, takes the lock and inserts, doing nothing
 * on a conflict; when it inserts nothing, the lock and the head read follow as above.
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
    int own = 0;
    int64_t slot = audit_slot(c);
    if (err == NULL)
        err = &local;
    /* PostgreSQL in autocommit mode: the slot's lock would end with its statement, so the
     * record gets a transaction of its own (the client library knows the mode: no round
     * trip). */
    if (store_kind(store_conn_store(c)) == STORE_POSTGRES && !store_in_transaction(c)) {
        if (store_begin(c, err) < 0)
            return -1;
        own = 1;
    }
    int done = 0;
    if (append_after_last(c, slot, &e, &done, err) < 0)
        goto fail;
    if (done)
        goto written;
    if (audit_db_lock(c, slot, err) < 0)
        goto fail;
    for (int attempt = 1;; attempt++) {
        if (append(c, slot, &e, err) == 0)
            break;
        if (own || strcmp(err->code, "store.conflict") != 0 || attempt >= AUDIT_RECORD_TRIES)
            goto fail;
        err_clear(err);
    }
written:
    if (own && store_commit(c, err) < 0)
        return -1;
    return 0;
fail:
    if (own)
        store_rollback(c);
    return -1;
}
