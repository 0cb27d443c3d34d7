/*
 * crypto_aead.c - authenticated encryption of personal data at rest, and the keyed hash
 * that makes encrypted columns searchable by equality.
 *
 * OpenSSL 3.0 offers no SM4 AEAD mode (no GCM, CCM or XTS), so this is the generic
 * composition that is secure by construction: encrypt-then-MAC (Bellare-Namprempre) with
 * SM4-CTR and HMAC-SM3 under two keys derived separately. The format is in crypto.h and
 * docs/internals/crypto.md. Invariants: the MAC covers every stored byte (version, nonce,
 * ciphertext) and the associated data, length-prefixed so no two (ad, body) pairs share
 * a MAC input; opening checks the tag, in constant time, before decrypting anything.
 */
#include "crypto/crypto_internal.h"

#include <limits.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#define HEADER_LEN (1 + CRYPTO_AEAD_NONCE_LEN)

int crypto_aead_key_derive(const unsigned char master[CRYPTO_KEY_LEN], const char *enc_label,
                           const char *mac_label, struct crypto_aead_key *key)
{
    if (strcmp(enc_label, mac_label) == 0 ||
        crypto_kdf(master, enc_label, key->enc, sizeof(key->enc)) != 0 ||
        crypto_kdf(master, mac_label, key->mac, sizeof(key->mac)) != 0) {
        OPENSSL_cleanse(key, sizeof(*key));
        return -1;
    }
    return 0;
}

/* tag = HMAC-SM3(mac key, be64(adlen) || ad || body), body = version || nonce || ct. */
static int aead_tag(const struct crypto_aead_key *key, const void *ad, size_t adlen,
                    const unsigned char *body, size_t body_len,
                    unsigned char tag[CRYPTO_AEAD_TAG_LEN])
{
    unsigned char be[8];
    size_t len = 0;
    int rc = -1;
    EVP_MAC_CTX *ctx = crypto_hmac_sm3_new(key->mac, sizeof(key->mac));

    for (int i = 0; i < 8; i++)
        be[i] = (unsigned char)((uint64_t)adlen >> (56 - 8 * i));
    if (ctx == NULL)
        goto out;
    if (EVP_MAC_update(ctx, be, sizeof(be)) != 1)
        goto out;
    if (adlen > 0 && EVP_MAC_update(ctx, ad, adlen) != 1)
        goto out;
    if (EVP_MAC_update(ctx, body, body_len) != 1)
        goto out;
    if (EVP_MAC_final(ctx, tag, &len, CRYPTO_AEAD_TAG_LEN) != 1 || len != CRYPTO_AEAD_TAG_LEN)
        goto out;
    rc = 0;
out:
    EVP_MAC_CTX_free(ctx);
    return rc;
}

/* SM4-CTR over `n` bytes with the 16-byte initial counter block `iv` (encryption and
 * decryption are the same operation). */
static int sm4_ctr(const unsigned char key[16], const unsigned char iv[16], const unsigned char *in,
                   size_t n, unsigned char *out)
{
    EVP_CIPHER_CTX *ctx = NULL;
    int len = 0, fin = 0, rc = -1;

    if (n == 0)
        return 0;
    if (n > INT_MAX)
        goto out;
    if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
        goto out;
    if (crypto_cipher_sm4_ctr() == NULL ||
        EVP_EncryptInit_ex2(ctx, crypto_cipher_sm4_ctr(), key, iv, NULL) != 1)
        goto out;
    if (EVP_EncryptUpdate(ctx, out, &len, in, (int)n) != 1)
        goto out;
    if (EVP_EncryptFinal_ex(ctx, out + len, &fin) != 1 || (size_t)len + (size_t)fin != n)
        goto out;
    rc = 0;
out:
    EVP_CIPHER_CTX_free(ctx); /* cleanses the key schedule */
    return rc;
}

int crypto_aead_seal(const struct crypto_aead_key *key, const void *ad, size_t adlen,
                     const void *pt, size_t n, unsigned char *out, size_t out_size, size_t *out_len)
{
    if (n > CRYPTO_AEAD_MAX_PLAINTEXT || adlen > CRYPTO_AEAD_MAX_AD || (ad == NULL && adlen > 0) ||
        (pt == NULL && n > 0) || out_size < n + CRYPTO_AEAD_OVERHEAD)
        return -1;
    out[0] = CRYPTO_AEAD_VERSION;
    if (crypto_random(out + 1, CRYPTO_AEAD_NONCE_LEN) != 0)
        goto fail;
    if (sm4_ctr(key->enc, out + 1, pt, n, out + HEADER_LEN) != 0)
        goto fail;
    if (aead_tag(key, ad, adlen, out, HEADER_LEN + n, out + HEADER_LEN + n) != 0)
        goto fail;
    *out_len = n + CRYPTO_AEAD_OVERHEAD;
    return 0;
fail:
    OPENSSL_cleanse(out, n + CRYPTO_AEAD_OVERHEAD);
    return -1;
}

int crypto_aead_open(const struct crypto_aead_key *key, const void *ad, size_t adlen,
                     const unsigned char *in, size_t n, unsigned char *out, size_t out_size,
                     size_t *out_len)
{
    unsigned char tag[CRYPTO_AEAD_TAG_LEN];
    size_t ct_len;
    int rc = -1;

    if (n < CRYPTO_AEAD_OVERHEAD || in[0] != CRYPTO_AEAD_VERSION ||
        n - CRYPTO_AEAD_OVERHEAD > CRYPTO_AEAD_MAX_PLAINTEXT || adlen > CRYPTO_AEAD_MAX_AD ||
        (ad == NULL && adlen > 0))
        goto out;
    ct_len = n - CRYPTO_AEAD_OVERHEAD;
    if (out_size < ct_len || (out == NULL && ct_len > 0))
        goto out;
    if (aead_tag(key, ad, adlen, in, HEADER_LEN + ct_len, tag) != 0)
        goto out;
    if (CRYPTO_memcmp(tag, in + HEADER_LEN + ct_len, sizeof(tag)) != 0)
        goto out;
    if (sm4_ctr(key->enc, in + 1, in + HEADER_LEN, ct_len, out) != 0) {
        OPENSSL_cleanse(out, ct_len);
        goto out;
    }
    *out_len = ct_len;
    rc = 0;
out:
    OPENSSL_cleanse(tag, sizeof(tag));
    return rc;
}

int crypto_lookup_hash(const unsigned char key[CRYPTO_KEY_LEN], const void *value, size_t n,
                       unsigned char out[CRYPTO_SM3_LEN])
{
    return crypto_hmac_sm3(key, CRYPTO_KEY_LEN, value, n, out);
}

int crypto_lookup_hash_hex(const unsigned char key[CRYPTO_KEY_LEN], const void *value, size_t n,
                           char out[2 * CRYPTO_SM3_LEN + 1])
{
    unsigned char mac[CRYPTO_SM3_LEN];
    int rc = -1;
    if (crypto_lookup_hash(key, value, n, mac) != 0)
        goto out;
    if (crypto_hex_encode(mac, sizeof(mac), out, 2 * CRYPTO_SM3_LEN + 1) < 0)
        goto out;
    rc = 0;
out:
    OPENSSL_cleanse(mac, sizeof(mac));
    return rc;
}
