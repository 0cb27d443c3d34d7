/*
 * oidc_clients.c - the relying parties: registration by an administrator, listing,
 * removal, and authenticating a client at the token and revocation endpoints.
 *
 * Client secrets are 256 random bits generated here, shown once, and stored as
 * HMAC-SM3 under a key derived from the master key ("oidc-client-secret"). A keyed fast
 * hash rather than argon2id: a 256-bit random secret cannot be guessed, even offline,
 * so slow hashing would buy nothing and would cap the token endpoint at a few requests
 * per second per core (docs/internals/oidc.md, "Clients").
 *
 * private_key_jwt (RFC 7523 §2.2, §3): the client signs an assertion with a key of the
 * JWK Set registered for it; we check iss = sub = client_id, our issuer or token
 * endpoint among the audiences, the expiry (and at most ten minutes of validity), and
 * that its jti was never seen (recorded until it expires).
 */
#include "oidc/oidc_internal.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "base/arena.h"
#include "base/id.h"
#include "store/store.h"

#define NAME_MAX_BYTES 300 /* 100 CJK or Tibetan characters */

/* ---- registration ---------------------------------------------------------------------- */

static void field_error(struct oidc_field_errors *fe, const char *field, const char *code,
                        const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void field_error(struct oidc_field_errors *fe, const char *field, const char *code,
                        const char *fmt, ...)
{
    if (fe->n == OIDC_MAX_FIELD_ERRORS)
        return;
    fe->e[fe->n].field = field;
    snprintf(fe->e[fe->n].code, sizeof(fe->e[fe->n].code), "%s", code);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(fe->e[fe->n].msg, sizeof(fe->e[fe->n].msg), fmt, ap);
    va_end(ap);
    fe->n++;
}

/* https://..., or http:// on a loopback host (a relying party on the same machine, or a
 * test); an absolute URI without fragment, whitespace or control characters. */
static int redirect_uri_valid(const char *u)
{
    size_t n = u ? strlen(u) : 0;
    const char *host;
    if (n == 0 || n > OIDC_MAX_URI)
        return 0;
    for (const char *p = u; *p; p++)
        if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '#' || *p == '"' || *p == '<' ||
            *p == '>' || *p == '\\')
            return 0;
    if (strncmp(u, "https://", 8) == 0) {
        host = u + 8;
        return *host != '\0' && *host != '/' && *host != ':' && *host != '?';
    }
    if (strncmp(u, "http://", 7) != 0)
        return 0;
    host = u + 7;
    static const char *const loopback[] = {"127.0.0.1", "localhost", "[::1]"};
    for (size_t i = 0; i < sizeof(loopback) / sizeof(loopback[0]); i++) {
        size_t k = strlen(loopback[i]);
        if (strncmp(host, loopback[i], k) == 0 &&
            (host[k] == '\0' || host[k] == ':' || host[k] == '/' || host[k] == '?'))
            return 1;
    }
    return 0;
}

static int api_scope_valid(const char *w, size_t n)
{
    /* API scopes for client_credentials: a lower-case name such as "exchange:read". */
    if (n == 0 || n > 64 || w[0] < 'a' || w[0] > 'z')
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((w[i] >= 'a' && w[i] <= 'z') || (w[i] >= '0' && w[i] <= '9') || w[i] == '_' ||
              w[i] == '.' || w[i] == ':' || w[i] == '-'))
            return 0;
    return 1;
}

static void check_uris(struct oidc_field_errors *fe, const char *field, const char *const *uris,
                       size_t n)
{
    if (n > OIDC_MAX_URIS) {
        field_error(fe, field, "oidc.client.too_many_uris", "at most %d URIs may be registered",
                    OIDC_MAX_URIS);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (!redirect_uri_valid(uris[i])) {
            field_error(fe, field, "oidc.client.bad_uri",
                        "\"%.120s\" is not an https URL (or http on 127.0.0.1/localhost) "
                        "without fragment",
                        uris[i] ? uris[i] : "");
            return;
        }
        for (size_t k = 0; k < i; k++)
            if (strcmp(uris[i], uris[k]) == 0) {
                field_error(fe, field, "oidc.client.duplicate_uri", "\"%.120s\" is listed twice",
                            uris[i]);
                return;
            }
    }
}

