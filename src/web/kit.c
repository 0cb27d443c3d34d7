/*
 * kit.c - what every handler does the same way: require a login (and come back after it),
 * turn a module's error into a response, hand over a page, read a bounded integer from a
 * form or query, and tell a safe local path from one that leaves the site.
 *
 * These were once copied into each *_http.c; two copies built the login address without
 * its `next` (one with a zero-size buffer, one without encoding it). One home means one
 * behaviour: a page that needs a login answers 401 through web_fail, and dispatch turns a
 * 401 on a page (not on the API) into a 303 to web_login_url (server.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/buf.h"
#include "web/web_internal.h"

/* Longest `next` we send or accept: longer addresses come back to the home page. */
#define NEXT_MAX 2000

const char *web_local_path(const char *s)
{
    if (s == NULL || s[0] != '/' || s[1] == '/' || s[1] == '\\' || strlen(s) > NEXT_MAX)
        return NULL;
    for (const unsigned char *c = (const unsigned char *)s; *c != '\0'; c++)
        if (*c < 0x20 || *c == 0x7f || *c == '\\')
            return NULL;
    return s;
}

const char *web_login_url(struct web_req *req)
{
    const struct request *r = (const struct request *)req;
    /* A GET comes back to the same address, query included (a draft, a filter); after
     * any other method the page of the same path is the best place to land, since the
     * form has to be sent again anyway. */
    const char *here =
        r->raw_uri != NULL && strcmp(req->method, "GET") == 0 ? r->raw_uri : req->path;
    /* The login and registration pages themselves are no place to come back to. */
    if (web_local_path(here) == NULL || strncmp(here, "/login", 6) == 0 ||
        strncmp(here, "/register", 9) == 0 || strcmp(here, "/") == 0)
        return "/login";
    struct buf b;
    buf_init(&b, 3 * NEXT_MAX + 64);
    const char *url = "/login";
    if (buf_puts(&b, "/login?next=") == 0 && web_url_encode(&b, here) == 0 && b.data != NULL)
        url = arena_strdup(req->arena, b.data);
    buf_free(&b);
    return url != NULL ? url : "/login";
}

const struct web_session *web_need_session(struct web_req *req, struct web_resp *resp, int min_aal)
{
    const struct web_session *ss = web_session(req);
    if (ss == NULL || ss->aal < (min_aal > 1 ? min_aal : 1)) {
        web_fail(resp, 401, "identity.login_required", "log in first");
        return NULL;
    }
    return ss;
}

int web_fail_err(struct web_resp *resp, const struct err *e)
{
    return web_fail(resp, e->status >= 400 && e->status < 600 ? e->status : 500,
                    e->code[0] ? e->code : "http.internal", "%s", e->msg);
}

int web_page(struct web_resp *resp, json_t *model, const char *view, int status)
{
    if (model == NULL)
        return web_fail(resp, 500, "http.internal", "out of memory building the page");
    json_decref(resp->model);
    resp->model = model;
    resp->view = view;
    resp->status = status;
    return 0;
}

/* Parse a whole decimal integer (optional minus sign, no spaces, no junk); -1 if it is
 * not one or does not fit in 64 bits. */
static int parse_int(const char *s, int64_t *out)
{
    if (s == NULL || *s == '\0' || strlen(s) > 20)
        return -1;
    const char *c = s[0] == '-' ? s + 1 : s;
    for (; *c != '\0'; c++)
        if (*c < '0' || *c > '9')
            return -1;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

static int bounded_int(struct web_resp *resp, const char *where, const char *name,
                       const char *value, int64_t min, int64_t max, int64_t dflt, int64_t *out)
{
    if (value == NULL || *value == '\0') {
        *out = dflt;
        return 0;
    }
    int64_t v;
    if (parse_int(value, &v) < 0 || v < min || v > max)
        return web_fail(resp, 400, "http.bad_number",
                        "the %s value '%s' must be a whole number from %lld to %lld", where, name,
                        (long long)min, (long long)max);
    *out = v;
    return 0;
}

int web_form_int(struct web_req *req, struct web_resp *resp, const char *name, int64_t min,
                 int64_t max, int64_t dflt, int64_t *out)
{
    return bounded_int(resp, "form", name, web_form_value(req, name), min, max, dflt, out);
}

int web_query_int(struct web_req *req, struct web_resp *resp, const char *name, int64_t min,
                  int64_t max, int64_t dflt, int64_t *out)
{
    return bounded_int(resp, "query", name, web_query(req, name), min, max, dflt, out);
}

json_t *web_localise_problems(struct web_req *req, json_t *problems)
{
    json_t *map = json_object();
    size_t i;
    json_t *p;
    json_array_foreach(problems, i, p)
    {
        const char *code = json_string_value(json_object_get(p, "code"));
        const char *msg = web_t(req, arena_printf(req->arena, "errors.%s", code));
        json_object_set_new(p, "message", json_string(msg));
        const char *field = json_string_value(json_object_get(p, "field"));
        if (json_object_get(map, field) == NULL)
            json_object_set_new(map, field, json_string(msg));
    }
    return map;
}
