/*
 * apply_case_http.c - the pages of filed applications and their JSON twins (/api/v1/...):
 *   GET  /applications                             mine (and drafts)
 *   GET  /applications/{number}                    progress: timeline, deadline, actions
 *   GET  /applications/{number}/receipt            the receipt
 *   POST /applications/{number}/act                a transition (staff; withdraw); reject,
 *                                                  deny and withdraw ask to confirm first
 *   POST /applications/{number}/reveal             the full ID numbers, on purpose (audited)
 *   POST /applications/{number}/complete           补正: the completed form
 *   GET  /applications/{number}/files/{id}         a material (applicant, authorised staff)
 *   GET  /applications/bundles/{id}                a bundle's overall status
 *   GET  /workbench                                the staff queue
 * Every action answers with a redirect to the page and ?done=<what happened> (the layout
 * shows done.<value>), except the two that must not be replayed from the address bar: the
 * confirmation step and the revealed ID numbers, which are that one response only.
 */
#include "apply/apply_http_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "catalog/catalog.h"
#include "identity/identity.h"

/* The confirmation each transition leaves on the page (done.<value> in apply.json). */
static const char *done_of(int action)
{
    static const char *const done[APPLY_ACT_COUNT] = {
        [APPLY_ACT_ACCEPT] = "application_accepted",
        [APPLY_ACT_RETURN] = "application_returned",
        [APPLY_ACT_REJECT] = "application_rejected",
        [APPLY_ACT_REVIEW] = "review_started",
        [APPLY_ACT_APPROVE] = "application_approved",
        [APPLY_ACT_DENY] = "application_denied",
        [APPLY_ACT_DELIVER] = "result_delivered",
        [APPLY_ACT_CLOSE] = "application_closed",
        [APPLY_ACT_WITHDRAW] = "application_withdrawn",
        [APPLY_ACT_RESUBMIT] = "completion_submitted"};
    return action >= 0 && action < APPLY_ACT_COUNT && done[action] ? done[action] : "saved";
}

/* ---- lists -------------------------------------------------------------------------------- */

/* The services' names in the reader's language ({code: name}, new reference), or NULL in
 * Chinese: rows carry the Chinese name they were filed under. */
static json_t *item_names(struct web_req *req, struct apply *ap)
{
    return strcmp(req->lang, "zh") == 0 ? NULL : catalog_item_names(ap->store, req->lang);
}

static void label_rows(struct web_req *req, json_t *rows)
{
    json_t *names = item_names(req, req->ctx);
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        const char *name = json_string_value(
            json_object_get(names, json_string_value(json_object_get(r, "item_code"))));
        if (name != NULL && *name != '\0')
            json_object_set_new(r, "item_name", json_string(name));
        const char *st = json_string_value(json_object_get(r, "state"));
        json_object_set_new(
            r, "state_label",
            json_string(web_t(req, arena_printf(req->arena, "apply.states.%s", st))));
        const char *mark = json_string_value(json_object_get(r, "mark"));
        if (mark && *mark)
            json_object_set_new(
                r, "mark_label",
                json_string(web_t(req, arena_printf(req->arena, "apply.marks.%s", mark))));
        const char *num = json_string_value(json_object_get(r, "number"));
        if (num && *num)
            json_object_set_new(r, "url",
                                json_string(arena_printf(req->arena, "/applications/%s", num)));
        else if (json_object_get(r, "draft_id"))
            json_object_set_new(
                r, "url",
                json_string(arena_printf(req->arena, "/services/%s/apply?draft=%s",
                                         json_string_value(json_object_get(r, "item_code")),
                                         json_string_value(json_object_get(r, "draft_id")))));
    }
    json_decref(names);
}

int apply_http_mine(struct web_req *req, struct web_resp *resp)
{
    struct apply *ap = req->ctx;
    struct authz_subject s;
    int64_t limit;
    if (identity_web_subject(ap->id, req, resp, &s) < 0 ||
        web_query_int(req, resp, "limit", 1, 200, 50, &limit) < 0)
        return -1;
    json_t *rows = NULL;
    struct err e;
    if (apply_list_mine(ap, &s, req->lang, (int)limit, &rows, &e) < 0)
        return web_fail_err(resp, &e);
    label_rows(req, rows);
    return web_page(resp,
                    json_pack("{s:s, s:o, s:b, s:s}", "title", web_t(req, "apply.mine.title"),
                              "applications", rows, "empty", json_array_size(rows) == 0, "csrf",
                              web_csrf_token(req, resp)),
                    "apply/mine", 200);
}

