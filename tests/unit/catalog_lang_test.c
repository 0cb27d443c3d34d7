/* catalog_lang_test.c - Tibetan as a peer language in the catalog (issue 11 item 2,
 * src/catalog/catalog_lang.c): catalog_item_check refuses an item lacking a bo text at any
 * person-facing path and names every path at once (missing, a copy of zh or en, no Tibetan
 * letter), a draft may lack them, publication and import obey the rule, the history lists
 * what a draft lacks, and catalog_text shows zh (marked) where bo does not count. On the
 * embedded demo catalog, which is complete. */
#include "test.h"

#include "fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/embed.h"
#include "catalog/catalog.h"
#include "crypto/crypto.h"
#include "catalog/catalog_internal.h"
#include "divisions/divisions.h"
#include "identity/identity.h"
#include "store/store.h"

struct fixture {
    struct fx_db db;
    struct store *s;           /* db.s */
    struct crypto_keyring *kr; /* db.kr */
    struct identity *id;
    struct catalog *cat;
    json_t *demo;
};

static const char SQL_DEPTS[] =
    "INSERT INTO departments (id, code, name_zh, division_code, created_at) VALUES "
    "(1, 'xz-ga', 'a', 540000000000, 0), (2, 'xz-mz', 'a', 540000000000, 0), "
    "(3, 'xz-rs', 'a', 540000000000, 0), (4, 'xz-sj', 'a', 540000000000, 0), "
    "(5, 'xz-wj', 'a', 540000000000, 0), (6, 'xz-zr', 'a', 540000000000, 0), "
    "(7, 'ls-ga', 'a', 540100000000, 0), (8, 'ls-mz', 'a', 540100000000, 0), "
    "(9, 'ls-sj', 'a', 540100000000, 0), (10, 'ls-zr', 'a', 540100000000, 0), "
    "(11, 'cg-mz', 'a', 540102000000, 0), (12, 'cg-ga', 'a', 540102000000, 0), "
    "(13, 'cg-rs', 'a', 540102000000, 0), (14, 'cg-sj', 'a', 540102000000, 0), "
    "(15, 'cg-wj', 'a', 540102000000, 0)";

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct err err;
    struct store_conn *c;
    err_clear(&err);
    if (fx_db_open(&f->db, "catbo", FX_DIVISIONS) < 0)
        return -1;
    f->s = f->db.s;
    f->kr = f->db.kr;
    if ((c = store_conn(f->s, &err)) == NULL || store_exec(c, SQL_DEPTS, &err) < 0 ||
        identity_open(f->s, f->kr, &(struct identity_options){.fast_passwords = 1}, &f->id, &err) <
            0 ||
        catalog_open(f->s, f->id, &f->cat, &err) < 0) {
        fprintf(stderr, "setup: %s\n", err.msg);
        return -1;
    }
    const struct embed_file *e = embed_find("data/catalog/demo.json");
    if (e == NULL)
        return -1;
    f->demo = json_loadb((const char *)e->data, e->len, 0, NULL);
    *state = f;
    return f->demo != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    catalog_close(f->cat);
    identity_close(f->id);
    json_decref(f->demo);
    int rc = fx_db_close(&f->db);
    free(f);
    return rc;
}

static json_t *demo_item(struct fixture *f, const char *code)
{
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(f->demo, "items"), i, it)
    {
        if (strcmp(json_string_value(json_object_get(it, "code")), code) == 0)
            return json_deep_copy(it);
    }
    fail_msg("no demo item %s", code);
    return NULL;
}

static int has_problem(const json_t *problems, const char *path, const char *code)
{
    size_t i;
    json_t *p;
    json_array_foreach((json_t *)problems, i, p)
    {
        if (strcmp(json_string_value(json_object_get(p, "path")), path) == 0 &&
            strcmp(json_string_value(json_object_get(p, "code")), code) == 0)
            return 1;
    }
    return 0;
}

#define ASSERT_PROBLEM(pr, path, code)                                                             \
    do {                                                                                           \
        if (!has_problem(pr, path, code)) {                                                        \
            char *d = json_dumps(pr, JSON_INDENT(1));                                              \
            fail_msg("missing problem %s %s in %s", path, code, d);                                \
        }                                                                                          \
    } while (0)

/* The localised text at a few levels of an item. */
static json_t *at(json_t *item, const char *key, int index, const char *key2)
{
    json_t *v = json_object_get(item, key);
    if (index >= 0)
        v = json_array_get(v, (size_t)index);
    return key2 != NULL ? json_object_get(v, key2) : v;
}

