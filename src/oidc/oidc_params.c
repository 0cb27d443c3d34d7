/*
 * oidc_params.c - the protocol's small values, checked exactly: random tokens and their
 * stored hashes, refresh token syntax, PKCE S256 (RFC 7636), scope strings (RFC 6749
 * §3.3), exact URI lists, pairwise subjects (OIDC Core §8.1), client credentials from an
 * "Authorization: Basic" header (RFC 6749 §2.3.1), and the login-request mark. Pure
 * functions but for the keys they take from the handle.
 */
#include "oidc/oidc_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "base/arena.h"

#define BASIC_MAX 2048 /* longest Basic credentials accepted */

/* ---- random values, hashes, PKCE -------------------------------------------------------- */

int oidc_random_token(char out[OIDC_TOKEN_SIZE])
{
    unsigned char raw[32];
    int rc = crypto_random(raw, sizeof(raw)) == 0 &&
                     crypto_b64url_encode(raw, sizeof(raw), out, OIDC_TOKEN_SIZE) == 43
                 ? 0
                 : -1;
    crypto_wipe(raw, sizeof(raw));
    return rc;
}

int oidc_token_hash(const char *token, char out[OIDC_HASH_SIZE])
{
    unsigned char h[CRYPTO_SM3_LEN];
    if (crypto_sm3(token, strlen(token), h) < 0)
        return -1;
    return crypto_hex_encode(h, sizeof(h), out, OIDC_HASH_SIZE) < 0 ? -1 : 0;
}

int64_t oidc_refresh_grant(const char *token)
{
    const char *dot = token ? strchr(token, '.') : NULL;
    size_t digits = dot ? (size_t)(dot - token) : 0;
    if (digits == 0 || digits > 18 || strspn(token, "0123456789") != digits ||
        strlen(dot + 1) != OIDC_TOKEN_SIZE - 1)
        return 0;
    for (const char *p = dot + 1; *p; p++)
        if (!(isalnum((unsigned char)*p) || *p == '-' || *p == '_'))
            return 0;
    return strtoll(token, NULL, 10);
}

static int b64url_char(int c)
{
    return isalnum(c) || c == '-' || c == '_';
}

int oidc_pkce_verifier_valid(const char *v)
{
    size_t n = v ? strlen(v) : 0;
    if (n < 43 || n > 128)
        return 0;
    for (const char *p = v; *p; p++)
        if (!(isalnum((unsigned char)*p) || *p == '-' || *p == '.' || *p == '_' || *p == '~'))
            return 0;
    return 1;
}

int oidc_pkce_challenge_valid(const char *c)
{
    if (c == NULL || strlen(c) != 43)
        return 0;
    for (const char *p = c; *p; p++)
        if (!b64url_char((unsigned char)*p))
            return 0;
    return 1;
}

/* SHA-256, which PKCE S256 (RFC 7636 §4.2) prescribes. The crypto module has no public
 * SHA-256 yet; this is the only direct use of OpenSSL in the module. */
static int sha256(const void *data, size_t n, unsigned char out[32])
{
    unsigned int len = 0;
    return EVP_Digest(data, n, out, &len, EVP_sha256(), NULL) == 1 && len == 32 ? 0 : -1;
}

int oidc_pkce_challenge(const char *verifier, char out[44])
{
    unsigned char h[32];
    if (!oidc_pkce_verifier_valid(verifier) || sha256(verifier, strlen(verifier), h) < 0 ||
        crypto_b64url_encode(h, sizeof(h), out, 44) != 43)
        return -1;
    return 0;
}

int oidc_pkce_check(const char *verifier, const char *challenge)
{
    unsigned char h[32];
    char enc[CRYPTO_B64URL_LEN(32) + 1];
    if (!oidc_pkce_verifier_valid(verifier) || !oidc_pkce_challenge_valid(challenge) ||
        sha256(verifier, strlen(verifier), h) < 0 ||
        crypto_b64url_encode(h, sizeof(h), enc, sizeof(enc)) != 43)
        return -1;
    return crypto_equal(enc, challenge, 43) ? 0 : -1;
}

/* ---- scopes and lists -------------------------------------------------------------------- */

