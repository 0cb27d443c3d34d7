/*
 * translate_po.c - gettext PO files, written and read (GNU gettext manual, "The Format of PO
 * Files"). One entry per catalog string: msgctxt is the key, so that two keys with the same
 * Chinese text stay two entries; msgid the zh source; msgstr the current text, empty when
 * there is none of the language's own (missing, or a copy of zh or en); the flag fuzzy
 * when the text has no native speaker's review. The header carries the fields msgfmt
 * --check, Poedit and Weblate need (Language, Plural-Forms, Content-Type UTF-8).
 *
 * The reader takes what those tools write back: comments (flags from "#,"), obsolete
 * entries ("#~", skipped), multi-line strings, C escapes, CRLF lines. Limits: a file of
 * PO_MAX bytes, strings of STRING_MAX.
 */
#include "translate/translate_internal.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/arena.h"
#include "base/utf8.h"

#define PO_MAX (16u << 20)
#define STRING_MAX (64u << 10)

/* ---- writing ----------------------------------------------------------------------------- */

static void put_escaped(FILE *f, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '\\':
            fputs("\\\\", f);
            break;
        case '"':
            fputs("\\\"", f);
            break;
        case '\n':
            fputs("\\n", f);
            break;
        case '\t':
            fputs("\\t", f);
            break;
        case '\r':
            fputs("\\r", f);
            break;
        default:
            if (c < 0x20)
                fprintf(f, "\\%03o", c);
            else
                fputc(c, f);
        }
    }
}

/* `kw "..."`; a text with inner newlines as gettext writes it: an empty first line, then a
 * line per "\n"-ended piece. */
static void put_string(FILE *f, const char *kw, const char *s)
{
    const char *nl = strchr(s, '\n');
    if (nl == NULL || nl[1] == '\0') {
        fprintf(f, "%s \"", kw);
        put_escaped(f, s, strlen(s));
        fputs("\"\n", f);
        return;
    }
    fprintf(f, "%s \"\"\n", kw);
    while (*s != '\0') {
        nl = strchr(s, '\n');
        size_t n = nl ? (size_t)(nl - s) + 1 : strlen(s);
        fputc('"', f);
        put_escaped(f, s, n);
        fputs("\"\n", f);
        s += n;
    }
}

/* A comment line of `kind` ("#." extracted, "#:" reference) holding `text` on one line. */
static void put_comment(FILE *f, const char *kind, const char *label, const char *text)
{
    fprintf(f, "%s %s", kind, label);
    for (const char *p = text; *p != '\0'; p++)
        fputc(*p == '\n' || *p == '\r' ? ' ' : *p, f);
    fputc('\n', f);
}

static const char *language_name(const char *lang)
{
    return strcmp(lang, "bo") == 0 ? "Tibetan" : strcmp(lang, "en") == 0 ? "English" : lang;
}

/* CLDR: Tibetan has one plural form ("other"), English two (one, other). */
static const char *plural_forms(const char *lang)
{
    return strcmp(lang, "en") == 0 ? "nplurals=2; plural=(n != 1);" : "nplurals=1; plural=0;";
}

