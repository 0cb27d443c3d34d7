/*
 * builtin.c - what every onewindow server answers besides the domain modules:
 *   GET /healthz   the process is alive (no database access: for liveness probes)
 *   GET /readyz    the database answers and its schema is the one this binary expects
 *   GET /metrics   Prometheus text format: requests by route and status, latency
 *                  histograms, database statement count and time, in-flight requests,
 *                  resident memory, messages shown in zh for want of a translation
 *   GET /static/…  embedded assets (web/static/) with strong ETags; prebuilt responses,
 *                  gzip variants, and year-long immutable caching when the URL carries
 *                  the asset's fingerprint (?v=<etag>), as the layout's links do
 */
#include "web/web_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <unistd.h>

#include "base/arena.h"
#include "base/embed.h"
#include "base/id.h"
#include "store/store.h"
#include "web/i18n.h"

/* ---- health ------------------------------------------------------------------------ */

static int h_healthz(struct web_req *req, struct web_resp *resp)
{
    resp->model = json_pack("{s:s}", "status", "ok");
    return resp->model ? 0 : web_fail(resp, 500, "http.internal", "out of memory");
}

static int h_readyz(struct web_req *req, struct web_resp *resp)
{
    struct web_server *s = req->server;
    struct err err;
    err_clear(&err);
    struct store_conn *c = store_conn(s->store, &err);
    int64_t version = 0;
    if (c == NULL || store_schema_version(c, &version, &err) < 0)
        return web_fail(resp, 503, "store.not_ready", "the database does not answer: %s", err.msg);
    int64_t want = store_latest_migration();
    if (version != want)
        return web_fail(resp, 503, "store.schema_mismatch",
                        "the database schema is at version %lld but this binary needs %lld: "
                        "run `onewindow migrate`",
                        (long long)version, (long long)want);
    resp->model = json_pack("{s:s, s:s, s:I}", "status", "ready", "database",
                            store_kind_name(s->store), "schema_version", (json_int_t)version);
    return resp->model ? 0 : web_fail(resp, 500, "http.internal", "out of memory");
}

/* ---- metrics ----------------------------------------------------------------------- */

static long resident_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, rss = 0;
    if (f == NULL)
        return 0;
    if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
        rss = 0;
    fclose(f);
    return rss * sysconf(_SC_PAGESIZE);
}

static void metric_labels(struct buf *b, struct web_server *s, size_t i)
{
    if (i + 1 == s->nmetrics)
        buf_puts(b, "method=\"\",route=\"unmatched\"");
    else
        buf_printf(b, "method=\"%s\",route=\"%s\"", router_method(s->router, (int)i),
                   router_pattern(s->router, (int)i));
}

