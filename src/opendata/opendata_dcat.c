/*
 * opendata_dcat.c - the catalog as DCAT-AP 3.0, in Turtle and in JSON-LD.
 *
 * One dcat:Catalog lists every published dcat:Dataset; each dataset has three
 * dcat:Distribution (CSV download, JSON download, the row API) and a foaf:Agent publisher.
 * Every text literal carries its language (@zh, @bo, @en: only the languages the publisher
 * wrote; nothing is machine-made); dates are typed xsd:date / xsd:dateTime. Licences, themes
 * and frequencies are the URIs DCAT-AP names (EU authority tables, Creative Commons).
 * Subjects: <base>/data/<slug>#dataset, its distributions #csv, #json, #api; publishers
 * <base>/data?department=<code>; places <base>/divisions/<code>.
 */
#include "opendata/opendata_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/arena.h"
#include "base/buf.h"

static const char *const LANGS[] = {"zh", "bo", "en"};

/* The catalog's own title and description (a fixed text of this platform). */
static const char *const CAT_TITLE[] = {"西藏自治区公共数据开放目录",
                                        "བོད་རང་སྐྱོང་ལྗོངས་ཀྱི་སྤྱི་པའི་གཞི་གྲངས་སྒོ་འབྱེད་དཀར་ཆག",
                                        "Xizang Autonomous Region open data catalog"};
static const char *const CAT_DESC[] = {
    "一体化在线政务服务平台开放的公共数据集。", "དྲ་ཐོག་གཞུང་དོན་ཞབས་ཞུའི་སྟེགས་བུས་སྒོ་ཕྱེ་བའི་སྤྱི་པའི་གཞི་གྲངས་ཚོགས།",
    "Public datasets opened by the integrated online government service platform."};
/* Distribution titles: CSV, JSON, API. */
static const char *const DIST_TITLE[3][3] = {
    {"CSV 数据文件", "CSV གཞི་གྲངས་ཡིག་ཆ།", "CSV data file"},
    {"JSON 数据文件", "JSON གཞི་གྲངས་ཡིག་ཆ།", "JSON data file"},
    {"数据接口", "གཞི་གྲངས་མཐུད་སྣེ།", "Data API"},
};
static const char *const DIST_ID[] = {"csv", "json", "api"};
static const char *const DIST_MEDIA[] = {"text/csv", "application/json", "application/json"};
static const char *const DIST_FORMAT[] = {"CSV", "JSON", "JSON"};

#define FILE_TYPE "http://publications.europa.eu/resource/authority/file-type/"
#define IANA "http://www.iana.org/assignments/media-types/"

static void iso_time(int64_t ms, char out[32])
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* A Turtle string body (between double quotes): ECHAR escapes for the characters that must
 * be escaped (Turtle §6.4); everything else is UTF-8 as it is. */
static void ttl_str(struct buf *b, const char *s)
{
    buf_putc(b, '"');
    for (; *s; s++) {
        switch (*s) {
        case '"':
            buf_puts(b, "\\\"");
            break;
        case '\\':
            buf_puts(b, "\\\\");
            break;
        case '\n':
            buf_puts(b, "\\n");
            break;
        case '\r':
            buf_puts(b, "\\r");
            break;
        case '\t':
            buf_puts(b, "\\t");
            break;
        default:
            if ((unsigned char)*s < 0x20)
                buf_printf(b, "\\u%04X", (unsigned)*s);
            else
                buf_putc(b, *s);
        }
    }
    buf_putc(b, '"');
}

/* `pred` with one literal per language present in `texts` ({zh, bo, en}); nothing if none. */
static void ttl_texts(struct buf *b, const char *pred, const json_t *texts)
{
    int n = 0;
    for (int i = 0; i < 3; i++) {
        const char *s = json_string_value(json_object_get(texts, LANGS[i]));
        if (s == NULL || *s == '\0')
            continue;
        buf_puts(b, n++ ? ", " : "    ");
        if (n == 1)
            buf_printf(b, "%s ", pred);
        ttl_str(b, s);
        buf_printf(b, "@%s", LANGS[i]);
    }
    if (n)
        buf_puts(b, " ;\n");
}

