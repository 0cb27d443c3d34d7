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

static const char SQL_BACKFILL_DONE[] =
    "SELECT value FROM platform_meta WHERE key = 'audit.chain_backfilled'";
static const char SQL_BACKFILL_MARK[] =
    "INSERT INTO platform_meta (key, value, updated_at) VALUES ('audit.chain_backfilled', ?, ?) "
    "ON CONFLICT (key) DO NOTHING";
static const char SQL_UNCHAINED_NEXT[] =
    "SELECT id, at, actor_id, action, object, outcome, source_ip, detail FROM audit_events "
    "WHERE seq IS NULL AND id > ? ORDER BY id LIMIT 1";
static const char SQL_CHAIN_ROW[] =
    "UPDATE audit_events SET seq = ?, prev_hash = ?, hash = ? WHERE id = ?";
static const char SQL_UNCHAINED_COUNT[] =
    "SELECT COUNT(*), MIN(id) FROM audit_events WHERE seq IS NULL";
static const char SQL_KEY_NEWEST[] = "SELECT key_id, private_sealed FROM audit_keys "
                                     "ORDER BY created_at DESC, key_id DESC LIMIT 1";
static const char SQL_KEY_INSERT[] = "INSERT INTO audit_keys (key_id, public_hex, private_sealed, "
                                     "created_at) VALUES (?, ?, ?, ?)";
static const char SQL_KEYS_ALL[] = "SELECT key_id, private_sealed, public_hex FROM audit_keys";
static const char SQL_CP_INSERT[] =
    "INSERT INTO audit_checkpoints (seq, hash, at, anchor, signature, key_id) "
    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (seq) DO NOTHING";
static const char SQL_CP_DELETE[] = "DELETE FROM audit_checkpoints WHERE seq = ?";
static const char SQL_CP_ALL[] = "SELECT seq, hash, at, anchor, signature, key_id "
                                 "FROM audit_checkpoints ORDER BY seq";
static const char SQL_CP_NEWEST[] = "SELECT seq FROM audit_checkpoints ORDER BY seq DESC LIMIT 1";
static const char SQL_ENTRIES[] =
    "SELECT seq, id, at, actor_id, action, object, outcome, source_ip, detail, prev_hash, hash "
    "FROM audit_events WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT 1000";
static const char SQL_FIRST_YOUNG[] =
    "SELECT seq FROM audit_events WHERE seq IS NOT NULL AND at >= ? ORDER BY seq LIMIT 1";
static const char SQL_ENTRY_HASH[] = "SELECT hash FROM audit_events WHERE seq = ?";
static const char SQL_PURGE[] = "DELETE FROM audit_events WHERE seq <= ?";

/* ---- helpers --------------------------------------------------------------------- */

/* Run a statement to completion, ignoring rows. */
static int run(struct store_stmt *st, struct err *err)
{
    int rc;
    while ((rc = store_step(st, err)) == STORE_ROW)
        ;
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

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
    struct store_stmt *st = store_prepare(c, SQL_KEY_INSERT, err);
    if (st == NULL)
        goto fail;
    store_bind_text(st, 1, key_id, -1);
    store_bind_text(st, 2, pub, -1);
    store_bind_blob(st, 3, sealed, sealed_len);
    store_bind_int64(st, 4, time_now_ms());
    if (run(st, err) < 0)
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

/* The newest signing key, created on first use. Under the chain lock. */
static int key_for_signing(struct store_conn *c, const struct crypto_keyring *kr,
                           struct crypto_key **out, char key_id[AUDIT_KEY_ID_HEX], struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_KEY_NEWEST, err);
    if (st == NULL)
        return -1;
    int rc = store_step(st, err);
    if (rc < 0) {
        store_reset(st);
        return -1;
    }
    if (rc == STORE_DONE) {
        store_reset(st);
        return key_create(c, kr, out, key_id, err);
    }
    size_t n = 0;
    const void *sealed = store_col_blob(st, 1, &n);
    snprintf(key_id, AUDIT_KEY_ID_HEX, "%s", store_col_text(st, 0) ? store_col_text(st, 0) : "");
    rc = key_unseal(kr, key_id, sealed, n, out, err);
    store_reset(st);
    if (rc < 0)
        return err_set(err, 500, "audit.key_unusable",
                       "the audit signing key %s does not open with this installation's master "
                       "key",
                       key_id);
    return 0;
}

