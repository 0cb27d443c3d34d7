/*
 * exchange_rest.c - the connector to a department's own REST API (libcurl), used for a
 * resource whose catalog document has an "endpoint":
 *     "endpoint": {"url": "https://ga.example/api/population", "timeout_ms": 3000,
 *                  "complete": true}
 * A record is GET URL/KEY (the key percent-encoded), Accept: application/json. 200 with a JSON
 * object is the record; 404 is "no record"; a timeout is 504 exchange.provider_timeout;
 * anything else (another status, a body that is not a JSON object, more than
 * EXCHANGE_REST_MAX_BODY bytes, a refused connection) is 502 exchange.provider_failed. The
 * answer is parsed whole before anything is returned: never part of a record.
 *
 * A department that wants the platform to authenticate adds "auth" to the endpoint:
 *     "auth": {"token_url": "https://ga.example/oauth/token", "client_id": "onewindow",
 *              "client_secret_file": "/etc/onewindow/ga.secret", "scope": "population"}
 * The platform then gets an OAuth 2.0 access token with the client credentials grant (RFC
 * 6749 §4.4: POST grant_type=client_credentials, the client authenticated with HTTP Basic
 * as §2.3.1 says, form-encoded id and secret), sends it as "Authorization: Bearer" (RFC
 * 6750 §2.1), and keeps it until 30 s before its expires_in (at most EXCHANGE_TOKEN_MAX_S),
 * so that reads do not each cost a token request. A 401 from the API with a cached token
 * gets one new token and one retry (the department may have revoked it). The secret is
 * read from its file (0600, one line, at most 256 bytes) when a token is needed and wiped
 * after; it is never in the database, the catalog page or the log. A token endpoint that
 * times out is 504, one that refuses or answers garbage 502.
 * Not yet: mutual TLS with a certificate from the platform's trust root.
 */
#include "exchange/exchange_internal.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/id.h"
#include "crypto/crypto.h"

#define EXCHANGE_REST_MAX_BODY (64 * 1024)
#define EXCHANGE_TOKEN_MAX 2048   /* an access token, bytes */
#define EXCHANGE_TOKEN_MAX_S 3600 /* kept at most this long whatever expires_in says */
#define EXCHANGE_SECRET_MAX 256
#define TOKEN_SLOTS 16
#define TOKEN_KEY_MAX 1300 /* token_url, client_id, client_secret_file, scope, as checked */

/* The access tokens of the departments' token endpoints, keyed by token URL, client id,
 * secret file and scope (a token of one set of credentials never serves another):
 * this file's own state, guarded by its lock (a token is copied out under it). */
static struct {
    char key[TOKEN_KEY_MAX];
    char token[EXCHANGE_TOKEN_MAX];
    int64_t expires_ms;
} tokens[TOKEN_SLOTS];
static pthread_mutex_t tokens_lock = PTHREAD_MUTEX_INITIALIZER;

struct sink {
    struct buf b;
    int too_big;
};

static size_t collect(char *p, size_t size, size_t n, void *ctx)
{
    struct sink *s = ctx;
    if (buf_append(&s->b, p, size * n) < 0) {
        s->too_big = 1;
        return 0; /* stops the transfer */
    }
    return size * n;
}

