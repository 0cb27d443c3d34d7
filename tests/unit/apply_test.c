/*
 * apply_test.c - the pure parts of applications: validation of every field type, the
 * state machine, content sniffing, the working-day clock with its 补正 pause and
 * carry-over across a holiday, the multipart/form-data parser uploads come through, and
 * application numbers from per-process blocks (unique across processes, a fresh sequence
 * per day and county).
 */
#include "test.h"

#include <string.h>

#include "apply/apply.h"
#include "apply/apply_internal.h"
#include "base/arena.h"
#include "calendar/calendar.h"
#include "fixture.h"
#include "identity/identity.h"
#include "store/store.h"
#include "web/form.h"

static json_t *item_with(const char *fields_json)
{
    char buf[4096];
    snprintf(buf, sizeof(buf), "{\"code\": \"T-1\", \"form\": {\"fields\": %s}}", fields_json);
    json_error_t e;
    json_t *item = json_loads(buf, 0, &e);
    assert_non_null(item);
    return item;
}

/* Validate {key: value} against one field; the problem code or NULL, and the clean value. */
static const char *check(const char *field_json, const char *value, json_t **clean_out)
{
    char fields[2048];
    snprintf(fields, sizeof(fields), "[%s]", field_json);
    json_t *item = item_with(fields);
    json_t *values = json_object(), *clean = json_object(), *problems = json_array();
    if (value != NULL)
        json_object_set_new(values, "k", json_string_nocheck(value));
    int n = apply_form_validate(item, values, 20261126, clean, problems);
    assert_int_equal(n, (int)json_array_size(problems));
    static char code[64];
    const char *res = NULL;
    if (n > 0) {
        snprintf(code, sizeof(code), "%s",
                 json_string_value(json_object_get(json_array_get(problems, 0), "code")));
        assert_string_equal(json_string_value(json_object_get(json_array_get(problems, 0), "key")),
                            "k");
        res = code;
    }
    if (clean_out != NULL)
        *clean_out = json_incref(json_object_get(clean, "k"));
    json_decref(item);
    json_decref(values);
    json_decref(clean);
    json_decref(problems);
    return res;
}

#define OK(f, v) assert_null(check(f, v, NULL))
#define BAD(f, v, c) assert_string_equal(check(f, v, NULL), c)

static void test_text(void **state)
{
    (void)state;
    const char *f =
        "{\"key\":\"k\",\"type\":\"text\",\"required\":true,\"min_len\":2,\"max_len\":4}";
    BAD(f, NULL, "apply.err.required");
    BAD(f, "   ", "apply.err.required");
    BAD(f, "扎", "apply.err.too_short");
    OK(f, "扎西");
    OK(f, "扎西多吉"); /* four characters, twelve bytes: lengths count characters */
    BAD(f, "扎西多吉呢", "apply.err.too_long");
    BAD(f, "a\xff", "apply.err.encoding");
    json_t *v;
    assert_null(check(f, "  扎西 ", &v)); /* trimmed */
    assert_string_equal(json_string_value(v), "扎西");
    json_decref(v);
    const char *p = "{\"key\":\"k\",\"type\":\"text\",\"pattern\":\"[A-Z]{2}[0-9]+\"}";
    OK(p, "XZ12");
    BAD(p, "XZ12a", "apply.err.pattern"); /* anchored */
    OK(p, "");                            /* optional and empty */
    OK("{\"key\":\"k\",\"type\":\"textarea\"}", "a\nb");
}

/* Tibetan in text fields (issue 11, item 7): letters, tsheg and shad pass as typed, and the
 * value is kept in NFC: U+0F73 (ཱི precomposed, which NFC decomposes) becomes U+0F71
 * U+0F72, a decomposed é is composed. */
