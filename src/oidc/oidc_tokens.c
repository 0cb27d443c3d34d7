/*
 * oidc_tokens.c - the JWTs the provider issues: ID tokens (OIDC Core §2) and access tokens
 * (the claims of RFC 9068, typ "JWT": see docs/internals/oidc.md), signed ES256 by the
 * snapshot's current key, and the verification of access tokens for userinfo and
 * revocation.
 *
 * Userinfo is called with the same access token again and again, and an ES256
 * verification costs far more than the rest of the request: a bounded cache remembers
 * tokens whose signature was verified (the exact bytes, compared in constant time) with
 * their claims. Expiry is still checked on every use, and so is revocation (the grant's
 * row); nothing but a verified token ever enters it, and a change of issuer empties it.
 */
#include "oidc/oidc_internal.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "store/store.h"

#define VCACHE_SLOTS 4096 /* bounded: at most this many tokens (a few MB) */

/* ---- the cache of verified access tokens ------------------------------------------------- */

struct vcache_entry {
    char *token;
    size_t len;
    int64_t exp; /* seconds */
    int64_t grant_id;
    char *client_id, *sub, *scope;
};

struct oidc_vcache {
    struct {
        pthread_mutex_t lock;
        struct vcache_entry *e;
    } slot[VCACHE_SLOTS];
};

static void vcache_entry_free(struct vcache_entry *e)
{
    if (e == NULL)
        return;
    free(e->token);
    free(e->client_id);
    free(e->sub);
    free(e->scope);
    free(e);
}

struct oidc_vcache *oidc_vcache_new(void)
{
    struct oidc_vcache *v = calloc(1, sizeof(*v));
    for (size_t i = 0; v != NULL && i < VCACHE_SLOTS; i++)
        pthread_mutex_init(&v->slot[i].lock, NULL);
    return v;
}

void oidc_vcache_clear(struct oidc_vcache *v)
{
    for (size_t i = 0; v != NULL && i < VCACHE_SLOTS; i++) {
        pthread_mutex_lock(&v->slot[i].lock);
        vcache_entry_free(v->slot[i].e);
        v->slot[i].e = NULL;
        pthread_mutex_unlock(&v->slot[i].lock);
    }
}

void oidc_vcache_free(struct oidc_vcache *v)
{
    oidc_vcache_clear(v);
    for (size_t i = 0; v != NULL && i < VCACHE_SLOTS; i++)
        pthread_mutex_destroy(&v->slot[i].lock);
    free(v);
}

static size_t vcache_slot(const char *token, size_t len)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)token[i]) * 1099511628211ULL;
    return (size_t)(h % VCACHE_SLOTS);
}

/* 1 and the claims (copied into `a`) if exactly this token was verified before. */
static int vcache_get(struct oidc_vcache *v, const char *token, struct arena *a,
                      struct oidc_access *out, int64_t *exp)
{
    size_t len = strlen(token), i = vcache_slot(token, len);
    int hit = 0;
    pthread_mutex_lock(&v->slot[i].lock);
    struct vcache_entry *e = v->slot[i].e;
    if (e != NULL && e->len == len && crypto_equal(e->token, token, len)) {
        out->client_id = arena_strdup(a, e->client_id);
        out->sub = arena_strdup(a, e->sub);
        out->scope = arena_strdup(a, e->scope);
        out->grant_id = e->grant_id;
        *exp = e->exp;
        hit = out->client_id && out->sub && out->scope;
    }
    pthread_mutex_unlock(&v->slot[i].lock);
    return hit;
}

static void vcache_put(struct oidc_vcache *v, const char *token, const struct oidc_access *acc,
                       int64_t exp)
{
    struct vcache_entry *e = calloc(1, sizeof(*e));
    if (e == NULL)
        return;
    e->len = strlen(token);
    e->token = strdup(token);
    e->client_id = strdup(acc->client_id);
    e->sub = strdup(acc->sub);
    e->scope = strdup(acc->scope);
    e->grant_id = acc->grant_id;
    e->exp = exp;
    if (e->token == NULL || e->client_id == NULL || e->sub == NULL || e->scope == NULL) {
        vcache_entry_free(e);
        return;
    }
    size_t i = vcache_slot(token, e->len);
    pthread_mutex_lock(&v->slot[i].lock);
    struct vcache_entry *old = v->slot[i].e;
    v->slot[i].e = e;
    pthread_mutex_unlock(&v->slot[i].lock);
    vcache_entry_free(old);
}

/* ---- tokens -------------------------------------------------------------------------------- */

struct access_claims {
    const char *client_id, *sub, *scope, *jti, *act_sub;
    int64_t grant_id;
};

