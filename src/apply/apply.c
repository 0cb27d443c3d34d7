/*
 * apply.c - applications: submit (pre-check, number, one transaction), drafts, 补正. The
 * staff transitions are in apply_act.c, views and lists in apply_view.c, bundles (一件事) in
 * apply_bundle.c; the SQL is in apply_store.c, the pure rules in apply_rules.c, the pages in
 * apply_http.c.
 */
#include "apply/apply_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "base/phone.h"
#include "base/arena.h"
#include "base/id.h"
#include "base/utf8.h"
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
    pthread_mutex_init(&ap->numbers_lock, NULL);
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
    apply_items_free(ap);
    pthread_mutex_destroy(&ap->lock);
    pthread_mutex_destroy(&ap->numbers_lock);
    free(ap);
}

void apply_set_hooks(struct apply *ap, const struct apply_hooks *h)
{
    ap->hooks = *h;
}

void apply_set_acting(struct apply *ap, const struct apply_acting_hooks *h)
{
    ap->acting = *h;
}

void apply_on_event(struct apply *ap, apply_event_fn fn, void *ctx)
{
    ap->on_event = fn;
    ap->on_event_ctx = ctx;
}

int apply_emit(struct apply *ap, struct store_conn *c, const struct app_row *r, const char *action,
               const char *from_state, int64_t at, struct err *err)
{
    if (ap->on_event == NULL)
        return 0;
    struct apply_event e = {
        r->id,           r->number, r->item_code, r->department_id, r->division_code, action,
        from_state,      r->state,  r->on_behalf, r->limit_days,    r->used_days,     r->due_at,
        r->submitted_at, at};
    return ap->on_event(ap->on_event_ctx, c, &e, err);
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
             crypto_aead_seal(crypto_keyring_aead(ap->kr, CRYPTO_AEAD_PII), ad, strlen(ad), text, n,
                              buf, n + CRYPTO_AEAD_OVERHEAD, len) < 0;
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
        crypto_aead_open(crypto_keyring_aead(ap->kr, CRYPTO_AEAD_PII), ad, strlen(ad), r->form_enc,
                         r->form_len, (unsigned char *)buf, n, &got) == 0) {
        doc = json_loadb(buf, got, 0, NULL);
        crypto_wipe(buf, got);
    }
    free(buf);
    return doc;
}

/* The competent department of an item in a division: among handled_by (or the lead
 * department), the one whose division is the deepest ancestor-or-self of `division`. */
static int competent_department(struct apply *ap, struct arena *a, const json_t *item,
                                int64_t division, struct identity_department *out, struct err *err)
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
                       "this service is not handled for the division %012lld", (long long)division);
    return 0;
}

const json_t *apply_find_material(const json_t *item, const char *key)
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

const json_t *apply_find_field(const json_t *item, const char *key)
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

/* 帮办代办 with consent: an agent files in the name of the citizen they act for (the
 * consent was checked by the caller, and is checked again in the submitting transaction
 * by the `filed` hook). The case keeps both: applicant = the citizen, filed_by = the
 * agent, on_behalf set; an enterprise cannot be chosen while acting. */
static int acting_applicant(struct apply *ap, struct arena *a, const struct apply_request *rq,
                            struct applicant *out, struct err *err)
{
    if (rq->enterprise_id != 0)
        return err_set(err, 403, "agent.out_of_scope",
                       "an agent acts for the person, not for their enterprise");
    struct identity_account acc;
    const char *idn = NULL, *phone = NULL;
    if (identity_account_with_private(ap->id, a, rq->acting_for, &acc, &idn, &phone, err) < 0)
        return -1;
    out->account = rq->acting_for;
    out->name = acc.name;
    out->id_number = idn;
    out->lang = acc.lang;
    out->on_behalf = 1;
    return 0;
}