static void test_tibetan_text(void **state)
{
    (void)state;
    const char *f = "{\"key\":\"k\",\"type\":\"text\",\"required\":true,\"max_len\":40}";
    json_t *v;
    assert_null(check(f, "བཀྲ་ཤིས་རྡོ་རྗེ།", &v));
    assert_string_equal(json_string_value(v), "བཀྲ་ཤིས་རྡོ་རྗེ།");
    json_decref(v);
    assert_null(check(f, "\xe0\xbd\xa4\xe0\xbe\xb2\xe0\xbd\xb3\xe0\xbc\x8b", &v));
    assert_string_equal(json_string_value(v),
                        "\xe0\xbd\xa4\xe0\xbe\xb2\xe0\xbd\xb1\xe0\xbd\xb2\xe0\xbc\x8b");
    json_decref(v);
    assert_null(check(f, "Rene\xcc\x81", &v));
    assert_string_equal(json_string_value(v), "Ren\xc3\xa9");
    json_decref(v);
    assert_null(
        check("{\"key\":\"k\",\"type\":\"textarea\"}", "ལྷ་ས་གྲོང་ཁྱེར། ཁྲིན་ཀོན་ཆུས།\nབར་སྐོར།", NULL));
}

static void test_number_date_select_checkbox(void **state)
{
    (void)state;
    const char *n = "{\"key\":\"k\",\"type\":\"number\",\"min\":1,\"max\":10}";
    json_t *v;
    assert_null(check(n, "7", &v));
    assert_int_equal(json_integer_value(v), 7);
    json_decref(v);
    BAD(n, "0", "apply.err.number_min");
    BAD(n, "11", "apply.err.number_max");
    BAD(n, "3.5", "apply.err.number");
    BAD(n, "1e3", "apply.err.number");
    BAD(n, "-", "apply.err.number");
    const char *d = "{\"key\":\"k\",\"type\":\"date\",\"min\":\"today\",\"max\":\"2030-12-31\"}";
    OK(d, "2026-11-26"); /* today is allowed */
    BAD(d, "2026-11-25", "apply.err.date_min");
    BAD(d, "2031-01-01", "apply.err.date_max");
    BAD(d, "2026-02-30", "apply.err.date");
    BAD(d, "26-1-1", "apply.err.date");
    const char *s =
        "{\"key\":\"k\",\"type\":\"select\",\"required\":true,\"options\":[{\"value\":\"m\","
        "\"label\":{\"zh\":\"男\"}},{\"value\":\"f\",\"label\":{\"zh\":\"女\"}}]}";
    OK(s, "f");
    BAD(s, "x", "apply.err.option");
    BAD(s, "", "apply.err.required");
    const char *c = "{\"key\":\"k\",\"type\":\"checkbox\",\"required\":true}";
    assert_null(check(c, "on", &v));
    assert_true(json_is_true(v));
    json_decref(v);
    BAD(c, NULL, "apply.err.required");
    assert_null(check("{\"key\":\"k\",\"type\":\"checkbox\"}", NULL, &v));
    assert_true(json_is_false(v));
    json_decref(v);
}

static void test_identifiers(void **state)
{
    (void)state;
    const char *id = "{\"key\":\"k\",\"type\":\"id_number\",\"required\":true}";
    json_t *v;
    assert_null(check(id, " 540102199001011233 ", &v));
    assert_string_equal(json_string_value(v), "540102199001011233");
    json_decref(v);
    BAD(id, "540102199001011234", "identity.id_check");
    BAD(id, "5401021990010112", "identity.id_length");
    BAD(id, "540102209901011233", "identity.id_birth_date"); /* born after today */
    const char *u = "{\"key\":\"k\",\"type\":\"uscc\"}";
    OK(u, "91350100M000100Y43");
    BAD(u, "91350100M000100Y44", "identity.uscc_check");
    const char *ph = "{\"key\":\"k\",\"type\":\"phone\"}";
    OK(ph, "13800000001");
    BAD(ph, "12800000001", "identity.phone_invalid");
    BAD(ph, "1380000000", "identity.phone_invalid");
    const char *dv = "{\"key\":\"k\",\"type\":\"division\"}";
    OK(dv, "540102002000");
    OK(dv, "540102002001");
    BAD(dv, "5401020000", "apply.err.division");
    /* The division picker's half-picked choice, and a place outside the region. */
    BAD(dv, "540102000000", "divisions.incomplete");
    BAD(dv, "110101001000", "divisions.outside");
    const char *em = "{\"key\":\"k\",\"type\":\"email\"}";
    OK(em, "zhaxi@example.cn");
    BAD(em, "zhaxi@", "apply.err.email");
    BAD(em, "a b@example.cn", "apply.err.email");
    BAD("{\"key\":\"k\",\"type\":\"colour\"}", "red", "apply.err.type");
}

