/*
 * hotline.c - work orders: intake and validation, the workflow (answer, dispatch, accept,
 * send back, reply, rate, supervise, extend, merge), deadlines, routing rules, the
 * periodic job and the dashboard statistics. No HTTP here (hotline_http.c).
 */
#include "hotline/hotline_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/audit.h"
#include "base/arena.h"
#include "base/id.h"
#include "base/log.h"
#include "base/phone.h"
#include "base/utf8.h"
#include "calendar/calendar.h"
#include "crypto/crypto.h"
#include "divisions/divisions.h"
#include "identity/identity.h"
#include "store/store.h"

int hotline_open(struct store *st, struct crypto_keyring *kr, struct identity *id,
                 struct hotline **out, struct err *err)
{
    struct hotline *h = calloc(1, sizeof(*h));
    if (h == NULL)
        return err_set(err, 500, "hotline.oom", "out of memory");
    h->store = st;
    h->kr = kr;
    h->id = id;
    pthread_rwlock_init(&h->model_lock, NULL);
    pthread_mutex_init(&h->job_lock, NULL);
    pthread_cond_init(&h->job_wake, NULL);
    *out = h;
    return 0;
}

void hotline_close(struct hotline *h)
{
    if (h == NULL)
        return;
    if (h->job_started) {
        pthread_mutex_lock(&h->job_lock);
        h->job_stop = 1;
        pthread_cond_signal(&h->job_wake);
        pthread_mutex_unlock(&h->job_lock);
        pthread_join(h->job, NULL);
    }
    hotline_model_free(h->model);
    pthread_rwlock_destroy(&h->model_lock);
    pthread_mutex_destroy(&h->job_lock);
    pthread_cond_destroy(&h->job_wake);
    free(h);
}

/* A count as text for a log line (one thread writes it at a time). */
static const char *arena_printf_static(size_t n)
{
    static __thread char s[32];
    snprintf(s, sizeof(s), "%zu", n);
    return s;
}

static void *job_loop(void *p)
{
    struct hotline *h = p;
    int64_t next_train = 0;
    pthread_mutex_lock(&h->job_lock);
    while (!h->job_stop) {
        pthread_mutex_unlock(&h->job_lock);
        struct err err;
        err_clear(&err);
        int64_t now = time_now_ms();
        if (now >= next_train) {
            size_t n = 0;
            if (hotline_train(h, &n, &err) < 0)
                log_kv(LOG_ERROR, "hotline: training failed", "detail", err.msg, LOG_END);
            else
                log_kv(LOG_INFO, "hotline: classifier trained", "examples", arena_printf_static(n),
                       LOG_END);
            next_train = now + (int64_t)h->retrain_s * 1000;
        }
        int reminded = 0, escalated = 0;
        if (hotline_tick(h, now, &reminded, &escalated, &err) < 0)
            log_kv(LOG_ERROR, "hotline: deadline job failed", "detail", err.msg, LOG_END);
        pthread_mutex_lock(&h->job_lock);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += h->tick_s;
        if (!h->job_stop)
            pthread_cond_timedwait(&h->job_wake, &h->job_lock, &until);
    }
    pthread_mutex_unlock(&h->job_lock);
    return NULL;
}

int hotline_jobs_start(struct hotline *h, int tick_s, int retrain_s, struct err *err)
{
    h->tick_s = tick_s > 0 ? tick_s : 60;
    h->retrain_s = retrain_s > 0 ? retrain_s : 3600;
    /* Train once before serving, so that the first call gets suggestions. */
    size_t n = 0;
    if (hotline_train(h, &n, err) < 0)
        return -1;
    if (pthread_create(&h->job, NULL, job_loop, h) != 0)
        return err_set(err, 500, "hotline.thread", "the hotline job thread could not start");
    h->job_started = 1;
    return 0;
}

void hotline_set_hooks(struct hotline *h, const struct hotline_hooks *hooks)
{
    h->hooks = *hooks;
}

struct store *hotline_store(struct hotline *h)
{
    return h->store;
}

/* ---- personal data ------------------------------------------------------------------- */

const char *hotline_mask_phone(struct arena *a, const char *phone)
{
    if (phone == NULL)
        return NULL;
    size_t n = strlen(phone);
    char *m = arena_strdup(a, phone);
    if (m == NULL)
        return NULL;
    size_t head = n >= 11 ? 3 : n >= 7 ? 2 : 0, tail = n >= 7 ? 4 : 0;
    for (size_t i = head; i + tail < n; i++)
        m[i] = '*';
    if (tail == 0)
        for (size_t i = 0; i < n; i++)
            m[i] = '*';
    return m;
}

static void phone_ad(char *ad, size_t n, int64_t id)
{
    snprintf(ad, n, "hotline_orders.phone:%lld", (long long)id);
}

static const char *open_phone(struct hotline *h, struct arena *a, const struct hotline_row *r)
{
    if (r->phone_enc == NULL || r->phone_enc_len < CRYPTO_AEAD_OVERHEAD)
        return NULL;
    char ad[64];
    phone_ad(ad, sizeof(ad), r->o.id);
    size_t cap = r->phone_enc_len - CRYPTO_AEAD_OVERHEAD, len = 0;
    char *out = arena_alloc(a, cap + 1);
    if (out == NULL ||
        crypto_aead_open(crypto_keyring_aead(h->kr, CRYPTO_AEAD_PII), ad, strlen(ad), r->phone_enc,
                         r->phone_enc_len, (unsigned char *)out, cap, &len) < 0) {
        log_kv(LOG_ERROR, "a sealed hotline phone does not open", LOG_END);
        return NULL;
    }
    out[len] = '\0';
    return out;
}

static int lookup_hash(struct hotline *h, const char *phone, char out[65])
{
    return crypto_lookup_hash_hex(crypto_keyring_subkey(h->kr, CRYPTO_SUBKEY_PII_LOOKUP), phone,
                                  strlen(phone), out);
}

/* ---- intake ------------------------------------------------------------------------- */

static void fe_add(struct hotline_field_errors *fe, const char *field, const char *code,
                   const char *msg)
{
    if (fe->n >= HOTLINE_MAX_FIELD_ERRORS)
        return;
    fe->e[fe->n].field = field;
    snprintf(fe->e[fe->n].code, sizeof(fe->e[0].code), "%s", code);
    snprintf(fe->e[fe->n].msg, sizeof(fe->e[0].msg), "%s", msg);
    fe->n++;
}

