/*
 * crypto_encode.c - randomness, constant-time comparison, wiping, and the two text
 * encodings the rest of the module needs: base64url (JOSE) and hex (SM2 tools, storage
 * of hashes). Decoders are strict because their input comes from outside: a token that
 * decodes from two different strings would make signatures malleable.
 */
#include "crypto/crypto.h"

#include <limits.h>
#include <stdlib.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

int crypto_random(void *buf, size_t n)
{
    unsigned char *p = buf;
    /* RAND_bytes takes an int: feed it in chunks. */
    while (n > 0) {
        int chunk = n > INT_MAX ? INT_MAX : (int)n;
        if (RAND_bytes(p, chunk) != 1)
            return -1;
        p += chunk;
        n -= (size_t)chunk;
    }
    return 0;
}

void crypto_wipe(void *p, size_t n)
{
    if (p != NULL && n > 0)
        OPENSSL_cleanse(p, n);
}

void crypto_free_secret(void *p, size_t n)
{
    if (p == NULL)
        return;
    OPENSSL_cleanse(p, n);
    free(p);
}

int crypto_equal(const void *a, const void *b, size_t n)
{
    return CRYPTO_memcmp(a, b, n) == 0;
}

static const char b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int crypto_b64url_encode(const void *in, size_t n, char *out, size_t out_size)
{
    const unsigned char *p = in;
    if (n > (SIZE_MAX / 4) * 3 - 3 || out_size < CRYPTO_B64URL_LEN(n) + 1)
        return -1;
    size_t o = 0, i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        out[o++] = b64url_alphabet[v >> 18];
        out[o++] = b64url_alphabet[(v >> 12) & 63];
        out[o++] = b64url_alphabet[(v >> 6) & 63];
        out[o++] = b64url_alphabet[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)p[i] << 16;
        out[o++] = b64url_alphabet[v >> 18];
        out[o++] = b64url_alphabet[(v >> 12) & 63];
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
        out[o++] = b64url_alphabet[v >> 18];
        out[o++] = b64url_alphabet[(v >> 12) & 63];
        out[o++] = b64url_alphabet[(v >> 6) & 63];
    }
    out[o] = '\0';
    return o > INT_MAX ? -1 : (int)o;
}

/* The 6-bit value of a base64url character, or -1. */
static int b64url_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

int crypto_b64url_decode(const char *in, size_t len, void *out, size_t out_size, size_t *out_len)
{
    unsigned char *o = out;
    size_t need = len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0);
    size_t k = 0;
    uint32_t acc = 0;
    int bits = 0;

    if (len % 4 == 1 || need > out_size)
        return -1;
    for (size_t i = 0; i < len; i++) {
        int v = b64url_value((unsigned char)in[i]);
        if (v < 0)
            goto fail;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            o[k++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    /* Left-over bits (2 or 4) must be zero: the canonical encoding only. */
    if (acc != 0)
        goto fail;
    *out_len = k;
    return 0;
fail:
    OPENSSL_cleanse(out, k); /* what was decoded may be part of a secret */
    return -1;
}

int crypto_hex_encode(const void *in, size_t n, char *out, size_t out_size)
{
    static const char digits[] = "0123456789abcdef";
    const unsigned char *p = in;
    if (n > (SIZE_MAX - 1) / 2 || out_size < 2 * n + 1 || 2 * n > INT_MAX)
        return -1;
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = '\0';
    return (int)(2 * n);
}

static int hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int crypto_hex_decode(const char *in, size_t len, void *out, size_t out_size, size_t *out_len)
{
    unsigned char *o = out;
    if (len % 2 != 0 || len / 2 > out_size)
        return -1;
    for (size_t i = 0; i < len / 2; i++) {
        int hi = hex_value((unsigned char)in[2 * i]);
        int lo = hex_value((unsigned char)in[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            OPENSSL_cleanse(out, i);
            return -1;
        }
        o[i] = (unsigned char)(hi << 4 | lo);
    }
    *out_len = len / 2;
    return 0;
}

int crypto_base64_encode(const void *in, size_t n, char *out, size_t out_size)
{
    size_t need = 4 * ((n + 2) / 3) + 1;
    if (out_size < need || n > INT_MAX / 2)
        return -1;
    return EVP_EncodeBlock((unsigned char *)out, in, (int)n);
}
