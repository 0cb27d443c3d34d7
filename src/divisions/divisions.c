/*
 * divisions.c - rules about division codes and the loading of the reference data.
 * The pages live in divisions_http.c, the SQL in divisions_store.c.
 */
#include "divisions/divisions_internal.h"

#include <stdio.h>
#include <stdlib.h>

#include "base/lang.h"
#include "base/arena.h"
#include "base/csv.h"
#include "base/embed.h"
#include "base/id.h"
#include "base/utf8.h"
#include "store/store.h"

int divisions_parse_code(const char *s, int64_t *code, struct err *err)
{
    size_t n = s ? strlen(s) : 0;
    int64_t v = 0;
    for (size_t i = 0; i < n && i < 12; i++) {
        if (s[i] < '0' || s[i] > '9') {
            n = 0;
            break;
        }
        v = v * 10 + (s[i] - '0');
    }
    if (n == 6)
        v *= 1000000; /* GB/T 2260 six-digit form */
    else if (n != 12)
        return err_set(err, 400, "divisions.bad_code",
                       "a division code has 12 digits (or the 6-digit GB/T 2260 form)");
    if (v < 110000000000LL) /* province codes start at 11 (Beijing) */
        return err_set(err, 400, "divisions.bad_code",
                       "a division code has 12 digits (or the 6-digit GB/T 2260 form)");
    *code = v;
    return 0;
}

const char *divisions_name(const struct division *d, const char *lang)
{
    return lang_pick(lang, d->name_zh, d->name_bo, d->name_en, NULL);
}

static const char *const level_keys[] = {NULL,     "region",   "prefecture",
                                         "county", "township", "village"};

const char *divisions_level_key(int level)
{
    return level >= 1 && level <= 5 ? level_keys[level] : NULL;
}

static int level_parse(const char *s)
{
    for (int i = 1; i <= 5; i++)
        if (strcmp(s, level_keys[i]) == 0)
            return i;
    return -1;
}

/* How many leading digits of a code are significant: 2 for a province-level region,
 * 4 prefecture, 6 county, 9 township, 12 village. */
static int significant_digits(int64_t code)
{
    if (code % 10000000000LL == 0)
        return 2;
    if (code % 100000000LL == 0)
        return 4;
    if (code % 1000000LL == 0)
        return 6;
    if (code % 1000LL == 0)
        return 9;
    return 12;
}

int divisions_contains(int64_t outer, int64_t inner)
{
    int64_t scale = 1;
    for (int i = significant_digits(outer); i < 12; i++)
        scale *= 10;
    return outer / scale == inner / scale;
}

int divisions_level_of(int64_t code)
{
    switch (significant_digits(code)) {
    case 2:
        return DIVISION_REGION;
    case 4:
        return DIVISION_PREFECTURE;
    case 6:
        return DIVISION_COUNTY;
    case 9:
        return DIVISION_TOWNSHIP;
    default:
        return DIVISION_VILLAGE;
    }
}

const char *divisions_check_choice(const char *s, int min_level, int64_t *code)
{
    struct err err;
    int64_t v;
    if (s == NULL || strlen(s) != 12 || divisions_parse_code(s, &v, &err) < 0)
        return "divisions.bad_code";
    if (!divisions_contains(DIVISIONS_ROOT, v))
        return "divisions.outside";
    if (divisions_level_of(v) < min_level)
        return "divisions.incomplete";
    *code = v;
    return NULL;
}

int divisions_search(struct store_conn *c, struct arena *a, const char *q, int limit,
                     struct division **out, size_t *n, struct err *err)
{
    *out = NULL;
    *n = 0;
    if (q == NULL || *q == '\0')
        return 0;
    if (limit < 1 || limit > 50)
        limit = 10;
    /* Names are stored in NFC (the loader normalises them): so is what people type, or a
     * Tibetan vowel typed precomposed would not find its decomposed twin. */
    if ((q = utf8_nfc_in(a, q)) == NULL)
        return 0; /* not UTF-8: no name matches */
    return divisions_store_search(c, a, q, limit, out, n, err);
}

int divisions_get(struct store_conn *c, struct arena *a, int64_t code, struct division *out,
                  struct err *err)
{
    int found = 0;
    if (divisions_store_get(c, a, code, out, &found, err) < 0)
        return -1;
    if (!found)
        return err_set(err, 404, "divisions.not_found", "no division has the code %012lld",
                       (long long)code);
    return 0;
}

