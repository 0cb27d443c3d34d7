/*
 * audit_chain.c - the audit chain's maintenance: chaining rows written before the chain
 * existed, signed checkpoints, verification and retention, and the `onewindow audit`
 * command. Entries are appended by audit_record (audit.c); the format and the reasoning
 * are in docs/internals/audit.md.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "audit/audit_internal.h"
#include "base/arena.h"
#include "base/id.h"
#include "crypto/crypto.h"
#include "store/store.h"

#define AUDIT_PAGE 1000     /* entries read per query while verifying */
#define AUDIT_KEYS_MAX 64   /* signing keys an installation may have had */
#define AUDIT_KEY_ID_HEX 33 /* 16 bytes of SM3(public hex), hex, NUL */
#define AUDIT_SEALED_MAX 4096

/* ---- helpers --------------------------------------------------------------------- */

static void sealed_ad(char *ad, size_t size, const char *key_id)
{
    snprintf(ad, size, "audit_keys.private_sealed:%s", key_id);
}

/* Open a sealed private key PEM. *out is the caller's (crypto_key_free). */
static int key_unseal(const struct crypto_keyring *kr, const char *key_id, const void *sealed,
                      size_t n, struct crypto_key **out, struct err *err)
{
    char ad[128];
    unsigned char *pem = NULL;
    size_t len = 0;
    int rc = -1;
    sealed_ad(ad, sizeof(ad), key_id);
    if (n < CRYPTO_AEAD_OVERHEAD || n > AUDIT_SEALED_MAX || (pem = malloc(n)) == NULL)
        goto fail;
    if (crypto_aead_open(crypto_keyring_aead(kr, CRYPTO_AEAD_SECRETS), ad, strlen(ad), sealed, n,
                         pem, n, &len) < 0)
        goto fail;
    if (crypto_key_from_pem(CRYPTO_KEY_SM2, (const char *)pem, len, out, err) < 0)
        goto fail;
    rc = 0;
fail:
    crypto_free_secret(pem, n);
    return rc;
}

/* A new SM2 key, stored sealed; *out (caller frees) and its id. */
static int key_create(struct store_conn *c, const struct crypto_keyring *kr,
                      struct crypto_key **out, char key_id[AUDIT_KEY_ID_HEX], struct err *err)
{
    struct crypto_key *key = NULL;
    char *pem = NULL;
    size_t pem_len = 0, sealed_len = 0;
    unsigned char *sealed = NULL, md[CRYPTO_SM3_LEN];
    char pub[CRYPTO_PUBLIC_HEX_SIZE], ad[128];
    if (crypto_key_generate(CRYPTO_KEY_SM2, &key) < 0 || crypto_key_public_hex(key, pub) < 0 ||
        crypto_sm3(pub, strlen(pub), md) < 0 ||
        crypto_hex_encode(md, 16, key_id, AUDIT_KEY_ID_HEX) < 0 ||
        crypto_key_private_pem(key, &pem, &pem_len) < 0 ||
        (sealed = malloc(pem_len + CRYPTO_AEAD_OVERHEAD)) == NULL)
        goto oom;
    sealed_ad(ad, sizeof(ad), key_id);
    if (crypto_aead_seal(crypto_keyring_aead(kr, CRYPTO_AEAD_SECRETS), ad, strlen(ad), pem, pem_len,
                         sealed, pem_len + CRYPTO_AEAD_OVERHEAD, &sealed_len) < 0)
        goto oom;
    if (audit_db_key_insert(c, key_id, pub, sealed, sealed_len, time_now_ms(), err) < 0)
        goto fail;
    crypto_free_secret(pem, pem_len);
    free(sealed);
    *out = key;
    return 0;
oom:
    err_set(err, 500, "audit.error", "could not create the audit signing key");
fail:
    crypto_free_secret(pem, pem_len);
    free(sealed);
    crypto_key_free(key);
    return -1;
}

struct newest_key {
    const struct crypto_keyring *kr;
    struct crypto_key **out;
    char *key_id;
    int found, rc;
    struct err *err;
};

