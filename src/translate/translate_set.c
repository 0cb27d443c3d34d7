/*
 * translate_set.c - the catalogs as files, and the state of every string in a language.
 *
 * A string's state (docs/internals/translate.md): a copy of the zh or en text is a missing
 * translation, never a translation. The status file of each language (web/i18n/status/LANG.json)
 * lists the strings that are rightly the same (with the reason) and the strings a native speaker
 * reviewed, with the source and text reviewed: a review lapses by itself when either
 * changes. The same list is what tests/unit/i18n_test.c allows.
 */
#include "translate/translate_internal.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/arena.h"
#include "base/embed.h"
#include "web/i18n.h"

#define KEY_MAX 512 /* a dotted key longer than this is not a message */

/* ---- loading ----------------------------------------------------------------------------- */

struct add_ctx {
    struct translate_lang *l;
    struct err *err;
};

static int add_file(const char *name, const char *data, size_t len, void *p)
{
    struct add_ctx *ac = p;
    struct translate_lang *l = ac->l;
    json_error_t je;
    json_t *j = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
    if (j == NULL || !json_is_object(j)) {
        json_decref(j);
        return err_set(ac->err, 500, "translate.invalid",
                       "%s/%s.json: not a JSON object (line %d: %s)", l->code, name, je.line,
                       je.text);
    }
    struct translate_file *nf = realloc(l->files, (l->nfiles + 1) * sizeof(*nf));
    if (nf == NULL) {
        json_decref(j);
        return err_set(ac->err, 500, "translate.oom", "out of memory");
    }
    l->files = nf;
    struct translate_file *f = &l->files[l->nfiles];
    memset(f, 0, sizeof(*f));
    f->name = strdup(name);
    f->text = malloc(len + 1);
    f->json = j;
    f->len = len;
    l->nfiles++;
    if (f->name == NULL || f->text == NULL)
        return err_set(ac->err, 500, "translate.oom", "out of memory");
    memcpy(f->text, data, len);
    f->text[len] = '\0';
    /* A copy: the merge shares the objects it adds, and later files would merge into them. */
    json_t *copy = json_deep_copy(j);
    int rc = copy == NULL ? -1 : json_object_update_recursive(l->merged, copy);
    json_decref(copy);
    return rc < 0 ? err_set(ac->err, 500, "translate.oom", "out of memory") : 0;
}

/* The status file of `lang`, or an empty one when there is none. */
static json_t *load_status(const char *dir, const char *lang, struct err *err)
{
    json_error_t je;
    json_t *j = NULL;
    char path[4096];
    if (dir == NULL) {
        snprintf(path, sizeof(path), "web/i18n/status/%s.json", lang);
        const struct embed_file *f = embed_find(path);
        if (f == NULL)
            return json_object();
        j = json_loadb((const char *)f->data, f->len, JSON_REJECT_DUPLICATES, &je);
    } else {
        struct stat st;
        snprintf(path, sizeof(path), "%s/status/%s.json", dir, lang);
        if (stat(path, &st) < 0 && errno == ENOENT)
            return json_object();
        j = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    }
    if (j == NULL || !json_is_object(j)) {
        json_decref(j);
        err_set(err, 500, "translate.invalid", "%s: not a JSON object (line %d: %s)", path, je.line,
                je.text);
        return NULL;
    }
    return j;
}

/* The object member `name` of `o`, created empty when absent (borrowed). */
static json_t *member_object(json_t *o, const char *name)
{
    json_t *v = json_object_get(o, name);
    if (json_is_object(v))
        return v;
    v = json_object();
    if (v == NULL || json_object_set_new(o, name, v) < 0)
        return NULL;
    return v;
}

int translate_set_load(struct translate_set *s, const char *dir, struct err *err)
{
    memset(s, 0, sizeof(*s));
    if (dir != NULL && (s->dir = strdup(dir)) == NULL)
        return err_set(err, 500, "translate.oom", "out of memory");
    for (int i = 0; i < I18N_NLANGS; i++) {
        struct translate_lang *l = &s->lang[i];
        struct add_ctx ac = {l, err};
        l->code = i18n_langs[i];
        if ((l->merged = json_object()) == NULL ||
            i18n_each_file(dir, l->code, add_file, &ac, err) != 0)
            goto fail;
        if (l->nfiles == 0) {
            err_set(err, 500, "translate.missing", "no catalog files for %s in %s", l->code,
                    dir ? dir : "the binary");
            goto fail;
        }
        if ((l->status = load_status(dir, l->code, err)) == NULL)
            goto fail;
        if ((l->same = member_object(l->status, "same")) == NULL ||
            (l->reviewed = member_object(l->status, "reviewed")) == NULL) {
            err_set(err, 500, "translate.oom", "out of memory");
            goto fail;
        }
    }
    return 0;
fail:
    translate_set_free(s);
    return -1;
}

