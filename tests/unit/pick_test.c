/*
 * pick_test.c - the one telephone normaliser (base/phone.h) and the one language picker
 * (base/lang.h).
 */
#include "test.h"

#include <string.h>

#include "base/lang.h"
#include "base/phone.h"

static void test_mobile(void **state)
{
    (void)state;
    char out[PHONE_MAX];
    assert_true(phone_normalize("13800138000", PHONE_MOBILE, out) == PHONE_MOBILE);
    assert_true(strcmp(out, "13800138000") == 0);
    assert_true(phone_normalize("+86 138-0013-8000", PHONE_MOBILE, out) == PHONE_MOBILE);
    assert_true(strcmp(out, "13800138000") == 0);
    assert_true(phone_normalize("12800138000", PHONE_MOBILE, out) <
                0); /* 12x is no mobile prefix */
    assert_true(out[0] == '\0');
    assert_true(phone_normalize("1380013800", PHONE_MOBILE, out) < 0);   /* 10 digits */
    assert_true(phone_normalize("138001380001", PHONE_MOBILE, out) < 0); /* 12 digits */
    assert_true(phone_normalize("1380013800a", PHONE_MOBILE, out) < 0);
    assert_true(phone_normalize("", PHONE_MOBILE, out) < 0);
    assert_true(phone_normalize("0891-6328000", PHONE_MOBILE, out) < 0); /* landline not accepted */
}

static void test_landline(void **state)
{
    (void)state;
    char out[PHONE_MAX];
    int both = PHONE_MOBILE | PHONE_LANDLINE;
    assert_true(phone_normalize("0891-6328000", both, out) == PHONE_LANDLINE);
    assert_true(strcmp(out, "08916328000") == 0);
    assert_true(phone_normalize("13800138000", both, out) == PHONE_MOBILE);
    assert_true(phone_normalize("089163280001", both, out) == PHONE_LANDLINE); /* 12 digits */
    assert_true(phone_normalize("0891632800012", both, out) < 0);              /* 13: too long */
    assert_true(phone_normalize("891632800", both, out) < 0);
}

static void test_is_mobile(void **state)
{
    (void)state;
    assert_true(phone_is_mobile("19912345678"));
    assert_true(!phone_is_mobile("+8613800138000"));
    assert_true(!phone_is_mobile("1380013800"));
    assert_true(!phone_is_mobile("10800138000"));
}

static void test_lang_pick(void **state)
{
    (void)state;
    const char *picked = NULL;
    assert_string_equal(lang_pick("bo", "拉萨", "ལྷ་ས།", "Lhasa", &picked), "ལྷ་ས།");
    assert_string_equal(picked, "bo");
    assert_string_equal(lang_pick("en", "拉萨", "ལྷ་ས།", "Lhasa", &picked), "Lhasa");
    assert_string_equal(picked, "en");
    assert_string_equal(lang_pick("bo", "拉萨", NULL, "Lhasa", &picked), "拉萨");
    assert_string_equal(picked, "zh"); /* a fallback says so */
    assert_string_equal(lang_pick("bo", "拉萨", "", "Lhasa", &picked), "拉萨");
    assert_string_equal(picked, "zh"); /* empty is absent */
    assert_string_equal(lang_pick("fr", "拉萨", "ལྷ་ས།", "Lhasa", NULL), "拉萨");
    assert_string_equal(lang_pick(NULL, "拉萨", "ལྷ་ས།", "Lhasa", NULL), "拉萨");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mobile),
        cmocka_unit_test(test_landline),
        cmocka_unit_test(test_is_mobile),
        cmocka_unit_test(test_lang_pick),
    };
    return cmocka_run_group_tests_name("pick", tests, NULL, NULL);
}
