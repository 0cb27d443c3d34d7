/*
 * notify.c - sending (inbox row + outbox rows), rendering, the inbox, and the delivery job
 * with its lease, backoff and the sandbox SMS carrier. No HTTP here.
 */
#include "notify/notify_internal.h"
#include "notify/notify_contacts_store.h"

#include <ctype.h>
#include <signal.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/id.h"
#include "base/log.h"
#include "base/phone.h"
#include "crypto/crypto.h"
#include "identity/idcodes.h"
#include "store/store.h"
#include "web/i18n.h"

#define LEASE_NAME "notify.delivery"
#define MAX_PARAMS_BYTES 8192
#define MAX_LINK 512

/* ---- the sandbox SMS carrier ------------------------------------------------------------ *
 * Stands in for a carrier gateway that cannot run here: it records what it would send, with
 * the number masked, through the same connection that marks the row sent. */

static int sandbox_deliver(void *ctx, struct store_conn *c, int64_t outbox_id, const char *address,
                           const char *lang, const char *text, struct err *err)
{
    (void)ctx;
    char masked[32];
    if (address == NULL || strlen(address) >= sizeof(masked))
        return err_set(err, 400, "notify.bad_phone", "the sandbox carrier got no valid number");
    idcode_mask(address, 3, 4, masked);
    return notify_db_sandbox_insert(c, outbox_id, masked, lang, text, time_now_ms(), err);
}

int notify_open(struct store *st, struct crypto_keyring *kr, struct notify **out, struct err *err)
{
    struct notify *n = calloc(1, sizeof(*n));
    if (n == NULL)
        return err_set(err, 500, "notify.oom", "out of memory");
    n->store = st;
    n->kr = kr;
    n->sms = (struct notify_channel){.name = "sms", .deliver = sandbox_deliver};
    pthread_mutex_init(&n->lock, NULL);
    pthread_cond_init(&n->cond, NULL);
    unsigned char r[6];
    char hex[13];
    if (crypto_random(r, sizeof(r)) < 0)
        memset(r, 0, sizeof(r));
    for (int i = 0; i < 6; i++)
        snprintf(hex + 2 * i, 3, "%02x", r[i]);
    char host[32] = "node";
    gethostname(host, sizeof(host) - 1);
    host[sizeof(host) - 1] = '\0';
    snprintf(n->holder, sizeof(n->holder), "%s:%d:%s", host, (int)getpid(), hex);
    *out = n;
    return 0;
}

void notify_close(struct notify *n)
{
    if (n == NULL)
        return;
    notify_stop(n);
    pthread_mutex_destroy(&n->lock);
    pthread_cond_destroy(&n->cond);
    notify_channels_free(n);
    notify_templates_free();
    free(n);
}

int notify_set_channel(struct notify *n, const struct notify_channel *ch, struct err *err)
{
    if (ch == NULL || ch->name == NULL || (ch->deliver == NULL && ch->send == NULL) ||
        (strcmp(ch->name, "sms") != 0 && strcmp(ch->name, "email") != 0))
        return err_set(err, 400, "notify.bad_channel", "only sms and email have connectors");
    if (strcmp(ch->name, "sms") == 0)
        n->sms = *ch;
    else
        n->email = *ch;
    return 0;
}

/* ---- sending ---------------------------------------------------------------------------- */

static void phone_ad(char *ad, size_t n, int64_t message_id)
{
    snprintf(ad, n, "notify_messages.phone:%lld", (long long)message_id);
}

static int kind_valid(const char *k)
{
    size_t n = k ? strlen(k) : 0;
    if (n == 0 || n > 120)
        return 0;
    for (const char *p = k; *p; p++)
        if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '.' || *p == '_'))
            return 0;
    return 1;
}

/* __thread: set by notify_send_email around its notify_send_id (the e-mail is the
 * recipient, added right after). */
static __thread int address_follows;

int notify_send_id_to_address(struct notify *n, const struct notify_msg *m, int64_t *message_id,
                              struct err *err)
{
    address_follows = 1;
    int rc = notify_send_id(n, m, message_id, err);
    address_follows = 0;
    return rc;
}