static int one_of(const char *s, const char *list)
{
    if (s == NULL || *s == '\0' || strchr(s, ' ') != NULL)
        return 0;
    size_t n = strlen(s);
    for (const char *p = list; (p = strstr(p, s)) != NULL; p += n)
        if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
            return 1;
    return 0;
}

static size_t chars(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        n += (*p & 0xC0) != 0x80;
    return n;
}

/* A decimal degree within [-lim, lim]. */
static int coord_ok(const char *s, double lim)
{
    char *end = NULL;
    double v = strtod(s, &end);
    return end != s && *end == '\0' && v >= -lim && v <= lim && strlen(s) <= 20;
}

int hotline_deadline(struct hotline *h, const char *urgency, int64_t start_ms, int64_t *deadline,
                     struct err *err)
{
    struct store_conn *c = store_conn(h->store, err);
    int amount = 0;
    char unit[16];
    if (c == NULL || hs_limit(c, urgency, &amount, unit, err) < 0)
        return -1;
    if (strcmp(unit, "hours") == 0) {
        *deadline = start_ms + (int64_t)amount * 3600 * 1000;
        return 0;
    }
    struct calendar *cal = NULL;
    if (calendar_load(h->store, CALENDAR_SCOPES_XIZANG, &cal, err) < 0)
        return -1;
    int rc = calendar_deadline_ms(cal, start_ms, amount, deadline, err);
    calendar_free(cal);
    return rc;
}

/* A category's name in `lang` (Chinese when untranslated), "" for none: search shows titles
 * to people, so never the code. */
static const char *category_name(struct hotline *h, struct arena *a, const char *code,
                                 const char *lang)
{
    struct err err;
    struct store_conn *c = code ? store_conn(h->store, &err) : NULL;
    json_t *cats = json_array();
    const char *name = "";
    size_t i;
    json_t *x;
    if (c != NULL && hs_categories(c, lang, cats, &err) == 0)
        json_array_foreach(cats, i, x)
        {
            if (strcmp(json_string_value(json_object_get(x, "code")), code) == 0)
                name = arena_strdup(a, json_string_value(json_object_get(x, "name")));
        }
    json_decref(cats);
    return name ? name : "";
}

static void index_order(struct hotline *h, struct arena *a, const struct hotline_order *o)
{
    if (h->hooks.index == NULL)
        return;
    struct hotline_doc d = {
        "order",
        o->id,
        o->lang,
        arena_printf(a, "%s %s", o->number, category_name(h, a, o->category, o->lang)),
        arena_printf(a, "%s\n%s", o->description, o->reply ? o->reply : ""),
        o->category,
        o->department_id,
        o->division_code,
        o->updated_at,
        1};
    struct err e;
    if (h->hooks.index(h->hooks.ctx, &d, &e) < 0)
        log_kv(LOG_WARN, "hotline: an order could not be indexed", "detail", e.msg, LOG_END);
}

int hotline_order_create(struct hotline *h, struct arena *a, const struct hotline_intake *in,
                         const char *ip, int64_t *order_id, const char **number,
                         struct hotline_field_errors *fe, struct err *err)
{
    memset(fe, 0, sizeof(*fe));
    struct store_conn *c = store_conn(h->store, err);
    if (c == NULL)
        return -1;
    char phone[PHONE_MAX] = "";
    int64_t division = 0;
    const char *urgency = in->urgency && *in->urgency ? in->urgency : "normal";
    if (!one_of(in->channel, HOTLINE_CHANNELS))
        fe_add(fe, "channel", "hotline.bad_channel", "unknown channel");
    if (!one_of(urgency, HOTLINE_URGENCIES))
        fe_add(fe, "urgency", "hotline.bad_urgency", "urgency is urgent, normal or low");
    if (in->category != NULL && *in->category) {
        int found = 0;
        if (hs_category_exists(c, in->category, &found, err) < 0)
            return -1;
        if (!found)
            fe_add(fe, "category", "hotline.bad_category", "no such category");
    }
    struct err de;
    err_clear(&de);
    if (in->division == NULL || *in->division == '\0') {
        fe_add(fe, "division", "hotline.division_required", "give the township or village");
    } else if (divisions_parse_code(in->division, &division, &de) < 0) {
        fe_add(fe, "division", "hotline.bad_division", "a division code has 12 digits");
    } else {
        struct division d;
        if (divisions_get(c, a, division, &d, &de) < 0) {
            if (de.status >= 500) {
                *err = de;
                return -1;
            }
            fe_add(fe, "division", "hotline.unknown_division", "no division has this code");
        } else if (d.level < DIVISION_TOWNSHIP) {
            fe_add(fe, "division", "hotline.division_too_coarse",
                   "give the township or village, not a county or above");
        }
    }
    if (in->address == NULL || *in->address == '\0')
        fe_add(fe, "address", "hotline.address_required", "give an address");
    else if (chars(in->address) > 200)
        fe_add(fe, "address", "hotline.address_too_long", "at most 200 characters");
    int has_lat = in->lat && *in->lat, has_lon = in->lon && *in->lon;
    if (has_lat != has_lon || (has_lat && (!coord_ok(in->lat, 90) || !coord_ok(in->lon, 180))))
        fe_add(fe, "lat", "hotline.bad_coordinates",
               "latitude and longitude go together, in decimal degrees");
    size_t dn = in->description ? chars(in->description) : 0;
    if (dn < 5)
        fe_add(fe, "description", "hotline.description_short", "describe the problem (5+ chars)");
    else if (dn > 4000)
        fe_add(fe, "description", "hotline.description_long", "at most 4000 characters");
    if (in->caller_name && chars(in->caller_name) > 50)
        fe_add(fe, "caller_name", "hotline.name_too_long", "at most 50 characters");
    if (in->phone != NULL && *in->phone &&
        phone_normalize(in->phone, PHONE_MOBILE | PHONE_LANDLINE, phone) < 0)
        fe_add(fe, "phone", "hotline.bad_phone", "a mobile number of 11 digits or a landline");
    if (fe->n > 0)
        return 1;

