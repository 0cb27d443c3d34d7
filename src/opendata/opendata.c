/*
 * opendata.c - datasets: checking metadata and CSV, storing them (one transaction each,
 * bumping platform_meta "opendata_version"), the cached list every page and API reads, the
 * download counters and the API keys of heavy users.
 *
 * The list is small (thousands of datasets at most) and read on every catalog request, so
 * it is kept in memory and rebuilt when the version in the database changes: a node sees
 * another node's change on its next request. Counters change on every download and are
 * read apart from it (opendata_get).
 */
#include "opendata/opendata_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/csv.h"
#include "base/id.h"
#include "base/utf8.h"
#include "calendar/calendar.h"
#include "crypto/crypto.h"
#include "divisions/divisions.h"
#include "identity/identity.h"
#include "store/store.h"

/* Licences a dataset may carry (open licences only: 政务数据开放 asks for free reuse). */
const struct od_term od_licences[] = {
    {"CC-BY-4.0", "https://creativecommons.org/licenses/by/4.0/"},
    {"CC0-1.0", "https://creativecommons.org/publicdomain/zero/1.0/"},
    {"CC-BY-SA-4.0", "https://creativecommons.org/licenses/by-sa/4.0/"},
    {"ODC-BY-1.0", "https://opendatacommons.org/licenses/by/1-0/"},
    {NULL, NULL},
};

#define EU_THEME "http://publications.europa.eu/resource/authority/data-theme/"
#define EU_FREQ "http://publications.europa.eu/resource/authority/frequency/"

/* DCAT-AP's data themes (the EU data-theme authority table). */
const struct od_term od_themes[] = {
    {"AGRI", EU_THEME "AGRI"}, {"ECON", EU_THEME "ECON"},
    {"EDUC", EU_THEME "EDUC"}, {"ENER", EU_THEME "ENER"},
    {"ENVI", EU_THEME "ENVI"}, {"GOVE", EU_THEME "GOVE"},
    {"HEAL", EU_THEME "HEAL"}, {"INTR", EU_THEME "INTR"},
    {"JUST", EU_THEME "JUST"}, {"REGI", EU_THEME "REGI"},
    {"SOCI", EU_THEME "SOCI"}, {"TECH", EU_THEME "TECH"},
    {"TRAN", EU_THEME "TRAN"}, {NULL, NULL},
};

/* Update frequencies (the EU frequency authority table). */
const struct od_term od_frequencies[] = {
    {"DAILY", EU_FREQ "DAILY"},     {"WEEKLY", EU_FREQ "WEEKLY"},
    {"MONTHLY", EU_FREQ "MONTHLY"}, {"QUARTERLY", EU_FREQ "QUARTERLY"},
    {"ANNUAL", EU_FREQ "ANNUAL"},   {"IRREG", EU_FREQ "IRREG"},
    {"NEVER", EU_FREQ "NEVER"},     {NULL, NULL},
};

const struct od_term *od_term_find(const struct od_term *terms, const char *code)
{
    for (size_t i = 0; code != NULL && terms[i].code != NULL; i++)
        if (strcmp(terms[i].code, code) == 0)
            return &terms[i];
    return NULL;
}

json_t *od_keywords(const char *s)
{
    json_t *out = json_array();
    while (s != NULL && *s) {
        /* the next separator: ',' or ';' (one byte), '，' or '、' (three bytes of UTF-8) */
        const char *e = s;
        size_t sep = 0;
        for (; *e; e++) {
            if (*e == ',' || *e == ';') {
                sep = 1;
                break;
            }
            if (strncmp(e, "，", 3) == 0 || strncmp(e, "、", 3) == 0) {
                sep = 3;
                break;
            }
        }
        const char *b = s, *z = e;
        while (b < z && (*b == ' ' || *b == '\t'))
            b++;
        while (z > b && (z[-1] == ' ' || z[-1] == '\t'))
            z--;
        if (z > b)
            json_array_append_new(out, json_stringn(b, (size_t)(z - b)));
        s = sep ? e + sep : e;
    }
    return out;
}

static const char META_VERSION[] = "opendata_version";

