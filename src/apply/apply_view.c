/*
 * apply_view.c - what people see of applications: one application with its form,
 * materials, timeline and clock; a person's list; the staff queue sorted by due date
 * with the yellow/red marks; material downloads (bundles are in apply_bundle.c). Authorization on
 * every object: applicant or filer (application.view), staff with case.view in the department.
 */
#include "apply/apply_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "base/lang.h"
#include "base/arena.h"
#include "base/id.h"
#include "calendar/calendar.h"
#include "catalog/catalog.h"
#include "crypto/crypto.h"
#include "divisions/divisions.h"
#include "identity/idcodes.h"
#include "identity/identity.h"
#include "l10n/l10n.h"
#include "store/store.h"

int apply_visible(const struct authz_subject *s, const struct app_row *r, int *as_applicant)
{
    struct authz_object own = {r->applicant_account, 0, 0}, filer = {r->filed_by, 0, 0};
    struct authz_object dept = {0, r->department_id, r->division_code};
    *as_applicant =
        authz_allowed(s, "application.view", &own) || authz_allowed(s, "application.view", &filer);
    return *as_applicant || authz_allowed(s, "case.view", &dept);
}

static const char *mark_name(int mark)
{
    return mark == APPLY_MARK_RED ? "red" : mark == APPLY_MARK_YELLOW ? "yellow" : "";
}

json_t *apply_row_json(struct arena *a, const char *lang, const struct calendar *cal,
                       const struct app_row *r, int64_t now)
{
    struct apply_clock clk = {r->limit_days, r->used_days, r->clock_started_at, r->deadline_at};
    int mark = cal ? apply_clock_mark(cal, &clk, now) : 0;
    json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b}", "number",
                          r->number ? r->number : "", "item_code", r->item_code, "item_name",
                          r->item_name, "state", r->state, "applicant_name", r->applicant_name,
                          "submitted_at", l10n_datetime(a, lang, r->submitted_at), "deadline",
                          l10n_date(a, lang, r->deadline_at), "due", l10n_date(a, lang, r->due_at),
                          "mark", mark_name(mark), "on_behalf", r->on_behalf);
    if (r->number == NULL)
        json_object_set_new(j, "draft_id", json_string(arena_printf(a, "%lld", (long long)r->id)));
    return j;
}

static const char *dept_name(struct apply *ap, struct arena *a, int64_t id, const char *lang,
                             const char **code)
{
    struct identity_department *list = NULL;
    size_t n = 0;
    struct err e;
    *code = "";
    if (identity_department_list(ap->id, a, &list, &n, &e) < 0)
        return "";
    for (size_t i = 0; i < n; i++)
        if (list[i].id == id) {
            *code = list[i].code;
            return lang_pick(lang, list[i].name_zh, list[i].name_bo, list[i].name_en, NULL);
        }
    return "";
}

static const char *label_of(const json_t *item, const char *kind, const char *key, const char *lang)
{
    const json_t *list = strcmp(kind, "field") == 0
                             ? json_object_get(json_object_get(item, "form"), "fields")
                             : json_object_get(item, "materials");
    size_t i;
    json_t *x;
    json_array_foreach(list, i, x)
    {
        const char *k = json_string_value(json_object_get(x, "key"));
        if (k != NULL && strcmp(k, key) == 0)
            return catalog_text(json_object_get(x, strcmp(kind, "field") == 0 ? "label" : "name"),
                                lang);
    }
    return key;
}

/* A field's value as shown: ID numbers and phones masked, checkboxes and selects named. */
static json_t *display_value(struct arena *a, const json_t *f, const json_t *v, const char *lang)
{
    const char *type = json_string_value(json_object_get(f, "type"));
    if (v == NULL || json_is_null(v))
        return json_string("");
    if (json_is_boolean(v))
        return json_string(json_is_true(v) ? "✓" : "✗");
    if (json_is_integer(v))
        return json_string(arena_printf(a, "%lld", (long long)json_integer_value(v)));
    const char *s = json_string_value(v);
    if (s == NULL)
        return json_string("");
    if (type != NULL && (strcmp(type, "id_number") == 0 || strcmp(type, "phone") == 0)) {
        char *out = arena_alloc(a, strlen(s) + 1);
        idcode_mask(s, strcmp(type, "phone") == 0 ? 3 : 4, 4, out);
        return json_string(out);
    }
    if (type != NULL && strcmp(type, "select") == 0) {
        size_t i;
        json_t *o;
        json_array_foreach(json_object_get(f, "options"), i, o)
        {
            const char *ov = json_string_value(json_object_get(o, "value"));
            if (ov && strcmp(ov, s) == 0)
                return json_string(catalog_text(json_object_get(o, "label"), lang));
        }
    }
    return json_string(s);
}