    struct hotline_order o;
    memset(&o, 0, sizeof(o));
    int64_t now = time_now_ms();
    o.id = id_next();
    unsigned char rnd[12];
    char tok[25];
    if (crypto_random(rnd, sizeof(rnd)) < 0 ||
        crypto_hex_encode(rnd, sizeof(rnd), tok, sizeof(tok)) < 0)
        return err_set(err, 500, "hotline.random", "no randomness available");
    o.token = arena_strdup(a, tok);
    o.channel = in->channel;
    o.status = HOTLINE_NEW;
    o.urgency = urgency;
    o.category = in->category && *in->category ? in->category : NULL;
    o.division_code = division;
    /* What the caller typed is stored in NFC (a Tibetan vowel typed precomposed or not is
     * the same text, for the classifier and for search). */
    o.address = utf8_nfc_in(a, in->address);
    o.lat = has_lat ? in->lat : NULL;
    o.lon = has_lon ? in->lon : NULL;
    o.description = utf8_nfc_in(a, in->description);
    o.caller_name = in->caller_name && *in->caller_name ? utf8_nfc_in(a, in->caller_name) : NULL;
    if (o.address == NULL || o.description == NULL ||
        (in->caller_name && *in->caller_name && o.caller_name == NULL))
        return err_set(err, 500, "hotline.oom", "out of memory");
    o.caller_account = in->caller_account;
    o.lang =
        in->lang && (strcmp(in->lang, "bo") == 0 || strcmp(in->lang, "en") == 0) ? in->lang : "zh";
    o.agent_id = in->agent_id;
    o.created_at = o.updated_at = now;
    struct hotline_suggestion s;
    hotline_suggest(h, o.description, &s);
    if (s.ncat > 0)
        o.suggested_category = s.cat[0].label;
    if (s.ndept > 0)
        o.suggested_department = strtoll(s.dept[0].label, NULL, 10);

    unsigned char *sealed = NULL;
    size_t sealed_len = 0;
    char hash[65] = "";
    if (phone[0]) {
        char ad[64];
        phone_ad(ad, sizeof(ad), o.id);
        size_t cap = strlen(phone) + CRYPTO_AEAD_OVERHEAD;
        sealed = arena_alloc(a, cap);
        if (sealed == NULL ||
            crypto_aead_seal(crypto_keyring_aead(h->kr, CRYPTO_AEAD_PII), ad, strlen(ad), phone,
                             strlen(phone), sealed, cap, &sealed_len) < 0 ||
            lookup_hash(h, phone, hash) < 0)
            return err_set(err, 500, "hotline.crypto", "the phone could not be sealed");
    }
    char date[11], key[24];
    calendar_format_date(calendar_day_of_ms(now), date);
    snprintf(key, sizeof(key), "%.4s%.2s%.2s%06lld", date, date + 5, date + 8,
             (long long)(division / 1000000));
    int64_t seq = 0;
    if (store_begin(c, err) < 0)
        return -1;
    if (hs_seq_next(c, key, &seq, err) < 0)
        goto fail;
    o.number = arena_printf(a, "H%s%06lld", key, (long long)seq);
    char object[64];
    snprintf(object, sizeof(object), "hotline_order:%s", o.number);
    struct audit_event ev = {in->agent_id ? in->agent_id : in->caller_account,
                             "hotline.create",
                             object,
                             "ok",
                             ip,
                             o.channel};
    if (hs_order_insert(c, &o, sealed, sealed_len, hash[0] ? hash : NULL, in->api_key_id, err) <
            0 ||
        hs_event_insert(c, o.id, ev.actor_id, "created", 0, o.channel, err) < 0 ||
        audit_record(c, &ev, err) < 0)
        goto fail;
    index_order(h, a, &o);
    if (store_commit(c, err) < 0)
        return -1;
    *order_id = o.id;
    *number = o.number;
    return 0;
fail:
    store_rollback(c);
    return -1;
}

/* ---- reading -------------------------------------------------------------------------- */

static int finish_get(struct hotline *h, struct arena *a, struct hotline_row *r, int found,
                      struct hotline_order *out, int with_phone, struct err *err)
{
    if (!found)
        return err_set(err, 404, "hotline.not_found", "no such order");
    *out = r->o;
    const char *phone = open_phone(h, a, r);
    out->phone_masked = hotline_mask_phone(a, phone);
    out->phone = with_phone ? phone : NULL;
    return 0;
}

int hotline_order_get(struct hotline *h, struct arena *a, const char *number,
                      struct hotline_order *out, int with_phone, struct err *err)
{
    struct store_conn *c = store_conn(h->store, err);
    struct hotline_row r;
    int found = 0;
    if (c == NULL || hs_order_get(c, a, 1, 0, number, &r, &found, err) < 0)
        return -1;
    return finish_get(h, a, &r, found, out, with_phone, err);
}

int hotline_order_by_id(struct hotline *h, struct arena *a, int64_t id, struct hotline_order *out,
                        int with_phone, struct err *err)
{
    struct store_conn *c = store_conn(h->store, err);
    struct hotline_row r;
    int found = 0;
    if (c == NULL || hs_order_get(c, a, 0, id, NULL, &r, &found, err) < 0)
        return -1;
    return finish_get(h, a, &r, found, out, with_phone, err);
}

int hotline_order_by_token(struct hotline *h, struct arena *a, const char *token,
                           struct hotline_order *out, struct err *err)
{
    struct store_conn *c = store_conn(h->store, err);
    struct hotline_row r;
    int found = 0;
    if (c == NULL || hs_order_get(c, a, 2, 0, token, &r, &found, err) < 0)
        return -1;
    return finish_get(h, a, &r, found, out, 0, err);
}

/* The public look-up by number and phone is a secret check: failures are counted per
 * number and per address in a window, and past a bound every look-up of that number (or
 * from that address) is refused until the window ends, right or wrong, so that guessing
 * costs days instead of seconds. A right answer does not reset the count. */
#define LOOKUP_WINDOW_MS (15 * 60 * 1000LL)
#define LOOKUP_MAX_PER_NUMBER 5
#define LOOKUP_MAX_PER_IP 30

