/*
 * crypto_sm.c - the national algorithms as the platform uses them: SM3 digests (one-shot
 * and incremental, for the audit chain), HMAC-SM3, HKDF-SM3 key derivation, and SM2
 * signatures with the standard default ID.
 *
 * SM2 pitfall (FACTS.md): OpenSSL 3.0 computes Z with an empty ID unless told otherwise,
 * and such signatures verify nowhere else. Every SM2 operation here builds its
 * EVP_PKEY_CTX itself, sets the ID "1234567812345678", attaches it to the digest context
 * and only then initialises the operation with SM3. The digest context does not own the
 * key context (EVP_MD_CTX_set_pkey_ctx), so both are freed.
 */
#include "crypto/crypto_internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;
static EVP_MD *md_sm3, *md_sha256;
static EVP_CIPHER *cipher_sm4_ctr;
static EVP_MAC *mac_hmac;

static void fetch_all(void)
{
    md_sm3 = EVP_MD_fetch(NULL, "SM3", NULL);
    md_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    cipher_sm4_ctr = EVP_CIPHER_fetch(NULL, "SM4-CTR", NULL);
    mac_hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
}

const EVP_MD *crypto_md_sm3(void)
{
    pthread_once(&fetch_once, fetch_all);
    return md_sm3;
}

const EVP_MD *crypto_md_sha256(void)
{
    pthread_once(&fetch_once, fetch_all);
    return md_sha256;
}

const EVP_CIPHER *crypto_cipher_sm4_ctr(void)
{
    pthread_once(&fetch_once, fetch_all);
    return cipher_sm4_ctr;
}

EVP_MAC *crypto_mac_hmac(void)
{
    pthread_once(&fetch_once, fetch_all);
    return mac_hmac;
}

struct crypto_sm3 {
    EVP_MD_CTX *md;
};

int crypto_sm3(const void *data, size_t n, unsigned char out[CRYPTO_SM3_LEN])
{
    unsigned int len = 0;
    const EVP_MD *md = crypto_md_sm3();
    if (md == NULL || EVP_Digest(data, n, out, &len, md, NULL) != 1 || len != CRYPTO_SM3_LEN)
        return -1;
    return 0;
}

struct crypto_sm3 *crypto_sm3_new(void)
{
    struct crypto_sm3 *h = calloc(1, sizeof(*h));
    if (h == NULL)
        goto fail;
    if ((h->md = EVP_MD_CTX_new()) == NULL)
        goto fail;
    if (crypto_md_sm3() == NULL || EVP_DigestInit_ex(h->md, crypto_md_sm3(), NULL) != 1)
        goto fail;
    return h;
fail:
    crypto_sm3_free(h);
    return NULL;
}

int crypto_sm3_update(struct crypto_sm3 *h, const void *data, size_t n)
{
    return EVP_DigestUpdate(h->md, data, n) == 1 ? 0 : -1;
}

int crypto_sm3_final(struct crypto_sm3 *h, unsigned char out[CRYPTO_SM3_LEN])
{
    unsigned int len = 0;
    if (EVP_DigestFinal_ex(h->md, out, &len) != 1 || len != CRYPTO_SM3_LEN)
        return -1;
    return 0;
}

void crypto_sm3_free(struct crypto_sm3 *h)
{
    if (h == NULL)
        return;
    EVP_MD_CTX_free(h->md);
    free(h);
}

EVP_MAC_CTX *crypto_hmac_sm3_new(const void *key, size_t keylen)
{
    EVP_MAC *mac = crypto_mac_hmac();
    EVP_MAC_CTX *ctx = NULL;
    OSSL_PARAM params[2];
    char digest[] = "SM3";

    if (mac == NULL)
        goto fail;
    if ((ctx = EVP_MAC_CTX_new(mac)) == NULL)
        goto fail;
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0);
    params[1] = OSSL_PARAM_construct_end();
    if (EVP_MAC_init(ctx, key, keylen, params) != 1)
        goto fail;
    return ctx;
fail:
    EVP_MAC_CTX_free(ctx);
    return NULL;
}

int crypto_hmac_sm3(const void *key, size_t keylen, const void *data, size_t n,
                    unsigned char out[CRYPTO_SM3_LEN])
{
    int rc = -1;
    size_t len = 0;
    EVP_MAC_CTX *ctx = crypto_hmac_sm3_new(key, keylen);
    if (ctx == NULL)
        goto out;
    if (EVP_MAC_update(ctx, data, n) != 1)
        goto out;
    if (EVP_MAC_final(ctx, out, &len, CRYPTO_SM3_LEN) != 1 || len != CRYPTO_SM3_LEN)
        goto out;
    rc = 0;
out:
    EVP_MAC_CTX_free(ctx); /* frees (and cleanses) the keyed state */
    return rc;
}

/* A label is 1..64 printable ASCII characters: it is part of the key schedule, and a
 * stray byte would silently derive a different key. */
static int label_ok(const char *label)
{
    size_t n = 0;
    if (label == NULL)
        return 0;
    for (; label[n] != '\0'; n++)
        if (n >= 64 || label[n] < 0x21 || label[n] > 0x7e)
            return 0;
    return n > 0;
}

