/*
 * oidc_test.c - tests of the OpenID Connect provider's logic (src/oidc/): PKCE S256,
 * exact redirect URI matching, single-use codes (a replay revokes what the code issued),
 * refresh token rotation (reuse revokes the family), the claims of ID and access tokens,
 * client authentication (client_secret_basic, private_key_jwt with replay protection),
 * client credentials, refused JWTs (alg=none, tampered), key rotation, and the small
 * parsers (scopes, Basic credentials, login marks, registrations).
 *
 * The tests drive oidc_flow.c directly, without HTTP; the black-box test with a
 * certified relying-party library is tests/api/oidc.test.mjs. Like store_test.c, every
 * test runs on SQLite and, when ONEWINDOW_TEST_PG_URL is set, on PostgreSQL in a schema
 * of its own. The provider's clock is replaced so that expiry can be tested.
 */
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/audit.h"
#include "base/arena.h"
#include "base/id.h"
#include "crypto/crypto.h"
#include "identity/idcodes.h"
#include "identity/identity.h"
#include "oidc/oidc_internal.h"
#include "store/store.h"

#define ISSUER "https://id.example.cn"
#define RP_CB "https://rp.example.cn/cb"
#define RP_LOGOUT "https://rp.example.cn/bye"
/* RFC 7636 Appendix B. */
#define VERIFIER "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
#define CHALLENGE "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
#define ACCOUNT 4242

struct fixture {
    int pg;
    char dir[256];
    char base_url[1024];
    char url[1200];
    char schema[64];
    struct store *s;
    struct crypto_keyring *kr;
    struct oidc *o;
    char client_id[OIDC_CLIENT_ID_SIZE];
    char secret[OIDC_SECRET_SIZE];
    char jwt_client_id[OIDC_CLIENT_ID_SIZE];
    struct crypto_key *client_key; /* the private_key_jwt client's own key */
};

static int64_t fake_now;
static int64_t fake_clock(void)
{
    return fake_now;
}

static int account_active = 1;
static int account_check(void *ctx, int64_t account_id, struct err *err)
{
    (void)ctx;
    (void)account_id;
    (void)err;
    return account_active;
}

/* ---- helpers ------------------------------------------------------------------------ */

static void pg_schema_url(char *url, size_t size, const char *base, const char *schema)
{
    snprintf(url, size, "%s%coptions=-c%%20search_path%%3D%s", base,
             strchr(base, '?') != NULL ? '&' : '?', schema);
}

static int run_once(const char *url, const char *sql)
{
    struct err err;
    struct store *s;
    int rc = -1;
    if (store_open(url, NULL, &s, &err) < 0)
        return -1;
    struct store_conn *c = store_conn(s, &err);
    if (c != NULL && store_exec(c, sql, &err) == 0)
        rc = 0;
    else
        fprintf(stderr, "oidc_test: %s: %s\n", sql, err.msg);
    store_close(s);
    return rc;
}

static struct oidc_client_auth basic(struct fixture *fx, const char *secret)
{
    struct oidc_client_auth a = {0};
    a.basic_id = fx->client_id;
    a.basic_secret = secret ? secret : fx->secret;
    a.endpoint = ISSUER "/oauth2/token";
    return a;
}

/* An authorization request for the basic client, checked and turned into a code. */
static void get_code(struct fixture *fx, const char *scope, const char *nonce, int aal,
                     char code[OIDC_TOKEN_SIZE])
{
    struct arena *a = arena_new(0);
    struct oidc_authz_params p = {0};
    struct oidc_authz az;
    struct err err;
    int redirectable = 0;
    p.client_id = fx->client_id;
    p.redirect_uri = RP_CB;
    p.response_type = "code";
    p.scope = scope;
    p.state = "xyz";
    p.nonce = nonce;
    p.code_challenge = CHALLENGE;
    p.code_challenge_method = "S256";
    err_clear(&err);
    if (oidc_authorize_check(fx->o, a, &p, &az, &redirectable, &err) < 0)
        fail_msg("authorize: %s %s", err.code, err.msg);
    if (oidc_code_issue(fx->o, &az, ACCOUNT, fake_now - 5000, aal, 1, "127.0.0.1", code, &err) < 0)
        fail_msg("code: %s %s", err.code, err.msg);
    arena_free(a);
}

/* A token request; returns 0 and *out, or -1 with err. */
static int token(struct fixture *fx, struct arena *a, const char *grant, const char *code,
                 const char *verifier, const char *refresh, const char *scope,
                 const struct oidc_client_auth *auth, json_t **out, struct err *err)
{
    struct oidc_token_request in = {0};
    in.grant_type = grant;
    in.code = code;
    in.redirect_uri = RP_CB;
    in.code_verifier = verifier;
    in.refresh_token = refresh;
    in.scope = scope;
    in.auth = *auth;
    in.ip = "127.0.0.1";
    err_clear(err);
    return oidc_token(fx->o, a, &in, out, err);
}

static json_t *exchange(struct fixture *fx, struct arena *a, const char *code)
{
    struct oidc_client_auth auth = basic(fx, NULL);
    json_t *out = NULL;
    struct err err;
    if (token(fx, a, "authorization_code", code, VERIFIER, NULL, NULL, &auth, &out, &err) < 0)
        fail_msg("exchange: %s %s", err.code, err.msg);
    return out;
}

/* The payload of one of our JWTs, verified against the published keys. */
static json_t *claims(struct fixture *fx, const char *jwt)
{
    struct oidc_snap *s = oidc_snap_get(fx->o);
    json_t *p = NULL;
    struct err err;
    int rc = crypto_jws_verify(jwt, s->verify, s->nkeys, &p, &err);
    oidc_snap_put(s);
    if (rc < 0)
        fail_msg("jwt: %s", err.msg);
    return p;
}

static const char *str(json_t *obj, const char *name)
{
    return json_string_value(json_object_get(obj, name));
}

static void assert_error(const struct err *err, int status, const char *code)
{
    if (err->status != status || strcmp(err->code, code) != 0)
        fail_msg("expected %d %s, got %d %s (%s)", status, code, err->status, err->code, err->msg);
}

static int access_ok(struct fixture *fx, const char *at)
{
    struct arena *a = arena_new(0);
    struct oidc_access acc;
    struct err err;
    int rc = oidc_access_verify(fx->o, a, at, 1, &acc, &err);
    arena_free(a);
    return rc;
}

/* ---- setup -------------------------------------------------------------------------- */

static int open_all(struct fixture *fx)
{
    struct err err;
    int applied;
    unsigned char master[CRYPTO_KEY_LEN];
    memset(master, 7, sizeof(master));
    err_clear(&err);
    if (store_open(fx->url, NULL, &fx->s, &err) < 0 || store_migrate(fx->s, &applied, &err) < 0 ||
        crypto_keyring_from_master(master, &fx->kr) < 0 ||
        oidc_open(fx->s, fx->kr, ISSUER, NULL, &fx->o, &err) < 0) {
        fprintf(stderr, "oidc_test: %s\n", err.msg);
        return -1;
    }
    fake_now = time_now_ms();
    fx->o->clock_ms = fake_clock;
    oidc_set_account_check(fx->o, account_check, NULL);

    const char *redirects[] = {RP_CB, "http://127.0.0.1:9/cb"};
    const char *logouts[] = {RP_LOGOUT};
    struct oidc_client_spec spec = {
        .name = "不动产登记系统",
        .redirect_uris = redirects,
        .nredirect_uris = 2,
        .post_logout_uris = logouts,
        .npost_logout_uris = 1,
        .scopes = "openid profile phone id_number exchange:read",
        .grant_types = "authorization_code refresh_token client_credentials",
    };
    struct oidc_field_errors fe;
    char unused[OIDC_SECRET_SIZE];
    if (oidc_client_add(fx->s, fx->kr, 0, NULL, &spec, fx->client_id, fx->secret, &fe, &err) != 0)
        return -1;
    /* A private_key_jwt client with a key of its own. */
    if (crypto_key_generate(CRYPTO_KEY_ES256, &fx->client_key) < 0)
        return -1;
    json_t *jwk = crypto_key_jwk(fx->client_key);
    json_t *set = json_pack("{s:[o]}", "keys", jwk);
    char *jwks = json_dumps(set, JSON_COMPACT);
    json_decref(set);
    struct oidc_client_spec spec2 = {
        .name = "Exchange gateway",
        .redirect_uris = redirects,
        .nredirect_uris = 1,
        .auth_method = "private_key_jwt",
        .jwks_json = jwks,
        .scopes = "openid exchange:read exchange:write",
        .grant_types = "authorization_code client_credentials",
    };
    int rc = oidc_client_add(fx->s, fx->kr, 0, NULL, &spec2, fx->jwt_client_id, unused, &fe, &err);
    free(jwks);
    if (rc != 0 || unused[0] != '\0')
        return -1;
    return 0;
}

