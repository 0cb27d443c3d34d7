/*
 * fault_test.c - every allocation of whole module operations fails once (base/fault.h):
 * for n = 0, 1, 2 ... the n-th allocation through arenas, buffers and jansson fails, and
 * the operation must either succeed all the same or fail cleanly with an error code and a
 * message; never crash, never leak (make unit-asan runs this under ASan and LSan), and
 * never leave the store half-written (the next run, with no fault, succeeds and the
 * result is whole). The loop stops when an operation needs no more allocations than n.
 * Allocations inside SQLite and OpenSSL are not counted (they have their own tests).
 *
 * The operations: search (index and query), its tokeniser alone, the catalog import, a
 * notification sent and read back, a citizen registered, an account's personal data written
 * and read back (a store round trip through the PII key), a page template compiled and
 * rendered, an RFC 9457 problem body, and the i18n catalogs loaded and looked up.
 */
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/embed.h"
#include "base/fault.h"
#include "catalog/catalog.h"
#include "crypto/crypto.h"
#include "divisions/divisions.h"
#include "identity/idcodes.h"
#include "identity/identity.h"
#include "l10n/l10n.h"
#include "notify/notify.h"
#include "search/search.h"
#include "search/search_internal.h"
#include "store/store.h"
#include "web/i18n.h"
#include "web/tmpl.h"
#include "web/web_internal.h"

static const unsigned char MASTER[CRYPTO_KEY_LEN] = {9, 9, 7, 1};

struct fixture {
    char dir[40];
    struct store *s;
    struct crypto_keyring *kr;
    struct identity *id;
    struct catalog *cat;
    struct search *search;
    struct notify *notify;
    json_t *item; /* one item of the demo catalog */
};

static const char SQL_DEPTS[] =
    "INSERT INTO departments (id, code, name_zh, division_code, created_at) VALUES "
    "(11, 'cg-mz', 'a', 540102000000, 0), (1, 'xz-mz', 'a', 540000000000, 0), "
    "(8, 'ls-mz', 'a', 540100000000, 0)";

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    char url[96];
    struct err err;
    int n = 0;
    struct store_conn *c;
    err_clear(&err);
    snprintf(f->dir, sizeof(f->dir), "/tmp/ow-fault-XXXXXX");
    if (f == NULL || mkdtemp(f->dir) == NULL)
        return -1;
    snprintf(url, sizeof(url), "sqlite:%s/t.db", f->dir);
    if (i18n_init(&err) < 0 || store_open(url, NULL, &f->s, &err) < 0 ||
        store_migrate(f->s, NULL, &err) < 0 || divisions_load_reference(f->s, &n, &err) < 0 ||
        (c = store_conn(f->s, &err)) == NULL || store_exec(c, SQL_DEPTS, &err) < 0 ||
        crypto_keyring_from_master(MASTER, &f->kr) < 0 ||
        identity_open(f->s, f->kr, &(struct identity_options){.fast_passwords = 1}, &f->id, &err) <
            0 ||
        catalog_open(f->s, f->id, &f->cat, &err) < 0 || search_open(f->s, &f->search, &err) < 0 ||
        notify_open(f->s, f->kr, &f->notify, &err) < 0) {
        fprintf(stderr, "fault_test: %s\n", err.msg);
        return -1;
    }
    const struct embed_file *e = embed_find("data/catalog/demo.json");
    json_t *demo = e ? json_loadb((const char *)e->data, e->len, 0, NULL) : NULL;
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(demo, "items"), i, it)
    {
        if (strcmp(json_string_value(json_object_get(it, "code")), "XZ-MZ-001") == 0)
            f->item = json_incref(it);
    }
    json_decref(demo);
    if (f->item == NULL)
        return -1;
    /* From here on jansson allocates through the countdown too. */
    json_set_alloc_funcs(fault_json_malloc, free);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[64];
    fault_arm(-1);
    json_set_alloc_funcs(malloc, free);
    json_decref(f->item);
    notify_close(f->notify);
    search_close(f->search);
    catalog_close(f->cat);
    identity_close(f->id);
    crypto_keyring_close(f->kr);
    store_close(f->s);
    i18n_free();
    snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
    int rc = system(cmd);
    free(f);
    return rc == 0 ? 0 : -1;
}

typedef int (*op_fn)(struct fixture *f, int round, struct err *err);

