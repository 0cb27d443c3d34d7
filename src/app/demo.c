/*
 * demo.c - `onewindow demo`: the demo region, so that a newcomer can walk every journey
 * with the accounts README.md lists. Real divisions of Xizang; departments at region,
 * prefecture, county and township level; staff with a documented password and TOTP
 * secret (demo only: anyone who reads the README can log in as them); a citizen.
 * Loading twice changes nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "agent/agent.h"
#include "apply/apply.h"
#include "base/arena.h"
#include "base/id.h"
#include "catalog/catalog.h"
#include "divisions/divisions.h"
#include "exchange/exchange.h"
#include "hotline/hotline.h"
#include "policy/policy.h"
#include "identity/identity.h"
#include "certs/certs.h"
#include "crypto/crypto.h"
#include "opendata/opendata.h"
#include "oversight/oversight.h"
#include "portal/portal.h"
#include "seals/seals.h"
#include "store/store.h"

/* Documented in README.md, "Demo data". */
#define DEMO_PASSWORD "Demo-2026-xz"
#define DEMO_TOTP_SECRET "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

static const struct {
    const char *code, *zh, *bo, *en;
    long long division;
} departments[] = {
    {"xz-ga", "西藏自治区公安厅", "བོད་རང་སྐྱོང་ལྗོངས་སྤྱི་བདེ་ཐིང་།", "Public Security Department of Xizang",
     540000000000LL},
    {"xz-mz", "西藏自治区民政厅", "བོད་རང་སྐྱོང་ལྗོངས་དམངས་སྲིད་ཐིང་།", "Civil Affairs Department of Xizang",
     540000000000LL},
    {"xz-rs", "西藏自治区人力资源和社会保障厅", "བོད་རང་སྐྱོང་ལྗོངས་མི་ཤུགས་ཐོན་ཁུངས་དང་སྤྱི་ཚོགས་འགན་སྲུང་ཐིང་།",
     "Human Resources and Social Security Department of Xizang", 540000000000LL},
    {"xz-sj", "西藏自治区市场监督管理局", "བོད་རང་སྐྱོང་ལྗོངས་ཚོང་ར་ལྟ་སྐུལ་དོ་དམ་ཅུས།",
     "Market Regulation Administration of Xizang", 540000000000LL},
    {"xz-wj", "西藏自治区卫生健康委员会", "བོད་རང་སྐྱོང་ལྗོངས་འཕྲོད་བསྟེན་བདེ་ཐང་ཨུ་ཡོན་ལྷན་ཁང་།",
     "Health Commission of Xizang", 540000000000LL},
    {"xz-zr", "西藏自治区自然资源厅", "བོད་རང་སྐྱོང་ལྗོངས་རང་བྱུང་ཐོན་ཁུངས་ཐིང་།",
     "Natural Resources Department of Xizang", 540000000000LL},
    {"xz-12345", "西藏自治区12345政务服务便民热线中心",
     "བོད་རང་སྐྱོང་ལྗོངས་ 12345 གཞུང་དོན་ཞབས་ཞུ་མང་ཚོགས་ཁ་པར་ལྟེ་གནས།", "Xizang 12345 Hotline Centre",
     540000000000LL},
    /* 效能督查 (src/oversight): the region's and Lhasa's supervision offices. */
    {"xz-dc", "西藏自治区人民政府督查室", "བོད་རང་སྐྱོང་ལྗོངས་མི་དམངས་སྲིད་གཞུང་གི་ལྟ་ཞིབ་ཁང་།",
     "Supervision Office of the Xizang Government", 540000000000LL},
    {"ls-dc", "拉萨市人民政府督查室", "ལྷ་ས་གྲོང་ཁྱེར་མི་དམངས་སྲིད་གཞུང་གི་ལྟ་ཞིབ་ཁང་།",
     "Supervision Office of the Lhasa Government", 540100000000LL},
    {"ls-ga", "拉萨市公安局", "ལྷ་ས་གྲོང་ཁྱེར་སྤྱི་བདེ་ཅུས།", "Lhasa Public Security Bureau", 540100000000LL},
    {"ls-mz", "拉萨市民政局", "ལྷ་ས་གྲོང་ཁྱེར་དམངས་སྲིད་ཅུས།", "Lhasa Civil Affairs Bureau",
     540100000000LL},
    {"cg-mz", "拉萨市城关区民政局", "ལྷ་ས་གྲོང་ཁྱེར་ཁྲིན་ཀོན་ཆུས་དམངས་སྲིད་ཅུས།",
     "Chengguan District Civil Affairs Bureau", 540102000000LL},
    {"cg-ga", "拉萨市公安局城关分局", "ལྷ་ས་གྲོང་ཁྱེར་སྤྱི་བདེ་ཅུས་ཁྲིན་ཀོན་ཡན་ལག་ཅུས།",
     "Chengguan Public Security Sub-bureau", 540102000000LL},
    {"bk-bsc", "城关区八廓街道便民服务中心", "ཁྲིན་ཀོན་ཆུས་བར་སྐོར་ཁྲོམ་ལམ་མང་ཚོགས་ཞབས་ཞུ་ལྟེ་གནས།",
     "Barkhor Sub-district Service Centre", 540102002000LL},
    /* Departments the 12345 hotline dispatches to (routing rules in src/hotline/). */
    {"ls-zj", "拉萨市住房和城乡建设局", "ལྷ་ས་གྲོང་ཁྱེར་སྡོད་ཁང་དང་གྲོང་ཁྱེར་གྲོང་གསེབ་འཛུགས་སྐྲུན་ཅུས།",
     "Lhasa Housing and Urban-Rural Development Bureau", 540100000000LL},
    {"ls-jt", "拉萨市交通运输局", "ལྷ་ས་གྲོང་ཁྱེར་འགྲིམ་འགྲུལ་སྐྱེལ་འདྲེན་ཅུས།", "Lhasa Transport Bureau",
     540100000000LL},
    {"ls-hb", "拉萨市生态环境局", "ལྷ་ས་གྲོང་ཁྱེར་སྐྱེ་ཁམས་ཁོར་ཡུག་ཅུས།",
     "Lhasa Ecology and Environment Bureau", 540100000000LL},
    /* Departments the demo catalog's items are handled by (data/catalog/demo.json). */
    {"ls-sj", "拉萨市市场监督管理局", "ལྷ་ས་གྲོང་ཁྱེར་ཚོང་ར་ལྟ་སྐུལ་དོ་དམ་ཅུས།",
     "Lhasa Market Regulation Administration", 540100000000LL},
    {"ls-zr", "拉萨市自然资源局", "ལྷ་ས་གྲོང་ཁྱེར་རང་བྱུང་ཐོན་ཁུངས་ཅུས།", "Lhasa Natural Resources Bureau",
     540100000000LL},
    {"cg-rs", "拉萨市城关区人力资源和社会保障局",
     "ལྷ་ས་གྲོང་ཁྱེར་ཁྲིན་ཀོན་ཆུས་མི་ཤུགས་ཐོན་ཁུངས་དང་སྤྱི་ཚོགས་འགན་སྲུང་ཅུས།",
     "Chengguan District Human Resources and Social Security Bureau", 540102000000LL},
    {"cg-sj", "拉萨市城关区市场监督管理局", "ལྷ་ས་གྲོང་ཁྱེར་ཁྲིན་ཀོན་ཆུས་ཚོང་ར་ལྟ་སྐུལ་དོ་དམ་ཅུས།",
     "Chengguan District Market Regulation Bureau", 540102000000LL},
    /* The finance department: its seal signs the fiscal receipts of payments (src/pay). */
    {"xz-cz", "西藏自治区财政厅", "བོད་རང་སྐྱོང་ལྗོངས་དངུལ་རྩིས་ཐིང་།", "Finance Department of Xizang",
     540000000000LL},
    {"cg-wj", "拉萨市城关区卫生健康委员会", "ལྷ་ས་གྲོང་ཁྱེར་ཁྲིན་ཀོན་ཆུས་འཕྲོད་བསྟེན་བདེ་ཐང་ཨུ་ཡོན་ལྷན་ཁང་།",
     "Chengguan District Health Commission", 540102000000LL},
};