/* What a checkpoint signs. */
static int cp_message(char *buf, size_t size, int64_t seq, const char *hash, int64_t at,
                      int64_t anchor)
{
    int n = snprintf(buf, size,
                     "onewindow.audit.checkpoint.v1\n%" PRId64 "\n%s\n%" PRId64 "\n%" PRId64 "\n",
                     seq, hash, at, anchor);
    return n < 0 || (size_t)n >= size ? -1 : n;
}

/* Sign (seq, hash) and store it. An anchor replaces a plain checkpoint at the same seq. */
static int cp_write(struct store_conn *c, const struct crypto_keyring *kr, int64_t seq,
                    const char *hash, int64_t anchor, struct err *err)
{
    struct crypto_key *key = NULL;
    char key_id[AUDIT_KEY_ID_HEX], msg[256];
    unsigned char sig[CRYPTO_SM2_SIG_MAX];
    size_t sig_len = 0;
    int64_t at = time_now_ms();
    struct store_stmt *st;
    int n = cp_message(msg, sizeof(msg), seq, hash, at, anchor);
    if (n < 0 || key_for_signing(c, kr, &key, key_id, err) < 0)
        goto fail;
    if (crypto_sm2_sign(key, msg, (size_t)n, sig, sizeof(sig), &sig_len) < 0) {
        err_set(err, 500, "audit.error", "could not sign an audit checkpoint");
        goto fail;
    }
    if (anchor) {
        if ((st = store_prepare(c, SQL_CP_DELETE, err)) == NULL)
            goto fail;
        store_bind_int64(st, 1, seq);
        if (run(st, err) < 0)
            goto fail;
    }
    if ((st = store_prepare(c, SQL_CP_INSERT, err)) == NULL)
        goto fail;
    store_bind_int64(st, 1, seq);
    store_bind_text(st, 2, hash, -1);
    store_bind_int64(st, 3, at);
    store_bind_int64(st, 4, anchor);
    store_bind_blob(st, 5, sig, sig_len);
    store_bind_text(st, 6, key_id, -1);
    if (run(st, err) < 0)
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
    struct store_conn *c = store_conn(s, err);
    if (c == NULL)
        return -1;
    if ((a = arena_new(0)) == NULL)
        return err_set(err, 500, "audit.oom", "out of memory");
    if (store_begin(c, err) < 0)
        goto out_free;
    struct store_stmt *st;
    if (audit_chain_lock(c, NULL, err) < 0 ||
        (st = store_prepare(c, SQL_BACKFILL_DONE, err)) == NULL)
        goto fail;
    int rc = store_step(st, err);
    store_reset(st);
    if (rc < 0)
        goto fail;
    if (rc == STORE_ROW)
        goto commit;
    if (audit_chain_head(c, &head, prev, err) < 0)
        goto fail;
    for (;;) {
        if ((st = store_prepare(c, SQL_UNCHAINED_NEXT, err)) == NULL)
            goto fail;
        store_bind_int64(st, 1, last_id);
        if ((rc = store_step(st, err)) != STORE_ROW) {
            store_reset(st);
            if (rc < 0)
                goto fail;
            break;
        }
        arena_reset(a);
        struct audit_entry e = {.seq = head + 1,
                                .id = store_col_int64(st, 0),
                                .at = store_col_int64(st, 1),
                                .actor_id = store_col_int64(st, 2)};
        const char **f[] = {&e.action, &e.object, &e.outcome, &e.source_ip, &e.detail};
        for (int i = 0; i < 5; i++) {
            const char *v = store_col_text(st, 3 + i);
            *f[i] = v ? arena_strdup(a, v) : NULL;
            if (v && *f[i] == NULL) {
                store_reset(st);
                err_set(err, 500, "audit.oom", "out of memory");
                goto fail;
            }
        }
        store_reset(st);
        if (audit_entry_hash(prev, &e, hash) < 0) {
            err_set(err, 500, "audit.error", "could not hash an audit record");
            goto fail;
        }
        if ((st = store_prepare(c, SQL_CHAIN_ROW, err)) == NULL)
            goto fail;
        store_bind_int64(st, 1, e.seq);
        store_bind_text(st, 2, prev, -1);
        store_bind_text(st, 3, hash, -1);
        store_bind_int64(st, 4, e.id);
        if (run(st, err) < 0)
            goto fail;
        memcpy(prev, hash, sizeof(prev));
        head = e.seq;
        last_id = e.id;
        count++;
    }
    char value[32];
    snprintf(value, sizeof(value), "%" PRId64, count);
    if ((st = store_prepare(c, SQL_BACKFILL_MARK, err)) == NULL)
        goto fail;
    store_bind_text(st, 1, value, -1);
    store_bind_int64(st, 2, time_now_ms());
    if (run(st, err) < 0)
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

int audit_checkpoint(struct store *s, struct crypto_keyring *kr, int64_t *seq, struct err *err)
{
    int64_t head = 0;
    char hash[AUDIT_HASH_HEX];
    struct store_conn *c = store_conn(s, err);
    if (c == NULL || store_begin(c, err) < 0)
        return -1;
    if (audit_chain_lock(c, NULL, err) < 0 || audit_chain_head(c, &head, hash, err) < 0)
        goto fail;
    if (head > 0 && cp_write(c, kr, head, hash, 0, err) < 0)
        goto fail;
    if (store_commit(c, err) < 0)
        return -1;
    if (seq)
        *seq = head;
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

struct vcp {
    int64_t seq, at, anchor;
    char hash[AUDIT_HASH_HEX];
};

const char *audit_problem_name(enum audit_problem kind)
{
    static const char *const names[] = {"ok",       "altered",    "missing",
                                        "relinked", "checkpoint", "unchained"};
    return (unsigned)kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "unknown";
}

/* Count a problem; describe it if it is the first in sequence order. */
static void note(struct audit_report *r, int64_t seq, enum audit_problem kind, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void note(struct audit_report *r, int64_t seq, enum audit_problem kind, const char *fmt, ...)
{
    r->problems++;
    if (r->kind != AUDIT_OK && seq >= r->seq)
        return;
    r->kind = kind;
    r->seq = seq;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->message, sizeof(r->message), fmt, ap);
    va_end(ap);
}

static void copy_hash(char dst[AUDIT_HASH_HEX], const char *src)
{
    snprintf(dst, AUDIT_HASH_HEX, "%s", src ? src : "");
}

static int load_keys(struct store_conn *c, const struct crypto_keyring *kr, struct vkey *keys,
                     size_t *nkeys, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_KEYS_ALL, err);
    if (st == NULL)
        return -1;
    int rc;
    *nkeys = 0;
    while ((rc = store_step(st, err)) == STORE_ROW && *nkeys < AUDIT_KEYS_MAX) {
        struct vkey *k = &keys[(*nkeys)++];
        size_t n = 0;
        const void *sealed = store_col_blob(st, 1, &n);
        const char *pub = store_col_text(st, 2);
        char mine[CRYPTO_PUBLIC_HEX_SIZE];
        struct err ignored;
        const char *id = store_col_text(st, 0);
        snprintf(k->id, sizeof(k->id), "%s", id ? id : "");
        k->key = NULL;
        /* A key is trusted only if it opens under our master key and its stored public
         * half is its own: a key planted in the table by someone without the master key
         * cannot vouch for anything. */
        if (key_unseal(kr, k->id, sealed, n, &k->key, &ignored) == 0 &&
            (crypto_key_public_hex(k->key, mine) < 0 || pub == NULL || strcmp(mine, pub) != 0)) {
            crypto_key_free(k->key);
            k->key = NULL;
        }
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

/* Load every checkpoint, checking its signature; *out is the caller's (free). */
static int load_checkpoints(struct store_conn *c, const struct vkey *keys, size_t nkeys,
                            struct audit_report *r, struct vcp **out, size_t *ncp, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_CP_ALL, err);
    struct vcp *cps = NULL;
    size_t cap = 0, n = 0;
    int rc;
    if (st == NULL)
        return -1;
    while ((rc = store_step(st, err)) == STORE_ROW) {
        if (n == cap) {
            size_t ncap = cap ? 2 * cap : 64;
            struct vcp *p = realloc(cps, ncap * sizeof(*cps));
            if (p == NULL) {
                rc = err_set(err, 500, "audit.oom", "out of memory");
                break;
            }
            cps = p;
            cap = ncap;
        }
        struct vcp *cp = &cps[n++];
        cp->seq = store_col_int64(st, 0);
        copy_hash(cp->hash, store_col_text(st, 1));
        cp->at = store_col_int64(st, 2);
        cp->anchor = store_col_int64(st, 3);
        size_t sig_len = 0;
        const unsigned char *sig = store_col_blob(st, 4, &sig_len);
        const char *key_id = store_col_text(st, 5);
        const struct crypto_key *key = NULL;
        for (size_t i = 0; i < nkeys && key_id; i++)
            if (strcmp(keys[i].id, key_id) == 0)
                key = keys[i].key;
        char msg[256];
        int len = cp_message(msg, sizeof(msg), cp->seq, cp->hash, cp->at, cp->anchor);
        if (key == NULL)
            note(r, cp->seq, AUDIT_CHECKPOINT,
                 "checkpoint %" PRId64 " names a signing key that is unknown or not this "
                 "installation's",
                 cp->seq);
        else if (len < 0 || sig == NULL || crypto_sm2_verify(key, msg, (size_t)len, sig, sig_len))
            note(r, cp->seq, AUDIT_CHECKPOINT, "checkpoint %" PRId64 " has an invalid signature",
                 cp->seq);
    }
    store_reset(st);
    if (rc < 0) {
        free(cps);
        return -1;
    }
    *out = cps;
    *ncp = n;
    r->checkpoints = (int64_t)n;
    return 0;
}

/* Walk entries (from, to] in sequence order; `prev` is the hash entry `from` must have. */
static int walk(struct store_conn *c, int64_t from, int64_t to, const char *prev_in,
                const struct vcp *cps, size_t ncp, struct audit_report *r, struct err *err)
{
    char prev[AUDIT_HASH_HEX], hash[AUDIT_HASH_HEX];
    int64_t expected = from + 1, after = from;
    size_t k = 0;
    copy_hash(prev, prev_in);
    while (k < ncp && cps[k].seq <= from)
        k++;
    for (;;) {
        struct store_stmt *st = store_prepare(c, SQL_ENTRIES, err);
        if (st == NULL)
            return -1;
        store_bind_int64(st, 1, after);
        store_bind_int64(st, 2, to);
        int rc, rows = 0;
        while ((rc = store_step(st, err)) == STORE_ROW) {
            rows++;
            struct audit_entry e = {.seq = store_col_int64(st, 0),
                                    .id = store_col_int64(st, 1),
                                    .at = store_col_int64(st, 2),
                                    .actor_id = store_col_int64(st, 3),
                                    .action = store_col_text(st, 4),
                                    .object = store_col_text(st, 5),
                                    .outcome = store_col_text(st, 6),
                                    .source_ip = store_col_text(st, 7),
                                    .detail = store_col_text(st, 8)};
            const char *stored_prev = store_col_text(st, 9), *stored = store_col_text(st, 10);
            r->entries++;
            if (e.seq != expected)
                note(r, expected, AUDIT_MISSING, "entries %" PRId64 " to %" PRId64 " are missing",
                     expected, e.seq - 1);
            else if (stored_prev == NULL || strcmp(stored_prev, prev) != 0)
                note(r, e.seq, AUDIT_RELINKED, "its prev_hash is not the hash of entry %" PRId64,
                     e.seq - 1);
            if (audit_entry_hash(stored_prev, &e, hash) < 0 || stored == NULL ||
                strcmp(hash, stored) != 0)
                note(r, e.seq, AUDIT_ALTERED, "its content does not match its hash");
            for (; k < ncp && cps[k].seq <= e.seq; k++)
                if (cps[k].seq == e.seq && (stored == NULL || strcmp(cps[k].hash, stored) != 0))
                    note(r, e.seq, AUDIT_CHECKPOINT,
                         "checkpoint %" PRId64 " vouches for another hash: the chain was "
                         "rewritten",
                         e.seq);
            copy_hash(prev, stored);
            expected = e.seq + 1;
            after = e.seq;
            r->head_seq = e.seq;
        }
        store_reset(st);
        if (rc < 0)
            return -1;
        if (rows < AUDIT_PAGE)
            break;
    }
    if (expected <= to)
        note(r, expected, AUDIT_MISSING, "entries %" PRId64 " to %" PRId64 " are missing", expected,
             to);
    return 0;
}

int audit_verify(struct store *s, struct crypto_keyring *kr, struct audit_report *r,
                 struct err *err)
{
    struct vkey keys[AUDIT_KEYS_MAX];
    size_t nkeys = 0, ncp = 0;
    struct vcp *cps = NULL;
    int64_t head = 0, anchor = 0;
    char head_hash[AUDIT_HASH_HEX], anchor_hash[AUDIT_HASH_HEX] = AUDIT_GENESIS;
    int rc = -1;
    memset(r, 0, sizeof(*r));
    struct store_conn *c = store_conn(s, err);
    if (c == NULL)
        return -1;
    /* Checkpoints before the head: every checkpoint read then vouches for an entry at or
     * below the head read after it, so a checkpoint beyond it means a truncated tail. */
    if (load_keys(c, kr, keys, &nkeys, err) < 0 ||
        load_checkpoints(c, keys, nkeys, r, &cps, &ncp, err) < 0 ||
        audit_chain_head(c, &head, head_hash, err) < 0)
        goto out;
    for (size_t i = 0; i < ncp; i++)
        if (cps[i].anchor) {
            anchor = cps[i].seq;
            copy_hash(anchor_hash, cps[i].hash);
        }
    int64_t to = head;
    for (size_t i = 0; i < ncp; i++)
        if (cps[i].seq > to)
            to = cps[i].seq;
    r->first_seq = anchor + 1;
    r->head_seq = anchor;
    if (walk(c, anchor, to, anchor_hash, cps, ncp, r, err) < 0)
        goto out;
    struct store_stmt *st = store_prepare(c, SQL_UNCHAINED_COUNT, err);
    if (st == NULL)
        goto out;
    int step = store_step(st, err);
    int64_t unchained = step == STORE_ROW ? store_col_int64(st, 0) : 0;
    int64_t first_id = step == STORE_ROW ? store_col_int64(st, 1) : 0;
    store_reset(st);
    if (step < 0)
        goto out;
    if (unchained > 0 && r->kind == AUDIT_OK)
        note(r, 0, AUDIT_UNCHAINED,
             "%" PRId64 " row(s) have no sequence number (first id %" PRId64 ")", unchained,
             first_id);
    else if (unchained > 0)
        r->problems++;
    rc = 0;
out:
    for (size_t i = 0; i < nkeys; i++)
        crypto_key_free(keys[i].key);
    free(cps);
    return rc;
}

/* ---- retention ------------------------------------------------------------------- */

/* The seq of the first row of `st` (bound by the caller), or `none`. */
static int first_seq(struct store_stmt *st, int64_t none, int64_t *out, struct err *err)
{
    int rc = store_step(st, err);
    *out = rc == STORE_ROW ? store_col_int64(st, 0) : none;
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int audit_purge_at(struct store *s, struct crypto_keyring *kr, int64_t retention_ms, int64_t now_ms,
                   int64_t *purged, struct err *err)
{
    int64_t head = 0, newest_cp = 0, young = 0, deleted = 0;
    char hash[AUDIT_HASH_HEX];
    struct store_stmt *st;
    if (retention_ms == 0)
        retention_ms = AUDIT_RETENTION_MIN_MS;
    if (retention_ms < AUDIT_RETENTION_MIN_MS)
        return err_set(err, 400, "audit.retention_too_short",
                       "audit records must be kept at least 185 days");
    struct store_conn *c = store_conn(s, err);
    if (c == NULL || store_begin(c, err) < 0)
        return -1;
    if (audit_chain_lock(c, NULL, err) < 0 || audit_chain_head(c, &head, hash, err) < 0 ||
        (st = store_prepare(c, SQL_CP_NEWEST, err)) == NULL ||
        first_seq(st, 0, &newest_cp, err) < 0 ||
        (st = store_prepare(c, SQL_FIRST_YOUNG, err)) == NULL)
        goto fail;
    store_bind_int64(st, 1, now_ms - retention_ms);
    if (first_seq(st, head + 1, &young, err) < 0)
        goto fail;
    /* Delete through `last`: older than the retention, and below a checkpoint so that
     * the head itself and a signed entry always remain. */
    int64_t last = young - 1 < newest_cp - 1 ? young - 1 : newest_cp - 1;
    if (last >= 1) {
        if ((st = store_prepare(c, SQL_ENTRY_HASH, err)) == NULL)
            goto fail;
        store_bind_int64(st, 1, last);
        int rc = store_step(st, err);
        if (rc == STORE_ROW)
            copy_hash(hash, store_col_text(st, 0));
        store_reset(st);
        if (rc < 0)
            goto fail;
        if (rc == STORE_DONE) /* already purged through here (or missing) */
            goto commit;
        if (cp_write(c, kr, last, hash, 1, err) < 0 ||
            (st = store_prepare(c, SQL_PURGE, err)) == NULL)
            goto fail;
        store_bind_int64(st, 1, last);
        if (run(st, err) < 0)
            goto fail;
        deleted = store_changes(st);
    }
commit:
    if (store_commit(c, err) < 0)
        return -1;
    if (purged)
        *purged = deleted;
    return 0;
fail:
    store_rollback(c);
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
