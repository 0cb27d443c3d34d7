/*
 * identity_http.c - the identity pages: register, log in (password, then a second
 * factor), set up TOTP, the account page (masked personal data, password, TOTP, log out
 * everywhere) and the administration of departments, staff and roles.
 *
 * Every form carries the CSRF token (web_csrf_token) and re-renders with all of its field
 * errors at once. Each page is also JSON (Accept: application/json), so the API tests
 * and department systems drive the same handlers.
 */
#include "identity/identity_http_internal.h"
#include "identity/identity_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/lang.h"
#include "base/arena.h"
#include "base/buf.h"
#include "divisions/divisions.h"
#include "store/store.h"
#include "web/qr.h"
#include "web/web.h"

/* A local path to go to after logging in (never another site: open redirect). */
#define safe_next web_local_path

int identity_web_subject_opt(struct identity *id, struct web_req *req, struct web_resp *resp,
                             struct authz_subject *out)
{
    memset(out, 0, sizeof(*out));
    const struct web_session *ss = web_session(req);
    if (ss == NULL || ss->aal < 1)
        return 0;
    struct err e;
    if (identity_subject_load(id, ss->account_id, ss->aal, out, &e) < 0)
        return web_fail_err(resp, &e);
    return 0;
}

int identity_web_subject(struct identity *id, struct web_req *req, struct web_resp *resp,
                         struct authz_subject *out)
{
    if (identity_web_subject_opt(id, req, resp, out) < 0)
        return -1;
    if (out->account_id == 0)
        return web_fail(resp, 401, "identity.login_required", "log in first");
    return 0;
}

json_t *idh_field_errors_json(struct web_req *req, const struct identity_field_errors *fe)
{
    json_t *errors = json_array();
    for (size_t i = 0; i < fe->n; i++) {
        char key[96];
        snprintf(key, sizeof(key), "errors.%s", fe->e[i].code);
        const char *msg = web_t(req, key);
        json_array_append_new(errors, json_pack("{s:s, s:s, s:s}", "field", fe->e[i].field, "code",
                                                fe->e[i].code, "message",
                                                strcmp(msg, key) == 0 ? fe->e[i].msg : msg));
    }
    return errors;
}

/* {"field": "message"} for the form to show each error beside its field. */
json_t *idh_errors_by_field(json_t *errors)
{
    json_t *map = json_object();
    size_t i;
    json_t *e;
    json_array_foreach(errors, i, e)
    {
        const char *f = json_string_value(json_object_get(e, "field"));
        if (f != NULL && json_object_get(map, f) == NULL)
            json_object_set(map, f, json_object_get(e, "message"));
    }
    return map;
}

void idh_add_errors(struct web_req *req, json_t *m, const struct identity_field_errors *fe)
{
    json_t *errors = idh_field_errors_json(req, fe);
    json_object_set_new(m, "field_errors", idh_errors_by_field(errors));
    json_object_set_new(m, "errors", errors);
    json_object_set_new(m, "has_errors", json_true());
}

/* A form page's model: title, CSRF token, next, the values typed (never passwords). */
json_t *idh_form_model(struct web_req *req, struct web_resp *resp, const char *title_key)
{
    json_t *m = json_object();
    json_object_set_new(m, "title", json_string(web_t(req, title_key)));
    json_object_set_new(m, "csrf", json_string(web_csrf_token(req, resp)));
    const char *next = safe_next(web_query(req, "next"));
    if (next == NULL)
        next = safe_next(web_form_value(req, "next"));
    if (next != NULL)
        json_object_set_new(m, "next", json_string(next));
    return m;
}

static const char *next_or(struct web_req *req, const char *fallback)
{
    const char *n = safe_next(web_form_value(req, "next"));
    if (n == NULL)
        n = safe_next(web_query(req, "next"));
    return n ? n : fallback;
}

