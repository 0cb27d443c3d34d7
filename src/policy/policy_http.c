/*
 * policy_http.c - the policy library's pages and Q&A, each with its JSON twin:
 *   GET  /policies, /api/v1/policies[?service=CODE]  the policies (or those governing a service)
 *   GET  /policies/{id}, /api/v1/policies/{id}        one policy: dates, status, clauses with the
 *                                                     services they govern, interpretations
 *   GET  /policies/clause/{id}                        a clause's place in its policy (search link)
 *   GET  /ask?q=, /api/v1/ask?q=                      a question answered by passages
 *   GET  /admin/policies, POST                        add or replace policies (JSON),
 * administrators POST /policies/{id}/interpretations               add an interpretation
 * (政策解读), administrators Any question is a 200: empty, enormous (cut at POLICY_MAX_QUESTION
 * bytes) or full of operators. When nothing answers well the page offers to send the question to
 * 12345: a form that opens the hotline's public form with the question filled in (the hotline's own
 * rules then apply).
 */
#include "policy/policy_internal.h"

#include <stdio.h>
#include <string.h>

#include "base/arena.h"
#include "catalog/catalog.h"
#include "divisions/divisions.h"
#include "identity/identity.h"
#include "store/store.h"
#include "web/web.h"

/* The text of a localised object in the reader's language, falling back to zh; and whether
 * it fell back (for lang="zh" marking). */
static json_t *loc(struct web_req *req, const json_t *t)
{
    const char *s = json_string_value(json_object_get(t, req->lang));
    const char *lang = req->lang;
    if (s == NULL || *s == '\0') {
        s = json_string_value(json_object_get(t, "zh"));
        lang = "zh";
    }
    return json_pack("{s:s,s:s}", "text", s ? s : "", "lang", lang);
}

static void decorate(struct web_req *req, json_t *d)
{
    json_object_set_new(d, "title_shown", loc(req, json_object_get(d, "title")));
    json_object_set_new(d, "issuer_shown", loc(req, json_object_get(d, "issuer")));
    json_object_set_new(d, "summary_shown", loc(req, json_object_get(d, "summary")));
    const char *st = json_string_value(json_object_get(d, "status"));
    json_object_set_new(d, "status_label",
                        json_string(web_t(req, arena_printf(req->arena, "policy.status.%s",
                                                            st ? st : "in_force"))));
    json_object_set_new(d, "in_force", json_boolean(st && strcmp(st, "in_force") == 0));
    const char *num = json_string_value(json_object_get(d, "number"));
    json_object_set_new(d, "has_number", json_boolean(num && *num));
    json_object_set_new(d, "url",
                        json_string(arena_printf(req->arena, "/policies/%s",
                                                 json_string_value(json_object_get(d, "id")))));
}

static int h_list(struct web_req *req, struct web_resp *resp)
{
    struct policy *p = req->ctx;
    struct err err;
    err_clear(&err);
    json_t *list = NULL;
    const char *service = web_query(req, "service");
    if (service != NULL && *service != '\0') {
        if (strlen(service) > 48)
            return web_fail(resp, 400, "policy.bad_service", "not a service code");
        if (policy_for_service(p, service, &list, &err) < 0)
            return web_fail_err(resp, &err);
        size_t i;
        json_t *v;
        json_array_foreach(list, i, v)
        {
            json_object_set_new(v, "title_shown", loc(req, json_object_get(v, "title")));
            json_object_set_new(
                v, "url",
                json_string(arena_printf(req->arena, "/policies/%s#c%d",
                                         json_string_value(json_object_get(v, "id")),
                                         (int)json_integer_value(json_object_get(v, "clause")))));
        }
        return web_page(resp,
                        json_pack("{s:s,s:s,s:b,s:o}", "title", web_t(req, "policy.title"),
                                  "service", service, "has_governing", json_array_size(list) > 0,
                                  "governing", list),
                        "policy/list", 200);
    }
    if (policy_list(p, &list, &err) < 0)
        return web_fail_err(resp, &err);
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        decorate(req, v);
    }
    return web_page(resp,
                    json_pack("{s:s,s:o,s:b}", "title", web_t(req, "policy.title"), "policies",
                              list, "has_policies", json_array_size(list) > 0),
                    "policy/list", 200);
}

