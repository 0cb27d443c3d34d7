/*
 * oidc_admin.c - the administration pages for relying parties (the department systems
 * that log people in through the platform):
 *
 *   GET  /admin/clients               the registered systems
 *   GET  /admin/clients/new           the registration form
 *   POST /admin/clients/new           register; the secret is shown on this page, once
 *   GET  /admin/clients/{id}/remove   asks first: what removing does, and a red button
 *   POST /admin/clients/{id}/remove   with confirm=1: remove the system and revoke its
 *                                     grants, then back to the list with ?done=; without
 *                                     it, the question again (no JavaScript needed)
 *
 * Every page asks authz_allowed(subject, "oidc.client_admin") (platform administrators,
 * with two factors); JSON twins come from `Accept: application/json`.
 */
#include "oidc/oidc_internal.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/arena.h"
#include "identity/identity.h"
#include "l10n/l10n.h"
#include "store/store.h"
#include "web/web.h"

#define ADMIN_ACTION "oidc.client_admin"

/* The administrator asking: 0 with *actor set; -1 with the response failed (401 to the
 * login and back, 403 audited for anyone else). */
static int require_admin(struct web_req *req, struct web_resp *resp, struct oidc *o, int64_t *actor)
{
    struct authz_subject subj;
    struct authz_object obj = {0, 0, 0};
    if (identity_web_subject(o->identity, req, resp, &subj) < 0)
        return -1;
    if (!authz_allowed(&subj, ADMIN_ACTION, &obj)) {
        oidc_audit(o, subj.account_id, "oidc.client_admin", req->path, "denied", web_client_ip(req),
                   NULL);
        return web_fail(resp, 403, "oidc.forbidden",
                        "only platform administrators (with two factors) manage systems");
    }
    *actor = subj.account_id;
    return 0;
}

static json_t *strings(const char *const *list, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a != NULL && i < n; i++)
        json_array_append_new(a, json_string(list[i]));
    return a;
}

static int h_list(struct web_req *req, struct web_resp *resp)
{
    struct oidc *o = req->ctx;
    int64_t actor;
    if (require_admin(req, resp, o, &actor) < 0)
        return -1;
    struct oidc_client_info *list = NULL;
    size_t n = 0;
    struct err err;
    err_clear(&err);
    if (oidc_client_list(o->store, req->arena, &list, &n, &err) < 0)
        return web_fail_err(resp, &err);
    json_t *clients = json_array();
    for (size_t i = 0; clients != NULL && i < n; i++) {
        const struct oidc_client_info *c = &list[i];
        json_array_append_new(
            clients,
            json_pack("{s:s, s:s, s:s, s:o, s:o, s:s, s:s, s:s, s:s}", "client_id", c->client_id,
                      "name", c->name, "auth_method", c->auth_method, "redirect_uris",
                      strings(c->redirect_uris, c->nredirect_uris), "post_logout_uris",
                      strings(c->post_logout_uris, c->npost_logout_uris), "scopes", c->scopes,
                      "grant_types", c->grant_types, "created",
                      l10n_datetime(req->arena, req->lang, c->created_at), "remove_url",
                      arena_printf(req->arena, "/admin/clients/%s/remove", c->client_id)));
    }
    return web_page(resp,
                    json_pack("{s:s, s:o, s:b}", "title", web_t(req, "oidc.admin.title"), "clients",
                              clients, "has_clients", n > 0),
                    "oidc/clients", 200);
}

/* ---- the registration form ----------------------------------------------------------------- */

/* Every value a repeated field (checkboxes) was sent with. */
static int form_has(const struct web_req *req, const char *name, const char *value)
{
    for (size_t i = 0; i < req->nform; i++)
        if (strcmp(req->form[i].name, name) == 0 && strcmp(req->form[i].value, value) == 0)
            return 1;
    return 0;
}

static json_t *options(struct web_req *req, const char *field, const char *const *values, size_t n,
                       const char *prefix, int posted, const char *defaults)
{
    json_t *a = json_array();
    for (size_t i = 0; a != NULL && i < n; i++) {
        char key[96];
        snprintf(key, sizeof(key), "%s.%s", prefix, values[i]);
        int on = posted ? form_has(req, field, values[i]) : oidc_word_in(defaults, values[i]);
        json_array_append_new(
            a, json_pack("{s:s, s:s, s:s, s:b}", "value", values[i], "label", web_t(req, key), "id",
                         arena_printf(req->arena, "%s-%s", field, values[i]), "checked", on));
    }
    return a;
}

