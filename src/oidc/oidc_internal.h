/*
 * oidc_internal.h - what the files of src/oidc/ share; nothing outside the module (but
 * its unit test) includes it.
 *
 *   oidc.c          the handle and the published snapshot (issuer, keys, JWKS, discovery)
 *   oidc_tokens.c   minting ID and access tokens, verifying access tokens (and a cache)
 *   oidc_params.c   PKCE, scopes, pairwise subjects, Basic credentials, login marks
 *   oidc_keys.c     signing keys: creation, rotation, loading; JWKS and discovery bytes
 *   oidc_clients.c  client registration and client authentication
 *   oidc_flow.c     authorization requests, consent, codes, the token endpoint's grants,
 *                   revocation, logout hints
 *   oidc_store.c    every SQL statement of the module
 *   oidc_http.c     the protocol endpoints; oidc_admin.c the administration pages
 *
 * Errors of the protocol are `struct err` with code "oidc.<oauth error>" (e.g.
 * "oidc.invalid_grant") and the HTTP status RFC 6749 §5.2 prescribes; the HTTP layer
 * turns them into {"error", "error_description"} or an error redirect. Codes of other
 * modules (store.*) are system failures (5xx).
 */
#ifndef ONEWINDOW_OIDC_INTERNAL_H
#define ONEWINDOW_OIDC_INTERNAL_H

#include <jansson.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/crypto.h"
#include "oidc/oidc.h"

struct store_conn;

#define OIDC_TOKEN_SIZE 44   /* 32 random bytes in base64url and the NUL */
#define OIDC_REFRESH_SIZE 64 /* "<grant id>.<token>" and the NUL */
#define OIDC_HASH_SIZE 65    /* hex SM3 and the NUL */
#define OIDC_SUB_SIZE 44     /* pairwise subject: base64url of 32 bytes and the NUL */
#define OIDC_LEEWAY_S 30     /* clock skew allowed on JWT times */
#define OIDC_MAX_STATE 1024  /* longest state, nonce... we carry back */
#define OIDC_MAX_NONCE 512
#define OIDC_MAX_SCOPE 512
#define OIDC_MAX_URI 2000
#define OIDC_ASSERTION_MAX_LIFE_S 600 /* refuse client assertions valid longer than this */
#define OIDC_JWKS_MAX 16384
#define OIDC_REAUTH_MAX_AGE_MS (15 * 60 * 1000) /* a login-request mark is good this long */

#define OIDC_ASSERTION_TYPE "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

/* The scopes that release data about a person (the rest are API scopes for
 * client_credentials). */
#define OIDC_USER_SCOPES "openid profile phone id_number"

/* ---- the handle and what requests read ------------------------------------------------- */

struct oidc_key {
    struct crypto_key *key;
    int64_t active_from; /* ms: signs from then on */
    int64_t retire_at;   /* ms: leaves the JWKS then; 0 while it is the newest */
};

/* Everything a request reads, immutable once published and replaced whole when the
 * issuer changes or the keys are reloaded; reference counted, so a request keeps the
 * one it started with. */
struct oidc_snap {
    int refs;
    char *issuer;          /* NULL until set */
    char *token_endpoint;  /* issuer + "/oauth2/token" */
    struct oidc_key *keys; /* ascending active_from */
    size_t nkeys;
    struct crypto_key **verify; /* the same keys, for crypto_jws_verify */
    char *jwks;                 /* the JWK Set document */
    size_t jwks_len;
    char *discovery; /* the provider metadata document, NULL without issuer */
    size_t discovery_len;
};

/* 1: the account may use its tokens; 0: it may not (disabled, removed); -1: error. */
typedef int (*oidc_account_check_fn)(void *ctx, int64_t account_id, struct err *err);