int hotline_order_lookup(struct hotline *h, struct arena *a, const char *number, const char *phone,
                         const char *ip, struct hotline_order *out, struct err *err)
{
    char norm[PHONE_MAX], hash[65], knum[48], kip[80];
    int64_t now = time_now_ms(), since = now - LOOKUP_WINDOW_MS, fn = 0, fi = 0, id = 0;
    int found = 0;
    struct store_conn *c = store_conn(h->store, err);
    if (c == NULL)
        return -1;
    snprintf(knum, sizeof(knum), "n:%.40s", number ? number : "");
    snprintf(kip, sizeof(kip), "ip:%.70s", ip ? ip : "-");
    if (hs_lookup_failures(c, knum, since, &fn, err) < 0 ||
        hs_lookup_failures(c, kip, since, &fi, err) < 0)
        return -1;
    if (fn >= LOOKUP_MAX_PER_NUMBER || fi >= LOOKUP_MAX_PER_IP)
        return err_set(err, 429, "hotline.lookup_paused",
                       "too many failed look-ups: try again in %d minutes",
                       (int)(LOOKUP_WINDOW_MS / 60000));
    if (number != NULL && phone != NULL &&
        phone_normalize(phone, PHONE_MOBILE | PHONE_LANDLINE, norm) > 0 &&
        lookup_hash(h, norm, hash) == 0 && hs_order_by_phone(c, number, hash, &id, &found, err) < 0)
        return -1;
    if (!found) {
        if (hs_lookup_failure_add(c, knum, now, since, err) < 0 ||
            hs_lookup_failure_add(c, kip, now, since, err) < 0)
            return -1;
        return err_set(err, 404, "hotline.not_found", "no order has this number and phone");
    }
    return hotline_order_by_id(h, a, id, out, 0, err);
}

int hotline_order_list(struct hotline *h, struct arena *a, const struct hotline_filter *f,
                       struct hotline_order **out, size_t *n, struct err *err)
{
    struct store_conn *c = store_conn(h->store, err);
    struct hotline_row *rows = NULL;
    *n = 0;
    if (c == NULL)
        return -1;
    /* A department queue or a set of states: one query per member, merged. */
    size_t nd = f->ndepartments ? f->ndepartments : 1;
    char *states = f->statuses ? arena_strdup(a, f->statuses) : NULL;
    int limit = f->limit > 0 && f->limit <= 1000 ? f->limit : 100;
    *out = arena_alloc(a, sizeof(**out) * (size_t)limit);
    if (*out == NULL)
        return err_set(err, 500, "hotline.oom", "out of memory");
    char *save = NULL;
    const char *st = states ? strtok_r(states, " ", &save) : f->status;
    do {
        for (size_t d = 0; d < nd; d++) {
            struct hotline_filter g = *f;
            g.status = st;
            if (f->ndepartments)
                g.department_id = f->departments[d];
            size_t m = 0;
            if (hs_order_list(c, a, &g, &rows, &m, err) < 0)
                return -1;
            for (size_t i = 0; i < m && *n < (size_t)limit; i++) {
                (*out)[*n] = rows[i].o;
                (*out)[*n].phone_masked = hotline_mask_phone(a, open_phone(h, a, &rows[i]));
                (*n)++;
            }
        }
    } while (states && (st = strtok_r(NULL, " ", &save)) != NULL);
    return 0;
}

int hotline_timeline(struct hotline *h, int64_t order_id, json_t **events, struct err *err)
{
    struct store_conn *c = store_conn(h->store, err);
    *events = json_array();
    if (c == NULL || hs_events(c, order_id, *events, err) < 0) {
        json_decref(*events);
        *events = NULL;
        return -1;
    }
    return 0;
}

/* ---- the workflow -------------------------------------------------------------------- */

/* Tell the caller (and record it on the timeline): inside the transaction. */
static int notify_caller(struct hotline *h, struct store_conn *c, struct arena *a,
                         const struct hotline_row *r, const char *kind, struct err *err)
{
    const char *phone = open_phone(h, a, r);
    if (r->o.caller_account == 0 && phone == NULL)
        return 0;
    if (h->hooks.notify != NULL) {
        json_t *params = json_pack("{s:s}", "number", r->o.number);
        int rc = h->hooks.notify(h->hooks.ctx, r->o.caller_account, phone, r->o.lang, kind, params,
                                 arena_printf(a, "/hotline/status?number=%s", r->o.number), err);
        json_decref(params);
        if (rc < 0)
            return -1;
    }
    return hs_event_insert(c, r->o.id, 0, "notice", 0, kind, err);
}

typedef int (*mutate_fn)(struct hotline *h, struct store_conn *c, struct arena *a,
                         struct hotline_row *r, void *arg, struct err *err);

/* Load the order, check its state is one of `from`, let `fn` change it, write it with
 * the old state as guard, the event, the audit record; one transaction. */
static int transition(struct hotline *h, int64_t actor, const char *ip, const char *number,
                      const char *from, const char *action, const char *event, const char *note,
                      mutate_fn fn, void *arg, struct err *err)
{
    struct store_conn *c = store_conn(h->store, err);
    if (c == NULL)
        return -1;
    struct arena *a = arena_new(0);
    if (a == NULL)
        return err_set(err, 500, "hotline.oom", "out of memory");
    struct hotline_row r;
    int found = 0, rc = -1;
    if (store_begin(c, err) < 0)
        goto out;
    if (hs_order_get(c, a, 1, 0, number, &r, &found, err) < 0)
        goto fail;
    if (!found) {
        err_set(err, 404, "hotline.not_found", "no such order");
        goto fail;
    }
    if (!one_of(r.o.status, from)) {
        err_set(err, 409, "hotline.bad_state", "the order is %s: this cannot be done now",
                r.o.status);
        goto fail;
    }
    const char *old = arena_strdup(a, r.o.status);
    int64_t ext = 0;
    r.o.updated_at = time_now_ms();
    if (fn(h, c, a, &r, arg, err) < 0)
        goto fail;
    int64_t changed = 0;
    if (hs_order_update(c, &r.o, old, ext, &changed, err) < 0)
        goto fail;
    if (changed == 0) {
        err_set(err, 409, "hotline.bad_state", "the order changed meanwhile");
        goto fail;
    }
    char object[64];
    snprintf(object, sizeof(object), "hotline_order:%s", r.o.number);
    struct audit_event ev = {actor, action, object, "ok", ip, r.o.status};
    if (hs_event_insert(c, r.o.id, actor, event, r.o.department_id, note, err) < 0 ||
        audit_record(c, &ev, err) < 0)
        goto fail;
    index_order(h, a, &r.o);
    rc = store_commit(c, err);
    goto out;
fail:
    store_rollback(c);
out:
    arena_free(a);
    return rc;
}

static int check_text(const char *s, size_t min, size_t max, const char *code, struct err *err)
{
    size_t n = s ? chars(s) : 0;
    if (n < min || n > max)
        return err_set(err, 400, code, "between %zu and %zu characters", min, max);
    return 0;
}