/* One dcat:keyword per keyword of each language. */
static void ttl_keywords(struct buf *b, const json_t *kw)
{
    for (int i = 0; i < 3; i++) {
        json_t *list = od_keywords(json_string_value(json_object_get(kw, LANGS[i])));
        size_t k;
        json_t *w;
        json_array_foreach(list, k, w)
        {
            buf_puts(b, "    dcat:keyword ");
            ttl_str(b, json_string_value(w));
            buf_printf(b, "@%s ;\n", LANGS[i]);
        }
        json_decref(list);
    }
}

static void ttl_dataset(struct buf *b, const char *base, const json_t *d)
{
    const char *slug = json_string_value(json_object_get(d, "slug"));
    char when[32];
    buf_printf(b, "<%s/data/%s#dataset> a dcat:Dataset ;\n", base, slug);
    ttl_texts(b, "dct:title", json_object_get(d, "title"));
    ttl_texts(b, "dct:description", json_object_get(d, "description"));
    ttl_keywords(b, json_object_get(d, "keywords"));
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(d, "themes"), i, t)
    {
        const struct od_term *th = od_term_find(od_themes, json_string_value(t));
        if (th != NULL)
            buf_printf(b, "    dcat:theme <%s> ;\n", th->uri);
    }
    const char *dep = json_string_value(json_object_get(d, "department_code"));
    if (dep != NULL)
        buf_printf(b, "    dct:publisher <%s/data?department=%s> ;\n", base, dep);
    int64_t sp = json_integer_value(json_object_get(d, "spatial"));
    if (sp > 0)
        buf_printf(b, "    dct:spatial <%s/divisions/%lld> ;\n", base, (long long)sp);
    const char *t0 = json_string_value(json_object_get(d, "temporal_start"));
    const char *t1 = json_string_value(json_object_get(d, "temporal_end"));
    if (t0 != NULL || t1 != NULL) {
        buf_puts(b, "    dct:temporal [ a dct:PeriodOfTime");
        if (t0 != NULL)
            buf_printf(b, " ; dcat:startDate \"%s\"^^xsd:date", t0);
        if (t1 != NULL)
            buf_printf(b, " ; dcat:endDate \"%s\"^^xsd:date", t1);
        buf_puts(b, " ] ;\n");
    }
    const struct od_term *fq =
        od_term_find(od_frequencies, json_string_value(json_object_get(d, "frequency")));
    if (fq != NULL)
        buf_printf(b, "    dct:accrualPeriodicity <%s> ;\n", fq->uri);
    iso_time(json_integer_value(json_object_get(d, "created_at")), when);
    buf_printf(b, "    dct:issued \"%s\"^^xsd:dateTime ;\n", when);
    iso_time(json_integer_value(json_object_get(d, "updated_at")), when);
    buf_printf(b, "    dct:modified \"%s\"^^xsd:dateTime ;\n", when);
    buf_printf(b, "    dcat:landingPage <%s/data/%s> ;\n", base, slug);
    buf_printf(b, "    dcat:distribution <%s/data/%s#csv>, <%s/data/%s#json>, <%s/data/%s#api> .\n",
               base, slug, base, slug, base, slug);
    const struct od_term *lic =
        od_term_find(od_licences, json_string_value(json_object_get(d, "licence")));
    for (int k = 0; k < 3; k++) {
        buf_printf(b, "<%s/data/%s#%s> a dcat:Distribution ;\n", base, slug, DIST_ID[k]);
        json_t *tt = json_pack("{s:s, s:s, s:s}", "zh", DIST_TITLE[k][0], "bo", DIST_TITLE[k][1],
                               "en", DIST_TITLE[k][2]);
        ttl_texts(b, "dct:title", tt);
        json_decref(tt);
        if (k < 2) {
            buf_printf(b, "    dcat:accessURL <%s/data/%s> ;\n", base, slug);
            buf_printf(b, "    dcat:downloadURL <%s/data/%s/data.%s> ;\n", base, slug, DIST_ID[k]);
        } else {
            buf_printf(b, "    dcat:accessURL <%s/api/v1/data/%s/rows> ;\n", base, slug);
        }
        buf_printf(b, "    dcat:mediaType <" IANA "%s> ;\n", DIST_MEDIA[k]);
        buf_printf(b, "    dct:format <" FILE_TYPE "%s> ;\n", DIST_FORMAT[k]);
        if (lic != NULL)
            buf_printf(b, "    dct:license <%s> ;\n", lic->uri);
        buf_puts(b, "    dct:conformsTo <https://www.rfc-editor.org/rfc/rfc4180> .\n");
    }
}

