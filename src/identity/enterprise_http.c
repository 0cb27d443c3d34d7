/*
 * enterprise_http.c - the enterprise pages of the account (法人账户): register an
 * enterprise, see one (its members with masked ID numbers) and, for its legal
 * representative, add and remove agents. The logic and its authorization (membership;
 * 404 for outsiders, 403 for agents who try to manage) are in enterprise.c.
 *
 * As in identity_http.c: every form carries the CSRF token and re-renders with all of its
 * field errors at once; every page is also JSON (Accept: application/json or /api/v1),
 * with 64-bit ids as strings.
 */
#include "identity/identity_internal.h"

#include <stdio.h>
#include <string.h>

#include "base/arena.h"
#include "base/buf.h"
#include "identity/identity_http_internal.h"
#include "web/web.h"

static const char *id_str(struct web_req *req, int64_t v)
{
    return arena_printf(req->arena, "%lld", (long long)v);
}

static const char *role_label(struct web_req *req, int role)
{
    char key[64];
    snprintf(key, sizeof(key), "enterprise.roles.%s", identity_enterprise_role_name(role));
    return web_t(req, key);
}

static json_t *enterprise_json(struct web_req *req, const struct identity_enterprise *e)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id", id_str(req, e->id), "uscc",
                     e->uscc, "name", e->name, "legal_rep", e->legal_rep, "role",
                     identity_enterprise_role_name(e->role), "role_label", role_label(req, e->role),
                     "url",
                     arena_printf(req->arena, "/account/enterprises/%lld", (long long)e->id));
}

static json_t *enterprises_json(struct web_req *req, struct identity *id, int64_t account_id)
{
    struct identity_enterprise *list = NULL;
    size_t n = 0;
    struct err err;
    json_t *arr = json_array();
    if (identity_enterprises_of(id, req->arena, account_id, &list, &n, &err) < 0)
        return arr;
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, enterprise_json(req, &list[i]));
    return arr;
}

void identity_enterprise_account_model(struct web_req *req, struct identity *id, int64_t account_id,
                                       struct json_t *m)
{
    json_t *list = enterprises_json(req, id, account_id);
    json_object_set_new(m, "has_enterprises", json_boolean(json_array_size(list) > 0));
    json_object_set_new(m, "enterprises", list);
}

/* ---- register -------------------------------------------------------------------------- */

static json_t *new_model(struct web_req *req, struct web_resp *resp)
{
    return json_pack("{s:s, s:s}", "title", web_t(req, "enterprise.new.title"), "csrf",
                     web_csrf_token(req, resp));
}

static int h_new_form(struct web_req *req, struct web_resp *resp)
{
    int64_t account_id;
    int rc = idh_require_login(req, resp, &account_id);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    json_t *m = new_model(req, resp);
    json_object_set_new(m, "values", json_pack("{s:s}", "role", "legal_rep"));
    json_object_set_new(m, "role_legal_rep", json_true());
    return web_page(resp, m, "identity/enterprise_new", 200);
}

static int h_register(struct web_req *req, struct web_resp *resp)
{
    struct identity *id = req->ctx;
    int64_t account_id;
    int rc = idh_require_login(req, resp, &account_id);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    struct identity_enterprise_registration in = {
        .uscc = web_form_value(req, "uscc"),
        .name = web_form_value(req, "name"),
        .legal_rep = web_form_value(req, "legal_rep"),
        .role = web_form_value(req, "role"),
    };
    struct identity_field_errors fe;
    struct err err;
    err_clear(&err);
    int64_t enterprise_id = 0;
    rc = identity_enterprise_register(id, account_id, &in, web_client_ip(req), &enterprise_id, &fe,
                                      &err);
    if (rc < 0)
        return web_fail_err(resp, &err);
    if (rc == 1) {
        json_t *m = new_model(req, resp);
        idh_add_errors(req, m, &fe);
        json_object_set_new(m, "values",
                            json_pack("{s:s, s:s, s:s, s:s}", "uscc", in.uscc ? in.uscc : "",
                                      "name", in.name ? in.name : "", "legal_rep",
                                      in.legal_rep ? in.legal_rep : "", "role",
                                      in.role ? in.role : ""));
        int r = identity_enterprise_role_parse(in.role);
        json_object_set_new(m, "role_legal_rep", json_boolean(r == ENTERPRISE_LEGAL_REP));
        json_object_set_new(m, "role_agent", json_boolean(r == ENTERPRISE_AGENT));
        return web_page(resp, m, "identity/enterprise_new", 422);
    }
    return web_redirect(
        req, resp, arena_printf(req->arena, "/account/enterprises/%lld", (long long)enterprise_id));
}

static int h_list(struct web_req *req, struct web_resp *resp)
{
    struct identity *id = req->ctx;
    int64_t account_id;
    int rc = idh_require_login(req, resp, &account_id);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    /* People see the list on their account page; this is its API twin. */
    if (!req->want_json)
        return web_redirect(req, resp, "/account");
    json_t *m = json_pack("{s:s}", "title", web_t(req, "enterprise.list.title"));
    if (m != NULL)
        json_object_set_new(m, "enterprises", enterprises_json(req, id, account_id));
    return web_page(resp, m, "identity/account", 200);
}