static void put_header(FILE *f, const struct translate_entries *es, const char *version)
{
    int translated = 0, reviewed = 0, missing = 0, copied = 0;
    for (size_t i = 0; i < es->n; i++) {
        translated += es->e[i].state == TRANSLATE_TRANSLATED;
        reviewed += es->e[i].reviewed;
        missing += es->e[i].state == TRANSLATE_MISSING;
        copied += es->e[i].state == TRANSLATE_COPIED;
    }
    const char *lang = es->lang, *name = language_name(lang);
    fprintf(f,
            "# onewindow's interface strings in %s (%s), translated from Chinese (zh).\n"
            "# Written by `onewindow i18n export %s` from web/i18n/%s/*.json: msgctxt is the\n"
            "# catalog key, msgid the Chinese source, msgstr the current text. Read it back\n"
            "# with `onewindow i18n import FILE` in a checkout; placeholders such as\n"
            "# {{number}} must stay exactly as in the Chinese source.\n#\n",
            name, lang, lang, lang);
    if (reviewed == 0)
        fprintf(f, "# REVIEW: no string in this file has had a review by a native speaker of %s.\n",
                name);
    else
        fprintf(f,
                "# REVIEW: %d of the %d translated strings have had a review by a native speaker\n"
                "# of %s; no other string has.\n",
                reviewed, translated, name);
    fprintf(f,
            "# Every translated entry without such a review is marked fuzzy. Clear the flag\n"
            "# only on an entry a native speaker has checked: the import records an entry\n"
            "# without it as reviewed (web/i18n/status/%s.json).\n"
            "# An empty msgstr means there is no translation yet (missing, or only a copy of\n"
            "# the Chinese or English text).\n#\n"
            "# %zu strings: %d translated (%d reviewed, %d fuzzy), %d missing, %d copied.\n",
            lang, es->n, translated, reviewed, translated - reviewed, missing, copied);
    char now[32];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(now, sizeof(now), "%Y-%m-%d %H:%M+0000", &tm);
    fprintf(f,
            "msgid \"\"\nmsgstr \"\"\n"
            "\"Project-Id-Version: onewindow %s\\n\"\n"
            "\"Report-Msgid-Bugs-To: \\n\"\n"
            "\"POT-Creation-Date: %s\\n\"\n"
            "\"PO-Revision-Date: %s\\n\"\n"
            "\"Last-Translator: \\n\"\n"
            "\"Language-Team: %s\\n\"\n"
            "\"Language: %s\\n\"\n"
            "\"MIME-Version: 1.0\\n\"\n"
            "\"Content-Type: text/plain; charset=UTF-8\\n\"\n"
            "\"Content-Transfer-Encoding: 8bit\\n\"\n"
            "\"Plural-Forms: %s\\n\"\n"
            "\"X-Generator: onewindow i18n export\\n\"\n\n",
            version, now, now, name, lang, plural_forms(lang));
}

int translate_po_write(FILE *f, const struct translate_entries *es, const char *version,
                       struct err *err)
{
    put_header(f, es, version);
    for (size_t i = 0; i < es->n; i++) {
        const struct translate_entry *e = &es->e[i];
        /* msgid "" is the header's: a string whose source is empty has nothing to translate. */
        if (e->source[0] == '\0')
            continue;
        if (e->en != NULL)
            put_comment(f, "#.", "en: ", e->en);
        if (e->same_reason != NULL)
            put_comment(f, "#.", "the same as the source on purpose: ", e->same_reason);
        else if (e->state == TRANSLATE_COPIED)
            put_comment(f, "#.", "",
                        "the current text is a copy (of the Chinese or English "
                        "text), not a translation");
        char ref[128];
        snprintf(ref, sizeof(ref), "web/i18n/zh/%s.json", e->module);
        put_comment(f, "#:", "", ref);
        /* gettext's fuzzy marks a translation to check: an empty one has none. */
        if (e->state == TRANSLATE_TRANSLATED && !e->reviewed && e->text[0] != '\0')
            fputs("#, fuzzy\n", f);
        put_string(f, "msgctxt", e->key);
        put_string(f, "msgid", e->source);
        put_string(f, "msgstr", e->state == TRANSLATE_TRANSLATED ? e->text : "");
        fputc('\n', f);
    }
    if (fflush(f) != 0 || ferror(f))
        return err_set(err, 500, "translate.write", "cannot write the PO file");
    return 0;
}

/* ---- reading ----------------------------------------------------------------------------- */

struct parser {
    const char *name;
    struct arena *a;
    struct err *err;
    int line;
    /* the entry being read */
    struct buf ctxt, id, str;
    struct buf *cur; /* where a continuation line goes, or NULL */
    int has_ctxt, has_id, has_str, fuzzy, plural, obsolete, id_line;
    struct translate_po *po;
    size_t cap;
    int header_seen;
};

static int perr(struct parser *p, const char *what)
{
    return err_set(p->err, 500, "translate.po_syntax", "%s:%d: %s", p->name, p->line, what);
}

/* Unescape the quoted string at s (just after the opening quote) onto b; the rest of the
 * line after the closing quote must be blank. */