static void test_every_problem_at_once(void **state)
{
    (void)state;
    json_t *item = item_with("[{\"key\":\"a\",\"type\":\"text\",\"required\":true},"
                             "{\"key\":\"b\",\"type\":\"phone\",\"required\":true},"
                             "{\"key\":\"c\",\"type\":\"date\"}]");
    json_t *values = json_pack("{s:s, s:s}", "b", "123", "c", "x");
    json_t *clean = json_object(), *problems = json_array();
    assert_int_equal(apply_form_validate(item, values, 20261126, clean, problems), 3);
    const char *want[][2] = {
        {"a", "apply.err.required"}, {"b", "identity.phone_invalid"}, {"c", "apply.err.date"}};
    for (int i = 0; i < 3; i++) {
        json_t *p = json_array_get(problems, (size_t)i);
        assert_string_equal(json_string_value(json_object_get(p, "key")), want[i][0]);
        assert_string_equal(json_string_value(json_object_get(p, "code")), want[i][1]);
    }
    json_decref(item);
    json_decref(values);
    json_decref(clean);
    json_decref(problems);
}

static void test_state_machine(void **state)
{
    (void)state;
    assert_int_equal(apply_next_state(APPLY_SUBMITTED, APPLY_ACT_ACCEPT, -1), APPLY_ACCEPTED);
    assert_int_equal(apply_next_state(APPLY_SUBMITTED, APPLY_ACT_RETURN, -1), APPLY_RETURNED);
    assert_int_equal(apply_next_state(APPLY_SUBMITTED, APPLY_ACT_REJECT, -1), APPLY_REJECTED);
    assert_int_equal(apply_next_state(APPLY_ACCEPTED, APPLY_ACT_REVIEW, -1), APPLY_UNDER_REVIEW);
    assert_int_equal(apply_next_state(APPLY_UNDER_REVIEW, APPLY_ACT_APPROVE, -1), APPLY_APPROVED);
    assert_int_equal(apply_next_state(APPLY_UNDER_REVIEW, APPLY_ACT_DENY, -1), APPLY_DENIED);
    assert_int_equal(apply_next_state(APPLY_APPROVED, APPLY_ACT_DELIVER, -1), APPLY_DELIVERED);
    assert_int_equal(apply_next_state(APPLY_DELIVERED, APPLY_ACT_CLOSE, -1), APPLY_CLOSED);
    /* A resubmission returns where the case was returned from. */
    assert_int_equal(apply_next_state(APPLY_RETURNED, APPLY_ACT_RESUBMIT, APPLY_SUBMITTED),
                     APPLY_SUBMITTED);
    assert_int_equal(apply_next_state(APPLY_RETURNED, APPLY_ACT_RESUBMIT, APPLY_UNDER_REVIEW),
                     APPLY_UNDER_REVIEW);
    assert_int_equal(apply_next_state(APPLY_RETURNED, APPLY_ACT_RESUBMIT, -1), APPLY_SUBMITTED);
    /* Withdrawal only before a decision. */
    assert_int_equal(apply_next_state(APPLY_UNDER_REVIEW, APPLY_ACT_WITHDRAW, -1), APPLY_WITHDRAWN);
    assert_int_equal(apply_next_state(APPLY_APPROVED, APPLY_ACT_WITHDRAW, -1), -1);
    assert_int_equal(apply_next_state(APPLY_DENIED, APPLY_ACT_WITHDRAW, -1), -1);
    /* Nothing skips a step, nothing leaves a final state. */
    assert_int_equal(apply_next_state(APPLY_SUBMITTED, APPLY_ACT_APPROVE, -1), -1);
    assert_int_equal(apply_next_state(APPLY_ACCEPTED, APPLY_ACT_APPROVE, -1), -1);
    for (int a = 0; a < APPLY_ACT_COUNT; a++) {
        assert_int_equal(apply_next_state(APPLY_CLOSED, a, -1), -1);
        assert_int_equal(apply_next_state(APPLY_WITHDRAWN, a, -1), -1);
        assert_int_equal(apply_next_state(APPLY_DRAFT, a, -1), -1);
        assert_int_equal(apply_action_parse(apply_action_name(a)), a);
    }
    for (int s = 0; s < APPLY_STATE_COUNT; s++)
        assert_int_equal(apply_state_parse(apply_state_name(s)), s);
    assert_int_equal(apply_state_parse("approved "), -1);
    /* Roles: the clerk accepts, the reviewer decides, the applicant withdraws. */
    assert_string_equal(apply_action_permission(APPLY_ACT_ACCEPT), "case.accept");
    assert_string_equal(apply_action_permission(APPLY_ACT_APPROVE), "case.decide");
    assert_string_equal(apply_action_permission(APPLY_ACT_RETURN), "case.return");
    assert_null(apply_action_permission(APPLY_ACT_WITHDRAW));
}

