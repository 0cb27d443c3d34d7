/*
 * hotline_test.c - the hotline's logic without HTTP: the naive Bayes classifier on a small
 * Chinese and Tibetan set, routing rules (the most specific division prefix wins), deadlines
 * in hours and in working days over the Xizang calendar, the yellow/red marks, phone masking
 * the intake's field errors and the deadline job (a reminder at yellow, an escalation at red,
 * each once). SQLite in a temporary directory.
 */
#include "test.h"

#include "fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/arena.h"
#include "base/id.h"
#include "calendar/calendar.h"
#include "crypto/crypto.h"
#include "divisions/divisions.h"
#include "hotline/hotline.h"
#include "identity/identity.h"
#include "store/store.h"

struct fixture {
    struct fx_db db;
    struct store *s;           /* db.s */
    struct crypto_keyring *kr; /* db.kr */
    struct identity *id;
    struct hotline *h;
};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    struct err err;
    if (fx_db_open(&fx->db, "hotline", FX_DIVISIONS | FX_CALENDAR) < 0)
        return -1;
    fx->s = fx->db.s;
    fx->kr = fx->db.kr;
    struct identity_options io = {.fast_passwords = 1};
    if (identity_open(fx->s, fx->kr, &io, &fx->id, &err) < 0 ||
        hotline_open(fx->s, fx->kr, fx->id, &fx->h, &err) < 0) {
        fprintf(stderr, "hotline_test: %s\n", err.msg);
        return -1;
    }
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    hotline_close(fx->h);
    identity_close(fx->id);
    int rc = fx_db_close(&fx->db);
    free(fx);
    return rc;
}

/* ---- the classifier ---------------------------------------------------------------------- */

static void test_classifier(void **state)
{
    (void)state;
    static const char *texts[] = {
        "小区停水三天了，请恢复供水", "自来水发黄有异味",  "水压太低接不到水",
        "暖气不热室内很冷",           "供暖费怎么缴纳",    "暖气片漏水",
        "ང་ཚོའི་ཁྱིམ་དུ་ཆུ་མི་འདུག",          "ཁང་པའི་ནང་དྲོད་མི་འདུག", "户口迁移需要什么材料",
        "身份证丢失补办户口",
    };
    static const char *cats[] = {"water",   "water", "water",   "heating", "heating",
                                 "heating", "water", "heating", "hukou",   "hukou"};
    static const int64_t depts[] = {1, 1, 1, 1, 1, 1, 1, 1, 2, 2};
    struct hotline_model *m = hotline_model_train(texts, cats, depts, 10);
    assert_non_null(m);
    struct hotline_suggestion s;
    hotline_model_predict(m, "我家停水了，水龙头没有水", &s);
    assert_int_equal(s.ncat, 3);
    assert_string_equal(s.cat[0].label, "water");
    assert_true(s.cat[0].p > s.cat[1].p && s.cat[1].p >= s.cat[2].p);
    double sum = 0;
    for (int i = 0; i < s.ncat; i++)
        sum += s.cat[i].p;
    assert_true(sum <= 1.0000001);
    hotline_model_predict(m, "暖气一点都不热", &s);
    assert_string_equal(s.cat[0].label, "heating");
    hotline_model_predict(m, "ཁྱིམ་དུ་ཆུ་མི་འདུག", &s); /* Tibetan, no segmentation */
    assert_string_equal(s.cat[0].label, "water");
    hotline_model_predict(m, "补办户口本", &s);
    assert_string_equal(s.cat[0].label, "hukou");
    assert_int_equal(s.ndept, 2);
    assert_string_equal(s.dept[0].label, "2");
    /* Empty or punctuation-only text: the priors decide, nothing crashes. */
    hotline_model_predict(m, "", &s);
    assert_int_equal(s.ncat, 3);
    hotline_model_predict(m, "！？。，,.;", &s);
    assert_int_equal(s.ncat, 3);
    hotline_model_free(m);
    /* No model: no suggestion. */
    hotline_model_predict(NULL, "停水", &s);
    assert_int_equal(s.ncat, 0);
    /* A model of nothing is valid and suggests nothing. */
    m = hotline_model_train(NULL, NULL, NULL, 0);
    assert_non_null(m);
    hotline_model_predict(m, "停水", &s);
    assert_int_equal(s.ncat, 0);
    hotline_model_free(m);
}

