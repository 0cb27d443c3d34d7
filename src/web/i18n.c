/*
 * i18n.c - catalogs and language negotiation; see i18n.h.
 *
 * The merged catalog of bo and en is built key by key from zh's tree: where the language has
 * a value, its node; where it has none, zh's node itself (shared, one more reference), whose
 * address goes into the language's sorted fallback list. Rendering asks i18n_is_fallback()
 * with the node it is about to print; identity is exact and needs no marker in the text.
 */
#include "web/i18n.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "base/embed.h"

#define FILE_MAX (8u << 20) /* a catalog file larger than this is a mistake */
#define NAME_MAX_LEN 64     /* "apply", "hotline": module names */

const char *const i18n_langs[I18N_NLANGS] = {"zh", "bo", "en"};
static json_t *catalogs[I18N_NLANGS];
static const json_t **fallbacks[I18N_NLANGS]; /* sorted by address */
static size_t nfallbacks[I18N_NLANGS];
static uint64_t fallback_count[I18N_NLANGS];
static char *catalog_dir;

static int lang_index(const char *lang)
{
    for (int i = 0; lang != NULL && i < I18N_NLANGS; i++)
        if (lang == i18n_langs[i] || strcmp(lang, i18n_langs[i]) == 0)
            return i;
    return -1;
}

/* ---- reading the files ------------------------------------------------------------------- */

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The name of a catalog file without ".json", if it is one ("apply.json" -> "apply"). */
static int catalog_name(const char *file, char name[NAME_MAX_LEN])
{
    size_t n = strlen(file);
    if (n <= 5 || n - 5 >= NAME_MAX_LEN || strcmp(file + n - 5, ".json") != 0 ||
        strchr(file, '/') != NULL || file[0] == '.')
        return -1;
    memcpy(name, file, n - 5);
    name[n - 5] = '\0';
    return 0;
}

static int each_embedded(const char *lang, i18n_file_fn fn, void *ctx)
{
    char prefix[64], name[NAME_MAX_LEN];
    snprintf(prefix, sizeof(prefix), "web/i18n/%s/", lang);
    size_t plen = strlen(prefix);
    for (size_t i = embed_first(prefix);
         i < embed_count && strncmp(embed_files[i].path, prefix, plen) == 0; i++) {
        const struct embed_file *f = &embed_files[i];
        if (catalog_name(f->path + plen, name) < 0)
            continue;
        int rc = fn(name, (const char *)f->data, f->len, ctx);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* The whole of a regular file of at most FILE_MAX bytes, NUL-terminated (malloc'd). */
static char *read_file(const char *path, size_t *len, struct err *err)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    char *data = NULL;
    if (f == NULL || fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode) ||
        (size_t)st.st_size > FILE_MAX) {
        err_set(err, 500, "i18n.unreadable", "cannot read the message catalog %s", path);
        goto out;
    }
    if ((data = malloc((size_t)st.st_size + 1)) == NULL) {
        err_set(err, 500, "i18n.oom", "out of memory reading %s", path);
        goto out;
    }
    *len = fread(data, 1, (size_t)st.st_size, f);
    if (*len != (size_t)st.st_size) {
        err_set(err, 500, "i18n.unreadable", "cannot read the message catalog %s", path);
        free(data);
        data = NULL;
        goto out;
    }
    data[*len] = '\0';
out:
    if (f != NULL)
        fclose(f);
    return data;
}

static int each_on_disk(const char *dir, const char *lang, i18n_file_fn fn, void *ctx,
                        struct err *err)
{
    char path[4096], name[NAME_MAX_LEN];
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = -1;
    snprintf(path, sizeof(path), "%s/%s", dir, lang);
    DIR *d = opendir(path);
    if (d == NULL) {
        err_set(err, 500, "i18n.missing", "no message catalog directory %s", path);
        return -1;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (catalog_name(e->d_name, name) < 0)
            continue;
        if (n == cap) {
            size_t ncap = cap ? 2 * cap : 32;
            char **nn = ncap <= 4096 ? realloc(names, ncap * sizeof(*nn)) : NULL;
            if (nn == NULL)
                goto oom;
            names = nn;
            cap = ncap;
        }
        if ((names[n] = strdup(e->d_name)) == NULL)
            goto oom;
        n++;
    }
    qsort(names, n, sizeof(*names), by_name);
    rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        size_t len = 0;
        if ((size_t)snprintf(path, sizeof(path), "%s/%s/%s", dir, lang, names[i]) >= sizeof(path)) {
            rc = err_set(err, 500, "i18n.unreadable", "the path of %s is too long", names[i]);
            break;
        }
        char *data = read_file(path, &len, err);
        if (data == NULL) {
            rc = -1;
            break;
        }
        catalog_name(names[i], name);
        rc = fn(name, data, len, ctx);
        free(data);
    }
    goto out;
oom:
    err_set(err, 500, "i18n.oom", "out of memory listing %s", path);
out:
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    closedir(d);
    return rc;
}

