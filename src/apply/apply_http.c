/*
 * apply_http.c - the pages of applications and their JSON twins (/api/v1/...):
 *   GET/POST /services/{code}/apply                the one form (save draft, pre-check, submit)
 *   GET/POST /services/bundles/{code}/apply        a bundle's union form (一件事)
 *   GET  /applications                             mine (and drafts)
 *   GET  /applications/{number}                    progress: timeline, deadline, actions
 *   GET  /applications/{number}/receipt            the receipt
 *   POST /applications/{number}/act                a transition (staff; withdraw)
 *   POST /applications/{number}/complete           补正: the completed form
 *   GET  /applications/{number}/files/{id}         a material (applicant, authorised staff)
 *   GET  /applications/bundles/{id}                a bundle's overall status
 *   GET  /workbench                                the staff queue
 * Uploads come as multipart/form-data (web routes flagged WEB_ROUTE_UPLOAD); materials are
 * file inputs named "m_<key>", e-certificates chosen as "cert_<key>". Field errors and
 * material errors are all shown at once, beside each field and in a summary.
 */
#include "apply/apply_internal.h"

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

#define MAX_BODY_FILES APPLY_MAX_FILES

static int fail_err(struct web_resp *resp, const struct err *e)
{
    return web_fail(resp, e->status ? e->status : 500, e->code[0] ? e->code : "http.internal",
                    "%s", e->msg);
}

static int page(struct web_resp *resp, json_t *m, const char *view, int status)
{
    if (m == NULL)
        return web_fail(resp, 500, "http.internal", "out of memory");
    resp->model = m;
    resp->view = view;
    resp->status = status;
    return 0;
}

/* The signed-in subject; 0, or answered (401 JSON / redirect to login) with 1/-1. */
static int need_subject(struct web_req *req, struct web_resp *resp, struct authz_subject *s)
{
    struct apply *ap = req->ctx;
    const struct web_session *ss = web_session(req);
    if (ss == NULL || ss->aal == 0) /* to the login page and back (web_need_session) */
        return web_fail(resp, 401, "identity.login_required", "log in first");
    struct err e;
    if (identity_subject_load(ap->id, ss->account_id, ss->aal, s, &e) < 0)
        return fail_err(resp, &e);
    if (s->account_id == 0)
        return web_fail(resp, 401, "identity.login_required", "log in first");
    return 0;
}

#define SUBJECT(req, resp, s)                                                                    \
    struct authz_subject s;                                                                      \
    do {                                                                                         \
        int rc_ = need_subject(req, resp, &s);                                                   \
        if (rc_ != 0)                                                                            \
            return rc_ < 0 ? -1 : 0;                                                             \
    } while (0)

/* The localised sentence of a problem code, with {{min}}/{{max}} filled in. */
static const char *problem_message(struct web_req *req, const json_t *p)
{
    const char *code = json_string_value(json_object_get(p, "code"));
    const char *key = arena_printf(req->arena, "errors.%s", code ? code : "");
    const char *msg = web_t(req, key);
    if (strcmp(msg, key) == 0)
        msg = web_t(req, "errors.apply.err.invalid");
    const json_t *params = json_object_get(p, "params");
    const char *names[] = {"min", "max"};
    for (int i = 0; i < 2; i++) {
        const json_t *v = json_object_get(params, names[i]);
        if (v == NULL)
            continue;
        const char *val = json_is_integer(v)
                              ? arena_printf(req->arena, "%lld", (long long)json_integer_value(v))
                              : json_string_value(v);
        const char *tag = arena_printf(req->arena, "{{%s}}", names[i]);
        const char *at = strstr(msg, tag);
        if (at != NULL && val != NULL)
            msg = arena_printf(req->arena, "%.*s%s%s", (int)(at - msg), msg, val, at + strlen(tag));
    }
    return msg;
}

static const char *label_for(const json_t *item, const char *kind, const char *key,
                             const char *lang)
{
    const json_t *list = strcmp(kind, "material") == 0
                             ? json_object_get(item, "materials")
                             : json_object_get(json_object_get(item, "form"), "fields");
    size_t i;
    json_t *x;
    json_array_foreach(list, i, x)
    {
        const char *k = json_string_value(json_object_get(x, "key"));
        if (k && strcmp(k, key) == 0)
            return catalog_text(json_object_get(x, strcmp(kind, "material") == 0 ? "name" : "label"),
                                lang);
    }
    return NULL;
}

/* Localise problems in place (label, message) and index them by key. */
static void localise_problems(struct web_req *req, const json_t *item, json_t *problems,
                              json_t *by_key)
{
    size_t i;
    json_t *p;
    json_array_foreach(problems, i, p)
    {
        const char *kind = json_string_value(json_object_get(p, "kind"));
        const char *key = json_string_value(json_object_get(p, "key"));
        const char *label = kind && key ? label_for(item, kind, key, req->lang) : NULL;
        if (label == NULL && key != NULL)
            label = web_t(req, arena_printf(req->arena, "apply.fields.%s", key[0] == '_' ? key + 1 : key));
        const char *msg = problem_message(req, p);
        json_object_set_new(p, "label", json_string(label ? label : ""));
        json_object_set_new(p, "message", json_string(msg));
        json_object_set_new(p, "anchor", json_string(arena_printf(
                                             req->arena, "%s%s", kind && strcmp(kind, "material") == 0 ? "m_" : "f_",
                                             key ? key : "")));
        if (key != NULL && json_object_get(by_key, key) == NULL)
            json_object_set_new(by_key, key, json_string(msg));
    }
}

