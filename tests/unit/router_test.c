/* router_test.c - patterns, typed parameters, precedence, 404 vs 405. */
#include "test.h"

#include <string.h>

#include "web/router.h"

static int h1, h2, h3, h4, h5, h6;

static int match(struct router *r, const char *method, const char *path, struct router_match *m)
{
    static char buf[512];
    strcpy(buf, path);
    return router_match(r, method, buf, m);
}

static struct router *make(void)
{
    struct router *r = router_new();
    assert_int_equal(router_add(r, "GET", "/", &h1), 0);
    assert_int_equal(router_add(r, "GET", "/divisions", &h2), 1);
    assert_int_equal(router_add(r, "GET", "/divisions/{code}", &h3), 2);
    assert_int_equal(router_add(r, "GET", "/cases/{id:int}", &h4), 3);
    assert_int_equal(router_add(r, "GET", "/cases/new", &h5), 4);
    assert_int_equal(router_add(r, "GET", "/static/{path:*}", &h6), 5);
    assert_int_equal(router_add(r, "POST", "/cases/{id:int}", &h5), 6);
    return r;
}

static void test_literals_and_params(void **state)
{
    struct router *r = make();
    struct router_match m;
    assert_int_equal(match(r, "GET", "/", &m), 0);
    assert_ptr_equal(m.handler, &h1);
    assert_int_equal(match(r, "GET", "/divisions", &m), 0);
    assert_ptr_equal(m.handler, &h2);
    assert_int_equal(m.nparams, 0);
    assert_int_equal(match(r, "GET", "/divisions/540100000000", &m), 0);
    assert_ptr_equal(m.handler, &h3);
    assert_string_equal(m.params[0].name, "code");
    assert_string_equal(m.params[0].value, "540100000000");
    assert_string_equal(m.pattern, "/divisions/{code}");
    assert_int_equal(m.route_index, 2);
    /* Unicode segment values pass through. */
    assert_int_equal(match(r, "GET", "/divisions/ལྷ་ས", &m), 0);
    assert_string_equal(m.params[0].value, "ལྷ་ས");
    router_free(r);
}

static void test_typed_int(void **state)
{
    struct router *r = make();
    struct router_match m;
    assert_int_equal(match(r, "GET", "/cases/123456789012345678", &m), 0);
    assert_ptr_equal(m.handler, &h4);
    assert_int_equal(m.params[0].ivalue, 123456789012345678LL);
    /* A literal beats a parameter at the same depth. */
    assert_int_equal(match(r, "GET", "/cases/new", &m), 0);
    assert_ptr_equal(m.handler, &h5);
    /* Not digits, or too long for an int64: no match. */
    assert_int_equal(match(r, "GET", "/cases/12a", &m), -1);
    assert_int_equal(match(r, "GET", "/cases/1234567890123456789012", &m), -1);
    assert_int_equal(match(r, "GET", "/cases/-1", &m), -1);
    router_free(r);
}

static void test_rest_param(void **state)
{
    struct router *r = make();
    struct router_match m;
    assert_int_equal(match(r, "GET", "/static/css/site.css", &m), 0);
    assert_ptr_equal(m.handler, &h6);
    assert_string_equal(m.params[0].value, "css/site.css");
    assert_int_equal(match(r, "GET", "/static/site.css", &m), 0);
    assert_string_equal(m.params[0].value, "site.css");
    assert_int_equal(match(r, "GET", "/static", &m), -1);
    router_free(r);
}

static void test_not_found_and_method(void **state)
{
    struct router *r = make();
    struct router_match m;
    assert_int_equal(match(r, "GET", "/nope", &m), -1);
    assert_int_equal(m.method_mismatch, 0);
    assert_int_equal(match(r, "GET", "/divisions/", &m), -1); /* empty segment */
    assert_int_equal(match(r, "GET", "/divisions//x", &m), -1);
    assert_int_equal(match(r, "DELETE", "/divisions", &m), -1);
    assert_int_equal(m.method_mismatch, 1);
    /* HEAD is served by GET routes. */
    assert_int_equal(match(r, "HEAD", "/divisions", &m), 0);
    assert_int_equal(match(r, "POST", "/cases/7", &m), 0);
    assert_int_equal(m.route_index, 6);
    assert_int_equal(match(r, "GET", "relative", &m), -1);
    router_free(r);
}

static void test_bad_patterns(void **state)
{
    struct router *r = router_new();
    assert_int_equal(router_add(r, "GET", "nostart", &h1), -1);
    assert_int_equal(router_add(r, "GET", "/a/", &h1), -1);
    assert_int_equal(router_add(r, "GET", "/a/{", &h1), -1);
    assert_int_equal(router_add(r, "GET", "/a/{}", &h1), -1);
    assert_int_equal(router_add(r, "GET", "/a/{x:float}", &h1), -1);
    assert_int_equal(router_add(r, "GET", "/a/{x:*}/b", &h1), -1);
    assert_int_equal(router_add(r, "GET", "/a/b{x}", &h1), -1);
    assert_int_equal(router_add(r, "GET", "/a/{x}", &h1), 0);
    assert_int_equal(router_add(r, "GET", "/a/{x}", &h2), -1); /* duplicate */
    assert_int_equal(router_add(r, "GET", "/a/{y}", &h2), -1); /* conflicting name */
    assert_int_equal(router_add(r, "POST", "/a/{x}", &h2), 1);
    assert_int_equal(router_count(r), 2);
    router_free(r);
}

static void test_depth_limit(void **state)
{
    struct router *r = make();
    struct router_match m;
    char path[512] = "";
    for (int i = 0; i < 40; i++)
        strcat(path, "/x");
    assert_int_equal(match(r, "GET", path, &m), -1);
    router_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_literals_and_params), cmocka_unit_test(test_typed_int),
        cmocka_unit_test(test_rest_param),          cmocka_unit_test(test_not_found_and_method),
        cmocka_unit_test(test_bad_patterns),        cmocka_unit_test(test_depth_limit),
    };
    return cmocka_run_group_tests_name("router", tests, NULL, NULL);
}
