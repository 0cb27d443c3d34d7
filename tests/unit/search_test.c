/*
 * search_test.c - the search module (src/search): query normalisation, Chinese queries of
 * two and of three or more characters, Tibetan syllables (NFC), English, filters, ranking,
 * updates and deletions, paging, a list of nasty inputs that must never fail, and indexing
 * after commit (the queue, its drain and the job).
 *
 * Every test runs on a fresh SQLite database, and again on PostgreSQL (a schema of its own
 * per test, dropped afterwards) when ONEWINDOW_TEST_PG_URL is set.
 */
#include "../unit/test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "search/search.h"
#include "search/search_internal.h"
#include "store/store.h"

struct fixture {
    struct store *s;
    struct search *se;
    char dir[64];
    char schema[64];
};

static int use_pg;
static int test_counter;

static int run_once(const char *url, const char *sql)
{
    struct store *s;
    struct err err;
    if (store_open(url, NULL, &s, &err) < 0)
        return -1;
    struct store_conn *c = store_conn(s, &err);
    int rc = c != NULL ? store_exec(c, sql, &err) : -1;
    if (rc < 0)
        fprintf(stderr, "search_test: %s\n", err.msg);
    store_close(s);
    return rc;
}

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    struct err err;
    char url[1200], sql[128];
    if (fx == NULL)
        return -1;
    if (use_pg) {
        const char *base = getenv("ONEWINDOW_TEST_PG_URL");
        snprintf(fx->schema, sizeof(fx->schema), "t_search_%ld_%d", (long)getpid(), ++test_counter);
        snprintf(sql, sizeof(sql), "CREATE SCHEMA %s", fx->schema);
        if (run_once(base, sql) < 0)
            goto fail;
        snprintf(url, sizeof(url), "%s%coptions=-c%%20search_path%%3D%s", base,
                 strchr(base, '?') != NULL ? '&' : '?', fx->schema);
    } else {
        snprintf(fx->dir, sizeof(fx->dir), "/tmp/ow-search-XXXXXX");
        if (mkdtemp(fx->dir) == NULL)
            goto fail;
        snprintf(url, sizeof(url), "sqlite:%s/t.db", fx->dir);
    }
    if (store_open(url, NULL, &fx->s, &err) < 0 || store_migrate(fx->s, NULL, &err) < 0 ||
        search_open(fx->s, &fx->se, &err) < 0) {
        fprintf(stderr, "search_test: %s\n", err.msg);
        goto fail;
    }
    *state = fx;
    return 0;
fail:
    free(fx);
    return -1;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    char path[128], sql[128];
    search_close(fx->se);
    store_close(fx->s);
    if (use_pg) {
        snprintf(sql, sizeof(sql), "DROP SCHEMA %s CASCADE", fx->schema);
        run_once(getenv("ONEWINDOW_TEST_PG_URL"), sql);
    } else {
        const char *files[] = {"t.db", "t.db-wal", "t.db-shm"};
        for (int i = 0; i < 3; i++) {
            snprintf(path, sizeof(path), "%s/%s", fx->dir, files[i]);
            unlink(path);
        }
        rmdir(fx->dir);
    }
    free(fx);
    return 0;
}

/* ---- helpers ---------------------------------------------------------------------------- */

static void put(struct fixture *fx, const char *kind, int64_t id, const char *lang,
                const char *title, const char *body, int64_t dept, int64_t div, const char *tag,
                int vis)
{
    struct err err;
    struct search_doc d = {kind, id, lang, title, body, dept, div, tag, 1000 + id, vis, NULL, NULL};
    if (search_put(fx->se, &d, &err) < 0)
        fail_msg("search_put: %s %s", err.code, err.msg);
}

/* Run a query; returns the result (caller decrefs). */
static json_t *run(struct fixture *fx, const struct search_query *q)
{
    struct err err;
    json_t *r = NULL;
    if (search_run(fx->se, q, &r, &err) < 0)
        fail_msg("search_run: %s %s", err.code, err.msg);
    assert_non_null(r);
    return r;
}

/* The ids of the hits, comma-separated, in rank order: "3,1". */
static char *ids(json_t *r, char *out, size_t cap)
{
    size_t i, w = 0;
    json_t *h;
    out[0] = '\0';
    json_array_foreach(json_object_get(r, "hits"), i, h)
    {
        w += (size_t)snprintf(out + w, cap - w, "%s%lld", i ? "," : "",
                              (long long)json_integer_value(json_object_get(h, "id")));
    }
    return out;
}

