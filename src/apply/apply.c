/*
 * apply.c - applications: submit (pre-check, number, one transaction), drafts, 补正,
 * the staff transitions with their clock, views and lists, bundles (一件事). The SQL is
 * in apply_store.c, the pure rules in apply_rules.c, the pages in apply_http.c.
 */
#include "apply/apply_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "base/arena.h"
#include "base/id.h"
#include "calendar/calendar.h"
#include "catalog/catalog.h"
#include "crypto/crypto.h"
#include "divisions/divisions.h"
#include "identity/identity.h"
#include "notify/notify.h"
#include "store/store.h"

/* 行政许可法 §32: whether to accept is decided within five working days. */
#define ACCEPT_DAYS 5

int apply_open(struct store *st, struct crypto_keyring *kr, struct identity *id,
               struct notify *notify, struct apply **out, struct err *err)
{
    struct apply *ap = calloc(1, sizeof(*ap));
    if (ap == NULL)
        return err_set(err, 500, "apply.oom", "out of memory");
    ap->store = st;
    ap->kr = kr;
    ap->id = id;
    ap->notify = notify;
    pthread_mutex_init(&ap->lock, NULL);
    *out = ap;
    return 0;
}

void apply_close(struct apply *ap)
{
    if (ap == NULL)
        return;
    calendar_free(ap->cal);
    for (int i = 0; i < ap->nretired; i++)
        calendar_free(ap->retired[i]);
    pthread_mutex_destroy(&ap->lock);
    free(ap);
}

void apply_set_hooks(struct apply *ap, const struct apply_hooks *h)
{
    ap->hooks = *h;
}

const struct calendar *apply_calendar(struct apply *ap, struct err *err)
{
    struct store_conn *c = store_conn(ap->store, err);
    if (c == NULL)
        return NULL;
    int64_t v = calendar_version(c);
    pthread_mutex_lock(&ap->lock);
    struct calendar *cal = ap->cal;
    if (cal == NULL || (v >= 0 && calendar_loaded_version(cal) < v)) {
        struct calendar *fresh = NULL;
        if (calendar_load(ap->store, CALENDAR_SCOPES_XIZANG, &fresh, err) < 0) {
            pthread_mutex_unlock(&ap->lock);
            return cal; /* an older calendar is better than none */
        }
        if (cal != NULL) {
            if (ap->nretired == APPLY_MAX_RETIRED) {
                /* Threads may still read the oldest; keep it (bounded leak, rare). */
                ap->nretired--;
            }
            ap->retired[ap->nretired++] = cal;
        }
        ap->cal = cal = fresh;
    }
    pthread_mutex_unlock(&ap->lock);
    return cal;
}

/* ---- helpers ------------------------------------------------------------------------------ */

static int today_ymd(int64_t now)
{
    int y, m, d;
    calendar_day_to_ymd(calendar_day_of_ms(now), &y, &m, &d);
    return y * 10000 + m * 100 + d;
}

/* Seal the form document {values, applicant} bound to the application's id. */
static int seal_form(struct apply *ap, struct arena *a, int64_t app_id, const json_t *doc,
                     const unsigned char **out, size_t *len, struct err *err)
{
    char *text = json_dumps(doc, JSON_COMPACT);
    if (text == NULL)
        return err_set(err, 500, "apply.oom", "out of memory");
    size_t n = strlen(text);
    unsigned char *buf = arena_alloc(a, n + CRYPTO_AEAD_OVERHEAD);
    char ad[64];
    snprintf(ad, sizeof(ad), "applications.form_enc:%lld", (long long)app_id);
    int rc = buf == NULL ||
             crypto_aead_seal(crypto_keyring_aead(ap->kr, CRYPTO_AEAD_PII), ad, strlen(ad), text,
                              n, buf, n + CRYPTO_AEAD_OVERHEAD, len) < 0;
    crypto_wipe(text, n);
    free(text);
    if (rc)
        return err_set(err, 500, "apply.crypto", "the form could not be sealed");
    *out = buf;
    return 0;
}

json_t *apply_open_form(struct apply *ap, const struct app_row *r)
{
    if (r->form_len < CRYPTO_AEAD_OVERHEAD)
        return NULL;
    size_t n = r->form_len - CRYPTO_AEAD_OVERHEAD, got = 0;
    char *buf = malloc(n + 1);
    char ad[64];
    snprintf(ad, sizeof(ad), "applications.form_enc:%lld", (long long)r->id);
    json_t *doc = NULL;
    if (buf != NULL &&
        crypto_aead_open(crypto_keyring_aead(ap->kr, CRYPTO_AEAD_PII), ad, strlen(ad),
                         r->form_enc, r->form_len, (unsigned char *)buf, n, &got) == 0) {
        doc = json_loadb(buf, got, 0, NULL);
        crypto_wipe(buf, got);
    }
    free(buf);
    return doc;
}

/* The competent department of an item in a division: among handled_by (or the lead
 * department), the one whose division is the deepest ancestor-or-self of `division`. */
static int competent_department(struct apply *ap, struct arena *a, const json_t *item,
                                int64_t division, struct identity_department *out,
                                struct err *err)
{
    const json_t *list = json_object_get(item, "handled_by");
    int found = 0;
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        struct identity_department d;
        struct err e;
        if (!json_is_string(v) ||
            identity_department_find(ap->id, a, json_string_value(v), &d, &e) < 0)
            continue;
        if (divisions_contains(d.division_code, division) &&
            (!found || d.division_code > out->division_code)) {
            *out = d;
            found = 1;
        }
    }
    if (!found) {
        const char *lead = json_string_value(json_object_get(item, "department"));
        struct identity_department d;
        struct err e;
        if (lead != NULL && identity_department_find(ap->id, a, lead, &d, &e) == 0 &&
            divisions_contains(d.division_code, division)) {
            *out = d;
            found = 1;
        }
    }
    if (!found)
        return err_set(err, 422, "apply.no_department",
                       "this service is not handled for the division %012lld",
                       (long long)division);
    return 0;
}

