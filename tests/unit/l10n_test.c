/* l10n_test.c - dates, numbers and list order per language, with the outputs CLDR gives
 * (ICU 72, Debian 12), time zone boundaries, the empty date, concurrent use. */
#include "test.h"

#include <pthread.h>
#include <string.h>

#include "base/arena.h"
#include "l10n/l10n.h"

/* 2026-02-10 17:05 in Asia/Shanghai (09:05 UTC). */
static const int64_t FEB10 = 1770714300000LL;
/* Day number of 2026-02-10 (days since 1970-01-01). */
static const int32_t FEB10_DAY = 20494;

static void test_dates(void **state)
{
    struct arena *a = arena_new(0);
    assert_string_equal(l10n_date(a, "zh", FEB10), "2026年2月10日");
    assert_string_equal(l10n_date(a, "bo", FEB10), "སྤྱི་ལོ་2026 ཟླ་བ་གཉིས་པའི་ཚེས་10");
    assert_string_equal(l10n_date(a, "en", FEB10), "February 10, 2026");
    assert_string_equal(l10n_datetime(a, "zh", FEB10), "2026年2月10日 17:05");
    assert_string_equal(l10n_datetime(a, "bo", FEB10), "སྤྱི་ལོ་2026 ཟླ་བ་གཉིས་པའི་ཚེས་10 17:05");
    assert_string_equal(l10n_datetime(a, "en", FEB10), "February 10, 2026 at 17:05");
    /* Another month and a two-digit day: the month name, not a number, in bo. */
    int64_t dec25 = 1798182000000LL; /* 2026-12-25 15:00 Asia/Shanghai */
    assert_string_equal(l10n_datetime(a, "bo", dec25), "སྤྱི་ལོ་2026 ཟླ་བ་བཅུ་གཉིས་པའི་ཚེས་25 15:00");
    assert_string_equal(l10n_date(a, "zh", dec25), "2026年12月25日");
    arena_free(a);
}

static void test_time_zone(void **state)
{
    struct arena *a = arena_new(0);
    /* 16:30 UTC on the 10th is 00:30 on the 11th in Shanghai. */
    int64_t late = 1770741000000LL;
    assert_string_equal(l10n_datetime(a, "zh", late), "2026年2月11日 00:30");
    assert_string_equal(l10n_date(a, "en", late), "February 11, 2026");
    /* 15:59 UTC is still the 10th. */
    assert_string_equal(l10n_datetime(a, "zh", late - 31 * 60000), "2026年2月10日 23:59");
    arena_free(a);
}

static void test_days_and_edges(void **state)
{
    struct arena *a = arena_new(0);
    assert_string_equal(l10n_day(a, "zh", FEB10_DAY), "2026年2月10日");
    assert_string_equal(l10n_day(a, "bo", FEB10_DAY), "སྤྱི་ལོ་2026 ཟླ་བ་གཉིས་པའི་ཚེས་10");
    assert_string_equal(l10n_day(a, "en", 0), "January 1, 1970");
    /* No date: nothing to show. */
    assert_string_equal(l10n_date(a, "zh", 0), "");
    assert_string_equal(l10n_datetime(a, "bo", -5), "");
    /* Unknown and missing languages read as zh. */
    assert_string_equal(l10n_date(a, "fr", FEB10), "2026年2月10日");
    assert_string_equal(l10n_date(a, NULL, FEB10), "2026年2月10日");
    arena_free(a);
}

static void test_numbers(void **state)
{
    struct arena *a = arena_new(0);
    /* CLDR's bo uses Latin digits by default (its native system, tibt, is opt-in). */
    assert_string_equal(l10n_number(a, "zh", 1234567), "1,234,567");
    assert_string_equal(l10n_number(a, "bo", 1234567), "1,234,567");
    assert_string_equal(l10n_number(a, "en", 1234567), "1,234,567");
    assert_string_equal(l10n_number(a, "bo", 12), "12");
    assert_string_equal(l10n_number(a, "en", -4500), "-4,500");
    arena_free(a);
}

static void assert_order(json_t *arr, const char *const *want, size_t n)
{
    assert_int_equal(json_array_size(arr), n);
    for (size_t i = 0; i < n; i++) {
        const char *got = json_string_value(json_object_get(json_array_get(arr, i), "name"));
        if (want[i] == NULL)
            assert_null(got);
        else
            assert_string_equal(got, want[i]);
    }
}