static int h_metrics(struct web_req *req, struct web_resp *resp)
{
    struct web_server *s = req->server;
    struct buf b;
    buf_init(&b, 4u << 20);
    buf_puts(&b, "# HELP onewindow_http_requests_total HTTP requests by route and status.\n"
                 "# TYPE onewindow_http_requests_total counter\n");
    for (size_t i = 0; i < s->nmetrics; i++) {
        struct route_metrics *m = &s->metrics[i];
        for (int k = 0; k <= WEB_NSTATUS; k++) {
            uint64_t n = __atomic_load_n(&m->by_status[k], __ATOMIC_RELAXED);
            if (n == 0)
                continue;
            buf_puts(&b, "onewindow_http_requests_total{");
            metric_labels(&b, s, i);
            if (k < WEB_NSTATUS)
                buf_printf(&b, ",status=\"%d\"} %llu\n", web_status_codes[k],
                           (unsigned long long)n);
            else
                buf_printf(&b, ",status=\"other\"} %llu\n", (unsigned long long)n);
        }
    }
    buf_puts(&b, "# HELP onewindow_http_request_duration_seconds Time from request line to "
                 "response sent.\n# TYPE onewindow_http_request_duration_seconds histogram\n");
    for (size_t i = 0; i < s->nmetrics; i++) {
        struct route_metrics *m = &s->metrics[i];
        uint64_t cum = 0;
        uint64_t counts[WEB_LAT_BUCKETS + 1];
        for (int k = 0; k <= WEB_LAT_BUCKETS; k++) {
            counts[k] = __atomic_load_n(&m->lat[k], __ATOMIC_RELAXED);
            cum += counts[k];
        }
        if (cum == 0)
            continue;
        uint64_t run = 0;
        for (int k = 0; k <= WEB_LAT_BUCKETS; k++) {
            run += counts[k];
            buf_puts(&b, "onewindow_http_request_duration_seconds_bucket{");
            metric_labels(&b, s, i);
            if (k < WEB_LAT_BUCKETS)
                buf_printf(&b, ",le=\"%g\"} %llu\n", web_lat_bounds_us[k] / 1e6,
                           (unsigned long long)run);
            else
                buf_printf(&b, ",le=\"+Inf\"} %llu\n", (unsigned long long)run);
        }
        buf_puts(&b, "onewindow_http_request_duration_seconds_sum{");
        metric_labels(&b, s, i);
        buf_printf(&b, "} %.6f\n", __atomic_load_n(&m->lat_sum_us, __ATOMIC_RELAXED) / 1e6);
        buf_puts(&b, "onewindow_http_request_duration_seconds_count{");
        metric_labels(&b, s, i);
        buf_printf(&b, "} %llu\n", (unsigned long long)cum);
    }
    uint64_t steps = 0, us = 0;
    store_stats(s->store, &steps, &us);
    buf_printf(&b,
               "# HELP onewindow_db_statements_total Database statements stepped.\n"
               "# TYPE onewindow_db_statements_total counter\n"
               "onewindow_db_statements_total{backend=\"%s\"} %llu\n"
               "# HELP onewindow_db_seconds_total Time spent in database statements.\n"
               "# TYPE onewindow_db_seconds_total counter\n"
               "onewindow_db_seconds_total{backend=\"%s\"} %.6f\n"
               "# HELP onewindow_http_in_flight Requests being served.\n"
               "# TYPE onewindow_http_in_flight gauge\n"
               "onewindow_http_in_flight %llu\n"
               "# HELP onewindow_process_resident_memory_bytes Resident memory.\n"
               "# TYPE onewindow_process_resident_memory_bytes gauge\n"
               "onewindow_process_resident_memory_bytes %ld\n"
               "# HELP onewindow_uptime_seconds Seconds since the server started.\n"
               "# TYPE onewindow_uptime_seconds gauge\n"
               "onewindow_uptime_seconds %.3f\n",
               store_kind_name(s->store), (unsigned long long)steps, store_kind_name(s->store),
               us / 1e6, (unsigned long long)__atomic_load_n(&s->in_flight, __ATOMIC_RELAXED),
               resident_bytes(), (time_now_ms() - s->started_ms) / 1e3);
    buf_printf(&b,
               "# HELP onewindow_http_slow_heads_total Connections closed because their request "
               "head was not complete within the head timeout.\n"
               "# TYPE onewindow_http_slow_heads_total counter\n"
               "onewindow_http_slow_heads_total %llu\n",
               (unsigned long long)(s->edge ? web_edge_closed_slow(s->edge) : 0));
    /* Zero for zh, which is the fallback itself: only the other languages are listed. */
    buf_puts(&b, "# HELP onewindow_i18n_fallback_total Messages shown in Chinese because the "
                 "page's language has none (marked lang=\"zh\").\n"
                 "# TYPE onewindow_i18n_fallback_total counter\n");
    for (int i = 1; i < I18N_NLANGS; i++)
        buf_printf(&b, "onewindow_i18n_fallback_total{lang=\"%s\"} %llu\n", i18n_langs[i],
                   (unsigned long long)i18n_fallback_total(i18n_langs[i]));
    if (b.data == NULL) {
        buf_free(&b);
        return web_fail(resp, 500, "http.internal", "out of memory");
    }
    /* The text lives in the request arena so the raw-body path can copy it. */
    char *text = arena_strndup(req->arena, b.data, b.len);
    resp->body = text;
    resp->body_len = b.len;
    buf_free(&b);
    if (text == NULL)
        return web_fail(resp, 500, "http.internal", "out of memory");
    resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
    return 0;
}

/* ---- static assets ----------------------------------------------------------------- */

struct static_asset {
    const char *name; /* path under web/static/ */
    const struct embed_file *file;
    char etag[20]; /* the quoted ETag */
    /* [gzip][fingerprinted] */
    struct MHD_Response *resp[2][2];
    unsigned char *gz;
};

static const char *content_type_for(const char *name)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".css", "text/css; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".ico", "image/x-icon"},
        {".txt", "text/plain; charset=utf-8"},
        {".json", "application/json"},
        {".woff2", "font/woff2"},
    };
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
        if (strcmp(dot, types[i].ext) == 0)
            return types[i].type;
    return "application/octet-stream";
}

static struct MHD_Response *asset_response(struct static_asset *a, const void *data, size_t len,
                                           int gz, int fingerprinted)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_PERSISTENT);
    if (r == NULL)
        return NULL;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type_for(a->name));
    MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, a->etag);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL,
                            fingerprinted ? "public, max-age=31536000, immutable"
                                          : "public, max-age=300");
    if (gz)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
    return r;
}

static unsigned char *gzip_copy(const unsigned char *in, size_t len, size_t *out_len)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    size_t cap = deflateBound(&z, len);
    unsigned char *out = malloc(cap);
    if (out != NULL) {
        z.next_in = (Bytef *)in;
        z.avail_in = (uInt)len;
        z.next_out = out;
        z.avail_out = (uInt)cap;
        if (deflate(&z, Z_FINISH) != Z_STREAM_END || z.total_out >= len) {
            free(out);
            out = NULL;
        }
        *out_len = z.total_out;
    }
    deflateEnd(&z);
    return out;
}

