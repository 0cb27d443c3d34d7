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
    struct divisions_picker_field pf = {json_string_value(json_object_get(fj, "id")),
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
            if (json_is_integer(mn) ||
                (json_is_string(mn) && strcmp(json_string_value(mn), "today")))
                json_object_set(fj, "min", (json_t *)mn);
            if (json_is_integer(mx) ||
                (json_is_string(mx) && strcmp(json_string_value(mx), "today")))
                json_object_set(fj, "max", (json_t *)mx);
        }
        if (strcmp(type, "checkbox") == 0)
            json_object_set_new(fj, "checked",
                                json_boolean(strcmp(sval, "on") == 0 || strcmp(sval, "1") == 0 ||
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

/* The files of one material a person has already given: [{held_id?, filename, size_text,
 * at}] from the held list (and for a completion, the files on record). */
static json_t *attached_of(struct web_req *req, const json_t *held, const char *key)
{
    json_t *out = json_array();
    size_t i;
    json_t *h;
    json_array_foreach(held, i, h)
    {
        const char *k = json_string_value(json_object_get(h, "material_key"));
        if (k == NULL || strcmp(k, key) != 0)
            continue;
        json_array_append_new(
            out, json_pack("{s:O, s:O, s:s, s:O}", "held_id", json_object_get(h, "id"), "filename",
                           json_object_get(h, "filename"), "size_text",
                           apply_http_size(req, json_integer_value(json_object_get(h, "size"))),
                           "at", json_object_get(h, "at")));
    }
    return out;
}

/* The materials of an item as the template renders them: the rule, what is already
 * attached (held files; for a completion `on_record`, key -> files on record), the file
 * input, and the holder's e-certificates usable instead (the chosen one selected). */
static json_t *materials_model(struct web_req *req, struct apply *ap, const json_t *item,
                               const json_t *errors, int64_t holder, const json_t *on_record,
                               const json_t *held)
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
        buf_init(&acc, 512); /* the accept attribute: a few MIME types */
        size_t k;
        json_t *t;
        json_array_foreach(json_object_get(m, "accept"), k, t)
        {
            if (k)
                buf_puts(&acc, ",");
            buf_puts(&acc, json_string_value(t) ? json_string_value(t) : "");
        }
        json_t *mj = json_pack("{s:s, s:s, s:s, s:b, s:s, s:I}", "key", key, "id",
                               arena_printf(req->arena, "m_%s", key), "name",
                               catalog_text(json_object_get(m, "name"), req->lang), "required",
                               json_is_true(json_object_get(m, "required")), "accept",
                               acc.data ? arena_strdup(req->arena, acc.data) : "", "max_mb",
                               (json_int_t)((max + 1024 * 1024 - 1) / (1024 * 1024)));
        buf_free(&acc);
        const json_t *note = json_object_get(m, "note");
        if (note != NULL && *catalog_text(note, req->lang))
            json_object_set_new(mj, "note", json_string(catalog_text(note, req->lang)));
        const json_t *rec = json_object_get(on_record, key);
        if (json_array_size(rec) > 0)
            json_object_set(mj, "on_record", (json_t *)rec);
        json_object_set_new(mj, "attached", attached_of(req, held, key));
        const char *cert_type = json_string_value(json_object_get(m, "cert_type"));
        if (cert_type != NULL && ap->hooks.wallet != NULL && holder != 0) {
            json_t *list = NULL;
            struct err e;
            if (ap->hooks.wallet(ap->hooks.ctx, holder, cert_type, &list, &e) == 0 &&
                json_array_size(list) > 0) {
                const char *chosen = web_form_value(req, arena_printf(req->arena, "cert_%s", key));
                json_t *c;
                json_array_foreach(list, k, c)
                {
                    const char *ident = json_string_value(json_object_get(c, "identifier"));
                    /* The certificate's name in the reader's language. */
                    json_object_set_new(
                        c, "name",
                        json_string(catalog_text(json_object_get(c, "name"), req->lang)));
                    json_object_set_new(c, "selected",
                                        json_boolean(chosen != NULL && ident != NULL &&
                                                     strcmp(chosen, ident) == 0));
                }
                json_object_set_new(mj, "certs", list);
            } else {
                json_decref(list);
            }
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
                                 const struct authz_subject *s, int64_t chosen,
                                 const char **chosen_name)
{
    json_t *out = json_array();
    struct identity_enterprise *list = NULL;
    size_t n = 0;
    struct err e;
    *chosen_name = NULL;
    if (s->kind != IDENTITY_CITIZEN ||
        identity_enterprises_of(ap->id, req->arena, s->account_id, &list, &n, &e) < 0)
        return out;
    for (size_t i = 0; i < n; i++) {
        if (list[i].id == chosen)
            *chosen_name = list[i].name;
        json_array_append_new(out,
                              json_pack("{s:s, s:s, s:b}", "id",
                                        arena_printf(req->arena, "%lld", (long long)list[i].id),
                                        "name", list[i].name, "selected", list[i].id == chosen));
    }
    return out;
}

int apply_http_clerk(const struct authz_subject *s)
{
    for (size_t g = 0; s->kind == IDENTITY_STAFF && g < s->ngrants; g++)
        if (s->grants[g].role == ROLE_CLERK)
            return 1;
    return 0;
}

/* The walk-in person's language: zh, bo, en, each named in the page's language. */
static json_t *walkin_langs(struct web_req *req)
{
    const char *chosen = web_form_value(req, "_walkin_lang");
    if (chosen == NULL || *chosen == '\0')
        chosen = req->lang;
    json_t *out = json_array();
    const char *langs[] = {"zh", "bo", "en"};
    for (int i = 0; i < 3; i++)
        json_array_append_new(
            out, json_pack("{s:s, s:s, s:b}", "value", langs[i], "label",
                           web_t(req, arena_printf(req->arena, "apply.langs.%s", langs[i])),
                           "selected", strcmp(chosen, langs[i]) == 0));
    return out;
}

/* What a form page shows besides the item. */
struct form_state {
    const json_t *values;
    const char *division;
    int64_t enterprise_id;
    int64_t draft_id;
    json_t *problems;   /* may be NULL */
    const json_t *held; /* files already held for this form, may be NULL */
    const char *notice; /* an i18n key, may be NULL */
    int status;
};

/* Render the form page of an item or bundle. */
static int form_page(struct web_req *req, struct web_resp *resp, const struct authz_subject *s,
                     const json_t *item, int is_bundle, const struct form_state *st)
{
    struct apply *ap = req->ctx;
    const char *code = json_string_value(json_object_get(item, "code"));
    json_t *by_key = json_object();
    if (st->problems != NULL)
        apply_http_localise(req, item, st->problems, by_key);
    json_t *m = json_pack("{s:s, s:s, s:s, s:o, s:o}", "title",
                          catalog_text(json_object_get(item, "name"), req->lang), "code",
                          code ? code : "", "csrf", web_csrf_token(req, resp), "fields",
                          fields_model(req, item, st->values, by_key), "materials",
                          materials_model(req, ap, item, by_key, s->account_id, NULL, st->held));
    json_object_set_new(
        m, "action",
        json_string(arena_printf(
            req->arena, is_bundle ? "/services/bundles/%s/apply" : "/services/%s/apply", code)));
    json_object_set_new(m, "is_bundle", json_boolean(is_bundle));
    json_object_set_new(m, "held", st->held ? json_deep_copy(st->held) : json_array());
    if (is_bundle) {
        json_t *names = json_array();
        size_t i;
        json_t *it;
        json_array_foreach(json_object_get(item, "items"), i, it)
        {
            json_array_append_new(
                names,
                json_pack("{s:s}", "name", catalog_text(json_object_get(it, "name"), req->lang)));
        }
        json_object_set_new(m, "bundle_items", names);
        /* The places of the first item: the bundle is filed where the person lives. */
        json_object_set_new(
            m, "places",
            places_model(req, ap, json_array_get(json_object_get(item, "items"), 0), st->division));
    } else {
        json_object_set_new(m, "places", places_model(req, ap, item, st->division));
        /* Who applies: the person, or an enterprise they act for (a bundle is a person's). */
        const char *ent_name = NULL;
        json_object_set_new(m, "enterprises",
                            enterprises_model(req, ap, s, st->enterprise_id, &ent_name));
        if (ent_name != NULL) {
            json_object_set_new(m, "enterprise_id",
                                json_sprintf("%lld", (long long)st->enterprise_id));
            json_object_set_new(m, "enterprise_name", json_string(ent_name));
        }
    }
    int walkin = apply_http_clerk(s);
    json_object_set_new(m, "walkin", json_boolean(walkin));
    json_object_set_new(m, "can_draft", json_boolean(s->kind == IDENTITY_CITIZEN && !is_bundle));
    json_object_set_new(m, "idem_key",
                        json_sprintf("%016llx%016llx", (unsigned long long)id_next(),
                                     (unsigned long long)time_now_ms()));
    if (st->draft_id != 0)
        json_object_set_new(m, "draft_id", json_sprintf("%lld", (long long)st->draft_id));
    if (walkin) {
        const char *wid = web_form_value(req, "_walkin_id_number"),
                   *wname = web_form_value(req, "_walkin_name");
        const char *wphone = web_form_value(req, "_walkin_phone");
        json_object_set_new(m, "walkin_id_number", json_string(wid ? wid : ""));
        json_object_set_new(m, "walkin_name", json_string(wname ? wname : ""));
        json_object_set_new(m, "walkin_phone", json_string(wphone ? wphone : ""));
        json_object_set_new(m, "walkin_langs", walkin_langs(req));
        const char *keys[] = {"_walkin_id_number", "_walkin_name", "_walkin_phone", "_walkin_lang"};
        const char *errs[] = {"walkin_id_error", "walkin_name_error", "walkin_phone_error",
                              "walkin_lang_error"};
        for (int i = 0; i < 4; i++)
            if (json_object_get(by_key, keys[i]))
                json_object_set(m, errs[i], json_object_get(by_key, keys[i]));
    }
    if (st->problems != NULL && json_array_size(st->problems) > 0) {
        json_object_set(m, "problems", st->problems);
        json_object_set_new(m, "has_problems", json_true());
    }
    if (st->notice != NULL)
        json_object_set_new(m, "notice", json_string(web_t(req, st->notice)));
    json_decref(by_key);
    return web_page(resp, m, "apply/form", st->status);
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
            apply_held_of_draft(ap, &s, draft, &held, &e) < 0) {
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
    if (division == NULL)
        division = default_division(req, ap, &s);
    prefill(req, ap, &s, item, ent, values);
    struct form_state st = {values, division, ent, draft, NULL, held, NULL, 200};
    rc = form_page(req, resp, &s, item, 0, &st);
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
    if (catalog_item_published(ap->store, code, &item, &e) < 0) {
        rc = web_fail_err(resp, &e);
        goto out;
    }
    if (web_form_int(req, resp, "_enterprise", 0, INT64_MAX, 0, &ent) < 0 ||
        web_form_int(req, resp, "_draft", 0, INT64_MAX, 0, &draft) < 0)
        goto out;
    values = values_from_request(req, item);
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
    if (apply_http_collect(req, resp, &rq) < 0)
        goto out;
    problems = json_array();
    struct form_state st = {values, division, ent, draft, problems, NULL, NULL, 422};
    if (divisions_pick_requested(req)) {
        /* The division picker's next level (no JavaScript): nothing is checked, and the
         * files chosen so far are held, as for a pre-check, so the round trip keeps them. */
        if (apply_hold(ap, &rq, item, 0, problems, &held, &e) < 0) {
            rc = web_fail_err(resp, &e);
            goto out;
        }
        st.held = held;
        st.status = json_array_size(problems) > 0 ? 422 : 200;
        rc = form_page(req, resp, &s, item, 0, &st);
    } else if (what != NULL && strcmp(what, "draft") == 0) {
        int64_t id = 0;
        if (apply_draft_save(ap, &rq, &id, &e) < 0 ||
            apply_hold(ap, &rq, item, id, problems, &held, &e) < 0) {
            rc = web_fail_err(resp, &e);
        } else if (json_array_size(problems) > 0) { /* a file past the bounds */
            st.draft_id = id;
            st.held = held;
            rc = form_page(req, resp, &s, item, 0, &st);
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
        rc = form_page(req, resp, &s, item, 0, &st);
    } else {
        char number[32];
        int r = apply_submit(ap, &rq, number, problems, &e);
        if (r == 1 && apply_hold(ap, &rq, item, 0, problems, &held, &e) < 0)
            r = -1;
        st.held = held;
        if (r < 0)
            rc = web_fail_err(resp, &e);
        else if (r == 1)
            rc = form_page(req, resp, &s, item, 0, &st);
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

static int h_bundle_form(struct web_req *req, struct web_resp *resp)
{
    struct apply *ap = req->ctx;
    struct authz_subject s;
    if (identity_web_subject(ap->id, req, resp, &s) < 0)
        return -1;
    json_t *form = NULL;
    struct err e;
    if (apply_bundle_form(ap, web_param(req, "code"), &form, &e) < 0)
        return web_fail_err(resp, &e);
    json_t *values = json_object();
    prefill(req, ap, &s, form, 0, values);
    struct form_state st = {values, default_division(req, ap, &s), 0, 0, NULL, NULL, NULL, 200};
    int rc = form_page(req, resp, &s, form, 1, &st);
    json_decref(values);
    json_decref(form);
    return rc;
}

static int h_bundle_post(struct web_req *req, struct web_resp *resp)
{
    struct apply *ap = req->ctx;
    struct authz_subject s;
    if (identity_web_subject(ap->id, req, resp, &s) < 0)
        return -1;
    const char *code = web_param(req, "code");
    json_t *form = NULL, *held = NULL;
    struct err e;
    err_clear(&e);
    if (apply_bundle_form(ap, code, &form, &e) < 0)
        return web_fail_err(resp, &e);
    json_t *values = values_from_request(req, form), *problems = json_array();
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
    struct form_state st = {values, division, 0, 0, problems, NULL, NULL, 422};
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
        rc = form_page(req, resp, &s, form, 1, &st);
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
        rc = form_page(req, resp, &s, form, 1, &st);
        goto out;
    }
    int r = apply_bundle_submit(ap, code, &rq, &bid, problems, &e);
    if (r == 1 && apply_hold(ap, &rq, form, 0, problems, &held, &e) < 0)
        r = -1;
    st.held = held;
    if (r < 0)
        rc = web_fail_err(resp, &e);
    else if (r == 1)
        rc = form_page(req, resp, &s, form, 1, &st);
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

/* ---- the completion form (补正) on an application's page ------------------------------- */

json_t *apply_http_values(struct web_req *req, const json_t *item)
{
    return values_from_request(req, item);
}

void apply_http_completion(struct web_req *req, const struct authz_subject *s, json_t *m,
                           const json_t *item, json_t *problems, const json_t *held)
{
    struct apply *ap = req->ctx;
    json_t *by_key = json_object();
    if (problems != NULL) {
        apply_http_localise(req, item, problems, by_key);
        json_object_set(m, "problems", problems);
        json_object_set_new(m, "has_problems", json_boolean(json_array_size(problems) > 0));
    }
    json_t *values = problems != NULL ? values_from_request(req, item)
                                      : json_incref(json_object_get(m, "values"));
    /* The files on record, each material's: what the applicant already gave. */
    json_t *on_record = json_object();
    size_t k;
    json_t *f;
    json_array_foreach(json_object_get(m, "files"), k, f)
    {
        const char *key = json_string_value(json_object_get(f, "material_key"));
        if (key == NULL)
            continue;
        json_t *list = json_object_get(on_record, key);
        if (list == NULL)
            json_object_set_new(on_record, key, list = json_array());
        json_array_append_new(list, json_pack("{s:O, s:O, s:O, s:b}", "filename",
                                              json_object_get(f, "filename"), "size_text",
                                              json_object_get(f, "size_text"), "at",
                                              json_object_get(f, "at"), "by_cert",
                                              json_object_get(f, "cert_identifier") != NULL));
    }
    json_object_set_new(m, "form_fields", fields_model(req, item, values, by_key));
    json_object_set_new(m, "form_materials",
                        materials_model(req, ap, item, by_key, s->account_id, on_record, held));
    json_decref(on_record);
    json_decref(values);
    json_decref(by_key);
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