/* ---- the form -------------------------------------------------------------------------- */

static const char *input_type(const char *type)
{
    if (strcmp(type, "number") == 0)
        return "number";
    if (strcmp(type, "date") == 0)
        return "date";
    if (strcmp(type, "phone") == 0)
        return "tel";
    if (strcmp(type, "email") == 0)
        return "email";
    return "text";
}

static json_t *value_string(const json_t *values, const char *key)
{
    const json_t *v = json_object_get(values, key);
    if (json_is_string(v))
        return json_string(json_string_value(v));
    if (json_is_integer(v))
        return json_sprintf("%lld", (long long)json_integer_value(v));
    if (json_is_true(v))
        return json_string("on");
    return json_string("");
}

/* A field of type "division" as the shared division picker (divisions.h): township or
 * finer. When the picker cannot be built the field stays a plain input. */
static void division_picker(struct web_req *req, json_t *fj)
{
    struct apply *ap = req->ctx;
    struct divisions_picker_field pf = {
        json_string_value(json_object_get(fj, "id")),
        json_string_value(json_object_get(fj, "value")),
        json_string_value(json_object_get(fj, "label")),
        json_string_value(json_object_get(fj, "help")),
        json_string_value(json_object_get(fj, "error")),
        json_is_true(json_object_get(fj, "required")),
        DIVISION_TOWNSHIP};
    json_t *picker = NULL;
    struct err e;
    if (divisions_picker(req, ap->store, &pf, &picker, &e) < 0)
        return;
    json_object_del(fj, "is_input");
    json_object_set_new(fj, "is_division", json_true());
    json_object_set_new(fj, "picker", picker);
}

/* The fields of an item (or a bundle's union) as the template renders them. */
static json_t *fields_model(struct web_req *req, const json_t *item, const json_t *values,
                            const json_t *errors)
{
    json_t *out = json_array();
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(json_object_get(item, "form"), "fields"), i, f)
    {
        const char *key = json_string_value(json_object_get(f, "key"));
        const char *type = json_string_value(json_object_get(f, "type"));
        if (key == NULL)
            continue;
        if (type == NULL)
            type = "text";
        json_t *val = value_string(values, key);
        const char *sval = json_string_value(val);
        json_t *fj = json_pack("{s:s, s:s, s:s, s:s, s:b, s:o, s:s}", "key", key, "id",
                               arena_printf(req->arena, "f_%s", key), "label",
                               catalog_text(json_object_get(f, "label"), req->lang), "type", type,
                               "required", json_is_true(json_object_get(f, "required")), "value",
                               val, "input_type", input_type(type));
        const json_t *help = json_object_get(f, "help");
        if (help != NULL && *catalog_text(help, req->lang))
            json_object_set_new(fj, "help", json_string(catalog_text(help, req->lang)));
        const char *flag = arena_printf(req->arena, "is_%s", type);
        if (strcmp(type, "textarea") == 0 || strcmp(type, "select") == 0 ||
            strcmp(type, "checkbox") == 0)
            json_object_set_new(fj, flag, json_true());
        else
            json_object_set_new(fj, "is_input", json_true());
        if (json_is_integer(json_object_get(f, "max_len")))
            json_object_set(fj, "maxlength", json_object_get(f, "max_len"));
        if (strcmp(type, "number") == 0 || strcmp(type, "date") == 0) {
            const json_t *mn = json_object_get(f, "min"), *mx = json_object_get(f, "max");
            if (json_is_integer(mn) || (json_is_string(mn) && strcmp(json_string_value(mn), "today")))
                json_object_set(fj, "min", (json_t *)mn);
            if (json_is_integer(mx) || (json_is_string(mx) && strcmp(json_string_value(mx), "today")))
                json_object_set(fj, "max", (json_t *)mx);
        }
        if (strcmp(type, "checkbox") == 0)
            json_object_set_new(fj, "checked", json_boolean(strcmp(sval, "on") == 0 ||
                                                            strcmp(sval, "1") == 0 ||
                                                            strcmp(sval, "true") == 0));
        if (strcmp(type, "select") == 0) {
            json_t *opts = json_array();
            size_t k;
            json_t *o;
            json_array_foreach(json_object_get(f, "options"), k, o)
            {
                const char *ov = json_string_value(json_object_get(o, "value"));
                if (ov == NULL)
                    continue;
                json_array_append_new(
                    opts, json_pack("{s:s, s:s, s:b}", "value", ov, "label",
                                    catalog_text(json_object_get(o, "label"), req->lang),
                                    "selected", strcmp(ov, sval) == 0));
            }
            json_object_set_new(fj, "options", opts);
        }
        const char *err = json_string_value(json_object_get(errors, key));
        if (err != NULL)
            json_object_set_new(fj, "error", json_string(err));
        if (strcmp(type, "division") == 0)
            division_picker(req, fj);
        json_array_append_new(out, fj);
    }
    return out;
}

