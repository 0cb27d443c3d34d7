/*
 * crypto_jose.c - the JOSE subset OpenID Connect needs: ES256 public keys as JWKs with
 * RFC 7638 thumbprints as key ids, compact JWS signing and verification (RFC 7515), and
 * the JWT time checks (RFC 7519).
 *
 * The verifier is written against the known JWT attacks (RFC 8725): the algorithm is
 * pinned to ES256 whatever the header says (no "none", no HS256 with a public key as the
 * secret), keys come only from the caller (jku, jwk and x5u headers are ignored), "crit"
 * is refused because no extension is understood, JSON with duplicate member names is
 * refused (two parsers could read two different tokens), every base64url segment must be
 * canonical, and the token size is bounded before anything is decoded. The signature is
 * checked before the payload is parsed.
 *
 * JOSE ECDSA signatures are the fixed-width R || S (RFC 7518 §3.4), while OpenSSL speaks
 * DER; es256_sign/es256_verify convert.
 */
#include "crypto/crypto_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#define ES256_SIG_LEN 64
#define COORD_B64_LEN 43 /* base64url of 32 bytes */
#define MAX_JWKS_KEYS 32

const char *crypto_key_kid(const struct crypto_key *key)
{
    return key->kid;
}

/* x and y of an ES256 key in base64url (43 characters and a NUL each). */
static int key_coords(const struct crypto_key *key, char x[COORD_B64_LEN + 1],
                      char y[COORD_B64_LEN + 1])
{
    unsigned char point[CRYPTO_POINT_LEN];
    if (key->type != CRYPTO_KEY_ES256 || crypto_key_point(key, point) != 0)
        return -1;
    if (crypto_b64url_encode(point + 1, 32, x, COORD_B64_LEN + 1) != COORD_B64_LEN ||
        crypto_b64url_encode(point + 33, 32, y, COORD_B64_LEN + 1) != COORD_B64_LEN)
        return -1;
    return 0;
}

int crypto_jwk_thumbprint(const struct crypto_key *key, char out[CRYPTO_THUMBPRINT_LEN + 1],
                          char *canonical, size_t canonical_size)
{
    char x[COORD_B64_LEN + 1], y[COORD_B64_LEN + 1], json[160];
    unsigned char digest[32];
    unsigned int dlen = 0;
    int n;

    if (key_coords(key, x, y) != 0)
        return -1;
    /* RFC 7638 §3.2: the required members only, in lexicographic order, no whitespace. */
    n = snprintf(json, sizeof(json), "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}",
                 x, y);
    if (n < 0 || (size_t)n >= sizeof(json))
        return -1;
    if (crypto_md_sha256() == NULL ||
        EVP_Digest(json, (size_t)n, digest, &dlen, crypto_md_sha256(), NULL) != 1 ||
        dlen != sizeof(digest))
        return -1;
    if (crypto_b64url_encode(digest, sizeof(digest), out, CRYPTO_THUMBPRINT_LEN + 1) !=
        CRYPTO_THUMBPRINT_LEN)
        return -1;
    if (canonical != NULL) {
        if ((size_t)n >= canonical_size)
            return -1;
        memcpy(canonical, json, (size_t)n + 1);
    }
    return 0;
}

json_t *crypto_key_jwk(const struct crypto_key *key)
{
    char x[COORD_B64_LEN + 1], y[COORD_B64_LEN + 1];
    if (key_coords(key, x, y) != 0)
        return NULL;
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "kty", "EC", "crv", "P-256", "x", x,
                     "y", y, "kid", key->kid, "alg", "ES256", "use", "sig");
}

/* A JSON string member, or NULL if absent or not a string. */
static const char *member_string(const json_t *obj, const char *name)
{
    return json_string_value(json_object_get(obj, name));
}

/* A base64url coordinate that decodes to exactly 32 bytes. */
static int decode_coord(const char *s, unsigned char out[32])
{
    size_t n = 0;
    if (s == NULL || strlen(s) != COORD_B64_LEN)
        return -1;
    return crypto_b64url_decode(s, COORD_B64_LEN, out, 32, &n) == 0 && n == 32 ? 0 : -1;
}

