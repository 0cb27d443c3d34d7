/*
 * hotline_demo.c - the demo hotline: categories, routing rules for the demo departments and
 * a few thousand closed orders (mostly Chinese, some Tibetan) written from templates, so
 * that the classifier has something to learn from and the dashboard something to show.
 * Deterministic (a fixed-seed generator); loading twice adds no second set.
 */
#include "hotline/hotline_internal.h"

#include <stdio.h>
#include <string.h>

#include "base/arena.h"
#include "base/id.h"
#include "identity/identity.h"
#include "store/store.h"

static const struct {
    const char *code, *zh, *bo, *en;
} categories[] = {
    {"water", "供水", "ཆུ་འདྲེན།", "Water supply"},
    {"heating", "供暖", "དྲོད་འདྲེན།", "Heating"},
    {"roads", "道路交通", "ལམ་བུ་དང་འགྲིམ་འགྲུལ།", "Roads and transport"},
    {"pension", "养老保险", "རྒས་ཡོལ་འགན་སྲུང་།", "Pensions"},
    {"social_insurance", "医疗保险", "སྨན་བཅོས་འགན་སྲུང་།", "Medical insurance"},
    {"prices", "市场价格", "ཚོང་རའི་རིན་གོང་།", "Market prices"},
    {"food_safety", "食品安全", "ཟས་རིགས་བདེ་འཇགས།", "Food safety"},
    {"noise", "噪声污染", "སྒྲ་གྲགས་སྦག་བཙོག", "Noise"},
    {"hukou", "户籍户口", "ཐེམ་ཐོ།", "Household registration"},
    {"subsidy", "社会救助", "སྤྱི་ཚོགས་སྐྱབས་སྐྱོར།", "Social assistance"},
    {"health", "医疗卫生", "འཕྲོད་བསྟེན།", "Health services"},
    {"land", "土地房产", "ས་ཞིང་དང་ཁང་ཁྱིམ།", "Land and housing"},
};

/* Routing: category, division prefix, department code. */
static const struct {
    const char *cat;
    long long prefix;
    const char *dept;
} routes[] = {
    {"water", 540100000000LL, "ls-zj"},
    {"heating", 540100000000LL, "ls-zj"},
    {"roads", 540100000000LL, "ls-jt"},
    {"pension", 540000000000LL, "xz-rs"},
    {"social_insurance", 540000000000LL, "xz-rs"},
    {"prices", 540000000000LL, "xz-sj"},
    {"prices", 540102000000LL, "cg-sj"},
    {"food_safety", 540000000000LL, "xz-sj"},
    {"food_safety", 540102000000LL, "cg-sj"},
    {"noise", 540100000000LL, "ls-hb"},
    {"hukou", 540000000000LL, "xz-ga"},
    {"hukou", 540100000000LL, "ls-ga"},
    {"hukou", 540102000000LL, "cg-ga"},
    {"subsidy", 540000000000LL, "xz-mz"},
    {"subsidy", 540100000000LL, "ls-mz"},
    {"subsidy", 540102000000LL, "cg-mz"},
    {"health", 540000000000LL, "xz-wj"},
    {"land", 540000000000LL, "xz-zr"},
};