int notify_send_id(struct notify *n, const struct notify_msg *m, int64_t *message_id,
                   struct err *err)
{
    const char *lang = m->lang ? i18n_lang(m->lang) : "zh";
    if (!kind_valid(m->kind))
        return err_set(err, 400, "notify.bad_message", "a message needs a kind (an i18n key)");
    if (lang == NULL)
        return err_set(err, 400, "notify.bad_message", "the language must be zh, bo or en");
    if (m->account_id < 0 || m->department_id < 0 ||
        (m->account_id == 0 && m->department_id == 0 && (m->phone == NULL || !*m->phone) &&
         !address_follows))
        return err_set(err, 400, "notify.bad_message", "a message needs a recipient");
    if (m->params != NULL && !json_is_object(m->params))
        return err_set(err, 400, "notify.bad_message", "params must be a JSON object");
    if (m->link != NULL && (m->link[0] != '/' || m->link[1] == '/' || strlen(m->link) > MAX_LINK ||
                            strpbrk(m->link, "\r\n\\") != NULL))
        return err_set(err, 400, "notify.bad_message", "a link is a relative path on this site");
    char phone[PHONE_MAX] = "";
    if (m->phone != NULL && *m->phone && phone_normalize(m->phone, PHONE_MOBILE, phone) < 0)
        return err_set(err, 400, "notify.bad_phone", "the phone is not a mainland mobile number");

    int64_t id = id_next(), now = time_now_ms();
    char *params = m->params ? json_dumps(m->params, JSON_COMPACT) : strdup("{}");
    if (params == NULL)
        return err_set(err, 500, "notify.oom", "out of memory");
    if (strlen(params) > MAX_PARAMS_BYTES) {
        free(params);
        return err_set(err, 400, "notify.bad_message", "params are too large");
    }
    unsigned char sealed[12 + CRYPTO_AEAD_OVERHEAD] = {0};
    size_t sealed_len = 0;
    int rc = -1;
    if (phone[0]) {
        char ad[64];
        phone_ad(ad, sizeof(ad), id);
        if (crypto_aead_seal(crypto_keyring_aead(n->kr, CRYPTO_AEAD_PII), ad, strlen(ad), phone,
                             strlen(phone), sealed, sizeof(sealed), &sealed_len) < 0) {
            err_set(err, 500, "notify.crypto", "the phone number cannot be sealed");
            goto out;
        }
    }
    /* The account's choices (its channels' language, quiet hours), read once. */
    struct store_conn *c = store_conn(n->store, err);
    struct notify_db_prefs prefs = {0};
    if (c == NULL || (m->account_id > 0 && notify_db_prefs_get(c, m->account_id, &prefs, err) < 0))
        goto out;
    if (prefs.found && prefs.lang[0])
        lang = prefs.lang; /* the account chose the language of its channels */
    if (notify_db_message_insert(c, id, m, lang, params, phone[0] ? sealed : NULL, sealed_len, now,
                                 err) < 0 ||
        (phone[0] && notify_db_outbox_insert(c, id_next(), id, "sms", now, err) < 0) ||
        (m->account_id > 0 && notify_route_account(n, c, id, m->account_id, m->kind, phone[0] != 0,
                                                   &prefs, now, err) < 0))
        goto out;
    if (message_id != NULL)
        *message_id = id;
    rc = 0;
out:
    crypto_wipe(phone, sizeof(phone));
    free(params);
    return rc;
}

int notify_send(struct notify *n, const struct notify_msg *m, struct err *err)
{
    return notify_send_id(n, m, NULL, err);
}

/* ---- rendering -------------------------------------------------------------------------- */