int i18n_each_file(const char *dir, const char *lang, i18n_file_fn fn, void *ctx, struct err *err)
{
    return dir == NULL ? each_embedded(lang, fn, ctx) : each_on_disk(dir, lang, fn, ctx, err);
}

/* ---- merging ------------------------------------------------------------------------------ */

/* Lay `over` onto `base` recursively (objects merge, other values replace). */
static int merge(json_t *base, json_t *over)
{
    const char *k;
    json_t *v;
    json_object_foreach(over, k, v)
    {
        json_t *b = json_object_get(base, k);
        if (json_is_object(b) && json_is_object(v)) {
            if (merge(b, v) < 0)
                return -1;
        } else if (json_object_set(base, k, v) < 0) {
            return -1;
        }
    }
    return 0;
}

struct load_ctx {
    json_t *all;
    size_t files;
    const char *lang;
    struct err *err;
};

static int load_file(const char *name, const char *data, size_t len, void *p)
{
    struct load_ctx *lc = p;
    json_error_t je;
    json_t *j = json_loadb(data, len, 0, &je);
    if (j == NULL || !json_is_object(j)) {
        json_decref(j);
        return err_set(lc->err, 500, "i18n.invalid",
                       "the message catalog %s/%s.json is not a JSON object (line %d: %s)",
                       lc->lang, name, je.line, je.text);
    }
    int rc = merge(lc->all, j);
    json_decref(j);
    lc->files++;
    return rc < 0 ? err_set(lc->err, 500, "i18n.oom", "out of memory loading the catalogs") : 0;
}

/* A language's catalog: every LANG/NAME.json merged (one file per module, so modules add
 * their messages without touching each other's files). */
static json_t *load(const char *dir, const char *lang, struct err *err)
{
    struct load_ctx lc = {json_object(), 0, lang, err};
    if (lc.all == NULL) {
        err_set(err, 500, "i18n.oom", "out of memory loading the catalogs");
        return NULL;
    }
    if (i18n_each_file(dir, lang, load_file, &lc, err) != 0) {
        json_decref(lc.all);
        return NULL;
    }
    if (lc.files == 0) {
        json_decref(lc.all);
        err_set(err, 500, "i18n.missing", "no message catalog for %s %s", lang,
                dir ? "in that directory" : "is in the binary");
        return NULL;
    }
    return lc.all;
}

struct fallback_list {
    const json_t **v;
    size_t n, cap;
};

static int note_fallback(struct fallback_list *fl, const json_t *v)
{
    if (fl->n == fl->cap) {
        size_t ncap = fl->cap ? 2 * fl->cap : 16;
        const json_t **nv = realloc(fl->v, ncap * sizeof(*nv));
        if (nv == NULL)
            return -1;
        fl->v = nv;
        fl->cap = ncap;
    }
    fl->v[fl->n++] = v;
    return 0;
}

/* zh's tree with `t`'s values where it has them and zh's own nodes (noted) where not, plus
 * the keys only `t` has. A new reference, or NULL when out of memory. */
static json_t *overlay(json_t *zh, json_t *t, struct fallback_list *fl)
{
    json_t *out = json_object();
    const char *k;
    json_t *v;
    if (out == NULL)
        return NULL;
    json_object_foreach(zh, k, v)
    {
        json_t *o = t ? json_object_get(t, k) : NULL, *val;
        if (json_is_object(v)) {
            val = overlay(v, json_is_object(o) ? o : NULL, fl);
        } else if (o != NULL && !json_is_object(o)) {
            val = json_incref(o);
        } else {
            val = json_incref(v);
            if (json_is_string(v) && note_fallback(fl, v) < 0) {
                json_decref(val);
                val = NULL;
            }
        }
        if (val == NULL || json_object_set_new(out, k, val) < 0)
            goto oom;
    }
    json_object_foreach(t, k, v)
    {
        if (json_object_get(zh, k) == NULL && json_object_set(out, k, v) < 0)
            goto oom;
    }
    return out;
oom:
    json_decref(out);
    return NULL;
}

static int by_address(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t) * (const json_t *const *)a,
              y = (uintptr_t) * (const json_t *const *)b;
    return x < y ? -1 : x > y;
}

static int init_from(const char *dir, struct err *err)
{
    i18n_free();
    if (dir != NULL && (catalog_dir = strdup(dir)) == NULL)
        return err_set(err, 500, "i18n.oom", "out of memory");
    json_t *zh = load(dir, "zh", err);
    if (zh == NULL)
        goto fail;
    catalogs[0] = zh;
    for (int i = 1; i < I18N_NLANGS; i++) {
        struct fallback_list fl = {NULL, 0, 0};
        json_t *t = load(dir, i18n_langs[i], err);
        json_t *merged = t ? overlay(zh, t, &fl) : NULL;
        json_decref(t);
        if (merged == NULL) {
            free(fl.v);
            if (t != NULL)
                err_set(err, 500, "i18n.oom", "out of memory merging the catalogs");
            goto fail;
        }
        if (fl.n > 0) /* qsort's array may not be NULL, even empty */
            qsort(fl.v, fl.n, sizeof(*fl.v), by_address);
        catalogs[i] = merged;
        fallbacks[i] = fl.v;
        nfallbacks[i] = fl.n;
    }
    return 0;
fail:
    i18n_free();
    return -1;
}

