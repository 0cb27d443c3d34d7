/* review_test.c - 好差评 on a real SQLite store with a small in-test target function in place
 * of apply: levels, validation, who may rate, rounds, rectification tasks with working-day
 * deadlines, responses, counter and hotline recording, task lists per department, messages,
 * audit records and the public statistics. */
#include "test.h"

#include "fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/audit.h"
#include "base/arena.h"
#include "base/id.h"
#include "calendar/calendar.h"
#include "crypto/crypto.h"
#include "identity/identity.h"
#include "notify/notify.h"
#include "review/review.h"
#include "store/store.h"
#include "web/i18n.h"

#define DEPT_A 101
#define DEPT_B 102
#define CITIZEN 5001
#define OTHER_CITIZEN 5002
static const int64_t DIV_ROOT = 540000000000LL;

/* The applications the target function knows. */
static const struct app {
    int64_t id, applicant, dept;
    const char *item;
    int decided;
} apps[] = {
    {1, CITIZEN, DEPT_A, "XZ-MZ-001", 1},
    {2, CITIZEN, DEPT_A, "XZ-MZ-001", 0},
    {3, OTHER_CITIZEN, DEPT_A, "XZ-GA-003", 1},
    {4, CITIZEN, DEPT_B, "XZ-RS-002", 1},
    {5, 0, DEPT_A, "XZ-MZ-001", 1}, /* a walk-in applicant without a platform account */
};

static int target(void *ctx, int64_t application_id, int64_t *applicant, int64_t *dept,
                  char item[48], int *decided, struct err *err)
{
    (*(int *)ctx)++;
    for (size_t i = 0; i < sizeof(apps) / sizeof(apps[0]); i++)
        if (apps[i].id == application_id) {
            *applicant = apps[i].applicant;
            *dept = apps[i].dept;
            snprintf(item, 48, "%s", apps[i].item);
            *decided = apps[i].decided;
            return 0;
        }
    return err_set(err, 404, "apply.not_found", "no such application");
}

struct fixture {
    struct fx_db db;
    struct store *s;           /* db.s */
    struct crypto_keyring *kr; /* db.kr */
    struct notify *n;
    struct review *r;
    int lookups;
};

static const char SQL_DIV[] = "INSERT INTO divisions (code, parent_code, level, name_zh) VALUES "
                              "(540000000000, NULL, 1, '西藏自治区')";
static const char SQL_DEPT[] =
    "INSERT INTO departments (id, code, name_zh, division_code, created_at) "
    "VALUES (?, ?, ?, 540000000000, 0)";

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct err err;
    err_clear(&err);
    if (fx_db_open(&f->db, "review", FX_CALENDAR) < 0)
        return -1;
    f->s = f->db.s;
    f->kr = f->db.kr;
    if (notify_open(f->s, f->kr, &f->n, &err) < 0 ||
        review_open(f->s, f->n, NULL, &f->r, &err) < 0) {
        fprintf(stderr, "setup: %s\n", err.msg);
        return -1;
    }
    struct store_conn *c = store_conn(f->s, &err);
    struct store_stmt *st = store_prepare(c, SQL_DIV, &err);
    if (st == NULL || store_run(st, NULL, &err) < 0)
        return -1;
    const char *codes[] = {"dept-a", "dept-b"};
    for (int i = 0; i < 2; i++) {
        st = store_prepare(c, SQL_DEPT, &err);
        store_bind_int64(st, 1, DEPT_A + i);
        store_bind_text(st, 2, codes[i], -1);
        store_bind_text(st, 3, codes[i], -1);
        if (store_run(st, NULL, &err) < 0) {
            fprintf(stderr, "setup: %s\n", err.msg);
            return -1;
        }
    }
    struct review_target_fn t = {&f->lookups, target, NULL};
    review_set_target(f->r, &t);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    review_close(f->r);
    notify_close(f->n);
    int rc = fx_db_close(&f->db);
    free(f);
    return rc;
}

static struct authz_subject citizen(int64_t id)
{
    struct authz_subject s;
    memset(&s, 0, sizeof(s));
    s.account_id = id;
    s.kind = IDENTITY_CITIZEN;
    s.aal = 1;
    return s;
}

static struct authz_subject staff(int64_t id, int role, int64_t dept, int64_t division)
{
    struct authz_subject s;
    memset(&s, 0, sizeof(s));
    s.account_id = id;
    s.kind = IDENTITY_STAFF;
    s.aal = 2;
    s.ngrants = 1;
    s.grants[0].role = role;
    s.grants[0].department_id = dept;
    s.grants[0].division_code = division;
    return s;
}