int oidc_word_in(const char *list, const char *word)
{
    size_t n = strlen(word);
    if (list == NULL || n == 0)
        return 0;
    for (const char *p = list; (p = strstr(p, word)) != NULL; p += n)
        if ((p == list || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' '))
            return 1;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int oidc_scope_normalize(struct arena *a, const char *in, const char **out)
{
    size_t len = in ? strlen(in) : 0;
    if (len > OIDC_MAX_SCOPE)
        return -1;
    char *copy = arena_strndup(a, in ? in : "", len);
    const char **words = arena_alloc(a, (len / 2 + 1) * sizeof(*words));
    char *joined = arena_alloc(a, len + 1);
    size_t n = 0;
    if (copy == NULL || words == NULL || joined == NULL)
        return -1;
    for (char *p = copy; *p;) {
        while (*p == ' ')
            *p++ = '\0';
        if (*p == '\0')
            break;
        words[n++] = p;
        while (*p && *p != ' ') {
            /* scope-token = 1*( %x21 / %x23-5B / %x5D-7E ) (RFC 6749 §3.3) */
            unsigned char ch = (unsigned char)*p;
            if (ch < 0x21 || ch > 0x7e || ch == '"' || ch == '\\')
                return -1;
            p++;
        }
    }
    qsort(words, n, sizeof(*words), cmp_str);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && strcmp(words[i], words[i - 1]) == 0)
            continue;
        if (o > 0)
            joined[o++] = ' ';
        size_t w = strlen(words[i]);
        memcpy(joined + o, words[i], w);
        o += w;
    }
    joined[o] = '\0';
    *out = joined;
    return 0;
}

int oidc_scope_subset(const char *sub, const char *super)
{
    char word[OIDC_MAX_SCOPE + 1];
    for (const char *p = sub; p && *p;) {
        while (*p == ' ')
            p++;
        size_t n = strcspn(p, " ");
        if (n == 0)
            break;
        if (n > OIDC_MAX_SCOPE)
            return 0;
        memcpy(word, p, n);
        word[n] = '\0';
        if (!oidc_word_in(super, word))
            return 0;
        p += n;
    }
    return 1;
}

const char *oidc_scope_union(struct arena *a, const char *x, const char *y)
{
    const char *out = NULL;
    char *both = arena_printf(a, "%s %s", x ? x : "", y ? y : "");
    if (both == NULL || strlen(both) > OIDC_MAX_SCOPE || oidc_scope_normalize(a, both, &out) < 0)
        return NULL;
    return out;
}

int oidc_uri_listed(const char *uri, const char *const *list, size_t n)
{
    for (size_t i = 0; uri != NULL && i < n; i++)
        if (strcmp(uri, list[i]) == 0)
            return 1;
    return 0;
}

/* ---- subjects, client credentials, login marks -------------------------------------------- */

int oidc_pairwise_sub(const struct oidc *o, const char *client_id, int64_t account_id,
                      char out[OIDC_SUB_SIZE])
{
    /* sub = BASE64URL(HMAC-SM3(key, client_id NUL account id)): stable for one client,
     * unlinkable between clients (OIDC Core §8.1), not reversible without the key. */
    char msg[OIDC_CLIENT_ID_SIZE + 32];
    int n = snprintf(msg, sizeof(msg), "%s%c%lld", client_id, 0, (long long)account_id);
    unsigned char mac[CRYPTO_SM3_LEN];
    if (n < 0 || (size_t)n >= sizeof(msg) ||
        crypto_hmac_sm3(o->pairwise_key, sizeof(o->pairwise_key), msg, (size_t)n, mac) < 0)
        return -1;
    return crypto_b64url_encode(mac, sizeof(mac), out, OIDC_SUB_SIZE) < 0 ? -1 : 0;
}

