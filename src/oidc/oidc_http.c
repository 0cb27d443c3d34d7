/*
 * oidc_http.c - the provider's endpoints (the logic is in oidc_flow.c and oidc.c):
 *
 *   GET      /.well-known/openid-configuration  discovery metadata (OIDC Discovery §4)
 *   GET      /oauth2/jwks                       the published keys (RFC 7517 §5)
 *   GET|POST /oauth2/authorize                  authorization requests: login, consent, code
 *   POST     /oauth2/consent                    the consent page's answer (CSRF-checked)
 *   POST     /oauth2/token                      codes, refresh tokens, client credentials
 *   GET|POST /oauth2/userinfo                   claims for a Bearer access token
 *   POST     /oauth2/revoke                     token revocation (RFC 7009)
 *   GET|POST /oauth2/logout                     RP-initiated logout
 *
 * Endpoints that other systems call (token, userinfo, revoke, and the authorization and
 * logout requests relying parties may POST) are registered without the CSRF check: they
 * authenticate the client, carry a bearer token, or change nothing without a check of
 * their own. Protocol errors are {"error", "error_description"} (RFC 6749 §5.2), or a
 * redirect back with error= once the client and redirect URI are known to be genuine;
 * before that, the person sees an error page and is never sent anywhere.
 *
 * Discovery and JWKS are served from the web layer's response cache under the
 * snapshot's generation, so they cost a lookup and no rendering.
 */
#include "oidc/oidc_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/arena.h"
#include "base/buf.h"
#include "identity/identity.h"
#include "store/store.h"
#include "web/web.h"

/* ---- responses ---------------------------------------------------------------------------- */

/* The RFC 6749 error of a failure: protocol errors carry it in their code ("oidc.X"). */
static const char *oauth_error_code(const struct err *err)
{
    if (err->status == 503)
        return "temporarily_unavailable";
    if (err->status >= 500 || strncmp(err->code, "oidc.", 5) != 0)
        return "server_error";
    return err->code + 5;
}

/* An OAuth error as JSON, with its status; returns 0 so that headers are kept. */
static int oauth_json_error(struct web_resp *resp, const struct err *err)
{
    int status = err->status ? err->status : 500;
    json_decref(resp->model);
    resp->view = NULL;
    resp->status = status;
    resp->model = json_pack("{s:s, s:s}", "error", oauth_error_code(err), "error_description",
                            status >= 500 ? "the server could not complete the request" : err->msg);
    return resp->model ? 0 : web_fail(resp, 500, "http.internal", "out of memory");
}

static void url_param(struct buf *b, char *sep, const char *name, const char *value)
{
    if (value == NULL)
        return;
    buf_putc(b, *sep);
    buf_puts(b, name);
    buf_putc(b, '=');
    web_url_encode(b, value);
    *sep = '&';
}

/* 303 to a registered redirect URI with the given parameters (name, value pairs, NULL
 * values skipped, a NULL name ends the list). The query the URI already has is kept. */
static int redirect_back(struct web_req *req, struct web_resp *resp, const char *uri,
                         const char *const *params)
{
    struct buf b;
    buf_init(&b, 16384);
    char sep = strchr(uri, '?') != NULL ? '&' : '?';
    buf_puts(&b, uri);
    for (size_t i = 0; params[i] != NULL; i += 2)
        url_param(&b, &sep, params[i], params[i + 1]);
    char *loc = b.data ? arena_strndup(req->arena, b.data, b.len) : NULL;
    buf_free(&b);
    if (loc == NULL)
        return web_fail(resp, 500, "http.internal", "out of memory");
    json_decref(resp->model);
    resp->model = NULL;
    resp->view = NULL;
    resp->status = 303;
    return web_resp_header(resp, "Location", loc) < 0
               ? web_fail(resp, 500, "http.internal", "too many headers")
               : 0;
}

static int redirect_error(struct web_req *req, struct web_resp *resp, struct oidc *o,
                          const char *uri, const struct err *err, const char *state)
{
    const char *params[] = {"error",
                            oauth_error_code(err),
                            "error_description",
                            err->status >= 500 ? "server error" : err->msg,
                            "state",
                            state,
                            "iss",
                            oidc_issuer_dup(o, req->arena),
                            NULL};
    return redirect_back(req, resp, uri, params);
}

/* ---- discovery and keys ------------------------------------------------------------------- */