/* ---- one enterprise -------------------------------------------------------------------- */

/* The enterprise page of `account_id` (404 unless a member); `fe` the add form's errors. */
static int enterprise_page(struct web_req *req, struct web_resp *resp, int64_t account_id,
                           int64_t enterprise_id, const struct identity_field_errors *fe,
                           int status)
{
    struct identity *id = req->ctx;
    struct identity_enterprise e;
    struct identity_enterprise_member *members = NULL;
    size_t n = 0;
    struct err err;
    if (identity_enterprise_get(id, req->arena, account_id, enterprise_id, &e, &err) < 0 ||
        identity_enterprise_members(id, req->arena, account_id, enterprise_id, &members, &n, &err) <
            0)
        return web_fail_err(resp, &err);
    int manager = e.role == ENTERPRISE_LEGAL_REP;
    json_t *m =
        json_pack("{s:s, s:s, s:o, s:b}", "title", e.name, "csrf", web_csrf_token(req, resp),
                  "enterprise", enterprise_json(req, &e), "is_legal_rep", manager);
    if (m == NULL)
        return web_fail(resp, 500, "http.internal", "out of memory");
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *row = json_pack("{s:s, s:s, s:s, s:s, s:b}", "account_id",
                                id_str(req, members[i].account_id), "name", members[i].name, "role",
                                identity_enterprise_role_name(members[i].role), "role_label",
                                role_label(req, members[i].role), "removable",
                                manager && members[i].role == ENTERPRISE_AGENT);
        if (row != NULL && members[i].id_number_masked != NULL)
            json_object_set_new(row, "id_number", json_string(members[i].id_number_masked));
        if (row != NULL && manager && members[i].role == ENTERPRISE_AGENT)
            json_object_set_new(
                row, "remove_url",
                json_string(arena_printf(req->arena, "/account/enterprises/%lld/agents/%lld/remove",
                                         (long long)e.id, (long long)members[i].account_id)));
        json_array_append_new(list, row);
    }
    json_object_set_new(m, "members", list);
    if (fe != NULL && fe->n > 0)
        idh_add_errors(req, m, fe);
    return web_page(resp, m, "identity/enterprise", status);
}

static int h_show(struct web_req *req, struct web_resp *resp)
{
    int64_t account_id;
    int rc = idh_require_login(req, resp, &account_id);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    return enterprise_page(req, resp, account_id, web_param_int(req, "id"), NULL, 200);
}

static int h_agent_add(struct web_req *req, struct web_resp *resp)
{
    struct identity *id = req->ctx;
    int64_t account_id, enterprise_id = web_param_int(req, "id");
    int rc = idh_require_login(req, resp, &account_id);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    struct identity_field_errors fe;
    struct err err;
    err_clear(&err);
    rc = identity_enterprise_agent_add(id, account_id, enterprise_id,
                                       web_form_value(req, "id_number"), web_client_ip(req), &fe,
                                       &err);
    if (rc < 0)
        return web_fail_err(resp, &err);
    if (rc == 1)
        return enterprise_page(req, resp, account_id, enterprise_id, &fe, 422);
    return web_redirect(req, resp,
                        arena_printf(req->arena, "/account/enterprises/%lld?done=agent_add",
                                     (long long)enterprise_id));
}

static int h_agent_remove(struct web_req *req, struct web_resp *resp)
{
    struct identity *id = req->ctx;
    int64_t account_id, enterprise_id = web_param_int(req, "id");
    int rc = idh_require_login(req, resp, &account_id);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    struct err err;
    err_clear(&err);
    if (identity_enterprise_agent_remove(id, account_id, enterprise_id,
                                         web_param_int(req, "account"), web_client_ip(req),
                                         &err) < 0)
        return web_fail_err(resp, &err);
    return web_redirect(req, resp,
                        arena_printf(req->arena, "/account/enterprises/%lld?done=agent_remove",
                                     (long long)enterprise_id));
}

int identity_enterprise_http_register(struct web_server *srv, struct identity *id)
{
    if (web_route(srv, "GET", "/account/enterprises/new", h_new_form, id) < 0 ||
        web_route(srv, "POST", "/account/enterprises", h_register, id) < 0 ||
        web_route(srv, "GET", "/account/enterprises", h_list, id) < 0 ||
        web_route(srv, "GET", "/api/v1/account/enterprises", h_list, id) < 0 ||
        web_route(srv, "GET", "/account/enterprises/{id:int}", h_show, id) < 0 ||
        web_route(srv, "GET", "/api/v1/account/enterprises/{id:int}", h_show, id) < 0 ||
        web_route(srv, "POST", "/account/enterprises/{id:int}/agents", h_agent_add, id) < 0 ||
        web_route(srv, "POST", "/account/enterprises/{id:int}/agents/{account:int}/remove",
                  h_agent_remove, id) < 0)
        return -1;
    return 0;
}