static const json_t *find_material(const json_t *item, const char *key)
{
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(item, "materials"), i, m)
    {
        const char *k = json_string_value(json_object_get(m, "key"));
        if (k != NULL && key != NULL && strcmp(k, key) == 0)
            return m;
    }
    return NULL;
}

static const json_t *find_field(const json_t *item, const char *key)
{
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(json_object_get(item, "form"), "fields"), i, f)
    {
        const char *k = json_string_value(json_object_get(f, "key"));
        if (k != NULL && key != NULL && strcmp(k, key) == 0)
            return f;
    }
    return NULL;
}

static void material_problem(json_t *problems, const char *key, const char *code, json_t *params)
{
    json_t *p = json_pack("{s:s, s:s, s:s}", "kind", "material", "key", key, "code", code);
    if (params != NULL)
        json_object_set_new(p, "params", params);
    json_array_append_new(problems, p);
}

static int accepts(const json_t *m, const char *ctype)
{
    const json_t *acc = json_object_get(m, "accept");
    if (!json_is_array(acc) || json_array_size(acc) == 0)
        return 1;
    size_t i;
    json_t *v;
    json_array_foreach(acc, i, v) if (json_is_string(v) && strcmp(json_string_value(v), ctype) == 0)
        return 1;
    return 0;
}

/* Every material problem: unknown keys, oversize, wrong type, required ones missing
 * (counting `existing`, an object key -> files already on a returned application). */
static void check_materials(struct apply *ap, const json_t *item, const struct apply_request *rq,
                            const json_t *existing, json_t *problems)
{
    /* In the item's order, so the summary follows the form. */
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(item, "materials"), i, m)
    {
        const char *key = json_string_value(json_object_get(m, "key"));
        if (key == NULL)
            continue;
        int have = json_integer_value(json_object_get(existing, key)) > 0, bad = 0;
        json_int_t max = json_integer_value(json_object_get(m, "max_bytes"));
        if (max <= 0)
            max = 5 * 1024 * 1024;
        for (size_t k = 0; k < rq->nfiles; k++) {
            const struct apply_upload *u = &rq->files[k];
            if (u->material_key == NULL || strcmp(u->material_key, key) != 0)
                continue;
            have = 1;
            const char *sniffed = apply_sniff(u->data, u->len);
            if ((json_int_t)u->len > max)
                material_problem(problems, key, "apply.err.too_large",
                                 json_pack("{s:I}", "max", (json_int_t)(max / 1024)));
            else if (u->len == 0 || sniffed == NULL || !accepts(m, sniffed))
                material_problem(problems, key, "apply.err.file_type", NULL);
            else
                continue;
            bad = 1;
            break; /* one problem per material */
        }
        for (size_t k = 0; k < rq->ncerts && !bad; k++) {
            const struct apply_cert_choice *cc = &rq->certs[k];
            if (cc->material_key == NULL || strcmp(cc->material_key, key) != 0 ||
                cc->cert_identifier == NULL || *cc->cert_identifier == '\0')
                continue;
            have = 1;
            if (!json_is_string(json_object_get(m, "cert_type")))
                material_problem(problems, key, "apply.err.material_unknown", NULL);
            else if (ap->hooks.authorise_use == NULL)
                material_problem(problems, key, "apply.err.cert_unavailable", NULL);
            else
                continue;
            bad = 1;
        }
        if (!have && json_is_true(json_object_get(m, "required")))
            material_problem(problems, key, "apply.err.material_missing", NULL);
    }
    /* Files for materials the item does not list. */
    for (size_t k = 0; k < rq->nfiles; k++)
        if (find_material(item, rq->files[k].material_key) == NULL)
            material_problem(problems, rq->files[k].material_key ? rq->files[k].material_key : "",
                             "apply.err.material_unknown", NULL);
    for (size_t k = 0; k < rq->ncerts; k++)
        if (find_material(item, rq->certs[k].material_key) == NULL)
            material_problem(problems, rq->certs[k].material_key ? rq->certs[k].material_key : "",
                             "apply.err.material_unknown", NULL);
}

/* Who applies: a person for themself, an agent for their enterprise, or a clerk for a
 * walk-in person. Fills the applicant's account, name and ID number. */
struct applicant {
    int64_t account;
    int64_t enterprise_id;
    int on_behalf;
    const char *name;
    const char *id_number; /* plaintext or NULL */
};

static int resolve_applicant(struct apply *ap, struct arena *a, const struct apply_request *rq,
                             const struct identity_department *dept, struct applicant *out,
                             json_t *problems, struct err *err)
{
    memset(out, 0, sizeof(*out));
    const struct authz_subject *s = rq->subj;
    if (s == NULL || s->account_id == 0)
        return err_set(err, 401, "identity.login_required", "log in to apply");
    if (rq->walkin_id_number != NULL) {
        /* 帮办代办: a clerk of any department files at the window for a walk-in person. */
        struct authz_object obj = {0, dept->id, dept->division_code};
        int clerk = 0;
        for (size_t g = 0; g < s->ngrants && !clerk; g++)
            if (s->grants[g].role == ROLE_CLERK) {
                obj.department_id = s->grants[g].department_id;
                obj.division_code = 0;
                clerk = authz_allowed(s, "case.file_for", &obj);
            }
        if (!clerk)
            return err_set(err, 403, "apply.forbidden",
                           "only counter staff may apply on behalf of another person");
        char canon[IDCODE_LEN + 1];
        struct err e;
        if (idcode_citizen_normalize(rq->walkin_id_number, canon, 0, &e) < 0) {
            json_array_append_new(problems, json_pack("{s:s, s:s, s:s}", "kind", "field", "key",
                                                      "_walkin_id_number", "code", e.code));
        } else {
            out->id_number = arena_strdup(a, canon);
            if (identity_account_find_id_number(ap->id, canon, &out->account, &e) < 0)
                out->account = 0; /* no platform account: the clerk follows it up */
        }
        if (rq->walkin_name == NULL || *rq->walkin_name == '\0' || strlen(rq->walkin_name) > 150)
            json_array_append_new(problems, json_pack("{s:s, s:s, s:s}", "kind", "field", "key",
                                                      "_walkin_name", "code",
                                                      "apply.err.required"));
        out->name = rq->walkin_name ? rq->walkin_name : "";
        out->on_behalf = 1;
        return 0;
    }
    if (s->kind != IDENTITY_CITIZEN)
        return err_set(err, 403, "apply.forbidden",
                       "staff apply only on behalf of a walk-in person");
    out->account = s->account_id;
    struct identity_account acc;
    const char *idn = NULL, *phone = NULL;
    if (identity_account_summary(ap->id, a, s->account_id, &acc, err) < 0 ||
        identity_account_private(ap->id, a, s->account_id, &idn, &phone, err) < 0)
        return -1;
    out->name = acc.name;
    out->id_number = idn;
    if (rq->enterprise_id != 0) {
        struct identity_enterprise e;
        if (identity_enterprise_get(ap->id, a, s->account_id, rq->enterprise_id, &e, err) < 0)
            return -1;
        out->enterprise_id = e.id;
        out->name = e.name;
    }
    return 0;
}

