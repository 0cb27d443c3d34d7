/*
 * fault_test.c - every allocation of whole module operations fails once (base/fault.h):
 * for n = 0, 1, 2 ... the n-th allocation through arenas, buffers and jansson fails, and
 * the operation must either succeed all the same or fail cleanly with an error code and a
 * message; never crash, never leak (make unit-asan runs this under ASan and LSan), and
 * never leave the store half-written (the next run, with no fault, succeeds and the
 * result is whole). The loop stops when an operation needs no more allocations than n.
 * Allocations inside SQLite and OpenSSL are not counted (they have their own tests).
 */
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/arena.h"
#include "base/embed.h"
#include "base/fault.h"
#include "catalog/catalog.h"
#include "crypto/crypto.h"
#include "divisions/divisions.h"
#include "identity/idcodes.h"
#include "identity/identity.h"
#include "notify/notify.h"
#include "search/search.h"
#include "store/store.h"
#include "web/i18n.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_search),
        cmocka_unit_test(test_catalog),
        cmocka_unit_test(test_notify),
        cmocka_unit_test(test_register),
    };
    return cmocka_run_group_tests_name("fault", tests, setup, teardown);
}