static int take_newest(void *ctx, const char *key_id, const void *sealed, size_t n, const char *pub)
{
    struct newest_key *k = ctx;
    (void)pub;
    k->found = 1;
    snprintf(k->key_id, AUDIT_KEY_ID_HEX, "%s", key_id ? key_id : "");
    k->rc = key_unseal(k->kr, k->key_id, sealed, n, k->out, k->err);
    return 1;
}

/* The newest signing key, created on first use. Under the maintenance lock (slot 0). */
static int key_for_signing(struct store_conn *c, const struct crypto_keyring *kr,
                           struct crypto_key **out, char key_id[AUDIT_KEY_ID_HEX], struct err *err)
{
    struct newest_key k = {kr, out, key_id, 0, 0, err};
    if (audit_db_key_newest(c, take_newest, &k, err) < 0)
        return -1;
    if (!k.found)
        return key_create(c, kr, out, key_id, err);
    if (k.rc < 0)
        return err_set(err, 500, "audit.key_unusable",
                       "the audit signing key %s does not open with this installation's master "
                       "key",
                       key_id);
    return 0;
}

/* What a legacy (slot 0, before 0024) checkpoint signed. */
static int cp_message_v1(char *buf, size_t size, int64_t seq, const char *hash, int64_t at,
                         int64_t anchor)
{
    int n = snprintf(buf, size,
                     "onewindow.audit.checkpoint.v1\n%" PRId64 "\n%s\n%" PRId64 "\n%" PRId64 "\n",
                     seq, hash, at, anchor);
    return n < 0 || (size_t)n >= size ? -1 : n;
}

/* What a merged checkpoint signs: every sub-chain head it names. */
static int cp_message(char *buf, size_t size, const struct audit_db_cp *cp)
{
    int n = snprintf(
        buf, size, "onewindow.audit.checkpoint.v2\n%" PRId64 "\n%" PRId64 "\n%" PRId64 "\n%s\n%s",
        cp->at, cp->anchor, cp->entries, cp->hash ? cp->hash : "", cp->heads ? cp->heads : "");
    return n < 0 || (size_t)n >= size ? -1 : n;
}

/* hex(SM3(heads)) and the sum of their seqs; -1 if heads are malformed. */
static int heads_digest(const char *heads, char hash[AUDIT_HASH_HEX], int64_t *entries)
{
    unsigned char md[CRYPTO_SM3_LEN];
    *entries = 0;
    for (const char *p = heads; p && *p;) {
        long long sl = 0, sq = 0;
        int used = 0;
        char h[AUDIT_HASH_HEX];
        if (sscanf(p, "%lld %lld %64[0-9a-f]%n", &sl, &sq, h, &used) != 3 || p[used] != '\n')
            return -1;
        *entries += sq;
        p += used + 1;
    }
    if (heads == NULL || crypto_sm3(heads, strlen(heads), md) < 0 ||
        crypto_hex_encode(md, sizeof(md), hash, AUDIT_HASH_HEX) < 0)
        return -1;
    return 0;
}

#define AUDIT_HEADS_MAX 4096
#define AUDIT_MSG_MAX (AUDIT_HEADS_MAX + 256)

/* Sign `heads` (anchor: the last entries a purge deletes) and store the checkpoint. */
static int cp_write(struct store_conn *c, const struct crypto_keyring *kr, const char *heads,
                    int64_t anchor, struct err *err)
{
    struct crypto_key *key = NULL;
    char key_id[AUDIT_KEY_ID_HEX], hash[AUDIT_HASH_HEX], msg[AUDIT_MSG_MAX];
    unsigned char sig[CRYPTO_SM2_SIG_MAX];
    struct audit_db_cp cp = {.id = id_next(), .anchor = anchor, .hash = hash, .heads = heads};
    cp.at = id_time_ms(cp.id);
    int n;
    if (heads_digest(heads, hash, &cp.entries) < 0 || (n = cp_message(msg, sizeof(msg), &cp)) < 0) {
        err_set(err, 500, "audit.error", "could not describe an audit checkpoint");
        goto fail;
    }
    if (key_for_signing(c, kr, &key, key_id, err) < 0)
        goto fail;
    if (crypto_sm2_sign(key, msg, (size_t)n, sig, sizeof(sig), &cp.sig_len) < 0) {
        err_set(err, 500, "audit.error", "could not sign an audit checkpoint");
        goto fail;
    }
    cp.sig = sig;
    cp.key_id = key_id;
    if (audit_db_checkpoint_insert(c, &cp, err) < 0)
        goto fail;
    crypto_key_free(key);
    return 0;
fail:
    crypto_key_free(key);
    return -1;
}