int crypto_kdf(const unsigned char master[CRYPTO_KEY_LEN], const char *label, void *out, size_t n)
{
    static const char salt[] = "onewindow.kdf.v1";
    EVP_KDF *kdf = NULL;
    EVP_KDF_CTX *ctx = NULL;
    OSSL_PARAM params[5];
    char digest[] = "SM3";
    int rc = -1;

    if (!label_ok(label) || n == 0 || n > 255 * CRYPTO_SM3_LEN)
        goto out;
    if ((kdf = EVP_KDF_fetch(NULL, "HKDF", NULL)) == NULL)
        goto out;
    if ((ctx = EVP_KDF_CTX_new(kdf)) == NULL)
        goto out;
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
    params[1] =
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)master, CRYPTO_KEY_LEN);
    params[2] =
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, sizeof(salt) - 1);
    params[3] =
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)label, strlen(label));
    params[4] = OSSL_PARAM_construct_end();
    if (EVP_KDF_derive(ctx, out, n, params) != 1) {
        OPENSSL_cleanse(out, n);
        goto out;
    }
    rc = 0;
out:
    EVP_KDF_CTX_free(ctx); /* cleanses the copy of the key it holds */
    EVP_KDF_free(kdf);
    return rc;
}

/* A digest context for an SM2 signature or verification with the default ID. On success
 * *pctx_out is the key context the caller frees after the digest context. */
static EVP_MD_CTX *sm2_md_ctx(const struct crypto_key *key, int sign, EVP_PKEY_CTX **pctx_out)
{
    EVP_MD_CTX *mctx = NULL;
    EVP_PKEY_CTX *pctx = NULL;
    int ok;

    if ((mctx = EVP_MD_CTX_new()) == NULL)
        goto fail;
    if ((pctx = EVP_PKEY_CTX_new_from_pkey(NULL, key->pkey, NULL)) == NULL)
        goto fail;
    if (EVP_PKEY_CTX_set1_id(pctx, CRYPTO_SM2_DEFAULT_ID, CRYPTO_SM2_DEFAULT_ID_LEN) <= 0)
        goto fail;
    EVP_MD_CTX_set_pkey_ctx(mctx, pctx);
    if (sign)
        ok = EVP_DigestSignInit_ex(mctx, NULL, "SM3", NULL, NULL, key->pkey, NULL);
    else
        ok = EVP_DigestVerifyInit_ex(mctx, NULL, "SM3", NULL, NULL, key->pkey, NULL);
    if (ok != 1)
        goto fail;
    *pctx_out = pctx;
    return mctx;
fail:
    EVP_MD_CTX_free(mctx);
    EVP_PKEY_CTX_free(pctx);
    return NULL;
}

int crypto_sm2_sign(const struct crypto_key *key, const void *msg, size_t n, unsigned char *sig,
                    size_t sig_size, size_t *sig_len)
{
    EVP_PKEY_CTX *pctx = NULL;
    EVP_MD_CTX *mctx = NULL;
    size_t len = 0;
    int rc = -1;

    if (key->type != CRYPTO_KEY_SM2 || !key->has_private)
        goto out;
    if ((mctx = sm2_md_ctx(key, 1, &pctx)) == NULL)
        goto out;
    /* Ask for the maximum size first: EVP_DigestSign fails on a short buffer. */
    if (EVP_DigestSign(mctx, NULL, &len, msg, n) != 1 || len > sig_size)
        goto out;
    if (EVP_DigestSign(mctx, sig, &len, msg, n) != 1)
        goto out;
    *sig_len = len;
    rc = 0;
out:
    EVP_MD_CTX_free(mctx);
    EVP_PKEY_CTX_free(pctx);
    return rc;
}

int crypto_sm2_verify(const struct crypto_key *key, const void *msg, size_t n,
                      const unsigned char *sig, size_t sig_len)
{
    EVP_PKEY_CTX *pctx = NULL;
    EVP_MD_CTX *mctx = NULL;
    int rc = -1;

    if (key->type != CRYPTO_KEY_SM2 || sig_len == 0 || sig_len > CRYPTO_SM2_SIG_MAX)
        goto out;
    if ((mctx = sm2_md_ctx(key, 0, &pctx)) == NULL)
        goto out;
    /* 1 is valid; 0 is a wrong signature; <0 a malformed one. Only 1 passes. */
    if (EVP_DigestVerify(mctx, sig, sig_len, msg, n) == 1)
        rc = 0;
out:
    if (rc != 0)
        ERR_clear_error(); /* a bad signature is input, not a library fault */
    EVP_MD_CTX_free(mctx);
    EVP_PKEY_CTX_free(pctx);
    return rc;
}

/* ---- OpenSSL access for X.509 work (src/seals) ------------------------------------- */

struct evp_pkey_st *crypto_key_evp(const struct crypto_key *key)
{
    return key == NULL ? NULL : key->pkey;
}

int crypto_key_from_evp(enum crypto_key_type type, struct evp_pkey_st *pkey,
                        struct crypto_key **out)
{
    if (pkey == NULL || EVP_PKEY_up_ref(pkey) != 1)
        return -1;
    struct crypto_key *k = crypto_key_wrap(type, pkey, NULL);
    if (k == NULL)
        return -1;
    *out = k;
    return 0;
}

void *crypto_sm2_md_ctx(const struct crypto_key *key, int sign, void **pkey_ctx)
{
    if (key == NULL || key->type != CRYPTO_KEY_SM2 || (sign && !key->has_private))
        return NULL;
    EVP_PKEY_CTX *pctx = NULL;
    EVP_MD_CTX *m = sm2_md_ctx(key, sign, &pctx);
    *pkey_ctx = pctx;
    return m;
}

void crypto_sm2_md_ctx_free(void *md_ctx, void *pkey_ctx)
{
    EVP_MD_CTX_free(md_ctx);
    EVP_PKEY_CTX_free(pkey_ctx);
}