/* The login page's URL that comes back to `next` afterwards. */
const char *idh_login_url(struct web_req *req, const char *path, const char *next)
{
    struct buf b;
    buf_init(&b, 4096);
    buf_puts(&b, path);
    if (next != NULL) {
        buf_puts(&b, "?next=");
        web_url_encode(&b, next);
    }
    char *s = b.data ? arena_strdup(req->arena, b.data) : (char *)path;
    buf_free(&b);
    return s;
}

/* ---- register ------------------------------------------------------------------------ */

static int h_register_form(struct web_req *req, struct web_resp *resp)
{
    return web_page(resp, idh_form_model(req, resp, "identity.register.title"), "identity/register",
                    200);
}

static int h_register(struct web_req *req, struct web_resp *resp)
{
    struct identity *id = req->ctx;
    struct identity_registration in = {
        .name = web_form_value(req, "name"),
        .id_number = web_form_value(req, "id_number"),
        .phone = web_form_value(req, "phone"),
        .password = web_form_value(req, "password"),
        .password_again = web_form_value(req, "password_again"),
        .lang = req->lang,
    };
    struct identity_field_errors fe;
    struct err err;
    err_clear(&err);
    int64_t account_id = 0;
    int rc = identity_register_citizen(id, &in, web_client_ip(req), &account_id, &fe, &err);
    if (rc < 0)
        return web_fail_err(resp, &err);
    if (rc == 1) {
        json_t *m = idh_form_model(req, resp, "identity.register.title");
        idh_add_errors(req, m, &fe);
        json_object_set_new(m, "values",
                            json_pack("{s:s, s:s, s:s}", "name", in.name ? in.name : "",
                                      "id_number", in.id_number ? in.id_number : "", "phone",
                                      in.phone ? in.phone : ""));
        return web_page(resp, m, "identity/register", 422);
    }
    if (web_session_start(req, resp, account_id, 1, &err) < 0)
        return web_fail_err(resp, &err);
    return web_redirect(req, resp, next_or(req, "/account"));
}

/* ---- login ----------------------------------------------------------------------------- */

static int h_login_form(struct web_req *req, struct web_resp *resp)
{
    return web_page(resp, idh_form_model(req, resp, "identity.login.title"), "identity/login", 200);
}

static int login_failed(struct web_req *req, struct web_resp *resp, const char *code, int status,
                        int retry_after)
{
    json_t *m = idh_form_model(req, resp, "identity.login.title");
    char key[96];
    snprintf(key, sizeof(key), "errors.%s", code);
    json_object_set_new(m, "error",
                        json_pack("{s:s, s:s}", "code", code, "message", web_t(req, key)));
    const char *login = web_form_value(req, "login");
    json_object_set_new(m, "values", json_pack("{s:s}", "login", login ? login : ""));
    if (retry_after > 0) {
        json_object_set_new(m, "retry_after", json_integer(retry_after));
        char *v = arena_printf(req->arena, "%d", retry_after);
        web_resp_header(resp, "Retry-After", v);
    }
    return web_page(resp, m, "identity/login", status);
}

static int h_login(struct web_req *req, struct web_resp *resp)
{
    struct identity *id = req->ctx;
    struct err err;
    err_clear(&err);
    int64_t account_id = 0;
    int result, retry = 0;
    if (identity_login(id, web_form_value(req, "login"), web_form_value(req, "password"),
                       web_client_ip(req), &account_id, &result, &retry, &err) < 0)
        return web_fail_err(resp, &err);
    const char *next = next_or(req, "/account");
    switch (result) {
    case IDENTITY_LOGIN_OK:
        if (web_session_start(req, resp, account_id, 1, &err) < 0)
            return web_fail_err(resp, &err);
        return web_redirect(req, resp, next);
    case IDENTITY_LOGIN_NEED_TOTP:
    case IDENTITY_LOGIN_ENROL_TOTP:
        /* A half-open session (aal 0) that only the second-factor pages accept. */
        if (web_session_start(req, resp, account_id, 0, &err) < 0)
            return web_fail_err(resp, &err);
        return web_redirect(
            req, resp,
            idh_login_url(
                req, result == IDENTITY_LOGIN_NEED_TOTP ? "/login/second-factor" : "/account/totp",
                next));
    case IDENTITY_LOGIN_PAUSED:
        return login_failed(req, resp, "identity.login_paused", 429, retry);
    default:
        return login_failed(req, resp, "identity.login_failed", 401, 0);
    }
}

