/*
 * respond.c - turns a handler's view model into the bytes on the wire: HTML through the
 * template and the shared layout, or JSON; errors as localised pages or RFC 9457 problem
 * documents; gzip for large bodies; security and caching headers on every response.
 */
#include "web/web_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "base/arena.h"
#include "base/log.h"
#include "web/i18n.h"
#include "web/tmpl.h"

#define HTML_MAX (4u << 20) /* a rendered page larger than this is a bug: 500 */
#define GZIP_MIN 1400       /* a body this small fits one TCP segment: gzip saves no round trip */

const int64_t web_lat_bounds_us[WEB_LAT_BUCKETS] = {
    100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 500000, 2000000,
};
const int web_status_codes[WEB_NSTATUS] = {
    200, 201, 204, 301, 302, 303, 304, 400, 401, 403, 404,
    405, 409, 413, 414, 415, 422, 429, 431, 500, 503, 507,
};

int web_metric_status_index(int status)
{
    for (int i = 0; i < WEB_NSTATUS; i++)
        if (web_status_codes[i] == status)
            return i;
    return WEB_NSTATUS;
}

/* Language names are shown in their own language in every switcher. */
static const char *lang_native_name(const char *lang)
{
    if (strcmp(lang, "bo") == 0)
        return "བོད་ཡིག";
    if (strcmp(lang, "en") == 0)
        return "English";
    return "中文";
}

static const char *html_lang(const char *lang)
{
    return strcmp(lang, "zh") == 0 ? "zh-CN" : lang;
}

/* The link that shows the current page in `lang`, keeping the other query parameters. */
static char *switch_url(struct request *r, const char *lang)
{
    struct buf b;
    buf_init(&b, 8192);
    buf_puts(&b, r->req.path);
    buf_puts(&b, "?lang=");
    buf_puts(&b, lang);
    for (size_t i = 0; i < r->req.nquery; i++) {
        /* The confirmation of an action (done) is shown once, not again in each language. */
        if (strcmp(r->req.query[i].name, "lang") == 0 || strcmp(r->req.query[i].name, "done") == 0)
            continue;
        buf_putc(&b, '&');
        web_url_encode(&b, r->req.query[i].name);
        buf_putc(&b, '=');
        web_url_encode(&b, r->req.query[i].value);
    }
    char *s = b.data ? arena_strdup(r->req.arena, b.data) : NULL;
    buf_free(&b);
    return s;
}

/* What every page's layout may use besides the model: the catalog as "t", the language
 * switcher, the stylesheet address. */
static json_t *page_globals(struct request *r)
{
    struct web_server *s = r->req.server;
    json_t *langs = json_array();
    for (int i = 0; i < I18N_NLANGS; i++) {
        const char *code = i18n_langs[i];
        const char *url = r->req.path ? switch_url(r, code) : "/";
        json_array_append_new(langs, json_pack("{s:s, s:s, s:s, s:s, s:b}", "code", code,
                                               "html_lang", html_lang(code), "name",
                                               lang_native_name(code), "url", url ? url : "/",
                                               "current", strcmp(code, r->req.lang) == 0));
    }
    json_t *g = json_pack("{s:O, s:s, s:s, s:o, s:s, s:s}", "t", i18n_catalog(r->req.lang), "lang",
                          r->req.lang, "html_lang", html_lang(r->req.lang), "langs", langs, "css",
                          s->css_url ? s->css_url : "/static/site.css", "request_id", r->req.id);
    /* Tibetan pages load the Tibetan web font; zh and en pages never download it (their
     * language switcher's one Tibetan word is drawn by whatever font the device has). */
    if (g != NULL && strcmp(r->req.lang, "bo") == 0 && s->tibetan_css_url != NULL &&
        s->tibetan_font_url != NULL)
        json_object_set_new(
            g, "tibetan_font",
            json_pack("{s:s, s:s}", "css", s->tibetan_css_url, "woff2", s->tibetan_font_url));
    const struct web_session *ss = g ? web_session(&r->req) : NULL;
    if (ss != NULL)
        json_object_set_new(g, "csrf", json_string(ss->csrf));
    else if (g != NULL && r->req.path != NULL) /* the header's login link comes back here */
        json_object_set_new(g, "login_url", json_string(web_login_url(&r->req)));
    /* "?done=accept" after a redirect: the confirmation of what just happened, from the
     * catalog's done.* messages only (an unknown value shows nothing, so the address
     * cannot put text on the page). */
    const char *done = g ? web_query(&r->req, "done") : NULL;
    if (done != NULL && strlen(done) <= 40 &&
        strspn(done, "abcdefghijklmnopqrstuvwxyz_") == strlen(done) && done[0] != '\0') {
        char key[64];
        snprintf(key, sizeof(key), "done.%s", done);
        const char *msg = web_t_or_null(&r->req, key);
        if (msg != NULL)
            json_object_set_new(g, "flash", json_string(msg));
    }
    for (size_t i = 0; g != NULL && i < s->npage_hooks; i++)
        s->page_hook[i](&r->req, g, s->page_hook_ctx[i]);
    return g;
}

