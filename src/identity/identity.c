/*
 * identity.c - accounts, registration, login, second factor and passwords (identity.h).
 * Roles and the authorization table are in authz.c, the SQL in identity_store.c, the
 * pages in identity_http.c.
 *
 * Login throttling (ASVS 2.2.1, 等保 "登录失败处理") without a lock-out an attacker can
 * impose: failures are counted per (account, address) — a pause there only slows the
 * attacker's own address — and per account from everywhere with a much higher threshold,
 * which stops distributed guessing at the cost of short pauses. Pauses grow (60 s,
 * doubling) and are capped at 15 minutes; nothing locks an account for good.
 */
#include "identity/identity_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit/audit.h"
#include "base/arena.h"
#include "base/id.h"
#include "base/log.h"
#include "base/phone.h"
#include "base/utf8.h"
#include "store/store.h"

#define PAUSE_CAP_MS (15 * 60 * 1000LL)
#define WINDOW_MS (15 * 60 * 1000LL)
#define ACCOUNT_GLOBAL_FAILURES 50
#define NAME_MAX_CHARS 64
#define PASSWORD_MIN 8
#define RECOVERY_CODES 10
#define TAKEN_ANSWERS_PER_WINDOW 10

/* One throttle counter: a key ("ip:ADDR", "a:ID:ADDR", "a:ID", "t:ID:ADDR"), how many
 * failures in the window it tolerates and the first pause. */
struct gate {
    const char *key;
    int limit;
    int64_t base_ms;
    int count;   /* attempts in the window, this one included */
    int entered; /* counted (to undo on success) */
};

int identity_open(struct store *s, struct crypto_keyring *kr, const struct identity_options *o,
                  struct identity **out, struct err *err)
{
    struct identity *id = calloc(1, sizeof(*id));
    if (id == NULL)
        return err_set(err, 500, "identity.oom", "out of memory");
    id->store = s;
    id->kr = kr;
    if (o != NULL)
        id->opt = *o;
    if (id->opt.max_failures <= 0)
        id->opt.max_failures = 5;
    if (id->opt.pause_s <= 0)
        id->opt.pause_s = 60;
    if (id->opt.ip_max_failures <= 0)
        id->opt.ip_max_failures = 50;
    if (id->opt.totp_issuer == NULL)
        id->opt.totp_issuer = "onewindow";
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    struct crypto_password_params params =
        id->opt.fast_passwords ? CRYPTO_PASSWORD_TEST : CRYPTO_PASSWORD_DEFAULT;
    if (crypto_pwhash_new(&params, cores > 0 ? (unsigned)cores : 1, &id->ph, err) < 0)
        goto fail;
    unsigned char pw[24];
    char pw_b64[40];
    if (crypto_random(pw, sizeof(pw)) < 0 ||
        crypto_b64url_encode(pw, sizeof(pw), pw_b64, sizeof(pw_b64)) < 0 ||
        crypto_password_hash(id->ph, pw_b64, strlen(pw_b64), id->dummy_hash,
                             sizeof(id->dummy_hash)) < 0) {
        crypto_wipe(pw_b64, sizeof(pw_b64));
        err_set(err, 500, "identity.crypto", "cannot prepare password hashing");
        goto fail;
    }
    crypto_wipe(pw, sizeof(pw));
    crypto_wipe(pw_b64, sizeof(pw_b64));
    *out = id;
    return 0;
fail:
    identity_close(id);
    return -1;
}

void identity_close(struct identity *id)
{
    if (id == NULL)
        return;
    crypto_pwhash_free(id->ph);
    free(id);
}

struct store *identity_store(struct identity *id)
{
    return id->store;
}

void identity_on_sessions_ended(struct identity *id, identity_sessions_ended_fn fn, void *ctx)
{
    id->on_ended = fn;
    id->on_ended_ctx = ctx;
}

void identity_sessions_ended(struct identity *id, int64_t account_id, const char *reason,
                             const char *ip)
{
    if (id->on_ended != NULL)
        id->on_ended(id->on_ended_ctx, account_id, reason, ip);
}

static void audit(struct store_conn *c, int64_t actor, const char *action, const char *object,
                  const char *outcome, const char *ip, const char *detail)
{
    struct audit_event ev = {actor, action, object, outcome, ip, detail};
    struct err err;
    if (audit_record(c, &ev, &err) < 0)
        log_kv(LOG_ERROR, "audit record failed", "action", action, "detail", err.msg, LOG_END);
}

static void field_error(struct identity_field_errors *fe, const char *field, const char *code,
                        const char *msg)
{
    if (fe->n == IDENTITY_MAX_FIELD_ERRORS)
        return;
    fe->e[fe->n].field = field;
    snprintf(fe->e[fe->n].code, sizeof(fe->e[0].code), "%s", code);
    snprintf(fe->e[fe->n].msg, sizeof(fe->e[0].msg), "%s", msg);
    fe->n++;
}

/* ---- personal data ------------------------------------------------------------------- */

/* "accounts.<column>:<id>" binds a sealed value to its row and column: a ciphertext
 * copied into another row or column does not open. */
static void pii_ad(char *ad, size_t n, const char *column, int64_t account_id)
{
    snprintf(ad, n, "accounts.%s:%lld", column, (long long)account_id);
}

