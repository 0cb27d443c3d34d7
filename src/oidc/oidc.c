/*
 * oidc.c - the provider's handle and what every request reads: the published snapshot
 * (issuer, keys, JWKS and discovery bytes), its reloading, and the audit and purge
 * helpers. (Tokens are in oidc_tokens.c, the protocol's small values in oidc_params.c.)
 *
 * Requests never take a lock for longer than it takes to copy a pointer: what they read
 * lives in an immutable `struct oidc_snap` that is replaced whole (new issuer, keys
 * reloaded) and freed when its last reader lets go. Keys rotated by another process (the
 * CLI, another node) are picked up by whichever request first notices that key_reload_s
 * has passed; the others keep using the current snapshot meanwhile.
 */
#include "oidc/oidc_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "base/arena.h"
#include "base/id.h"
#include "base/log.h"
#include "store/store.h"

#define DEFAULT_KEY_RELOAD_S 30
#define DEFAULT_REFRESH_IDLE_S (30 * 86400)
#define DEFAULT_REFRESH_ABSOLUTE_S (90 * 86400)
#define PURGE_INTERVAL_MS (10 * 60 * 1000)

/* ---- the snapshot ---------------------------------------------------------------------- */

static void snap_free(struct oidc_snap *s)
{
    if (s == NULL)
        return;
    free(s->issuer);
    free(s->token_endpoint);
    oidc_keys_free(s->keys, s->nkeys);
    free(s->verify);
    free(s->jwks);
    free(s->discovery);
    free(s);
}

void oidc_snap_put(struct oidc_snap *s)
{
    if (s != NULL && __atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) == 0)
        snap_free(s);
}

/* A snapshot for `issuer` (may be NULL) over `keys`, whose ownership it takes. */
static struct oidc_snap *snap_build(const char *issuer, struct oidc_key *keys, size_t n)
{
    struct oidc_snap *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        oidc_keys_free(keys, n);
        return NULL;
    }
    s->refs = 1;
    s->keys = keys;
    s->nkeys = n;
    s->verify = calloc(n ? n : 1, sizeof(*s->verify));
    if (s->verify == NULL)
        goto fail;
    for (size_t i = 0; i < n; i++)
        s->verify[i] = keys[i].key;
    if ((s->jwks = oidc_jwks_build(keys, n, &s->jwks_len)) == NULL)
        goto fail;
    if (issuer != NULL) {
        size_t len = strlen(issuer) + sizeof("/oauth2/token");
        if ((s->issuer = strdup(issuer)) == NULL || (s->token_endpoint = malloc(len)) == NULL)
            goto fail;
        snprintf(s->token_endpoint, len, "%s/oauth2/token", issuer);
        if ((s->discovery = oidc_discovery_build(issuer, &s->discovery_len)) == NULL)
            goto fail;
    }
    return s;
fail:
    snap_free(s);
    return NULL;
}

/* Load the keys and publish a new snapshot for `issuer` (NULL: keep the current one). */
static int rebuild(struct oidc *o, const char *issuer, struct err *err)
{
    struct oidc_key *keys = NULL;
    size_t n = 0;
    char *keep = NULL;
    int rc = -1;
    pthread_mutex_lock(&o->build_lock);
    struct store_conn *c = store_conn(o->store, err);
    if (c == NULL || oidc_keys_load(c, o->kr, oidc_now(o), &keys, &n, err) < 0)
        goto out;
    if (n == 0) {
        err_set(err, 500, "oidc.no_keys", "no signing key is stored: run `onewindow init`");
        goto out;
    }
    if (issuer == NULL) {
        pthread_mutex_lock(&o->lock);
        keep = o->snap && o->snap->issuer ? strdup(o->snap->issuer) : NULL;
        int lost = o->snap && o->snap->issuer && keep == NULL;
        pthread_mutex_unlock(&o->lock);
        if (lost) {
            oidc_keys_free(keys, n);
            err_set(err, 500, "oidc.oom", "out of memory");
            goto out;
        }
        issuer = keep;
    }
    struct oidc_snap *s = snap_build(issuer, keys, n);
    if (s == NULL) {
        err_set(err, 500, "oidc.oom", "out of memory");
        goto out;
    }
    /* Generations are unique in the process (the response cache is process-wide). */
    static int64_t generations;
    pthread_mutex_lock(&o->lock);
    struct oidc_snap *old = o->snap;
    o->snap = s;
    __atomic_store_n(&o->generation, __atomic_add_fetch(&generations, 1, __ATOMIC_RELAXED),
                     __ATOMIC_RELEASE);
    pthread_mutex_unlock(&o->lock);
    oidc_snap_put(old);
    rc = 0;
out:
    pthread_mutex_unlock(&o->build_lock);
    free(keep);
    return rc;
}

