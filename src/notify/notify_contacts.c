/*
 * notify_contacts.c - a person's e-mail address and phone for messages (verified by a code
 * sent to them), their preferences (channel language, SMS quiet hours, channels turned off
 * per group of kinds), the routing of an account's message to those channels, and signed
 * delivery receipts.
 */
#include "notify/notify_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "base/phone.h"
#include "base/arena.h"
#include "base/id.h"
#include "base/log.h"
#include "crypto/crypto.h"
#include "notify/notify_contacts_store.h"
#include "store/store.h"
#include "web/i18n.h"

#define CODE_TTL_MS (15LL * 60 * 1000)
#define CODE_TRIES 5
#define UTC_OFFSET_H 8 /* quiet hours are China Standard Time */

/* Groups of kinds that cannot be turned off: what a person must hear about their own
 * applications and their account. */
static int essential(const char *group)
{
    return strcmp(group, "apply") == 0 || strcmp(group, "notify") == 0 ||
           strcmp(group, "identity") == 0;
}

static int channel_ok(const char *ch)
{
    return ch && (strcmp(ch, "email") == 0 || strcmp(ch, "sms") == 0);
}

int notify_seal(struct notify *n, const char *ad, const char *address, unsigned char *out,
                size_t size, size_t *len, struct err *err)
{
    if (crypto_aead_seal(crypto_keyring_aead(n->kr, CRYPTO_AEAD_PII), ad, strlen(ad), address,
                         strlen(address), out, size, len) < 0)
        return err_set(err, 500, "notify.crypto", "the address cannot be sealed");
    return 0;
}

int notify_open_sealed(struct notify *n, const char *ad, const unsigned char *in, size_t len,
                       char *out, size_t size, struct err *err)
{
    size_t got = 0;
    if (in == NULL || len <= CRYPTO_AEAD_OVERHEAD || len - CRYPTO_AEAD_OVERHEAD >= size ||
        crypto_aead_open(crypto_keyring_aead(n->kr, CRYPTO_AEAD_PII), ad, strlen(ad), in, len,
                         (unsigned char *)out, size - 1, &got) < 0)
        return err_set(err, 500, "notify.crypto", "the sealed address does not open");
    out[got] = '\0';
    return 0;
}

static void contact_ad(char *ad, size_t size, int64_t account_id, const char *channel)
{
    snprintf(ad, size, "notify_contacts.address:%lld:%.8s", (long long)account_id, channel);
}

static int code_hash(struct notify *n, int64_t account_id, const char *channel, const char *code,
                     char out[2 * CRYPTO_SM3_LEN + 1])
{
    char in[96];
    snprintf(in, sizeof(in), "notify.code:%lld:%s:%s", (long long)account_id, channel, code);
    return crypto_lookup_hash_hex(crypto_keyring_subkey(n->kr, CRYPTO_SUBKEY_PII_LOOKUP), in,
                                  strlen(in), out);
}

/* The outbox row of a message to `address` on `channel` (sealed to the row). */
static int outbox_to(struct notify *n, struct store_conn *c, int64_t message_id,
                     const char *channel, const char *address, int64_t at, int64_t now,
                     struct err *err)
{
    unsigned char sealed[320 + CRYPTO_AEAD_OVERHEAD];
    size_t len = 0;
    char ad[64];
    int64_t id = id_next();
    snprintf(ad, sizeof(ad), "notify_outbox.address:%lld", (long long)id);
    if (notify_seal(n, ad, address, sealed, sizeof(sealed), &len, err) < 0)
        return -1;
    return notify_db_outbox_insert_addr(c, id, message_id, channel, sealed, len, at, now, err);
}

