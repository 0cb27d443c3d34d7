/*
 * crypto_totp.c - second factors: TOTP (RFC 6238, through liboath) and recovery codes.
 *
 * TOTP here is the profile every authenticator app implements: HMAC-SHA-1, 30-second
 * steps counted from the Unix epoch, 6 digits (8 for the RFC's own vectors). Replay
 * protection needs state, so it is the caller's: crypto_totp_verify reports the step that
 * matched, and the caller accepts only steps above the last one it accepted.
 *
 * Recovery codes are for people who lost their phone, so they are made to be read aloud
 * and typed: Crockford's base32 (no i, l, o, u), lower case, two groups of five.
 */
#include "crypto/crypto_internal.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <liboath/oath.h>
#include <openssl/crypto.h>

#define MAX_WINDOW 10
#define MAX_SECRET 64

static pthread_once_t oath_once = PTHREAD_ONCE_INIT;
static int oath_ready;

static void oath_setup(void)
{
    oath_ready = oath_init() == OATH_OK;
}

static int oath_ok(void)
{
    return pthread_once(&oath_once, oath_setup) == 0 && oath_ready;
}

int crypto_totp_secret_new(unsigned char secret[CRYPTO_TOTP_SECRET_LEN])
{
    return crypto_random(secret, CRYPTO_TOTP_SECRET_LEN);
}

int crypto_totp_secret_base32(const unsigned char *secret, size_t n, char *out, size_t out_size)
{
    char *b32 = NULL;
    size_t len = 0;
    int rc = -1;

    if (n == 0 || n > MAX_SECRET || !oath_ok())
        goto out;
    if (oath_base32_encode((const char *)secret, n, &b32, &len) != OATH_OK)
        goto out;
    /* Authenticator apps want no padding. */
    while (len > 0 && b32[len - 1] == '=')
        len--;
    if (len + 1 > out_size)
        goto out;
    memcpy(out, b32, len);
    out[len] = '\0';
    rc = (int)len;
out:
    if (b32 != NULL)
        crypto_free_secret(b32, strlen(b32));
    return rc;
}

int crypto_totp_secret_decode(const char *b32, unsigned char *out, size_t max, size_t *n)
{
    char *bin = NULL;
    size_t len = 0;
    int rc = -1;

    if (b32 == NULL || strlen(b32) > 4 * MAX_SECRET || !oath_ok())
        return -1;
    /* liboath wants upper case; it ignores spaces and adds missing padding itself. */
    char up[4 * MAX_SECRET + 1];
    size_t i;
    for (i = 0; b32[i] != '\0'; i++)
        up[i] = (char)(b32[i] >= 'a' && b32[i] <= 'z' ? b32[i] - 32 : b32[i]);
    up[i] = '\0';
    if (oath_base32_decode(up, i, &bin, &len) != OATH_OK || len == 0 || len > max)
        goto out;
    memcpy(out, bin, len);
    *n = len;
    rc = 0;
out:
    if (bin != NULL)
        crypto_free_secret(bin, len);
    crypto_wipe(up, sizeof(up));
    return rc;
}

int crypto_totp_code(const unsigned char *secret, size_t n, int64_t now, unsigned digits, char *out)
{
    if (n == 0 || n > MAX_SECRET || now < 0 || digits < 6 || digits > 8 || !oath_ok())
        return -1;
    if (oath_totp_generate((const char *)secret, n, (time_t)now, CRYPTO_TOTP_PERIOD,
                           OATH_TOTP_DEFAULT_START_TIME, digits, out) != OATH_OK) {
        OPENSSL_cleanse(out, digits + 1);
        return -1;
    }
    return 0;
}

int crypto_totp_verify(const unsigned char *secret, size_t n, unsigned digits, const char *code,
                       int64_t now, unsigned window, int64_t *matched_step)
{
    char candidate[9];
    int rc = -1;

    if (code == NULL || digits < 6 || digits > 8 || window > MAX_WINDOW || now < 0 ||
        strlen(code) != digits)
        goto out;
    for (unsigned i = 0; i < digits; i++)
        if (code[i] < '0' || code[i] > '9')
            goto out;
    /* Current step first, then the nearest neighbours: the likeliest match wins. */
    for (int64_t k = 0; k <= 2 * (int64_t)window; k++) {
        int64_t off = (k + 1) / 2 * (k % 2 ? -1 : 1);
        int64_t t = now + off * CRYPTO_TOTP_PERIOD;
        if (t < 0)
            continue;
        if (crypto_totp_code(secret, n, t, digits, candidate) != 0)
            goto out;
        if (crypto_equal(candidate, code, digits)) {
            *matched_step = t / CRYPTO_TOTP_PERIOD;
            rc = 0;
            goto out;
        }
    }
out:
    OPENSSL_cleanse(candidate, sizeof(candidate));
    return rc;
}