struct oidc {
    struct store *store;
    struct crypto_keyring *kr;
    struct oidc_options opt;
    unsigned char pairwise_key[CRYPTO_KEY_LEN]; /* "oidc-pairwise-sub" */
    unsigned char secret_key[CRYPTO_KEY_LEN];   /* "oidc-client-secret" */
    unsigned char mark_key[CRYPTO_KEY_LEN];     /* "oidc-login-mark" */
    pthread_mutex_t lock;                       /* guards snap (the pointer) */
    pthread_mutex_t build_lock;                 /* one snapshot rebuild at a time */
    struct oidc_snap *snap;
    int64_t generation;     /* atomic: changes with every published snapshot */
    int64_t next_reload_ms; /* atomic */
    int64_t next_purge_ms;  /* atomic */
    oidc_account_check_fn account_ok;
    void *account_ctx;
    struct oidc_acting acting;  /* set once at start-up (oidc_set_acting) */
    struct identity *identity;  /* for the pages: names, personal data, authorization */
    struct oidc_vcache *vcache; /* access tokens already verified (oidc_tokens.c) */
    struct oidc_ccache *ccache; /* client rows for the code exchange (oidc_clients.c) */
    int64_t (*clock_ms)(void);  /* time_now_ms; tests move time */
};

/* The current snapshot with a reference (oidc_snap_put); reloads the keys first when
 * key_reload_s has passed. Never NULL. */
struct oidc_snap *oidc_snap_get(struct oidc *o);
void oidc_snap_put(struct oidc_snap *snap);
/* Read the keys from the database again and publish them. */
int oidc_keys_reload(struct oidc *o, struct err *err);
/* Reload the keys if key_reload_s has passed; an atomic load when it has not. */
void oidc_reload_maybe(struct oidc *o);
/* A number that changes whenever a snapshot is published: the version under which the
 * discovery and JWKS bytes are kept in the web layer's response cache. */
int64_t oidc_generation(struct oidc *o);
/* The issuer copied into `a`; NULL when none is set (or out of memory). */
const char *oidc_issuer_dup(struct oidc *o, struct arena *a);
/* The key that signs at `now`: the newest whose active_from has come. */
const struct crypto_key *oidc_signing_key(const struct oidc_snap *snap, int64_t now_ms);
int64_t oidc_now(const struct oidc *o);
/* The identity hook: refresh grants check the account is still allowed in. */
void oidc_set_account_check(struct oidc *o, oidc_account_check_fn fn, void *ctx);

/* ---- keys (oidc_keys.c) ----------------------------------------------------------------- */

/* The name under which a master key's signing keys are stored: 32 hex digits derived
 * from it ("oidc-keyring-name"), revealing nothing about it. */
#define OIDC_KEYRING_NAME_SIZE 33
int oidc_keyring_name(const struct crypto_keyring *kr, char out[OIDC_KEYRING_NAME_SIZE]);
/* The keys published at `now` (not past retire_at), opened with the keyring; an array
 * from malloc of *n keys that the caller frees with oidc_keys_free. */
int oidc_keys_load(struct store_conn *c, struct crypto_keyring *kr, int64_t now_ms,
                   struct oidc_key **out, size_t *n, struct err *err);
void oidc_keys_free(struct oidc_key *keys, size_t n);
/* The documents served as bytes: malloc'd, NUL-terminated, NULL when out of memory. */
char *oidc_jwks_build(const struct oidc_key *keys, size_t n, size_t *len);
char *oidc_discovery_build(const char *issuer, size_t *len);

/* ---- the protocol's values (oidc_params.c) ------------------------------------------------ */

/* 32 random bytes in base64url (43 characters): codes, refresh tokens, secrets. */
int oidc_random_token(char out[OIDC_TOKEN_SIZE]);
/* Hex SM3 of a token: the only form in which codes and refresh tokens are stored. */
int oidc_token_hash(const char *token, char out[OIDC_HASH_SIZE]);
/* A refresh token "<grant id>.<43 base64url characters>": its grant id, or 0 if it is
 * not of that form. */
int64_t oidc_refresh_grant(const char *token);
/* RFC 7636 §4.1: 43..128 characters of [A-Za-z0-9-._~]. */
int oidc_pkce_verifier_valid(const char *v);
/* A code_challenge for S256: exactly 43 base64url characters. */
int oidc_pkce_challenge_valid(const char *c);
/* 0 if BASE64URL(SHA-256(verifier)) equals the challenge (constant time), else -1. */
int oidc_pkce_check(const char *verifier, const char *challenge);
/* The S256 challenge of a verifier (43 characters and NUL), or -1 for an invalid one. */
int oidc_pkce_challenge(const char *verifier, char out[44]);
/* Is `word` one of the space-separated words of `list`? */
int oidc_word_in(const char *list, const char *word);
/* Split, deduplicate and sort a scope string (RFC 6749 §3.3 scope-tokens) into `a`.
 * -1 for a malformed scope (empty tokens are ignored; a token with characters outside
 * %x21 / %x23-5B / %x5D-7E, or more than OIDC_MAX_SCOPE bytes, is malformed). */
