/* form.c - urlencoded forms, query strings and paths; see form.h. */
#include "web/form.h"

#include <string.h>
#include <strings.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/utf8.h"
#include "crypto/crypto.h"

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
            unsigned char byte;
            size_t got;
            if (n - i < 3 || crypto_hex_decode(s + i + 1, 2, &byte, 1, &got) < 0)
                return NULL;
            out[o++] = (char)byte;
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

int web_form_parse(struct arena *a, const char *s, size_t n, size_t max_fields, struct web_kv **out,
                   size_t *count)
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

/* ---- multipart/form-data ------------------------------------------------------------------ */

const char *web_multipart_boundary(struct arena *a, const char *ct)
{
    if (ct == NULL || strncasecmp(ct, "multipart/form-data", 19) != 0)
        return NULL;
    const char *p = ct + 19;
    while (*p) {
        while (*p == ';' || *p == ' ' || *p == '\t')
            p++;
        if (strncasecmp(p, "boundary=", 9) == 0) {
            p += 9;
            size_t n;
            if (*p == '"') {
                const char *end = strchr(p + 1, '"');
                if (end == NULL)
                    return NULL;
                p++;
                n = (size_t)(end - p);
            } else {
                n = strcspn(p, "; \t");
            }
            if (n == 0 || n > 70)
                return NULL;
            for (size_t i = 0; i < n; i++)
                if ((unsigned char)p[i] < 0x20 || (unsigned char)p[i] > 0x7e)
                    return NULL;
            return arena_strndup(a, p, n);
        }
        p += strcspn(p, ";");
    }
    return NULL;
}

/* The value of a parameter (name="value" or name=value) in a Content-Disposition line
 * of `n` bytes, in the arena; NULL if absent. */
static char *disposition_param(struct arena *a, const char *line, size_t n, const char *name)
{
    size_t nl = strlen(name);
    for (size_t i = 0; i + nl + 1 < n; i++) {
        if ((i == 0 || line[i - 1] == ';' || line[i - 1] == ' ') &&
            strncasecmp(line + i, name, nl) == 0 && line[i + nl] == '=') {
            const char *v = line + i + nl + 1;
            size_t rest = n - (i + nl + 1), len;
            if (rest > 0 && *v == '"') {
                const char *end = memchr(v + 1, '"', rest - 1);
                if (end == NULL)
                    return NULL;
                v++;
                len = (size_t)(end - v);
            } else {
                len = 0;
                while (len < rest && v[len] != ';' && v[len] != ' ')
                    len++;
            }
            char *out = arena_strndup(a, v, len);
            if (out == NULL || memchr(v, '\0', len) != NULL || !utf8_valid(out, len))
                return NULL;
            return out;
        }
    }
    return NULL;
}

int web_multipart_parse(struct arena *a, const char *body, size_t n, const char *boundary,
                        size_t max_fields, struct web_kv **fields, size_t *nfields,
                        struct web_file **files, size_t *nfiles)
{
    *fields = NULL;
    *files = NULL;
    *nfields = *nfiles = 0;
    size_t bl = strlen(boundary);
    if (bl == 0 || bl > 70)
        return -1;
    char *delim = arena_alloc(a, bl + 5); /* "\r\n--" + boundary */
    struct web_kv *kv = arena_alloc(a, (max_fields ? max_fields : 1) * sizeof(*kv));
    struct web_file *fv = arena_alloc(a, WEB_MULTIPART_MAX_FILES * sizeof(*fv));
    if (delim == NULL || kv == NULL || fv == NULL)
        return -1;
    memcpy(delim, "\r\n--", 4);
    memcpy(delim + 4, boundary, bl);
    delim[bl + 4] = '\0';
    /* The first delimiter may open the body (no CRLF before it) or follow a preamble. */
    const char *p;
    if (n >= bl + 2 && memcmp(body, delim + 2, bl + 2) == 0) {
        p = body + bl + 2;
    } else {
        const char *d = memmem(body, n, delim, bl + 4);
        if (d == NULL)
            return -1;
        p = d + bl + 4;
    }
    const char *end = body + n;
    for (;;) {
        /* After a delimiter: "--" closes, CRLF opens a part. */
        if (end - p >= 2 && p[0] == '-' && p[1] == '-')
            break;
        if (end - p < 2 || p[0] != '\r' || p[1] != '\n')
            return -1;
        p += 2;
        const char *hend = memmem(p, (size_t)(end - p), "\r\n\r\n", 4);
        if (hend == NULL || hend - p > 8192)
            return -1;
        char *name = NULL, *filename = NULL, *ctype = NULL;
        const char *line = p;
        while (line < hend + 2) {
            const char *eol = memmem(line, (size_t)(hend + 2 - line), "\r\n", 2);
            if (eol == NULL)
                return -1;
            size_t ll = (size_t)(eol - line);
            if (ll > 20 && strncasecmp(line, "Content-Disposition:", 20) == 0) {
                const char *v = line + 20;
                size_t vl = ll - 20;
                while (vl > 0 && *v == ' ') {
                    v++;
                    vl--;
                }
                if (vl < 9 || strncasecmp(v, "form-data", 9) != 0)
                    return -1;
                name = disposition_param(a, v, vl, "name");
                filename = disposition_param(a, v, vl, "filename");
            } else if (ll > 13 && strncasecmp(line, "Content-Type:", 13) == 0) {
                const char *v = line + 13;
                size_t vl = ll - 13;
                while (vl > 0 && *v == ' ') {
                    v++;
                    vl--;
                }
                ctype = arena_strndup(a, v, vl);
            }
            line = eol + 2;
        }
        if (name == NULL || *name == '\0')
            return -1;
        const char *data = hend + 4;
        const char *d = memmem(data, (size_t)(end - data), delim, bl + 4);
        if (d == NULL)
            return -1;
        size_t dl = (size_t)(d - data);
        if (filename != NULL) {
            if (*nfiles == WEB_MULTIPART_MAX_FILES)
                return -1;
            /* Browsers of old sent a full path: keep the last component only. */
            const char *base = filename;
            for (const char *q = filename; *q; q++)
                if (*q == '/' || *q == '\\')
                    base = q + 1;
            fv[*nfiles] = (struct web_file){name, base, ctype ? ctype : "", data, dl};
            ++*nfiles;
        } else {
            if (*nfields == max_fields)
                return -1;
            char *v = arena_strndup(a, data, dl);
            if (v == NULL || memchr(data, '\0', dl) != NULL || !utf8_valid(v, dl))
                return -1;
            kv[*nfields] = (struct web_kv){name, v};
            ++*nfields;
        }
        p = d + bl + 4;
    }
    *fields = kv;
    *files = fv;
    return 0;
}