static json_t *allowed_actions(const struct authz_subject *s, const struct app_row *r,
                               int as_applicant)
{
    json_t *list = json_array();
    int from = apply_state_parse(r->state);
    struct authz_object obj = {0, r->department_id, r->division_code};
    for (int act = 0; act < APPLY_ACT_COUNT; act++) {
        if (apply_next_state(from, act, apply_state_parse(r->resume_state)) < 0)
            continue;
        const char *perm = apply_action_permission(act);
        int ok = perm != NULL
                     ? authz_allowed(s, perm, &obj)
                     : as_applicant && (act == APPLY_ACT_WITHDRAW || act == APPLY_ACT_RESUBMIT);
        if (ok)
            json_array_append_new(list, json_string(apply_action_name(act)));
    }
    return list;
}

/* The scalar facts of one application: its row, item, department, clock and ids. */
static json_t *view_head(struct apply *ap, struct arena *a, const struct calendar *cal,
                         const struct app_row *r, const json_t *item, const char *lang,
                         int as_applicant, int64_t now)
{
    json_t *m = apply_row_json(a, lang, cal, r, now);
    struct apply_clock clk = {r->limit_days, r->used_days, r->clock_started_at, r->deadline_at};
    const char *dcode;
    json_object_set_new(m, "item_name",
                        json_string(catalog_text(json_object_get(item, "name"), lang)));
    json_object_set_new(m, "department",
                        json_string(dept_name(ap, a, r->department_id, lang, &dcode)));
    json_object_set_new(m, "department_code", json_string(dcode));
    json_object_set_new(m, "division",
                        json_string(arena_printf(a, "%012lld", (long long)r->division_code)));
    json_object_set_new(m, "limit_days", json_integer(r->limit_days));
    json_object_set_new(m, "used_days", json_integer(r->used_days));
    json_object_set_new(m, "clock_running", json_boolean(r->clock_started_at != 0));
    json_object_set_new(m, "percent_used",
                        json_integer((json_int_t)(apply_clock_fraction(cal, &clk, now) * 100)));
    json_object_set_new(m, "decided_at", json_string(l10n_datetime(a, lang, r->decided_at)));
    json_object_set_new(m, "id", json_string(arena_printf(a, "%lld", (long long)r->id)));
    if (r->cert_id != NULL)
        json_object_set_new(m, "cert_id", json_string(r->cert_id));
    if (r->enterprise_id != 0)
        json_object_set_new(m, "enterprise_id",
                            json_string(arena_printf(a, "%lld", (long long)r->enterprise_id)));
    json_object_set_new(m, "is_applicant", json_boolean(as_applicant));
    return m;
}

/* The form, in the item's field order. */
static json_t *view_fields(struct store_conn *c, struct arena *a, const json_t *item,
                           const json_t *values, const char *lang)
{
    json_t *fields = json_array();
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(json_object_get(item, "form"), "fields"), i, f)
    {
        const char *key = json_string_value(json_object_get(f, "key"));
        if (key == NULL)
            continue;
        json_t *raw = json_object_get(values, key);
        json_t *fj = json_pack("{s:s, s:s, s:o}", "key", key, "label",
                               catalog_text(json_object_get(f, "label"), lang), "value",
                               display_value(a, f, raw, lang));
        /* A place is shown by its names in the reader's language (each part marked with
         * the language it is in: townships and villages are often only Chinese). */
        const char *type = json_string_value(json_object_get(f, "type")), *where = NULL;
        int64_t code;
        struct err e;
        json_t *parts = NULL;
        if (fj != NULL && type != NULL && strcmp(type, "division") == 0 && json_is_string(raw) &&
            divisions_parse_code(json_string_value(raw), &code, &e) == 0 &&
            (parts = divisions_path_json(c, a, code, lang, &where)) != NULL) {
            json_object_set_new(fj, "value", json_string(where));
            json_object_set_new(fj, "value_parts", parts);
        }
        json_array_append_new(fields, fj);
    }
    return fields;
}