int divisions_children(struct store_conn *c, struct arena *a, int64_t code, struct division **out,
                       size_t *n, struct err *err)
{
    return divisions_store_children(c, a, code, out, n, err);
}

const char *divisions_place_name(struct store_conn *c, struct arena *a, int64_t code,
                                 const char *lang, const char **name_lang)
{
    struct division d;
    struct err err;
    if (divisions_get(c, a, code, &d, &err) < 0)
        return NULL;
    const char *name = divisions_name(&d, lang);
    if (name_lang != NULL)
        *name_lang = name == d.name_zh ? "zh" : lang;
    return name;
}

json_t *divisions_path_json(struct store_conn *c, struct arena *a, int64_t code, const char *lang,
                            const char **text)
{
    /* Up from `code` to (not including) the region: at most four levels. */
    struct division chain[DIVISION_VILLAGE];
    int depth = 0;
    for (int64_t up = code; up != 0 && up != DIVISIONS_ROOT && depth < DIVISION_VILLAGE;) {
        struct err err;
        if (divisions_get(c, a, up, &chain[depth], &err) < 0)
            return NULL;
        up = chain[depth++].parent_code;
    }
    json_t *parts = json_array();
    const char *joined = "";
    for (int i = depth - 1; parts != NULL && i >= 0; i--) {
        const char *name = divisions_name(&chain[i], lang);
        const char *sep = i == depth - 1 ? "" : " › ";
        json_array_append_new(parts, json_pack("{s:s, s:s, s:s}", "name", name, "lang",
                                               name == chain[i].name_zh ? "zh" : lang, "sep", sep));
        joined = arena_printf(a, "%s%s%s", joined, sep, name);
        if (joined == NULL) {
            json_decref(parts);
            return NULL;
        }
    }
    if (parts != NULL && depth == 0) {
        json_decref(parts);
        return NULL;
    }
    *text = joined;
    return parts;
}

int divisions_count_by_level(struct store_conn *c, int64_t counts[6], struct err *err)
{
    return divisions_store_count_by_level(c, counts, err);
}

/* The version and when it was read, shared by all threads (updated atomically). */
static int64_t version_cached = -1;
static int64_t version_read_at_ms;

int64_t divisions_version(struct store_conn *c)
{
    int64_t now = time_now_ms();
    int64_t v = __atomic_load_n(&version_cached, __ATOMIC_ACQUIRE);
    if (v >= 0 && now - __atomic_load_n(&version_read_at_ms, __ATOMIC_RELAXED) < 1000)
        return v;
    struct err err;
    if (divisions_store_version(c, &v, &err) < 0)
        return -1; /* unknown: callers treat it as "do not cache" */
    __atomic_store_n(&version_read_at_ms, now, __ATOMIC_RELAXED);
    __atomic_store_n(&version_cached, v, __ATOMIC_RELEASE);
    return v;
}

/* ---- reference data ------------------------------------------------------------------ */

/* Check that a CSV header is exactly the columns we read, so a changed file fails loudly
 * instead of loading names into the wrong columns. */
static int expect_header(struct csv *csv, const char *path, const char *const *cols, int n,
                         struct err *err)
{
    const char *f[CSV_MAX_FIELDS];
    int got = csv_next(csv, f);
    if (got != n)
        return err_set(err, 500, "divisions.bad_data", "%s: the header should have %d columns",
                       path, n);
    for (int i = 0; i < n; i++)
        if (strcmp(f[i], cols[i]) != 0)
            return err_set(err, 500, "divisions.bad_data", "%s: column %d should be %s, not %s",
                           path, i + 1, cols[i], f[i]);
    return 0;
}

/* Whether `s` has a letter of the Tibetan script (U+0F40..U+0F6C, or a subjoined letter
 * U+0F90..U+0FBC): a name_bo without one is a misplaced Chinese or English name. */
static int has_tibetan_letter(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; p[0] != 0; p++)
        if (p[0] == 0xe0 && (p[1] == 0xbd || p[1] == 0xbe) && p[2] != 0) {
            unsigned cp = 0x0f00u | ((unsigned)(p[1] & 0x3f) << 6) | (p[2] & 0x3f);
            if ((cp >= 0x0f40 && cp <= 0x0f6c) || (cp >= 0x0f90 && cp <= 0x0fbc))
                return 1;
        }
    return 0;
}