static int h_second_factor_form(struct web_req *req, struct web_resp *resp)
{
    const struct web_session *ss = web_session(req);
    if (ss == NULL || ss->aal != 0)
        return web_redirect(req, resp, "/login");
    return web_page(resp, idh_form_model(req, resp, "identity.second_factor.title"),
                    "identity/second_factor", 200);
}

static int h_second_factor(struct web_req *req, struct web_resp *resp)
{
    struct identity *id = req->ctx;
    const struct web_session *ss = web_session(req);
    if (ss == NULL || ss->aal != 0)
        return web_redirect(req, resp, "/login");
    int64_t account_id = ss->account_id;
    struct err err;
    err_clear(&err);
    int ok = 0, retry = 0;
    if (identity_login_second_factor(id, account_id, web_form_value(req, "code"),
                                     web_client_ip(req), &ok, &retry, &err) < 0)
        return web_fail_err(resp, &err);
    if (!ok) {
        json_t *m = idh_form_model(req, resp, "identity.second_factor.title");
        const char *code = retry > 0 ? "identity.login_paused" : "identity.code_wrong";
        char key[96];
        snprintf(key, sizeof(key), "errors.%s", code);
        json_object_set_new(m, "error",
                            json_pack("{s:s, s:s}", "code", code, "message", web_t(req, key)));
        if (retry > 0) {
            json_object_set_new(m, "retry_after", json_integer(retry));
            web_resp_header(resp, "Retry-After", arena_printf(req->arena, "%d", retry));
        }
        return web_page(resp, m, "identity/second_factor", retry > 0 ? 429 : 401);
    }
    /* Both factors: a new session (rotation), at level 2. */
    if (web_session_start(req, resp, account_id, 2, &err) < 0)
        return web_fail_err(resp, &err);
    return web_redirect(req, resp, next_or(req, "/account"));
}

static int h_logout(struct web_req *req, struct web_resp *resp)
{
    struct err err;
    if (web_session_end(req, resp, &err) < 0)
        return web_fail_err(resp, &err);
    return web_redirect(req, resp, "/");
}

/* ---- the account ----------------------------------------------------------------------- */

/* The session's account, fully logged in; else -1 with 401 (the login and back). */
int idh_require_login(struct web_req *req, struct web_resp *resp, int64_t *account_id)
{
    const struct web_session *ss = web_need_session(req, resp, 1);
    *account_id = ss != NULL ? ss->account_id : 0;
    return ss != NULL ? 0 : -1;
}

static json_t *account_json(struct web_req *req, const struct identity_account *a)
{
    /* 64-bit ids travel as strings: JavaScript numbers lose digits past 2^53. */
    json_t *j = json_pack("{s:s, s:s, s:s, s:b, s:s}", "id",
                          arena_printf(req->arena, "%lld", (long long)a->id), "kind",
                          a->kind == IDENTITY_STAFF ? "staff" : "citizen", "name", a->name,
                          "totp_enabled", a->totp_enabled, "lang", a->lang ? a->lang : "zh");
    if (a->username)
        json_object_set_new(j, "username", json_string(a->username));
    if (a->id_number_masked)
        json_object_set_new(j, "id_number", json_string(a->id_number_masked));
    if (a->phone_masked)
        json_object_set_new(j, "phone", json_string(a->phone_masked));
    return j;
}