int oidc_scope_normalize(struct arena *a, const char *in, const char **out);
/* Is every word of `sub` a word of `super`? */
int oidc_scope_subset(const char *sub, const char *super);
/* The union of two normalised scopes, normalised. */
const char *oidc_scope_union(struct arena *a, const char *x, const char *y);
/* Exact, case-sensitive match against a list (OIDC Core §3.1.2.1: simple string
 * comparison). */
int oidc_uri_listed(const char *uri, const char *const *list, size_t n);
/* The subject a client sees for an account (docs/internals/oidc.md, "Subjects"). */
int oidc_pairwise_sub(const struct oidc *o, const char *client_id, int64_t account_id,
                      char out[OIDC_SUB_SIZE]);
/* The credentials of an "Authorization: Basic" header (RFC 6749 §2.3.1: base64 of
 * form-urlencoded id ":" secret) into `a`. 0, or -1 if it is not a well-formed one. */
int oidc_basic_credentials(struct arena *a, const char *header, const char **id,
                           const char **secret);
/* The payload of a JWS without checking it (only to learn who claims to have signed a
 * client assertion, before its key is known). New reference or NULL. */
json_t *oidc_jwt_peek(const char *token);
/* A login-request mark: "<ms>.<mac>", proving we sent the browser to log in at `ms`
 * (for prompt=login and max_age, docs/internals/oidc.md). Check returns the time, or 0
 * when absent, malformed or forged. */
char *oidc_login_mark(const struct oidc *o, struct arena *a, int64_t ms);
int64_t oidc_login_mark_check(const struct oidc *o, const char *mark);

/* ---- tokens (oidc_tokens.c) ---------------------------------------------------------------- */

/* The cache of verified access tokens: created with the handle, emptied when the issuer
 * changes. */
struct oidc_vcache *oidc_vcache_new(void);
void oidc_vcache_clear(struct oidc_vcache *v);
void oidc_vcache_free(struct oidc_vcache *v);

struct oidc_id_token_claims {
    const char *client_id;
    const char *sub;
    int64_t auth_time_ms;
    int aal;
    const char *nonce;   /* NULL: none */
    const char *act_sub; /* RFC 8693 act: the agent's sub, or NULL */
};
/* Sign an ID token / access token at `now`; the string is malloc'd (free). */
char *oidc_id_token_mint(struct oidc *o, const struct oidc_snap *snap, int64_t now_ms,
                         const struct oidc_id_token_claims *c);
char *oidc_access_token_mint(struct oidc *o, const struct oidc_snap *snap, int64_t now_ms,
                             const char *client_id, const char *sub, const char *scope,
                             int64_t grant_id, const char *act_sub);
/* The token endpoint's answer (the object oidc_token made) as JSON text in `a`, written
 * without jansson; NULL when a member would need escaping. */
char *oidc_token_answer(struct arena *a, const json_t *out, size_t *len);

/* A verified access token, as userinfo and revocation see it. */
struct oidc_access {
    const char *client_id;
    const char *sub;
    const char *scope;
    int64_t grant_id;   /* 0: a client_credentials token (no person) */
    int64_t account_id; /* from the grant, when checked */
};
/* Verify a bearer access token: signature by a published key (ES256 only: "none" and
 * everything else are refused), expiry, issuer, that it is an access token. With
 * `check_grant`, also that its grant is neither revoked nor of a removed client (one
 * read). err: 401 "oidc.invalid_token" with the reason. Strings live in `a`. */
int oidc_access_verify(struct oidc *o, struct arena *a, const char *token, int check_grant,
                       struct oidc_access *out, struct err *err);

/* ---- clients (oidc_clients.c) ---------------------------------------------------------- */

struct oidc_client {
    struct oidc_client_info info;
    const char *secret_hash; /* client_secret_basic */
    const char *jwks;        /* private_key_jwt */
    int cached;              /* from o->ccache: not read in this transaction, so its
                                removal is checked by the statement that uses it */
};

