/*
 * oversight_roles.c - the security administrator's desk (安全管理员; separation of duties,
 * 等保 2.0 三权分立 with the system administrator, who manages accounts, and the auditor,
 * who reads the audit log): role grants, and nothing else.
 *   GET  /admin/roles?username=   an account's current grants, and the grant form
 *   POST /admin/roles/grant       username, department (code), role
 *   POST /admin/roles/revoke      username, department (code), role
 * "identity.role_admin" only: the system administrator and the auditor get 403 here, and
 * the security administrator gets 403 on accounts (/admin) and on the audit log. Every
 * change is audited by identity (identity.role_grant / identity.role_revoke).
 */
#include "oversight/oversight_http_internal.h"

#include <stdio.h>
#include <string.h>

#include "base/arena.h"

static int need_security_admin(struct web_req *req, struct web_resp *resp, struct oversight *o,
                               struct authz_subject *subj)
{
    if (identity_web_subject(o->id, req, resp, subj) < 0)
        return -1;
    if (!authz_allowed(subj, "identity.role_admin", NULL))
        return web_fail(resp, 403, "oversight.security_admin_only",
                        "role grants are for the security administrator");
    return 0;
}

static json_t *grants_of(struct web_req *req, struct oversight *o, const char *username,
                         struct err *err)
{
    int64_t account = 0;
    struct authz_subject who;
    if (identity_account_find_username(o->id, username, &account, err) < 0 ||
        identity_subject_load(o->id, account, 2, &who, err) < 0)
        return NULL;
    json_t *rows = json_array();
    for (size_t g = 0; g < who.ngrants; g++) {
        struct identity_department d;
        struct err e;
        const char *code = "?";
        if (identity_department_get(o->id, req->arena, who.grants[g].department_id, &d, &e) == 0)
            code = d.code;
        json_array_append_new(
            rows, json_pack("{s:s, s:s, s:s, s:s, s:s}", "department", code, "department_name",
                            ovh_dept_name(req, o, who.grants[g].department_id), "role",
                            identity_role_name(who.grants[g].role), "role_name",
                            web_t(req, arena_printf(req->arena, "identity.roles.%s",
                                                    identity_role_name(who.grants[g].role))),
                            "username", username));
    }
    return rows;
}

/* Who holds the administrators' roles (identity_role_reserved) at the platform department,
 * where they are granted: the first thing a security administrator checks. */
static json_t *administrators(struct web_req *req, struct oversight *o, struct err *err)
{
    struct identity_department platform;
    if (identity_department_find(o->id, req->arena, "platform", &platform, err) < 0)
        return NULL;
    json_t *rows = json_array();
    for (int r = 0; r < ROLE_COUNT; r++) {
        if (!identity_role_reserved(r))
            continue;
        int64_t ids[64];
        size_t n = 0;
        if (identity_department_holders(o->id, platform.id, r, ids, 64, &n, err) < 0) {
            json_decref(rows);
            return NULL;
        }
        for (size_t i = 0; i < n && i < 64; i++) {
            struct identity_account acc;
            struct err e;
            err_clear(&e);
            if (identity_account_get(o->id, req->arena, ids[i], &acc, &e) < 0)
                continue;
            json_array_append_new(rows,
                                  json_pack("{s:s, s:s, s:s, s:s}", "username",
                                            acc.username ? acc.username : "-", "name",
                                            acc.name ? acc.name : "-", "role",
                                            identity_role_name(r), "role_name",
                                            web_t(req, arena_printf(req->arena, "identity.roles.%s",
                                                                    identity_role_name(r)))));
        }
    }
    return rows;
}

