/* messaging_test.c - issue 16 on a real SQLite store: e-mail header encoding and address
 * checks; an external connector's states (sent, retried with backoff, dead-lettered when
 * refused, a row left `sending` by a crash dead-lettered and never sent again); verified
 * contacts (the code, wrong codes, tries) and the routing of an account's message to them in
 * the chosen language; SMS quiet hours; signed receipts; essential kinds stay on. */
#include "test.h"

#include "fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/id.h"
#include "crypto/crypto.h"
#include "notify/notify.h"
#include "store/store.h"
#include "web/i18n.h"

int notify_mail_header_encode(struct buf *b, const char *text);

struct fixture {
    struct fx_db db;
    struct store *s;
    struct crypto_keyring *kr;
    struct notify *n;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct err err;
    err_clear(&err);
    if (fx_db_open(&f->db, "messaging", 0) < 0)
        return -1;
    f->s = f->db.s;
    f->kr = f->db.kr;
    if (notify_open(f->s, f->kr, &f->n, &err) < 0) {
        fprintf(stderr, "setup: %s\n", err.msg);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    notify_close(f->n);
    int rc = fx_db_close(&f->db);
    free(f);
    return rc == 0 ? 0 : -1;
}

static void test_header_and_addresses(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 4096);
    assert_int_equal(notify_mail_header_encode(&b, "plain"), 0);
    char *s = buf_take(&b, NULL);
    assert_string_equal(s, "plain");
    free(s);
    /* Tibetan, 3 bytes a letter: split between letters into words of <= 75 characters */
    const char *bo = "གཞུང་ཞབས་སྒོ་གཅིག་ནས། ཁྱེད་ལ་ལས་ཡིག་གསར་པ་ཞིག་འབྱོར་ཡོད།";
    assert_int_equal(notify_mail_header_encode(&b, bo), 0);
    s = buf_take(&b, NULL);
    struct buf back;
    buf_init(&back, 4096);
    int words = 0;
    for (char *w = strstr(s, "=?UTF-8?B?"); w; w = strstr(w + 1, "=?UTF-8?B?")) {
        char *end = strstr(w + 10, "?=");
        assert_non_null(end);
        assert_true(end + 2 - w <= 75);
        unsigned char raw[64];
        size_t len = 0;
        /* standard base64: decode through the url-safe decoder after mapping */
        char tmp[80];
        size_t n = (size_t)(end - (w + 10));
        memcpy(tmp, w + 10, n);
        while (n > 0 && tmp[n - 1] == '=')
            n--;
        for (size_t i = 0; i < n; i++)
            tmp[i] = tmp[i] == '+' ? '-' : tmp[i] == '/' ? '_' : tmp[i];
        assert_int_equal(crypto_b64url_decode(tmp, n, raw, sizeof(raw), &len), 0);
        assert_true((raw[0] & 0xC0) != 0x80); /* no word starts inside a letter */
        buf_append(&back, raw, len);
        words++;
    }
    assert_true(words >= 2);
    buf_putc(&back, '\0');
    char *joined = buf_take(&back, NULL);
    assert_string_equal(joined, bo);
    free(joined);
    free(s);

    assert_true(notify_email_valid("dolma@example.org"));
    assert_false(notify_email_valid("dolma@@example.org"));
    assert_false(notify_email_valid("dolma example@x.org"));
    assert_false(notify_email_valid("a@b.org\r\nBcc: x@y.org"));
    assert_false(notify_email_valid("@example.org"));
    char m[64];
    notify_email_mask("dolma@example.org", m, sizeof(m));
    assert_string_equal(m, "d***@example.org");
}

/* ---- an external connector ------------------------------------------------------------- */

struct stub {
    int calls;
    int status; /* 0: accept; else the err status */
    char last_to[128], last_subject[256], last_text[512], last_lang[8];
};

