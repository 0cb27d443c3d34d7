/*
 * session.c - login sessions and CSRF tokens (ARCHITECTURE §5); the contract is in web.h.
 *
 * The cookie "ow_session" holds 32 random bytes (base64url); the database row is keyed by
 * the hex SM3 hash of it, so a copy of the database gives no usable cookie. A session ends
 * when unused for session_idle_s or session_absolute_s after login, whichever comes first;
 * last_seen_at is written at most once a minute so that browsing does not turn every page
 * into a database write.
 *
 * CSRF: unsafe requests (anything but GET, HEAD, OPTIONS) must carry a token equal to the
 * session's, or, without a session, to the "ow_csrf" cookie (double submit: a site that
 * cannot read our cookies cannot forge the form field). Compared in constant time.
 */
#include "web/web_internal.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/arena.h"
#include "base/id.h"
#include "base/log.h"
#include "crypto/crypto.h"
#include "store/store.h"

#define SESSION_COOKIE "ow_session"
#define CSRF_COOKIE "ow_csrf"
#define TOKEN_BYTES 32
#define TOUCH_INTERVAL_MS 60000

static struct request *request_of(struct web_req *req)
{
    return (struct request *)req;
}

/* A token as it appears in a cookie: 43 base64url characters. */
static int token_well_formed(const char *t)
{
    if (t == NULL || strlen(t) != CRYPTO_B64URL_LEN(TOKEN_BYTES))
        return 0;
    for (const char *p = t; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_'))
            return 0;
    return 1;
}

static int new_token(char out[CRYPTO_B64URL_LEN(TOKEN_BYTES) + 1])
{
    unsigned char raw[TOKEN_BYTES];
    int rc = crypto_random(raw, sizeof(raw));
    if (rc == 0)
        rc = crypto_b64url_encode(raw, sizeof(raw), out, CRYPTO_B64URL_LEN(TOKEN_BYTES) + 1) < 0;
    crypto_wipe(raw, sizeof(raw));
    return rc == 0 ? 0 : -1;
}

static int token_hash(const char *token, char out[72])
{
    unsigned char h[CRYPTO_SM3_LEN];
    if (crypto_sm3(token, strlen(token), h) < 0)
        return -1;
    return crypto_hex_encode(h, sizeof(h), out, 72) < 0 ? -1 : 0;
}

static int cookie(struct request *r, struct web_resp *resp, const char *name, const char *value,
                  int max_age)
{
    struct web_server *s = r->req.server;
    char *c = arena_printf(r->req.arena, "%s=%s; Path=/; Max-Age=%d; HttpOnly; SameSite=Lax%s",
                           name, max_age > 0 ? value : "", max_age > 0 ? max_age : 0,
                           s->cfg.secure_cookies ? "; Secure" : "");
    return c ? web_resp_header(resp, MHD_HTTP_HEADER_SET_COOKIE, c) : -1;
}

const struct web_session *web_session(struct web_req *req)
{
    struct request *r = request_of(req);
    if (r->session_loaded)
        return r->has_session ? &r->session : NULL;
    r->session_loaded = 1;
    const char *token = web_cookie(req, SESSION_COOKIE);
    if (!token_well_formed(token))
        return NULL;
    struct web_session *ss = &r->session;
    struct err err;
    struct store_conn *c = store_conn(req->server->store, &err);
    if (c == NULL || token_hash(token, ss->token_hash) < 0 ||
        web_session_db_get(c, ss->token_hash, ss, &err) != 1)
        return NULL;
    int64_t now = time_now_ms();
    int expired = now >= ss->expires_at ||
                  now >= ss->last_seen_at + (int64_t)req->server->cfg.session_idle_s * 1000;
    if (expired) {
        if (web_session_db_delete(c, ss->token_hash, &err) < 0)
            log_kv(LOG_WARN, "session update failed", "detail", err.msg, LOG_END);
        return NULL;
    }
    if (now - ss->last_seen_at >= TOUCH_INTERVAL_MS) {
        if (web_session_db_touch(c, ss->token_hash, now, &err) < 0)
            log_kv(LOG_WARN, "session update failed", "detail", err.msg, LOG_END);
        ss->last_seen_at = now;
    }
    r->has_session = 1;
    return ss;
}

int web_session_start(struct web_req *req, struct web_resp *resp, int64_t account_id, int aal,
                      struct err *err)
{
    struct request *r = request_of(req);
    struct web_server *s = req->server;
    struct store_conn *c = store_conn(s->store, err);
    if (c == NULL)
        return -1;
    const struct web_session *old = web_session(req);
    if (old != NULL && web_session_db_delete(c, old->token_hash, err) < 0)
        return -1;

    char token[CRYPTO_B64URL_LEN(TOKEN_BYTES) + 1];
    struct web_session *ss = &r->session;
    if (new_token(token) < 0 || new_token(ss->csrf) < 0 || token_hash(token, ss->token_hash) < 0)
        return err_set(err, 500, "http.internal", "no randomness available");
    int64_t now = time_now_ms();
    ss->account_id = account_id;
    ss->aal = aal;
    ss->created_at = ss->last_seen_at = now;
    ss->expires_at = now + (int64_t)s->cfg.session_absolute_s * 1000;
    if (web_session_db_insert(c, ss, web_client_ip(req), err) < 0)
        return -1;
    r->has_session = 1;
    r->session_loaded = 1;
    int rc = cookie(r, resp, SESSION_COOKIE, token, s->cfg.session_absolute_s);
    crypto_wipe(token, sizeof(token));
    return rc < 0 ? err_set(err, 500, "http.internal", "too many response headers") : 0;
}

int web_session_end(struct web_req *req, struct web_resp *resp, struct err *err)
{
    struct request *r = request_of(req);
    const struct web_session *ss = web_session(req);
    if (ss != NULL) {
        struct store_conn *c = store_conn(req->server->store, err);
        if (c == NULL || web_session_db_delete(c, ss->token_hash, err) < 0)
            return -1;
    }
    r->has_session = 0;
    return cookie(r, resp, SESSION_COOKIE, "", -1);
}

int web_sessions_end_all(struct store_conn *c, int64_t account_id, struct err *err)
{
    return web_session_db_delete_account(c, account_id, err);
}

const char *web_csrf_token(struct web_req *req, struct web_resp *resp)
{
    struct request *r = request_of(req);
    const struct web_session *ss = web_session(req);
    if (ss != NULL)
        return ss->csrf;
    if (r->csrf != NULL)
        return r->csrf;
    const char *have = web_cookie(req, CSRF_COOKIE);
    if (token_well_formed(have)) {
        r->csrf = have;
        return have;
    }
    char *t = arena_alloc(req->arena, CRYPTO_B64URL_LEN(TOKEN_BYTES) + 1);
    if (t == NULL || new_token(t) < 0)
        return "";
    /* A day is enough to fill in a form; the cookie is renewed on the next form. */
    cookie(r, resp, CSRF_COOKIE, t, 86400);
    r->csrf = t;
    return t;
}

int web_csrf_check(struct request *r)
{
    const char *given = web_form_value(&r->req, "_csrf");
    if (given == NULL)
        given = web_header(&r->req, "X-CSRF-Token");
    const struct web_session *ss = web_session(&r->req);
    const char *want = ss != NULL ? ss->csrf : web_cookie(&r->req, CSRF_COOKIE);
    if (given == NULL || want == NULL || !token_well_formed(want))
        return -1;
    size_t n = strlen(want);
    if (strlen(given) != n || !crypto_equal(given, want, n))
        return -1;
    return 0;
}