/* Publishers named by the listed datasets, once each: code -> publisher names. */
static json_t *publishers(const json_t *list)
{
    json_t *p = json_object();
    size_t i;
    json_t *d;
    json_array_foreach(list, i, d)
    {
        const char *code = json_string_value(json_object_get(d, "department_code"));
        if (code != NULL && json_object_get(p, code) == NULL)
            json_object_set(p, code, json_object_get(d, "publisher"));
    }
    return p;
}

int opendata_dcat_turtle(struct opendata *od, const char *base, struct buf *b, struct err *err)
{
    json_t *list = NULL;
    if (opendata_list(od, 0, &list, err) < 0)
        return -1;
    buf_puts(b, "@prefix dcat: <http://www.w3.org/ns/dcat#> .\n"
                "@prefix dct: <http://purl.org/dc/terms/> .\n"
                "@prefix foaf: <http://xmlns.com/foaf/0.1/> .\n"
                "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n\n");
    buf_printf(b, "<%s/data/catalog> a dcat:Catalog ;\n", base);
    json_t *t =
        json_pack("{s:s, s:s, s:s}", "zh", CAT_TITLE[0], "bo", CAT_TITLE[1], "en", CAT_TITLE[2]);
    ttl_texts(b, "dct:title", t);
    json_decref(t);
    t = json_pack("{s:s, s:s, s:s}", "zh", CAT_DESC[0], "bo", CAT_DESC[1], "en", CAT_DESC[2]);
    ttl_texts(b, "dct:description", t);
    json_decref(t);
    buf_printf(b, "    dct:publisher <%s/data?department=platform> ;\n", base);
    buf_printf(b, "    foaf:homepage <%s/data>", base);
    size_t i;
    json_t *d;
    json_array_foreach(list, i, d)
    {
        buf_printf(b, " ;\n    dcat:dataset <%s/data/%s#dataset>", base,
                   json_string_value(json_object_get(d, "slug")));
    }
    buf_puts(b, " .\n\n");
    json_array_foreach(list, i, d)
    {
        ttl_dataset(b, base, d);
        buf_putc(b, '\n');
    }
    json_t *pubs = publishers(list);
    const char *code;
    json_t *names;
    json_object_foreach(pubs, code, names)
    {
        buf_printf(b, "<%s/data?department=%s> a foaf:Agent ;\n", base, code);
        ttl_texts(b, "foaf:name", names);
        buf_printf(b, "    dct:identifier \"%s\"^^xsd:string .\n", code);
    }
    json_decref(pubs);
    json_decref(list);
    return 0;
}

/* ---- JSON-LD -------------------------------------------------------------------------- */

/* An IRI made of the pieces given (NULL-terminated), as a string or as {"@id": ...}. */
static json_t *ld_iri_v(const char *first, va_list ap)
{
    char iri[1024];
    size_t n = 0;
    iri[0] = '\0';
    for (const char *p = first; p != NULL; p = va_arg(ap, const char *))
        n += (size_t)snprintf(iri + n, n < sizeof(iri) ? sizeof(iri) - n : 0, "%s", p);
    return json_string(iri);
}