static unsigned char *seal(struct identity *id, struct arena *a, int use, const char *column,
                           int64_t account_id, const char *value, size_t *len)
{
    char ad[96];
    pii_ad(ad, sizeof(ad), column, account_id);
    size_t n = strlen(value), cap = n + CRYPTO_AEAD_OVERHEAD;
    unsigned char *out = arena_alloc(a, cap);
    if (out == NULL || crypto_aead_seal(crypto_keyring_aead(id->kr, use), ad, strlen(ad), value, n,
                                        out, cap, len) < 0)
        return NULL;
    return out;
}

static char *open_sealed(struct identity *id, struct arena *a, int use, const char *column,
                         int64_t account_id, const unsigned char *in, size_t n)
{
    char ad[96];
    pii_ad(ad, sizeof(ad), column, account_id);
    if (in == NULL || n < CRYPTO_AEAD_OVERHEAD)
        return NULL;
    char *out = arena_alloc(a, n - CRYPTO_AEAD_OVERHEAD + 1);
    size_t len = 0;
    if (out == NULL || crypto_aead_open(crypto_keyring_aead(id->kr, use), ad, strlen(ad), in, n,
                                        (unsigned char *)out, n - CRYPTO_AEAD_OVERHEAD, &len) < 0) {
        log_kv(LOG_ERROR, "a sealed column does not open", "column", column, LOG_END);
        return NULL;
    }
    out[len] = '\0';
    return out;
}

static int lookup_hash(struct identity *id, const char *value, char out[65])
{
    return crypto_lookup_hash_hex(crypto_keyring_subkey(id->kr, CRYPTO_SUBKEY_PII_LOOKUP), value,
                                  strlen(value), out);
}

static int today_yyyymmdd(void)
{
    time_t t = time(NULL) + 8 * 3600; /* Asia/Shanghai */
    struct tm tm;
    gmtime_r(&t, &tm);
    return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

static int account_read(struct identity *id, struct arena *a, int64_t account_id,
                        struct identity_account *out, int with_pii, struct err *err);

int identity_account_get(struct identity *id, struct arena *a, int64_t account_id,
                         struct identity_account *out, struct err *err)
{
    return account_read(id, a, account_id, out, 1, err);
}

int identity_account_summary(struct identity *id, struct arena *a, int64_t account_id,
                             struct identity_account *out, struct err *err)
{
    return account_read(id, a, account_id, out, 0, err);
}

int identity_account_active(struct identity *id, int64_t account_id, struct err *err)
{
    struct store_conn *c = store_conn(id->store, err);
    int active = 0;
    if (c == NULL || identity_db_account_active(c, account_id, &active, err) < 0)
        return -1;
    return active;
}

static void account_summary_fill(struct identity_account *out, const struct account_row *r)
{
    memset(out, 0, sizeof(*out));
    out->id = r->id;
    out->kind = r->kind;
    out->username = r->username;
    out->name = r->name;
    out->totp_enabled = r->totp_enc != NULL;
    out->lang = r->lang;
    out->status = r->status;
    out->created_at = r->created_at;
}

static int account_read(struct identity *id, struct arena *a, int64_t account_id,
                        struct identity_account *out, int with_pii, struct err *err)
{
    struct store_conn *c = store_conn(id->store, err);
    struct account_row r;
    int found = 0;
    if (c == NULL || identity_db_account_get(c, a, account_id, &r, &found, err) < 0)
        return -1;
    if (!found)
        return err_set(err, 404, "identity.not_found", "no account has this id");
    account_summary_fill(out, &r);
    if (!with_pii)
        return 0;
    const char *idn =
        open_sealed(id, a, CRYPTO_AEAD_PII, "id_number", r.id, r.id_enc, r.id_enc_len);
    const char *phone =
        open_sealed(id, a, CRYPTO_AEAD_PII, "phone", r.id, r.phone_enc, r.phone_enc_len);
    if (idn != NULL) {
        char *m = arena_alloc(a, strlen(idn) + 1);
        if (m != NULL)
            idcode_mask(idn, 4, 4, m);
        out->id_number_masked = m;
        crypto_wipe((void *)idn, strlen(idn));
    }
    if (phone != NULL) {
        char *m = arena_alloc(a, strlen(phone) + 1);
        if (m != NULL)
            idcode_mask(phone, 3, 4, m);
        out->phone_masked = m;
        crypto_wipe((void *)phone, strlen(phone));
    }
    return 0;
}

int identity_account_private(struct identity *id, struct arena *a, int64_t account_id,
                             const char **id_number, const char **phone, struct err *err)
{
    return identity_account_with_private(id, a, account_id, NULL, id_number, phone, err);
}

int identity_account_with_private(struct identity *id, struct arena *a, int64_t account_id,
                                  struct identity_account *summary, const char **id_number,
                                  const char **phone, struct err *err)
{
    struct store_conn *c = store_conn(id->store, err);
    struct account_row r;
    int found = 0;
    if (c == NULL || identity_db_account_get(c, a, account_id, &r, &found, err) < 0)
        return -1;
    if (!found)
        return err_set(err, 404, "identity.not_found", "no account has this id");
    if (summary != NULL)
        account_summary_fill(summary, &r);
    if (id_number != NULL)
        *id_number = open_sealed(id, a, CRYPTO_AEAD_PII, "id_number", r.id, r.id_enc, r.id_enc_len);
    if (phone != NULL)
        *phone = open_sealed(id, a, CRYPTO_AEAD_PII, "phone", r.id, r.phone_enc, r.phone_enc_len);
    return 0;
}

/* ---- registration ---------------------------------------------------------------------- */

static int gate_enter(struct store_conn *c, struct gate *g, int64_t now, int *retry_s,
                      struct err *err);

/* An answer that tells something about a registered person (the number is taken, the name
 * does not match): from one address only TAKEN_ANSWERS_PER_WINDOW times per window (gate
 * `kind`:address), then the form pauses instead. 0, or -1 with err. */
static int answer_gated(struct store_conn *c, const char *ip, const char *kind,
                        struct identity_field_errors *fe, const char *field, const char *code,
                        const char *msg, struct err *err)
{
    char rkey[96];
    int retry = 0;
    snprintf(rkey, sizeof(rkey), "%s:%s", kind, ip ? ip : "-");
    struct gate g = {rkey, TAKEN_ANSWERS_PER_WINDOW, WINDOW_MS, 0, 0};
    int refused = gate_enter(c, &g, time_now_ms(), &retry, err);
    if (refused < 0)
        return -1;
    if (refused)
        field_error(fe, "id_number", "identity.register_paused",
                    "too many registrations from this address: try again later");
    else
        field_error(fe, field, code, msg);
    return 0;
}

static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        n += (*p & 0xc0) != 0x80;
    return n;
}

