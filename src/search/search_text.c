/* search_text.c - the Unicode side of search: NFC (ICU), case folding, word characters,
 * query terms, bigram tokens and highlighted segments. */
#include "search/search_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/uchar.h>

#include "base/buf.h"
#include "base/utf8.h"

/* One normaliser for the platform: search compares what people typed with what modules
 * stored, and both went through utf8_nfc. */
char *search_nfc(const char *s, size_t n)
{
    return utf8_nfc(s, n);
}

int search_utf8_next(const char *s, uint32_t *cp)
{
    const unsigned char *p = (const unsigned char *)s;
    if (p[0] < 0x80) {
        *cp = p[0];
        return 1;
    }
    if ((p[0] & 0xe0) == 0xc0) {
        *cp = ((uint32_t)(p[0] & 0x1f) << 6) | (p[1] & 0x3f);
        return 2;
    }
    if ((p[0] & 0xf0) == 0xe0) {
        *cp = ((uint32_t)(p[0] & 0x0f) << 12) | ((uint32_t)(p[1] & 0x3f) << 6) | (p[2] & 0x3f);
        return 3;
    }
    *cp = ((uint32_t)(p[0] & 0x07) << 18) | ((uint32_t)(p[1] & 0x3f) << 12) |
          ((uint32_t)(p[2] & 0x3f) << 6) | (p[3] & 0x3f);
    return 4;
}

uint32_t search_fold(uint32_t cp)
{
    return (uint32_t)u_foldCase((UChar32)cp, U_FOLD_CASE_DEFAULT);
}

int search_is_word(uint32_t cp)
{
    return (U_GET_GC_MASK((UChar32)cp) &
            (U_GC_L_MASK | U_GC_M_MASK | U_GC_N_MASK | U_GC_CO_MASK)) != 0;
}

/* Whitespace, controls, format characters and the like separate terms. */
static int is_space(uint32_t cp)
{
    return (U_GET_GC_MASK((UChar32)cp) &
            (U_GC_Z_MASK | U_GC_CC_MASK | U_GC_CF_MASK | U_GC_CS_MASK | U_GC_CN_MASK)) != 0 ||
           cp == '\t' || cp == '\n' || cp == '\r';
}

int search_normalize_query(const char *q, char *out, size_t cap)
{
    if (cap == 0)
        return 0;
    out[0] = '\0';
    if (q == NULL)
        return 0;
    /* Cut first (enormous input costs nothing more), at a character boundary, then
     * validate: invalid UTF-8 is no query. NFC may change the number of characters (U+0F73
     * becomes two), so cut generously here and exactly after NFC: the result is then a
     * fixed point of this function. */
    size_t n = 0;
    int chars = 0;
    size_t qlen = strnlen(q, SEARCH_MAX_QUERY * 8 + 8);
    while (n < qlen && chars < 2 * SEARCH_MAX_QUERY) {
        unsigned char b = (unsigned char)q[n];
        size_t l = b < 0x80 ? 1 : (b & 0xe0) == 0xc0 ? 2 : (b & 0xf0) == 0xe0 ? 3 : 4;
        if (n + l > qlen)
            break;
        n += l;
        chars++;
    }
    if (chars < 2 * SEARCH_MAX_QUERY && n != qlen)
        return 0; /* ends in the middle of a character: not UTF-8 */
    char *nfc = search_nfc(q, n);
    if (nfc == NULL)
        return 0;
    size_t cut = 0;
    for (chars = 0; nfc[cut] != '\0' && chars < SEARCH_MAX_QUERY; chars++) {
        uint32_t cp;
        cut += (size_t)search_utf8_next(nfc + cut, &cp);
    }
    nfc[cut] = '\0';
    /* Collapse separators to one space, trim each term of leading and trailing non-word
     * characters (punctuation such as the tsheg, quotes, FTS operators' symbols). */
    size_t w = 0;
    int terms = 0;
    const char *p = nfc;
    while (*p != '\0' && terms < SEARCH_MAX_TERMS) {
        uint32_t cp;
        int l;
        while (*p != '\0' && (l = search_utf8_next(p, &cp), is_space(cp)))
            p += l;
        if (*p == '\0')
            break;
        const char *start = p;
        while (*p != '\0' && (l = search_utf8_next(p, &cp), !is_space(cp)))
            p += l;
        const char *end = p;
        /* trim non-word characters at both ends */
        while (start < end && (l = search_utf8_next(start, &cp), !search_is_word(cp)))
            start += l;
        while (end > start) {
            const char *b = end - 1;
            while (b > start && ((unsigned char)*b & 0xc0) == 0x80)
                b--;
            search_utf8_next(b, &cp);
            if (search_is_word(cp))
                break;
            end = b;
        }
        if (end == start)
            continue;
        size_t len = (size_t)(end - start);
        if (w + len + (terms > 0) + 1 > cap)
            break;
        if (terms > 0)
            out[w++] = ' ';
        memcpy(out + w, start, len);
        w += len;
        terms++;
    }
    out[w] = '\0';
    free(nfc);
    return terms;
}

