/*
 * ask_terms.c - a question cut into the terms Q&A searches for (ask.c): Chinese character
 * bigrams without question and function characters, Tibetan pairs of content syllables,
 * English words cut to a crude stem. Why: see ask.c and docs/internals/policy.md.
 */
#include "policy/policy_internal.h"

#include <string.h>

#define MAX_TERMS 8
#define MAX_TERM_BYTES 64

/* ---- terms -------------------------------------------------------------------------------- */

/* Decode one UTF-8 character at s (n bytes left): its code point and length, or -1. */
static int utf8_next(const unsigned char *s, size_t n, unsigned *cp)
{
    if (n == 0)
        return -1;
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    int len = (s[0] & 0xE0) == 0xC0 ? 2 : (s[0] & 0xF0) == 0xE0 ? 3 : (s[0] & 0xF8) == 0xF0 ? 4 : 0;
    if (len == 0 || (size_t)len > n)
        return -1;
    unsigned v = s[0] & (0x7F >> len);
    for (int i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return -1;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if ((len == 2 && v < 0x80) || (len == 3 && v < 0x800) || (len == 4 && v < 0x10000) ||
        v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return -1;
    *cp = v;
    return len;
}

static int is_han(unsigned c)
{
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF);
}

static int is_tib_letter(unsigned c)
{
    return c >= 0x0F40 && c <= 0x0FBC;
}

/* Characters that carry no topic in a question (function words, question words). */
static int han_stop(unsigned c)
{
    static const char stop[] = "的了吗呢么是我你他她它们要在和与及啊吧哪什怎请问该去到个些都也"
                               "还就把被给让对从为需想得多少几呀嘛咋啥谁该样";
    const unsigned char *s = (const unsigned char *)stop;
    size_t n = sizeof(stop) - 1;
    while (n > 0) {
        unsigned cp;
        int l = utf8_next(s, n, &cp);
        if (l < 0)
            break;
        if (cp == c)
            return 1;
        s += l;
        n -= (size_t)l;
    }
    return 0;
}

/* Two-character question words that the single-character list does not cover. */
static int han_stop_pair(unsigned a, unsigned b)
{
    static const unsigned pairs[][2] = {
        {0x53EF, 0x4EE5}, /* 可以 */ {0x5982, 0x4F55}, /* 如何 */ {0x662F, 0x5426}, /* 是否 */
        {0x80FD, 0x5426}, /* 能否 */ {0x5E94, 0x8BE5}, /* 应该 */ {0x65F6, 0x5019}, /* 时候 */
        {0x54EA, 0x91CC}, /* 哪里 */ {0x4E00, 0x4E0B}, /* 一下 */ {0x600E, 0x6837}, /* 怎样 */
    };
    for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
        if (pairs[i][0] == a && pairs[i][1] == b)
            return 1;
    return 0;
}

/* Tibetan syllables that carry no topic: particles, question words, copulas, auxiliaries. */
static int tib_stop(const char *syl)
{
    static const char *const stop[] = {
        "ག",  "རེ",  "དགོས", "ཡིན", "ཡོད", "རེད", "ལ",  "ནས",  "གི",  "གྱི",  "ཀྱི",  "འི",   "ཡི",  "ཀྱིས",
        "གྱིས", "གིས", "དང",  "བྱེད", "བྱས", "པ",  "བ",  "པར",  "བར", "པའི", "བའི", "ཅི",   "ཇི",  "ལྟར",
        "གང", "ངས", "ང",   "ངའི", "ཁྱེད", "རང", "མིན", "དམ",  "ན",  "སུ",  "ཏུ",  "དུ",   "རུ",  "དེ",
        "འདི", "ཐུབ", "ཆོག",  "ཞུ",  "ཞིག", "ཅིག", "རྒྱུ",  "ལགས", "ཙམ", "ཚོད", "མཁོ", "པས",  "བས", "ཡིས",
        "སམ", "འམ", "ཀྱང",  "ཡང", "ཤིག", "ནི",  "སྟེ",  "ཏེ",   "ཨེ",  "གས", "ངེས", "ཐབས",
    };
    for (size_t i = 0; i < sizeof(stop) / sizeof(stop[0]); i++)
        if (strcmp(stop[i], syl) == 0)
            return 1;
    return 0;
}

static int en_stop(const char *w)
{
    static const char *const stop[] = {
        "what", "which", "who",   "how",  "when",  "where",  "why",   "the",  "and",   "for",
        "are",  "is",    "do",    "does", "did",   "can",    "could", "need", "needs", "needed",
        "you",  "your",  "get",   "got",  "have",  "has",    "with",  "from", "about", "into",
        "that", "this",  "there", "will", "would", "should", "must",  "want", "any",   "all",
        "much", "many",  "long",  "take", "takes", "i",      "my",    "me",   "to",    "of",
        "a",    "an",    "in",    "on",   "or",    "be",     "it",    "we",   "our",   "please",
        "tell", "know",  "some",  "if",   "as",    "at",     "by",    "whom", "am",    "was",
    };
    for (size_t i = 0; i < sizeof(stop) / sizeof(stop[0]); i++)
        if (strcmp(stop[i], w) == 0)
            return 1;
    return 0;
}

static void add_term(json_t *terms, const char *s, size_t n)
{
    if (n == 0 || n >= MAX_TERM_BYTES || json_array_size(terms) >= MAX_TERMS)
        return;
    char t[MAX_TERM_BYTES];
    memcpy(t, s, n);
    t[n] = '\0';
    size_t i;
    json_t *v;
    json_array_foreach(terms, i, v)
    {
        if (strcmp(json_string_value(v), t) == 0)
            return;
    }
    json_array_append_new(terms, json_string(t));
}

/* A run of Han characters: its bigrams, the lone characters between stop words alone. */
static void han_terms(json_t *terms, const unsigned *cp, const size_t *off, size_t n, const char *q)
{
    unsigned char keep[256];
    if (n > sizeof(keep))
        n = sizeof(keep);
    for (size_t i = 0; i < n; i++)
        keep[i] = !han_stop(cp[i]);
    for (size_t i = 0; i + 1 < n; i++)
        if (han_stop_pair(cp[i], cp[i + 1]))
            keep[i] = keep[i + 1] = 0;
    size_t i = 0;
    while (i < n) {
        if (!keep[i]) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < n && keep[j])
            j++;
        if (j - i == 1)
            add_term(terms, q + off[i], off[i + 1] - off[i]);
        for (size_t k = i; k + 1 < j; k++)
            add_term(terms, q + off[k], off[k + 2] - off[k]);
        i = j;
    }
}