static void check_jwks(struct oidc_field_errors *fe, const char *text)
{
    json_error_t je;
    size_t es256 = 0;
    if (text == NULL || *text == '\0') {
        field_error(fe, "jwks", "oidc.client.jwks_missing",
                    "private_key_jwt needs the client's public JWK Set");
        return;
    }
    if (strlen(text) > OIDC_JWKS_MAX) {
        field_error(fe, "jwks", "oidc.client.jwks_invalid", "the JWK Set is larger than %d bytes",
                    OIDC_JWKS_MAX);
        return;
    }
    json_t *set = json_loads(text, JSON_REJECT_DUPLICATES, &je);
    json_t *keys = json_object_get(set, "keys");
    if (!json_is_array(keys)) {
        field_error(fe, "jwks", "oidc.client.jwks_invalid",
                    "the JWK Set is not a JSON object with a \"keys\" array");
        json_decref(set);
        return;
    }
    size_t i;
    json_t *jwk;
    json_array_foreach(keys, i, jwk)
    {
        if (json_object_get(jwk, "d") != NULL) {
            field_error(fe, "jwks", "oidc.client.jwks_private",
                        "the JWK Set holds a private key: register only the public half");
            break;
        }
        const char *kty = json_string_value(json_object_get(jwk, "kty"));
        if (kty == NULL || strcmp(kty, "EC") != 0)
            continue;
        struct crypto_key *k = NULL;
        struct err err;
        if (crypto_key_from_jwk(jwk, &k, &err) < 0) {
            field_error(fe, "jwks", "oidc.client.jwks_invalid", "key %zu: %s", i, err.msg);
            break;
        }
        crypto_key_free(k);
        es256++;
    }
    if (fe->n == 0 && es256 == 0)
        field_error(fe, "jwks", "oidc.client.jwks_no_es256",
                    "the JWK Set has no P-256 key: client assertions must be signed ES256");
    json_decref(set);
}

void oidc_client_validate(const struct oidc_client_spec *spec, struct oidc_field_errors *fe)
{
    fe->n = 0;
    const char *method = spec->auth_method ? spec->auth_method : "client_secret_basic";
    const char *grants = spec->grant_types ? spec->grant_types : "authorization_code refresh_token";
    const char *scopes = spec->scopes ? spec->scopes : "openid profile";

    size_t name_len = spec->name ? strlen(spec->name) : 0;
    int blank = 1;
    for (size_t i = 0; i < name_len; i++)
        blank &= spec->name[i] == ' ';
    if (blank)
        field_error(fe, "name", "oidc.client.name_missing", "the system needs a name");
    else if (name_len > NAME_MAX_BYTES)
        field_error(fe, "name", "oidc.client.name_long", "the name is longer than 100 characters");

    int code_flow = oidc_word_in(grants, "authorization_code");
    if (code_flow && spec->nredirect_uris == 0)
        field_error(fe, "redirect_uris", "oidc.client.redirect_missing",
                    "the authorization code flow needs at least one redirect URI");
    check_uris(fe, "redirect_uris", spec->redirect_uris, spec->nredirect_uris);
    check_uris(fe, "post_logout_uris", spec->post_logout_uris, spec->npost_logout_uris);

    if (strcmp(method, "client_secret_basic") == 0) {
        if (spec->jwks_json != NULL && *spec->jwks_json != '\0')
            field_error(fe, "jwks", "oidc.client.jwks_unexpected",
                        "a JWK Set is only used with private_key_jwt");
    } else if (strcmp(method, "private_key_jwt") == 0) {
        check_jwks(fe, spec->jwks_json);
    } else {
        field_error(fe, "auth_method", "oidc.client.bad_auth_method",
                    "authentication must be client_secret_basic or private_key_jwt");
    }

    int bad_grant = 0;
    for (const char *p = grants; *p;) {
        size_t n = strcspn(p, " ");
        if (n > 0 && !(n == 18 && strncmp(p, "authorization_code", n) == 0) &&
            !(n == 13 && strncmp(p, "refresh_token", n) == 0) &&
            !(n == 18 && strncmp(p, "client_credentials", n) == 0))
            bad_grant = 1;
        p += n;
        p += *p == ' ';
    }
    if (bad_grant || *grants == '\0')
        field_error(fe, "grant_types", "oidc.client.bad_grant",
                    "grant types are authorization_code, refresh_token and client_credentials");
    else if (oidc_word_in(grants, "refresh_token") && !code_flow)
        field_error(fe, "grant_types", "oidc.client.refresh_alone",
                    "refresh_token needs authorization_code");

    int bad_scope = strlen(scopes) > OIDC_MAX_SCOPE;
    for (const char *p = scopes; !bad_scope && *p;) {
        size_t n = strcspn(p, " ");
        char w[OIDC_MAX_SCOPE + 1];
        memcpy(w, p, n);
        w[n] = '\0';
        if (n > 0 && !oidc_word_in(OIDC_USER_SCOPES, w) && !api_scope_valid(w, n))
            bad_scope = 1;
        p += n;
        p += *p == ' ';
    }
    if (bad_scope)
        field_error(fe, "scopes", "oidc.client.bad_scope",
                    "scopes are openid, profile, phone, id_number or API names such as "
                    "exchange:read");
    else if (code_flow && !oidc_word_in(scopes, "openid"))
        field_error(fe, "scopes", "oidc.client.openid_missing",
                    "a client that logs people in needs the openid scope");
}