static int rate(struct fixture *f, const struct authz_subject *subj, int64_t app, int level,
                const char *channel, const char *comment, int *round, struct err *err)
{
    struct review_rating_in in = {app, level, channel, comment, "zh", "127.0.0.1"};
    json_t *problems = json_array();
    int64_t id;
    err_clear(err);
    int rc = review_rate(f->r, subj, &in, problems, &id, round, err);
    json_decref(problems);
    return rc;
}

static void test_levels(void **state)
{
    (void)state;
    assert_string_equal(review_level_name(5), "very_satisfied");
    assert_string_equal(review_level_name(3), "basic");
    assert_string_equal(review_level_name(1), "very_unsatisfied");
    assert_null(review_level_name(0));
    assert_null(review_level_name(6));
    assert_int_equal(review_level_parse("2"), 2);
    assert_int_equal(review_level_parse("unsatisfied"), 2);
    assert_int_equal(review_level_parse("6"), -1);
    assert_int_equal(review_level_parse("22"), -1);
    assert_int_equal(review_level_parse(""), -1);
    assert_int_equal(review_level_parse(NULL), -1);
    assert_true(review_channel_valid("online") && review_channel_valid("counter") &&
                review_channel_valid("hotline") && review_channel_valid("sms"));
    assert_false(review_channel_valid("email") || review_channel_valid(NULL));
}

static void test_validation_all_at_once(void **state)
{
    struct fixture *f = *state;
    struct authz_subject me = citizen(CITIZEN);
    char long_comment[REVIEW_TEXT_MAX * 3 + 8];
    memset(long_comment, 0, sizeof(long_comment));
    for (int i = 0; i <= REVIEW_TEXT_MAX; i++)
        memcpy(long_comment + 3 * i, "好", 3); /* REVIEW_TEXT_MAX + 1 characters */
    struct review_rating_in in = {1, 0, "fax", long_comment, "zh", NULL};
    json_t *problems = json_array();
    struct err err;
    err_clear(&err);
    assert_int_equal(review_rate(f->r, &me, &in, problems, NULL, NULL, &err), 1);
    assert_int_equal(json_array_size(problems), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(problems, 0), "code")),
                        "review.bad_level");
    assert_string_equal(json_string_value(json_object_get(json_array_get(problems, 1), "code")),
                        "review.bad_channel");
    assert_string_equal(json_string_value(json_object_get(json_array_get(problems, 2), "code")),
                        "review.comment_too_long");
    json_decref(problems);
    /* exactly the limit is fine (checked later by the flow), one character less too */
    long_comment[3 * REVIEW_TEXT_MAX] = '\0';
    problems = json_array();
    in.level = 9;
    in.channel = "online";
    assert_int_equal(review_rate(f->r, &me, &in, problems, NULL, NULL, &err), 1);
    assert_int_equal(json_array_size(problems), 1);
    json_decref(problems);
}

static const char SQL_MSGS[] =
    "SELECT kind, link FROM notify_messages WHERE account_id = ? AND department_id = ? ORDER BY id";
static const char SQL_AUDIT[] = "SELECT COUNT(*) FROM audit_events WHERE action = ?";

static int64_t count_audit(struct fixture *f, const char *action)
{
    struct err err;
    struct store_conn *c = store_conn(f->s, &err);
    struct store_stmt *st = store_prepare(c, SQL_AUDIT, &err);
    assert_non_null(st);
    store_bind_text(st, 1, action, -1);
    assert_int_equal(store_step(st, &err), STORE_ROW);
    int64_t n = store_col_int64(st, 0);
    store_reset(st);
    return n;
}

static int count_msgs(struct fixture *f, int64_t account, int64_t dept, const char *kind)
{
    struct err err;
    struct store_conn *c = store_conn(f->s, &err);
    struct store_stmt *st = store_prepare(c, SQL_MSGS, &err);
    store_bind_int64(st, 1, account);
    store_bind_int64(st, 2, dept);
    int n = 0;
    while (store_step(st, &err) == STORE_ROW)
        n += strcmp(store_col_text(st, 0), kind) == 0;
    store_reset(st);
    return n;
}

