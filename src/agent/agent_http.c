/*
 * agent_http.c - the pages of 帮办代办 with consent:
 *   GET  /account/agents               consents I gave (revoke), the grant form, consents
 *                                      given to me (act for that person), acting now
 *   POST /account/agents               grant (agent by ID number or mobile, scope, days)
 *   POST /account/agents/{id}/revoke   the citizen revokes
 *   POST /account/acting               the agent's session acts for the consent's citizen
 *   POST /account/acting/stop          back to acting for oneself
 * with /api/v1 twins, and a page hook that puts "acting for X" on every page of an acting
 * session. The rules are in agent.c; every form carries the CSRF token.
 */
#include "agent/agent_internal.h"

#include <stdio.h>
#include <string.h>

#include "base/arena.h"
#include "base/id.h"
#include "catalog/catalog.h"
#include "identity/identity.h"
#include "l10n/l10n.h"
#include "web/web.h"

static const char *id_str(struct web_req *req, int64_t v)
{
    return arena_printf(req->arena, "%lld", (long long)v);
}

static const char *state_of(const struct agent_consent *k, int64_t now)
{
    switch (agent_consent_check(k, NULL, now)) {
    case AGENT_OK:
        return "active";
    case AGENT_REVOKED:
        return "revoked";
    default:
        return "expired";
    }
}

/* The services of a scope ("XZ-MZ-001 XZ-RS-003") by name in the page's language, in the
 * scope's order; a code the catalog does not name (no longer published) stays a code. */
static const char *scope_names(struct web_req *req, const char *scope, json_t *names)
{
    const char *sep = strcmp(req->lang, "zh") == 0   ? "、"
                      : strcmp(req->lang, "bo") == 0 ? "། "
                                                     : ", ";
    const char *out = "";
    for (const char *p = scope; *p != '\0';) {
        size_t n = strcspn(p, " ");
        if (n > 0) {
            const char *code = arena_strndup(req->arena, p, n);
            const char *name = json_string_value(json_object_get(names, code));
            out = arena_printf(req->arena, "%s%s%s", out, *out ? sep : "", name ? name : code);
        }
        p += n;
        p += strspn(p, " ");
    }
    return out;
}

static json_t *consent_json(struct web_req *req, const struct agent_consent *k, int64_t now,
                            json_t *names)
{
    const char *state = state_of(k, now);
    char key[48];
    snprintf(key, sizeof(key), "agent.states.%s", state);
    int all = strcmp(k->scope, "*") == 0;
    json_t *j = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:s, s:b}", "id", id_str(req, k->id),
        "citizen_id", id_str(req, k->citizen_id), "citizen_name",
        k->citizen_name ? k->citizen_name : "-", "agent_id", id_str(req, k->agent_id), "agent_name",
        k->agent_name ? k->agent_name : "-", "scope", k->scope, "scope_label",
        all ? web_t(req, "agent.scope_all") : scope_names(req, k->scope, names), "until",
        l10n_datetime(req->arena, req->lang, k->valid_until), "all_services", all, "state", state,
        "state_label", web_t(req, key), "active", strcmp(state, "active") == 0);
    if (j != NULL && k->agent_masked != NULL)
        json_object_set_new(j, "agent_id_number", json_string(k->agent_masked));
    if (j != NULL)
        json_object_set_new(
            j, "revoke_url",
            json_string(arena_printf(req->arena, "/account/agents/%lld/revoke", (long long)k->id)));
    return j;
}

static json_t *list_json(struct web_req *req, struct agent *ag, int64_t account_id, int as_agent,
                         int64_t now, struct err *err, int *failed)
{
    struct agent_consent *list = NULL;
    size_t n = 0;
    json_t *arr = json_array();
    if (agent_consents_list(ag, req->arena, account_id, as_agent, &list, &n, err) < 0)
        *failed = 1;
    json_t *names = n > 0 ? catalog_item_names(ag->store, req->lang) : NULL;
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, consent_json(req, &list[i], now, names));
    json_decref(names);
    return arr;
}