int crypto_key_from_jwk(const json_t *jwk, struct crypto_key **out, struct err *err)
{
    unsigned char point[CRYPTO_POINT_LEN];
    const char *s, *kid;
    json_t *kid_json;
    EVP_PKEY *pkey;

    *out = NULL;
    if (!json_is_object(jwk))
        return err_set(err, 400, "crypto.bad_jwk", "A JWK must be a JSON object.");
    if ((s = member_string(jwk, "kty")) == NULL || strcmp(s, "EC") != 0 ||
        (s = member_string(jwk, "crv")) == NULL || strcmp(s, "P-256") != 0)
        return err_set(err, 400, "crypto.bad_jwk", "Only EC keys on P-256 are accepted.");
    if (json_object_get(jwk, "d") != NULL)
        return err_set(err, 400, "crypto.bad_jwk",
                       "The JWK contains a private key (\"d\"): it must never be published; "
                       "replace the key.");
    if (json_object_get(jwk, "alg") != NULL &&
        ((s = member_string(jwk, "alg")) == NULL || strcmp(s, "ES256") != 0))
        return err_set(err, 400, "crypto.bad_jwk", "The JWK's \"alg\" must be ES256.");
    if (json_object_get(jwk, "use") != NULL &&
        ((s = member_string(jwk, "use")) == NULL || strcmp(s, "sig") != 0))
        return err_set(err, 400, "crypto.bad_jwk", "The JWK's \"use\" must be sig.");
    kid_json = json_object_get(jwk, "kid");
    kid = json_string_value(kid_json);
    if (kid_json != NULL && (kid == NULL || kid[0] == '\0' || strlen(kid) >= CRYPTO_KID_SIZE))
        return err_set(err, 400, "crypto.bad_jwk",
                       "The JWK's \"kid\" must be a string of 1 to %d characters.",
                       CRYPTO_KID_SIZE - 1);
    point[0] = 0x04;
    if (decode_coord(member_string(jwk, "x"), point + 1) != 0 ||
        decode_coord(member_string(jwk, "y"), point + 33) != 0)
        return err_set(err, 400, "crypto.bad_jwk",
                       "The JWK's \"x\" and \"y\" must each be 32 bytes in base64url.");
    if ((pkey = crypto_pkey_from_point(CRYPTO_KEY_ES256, point)) == NULL)
        return err_set(err, 400, "crypto.bad_jwk", "The JWK's point is not on the P-256 curve.");
    if ((*out = crypto_key_wrap(CRYPTO_KEY_ES256, pkey, kid)) == NULL)
        return err_set(err, 500, "crypto.error", "Out of memory importing a JWK.");
    return 0;
}

static int es256_sign(const struct crypto_key *key, const void *msg, size_t n,
                      unsigned char sig[ES256_SIG_LEN])
{
    EVP_MD_CTX *mctx = NULL;
    ECDSA_SIG *es = NULL;
    unsigned char der[80];
    const unsigned char *p = der;
    const BIGNUM *r = NULL, *s = NULL;
    size_t der_len = 0;
    int rc = -1;

    if (key->type != CRYPTO_KEY_ES256 || !key->has_private)
        goto out;
    if ((mctx = EVP_MD_CTX_new()) == NULL)
        goto out;
    if (EVP_DigestSignInit_ex(mctx, NULL, "SHA256", NULL, NULL, key->pkey, NULL) != 1)
        goto out;
    if (EVP_DigestSign(mctx, NULL, &der_len, msg, n) != 1 || der_len > sizeof(der))
        goto out;
    if (EVP_DigestSign(mctx, der, &der_len, msg, n) != 1)
        goto out;
    if ((es = d2i_ECDSA_SIG(NULL, &p, (long)der_len)) == NULL)
        goto out;
    ECDSA_SIG_get0(es, &r, &s);
    if (BN_bn2binpad(r, sig, 32) != 32 || BN_bn2binpad(s, sig + 32, 32) != 32)
        goto out;
    rc = 0;
out:
    ECDSA_SIG_free(es);
    EVP_MD_CTX_free(mctx);
    return rc;
}