static json_t *ld_iri(const char *first, ...)
{
    va_list ap;
    va_start(ap, first);
    json_t *j = ld_iri_v(first, ap);
    va_end(ap);
    return j;
}

static json_t *ld_id(const char *first, ...)
{
    va_list ap;
    va_start(ap, first);
    json_t *j = ld_iri_v(first, ap);
    va_end(ap);
    return json_pack("{s:o}", "@id", j);
}

static json_t *ld_texts(const json_t *texts)
{
    json_t *a = json_array();
    for (int i = 0; i < 3; i++) {
        const char *s = json_string_value(json_object_get(texts, LANGS[i]));
        if (s != NULL && *s)
            json_array_append_new(a, json_pack("{s:s, s:s}", "@value", s, "@language", LANGS[i]));
    }
    return a;
}

static json_t *ld_typed(const char *value, const char *type)
{
    return json_pack("{s:s, s:s}", "@value", value, "@type", type);
}

static json_t *ld_keywords(const json_t *kw)
{
    json_t *a = json_array();
    for (int i = 0; i < 3; i++) {
        json_t *list = od_keywords(json_string_value(json_object_get(kw, LANGS[i])));
        size_t k;
        json_t *w;
        json_array_foreach(list, k, w)
        {
            json_array_append_new(a, json_pack("{s:O, s:s}", "@value", w, "@language", LANGS[i]));
        }
        json_decref(list);
    }
    return a;
}

