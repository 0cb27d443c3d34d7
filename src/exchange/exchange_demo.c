/*
 * exchange_demo.c - the sandbox registers' demo records, consistent with the demo accounts
 * of src/app/demo.c: the citizen 扎西多吉 (540102199001011233) in the population, marriage and
 * social insurance registers, his shop in the legal person register with him as legal
 * representative, and his fiancée 卓玛, so that the marriage application can be filled
 * from registers. Loading twice changes nothing.
 */
#include "exchange/exchange_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "identity/idcodes.h"
#include "store/store.h"

static int put(struct exchange *x, const char *resource, const char *subject, json_t *rec, int *n,
               struct err *err)
{
    char *text = json_dumps(rec, JSON_COMPACT);
    json_decref(rec);
    if (text == NULL)
        return err_set(err, 500, "exchange.oom", "out of memory");
    int rc = exchange_sandbox_put(x, resource, subject, text, err);
    free(text);
    *n += rc == 0;
    return rc;
}

int exchange_load_demo(struct exchange *x, int *records, struct err *err)
{
    const char *zx = "540102199001011233";
    char dm[IDCODE_LEN + 1] = "54010219920315002";
    char shop[IDCODE_LEN + 1] = "92540102MA6T0XY2K";
    int n = 0;
    dm[17] = idcode_citizen_check(dm);
    shop[17] = idcode_uscc_check(shop);
    dm[18] = shop[18] = '\0';
    struct store_conn *c = store_conn(x->store, err);
    if (c == NULL || store_begin(c, err) < 0)
        return -1;
    const char *addr = "西藏自治区拉萨市城关区八廓街道";
    if (put(x, "population", zx,
            json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "name", "扎西多吉", "id_number",
                      zx, "sex", "male", "ethnicity", "藏族", "birth_date", "1990-01-01",
                      "household_address", addr, "household_head", "扎西多吉", "marital_status",
                      "unmarried"),
            &n, err) < 0 ||
        put(x, "population", dm,
            json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "name", "卓玛", "id_number", dm,
                      "sex", "female", "ethnicity", "藏族", "birth_date", "1992-03-15",
                      "household_address", "西藏自治区拉萨市城关区吉日街道", "household_head",
                      "次旺", "marital_status", "unmarried"),
            &n, err) < 0 ||
        put(x, "marriage", zx,
            json_pack("{s:s, s:s, s:s}", "name", "扎西多吉", "id_number", zx, "status",
                      "unmarried"),
            &n, err) < 0 ||
        put(x, "marriage", dm,
            json_pack("{s:s, s:s, s:s}", "name", "卓玛", "id_number", dm, "status", "unmarried"),
            &n, err) < 0 ||
        put(x, "social_insurance", zx,
            json_pack("{s:s, s:s, s:b, s:s, s:i}", "name", "扎西多吉", "id_number", zx, "insured",
                      1, "employer", "拉萨市城关区雪域电器经营部", "months_paid", 96),
            &n, err) < 0 ||
        put(x, "legal_person", shop,
            json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "uscc", shop, "name",
                      "拉萨市城关区雪域电器经营部", "legal_rep_name", "扎西多吉",
                      "legal_rep_id_number", zx, "status", "active", "registered_at", "2018-06-01"),
            &n, err) < 0 ||
        store_commit(c, err) < 0) {
        store_rollback(c);
        return -1;
    }
    if (records)
        *records = n;
    return 0;
}