static char *sign(const struct oidc_snap *snap, int64_t now_ms, json_t *payload)
{
    char *token = NULL;
    const struct crypto_key *key = oidc_signing_key(snap, now_ms);
    if (payload == NULL || key == NULL || crypto_jws_sign(key, payload, &token) < 0)
        token = NULL;
    json_decref(payload);
    return token;
}

/* ---- claims written by hand ---------------------------------------------------------------
 * jansson's object building and dumping cost more than the rest of a token but its
 * signature: the claims are written as text. Only strings of printable ASCII without '"'
 * or '\\' take this path (issuer URLs, pairwise subjects, client ids, scopes, ids); a
 * token with anything else (a nonce of other characters) is built with jansson. */

struct claims {
    char buf[4096];
    size_t n;
    int ok;
};

static void c_put(struct claims *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void c_put(struct claims *c, const char *fmt, ...)
{
    if (!c->ok)
        return;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(c->buf + c->n, sizeof(c->buf) - c->n, fmt, ap);
    va_end(ap);
    if (w < 0 || (size_t)w >= sizeof(c->buf) - c->n)
        c->ok = 0;
    else
        c->n += (size_t)w;
}

static int plain(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p >= 0x7f || *p == '"' || *p == '\\')
            return 0;
    return 1;
}

/* ,"name":"value" (the first member without the comma). */
static void c_str(struct claims *c, const char *name, const char *value)
{
    if (!plain(value))
        c->ok = 0;
    else
        c_put(c, "%s\"%s\":\"%s\"", c->n > 1 ? "," : "", name, value);
}

static void c_int(struct claims *c, const char *name, int64_t v)
{
    c_put(c, ",\"%s\":%lld", name, (long long)v);
}

static char *sign_text(const struct oidc_snap *snap, int64_t now_ms, struct claims *c)
{
    char *token = NULL;
    const struct crypto_key *key = oidc_signing_key(snap, now_ms);
    c_put(c, "}");
    if (!c->ok || key == NULL || crypto_jws_sign_text(key, c->buf, c->n, &token) < 0)
        return NULL;
    return token;
}

static char *id_token_json(const struct oidc_snap *snap, int64_t now_ms,
                           const struct oidc_id_token_claims *c)
{
    int64_t now = now_ms / 1000;
    /* amr values from RFC 8176; acr names the assurance level (docs/internals/oidc.md). */
    json_t *amr = c->aal >= 2 ? json_pack("[s, s]", "pwd", "otp") : json_pack("[s]", "pwd");
    json_t *p =
        json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:s, s:o, s:s}", "iss", snap->issuer, "sub",
                  c->sub, "aud", c->client_id, "exp", (json_int_t)(now + OIDC_ID_TOKEN_TTL_S),
                  "iat", (json_int_t)now, "auth_time", (json_int_t)(c->auth_time_ms / 1000), "acr",
                  c->aal >= 2 ? "aal2" : "aal1", "amr", amr, "azp", c->client_id);
    if (p != NULL && c->nonce != NULL &&
        json_object_set_new(p, "nonce", json_string(c->nonce)) < 0) {
        json_decref(p);
        p = NULL;
    }
    if (p != NULL && c->act_sub != NULL &&
        json_object_set_new(p, "act", json_pack("{s:s}", "sub", c->act_sub)) < 0) {
        json_decref(p);
        p = NULL;
    }
    return sign(snap, now_ms, p);
}

static char *access_token_json(const struct oidc_snap *snap, int64_t now_ms,
                               const struct access_claims *c)
{
    const char *sub = c->sub, *client_id = c->client_id, *scope = c->scope, *jti = c->jti;
    const char *act_sub = c->act_sub;
    int64_t grant_id = c->grant_id;
    int64_t now = now_ms / 1000;
    json_t *p =
        json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:s}", "iss", snap->issuer, "sub", sub,
                  "aud", client_id, "exp", (json_int_t)(now + OIDC_ACCESS_TTL_S), "iat",
                  (json_int_t)now, "jti", jti, "client_id", client_id, "scope", scope);
    if (p != NULL && grant_id != 0) {
        char gid[24];
        snprintf(gid, sizeof(gid), "%lld", (long long)grant_id);
        if (json_object_set_new(p, "gid", json_string(gid)) < 0) {
            json_decref(p);
            p = NULL;
        }
    }
    /* RFC 8693 §4.1: the party acting for sub (帮办代办). */
    if (p != NULL && act_sub != NULL &&
        json_object_set_new(p, "act", json_pack("{s:s}", "sub", act_sub)) < 0) {
        json_decref(p);
        p = NULL;
    }
    return sign(snap, now_ms, p);
}

