/*
 * opendata_cli.c - `onewindow opendata ...`:
 *   refresh            rebuild the platform datasets now
 *   key NAME QUOTA     create an API key for a heavy user (printed once)
 *   bench-fill N       add N synthetic datasets (for bench/: the catalog at scale)
 */
#include "opendata/opendata_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "crypto/crypto.h"
#include "identity/identity.h"

static int bench_fill(struct opendata *od, long n, struct err *err)
{
    static const char *const themes[] = {"GOVE", "ECON", "SOCI", "REGI", "HEAL", "EDUC"};
    static const char csv[] = "year,county_code,value\r\n2025,540102000000,1\r\n"
                              "2025,540103000000,2\r\n";
    for (long i = 0; i < n; i++) {
        char slug[32], zh[64], bo[128], en[64];
        snprintf(slug, sizeof(slug), "bench-%06ld", i);
        snprintf(zh, sizeof(zh), "测试数据集 %ld", i);
        snprintf(bo, sizeof(bo), "ཚོད་ལྟའི་གཞི་གྲངས་ཚོགས། %ld", i);
        snprintf(en, sizeof(en), "Test dataset %ld", i);
        json_t *meta = json_pack("{s:s, s:{s:s, s:s, s:s}, s:{s:s, s:s, s:s}, s:{s:s, s:s}, "
                                 "s:s, s:[s], s:s, s:s}",
                                 "slug", slug, "title", "zh", zh, "bo", bo, "en", en, "description",
                                 "zh", "用于性能测试的数据集。", "bo", "ལས་ནུས་ཚོད་ལྟའི་ཆེད་དུ།", "en",
                                 "A dataset for benchmarks.", "keywords", "zh", "测试, 性能", "en",
                                 "test, bench", "licence", "CC-BY-4.0", "themes", themes[i % 6],
                                 "frequency", "ANNUAL", "spatial", "540100000000");
        int rc = meta ? od_put_platform(od, meta, csv, sizeof(csv) - 1, err) : -1;
        json_decref(meta);
        if (rc < 0)
            return meta ? -1 : err_set(err, 500, "opendata.oom", "out of memory");
    }
    return 0;
}

int opendata_cli(struct opendata *od, int argc, char **argv, struct err *err)
{
    if (argc >= 1 && strcmp(argv[0], "refresh") == 0) {
        int n = 0;
        if (opendata_refresh(od, &n, err) < 0)
            return -1;
        printf("open data: %d platform dataset(s) refreshed\n", n);
        return 0;
    }
    if (argc == 3 && strcmp(argv[0], "key") == 0) {
        char key[48];
        char *end = NULL;
        long long quota = strtoll(argv[2], &end, 10);
        if (end == argv[2] || *end || quota <= 0)
            return err_usage(err, "opendata.bad_quota", "QUOTA must be a positive number");
        if (opendata_key_create(od, argv[1], quota, key, err) < 0)
            return -1;
        printf("API key for %s (%lld calls a day; shown once): %s\n", argv[1], quota, key);
        crypto_wipe(key, sizeof(key));
        return 0;
    }
    if (argc == 2 && strcmp(argv[0], "bench-fill") == 0) {
        char *end = NULL;
        long n = strtol(argv[1], &end, 10);
        if (end == argv[1] || *end || n <= 0 || n > 100000)
            return err_usage(err, "opendata.bad_count", "N must be 1..100000");
        if (bench_fill(od, n, err) < 0)
            return -1;
        printf("open data: %ld synthetic dataset(s) added\n", n);
        return 0;
    }
    return err_usage(err, "opendata.usage",
                     "usage: onewindow opendata refresh | key NAME QUOTA | bench-fill N");
}

/* Marriage registrations of Chengguan by month: counts only. */
static const char DEMO_MARRIAGE[] =
    "month,marriages,divorces,remarriages\r\n"
    "2026-01,212,41,9\r\n2026-02,305,22,11\r\n2026-03,188,37,7\r\n2026-04,176,35,8\r\n"
    "2026-05,241,39,10\r\n2026-06,198,33,6\r\n2026-07,167,30,5\r\n2026-08,189,36,9\r\n"
    "2026-09,230,40,12\r\n2026-10,276,28,10\r\n2026-11,201,34,8\r\n";