/* Who applies: a person for themself, an agent for their enterprise, or a clerk for a
 * walk-in person (with their mobile and language). Problems with the walk-in person's
 * details go into `problems`. */
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
            json_array_append_new(problems,
                                  json_pack("{s:s, s:s, s:s}", "kind", "field", "key",
                                            "_walkin_name", "code", "apply.err.required"));
        out->name = rq->walkin_name ? utf8_nfc_in(a, rq->walkin_name) : "";
        if (out->name == NULL)
            return err_set(err, 500, "apply.oom", "out of memory");
        out->on_behalf = 1;
        /* Their mobile, to send them the receipt and every change (they may have none). */
        if (rq->walkin_phone != NULL && *rq->walkin_phone != '\0') {
            if (phone_is_mobile(rq->walkin_phone))
                out->phone = arena_strdup(a, rq->walkin_phone);
            else
                json_array_append_new(problems,
                                      json_pack("{s:s, s:s, s:s}", "kind", "field", "key",
                                                "_walkin_phone", "code", "identity.phone_invalid"));
        }
        const char *lang = rq->walkin_lang && *rq->walkin_lang ? rq->walkin_lang : rq->lang;
        if (lang == NULL || (strcmp(lang, "zh") && strcmp(lang, "bo") && strcmp(lang, "en")))
            json_array_append_new(problems, json_pack("{s:s, s:s, s:s}", "kind", "field", "key",
                                                      "_walkin_lang", "code", "apply.err.option"));
        else
            out->lang = lang;
        return 0;
    }
    if (rq->acting_for != 0) /* a family member, or a clerk of a 帮办 desk, with consent */
        return acting_applicant(ap, a, rq, out, err);
    if (s->kind != IDENTITY_CITIZEN)
        return err_set(err, 403, "apply.forbidden",
                       "staff apply only on behalf of a walk-in person");
    out->account = s->account_id;
    struct identity_account acc;
    const char *idn = NULL, *phone = NULL;
    if (identity_account_with_private(ap->id, a, s->account_id, &acc, &idn, &phone, err) < 0)
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

/* The walk-in applicant's mobile, from the sealed form (NULL for anyone else or none). */
static const char *walkin_phone(struct apply *ap, struct arena *a, const struct app_row *r)
{
    if (!r->on_behalf)
        return NULL;
    json_t *doc = apply_open_form(ap, r);
    const char *phone =
        json_string_value(json_object_get(json_object_get(doc, "applicant"), "phone"));
    const char *copy = phone != NULL ? arena_strdup(a, phone) : NULL;
    json_decref(doc);
    return copy;
}

/* The parameters of an applicant's notice about `r` (new reference), and the walk-in
 * applicant's phone into *phone; NULL when nobody is to be told. `known`: the item when the
 * caller has it (the submission parsed it already: reading and parsing its 6 kB document
 * again inside the transaction was a third of a submission's CPU, issue 19); NULL reads it. */
static json_t *notice_params(struct apply *ap, struct arena *a, const struct app_row *r,
                             const char *note, const json_t *known, const char **phone)
{
    *phone = NULL;
    if (ap->notify == NULL)
        return NULL;
    /* A walk-in person filed for at the counter hears by SMS (and in their inbox when they
     * have an account); everyone else in their inbox. */
    *phone = walkin_phone(ap, a, r);
    if (r->applicant_account == 0 && *phone == NULL)
        return NULL;
    /* The service's names in every language the catalog has: the inbox shows the reader's,
     * an SMS the language it is sent in (notify_render picks). */
    json_t *it = NULL, *item = NULL;
    struct err e;
    if (known != NULL)
        it = json_incref((json_t *)known);
    else if (catalog_item_version(ap->store, r->item_code, r->item_version, &it, &e) < 0)
        it = NULL;
    if (json_is_object(json_object_get(it, "name")))
        item = json_deep_copy(json_object_get(it, "name"));
    json_decref(it);
    /* Where it is handled (the place its number carries), named in every language too. */
    struct store_conn *c = store_conn(ap->store, &e);
    json_t *place = json_object();
    static const char *const langs[] = {"zh", "bo", "en"};
    struct division dv;
    int have_place = c != NULL && divisions_get(c, a, r->division_code, &dv, &e) == 0;
    for (size_t i = 0; have_place && place != NULL && i < sizeof(langs) / sizeof(langs[0]); i++) {
        const char *name = divisions_name(&dv, langs[i]);
        if (name != NULL)
            json_object_set_new(place, langs[i], json_string(name));
    }
    json_t *params = json_pack("{s:s, s:o, s:o}", "number", r->number ? r->number : "", "item",
                               item ? item : json_string(r->item_name), "place",
                               place ? place : json_string(""));
    if (note != NULL && params != NULL)
        json_object_set_new(params, "note", json_string(note));
    return params;
}