static int es256_verify(const struct crypto_key *key, const void *msg, size_t n,
                        const unsigned char sig[ES256_SIG_LEN])
{
    EVP_MD_CTX *mctx = NULL;
    ECDSA_SIG *es = NULL;
    BIGNUM *r = NULL, *s = NULL;
    unsigned char *der = NULL;
    int der_len, rc = -1;

    if ((es = ECDSA_SIG_new()) == NULL)
        goto out;
    if ((r = BN_bin2bn(sig, 32, NULL)) == NULL || (s = BN_bin2bn(sig + 32, 32, NULL)) == NULL)
        goto out;
    if (ECDSA_SIG_set0(es, r, s) != 1)
        goto out;
    r = s = NULL; /* owned by es now */
    if ((der_len = i2d_ECDSA_SIG(es, &der)) <= 0)
        goto out;
    if ((mctx = EVP_MD_CTX_new()) == NULL)
        goto out;
    if (EVP_DigestVerifyInit_ex(mctx, NULL, "SHA256", NULL, NULL, key->pkey, NULL) != 1)
        goto out;
    if (EVP_DigestVerify(mctx, der, (size_t)der_len, msg, n) == 1)
        rc = 0;
out:
    EVP_MD_CTX_free(mctx);
    OPENSSL_free(der);
    ECDSA_SIG_free(es);
    BN_free(r);
    BN_free(s);
    ERR_clear_error();
    return rc;
}

/* Append base64url(data) to `out` at *o (room checked by the caller's sizing). */
static int put_b64(char *out, size_t size, size_t *o, const void *data, size_t n)
{
    int w = crypto_b64url_encode(data, n, out + *o, size - *o);
    if (w < 0)
        return -1;
    *o += (size_t)w;
    return 0;
}

/* The protected header's JSON text: by hand when the kid needs no escaping (thumbprints
 * are base64url), else through jansson. Returns its length, or -1. */
static int jws_header(const struct crypto_key *key, char *buf, size_t size, char **heap)
{
    int plain = 1;
    *heap = NULL;
    for (const unsigned char *k = (const unsigned char *)key->kid; *k && plain; k++)
        plain = *k >= 0x20 && *k < 0x7f && *k != '"' && *k != '\\';
    if (plain) {
        int n = snprintf(buf, size, "{\"alg\":\"ES256\",\"typ\":\"JWT\",\"kid\":\"%s\"}", key->kid);
        if (n > 0 && (size_t)n < size)
            return n;
    }
    json_t *header = json_pack("{s:s, s:s, s:s}", "alg", "ES256", "typ", "JWT", "kid", key->kid);
    *heap = header ? json_dumps(header, JSON_COMPACT) : NULL;
    json_decref(header);
    return *heap ? (int)strlen(*heap) : -1;
}

int crypto_jws_sign_text(const struct crypto_key *key, const char *payload, size_t plen,
                         char **token)
{
    char hbuf[160], *hheap = NULL, *t = NULL;
    unsigned char sig[ES256_SIG_LEN];
    size_t size, o = 0;
    int rc = -1;

    *token = NULL;
    if (key->type != CRYPTO_KEY_ES256 || !key->has_private || payload == NULL || plen == 0 ||
        payload[0] != '{')
        goto out;
    int hn = jws_header(key, hbuf, sizeof(hbuf), &hheap);
    const char *h = hheap ? hheap : hbuf;
    if (hn < 0 || (size_t)hn > CRYPTO_JWS_MAX || plen > CRYPTO_JWS_MAX)
        goto out;
    size = CRYPTO_B64URL_LEN((size_t)hn) + CRYPTO_B64URL_LEN(plen) + CRYPTO_B64URL_LEN(64) + 3;
    if (size > CRYPTO_JWS_MAX + 1) /* our own verifier would refuse it */
        goto out;
    if ((t = malloc(size)) == NULL)
        goto out;
    if (put_b64(t, size, &o, h, (size_t)hn) != 0)
        goto out;
    t[o++] = '.';
    if (put_b64(t, size, &o, payload, plen) != 0)
        goto out;
    if (es256_sign(key, t, o, sig) != 0)
        goto out;
    t[o++] = '.';
    if (put_b64(t, size, &o, sig, sizeof(sig)) != 0)
        goto out;
    *token = t;
    t = NULL;
    rc = 0;
out:
    free(t);
    free(hheap);
    return rc;
}