int exchange_endpoint_check(const json_t *ep, struct err *err)
{
    const char *url = json_string_value(json_object_get(ep, "url"));
    json_int_t t = json_integer_value(json_object_get(ep, "timeout_ms"));
    if (!json_is_object(ep) || url == NULL || strlen(url) > 400 ||
        (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) ||
        strpbrk(url, "?# ") != NULL)
        return err_set(err, 400, "exchange.bad_resource",
                       "endpoint.url: an http(s) URL without query or fragment");
    if (t < 100 || t > 30000)
        return err_set(err, 400, "exchange.bad_resource", "endpoint.timeout_ms: 100 to 30000");
    const json_t *auth = json_object_get(ep, "auth");
    if (auth == NULL || json_is_null(auth))
        return 0;
    const char *tu = json_string_value(json_object_get(auth, "token_url"));
    const char *id = json_string_value(json_object_get(auth, "client_id"));
    const char *sf = json_string_value(json_object_get(auth, "client_secret_file"));
    const json_t *scope = json_object_get(auth, "scope");
    if (!json_is_object(auth) || tu == NULL || strlen(tu) > 400 ||
        (strncmp(tu, "http://", 7) != 0 && strncmp(tu, "https://", 8) != 0) || id == NULL ||
        *id == '\0' || strlen(id) > 100 || sf == NULL || sf[0] != '/' || strlen(sf) > 400 ||
        (scope != NULL && (!json_is_string(scope) || strlen(json_string_value(scope)) > 200)))
        return err_set(err, 400, "exchange.bad_resource",
                       "endpoint.auth: token_url (http(s)), client_id, client_secret_file (an "
                       "absolute path) and an optional scope");
    return 0;
}

/* The client secret from its file: one line, at most EXCHANGE_SECRET_MAX bytes. */
static int read_secret(const char *path, char out[EXCHANGE_SECRET_MAX + 2], struct err *err)
{
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(out, 1, EXCHANGE_SECRET_MAX + 1, f) : 0;
    if (f != NULL)
        fclose(f);
    while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
        n--;
    out[n] = '\0';
    if (f == NULL || n == 0 || n > EXCHANGE_SECRET_MAX || memchr(out, '\n', n) != NULL) {
        crypto_wipe(out, EXCHANGE_SECRET_MAX + 2);
        return err_set(err, 502, "exchange.provider_failed",
                       "the client secret for the provider cannot be read");
    }
    return 0;
}

static void slot_key(const json_t *auth, char key[TOKEN_KEY_MAX])
{
    const char *scope = json_string_value(json_object_get(auth, "scope"));
    snprintf(key, TOKEN_KEY_MAX, "%s\n%s\n%s\n%s",
             json_string_value(json_object_get(auth, "token_url")),
             json_string_value(json_object_get(auth, "client_id")),
             json_string_value(json_object_get(auth, "client_secret_file")), scope ? scope : "");
}

/* A cached token that is still good: 1 with it copied into `out`, else 0. */
static int token_cached(const json_t *auth, char out[EXCHANGE_TOKEN_MAX])
{
    char key[TOKEN_KEY_MAX];
    int hit = 0;
    slot_key(auth, key);
    int64_t now = time_now_ms();
    pthread_mutex_lock(&tokens_lock);
    for (size_t i = 0; i < TOKEN_SLOTS && !hit; i++)
        if (strcmp(tokens[i].key, key) == 0 && tokens[i].expires_ms > now) {
            memcpy(out, tokens[i].token, EXCHANGE_TOKEN_MAX);
            hit = 1;
        }
    pthread_mutex_unlock(&tokens_lock);
    return hit;
}

/* Keep a token (replacing this key's, else the slot that expires first); `ttl_ms` 0 drops it. */
static void token_keep(const json_t *auth, const char *token, int64_t ttl_ms)
{
    char key[TOKEN_KEY_MAX];
    slot_key(auth, key);
    pthread_mutex_lock(&tokens_lock);
    size_t at = 0;
    for (size_t i = 0; i < TOKEN_SLOTS; i++) {
        if (strcmp(tokens[i].key, key) == 0) {
            at = i;
            break;
        }
        if (tokens[i].expires_ms < tokens[at].expires_ms)
            at = i;
    }
    crypto_wipe(tokens[at].token, sizeof(tokens[at].token));
    snprintf(tokens[at].key, sizeof(tokens[at].key), "%s", key);
    snprintf(tokens[at].token, sizeof(tokens[at].token), "%s", token ? token : "");
    tokens[at].expires_ms = ttl_ms > 0 ? time_now_ms() + ttl_ms : 0;
    pthread_mutex_unlock(&tokens_lock);
}

