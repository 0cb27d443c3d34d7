/*
 * exchange_http.c - the exchange's HTTP surface:
 *   GET  /exchange/resources              the resource catalog (page; JSON twin under /api/v1)
 *   GET  /exchange/v1/openapi.json        OpenAPI 3 description of the department API
 *   GET  /exchange/v1/{resource}          one read: bearer token (scope exchange:read), the
 *                                         subject's key (?id_number= or ?uscc=), ?purpose=,
 *                                         ?case=, optional ?fields=a,b
 *   POST /exchange/v1/requests            a consumer asks for a resource (JSON body)
 *   GET  /account/data-use                "who used my data": every read of the logged-in
 *                                         person's data (JSON twin; ?format=csv exports)
 * The department API always answers JSON (problem+json on errors, RFC 6750 challenges on
 * token errors). A person sees only reads of their own ID number: the key comes from their
 * account, never from the request.
 */
#include "exchange/exchange_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/embed.h"
#include "identity/identity.h"
#include "l10n/l10n.h"
#include "oidc/oidc.h"
#include "web/web.h"

static const char *loc(const json_t *obj, const char *lang)
{
    const char *s = json_string_value(json_object_get(obj, lang));
    return s && *s ? s : json_string_value(json_object_get(obj, "zh"));
}

/* ---- the catalog page ------------------------------------------------------------------ */

static int h_resources(struct web_req *req, struct web_resp *resp)
{
    json_t *all = NULL;
    struct err err;
    err_clear(&err);
    if (exchange_resources(((struct exchange *)req->ctx), &all, &err) < 0)
        return web_fail_err(resp, &err);
    size_t i, k;
    json_t *r, *f;
    json_array_foreach(all, i, r)
    {
        const char *sharing = json_string_value(json_object_get(r, "sharing"));
        /* The department's internal address and credentials are not for the public. */
        json_object_del(r, "endpoint");
        json_object_set_new(r, "title", json_string(loc(json_object_get(r, "name"), req->lang)));
        json_object_set_new(
            r, "sharing_label",
            json_string(web_t(req, arena_printf(req->arena, "exchange.sharing.%s", sharing))));
        json_object_set_new(
            r, "open_label",
            json_string(web_t(req, arena_printf(req->arena, "exchange.open.%s",
                                                json_string_value(json_object_get(r, "open"))))));
        json_object_set_new(
            r, "frequency_label",
            json_string(
                web_t(req, arena_printf(req->arena, "exchange.frequency.%s",
                                        json_string_value(json_object_get(r, "frequency"))))));
        json_object_set_new(r, "basis",
                            json_string(loc(json_object_get(r, "legal_basis"), req->lang)));
        json_array_foreach(json_object_get(r, "fields"), k, f)
        {
            json_object_set_new(f, "title",
                                json_string(loc(json_object_get(f, "label"), req->lang)));
            json_object_set_new(
                f, "sensitivity_label",
                json_string(web_t(
                    req, arena_printf(req->arena, "exchange.sensitivity.%s",
                                      json_string_value(json_object_get(f, "sensitivity"))))));
        }
    }
    json_t *m =
        json_pack("{s:s, s:o}", "title", web_t(req, "exchange.resources.title"), "resources", all);
    return web_page(resp, m, "exchange/resources", 200);
}

/* ---- the department API ------------------------------------------------------------------ */

/* The bearer token of an Authorization header (RFC 6750 §2.1), or NULL. */
static const char *bearer(struct web_req *req)
{
    const char *h = web_header(req, "Authorization");
    if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
        return NULL;
    h += 7;
    while (*h == ' ')
        h++;
    return *h ? h : NULL;
}

/* An error as an RFC 9457 problem document that keeps the response's extra headers (a
 * failed handler's are dropped by dispatch, and RFC 6750 wants its challenge on the 401,
 * RFC 6585 its Retry-After on the 429). */