static int public_document(struct web_req *req, struct web_resp *resp, int jwks)
{
    struct oidc *o = req->ctx;
    oidc_reload_maybe(o);
    /* Public documents: any origin may read them (browser-based relying parties). */
    web_resp_header(resp, "Access-Control-Allow-Origin", "*");
    resp->max_age = jwks ? 60 : 300;
    if (web_cache_hit(req, resp, jwks ? "oidc:jwks" : "oidc:discovery", oidc_generation(o)))
        return 0;
    struct oidc_snap *s = oidc_snap_get(o);
    const char *doc = jwks ? s->jwks : s->discovery;
    size_t len = jwks ? s->jwks_len : s->discovery_len;
    char *copy = doc ? arena_strndup(req->arena, doc, len) : NULL;
    oidc_snap_put(s);
    if (doc == NULL)
        return web_fail(resp, 503, "oidc.no_issuer", "the provider's public URL is not set");
    if (copy == NULL)
        return web_fail(resp, 500, "http.internal", "out of memory");
    resp->body = copy;
    resp->body_len = len;
    resp->content_type = "application/json";
    return 0;
}

static int h_discovery(struct web_req *req, struct web_resp *resp)
{
    return public_document(req, resp, 0);
}

static int h_jwks(struct web_req *req, struct web_resp *resp)
{
    return public_document(req, resp, 1);
}

/* ---- authorization ------------------------------------------------------------------------ */

static const char *const AUTHZ_NAMES[] = {
    "client_id", "redirect_uri",   "response_type",         "scope",    "state",
    "nonce",     "code_challenge", "code_challenge_method", "prompt",   "max_age",
    "request",   "request_uri",    "response_mode",         "ow_login", NULL,
};

/* The parameters of a request, from the query (GET) or the form (POST). A parameter
 * given twice is an error (RFC 6749 §3.1); *dup names it. */
static void authz_params(const struct web_req *req, int from_form, struct oidc_authz_params *p,
                         const char **dup)
{
    const struct web_kv *kv = from_form ? req->form : req->query;
    size_t n = from_form ? req->nform : req->nquery;
    const char *v[14] = {0};
    *dup = NULL;
    for (size_t i = 0; i < n; i++)
        for (int k = 0; AUTHZ_NAMES[k] != NULL; k++)
            if (strcmp(kv[i].name, AUTHZ_NAMES[k]) == 0) {
                if (v[k] != NULL)
                    *dup = AUTHZ_NAMES[k];
                v[k] = kv[i].value;
            }
    *p = (struct oidc_authz_params){v[0], v[1], v[2], v[3],  v[4],  v[5],  v[6],
                                    v[7], v[8], v[9], v[10], v[11], v[12], v[13]};
}

/* The authorization request again as a URL on this site: where the login page sends
 * the person back to. `mark_ms` > 0 adds a login mark (prompt=login, max_age). */
static const char *authorize_url(struct web_req *req, struct oidc *o, const struct oidc_authz *az,
                                 int64_t mark_ms)
{
    struct buf b;
    char sep = '?', age[24];
    buf_init(&b, 8192);
    buf_puts(&b, "/oauth2/authorize");
    url_param(&b, &sep, "client_id", az->client.info.client_id);
    url_param(&b, &sep, "redirect_uri", az->redirect_uri);
    url_param(&b, &sep, "response_type", "code");
    url_param(&b, &sep, "scope", az->scope);
    url_param(&b, &sep, "state", az->state);
    url_param(&b, &sep, "nonce", az->nonce);
    url_param(&b, &sep, "code_challenge", az->code_challenge);
    url_param(&b, &sep, "code_challenge_method", "S256");
    if (az->max_age >= 0) {
        snprintf(age, sizeof(age), "%lld", (long long)az->max_age);
        url_param(&b, &sep, "max_age", age);
    }
    if (az->prompt_consent)
        url_param(&b, &sep, "prompt", "consent");
    if (mark_ms > 0)
        url_param(&b, &sep, "ow_login", oidc_login_mark(o, req->arena, mark_ms));
    char *s = b.data ? arena_strndup(req->arena, b.data, b.len) : NULL;
    buf_free(&b);
    return s;
}

/* To the login and back to `next`: the authorization request rebuilt with the mark of
 * the login it asks for (ow_login, for prompt=login and max_age), which this request's
 * own address (the kit's web_login_url) does not carry. */
