/*
 * translate_import.c - a PO file read back into the catalogs of a checkout.
 *
 * The target is the source tree (web/i18n/LANG/NAME.json and web/i18n/status/LANG.json),
 * not the database: the catalogs are compiled into the binary and reviewed in git like
 * code, and a runtime override would make a page's text depend on a node's data, invisible
 * to the unit test that keeps every bo string Tibetan. A translator runs the import in a
 * checkout and commits the diff (serve --i18n-dir web/i18n shows it without a rebuild).
 *
 * All or nothing: every entry is checked first (known key, the Chinese source unchanged
 * since the export, placeholders, and no copy of zh or en where the unit test would refuse
 * one); any refusal is printed with its line and nothing is written. A file is then
 * edited in place: only the bytes of the changed string values change, so the diff shows
 * exactly what the translator did. A key the language's files lack is added to the file of
 * its module, which is then rewritten in the catalogs' layout (2-space JSON).
 */
#include "translate/translate_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/arena.h"

#define FILE_OUT_MAX (16u << 20)
#define DEPTH_MAX 64

/* ---- editing a JSON text in place ------------------------------------------------------- */

struct jscan {
    const char *p, *end;
    int depth;
};

static void ws(struct jscan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t'))
        s->p++;
}

static int hex4(const char *p, unsigned *v)
{
    *v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            return -1;
        *v = *v * 16 + (unsigned)d;
    }
    return 0;
}

static void put_utf8(struct buf *b, unsigned cp)
{
    char u[4];
    int n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | cp >> 6);
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | cp >> 12);
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | cp >> 18);
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    buf_append(b, u, (size_t)n);
}

/* A JSON string at s->p; its decoded text onto `b` when not NULL. */
static int scan_string(struct jscan *s, struct buf *b)
{
    if (s->p >= s->end || *s->p != '"')
        return -1;
    for (s->p++; s->p < s->end && *s->p != '"'; s->p++) {
        if (*s->p != '\\') {
            if (b)
                buf_putc(b, *s->p);
            continue;
        }
        if (++s->p >= s->end)
            return -1;
        unsigned cp;
        switch (*s->p) {
        case 'u':
            if (s->end - s->p < 5 || hex4(s->p + 1, &cp) < 0)
                return -1;
            s->p += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && s->end - s->p >= 7 && s->p[1] == '\\' &&
                s->p[2] == 'u') {
                unsigned lo;
                if (hex4(s->p + 3, &lo) == 0 && lo >= 0xDC00 && lo < 0xE000) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    s->p += 6;
                }
            }
            if (b)
                put_utf8(b, cp);
            break;
        default:
            if (b) {
                const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
                const char *k = strchr(from, *s->p);
                if (k == NULL)
                    return -1;
                buf_putc(b, to[k - from]);
            }
        }
    }
    if (s->p >= s->end)
        return -1;
    s->p++;
    return 0;
}

static int skip_value(struct jscan *s)
{
    ws(s);
    if (s->p >= s->end || ++s->depth > DEPTH_MAX)
        return -1;
    int rc = 0;
    char c = *s->p;
    if (c == '"') {
        rc = scan_string(s, NULL);
    } else if (c == '{' || c == '[') {
        char close = c == '{' ? '}' : ']';
        s->p++;
        ws(s);
        if (s->p < s->end && *s->p == close) {
            s->p++;
        } else {
            for (;;) {
                if (c == '{') {
                    ws(s);
                    if (scan_string(s, NULL) < 0)
                        return -1;
                    ws(s);
                    if (s->p >= s->end || *s->p++ != ':')
                        return -1;
                }
                if (skip_value(s) < 0)
                    return -1;
                ws(s);
                if (s->p >= s->end)
                    return -1;
                if (*s->p == ',') {
                    s->p++;
                    continue;
                }
                if (*s->p++ != close)
                    return -1;
                break;
            }
        }
    } else {
        while (s->p < s->end && strchr(",}] \n\r\t", *s->p) == NULL)
            s->p++;
    }
    s->depth--;
    return rc;
}