/* The sorted ids of hits for a plain public query. */
static const char *find(struct fixture *fx, const char *q, char *out, size_t cap)
{
    struct search_query sq = {.q = q, .include_staff = 1, .limit = 100};
    json_t *r = run(fx, &sq);
    /* sort numerically for order-independent comparison */
    json_t *hits = json_object_get(r, "hits");
    long long v[100];
    size_t n = 0, i;
    json_t *h;
    json_array_foreach(hits, i, h) v[n++] = (long long)json_integer_value(json_object_get(h, "id"));
    for (size_t a = 0; a < n; a++)
        for (size_t b = a + 1; b < n; b++)
            if (v[b] < v[a]) {
                long long t = v[a];
                v[a] = v[b];
                v[b] = t;
            }
    size_t w = 0;
    out[0] = '\0';
    for (i = 0; i < n; i++)
        w += (size_t)snprintf(out + w, cap - w, "%s%lld", i ? "," : "", v[i]);
    assert_int_equal(json_integer_value(json_object_get(r, "total")), (json_int_t)n);
    json_decref(r);
    return out;
}

static void load_corpus(struct fixture *fx)
{
    put(fx, "kb", 1, "zh", "内地居民婚姻登记", "办理结婚登记需要双方当事人的户口簿和居民身份证。",
        10, 540102000000, "marriage", 0);
    put(fx, "kb", 2, "zh", "户口登记与迁移", "新生儿出生后一个月内办理户口登记，需要出生医学证明。",
        11, 540100000000, "household", 0);
    put(fx, "order", 3, "zh", "噪音投诉", "小区附近工地夜间施工噪音扰民，要求相关部门处理。", 12,
        542300000000, "complaint", 1);
    put(fx, "kb", 4, "bo", "བོད་ལྗོངས་ཀྱི་གཞུང་ཞབས་ཞུ།", "ཁྱིམ་ཚང་ཐོ་འགོད་བྱེད་དགོས་ན་ལག་ཁྱེར་ཁྱེར་ནས་ཡོང་དགོས།", 10,
        540102000000, "household", 0);
    put(fx, "kb", 5, "en", "Marriage registration",
        "Bring your Resident ID card and the household register.", 10, 540102000000, "marriage", 0);
    put(fx, "kb", 6, "zh", "医保参保登记", "城乡居民医保参保登记，婚姻状况变更无需办理。", 13,
        540100000000, "insurance", 0);
}

/* ---- tests ----------------------------------------------------------------------------- */

static void test_normalize(void **state)
{
    (void)state;
    char out[SEARCH_MAX_QUERY * 4 + 1];
    assert_int_equal(search_normalize_query(NULL, out, sizeof(out)), 0);
    assert_int_equal(search_normalize_query("", out, sizeof(out)), 0);
    assert_int_equal(search_normalize_query("   \t\n ", out, sizeof(out)), 0);
    assert_int_equal(search_normalize_query("\"\"\" *** ^ : () ", out, sizeof(out)), 0);
    assert_int_equal(search_normalize_query("  户口   登记 ", out, sizeof(out)), 2);
    assert_string_equal(out, "户口 登记");
    /* quotes and operators at the ends of terms go; inside they stay (and are quoted later) */
    assert_int_equal(search_normalize_query("\"marriage\" NEAR(a b) x:y", out, sizeof(out)), 4);
    assert_string_equal(out, "marriage NEAR(a b x:y");
    /* tsheg and shad at the ends of a Tibetan term are trimmed, inside they stay */
    assert_int_equal(search_normalize_query("བོད་ལྗོངས་། ", out, sizeof(out)), 1);
    assert_string_equal(out, "བོད་ལྗོངས");
    /* NFC: U+0F73 (a composition exclusion) becomes U+0F71 U+0F72 */
    assert_int_equal(search_normalize_query("\xe0\xbd\x80\xe0\xbd\xb3", out, sizeof(out)), 1);
    assert_string_equal(out, "\xe0\xbd\x80\xe0\xbd\xb1\xe0\xbd\xb2");
    /* invalid UTF-8 is no query */
    assert_int_equal(search_normalize_query("ab\xff\xfe", out, sizeof(out)), 0);
    /* enormous input is cut at SEARCH_MAX_QUERY characters */
    char big[5000];
    for (int i = 0; i < 1000; i++)
        memcpy(big + 3 * i, "中", 3);
    big[3000] = '\0';
    assert_int_equal(search_normalize_query(big, out, sizeof(out)), 1);
    assert_int_equal(strlen(out), 3 * SEARCH_MAX_QUERY);
    /* a truncated character is invalid UTF-8 too */
    assert_int_equal(search_normalize_query("中\xe5", out, sizeof(out)), 0);
    /* at most SEARCH_MAX_TERMS terms */
    assert_int_equal(search_normalize_query("a b c d e f g h i j k", out, sizeof(out)),
                     SEARCH_MAX_TERMS);
    /* a small output buffer is never overrun */
    char small[8];
    search_normalize_query("婚姻登记 户口", small, sizeof(small));
    assert_true(strlen(small) < sizeof(small));
}