void translate_set_free(struct translate_set *s)
{
    for (int i = 0; i < I18N_NLANGS; i++) {
        struct translate_lang *l = &s->lang[i];
        for (size_t k = 0; k < l->nfiles; k++) {
            free(l->files[k].name);
            free(l->files[k].text);
            json_decref(l->files[k].json);
        }
        free(l->files);
        json_decref(l->merged);
        json_decref(l->status);
    }
    free(s->dir);
    memset(s, 0, sizeof(*s));
}

struct translate_lang *translate_set_lang(struct translate_set *s, const char *code)
{
    for (int i = 0; code != NULL && i < I18N_NLANGS; i++)
        if (strcmp(s->lang[i].code, code) == 0)
            return &s->lang[i];
    return NULL;
}

/* ---- strings and their state ------------------------------------------------------------- */

int translate_has_tibetan(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; p[0] != '\0'; p++)
        if (p[0] == 0xE0 && p[1] >= 0xBC && p[1] <= 0xBF)
            return 1;
    return 0;
}

const char *translate_state_name(enum translate_state st)
{
    return st == TRANSLATE_TRANSLATED ? "translated"
           : st == TRANSLATE_MISSING  ? "missing"
                                      : "copied";
}

const char *translate_string_at(json_t *o, const char *key)
{
    return json_string_value(i18n_at(o, key));
}

struct walk {
    struct arena *a;
    json_t *index; /* key -> position in the array, as an integer */
    struct translate_entry *e;
    size_t n, cap;
};

/* Collect the strings of one zh file in order; a key seen in an earlier file takes this
 * file's text and module, as the merge does. */
static int walk_zh(struct walk *w, json_t *o, const char *module, char *path, size_t plen)
{
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v)
    {
        size_t klen = strlen(k);
        if (plen + klen + 2 > KEY_MAX)
            continue;
        char *end = path + plen;
        if (plen > 0)
            *end++ = '.';
        memcpy(end, k, klen + 1);
        size_t nlen = (size_t)(end - path) + klen;
        if (json_is_object(v)) {
            if (walk_zh(w, v, module, path, nlen) < 0)
                return -1;
        } else if (json_is_string(v)) {
            json_t *at = json_object_get(w->index, path);
            struct translate_entry *e;
            if (at != NULL) {
                assert(w->e != NULL); /* the index names entries of the array */
                e = &w->e[json_integer_value(at)];
            } else {
                if ((w->e = arena_grow(w->a, w->e, w->n, &w->cap, sizeof(*w->e))) == NULL)
                    return -1;
                e = &w->e[w->n];
                memset(e, 0, sizeof(*e));
                if ((e->key = arena_strdup(w->a, path)) == NULL ||
                    json_object_set_new(w->index, path, json_integer((json_int_t)w->n)) < 0)
                    return -1;
                w->n++;
            }
            e->module = module;
            e->source = json_string_value(v);
        }
        path[plen] = '\0';
    }
    return 0;
}

static void classify(struct translate_entry *e, const char *lang, json_t *reviewed)
{
    int bo = strcmp(lang, "bo") == 0;
    if (e->text == NULL)
        e->state = TRANSLATE_MISSING;
    else if (e->same_reason != NULL)
        e->state = TRANSLATE_TRANSLATED;
    else if (e->text[0] == '\0' && e->source[0] != '\0')
        e->state = TRANSLATE_MISSING;
    else if (strcmp(e->text, e->source) == 0 || (bo && e->en && strcmp(e->text, e->en) == 0) ||
             (bo && !translate_has_tibetan(e->text)))
        e->state = TRANSLATE_COPIED;
    else
        e->state = TRANSLATE_TRANSLATED;
    json_t *r = json_object_get(reviewed, e->key);
    const char *rs = json_string_value(json_object_get(r, "source"));
    const char *rt = json_string_value(json_object_get(r, "text"));
    e->reviewed = e->state == TRANSLATE_TRANSLATED && rs && rt && strcmp(rs, e->source) == 0 &&
                  strcmp(rt, e->text) == 0;
}

int translate_entries_of(struct translate_set *s, const char *lang, struct arena *a,
                         struct translate_entries *out, struct err *err)
{
    struct translate_lang *zh = translate_set_lang(s, "zh"), *l = translate_set_lang(s, lang),
                          *en = translate_set_lang(s, "en");
    memset(out, 0, sizeof(*out));
    if (l == NULL || l == zh)
        return err_usage(err, "translate.bad_lang",
                         "the language is bo or en (zh is the source the others translate)");
    struct walk w = {a, json_object(), NULL, 0, 0};
    char path[KEY_MAX];
    int rc = w.index == NULL ? -1 : 0;
    for (size_t i = 0; rc == 0 && i < zh->nfiles; i++) {
        path[0] = '\0';
        rc = walk_zh(&w, zh->files[i].json, zh->files[i].name, path, 0);
    }
    json_decref(w.index);
    if (rc < 0)
        return err_set(err, 500, "translate.oom", "out of memory");
    for (size_t i = 0; i < w.n; i++) {
        struct translate_entry *e = &w.e[i];
        e->text = translate_string_at(l->merged, e->key);
        e->en = l == en ? NULL : translate_string_at(en->merged, e->key);
        e->same_reason = json_string_value(json_object_get(l->same, e->key));
        classify(e, l->code, l->reviewed);
    }
    out->lang = l->code;
    out->e = w.e;
    out->n = w.n;
    return 0;
}