/* Who applied, masked: the ID number (staff may see it in full on purpose, through
 * apply_reveal_ids), and for a walk-in person the mobile and language we tell them in. */
static void view_applicant(struct arena *a, json_t *m, const json_t *doc, const struct app_row *r,
                           const struct authz_subject *subj)
{
    json_t *who = json_object_get(doc, "applicant");
    const char *idn = json_string_value(json_object_get(who, "id_number"));
    const char *phone = json_string_value(json_object_get(who, "phone"));
    if (idn != NULL) {
        char *masked = arena_alloc(a, strlen(idn) + 1);
        if (masked != NULL) {
            idcode_mask(idn, 4, 4, masked);
            json_object_set_new(m, "applicant_id", json_string(masked));
        }
    }
    if (r->on_behalf && phone != NULL) {
        char *masked = arena_alloc(a, strlen(phone) + 1);
        if (masked != NULL) {
            idcode_mask(phone, 3, 4, masked);
            json_object_set_new(m, "applicant_phone", json_string(masked));
        }
    }
    if (r->on_behalf)
        json_object_set_new(m, "applicant_lang", json_string(r->lang));
    struct authz_object dept = {0, r->department_id, r->division_code};
    json_object_set_new(
        m, "can_reveal",
        json_boolean(subj->kind == IDENTITY_STAFF && authz_allowed(subj, "case.view", &dept)));
}

/* The materials: m.files. */
static int view_files(struct store_conn *c, struct arena *a, json_t *m, const struct app_row *r,
                      const json_t *item, const char *lang, int as_applicant, struct err *err)
{
    struct app_file *files = NULL;
    size_t nf = 0;
    if (apply_db_files(c, a, r->id, &files, &nf, err) < 0)
        return -1;
    json_t *fl = json_array();
    for (size_t k = 0; k < nf; k++) {
        json_t *fj = json_pack(
            "{s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:s}", "id",
            arena_printf(a, "%lld", (long long)files[k].id), "material_key", files[k].material_key,
            "material", label_of(item, "material", files[k].material_key, lang), "filename",
            files[k].filename, "content_type", files[k].content_type, "size",
            (json_int_t)files[k].size, "at", l10n_datetime(a, lang, files[k].created_at), "url",
            arena_printf(a, "/applications/%s/files/%lld", r->number, (long long)files[k].id));
        /* The SM3 is for staff checking integrity; people see name, size and time. */
        if (!as_applicant && files[k].sm3 != NULL && *files[k].sm3 != '\0')
            json_object_set_new(fj, "sm3", json_string(files[k].sm3));
        if (files[k].cert_identifier != NULL)
            json_object_set_new(fj, "cert_identifier", json_string(files[k].cert_identifier));
        if (strcmp(files[k].content_type, APPLY_REGISTER_RECORD_TYPE) == 0)
            json_object_set_new(fj, "from_register", json_true());
        json_array_append_new(fl, fj);
    }
    json_object_set_new(m, "files", fl);
    return 0;
}

/* An event's problems [{kind, key, label}] from their stored JSON. */
static json_t *event_problems(const json_t *item, const char *stored, const char *lang)
{
    json_t *plist = json_array();
    if (stored == NULL)
        return plist;
    json_t *ps = json_loads(stored, 0, NULL);
    size_t pi;
    json_t *p;
    json_array_foreach(ps, pi, p)
    {
        const char *kind = json_string_value(json_object_get(p, "kind"));
        const char *key = json_string_value(json_object_get(p, "key"));
        if (kind && key)
            json_array_append_new(plist, json_pack("{s:s, s:s, s:s}", "kind", kind, "key", key,
                                                   "label", label_of(item, kind, key, lang)));
    }
    json_decref(ps);
    return plist;
}

