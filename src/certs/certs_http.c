/*
 * certs_http.c - the certificate pages and their JSON twins:
 *   GET  /certificates                      the holder's wallet (login required)
 *   GET  /certificates/{identifier}         one certificate: holder, or staff of a department
 *                                           it was authorised to (JSON also at
 *                                           /api/v1/certificates/{identifier})
 *   GET  /certificates/{identifier}/pdf     the PDF, holder only: the holder's own document,
 *                                           with personal data in full
 *   POST /certificates/{identifier}/uses    the holder authorises a department to see it for
 *                                           an application (fields application, department)
 *   GET  /verify?q=...                      public verification page
 *   GET  /api/v1/verify?q=..., POST /api/v1/verify (field q): the same as JSON
 * Refusals say 404 for a certificate the viewer may not see, never 403, so identifiers
 * cannot be probed. Pages and public JSON mask personal data; only the PDF shows it whole.
 *
 * Every word on the pages comes from the catalogs in the page's language: statuses, the
 * failed check and what it means, the seal's type, the trust root (the platform's own by
 * a catalog name; another issuer's by the name an administrator gave it). Departments'
 * names in every language come from identity (identity_department_find), never from its
 * tables.
 */
#include "certs/certs_internal.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/arena.h"
#include "base/log.h"
#include "identity/identity.h"
#include "l10n/l10n.h"
#include "store/store.h"
#include "web/qr.h"
#include "web/web.h"