static void test_segments(void **state)
{
    (void)state;
    struct search_terms t;
    search_split_terms("户口 ID", &t);
    json_t *s = search_segments("带<b>户口</b>和id卡", &t, 0);
    char *dump = json_dumps(s, JSON_COMPACT);
    assert_string_equal(dump,
                        "[{\"text\":\"带<b>\",\"hit\":false},{\"text\":\"户口\",\"hit\":true},"
                        "{\"text\":\"</b>和\",\"hit\":false},{\"text\":\"id\",\"hit\":true},"
                        "{\"text\":\"卡\",\"hit\":false}]");
    free(dump);
    json_decref(s);
    /* a snippet is a window around the first hit */
    char body[2000] = "";
    for (int i = 0; i < 100; i++)
        strcat(body, "甲乙");
    strcat(body, "户口");
    for (int i = 0; i < 100; i++)
        strcat(body, "丙丁");
    s = search_segments(body, &t, 40);
    assert_int_equal(json_array_size(s), 5); /* … before hit after … */
    assert_string_equal(json_string_value(json_object_get(json_array_get(s, 0), "text")), "…");
    assert_true(json_is_true(json_object_get(json_array_get(s, 2), "hit")));
    json_decref(s);
}

static void test_bigrams(void **state)
{
    (void)state;
    char *b = search_bigrams("户口A。b");
    /* 户口, 口a, a(end); b(end): the full stop separates, letters are folded */
    assert_string_equal(b, "b6237x53e3 b53e3x61 b61x b62x ");
    free(b);
}

static void test_chinese(void **state)
{
    struct fixture *fx = *state;
    char buf[256];
    load_corpus(fx);
    assert_string_equal(find(fx, "户口", buf, sizeof(buf)), "1,2");   /* 2 chars */
    assert_string_equal(find(fx, "户口登记", buf, sizeof(buf)), "2"); /* 4 chars */
    assert_string_equal(find(fx, "结婚登记", buf, sizeof(buf)), "1");
    assert_string_equal(find(fx, "登记", buf, sizeof(buf)), "1,2,6");
    assert_string_equal(find(fx, "口登", buf, sizeof(buf)), "2");          /* mid-word */
    assert_string_equal(find(fx, "婚", buf, sizeof(buf)), "1,6");          /* 1 char */
    assert_string_equal(find(fx, "婚姻 户口", buf, sizeof(buf)), "1");     /* AND */
    assert_string_equal(find(fx, "噪音投诉 施工", buf, sizeof(buf)), "3"); /* 3+ and 2 */
    assert_string_equal(find(fx, "火车票", buf, sizeof(buf)), "");         /* no hit */
    assert_string_equal(find(fx, "记，", buf, sizeof(buf)), "1,2,6");      /* punctuation trimmed */
}

static void test_tibetan(void **state)
{
    struct fixture *fx = *state;
    char buf[256];
    load_corpus(fx);
    assert_string_equal(find(fx, "བོད", buf, sizeof(buf)), "4");  /* a syllable */
    assert_string_equal(find(fx, "བོད་", buf, sizeof(buf)), "4"); /* with its tsheg */
    assert_string_equal(find(fx, "ལྗོངས", buf, sizeof(buf)), "4");
    assert_string_equal(find(fx, "བོད་ལྗོངས", buf, sizeof(buf)), "4"); /* two syllables */
    assert_string_equal(find(fx, "ཐོ་འགོད", buf, sizeof(buf)), "4");  /* in the body */
    assert_string_equal(find(fx, "ཞུ", buf, sizeof(buf)), "4");      /* 2 code points */
    assert_string_equal(find(fx, "རྒྱ་གར", buf, sizeof(buf)), "");
    /* a document written with U+0F73 is found by the NFC and the precomposed forms */
    put(fx, "kb", 7, "bo", "\xe0\xbd\x80\xe0\xbd\xb3 test", "", 0, 0, "", 0);
    assert_string_equal(find(fx, "\xe0\xbd\x80\xe0\xbd\xb3", buf, sizeof(buf)), "7");
    assert_string_equal(find(fx, "\xe0\xbd\x80\xe0\xbd\xb1\xe0\xbd\xb2", buf, sizeof(buf)), "7");
}