/* The client credentials grant at the department's token endpoint (RFC 6749 §4.4). */
static int token_request(const json_t *auth, long timeout, char out[EXCHANGE_TOKEN_MAX],
                         struct err *err)
{
    char secret[EXCHANGE_SECRET_MAX + 2], basic[1024], b64[1400];
    struct sink s = {.too_big = 0};
    struct curl_slist *h = NULL;
    char *eid = NULL, *esec = NULL, *escope = NULL, *body = NULL, *hdr = NULL;
    long status = 0;
    int rc = -1;
    json_t *r = NULL;
    const char *scope = json_string_value(json_object_get(auth, "scope"));
    buf_init(&s.b, EXCHANGE_REST_MAX_BODY);
    CURL *c = curl_easy_init();
    if (read_secret(json_string_value(json_object_get(auth, "client_secret_file")), secret, err) <
        0)
        goto out;
    if (c == NULL ||
        (eid = curl_easy_escape(c, json_string_value(json_object_get(auth, "client_id")), 0)) ==
            NULL ||
        (esec = curl_easy_escape(c, secret, 0)) == NULL ||
        (scope != NULL && (escope = curl_easy_escape(c, scope, 0)) == NULL) ||
        snprintf(basic, sizeof(basic), "%s:%s", eid, esec) >= (int)sizeof(basic) ||
        crypto_base64_encode(basic, strlen(basic), b64, sizeof(b64)) < 0 ||
        (hdr = malloc(strlen(b64) + 32)) == NULL ||
        (body = malloc(64 + (escope ? strlen(escope) : 0))) == NULL) {
        err_set(err, 500, "exchange.oom", "out of memory");
        goto out;
    }
    sprintf(hdr, "Authorization: Basic %s", b64);
    sprintf(body, "grant_type=client_credentials%s%s", escope ? "&scope=" : "",
            escope ? escope : "");
    if ((h = curl_slist_append(NULL, hdr)) == NULL ||
        curl_slist_append(h, "Accept: application/json") == NULL) {
        err_set(err, 500, "exchange.oom", "out of memory");
        goto out;
    }
    curl_easy_setopt(c, CURLOPT_URL, json_string_value(json_object_get(auth, "token_url")));
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout < 2000 ? timeout : 2000L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
    CURLcode cr = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    r = cr == CURLE_OK && status == 200 && s.b.data ? json_loadb(s.b.data, s.b.len, 0, NULL) : NULL;
    const char *tok = json_string_value(json_object_get(r, "access_token"));
    const char *type = json_string_value(json_object_get(r, "token_type"));
    json_int_t expires = json_integer_value(json_object_get(r, "expires_in"));
    if (cr == CURLE_OPERATION_TIMEDOUT) {
        err_set(err, 504, "exchange.provider_timeout",
                "the provider's token endpoint did not answer in %ld ms", timeout);
    } else if (tok == NULL || *tok == '\0' || strlen(tok) >= EXCHANGE_TOKEN_MAX ||
               strpbrk(tok, " \r\n") != NULL || type == NULL || strcasecmp(type, "bearer") != 0) {
        err_set(err, 502, "exchange.provider_failed",
                "the provider's token endpoint gave no bearer token (HTTP %ld, %s)", status,
                cr != CURLE_OK ? curl_easy_strerror(cr) : "no access_token");
    } else {
        snprintf(out, EXCHANGE_TOKEN_MAX, "%s", tok);
        if (expires <= 0 || expires > EXCHANGE_TOKEN_MAX_S)
            expires = expires <= 0 ? 60 : EXCHANGE_TOKEN_MAX_S;
        token_keep(auth, out, (expires > 60 ? expires - 30 : expires / 2) * 1000LL);
        rc = 0;
    }
out:
    crypto_wipe(secret, sizeof(secret));
    crypto_wipe(basic, sizeof(basic));
    crypto_wipe(b64, sizeof(b64));
    if (hdr != NULL)
        crypto_wipe(hdr, strlen(hdr));
    if (esec != NULL)
        crypto_wipe(esec, strlen(esec));
    if (s.b.data != NULL)
        crypto_wipe(s.b.data, s.b.len);
    json_decref(r);
    curl_slist_free_all(h);
    free(hdr);
    free(body);
    curl_free(eid);
    curl_free(esec);
    curl_free(escope);
    if (c != NULL)
        curl_easy_cleanup(c);
    buf_free(&s.b);
    return rc;
}