static const char *const SCOPES[] = {"openid", "profile", "phone", "id_number"};
static const char *const GRANTS[] = {"authorization_code", "refresh_token", "client_credentials"};
static const char *const METHODS[] = {"client_secret_basic", "private_key_jwt"};

static json_t *form_model(struct web_req *req, struct web_resp *resp, int posted)
{
    const char *method = posted ? web_form_value(req, "auth_method") : NULL;
    if (method == NULL)
        method = "client_secret_basic";
    json_t *methods = json_array();
    for (size_t i = 0; methods != NULL && i < 2; i++) {
        char key[96];
        snprintf(key, sizeof(key), "oidc.admin.methods.%s", METHODS[i]);
        json_array_append_new(methods,
                              json_pack("{s:s, s:s, s:s, s:b}", "value", METHODS[i], "label",
                                        web_t(req, key), "id",
                                        arena_printf(req->arena, "auth_method-%s", METHODS[i]),
                                        "checked", strcmp(method, METHODS[i]) == 0));
    }
    const char *fields[] = {"name", "redirect_uris", "post_logout_uris", "jwks", "api_scopes"};
    json_t *values = json_object();
    for (size_t i = 0; values != NULL && i < 5; i++) {
        const char *v = posted ? web_form_value(req, fields[i]) : NULL;
        json_object_set_new(values, fields[i], json_string(v ? v : ""));
    }
    return json_pack(
        "{s:s, s:s, s:o, s:o, s:o, s:o}", "title", web_t(req, "oidc.admin.new_title"), "csrf",
        web_csrf_token(req, resp), "values", values, "scopes",
        options(req, "scopes", SCOPES, 4, "oidc.scopes_short", posted, "openid profile"), "grants",
        options(req, "grant_types", GRANTS, 3, "oidc.admin.grants", posted,
                "authorization_code refresh_token"),
        "methods", methods);
}

static int h_new_form(struct web_req *req, struct web_resp *resp)
{
    struct oidc *o = req->ctx;
    int64_t actor;
    if (require_admin(req, resp, o, &actor) < 0)
        return -1;
    return web_page(resp, form_model(req, resp, 0), "oidc/client_new", 200);
}

/* Split a textarea into its non-empty lines (URIs, one per line): at most `max`. */
static size_t lines(struct arena *a, const char *text, const char **out, size_t max)
{
    size_t n = 0;
    for (const char *p = text; p != NULL && *p != '\0' && n < max;) {
        size_t len = strcspn(p, "\r\n");
        const char *s = p, *e = p + len;
        while (s < e && (*s == ' ' || *s == '\t'))
            s++;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        if (e > s)
            out[n++] = arena_strndup(a, s, (size_t)(e - s));
        p += len;
        p += strspn(p, "\r\n");
    }
    return n;
}

static const char *joined(struct web_req *req, const char *field, const char *const *values,
                          size_t n, const char *extra)
{
    const char *out = "";
    for (size_t i = 0; i < n; i++)
        if (form_has(req, field, values[i]))
            out = arena_printf(req->arena, "%s%s%s", out, *out ? " " : "", values[i]);
    if (extra != NULL && *extra)
        out = arena_printf(req->arena, "%s%s%s", out, *out ? " " : "", extra);
    return out;
}