int oidc_keys_reload(struct oidc *o, struct err *err)
{
    return rebuild(o, NULL, err);
}

void oidc_reload_maybe(struct oidc *o)
{
    int64_t now = oidc_now(o);
    int64_t due = __atomic_load_n(&o->next_reload_ms, __ATOMIC_RELAXED);
    /* One request wins the right to reload; the rest go on with what is published. */
    if (now >= due && __atomic_compare_exchange_n(&o->next_reload_ms, &due,
                                                  now + (int64_t)o->opt.key_reload_s * 1000, 0,
                                                  __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
        struct err err;
        err_clear(&err);
        if (oidc_keys_reload(o, &err) < 0)
            log_kv(LOG_WARN, "oidc key reload failed", "detail", err.msg, (const char *)LOG_END);
    }
}

int64_t oidc_generation(struct oidc *o)
{
    return __atomic_load_n(&o->generation, __ATOMIC_ACQUIRE);
}

const char *oidc_issuer_dup(struct oidc *o, struct arena *a)
{
    struct oidc_snap *s = oidc_snap_get(o);
    const char *copy = s->issuer ? arena_strdup(a, s->issuer) : NULL;
    oidc_snap_put(s);
    return copy;
}

struct oidc_snap *oidc_snap_get(struct oidc *o)
{
    oidc_reload_maybe(o);
    pthread_mutex_lock(&o->lock);
    struct oidc_snap *s = o->snap;
    __atomic_add_fetch(&s->refs, 1, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&o->lock);
    return s;
}

const struct crypto_key *oidc_signing_key(const struct oidc_snap *s, int64_t now_ms)
{
    /* Keys are in ascending active_from; a key announced for later is published but
     * does not sign yet. The first key is the fallback if the clock went backwards. */
    const struct crypto_key *k = s->nkeys ? s->keys[0].key : NULL;
    for (size_t i = 0; i < s->nkeys; i++)
        if (s->keys[i].active_from <= now_ms)
            k = s->keys[i].key;
    return k;
}

int64_t oidc_now(const struct oidc *o)
{
    return o->clock_ms();
}

void oidc_set_acting(struct oidc *o, const struct oidc_acting *a)
{
    o->acting = *a;
}

void oidc_set_account_check(struct oidc *o, oidc_account_check_fn fn, void *ctx)
{
    o->account_ok = fn;
    o->account_ctx = ctx;
}

/* ---- the handle ------------------------------------------------------------------------ */

static int issuer_valid(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    const char *host;
    if (n == 0 || n > 1000)
        return 0;
    if (strncmp(s, "https://", 8) == 0)
        host = s + 8;
    else if (strncmp(s, "http://", 7) == 0)
        host = s + 7;
    else
        return 0;
    if (*host == '\0' || *host == '/' || s[n - 1] == '/')
        return 0;
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '?' || *p == '#' || *p == '"' ||
            *p == '\\')
            return 0;
    return 1;
}

int oidc_set_issuer(struct oidc *o, const char *issuer, struct err *err)
{
    if (!issuer_valid(issuer))
        return err_set(err, 400, "oidc.bad_issuer",
                       "the public URL \"%.200s\" is not an http(s) URL without query, fragment "
                       "or trailing slash",
                       issuer ? issuer : "");
    if (rebuild(o, issuer, err) < 0)
        return -1;
    /* Tokens were accepted for the old issuer only. */
    oidc_vcache_clear(o->vcache);
    return 0;
}

/* Signing keys sealed under another master key are not this installation's: on a node
 * that should share its key file with others, that is a misconfiguration worth a line. */
static void warn_foreign_keys(struct oidc *o)
{
    char ring[OIDC_KEYRING_NAME_SIZE], num[24];
    int64_t n = 0;
    struct err err;
    struct store_conn *c = store_conn(o->store, &err);
    if (c == NULL || oidc_keyring_name(o->kr, ring) < 0 ||
        oidc_store_keys_count_foreign(c, ring, &n, &err) < 0 || n == 0)
        return;
    snprintf(num, sizeof(num), "%lld", (long long)n);
    log_kv(LOG_WARN,
           "the database holds OIDC signing keys sealed under another master key; they are "
           "ignored (do all nodes share keys/master.key?)",
           "keys", num, (const char *)LOG_END);
}