/* Run op with the n-th allocation failing, for every n until op needs no more; then once
 * more without a fault, which must succeed. Returns how many allocations op made. */
static long every_allocation_fails_once(struct fixture *f, op_fn op)
{
    long n;
    for (n = 0;; n++) {
        struct err err;
        err_clear(&err);
        fault_arm(n);
        int rc = op(f, (int)n, &err);
        int fired = fault_fired();
        fault_arm(-1);
        if (!fired) {
            if (rc != 0)
                fprintf(stderr, "fault_test: after %ld: %s (%s)\n", n, err.msg, err.code);
            assert_int_equal(rc, 0);
            break;
        }
        /* A failure names itself: a code and a sentence, never an empty error. */
        if (rc != 0) {
            assert_true(err.code[0] != '\0');
            assert_true(err.msg[0] != '\0');
        }
        assert_true(n < 200000);
    }
    fprintf(stderr, "fault_test: %ld allocations, each failed once\n", n);
    return n;
}

/* ---- the operations ------------------------------------------------------------------- */

static int op_search(struct fixture *f, int round, struct err *err)
{
    char title[64];
    snprintf(title, sizeof(title), "婚姻登记须知 %d", round);
    struct search_doc d = {.kind = "kb",
                           .id = 1000 + round,
                           .lang = "zh",
                           .title = title,
                           .body = "结婚登记需要户口簿和身份证。ཁྱིམ་ཚང་ཐོ་འགོད།",
                           .updated_at_ms = 1000 + round};
    if (search_put(f->search, &d, err) < 0)
        return -1;
    struct search_query q = {.kind = "kb", .q = "婚姻 登记", .limit = 5};
    json_t *r = NULL;
    if (search_run(f->search, &q, &r, err) < 0)
        return -1;
    int ok = json_integer_value(json_object_get(r, "total")) >= 1;
    json_decref(r);
    return ok ? 0 : err_set(err, 500, "test.not_found", "the document was not found");
}

static int op_catalog(struct fixture *f, int round, struct err *err)
{
    (void)round;
    int created = 0, updated = 0;
    return catalog_import(f->cat, 0, f->item, &created, &updated, err);
}

static int op_notify(struct fixture *f, int round, struct err *err)
{
    json_t *p = json_pack("{s:s, s:{s:s, s:s}}", "number", "XZ20261207000001", "item", "zh",
                          "结婚登记", "bo", "གཉེན་སྒྲིག་ཐོ་འགོད།");
    if (p == NULL)
        return err_set(err, 500, "test.oom", "out of memory");
    struct notify_msg m = {.account_id = 77,
                           .lang = "bo",
                           .kind = "apply.notice.submitted",
                           .params = p,
                           .link = "/applications/XZ20261207000001"};
    int rc = notify_send(f->notify, &m, err);
    json_decref(p);
    if (rc < 0)
        return -1;
    struct arena *a = arena_new(0);
    if (a == NULL)
        return err_set(err, 500, "test.oom", "out of memory");
    struct notify_reader r = {.account_id = 77};
    struct notify_item *items = NULL;
    size_t n = 0;
    rc = notify_inbox(f->notify, a, &r, "bo", 0, 5, &items, &n, err);
    arena_free(a);
    (void)round;
    return rc < 0 ? -1 : 0;
}

static int op_register(struct fixture *f, int round, struct err *err)
{
    /* A fresh valid ID number and phone each round (the check character computed). */
    char id17[24], idn[32], phone[24];
    snprintf(id17, sizeof(id17), "54010219900101%03u", (unsigned)round % 1000u);
    snprintf(idn, sizeof(idn), "%s%c", id17, idcode_citizen_check(id17));
    snprintf(phone, sizeof(phone), "139%08u", (unsigned)round % 100000000u);
    struct identity_registration in = {"卓玛", idn, phone, "Secret-passw0rd", "Secret-passw0rd",
                                       "bo"};
    struct identity_field_errors fe;
    memset(&fe, 0, sizeof(fe));
    int64_t account = 0;
    int rc = identity_register_citizen(f->id, &in, "127.0.0.1", &account, &fe, err);
    return rc == 0 ? 0 : rc < 0 ? -1 : err_set(err, 400, "test.fields", "field errors");
}