static void check_password(const char *pw, const char *again, int staff,
                           struct identity_field_errors *fe)
{
    size_t n = pw ? strlen(pw) : 0;
    if (n < PASSWORD_MIN) {
        field_error(fe, "password", "identity.password_short",
                    "the password needs at least 8 characters");
    } else if (n > CRYPTO_PASSWORD_MAX) {
        field_error(fe, "password", "identity.password_long", "the password is too long");
    } else if (staff) {
        /* 等保 2.0 level 3 profile for staff: at least three kinds of characters. */
        int lower = 0, upper = 0, digit = 0, other = 0;
        for (const char *p = pw; *p; p++) {
            if (islower((unsigned char)*p))
                lower = 1;
            else if (isupper((unsigned char)*p))
                upper = 1;
            else if (isdigit((unsigned char)*p))
                digit = 1;
            else
                other = 1;
        }
        if (n < 10 || lower + upper + digit + other < 3)
            field_error(fe, "password", "identity.password_weak",
                        "staff passwords need 10 characters of three kinds (lower case, upper "
                        "case, digits, symbols)");
    }
    if (again != NULL && pw != NULL && strcmp(pw, again) != 0)
        field_error(fe, "password_again", "identity.password_mismatch", "the two passwords differ");
}

void identity_set_registers(struct identity *id, const struct identity_registers *r)
{
    id->registers = *r;
}

/* The population register's word on name + ID number. Its answer tells whether a name goes
 * with a number, so a contradiction is told to one address only TAKEN_ANSWERS_PER_WINDOW
 * times per window (the gate of taken numbers), and then the form pauses. */
static int check_person(struct identity *id, struct store_conn *c, const char *name,
                        const char *idnum, const char *ip, struct identity_field_errors *fe,
                        struct err *err)
{
    if (id->registers.person == NULL || !idnum[0] || !*name)
        return 0;
    int r = id->registers.person(id->registers.ctx, name, idnum, err);
    if (r < 0)
        return -1;
    if (r != 1)
        return 0;
    return answer_gated(c, ip, "m", fe, "name", "identity.name_mismatch",
                        "the name and ID number do not match the population register", err);
}

int identity_register_citizen(struct identity *id, const struct identity_registration *in,
                              const char *ip, int64_t *account_id, struct identity_field_errors *fe,
                              struct err *err)
{
    fe->n = 0;
    char idnum[IDCODE_LEN + 1] = "", phone[PHONE_MAX] = "", id_hash[65], phone_hash[65];
    const char *name = in->name ? in->name : "";
    while (*name == ' ')
        name++;
    size_t nchars = utf8_chars(name);
    if (nchars == 0)
        field_error(fe, "name", "identity.name_missing", "enter your name as on your ID card");
    else if (nchars > NAME_MAX_CHARS)
        field_error(fe, "name", "identity.name_long", "the name is too long");
    struct err e;
    if (idcode_citizen_normalize(in->id_number ? in->id_number : "", idnum, today_yyyymmdd(), &e) <
        0) {
        field_error(fe, "id_number", e.code, e.msg);
        idnum[0] = '\0';
    }
    if (in->phone == NULL || phone_normalize(in->phone, PHONE_MOBILE, phone) < 0) {
        field_error(fe, "phone", "identity.phone_invalid",
                    "a mobile number has 11 digits and starts with 13-19");
        phone[0] = '\0';
    }
    check_password(in->password, in->password_again, 0, fe);
    if (in->password != NULL && idnum[0] && strstr(in->password, idnum) != NULL)
        field_error(fe, "password", "identity.password_personal",
                    "the password must not contain your ID number");

    struct store_conn *c = store_conn(id->store, err);
    if (c == NULL)
        return -1;
    int found = 0;
    int64_t other;
    if (idnum[0]) {
        if (lookup_hash(id, idnum, id_hash) < 0 ||
            identity_db_account_by_id_hash(c, id_hash, &other, &found, err) < 0)
            return -1;
        if (found) {
            /* The answer tells whether an ID number is registered: from one address only
             * TAKEN_ANSWERS_PER_WINDOW times per window, so the form is no enumeration
             * oracle. */
            if (answer_gated(c, ip, "r", fe, "id_number", "identity.id_taken",
                             "an account with this ID number exists: log in, or recover it",
                             err) < 0)
                return -1;
        }
    }
    if (fe->n == 0 && check_person(id, c, name, idnum, ip, fe, err) < 0)
        return -1;
    if (fe->n > 0)
        return 1;