static void test_english(void **state)
{
    struct fixture *fx = *state;
    char buf[256];
    load_corpus(fx);
    assert_string_equal(find(fx, "marriage", buf, sizeof(buf)), "5");
    assert_string_equal(find(fx, "MARRIAGE Registration", buf, sizeof(buf)), "5");
    assert_string_equal(find(fx, "ID", buf, sizeof(buf)), "5"); /* 2 letters */
    assert_string_equal(find(fx, "register.", buf, sizeof(buf)), "5");
    assert_string_equal(find(fx, "divorce", buf, sizeof(buf)), "");
}

static void test_filters(void **state)
{
    struct fixture *fx = *state;
    char buf[256];
    load_corpus(fx);
    struct search_query q = {.q = "登记", .include_staff = 1};
    json_t *r;

    q.kind = "kb";
    r = run(fx, &q);
    assert_int_equal(json_integer_value(json_object_get(r, "total")), 3);
    json_decref(r);
    q.kind = "order";
    r = run(fx, &q);
    assert_int_equal(json_integer_value(json_object_get(r, "total")), 0);
    json_decref(r);
    q.kind = NULL;

    q.dept_id = 11;
    r = run(fx, &q);
    assert_string_equal(ids(r, buf, sizeof(buf)), "2");
    json_decref(r);
    q.dept_id = 0;

    q.tag = "insurance";
    r = run(fx, &q);
    assert_string_equal(ids(r, buf, sizeof(buf)), "6");
    json_decref(r);
    q.tag = NULL;

    /* division prefix: Lhasa (5401) holds 540102 (Chengguan) */
    q.q = "登记 户口";
    q.division_prefix = 540100000000;
    r = run(fx, &q);
    assert_int_equal(json_integer_value(json_object_get(r, "total")), 2);
    json_decref(r);
    q.division_prefix = 540102000000;
    r = run(fx, &q);
    assert_string_equal(ids(r, buf, sizeof(buf)), "1");
    json_decref(r);
    q.division_prefix = 542300000000;
    r = run(fx, &q);
    assert_int_equal(json_integer_value(json_object_get(r, "total")), 0);
    json_decref(r);
    q.division_prefix = 0;

    /* visibility: the staff-only order is not public */
    struct search_query pub = {.q = "噪音"};
    r = run(fx, &pub);
    assert_int_equal(json_integer_value(json_object_get(r, "total")), 0);
    json_decref(r);
    pub.include_staff = 1;
    r = run(fx, &pub);
    assert_string_equal(ids(r, buf, sizeof(buf)), "3");
    json_decref(r);

    /* language */
    struct search_query lq = {.q = "household", .lang = "en"};
    r = run(fx, &lq);
    assert_string_equal(ids(r, buf, sizeof(buf)), "5");
    json_decref(r);
    lq.lang = "zh";
    r = run(fx, &lq);
    assert_int_equal(json_integer_value(json_object_get(r, "total")), 0);
    json_decref(r);
}

/* A title match ranks above a body-only match, for long and for short queries. */
static void test_ranking(void **state)
{
    struct fixture *fx = *state;
    char buf[256];
    put(fx, "kb", 1, "zh", "常见问题", "关于社保卡补办的说明：社保卡遗失后可以补办。", 0, 0, "", 0);
    put(fx, "kb", 2, "zh", "社保卡补办", "遗失后携带身份证到窗口办理。", 0, 0, "", 0);
    put(fx, "kb", 3, "zh", "其他事项", "无关内容", 0, 0, "", 0);
    for (int i = 10; i < 30; i++)
        put(fx, "kb", i, "zh", "无关标题", "填充文本，帮助统计。", 0, 0, "", 0);
    struct search_query q = {.q = "社保卡补办"};
    json_t *r = run(fx, &q);
    assert_string_equal(ids(r, buf, sizeof(buf)), "2,1");
    json_t *top = json_array_get(json_object_get(r, "hits"), 0);
    assert_true(
        json_real_value(json_object_get(top, "score")) >=
        json_real_value(json_object_get(json_array_get(json_object_get(r, "hits"), 1), "score")));
    /* the title segments mark the hit */
    json_t *seg = json_object_get(top, "title_segments");
    assert_int_equal(json_array_size(seg), 1);
    assert_true(json_is_true(json_object_get(json_array_get(seg, 0), "hit")));
    json_decref(r);
    q.q = "补办";
    r = run(fx, &q);
    assert_string_equal(ids(r, buf, sizeof(buf)), "2,1");
    json_decref(r);
}

