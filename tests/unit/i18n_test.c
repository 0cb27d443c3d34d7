/* i18n_test.c - catalogs (complete in every language, bo Tibetan), language negotiation,
 * and the run-time fallback: a key missing in bo is zh's text, known by identity, marked
 * lang="zh" by the template engine where markup may stand, and counted. */
#include "test.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include <stdlib.h>
#include <sys/stat.h>

#include "base/embed.h"
#include "web/i18n.h"
#include "web/tmpl.h"

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
 * Tibetan letter (codes, numbers, proper names and protocol words), each with its reason:
 * the "same" list of web/i18n/status/bo.json, which the coverage page and the PO export
 * read too. Anything else that is a copy is a missing translation (issue 11), never a
 * translation. */
static json_t *bo_same(void)
{
    const struct embed_file *f = embed_find("web/i18n/status/bo.json");
    assert_non_null(f);
    json_t *status = json_loadb((const char *)f->data, f->len, 0, NULL);
    assert_non_null(status);
    json_t *same = json_incref(json_object_get(status, "same"));
    json_decref(status);
    assert_true(json_is_object(same));
    return same;
}

static int bo_allowed_key(json_t *same, const char *key)
{
    const char *reason = json_string_value(json_object_get(same, key));
    return reason != NULL && strlen(reason) >= 10; /* a reason, not a placeholder */
}

/* Does `s` hold a letter of the Tibetan block (U+0F00..U+0FFF: E0 BC 80 .. E0 BF BF)? */
static int has_tibetan(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; p[0] != '\0'; p++)
        if (p[0] == 0xE0 && p[1] >= 0xBC && p[1] <= 0xBF)
            return 1;
    return 0;
}

static void check_tibetan(json_t *bo, json_t *zh, json_t *en, json_t *same, const char *path,
                          int *bad)
{
    const char *k;
    json_t *v;
    json_object_foreach(bo, k, v)
    {
        char sub[256];
        snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", k);
        json_t *z = json_object_get(zh, k), *e = json_object_get(en, k);
        if (json_is_object(v)) {
            check_tibetan(v, z, e, same, sub, bad);
            continue;
        }
        const char *s = json_string_value(v);
        if (s == NULL || bo_allowed_key(same, sub))
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
    json_t *bo = raw("bo"), *zh = raw("zh"), *en = raw("en"), *same = bo_same();
    int bad = 0;
    check_tibetan(bo, zh, en, same, "", &bad);
    /* The list names only strings that exist: a stale entry would hide a future copy. */
    const char *k;
    json_t *v;
    json_object_foreach(same, k, v)
    {
        char part[256];
        json_t *node = zh;
        for (const char *p = k; node != NULL && *p;) {
            size_t n = strcspn(p, ".");
            snprintf(part, sizeof(part), "%.*s", (int)n, p);
            node = json_object_get(node, part);
            p += n + (p[n] == '.');
        }
        if (!json_is_string(node)) {
            fprintf(stderr, "web/i18n/status/bo.json names %s, which zh does not have\n", k);
            bad++;
        }
    }
    json_decref(same);
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

/* ---- the run-time fallback (issue 11, item 1) ------------------------------------------ */

static char dir[64];

static void write_file(const char *sub, const char *text)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, sub);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Catalogs on disk where bo lacks t1.a (and has t1.c, which zh lacks, in a second file). */
static int make_catalogs(void **state)
{
    snprintf(dir, sizeof(dir), "/tmp/i18n-test-XXXXXX");
    assert_non_null(mkdtemp(dir));
    for (const char *const *l = (const char *const[]){"zh", "bo", "en", NULL}; *l; l++) {
        char sub[128];
        snprintf(sub, sizeof(sub), "%s/%s", dir, *l);
        assert_int_equal(mkdir(sub, 0700), 0);
    }
    write_file("zh/core.json", "{\"t1\": {\"a\": \"甲 & <乙>\", \"b\": \"丙\"}}");
    write_file("bo/core.json", "{\"t1\": {\"b\": \"ཀ\"}}");
    write_file("bo/extra.json", "{\"t1\": {\"c\": \"ག\"}}");
    write_file("en/core.json", "{\"t1\": {\"a\": \"A\", \"b\": \"B\"}}");
    write_file("en/notes.txt", "not a catalog");
    return 0;
}

static int remove_catalogs(void **state)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static json_t *node_at(json_t *o, const char *a, const char *b)
{
    return json_object_get(json_object_get(o, a), b);
}

static void test_fallback_lookup(void **state)
{
    struct err err;
    assert_int_equal(i18n_init_dir(dir, &err), 0);
    assert_string_equal(i18n_dir(), dir);
    int fb = -1;
    assert_string_equal(i18n_lookup("bo", "t1.a", &fb), "甲 & <乙>");
    assert_int_equal(fb, 1);
    assert_string_equal(i18n_lookup("bo", "t1.b", &fb), "ཀ");
    assert_int_equal(fb, 0);
    assert_string_equal(i18n_lookup("en", "t1.a", &fb), "A");
    assert_int_equal(fb, 0);
    assert_string_equal(i18n_lookup("zh", "t1.a", &fb), "甲 & <乙>");
    assert_int_equal(fb, 0);
    assert_null(i18n_lookup("bo", "t1.zzz", &fb));
    assert_int_equal(fb, 0);
    assert_string_equal(i18n_get("bo", "t1.c"), "ག");
    /* By identity: the node of the bo catalog is zh's own; a copy of the text is not it. */
    json_t *a = node_at(i18n_catalog("bo"), "t1", "a");
    assert_true(i18n_is_fallback("bo", a));
    assert_false(i18n_is_fallback("zh", node_at(i18n_catalog("zh"), "t1", "a")));
    assert_false(i18n_is_fallback("bo", node_at(i18n_catalog("bo"), "t1", "b")));
    assert_false(i18n_is_fallback("en", node_at(i18n_catalog("en"), "t1", "a")));
    json_t *copy = json_string("甲 & <乙>");
    assert_false(i18n_is_fallback("bo", copy));
    json_decref(copy);
    uint64_t before = i18n_fallback_total("bo"), zh = i18n_fallback_total("zh");
    i18n_count_fallback("bo");
    i18n_count_fallback("zh"); /* zh is the fallback itself: never counted */
    assert_int_equal(i18n_fallback_total("bo"), before + 1);
    assert_int_equal(i18n_fallback_total("zh"), zh);
    i18n_free();
    assert_null(i18n_dir());
    assert_int_equal(i18n_init_dir("/nonexistent/i18n", &err), -1);
    assert_string_equal(err.code, "i18n.missing");
}

static const struct {
    const char *name, *src;
} pages[] = {
    {"page", "<title>{{t.t1.a}}</title><p>{{t.t1.a}} {{t.t1.b}}</p>"
             "<input placeholder=\"{{t.t1.a}}\" value='{{t.t1.a}}'>"
             "<select><option>{{t.t1.a}}<option>{{t.t1.b}}</select><textarea>{{t.t1.a}}</textarea>"
             "<a href=\"/\" {{#on}}title=\"{{t.t1.a}}\"{{/on}}>{{t.t1.a}}</a>{{> part}}"
             "<p>{{{t.t1.a}}}</p><script src=\"x.js\"></script><p>{{t.t1.a}}</p>"},
    {"part", "<b>{{t.t1.a}}</b>"},
};

static const char *load_page(void *ctx, const char *name, size_t *len)
{
    for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++)
        if (strcmp(pages[i].name, name) == 0) {
            *len = strlen(pages[i].src);
            return pages[i].src;
        }
    return NULL;
}