static json_t *materials_model(struct web_req *req, struct apply *ap, const json_t *item,
                               const json_t *errors, int64_t holder, const json_t *existing)
{
    json_t *out = json_array();
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(item, "materials"), i, m)
    {
        const char *key = json_string_value(json_object_get(m, "key"));
        if (key == NULL)
            continue;
        json_int_t max = json_integer_value(json_object_get(m, "max_bytes"));
        if (max <= 0)
            max = 5 * 1024 * 1024;
        struct buf acc;
        buf_init(&acc, 0);
        size_t k;
        json_t *t;
        json_array_foreach(json_object_get(m, "accept"), k, t)
        {
            if (k)
                buf_puts(&acc, ",");
            buf_puts(&acc, json_string_value(t) ? json_string_value(t) : "");
        }
        json_t *mj = json_pack(
            "{s:s, s:s, s:s, s:b, s:s, s:I}", "key", key, "id", arena_printf(req->arena, "m_%s", key),
            "name", catalog_text(json_object_get(m, "name"), req->lang), "required",
            json_is_true(json_object_get(m, "required")), "accept",
            acc.data ? arena_strdup(req->arena, acc.data) : "", "max_mb",
            (json_int_t)((max + 1024 * 1024 - 1) / (1024 * 1024)));
        buf_free(&acc);
        const json_t *note = json_object_get(m, "note");
        if (note != NULL && *catalog_text(note, req->lang))
            json_object_set_new(mj, "note", json_string(catalog_text(note, req->lang)));
        if (json_object_get(existing, key) != NULL)
            json_object_set_new(mj, "on_file", json_true());
        const char *cert_type = json_string_value(json_object_get(m, "cert_type"));
        if (cert_type != NULL && ap->hooks.wallet != NULL && holder != 0) {
            json_t *list = NULL;
            struct err e;
            if (ap->hooks.wallet(ap->hooks.ctx, holder, cert_type, &list, &e) == 0 &&
                json_array_size(list) > 0)
                json_object_set_new(mj, "certs", list);
            else
                json_decref(list);
        }
        const char *err = json_string_value(json_object_get(errors, key));
        if (err != NULL)
            json_object_set_new(mj, "error", json_string(err));
        json_array_append_new(out, mj);
    }
    return out;
}

/* Where the item is handled: its departments' divisions, the applicant's own first. */
static json_t *places_model(struct web_req *req, struct apply *ap, const json_t *item,
                            const char *chosen)
{
    json_t *out = json_array();
    size_t i;
    json_t *code;
    json_array_foreach(json_object_get(item, "handled_by"), i, code)
    {
        struct identity_department d;
        struct err e;
        if (!json_is_string(code) ||
            identity_department_find(ap->id, req->arena, json_string_value(code), &d, &e) < 0)
            continue;
        const char *name = strcmp(req->lang, "bo") == 0 && d.name_bo   ? d.name_bo
                           : strcmp(req->lang, "en") == 0 && d.name_en ? d.name_en
                                                                       : d.name_zh;
        const char *val = arena_printf(req->arena, "%012lld", (long long)d.division_code);
        json_array_append_new(out, json_pack("{s:s, s:s, s:b}", "value", val, "label", name,
                                             "selected", chosen && strcmp(chosen, val) == 0));
    }
    return out;
}

/* The values typed, from the request's form (f_<key>). */
static json_t *values_from_request(struct web_req *req, const json_t *item)
{
    json_t *v = json_object();
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(json_object_get(item, "form"), "fields"), i, f)
    {
        const char *key = json_string_value(json_object_get(f, "key"));
        if (key == NULL)
            continue;
        const char *type = json_string_value(json_object_get(f, "type"));
        const char *name = arena_printf(req->arena, "f_%s", key);
        /* A division comes from its picker's selects (or the code itself, from API clients). */
        const char *s = type != NULL && strcmp(type, "division") == 0
                            ? divisions_pick_value(req, name)
                            : web_form_value(req, name);
        if (s != NULL)
            json_object_set_new(v, key, json_string(s));
    }
    return v;
}

/* 免填: profile and enterprise values for fields that declare a prefill. */
static void prefill(struct web_req *req, struct apply *ap, const struct authz_subject *s,
                    const json_t *item, int64_t enterprise_id, json_t *values)
{
    if (s->kind != IDENTITY_CITIZEN)
        return;
    struct identity_account acc;
    const char *idn = NULL, *phone = NULL;
    struct identity_enterprise ent;
    struct err e;
    int have_acc = identity_account_summary(ap->id, req->arena, s->account_id, &acc, &e) == 0;
    int have_priv =
        identity_account_private(ap->id, req->arena, s->account_id, &idn, &phone, &e) == 0;
    int have_ent = enterprise_id != 0 && identity_enterprise_get(ap->id, req->arena, s->account_id,
                                                                 enterprise_id, &ent, &e) == 0;
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(json_object_get(item, "form"), "fields"), i, f)
    {
        const char *key = json_string_value(json_object_get(f, "key"));
        const char *pf = json_string_value(json_object_get(f, "prefill"));
        if (key == NULL || pf == NULL || json_object_get(values, key) != NULL)
            continue;
        const char *v = NULL;
        if (strcmp(pf, "profile.name") == 0 && have_acc)
            v = acc.name;
        else if (strcmp(pf, "profile.id_number") == 0 && have_priv)
            v = idn;
        else if (strcmp(pf, "profile.phone") == 0 && have_priv)
            v = phone;
        else if (strcmp(pf, "enterprise.name") == 0 && have_ent)
            v = ent.name;
        else if (strcmp(pf, "enterprise.uscc") == 0 && have_ent)
            v = ent.uscc;
        if (v != NULL)
            json_object_set_new(values, key, json_string(v));
    }
}