static void ld_dataset(json_t *graph, const char *base, const json_t *d)
{
    const char *slug = json_string_value(json_object_get(d, "slug"));
    char when[32];
    json_t *ds = json_object();
    json_object_set_new(ds, "@id", ld_iri(base, "/data/", slug, "#dataset", (const char *)NULL));
    json_object_set_new(ds, "@type", json_string("dcat:Dataset"));
    json_object_set_new(ds, "dct:title", ld_texts(json_object_get(d, "title")));
    json_object_set_new(ds, "dct:description", ld_texts(json_object_get(d, "description")));
    json_object_set_new(ds, "dcat:keyword", ld_keywords(json_object_get(d, "keywords")));
    json_t *themes = json_array();
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(d, "themes"), i, t)
    {
        const struct od_term *th = od_term_find(od_themes, json_string_value(t));
        if (th != NULL)
            json_array_append_new(themes, json_pack("{s:s}", "@id", th->uri));
    }
    json_object_set_new(ds, "dcat:theme", themes);
    const char *dep = json_string_value(json_object_get(d, "department_code"));
    if (dep != NULL)
        json_object_set_new(ds, "dct:publisher",
                            ld_id(base, "/data?department=", dep, (const char *)NULL));
    int64_t sp = json_integer_value(json_object_get(d, "spatial"));
    if (sp > 0) {
        char code[24];
        snprintf(code, sizeof(code), "%lld", (long long)sp);
        json_object_set_new(ds, "dct:spatial",
                            ld_id(base, "/divisions/", code, (const char *)NULL));
    }
    const char *t0 = json_string_value(json_object_get(d, "temporal_start"));
    const char *t1 = json_string_value(json_object_get(d, "temporal_end"));
    if (t0 != NULL || t1 != NULL) {
        json_t *p = json_pack("{s:s}", "@type", "dct:PeriodOfTime");
        if (t0 != NULL)
            json_object_set_new(p, "dcat:startDate", ld_typed(t0, "xsd:date"));
        if (t1 != NULL)
            json_object_set_new(p, "dcat:endDate", ld_typed(t1, "xsd:date"));
        json_object_set_new(ds, "dct:temporal", p);
    }
    const struct od_term *fq =
        od_term_find(od_frequencies, json_string_value(json_object_get(d, "frequency")));
    if (fq != NULL)
        json_object_set_new(ds, "dct:accrualPeriodicity", json_pack("{s:s}", "@id", fq->uri));
    iso_time(json_integer_value(json_object_get(d, "created_at")), when);
    json_object_set_new(ds, "dct:issued", ld_typed(when, "xsd:dateTime"));
    iso_time(json_integer_value(json_object_get(d, "updated_at")), when);
    json_object_set_new(ds, "dct:modified", ld_typed(when, "xsd:dateTime"));
    json_object_set_new(ds, "dcat:landingPage", ld_id(base, "/data/", slug, (const char *)NULL));
    json_t *dists = json_array();
    const struct od_term *lic =
        od_term_find(od_licences, json_string_value(json_object_get(d, "licence")));
    for (int k = 0; k < 3; k++) {
        json_t *id = ld_id(base, "/data/", slug, "#", DIST_ID[k], (const char *)NULL);
        json_array_append(dists, id);
        json_t *di = json_object();
        json_object_set(di, "@id", json_object_get(id, "@id"));
        json_decref(id);
        json_object_set_new(di, "@type", json_string("dcat:Distribution"));
        json_t *tt = json_pack("{s:s, s:s, s:s}", "zh", DIST_TITLE[k][0], "bo", DIST_TITLE[k][1],
                               "en", DIST_TITLE[k][2]);
        json_object_set_new(di, "dct:title", ld_texts(tt));
        json_decref(tt);
        if (k < 2) {
            json_object_set_new(di, "dcat:accessURL",
                                ld_id(base, "/data/", slug, (const char *)NULL));
            json_object_set_new(
                di, "dcat:downloadURL",
                ld_id(base, "/data/", slug, "/data.", DIST_ID[k], (const char *)NULL));
        } else {
            json_object_set_new(di, "dcat:accessURL",
                                ld_id(base, "/api/v1/data/", slug, "/rows", (const char *)NULL));
        }
        char iri[128];
        snprintf(iri, sizeof(iri), IANA "%s", DIST_MEDIA[k]);
        json_object_set_new(di, "dcat:mediaType", json_pack("{s:s}", "@id", iri));
        snprintf(iri, sizeof(iri), FILE_TYPE "%s", DIST_FORMAT[k]);
        json_object_set_new(di, "dct:format", json_pack("{s:s}", "@id", iri));
        if (lic != NULL)
            json_object_set_new(di, "dct:license", json_pack("{s:s}", "@id", lic->uri));
        json_object_set_new(di, "dct:conformsTo",
                            json_pack("{s:s}", "@id", "https://www.rfc-editor.org/rfc/rfc4180"));
        json_array_append_new(graph, di);
    }
    json_object_set_new(ds, "dcat:distribution", dists);
    json_array_append_new(graph, ds);
}

