/*
 * server.c - the HTTP server: libmicrohttpd (internal thread pool, epoll) glue, limits,
 * per-request state and arena, dispatch through the router, request logging and metrics.
 *
 * Life of a request (docs/ARCHITECTURE.md, "A request"):
 *   uri_logger     MHD has read the request line: create the arena and the request state,
 *                  keep the raw URI (MHD's own decoding is not used: form.c decodes
 *                  strictly and rejects what is malformed).
 *   on_request #1  headers complete: refuse over-long bodies early; never queue a
 *                  response here for a normal request (doing so makes MHD close
 *                  keep-alive connections, FACTS.md).
 *   on_request #n  body chunks, collected up to the limit.
 *   on_request end dispatch: parse path and query, pick the language, run the handler,
 *                  render (respond.c).
 *   on_completed   log one line, count metrics, free the arena.
 */
#include "web/web_internal.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "base/arena.h"
#include "base/embed.h"
#include "base/id.h"
#include "base/log.h"
#include "web/i18n.h"
#include "web/tmpl.h"

#define REQUEST_ARENA_LIMIT (16u << 20)

static struct request *request_of(const struct web_req *req)
{
    return (struct request *)req;
}

const char *web_header(const struct web_req *req, const char *name)
{
    return MHD_lookup_connection_value(request_of(req)->conn, MHD_HEADER_KIND, name);
}

const char *web_cookie(const struct web_req *req, const char *name)
{
    return MHD_lookup_connection_value(request_of(req)->conn, MHD_COOKIE_KIND, name);
}

const char *web_param(const struct web_req *req, const char *name)
{
    for (size_t i = 0; i < req->match.nparams; i++)
        if (strcmp(req->match.params[i].name, name) == 0)
            return req->match.params[i].value;
    return NULL;
}

int64_t web_param_int(const struct web_req *req, const char *name)
{
    for (size_t i = 0; i < req->match.nparams; i++)
        if (strcmp(req->match.params[i].name, name) == 0)
            return req->match.params[i].ivalue;
    return 0;
}

const char *web_query(const struct web_req *req, const char *name)
{
    return web_kv_get(req->query, req->nquery, name);
}

const char *web_client_ip(const struct web_req *req)
{
    struct request *r = request_of(req);
    if (r->ip[0] != '\0')
        return r->ip;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    if (sa != NULL && sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, r->ip, sizeof(r->ip));
    else if (sa != NULL && sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, r->ip, sizeof(r->ip));
    if (r->ip[0] == '\0')
        strcpy(r->ip, "-");
    char fwd[sizeof(r->ip)];
    if (web_edge_forwarded_ip(r->req.server->cfg.trusted_proxies, r->ip,
                              web_header(req, "X-Forwarded-For"), fwd, sizeof(fwd)))
        memcpy(r->ip, fwd, sizeof(fwd));
    return r->ip;
}

const char *web_form_value(const struct web_req *req, const char *name)
{
    return web_kv_get(req->form, req->nform, name);
}

int web_redirect(struct web_req *req, struct web_resp *resp, const char *location)
{
    resp->status = 303;
    resp->view = NULL;
    json_decref(resp->model);
    resp->model = json_pack("{s:s}", "location", location);
    return web_resp_header(resp, MHD_HTTP_HEADER_LOCATION, arena_strdup(req->arena, location));
}

int web_set_cookie(struct web_req *req, struct web_resp *resp, const char *name, const char *value,
                   int max_age, int script_visible)
{
    char *c = arena_printf(req->arena, "%s=%s; Path=/; Max-Age=%d; SameSite=Lax%s", name,
                           max_age < 0 ? "" : value, max_age < 0 ? 0 : max_age,
                           script_visible ? "" : "; HttpOnly");
    if (c == NULL)
        return -1;
    return web_resp_header(resp, MHD_HTTP_HEADER_SET_COOKIE, c);
}