static int account_page(struct web_req *req, struct web_resp *resp, int64_t account_id,
                        json_t *extra, int status)
{
    struct identity *id = req->ctx;
    struct identity_account acc;
    struct err err;
    if (identity_account_get(id, req->arena, account_id, &acc, &err) < 0)
        return web_fail_err(resp, &err);
    json_t *m = idh_form_model(req, resp, "identity.account.title");
    json_object_set_new(m, "account", account_json(req, &acc));
    json_object_set_new(m, "is_staff", json_boolean(acc.kind == IDENTITY_STAFF));
    identity_enterprise_account_model(req, id, account_id, m);
    if (extra != NULL)
        json_object_update(m, extra);
    json_decref(extra);
    return web_page(resp, m, "identity/account", status);
}

static int h_account(struct web_req *req, struct web_resp *resp)
{
    int64_t account_id;
    int rc = idh_require_login(req, resp, &account_id);
    return rc != 0 ? (rc < 0 ? -1 : 0) : account_page(req, resp, account_id, NULL, 200);
}

static int h_password(struct web_req *req, struct web_resp *resp)
{
    struct identity *id = req->ctx;
    int64_t account_id;
    int rc = idh_require_login(req, resp, &account_id);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    struct identity_field_errors fe;
    struct err err;
    err_clear(&err);
    rc = identity_password_change(
        id, account_id, web_form_value(req, "old_password"), web_form_value(req, "password"),
        web_form_value(req, "password_again"), web_client_ip(req), &fe, &err);
    if (rc < 0)
        return web_fail_err(resp, &err);
    if (rc == 1)
        return account_page(req, resp, account_id,
                            json_pack("{s:o}", "password_errors", idh_field_errors_json(req, &fe)),
                            422);
    /* A new password ends every other session: log out everywhere, then in again here. */
    struct store_conn *c = store_conn(identity_store(id), &err);
    int aal = web_session(req)->aal;
    if (c == NULL || web_sessions_end_all(c, account_id, &err) < 0 ||
        web_session_start(req, resp, account_id, aal, &err) < 0)
        return web_fail_err(resp, &err);
    identity_sessions_ended(id, account_id, "password_change", web_client_ip(req));
    return web_redirect(req, resp, "/account?done=password");
}

static int h_logout_all(struct web_req *req, struct web_resp *resp)
{
    struct identity *id = req->ctx;
    int64_t account_id;
    int rc = idh_require_login(req, resp, &account_id);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    struct err err;
    struct store_conn *c = store_conn(identity_store(id), &err);
    if (c == NULL || web_sessions_end_all(c, account_id, &err) < 0)
        return web_fail_err(resp, &err);
    identity_sessions_ended(id, account_id, "logout_all", web_client_ip(req));
    web_session_end(req, resp, &err);
    return web_redirect(req, resp, "/login");
}

/* TOTP set-up: reachable fully logged in, or half logged in (password only, aal 0) by
 * someone who has no second factor yet: staff who must enrol. A half session of an
 * account that has TOTP must pass it first, or enrolling a new secret would skip it. */
static int totp_subject(struct web_req *req, struct web_resp *resp, int64_t *account_id)
{
    struct identity *id = req->ctx;
    const struct web_session *ss = web_session(req);
    if (ss == NULL) /* the login and back (web_need_session) */
        return web_fail(resp, 401, "identity.login_required", "log in first");
    if (ss->aal < 2) {
        struct identity_account acc;
        struct err err;
        if (identity_account_get(id, req->arena, ss->account_id, &acc, &err) < 0)
            return web_fail_err(resp, &err);
        if (acc.totp_enabled) {
            web_redirect(req, resp,
                         ss->aal == 0 ? idh_login_url(req, "/login/second-factor", "/account/totp")
                                      : idh_login_url(req, "/login", req->path));
            return 1;
        }
    }
    *account_id = ss->account_id;
    return 0;
}