const char *notify_render(struct arena *a, const char *lang, const char *kind, const json_t *params)
{
    const char *tpl = kind ? notify_template_override(a, lang ? lang : "zh", kind) : NULL;
    if (tpl == NULL)
        tpl = i18n_get(lang ? lang : "zh", kind);
    if (tpl == NULL)
        return arena_strdup(a, kind ? kind : "");
    struct buf b;
    buf_init(&b, 64 * 1024);
    for (const char *p = tpl; *p;) {
        const char *open = strstr(p, "{{");
        if (open == NULL) {
            buf_puts(&b, p);
            break;
        }
        buf_append(&b, p, (size_t)(open - p));
        const char *close = strstr(open + 2, "}}");
        if (close == NULL) {
            buf_puts(&b, open);
            break;
        }
        char name[64];
        size_t len = (size_t)(close - open - 2);
        const char *s = open + 2;
        while (len > 0 && *s == ' ')
            s++, len--;
        while (len > 0 && s[len - 1] == ' ')
            len--;
        if (len < sizeof(name)) {
            memcpy(name, s, len);
            name[len] = '\0';
            const json_t *v = params ? json_object_get(params, name) : NULL;
            /* A name in several languages (a service's, a place's): the reader's, or zh. */
            if (json_is_object(v)) {
                const json_t *in = json_object_get(v, lang ? lang : "zh");
                v = json_is_string(in) && json_string_length(in) > 0 ? in
                                                                     : json_object_get(v, "zh");
            }
            if (json_is_string(v))
                buf_puts(&b, json_string_value(v));
            else if (json_is_integer(v))
                buf_printf(&b, "%lld", (long long)json_integer_value(v));
            else if (json_is_real(v))
                buf_printf(&b, "%g", json_real_value(v));
        }
        p = close + 2;
    }
    size_t outlen = 0;
    char *s = buf_take(&b, &outlen);
    const char *r = arena_strdup(a, s ? s : "");
    free(s);
    return r;
}

/* ---- the inbox -------------------------------------------------------------------------- */

static int by_id_desc(const void *x, const void *y)
{
    const struct notify_row *a = x, *b = y;
    return a->id < b->id ? 1 : a->id > b->id ? -1 : 0;
}

int notify_inbox(struct notify *n, struct arena *a, const struct notify_reader *r, const char *lang,
                 int64_t before, int limit, struct notify_item **out, size_t *count,
                 struct err *err)
{
    if (limit < 1 || limit > 100)
        limit = 20;
    size_t sources = 1 + (r->ndepts < 32 ? r->ndepts : 32), total = 0;
    struct notify_row *rows = arena_alloc(a, sizeof(*rows) * (size_t)limit * sources);
    struct store_conn *c = store_conn(n->store, err);
    *count = 0;
    *out = NULL;
    if (rows == NULL)
        return err_set(err, 500, "notify.oom", "out of memory");
    if (c == NULL)
        return -1;
    for (size_t s = 0; s < sources; s++) {
        size_t got = 0;
        if (s > 0 && r->depts[s - 1] <= 0)
            continue;
        if (s == 0 && r->account_id <= 0)
            continue;
        if (notify_db_inbox(c, a, s == 0 ? r->account_id : 0, s == 0 ? 0 : r->depts[s - 1], before,
                            limit, rows + total, &got, err) < 0)
            return -1;
        total += got;
    }
    qsort(rows, total, sizeof(*rows), by_id_desc);
    /* a department listed twice (two roles) gives the same rows twice */
    size_t w = 0;
    for (size_t i = 0; i < total; i++)
        if (w == 0 || rows[w - 1].id != rows[i].id)
            rows[w++] = rows[i];
    total = w < (size_t)limit ? w : (size_t)limit;
    struct notify_item *items = arena_alloc(a, sizeof(*items) * (total ? total : 1));
    if (items == NULL)
        return err_set(err, 500, "notify.oom", "out of memory");
    for (size_t i = 0; i < total; i++) {
        json_t *params = json_loads(rows[i].params ? rows[i].params : "{}", 0, NULL);
        items[i] = (struct notify_item){
            rows[i].id,     rows[i].kind,          notify_render(a, lang, rows[i].kind, params),
            rows[i].link,   rows[i].department_id, rows[i].created_at,
            rows[i].read_at};
        json_decref(params);
    }
    *out = items;
    *count = total;
    return 0;
}