static int login_redirect(struct web_req *req, struct web_resp *resp, const char *next)
{
    struct buf b;
    buf_init(&b, 16384);
    buf_puts(&b, "/login?next=");
    web_url_encode(&b, next);
    char *loc = b.data ? arena_strndup(req->arena, b.data, b.len) : NULL;
    buf_free(&b);
    if (next == NULL || loc == NULL)
        return web_fail(resp, 500, "http.internal", "out of memory");
    return web_redirect(req, resp, loc);
}

/* Who is logged in, at a level enough for their kind of account (staff need two
 * factors, ARCHITECTURE §5), or 0. */
static int64_t logged_in(struct web_req *req, struct identity *id,
                         const struct web_session **session, struct identity_account *acct)
{
    const struct web_session *ss = web_session(req);
    struct err err;
    *session = ss;
    if (ss == NULL || ss->aal < 1 ||
        identity_account_summary(id, req->arena, ss->account_id, acct, &err) < 0)
        return 0;
    if (acct->status == NULL || strcmp(acct->status, "active") != 0)
        return 0;
    if (acct->kind == IDENTITY_STAFF && ss->aal < 2)
        return 0;
    return ss->account_id;
}

/* The data each scope releases, as the consent page lists it. */
static json_t *scope_items(struct web_req *req, const char *scope)
{
    static const char *const order[] = {"openid", "profile", "phone", "id_number"};
    json_t *items = json_array();
    for (size_t i = 0; items && i < sizeof(order) / sizeof(order[0]); i++) {
        if (!oidc_word_in(scope, order[i]))
            continue;
        char label[64], detail[64];
        snprintf(label, sizeof(label), "oidc.scopes.%s.label", order[i]);
        snprintf(detail, sizeof(detail), "oidc.scopes.%s.detail", order[i]);
        json_array_append_new(items, json_pack("{s:s, s:s, s:s}", "scope", order[i], "label",
                                               web_t(req, label), "detail", web_t(req, detail)));
    }
    return items;
}

static int consent_page(struct web_req *req, struct web_resp *resp, const struct oidc_authz *az,
                        const struct identity_account *acct)
{
    json_t *hidden = json_array();
    const char *fields[][2] = {
        {"client_id", az->client.info.client_id},
        {"redirect_uri", az->redirect_uri},
        {"response_type", "code"},
        {"scope", az->scope},
        {"state", az->state},
        {"nonce", az->nonce},
        {"code_challenge", az->code_challenge},
        {"code_challenge_method", "S256"},
    };
    for (size_t i = 0; hidden && i < sizeof(fields) / sizeof(fields[0]); i++)
        if (fields[i][1] != NULL)
            json_array_append_new(
                hidden, json_pack("{s:s, s:s}", "name", fields[i][0], "value", fields[i][1]));
    json_t *m = json_pack(
        "{s:s, s:s, s:s, s:o, s:o, s:s}", "title", web_t(req, "oidc.consent.title"), "client_name",
        az->client.info.name, "account_name", acct->name ? acct->name : "", "items",
        scope_items(req, az->scope), "hidden", hidden, "csrf", web_csrf_token(req, resp));
    /* Never framed (the layout's CSP says so too): a consent page must not be clickjacked. */
    return web_page(resp, m, "oidc/consent", 200);
}

/* 帮办代办: the session's agent acting for a citizen (oidc_set_acting). 0 with *account
 * the citizen's, az->act_account the agent's and `acct` the citizen's; 0 unchanged when
 * not acting; -1 with the response failed (403: the consent no longer allows it). */
static int acting_login(struct web_req *req, struct web_resp *resp, struct oidc *o,
                        struct oidc_authz *az, int64_t *account, struct identity_account *acct)
{
    int64_t citizen = 0;
    struct err err;
    err_clear(&err);
    if (o->acting.resolve == NULL || *account == 0)
        return 0;
    int r = o->acting.resolve(o->acting.ctx, req, *account, &citizen, &err);
    if (r < 0)
        return web_fail_err(resp, &err);
    if (r == 0 || citizen == 0)
        return 0;
    if (identity_account_summary(o->identity, req->arena, citizen, acct, &err) < 0)
        return web_fail_err(resp, &err);
    az->act_account = *account;
    *account = citizen;
    return 0;
}

