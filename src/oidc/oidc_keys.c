/*
 * oidc_keys.c - the provider's ES256 signing keys and the two public documents built
 * from them: the JWK Set and the discovery metadata.
 *
 * A key's private half is stored as its PKCS#8 PEM sealed with the keyring's secrets key
 * (SM4-CTR + HMAC-SM3), bound to its row by the associated data "oidc_keys.private_enc:
 * <kid>", so a sealed key copied to another row does not open. The kid is the key's RFC
 * 7638 thumbprint, checked again when the key is loaded.
 *
 * Nodes share one master key. Each row records which master key sealed it (a name derived
 * from that key), and a node only loads and rotates the rows of its own: a database that
 * several installations share (the API tests' PostgreSQL, a misconfigured node with
 * another key file) does not stop a node from starting, and it says so in the log.
 *
 * Rotation without downtime (docs/internals/oidc.md, "Keys"): a new key is published
 * before it signs (active_from lies publish_delay in the future, longer than the servers'
 * reload interval), and an old key stays published until the last token it signed has
 * expired (retire_at); then its row, private half included, is deleted.
 */
#include "oidc/oidc_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "base/id.h"
#include "store/store.h"

/* How long an old key stays published after its successor starts signing: the longest
 * token lifetime, the clock skew we allow and relying parties' JWKS caching. */
#define RETIRE_AFTER_MS ((int64_t)(OIDC_ACCESS_TTL_S + OIDC_LEEWAY_S + 300) * 1000)

int oidc_keyring_name(const struct crypto_keyring *kr, char out[OIDC_KEYRING_NAME_SIZE])
{
    unsigned char raw[16];
    int rc = crypto_keyring_derive(kr, "oidc-keyring-name", raw, sizeof(raw)) == 0 &&
                     crypto_hex_encode(raw, sizeof(raw), out, OIDC_KEYRING_NAME_SIZE) == 32
                 ? 0
                 : -1;
    crypto_wipe(raw, sizeof(raw));
    return rc;
}

static int key_ad(const char *kid, char *out, size_t size)
{
    int n = snprintf(out, size, "oidc_keys.private_enc:%s", kid);
    return n > 0 && (size_t)n < size ? n : -1;
}

/* Generate a key, seal it and insert it, signing from active_from on. */
static int key_create(struct store_conn *c, struct crypto_keyring *kr, const char *keyring,
                      int64_t now, int64_t active_from, char kid_out[OIDC_KID_SIZE],
                      struct err *err)
{
    struct crypto_key *key = NULL;
    char *pem = NULL, *jwk_text = NULL;
    size_t pem_len = 0, enc_len = 0;
    unsigned char *enc = NULL;
    json_t *jwk = NULL;
    char ad[128];
    int rc = -1;

    if (crypto_key_generate(CRYPTO_KEY_ES256, &key) < 0 ||
        crypto_key_private_pem(key, &pem, &pem_len) < 0) {
        err_set(err, 500, "oidc.keygen", "cannot generate a signing key");
        goto out;
    }
    const char *kid = crypto_key_kid(key);
    enc = malloc(pem_len + CRYPTO_AEAD_OVERHEAD);
    int adlen = key_ad(kid, ad, sizeof(ad));
    if (enc == NULL || adlen < 0 ||
        crypto_aead_seal(crypto_keyring_aead(kr, CRYPTO_AEAD_SECRETS), ad, (size_t)adlen, pem,
                         pem_len, enc, pem_len + CRYPTO_AEAD_OVERHEAD, &enc_len) < 0) {
        err_set(err, 500, "oidc.keygen", "cannot seal the new signing key");
        goto out;
    }
    if ((jwk = crypto_key_jwk(key)) == NULL || (jwk_text = json_dumps(jwk, JSON_COMPACT)) == NULL) {
        err_set(err, 500, "oidc.oom", "out of memory");
        goto out;
    }
    if (oidc_store_key_insert(c, kid, keyring, enc, enc_len, jwk_text, now, active_from, err) < 0)
        goto out;
    if (kid_out != NULL)
        snprintf(kid_out, OIDC_KID_SIZE, "%s", kid);
    rc = 0;
out:
    crypto_free_secret(pem, pem_len);
    free(enc);
    free(jwk_text);
    json_decref(jwk);
    crypto_key_free(key);
    return rc;
}