static int op_tokenise(struct fixture *f, int round, struct err *err)
{
    (void)f, (void)round;
    char *g = search_bigrams("婚姻登记 ཐོ་འགོད། Marriage");
    if (g == NULL)
        return err_set(err, 500, "search.error", "out of memory");
    /* Never a partial list: the whole text's tokens or nothing. */
    int ok = strncmp(g, "b5a5ax59fb ", 11) == 0 && strstr(g, "b6dx61 ") != NULL;
    free(g);
    if (!ok) /* a wrong answer, not a clean failure */
        fail_msg("search_bigrams gave a partial token list under a failed allocation");
    return 0;
}

/* A registered citizen's personal data read back: the row, the sealed ID number and phone. */
static int op_account(struct fixture *f, int round, struct err *err)
{
    char id17[24], idn[32], phone[24];
    snprintf(id17, sizeof(id17), "54010219850101%03u", (unsigned)round % 1000u);
    snprintf(idn, sizeof(idn), "%s%c", id17, idcode_citizen_check(id17));
    snprintf(phone, sizeof(phone), "138%08u", (unsigned)round % 100000000u);
    struct identity_registration in = {"次仁", idn, phone, "Secret-passw0rd", "Secret-passw0rd",
                                       "zh"};
    struct identity_field_errors fe;
    memset(&fe, 0, sizeof(fe));
    int64_t account = 0;
    int rc = identity_register_citizen(f->id, &in, "127.0.0.1", &account, &fe, err);
    if (rc != 0)
        return rc < 0 ? -1 : err_set(err, 400, "test.fields", "field errors");
    struct arena *a = arena_new(0);
    if (a == NULL)
        return err_set(err, 500, "test.oom", "out of memory");
    struct identity_account acc;
    const char *got_id = NULL, *got_phone = NULL;
    rc = identity_account_get(f->id, a, account, &acc, err) < 0 ||
                 identity_account_private(f->id, a, account, &got_id, &got_phone, err) < 0
             ? -1
             : 0;
    if (rc == 0 && (got_id == NULL || strcmp(got_id, idn) != 0 || got_phone == NULL ||
                    strcmp(got_phone, phone) != 0))
        fail_msg("the personal data did not come back (round %d)", round);
    arena_free(a);
    return rc;
}

static const char *embedded_template(void *ctx, const char *name, size_t *len)
{
    (void)ctx;
    char path[160];
    if (snprintf(path, sizeof(path), "web/templates/%s.html", name) >= (int)sizeof(path))
        return NULL;
    const struct embed_file *e = embed_find(path);
    if (e == NULL)
        return NULL;
    *len = e->len;
    return (const char *)e->data;
}

static void *fault_realloc(void *ctx, void *p, size_t n)
{
    (void)ctx;
    return fault_hit() ? NULL : realloc(p, n);
}

/* The error page as the server renders it: compiled from the embedded sources, rendered
 * with the Tibetan catalog under "t". */
static int op_template(struct fixture *f, int round, struct err *err)
{
    (void)f;
    struct tmpl_set *set = tmpl_set_new(embedded_template, NULL);
    if (set == NULL)
        return err_set(err, 500, "tmpl.oom", "out of memory");
    tmpl_set_alloc_hook(set, fault_realloc, NULL);
    json_t *model = json_pack("{s:s, s:i, s:s, s:s}", "title", "<b>404</b>", "status", 404,
                              "message", "ཞབས་ཞུ་འདི་མི་འདུག", "request_id", "r-1");
    json_t *t = json_pack("{s:O}", "t", i18n_catalog("bo"));
    json_t *ctxs[2] = {t, model};
    struct buf out;
    buf_init(&out, 1 << 20);
    int rc = -1;
    if (model == NULL || t == NULL)
        err_set(err, 500, "tmpl.oom", "out of memory");
    else if (tmpl_compile(set, "error", err) == 0 &&
             tmpl_render(set, "error", ctxs, 2, &out, err) == 0) {
        /* Rendered means whole: a failed allocation never yields a page with parts missing. */
        if (strstr(out.data, "&lt;b&gt;404&lt;/b&gt;") == NULL || strstr(out.data, "r-1") == NULL)
            fail_msg("the page lacks its parts (round %d)", round);
        rc = 0;
    }
    buf_free(&out);
    json_decref(model);
    json_decref(t);
    tmpl_set_free(set);
    return rc;
}