/* The timeline: m.timeline, and for a returned application what the last return asked. */
static int view_timeline(struct store_conn *c, struct arena *a, json_t *m, const struct app_row *r,
                         const json_t *item, const char *lang, struct err *err)
{
    struct app_event *ev = NULL;
    size_t ne = 0;
    if (apply_db_events(c, a, r->id, &ev, &ne, err) < 0)
        return -1;
    json_t *tl = json_array(), *last_problems = NULL;
    const char *last_note = NULL;
    for (size_t k = 0; k < ne; k++) {
        json_t *ej =
            json_pack("{s:s, s:s, s:s, s:s, s:b}", "at", l10n_datetime(a, lang, ev[k].at), "action",
                      ev[k].action, "from", ev[k].from, "to", ev[k].to, "by_applicant",
                      ev[k].actor == r->applicant_account || ev[k].actor == r->filed_by);
        if (ev[k].note != NULL)
            json_object_set_new(ej, "note", json_string(ev[k].note));
        json_t *plist = event_problems(item, ev[k].problems, lang);
        if (strcmp(ev[k].action, "return") == 0) {
            json_decref(last_problems);
            last_problems = json_incref(plist);
            last_note = ev[k].note;
        }
        json_object_set_new(ej, "problems", plist);
        json_array_append_new(tl, ej);
    }
    json_object_set_new(m, "timeline", tl);
    if (strcmp(r->state, "returned") == 0) {
        json_object_set_new(m, "return_problems", last_problems ? last_problems : json_array());
        if (last_note != NULL)
            json_object_set_new(m, "return_note", json_string(last_note));
    } else {
        json_decref(last_problems);
    }
    return 0;
}

int apply_view(struct apply *ap, const struct authz_subject *subj, const char *number,
               const char *lang, json_t **out, struct err *err)
{
    struct store_conn *c = store_conn(ap->store, err);
    if (c == NULL)
        return -1;
    const struct calendar *cal = apply_calendar(ap, err);
    if (cal == NULL)
        return -1;
    struct arena *a = arena_new(0);
    if (a == NULL)
        return err_set(err, 500, "apply.oom", "out of memory");
    struct app_row r;
    int found = 0, rc = -1, as_applicant = 0;
    json_t *item = NULL, *doc = NULL;
    if (apply_db_get_number(c, a, number, &r, &found, err) < 0)
        goto out;
    if (!found || r.number == NULL || !apply_visible(subj, &r, &as_applicant)) {
        err_set(err, 404, "apply.not_found", "no application has this number");
        goto out;
    }
    if (catalog_item_version(ap->store, r.item_code, r.item_version, &item, err) < 0)
        goto out;
    json_t *m = view_head(ap, a, cal, &r, item, lang, as_applicant, time_now_ms());
    doc = apply_open_form(ap, &r);
    json_t *values = json_object_get(doc, "values");
    json_object_set_new(m, "fields", view_fields(c, a, item, values, lang));
    /* The raw values only to the applicant (for the completion form). */
    if (as_applicant && values != NULL)
        json_object_set(m, "values", values);
    view_applicant(a, m, doc, &r, subj);
    if (view_files(c, a, m, &r, item, lang, as_applicant, err) < 0 ||
        view_timeline(c, a, m, &r, item, lang, err) < 0) {
        json_decref(m);
        goto out;
    }
    json_object_set_new(m, "actions", allowed_actions(subj, &r, as_applicant));
    /* The item's fields and materials, for the return form and the completion form. */
    json_object_set(m, "item", item);
    *out = m;
    rc = 0;
out:
    json_decref(doc);
    json_decref(item);
    arena_free(a);
    return rc;
}

