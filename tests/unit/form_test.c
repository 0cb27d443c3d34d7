/* form_test.c - urlencoded parsing, path decoding, URL encoding, UTF-8 validation. */
#include "test.h"

#include <string.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/utf8.h"
#include "web/form.h"

static void test_form_basic(void **state)
{
    struct arena *a = arena_new(0);
    struct web_kv *kv;
    size_t n;
    const char *in = "a=1&b=hello+world&c=%E8%97%8F&&d&e=&a=2";
    assert_int_equal(web_form_parse(a, in, strlen(in), 16, &kv, &n), 0);
    assert_int_equal(n, 6);
    assert_string_equal(kv[0].name, "a");
    assert_string_equal(kv[0].value, "1");
    assert_string_equal(kv[1].value, "hello world");
    assert_string_equal(kv[2].value, "藏");
    assert_string_equal(kv[3].name, "d");
    assert_string_equal(kv[3].value, "");
    assert_string_equal(kv[4].value, "");
    assert_string_equal(web_kv_get(kv, n, "a"), "1"); /* the first wins */
    assert_null(web_kv_get(kv, n, "zz"));
    assert_int_equal(web_form_parse(a, "", 0, 16, &kv, &n), 0);
    assert_int_equal(n, 0);
    arena_free(a);
}

static void test_form_rejects(void **state)
{
    struct arena *a = arena_new(0);
    struct web_kv *kv;
    size_t n;
    const char *bad[] = {"a=%", "a=%4", "a=%G1", "a=%00", "a=%FF", "%C0%AF=x", "a=%ED%A0%80"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(web_form_parse(a, bad[i], strlen(bad[i]), 16, &kv, &n), -1);
    assert_int_equal(web_form_parse(a, "a&b&c", 5, 2, &kv, &n), -1); /* too many fields */
    arena_free(a);
}

static void test_path_decode(void **state)
{
    struct arena *a = arena_new(0);
    assert_string_equal(web_path_decode(a, "/a+b/%E8%97%8F", 14), "/a+b/藏");
    assert_null(web_path_decode(a, "/%2", 3));
    assert_null(web_path_decode(a, "/%00", 4));
    assert_null(web_path_decode(a, "/\xff", 2));
    arena_free(a);
}

static void test_url_encode(void **state)
{
    struct buf b;
    buf_init(&b, 1024);
    assert_int_equal(web_url_encode(&b, "a b&c=藏~"), 0);
    assert_string_equal(b.data, "a%20b%26c%3D%E8%97%8F~");
    buf_free(&b);
}

static void test_utf8(void **state)
{
    assert_true(utf8_valid("", 0));
    assert_true(utf8_valid("abc", 3));
    assert_true(utf8_valid("བོད་", strlen("བོད་")));
    assert_true(utf8_valid("\xf0\x9f\x98\x80", 4));  /* U+1F600 */
    assert_false(utf8_valid("\xc0\x80", 2));         /* overlong NUL */
    assert_false(utf8_valid("\xe0\x80\x80", 3));     /* overlong */
    assert_false(utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
    assert_false(utf8_valid("\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
    assert_false(utf8_valid("\xe8\x97", 2));         /* truncated */
    assert_false(utf8_valid("a\0b", 3));             /* NUL */
    assert_false(utf8_valid("\x80", 1));             /* lone continuation */
}

static void test_buf_html_and_max(void **state)
{
    struct buf b;
    buf_init(&b, 64);
    assert_int_equal(buf_append_html(&b, "<a href=\"x\">'&`</a>", 19), 0);
    assert_string_equal(b.data, "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#96;&lt;/a&gt;");
    buf_free(&b);
    buf_init(&b, 8);
    assert_int_equal(buf_puts(&b, "12345678"), 0);
    assert_int_equal(buf_putc(&b, 'x'), -1);
    assert_int_equal(b.len, 8);
    assert_string_equal(b.data, "12345678");
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_form_basic),  cmocka_unit_test(test_form_rejects),
        cmocka_unit_test(test_path_decode), cmocka_unit_test(test_url_encode),
        cmocka_unit_test(test_utf8),        cmocka_unit_test(test_buf_html_and_max),
    };
    return cmocka_run_group_tests_name("form", tests, NULL, NULL);
}