int oidc_keys_ensure(struct store *s, struct crypto_keyring *kr, struct err *err)
{
    struct store_conn *c = store_conn(s, err);
    int64_t n = 0;
    char kid[OIDC_KID_SIZE], ring[OIDC_KEYRING_NAME_SIZE];
    if (c == NULL || oidc_keyring_name(kr, ring) < 0 || store_begin(c, err) < 0)
        return c == NULL ? -1 : err_set(err, 500, "oidc.keys", "cannot name the keyring");
    if (oidc_store_keys_count_current(c, ring, &n, err) < 0)
        goto fail;
    if (n > 0) {
        store_rollback(c);
        return 0;
    }
    int64_t now = time_now_ms();
    struct audit_event ev = {0, "oidc.key_create", NULL, "ok", NULL, NULL};
    if (key_create(c, kr, ring, now, now, kid, err) < 0)
        goto fail;
    char object[OIDC_KID_SIZE + 8];
    snprintf(object, sizeof(object), "key:%s", kid);
    ev.object = object;
    if (audit_record(c, &ev, err) < 0 || store_commit(c, err) < 0)
        goto fail;
    return 1;
fail:
    store_rollback(c);
    return -1;
}

int oidc_keys_rotate(struct store *s, struct crypto_keyring *kr, int publish_delay_s,
                     char kid_out[OIDC_KID_SIZE], struct err *err)
{
    struct store_conn *c = store_conn(s, err);
    char kid[OIDC_KID_SIZE], object[OIDC_KID_SIZE + 8], detail[96], ring[OIDC_KEYRING_NAME_SIZE];
    if (c == NULL || oidc_keyring_name(kr, ring) < 0 || store_begin(c, err) < 0)
        return c == NULL ? -1 : err_set(err, 500, "oidc.keys", "cannot name the keyring");
    int64_t now = time_now_ms();
    int64_t delay_ms =
        (int64_t)(publish_delay_s < 0 ? OIDC_PUBLISH_DELAY_S : publish_delay_s) * 1000;
    int64_t active_from = now + delay_ms;
    if (key_create(c, kr, ring, now, active_from, kid, err) < 0 ||
        oidc_store_keys_retire(c, ring, kid, active_from + RETIRE_AFTER_MS, err) < 0 ||
        oidc_store_keys_delete_retired(c, ring, now, err) < 0)
        goto fail;
    snprintf(object, sizeof(object), "key:%s", kid);
    snprintf(detail, sizeof(detail), "signs from %lld s on", (long long)(delay_ms / 1000));
    struct audit_event ev = {0, "oidc.key_rotate", object, "ok", NULL, detail};
    if (audit_record(c, &ev, err) < 0 || store_commit(c, err) < 0)
        goto fail;
    if (kid_out != NULL)
        snprintf(kid_out, OIDC_KID_SIZE, "%s", kid);
    return 0;
fail:
    store_rollback(c);
    return -1;
}

/* ---- loading ------------------------------------------------------------------------- */

struct load_ctx {
    struct crypto_keyring *kr;
    struct oidc_key *keys;
    size_t n, cap;
};

static int load_one(void *ctx, const struct oidc_key_row *row)
{
    struct load_ctx *lc = ctx;
    char ad[128];
    int adlen = row->kid ? key_ad(row->kid, ad, sizeof(ad)) : -1;
    if (adlen < 0 || row->private_len <= CRYPTO_AEAD_OVERHEAD)
        return -1;
    size_t cap = row->private_len - CRYPTO_AEAD_OVERHEAD, len = 0;
    char *pem = malloc(cap + 1);
    struct crypto_key *key = NULL;
    struct err err;
    int rc = -1;
    if (pem == NULL ||
        crypto_aead_open(crypto_keyring_aead(lc->kr, CRYPTO_AEAD_SECRETS), ad, (size_t)adlen,
                         row->private_enc, row->private_len, (unsigned char *)pem, cap, &len) < 0 ||
        crypto_key_from_pem(CRYPTO_KEY_ES256, pem, len, &key, &err) < 0)
        goto out;
    /* The kid is the thumbprint: a row whose kid does not match its key was altered. */
    if (strcmp(crypto_key_kid(key), row->kid) != 0)
        goto out;
    if (lc->n == lc->cap) {
        size_t ncap = lc->cap ? lc->cap * 2 : 4;
        struct oidc_key *bigger = realloc(lc->keys, ncap * sizeof(*bigger));
        if (bigger == NULL)
            goto out;
        lc->keys = bigger;
        lc->cap = ncap;
    }
    lc->keys[lc->n].key = key;
    lc->keys[lc->n].active_from = row->active_from;
    lc->keys[lc->n].retire_at = row->retire_at;
    lc->n++;
    key = NULL;
    rc = 0;
out:
    crypto_free_secret(pem, cap + 1);
    crypto_key_free(key);
    return rc;
}

int oidc_keys_load(struct store_conn *c, struct crypto_keyring *kr, int64_t now_ms,
                   struct oidc_key **out, size_t *n, struct err *err)
{
    struct load_ctx lc = {kr, NULL, 0, 0};
    char ring[OIDC_KEYRING_NAME_SIZE];
    if (oidc_keyring_name(kr, ring) < 0)
        return err_set(err, 500, "oidc.keys", "cannot name the keyring");
    if (oidc_store_keys_each(c, ring, now_ms, load_one, &lc, err) < 0) {
        oidc_keys_free(lc.keys, lc.n);
        return -1;
    }
    *out = lc.keys;
    *n = lc.n;
    return 0;
}