void search_split_terms(const char *normalized, struct search_terms *t)
{
    t->n = 0;
    const char *p = normalized;
    while (*p != '\0' && t->n < SEARCH_MAX_TERMS) {
        while (*p == ' ')
            p++;
        if (*p == '\0')
            break;
        const char *e = strchr(p, ' ');
        size_t len = e != NULL ? (size_t)(e - p) : strlen(p);
        if (len >= sizeof(t->term[0]))
            len = sizeof(t->term[0]) - 1;
        memcpy(t->term[t->n], p, len);
        t->term[t->n][len] = '\0';
        int chars = 0;
        for (size_t i = 0; i < len; i++)
            chars += ((unsigned char)p[i] & 0xc0) != 0x80;
        t->chars[t->n] = chars;
        t->n++;
        p += len;
    }
}

char *search_bigrams(const char *text)
{
    struct buf b;
    buf_init(&b, (size_t)64 * 1024 * 1024);
    const char *p = text;
    uint32_t prev = 0;
    int have_prev = 0;
    char tok[32];
    while (1) {
        uint32_t cp = 0;
        int l = *p != '\0' ? search_utf8_next(p, &cp) : 0;
        int word = l > 0 && search_is_word(cp);
        if (word)
            cp = search_fold(cp);
        if (have_prev) {
            int n = word ? snprintf(tok, sizeof(tok), "b%xx%x ", prev, cp)
                         : snprintf(tok, sizeof(tok), "b%xx ", prev);
            if (buf_append(&b, tok, (size_t)n) < 0) {
                buf_free(&b);
                return NULL; /* never a partial list: the document would be half indexed */
            }
        }
        if (l == 0)
            break;
        have_prev = word;
        prev = cp;
        p += l;
    }
    char *s = buf_take(&b, NULL);
    return s != NULL ? s : strdup("");
}

/* ---- highlighting ------------------------------------------------------------------- */

struct decoded {
    uint32_t *cp; /* folded code points */
    size_t *off;  /* byte offset of each, plus one past the end */
    size_t n;
};

static int decode(const char *s, struct decoded *d)
{
    size_t len = strlen(s);
    d->cp = malloc((len + 1) * sizeof(uint32_t));
    d->off = malloc((len + 1) * sizeof(size_t));
    d->n = 0;
    if (d->cp == NULL || d->off == NULL)
        return -1;
    size_t i = 0;
    while (i < len) {
        uint32_t cp;
        int l = search_utf8_next(s + i, &cp);
        d->cp[d->n] = search_fold(cp);
        d->off[d->n++] = i;
        i += (size_t)l;
    }
    d->off[d->n] = len;
    return 0;
}