/* Chinese templates per category ("%s" is a place), and Tibetan sentences. */
static const char *const zh_text[][5] = {
    {"%s小区已经停水三天了，没有任何通知，请尽快恢复供水。",
     "%s自来水发黄有异味，不敢饮用，请派人检测水质。", "%s一带水压太低，楼上住户晚上接不到水。",
     "%s的供水管道破裂，路面一直在冒水。", "咨询%s的水费为什么这个月突然涨了很多。"},
    {"%s小区暖气不热，室内温度只有十几度，老人孩子受不了。",
     "%s供暖时间到了还没有通暖气，请问什么时候开始供暖？", "%s暖气片漏水，物业不管，请协调维修。",
     "%s集中供暖收费标准是多少，能否分期缴纳供暖费？", "%s的暖气管道冻裂了，整栋楼都没有暖气。"},
    {"%s路段路面坑洼严重，车辆通行困难，请尽快修补。", "%s的红绿灯坏了好几天，路口交通混乱。",
     "%s公交车班次太少，早晚高峰等车要一个小时。", "%s道路施工没有设置警示标志，存在安全隐患。",
     "建议在%s增设人行横道和减速带。"},
    {"咨询退休后养老金如何领取，我在%s参保。", "我的养老金这个月没有到账，户籍在%s。",
     "城乡居民养老保险在%s怎么补缴？", "养老保险关系从内地转到%s需要什么材料？",
     "%s的老人领取高龄补贴和养老金可以同时吗？"},
    {"医保报销比例是多少，在%s住院能直接结算吗？", "异地就医备案怎么办理，我现在在%s。",
     "%s城乡居民医保今年的缴费标准是多少？", "医保卡丢失了，在%s哪里可以补办？",
     "在%s的药店买药不能刷医保卡。"},
    {"%s市场上的蔬菜价格比上周涨了一倍，是否存在哄抬物价？", "%s的加油站油价高于规定价格。",
     "%s商店不明码标价，结账时多收钱。", "%s停车场收费太高，没有公示收费标准。",
     "%s超市酥油价格异常上涨，请调查。"},
    {"在%s一家餐馆吃饭后拉肚子，怀疑食物不干净。", "%s超市出售过期食品，请查处。",
     "%s的小作坊生产牦牛肉干卫生条件很差。", "%s学校食堂的饭菜质量差，家长很担心。",
     "%s早餐店使用地沟油，请执法部门检查。"},
    {"%s夜间施工噪音太大，影响居民休息。", "%s的酒吧每天放音乐到凌晨两点，严重扰民。",
     "%s广场舞音响声音太大，附近居民无法休息。", "%s工地凌晨还在打桩，噪声扰民。",
     "%s的汽车修理厂噪声和油污影响周边住户。"},
    {"孩子出生后在%s怎么上户口？", "户口迁移到%s需要准备哪些材料？",
     "身份证丢失了，在%s派出所补办需要多长时间？", "%s办理居住证的流程是什么？",
     "户口本上的名字写错了，在%s如何更正？"},
    {"家里生活困难，在%s怎么申请低保？", "%s的困难群众临时救助如何申请？",
     "残疾人两项补贴在%s没有按时发放。", "%s特困人员供养标准是多少？",
     "我的低保在%s被取消了，想了解原因。"},
    {"%s的医院挂号难，排队时间太长。", "%s卫生院没有医生值班，看病不方便。",
     "%s的诊所乱收费，请卫生部门查处。", "孩子在%s打疫苗需要预约吗？",
     "%s医院的医生态度很差，投诉。"},
    {"%s的宅基地纠纷，邻居占用了我家的土地。", "%s的房产证办了两年还没有办下来。",
     "%s拆迁补偿标准不透明，请公开。", "%s有人违法占用耕地建房。", "%s的不动产登记需要多长时间？"},
};

static const char *const bo_text[] = {
    "ང་ཚོའི་ཁྱིམ་དུ་ཉིན་གསུམ་རིང་ཆུ་མི་འདུག",
    "ཁང་པའི་ནང་དྲོད་མི་འདུག་གྲང་མོ་ཆེ།",
    "ལམ་ཁ་ཆག་འདུག་འགྲོ་འོང་དཀའ་ངལ་ཆེ།",
    "རྒས་ཡོལ་གསོ་སྐྱོང་དངུལ་ད་དུང་ལེན་མ་ཐུབ།",
    "སྨན་བཅོས་འགན་སྲུང་གི་འཐུས་སྤྲོད་ཐབས་ཇི་ལྟར་ཡིན།",
    "ཚོང་ཁང་གིས་རིན་གོང་མཐོ་པོ་བཅས་འདུག",
    "ཟ་ཁང་གི་ཟས་གཙང་མ་མི་འདུག",
    "མཚན་མོ་སྒྲ་ཆེན་པོས་གཉིད་ཁུག་མི་ཐུབ།",
    "ཐེམ་ཐོ་སྤོ་སྒྱུར་བྱེད་སྟངས་གང་འདྲ་ཡིན།",
    "དམའ་འཚོ་རོགས་དངུལ་ཞུ་སྟངས་ཇི་ལྟར་ཡིན།",
    "སྨན་ཁང་དུ་སྒུག་དུས་ཡུན་རིང་པོ་རེད།",
    "ས་ཞིང་གི་རྩོད་གཞི་ཐག་གཅོད་གནང་རོགས།",
};