static json_t *enterprises_model(struct web_req *req, struct apply *ap,
                                 const struct authz_subject *s, int64_t chosen)
{
    json_t *out = json_array();
    struct identity_enterprise *list = NULL;
    size_t n = 0;
    struct err e;
    if (s->kind != IDENTITY_CITIZEN ||
        identity_enterprises_of(ap->id, req->arena, s->account_id, &list, &n, &e) < 0)
        return out;
    for (size_t i = 0; i < n; i++)
        json_array_append_new(
            out, json_pack("{s:s, s:s, s:b}", "id", arena_printf(req->arena, "%lld", (long long)list[i].id),
                           "name", list[i].name, "selected", list[i].id == chosen));
    return out;
}

static int has_clerk_grant(const struct authz_subject *s)
{
    for (size_t g = 0; g < s->ngrants; g++)
        if (s->grants[g].role == ROLE_CLERK)
            return 1;
    return 0;
}

/* Render the form page of an item or bundle. `problems` may be NULL. */
static int form_page(struct web_req *req, struct web_resp *resp, const struct authz_subject *s,
                     const json_t *item, int is_bundle, const json_t *values, const char *division,
                     int64_t enterprise_id, const char *draft_id, json_t *problems, int status,
                     const char *notice)
{
    struct apply *ap = req->ctx;
    const char *code = json_string_value(json_object_get(item, "code"));
    json_t *by_key = json_object();
    if (problems != NULL)
        localise_problems(req, item, problems, by_key);
    json_t *m = json_pack("{s:s, s:s, s:s, s:o, s:o}", "title",
                          catalog_text(json_object_get(item, "name"), req->lang), "code", code ? code : "",
                          "csrf", web_csrf_token(req, resp), "fields",
                          fields_model(req, item, values, by_key), "materials",
                          materials_model(req, ap, item, by_key, s->account_id, NULL));
    json_object_set_new(m, "action",
                        json_string(arena_printf(req->arena, is_bundle ? "/services/bundles/%s/apply"
                                                                       : "/services/%s/apply",
                                                 code)));
    json_object_set_new(m, "is_bundle", json_boolean(is_bundle));
    if (is_bundle) {
        json_t *names = json_array();
        size_t i;
        json_t *it;
        json_array_foreach(json_object_get(item, "items"), i, it)
            json_array_append_new(names, json_pack("{s:s}", "name", catalog_text(json_object_get(it, "name"), req->lang)));
        json_object_set_new(m, "bundle_items", names);
        /* The places of the first item: the bundle is filed where the person lives. */
        json_object_set_new(m, "places", places_model(req, ap, json_array_get(json_object_get(item, "items"), 0), division));
    } else {
        json_object_set_new(m, "places", places_model(req, ap, item, division));
    }
    json_object_set_new(m, "enterprises", enterprises_model(req, ap, s, enterprise_id));
    json_object_set_new(m, "walkin", json_boolean(s->kind == IDENTITY_STAFF && has_clerk_grant(s)));
    json_object_set_new(m, "can_draft", json_boolean(s->kind == IDENTITY_CITIZEN && !is_bundle));
    json_object_set_new(m, "idem_key", json_sprintf("%016llx%016llx", (unsigned long long)id_next(),
                                                    (unsigned long long)time_now_ms()));
    if (draft_id != NULL)
        json_object_set_new(m, "draft_id", json_string(draft_id));
    const char *wid = web_form_value(req, "_walkin_id_number"), *wname = web_form_value(req, "_walkin_name");
    json_object_set_new(m, "walkin_id_number", json_string(wid ? wid : ""));
    json_object_set_new(m, "walkin_name", json_string(wname ? wname : ""));
    if (json_object_get(by_key, "_walkin_id_number"))
        json_object_set(m, "walkin_id_error", json_object_get(by_key, "_walkin_id_number"));
    if (json_object_get(by_key, "_walkin_name"))
        json_object_set(m, "walkin_name_error", json_object_get(by_key, "_walkin_name"));
    if (problems != NULL && json_array_size(problems) > 0) {
        json_object_set(m, "problems", problems);
        json_object_set_new(m, "has_problems", json_true());
    }
    if (notice != NULL)
        json_object_set_new(m, "notice", json_string(web_t(req, notice)));
    json_decref(by_key);
    return page(resp, m, "apply/form", status);
}

/* The request's uploads (m_<key>) and certificate choices (cert_<key>). */
static void collect_materials(struct web_req *req, struct apply_request *rq)
{
    struct apply_upload *up = arena_alloc(req->arena, (req->nfiles + 1) * sizeof(*up));
    size_t nu = 0;
    for (size_t i = 0; up != NULL && i < req->nfiles && nu < APPLY_MAX_FILES; i++) {
        const struct web_file *f = &req->files[i];
        if (strncmp(f->name, "m_", 2) != 0 || (f->len == 0 && f->filename[0] == '\0'))
            continue; /* an empty file input */
        up[nu++] = (struct apply_upload){f->name + 2, f->filename, f->data, f->len};
    }
    struct apply_cert_choice *cc = arena_alloc(req->arena, (req->nform + 1) * sizeof(*cc));
    size_t nc = 0;
    for (size_t i = 0; cc != NULL && i < req->nform; i++)
        if (strncmp(req->form[i].name, "cert_", 5) == 0 && req->form[i].value[0] != '\0')
            cc[nc++] = (struct apply_cert_choice){req->form[i].name + 5, req->form[i].value};
    rq->files = up;
    rq->nfiles = up ? nu : 0;
    rq->certs = cc;
    rq->ncerts = cc ? nc : 0;
}

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