/* ---- backfill -------------------------------------------------------------------- */

int audit_chain_backfill(struct store *s, int64_t *chained, struct err *err)
{
    struct arena *a = NULL;
    int64_t count = 0, head = 0, last_id = INT64_MIN;
    char prev[AUDIT_HASH_HEX], hash[AUDIT_HASH_HEX];
    int done = 0, found = 0;
    struct store_conn *c = store_conn(s, err);
    if (c == NULL)
        return -1;
    if ((a = arena_new(0)) == NULL)
        return err_set(err, 500, "audit.oom", "out of memory");
    if (store_begin(c, err) < 0)
        goto out_free;
    if (audit_db_lock(c, 0, err) < 0 || audit_db_backfill_done(c, &done, err) < 0)
        goto fail;
    if (done)
        goto commit;
    if (audit_chain_head(c, 0, &head, prev, err) < 0)
        goto fail;
    for (;;) {
        struct audit_entry e = {0};
        arena_reset(a);
        if (audit_db_unchained_next(c, last_id, a, &e, &found, err) < 0)
            goto fail;
        if (!found)
            break;
        e.seq = head + 1;
        if (audit_entry_hash(prev, &e, hash) < 0) {
            err_set(err, 500, "audit.error", "could not hash an audit record");
            goto fail;
        }
        if (audit_db_chain_row(c, &e, prev, hash, err) < 0)
            goto fail;
        memcpy(prev, hash, sizeof(prev));
        head = e.seq;
        last_id = e.id;
        count++;
    }
    if (audit_db_backfill_mark(c, count, err) < 0)
        goto fail;
commit:
    if (store_commit(c, err) < 0)
        goto out_free;
    arena_free(a);
    if (chained)
        *chained = count;
    return 0;
fail:
    store_rollback(c);
out_free:
    arena_free(a);
    return -1;
}

/* ---- checkpoints ----------------------------------------------------------------- */

/* "slot seq hash\n" for every non-empty sub-chain; *entries the sum of their seqs. */
static int heads_now(struct store_conn *c, char *out, size_t size, int64_t *entries,
                     struct err *err)
{
    size_t o = 0;
    *entries = 0;
    out[0] = '\0';
    for (int64_t slot = 0; slot <= AUDIT_SLOTS; slot++) {
        int64_t seq = 0;
        char hash[AUDIT_HASH_HEX];
        if (audit_chain_head(c, slot, &seq, hash, err) < 0)
            return -1;
        if (seq == 0)
            continue;
        int n = snprintf(out + o, size - o, "%" PRId64 " %" PRId64 " %s\n", slot, seq, hash);
        if (n < 0 || (size_t)n >= size - o)
            return err_set(err, 500, "audit.error", "too many audit sub-chains");
        o += (size_t)n;
        *entries += seq;
    }
    return 0;
}

static int take_heads(void *ctx, const struct audit_db_cp *cp)
{
    snprintf(ctx, AUDIT_HEADS_MAX, "%s", cp->heads ? cp->heads : "");
    return 1;
}