static json_t *names(const char *const *list, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr,
                              list[i] ? json_pack("{s:s, s:I}", "name", list[i], "i", (json_int_t)i)
                                      : json_pack("{s:I}", "i", (json_int_t)i));
    return arr;
}

static void test_sort(void **state)
{
    /* zh: pinyin (a, g, l, m, w), not code point order (公 U+516C sorts before 阿 U+963F). */
    const char *zh[] = {"民政局", "公安局", "阿里地区", "卫生健康委员会", "拉萨市"};
    const char *zh_want[] = {"阿里地区", "公安局", "拉萨市", "民政局", "卫生健康委员会"};
    json_t *arr = names(zh, 5);
    assert_int_equal(l10n_sort("zh", arr, "name"), 0);
    assert_order(arr, zh_want, 5);
    json_decref(arr);

    /* bo: a syllable files under its root letter: བཀྲ་ཤིས (prefix བ, root ཀ) and སྐྱིད (superscript
     * ས, root ཀ) come with ཀ, before ཁ; code point order would put them after ཞ. */
    const char *bo[] = {"ཞིང", "ཁ་", "བཀྲ་ཤིས", "ཀ་བ", "སྐྱིད"};
    const char *bo_want[] = {"ཀ་བ", "བཀྲ་ཤིས", "སྐྱིད", "ཁ་", "ཞིང"};
    arr = names(bo, 5);
    assert_int_equal(l10n_sort("bo", arr, "name"), 0);
    assert_order(arr, bo_want, 5);
    json_decref(arr);

    /* en: case-insensitive alphabetical; missing names last; equal names keep their order. */
    const char *en[] = {"water", NULL, "Apple", "banana", "apple"};
    const char *en_want[] = {"apple", "Apple", "banana", "water", NULL};
    arr = names(en, 5);
    assert_int_equal(l10n_sort("en", arr, "name"), 0);
    assert_order(arr, en_want, 5);
    json_decref(arr);

    const char *same[] = {"b", "a", "b", "a"};
    arr = names(same, 4);
    assert_int_equal(l10n_sort("en", arr, "name"), 0);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(arr, 0), "i")), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(arr, 1), "i")), 3);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(arr, 2), "i")), 0);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(arr, 3), "i")), 2);
    json_decref(arr);

    /* A member of a member: {"name": {"text": ...}}, as pages carry names with their language. */
    arr = json_pack("[{s:{s:s}}, {s:{s:s}}, {s:{s:s}}]", "name", "text", "民政局", "name", "text",
                    "阿里地区", "name", "text", "公安局");
    assert_int_equal(l10n_sort("zh", arr, "name.text"), 0);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(json_array_get(arr, 0), "name"), "text")),
        "阿里地区");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(json_array_get(arr, 2), "name"), "text")),
        "民政局");
    json_decref(arr);

    /* Nothing to sort. */
    arr = json_array();
    assert_int_equal(l10n_sort("zh", arr, "name"), 0);
    json_decref(arr);
}

static void *format_many(void *arg)
{
    const char *lang = arg;
    struct arena *a = arena_new(0);
    const char *want =
        strcmp(lang, "bo") == 0 ? "སྤྱི་ལོ་2026 ཟླ་བ་གཉིས་པའི་ཚེས་10 17:05" : "2026年2月10日 17:05";
    long bad = 0;
    for (int i = 0; i < 2000 && a != NULL; i++) {
        bad += strcmp(l10n_datetime(a, lang, FEB10), want) != 0;
        bad += strcmp(l10n_number(a, lang, 1234567), "1,234,567") != 0;
    }
    arena_free(a);
    return (void *)bad;
}

static void test_threads(void **state)
{
    /* The server formats from many threads at once: each result must be whole. */
    pthread_t t[4];
    const char *langs[] = {"zh", "bo", "zh", "bo"};
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, format_many, (void *)langs[i]), 0);
    for (int i = 0; i < 4; i++) {
        void *bad = NULL;
        pthread_join(t[i], &bad);
        assert_int_equal((long)bad, 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dates),          cmocka_unit_test(test_time_zone),
        cmocka_unit_test(test_days_and_edges), cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_sort),           cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