    struct arena *a = arena_new(0);
    if (a == NULL)
        return err_set(err, 500, "identity.oom", "out of memory");
    int rc = -1;
    struct account_row r;
    memset(&r, 0, sizeof(r));
    r.id = id_next();
    r.kind = IDENTITY_CITIZEN;
    /* Stored in NFC: the same name typed on another keyboard is the same string. */
    if ((r.name = utf8_nfc_in(a, name)) == NULL) {
        err_set(err, 500, "identity.oom", "out of memory");
        goto out;
    }
    r.lang = in->lang;
    r.created_at = time_now_ms();
    char pwhash[CRYPTO_PASSWORD_HASH_SIZE];
    if (crypto_password_hash(id->ph, in->password, strlen(in->password), pwhash, sizeof(pwhash)) <
        0) {
        err_set(err, 500, "identity.crypto", "cannot hash the password");
        goto out;
    }
    r.password_hash = pwhash;
    r.id_enc = seal(id, a, CRYPTO_AEAD_PII, "id_number", r.id, idnum, &r.id_enc_len);
    r.phone_enc = seal(id, a, CRYPTO_AEAD_PII, "phone", r.id, phone, &r.phone_enc_len);
    if (r.id_enc == NULL || r.phone_enc == NULL || lookup_hash(id, phone, phone_hash) < 0) {
        err_set(err, 500, "identity.crypto", "cannot encrypt personal data");
        goto out;
    }
    if (store_begin(c, err) < 0)
        goto out;
    char object[48];
    snprintf(object, sizeof(object), "account:%lld", (long long)r.id);
    struct audit_event ev = {r.id, "identity.register", object, "ok", ip, "citizen"};
    if (identity_db_account_insert(c, &r, id_hash, phone_hash, err) < 0 ||
        audit_record(c, &ev, err) < 0) {
        store_rollback(c);
        if (strcmp(err->code, "store.conflict") == 0) {
            /* Registered by a concurrent request since we looked: the same answer. */
            field_error(fe, "id_number", "identity.id_taken",
                        "an account with this ID number exists: log in, or recover it");
            rc = 1;
        }
        goto out;
    }
    if (store_commit(c, err) < 0)
        goto out;
    *account_id = r.id;
    rc = 0;
out:
    crypto_wipe(idnum, sizeof(idnum));
    crypto_wipe(phone, sizeof(phone));
    crypto_wipe(pwhash, sizeof(pwhash));
    arena_free(a);
    return rc;
}

/* ---- throttling ------------------------------------------------------------------------ */

static int64_t pause_for(const struct gate *g)
{
    int64_t pause = g->base_ms;
    for (int over = g->count - g->limit; over > 0 && pause < PAUSE_CAP_MS; over--)
        pause *= 2;
    return pause < PAUSE_CAP_MS ? pause : PAUSE_CAP_MS;
}

/* Count this attempt before it is tried, so parallel attempts cannot slip past the limit:
 * returns 1 (refuse, *retry_s set) when the key is paused, or when this attempt is over
 * the limit before any pause was recorded (parallel guesses racing the first pause);
 * 0 to go on; -1 on error. A refused attempt is not counted: the counter holds the
 * attempts that were tried. Once a pause has ended, the next attempt is tried; if it
 * fails, gate_failed pauses again for twice as long. */
static int gate_enter(struct store_conn *c, struct gate *g, int64_t now, int *retry_s,
                      struct err *err)
{
    int64_t blocked_until = 0;
    if (identity_db_throttle_hit(c, g->key, now, WINDOW_MS, &g->count, &blocked_until, err) < 0)
        return -1;
    g->entered = 1;
    if (blocked_until <= now && (g->count <= g->limit || blocked_until != 0))
        return 0;
    if (blocked_until <= now) {
        blocked_until = now + g->base_ms;
        if (identity_db_throttle_block(c, g->key, blocked_until, err) < 0)
            return -1;
    }
    if (identity_db_throttle_undo(c, g->key, err) < 0)
        return -1;
    g->entered = 0;
    int s = (int)((blocked_until - now + 999) / 1000);
    if (s > *retry_s)
        *retry_s = s;
    return 1;
}

/* After a failed attempt: pause the key once it has reached its limit. */
static int gate_failed(struct store_conn *c, const struct gate *g, int64_t now, struct err *err)
{
    if (!g->entered || g->count < g->limit)
        return 0;
    return identity_db_throttle_block(c, g->key, now + pause_for(g), err);
}

/* After a success: the attempt does not count against shared keys; a pair starts over. */
static int gate_passed(struct store_conn *c, const struct gate *g, int reset, struct err *err)
{
    if (!g->entered)
        return 0;
    return reset ? identity_db_throttle_clear(c, g->key, err)
                 : identity_db_throttle_undo(c, g->key, err);
}

/* Which account a login name means: an ID number, a mobile number or a staff username.
 * found = 0 when none. */
static int resolve_login(struct identity *id, struct store_conn *c, const char *login,
                         int64_t *account_id, int *found, struct err *err)
{
    char norm[IDCODE_LEN + 1], hash[65];
    struct err e;
    *found = 0;
    if (idcode_citizen_normalize(login, norm, 0, &e) == 0) {
        int rc = lookup_hash(id, norm, hash) < 0
                     ? -1
                     : identity_db_account_by_id_hash(c, hash, account_id, found, err);
        crypto_wipe(norm, sizeof(norm));
        return rc;
    }
    char phone[PHONE_MAX];
    if (phone_normalize(login, PHONE_MOBILE, phone) > 0) {
        if (lookup_hash(id, phone, hash) < 0)
            return err_set(err, 500, "identity.crypto", "cannot hash");
        return identity_db_account_by_phone_hash(c, hash, account_id, found, err);
    }
    return identity_db_account_by_username(c, login, account_id, found, err);
}

