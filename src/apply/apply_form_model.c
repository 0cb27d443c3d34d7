/*
 * apply_form_model.c - the model of an application form, for apply_http.c (an item's or a
 * bundle's form) and apply_case_http.c (the completion form of 补正): the fields from the
 * catalog item with what was typed, each material with the files already held or on
 * record and the e-certificates that can stand in for it, where the item is handled, the
 * enterprises the person acts for and, for counter staff, the walk-in person's details.
 */
#include "apply/apply_http_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/lang.h"
#include "base/arena.h"
#include "base/buf.h"
#include "base/id.h"
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
        const char *src =
            json_string_value(json_object_get(json_object_get(values, "_sources"), key));
        if (src != NULL)
            json_object_set_new(fj, "source", json_string(src));
        const char *dispute =
            json_string_value(json_object_get(json_object_get(values, "_disputes"), key));
        if (dispute != NULL)
            json_object_set_new(fj, "dispute", json_string(dispute));
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
        const char *reg = json_string_value(json_object_get(m, "register"));
        if (reg != NULL && ap->hooks.register_record != NULL)
            json_object_set_new(
                mj, "register",
                json_string(
                    web_t(req, arena_printf(req->arena, "exchange.register_names.%s", reg))));
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
        const char *name = lang_pick(req->lang, d.name_zh, d.name_bo, d.name_en, NULL);
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

/* The value a "register.RESOURCE.FIELD" or "register.RESOURCE.SEX.FIELD" prefill names (the
 * second only when the register gives the person that sex: the marriage form's man's and
 * woman's fields), reading each register once per form and only with the person's consent
 * (?from=registers, the button on the form). The field's source goes to values._sources. */
static const char *register_value(struct web_req *req, struct apply *ap, int64_t holder,
                                  const json_t *item, const char *pf, json_t *cache)
{
    char res[48], sex[16] = "", field[48];
    const char *p = pf + strlen("register.");
    size_t n = strcspn(p, ".");
    if (n == 0 || n >= sizeof(res) || ap->hooks.register_record == NULL)
        return NULL;
    snprintf(res, sizeof(res), "%.*s", (int)n, p);
    p += n + (p[n] == '.');
    n = strcspn(p, ".");
    if (p[n] == '.') {
        snprintf(sex, sizeof(sex), "%.*s", (int)(n < 15 ? n : 15), p);
        p += n + 1;
    }
    snprintf(field, sizeof(field), "%s", p);
    json_t *rec = json_object_get(cache, res);
    if (rec == NULL) {
        struct err e;
        const char *code = json_string_value(json_object_get(item, "code"));
        rec = NULL;
        if (ap->hooks.register_record(ap->hooks.ctx, holder, res, "form_prefill",
                                      code ? code : "form", 0, &rec, &e) != 0)
            rec = json_null();
        json_object_set_new(cache, res, rec);
    }
    const char *held = json_string_value(json_object_get(rec, "sex"));
    if (sex[0] && (held == NULL || strcmp(held, sex) != 0))
        return NULL;
    return json_string_value(json_object_get(rec, field));
}

/* 免填: profile and enterprise values for fields that declare a prefill. */
void apply_http_prefill(struct web_req *req, struct apply *ap, const struct authz_subject *s,
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
    const char *from = web_query(req, "from");
    int consent = from != NULL && strcmp(from, "registers") == 0;
    json_t *cache = json_object(), *sources = json_object(), *disputes = json_object();
    json_array_foreach(json_object_get(json_object_get(item, "form"), "fields"), i, f)
    {
        const char *key = json_string_value(json_object_get(f, "key"));
        const char *pf = json_string_value(json_object_get(f, "prefill"));
        if (key == NULL || pf == NULL || json_object_get(values, key) != NULL)
            continue;
        const char *v = NULL;
        if (strncmp(pf, "register.", 9) == 0) {
            if (consent && (v = register_value(req, ap, s->account_id, item, pf, cache)) != NULL)
                json_object_set_new(
                    disputes, key,
                    json_string(
                        arena_printf(req->arena, "/exchange/corrections/new?resource=%.*s&field=%s",
                                     (int)strcspn(pf + 9, "."), pf + 9, strrchr(pf, '.') + 1)));
            if (v != NULL)
                json_object_set_new(
                    sources, key,
                    json_string(web_t(req, arena_printf(req->arena, "exchange.register_names.%.*s",
                                                        (int)strcspn(pf + 9, "."), pf + 9))));
        } else if (strcmp(pf, "profile.name") == 0 && have_acc)
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
    json_decref(cache);
    if (json_object_size(sources) > 0) {
        json_object_set_new(values, "_sources", sources);
        json_object_set_new(values, "_disputes", disputes);
    } else {
        json_decref(sources);
        json_decref(disputes);
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

int apply_http_form_page(struct web_req *req, struct web_resp *resp, const struct authz_subject *s,
                         const json_t *item, int is_bundle, const struct apply_form_state *st)
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
    /* 免填 from registers waits for the person's consent: a link that reloads the form. */
    int registers = 0;
    size_t fi;
    json_t *ff;
    json_array_foreach(json_object_get(json_object_get(item, "form"), "fields"), fi, ff)
    {
        const char *pf = json_string_value(json_object_get(ff, "prefill"));
        registers |= pf != NULL && strncmp(pf, "register.", 9) == 0;
    }
    if (registers && !is_bundle && ap->hooks.register_record != NULL &&
        s->kind == IDENTITY_CITIZEN && json_object_get(st->values, "_sources") == NULL)
        json_object_set_new(
            m, "prefill_href",
            json_string(
                arena_printf(req->arena, "/services/%s/apply?from=registers", code ? code : "")));
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