static void test_sniff(void **state)
{
    (void)state;
    assert_string_equal(apply_sniff("%PDF-1.7\n", 9), "application/pdf");
    assert_string_equal(apply_sniff("\xff\xd8\xff\xe0", 4), "image/jpeg");
    assert_string_equal(apply_sniff("\x89PNG\r\n\x1a\n\0", 9), "image/png");
    assert_null(apply_sniff("MZ\x90", 3));
    assert_null(apply_sniff("<html>", 6));
    assert_null(apply_sniff("%PD", 3)); /* truncated magic */
    assert_null(apply_sniff("", 0));
}

static int32_t D(const char *s)
{
    int32_t d;
    struct err e;
    assert_int_equal(calendar_parse_date(s, &d, &e), 0);
    return d;
}

/* ms of a local (Asia/Shanghai) date and hour. */
static int64_t at(const char *date, int hour)
{
    return calendar_day_start_ms(D(date)) + (int64_t)hour * 3600000;
}

static void test_clock_pause_and_carry_over(void **state)
{
    (void)state;
    /* National Day 2026: 1-7 October off, Saturday 10 October worked (调休). */
    struct calendar_day days[8];
    const char *hol[] = {"2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04",
                         "2026-10-05", "2026-10-06", "2026-10-07"};
    for (int i = 0; i < 7; i++)
        days[i] = (struct calendar_day){D(hol[i]), CALENDAR_HOLIDAY, "国庆节", "national", "test"};
    days[7] =
        (struct calendar_day){D("2026-10-10"), CALENDAR_WORKDAY, "国庆节调休", "national", "test"};
    struct calendar *cal;
    struct err err;
    assert_int_equal(calendar_from_days(days, 8, "national", &cal, &err), 0);
    char buf[11];

    /* Accepted Monday 28 September at 10:00 with 5 working days: 29, 30, (holiday), 8, 9
     * and the make-up Saturday 10 October. */
    struct apply_clock c = {5, 0, 0, 0};
    assert_int_equal(apply_clock_run(cal, &c, at("2026-09-28", 10), &err), 0);
    assert_string_equal(calendar_format_date(calendar_day_of_ms(c.deadline_ms), buf), "2026-10-10");
    assert_int_equal(apply_clock_mark(cal, &c, at("2026-09-29", 12)), APPLY_MARK_NONE);

    /* Returned for completion (补正) on Wednesday 30 September: two days used, clock off. */
    apply_clock_pause(cal, &c, at("2026-09-30", 15));
    assert_int_equal(c.used_days, 2);
    assert_int_equal(c.started_ms, 0);
    assert_int_equal(c.deadline_ms, 0);
    assert_int_equal(apply_clock_mark(cal, &c, at("2026-10-20", 12)),
                     APPLY_MARK_NONE); /* paused: never red */
    double paused = apply_clock_fraction(cal, &c, at("2026-10-05", 12));
    assert_true(paused > 0.39 && paused < 0.41); /* 2 of 5, whatever the date */

    /* Completed on Thursday 8 October: the three remaining days run from there (9, 10
     * the make-up Saturday, 12), the holiday spent waiting does not count. */
    assert_int_equal(apply_clock_run(cal, &c, at("2026-10-08", 9), &err), 0);
    assert_string_equal(calendar_format_date(calendar_day_of_ms(c.deadline_ms), buf), "2026-10-12");
    assert_int_equal(apply_clock_mark(cal, &c, at("2026-10-09", 12)), APPLY_MARK_NONE);
    /* 80% used on the last day: yellow; after its end: red. */
    assert_int_equal(apply_clock_mark(cal, &c, at("2026-10-12", 12)), APPLY_MARK_YELLOW);
    assert_int_equal(apply_clock_mark(cal, &c, at("2026-10-13", 9)), APPLY_MARK_RED);
    double f = apply_clock_fraction(cal, &c, c.deadline_ms);
    assert_true(f > 0.99 && f < 1.01);

    /* A second pause and restart keep adding up: used days never exceed the limit's use. */
    apply_clock_pause(cal, &c, at("2026-10-09", 16));
    assert_int_equal(c.used_days, 3);
    assert_int_equal(apply_clock_run(cal, &c, at("2026-10-12", 9), &err), 0);
    assert_string_equal(calendar_format_date(calendar_day_of_ms(c.deadline_ms), buf), "2026-10-14");
    calendar_free(cal);
}