static int stub_send(void *ctx, struct store_conn *c, const struct notify_envelope *e,
                     struct err *err)
{
    struct stub *s = ctx;
    assert_null(c); /* external: called outside any transaction */
    s->calls++;
    snprintf(s->last_to, sizeof(s->last_to), "%s", e->address);
    snprintf(s->last_subject, sizeof(s->last_subject), "%s", e->subject ? e->subject : "");
    snprintf(s->last_text, sizeof(s->last_text), "%s", e->text);
    snprintf(s->last_lang, sizeof(s->last_lang), "%s", e->lang);
    if (s->status == 0)
        return 0;
    return err_set(err, s->status, s->status == 400 ? "notify.smtp_refused" : "notify.smtp_timeout",
                   "stub");
}

static const char SQL_ROW[] =
    "SELECT o.status, o.attempts, o.last_error, o.id FROM notify_outbox o "
    "WHERE o.message_id = ? AND o.channel = ?";

static void row(struct fixture *f, int64_t message, const char *channel, char status[16],
                int *attempts, char error[64], int64_t *id)
{
    struct err err;
    struct store_conn *c = store_conn(f->s, &err);
    struct store_stmt *st = store_prepare(c, SQL_ROW, &err);
    store_bind_int64(st, 1, message);
    store_bind_text(st, 2, channel, -1);
    assert_int_equal(store_step(st, &err), STORE_ROW);
    snprintf(status, 16, "%s", store_col_text(st, 0));
    *attempts = (int)store_col_int64(st, 1);
    const char *e = store_col_text(st, 2);
    snprintf(error, 64, "%s", e ? e : "");
    *id = store_col_int64(st, 3);
    store_reset(st);
}

static void exec(struct fixture *f, const char *sql)
{
    struct err err;
    struct store_conn *c = store_conn(f->s, &err);
    struct store_stmt *st = store_prepare(c, sql, &err);
    assert_non_null(st);
    assert_int_equal(store_run(st, NULL, &err), 0);
}

/* The code of the last verification message (its params). */
static void last_code(struct fixture *f, char code[8])
{
    struct err err;
    struct store_conn *c = store_conn(f->s, &err);
    struct store_stmt *st = store_prepare(
        c, "SELECT params FROM notify_messages WHERE kind = 'notify.verify.code' ORDER BY id DESC",
        &err);
    assert_int_equal(store_step(st, &err), STORE_ROW);
    json_t *j = json_loads(store_col_text(st, 0), 0, NULL);
    snprintf(code, 8, "%s", json_string_value(json_object_get(j, "code")));
    json_decref(j);
    store_reset(st);
}

static int64_t send_tx(struct fixture *f, int64_t account, const char *kind)
{
    struct err err;
    struct store_conn *c = store_conn(f->s, &err);
    int64_t id = 0;
    json_t *p = json_pack("{s:s, s:s}", "name", "Dolma", "number", "N-1");
    struct notify_msg m = {.account_id = account, .lang = "zh", .kind = kind, .params = p};
    assert_int_equal(store_begin(c, &err), 0);
    assert_int_equal(notify_send_id(f->n, &m, &id, &err), 0);
    assert_int_equal(store_commit(c, &err), 0);
    json_decref(p);
    return id;
}

