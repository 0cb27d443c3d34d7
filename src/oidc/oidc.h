/*
 * oidc.h - the OpenID Connect provider through which department systems log people in
 * with their platform account (一次认证、全区通行), and call each other with client
 * credentials.
 *
 * What it speaks: OpenID Connect Core 1.0 (authorization code flow only), Discovery 1.0
 * and RP-Initiated Logout 1.0; OAuth 2.0 (RFC 6749) with PKCE, S256 only (RFC 7636),
 * client authentication by client_secret_basic or private_key_jwt (RFC 7523), refresh
 * token rotation with reuse detection and the rest of RFC 9700's advice, token
 * revocation (RFC 7009), the issuer in authorization responses (RFC 9207). ID tokens and
 * access tokens are JWTs signed ES256. Endpoints, token formats, key rotation and the
 * stored state are described in docs/internals/oidc.md.
 *
 * Threads: a `struct oidc` is shared by all server threads; every function here is
 * thread-safe. Ownership of each pointer is stated where it crosses this header.
 */
#ifndef ONEWINDOW_OIDC_OIDC_H
#define ONEWINDOW_OIDC_OIDC_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

struct arena;
struct crypto_keyring;
struct identity;
struct store;
struct web_server;

struct oidc;

/* Tunables; a zeroed struct (or NULL) gives the defaults. */
struct oidc_options {
    int key_reload_s;       /* look for keys rotated by another process (default 30) */
    int refresh_idle_s;     /* a refresh token unused this long expires (default 30 days) */
    int refresh_absolute_s; /* a grant ends this long after the login (default 90 days) */
};

/* Lifetimes that the key rotation relies on, so fixed rather than options. */
#define OIDC_CODE_TTL_S 60
#define OIDC_ACCESS_TTL_S 600
#define OIDC_ID_TOKEN_TTL_S 600
/* Default delay between adding a key and signing with it: a key is published in every
 * node's JWKS (reloaded each key_reload_s) before any token signed with it exists. */
#define OIDC_PUBLISH_DELAY_S 120

/*
 * Open the provider on `s` with the keyring `kr` (both borrowed: they must outlive the
 * handle). Loads the signing keys, creating the first one if the database has none (as
 * `oidc_keys_ensure` does). `issuer` is the public base URL ("https://zwfw.example.cn",
 * no trailing slash, no query), the `iss` of every token; it may be NULL and set later
 * with oidc_set_issuer (a server listening on port 0 learns its port only at start).
 * Until an issuer is set the endpoints answer 503. On success *out is the caller's
 * (oidc_close).
 */
int oidc_open(struct store *s, struct crypto_keyring *kr, const char *issuer,
              const struct oidc_options *opt, struct oidc **out, struct err *err);
/* Set or change the issuer; safe while requests are served (they see the old or the
 * new one, never a mix). -1 with err ("oidc.bad_issuer", 400) if it is not an http(s)
 * URL without query, fragment or trailing slash. The string is copied. */
int oidc_set_issuer(struct oidc *o, const char *issuer, struct err *err);
/* Precondition: the server no longer calls into `o`. NULL is allowed. */
void oidc_close(struct oidc *o);

/* ---- signing keys ------------------------------------------------------------------- */

#define OIDC_KID_SIZE 64

/* Make sure a signing key exists (`onewindow init`): generates an ES256 key, seals its
 * private PEM under the keyring's secrets key and stores it, active at once. Returns 1
 * if a key was created, 0 if one existed, -1 with err. */
int oidc_keys_ensure(struct store *s, struct crypto_keyring *kr, struct err *err);
/* Rotate (`onewindow oidc rotate-keys`): add a new key that signs from `publish_delay_s`
 * seconds on (< 0: OIDC_PUBLISH_DELAY_S) and give every older key a retire_at when the
 * last token it can still sign has expired; keys past their retire_at are deleted.
 * Running servers pick the change up within key_reload_s, without restart. `kid` (may
 * be NULL) receives the new key's id. Audited ("oidc.key_rotate"). */
int oidc_keys_rotate(struct store *s, struct crypto_keyring *kr, int publish_delay_s,
                     char kid[OIDC_KID_SIZE], struct err *err);

/* ---- clients (relying parties) --------------------------------------------------------- */

#define OIDC_CLIENT_ID_SIZE 33 /* 32 hex digits and the NUL */
#define OIDC_SECRET_SIZE 44    /* 43 base64url characters (256 bits) and the NUL */
#define OIDC_MAX_URIS 16       /* redirect or post-logout URIs per client */

struct oidc_client_spec {
    const char *name;                 /* shown on the consent page, 1..100 characters */
    const char *const *redirect_uris; /* 1..OIDC_MAX_URIS absolute URIs */
    size_t nredirect_uris;
    const char *const *post_logout_uris; /* 0..OIDC_MAX_URIS */
    size_t npost_logout_uris;
    const char *auth_method; /* "client_secret_basic" (NULL) or "private_key_jwt" */
    const char *jwks_json;   /* private_key_jwt: the public JWK Set ({"keys":[..]}) */
    const char *scopes;      /* allowed scopes, space-separated; NULL: "openid profile" */
    const char *grant_types; /* space-separated; NULL: "authorization_code refresh_token" */
};