static const char *json_text(const json_t *localised, const char *lang)
{
    return catalog_text(localised, lang ? lang : "zh");
}

static int notify_applicant(struct apply *ap, const struct app_row *r, const char *state,
                            const char *note, struct err *err)
{
    if (ap->notify == NULL || r->applicant_account == 0)
        return 0;
    char kind[64];
    snprintf(kind, sizeof(kind), "apply.notice.%s", state);
    json_t *params = json_pack("{s:s, s:s}", "number", r->number ? r->number : "", "item",
                               r->item_name);
    if (note != NULL && params != NULL)
        json_object_set_new(params, "note", json_string(note));
    char link[64];
    snprintf(link, sizeof(link), "/applications/%s", r->number ? r->number : "");
    struct notify_msg m = {.account_id = r->applicant_account, .lang = r->lang, .kind = kind,
                          .params = params, .link = link};
    int rc = notify_send(ap->notify, &m, err);
    json_decref(params);
    return rc;
}

static int audit_app(struct store_conn *c, int64_t actor, const char *action, const char *number,
                     const char *ip, const char *detail, struct err *err)
{
    char object[64];
    snprintf(object, sizeof(object), "application:%s", number ? number : "-");
    struct audit_event ev = {actor, action, object, "ok", ip, detail};
    return audit_record(c, &ev, err);
}

/* The number: YYYYMMDD, the county-level division (6 digits), a daily sequence. */
static int make_number(struct store_conn *c, int64_t now, int64_t division, char out[32],
                       struct err *err)
{
    int day = today_ymd(now), seq;
    int county = (int)(division / 1000000);
    if (aps_seq_next(c, day, county, &seq, err) < 0)
        return -1;
    snprintf(out, 32, "%08d%06d%06d", day, county, seq);
    return 0;
}

struct prepared {
    json_t *item;
    struct identity_department dept;
    struct applicant who;
    json_t *clean;
};

static void prepared_free(struct prepared *p)
{
    json_decref(p->item);
    json_decref(p->clean);
}

/* Load the item, find the department, the applicant; validate everything. Returns the
 * problem count or -1. */
static int prepare(struct apply *ap, struct arena *a, const struct apply_request *rq,
                   const json_t *existing, int64_t now, struct prepared *p, json_t *problems,
                   struct err *err)
{
    memset(p, 0, sizeof(*p));
    if (rq->item_code == NULL || catalog_item_published(ap->store, rq->item_code, &p->item, err) < 0)
        return rq->item_code == NULL ? err_set(err, 404, "catalog.not_found", "no item") : -1;
    int64_t division = rq->division_code;
    if (!divisions_contains(DIVISIONS_ROOT, division))
        return err_set(err, 422, "apply.no_department", "choose where to apply");
    if (competent_department(ap, a, p->item, division, &p->dept, err) < 0)
        return -1;
    size_t before = json_array_size(problems);
    if (resolve_applicant(ap, a, rq, &p->dept, &p->who, problems, err) < 0)
        return -1;
    p->clean = json_object();
    apply_form_validate(p->item, rq->values, today_ymd(now), p->clean, problems);
    check_materials(ap, p->item, rq, existing, problems);
    return (int)(json_array_size(problems) - before);
}

int apply_precheck(struct apply *ap, const struct apply_request *rq, json_t *problems,
                   struct err *err)
{
    struct arena *a = arena_new(0);
    struct prepared p;
    memset(&p, 0, sizeof(p));
    int rc = a == NULL ? err_set(err, 500, "apply.oom", "out of memory")
                       : prepare(ap, a, rq, NULL, time_now_ms(), &p, problems, err);
    prepared_free(&p);
    arena_free(a);
    return rc;
}

/* Store the uploads (encrypted, SM3 of the plaintext) and certificate uses of `app_id`;
 * keys uploaded again replace the earlier files. */
enum { MATERIALS_UPLOADS = 1, MATERIALS_CERTS = 2 };