/* ---- routing ------------------------------------------------------------------------------- */

static void test_routing(void **state)
{
    struct fixture *fx = *state;
    struct err err;
    int64_t region, city, county, got;
    assert_int_equal(hotline_category_put(fx->h, 0, "hukou", "户籍", NULL, "Hukou", &err), 0);
    assert_int_equal(identity_department_create(fx->id, 0, NULL, "r", "区厅", NULL, NULL,
                                                540000000000LL, &region, &err),
                     0);
    assert_int_equal(identity_department_create(fx->id, 0, NULL, "c", "市局", NULL, NULL,
                                                540100000000LL, &city, &err),
                     0);
    assert_int_equal(identity_department_create(fx->id, 0, NULL, "k", "区分局", NULL, NULL,
                                                540102000000LL, &county, &err),
                     0);
    assert_int_equal(hotline_route_put(fx->h, 0, "hukou", 540000000000LL, region, &err), 0);
    assert_int_equal(hotline_route_put(fx->h, 0, "hukou", 540102000000LL, county, &err), 0);
    assert_int_equal(hotline_route_put(fx->h, 0, "hukou", 540100000000LL, city, &err), 0);
    assert_int_equal(hotline_route(fx->h, "hukou", 540102002000LL, &got, &err), 0);
    assert_int_equal(got, county); /* the deepest prefix wins, whatever the order of rules */
    assert_int_equal(hotline_route(fx->h, "hukou", 540103001000LL, &got, &err), 0);
    assert_int_equal(got, city);
    assert_int_equal(hotline_route(fx->h, "hukou", 540200000000LL, &got, &err), 0);
    assert_int_equal(got, region);
    assert_int_equal(hotline_route(fx->h, "water", 540102002000LL, &got, &err), 0);
    assert_int_equal(got, 0); /* no rule: the agent decides */
    /* Replacing a rule, and bad rules. */
    assert_int_equal(hotline_route_put(fx->h, 0, "hukou", 540102000000LL, city, &err), 0);
    assert_int_equal(hotline_route(fx->h, "hukou", 540102002000LL, &got, &err), 0);
    assert_int_equal(got, city);
    assert_int_equal(hotline_route_put(fx->h, 0, "nope", 540000000000LL, city, &err), -1);
    assert_string_equal(err.code, "hotline.bad_category");
    assert_int_equal(hotline_route_put(fx->h, 0, "hukou", 540000000000LL, 12345, &err), -1);
    assert_string_equal(err.code, "hotline.bad_department");
    assert_int_equal(hotline_category_put(fx->h, 0, "Bad Code", "x", NULL, NULL, &err), -1);
    assert_string_equal(err.code, "hotline.bad_category_code");
}

/* ---- deadlines and marks -------------------------------------------------------------------- */

static void test_deadlines(void **state)
{
    struct fixture *fx = *state;
    struct err err;
    int64_t d;
    /* urgent: 24 hours. */
    int64_t start = calendar_day_start_ms(calendar_day_from_ymd(2026, 2, 13)) + 10 * 3600 * 1000LL;
    assert_int_equal(hotline_deadline(fx->h, "urgent", start, &d, &err), 0);
    assert_int_equal(d, start + 24 * 3600 * 1000LL);
    /* normal: 5 working days over the Xizang calendar. From Friday 2025-09-26 it ends on
     * 2025-10-10 (the National Day holiday and the make-up Sunday counted). */
    start = calendar_day_start_ms(calendar_day_from_ymd(2025, 9, 26)) + 9 * 3600 * 1000LL;
    assert_int_equal(hotline_deadline(fx->h, "normal", start, &d, &err), 0);
    int y, m, dd;
    calendar_day_to_ymd(calendar_day_of_ms(d), &y, &m, &dd);
    assert_int_equal(y * 10000 + m * 100 + dd, 20251010);
    assert_int_equal(hotline_deadline(fx->h, "whenever", start, &d, &err), -1);

    struct hotline_order o;
    memset(&o, 0, sizeof(o));
    o.status = "dispatched";
    o.dispatched_at = 1000000;
    o.deadline_at = 1000000 + 100000;
    assert_string_equal(hotline_mark(&o, 1000000 + 79999), "green");
    assert_string_equal(hotline_mark(&o, 1000000 + 80000), "yellow");
    assert_string_equal(hotline_mark(&o, 1000000 + 100000), "yellow");
    assert_string_equal(hotline_mark(&o, 1000000 + 100001), "red");
    o.status = "replied";
    o.replied_at = 1000000 + 100001;
    assert_string_equal(hotline_mark(&o, 1000000 + 900000), "red"); /* replied late */
    o.replied_at = 1000000 + 50000;
    assert_string_equal(hotline_mark(&o, 1000000 + 900000), "green");
}

