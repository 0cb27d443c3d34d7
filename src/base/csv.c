/* csv.c - RFC 4180 reader; see csv.h. */
#include "base/csv.h"

#include "base/utf8.h"

void csv_init(struct csv *c, const char *text, size_t len)
{
    c->p = text;
    c->end = text + len;
    c->line = 0;
    /* A UTF-8 byte order mark is not data. */
    if (len >= 3 && (unsigned char)text[0] == 0xef && (unsigned char)text[1] == 0xbb &&
        (unsigned char)text[2] == 0xbf)
        c->p += 3;
}

int csv_next(struct csv *c, const char **fields)
{
    /* Skip blank lines. */
    while (c->p < c->end && (*c->p == '\n' || *c->p == '\r')) {
        if (*c->p == '\n')
            c->line++;
        c->p++;
    }
    if (c->p >= c->end)
        return 0;
    c->line++;
    size_t o = 0, start = 0;
    int n = 0;
    for (;;) {
        int quoted = c->p < c->end && *c->p == '"';
        if (quoted) {
            c->p++;
            for (;;) {
                if (c->p >= c->end)
                    return -1; /* unterminated quote */
                char ch = *c->p++;
                if (ch == '"') {
                    if (c->p < c->end && *c->p == '"') {
                        c->p++;
                    } else {
                        break;
                    }
                }
                if (o + 1 >= sizeof(c->buf))
                    return -1;
                c->buf[o++] = ch;
            }
        } else {
            while (c->p < c->end && *c->p != ',' && *c->p != '\n' && *c->p != '\r') {
                if (*c->p == '"' || o + 1 >= sizeof(c->buf))
                    return -1; /* a quote inside an unquoted field */
                c->buf[o++] = *c->p++;
            }
        }
        if (n == CSV_MAX_FIELDS || !utf8_valid(c->buf + start, o - start))
            return -1;
        c->buf[o++] = '\0';
        fields[n++] = c->buf + start;
        start = o;
        if (c->p >= c->end)
            return n;
        char ch = *c->p++;
        if (ch == ',')
            continue;
        if (ch == '\r' && c->p < c->end && *c->p == '\n')
            c->p++;
        if (ch == '\r' || ch == '\n')
            return n;
        return -1; /* text after a closing quote */
    }
}
