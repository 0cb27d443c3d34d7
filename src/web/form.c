/* form.c - urlencoded forms, query strings and paths; see form.h. */
#include "web/form.h"

#include <string.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/utf8.h"

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decode into a fresh arena string; plus_is_space for form data. */
static char *decode(struct arena *a, const char *s, size_t n, int plus_is_space)
{
    char *out = arena_alloc(a, n + 1);
    if (out == NULL)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '%') {
            int hi, lo;
            if (n - i < 3 || (hi = hexval(s[i + 1])) < 0 || (lo = hexval(s[i + 2])) < 0)
                return NULL;
            out[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else if (c == '+' && plus_is_space) {
            out[o++] = ' ';
        } else {
            out[o++] = c;
        }
    }
    out[o] = '\0';
    if (!utf8_valid(out, o))
        return NULL;
    return out;
}

int web_form_parse(struct arena *a, const char *s, size_t n, size_t max_fields,
                   struct web_kv **out, size_t *count)
{
    size_t pairs = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '&')
            pairs++;
    pairs++;
    if (pairs > max_fields)
        return -1;
    struct web_kv *kv = arena_alloc(a, pairs * sizeof(*kv));
    if (kv == NULL)
        return -1;
    size_t k = 0, start = 0;
    while (start <= n) {
        const char *amp = memchr(s + start, '&', n - start);
        size_t end = amp ? (size_t)(amp - s) : n;
        if (end > start) { /* empty pieces ("a=1&&b=2") are skipped, as WHATWG does */
            const char *eq = memchr(s + start, '=', end - start);
            size_t name_end = eq ? (size_t)(eq - s) : end;
            kv[k].name = decode(a, s + start, name_end - start, 1);
            kv[k].value = eq ? decode(a, eq + 1, end - name_end - 1, 1) : arena_strdup(a, "");
            if (kv[k].name == NULL || kv[k].value == NULL)
                return -1;
            k++;
        }
        start = end + 1;
    }
    *out = kv;
    *count = k;
    return 0;
}

const char *web_kv_get(const struct web_kv *kv, size_t count, const char *name)
{
    for (size_t i = 0; i < count; i++)
        if (strcmp(kv[i].name, name) == 0)
            return kv[i].value;
    return NULL;
}

char *web_path_decode(struct arena *a, const char *s, size_t n)
{
    return decode(a, s, n, 0);
}

int web_url_encode(struct buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        int keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '-' || c == '.' || c == '_' || c == '~';
        char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
        if ((keep ? buf_putc(b, (char)c) : buf_append(b, esc, 3)) < 0)
            return -1;
    }
    return 0;
}