void oidc_keys_free(struct oidc_key *keys, size_t n)
{
    for (size_t i = 0; i < n; i++)
        crypto_key_free(keys[i].key);
    free(keys);
}

/* ---- the public documents ------------------------------------------------------------ */

char *oidc_jwks_build(const struct oidc_key *keys, size_t n, size_t *len)
{
    json_t *list = json_array();
    json_t *doc = json_pack("{s:o}", "keys", list);
    char *text = NULL;
    if (doc == NULL)
        return NULL;
    /* Newest first: relying parties that take the first key with a matching kid lose
     * nothing, and a reader sees the current key on top. */
    for (size_t i = n; i-- > 0;) {
        json_t *jwk = crypto_key_jwk(keys[i].key);
        if (jwk == NULL || json_array_append_new(list, jwk) < 0)
            goto out;
    }
    text = json_dumps(doc, JSON_COMPACT);
    if (text != NULL)
        *len = strlen(text);
out:
    json_decref(doc);
    return text;
}

static json_t *words(const char *list)
{
    json_t *a = json_array();
    const char *p = list;
    while (a != NULL && *p) {
        const char *e = strchr(p, ' ');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        json_array_append_new(a, json_stringn(p, n));
        p += n;
        while (*p == ' ')
            p++;
    }
    return a;
}

char *oidc_discovery_build(const char *issuer, size_t *len)
{
    char ep[6][OIDC_MAX_URI + 64];
    static const char *const paths[6] = {
        "/oauth2/authorize", "/oauth2/token",  "/oauth2/userinfo",
        "/oauth2/jwks",      "/oauth2/logout", "/oauth2/revoke",
    };
    for (int i = 0; i < 6; i++)
        snprintf(ep[i], sizeof(ep[i]), "%s%s", issuer, paths[i]);
    json_t *doc = json_object();
    if (doc == NULL)
        return NULL;
    json_object_set_new(doc, "issuer", json_string(issuer));
    json_object_set_new(doc, "authorization_endpoint", json_string(ep[0]));
    json_object_set_new(doc, "token_endpoint", json_string(ep[1]));
    json_object_set_new(doc, "userinfo_endpoint", json_string(ep[2]));
    json_object_set_new(doc, "jwks_uri", json_string(ep[3]));
    json_object_set_new(doc, "end_session_endpoint", json_string(ep[4]));
    json_object_set_new(doc, "revocation_endpoint", json_string(ep[5]));
    json_object_set_new(doc, "scopes_supported", words(OIDC_USER_SCOPES));
    json_object_set_new(doc, "response_types_supported", words("code"));
    json_object_set_new(doc, "response_modes_supported", words("query"));
    json_object_set_new(doc, "grant_types_supported",
                        words("authorization_code refresh_token client_credentials"));
    json_object_set_new(doc, "subject_types_supported", words("pairwise"));
    json_object_set_new(doc, "id_token_signing_alg_values_supported", words("ES256"));
    json_object_set_new(doc, "token_endpoint_auth_methods_supported",
                        words("client_secret_basic private_key_jwt"));
    json_object_set_new(doc, "token_endpoint_auth_signing_alg_values_supported", words("ES256"));
    json_object_set_new(doc, "revocation_endpoint_auth_methods_supported",
                        words("client_secret_basic private_key_jwt"));
    json_object_set_new(doc, "revocation_endpoint_auth_signing_alg_values_supported",
                        words("ES256"));
    json_object_set_new(doc, "code_challenge_methods_supported", words("S256"));
    json_object_set_new(doc, "prompt_values_supported", words("none login consent"));
    json_object_set_new(doc, "acr_values_supported", words("aal1 aal2"));
    json_object_set_new(doc, "claims_supported",
                        words("sub iss aud exp iat auth_time nonce acr amr azp name locale "
                              "phone_number id_number"));
    json_object_set_new(doc, "ui_locales_supported", words("zh-CN bo en"));
    json_object_set_new(doc, "claims_parameter_supported", json_false());
    json_object_set_new(doc, "request_parameter_supported", json_false());
    json_object_set_new(doc, "request_uri_parameter_supported", json_false());
    json_object_set_new(doc, "authorization_response_iss_parameter_supported", json_true());
    json_object_set_new(doc, "backchannel_logout_supported", json_false());
    json_object_set_new(doc, "frontchannel_logout_supported", json_false());
    char *text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(doc);
    if (text != NULL)
        *len = strlen(text);
    return text;
}