int identity_login(struct identity *id, const char *login, const char *password, const char *ip,
                   int64_t *account_id, int *result, int *retry_after_s, struct err *err)
{
    *result = IDENTITY_LOGIN_BAD;
    *retry_after_s = 0;
    if (login == NULL || password == NULL || strlen(login) > 128 ||
        strlen(password) > CRYPTO_PASSWORD_MAX)
        return 0;
    struct store_conn *c = store_conn(id->store, err);
    if (c == NULL)
        return -1;
    int64_t now = time_now_ms();
    char ipkey[96], pairkey[160], acckey[64], object[48];
    int64_t aid = 0;
    int found = 0;
    if (resolve_login(id, c, login, &aid, &found, err) < 0)
        return -1;
    snprintf(ipkey, sizeof(ipkey), "ip:%s", ip ? ip : "-");
    snprintf(object, sizeof(object), "account:%lld", (long long)aid);
    snprintf(pairkey, sizeof(pairkey), "a:%lld:%s", (long long)aid, ip ? ip : "-");
    snprintf(acckey, sizeof(acckey), "a:%lld", (long long)aid);
    int64_t pause_ms = (int64_t)id->opt.pause_s * 1000;
    struct gate gates[3] = {
        {ipkey, id->opt.ip_max_failures, WINDOW_MS, 0, 0},
        {pairkey, id->opt.max_failures, pause_ms, 0, 0},
        {acckey, ACCOUNT_GLOBAL_FAILURES, pause_ms, 0, 0},
    };
    size_t ngates = found ? 3 : 1;
    int refused = 0;
    for (size_t i = 0; i < ngates && !refused; i++) {
        int g = gate_enter(c, &gates[i], now, retry_after_s, err);
        if (g < 0)
            return -1;
        refused = g;
    }
    if (refused) {
        for (size_t i = 0; i < ngates; i++)
            gate_passed(c, &gates[i], 0, err); /* not tried: not counted */
        *result = IDENTITY_LOGIN_PAUSED;
        audit(c, found ? aid : 0, "identity.login", found ? object : NULL, "paused", ip, NULL);
        return 0;
    }

    struct arena *a = arena_new(0);
    if (a == NULL)
        return err_set(err, 500, "identity.oom", "out of memory");
    struct account_row r;
    int have = 0;
    if (found && identity_db_account_get(c, a, aid, &r, &have, err) < 0) {
        arena_free(a);
        return -1;
    }
    /* Verify against a dummy hash when the account is unknown, so timing tells nothing. */
    struct err perr;
    int ok = crypto_password_verify(id->ph, have ? r.password_hash : id->dummy_hash, password,
                                    strlen(password), &perr) == 0;
    ok = ok && have && strcmp(r.status, "active") == 0;
    int rc = 0;
    if (!ok) {
        for (size_t i = 0; i < ngates; i++)
            if (gate_failed(c, &gates[i], now, err) < 0)
                rc = -1;
        audit(c, have ? aid : 0, "identity.login", have ? object : NULL, "failed", ip,
              have ? "wrong password" : "unknown login");
        goto out;
    }
    gate_passed(c, &gates[0], 0, err);
    gate_passed(c, &gates[1], 1, err);
    gate_passed(c, &gates[2], 0, err);
    if (crypto_password_needs_rehash(id->ph, r.password_hash)) {
        char fresh[CRYPTO_PASSWORD_HASH_SIZE];
        if (crypto_password_hash(id->ph, password, strlen(password), fresh, sizeof(fresh)) == 0)
            identity_db_account_set_password(c, aid, fresh, err);
        crypto_wipe(fresh, sizeof(fresh));
    }
    *account_id = aid;
    if (r.totp_enc != NULL)
        *result = IDENTITY_LOGIN_NEED_TOTP;
    else if (r.kind == IDENTITY_STAFF)
        *result = IDENTITY_LOGIN_ENROL_TOTP;
    else
        *result = IDENTITY_LOGIN_OK;
    audit(c, aid, "identity.login", object, *result == IDENTITY_LOGIN_OK ? "ok" : "password_ok", ip,
          NULL);
out:
    arena_free(a);
    return rc;
}

/* Decrypt an account's TOTP secret into `secret` (CRYPTO_TOTP_SECRET_LEN bytes). */
static int totp_secret(struct identity *id, const struct account_row *r,
                       unsigned char secret[CRYPTO_TOTP_SECRET_LEN])
{
    char ad[96];
    pii_ad(ad, sizeof(ad), "totp", r->id);
    size_t len = 0;
    if (r->totp_enc == NULL ||
        crypto_aead_open(crypto_keyring_aead(id->kr, CRYPTO_AEAD_SECRETS), ad, strlen(ad),
                         r->totp_enc, r->totp_enc_len, secret, CRYPTO_TOTP_SECRET_LEN, &len) < 0 ||
        len != CRYPTO_TOTP_SECRET_LEN)
        return -1;
    return 0;
}

