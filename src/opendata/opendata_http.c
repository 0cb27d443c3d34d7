/*
 * opendata_http.c - the open-data portal and downloads:
 *   GET  /data                       browse by theme, publisher and place; search (?q=)
 *   GET  /data/{slug}                a dataset: metadata, a preview of the first rows, links
 *   GET  /data/{slug}/data.csv|json  downloads (counted per dataset)
 *   GET  /api/v1/data/{slug}/rows    the row API (?offset=&limit=; counted as an API call)
 *   GET  /data/catalog.ttl|jsonld    DCAT-AP 3.0 (opendata_dcat.c)
 * JSON twins under /api/v1/data. The admin page and uploads are in opendata_admin.c, the
 * CKAN action API in opendata_ckan.c.
 */
#include "opendata/opendata_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/csv.h"
#include "divisions/divisions.h"
#include "identity/identity.h"
#include "l10n/l10n.h"
#include "store/store.h"
#include "web/web.h"

#define PREVIEW_ROWS 10
#define PAGE_SIZE 20 /* datasets on a page of /data */
#define ROWS_LIMIT_MAX 1000

/* ---- shared helpers ------------------------------------------------------------------- */

/* Case-insensitive substring search: ASCII letters fold (glibc's strcasestr in the C
 * locale), Chinese and Tibetan compare byte for byte. */
static int contains(const char *hay, const char *needle)
{
    return hay != NULL && strcasestr(hay, needle) != NULL;
}

static int texts_contain(const json_t *texts, const char *q)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)texts, k, v)
    {
        if (contains(json_string_value(v), q))
            return 1;
    }
    return 0;
}

int od_match(const json_t *d, const struct od_query *q)
{
    if (q->theme != NULL && *q->theme) {
        int hit = 0;
        size_t i;
        json_t *t;
        json_array_foreach(json_object_get(d, "themes"), i, t)
        {
            hit |= strcmp(json_string_value(t) ? json_string_value(t) : "", q->theme) == 0;
        }
        if (!hit)
            return 0;
    }
    if (q->department != NULL && *q->department) {
        const char *dc = json_string_value(json_object_get(d, "department_code"));
        if (dc == NULL || strcmp(dc, q->department) != 0)
            return 0;
    }
    if (q->place > 0) {
        int64_t sp = json_integer_value(json_object_get(d, "spatial"));
        if (sp <= 0 || !(divisions_contains(sp, q->place) || divisions_contains(q->place, sp)))
            return 0;
    }
    if (q->q != NULL && *q->q) {
        const char *text = json_string_value(json_object_get(d, OD_SEARCH_TEXT));
        if (text == NULL ? !texts_contain(json_object_get(d, "title"), q->q)
                         : !contains(text, q->q))
            return 0;
    }
    return 1;
}

const char *odh_base(struct web_req *req, const struct od_http *h)
{
    if (h->public_url != NULL && *h->public_url) {
        size_t n = strlen(h->public_url);
        while (n > 0 && h->public_url[n - 1] == '/')
            n--;
        return arena_strndup(req->arena, h->public_url, n);
    }
    const char *host = web_header(req, "Host");
    if (host == NULL || *host == '\0' || strlen(host) > 255)
        return NULL;
    /* Only what a host[:port] may hold, so that it cannot break out of an IRI. */
    for (const char *p = host; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '-' || *p == ':' || *p == '[' || *p == ']'))
            return NULL;
    return arena_printf(req->arena, "http://%s", host);
}

int odh_raw(struct web_req *req, struct web_resp *resp, const char *ctype, struct buf *b)
{
    char *body = arena_alloc(req->arena, b->len + 1);
    if (body == NULL) {
        buf_free(b);
        return web_fail(resp, 500, "opendata.oom", "out of memory");
    }
    if (b->len)
        memcpy(body, b->data, b->len);
    body[b->len] = '\0';
    resp->body = body;
    resp->body_len = b->len;
    resp->content_type = ctype;
    buf_free(b);
    return 0;
}

/* The text of {zh, bo, en} in `lang`, else zh, else en; *in gets the language used. */
static const char *text_in(const json_t *texts, const char *lang, const char **in)
{
    static const char *const order[] = {NULL, "zh", "en", "bo"};
    for (int i = 0; i < 4; i++) {
        const char *l = i == 0 ? lang : order[i];
        const char *s = json_string_value(json_object_get(texts, l));
        if (s != NULL && *s) {
            *in = l;
            return s;
        }
    }
    *in = lang;
    return "";
}

/* 1 if `s` holds a Han character (CJK block): such data shown on a bo or en page is marked
 * lang="zh" (names of places and services in data files have no translation). */
