/*
 * crypto_pkey.c - asymmetric keys (struct crypto_key): generation, PEM and hex import
 * and export, for the two curves the platform uses: P-256 (ES256, for JOSE) and the SM2
 * curve (seals, certificates, signed records). Signing lives with its users:
 * crypto_sm.c (SM2) and crypto_jose.c (ES256).
 *
 * Every import checks that the key is of the expected type and on the expected curve, so
 * an SM2 key can never be used where a P-256 key is expected, nor the reverse. A key is
 * immutable once wrapped; the kid of an ES256 key is computed then.
 */
#include "crypto/crypto_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#define PEM_MAX 65536 /* far above any EC key PEM */

/* OpenSSL's names for the two key types and their curves. */
static const char *type_algorithm(enum crypto_key_type type)
{
    return type == CRYPTO_KEY_SM2 ? "SM2" : "EC";
}

static const char *type_group(enum crypto_key_type type)
{
    return type == CRYPTO_KEY_SM2 ? "SM2" : "prime256v1";
}

static int type_nid(enum crypto_key_type type)
{
    return type == CRYPTO_KEY_SM2 ? NID_sm2 : NID_X9_62_prime256v1;
}

static int type_ok(enum crypto_key_type type)
{
    return type == CRYPTO_KEY_ES256 || type == CRYPTO_KEY_SM2;
}

/* 1 if `pkey` is a key of `type`: the right algorithm and the right curve. */
static int pkey_is(const EVP_PKEY *pkey, enum crypto_key_type type)
{
    char group[64];
    size_t len = 0;
    if (!EVP_PKEY_is_a(pkey, type_algorithm(type)))
        return 0;
    if (EVP_PKEY_get_group_name(pkey, group, sizeof(group), &len) != 1)
        return 0;
    return strcmp(group, type_group(type)) == 0;
}

struct crypto_key *crypto_key_wrap(enum crypto_key_type type, EVP_PKEY *pkey, const char *kid)
{
    struct crypto_key *key = NULL;
    BIGNUM *d = NULL;

    if (pkey == NULL || !type_ok(type) || !pkey_is(pkey, type))
        goto fail;
    if ((key = calloc(1, sizeof(*key))) == NULL)
        goto fail;
    key->type = type;
    key->pkey = pkey;
    /* The private scalar is readable exactly when the key holds it. */
    if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_PRIV_KEY, &d) == 1 && d != NULL)
        key->has_private = 1;
    BN_clear_free(d);
    ERR_clear_error(); /* the probe above fails for public keys by design */
    if (type == CRYPTO_KEY_ES256) {
        if (kid != NULL) {
            size_t n = strlen(kid);
            if (n >= sizeof(key->kid))
                goto fail;
            memcpy(key->kid, kid, n + 1);
        } else if (crypto_jwk_thumbprint(key, key->kid, NULL, 0) != 0) {
            goto fail;
        }
    }
    return key;
fail:
    if (key != NULL)
        key->pkey = NULL;
    free(key);
    EVP_PKEY_free(pkey);
    return NULL;
}

struct crypto_key *crypto_key_share(const struct crypto_key *key)
{
    struct crypto_key *k = key ? malloc(sizeof(*k)) : NULL;
    if (k == NULL)
        return NULL;
    if (EVP_PKEY_up_ref(key->pkey) != 1) {
        free(k);
        return NULL;
    }
    memcpy(k, key, sizeof(*k));
    return k;
}

void crypto_key_free(struct crypto_key *key)
{
    if (key == NULL)
        return;
    EVP_PKEY_free(key->pkey); /* clears the private scalar */
    OPENSSL_cleanse(key, sizeof(*key));
    free(key);
}

enum crypto_key_type crypto_key_type(const struct crypto_key *key)
{
    return key->type;
}

int crypto_key_has_private(const struct crypto_key *key)
{
    return key->has_private;
}

int crypto_key_generate(enum crypto_key_type type, struct crypto_key **out)
{
    EVP_PKEY_CTX *ctx = NULL;
    EVP_PKEY *pkey = NULL;
    int rc = -1;

    *out = NULL;
    if (!type_ok(type))
        goto out;
    if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, type_algorithm(type), NULL)) == NULL)
        goto out;
    if (EVP_PKEY_keygen_init(ctx) != 1)
        goto out;
    if (EVP_PKEY_CTX_set_group_name(ctx, type_group(type)) != 1)
        goto out;
    if (EVP_PKEY_generate(ctx, &pkey) != 1)
        goto out;
    if ((*out = crypto_key_wrap(type, pkey, NULL)) == NULL)
        goto out;
    rc = 0;
out:
    EVP_PKEY_CTX_free(ctx);
    return rc;
}