static int store_materials(struct apply *ap, struct store_conn *c, struct arena *a,
                           const struct prepared *p, const struct apply_request *rq,
                           int64_t app_id, const char *number, int64_t now, int part,
                           struct err *err)
{
    for (size_t i = 0; (part & MATERIALS_UPLOADS) && i < rq->nfiles; i++) {
        int first = 1;
        for (size_t k = 0; k < i; k++)
            if (strcmp(rq->files[k].material_key, rq->files[i].material_key) == 0)
                first = 0;
        if (first && aps_files_delete_key(c, app_id, rq->files[i].material_key, err) < 0)
            return -1;
    }
    for (size_t i = 0; (part & MATERIALS_UPLOADS) && i < rq->nfiles; i++) {
        const struct apply_upload *u = &rq->files[i];
        unsigned char h[CRYPTO_SM3_LEN];
        char hex[2 * CRYPTO_SM3_LEN + 1];
        crypto_sm3(u->data, u->len, h);
        for (int k = 0; k < CRYPTO_SM3_LEN; k++)
            snprintf(hex + 2 * k, 3, "%02x", h[k]);
        int64_t fid = id_next();
        char ad[64];
        snprintf(ad, sizeof(ad), "application_files.content_enc:%lld", (long long)fid);
        size_t n = u->len + CRYPTO_AEAD_OVERHEAD, got = 0;
        unsigned char *enc = malloc(n);
        if (enc == NULL)
            return err_set(err, 500, "apply.oom", "out of memory");
        if (crypto_aead_seal(crypto_keyring_aead(ap->kr, CRYPTO_AEAD_PII), ad, strlen(ad), u->data,
                             u->len, enc, n, &got) < 0) {
            free(enc);
            return err_set(err, 500, "apply.crypto", "a file could not be sealed");
        }
        const char *fname = u->filename && *u->filename ? u->filename : "file";
        int rc = aps_file_insert(c, fid, app_id, u->material_key, fname, apply_sniff(u->data, u->len),
                                 (int64_t)u->len, hex, enc, got, NULL, now, err);
        free(enc);
        if (rc < 0)
            return -1;
    }
    for (size_t i = 0; (part & MATERIALS_CERTS) && i < rq->ncerts; i++) {
        const struct apply_cert_choice *cc = &rq->certs[i];
        const json_t *m = find_material(p->item, cc->material_key);
        const char *type = json_string_value(json_object_get(m, "cert_type"));
        if (ap->hooks.authorise_use(ap->hooks.ctx, p->who.account, cc->cert_identifier, type,
                                    number, p->dept.id, err) < 0)
            return -1;
        if (aps_files_delete_key(c, app_id, cc->material_key, err) < 0 ||
            aps_file_insert(c, id_next(), app_id, cc->material_key, cc->cert_identifier,
                            "application/x-e-certificate", 0, "", NULL, 0, cc->cert_identifier,
                            now, err) < 0)
            return -1;
    }
    (void)a;
    return 0;
}

static json_t *form_doc(const struct prepared *p, const json_t *values_for_draft)
{
    json_t *doc = json_object();
    json_object_set(doc, "values", values_for_draft ? (json_t *)values_for_draft : p->clean);
    json_t *who = json_pack("{s:s}", "name", p->who.name ? p->who.name : "");
    if (p->who.id_number != NULL)
        json_object_set_new(who, "id_number", json_string(p->who.id_number));
    json_object_set_new(doc, "applicant", who);
    return doc;
}

/* Inside the caller's transaction: insert one submitted application. */
static int insert_submitted(struct apply *ap, struct store_conn *c, struct arena *a,
                            const struct prepared *p, const struct apply_request *rq,
                            int64_t now, const char *idem, char number[32], struct err *err)
{
    const struct calendar *cal = apply_calendar(ap, err);
    if (cal == NULL)
        return -1;
    struct app_row r;
    memset(&r, 0, sizeof(r));
    r.id = id_next();
    r.number = NULL; /* numbered last: the daily counter row is locked until commit */
    r.item_code = json_string_value(json_object_get(p->item, "code"));
    r.item_version = (int)json_integer_value(json_object_get(p->item, "version"));
    r.item_name = json_text(json_object_get(p->item, "name"), "zh");
    r.bundle_id = rq->bundle_id;
    r.applicant_account = p->who.account;
    r.enterprise_id = p->who.enterprise_id;
    r.filed_by = rq->subj->account_id;
    r.on_behalf = p->who.on_behalf;
    r.applicant_name = p->who.name ? p->who.name : "";
    r.department_id = p->dept.id;
    r.division_code = rq->division_code;
    r.state = "submitted";
    r.lang = rq->lang ? rq->lang : "zh";
    r.idem_key = idem;
    r.limit_days = (int)json_integer_value(
        json_object_get(json_object_get(p->item, "time_limit"), "promised_days"));
    if (r.limit_days <= 0)
        r.limit_days = (int)json_integer_value(
            json_object_get(json_object_get(p->item, "time_limit"), "legal_days"));
    if (calendar_deadline_ms(cal, now, ACCEPT_DAYS, &r.due_at, err) < 0)
        return -1;
    r.created_at = r.submitted_at = r.updated_at = now;
    json_t *doc = form_doc(p, NULL);
    int rc = seal_form(ap, a, r.id, doc, &r.form_enc, &r.form_len, err);
    json_decref(doc);
    if (rc < 0 || aps_insert(c, &r, err) < 0 ||
        store_materials(ap, c, a, p, rq, r.id, NULL, now, MATERIALS_UPLOADS, err) < 0 ||
        aps_event_insert(c, r.id, now, rq->subj->account_id, r.on_behalf ? "filed_for" : "submitted",
                         "draft", "submitted", NULL, NULL, err) < 0)
        return -1;
    if (rq->draft_id != 0 && aps_delete_draft(c, rq->draft_id, rq->subj->account_id, err) < 0)
        return -1;
    /* The number last, so that concurrent submissions in the same county wait for the
     * counter row (and, on PostgreSQL, the audit chain) only for the tail of the
     * transaction. */
    if (make_number(c, now, rq->division_code, number, err) < 0 ||
        aps_set_number(c, r.id, number, err) < 0)
        return -1;
    r.number = number;
    if (store_materials(ap, c, a, p, rq, r.id, number, now, MATERIALS_CERTS, err) < 0 ||
        notify_applicant(ap, &r, "submitted", NULL, err) < 0 ||
        audit_app(c, rq->subj->account_id, r.on_behalf ? "apply.file_for" : "apply.submit", number,
                  rq->ip, r.item_code, err) < 0)
        return -1;
    return 0;
}