static int problem_with_headers(struct web_req *req, struct web_resp *resp, const struct err *e)
{
    const char *detail = web_t(req, arena_printf(req->arena, "errors.%s", e->code));
    if (detail == NULL || strncmp(detail, "errors.", 7) == 0)
        detail = e->msg;
    json_t *p = json_pack("{s:s, s:s, s:i, s:s, s:s, s:s, s:s}", "type", "about:blank", "title",
                          e->status == 401   ? "Unauthorized"
                          : e->status == 403 ? "Forbidden"
                                             : "Too Many Requests",
                          "status", e->status, "detail", detail, "code", e->code, "request_id",
                          req->id, "instance", req->path);
    char *text = p ? json_dumps(p, JSON_COMPACT) : NULL;
    json_decref(p);
    char *copy = text ? arena_strdup(req->arena, text) : NULL;
    free(text);
    if (copy == NULL)
        return web_fail(resp, 500, "exchange.oom", "out of memory");
    resp->status = e->status;
    resp->content_type = "application/problem+json";
    resp->body = copy;
    resp->body_len = strlen(copy);
    return 0;
}

/* A verified consumer (0); otherwise the answer is made: 1 for a 401 with its RFC 6750 §3
 * challenge (the handler returns 0), -1 for a failure through web_fail. */
static int consumer(struct web_req *req, struct web_resp *resp, struct oidc_bearer *b)
{
    const char *token = bearer(req);
    struct err err;
    err_clear(&err);
    req->want_json = 1;
    if (token == NULL) {
        web_resp_header(resp, "WWW-Authenticate", "Bearer realm=\"onewindow\"");
        err_set(&err, 401, "exchange.no_token", "a bearer token with scope %s is needed",
                EXCHANGE_SCOPE);
        return problem_with_headers(req, resp, &err) < 0 ? -1 : 1;
    }
    if (oidc_bearer_verify(((struct exchange *)req->ctx)->oidc, req->arena, token, EXCHANGE_SCOPE,
                           b, &err) < 0) {
        int scope = strcmp(err.code, "oidc.insufficient_scope") == 0;
        web_resp_header(resp, "WWW-Authenticate",
                        scope ? "Bearer realm=\"onewindow\", error=\"insufficient_scope\", "
                                "scope=\"" EXCHANGE_SCOPE "\""
                              : "Bearer realm=\"onewindow\", error=\"invalid_token\"");
        return problem_with_headers(req, resp, &err) < 0 ? -1 : 1;
    }
    if (b->person) {
        return web_fail(resp, 403, "exchange.not_a_system",
                        "the exchange serves department systems (client credentials), not a "
                        "person's login");
    }
    return 0;
}

static int h_read(struct web_req *req, struct web_resp *resp)
{
    struct oidc_bearer b;
    int who = consumer(req, resp, &b);
    if (who != 0)
        return who < 0 ? -1 : 0;
    const char *key = web_query(req, "id_number");
    if (key == NULL)
        key = web_query(req, "uscc");
    struct exchange_call call = {b.client_id,
                                 b.client_name,
                                 web_param(req, "resource"),
                                 key,
                                 web_query(req, "fields"),
                                 web_query(req, "purpose"),
                                 web_query(req, "case"),
                                 web_client_ip(req)};
    json_t *out = NULL;
    struct err err;
    err_clear(&err);
    if (exchange_read(((struct exchange *)req->ctx), &call, &out, &err) < 0) {
        if (err.status == 429) {
            web_resp_header(resp, "Retry-After", "60");
            return problem_with_headers(req, resp, &err);
        }
        return web_fail_err(resp, &err);
    }
    resp->model = out;
    return 0;
}

static int h_request(struct web_req *req, struct web_resp *resp)
{
    struct oidc_bearer b;
    int who = consumer(req, resp, &b);
    if (who != 0)
        return who < 0 ? -1 : 0;
    json_t *body = req->body ? json_loads(req->body, 0, NULL) : NULL;
    if (!json_is_object(body)) {
        json_decref(body);
        return web_fail(resp, 400, "exchange.bad_body",
                        "the body is a JSON object {resource, fields, purpose, legal_basis}");
    }
    struct exchange_request r = {b.client_id,
                                 b.client_name,
                                 json_string_value(json_object_get(body, "resource")),
                                 json_string_value(json_object_get(body, "fields")),
                                 json_string_value(json_object_get(body, "purpose")),
                                 json_string_value(json_object_get(body, "legal_basis"))};
    int64_t id = 0;
    struct err err;
    err_clear(&err);
    int rc = exchange_request(((struct exchange *)req->ctx), &r, &id, &err);
    json_decref(body);
    if (rc < 0)
        return web_fail_err(resp, &err);
    json_t *grants = NULL;
    json_t *mine = NULL;
    if (exchange_grants(((struct exchange *)req->ctx), b.client_id, &grants, &err) == 0) {
        size_t i;
        json_t *g;
        json_array_foreach(grants, i, g)
        {
            if (strtoll(json_string_value(json_object_get(g, "id")), NULL, 10) == id)
                mine = json_incref(g);
        }
    }
    json_decref(grants);
    resp->status = 201;
    resp->model = mine ? mine : json_pack("{s:o}", "id", json_sprintf("%lld", (long long)id));
    return 0;
}