int opendata_open(struct store *st, struct identity *id, struct opendata **out, struct err *err)
{
    struct opendata *od = calloc(1, sizeof(*od));
    if (od == NULL)
        return err_set(err, 500, "opendata.oom", "out of memory");
    od->store = st;
    od->id = id;
    od->cache_version = -1;
    pthread_mutex_init(&od->lock, NULL);
    pthread_cond_init(&od->wake, NULL);
    *out = od;
    return 0;
}

void opendata_set_sources(struct opendata *od, struct review *rv, struct hotline *h,
                          struct apply *ap)
{
    od->review = rv;
    od->hotline = h;
    od->apply = ap;
}

void opendata_close(struct opendata *od)
{
    if (od == NULL)
        return;
    pthread_mutex_lock(&od->lock);
    int running = od->job_running;
    od->job_stop = 1;
    pthread_cond_broadcast(&od->wake);
    pthread_mutex_unlock(&od->lock);
    if (running)
        pthread_join(od->job, NULL);
    json_decref(od->cache);
    free(od->dcat[0]);
    free(od->dcat[1]);
    pthread_cond_destroy(&od->wake);
    pthread_mutex_destroy(&od->lock);
    free(od);
}

int64_t opendata_version(struct opendata *od)
{
    struct err err;
    struct store_conn *c = store_conn(od->store, &err);
    int64_t v = 0;
    int found = 0;
    if (c == NULL || store_meta_get_int64(c, META_VERSION, &v, &found, &err) < 0)
        return -1;
    return v;
}

/* ---- CSV ------------------------------------------------------------------------------ */

int opendata_csv_check(const char *csv, size_t len, size_t *rows, size_t *cols, size_t *bad_line,
                       struct err *err)
{
    struct csv *c = malloc(sizeof(*c));
    const char *f[CSV_MAX_FIELDS];
    int rc = -1, n, width = 0;
    *rows = *cols = 0;
    *bad_line = 0;
    if (c == NULL)
        return err_set(err, 500, "opendata.oom", "out of memory");
    /* A UTF-8 byte order mark is what spreadsheet programs write; it is not data. */
    if (len >= 3 && memcmp(csv, "\xEF\xBB\xBF", 3) == 0) {
        csv += 3;
        len -= 3;
    }
    csv_init(c, csv, len);
    while ((n = csv_next(c, f)) != 0) {
        if (n < 0) {
            *bad_line = c->line;
            err_set(err, 400, "opendata.csv_malformed",
                    "line %zu is not valid CSV (unclosed quote, too long, more than %d fields "
                    "or not UTF-8)",
                    c->line, OPENDATA_COLS_MAX);
            goto out;
        }
        if (width == 0) {
            width = n;
            continue;
        }
        if (n != width) {
            *bad_line = c->line;
            err_set(err, 400, "opendata.csv_width", "line %zu has %d fields, the header %d",
                    c->line, n, width);
            goto out;
        }
        (*rows)++;
    }
    if (width == 0) {
        *bad_line = 1;
        err_set(err, 400, "opendata.csv_empty", "the file has no header line");
        goto out;
    }
    *cols = (size_t)width;
    rc = 0;
out:
    free(c);
    return rc;
}

/* ---- the list ------------------------------------------------------------------------- */

static int lang_text_missing(const json_t *obj, const char *lang)
{
    const char *s = json_string_value(json_object_get(obj, lang));
    return s == NULL || *s == '\0';
}

/* Everything a search looks in, in one string (slug, then every language's title,
 * description and keywords, a line each): one strcasestr per dataset instead of a dozen
 * lookups. */
static json_t *search_text(const json_t *d)
{
    struct buf b;
    buf_init(&b, 64 * 1024);
    buf_puts(&b, json_string_value(json_object_get(d, "slug")));
    static const char *const groups[] = {"title", "description", "keywords"};
    for (int g = 0; g < 3; g++) {
        const char *k;
        json_t *v;
        json_object_foreach(json_object_get(d, groups[g]), k, v)
        {
            buf_putc(&b, '\n');
            buf_puts(&b, json_string_value(v) ? json_string_value(v) : "");
        }
    }
    json_t *s = b.data != NULL ? json_stringn(b.data, b.len) : json_string("");
    buf_free(&b);
    return s;
}