static const struct {
    const char *username, *name, *dept;
    int role;
} staff[] = {
    {"clerk.bakuo", "次仁卓玛", "bk-bsc", ROLE_CLERK},
    {"clerk.chengguan", "格桑", "cg-mz", ROLE_CLERK},
    {"reviewer.chengguan", "扎西", "cg-mz", ROLE_REVIEWER},
    {"head.chengguan", "尼玛", "cg-mz", ROLE_HEAD},
    {"clerk.lhasa", "王芳", "ls-mz", ROLE_CLERK},
    {"reviewer.lhasa", "李强", "ls-mz", ROLE_REVIEWER},
    {"reviewer.xz", "张伟", "xz-mz", ROLE_REVIEWER},
    {"hotline.xz", "德吉", "xz-12345", ROLE_HOTLINE_AGENT},
    {"auditor.xz", "央金", "platform", ROLE_AUDITOR},
    {"clerk.water", "卓嘎", "ls-zj", ROLE_CLERK},
    {"head.water", "边巴", "ls-zj", ROLE_HEAD},
    {"catalog.xz", "拉巴", "platform", ROLE_ADMIN},
    /* Exit-entry window of the Lhasa police: passports, their fees and refunds (src/pay). */
    {"clerk.ga", "普布", "ls-ga", ROLE_CLERK},
    {"supervisor.xz", "次旦", "xz-dc", ROLE_SUPERVISOR},
    {"supervisor.lhasa", "普布", "ls-dc", ROLE_SUPERVISOR},
    /* 三权分立: grants roles (src/oversight/oversight_roles.c); catalog.xz manages accounts,
     * auditor.xz reads the audit log. */
    {"security.xz", "旺堆", "platform", ROLE_SECURITY_ADMIN},
};