struct marks {
    const char *lang;
    int seen;
};

static const char *mark(void *p, const json_t *v)
{
    struct marks *m = p;
    if (!i18n_is_fallback(m->lang, v))
        return NULL;
    m->seen++;
    return "zh";
}

static char *render_page(const char *lang, struct marks *m)
{
    struct tmpl_set *set = tmpl_set_new(load_page, NULL);
    json_t *g = json_pack("{s:O, s:b}", "t", i18n_catalog(lang), "on", 1);
    struct buf out;
    struct err err;
    buf_init(&out, 1 << 16);
    m->lang = lang;
    m->seen = 0;
    assert_int_equal(tmpl_render_marked(set, "page", &g, 1, mark, m, &out, &err), 0);
    json_decref(g);
    tmpl_set_free(set);
    return buf_take(&out, NULL);
}

/* A key missing in bo: zh's text, wrapped in <span lang="zh"> where markup may stand, as is
 * inside attributes and text-only elements, and asked about (counted) everywhere. */
static void test_fallback_marked(void **state)
{
    struct err err;
    struct marks m;
    assert_int_equal(i18n_init_dir(dir, &err), 0);
    char *html = render_page("bo", &m);
    const char *a = "甲 &amp; &lt;乙&gt;", *span = "<span lang=\"zh\">甲 &amp; &lt;乙&gt;</span>";
    char want[2048];
    snprintf(want, sizeof(want),
             "<title>%s</title><p>%s ཀ</p><input placeholder=\"%s\" value='%s'>"
             "<select><option>%s<option>ཀ</select><textarea>%s</textarea>"
             "<a href=\"/\" title=\"%s\">%s</a><b>%s</b><p>甲 & <乙></p>"
             "<script src=\"x.js\"></script><p>%s</p>",
             a, span, a, a, a, a, a, span, span, span);
    assert_string_equal(html, want);
    assert_int_equal(m.seen, 10); /* every escaped print of t1.a; the raw one is not asked */
    free(html);
    /* en has it: nothing marked. */
    html = render_page("en", &m);
    assert_null(strstr(html, "<span"));
    assert_int_equal(m.seen, 0);
    free(html);
    i18n_free();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_negotiate),
        cmocka_unit_test(test_catalogs_complete),
        cmocka_unit_test(test_bo_is_tibetan),
        cmocka_unit_test(test_lookup),
        cmocka_unit_test_setup_teardown(test_fallback_lookup, make_catalogs, remove_catalogs),
        cmocka_unit_test_setup_teardown(test_fallback_marked, make_catalogs, remove_catalogs),
    };
    return cmocka_run_group_tests_name("i18n", tests, NULL, NULL);
}