const char *web_t_or_null(const struct web_req *req, const char *key)
{
    int fell_back = 0;
    const char *s = i18n_lookup(req->lang, key, &fell_back);
    if (s != NULL && fell_back) {
        i18n_count_fallback(req->lang);
        struct web_fallbacks *f = req->fallbacks;
        size_t i = 0;
        while (f != NULL && i < f->n && f->text[i] != s)
            i++;
        if (f != NULL && i == f->n && f->n < WEB_MAX_FALLBACKS)
            f->text[f->n++] = s;
    }
    return s;
}

const char *web_t(const struct web_req *req, const char *key)
{
    const char *s = web_t_or_null(req, key);
    return s ? s : key;
}

int web_fail(struct web_resp *resp, int status, const char *code, const char *fmt, ...)
{
    char msg[sizeof(resp->err.msg)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return err_set(&resp->err, status, code, "%s", msg);
}

int web_resp_header(struct web_resp *resp, const char *name, const char *value)
{
    if (resp->nheaders == WEB_MAX_EXTRA_HEADERS)
        return -1;
    resp->headers[resp->nheaders].name = name;
    resp->headers[resp->nheaders].value = value;
    resp->nheaders++;
    return 0;
}

/* ---- lifecycle of one request ------------------------------------------------------ */

/* Each pool thread keeps one spare arena between requests, so a request costs no
 * malloc of a fresh first block (and glibc no consolidation after the frees). */
static pthread_key_t spare_key;
static pthread_once_t spare_once = PTHREAD_ONCE_INIT;

static void spare_free(void *p)
{
    arena_free(p);
}

static void spare_init(void)
{
    pthread_key_create(&spare_key, spare_free);
}

static struct arena *arena_take(void)
{
    pthread_once(&spare_once, spare_init);
    struct arena *a = pthread_getspecific(spare_key);
    if (a != NULL) {
        pthread_setspecific(spare_key, NULL);
        return a;
    }
    return arena_new(REQUEST_ARENA_LIMIT);
}

static void arena_give_back(struct arena *a)
{
    arena_reset(a);
    if (pthread_getspecific(spare_key) == NULL)
        pthread_setspecific(spare_key, a);
    else
        arena_free(a);
}

static void *uri_logger(void *cls, const char *uri, struct MHD_Connection *conn)
{
    struct web_server *s = cls;
    struct arena *a = arena_take();
    if (a == NULL)
        return NULL;
    struct request *r = arena_zalloc(a, sizeof(*r));
    if (r == NULL) {
        arena_free(a);
        return NULL;
    }
    r->req.arena = a;
    r->req.server = s;
    r->conn = conn;
    r->raw_uri = arena_strdup(a, uri);
    r->start_us = time_mono_us();
    r->metric_index = (int)s->nmetrics - 1; /* "unmatched" until routed */
    snprintf(r->idbuf, sizeof(r->idbuf), "%016llx", (unsigned long long)id_next());
    r->req.id = r->idbuf;
    r->req.lang = "zh";
    r->req.fallbacks = &r->fallbacks;
    r->resp.status = 200;
    web_edge_head_begin(s->edge, conn);
    __atomic_add_fetch(&s->in_flight, 1, __ATOMIC_RELAXED);
    return r;
}

/* One logfmt line per request, formatted into a stack buffer and written with one
 * write(2): this runs for every request, so no allocation and no stdio. */
static void log_request(struct web_server *s, struct request *r, int64_t dur_us)
{
    if (!s->cfg.log_requests || log_get_level() > LOG_INFO)
        return;
    char line[1400], ts[25], path[1024];
    /* The raw URI without the query: query strings may carry personal data. */
    const char *uri = r->raw_uri ? r->raw_uri : "-";
    const char *q = strchr(uri, '?');
    size_t plen = q ? (size_t)(q - uri) : strlen(uri);
    char raw[1024];
    if (plen >= sizeof(raw))
        plen = sizeof(raw) - 1;
    memcpy(raw, uri, plen);
    raw[plen] = '\0';
    log_format_value(path, sizeof(path), raw);
    log_timestamp(ts);
    int n = snprintf(line, sizeof(line),
                     "ts=%s level=info msg=request id=%s method=%s path=%s status=%d bytes=%llu "
                     "us=%lld\n",
                     ts, r->req.id, r->req.method ? r->req.method : "-", path, r->status,
                     (unsigned long long)r->bytes_out, (long long)dur_us);
    if (n > 0) {
        size_t len = (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1;
        if (len == sizeof(line) - 1)
            line[len - 1] = '\n';
        ssize_t w = write(STDERR_FILENO, line, len);
        (void)w;
    }
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct web_server *s = cls;
    struct request *r = *con_cls;
    if (r == NULL)
        return;
    int64_t dur = time_mono_us() - r->start_us;
    if (r->status == 0)
        r->status = toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? 200 : 499;
    struct route_metrics *m = &s->metrics[r->metric_index];
    __atomic_add_fetch(&m->by_status[web_metric_status_index(r->status)], 1, __ATOMIC_RELAXED);
    int b = 0;
    while (b < WEB_LAT_BUCKETS && dur > web_lat_bounds_us[b])
        b++;
    __atomic_add_fetch(&m->lat[b], 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&m->lat_sum_us, (uint64_t)dur, __ATOMIC_RELAXED);
    log_request(s, r, dur);
    if (r->resp.model != NULL)
        json_decref(r->resp.model);
    if (r->resp.cached != NULL)
        web_cache_release(r->resp.cached);
    free(r->body);
    __atomic_sub_fetch(&s->in_flight, 1, __ATOMIC_RELAXED);
    arena_give_back(r->req.arena);
    *con_cls = NULL;
}

/* Split the raw URI into a decoded path and query parameters. -1: malformed. */
static int parse_uri(struct request *r)
{
    struct arena *a = r->req.arena;
    const char *uri = r->raw_uri;
    if (uri == NULL || uri[0] != '/')
        return -1;
    const char *q = strchr(uri, '?');
    size_t plen = q ? (size_t)(q - uri) : strlen(uri);
    char *path = web_path_decode(a, uri, plen);
    if (path == NULL)
        return -1;
    r->req.path = path;
    if (q != NULL) {
        struct web_kv *kv;
        if (web_form_parse(a, q + 1, strlen(q + 1), WEB_FORM_MAX_FIELDS, &kv, &r->req.nquery) < 0)
            return -1;
        r->req.query = kv;
    }
    return 0;
}

static int wants_json(const struct request *r)
{
    if (strncmp(r->req.path, "/api/", 5) == 0)
        return 1;
    const char *accept = web_header(&r->req, MHD_HTTP_HEADER_ACCEPT);
    if (accept == NULL)
        return 0;
    const char *json = strstr(accept, "application/json");
    const char *html = strstr(accept, "text/html");
    return json != NULL && (html == NULL || json < html);
}

static enum MHD_Result dispatch(struct web_server *s, struct request *r)
{
    if (r->body_too_large)
        return web_respond_error(r, 413, "http.body_too_large", "the request body is too large");
    if (parse_uri(r) < 0)
        return web_respond_error(r, 400, "http.bad_uri",
                                 "the URL is malformed (bad percent-encoding or not UTF-8)");
    r->req.want_json = wants_json(r);
    const char *ctype = web_header(&r->req, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (r->body != NULL && ctype != NULL &&
        strncasecmp(ctype, "application/x-www-form-urlencoded", 33) == 0) {
        struct web_kv *kv;
        if (web_form_parse(r->req.arena, r->body, r->body_len, WEB_FORM_MAX_FIELDS, &kv,
                           &r->req.nform) < 0)
            return web_respond_error(r, 400, "http.bad_form",
                                     "the submitted form is malformed (bad encoding or too "
                                     "many fields)");
        r->req.form = kv;
    }
    const char *boundary = ctype != NULL ? web_multipart_boundary(r->req.arena, ctype) : NULL;
    if (r->body != NULL && boundary != NULL) {
        struct web_kv *kv;
        struct web_file *files;
        if (web_multipart_parse(r->req.arena, r->body, r->body_len, boundary, WEB_FORM_MAX_FIELDS,
                                &kv, &r->req.nform, &files, &r->req.nfiles) < 0)
            return web_respond_error(r, 400, "http.bad_form",
                                     "the submitted form is malformed (bad multipart body or "
                                     "too many fields)");
        r->req.form = kv;
        r->req.files = files;
    }
    const char *choice = web_query(&r->req, "lang");
    r->req.lang = i18n_negotiate(choice, web_cookie(&r->req, "lang"),
                                 web_header(&r->req, MHD_HTTP_HEADER_ACCEPT_LANGUAGE));
    r->set_lang_cookie = choice != NULL && i18n_lang(choice) != NULL;

    char *path = arena_strdup(r->req.arena, r->req.path);
    if (path == NULL)
        return web_respond_error(r, 500, "http.internal", "out of memory");
    if (router_match(s->router, r->req.method, path, &r->req.match) < 0) {
        if (r->req.match.method_mismatch) {
            char *allow = arena_strdup(r->req.arena, r->req.match.allow);
            if (allow != NULL)
                web_resp_header(&r->resp, MHD_HTTP_HEADER_ALLOW, allow);
            return web_respond_error(r, 405, "http.method_not_allowed",
                                     "this method is not allowed here");
        }
        return web_respond_error(r, 404, "http.not_found", "no page has this address");
    }
    r->metric_index = r->req.match.route_index;
    struct route_entry *e = r->req.match.handler;
    if (e->handler == NULL) /* the static-asset route */
        return web_static_serve(r, web_param(&r->req, "path"));
    r->req.ctx = e->ctx;
    /* Only upload routes take bodies beyond the ordinary limit. */
    if (r->body_len > s->cfg.max_body_bytes && !(e->flags & WEB_ROUTE_UPLOAD))
        return web_respond_error(r, 413, "http.body_too_large", "the request body is too large");
    int unsafe = strcmp(r->req.method, "GET") != 0 && strcmp(r->req.method, "HEAD") != 0 &&
                 strcmp(r->req.method, "OPTIONS") != 0;
    if (unsafe && !(e->flags & WEB_ROUTE_NO_CSRF) && web_csrf_check(r) < 0)
        return web_respond_error(r, 403, "http.csrf",
                                 "the form has expired or did not come from this site: "
                                 "reload the page and try again");
    if (e->handler(&r->req, &r->resp) < 0) {
        struct err *er = &r->resp.err;
        r->resp.nheaders = 0; /* what a failed handler meant to send no longer applies */
        r->resp.cache_key = NULL;
        if (r->resp.cached != NULL) {
            web_cache_release(r->resp.cached);
            r->resp.cached = NULL;
        }
        if (er->status >= 500)
            log_kv(LOG_ERROR, "handler failed", "id", r->req.id, "code", er->code, "detail",
                   er->msg, LOG_END);
        /* A page that needs a login sends people to log in and brings them back
         * (web_need_session); the API answers the 401 problem. */
        if (er->status == 401 && !r->req.want_json) {
            web_redirect(&r->req, &r->resp, web_login_url(&r->req));
            return web_respond(r);
        }
        return web_respond_error(r, er->status ? er->status : 500,
                                 er->code[0] ? er->code : "http.internal", er->msg);
    }
    return web_respond(r);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **con_cls)
{
    struct web_server *s = cls;
    struct request *r = *con_cls;
    if (r == NULL) /* the arena could not be allocated */
        return MHD_NO;
    if (r->req.method == NULL) {
        r->req.method = method;
        web_edge_head_done(s->edge, conn);
        const char *code, *detail;
        int bad = web_edge_check_head(conn, version, &code, &detail);
        if (bad != 0) {
            /* Answered before the body is read: MHD closes the connection after it. */
            log_kv(LOG_WARN, "request refused", "id", r->req.id, "detail", detail, LOG_END);
            web_resp_header(&r->resp, MHD_HTTP_HEADER_CONNECTION, "close");
            return web_respond_error(r, bad, code, detail);
        }
        const char *cl =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        /* Multipart bodies (uploads) may be larger; dispatch refuses them on routes
         * that do not take uploads. */
        const char *ct =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
        r->body_limit = ct != NULL && strncasecmp(ct, "multipart/form-data", 19) == 0 &&
                                s->cfg.max_upload_bytes > s->cfg.max_body_bytes
                            ? s->cfg.max_upload_bytes
                            : s->cfg.max_body_bytes;
        if (cl != NULL && strtoull(cl, NULL, 10) > r->body_limit) {
            /* A client that did not ask with Expect: 100-continue is still sending: if
             * the body is not absurdly large, read and discard it, so the client can read
             * the 413 instead of a reset. Beyond that, answer now and close. */
            if (strtoull(cl, NULL, 10) / 8 > r->body_limit ||
                MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_EXPECT))
                return web_respond_error(r, 413, "http.body_too_large",
                                         "the request body is too large");
            r->body_too_large = 1;
        }
        return MHD_YES;
    }
    if (*upload_size != 0) {
        size_t n = *upload_size;
        *upload_size = 0;
        if (r->body_too_large)
            return MHD_YES;
        if (n > r->body_limit || r->body_len > r->body_limit - n) {
            r->body_too_large = 1;
            free(r->body);
            r->body = NULL;
            r->body_len = 0;
            return MHD_YES;
        }
        if (r->body_len + n + 1 > r->body_cap) {
            size_t cap = r->body_cap ? r->body_cap * 2 : 4096;
            while (cap < r->body_len + n + 1)
                cap *= 2;
            char *p = realloc(r->body, cap);
            if (p == NULL)
                return MHD_NO;
            r->body = p;
            r->body_cap = cap;
        }
        memcpy(r->body + r->body_len, upload_data, n);
        r->body_len += n;
        r->body[r->body_len] = '\0';
        return MHD_YES;
    }
    r->req.body = r->body;
    r->req.body_len = r->body_len;
    (void)url;
    return dispatch(s, r);
}

static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    log_kv(LOG_WARN, "http server", "detail", msg, LOG_END);
}

/* ---- the server ------------------------------------------------------------------ */

struct web_server *web_server_new(const struct web_config *cfg, struct store *store,
                                  struct err *err)
{
    struct web_server *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        err_set(err, 500, "http.internal", "out of memory");
        return NULL;
    }
    s->cfg = *cfg;
    s->store = store;
    s->router = router_new();
    if (s->router == NULL || web_builtin_register(s, err) < 0) {
        web_server_free(s);
        return NULL;
    }
    return s;
}