static void test_update_delete(void **state)
{
    struct fixture *fx = *state;
    char buf[256];
    struct err err;
    put(fx, "kb", 1, "zh", "旧标题", "旧的内容", 0, 0, "", 0);
    put(fx, "order", 1, "zh", "另一种文档", "旧的内容", 0, 0, "", 0);
    assert_string_equal(find(fx, "旧的", buf, sizeof(buf)), "1,1");
    put(fx, "kb", 1, "zh", "新标题", "新的内容", 0, 0, "", 0);
    assert_string_equal(find(fx, "旧的", buf, sizeof(buf)), "1"); /* only the order */
    assert_string_equal(find(fx, "旧标题", buf, sizeof(buf)), "");
    assert_string_equal(find(fx, "新标题", buf, sizeof(buf)), "1");
    assert_int_equal(search_delete(fx->se, "kb", 1, &err), 0);
    assert_string_equal(find(fx, "新标题", buf, sizeof(buf)), "");
    assert_string_equal(find(fx, "新的", buf, sizeof(buf)), "");
    assert_int_equal(search_delete(fx->se, "kb", 1, &err), 0); /* gone already: fine */
    /* inside a transaction that rolls back, nothing stays */
    struct store_conn *c = store_conn(fx->s, &err);
    assert_int_equal(store_begin(c, &err), 0);
    put(fx, "kb", 9, "zh", "回滚的文档", "", 0, 0, "", 0);
    store_rollback(c);
    assert_string_equal(find(fx, "回滚", buf, sizeof(buf)), "");
    /* bad documents are refused */
    struct search_doc bad = {"Bad Kind!", 1, "zh", "t", "", 0, 0, "", 0, 0, NULL, NULL};
    assert_int_equal(search_put(fx->se, &bad, &err), -1);
    assert_string_equal(err.code, "search.bad_doc");
    struct search_doc bad2 = {"kb", 1, "zh", "", "", 0, 0, "", 0, 0, NULL, NULL};
    assert_int_equal(search_put(fx->se, &bad2, &err), -1);
    struct search_doc bad3 = {"kb", 1, "fr", "t", "", 0, 0, "", 0, 0, NULL, NULL};
    assert_int_equal(search_put(fx->se, &bad3, &err), -1);
    struct search_doc bad4 = {"kb", 1, "zh", "t\xff", "", 0, 0, "", 0, 0, NULL, NULL};
    assert_int_equal(search_put(fx->se, &bad4, &err), -1);
    struct search_doc bad5 = {"kb", 1, "zh", "t", "", 0, 0, "", 0, 7, NULL, NULL};
    assert_int_equal(search_put(fx->se, &bad5, &err), -1);
}

/* Documents keyed by a code, titled in several languages (catalog items): every title
 * matches as a title, the reader's is shown, and they are removed by ref or by kind. */