static int h_form(struct web_req *req, struct web_resp *resp)
{
    struct apply *ap = req->ctx;
    SUBJECT(req, resp, s);
    json_t *item = NULL;
    struct err e;
    if (catalog_item_published(ap->store, web_param(req, "code"), &item, &e) < 0)
        return fail_err(resp, &e);
    json_t *values = json_object();
    const char *division = web_query(req, "division");
    int64_t ent = web_query(req, "enterprise") ? strtoll(web_query(req, "enterprise"), NULL, 10) : 0;
    const char *draft = web_query(req, "draft");
    if (draft != NULL) {
        json_t *d = NULL;
        if (apply_draft_get(ap, &s, strtoll(draft, NULL, 10), &d, &e) < 0) {
            json_decref(values);
            json_decref(item);
            return fail_err(resp, &e);
        }
        json_object_update(values, json_object_get(d, "values"));
        division = arena_strdup(req->arena, json_string_value(json_object_get(d, "division")));
        ent = strtoll(json_string_value(json_object_get(d, "enterprise_id")), NULL, 10);
        json_decref(d);
    }
    if (division == NULL)
        division = default_division(req, ap, &s);
    prefill(req, ap, &s, item, ent, values);
    int rc = form_page(req, resp, &s, item, 0, values, division, ent, draft, NULL, 200, NULL);
    json_decref(values);
    json_decref(item);
    return rc;
}

static const char *idem_of(struct web_req *req)
{
    const char *k = web_header(req, "Idempotency-Key");
    return k != NULL ? k : web_form_value(req, "_idem");
}

static int h_post(struct web_req *req, struct web_resp *resp)
{
    struct apply *ap = req->ctx;
    SUBJECT(req, resp, s);
    const char *code = web_param(req, "code");
    json_t *item = NULL;
    struct err e;
    err_clear(&e);
    if (catalog_item_published(ap->store, code, &item, &e) < 0)
        return fail_err(resp, &e);
    json_t *values = values_from_request(req, item);
    const char *what = web_form_value(req, "_action");
    const char *division = web_form_value(req, "_division");
    const char *ent_s = web_form_value(req, "_enterprise");
    const char *draft = web_form_value(req, "_draft");
    int64_t ent = ent_s && *ent_s ? strtoll(ent_s, NULL, 10) : 0;
    if (divisions_pick_requested(req)) { /* a division picker's next level: nothing checked */
        int rc = form_page(req, resp, &s, item, 0, values, division, ent,
                           draft && *draft ? draft : NULL, NULL, 200, NULL);
        json_decref(values);
        json_decref(item);
        return rc;
    }
    struct apply_request rq = {
        .subj = &s, .item_code = code, .values = values, .division_code = parse_division(division),
        .enterprise_id = ent, .idem_key = idem_of(req), .lang = req->lang,
        .draft_id = draft && *draft ? strtoll(draft, NULL, 10) : 0, .ip = web_client_ip(req)};
    const char *wid = web_form_value(req, "_walkin_id_number");
    if (wid != NULL && *wid != '\0') {
        rq.walkin_id_number = wid;
        rq.walkin_name = web_form_value(req, "_walkin_name");
    }
    collect_materials(req, &rq);
    json_t *problems = json_array();
    int rc;
    if (what != NULL && strcmp(what, "draft") == 0) {
        int64_t id = 0;
        if (apply_draft_save(ap, &rq, &id, &e) < 0) {
            rc = fail_err(resp, &e);
        } else if (req->want_json) {
            rc = page(resp, json_pack("{s:s}", "draft_id", arena_printf(req->arena, "%lld", (long long)id)),
                      "apply/form", 200);
        } else {
            rc = web_redirect(req, resp, arena_printf(req->arena, "/services/%s/apply?draft=%lld&saved=1",
                                                      code, (long long)id));
        }
    } else if (what != NULL && strcmp(what, "precheck") == 0) {
        int n = apply_precheck(ap, &rq, problems, &e);
        rc = n < 0 ? fail_err(resp, &e)
                   : form_page(req, resp, &s, item, 0, values, division, ent,
                               rq.draft_id ? draft : NULL, problems, n > 0 ? 422 : 200,
                               n == 0 ? "apply.form.precheck_ok" : NULL);
    } else {
        char number[32];
        int r = apply_submit(ap, &rq, number, problems, &e);
        if (r < 0)
            rc = fail_err(resp, &e);
        else if (r == 1)
            rc = form_page(req, resp, &s, item, 0, values, division, ent,
                           rq.draft_id ? draft : NULL, problems, 422, NULL);
        else if (req->want_json)
            rc = page(resp, json_pack("{s:s, s:s}", "number", number, "url",
                                      arena_printf(req->arena, "/applications/%s", number)),
                      "apply/receipt", 201);
        else
            rc = web_redirect(req, resp, arena_printf(req->arena, "/applications/%s/receipt", number));
    }
    json_decref(problems);
    json_decref(values);
    json_decref(item);
    return rc;
}