/* Rebuild the cache when the stored version moved. Called with the lock held. */
static int refresh_cache(struct opendata *od, struct err *err)
{
    int64_t v = opendata_version(od);
    if (v < 0)
        return err_set(err, 503, "store.unavailable", "the datasets cannot be read");
    if (od->cache != NULL && v == od->cache_version)
        return 0;
    struct store_conn *c = store_conn(od->store, err);
    json_t *arr = json_array();
    struct arena *a = arena_new(0);
    struct identity_department *depts = NULL;
    size_t nd = 0;
    if (c == NULL || a == NULL || opendata_db_list(c, arr, err) < 0)
        goto fail;
    if (od->id != NULL && identity_department_list(od->id, a, &depts, &nd, err) < 0)
        goto fail;
    size_t i;
    json_t *d;
    json_array_foreach(arr, i, d)
    {
        int64_t dep = json_integer_value(json_object_get(d, "department_id"));
        for (size_t k = 0; k < nd; k++)
            if (depts[k].id == dep) {
                json_object_set_new(d, "department_code", json_string(depts[k].code));
                json_object_set_new(d, "publisher",
                                    json_pack("{s:s, s:s?, s:s?}", "zh", depts[k].name_zh, "bo",
                                              depts[k].name_bo, "en", depts[k].name_en));
            }
        json_object_set_new(d, OD_SEARCH_TEXT, search_text(d));
        json_object_set_new(
            d, "missing_bo",
            json_boolean(lang_text_missing(json_object_get(d, "title"), "bo") ||
                         lang_text_missing(json_object_get(d, "description"), "bo")));
    }
    json_decref(od->cache);
    od->cache = arr;
    od->cache_version = v;
    arena_free(a);
    return 0;
fail:
    json_decref(arr);
    arena_free(a);
    return -1;
}

int opendata_list(struct opendata *od, int all, json_t **out, struct err *err)
{
    pthread_mutex_lock(&od->lock);
    int rc = refresh_cache(od, err);
    json_t *arr = NULL;
    if (rc == 0) {
        arr = json_array();
        size_t i;
        json_t *d;
        json_array_foreach(od->cache, i, d)
        {
            const char *st = json_string_value(json_object_get(d, "status"));
            if (all || (st != NULL && strcmp(st, "published") == 0))
                json_array_append(arr, d); /* shared: the cache is never changed, only replaced */
        }
    }
    pthread_mutex_unlock(&od->lock);
    *out = arr;
    return rc;
}

int opendata_get(struct opendata *od, const char *slug, int all, json_t **out, struct err *err)
{
    json_t *arr = NULL, *hit = NULL;
    *out = NULL;
    if (opendata_list(od, all, &arr, err) < 0)
        return -1;
    size_t i;
    json_t *d;
    json_array_foreach(arr, i, d)
    {
        const char *s = json_string_value(json_object_get(d, "slug"));
        char idtext[24];
        snprintf(idtext, sizeof(idtext), "%lld",
                 (long long)json_integer_value(json_object_get(d, "id")));
        if (slug != NULL && (strcmp(s, slug) == 0 || strcmp(idtext, slug) == 0)) {
            hit = json_deep_copy(d);
            break;
        }
    }
    json_decref(arr);
    if (hit == NULL)
        return err_set(err, 404, "opendata.not_found", "no dataset %s", slug ? slug : "");
    int64_t dl = 0, api = 0;
    struct store_conn *c = store_conn(od->store, err);
    if (c == NULL || opendata_db_counters(c, json_integer_value(json_object_get(hit, "id")), &dl,
                                          &api, err) < 0) {
        json_decref(hit);
        return -1;
    }
    json_object_set_new(hit, "downloads", json_integer(dl));
    json_object_set_new(hit, "api_calls", json_integer(api));
    *out = hit;
    return 0;
}