static int dept_seen(const struct notify_reader *r, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (r->depts[j] == r->depts[i])
            return 1;
    return 0;
}

int notify_unread(struct notify *n, const struct notify_reader *r, int64_t *count, struct err *err)
{
    struct store_conn *c = store_conn(n->store, err);
    *count = 0;
    if (c == NULL)
        return -1;
    int64_t k = 0;
    if (r->account_id > 0) {
        if (notify_db_unread(c, r->account_id, 0, &k, err) < 0)
            return -1;
        *count += k;
    }
    for (size_t i = 0; i < r->ndepts && i < 32; i++) {
        if (r->depts[i] <= 0 || dept_seen(r, i))
            continue;
        if (notify_db_unread(c, 0, r->depts[i], &k, err) < 0)
            return -1;
        *count += k;
    }
    return 0;
}

static int may_read(const struct notify_reader *r, int64_t account_id, int64_t department_id)
{
    if (account_id != 0)
        return account_id == r->account_id;
    for (size_t i = 0; i < r->ndepts && i < 32; i++)
        if (department_id != 0 && r->depts[i] == department_id)
            return 1;
    return 0;
}

int notify_mark_read(struct notify *n, const struct notify_reader *r, int64_t message_id,
                     struct err *err)
{
    struct store_conn *c = store_conn(n->store, err);
    int64_t acc = 0, dept = 0;
    int found = 0;
    if (c == NULL || notify_db_message_owner(c, message_id, &acc, &dept, &found, err) < 0)
        return -1;
    if (!found || !may_read(r, acc, dept))
        return err_set(err, 404, "notify.not_found", "no such message");
    return notify_db_mark_read(c, message_id, time_now_ms(), err);
}

int notify_mark_all_read(struct notify *n, const struct notify_reader *r, int64_t *changed,
                         struct err *err)
{
    struct store_conn *c = store_conn(n->store, err);
    int64_t total = 0, k = 0, now = time_now_ms();
    if (c == NULL || store_begin(c, err) < 0)
        return -1;
    if (r->account_id > 0 && notify_db_mark_all_read(c, r->account_id, 0, now, &k, err) < 0)
        goto fail;
    total += k;
    for (size_t i = 0; i < r->ndepts && i < 32; i++) {
        k = 0;
        if (r->depts[i] > 0 && notify_db_mark_all_read(c, 0, r->depts[i], now, &k, err) < 0)
            goto fail;
        total += k;
    }
    if (store_commit(c, err) < 0)
        return -1;
    if (changed != NULL)
        *changed = total;
    return 0;
fail:
    store_rollback(c);
    return -1;
}

int notify_outbox_counts(struct notify *n, int64_t *pending, int64_t *sent, int64_t *failed,
                         struct err *err)
{
    struct store_conn *c = store_conn(n->store, err);
    return c == NULL ? -1 : notify_db_outbox_counts(c, pending, sent, failed, err);
}

/* ---- delivery --------------------------------------------------------------------------- */

static int64_t backoff_ms(int attempt)
{
    int64_t d = NOTIFY_BACKOFF_MS;
    for (int i = 1; i < attempt && d < NOTIFY_BACKOFF_MAX_MS; i++)
        d *= 2;
    return d < NOTIFY_BACKOFF_MAX_MS ? d : NOTIFY_BACKOFF_MAX_MS;
}

/* The address of a due row: the contact's, sealed to the outbox row, or else the message's
 * own phone. 0, or -1 with derr. */
static int due_address(struct notify *n, const struct notify_due *d, char *out, size_t size,
                       struct err *derr)
{
    char ad[64];
    if (d->address_enc != NULL) {
        snprintf(ad, sizeof(ad), "notify_outbox.address:%lld", (long long)d->outbox_id);
        return notify_open_sealed(n, ad, d->address_enc, d->address_enc_len, out, size, derr);
    }
    if (strcmp(d->channel, "sms") != 0 || d->phone_enc == NULL)
        return err_set(derr, 500, "notify.bad_phone", "the message has no sealed address");
    phone_ad(ad, sizeof(ad), d->message_id);
    return notify_open_sealed(n, ad, d->phone_enc, d->phone_enc_len, out, size, derr);
}

