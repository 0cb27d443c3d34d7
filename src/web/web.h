/*
 * web.h - the HTTP layer every domain module uses: route registration, the request a
 * handler reads and the response (a view model) it fills in.
 *
 * A handler never writes HTML or JSON itself. It returns a view model (a jansson object)
 * and a view name; the responder renders the model as HTML through the template
 * web/templates/<view>.html inside the shared layout, or as JSON for /api/v1/... and
 * `Accept: application/json` (docs/ARCHITECTURE.md, "A request"). Errors go through
 * web_fail() and come out as a localised page or an RFC 9457 problem document.
 *
 * Lifetimes: everything a handler allocates for a request comes from req->arena and is
 * freed when the response has been sent. The model's reference passes to the response.
 */
#ifndef ONEWINDOW_WEB_WEB_H
#define ONEWINDOW_WEB_WEB_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "web/form.h"
#include "web/router.h"

struct arena;
struct store;
struct store_conn;
struct web_server;
struct web_cache_entry;
struct web_fallbacks;

struct web_config {
    const char *host;            /* listen address, e.g. "127.0.0.1" */
    int port;                    /* 1..65535; 0 = any free port (tests) */
    int threads;                 /* pool threads; 0 = one per core */
    size_t max_header_bytes;     /* request line + headers; more gives 431 */
    size_t max_body_bytes;       /* non-upload request bodies; more gives 413 */
    size_t max_upload_bytes;     /* multipart uploads; more gives 413 */
    int idle_timeout_s;          /* close connections idle this long */
    int head_timeout_s;          /* a request head must be complete this long after it began */
    const char *trusted_proxies; /* comma-separated addresses whose X-Forwarded-For is believed */
    int max_connections;         /* in total */
    int per_ip_connections;      /* from one address (slow-client defence) */
    int log_requests;            /* one log line per request */
    int drain_timeout_s;         /* on shutdown, wait this long for in-flight requests */
    int session_idle_s;          /* a session unused this long ends */
    int session_absolute_s;      /* a session ends this long after login, used or not */
    int secure_cookies;          /* add Secure to cookies (behind TLS) */
};

struct web_req {
    struct arena *arena;
    struct web_server *server;
    const char *method;
    const char *path;           /* percent-decoded, valid UTF-8 */
    const struct web_kv *query; /* decoded query parameters */
    size_t nquery;
    const char *lang;          /* "zh", "bo" or "en" */
    int want_json;             /* render the model as JSON */
    const struct web_kv *form; /* fields of a urlencoded body (POST forms) */
    size_t nform;
    const struct web_file *files; /* files of a multipart/form-data body (upload routes) */
    size_t nfiles;
    const char *body; /* request body (NUL-terminated), or NULL */
    size_t body_len;
    const char *id;            /* request id (16 hex digits) */
    void *ctx;                 /* the pointer given to web_route */
    struct router_match match; /* path parameters */
    /* The zh texts web_t gave for messages missing in `lang`, so that the page marks them
     * lang="zh" (server-owned; a copy of the request shares it). */
    struct web_fallbacks *fallbacks;
};

#define WEB_MAX_EXTRA_HEADERS 8

struct web_resp {
    int status;       /* default 200 */
    const char *view; /* template name, e.g. "divisions/show" */
    json_t *model;    /* owned: released after rendering */
    /* A raw body instead of a model (static files, metrics); not freed. */
    const char *content_type;
    const char *body;
    size_t body_len;
    const char *etag; /* quoted strong ETag of a raw body, or NULL */
    int max_age;      /* Cache-Control max-age for public caching; 0 = no-store */
    int immutable;
    struct {
        const char *name, *value;
    } headers[WEB_MAX_EXTRA_HEADERS];
    int nheaders;
    struct err err; /* set by web_fail */
    /* Set by web_cache_hit or by a handler that wants its response cached. */
    const char *cache_key;
    int64_t cache_version;
    struct web_cache_entry *cached;
};

typedef int (*web_handler)(struct web_req *req, struct web_resp *resp);