/* ---- bundles ----------------------------------------------------------------------------- */

static int h_bundle_form(struct web_req *req, struct web_resp *resp)
{
    struct apply *ap = req->ctx;
    SUBJECT(req, resp, s);
    json_t *form = NULL;
    struct err e;
    if (apply_bundle_form(ap, web_param(req, "code"), &form, &e) < 0)
        return fail_err(resp, &e);
    json_t *values = json_object();
    prefill(req, ap, &s, form, 0, values);
    int rc = form_page(req, resp, &s, form, 1, values, default_division(req, ap, &s), 0, NULL, NULL,
                       200, NULL);
    json_decref(values);
    json_decref(form);
    return rc;
}

static int h_bundle_post(struct web_req *req, struct web_resp *resp)
{
    struct apply *ap = req->ctx;
    SUBJECT(req, resp, s);
    const char *code = web_param(req, "code");
    json_t *form = NULL;
    struct err e;
    err_clear(&e);
    if (apply_bundle_form(ap, code, &form, &e) < 0)
        return fail_err(resp, &e);
    json_t *values = values_from_request(req, form);
    const char *division = web_form_value(req, "_division");
    if (divisions_pick_requested(req)) { /* a division picker's next level: nothing checked */
        int rc = form_page(req, resp, &s, form, 1, values, division, 0, NULL, NULL, 200, NULL);
        json_decref(values);
        json_decref(form);
        return rc;
    }
    struct apply_request rq = {.subj = &s, .values = values, .division_code = parse_division(division),
                               .idem_key = idem_of(req), .lang = req->lang, .ip = web_client_ip(req)};
    const char *wid = web_form_value(req, "_walkin_id_number");
    if (wid != NULL && *wid != '\0') {
        rq.walkin_id_number = wid;
        rq.walkin_name = web_form_value(req, "_walkin_name");
    }
    collect_materials(req, &rq);
    json_t *problems = json_array();
    int64_t bid = 0;
    int r = apply_bundle_submit(ap, code, &rq, &bid, problems, &e), rc;
    if (r < 0)
        rc = fail_err(resp, &e);
    else if (r == 1)
        rc = form_page(req, resp, &s, form, 1, values, division, 0, NULL, problems, 422, NULL);
    else if (req->want_json)
        rc = page(resp, json_pack("{s:s, s:s}", "bundle_id", arena_printf(req->arena, "%lld", (long long)bid),
                                  "url", arena_printf(req->arena, "/applications/bundles/%lld", (long long)bid)),
                  "apply/bundle", 201);
    else
        rc = web_redirect(req, resp, arena_printf(req->arena, "/applications/bundles/%lld", (long long)bid));
    json_decref(problems);
    json_decref(values);
    json_decref(form);
    return rc;
}

/* ---- lists -------------------------------------------------------------------------------- */

static void label_rows(struct web_req *req, json_t *rows)
{
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        const char *st = json_string_value(json_object_get(r, "state"));
        json_object_set_new(r, "state_label",
                            json_string(web_t(req, arena_printf(req->arena, "apply.states.%s", st))));
        const char *mark = json_string_value(json_object_get(r, "mark"));
        if (mark && *mark)
            json_object_set_new(r, "mark_label", json_string(web_t(req, arena_printf(req->arena, "apply.marks.%s", mark))));
        const char *num = json_string_value(json_object_get(r, "number"));
        if (num && *num)
            json_object_set_new(r, "url", json_string(arena_printf(req->arena, "/applications/%s", num)));
        else if (json_object_get(r, "draft_id"))
            json_object_set_new(r, "url", json_string(arena_printf(req->arena, "/services/%s/apply?draft=%s",
                                                                   json_string_value(json_object_get(r, "item_code")),
                                                                   json_string_value(json_object_get(r, "draft_id")))));
    }
}

static int h_mine(struct web_req *req, struct web_resp *resp)
{
    struct apply *ap = req->ctx;
    SUBJECT(req, resp, s);
    json_t *rows = NULL;
    struct err e;
    if (apply_list_mine(ap, &s, (int)web_param_int(req, "limit"), &rows, &e) < 0)
        return fail_err(resp, &e);
    label_rows(req, rows);
    return page(resp, json_pack("{s:s, s:o, s:b, s:s}", "title", web_t(req, "apply.mine.title"),
                                "applications", rows, "empty", json_array_size(rows) == 0,
                                "csrf", web_csrf_token(req, resp)),
                "apply/mine", 200);
}

static int h_workbench(struct web_req *req, struct web_resp *resp)
{
    struct apply *ap = req->ctx;
    SUBJECT(req, resp, s);
    const char *state = web_query(req, "state");
    json_t *rows = NULL;
    struct err e;
    const char *lim = web_query(req, "limit");
    if (apply_queue(ap, &s, state, lim ? atoi(lim) : 50, &rows, &e) < 0)
        return fail_err(resp, &e);
    label_rows(req, rows);
    json_t *filters = json_array();
    const char *states[] = {"", "submitted", "accepted", "under_review", "returned", "approved",
                            "denied", "delivered", "rejected", "closed", "withdrawn"};
    for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++)
        json_array_append_new(
            filters, json_pack("{s:s, s:s, s:b}", "value", states[i], "label",
                               web_t(req, i == 0 ? "apply.workbench.active"
                                                 : arena_printf(req->arena, "apply.states.%s", states[i])),
                               "selected", (state ? state : "")[0] ? strcmp(state, states[i]) == 0 : i == 0));
    return page(resp, json_pack("{s:s, s:o, s:o, s:b, s:b, s:s}", "title", web_t(req, "apply.workbench.title"),
                                "applications", rows, "filters", filters, "empty",
                                json_array_size(rows) == 0, "walkin", has_clerk_grant(&s), "csrf",
                                web_csrf_token(req, resp)),
                "apply/workbench", 200);
}