static int h_openapi(struct web_req *req, struct web_resp *resp)
{
    const struct embed_file *f = embed_find("data/exchange/openapi.json");
    (void)req;
    if (f == NULL)
        return web_fail(resp, 500, "exchange.no_openapi", "the OpenAPI document is missing");
    resp->content_type = "application/json";
    resp->body = (const char *)f->data;
    resp->body_len = f->len;
    resp->max_age = 300;
    return 0;
}

/* ---- the person's view ---------------------------------------------------------------- */

static void csv_cell(struct buf *b, const char *s, int last)
{
    buf_putc(b, '"');
    for (; s && *s; s++) {
        if (*s == '"')
            buf_putc(b, '"');
        buf_putc(b, *s);
    }
    buf_puts(b, last ? "\"\r\n" : "\",");
}

/* Decorate the rows with what the page shows in the reader's language. */
static void localise_reads(struct web_req *req, struct exchange *x, json_t *rows)
{
    json_t *all = NULL;
    struct err err;
    if (exchange_resources(x, &all, &err) < 0)
        all = json_array();
    size_t i, k;
    json_t *row, *r;
    json_array_foreach(rows, i, row)
    {
        const char *code = json_string_value(json_object_get(row, "resource"));
        const json_t *res = NULL;
        json_array_foreach(all, k, r)
        {
            if (strcmp(json_string_value(json_object_get(r, "code")), code) == 0)
                res = r;
        }
        json_object_set_new(row, "resource_name",
                            json_string(res ? loc(json_object_get(res, "name"), req->lang) : code));
        const char *fields = json_string_value(json_object_get(row, "fields"));
        const char *labels = "";
        for (const char *p = fields; p && *p;) {
            size_t n = strcspn(p, " ,");
            char w[48];
            snprintf(w, sizeof(w), "%.*s", (int)(n < 47 ? n : 47), p);
            const json_t *f = res ? exchange_resource_field(res, w) : NULL;
            if (n > 0)
                labels = arena_printf(req->arena, "%s%s%s", labels, *labels ? "、" : "",
                                      f ? loc(json_object_get(f, "label"), req->lang) : w);
            p += n;
            p += strspn(p, " ,");
        }
        json_object_set_new(row, "field_names", json_string(labels));
        const char *consumer = json_string_value(json_object_get(row, "consumer"));
        if (strcmp(consumer, "platform") == 0)
            json_object_set_new(row, "consumer", json_string(web_t(req, "exchange.platform")));
        const char *purpose = json_string_value(json_object_get(row, "purpose"));
        const char *pkey = arena_printf(req->arena, "exchange.purposes.%s", purpose);
        const char *plabel = pkey ? web_t(req, pkey) : NULL;
        if (plabel != NULL && strcmp(plabel, pkey) != 0)
            json_object_set_new(row, "purpose_label", json_string(plabel));
        const char *outcome = json_string_value(json_object_get(row, "outcome"));
        json_object_set_new(
            row, "outcome_label",
            json_string(web_t(req, arena_printf(req->arena, "exchange.outcome.%s", outcome))));
        json_object_set_new(row, "ok", json_boolean(strcmp(outcome, "ok") == 0));
        json_object_set_new(
            row, "when",
            json_string(l10n_datetime(req->arena, req->lang,
                                      json_integer_value(json_object_get(row, "at")))));
    }
    json_decref(all);
}

