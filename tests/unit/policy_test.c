/* policy_test.c - the policy library and Q&A on a real SQLite store: the question's terms
 * (Chinese bigrams without question words, Tibetan syllable pairs, English stems; bytes that
 * are not UTF-8 and operators), the guide's section names agreeing with the catalog's
 * headings, importing (every field checked, re-import replaces), and answers with their
 * sources for the Done-when question in zh, bo and en. */
#include "test.h"

#include "fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/id.h"
#include "catalog/catalog.h"
#include "crypto/crypto.h"
#include "identity/identity.h"
#include "divisions/divisions.h"
#include "policy/policy.h"
#include "policy/policy_internal.h"
#include "search/search.h"
#include "store/store.h"
#include "web/i18n.h"

static void expect_terms(const char *q, const char *const *want, size_t n)
{
    json_t *t = policy_ask_terms(q);
    char *got = json_dumps(t, JSON_COMPACT);
    assert_int_equal(json_array_size(t), n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(json_string_value(json_array_get(t, i)), want[i]) != 0)
            fail_msg("%s: term %zu is not %s (%s)", q, i, want[i], got);
    free(got);
    json_decref(t);
}

static void test_terms(void **state)
{
    (void)state;
    expect_terms("结婚需要什么材料", (const char *[]){"结婚", "材料"}, 2);
    expect_terms("གཉེན་སྒྲིག་ལ་ཡིག་ཆ་ག་རེ་དགོས།", (const char *[]){"གཉེན་སྒྲིག", "ཡིག་ཆ"}, 2);
    expect_terms("What documents do I need to get married?", (const char *[]){"document", "marr"},
                 2);
    expect_terms("护照多少钱", (const char *[]){"护照", "钱"}, 2);
    expect_terms(NULL, NULL, 0);
    expect_terms("", NULL, 0);
    expect_terms("什么 怎么 需要 吗？", NULL, 0);
    /* Bytes that are not UTF-8 end the question there. */
    expect_terms("\xff\xfe结婚", NULL, 0);
    expect_terms("结婚\xc3", (const char *[]){"结婚"}, 1);
    /* Operators are not terms; the words around them are. */
    expect_terms("\"NEAR( AND *:^ title:x", (const char *[]){"near", "title"}, 2);
    /* At most 8 terms, however long the question. */
    char big[POLICY_MAX_QUESTION * 2];
    memset(big, 0, sizeof(big));
    for (size_t i = 0; i + 3 < sizeof(big) - 1; i += 3)
        memcpy(big + i, i % 2 ? "婚" : "结", 3);
    json_t *t = policy_ask_terms(big);
    assert_true(json_array_size(t) >= 1 && json_array_size(t) <= 8);
    json_decref(t);
}

/* The section names indexed with the guides are the catalog guide's headings. */
static void test_section_labels(void **state)
{
    (void)state;
    struct err err;
    assert_int_equal(i18n_init(&err), 0);
    static const char *const langs[] = {"zh", "bo", "en"};
    static const char *const pairs[][2] = {{"materials", "catalog.materials"},
                                           {"conditions", "catalog.conditions"},
                                           {"fee", "catalog.fee"},
                                           {"steps", "catalog.steps"},
                                           {"time_limit", "catalog.legal_days"}};
    for (size_t l = 0; l < 3; l++)
        for (size_t i = 0; i < 5; i++)
            assert_string_equal(policy_section_label(pairs[i][0], langs[l]),
                                i18n_get(langs[l], pairs[i][1]));
    i18n_free();
}

/* The demo catalog's departments (as catalog_test.c makes them). */
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