/* ---- one application ------------------------------------------------------------------------ */

static int h_show_view(struct web_req *req, struct web_resp *resp, const char *view,
                       json_t *problems, int status)
{
    struct apply *ap = req->ctx;
    SUBJECT(req, resp, s);
    json_t *m = NULL;
    struct err e;
    if (apply_view(ap, &s, web_param(req, "number"), req->lang, &m, &e) < 0)
        return fail_err(resp, &e);
    json_t *item = json_incref(json_object_get(m, "item"));
    json_object_del(m, "item");
    json_object_set_new(m, "title", json_string(arena_printf(req->arena, "%s %s", web_t(req, "apply.show.title"),
                                                             web_param(req, "number"))));
    json_object_set_new(m, "csrf", json_string(web_csrf_token(req, resp)));
    json_object_set_new(m, "state_label",
                        json_string(web_t(req, arena_printf(req->arena, "apply.states.%s",
                                                            json_string_value(json_object_get(m, "state"))))));
    const char *mark = json_string_value(json_object_get(m, "mark"));
    if (mark && *mark)
        json_object_set_new(m, "mark_label", json_string(web_t(req, arena_printf(req->arena, "apply.marks.%s", mark))));
    size_t i;
    json_t *ev;
    json_array_foreach(json_object_get(m, "timeline"), i, ev)
    {
        const char *act = json_string_value(json_object_get(ev, "action"));
        json_object_set_new(ev, "action_label",
                            json_string(web_t(req, arena_printf(req->arena, "apply.events.%s", act))));
    }
    /* Actions as flags for the template, and the return form's choices. */
    json_t *acts = json_object();
    json_t *a;
    json_array_foreach(json_object_get(m, "actions"), i, a)
        json_object_set_new(acts, json_string_value(a), json_true());
    json_object_set_new(m, "can", acts);
    json_object_set_new(m, "staff_actions", json_boolean(json_object_size(acts) > 0 && s.kind == IDENTITY_STAFF));
    json_t *choices = json_array();
    size_t k;
    json_t *f;
    json_array_foreach(json_object_get(json_object_get(item, "form"), "fields"), k, f)
        json_array_append_new(choices, json_pack("{s:s, s:s, s:s}", "kind", "field", "key",
                                                 json_string_value(json_object_get(f, "key")), "label",
                                                 catalog_text(json_object_get(f, "label"), req->lang)));
    json_array_foreach(json_object_get(item, "materials"), k, f)
        json_array_append_new(choices, json_pack("{s:s, s:s, s:s}", "kind", "material", "key",
                                                 json_string_value(json_object_get(f, "key")), "label",
                                                 catalog_text(json_object_get(f, "name"), req->lang)));
    json_object_set_new(m, "return_choices", choices);
    /* The completion form (补正) for the applicant. */
    if (json_object_get(acts, "resubmit") != NULL) {
        json_t *by_key = json_object();
        if (problems != NULL) {
            localise_problems(req, item, problems, by_key);
            json_object_set(m, "problems", problems);
            json_object_set_new(m, "has_problems", json_boolean(json_array_size(problems) > 0));
        }
        json_t *values = problems != NULL ? values_from_request(req, item)
                                          : json_incref(json_object_get(m, "values"));
        json_t *existing = json_object();
        json_array_foreach(json_object_get(m, "files"), k, f)
            json_object_set_new(existing, json_string_value(json_object_get(f, "material_key")), json_true());
        json_object_set_new(m, "form_fields", fields_model(req, item, values, by_key));
        json_object_set_new(m, "form_materials",
                            materials_model(req, ap, item, by_key, s.account_id, existing));
        json_decref(existing);
        json_decref(values);
        json_decref(by_key);
    }
    json_object_del(m, "values");
    json_decref(item);
    return page(resp, m, view, status);
}

static int h_show(struct web_req *req, struct web_resp *resp)
{
    return h_show_view(req, resp, "apply/show", NULL, 200);
}

static int h_receipt(struct web_req *req, struct web_resp *resp)
{
    return h_show_view(req, resp, "apply/receipt", NULL, 200);
}

static int h_act(struct web_req *req, struct web_resp *resp)
{
    struct apply *ap = req->ctx;
    SUBJECT(req, resp, s);
    const char *number = web_param(req, "number");
    int action = apply_action_parse(web_form_value(req, "action"));
    json_t *problems = json_array();
    for (size_t i = 0; i < req->nform; i++) {
        const char *n = req->form[i].name;
        if (strcmp(n, "problem") != 0)
            continue;
        /* "field:KEY" or "material:KEY" */
        const char *v = req->form[i].value, *colon = strchr(v, ':');
        if (colon == NULL) {
            json_decref(problems);
            return web_fail(resp, 422, "apply.return_bad", "a listed problem names no field or material");
        }
        json_array_append_new(problems, json_pack("{s:s%, s:s}", "kind", v, (size_t)(colon - v), "key", colon + 1));
    }
    struct err e;
    err_clear(&e);
    int rc = apply_act(ap, &s, number, action, web_form_value(req, "note"), problems,
                       web_client_ip(req), &e);
    json_decref(problems);
    if (rc < 0)
        return fail_err(resp, &e);
    if (req->want_json)
        return h_show_view(req, resp, "apply/show", NULL, 200);
    return web_redirect(req, resp, arena_printf(req->arena, "/applications/%s?done=%s", number,
                                                apply_action_name(action)));
}