static void test_flow(void **state)
{
    struct fixture *f = *state;
    struct err err;
    int round = 0;
    struct authz_subject me = citizen(CITIZEN), other = citizen(OTHER_CITIZEN);
    struct authz_subject reviewer_a = staff(7001, ROLE_REVIEWER, DEPT_A, DIV_ROOT);
    struct authz_subject reviewer_b = staff(7002, ROLE_REVIEWER, DEPT_B, DIV_ROOT);
    struct authz_subject clerk_a = staff(7003, ROLE_CLERK, DEPT_A, DIV_ROOT);

    /* someone else's application, an unknown one: not found; undecided: not yet */
    assert_int_equal(rate(f, &other, 1, 5, "online", NULL, &round, &err), -1);
    assert_string_equal(err.code, "review.not_found");
    assert_int_equal(err.status, 404);
    assert_int_equal(rate(f, &me, 99, 5, "online", NULL, &round, &err), -1);
    assert_string_equal(err.code, "review.not_found");
    assert_int_equal(rate(f, &me, 2, 5, "online", NULL, &round, &err), -1);
    assert_string_equal(err.code, "review.not_decided");
    assert_int_equal(err.status, 409);
    /* staff cannot rate online in the applicant's name */
    assert_int_equal(rate(f, &reviewer_a, 1, 5, "online", NULL, &round, &err), -1);
    assert_int_equal(err.status, 404);

    /* 不满意 opens a task with a deadline five working days on */
    int64_t before = time_now_ms();
    assert_int_equal(rate(f, &me, 1, 2, "online", "等了很久", &round, &err), 0);
    assert_int_equal(round, 1);
    assert_int_equal(count_audit(f, "review.rate"), 1);
    assert_int_equal(count_audit(f, "review.task_open"), 1);
    assert_int_equal(count_msgs(f, 0, DEPT_A, "review.notice.bad_rating"), 1);
    assert_int_equal(count_msgs(f, CITIZEN, 0, "review.notice.task_opened"), 1);
    assert_int_equal(rate(f, &me, 1, 5, "online", NULL, &round, &err), -1);
    assert_string_equal(err.code, "review.awaiting_response");

    json_t *tasks = NULL;
    assert_int_equal(review_tasks(f->r, &reviewer_b, NULL, time_now_ms(), &tasks, &err), 0);
    assert_int_equal(json_array_size(tasks), 0); /* another department sees nothing */
    json_decref(tasks);
    assert_int_equal(review_tasks(f->r, &clerk_a, NULL, time_now_ms(), &tasks, &err), 0);
    assert_int_equal(json_array_size(tasks), 0); /* a clerk does not answer tasks */
    json_decref(tasks);
    assert_int_equal(review_tasks(f->r, &reviewer_a, "open", time_now_ms(), &tasks, &err), 0);
    assert_int_equal(json_array_size(tasks), 1);
    json_t *task = json_array_get(tasks, 0);
    assert_string_equal(json_string_value(json_object_get(task, "comment")), "等了很久");
    assert_int_equal(json_integer_value(json_object_get(task, "level")), 2);
    int64_t deadline = json_integer_value(json_object_get(task, "deadline_at"));
    struct calendar *cal;
    assert_int_equal(calendar_load(f->s, CALENDAR_SCOPES_XIZANG, &cal, &err), 0);
    assert_int_equal(calendar_working_days_between(cal, calendar_day_of_ms(before),
                                                   calendar_day_of_ms(deadline)),
                     REVIEW_RECTIFY_DAYS);
    assert_int_equal((deadline + CALENDAR_TZ_OFFSET_MS + 1) % CALENDAR_DAY_MS, 0);
    calendar_free(cal);
    int64_t task_id = strtoll(json_string_value(json_object_get(task, "id")), NULL, 10);
    json_decref(tasks);

    /* responding: only the department's head or reviewer; something must be said */
    json_t *problems = json_array();
    assert_int_equal(review_respond(f->r, &reviewer_b, task_id, "x", NULL, problems, &err), -1);
    assert_string_equal(err.code, "review.task_not_found");
    assert_int_equal(review_respond(f->r, &clerk_a, task_id, "x", NULL, problems, &err), -1);
    assert_int_equal(review_respond(f->r, &me, task_id, "x", NULL, problems, &err), -1);
    assert_int_equal(review_respond(f->r, &reviewer_a, task_id, "  \n", NULL, problems, &err), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(problems, 0), "code")),
                        "review.response_required");
    assert_int_equal(review_respond(f->r, &reviewer_a, task_id, "已增派窗口人员，缩短等候时间。",
                                    "10.0.0.1", problems, &err),
                     0);
    assert_int_equal(review_respond(f->r, &reviewer_a, task_id, "again", NULL, problems, &err), -1);
    assert_string_equal(err.code, "review.already_responded");
    json_decref(problems);
    assert_int_equal(count_audit(f, "review.respond"), 1);
    assert_int_equal(count_msgs(f, CITIZEN, 0, "review.notice.responded"), 1);

    /* the applicant sees the response and may rate again: round 2 */
    json_t *h = NULL;
    assert_int_equal(review_history(f->r, &other, 1, &h, &err), -1);
    assert_int_equal(err.status, 404);
    assert_int_equal(review_history(f->r, &reviewer_b, 1, &h, &err), -1);
    assert_int_equal(review_history(f->r, &me, 1, &h, &err), 0);
    assert_true(json_is_true(json_object_get(h, "can_rate")));
    assert_int_equal(json_integer_value(json_object_get(h, "next_round")), 2);
    json_t *r1 = json_array_get(json_object_get(h, "ratings"), 0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(r1, "task"), "response")),
                        "已增派窗口人员，缩短等候时间。");
    json_decref(h);
    assert_int_equal(review_history(f->r, &reviewer_a, 1, &h, &err), 0);
    assert_false(json_is_true(json_object_get(h, "can_rate")));
    json_decref(h);

    assert_int_equal(rate(f, &me, 1, 4, "online", NULL, &round, &err), 0);
    assert_int_equal(round, 2);
    assert_int_equal(rate(f, &me, 1, 1, "online", NULL, &round, &err), -1);
    assert_string_equal(err.code, "review.already_rated");
    assert_int_equal(count_msgs(f, CITIZEN, 0, "review.notice.thanks"), 1);
    assert_int_equal(review_history(f->r, &me, 1, &h, &err), 0);
    assert_false(json_is_true(json_object_get(h, "can_rate")));
    assert_int_equal(json_array_size(json_object_get(h, "ratings")), 2);
    json_decref(h);
}