/* gzip `in` into a malloc'd buffer if it pays (and the body is large enough); else NULL. */
static char *gzip_body(const char *in, size_t len, size_t *out_len)
{
    if (len < GZIP_MIN)
        return NULL;
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (deflateInit2(&z, 5, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    size_t cap = deflateBound(&z, len);
    char *out = malloc(cap);
    if (out == NULL) {
        deflateEnd(&z);
        return NULL;
    }
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)len;
    z.next_out = (Bytef *)out;
    z.avail_out = (uInt)cap;
    int rc = deflate(&z, Z_FINISH);
    *out_len = z.total_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END || *out_len >= len) {
        free(out);
        return NULL;
    }
    return out;
}

static const char CSP[] = "default-src 'none'; style-src 'self'; img-src 'self' data:; "
                          "script-src 'self'; font-src 'self'; connect-src 'self'; "
                          "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

static void add_common_headers(struct request *r, struct MHD_Response *resp, int html)
{
    MHD_add_response_header(resp, "X-Request-Id", r->req.id);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Referrer-Policy", "same-origin");
    if (html) {
        MHD_add_response_header(resp, "Content-Security-Policy", CSP);
        MHD_add_response_header(resp, "X-Frame-Options", "DENY");
        MHD_add_response_header(resp, "Cross-Origin-Opener-Policy", "same-origin");
        MHD_add_response_header(resp, "Permissions-Policy",
                                "camera=(), microphone=(), geolocation=()");
    }
}

/* Headers every response of a handler carries: type, encoding, caching, cookies. */
static void add_headers(struct request *r, struct MHD_Response *resp, int status, const char *type,
                        int gz, int html, const char *etag)
{
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    if (gz)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY,
                            "Accept, Accept-Encoding, Accept-Language, Cookie");
    add_common_headers(r, resp, html);
    if (etag != NULL)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
    if (r->resp.max_age > 0 && (status == 200 || status == 304)) {
        /* A response that sets a cookie is this visitor's own: never shared caches. */
        int personal = r->set_lang_cookie;
        for (int i = 0; i < r->resp.nheaders; i++)
            personal |= strcasecmp(r->resp.headers[i].name, MHD_HTTP_HEADER_SET_COOKIE) == 0;
        char cc[64];
        snprintf(cc, sizeof(cc), "%s, max-age=%d", personal ? "private" : "public",
                 r->resp.max_age);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, cc);
    } else {
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    }
    if (r->set_lang_cookie) {
        char cookie[80];
        snprintf(cookie, sizeof(cookie), "lang=%s; Path=/; Max-Age=31536000; SameSite=Lax",
                 r->req.lang);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, cookie);
    }
    for (int i = 0; i < r->resp.nheaders; i++)
        MHD_add_response_header(resp, r->resp.headers[i].name, r->resp.headers[i].value);
}

static int accepts_gzip(struct request *r)
{
    const char *ae = web_header(&r->req, MHD_HTTP_HEADER_ACCEPT_ENCODING);
    return ae != NULL && strstr(ae, "gzip") != NULL;
}