/* The page; `problems` ([{key, code}]) and `values` of a grant form that failed. */
static int agents_page(struct web_req *req, struct web_resp *resp, int64_t account_id,
                       const char *session_hash, json_t *problems, json_t *values, int status)
{
    struct agent *ag = req->ctx;
    struct err err;
    err_clear(&err);
    int failed = 0;
    int64_t now = time_now_ms();
    json_t *given = list_json(req, ag, account_id, 0, now, &err, &failed);
    json_t *mine = list_json(req, ag, account_id, 1, now, &err, &failed);
    json_t *m =
        json_pack("{s:s, s:s, s:o, s:o, s:b, s:b}", "title", web_t(req, "agent.title"), "csrf",
                  web_csrf_token(req, resp), "given", given, "to_me", mine, "has_given",
                  json_array_size(given) > 0, "has_to_me", json_array_size(mine) > 0);
    if (m == NULL || failed) {
        json_decref(m);
        json_decref(problems);
        json_decref(values);
        return failed ? web_fail_err(resp, &err) : web_fail(resp, 500, "http.internal", "oom");
    }
    struct agent_acting act;
    struct err e;
    err_clear(&e);
    int acting = agent_acting_peek(ag, req->arena, session_hash, account_id, &act, &e);
    if (acting == 1)
        json_object_set_new(m, "acting",
                            json_pack("{s:s, s:s, s:s}", "consent_id", id_str(req, act.consent_id),
                                      "citizen_id", id_str(req, act.citizen_id), "name",
                                      act.citizen_name));
    else if (acting < 0 && e.status == 403) /* still marked acting, on a consent that ended */
        json_object_set_new(m, "acting_refused",
                            json_pack("{s:s, s:s}", "code", e.code, "message",
                                      web_t(req, arena_printf(req->arena, "errors.%s", e.code))));
    json_t *fe = json_object();
    size_t i;
    json_t *p;
    json_array_foreach(problems, i, p)
    {
        const char *key = json_string_value(json_object_get(p, "key"));
        const char *code = json_string_value(json_object_get(p, "code"));
        const char *msg = web_t(req, arena_printf(req->arena, "errors.%s", code));
        json_object_set_new(p, "message", json_string(msg));
        if (key != NULL && json_object_get(fe, key) == NULL)
            json_object_set_new(fe, key, json_string(msg));
    }
    if (problems != NULL) {
        json_object_set_new(m, "problems", problems);
        json_object_set_new(m, "has_errors", json_boolean(json_array_size(problems) > 0));
    }
    json_object_set_new(m, "field_errors", fe);
    /* Staff (a 帮办 desk's clerks) act on consents; only citizens give them. */
    struct identity_account me;
    json_object_set_new(
        m, "can_grant",
        json_boolean(identity_account_summary(ag->id, req->arena, account_id, &me, &e) == 0 &&
                     me.kind == IDENTITY_CITIZEN));
    json_object_set_new(m, "values",
                        values ? values : json_pack("{s:s, s:s}", "days", "30", "scope", "*"));
    return web_page(resp, m, "agent/agents", status);
}

/* The session of a citizen, or of staff after the second factor (a 帮办 desk's clerk). */
static const struct web_session *citizen_session(struct web_req *req, struct web_resp *resp)
{
    const struct web_session *ss = web_need_session(req, resp, 1);
    struct agent *ag = req->ctx;
    struct identity_account acc;
    struct err e;
    if (ss != NULL && ss->aal < 2 &&
        (identity_account_summary(ag->id, req->arena, ss->account_id, &acc, &e) < 0 ||
         acc.kind != IDENTITY_CITIZEN)) {
        web_fail(resp, 401, "identity.login_required", "staff need both factors");
        return NULL;
    }
    return ss;
}

static int h_page(struct web_req *req, struct web_resp *resp)
{
    const struct web_session *ss = citizen_session(req, resp);
    if (ss == NULL)
        return -1;
    return agents_page(req, resp, ss->account_id, ss->token_hash, NULL, NULL, 200);
}

static int h_grant(struct web_req *req, struct web_resp *resp)
{
    struct agent *ag = req->ctx;
    const struct web_session *ss = citizen_session(req, resp);
    if (ss == NULL)
        return -1;
    struct agent_grant g = {web_form_value(req, "agent"), web_form_value(req, "scope"),
                            web_form_value(req, "days")};
    json_t *problems = json_array();
    struct err err;
    err_clear(&err);
    int64_t id = 0;
    int rc = agent_consent_grant(ag, ss->account_id, &g, web_client_ip(req), &id, problems, &err);
    if (rc < 0) {
        json_decref(problems);
        return web_fail_err(resp, &err);
    }
    if (rc == 1) {
        json_t *values = json_pack("{s:s, s:s, s:s}", "agent", g.agent_login ? g.agent_login : "",
                                   "scope", g.scope ? g.scope : "", "days", g.days ? g.days : "");
        return agents_page(req, resp, ss->account_id, ss->token_hash, problems, values, 422);
    }
    json_decref(problems);
    if (req->want_json)
        return web_page(resp, json_pack("{s:s}", "id", id_str(req, id)), "agent/agents", 201);
    return web_redirect(req, resp, "/account/agents?done=agent_granted");
}