int crypto_jws_sign(const struct crypto_key *key, const json_t *payload, char **token)
{
    *token = NULL;
    if (!json_is_object(payload))
        return -1;
    char *p = json_dumps(payload, JSON_COMPACT);
    int rc = p ? crypto_jws_sign_text(key, p, strlen(p), token) : -1;
    free(p);
    return rc;
}

/* Decode a base64url segment and parse it as a JSON object without duplicate names. */
static json_t *segment_object(const char *seg, size_t len, unsigned char *buf, size_t buf_size)
{
    json_t *obj;
    json_error_t jerr;
    size_t n = 0;
    if (crypto_b64url_decode(seg, len, buf, buf_size, &n) != 0)
        return NULL;
    obj = json_loadb((const char *)buf, n, JSON_REJECT_DUPLICATES, &jerr);
    if (obj != NULL && !json_is_object(obj)) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

static int jws_refuse(struct err *err, const char *why)
{
    return err_set(err, 401, "crypto.jws_invalid", "The token is refused: %s.", why);
}

int crypto_jws_verify(const char *token, struct crypto_key *const *keys, size_t nkeys,
                      json_t **payload, struct err *err)
{
    const struct crypto_key *key = NULL;
    const char *dot1, *dot2, *alg, *kid;
    unsigned char *buf = NULL, sig[ES256_SIG_LEN];
    json_t *header = NULL, *body = NULL, *kid_json;
    size_t len, n = 0, candidates = 0;
    int rc = -1;

    *payload = NULL;
    if (token == NULL || (len = strnlen(token, CRYPTO_JWS_MAX + 1)) > CRYPTO_JWS_MAX) {
        jws_refuse(err, "it is missing or longer than 16384 bytes");
        goto out;
    }
    dot1 = memchr(token, '.', len);
    dot2 = dot1 != NULL ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token)) : NULL;
    if (dot2 == NULL || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)) != NULL ||
        dot1 == token || dot2 == dot1 + 1 || dot2 + 1 == token + len) {
        jws_refuse(err, "it is not three non-empty segments separated by dots");
        goto out;
    }
    if ((buf = malloc(len)) == NULL) {
        err_set(err, 500, "crypto.error", "Out of memory verifying a token.");
        goto out;
    }
    if ((header = segment_object(token, (size_t)(dot1 - token), buf, len)) == NULL) {
        jws_refuse(err, "the header is not a base64url JSON object without duplicate names");
        goto out;
    }
    if ((alg = member_string(header, "alg")) == NULL) {
        jws_refuse(err, "the header has no alg");
        goto out;
    }
    if (strcmp(alg, "ES256") != 0) {
        jws_refuse(err, strcmp(alg, "none") == 0 ? "unsigned tokens (alg none) are not accepted"
                                                 : "only alg ES256 is accepted");
        goto out;
    }
    if (json_object_get(header, "crit") != NULL) {
        jws_refuse(err, "the header has crit extensions, none of which is understood");
        goto out;
    }
    kid_json = json_object_get(header, "kid");
    kid = json_string_value(kid_json);
    if (kid_json != NULL && kid == NULL) {
        jws_refuse(err, "the kid is not a string");
        goto out;
    }
    for (size_t i = 0; i < nkeys; i++) {
        if (keys[i] == NULL || keys[i]->type != CRYPTO_KEY_ES256)
            continue;
        candidates++;
        if (kid == NULL || strcmp(keys[i]->kid, kid) == 0)
            key = keys[i];
    }
    if (key == NULL || (kid == NULL && candidates != 1)) {
        jws_refuse(err, kid == NULL ? "the header has no kid and the key is ambiguous"
                                    : "no key has the token's kid");
        goto out;
    }
    if (crypto_b64url_decode(dot2 + 1, len - (size_t)(dot2 + 1 - token), sig, sizeof(sig), &n) !=
            0 ||
        n != sizeof(sig)) {
        jws_refuse(err, "the signature is not 64 bytes of base64url");
        goto out;
    }
    if (es256_verify(key, token, (size_t)(dot2 - token), sig) != 0) {
        jws_refuse(err, "the signature does not verify");
        goto out;
    }
    if ((body = segment_object(dot1 + 1, (size_t)(dot2 - dot1 - 1), buf, len)) == NULL) {
        jws_refuse(err, "the payload is not a base64url JSON object without duplicate names");
        goto out;
    }
    *payload = body;
    rc = 0;
