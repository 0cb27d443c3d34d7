/* exchange_test.c - the data exchange on a real SQLite store: the resource catalog's checks,
 * requests and grants (approval, narrowing, rejection, revocation, expiry), a read's field
 * filtering and refusals, the rate limit, the connector interface (a provider that fails,
 * one that answers garbage, a complete register), the log a person reads, identity's
 * register checks. */
#include "test.h"

#include "fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/id.h"
#include "crypto/crypto.h"
#include "exchange/exchange_internal.h"
#include "store/store.h"

static const char *const ZX = "540102199001011233"; /* the demo citizen */

struct fixture {
    struct fx_db db;
    struct store *s;
    struct crypto_keyring *kr;
    struct exchange *x;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct err err;
    int added = 0, records = 0;
    err_clear(&err);
    if (fx_db_open(&f->db, "exchange", 0) < 0)
        return -1;
    f->s = f->db.s;
    f->kr = f->db.kr;
    if (exchange_open(f->s, f->kr, &f->x, &err) < 0 ||
        exchange_resources_ensure(f->s, &added, &err) < 0 ||
        exchange_load_demo(f->x, &records, &err) < 0 || added != 4 || records < 5) {
        fprintf(stderr, "setup: %s (%d resources, %d records)\n", err.msg, added, records);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    exchange_close(f->x);
    int rc = fx_db_close(&f->db);
    free(f);
    return rc == 0 ? 0 : -1;
}

static int64_t approved_grant(struct fixture *f, const char *client, const char *resource,
                              const char *fields, const char *purpose, int rate)
{
    struct err err;
    int64_t id = 0;
    struct exchange_request r = {client, "测试系统", resource, fields, purpose, "测试依据"};
    assert_int_equal(exchange_request(f->x, &r, &id, &err), 0);
    assert_int_equal(exchange_grant_decide(f->x, 0, id, 1, NULL, 30, rate, &err), 0);
    return id;
}

static void test_catalog(void **state)
{
    struct fixture *f = *state;
    struct err err;
    json_t *all = NULL, *pop = NULL;
    assert_int_equal(exchange_resources(f->x, &all, &err), 0);
    assert_int_equal(json_array_size(all), 4);
    json_decref(all);
    assert_int_equal(exchange_resource(f->x, "population", &pop, &err), 0);
    assert_int_equal(exchange_resource_check(pop, &err), 0);
    /* Every problem a document can have is refused with a sentence. */
    static const char *const breakages[][2] = {
        {"code", "\"Bad Code\""},
        {"sharing", "\"sometimes\""},
        {"key", "\"passport\""},
        {"frequency", "\"hourly\""},
        {"open", "1"},
        {"fields", "[]"},
        {"name", "{\"zh\": \"人口\"}"},
        {"legal_basis", "null"},
    };
    for (size_t i = 0; i < sizeof(breakages) / sizeof(breakages[0]); i++) {
        json_t *bad = json_deep_copy(pop);
        json_object_set_new(bad, breakages[i][0],
                            json_loads(breakages[i][1], JSON_DECODE_ANY, NULL));
        assert_int_equal(exchange_resource_check(bad, &err), -1);
        assert_string_equal(err.code, "exchange.bad_resource");
        json_decref(bad);
    }
    json_t *dup = json_deep_copy(pop);
    json_array_append(json_object_get(dup, "fields"),
                      json_array_get(json_object_get(dup, "fields"), 0));
    assert_int_equal(exchange_resource_check(dup, &err), -1);
    assert_non_null(strstr(err.msg, "twice"));
    json_decref(dup);
    /* An administrator's edit survives the next ensure. */
    json_t *mine = json_deep_copy(pop);
    json_object_set_new(mine, "frequency", json_string("daily"));
    assert_int_equal(exchange_resource_put(f->x, 1, mine, &err), 0);
    int added = -1;
    assert_int_equal(exchange_resources_ensure(f->s, &added, &err), 0);
    assert_int_equal(added, 0);
    json_t *now = NULL;
    assert_int_equal(exchange_resource(f->x, "population", &now, &err), 0);
    assert_string_equal(json_string_value(json_object_get(now, "frequency")), "daily");
    json_decref(now);
    assert_int_equal(exchange_resource(f->x, "nothing", &now, &err), -1);
    assert_int_equal(err.status, 404);
    json_decref(mine);
    json_decref(pop);
}

static void test_read_and_refusals(void **state)
{
    struct fixture *f = *state;
    struct err err;
    json_t *out = NULL;
    struct exchange_call call = {"client-a", "婚姻登记系统",          "marriage", ZX,
                                 NULL,       "marriage_registration", "CASE-1",   NULL};
    /* No grant yet: refused, and logged for the person. */
    assert_int_equal(exchange_read(f->x, &call, &out, &err), -1);
    assert_string_equal(err.code, "exchange.no_grant");
    int64_t g =
        approved_grant(f, "client-a", "marriage", "name status", "marriage_registration", 100);
    assert_int_equal(exchange_read(f->x, &call, &out, &err), 0);
    json_t *rec = json_object_get(out, "record");
    assert_string_equal(json_string_value(json_object_get(rec, "name")), "扎西多吉");
    assert_null(json_object_get(rec, "id_number"));
    assert_string_equal(json_string_value(json_array_get(json_object_get(out, "withheld"), 0)),
                        "id_number");
    json_decref(out);
    /* Inputs: purpose, case, key, field. */
    struct exchange_call bad = call;
    bad.purpose = "";
    assert_int_equal(exchange_read(f->x, &bad, &out, &err), -1);
    assert_string_equal(err.code, "exchange.bad_purpose");
    bad = call;
    bad.case_number = "no spaces";
    assert_int_equal(exchange_read(f->x, &bad, &out, &err), -1);
    assert_string_equal(err.code, "exchange.bad_case");
    bad = call;
    bad.key = "540102199001011234"; /* wrong check character */
    assert_int_equal(exchange_read(f->x, &bad, &out, &err), -1);
    assert_string_equal(err.code, "exchange.bad_key");
    bad = call;
    bad.fields = "name,spouse_name";
    assert_int_equal(exchange_read(f->x, &bad, &out, &err), -1);
    assert_string_equal(err.code, "exchange.field_not_granted");
    bad.fields = "name,shoe_size";
    assert_int_equal(exchange_read(f->x, &bad, &out, &err), -1);
    assert_string_equal(err.code, "exchange.bad_field");
    bad = call;
    bad.client_id = "client-b";
    assert_int_equal(exchange_read(f->x, &bad, &out, &err), -1);
    assert_string_equal(err.code, "exchange.no_grant");
    /* Asking again (for more fields) does not suspend the grant in force meanwhile. */
    int64_t again = 0;
    struct exchange_request more = {"client-a", "婚姻登记系统",          "marriage",
                                    NULL,       "marriage_registration", "婚姻登记条例"};
    assert_int_equal(exchange_request(f->x, &more, &again, &err), 0);
    assert_int_equal(exchange_read(f->x, &call, &out, &err), 0);
    assert_null(json_object_get(json_object_get(out, "record"), "id_number"));
    json_decref(out);
    /* Revocation. */
    assert_int_equal(exchange_grant_revoke(f->x, 0, g, &err), 0);
    assert_int_equal(exchange_read(f->x, &call, &out, &err), -1);
    assert_string_equal(err.code, "exchange.no_grant"); /* only the new request, waiting */
    assert_int_equal(exchange_grant_revoke(f->x, 0, g, &err), -1);
    assert_int_equal(err.status, 409);
    /* The person's log: the read and every refusal about them, newest first. */
    json_t *log = NULL;
    assert_int_equal(exchange_data_use(f->x, ZX, 0, 100, &log, &err), 0);
    assert_int_equal(json_array_size(log), 6); /* no grant, ok, field, other client, ok, revoked */
    assert_string_equal(json_string_value(json_object_get(json_array_get(log, 0), "outcome")),
                        "denied");
    assert_string_equal(json_string_value(json_object_get(json_array_get(log, 1), "outcome")),
                        "ok");
    assert_string_equal(json_string_value(json_object_get(json_array_get(log, 4), "outcome")),
                        "ok");
    /* A page at a time: the reads older than the last one shown. */
    json_t *page = NULL, *rest = NULL;
    assert_int_equal(exchange_data_use(f->x, ZX, 0, 2, &page, &err), 0);
    assert_int_equal(json_array_size(page), 2);
    int64_t last =
        strtoll(json_string_value(json_object_get(json_array_get(page, 1), "id")), NULL, 10);
    assert_int_equal(exchange_data_use(f->x, ZX, last, 100, &rest, &err), 0);
    assert_int_equal(json_array_size(rest), 4);
    assert_true(json_equal(json_array_get(rest, 0), json_array_get(log, 2)));
    /* Nobody else's reads: another number has none. */
    json_t *other = NULL;
    assert_int_equal(exchange_data_use(f->x, "11010519491231002X", 0, 100, &other, &err), 0);
    assert_int_equal(json_array_size(other), 0);
    json_decref(other);
    json_decref(page);
    json_decref(rest);
    json_decref(log);
}

static void test_grants(void **state)
{
    struct fixture *f = *state;
    struct err err;
    int64_t id = 0;
    struct exchange_request r = {"client-c",     "社保系统",      "social_insurance",
                                 "name,insured", "benefit_check", "社会保险法"};
    assert_int_equal(exchange_request(f->x, &r, &id, &err), 0);
    /* The provider may narrow, never widen. */
    assert_int_equal(exchange_grant_decide(f->x, 0, id, 1, "employer", 30, 0, &err), -1);
    assert_string_equal(err.code, "exchange.bad_field");
    assert_int_equal(exchange_grant_decide(f->x, 0, id, 1, "name", 0, 0, &err), -1);
    assert_string_equal(err.code, "exchange.bad_days");
    assert_int_equal(exchange_grant_decide(f->x, 0, id, 1, "name", 30, 2, &err), 0);
    assert_int_equal(exchange_grant_decide(f->x, 0, id, 0, NULL, 30, 0, &err), -1);
    assert_int_equal(err.status, 409);
    /* The rate limit: two calls a minute. */
    json_t *out = NULL;
    struct exchange_call call = {
        "client-c", "社保系统", "social_insurance", ZX, NULL, "benefit_check", "RS-1", NULL};
    for (int i = 0; i < 2; i++) {
        assert_int_equal(exchange_read(f->x, &call, &out, &err), 0);
        assert_null(json_object_get(json_object_get(out, "record"), "insured"));
        json_decref(out);
    }
    assert_int_equal(exchange_read(f->x, &call, &out, &err), -1);
    assert_int_equal(err.status, 429);
    /* Shared on no terms: refused at request; an unconditional one: approved at once. */
    struct exchange_request lp = {"client-c", "社保系统",       "legal_person",
                                  NULL,       "employer_check", "社会保险法"};
    assert_int_equal(exchange_request(f->x, &lp, &id, &err), 0);
    json_t *grants = NULL;
    assert_int_equal(exchange_grants(f->x, "client-c", &grants, &err), 0);
    assert_string_equal(json_string_value(json_object_get(json_array_get(grants, 0), "status")),
                        "approved");
    json_decref(grants);
    struct exchange_request nopurpose = lp;
    nopurpose.purpose = "Has Capitals";
    assert_int_equal(exchange_request(f->x, &nopurpose, &id, &err), -1);
    assert_string_equal(err.code, "exchange.bad_purpose");
}

/* Connectors in place of the sandbox: one that times out, one that answers garbage. */
static int timing_out(void *ctx, const char *resource, const char *key, json_t **record,
                      struct err *err)
{
    (void)ctx, (void)resource, (void)key;
    *record = NULL;
    return err_set(err, 504, "exchange.provider_timeout", "no answer in 3 s");
}

static int unknown_everywhere(void *ctx, const char *resource, const char *key, json_t **record,
                              struct err *err)
{
    (void)ctx, (void)resource, (void)key, (void)err;
    *record = NULL;
    return 1;
}

static void test_connectors(void **state)
{
    struct fixture *f = *state;
    struct err err;
    json_t *out = NULL;
    approved_grant(f, "client-d", "population", NULL, "household_check", 100);
    struct exchange_call call = {"client-d", "户籍系统",        "population", ZX,
                                 NULL,       "household_check", "GA-1",       NULL};
    struct exchange_connector slow = {"rest", NULL, timing_out, 1};
    assert_int_equal(exchange_set_connector(f->x, "population", &slow, &err), 0);
    assert_int_equal(exchange_read(f->x, &call, &out, &err), -1);
    assert_int_equal(err.status, 504);
    assert_null(out);
    /* Identity's checks refuse to guess when the register cannot be asked. */
    assert_int_equal(exchange_check_person(f->x, "扎西多吉", ZX, &err), -1);
    /* A complete register without the person: the person does not exist. */
    struct exchange_connector complete = {"rest", NULL, unknown_everywhere, 1};
    assert_int_equal(exchange_set_connector(f->x, "population", &complete, &err), 0);
    assert_int_equal(exchange_check_person(f->x, "扎西多吉", ZX, &err), 1);
    /* Back to the sandbox (incomplete): no record means it cannot say. */
    struct exchange_connector sandbox_like = {"sandbox", NULL, unknown_everywhere, 0};
    assert_int_equal(exchange_set_connector(f->x, "population", &sandbox_like, &err), 0);
    assert_int_equal(exchange_check_person(f->x, "扎西多吉", ZX, &err), 2);
}

static void test_identity_checks(void **state)
{
    struct fixture *f = *state;
    struct err err;
    assert_int_equal(exchange_check_person(f->x, "扎西多吉", ZX, &err), 0);
    assert_int_equal(exchange_check_person(f->x, "扎西", ZX, &err), 1);
    char shop[19] = "92540102MA6T0XY2K";
    /* the demo shop's check character, as demo.c computes it */
    static const char chars[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    static const int w[] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
    int sum = 0;
    for (int i = 0; i < 17; i++)
        sum += (int)(strchr(chars, shop[i]) - chars) * w[i];
    shop[17] = chars[(31 - sum % 31) % 31];
    shop[18] = '\0';
    assert_int_equal(exchange_check_legal_rep(f->x, shop, ZX, &err), 0);
    assert_int_equal(exchange_check_legal_rep(f->x, shop, "11010519491231002X", &err), 1);
    /* Garbage in the register is the provider's failure, not a yes or a no. */
    assert_int_equal(
        exchange_sandbox_put(f->x, "population", "11010519491231002X", "{broken", &err), 0);
    assert_int_equal(exchange_check_person(f->x, "示例", "11010519491231002X", &err), -1);
    assert_string_equal(err.code, "exchange.provider_failed");
    /* A platform read for a case is logged; a malformed case is refused before any read. */
    json_t *rec = NULL;
    assert_int_equal(
        exchange_record_for(f->x, 7, "population", ZX, "form_prefill", "XZ-MZ-001", 0, &rec, &err),
        0);
    assert_string_equal(json_string_value(json_object_get(rec, "household_head")), "扎西多吉");
    json_decref(rec);
    assert_int_equal(
        exchange_record_for(f->x, 7, "population", ZX, "form_prefill", "a b", 0, &rec, &err), -1);
}

int main(void)
{
    id_init(3);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_catalog, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_and_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_grants, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connectors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_identity_checks, setup, teardown),
    };
    return cmocka_run_group_tests_name("exchange", tests, NULL, NULL);
}