int oidc_secret_hash(const unsigned char key[CRYPTO_KEY_LEN], const char *secret,
                     char out[OIDC_HASH_SIZE])
{
    unsigned char mac[CRYPTO_SM3_LEN];
    int rc = crypto_hmac_sm3(key, CRYPTO_KEY_LEN, secret, strlen(secret), mac) == 0 &&
                     crypto_hex_encode(mac, sizeof(mac), out, OIDC_HASH_SIZE) == 64
                 ? 0
                 : -1;
    crypto_wipe(mac, sizeof(mac));
    return rc;
}

static char *uris_json(const char *const *uris, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a != NULL && i < n; i++)
        json_array_append_new(a, json_string(uris[i]));
    char *s = a ? json_dumps(a, JSON_COMPACT) : NULL;
    json_decref(a);
    return s;
}

int oidc_client_add(struct store *s, struct crypto_keyring *kr, int64_t actor, const char *ip,
                    const struct oidc_client_spec *spec, char client_id[OIDC_CLIENT_ID_SIZE],
                    char secret[OIDC_SECRET_SIZE], struct oidc_field_errors *fe, struct err *err)
{
    unsigned char key[CRYPTO_KEY_LEN], raw[16];
    char hash[OIDC_HASH_SIZE];
    char *redirects = NULL, *logouts = NULL;
    const char *scopes = NULL;
    struct store_conn *c = NULL;
    struct arena *a = NULL;
    int rc = -1;

    secret[0] = '\0';
    oidc_client_validate(spec, fe);
    if (fe->n > 0)
        return 1;
    const char *method = spec->auth_method ? spec->auth_method : "client_secret_basic";
    int basic = strcmp(method, "client_secret_basic") == 0;
    if ((a = arena_new(1u << 20)) == NULL ||
        oidc_scope_normalize(a, spec->scopes ? spec->scopes : "openid profile", &scopes) < 0 ||
        (redirects = uris_json(spec->redirect_uris, spec->nredirect_uris)) == NULL ||
        (logouts = uris_json(spec->post_logout_uris, spec->npost_logout_uris)) == NULL) {
        err_set(err, 500, "oidc.oom", "out of memory");
        goto out;
    }
    if (crypto_random(raw, sizeof(raw)) < 0 ||
        crypto_hex_encode(raw, sizeof(raw), client_id, OIDC_CLIENT_ID_SIZE) < 0 ||
        (basic && (oidc_random_token(secret) < 0 ||
                   crypto_keyring_derive(kr, "oidc-client-secret", key, sizeof(key)) < 0 ||
                   oidc_secret_hash(key, secret, hash) < 0))) {
        err_set(err, 500, "oidc.random", "no randomness available");
        goto out;
    }
    struct oidc_client_row row = {
        .client_id = client_id,
        .name = spec->name,
        .auth_method = method,
        .secret_hash = basic ? hash : NULL,
        .jwks = basic ? NULL : spec->jwks_json,
        .redirect_uris = redirects,
        .post_logout_uris = logouts,
        .scopes = scopes,
        .grant_types = spec->grant_types ? spec->grant_types : "authorization_code refresh_token",
        .created_by = actor,
        .created_at = time_now_ms(),
    };
    char object[OIDC_CLIENT_ID_SIZE + 8];
    snprintf(object, sizeof(object), "client:%s", client_id);
    char *detail = arena_printf(a, "auth=%s grants=%s scopes=%s", method, row.grant_types, scopes);
    struct audit_event ev = {actor, "oidc.client_add", object, "ok", ip, detail};
    if ((c = store_conn(s, err)) == NULL || store_begin(c, err) < 0)
        goto out;
    if (oidc_store_client_insert(c, &row, err) < 0 || audit_record(c, &ev, err) < 0 ||
        store_commit(c, err) < 0) {
        store_rollback(c);
        goto out;
    }
    rc = 0;
out:
    if (rc != 0) {
        crypto_wipe(secret, OIDC_SECRET_SIZE);
        secret[0] = '\0';
    }
    crypto_wipe(key, sizeof(key));
    free(redirects);
    free(logouts);
    arena_free(a);
    return rc;
}