int notify_contact_set(struct notify *n, int64_t account_id, const char *channel,
                       const char *address, const char *lang, struct err *err)
{
    char norm[300], masked[64];
    if (!channel_ok(channel))
        return err_set(err, 400, "notify.bad_channel", "the channel is email or sms");
    if (strcmp(channel, "email") == 0) {
        if (!notify_email_valid(address))
            return err_set(err, 400, "notify.bad_email", "not an e-mail address");
        snprintf(norm, sizeof(norm), "%s", address);
        notify_email_mask(norm, masked, sizeof(masked));
    } else {
        if (address == NULL || phone_normalize(address, PHONE_MOBILE, norm) < 0)
            return err_set(err, 400, "notify.bad_phone", "not a mainland mobile number");
        snprintf(masked, sizeof(masked), "%.3s****%.4s", norm, norm + 7);
    }
    unsigned char r[4], sealed[320 + CRYPTO_AEAD_OVERHEAD];
    char code[8], hash[2 * CRYPTO_SM3_LEN + 1], ad[96];
    size_t len = 0;
    if (crypto_random(r, sizeof(r)) < 0)
        return err_set(err, 500, "notify.random", "no randomness");
    uint32_t v = ((uint32_t)r[0] << 24 | (uint32_t)r[1] << 16 | (uint32_t)r[2] << 8 | r[3]);
    snprintf(code, sizeof(code), "%06u", v % 1000000u);
    contact_ad(ad, sizeof(ad), account_id, channel);
    int64_t now = time_now_ms(), message_id = id_next();
    struct store_conn *c = store_conn(n->store, err);
    if (c == NULL || code_hash(n, account_id, channel, code, hash) < 0 ||
        notify_seal(n, ad, norm, sealed, sizeof(sealed), &len, err) < 0)
        goto wipe;
    json_t *params = json_pack("{s:s}", "code", code);
    char *pj = params ? json_dumps(params, JSON_COMPACT) : NULL;
    json_decref(params);
    /* The code goes to the address only: the message has no inbox recipient. */
    struct notify_msg m = {
        .account_id = 0, .lang = lang ? i18n_lang(lang) : "zh", .kind = "notify.verify.code"};
    int rc = -1;
    if (pj != NULL && store_begin(c, err) == 0) {
        if (notify_db_contact_put(c, account_id, channel, sealed, len, masked, hash,
                                  now + CODE_TTL_MS, now, err) == 0 &&
            notify_db_message_insert(c, message_id, &m, m.lang, pj, NULL, 0, now, err) == 0 &&
            outbox_to(n, c, message_id, channel, norm, now, now, err) == 0 &&
            store_commit(c, err) == 0)
            rc = 0;
        else
            store_rollback(c);
    }
    free(pj);
    crypto_wipe(code, sizeof(code));
    crypto_wipe(norm, sizeof(norm));
    return rc;
wipe:
    crypto_wipe(code, sizeof(code));
    crypto_wipe(norm, sizeof(norm));
    return -1;
}

int notify_contact_verify(struct notify *n, int64_t account_id, const char *channel,
                          const char *code, struct err *err)
{
    if (!channel_ok(channel))
        return err_set(err, 400, "notify.bad_channel", "the channel is email or sms");
    struct store_conn *c = store_conn(n->store, err);
    struct notify_db_code k;
    int64_t now = time_now_ms();
    if (c == NULL || notify_db_code_get(c, account_id, channel, &k, err) < 0)
        return -1;
    if (!k.found || k.hash[0] == '\0' || k.expires_at < now || k.tries >= CODE_TRIES)
        return err_set(err, 400, "notify.bad_code", "the code is wrong or has expired");
    char hash[2 * CRYPTO_SM3_LEN + 1];
    int good = code != NULL && strlen(code) == 6 &&
               code_hash(n, account_id, channel, code, hash) == 0 &&
               crypto_equal(hash, k.hash, strlen(hash)) && strlen(k.hash) == strlen(hash);
    if (notify_db_code_result(c, account_id, channel, good, now, err) < 0)
        return -1;
    return good ? 0 : err_set(err, 400, "notify.bad_code", "the code is wrong or has expired");
}

int notify_contacts(struct notify *n, int64_t account_id, struct notify_contact out[2],
                    size_t *count, struct err *err)
{
    struct store_conn *c = store_conn(n->store, err);
    return c == NULL ? -1 : notify_db_contacts(c, account_id, out, count, err);
}

int notify_prefs_set(struct notify *n, int64_t account_id, const char *lang, int quiet_from,
                     int quiet_to, struct err *err)
{
    if (lang && *lang && strcmp(lang, "zh") && strcmp(lang, "bo") && strcmp(lang, "en"))
        return err_set(err, 400, "notify.bad_lang", "the language is zh, bo or en");
    if (quiet_from < 0 || quiet_from > 23 || quiet_to < 0 || quiet_to > 23)
        return err_set(err, 400, "notify.bad_hours", "quiet hours are 0 to 23");
    struct store_conn *c = store_conn(n->store, err);
    return c == NULL ? -1
                     : notify_db_prefs_put(c, account_id, lang && *lang ? lang : NULL, quiet_from,
                                           quiet_to, time_now_ms(), err);
}

