/*
 * hotline.c - work orders: the module's handle and periodic job, personal data (phones),
 * intake and validation, and reading orders. The workflow and deadlines are in
 * hotline_flow.c; categories, routing, statistics and the knowledge base in
 * hotline_admin.c. No HTTP here (hotline_http.c).
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
    pthread_mutex_init(&h->cat_lock, NULL);
    if ((h->known_cats = json_object()) == NULL) {
        hotline_close(h);
        return err_set(err, 500, "hotline.oom", "out of memory");
    }
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
    pthread_mutex_destroy(&h->cat_lock);
    json_decref(h->known_cats);
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

const char *hotline_open_phone(struct hotline *h, struct arena *a, const struct hotline_row *r)
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

int hotline_one_of(const char *s, const char *list)
{
    if (s == NULL || *s == '\0' || strchr(s, ' ') != NULL)
        return 0;
    size_t n = strlen(s);
    for (const char *p = list; (p = strstr(p, s)) != NULL; p += n)
        if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
            return 1;
    return 0;
}

size_t hotline_chars(const char *s)
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
    if (c == NULL || hotline_db_limit(c, urgency, &amount, unit, err) < 0)
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
    if (c != NULL && hotline_db_categories(c, lang, cats, &err) == 0)
        json_array_foreach(cats, i, x)
        {
            if (strcmp(json_string_value(json_object_get(x, "code")), code) == 0)
                name = arena_strdup(a, json_string_value(json_object_get(x, "name")));
        }
    json_decref(cats);
    return name ? name : "";
}

static void order_doc(struct hotline *h, struct arena *a, const struct hotline_order *o,
                      struct hotline_doc *d)
{
    struct hotline_doc x = {
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
    *d = x;
}

int hotline_index_order(struct hotline *h, struct arena *a, const struct hotline_order *o,
                        struct err *err)
{
    if (h->hooks.index_later != NULL)
        return h->hooks.index_later(h->hooks.ctx, "order", o->id, err);
    if (h->hooks.index == NULL)
        return 0;
    struct hotline_doc d;
    order_doc(h, a, o, &d);
    struct err e;
    if (h->hooks.index(h->hooks.ctx, &d, &e) < 0)
        log_kv(LOG_WARN, "hotline: an order could not be indexed", "detail", e.msg, LOG_END);
    return 0;
}

void hotline_indexed(struct hotline *h)
{
    if (h->hooks.indexed != NULL)
        h->hooks.indexed(h->hooks.ctx);
}

int hotline_order_doc(struct hotline *h, struct arena *a, int64_t id, struct hotline_doc *d,
                      struct err *err)
{
    struct store_conn *c = store_conn(h->store, err);
    struct hotline_row r;
    int found = 0;
    if (c == NULL || hotline_db_order_get(c, a, 0, id, NULL, &r, &found, err) < 0)
        return -1;
    if (!found)
        return 0;
    order_doc(h, a, &r.o, d);
    return 1;
}

int hotline_category_known(struct hotline *h, const char *code, int *found, struct err *err)
{
    *found = 0;
    if (code == NULL || *code == '\0')
        return 0;
    pthread_mutex_lock(&h->cat_lock);
    *found = json_object_get(h->known_cats, code) != NULL;
    pthread_mutex_unlock(&h->cat_lock);
    if (*found)
        return 0;
    struct store_conn *c = store_conn(h->store, err);
    if (c == NULL || hotline_db_category_exists(c, code, found, err) < 0)
        return -1;
    if (*found) {
        pthread_mutex_lock(&h->cat_lock);
        json_object_set_new(h->known_cats, code, json_true());
        pthread_mutex_unlock(&h->cat_lock);
    }
    return 0;
}

/* Every field error of an intake at once (一次性告知): 0 with the normalised phone and the
 * division code, fe filled when something is wrong; -1 on a store failure. */