static int totp_form(struct web_req *req, struct web_resp *resp, int64_t account_id,
                     const char *error_code, int status)
{
    struct identity *id = req->ctx;
    const char *secret, *uri;
    struct err err;
    if (identity_totp_new(id, req->arena, account_id, &secret, &uri, &err) < 0)
        return web_fail_err(resp, &err);
    json_t *m = idh_form_model(req, resp, "identity.totp.title");
    /* Grouped in fours so it can be typed into an app by hand. */
    struct buf b;
    buf_init(&b, 128);
    for (size_t i = 0; secret[i]; i++) {
        if (i > 0 && i % 4 == 0)
            buf_putc(&b, ' ');
        buf_putc(&b, secret[i]);
    }
    json_object_set_new(m, "secret", json_string(secret));
    json_object_set_new(m, "secret_grouped", json_string(b.data ? b.data : secret));
    json_object_set_new(m, "uri", json_string(uri));
    const char *qr = web_qr_data_uri(req->arena, uri);
    if (qr != NULL)
        json_object_set_new(m, "qr", json_string(qr));
    buf_free(&b);
    if (error_code != NULL) {
        char key[96];
        snprintf(key, sizeof(key), "errors.%s", error_code);
        json_object_set_new(
            m, "error", json_pack("{s:s, s:s}", "code", error_code, "message", web_t(req, key)));
    }
    resp->max_age = 0;
    return web_page(resp, m, "identity/totp", status);
}

static int h_totp_form(struct web_req *req, struct web_resp *resp)
{
    int64_t account_id;
    int rc = totp_subject(req, resp, &account_id);
    return rc != 0 ? (rc < 0 ? -1 : 0) : totp_form(req, resp, account_id, NULL, 200);
}

static int h_totp_enable(struct web_req *req, struct web_resp *resp)
{
    struct identity *id = req->ctx;
    int64_t account_id;
    int rc0 = totp_subject(req, resp, &account_id);
    if (rc0 != 0)
        return rc0 < 0 ? -1 : 0;
    const struct web_session *ss = web_session(req);
    int was_pending = ss->aal == 0;
    const char **codes = NULL;
    size_t ncodes = 0;
    struct err err;
    err_clear(&err);
    int rc = identity_totp_enable(id, req->arena, account_id, web_form_value(req, "secret"),
                                  web_form_value(req, "code"), web_client_ip(req), &codes, &ncodes,
                                  &err);
    if (rc < 0)
        return web_fail_err(resp, &err);
    if (rc == 1)
        return totp_form(req, resp, account_id, "identity.code_wrong", 422);
    /* The code just proved the second factor: the session is now at level 2. */
    if (web_session_start(req, resp, account_id, 2, &err) < 0)
        return web_fail_err(resp, &err);
    json_t *list = json_array();
    for (size_t i = 0; i < ncodes; i++)
        json_array_append_new(list, json_string(codes[i]));
    json_t *m =
        json_pack("{s:s, s:o, s:s}", "title", web_t(req, "identity.recovery.title"), "codes", list,
                  "next", was_pending ? next_or(req, "/account") : "/account");
    return web_page(resp, m, "identity/recovery", 200);
}

static int h_totp_disable(struct web_req *req, struct web_resp *resp)
{
    struct identity *id = req->ctx;
    int64_t account_id;
    int rc = idh_require_login(req, resp, &account_id);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    struct err err;
    err_clear(&err);
    rc = identity_totp_disable(id, account_id, web_form_value(req, "code"), web_client_ip(req),
                               &err);
    if (rc < 0)
        return web_fail_err(resp, &err);
    if (rc == 1)
        return account_page(req, resp, account_id,
                            json_pack("{s:{s:s, s:s}}", "totp_error", "code", "identity.code_wrong",
                                      "message", web_t(req, "errors.identity.code_wrong")),
                            422);
    return web_redirect(req, resp, "/account?done=totp_off");
}

/* ---- administration -------------------------------------------------------------------- */

/* The signed-in staff member, if they may do `action` (platform-wide); else a refusal. */
static int require_staff(struct web_req *req, struct web_resp *resp, const char *action,
                         struct authz_subject *subj)
{
    if (identity_web_subject(req->ctx, req, resp, subj) < 0)
        return -1;
    struct authz_object any = {0, 0, 0};
    if (!authz_allowed(subj, action, &any))
        return web_fail(resp, 403, "identity.forbidden", "you may not do this");
    return 0;
}