/* Count `e` in row `c`. */
static void count(struct translate_count *c, const struct translate_entry *e)
{
    c->total++;
    c->translated += e->state == TRANSLATE_TRANSLATED;
    c->missing += e->state == TRANSLATE_MISSING;
    c->copied += e->state == TRANSLATE_COPIED;
    c->unreviewed += e->state == TRANSLATE_TRANSLATED && !e->reviewed;
}

int translate_coverage(const struct translate_entries *es, struct arena *a,
                       struct translate_count **rows, size_t *n)
{
    struct translate_count *r = NULL, all = {NULL, 0, 0, 0, 0, 0};
    size_t nr = 0, cap = 0;
    for (size_t i = 0; i < es->n; i++) {
        /* Rows in the order of the module names (the files' order). */
        const struct translate_entry *e = &es->e[i];
        size_t k = 0;
        while (k < nr && strcmp(r[k].module, e->module) < 0)
            k++;
        if (k == nr || strcmp(r[k].module, e->module) != 0) {
            if ((r = arena_grow(a, r, nr, &cap, sizeof(*r))) == NULL)
                return -1;
            memmove(&r[k + 1], &r[k], (nr - k) * sizeof(*r));
            memset(&r[k], 0, sizeof(*r));
            r[k].module = e->module;
            nr++;
        }
        count(&r[k], e);
        count(&all, e);
    }
    /* The total is the last row. */
    if ((r = arena_grow(a, r, nr, &cap, sizeof(*r))) == NULL)
        return -1;
    r[nr++] = all;
    *rows = r;
    *n = nr;
    return 0;
}

/* ---- placeholders ------------------------------------------------------------------------ */

/* The next "{{name}}" (or "{{{name}}}") at or after p: its trimmed name in name[], the
 * position after it returned; NULL when there is none. An unclosed "{{" is the name "{{". */
static const char *next_placeholder(const char *p, char *name, size_t cap)
{
    const char *open = strstr(p, "{{");
    if (open == NULL)
        return NULL;
    const char *q = open + 2;
    while (*q == '{')
        q++;
    const char *close = strstr(q, "}}");
    if (close == NULL) {
        snprintf(name, cap, "{{");
        return open + 2;
    }
    while (*q == ' ')
        q++;
    const char *e = close;
    while (e > q && e[-1] == ' ')
        e--;
    snprintf(name, cap, "%.*s", (int)(e - q), q);
    close += 2;
    while (*close == '}')
        close++;
    return close;
}

#define PH_MAX 16

static size_t placeholders(const char *s, char names[PH_MAX][64])
{
    size_t n = 0;
    char name[64];
    const char *p = s;
    while (p != NULL && n < PH_MAX && (p = next_placeholder(p, name, sizeof(name))) != NULL)
        memcpy(names[n++], name, sizeof(name));
    return n;
}

int translate_placeholders_match(const char *source, const char *text, char *why, size_t why_len)
{
    char a[PH_MAX][64], b[PH_MAX][64];
    size_t na = placeholders(source, a), nb = placeholders(text, b);
    int used[PH_MAX] = {0};
    struct buf dropped, invented;
    buf_init(&dropped, 1024);
    buf_init(&invented, 1024);
    for (size_t i = 0; i < nb; i++) {
        size_t k = 0;
        while (k < na && (used[k] || strcmp(a[k], b[i]) != 0))
            k++;
        if (k < na)
            used[k] = 1;
        else if (strcmp(b[i], "{{") == 0)
            buf_printf(&invented, "%san unclosed {{", invented.len ? " " : "");
        else
            buf_printf(&invented, "%s{{%s}}", invented.len ? " " : "", b[i]);
    }
    for (size_t k = 0; k < na; k++)
        if (!used[k])
            buf_printf(&dropped, "%s{{%s}}", dropped.len ? " " : "", a[k]);
    int ok = dropped.len == 0 && invented.len == 0;
    if (!ok)
        snprintf(why, why_len, "%s%s%s%s%s", dropped.len ? "drops " : "",
                 dropped.len ? dropped.data : "", dropped.len && invented.len ? ", " : "",
                 invented.len ? "invents " : "", invented.len ? invented.data : "");
    buf_free(&dropped);
    buf_free(&invented);
    return ok;
}