static int h_show(struct web_req *req, struct web_resp *resp)
{
    struct policy *p = req->ctx;
    struct err err;
    err_clear(&err);
    json_t *d = NULL;
    if (policy_get(p, web_param_int(req, "id"), &d, &err) < 0)
        return web_fail_err(resp, &err);
    decorate(req, d);
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(d, "clauses"), i, c)
    {
        json_t *links = json_array();
        size_t j;
        json_t *code;
        json_array_foreach(json_object_get(c, "services"), j, code)
        {
            json_t *item = NULL;
            struct err ie;
            const char *s = json_string_value(code);
            json_t *name = NULL;
            if (catalog_item_published(p->store, s, &item, &ie) == 0)
                name = loc(req, json_object_get(item, "name"));
            json_decref(item);
            json_array_append_new(
                links, json_pack("{s:s,s:o,s:s,s:s}", "code", s, "name",
                                 name ? name : json_pack("{s:s,s:s}", "text", s, "lang", "en"),
                                 "url", arena_printf(req->arena, "/services/%s", s), "apply_url",
                                 arena_printf(req->arena, "/services/%s/apply", s)));
        }
        json_object_set_new(c, "links", links);
        json_object_set_new(c, "has_links", json_boolean(json_array_size(links) > 0));
    }
    json_object_set_new(d, "has_interpretations",
                        json_boolean(json_array_size(json_object_get(d, "interpretations")) > 0));
    json_t *m = json_pack("{s:O,s:o}", "title",
                          json_object_get(json_object_get(d, "title_shown"), "text"), "policy", d);
    /* Administrators see the form for an interpretation. */
    struct authz_subject subj;
    struct authz_object obj = {0, 0, 0};
    if (p->id != NULL && web_session(req) != NULL &&
        identity_web_subject(p->id, req, resp, &subj) == 0 &&
        authz_allowed(&subj, "catalog.admin", &obj))
        json_object_set_new(m, "csrf", json_string(web_csrf_token(req, resp)));
    return web_page(resp, m, "policy/show", 200);
}

static int h_clause(struct web_req *req, struct web_resp *resp)
{
    struct policy *p = req->ctx;
    struct err err;
    err_clear(&err);
    int64_t pid;
    int number;
    if (policy_clause_where(p, web_param_int(req, "id"), &pid, &number, &err) < 0)
        return web_fail_err(resp, &err);
    return web_redirect(req, resp,
                        arena_printf(req->arena, "/policies/%lld#c%d", (long long)pid, number));
}

/* The longest prefix of s of at most max bytes that is whole UTF-8 characters. */
static const char *cut_utf8(struct arena *a, const char *s, size_t max)
{
    size_t n = strnlen(s, max + 1);
    if (n <= max)
        return s;
    n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return arena_strndup(a, s, n);
}

static int h_ask(struct web_req *req, struct web_resp *resp)
{
    struct policy *p = req->ctx;
    struct err err;
    err_clear(&err);
    const char *q = web_query(req, "q");
    if (q == NULL)
        q = "";
    q = cut_utf8(req->arena, q, POLICY_MAX_QUESTION);
    json_t *r = NULL;
    if (policy_ask(p, q, req->lang, 5, &r, &err) < 0)
        return web_fail_err(resp, &err);
    json_t *answers = json_object_get(r, "answers");
    size_t i;
    json_t *a;
    json_array_foreach(answers, i, a)
    {
        const char *kind = json_string_value(json_object_get(a, "kind"));
        json_object_set_new(
            a, "kind_label",
            json_string(web_t(req, arena_printf(req->arena, "policy.kind.%s", kind))));
        size_t nlines = json_array_size(json_object_get(a, "lines"));
        json_object_set_new(a, "has_list", json_boolean(nlines > 1));
        json_object_set_new(a, "has_line", json_boolean(nlines == 1));
        json_object_set_new(a, "is_clause", json_boolean(strcmp(kind, POLICY_KIND_CLAUSE) == 0));
        json_object_set_new(a, "is_guide", json_boolean(strcmp(kind, POLICY_KIND_GUIDE) == 0));
        json_object_set_new(a, "has_apply",
                            json_boolean(json_array_size(json_object_get(a, "apply")) > 0));
        size_t k;
        json_t *ap;
        json_array_foreach(json_object_get(a, "apply"), k, ap)
        {
            json_t *item = NULL;
            struct err ie;
            if (catalog_item_published(p->store, json_string_value(json_object_get(ap, "code")),
                                       &item, &ie) == 0)
                json_object_set_new(ap, "name", loc(req, json_object_get(item, "name")));
            json_decref(item);
        }
        json_t *cite = json_object_get(a, "cite");
        if (json_object_get(cite, "clause") != NULL)
            json_object_set_new(
                cite, "clause_label",
                json_string(
                    arena_printf(req->arena, "%s %lld", web_t(req, "policy.clause"),
                                 (long long)json_integer_value(json_object_get(cite, "clause")))));
    }
    int searched = json_array_size(json_object_get(r, "terms")) > 0 || *q != '\0';
    json_t *m = json_pack("{s:s,s:s,s:O,s:O,s:O,s:b,s:b}", "title", web_t(req, "policy.ask.title"),
                          "q", q, "terms", json_object_get(r, "terms"), "answered",
                          json_object_get(r, "answered"), "answers", answers, "searched", searched,
                          "has_answers", json_array_size(answers) > 0);
    json_decref(r);
    if (m == NULL)
        return web_page(resp, NULL, NULL, 500);
    if (searched && !json_is_true(json_object_get(m, "answered"))) {
        /* The hotline's public form, reached through its picker's "next level" button so that
         * it opens filled in and unchecked (src/hotline/hotline_public.c). */
        json_object_set_new(m, "hotline",
                            json_pack("{s:s,s:s,s:s,s:s}", "csrf", web_csrf_token(req, resp),
                                      "button", DIVISIONS_PICK_BUTTON, "picker", "division",
                                      "description", q));
    }
    return web_page(resp, m, "policy/ask", 200);
}