static int h_new(struct web_req *req, struct web_resp *resp)
{
    struct oidc *o = req->ctx;
    int64_t actor;
    if (require_admin(req, resp, o, &actor) < 0)
        return -1;
    const char *redirects[OIDC_MAX_URIS + 1] = {0}, *logouts[OIDC_MAX_URIS + 1] = {0};
    size_t nr =
        lines(req->arena, web_form_value(req, "redirect_uris"), redirects, OIDC_MAX_URIS + 1);
    size_t nl =
        lines(req->arena, web_form_value(req, "post_logout_uris"), logouts, OIDC_MAX_URIS + 1);
    struct oidc_client_spec spec = {
        .name = web_form_value(req, "name"),
        .redirect_uris = redirects,
        .nredirect_uris = nr,
        .post_logout_uris = logouts,
        .npost_logout_uris = nl,
        .auth_method = web_form_value(req, "auth_method"),
        .jwks_json = web_form_value(req, "jwks"),
        .scopes = joined(req, "scopes", SCOPES, 4, web_form_value(req, "api_scopes")),
        .grant_types = joined(req, "grant_types", GRANTS, 3, NULL),
    };
    if (spec.jwks_json != NULL && *spec.jwks_json == '\0')
        spec.jwks_json = NULL;
    char client_id[OIDC_CLIENT_ID_SIZE], secret[OIDC_SECRET_SIZE];
    struct oidc_field_errors fe;
    struct err err;
    err_clear(&err);
    int rc = oidc_client_add(o->store, o->kr, actor, web_client_ip(req), &spec, client_id, secret,
                             &fe, &err);
    if (rc < 0)
        return web_fail_err(resp, &err);
    if (rc == 1) {
        json_t *m = form_model(req, resp, 1);
        json_t *errors = json_array(), *by_field = json_object();
        for (size_t i = 0; i < fe.n; i++) {
            char key[96];
            snprintf(key, sizeof(key), "errors.%s", fe.e[i].code);
            const char *msg = web_t(req, key);
            if (strcmp(msg, key) == 0)
                msg = fe.e[i].msg;
            json_array_append_new(errors,
                                  json_pack("{s:s, s:s}", "field", fe.e[i].field, "message", msg));
            if (json_object_get(by_field, fe.e[i].field) == NULL)
                json_object_set_new(by_field, fe.e[i].field, json_string(msg));
        }
        json_object_set_new(m, "errors", errors);
        json_object_set_new(m, "field_errors", by_field);
        json_object_set_new(m, "has_errors", json_true());
        return web_page(resp, m, "oidc/client_new", 422);
    }
    json_t *m = json_pack("{s:s, s:s, s:s, s:s}", "title", web_t(req, "oidc.admin.created_title"),
                          "client_id", client_id, "name", spec.name, "auth_method",
                          spec.auth_method ? spec.auth_method : "client_secret_basic");
    if (m != NULL && secret[0] != '\0')
        json_object_set_new(m, "client_secret", json_string(secret));
    crypto_wipe(secret, sizeof(secret));
    return web_page(resp, m, "oidc/client_created", 201);
}

/* Removing a system is destructive (its logins stop, its grants are revoked): the
 * question first, answered by a form that says confirm=1. */
static int h_remove(struct web_req *req, struct web_resp *resp)
{
    struct oidc *o = req->ctx;
    int64_t actor;
    if (require_admin(req, resp, o, &actor) < 0)
        return -1;
    const char *id = web_param(req, "id");
    const char *confirm = strcmp(req->method, "POST") == 0 ? web_form_value(req, "confirm") : NULL;
    struct err err;
    err_clear(&err);
    if (confirm == NULL || strcmp(confirm, "1") != 0) {
        struct oidc_client cl;
        int found = 0;
        struct store_conn *c = store_conn(o->store, &err);
        if (c == NULL || oidc_client_load(c, req->arena, id, &cl, &found, &err) < 0)
            return web_fail_err(resp, &err);
        if (!found)
            return web_fail(resp, 404, "oidc.client_not_found", "no system has that client_id");
        return web_page(resp,
                        json_pack("{s:s, s:s, s:s, s:s}", "title",
                                  web_t(req, "oidc.admin.remove_title"), "client_id",
                                  cl.info.client_id, "name", cl.info.name, "remove_url",
                                  arena_printf(req->arena, "/admin/clients/%s/remove", id)),
                        "oidc/client_remove", 200);
    }
    if (oidc_client_remove(o->store, actor, web_client_ip(req), id, &err) < 0)
        return web_fail_err(resp, &err);
    return web_redirect(req, resp, "/admin/clients?done=oidc_client_removed");
}

int oidc_admin_register(struct web_server *srv, struct oidc *o)
{
    if (web_route(srv, "GET", "/admin/clients", h_list, o) < 0 ||
        web_route(srv, "GET", "/admin/clients/new", h_new_form, o) < 0 ||
        web_route(srv, "POST", "/admin/clients/new", h_new, o) < 0 ||
        web_route(srv, "GET", "/admin/clients/{id}/remove", h_remove, o) < 0 ||
        web_route(srv, "POST", "/admin/clients/{id}/remove", h_remove, o) < 0)
        return -1;
    return 0;
}