static int read_quoted(struct parser *p, const char *s, const char *end, struct buf *b)
{
    while (s < end && *s != '"') {
        char c = *s++;
        if (c == '\\') {
            if (s == end)
                return perr(p, "a backslash ends the line");
            c = *s++;
            switch (c) {
            case 'n':
                c = '\n';
                break;
            case 't':
                c = '\t';
                break;
            case 'r':
                c = '\r';
                break;
            case 'a':
                c = '\a';
                break;
            case 'b':
                c = '\b';
                break;
            case 'f':
                c = '\f';
                break;
            case 'v':
                c = '\v';
                break;
            case '\\':
            case '"':
            case '\'':
            case '?':
                break;
            case 'x': {
                int v = 0, k = 0;
                while (k < 2 && s < end && strchr("0123456789abcdefABCDEF", *s) && *s) {
                    v = v * 16 + (*s <= '9' ? *s - '0' : (*s | 0x20) - 'a' + 10);
                    s++;
                    k++;
                }
                if (k == 0)
                    return perr(p, "\\x without hex digits");
                c = (char)v;
                break;
            }
            default:
                if (c >= '0' && c <= '7') {
                    int v = c - '0', k = 1;
                    while (k < 3 && s < end && *s >= '0' && *s <= '7') {
                        v = v * 8 + (*s++ - '0');
                        k++;
                    }
                    c = (char)v;
                } else {
                    return perr(p, "an unknown escape sequence");
                }
            }
        }
        if (buf_putc(b, c) < 0)
            return perr(p, "a string is too long");
    }
    if (s == end)
        return perr(p, "a string is not closed");
    for (s++; s < end; s++)
        if (*s != ' ' && *s != '\t')
            return perr(p, "text after a closing quote");
    return 0;
}

static int keep(struct parser *p, struct buf *b, const char **out)
{
    const char *s = b->data ? b->data : "";
    if (!utf8_valid(s, b->len))
        return perr(p, "a string is not UTF-8 (or holds a NUL)");
    if ((*out = arena_strndup(p->a, s, b->len)) == NULL) {
        perr(p, "out of memory");
        return -1;
    }
    return 0;
}

/* A header line "Name: value" of the header entry's text, or NULL. */
static const char *header_field(struct parser *p, const char *hdr, const char *name)
{
    size_t n = strlen(name);
    for (const char *l = hdr; l != NULL && *l != '\0';) {
        const char *nl = strchr(l, '\n');
        size_t len = nl ? (size_t)(nl - l) : strlen(l);
        if (len > n && strncasecmp(l, name, n) == 0 && l[n] == ':') {
            const char *v = l + n + 1;
            while (*v == ' ')
                v++;
            return arena_strndup(p->a, v, (size_t)(l + len - v));
        }
        l = nl ? nl + 1 : NULL;
    }
    return NULL;
}

/* The entry read so far is complete: keep it (or the header), then start the next. */
static int finish(struct parser *p)
{
    int rc = 0;
    if (p->has_id && !p->has_str)
        rc = perr(p, "an entry has no msgstr");
    else if (!p->has_id && (p->has_ctxt || p->has_str))
        rc = perr(p, "an entry has no msgid");
    else if (p->has_id && !p->obsolete) {
        struct translate_po_entry e = {NULL, NULL, NULL, p->fuzzy, p->plural, p->id_line};
        if ((p->has_ctxt && keep(p, &p->ctxt, &e.ctxt) < 0) || keep(p, &p->id, &e.id) < 0 ||
            keep(p, &p->str, &e.str) < 0)
            return -1;
        assert(e.id != NULL && e.str != NULL); /* keep() set them */
        if (e.ctxt == NULL && e.id[0] == '\0') {
            p->po->language = header_field(p, e.str, "Language");
            p->po->translator = header_field(p, e.str, "Last-Translator");
            p->po->revision_date = header_field(p, e.str, "PO-Revision-Date");
            p->po->content_type = header_field(p, e.str, "Content-Type");
            p->header_seen = 1;
        } else {
            if ((p->po->e = arena_grow(p->a, p->po->e, p->po->n, &p->cap, sizeof(e))) == NULL)
                return perr(p, "out of memory");
            p->po->e[p->po->n++] = e;
        }
    }
    p->ctxt.len = p->id.len = p->str.len = 0;
    p->cur = NULL;
    p->has_ctxt = p->has_id = p->has_str = p->fuzzy = p->plural = p->obsolete = 0;
    return rc;
}