static json_t *field(json_t *item, int i, const char *key)
{
    return json_object_get(
        json_array_get(json_object_get(json_object_get(item, "form"), "fields"), (size_t)i), key);
}

/* Every person-facing text of the demo catalog has its Tibetan: each item and each bundle
 * passes the publication check, and so does every bo text at run time. */
static void test_demo_complete(void **state)
{
    struct fixture *f = *state;
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(f->demo, "items"), i, it)
    {
        json_t *problems = json_array();
        if (catalog_item_check_bo(it, problems) != 0) {
            char *d = json_dumps(problems, JSON_INDENT(1));
            fail_msg("%s lacks Tibetan: %s", json_string_value(json_object_get(it, "code")), d);
        }
        json_decref(problems);
    }
    json_array_foreach(json_object_get(f->demo, "bundles"), i, it)
    {
        json_t *problems = json_array();
        assert_int_equal(catalog_bundle_check(it, problems), 0);
        json_decref(problems);
    }
    assert_int_equal(i, 2);
}

/* One fault at each kind of path: all reported at once, each at its path; a draft may keep
 * them all. */
static void test_every_path_named(void **state)
{
    struct fixture *f = *state;
    json_t *it = demo_item(f, "XZ-MZ-001");
    json_t *problems = json_array();
    assert_int_equal(catalog_item_check(it, problems), 0);

    json_object_del(json_object_get(it, "name"), "bo");
    json_object_set_new(it, "aliases",
                        json_pack("[{s:s, s:s, s:s}, {s:s, s:s}]", "zh", "结婚", "bo", "ཆང་ས།",
                                  "en", "wedding", "zh", "领结婚证", "en", "marriage certificate"));
    json_t *cond = json_object_get(it, "conditions");
    json_object_set(cond, "bo", json_object_get(cond, "zh")); /* a copy of zh */
    json_t *m0 = at(it, "materials", 0, "name");
    json_object_set(m0, "bo", json_object_get(m0, "en")); /* a copy of en */
    json_t *m1 = at(it, "materials", 1, "note");
    json_object_set_new(m1, "bo", json_string(""));
    json_object_set_new(at(it, "steps", 2, NULL), "bo", json_string("Sign the declaration"));
    json_t *st3 = at(it, "steps", 3, NULL);
    json_object_set_new(st3, "bo",
                        json_sprintf("  %s ", json_string_value(json_object_get(st3, "zh"))));
    json_object_del(json_object_get(json_object_get(it, "contact"), "address"), "bo");
    json_object_del(at(it, "windows", 0, "name"), "bo");
    json_object_del(at(it, "windows", 0, "address"), "bo");
    json_object_del(at(it, "windows", 1, "hours"), "bo");
    json_object_set_new(json_object_get(it, "fee"), "fen", json_integer(500));
    json_object_set_new(json_object_get(it, "fee"), "basis",
                        json_pack("{s:s, s:s}", "zh", "每证5元", "en", "5 yuan"));
    json_object_del(json_object_get(it, "legal_basis"), "bo");
    json_object_del(field(it, 6, "label"), "bo");
    json_object_set_new(json_array_get(json_object_get(json_object_get(it, "form"), "fields"), 0),
                        "help", json_pack("{s:s}", "zh", "与身份证一致"));
    json_array_append_new(
        json_object_get(json_object_get(it, "form"), "fields"),
        json_pack("{s:s, s:s, s:{s:s, s:s}, s:b, s:[{s:s, s:{s:s, s:s}}, {s:s, s:{s:s}}]}", "key",
                  "venue", "type", "select", "label", "zh", "颁证方式", "bo", "ལག་ཁྱེར་སྤྲོད་སྟངས།",
                  "required", 1, "options", "value", "hall", "label", "zh", "颁证厅", "bo",
                  "ལག་ཁྱེར་སྤྲོད་ཁང་།", "value", "plain", "label", "zh", "普通"));

    assert_int_equal(catalog_item_check(it, problems), 1);
    ASSERT_PROBLEM(problems, "$.name.bo", "catalog.check.bo_missing");
    ASSERT_PROBLEM(problems, "$.aliases[1].bo", "catalog.check.bo_missing");
    ASSERT_PROBLEM(problems, "$.conditions.bo", "catalog.check.bo_copy");
    ASSERT_PROBLEM(problems, "$.materials[0].name.bo", "catalog.check.bo_copy");
    ASSERT_PROBLEM(problems, "$.materials[1].note.bo", "catalog.check.bo_missing");
    ASSERT_PROBLEM(problems, "$.steps[2].bo", "catalog.check.bo_not_tibetan");
    ASSERT_PROBLEM(problems, "$.steps[3].bo", "catalog.check.bo_copy");
    ASSERT_PROBLEM(problems, "$.contact.address.bo", "catalog.check.bo_missing");
    ASSERT_PROBLEM(problems, "$.windows[0].name.bo", "catalog.check.bo_missing");
    ASSERT_PROBLEM(problems, "$.windows[0].address.bo", "catalog.check.bo_missing");
    ASSERT_PROBLEM(problems, "$.windows[1].hours.bo", "catalog.check.bo_missing");
    ASSERT_PROBLEM(problems, "$.fee.basis.bo", "catalog.check.bo_missing");
    ASSERT_PROBLEM(problems, "$.legal_basis.bo", "catalog.check.bo_missing");
    ASSERT_PROBLEM(problems, "$.form.fields[6].label.bo", "catalog.check.bo_missing");
    ASSERT_PROBLEM(problems, "$.form.fields[0].help.bo", "catalog.check.bo_missing");
    ASSERT_PROBLEM(problems, "$.form.fields[7].options[1].label.bo", "catalog.check.bo_missing");
    /* Exactly these: the complete alias, label and option are not reported. */
    assert_int_equal(json_array_size(problems), 16);
    json_decref(problems);

    /* A draft may lack every one of them. */
    problems = json_array();
    assert_int_equal(catalog_item_check_draft(it, problems), 0);
    assert_int_equal(json_array_size(problems), 0);
    json_decref(problems);

    /* Shape problems and Tibetan ones come together. */
    problems = json_array();
    json_object_set_new(it, "type", json_string("permit"));
    assert_int_equal(catalog_item_check(it, problems), 1);
    ASSERT_PROBLEM(problems, "$.type", "catalog.check.enum");
    ASSERT_PROBLEM(problems, "$.name.bo", "catalog.check.bo_missing");
    json_decref(problems);
    json_decref(it);

    /* A bundle needs its Tibetan name. */
    json_t *b =
        json_pack("{s:s, s:{s:s, s:s}, s:s, s:[s, s]}", "code", "BUNDLE-X", "name", "zh", "测试",
                  "bo", "测试", "life_event", "birth", "items", "XZ-WJ-001", "XZ-GA-003");
    problems = json_array();
    assert_int_equal(catalog_bundle_check(b, problems), 1);
    ASSERT_PROBLEM(problems, "$.name.bo", "catalog.check.bo_copy");
    json_decref(problems);
    json_decref(b);
}