/* The export: every column as the page shows it, the purpose as its code. */
static int send_csv(struct web_req *req, struct web_resp *resp, json_t *rows)
{
    static const char *const cols[] = {"when",    "consumer",    "resource_name", "field_names",
                                       "purpose", "case_number", "legal_basis",   "outcome_label"};
    struct buf b;
    buf_init(&b, 8u << 20);
    for (size_t c = 0; c < 8; c++)
        csv_cell(&b, web_t(req, arena_printf(req->arena, "exchange.data_use.col.%s", cols[c])),
                 c == 7);
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row)
    {
        for (size_t c = 0; c < 8; c++)
            csv_cell(&b, json_string_value(json_object_get(row, cols[c])), c == 7);
    }
    size_t n = 0;
    char *text = buf_take(&b, &n);
    char *copy = text ? arena_alloc(req->arena, n + 1) : NULL;
    if (copy == NULL) {
        free(text);
        return web_fail(resp, 500, "exchange.oom", "out of memory");
    }
    memcpy(copy, text, n + 1);
    free(text);
    resp->content_type = "text/csv; charset=utf-8";
    resp->body = copy;
    resp->body_len = n;
    web_resp_header(resp, "Content-Disposition", "attachment; filename=\"data-use.csv\"");
    return 0;
}

static int h_data_use(struct web_req *req, struct web_resp *resp)
{
    struct exchange *x = req->ctx;
    const struct web_session *s = web_need_session(req, resp, 1);
    if (s == NULL)
        return -1;
    const char *idn = NULL, *phone = NULL, *format = web_query(req, "format");
    int csv = format != NULL && strcmp(format, "csv") == 0;
    int limit = csv ? EXCHANGE_DATA_USE_MAX : EXCHANGE_DATA_USE_PAGE;
    int64_t before = 0;
    struct err err;
    err_clear(&err);
    if (web_query_int(req, resp, "before", 0, INT64_MAX, 0, &before) < 0)
        return -1;
    if (identity_account_private(x->id, req->arena, s->account_id, &idn, &phone, &err) < 0)
        return web_fail_err(resp, &err);
    json_t *rows = NULL;
    if (idn == NULL)
        rows = json_array(); /* an account without an ID number (staff): nobody reads it */
    else if (exchange_data_use(x, idn, before, limit, &rows, &err) < 0)
        return web_fail_err(resp, &err);
    localise_reads(req, x, rows);
    if (csv) {
        int rc = send_csv(req, resp, rows);
        json_decref(rows);
        return rc;
    }
    /* Older reads a page at a time: the link carries the last id shown. */
    const char *older = NULL;
    if (json_array_size(rows) == (size_t)limit)
        older = arena_printf(
            req->arena, "/account/data-use?before=%s",
            json_string_value(json_object_get(json_array_get(rows, (size_t)limit - 1), "id")));
    json_t *m = json_pack("{s:s, s:o, s:b, s:b, s:s?}", "title",
                          web_t(req, "exchange.data_use.title"), "reads", rows, "has_reads",
                          json_array_size(rows) > 0, "has_id", idn != NULL, "older", older);
    /* Certificate uses the person authorised, beside the reads (the newest page only). */
    json_t *other = json_array();
    if (before == 0 && x->other.list != NULL &&
        x->other.list(x->other.ctx, s->account_id, EXCHANGE_DATA_USE_PAGE, other, &err) < 0)
        json_array_clear(other);
    size_t i;
    json_t *o;
    json_array_foreach(other, i, o)
    {
        json_object_set_new(
            o, "when",
            json_string(l10n_datetime(req->arena, req->lang,
                                      json_integer_value(json_object_get(o, "at")))));
        const char *kind = json_string_value(json_object_get(o, "kind"));
        const char *pkey = json_string_value(json_object_get(o, "purpose_key"));
        json_t *names = json_object_get(json_object_get(o, "consumer_names"), req->lang);
        if (json_is_string(names)) /* the department's name in the page's language */
            json_object_set(o, "consumer", names);
        json_t *what = json_object_get(json_object_get(o, "what_names"), req->lang);
        if (json_is_string(what) && json_string_length(what) > 0)
            json_object_set(o, "what", what);
        if (pkey != NULL)
            json_object_set_new(o, "purpose_label", json_string(web_t(req, pkey)));
        if (kind != NULL) /* another kind of use than a certificate's (an agent's act) */
            json_object_set_new(
                o, "kind_label",
                json_string(
                    web_t(req, arena_printf(req->arena, "exchange.data_use.kinds.%s", kind))));
    }
    json_object_set_new(m, "has_other", json_boolean(json_array_size(other) > 0));
    json_object_set_new(m, "other", other);
    return web_page(resp, m, "exchange/data_use", 200);
}

/* May `subj` decide on grants of resource document `res` (its provider's reviewers and
 * heads, exchange.grant)? */