static enum MHD_Result queue(struct request *r, int status, struct MHD_Response *resp)
{
    r->status = status;
    enum MHD_Result ret = MHD_queue_response(r->conn, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* Send a cached entry (the reference passes to the response), or a 304 when the client
 * has these bytes already. */
static enum MHD_Result send_cached(struct request *r, struct web_cache_entry *e, int html)
{
    const char *body, *type;
    size_t len;
    int max_age;
    int gz = web_cache_parts(e, accepts_gzip(r), &body, &len, &type, &max_age);
    const char *etag = web_cache_etag(e);
    const char *inm = web_header(&r->req, MHD_HTTP_HEADER_IF_NONE_MATCH);
    int not_modified = inm != NULL && strstr(inm, etag) != NULL;
    r->resp.max_age = max_age;
    r->resp.cached = NULL;
    /* libmicrohttpd sends no body for a 304 and reports the 200's length, as RFC 9110
     * allows, so both use the same response object. */
    struct MHD_Response *resp = MHD_create_response_from_buffer_with_free_callback_cls(
        len, (void *)body, (MHD_ContentReaderFreeCallback)web_cache_release, e);
    if (resp == NULL) {
        web_cache_release(e);
        return MHD_NO;
    }
    add_headers(r, resp, not_modified ? 304 : 200, type, gz, html, etag);
    r->bytes_out = not_modified ? 0 : len;
    return queue(r, not_modified ? 304 : 200, resp);
}

/* Queue `body` (malloc'd, ownership taken) with status and type; store it in the cache
 * first when the handler asked for that. */
static enum MHD_Result send_body(struct request *r, int status, const char *type, char *body,
                                 size_t len, int html)
{
    size_t zlen = 0;
    int cacheable = r->resp.cache_key != NULL && status == 200;
    char *z = cacheable || accepts_gzip(r) ? gzip_body(body, len, &zlen) : NULL;
    if (cacheable) {
        web_cache_store(r, status, type, body, len, z, zlen);
        struct web_cache_entry *e = NULL;
        /* Serve what was stored, so the first response has the ETag too. */
        if (web_cache_hit(&r->req, &r->resp, r->resp.cache_key, r->resp.cache_version) &&
            (e = r->resp.cached) != NULL) {
            free(body);
            free(z);
            return send_cached(r, e, html);
        }
    }
    if (z != NULL && accepts_gzip(r)) {
        free(body);
        body = z;
        len = zlen;
    } else {
        free(z);
        z = NULL;
    }
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (resp == NULL) {
        free(body);
        return MHD_NO;
    }
    add_headers(r, resp, status, type, z != NULL, html, NULL);
    r->bytes_out = len;
    return queue(r, status, resp);
}

/* A catalog message the page shows in zh because its language has none: marked lang="zh"
 * by the template engine where it stands in element content, and counted. The catalog's
 * own nodes (templates' {{t.x}}) are known by identity, each print counted; texts from
 * web_t (a handler's model) by their bytes, already counted by web_t. */
/* Chinese only: a Han ideograph (U+3400..U+9FFF, UTF-8 E3 90 80 .. E9 BF BF) and no Tibetan
 * letter (U+0F00..U+0FFF: E0 BC .. E0 BF). */
static int chinese_only(const char *s)
{
    int han = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        if (p[0] == 0xE0 && p[1] >= 0xBC && p[1] <= 0xBF)
            return 0;
        if ((p[0] == 0xE3 && p[1] >= 0x90) || (p[0] >= 0xE4 && p[0] <= 0xE9))
            han = 1;
    }
    return han;
}

static const char *mark_fallback(void *ctx, const json_t *v)
{
    struct request *r = ctx;
    if (i18n_is_fallback(r->req.lang, v)) {
        i18n_count_fallback(r->req.lang);
        return "zh";
    }
    for (size_t i = 0; i < r->fallbacks.n; i++)
        if (strcmp(json_string_value(v), r->fallbacks.text[i]) == 0)
            return "zh";
    /* Data in Chinese on a Tibetan or English page (a person's or a department's name, a
     * place without a Tibetan name, text a person typed): marked as Chinese, so that it is
     * read and drawn as such, and a page can be checked for Chinese nobody marked. */
    if (strcmp(r->req.lang, "zh") != 0 && chinese_only(json_string_value(v)))
        return "zh";
    return NULL;
}

static char *render_html(struct request *r, const char *view, json_t *model, size_t *len,
                         struct err *err)
{
    char *html = NULL;
    json_t *globals = page_globals(r);
    json_t *content = NULL;
    struct buf page, body;
    buf_init(&page, HTML_MAX);
    buf_init(&body, HTML_MAX);
    if (globals == NULL) {
        err_set(err, 500, "http.internal", "out of memory");
        goto out;
    }
    json_t *stack[3] = {globals, model ? model : globals, NULL};
    if (tmpl_render_marked(r->req.server->tmpl, view, stack, 2, mark_fallback, r, &body, err) < 0)
        goto out;
    content = json_pack("{s:s%}", "content", body.data ? body.data : "", body.len);
    if (content == NULL) {
        err_set(err, 500, "http.internal", "out of memory");
        goto out;
    }
    stack[2] = content;
    if (tmpl_render_marked(r->req.server->tmpl, "layout", stack, 3, mark_fallback, r, &page, err) <
        0)
        goto out;
    html = buf_take(&page, len);
out:
    json_decref(globals);
    json_decref(content);
    buf_free(&page);
    buf_free(&body);
    return html;
}

/* Is `key` the name of an identifier: "id", "..._id" or (a list) "..._ids"? */
static int id_key(const char *key, int *list)
{
    size_t n = strlen(key);
    *list = n >= 4 && strcmp(key + n - 4, "_ids") == 0;
    return strcmp(key, "id") == 0 || (n >= 3 && strcmp(key + n - 3, "_id") == 0) || *list;
}

static json_t *id_string(const json_t *v)
{
    char s[24];
    snprintf(s, sizeof(s), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    return json_string(s);
}

/* 64-bit ids are strings in every JSON document (docs/ARCHITECTURE.md, "JSON ids"):
 * JavaScript numbers lose digits past 2^53. Handlers and stores keep them as integers
 * (the templates and the C readers use them so); the one place a model becomes JSON
 * turns every integer under an id key into its decimal string. Codes, counts and
 * times are not ids and stay numbers; tests/lib/jsonints.mjs, run by the crawl over
 * every JSON twin, fails on any integer left beyond 2^53. */
static void ids_as_strings(json_t *v)
{
    if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++)
            ids_as_strings(json_array_get(v, i));
        return;
    }
    if (!json_is_object(v))
        return;
    for (void *it = json_object_iter(v); it != NULL; it = json_object_iter_next(v, it)) {
        json_t *x = json_object_iter_value(it);
        int list = 0;
        if (!id_key(json_object_iter_key(it), &list)) {
            ids_as_strings(x);
        } else if (json_is_integer(x)) {
            json_object_iter_set_new(v, it, id_string(x));
        } else if (list && json_is_array(x)) {
            for (size_t i = 0; i < json_array_size(x); i++)
                if (json_is_integer(json_array_get(x, i)))
                    json_array_set_new(x, i, id_string(json_array_get(x, i)));
        } else {
            ids_as_strings(x);
        }
    }
}

