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

/* Strings whose Tibetan form is rightly the same as the Chinese or English one, or has no
 * Tibetan letter: codes, numbers, proper names and protocol words. Each with its reason;
 * anything else that is a copy is a missing translation (issue 11), never a translation. */
static const struct {
    const char *key, *reason;
} bo_allowed[] = {
    {"hotline.channels.open311", "Open311 is the name of a standard"},
    {"review.channels.hotline", "12345 is the hotline's number, the same in every language"},
    {"oidc.logout.from_before", "empty on purpose: in Tibetan the system's name comes first, and "
                                "from_after carries the whole phrase"},
};

static int bo_allowed_key(const char *key)
{
    for (size_t i = 0; i < sizeof(bo_allowed) / sizeof(bo_allowed[0]); i++)
        if (strcmp(bo_allowed[i].key, key) == 0)
            return 1;
    return 0;
}

/* Does `s` hold a letter of the Tibetan block (U+0F00..U+0FFF: E0 BC 80 .. E0 BF BF)? */
static int has_tibetan(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; p[0] != '\0'; p++)
        if (p[0] == 0xE0 && p[1] >= 0xBC && p[1] <= 0xBF)
            return 1;
    return 0;
}

static void check_tibetan(json_t *bo, json_t *zh, json_t *en, const char *path, int *bad)
{
    const char *k;
    json_t *v;
    json_object_foreach(bo, k, v)
    {
        char sub[256];
        snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", k);
        json_t *z = json_object_get(zh, k), *e = json_object_get(en, k);
        if (json_is_object(v)) {
            check_tibetan(v, z, e, sub, bad);
            continue;
        }
        const char *s = json_string_value(v);
        if (s == NULL || bo_allowed_key(sub))
            continue;
        const char *why =
            !has_tibetan(s)                                                 ? "no Tibetan letter"
            : z && json_string_value(z) && !strcmp(s, json_string_value(z)) ? "the zh text"
            : e && json_string_value(e) && !strcmp(s, json_string_value(e)) ? "the en text"
                                                                            : NULL;
        if (why != NULL) {
            fprintf(stderr, "bo %s is %s: %s\n", sub, why, s);
            (*bad)++;
        }
    }
}

/* Every bo string is Tibetan: not a copy of the zh or en string and not without a Tibetan
 * letter, except the allowed keys above. */
static void test_bo_is_tibetan(void **state)
{
    json_t *bo = raw("bo"), *zh = raw("zh"), *en = raw("en");
    int bad = 0;
    check_tibetan(bo, zh, en, "", &bad);
    json_decref(bo);
    json_decref(zh);
    json_decref(en);
    assert_int_equal(bad, 0);
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
        cmocka_unit_test(test_bo_is_tibetan),
        cmocka_unit_test(test_lookup),
    };
    return cmocka_run_group_tests_name("i18n", tests, NULL, NULL);
}