static void test_contacts_routing_and_states(void **state)
{
    struct fixture *f = *state;
    struct err err;
    err_clear(&err);
    struct stub mail = {0};
    struct notify_channel ch = {.name = "email", .ctx = &mail, .send = stub_send, .external = 1};
    assert_int_equal(notify_set_channel(f->n, &ch, &err), 0);
    exec(f, "UPDATE notify_leases SET expires_at = 0");

    /* bad addresses are refused with precise codes */
    assert_int_equal(notify_contact_set(f->n, 42, "email", "not-an-address", "bo", &err), -1);
    assert_string_equal(err.code, "notify.bad_email");
    assert_int_equal(notify_contact_set(f->n, 42, "sms", "12345", "bo", &err), -1);
    assert_string_equal(err.code, "notify.bad_phone");
    assert_int_equal(notify_contact_set(f->n, 42, "fax", "x", "bo", &err), -1);
    assert_string_equal(err.code, "notify.bad_channel");

    /* the code goes to the address, in the page's language, not to the inbox */
    assert_int_equal(notify_contact_set(f->n, 42, "email", "dolma@example.org", "bo", &err), 0);
    struct notify_pass pass;
    int64_t t = time_now_ms();
    assert_int_equal(notify_deliver_due(f->n, "a", t, 10, &pass, &err), 0);
    assert_int_equal(pass.delivered, 1);
    assert_string_equal(mail.last_to, "dolma@example.org");
    assert_string_equal(mail.last_lang, "bo");
    char code[8];
    last_code(f, code);
    assert_non_null(strstr(mail.last_text, code));
    struct notify_reader r = {.account_id = 42};
    int64_t unread = -1;
    assert_int_equal(notify_unread(f->n, &r, &unread, &err), 0);
    assert_int_equal(unread, 0);

    /* not verified yet: an account message goes to the inbox only */
    int64_t m1 = send_tx(f, 42, "notify.test.hello");
    assert_int_equal(notify_deliver_due(f->n, "a", t, 10, &pass, &err), 0);
    assert_int_equal(pass.delivered, 0);
    (void)m1;

    /* a wrong code counts a try; the right one verifies */
    assert_int_equal(notify_contact_verify(f->n, 42, "email", "000000", &err) == 0,
                     strcmp(code, "000000") == 0);
    assert_int_equal(notify_contact_verify(f->n, 42, "email", code, &err), 0);
    struct notify_contact k[2];
    size_t count = 0;
    assert_int_equal(notify_contacts(f->n, 42, k, &count, &err), 0);
    assert_int_equal(count, 1);
    assert_string_equal(k[0].masked, "d***@example.org");
    assert_true(k[0].verified);
    /* a used code does not work twice */
    assert_int_equal(notify_contact_verify(f->n, 42, "email", code, &err), -1);
    assert_string_equal(err.code, "notify.bad_code");

    /* the account chose Tibetan: the e-mail is rendered in bo with the bo subject */
    assert_int_equal(notify_prefs_set(f->n, 42, "bo", 0, 0, &err), 0);
    int64_t m2 = send_tx(f, 42, "notify.test.hello");
    t = time_now_ms();
    mail.status = 503; /* the relay times out: retried later */
    assert_int_equal(notify_deliver_due(f->n, "a", t, 10, &pass, &err), 0);
    assert_int_equal(pass.retried, 1);
    char st[16], error[64];
    int attempts;
    int64_t oid;
    row(f, m2, "email", st, &attempts, error, &oid);
    assert_string_equal(st, "pending");
    assert_int_equal(attempts, 1);
    assert_string_equal(error, "notify.smtp_timeout");
    /* not due before the backoff */
    assert_int_equal(notify_deliver_due(f->n, "a", t + NOTIFY_BACKOFF_MS - 1, 10, &pass, &err), 0);
    assert_int_equal(pass.retried + pass.delivered, 0);
    mail.status = 0;
    assert_int_equal(notify_deliver_due(f->n, "a", t + NOTIFY_BACKOFF_MS, 10, &pass, &err), 0);
    assert_int_equal(pass.delivered, 1);
    row(f, m2, "email", st, &attempts, error, &oid);
    assert_string_equal(st, "sent");
    assert_int_equal(attempts, 2);
    assert_string_equal(mail.last_lang, "bo");
    assert_string_equal(mail.last_subject, i18n_get("bo", "notify.mail.subject"));
    assert_non_null(strstr(mail.last_text, "Dolma"));
    assert_non_null(strstr(mail.last_text, "ལགས"));

    /* refused for good: dead letter at once */
    int64_t m3 = send_tx(f, 42, "notify.test.hello");
    mail.status = 400;
    assert_int_equal(notify_deliver_due(f->n, "a", t + 2 * NOTIFY_BACKOFF_MS, 10, &pass, &err), 0);
    assert_int_equal(pass.failed, 1);
    row(f, m3, "email", st, &attempts, error, &oid);
    assert_string_equal(st, "failed");
    assert_string_equal(error, "notify.smtp_refused");

    /* a crash after the claim: the row stays `sending`; the next pass dead-letters it and the
     * connector is never called for it again */
    mail.status = 0;
    int64_t m4 = send_tx(f, 42, "notify.test.hello");
    row(f, m4, "email", st, &attempts, error, &oid);
    char sql[160];
    snprintf(sql, sizeof(sql), "UPDATE notify_outbox SET status = 'sending' WHERE id = %lld",
             (long long)oid);
    exec(f, sql);
    int before = mail.calls;
    assert_int_equal(notify_deliver_due(f->n, "b", t + 10 * NOTIFY_LEASE_MS, 10, &pass, &err), 0);
    assert_int_equal(mail.calls, before);
    row(f, m4, "email", st, &attempts, error, &oid);
    assert_string_equal(st, "failed");
    assert_string_equal(error, "notify.interrupted");
}