enum MHD_Result web_respond(struct request *r)
{
    struct web_resp *resp = &r->resp;
    if (resp->cached != NULL)
        return send_cached(r, resp->cached, !r->req.want_json);
    if (resp->body != NULL) {
        /* A raw body (metrics, plain text): copied, since MHD frees what it sends. */
        char *copy = malloc(resp->body_len ? resp->body_len : 1);
        if (copy == NULL)
            return MHD_NO;
        memcpy(copy, resp->body, resp->body_len);
        return send_body(r, resp->status, resp->content_type, copy, resp->body_len, 0);
    }
    if (r->req.want_json || resp->view == NULL) {
        /* No model is an empty object (a temporary json_object() here once leaked). */
        if (resp->model != NULL)
            ids_as_strings(resp->model);
        char *json = resp->model ? json_dumps(resp->model, JSON_COMPACT) : strdup("{}");
        if (json == NULL)
            return web_respond_error(r, 500, "http.internal", "cannot encode the response");
        return send_body(r, resp->status, "application/json", json, strlen(json), 0);
    }
    struct err err;
    err_clear(&err);
    size_t len;
    char *html = render_html(r, resp->view, resp->model, &len, &err);
    if (html == NULL) {
        log_kv(LOG_ERROR, "render failed", "id", r->req.id, "view", resp->view, "detail", err.msg,
               LOG_END);
        return web_respond_error(r, 500, "http.internal", "the page could not be rendered");
    }
    return send_body(r, resp->status, "text/html; charset=utf-8", html, len, 1);
}