static int issue_and_redirect(struct web_req *req, struct web_resp *resp, struct oidc *o,
                              const struct oidc_authz *az, const struct web_session *ss,
                              int64_t account, int save_consent)
{
    char code[OIDC_TOKEN_SIZE];
    struct err err;
    err_clear(&err);
    if (oidc_code_issue(o, az, account, ss->created_at, ss->aal, save_consent && !az->act_account,
                        web_client_ip(req), code, &err) < 0)
        return redirect_error(req, resp, o, az->redirect_uri, &err, az->state);
    const char *params[] = {"code", arena_strdup(req->arena, code), "state", az->state,
                            "iss",  oidc_issuer_dup(o, req->arena), NULL};
    crypto_wipe(code, sizeof(code));
    return redirect_back(req, resp, az->redirect_uri, params);
}

/* Check the request; on failure answer it (error page or redirect) and return 1. */
static int authz_request(struct web_req *req, struct web_resp *resp, struct oidc *o, int from_form,
                         struct oidc_authz *az, int *rc)
{
    struct oidc_authz_params p;
    const char *dup;
    struct err err;
    int redirectable = 0;
    err_clear(&err);
    authz_params(req, from_form, &p, &dup);
    if (oidc_authorize_check(o, req->arena, &p, az, &redirectable, &err) == 0 && dup != NULL)
        err_set(&err, 400, "oidc.invalid_request", "the parameter %s is given twice", dup);
    if (err.code[0] == '\0')
        return 0;
    /* Refusals are security events worth a record (an unregistered redirect URI is how
     * phishing through an open redirect would start). */
    char object[OIDC_CLIENT_ID_SIZE + 40];
    snprintf(object, sizeof(object), "client:%.60s", p.client_id ? p.client_id : "-");
    const struct web_session *ss = web_session(req);
    oidc_audit(o, ss ? ss->account_id : 0, "oidc.authorize", object, "denied", web_client_ip(req),
               err.msg);
    if (err.status >= 500 || !redirectable)
        *rc = web_fail_err(resp, &err);
    else
        *rc = redirect_error(req, resp, o, az->redirect_uri, &err, az->state);
    return 1;
}

static int authorize(struct web_req *req, struct web_resp *resp, int from_form)
{
    struct oidc *o = req->ctx;
    struct oidc_authz az;
    struct identity_account acct;
    const struct web_session *ss;
    int rc = 0;
    if (authz_request(req, resp, o, from_form, &az, &rc))
        return rc;
    int64_t account = logged_in(req, o->identity, &ss, &acct);
    int64_t now = oidc_now(o);
    /* A login this request asked for (the mark) counts as fresh for prompt=login and
     * max_age; without it, prompt=login always sends the person to log in again. */
    int fresh = account != 0 && az.login_mark != 0 && ss->created_at >= az.login_mark;
    int stale = account != 0 && az.max_age >= 0 && now - ss->created_at > az.max_age * 1000;
    if (account == 0 || (!fresh && (az.prompt_login || stale))) {
        if (az.prompt_none) {
            struct err err;
            err_set(&err, 400, "oidc.login_required", "the person is not logged in");
            return redirect_error(req, resp, o, az.redirect_uri, &err, az.state);
        }
        return login_redirect(req, resp, authorize_url(req, o, &az, now));
    }
    if (acting_login(req, resp, o, &az, &account, &acct) < 0)
        return -1;
    int covered = 0;
    struct err err;
    err_clear(&err);
    if (oidc_consent_covers(o, account, az.client.info.client_id, az.scope, &covered, &err) < 0)
        return redirect_error(req, resp, o, az.redirect_uri, &err, az.state);
    if (az.act_account != 0 && az.prompt_none) {
        err_set(&err, 400, "oidc.consent_required", "an agent agrees at each login");
        return redirect_error(req, resp, o, az.redirect_uri, &err, az.state);
    }
    if (az.prompt_consent || !covered || az.act_account != 0) {
        if (az.prompt_none) {
            err_set(&err, 400, "oidc.consent_required", "the person has not agreed yet");
            return redirect_error(req, resp, o, az.redirect_uri, &err, az.state);
        }
        return consent_page(req, resp, &az, &acct);
    }
    return issue_and_redirect(req, resp, o, &az, ss, account, 0);
}

static int h_authorize_get(struct web_req *req, struct web_resp *resp)
{
    return authorize(req, resp, 0);
}

static int h_authorize_post(struct web_req *req, struct web_resp *resp)
{
    return authorize(req, resp, 1);
}