int identity_login_second_factor(struct identity *id, int64_t account_id, const char *code,
                                 const char *ip, int *ok, int *retry_after_s, struct err *err)
{
    *ok = 0;
    *retry_after_s = 0;
    struct store_conn *c = store_conn(id->store, err);
    if (c == NULL)
        return -1;
    int64_t now = time_now_ms();
    char pairkey[160], object[48];
    snprintf(pairkey, sizeof(pairkey), "t:%lld:%s", (long long)account_id, ip ? ip : "-");
    snprintf(object, sizeof(object), "account:%lld", (long long)account_id);
    /* Per (account, address) and per account from everywhere, like passwords. */
    char acckey[64];
    snprintf(acckey, sizeof(acckey), "t:%lld", (long long)account_id);
    struct gate gates[2] = {
        {pairkey, id->opt.max_failures, (int64_t)id->opt.pause_s * 1000, 0, 0},
        {acckey, ACCOUNT_GLOBAL_FAILURES, (int64_t)id->opt.pause_s * 1000, 0, 0},
    };
    int refused = 0;
    for (size_t i = 0; i < 2 && !refused; i++) {
        int g = gate_enter(c, &gates[i], now, retry_after_s, err);
        if (g < 0)
            return -1;
        refused = g;
    }
    if (refused) {
        for (size_t i = 0; i < 2; i++)
            gate_passed(c, &gates[i], 0, err);
        audit(c, account_id, "identity.second_factor", object, "paused", ip, NULL);
        return 0;
    }
    struct arena *a = arena_new(0);
    if (a == NULL)
        return err_set(err, 500, "identity.oom", "out of memory");
    struct account_row r;
    int found = 0, rc = -1;
    unsigned char secret[CRYPTO_TOTP_SECRET_LEN];
    if (identity_db_account_get(c, a, account_id, &r, &found, err) < 0)
        goto out;
    const char *how = "totp";
    if (found && code != NULL && strlen(code) == CRYPTO_TOTP_DIGITS &&
        totp_secret(id, &r, secret) == 0) {
        int64_t step;
        if (crypto_totp_verify(secret, sizeof(secret), CRYPTO_TOTP_DIGITS, code, now / 1000, 1,
                               &step) == 0 &&
            identity_db_account_advance_totp_step(c, account_id, step, ok, err) < 0)
            goto out;
    } else if (found && code != NULL) {
        /* Not a 6-digit code: try it as a recovery code (spent on use). */
        unsigned char h[CRYPTO_SM3_LEN];
        char hex[65];
        how = "recovery_code";
        if (crypto_recovery_code_hash(crypto_keyring_subkey(id->kr, CRYPTO_SUBKEY_RECOVERY), code,
                                      h) == 0 &&
            crypto_hex_encode(h, sizeof(h), hex, sizeof(hex)) > 0 &&
            identity_db_recovery_use(c, account_id, hex, ok, err) < 0)
            goto out;
    }
    if (*ok) {
        gate_passed(c, &gates[0], 1, err);
        gate_passed(c, &gates[1], 0, err);
    } else if (gate_failed(c, &gates[0], now, err) < 0 || gate_failed(c, &gates[1], now, err) < 0) {
        goto out;
    }
    audit(c, account_id, "identity.second_factor", object, *ok ? "ok" : "failed", ip, how);
    rc = 0;
out:
    crypto_wipe(secret, sizeof(secret));
    arena_free(a);
    return rc;
}

/* ---- TOTP enrolment -------------------------------------------------------------------- */

int identity_totp_new(struct identity *id, struct arena *a, int64_t account_id,
                      const char **secret_b32, const char **uri, struct err *err)
{
    struct identity_account acc;
    if (identity_account_get(id, a, account_id, &acc, err) < 0)
        return -1;
    unsigned char secret[CRYPTO_TOTP_SECRET_LEN];
    char *b32 = arena_alloc(a, 64), *u = arena_alloc(a, 512);
    const char *label = acc.username       ? acc.username
                        : acc.phone_masked ? acc.phone_masked
                                           : acc.name;
    int rc = 0;
    if (b32 == NULL || u == NULL || crypto_totp_secret_new(secret) < 0 ||
        crypto_totp_secret_base32(secret, sizeof(secret), b32, 64) < 0 ||
        crypto_totp_uri(id->opt.totp_issuer, label, b32, CRYPTO_TOTP_DIGITS, u, 512) < 0)
        rc = err_set(err, 500, "identity.crypto", "cannot create a TOTP secret");
    crypto_wipe(secret, sizeof(secret));
    *secret_b32 = b32;
    *uri = u;
    return rc;
}

