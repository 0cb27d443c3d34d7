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
 * Not yet: the department's own authentication (client credentials at its token endpoint,
 * or mutual TLS with a certificate from the platform's trust root).
 */
#include "exchange/exchange_internal.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"

#define EXCHANGE_REST_MAX_BODY (64 * 1024)

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
    return 0;
}

int exchange_rest_fetch(void *ctx, const char *resource, const char *key, json_t **record,
                        struct err *err)
{
    const json_t *ep = ctx;
    const char *base = json_string_value(json_object_get(ep, "url"));
    long timeout = (long)json_integer_value(json_object_get(ep, "timeout_ms"));
    struct sink s = {.too_big = 0};
    struct curl_slist *h = NULL;
    char *esc = NULL, *url = NULL;
    long status = 0;
    int rc = -1;
    (void)resource;
    *record = NULL;
    buf_init(&s.b, EXCHANGE_REST_MAX_BODY);
    CURL *c = curl_easy_init();
    if (c == NULL || (esc = curl_easy_escape(c, key, 0)) == NULL ||
        (url = malloc(strlen(base) + strlen(esc) + 2)) == NULL ||
        (h = curl_slist_append(NULL, "Accept: application/json")) == NULL) {
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
    curl_slist_free_all(h);
    free(url);
    curl_free(esc);
    if (c != NULL)
        curl_easy_cleanup(c);
    buf_free(&s.b);
    return rc;
}