static const char *jstr(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

/* A {zh, bo, en} name in the page's language, Chinese when that one is missing. */
static const char *loc(struct web_req *req, const json_t *names)
{
    const char *s = json_string_value(json_object_get(names, req->lang));
    if (s == NULL || *s == '\0')
        s = json_string_value(json_object_get(names, "zh"));
    return s ? s : "";
}

/* A catalog string in a language other than the page's (the PDF is bilingual). */
static const char *t_in(const struct web_req *req, const char *lang, const char *key)
{
    struct web_req r = *req;
    r.lang = lang;
    return web_t(&r, key);
}

/* The catalog string `prefix` + `part` (a status, a check: data), or `fallback` when the
 * catalog has none, so that no raw key reaches a page. */
static const char *t_or(struct web_req *req, const char *fallback, const char *prefix,
                        const char *part)
{
    const char *key = arena_printf(req->arena, "%s%s", prefix, part ? part : "");
    const char *s = key ? web_t(req, key) : NULL;
    return s == NULL || s == key || strcmp(s, key) == 0 ? fallback : s;
}

static const char *date_text(struct web_req *req, int64_t ms)
{
    return ms > 0 ? l10n_date(req->arena, req->lang, ms) : web_t(req, "certs.no_expiry");
}

/* A department's names {code, zh, bo, en} from identity; `signed_zh` (the name the
 * signed document carries) when identity does not know the code any more. New reference. */
static json_t *dept_names(struct certs *h, struct web_req *req, const char *code,
                          const char *signed_zh)
{
    struct identity_department d;
    struct err err;
    if (code != NULL && *code && identity_department_find(h->id, req->arena, code, &d, &err) == 0)
        return json_pack("{s:s, s:s, s:s, s:s}", "code", code, "zh",
                         d.name_zh ? d.name_zh : (signed_zh ? signed_zh : ""), "bo",
                         d.name_bo ? d.name_bo : "", "en", d.name_en ? d.name_en : "");
    return json_pack("{s:s, s:s}", "code", code ? code : "", "zh", signed_zh ? signed_zh : "");
}

static int h_wallet(struct web_req *req, struct web_resp *resp)
{
    struct certs *h = req->ctx;
    const struct web_session *ss = web_need_session(req, resp, 1);
    if (ss == NULL)
        return -1;
    json_t *list = NULL;
    struct err err;
    err_clear(&err);
    if (certs_wallet(h->st, ss->account_id, NULL, &list, &err) < 0)
        return web_fail_err(resp, &err);
    size_t i;
    json_t *c;
    json_array_foreach(list, i, c)
    {
        json_object_set_new(c, "title", json_string(loc(req, json_object_get(c, "name"))));
        json_object_set_new(
            c, "status_label",
            json_string(t_or(req, jstr(c, "status"), "certs.status.", jstr(c, "status"))));
        json_object_set_new(
            c, "issued",
            json_string(date_text(req, json_integer_value(json_object_get(c, "issued_at")))));
        json_object_set_new(
            c, "until",
            json_string(date_text(req, json_integer_value(json_object_get(c, "valid_until")))));
        json_object_set_new(
            c, "url",
            json_string(arena_printf(req->arena, "/certificates/%s", jstr(c, "identifier"))));
        json_object_set_new(
            c, "id",
            json_string(arena_printf(req->arena, "%lld",
                                     (long long)json_integer_value(json_object_get(c, "id")))));
    }
    return web_page(resp,
                    json_pack("{s:s, s:o, s:b}", "title", web_t(req, "certs.wallet.title"),
                              "certificates", list, "empty", json_array_size(list) == 0),
                    "certs/wallet", 200);
}

static int h_show(struct web_req *req, struct web_resp *resp)
{
    struct certs *h = req->ctx;
    struct authz_subject subj;
    if (identity_web_subject(h->id, req, resp, &subj) < 0)
        return -1;
    /* the departments whose staff may see certificates authorised to them */
    int64_t depts[AUTHZ_MAX_GRANTS];
    size_t nd = 0;
    for (size_t g = 0; g < subj.ngrants && nd < AUTHZ_MAX_GRANTS; g++) {
        struct authz_object obj = {0, subj.grants[g].department_id, 0};
        if (authz_allowed(&subj, "certs.view_authorised", &obj))
            depts[nd++] = subj.grants[g].department_id;
    }
    const char *identifier = web_param(req, "identifier");
    json_t *v = NULL;
    struct err err;
    err_clear(&err);
    if (certs_view(h, subj.account_id, depts, nd, identifier, &v, &err) < 0)
        return web_fail_err(resp, &err);
    const json_t *signed_issuer = json_object_get(v, "issuer");
    json_object_set_new(v, "issuer",
                        dept_names(h, req, jstr(signed_issuer, "code"), jstr(signed_issuer, "zh")));
    size_t i;
    json_t *u;
    json_array_foreach(json_object_get(v, "uses"), i, u)
    {
        json_t *names = dept_names(h, req, jstr(u, "department"), jstr(u, "department_name"));
        json_object_set_new(u, "department_name", json_string(loc(req, names)));
        json_decref(names);
    }
    if (req->want_json)
        return web_page(resp, v, NULL, 200);
    json_object_set_new(v, "title", json_string(loc(req, json_object_get(v, "name"))));
    json_object_set_new(
        v, "issued",
        json_string(date_text(req, json_integer_value(json_object_get(v, "issued_at")))));
    json_object_set_new(
        v, "until",
        json_string(date_text(req, json_integer_value(json_object_get(v, "valid_until")))));
    json_object_set_new(
        v, "status_label",
        json_string(t_or(req, jstr(v, "status"), "certs.status.", jstr(v, "status"))));
    json_object_set_new(v, "issuer_name", json_string(loc(req, json_object_get(v, "issuer"))));
    json_t *f;
    json_array_foreach(json_object_get(v, "fields"), i, f)
        json_object_set_new(f, "label_text", json_string(loc(req, json_object_get(f, "label"))));
    json_array_foreach(json_object_get(v, "uses"), i, u) json_object_set_new(
        u, "when", json_string(date_text(req, json_integer_value(json_object_get(u, "at")))));
    const char *qr = jstr(v, "qr");
    json_object_set_new(v, "qr_img", json_string(web_qr_data_uri(req->arena, qr)));
    json_object_set_new(v, "pdf_url",
                        json_string(arena_printf(req->arena, "/certificates/%s/pdf", identifier)));
    /* base64url: nothing in a QR payload needs escaping in a query */
    json_object_set_new(v, "verify_url", json_string(arena_printf(req->arena, "/verify?q=%s", qr)));
    json_object_set_new(v, "has_uses",
                        json_boolean(json_array_size(json_object_get(v, "uses")) > 0));
    /* the signing parts are for the JSON twin only */
    json_object_del(v, "document");
    json_object_del(v, "ses_signature");
    json_object_del(v, "to_sign");
    return web_page(resp, v, "certs/show", 200);
}

/* {zh, bo} of a catalog key, for the bilingual PDF. */
static json_t *both(struct web_req *req, const char *key)
{
    return json_pack("{s:s, s:s}", "zh", t_in(req, "zh", key), "bo", t_in(req, "bo", key));
}

static int h_pdf(struct web_req *req, struct web_resp *resp)
{
    struct certs *h = req->ctx;
    const struct web_session *ss = web_need_session(req, resp, 1);
    if (ss == NULL)
        return -1;
    const char *identifier = web_param(req, "identifier");
    struct err err;
    err_clear(&err);
    /* The issuing department's names: the signed document names its code. */
    json_t *v = NULL;
    if (certs_view(h, ss->account_id, NULL, 0, identifier, &v, &err) < 0)
        return web_fail_err(resp, &err);
    const json_t *si = json_object_get(v, "issuer");
    json_t *names = json_pack(
        "{s:o, s:{s:o, s:o, s:o, s:o, s:o, s:o}}", "issuer",
        dept_names(h, req, jstr(si, "code"), jstr(si, "zh")), "labels", "holder",
        both(req, "certs.pdf.holder"), "id_number", both(req, "certs.pdf.id_number"), "issued",
        both(req, "certs.pdf.issued"), "until", both(req, "certs.pdf.until"), "no_expiry",
        both(req, "certs.pdf.no_expiry"), "identifier", both(req, "certs.pdf.identifier"));
    json_decref(v);
    const unsigned char *pdf = NULL;
    size_t len = 0;
    int rc = names == NULL
                 ? err_set(&err, 500, "http.internal", "out of memory")
                 : certs_pdf(h, req->arena, ss->account_id, identifier, names, &pdf, &len, &err);
    json_decref(names);
    if (rc < 0)
        return web_fail_err(resp, &err);
    resp->content_type = "application/pdf";
    resp->body = (const char *)pdf;
    resp->body_len = len;
    web_resp_header(resp, "Content-Disposition", "attachment; filename=\"certificate.pdf\"");
    return 0;
}

static int h_use(struct web_req *req, struct web_resp *resp)
{
    struct certs *h = req->ctx;
    const struct web_session *ss = web_need_session(req, resp, 1);
    if (ss == NULL)
        return -1;
    const char *identifier = web_param(req, "identifier");
    const char *app = web_form_value(req, "application"),
               *dcode = web_form_value(req, "department");
    struct identity_department d;
    struct err err;
    err_clear(&err);
    if (dcode == NULL || identity_department_find(h->id, req->arena, dcode, &d, &err) < 0)
        return err.status >= 500
                   ? web_fail_err(resp, &err)
                   : web_fail(resp, 400, "certs.bad_use", "name the department by its code");
    if (certs_authorise_use(h, ss->account_id, identifier, NULL, app, d.id, 0, &err) < 0)
        return web_fail_err(resp, &err);
    if (req->want_json)
        return web_page(resp,
                        json_pack("{s:s, s:s, s:s}", "identifier", identifier, "application", app,
                                  "department", dcode),
                        NULL, 201);
    return web_redirect(req, resp, arena_printf(req->arena, "/certificates/%s", identifier));
}

/* ---- verification --------------------------------------------------------------------- */

/* The page's words for a verification result: status, what it means, the failed check,
 * the issuer, seal and root in the page's language. The result keeps its data (and the
 * English `diagnostic` for machines, which the page does not show). */
static void verify_words(struct certs *h, struct web_req *req, json_t *res)
{
    const char *st = jstr(res, "status"),
               *failed = json_string_value(json_object_get(res, "failed"));
    json_object_set_new(res, "status_label", json_string(t_or(req, st, "certs.status.", st)));
    json_object_set_new(res, "is_valid", json_boolean(strcmp(st, "valid") == 0));
    if (failed != NULL) {
        json_object_set_new(res, "failed_label",
                            json_string(t_or(req, failed, "certs.checks.", failed)));
        json_object_set_new(res, "explain",
                            json_string(t_or(req, web_t(req, "certs.explain.forged"),
                                             "certs.explain_check.", failed)));
    } else {
        json_object_set_new(res, "explain", json_string(t_or(req, "", "certs.explain.", st)));
    }
    json_t *type = json_object_get(res, "type");
    json_object_set_new(res, "type_name", json_string(loc(req, json_object_get(type, "name"))));
    json_object_set_new(
        res, "issued",
        json_string(date_text(req, json_integer_value(json_object_get(res, "issued_at")))));
    json_object_set_new(
        res, "until",
        json_string(date_text(req, json_integer_value(json_object_get(res, "valid_until")))));
    json_t *issuer = json_object_get(res, "issuer");
    if (issuer != NULL) {
        json_t *names = dept_names(h, req, jstr(issuer, "department"), jstr(issuer, "name"));
        json_object_set_new(res, "issuer_name", json_string(loc(req, names)));
        json_decref(names);
        const char *root = jstr(issuer, "root");
        if (*root)
            json_object_set_new(res, "root_label",
                                json_string(json_is_true(json_object_get(issuer, "root_platform"))
                                                ? web_t(req, "certs.verify.root_platform")
                                                : root));
    }
    json_t *seal = json_object_get(res, "seal");
    if (seal != NULL && *jstr(seal, "es_id"))
        json_object_set_new(res, "seal_label",
                            json_string(t_or(req, web_t(req, "certs.verify.seal"),
                                             "certs.seal_types.", jstr(seal, "type"))));
}

static int verify_common(struct web_req *req, struct web_resp *resp, int api)
{
    struct certs *h = req->ctx;
    const char *q = web_query(req, "q");
    if (q == NULL)
        q = web_form_value(req, "q");
    json_t *res = NULL;
    struct err err;
    err_clear(&err);
    if (api) {
        if (certs_verify(h, q, &res, &err) < 0)
            return web_fail_err(resp, &err);
        return web_page(resp, res, NULL, 200);
    }
    json_t *m = json_pack("{s:s, s:s}", "title", web_t(req, "certs.verify.title"), "q", q ? q : "");
    if (m == NULL || q == NULL || *q == '\0')
        return web_page(resp, m, "certs/verify", 200);
    if (certs_verify(h, q, &res, &err) < 0) {
        /* a payload that is not one (4xx) is said on the page, beside the form */
        json_decref(m);
        if (req->want_json || err.status >= 500)
            return web_fail_err(resp, &err);
        m = json_pack("{s:s, s:s, s:s}", "title", web_t(req, "certs.verify.title"), "q", q, "error",
                      t_or(req, web_t(req, "certs.verify.bad_input"), "errors.", err.code));
        return web_page(resp, m, "certs/verify", 400);
    }
    verify_words(h, req, res);
    json_object_set_new(m, "result", res);
    return web_page(resp, m, "certs/verify", 200);
}

static int h_verify_page(struct web_req *req, struct web_resp *resp)
{
    return verify_common(req, resp, 0);
}

static int h_verify_api(struct web_req *req, struct web_resp *resp)
{
    return verify_common(req, resp, 1);
}

int certs_http_register(struct web_server *srv, struct certs *h)
{
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