int identity_totp_enable(struct identity *id, struct arena *a, int64_t account_id,
                         const char *secret_b32, const char *code, const char *ip,
                         const char ***codes, size_t *ncodes, struct err *err)
{
    unsigned char secret[CRYPTO_TOTP_SECRET_LEN];
    size_t n = 0;
    int64_t step = 0;
    char recovery[RECOVERY_CODES][CRYPTO_RECOVERY_CODE_SIZE];
    char hashes[RECOVERY_CODES][65];
    int rc = -1;
    struct store_conn *c = store_conn(id->store, err);
    if (c == NULL)
        return -1;
    if (secret_b32 == NULL || code == NULL ||
        crypto_totp_secret_decode(secret_b32, secret, sizeof(secret), &n) < 0 ||
        n != sizeof(secret) ||
        crypto_totp_verify(secret, n, CRYPTO_TOTP_DIGITS, code, time_now_ms() / 1000, 1, &step) <
            0) {
        rc = 1;
        goto out;
    }
    char ad[96];
    pii_ad(ad, sizeof(ad), "totp", account_id);
    unsigned char sealed[CRYPTO_TOTP_SECRET_LEN + CRYPTO_AEAD_OVERHEAD];
    size_t sealed_len;
    if (crypto_aead_seal(crypto_keyring_aead(id->kr, CRYPTO_AEAD_SECRETS), ad, strlen(ad), secret,
                         n, sealed, sizeof(sealed), &sealed_len) < 0 ||
        crypto_recovery_codes(recovery, RECOVERY_CODES) < 0) {
        err_set(err, 500, "identity.crypto", "cannot seal the TOTP secret");
        goto out;
    }
    for (int i = 0; i < RECOVERY_CODES; i++) {
        unsigned char h[CRYPTO_SM3_LEN];
        if (crypto_recovery_code_hash(crypto_keyring_subkey(id->kr, CRYPTO_SUBKEY_RECOVERY),
                                      recovery[i], h) < 0 ||
            crypto_hex_encode(h, sizeof(h), hashes[i], sizeof(hashes[i])) < 0) {
            err_set(err, 500, "identity.crypto", "cannot hash recovery codes");
            goto out;
        }
    }
    char object[48];
    snprintf(object, sizeof(object), "account:%lld", (long long)account_id);
    struct audit_event ev = {account_id, "identity.totp_enable", object, "ok", ip, NULL};
    if (store_begin(c, err) < 0)
        goto out;
    if (identity_db_account_set_totp(c, account_id, sealed, sealed_len, step, err) < 0 ||
        identity_db_recovery_replace(c, account_id, (const char(*)[65])hashes, RECOVERY_CODES,
                                     err) < 0 ||
        audit_record(c, &ev, err) < 0) {
        store_rollback(c);
        goto out;
    }
    if (store_commit(c, err) < 0)
        goto out;
    const char **list = arena_alloc(a, RECOVERY_CODES * sizeof(*list));
    for (int i = 0; list != NULL && i < RECOVERY_CODES; i++)
        list[i] = arena_strdup(a, recovery[i]);
    *codes = list;
    *ncodes = list ? RECOVERY_CODES : 0;
    rc = 0;
out:
    crypto_wipe(secret, sizeof(secret));
    crypto_wipe(recovery, sizeof(recovery));
    return rc;
}

int identity_totp_install(struct identity *id, int64_t actor, int64_t account_id,
                          const char *secret_b32, struct err *err)
{
    unsigned char secret[CRYPTO_TOTP_SECRET_LEN];
    unsigned char sealed[CRYPTO_TOTP_SECRET_LEN + CRYPTO_AEAD_OVERHEAD];
    size_t n = 0, sealed_len = 0;
    char ad[96];
    int rc = -1;
    struct store_conn *c = store_conn(id->store, err);
    if (c == NULL)
        return -1;
    pii_ad(ad, sizeof(ad), "totp", account_id);
    if (crypto_totp_secret_decode(secret_b32, secret, sizeof(secret), &n) < 0 ||
        n != sizeof(secret)) {
        err_set(err, 400, "identity.totp_secret_invalid",
                "a TOTP secret is 32 base32 characters (160 bits)");
        goto out;
    }
    if (crypto_aead_seal(crypto_keyring_aead(id->kr, CRYPTO_AEAD_SECRETS), ad, strlen(ad), secret,
                         n, sealed, sizeof(sealed), &sealed_len) < 0) {
        err_set(err, 500, "identity.crypto", "cannot seal the TOTP secret");
        goto out;
    }
    char object[48];
    snprintf(object, sizeof(object), "account:%lld", (long long)account_id);
    struct audit_event ev = {actor, "identity.totp_install", object, "ok", NULL, NULL};
    if (store_begin(c, err) < 0)
        goto out;
    if (identity_db_account_set_totp(c, account_id, sealed, sealed_len, 0, err) < 0 ||
        audit_record(c, &ev, err) < 0) {
        store_rollback(c);
        goto out;
    }
    rc = store_commit(c, err);
out:
    crypto_wipe(secret, sizeof(secret));
    return rc;
}

int identity_totp_disable(struct identity *id, int64_t account_id, const char *code, const char *ip,
                          struct err *err)
{
    struct identity_account acc;
    struct arena *a = arena_new(0);
    if (a == NULL)
        return err_set(err, 500, "identity.oom", "out of memory");
    int rc = -1;
    if (identity_account_get(id, a, account_id, &acc, err) < 0)
        goto out;
    if (acc.kind == IDENTITY_STAFF) {
        err_set(err, 403, "identity.totp_required", "staff accounts must keep a second factor");
        goto out;
    }
    int ok = 0, retry = 0;
    if (identity_login_second_factor(id, account_id, code, ip, &ok, &retry, err) < 0)
        goto out;
    if (!ok) {
        rc = 1;
        goto out;
    }
    struct store_conn *c = store_conn(id->store, err);
    char object[48];
    snprintf(object, sizeof(object), "account:%lld", (long long)account_id);
    struct audit_event ev = {account_id, "identity.totp_disable", object, "ok", ip, NULL};
    if (c == NULL || store_begin(c, err) < 0)
        goto out;
    if (identity_db_account_set_totp(c, account_id, NULL, 0, 0, err) < 0 ||
        identity_db_recovery_replace(c, account_id, NULL, 0, err) < 0 ||
        audit_record(c, &ev, err) < 0) {
        store_rollback(c);
        goto out;
    }
    rc = store_commit(c, err);
out:
    arena_free(a);
    return rc;
}