static void test_counter_and_hotline(void **state)
{
    struct fixture *f = *state;
    struct err err;
    int round;
    struct authz_subject clerk_a = staff(7003, ROLE_CLERK, DEPT_A, DIV_ROOT);
    struct authz_subject clerk_b = staff(7004, ROLE_CLERK, DEPT_B, DIV_ROOT);
    struct authz_subject agent = staff(7005, ROLE_HOTLINE_AGENT, 999, DIV_ROOT);
    struct authz_subject other = citizen(OTHER_CITIZEN), me = citizen(CITIZEN);
    /* a clerk of another department, a citizen pretending to be a counter: refused */
    assert_int_equal(rate(f, &clerk_b, 3, 5, "counter", NULL, &round, &err), -1);
    assert_int_equal(err.status, 404);
    assert_int_equal(rate(f, &other, 3, 5, "counter", NULL, &round, &err), -1);
    assert_int_equal(rate(f, &clerk_a, 3, 3, "hotline", NULL, &round, &err), -1);
    /* the deciding department's counter records it for the walk-in applicant */
    assert_int_equal(rate(f, &clerk_a, 3, 5, "counter", "窗口服务很好", &round, &err), 0);
    assert_int_equal(round, 1);
    /* a 12345 agent records a caller's rating */
    assert_int_equal(rate(f, &agent, 4, 1, "hotline", NULL, &round, &err), 0);
    assert_int_equal(count_msgs(f, 0, DEPT_B, "review.notice.bad_rating"), 1);
    /* a staff member who is also no applicant never sees another's history as a citizen */
    json_t *h;
    assert_int_equal(review_history(f->r, &me, 3, &h, &err), -1);
    assert_int_equal(review_history(f->r, &other, 3, &h, &err), 0);
    json_t *r1 = json_array_get(json_object_get(h, "ratings"), 0);
    assert_string_equal(json_string_value(json_object_get(r1, "channel")), "counter");
    json_decref(h);
}

static json_t *find(json_t *list, const char *key, const char *value)
{
    size_t i;
    json_t *row;
    json_array_foreach(list, i, row)
    {
        json_t *v = json_object_get(row, key);
        if (json_is_string(v) && strcmp(json_string_value(v), value) == 0)
            return row;
    }
    return NULL;
}