static void test_multipart(void **state)
{
    (void)state;
    struct arena *a = arena_new(0);
    const char *ct = "multipart/form-data; boundary=\"--XyZ\"";
    const char *b = web_multipart_boundary(a, ct);
    assert_string_equal(b, "--XyZ");
    assert_null(web_multipart_boundary(a, "multipart/form-data"));
    assert_null(web_multipart_boundary(a, "application/x-www-form-urlencoded; boundary=x"));
    static const char body[] =
        "----XyZ\r\nContent-Disposition: form-data; name=\"f_name\"\r\n\r\n扎西\r\n"
        "----XyZ\r\nContent-Disposition: form-data; name=\"m_id\"; "
        "filename=\"C:\\\\scans\\\\id.pdf\"\r\n"
        "Content-Type: application/pdf\r\n\r\n%PDF-1\r\n--not-the-end\r\n"
        "----XyZ--\r\n";
    struct web_kv *kv;
    struct web_file *files;
    size_t nkv, nf;
    assert_int_equal(web_multipart_parse(a, body, sizeof(body) - 1, b, 16, &kv, &nkv, &files, &nf),
                     0);
    assert_int_equal(nkv, 1);
    assert_string_equal(kv[0].name, "f_name");
    assert_string_equal(kv[0].value, "扎西");
    assert_int_equal(nf, 1);
    assert_string_equal(files[0].name, "m_id");
    assert_string_equal(files[0].filename, "id.pdf");
    assert_string_equal(files[0].content_type, "application/pdf");
    assert_int_equal(files[0].len, strlen("%PDF-1\r\n--not-the-end"));
    assert_memory_equal(files[0].data, "%PDF-1\r\n--not-the-end", files[0].len);
    /* No closing delimiter, a nameless part, a non-UTF-8 field: malformed. */
    static const char open[] = "----XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx";
    assert_int_equal(web_multipart_parse(a, open, sizeof(open) - 1, b, 16, &kv, &nkv, &files, &nf),
                     -1);
    static const char noname[] = "----XyZ\r\nContent-Disposition: form-data\r\n\r\nx\r\n----XyZ--";
    assert_int_equal(
        web_multipart_parse(a, noname, sizeof(noname) - 1, b, 16, &kv, &nkv, &files, &nf), -1);
    static const char latin[] =
        "----XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n\xe9\r\n----XyZ--";
    assert_int_equal(
        web_multipart_parse(a, latin, sizeof(latin) - 1, b, 16, &kv, &nkv, &files, &nf), -1);
    /* Too many fields. */
    static const char two[] =
        "----XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n"
        "----XyZ\r\nContent-Disposition: form-data; name=\"b\"\r\n\r\n2\r\n----XyZ--";
    assert_int_equal(web_multipart_parse(a, two, sizeof(two) - 1, b, 1, &kv, &nkv, &files, &nf),
                     -1);
    assert_int_equal(web_multipart_parse(a, two, sizeof(two) - 1, b, 2, &kv, &nkv, &files, &nf), 0);
    arena_free(a);
}

