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

/* The root in either encoding, copied into the request's arena (the store's copy is
 * malloc'd and freed here). */
static int root_get(struct web_req *req, struct web_resp *resp, int pem)
{
    struct err err;
    err_clear(&err);
    unsigned char *d = NULL;
    size_t n = 0;
    if (pem) {
        char *p = NULL;
        if (seals_root_pem(req->ctx, &p, &err) < 0)
            return web_fail_err(resp, &err);
        d = (unsigned char *)p;
        n = strlen(p);
    } else if (seals_root_der(req->ctx, &d, &n, &err) < 0) {
        return web_fail_err(resp, &err);
    }
    char *copy = arena_alloc(req->arena, n + 1);
    if (copy != NULL) {
        memcpy(copy, d, n);
        copy[n] = '\0';
    }
    free(d);
    if (copy == NULL)
        return web_fail(resp, 500, "http.internal", "out of memory");
    resp->body = copy;
    resp->body_len = n;
    resp->content_type = pem ? "application/x-pem-file" : "application/pkix-cert";
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
