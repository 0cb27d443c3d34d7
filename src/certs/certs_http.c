/*
 * certs_http.c - the certificate pages and their JSON twins:
 *   GET  /certificates                      the holder's wallet (login required)
 *   GET  /certificates/{identifier}         one certificate: holder, or staff of a department
 *                                           it was authorised to (JSON also at
 *                                           /api/v1/certificates/{identifier})
 *   GET  /certificates/{identifier}/pdf     the PDF, holder only
 *   POST /certificates/{identifier}/uses    the holder authorises a department to see it for
 *                                           an application (fields application, department)
 *   GET  /verify?q=...                      public verification page
 *   GET  /api/v1/verify?q=..., POST /api/v1/verify (field q): the same as JSON
 * Refusals say 404 for a certificate the viewer may not see, never 403, so identifiers
 * cannot be probed.
 */
#include "certs/certs_internal.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/arena.h"
#include "base/log.h"
#include "identity/identity.h"
#include "store/store.h"
#include "web/qr.h"
#include "web/web.h"

struct certs_http {
    struct store *st;
    struct crypto_keyring *kr;
    struct identity *id;
};

static struct certs_http ctx_static;

static const char *loc(struct web_req *req, const json_t *names)
{
    const char *s = json_string_value(json_object_get(names, req->lang));
    if (s == NULL || *s == '\0')
        s = json_string_value(json_object_get(names, "zh"));
    return s ? s : "";
}