/* Folded code points of a term into tc (at most SEARCH_MAX_QUERY); returns the count. */
static size_t term_cps(const char *term, uint32_t *tc)
{
    size_t tn = 0;
    while (*term != '\0' && tn < SEARCH_MAX_QUERY) {
        uint32_t cp;
        term += search_utf8_next(term, &cp);
        tc[tn++] = search_fold(cp);
    }
    return tn;
}

static int count_in(const struct decoded *d, const uint32_t *tc, size_t tn, int cap)
{
    int n = 0;
    if (tn == 0 || tn > d->n)
        return 0;
    for (size_t i = 0; i + tn <= d->n && n < cap; i++)
        if (d->cp[i] == tc[0] && memcmp(d->cp + i, tc, tn * sizeof(uint32_t)) == 0) {
            n++;
            i += tn - 1;
        }
    return n;
}

double search_score(const char *title, const char *body, const struct search_terms *t, int *all)
{
    struct decoded dt = {0}, db = {0};
    double score = 0;
    *all = 0;
    if (decode(title != NULL ? title : "", &dt) < 0 || decode(body != NULL ? body : "", &db) < 0)
        goto out;
    for (int k = 0; k < t->n; k++) {
        uint32_t tc[SEARCH_MAX_QUERY + 1];
        size_t tn = term_cps(t->term[k], tc);
        int ct = count_in(&dt, tc, tn, 4), cb = count_in(&db, tc, tn, 8);
        if (ct > 0)
            score += 10.0 + (ct - 1) + 3.0 * (double)tn / (double)dt.n;
        if (cb > 0)
            score += 1.0 + 0.25 * cb;
        if (ct == 0 && cb == 0)
            goto out;
    }
    *all = 1;
out:
    free(dt.cp);
    free(dt.off);
    free(db.cp);
    free(db.off);
    return score;
}

static void add_segment(json_t *arr, const char *s, size_t from, size_t to, int hit)
{
    if (to <= from)
        return;
    json_array_append_new(arr, json_pack("{s:s%,s:b}", "text", s + from, to - from, "hit", hit));
}

json_t *search_segments(const char *text, const struct search_terms *t, int snippet)
{
    json_t *arr = json_array();
    struct decoded d;
    if (decode(text, &d) < 0) {
        free(d.cp);
        free(d.off);
        return arr;
    }
    unsigned char *mark = calloc(d.n + 1, 1);
    if (mark == NULL)
        goto out;
    size_t first = d.n;
    for (int k = 0; k < t->n; k++) {
        uint32_t tc[SEARCH_MAX_QUERY + 1];
        size_t tn = 0;
        const char *p = t->term[k];
        while (*p != '\0' && tn < SEARCH_MAX_QUERY) {
            uint32_t cp;
            p += search_utf8_next(p, &cp);
            tc[tn++] = search_fold(cp);
        }
        if (tn == 0 || tn > d.n)
            continue;
        for (size_t i = 0; i + tn <= d.n; i++) {
            if (d.cp[i] != tc[0] || memcmp(d.cp + i, tc, tn * sizeof(uint32_t)) != 0)
                continue;
            memset(mark + i, 1, tn);
            if (i < first)
                first = i;
        }
    }
    size_t from = 0, to = d.n;
    if (snippet > 0 && d.n > (size_t)snippet) {
        size_t before = (size_t)snippet / 4;
        from = first == d.n || first < before ? 0 : first - before;
        to = from + (size_t)snippet;
        if (to > d.n) {
            to = d.n;
            from = to - (size_t)snippet;
        }
    }
    if (from > 0)
        json_array_append_new(arr, json_pack("{s:s,s:b}", "text", "…", "hit", 0));
    size_t i = from;
    while (i < to) {
        size_t j = i;
        while (j < to && mark[j] == mark[i])
            j++;
        add_segment(arr, text, d.off[i], d.off[j], mark[i]);
        i = j;
    }
    if (to < d.n)
        json_array_append_new(arr, json_pack("{s:s,s:b}", "text", "…", "hit", 0));
out:
    free(mark);
    free(d.cp);
    free(d.off);
    return arr;
}