int web_static_prepare(struct web_server *s, struct err *err)
{
    const char *prefix = "web/static/";
    size_t first = embed_first(prefix), n = 0;
    while (first + n < embed_count &&
           strncmp(embed_files[first + n].path, prefix, strlen(prefix)) == 0)
        n++;
    s->assets = calloc(n ? n : 1, sizeof(*s->assets));
    if (s->assets == NULL)
        return err_set(err, 500, "http.internal", "out of memory");
    s->nassets = n;
    for (size_t i = 0; i < n; i++) {
        struct static_asset *a = &s->assets[i];
        a->file = &embed_files[first + i];
        a->name = a->file->path + strlen(prefix);
        snprintf(a->etag, sizeof(a->etag), "\"%s\"", a->file->etag);
        size_t gzlen = 0;
        a->gz = gzip_copy(a->file->data, a->file->len, &gzlen);
        for (int fp = 0; fp < 2; fp++) {
            a->resp[0][fp] = asset_response(a, a->file->data, a->file->len, 0, fp);
            a->resp[1][fp] = a->gz ? asset_response(a, a->gz, gzlen, 1, fp) : NULL;
            if (a->resp[0][fp] == NULL || (a->gz && a->resp[1][fp] == NULL))
                return err_set(err, 500, "http.internal", "out of memory");
        }
        /* A 304 carries the headers the 200 would have (RFC 9110 §15.4.5) and no body;
         * libmicrohttpd sends no body for a 304, and the Content-Length it then reports
         * is the 200's, as the RFC allows. So the 304 reuses the revalidating 200. */
        /* The assets the layout links, by their fingerprinted (immutable) address. */
        static char css_url[64], tibetan_css_url[64], tibetan_font_url[64];
        char *url = strcmp(a->name, "site.css") == 0              ? css_url
                    : strcmp(a->name, "fonts/tibetan.css") == 0   ? tibetan_css_url
                    : strcmp(a->name, "fonts/tibetan.woff2") == 0 ? tibetan_font_url
                                                                  : NULL;
        if (url != NULL)
            snprintf(url, 64, "/static/%s?v=%s", a->name, a->file->etag);
        if (url == css_url)
            s->css_url = css_url;
        else if (url == tibetan_css_url)
            s->tibetan_css_url = tibetan_css_url;
        else if (url == tibetan_font_url)
            s->tibetan_font_url = tibetan_font_url;
    }
    return 0;
}

void web_static_free(struct web_server *s)
{
    for (size_t i = 0; i < s->nassets; i++) {
        struct static_asset *a = &s->assets[i];
        for (int g = 0; g < 2; g++)
            for (int fp = 0; fp < 2; fp++)
                if (a->resp[g][fp] != NULL)
                    MHD_destroy_response(a->resp[g][fp]);
        free(a->gz);
    }
    free(s->assets);
    s->assets = NULL;
    s->nassets = 0;
}

enum MHD_Result web_static_serve(struct request *r, const char *path)
{
    struct web_server *s = r->req.server;
    struct static_asset *a = NULL;
    size_t lo = 0, hi = s->nassets;
    while (lo < hi) { /* assets are sorted by path, as the embedded table is */
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(s->assets[mid].name, path);
        if (c == 0) {
            a = &s->assets[mid];
            break;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (a == NULL)
        return web_respond_error(r, 404, "http.not_found", "no page has this address");
    const char *inm = web_header(&r->req, MHD_HTTP_HEADER_IF_NONE_MATCH);
    const char *v = web_query(&r->req, "v");
    int fp = v != NULL && strcmp(v, a->file->etag) == 0;
    const char *ae = web_header(&r->req, MHD_HTTP_HEADER_ACCEPT_ENCODING);
    int gz = a->gz != NULL && ae != NULL && strstr(ae, "gzip") != NULL;
    struct MHD_Response *resp = a->resp[gz][fp];
    if (inm != NULL && strstr(inm, a->etag) != NULL) {
        r->status = 304;
    } else {
        r->status = 200;
        r->bytes_out = gz ? 0 : a->file->len;
    }
    return MHD_queue_response(r->conn, (unsigned)r->status, resp);
}

int web_builtin_register(struct web_server *s, struct err *err)
{
    if (web_route(s, "GET", "/healthz", h_healthz, NULL) < 0 ||
        web_route(s, "GET", "/readyz", h_readyz, NULL) < 0 ||
        web_route(s, "GET", "/metrics", h_metrics, NULL) < 0 ||
        web_route(s, "GET", "/static/{path:*}", NULL, NULL) < 0)
        return err_set(err, 500, "http.internal", "cannot register the built-in routes");
    return 0;
}
