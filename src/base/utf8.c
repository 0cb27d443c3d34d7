/* utf8.c - strict UTF-8 validation (RFC 3629 table 3-7 ranges) and NFC normalisation with
 * ICU; see utf8.h. */
#include "utf8.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>

#include "base/arena.h"

int utf8_valid(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        if (c == 0)
            return 0;
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        unsigned char lo = 0x80, hi = 0xbf;
        if (c >= 0xc2 && c <= 0xdf) {
            len = 2;
        } else if (c >= 0xe0 && c <= 0xef) {
            len = 3;
            if (c == 0xe0)
                lo = 0xa0; /* no overlongs */
            else if (c == 0xed)
                hi = 0x9f; /* no surrogates */
        } else if (c >= 0xf0 && c <= 0xf4) {
            len = 4;
            if (c == 0xf0)
                lo = 0x90;
            else if (c == 0xf4)
                hi = 0x8f; /* nothing above U+10FFFF */
        } else {
            return 0;
        }
        if (n - i < len)
            return 0;
        if (s[i + 1] < lo || s[i + 1] > hi)
            return 0;
        for (size_t k = 2; k < len; k++)
            if (s[i + k] < 0x80 || s[i + k] > 0xbf)
                return 0;
        i += len;
    }
    return 1;
}

char *utf8_nfc(const char *s, size_t n)
{
    if (!utf8_valid(s, n))
        return NULL;
    UErrorCode ec = U_ZERO_ERROR;
    const UNormalizer2 *nfc = unorm2_getNFCInstance(&ec);
    if (U_FAILURE(ec) || n > (size_t)INT32_MAX / 4)
        return NULL;
    int32_t len16 = 0;
    UChar *src = malloc((n + 1) * sizeof(UChar));
    UChar *dst = NULL;
    char *out = NULL;
    if (src == NULL)
        return NULL;
    u_strFromUTF8(src, (int32_t)n + 1, &len16, s, (int32_t)n, &ec);
    if (U_FAILURE(ec))
        goto done;
    /* NFC never grows a string by more than a factor of 3 (UAX #15). */
    int32_t cap = len16 * 3 + 1;
    dst = malloc((size_t)cap * sizeof(UChar));
    if (dst == NULL)
        goto done;
    int32_t dlen = unorm2_normalize(nfc, src, len16, dst, cap, &ec);
    if (U_FAILURE(ec))
        goto done;
    int32_t blen = 0;
    out = malloc((size_t)dlen * 3 + 1);
    if (out == NULL)
        goto done;
    u_strToUTF8(out, dlen * 3 + 1, &blen, dst, dlen, &ec);
    if (U_FAILURE(ec)) {
        free(out);
        out = NULL;
    }
done:
    free(src);
    free(dst);
    return out;
}

const char *utf8_nfc_in(struct arena *a, const char *s)
{
    size_t n = strlen(s);
    const unsigned char *p = (const unsigned char *)s;
    while (*p != 0 && *p < 0x80)
        p++;
    if (*p == 0)
        return s; /* ASCII is always in NFC */
    char *nfc = utf8_nfc(s, n);
    if (nfc == NULL)
        return NULL;
    const char *out = strcmp(nfc, s) == 0 ? s : arena_strdup(a, nfc);
    free(nfc);
    return out;
}