static const struct {
    long long code;
    const char *name;
} places[] = {
    {540102002000LL, "八廓街道"}, {540102003000LL, "吉日街道"},   {540102004000LL, "吉崩岗街道"},
    {540102005000LL, "扎细街道"}, {540102006000LL, "公德林街道"}, {540102007000LL, "嘎玛贡桑街道"},
    {540102008000LL, "两岛街道"}, {540102009000LL, "金珠西路"},   {540102012000LL, "娘热街道"},
    {540103001000LL, "东嘎街道"}, {540103002000LL, "乃琼街道"},   {540103004000LL, "柳梧街道"},
};

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static uint32_t rnd(uint32_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state % n);
}

/* The template with its "%s" replaced by the place. */
static const char *fill(struct arena *a, const char *tmpl, const char *place)
{
    const char *at = strstr(tmpl, "%s");
    if (at == NULL)
        return tmpl;
    return arena_printf(a, "%.*s%s%s", (int)(at - tmpl), tmpl, place, at + 2);
}

/* Knowledge-base articles (once: the demo orders' marker covers both). */
static int demo_kb(struct hotline *h, struct err *err)
{
    static const struct {
        const char *lang, *cat, *title, *body;
    } kb[] = {
        {"zh", "social_insurance", "城乡居民基本医疗保险参保缴费指南",
         "参保对象：未参加职工医保的城乡居民。缴费时间：每年9月至12月集中缴费。缴费方式：社区（村）"
         "代收、"
         "银行网点或手机缴费。新生儿出生后90天内参保的，自出生之日起享受待遇。"},
        {"zh", "hukou", "新生儿户口登记办理流程",
         "办理地点：父母一方户籍所在地派出所。所需材料：出生医学证明、父母双方户口簿和居民身份证、"
         "结婚证。办理时限：材料齐全的当场办结。"},
        {"zh", "water", "停水、水质问题如何反映",
         "突发停水、水压不足或水质异常，可拨打 12345 "
         "或供水企业服务电话报修。计划停水会提前24小时公告。"},
        {"bo", "hukou", "བྱིས་པ་སྐྱེས་རྗེས་ཐེམ་ཐོ་འགོད་སྟངས།",
         "ཕ་མ་གང་རུང་གི་ཐེམ་ཐོ་ཡོད་སའི་སྲུང་སྐྱོང་ཁང་དུ་འགྲོ་དགོས། སྐྱེས་ཚེའི་སྨན་བཅོས་ལག་ཁྱེར་དང་ཕ་མའི་ཐེམ་ཐོ་"
         "ཁྱེར་དགོས།"},
        {"en", "pension", "Collecting a basic pension after retirement",
         "Apply at the social insurance agency of the county where you are insured, with your ID "
         "card and "
         "bank card, in the month before you reach retirement age. Payment starts the month after "
         "approval."},
    };
    for (size_t i = 0; i < sizeof(kb) / sizeof(kb[0]); i++) {
        struct store_conn *kc = store_conn(h->store, err);
        int64_t done = 0;
        int seen = 0;
        if (kc == NULL || store_meta_get_int64(kc, "hotline_demo_orders", &done, &seen, err) < 0)
            return -1;
        if (seen)
            break;
        if (hotline_kb_put(h, 0, 0, kb[i].lang, kb[i].title, kb[i].body, kb[i].cat, 0, NULL, err) <
            0)
            return -1;
    }
    return 0;
}

/* Orders over the last 8 weeks, ~10% in Tibetan, noise complaints rising in the last
 * week (a hot spot). Each goes through the real intake (validation, sealing, numbering,
 * timeline, audit); its handling is then written in one step with times in the past. */