/* The cache of client rows (the code exchange reads one per request). A client's row never
 * changes after registration except removed_at, so a cached row is the stored one unless
 * the client was removed since: the code exchange's spend checks that in the same
 * statement (oidc_store_code_spend) and asks again without the cache when it spends
 * nothing. Bounded; created with the handle. */
struct oidc_ccache *oidc_ccache_new(void);
void oidc_ccache_free(struct oidc_ccache *cc);
/* Drop a client from the cache (it spent nothing: perhaps removed). */
void oidc_client_forget(struct oidc *o, const char *client_id);

int oidc_client_load(struct store_conn *c, struct arena *a, const char *client_id,
                     struct oidc_client *out, int *found, struct err *err);
/* Check a registration; fills `fe` (0 problems: valid). */
void oidc_client_validate(const struct oidc_client_spec *spec, struct oidc_field_errors *fe);
/* Keyed hash of a client secret (hex): HMAC-SM3 under `key`. */
int oidc_secret_hash(const unsigned char key[CRYPTO_KEY_LEN], const char *secret,
                     char out[OIDC_HASH_SIZE]);

struct oidc_client_auth {
    const char *basic_id; /* from an Authorization: Basic header, or NULL */
    const char *basic_secret;
    const char *client_id;     /* the form's client_id, or NULL */
    const char *client_secret; /* the form's client_secret: refused */
    const char *assertion_type;
    const char *assertion;
    const char *endpoint; /* the URL called, an accepted assertion audience */
    int cache_ok;         /* the client may come from o->ccache (the code exchange) */
};
/* Authenticate the client of a token or revocation request, inside the caller's
 * transaction on `c` (a client assertion's jti is recorded there). err: 401
 * "oidc.invalid_client" or 400 "oidc.invalid_request"; *claimed (may be NULL) gets the
 * client id the request claimed, for the audit record. */
int oidc_client_authenticate(struct oidc *o, const struct oidc_snap *snap, struct store_conn *c,
                             struct arena *a, const struct oidc_client_auth *in,
                             struct oidc_client *out, const char **claimed, struct err *err);

/* ---- flows (oidc_flow.c) ----------------------------------------------------------------- */

/* The parameters of an authorization request as received (NULL: absent). */
struct oidc_authz_params {
    const char *client_id, *redirect_uri, *response_type, *scope, *state, *nonce;
    const char *code_challenge, *code_challenge_method, *prompt, *max_age;
    const char *request, *request_uri, *response_mode, *login_mark;
};

/* A validated authorization request. */
struct oidc_authz {
    struct oidc_client client;
    const char *redirect_uri;
    const char *state; /* NULL: none */
    const char *nonce; /* NULL: none */
    const char *scope; /* normalised */
    const char *code_challenge;
    int prompt_none, prompt_login, prompt_consent;
    int64_t max_age;     /* seconds; -1: none */
    int64_t login_mark;  /* ms of a verified mark; 0: none */
    int64_t act_account; /* an agent acting for the account (RFC 8693 act), or 0 */
};

/* Validate an authorization request (OIDC Core §3.1.2.2). On -1, *redirectable tells
 * whether the client and redirect URI were valid, so the error may be sent back there
 * (RFC 6749 §4.1.2.1); if not, the person sees an error page and is never redirected. */
int oidc_authorize_check(struct oidc *o, struct arena *a, const struct oidc_authz_params *in,
                         struct oidc_authz *out, int *redirectable, struct err *err);
/* Has the account already agreed to give this client every scope of `scope`? */
int oidc_consent_covers(struct oidc *o, int64_t account_id, const char *client_id,
                        const char *scope, int *covered, struct err *err);
/* Issue an authorization code for a validated request (60 s, single use), remembering
 * the consent first when `save_consent`; one transaction, audited. */
int oidc_code_issue(struct oidc *o, const struct oidc_authz *az, int64_t account_id,
                    int64_t auth_time_ms, int aal, int save_consent, const char *ip,
                    char code[OIDC_TOKEN_SIZE], struct err *err);

struct oidc_token_request {
    const char *grant_type;
    const char *code, *redirect_uri, *code_verifier; /* authorization_code */
    const char *refresh_token;                       /* refresh_token */
    const char *scope;                               /* refresh_token, client_credentials */
    struct oidc_client_auth auth;
    const char *ip;
};
/* The token endpoint (RFC 6749 §3.2, §4.1.3, §4.4, §6): authenticate the client, run
 * the grant, mint the tokens; one transaction with its audit record. On success *out is
 * the response object (new reference). */