static int may_grant(struct web_req *req, struct exchange *x, const struct authz_subject *subj,
                     const json_t *res)
{
    struct identity_department d;
    struct err e;
    const char *code = json_string_value(json_object_get(res, "provider"));
    if (code == NULL || identity_department_find(x->id, req->arena, code, &d, &e) < 0)
        return 0;
    struct authz_object obj = {0, d.id, d.division_code};
    return authz_allowed(subj, "exchange.grant", &obj);
}

static const json_t *resource_of(const json_t *all, const char *code)
{
    size_t i;
    const json_t *r;
    json_array_foreach(all, i, r)
    {
        if (code != NULL && strcmp(json_string_value(json_object_get(r, "code")), code) == 0)
            return r;
    }
    return NULL;
}

/* Corrections people asked for, of the resources this department provides, with who asked
 * (name and masked ID number: the provider holds the record). */
static json_t *corrections_model(struct web_req *req, struct exchange *x,
                                 const struct authz_subject *subj, const json_t *all)
{
    json_t *fixes = json_array();
    size_t i;
    const json_t *r;
    json_array_foreach(all, i, r)
    {
        json_t *list = NULL;
        struct err e;
        if (!may_grant(req, x, subj, r) ||
            exchange_corrections(x, json_string_value(json_object_get(r, "code")), &list, &e) < 0)
            continue;
        size_t k;
        json_t *c;
        json_array_foreach(list, k, c)
        {
            struct identity_account acc;
            const json_t *f =
                exchange_resource_field(r, json_string_value(json_object_get(c, "field")));
            int known = identity_account_get(x->id, req->arena,
                                             json_integer_value(json_object_get(c, "account_id")),
                                             &acc, &e) == 0;
            json_object_set_new(c, "person", json_string(known ? acc.name : "?"));
            json_object_set_new(
                c, "id_masked",
                json_string(known && acc.id_number_masked ? acc.id_number_masked : ""));
            json_object_set_new(c, "resource_name",
                                json_string(loc(json_object_get(r, "name"), req->lang)));
            json_object_set_new(c, "field_name",
                                json_string(f ? loc(json_object_get(f, "label"), req->lang) : ""));
            json_object_set_new(
                c, "when",
                json_string(l10n_datetime(req->arena, req->lang,
                                          json_integer_value(json_object_get(c, "at")))));
            json_object_del(c, "account_id");
            json_array_append(fixes, c);
        }
        json_decref(list);
    }
    return fixes;
}

/* The provider's page: requests and grants of the resources its department provides. */
static int h_grants(struct web_req *req, struct web_resp *resp)
{
    struct exchange *x = req->ctx;
    struct authz_subject subj;
    json_t *all = NULL, *grants = NULL, *mine = json_array();
    struct err err;
    err_clear(&err);
    if (identity_web_subject(x->id, req, resp, &subj) < 0) {
        json_decref(mine);
        return -1;
    }
    if (!authz_allowed_somewhere(&subj, "exchange.grant")) {
        json_decref(mine);
        return web_fail(resp, 403, "exchange.providers_only",
                        "requests are decided by the provider department");
    }
    if (exchange_resources(x, &all, &err) < 0 || exchange_grants(x, NULL, &grants, &err) < 0) {
        json_decref(all);
        json_decref(mine);
        return web_fail_err(resp, &err);
    }
    size_t i;
    json_t *g;
    json_array_foreach(grants, i, g)
    {
        const json_t *res = resource_of(all, json_string_value(json_object_get(g, "resource")));
        if (res == NULL || !may_grant(req, x, &subj, res))
            continue;
        const char *st = json_string_value(json_object_get(g, "status"));
        json_object_set_new(g, "resource_name",
                            json_string(loc(json_object_get(res, "name"), req->lang)));
        json_object_set_new(
            g, "status_label",
            json_string(web_t(req, arena_printf(req->arena, "exchange.grants.status.%s", st))));
        json_object_set_new(g, "requested", json_boolean(strcmp(st, "requested") == 0));
        json_object_set_new(g, "approved", json_boolean(strcmp(st, "approved") == 0));
        json_object_set_new(
            g, "until",
            json_string(l10n_datetime(req->arena, req->lang,
                                      json_integer_value(json_object_get(g, "expires_at")))));
        json_object_set_new(g, "action",
                            json_string(arena_printf(req->arena, "/exchange/grants/%s/decide",
                                                     json_string_value(json_object_get(g, "id")))));
        json_array_append(mine, g);
    }
    json_decref(grants);
    json_t *fixes = corrections_model(req, x, &subj, all);
    json_decref(all);
    json_t *m = json_pack("{s:s, s:o, s:b, s:s, s:b, s:o}", "title",
                          web_t(req, "exchange.grants.title"), "grants", mine, "has_grants",
                          json_array_size(mine) > 0, "csrf", web_csrf_token(req, resp),
                          "has_corrections", json_array_size(fixes) > 0, "corrections", fixes);
    return web_page(resp, m, "exchange/grants", 200);
}