int identity_password_change(struct identity *id, int64_t account_id, const char *old_pw,
                             const char *new_pw, const char *new_again, const char *ip,
                             struct identity_field_errors *fe, struct err *err)
{
    fe->n = 0;
    struct store_conn *c = store_conn(id->store, err);
    if (c == NULL)
        return -1;
    struct arena *a = arena_new(0);
    if (a == NULL)
        return err_set(err, 500, "identity.oom", "out of memory");
    int rc = -1, found = 0;
    struct account_row r;
    char fresh[CRYPTO_PASSWORD_HASH_SIZE];
    if (identity_db_account_get(c, a, account_id, &r, &found, err) < 0)
        goto out;
    if (!found) {
        err_set(err, 404, "identity.not_found", "no account has this id");
        goto out;
    }
    struct err perr;
    if (old_pw == NULL ||
        crypto_password_verify(id->ph, r.password_hash, old_pw, strlen(old_pw), &perr) < 0)
        field_error(fe, "old_password", "identity.password_wrong",
                    "the current password is not right");
    check_password(new_pw, new_again, r.kind == IDENTITY_STAFF, fe);
    if (fe->n > 0) {
        rc = 1;
        goto out;
    }
    char object[48];
    snprintf(object, sizeof(object), "account:%lld", (long long)account_id);
    struct audit_event ev = {account_id, "identity.password_change", object, "ok", ip, NULL};
    if (crypto_password_hash(id->ph, new_pw, strlen(new_pw), fresh, sizeof(fresh)) < 0) {
        err_set(err, 500, "identity.crypto", "cannot hash the password");
        goto out;
    }
    if (store_begin(c, err) < 0)
        goto out;
    if (identity_db_account_set_password(c, account_id, fresh, err) < 0 ||
        audit_record(c, &ev, err) < 0) {
        store_rollback(c);
        goto out;
    }
    rc = store_commit(c, err);
out:
    crypto_wipe(fresh, sizeof(fresh));
    arena_free(a);
    return rc;
}

/* ---- staff ----------------------------------------------------------------------------- */

static int username_valid(const char *u)
{
    size_t n = u ? strlen(u) : 0;
    if (n < 3 || n > 32)
        return 0;
    for (const char *p = u; *p; p++)
        if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '.' || *p == '_' ||
              *p == '-'))
            return 0;
    return islower((unsigned char)u[0]);
}

int identity_staff_create(struct identity *id, int64_t actor, const char *ip, const char *username,
                          const char *name, const char *password, int64_t *account_id,
                          struct err *err)
{
    if (!username_valid(username))
        return err_set(err, 400, "identity.username_invalid",
                       "a username has 3-32 characters: lower-case letters first, then letters, "
                       "digits, '.', '_' or '-'");
    if (name == NULL || utf8_chars(name) == 0 || utf8_chars(name) > NAME_MAX_CHARS)
        return err_set(err, 400, "identity.name_missing", "enter the person's name");
    struct identity_field_errors fe = {0};
    check_password(password, NULL, 1, &fe);
    if (fe.n > 0)
        return err_set(err, 400, fe.e[0].code, "%s", fe.e[0].msg);
    struct store_conn *c = store_conn(id->store, err);
    if (c == NULL)
        return -1;
    char pwhash[CRYPTO_PASSWORD_HASH_SIZE];
    if (crypto_password_hash(id->ph, password, strlen(password), pwhash, sizeof(pwhash)) < 0)
        return err_set(err, 500, "identity.crypto", "cannot hash the password");
    struct account_row r;
    memset(&r, 0, sizeof(r));
    r.id = id_next();
    r.kind = IDENTITY_STAFF;
    r.username = username;
    char *nfc_name = utf8_nfc(name, strlen(name));
    if (nfc_name == NULL) {
        crypto_wipe(pwhash, sizeof(pwhash));
        return err_set(err, 500, "identity.oom", "out of memory");
    }
    r.name = nfc_name;
    r.password_hash = pwhash;
    r.lang = "zh";
    r.created_at = time_now_ms();
    char object[48];
    snprintf(object, sizeof(object), "account:%lld", (long long)r.id);
    struct audit_event ev = {actor, "identity.staff_create", object, "ok", ip, username};
    int rc = -1;
    if (store_begin(c, err) < 0)
        goto out;
    if (identity_db_account_insert(c, &r, NULL, NULL, err) < 0 || audit_record(c, &ev, err) < 0) {
        store_rollback(c);
        if (strcmp(err->code, "store.conflict") == 0)
            err_set(err, 409, "identity.username_taken", "the username %s is taken", username);
        goto out;
    }
    if (store_commit(c, err) < 0)
        goto out;
    *account_id = r.id;
    rc = 0;
out:
    free(nfc_name);
    crypto_wipe(pwhash, sizeof(pwhash));
    return rc;
}

int identity_account_find_citizen(struct identity *id, const char *login, int64_t *account_id,
                                  struct err *err)
{
    struct store_conn *c = store_conn(id->store, err);
    int found = 0;
    *account_id = 0;
    if (c == NULL || login == NULL)
        return c == NULL ? -1 : err_set(err, 404, "identity.not_found", "no such account");
    char norm[IDCODE_LEN + 1], phone[PHONE_MAX];
    struct err e;
    if (idcode_citizen_normalize(login, norm, 0, &e) != 0 &&
        phone_normalize(login, PHONE_MOBILE, phone) <= 0)
        return err_set(err, 404, "identity.not_found", "no such account");
    crypto_wipe(norm, sizeof(norm));
    if (resolve_login(id, c, login, account_id, &found, err) < 0)
        return -1;
    if (!found)
        return err_set(err, 404, "identity.not_found", "no such account");
    return 0;
}