static void test_stats(void **state)
{
    struct fixture *f = *state;
    struct err err;
    json_t *s = NULL;
    int64_t v1 = review_version(f->r);
    assert_true(v1 > 0);
    assert_int_equal(review_stats(f->r, &s, &err), 0);
    /* department A: 2 (rectified), 4, 5; department B: 1 (open) */
    json_t *a = find(json_object_get(s, "departments"), "department_id", "101");
    json_t *b = find(json_object_get(s, "departments"), "department_id", "102");
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(json_integer_value(json_object_get(a, "total")), 3);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(a, "counts"), "2")), 1);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(a, "counts"), "4")), 1);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(a, "counts"), "5")), 1);
    assert_int_equal(json_integer_value(json_object_get(a, "satisfied")), 2);
    assert_int_equal(json_integer_value(json_object_get(a, "bad")), 1);
    assert_int_equal(json_integer_value(json_object_get(a, "rectified")), 1);
    assert_true(json_real_value(json_object_get(a, "satisfaction_rate")) == 66.7);
    assert_int_equal(json_integer_value(json_object_get(b, "bad")), 1);
    assert_int_equal(json_integer_value(json_object_get(b, "rectified")), 0);
    assert_true(json_real_value(json_object_get(b, "satisfaction_rate")) == 0.0);
    json_t *item = find(json_object_get(s, "items"), "item_code", "XZ-MZ-001");
    assert_int_equal(json_integer_value(json_object_get(item, "total")), 2);
    assert_true(json_real_value(json_object_get(item, "satisfaction_rate")) == 50.0);
    json_t *t = json_object_get(s, "total");
    assert_int_equal(json_integer_value(json_object_get(t, "total")), 4);
    assert_int_equal(json_integer_value(json_object_get(t, "bad")), 2);
    assert_int_equal(json_integer_value(json_object_get(t, "rectified")), 1);
    json_decref(s);
}

static void test_walkin_without_account(void **state)
{
    struct fixture *f = *state;
    struct err err;
    int round;
    struct authz_subject clerk_a = staff(7003, ROLE_CLERK, DEPT_A, DIV_ROOT);
    struct authz_subject head_a = staff(7006, ROLE_HEAD, DEPT_A, DIV_ROOT);
    int before = count_msgs(f, 0, DEPT_A, "review.notice.bad_rating");
    /* recorded at the counter; nobody's inbox to tell but the department's */
    assert_int_equal(rate(f, &clerk_a, 5, 1, "counter", "no account", &round, &err), 0);
    assert_int_equal(count_msgs(f, 0, DEPT_A, "review.notice.bad_rating"), before + 1);
    json_t *tasks;
    assert_int_equal(review_tasks(f->r, &head_a, "open", time_now_ms(), &tasks, &err), 0);
    assert_int_equal(json_array_size(tasks), 1);
    int64_t task =
        strtoll(json_string_value(json_object_get(json_array_get(tasks, 0), "id")), NULL, 10);
    json_decref(tasks);
    assert_int_equal(review_respond(f->r, &head_a, task, "已电话回访。", NULL, NULL, &err), 0);
    /* the next round is open for the counter again */
    assert_int_equal(rate(f, &clerk_a, 5, 4, "counter", NULL, &round, &err), 0);
    assert_int_equal(round, 2);
}

static void test_no_target(void **state)
{
    struct fixture *f = *state;
    struct review *r;
    struct err err;
    assert_int_equal(review_open(f->s, f->n, NULL, &r, &err), 0);
    struct authz_subject me = citizen(CITIZEN);
    struct review_rating_in in = {1, 5, "online", NULL, "zh", NULL};
    assert_int_equal(review_rate(r, &me, &in, NULL, NULL, NULL, &err), -1);
    assert_string_equal(err.code, "review.no_target");
    assert_int_equal(err.status, 503);
    review_close(r);
}

int main(void)
{
    struct err err;
    id_init(2);
    if (i18n_init(&err) < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_levels),    cmocka_unit_test(test_validation_all_at_once),
        cmocka_unit_test(test_flow),      cmocka_unit_test(test_counter_and_hotline),
        cmocka_unit_test(test_stats),     cmocka_unit_test(test_walkin_without_account),
        cmocka_unit_test(test_no_target),
    };
    int rc = cmocka_run_group_tests_name("review", tests, setup, teardown);
    i18n_free();
    return rc;
}