/* Append `s` percent-encoded (RFC 3986 §2.3: all but unreserved characters). */
static int put_encoded(char *out, size_t out_size, size_t *o, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            if (*o + 1 >= out_size)
                return -1;
            out[(*o)++] = (char)c;
        } else {
            if (*o + 3 >= out_size)
                return -1;
            out[(*o)++] = '%';
            out[(*o)++] = hex[c >> 4];
            out[(*o)++] = hex[c & 15];
        }
    }
    out[*o] = '\0';
    return 0;
}

static int put_raw(char *out, size_t out_size, size_t *o, const char *s)
{
    size_t n = strlen(s);
    if (*o + n >= out_size)
        return -1;
    memcpy(out + *o, s, n + 1);
    *o += n;
    return 0;
}

int crypto_totp_uri(const char *issuer, const char *account, const char *secret_b32,
                    unsigned digits, char *out, size_t out_size)
{
    char tail[64];
    size_t o = 0;

    if (out_size == 0 || digits < 6 || digits > 8 || issuer[0] == '\0' || account[0] == '\0')
        return -1;
    for (const char *p = secret_b32; *p != '\0'; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= '2' && *p <= '7')))
            return -1;
    snprintf(tail, sizeof(tail), "&algorithm=SHA1&digits=%u&period=%d", digits, CRYPTO_TOTP_PERIOD);
    if (put_raw(out, out_size, &o, "otpauth://totp/") != 0 ||
        put_encoded(out, out_size, &o, issuer) != 0 || put_raw(out, out_size, &o, ":") != 0 ||
        put_encoded(out, out_size, &o, account) != 0 ||
        put_raw(out, out_size, &o, "?secret=") != 0 ||
        put_raw(out, out_size, &o, secret_b32) != 0 ||
        put_raw(out, out_size, &o, "&issuer=") != 0 ||
        put_encoded(out, out_size, &o, issuer) != 0 || put_raw(out, out_size, &o, tail) != 0) {
        OPENSSL_cleanse(out, out_size);
        return -1;
    }
    return (int)o;
}

/* Crockford's base32 in lower case: 32 symbols, so one random byte & 31 is uniform. */
static const char recovery_alphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";

int crypto_recovery_codes(char (*codes)[CRYPTO_RECOVERY_CODE_SIZE], size_t n)
{
    unsigned char rnd[10];
    int rc = -1;

    if (n == 0 || n > CRYPTO_RECOVERY_CODES_MAX)
        goto out;
    for (size_t i = 0; i < n; i++) {
        if (crypto_random(rnd, sizeof(rnd)) != 0) {
            OPENSSL_cleanse(codes, n * CRYPTO_RECOVERY_CODE_SIZE);
            goto out;
        }
        for (int k = 0, o = 0; k < 10; k++) {
            if (k == 5)
                codes[i][o++] = '-';
            codes[i][o++] = recovery_alphabet[rnd[k] & 31];
        }
        codes[i][CRYPTO_RECOVERY_CODE_SIZE - 1] = '\0';
    }
    rc = 0;
out:
    OPENSSL_cleanse(rnd, sizeof(rnd));
    return rc;
}

int crypto_recovery_code_normalize(const char *in, char out[CRYPTO_RECOVERY_CODE_SIZE])
{
    int k = 0, o = 0;
    for (size_t i = 0; in[i] != '\0'; i++) {
        int c = tolower((unsigned char)in[i]);
        if (i >= 64)
            goto fail;
        if (c == ' ' || c == '-')
            continue;
        if (c == 'o')
            c = '0';
        else if (c == 'i' || c == 'l')
            c = '1';
        if (c == '\0' || strchr(recovery_alphabet, c) == NULL || k == 10)
            goto fail;
        if (k == 5)
            out[o++] = '-';
        out[o++] = (char)c;
        k++;
    }
    if (k != 10)
        goto fail;
    out[o] = '\0';
    return 0;
fail:
    OPENSSL_cleanse(out, CRYPTO_RECOVERY_CODE_SIZE);
    return -1;
}

int crypto_recovery_code_hash(const unsigned char key[CRYPTO_KEY_LEN], const char *code,
                              unsigned char out[CRYPTO_SM3_LEN])
{
    char canonical[CRYPTO_RECOVERY_CODE_SIZE];
    int rc = -1;
    if (crypto_recovery_code_normalize(code, canonical) != 0)
        goto out;
    rc = crypto_hmac_sm3(key, CRYPTO_KEY_LEN, canonical, strlen(canonical), out);
out:
    OPENSSL_cleanse(canonical, sizeof(canonical));
    return rc;
}
