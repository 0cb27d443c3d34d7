/*
 * oidc_flow.c - the protocol's state machine: an authorization request is checked,
 * consent is remembered, a code is issued (60 s, single use); the token endpoint
 * exchanges the code (PKCE S256), rotates refresh tokens or serves client credentials;
 * revocation ends a grant; a logout hint names its client and subject.
 *
 * Invariants (docs/internals/oidc.md, "Grants"):
 *  - A code and a refresh token are spent by one atomic claim (oidc_store.c). A code or
 *    refresh token presented after it was spent revokes the grant it created or belongs
 *    to, and with it every refresh token and access token of that grant (RFC 9700
 *    §2.1.2, §4.14.2).
 *  - Each token request is one transaction: the spending, the new grant and refresh
 *    token, and the audit record commit together, and the JWTs are signed only after
 *    the commit, so no token is ever handed out without its durable record. (A failure
 *    to sign after the commit - out of memory - answers 500 and the code is spent.) A
 *    refused request commits only what its refusal changed (a code spent, a grant
 *    revoked) with its audit record.
 */
#include "oidc/oidc_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "base/arena.h"
#include "base/id.h"
#include "store/store.h"

static int oauth_error(struct err *err, int status, const char *error, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int oauth_error(struct err *err, int status, const char *error, const char *fmt, ...)
{
    char msg[sizeof(err->msg)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return err_set(err, status, error, "%s", msg);
}

/* ---- authorization requests ------------------------------------------------------------- */

static int prompt_parse(const char *s, struct oidc_authz *out)
{
    int n = 0;
    for (const char *p = s; p && *p;) {
        size_t k = strcspn(p, " ");
        if (k == 4 && strncmp(p, "none", 4) == 0)
            out->prompt_none = 1;
        else if (k == 5 && strncmp(p, "login", 5) == 0)
            out->prompt_login = 1;
        else if (k == 7 && strncmp(p, "consent", 7) == 0)
            out->prompt_consent = 1;
        else if (!(k == 14 && strncmp(p, "select_account", 14) == 0) && k > 0)
            return -1; /* one account per session: select_account needs nothing more */
        n += k > 0;
        p += k;
        p += *p == ' ';
    }
    /* "none" with any other value is an error (OIDC Core §3.1.2.1). */
    return out->prompt_none && n > 1 ? -1 : 0;
}

int oidc_authorize_check(struct oidc *o, struct arena *a, const struct oidc_authz_params *in,
                         struct oidc_authz *out, int *redirectable, struct err *err)
{
    int found = 0;
    *redirectable = 0;
    memset(out, 0, sizeof(*out));
    out->max_age = -1;
    struct store_conn *c = store_conn(o->store, err);
    if (c == NULL)
        return -1;
    if (in->client_id == NULL)
        return oauth_error(err, 400, "oidc.unknown_client", "the request names no client_id");
    if (oidc_client_load(c, a, in->client_id, &out->client, &found, err) < 0)
        return -1;
    if (!found)
        return oauth_error(err, 400, "oidc.unknown_client",
                           "no registered system has this "
                           "client_id");
    if (in->redirect_uri == NULL)
        return oauth_error(err, 400, "oidc.redirect_uri_missing",
                           "the request names no redirect_uri");
    /* Exact string comparison, never a prefix or pattern (RFC 9700 §4.1.3). */
    if (!oidc_uri_listed(in->redirect_uri, out->client.info.redirect_uris,
                         out->client.info.nredirect_uris))
        return oauth_error(err, 400, "oidc.redirect_uri_mismatch",
                           "the redirect_uri is not one registered for this system");
    out->redirect_uri = in->redirect_uri;
    *redirectable = 1;
    if (in->state != NULL && strlen(in->state) > OIDC_MAX_STATE)
        return oauth_error(err, 400, "oidc.invalid_request", "state is too long");
    out->state = in->state;
    if (!oidc_word_in(out->client.info.grant_types, "authorization_code"))
        return oauth_error(err, 400, "oidc.unauthorized_client",
                           "this client may not use the authorization code flow");
    if (in->request != NULL)
        return oauth_error(err, 400, "oidc.request_not_supported",
                           "request objects are not supported");
    if (in->request_uri != NULL)
        return oauth_error(err, 400, "oidc.request_uri_not_supported",
                           "request_uri is not supported");
    if (in->response_type == NULL)
        return oauth_error(err, 400, "oidc.invalid_request", "response_type is missing");
    if (strcmp(in->response_type, "code") != 0)
        return oauth_error(err, 400, "oidc.unsupported_response_type",
                           "only response_type=code is supported");
    if (in->response_mode != NULL && strcmp(in->response_mode, "query") != 0)
        return oauth_error(err, 400, "oidc.invalid_request",
                           "only response_mode=query is supported");

    const char *scope = NULL;
    if (oidc_scope_normalize(a, in->scope, &scope) < 0)
        return oauth_error(err, 400, "oidc.invalid_scope", "the scope is malformed");
    if (!oidc_word_in(scope, "openid"))
        return oauth_error(err, 400, "oidc.invalid_scope", "the scope must include openid");
    if (!oidc_scope_subset(scope, OIDC_USER_SCOPES))
        return oauth_error(err, 400, "oidc.invalid_scope",
                           "supported scopes are openid, profile, phone and id_number");
    if (!oidc_scope_subset(scope, out->client.info.scopes))
        return oauth_error(err, 400, "oidc.invalid_scope",
                           "this system is not registered for every requested scope");
    out->scope = scope;

    /* PKCE is required of every client, S256 only (RFC 9700 §2.1.1). */
    if (in->code_challenge == NULL)
        return oauth_error(err, 400, "oidc.invalid_request",
                           "PKCE is required: send code_challenge with code_challenge_method=S256");
    if (in->code_challenge_method == NULL || strcmp(in->code_challenge_method, "S256") != 0)
        return oauth_error(err, 400, "oidc.invalid_request",
                           "code_challenge_method must be S256 (plain is not accepted)");
    if (!oidc_pkce_challenge_valid(in->code_challenge))
        return oauth_error(err, 400, "oidc.invalid_request",
                           "code_challenge must be 43 base64url characters");
    out->code_challenge = in->code_challenge;

    if (in->nonce != NULL && (strlen(in->nonce) == 0 || strlen(in->nonce) > OIDC_MAX_NONCE))
        return oauth_error(err, 400, "oidc.invalid_request", "nonce is empty or too long");
    out->nonce = in->nonce;
    if (prompt_parse(in->prompt, out) < 0)
        return oauth_error(err, 400, "oidc.invalid_request",
                           "prompt must be none, or any of login, consent, select_account");
    if (in->max_age != NULL) {
        size_t n = strlen(in->max_age);
        if (n == 0 || n > 9 || strspn(in->max_age, "0123456789") != n)
            return oauth_error(err, 400, "oidc.invalid_request",
                               "max_age must be a number of seconds");
        out->max_age = strtoll(in->max_age, NULL, 10);
    }
    out->login_mark = oidc_login_mark_check(o, in->login_mark);
    return 0;
}

int oidc_consent_covers(struct oidc *o, int64_t account_id, const char *client_id,
                        const char *scope, int *covered, struct err *err)
{
    struct arena *a = arena_new(4096);
    const char *have = NULL;
    int rc = -1;
    struct store_conn *c = store_conn(o->store, err);
    *covered = 0;
    if (a == NULL) {
        err_set(err, 500, "oidc.oom", "out of memory");
        goto out;
    }
    if (c == NULL || oidc_store_consent_get(c, a, account_id, client_id, &have, err) < 0)
        goto out;
    *covered = have != NULL && oidc_scope_subset(scope, have);
    rc = 0;
out:
    arena_free(a);
    return rc;
}

int oidc_code_issue(struct oidc *o, const struct oidc_authz *az, int64_t account_id,
                    int64_t auth_time_ms, int aal, int save_consent, const char *ip,
                    char code[OIDC_TOKEN_SIZE], struct err *err)
{
    char hash[OIDC_HASH_SIZE], object[OIDC_CLIENT_ID_SIZE + 40];
    struct arena *a = arena_new(16384);
    struct store_conn *c = store_conn(o->store, err);
    int rc = -1;
    int64_t now = oidc_now(o);
    if (a == NULL) {
        err_set(err, 500, "oidc.oom", "out of memory");
        goto out;
    }
    if (c == NULL)
        goto out;
    if (oidc_random_token(code) < 0 || oidc_token_hash(code, hash) < 0) {
        err_set(err, 500, "oidc.random", "no randomness available");
        goto out;
    }
    snprintf(object, sizeof(object), "client:%s", az->client.info.client_id);
    if (store_begin(c, err) < 0)
        goto out;
    if (save_consent) {
        /* Remember the union of what was agreed before and now. */
        const char *have = NULL, *all;
        if (oidc_store_consent_get(c, a, account_id, az->client.info.client_id, &have, err) < 0)
            goto fail;
        if ((all = oidc_scope_union(a, have, az->scope)) == NULL) {
            err_set(err, 500, "oidc.oom", "out of memory");
            goto fail;
        }
        struct audit_event ev = {
            account_id, "oidc.consent", object, "ok", ip, arena_printf(a, "scopes=%s", az->scope)};
        if (oidc_store_consent_put(c, account_id, az->client.info.client_id, all, now, err) < 0 ||
            audit_record(c, &ev, err) < 0)
            goto fail;
    }
    struct oidc_code_row row = {
        .client_id = az->client.info.client_id,
        .redirect_uri = az->redirect_uri,
        .scope = az->scope,
        .nonce = az->nonce,
        .code_challenge = az->code_challenge,
        .account_id = account_id,
        .auth_time = auth_time_ms,
        .aal = aal,
        .created_at = now,
        .expires_at = now + OIDC_CODE_TTL_S * 1000LL,
        .act_account = az->act_account,
    };
    /* While acting, the actor is the agent and the record names the citizen too. */
    struct audit_event ev = {az->act_account ? az->act_account : account_id,
                             "oidc.code",
                             object,
                             "ok",
                             ip,
                             az->act_account ? arena_printf(a, "scopes=%s on_behalf=account:%lld",
                                                            az->scope, (long long)account_id)
                                             : arena_printf(a, "scopes=%s", az->scope)};
    if (oidc_store_code_insert(c, hash, &row, err) < 0 || audit_record(c, &ev, err) < 0 ||
        store_commit(c, err) < 0)
        goto fail;
    rc = 0;
    goto out;
fail:
    store_rollback(c);
out:
    if (rc != 0)
        crypto_wipe(code, OIDC_TOKEN_SIZE);
    arena_free(a);
    return rc;
}

/* ---- the token endpoint ----------------------------------------------------------------- */

struct tok {
    struct oidc *o;
    struct oidc_snap *snap;
    struct store_conn *c;
    struct arena *a;
    const struct oidc_token_request *in;
    struct oidc_client cl;
    int64_t now;
    int64_t actor;           /* the account the tokens are about, for the audit record */
    const char *action;      /* the audit action: "oidc.token" unless a reuse was caught */
    int stale_client;        /* a cached client spent no code: ask again without the cache */
    struct {                 /* what to sign once the transaction has committed */
        int person;          /* tokens about a person (else the client's own) */
        int64_t act_account; /* an agent acting for the person (RFC 8693 act), or 0 */
        struct oidc_grant_row grant;
        const char *scope, *nonce;
        char refresh[OIDC_REFRESH_SIZE]; /* "" when none */
    } issue;
};

static int account_allowed(struct tok *t, int64_t account_id, struct err *err)
{
    if (t->o->account_ok == NULL)
        return 0;
    int ok = t->o->account_ok(t->o->account_ctx, account_id, err);
    if (ok < 0)
        return -1;
    return ok ? 0 : oauth_error(err, 400, "oidc.invalid_grant", "the account may no longer log in");
}

/* A new refresh token of grant `gid` in t->issue.refresh, and its hash. */
static int refresh_new(struct tok *t, int64_t gid, char hash[OIDC_HASH_SIZE], struct err *err)
{
    char secret[OIDC_TOKEN_SIZE];
    int rc = oidc_random_token(secret);
    if (rc == 0)
        snprintf(t->issue.refresh, sizeof(t->issue.refresh), "%lld.%s", (long long)gid, secret);
    crypto_wipe(secret, sizeof(secret));
    if (rc < 0 || oidc_token_hash(t->issue.refresh, hash) < 0)
        return err_set(err, 500, "oidc.random", "no randomness available");
    return 0;
}

/* Record what the JWTs will say (the refresh token, if any, is in t->issue.refresh and
 * stored with the grant). They are signed by mint() after the commit: signing takes
 * longer than the rest of the exchange, and must not be done while the database's write
 * lock is held. */
static void stage(struct tok *t, const struct oidc_grant_row *g, const char *scope,
                  const char *nonce)
{
    t->issue.grant = *g;
    t->issue.grant.refresh_hash = NULL;
    t->issue.scope = scope;
    t->issue.nonce = nonce;
    t->issue.person = 1;
}

/* Sign the staged tokens and build the token response (RFC 6749 §5.1). */
static int mint(struct tok *t, json_t **out, struct err *err)
{
    char sub[OIDC_SUB_SIZE];
    const struct oidc_grant_row *g = &t->issue.grant;
    const char *cid = t->cl.info.client_id, *scope = t->issue.scope;
    char *at = NULL, *idt = NULL;
    json_t *body = NULL;
    int rc = -1;
    char act[OIDC_SUB_SIZE];
    const char *act_sub = NULL;
    if (t->issue.person && oidc_pairwise_sub(t->o, cid, g->account_id, sub) < 0)
        goto out;
    if (t->issue.person && t->issue.act_account != 0) {
        if (oidc_pairwise_sub(t->o, cid, t->issue.act_account, act) < 0)
            goto out;
        act_sub = act;
    }
    /* A system's own token (client credentials) is about the client: sub = client_id. */
    at = oidc_access_token_mint(t->o, t->snap, t->now, cid, t->issue.person ? sub : cid, scope,
                                t->issue.person ? g->id : 0, act_sub);
    if (at == NULL)
        goto out;
    if (t->issue.person && oidc_word_in(scope, "openid")) {
        struct oidc_id_token_claims ic = {cid,    sub, g->auth_time, (int)g->aal, t->issue.nonce,
                                          act_sub};
        if ((idt = oidc_id_token_mint(t->o, t->snap, t->now, &ic)) == NULL)
            goto out;
    }
    body = json_pack("{s:s, s:s, s:i, s:s}", "access_token", at, "token_type", "Bearer",
                     "expires_in", OIDC_ACCESS_TTL_S, "scope", scope);
    if (body == NULL || (idt && json_object_set_new(body, "id_token", json_string(idt)) < 0) ||
        (t->issue.refresh[0] &&
         json_object_set_new(body, "refresh_token", json_string(t->issue.refresh)) < 0))
        goto out;
    *out = body;
    body = NULL;
    rc = 0;
out:
    if (rc < 0)
        err_set(err, 500, "oidc.mint", "cannot sign the tokens");
    json_decref(body);
    free(at);
    free(idt);
    return rc;
}

/* The code was not spent: unknown, another client's, or spent before (a replay: whoever
 * holds the code now may be an attacker, so what the first exchange issued is revoked:
 * RFC 6749 §4.1.2, RFC 9700 §4.2.4). Another client's request does not touch it. */
static int code_refused(struct tok *t, const char *hash, struct err *err)
{
    struct oidc_code_row row;
    int found = 0;
    if (oidc_store_code_get(t->c, t->a, hash, &row, &found, err) < 0)
        return -1;
    if (!found)
        return oauth_error(err, 400, "oidc.invalid_grant", "the code is not valid");
    t->actor = row.account_id;
    if (strcmp(row.client_id, t->cl.info.client_id) != 0)
        return oauth_error(err, 400, "oidc.invalid_grant", "the code was issued to another client");
    if (row.used_at == 0) /* not reached: the spend would have taken it */
        return oauth_error(err, 400, "oidc.invalid_grant", "the code is not valid");
    t->action = "oidc.code_reuse";
    if (row.grant_id != 0 &&
        oidc_store_grant_revoke(t->c, row.grant_id, t->now, "code_reuse", NULL, err) < 0)
        return -1;
    return oauth_error(err, 400, "oidc.invalid_grant",
                       "the code was already used; the tokens issued for it are revoked");
}

/* A refusal after the PostgreSQL statement inserted the grant: the grant goes, the code
 * stays spent (the refusal commits). */
static int code_grant_refused(struct tok *t, int granted, int64_t grant_id, int status,
                              const char *code, const char *msg, struct err *err)
{
    if (granted && oidc_store_grant_delete(t->c, grant_id, err) < 0)
        return -1;
    if (status == 0) /* the account check failed with err set */
        return -1;
    return oauth_error(err, status, code, "%s", msg);
}

static int grant_code(struct tok *t, struct err *err)
{
    const struct oidc_token_request *in = t->in;
    char hash[OIDC_HASH_SIZE], refresh_hash[OIDC_HASH_SIZE], challenge[44];
    struct oidc_code_row row;
    int spent = 0, granted = 0;
    if (in->code == NULL || in->redirect_uri == NULL || in->code_verifier == NULL)
        return oauth_error(err, 400, "oidc.invalid_request",
                           "code, redirect_uri and code_verifier are required");
    if (!oidc_pkce_verifier_valid(in->code_verifier))
        return oauth_error(err, 400, "oidc.invalid_request",
                           "code_verifier must be 43 to 128 characters of [A-Za-z0-9-._~]");
    if (strlen(in->code) != OIDC_TOKEN_SIZE - 1 || oidc_token_hash(in->code, hash) < 0)
        return oauth_error(err, 400, "oidc.invalid_grant", "the code is not valid");
    /* The grant as far as it is known before the code is read: the refresh token lives in
     * its row (an agent's login gets none: dropped below once the code says so). */
    struct oidc_grant_row g = {
        .id = id_next(),
        .created_at = t->now,
        .expires_at = t->now + (int64_t)t->o->opt.refresh_absolute_s * 1000,
        .client_id = t->cl.info.client_id,
    };
    if (oidc_word_in(t->cl.info.grant_types, "refresh_token")) {
        g.refresh_expires_at = t->now + (int64_t)t->o->opt.refresh_idle_s * 1000;
        if (g.refresh_expires_at > g.expires_at)
            g.refresh_expires_at = g.expires_at;
        g.refresh_issued_at = t->now;
        if (refresh_new(t, g.id, refresh_hash, err) < 0)
            return -1;
        g.refresh_hash = refresh_hash;
    }
    /* One statement spends the code and reads it: a wrong verifier or redirect URI
     * spends it too (no guessing the verifier). On PostgreSQL the same statement inserts
     * the grant when the checks below will pass (one round trip less). */
    int pg = store_kind(store_conn_store(t->c)) == STORE_POSTGRES;
    if (pg && oidc_pkce_challenge(in->code_verifier, challenge) < 0)
        return oauth_error(err, 400, "oidc.invalid_request", "code_verifier is not valid");
    if ((pg ? oidc_store_code_spend_grant(t->c, t->a, hash, &g, in->redirect_uri, challenge, &row,
                                          &spent, &granted, err)
            : oidc_store_code_spend(t->c, t->a, hash, t->cl.info.client_id, t->now, g.id, &row,
                                    &spent, err)) < 0)
        return -1;
    if (!spent && t->cl.cached) { /* perhaps removed since it was cached: read it */
        t->stale_client = 1;
        return -1;
    }
    if (!spent)
        return code_refused(t, hash, err);
    t->actor = row.account_id;
    if (row.expires_at <= t->now)
        return code_grant_refused(t, granted, g.id, 400, "oidc.invalid_grant",
                                  "the code has expired", err);
    if (strcmp(row.redirect_uri, in->redirect_uri) != 0)
        return code_grant_refused(t, granted, g.id, 400, "oidc.invalid_grant",
                                  "redirect_uri differs from the authorization request's", err);
    if (oidc_pkce_check(in->code_verifier, row.code_challenge) < 0)
        return code_grant_refused(t, granted, g.id, 400, "oidc.invalid_grant",
                                  "code_verifier does not match the code_challenge", err);
    if (account_allowed(t, row.account_id, err) < 0)
        return code_grant_refused(t, granted, g.id, 0, NULL, NULL, err);
    if (pg && !granted) /* not reached: the statement's checks are the ones above */
        return err_set(err, 500, "oidc.grant", "the grant was not stored");
    g.account_id = row.account_id;
    g.auth_time = row.auth_time;
    g.aal = row.aal;
    g.scope = row.scope;
    t->issue.act_account = row.act_account;
    if (row.act_account != 0) {
        g.refresh_hash = NULL;
        g.refresh_issued_at = g.refresh_expires_at = 0;
        crypto_wipe(t->issue.refresh, sizeof(t->issue.refresh));
    }
    if (!pg && oidc_store_grant_insert(t->c, &g, err) < 0)
        return -1;
    stage(t, &g, row.scope, row.nonce);
    return 0;
}

static int grant_refresh(struct tok *t, struct err *err)
{
    const struct oidc_token_request *in = t->in;
    char hash[OIDC_HASH_SIZE], next_hash[OIDC_HASH_SIZE];
    struct oidc_refresh_row row;
    int found = 0, claimed = 0;
    if (in->refresh_token == NULL)
        return oauth_error(err, 400, "oidc.invalid_request", "refresh_token is required");
    int64_t gid = oidc_refresh_grant(in->refresh_token);
    if (gid == 0 || oidc_token_hash(in->refresh_token, hash) < 0 ||
        oidc_store_refresh_get(t->c, t->a, gid, hash, &row, &found, err) < 0) {
        if (err->status >= 500)
            return -1;
        found = 0;
    }
    if (!found)
        return oauth_error(err, 400, "oidc.invalid_grant", "the refresh token is not valid");
    t->actor = row.grant.account_id;
    if (strcmp(row.grant.client_id, t->cl.info.client_id) != 0)
        return oauth_error(err, 400, "oidc.invalid_grant",
                           "the refresh token was issued to another client");
    /* A malformed request leaves the token unspent. */
    const char *scope = row.grant.scope;
    if (in->scope != NULL) {
        if (oidc_scope_normalize(t->a, in->scope, &scope) < 0 ||
            !oidc_scope_subset(scope, row.grant.scope) || *scope == '\0')
            return oauth_error(err, 400, "oidc.invalid_scope",
                               "a refresh may only narrow the granted scope");
    }
    /* The successor is made first: spending the token puts it in the grant's row. */
    int64_t refresh_expires = t->now + (int64_t)t->o->opt.refresh_idle_s * 1000;
    if (refresh_expires > row.grant.expires_at)
        refresh_expires = row.grant.expires_at;
    if (row.used_at == 0 && (refresh_new(t, gid, next_hash, err) < 0 ||
                             oidc_store_refresh_rotate(t->c, &row, hash, next_hash, t->now,
                                                       refresh_expires, &claimed, err) < 0))
        return -1;
    if (!claimed) {
        /* A spent token again: one of the two users of this family is a thief, and we
         * cannot tell which, so the whole family ends (RFC 9700 §4.14.2). */
        t->action = "oidc.refresh_reuse";
        if (oidc_store_grant_revoke(t->c, row.grant.id, t->now, "refresh_reuse", NULL, err) < 0)
            return -1;
        return oauth_error(err, 400, "oidc.invalid_grant",
                           "the refresh token was already used; its grant is revoked");
    }
    if (row.grant.revoked_at != 0)
        return oauth_error(err, 400, "oidc.invalid_grant", "the grant was revoked");
    if (row.expires_at <= t->now || row.grant.expires_at <= t->now)
        return oauth_error(err, 400, "oidc.invalid_grant", "the refresh token has expired");
    if (account_allowed(t, row.grant.account_id, err) < 0)
        return -1;
    stage(t, &row.grant, scope, NULL);
    return 0;
}

static int grant_client_credentials(struct tok *t, struct err *err)
{
    const char *scope = NULL, *allowed = t->cl.info.scopes;
    char *api = arena_strdup(t->a, allowed);
    if (api == NULL)
        return err_set(err, 500, "oidc.oom", "out of memory");
    /* The client's API scopes: its registered scopes without those about a person. */
    size_t o = 0;
    for (const char *p = allowed; *p;) {
        size_t n = strcspn(p, " ");
        char w[OIDC_MAX_SCOPE + 1];
        memcpy(w, p, n);
        w[n] = '\0';
        if (n > 0 && !oidc_word_in(OIDC_USER_SCOPES, w)) {
            if (o > 0)
                api[o++] = ' ';
            memcpy(api + o, w, n);
            o += n;
        }
        p += n;
        p += *p == ' ';
    }
    api[o] = '\0';
    if (t->in->scope == NULL) {
        scope = api;
    } else if (oidc_scope_normalize(t->a, t->in->scope, &scope) < 0 ||
               !oidc_scope_subset(scope, api)) {
        return oauth_error(err, 400, "oidc.invalid_scope",
                           "client credentials carry only the client's API scopes");
    }
    t->issue.scope = scope;
    return 0;
}

static int audit_in(struct tok *t, const char *outcome, const char *detail, struct err *err)
{
    char object[OIDC_CLIENT_ID_SIZE + 40];
    snprintf(object, sizeof(object), "client:%.60s", t->cl.info.client_id);
    int64_t actor = t->actor;
    if (t->issue.act_account != 0) { /* an agent's login: the actor, naming the citizen */
        actor = t->issue.act_account;
        detail = arena_printf(t->a, "%s%son_behalf=account:%lld", detail ? detail : "",
                              detail ? " " : "", (long long)t->actor);
    }
    struct audit_event ev = {actor, t->action, object, outcome, t->in->ip, detail};
    return audit_record(t->c, &ev, err);
}

/* The RFC 6749 error code of a protocol error ("oidc.invalid_grant" -> "invalid_grant"). */
static const char *oauth_code(const struct err *err)
{
    return strncmp(err->code, "oidc.", 5) == 0 ? err->code + 5 : err->code;
}

int oidc_token(struct oidc *o, struct arena *a, const struct oidc_token_request *in, json_t **out,
               struct err *err)
{
    struct tok t = {.o = o, .a = a, .in = in, .now = oidc_now(o), .action = "oidc.token"};
    const char *gt = in->grant_type, *claimed = NULL;
    int rc = -1;
    err_clear(err);
    *out = NULL;
    t.snap = oidc_snap_get(o);
    if (t.snap->issuer == NULL) {
        err_set(err, 503, "oidc.no_issuer", "the provider's public URL is not configured");
        goto out;
    }
    if (gt == NULL) {
        oauth_error(err, 400, "oidc.invalid_request", "grant_type is missing");
        goto out;
    }
    if (strcmp(gt, "authorization_code") != 0 && strcmp(gt, "refresh_token") != 0 &&
        strcmp(gt, "client_credentials") != 0) {
        oauth_error(err, 400, "oidc.unsupported_grant_type",
                    "grant types are authorization_code, refresh_token and client_credentials");
        goto out;
    }
    /* The code exchange may take its client from the cache (its spend checks the client is
     * still registered); the other grants read it. */
    struct oidc_client_auth auth = in->auth;
    auth.cache_ok = strcmp(gt, "authorization_code") == 0;
again:
    if ((t.c = store_conn(o->store, err)) == NULL || store_begin(t.c, err) < 0)
        goto out;
    if (oidc_client_authenticate(o, t.snap, t.c, a, &auth, &t.cl, &claimed, err) < 0) {
        store_rollback(t.c);
        if (err->status < 500) {
            char object[OIDC_CLIENT_ID_SIZE + 40], detail[160];
            snprintf(object, sizeof(object), "client:%.60s", claimed ? claimed : "-");
            snprintf(detail, sizeof(detail), "%.150s", err->msg);
            oidc_audit(o, 0, "oidc.client_auth", object, "failed", in->ip, detail);
        }
        goto out;
    }
    if (!oidc_word_in(t.cl.info.grant_types, gt)) {
        oauth_error(err, 400, "oidc.unauthorized_client", "this client may not use %s", gt);
    } else if (strcmp(gt, "authorization_code") == 0) {
        rc = grant_code(&t, err);
        if (t.stale_client) { /* undo (an assertion's jti too) and ask again, reading it */
            store_rollback(t.c);
            oidc_client_forget(o, t.cl.info.client_id);
            t.stale_client = 0;
            auth.cache_ok = 0;
            err_clear(err);
            goto again;
        }
    } else if (strcmp(gt, "refresh_token") == 0) {
        rc = grant_refresh(&t, err);
    } else {
        rc = grant_client_credentials(&t, err);
    }
    struct err aerr;
    err_clear(&aerr);
    if (rc == 0) {
        if (audit_in(&t, "ok", arena_printf(a, "grant=%s", gt), &aerr) < 0) {
            *err = aerr;
            rc = -1;
        }
    } else if (err->status < 500) {
        /* Refused: keep what the refusal changed (a code spent, a grant revoked). */
        if (audit_in(&t, "denied",
                     arena_printf(a, "grant=%s error=%s: %.200s", gt, oauth_code(err), err->msg),
                     &aerr) < 0 ||
            store_commit(t.c, &aerr) < 0)
            store_rollback(t.c);
        goto out;
    }
    if (rc < 0) {
        store_rollback(t.c);
        goto out;
    }
    if (store_commit(t.c, err) < 0) {
        store_rollback(t.c);
        rc = -1;
        goto out;
    }
    /* Committed: the spent code or token, the grant, the refresh token and the record
     * are durable. Only now are the tokens signed and handed out. */
    rc = mint(&t, out, err);
out:
    crypto_wipe(t.issue.refresh, sizeof(t.issue.refresh));
    oidc_snap_put(t.snap);
    if (rc == 0)
        oidc_purge_maybe(o);
    return rc;
}

/* ---- revocation and logout hints --------------------------------------------------------- */

int oidc_revoke(struct oidc *o, struct arena *a, const struct oidc_client_auth *auth,
                const char *token, const char *ip, struct err *err)
{
    struct oidc_snap *snap = oidc_snap_get(o);
    struct oidc_client cl;
    const char *claimed = NULL, *what = "unknown";
    int64_t now = oidc_now(o), grant = 0, actor = 0;
    int rc = -1;
    struct store_conn *c = store_conn(o->store, err);
    if (snap->issuer == NULL) {
        err_set(err, 503, "oidc.no_issuer", "the provider's public URL is not configured");
        goto out;
    }
    if (c == NULL || store_begin(c, err) < 0)
        goto out;
    if (oidc_client_authenticate(o, snap, c, a, auth, &cl, &claimed, err) < 0) {
        store_rollback(c);
        if (err->status < 500) {
            char object[OIDC_CLIENT_ID_SIZE + 40];
            snprintf(object, sizeof(object), "client:%.60s", claimed ? claimed : "-");
            oidc_audit(o, 0, "oidc.client_auth", object, "failed", ip, err->msg);
        }
        goto out;
    }
    if (token == NULL) {
        oauth_error(err, 400, "oidc.invalid_request", "token is required");
        goto fail;
    }
    char hash[OIDC_HASH_SIZE];
    struct oidc_refresh_row row;
    int found = 0;
    int64_t gid = oidc_refresh_grant(token);
    if (gid != 0) {
        if (oidc_token_hash(token, hash) < 0 ||
            oidc_store_refresh_get(c, a, gid, hash, &row, &found, err) < 0)
            goto fail;
        if (found && strcmp(row.grant.client_id, cl.info.client_id) == 0) {
            grant = row.grant.id;
            actor = row.grant.account_id;
            what = "refresh_token";
        }
    } else if (strchr(token, '.') != NULL) {
        struct oidc_access acc;
        struct err verr;
        if (oidc_access_verify(o, a, token, 0, &acc, &verr) == 0 &&
            strcmp(acc.client_id, cl.info.client_id) == 0 && acc.grant_id != 0) {
            grant = acc.grant_id;
            what = "access_token";
        }
    }
    /* An unknown token, or another client's, is not an error (RFC 7009 §2.2). */
    if (grant != 0 && oidc_store_grant_revoke(c, grant, now, "revoked_by_client", NULL, err) < 0)
        goto fail;
    char object[OIDC_CLIENT_ID_SIZE + 40];
    snprintf(object, sizeof(object), "client:%s", cl.info.client_id);
    struct audit_event ev = {actor,  "oidc.revoke",
                             object, grant ? "ok" : "ignored",
                             ip,     arena_printf(a, "token=%s", what)};
    if (audit_record(c, &ev, err) < 0 || store_commit(c, err) < 0)
        goto fail;
    rc = 0;
    goto out;
fail:
    store_rollback(c);
out:
    oidc_snap_put(snap);
    return rc;
}

int oidc_id_token_hint(struct oidc *o, struct arena *a, const char *hint, const char **client_id,
                       const char **sub, struct err *err)
{
    struct oidc_snap *snap = oidc_snap_get(o);
    json_t *p = NULL;
    struct err jerr;
    int rc = -1;
    if (snap->issuer == NULL || hint == NULL ||
        crypto_jws_verify(hint, snap->verify, snap->nkeys, &p, &jerr) < 0) {
        err_set(err, 400, "oidc.bad_id_token_hint", "the id_token_hint is not one of our tokens");
        goto out;
    }
    const char *iss = json_string_value(json_object_get(p, "iss"));
    const char *s = json_string_value(json_object_get(p, "sub"));
    const char *azp = json_string_value(json_object_get(p, "azp"));
    json_t *aud = json_object_get(p, "aud");
    const char *cid = azp                   ? azp
                      : json_is_string(aud) ? json_string_value(aud)
                                            : json_string_value(json_array_get(aud, 0));
    /* An access token carries scope: only ID tokens are hints. Expiry is not checked. */
    if (iss == NULL || strcmp(iss, snap->issuer) != 0 || s == NULL || cid == NULL ||
        json_object_get(p, "scope") != NULL) {
        err_set(err, 400, "oidc.bad_id_token_hint",
                "the id_token_hint is not one of our ID tokens");
        goto out;
    }
    *client_id = arena_strdup(a, cid);
    *sub = arena_strdup(a, s);
    rc = *client_id && *sub ? 0 : err_set(err, 500, "oidc.oom", "out of memory");
out:
    json_decref(p);
    oidc_snap_put(snap);
    return rc;
}