static int b64_value(int c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Standard base64 with padding (RFC 4648 §4), strictly: -1 on anything else. */
static int b64_decode(const char *in, size_t len, char *out, size_t *out_len)
{
    size_t o = 0;
    if (len == 0 || len % 4 != 0)
        return -1;
    for (size_t i = 0; i < len; i += 4) {
        int v[4], pad = 0;
        for (int k = 0; k < 4; k++) {
            if (in[i + k] == '=' && i + 4 == len && k >= 2) {
                v[k] = 0;
                pad++;
            } else if (pad > 0 || (v[k] = b64_value((unsigned char)in[i + k])) < 0) {
                return -1;
            }
        }
        uint32_t w =
            (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
        out[o++] = (char)(w >> 16);
        if (pad < 2)
            out[o++] = (char)(w >> 8);
        if (pad < 1)
            out[o++] = (char)w;
    }
    out[o] = '\0';
    *out_len = o;
    return 0;
}

static int hex_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* application/x-www-form-urlencoded decoding of one component, in place; -1 on a bad
 * escape or an encoded NUL. */
static int form_decode(char *s)
{
    char *w = s;
    for (char *r = s; *r; r++) {
        if (*r == '+') {
            *w++ = ' ';
        } else if (*r == '%') {
            int hi = hex_value((unsigned char)r[1]),
                lo = hi < 0 ? -1 : hex_value((unsigned char)r[2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                return -1;
            *w++ = (char)(hi << 4 | lo);
            r += 2;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
    return 0;
}

int oidc_basic_credentials(struct arena *a, const char *header, const char **id,
                           const char **secret)
{
    if (header == NULL || strncasecmp(header, "Basic ", 6) != 0)
        return -1;
    const char *b = header + 6;
    while (*b == ' ')
        b++;
    size_t len = strlen(b), n = 0;
    while (len > 0 && b[len - 1] == ' ')
        len--;
    if (len > BASIC_MAX)
        return -1;
    char *raw = arena_alloc(a, len / 4 * 3 + 1);
    if (raw == NULL || b64_decode(b, len, raw, &n) < 0 || memchr(raw, '\0', n) != NULL)
        return -1;
    char *colon = strchr(raw, ':');
    if (colon == NULL)
        return -1;
    *colon = '\0';
    if (form_decode(raw) < 0 || form_decode(colon + 1) < 0 || raw[0] == '\0')
        return -1;
    *id = raw;
    *secret = colon + 1;
    return 0;
}

json_t *oidc_jwt_peek(const char *token)
{
    const char *dot1 = token ? strchr(token, '.') : NULL;
    const char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    if (dot2 == NULL || strlen(token) > CRYPTO_JWS_MAX)
        return NULL;
    size_t len = (size_t)(dot2 - dot1 - 1), n = 0;
    unsigned char *buf = malloc(len + 1);
    json_t *j = NULL;
    if (buf != NULL && crypto_b64url_decode(dot1 + 1, len, buf, len + 1, &n) == 0)
        j = json_loadb((const char *)buf, n, JSON_REJECT_DUPLICATES, NULL);
    free(buf);
    if (j != NULL && !json_is_object(j)) {
        json_decref(j);
        j = NULL;
    }
    return j;
}

static int mark_mac(const struct oidc *o, int64_t ms, char out[33])
{
    char msg[48];
    unsigned char mac[CRYPTO_SM3_LEN];
    int n = snprintf(msg, sizeof(msg), "login-mark:%lld", (long long)ms);
    if (crypto_hmac_sm3(o->mark_key, sizeof(o->mark_key), msg, (size_t)n, mac) < 0)
        return -1;
    /* 128 bits of the tag are plenty for a value that expires in minutes. */
    return crypto_hex_encode(mac, 16, out, 33) < 0 ? -1 : 0;
}

char *oidc_login_mark(const struct oidc *o, struct arena *a, int64_t ms)
{
    char mac[33];
    if (mark_mac(o, ms, mac) < 0)
        return NULL;
    return arena_printf(a, "%lld.%s", (long long)ms, mac);
}

int64_t oidc_login_mark_check(const struct oidc *o, const char *mark)
{
    char *end = NULL, mac[33];
    if (mark == NULL || !isdigit((unsigned char)mark[0]))
        return 0;
    long long ms = strtoll(mark, &end, 10);
    if (end == NULL || *end != '.' || strlen(end + 1) != 32 || mark_mac(o, ms, mac) < 0 ||
        !crypto_equal(mac, end + 1, 32))
        return 0;
    int64_t now = oidc_now(o);
    if (ms > now + 60000 || now - ms > OIDC_REAUTH_MAX_AGE_MS)
        return 0;
    return ms;
}