/* approve (fields, days), reject or revoke one grant of a resource the department provides. */
static int h_decide(struct web_req *req, struct web_resp *resp)
{
    struct exchange *x = req->ctx;
    struct authz_subject subj;
    json_t *all = NULL, *grants = NULL;
    struct err err;
    err_clear(&err);
    if (identity_web_subject(x->id, req, resp, &subj) < 0)
        return -1;
    int64_t id = strtoll(web_param(req, "id"), NULL, 10), days = 0;
    const char *action = web_form_value(req, "action");
    const json_t *g = NULL, *res = NULL;
    if (exchange_resources(x, &all, &err) < 0 || exchange_grants(x, NULL, &grants, &err) < 0) {
        json_decref(all);
        return web_fail_err(resp, &err);
    }
    size_t i;
    const json_t *row;
    json_array_foreach(grants, i, row)
    {
        if (strtoll(json_string_value(json_object_get(row, "id")), NULL, 10) == id)
            g = row;
    }
    if (g != NULL)
        res = resource_of(all, json_string_value(json_object_get(g, "resource")));
    int rc;
    if (g == NULL || res == NULL || !may_grant(req, x, &subj, res))
        rc = web_fail(resp, 404, "exchange.no_grant", "no such grant of your department");
    else if (action != NULL && strcmp(action, "revoke") == 0)
        rc = exchange_grant_revoke(x, subj.account_id, id, &err) < 0 ? web_fail_err(resp, &err) : 0;
    else if (action != NULL && (strcmp(action, "approve") == 0 || strcmp(action, "reject") == 0) &&
             web_form_int(req, resp, "days", 1, 1825, 365, &days) == 0)
        rc = exchange_grant_decide(x, subj.account_id, id, strcmp(action, "approve") == 0,
                                   web_form_value(req, "fields"), (int)days, 0, &err) < 0
                 ? web_fail_err(resp, &err)
                 : 0;
    else
        rc = resp->err.code[0] ? -1
                               : web_fail(resp, 400, "exchange.bad_action",
                                          "action is approve, reject or revoke");
    json_decref(grants);
    json_decref(all);
    if (rc < 0)
        return rc;
    if (req->want_json) {
        resp->model = json_pack("{s:s}", "done", "grant_decided");
        return 0;
    }
    return web_redirect(req, resp, "/exchange/grants?done=grant_decided");
}

/* The correction form: what the register gave for one field is wrong (the person says why). */
static int correction_page(struct web_req *req, struct web_resp *resp, const char *resource,
                           const char *field, const char *note, const char *error, int status)
{
    struct exchange *x = req->ctx;
    json_t *res = NULL;
    struct err err;
    err_clear(&err);
    if (exchange_resource(x, resource, &res, &err) < 0)
        return web_fail_err(resp, &err);
    const json_t *f = field ? exchange_resource_field(res, field) : NULL;
    if (f == NULL) {
        json_decref(res);
        return web_fail(resp, 400, "exchange.bad_field", "the resource has no such field");
    }
    json_t *m = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s?}", "title",
                          web_t(req, "exchange.correction.title"), "resource", resource, "field",
                          field, "resource_name", loc(json_object_get(res, "name"), req->lang),
                          "field_name", loc(json_object_get(f, "label"), req->lang), "note",
                          note ? note : "", "csrf", web_csrf_token(req, resp), "error", error);
    json_decref(res);
    return web_page(resp, m, "exchange/correction", status);
}

static int h_correction_form(struct web_req *req, struct web_resp *resp)
{
    if (web_need_session(req, resp, 1) == NULL)
        return -1;
    const char *r = web_query(req, "resource");
    return correction_page(req, resp, r ? r : "", web_query(req, "field"), NULL, NULL, 200);
}