static const char *mail_subject(struct arena *a, const struct notify_due *d, const json_t *params)
{
    char key[160];
    snprintf(key, sizeof(key), "%s.subject", d->kind);
    if (i18n_get(d->lang, key) != NULL)
        return notify_render(a, d->lang, key, params);
    return notify_render(a, d->lang, "notify.mail.subject", params);
}

/* Record a failure: retried with backoff, or dead-lettered (last attempt, or refused for
 * good: a 4xx error). `from` is the status the row must still have. */
static int record_failure_in(struct store_conn *c, const struct notify_due *d, const char *from,
                             const struct err *derr, int64_t now, struct notify_pass *pass,
                             struct err *err)
{
    int attempts = d->attempts + 1;
    int give_up = attempts >= NOTIFY_MAX_ATTEMPTS || (derr->status >= 400 && derr->status < 500) ||
                  derr->status == 500;
    const char *code = derr->code[0] ? derr->code : "notify.error";
    int changed = 0;
    /* from sending: back to pending first (the claim counted the attempt) */
    if (strcmp(from, "sending") == 0 &&
        notify_db_outbox_finish(c, d->outbox_id, "sending", "pending", code, now, &changed, err) <
            0)
        return -1;
    if (notify_db_outbox_retry(c, d->outbox_id, attempts, now + backoff_ms(attempts),
                               give_up ? "failed" : "pending", code, err) < 0)
        return -1;
    log_kv(LOG_WARN, "notification not delivered", "channel", d->channel, "code", code, "outcome",
           give_up ? "failed" : "retry", LOG_END);
    if (give_up)
        pass->failed++;
    else
        pass->retried++;
    return 0;
}

static int record_failure(struct store_conn *c, const struct notify_due *d, const char *from,
                          const struct err *derr, int64_t now, struct notify_pass *pass,
                          struct err *err)
{
    if (store_begin(c, err) < 0)
        return -1;
    if (record_failure_in(c, d, from, derr, now, pass, err) < 0 || store_commit(c, err) < 0) {
        store_rollback(c);
        return -1;
    }
    return 0;
}

static const struct notify_channel *channel_of(struct notify *n, const struct notify_due *d)
{
    return strcmp(d->channel, "sms") == 0     ? &n->sms
           : strcmp(d->channel, "email") == 0 ? &n->email
                                              : NULL;
}

static int is_external(struct notify *n, const struct notify_due *d)
{
    const struct notify_channel *ch = channel_of(n, d);
    return ch != NULL && ch->external && ch->send != NULL;
}

/* External rows, NOTIFY_EXTERNAL_BATCH at a time: claimed (`sending`) in one transaction,
 * handed to their connectors (outside any transaction), their outcomes committed in one
 * transaction. A crash in between leaves at most one batch `sending`: dead-lettered by the
 * next pass (notify.interrupted), never sent twice. */