/* A JSON array of strings (as stored) into an arena array. */
static int uris_parse(struct arena *a, const char *text, const char ***out, size_t *n)
{
    json_t *arr = text ? json_loads(text, 0, NULL) : NULL;
    size_t count = json_array_size(arr);
    const char **list = arena_alloc(a, (count ? count : 1) * sizeof(*list));
    int rc = list != NULL && (text == NULL || json_is_array(arr)) ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < count; i++) {
        const char *s = json_string_value(json_array_get(arr, i));
        if (s == NULL || (list[i] = arena_strdup(a, s)) == NULL)
            rc = -1;
    }
    json_decref(arr);
    *out = list;
    *n = rc == 0 ? count : 0;
    return rc;
}

static int client_from_row(struct arena *a, const struct oidc_client_row *r,
                           struct oidc_client *out)
{
    memset(out, 0, sizeof(*out));
    out->info.client_id = r->client_id;
    out->info.name = r->name;
    out->info.auth_method = r->auth_method;
    out->info.scopes = r->scopes;
    out->info.grant_types = r->grant_types;
    out->info.created_at = r->created_at;
    out->secret_hash = r->secret_hash;
    out->jwks = r->jwks;
    if (uris_parse(a, r->redirect_uris, &out->info.redirect_uris, &out->info.nredirect_uris) < 0 ||
        uris_parse(a, r->post_logout_uris, &out->info.post_logout_uris,
                   &out->info.npost_logout_uris) < 0)
        return -1;
    return 0;
}

/* ---- the cache of client rows (the code exchange) ----------------------------------------- */

#define CCACHE_SLOTS 256 /* direct-mapped by the id's hash: a collision replaces */

struct ccache_entry {
    struct oidc_client_row row; /* its strings follow in the same allocation */
    char text[];
};

struct oidc_ccache {
    pthread_mutex_t lock;
    struct ccache_entry *slot[CCACHE_SLOTS];
};

struct oidc_ccache *oidc_ccache_new(void)
{
    struct oidc_ccache *cc = calloc(1, sizeof(*cc));
    if (cc != NULL)
        pthread_mutex_init(&cc->lock, NULL);
    return cc;
}

void oidc_ccache_free(struct oidc_ccache *cc)
{
    if (cc == NULL)
        return;
    for (size_t i = 0; i < CCACHE_SLOTS; i++)
        free(cc->slot[i]);
    pthread_mutex_destroy(&cc->lock);
    free(cc);
}