int notify_optout_set(struct notify *n, int64_t account_id, const char *group, const char *channel,
                      int off, struct err *err)
{
    if (!channel_ok(channel))
        return err_set(err, 400, "notify.bad_channel", "the channel is email or sms");
    if (group == NULL || (strcmp(group, "notices") && strcmp(group, "remind") &&
                          strcmp(group, "benefit") && !essential(group)))
        return err_set(err, 400, "notify.bad_group", "no such group of messages");
    if (essential(group))
        return err_set(err, 400, "notify.essential", "essential messages cannot be turned off");
    struct store_conn *c = store_conn(n->store, err);
    return c == NULL ? -1 : notify_db_optout(c, account_id, group, channel, off, err);
}

const char *const notify_optional_groups[] = {"notices", "remind", "benefit", NULL};

int notify_prefs_get(struct notify *n, int64_t account_id, struct notify_prefs_view *out,
                     struct err *err)
{
    static const char *const chans[2] = {"email", "sms"};
    struct store_conn *c = store_conn(n->store, err);
    struct notify_db_prefs p;
    memset(out, 0, sizeof(*out));
    if (c == NULL || notify_db_prefs_get(c, account_id, &p, err) < 0)
        return -1;
    if (p.found) {
        snprintf(out->lang, sizeof(out->lang), "%s", p.lang);
        out->quiet_from = p.quiet_from;
        out->quiet_to = p.quiet_to;
    }
    for (int g = 0; g < 3; g++)
        for (int k = 0; k < 2; k++)
            if (notify_db_optout_get(c, account_id, notify_optional_groups[g], chans[k],
                                     &out->off[g][k], err) < 0)
                return -1;
    return 0;
}

/* The first moment at or after `now` outside the quiet hours [from, to) (local time). */
static int64_t after_quiet(int64_t now, int from, int to)
{
    if (from == to)
        return now;
    int64_t day = 86400000LL, hour = 3600000LL;
    int64_t local = now + UTC_OFFSET_H * hour;
    int h = (int)((local % day) / hour);
    int quiet = from < to ? (h >= from && h < to) : (h >= from || h < to);
    if (!quiet)
        return now;
    int64_t start_of_day = local - local % day;
    int64_t end = start_of_day + to * hour;
    if (end <= local)
        end += day;
    return end - UTC_OFFSET_H * hour;
}

int notify_route_account(struct notify *n, struct store_conn *c, int64_t message_id,
                         int64_t account_id, const char *kind, int has_phone,
                         const struct notify_db_prefs *prefs, int64_t now, struct err *err)
{
    struct notify_db_route r[2];
    size_t count = 0;
    const struct notify_db_prefs p = *prefs;
    char group[32];
    size_t gl = strcspn(kind, ".");
    snprintf(group, sizeof(group), "%.*s", (int)(gl < 31 ? gl : 31), kind);
    if (notify_db_routes(c, account_id, r, &count, err) < 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < count && rc == 0; i++) {
        if (strcmp(r[i].channel, "sms") == 0 && has_phone)
            continue;
        int off = 0;
        if (!essential(group) &&
            notify_db_optout_get(c, account_id, group, r[i].channel, &off, err) < 0)
            return -1;
        if (off)
            continue;
        char ad[96], address[300];
        contact_ad(ad, sizeof(ad), account_id, r[i].channel);
        if (notify_open_sealed(n, ad, r[i].address_enc, r[i].address_len, address, sizeof(address),
                               err) < 0)
            return -1;
        int64_t at = strcmp(r[i].channel, "sms") == 0 && p.found
                         ? after_quiet(now, p.quiet_from, p.quiet_to)
                         : now;
        rc = outbox_to(n, c, message_id, r[i].channel, address, at, now, err);
        crypto_wipe(address, sizeof(address));
    }
    return rc;
}

/* ---- receipts --------------------------------------------------------------------------- */