static int check_category(struct hotline *h, const char *cat, struct err *err)
{
    struct store_conn *c = store_conn(h->store, err);
    int found = 0;
    if (c == NULL)
        return -1;
    if (cat == NULL || *cat == '\0')
        return err_set(err, 400, "hotline.category_required", "choose a category");
    if (hs_category_exists(c, cat, &found, err) < 0)
        return -1;
    return found ? 0 : err_set(err, 400, "hotline.bad_category", "no such category");
}

struct answer_arg {
    const char *category, *answer;
};

static int do_answer(struct hotline *h, struct store_conn *c, struct arena *a,
                     struct hotline_row *r, void *arg, struct err *err)
{
    struct answer_arg *x = arg;
    r->o.status = HOTLINE_ANSWERED;
    r->o.category = x->category;
    r->o.reply = x->answer;
    r->o.replied_at = r->o.updated_at;
    return notify_caller(h, c, a, r, "hotline.notice.answered", err);
}

int hotline_answer(struct hotline *h, int64_t actor, const char *ip, const char *number,
                   const char *category, const char *answer, struct err *err)
{
    if (check_category(h, category, err) < 0 ||
        check_text(answer, 2, 4000, "hotline.answer_required", err) < 0)
        return -1;
    struct answer_arg x = {category, answer};
    return transition(h, actor, ip, number, "new returned", "hotline.answer", "answered", NULL,
                      do_answer, &x, err);
}

struct dispatch_arg {
    const char *category;
    int64_t dept, actor;
};

static int do_dispatch(struct hotline *h, struct store_conn *c, struct arena *a,
                       struct hotline_row *r, void *arg, struct err *err)
{
    struct dispatch_arg *x = arg;
    r->o.status = HOTLINE_DISPATCHED;
    r->o.category = x->category;
    r->o.department_id = x->dept;
    r->o.dispatched_at = r->o.updated_at;
    r->o.accepted_at = 0;
    if (hotline_deadline(h, r->o.urgency, r->o.updated_at, &r->o.deadline_at, err) < 0)
        return -1;
    /* The agent's confirmation or correction of the suggestion: stored for training and
     * for the measure of how often suggestions are right. */
    if (hs_correction_insert(c, r->o.id, r->o.suggested_category, r->o.suggested_department,
                             x->category, x->dept, x->actor, err) < 0)
        return -1;
    return notify_caller(h, c, a, r, "hotline.notice.dispatched", err);
}

int hotline_dispatch(struct hotline *h, int64_t actor, const char *ip, const char *number,
                     const char *category, int64_t department_id, struct err *err)
{
    struct store_conn *c = store_conn(h->store, err);
    int found = 0;
    if (c == NULL || check_category(h, category, err) < 0)
        return -1;
    if (department_id > 0 && identity_department_exists(h->id, department_id, &found, err) < 0)
        return -1;
    if (!found)
        return err_set(err, 400, "hotline.bad_department", "choose a department");
    struct dispatch_arg x = {category, department_id, actor};
    return transition(h, actor, ip, number, "new returned", "hotline.dispatch", "dispatched", NULL,
                      do_dispatch, &x, err);
}

static int do_accept(struct hotline *h, struct store_conn *c, struct arena *a,
                     struct hotline_row *r, void *arg, struct err *err)
{
    (void)h, (void)c, (void)a, (void)arg, (void)err;
    r->o.status = HOTLINE_ACCEPTED;
    r->o.accepted_at = r->o.updated_at;
    return 0;
}

int hotline_accept(struct hotline *h, int64_t actor, const char *ip, const char *number,
                   struct err *err)
{
    return transition(h, actor, ip, number, "dispatched", "hotline.accept", "accepted", NULL,
                      do_accept, NULL, err);
}

static int do_send_back(struct hotline *h, struct store_conn *c, struct arena *a,
                        struct hotline_row *r, void *arg, struct err *err)
{
    (void)h, (void)c, (void)a, (void)arg, (void)err;
    r->o.status = HOTLINE_RETURNED;
    r->o.deadline_at = 0;
    return 0;
}

int hotline_send_back(struct hotline *h, int64_t actor, const char *ip, const char *number,
                      const char *reason, struct err *err)
{
    if (check_text(reason, 2, 1000, "hotline.reason_required", err) < 0)
        return -1;
    return transition(h, actor, ip, number, "dispatched accepted", "hotline.send_back", "returned",
                      reason, do_send_back, NULL, err);
}

static int do_reply(struct hotline *h, struct store_conn *c, struct arena *a, struct hotline_row *r,
                    void *arg, struct err *err)
{
    r->o.status = HOTLINE_REPLIED;
    r->o.reply = arg;
    r->o.replied_at = r->o.updated_at;
    return notify_caller(h, c, a, r, "hotline.notice.replied", err);
}

int hotline_reply(struct hotline *h, int64_t actor, const char *ip, const char *number,
                  const char *reply, struct err *err)
{
    if (check_text(reply, 2, 4000, "hotline.reply_required", err) < 0)
        return -1;
    return transition(h, actor, ip, number, "dispatched accepted", "hotline.reply", "replied", NULL,
                      do_reply, (void *)reply, err);
}

struct rate_arg {
    int rating, reopen;
};

static int do_rate(struct hotline *h, struct store_conn *c, struct arena *a, struct hotline_row *r,
                   void *arg, struct err *err)
{
    (void)c, (void)a;
    struct rate_arg *x = arg;
    r->o.rating = x->rating;
    if (x->rating <= 2 && x->reopen && r->o.department_id != 0 &&
        strcmp(r->o.status, HOTLINE_REPLIED) == 0) {
        r->o.status = HOTLINE_DISPATCHED;
        r->o.dispatched_at = r->o.updated_at;
        r->o.accepted_at = r->o.replied_at = 0;
        return hotline_deadline(h, r->o.urgency, r->o.updated_at, &r->o.deadline_at, err);
    }
    r->o.status = HOTLINE_CLOSED;
    r->o.closed_at = r->o.updated_at;
    return 0;
}

int hotline_rate(struct hotline *h, int64_t actor, const char *ip, const char *number, int rating,
                 const char *comment, int reopen, struct err *err)
{
    if (rating < 1 || rating > 5)
        return err_set(err, 400, "hotline.bad_rating", "a rating is 1 to 5");
    if (comment != NULL && chars(comment) > 1000)
        return err_set(err, 400, "hotline.comment_too_long", "at most 1000 characters");
    struct rate_arg x = {rating, reopen};
    char note[1100];
    snprintf(note, sizeof(note), "%d%s%s", rating, comment && *comment ? " " : "",
             comment ? comment : "");
    return transition(h, actor, ip, number, "replied answered",
                      actor ? "hotline.callback" : "hotline.rate",
                      rating <= 2 && reopen ? "reopened" : (actor ? "callback" : "rated"), note,
                      do_rate, &x, err);
}