int oidc_token(struct oidc *o, struct arena *a, const struct oidc_token_request *in, json_t **out,
               struct err *err);

/* Revocation (RFC 7009): a refresh token or access token of the authenticated client
 * ends its grant. Unknown tokens are not an error (§2.2). */
int oidc_revoke(struct oidc *o, struct arena *a, const struct oidc_client_auth *auth,
                const char *token, const char *ip, struct err *err);

/* An id_token_hint for logout: signed by one of our published keys for our issuer
 * (expired hints are accepted: OIDC RP-Initiated Logout §2). Gives its client and
 * subject. -1 if it is not such a token. */
int oidc_id_token_hint(struct oidc *o, struct arena *a, const char *hint, const char **client_id,
                       const char **sub, struct err *err);

/* The administration pages (oidc_admin.c); `o->identity` must be set. */
int oidc_admin_register(struct web_server *srv, struct oidc *o);

/* Write an audit record in its own transaction (events that change nothing else). */
void oidc_audit(struct oidc *o, int64_t actor, const char *action, const char *object,
                const char *outcome, const char *ip, const char *detail);
/* The purge if it is due (at most every ten minutes per process). */
void oidc_purge_maybe(struct oidc *o);

/* ---- SQL (oidc_store.c) ------------------------------------------------------------------ */

struct oidc_key_row {
    const char *kid;
    const unsigned char *private_enc;
    size_t private_len;
    int64_t active_from, retire_at;
};
/* Key rows belong to the master key that sealed them (`keyring`, oidc_keyring_name);
 * every statement below sees only the rows of the given one. */
/* Calls `fn` for each key published at `now` (retire_at NULL or later), ascending
 * active_from. The row's pointers are valid during the call only. */
int oidc_store_keys_each(struct store_conn *c, const char *keyring, int64_t now_ms,
                         int (*fn)(void *ctx, const struct oidc_key_row *row), void *ctx,
                         struct err *err);
int oidc_store_key_insert(struct store_conn *c, const char *kid, const char *keyring,
                          const unsigned char *enc, size_t enc_len, const char *public_jwk,
                          int64_t created_at, int64_t active_from, struct err *err);
int oidc_store_keys_count_current(struct store_conn *c, const char *keyring, int64_t *n,
                                  struct err *err);
/* Rows sealed under any other master key. */
int oidc_store_keys_count_foreign(struct store_conn *c, const char *keyring, int64_t *n,
                                  struct err *err);
int oidc_store_keys_retire(struct store_conn *c, const char *keyring, const char *except_kid,
                           int64_t retire_at, struct err *err);
int oidc_store_keys_delete_retired(struct store_conn *c, const char *keyring, int64_t now_ms,
                                   struct err *err);

struct oidc_client_row {
    const char *client_id, *name, *auth_method, *secret_hash, *jwks;
    const char *redirect_uris, *post_logout_uris, *scopes, *grant_types; /* as stored */
    int64_t created_by, created_at;
};
int oidc_store_client_insert(struct store_conn *c, const struct oidc_client_row *row,
                             struct err *err);
/* An active client; strings in `a`. */
int oidc_store_client_get(struct store_conn *c, struct arena *a, const char *client_id,
                          struct oidc_client_row *out, int *found, struct err *err);
int oidc_store_client_list(struct store_conn *c, struct arena *a, struct oidc_client_row **out,
                           size_t *n, struct err *err);
int oidc_store_client_remove(struct store_conn *c, const char *client_id, int64_t now_ms,
                             int *changed, struct err *err);

int oidc_store_consent_get(struct store_conn *c, struct arena *a, int64_t account_id,
                           const char *client_id, const char **scopes, struct err *err);
int oidc_store_consent_put(struct store_conn *c, int64_t account_id, const char *client_id,
                           const char *scopes, int64_t now_ms, struct err *err);

struct oidc_code_row {
    const char *client_id, *redirect_uri, *scope, *nonce, *code_challenge;
    int64_t account_id, auth_time, aal, created_at, expires_at, used_at, grant_id;
    int64_t act_account; /* the agent acting for account_id, or 0 */
};
int oidc_store_code_insert(struct store_conn *c, const char *hash, const struct oidc_code_row *r,
                           struct err *err);