int i18n_init(struct err *err)
{
    return init_from(NULL, err);
}

int i18n_init_dir(const char *dir, struct err *err)
{
    return init_from(dir, err);
}

void i18n_free(void)
{
    for (int i = 0; i < I18N_NLANGS; i++) {
        json_decref(catalogs[i]);
        catalogs[i] = NULL;
        free(fallbacks[i]);
        fallbacks[i] = NULL;
        nfallbacks[i] = 0;
    }
    free(catalog_dir);
    catalog_dir = NULL;
}

const char *i18n_dir(void)
{
    return catalog_dir;
}

const char *i18n_lang(const char *code)
{
    if (code == NULL)
        return NULL;
    for (int i = 0; i < I18N_NLANGS; i++)
        if (strcmp(code, i18n_langs[i]) == 0)
            return i18n_langs[i];
    return NULL;
}

/* The supported language an Accept-Language range names ("bo", "bo-CN", "zh-Hans-CN",
 * "en-GB"), or NULL. */
static const char *range_lang(const char *s, size_t n)
{
    for (int i = 0; i < I18N_NLANGS; i++) {
        size_t l = strlen(i18n_langs[i]);
        if (n >= l && strncasecmp(s, i18n_langs[i], l) == 0 && (n == l || s[l] == '-'))
            return i18n_langs[i];
    }
    return NULL;
}

const char *i18n_negotiate(const char *explicit_choice, const char *cookie,
                           const char *accept_language)
{
    const char *l;
    if ((l = i18n_lang(explicit_choice)) != NULL)
        return l;
    if ((l = i18n_lang(cookie)) != NULL)
        return l;
    if (accept_language == NULL)
        return i18n_langs[0];
    /* RFC 9110 §12.5.4: the highest q wins; among equals, the first listed. */
    const char *best = NULL;
    double best_q = 0.0;
    const char *p = accept_language;
    int guard = 0;
    while (*p != '\0' && guard++ < 32) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *start = p;
        while (*p && *p != ';' && *p != ',' && *p != ' ')
            p++;
        size_t n = (size_t)(p - start);
        double q = 1.0;
        while (*p == ' ')
            p++;
        if (*p == ';') {
            const char *qs = strstr(p, "q=");
            const char *comma = strchr(p, ',');
            if (qs != NULL && (comma == NULL || qs < comma))
                q = strtod(qs + 2, NULL);
            p = comma ? comma : p + strlen(p);
        }
        const char *lang = range_lang(start, n);
        if (lang != NULL && q > best_q) {
            best = lang;
            best_q = q;
        }
        if (n == 0 && *p != ',')
            break;
    }
    return best ? best : i18n_langs[0];
}

json_t *i18n_catalog(const char *lang)
{
    int i = lang_index(lang);
    return catalogs[i < 0 ? 0 : i];
}

json_t *i18n_at(json_t *node, const char *key)
{
    char part[I18N_KEY_PART_MAX];
    const char *p = key;
    while (node != NULL && *p) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        if (n >= sizeof(part))
            return NULL;
        memcpy(part, p, n);
        part[n] = '\0';
        node = json_object_get(node, part);
        p += n;
        if (*p == '.')
            p++;
    }
    return node;
}

static json_t *find(const char *lang, const char *key)
{
    return i18n_at(i18n_catalog(lang), key);
}

const char *i18n_get(const char *lang, const char *key)
{
    return json_string_value(find(lang, key));
}

const char *i18n_lookup(const char *lang, const char *key, int *fell_back)
{
    json_t *v = find(lang, key);
    if (fell_back != NULL)
        *fell_back = v != NULL && i18n_is_fallback(lang, v);
    return json_string_value(v);
}

int i18n_is_fallback(const char *lang, const json_t *v)
{
    int i = lang_index(lang);
    if (i <= 0 || nfallbacks[i] == 0 || v == NULL)
        return 0;
    return bsearch(&v, fallbacks[i], nfallbacks[i], sizeof(*fallbacks[i]), by_address) != NULL;
}

void i18n_count_fallback(const char *lang)
{
    int i = lang_index(lang);
    if (i > 0)
        __atomic_add_fetch(&fallback_count[i], 1, __ATOMIC_RELAXED);
}

uint64_t i18n_fallback_total(const char *lang)
{
    int i = lang_index(lang);
    return i < 0 ? 0 : __atomic_load_n(&fallback_count[i], __ATOMIC_RELAXED);
}