static size_t ccache_slot(const char *id)
{
    uint64_t h = 1469598103934665603ULL;
    for (const char *p = id; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    return (size_t)(h % CCACHE_SLOTS);
}

#define CCACHE_FIELDS(r)                                                                           \
    {                                                                                              \
        &(r)->client_id, &(r)->name, &(r)->auth_method, &(r)->secret_hash, &(r)->jwks,             \
            &(r)->redirect_uris, &(r)->post_logout_uris, &(r)->scopes, &(r)->grant_types           \
    }

/* 1 and the row (strings copied into `a`) when the cache holds client `id`. */
static int ccache_get(struct oidc_ccache *cc, struct arena *a, const char *id,
                      struct oidc_client_row *out)
{
    size_t i = ccache_slot(id);
    int hit = 0;
    pthread_mutex_lock(&cc->lock);
    const struct ccache_entry *e = cc->slot[i];
    if (e != NULL && strcmp(e->row.client_id, id) == 0) {
        *out = e->row;
        const char **f[] = CCACHE_FIELDS(out);
        hit = 1;
        for (size_t k = 0; k < sizeof(f) / sizeof(f[0]); k++)
            if (*f[k] != NULL && (*f[k] = arena_strdup(a, *f[k])) == NULL)
                hit = 0;
    }
    pthread_mutex_unlock(&cc->lock);
    return hit;
}

static void ccache_put(struct oidc_ccache *cc, const struct oidc_client_row *row)
{
    struct oidc_client_row r = *row;
    const char **f[] = CCACHE_FIELDS(&r);
    size_t n = sizeof(f) / sizeof(f[0]), len = 0;
    for (size_t k = 0; k < n; k++)
        len += *f[k] ? strlen(*f[k]) + 1 : 0;
    struct ccache_entry *e = malloc(sizeof(*e) + len);
    if (e == NULL)
        return;
    char *p = e->text;
    for (size_t k = 0; k < n; k++) {
        if (*f[k] == NULL)
            continue;
        size_t l = strlen(*f[k]) + 1;
        memcpy(p, *f[k], l);
        *f[k] = p;
        p += l;
    }
    e->row = r;
    size_t i = ccache_slot(r.client_id);
    pthread_mutex_lock(&cc->lock);
    struct ccache_entry *old = cc->slot[i];
    cc->slot[i] = e;
    pthread_mutex_unlock(&cc->lock);
    free(old);
}

void oidc_client_forget(struct oidc *o, const char *client_id)
{
    if (o->ccache == NULL || client_id == NULL)
        return;
    size_t i = ccache_slot(client_id);
    struct ccache_entry *old = NULL;
    pthread_mutex_lock(&o->ccache->lock);
    if (o->ccache->slot[i] != NULL && strcmp(o->ccache->slot[i]->row.client_id, client_id) == 0) {
        old = o->ccache->slot[i];
        o->ccache->slot[i] = NULL;
    }
    pthread_mutex_unlock(&o->ccache->lock);
    free(old);
}

/* oidc_client_load, through the cache when `cc` is not NULL (out->cached says a hit). */
static int client_load_cached(struct oidc_ccache *cc, struct store_conn *c, struct arena *a,
                              const char *client_id, struct oidc_client *out, int *found,
                              struct err *err)
{
    struct oidc_client_row row;
    int hit = 0;
    *found = 0;
    /* Our ids are 32 hex digits; anything longer cannot be registered. */
    if (client_id == NULL || strlen(client_id) >= OIDC_CLIENT_ID_SIZE + 32)
        return 0;
    if (cc != NULL)
        hit = ccache_get(cc, a, client_id, &row);
    if (!hit && oidc_store_client_get(c, a, client_id, &row, found, err) < 0)
        return -1;
    if (hit)
        *found = 1;
    if (*found && client_from_row(a, &row, out) < 0)
        return err_set(err, 500, "oidc.bad_client", "the stored client %s is damaged", client_id);
    if (*found && cc != NULL && !hit)
        ccache_put(cc, &row);
    out->cached = hit;
    return 0;
}

int oidc_client_load(struct store_conn *c, struct arena *a, const char *client_id,
                     struct oidc_client *out, int *found, struct err *err)
{
    return client_load_cached(NULL, c, a, client_id, out, found, err);
}

int oidc_client_list(struct store *s, struct arena *a, struct oidc_client_info **out, size_t *n,
                     struct err *err)
{
    struct oidc_client_row *rows = NULL;
    size_t count = 0;
    struct store_conn *c = store_conn(s, err);
    if (c == NULL || oidc_store_client_list(c, a, &rows, &count, err) < 0)
        return -1;
    struct oidc_client_info *list = arena_alloc(a, (count ? count : 1) * sizeof(*list));
    if (list == NULL)
        return err_set(err, 500, "oidc.oom", "out of memory");
    for (size_t i = 0; i < count; i++) {
        struct oidc_client cl;
        if (client_from_row(a, &rows[i], &cl) < 0)
            return err_set(err, 500, "oidc.bad_client", "the stored client %s is damaged",
                           rows[i].client_id);
        list[i] = cl.info;
    }
    *out = list;
    *n = count;
    return 0;
}

int oidc_client_remove(struct store *s, int64_t actor, const char *ip, const char *client_id,
                       struct err *err)
{
    char object[OIDC_CLIENT_ID_SIZE + 40];
    int changed = 0;
    struct store_conn *c = store_conn(s, err);
    if (c == NULL || store_begin(c, err) < 0)
        return -1;
    int64_t now = time_now_ms();
    snprintf(object, sizeof(object), "client:%.60s", client_id ? client_id : "");
    struct audit_event ev = {
        actor, "oidc.client_remove", object, "ok", ip, "its grants and tokens are revoked"};
    if (client_id == NULL || oidc_store_client_remove(c, client_id, now, &changed, err) < 0)
        goto fail;
    if (!changed) {
        err_set(err, 404, "oidc.client_not_found", "no registered client has the id %.60s",
                client_id);
        goto fail;
    }
    if (oidc_store_grants_revoke_client(c, client_id, now, err) < 0 ||
        audit_record(c, &ev, err) < 0 || store_commit(c, err) < 0)
        goto fail;
    return 0;
fail:
    store_rollback(c);
    return -1;
}

int oidc_revoke_account(struct store *s, int64_t account_id, const char *reason, const char *ip,
                        struct err *err)
{
    char object[48], detail[64];
    int64_t revoked = 0;
    struct store_conn *c = store_conn(s, err);
    if (c == NULL || store_begin(c, err) < 0)
        return -1;
    if (oidc_store_grants_revoke_account(c, account_id, time_now_ms(), reason, &revoked, err) < 0)
        goto fail;
    snprintf(object, sizeof(object), "account:%lld", (long long)account_id);
    snprintf(detail, sizeof(detail), "%s: %lld grant(s) revoked", reason, (long long)revoked);
    struct audit_event ev = {account_id, "oidc.grants_revoke", object, "ok", ip, detail};
    if (audit_record(c, &ev, err) < 0 || store_commit(c, err) < 0)
        goto fail;
    return 0;
fail:
    store_rollback(c);
    return -1;
}

/* ---- client authentication --------------------------------------------------------------- */

static int invalid_client(struct err *err, const char *why)
{
    return err_set(err, 401, "oidc.invalid_client", "%s", why);
}

/* Does the assertion's aud (a string or an array) name one of the accepted audiences? */
static int audience_ok(json_t *aud, const struct oidc_snap *snap, const char *endpoint)
{
    const char *want[3] = {snap->issuer, snap->token_endpoint, endpoint};
    json_t *v;
    size_t i;
    if (json_is_string(aud)) {
        for (int k = 0; k < 3; k++)
            if (want[k] != NULL && strcmp(json_string_value(aud), want[k]) == 0)
                return 1;
        return 0;
    }
    json_array_foreach(aud, i, v)
    {
        if (json_is_string(v) && audience_ok(v, snap, endpoint))
            return 1;
    }
    return 0;
}

static int assertion_check(struct oidc *o, const struct oidc_snap *snap, struct store_conn *c,
                           const struct oidc_client *cl, const struct oidc_client_auth *in,
                           struct err *err)
{
    json_t *jwks = NULL, *p = NULL;
    struct err jerr;
    int rc = -1, fresh = 0;
    const char *id = cl->info.client_id;
    int64_t now = oidc_now(o);
    if (cl->jwks == NULL || (jwks = json_loads(cl->jwks, 0, NULL)) == NULL) {
        invalid_client(err, "the client has no usable registered keys");
        goto out;
    }
    if (crypto_jws_verify_with_jwk(in->assertion, jwks, &p, &jerr) < 0) {
        invalid_client(err, "the client assertion's signature does not verify with the "
                            "registered keys");
        goto out;
    }
    const char *iss = json_string_value(json_object_get(p, "iss"));
    const char *sub = json_string_value(json_object_get(p, "sub"));
    const char *jti = json_string_value(json_object_get(p, "jti"));
    json_t *exp = json_object_get(p, "exp");
    if (iss == NULL || sub == NULL || strcmp(iss, id) != 0 || strcmp(sub, id) != 0) {
        invalid_client(err, "the client assertion's iss and sub must both be the client_id");
        goto out;
    }
    if (!audience_ok(json_object_get(p, "aud"), snap, in->endpoint)) {
        invalid_client(err, "the client assertion's aud must be the issuer or the endpoint");
        goto out;
    }
    if (crypto_jwt_check_times(p, now / 1000, OIDC_LEEWAY_S, &jerr) < 0) {
        invalid_client(err, "the client assertion has expired or is not yet valid");
        goto out;
    }
    if (json_number_value(exp) > (double)(now / 1000 + OIDC_ASSERTION_MAX_LIFE_S)) {
        invalid_client(err, "the client assertion is valid for too long (at most 10 minutes)");
        goto out;
    }
    if (jti == NULL || *jti == '\0' || strlen(jti) > 256) {
        invalid_client(err, "the client assertion needs a jti");
        goto out;
    }
    int64_t keep_until = ((int64_t)json_number_value(exp) + OIDC_LEEWAY_S) * 1000;
    if (oidc_store_jti_insert(c, id, jti, keep_until, &fresh, err) < 0)
        goto out;
    if (!fresh) {
        invalid_client(err, "the client assertion was used before (replayed jti)");
        goto out;
    }
    rc = 0;
out:
    json_decref(jwks);
    json_decref(p);
    return rc;
}

int oidc_client_authenticate(struct oidc *o, const struct oidc_snap *snap, struct store_conn *c,
                             struct arena *a, const struct oidc_client_auth *in,
                             struct oidc_client *out, const char **claimed, struct err *err)
{
    const char *id = NULL;
    int found = 0;
    if (claimed != NULL)
        *claimed = in->basic_id ? in->basic_id : in->client_id;
    if (in->client_secret != NULL)
        return invalid_client(err, "client_secret_post is not supported: send the secret with "
                                   "HTTP Basic authentication");
    if (in->basic_id != NULL && (in->assertion != NULL || in->assertion_type != NULL))
        return err_set(err, 400, "oidc.invalid_request",
                       "use one client authentication method, not several (RFC 6749 §2.3)");
    if (in->basic_id != NULL) {
        id = in->basic_id;
        if (in->client_id != NULL && strcmp(in->client_id, id) != 0)
            return invalid_client(err, "client_id differs from the authenticated client");
    } else if (in->assertion != NULL || in->assertion_type != NULL) {
        if (in->assertion == NULL || in->assertion_type == NULL ||
            strcmp(in->assertion_type, OIDC_ASSERTION_TYPE) != 0)
            return invalid_client(err, "client_assertion_type must be " OIDC_ASSERTION_TYPE);
        id = in->client_id;
        json_t *peek = NULL;
        if (id == NULL && (peek = oidc_jwt_peek(in->assertion)) != NULL) {
            const char *iss = json_string_value(json_object_get(peek, "iss"));
            id = iss ? arena_strdup(a, iss) : NULL;
        }
        json_decref(peek);
        if (claimed != NULL)
            *claimed = id;
    } else {
        return invalid_client(err, "client authentication is required");
    }
    if (id == NULL)
        return invalid_client(err, "the client is not identified");
    if (client_load_cached(in->cache_ok ? o->ccache : NULL, c, a, id, out, &found, err) < 0)
        return -1;
    if (!found)
        return invalid_client(err, "client authentication failed");
    if (in->basic_id != NULL) {
        char hash[OIDC_HASH_SIZE];
        if (strcmp(out->info.auth_method, "client_secret_basic") != 0)
            return invalid_client(err, "this client authenticates with private_key_jwt");
        if (out->secret_hash == NULL || strlen(out->secret_hash) != 64 ||
            oidc_secret_hash(o->secret_key, in->basic_secret ? in->basic_secret : "", hash) < 0 ||
            !crypto_equal(hash, out->secret_hash, 64))
            return invalid_client(err, "client authentication failed");
        return 0;
    }
    if (strcmp(out->info.auth_method, "private_key_jwt") != 0)
        return invalid_client(err, "this client authenticates with client_secret_basic");
    return assertion_check(o, snap, c, out, in, err);
}