int apply_file_get(struct apply *ap, struct arena *out, const struct authz_subject *subj,
                   const char *number, int64_t file_id, struct apply_file *file, struct err *err)
{
    struct store_conn *c = store_conn(ap->store, err);
    if (c == NULL)
        return -1;
    struct arena *a = arena_new(0);
    if (a == NULL)
        return err_set(err, 500, "apply.oom", "out of memory");
    struct app_row r;
    struct app_file f;
    const unsigned char *enc = NULL;
    size_t enc_len = 0;
    int found = 0, rc = -1, as_applicant = 0;
    if (apply_db_get_number(c, a, number, &r, &found, err) < 0)
        goto out;
    if (!found || r.number == NULL || !apply_visible(subj, &r, &as_applicant)) {
        err_set(err, 404, "apply.not_found", "no application has this number");
        goto out;
    }
    if (apply_db_file_content(c, a, r.id, file_id, &f, &enc, &enc_len, &found, err) < 0)
        goto out;
    if (!found || enc == NULL || enc_len < CRYPTO_AEAD_OVERHEAD) {
        err_set(err, 404, "apply.file_not_found", "no such file");
        goto out;
    }
    size_t n = enc_len - CRYPTO_AEAD_OVERHEAD, got = 0;
    unsigned char *buf = arena_alloc(out, n ? n : 1);
    const char *ctype = arena_strdup(out, f.content_type ? f.content_type : "");
    const char *fname = arena_strdup(out, f.filename ? f.filename : "");
    if (buf == NULL || ctype == NULL || fname == NULL) {
        err_set(err, 500, "apply.oom", "out of memory");
        goto out;
    }
    char ad[64];
    snprintf(ad, sizeof(ad), "application_files.content_enc:%lld", (long long)f.id);
    if (crypto_aead_open(crypto_keyring_aead(ap->kr, CRYPTO_AEAD_PII), ad, strlen(ad), enc, enc_len,
                         buf, n, &got) < 0) {
        err_set(err, 500, "apply.crypto", "the file cannot be opened");
        goto out;
    }
    *file = (struct apply_file){ctype, fname, buf, got};
    /* Staff reading personal documents leave a trace. */
    if (!as_applicant) {
        char object[64];
        snprintf(object, sizeof(object), "application:%s", r.number);
        struct audit_event ev = {subj->account_id, "apply.file_read", object, "ok", NULL,
                                 f.material_key};
        audit_record(c, &ev, err);
    }
    rc = 0;
out:
    arena_free(a);
    return rc;
}

int apply_list_mine(struct apply *ap, const struct authz_subject *subj, const char *lang, int limit,
                    json_t **out, struct err *err)
{
    struct store_conn *c = store_conn(ap->store, err);
    if (c == NULL)
        return -1;
    if (subj == NULL || subj->account_id == 0)
        return err_set(err, 401, "identity.login_required", "log in first");
    const struct calendar *cal = apply_calendar(ap, err);
    struct arena *a = arena_new(0);
    if (a == NULL)
        return err_set(err, 500, "apply.oom", "out of memory");
    struct app_row *rows = NULL;
    size_t n = 0;
    int rc = -1;
    if (limit <= 0 || limit > 200)
        limit = 50;
    if (apply_db_list_mine(c, a, subj->account_id, limit, &rows, &n, err) < 0)
        goto out;
    /* Two sorted runs (as applicant, as filer for others): merge by creation time. */
    json_t *list = json_array();
    int64_t now = time_now_ms();
    size_t shown = 0;
    char *used = calloc(n ? n : 1, 1);
    while (shown < (size_t)limit && used != NULL) {
        ssize_t best = -1;
        for (size_t i = 0; i < n; i++)
            if (!used[i] && (best < 0 || rows[i].created_at > rows[best].created_at))
                best = (ssize_t)i;
        if (best < 0)
            break;
        used[best] = 1;
        json_array_append_new(list, apply_row_json(a, lang, cal, &rows[best], now));
        shown++;
    }
    free(used);
    *out = list;
    rc = 0;
out:
    arena_free(a);
    return rc;
}

static const char *const queue_states[] = {"submitted", "accepted",  "under_review", "approved",
                                           "denied",    "delivered", "rejected"};