static int intake_check(struct hotline *h, struct store_conn *c, struct arena *a,
                        const struct hotline_intake *in, char phone[PHONE_MAX],
                        int64_t *division_out, struct hotline_field_errors *fe, struct err *err)
{
    int64_t division = 0;
    phone[0] = '\0';
    const char *urgency = in->urgency && *in->urgency ? in->urgency : "normal";
    if (!hotline_one_of(in->channel, HOTLINE_CHANNELS))
        fe_add(fe, "channel", "hotline.bad_channel", "unknown channel");
    if (!hotline_one_of(urgency, HOTLINE_URGENCIES))
        fe_add(fe, "urgency", "hotline.bad_urgency", "urgency is urgent, normal or low");
    if (in->category != NULL && *in->category) {
        int found = 0;
        if (hotline_category_known(h, in->category, &found, err) < 0)
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
    else if (hotline_chars(in->address) > 200)
        fe_add(fe, "address", "hotline.address_too_long", "at most 200 characters");
    int has_lat = in->lat && *in->lat, has_lon = in->lon && *in->lon;
    if (has_lat != has_lon || (has_lat && (!coord_ok(in->lat, 90) || !coord_ok(in->lon, 180))))
        fe_add(fe, "lat", "hotline.bad_coordinates",
               "latitude and longitude go together, in decimal degrees");
    size_t dn = in->description ? hotline_chars(in->description) : 0;
    if (dn < 5)
        fe_add(fe, "description", "hotline.description_short", "describe the problem (5+ chars)");
    else if (dn > 4000)
        fe_add(fe, "description", "hotline.description_long", "at most 4000 characters");
    if (in->caller_name && hotline_chars(in->caller_name) > 50)
        fe_add(fe, "caller_name", "hotline.name_too_long", "at most 50 characters");
    if (in->phone != NULL && *in->phone &&
        phone_normalize(in->phone, PHONE_MOBILE | PHONE_LANDLINE, phone) < 0)
        fe_add(fe, "phone", "hotline.bad_phone", "a mobile number of 11 digits or a landline");
    *division_out = division;
    return 0;
}

int hotline_order_create(struct hotline *h, struct arena *a, const struct hotline_intake *in,
                         const char *ip, int64_t *order_id, const char **number,
                         struct hotline_field_errors *fe, struct err *err)
{
    return hotline_order_create_ex(h, a, in, ip, order_id, number, NULL, fe, err);
}

int hotline_order_create_ex(struct hotline *h, struct arena *a, const struct hotline_intake *in,
                            const char *ip, int64_t *order_id, const char **number,
                            const char **token, struct hotline_field_errors *fe, struct err *err)
{
    memset(fe, 0, sizeof(*fe));
    struct store_conn *c = store_conn(h->store, err);
    if (c == NULL)
        return -1;
    char phone[PHONE_MAX] = "";
    int64_t division = 0;
    const char *urgency = in->urgency && *in->urgency ? in->urgency : "normal";
    int has_lat = in->lat && *in->lat, has_lon = in->lon && *in->lon;
    if (intake_check(h, c, a, in, phone, &division, fe, err) < 0)
        return -1;
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
    if (hotline_db_seq_next(c, key, &seq, err) < 0)
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
    if (hotline_db_order_insert(c, &o, sealed, sealed_len, hash[0] ? hash : NULL, in->api_key_id,
                                err) < 0 ||
        hotline_db_event_insert(c, o.id, ev.actor_id, "created", 0, o.channel, err) < 0 ||
        hotline_daily_change(c, NULL, &o, err) < 0 || audit_record(c, &ev, err) < 0 ||
        hotline_index_order(h, a, &o, err) < 0)
        goto fail;
    if (store_commit(c, err) < 0)
        return -1;
    hotline_indexed(h);
    *order_id = o.id;
    *number = o.number;
    if (token != NULL)
        *token = o.token;
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
    const char *phone = hotline_open_phone(h, a, r);
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
    if (c == NULL || hotline_db_order_get(c, a, 1, 0, number, &r, &found, err) < 0)
        return -1;
    return finish_get(h, a, &r, found, out, with_phone, err);
}

int hotline_order_by_id(struct hotline *h, struct arena *a, int64_t id, struct hotline_order *out,
                        int with_phone, struct err *err)
{
    struct store_conn *c = store_conn(h->store, err);
    struct hotline_row r;
    int found = 0;
    if (c == NULL || hotline_db_order_get(c, a, 0, id, NULL, &r, &found, err) < 0)
        return -1;
    return finish_get(h, a, &r, found, out, with_phone, err);
}

int hotline_order_by_token(struct hotline *h, struct arena *a, const char *token,
                           struct hotline_order *out, struct err *err)
{
    struct store_conn *c = store_conn(h->store, err);
    struct hotline_row r;
    int found = 0;
    if (c == NULL || hotline_db_order_get(c, a, 2, 0, token, &r, &found, err) < 0)
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
    if (hotline_db_lookup_failures(c, knum, since, &fn, err) < 0 ||
        hotline_db_lookup_failures(c, kip, since, &fi, err) < 0)
        return -1;
    if (fn >= LOOKUP_MAX_PER_NUMBER || fi >= LOOKUP_MAX_PER_IP)
        return err_set(err, 429, "hotline.lookup_paused",
                       "too many failed look-ups: try again in %d minutes",
                       (int)(LOOKUP_WINDOW_MS / 60000));
    if (number != NULL && phone != NULL &&
        phone_normalize(phone, PHONE_MOBILE | PHONE_LANDLINE, norm) > 0 &&
        lookup_hash(h, norm, hash) == 0 &&
        hotline_db_order_by_phone(c, number, hash, &id, &found, err) < 0)
        return -1;
    if (!found) {
        if (hotline_db_lookup_failure_add(c, knum, now, since, err) < 0 ||
            hotline_db_lookup_failure_add(c, kip, now, since, err) < 0)
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
            if (hotline_db_order_list(c, a, &g, &rows, &m, err) < 0)
                return -1;
            for (size_t i = 0; i < m && *n < (size_t)limit; i++) {
                (*out)[*n] = rows[i].o;
                (*out)[*n].phone_masked = hotline_mask_phone(a, hotline_open_phone(h, a, &rows[i]));
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
    if (c == NULL || hotline_db_events(c, order_id, *events, err) < 0) {
        json_decref(*events);
        *events = NULL;
        return -1;
    }
    return 0;
}