/* Never prompt for a passphrase (OpenSSL's default callback reads the terminal): an
 * encrypted PEM is simply refused. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    return -1;
}

int crypto_key_from_pem(enum crypto_key_type type, const char *pem, size_t len,
                        struct crypto_key **out, struct err *err)
{
    BIO *bio = NULL;
    EVP_PKEY *pkey = NULL;
    int rc = -1;

    *out = NULL;
    if (!type_ok(type) || len == 0 || len > PEM_MAX) {
        err_set(err, 400, "crypto.bad_key", "The key is empty or too long for a PEM key.");
        goto out;
    }
    /* A private key first, then a public one; each attempt reads a fresh BIO. */
    if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL)
        goto oom;
    pkey = PEM_read_bio_PrivateKey_ex(bio, NULL, no_passphrase, NULL, NULL, NULL);
    BIO_free(bio);
    bio = NULL;
    if (pkey == NULL) {
        if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL)
            goto oom;
        pkey = PEM_read_bio_PUBKEY_ex(bio, NULL, no_passphrase, NULL, NULL, NULL);
    }
    if (pkey == NULL) {
        err_set(err, 400, "crypto.bad_key",
                "The text is not an unencrypted PEM private key or PEM public key.");
        goto out;
    }
    if (!pkey_is(pkey, type)) {
        err_set(err, 400, "crypto.bad_key", "The PEM key is not a %s key.",
                type == CRYPTO_KEY_SM2 ? "SM2" : "P-256 (ES256)");
        EVP_PKEY_free(pkey);
        goto out;
    }
    if ((*out = crypto_key_wrap(type, pkey, NULL)) == NULL)
        goto oom;
    rc = 0;
    goto out;
oom:
    err_set(err, 500, "crypto.error", "Out of memory or a library failure reading a key.");
out:
    BIO_free(bio);
    ERR_clear_error();
    return rc;
}

EVP_PKEY *crypto_pkey_from_point(enum crypto_key_type type,
                                 const unsigned char point[CRYPTO_POINT_LEN])
{
    EVP_PKEY_CTX *ctx = NULL, *check = NULL;
    EVP_PKEY *pkey = NULL;
    OSSL_PARAM params[3];
    char group[16];

    if (!type_ok(type) || point[0] != 0x04)
        goto fail;
    snprintf(group, sizeof(group), "%s", type_group(type));
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0);
    params[1] =
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)point, CRYPTO_POINT_LEN);
    params[2] = OSSL_PARAM_construct_end();
    if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, type_algorithm(type), NULL)) == NULL)
        goto fail;
    if (EVP_PKEY_fromdata_init(ctx) != 1)
        goto fail;
    if (EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
        goto fail;
    /* The point must be on the curve and not the point at infinity. */
    if ((check = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL)) == NULL)
        goto fail;
    if (EVP_PKEY_public_check(check) != 1)
        goto fail;
    EVP_PKEY_CTX_free(check);
    EVP_PKEY_CTX_free(ctx);
    return pkey;
fail:
    EVP_PKEY_CTX_free(check);
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(pkey);
    ERR_clear_error();
    return NULL;
}

int crypto_key_from_public_hex(enum crypto_key_type type, const char *hex, struct crypto_key **out,
                               struct err *err)
{
    unsigned char point[CRYPTO_POINT_LEN];
    size_t n = 0;
    EVP_PKEY *pkey = NULL;

    *out = NULL;
    if (crypto_hex_decode(hex, strlen(hex), point, sizeof(point), &n) != 0 ||
        n != CRYPTO_POINT_LEN || point[0] != 0x04)
        return err_set(err, 400, "crypto.bad_key",
                       "A public key must be 130 hex characters: 04, then x and y.");
    if ((pkey = crypto_pkey_from_point(type, point)) == NULL)
        return err_set(err, 400, "crypto.bad_key", "The public key is not a point on the curve.");
    if ((*out = crypto_key_wrap(type, pkey, NULL)) == NULL)
        return err_set(err, 500, "crypto.error", "Out of memory wrapping a key.");
    return 0;
}

int crypto_key_from_private_hex(enum crypto_key_type type, const char *hex, struct crypto_key **out,
                                struct err *err)
{
    unsigned char scalar[32], point[CRYPTO_POINT_LEN];
    size_t n = 0;
    BIGNUM *d = NULL, *limit = NULL;
    EC_GROUP *group = NULL;
    EC_POINT *pub = NULL;
    OSSL_PARAM_BLD *bld = NULL;
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    EVP_PKEY *pkey = NULL;
    int rc = -1;