int apply_submit(struct apply *ap, const struct apply_request *rq, char number_out[32],
                 json_t *problems, struct err *err)
{
    struct store_conn *c = store_conn(ap->store, err);
    if (c == NULL)
        return -1;
    struct arena *a = arena_new(0);
    if (a == NULL)
        return err_set(err, 500, "apply.oom", "out of memory");
    int rc = -1;
    struct prepared p;
    memset(&p, 0, sizeof(p));
    const char *idem = rq->idem_key && *rq->idem_key ? rq->idem_key : NULL;
    if (idem != NULL && strlen(idem) > 100) {
        err_set(err, 400, "apply.bad_idempotency_key", "the idempotency key is too long");
        goto out;
    }
    /* A retried request: answer with the application it created. */
    if (idem != NULL && rq->subj != NULL) {
        const char *num = NULL;
        int found = 0;
        if (aps_by_idem(c, a, rq->subj->account_id, idem, &num, &found, err) < 0)
            goto out;
        if (found && num != NULL) {
            snprintf(number_out, 32, "%s", num);
            rc = 0;
            goto out;
        }
    }
    int64_t now = time_now_ms();
    int np = prepare(ap, a, rq, NULL, now, &p, problems, err);
    if (np != 0) {
        rc = np > 0 ? 1 : -1;
        goto out;
    }
    if (store_begin(c, err) < 0)
        goto out;
    if (insert_submitted(ap, c, a, &p, rq, now, idem, number_out, err) < 0) {
        store_rollback(c);
        if (idem != NULL && strcmp(err->code, "store.conflict") == 0) {
            /* The same key committed meanwhile by a concurrent request. */
            const char *num = NULL;
            int found = 0;
            struct err e2;
            if (aps_by_idem(c, a, rq->subj->account_id, idem, &num, &found, &e2) == 0 && found &&
                num != NULL) {
                snprintf(number_out, 32, "%s", num);
                rc = 0;
            }
        }
        goto out;
    }
    if (store_commit(c, err) < 0)
        goto out;
    rc = 0;
out:
    prepared_free(&p);
    arena_free(a);
    return rc;
}

/* ---- drafts ------------------------------------------------------------------------------ */

int apply_draft_save(struct apply *ap, const struct apply_request *rq, int64_t *draft_id,
                     struct err *err)
{
    struct store_conn *c = store_conn(ap->store, err);
    if (c == NULL)
        return -1;
    if (rq->subj == NULL || rq->subj->kind != IDENTITY_CITIZEN)
        return err_set(err, 403, "apply.forbidden", "only citizens keep drafts");
    struct arena *a = arena_new(0);
    struct prepared p;
    memset(&p, 0, sizeof(p));
    int rc = -1;
    json_t *scratch = json_array();
    if (a == NULL || catalog_item_published(ap->store, rq->item_code, &p.item, err) < 0)
        goto out;
    int64_t division = rq->division_code;
    if (!divisions_contains(DIVISIONS_ROOT, division))
        division = DIVISIONS_ROOT;
    struct err e;
    if (competent_department(ap, a, p.item, division, &p.dept, &e) < 0) {
        const char *lead = json_string_value(json_object_get(p.item, "department"));
        if (lead == NULL || identity_department_find(ap->id, a, lead, &p.dept, err) < 0)
            goto out;
    }
    if (resolve_applicant(ap, a, rq, &p.dept, &p.who, scratch, err) < 0)
        goto out;
    int64_t now = time_now_ms();
    struct app_row r;
    memset(&r, 0, sizeof(r));
    r.id = rq->draft_id ? rq->draft_id : id_next();
    r.item_code = rq->item_code;
    r.item_version = (int)json_integer_value(json_object_get(p.item, "version"));
    r.item_name = json_text(json_object_get(p.item, "name"), "zh");
    r.applicant_account = p.who.account;
    r.enterprise_id = p.who.enterprise_id;
    r.filed_by = rq->subj->account_id;
    r.applicant_name = p.who.name ? p.who.name : "";
    r.department_id = p.dept.id;
    r.division_code = division;
    r.state = "draft";
    r.lang = rq->lang ? rq->lang : "zh";
    r.created_at = r.updated_at = now;
    json_t *doc = form_doc(&p, rq->values);
    int sr = seal_form(ap, a, r.id, doc, &r.form_enc, &r.form_len, err);
    json_decref(doc);
    if (sr < 0)
        goto out;
    if (store_begin(c, err) < 0)
        goto out;
    if ((rq->draft_id ? aps_update_draft(c, &r, err) : aps_insert(c, &r, err)) < 0 ||
        audit_app(c, rq->subj->account_id, "apply.draft_save", NULL, rq->ip, rq->item_code, err) < 0) {
        store_rollback(c);
        goto out;
    }
    if (store_commit(c, err) < 0)
        goto out;
    *draft_id = r.id;
    rc = 0;
out:
    json_decref(scratch);
    prepared_free(&p);
    arena_free(a);
    return rc;
}

int apply_draft_get(struct apply *ap, const struct authz_subject *subj, int64_t draft_id,
                    json_t **draft, struct err *err)
{
    struct store_conn *c = store_conn(ap->store, err);
    if (c == NULL)
        return -1;
    struct arena *a = arena_new(0);
    struct app_row r;
    int found = 0, rc = -1;
    if (a == NULL || aps_get_id(c, a, draft_id, &r, &found, err) < 0)
        goto out;
    if (!found || strcmp(r.state, "draft") != 0 || subj == NULL || r.filed_by != subj->account_id) {
        err_set(err, 404, "apply.not_found", "no such draft");
        goto out;
    }
    json_t *doc = apply_open_form(ap, &r);
    json_t *values = json_object_get(doc, "values");
    *draft = json_pack("{s:s, s:s, s:o, s:s, s:s}", "id",
                       arena_printf(a, "%lld", (long long)r.id), "item_code", r.item_code,
                       "values", values ? json_incref(values) : json_object(), "division",
                       arena_printf(a, "%012lld", (long long)r.division_code), "enterprise_id",
                       arena_printf(a, "%lld", (long long)r.enterprise_id));
    json_decref(doc);
    rc = 0;
out:
    arena_free(a);
    return rc;
}