int opendata_dcat_jsonld(struct opendata *od, const char *base, struct buf *b, struct err *err)
{
    json_t *list = NULL;
    if (opendata_list(od, 0, &list, err) < 0)
        return -1;
    json_t *graph = json_array();
    json_t *cat = json_object();
    json_object_set_new(cat, "@id", ld_iri(base, "/data/catalog", (const char *)NULL));
    json_object_set_new(cat, "@type", json_string("dcat:Catalog"));
    json_t *t =
        json_pack("{s:s, s:s, s:s}", "zh", CAT_TITLE[0], "bo", CAT_TITLE[1], "en", CAT_TITLE[2]);
    json_object_set_new(cat, "dct:title", ld_texts(t));
    json_decref(t);
    t = json_pack("{s:s, s:s, s:s}", "zh", CAT_DESC[0], "bo", CAT_DESC[1], "en", CAT_DESC[2]);
    json_object_set_new(cat, "dct:description", ld_texts(t));
    json_decref(t);
    json_object_set_new(cat, "dct:publisher",
                        ld_id(base, "/data?department=", "platform", (const char *)NULL));
    json_object_set_new(cat, "foaf:homepage", ld_id(base, "/data", (const char *)NULL));
    json_t *sets = json_array();
    size_t i;
    json_t *d;
    json_array_foreach(list, i, d)
    {
        json_array_append_new(sets,
                              ld_id(base, "/data/", json_string_value(json_object_get(d, "slug")),
                                    "#dataset", (const char *)NULL));
        ld_dataset(graph, base, d);
    }
    json_object_set_new(cat, "dcat:dataset", sets);
    json_array_insert_new(graph, 0, cat);
    json_t *pubs = publishers(list);
    const char *code;
    json_t *names;
    json_object_foreach(pubs, code, names)
    {
        json_t *ag = ld_id(base, "/data?department=", code, (const char *)NULL);
        json_object_set_new(ag, "@type", json_string("foaf:Agent"));
        json_object_set_new(ag, "foaf:name", ld_texts(names));
        json_object_set_new(ag, "dct:identifier", ld_typed(code, "xsd:string"));
        json_array_append_new(graph, ag);
    }
    json_decref(pubs);
    json_decref(list);
    json_t *doc =
        json_pack("{s:{s:s, s:s, s:s, s:s}, s:o}", "@context", "dcat", "http://www.w3.org/ns/dcat#",
                  "dct", "http://purl.org/dc/terms/", "foaf", "http://xmlns.com/foaf/0.1/", "xsd",
                  "http://www.w3.org/2001/XMLSchema#", "@graph", graph);
    char *s = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (s == NULL)
        return err_set(err, 500, "opendata.oom", "out of memory");
    int rc = buf_puts(b, s);
    free(s);
    return rc < 0 ? err_set(err, 500, "opendata.oom", "out of memory") : 0;
}

/* Copy the cached document `k` into the arena. Called with the lock held. */
static int dcat_copy(struct opendata *od, int k, struct arena *a, const char **body, size_t *len,
                     struct err *err)
{
    char *p = arena_alloc(a, od->dcat_len[k] + 1);
    if (p == NULL)
        return err_set(err, 500, "opendata.oom", "out of memory");
    memcpy(p, od->dcat[k], od->dcat_len[k]);
    p[od->dcat_len[k]] = '\0';
    *body = p;
    *len = od->dcat_len[k];
    return 0;
}

int od_dcat_get(struct opendata *od, const char *base, int turtle, struct arena *a,
                const char **body, size_t *len, struct err *err)
{
    int k = turtle ? 0 : 1, rc;
    int64_t v = opendata_version(od);
    if (v < 0)
        return err_set(err, 503, "store.unavailable", "the datasets cannot be read");
    if (strlen(base) >= sizeof(od->dcat_base[k]))
        return err_set(err, 400, "opendata.bad_host", "the site address is too long");
    pthread_mutex_lock(&od->lock);
    if (od->dcat[k] != NULL && od->dcat_version[k] == v && strcmp(od->dcat_base[k], base) == 0) {
        rc = dcat_copy(od, k, a, body, len, err);
        pthread_mutex_unlock(&od->lock);
        return rc;
    }
    pthread_mutex_unlock(&od->lock);
    /* Built outside the lock (opendata_list takes it); two requests may both build. */
    struct buf b;
    buf_init(&b, 256 * 1024 * 1024);
    rc = turtle ? opendata_dcat_turtle(od, base, &b, err) : opendata_dcat_jsonld(od, base, &b, err);
    if (rc < 0) {
        buf_free(&b);
        return -1;
    }
    size_t n = 0;
    char *doc = buf_take(&b, &n);
    if (doc == NULL)
        return err_set(err, 500, "opendata.oom", "out of memory");
    pthread_mutex_lock(&od->lock);
    free(od->dcat[k]);
    od->dcat[k] = doc;
    od->dcat_len[k] = n;
    od->dcat_version[k] = v;
    snprintf(od->dcat_base[k], sizeof(od->dcat_base[k]), "%s", base);
    rc = dcat_copy(od, k, a, body, len, err);
    pthread_mutex_unlock(&od->lock);
    return rc;
}