static int op_problem(struct fixture *f, int round, struct err *err)
{
    (void)f, (void)round;
    char *j = web_problem_json(404, "Not Found", "没有这个办件", "apply.not_found", "r-2",
                               "/api/applications/X");
    if (j == NULL)
        return err_set(err, 500, "http.internal", "out of memory");
    /* Checked as text: jansson's parser is not safe under failing allocations. */
    int ok = strstr(j, "\"status\":404") != NULL &&
             strstr(j, "\"instance\":\"/api/applications/X\"") != NULL &&
             strstr(j, "\"code\":\"apply.not_found\"") != NULL;
    free(j);
    if (!ok)
        fail_msg("the problem document is incomplete");
    return 0;
}

/* Messages looked up as a page does (negotiated language, fallback to zh noted), kept in
 * the request's arena, with a date, a day and a number spelled in Tibetan. The catalogs are
 * loaded outside the failing window: jansson 2.14's parser is not safe when an allocation
 * fails (lex_save drops the failure: akheron/jansson#362), and they load once at start,
 * where a failure stops the server. */
static int op_i18n(struct fixture *f, int round, struct err *err)
{
    (void)f, (void)round;
    static const char *const keys[] = {"errors.back_home", "errors.request_id", "errors.status.404",
                                       "errors.detail.500"};
    const char *lang = i18n_negotiate(NULL, NULL, "bo-CN,zh;q=0.8");
    if (lang == NULL || strcmp(lang, "bo") != 0)
        return err_set(err, 500, "test.i18n", "bo-CN was not negotiated as bo");
    struct arena *a = arena_new(0);
    if (a == NULL)
        return err_set(err, 500, "test.oom", "out of memory");
    int rc = 0;
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]) && rc == 0; i++) {
        int fell_back = 0;
        const char *m = i18n_lookup(lang, keys[i], &fell_back);
        const char *zh = i18n_get("zh", keys[i]);
        if (m == NULL || zh == NULL || fell_back || strcmp(m, zh) == 0)
            rc = err_set(err, 500, "test.i18n", "bo lacks %s", keys[i]);
        else if (arena_strdup(a, m) == NULL)
            rc = err_set(err, 500, "test.oom", "out of memory");
    }
    const char *d = rc == 0 ? l10n_datetime(a, "bo", 1796601600000) : NULL;
    const char *day = rc == 0 ? l10n_day(a, "bo", 20261207) : NULL;
    const char *n = rc == 0 ? l10n_number(a, "bo", 1234567) : NULL;
    if (rc == 0 &&
        (d == NULL || *d == '\0' || day == NULL || *day == '\0' || n == NULL || *n == '\0'))
        rc = err_set(err, 500, "l10n.oom", "out of memory");
    arena_free(a);
    return rc;
}

static void test_search(void **state)
{
    long n = every_allocation_fails_once(*state, op_search);
    assert_true(n > 0);
}

static void test_catalog(void **state)
{
    long n = every_allocation_fails_once(*state, op_catalog);
    assert_true(n > 0);
}

static void test_notify(void **state)
{
    long n = every_allocation_fails_once(*state, op_notify);
    assert_true(n > 0);
}

static void test_register(void **state)
{
    long n = every_allocation_fails_once(*state, op_register);
    assert_true(n > 0);
}

static void test_tokenise(void **state)
{
    long n = every_allocation_fails_once(*state, op_tokenise);
    assert_true(n > 0);
}

static void test_account(void **state)
{
    long n = every_allocation_fails_once(*state, op_account);
    assert_true(n > 0);
}

static void test_template(void **state)
{
    long n = every_allocation_fails_once(*state, op_template);
    assert_true(n > 0);
}

static void test_problem(void **state)
{
    long n = every_allocation_fails_once(*state, op_problem);
    assert_true(n > 0);
}

static void test_i18n(void **state)
{
    long n = every_allocation_fails_once(*state, op_i18n);
    assert_true(n > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_search),   cmocka_unit_test(test_catalog),
        cmocka_unit_test(test_notify),   cmocka_unit_test(test_register),
        cmocka_unit_test(test_tokenise), cmocka_unit_test(test_account),
        cmocka_unit_test(test_template), cmocka_unit_test(test_problem),
        cmocka_unit_test(test_i18n),
    };
    return cmocka_run_group_tests_name("fault", tests, setup, teardown);
}