/* ---- transitions ------------------------------------------------------------------------- */

/* May the subject see this application? The applicant and the filer; staff with
 * case.view in its department. */
static int can_view(const struct authz_subject *s, const struct app_row *r)
{
    if (s == NULL || s->account_id == 0)
        return 0;
    struct authz_object own = {r->applicant_account, 0, 0};
    struct authz_object filer = {r->filed_by, 0, 0};
    struct authz_object dept = {0, r->department_id, r->division_code};
    return authz_allowed(s, "application.view", &own) ||
           authz_allowed(s, "application.view", &filer) || authz_allowed(s, "case.view", &dept);
}

static int validate_return_problems(const json_t *item, const json_t *problems)
{
    size_t i;
    json_t *p;
    json_array_foreach(problems, i, p)
    {
        const char *kind = json_string_value(json_object_get(p, "kind"));
        const char *key = json_string_value(json_object_get(p, "key"));
        if (kind == NULL || key == NULL)
            return -1;
        if (strcmp(kind, "field") == 0 ? find_field(item, key) == NULL
                                       : strcmp(kind, "material") != 0 ||
                                             find_material(item, key) == NULL)
            return -1;
    }
    return 0;
}

static int run_decided_hook(struct apply *ap, struct arena *a, struct app_row *r, int approved,
                            int64_t now, struct err *err)
{
    if (!approved || ap->hooks.on_approved == NULL)
        return 0;
    json_t *doc = apply_open_form(ap, r);
    json_t *who = json_object_get(doc, "applicant");
    struct apply_decided d = {
        r->id, r->number, r->item_code, r->item_version, r->applicant_account, r->enterprise_id,
        r->department_id, r->division_code, json_string_value(json_object_get(who, "name")),
        json_string_value(json_object_get(who, "id_number")), json_object_get(doc, "values"),
        approved, now};
    char cert[APPLY_CERT_ID_SIZE] = "";
    int rc = ap->hooks.on_approved(ap->hooks.ctx, &d, cert, err);
    if (rc == 0 && cert[0] != '\0')
        r->cert_id = arena_strdup(a, cert);
    json_decref(doc);
    return rc;
}

int apply_act(struct apply *ap, const struct authz_subject *subj, const char *number, int action,
              const char *note, const json_t *problems, const char *ip, struct err *err)
{
    struct store_conn *c = store_conn(ap->store, err);
    if (c == NULL)
        return -1;
    if (action < 0 || action >= APPLY_ACT_COUNT || action == APPLY_ACT_RESUBMIT)
        return err_set(err, 400, "apply.bad_action", "unknown action");
    const struct calendar *cal = apply_calendar(ap, err);
    if (cal == NULL)
        return -1;
    struct arena *a = arena_new(0);
    if (a == NULL)
        return err_set(err, 500, "apply.oom", "out of memory");
    json_t *item = NULL;
    int rc = -1, found = 0;
    struct app_row r;
    if (note != NULL && *note == '\0')
        note = NULL;
    if (note != NULL && strlen(note) > 2000) {
        err_set(err, 400, "apply.note_long", "the note is too long");
        goto out;
    }
    if (store_begin(c, err) < 0)
        goto out;
    if (aps_get_number(c, a, number, &r, &found, err) < 0)
        goto rollback;
    if (!found || r.number == NULL || !can_view(subj, &r)) {
        err_set(err, 404, "apply.not_found", "no application has this number");
        goto rollback;
    }
    const char *perm = apply_action_permission(action);
    struct authz_object obj = {0, r.department_id, r.division_code};
    struct authz_object own = {r.applicant_account, 0, 0}, filer = {r.filed_by, 0, 0};
    int allowed = perm != NULL ? authz_allowed(subj, perm, &obj)
                               : authz_allowed(subj, "application.withdraw", &own) ||
                                     authz_allowed(subj, "application.withdraw", &filer);
    if (!allowed) {
        err_set(err, 403, "apply.forbidden", "you may not %s this application",
                apply_action_name(action));
        goto rollback;
    }
    int from = apply_state_parse(r.state);
    int to = apply_next_state(from, action, apply_state_parse(r.resume_state));
    if (to < 0) {
        err_set(err, 409, "apply.bad_state", "an application that is %s cannot be given %s",
                r.state, apply_action_name(action));
        goto rollback;
    }
    if ((action == APPLY_ACT_REJECT || action == APPLY_ACT_DENY) && note == NULL) {
        err_set(err, 422, "apply.reason_required", "give the reason");
        goto rollback;
    }
    char *problems_text = NULL;
    if (action == APPLY_ACT_RETURN) {
        if (catalog_item_version(ap->store, r.item_code, r.item_version, &item, err) < 0)
            goto rollback;
        if ((problems == NULL || json_array_size(problems) == 0) && note == NULL) {
            err_set(err, 422, "apply.return_empty",
                    "a return for completion lists what is missing or wrong");
            goto rollback;
        }
        if (problems != NULL && validate_return_problems(item, problems) < 0) {
            err_set(err, 422, "apply.return_bad", "a listed problem names no field or material");
            goto rollback;
        }
        if (problems != NULL && json_array_size(problems) > 0) {
            char *t = json_dumps(problems, JSON_COMPACT);
            problems_text = t ? arena_strdup(a, t) : NULL;
            free(t);
        }
    }
    int64_t now = time_now_ms();
    struct apply_clock clk = {r.limit_days, r.used_days, r.clock_started_at, r.deadline_at};
    switch (action) {
    case APPLY_ACT_ACCEPT:
        clk.used_days = 0;
        if (apply_clock_run(cal, &clk, now, err) < 0)
            goto rollback;
        break;
    case APPLY_ACT_RETURN:
        apply_clock_pause(cal, &clk, now);
        r.resume_state = apply_state_name(from);
        break;
    case APPLY_ACT_APPROVE:
    case APPLY_ACT_DENY:
    case APPLY_ACT_REJECT:
    case APPLY_ACT_WITHDRAW:
        apply_clock_pause(cal, &clk, now);
        break;
    default:
        break;
    }
    r.state = apply_state_name(to);
    r.used_days = clk.used_days;
    r.clock_started_at = clk.started_ms;
    r.deadline_at = clk.deadline_ms;
    r.due_at = clk.deadline_ms;
    r.updated_at = now;
    if (action == APPLY_ACT_APPROVE || action == APPLY_ACT_DENY || action == APPLY_ACT_REJECT)
        r.decided_at = now;
    if (run_decided_hook(ap, a, &r, action == APPLY_ACT_APPROVE, now, err) < 0)
        goto rollback;
    char audit_action[48];
    snprintf(audit_action, sizeof(audit_action), "apply.%s", apply_action_name(action));
    if (aps_update_state(c, &r, err) < 0 ||
        aps_event_insert(c, r.id, now, subj->account_id, apply_action_name(action),
                         apply_state_name(from), r.state, note, problems_text, err) < 0 ||
        notify_applicant(ap, &r, r.state, note, err) < 0 ||
        audit_app(c, subj->account_id, audit_action, r.number, ip, r.state, err) < 0)
        goto rollback;
    if (store_commit(c, err) < 0)
        goto out;
    rc = 0;
    goto out;
rollback:
    store_rollback(c);
out:
    json_decref(item);
    arena_free(a);
    return rc;
}