int oidc_store_code_get(struct store_conn *c, struct arena *a, const char *hash,
                        struct oidc_code_row *out, int *found, struct err *err);
/* Spend an unused code of `client_id`, recording the grant it creates, and read it back
 * in the same statement (UPDATE ... RETURNING): *spent 1 and `out` filled, or 0 when
 * there is no unused code of this client with that hash (unknown, another client's, or
 * already spent: oidc_store_code_get tells which) or the client was removed. The atomic
 * arbiter between two concurrent exchanges. */
int oidc_store_code_spend(struct store_conn *c, struct arena *a, const char *hash,
                          const char *client_id, int64_t now_ms, int64_t grant_id,
                          struct oidc_code_row *out, int *spent, struct err *err);

struct oidc_grant_row {
    int64_t id, account_id, auth_time, aal, created_at, expires_at, revoked_at;
    const char *client_id, *scope;
    /* The current refresh token's hash (NULL: none), issue and expiry times. */
    const char *refresh_hash;
    int64_t refresh_issued_at, refresh_expires_at;
};
int oidc_store_grant_insert(struct store_conn *c, const struct oidc_grant_row *g, struct err *err);
/* PostgreSQL: the same spend and, in the same statement, the grant `g` (its id, client,
 * times and refresh token; account, scope, auth_time and aal come from the code) when the
 * code has not expired at g->created_at, was issued for `redirect_uri` and its challenge is
 * `challenge`; an agent's code (act_account) gets no refresh token. *granted 1 when the
 * grant was inserted. One round trip instead of two. */
int oidc_store_code_spend_grant(struct store_conn *c, struct arena *a, const char *hash,
                                const struct oidc_grant_row *g, const char *redirect_uri,
                                const char *challenge, struct oidc_code_row *out, int *spent,
                                int *granted, struct err *err);
/* Delete a grant inserted by the statement above for an exchange then refused. */
int oidc_store_grant_delete(struct store_conn *c, int64_t grant_id, struct err *err);
/* Revoke a grant unless it already is; *changed says whether it was live. */
int oidc_store_grant_revoke(struct store_conn *c, int64_t grant_id, int64_t now_ms,
                            const char *reason, int *changed, struct err *err);
int oidc_store_grants_revoke_account(struct store_conn *c, int64_t account_id, int64_t now_ms,
                                     const char *reason, int64_t *revoked, struct err *err);
int oidc_store_grants_revoke_client(struct store_conn *c, const char *client_id, int64_t now_ms,
                                    struct err *err);
/* For userinfo: the grant's account and whether it is live (not revoked, not expired,
 * its client not removed). */
int oidc_store_grant_status(struct store_conn *c, int64_t grant_id, int64_t now_ms,
                            int64_t *account_id, int *live, struct err *err);

struct oidc_refresh_row {
    int64_t issued_at, expires_at, used_at; /* used_at 0: the grant's current token */
    struct oidc_grant_row grant;
};
/* A refresh token "<grant id>.<secret>" by the hash of the whole string: the grant's
 * current token (in the grant's row), or a spent one (oidc_refresh_tokens). */
int oidc_store_refresh_get(struct store_conn *c, struct arena *a, int64_t grant_id,
                           const char *hash, struct oidc_refresh_row *out, int *found,
                           struct err *err);
/* Spend the grant's current token `hash` and make `next_hash` its successor: *claimed 1,
 * or 0 if `hash` is no longer current (spent by a concurrent request: the arbiter). The
 * spent token is kept for reuse detection. */
int oidc_store_refresh_rotate(struct store_conn *c, const struct oidc_refresh_row *spent,
                              const char *hash, const char *next_hash, int64_t now_ms,
                              int64_t next_expires, int *claimed, struct err *err);

/* Record an assertion's jti; *fresh 0 if it was seen before (a replay). */
int oidc_store_jti_insert(struct store_conn *c, const char *client_id, const char *jti,
                          int64_t expires_at, int *fresh, struct err *err);

/* `grant_life_ms`: the longest a grant lives (refresh_absolute_s). */
int oidc_store_purge(struct store_conn *c, int64_t now_ms, int64_t grant_life_ms, int64_t *removed,
                     struct err *err);

#endif
