/* divisions_test.c - division codes, containment, loading the reference data into a real
 * SQLite store, and reading it back. */
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/arena.h"
#include "divisions/divisions.h"
#include "store/store.h"

static void test_parse_code(void **state)
{
    int64_t code;
    struct err err;
    assert_int_equal(divisions_parse_code("540100000000", &code, &err), 0);
    assert_int_equal(code, 540100000000LL);
    assert_int_equal(divisions_parse_code("540102", &code, &err), 0);
    assert_int_equal(code, 540102000000LL);
    const char *bad[] = {"", "abc", "5401", "54010000000x", "5401000000001", "000000000000",
                         "-54010000000", "540100 00000", NULL};
    for (int i = 0; bad[i]; i++) {
        err_clear(&err);
        assert_int_equal(divisions_parse_code(bad[i], &code, &err), -1);
        assert_int_equal(err.status, 400);
        assert_string_equal(err.code, "divisions.bad_code");
    }
    assert_int_equal(divisions_parse_code(NULL, &code, &err), -1);
}

static void test_contains(void **state)
{
    assert_true(divisions_contains(540000000000LL, 540102002001LL));
    assert_true(divisions_contains(540100000000LL, 540102002000LL));
    assert_true(divisions_contains(540102000000LL, 540102002001LL));
    assert_true(divisions_contains(540102002000LL, 540102002001LL));
    assert_true(divisions_contains(540102002001LL, 540102002001LL));
    assert_false(divisions_contains(540200000000LL, 540102002001LL));
    assert_false(divisions_contains(540102002000LL, 540102003001LL));
    assert_false(divisions_contains(540102002001LL, 540102002000LL));
}

static void test_names(void **state)
{
    struct division d = {540100000000LL, 540000000000LL, 2, "拉萨市", "ལྷ་ས་གྲོང་ཁྱེར།", "Lhasa"};
    assert_string_equal(divisions_name(&d, "bo"), "ལྷ་ས་གྲོང་ཁྱེར།");
    assert_string_equal(divisions_name(&d, "en"), "Lhasa");
    assert_string_equal(divisions_name(&d, "zh"), "拉萨市");
    d.name_bo = NULL;
    assert_string_equal(divisions_name(&d, "bo"), "拉萨市");
    assert_string_equal(divisions_level_key(DIVISION_TOWNSHIP), "township");
    assert_null(divisions_level_key(9));
}

static void test_load_and_read(void **state)
{
    char dir[] = "/tmp/ow-div-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char url[128];
    snprintf(url, sizeof(url), "sqlite:%s/t.db", dir);
    struct store *s;
    struct err err;
    err_clear(&err);
    assert_int_equal(store_open(url, NULL, &s, &err), 0);
    assert_int_equal(store_migrate(s, NULL, &err), 0);
    int inserted = -1;
    assert_int_equal(divisions_load_reference(s, &inserted, &err), 0);
    assert_int_equal(inserted, 791 + 5580);
    /* Idempotent: nothing new the second time. */
    assert_int_equal(divisions_load_reference(s, &inserted, &err), 0);
    assert_int_equal(inserted, 0);

    struct store_conn *c = store_conn(s, &err);
    struct arena *a = arena_new(0);
    struct division d;
    assert_int_equal(divisions_get(c, a, 540100000000LL, &d, &err), 0);
    assert_string_equal(d.name_zh, "拉萨市");
    assert_string_equal(d.name_en, "Lhasa");
    assert_int_equal(d.level, DIVISION_PREFECTURE);
    assert_int_equal(d.parent_code, DIVISIONS_ROOT);
    assert_int_equal(divisions_get(c, a, 999999999999LL, &d, &err), -1);
    assert_int_equal(err.status, 404);

    struct division *kids;
    size_t n;
    assert_int_equal(divisions_children(c, a, DIVISIONS_ROOT, &kids, &n, &err), 0);
    assert_int_equal(n, 7);
    for (size_t i = 1; i < n; i++)
        assert_true(kids[i].code > kids[i - 1].code);
    assert_int_equal(divisions_children(c, a, 540102002000LL, &kids, &n, &err), 0);
    assert_true(n > 0);
    assert_int_equal(kids[0].level, DIVISION_VILLAGE);
    assert_null(kids[0].name_bo);

    int64_t counts[6];
    assert_int_equal(divisions_count_by_level(c, counts, &err), 0);
    assert_int_equal(counts[DIVISION_REGION], 1);
    assert_int_equal(counts[DIVISION_PREFECTURE], 7);
    assert_int_equal(counts[DIVISION_REGION] + counts[DIVISION_PREFECTURE] +
                         counts[DIVISION_COUNTY] + counts[DIVISION_TOWNSHIP],
                     791);
    assert_int_equal(counts[DIVISION_VILLAGE], 5580);
    arena_free(a);
    store_close(s);
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_code),
        cmocka_unit_test(test_contains),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_load_and_read),
    };
    return cmocka_run_group_tests_name("divisions", tests, NULL, NULL);
}