/* One GET of the record, with `bearer` when not NULL; *status the HTTP status. */
static int fetch_once(const json_t *ep, const char *key, const char *bearer, long *out_status,
                      json_t **record, struct err *err)
{
    const char *base = json_string_value(json_object_get(ep, "url"));
    long timeout = (long)json_integer_value(json_object_get(ep, "timeout_ms"));
    struct sink s = {.too_big = 0};
    struct curl_slist *h = NULL;
    char *esc = NULL, *url = NULL;
    long status = 0;
    int rc = -1;
    char *auth = NULL;
    *record = NULL;
    buf_init(&s.b, EXCHANGE_REST_MAX_BODY);
    CURL *c = curl_easy_init();
    if (c == NULL || (esc = curl_easy_escape(c, key, 0)) == NULL ||
        (url = malloc(strlen(base) + strlen(esc) + 2)) == NULL ||
        (h = curl_slist_append(NULL, "Accept: application/json")) == NULL ||
        (bearer != NULL && ((auth = malloc(strlen(bearer) + 32)) == NULL ||
                            sprintf(auth, "Authorization: Bearer %s", bearer) < 0 ||
                            curl_slist_append(h, auth) == NULL))) {
        err_set(err, 500, "exchange.oom", "out of memory");
        goto out;
    }
    strcpy(url, base);
    strcat(url, "/");
    strcat(url, esc);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout < 2000 ? timeout : 2000L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
    CURLcode cr = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    *out_status = status;
    if (cr == CURLE_OPERATION_TIMEDOUT) {
        err_set(err, 504, "exchange.provider_timeout", "the provider did not answer in %ld ms",
                timeout);
    } else if (cr != CURLE_OK || s.too_big) {
        err_set(err, 502, "exchange.provider_failed", "the provider could not be read: %s",
                s.too_big ? "answer too large" : curl_easy_strerror(cr));
    } else if (status == 404) {
        rc = 1;
    } else if (status != 200) {
        err_set(err, 502, "exchange.provider_failed", "the provider answered %ld", status);
    } else {
        json_t *r = s.b.data ? json_loadb(s.b.data, s.b.len, 0, NULL) : NULL;
        if (!json_is_object(r)) {
            json_decref(r);
            err_set(err, 502, "exchange.provider_failed", "the provider's answer is not a record");
        } else {
            *record = r;
            rc = 0;
        }
    }
out:
    if (auth != NULL) {
        crypto_wipe(auth, strlen(auth));
        free(auth);
    }
    curl_slist_free_all(h);
    free(url);
    curl_free(esc);
    if (c != NULL)
        curl_easy_cleanup(c);
    buf_free(&s.b);
    return rc;
}

int exchange_rest_fetch(void *ctx, const char *resource, const char *key, json_t **record,
                        struct err *err)
{
    const json_t *ep = ctx;
    const json_t *auth = json_object_get(ep, "auth");
    long timeout = (long)json_integer_value(json_object_get(ep, "timeout_ms"));
    char token[EXCHANGE_TOKEN_MAX];
    long status = 0;
    (void)resource;
    if (!json_is_object(auth))
        return fetch_once(ep, key, NULL, &status, record, err);
    int cached = token_cached(auth, token);
    if (!cached && token_request(auth, timeout, token, err) < 0)
        return -1;
    int rc = fetch_once(ep, key, token, &status, record, err);
    if (rc < 0 && status == 401 && cached) {
        /* The department no longer takes the cached token: one new token, one retry. */
        token_keep(auth, NULL, 0);
        err_clear(err);
        rc = token_request(auth, timeout, token, err) < 0
                 ? -1
                 : fetch_once(ep, key, token, &status, record, err);
    }
    crypto_wipe(token, sizeof(token));
    return rc;
}