static const char *date_text(struct web_req *req, int64_t ms)
{
    if (ms <= 0)
        return web_t(req, "certs.no_expiry");
    time_t t = (time_t)(ms / 1000) + 8 * 3600;
    struct tm tm;
    gmtime_r(&t, &tm);
    return arena_printf(req->arena, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

static int fail_err(struct web_resp *resp, const struct err *e)
{
    return web_fail(resp, e->status >= 400 ? e->status : 500, e->code, "%s", e->msg);
}

/* The logged-in account: 0; else -1 with 401 (a page goes to the login and back). */
static int require_login(struct web_req *req, struct web_resp *resp, int64_t *account, int *aal)
{
    const struct web_session *ss = web_session(req);
    *account = 0;
    *aal = 0;
    if (ss == NULL || ss->aal < 1) /* to the login page and back (web_need_session) */
        return web_fail(resp, 401, "identity.login_required", "log in first");
    *account = ss->account_id;
    *aal = ss->aal;
    return 0;
}

static int page(struct web_resp *resp, json_t *model, const char *view)
{
    if (model == NULL)
        return web_fail(resp, 500, "certs.oom", "out of memory");
    resp->view = view;
    resp->model = model;
    return 0;
}

static int h_wallet(struct web_req *req, struct web_resp *resp)
{
    struct certs_http *h = req->ctx;
    int64_t account;
    int aal;
    int r = require_login(req, resp, &account, &aal);
    if (r != 0)
        return r < 0 ? -1 : 0;
    json_t *list = NULL;
    struct err err;
    err_clear(&err);
    if (certs_wallet(h->st, account, NULL, &list, &err) < 0)
        return fail_err(resp, &err);
    size_t i;
    json_t *c;
    json_array_foreach(list, i, c)
    {
        const char *status = json_string_value(json_object_get(c, "status"));
        json_object_set_new(c, "title", json_string(loc(req, json_object_get(c, "name"))));
        json_object_set_new(c, "status_label",
                            json_string(web_t(req, arena_printf(req->arena, "certs.status.%s", status))));
        json_object_set_new(c, "issued", json_string(date_text(req, json_integer_value(json_object_get(c, "issued_at")))));
        json_object_set_new(c, "until", json_string(date_text(req, json_integer_value(json_object_get(c, "valid_until")))));
        json_object_set_new(c, "url", json_string(arena_printf(req->arena, "/certificates/%s",
                                                               json_string_value(json_object_get(c, "identifier")))));
        json_object_set_new(c, "id", json_string(arena_printf(req->arena, "%lld",
                                                              (long long)json_integer_value(json_object_get(c, "id")))));
    }
    json_t *m = json_pack("{s:s, s:o, s:b}", "title", web_t(req, "certs.wallet.title"),
                          "certificates", list, "empty", json_array_size(list) == 0);
    return page(resp, m, "certs/wallet");
}

/* The departments whose staff may see certificates authorised to them. */
static size_t viewer_departments(struct certs_http *h, int64_t account, int aal, int64_t *out,
                                 size_t max)
{
    struct authz_subject subj;
    struct err err;
    size_t n = 0;
    if (identity_subject_load(h->id, account, aal, &subj, &err) < 0)
        return 0;
    for (size_t g = 0; g < subj.ngrants && n < max; g++) {
        struct authz_object obj = {0, subj.grants[g].department_id, 0};
        if (authz_allowed(&subj, "certs.view_authorised", &obj))
            out[n++] = subj.grants[g].department_id;
    }
    return n;
}

static int h_show(struct web_req *req, struct web_resp *resp)
{
    struct certs_http *h = req->ctx;
    int64_t account;
    int aal;
    int r = require_login(req, resp, &account, &aal);
    if (r != 0)
        return r < 0 ? -1 : 0;
    int64_t depts[AUTHZ_MAX_GRANTS];
    size_t nd = viewer_departments(h, account, aal, depts, AUTHZ_MAX_GRANTS);
    json_t *v = NULL;
    struct err err;
    err_clear(&err);
    if (certs_view(h->st, h->kr, account, depts, nd, web_param(req, "identifier"), &v, &err) < 0)
        return fail_err(resp, &err);
    if (req->want_json)
        return page(resp, v, NULL);
    json_object_set_new(v, "title", json_string(loc(req, json_object_get(v, "name"))));
    json_object_set_new(v, "issued", json_string(date_text(req, json_integer_value(json_object_get(v, "issued_at")))));
    json_object_set_new(v, "until", json_string(date_text(req, json_integer_value(json_object_get(v, "valid_until")))));
    json_object_set_new(v, "status_label", json_string(web_t(req, arena_printf(req->arena, "certs.status.%s", json_string_value(json_object_get(v, "status"))))));
    json_object_set_new(v, "issuer_name", json_string(loc(req, json_object_get(v, "issuer"))));
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(v, "fields"), i, f)
        json_object_set_new(f, "label_text", json_string(loc(req, json_object_get(f, "label"))));
    json_t *u;
    json_array_foreach(json_object_get(v, "uses"), i, u)
        json_object_set_new(u, "when", json_string(date_text(req, json_integer_value(json_object_get(u, "at")))));
    const char *qr = json_string_value(json_object_get(v, "qr"));
    json_object_set_new(v, "qr_img", json_string(web_qr_data_uri(req->arena, qr ? qr : "")));
    json_object_set_new(v, "pdf_url", json_string(arena_printf(req->arena, "/certificates/%s/pdf", web_param(req, "identifier"))));
    json_object_set_new(v, "verify_url", json_string(arena_printf(req->arena, "/verify?q=%s", qr ? qr : "")));
    json_object_set_new(v, "has_uses", json_boolean(json_array_size(json_object_get(v, "uses")) > 0));
    /* the signing parts are for the JSON twin only */
    json_object_del(v, "document");
    json_object_del(v, "ses_signature");
    json_object_del(v, "to_sign");
    return page(resp, v, "certs/show");
}

static int h_pdf(struct web_req *req, struct web_resp *resp)
{
    struct certs_http *h = req->ctx;
    int64_t account;
    int aal;
    int r = require_login(req, resp, &account, &aal);
    if (r != 0)
        return r < 0 ? -1 : 0;
    unsigned char *pdf = NULL;
    size_t len = 0;
    struct err err;
    err_clear(&err);
    if (certs_pdf(h->st, h->kr, account, web_param(req, "identifier"), &pdf, &len, &err) < 0)
        return fail_err(resp, &err);
    unsigned char *copy = arena_alloc(req->arena, len);
    if (copy == NULL) {
        free(pdf);
        return web_fail(resp, 500, "certs.oom", "out of memory");
    }
    memcpy(copy, pdf, len);
    free(pdf);
    resp->content_type = "application/pdf";
    resp->body = (const char *)copy;
    resp->body_len = len;
    web_resp_header(resp, "Content-Disposition", "attachment; filename=\"certificate.pdf\"");
    return 0;
}

static int h_use(struct web_req *req, struct web_resp *resp)
{
    struct certs_http *h = req->ctx;
    int64_t account;
    int aal;
    int r = require_login(req, resp, &account, &aal);
    if (r != 0)
        return r < 0 ? -1 : 0;
    const char *app = web_form_value(req, "application"), *dcode = web_form_value(req, "department");
    struct err err;
    err_clear(&err);
    json_t *dept = NULL;
    struct store_conn *c = store_conn(h->st, &err);
    if (c == NULL)
        return fail_err(resp, &err);
    if (dcode == NULL || cst_department(c, 0, dcode, &dept, &err) < 0)
        return web_fail(resp, 400, "certs.bad_use", "name the department by its code");
    int64_t dept_id = json_integer_value(json_object_get(dept, "id"));
    json_decref(dept);
    if (certs_authorise_use(h->st, account, web_param(req, "identifier"), NULL, app, dept_id, 0,
                            &err) < 0)
        return fail_err(resp, &err);
    if (req->want_json) {
        resp->status = 201;
        return page(resp, json_pack("{s:s, s:s, s:s}", "identifier", web_param(req, "identifier"),
                                    "application", app, "department", dcode),
                    NULL);
    }
    return web_redirect(req, resp,
                        arena_printf(req->arena, "/certificates/%s", web_param(req, "identifier")));
}

static const char *q_param(struct web_req *req)
{
    const char *q = web_query(req, "q");
    if (q == NULL)
        q = web_form_value(req, "q");
    return q;
}

static int verify_common(struct web_req *req, struct web_resp *resp, int api)
{
    struct certs_http *h = req->ctx;
    const char *q = q_param(req);
    json_t *res = NULL;
    struct err err;
    err_clear(&err);
    if (api) {
        if (certs_verify(h->st, h->kr, q, &res, &err) < 0)
            return fail_err(resp, &err);
        return page(resp, res, NULL);
    }
    json_t *m = json_pack("{s:s, s:s}", "title", web_t(req, "certs.verify.title"), "q", q ? q : "");
    if (q != NULL && *q) {
        if (certs_verify(h->st, h->kr, q, &res, &err) < 0) {
            json_object_set_new(m, "error", json_string(web_t(req, arena_printf(req->arena, "errors.%s", err.code))));
        } else {
            const char *st = json_string_value(json_object_get(res, "status"));
            const char *failed = json_string_value(json_object_get(res, "failed"));
            json_object_set_new(res, "status_label", json_string(web_t(req, arena_printf(req->arena, "certs.status.%s", st))));
            if (failed)
                json_object_set_new(res, "failed_label", json_string(web_t(req, arena_printf(req->arena, "certs.checks.%s", failed))));
            json_object_set_new(res, "is_valid", json_boolean(strcmp(st, "valid") == 0));
            json_object_set_new(res, "type_name", json_string(loc(req, json_object_get(json_object_get(res, "type"), "name"))));
            json_object_set_new(res, "issued", json_string(date_text(req, json_integer_value(json_object_get(res, "issued_at")))));
            json_object_set_new(res, "until", json_string(date_text(req, json_integer_value(json_object_get(res, "valid_until")))));
            json_object_set_new(m, "result", res);
        }
    }
    if (req->want_json && q != NULL && *q && json_object_get(m, "error"))
        return fail_err(resp, &err);
    return page(resp, m, "certs/verify");
}

static int h_verify_page(struct web_req *req, struct web_resp *resp)
{
    return verify_common(req, resp, 0);
}

static int h_verify_api(struct web_req *req, struct web_resp *resp)
{
    return verify_common(req, resp, 1);
}

int certs_http_register(struct web_server *srv, struct store *st, struct crypto_keyring *kr,
                        struct identity *id)
{
    ctx_static = (struct certs_http){st, kr, id};
    struct certs_http *h = &ctx_static;
    if (web_route(srv, "GET", "/certificates", h_wallet, h) < 0 ||
        web_route(srv, "GET", "/certificates/{identifier}", h_show, h) < 0 ||
        web_route(srv, "GET", "/api/v1/certificates/{identifier}", h_show, h) < 0 ||
        web_route(srv, "GET", "/certificates/{identifier}/pdf", h_pdf, h) < 0 ||
        web_route(srv, "POST", "/certificates/{identifier}/uses", h_use, h) < 0 ||
        web_route(srv, "GET", "/verify", h_verify_page, h) < 0 ||
        web_route(srv, "POST", "/verify", h_verify_page, h) < 0 ||
        web_route(srv, "GET", "/api/v1/verify", h_verify_api, h) < 0 ||
        web_route_ex(srv, "POST", "/api/v1/verify", h_verify_api, h, WEB_ROUTE_NO_CSRF) < 0)
        return -1;
    return 0;
}