#define NOTIFY_EXTERNAL_BATCH 50
static int deliver_external_batch(struct notify *n, struct store_conn *c, struct arena *a,
                                  const struct notify_due *due, size_t count, int64_t now,
                                  struct notify_pass *pass, struct err *err)
{
    size_t next = 0;
    while (next < count) {
        const struct notify_due *b[NOTIFY_EXTERNAL_BATCH];
        int claimed[NOTIFY_EXTERNAL_BATCH] = {0};
        struct err out[NOTIFY_EXTERNAL_BATCH];
        size_t k = 0;
        for (; next < count && k < NOTIFY_EXTERNAL_BATCH; next++)
            if (is_external(n, &due[next]))
                b[k++] = &due[next];
        if (k == 0)
            break;
        if (store_begin(c, err) < 0)
            return -1;
        for (size_t i = 0; i < k; i++)
            if (notify_db_outbox_claim(c, b[i]->outbox_id, now, &claimed[i], err) < 0) {
                store_rollback(c);
                return -1;
            }
        if (store_commit(c, err) < 0) {
            store_rollback(c);
            return -1;
        }
        for (size_t i = 0; i < k; i++) {
            err_clear(&out[i]);
            if (!claimed[i])
                continue;
            char address[300];
            if (due_address(n, b[i], address, sizeof(address), &out[i]) < 0)
                continue;
            json_t *params = json_loads(b[i]->params ? b[i]->params : "{}", 0, NULL);
            const char *text = notify_render(a, b[i]->lang, b[i]->kind, params);
            const char *subject =
                strcmp(b[i]->channel, "email") == 0 ? mail_subject(a, b[i], params) : NULL;
            json_decref(params);
            struct notify_envelope e = {b[i]->outbox_id, address, b[i]->lang, subject, text};
            const struct notify_channel *ch = channel_of(n, b[i]);
            ch->send(ch->ctx, NULL, &e, &out[i]);
            crypto_wipe(address, sizeof(address));
        }
        if (store_begin(c, err) < 0)
            return -1;
        for (size_t i = 0; i < k; i++) {
            if (!claimed[i])
                continue;
            int changed = 0;
            int rc = out[i].code[0] == '\0'
                         ? notify_db_outbox_finish(c, b[i]->outbox_id, "sending", "sent", NULL, now,
                                                   &changed, err)
                         : record_failure_in(c, b[i], "sending", &out[i], now, pass, err);
            if (rc < 0) {
                store_rollback(c);
                return -1;
            }
            pass->delivered += changed;
        }
        if (store_commit(c, err) < 0) {
            store_rollback(c);
            return -1;
        }
    }
    return 0;
}

static int is_local(struct notify *n, const struct notify_due *d)
{
    const struct notify_channel *ch = strcmp(d->channel, "sms") == 0     ? &n->sms
                                      : strcmp(d->channel, "email") == 0 ? &n->email
                                                                         : NULL;
    return ch != NULL && !ch->external && (ch->send != NULL || ch->deliver != NULL);
}

/* All due rows of local connectors in one transaction. 1 done (or nothing to do), 0 when a
 * row failed and everything was undone (the caller goes row by row), -1 on a store error. */
static int deliver_local_batch(struct notify *n, struct store_conn *c, struct arena *a,
                               const struct notify_due *due, size_t count, int64_t now,
                               struct notify_pass *pass, struct err *err)
{
    size_t local = 0;
    for (size_t i = 0; i < count; i++)
        local += is_local(n, &due[i]);
    if (local < 2)
        return local == 0; /* one row: the plain path */
    if (store_begin(c, err) < 0)
        return -1;
    int done = 0;
    for (size_t i = 0; i < count; i++) {
        const struct notify_due *d = &due[i];
        if (!is_local(n, d))
            continue;
        const struct notify_channel *ch = strcmp(d->channel, "sms") == 0 ? &n->sms : &n->email;
        char address[300];
        struct err derr;
        err_clear(&derr);
        if (due_address(n, d, address, sizeof(address), &derr) < 0)
            goto undo;
        json_t *params = json_loads(d->params ? d->params : "{}", 0, NULL);
        const char *text = notify_render(a, d->lang, d->kind, params);
        const char *subject = strcmp(d->channel, "email") == 0 ? mail_subject(a, d, params) : NULL;
        json_decref(params);
        struct notify_envelope e = {d->outbox_id, address, d->lang, subject, text};
        int changed = 0;
        int sent = ch->send ? ch->send(ch->ctx, c, &e, &derr)
                            : ch->deliver(ch->ctx, c, d->outbox_id, address, d->lang, text, &derr);
        crypto_wipe(address, sizeof(address));
        if (sent < 0 || notify_db_outbox_sent(c, d->outbox_id, now, &changed, err) < 0)
            goto undo;
        done += changed;
    }
    if (store_commit(c, err) < 0) {
        store_rollback(c);
        return 0;
    }
    pass->delivered += done;
    return 1;
undo:
    store_rollback(c);
    return 0;
}