int apply_resubmit(struct apply *ap, const char *number, const struct apply_request *rq,
                   json_t *problems, struct err *err)
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
    struct prepared p;
    memset(&p, 0, sizeof(p));
    json_t *existing = json_object();
    struct app_row r;
    int found = 0, rc = -1;
    if (aps_get_number(c, a, number, &r, &found, err) < 0)
        goto out;
    struct authz_object own = {r.applicant_account, 0, 0}, filer = {r.filed_by, 0, 0};
    if (!found || r.number == NULL ||
        !(authz_allowed(rq->subj, "application.withdraw", &own) ||
          authz_allowed(rq->subj, "application.withdraw", &filer))) {
        err_set(err, 404, "apply.not_found", "no application has this number");
        goto out;
    }
    if (strcmp(r.state, "returned") != 0) {
        err_set(err, 409, "apply.bad_state", "only a returned application is completed");
        goto out;
    }
    struct app_file *files = NULL;
    size_t nf = 0;
    if (aps_files(c, a, r.id, &files, &nf, err) < 0)
        goto out;
    for (size_t i = 0; i < nf; i++)
        json_object_set_new(existing, files[i].material_key, json_integer(1));
    /* The same item version and place; the applicant as filed. */
    struct apply_request rq2 = *rq;
    rq2.item_code = r.item_code;
    rq2.division_code = r.division_code;
    rq2.enterprise_id = r.enterprise_id;
    rq2.walkin_id_number = NULL;
    int64_t now = time_now_ms();
    if (catalog_item_version(ap->store, r.item_code, r.item_version, &p.item, err) < 0)
        goto out;
    p.clean = json_object();
    apply_form_validate(p.item, rq->values, today_ymd(now), p.clean, problems);
    check_materials(ap, p.item, &rq2, existing, problems);
    if (json_array_size(problems) > 0) {
        rc = 1;
        goto out;
    }
    json_t *old = apply_open_form(ap, &r);
    json_t *doc = json_object();
    json_object_set(doc, "values", p.clean);
    json_object_set(doc, "applicant", json_object_get(old, "applicant"));
    json_decref(old);
    p.who.account = r.applicant_account;
    p.dept.id = r.department_id;
    const unsigned char *enc;
    size_t enc_len;
    int sr = seal_form(ap, a, r.id, doc, &enc, &enc_len, err);
    json_decref(doc);
    if (sr < 0)
        goto out;
    int to = apply_next_state(APPLY_RETURNED, APPLY_ACT_RESUBMIT, apply_state_parse(r.resume_state));
    struct apply_clock clk = {r.limit_days, r.used_days, 0, 0};
    if (to == APPLY_ACCEPTED || to == APPLY_UNDER_REVIEW) {
        /* The clock restarts with the time that was left (补正 does not count). */
        if (apply_clock_run(cal, &clk, now, err) < 0)
            goto out;
        r.due_at = clk.deadline_ms;
    } else if (calendar_deadline_ms(cal, now, ACCEPT_DAYS, &r.due_at, err) < 0) {
        goto out;
    }
    r.clock_started_at = clk.started_ms;
    r.deadline_at = clk.deadline_ms;
    r.state = apply_state_name(to);
    r.resume_state = NULL;
    r.updated_at = now;
    if (store_begin(c, err) < 0)
        goto out;
    if (aps_update_form(c, r.id, enc, enc_len, now, err) < 0 ||
        store_materials(ap, c, a, &p, &rq2, r.id, r.number, now,
                        MATERIALS_UPLOADS | MATERIALS_CERTS, err) < 0 ||
        aps_update_state(c, &r, err) < 0 ||
        aps_event_insert(c, r.id, now, rq->subj->account_id, "resubmit", "returned", r.state,
                         NULL, NULL, err) < 0 ||
        notify_applicant(ap, &r, "resubmitted", NULL, err) < 0 ||
        audit_app(c, rq->subj->account_id, "apply.resubmit", r.number, rq->ip, r.state, err) < 0) {
        store_rollback(c);
        goto out;
    }
    if (store_commit(c, err) < 0)
        goto out;
    rc = 0;