static int code_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 60)
        return 0;
    for (; *s; s++)
        if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '.' || *s == '_'))
            return 0;
    return 1;
}

int notify_receipt(struct notify *n, const char *body, size_t len, const char *signature,
                   struct err *err)
{
    char want[80];
    if (n->receipt_secret[0] == '\0' || signature == NULL ||
        notify_sign(n->receipt_secret, body, len, want) < 0 || strlen(signature) != strlen(want) ||
        !crypto_equal(signature, want, strlen(want)))
        return err_set(err, 401, "notify.bad_signature", "the receipt's signature is not valid");
    json_t *j = json_loadb(body, len, 0, NULL);
    const char *id = json_string_value(json_object_get(j, "id"));
    const char *status = json_string_value(json_object_get(j, "status"));
    const char *code = json_string_value(json_object_get(j, "code"));
    char *end = NULL;
    long long oid = id ? strtoll(id, &end, 10) : 0;
    int rc = -1;
    if (oid <= 0 || *end != '\0' || status == NULL ||
        (strcmp(status, "delivered") && strcmp(status, "failed")) ||
        (code != NULL && !code_ok(code))) {
        err_set(err, 400, "notify.bad_receipt", "a receipt has an id, a status and a code");
        goto out;
    }
    struct store_conn *c = store_conn(n->store, err);
    int changed = 0, found = 0;
    char now_status[16] = "";
    if (c == NULL || notify_db_outbox_finish(
                         c, oid, "sent", status,
                         strcmp(status, "failed") == 0 ? (code ? code : "notify.bounced") : NULL,
                         time_now_ms(), &changed, err) < 0)
        goto out;
    if (!changed) {
        if (notify_db_outbox_status(c, oid, now_status, &found, err) < 0)
            goto out;
        if (!found) {
            err_set(err, 404, "notify.not_found", "no such message");
            goto out;
        }
        if (strcmp(now_status, status) != 0) {
            err_set(err, 409, "notify.receipt_state",
                    "the message is not in a state to receive it");
            goto out;
        }
    }
    rc = 0;
out:
    json_decref(j);
    return rc;
}

/* ---- the operator's view ---------------------------------------------------------------- */

int notify_ops(struct notify *n, struct arena *a, const char *status, int64_t before, int limit,
               struct notify_op **out, size_t *count, struct err *err)
{
    if (limit < 1 || limit > 100)
        limit = 50;
    struct notify_op *rows = arena_alloc(a, sizeof(*rows) * (size_t)limit);
    struct store_conn *c = store_conn(n->store, err);
    if (rows == NULL || c == NULL)
        return rows == NULL ? err_set(err, 500, "notify.oom", "out of memory") : -1;
    *out = rows;
    return notify_db_ops(c, a, status && *status ? status : NULL, before, limit, rows, count, err);
}

int notify_resend(struct notify *n, int64_t actor, const char *ip, int64_t outbox_id,
                  struct err *err)
{
    struct store_conn *c = store_conn(n->store, err);
    int changed = 0;
    char object[48];
    snprintf(object, sizeof(object), "notify_outbox:%lld", (long long)outbox_id);
    struct audit_event ev = {actor, "notify.resend", object, "ok", ip, NULL};
    if (c == NULL || store_begin(c, err) < 0)
        return -1;
    if (notify_db_resend(c, outbox_id, time_now_ms(), &changed, err) < 0 ||
        (changed && audit_record(c, &ev, err) < 0)) {
        store_rollback(c);
        return -1;
    }
    if (!changed) {
        store_rollback(c);
        return err_set(err, 409, "notify.not_failed", "only a failed message can be resent");
    }
    return store_commit(c, err);
}

int notify_send_email(struct notify *n, const struct notify_msg *m, const char *email,
                      int64_t *message_id, struct err *err)
{
    if (!notify_email_valid(email))
        return err_set(err, 400, "notify.bad_email", "not an e-mail address");
    int64_t id = 0, now = time_now_ms();
    struct store_conn *c = store_conn(n->store, err);
    if (c == NULL || notify_send_id_to_address(n, m, &id, err) < 0 ||
        outbox_to(n, c, id, "email", email, now, now, err) < 0)
        return -1;
    if (message_id)
        *message_id = id;
    return 0;
}