static void test_ref_titles(void **state)
{
    struct fixture *fx = *state;
    struct err err;
    json_t *titles = json_pack("{s:s, s:s, s:s}", "zh", "内地居民婚姻登记", "bo", "གཉེན་སྒྲིག་ཐོ་འགོད།",
                               "en", "Marriage registration");
    struct search_doc d = {.kind = "service",
                           .lang = "zh",
                           .title = "内地居民婚姻登记",
                           .body = "户口簿 居民身份证",
                           .updated_at_ms = 1,
                           .ref = "XZ-MZ-001",
                           .titles = titles};
    assert_int_equal(search_put(fx->se, &d, &err), 0);
    put(fx, "kb", 7, "zh", "婚姻登记须知", "需要户口簿。", 0, 0, "", 0);
    const char *queries[] = {"婚姻", "གཉེན་སྒྲིག", "marriage"};
    for (size_t i = 0; i < 3; i++) {
        struct search_query q = {.q = queries[i], .display_lang = "bo"};
        json_t *r = run(fx, &q);
        json_t *h = NULL, *x;
        size_t k;
        json_array_foreach(json_object_get(r, "hits"), k, x) if (json_object_get(x, "ref")) h = x;
        assert_non_null(h);
        assert_string_equal(json_string_value(json_object_get(h, "ref")), "XZ-MZ-001");
        assert_string_equal(json_string_value(json_object_get(h, "title")), "གཉེན་སྒྲིག་ཐོ་འགོད།");
        assert_string_equal(json_string_value(json_object_get(h, "title_lang")), "bo");
        json_decref(r);
    }
    /* A language the document has no title in: the document's own. */
    struct search_query q = {.q = "marriage", .display_lang = "fr"};
    json_t *r = run(fx, &q);
    json_t *h = json_array_get(json_object_get(r, "hits"), 0);
    assert_string_equal(json_string_value(json_object_get(h, "title")), "内地居民婚姻登记");
    assert_string_equal(json_string_value(json_object_get(h, "title_lang")), "zh");
    json_decref(r);
    /* Replacing by ref keeps one document; bad refs are refused. */
    assert_int_equal(search_put(fx->se, &d, &err), 0);
    struct search_query again = {.q = "户口簿"};
    r = run(fx, &again);
    assert_int_equal(json_array_size(json_object_get(r, "hits")), 2);
    json_decref(r);
    struct search_doc bad = d;
    bad.ref = "a/b";
    assert_int_equal(search_put(fx->se, &bad, &err), -1);
    assert_string_equal(err.code, "search.bad_doc");
    bad.ref = "XZ-MZ-002";
    bad.titles = json_pack("{s:s}", "fr", "x");
    assert_int_equal(search_put(fx->se, &bad, &err), -1);
    json_decref((json_t *)bad.titles);
    /* by ref, then by kind */
    assert_int_equal(search_delete_ref(fx->se, "service", "XZ-MZ-001", &err), 0);
    struct search_query q2 = {.q = "marriage"};
    r = run(fx, &q2);
    assert_int_equal(json_array_size(json_object_get(r, "hits")), 0);
    json_decref(r);
    assert_int_equal(search_put(fx->se, &d, &err), 0);
    d.ref = "XZ-MZ-002";
    assert_int_equal(search_put(fx->se, &d, &err), 0);
    int64_t deleted = 0;
    assert_int_equal(search_delete_kind(fx->se, "service", &deleted, &err), 0);
    assert_int_equal(deleted, 2);
    struct search_query q3 = {.q = "婚姻"};
    r = run(fx, &q3);
    assert_int_equal(json_array_size(json_object_get(r, "hits")), 1); /* the kb article */
    json_decref(r);
    json_decref(titles);
}

static void test_paging(void **state)
{
    struct fixture *fx = *state;
    char title[64];
    for (int i = 1; i <= 25; i++) {
        snprintf(title, sizeof(title), "政务服务事项 %d", i);
        put(fx, "kb", i, "zh", title, "办理指南", 0, 0, "", 0);
    }
    struct search_query q = {.q = "政务", .limit = 10};
    json_t *r = run(fx, &q);
    assert_int_equal(json_integer_value(json_object_get(r, "total")), 25);
    assert_int_equal(json_array_size(json_object_get(r, "hits")), 10);
    json_decref(r);
    q.offset = 20;
    r = run(fx, &q);
    assert_int_equal(json_integer_value(json_object_get(r, "total")), 25);
    assert_int_equal(json_array_size(json_object_get(r, "hits")), 5);
    json_decref(r);
    q.limit = 100000; /* capped */
    q.offset = -5;
    r = run(fx, &q);
    assert_int_equal(json_array_size(json_object_get(r, "hits")), 25);
    json_decref(r);
}

/* Long and short terms together, where the newest long-term matches lack the short term:
 * the older documents that have both are still found (the exact fallback). */
static void test_long_and_short(void **state)
{
    struct fixture *fx = *state;
    struct err err;
    char title[64], buf[64];
    put(fx, "kb", 1, "zh", "政务服务户口指南", "", 0, 0, "", 0);
    put(fx, "kb", 2, "zh", "政务服务", "办理户口", 0, 0, "", 0);
    struct store_conn *c = store_conn(fx->s, &err);
    assert_int_equal(store_begin(c, &err), 0);
    for (int i = 0; i < 4 * SEARCH_CANDIDATES + 100; i++) {
        snprintf(title, sizeof(title), "政务服务指南 %d", i);
        put(fx, "kb", 100 + i, "zh", title, "网上办理", 0, 0, "", 0);
    }
    assert_int_equal(store_commit(c, &err), 0);
    assert_string_equal(find(fx, "政务服务 户口", buf, sizeof(buf)), "1,2");
    assert_string_equal(find(fx, "户口 政务服务", buf, sizeof(buf)), "1,2");
    struct search_query q = {.q = "政务服务 网上"};
    json_t *r = run(fx, &q);
    assert_int_equal(json_integer_value(json_object_get(r, "total")), SEARCH_CANDIDATES);
    assert_true(json_is_true(json_object_get(r, "more")));
    json_decref(r);
}

