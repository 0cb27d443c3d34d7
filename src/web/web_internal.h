/*
 * web_internal.h - what the files of src/web/ share (server.c: libmicrohttpd glue and
 * dispatch; respond.c: rendering models as HTML/JSON/problems; builtin.c: health,
 * metrics and static assets). Nothing outside src/web/ includes it.
 */
#ifndef ONEWINDOW_WEB_INTERNAL_H
#define ONEWINDOW_WEB_INTERNAL_H

#include <microhttpd.h>
#include <stdint.h>

#include "base/buf.h"
#include "web/web.h"

struct tmpl_set;

/* Latency histogram bucket bounds in microseconds (Prometheus `le`), then +Inf. */
#define WEB_LAT_BUCKETS 12
extern const int64_t web_lat_bounds_us[WEB_LAT_BUCKETS];
/* Status codes counted separately per route; anything else counts as "other". */
#define WEB_NSTATUS 22
extern const int web_status_codes[WEB_NSTATUS];

struct route_metrics {
    uint64_t by_status[WEB_NSTATUS + 1];
    uint64_t lat[WEB_LAT_BUCKETS + 1];
    uint64_t lat_sum_us;
};

struct route_entry {
    web_handler handler;
    void *ctx;
    unsigned flags; /* WEB_ROUTE_* */
};

struct static_asset;

struct web_server {
    struct web_config cfg;
    struct store *store;
    struct router *router;
    struct route_entry **entries; /* owned, one per registered route */
    size_t nentries;
    struct tmpl_set *tmpl;
    struct MHD_Daemon *mhd;
    int port;
    int started;
    /* metrics: one slot per route plus one for unmatched requests */
    struct route_metrics *metrics;
    size_t nmetrics;
    uint64_t in_flight;
    int64_t started_ms;
    /* static assets, prebuilt responses */
    struct static_asset *assets;
    size_t nassets;
    const char *css_url; /* "/static/site.css?v=<etag>" */
    /* bo pages only: the @font-face of the Tibetan web font and the font itself, both
     * fingerprinted (generated at build time: tools/tibetan-font.sh); NULL when absent */
    const char *tibetan_css_url, *tibetan_font_url;
    web_page_hook page_hook[WEB_MAX_PAGE_HOOKS]; /* called in the order they were set */
    void *page_hook_ctx[WEB_MAX_PAGE_HOOKS];
    size_t npage_hooks;
    struct web_edge *edge; /* head deadline (edge.c) */
};

/* The zh texts web_t returned for a request (WEB_MAX_FALLBACKS distinct ones are marked on the
 * page; more are still counted). */
#define WEB_MAX_FALLBACKS 32
struct web_fallbacks {
    const char *text[WEB_MAX_FALLBACKS]; /* zh catalog strings: live until i18n_free */
    size_t n;
};

/* One request's private state; web_req is its first member so handlers' pointers can
 * be converted back. Lives in the request's arena. */
struct request {
    struct web_req req;
    struct web_resp resp;
    struct MHD_Connection *conn;
    const char *raw_uri;
    char *body;
    size_t body_len;
    size_t body_cap;
    int body_too_large;
    size_t body_limit; /* max_body_bytes, or max_upload_bytes for multipart */
    int64_t start_us;
    int metric_index;
    int status;
    uint64_t bytes_out;
    char idbuf[17];
    int set_lang_cookie;
    int session_loaded;
    struct web_session session; /* valid when has_session */
    int has_session;
    const char *csrf; /* the anonymous CSRF token, once chosen */
    char ip[64];
    struct web_fallbacks fallbacks;
};

/* edge.c: the strict HTTP edge. web_edge_check_head returns 0, or 400/501 with the error
 * code and an English detail for the log. */
int web_edge_check_head(struct MHD_Connection *conn, const char *version, const char **code,
                        const char **detail);
struct web_edge *web_edge_new(int head_timeout_s);
void web_edge_free(struct web_edge *e);
/* Connections cut off at the head deadline so far. */
uint64_t web_edge_closed_slow(struct web_edge *e);
void web_edge_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                     enum MHD_ConnectionNotificationCode toe);
void web_edge_head_begin(struct web_edge *e, struct MHD_Connection *conn);
void web_edge_head_done(struct web_edge *e, struct MHD_Connection *conn);
/* The client behind a trusted proxy: 1 and `out` set when `peer` is listed in `trusted`
 * and X-Forwarded-For names a valid address (the rightmost one that is not a trusted
 * proxy); 0 otherwise (then the peer address is the client). */
int web_edge_forwarded_ip(const char *trusted, const char *peer, const char *xff, char *out,
                          size_t outsz);

/* server.c: web_t, but NULL for a key the catalogs do not have. */
const char *web_t_or_null(const struct web_req *req, const char *key);

/* session.c: the CSRF check of unsafe requests (0 ok, -1 refuse). */
int web_csrf_check(struct request *r);

/* session_store.c: the web_sessions rows, keyed by the token's hash. get returns 1 and fills
 * `ss` (all but token_hash) when found, 0 when not, -1 on a store error; the others 0 or -1. */
int web_session_db_get(struct store_conn *c, const char *hash, struct web_session *ss,
                       struct err *err);
int web_session_db_touch(struct store_conn *c, const char *hash, int64_t now, struct err *err);
int web_session_db_insert(struct store_conn *c, const struct web_session *ss, const char *ip,
                          struct err *err);
int web_session_db_delete(struct store_conn *c, const char *hash, struct err *err);
int web_session_db_delete_account(struct store_conn *c, int64_t account_id, struct err *err);

/* respond.c: an RFC 9457 problem document (with instance when not NULL) as compact JSON,
 * malloc'd (the caller frees it), or NULL when out of memory. */
char *web_problem_json(int status, const char *title, const char *detail, const char *code,
                       const char *request_id, const char *instance);

/* cache.c */
void web_cache_store(struct request *r, int status, const char *content_type, const char *body,
                     size_t len, const char *gz, size_t gzlen);
void web_cache_release(struct web_cache_entry *e);
const char *web_cache_etag(const struct web_cache_entry *e);
/* The bytes to send (the gzip form when wanted and present: returns 1 then). */
int web_cache_parts(const struct web_cache_entry *e, int want_gz, const char **body, size_t *len,
                    const char **content_type, int *max_age);
/* Drop every entry (at shutdown, and in tests). */
void web_cache_clear(void);

/* respond.c */
enum MHD_Result web_respond(struct request *r);
enum MHD_Result web_respond_error(struct request *r, int status, const char *code,
                                  const char *detail);
int web_metric_status_index(int status);

/* builtin.c */
int web_builtin_register(struct web_server *s, struct err *err);
int web_static_prepare(struct web_server *s, struct err *err);
void web_static_free(struct web_server *s);
/* Serve /static/<path> from the prebuilt responses; r's status is set. */
enum MHD_Result web_static_serve(struct request *r, const char *path);

#endif
