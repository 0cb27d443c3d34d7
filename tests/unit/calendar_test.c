/* calendar_test.c - the working-day calendar: date arithmetic, the reference data loaded
 * into a real SQLite store and the three checks of shared/data/README.md, deadlines in
 * ms, the share of a limit used, administrators' edits, and bad input. */
#include "test.h"

#include "fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/audit.h"
#include "base/arena.h"
#include "calendar/calendar.h"
#include "store/store.h"

/* Rows in data/calendar-xizang.csv, header excluded. */
#define REFERENCE_ROWS 81

struct fixture {
    struct fx_db db;
    struct store *s;      /* db.s */
    struct calendar *cal; /* national + xizang */
};

static int32_t D(const char *s)
{
    int32_t day = -1;
    struct err err;
    if (calendar_parse_date(s, &day, &err) < 0)
        fail_msg("bad date in test: %s", s);
    return day;
}

static void assert_add(const struct calendar *cal, const char *start, int n, const char *want)
{
    int32_t end;
    char out[11];
    struct err err;
    err_clear(&err);
    assert_int_equal(calendar_add_working_days(cal, D(start), n, &end, &err), 0);
    assert_string_equal(calendar_format_date(end, out), want);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct err err;
    int inserted = -1;
    err_clear(&err);
    if (fx_db_open(&f->db, "cal", 0) < 0)
        return -1;
    f->s = f->db.s;
    if (calendar_load_reference(f->s, &inserted, &err) < 0 || inserted != REFERENCE_ROWS ||
        calendar_load(f->s, CALENDAR_SCOPES_XIZANG, &f->cal, &err) < 0) {
        fprintf(stderr, "setup: %s (inserted %d)\n", err.msg, inserted);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    calendar_free(f->cal);
    int rc = fx_db_close(&f->db);
    free(f);
    return rc;
}

static void test_dates(void **state)
{
    int y, m, d;
    char out[11];
    struct err err;
    assert_int_equal(calendar_day_from_ymd(1970, 1, 1), 0);
    assert_int_equal(calendar_weekday(0), 4); /* Thursday */
    assert_int_equal(calendar_weekday(D("2025-09-26")), 5);
    assert_int_equal(calendar_weekday(D("2026-02-14")), 6);
    assert_int_equal(calendar_weekday(D("2025-09-28")), 7);
    /* Leap years: every 4th, not every 100th, but every 400th. */
    assert_true(calendar_day_from_ymd(2024, 2, 29) > 0);
    assert_true(calendar_day_from_ymd(2000, 2, 29) > 0);
    assert_int_equal(calendar_day_from_ymd(2100, 2, 29), -1);
    assert_int_equal(calendar_day_from_ymd(2025, 2, 29), -1);
    assert_int_equal(D("2024-03-01") - D("2024-02-28"), 2);
    assert_int_equal(D("2025-03-01") - D("2025-02-28"), 1);
    assert_int_equal(D("2026-01-01") - D("2025-01-01"), 365);
    for (int32_t day = D("1999-12-25"); day < D("2001-01-10"); day++) {
        calendar_day_to_ymd(day, &y, &m, &d);
        assert_int_equal(calendar_day_from_ymd(y, m, d), day);
    }
    assert_string_equal(calendar_format_date(D("2026-02-24"), out), "2026-02-24");
    const char *bad[] = {"",           "2025-9-26",   "2025-13-01",  "2025-02-30",
                         "20250926",   "2025-09-26x", " 2025-09-26", "2025/09/26",
                         "1969-12-31", "2025-00-10",  "2025-04-31",  "abcd-ef-gh",
                         "3000-01-01", NULL};
    for (int i = 0; bad[i]; i++) {
        int32_t day;
        err_clear(&err);
        assert_int_equal(calendar_parse_date(bad[i], &day, &err), -1);
        assert_int_equal(err.status, 400);
        assert_string_equal(err.code, "calendar.bad_date");
    }
    int32_t day;
    assert_int_equal(calendar_parse_date(NULL, &day, &err), -1);
    /* Asia/Shanghai days: 2025-09-30 23:59 local is 15:59 UTC, 00:00 local is 16:00 UTC. */
    assert_int_equal(calendar_day_of_ms(1759247940000LL), D("2025-09-30"));
    assert_int_equal(calendar_day_of_ms(1759248000000LL), D("2025-10-01"));
    assert_int_equal(calendar_day_start_ms(D("2025-10-01")), 1759248000000LL);
}

/* The three checks of shared/data/README.md, exactly. */
static void test_readme_checks(void **state)
{
    struct fixture *f = *state;
    struct calendar *national;
    struct err err;
    assert_true(calendar_is_working_day(f->cal, 2026, 2, 14)); /* a Saturday */
    assert_false(calendar_is_working_day(f->cal, 2026, 2, 24));
    assert_int_equal(calendar_load(f->s, "national", &national, &err), 0);
    assert_true(calendar_is_working_day(national, 2026, 2, 24));
    assert_true(calendar_is_working_day(national, 2026, 2, 14));
    calendar_free(national);
    assert_add(f->cal, "2025-09-26", 5, "2025-10-10");
    /* The days that count, and those that do not. */
    assert_true(calendar_is_working_day(f->cal, 2025, 9, 28));
    assert_true(calendar_is_working_day(f->cal, 2025, 10, 9));
    assert_true(calendar_is_working_day(f->cal, 2025, 10, 10));
    for (int d = 1; d <= 8; d++)
        assert_false(calendar_is_working_day(f->cal, 2025, 10, d));
    const struct calendar_day *sp = calendar_special(f->cal, D("2026-02-24"));
    assert_non_null(sp);
    assert_string_equal(sp->scope, "xizang");
    assert_int_equal(sp->kind, CALENDAR_HOLIDAY);
}

static void test_load_idempotent(void **state)
{
    struct fixture *f = *state;
    struct err err;
    struct store_conn *c = store_conn(f->s, &err);
    int inserted = -1;
    int64_t v = calendar_version(c);
    assert_true(v > 0);
    assert_int_equal(calendar_load_reference(f->s, &inserted, &err), 0);
    assert_int_equal(inserted, 0);
    assert_int_equal(calendar_version(c), v);
    assert_true(calendar_has_year(f->cal, 2025));
    assert_true(calendar_has_year(f->cal, 2026));
    assert_false(calendar_has_year(f->cal, 2024));
    assert_false(calendar_has_year(f->cal, 2027));
}

static void test_weekends_and_boundaries(void **state)
{
    struct fixture *f = *state;
    assert_false(calendar_is_working_day(f->cal, 2025, 11, 22)); /* Saturday */
    assert_false(calendar_is_working_day(f->cal, 2025, 11, 23)); /* Sunday */
    assert_true(calendar_is_working_day(f->cal, 2025, 11, 24));  /* Monday */
    assert_true(calendar_is_working_day(f->cal, 2025, 10, 11));  /* make-up Saturday */
    assert_false(calendar_is_working_day(f->cal, 2025, 2, 30));  /* no such day */
    /* Year boundary: 01-01..03 are holidays, Sunday 01-04 is worked. */
    assert_add(f->cal, "2025-12-31", 1, "2026-01-04");
    assert_add(f->cal, "2025-12-31", 2, "2026-01-05");
    /* Month boundary through the Spring Festival. */
    assert_add(f->cal, "2025-01-27", 1, "2025-02-05");
    /* A year without data: weekends only, across a leap day. */
    assert_add(f->cal, "2024-02-28", 1, "2024-02-29");
    assert_add(f->cal, "2024-02-28", 2, "2024-03-01");
    assert_add(f->cal, "2024-02-28", 3, "2024-03-04");
    assert_add(f->cal, "2027-12-31", 1, "2028-01-03");
    /* n = 0 is the start itself, even on a holiday; a start on a holiday counts from it. */
    assert_add(f->cal, "2025-09-26", 0, "2025-09-26");
    assert_add(f->cal, "2025-10-01", 0, "2025-10-01");
    assert_add(f->cal, "2025-10-01", 1, "2025-10-09");
    assert_add(f->cal, "2025-10-04", 3, "2025-10-11");
    /* Xizang's Tibetan New Year 2026 in a row with the Spring Festival. */
    assert_add(f->cal, "2026-02-13", 1, "2026-02-14");
    assert_add(f->cal, "2026-02-14", 1, "2026-02-27");
    assert_add(f->cal, "2026-02-14", 2, "2026-02-28");
}

static void test_bad_days(void **state)
{
    struct fixture *f = *state;
    int32_t end;
    struct err err;
    err_clear(&err);
    assert_int_equal(calendar_add_working_days(f->cal, D("2025-01-01"), -1, &end, &err), -1);
    assert_string_equal(err.code, "calendar.bad_days");
    assert_int_equal(
        calendar_add_working_days(f->cal, D("2025-01-01"), CALENDAR_MAX_DAYS + 1, &end, &err), -1);
    assert_int_equal(calendar_add_working_days(f->cal, D("2999-12-30"), 5, &end, &err), -1);
    assert_int_equal(
        calendar_add_working_days(f->cal, D("2025-01-01"), CALENDAR_MAX_DAYS, &end, &err), 0);
}

static void test_between(void **state)
{
    struct fixture *f = *state;
    int32_t a = D("2025-09-26"), b = D("2025-10-10");
    assert_int_equal(calendar_working_days_between(f->cal, a, b), 5);
    assert_int_equal(calendar_working_days_between(f->cal, b, a), -5);
    assert_int_equal(calendar_working_days_between(f->cal, a, a), 0);
    assert_int_equal(calendar_working_days_between(f->cal, D("2025-10-01"), D("2025-10-08")), 0);
    /* between(a, add(a, n)) == n for every start over two years and a few limits. */
    for (int32_t s = D("2025-01-01"); s < D("2027-01-01"); s += 3) {
        for (int n = 0; n <= 25; n += 5) {
            int32_t end;
            struct err err;
            assert_int_equal(calendar_add_working_days(f->cal, s, n, &end, &err), 0);
            assert_int_equal(calendar_working_days_between(f->cal, s, end), n);
        }
    }
}

static void test_deadline_and_fraction(void **state)
{
    struct fixture *f = *state;
    struct err err;
    int64_t deadline;
    /* Accepted 2025-09-30 10:00: 10-09, 10-10, make-up Saturday 10-11; ends 10-11 23:59:59.999. */
    assert_int_equal(calendar_deadline_ms(f->cal, 1759197600000LL, 3, &deadline, &err), 0);
    assert_int_equal(deadline, 1760198400000LL - 1);
    /* Accepted Friday 2025-09-26 09:00 with five working days: ends 10-10 23:59:59.999. */
    int64_t start = 1758848400000LL;
    assert_int_equal(calendar_deadline_ms(f->cal, start, 5, &deadline, &err), 0);
    assert_int_equal(deadline, 1760112000000LL - 1);
    assert_true(calendar_fraction_used(f->cal, start, 5, start - 1000) == 0.0);
    assert_true(calendar_fraction_used(f->cal, start, 5, start + 3600000) == 0.0);
    /* 09-28, 09-29, 09-30 used; the holidays add nothing. */
    assert_true(calendar_fraction_used(f->cal, start, 5, 1759896000000LL) == 0.6);
    /* Half of 10-09 on top. */
    assert_true(calendar_fraction_used(f->cal, start, 5, 1759982400000LL) == 0.7);
    /* The yellow warning starts at midnight before the last day. */
    assert_true(calendar_fraction_used(f->cal, start, 5, 1760025600000LL) == 0.8);
    assert_true(calendar_fraction_used(f->cal, start, 5, 1760025600000LL - 1) < 0.8);
    assert_true(calendar_fraction_used(f->cal, start, 5, deadline + 1) >= 1.0);
    /* n = 0: due at the end of the start day. */
    assert_int_equal(calendar_deadline_ms(f->cal, start, 0, &deadline, &err), 0);
    assert_int_equal(deadline, calendar_day_start_ms(D("2025-09-27")) - 1);
    assert_true(calendar_fraction_used(f->cal, start, 0, deadline + 1) >= 1.0);
    assert_true(calendar_fraction_used(f->cal, start, 0, start + 1) < 0.01);
}

static void test_scope_precedence(void **state)
{
    struct calendar_day days[] = {
        {D("2026-08-08"), CALENDAR_HOLIDAY, "雪顿节", "xizang", "test"},
        {D("2026-08-08"), CALENDAR_WORKDAY, "调休上班", "national", "test"},
        {D("2026-08-10"), CALENDAR_HOLIDAY, "其他地区", "sichuan", "test"},
    };
    struct calendar *cal;
    struct err err;
    assert_int_equal(calendar_from_days(days, 3, "national,xizang", &cal, &err), 0);
    assert_false(calendar_is_working(cal, D("2026-08-08")));
    assert_true(calendar_is_working(cal, D("2026-08-10"))); /* other region: ignored */
    calendar_free(cal);
    assert_int_equal(calendar_from_days(days, 3, "xizang,national", &cal, &err), 0);
    assert_true(calendar_is_working(cal, D("2026-08-08")));
    calendar_free(cal);
    const char *bad[] = {"", "national,", "National", ",xizang", "a,b,c,d,e,f,g,h,i", NULL};
    for (int i = 0; bad[i]; i++) {
        err_clear(&err);
        assert_int_equal(calendar_from_days(days, 3, bad[i], &cal, &err), -1);
        assert_string_equal(err.code, "calendar.bad_scope");
    }
}

static void expect_csv_error(struct store *s, const char *text, const char *code, const char *where)
{
    struct err err;
    int inserted = -1;
    err_clear(&err);
    assert_int_equal(calendar_load_csv(s, "x.csv", text, strlen(text), &inserted, &err), -1);
    assert_int_equal(inserted, 0);
    assert_string_equal(err.code, code);
    if (strstr(err.msg, where) == NULL)
        fail_msg("'%s' should mention '%s'", err.msg, where);
}

static void test_bad_csv(void **state)
{
    struct fixture *f = *state;
    const char *head = "date,kind,name_zh,scope,source\n";
    const char *good = "2030-01-01,holiday,元旦,national,t\n";
    char text[512];
    snprintf(text, sizeof(text), "%s%s2030-02-30,holiday,x,national,t\n", head, good);
    expect_csv_error(f->s, text, "calendar.bad_date", "x.csv line 3");
    snprintf(text, sizeof(text), "%s%s2030/01/02,holiday,x,national,t\n", head, good);
    expect_csv_error(f->s, text, "calendar.bad_date", "x.csv line 3");
    snprintf(text, sizeof(text), "%s%s%s2030-01-03,vacation,x,national,t\n", head, good, good);
    expect_csv_error(f->s, text, "calendar.bad_kind", "x.csv line 4");
    snprintf(text, sizeof(text), "%s2030-01-03,holiday,x,Xizang!,t\n", head);
    expect_csv_error(f->s, text, "calendar.bad_scope", "x.csv line 2");
    snprintf(text, sizeof(text), "%s2030-01-03,holiday,,national,t\n", head);
    expect_csv_error(f->s, text, "calendar.bad_name", "x.csv line 2");
    snprintf(text, sizeof(text), "%s2030-01-03,holiday,x\n", head);
    expect_csv_error(f->s, text, "calendar.bad_data", "x.csv line 2");
    expect_csv_error(f->s, "day,kind,name_zh,scope,source\n", "calendar.bad_data", "x.csv line 1");
    /* Nothing of the good rows was written. */
    struct calendar *cal;
    struct err err;
    assert_int_equal(calendar_load(f->s, "national", &cal, &err), 0);
    assert_null(calendar_special(cal, D("2030-01-01")));
    calendar_free(cal);
}

static void test_set_and_remove(void **state)
{
    struct fixture *f = *state;
    struct err err;
    struct calendar *cal;
    struct store_conn *c = store_conn(f->s, &err);
    int64_t v0 = calendar_version(c);
    err_clear(&err);
    assert_int_equal(
        calendar_set_day(f->s, 42, "10.0.0.1", "2026-08-11", "holiday", "雪顿节", "xizang", &err),
        0);
    assert_true(calendar_version(c) > v0);
    assert_int_equal(calendar_load(f->s, CALENDAR_SCOPES_XIZANG, &cal, &err), 0);
    assert_false(calendar_is_working_day(cal, 2026, 8, 11));
    calendar_free(cal);
    assert_int_equal(calendar_load(f->s, "national", &cal, &err), 0);
    assert_true(calendar_is_working_day(cal, 2026, 8, 11));
    calendar_free(cal);
    /* Replacing works; the record of it is audited. */
    assert_int_equal(
        calendar_set_day(f->s, 42, NULL, "2026-08-11", "workday", "雪顿节", "xizang", &err), 0);
    struct arena *a = arena_new(0);
    struct audit_row *rows;
    size_t n;
    assert_int_equal(audit_list(c, a, 42, "calendar.", 10, &rows, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(rows[0].object, "calendar:2026-08-11:xizang");
    arena_free(a);
    int64_t v1 = calendar_version(c);
    assert_int_equal(calendar_remove_day(f->s, 42, NULL, "2026-08-11", "xizang", &err), 0);
    assert_true(calendar_version(c) > v1);
    assert_int_equal(calendar_remove_day(f->s, 42, NULL, "2026-08-11", "xizang", &err), -1);
    assert_int_equal(err.status, 404);
    assert_string_equal(err.code, "calendar.not_found");
    /* Bad input is refused with the reason. */
    struct {
        const char *date, *kind, *name, *scope, *code;
    } bad[] = {
        {"2026-8-11", "holiday", "x", NULL, "calendar.bad_date"},
        {"2026-08-11", "rest", "x", NULL, "calendar.bad_kind"},
        {"2026-08-11", "holiday", "", NULL, "calendar.bad_name"},
        {"2026-08-11", "holiday", "x", "Xi zang", "calendar.bad_scope"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err_clear(&err);
        assert_int_equal(calendar_set_day(f->s, 42, NULL, bad[i].date, bad[i].kind, bad[i].name,
                                          bad[i].scope, &err),
                         -1);
        assert_int_equal(err.status, 400);
        assert_string_equal(err.code, bad[i].code);
    }
}

static void test_cli(void **state)
{
    struct fixture *f = *state;
    struct err err;
    char *deadline[] = {"deadline", "2025-09-26", "5"};
    char *list[] = {"list", "2025"};
    char *bad_date[] = {"deadline", "2025-09-31", "5"};
    char *bad_n[] = {"deadline", "2025-09-26", "-1"};
    char *unknown[] = {"frobnicate"};
    assert_int_equal(calendar_cli(f->s, 3, deadline, &err), 0);
    assert_int_equal(calendar_cli(f->s, 2, list, &err), 0);
    assert_int_equal(calendar_cli(f->s, 3, bad_date, &err), 2);
    assert_string_equal(err.code, "calendar.bad_date");
    assert_int_equal(calendar_cli(f->s, 3, bad_n, &err), 2);
    assert_int_equal(calendar_cli(f->s, 1, unknown, &err), 2);
    assert_string_equal(err.code, "calendar.usage");
    assert_int_equal(calendar_cli(f->s, 0, NULL, &err), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_readme_checks),
        cmocka_unit_test(test_load_idempotent),
        cmocka_unit_test(test_weekends_and_boundaries),
        cmocka_unit_test(test_bad_days),
        cmocka_unit_test(test_between),
        cmocka_unit_test(test_deadline_and_fraction),
        cmocka_unit_test(test_scope_precedence),
        cmocka_unit_test(test_bad_csv),
        cmocka_unit_test(test_set_and_remove),
        cmocka_unit_test(test_cli),
    };
    return cmocka_run_group_tests_name("calendar", tests, setup, teardown);
}
