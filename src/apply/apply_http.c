/*
 * apply_http.c - the application forms and their JSON twins (/api/v1/...):
 *   GET/POST /services/{code}/apply                the one form (save draft, pre-check, submit)
 *   GET/POST /services/bundles/{code}/apply        a bundle's union form (一件事)
 * and the route table of the module (the pages of filed applications are in
 * apply_case_http.c). Uploads come as multipart/form-data (web routes flagged
 * WEB_ROUTE_UPLOAD); materials are file inputs named "m_<key>", e-certificates chosen as
 * "cert_<key>", files already held (apply_hold) come back as "held" ids and "unhold" lets
 * go of one. Field errors and material errors are all shown at once, beside each field and
 * in a summary.
 */
#include "apply/apply_http_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/id.h"
#include "calendar/calendar.h"
#include "catalog/catalog.h"
#include "divisions/divisions.h"
#include "identity/identity.h"
#include "web/web.h"

static int64_t parse_division(const char *s)
{
    if (s == NULL || strlen(s) != 12)
        return 0;
    for (int i = 0; i < 12; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return strtoll(s, NULL, 10);
}

/* The division a person most likely applies in: their ID number's county. */
static const char *default_division(struct web_req *req, struct apply *ap,
                                    const struct authz_subject *s)
{
    const char *idn = NULL, *phone = NULL;
    struct err e;
    if (s->kind == IDENTITY_CITIZEN &&
        identity_account_private(ap->id, req->arena, s->account_id, &idn, &phone, &e) == 0 &&
        idn != NULL && strlen(idn) >= 6)
        return arena_printf(req->arena, "%.6s000000", idn);
    for (size_t g = 0; g < s->ngrants; g++)
        return arena_printf(req->arena, "%012lld", (long long)s->grants[g].division_code);
    return NULL;
}

/* Whether this session acts for a citizen (帮办代办) for `code`: 0 with *citizen 0 when it
 * does not, or with the citizen and consent; -1 with the response failed (the consent
 * does not allow it now: 403). Checked on every request, form and submission alike. */
static int acting_of(struct web_req *req, struct web_resp *resp, struct apply *ap,
                     const struct authz_subject *s, const char *code, int64_t *citizen,
                     int64_t *consent)
{
    *citizen = *consent = 0;
    if (ap->acting.resolve == NULL)
        return 0;
    struct err e;
    err_clear(&e);
    int r = ap->acting.resolve(ap->acting.ctx, req, s, code, citizen, consent, &e);
    if (r < 0)
        return web_fail_err(resp, &e);
    if (r == 0)
        *citizen = *consent = 0;
    return 0;
}

static int h_form(struct web_req *req, struct web_resp *resp)
{
    struct apply *ap = req->ctx;
    struct authz_subject s;
    if (identity_web_subject(ap->id, req, resp, &s) < 0)
        return -1;
    json_t *item = NULL, *values = NULL, *held = NULL;
    struct err e;
    int64_t ent = 0, draft = 0;
    int rc = -1;
    if (catalog_item_published(ap->store, web_param(req, "code"), &item, &e) < 0) {
        rc = web_fail_err(resp, &e);
        goto out;
    }
    if (web_query_int(req, resp, "enterprise", 0, INT64_MAX, 0, &ent) < 0 ||
        web_query_int(req, resp, "draft", 0, INT64_MAX, 0, &draft) < 0)
        goto out;
    values = json_object();
    const char *division = web_query(req, "division");
    if (draft != 0) {
        json_t *d = NULL;
        if (apply_draft_get(ap, &s, draft, &d, &e) < 0 ||
            apply_held_of_draft(ap, &s, draft, req->lang, &held, &e) < 0) {
            json_decref(d);
            rc = web_fail_err(resp, &e);
            goto out;
        }
        json_object_update(values, json_object_get(d, "values"));
        division = arena_strdup(req->arena, json_string_value(json_object_get(d, "division")));
        if (web_query(req, "enterprise") == NULL) /* choosing another applicant wins */
            ent = strtoll(json_string_value(json_object_get(d, "enterprise_id")), NULL, 10);
        json_decref(d);
    }
    /* Acting for a citizen: their county and their registers' values, never the agent's. */
    int64_t citizen = 0, consent = 0;
    if (acting_of(req, resp, ap, &s, web_param(req, "code"), &citizen, &consent) < 0)
        goto out;
    struct authz_subject cs = {.account_id = citizen, .kind = IDENTITY_CITIZEN, .aal = s.aal};
    const struct authz_subject *who = citizen != 0 ? &cs : &s;
    if (division == NULL)
        division = default_division(req, ap, who);
    apply_http_prefill(req, ap, who, item, ent, values);
    struct apply_form_state st = {values, division, ent, draft, NULL, held, NULL, 200};
    rc = apply_http_form_page(req, resp, &s, item, 0, &st);
out:
    json_decref(held);
    json_decref(values);
    json_decref(item);
    return rc;
}

static const char *idem_of(struct web_req *req)
{
    const char *k = web_header(req, "Idempotency-Key");
    return k != NULL ? k : web_form_value(req, "_idem");
}

static void walkin_of(struct web_req *req, struct apply_request *rq)
{
    const char *wid = web_form_value(req, "_walkin_id_number");
    if (wid != NULL && *wid != '\0') {
        rq->walkin_id_number = wid;
        rq->walkin_name = web_form_value(req, "_walkin_name");
        rq->walkin_phone = web_form_value(req, "_walkin_phone");
        rq->walkin_lang = web_form_value(req, "_walkin_lang");
    }
}

static int h_post(struct web_req *req, struct web_resp *resp)
{
    struct apply *ap = req->ctx;
    struct authz_subject s;
    if (identity_web_subject(ap->id, req, resp, &s) < 0)
        return -1;
    const char *code = web_param(req, "code");
    json_t *item = NULL, *values = NULL, *problems = NULL, *held = NULL;
    struct err e;
    err_clear(&e);
    int64_t ent = 0, draft = 0;
    int rc = -1;
    /* shared and read-only (apply_items.c): everything below takes it const */
    if (code == NULL || apply_published_item(ap, code, &item, &e) < 0) {
        if (code == NULL)
            err_set(&e, 404, "catalog.not_found", "no such service item");
        rc = web_fail_err(resp, &e);
        goto out;
    }
    if (web_form_int(req, resp, "_enterprise", 0, INT64_MAX, 0, &ent) < 0 ||
        web_form_int(req, resp, "_draft", 0, INT64_MAX, 0, &draft) < 0)
        goto out;
    values = apply_http_values(req, item);
    const char *what = web_form_value(req, "_action");
    const char *division = web_form_value(req, "_division");
    struct apply_request rq = {.subj = &s,
                               .item_code = code,
                               .values = values,
                               .division_code = parse_division(division),
                               .enterprise_id = ent,
                               .idem_key = idem_of(req),
                               .lang = req->lang,
                               .draft_id = draft,
                               .form_key = arena_printf(req->arena, "item:%s", code),
                               .ip = web_client_ip(req)};
    walkin_of(req, &rq);
    if (acting_of(req, resp, ap, &s, code, &rq.acting_for, &rq.acting_consent) < 0 ||
        apply_http_collect(req, resp, &rq) < 0)
        goto out;
    problems = json_array();
    struct apply_form_state st = {values, division, ent, draft, problems, NULL, NULL, 422};
    if (divisions_pick_requested(req)) {
        /* The division picker's next level (no JavaScript): nothing is checked, and the
         * files chosen so far are held, as for a pre-check, so the round trip keeps them. */
        if (apply_hold(ap, &rq, item, 0, problems, &held, &e) < 0) {
            rc = web_fail_err(resp, &e);
            goto out;
        }
        st.held = held;
        st.status = json_array_size(problems) > 0 ? 422 : 200;
        rc = apply_http_form_page(req, resp, &s, item, 0, &st);
    } else if (what != NULL && strcmp(what, "draft") == 0) {
        int64_t id = 0;
        if (apply_draft_save(ap, &rq, &id, &e) < 0 ||
            apply_hold(ap, &rq, item, id, problems, &held, &e) < 0) {
            rc = web_fail_err(resp, &e);
        } else if (json_array_size(problems) > 0) { /* a file past the bounds */
            st.draft_id = id;
            st.held = held;
            rc = apply_http_form_page(req, resp, &s, item, 0, &st);
        } else if (req->want_json) {
            rc = web_page(resp,
                          json_pack("{s:s, s:O}", "draft_id",
                                    arena_printf(req->arena, "%lld", (long long)id), "held", held),
                          "apply/form", 200);
        } else {
            rc = web_redirect(req, resp,
                              arena_printf(req->arena,
                                           "/services/%s/apply?draft=%lld&done=draft_saved", code,
                                           (long long)id));
        }
    } else if (what != NULL && strcmp(what, "precheck") == 0) {
        /* The files come back with the page: hold them first, then check with them. */
        if (apply_hold(ap, &rq, item, 0, problems, &held, &e) < 0) {
            rc = web_fail_err(resp, &e);
            goto out;
        }
        apply_http_use_held(req, &rq, held);
        if (apply_precheck(ap, &rq, problems, &e) < 0) {
            rc = web_fail_err(resp, &e);
            goto out;
        }
        st.held = held;
        st.status = json_array_size(problems) > 0 ? 422 : 200;
        st.notice = st.status == 200 ? "apply.form.precheck_ok" : NULL;
        rc = apply_http_form_page(req, resp, &s, item, 0, &st);
    } else {
        char number[32];
        int r = apply_submit(ap, &rq, number, problems, &e);
        if (r == 1 && apply_hold(ap, &rq, item, 0, problems, &held, &e) < 0)
            r = -1;
        st.held = held;
        if (r < 0)
            rc = web_fail_err(resp, &e);
        else if (r == 1)
            rc = apply_http_form_page(req, resp, &s, item, 0, &st);
        else if (req->want_json)
            rc = web_page(resp,
                          json_pack("{s:s, s:s}", "number", number, "url",
                                    arena_printf(req->arena, "/applications/%s", number)),
                          "apply/receipt", 201);
        else
            rc = web_redirect(req, resp,
                              arena_printf(req->arena, "/applications/%s/receipt", number));
    }
out:
    json_decref(held);
    json_decref(problems);
    json_decref(values);
    json_decref(item);
    return rc;
}

/* ---- bundles ----------------------------------------------------------------------------- */

/* A bundle (一件事) is not filed while acting for someone (its items would be the agent's
 * own): 403 agent.bundle_not_supported, or the consent's own refusal. */
static int not_while_acting(struct web_req *req, struct web_resp *resp, struct apply *ap,
                            const struct authz_subject *s)
{
    int64_t citizen = 0, consent = 0;
    struct err e;
    err_clear(&e);
    if (ap->acting.resolve == NULL)
        return 0;
    int r = ap->acting.resolve(ap->acting.ctx, req, s, NULL, &citizen, &consent, &e);
    if (r < 0)
        return web_fail_err(resp, &e);
    if (r == 1)
        return web_fail(resp, 403, "agent.bundle_not_supported",
                        "a bundle cannot be filed while acting for someone");
    return 0;
}

static int h_bundle_form(struct web_req *req, struct web_resp *resp)
{
    struct apply *ap = req->ctx;
    struct authz_subject s;
    if (identity_web_subject(ap->id, req, resp, &s) < 0 || not_while_acting(req, resp, ap, &s) < 0)
        return -1;
    json_t *form = NULL;
    struct err e;
    if (apply_bundle_form(ap, web_param(req, "code"), &form, &e) < 0)
        return web_fail_err(resp, &e);
    json_t *values = json_object();
    apply_http_prefill(req, ap, &s, form, 0, values);
    struct apply_form_state st = {values, default_division(req, ap, &s), 0, 0, NULL, NULL, NULL,
                                  200};
    int rc = apply_http_form_page(req, resp, &s, form, 1, &st);
    json_decref(values);
    json_decref(form);
    return rc;
}

static int h_bundle_post(struct web_req *req, struct web_resp *resp)
{
    struct apply *ap = req->ctx;
    struct authz_subject s;
    if (identity_web_subject(ap->id, req, resp, &s) < 0 || not_while_acting(req, resp, ap, &s) < 0)
        return -1;
    const char *code = web_param(req, "code");
    json_t *form = NULL, *held = NULL;
    struct err e;
    err_clear(&e);
    if (apply_bundle_form(ap, code, &form, &e) < 0)
        return web_fail_err(resp, &e);
    json_t *values = apply_http_values(req, form), *problems = json_array();
    const char *division = web_form_value(req, "_division");
    const char *what = web_form_value(req, "_action");
    struct apply_request rq = {.subj = &s,
                               .values = values,
                               .division_code = parse_division(division),
                               .idem_key = idem_of(req),
                               .lang = req->lang,
                               .form_key = arena_printf(req->arena, "bundle:%s", code),
                               .ip = web_client_ip(req)};
    walkin_of(req, &rq);
    struct apply_form_state st = {values, division, 0, 0, problems, NULL, NULL, 422};
    int rc = -1;
    int64_t bid = 0;
    if (apply_http_collect(req, resp, &rq) < 0)
        goto out;
    if (divisions_pick_requested(req)) { /* the picker's next level: hold files, check nothing */
        if (apply_hold(ap, &rq, form, 0, problems, &held, &e) < 0) {
            rc = web_fail_err(resp, &e);
            goto out;
        }
        st.held = held;
        st.status = json_array_size(problems) > 0 ? 422 : 200;
        rc = apply_http_form_page(req, resp, &s, form, 1, &st);
        goto out;
    }
    if (what != NULL && strcmp(what, "precheck") == 0) {
        /* A bundle's pre-check is its submission's checks, nothing stored: hold the files,
         * then see what the submission would say. */
        if (apply_hold(ap, &rq, form, 0, problems, &held, &e) < 0) {
            rc = web_fail_err(resp, &e);
            goto out;
        }
        apply_http_use_held(req, &rq, held);
        if (apply_bundle_precheck(ap, code, &rq, problems, &e) < 0) {
            rc = web_fail_err(resp, &e);
            goto out;
        }
        st.held = held;
        st.status = json_array_size(problems) > 0 ? 422 : 200;
        st.notice = st.status == 200 ? "apply.form.precheck_ok" : NULL;
        rc = apply_http_form_page(req, resp, &s, form, 1, &st);
        goto out;
    }
    int r = apply_bundle_submit(ap, code, &rq, &bid, problems, &e);
    if (r == 1 && apply_hold(ap, &rq, form, 0, problems, &held, &e) < 0)
        r = -1;
    st.held = held;
    if (r < 0)
        rc = web_fail_err(resp, &e);
    else if (r == 1)
        rc = apply_http_form_page(req, resp, &s, form, 1, &st);
    else if (req->want_json)
        rc = web_page(
            resp,
            json_pack("{s:s, s:s}", "bundle_id", arena_printf(req->arena, "%lld", (long long)bid),
                      "url",
                      arena_printf(req->arena, "/applications/bundles/%lld", (long long)bid)),
            "apply/bundle", 201);
    else
        rc = web_redirect(req, resp,
                          arena_printf(req->arena,
                                       "/applications/bundles/%lld?done=bundle_submitted",
                                       (long long)bid));
out:
    json_decref(held);
    json_decref(problems);
    json_decref(values);
    json_decref(form);
    return rc;
}

int apply_http_register(struct web_server *srv, struct apply *ap)
{
    static const char *const prefixes[] = {"", "/api/v1"};
    for (int i = 0; i < 2; i++) {
        const char *p = prefixes[i];
        char path[128];
#define ROUTE(method, suffix, h, flags)                                                            \
    do {                                                                                           \
        snprintf(path, sizeof(path), "%s%s", p, suffix);                                           \
        if (web_route_ex(srv, method, path, h, ap, flags) < 0)                                     \
            return -1;                                                                             \
    } while (0)
        ROUTE("GET", "/services/{code}/apply", h_form, 0);
        ROUTE("POST", "/services/{code}/apply", h_post, WEB_ROUTE_UPLOAD);
        ROUTE("GET", "/services/bundles/{code}/apply", h_bundle_form, 0);
        ROUTE("POST", "/services/bundles/{code}/apply", h_bundle_post, WEB_ROUTE_UPLOAD);
        ROUTE("GET", "/applications", apply_http_mine, 0);
        ROUTE("GET", "/applications/bundles/{id:int}", apply_http_bundle_show, 0);
        ROUTE("GET", "/applications/{number}", apply_http_show, 0);
        ROUTE("GET", "/applications/{number}/receipt", apply_http_receipt, 0);
        ROUTE("POST", "/applications/{number}/act", apply_http_act, 0);
        ROUTE("POST", "/applications/{number}/reveal", apply_http_reveal, 0);
        ROUTE("POST", "/applications/{number}/complete", apply_http_complete, WEB_ROUTE_UPLOAD);
        ROUTE("GET", "/applications/{number}/files/{id:int}", apply_http_file, 0);
        ROUTE("GET", "/workbench", apply_http_workbench, 0);
#undef ROUTE
    }
    return 0;
}