/* A consent from the citizen with ID number `from` to the one with `to`, once. */
static int demo_agent_consent(struct app *app, const char *from, const char *to, struct err *err)
{
    int64_t from_id;
    struct arena *a = arena_new(0);
    struct agent_consent *list = NULL;
    size_t n = 0;
    int rc = -1;
    if (a == NULL || identity_account_find_id_number(app->id, from, &from_id, err) < 0 ||
        agent_consents_list(app->agent, a, from_id, 0, &list, &n, err) < 0)
        goto out;
    rc = 0;
    if (n == 0) {
        json_t *problems = json_array();
        int64_t id;
        struct agent_grant g = {to, "XZ-RS-003", "365"};
        rc = agent_consent_grant(app->agent, from_id, &g, "demo", &id, problems, err);
        if (rc == 1)
            rc = err_set(err, 500, "app.demo", "the demo consent is invalid");
        else if (rc == 0)
            printf("demo: a consent for an agent (帮办代办)\n");
        json_decref(problems);
    }
out:
    arena_free(a);
    return rc;
}

/* Certificate types, a certificate seal for the departments that issue them, and the demo
 * citizen's resident ID card as an e-certificate (so that 免提交 can be shown). */
static int demo_certs(struct app *app, int64_t citizen_id, const struct identity_registration *cz,
                      struct err *err)
{
    static const char *const issuers[] = {"xz-mz", "ls-mz", "cg-mz", "xz-ga",
                                          "ls-ga", "cg-ga", "xz-cz"};
    int types = 0, seals = 0, issued = 0;
    if (seals_root_ensure(app->store, app->kr, err) < 0 ||
        certs_types_load_demo(app->store, &types, err) < 0)
        return -1;
    struct arena *a = arena_new(0);
    if (a == NULL)
        return err_set(err, 500, "app.oom", "out of memory");
    int64_t now = time_now_ms(), ga_id = 0;
    for (size_t i = 0; i < sizeof(issuers) / sizeof(issuers[0]); i++) {
        struct identity_department d;
        struct err e;
        int64_t seal_id;
        if (identity_department_find(app->id, a, issuers[i], &d, &e) < 0)
            continue;
        if (strcmp(issuers[i], "ls-ga") == 0)
            ga_id = d.id;
        if (seals_find_active(app->store, d.id, SEALS_TYPE_CERT, now, &seal_id, &e) == 0)
            continue;
        struct seals_make_req r = {d.id,         SEALS_TYPE_CERT,
                                   "证照专用章", d.name_zh,
                                   now - 60000,  now + 5 * 365LL * 86400000,
                                   NULL,         0};
        if (seals_make(app->store, app->kr, 0, &r, &seal_id, err) < 0) {
            arena_free(a);
            return -1;
        }
        seals++;
    }
    arena_free(a);
    json_t *have = NULL;
    if (certs_wallet(app->store, citizen_id, "ID_CARD", &have, err) < 0)
        return -1;
    if (json_array_size(have) == 0 && ga_id != 0) {
        json_t *data =
            json_pack("{s:s, s:s, s:s, s:s, s:s}", "name", cz->name, "sex", "男", "ethnicity",
                      "藏族", "birth_date", "1990-01-01", "address", "西藏自治区拉萨市城关区");
        struct certs_issue_req r = {"ID_CARD", citizen_id, cz->name, cz->id_number,
                                    ga_id,     data,       "demo",   0};
        char idf[CERTS_ID_SIZE];
        int rc = certs_issue(app->certs, &r, 0, idf, err);
        json_decref(data);
        if (rc < 0) {
            json_decref(have);
            return -1;
        }
        issued++;
    }
    json_decref(have);
    printf("demo: %d certificate type(s), %d seal(s) made, %d certificate(s) issued\n", types,
           seals, issued);
    return 0;
}