struct fixture {
    struct fx_db db;
    struct store *st; /* db.s */
    struct search *se;
    struct policy *p;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct err err;
    if (fx_db_open(&f->db, "policy", 0) < 0)
        return -1;
    f->st = f->db.s;
    if (search_open(f->st, &f->se, &err) < 0 || policy_open(f->st, f->se, &f->p, &err) < 0) {
        fprintf(stderr, "policy_test: %s\n", err.msg);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    policy_close(f->p);
    search_close(f->se);
    int rc = fx_db_close(&f->db);
    free(f);
    return rc;
}

static json_t *one_policy(const char *status, const char *issued)
{
    return json_pack(
        "{s:[{s:s,s:s,s:s,s:s,s:s,s:{s:s,s:s},s:{s:s},s:{s:s},s:[{s:s,s:s}],s:{s:[s]}}]}",
        "policies", "key", "T-1", "number", "测〔2026〕1号", "status", status, "issued_on", issued,
        "effective_on", "2026-02-01", "title", "zh", "牦牛补贴办法", "bo", "གཡག་གི་ཁ་གསབ།", "issuer",
        "zh", "测试机关", "summary", "zh", "摘要", "clauses", "label", "第一条", "text",
        "养殖牦牛每头补贴五十元。", "services", "1", "XZ-MZ-003");
}

static void test_import(void **state)
{
    struct fixture *f = *state;
    struct err err;
    int n = -1;
    json_t *doc = one_policy("in_force", "2026-01-05");
    assert_int_equal(policy_import(f->p, 0, NULL, doc, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(policy_import(f->p, 0, NULL, doc, &n, &err), 0); /* replaced, not doubled */
    json_decref(doc);
    json_t *list = NULL;
    assert_int_equal(policy_list(f->p, &list, &err), 0);
    assert_int_equal(json_array_size(list), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(list, 0), "clause_count")),
                     1);
    json_decref(list);
    /* Every field is checked before anything is written. */
    static const char *const bad[][2] = {
        {"maybe", "2026-01-05"}, {"in_force", "2026-13-01"}, {"in_force", "yesterday"}};
    for (size_t i = 0; i < 3; i++) {
        doc = one_policy(bad[i][0], bad[i][1]);
        err_clear(&err);
        assert_int_equal(policy_import(f->p, 0, NULL, doc, &n, &err), -1);
        assert_int_equal(err.status, 400);
        assert_string_equal(err.code, "policy.bad_doc");
        json_decref(doc);
    }
    doc = one_policy("in_force", "2026-01-05");
    json_object_del(json_object_get(json_array_get(json_object_get(doc, "policies"), 0), "title"),
                    "zh");
    assert_int_equal(policy_import(f->p, 0, NULL, doc, &n, &err), -1);
    assert_non_null(strstr(err.msg, "title"));
    json_decref(doc);
    doc = json_pack("{s:s}", "policies", "no");
    assert_int_equal(policy_import(f->p, 0, NULL, doc, &n, &err), -1);
    json_decref(doc);
    /* The clause answers a question about it, citing the policy's number and clause. */
    json_t *r = NULL;
    assert_int_equal(policy_ask(f->p, "养牦牛有补贴吗", "zh", 3, &r, &err), 0);
    json_t *a = json_array_get(json_object_get(r, "answers"), 0);
    assert_string_equal(json_string_value(json_object_get(a, "source")), "clause:T-1#1");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(a, "cite"), "policy_number")),
        "测〔2026〕1号");
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(json_object_get(a, "apply"), 0), "code")),
        "XZ-MZ-003");
    json_decref(r);
}