int audit_checkpoint(struct store *s, struct crypto_keyring *kr, int64_t *seq, struct err *err)
{
    int64_t entries = 0;
    char heads[AUDIT_HEADS_MAX], newest[AUDIT_HEADS_MAX] = "";
    struct store_conn *c = store_conn(s, err);
    if (c == NULL || store_begin(c, err) < 0)
        return -1;
    /* The heads are read without the writers' locks: each is a committed entry, and a
     * checkpoint vouches for exactly those. The slot-0 lock orders checkpoints, purges
     * and the first key's creation. */
    if (audit_db_lock(c, 0, err) < 0 || heads_now(c, heads, sizeof(heads), &entries, err) < 0 ||
        audit_db_checkpoints_merged(c, 1, take_heads, newest, err) < 0)
        goto fail;
    if (entries > 0 && strcmp(heads, newest) != 0 && cp_write(c, kr, heads, 0, err) < 0)
        goto fail;
    if (store_commit(c, err) < 0)
        return -1;
    if (seq)
        *seq = entries;
    return 0;
fail:
    store_rollback(c);
    return -1;
}

/* ---- verification ---------------------------------------------------------------- */

struct vkey {
    char id[AUDIT_KEY_ID_HEX];
    struct crypto_key *key; /* NULL: does not open under this keyring */
};

/* One sub-chain head a checkpoint vouches for. */
struct vcp {
    int64_t slot, seq, anchor;
    char hash[AUDIT_HASH_HEX];
};

struct vstate {
    const struct crypto_keyring *kr;
    struct vkey keys[AUDIT_KEYS_MAX];
    size_t nkeys;
    struct vcp *cps;
    size_t ncp, cap;
    int64_t *slots;
    size_t nslots, slots_cap;
    struct audit_report *r;
};

const char *audit_problem_name(enum audit_problem kind)
{
    static const char *const names[] = {"ok",       "altered",    "missing",
                                        "relinked", "checkpoint", "unchained"};
    return (unsigned)kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "unknown";
}

/* Count a problem; describe it if it is the first in (slot, seq) order. A problem in a
 * sub-chain other than 0 says which. */