static int h_correction(struct web_req *req, struct web_resp *resp)
{
    struct exchange *x = req->ctx;
    const struct web_session *s = web_need_session(req, resp, 1);
    if (s == NULL)
        return -1;
    const char *r = web_form_value(req, "resource"), *f = web_form_value(req, "field");
    const char *note = web_form_value(req, "note");
    struct err err;
    err_clear(&err);
    if (exchange_correction_request(x, s->account_id, r ? r : "", f, note, &err) < 0) {
        if (strcmp(err.code, "exchange.bad_note") != 0 || req->want_json)
            return web_fail_err(resp, &err);
        return correction_page(req, resp, r, f, note, web_t(req, "errors.exchange.bad_note"), 400);
    }
    if (req->want_json) {
        resp->status = 201;
        resp->model = json_pack("{s:s}", "done", "correction_sent");
        return 0;
    }
    return web_redirect(req, resp, "/account/data-use?done=correction_sent");
}

/* Auditors (audit.read, platform-wide) search every read; a case number narrows it. */
static int h_reads(struct web_req *req, struct web_resp *resp)
{
    struct exchange *x = req->ctx;
    struct authz_subject subj;
    if (identity_web_subject(x->id, req, resp, &subj) < 0)
        return -1;
    if (!authz_allowed_somewhere(&subj, "audit.read"))
        return web_fail(resp, 403, "exchange.auditors_only", "the read log is for auditors");
    int64_t before = 0;
    if (web_query_int(req, resp, "before", 0, INT64_MAX, 0, &before) < 0)
        return -1;
    const char *cs = web_query(req, "case");
    json_t *rows = NULL;
    struct err err;
    err_clear(&err);
    if (exchange_reads_search(x, cs, before, EXCHANGE_DATA_USE_PAGE, &rows, &err) < 0)
        return web_fail_err(resp, &err);
    localise_reads(req, x, rows);
    const char *older = NULL;
    if (json_array_size(rows) == EXCHANGE_DATA_USE_PAGE)
        older = arena_printf(req->arena, "/exchange/reads?%s%s%sbefore=%s",
                             cs && *cs ? "case=" : "", cs && *cs ? cs : "", cs && *cs ? "&" : "",
                             json_string_value(json_object_get(
                                 json_array_get(rows, EXCHANGE_DATA_USE_PAGE - 1), "id")));
    json_t *m = json_pack("{s:s, s:o, s:b, s:s, s:s?}", "title", web_t(req, "exchange.reads.title"),
                          "reads", rows, "has_reads", json_array_size(rows) > 0, "case",
                          cs ? cs : "", "older", older);
    return web_page(resp, m, "exchange/reads", 200);
}

int exchange_http_register(struct web_server *srv, struct exchange *x, struct oidc *o,
                           struct identity *id)
{
    x->oidc = o;
    x->id = id;
    if (web_route(srv, "GET", "/exchange/resources", h_resources, x) < 0 ||
        web_route(srv, "GET", "/api/v1/exchange/resources", h_resources, x) < 0 ||
        web_route(srv, "GET", "/account/data-use", h_data_use, x) < 0 ||
        web_route(srv, "GET", "/exchange/reads", h_reads, x) < 0 ||
        web_route(srv, "GET", "/exchange/grants", h_grants, x) < 0 ||
        web_route(srv, "GET", "/exchange/corrections/new", h_correction_form, x) < 0 ||
        web_route(srv, "POST", "/exchange/corrections", h_correction, x) < 0 ||
        web_route(srv, "GET", "/api/v1/exchange/grants", h_grants, x) < 0 ||
        web_route(srv, "POST", "/exchange/grants/{id:int}/decide", h_decide, x) < 0 ||
        web_route(srv, "POST", "/api/v1/exchange/grants/{id:int}/decide", h_decide, x) < 0 ||
        web_route(srv, "GET", "/api/v1/exchange/reads", h_reads, x) < 0 ||
        web_route(srv, "GET", "/api/v1/account/data-use", h_data_use, x) < 0 ||
        web_route(srv, "GET", "/exchange/v1/openapi.json", h_openapi, x) < 0)
        return -1;
    if (o != NULL &&
        (web_route(srv, "GET", "/exchange/v1/{resource}", h_read, x) < 0 ||
         web_route_ex(srv, "POST", "/exchange/v1/requests", h_request, x, WEB_ROUTE_NO_CSRF) < 0))
        return -1;
    return 0;
}