static int do_nothing(struct hotline *h, struct store_conn *c, struct arena *a,
                      struct hotline_row *r, void *arg, struct err *err)
{
    (void)h, (void)c, (void)a, (void)r, (void)arg, (void)err;
    return 0;
}

int hotline_supervise(struct hotline *h, int64_t actor, const char *ip, const char *number,
                      const char *note, struct err *err)
{
    if (check_text(note, 2, 1000, "hotline.note_required", err) < 0)
        return -1;
    return transition(h, actor, ip, number, "new dispatched accepted returned replied answered",
                      "hotline.supervise", "supervised", note, do_nothing, NULL, err);
}

int hotline_extension_request(struct hotline *h, int64_t actor, const char *ip, const char *number,
                              int hours, const char *reason, struct err *err)
{
    if (hours < 1 || hours > 24 * 60)
        return err_set(err, 400, "hotline.bad_hours", "1 to 1440 hours");
    if (check_text(reason, 2, 1000, "hotline.reason_required", err) < 0)
        return -1;
    char note[1100];
    snprintf(note, sizeof(note), "%d %s", hours, reason);
    return transition(h, actor, ip, number, "dispatched accepted", "hotline.extension_request",
                      "extension_requested", note, do_nothing, NULL, err);
}

static int do_extend(struct hotline *h, struct store_conn *c, struct arena *a,
                     struct hotline_row *r, void *arg, struct err *err)
{
    (void)h, (void)a, (void)arg;
    int64_t hours = 0;
    if (hs_pending_extension(c, r->o.id, &hours, err) < 0)
        return -1;
    if (hours <= 0)
        return err_set(err, 409, "hotline.no_extension", "no extension was requested");
    r->o.deadline_at += hours * 3600 * 1000;
    return 0;
}

int hotline_extension_approve(struct hotline *h, int64_t actor, const char *ip, const char *number,
                              struct err *err)
{
    return transition(h, actor, ip, number, "dispatched accepted", "hotline.extension_approve",
                      "extension_approved", NULL, do_extend, NULL, err);
}

static int do_merge(struct hotline *h, struct store_conn *c, struct arena *a, struct hotline_row *r,
                    void *arg, struct err *err)
{
    const struct hotline_row *into = arg;
    r->o.status = HOTLINE_MERGED;
    r->o.merged_into = into->o.id;
    r->o.closed_at = r->o.updated_at;
    r->o.deadline_at = 0;
    if (hs_event_insert(c, into->o.id, 0, "merged_in", 0, r->o.number, err) < 0 ||
        notify_caller(h, c, a, r, "hotline.notice.merged", err) < 0 ||
        notify_caller(h, c, a, into, "hotline.notice.merged", err) < 0)
        return -1;
    return 0;
}

int hotline_merge(struct hotline *h, int64_t actor, const char *ip, const char *number,
                  const char *into, struct err *err)
{
    if (number == NULL || into == NULL || strcmp(number, into) == 0)
        return err_set(err, 400, "hotline.bad_merge", "merge into another order");
    struct store_conn *c = store_conn(h->store, err);
    struct arena *a = arena_new(0);
    struct hotline_row target;
    int found = 0;
    if (c == NULL || a == NULL || hs_order_get(c, a, 1, 0, into, &target, &found, err) < 0) {
        arena_free(a);
        return -1;
    }
    int rc;
    if (!found || one_of(target.o.status, "merged closed"))
        rc = err_set(err, 400, "hotline.bad_merge", "the target order is unknown or closed");
    else
        rc = transition(h, actor, ip, number, "new dispatched accepted returned", "hotline.merge",
                        "merged", into, do_merge, &target, err);
    arena_free(a);
    return rc;
}

/* ---- deadlines ------------------------------------------------------------------------ */

const char *hotline_mark(const struct hotline_order *o, int64_t now_ms)
{
    if (o->deadline_at <= 0 || !one_of(o->status, "dispatched accepted"))
        return o->deadline_at > 0 && o->replied_at > o->deadline_at ? "red" : "green";
    if (now_ms > o->deadline_at)
        return "red";
    int64_t span = o->deadline_at - o->dispatched_at;
    if (span > 0 && (double)(now_ms - o->dispatched_at) >= 0.8 * (double)span)
        return "yellow";
    return "green";
}

int hotline_tick(struct hotline *h, int64_t now_ms, int *reminded, int *escalated, struct err *err)
{
    *reminded = *escalated = 0;
    struct store_conn *c = store_conn(h->store, err);
    struct arena *a = arena_new(0);
    if (c == NULL || a == NULL) {
        arena_free(a);
        return c == NULL ? -1 : err_set(err, 500, "hotline.oom", "out of memory");
    }
    int rc = -1;
    for (int esc = 0; esc <= 1; esc++) {
        struct hotline_row *rows = NULL;
        size_t n = 0;
        if (hs_due(c, a, now_ms, esc, &rows, &n, err) < 0)
            goto out;
        for (size_t i = 0; i < n; i++) {
            struct hotline_order *o = &rows[i].o;
            if (!esc && strcmp(hotline_mark(o, now_ms), "yellow") != 0)
                continue;
            int64_t heads[16];
            size_t nh = 0;
            if (store_begin(c, err) < 0)
                goto out;
            if (hs_order_marks(c, o->id, esc ? now_ms : now_ms, esc ? now_ms : 0, err) < 0 ||
                hs_event_insert(c, o->id, 0, esc ? "escalated" : "reminded", o->department_id, NULL,
                                err) < 0 ||
                identity_department_holders(h->id, o->department_id, esc ? ROLE_HEAD : ROLE_CLERK,
                                            heads, 16, &nh, err) < 0) {
                store_rollback(c);
                goto out;
            }
            for (size_t k = 0; k < nh && h->hooks.notify; k++) {
                json_t *p = json_pack("{s:s}", "number", o->number);
                int r =
                    h->hooks.notify(h->hooks.ctx, heads[k], NULL, "zh",
                                    esc ? "hotline.notice.escalated" : "hotline.notice.reminder", p,
                                    arena_printf(a, "/hotline/orders/%s", o->number), err);
                json_decref(p);
                if (r < 0) {
                    store_rollback(c);
                    goto out;
                }
            }
            char object[64];
            snprintf(object, sizeof(object), "hotline_order:%s", o->number);
            struct audit_event ev = {
                0, esc ? "hotline.escalate" : "hotline.remind", object, "ok", NULL, NULL};
            if (audit_record(c, &ev, err) < 0) {
                store_rollback(c);
                goto out;
            }
            if (store_commit(c, err) < 0)
                goto out;
            if (esc)
                (*escalated)++;
            else
                (*reminded)++;
        }
    }
    rc = 0;
out:
    arena_free(a);
    return rc;
}