static int h_consent(struct web_req *req, struct web_resp *resp)
{
    struct oidc *o = req->ctx;
    struct oidc_authz az;
    struct identity_account acct;
    const struct web_session *ss;
    int rc = 0;
    if (authz_request(req, resp, o, 1, &az, &rc))
        return rc;
    int64_t account = logged_in(req, o->identity, &ss, &acct);
    if (account == 0)
        return login_redirect(req, resp, authorize_url(req, o, &az, 0));
    if (acting_login(req, resp, o, &az, &account, &acct) < 0)
        return -1;
    const char *decision = web_form_value(req, "decision");
    if (decision == NULL || strcmp(decision, "allow") != 0) {
        char object[OIDC_CLIENT_ID_SIZE + 8];
        snprintf(object, sizeof(object), "client:%s", az.client.info.client_id);
        oidc_audit(o, az.act_account ? az.act_account : account, "oidc.consent", object, "denied",
                   web_client_ip(req),
                   az.act_account ? arena_printf(req->arena, "scopes=%s on_behalf=account:%lld",
                                                 az.scope, (long long)account)
                                  : arena_printf(req->arena, "scopes=%s", az.scope));
        struct err err;
        err_set(&err, 400, "oidc.access_denied", "the person did not agree");
        return redirect_error(req, resp, o, az.redirect_uri, &err, az.state);
    }
    return issue_and_redirect(req, resp, o, &az, ss, account, 1);
}

/* ---- token, revocation -------------------------------------------------------------------- */

/* Client authentication fields common to the token and revocation endpoints. A Basic
 * header that does not parse is a failed authentication. */
static int client_auth(struct web_req *req, struct oidc_client_auth *a, const char *endpoint,
                       int *basic)
{
    const char *authz = web_header(req, "Authorization");
    memset(a, 0, sizeof(*a));
    *basic = authz != NULL && strncasecmp(authz, "Basic ", 6) == 0;
    if (*basic && oidc_basic_credentials(req->arena, authz, &a->basic_id, &a->basic_secret) < 0)
        return -1;
    a->client_id = web_form_value(req, "client_id");
    a->client_secret = web_form_value(req, "client_secret");
    a->assertion_type = web_form_value(req, "client_assertion_type");
    a->assertion = web_form_value(req, "client_assertion");
    a->endpoint = endpoint;
    return 0;
}

/* Endpoints for other systems take a form body only (RFC 6749 §3.2), each field once. */
static int form_body_ok(struct web_req *req, struct err *err)
{
    const char *type = web_header(req, "Content-Type");
    if (type == NULL || strncasecmp(type, "application/x-www-form-urlencoded", 33) != 0)
        return err_set(err, 400, "oidc.invalid_request",
                       "the body must be application/x-www-form-urlencoded");
    for (size_t i = 0; i < req->nform; i++)
        for (size_t k = 0; k < i; k++)
            if (strcmp(req->form[i].name, req->form[k].name) == 0)
                return err_set(err, 400, "oidc.invalid_request",
                               "the parameter %.40s is given "
                               "twice",
                               req->form[i].name);
    return 0;
}

static int auth_failed(struct web_resp *resp, const struct err *err, int basic)
{
    /* RFC 6749 §5.2: a 401 after Basic authentication names the scheme to use. */
    if (err->status == 401 && basic)
        web_resp_header(resp, "WWW-Authenticate", "Basic realm=\"onewindow\", charset=\"UTF-8\"");
    return oauth_json_error(resp, err);
}

static const char *endpoint_url(struct web_req *req, struct oidc *o, const char *path)
{
    const char *iss = oidc_issuer_dup(o, req->arena);
    return iss ? arena_printf(req->arena, "%s%s", iss, path) : NULL;
}

/* The token response as text (oidc_token_answer), or through the JSON path. */
static int token_body(struct web_req *req, struct web_resp *resp, json_t *out)
{
    size_t len = 0;
    char *body = oidc_token_answer(req->arena, out, &len);
    if (body == NULL)
        return web_page(resp, out, NULL, 200);
    json_decref(out);
    resp->body = body;
    resp->body_len = len;
    resp->content_type = "application/json";
    return 0;
}