/* 效能督查's demo (issue 15): a marriage registration the Chengguan clerk filed at the
 * window for a walk-in couple (帮办代办; no platform account, so no citizen's list or inbox
 * changes), waiting for acceptance and two days past its due time, so that the regional
 * supervisor sees an overdue case on the dashboard at first start. Once (idempotency key). */
static int demo_overdue(struct app *app, struct err *err)
{
    static const char pdf[] = "%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";
    struct authz_subject subj;
    int64_t clerk = 0;
    if (identity_account_find_username(app->id, "clerk.chengguan", &clerk, err) < 0 ||
        identity_subject_load(app->id, clerk, 2, &subj, err) < 0)
        return -1;
    int64_t now = time_now_ms();
    char date[16];
    int day = oversight_day_of(now + 30LL * 86400000);
    snprintf(date, sizeof(date), "%04d-%02d-%02d", day / 10000, day / 100 % 100, day % 100);
    json_t *values =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "male_name", "次仁多吉", "male_id",
                  "540102198808080032", "female_name", "卓玛", "female_id", "540102199202030027",
                  "appointment_date", date, "phone", "13800000001", "declaration", "on");
    const struct apply_upload files[] = {
        {"id_card", "id_card.pdf", pdf, sizeof(pdf) - 1},
        {"household_register", "household_register.pdf", pdf, sizeof(pdf) - 1},
    };
    struct apply_request rq = {.subj = &subj,
                               .item_code = "XZ-MZ-001",
                               .values = values,
                               .division_code = 540102000000LL,
                               .walkin_id_number = "540102198808080032",
                               .walkin_name = "次仁多吉",
                               .walkin_lang = "zh",
                               .idem_key = "demo-oversight-overdue",
                               .lang = "zh",
                               .files = files,
                               .nfiles = 2,
                               .form_key = "item:XZ-MZ-001",
                               .session_key = "demo"};
    char number[32] = "";
    json_t *problems = json_array();
    int rc = apply_submit(app->apply, &rq, number, problems, err);
    if (rc == 1) {
        char *p = json_dumps(problems, JSON_COMPACT);
        err_set(err, 500, "app.demo", "the demo overdue case is invalid: %s", p ? p : "?");
        free(p);
        rc = -1;
    }
    json_decref(problems);
    json_decref(values);
    int64_t due = now - 2LL * 86400000;
    if (rc < 0 || apply_demo_due(app->apply, number, due, err) < 0 ||
        oversight_demo_due(app->oversight, number, due, err) < 0)
        return -1;
    printf("demo: %s at Chengguan civil affairs is overdue (for the supervisors)\n", number);
    return 0;
}

int app_demo_totp(FILE *out)
{
    unsigned char secret[CRYPTO_TOTP_SECRET_LEN];
    size_t n = 0;
    char code[CRYPTO_TOTP_DIGITS + 1];
    int64_t now = time_now_ms() / 1000;
    int rc = -1;
    if (crypto_totp_secret_decode(DEMO_TOTP_SECRET, secret, sizeof(secret), &n) < 0 ||
        crypto_totp_code(secret, n, now, CRYPTO_TOTP_DIGITS, code) < 0) {
        fprintf(stderr, "onewindow: cannot compute the demo TOTP code\n");
        goto out;
    }
    fprintf(out, "%s  (the demo staff's second-factor code; valid for %lld more seconds)\n", code,
            (long long)(CRYPTO_TOTP_PERIOD - now % CRYPTO_TOTP_PERIOD));
    rc = 0;
out:
    crypto_wipe(secret, sizeof(secret));
    return rc;
}