int opendata_csv(struct opendata *od, const char *slug, char **csv, size_t *len, struct err *err)
{
    json_t *d = NULL;
    int found = 0;
    *csv = NULL;
    if (opendata_get(od, slug, 0, &d, err) < 0)
        return -1;
    const char *s = json_string_value(json_object_get(d, "slug"));
    struct store_conn *c = store_conn(od->store, err);
    int rc = c == NULL || opendata_db_csv(c, s, csv, len, &found, err) < 0 ? -1 : 0;
    json_decref(d);
    if (rc == 0 && !found)
        return err_set(err, 404, "opendata.not_found", "the dataset has no data yet");
    return rc;
}

int opendata_count(struct opendata *od, const char *slug, int download, struct err *err)
{
    struct store_conn *c = store_conn(od->store, err);
    return c == NULL ? -1 : opendata_db_count(c, slug, download, err);
}

/* ---- storing -------------------------------------------------------------------------- */

static void problem(json_t *problems, const char *field, const char *code)
{
    json_array_append_new(problems, json_pack("{s:s, s:s}", "field", field, "code", code));
}

static int slug_ok(const char *s)
{
    size_t n = s != NULL ? strlen(s) : 0;
    if (n < 3 || n > 64 || s[0] == '-')
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return 0;
    return 1;
}

/* Check the texts of a {zh, bo, en} object: strings, valid UTF-8, not too long. */
static void check_texts(const json_t *o, const char *field, json_t *problems)
{
    if (o == NULL)
        return;
    const char *k;
    json_t *v;
    if (!json_is_object(o)) {
        problem(problems, field, "opendata.bad_text");
        return;
    }
    json_object_foreach((json_t *)o, k, v)
    {
        const char *s = json_string_value(v);
        if ((strcmp(k, "zh") != 0 && strcmp(k, "bo") != 0 && strcmp(k, "en") != 0) || s == NULL ||
            strlen(s) > OPENDATA_TEXT_MAX || !utf8_valid(s, strlen(s))) {
            problem(problems, field, "opendata.bad_text");
            return;
        }
    }
}

/* Validate `meta` into `row` (pointers into meta); problems appended. */
static void check_meta(const json_t *meta, int publish, struct od_row *row, json_t *problems)
{
    struct err e;
    row->slug = json_string_value(json_object_get(meta, "slug"));
    if (!slug_ok(row->slug))
        problem(problems, "slug", "opendata.bad_slug");
    const json_t *title = json_object_get(meta, "title");
    check_texts(title, "title", problems);
    if (lang_text_missing(title, "zh"))
        problem(problems, "title_zh", "opendata.title_required");
    check_texts(json_object_get(meta, "description"), "description", problems);
    check_texts(json_object_get(meta, "keywords"), "keywords", problems);
    row->licence = json_string_value(json_object_get(meta, "licence"));
    if (row->licence != NULL && *row->licence == '\0')
        row->licence = NULL;
    if (row->licence != NULL && od_term_find(od_licences, row->licence) == NULL)
        problem(problems, "licence", "opendata.bad_licence");
    else if (publish && row->licence == NULL)
        problem(problems, "licence", "opendata.licence_required");
    const json_t *themes = json_object_get(meta, "themes");
    size_t i;
    json_t *t;
    if (themes != NULL && !json_is_array(themes))
        problem(problems, "themes", "opendata.bad_theme");
    json_array_foreach(themes, i, t)
    {
        if (od_term_find(od_themes, json_string_value(t)) == NULL) {
            problem(problems, "themes", "opendata.bad_theme");
            break;
        }
    }
    row->frequency = json_string_value(json_object_get(meta, "frequency"));
    if (row->frequency == NULL || *row->frequency == '\0')
        row->frequency = "IRREG";
    if (od_term_find(od_frequencies, row->frequency) == NULL)
        problem(problems, "frequency", "opendata.bad_frequency");
    const char *sp = json_string_value(json_object_get(meta, "spatial"));
    row->spatial = 0;
    if (sp != NULL && *sp && divisions_parse_code(sp, &row->spatial, &e) < 0)
        problem(problems, "spatial", "opendata.bad_spatial");
    int32_t d0 = 0, d1 = 0;
    row->temporal_start = json_string_value(json_object_get(meta, "temporal_start"));
    row->temporal_end = json_string_value(json_object_get(meta, "temporal_end"));
    if (row->temporal_start != NULL && *row->temporal_start &&
        calendar_parse_date(row->temporal_start, &d0, &e) < 0)
        problem(problems, "temporal_start", "opendata.bad_date");
    else if (row->temporal_end != NULL && *row->temporal_end &&
             calendar_parse_date(row->temporal_end, &d1, &e) < 0)
        problem(problems, "temporal_end", "opendata.bad_date");
    else if (d0 && d1 && d1 < d0)
        problem(problems, "temporal_end", "opendata.bad_temporal");
}