/* Route flags for web_route_ex. */
enum {
    /* Unsafe methods here are not checked for a CSRF token: endpoints called by other
     * systems that authenticate themselves (OAuth token endpoint, API keys), never by a
     * browser's cookie. */
    WEB_ROUTE_NO_CSRF = 1,
    /* The route takes uploads: a body up to max_upload_bytes (others stop at
     * max_body_bytes with 413), multipart/form-data parsed into req->files. */
    WEB_ROUTE_UPLOAD = 2,
};

/* Create a server (not listening yet) that answers /healthz, /readyz, /metrics and
 * /static/...; `store` is borrowed for readiness checks. NULL with err on failure. */
struct web_server *web_server_new(const struct web_config *cfg, struct store *store,
                                  struct err *err);
/* Register a handler; ctx is passed to it in req->ctx. Must be called before start.
 * Returns 0, or -1 for a malformed or duplicate route (a programming error). */
int web_route(struct web_server *s, const char *method, const char *pattern, web_handler h,
              void *ctx);
int web_route_ex(struct web_server *s, const char *method, const char *pattern, web_handler h,
                 void *ctx, unsigned flags);
/* A function that adds to every HTML page's globals (e.g. the signed-in person's name for
 * the layout). Called once per rendered page; must not fail the page. Each call adds a
 * hook (up to WEB_MAX_PAGE_HOOKS; more are ignored); they run in the order added. */
#define WEB_MAX_PAGE_HOOKS 8
typedef void (*web_page_hook)(struct web_req *req, json_t *globals, void *ctx);
void web_set_page_hook(struct web_server *s, web_page_hook hook, void *ctx);
/* Compile the templates and start listening. */
int web_server_start(struct web_server *s, struct err *err);
/* The port actually bound (useful with port 0). */
int web_server_port(const struct web_server *s);
/* Stop accepting, let in-flight requests finish (up to drain_timeout_s), stop. */
void web_server_stop(struct web_server *s);
void web_server_free(struct web_server *s);

/* Request helpers. Results live in req->arena or are borrowed from the request. */
const char *web_param(const struct web_req *req, const char *name);
int64_t web_param_int(const struct web_req *req, const char *name);
const char *web_query(const struct web_req *req, const char *name);
const char *web_header(const struct web_req *req, const char *name);
const char *web_cookie(const struct web_req *req, const char *name);
/* The localised message for an i18n key in the request's language (the key if none). A
 * message missing in bo or en is zh's text, counted, and marked lang="zh" where a page
 * prints it on its own as element content (docs/internals/i18n.md). */
const char *web_t(const struct web_req *req, const char *key);

/* The address the request came from (text), or "-". */
const char *web_client_ip(const struct web_req *req);

/* ---- sessions (src/web/session.c) ----------------------------------------------------
 * A session is a random 256-bit token in the HttpOnly, SameSite=Lax cookie "ow_session";
 * the database keeps only its SM3 hash (table web_sessions), with the account, the
 * authentication level, a CSRF token, and idle and absolute expiry. Sessions live in the
 * database, so any node can serve any request. */
struct web_session {
    int64_t account_id;
    int aal;            /* 0: second factor pending; 1: password; 2: two factors */
    int64_t created_at; /* ms; the login time */
    int64_t last_seen_at;
    int64_t expires_at;
    char csrf[48];       /* the token forms of this session must carry */
    char token_hash[72]; /* hex SM3 of the cookie's token: the row's key */
};

/* This request's session, loaded once from the cookie, or NULL (anonymous, unknown,
 * expired). Expired rows are deleted when met. */
const struct web_session *web_session(struct web_req *req);
/* Start a session for `account_id` (after a successful login): a new token and CSRF
 * token; the request's old session, if any, is ended first (rotation, so a session
 * fixed by an attacker before login is worthless after). Sets the cookie. */
int web_session_start(struct web_req *req, struct web_resp *resp, int64_t account_id, int aal,
                      struct err *err);