int apply_http_workbench(struct web_req *req, struct web_resp *resp)
{
    struct apply *ap = req->ctx;
    struct authz_subject s;
    int64_t limit;
    if (identity_web_subject(ap->id, req, resp, &s) < 0 ||
        web_query_int(req, resp, "limit", 1, 200, 50, &limit) < 0)
        return -1;
    const char *state = web_query(req, "state");
    json_t *rows = NULL;
    struct err e;
    if (apply_queue(ap, &s, req->lang, state, (int)limit, &rows, &e) < 0)
        return web_fail_err(resp, &e);
    label_rows(req, rows);
    if (ap->hooks.payment_marks != NULL)
        ap->hooks.payment_marks(ap->hooks.ctx, req, rows);
    json_t *filters = json_array();
    const char *chosen = state != NULL ? state : "";
    const char *states[] = {"",         "submitted", "accepted", "under_review",
                            "returned", "approved",  "denied",   "delivered",
                            "rejected", "closed",    "withdrawn"};
    for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++)
        json_array_append_new(
            filters,
            json_pack("{s:s, s:s, s:b}", "value", states[i], "label",
                      web_t(req, i == 0 ? "apply.workbench.active"
                                        : arena_printf(req->arena, "apply.states.%s", states[i])),
                      "selected", chosen[0] ? strcmp(chosen, states[i]) == 0 : i == 0));
    return web_page(resp,
                    json_pack("{s:s, s:o, s:o, s:b, s:b, s:s}", "title",
                              web_t(req, "apply.workbench.title"), "applications", rows, "filters",
                              filters, "empty", json_array_size(rows) == 0, "walkin",
                              apply_http_clerk(&s), "csrf", web_csrf_token(req, resp)),
                    "apply/workbench", 200);
}

/* ---- one application ------------------------------------------------------------------------ */

/* What a page of one application shows besides the application itself. */
struct show_extra {
    json_t *problems;   /* the completion's problems (may be NULL) */
    const json_t *held; /* files held for the completion (may be NULL) */
    json_t *confirm;    /* a destructive action to confirm (owned by the page) */
    json_t *revealed;   /* full ID numbers shown on purpose (owned by the page) */
};

static int show_page(struct web_req *req, struct web_resp *resp, const char *view,
                     struct show_extra *x, int status)
{
    struct apply *ap = req->ctx;
    struct authz_subject s;
    if (identity_web_subject(ap->id, req, resp, &s) < 0)
        return -1;
    json_t *m = NULL;
    struct err e;
    if (apply_view(ap, &s, web_param(req, "number"), req->lang, &m, &e) < 0)
        return web_fail_err(resp, &e);
    json_t *item = json_incref(json_object_get(m, "item"));
    json_object_del(m, "item");
    json_object_set_new(
        m, "title",
        json_string(arena_printf(req->arena, "%s %s", web_t(req, "apply.show.title"),
                                 web_param(req, "number"))));
    json_object_set_new(m, "csrf", json_string(web_csrf_token(req, resp)));
    if (ap->hooks.payment_box != NULL) {
        json_t *pb = ap->hooks.payment_box(ap->hooks.ctx, req, resp, &s, web_param(req, "number"));
        if (pb != NULL)
            json_object_set_new(m, "payment", pb);
    }
    json_object_set_new(
        m, "state_label",
        json_string(web_t(req, arena_printf(req->arena, "apply.states.%s",
                                            json_string_value(json_object_get(m, "state"))))));
    const char *mark = json_string_value(json_object_get(m, "mark"));
    if (mark && *mark)
        json_object_set_new(
            m, "mark_label",
            json_string(web_t(req, arena_printf(req->arena, "apply.marks.%s", mark))));
    const char *wl = json_string_value(json_object_get(m, "applicant_lang"));
    if (wl != NULL)
        json_object_set_new(
            m, "applicant_lang_label",
            json_string(web_t(req, arena_printf(req->arena, "apply.langs.%s", wl))));
    size_t i;
    json_t *ev;
    json_array_foreach(json_object_get(m, "timeline"), i, ev)
    {
        const char *act = json_string_value(json_object_get(ev, "action"));
        json_object_set_new(
            ev, "action_label",
            json_string(web_t(req, arena_printf(req->arena, "apply.events.%s", act))));
    }
    json_t *f;
    json_array_foreach(json_object_get(m, "files"), i, f)
    {
        json_object_set_new(
            f, "size_text",
            json_string(apply_http_size(req, json_integer_value(json_object_get(f, "size")))));
    }
    /* Actions as flags for the template, and the return form's choices. */
    json_t *acts = json_object();
    json_t *a;
    json_array_foreach(json_object_get(m, "actions"), i, a)
    {
        json_object_set_new(acts, json_string_value(a), json_true());
    }
    json_object_set_new(m, "can", acts);
    json_object_set_new(m, "staff_actions",
                        json_boolean(json_object_size(acts) > 0 && s.kind == IDENTITY_STAFF));
    json_t *choices = json_array();
    json_array_foreach(json_object_get(json_object_get(item, "form"), "fields"), i, f)
    {
        json_array_append_new(choices,
                              json_pack("{s:s, s:s, s:s}", "kind", "field", "key",
                                        json_string_value(json_object_get(f, "key")), "label",
                                        catalog_text(json_object_get(f, "label"), req->lang)));
    }
    json_array_foreach(json_object_get(item, "materials"), i, f)
    {
        json_array_append_new(choices,
                              json_pack("{s:s, s:s, s:s}", "kind", "material", "key",
                                        json_string_value(json_object_get(f, "key")), "label",
                                        catalog_text(json_object_get(f, "name"), req->lang)));
    }
    json_object_set_new(m, "return_choices", choices);
    if (json_object_get(acts, "resubmit") != NULL)
        apply_http_completion(req, &s, m, item, x ? x->problems : NULL, x ? x->held : NULL);
    if (x != NULL && x->confirm != NULL)
        json_object_set(m, "confirm", x->confirm);
    if (x != NULL && x->revealed != NULL)
        json_object_set(m, "revealed", x->revealed);
    json_object_del(m, "values");
    json_decref(item);
    return web_page(resp, m, view, status);
}