/* Input that would be FTS syntax, SQL, enormous, invalid or empty: never an error. */
static void test_nasty(void **state)
{
    struct fixture *fx = *state;
    load_corpus(fx);
    static const char *const nasty[] = {
        "",
        " ",
        "\"",
        "\"\"",
        "'",
        "''",
        "*",
        "**",
        "^",
        ":",
        "(",
        ")",
        "()",
        "(((",
        "NEAR",
        "NEAR(户口 登记, 2)",
        "户口 AND",
        "OR 户口",
        "NOT",
        "户口 NOT 登记",
        "AND OR NOT",
        "title:户口",
        "-户口",
        "+户口",
        "户口*",
        "\"户口",
        "户口\"",
        "{title body}: x",
        "a\"b\"c",
        "%",
        "%%",
        "_",
        "\\",
        "户%口",
        "' OR 1=1 --",
        "'); DROP TABLE search_docs; --",
        "\x01\x02",
        "\xff",
        "\xc0\x80",
        "\xe4\xb8",
        "\xed\xa0\x80",
        "་",
        "།",
        "་་་",
        "。，、",
        "\xe2\x80\x8b",
        "\xef\xbb\xbf",
        "a",
        "中",
        "\xe0\xbd\xb1",
        "NEAR/3",
        "^户口",
        "户口^",
    };
    for (size_t i = 0; i < sizeof(nasty) / sizeof(nasty[0]); i++) {
        struct search_query q = {.q = nasty[i], .include_staff = 1};
        json_t *r = run(fx, &q);
        assert_true(json_is_integer(json_object_get(r, "total")));
        json_decref(r);
    }
    /* a NULL query, huge limits and an enormous query */
    struct search_query q0 = {.q = NULL, .limit = -1, .offset = 1 << 30};
    json_decref(run(fx, &q0));
    char *big = malloc(200001);
    for (int i = 0; i < 200000; i++)
        big[i] = "户口\"*( )"[i % 10];
    big[200000] = '\0';
    struct search_query q1 = {.q = big};
    json_decref(run(fx, &q1));
    free(big);
    /* quotes inside a term are matched literally, not as syntax */
    put(fx, "kb", 20, "en", "the \"quoted\" word", "", 0, 0, "", 0);
    char buf[64];
    assert_string_equal(find(fx, "e\"quoted", buf, sizeof(buf)), "");
    assert_string_equal(find(fx, "\"quoted\"", buf, sizeof(buf)), "20");
    assert_string_equal(find(fx, "100%", buf, sizeof(buf)), "");
}

/* ---- indexing after commit ------------------------------------------------------------- */

/* The owning module's objects as the loader sees them: title NULL = gone, "" = refused by
 * search (an empty title), fail = the loader fails. */
static struct {
    const char *title[4];
    int fail;
} objects;

static int loader(void *ctx, struct arena *a, const char *kind, int64_t id, struct search_doc *d,
                  struct err *err)
{
    (void)ctx;
    (void)a;
    if (objects.fail)
        return err_set(err, 503, "test.down", "the owner is unavailable");
    if (id < 0 || id > 3 || objects.title[id] == NULL)
        return 0;
    struct search_doc x = {kind, id, "zh", objects.title[id], "", 0, 0, "", 1, 1, NULL, NULL};
    *d = x;
    return 1;
}

static int64_t queued(struct fixture *fx)
{
    struct err err;
    int64_t n = -1;
    assert_int_equal(search_pending(fx->se, &n, &err), 0);
    return n;
}

static void enqueue_tx(struct fixture *fx, int64_t id, int commit)
{
    struct err err;
    struct store_conn *c = store_conn(fx->s, &err);
    assert_int_equal(store_begin(c, &err), 0);
    assert_int_equal(search_enqueue(fx->se, "order", id, &err), 0);
    if (commit)
        assert_int_equal(store_commit(c, &err), 0);
    else
        store_rollback(c);
}