/* Field errors of a registration, all at once (一次性告知). `field` names the form field
 * ("name", "redirect_uris", ...), `code` is an i18n key (oidc.client.*). */
#define OIDC_MAX_FIELD_ERRORS 16
struct oidc_field_errors {
    size_t n;
    struct {
        const char *field;
        char code[64];
        char msg[256];
    } e[OIDC_MAX_FIELD_ERRORS];
};

/*
 * Register a client on behalf of `actor` (an account id, 0 for the command line) from
 * `ip` (may be NULL). Redirect URIs must be https, or http on a loopback host (127.0.0.1,
 * [::1], localhost), without fragment. On success returns 0, writes the new client_id
 * and, for client_secret_basic, the secret into `secret` (shown this once: only its
 * keyed hash is stored; the caller wipes it); for private_key_jwt `secret` is "".
 * Returns 1 with every problem in `fe` (nothing stored), -1 with err. Audited.
 */
int oidc_client_add(struct store *s, struct crypto_keyring *kr, int64_t actor, const char *ip,
                    const struct oidc_client_spec *spec, char client_id[OIDC_CLIENT_ID_SIZE],
                    char secret[OIDC_SECRET_SIZE], struct oidc_field_errors *fe, struct err *err);

struct oidc_client_info {
    const char *client_id;
    const char *name;
    const char *auth_method;
    const char **redirect_uris; /* arrays in the arena */
    size_t nredirect_uris;
    const char **post_logout_uris;
    size_t npost_logout_uris;
    const char *scopes;
    const char *grant_types;
    int64_t created_at; /* ms */
};

/* The registered clients (not removed), oldest first; everything lives in `a`. */
int oidc_client_list(struct store *s, struct arena *a, struct oidc_client_info **out, size_t *n,
                     struct err *err);
/* Remove a client: it can no longer log anyone in, and every grant it holds (refresh
 * tokens, access tokens) is revoked. -1 with err 404 "oidc.client_not_found". Audited. */
int oidc_client_remove(struct store *s, int64_t actor, const char *ip, const char *client_id,
                       struct err *err);

/* ---- housekeeping ------------------------------------------------------------------- */

/* Delete what can never be used again: codes a day after expiry, expired refresh tokens
 * and assertion ids, grants thirty days after they ended. For a periodic job; the token
 * endpoint also calls it at most every ten minutes. *removed (may be NULL) counts rows. */
int oidc_purge_expired(struct oidc *o, int64_t *removed, struct err *err);

/* ---- wiring ---------------------------------------------------------------------------- */

/* Revoke every grant of an account (its refresh tokens stop working, its access tokens
 * fail at userinfo): when the person logs out everywhere or changes the password.
 * `reason` is recorded ("logout_all", "password_change"). Audited. */
int oidc_revoke_account(struct store *s, int64_t account_id, const char *reason, const char *ip,
                        struct err *err);

/* A bearer access token presented to another module's API (the data exchange): who
 * presents it and what it may do. Strings live in the arena given. */
struct oidc_bearer {
    const char *client_id;   /* the client the token was issued to */
    const char *client_name; /* its registered name (for logs a person reads) */
    const char *sub;         /* the person, or the client_id for client credentials */
    const char *scope;       /* space-separated */
    int person;              /* 1: issued for a person's login; 0: client credentials */
};
/* Verify `token` (signature, expiry, issuer, not revoked, client not removed) and that it
 * carries `scope` (NULL: any). err: 401 "oidc.invalid_token", 403 "oidc.insufficient_scope"
 * (the reason in the message, for a WWW-Authenticate error_description). */
int oidc_bearer_verify(struct oidc *o, struct arena *a, const char *token, const char *scope,
                       struct oidc_bearer *out, struct err *err);

/*
 * Routes: /.well-known/openid-configuration, /oauth2/jwks, /oauth2/authorize (GET, POST),
 * /oauth2/consent (POST), /oauth2/token, /oauth2/userinfo (GET, POST), /oauth2/revoke,
 * /oauth2/logout (GET, POST), and the administration pages /admin/clients,
 * /admin/clients/new, /admin/clients/{id}/remove. `o` and `id` are borrowed and must
 * outlive the server. Login goes through identity's /login?next=...
 */
int oidc_http_register(struct web_server *srv, struct oidc *o, struct identity *id);

/* 帮办代办 (issue 13 item 8, src/agent through wiring): whether the session of the
 * logged-in `account` acts for a citizen now. 0: no; 1 with *citizen; -1 with err (a 403
 * when the consent no longer allows it). While acting, a login at a department system is
 * the citizen's (sub) with the agent in the RFC 8693 `act` claim of the ID and access
 * tokens ({"sub": the agent's pairwise sub}); the consent screen is always shown and not
 * remembered (the agent decides for this login only), no refresh token is issued (the
 * consent is checked again at the next login, not bypassed by a refresh), and the audit
 * record's actor is the agent. Set once at start-up. */
struct web_req;
struct oidc_acting {
    void *ctx;
    int (*resolve)(void *ctx, struct web_req *req, int64_t account, int64_t *citizen,
                   struct err *err);
};
void oidc_set_acting(struct oidc *o, const struct oidc_acting *a);

#endif