/* A run of Tibetan: syllables at the tsheg; pairs of neighbouring content syllables,
 * joined by a tsheg, and a lone content syllable of two letters or more alone. */
static void tib_terms(json_t *terms, const char *s, size_t n)
{
    char syl[32][MAX_TERM_BYTES];
    int content[32];
    size_t ns = 0, i = 0;
    while (i < n && ns < 32) {
        size_t j = i;
        while (j < n && !(j + 2 < n && (unsigned char)s[j] == 0xE0 &&
                          (unsigned char)s[j + 1] == 0xBC && (unsigned char)s[j + 2] == 0x8B))
            j++;
        if (j > i && j - i < MAX_TERM_BYTES) {
            memcpy(syl[ns], s + i, j - i);
            syl[ns][j - i] = '\0';
            content[ns] = !tib_stop(syl[ns]);
            ns++;
        }
        i = j + 3; /* past the tsheg (U+0F0B is 3 bytes) */
    }
    for (size_t k = 0; k < ns; k++) {
        if (!content[k])
            continue;
        if (k + 1 < ns && content[k + 1]) {
            char pair[MAX_TERM_BYTES * 2 + 4];
            int len = snprintf(pair, sizeof(pair), "%s\xE0\xBC\x8B%s", syl[k], syl[k + 1]);
            add_term(terms, pair, (size_t)len);
        } else if ((k == 0 || !content[k - 1]) && strlen(syl[k]) > 3) {
            add_term(terms, syl[k], strlen(syl[k]));
        }
    }
}

/* An English word, lower-cased: stop words dropped, common endings cut so that a question's
 * form matches the passage's (married, marriage -> marri; documents -> document). */
static void en_term(json_t *terms, const char *s, size_t n)
{
    char w[MAX_TERM_BYTES];
    if (n >= sizeof(w))
        return;
    for (size_t i = 0; i < n; i++)
        w[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
    w[n] = '\0';
    if (n < 2 || en_stop(w))
        return;
    static const char *const ends[] = {"iage", "age", "ing", "ied", "ies", "ed", "es", "s", "y"};
    for (size_t i = 0; i < sizeof(ends) / sizeof(ends[0]); i++) {
        size_t e = strlen(ends[i]);
        if (n >= e + 4 && strcmp(w + n - e, ends[i]) == 0) {
            n -= e;
            w[n] = '\0';
            break;
        }
    }
    if (n >= 3 || (w[0] >= '0' && w[0] <= '9'))
        add_term(terms, w, n);
}

json_t *policy_ask_terms(const char *question)
{
    json_t *terms = json_array();
    if (question == NULL)
        return terms;
    size_t n = strnlen(question, POLICY_MAX_QUESTION);
    const unsigned char *q = (const unsigned char *)question;
    unsigned cps[256];
    size_t offs[257], ncp = 0, i = 0;
    enum { NONE, HAN, TIB, LAT } run = NONE;
    size_t run_start = 0;
    while (i <= n) {
        unsigned cp = 0;
        int l = i < n ? utf8_next(q + i, n - i, &cp) : 0;
        if (l < 0) /* not UTF-8 (or cut inside a character at the limit): stop here */
            l = 0, n = i;
        int kind = i >= n                                                               ? NONE
                   : is_han(cp)                                                         ? HAN
                   : (is_tib_letter(cp) || cp == 0x0F0B)                                ? TIB
                   : ((cp | 32) >= 'a' && (cp | 32) <= 'z') || (cp >= '0' && cp <= '9') ? LAT
                                                                                        : NONE;
        if (kind != (int)run || (run == HAN && ncp >= 255)) {
            if (run == HAN) {
                offs[ncp] = i;
                han_terms(terms, cps, offs, ncp, question);
            } else if (run == TIB) {
                tib_terms(terms, question + run_start, i - run_start);
            } else if (run == LAT) {
                en_term(terms, question + run_start, i - run_start);
            }
            run = kind;
            run_start = i;
            ncp = 0;
        }
        if (kind == HAN) {
            cps[ncp] = cp;
            offs[ncp++] = i;
        }
        if (i >= n)
            break;
        i += (size_t)l;
    }
    return terms;
}