static void test_receipts_and_optouts(void **state)
{
    struct fixture *f = *state;
    struct err err;
    err_clear(&err);
    struct notify_config cfg = {.receipt_secret = "s3cret"};
    assert_int_equal(notify_configure(f->n, &cfg, &err), 0);
    struct stub mail = {0};
    struct notify_channel ch = {.name = "email", .ctx = &mail, .send = stub_send, .external = 1};
    assert_int_equal(notify_set_channel(f->n, &ch, &err), 0);
    exec(f, "UPDATE notify_leases SET expires_at = 0");
    assert_int_equal(notify_contact_set(f->n, 7, "email", "tashi@example.org", "zh", &err), 0);
    char code[8];
    last_code(f, code);
    assert_int_equal(notify_contact_verify(f->n, 7, "email", code, &err), 0);
    int64_t m = send_tx(f, 7, "notify.test.hello");
    struct notify_pass pass;
    assert_int_equal(notify_deliver_due(f->n, "a", time_now_ms(), 10, &pass, &err), 0);
    char st[16], error[64], body[160], sig[80];
    int attempts;
    int64_t oid;
    row(f, m, "email", st, &attempts, error, &oid);
    assert_string_equal(st, "sent");
    snprintf(body, sizeof(body), "{\"id\":\"%lld\",\"status\":\"delivered\"}", (long long)oid);
    /* a bad signature changes nothing */
    assert_int_equal(notify_sign("wrong", body, strlen(body), sig), 0);
    assert_int_equal(notify_receipt(f->n, body, strlen(body), sig, &err), -1);
    assert_string_equal(err.code, "notify.bad_signature");
    assert_int_equal(notify_receipt(f->n, body, strlen(body), NULL, &err), -1);
    row(f, m, "email", st, &attempts, error, &oid);
    assert_string_equal(st, "sent");
    assert_int_equal(notify_sign("s3cret", body, strlen(body), sig), 0);
    assert_int_equal(notify_receipt(f->n, body, strlen(body), sig, &err), 0);
    row(f, m, "email", st, &attempts, error, &oid);
    assert_string_equal(st, "delivered");
    /* the same receipt again is fine; a contrary one is refused */
    assert_int_equal(notify_receipt(f->n, body, strlen(body), sig, &err), 0);
    snprintf(body, sizeof(body), "{\"id\":\"%lld\",\"status\":\"failed\",\"code\":\"x\"}",
             (long long)oid);
    notify_sign("s3cret", body, strlen(body), sig);
    assert_int_equal(notify_receipt(f->n, body, strlen(body), sig, &err), -1);
    assert_string_equal(err.code, "notify.receipt_state");
    snprintf(body, sizeof(body), "{\"id\":\"1\",\"status\":\"delivered\"}");
    notify_sign("s3cret", body, strlen(body), sig);
    assert_int_equal(notify_receipt(f->n, body, strlen(body), sig, &err), -1);
    assert_string_equal(err.code, "notify.not_found");

    /* essential groups cannot be turned off; others can, per channel */
    assert_int_equal(notify_optout_set(f->n, 7, "apply", "email", 1, &err), -1);
    assert_string_equal(err.code, "notify.essential");
    assert_int_equal(notify_optout_set(f->n, 7, "notices", "email", 1, &err), 0);
    int64_t m2 = send_tx(f, 7, "notices.published");
    struct store_conn *c = store_conn(f->s, &err);
    struct store_stmt *q =
        store_prepare(c, "SELECT COUNT(*) FROM notify_outbox WHERE message_id = ?", &err);
    store_bind_int64(q, 1, m2);
    assert_int_equal(store_step(q, &err), STORE_ROW);
    assert_int_equal(store_col_int64(q, 0), 0);
    store_reset(q);
}