/* The metadata document kept in od_datasets.meta: the multilingual parts. */
static char *meta_doc(const json_t *meta)
{
    json_t *m = json_object();
    static const char *const keys[] = {"title", "description", "keywords", "themes"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        json_t *v = json_object_get(meta, keys[i]);
        if (v != NULL)
            json_object_set(m, keys[i], v);
        else
            json_object_set_new(m, keys[i], i == 3 ? json_array() : json_object());
    }
    char *s = json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(m);
    return s;
}

/* Store one dataset (and its CSV when given) in one transaction. */
static int store_dataset(struct opendata *od, struct od_row *row, int64_t department_id,
                         const char *csv, size_t len, size_t rows, size_t cols, json_t *problems,
                         struct err *err)
{
    struct store_conn *c = store_conn(od->store, err);
    int64_t id = 0, owner = 0, v = 0;
    int found = 0, vf = 0;
    if (c == NULL || store_begin(c, err) < 0)
        return -1;
    if (opendata_db_find(c, row->slug, &id, &owner, &found, err) < 0)
        goto fail;
    if (found && owner != department_id) {
        err_set(err, 409, "opendata.slug_taken", "another publisher has the name %s", row->slug);
        goto fail;
    }
    if (!found && csv == NULL) {
        store_rollback(c);
        problem(problems, "file", "opendata.csv_required");
        return 1;
    }
    row->id = found ? id : id_next();
    row->department_id = department_id;
    int64_t now = time_now_ms();
    if (opendata_db_put(c, row, found, now, err) < 0 ||
        (csv != NULL && opendata_db_resource_put(c, row->id, csv, len, rows, cols, now, err) < 0) ||
        store_meta_get_int64(c, META_VERSION, &v, &vf, err) < 0 ||
        store_meta_set_int64(c, META_VERSION, v + 1, err) < 0 || store_commit(c, err) < 0)
        goto fail;
    return 0;
fail:
    store_rollback(c);
    return -1;
}

static int put_checked(struct opendata *od, int64_t department_id, const json_t *meta,
                       const char *csv, size_t csv_len, int publish, int platform, json_t *problems,
                       struct err *err)
{
    struct od_row row;
    memset(&row, 0, sizeof(row));
    size_t rows = 0, cols = 0, bad = 0;
    check_meta(meta, publish, &row, problems);
    struct err ce;
    err_clear(&ce);
    if (csv != NULL && csv_len > OPENDATA_CSV_MAX)
        problem(problems, "file", "opendata.csv_too_large");
    else if (csv != NULL && opendata_csv_check(csv, csv_len, &rows, &cols, &bad, &ce) < 0) {
        if (ce.status >= 500) {
            *err = ce;
            return -1;
        }
        json_array_append_new(problems, json_pack("{s:s, s:s, s:I}", "field", "file", "code",
                                                  ce.code, "line", (json_int_t)bad));
    }
    if (json_array_size(problems) > 0)
        return 1;
    char *doc = meta_doc(meta);
    if (doc == NULL)
        return err_set(err, 500, "opendata.oom", "out of memory");
    row.meta = doc;
    row.status = publish ? "published" : "draft";
    row.platform = platform;
    int rc = store_dataset(od, &row, department_id, csv, csv_len, rows, cols, problems, err);
    free(doc);
    return rc;
}

