/* pay_test.c - payment logic on a real SQLite store: amounts as text without floating
 * point, the canonical string and the notification parser, the sandbox's SM2 signature,
 * and the order state machine (a payment taken once, a second payment an exception
 * refunded, refunds never past what was paid, a receipt that cannot be made does not
 * refuse the money). */
#include "test.h"

#include "fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/id.h"
#include "crypto/crypto.h"
#include "identity/identity.h"
#include "pay/pay_internal.h"
#include "store/store.h"

struct fixture {
    struct fx_db db;
    struct store *s;
    struct crypto_keyring *kr;
    struct identity *id;
    struct pay *p;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct err err;
    struct identity_options io = {.fast_passwords = 1};
    err_clear(&err);
    if (fx_db_open(&f->db, "pay", 0) < 0)
        return -1;
    f->s = f->db.s;
    f->kr = f->db.kr;
    if (identity_open(f->s, f->kr, &io, &f->id, &err) < 0 ||
        pay_open(f->s, f->kr, f->id, NULL, NULL, &f->p, &err) < 0) {
        fprintf(stderr, "setup: %s\n", err.msg);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    pay_close(f->p);
    identity_close(f->id);
    int rc = fx_db_close(&f->db);
    free(f);
    return rc == 0 ? 0 : -1;
}

static void test_fen_text(void **state)
{
    (void)state;
    char b[32], d[11];
    pay_fen_text(12000, b, sizeof(b));
    assert_string_equal(b, "120.00");
    pay_fen_text(5, b, sizeof(b));
    assert_string_equal(b, "0.05");
    pay_fen_text(-150, b, sizeof(b));
    assert_string_equal(b, "-1.50");
    pay_fen_text(0, b, sizeof(b));
    assert_string_equal(b, "0.00");
    /* A day is a day in China: 16:00 UTC is already the next day. */
    pay_day_of(15LL * 3600 * 1000, d);
    assert_string_equal(d, "1970-01-01");
    pay_day_of(16LL * 3600 * 1000, d);
    assert_string_equal(d, "1970-01-02");
}

static void test_canonical(void **state)
{
    (void)state;
    const char *k[] = {"txn", "amount", "sign", "memo", "currency"};
    const char *v[] = {"T1", "12000", "abcd", "", "CNY"};
    char out[128];
    assert_int_equal(pay_canonical(k, v, 5, out, sizeof(out)), 0);
    assert_string_equal(out, "amount=12000&currency=CNY&txn=T1");
    assert_int_equal(pay_canonical(k, v, 5, out, 10), -1); /* too small: refused, not cut */
}

static void test_parse(void **state)
{
    (void)state;
    struct pay_notice *n = calloc(1, sizeof(*n));
    struct err e;
    const char ok[] = "txn=T1&notify_id=N1&order=0001&amount=12000&currency=CNY&status=paid&"
                      "paid_at=5&sign=00ff";
    assert_int_equal(pay_notice_parse(ok, strlen(ok), n, &e), 0);
    assert_string_equal(n->order, "0001");
    assert_int_equal(n->amount_fen, 12000);
    assert_string_equal(n->canonical, "amount=12000&currency=CNY&notify_id=N1&order=0001&"
                                      "paid_at=5&status=paid&txn=T1");
    const char *bad[] = {
        "txn=T1&notify_id=N1&order=1&amount=12000&currency=CNY&status=paid",           /* no sign */
        "txn=T%31&notify_id=N1&order=1&amount=1&currency=CNY&status=paid&sign=00",     /* escape */
        "txn=T1&txn=T2&notify_id=N1&order=1&amount=1&currency=CNY&status=paid&sign=0", /* twice */
        "txn=T1&notify_id=N1&order=1&amount=-5&currency=CNY&status=paid&sign=00",      /* amount */
        "txn=T1&notify_id=N1&order=1&amount=1.5&currency=CNY&status=paid&sign=00",     /* amount */
        "garbage",
        "",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err_clear(&e);
        assert_int_equal(pay_notice_parse(bad[i], strlen(bad[i]), n, &e), -1);
        assert_int_equal(e.status, 400);
        assert_string_equal(e.code, "pay.bad_notice");
    }
    char *big = malloc(PAY_NOTICE_MAX + 10);
    memset(big, 'a', PAY_NOTICE_MAX + 9);
    big[PAY_NOTICE_MAX + 9] = '\0';
    assert_int_equal(pay_notice_parse(big, strlen(big), n, &e), -1);
    free(big);
    free(n);
}

static void test_signature(void **state)
{
    struct fixture *f = *state;
    struct pay_notice *n = calloc(1, sizeof(*n));
    struct err e;
    char sig[200], body[600];
    const char params[] = "amount=12000&currency=CNY&notify_id=N1&order=0001&status=paid&txn=T1";
    assert_int_equal(pay_sandbox_sign(f->p, params, sig, sizeof(sig)), 0);
    snprintf(body, sizeof(body), "%s&sign=%s", params, sig);
    assert_int_equal(pay_notice_parse(body, strlen(body), n, &e), 0);
    assert_int_equal(pay_sandbox_gateway.verify(f->p, n), 0);
    /* One changed parameter under the same signature: refused. */
    snprintf(body, sizeof(body), "%s&sign=%s",
             "amount=12001&currency=CNY&notify_id=N1&order=0001&status=paid&txn=T1", sig);
    assert_int_equal(pay_notice_parse(body, strlen(body), n, &e), 0);
    assert_int_equal(pay_sandbox_gateway.verify(f->p, n), -1);
    free(n);
}

static int64_t order_new(struct fixture *f, const char *code, int64_t fen)
{
    struct err e;
    struct pay_order o;
    memset(&o, 0, sizeof(o));
    o.id = id_next();
    snprintf(o.code, sizeof(o.code), "%s", code);
    o.application_id = o.id;
    snprintf(o.number, sizeof(o.number), "N%s", code);
    snprintf(o.item_code, sizeof(o.item_code), "XZ-GA-001");
    o.department_id = 7;
    o.payer = 42;
    o.amount_fen = fen;
    snprintf(o.due, sizeof(o.due), "submission");
    o.created_at = time_now_ms();
    o.expires_at = o.created_at + PAY_ORDER_TTL_MS;
    assert_int_equal(pay_db_order_insert(store_conn(f->s, &e), &o, &e), 0);
    return o.id;
}

static struct pay_order get(struct fixture *f, const char *code)
{
    struct pay_order o;
    struct err e;
    int found = 0;
    assert_int_equal(pay_db_order_get(store_conn(f->s, &e), code, &o, &found, &e), 0);
    assert_true(found);
    return o;
}

static void test_state_machine(void **state)
{
    struct fixture *f = *state;
    struct err e;
    char a[64], b[64];
    int delivered = 0;
    order_new(f, "00000000000000000042", 12000);
    /* Two payments at the bank, their notifications delivered by one pass. */
    assert_int_equal(pay_sandbox_pay_now(f->p, "00000000000000000042", 12000, "CNY", 0, a, &e), 0);
    assert_int_equal(pay_sandbox_pay_now(f->p, "00000000000000000042", 12000, "CNY", 0, b, &e), 0);
    assert_int_equal(pay_work_pass(f->p, time_now_ms(), &delivered, &e), 0);
    assert_int_equal(delivered, 2);
    struct pay_order o = get(f, "00000000000000000042");
    assert_string_equal(o.state, "paid");
    assert_int_equal(o.paid_fen, 12000);
    assert_string_equal(o.txn, a);
    /* No finance department here: the receipt fails softly and the money stands. */
    assert_string_equal(o.receipt, "");
    /* The same payment again (a query's answer): nothing changes. */
    assert_int_equal(
        pay_take_gateway_payment(f->p, &pay_sandbox_gateway, o.code, a, 12000, NULL, NULL, &e), 0);
    assert_int_equal(get(f, o.code).paid_fen, 12000);
    /* The second payment was refunded at the bank. */
    struct pay_sb_txn t;
    int found = 0;
    assert_int_equal(pay_db_sb_txn_get(store_conn(f->s, &e), b, &t, &found, &e), 0);
    assert_int_equal(t.refunded_fen, 12000);
    /* Refunds: never past what was paid. */
    err_clear(&e);
    assert_int_equal(pay_refund(f->p, NULL, o.code, 12001, "too much", NULL, &e), -1);
    assert_string_equal(e.code, "pay.over_refund");
    assert_int_equal(pay_refund(f->p, NULL, o.code, 2000, "part", NULL, &e), 0);
    assert_string_equal(get(f, o.code).state, "partly_refunded");
    err_clear(&e);
    assert_int_equal(pay_refund(f->p, NULL, o.code, 10001, "rest+1", NULL, &e), -1);
    assert_int_equal(pay_refund(f->p, NULL, o.code, 10000, "rest", NULL, &e), 0);
    o = get(f, o.code);
    assert_string_equal(o.state, "refunded");
    assert_int_equal(o.refunded_fen, 12000);
    err_clear(&e);
    assert_int_equal(pay_refund(f->p, NULL, o.code, 1, "again", NULL, &e), -1);
    assert_string_equal(e.code, "pay.bad_state");
    assert_int_equal(pay_db_sb_txn_get(store_conn(f->s, &e), a, &t, &found, &e), 0);
    assert_int_equal(t.refunded_fen, 12000);
}

static void test_timeout_and_late_payment(void **state)
{
    struct fixture *f = *state;
    struct err e;
    char txn[64];
    int closed = 0, delivered = 0;
    order_new(f, "00000000000000000043", 500);
    assert_int_equal(pay_close_expired(f->p, time_now_ms() + PAY_ORDER_TTL_MS + 1, &closed, &e), 0);
    assert_int_equal(closed, 1);
    assert_string_equal(get(f, "00000000000000000043").state, "closed");
    assert_int_equal(pay_sandbox_pay_now(f->p, "00000000000000000043", 500, "CNY", 0, txn, &e), 0);
    assert_int_equal(pay_work_pass(f->p, time_now_ms(), &delivered, &e), 0);
    struct pay_order o = get(f, "00000000000000000043");
    assert_string_equal(o.state, "closed");
    assert_int_equal(o.paid_fen, 0);
    struct pay_sb_txn t;
    int found = 0;
    assert_int_equal(pay_db_sb_txn_get(store_conn(f->s, &e), txn, &t, &found, &e), 0);
    assert_int_equal(t.refunded_fen, 500);
}

int main(void)
{
    id_init(3);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fen_text),      cmocka_unit_test(test_canonical),
        cmocka_unit_test(test_parse),         cmocka_unit_test(test_signature),
        cmocka_unit_test(test_state_machine), cmocka_unit_test(test_timeout_and_late_payment),
    };
    return cmocka_run_group_tests_name("pay", tests, setup, teardown);
}