static int has_han(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; p != NULL && *p; p++)
        if (*p >= 0xE3 && *p <= 0xE9)
            return 1;
    return 0;
}

void odh_put_text(json_t *o, const char *key, const json_t *texts, const char *lang)
{
    const char *in;
    const char *s = text_in(texts, lang, &in);
    json_object_set_new(o, key, json_string(s));
    char k[64];
    snprintf(k, sizeof(k), "%s_lang", key);
    json_object_set_new(o, k, json_string(in));
}

/* Names of a dataset for a page: title, description, publisher, themes, place, licence. */
void odh_decorate(struct web_req *req, struct store_conn *c, json_t *d)
{
    json_object_del(d, OD_SEARCH_TEXT);
    /* ids in text: they exceed what a JavaScript number holds exactly */
    static const char *const ids[] = {"id", "department_id"};
    for (int i = 0; i < 2; i++)
        json_object_set_new(
            d, ids[i],
            json_string(arena_printf(req->arena, "%lld",
                                     (long long)json_integer_value(json_object_get(d, ids[i])))));
    odh_put_text(d, "title_text", json_object_get(d, "title"), req->lang);
    odh_put_text(d, "description_text", json_object_get(d, "description"), req->lang);
    odh_put_text(d, "keywords_text", json_object_get(d, "keywords"), req->lang);
    odh_put_text(d, "publisher_name", json_object_get(d, "publisher"), req->lang);
    json_t *labels = json_array();
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(d, "themes"), i, t)
    {
        const char *code = json_string_value(t);
        if (code != NULL)
            json_array_append_new(
                labels,
                json_pack("{s:s, s:s}", "code", code, "label",
                          web_t(req, arena_printf(req->arena, "opendata.themes.%s", code))));
    }
    json_object_set_new(d, "theme_labels", labels);
    int64_t sp = json_integer_value(json_object_get(d, "spatial"));
    const char *in = req->lang;
    const char *place =
        sp > 0 && c != NULL ? divisions_place_name(c, req->arena, sp, req->lang, &in) : NULL;
    json_object_set_new(d, "place_name", json_string(place ? place : ""));
    json_object_set_new(d, "place_name_lang", json_string(in ? in : req->lang));
    const char *fq = json_string_value(json_object_get(d, "frequency"));
    json_object_set_new(
        d, "frequency_label",
        json_string(web_t(req, arena_printf(req->arena, "opendata.frequency.%s", fq ? fq : ""))));
    const struct od_term *lic =
        od_term_find(od_licences, json_string_value(json_object_get(d, "licence")));
    if (lic != NULL)
        json_object_set_new(d, "licence_url", json_string(lic->uri));
    json_object_set_new(
        d, "updated",
        json_string(l10n_date(req->arena, req->lang,
                              json_integer_value(json_object_get(d, "updated_at")))));
    json_object_set_new(d, "rows_text",
                        json_string(l10n_number(req->arena, req->lang,
                                                json_integer_value(json_object_get(d, "nrows")))));
}

json_t *odh_model(struct web_req *req, const char *title_key)
{
    return json_pack("{s:s}", "title", web_t(req, title_key));
}

/* ---- /data ---------------------------------------------------------------------------- */