int opendata_put(struct opendata *od, const struct authz_subject *subj, int64_t department_id,
                 const json_t *meta, const char *csv, size_t csv_len, int publish, json_t *problems,
                 struct err *err)
{
    struct authz_object obj = {0, department_id, 0};
    if (department_id == 0 || !authz_allowed(subj, "opendata.publish", &obj))
        return err_set(err, 403, "authz.denied", "you may not publish for this department");
    return put_checked(od, department_id, meta, csv, csv_len, publish, 0, problems, err);
}

int od_put_department(struct opendata *od, int64_t department_id, const json_t *meta,
                      const char *csv, size_t len, int publish, json_t *problems, struct err *err)
{
    return put_checked(od, department_id, meta, csv, len, publish, 0, problems, err);
}

int od_put_platform(struct opendata *od, const json_t *meta, const char *csv, size_t len,
                    struct err *err)
{
    /* The platform department's id, looked up once (the job and the CLI both get here). */
    pthread_mutex_lock(&od->lock);
    int64_t platform = od->platform_department;
    pthread_mutex_unlock(&od->lock);
    if (platform == 0) {
        struct arena *a = arena_new(0);
        struct identity_department d;
        if (a == NULL)
            return err_set(err, 500, "opendata.oom", "out of memory");
        int found = od->id != NULL ? identity_department_find(od->id, a, "platform", &d, err) : -1;
        if (found == 0)
            platform = d.id;
        arena_free(a);
        if (found < 0)
            return od->id != NULL ? -1 : err_set(err, 500, "opendata.no_identity", "no identity");
        pthread_mutex_lock(&od->lock);
        od->platform_department = platform;
        pthread_mutex_unlock(&od->lock);
    }
    json_t *problems = json_array();
    int rc = put_checked(od, platform, meta, csv, len, 1, 1, problems, err);
    if (rc == 1) {
        char *p = json_dumps(problems, JSON_COMPACT);
        err_set(err, 500, "opendata.platform_invalid", "a platform dataset is invalid: %s",
                p ? p : "?");
        free(p);
        rc = -1;
    }
    json_decref(problems);
    return rc;
}

/* ---- API keys ------------------------------------------------------------------------- */

static int key_hash(const char *key, char hex[CRYPTO_SM3_LEN * 2 + 1])
{
    unsigned char h[CRYPTO_SM3_LEN];
    if (crypto_sm3(key, strlen(key), h) < 0)
        return -1;
    return crypto_hex_encode(h, sizeof(h), hex, CRYPTO_SM3_LEN * 2 + 1) < 0 ? -1 : 0;
}

int opendata_key_create(struct opendata *od, const char *name, int64_t quota, char key_out[48],
                        struct err *err)
{
    unsigned char raw[32];
    char hex[CRYPTO_SM3_LEN * 2 + 1];
    int rc = -1;
    if (name == NULL || *name == '\0' || quota <= 0)
        return err_set(err, 400, "opendata.bad_key_request", "a key needs a name and a quota");
    if (crypto_random(raw, sizeof(raw)) < 0 ||
        crypto_b64url_encode(raw, sizeof(raw), key_out, 48) < 0 || key_hash(key_out, hex) < 0) {
        err_set(err, 500, "opendata.random", "no randomness available");
        goto out;
    }
    struct store_conn *c = store_conn(od->store, err);
    rc = c == NULL ? -1 : opendata_db_key_insert(c, hex, name, quota, time_now_ms(), err);
out:
    crypto_wipe(raw, sizeof(raw));
    return rc;
}

int opendata_key_use(struct opendata *od, const char *key, struct err *err)
{
    char hex[CRYPTO_SM3_LEN * 2 + 1];
    int exists = 0;
    if (key == NULL || strlen(key) > 200 || key_hash(key, hex) < 0)
        return err_set(err, 403, "opendata.bad_key", "unknown API key");
    struct store_conn *c = store_conn(od->store, err);
    int rc = c == NULL ? -1 : opendata_db_key_use(c, hex, time_now_ms() / 86400000, &exists, err);
    if (rc < 0)
        return -1;
    if (!exists)
        return err_set(err, 403, "opendata.bad_key", "unknown API key");
    if (rc == 0)
        return err_set(err, 429, "opendata.quota", "this key's calls for today are used up");
    return 0;
}