static json_t *departments_json(struct web_req *req, struct identity *id)
{
    struct identity_department *list = NULL;
    size_t n = 0;
    struct err err;
    json_t *arr = json_array();
    if (identity_department_list(id, req->arena, &list, &n, &err) < 0)
        return arr;
    for (size_t i = 0; i < n; i++) {
        const char *name =
            lang_pick(req->lang, list[i].name_zh, list[i].name_bo, list[i].name_en, NULL);
        json_array_append_new(
            arr, json_pack("{s:s, s:s, s:s, s:s}", "id",
                           arena_printf(req->arena, "%lld", (long long)list[i].id), "code",
                           list[i].code, "name", name, "division_code",
                           arena_printf(req->arena, "%012lld", (long long)list[i].division_code)));
    }
    return arr;
}

static int admin_page(struct web_req *req, struct web_resp *resp, json_t *extra, int status)
{
    struct identity *id = req->ctx;
    json_t *m = idh_form_model(req, resp, "identity.admin.title");
    json_object_set_new(m, "departments", departments_json(req, id));
    json_t *roles = json_array();
    for (int r = 0; r < ROLE_COUNT; r++) {
        if (identity_role_reserved(r)) /* 三权分立: not the system administrator's to give */
            continue;
        char key[64];
        snprintf(key, sizeof(key), "identity.roles.%s", identity_role_name(r));
        json_array_append_new(
            roles, json_pack("{s:s, s:s}", "code", identity_role_name(r), "name", web_t(req, key)));
    }
    json_object_set_new(m, "roles", roles);
    if (extra != NULL)
        json_object_update(m, extra);
    json_decref(extra);
    return web_page(resp, m, "identity/admin", status);
}

static int h_admin(struct web_req *req, struct web_resp *resp)
{
    struct authz_subject subj;
    int rc = require_staff(req, resp, "identity.department_admin", &subj);
    return rc != 0 ? (rc < 0 ? -1 : 0) : admin_page(req, resp, NULL, 200);
}

static int admin_result(struct web_req *req, struct web_resp *resp, struct err *err,
                        const char *done)
{
    if (err->code[0] == '\0')
        return web_redirect(req, resp, arena_printf(req->arena, "/admin?done=%s", done));
    if (err->status >= 500)
        return web_fail(resp, err->status, err->code, "%s", err->msg);
    char key[96];
    snprintf(key, sizeof(key), "errors.%s", err->code);
    const char *msg = web_t(req, key);
    return admin_page(req, resp,
                      json_pack("{s:{s:s, s:s}}", "error", "code", err->code, "message",
                                strcmp(msg, key) == 0 ? err->msg : msg),
                      err->status ? err->status : 400);
}

static int h_admin_department(struct web_req *req, struct web_resp *resp)
{
    struct identity *id = req->ctx;
    struct authz_subject subj;
    int rc = require_staff(req, resp, "identity.department_admin", &subj);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    struct err err;
    err_clear(&err);
    int64_t division = 0;
    if (divisions_parse_code(web_form_value(req, "division_code"), &division, &err) == 0) {
        const char *bo = web_form_value(req, "name_bo"), *en = web_form_value(req, "name_en");
        identity_department_create(id, subj.account_id, web_client_ip(req),
                                   web_form_value(req, "code"), web_form_value(req, "name_zh"),
                                   bo && *bo ? bo : NULL, en && *en ? en : NULL, division, NULL,
                                   &err);
    }
    return admin_result(req, resp, &err, "department");
}