static int h_index(struct web_req *req, struct web_resp *resp)
{
    struct od_http *h = req->ctx;
    struct err err;
    err_clear(&err);
    struct od_query q = {web_query(req, "q"), web_query(req, "theme"), web_query(req, "department"),
                         0};
    const char *place = web_query(req, "place");
    if (q.q != NULL && strlen(q.q) > 200)
        return web_fail(resp, 400, "opendata.query_too_long", "the search is too long");
    if (place != NULL && *place && divisions_parse_code(place, &q.place, &err) < 0)
        return web_fail_err(resp, &err);
    int64_t pageno = 1;
    if (web_query_int(req, resp, "page", 1, 100000, 1, &pageno) < 0)
        return -1;
    json_t *all = NULL;
    if (opendata_list(h->od, 0, &all, &err) < 0)
        return web_fail_err(resp, &err);
    json_t *m = odh_model(req, "opendata.title");
    json_t *hits = json_array(), *themes = json_object(), *pubs = json_object();
    size_t i, matched = 0, first = (size_t)(pageno - 1) * PAGE_SIZE;
    json_t *d;
    json_array_foreach(all, i, d)
    {
        json_t *t;
        size_t k;
        json_array_foreach(json_object_get(d, "themes"), k, t)
        {
            const char *code = json_string_value(t);
            if (code != NULL)
                json_object_set_new(
                    themes, code,
                    json_integer(json_integer_value(json_object_get(themes, code)) + 1));
        }
        const char *dc = json_string_value(json_object_get(d, "department_code"));
        if (dc != NULL && json_object_get(pubs, dc) == NULL)
            json_object_set(pubs, dc, json_object_get(d, "publisher"));
        if (od_match(d, &q) && matched++ >= first && json_array_size(hits) < PAGE_SIZE)
            json_array_append_new(hits, json_deep_copy(d)); /* decorated below */
    }
    struct store_conn *sc = store_conn(h->od->store, &err);
    json_array_foreach(hits, i, d)
    {
        odh_decorate(req, sc, d);
    }
    json_t *tl = json_array();
    const char *code;
    json_t *v;
    json_object_foreach(themes, code, v)
    {
        json_array_append_new(
            tl, json_pack("{s:s, s:s, s:I, s:b}", "code", code, "label",
                          web_t(req, arena_printf(req->arena, "opendata.themes.%s", code)), "count",
                          (json_int_t)json_integer_value(v), "selected",
                          q.theme != NULL && strcmp(q.theme, code) == 0));
    }
    json_t *pl = json_array();
    json_object_foreach(pubs, code, v)
    {
        json_t *p = json_pack("{s:s, s:b}", "code", code, "selected",
                              q.department != NULL && strcmp(q.department, code) == 0);
        odh_put_text(p, "name", v, req->lang);
        json_array_append_new(pl, p);
    }
    /* Places to browse by: the region's prefectures. */
    json_t *places = json_array();
    struct division *kids = NULL;
    size_t nk = 0;
    if (sc != NULL && divisions_children(sc, req->arena, DIVISIONS_ROOT, &kids, &nk, &err) == 0)
        for (size_t k = 0; k < nk; k++) {
            const char *name = divisions_name(&kids[k], req->lang);
            json_array_append_new(
                places,
                json_pack("{s:s, s:s, s:s, s:b}", "code",
                          arena_printf(req->arena, "%lld", (long long)kids[k].code), "name",
                          name ? name : kids[k].name_zh, "name_lang",
                          has_han(name) ? "zh" : req->lang, "selected", q.place == kids[k].code));
        }
    json_object_set_new(m, "datasets", hits);
    json_object_set_new(m, "count", json_integer((json_int_t)matched));
    /* Pages of PAGE_SIZE: links keep the filters (each value URL-encoded). */
    struct buf qs;
    buf_init(&qs, 4096);
    static const char *const keep[] = {"q", "theme", "department", "place"};
    for (size_t k = 0; k < 4; k++) {
        const char *val = web_query(req, keep[k]);
        if (val != NULL && *val) {
            buf_printf(&qs, "%s=", keep[k]);
            web_url_encode(&qs, val);
            buf_putc(&qs, '&');
        }
    }
    const char *qtext = qs.data ? arena_strndup(req->arena, qs.data, qs.len) : "";
    buf_free(&qs);
    if (pageno > 1)
        json_object_set_new(m, "prev_url",
                            json_string(arena_printf(req->arena, "/data?%spage=%lld", qtext,
                                                     (long long)pageno - 1)));
    if (first + PAGE_SIZE < matched)
        json_object_set_new(m, "next_url",
                            json_string(arena_printf(req->arena, "/data?%spage=%lld", qtext,
                                                     (long long)pageno + 1)));
    json_object_set_new(m, "has_pages", json_boolean(pageno > 1 || first + PAGE_SIZE < matched));
    json_object_set_new(m, "has_datasets", json_boolean(json_array_size(hits) > 0));
    json_object_set_new(m, "themes", tl);
    json_object_set_new(m, "publishers", pl);
    json_object_set_new(m, "places", places);
    json_object_set_new(m, "q", json_string(q.q ? q.q : ""));
    json_decref(themes);
    json_decref(pubs);
    json_decref(all);
    return web_page(resp, m, "opendata/index", 200);
}

/* ---- /data/{slug} --------------------------------------------------------------------- */

