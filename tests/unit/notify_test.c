/* notify_test.c - notifications on a real SQLite store: sending (validation, sealed phone),
 * rendering in the reader's language, the inbox and who may read it, the delivery job's
 * lease between two holders, the sandbox carrier, retries with backoff and giving up. */
#include "test.h"

#include "fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/arena.h"
#include "base/id.h"
#include "crypto/crypto.h"
#include "notify/notify.h"
#include "store/store.h"
#include "web/i18n.h"

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
    if (fx_db_open(&f->db, "notify", 0) < 0)
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

/* Send inside a transaction, as modules do. */
static int send_tx(struct fixture *f, const struct notify_msg *m, int64_t *id, struct err *err)
{
    struct store_conn *c = store_conn(f->s, err);
    if (c == NULL || store_begin(c, err) < 0)
        return -1;
    if (notify_send_id(f->n, m, id, err) < 0) {
        store_rollback(c);
        return -1;
    }
    return store_commit(c, err);
}

static void test_render(void **state)
{
    (void)state;
    struct arena *a = arena_new(0);
    json_t *p = json_pack("{s:s, s:s}", "name", "<卓玛>", "number", "2026-1");
    assert_string_equal(notify_render(a, "zh", "notify.test.hello", p),
                        "<卓玛>，您好：您的事项 2026-1 有新进展。");
    assert_string_equal(notify_render(a, "en", "notify.test.hello", p),
                        "Hello <卓玛>: there is news about your case 2026-1.");
    /* missing parameters render as nothing; an unknown kind as itself */
    assert_string_equal(notify_render(a, "en", "notify.test.hello", NULL),
                        "Hello : there is news about your case .");
    assert_string_equal(notify_render(a, "zh", "nobody.knows", p), "nobody.knows");
    json_decref(p);
    /* A name in several languages renders in the reader's; zh when it has none. */
    p = json_pack("{s:{s:s, s:s}, s:s}", "name", "zh", "卓玛", "bo", "སྒྲོལ་མ།", "number", "7");
    assert_string_equal(notify_render(a, "bo", "notify.test.hello", p),
                        "སྒྲོལ་མ། ལགས། ཁྱེད་ཀྱི་ལས་དོན་ 7 ལ་གསར་འགྱུར་ཡོད།");
    assert_string_equal(notify_render(a, "en", "notify.test.hello", p),
                        "Hello 卓玛: there is news about your case 7.");
    json_decref(p);
    arena_free(a);
}