/* Send the notice `params` (notice_params) about `r` in state `state`; nothing when NULL. */
static int notice_send(struct apply *ap, const struct app_row *r, const char *state,
                       const json_t *params, const char *phone, struct err *err)
{
    if (params == NULL)
        return 0;
    char kind[64], link[64];
    snprintf(kind, sizeof(kind), "apply.notice.%s", state);
    snprintf(link, sizeof(link), "/applications/%s", r->number ? r->number : "");
    struct notify_msg m = {.account_id = r->applicant_account,
                           .phone = phone,
                           .lang = r->lang,
                           .kind = kind,
                           .params = params,
                           .link = link};
    return notify_send(ap->notify, &m, err);
}

int apply_notify_applicant(struct apply *ap, struct arena *a, const struct app_row *r,
                           const char *state, const char *note, struct err *err)
{
    const char *phone = NULL;
    json_t *params = notice_params(ap, a, r, note, NULL, &phone);
    int rc = notice_send(ap, r, state, params, phone, err);
    json_decref(params);
    return rc;
}

int apply_audit(struct store_conn *c, int64_t actor, const char *action, const char *number,
                const char *ip, const char *detail, struct err *err)
{
    char object[64];
    snprintf(object, sizeof(object), "application:%s", number ? number : "-");
    struct audit_event ev = {actor, action, object, "ok", ip, detail};
    return audit_record(c, &ev, err);
}

int apply_number_take(struct apply *ap, struct store_conn *c, int64_t now, int64_t division,
                      char out[32], struct err *err)
{
    int day = today_ymd(now), seq = 0;
    int county = (int)(division / 1000000);
    pthread_mutex_lock(&ap->numbers_lock);
    struct apply_number_block *b = NULL, *oldest = &ap->numbers[0];
    for (int i = 0; i < APPLY_NUMBER_SLOTS && b == NULL; i++) {
        struct apply_number_block *e = &ap->numbers[i];
        if (e->day == day && e->county == county)
            b = e;
        else if (e->day < oldest->day)
            oldest = e;
    }
    if (b == NULL) {
        b = oldest;
        *b = (struct apply_number_block){day, county, 1, 0};
    }
    if (b->next > b->end) {
        int last = 0;
        if (apply_db_seq_reserve(c, day, county, APPLY_NUMBER_BLOCK, &last, err) < 0) {
            pthread_mutex_unlock(&ap->numbers_lock);
            return -1;
        }
        b->next = last - APPLY_NUMBER_BLOCK + 1;
        b->end = last;
    }
    seq = b->next++;
    pthread_mutex_unlock(&ap->numbers_lock);
    if (seq > 999999)
        return err_set(err, 503, "apply.numbers_exhausted",
                       "the day's application numbers of this county are used up");
    snprintf(out, 32, "%08d%06d%06d", day, county, seq);
    return 0;
}

void apply_prepared_free(struct prepared *p)
{
    for (size_t i = 0; p->sealed != NULL && i < p->nsealed; i++)
        free(p->sealed[i].enc);
    p->sealed = NULL;
    json_decref(p->notice);
    json_decref(p->item);
    json_decref(p->clean);
    json_decref(p->registers);
}

/* {material key: 1} for the held uploads, merged into `existing` (new reference). */
static json_t *with_held(const json_t *existing, const struct app_held *held, size_t nheld)
{
    json_t *have = existing != NULL ? json_deep_copy(existing) : json_object();
    for (size_t i = 0; have != NULL && i < nheld; i++)
        json_object_set_new(have, held[i].material_key, json_integer(1));
    return have;
}