/* Run time: a bo text that does not count is shown as zh, and said to be zh. */
static void test_text_fallback(void **state)
{
    json_t *t = json_pack("{s:s, s:s, s:s}", "zh", "护照", "bo", "护照", "en", "Passport");
    assert_string_equal(catalog_text(t, "bo"), "护照");
    assert_string_equal(catalog_text_lang(t, "bo"), "zh");
    json_object_set_new(t, "bo", json_string("Passport"));
    assert_string_equal(catalog_text(t, "bo"), "护照");
    assert_string_equal(catalog_text_lang(t, "bo"), "zh");
    json_object_set_new(t, "bo", json_string("ཕྱི་ཐོན་ལག་ཁྱེར།"));
    assert_string_equal(catalog_text(t, "bo"), "ཕྱི་ཐོན་ལག་ཁྱེར།");
    assert_string_equal(catalog_text_lang(t, "bo"), "bo");
    assert_string_equal(catalog_text_lang(t, "en"), "en");
    json_object_del(t, "en");
    assert_string_equal(catalog_text_lang(t, "en"), "zh");
    assert_string_equal(catalog_text_lang(t, "zh"), "zh");
    json_decref(t);
}

/* Publication and import obey the rule; the history says what a draft still lacks. */
static void test_publish_and_import(void **state)
{
    struct fixture *f = *state;
    struct err err;
    int created, updated, version;
    err_clear(&err);
    assert_int_equal(catalog_load_demo(f->cat, &created, &updated, &err), 0);
    assert_int_equal(created, 26);

    /* A draft without two Tibetan texts is saved ... */
    json_t *it = demo_item(f, "XZ-GA-001");
    json_object_set_new(json_object_get(it, "time_limit"), "promised_days", json_integer(5));
    json_object_del(json_object_get(json_object_get(it, "fee"), "basis"), "bo");
    json_t *st1 = at(it, "steps", 1, NULL);
    json_object_set(st1, "bo", json_object_get(st1, "en"));
    json_t *problems = json_array();
    assert_int_equal(catalog_draft_save(f->cat, 5, NULL, it, &version, problems, &err), 0);
    assert_int_equal(json_array_size(problems), 0);
    assert_int_equal(version, 2);
    /* ... its history lists them ... */
    json_t *hist;
    assert_int_equal(catalog_history(f->s, "XZ-GA-001", &hist, &err), 0);
    json_t *missing = json_object_get(json_array_get(hist, 0), "publish_problems");
    assert_int_equal(json_array_size(missing), 2);
    ASSERT_PROBLEM(missing, "$.fee.basis.bo", "catalog.check.bo_missing");
    ASSERT_PROBLEM(missing, "$.steps[1].bo", "catalog.check.bo_copy");
    assert_null(json_object_get(json_array_get(hist, 1), "publish_problems"));
    json_decref(hist);
    /* ... and publishing it is refused with both, nothing changing. */
    int64_t v0 = catalog_version(f->s);
    assert_int_equal(catalog_publish(f->cat, 5, NULL, "XZ-GA-001", 2, problems, &err), -1);
    assert_string_equal(err.code, "catalog.not_publishable");
    assert_int_equal(err.status, 422);
    assert_int_equal(json_array_size(problems), 2);
    ASSERT_PROBLEM(problems, "$.fee.basis.bo", "catalog.check.bo_missing");
    ASSERT_PROBLEM(problems, "$.steps[1].bo", "catalog.check.bo_copy");
    json_decref(problems);
    assert_int_equal(catalog_version(f->s), v0);
    json_t *pub;
    assert_int_equal(catalog_item_published(f->s, "XZ-GA-001", &pub, &err), 0);
    assert_int_equal(json_integer_value(json_object_get(pub, "version")), 1);
    json_decref(pub);
    json_t *draft;
    assert_int_equal(catalog_item_version(f->s, "XZ-GA-001", 2, &draft, &err), 0);
    assert_string_equal(json_string_value(json_object_get(draft, "status")), "draft");
    json_decref(draft);

    /* Import refuses the same item, with every path. */
    problems = json_array();
    json_t *doc = json_pack("{s:[O], s:[]}", "items", it, "bundles");
    assert_int_equal(
        catalog_import_checked(f->cat, 0, NULL, doc, &created, &updated, problems, &err), -1);
    assert_string_equal(err.code, "catalog.invalid");
    ASSERT_PROBLEM(problems, "$.items[0].fee.basis.bo", "catalog.check.bo_missing");
    ASSERT_PROBLEM(problems, "$.items[0].steps[1].bo", "catalog.check.bo_copy");
    json_decref(doc);
    json_decref(problems);

    /* Completed, the next draft publishes. */
    json_object_set_new(json_object_get(json_object_get(it, "fee"), "basis"), "bo",
                        json_string("དེབ་རེར་སྒོར་ ༡༢༠"));
    json_object_set_new(st1, "bo", json_string("ས་ཐོག་ཏུ་སོར་རིས་དང་པར་ལེན་པ།"));
    problems = json_array();
    assert_int_equal(catalog_draft_save(f->cat, 5, NULL, it, &version, problems, &err), 0);
    assert_int_equal(version, 3);
    assert_int_equal(catalog_publish(f->cat, 5, NULL, "XZ-GA-001", 3, problems, &err), 0);
    assert_int_equal(json_array_size(problems), 0);
    json_decref(problems);
    json_decref(it);

    /* The administrators' list has each item's name in every language. */
    json_t *admin;
    size_t i;
    json_t *v;
    assert_int_equal(catalog_admin_list(f->s, &admin, &err), 0);
    json_array_foreach(admin, i, v)
    {
        assert_true(catalog_bo_usable(json_object_get(v, "name")));
    }
    json_decref(admin);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_demo_complete),
        cmocka_unit_test(test_every_path_named),
        cmocka_unit_test(test_text_fallback),
        cmocka_unit_test(test_publish_and_import),
    };
    return cmocka_run_group_tests_name("catalog_lang", tests, setup, teardown);
}