static void note(struct audit_report *r, int64_t slot, int64_t seq, enum audit_problem kind,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void note(struct audit_report *r, int64_t slot, int64_t seq, enum audit_problem kind,
                 const char *fmt, ...)
{
    r->problems++;
    if (r->kind != AUDIT_OK && (slot > r->slot || (slot == r->slot && seq >= r->seq)))
        return;
    r->kind = kind;
    r->slot = slot;
    r->seq = seq;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(r->message, sizeof(r->message), fmt, ap);
    va_end(ap);
    if (slot != 0 && n > 0 && (size_t)n < sizeof(r->message))
        snprintf(r->message + n, sizeof(r->message) - (size_t)n, " (sub-chain %" PRId64 ")", slot);
}

static void copy_hash(char dst[AUDIT_HASH_HEX], const char *src)
{
    snprintf(dst, AUDIT_HASH_HEX, "%s", src ? src : "");
}

static int add_key(void *ctx, const char *key_id, const void *sealed, size_t n, const char *pub)
{
    struct vstate *v = ctx;
    if (v->nkeys >= AUDIT_KEYS_MAX)
        return 1;
    struct vkey *k = &v->keys[v->nkeys++];
    char mine[CRYPTO_PUBLIC_HEX_SIZE];
    struct err ignored;
    snprintf(k->id, sizeof(k->id), "%s", key_id ? key_id : "");
    k->key = NULL;
    /* A key is trusted only if it opens under our master key and its stored public half is
     * its own: a key planted in the table by someone without the master key cannot vouch
     * for anything. */
    if (key_unseal(v->kr, k->id, sealed, n, &k->key, &ignored) == 0 &&
        (crypto_key_public_hex(k->key, mine) < 0 || pub == NULL || strcmp(mine, pub) != 0)) {
        crypto_key_free(k->key);
        k->key = NULL;
    }
    return 0;
}

static const struct crypto_key *key_named(const struct vstate *v, const char *key_id)
{
    for (size_t i = 0; i < v->nkeys && key_id; i++)
        if (strcmp(v->keys[i].id, key_id) == 0)
            return v->keys[i].key;
    return NULL;
}

static int add_vcp(struct vstate *v, int64_t slot, int64_t seq, const char *hash, int64_t anchor)
{
    if (v->ncp == v->cap) {
        size_t ncap = v->cap ? 2 * v->cap : 64;
        struct vcp *p = realloc(v->cps, ncap * sizeof(*p));
        if (p == NULL)
            return -1;
        v->cps = p;
        v->cap = ncap;
    }
    struct vcp *cp = &v->cps[v->ncp++];
    cp->slot = slot;
    cp->seq = seq;
    cp->anchor = anchor;
    copy_hash(cp->hash, hash);
    return 0;
}

static int add_slot(void *ctx, int64_t slot)
{
    struct vstate *v = ctx;
    for (size_t i = 0; i < v->nslots; i++)
        if (v->slots[i] == slot)
            return 0;
    if (v->nslots == v->slots_cap) {
        size_t ncap = v->slots_cap ? 2 * v->slots_cap : 32;
        int64_t *p = realloc(v->slots, ncap * sizeof(*p));
        if (p == NULL)
            return -1;
        v->slots = p;
        v->slots_cap = ncap;
    }
    v->slots[v->nslots++] = slot;
    return 0;
}

/* A legacy checkpoint: slot 0, signed with the v1 message. */
static int load_legacy(void *ctx, const struct audit_db_cp *cp)
{
    struct vstate *v = ctx;
    char msg[256], hash[AUDIT_HASH_HEX];
    copy_hash(hash, cp->hash);
    const struct crypto_key *key = key_named(v, cp->key_id);
    int len = cp_message_v1(msg, sizeof(msg), cp->seq, hash, cp->at, cp->anchor);
    v->r->checkpoints++;
    if (key == NULL)
        note(v->r, 0, cp->seq, AUDIT_CHECKPOINT,
             "checkpoint %" PRId64 " names a signing key that is unknown or not this "
             "installation's",
             cp->seq);
    else if (len < 0 || cp->sig == NULL ||
             crypto_sm2_verify(key, msg, (size_t)len, cp->sig, cp->sig_len))
        note(v->r, 0, cp->seq, AUDIT_CHECKPOINT, "checkpoint %" PRId64 " has an invalid signature",
             cp->seq);
    return add_vcp(v, 0, cp->seq, hash, cp->anchor) < 0 || add_slot(v, 0) < 0 ? -1 : 0;
}

/* A merged checkpoint: its signature, its digest, then every head it names. A problem
 * with the checkpoint itself is reported at its first head. */
static int load_merged(void *ctx, const struct audit_db_cp *cp)
{
    struct vstate *v = ctx;
    char msg[AUDIT_MSG_MAX], digest[AUDIT_HASH_HEX], hash[AUDIT_HASH_HEX];
    int64_t entries = 0, slot = 0, seq = 0;
    const char *heads = cp->heads ? cp->heads : "";
    long long sl = 0, sq = 0;
    if (sscanf(heads, "%lld %lld", &sl, &sq) == 2) {
        slot = sl;
        seq = sq;
    }
    const struct crypto_key *key = key_named(v, cp->key_id);
    int len = cp_message(msg, sizeof(msg), cp);
    v->r->checkpoints++;
    if (key == NULL)
        note(v->r, slot, seq, AUDIT_CHECKPOINT,
             "checkpoint %" PRId64 " names a signing key that is unknown or not this "
             "installation's",
             seq);
    else if (len < 0 || cp->sig == NULL ||
             crypto_sm2_verify(key, msg, (size_t)len, cp->sig, cp->sig_len))
        note(v->r, slot, seq, AUDIT_CHECKPOINT, "checkpoint %" PRId64 " has an invalid signature",
             seq);
    else if (heads_digest(heads, digest, &entries) < 0 || cp->hash == NULL ||
             strcmp(digest, cp->hash) != 0 || entries != cp->entries)
        note(v->r, slot, seq, AUDIT_CHECKPOINT,
             "checkpoint %" PRId64 " does not match the heads it names", seq);
    for (const char *p = heads; *p;) {
        int used = 0;
        if (sscanf(p, "%lld %lld %64[0-9a-f]%n", &sl, &sq, hash, &used) != 3 || p[used] != '\n')
            break;
        if (add_vcp(v, sl, sq, hash, cp->anchor) < 0 || add_slot(v, sl) < 0)
            return -1;
        p += used + 1;
    }
    return 0;
}

static int vcp_order(const void *a, const void *b)
{
    const struct vcp *x = a, *y = b;
    if (x->slot != y->slot)
        return x->slot < y->slot ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int int64_order(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* The state of one sub-chain's walk. */
struct walk {
    struct audit_report *r;
    int64_t slot, expected, after;
    char prev[AUDIT_HASH_HEX];
    const struct vcp *cps; /* this slot's checkpoints, by seq */
    size_t ncp, k;
};

static int walk_entry(void *ctx, const struct audit_entry *e, const char *stored_prev,
                      const char *stored)
{
    struct walk *w = ctx;
    struct audit_report *r = w->r;
    char hash[AUDIT_HASH_HEX];
    r->entries++;
    if (e->seq != w->expected)
        note(r, w->slot, w->expected, AUDIT_MISSING,
             "entries %" PRId64 " to %" PRId64 " are missing", w->expected, e->seq - 1);
    else if (stored_prev == NULL || strcmp(stored_prev, w->prev) != 0)
        note(r, w->slot, e->seq, AUDIT_RELINKED, "its prev_hash is not the hash of entry %" PRId64,
             e->seq - 1);
    if (audit_entry_hash(stored_prev, e, hash) < 0 || stored == NULL || strcmp(hash, stored) != 0)
        note(r, w->slot, e->seq, AUDIT_ALTERED, "its content does not match its hash");
    for (; w->k < w->ncp && w->cps[w->k].seq <= e->seq; w->k++)
        if (w->cps[w->k].seq == e->seq && (stored == NULL || strcmp(w->cps[w->k].hash, stored)))
            note(r, w->slot, e->seq, AUDIT_CHECKPOINT,
                 "checkpoint %" PRId64 " vouches for another hash: the chain was rewritten",
                 e->seq);
    copy_hash(w->prev, stored);
    w->expected = e->seq + 1;
    w->after = e->seq;
    return 0;
}

/* Walk one sub-chain from its newest anchor to its head or its newest checkpoint,
 * whichever is further (a checkpoint beyond the head: a truncated tail). */
static int walk_slot(struct store_conn *c, int64_t slot, const struct vcp *cps, size_t ncp,
                     struct audit_report *r, struct err *err)
{
    struct walk w = {.r = r, .slot = slot, .cps = cps, .ncp = ncp};
    int64_t head = 0, anchor = 0;
    char head_hash[AUDIT_HASH_HEX];
    int found = 0, rows = 0;
    copy_hash(w.prev, AUDIT_GENESIS);
    for (size_t i = 0; i < ncp; i++)
        if (cps[i].anchor && cps[i].seq >= anchor) {
            anchor = cps[i].seq;
            copy_hash(w.prev, cps[i].hash);
        }
    if (audit_db_head(c, slot, &found, &head, head_hash, err) < 0)
        return -1;
    int64_t to = found ? head : anchor;
    if (ncp > 0 && cps[ncp - 1].seq > to)
        to = cps[ncp - 1].seq;
    w.expected = anchor + 1;
    w.after = anchor;
    while (w.k < ncp && cps[w.k].seq <= anchor)
        w.k++;
    if (slot == 0)
        r->first_seq = anchor + 1;
    do {
        if (audit_db_entries(c, slot, w.after, to, walk_entry, &w, &rows, err) < 0)
            return -1;
    } while (rows == AUDIT_DB_PAGE);
    if (w.expected <= to)
        note(r, slot, w.expected, AUDIT_MISSING, "entries %" PRId64 " to %" PRId64 " are missing",
             w.expected, to);
    r->head_seq += w.after;
    r->slots++;
    return 0;
}

int audit_verify(struct store *s, struct crypto_keyring *kr, struct audit_report *r,
                 struct err *err)
{
    struct vstate v = {.kr = kr, .r = r};
    int64_t unchained = 0, first_id = 0;
    int rc = -1;
    memset(r, 0, sizeof(*r));
    r->first_seq = 1;
    struct store_conn *c = store_conn(s, err);
    if (c == NULL)
        return -1;
    /* Checkpoints before the heads: every checkpoint read then vouches for an entry at or
     * below the head read after it, so a checkpoint beyond it means a truncated tail. */
    if (audit_db_keys(c, add_key, &v, err) < 0 ||
        audit_db_checkpoints_legacy(c, load_legacy, &v, err) < 0 ||
        audit_db_checkpoints_merged(c, 0, load_merged, &v, err) < 0 ||
        audit_db_slots(c, add_slot, &v, err) < 0)
        goto out;
    if (v.ncp > 0)
        qsort(v.cps, v.ncp, sizeof(*v.cps), vcp_order);
    if (v.nslots > 0)
        qsort(v.slots, v.nslots, sizeof(*v.slots), int64_order);
    for (size_t i = 0, k = 0; i < v.nslots; i++) {
        size_t from = k;
        while (k < v.ncp && v.cps[k].slot == v.slots[i])
            k++;
        if (walk_slot(c, v.slots[i], v.cps + from, k - from, r, err) < 0)
            goto out;
    }
    if (audit_db_unchained_count(c, &unchained, &first_id, err) < 0)
        goto out;
    if (unchained > 0 && r->kind == AUDIT_OK)
        note(r, 0, 0, AUDIT_UNCHAINED,
             "%" PRId64 " row(s) have no sequence number (first id %" PRId64 ")", unchained,
             first_id);
    else if (unchained > 0)
        r->problems++;
    rc = 0;
out:
    for (size_t i = 0; i < v.nkeys; i++)
        crypto_key_free(v.keys[i].key);
    free(v.cps);
    free(v.slots);
    return rc;
}

/* ---- retention ------------------------------------------------------------------- */

/* Per slot: delete through `last`, older than the retention and below the slot's newest
 * checkpoint, so that the head itself and a signed entry always remain. The anchor names
 * every slot's last deleted entry and is written before the deletes. */
int audit_purge_at(struct store *s, struct crypto_keyring *kr, int64_t retention_ms, int64_t now_ms,
                   int64_t *purged, struct err *err)
{
    struct audit_report scratch;
    struct vstate v = {.kr = kr, .r = &scratch};
    int64_t deleted = 0, lasts[AUDIT_SLOTS + 1] = {0};
    char heads[AUDIT_HEADS_MAX] = "";
    size_t o = 0;
    if (retention_ms == 0)
        retention_ms = AUDIT_RETENTION_MIN_MS;
    if (retention_ms < AUDIT_RETENTION_MIN_MS)
        return err_set(err, 400, "audit.retention_too_short",
                       "audit records must be kept at least 185 days");
    memset(&scratch, 0, sizeof(scratch));
    struct store_conn *c = store_conn(s, err);
    if (c == NULL || store_begin(c, err) < 0)
        return -1;
    if (audit_db_lock(c, 0, err) < 0 || audit_db_checkpoints_legacy(c, load_legacy, &v, err) < 0 ||
        audit_db_checkpoints_merged(c, 0, load_merged, &v, err) < 0)
        goto fail;
    for (int64_t slot = 0; slot <= AUDIT_SLOTS; slot++) {
        int64_t head = 0, newest_cp = 0, young = 0;
        int found = 0;
        char hash[AUDIT_HASH_HEX];
        for (size_t i = 0; i < v.ncp; i++)
            if (v.cps[i].slot == slot && v.cps[i].seq > newest_cp)
                newest_cp = v.cps[i].seq;
        if (audit_chain_head(c, slot, &head, hash, err) < 0 ||
            audit_db_first_young(c, slot, now_ms - retention_ms, head + 1, &young, err) < 0)
            goto fail;
        int64_t last = young - 1 < newest_cp - 1 ? young - 1 : newest_cp - 1;
        if (last < 1 || audit_db_entry_hash(c, slot, last, &found, hash, err) < 0)
            continue;
        if (!found) /* already purged through here (or missing) */
            continue;
        int n = snprintf(heads + o, sizeof(heads) - o, "%" PRId64 " %" PRId64 " %s\n", slot, last,
                         hash);
        if (n < 0 || (size_t)n >= sizeof(heads) - o) {
            err_set(err, 500, "audit.error", "too many audit sub-chains");
            goto fail;
        }
        o += (size_t)n;
        lasts[slot] = last;
    }
    if (o > 0 && cp_write(c, kr, heads, 1, err) < 0)
        goto fail;
    for (int64_t slot = 0; slot <= AUDIT_SLOTS; slot++) {
        int64_t n = 0;
        if (lasts[slot] > 0 && audit_db_purge(c, slot, lasts[slot], &n, err) < 0)
            goto fail;
        deleted += n;
    }
    if (store_commit(c, err) < 0)
        goto out;
    free(v.cps);
    free(v.slots);
    if (purged)
        *purged = deleted;
    return 0;
fail:
    store_rollback(c);
out:
    free(v.cps);
    free(v.slots);
    return -1;
}

int audit_purge(struct store *s, struct crypto_keyring *kr, int64_t retention_ms, int64_t *purged,
                struct err *err)
{
    return audit_purge_at(s, kr, retention_ms, time_now_ms(), purged, err);
}

/* ---- the command ----------------------------------------------------------------- */

int audit_cli(struct store *s, struct crypto_keyring *kr, int argc, char **argv, struct err *err)
{
    const char *cmd = argc > 0 ? argv[0] : "";
    if (strcmp(cmd, "verify") == 0 && argc == 1) {
        struct audit_report r;
        if (audit_chain_backfill(s, NULL, err) < 0 || audit_verify(s, kr, &r, err) < 0)
            return -1;
        if (r.kind == AUDIT_OK) {
            printf("audit chain intact: %" PRId64 " entries, %" PRId64 " checkpoints\n", r.entries,
                   r.checkpoints);
            return 0;
        }
        printf("audit chain broken at entry %" PRId64 ": %s: %s (%" PRId64 " problem(s); %" PRId64
               " entries, %" PRId64 " checkpoints checked)\n",
               r.seq, audit_problem_name(r.kind), r.message, r.problems, r.entries, r.checkpoints);
        return 1;
    }
    if (strcmp(cmd, "checkpoint") == 0 && argc == 1) {
        int64_t seq = 0;
        if (audit_checkpoint(s, kr, &seq, err) < 0)
            return -1;
        if (seq == 0)
            printf("audit chain empty: nothing to sign\n");
        else
            printf("audit checkpoint signed at entry %" PRId64 "\n", seq);
        return 0;
    }
    if (strcmp(cmd, "purge") == 0 && (argc == 1 || argc == 2)) {
        int64_t days = 185, purged = 0;
        if (argc == 2) {
            char *end = NULL;
            long long v = strtoll(argv[1], &end, 10);
            if (end == argv[1] || *end != '\0' || v < 185 || v > 36500) {
                err_set(err, 400, "audit.retention_too_short",
                        "purge DAYS: a number of days from 185 to 36500");
                return 2;
            }
            days = v;
        }
        /* Never purge a chain that is already broken: the evidence would go with it. */
        struct audit_report r;
        if (audit_verify(s, kr, &r, err) < 0)
            return -1;
        if (r.kind != AUDIT_OK) {
            printf("audit chain broken at entry %" PRId64 ": %s: %s; nothing purged\n", r.seq,
                   audit_problem_name(r.kind), r.message);
            return 1;
        }
        if (audit_purge(s, kr, days * 24 * 60 * 60 * 1000, &purged, err) < 0)
            return -1;
        printf("%" PRId64 " audit entries older than %" PRId64 " days purged\n", purged, days);
        return 0;
    }
    err_set(err, 400, "audit.usage",
            "usage: onewindow audit verify | checkpoint | purge [DAYS (>= 185)]");
    return 2;
}