/* Deliver one row. A local connector (the sandbox) writes through the transaction that marks
 * the row sent, so its record and the status change commit together. */
static int deliver_one(struct notify *n, struct store_conn *c, struct arena *a,
                       const struct notify_due *d, int64_t now, struct notify_pass *pass,
                       struct err *err)
{
    struct err derr;
    err_clear(&derr);
    char address[300] = "";
    const struct notify_channel *ch = strcmp(d->channel, "sms") == 0     ? &n->sms
                                      : strcmp(d->channel, "email") == 0 ? &n->email
                                                                         : NULL;
    int ok = -1;
    if (ch == NULL || (ch->send == NULL && ch->deliver == NULL))
        /* this node has no relay configured: retried (another node, or after a restart
         * with --smtp-url, takes it), dead-lettered after the last attempt */
        err_set(&derr, 503, "notify.no_channel", "no connector for this channel");
    else if (due_address(n, d, address, sizeof(address), &derr) == 0)
        ok = 0;
    json_t *params = json_loads(d->params ? d->params : "{}", 0, NULL);
    const char *text = notify_render(a, d->lang, d->kind, params);
    const char *subject = strcmp(d->channel, "email") == 0 ? mail_subject(a, d, params) : NULL;
    json_decref(params);
    if (ok != 0)
        return record_failure(c, d, "pending", &derr, now, pass, err);
    struct notify_envelope e = {d->outbox_id, address, d->lang, subject, text};
    if (store_begin(c, err) < 0) {
        crypto_wipe(address, sizeof(address));
        return -1;
    }
    int changed = 0;
    int sent = ch->send ? ch->send(ch->ctx, c, &e, &derr)
                        : ch->deliver(ch->ctx, c, d->outbox_id, address, d->lang, text, &derr);
    crypto_wipe(address, sizeof(address));
    if (sent == 0 && notify_db_outbox_sent(c, d->outbox_id, now, &changed, err) == 0) {
        if (!changed) { /* someone else finished it meanwhile: keep theirs */
            store_rollback(c);
            return 0;
        }
        if (store_commit(c, err) < 0)
            return -1;
        pass->delivered++;
        return 0;
    }
    /* the connector failed (or the update did): undo its partial writes */
    store_rollback(c);
    if (derr.code[0] == '\0')
        err_set(&derr, 503, err->code[0] ? err->code : "notify.error", "not delivered");
    return record_failure(c, d, "pending", &derr, now, pass, err);
}

/* The lease's holder is "HOST:PID:RANDOM". A holder on this host whose process is gone (a
 * crash, kill -9) cannot be delivering: take its lease now instead of waiting for it to
 * expire. Its rows left `sending` are then dead-lettered by this pass. */