    *out = NULL;
    if (!type_ok(type) || crypto_hex_decode(hex, strlen(hex), scalar, sizeof(scalar), &n) != 0 ||
        n != sizeof(scalar)) {
        err_set(err, 400, "crypto.bad_key", "A private key must be 64 hex characters.");
        goto out;
    }
    if ((d = BN_secure_new()) == NULL || BN_bin2bn(scalar, sizeof(scalar), d) == NULL)
        goto fail;
    if ((group = EC_GROUP_new_by_curve_name(type_nid(type))) == NULL)
        goto fail;
    /* 1 <= d < n, and for SM2 d < n - 1 (signing inverts 1 + d, GB/T 32918.2 §6.1). */
    if ((limit = BN_dup(EC_GROUP_get0_order(group))) == NULL)
        goto fail;
    if (type == CRYPTO_KEY_SM2 && BN_sub_word(limit, 1) != 1)
        goto fail;
    if (BN_is_zero(d) || BN_cmp(d, limit) >= 0) {
        err_set(err, 400, "crypto.bad_key", "The private key is out of range for the curve.");
        goto out;
    }
    if ((pub = EC_POINT_new(group)) == NULL)
        goto fail;
    if (EC_POINT_mul(group, pub, d, NULL, NULL, NULL) != 1)
        goto fail;
    if (EC_POINT_point2oct(group, pub, POINT_CONVERSION_UNCOMPRESSED, point, sizeof(point), NULL) !=
        sizeof(point))
        goto fail;
    if ((bld = OSSL_PARAM_BLD_new()) == NULL)
        goto fail;
    if (OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, type_group(type), 0) !=
            1 ||
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d) != 1 ||
        OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point)) != 1)
        goto fail;
    if ((params = OSSL_PARAM_BLD_to_param(bld)) == NULL)
        goto fail;
    if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, type_algorithm(type), NULL)) == NULL)
        goto fail;
    if (EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_KEYPAIR, params) != 1)
        goto fail;
    if ((*out = crypto_key_wrap(type, pkey, NULL)) == NULL)
        goto fail;
    rc = 0;
    goto out;
fail:
    err_set(err, 500, "crypto.error", "A library failure while importing a private key.");
out:
    OPENSSL_cleanse(scalar, sizeof(scalar));
    /* `d` is a secure BIGNUM, so the builder put its copy in the secure block, which
     * OSSL_PARAM_free releases with OPENSSL_secure_clear_free. */
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    EVP_PKEY_CTX_free(ctx);
    EC_POINT_free(pub);
    EC_GROUP_free(group);
    BN_free(limit);
    BN_clear_free(d);
    ERR_clear_error();
    return rc;
}

int crypto_key_point(const struct crypto_key *key, unsigned char out[CRYPTO_POINT_LEN])
{
    BIGNUM *x = NULL, *y = NULL;
    int rc = -1;

    if (EVP_PKEY_get_bn_param(key->pkey, OSSL_PKEY_PARAM_EC_PUB_X, &x) != 1 ||
        EVP_PKEY_get_bn_param(key->pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &y) != 1)
        goto out;
    out[0] = 0x04;
    if (BN_bn2binpad(x, out + 1, 32) != 32 || BN_bn2binpad(y, out + 33, 32) != 32)
        goto out;
    rc = 0;
out:
    BN_free(x);
    BN_free(y);
    return rc;
}

int crypto_key_public_hex(const struct crypto_key *key, char out[CRYPTO_PUBLIC_HEX_SIZE])
{
    unsigned char point[CRYPTO_POINT_LEN];
    if (crypto_key_point(key, point) != 0)
        return -1;
    return crypto_hex_encode(point, sizeof(point), out, CRYPTO_PUBLIC_HEX_SIZE) < 0 ? -1 : 0;
}

/* Copy a memory BIO's contents into a NUL-terminated malloc'd string. */
static int bio_take(BIO *bio, char **pem, size_t *len)
{
    char *data = NULL;
    long n = BIO_get_mem_data(bio, &data);
    if (n <= 0 || data == NULL)
        return -1;
    if ((*pem = malloc((size_t)n + 1)) == NULL)
        return -1;
    memcpy(*pem, data, (size_t)n);
    (*pem)[n] = '\0';
    if (len != NULL)
        *len = (size_t)n;
    return 0;
}

int crypto_key_private_pem(const struct crypto_key *key, char **pem, size_t *len)
{
    BIO *bio = NULL;
    int rc = -1;

    *pem = NULL;
    if (!key->has_private)
        goto out;
    /* A secure-heap memory BIO: its buffer is cleansed when freed. */
    if ((bio = BIO_new(BIO_s_secmem())) == NULL)
        goto out;
    if (PEM_write_bio_PrivateKey(bio, key->pkey, NULL, NULL, 0, NULL, NULL) != 1)
        goto out;
    rc = bio_take(bio, pem, len);
out:
    BIO_free(bio);
    return rc;
}

int crypto_key_public_pem(const struct crypto_key *key, char **pem, size_t *len)
{
    BIO *bio = NULL;
    int rc = -1;

    *pem = NULL;
    if ((bio = BIO_new(BIO_s_mem())) == NULL)
        goto out;
    if (PEM_write_bio_PUBKEY(bio, key->pkey) != 1)
        goto out;
    rc = bio_take(bio, pem, len);
out:
    BIO_free(bio);
    return rc;
}