int apply_http_show(struct web_req *req, struct web_resp *resp)
{
    return show_page(req, resp, "apply/show", NULL, 200);
}

int apply_http_receipt(struct web_req *req, struct web_resp *resp)
{
    return show_page(req, resp, "apply/receipt", NULL, 200);
}

int apply_http_act(struct web_req *req, struct web_resp *resp)
{
    struct apply *ap = req->ctx;
    struct authz_subject s;
    if (identity_web_subject(ap->id, req, resp, &s) < 0)
        return -1;
    const char *number = web_param(req, "number");
    int action = apply_action_parse(web_form_value(req, "action"));
    const char *note = web_form_value(req, "note");
    json_t *problems = json_array();
    for (size_t i = 0; i < req->nform; i++) {
        const char *n = req->form[i].name;
        if (strcmp(n, "problem") != 0)
            continue;
        /* "field:KEY" or "material:KEY" */
        const char *v = req->form[i].value, *colon = strchr(v, ':');
        if (colon == NULL) {
            json_decref(problems);
            return web_fail(resp, 422, "apply.return_bad",
                            "a listed problem names no field or material");
        }
        json_array_append_new(
            problems, json_pack("{s:s%, s:s}", "kind", v, (size_t)(colon - v), "key", colon + 1));
    }
    struct err e;
    err_clear(&e);
    const char *confirmed = web_form_value(req, "confirm");
    if (apply_action_destructive(action) && (confirmed == NULL || strcmp(confirmed, "1") != 0)) {
        /* Nothing happens yet: say what would, and ask (the same checks first, so nobody
         * is asked to confirm what cannot be done). */
        int rc = apply_act_check(ap, &s, number, action, note, problems, &e);
        json_decref(problems);
        if (rc < 0)
            return web_fail_err(resp, &e);
        if (req->want_json)
            return web_fail(resp, 422, "apply.confirm_required",
                            "send confirm=1 to %s this application", apply_action_name(action));
        const char *name = apply_action_name(action);
        struct show_extra x = {0};
        x.confirm =
            json_pack("{s:s, s:s, s:s, s:s}", "action", name, "question",
                      web_t(req, arena_printf(req->arena, "apply.confirm.%s", name)), "button",
                      web_t(req, arena_printf(req->arena, "apply.actions.%s", name)), "note",
                      note ? note : "");
        int r = show_page(req, resp, "apply/show", &x, 200);
        json_decref(x.confirm);
        return r;
    }
    int rc = apply_act(ap, &s, number, action, note, problems, web_client_ip(req), &e);
    json_decref(problems);
    if (rc < 0)
        return web_fail_err(resp, &e);
    if (req->want_json)
        return show_page(req, resp, "apply/show", NULL, 200);
    return web_redirect(
        req, resp, arena_printf(req->arena, "/applications/%s?done=%s", number, done_of(action)));
}