/* ---- intake ------------------------------------------------------------------------------------
 */

static void test_intake(void **state)
{
    struct fixture *fx = *state;
    struct err err;
    struct arena *a = arena_new(0);
    struct hotline_field_errors fe;
    int64_t id;
    const char *number;
    struct hotline_intake bad = {"fax", "nope", "540102000000", "",   "91", NULL, "短",
                                 NULL,  "12",   "soon",         "zh", 0,    0,    0};
    assert_int_equal(hotline_order_create(fx->h, a, &bad, NULL, &id, &number, &fe, &err), 1);
    /* channel, urgency, category, division, address, coordinates, description, phone */
    assert_int_equal(fe.n, 8);
    struct hotline_intake ok = {
        "phone",         NULL, "540102002000", "八廓街", NULL, NULL, "小区停水三天了", "扎西",
        "139-1111-2222", NULL, "bo",           0,        0,    0};
    assert_int_equal(hotline_order_create(fx->h, a, &ok, NULL, &id, &number, &fe, &err), 0);
    assert_int_equal(strlen(number), 21);
    assert_memory_equal(number + 9, "540102", 6);
    struct hotline_order o;
    assert_int_equal(hotline_order_get(fx->h, a, number, &o, 1, &err), 0);
    assert_string_equal(o.phone, "13911112222");
    assert_string_equal(o.phone_masked, "139****2222");
    assert_string_equal(o.lang, "bo");
    assert_int_equal(hotline_order_get(fx->h, a, number, &o, 0, &err), 0);
    assert_null(o.phone);
    assert_int_equal(hotline_order_lookup(fx->h, a, number, "13911112222", "127.0.0.1", &o, &err),
                     0);
    assert_int_equal(hotline_order_lookup(fx->h, a, number, "13911112223", "127.0.0.1", &o, &err),
                     -1);
    assert_int_equal(err.status, 404);
    /* A second order the same day in the same county: the next sequence number. */
    const char *second;
    assert_int_equal(hotline_order_create(fx->h, a, &ok, NULL, &id, &second, &fe, &err), 0);
    assert_int_equal(atoi(second + 15), atoi(number + 15) + 1);
    /* A caller who writes in Tibetan: name, address and description pass as typed and
     * are stored in NFC (U+0F73, which NFC decomposes, becomes U+0F71 U+0F72). */
    struct hotline_intake bo = {"web",
                                NULL,
                                "540102002000",
                                "བར་སྐོར་ལམ། ཨང་ ༣",
                                NULL,
                                NULL,
                                "ཆུ་ཉིན་གསུམ་ལ་ཆད་འདུག ཞིབ་བཤེར་གནང་རོགས།",
                                "\xe0\xbd\xa4\xe0\xbe\xb2\xe0\xbd\xb3"
                                "་སྒྲོལ་མ།",
                                NULL,
                                NULL,
                                "bo",
                                0,
                                0,
                                0};
    assert_int_equal(hotline_order_create(fx->h, a, &bo, NULL, &id, &second, &fe, &err), 0);
    assert_int_equal(hotline_order_get(fx->h, a, second, &o, 1, &err), 0);
    assert_string_equal(o.address, "བར་སྐོར་ལམ། ཨང་ ༣");
    assert_string_equal(o.description, "ཆུ་ཉིན་གསུམ་ལ་ཆད་འདུག ཞིབ་བཤེར་གནང་རོགས།");
    assert_non_null(strstr(o.caller_name, "\xe0\xbd\xa4\xe0\xbe\xb2\xe0\xbd\xb1\xe0\xbd\xb2"));
    assert_null(strstr(o.caller_name, "\xe0\xbd\xb3"));
    /* Masks. */
    assert_string_equal(hotline_mask_phone(a, "08916331234"), "089****1234");
    assert_string_equal(hotline_mask_phone(a, "123"), "***");
    arena_free(a);
}