static void test_send_validation(void **state)
{
    struct fixture *f = *state;
    struct err err;
    json_t *arr = json_array();
    struct notify_msg bad[] = {
        {.account_id = 5, .kind = NULL},
        {.account_id = 5, .kind = "Bad Kind"},
        {.account_id = 0, .kind = "notify.test.hello"},
        {.account_id = 5, .kind = "notify.test.hello", .lang = "fr"},
        {.account_id = 5, .kind = "notify.test.hello", .params = arr},
        {.account_id = 5, .kind = "notify.test.hello", .link = "https://evil.example/"},
        {.account_id = 5, .kind = "notify.test.hello", .link = "//evil.example/"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err_clear(&err);
        assert_int_equal(send_tx(f, &bad[i], NULL, &err), -1);
        assert_string_equal(err.code, "notify.bad_message");
        assert_int_equal(err.status, 400);
    }
    struct notify_msg badphone = {.account_id = 5, .kind = "notify.test.hello", .phone = "12345"};
    assert_int_equal(send_tx(f, &badphone, NULL, &err), -1);
    assert_string_equal(err.code, "notify.bad_phone");
    json_decref(arr);
}

static void test_inbox(void **state)
{
    struct fixture *f = *state;
    struct err err;
    err_clear(&err);
    int64_t id1, id2, id3, id4;
    json_t *p = json_pack("{s:s, s:i}", "name", "Tashi", "number", 42);
    struct notify_msg m = {.account_id = 1001,
                           .lang = "en",
                           .kind = "notify.test.hello",
                           .params = p,
                           .link = "/applications/42"};
    assert_int_equal(send_tx(f, &m, &id1, &err), 0);
    assert_int_equal(send_tx(f, &m, &id2, &err), 0);
    struct notify_msg other = {.account_id = 1002, .kind = "notify.test.hello", .params = p};
    assert_int_equal(send_tx(f, &other, &id3, &err), 0);
    struct notify_msg dept = {.department_id = 77, .kind = "notify.test.hello", .params = p};
    assert_int_equal(send_tx(f, &dept, &id4, &err), 0);

    struct arena *a = arena_new(0);
    struct notify_reader r1 = {.account_id = 1001};
    struct notify_item *items;
    size_t n;
    int64_t unread;
    /* rendered in the reader's language when shown, newest first */
    assert_int_equal(notify_inbox(f->n, a, &r1, "zh", 0, 10, &items, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_true(items[0].id == id2 && items[1].id == id1);
    assert_string_equal(items[0].text, "Tashi，您好：您的事项 42 有新进展。");
    assert_string_equal(items[0].link, "/applications/42");
    assert_int_equal(items[0].read_at, 0);
    /* paging */
    assert_int_equal(notify_inbox(f->n, a, &r1, "bo", id2, 10, &items, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_true(items[0].id == id1);
    assert_int_equal(notify_unread(f->n, &r1, &unread, &err), 0);
    assert_int_equal(unread, 2);

    /* another account may not mark it, and is told it does not exist */
    struct notify_reader r2 = {.account_id = 1002};
    assert_int_equal(notify_mark_read(f->n, &r2, id1, &err), -1);
    assert_int_equal(err.status, 404);
    assert_string_equal(err.code, "notify.not_found");
    assert_int_equal(notify_mark_read(f->n, &r1, id3, &err), -1);
    assert_int_equal(notify_mark_read(f->n, &r1, id1, &err), 0);
    assert_int_equal(notify_unread(f->n, &r1, &unread, &err), 0);
    assert_int_equal(unread, 1);
    assert_int_equal(notify_inbox(f->n, a, &r2, "zh", 0, 10, &items, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_true(items[0].id == id3);

    /* a department's message: its staff see it, nobody else */
    struct notify_reader staff = {.account_id = 3000, .ndepts = 2, .depts = {77, 77}};
    assert_int_equal(notify_inbox(f->n, a, &staff, "en", 0, 10, &items, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_true(items[0].id == id4 && items[0].department_id == 77);
    assert_int_equal(notify_unread(f->n, &staff, &unread, &err), 0);
    assert_int_equal(unread, 1);
    assert_int_equal(notify_mark_read(f->n, &r1, id4, &err), -1);
    struct notify_reader staff2 = {.account_id = 3001, .ndepts = 1, .depts = {78}};
    assert_int_equal(notify_mark_read(f->n, &staff2, id4, &err), -1);
    int64_t changed = 0;
    assert_int_equal(notify_mark_all_read(f->n, &staff, &changed, &err), 0);
    assert_int_equal(changed, 1);
    assert_int_equal(notify_mark_all_read(f->n, &r1, &changed, &err), 0);
    assert_int_equal(changed, 1);
    assert_int_equal(notify_unread(f->n, &r1, &unread, &err), 0);
    assert_int_equal(unread, 0);
    json_decref(p);
    arena_free(a);
}

static const char SQL_SANDBOX[] =
    "SELECT phone_masked, lang, body FROM notify_sandbox_sms WHERE outbox_id IN "
    "(SELECT id FROM notify_outbox WHERE message_id = ?)";
static const char SQL_PHONE_ENC[] = "SELECT phone_enc FROM notify_messages WHERE id = ?";
static const char SQL_OUTBOX[] =
    "SELECT status, attempts, next_attempt_at, last_error FROM notify_outbox WHERE message_id = ?";

static void test_sms_delivery_and_lease(void **state)
{
    struct fixture *f = *state;
    struct err err;
    err_clear(&err);
    int64_t id;
    json_t *p = json_pack("{s:s, s:s}", "name", "Dolma", "number", "N-1");
    struct notify_msg m = {.account_id = 0,
                           .phone = "+86 139-1234-5678",
                           .lang = "en",
                           .kind = "notify.test.hello",
                           .params = p};
    assert_int_equal(send_tx(f, &m, &id, &err), 0);
    json_decref(p);

    /* the number is sealed at rest: the plaintext is nowhere in the row */
    struct store_conn *c = store_conn(f->s, &err);
    struct store_stmt *st = store_prepare(c, SQL_PHONE_ENC, &err);
    store_bind_int64(st, 1, id);
    assert_int_equal(store_step(st, &err), STORE_ROW);
    size_t len = 0;
    const unsigned char *enc = store_col_blob(st, 0, &len);
    assert_int_equal(len, 11 + CRYPTO_AEAD_OVERHEAD);
    assert_null(memmem(enc, len, "13912345678", 11));
    store_reset(st);

    int64_t now = time_now_ms();
    struct notify_pass pa, pb;
    /* holder A takes the lease and delivers; B, meanwhile, does nothing */
    assert_int_equal(notify_deliver_due(f->n, "node-a", now, 10, &pa, &err), 0);
    assert_int_equal(pa.leased, 1);
    assert_int_equal(pa.delivered, 1);
    assert_int_equal(notify_deliver_due(f->n, "node-b", now + 1000, 10, &pb, &err), 0);
    assert_int_equal(pb.leased, 0);
    /* after the lease expires, B takes over */
    assert_int_equal(notify_deliver_due(f->n, "node-b", now + NOTIFY_LEASE_MS + 1, 10, &pb, &err),
                     0);
    assert_int_equal(pb.leased, 1);
    assert_int_equal(pb.delivered, 0); /* nothing is delivered twice */

    st = store_prepare(c, SQL_SANDBOX, &err);
    store_bind_int64(st, 1, id);
    assert_int_equal(store_step(st, &err), STORE_ROW);
    assert_string_equal(store_col_text(st, 0), "139****5678");
    assert_string_equal(store_col_text(st, 1), "en");
    assert_string_equal(store_col_text(st, 2), "Hello Dolma: there is news about your case N-1.");
    assert_int_equal(store_step(st, &err), STORE_DONE);
    store_reset(st);
    int64_t pending, sent, failed;
    assert_int_equal(notify_outbox_counts(f->n, &pending, &sent, &failed, &err), 0);
    assert_true(sent >= 1 && pending == 0);
}

/* A carrier that is down: every delivery fails. */
static int carrier_down(void *ctx, struct store_conn *c, int64_t outbox_id, const char *address,
                        const char *lang, const char *text, struct err *err)
{
    (*(int *)ctx)++;
    return err_set(err, 503, "notify.carrier_down", "the carrier does not answer");
}

static void test_retry_backoff_give_up(void **state)
{
    struct fixture *f = *state;
    struct err err;
    err_clear(&err);
    int calls = 0;
    struct notify_channel down = {.name = "sms", .ctx = &calls, .deliver = carrier_down};
    assert_int_equal(notify_set_channel(f->n, &down, &err), 0);
    struct notify_channel wrong = {.name = "fax", .ctx = &calls, .deliver = carrier_down};
    assert_int_equal(notify_set_channel(f->n, &wrong, &err), -1);
    int64_t id;
    struct notify_msg m = {.account_id = 9, .phone = "13800000000", .kind = "notify.test.hello"};
    assert_int_equal(send_tx(f, &m, &id, &err), 0);
    struct store_conn *c = store_conn(f->s, &err);
    int64_t now = time_now_ms() + 10 * NOTIFY_LEASE_MS; /* past the earlier test's lease */
    struct notify_pass pass;
    int64_t expect_next = now;
    for (int attempt = 1; attempt <= NOTIFY_MAX_ATTEMPTS; attempt++) {
        /* not due yet: nothing happens */
        if (attempt > 1) {
            assert_int_equal(notify_deliver_due(f->n, "node-a", expect_next - 1, 10, &pass, &err),
                             0);
            assert_int_equal(pass.retried + pass.failed + pass.delivered, 0);
        }
        assert_int_equal(notify_deliver_due(f->n, "node-a", expect_next, 10, &pass, &err), 0);
        assert_int_equal(calls, attempt);
        struct store_stmt *st = store_prepare(c, SQL_OUTBOX, &err);
        store_bind_int64(st, 1, id);
        assert_int_equal(store_step(st, &err), STORE_ROW);
        assert_int_equal(store_col_int64(st, 1), attempt);
        assert_string_equal(store_col_text(st, 3), "notify.carrier_down");
        if (attempt < NOTIFY_MAX_ATTEMPTS) {
            assert_int_equal(pass.retried, 1);
            assert_string_equal(store_col_text(st, 0), "pending");
            int64_t backoff = NOTIFY_BACKOFF_MS << (attempt - 1);
            if (backoff > NOTIFY_BACKOFF_MAX_MS)
                backoff = NOTIFY_BACKOFF_MAX_MS;
            assert_int_equal(store_col_int64(st, 2), expect_next + backoff);
            expect_next += backoff;
        } else {
            assert_int_equal(pass.failed, 1);
            assert_string_equal(store_col_text(st, 0), "failed");
        }
        store_reset(st);
    }
    /* given up: never tried again */
    assert_int_equal(notify_deliver_due(f->n, "node-a", expect_next + NOTIFY_BACKOFF_MAX_MS * 2, 10,
                                        &pass, &err),
                     0);
    assert_int_equal(calls, NOTIFY_MAX_ATTEMPTS);
}

static void test_job_thread(void **state)
{
    struct fixture *f = *state;
    struct err err;
    err_clear(&err);
    struct notify *n2;
    assert_int_equal(notify_open(f->s, f->kr, &n2, &err), 0);
    int64_t id;
    struct notify_msg m = {.account_id = 0, .phone = "13700000001", .kind = "notify.test.hello"};
    assert_int_equal(send_tx(f, &m, &id, &err), 0);
    /* the earlier tests' holders had leases in the future: release them for the job */
    static const char SQL_FREE[] = "UPDATE notify_leases SET expires_at = 0";
    struct store_conn *c = store_conn(f->s, &err);
    struct store_stmt *st = store_prepare(c, SQL_FREE, &err);
    assert_int_equal(store_run(st, NULL, &err), 0);
    assert_int_equal(notify_start(n2, 10, &err), 0);
    int found = 0;
    for (int i = 0; i < 500 && !found; i++) {
        usleep(10000);
        st = store_prepare(c, SQL_SANDBOX, &err);
        store_bind_int64(st, 1, id);
        found = store_step(st, &err) == STORE_ROW;
        store_reset(st);
    }
    notify_stop(n2);
    notify_close(n2);
    assert_true(found);
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
        cmocka_unit_test(test_render),
        cmocka_unit_test(test_send_validation),
        cmocka_unit_test(test_inbox),
        cmocka_unit_test(test_sms_delivery_and_lease),
        cmocka_unit_test(test_retry_backoff_give_up),
        cmocka_unit_test(test_job_thread),
    };
    int rc = cmocka_run_group_tests_name("notify", tests, setup, teardown);
    i18n_free();
    return rc;
}