int apply_http_reveal(struct web_req *req, struct web_resp *resp)
{
    struct apply *ap = req->ctx;
    struct authz_subject s;
    if (identity_web_subject(ap->id, req, resp, &s) < 0)
        return -1;
    json_t *list = NULL;
    struct err e;
    if (apply_reveal_ids(ap, &s, web_param(req, "number"), web_form_value(req, "purpose"),
                         req->lang, web_client_ip(req), &list, &e) < 0)
        return web_fail_err(resp, &e);
    size_t i;
    json_t *one;
    json_array_foreach(list, i, one)
    {
        if (strcmp(json_string_value(json_object_get(one, "key")), "_applicant") == 0)
            json_object_set_new(one, "label", json_string(web_t(req, "apply.show.applicant_id")));
    }
    struct show_extra x = {0};
    x.revealed = list;
    int rc = show_page(req, resp, "apply/show", &x, 200);
    json_decref(list);
    return rc;
}

int apply_http_complete(struct web_req *req, struct web_resp *resp)
{
    struct apply *ap = req->ctx;
    struct authz_subject s;
    if (identity_web_subject(ap->id, req, resp, &s) < 0)
        return -1;
    const char *number = web_param(req, "number");
    json_t *m = NULL, *item = NULL, *held = NULL;
    struct err e;
    err_clear(&e);
    if (apply_view(ap, &s, number, req->lang, &m, &e) < 0)
        return web_fail_err(resp, &e);
    item = json_incref(json_object_get(m, "item"));
    json_decref(m);
    json_t *values = apply_http_values(req, item);
    struct apply_request rq = {.subj = &s,
                               .values = values,
                               .lang = req->lang,
                               .form_key = arena_printf(req->arena, "complete:%s", number),
                               .ip = web_client_ip(req)};
    json_t *problems = json_array();
    int rc = -1;
    if (apply_http_collect(req, resp, &rq) < 0)
        goto out;
    int r = apply_resubmit(ap, number, &rq, problems, &e);
    if (r == 1 && apply_hold(ap, &rq, item, 0, problems, &held, &e) < 0)
        r = -1;
    if (r < 0) {
        rc = web_fail_err(resp, &e);
    } else if (r == 1) {
        struct show_extra x = {problems, held, NULL, NULL};
        rc = show_page(req, resp, "apply/show", &x, 422);
    } else if (req->want_json) {
        rc = show_page(req, resp, "apply/show", NULL, 200);
    } else {
        rc = web_redirect(req, resp,
                          arena_printf(req->arena, "/applications/%s?done=%s", number,
                                       done_of(APPLY_ACT_RESUBMIT)));
    }
out:
    json_decref(held);
    json_decref(problems);
    json_decref(values);
    json_decref(item);
    return rc;
}

int apply_http_file(struct web_req *req, struct web_resp *resp)
{
    struct apply *ap = req->ctx;
    struct authz_subject s;
    if (identity_web_subject(ap->id, req, resp, &s) < 0)
        return -1;
    struct apply_file file;
    struct err e;
    /* The content goes straight into the request's arena: the response outlives this call. */
    if (apply_file_get(ap, req->arena, &s, web_param(req, "number"), web_param_int(req, "id"),
                       &file, &e) < 0)
        return web_fail_err(resp, &e);
    /* Only the ASCII letters of the name go in the header (RFC 6266 without encoding). */
    char *safe = arena_strdup(req->arena, file.filename);
    if (safe == NULL)
        return web_fail(resp, 500, "http.internal", "out of memory");
    for (char *p = safe; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e || *p == '"' || *p == '\\')
            *p = '_';
    const char *ct = file.content_type;
    const char *body = (const char *)file.data;
    size_t len = file.len;
    resp->content_type = ct;
    resp->body = body;
    resp->body_len = len;
    web_resp_header(resp, "Content-Disposition",
                    arena_printf(req->arena, "attachment; filename=\"%s\"", safe));
    web_resp_header(resp, "X-Content-Type-Options", "nosniff");
    return 0;
}

int apply_http_bundle_show(struct web_req *req, struct web_resp *resp)
{
    struct apply *ap = req->ctx;
    struct authz_subject s;
    if (identity_web_subject(ap->id, req, resp, &s) < 0)
        return -1;
    json_t *m = NULL;
    struct err e;
    if (apply_bundle_view(ap, &s, web_param_int(req, "id"), req->lang, &m, &e) < 0)
        return web_fail_err(resp, &e);
    label_rows(req, json_object_get(m, "applications"));
    json_object_set_new(m, "title", json_string(web_t(req, "apply.bundle.title")));
    return web_page(resp, m, "apply/bundle", 200);
}