static int h_revoke(struct web_req *req, struct web_resp *resp)
{
    struct agent *ag = req->ctx;
    const struct web_session *ss = citizen_session(req, resp);
    if (ss == NULL)
        return -1;
    struct err err;
    err_clear(&err);
    if (agent_consent_revoke(ag, ss->account_id, web_param_int(req, "id"), web_client_ip(req),
                             &err) < 0)
        return web_fail_err(resp, &err);
    if (req->want_json)
        return web_page(resp, json_pack("{s:s}", "state", "revoked"), "agent/agents", 200);
    return web_redirect(req, resp, "/account/agents?done=agent_revoked");
}

static int h_act(struct web_req *req, struct web_resp *resp)
{
    struct agent *ag = req->ctx;
    const struct web_session *ss = citizen_session(req, resp);
    if (ss == NULL)
        return -1;
    int64_t consent = 0;
    if (web_form_int(req, resp, "consent", 1, INT64_MAX, 0, &consent) < 0)
        return -1;
    struct err err;
    err_clear(&err);
    if (agent_act_start(ag, ss->token_hash, ss->account_id, consent, web_client_ip(req), &err) < 0)
        return web_fail_err(resp, &err);
    if (req->want_json)
        return web_page(resp, json_pack("{s:s}", "acting", id_str(req, consent)), "agent/agents",
                        200);
    return web_redirect(req, resp, "/account/agents?done=agent_acting");
}

static int h_stop(struct web_req *req, struct web_resp *resp)
{
    struct agent *ag = req->ctx;
    const struct web_session *ss = citizen_session(req, resp);
    if (ss == NULL)
        return -1;
    struct err err;
    err_clear(&err);
    if (agent_act_stop(ag, ss->token_hash, ss->account_id, web_client_ip(req), &err) < 0)
        return web_fail_err(resp, &err);
    if (req->want_json)
        return web_page(resp, json_pack("{s:n}", "acting"), "agent/agents", 200);
    return web_redirect(req, resp, "/account/agents?done=agent_stopped");
}

/* Every page of an acting session says for whom, with the way back. A consent that no
 * longer allows acting shows nothing here; the next acting request is refused. */
static void page_hook(struct web_req *req, json_t *globals, void *ctx)
{
    const struct web_session *ss = web_session(req);
    if (ss == NULL || ss->aal < 1)
        return;
    struct agent_acting act;
    struct err e;
    if (agent_acting_peek(ctx, req->arena, ss->token_hash, ss->account_id, &act, &e) == 1)
        json_object_set_new(globals, "acting", json_pack("{s:s}", "name", act.citizen_name));
}

int agent_http_register(struct web_server *srv, struct agent *ag)
{
    web_set_page_hook(srv, page_hook, ag);
    if (web_route(srv, "GET", "/account/agents", h_page, ag) < 0 ||
        web_route(srv, "GET", "/api/v1/account/agents", h_page, ag) < 0 ||
        web_route(srv, "POST", "/account/agents", h_grant, ag) < 0 ||
        web_route(srv, "POST", "/api/v1/account/agents", h_grant, ag) < 0 ||
        web_route(srv, "POST", "/account/agents/{id:int}/revoke", h_revoke, ag) < 0 ||
        web_route(srv, "POST", "/api/v1/account/agents/{id:int}/revoke", h_revoke, ag) < 0 ||
        web_route(srv, "POST", "/account/acting", h_act, ag) < 0 ||
        web_route(srv, "POST", "/api/v1/account/acting", h_act, ag) < 0 ||
        web_route(srv, "POST", "/account/acting/stop", h_stop, ag) < 0 ||
        web_route(srv, "POST", "/api/v1/account/acting/stop", h_stop, ag) < 0)
        return -1;
    return 0;
}