static void test_queue(void **state)
{
    struct fixture *fx = *state;
    char buf[64];
    struct err err;
    int done = -1;
    memset(&objects, 0, sizeof(objects));
    assert_int_equal(search_set_loader(fx->se, "order", loader, NULL, &err), 0);
    /* Queued in the writer's transaction: a rollback queues nothing. */
    enqueue_tx(fx, 1, 0);
    assert_int_equal(queued(fx), 0);
    objects.title[1] = "排队的工单";
    enqueue_tx(fx, 1, 1);
    assert_int_equal(queued(fx), 1);
    assert_string_equal(find(fx, "排队", buf, sizeof(buf)), ""); /* not yet indexed */
    /* A failing owner leaves the queue as it was. */
    objects.fail = 1;
    assert_int_equal(search_drain(fx->se, 0, &done, &err), -1);
    assert_int_equal(queued(fx), 1);
    objects.fail = 0;
    assert_int_equal(search_drain(fx->se, 0, &done, &err), 0);
    assert_int_equal(done, 1);
    assert_int_equal(queued(fx), 0);
    assert_string_equal(find(fx, "排队", buf, sizeof(buf)), "1");
    /* Written twice before the job ran: the current state is indexed. */
    objects.title[1] = "改过的工单";
    enqueue_tx(fx, 1, 1);
    enqueue_tx(fx, 1, 1);
    assert_int_equal(search_drain(fx->se, 0, &done, &err), 0);
    assert_int_equal(done, 2);
    assert_string_equal(find(fx, "排队", buf, sizeof(buf)), "");
    assert_string_equal(find(fx, "改过", buf, sizeof(buf)), "1");
    /* Gone: removed. Refused by search or of a kind without a loader: dropped (logged). */
    objects.title[1] = NULL;
    objects.title[2] = "";
    enqueue_tx(fx, 1, 1);
    enqueue_tx(fx, 2, 1);
    struct store_conn *c = store_conn(fx->s, &err);
    assert_int_equal(store_begin(c, &err), 0);
    assert_int_equal(search_enqueue(fx->se, "nobody", 3, &err), 0);
    assert_int_equal(store_commit(c, &err), 0);
    assert_int_equal(search_drain(fx->se, 1, &done, &err), 0); /* batches of one */
    assert_int_equal(done, 1);
    assert_int_equal(queued(fx), 2);
    assert_int_equal(search_drain(fx->se, 0, &done, &err), 0);
    assert_int_equal(queued(fx), 0);
    assert_string_equal(find(fx, "改过", buf, sizeof(buf)), "");
    assert_int_equal(search_drain(fx->se, 0, &done, &err), 0);
    assert_int_equal(done, 0);
    /* The job: what is queued before it starts, and what a kick announces. */
    objects.title[3] = "启动时的工单";
    enqueue_tx(fx, 3, 1);
    assert_int_equal(search_job_start(fx->se, 60000, 0, &err), 0);
    for (int i = 0; i < 500 && queued(fx) > 0; i++)
        usleep(10000);
    assert_string_equal(find(fx, "启动时", buf, sizeof(buf)), "3");
    objects.title[2] = "踢醒的工单";
    enqueue_tx(fx, 2, 1);
    search_kick(fx->se);
    for (int i = 0; i < 500 && queued(fx) > 0; i++)
        usleep(10000);
    assert_string_equal(find(fx, "踢醒", buf, sizeof(buf)), "2");
    search_job_stop(fx->se);
}

int main(void)
{
    const struct CMUnitTest common[] = {
        cmocka_unit_test(test_normalize),
        cmocka_unit_test(test_segments),
        cmocka_unit_test(test_bigrams),
    };
    const struct CMUnitTest backend[] = {
        cmocka_unit_test_setup_teardown(test_chinese, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tibetan, setup, teardown),
        cmocka_unit_test_setup_teardown(test_english, setup, teardown),
        cmocka_unit_test_setup_teardown(test_filters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ranking, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_paging, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ref_titles, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nasty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_and_short, setup, teardown),
        cmocka_unit_test_setup_teardown(test_queue, setup, teardown),
    };
    int failed = 0;
    failed += cmocka_run_group_tests_name("search", common, NULL, NULL);
    failed += cmocka_run_group_tests_name("search/sqlite", backend, NULL, NULL);
    if (getenv("ONEWINDOW_TEST_PG_URL") != NULL && *getenv("ONEWINDOW_TEST_PG_URL") != '\0') {
        use_pg = 1;
        failed += cmocka_run_group_tests_name("search/postgresql", backend, NULL, NULL);
    } else {
        printf("search/postgresql: skipped (set ONEWINDOW_TEST_PG_URL, see scripts/pg-test.sh)\n");
    }
    return failed != 0;
}