static void test_demo_answers(void **state)
{
    struct fixture *f = *state;
    struct err err;
    int created, updated, n, g, inserted;
    struct store_conn *c = store_conn(f->st, &err);
    assert_non_null(c);
    assert_int_equal(divisions_load_reference(f->st, &inserted, &err), 0);
    assert_int_equal(store_exec(c, SQL_DEPTS, &err), 0);
    /* The catalog checks its departments through identity (identity owns them). */
    static const unsigned char master[CRYPTO_KEY_LEN] = {4, 2};
    struct crypto_keyring *kr = NULL;
    struct identity *id = NULL;
    struct catalog *cat = NULL;
    assert_int_equal(crypto_keyring_from_master(master, &kr), 0);
    assert_int_equal(
        identity_open(f->st, kr, &(struct identity_options){.fast_passwords = 1}, &id, &err), 0);
    assert_int_equal(catalog_open(f->st, id, &cat, &err), 0);
    int loaded = catalog_load_demo(cat, &created, &updated, &err);
    catalog_close(cat);
    identity_close(id);
    crypto_keyring_close(kr);
    if (loaded < 0)
        fail_msg("%s", err.msg);
    assert_int_equal(policy_load_demo(f->p, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(policy_index_guides(f->p, &g, &err), 0);
    assert_int_equal(g, 24 * 3 * 5);
    static const char *const q[][2] = {{"结婚需要什么材料", "zh"},
                                       {"གཉེན་སྒྲིག་ལ་ཡིག་ཆ་ག་རེ་དགོས།", "bo"},
                                       {"What documents do I need to get married?", "en"}};
    for (size_t i = 0; i < 3; i++) {
        json_t *r = NULL;
        assert_int_equal(policy_ask(f->p, q[i][0], q[i][1], 5, &r, &err), 0);
        assert_true(json_is_true(json_object_get(r, "answered")));
        json_t *a = json_array_get(json_object_get(r, "answers"), 0);
        assert_string_equal(json_string_value(json_object_get(a, "source")),
                            "guide:XZ-MZ-001.materials");
        assert_string_equal(json_string_value(json_object_get(a, "lang")), q[i][1]);
        json_decref(r);
    }
    /* A "guide" search document an earlier version indexed (no body, no lines) is ignored:
     * guide passages come from memory (this crashed in passage_text before). */
    struct store_conn *sc = store_conn(f->st, &err);
    struct search_doc stale = {.kind = POLICY_KIND_GUIDE,
                               .lang = "zh",
                               .title = "结婚材料",
                               .body = "结婚 材料",
                               .ref = "XZ-OLD-001.materials.zh"};
    assert_int_equal(store_begin(sc, &err), 0);
    assert_int_equal(search_put(f->se, &stale, &err), 0);
    assert_int_equal(store_commit(sc, &err), 0);
    json_t *st = NULL;
    assert_int_equal(policy_ask(f->p, "结婚需要什么材料", "zh", 5, &st, &err), 0);
    assert_non_null(json_object_get(json_array_get(json_object_get(st, "answers"), 0), "lines"));
    json_decref(st);
    /* Nothing about the weather: not answered. Non-UTF-8 bytes: no terms, no error. */
    json_t *r = NULL;
    assert_int_equal(policy_ask(f->p, "天气怎么样", "zh", 5, &r, &err), 0);
    assert_false(json_is_true(json_object_get(r, "answered")));
    json_decref(r);
    assert_int_equal(policy_ask(f->p, "\xff\xfe\xfd", "zh", 5, &r, &err), 0);
    assert_int_equal(json_array_size(json_object_get(r, "terms")), 0);
    assert_int_equal(json_array_size(json_object_get(r, "answers")), 0);
    json_decref(r);
    /* The evaluation prints its figures. */
    json_t *set = json_pack("{s:[{s:s,s:s,s:[s]},{s:s,s:s,s:[s]}]}", "questions", "q",
                            "结婚要带什么证件", "lang", "zh", "expect", "guide:XZ-MZ-001.materials",
                            "q", "天气", "lang", "zh", "expect", "guide:XZ-MZ-001.fee");
    char buf[4096] = {0};
    FILE *out = fmemopen(buf, sizeof(buf) - 1, "w");
    double t1 = -1, t3 = -1;
    assert_int_equal(policy_evaluate(f->p, set, out, &t1, &t3, &err), 0);
    fclose(out);
    assert_true(t1 > 0.49 && t1 < 0.51);
    assert_non_null(strstr(buf, "questions=2 top1=0.500"));
    assert_non_null(strstr(buf, "missed: 天气"));
    json_decref(set);
}

int main(void)
{
    id_init(1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_terms),
        cmocka_unit_test(test_section_labels),
        cmocka_unit_test_setup_teardown(test_import, setup, teardown),
        cmocka_unit_test_setup_teardown(test_demo_answers, setup, teardown),
    };
    return cmocka_run_group_tests_name("policy", tests, NULL, NULL);
}