/* ---- administration ----------------------------------------------------------------------- */

static int require_admin(struct web_req *req, struct web_resp *resp, struct policy *p,
                         int64_t *actor)
{
    struct authz_subject subj;
    struct authz_object obj = {0, 0, 0};
    if (identity_web_subject(p->id, req, resp, &subj) < 0)
        return -1;
    if (!authz_allowed(&subj, "catalog.admin", &obj))
        return web_fail(resp, 403, "policy.forbidden",
                        "only platform administrators (with two factors) edit policies");
    *actor = subj.account_id;
    return 0;
}

static int admin_page(struct web_req *req, struct web_resp *resp, const char *text,
                      const char *error, int done, int status)
{
    struct policy *p = req->ctx;
    struct err err;
    err_clear(&err);
    json_t *list = NULL;
    if (policy_list(p, &list, &err) < 0)
        return web_fail_err(resp, &err);
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        decorate(req, v);
    }
    json_t *m =
        json_pack("{s:s,s:o,s:s,s:s}", "title", web_t(req, "policy.admin.title"), "policies", list,
                  "csrf", web_csrf_token(req, resp), "text", text ? text : "");
    if (error != NULL)
        json_object_set_new(m, "error", json_string(error));
    if (done > 0)
        json_object_set_new(m, "imported", json_integer(done));
    return web_page(resp, m, "policy/admin", status);
}

static int h_admin(struct web_req *req, struct web_resp *resp)
{
    int64_t actor = 0;
    if (require_admin(req, resp, req->ctx, &actor) < 0)
        return -1;
    return admin_page(req, resp, NULL, NULL, 0, 200);
}

static int h_admin_import(struct web_req *req, struct web_resp *resp)
{
    struct policy *p = req->ctx;
    int64_t actor = 0;
    if (require_admin(req, resp, p, &actor) < 0)
        return -1;
    const char *text = web_form_value(req, "document");
    if (text == NULL)
        text = req->body ? req->body : "";
    json_error_t je;
    json_t *doc = json_loads(text, 0, &je);
    if (doc == NULL)
        return admin_page(
            req, resp, text,
            arena_printf(req->arena, "%s %d", web_t(req, "errors.policy.bad_json"), je.line), 0,
            400);
    struct err err;
    err_clear(&err);
    int n = 0;
    int rc = policy_import(p, actor, web_client_ip(req), doc, &n, &err);
    json_decref(doc);
    if (rc < 0 && err.status == 400)
        return admin_page(
            req, resp, text,
            arena_printf(req->arena, "%s (%s)", web_t(req, "errors.policy.bad_doc"), err.msg), 0,
            400);
    if (rc < 0)
        return web_fail_err(resp, &err);
    return admin_page(req, resp, NULL, NULL, n, 200);
}

static int h_interpret(struct web_req *req, struct web_resp *resp)
{
    struct policy *p = req->ctx;
    int64_t actor = 0, id = web_param_int(req, "id");
    if (require_admin(req, resp, p, &actor) < 0)
        return -1;
    struct err err;
    err_clear(&err);
    if (policy_interpret(p, actor, web_client_ip(req), id, web_form_value(req, "lang"),
                         web_form_value(req, "title"), web_form_value(req, "body"), NULL, &err) < 0)
        return web_fail_err(resp, &err);
    return web_redirect(req, resp,
                        arena_printf(req->arena,
                                     "/policies/%lld?done=interpretation_added#interpretations",
                                     (long long)id));
}

int policy_http_register(struct web_server *srv, struct policy *p, struct identity *id)
{
    p->id = id;
    if (web_route(srv, "GET", "/policies", h_list, p) < 0 ||
        web_route(srv, "GET", "/api/v1/policies", h_list, p) < 0 ||
        web_route(srv, "GET", "/policies/{id:int}", h_show, p) < 0 ||
        web_route(srv, "GET", "/api/v1/policies/{id:int}", h_show, p) < 0 ||
        web_route(srv, "GET", "/policies/clause/{id:int}", h_clause, p) < 0 ||
        web_route(srv, "GET", "/ask", h_ask, p) < 0 ||
        web_route(srv, "GET", "/api/v1/ask", h_ask, p) < 0 ||
        web_route(srv, "GET", "/admin/policies", h_admin, p) < 0 ||
        web_route(srv, "POST", "/admin/policies", h_admin_import, p) < 0 ||
        web_route(srv, "POST", "/api/v1/admin/policies", h_admin_import, p) < 0 ||
        web_route(srv, "POST", "/policies/{id:int}/interpretations", h_interpret, p) < 0)
        return -1;
    return 0;
}