static void close_all(struct fixture *fx)
{
    oidc_close(fx->o);
    crypto_key_free(fx->client_key);
    crypto_keyring_close(fx->kr);
    store_close(fx->s);
}

static int sqlite_setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    const char *tmp = getenv("TMPDIR");
    if (fx == NULL)
        return -1;
    snprintf(fx->dir, sizeof(fx->dir), "%s/oidc_test.XXXXXX", tmp ? tmp : "/tmp");
    if (mkdtemp(fx->dir) == NULL) {
        free(fx);
        return -1;
    }
    snprintf(fx->url, sizeof(fx->url), "sqlite:%s/oidc.db", fx->dir);
    *state = fx;
    return open_all(fx);
}

static int sqlite_teardown(void **state)
{
    struct fixture *fx = *state;
    close_all(fx);
    const char *names[] = {"oidc.db", "oidc.db-wal", "oidc.db-shm"};
    for (size_t i = 0; i < 3; i++) {
        char path[400];
        snprintf(path, sizeof(path), "%s/%s", fx->dir, names[i]);
        unlink(path);
    }
    int rc = rmdir(fx->dir);
    free(fx);
    return rc;
}

static int pg_setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    char sql[128];
    if (fx == NULL)
        return -1;
    fx->pg = 1;
    snprintf(fx->base_url, sizeof(fx->base_url), "%s", getenv("ONEWINDOW_TEST_PG_URL"));
    snprintf(fx->schema, sizeof(fx->schema), "t_oidc_%ld", (long)getpid());
    snprintf(sql, sizeof(sql), "CREATE SCHEMA IF NOT EXISTS %s", fx->schema);
    *state = fx;
    if (run_once(fx->base_url, sql) < 0)
        return -1;
    pg_schema_url(fx->url, sizeof(fx->url), fx->base_url, fx->schema);
    return open_all(fx);
}

static int pg_teardown(void **state)
{
    struct fixture *fx = *state;
    char sql[128];
    close_all(fx);
    snprintf(sql, sizeof(sql), "DROP SCHEMA %s CASCADE", fx->schema);
    int rc = run_once(fx->base_url, sql);
    free(fx);
    return rc;
}

static int reset_clock(void **state)
{
    (void)state;
    fake_now = time_now_ms();
    account_active = 1;
    return 0;
}

/* ---- pure helpers ------------------------------------------------------------------- */