/* In the object at s->p, the span of the value at the dotted path `key` (the last one if a
 * name repeats). 1 found, 0 not, -1 not JSON. */
static int find_value(struct jscan *s, const char *key, const char **from, const char **to)
{
    const char *dot = strchr(key, '.');
    size_t n = dot ? (size_t)(dot - key) : strlen(key);
    int found = 0;
    ws(s);
    if (s->p >= s->end || *s->p != '{' || ++s->depth > DEPTH_MAX)
        return -1;
    s->p++;
    ws(s);
    if (s->p < s->end && *s->p == '}') {
        s->p++;
        s->depth--;
        return 0;
    }
    for (;;) {
        struct buf name;
        buf_init(&name, 4096);
        ws(s);
        int rc = scan_string(s, &name);
        int match = rc == 0 && name.len == n && memcmp(name.data, key, n) == 0;
        buf_free(&name);
        ws(s);
        if (rc < 0 || s->p >= s->end || *s->p++ != ':')
            return -1;
        ws(s);
        const char *start = s->p;
        if (match && dot != NULL && s->p < s->end && *s->p == '{') {
            int r = find_value(s, dot + 1, from, to);
            if (r < 0)
                return -1;
            found |= r;
        } else {
            if (skip_value(s) < 0)
                return -1;
            if (match && dot == NULL && *start == '"') {
                *from = start;
                *to = s->p;
                found = 1;
            }
        }
        ws(s);
        if (s->p >= s->end)
            return -1;
        if (*s->p == ',') {
            s->p++;
            continue;
        }
        if (*s->p++ != '}')
            return -1;
        s->depth--;
        return found;
    }
}

/* `s` as a JSON string the way the catalogs write them (UTF-8 as is, as Python's
 * json.dumps(ensure_ascii=False) and jansson do). 0, or -1 when the buffer is full. */
static int put_json_string(struct buf *b, const char *s)
{
    int rc = buf_putc(b, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        switch (*p) {
        case '"':
            rc |= buf_puts(b, "\\\"");
            break;
        case '\\':
            rc |= buf_puts(b, "\\\\");
            break;
        case '\n':
            rc |= buf_puts(b, "\\n");
            break;
        case '\r':
            rc |= buf_puts(b, "\\r");
            break;
        case '\t':
            rc |= buf_puts(b, "\\t");
            break;
        case '\b':
            rc |= buf_puts(b, "\\b");
            break;
        case '\f':
            rc |= buf_puts(b, "\\f");
            break;
        default:
            rc |= *p < 0x20 ? buf_printf(b, "\\u%04x", *p) : buf_putc(b, (char)*p);
        }
    }
    return rc | buf_putc(b, '"');
}

int translate_json_set(const char *text, size_t len, const char *key, const char *value,
                       struct buf *out)
{
    struct jscan s = {text, text + len, 0};
    const char *from = NULL, *to = NULL;
    int rc = find_value(&s, key, &from, &to);
    if (rc <= 0)
        return rc < 0 ? -1 : 1;
    if (buf_append(out, text, (size_t)(from - text)) < 0 || put_json_string(out, value) < 0 ||
        buf_append(out, to, (size_t)(text + len - to)) < 0)
        return -1;
    return 0;
}

/* ---- the import ------------------------------------------------------------------------- */

struct import {
    struct translate_lang *l;
    const struct translate_po *po;
    const char *po_name;
    FILE *problems;
    int refused;
};