char *oidc_id_token_mint(struct oidc *o, const struct oidc_snap *snap, int64_t now_ms,
                         const struct oidc_id_token_claims *c)
{
    (void)o;
    int64_t now = now_ms / 1000;
    struct claims t = {.buf = "{", .n = 1, .ok = 1};
    c_str(&t, "iss", snap->issuer);
    c_str(&t, "sub", c->sub);
    c_str(&t, "aud", c->client_id);
    c_int(&t, "exp", now + OIDC_ID_TOKEN_TTL_S);
    c_int(&t, "iat", now);
    c_int(&t, "auth_time", c->auth_time_ms / 1000);
    /* amr values from RFC 8176; acr names the assurance level (docs/internals/oidc.md). */
    c_put(&t, c->aal >= 2 ? ",\"acr\":\"aal2\",\"amr\":[\"pwd\",\"otp\"]"
                          : ",\"acr\":\"aal1\",\"amr\":[\"pwd\"]");
    c_str(&t, "azp", c->client_id);
    if (c->nonce != NULL)
        c_str(&t, "nonce", c->nonce);
    if (c->act_sub != NULL && plain(c->act_sub))
        c_put(&t, ",\"act\":{\"sub\":\"%s\"}", c->act_sub);
    else if (c->act_sub != NULL)
        t.ok = 0;
    if (t.ok)
        return sign_text(snap, now_ms, &t);
    return id_token_json(snap, now_ms, c);
}

char *oidc_access_token_mint(struct oidc *o, const struct oidc_snap *snap, int64_t now_ms,
                             const char *client_id, const char *sub, const char *scope,
                             int64_t grant_id, const char *act_sub)
{
    (void)o;
    unsigned char raw[16];
    char jti[CRYPTO_B64URL_LEN(16) + 1];
    if (crypto_random(raw, sizeof(raw)) < 0 ||
        crypto_b64url_encode(raw, sizeof(raw), jti, sizeof(jti)) < 0)
        return NULL;
    int64_t now = now_ms / 1000;
    struct access_claims ac = {client_id, sub, scope, jti, act_sub, grant_id};
    struct claims t = {.buf = "{", .n = 1, .ok = 1};
    c_str(&t, "iss", snap->issuer);
    c_str(&t, "sub", sub);
    c_str(&t, "aud", client_id);
    c_int(&t, "exp", now + OIDC_ACCESS_TTL_S);
    c_int(&t, "iat", now);
    c_str(&t, "jti", jti);
    c_str(&t, "client_id", client_id);
    c_str(&t, "scope", scope);
    if (grant_id != 0)
        c_put(&t, ",\"gid\":\"%lld\"", (long long)grant_id);
    /* RFC 8693 §4.1: the party acting for sub (帮办代办). */
    if (act_sub != NULL && plain(act_sub))
        c_put(&t, ",\"act\":{\"sub\":\"%s\"}", act_sub);
    else if (act_sub != NULL)
        t.ok = 0;
    if (t.ok)
        return sign_text(snap, now_ms, &t);
    return access_token_json(snap, now_ms, &ac);
}

/* The token response (RFC 6749 §5.1) written as text: the tokens are base64url and the
 * scope is scope-tokens, so nothing needs escaping, and jansson's dump of two long
 * strings costs more than the rest of the answer. NULL when a member would need escaping
 * (the caller then sends the model through the usual JSON path). */
char *oidc_token_answer(struct arena *a, const json_t *out, size_t *len)
{
    static const char *const names[] = {"access_token", "token_type", "scope", "id_token",
                                        "refresh_token"};
    const char *v[5];
    size_t size = 64;
    int ok = 1;
    for (size_t i = 0; i < 5; i++) {
        v[i] = json_string_value(json_object_get(out, names[i]));
        ok = ok && (v[i] == NULL || plain(v[i]));
        size += (v[i] ? strlen(v[i]) : 0) + strlen(names[i]) + 6;
    }
    json_t *exp = json_object_get(out, "expires_in");
    char *body = ok && v[0] && v[1] && v[2] && json_is_integer(exp) ? arena_alloc(a, size) : NULL;
    if (body == NULL)
        return NULL;
    int n = snprintf(body, size,
                     "{\"access_token\":\"%s\",\"token_type\":\"%s\",\"expires_in\":%lld,"
                     "\"scope\":\"%s\"",
                     v[0], v[1], (long long)json_integer_value(exp), v[2]);
    for (size_t i = 3; i < 5 && n > 0 && (size_t)n < size; i++)
        if (v[i] != NULL)
            n += snprintf(body + n, size - (size_t)n, ",\"%s\":\"%s\"", names[i], v[i]);
    if (n < 0 || (size_t)n + 2 > size)
        return NULL;
    body[n++] = '}';
    body[n] = '\0';
    *len = (size_t)n;
    return body;
}

static const char *claim_str(json_t *payload, const char *name)
{
    return json_string_value(json_object_get(payload, name));
}