/* The first rows of a CSV as {columns: [..], rows: [{cells: [{v, lang?}]}]}. */
static json_t *preview(struct web_req *req, const char *csv, size_t len, int max_rows)
{
    struct csv *c = arena_alloc(req->arena, sizeof(*c));
    const char *f[CSV_MAX_FIELDS];
    json_t *cols = json_array(), *rows = json_array();
    int n, line = 0;
    if (c == NULL)
        return json_pack("{s:o, s:o}", "columns", cols, "rows", rows);
    if (len >= 3 && memcmp(csv, "\xEF\xBB\xBF", 3) == 0) {
        csv += 3;
        len -= 3;
    }
    csv_init(c, csv, len);
    while (line <= max_rows && (n = csv_next(c, f)) > 0) {
        json_t *cells = json_array();
        for (int i = 0; i < n; i++) {
            json_t *cell = json_pack("{s:s}", "v", f[i]);
            json_object_set_new(cell, "han_cell",
                                json_boolean(strcmp(req->lang, "zh") != 0 && has_han(f[i])));
            json_array_append_new(line == 0 ? cols : cells, cell);
        }
        if (line > 0)
            json_array_append_new(rows, json_pack("{s:o}", "cells", cells));
        else
            json_decref(cells);
        line++;
    }
    return json_pack("{s:o, s:o}", "columns", cols, "rows", rows);
}

static int h_show(struct web_req *req, struct web_resp *resp)
{
    struct od_http *h = req->ctx;
    struct err err;
    err_clear(&err);
    json_t *d = NULL;
    char *csv = NULL;
    size_t len = 0;
    if (opendata_get(h->od, web_param(req, "slug"), 0, &d, &err) < 0)
        return web_fail_err(resp, &err);
    const char *slug = json_string_value(json_object_get(d, "slug"));
    if (opendata_csv(h->od, slug, &csv, &len, &err) == 0) {
        json_object_set_new(d, "preview", preview(req, csv, len, PREVIEW_ROWS));
        free(csv);
    }
    odh_decorate(req, store_conn(h->od->store, &err), d);
    json_object_set_new(d, "title",
                        json_string(json_string_value(json_object_get(d, "title_text"))));
    return web_page(resp, d, "opendata/show", 200);
}

/* ---- downloads ------------------------------------------------------------------------ */

/* A dataset file as a download named after its slug, counted. */
static int send_download(struct web_req *req, struct web_resp *resp, const char *slug,
                         const char *ext, const char *ctype, struct buf *b)
{
    struct od_http *h = req->ctx;
    struct err err;
    err_clear(&err);
    opendata_count(h->od, slug, 1, &err);
    web_resp_header(resp, "Content-Disposition",
                    arena_printf(req->arena, "attachment; filename=\"%s.%s\"", slug, ext));
    return odh_raw(req, resp, ctype, b);
}

static int h_csv(struct web_req *req, struct web_resp *resp)
{
    struct od_http *h = req->ctx;
    struct err err;
    err_clear(&err);
    char *csv = NULL;
    size_t len = 0;
    const char *slug = web_param(req, "slug");
    if (opendata_csv(h->od, slug, &csv, &len, &err) < 0)
        return web_fail_err(resp, &err);
    struct buf b;
    buf_init(&b, OPENDATA_CSV_MAX + 16);
    int rc = buf_append(&b, csv, len);
    free(csv);
    if (rc < 0) {
        buf_free(&b);
        return web_fail(resp, 500, "opendata.oom", "out of memory");
    }
    return send_download(req, resp, slug, "csv", "text/csv; charset=utf-8", &b);
}

/* The CSV as JSON objects keyed by the header, rows [offset, offset + limit). */
static int rows_json(struct web_req *req, const char *csv, size_t len, int64_t offset,
                     int64_t limit, int wrap, struct buf *out)
{
    struct csv *c = arena_alloc(req->arena, sizeof(*c));
    const char *f[CSV_MAX_FIELDS];
    if (c == NULL)
        return -1;
    if (len >= 3 && memcmp(csv, "\xEF\xBB\xBF", 3) == 0) {
        csv += 3;
        len -= 3;
    }
    csv_init(c, csv, len);
    json_t *fields = json_array(), *rows = json_array();
    int n;
    int64_t i = -1, total = 0;
    while ((n = csv_next(c, f)) > 0) {
        if (i < 0) {
            for (int k = 0; k < n; k++)
                json_array_append_new(fields, json_string(f[k]));
        } else {
            total++;
            if (i >= offset && i < offset + limit) {
                json_t *row = json_object();
                for (int k = 0; k < n && k < (int)json_array_size(fields); k++)
                    json_object_set_new(row, json_string_value(json_array_get(fields, k)),
                                        json_string(f[k]));
                json_array_append_new(rows, row);
            }
        }
        i++;
    }
    json_t *doc = wrap ? json_pack("{s:o, s:o, s:I, s:I, s:I}", "fields", fields, "rows", rows,
                                   "total", (json_int_t)total, "offset", (json_int_t)offset,
                                   "limit", (json_int_t)limit)
                       : (json_decref(fields), rows);
    char *s = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    int rc = s != NULL && buf_puts(out, s) == 0 ? 0 : -1;
    free(s);
    return rc;
}