static int h_complete(struct web_req *req, struct web_resp *resp)
{
    struct apply *ap = req->ctx;
    SUBJECT(req, resp, s);
    const char *number = web_param(req, "number");
    json_t *m = NULL, *item = NULL;
    struct err e;
    err_clear(&e);
    if (apply_view(ap, &s, number, req->lang, &m, &e) < 0)
        return fail_err(resp, &e);
    item = json_incref(json_object_get(m, "item"));
    json_decref(m);
    json_t *values = values_from_request(req, item);
    struct apply_request rq = {.subj = &s, .values = values, .lang = req->lang, .ip = web_client_ip(req)};
    collect_materials(req, &rq);
    json_t *problems = json_array();
    int r = apply_resubmit(ap, number, &rq, problems, &e), rc;
    json_decref(values);
    json_decref(item);
    if (r < 0)
        rc = fail_err(resp, &e);
    else if (r == 1)
        rc = h_show_view(req, resp, "apply/show", problems, 422);
    else if (req->want_json)
        rc = h_show_view(req, resp, "apply/show", NULL, 200);
    else
        rc = web_redirect(req, resp, arena_printf(req->arena, "/applications/%s?done=resubmit", number));
    json_decref(problems);
    return rc;
}

static int h_file(struct web_req *req, struct web_resp *resp)
{
    struct apply *ap = req->ctx;
    SUBJECT(req, resp, s);
    char *ctype = NULL, *fname = NULL;
    unsigned char *data = NULL;
    size_t len = 0;
    struct err e;
    if (apply_file_get(ap, &s, web_param(req, "number"), web_param_int(req, "id"), &ctype, &fname,
                       &data, &len, &e) < 0)
        return fail_err(resp, &e);
    /* The response outlives this call: copy into the request's arena. */
    char *body = arena_alloc(req->arena, len ? len : 1);
    if (body != NULL)
        memcpy(body, data, len);
    const char *ct = arena_strdup(req->arena, ctype);
    /* Only the ASCII letters of the name go in the header (RFC 6266 without encoding). */
    char *safe = arena_strdup(req->arena, fname);
    for (char *p = safe; p && *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e || *p == '"' || *p == '\\')
            *p = '_';
    free(ctype);
    free(fname);
    free(data);
    if (body == NULL || ct == NULL || safe == NULL)
        return web_fail(resp, 500, "http.internal", "out of memory");
    resp->content_type = ct;
    resp->body = body;
    resp->body_len = len;
    web_resp_header(resp, "Content-Disposition",
                    arena_printf(req->arena, "attachment; filename=\"%s\"", safe));
    web_resp_header(resp, "X-Content-Type-Options", "nosniff");
    return 0;
}

static int h_bundle_show(struct web_req *req, struct web_resp *resp)
{
    struct apply *ap = req->ctx;
    SUBJECT(req, resp, s);
    json_t *m = NULL;
    struct err e;
    if (apply_bundle_view(ap, &s, web_param_int(req, "id"), &m, &e) < 0)
        return fail_err(resp, &e);
    label_rows(req, json_object_get(m, "applications"));
    json_object_set_new(m, "title", json_string(web_t(req, "apply.bundle.title")));
    return page(resp, m, "apply/bundle", 200);
}

int apply_http_register(struct web_server *srv, struct apply *ap)
{
    static const char *const prefixes[] = {"", "/api/v1"};
    for (int i = 0; i < 2; i++) {
        const char *p = prefixes[i];
        char path[128];
#define ROUTE(method, suffix, h, flags)                                                          \
    do {                                                                                         \
        snprintf(path, sizeof(path), "%s%s", p, suffix);                                         \
        if (web_route_ex(srv, method, path, h, ap, flags) < 0)                                   \
            return -1;                                                                           \
    } while (0)
        ROUTE("GET", "/services/{code}/apply", h_form, 0);
        ROUTE("POST", "/services/{code}/apply", h_post, WEB_ROUTE_UPLOAD);
        ROUTE("GET", "/services/bundles/{code}/apply", h_bundle_form, 0);
        ROUTE("POST", "/services/bundles/{code}/apply", h_bundle_post, WEB_ROUTE_UPLOAD);
        ROUTE("GET", "/applications", h_mine, 0);
        ROUTE("GET", "/applications/bundles/{id:int}", h_bundle_show, 0);
        ROUTE("GET", "/applications/{number}", h_show, 0);
        ROUTE("GET", "/applications/{number}/receipt", h_receipt, 0);
        ROUTE("POST", "/applications/{number}/act", h_act, 0);
        ROUTE("POST", "/applications/{number}/complete", h_complete, WEB_ROUTE_UPLOAD);
        ROUTE("GET", "/applications/{number}/files/{id:int}", h_file, 0);
        ROUTE("GET", "/workbench", h_workbench, 0);
#undef ROUTE
    }
    return 0;
}