/* ---- categories and routing --------------------------------------------------------- */

static int code_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n < 2 || n > 40)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '_' ||
              s[i] == '-'))
            return 0;
    return 1;
}

int hotline_category_put(struct hotline *h, int64_t actor, const char *code, const char *zh,
                         const char *bo, const char *en, struct err *err)
{
    if (!code_ok(code))
        return err_set(err, 400, "hotline.bad_category_code",
                       "a category code is 2-40 lower-case letters, digits, _ or -");
    if (zh == NULL || *zh == '\0' || chars(zh) > 60)
        return err_set(err, 400, "hotline.bad_category_name", "a Chinese name is required");
    struct store_conn *c = store_conn(h->store, err);
    if (c == NULL || store_begin(c, err) < 0)
        return -1;
    char object[64];
    snprintf(object, sizeof(object), "hotline_category:%s", code);
    struct audit_event ev = {actor, "hotline.category_put", object, "ok", NULL, NULL};
    if (hs_category_put(c, code, zh, bo, en, err) < 0 || audit_record(c, &ev, err) < 0) {
        store_rollback(c);
        return -1;
    }
    return store_commit(c, err);
}

int hotline_categories(struct hotline *h, const char *lang, json_t **out, struct err *err)
{
    struct store_conn *c = store_conn(h->store, err);
    *out = json_array();
    if (c == NULL || hs_categories(c, lang, *out, err) < 0) {
        json_decref(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

int hotline_route_put(struct hotline *h, int64_t actor, const char *category,
                      int64_t division_prefix, int64_t department_id, struct err *err)
{
    struct store_conn *c = store_conn(h->store, err);
    int found = 0;
    if (c == NULL)
        return -1;
    if (hs_category_exists(c, category ? category : "", &found, err) < 0)
        return -1;
    if (!found)
        return err_set(err, 400, "hotline.bad_category", "no such category");
    if (identity_department_exists(h->id, department_id, &found, err) < 0)
        return -1;
    if (!found)
        return err_set(err, 400, "hotline.bad_department", "no such department");
    if (!divisions_contains(DIVISIONS_ROOT, division_prefix))
        return err_set(err, 400, "hotline.bad_division", "the prefix is not a division here");
    if (store_begin(c, err) < 0)
        return -1;
    char object[96];
    snprintf(object, sizeof(object), "hotline_route:%s:%012lld", category,
             (long long)division_prefix);
    struct audit_event ev = {actor, "hotline.route_put", object, "ok", NULL, NULL};
    if (hs_route_put(c, category, division_prefix, department_id, err) < 0 ||
        audit_record(c, &ev, err) < 0) {
        store_rollback(c);
        return -1;
    }
    return store_commit(c, err);
}

int hotline_route(struct hotline *h, const char *category, int64_t division_code,
                  int64_t *department_id, struct err *err)
{
    struct store_conn *c = store_conn(h->store, err);
    *department_id = 0;
    if (category == NULL || *category == '\0')
        return 0;
    return c == NULL ? -1 : hs_route_find(c, category, division_code, department_id, err);
}

/* ---- statistics ----------------------------------------------------------------------- */

struct stats {
    json_t *by_cat, *by_div, *by_week, *cur, *prev;
    int64_t now, week_start;
    long total, dispatched, replied, rated, satisfied, with_deadline, overdue;
    double response_h, resolution_h;
    long ratings[6];
};

static void bump(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    json_object_set_new(obj, key, json_integer(v ? json_integer_value(v) + 1 : 1));
}

static void stat_row(void *ctx, int64_t created, const char *cat, int64_t division,
                     const char *status, int64_t dispatched, int64_t replied, int64_t closed,
                     int64_t deadline, int rating)
{
    (void)closed;
    struct stats *s = ctx;
    char county[16], week[11], key[64];
    snprintf(county, sizeof(county), "%06lld", (long long)(division / 1000000));
    int32_t day = calendar_day_of_ms(created);
    calendar_format_date(day - (calendar_weekday(day) - 1), week);
    s->total++;
    bump(s->by_cat, cat[0] ? cat : "-");
    bump(s->by_div, county);
    bump(s->by_week, week);
    snprintf(key, sizeof(key), "%s|%s", county, cat[0] ? cat : "-");
    if (created >= s->week_start)
        bump(s->cur, key);
    else if (created >= s->week_start - 7 * CALENDAR_DAY_MS)
        bump(s->prev, key);
    if (dispatched > 0) {
        s->dispatched++;
        s->response_h += (double)(dispatched - created) / 3.6e6;
    }
    if (replied > 0) {
        s->replied++;
        s->resolution_h += (double)(replied - created) / 3.6e6;
    }
    if (rating >= 1 && rating <= 5) {
        s->rated++;
        s->ratings[rating]++;
        s->satisfied += rating >= 4;
    }
    if (deadline > 0) {
        s->with_deadline++;
        int open = strcmp(status, "dispatched") == 0 || strcmp(status, "accepted") == 0;
        if ((replied > deadline) || (open && s->now > deadline))
            s->overdue++;
    }
}

static json_t *sorted_pairs(json_t *obj, const char *kname)
{
    json_t *arr = json_array();
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v)
    {
        json_array_append_new(
            arr, json_pack("{s:s, s:I}", kname, k, "count", (json_int_t)json_integer_value(v)));
    }
    return arr;
}

int hotline_stats(struct hotline *h, const char *lang, int64_t from_ms, int64_t to_ms, json_t **out,
                  struct err *err)
{
    (void)lang;
    struct store_conn *c = store_conn(h->store, err);
    if (c == NULL)
        return -1;
    struct stats s;
    memset(&s, 0, sizeof(s));
    s.by_cat = json_object();
    s.by_div = json_object();
    s.by_week = json_object();
    s.cur = json_object();
    s.prev = json_object();
    s.now = time_now_ms();
    s.week_start = to_ms - 7 * CALENDAR_DAY_MS;
    if (hs_stats(c, from_ms, to_ms, stat_row, &s, err) < 0) {
        json_decref(s.by_cat);
        json_decref(s.by_div);
        json_decref(s.by_week);
        json_decref(s.cur);
        json_decref(s.prev);
        return -1;
    }
    /* Hot spots: a category in a county with more orders in the last 7 days than in the 7
     * before, and at least 3 now. */
    json_t *hot = json_array();
    const char *k;
    json_t *v;
    json_object_foreach(s.cur, k, v)
    {
        json_int_t now = json_integer_value(v);
        json_t *p = json_object_get(s.prev, k);
        json_int_t before = p ? json_integer_value(p) : 0;
        if (now >= 3 && now > before) {
            char county[16] = "", *bar = strchr(k, '|');
            snprintf(county, sizeof(county), "%.*s", bar ? (int)(bar - k) : 0, k);
            json_array_append_new(hot, json_pack("{s:s, s:s, s:I, s:I, s:I}", "division", county,
                                                 "category", bar ? bar + 1 : "", "this_week", now,
                                                 "last_week", before, "rise", now - before));
        }
    }
    json_t *levels = json_array();
    for (int r = 5; r >= 1; r--)
        json_array_append_new(
            levels, json_pack("{s:i, s:I}", "level", r, "count", (json_int_t)s.ratings[r]));
    *out = json_pack(
        "{s:I, s:o, s:o, s:o, s:o, s:f, s:f, s:I, s:f, s:o, s:f, s:I, s:I}", "total",
        (json_int_t)s.total, "by_category", sorted_pairs(s.by_cat, "category"), "by_division",
        sorted_pairs(s.by_div, "division"), "by_week", sorted_pairs(s.by_week, "week"), "hot_spots",
        hot, "response_hours", s.dispatched ? s.response_h / s.dispatched : 0.0, "resolution_hours",
        s.replied ? s.resolution_h / s.replied : 0.0, "rated", (json_int_t)s.rated, "satisfaction",
        s.rated ? (double)s.satisfied / s.rated : 0.0, "ratings", levels, "overdue_rate",
        s.with_deadline ? (double)s.overdue / s.with_deadline : 0.0, "overdue",
        (json_int_t)s.overdue, "with_deadline", (json_int_t)s.with_deadline);
    json_decref(s.by_cat);
    json_decref(s.by_div);
    json_decref(s.by_week);
    json_decref(s.cur);
    json_decref(s.prev);
    return *out ? 0 : err_set(err, 500, "hotline.oom", "out of memory");
}

/* ---- knowledge base ------------------------------------------------------------------- */

int hotline_kb_put(struct hotline *h, int64_t actor, int64_t id, const char *lang,
                   const char *title, const char *body, const char *category, int64_t source_order,
                   int64_t *out_id, struct err *err)
{
    if (lang == NULL ||
        (strcmp(lang, "zh") != 0 && strcmp(lang, "bo") != 0 && strcmp(lang, "en") != 0))
        return err_set(err, 400, "hotline.kb_bad_lang", "the language is zh, bo or en");
    if (check_text(title, 2, 120, "hotline.kb_bad_title", err) < 0 ||
        check_text(body, 2, 20000, "hotline.kb_bad_body", err) < 0)
        return -1;
    if (category != NULL && *category && check_category(h, category, err) < 0)
        return -1;
    struct store_conn *c = store_conn(h->store, err);
    if (c == NULL)
        return -1;
    if (id != 0) {
        json_t *old = NULL;
        if (hs_kb_get(c, id, &old, err) < 0)
            return -1;
        if (old == NULL)
            return err_set(err, 404, "hotline.kb_not_found", "no such article");
        json_decref(old);
    } else {
        id = id_next();
    }
    int64_t now = time_now_ms();
    char object[48];
    snprintf(object, sizeof(object), "hotline_kb:%lld", (long long)id);
    struct audit_event ev = {actor, "hotline.kb_put", object, "ok", NULL, NULL};
    struct hotline_doc d = {"kb", id, lang, title, body, category && *category ? category : NULL,
                            0,    0,  now,  0};
    if (store_begin(c, err) < 0)
        return -1;
    if (hs_kb_upsert(c, id, lang, title, body, category && *category ? category : NULL,
                     source_order, actor, now, err) < 0 ||
        (h->hooks.index && h->hooks.index(h->hooks.ctx, &d, err) < 0) ||
        audit_record(c, &ev, err) < 0) {
        store_rollback(c);
        return -1;
    }
    if (store_commit(c, err) < 0)
        return -1;
    if (out_id)
        *out_id = id;
    return 0;
}

int hotline_kb_get(struct hotline *h, int64_t id, json_t **out, struct err *err)
{
    struct store_conn *c = store_conn(h->store, err);
    if (c == NULL || hs_kb_get(c, id, out, err) < 0)
        return -1;
    return *out ? 0 : err_set(err, 404, "hotline.kb_not_found", "no such article");
}

int hotline_kb_list(struct hotline *h, int limit, json_t **out, struct err *err)
{
    struct store_conn *c = store_conn(h->store, err);
    *out = json_array();
    if (c == NULL || hs_kb_list(c, limit > 0 && limit <= 200 ? limit : 50, *out, err) < 0) {
        json_decref(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

int hotline_kb_from_order(struct hotline *h, int64_t actor, const char *number, int64_t *out_id,
                          struct err *err)
{
    struct arena *a = arena_new(0);
    struct hotline_order o;
    if (a == NULL)
        return err_set(err, 500, "hotline.oom", "out of memory");
    int rc = hotline_order_get(h, a, number, &o, 0, err);
    if (rc == 0 && (o.reply == NULL || !one_of(o.status, "answered replied closed"))) {
        err_set(err, 409, "hotline.kb_no_answer", "only an answered order can become an article");
        rc = -1;
    }
    if (rc == 0) {
        /* The title: the question's first 60 characters. */
        size_t n = 0, bytes = 0;
        for (const unsigned char *p = (const unsigned char *)o.description; *p && n < 60; p++) {
            bytes++;
            if ((p[1] & 0xC0) != 0x80)
                n++;
        }
        const char *title = arena_printf(a, "%.*s", (int)bytes, o.description);
        const char *body = arena_printf(a, "%s\n\n%s", o.description, o.reply);
        rc = hotline_kb_put(h, actor, 0, o.lang, title, body, o.category, o.id, out_id, err);
    }
    arena_free(a);
    return rc;
}