/* End the request's session (logout): deletes the row and clears the cookie. */
int web_session_end(struct web_req *req, struct web_resp *resp, struct err *err);
/* End every session of an account ("log out everywhere", password change, lock-out). */
int web_sessions_end_all(struct store_conn *c, int64_t account_id, struct err *err);
/* The CSRF token forms on this page must carry as the field "_csrf" (or the header
 * X-CSRF-Token): the session's, or for anonymous visitors a random token kept in the
 * "ow_csrf" cookie (set on this response when new). Lives in req->arena. */
const char *web_csrf_token(struct web_req *req, struct web_resp *resp);

/* ---- response cache (src/web/cache.c) ------------------------------------------------
 * For pages whose bytes depend only on a key, the language, the format (HTML or JSON)
 * and a version number the module controls (reference data, published catalogs): the
 * rendered body and its gzip form are kept in a bounded in-memory cache and served with
 * a strong ETag (304 on If-None-Match) without running the handler again. A handler
 * calls web_cache_hit first; on a miss it builds the model as usual, and the response is
 * stored under the key it passed. A change of version makes older entries misses. */
int web_cache_hit(struct web_req *req, struct web_resp *resp, const char *key, int64_t version);

/* A field of the submitted form (application/x-www-form-urlencoded), or NULL. */
const char *web_form_value(const struct web_req *req, const char *name);

/* Answer 303 See Other to `location` (a path on this site). Returns 0. */
int web_redirect(struct web_req *req, struct web_resp *resp, const char *location);
/* Add a Set-Cookie header: Path=/, SameSite=Lax, HttpOnly unless `script_visible`;
 * max_age < 0 deletes the cookie. The value must be cookie-safe (base64url, digits). */
int web_set_cookie(struct web_req *req, struct web_resp *resp, const char *name, const char *value,
                   int max_age, int script_visible);

/* Fill resp->err for an error response and return -1: `return web_fail(resp, 404,
 * "divisions.not_found", "no division has the code %s", code);`. The message shown to
 * people is the catalog's errors.<code> in their language; `fmt` is the detail for logs
 * and for clients when no translation exists. */
int web_fail(struct web_resp *resp, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Add a response header (name and value must live until the response is sent). */
int web_resp_header(struct web_resp *resp, const char *name, const char *value);

/* ---- the handler kit (src/web/kit.c) --------------------------------------------------
 * One way for every module to do what every handler does. Strings live in req->arena. */

/* `s` if it is a path on this site ("/..."; not "//host", "/\\host", control bytes or
 * longer than 2000 bytes), else NULL: what a `next` parameter may send people to. */
const char *web_local_path(const char *s);
/* "/login?next=<this request's address, URL-encoded>": the path and query of a GET, the
 * path alone after a POST. Plain "/login" when the address is not a safe local path. */
const char *web_login_url(struct web_req *req);
/* The session of someone logged in with at least `min_aal` (1: password; 2: two
 * factors), or NULL after web_fail(401 identity.login_required): the handler returns -1,
 * and dispatch answers a page with a 303 to web_login_url (JSON gets the 401 problem). */
const struct web_session *web_need_session(struct web_req *req, struct web_resp *resp, int min_aal);
/* web_fail with a module's error: its status (500 unless 4xx/5xx), code and message. */
int web_fail_err(struct web_resp *resp, const struct err *e);
/* Field problems [{field, code}] of a form: each gets its localised message (the catalog's
 * errors.<code>) in place, and the result is {field: first message} (new reference). */
json_t *web_localise_problems(struct web_req *req, json_t *problems);
/* Hand over a page: the model (owned from here; NULL fails with 500), view and status.
 * Returns 0, or -1 when the model is NULL. */
int web_page(struct web_resp *resp, json_t *model, const char *view, int status);
/* The integer form (or query) field `name`: missing or empty gives `dflt`; a value that
 * is not a whole decimal number within [min, max] fails with 400 http.bad_number (never
 * a silent 0, as atoi gave). Returns 0, or -1 with the response failed. */
int web_form_int(struct web_req *req, struct web_resp *resp, const char *name, int64_t min,
                 int64_t max, int64_t dflt, int64_t *out);
int web_query_int(struct web_req *req, struct web_resp *resp, const char *name, int64_t min,
                  int64_t max, int64_t dflt, int64_t *out);

#endif