static void refuse(struct import *im, int line, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void refuse(struct import *im, int line, const char *key, const char *fmt, ...)
{
    fprintf(im->problems, "%s:%d: %s: ", im->po_name, line, key ? key : "(no msgctxt)");
    va_list ap;
    va_start(ap, fmt);
    vfprintf(im->problems, fmt, ap);
    fputc('\n', im->problems);
    va_end(ap);
    im->refused++;
}

/* Why the translation `str` of entry `e` cannot go into the catalogs, or NULL. */
static const char *check_text(const char *lang, const struct translate_entry *e, const char *str,
                              char *why, size_t why_len)
{
    if (!translate_placeholders_match(e->source, str, why, why_len))
        return why;
    if (e->same_reason != NULL)
        return NULL;
    if (strcmp(str, e->source) == 0)
        return "a copy of the Chinese text, not a translation";
    if (strcmp(lang, "bo") == 0 && e->en != NULL && strcmp(str, e->en) == 0)
        return "a copy of the English text, not a translation";
    if (strcmp(lang, "bo") == 0 && !translate_has_tibetan(str))
        return "no Tibetan letter";
    return NULL;
}

/* The po entry for each catalog entry (NULL where the file has none); refusals noted. */
static void match_entries(struct import *im, const struct translate_entries *es,
                          const struct translate_po_entry **by_entry)
{
    json_t *index = json_object(), *seen = json_object();
    char why[512];
    for (size_t i = 0; i < es->n; i++)
        json_object_set_new(index, es->e[i].key, json_integer((json_int_t)i));
    for (size_t k = 0; k < im->po->n; k++) {
        const struct translate_po_entry *pe = &im->po->e[k];
        json_t *at = pe->ctxt ? json_object_get(index, pe->ctxt) : NULL;
        if (pe->ctxt == NULL) {
            refuse(im, pe->line, NULL, "an entry without msgctxt is not one of this export's");
            continue;
        }
        if (at == NULL) {
            refuse(im, pe->line, pe->ctxt, "no such key in the Chinese catalogs");
            continue;
        }
        if (json_object_get(seen, pe->ctxt) != NULL) {
            refuse(im, pe->line, pe->ctxt, "the key is in the file twice");
            continue;
        }
        json_object_set_new(seen, pe->ctxt, json_true());
        const struct translate_entry *e = &es->e[json_integer_value(at)];
        const char *bad;
        if (pe->plural)
            refuse(im, pe->line, pe->ctxt, "plural forms are not used by these catalogs");
        else if (strcmp(pe->id, e->source) != 0)
            refuse(im, pe->line, pe->ctxt,
                   "the Chinese source changed since the export (it now reads \"%s\"): "
                   "export again",
                   e->source);
        else if (pe->str[0] != '\0' &&
                 (bad = check_text(im->l->code, e, pe->str, why, sizeof(why))) != NULL)
            refuse(im, pe->line, pe->ctxt, "%s", bad);
        else
            by_entry[json_integer_value(at)] = pe;
    }
    json_decref(index);
    json_decref(seen);
}

/* Write `len` bytes to `path` through a temporary file renamed over it. */
static int write_file(const char *path, const char *data, size_t len, struct err *err)
{
    char tmp[4200];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    int ok = f != NULL && fwrite(data, 1, len, f) == len;
    if (f != NULL && fclose(f) != 0)
        ok = 0;
    if (!ok || rename(tmp, path) != 0) {
        remove(tmp);
        return err_set(err, 500, "translate.write", "cannot write %s: %s", path, strerror(errno));
    }
    return 0;
}

/* `doc` in the catalogs' layout (2 spaces, UTF-8, a final newline), as text in `b`. */
static int dump_canonical(json_t *doc, size_t flags, struct buf *b)
{
    char *text = json_dumps(doc, JSON_INDENT(2) | flags);
    int rc = text == NULL || buf_puts(b, text) < 0 || buf_putc(b, '\n') < 0 ? -1 : 0;
    free(text);
    return rc;
}

/* Replace a file's text with the buffer's (taken). */
static void take_text(struct translate_file *f, struct buf *b)
{
    free(f->text);
    f->text = buf_take(b, &f->len);
    f->dirty = 1;
}

/* Set `key` to `text` in every file of the language that has it, or add it to the file of
 * its module (created if the language has none). */
static int set_string(struct translate_lang *l, const struct translate_entry *e, const char *text,
                      struct err *err)
{
    int done = 0;
    for (size_t i = 0; i < l->nfiles; i++) {
        struct translate_file *f = &l->files[i];
        if (translate_string_at(f->json, e->key) == NULL)
            continue;
        struct buf b;
        buf_init(&b, FILE_OUT_MAX);
        if (translate_json_set(f->text ? f->text : "", f->len, e->key, text, &b) != 0) {
            buf_free(&b);
            return err_set(err, 500, "translate.edit", "%s/%s.json: cannot set %s", l->code,
                           f->name, e->key);
        }
        take_text(f, &b);
        done = 1;
    }
    if (done)
        return 0;
    struct translate_file *f = NULL;
    for (size_t i = 0; i < l->nfiles && f == NULL; i++)
        if (strcmp(l->files[i].name, e->module) == 0)
            f = &l->files[i];
    if (f == NULL) {
        struct translate_file *nf = realloc(l->files, (l->nfiles + 1) * sizeof(*nf));
        if (nf == NULL)
            return err_set(err, 500, "translate.oom", "out of memory");
        l->files = nf;
        f = &l->files[l->nfiles++];
        memset(f, 0, sizeof(*f));
        if ((f->name = strdup(e->module)) == NULL || (f->json = json_object()) == NULL)
            return err_set(err, 500, "translate.oom", "out of memory");
    }
    /* Down the dotted path, creating the objects on the way. */
    json_t *o = f->json;
    char part[512];
    const char *p = e->key;
    for (const char *dot; (dot = strchr(p, '.')) != NULL; p = dot + 1) {
        snprintf(part, sizeof(part), "%.*s", (int)(dot - p), p);
        json_t *child = json_object_get(o, part);
        if (!json_is_object(child)) {
            child = json_object();
            if (child == NULL || json_object_set_new(o, part, child) < 0)
                return err_set(err, 500, "translate.oom", "out of memory");
        }
        o = child;
    }
    struct buf b;
    buf_init(&b, FILE_OUT_MAX);
    if (json_object_set_new(o, p, json_string(text)) < 0 || dump_canonical(f->json, 0, &b) < 0) {
        buf_free(&b);
        return err_set(err, 500, "translate.oom", "out of memory");
    }
    take_text(f, &b);
    return 0;
}

/* The language of the PO header: "bo", "bo_CN" and "bo-CN" are bo. */
static const char *po_lang(const char *language)
{
    char code[8];
    if (language == NULL)
        return NULL;
    size_t n = strcspn(language, "_-@ ");
    if (n == 0 || n >= sizeof(code))
        return NULL;
    memcpy(code, language, n);
    code[n] = '\0';
    return i18n_lang(code);
}

static int write_all(struct translate_set *s, struct translate_lang *l, int review_changed,
                     FILE *out, struct err *err)
{
    char path[4096];
    int files = 0;
    for (size_t i = 0; i < l->nfiles; i++) {
        struct translate_file *f = &l->files[i];
        if (!f->dirty)
            continue;
        snprintf(path, sizeof(path), "%s/%s/%s.json", s->dir, l->code, f->name);
        if (write_file(path, f->text, f->len, err) < 0)
            return -1;
        fprintf(out, "  wrote %s\n", path);
        files++;
    }
    if (review_changed) {
        struct buf b;
        buf_init(&b, FILE_OUT_MAX);
        snprintf(path, sizeof(path), "%s/status", s->dir);
        if (mkdir(path, 0777) < 0 && errno != EEXIST)
            return err_set(err, 500, "translate.write", "cannot create %s: %s", path,
                           strerror(errno));
        snprintf(path, sizeof(path), "%s/status/%s.json", s->dir, l->code);
        int rc = dump_canonical(l->status, JSON_SORT_KEYS, &b) < 0
                     ? err_set(err, 500, "translate.oom", "out of memory")
                     : write_file(path, b.data, b.len, err);
        buf_free(&b);
        if (rc < 0)
            return -1;
        fprintf(out, "  wrote %s\n", path);
    }
    return files;
}

int translate_import(struct translate_set *s, const struct translate_po *po, const char *po_name,
                     FILE *out, FILE *problems, struct err *err)
{
    const char *lang = po_lang(po->language);
    if (lang == NULL || strcmp(lang, "zh") == 0)
        return err_set(err, 500, "translate.bad_lang",
                       "%s: the header's Language is \"%s\": it must be bo or en (zh is the "
                       "source)",
                       po_name, po->language ? po->language : "");
    if (po->content_type != NULL && strcasestr(po->content_type, "charset=utf-8") == NULL)
        return err_set(err, 500, "translate.charset",
                       "%s: the file must be UTF-8 (Content-Type: %s)", po_name, po->content_type);
    if (s->dir == NULL)
        return err_set(err, 500, "translate.no_dir",
                       "an import writes the catalog files of a checkout");
    struct arena *a = arena_new(0);
    struct translate_entries es;
    struct import im = {translate_set_lang(s, lang), po, po_name, problems, 0};
    int rc = -1;
    if (a == NULL || translate_entries_of(s, lang, a, &es, err) < 0)
        goto out;
    const struct translate_po_entry **by_entry = arena_zalloc(a, (es.n + 1) * sizeof(*by_entry));
    if (by_entry == NULL) {
        err_set(err, 500, "translate.oom", "out of memory");
        goto out;
    }
    match_entries(&im, &es, by_entry);
    if (im.refused > 0) {
        err_set(err, 500, "translate.refused", "%s: %d entr%s refused: nothing was written",
                po_name, im.refused, im.refused == 1 ? "y" : "ies");
        goto out;
    }
    int changed = 0, reviewed = 0, withdrawn = 0, empty = 0;
    for (size_t i = 0; i < es.n; i++) {
        const struct translate_entry *e = &es.e[i];
        const struct translate_po_entry *pe = by_entry[i];
        if (pe == NULL)
            continue;
        if (pe->str[0] == '\0') {
            empty++;
            continue;
        }
        if ((e->text == NULL || strcmp(e->text, pe->str) != 0) &&
            set_string(im.l, e, pe->str, err) < 0)
            goto out;
        changed += e->text == NULL || strcmp(e->text, pe->str) != 0;
        /* No fuzzy flag: a native speaker's review of this text, recorded with it. */
        json_t *r = json_object_get(im.l->reviewed, e->key);
        if (!pe->fuzzy && !(e->reviewed && strcmp(e->text, pe->str) == 0)) {
            r = json_pack("{s:s, s:s, s:s, s:s}", "source", e->source, "text", pe->str, "by",
                          po->translator ? po->translator : "", "date",
                          po->revision_date ? po->revision_date : "");
            if (r == NULL || json_object_set_new(im.l->reviewed, e->key, r) < 0) {
                err_set(err, 500, "translate.oom", "out of memory");
                goto out;
            }
            reviewed++;
        } else if (pe->fuzzy && r != NULL) {
            json_object_del(im.l->reviewed, e->key);
            withdrawn++;
        }
    }
    int files = write_all(s, im.l, reviewed + withdrawn > 0, out, err);
    if (files < 0)
        goto out;
    fprintf(out,
            "i18n import: %s: %d string(s) changed in %d file(s); %d marked reviewed, %d "
            "review(s) withdrawn; %d entr%s without a translation left as they were\n",
            po_name, changed, files, reviewed, withdrawn, empty, empty == 1 ? "y" : "ies");
    rc = 0;
out:
    arena_free(a);
    return rc;
}