static int keyword(struct parser *p, const char *s, const char *end)
{
    static const char *const kws[] = {"msgctxt", "msgid_plural", "msgid", "msgstr[", "msgstr"};
    int k = 0;
    size_t n = 0;
    for (; k < 5; k++) {
        n = strlen(kws[k]);
        if ((size_t)(end - s) > n && strncmp(s, kws[k], n) == 0)
            break;
    }
    if (k == 5)
        return perr(p, "a line that is no keyword, string or comment");
    s += n;
    int index = 0;
    if (k == 3) { /* msgstr[N]: only msgstr[0] is kept (the line is no C string: no atoi) */
        for (; s < end && *s >= '0' && *s <= '9'; s++)
            index = index < 1000 ? index * 10 + (*s - '0') : index;
        while (s < end && *s != ']')
            s++;
        if (s == end)
            return perr(p, "msgstr[ is not closed");
        s++;
    }
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    if (s == end || *s != '"')
        return perr(p, "a keyword without a quoted string");
    /* A msgctxt or msgid after a msgstr begins the next entry. */
    if ((k == 0 || k == 2) && p->has_str && finish(p) < 0)
        return -1;
    struct buf *b = NULL;
    switch (k) {
    case 0:
        if (p->has_ctxt || p->has_id)
            return perr(p, "msgctxt in the middle of an entry");
        p->has_ctxt = 1;
        b = &p->ctxt;
        break;
    case 1:
        p->plural = 1;
        b = NULL;
        break;
    case 2:
        if (p->has_id)
            return perr(p, "two msgid in one entry");
        p->has_id = 1;
        p->id_line = p->line;
        b = &p->id;
        break;
    default:
        if (!p->has_id)
            return perr(p, "msgstr without msgid");
        p->has_str = 1;
        b = index == 0 ? &p->str : NULL;
    }
    struct buf scratch;
    buf_init(&scratch, STRING_MAX);
    int rc = read_quoted(p, s + 1, end, b ? b : &scratch);
    buf_free(&scratch);
    p->cur = b;
    return rc;
}

static int parse_line(struct parser *p, const char *s, const char *end)
{
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    /* An obsolete entry ("#~" lines) ends at a blank line or the next live line. */
    int obsolete_line = end - s >= 2 && s[0] == '#' && s[1] == '~';
    if (p->obsolete && !obsolete_line)
        p->obsolete = p->fuzzy = 0;
    if (s == end) {
        if (p->has_str)
            return finish(p);
        if (!p->has_id && !p->has_ctxt)
            p->fuzzy = 0;
        return 0;
    }
    if (*s == '#') {
        if (p->has_str && finish(p) < 0)
            return -1;
        if (obsolete_line) {
            p->obsolete = 1;
        } else if (end - s >= 2 && s[1] == ',') {
            for (const char *f = s + 2; f + 5 <= end; f++)
                if (strncmp(f, "fuzzy", 5) == 0 && (f + 5 == end || strchr(" ,\t", f[5])))
                    p->fuzzy = 1;
        }
        return 0;
    }
    if (*s == '"') {
        if (!(p->has_ctxt || p->has_id))
            return perr(p, "a string continues no keyword");
        struct buf scratch;
        buf_init(&scratch, STRING_MAX);
        int rc = read_quoted(p, s + 1, end, p->cur ? p->cur : &scratch);
        buf_free(&scratch);
        return rc;
    }
    return keyword(p, s, end);
}

int translate_po_parse(const char *text, size_t len, const char *name, struct arena *a,
                       struct translate_po *po, struct err *err)
{
    memset(po, 0, sizeof(*po));
    if (len > PO_MAX)
        return err_set(err, 500, "translate.po_too_large", "%s: larger than %u bytes", name,
                       PO_MAX);
    struct parser p = {.name = name, .a = a, .err = err, .po = po};
    buf_init(&p.ctxt, STRING_MAX);
    buf_init(&p.id, STRING_MAX);
    buf_init(&p.str, STRING_MAX);
    int rc = 0;
    const char *s = text, *end = text + len;
    /* A UTF-8 byte order mark, which some editors write. */
    if (len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
        s += 3;
    while (rc == 0 && s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        const char *le = nl ? nl : end;
        p.line++;
        rc = parse_line(&p, s, le > s && le[-1] == '\r' ? le - 1 : le);
        s = nl ? nl + 1 : end;
    }
    p.line++;
    if (rc == 0)
        rc = finish(&p);
    if (rc == 0 && !p.header_seen)
        rc = err_set(err, 500, "translate.po_header", "%s: no PO header (msgid \"\")", name);
    buf_free(&p.ctxt);
    buf_free(&p.id);
    buf_free(&p.str);
    return rc;
}