out:
    json_decref(existing);
    prepared_free(&p);
    arena_free(a);
    return rc;
}

int apply_rating_target(struct apply *ap, int64_t application_id, int64_t *applicant_account,
                        int64_t *department_id, char item_code[48], int *decided, struct err *err)
{
    struct store_conn *c = store_conn(ap->store, err);
    if (c == NULL)
        return -1;
    struct arena *a = arena_new(0);
    struct app_row r;
    int found = 0, rc = -1;
    if (a == NULL || aps_get_id(c, a, application_id, &r, &found, err) < 0)
        goto out;
    if (!found || r.number == NULL) {
        err_set(err, 404, "apply.not_found", "no such application");
        goto out;
    }
    *applicant_account = r.applicant_account;
    *department_id = r.department_id;
    snprintf(item_code, 48, "%s", r.item_code);
    *decided = r.decided_at != 0 && strcmp(r.state, "withdrawn") != 0;
    rc = 0;
out:
    arena_free(a);
    return rc;
}

/* ---- bundles (一件事): one form, one application per item, one transaction ------------- */

static int has_key(const json_t *list, const char *key)
{
    size_t i;
    json_t *x;
    json_array_foreach(list, i, x)
    {
        const char *k = json_string_value(json_object_get(x, "key"));
        if (k != NULL && key != NULL && strcmp(k, key) == 0)
            return 1;
    }
    return 0;
}

int apply_bundle_submit(struct apply *ap, const char *bundle_code, const struct apply_request *rq,
                        int64_t *bundle_id, json_t *problems, struct err *err)
{
    struct store_conn *c = store_conn(ap->store, err);
    if (c == NULL)
        return -1;
    json_t *bundle = NULL;
    if (catalog_bundle_get(ap->store, bundle_code, &bundle, err) < 0)
        return -1;
    const json_t *codes = json_object_get(bundle, "items");
    size_t nitems = json_array_size(codes);
    struct arena *a = arena_new(0);
    struct prepared *ps = calloc(nitems ? nitems : 1, sizeof(*ps));
    struct apply_request *rqs = calloc(nitems ? nitems : 1, sizeof(*rqs));
    json_t *seen = json_object();
    int rc = -1;
    if (a == NULL || ps == NULL || rqs == NULL) {
        err_set(err, 500, "apply.oom", "out of memory");
        goto out;
    }
    const char *idem = rq->idem_key && *rq->idem_key ? rq->idem_key : NULL;
    if (idem != NULL && nitems > 0) {
        const char *num = NULL;
        int found = 0;
        const char *k0 = arena_printf(a, "%s:%s", idem, json_string_value(json_array_get(codes, 0)));
        if (aps_by_idem(c, a, rq->subj->account_id, k0, &num, &found, err) < 0)
            goto out;
        if (found) {
            struct app_row r;
            if (aps_get_number(c, a, num, &r, &found, err) < 0)
                goto out;
            *bundle_id = r.bundle_id;
            rc = 0;
            goto out;
        }
    }
    int64_t now = time_now_ms();
    int64_t bid = id_next();
    int nproblems = 0;
    for (size_t i = 0; i < nitems; i++) {
        rqs[i] = *rq;
        rqs[i].item_code = json_string_value(json_array_get(codes, i));
        rqs[i].bundle_id = bid;
        rqs[i].draft_id = 0;
        rqs[i].idem_key = idem ? arena_printf(a, "%s:%s", idem, rqs[i].item_code) : NULL;
        /* Each item gets the materials it lists. */
        json_t *item = NULL;
        if (catalog_item_published(ap->store, rqs[i].item_code, &item, err) < 0)
            goto out;
        const json_t *mats = json_object_get(item, "materials");
        struct apply_upload *up = arena_alloc(a, (rq->nfiles + 1) * sizeof(*up));
        struct apply_cert_choice *cc = arena_alloc(a, (rq->ncerts + 1) * sizeof(*cc));
        size_t nu = 0, ncc = 0;
        for (size_t k = 0; k < rq->nfiles; k++)
            if (has_key(mats, rq->files[k].material_key))
                up[nu++] = rq->files[k];
        for (size_t k = 0; k < rq->ncerts; k++)
            if (has_key(mats, rq->certs[k].material_key))
                cc[ncc++] = rq->certs[k];
        json_decref(item);
        rqs[i].files = up;
        rqs[i].nfiles = nu;
        rqs[i].certs = cc;
        rqs[i].ncerts = ncc;
        json_t *mine = json_array();
        int np = prepare(ap, a, &rqs[i], NULL, now, &ps[i], mine, err);
        if (np < 0) {
            json_decref(mine);
            goto out;
        }
        /* The same field in several items is one problem on the one form. */
        size_t pi;
        json_t *p;
        json_array_foreach(mine, pi, p)
        {
            const char *key = arena_printf(a, "%s/%s", json_string_value(json_object_get(p, "kind")),
                                           json_string_value(json_object_get(p, "key")));
            if (json_object_get(seen, key) != NULL)
                continue;
            json_object_set_new(seen, key, json_true());
            json_array_append(problems, p);
            nproblems++;
        }
        json_decref(mine);
    }
    if (nproblems > 0) {
        rc = 1;
        goto out;
    }
    if (store_begin(c, err) < 0)
        goto out;
    for (size_t i = 0; i < nitems; i++) {
        char number[32];
        if (insert_submitted(ap, c, a, &ps[i], &rqs[i], now, rqs[i].idem_key, number, err) < 0) {
            store_rollback(c);
            goto out;
        }
    }
    if (store_commit(c, err) < 0)
        goto out;
    *bundle_id = bid;
    rc = 0;
out:
    for (size_t i = 0; ps != NULL && i < nitems; i++)
        prepared_free(&ps[i]);
    free(ps);
    free(rqs);
    json_decref(seen);
    json_decref(bundle);
    arena_free(a);
    return rc;
}