out:
    json_decref(header);
    free(buf);
    return rc;
}

/* 1 if a JWK Set entry is meant for ES256 signatures; 0 for keys to skip. */
static int jwk_is_es256(const json_t *jwk)
{
    const char *kty = member_string(jwk, "kty"), *crv = member_string(jwk, "crv");
    const char *use = member_string(jwk, "use"), *alg = member_string(jwk, "alg");
    if (kty == NULL || strcmp(kty, "EC") != 0 || crv == NULL || strcmp(crv, "P-256") != 0)
        return 0;
    if (use != NULL && strcmp(use, "sig") != 0)
        return 0;
    return alg == NULL || strcmp(alg, "ES256") == 0;
}

int crypto_jws_verify_with_jwk(const char *token, const json_t *jwk_or_set, json_t **payload,
                               struct err *err)
{
    struct crypto_key *keys[MAX_JWKS_KEYS];
    const json_t *set = json_object_get(jwk_or_set, "keys");
    size_t nkeys = 0, i;
    json_t *jwk;
    int rc = -1;

    *payload = NULL;
    if (!json_is_object(jwk_or_set)) {
        err_set(err, 400, "crypto.bad_jwk", "A JWK or JWK Set must be a JSON object.");
        goto out;
    }
    if (set == NULL) {
        if (crypto_key_from_jwk(jwk_or_set, &keys[0], err) != 0)
            goto out;
        nkeys = 1;
    } else {
        if (!json_is_array(set) || json_array_size(set) > MAX_JWKS_KEYS) {
            err_set(err, 400, "crypto.bad_jwk",
                    "A JWK Set's \"keys\" must be an array of at most %d keys.", MAX_JWKS_KEYS);
            goto out;
        }
        json_array_foreach(set, i, jwk)
        {
            if (!jwk_is_es256(jwk))
                continue;
            if (crypto_key_from_jwk(jwk, &keys[nkeys], err) != 0)
                goto out;
            nkeys++;
        }
    }
    rc = crypto_jws_verify(token, keys, nkeys, payload, err);
out:
    for (i = 0; i < nkeys; i++)
        crypto_key_free(keys[i]);
    return rc;
}

/* A NumericDate claim: absent (0 returned, *present = 0), a number, or an error. */
static int time_claim(const json_t *payload, const char *name, double *v, int *present)
{
    const json_t *c = json_object_get(payload, name);
    *present = c != NULL;
    if (c == NULL)
        return 0;
    if (!json_is_number(c))
        return -1;
    *v = json_number_value(c);
    return 0;
}

int crypto_jwt_check_times(const json_t *payload, int64_t now, int64_t leeway, struct err *err)
{
    double exp = 0, nbf = 0, iat = 0, t = (double)now, skew = (double)leeway;
    int has_exp, has_nbf, has_iat;

    if (!json_is_object(payload) || leeway < 0 || time_claim(payload, "exp", &exp, &has_exp) ||
        time_claim(payload, "nbf", &nbf, &has_nbf) || time_claim(payload, "iat", &iat, &has_iat))
        return err_set(err, 401, "crypto.jwt_bad_claims",
                       "The token's exp, nbf and iat must be numbers.");
    if (!has_exp)
        return err_set(err, 401, "crypto.jwt_bad_claims", "The token has no exp.");
    /* RFC 7519 §4.1.4: the current time must be before exp. */
    if (t - skew >= exp)
        return err_set(err, 401, "crypto.jwt_expired", "The token has expired.");
    if (has_nbf && nbf > t + skew)
        return err_set(err, 401, "crypto.jwt_not_yet_valid", "The token is not valid yet.");
    if (has_iat && iat > t + skew)
        return err_set(err, 401, "crypto.jwt_not_yet_valid", "The token was issued in the future.");
    return 0;
}
