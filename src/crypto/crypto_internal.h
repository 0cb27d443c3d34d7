/*
 * crypto_internal.h - what the files of src/crypto/ share and nothing else sees: the
 * definition of struct crypto_key and a few helpers. Public interface: crypto.h.
 */
#ifndef ONEWINDOW_CRYPTO_CRYPTO_INTERNAL_H
#define ONEWINDOW_CRYPTO_CRYPTO_INTERNAL_H

#include <openssl/evp.h>
#include <openssl/types.h>

#include "crypto/crypto.h"

/* The standard's default user ID for SM2 signatures (GB/T 35276 §5.2; FACTS.md). */
#define CRYPTO_SM2_DEFAULT_ID "1234567812345678"
#define CRYPTO_SM2_DEFAULT_ID_LEN 16

#define CRYPTO_POINT_LEN 65 /* uncompressed point: 0x04 || x (32) || y (32) */

struct crypto_key {
    enum crypto_key_type type;
    EVP_PKEY *pkey; /* owned; never modified after creation (shared by threads) */
    int has_private;
    char kid[CRYPTO_KID_SIZE]; /* ES256: JWK kid or the RFC 7638 thumbprint */
};

/* Wrap `pkey` (ownership passes in, also on failure) after checking it is a key of
 * `type` on the right curve; computes the kid of ES256 keys unless `kid` is given.
 * Returns NULL (and frees pkey) when it is not. */
struct crypto_key *crypto_key_wrap(enum crypto_key_type type, EVP_PKEY *pkey, const char *kid);

/* The uncompressed public point of a key. */
int crypto_key_point(const struct crypto_key *key, unsigned char out[CRYPTO_POINT_LEN]);

/* A public key of `type` from an uncompressed point (checked to be on the curve). */
EVP_PKEY *crypto_pkey_from_point(enum crypto_key_type type,
                                 const unsigned char point[CRYPTO_POINT_LEN]);

/* A keyed HMAC-SM3 context for a MAC over several pieces (EVP_MAC_update, then
 * EVP_MAC_final); the caller frees it with EVP_MAC_CTX_free. NULL on failure. */
EVP_MAC_CTX *crypto_hmac_sm3_new(const void *key, size_t keylen);

/* Algorithms fetched once per process (OpenSSL 3 otherwise repeats an implicit fetch, a
 * locked lookup in the provider store, on every EVP_sm3()/EVP_sm4_ctr() use and every
 * EVP_MAC_fetch: issue 19 measured it as the larger part of a verification's CPU). Never
 * NULL after the first call unless the provider lacks the algorithm; never freed. */
const EVP_MD *crypto_md_sm3(void);
const EVP_MD *crypto_md_sha256(void);
const EVP_CIPHER *crypto_cipher_sm4_ctr(void);
EVP_MAC *crypto_mac_hmac(void);

#endif