int web_route(struct web_server *s, const char *method, const char *pattern, web_handler h,
              void *ctx)
{
    return web_route_ex(s, method, pattern, h, ctx, 0);
}

int web_route_ex(struct web_server *s, const char *method, const char *pattern, web_handler h,
                 void *ctx, unsigned flags)
{
    if (s->started)
        return -1;
    /* Entries are allocated one by one so their addresses stay stable for the router;
     * the list grows first so that a failure leaves nothing half-registered. */
    struct route_entry **list = realloc(s->entries, (s->nentries + 1) * sizeof(*list));
    if (list == NULL)
        return -1;
    s->entries = list;
    struct route_entry *e = malloc(sizeof(*e));
    if (e == NULL)
        return -1;
    e->handler = h;
    e->ctx = ctx;
    e->flags = flags;
    if (router_add(s->router, method, pattern, e) < 0) {
        log_kv(LOG_ERROR, "bad or duplicate route", "method", method, "pattern", pattern, LOG_END);
        free(e);
        return -1;
    }
    s->entries[s->nentries++] = e;
    return 0;
}

static const char *tmpl_loader_embedded(void *ctx, const char *name, size_t *len);

void web_set_page_hook(struct web_server *s, web_page_hook hook, void *ctx)
{
    if (s->npage_hooks == WEB_MAX_PAGE_HOOKS)
        return;
    s->page_hook[s->npage_hooks] = hook;
    s->page_hook_ctx[s->npage_hooks++] = ctx;
}