int app_load_demo(struct app *app, struct err *err)
{
    int inserted = 0, depts = 0, people = 0, rc = -1;
    struct arena *a = arena_new(0);
    if (a == NULL)
        return err_set(err, 500, "app.oom", "out of memory");
    if (divisions_load_reference(app->store, &inserted, err) < 0)
        goto out;
    for (size_t i = 0; i < sizeof(departments) / sizeof(departments[0]); i++) {
        struct identity_department d;
        struct err e;
        if (identity_department_find(app->id, a, departments[i].code, &d, &e) == 0)
            continue;
        if (identity_department_create(app->id, 0, NULL, departments[i].code, departments[i].zh,
                                       departments[i].bo, departments[i].en,
                                       departments[i].division, NULL, err) < 0)
            goto out;
        depts++;
    }
    for (size_t i = 0; i < sizeof(staff) / sizeof(staff[0]); i++) {
        int64_t account_id;
        struct err e;
        struct identity_department d;
        if (identity_account_find_username(app->id, staff[i].username, &account_id, &e) == 0)
            continue;
        if (identity_department_find(app->id, a, staff[i].dept, &d, err) < 0 ||
            identity_staff_create(app->id, 0, NULL, staff[i].username, staff[i].name, DEMO_PASSWORD,
                                  &account_id, err) < 0 ||
            identity_totp_install(app->id, 0, account_id, DEMO_TOTP_SECRET, err) < 0 ||
            identity_grant(app->id, 0, NULL, account_id, d.id, staff[i].role, err) < 0)
            goto out;
        people++;
    }
    /* The sandbox registers behind the data exchange hold the demo people (issue 13): first,
     * since registration checks the citizen against the population register. */
    if (exchange_load_demo(app->exchange, NULL, err) < 0)
        goto out;
    /* A citizen of Lhasa: log in with the ID number or the phone. */
    struct identity_registration citizen = {"扎西多吉",    "540102199001011233", "13800000001",
                                            DEMO_PASSWORD, DEMO_PASSWORD,        "zh"};
    struct identity_field_errors fe;
    int64_t citizen_id;
    int r = identity_register_citizen(app->id, &citizen, "demo", &citizen_id, &fe, err);
    if (r < 0)
        goto out;
    if (r == 0)
        people++;
    else if (fe.n != 1 || strcmp(fe.e[0].code, "identity.id_taken") != 0) {
        err_set(err, 500, "app.demo", "the demo citizen is invalid: %s", fe.e[0].msg);
        goto out;
    }
    /* 免申即享's demo (src/benefits): 次仁, 84, of Chengguan, who reads Tibetan; `onewindow
     * benefits run` finds the elderly allowance for him. */
    struct identity_registration elder = {"次仁",        "540102194203152015", "13800000002",
                                          DEMO_PASSWORD, DEMO_PASSWORD,        "bo"};
    int64_t elder_id;
    r = identity_register_citizen(app->id, &elder, "demo", &elder_id, &fe, err);
    if (r < 0)
        goto out;
    people += r == 0;
    /* His shop, an individual business (GB 32100: department 9, category 2, Chengguan
     * 540102); the check character is computed, as a real code's is. */
    if (identity_account_find_id_number(app->id, citizen.id_number, &citizen_id, err) < 0)
        goto out;
    char uscc[IDCODE_LEN + 1] = "92540102MA6T0XY2K";
    uscc[17] = idcode_uscc_check(uscc);
    struct identity_enterprise_registration shop = {uscc, "拉萨市城关区雪域电器经营部", "扎西多吉",
                                                    "legal_rep"};
    int64_t shop_id;
    r = identity_enterprise_register(app->id, citizen_id, &shop, "demo", &shop_id, &fe, err);
    if (r < 0)
        goto out;
    if (r == 1 && (fe.n != 1 || strcmp(fe.e[0].code, "identity.uscc_taken") != 0)) {
        err_set(err, 500, "app.demo", "the demo enterprise is invalid: %s", fe.e[0].msg);
        goto out;
    }
    if (demo_certs(app, citizen_id, &citizen, err) < 0)
        goto out;
    int items_created = 0, items_updated = 0;
    if (catalog_load_demo(app->catalog, &items_created, &items_updated, err) < 0)
        goto out;
    /* 帮办代办 (issue 13 item 8): 次仁, 84, lets 扎西多吉 file his pension claim for him. */
    if (demo_agent_consent(app, elder.id_number, citizen.id_number, err) < 0)
        goto out;
    /* The hotline: categories, routing rules and closed orders to train the classifier. */
    int hl_categories = 0, hl_orders = 0;
    if (hotline_load_demo(app->hotline, 2400, &hl_categories, &hl_orders, err) < 0)
        goto out;
    if (hl_orders > 0)
        printf("demo: hotline with %d categories and %d closed orders\n", hl_categories, hl_orders);
    /* The region's policies (data/policies/) and the guides as Q&A passages. */
    int policies = 0, guides = 0;
    if (policy_load_demo(app->policy, &policies, err) < 0 ||
        policy_index_guides(app->policy, &guides, err) < 0)
        goto out;
    printf("demo: %d policies, %d guide passages for Q&A\n", policies, guides);
    if (portal_mark_demo(app->store, err) < 0 || demo_overdue(app, err) < 0)
        goto out;
    if (opendata_load_demo(app->opendata, err) < 0)
        goto out;
    printf("demo: %d division(s), %d department(s) and %d account(s) added, %d catalog "
           "entr(ies) added and %d updated (accounts and passwords: README.md, \"Demo data\")\n",
           inserted, depts, people, items_created, items_updated);
    rc = 0;
out:
    arena_free(a);
    return rc;
}