char *web_problem_json(int status, const char *title, const char *detail, const char *code,
                       const char *request_id, const char *instance)
{
    json_t *p =
        json_pack("{s:s, s:s, s:i, s:s, s:s, s:s}", "type", "about:blank", "title", title, "status",
                  status, "detail", detail, "code", code, "request_id", request_id);
    if (p != NULL && instance != NULL &&
        json_object_set_new(p, "instance", json_string(instance)) < 0) {
        json_decref(p);
        return NULL;
    }
    char *json = p ? json_dumps(p, JSON_COMPACT) : NULL;
    json_decref(p);
    return json;
}

/* The fixed last resort when even the error page cannot be built. */
static enum MHD_Result send_plain(struct request *r, int status, const char *text)
{
    char *body = strdup(text);
    if (body == NULL)
        return MHD_NO;
    return send_body(r, status, "text/plain; charset=utf-8", body, strlen(body), 0);
}

enum MHD_Result web_respond_error(struct request *r, int status, const char *code,
                                  const char *detail)
{
    char key[128];
    snprintf(key, sizeof(key), "errors.%s", code);
    const char *message = web_t_or_null(&r->req, key);
    /* A code without a sentence in the catalog: people get the status's plain sentence
     * in their language, never the English detail or the code (the log and the problem
     * document keep both). */
    if (message == NULL &&
        !(r->req.path ? r->req.want_json
                      : (r->raw_uri != NULL && strncmp(r->raw_uri, "/api/", 5) == 0))) {
        char dkey[64];
        snprintf(dkey, sizeof(dkey), "errors.detail.%d", status);
        message = web_t_or_null(&r->req, dkey);
        if (message == NULL)
            message =
                web_t_or_null(&r->req, status >= 500 ? "errors.detail.500" : "errors.detail.400");
        log_kv(LOG_WARN, "no translation for error", "id", r->req.id, "code", code, LOG_END);
    }
    if (message == NULL)
        message = detail;
    const char *reason = MHD_get_reason_phrase_for((unsigned)status);
    /* 503 is temporary (the database is unreachable, failing over, or out of space): say
     * when to try again, so that clients and proxies retry instead of giving up. */
    int has_retry = 0;
    for (int i = 0; i < r->resp.nheaders; i++)
        has_retry |= strcasecmp(r->resp.headers[i].name, "Retry-After") == 0;
    if (status == 503 && !has_retry)
        web_resp_header(&r->resp, "Retry-After", "2");
    int api = r->req.path ? r->req.want_json
                          : (r->raw_uri != NULL && strncmp(r->raw_uri, "/api/", 5) == 0);
    /* A failed handler may have left a model: errors render their own. Extra headers
     * stay (Allow on a 405); dispatch drops those of a failed handler. */
    json_decref(r->resp.model);
    r->resp.model = NULL;
    r->resp.max_age = 0;
    if (api) {
        char *json = web_problem_json(status, reason, message, code, r->req.id, r->req.path);
        if (json == NULL)
            return send_plain(r, status, reason);
        return send_body(r, status, "application/problem+json", json, strlen(json), 0);
    }
    char skey[64];
    snprintf(skey, sizeof(skey), "errors.status.%d", status);
    const char *title = web_t_or_null(&r->req, skey);
    json_t *model = json_pack("{s:s, s:i, s:s, s:s}", "title", title ? title : reason, "status",
                              status, "message", message, "code", code);
    struct err err;
    size_t len;
    char *html = model ? render_html(r, "error", model, &len, &err) : NULL;
    json_decref(model);
    if (html == NULL)
        return send_plain(r, status, reason);
    return send_body(r, status, "text/html; charset=utf-8", html, len, 1);
}