int apply_prepare(struct apply *ap, struct arena *a, const struct apply_request *rq,
                  const struct app_held *held, size_t nheld, int64_t now, struct prepared *p,
                  json_t *problems, struct err *err)
{
    memset(p, 0, sizeof(*p));
    p->held = held;
    p->nheld = nheld;
    if (rq->item_code == NULL || apply_published_item(ap, rq->item_code, &p->item, err) < 0)
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
    json_t *have = with_held(NULL, held, nheld);
    apply_check_materials(ap, p->item, rq, have, problems);
    json_decref(have);
    return (int)(json_array_size(problems) - before);
}

int apply_precheck(struct apply *ap, const struct apply_request *rq, json_t *problems,
                   struct err *err)
{
    struct store_conn *c = store_conn(ap->store, err);
    if (c == NULL)
        return -1;
    struct arena *a = arena_new(0);
    struct prepared p;
    memset(&p, 0, sizeof(p));
    struct app_held *held = NULL;
    size_t nheld = 0;
    int64_t now = time_now_ms();
    int rc = a == NULL ? err_set(err, 500, "apply.oom", "out of memory")
                       : apply_held_resolve(ap, c, a, rq, now, &held, &nheld, err);
    if (rc == 0)
        rc = apply_prepare(ap, a, rq, held, nheld, now, &p, problems, err);
    apply_prepared_free(&p);
    arena_free(a);
    return rc;
}

static json_t *form_doc(const struct prepared *p, const json_t *values_for_draft)
{
    json_t *doc = json_object();
    json_object_set(doc, "values", values_for_draft ? (json_t *)values_for_draft : p->clean);
    json_t *who = json_pack("{s:s}", "name", p->who.name ? p->who.name : "");
    if (p->who.id_number != NULL)
        json_object_set_new(who, "id_number", json_string(p->who.id_number));
    if (p->who.phone != NULL)
        json_object_set_new(who, "phone", json_string(p->who.phone));
    json_object_set_new(doc, "applicant", who);
    return doc;
}

/* The audit detail of a submission: the item, and while acting both parties (the actor is
 * the agent; on_behalf names the citizen). */
static const char *audit_detail(struct arena *a, const struct apply_request *rq, const char *item)
{
    if (rq->acting_for == 0)
        return item;
    const char *d = arena_printf(a, "%s on_behalf=account:%lld consent=%lld", item,
                                 (long long)rq->acting_for, (long long)rq->acting_consent);
    return d ? d : item;
}

int apply_ready(struct apply *ap, struct arena *a, struct prepared *p,
                const struct apply_request *rq, int64_t now, const char *idem, const char *number,
                struct err *err)
{
    const struct calendar *cal = apply_calendar(ap, err);
    if (cal == NULL)
        return -1;
    struct app_row *r = &p->row;
    memset(r, 0, sizeof(*r));
    r->id = id_next();
    r->number = number;
    r->item_code = json_string_value(json_object_get(p->item, "code"));
    r->item_version = (int)json_integer_value(json_object_get(p->item, "version"));
    r->item_name = json_text(json_object_get(p->item, "name"), "zh");
    r->bundle_id = rq->bundle_id;
    r->applicant_account = p->who.account;
    r->enterprise_id = p->who.enterprise_id;
    r->filed_by = rq->subj->account_id;
    r->on_behalf = p->who.on_behalf;
    r->applicant_name = p->who.name ? p->who.name : "";
    r->department_id = p->dept.id;
    r->division_code = rq->division_code;
    r->state = "submitted";
    r->lang = p->who.lang ? p->who.lang : rq->lang ? rq->lang : "zh";
    r->idem_key = idem;
    const json_t *limit = json_object_get(p->item, "time_limit");
    r->limit_days = (int)json_integer_value(json_object_get(limit, "promised_days"));
    if (r->limit_days <= 0)
        r->limit_days = (int)json_integer_value(json_object_get(limit, "legal_days"));
    if (calendar_deadline_ms(cal, now, ACCEPT_DAYS, &r->due_at, err) < 0)
        return -1;
    r->created_at = r->submitted_at = r->updated_at = now;
    json_t *doc = form_doc(p, NULL);
    int rc = seal_form(ap, a, r->id, doc, &r->form_enc, &r->form_len, err);
    json_decref(doc);
    if (rc < 0)
        return -1;
    json_decref(p->notice);
    p->notice = notice_params(ap, a, r, NULL, p->item, &p->notice_phone);
    return p->sealed == NULL ? apply_seal_uploads(ap, a, p, rq, err) : 0;
}