static int h_token(struct web_req *req, struct web_resp *resp)
{
    struct oidc *o = req->ctx;
    struct oidc_token_request in;
    struct err err;
    int basic = 0;
    json_t *out = NULL;
    err_clear(&err);
    web_resp_header(resp, "Pragma", "no-cache");
    if (form_body_ok(req, &err) < 0)
        return oauth_json_error(resp, &err);
    memset(&in, 0, sizeof(in));
    if (client_auth(req, &in.auth, endpoint_url(req, o, "/oauth2/token"), &basic) < 0) {
        err_set(&err, 401, "oidc.invalid_client", "the Basic authorization header is malformed");
        oidc_audit(o, 0, "oidc.client_auth", "client:-", "failed", web_client_ip(req), err.msg);
        return auth_failed(resp, &err, basic);
    }
    in.grant_type = web_form_value(req, "grant_type");
    in.code = web_form_value(req, "code");
    in.redirect_uri = web_form_value(req, "redirect_uri");
    in.code_verifier = web_form_value(req, "code_verifier");
    in.refresh_token = web_form_value(req, "refresh_token");
    in.scope = web_form_value(req, "scope");
    in.ip = web_client_ip(req);
    if (oidc_token(o, req->arena, &in, &out, &err) < 0)
        return auth_failed(resp, &err, basic);
    return token_body(req, resp, out);
}

static int h_revoke(struct web_req *req, struct web_resp *resp)
{
    struct oidc *o = req->ctx;
    struct oidc_client_auth auth;
    struct err err;
    int basic = 0;
    err_clear(&err);
    if (form_body_ok(req, &err) < 0)
        return oauth_json_error(resp, &err);
    if (client_auth(req, &auth, endpoint_url(req, o, "/oauth2/revoke"), &basic) < 0) {
        err_set(&err, 401, "oidc.invalid_client", "the Basic authorization header is malformed");
        return auth_failed(resp, &err, basic);
    }
    if (oidc_revoke(o, req->arena, &auth, web_form_value(req, "token"), web_client_ip(req), &err) <
        0)
        return auth_failed(resp, &err, basic);
    return web_page(resp, json_object(), NULL, 200);
}

/* ---- userinfo ------------------------------------------------------------------------------ */

/* RFC 6750 §3: a 401 or 403 with the challenge that says why. */
static int bearer_error(struct web_req *req, struct web_resp *resp, int status, const char *error,
                        const char *why)
{
    const char *challenge = error == NULL
                                ? "Bearer realm=\"onewindow\""
                                : arena_printf(req->arena,
                                               "Bearer realm=\"onewindow\", error=\"%s\", "
                                               "error_description=\"%s\"",
                                               error, why);
    web_resp_header(resp, "WWW-Authenticate", challenge ? challenge : "Bearer");
    resp->status = status;
    resp->model = error == NULL ? json_pack("{s:s, s:s}", "error", "invalid_request",
                                            "error_description", why)
                                : json_pack("{s:s, s:s}", "error", error, "error_description", why);
    return 0;
}

/* OIDC Core §5.1 phone_number: E.164 with the country code; mainland mobile numbers are
 * stored as their 11 digits. */
static const char *phone_e164(struct web_req *req, const char *phone)
{
    if (phone != NULL && strlen(phone) == 11 && phone[0] == '1' &&
        strspn(phone, "0123456789") == 11)
        return arena_printf(req->arena, "+86%s", phone);
    return phone;
}

static const char *locale_of(const char *lang)
{
    if (lang != NULL && strcmp(lang, "bo") == 0)
        return "bo";
    if (lang != NULL && strcmp(lang, "en") == 0)
        return "en";
    return "zh-CN";
}