static const char DEMO_HOMES[] = "name,township_code,beds\r\n"
                                 "城关区社会福利院,540102002000,120\r\n"
                                 "吉日街道日间照料中心,540102001000,30\r\n";

int opendata_load_demo(struct opendata *od, struct err *err)
{
    int n = 0;
    if (opendata_refresh(od, &n, err) < 0)
        return -1;
    struct arena *a = arena_new(0);
    struct identity_department d;
    int rc = -1;
    if (a == NULL)
        return err_set(err, 500, "opendata.oom", "out of memory");
    if (identity_department_find(od->id, a, "cg-mz", &d, err) < 0)
        goto out;
    json_t *m1 = json_pack(
        "{s:s, s:{s:s, s:s, s:s}, s:{s:s, s:s, s:s}, s:{s:s, s:s, s:s}, s:s, s:[s], s:s, s:s, "
        "s:s, s:s}",
        "slug", "chengguan-marriage-registrations", "title", "zh", "城关区婚姻登记统计（按月）",
        "bo", "ཁྲིན་ཀོན་ཆུས་ཀྱི་གཉེན་སྒྲིག་ཐོ་འགོད་བསྡོམས་རྩིས། (ཟླ་རེ།)", "en",
        "Marriage registrations in Chengguan by month", "description", "zh",
        "城关区民政局每月办理的结婚、离婚和复婚登记数量。", "bo",
        "ཁྲིན་ཀོན་ཆུས་དམངས་སྲིད་ཅུས་ཀྱིས་ཟླ་རེར་སྒྲུབ་པའི་གཉེན་སྒྲིག་དང་གཉེན་བྲལ། ཡང་བསྐྱར་གཉེན་སྒྲིག་གི་ཐོ་འགོད་ཀྱི་གྲངས།", "en",
        "Marriage, divorce and remarriage registrations handled each month by the Chengguan "
        "civil affairs bureau.",
        "keywords", "zh", "婚姻登记, 结婚, 离婚", "bo", "གཉེན་སྒྲིག་ཐོ་འགོད།, གཉེན་བྲལ།", "en",
        "marriage registration, divorce", "licence", "CC-BY-4.0", "themes", "SOCI", "frequency",
        "MONTHLY", "spatial", "540102000000", "temporal_start", "2026-01-01", "temporal_end",
        "2026-11-30");
    json_t *m2 =
        json_pack("{s:s, s:{s:s, s:s}, s:{s:s}, s:[s], s:s, s:s}", "slug", "chengguan-care-homes",
                  "title", "zh", "城关区养老服务机构名录", "en", "Care homes in Chengguan",
                  "description", "zh", "城关区养老服务机构的名称、所在街道和床位数。", "themes",
                  "SOCI", "frequency", "ANNUAL", "spatial", "540102000000");
    json_t *problems = json_array();
    if (m1 == NULL || m2 == NULL || problems == NULL) {
        err_set(err, 500, "opendata.oom", "out of memory");
        goto done;
    }
    if (od_put_department(od, d.id, m1, DEMO_MARRIAGE, sizeof(DEMO_MARRIAGE) - 1, 1, problems,
                          err) != 0 ||
        od_put_department(od, d.id, m2, DEMO_HOMES, sizeof(DEMO_HOMES) - 1, 0, problems, err) !=
            0) {
        if (json_array_size(problems) > 0)
            err_set(err, 500, "opendata.demo_invalid", "a demo dataset is invalid");
        goto done;
    }
    printf("demo: open data with %d platform dataset(s) and 2 of cg-mz\n", n);
    rc = 0;
done:
    json_decref(problems);
    json_decref(m1);
    json_decref(m2);
out:
    arena_free(a);
    return rc;
}