int web_server_start(struct web_server *s, struct err *err)
{
    s->nmetrics = router_count(s->router) + 1;
    s->metrics = calloc(s->nmetrics, sizeof(*s->metrics));
    if (s->metrics == NULL)
        return err_set(err, 500, "http.internal", "out of memory");
    if (web_static_prepare(s, err) < 0)
        return -1;
    s->tmpl = tmpl_set_new(tmpl_loader_embedded, NULL);
    if (s->tmpl == NULL)
        return err_set(err, 500, "http.internal", "out of memory");
    /* Compile every embedded template now: a syntax error stops start-up, not a page. */
    const char *prefix = "web/templates/";
    for (size_t i = embed_first(prefix);
         i < embed_count && strncmp(embed_files[i].path, prefix, strlen(prefix)) == 0; i++) {
        char name[256];
        const char *rel = embed_files[i].path + strlen(prefix);
        size_t n = strlen(rel);
        if (n < 6 || strcmp(rel + n - 5, ".html") != 0 || n - 5 >= sizeof(name))
            continue;
        memcpy(name, rel, n - 5);
        name[n - 5] = '\0';
        if (tmpl_compile(s->tmpl, name, err) < 0)
            return -1;
    }
    tmpl_set_freeze(s->tmpl);

    int threads = s->cfg.threads > 0 ? s->cfg.threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (threads < 1)
        threads = 1;
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)s->cfg.port);
    if (inet_pton(AF_INET, s->cfg.host, &addr.sin_addr) != 1)
        return err_set(err, 400, "config.bad_listen",
                       "the listen address %s is not an IPv4 address", s->cfg.host);
    s->edge = web_edge_new(s->cfg.head_timeout_s);
    if (s->edge == NULL)
        return err_set(err, 500, "http.internal", "cannot start the head-deadline thread");
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
                     MHD_USE_ERROR_LOG | MHD_USE_TURBO;
    s->mhd = MHD_start_daemon(
        flags, (uint16_t)s->cfg.port, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER,
        mhd_logger, s, MHD_OPTION_SOCK_ADDR, &addr, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)threads,
        MHD_OPTION_URI_LOG_CALLBACK, uri_logger, s, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, s->cfg.max_header_bytes, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)s->cfg.idle_timeout_s, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)s->cfg.max_connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        (unsigned)s->cfg.per_ip_connections, MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,
        MHD_OPTION_STRICT_FOR_CLIENT, 1, MHD_OPTION_NOTIFY_CONNECTION, web_edge_notify, s->edge,
        MHD_OPTION_END);
    if (s->mhd == NULL)
        return err_set(err, 500, "http.listen_failed",
                       "cannot listen on %s:%d (is the port in use, or not allowed?)", s->cfg.host,
                       s->cfg.port);
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : s->cfg.port;
    s->started = 1;
    s->started_ms = time_now_ms();
    return 0;
}