/* Two handles on one database stand for two processes (nodes): numbers taken in turn from
 * both never repeat, each is YYYYMMDD + county + 6-digit sequence, a block is reserved by one
 * commit of APPLY_NUMBER_BLOCK, and another county or day starts its own sequence at 1. */
static void test_numbers(void **state)
{
    struct fx_db db;
    assert_int_equal(fx_db_open(&db, "applynum", 0), 0);
    struct err err;
    struct identity *id = NULL;
    struct apply *a1 = NULL, *a2 = NULL;
    assert_int_equal(identity_open(db.s, db.kr, NULL, &id, &err), 0);
    assert_int_equal(apply_open(db.s, db.kr, id, NULL, &a1, &err), 0);
    assert_int_equal(apply_open(db.s, db.kr, id, NULL, &a2, &err), 0);
    struct store_conn *c = store_conn(db.s, &err);
    assert_non_null(c);
    int64_t day1 = 1796601600000LL; /* 2026-12-07 08:00 in Lhasa (UTC+8) */
    int64_t chengguan = 540102000000LL, nyingchi = 540402000000LL;
    enum { N = 3 * APPLY_NUMBER_BLOCK };
    static char seen[2 * N][32];
    int n = 0;
    for (int i = 0; i < N; i++) {
        struct apply *ap = (i / 5) % 2 ? a2 : a1; /* runs of five from each */
        char num[32];
        assert_int_equal(apply_number_take(ap, c, day1, chengguan, num, &err), 0);
        assert_int_equal((int)strlen(num), 20);
        assert_memory_equal(num, "20261207540102", 14);
        for (int j = 0; j < n; j++)
            assert_string_not_equal(seen[j], num);
        snprintf(seen[n++], 32, "%s", num);
    }
    /* The first number a handle gives starts a block: a1 got 1, a2 got the next block. */
    assert_string_equal(seen[0], "20261207540102000001");
    char expect[32];
    snprintf(expect, sizeof(expect), "20261207540102%06d", APPLY_NUMBER_BLOCK + 1);
    assert_string_equal(seen[5], expect);
    /* The database holds the last reserved number: at most two blocks per handle so far. */
    int64_t last = 0;
    assert_int_equal(store_scalar_int64(c,
                                        "SELECT next FROM application_seq WHERE day = 20261207 "
                                        "AND county = 540102",
                                        &last, &err),
                     1);
    ;
    assert_true(last >= N && last <= N + 2 * APPLY_NUMBER_BLOCK);
    /* Another county, another day: their own sequences. */
    char num[32];
    assert_int_equal(apply_number_take(a1, c, day1, nyingchi, num, &err), 0);
    assert_string_equal(num, "20261207540402000001");
    assert_int_equal(apply_number_take(a2, c, day1 + 86400000LL, chengguan, num, &err), 0);
    assert_string_equal(num, "20261208540102000001");
    apply_close(a1);
    apply_close(a2);
    identity_close(id);
    assert_int_equal(fx_db_close(&db), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text),
        cmocka_unit_test(test_tibetan_text),
        cmocka_unit_test(test_number_date_select_checkbox),
        cmocka_unit_test(test_identifiers),
        cmocka_unit_test(test_every_problem_at_once),
        cmocka_unit_test(test_state_machine),
        cmocka_unit_test(test_sniff),
        cmocka_unit_test(test_clock_pause_and_carry_over),
        cmocka_unit_test(test_multipart),
        cmocka_unit_test(test_numbers),
    };
    return cmocka_run_group_tests_name("apply", tests, NULL, NULL);
}
