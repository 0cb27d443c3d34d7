/*
 * catalog_admin_http.c - the catalog's administration pages (routes registered through
 * catalog_http_register; the list of routes is in catalog_http.c's header). Every handler asks
 * authz_allowed(subject, "catalog.admin") first: platform administrators with two factors; a
 * refusal is audited.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "base/arena.h"
#include "catalog/catalog_internal.h"
#include "identity/identity.h"
#include "l10n/l10n.h"
#include "store/store.h"
#include "web/web.h"

/* The handle every route was registered with. */
static struct catalog *cat_of(const struct web_req *req)
{
    return req->ctx;
}

/* The administrator behind the request: 0 with *actor, or -1 with the response failed (401
 * to the login and back, 403 audited as a refusal). */
static int require_admin(struct web_req *req, struct web_resp *resp, int64_t *actor)
{
    struct authz_subject subj;
    struct authz_object obj = {0, 0, 0};
    struct err err;
    err_clear(&err);
    if (identity_web_subject(cat_of(req)->id, req, resp, &subj) < 0)
        return -1;
    if (!authz_allowed(&subj, "catalog.admin", &obj)) {
        struct store_conn *c = store_conn(cat_of(req)->st, &err);
        struct audit_event ev = {subj.account_id, "catalog.admin",    req->path,
                                 "denied",        web_client_ip(req), NULL};
        if (c != NULL)
            audit_record(c, &ev, &err);
        return web_fail(resp, 403, "catalog.forbidden",
                        "only platform administrators (with two factors) edit the catalog");
    }
    *actor = subj.account_id;
    return 0;
}

static int h_admin_list(struct web_req *req, struct web_resp *resp)
{
    int64_t actor;
    if (require_admin(req, resp, &actor) < 0)
        return -1;
    json_t *items;
    struct err err;
    err_clear(&err);
    if (catalog_admin_list(cat_of(req)->st, &items, &err) < 0)
        return web_fail_err(resp, &err);
    size_t i;
    json_t *v;
    json_array_foreach(items, i, v)
    {
        const char *code = json_string_value(json_object_get(v, "code"));
        json_object_set_new(v, "url",
                            json_string(arena_printf(req->arena, "/admin/catalog/%s", code)));
        json_object_set_new(v, "name_shown", catalog_web_text(req, json_object_get(v, "name")));
        json_object_set_new(
            v, "status_label",
            json_string(catalog_web_label(req, "catalog.status",
                                          json_string_value(json_object_get(v, "latest_status")))));
        json_object_set_new(
            v, "updated",
            json_string(l10n_datetime(req->arena, req->lang,
                                      json_integer_value(json_object_get(v, "updated_at")))));
    }
    return web_page(resp,
                    json_pack("{s:s, s:o, s:s}", "title", web_t(req, "catalog.admin.title"),
                              "items", items, "csrf", web_csrf_token(req, resp)),
                    "catalog/admin", 200);
}

static json_t *localise_problems(struct web_req *req, json_t *problems)
{
    size_t i;
    json_t *p;
    json_array_foreach(problems, i, p)
    {
        const char *code = json_string_value(json_object_get(p, "code"));
        json_object_set_new(p, "text",
                            json_string(catalog_web_t_or(
                                req, code, json_string_value(json_object_get(p, "message")))));
    }
    return problems;
}

/* The editor. `item` (may be NULL) is the document as parsed: the Tibetan texts it still
 * lacks for publication are listed under the problems (a draft may be saved without them). */
static json_t *editor_model(struct web_req *req, struct web_resp *resp, const char *text,
                            json_t *problems, const json_t *item)
{
    json_t *missing = json_array();
    if (item != NULL)
        catalog_item_check_bo(item, missing);
    json_t *m = json_pack(
        "{s:s, s:s, s:s, s:o, s:b, s:o, s:b}", "title", web_t(req, "catalog.admin.new_title"),
        "doc", text, "csrf", web_csrf_token(req, resp), "problems",
        problems ? localise_problems(req, problems) : json_array(), "has_problems",
        problems != NULL && json_array_size(problems) > 0, "publish_problems",
        localise_problems(req, missing), "has_publish_problems", json_array_size(missing) > 0);
    return m;
}