int apply_queue(struct apply *ap, const struct authz_subject *subj, const char *lang,
                const char *state, int limit, json_t **out, struct err *err)
{
    struct store_conn *c = store_conn(ap->store, err);
    if (c == NULL)
        return -1;
    if (subj == NULL || subj->kind != IDENTITY_STAFF)
        return err_set(err, 403, "apply.forbidden", "the workbench is for staff");
    if (state != NULL && *state != '\0' && apply_state_parse(state) < 0)
        return err_set(err, 400, "apply.bad_state_filter", "unknown state %s", state);
    const struct calendar *cal = apply_calendar(ap, err);
    if (limit <= 0 || limit > 200)
        limit = 50;
    struct arena *a = arena_new(0);
    if (a == NULL)
        return err_set(err, 500, "apply.oom", "out of memory");
    /* Departments where the subject may view cases. */
    int64_t depts[AUTHZ_MAX_GRANTS];
    size_t nd = 0;
    for (size_t g = 0; g < subj->ngrants; g++) {
        struct authz_object obj = {0, subj->grants[g].department_id, 0};
        if (!authz_allowed(subj, "case.view", &obj))
            continue;
        int dup = 0;
        for (size_t k = 0; k < nd; k++)
            dup |= depts[k] == subj->grants[g].department_id;
        if (!dup)
            depts[nd++] = subj->grants[g].department_id;
    }
    struct app_row *all = NULL;
    size_t nall = 0, cap = 0;
    int rc = -1;
    size_t nstates = sizeof(queue_states) / sizeof(queue_states[0]);
    for (size_t d = 0; d < nd; d++)
        for (size_t s = 0; s < nstates; s++) {
            const char *st = queue_states[s];
            if (state != NULL && *state != '\0') {
                if (s > 0)
                    break;
                st = state;
            }
            struct app_row *rows = NULL;
            size_t n = 0;
            if (apply_db_queue(c, a, depts[d], st, limit, &rows, &n, err) < 0)
                goto out;
            if (nall + n > cap) {
                size_t ncap = (nall + n) * 2;
                struct app_row *p = arena_alloc(a, ncap * sizeof(*p));
                if (p == NULL) {
                    err_set(err, 500, "apply.oom", "out of memory");
                    goto out;
                }
                if (nall)
                    memcpy(p, all, nall * sizeof(*p));
                all = p;
                cap = ncap;
            }
            if (n > 0) /* rows may be NULL when a queue is empty */
                memcpy(all + nall, rows, n * sizeof(*rows));
            nall += n;
        }
    /* Merge by due date (nothing due sorts last), then number. */
    json_t *list = json_array();
    int64_t now = time_now_ms();
    char *used = calloc(nall ? nall : 1, 1);
    for (int shown = 0; shown < limit && used != NULL; shown++) {
        ssize_t best = -1;
        for (size_t i = 0; i < nall; i++) {
            if (used[i])
                continue;
            uint64_t di = (uint64_t)(all[i].due_at ? all[i].due_at : INT64_MAX);
            uint64_t db =
                best < 0 ? 0 : (uint64_t)(all[best].due_at ? all[best].due_at : INT64_MAX);
            if (best < 0 || di < db || (di == db && all[i].id < all[best].id))
                best = (ssize_t)i;
        }
        if (best < 0)
            break;
        used[best] = 1;
        json_array_append_new(list, apply_row_json(a, lang, cal, &all[best], now));
    }
    free(used);
    *out = list;
    rc = 0;
out:
    arena_free(a);
    return rc;
}

static int each_brief(struct apply *ap, int decided, int64_t since, apply_brief_fn fn, void *ctx,
                      struct err *err)
{
    struct store_conn *c = store_conn(ap->store, err);
    int64_t after = 0;
    if (c == NULL)
        return -1;
    for (;;) { /* a page at a time, collected before fn writes through the connection */
        struct arena *a = arena_new(0);
        struct apply_brief *rows = a ? arena_alloc(a, sizeof(*rows) * APPLY_BRIEF_MAX) : NULL;
        size_t n = 0;
        int rc = rows == NULL
                     ? err_set(err, 500, "apply.oom", "out of memory")
                     : apply_db_briefs(c, a, decided, since, after, APPLY_BRIEF_MAX, rows, &n, err);
        for (size_t i = 0; i < n && rc == 0; i++)
            if (fn(ctx, &rows[i]) < 0)
                rc = -1;
        if (n > 0)
            after = rows[n - 1].id;
        arena_free(a);
        if (rc < 0 || n < APPLY_BRIEF_MAX)
            return rc;
    }
}

int apply_each_returned(struct apply *ap, apply_brief_fn fn, void *ctx, struct err *err)
{
    return each_brief(ap, 0, 0, fn, ctx, err);
}

int apply_each_decided_since(struct apply *ap, int64_t since, apply_brief_fn fn, void *ctx,
                             struct err *err)
{
    return each_brief(ap, 1, since, fn, ctx, err);
}