static int h_admin_staff(struct web_req *req, struct web_resp *resp)
{
    struct identity *id = req->ctx;
    struct authz_subject subj;
    int rc = require_staff(req, resp, "identity.department_admin", &subj);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    struct err err;
    err_clear(&err);
    int64_t account_id;
    struct identity_department d;
    int role = identity_role_parse(web_form_value(req, "role"));
    const char *dept = web_form_value(req, "department");
    if (role < 0)
        err_set(&err, 400, "identity.role_unknown", "choose a role");
    else if (identity_role_reserved(role)) /* 三权分立 */
        err_set(&err, 403, "identity.role_reserved",
                "the administrators' roles (system, audit, security) are granted by the "
                "security administrator");
    else if (identity_department_find(id, req->arena, dept ? dept : "", &d, &err) == 0 &&
             identity_staff_create(id, subj.account_id, web_client_ip(req),
                                   web_form_value(req, "username"), web_form_value(req, "name"),
                                   web_form_value(req, "password"), &account_id, &err) == 0)
        identity_grant(id, subj.account_id, web_client_ip(req), account_id, d.id, role, &err);
    return admin_result(req, resp, &err, "staff");
}

/* The layout's "signed in as" line. */
int identity_menu_add(struct identity *id, const char *href, const char *label_key,
                      const char *action)
{
    if (id->nmenu >= IDENTITY_MENU_MAX)
        return -1;
    id->menu[id->nmenu].href = href;
    id->menu[id->nmenu].label_key = label_key;
    id->menu[id->nmenu].action = action;
    id->nmenu++;
    return 0;
}

/* The header's "me": name, staff or not, and the menu of what this person can do. */
static void page_hook(struct web_req *req, json_t *globals, void *ctx)
{
    struct identity *id = ctx;
    const struct web_session *ss = web_session(req);
    if (ss == NULL || ss->aal < 1)
        return;
    struct identity_account acc;
    struct authz_subject subj;
    struct err err;
    if (identity_account_summary(id, req->arena, ss->account_id, &acc, &err) < 0 ||
        identity_subject_load(id, ss->account_id, ss->aal, &subj, &err) < 0)
        return;
    int staff = acc.kind == IDENTITY_STAFF;
    json_t *menu = json_array();
    for (size_t i = 0; i < id->nmenu; i++) {
        int show = id->menu[i].action == NULL
                       ? !staff
                       : staff && authz_allowed_somewhere(&subj, id->menu[i].action);
        if (show)
            json_array_append_new(menu, json_pack("{s:s, s:s}", "href", id->menu[i].href, "label",
                                                  web_t(req, id->menu[i].label_key)));
    }
    json_object_set_new(
        globals, "me",
        json_pack("{s:s, s:b, s:o}", "name", acc.name, "staff", staff, "menu", menu));
}

int identity_http_register(struct web_server *srv, struct identity *id)
{
    web_set_page_hook(srv, page_hook, id);
    if (web_route(srv, "GET", "/register", h_register_form, id) < 0 ||
        web_route(srv, "POST", "/register", h_register, id) < 0 ||
        web_route(srv, "GET", "/login", h_login_form, id) < 0 ||
        web_route(srv, "POST", "/login", h_login, id) < 0 ||
        web_route(srv, "GET", "/login/second-factor", h_second_factor_form, id) < 0 ||
        web_route(srv, "POST", "/login/second-factor", h_second_factor, id) < 0 ||
        web_route(srv, "POST", "/logout", h_logout, id) < 0 ||
        web_route(srv, "GET", "/account", h_account, id) < 0 ||
        web_route(srv, "GET", "/api/v1/account", h_account, id) < 0 ||
        web_route(srv, "POST", "/account/password", h_password, id) < 0 ||
        web_route(srv, "POST", "/account/logout-all", h_logout_all, id) < 0 ||
        web_route(srv, "GET", "/account/totp", h_totp_form, id) < 0 ||
        web_route(srv, "POST", "/account/totp", h_totp_enable, id) < 0 ||
        web_route(srv, "POST", "/account/totp/disable", h_totp_disable, id) < 0 ||
        web_route(srv, "GET", "/admin", h_admin, id) < 0 ||
        web_route(srv, "POST", "/admin/departments", h_admin_department, id) < 0 ||
        web_route(srv, "POST", "/admin/staff", h_admin_staff, id) < 0)
        return -1;
    return identity_enterprise_http_register(srv, id);
}