static int invalid_token(struct err *err, const char *why)
{
    return err_set(err, 401, "oidc.invalid_token", "%s", why);
}

/* The slow path: check the signature and the claims; *exp gets the expiry (seconds). */
static int access_verify_signed(const struct oidc_snap *snap, struct arena *a, const char *token,
                                int64_t now_s, struct oidc_access *out, int64_t *exp,
                                struct err *err)
{
    json_t *p = NULL;
    struct err jerr;
    int rc = -1;
    if (crypto_jws_verify(token, snap->verify, snap->nkeys, &p, &jerr) < 0) {
        invalid_token(err, "the access token is not one we signed (or it was altered)");
        goto out;
    }
    if (crypto_jwt_check_times(p, now_s, OIDC_LEEWAY_S, &jerr) < 0) {
        invalid_token(err, strcmp(jerr.code, "crypto.jwt_expired") == 0
                               ? "the access token has expired"
                               : "the access token's times are not valid");
        goto out;
    }
    const char *iss = claim_str(p, "iss"), *gid = claim_str(p, "gid");
    const char *client_id = claim_str(p, "client_id"), *sub = claim_str(p, "sub");
    const char *scope = claim_str(p, "scope");
    /* ID tokens are signed by the same keys: only access tokens carry client_id and
     * scope, so an ID token is refused here. */
    if (iss == NULL || strcmp(iss, snap->issuer) != 0 || client_id == NULL || sub == NULL ||
        scope == NULL || claim_str(p, "jti") == NULL) {
        invalid_token(err, "this is not an access token of this provider");
        goto out;
    }
    if (gid != NULL) {
        char *end = NULL;
        long long g = strtoll(gid, &end, 10);
        if (end == NULL || *end != '\0' || g <= 0) {
            invalid_token(err, "this is not an access token of this provider");
            goto out;
        }
        out->grant_id = g;
    }
    *exp = (int64_t)json_number_value(json_object_get(p, "exp"));
    out->client_id = arena_strdup(a, client_id);
    out->sub = arena_strdup(a, sub);
    out->scope = arena_strdup(a, scope);
    if (out->client_id == NULL || out->sub == NULL || out->scope == NULL) {
        err_set(err, 500, "oidc.oom", "out of memory");
        goto out;
    }
    rc = 0;
out:
    json_decref(p);
    return rc;
}

int oidc_access_verify(struct oidc *o, struct arena *a, const char *token, int check_grant,
                       struct oidc_access *out, struct err *err)
{
    int64_t now = oidc_now(o), exp = 0;
    memset(out, 0, sizeof(*out));
    if (token == NULL)
        return invalid_token(err, "no access token");
    if (vcache_get(o->vcache, token, a, out, &exp)) {
        if (exp <= now / 1000 - OIDC_LEEWAY_S)
            return invalid_token(err, "the access token has expired");
    } else {
        struct oidc_snap *snap = oidc_snap_get(o);
        int rc =
            snap->issuer == NULL
                ? err_set(err, 503, "oidc.no_issuer", "the provider's public URL is not configured")
                : access_verify_signed(snap, a, token, now / 1000, out, &exp, err);
        oidc_snap_put(snap);
        if (rc < 0)
            return -1;
        vcache_put(o->vcache, token, out, exp);
    }
    if (check_grant && out->grant_id != 0) {
        int live = 0;
        struct store_conn *c = store_conn(o->store, err);
        if (c == NULL ||
            oidc_store_grant_status(c, out->grant_id, now, &out->account_id, &live, err) < 0)
            return -1;
        if (!live)
            return invalid_token(err, "the access token was revoked");
    }
    return 0;
}

int oidc_bearer_verify(struct oidc *o, struct arena *a, const char *token, const char *scope,
                       struct oidc_bearer *out, struct err *err)
{
    struct oidc_access acc;
    struct oidc_client_row cl;
    int found = 0;
    memset(out, 0, sizeof(*out));
    if (oidc_access_verify(o, a, token, 1, &acc, err) < 0)
        return -1;
    /* A client's tokens die with the client (its client-credentials tokens have no grant
     * row that removal could revoke). */
    struct store_conn *c = store_conn(o->store, err);
    if (c == NULL || oidc_store_client_get(c, a, acc.client_id, &cl, &found, err) < 0)
        return -1;
    if (!found)
        return invalid_token(err, "the client was removed");
    if (scope != NULL && !oidc_word_in(acc.scope, scope))
        return err_set(err, 403, "oidc.insufficient_scope", "the token does not carry %s", scope);
    out->client_id = acc.client_id;
    out->client_name = cl.name;
    out->sub = acc.sub;
    out->scope = acc.scope;
    out->person = acc.grant_id != 0;
    return 0;
}