int apply_insert_submitted(struct apply *ap, struct store_conn *c, struct arena *a,
                           const struct prepared *p, const struct apply_request *rq, int64_t now,
                           struct err *err)
{
    const struct app_row *r = &p->row;
    const char *number = r->number;
    if (apply_db_insert(c, r, err) < 0 ||
        apply_store_materials(ap, c, a, p, rq, r->id, NULL, now, MATERIALS_UPLOADS | MATERIALS_NEW,
                              err) < 0 ||
        apply_db_event_insert(c, r->id, now, rq->subj->account_id,
                              r->on_behalf ? "filed_for" : "submitted", "draft", "submitted", NULL,
                              NULL, err) < 0)
        return -1;
    if (rq->draft_id != 0 && apply_db_delete_draft(c, rq->draft_id, rq->subj->account_id, err) < 0)
        return -1;
    if (apply_emit(ap, c, r, r->on_behalf ? "filed_for" : "submitted", "draft", now, err) < 0 ||
        apply_store_materials(ap, c, a, p, rq, r->id, number, now,
                              MATERIALS_CERTS | MATERIALS_REGISTERS | MATERIALS_NEW, err) < 0 ||
        notice_send(ap, r, "submitted", p->notice, p->notice_phone, err) < 0 ||
        apply_audit(c, rq->subj->account_id, r->on_behalf ? "apply.file_for" : "apply.submit",
                    number, rq->ip, audit_detail(a, rq, r->item_code), err) < 0)
        return -1;
    if (rq->acting_for != 0 &&
        (ap->acting.filed == NULL ||
         ap->acting.filed(ap->acting.ctx, rq->acting_consent, rq->subj->account_id, r->item_code,
                          number, err) < 0))
        return ap->acting.filed == NULL ? err_set(err, 403, "agent.no_consent", "no consent") : -1;
    /* The fee order (src/pay), in this transaction: no application without its order. */
    if (ap->hooks.on_submitted != NULL) {
        struct apply_decided d;
        memset(&d, 0, sizeof(d));
        d.application_id = r->id;
        d.number = number;
        d.item_code = r->item_code;
        d.item_version = r->item_version;
        d.applicant_account = r->applicant_account;
        d.enterprise_id = r->enterprise_id;
        d.department_id = r->department_id;
        d.division_code = r->division_code;
        if (ap->hooks.on_submitted(ap->hooks.ctx, &d, err) < 0)
            return -1;
    }
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
        if (apply_db_by_idem(c, a, rq->subj->account_id, idem, &num, &found, err) < 0)
            goto out;
        if (found && num != NULL) {
            snprintf(number_out, 32, "%s", num);
            rc = 0;
            goto out;
        }
    }
    int64_t now = time_now_ms();
    struct app_held *held = NULL;
    size_t nheld = 0;
    if (apply_held_resolve(ap, c, a, rq, now, &held, &nheld, err) < 0)
        goto out;
    int np = apply_prepare(ap, a, rq, held, nheld, now, &p, problems, err);
    if (np != 0) {
        rc = np > 0 ? 1 : -1;
        goto out;
    }
    if (apply_fetch_registers(ap, &p, rq, err) < 0 ||
        apply_number_take(ap, c, now, rq->division_code, number_out, err) < 0 ||
        apply_ready(ap, a, &p, rq, now, idem, number_out, err) < 0 || store_begin(c, err) < 0)
        goto out;
    if (apply_insert_submitted(ap, c, a, &p, rq, now, err) < 0 ||
        apply_held_consume(c, rq, held, nheld, rq->draft_id, err) < 0) {
        store_rollback(c);
        if (idem != NULL && strcmp(err->code, "store.conflict") == 0) {
            /* The same key committed meanwhile by a concurrent request. */
            const char *num = NULL;
            int found = 0;
            struct err e2;
            if (apply_db_by_idem(c, a, rq->subj->account_id, idem, &num, &found, &e2) == 0 &&
                found && num != NULL) {
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
    apply_prepared_free(&p);
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
    if ((rq->draft_id ? apply_db_update_draft(c, &r, err) : apply_db_insert(c, &r, err)) < 0 ||
        apply_audit(c, rq->subj->account_id, "apply.draft_save", NULL, rq->ip, rq->item_code, err) <
            0) {
        store_rollback(c);
        goto out;
    }
    if (store_commit(c, err) < 0)
        goto out;
    *draft_id = r.id;
    rc = 0;
out:
    json_decref(scratch);
    apply_prepared_free(&p);
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
    if (a == NULL || apply_db_get_id(c, a, draft_id, &r, &found, err) < 0)
        goto out;
    if (!found || strcmp(r.state, "draft") != 0 || subj == NULL || r.filed_by != subj->account_id) {
        err_set(err, 404, "apply.not_found", "no such draft");
        goto out;
    }
    json_t *doc = apply_open_form(ap, &r);
    json_t *values = json_object_get(doc, "values");
    *draft =
        json_pack("{s:s, s:s, s:o, s:s, s:s}", "id", arena_printf(a, "%lld", (long long)r.id),
                  "item_code", r.item_code, "values", values ? json_incref(values) : json_object(),
                  "division", arena_printf(a, "%012lld", (long long)r.division_code),
                  "enterprise_id", arena_printf(a, "%lld", (long long)r.enterprise_id));
    json_decref(doc);
    rc = 0;
out:
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
    if (apply_db_get_number(c, a, number, &r, &found, err) < 0)
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
    if (apply_db_files(c, a, r.id, &files, &nf, err) < 0)
        goto out;
    for (size_t i = 0; i < nf; i++)
        json_object_set_new(existing, files[i].material_key, json_integer(1));
    /* The same item version and place; the applicant as filed. */
    struct apply_request rq2 = *rq;
    rq2.item_code = r.item_code;
    rq2.division_code = r.division_code;
    rq2.enterprise_id = r.enterprise_id;
    rq2.walkin_id_number = NULL;
    rq2.draft_id = 0;
    int64_t now = time_now_ms();
    struct app_held *held = NULL;
    size_t nheld = 0;
    if (apply_held_resolve(ap, c, a, &rq2, now, &held, &nheld, err) < 0 ||
        catalog_item_version(ap->store, r.item_code, r.item_version, &p.item, err) < 0)
        goto out;
    p.held = held;
    p.nheld = nheld;
    p.clean = json_object();
    apply_form_validate(p.item, rq->values, today_ymd(now), p.clean, problems);
    json_t *have = with_held(existing, held, nheld);
    apply_check_materials(ap, p.item, &rq2, have, problems);
    json_decref(have);
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
    int to =
        apply_next_state(APPLY_RETURNED, APPLY_ACT_RESUBMIT, apply_state_parse(r.resume_state));
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
    if (apply_db_update_form(c, r.id, enc, enc_len, now, err) < 0 ||
        apply_store_materials(ap, c, a, &p, &rq2, r.id, r.number, now,
                              MATERIALS_UPLOADS | MATERIALS_CERTS, err) < 0 ||
        apply_db_update_state(c, &r, err) < 0 ||
        apply_db_event_insert(c, r.id, now, rq->subj->account_id, "resubmit", "returned", r.state,
                              NULL, NULL, err) < 0 ||
        apply_emit(ap, c, &r, "resubmit", "returned", now, err) < 0 ||
        apply_held_consume(c, rq, held, nheld, 0, err) < 0 ||
        apply_notify_applicant(ap, a, &r, "resubmitted", NULL, err) < 0 ||
        apply_audit(c, rq->subj->account_id, "apply.resubmit", r.number, rq->ip, r.state, err) <
            0) {
        store_rollback(c);
        goto out;
    }
    if (store_commit(c, err) < 0)
        goto out;
    rc = 0;
out:
    json_decref(existing);
    apply_prepared_free(&p);
    arena_free(a);
    return rc;
}