static int h_userinfo(struct web_req *req, struct web_resp *resp)
{
    struct oidc *o = req->ctx;
    const char *authz = web_header(req, "Authorization");
    const char *form_token = web_form_value(req, "access_token");
    const char *token = NULL;
    if (authz != NULL && strncasecmp(authz, "Bearer ", 7) == 0) {
        token = authz + 7;
        while (*token == ' ')
            token++;
    }
    if (token != NULL && form_token != NULL)
        return bearer_error(req, resp, 400, "invalid_request",
                            "send the access token once, not in the header and the body");
    if (token == NULL && form_token != NULL && strcmp(req->method, "POST") == 0)
        token = form_token;
    if (token == NULL || *token == '\0')
        return bearer_error(req, resp, 401, NULL, "an access token is required");

    struct oidc_access acc;
    struct err err;
    err_clear(&err);
    if (oidc_access_verify(o, req->arena, token, 1, &acc, &err) < 0) {
        if (err.status >= 500)
            return web_fail_err(resp, &err);
        /* A refused token is written down (forged or replayed tokens are attacks);
         * accepted ones are not, so userinfo stays free of writes. */
        oidc_audit(o, 0, "oidc.userinfo", "token:-", "denied", web_client_ip(req), err.msg);
        return bearer_error(req, resp, 401, "invalid_token", err.msg);
    }
    if (acc.grant_id == 0)
        return bearer_error(req, resp, 401, "invalid_token",
                            "this token was issued to a system, not for a person");
    if (!oidc_word_in(acc.scope, "openid"))
        return bearer_error(req, resp, 403, "insufficient_scope", "the openid scope is required");
    struct identity_account acct;
    if (identity_account_summary(o->identity, req->arena, acc.account_id, &acct, &err) < 0 ||
        acct.status == NULL || strcmp(acct.status, "active") != 0) {
        if (err.status >= 500)
            return web_fail_err(resp, &err);
        return bearer_error(req, resp, 401, "invalid_token", "the account no longer exists");
    }
    json_t *m = json_pack("{s:s}", "sub", acc.sub);
    if (m == NULL)
        return web_fail(resp, 500, "http.internal", "out of memory");
    if (oidc_word_in(acc.scope, "profile")) {
        json_object_set_new(m, "name", json_string(acct.name ? acct.name : ""));
        json_object_set_new(m, "locale", json_string(locale_of(acct.lang)));
    }
    int phone = oidc_word_in(acc.scope, "phone"), idn = oidc_word_in(acc.scope, "id_number");
    if (phone || idn) {
        const char *id_number = NULL, *tel = NULL;
        if (identity_account_private(o->identity, req->arena, acc.account_id, &id_number, &tel,
                                     &err) < 0) {
            json_decref(m);
            return web_fail_err(resp, &err);
        }
        /* Only the scopes granted: the ID number never leaves without its own scope. */
        if (phone && tel != NULL)
            json_object_set_new(m, "phone_number", json_string(phone_e164(req, tel)));
        if (idn && id_number != NULL)
            json_object_set_new(m, "id_number", json_string(id_number));
    }
    return web_page(resp, m, NULL, 200);
}

/* ---- logout -------------------------------------------------------------------------------- */

static int logout_page(struct web_req *req, struct web_resp *resp, const char *view,
                       const char *client_name, const char *client_id, const char *uri,
                       const char *state)
{
    /* jansson ignores additions to a NULL object; web_page answers 500 for it */
    json_t *m = json_pack("{s:s, s:s}", "title", web_t(req, "oidc.logout.title"), "csrf",
                          web_csrf_token(req, resp));
    if (client_name != NULL)
        json_object_set_new(m, "client_name", json_string(client_name));
    if (client_id != NULL)
        json_object_set_new(m, "client_id", json_string(client_id));
    if (uri != NULL)
        json_object_set_new(m, "post_logout_redirect_uri", json_string(uri));
    if (state != NULL)
        json_object_set_new(m, "state", json_string(state));
    return web_page(resp, m, view, 200);
}