/* ---- the deadline job ------------------------------------------------------------------------ */

static void test_tick(void **state)
{
    struct fixture *fx = *state;
    struct err err;
    struct arena *a = arena_new(0);
    struct hotline_field_errors fe;
    int64_t id, dept, head;
    const char *number;
    assert_int_equal(hotline_category_put(fx->h, 0, "water", "供水", NULL, NULL, &err), 0);
    assert_int_equal(identity_department_create(fx->id, 0, NULL, "w", "水务局", NULL, NULL,
                                                540100000000LL, &dept, &err),
                     0);
    assert_int_equal(
        identity_staff_create(fx->id, 0, NULL, "head.w", "负责人", "Head-2026-pass", &head, &err),
        0);
    assert_int_equal(identity_grant(fx->id, 0, NULL, head, dept, ROLE_HEAD, &err), 0);
    struct hotline_intake in = {
        "phone", NULL, "540102002000", "八廓街", NULL, NULL, "水管爆裂，马路上全是水",
        NULL,    NULL, "urgent",       "zh",     0,    0,    0};
    assert_int_equal(hotline_order_create(fx->h, a, &in, NULL, &id, &number, &fe, &err), 0);
    assert_int_equal(hotline_dispatch(fx->h, 0, NULL, number, "water", dept, &err), 0);
    struct hotline_order o;
    assert_int_equal(hotline_order_get(fx->h, a, number, &o, 0, &err), 0);
    assert_int_equal(o.deadline_at - o.dispatched_at, 24 * 3600 * 1000LL);
    int reminded, escalated;
    /* Before 80%: nothing. */
    assert_int_equal(
        hotline_tick(fx->h, o.dispatched_at + 3600 * 1000LL, &reminded, &escalated, &err), 0);
    assert_int_equal(reminded + escalated, 0);
    /* At 90%: one reminder, once. */
    int64_t t = o.dispatched_at + 22 * 3600 * 1000LL;
    assert_int_equal(hotline_tick(fx->h, t, &reminded, &escalated, &err), 0);
    assert_int_equal(reminded, 1);
    assert_int_equal(escalated, 0);
    assert_int_equal(hotline_tick(fx->h, t, &reminded, &escalated, &err), 0);
    assert_int_equal(reminded, 0);
    /* Overdue: escalated to the head, once. */
    t = o.deadline_at + 1;
    assert_int_equal(hotline_tick(fx->h, t, &reminded, &escalated, &err), 0);
    assert_int_equal(escalated, 1);
    assert_int_equal(hotline_tick(fx->h, t + 1000, &reminded, &escalated, &err), 0);
    assert_int_equal(escalated, 0);
    assert_string_equal(hotline_mark(&o, t), "red");
    json_t *ev = NULL;
    assert_int_equal(hotline_timeline(fx->h, id, &ev, &err), 0);
    int seen_r = 0, seen_e = 0;
    size_t i;
    json_t *e;
    json_array_foreach(ev, i, e)
    {
        const char *k = json_string_value(json_object_get(e, "kind"));
        seen_r += strcmp(k, "reminded") == 0;
        seen_e += strcmp(k, "escalated") == 0;
    }
    json_decref(ev);
    assert_int_equal(seen_r, 1);
    assert_int_equal(seen_e, 1);
    /* A replied order is left alone. */
    assert_int_equal(hotline_reply(fx->h, 0, NULL, number, "已修复", &err), 0);
    assert_int_equal(hotline_tick(fx->h, t + 999999, &reminded, &escalated, &err), 0);
    assert_int_equal(reminded + escalated, 0);
    arena_free(a);
}

int main(void)
{
    id_init(1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classifier),
        cmocka_unit_test_setup_teardown(test_routing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deadlines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_intake, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tick, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