static void test_pkce(void **state)
{
    (void)state;
    assert_int_equal(oidc_pkce_check(VERIFIER, CHALLENGE), 0);
    /* Another verifier, plain (challenge = verifier), a one-character change. */
    assert_int_equal(oidc_pkce_check("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXl", CHALLENGE), -1);
    assert_int_equal(oidc_pkce_check(VERIFIER, VERIFIER), -1);
    assert_int_equal(oidc_pkce_check(VERIFIER, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cN"), -1);
    /* RFC 7636 §4.1: 43..128 unreserved characters. */
    assert_true(oidc_pkce_verifier_valid(VERIFIER));
    assert_false(oidc_pkce_verifier_valid("short"));
    assert_false(oidc_pkce_verifier_valid("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjX+"));
    char long_v[130];
    memset(long_v, 'a', 129);
    long_v[129] = '\0';
    assert_false(oidc_pkce_verifier_valid(long_v));
    long_v[128] = '\0';
    assert_true(oidc_pkce_verifier_valid(long_v));
    assert_int_equal(oidc_pkce_check(long_v, CHALLENGE), -1);
    assert_false(oidc_pkce_challenge_valid("abc"));
    assert_false(oidc_pkce_challenge_valid("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw+cM"));
}

static void test_refresh_format(void **state)
{
    (void)state;
    assert_int_equal(oidc_refresh_grant("123.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), 123);
    assert_int_equal(oidc_refresh_grant("123.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), 0);
    assert_int_equal(oidc_refresh_grant(".AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), 0);
    assert_int_equal(oidc_refresh_grant("-1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), 0);
    assert_int_equal(oidc_refresh_grant("1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+"), 0);
    assert_int_equal(
        oidc_refresh_grant("1234567890123456789.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), 0);
    assert_int_equal(oidc_refresh_grant("a.b.c"), 0);
    assert_int_equal(oidc_refresh_grant(NULL), 0);
}

static void test_scopes(void **state)
{
    (void)state;
    struct arena *a = arena_new(0);
    const char *out = NULL;
    assert_int_equal(oidc_scope_normalize(a, "  profile openid  profile phone", &out), 0);
    assert_string_equal(out, "openid phone profile");
    assert_int_equal(oidc_scope_normalize(a, NULL, &out), 0);
    assert_string_equal(out, "");
    assert_int_equal(oidc_scope_normalize(a, "openid \"x\"", &out), -1);
    assert_int_equal(oidc_scope_normalize(a, "openid\tprofile", &out), -1);
    assert_true(oidc_scope_subset("openid profile", "id_number openid profile"));
    assert_false(oidc_scope_subset("openid phone", "openid phone_number"));
    assert_true(oidc_word_in("openid profile", "profile"));
    assert_false(oidc_word_in("openid profile_x", "profile"));
    assert_false(oidc_word_in("openidx", "openid"));
    assert_string_equal(oidc_scope_union(a, "phone openid", "openid profile"),
                        "openid phone profile");
    arena_free(a);
}

static void test_basic_credentials(void **state)
{
    (void)state;
    struct arena *a = arena_new(0);
    const char *id = NULL, *secret = NULL;
    /* base64("a%3Ab:c+d%25") - form-urlencoded parts (RFC 6749 §2.3.1). */
    assert_int_equal(oidc_basic_credentials(a, "Basic YSUzQWI6YytkJTI1", &id, &secret), 0);
    assert_string_equal(id, "a:b");
    assert_string_equal(secret, "c d%");
    assert_int_equal(oidc_basic_credentials(a, "basic dXNlcjpwYXNz", &id, &secret), 0);
    assert_string_equal(id, "user");
    assert_string_equal(secret, "pass");
    assert_int_equal(oidc_basic_credentials(a, "Basic dXNlcnBhc3M=", &id, &secret), -1); /* no : */
    assert_int_equal(oidc_basic_credentials(a, "Basic dXNlcjpwYXNz=", &id, &secret), -1);
    assert_int_equal(oidc_basic_credentials(a, "Basic ****", &id, &secret), -1);
    assert_int_equal(oidc_basic_credentials(a, "Bearer dXNlcjpwYXNz", &id, &secret), -1);
    assert_int_equal(oidc_basic_credentials(a, "Basic OnBhc3M=", &id, &secret), -1); /* empty id */
    assert_int_equal(oidc_basic_credentials(a, "Basic dSUwMDpw", &id, &secret), -1); /* %00 */
    arena_free(a);
}

static void test_client_validate(void **state)
{
    (void)state;
    struct oidc_field_errors fe;
    const char *bad[] = {"http://rp.example.cn/cb", "https://rp.example.cn/cb#frag",
                         "https://rp.example.cn/cb"};
    struct oidc_client_spec spec = {
        .name = "  ",
        .redirect_uris = bad,
        .nredirect_uris = 1,
        .auth_method = "client_secret_post",
        .scopes = "openid Profile",
        .grant_types = "implicit",
    };
    oidc_client_validate(&spec, &fe);
    /* Every problem at once (一次性告知): name, URI, method, grant, scope. */
    assert_int_equal(fe.n, 5);
    assert_string_equal(fe.e[0].code, "oidc.client.name_missing");
    assert_string_equal(fe.e[1].code, "oidc.client.bad_uri");
    assert_string_equal(fe.e[2].code, "oidc.client.bad_auth_method");
    assert_string_equal(fe.e[3].code, "oidc.client.bad_grant");
    assert_string_equal(fe.e[4].code, "oidc.client.bad_scope");

    const char *dup[] = {"https://rp.example.cn/cb", "https://rp.example.cn/cb"};
    struct oidc_client_spec s2 = {.name = "x", .redirect_uris = dup, .nredirect_uris = 2};
    oidc_client_validate(&s2, &fe);
    assert_int_equal(fe.n, 1);
    assert_string_equal(fe.e[0].code, "oidc.client.duplicate_uri");

    const char *ok[] = {"https://rp.example.cn/cb?x=1", "http://127.0.0.1:8080/cb",
                        "http://localhost/cb", "http://[::1]:3000/"};
    struct oidc_client_spec s3 = {.name = "x", .redirect_uris = ok, .nredirect_uris = 4};
    oidc_client_validate(&s3, &fe);
    assert_int_equal(fe.n, 0);
    const char *evil[] = {"http://127.0.0.1.evil.cn/cb"};
    s3.redirect_uris = evil;
    s3.nredirect_uris = 1;
    oidc_client_validate(&s3, &fe);
    assert_int_equal(fe.n, 1);

    struct oidc_client_spec s4 = {.name = "x",
                                  .auth_method = "private_key_jwt",
                                  .jwks_json = "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\","
                                               "\"x\":\"a\",\"y\":\"b\",\"d\":\"c\"}]}",
                                  .grant_types = "client_credentials",
                                  .scopes = "exchange:read"};
    oidc_client_validate(&s4, &fe);
    assert_int_equal(fe.n, 1);
    assert_string_equal(fe.e[0].code, "oidc.client.jwks_private");
    s4.jwks_json = NULL;
    oidc_client_validate(&s4, &fe);
    assert_string_equal(fe.e[0].code, "oidc.client.jwks_missing");
    s4.grant_types = "refresh_token";
    s4.jwks_json = "{\"keys\":[]}";
    oidc_client_validate(&s4, &fe);
    assert_int_equal(fe.n, 2);
    assert_string_equal(fe.e[0].code, "oidc.client.jwks_no_es256");
    assert_string_equal(fe.e[1].code, "oidc.client.refresh_alone");
}

/* ---- authorization requests ----------------------------------------------------------- */

static int check(struct fixture *fx, struct oidc_authz_params *p, int *redirectable,
                 struct err *err)
{
    struct arena *a = arena_new(0);
    struct oidc_authz az;
    err_clear(err);
    int rc = oidc_authorize_check(fx->o, a, p, &az, redirectable, err);
    arena_free(a);
    return rc;
}

static void test_redirect_uri_exact(void **state)
{
    struct fixture *fx = *state;
    struct oidc_authz_params p = {0};
    struct err err;
    int redirectable = -1;
    p.client_id = fx->client_id;
    p.response_type = "code";
    p.scope = "openid";
    p.code_challenge = CHALLENGE;
    p.code_challenge_method = "S256";
    p.redirect_uri = RP_CB;
    assert_int_equal(check(fx, &p, &redirectable, &err), 0);
    p.redirect_uri = "http://127.0.0.1:9/cb";
    assert_int_equal(check(fx, &p, &redirectable, &err), 0);
    /* Anything but the exact string: never redirectable. */
    const char *near[] = {
        RP_CB "/",
        RP_CB "?x=1",
        "https://RP.example.cn/cb",
        "https://rp.example.cn/cb/../evil",
        "https://rp.example.cn/c",
        "https://rp.example.cn:443/cb",
        "http://rp.example.cn/cb",
        RP_CB "#x",
        "https://evil.example/cb",
    };
    for (size_t i = 0; i < sizeof(near) / sizeof(near[0]); i++) {
        p.redirect_uri = near[i];
        assert_int_equal(check(fx, &p, &redirectable, &err), -1);
        assert_int_equal(redirectable, 0);
        assert_error(&err, 400, "oidc.redirect_uri_mismatch");
    }
    p.redirect_uri = NULL;
    assert_int_equal(check(fx, &p, &redirectable, &err), -1);
    assert_int_equal(redirectable, 0);
    p.redirect_uri = RP_CB;
    p.client_id = "0123456789abcdef0123456789abcdef";
    assert_int_equal(check(fx, &p, &redirectable, &err), -1);
    assert_int_equal(redirectable, 0);
    assert_error(&err, 400, "oidc.unknown_client");
}

static void test_authorize_params(void **state)
{
    struct fixture *fx = *state;
    struct oidc_authz_params p = {0};
    struct err err;
    int redirectable = 0;
    p.client_id = fx->client_id;
    p.redirect_uri = RP_CB;
    p.response_type = "code";
    p.scope = "openid profile";
    p.code_challenge = CHALLENGE;
    /* PKCE: required, S256 only (a missing method means plain, RFC 7636 §4.3). */
    assert_int_equal(check(fx, &p, &redirectable, &err), -1);
    assert_int_equal(redirectable, 1);
    assert_error(&err, 400, "oidc.invalid_request");
    p.code_challenge_method = "plain";
    assert_int_equal(check(fx, &p, &redirectable, &err), -1);
    assert_error(&err, 400, "oidc.invalid_request");
    p.code_challenge_method = "S256";
    p.code_challenge = NULL;
    assert_int_equal(check(fx, &p, &redirectable, &err), -1);
    assert_error(&err, 400, "oidc.invalid_request");
    p.code_challenge = CHALLENGE;
    assert_int_equal(check(fx, &p, &redirectable, &err), 0);

    p.response_type = "token";
    assert_int_equal(check(fx, &p, &redirectable, &err), -1);
    assert_error(&err, 400, "oidc.unsupported_response_type");
    p.response_type = "code";
    p.scope = "profile";
    assert_int_equal(check(fx, &p, &redirectable, &err), -1);
    assert_error(&err, 400, "oidc.invalid_scope");
    p.scope = "openid email";
    assert_int_equal(check(fx, &p, &redirectable, &err), -1);
    assert_error(&err, 400, "oidc.invalid_scope");
    p.scope = "openid exchange:read"; /* an API scope: not in a login */
    assert_int_equal(check(fx, &p, &redirectable, &err), -1);
    assert_error(&err, 400, "oidc.invalid_scope");
    p.scope = "openid";
    p.prompt = "none login";
    assert_int_equal(check(fx, &p, &redirectable, &err), -1);
    assert_error(&err, 400, "oidc.invalid_request");
    p.prompt = "login consent";
    assert_int_equal(check(fx, &p, &redirectable, &err), 0);
    p.prompt = NULL;
    p.max_age = "-1";
    assert_int_equal(check(fx, &p, &redirectable, &err), -1);
    p.max_age = "300";
    p.request = "eyJ...";
    assert_int_equal(check(fx, &p, &redirectable, &err), -1);
    assert_error(&err, 400, "oidc.request_not_supported");
    p.request = NULL;
    /* The private_key_jwt client is not registered for profile. */
    p.client_id = fx->jwt_client_id;
    p.scope = "openid profile";
    assert_int_equal(check(fx, &p, &redirectable, &err), -1);
    assert_error(&err, 400, "oidc.invalid_scope");
}

static void test_login_mark(void **state)
{
    struct fixture *fx = *state;
    struct arena *a = arena_new(0);
    char *mark = oidc_login_mark(fx->o, a, fake_now);
    assert_non_null(mark);
    assert_int_equal(oidc_login_mark_check(fx->o, mark), fake_now);
    char *forged = arena_printf(a, "%lld%s", (long long)fake_now + 1, strchr(mark, '.'));
    assert_int_equal(oidc_login_mark_check(fx->o, forged), 0);
    assert_int_equal(oidc_login_mark_check(fx->o, "123"), 0);
    assert_int_equal(oidc_login_mark_check(fx->o, NULL), 0);
    fake_now += OIDC_REAUTH_MAX_AGE_MS + 1;
    assert_int_equal(oidc_login_mark_check(fx->o, mark), 0);
    arena_free(a);
}

/* ---- codes and tokens ----------------------------------------------------------------- */

static void test_code_exchange_and_claims(void **state)
{
    struct fixture *fx = *state;
    struct arena *a = arena_new(0);
    char code[OIDC_TOKEN_SIZE], sub[OIDC_SUB_SIZE];
    get_code(fx, "openid profile phone", "n-0S6_WzA2Mj", 2, code);
    json_t *out = exchange(fx, a, code);
    assert_string_equal(str(out, "token_type"), "Bearer");
    assert_int_equal(json_integer_value(json_object_get(out, "expires_in")), OIDC_ACCESS_TTL_S);
    assert_string_equal(str(out, "scope"), "openid phone profile");
    assert_non_null(str(out, "refresh_token"));
    /* "<grant id>.<43 characters>", the grant being the access token's gid. */
    int64_t rgid = oidc_refresh_grant(str(out, "refresh_token"));
    assert_true(rgid > 0);

    assert_int_equal(oidc_pairwise_sub(fx->o, fx->client_id, ACCOUNT, sub), 0);
    json_t *id = claims(fx, str(out, "id_token"));
    assert_string_equal(str(id, "iss"), ISSUER);
    assert_string_equal(str(id, "sub"), sub);
    assert_string_equal(str(id, "aud"), fx->client_id);
    assert_string_equal(str(id, "azp"), fx->client_id);
    assert_string_equal(str(id, "nonce"), "n-0S6_WzA2Mj");
    assert_string_equal(str(id, "acr"), "aal2");
    assert_int_equal(json_array_size(json_object_get(id, "amr")), 2);
    assert_string_equal(json_string_value(json_array_get(json_object_get(id, "amr"), 1)), "otp");
    json_int_t iat = json_integer_value(json_object_get(id, "iat"));
    assert_int_equal(iat, fake_now / 1000);
    assert_int_equal(json_integer_value(json_object_get(id, "exp")) - iat, OIDC_ID_TOKEN_TTL_S);
    assert_int_equal(json_integer_value(json_object_get(id, "auth_time")),
                     (fake_now - 5000) / 1000);
    assert_null(json_object_get(id, "scope"));

    json_t *at = claims(fx, str(out, "access_token"));
    assert_string_equal(str(at, "iss"), ISSUER);
    assert_string_equal(str(at, "sub"), sub);
    assert_string_equal(str(at, "aud"), fx->client_id);
    assert_string_equal(str(at, "client_id"), fx->client_id);
    assert_string_equal(str(at, "scope"), "openid phone profile");
    assert_non_null(str(at, "jti"));
    assert_non_null(str(at, "gid"));
    assert_int_equal(strtoll(str(at, "gid"), NULL, 10), rgid);
    assert_int_equal(json_integer_value(json_object_get(at, "exp")) -
                         json_integer_value(json_object_get(at, "iat")),
                     OIDC_ACCESS_TTL_S);

    /* The access token works at userinfo; the ID token does not. */
    struct oidc_access acc;
    struct err err;
    assert_int_equal(oidc_access_verify(fx->o, a, str(out, "access_token"), 1, &acc, &err), 0);
    assert_int_equal(acc.account_id, ACCOUNT);
    assert_string_equal(acc.sub, sub);
    assert_int_equal(oidc_access_verify(fx->o, a, str(out, "id_token"), 1, &acc, &err), -1);
    assert_error(&err, 401, "oidc.invalid_token");
    /* Subjects are pairwise: another client sees another sub for the same person. */
    char other[OIDC_SUB_SIZE];
    assert_int_equal(oidc_pairwise_sub(fx->o, fx->jwt_client_id, ACCOUNT, other), 0);
    assert_string_not_equal(sub, other);
    /* Expired: 10 minutes and the leeway later. */
    fake_now += (OIDC_ACCESS_TTL_S + OIDC_LEEWAY_S + 1) * 1000LL;
    assert_int_equal(oidc_access_verify(fx->o, a, str(out, "access_token"), 1, &acc, &err), -1);
    assert_error(&err, 401, "oidc.invalid_token");
    json_decref(id);
    json_decref(at);
    json_decref(out);
    arena_free(a);
}

static void test_code_single_use(void **state)
{
    struct fixture *fx = *state;
    struct arena *a = arena_new(0);
    struct oidc_client_auth auth = basic(fx, NULL);
    char code[OIDC_TOKEN_SIZE];
    json_t *out = NULL, *again = NULL;
    struct err err;
    get_code(fx, "openid", NULL, 1, code);
    out = exchange(fx, a, code);
    assert_int_equal(access_ok(fx, str(out, "access_token")), 0);
    /* A replay is refused, and revokes what the first exchange issued. */
    assert_int_equal(
        token(fx, a, "authorization_code", code, VERIFIER, NULL, NULL, &auth, &again, &err), -1);
    assert_error(&err, 400, "oidc.invalid_grant");
    assert_null(again);
    assert_int_equal(access_ok(fx, str(out, "access_token")), -1);
    assert_int_equal(token(fx, a, "refresh_token", NULL, NULL, str(out, "refresh_token"), NULL,
                           &auth, &again, &err),
                     -1);
    assert_error(&err, 400, "oidc.invalid_grant");
    json_decref(out);

    /* A code that was never issued, and a malformed one. */
    assert_int_equal(token(fx, a, "authorization_code",
                           "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", VERIFIER, NULL, NULL,
                           &auth, &again, &err),
                     -1);
    assert_error(&err, 400, "oidc.invalid_grant");
    assert_int_equal(
        token(fx, a, "authorization_code", "x", VERIFIER, NULL, NULL, &auth, &again, &err), -1);
    assert_error(&err, 400, "oidc.invalid_grant");
    arena_free(a);
}

static void test_code_expired_and_mismatches(void **state)
{
    struct fixture *fx = *state;
    struct arena *a = arena_new(0);
    struct oidc_client_auth auth = basic(fx, NULL);
    char code[OIDC_TOKEN_SIZE];
    json_t *out = NULL;
    struct err err;

    get_code(fx, "openid", NULL, 1, code);
    fake_now += OIDC_CODE_TTL_S * 1000LL + 1;
    assert_int_equal(
        token(fx, a, "authorization_code", code, VERIFIER, NULL, NULL, &auth, &out, &err), -1);
    assert_error(&err, 400, "oidc.invalid_grant");
    assert_non_null(strstr(err.msg, "expired"));

    /* A wrong verifier spends the code: the right one afterwards is too late. */
    get_code(fx, "openid", NULL, 1, code);
    assert_int_equal(token(fx, a, "authorization_code", code,
                           "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXl", NULL, NULL, &auth, &out,
                           &err),
                     -1);
    assert_error(&err, 400, "oidc.invalid_grant");
    assert_non_null(strstr(err.msg, "code_verifier"));
    assert_int_equal(
        token(fx, a, "authorization_code", code, VERIFIER, NULL, NULL, &auth, &out, &err), -1);
    assert_error(&err, 400, "oidc.invalid_grant");

    /* A verifier that is not one at all is a malformed request. */
    get_code(fx, "openid", NULL, 1, code);
    assert_int_equal(
        token(fx, a, "authorization_code", code, "plain", NULL, NULL, &auth, &out, &err), -1);
    assert_error(&err, 400, "oidc.invalid_request");
    assert_int_equal(token(fx, a, "authorization_code", code, NULL, NULL, NULL, &auth, &out, &err),
                     -1);
    assert_error(&err, 400, "oidc.invalid_request");

    /* The redirect URI must be the request's. */
    struct oidc_token_request in = {0};
    in.grant_type = "authorization_code";
    in.code = code;
    in.redirect_uri = "http://127.0.0.1:9/cb";
    in.code_verifier = VERIFIER;
    in.auth = auth;
    err_clear(&err);
    assert_int_equal(oidc_token(fx->o, a, &in, &out, &err), -1);
    assert_error(&err, 400, "oidc.invalid_grant");

    /* Another client cannot use the code (and does not spend it). */
    get_code(fx, "openid", NULL, 1, code);
    struct oidc_client_auth wrong = basic(fx, "not-the-secret");
    assert_int_equal(
        token(fx, a, "authorization_code", code, VERIFIER, NULL, NULL, &wrong, &out, &err), -1);
    assert_error(&err, 401, "oidc.invalid_client");
    out = exchange(fx, a, code);
    json_decref(out);

    /* A disabled account gets no tokens, and no grant is left behind (on PostgreSQL the
     * statement that spends the code has inserted it: the refusal deletes it). */
    get_code(fx, "openid", NULL, 1, code);
    account_active = 0;
    int64_t grants0 = 0, grants1 = -1;
    struct store_conn *c = store_conn(fx->s, &err);
    assert_non_null(c);
    assert_int_equal(store_scalar_int64(c, "SELECT count(*) FROM oidc_grants", &grants0, &err), 1);
    assert_int_equal(
        token(fx, a, "authorization_code", code, VERIFIER, NULL, NULL, &auth, &out, &err), -1);
    assert_error(&err, 400, "oidc.invalid_grant");
    assert_int_equal(store_scalar_int64(c, "SELECT count(*) FROM oidc_grants", &grants1, &err), 1);
    assert_int_equal(grants1, grants0);
    arena_free(a);
}

static void test_refresh_rotation(void **state)
{
    struct fixture *fx = *state;
    struct arena *a = arena_new(0);
    struct oidc_client_auth auth = basic(fx, NULL);
    char code[OIDC_TOKEN_SIZE];
    json_t *first, *second = NULL, *third = NULL, *bad = NULL;
    struct err err;
    get_code(fx, "openid profile", "abc", 1, code);
    first = exchange(fx, a, code);
    const char *rt1 = str(first, "refresh_token");

    fake_now += 60000;
    assert_int_equal(token(fx, a, "refresh_token", NULL, NULL, rt1, NULL, &auth, &second, &err), 0);
    const char *rt2 = str(second, "refresh_token");
    assert_non_null(rt2);
    assert_string_not_equal(rt1, rt2);
    /* A refreshed ID token: same subject and auth_time, a new iat, no nonce. */
    json_t *id1 = claims(fx, str(first, "id_token")), *id2 = claims(fx, str(second, "id_token"));
    assert_string_equal(str(id1, "sub"), str(id2, "sub"));
    assert_int_equal(json_integer_value(json_object_get(id1, "auth_time")),
                     json_integer_value(json_object_get(id2, "auth_time")));
    assert_int_equal(json_integer_value(json_object_get(id2, "iat")) -
                         json_integer_value(json_object_get(id1, "iat")),
                     60);
    assert_null(json_object_get(id2, "nonce"));
    json_decref(id1);
    json_decref(id2);

    /* Narrowing the scope is allowed, widening is not. */
    assert_int_equal(
        token(fx, a, "refresh_token", NULL, NULL, rt2, "openid phone", &auth, &bad, &err), -1);
    assert_error(&err, 400, "oidc.invalid_scope");
    assert_int_equal(token(fx, a, "refresh_token", NULL, NULL, rt2, "openid", &auth, &third, &err),
                     0);
    assert_string_equal(str(third, "scope"), "openid");
    assert_int_equal(access_ok(fx, str(third, "access_token")), 0);

    /* The stolen first token comes back: the whole family is revoked. */
    assert_int_equal(token(fx, a, "refresh_token", NULL, NULL, rt1, NULL, &auth, &bad, &err), -1);
    assert_error(&err, 400, "oidc.invalid_grant");
    assert_int_equal(token(fx, a, "refresh_token", NULL, NULL, str(third, "refresh_token"), NULL,
                           &auth, &bad, &err),
                     -1);
    assert_error(&err, 400, "oidc.invalid_grant");
    assert_int_equal(access_ok(fx, str(third, "access_token")), -1);
    assert_int_equal(access_ok(fx, str(second, "access_token")), -1);

    /* Expiry of an idle refresh token. */
    json_decref(first);
    get_code(fx, "openid", NULL, 1, code);
    first = exchange(fx, a, code);
    fake_now += (int64_t)31 * 86400 * 1000;
    assert_int_equal(token(fx, a, "refresh_token", NULL, NULL, str(first, "refresh_token"), NULL,
                           &auth, &bad, &err),
                     -1);
    assert_error(&err, 400, "oidc.invalid_grant");
    json_decref(first);
    json_decref(second);
    json_decref(third);
    arena_free(a);
}

/* ---- client authentication, client credentials ------------------------------------------ */

static char *assertion(struct fixture *fx, const char *iss, const char *aud, int64_t exp_delta,
                       const char *jti)
{
    int64_t now = fake_now / 1000;
    json_t *p = json_pack("{s:s, s:s, s:s, s:I, s:I, s:s}", "iss", iss, "sub", iss, "aud", aud,
                          "iat", (json_int_t)now, "exp", (json_int_t)(now + exp_delta), "jti", jti);
    char *t = NULL;
    assert_int_equal(crypto_jws_sign(fx->client_key, p, &t), 0);
    json_decref(p);
    return t;
}

static struct oidc_client_auth jwt_auth(const char *client_id, const char *assertion_jwt)
{
    struct oidc_client_auth a = {0};
    a.client_id = client_id;
    a.assertion_type = OIDC_ASSERTION_TYPE;
    a.assertion = assertion_jwt;
    a.endpoint = ISSUER "/oauth2/token";
    return a;
}

static void test_private_key_jwt(void **state)
{
    struct fixture *fx = *state;
    struct arena *a = arena_new(0);
    json_t *out = NULL;
    struct err err;
    char jti[32];
    snprintf(jti, sizeof(jti), "jti-%lld", (long long)id_next());

    char *t = assertion(fx, fx->jwt_client_id, ISSUER, 60, jti);
    struct oidc_client_auth auth = jwt_auth(fx->jwt_client_id, t);
    assert_int_equal(token(fx, a, "client_credentials", NULL, NULL, NULL, NULL, &auth, &out, &err),
                     0);
    assert_string_equal(str(out, "scope"), "exchange:read exchange:write");
    assert_null(json_object_get(out, "refresh_token"));
    assert_null(json_object_get(out, "id_token"));
    json_t *at = claims(fx, str(out, "access_token"));
    assert_string_equal(str(at, "sub"), fx->jwt_client_id);
    assert_null(json_object_get(at, "gid"));
    json_decref(at);
    json_decref(out);
    out = NULL;
    /* The same assertion again: a replay. */
    assert_int_equal(token(fx, a, "client_credentials", NULL, NULL, NULL, NULL, &auth, &out, &err),
                     -1);
    assert_error(&err, 401, "oidc.invalid_client");
    free(t);

    /* client_id may be left out: the assertion's iss names the client. */
    snprintf(jti, sizeof(jti), "jti-%lld", (long long)id_next());
    t = assertion(fx, fx->jwt_client_id, ISSUER "/oauth2/token", 60, jti);
    auth = jwt_auth(NULL, t);
    assert_int_equal(
        token(fx, a, "client_credentials", NULL, NULL, NULL, "exchange:read", &auth, &out, &err),
        0);
    assert_string_equal(str(out, "scope"), "exchange:read");
    json_decref(out);
    out = NULL;
    free(t);

    /* Wrong audience, expired, too long-lived, iss of another client, wrong type. */
    struct {
        const char *iss, *aud;
        int64_t exp;
    } bad[] = {
        {fx->jwt_client_id, "https://other.example.cn", 60},
        {fx->jwt_client_id, ISSUER, -120},
        {fx->jwt_client_id, ISSUER, 3600},
        {fx->client_id, ISSUER, 60},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(jti, sizeof(jti), "jti-%lld", (long long)id_next());
        t = assertion(fx, bad[i].iss, bad[i].aud, bad[i].exp, jti);
        auth = jwt_auth(fx->jwt_client_id, t);
        assert_int_equal(
            token(fx, a, "client_credentials", NULL, NULL, NULL, NULL, &auth, &out, &err), -1);
        assert_error(&err, 401, "oidc.invalid_client");
        free(t);
    }
    snprintf(jti, sizeof(jti), "jti-%lld", (long long)id_next());
    t = assertion(fx, fx->jwt_client_id, ISSUER, 60, jti);
    auth = jwt_auth(fx->jwt_client_id, t);
    auth.assertion_type = "urn:ietf:params:oauth:client-assertion-type:saml2-bearer";
    assert_int_equal(token(fx, a, "client_credentials", NULL, NULL, NULL, NULL, &auth, &out, &err),
                     -1);
    assert_error(&err, 401, "oidc.invalid_client");
    /* A signature by a key that is not registered. */
    struct crypto_key *own = fx->client_key;
    assert_int_equal(crypto_key_generate(CRYPTO_KEY_ES256, &fx->client_key), 0);
    char *t2 = assertion(fx, fx->jwt_client_id, ISSUER, 60, "another-jti");
    crypto_key_free(fx->client_key);
    fx->client_key = own;
    auth = jwt_auth(fx->jwt_client_id, t2);
    assert_int_equal(token(fx, a, "client_credentials", NULL, NULL, NULL, NULL, &auth, &out, &err),
                     -1);
    assert_error(&err, 401, "oidc.invalid_client");
    free(t2);
    /* Basic authentication for a private_key_jwt client is refused. */
    auth = basic(fx, NULL);
    auth.basic_id = fx->jwt_client_id;
    assert_int_equal(token(fx, a, "client_credentials", NULL, NULL, NULL, NULL, &auth, &out, &err),
                     -1);
    assert_error(&err, 401, "oidc.invalid_client");
    /* Two methods at once. */
    auth = jwt_auth(fx->jwt_client_id, t);
    auth.basic_id = fx->client_id;
    auth.basic_secret = fx->secret;
    assert_int_equal(token(fx, a, "client_credentials", NULL, NULL, NULL, NULL, &auth, &out, &err),
                     -1);
    assert_error(&err, 400, "oidc.invalid_request");
    free(t);
    arena_free(a);
}

/* The count that `sql` (one parameter: a grant id) selects. */
static int64_t rows_of(struct fixture *fx, const char *sql, int64_t gid)
{
    struct err err;
    struct store_conn *c = store_conn(fx->s, &err);
    struct store_stmt *st = c ? store_prepare(c, sql, &err) : NULL;
    int64_t n = -1;
    if (st == NULL)
        fail_msg("rows_of: %s", err.msg);
    store_bind_int64(st, 1, gid);
    if (store_step(st, &err) == STORE_ROW)
        n = store_col_int64(st, 0);
    store_reset(st);
    return n;
}

/* The exchange's rows (issue 19): the code is spent and read in one statement, and the
 * grant carries its refresh token (one row written), while oidc_refresh_tokens keeps the
 * spent tokens only. Another client's exchange does not spend the code, a guessed token
 * of a real grant is refused without ending it, a spent one ends it. */
static void test_exchange_rows(void **state)
{
    struct fixture *fx = *state;
    struct arena *a = arena_new(0);
    struct oidc_client_auth auth = basic(fx, NULL);
    char code[OIDC_TOKEN_SIZE], jti[32];
    json_t *out = NULL, *bad = NULL, *next = NULL;
    struct err err;
    static const char grant_rows[] =
        "SELECT COUNT(*) FROM oidc_grants WHERE id = ? AND refresh_hash IS NOT NULL";
    static const char spent_rows[] =
        "SELECT COUNT(*) FROM oidc_refresh_tokens WHERE grant_id = ? AND used_at IS NOT NULL";
    static const char all_rows[] = "SELECT COUNT(*) FROM oidc_refresh_tokens WHERE grant_id = ?";

    get_code(fx, "openid", NULL, 1, code);
    snprintf(jti, sizeof(jti), "jti-%lld", (long long)id_next());
    char *t = assertion(fx, fx->jwt_client_id, ISSUER, 60, jti);
    struct oidc_client_auth other = jwt_auth(fx->jwt_client_id, t);
    assert_int_equal(
        token(fx, a, "authorization_code", code, VERIFIER, NULL, NULL, &other, &bad, &err), -1);
    assert_error(&err, 400, "oidc.invalid_grant");
    assert_non_null(strstr(err.msg, "another client"));
    free(t);
    out = exchange(fx, a, code); /* still unspent */

    const char *rt = str(out, "refresh_token");
    int64_t gid = oidc_refresh_grant(rt);
    assert_true(gid > 0);
    assert_int_equal(rows_of(fx, grant_rows, gid), 1);
    assert_int_equal(rows_of(fx, all_rows, gid), 0);

    /* The grant's id with a secret it never had: refused, and the grant lives on. */
    char guess[OIDC_REFRESH_SIZE];
    snprintf(guess, sizeof(guess), "%lld.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
             (long long)gid);
    assert_int_equal(token(fx, a, "refresh_token", NULL, NULL, guess, NULL, &auth, &bad, &err), -1);
    assert_error(&err, 400, "oidc.invalid_grant");
    assert_int_equal(access_ok(fx, str(out, "access_token")), 0);

    /* A refresh: the spent token moves to oidc_refresh_tokens, its successor is current. */
    assert_int_equal(token(fx, a, "refresh_token", NULL, NULL, rt, NULL, &auth, &next, &err), 0);
    assert_int_equal(rows_of(fx, grant_rows, gid), 1);
    assert_int_equal(rows_of(fx, spent_rows, gid), 1);
    assert_int_equal(oidc_refresh_grant(str(next, "refresh_token")), gid);
    /* The spent one again ends the family, the successor included. */
    assert_int_equal(token(fx, a, "refresh_token", NULL, NULL, rt, NULL, &auth, &bad, &err), -1);
    assert_error(&err, 400, "oidc.invalid_grant");
    assert_int_equal(access_ok(fx, str(next, "access_token")), -1);
    assert_int_equal(token(fx, a, "refresh_token", NULL, NULL, str(next, "refresh_token"), NULL,
                           &auth, &bad, &err),
                     -1);
    json_decref(out);
    json_decref(next);
    arena_free(a);
}

/* The claims are written as text unless a value needs escaping (then jansson writes
 * them): both give the same claims, a nonce with quotes, a backslash and Tibetan
 * letters included. */
static void test_claims_text(void **state)
{
    struct fixture *fx = *state;
    struct arena *a = arena_new(0);
    static const char *const nonces[] = {"n-0S6_WzA2Mj", "a\"b\\c བོད་ 藏\n"};
    static const char *const id_keys[] = {"iss", "sub", "aud", "exp",   "iat", "auth_time",
                                          "acr", "amr", "azp", "nonce", NULL};
    static const char *const at_keys[] = {"iss", "sub",       "aud",   "exp", "iat",
                                          "jti", "client_id", "scope", "gid", NULL};
    for (size_t i = 0; i < 2; i++) {
        char code[OIDC_TOKEN_SIZE];
        get_code(fx, "openid profile", nonces[i], 2, code);
        json_t *out = exchange(fx, a, code);
        json_t *id = claims(fx, str(out, "id_token")), *at = claims(fx, str(out, "access_token"));
        assert_string_equal(str(id, "nonce"), nonces[i]);
        assert_string_equal(str(id, "iss"), ISSUER);
        assert_string_equal(str(id, "acr"), "aal2");
        assert_int_equal(json_array_size(json_object_get(id, "amr")), 2);
        assert_string_equal(str(at, "scope"), "openid profile");
        assert_string_equal(str(at, "client_id"), fx->client_id);
        assert_int_equal(json_integer_value(json_object_get(id, "exp")) -
                             json_integer_value(json_object_get(id, "iat")),
                         OIDC_ID_TOKEN_TTL_S);
        size_t n = 0;
        for (; id_keys[n] != NULL; n++)
            assert_non_null(json_object_get(id, id_keys[n]));
        assert_int_equal(json_object_size(id), n);
        for (n = 0; at_keys[n] != NULL; n++)
            assert_non_null(json_object_get(at, at_keys[n]));
        assert_int_equal(json_object_size(at), n);
        /* The endpoint's answer written as text parses to the same object. */
        size_t len = 0;
        const char *text = oidc_token_answer(a, out, &len);
        assert_non_null(text);
        assert_int_equal(strlen(text), len);
        json_t *back = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
        assert_true(json_equal(back, out));
        json_decref(back);
        json_decref(id);
        json_decref(at);
        json_decref(out);
    }
    /* A member that would need escaping: the caller takes the JSON path. */
    json_t *odd = json_pack("{s:s, s:s, s:i, s:s}", "access_token", "a.b.c", "token_type", "Bearer",
                            "expires_in", 600, "scope", "openid \"x\"");
    size_t len = 0;
    assert_null(oidc_token_answer(a, odd, &len));
    json_decref(odd);
    arena_free(a);
}

static void test_client_secret(void **state)
{
    struct fixture *fx = *state;
    struct arena *a = arena_new(0);
    json_t *out = NULL;
    struct err err;
    struct oidc_client_auth auth = basic(fx, NULL);
    assert_int_equal(token(fx, a, "client_credentials", NULL, NULL, NULL, NULL, &auth, &out, &err),
                     0);
    assert_string_equal(str(out, "scope"), "exchange:read");
    json_decref(out);
    out = NULL;
    /* Person scopes mean nothing without a person. */
    assert_int_equal(
        token(fx, a, "client_credentials", NULL, NULL, NULL, "openid", &auth, &out, &err), -1);
    assert_error(&err, 400, "oidc.invalid_scope");

    auth = basic(fx, "wrong");
    assert_int_equal(token(fx, a, "client_credentials", NULL, NULL, NULL, NULL, &auth, &out, &err),
                     -1);
    assert_error(&err, 401, "oidc.invalid_client");
    auth.basic_id = "ffffffffffffffffffffffffffffffff";
    auth.basic_secret = fx->secret;
    assert_int_equal(token(fx, a, "client_credentials", NULL, NULL, NULL, NULL, &auth, &out, &err),
                     -1);
    assert_error(&err, 401, "oidc.invalid_client");
    struct oidc_client_auth post = {0};
    post.client_id = fx->client_id;
    post.client_secret = fx->secret;
    assert_int_equal(token(fx, a, "client_credentials", NULL, NULL, NULL, NULL, &post, &out, &err),
                     -1);
    assert_error(&err, 401, "oidc.invalid_client");
    struct oidc_client_auth none = {0};
    assert_int_equal(token(fx, a, "client_credentials", NULL, NULL, NULL, NULL, &none, &out, &err),
                     -1);
    assert_error(&err, 401, "oidc.invalid_client");
    auth = basic(fx, NULL);
    assert_int_equal(token(fx, a, "password", NULL, NULL, NULL, NULL, &auth, &out, &err), -1);
    assert_error(&err, 400, "oidc.unsupported_grant_type");
    assert_int_equal(token(fx, a, NULL, NULL, NULL, NULL, NULL, &auth, &out, &err), -1);
    assert_error(&err, 400, "oidc.invalid_request");
    arena_free(a);
}

/* ---- refused tokens, revocation, keys ---------------------------------------------------- */

static char *b64(struct arena *a, const char *s)
{
    char *out = arena_alloc(a, CRYPTO_B64URL_LEN(strlen(s)) + 1);
    crypto_b64url_encode(s, strlen(s), out, CRYPTO_B64URL_LEN(strlen(s)) + 1);
    return out;
}

static void test_forged_tokens(void **state)
{
    struct fixture *fx = *state;
    struct arena *a = arena_new(0);
    struct oidc_access acc;
    struct err err;
    char code[OIDC_TOKEN_SIZE];
    get_code(fx, "openid", NULL, 1, code);
    json_t *out = exchange(fx, a, code);
    const char *at = str(out, "access_token");
    const char *dot = strchr(at, '.'), *dot2 = strchr(dot + 1, '.');

    /* alg=none with the genuine payload and no signature. */
    char *none = arena_printf(a, "%s.%.*s.", b64(a, "{\"alg\":\"none\",\"typ\":\"JWT\"}"),
                              (int)(dot2 - dot - 1), dot + 1);
    assert_int_equal(oidc_access_verify(fx->o, a, none, 1, &acc, &err), -1);
    assert_error(&err, 401, "oidc.invalid_token");
    /* The payload changed (another scope), the signature kept. */
    json_t *p = claims(fx, at);
    json_object_set_new(p, "scope", json_string("openid id_number"));
    char *text = json_dumps(p, JSON_COMPACT);
    char *tampered = arena_printf(a, "%.*s.%s%s", (int)(dot - at), at, b64(a, text), dot2);
    free(text);
    json_decref(p);
    assert_int_equal(oidc_access_verify(fx->o, a, tampered, 1, &acc, &err), -1);
    assert_error(&err, 401, "oidc.invalid_token");
    /* HS256 signed with the public key as the secret (algorithm confusion). */
    char *hs = arena_printf(a, "%s%s", b64(a, "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"), dot);
    assert_int_equal(oidc_access_verify(fx->o, a, hs, 1, &acc, &err), -1);
    assert_int_equal(oidc_access_verify(fx->o, a, "garbage", 1, &acc, &err), -1);
    assert_int_equal(oidc_access_verify(fx->o, a, at, 1, &acc, &err), 0);
    json_decref(out);
    arena_free(a);
}

static void test_revoke(void **state)
{
    struct fixture *fx = *state;
    struct arena *a = arena_new(0);
    struct oidc_client_auth auth = basic(fx, NULL);
    char code[OIDC_TOKEN_SIZE];
    struct err err;
    json_t *bad = NULL;
    get_code(fx, "openid", NULL, 1, code);
    json_t *out = exchange(fx, a, code);
    /* Unknown tokens are fine (RFC 7009 §2.2); the other client cannot revoke ours. */
    assert_int_equal(oidc_revoke(fx->o, a, &auth, "nonsense", "127.0.0.1", &err), 0);
    assert_int_equal(access_ok(fx, str(out, "access_token")), 0);
    assert_int_equal(oidc_revoke(fx->o, a, &auth, str(out, "refresh_token"), "127.0.0.1", &err), 0);
    assert_int_equal(access_ok(fx, str(out, "access_token")), -1);
    assert_int_equal(token(fx, a, "refresh_token", NULL, NULL, str(out, "refresh_token"), NULL,
                           &auth, &bad, &err),
                     -1);
    json_decref(out);
    /* Revoking by the access token. */
    get_code(fx, "openid", NULL, 1, code);
    out = exchange(fx, a, code);
    assert_int_equal(oidc_revoke(fx->o, a, &auth, str(out, "access_token"), "127.0.0.1", &err), 0);
    assert_int_equal(access_ok(fx, str(out, "access_token")), -1);
    json_decref(out);
    struct oidc_client_auth wrong = basic(fx, "x");
    assert_int_equal(oidc_revoke(fx->o, a, &wrong, "t", "127.0.0.1", &err), -1);
    assert_error(&err, 401, "oidc.invalid_client");
    arena_free(a);
}

static void test_id_token_hint(void **state)
{
    struct fixture *fx = *state;
    struct arena *a = arena_new(0);
    char code[OIDC_TOKEN_SIZE], sub[OIDC_SUB_SIZE];
    const char *client = NULL, *hint_sub = NULL;
    struct err err;
    get_code(fx, "openid", NULL, 1, code);
    json_t *out = exchange(fx, a, code);
    fake_now += 3600 * 1000LL; /* expired hints are still hints */
    assert_int_equal(oidc_id_token_hint(fx->o, a, str(out, "id_token"), &client, &hint_sub, &err),
                     0);
    assert_string_equal(client, fx->client_id);
    assert_int_equal(oidc_pairwise_sub(fx->o, fx->client_id, ACCOUNT, sub), 0);
    assert_string_equal(hint_sub, sub);
    /* An access token is not a hint. */
    assert_int_equal(
        oidc_id_token_hint(fx->o, a, str(out, "access_token"), &client, &hint_sub, &err), -1);
    json_decref(out);
    arena_free(a);
}

static void test_consent(void **state)
{
    struct fixture *fx = *state;
    struct err err;
    int covered = 0;
    char code[OIDC_TOKEN_SIZE];
    assert_int_equal(
        oidc_consent_covers(fx->o, ACCOUNT + 1, fx->client_id, "openid", &covered, &err), 0);
    assert_false(covered);
    get_code(fx, "openid profile", NULL, 1, code); /* remembers the consent for ACCOUNT */
    assert_int_equal(
        oidc_consent_covers(fx->o, ACCOUNT, fx->client_id, "openid profile", &covered, &err), 0);
    assert_true(covered);
    assert_int_equal(
        oidc_consent_covers(fx->o, ACCOUNT, fx->client_id, "openid id_number", &covered, &err), 0);
    assert_false(covered);
    assert_int_equal(
        oidc_consent_covers(fx->o, ACCOUNT, fx->jwt_client_id, "openid", &covered, &err), 0);
    assert_false(covered);
}

static void test_key_rotation(void **state)
{
    struct fixture *fx = *state;
    struct arena *a = arena_new(0);
    struct err err;
    char code[OIDC_TOKEN_SIZE], kid[OIDC_KID_SIZE];
    get_code(fx, "openid", NULL, 1, code);
    json_t *old = exchange(fx, a, code);

    /* Announced for later: published at once, not signing yet. */
    assert_int_equal(oidc_keys_rotate(fx->s, fx->kr, 120, kid, &err), 0);
    assert_int_equal(oidc_keys_reload(fx->o, &err), 0);
    struct oidc_snap *s = oidc_snap_get(fx->o);
    size_t n = s->nkeys;
    assert_true(n >= 2);
    assert_non_null(strstr(s->jwks, kid));
    assert_string_not_equal(crypto_key_kid(oidc_signing_key(s, fake_now)), kid);
    assert_string_equal(crypto_key_kid(oidc_signing_key(s, fake_now + 121000)), kid);
    oidc_snap_put(s);

    /* Once active, new tokens carry the new kid; the old tokens still verify. */
    fake_now += 121000;
    get_code(fx, "openid", NULL, 1, code);
    json_t *fresh = exchange(fx, a, code);
    const char *idt = str(fresh, "id_token");
    const char *dot = strchr(idt, '.');
    unsigned char raw[512];
    size_t rn = 0;
    assert_int_equal(crypto_b64url_decode(idt, (size_t)(dot - idt), raw, sizeof(raw), &rn), 0);
    json_t *h = json_loadb((const char *)raw, rn, 0, NULL);
    assert_string_equal(str(h, "kid"), kid);
    assert_string_equal(str(h, "alg"), "ES256");
    json_decref(h);
    assert_int_equal(access_ok(fx, str(old, "access_token")), 0);
    json_decref(fresh);
    json_decref(old);
    arena_free(a);
}

/* Refusals and reuse are audited: code reuse, refresh reuse, failed client authentication. */
static void test_audit(void **state)
{
    struct fixture *fx = *state;
    struct arena *a = arena_new(0);
    struct oidc_client_auth auth = basic(fx, NULL), wrong = basic(fx, "wrong");
    char code[OIDC_TOKEN_SIZE];
    json_t *out, *bad = NULL;
    struct err err;
    get_code(fx, "openid", NULL, 1, code);
    out = exchange(fx, a, code);
    assert_int_equal(
        token(fx, a, "authorization_code", code, VERIFIER, NULL, NULL, &auth, &bad, &err), -1);
    json_t *r1 = NULL;
    assert_int_equal(token(fx, a, "refresh_token", NULL, NULL, str(out, "refresh_token"), NULL,
                           &auth, &r1, &err),
                     -1); /* the family died with the code's replay */
    assert_int_equal(token(fx, a, "client_credentials", NULL, NULL, NULL, NULL, &wrong, &bad, &err),
                     -1);
    json_decref(out);

    struct store_conn *c = store_conn(fx->s, &err);
    struct audit_row *rows = NULL;
    size_t n = 0;
    /* The newest records, newest first: this test's story. */
    assert_int_equal(audit_list(c, a, 0, "oidc.", 8, &rows, &n, &err), 0);
    assert_true(n >= 6);
    const char *want[][2] = {
        {"oidc.client_auth", "failed"}, {"oidc.token", "denied"}, {"oidc.code_reuse", "denied"},
        {"oidc.token", "ok"},           {"oidc.code", "ok"},      {"oidc.consent", "ok"}};
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        assert_string_equal(rows[i].action, want[i][0]);
        assert_string_equal(rows[i].outcome, want[i][1]);
    }
    assert_int_equal(rows[2].actor_id, ACCOUNT);
    assert_string_equal(rows[2].object, arena_printf(a, "client:%s", fx->client_id));
    assert_non_null(strstr(rows[2].detail, "invalid_grant"));
    for (size_t i = 0; i < n; i++) /* never a code or token in a record */
        assert_null(rows[i].detail ? strstr(rows[i].detail, code) : NULL);
    arena_free(a);
}

static void test_purge(void **state)
{
    struct fixture *fx = *state;
    struct arena *a = arena_new(0);
    struct oidc_client_auth auth = basic(fx, NULL);
    char code[OIDC_TOKEN_SIZE];
    struct err err;
    json_t *bad = NULL;
    int64_t removed = 0;
    get_code(fx, "openid", NULL, 1, code);
    json_t *old = exchange(fx, a, code);
    /* A grant ends (90 days) and is kept 30 more; then it and its tokens go. */
    fake_now += (int64_t)(90 + 31) * 86400 * 1000;
    get_code(fx, "openid", NULL, 1, code);
    json_t *fresh = exchange(fx, a, code);
    assert_int_equal(oidc_purge_expired(fx->o, &removed, &err), 0);
    /* (The exchange above ran the periodic purge already: the clock jumped.) */
    assert_true(removed >= 0);
    assert_int_equal(token(fx, a, "refresh_token", NULL, NULL, str(old, "refresh_token"), NULL,
                           &auth, &bad, &err),
                     -1);
    assert_error(&err, 400, "oidc.invalid_grant");
    assert_non_null(strstr(err.msg, "not valid")); /* gone, not merely expired */
    json_t *next = NULL;
    assert_int_equal(token(fx, a, "refresh_token", NULL, NULL, str(fresh, "refresh_token"), NULL,
                           &auth, &next, &err),
                     0);
    json_decref(next);
    json_decref(old);
    json_decref(fresh);
    arena_free(a);
}

static uint64_t steps_now(struct fixture *fx)
{
    uint64_t steps = 0, micros = 0;
    store_stats(fx->s, &steps, &micros);
    return steps;
}

/* The code exchange takes its client from the cache after the first time (one statement
 * less), and a client removed after it was cached gets no tokens. */
static void test_client_cache(void **state)
{
    struct fixture *fx = *state;
    struct arena *a = arena_new(0);
    char saved_id[OIDC_CLIENT_ID_SIZE], saved_secret[OIDC_SECRET_SIZE];
    memcpy(saved_id, fx->client_id, sizeof(saved_id));
    memcpy(saved_secret, fx->secret, sizeof(saved_secret));
    const char *redirects[] = {RP_CB};
    struct oidc_client_spec spec = {.name = "Cached",
                                    .redirect_uris = redirects,
                                    .nredirect_uris = 1,
                                    .scopes = "openid",
                                    .grant_types = "authorization_code refresh_token"};
    struct oidc_field_errors fe;
    struct err err;
    assert_int_equal(
        oidc_client_add(fx->s, fx->kr, 0, NULL, &spec, fx->client_id, fx->secret, &fe, &err), 0);
    char c1[OIDC_TOKEN_SIZE], c2[OIDC_TOKEN_SIZE], c3[OIDC_TOKEN_SIZE];
    get_code(fx, "openid", NULL, 1, c1);
    get_code(fx, "openid", NULL, 1, c2);
    get_code(fx, "openid", NULL, 1, c3);
    uint64_t s0 = steps_now(fx);
    json_decref(exchange(fx, a, c1)); /* reads the client and caches it */
    uint64_t s1 = steps_now(fx);
    json_decref(exchange(fx, a, c2)); /* from the cache */
    uint64_t s2 = steps_now(fx);
    assert_true(s2 - s1 < s1 - s0);
    assert_int_equal(oidc_client_remove(fx->s, 0, "127.0.0.1", fx->client_id, &err), 0);
    struct oidc_client_auth auth = basic(fx, NULL);
    json_t *out = NULL;
    assert_int_equal(
        token(fx, a, "authorization_code", c3, VERIFIER, NULL, NULL, &auth, &out, &err), -1);
    assert_error(&err, 401, "oidc.invalid_client");
    assert_null(out);
    memcpy(fx->client_id, saved_id, sizeof(saved_id));
    memcpy(fx->secret, saved_secret, sizeof(saved_secret));
    arena_free(a);
}

/* The token exchange's account check (identity_account_active, the hook oidc_http.c
 * wires): a registered account is active; disabled or unknown, it is not. */
static void test_account_active(void **state)
{
    struct fixture *fx = *state;
    struct identity *id = NULL;
    struct err err;
    err_clear(&err);
    assert_int_equal(
        identity_open(fx->s, fx->kr, &(struct identity_options){.fast_passwords = 1}, &id, &err),
        0);
    char id17[] = "54010219900101777", idn[24], sql[128];
    snprintf(idn, sizeof(idn), "%s%c", id17, idcode_citizen_check(id17));
    struct identity_registration in = {
        "卓玛", idn, "13900007777", "Secret-passw0rd", "Secret-passw0rd", "bo"};
    struct identity_field_errors fe;
    memset(&fe, 0, sizeof(fe));
    int64_t account = 0;
    assert_int_equal(identity_register_citizen(id, &in, "127.0.0.1", &account, &fe, &err), 0);
    assert_int_equal(identity_account_active(id, account, &err), 1);
    assert_int_equal(identity_account_active(id, account + 1, &err), 0);
    struct store_conn *c = store_conn(fx->s, &err);
    assert_non_null(c);
    snprintf(sql, sizeof(sql), "UPDATE accounts SET status = 'disabled' WHERE id = %lld",
             (long long)account);
    assert_int_equal(store_exec(c, sql, &err), 0);
    assert_int_equal(identity_account_active(id, account, &err), 0);
    identity_close(id);
}

int main(void)
{
    const struct CMUnitTest pure[] = {
        cmocka_unit_test(test_pkce),
        cmocka_unit_test(test_scopes),
        cmocka_unit_test(test_refresh_format),
        cmocka_unit_test(test_basic_credentials),
        cmocka_unit_test(test_client_validate),
    };
    const struct CMUnitTest backend[] = {
        cmocka_unit_test_setup(test_redirect_uri_exact, reset_clock),
        cmocka_unit_test_setup(test_authorize_params, reset_clock),
        cmocka_unit_test_setup(test_login_mark, reset_clock),
        cmocka_unit_test_setup(test_code_exchange_and_claims, reset_clock),
        cmocka_unit_test_setup(test_code_single_use, reset_clock),
        cmocka_unit_test_setup(test_code_expired_and_mismatches, reset_clock),
        cmocka_unit_test_setup(test_refresh_rotation, reset_clock),
        cmocka_unit_test_setup(test_private_key_jwt, reset_clock),
        cmocka_unit_test_setup(test_exchange_rows, reset_clock),
        cmocka_unit_test_setup(test_claims_text, reset_clock),
        cmocka_unit_test_setup(test_client_secret, reset_clock),
        cmocka_unit_test_setup(test_forged_tokens, reset_clock),
        cmocka_unit_test_setup(test_revoke, reset_clock),
        cmocka_unit_test_setup(test_id_token_hint, reset_clock),
        cmocka_unit_test_setup(test_consent, reset_clock),
        cmocka_unit_test_setup(test_key_rotation, reset_clock),
        cmocka_unit_test_setup(test_audit, reset_clock),
        cmocka_unit_test_setup(test_purge, reset_clock),
        cmocka_unit_test_setup(test_account_active, reset_clock),
        cmocka_unit_test_setup(test_client_cache, reset_clock),
    };
    int failed = 0;
    failed += cmocka_run_group_tests_name("oidc", pure, NULL, NULL);
    failed += cmocka_run_group_tests_name("oidc/sqlite", backend, sqlite_setup, sqlite_teardown);
    if (getenv("ONEWINDOW_TEST_PG_URL") != NULL && *getenv("ONEWINDOW_TEST_PG_URL") != '\0')
        failed += cmocka_run_group_tests_name("oidc/postgresql", backend, pg_setup, pg_teardown);
    else
        printf("oidc/postgresql: skipped (set ONEWINDOW_TEST_PG_URL, see scripts/pg-test.sh)\n");
    return failed != 0;
}
