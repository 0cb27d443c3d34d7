/*
 * seals_http.c - the public trust root, for anyone to verify offline:
 *   GET /trust/root.pem   the platform root certificate (PEM)
 *   GET /trust/root.der   the same, DER
 */
#include "seals/seals_internal.h"

#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "web/web.h"

static int root_get(struct web_req *req, struct web_resp *resp, int pem)
{
    struct err err;
    err_clear(&err);
    if (pem) {
        char *p = NULL;
        if (seals_root_pem(req->ctx, &p, &err) < 0)
            return web_fail(resp, err.status, err.code, "%s", err.msg);
        char *copy = arena_strdup(req->arena, p);
        free(p);
        resp->body = copy;
        resp->body_len = strlen(copy);
        resp->content_type = "application/x-pem-file";
    } else {
        unsigned char *d = NULL;
        size_t n = 0;
        if (seals_root_der(req->ctx, &d, &n, &err) < 0)
            return web_fail(resp, err.status, err.code, "%s", err.msg);
        unsigned char *copy = arena_alloc(req->arena, n);
        memcpy(copy, d, n);
        free(d);
        resp->body = (const char *)copy;
        resp->body_len = n;
        resp->content_type = "application/pkix-cert";
    }
    resp->max_age = 300;
    return 0;
}

static int root_pem(struct web_req *req, struct web_resp *resp)
{
    return root_get(req, resp, 1);
}

static int root_der(struct web_req *req, struct web_resp *resp)
{
    return root_get(req, resp, 0);
}

int seals_http_register(struct web_server *srv, struct store *st)
{
    if (web_route(srv, "GET", "/trust/root.pem", root_pem, st) < 0 ||
        web_route(srv, "GET", "/trust/root.der", root_der, st) < 0)
        return -1;
    return 0;
}