static int logout(struct web_req *req, struct web_resp *resp, int from_form)
{
    struct oidc *o = req->ctx;
    const struct web_kv *kv = from_form ? req->form : req->query;
    size_t n = from_form ? req->nform : req->nquery;
    const char *hint = web_kv_get(kv, n, "id_token_hint");
    const char *uri = web_kv_get(kv, n, "post_logout_redirect_uri");
    const char *state = web_kv_get(kv, n, "state");
    const char *client_id = web_kv_get(kv, n, "client_id");
    const char *hint_client = NULL, *hint_sub = NULL;
    struct oidc_client cl;
    struct err err;
    int found = 0;
    err_clear(&err);
    if (state != NULL && strlen(state) > OIDC_MAX_STATE)
        return web_fail(resp, 400, "oidc.invalid_request", "state is too long");
    /* A hint we cannot verify (expired key, garbage) is ignored, not fatal: logging out
     * must always be possible. It only loses the right to skip the confirmation. */
    if (hint != NULL && oidc_id_token_hint(o, req->arena, hint, &hint_client, &hint_sub, &err) < 0)
        hint_client = hint_sub = NULL;
    if (hint_client != NULL && client_id != NULL && strcmp(hint_client, client_id) != 0)
        return web_fail(resp, 400, "oidc.logout_client_mismatch",
                        "client_id is not the client of the id_token_hint");
    if (client_id == NULL)
        client_id = hint_client;
    if (client_id != NULL) {
        struct store_conn *c = store_conn(o->store, &err);
        if (c == NULL || oidc_client_load(c, req->arena, client_id, &cl, &found, &err) < 0)
            return web_fail_err(resp, &err);
    }
    if (uri != NULL) {
        /* Only a URI registered for this very client, compared exactly. */
        if (!found)
            return web_fail(resp, 400, "oidc.logout_client_missing",
                            "post_logout_redirect_uri needs client_id or id_token_hint");
        if (!oidc_uri_listed(uri, cl.info.post_logout_uris, cl.info.npost_logout_uris))
            return web_fail(resp, 400, "oidc.post_logout_uri_mismatch",
                            "post_logout_redirect_uri is not registered for this client");
    }
    const struct web_session *ss = web_session(req);
    int confirmed = 0;
    if (ss != NULL && hint_sub != NULL && found) {
        char sub[OIDC_SUB_SIZE];
        confirmed = oidc_pairwise_sub(o, cl.info.client_id, ss->account_id, sub) == 0 &&
                    strcmp(sub, hint_sub) == 0;
    }
    if (ss != NULL && !confirmed && from_form && web_form_value(req, "confirm") != NULL) {
        /* The confirmation form (this route skips the web layer's CSRF check, because
         * relying parties may POST logout requests): its token is checked here. */
        const char *given = web_form_value(req, "_csrf"), *want = web_csrf_token(req, resp);
        confirmed = given != NULL && strlen(given) == strlen(want) &&
                    crypto_equal(given, want, strlen(want));
    }
    if (ss != NULL && !confirmed)
        return logout_page(req, resp, "oidc/logout_confirm", found ? cl.info.name : NULL,
                           found ? cl.info.client_id : NULL, uri, state);
    if (ss != NULL) {
        int64_t account = ss->account_id;
        if (web_session_end(req, resp, &err) < 0)
            return web_fail_err(resp, &err);
        char object[OIDC_CLIENT_ID_SIZE + 40];
        snprintf(object, sizeof(object), "client:%.60s", found ? cl.info.client_id : "-");
        oidc_audit(o, account, "oidc.logout", object, "ok", web_client_ip(req), NULL);
    }
    if (uri != NULL) {
        const char *params[] = {"state", state, NULL};
        return redirect_back(req, resp, uri, params);
    }
    return logout_page(req, resp, "oidc/logged_out", found ? cl.info.name : NULL, NULL, NULL, NULL);
}

static int h_logout_get(struct web_req *req, struct web_resp *resp)
{
    return logout(req, resp, 0);
}

static int h_logout_post(struct web_req *req, struct web_resp *resp)
{
    return logout(req, resp, 1);
}

/* ---- wiring --------------------------------------------------------------------------------- */

/* The identity hook for the token endpoint: may this account still use its grants?
 * 1 yes, 0 no (absent or disabled), -1 with err. */
static int account_check(void *ctx, int64_t account_id, struct err *err)
{
    /* The status only (one column): no account row, no personal data. */
    return identity_account_active(ctx, account_id, err);
}

int oidc_http_register(struct web_server *srv, struct oidc *o, struct identity *id)
{
    o->identity = id;
    oidc_set_account_check(o, account_check, id);
    const unsigned api = WEB_ROUTE_NO_CSRF;
    if (web_route(srv, "GET", "/.well-known/openid-configuration", h_discovery, o) < 0 ||
        web_route(srv, "GET", "/oauth2/jwks", h_jwks, o) < 0 ||
        web_route(srv, "GET", "/oauth2/authorize", h_authorize_get, o) < 0 ||
        web_route_ex(srv, "POST", "/oauth2/authorize", h_authorize_post, o, api) < 0 ||
        web_route(srv, "POST", "/oauth2/consent", h_consent, o) < 0 ||
        web_route_ex(srv, "POST", "/oauth2/token", h_token, o, api) < 0 ||
        web_route(srv, "GET", "/oauth2/userinfo", h_userinfo, o) < 0 ||
        web_route_ex(srv, "POST", "/oauth2/userinfo", h_userinfo, o, api) < 0 ||
        web_route_ex(srv, "POST", "/oauth2/revoke", h_revoke, o, api) < 0 ||
        web_route(srv, "GET", "/oauth2/logout", h_logout_get, o) < 0 ||
        web_route_ex(srv, "POST", "/oauth2/logout", h_logout_post, o, api) < 0 ||
        oidc_admin_register(srv, o) < 0)
        return -1;
    return 0;
}