/* The record's Tibetan name, NFC, and its source; both NULL when it has none. -1 when the
 * record is bad: a name without a source (or a source without a name), or no Tibetan
 * letter. */
static int reference_bo(struct arena *a, const char *name, const char *source, struct division *d)
{
    d->name_bo = d->name_bo_source = NULL;
    if (*name == '\0' && *source == '\0')
        return 0;
    if (*name == '\0' || *source == '\0' || !has_tibetan_letter(name))
        return -1;
    d->name_bo = utf8_nfc_in(a, name);
    d->name_bo_source = source;
    return d->name_bo != NULL ? 0 : -1;
}

static int load_file(struct store_conn *c, struct arena *a, const char *path, int villages,
                     struct divisions_load_counts *counts, struct err *err)
{
    static const char *const div_cols[] = {"code",  "name_zh",     "name_bo",       "name_en",
                                           "level", "parent_code", "name_bo_source"};
    static const char *const vil_cols[] = {"code", "name_zh", "parent_code", "name_bo",
                                           "name_bo_source"};
    const int ncols = villages ? 5 : 7;
    const struct embed_file *file = embed_find(path);
    if (file == NULL)
        return err_set(err, 500, "divisions.bad_data", "%s is not in the binary", path);
    struct csv *csv = malloc(sizeof(*csv));
    if (csv == NULL)
        return err_set(err, 500, "divisions.oom", "out of memory");
    csv_init(csv, (const char *)file->data, file->len);
    int rc = expect_header(csv, path, villages ? vil_cols : div_cols, ncols, err);
    const char *f[CSV_MAX_FIELDS];
    int n;
    while (rc == 0 && (n = csv_next(csv, f)) != 0) {
        struct division d = {0};
        struct err e2;
        if (n != ncols) {
            rc = err_set(err, 500, "divisions.bad_data", "%s line %zu: malformed record", path,
                         csv->line);
            break;
        }
        const char *parent = villages ? f[2] : f[5];
        d.level = villages ? DIVISION_VILLAGE : level_parse(f[4]);
        d.name_zh = f[1];
        d.name_en = villages || !*f[3] ? NULL : f[3];
        if (divisions_parse_code(f[0], &d.code, &e2) < 0 || d.level < 0 || !*d.name_zh ||
            (*parent && divisions_parse_code(parent, &d.parent_code, &e2) < 0)) {
            rc = err_set(err, 500, "divisions.bad_data", "%s line %zu: bad code, level or name",
                         path, csv->line);
            break;
        }
        if (reference_bo(a, villages ? f[3] : f[2], villages ? f[4] : f[6], &d) < 0) {
            rc = err_set(err, 500, "divisions.bad_data",
                         "%s line %zu: a Tibetan name needs Tibetan letters and its source", path,
                         csv->line);
            break;
        }
        rc = divisions_store_insert(c, &d, &counts->inserted, err);
        if (rc == 0)
            rc = divisions_store_sync_bo(c, &d, &counts->names, err);
        arena_reset(a);
    }
    free(csv);
    return rc;
}

int divisions_reference_load(struct store *s, struct divisions_load_counts *n, struct err *err)
{
    n->inserted = n->names = 0;
    struct store_conn *c = store_conn(s, err);
    if (c == NULL)
        return -1;
    struct arena *a = arena_new(0);
    if (a == NULL)
        return err_set(err, 500, "divisions.oom", "out of memory");
    if (store_begin(c, err) < 0) {
        arena_free(a);
        return -1;
    }
    /* Parents before children: the divisions file lists levels top-down, and villages
     * only refer to townships. */
    int rc = -1;
    if (load_file(c, a, "data/xizang-divisions.csv", 0, n, err) < 0 ||
        load_file(c, a, "data/xizang-villages.csv", 1, n, err) < 0 ||
        (n->inserted + n->names > 0 && divisions_store_bump_version(c, time_now_ms(), err) < 0))
        store_rollback(c);
    else
        rc = store_commit(c, err);
    arena_free(a);
    return rc;
}

int divisions_load_reference(struct store *s, int *inserted, struct err *err)
{
    struct divisions_load_counts n;
    int rc = divisions_reference_load(s, &n, err);
    *inserted = rc == 0 ? n.inserted : 0;
    return rc;
}