static void test_templates(void **state)
{
    struct fixture *f = *state;
    struct err err;
    err_clear(&err);
    const char *ref = "{{name}}，您好：您的事项 {{number}} 有新进展。";
    assert_int_equal(notify_template_check(ref, "{{number}} / {{ name }} / {{number}}", &err), 0);
    assert_int_equal(notify_template_check(ref, "{{name}} only", &err), -1);
    assert_string_equal(err.code, "notify.template_placeholders"); /* dropped */
    assert_int_equal(notify_template_check(ref, "{{name}} {{number}} {{age}}", &err), -1);
    assert_string_equal(err.code, "notify.template_placeholders"); /* invented */
    assert_int_equal(notify_template_check(ref, "{{name}} {{number", &err), -1);
    assert_string_equal(err.code, "notify.template_broken");
    assert_int_equal(notify_template_check(ref, "{{}} {{name}} {{number}}", &err), -1);
    assert_string_equal(err.code, "notify.template_broken");
    assert_int_equal(notify_template_check(ref, "", &err), -1);
    assert_string_equal(err.code, "notify.template_empty");

    /* a saved version replaces the catalog's text when rendering; versions count up */
    assert_int_equal(notify_template_save(f->n, 1, NULL, "notify.verify.code", "bo",
                                          "ཨང་རྟགས། {{code}}", NULL, &err),
                     0);
    int v = 0;
    assert_int_equal(notify_template_save(f->n, 1, NULL, "notify.verify.code", "bo",
                                          "ར་སྤྲོད་ཨང་རྟགས། {{code}}", &v, &err),
                     0);
    assert_int_equal(v, 2);
    assert_int_equal(notify_template_version("bo", "notify.verify.code"), 2);
    assert_int_equal(notify_template_version("zh", "notify.verify.code"), 0);
    struct arena *a = arena_new(0);
    json_t *p = json_pack("{s:s}", "code", "424242");
    assert_string_equal(notify_render(a, "bo", "notify.verify.code", p), "ར་སྤྲོད་ཨང་རྟགས། 424242");
    assert_string_equal(notify_render(a, "zh", "notify.verify.code", p),
                        "您的验证码是 424242，15 分钟内有效，请勿告诉他人。");
    json_decref(p);
    arena_free(a);
    assert_int_equal(
        notify_template_save(f->n, 1, NULL, "notify.verify.code", "bo", "{{nope}}", NULL, &err),
        -1);
    assert_int_equal(notify_template_save(f->n, 1, NULL, "no.such.kind", "bo", "x", NULL, &err),
                     -1);
    assert_string_equal(err.code, "notify.template_unknown");
    notify_templates_free();
}

int main(void)
{
    struct err err;
    id_init(1);
    if (i18n_init(&err) < 0) {
        fprintf(stderr, "i18n: %s\n", err.msg);
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_and_addresses),
        cmocka_unit_test_setup_teardown(test_contacts_routing_and_states, setup, teardown),
        cmocka_unit_test_setup_teardown(test_receipts_and_optouts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_templates, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    i18n_free();
    return rc;
}