static int h_admin_new(struct web_req *req, struct web_resp *resp)
{
    int64_t actor;
    if (require_admin(req, resp, &actor) < 0)
        return -1;
    const char *from = web_query(req, "from");
    char *text = NULL;
    json_t *item = NULL;
    if (from != NULL && *from != '\0') {
        struct err err;
        err_clear(&err);
        if (catalog_item_latest(cat_of(req)->st, from, &item, &err) < 0)
            return web_fail_err(resp, &err);
        json_object_del(item, "version");
        json_object_del(item, "status");
        text = json_dumps(item, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    }
    json_t *m = editor_model(req, resp, text ? text : "{\n  \"code\": \"\"\n}", NULL, item);
    json_decref(item);
    free(text);
    return web_page(resp, m, "catalog/edit", 200);
}

static int h_admin_save(struct web_req *req, struct web_resp *resp)
{
    int64_t actor;
    if (require_admin(req, resp, &actor) < 0)
        return -1;
    const char *text = web_form_value(req, "doc");
    const char *ctype = web_header(req, "Content-Type");
    if (text == NULL && ctype != NULL && strncmp(ctype, "application/json", 16) == 0)
        text = req->body;
    if (text == NULL)
        text = "";
    json_error_t je;
    json_t *problems = json_array();
    json_t *item = json_loads(text, JSON_REJECT_DUPLICATES, &je);
    int version = 0;
    struct err err;
    err_clear(&err);
    if (item == NULL) {
        json_array_append_new(
            problems, json_pack("{s:s, s:s, s:s}", "path",
                                arena_printf(req->arena, "line %d, column %d", je.line, je.column),
                                "code", "catalog.check.json", "message", je.text));
    } else {
        int r = catalog_draft_save(cat_of(req), actor, web_client_ip(req), item, &version, problems,
                                   &err);
        if (r < 0) {
            json_decref(item);
            json_decref(problems);
            return web_fail_err(resp, &err);
        }
    }
    if (json_array_size(problems) > 0) {
        json_t *m = editor_model(req, resp, text, problems, item);
        json_decref(item);
        /* For JSON clients the model reads as an RFC 9457 problem with the list. */
        json_object_set_new(m, "type", json_string("about:blank"));
        json_object_set_new(m, "status", json_integer(422));
        json_object_set_new(m, "code", json_string("catalog.invalid"));
        json_object_set_new(m, "detail", json_string(web_t(req, "errors.catalog.invalid")));
        return web_page(resp, m, "catalog/edit", 422);
    }
    const char *code = arena_strdup(req->arena, json_string_value(json_object_get(item, "code")));
    const char *loc = arena_printf(req->arena, "/admin/catalog/%s", code);
    json_decref(item);
    json_decref(problems);
    if (req->want_json) {
        return web_page(resp,
                        json_pack("{s:s, s:i, s:s, s:s}", "code", code ? code : "", "version",
                                  version, "status", "draft", "url", loc),
                        NULL, 201);
    }
    return web_redirect(req, resp, loc);
}

/* The page of one item: its versions with what changed, and for each draft the Tibetan
 * texts it lacks; `refused` (may be NULL; owned from here) lists why a publication was just
 * refused. NULL with resp failed. */
static json_t *item_admin_model(struct web_req *req, struct web_resp *resp, const char *code,
                                json_t *refused)
{
    json_t *versions, *latest;
    struct err err;
    err_clear(&err);
    if (catalog_history(cat_of(req)->st, code, &versions, &err) < 0) {
        json_decref(refused);
        web_fail_err(resp, &err);
        return NULL;
    }
    if (catalog_item_latest(cat_of(req)->st, code, &latest, &err) < 0) {
        json_decref(versions);
        json_decref(refused);
        web_fail_err(resp, &err);
        return NULL;
    }
    int published = 0;
    size_t i;
    json_t *v;
    json_array_foreach(versions, i, v)
    {
        const char *status = json_string_value(json_object_get(v, "status"));
        json_t *missing = json_object_get(v, "publish_problems");
        json_object_set_new(v, "status_label",
                            json_string(catalog_web_label(req, "catalog.status", status)));
        json_object_set_new(v, "is_draft", json_boolean(strcmp(status, "draft") == 0));
        json_object_set_new(
            v, "created",
            json_string(l10n_datetime(req->arena, req->lang,
                                      json_integer_value(json_object_get(v, "created_at")))));
        json_object_set_new(
            v, "published",
            json_string(l10n_datetime(req->arena, req->lang,
                                      json_integer_value(json_object_get(v, "published_at")))));
        json_object_set_new(v, "has_changes",
                            json_boolean(json_array_size(json_object_get(v, "changes")) > 0));
        localise_problems(req, missing);
        json_object_set_new(v, "has_publish_problems", json_boolean(json_array_size(missing) > 0));
        if (strcmp(status, "published") == 0)
            published = 1;
    }
    json_t *m = json_pack(
        "{s:s, s:s, s:o, s:o, s:s, s:s, s:s, s:b, s:s}", "title",
        arena_printf(req->arena, "%s · %s", code, web_t(req, "catalog.admin.title")), "code", code,
        "versions", versions, "name", catalog_web_text(req, json_object_get(latest, "name")),
        "publish_url", arena_printf(req->arena, "/admin/catalog/%s/publish", code), "retire_url",
        arena_printf(req->arena, "/admin/catalog/%s/retire", code), "edit_url",
        arena_printf(req->arena, "/admin/catalog/new?from=%s", code), "published", published,
        "csrf", web_csrf_token(req, resp));
    json_decref(latest);
    if (m == NULL) {
        json_decref(refused);
        web_fail(resp, 500, "catalog.oom", "out of memory");
        return NULL;
    }
    json_object_set_new(m, "public_url",
                        json_string(arena_printf(req->arena, "/services/%s", code)));
    /* The page names the item by item_code: a refusal's problem document takes "code". */
    json_object_set_new(m, "item_code", json_string(code));
    json_object_set_new(m, "has_refused", json_boolean(json_array_size(refused) > 0));
    json_object_set_new(m, "refused",
                        refused != NULL ? localise_problems(req, refused) : json_array());
    return m;
}

static int h_admin_show(struct web_req *req, struct web_resp *resp)
{
    int64_t actor;
    if (require_admin(req, resp, &actor) < 0)
        return -1;
    json_t *m = item_admin_model(req, resp, web_param(req, "code"), NULL);
    return m == NULL ? -1 : web_page(resp, m, "catalog/item_admin", 200);
}

static int h_admin_publish(struct web_req *req, struct web_resp *resp)
{
    int64_t actor;
    if (require_admin(req, resp, &actor) < 0)
        return -1;
    const char *code = web_param(req, "code");
    int64_t version;
    if (web_form_int(req, resp, "version", 1, 1000000, 0, &version) < 0)
        return -1;
    if (version == 0)
        return web_fail(resp, 400, "catalog.bad_version", "the version is a positive whole number");
    struct err err;
    err_clear(&err);
    json_t *problems = json_array();
    if (catalog_publish(cat_of(req), actor, web_client_ip(req), code, (int)version, problems,
                        &err) < 0) {
        if (strcmp(err.code, "catalog.not_publishable") != 0) {
            json_decref(problems);
            return web_fail_err(resp, &err);
        }
        /* The item's page again with every reason; for JSON clients an RFC 9457 problem
         * with the list. */
        json_t *m = item_admin_model(req, resp, code, problems);
        if (m == NULL)
            return -1;
        json_object_set_new(m, "type", json_string("about:blank"));
        json_object_set_new(m, "status", json_integer(422));
        json_object_set_new(m, "code", json_string("catalog.not_publishable"));
        json_object_set_new(m, "detail", json_string(web_t(req, "errors.catalog.not_publishable")));
        json_object_set(m, "problems", json_object_get(m, "refused"));
        return web_page(resp, m, "catalog/item_admin", 422);
    }
    json_decref(problems);
    if (req->want_json)
        return web_page(resp,
                        json_pack("{s:s, s:i, s:s}", "code", code, "version", (int)version,
                                  "status", "published"),
                        NULL, 200);
    return web_redirect(req, resp,
                        arena_printf(req->arena, "/admin/catalog/%s?done=catalog_published", code));
}

static int h_admin_retire(struct web_req *req, struct web_resp *resp)
{
    int64_t actor;
    if (require_admin(req, resp, &actor) < 0)
        return -1;
    const char *code = web_param(req, "code");
    struct err err;
    err_clear(&err);
    if (catalog_retire(cat_of(req), actor, web_client_ip(req), code, &err) < 0)
        return web_fail_err(resp, &err);
    if (req->want_json)
        return web_page(resp, json_pack("{s:s, s:s}", "code", code, "status", "retired"), NULL,
                        200);
    return web_redirect(req, resp,
                        arena_printf(req->arena, "/admin/catalog/%s?done=catalog_retired", code));
}

int catalog_admin_routes(struct web_server *srv, struct catalog *cat)
{
    if (web_route(srv, "GET", "/admin/catalog", h_admin_list, cat) < 0 ||
        web_route(srv, "GET", "/admin/catalog/new", h_admin_new, cat) < 0 ||
        web_route(srv, "POST", "/admin/catalog/new", h_admin_save, cat) < 0 ||
        web_route(srv, "GET", "/admin/catalog/{code}", h_admin_show, cat) < 0 ||
        web_route(srv, "POST", "/admin/catalog/{code}/publish", h_admin_publish, cat) < 0 ||
        web_route(srv, "POST", "/admin/catalog/{code}/retire", h_admin_retire, cat) < 0)
        return -1;
    return 0;
}