static int roles_page(struct web_req *req, struct web_resp *resp, const char *username,
                      struct err *failed)
{
    struct oversight *o = req->ctx;
    struct err err;
    err_clear(&err);
    json_t *m = json_pack("{s:s, s:s, s:s}", "title", web_t(req, "oversight.roles.title"), "csrf",
                          web_csrf_token(req, resp), "username", username ? username : "");
    if (username != NULL && *username) {
        json_t *g = grants_of(req, o, username, &err);
        if (g == NULL && err.status >= 500) {
            json_decref(m);
            return web_fail_err(resp, &err);
        }
        json_object_set_new(m, "grants", g ? g : json_array());
        json_object_set_new(m, "has_grants", json_boolean(json_array_size(g) > 0));
        json_object_set_new(m, "looked_up", json_boolean(g != NULL));
        json_object_set_new(m, "unknown", json_boolean(g == NULL));
    }
    json_t *admins = administrators(req, o, &err);
    if (admins == NULL) {
        json_decref(m);
        return web_fail_err(resp, &err);
    }
    json_object_set_new(m, "administrators", admins);
    struct identity_department *ds = NULL;
    size_t nd = 0;
    json_t *depts = json_array(), *roles = json_array();
    if (identity_department_list(o->id, req->arena, &ds, &nd, &err) == 0)
        for (size_t i = 0; i < nd; i++)
            json_array_append_new(depts, json_pack("{s:s, s:s}", "code", ds[i].code, "name",
                                                   ovh_dept_name(req, o, ds[i].id)));
    for (int r = 0; r < ROLE_COUNT; r++)
        json_array_append_new(roles,
                              json_pack("{s:s, s:s}", "code", identity_role_name(r), "name",
                                        web_t(req, arena_printf(req->arena, "identity.roles.%s",
                                                                identity_role_name(r)))));
    json_object_set_new(m, "departments", depts);
    json_object_set_new(m, "roles", roles);
    int status = 200;
    if (failed != NULL) {
        const char *key = arena_printf(req->arena, "errors.%s", failed->code);
        const char *msg = web_t(req, key);
        json_object_set_new(m, "error",
                            json_pack("{s:s, s:s}", "code", failed->code, "message",
                                      strcmp(msg, key) == 0 ? failed->msg : msg));
        status = failed->status ? failed->status : 400;
    }
    return web_page(resp, m, "oversight/roles", status);
}

static int h_roles(struct web_req *req, struct web_resp *resp)
{
    struct oversight *o = req->ctx;
    struct authz_subject subj;
    if (need_security_admin(req, resp, o, &subj) < 0)
        return -1;
    return roles_page(req, resp, web_query(req, "username"), NULL);
}

static int change(struct web_req *req, struct web_resp *resp, int grant)
{
    struct oversight *o = req->ctx;
    struct authz_subject subj;
    if (need_security_admin(req, resp, o, &subj) < 0)
        return -1;
    const char *username = web_form_value(req, "username");
    const char *dept = web_form_value(req, "department");
    int role = identity_role_parse(web_form_value(req, "role"));
    struct err err;
    err_clear(&err);
    int64_t account = 0;
    struct identity_department d;
    if (role < 0)
        err_set(&err, 400, "identity.role_unknown", "choose a role");
    else if (identity_account_find_username(o->id, username ? username : "", &account, &err) == 0 &&
             identity_department_find(o->id, req->arena, dept ? dept : "", &d, &err) == 0) {
        if (grant)
            identity_grant(o->id, subj.account_id, web_client_ip(req), account, d.id, role, &err);
        else
            identity_revoke(o->id, subj.account_id, web_client_ip(req), account, d.id, role, &err);
    }
    if (err.code[0] != '\0') {
        if (err.status >= 500)
            return web_fail_err(resp, &err);
        if (req->want_json)
            return web_fail_err(resp, &err);
        return roles_page(req, resp, username, &err);
    }
    if (req->want_json)
        return web_page(resp, json_pack("{s:b}", grant ? "granted" : "revoked", 1), NULL, 200);
    /* A username found above is [a-z0-9._-] (identity's rule): safe in a query. */
    return web_redirect(req, resp,
                        arena_printf(req->arena, "/admin/roles?username=%s&done=%s", username,
                                     grant ? "role_granted" : "role_revoked"));
}

static int h_grant(struct web_req *req, struct web_resp *resp)
{
    return change(req, resp, 1);
}

static int h_revoke(struct web_req *req, struct web_resp *resp)
{
    return change(req, resp, 0);
}

int oversight_roles_register(struct web_server *srv, struct oversight *o)
{
    if (web_route(srv, "GET", "/admin/roles", h_roles, o) < 0 ||
        web_route(srv, "GET", "/api/v1/admin/roles", h_roles, o) < 0 ||
        web_route(srv, "POST", "/admin/roles/grant", h_grant, o) < 0 ||
        web_route(srv, "POST", "/api/v1/admin/roles/grant", h_grant, o) < 0 ||
        web_route(srv, "POST", "/admin/roles/revoke", h_revoke, o) < 0 ||
        web_route(srv, "POST", "/api/v1/admin/roles/revoke", h_revoke, o) < 0)
        return -1;
    return 0;
}