static int lease_of_dead_process(struct notify *n, struct store_conn *c, const char *me,
                                 int64_t now_ms, int *taken, struct err *err)
{
    char holder[128], host[64];
    *taken = 0;
    if (notify_db_lease_holder(c, LEASE_NAME, holder, sizeof(holder), err) < 0)
        return -1;
    const char *colon = strchr(holder, ':');
    size_t hl = colon ? (size_t)(colon - holder) : 0;
    if (colon == NULL || gethostname(host, sizeof(host)) != 0 || strlen(host) != hl ||
        strncmp(holder, host, hl) != 0)
        return 0;
    long pid = strtol(colon + 1, NULL, 10);
    if (pid <= 0 || pid == (long)getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
        return 0;
    (void)n;
    if (store_begin(c, err) < 0)
        return -1;
    if (notify_db_lease_steal(c, LEASE_NAME, holder, me, now_ms + NOTIFY_LEASE_MS, taken, err) <
            0 ||
        store_commit(c, err) < 0) {
        store_rollback(c);
        return -1;
    }
    if (*taken)
        log_kv(LOG_WARN, "delivery lease taken from a process that is gone", "job", LEASE_NAME,
               LOG_END);
    return 0;
}

int notify_deliver_due(struct notify *n, const char *holder, int64_t now_ms, int max,
                       struct notify_pass *pass, struct err *err)
{
    memset(pass, 0, sizeof(*pass));
    if (max < 1)
        max = 1;
    if (max > 500)
        max = 500;
    struct store_conn *c = store_conn(n->store, err);
    if (c == NULL)
        return -1;
    int taken = 0;
    if (store_begin(c, err) < 0)
        return -1;
    if (notify_db_lease_take(c, LEASE_NAME, holder, now_ms, now_ms + NOTIFY_LEASE_MS, &taken, err) <
            0 ||
        store_commit(c, err) < 0) {
        store_rollback(c);
        return -1;
    }
    if (!taken && lease_of_dead_process(n, c, holder, now_ms, &taken, err) < 0)
        return -1;
    if (!taken)
        return 0;
    pass->leased = 1;
    struct arena *a = arena_new(0);
    struct notify_due *due = a ? arena_alloc(a, sizeof(*due) * (size_t)max) : NULL;
    size_t count = 0;
    int rc = -1;
    if (due == NULL) {
        err_set(err, 500, "notify.oom", "out of memory");
        goto out;
    }
    struct err terr;
    err_clear(&terr);
    notify_templates_reload(n, 0, &terr); /* an administrator's edit on another node */
    int64_t orphans = 0;
    if (notify_db_interrupted(c, now_ms, &orphans, err) < 0)
        goto out;
    if (orphans > 0)
        log_kv(LOG_WARN, "notifications interrupted by a crash dead-lettered", "code",
               "notify.interrupted", LOG_END);
    if (notify_db_due(c, a, now_ms, max, due, &count, err) < 0)
        goto out;
    /* Rows for local connectors (the sandbox) go in one transaction: their records and
     * status changes commit together with one fsync. If any of them fails, that
     * transaction is undone and they go one by one below. */
    int batched = deliver_local_batch(n, c, a, due, count, now_ms, pass, err);
    if (batched < 0 || deliver_external_batch(n, c, a, due, count, now_ms, pass, err) < 0)
        goto out;
    for (size_t i = 0; i < count; i++)
        if (!is_external(n, &due[i]) && (!batched || !is_local(n, &due[i])) &&
            deliver_one(n, c, a, &due[i], now_ms, pass, err) < 0)
            goto out;
    rc = 0;
out:
    arena_free(a);
    return rc;
}

static void *job(void *arg)
{
    struct notify *n = arg;
    pthread_mutex_lock(&n->lock);
    while (!n->stop) {
        pthread_mutex_unlock(&n->lock);
        struct notify_pass pass;
        struct err err;
        err_clear(&err);
        if (notify_deliver_due(n, n->holder, time_now_ms(), 100, &pass, &err) < 0)
            log_kv(LOG_ERROR, "notification delivery pass failed", "code", err.code, "detail",
                   err.msg, LOG_END);
        pthread_mutex_lock(&n->lock);
        if (n->stop)
            break;
        if (pass.delivered + pass.retried + pass.failed > 0 && !n->stop)
            continue; /* more may be due: go on at once */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += n->interval_ms / 1000;
        ts.tv_nsec += (long)(n->interval_ms % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        while (!n->stop && pthread_cond_timedwait(&n->cond, &n->lock, &ts) != ETIMEDOUT)
            ;
    }
    pthread_mutex_unlock(&n->lock);
    return NULL;
}

int notify_start(struct notify *n, int interval_ms, struct err *err)
{
    if (n->running)
        return 0;
    n->interval_ms = interval_ms < 10 ? 10 : interval_ms;
    n->stop = 0;
    if (pthread_create(&n->thread, NULL, job, n) != 0)
        return err_set(err, 500, "notify.thread", "the delivery job cannot start");
    n->running = 1;
    return 0;
}

void notify_stop(struct notify *n)
{
    if (n == NULL || !n->running)
        return;
    pthread_mutex_lock(&n->lock);
    n->stop = 1;
    pthread_cond_broadcast(&n->cond);
    pthread_mutex_unlock(&n->lock);
    pthread_join(n->thread, NULL);
    n->running = 0;
}
