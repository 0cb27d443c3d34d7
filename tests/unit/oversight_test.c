/* oversight_test.c - the pure parts of src/oversight: the statistics day in Asia/Shanghai,
 * dates given by people, division subtrees as code ranges, and the supervisor's division
 * scope in authz (a supervisor reads any department's case inside the grant's subtree and
 * nothing outside it; the department answers notes; two factors required). */
#include "test.h"

#include <string.h>

#include "divisions/divisions.h"
#include "identity/identity.h"
#include "oversight/oversight.h"
#include "oversight/oversight_internal.h"

static void test_days(void **state)
{
    (void)state;
    /* 2026-03-01 00:00 +08:00 is 2026-02-28 16:00 UTC: already the 1st in Lhasa's day. */
    int64_t ms = 1772294400000LL; /* 2026-02-28T16:00:00Z */
    assert_int_equal(oversight_day_of(ms), 20260301);
    assert_int_equal(oversight_day_of(ms - 1), 20260228);
    assert_int_equal(oversight_day_start_ms(20260301), ms);
    assert_int_equal(oversight_day_of(oversight_day_start_ms(20241231) + 86399999), 20241231);
    assert_int_equal(oversight_parse_day("2026-02-28"), 20260228);
    assert_int_equal(oversight_parse_day("2024-02-29"), 20240229);
    const char *bad[] = {"2026-02-29",  "2026-02-30", "2026-13-01", "2026-1-01", "20260101",
                         "2026-01-01x", "",           "yesterday",  "1999-12-31"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(oversight_parse_day(bad[i]), -1);
    assert_int_equal(oversight_parse_day(NULL), -1);
}

/* Does a key of `grain` cover day d? */
static int covers(int grain, int key, int d)
{
    if (grain == OVERSIGHT_DAY)
        return key == d;
    if (grain == OVERSIGHT_MONTH)
        return key == d / 100;
    return key == oversight_block_of(d);
}

/* A period as runs of months, 7-day blocks and days: every day of [from, to] lies in exactly
 * one key of one run and no day outside does; at most 12 single days; whole months first. */
static void check_runs(int from, int to, int max_days)
{
    struct oversight_run r[OVERSIGHT_MAX_RUNS];
    int n = oversight_runs(from, to, r), days = 0;
    assert_true(n >= 1 && n <= 5);
    for (int i = 0; i < n; i++) {
        assert_true(r[i].lo <= r[i].hi);
        if (i > 0)
            assert_int_not_equal(r[i].grain, r[i - 1].grain);
        if (r[i].grain == OVERSIGHT_DAY)
            days += (int)(oversight_day_number(r[i].hi) - oversight_day_number(r[i].lo)) + 1;
    }
    assert_true(days <= max_days);
    for (int d = oversight_day_add(from, -40); d <= oversight_day_add(to, 40);
         d = oversight_day_add(d, 1)) {
        int hits = 0;
        for (int i = 0; i < n; i++) {
            /* keys between lo and hi: every key of that grain in the range */
            int key = r[i].grain == OVERSIGHT_DAY     ? d
                      : r[i].grain == OVERSIGHT_MONTH ? d / 100
                                                      : oversight_block_of(d);
            hits += key >= r[i].lo && key <= r[i].hi && covers(r[i].grain, key, d);
        }
        assert_int_equal(hits, d >= from && d <= to ? 1 : 0);
    }
}

static void test_runs(void **state)
{
    (void)state;
    struct oversight_run r[OVERSIGHT_MAX_RUNS];
    /* a whole year: one run of twelve months */
    assert_int_equal(oversight_runs(20260101, 20261231, r), 1);
    assert_true(r[0].grain == OVERSIGHT_MONTH && r[0].lo == 202601 && r[0].hi == 202612);
    /* 1 January to 7 December: eleven months and the first block of December */
    assert_int_equal(oversight_runs(20260101, 20261207, r), 2);
    assert_true(r[1].grain == OVERSIGHT_BLOCK && r[1].lo == 2026120 && r[1].hi == 2026120);
    /* one day */
    assert_int_equal(oversight_runs(20260315, 20260315, r), 1);
    assert_true(r[0].grain == OVERSIGHT_DAY && r[0].lo == 20260315);
    assert_int_equal(oversight_block_of(20260228), 2026023);
    assert_int_equal(oversight_block_of(20260331), 2026034);
    assert_int_equal(oversight_week_of(20261207), 20261207); /* a Monday */
    assert_int_equal(oversight_week_of(20261213), 20261207);
    assert_int_equal(oversight_week_of(20260101), 20251229);
    /* every start and end over two years, across a leap February and a year's end */
    for (int from = 20231225; from <= 20240310; from = oversight_day_add(from, 3))
        for (int to = from; to <= 20250305; to = oversight_day_add(to, 11))
            check_runs(from, to, 12);
}

static void test_subtrees(void **state)
{
    (void)state;
    int64_t lo, hi;
    oversight_subtree(DIVISIONS_ROOT, &lo, &hi);
    assert_true(lo == 540000000000LL && hi == 549999999999LL);
    oversight_subtree(540100000000LL, &lo, &hi); /* Lhasa */
    assert_true(lo == 540100000000LL && hi == 540199999999LL);
    oversight_subtree(540102000000LL, &lo, &hi); /* Chengguan */
    assert_true(lo == 540102000000LL && hi == 540102999999LL);
    assert_true(540102002000LL >= lo && 540102002000LL <= hi);  /* Barkhor is inside */
    assert_false(540103000000LL >= lo && 540103000000LL <= hi); /* Doilungdêqên is not */
}

static struct authz_subject staff(int role, int64_t dept, int64_t division, int aal)
{
    struct authz_subject s;
    memset(&s, 0, sizeof(s));
    s.account_id = 7;
    s.kind = IDENTITY_STAFF;
    s.aal = aal;
    s.ngrants = 1;
    s.grants[0].role = role;
    s.grants[0].department_id = dept;
    s.grants[0].division_code = division;
    return s;
}

static void test_scope(void **state)
{
    (void)state;
    const struct authz_object chengguan = {0, 900, 540102000000LL};
    const struct authz_object shigatse = {0, 901, 540202000000LL};
    struct authz_subject region = staff(ROLE_SUPERVISOR, 1, DIVISIONS_ROOT, 2);
    struct authz_subject lhasa = staff(ROLE_SUPERVISOR, 2, 540100000000LL, 2);
    struct authz_subject county = staff(ROLE_SUPERVISOR, 3, 540103000000LL, 2);
    assert_true(authz_allowed(&region, "oversight.view", &chengguan));
    assert_true(authz_allowed(&region, "oversight.note", &shigatse));
    assert_true(authz_allowed(&lhasa, "oversight.view", &chengguan));
    assert_false(authz_allowed(&lhasa, "oversight.view", &shigatse));
    assert_false(authz_allowed(&county, "oversight.view", &chengguan));
    /* read-only: a supervisor has none of the case powers, and no answer to give */
    assert_false(authz_allowed(&region, "case.view", &chengguan));
    assert_false(authz_allowed(&region, "case.accept", &chengguan));
    assert_false(authz_allowed(&region, "oversight.answer", &chengguan));
    assert_false(authz_allowed(&region, "audit.read", NULL));
    /* one factor is not enough */
    struct authz_subject half = staff(ROLE_SUPERVISOR, 1, DIVISIONS_ROOT, 1);
    assert_false(authz_allowed(&half, "oversight.view", &chengguan));
    /* the handling department answers; another department and supervisors-to-be do not */
    struct authz_subject clerk = staff(ROLE_CLERK, 900, 540102000000LL, 2);
    struct authz_subject other = staff(ROLE_CLERK, 901, 540202000000LL, 2);
    assert_true(authz_allowed(&clerk, "oversight.answer", &chengguan));
    assert_false(authz_allowed(&other, "oversight.answer", &chengguan));
    assert_false(authz_allowed(&clerk, "oversight.view", &chengguan));
    /* an object without a division is nobody's to supervise */
    const struct authz_object nowhere = {0, 900, 0};
    assert_false(authz_allowed(&region, "oversight.view", &nowhere));
    assert_true(authz_allowed_somewhere(&region, "oversight.view"));
    assert_false(authz_allowed_somewhere(&clerk, "oversight.view"));
    /* separation of duties: the administrator does not read the audit log */
    struct authz_subject admin = staff(ROLE_ADMIN, 1, DIVISIONS_ROOT, 2);
    struct authz_subject auditor = staff(ROLE_AUDITOR, 1, DIVISIONS_ROOT, 2);
    assert_false(authz_allowed(&admin, "audit.read", NULL));
    assert_true(authz_allowed(&auditor, "audit.read", NULL));
    assert_false(authz_allowed(&auditor, "identity.grant", &chengguan));
    assert_false(authz_allowed(&auditor, "identity.department_admin", NULL));
    assert_string_equal(identity_role_name(ROLE_SUPERVISOR), "supervisor");
    assert_int_equal(identity_role_parse("supervisor"), ROLE_SUPERVISOR);
    /* 三权分立: the security administrator alone grants roles; it neither manages accounts
     * nor reads the audit log; the administrator manages accounts but grants no role */
    struct authz_subject security = staff(ROLE_SECURITY_ADMIN, 1, DIVISIONS_ROOT, 2);
    assert_true(authz_allowed(&security, "identity.role_admin", NULL));
    assert_false(authz_allowed(&security, "identity.department_admin", NULL));
    assert_false(authz_allowed(&security, "identity.staff_admin", &chengguan));
    assert_false(authz_allowed(&security, "audit.read", NULL));
    assert_false(authz_allowed(&admin, "identity.role_admin", NULL));
    assert_false(authz_allowed(&admin, "identity.grant", &chengguan));
    assert_true(authz_allowed(&admin, "identity.department_admin", NULL));
    assert_false(authz_allowed(&auditor, "identity.role_admin", NULL));
    struct authz_subject half_sec = staff(ROLE_SECURITY_ADMIN, 1, DIVISIONS_ROOT, 1);
    assert_false(authz_allowed(&half_sec, "identity.role_admin", NULL));
    assert_string_equal(identity_role_name(ROLE_SECURITY_ADMIN), "security_admin");
    assert_int_equal(identity_role_parse("security_admin"), ROLE_SECURITY_ADMIN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_days),
        cmocka_unit_test(test_runs),
        cmocka_unit_test(test_subtrees),
        cmocka_unit_test(test_scope),
    };
    return cmocka_run_group_tests_name("oversight", tests, NULL, NULL);
}