static int h_json(struct web_req *req, struct web_resp *resp)
{
    struct od_http *h = req->ctx;
    struct err err;
    err_clear(&err);
    char *csv = NULL;
    size_t len = 0;
    const char *slug = web_param(req, "slug");
    if (opendata_csv(h->od, slug, &csv, &len, &err) < 0)
        return web_fail_err(resp, &err);
    struct buf b;
    buf_init(&b, 4 * OPENDATA_CSV_MAX);
    int rc = rows_json(req, csv, len, 0, INT64_MAX / 2, 0, &b);
    free(csv);
    if (rc < 0) {
        buf_free(&b);
        return web_fail(resp, 500, "opendata.oom", "out of memory");
    }
    return send_download(req, resp, slug, "json", "application/json; charset=utf-8", &b);
}

static int h_rows(struct web_req *req, struct web_resp *resp)
{
    struct od_http *h = req->ctx;
    struct err err;
    err_clear(&err);
    int64_t offset = 0, limit = 100;
    if (web_query_int(req, resp, "offset", 0, 100000000, 0, &offset) < 0 ||
        web_query_int(req, resp, "limit", 1, ROWS_LIMIT_MAX, 100, &limit) < 0)
        return -1;
    char *csv = NULL;
    size_t len = 0;
    const char *slug = web_param(req, "slug");
    if (opendata_csv(h->od, slug, &csv, &len, &err) < 0)
        return web_fail_err(resp, &err);
    struct buf b;
    buf_init(&b, 4 * OPENDATA_CSV_MAX);
    int rc = rows_json(req, csv, len, offset, limit, 1, &b);
    free(csv);
    if (rc < 0) {
        buf_free(&b);
        return web_fail(resp, 500, "opendata.oom", "out of memory");
    }
    opendata_count(h->od, slug, 0, &err);
    return odh_raw(req, resp, "application/json; charset=utf-8", &b);
}

/* ---- DCAT ----------------------------------------------------------------------------- */

static int dcat(struct web_req *req, struct web_resp *resp, int turtle)
{
    struct od_http *h = req->ctx;
    struct err err;
    err_clear(&err);
    const char *base = odh_base(req, h);
    if (base == NULL)
        return web_fail(resp, 400, "opendata.bad_host", "the Host header is not usable");
    int64_t version = opendata_version(h->od);
    if (version >= 0 &&
        web_cache_hit(req, resp,
                      arena_printf(req->arena, "opendata:%s:%s", turtle ? "ttl" : "jsonld", base),
                      version))
        return 0;
    /* A small catalog is kept by the web cache (with its ETag and gzip form); a large one
     * (past the web cache's limit) by the module. */
    const char *body = NULL;
    size_t len = 0;
    if (od_dcat_get(h->od, base, turtle, req->arena, &body, &len, &err) < 0)
        return web_fail_err(resp, &err);
    resp->body = body;
    resp->body_len = len;
    resp->content_type =
        turtle ? "text/turtle; charset=utf-8" : "application/ld+json; charset=utf-8";
    return 0;
}

static int h_ttl(struct web_req *req, struct web_resp *resp)
{
    return dcat(req, resp, 1);
}

static int h_jsonld(struct web_req *req, struct web_resp *resp)
{
    return dcat(req, resp, 0);
}

int opendata_http_register(struct web_server *srv, struct opendata *od, struct identity *id,
                           const char *public_url)
{
    static struct od_http h; /* one server per process; lives until exit */
    h.od = od;
    h.id = id;
    h.public_url = public_url ? public_url : "";
    if (web_route(srv, "GET", "/data", h_index, &h) < 0 ||
        web_route(srv, "GET", "/api/v1/data", h_index, &h) < 0 ||
        web_route(srv, "GET", "/data/catalog.ttl", h_ttl, &h) < 0 ||
        web_route(srv, "GET", "/data/catalog.jsonld", h_jsonld, &h) < 0 ||
        web_route(srv, "GET", "/data/{slug}", h_show, &h) < 0 ||
        web_route(srv, "GET", "/api/v1/data/{slug}", h_show, &h) < 0 ||
        web_route(srv, "GET", "/data/{slug}/data.csv", h_csv, &h) < 0 ||
        web_route(srv, "GET", "/data/{slug}/data.json", h_json, &h) < 0 ||
        web_route(srv, "GET", "/api/v1/data/{slug}/rows", h_rows, &h) < 0)
        return -1;
    return odh_admin_register(srv, &h) < 0 ? -1 : odh_ckan_register(srv, &h);
}
