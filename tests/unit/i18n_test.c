/* i18n_test.c - catalogs (complete in every language) and language negotiation. */
#include "test.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "base/embed.h"
#include "web/i18n.h"

static void test_negotiate(void **state)
{
    assert_string_equal(i18n_negotiate(NULL, NULL, NULL), "zh");
    assert_string_equal(i18n_negotiate("bo", "en", "en"), "bo");
    assert_string_equal(i18n_negotiate("xx", "en", "bo"), "en");
    assert_string_equal(i18n_negotiate(NULL, "fr", "bo-CN,zh;q=0.8"), "bo");
    assert_string_equal(i18n_negotiate(NULL, NULL, "en;q=0.5, bo;q=0.9"), "bo");
    assert_string_equal(i18n_negotiate(NULL, NULL, "fr-FR, en-GB;q=0.7"), "en");
    assert_string_equal(i18n_negotiate(NULL, NULL, "fr, de"), "zh");
    assert_string_equal(i18n_negotiate(NULL, NULL, "zh-Hans-CN"), "zh");
    assert_string_equal(i18n_negotiate(NULL, NULL, "bod"), "zh"); /* not "bo" */
    assert_string_equal(i18n_negotiate(NULL, NULL, ";;;,,,  ;q=1"), "zh");
    assert_string_equal(i18n_negotiate(NULL, NULL, "en;q=0"), "zh");
}

/* Every key of the reference catalog (zh) must exist in bo and en, so no page shows
 * Chinese by accident when a translation was forgotten. */
static void check_keys(json_t *ref, json_t *other, const char *lang, const char *path, int *missing)
{
    const char *k;
    json_t *v;
    json_object_foreach(ref, k, v)
    {
        char sub[256];
        snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", k);
        json_t *o = json_object_get(other, k);
        if (o == NULL) {
            fprintf(stderr, "missing in %s: %s\n", lang, sub);
            (*missing)++;
        } else if (json_is_object(v)) {
            check_keys(v, o, lang, sub, missing);
        }
    }
}

/* A language's files merged, as i18n.c does, but without the zh fallback. */
static json_t *raw(const char *lang)
{
    char prefix[64];
    snprintf(prefix, sizeof(prefix), "web/i18n/%s/", lang);
    json_t *all = json_object();
    size_t i = embed_first(prefix), n = 0;
    for (; i < embed_count && strncmp(embed_files[i].path, prefix, strlen(prefix)) == 0; i++) {
        json_t *j = json_loadb((const char *)embed_files[i].data, embed_files[i].len, 0, NULL);
        assert_non_null(j);
        assert_int_equal(json_object_update_recursive(all, j), 0);
        json_decref(j);
        n++;
    }
    assert_true(n > 0);
    return all;
}

static void test_catalogs_complete(void **state)
{
    json_t *zh = raw("zh");
    int missing = 0;
    for (int i = 1; i < I18N_NLANGS; i++) {
        json_t *t = raw(i18n_langs[i]);
        check_keys(zh, t, i18n_langs[i], "", &missing);
        json_decref(t);
    }
    json_decref(zh);
    assert_int_equal(missing, 0);
}

static void test_lookup(void **state)
{
    struct err err;
    assert_int_equal(i18n_init(&err), 0);
    assert_string_equal(i18n_get("en", "divisions.levels.county"), "County");
    assert_string_equal(i18n_get("zh", "nav.home"), "首页");
    assert_non_null(i18n_get("bo", "nav.home"));
    assert_null(i18n_get("en", "no.such.key"));
    assert_null(i18n_get("en", "divisions"));
    i18n_free();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_negotiate),
        cmocka_unit_test(test_catalogs_complete),
        cmocka_unit_test(test_lookup),
    };
    return cmocka_run_group_tests_name("i18n", tests, NULL, NULL);
}