int oidc_open(struct store *s, struct crypto_keyring *kr, const char *issuer,
              const struct oidc_options *opt, struct oidc **out, struct err *err)
{
    if (issuer != NULL && !issuer_valid(issuer))
        return err_set(err, 400, "oidc.bad_issuer",
                       "the public URL \"%.200s\" is not an http(s) URL without query, fragment "
                       "or trailing slash",
                       issuer);
    struct oidc *o = calloc(1, sizeof(*o));
    if (o == NULL)
        return err_set(err, 500, "oidc.oom", "out of memory");
    o->store = s;
    o->kr = kr;
    if (opt != NULL)
        o->opt = *opt;
    if (o->opt.key_reload_s <= 0)
        o->opt.key_reload_s = DEFAULT_KEY_RELOAD_S;
    if (o->opt.refresh_idle_s <= 0)
        o->opt.refresh_idle_s = DEFAULT_REFRESH_IDLE_S;
    if (o->opt.refresh_absolute_s <= 0)
        o->opt.refresh_absolute_s = DEFAULT_REFRESH_ABSOLUTE_S;
    o->clock_ms = time_now_ms;
    pthread_mutex_init(&o->lock, NULL);
    pthread_mutex_init(&o->build_lock, NULL);
    if ((o->vcache = oidc_vcache_new()) == NULL || (o->ccache = oidc_ccache_new()) == NULL) {
        err_set(err, 500, "oidc.oom", "out of memory");
        goto fail;
    }
    if (crypto_keyring_derive(kr, "oidc-pairwise-sub", o->pairwise_key, CRYPTO_KEY_LEN) < 0 ||
        crypto_keyring_derive(kr, "oidc-client-secret", o->secret_key, CRYPTO_KEY_LEN) < 0 ||
        crypto_keyring_derive(kr, "oidc-login-mark", o->mark_key, CRYPTO_KEY_LEN) < 0) {
        err_set(err, 500, "oidc.keys", "cannot derive the provider's keys");
        goto fail;
    }
    if (oidc_keys_ensure(s, kr, err) < 0 || rebuild(o, issuer, err) < 0)
        goto fail;
    warn_foreign_keys(o);
    o->next_reload_ms = oidc_now(o) + (int64_t)o->opt.key_reload_s * 1000;
    o->next_purge_ms = oidc_now(o) + PURGE_INTERVAL_MS;
    *out = o;
    return 0;
fail:
    oidc_close(o);
    return -1;
}

void oidc_close(struct oidc *o)
{
    if (o == NULL)
        return;
    oidc_snap_put(o->snap);
    oidc_vcache_free(o->vcache);
    oidc_ccache_free(o->ccache);
    crypto_wipe(o->pairwise_key, sizeof(o->pairwise_key));
    crypto_wipe(o->secret_key, sizeof(o->secret_key));
    crypto_wipe(o->mark_key, sizeof(o->mark_key));
    pthread_mutex_destroy(&o->lock);
    pthread_mutex_destroy(&o->build_lock);
    free(o);
}

/* ---- audit and housekeeping ------------------------------------------------------------------ */

void oidc_audit(struct oidc *o, int64_t actor, const char *action, const char *object,
                const char *outcome, const char *ip, const char *detail)
{
    struct err err;
    err_clear(&err);
    struct audit_event ev = {actor, action, object, outcome, ip, detail};
    struct store_conn *c = store_conn(o->store, &err);
    if (c == NULL || store_begin(c, &err) < 0)
        goto fail;
    if (audit_record(c, &ev, &err) < 0 || store_commit(c, &err) < 0) {
        store_rollback(c);
        goto fail;
    }
    return;
fail:
    log_kv(LOG_ERROR, "audit record lost", "action", action, "detail", err.msg,
           (const char *)LOG_END);
}

int oidc_purge_expired(struct oidc *o, int64_t *removed, struct err *err)
{
    struct store_conn *c = store_conn(o->store, err);
    if (c == NULL || store_begin(c, err) < 0)
        return -1;
    if (oidc_store_purge(c, oidc_now(o), (int64_t)o->opt.refresh_absolute_s * 1000, removed, err) <
            0 ||
        store_commit(c, err) < 0) {
        store_rollback(c);
        return -1;
    }
    return 0;
}

void oidc_purge_maybe(struct oidc *o)
{
    int64_t now = oidc_now(o);
    int64_t due = __atomic_load_n(&o->next_purge_ms, __ATOMIC_RELAXED);
    if (now < due || !__atomic_compare_exchange_n(&o->next_purge_ms, &due, now + PURGE_INTERVAL_MS,
                                                  0, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        return;
    struct err err;
    err_clear(&err);
    if (oidc_purge_expired(o, NULL, &err) < 0)
        log_kv(LOG_WARN, "oidc purge failed", "detail", err.msg, (const char *)LOG_END);
}