static int demo_order(struct hotline *h, struct arena *a, struct store_conn *c, int i, int64_t now,
                      struct err *err)
{
    size_t ncats = sizeof(categories) / sizeof(categories[0]);
    int64_t day = 24LL * 3600 * 1000;
    size_t k = rnd((uint32_t)ncats);
    int64_t age = (int64_t)rnd(56) * day + (int64_t)rnd((uint32_t)day);
    if (i % 9 == 0) {
        k = 7; /* noise */
        age = (int64_t)rnd(6) * day + (int64_t)rnd((uint32_t)day);
    }
    size_t p = rnd(sizeof(places) / sizeof(places[0]));
    int tibetan = rnd(10) == 0;
    const char *text = tibetan ? bo_text[k] : fill(a, zh_text[k][rnd(5)], places[p].name);
    char division[16], phone[16];
    snprintf(division, sizeof(division), "%012lld", places[p].code);
    snprintf(phone, sizeof(phone), "139%08u", rnd(100000000));
    struct hotline_intake in = {"phone",
                                NULL,
                                division,
                                places[p].name,
                                NULL,
                                NULL,
                                text,
                                NULL,
                                phone,
                                rnd(8) == 0 ? "urgent" : "normal",
                                tibetan ? "bo" : "zh",
                                0,
                                0,
                                0};
    struct hotline_field_errors fe;
    int64_t oid, dept = 0;
    const char *number;
    int r = hotline_order_create(h, a, &in, "demo", &oid, &number, &fe, err);
    if (r != 0) {
        if (r == 1)
            err_set(err, 500, "hotline.demo", "a demo order is invalid: %s", fe.e[0].msg);
        return -1;
    }
    if (hotline_route(h, categories[k].code, places[p].code, &dept, err) < 0)
        return -1;
    static const int levels[10] = {1, 2, 3, 3, 4, 4, 4, 5, 5, 5};
    struct hotline_order before, o;
    if (hotline_order_by_id(h, a, oid, &before, 0, err) < 0)
        return -1;
    memset(&o, 0, sizeof(o));
    o.id = oid;
    o.division_code = before.division_code;
    o.status = HOTLINE_CLOSED;
    o.category = categories[k].code;
    o.department_id = dept;
    o.reply = "已核实并处理，感谢您的反映。";
    o.rating = levels[rnd(10)];
    o.created_at = now - age;
    o.dispatched_at = o.created_at + (int64_t)rnd(4 * 3600) * 1000;
    o.deadline_at = o.dispatched_at + 7 * day;
    o.accepted_at = o.dispatched_at + (int64_t)rnd(3600 * 8) * 1000;
    o.replied_at = o.accepted_at + (int64_t)rnd(8) * day + (int64_t)rnd((uint32_t)day);
    o.closed_at = o.replied_at + day;
    o.updated_at = o.closed_at;
    if (store_begin(c, err) < 0)
        return -1;
    if (hotline_db_demo_finish(c, &o, err) < 0 || hotline_daily_change(c, &before, &o, err) < 0 ||
        hotline_db_event_insert(c, oid, 0, "demo_closed", dept, NULL, err) < 0) {
        store_rollback(c);
        return -1;
    }
    return store_commit(c, err) < 0 ? -1 : 0;
}

int hotline_load_demo(struct hotline *h, int n, int *ncat, int *norders, struct err *err)
{
    *ncat = *norders = 0;
    struct arena *a = arena_new(0);
    if (a == NULL)
        return err_set(err, 500, "hotline.oom", "out of memory");
    int rc = -1;
    size_t ncats = sizeof(categories) / sizeof(categories[0]);
    for (size_t i = 0; i < ncats; i++) {
        if (hotline_category_put(h, 0, categories[i].code, categories[i].zh, categories[i].bo,
                                 categories[i].en, err) < 0)
            goto out;
        (*ncat)++;
    }
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        struct identity_department d;
        if (identity_department_find(h->id, a, routes[i].dept, &d, err) < 0 ||
            hotline_route_put(h, 0, routes[i].cat, routes[i].prefix, d.id, err) < 0)
            goto out;
    }
    if (demo_kb(h, err) < 0)
        goto out;
    struct store_conn *c = store_conn(h->store, err);
    int64_t have = 0;
    int found = 0;
    if (c == NULL || store_meta_get_int64(c, "hotline_demo_orders", &have, &found, err) < 0)
        goto out;
    if (found && have > 0) {
        rc = 0;
        goto out;
    }
    int64_t now = time_now_ms();
    for (int i = 0; i < n; i++) {
        if (demo_order(h, a, c, i, now, err) < 0)
            goto out;
        (*norders)++;
    }
    if (store_meta_set_int64(c, "hotline_demo_orders", *norders, err) < 0)
        goto out;
    rc = 0;
out:
    arena_free(a);
    return rc;
}