int web_server_port(const struct web_server *s)
{
    return s->port;
}

void web_server_stop(struct web_server *s)
{
    if (s->mhd == NULL)
        return;
    /* Stop accepting; let requests already being served finish, within the drain time.
     * Idle keep-alive connections do not count: they are closed by MHD_stop_daemon. */
    MHD_quiesce_daemon(s->mhd);
    int64_t deadline = time_mono_us() + (int64_t)s->cfg.drain_timeout_s * 1000000;
    while (__atomic_load_n(&s->in_flight, __ATOMIC_RELAXED) > 0 && time_mono_us() < deadline) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    MHD_stop_daemon(s->mhd);
    s->mhd = NULL;
    web_edge_free(s->edge);
    s->edge = NULL;
    web_cache_clear();
}

void web_server_free(struct web_server *s)
{
    if (s == NULL)
        return;
    web_server_stop(s);
    web_edge_free(s->edge); /* when the daemon never started */
    for (size_t i = 0; i < s->nentries; i++)
        free(s->entries[i]);
    free(s->entries);
    router_free(s->router);
    tmpl_set_free(s->tmpl);
    web_static_free(s);
    free(s->metrics);
    free(s);
}

static const char *tmpl_loader_embedded(void *ctx, const char *name, size_t *len)
{
    char path[300];
    (void)ctx;
    if (snprintf(path, sizeof(path), "web/templates/%s.html", name) >= (int)sizeof(path))
        return NULL;
    const struct embed_file *f = embed_find(path);
    if (f == NULL)
        return NULL;
    *len = f->len;
    return (const char *)f->data;
}
