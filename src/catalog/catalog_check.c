/*
 * catalog_check.c - validation of an item document and of a bundle (module contract §1,
 * docs/ARCHITECTURE.md): every problem is collected, with its JSON path, a stable code and an
 * English sentence, so an administrator or an import sees all of them at once.
 * catalog_item_check_draft is the shape; catalog_item_check adds what publication needs in Tibetan
 * (catalog_lang.c).
 */
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/utf8.h"
#include "catalog/catalog_internal.h"

/* ---- problem collection ------------------------------------------------------------------ */

struct chk {
    json_t *problems;
    int n;
};

static void problem(struct chk *k, const char *path, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void problem(struct chk *k, const char *path, const char *code, const char *fmt, ...)
{
    char msg[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    k->n++;
    if (k->problems != NULL && json_array_size(k->problems) < 500)
        json_array_append_new(
            k->problems, json_pack("{s:s, s:s, s:s}", "path", path, "code", code, "message", msg));
}

/* path + "." + key (or "[i]"), truncated to fit. */
static const char *sub(char *buf, size_t n, const char *path, const char *key)
{
    size_t a = strlen(path), b = strlen(key);
    if (a > n - 1)
        a = n - 1;
    memcpy(buf, path, a);
    if (a + 1 < n)
        buf[a++] = '.';
    if (b > n - 1 - a)
        b = n - 1 - a;
    memcpy(buf + a, key, b);
    buf[a + b] = '\0';
    return buf;
}

static const char *idx(char *buf, size_t n, const char *path, size_t i)
{
    char tail[32];
    size_t a = strlen(path), b = (size_t)snprintf(tail, sizeof tail, "[%zu]", i);
    if (a > n - 1)
        a = n - 1;
    memcpy(buf, path, a);
    if (b > n - 1 - a)
        b = n - 1 - a;
    memcpy(buf + a, tail, b);
    buf[a + b] = '\0';
    return buf;
}

static size_t utf8_chars(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            c++;
    return c;
}

static int in_list(const char *s, const char *const *list)
{
    for (size_t i = 0; s != NULL && list[i] != NULL; i++)
        if (strcmp(s, list[i]) == 0)
            return 1;
    return 0;
}

static int matches(const char *s, const char *allowed, size_t min, size_t max)
{
    size_t n = s != NULL ? strlen(s) : 0;
    if (s == NULL || n < min || n > max)
        return 0;
    return strspn(s, allowed) == n;
}

#define UPPER_CODE "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-"
#define TYPE_CODE "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"
#define DEPT_CODE "abcdefghijklmnopqrstuvwxyz0123456789-_."
#define KEY_CODE "abcdefghijklmnopqrstuvwxyz0123456789_"

static void unknown_keys(struct chk *k, const json_t *obj, const char *path,
                         const char *const *allowed)
{
    const char *key;
    const json_t *v;
    char p[512];
    json_object_foreach((json_t *)obj, key, v)
    {
        if (!in_list(key, allowed))
            problem(k, sub(p, sizeof p, path, key), "catalog.check.unknown_key",
                    "unknown key \"%s\"", key);
    }
}

/* A localised text {zh, bo?, en?}; required: it must be present. */
static void localised(struct chk *k, const json_t *parent, const char *key, const char *path,
                      int required)
{
    static const char *const langs[] = {"zh", "bo", "en", NULL};
    char p[512], q[512];
    const json_t *v = json_object_get(parent, key);
    sub(p, sizeof p, path, key);
    if (v == NULL || json_is_null(v)) {
        if (required)
            problem(k, p, "catalog.check.required", "%s is required", key);
        return;
    }
    if (!json_is_object(v)) {
        problem(k, p, "catalog.check.localised", "must be an object {zh, bo, en}");
        return;
    }
    unknown_keys(k, v, p, langs);
    for (int i = 0; langs[i] != NULL; i++) {
        const json_t *t = json_object_get(v, langs[i]);
        sub(q, sizeof q, p, langs[i]);
        if (t == NULL) {
            if (i == 0)
                problem(k, q, "catalog.check.required", "the Chinese text is required");
            continue;
        }
        const char *s = json_string_value(t);
        if (s == NULL) {
            problem(k, q, "catalog.check.string", "must be a string");
            continue;
        }
        size_t len = strlen(s);
        if (!utf8_valid(s, len))
            problem(k, q, "catalog.check.string", "must be valid UTF-8");
        else if (i == 0 && len == 0)
            problem(k, q, "catalog.check.required", "the Chinese text is required");
        else if (utf8_chars(s, len) > CATALOG_MAX_TEXT)
            problem(k, q, "catalog.check.too_long", "at most %d characters", CATALOG_MAX_TEXT);
    }
}

/* Each element of an array is a localised text, reported at path[i]. */
static void localised_list(struct chk *k, const json_t *list, const char *path)
{
    size_t i;
    json_t *s;
    json_array_foreach((json_t *)list, i, s)
    {
        json_t *wrap = json_pack("{s:O}", "s", s);
        char q[64];
        snprintf(q, sizeof q, "%s[%zu]", path, i);
        /* localised() reads wrap.s; report at path[i] */
        struct chk inner = {json_array(), 0};
        localised(&inner, wrap, "s", "$", 1);
        size_t j;
        json_t *pr;
        json_array_foreach(inner.problems, j, pr)
        {
            const char *p = json_string_value(json_object_get(pr, "path"));
            char full[512];
            snprintf(full, sizeof full, "%s%s", q, p + 3); /* "$.s" -> "path[i]" */
            problem(k, full, json_string_value(json_object_get(pr, "code")), "%s",
                    json_string_value(json_object_get(pr, "message")));
        }
        json_decref(inner.problems);
        json_decref(wrap);
    }
}

static const json_t *need(struct chk *k, const json_t *parent, const char *key, const char *path,
                          json_type type, const char *type_name)
{
    char p[512];
    const json_t *v = json_object_get(parent, key);
    if (v == NULL) {
        problem(k, sub(p, sizeof p, path, key), "catalog.check.required", "%s is required", key);
        return NULL;
    }
    int ok = json_typeof(v) == type || (type == JSON_TRUE && json_is_boolean(v));
    if (!ok) {
        problem(k, sub(p, sizeof p, path, key), "catalog.check.type", "must be %s", type_name);
        return NULL;
    }
    return v;
}

static void enum_value(struct chk *k, const json_t *parent, const char *key, const char *path,
                       const char *const *values)
{
    char p[512];
    const json_t *v = need(k, parent, key, path, JSON_STRING, "a string");
    if (v != NULL && !in_list(json_string_value(v), values))
        problem(k, sub(p, sizeof p, path, key), "catalog.check.enum",
                "\"%s\" is not one of the allowed values", json_string_value(v));
}

/* An array of distinct strings from `values` (or satisfying `valid`); min elements. */
static const json_t *string_set(struct chk *k, const json_t *parent, const char *key,
                                const char *path, const char *const *values,
                                int (*valid)(const char *), size_t min)
{
    char p[512], q[512];
    const json_t *a = need(k, parent, key, path, JSON_ARRAY, "an array");
    if (a == NULL)
        return NULL;
    sub(p, sizeof p, path, key);
    if (json_array_size(a) < min)
        problem(k, p, "catalog.check.empty", "at least %zu value(s) required", min);
    size_t i;
    const json_t *v;
    json_array_foreach((json_t *)a, i, v)
    {
        const char *s = json_string_value(v);
        idx(q, sizeof q, p, i);
        if (s == NULL) {
            problem(k, q, "catalog.check.type", "must be a string");
            continue;
        }
        if ((values != NULL && !in_list(s, values)) || (valid != NULL && !valid(s))) {
            problem(k, q, "catalog.check.enum", "\"%s\" is not an allowed value", s);
            continue;
        }
        for (size_t j = 0; j < i; j++)
            if (json_equal(v, json_array_get(a, j))) {
                problem(k, q, "catalog.check.duplicate", "\"%s\" is listed twice", s);
                break;
            }
    }
    return a;
}

static int valid_dept(const char *s)
{
    return matches(s, DEPT_CODE, 1, 64);
}
static int valid_life_event(const char *s)
{
    return catalog_life_event_find(s) != NULL;
}
static int valid_type_code(const char *s)
{
    return matches(s, TYPE_CODE, 2, 40);
}

static void cert_type(struct chk *k, const json_t *parent, const char *key, const char *path)
{
    char p[512];
    const json_t *v = json_object_get(parent, key);
    if (v == NULL || json_is_null(v))
        return;
    if (!json_is_string(v) || !valid_type_code(json_string_value(v)))
        problem(k, sub(p, sizeof p, path, key), "catalog.check.cert_type",
                "must be null or a certificate type code such as MARRIAGE_CERT");
}

static int64_t int_in(struct chk *k, const json_t *parent, const char *key, const char *path,
                      int64_t min, int64_t max, int required, int *present)
{
    char p[512];
    const json_t *v = json_object_get(parent, key);
    *present = 0;
    if (v == NULL || json_is_null(v)) {
        if (required)
            problem(k, sub(p, sizeof p, path, key), "catalog.check.required", "%s is required",
                    key);
        return 0;
    }
    if (!json_is_integer(v)) {
        problem(k, sub(p, sizeof p, path, key), "catalog.check.type", "must be an integer");
        return 0;
    }
    int64_t n = json_integer_value(v);
    if (n < min || n > max) {
        problem(k, sub(p, sizeof p, path, key), "catalog.check.range",
                "must be between %lld and %lld", (long long)min, (long long)max);
        return 0;
    }
    *present = 1;
    return n;
}

/* ---- the item ---------------------------------------------------------------------------- */

static const char *const ITEM_KEYS[] = {
    "code",           "name",       "type",         "audience",
    "life_events",    "department", "handled_by",   "levels",
    "legal_basis",    "conditions", "materials",    "fee",
    "time_limit",     "steps",      "online_depth", "region_wide",
    "cross_province", "contact",    "windows",      "issues_cert_type",
    "form",           "aliases",    "featured",     NULL};
static const char *const TYPES[] = {
    "licence",    "confirmation", "payment",        "reward", "ruling",
    "inspection", "collection",   "public_service", "other",  NULL};
static const char *const AUDIENCES[] = {"person", "enterprise", NULL};
static const char *const LEVELS[] = {"region", "prefecture", "county", "township", "village", NULL};
static const char *const DEPTHS[] = {"full_online", "one_trip", "on_site", NULL};
static const char *const FORMS[] = {"original", "copy", "electronic", NULL};
static const char *const MIMES[] = {"application/pdf", "image/jpeg",      "image/png",
                                    "image/webp",      "application/ofd", NULL};
static const char *const MATERIAL_KEYS[] = {"key",   "name",      "required", "form",
                                            "count", "cert_type", "accept",   "max_bytes",
                                            "note",  "register",  NULL};
/* The base registers a material can be fetched from (免提交, src/exchange). */
static const char *const REGISTERS[] = {"population", "legal_person", "marriage",
                                        "social_insurance", NULL};
static const char *const FIELD_TYPES[] = {"text",   "textarea", "number",    "date",
                                          "select", "checkbox", "id_number", "phone",
                                          "uscc",   "division", "email",     NULL};
static const char *const FIELD_KEYS[] = {"key",     "type",    "label",   "help",    "required",
                                         "min_len", "max_len", "pattern", "options", "prefill",
                                         "min",     "max",     NULL};
static const char *const PREFILLS[] = {"profile.name",    "profile.id_number", "profile.phone",
                                       "enterprise.name", "enterprise.uscc",   NULL};
/* 免填 from the population register (src/exchange); male/female: only when the register
 * gives the person that sex (the marriage form's two sides). */
static const char *const REGISTER_PREFILLS[] = {"register.population.name",
                                                "register.population.id_number",
                                                "register.population.birth_date",
                                                "register.population.household_address",
                                                "register.population.marital_status",
                                                "register.population.male.name",
                                                "register.population.male.id_number",
                                                "register.population.female.name",
                                                "register.population.female.id_number",
                                                NULL};

static void check_materials(struct chk *k, const json_t *item)
{
    char p[512], q[512];
    const json_t *a = need(k, item, "materials", "$", JSON_ARRAY, "an array");
    if (a == NULL)
        return;
    if (json_array_size(a) > CATALOG_MAX_MATERIALS)
        problem(k, "$.materials", "catalog.check.too_many", "at most %d materials",
                CATALOG_MAX_MATERIALS);
    size_t i;
    const json_t *m;
    json_array_foreach((json_t *)a, i, m)
    {
        idx(p, sizeof p, "$.materials", i);
        if (!json_is_object(m)) {
            problem(k, p, "catalog.check.type", "must be an object");
            continue;
        }
        unknown_keys(k, m, p, MATERIAL_KEYS);
        const json_t *key = need(k, m, "key", p, JSON_STRING, "a string");
        if (key != NULL) {
            if (!matches(json_string_value(key), KEY_CODE, 1, 40))
                problem(k, sub(q, sizeof q, p, "key"), "catalog.check.key",
                        "must be 1 to 40 lowercase letters, digits or _");
            for (size_t j = 0; j < i; j++)
                if (json_equal(key, json_object_get(json_array_get(a, j), "key")))
                    problem(k, sub(q, sizeof q, p, "key"), "catalog.check.duplicate",
                            "the key \"%s\" is used twice", json_string_value(key));
        }
        localised(k, m, "name", p, 1);
        localised(k, m, "note", p, 0);
        need(k, m, "required", p, JSON_TRUE, "true or false");
        enum_value(k, m, "form", p, FORMS);
        int present;
        int_in(k, m, "count", p, 1, 99, 1, &present);
        cert_type(k, m, "cert_type", p);
        const json_t *reg = json_object_get(m, "register");
        if (reg != NULL && !json_is_null(reg))
            enum_value(k, m, "register", p, REGISTERS);
        const json_t *acc = json_object_get(m, "accept");
        if (acc != NULL && !json_is_null(acc))
            string_set(k, m, "accept", p, MIMES, NULL, 1);
        int_in(k, m, "max_bytes", p, 1, CATALOG_MAX_BYTES_LIMIT, 0, &present);
    }
}

static int is_date_bound(const char *s)
{
    if (s == NULL)
        return 0;
    if (strcmp(s, "today") == 0)
        return 1;
    int y, mo, d;
    char tail;
    if (strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%c", &y, &mo, &d, &tail) != 3 || s[4] != '-' ||
        s[7] != '-')
        return 0;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1900 || y > 2999 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1])
        return 0;
    if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 0;
    return 1;
}

/* A text field's pattern: a POSIX extended regular expression of at most 200 characters. */
static void check_pattern(struct chk *k, const json_t *f, const char *p, const char *type,
                          int text_like)
{
    char q[512];
    const json_t *pat = json_object_get(f, "pattern");
    if (pat != NULL && !json_is_null(pat)) {
        sub(q, sizeof q, p, "pattern");
        if (!json_is_string(pat))
            problem(k, q, "catalog.check.type", "must be null or a string");
        else if (!text_like && type != NULL)
            problem(k, q, "catalog.check.not_for_type", "a pattern applies to text fields only");
        else if (strlen(json_string_value(pat)) > 200)
            problem(k, q, "catalog.check.too_long", "at most 200 characters");
        else {
            regex_t re;
            if (regcomp(&re, json_string_value(pat), REG_EXTENDED | REG_NOSUB) != 0)
                problem(k, q, "catalog.check.pattern",
                        "not a valid POSIX extended regular expression");
            else
                regfree(&re);
        }
    }
}

/* A select field's options: a non-empty list of {value, label}, values unique. */
static void check_options(struct chk *k, const json_t *f, const char *p, const char *type)
{
    char q[512];
    const json_t *opts = json_object_get(f, "options");
    int is_select = type != NULL && strcmp(type, "select") == 0;
    sub(q, sizeof q, p, "options");
    if (opts == NULL || json_is_null(opts)) {
        if (is_select)
            problem(k, q, "catalog.check.required", "a select field needs options");
    } else if (!is_select) {
        if (type != NULL)
            problem(k, q, "catalog.check.not_for_type", "options apply to select fields only");
    } else if (!json_is_array(opts) || json_array_size(opts) == 0) {
        problem(k, q, "catalog.check.type", "must be a non-empty array");
    } else {
        size_t j;
        const json_t *o;
        char r[512];
        static const char *const OPTION_KEYS[] = {"value", "label", NULL};
        json_array_foreach((json_t *)opts, j, o)
        {
            idx(r, sizeof r, q, j);
            if (!json_is_object(o)) {
                problem(k, r, "catalog.check.type", "must be an object {value, label}");
                continue;
            }
            unknown_keys(k, o, r, OPTION_KEYS);
            const json_t *v = need(k, o, "value", r, JSON_STRING, "a string");
            if (v != NULL) {
                size_t len = strlen(json_string_value(v));
                if (len == 0 || len > 100)
                    problem(k, r, "catalog.check.option_value", "a value has 1 to 100 characters");
                for (size_t m = 0; m < j; m++)
                    if (json_equal(v, json_object_get(json_array_get(opts, m), "value")))
                        problem(k, r, "catalog.check.duplicate", "the value \"%s\" is listed twice",
                                json_string_value(v));
            }
            localised(k, o, "label", r, 1);
        }
    }
}

/* min and max: integers of a number field, dates (or "today") of a date field. */
static void check_bounds(struct chk *k, const json_t *f, const char *p, const char *type)
{
    char q[512];
    const json_t *mn = json_object_get(f, "min"), *mx = json_object_get(f, "max");
    int is_number = type != NULL && strcmp(type, "number") == 0;
    int is_date = type != NULL && strcmp(type, "date") == 0;
    const json_t *bounds[2] = {mn, mx};
    const char *names[2] = {"min", "max"};
    for (int b = 0; b < 2; b++) {
        const json_t *v = bounds[b];
        if (v == NULL || json_is_null(v))
            continue;
        sub(q, sizeof q, p, names[b]);
        if (is_number) {
            if (!json_is_integer(v))
                problem(k, q, "catalog.check.type", "must be an integer");
        } else if (is_date) {
            if (!is_date_bound(json_string_value(v)))
                problem(k, q, "catalog.check.date", "must be a date YYYY-MM-DD or \"today\"");
        } else if (type != NULL) {
            problem(k, q, "catalog.check.not_for_type",
                    "min and max apply to number and date fields only");
        }
    }
    if (is_number && json_is_integer(mn) && json_is_integer(mx) &&
        json_integer_value(mn) > json_integer_value(mx))
        problem(k, sub(q, sizeof q, p, "min"), "catalog.check.min_max", "min is greater than max");
    if (is_date && is_date_bound(json_string_value(mn)) && is_date_bound(json_string_value(mx)) &&
        strcmp(json_string_value(mn), "today") != 0 &&
        strcmp(json_string_value(mx), "today") != 0 &&
        strcmp(json_string_value(mn), json_string_value(mx)) > 0)
        problem(k, sub(q, sizeof q, p, "min"), "catalog.check.min_max", "min is after max");
}

static void check_field(struct chk *k, const json_t *fields, size_t i, const json_t *f)
{
    char p[512], q[512];
    idx(p, sizeof p, "$.form.fields", i);
    if (!json_is_object(f)) {
        problem(k, p, "catalog.check.type", "must be an object");
        return;
    }
    unknown_keys(k, f, p, FIELD_KEYS);
    const json_t *key = need(k, f, "key", p, JSON_STRING, "a string");
    if (key != NULL) {
        const char *s = json_string_value(key);
        if (!matches(s, KEY_CODE, 1, 40) || !(s[0] >= 'a' && s[0] <= 'z'))
            problem(
                k, sub(q, sizeof q, p, "key"), "catalog.check.key",
                "must start with a lowercase letter; lowercase letters, digits or _ (at most 40)");
        for (size_t j = 0; j < i; j++)
            if (json_equal(key, json_object_get(json_array_get(fields, j), "key")))
                problem(k, sub(q, sizeof q, p, "key"), "catalog.check.duplicate",
                        "the key \"%s\" is used twice", s);
    }
    enum_value(k, f, "type", p, FIELD_TYPES);
    const char *type = json_string_value(json_object_get(f, "type"));
    if (!in_list(type, FIELD_TYPES))
        type = NULL; /* reported above; no rule that depends on the type applies */
    localised(k, f, "label", p, 1);
    localised(k, f, "help", p, 0);
    const json_t *req = json_object_get(f, "required");
    if (req != NULL && !json_is_boolean(req))
        problem(k, sub(q, sizeof q, p, "required"), "catalog.check.type", "must be true or false");

    int text_like = type != NULL && (strcmp(type, "text") == 0 || strcmp(type, "textarea") == 0);
    int has_min_len, has_max_len;
    int64_t min_len = int_in(k, f, "min_len", p, 0, 100000, 0, &has_min_len);
    int64_t max_len = int_in(k, f, "max_len", p, 1, 100000, 0, &has_max_len);
    if ((has_min_len || has_max_len) && !text_like && type != NULL)
        problem(k, sub(q, sizeof q, p, "max_len"), "catalog.check.not_for_type",
                "min_len and max_len apply to text and textarea fields only");
    if (has_min_len && has_max_len && min_len > max_len)
        problem(k, sub(q, sizeof q, p, "min_len"), "catalog.check.min_max",
                "min_len is greater than max_len");

    check_pattern(k, f, p, type, text_like);
    check_options(k, f, p, type);

    const json_t *pre = json_object_get(f, "prefill");
    if (pre != NULL && !json_is_null(pre) &&
        (!json_is_string(pre) || (!in_list(json_string_value(pre), PREFILLS) &&
                                  !in_list(json_string_value(pre), REGISTER_PREFILLS))))
        problem(k, sub(q, sizeof q, p, "prefill"), "catalog.check.prefill",
                "must be null or one of profile.name, profile.id_number, profile.phone, "
                "enterprise.name, enterprise.uscc, register.population.FIELD, "
                "register.population.male.FIELD or register.population.female.FIELD");

    check_bounds(k, f, p, type);
}

static void check_form(struct chk *k, const json_t *item)
{
    static const char *const FORM_KEYS[] = {"fields", NULL};
    const json_t *form = need(k, item, "form", "$", JSON_OBJECT, "an object {fields}");
    if (form == NULL)
        return;
    unknown_keys(k, form, "$.form", FORM_KEYS);
    const json_t *fields = need(k, form, "fields", "$.form", JSON_ARRAY, "an array");
    if (fields == NULL)
        return;
    if (json_array_size(fields) > CATALOG_MAX_FIELDS)
        problem(k, "$.form.fields", "catalog.check.too_many", "at most %d fields",
                CATALOG_MAX_FIELDS);
    size_t i;
    const json_t *f;
    json_array_foreach((json_t *)fields, i, f) check_field(k, fields, i, f);
}

/* Each life event the item lists belongs to an audience the item lists. */
static void check_life_events(struct chk *k, const json_t *aud, const json_t *le)
{
    char p[512];
    size_t i;
    const json_t *v;
    json_array_foreach((json_t *)le, i, v)
    {
        const struct catalog_life_event *e = catalog_life_event_find(json_string_value(v));
        int ok = 0;
        size_t j;
        const json_t *a;
        json_array_foreach((json_t *)aud, j, a) if (e != NULL && json_is_string(a) &&
                                                    strcmp(json_string_value(a), e->audience) == 0)
            ok = 1;
        if (e != NULL && !ok)
            problem(k, idx(p, sizeof p, "$.life_events", i), "catalog.check.life_event_audience",
                    "the life event \"%s\" is for the audience \"%s\", which the item does not "
                    "list",
                    e->code, e->audience);
    }
}

static void check_fee(struct chk *k, const json_t *item)
{
    /* The fee (src/pay): integer fen; who pays (the applicant, or the enterprise it
     * applies for); when it is due (at submission, or after acceptance); whether the
     * department may waive it. */
    static const char *const FEE_KEYS[] = {"fen", "basis", "payer", "due", "waivable", NULL};
    static const char *const FEE_PAYERS[] = {"applicant", "enterprise", NULL};
    static const char *const FEE_DUE[] = {"submission", "acceptance", NULL};
    const json_t *fee = need(k, item, "fee", "$", JSON_OBJECT, "an object {fen, basis}");
    if (fee != NULL) {
        unknown_keys(k, fee, "$.fee", FEE_KEYS);
        int present;
        int64_t fen = int_in(k, fee, "fen", "$.fee", 0, 100000000, 1, &present);
        localised(k, fee, "basis", "$.fee", present && fen > 0);
        if (json_object_get(fee, "payer") != NULL)
            enum_value(k, fee, "payer", "$.fee", FEE_PAYERS);
        if (json_object_get(fee, "due") != NULL)
            enum_value(k, fee, "due", "$.fee", FEE_DUE);
        const json_t *w = json_object_get(fee, "waivable");
        if (w != NULL && !json_is_boolean(w))
            problem(k, "$.fee.waivable", "catalog.check.enum", "waivable must be true or false");
    }
}

/* The legal and the promised time limit in working days; the promise within the law. */
static void check_time_limit(struct chk *k, const json_t *item)
{
    static const char *const TL_KEYS[] = {"legal_days", "promised_days", NULL};
    const json_t *tl =
        need(k, item, "time_limit", "$", JSON_OBJECT, "an object {legal_days, promised_days}");
    if (tl != NULL) {
        unknown_keys(k, tl, "$.time_limit", TL_KEYS);
        int hl, hp;
        int64_t legal = int_in(k, tl, "legal_days", "$.time_limit", 0, 10000, 1, &hl);
        int64_t promised = int_in(k, tl, "promised_days", "$.time_limit", 0, 10000, 1, &hp);
        if (hl && hp && promised > legal)
            problem(k, "$.time_limit.promised_days", "catalog.check.promised_over_legal",
                    "the promised time limit (%lld) exceeds the legal one (%lld)",
                    (long long)promised, (long long)legal);
    }
}

/* Where to call and go: a telephone number and an address. */
static void check_contact(struct chk *k, const json_t *item)
{
    static const char *const CONTACT_KEYS[] = {"phone", "address", NULL};
    const json_t *contact =
        need(k, item, "contact", "$", JSON_OBJECT, "an object {phone, address}");
    if (contact != NULL) {
        unknown_keys(k, contact, "$.contact", CONTACT_KEYS);
        const json_t *ph = need(k, contact, "phone", "$.contact", JSON_STRING, "a string");
        if (ph != NULL && !matches(json_string_value(ph), "0123456789-+ ", 3, 30))
            problem(k, "$.contact.phone", "catalog.check.phone", "not a telephone number");
        localised(k, contact, "address", "$.contact", 1);
    }
}

/* The service windows: each {name, address, hours}, localised. */
static void check_windows(struct chk *k, const json_t *item)
{
    char p[512];
    static const char *const WINDOW_KEYS[] = {"name", "address", "hours", NULL};
    const json_t *wins = need(k, item, "windows", "$", JSON_ARRAY, "an array");
    if (wins != NULL) {
        size_t i;
        const json_t *w;
        json_array_foreach((json_t *)wins, i, w)
        {
            idx(p, sizeof p, "$.windows", i);
            if (!json_is_object(w)) {
                problem(k, p, "catalog.check.type", "must be an object {name, address, hours}");
                continue;
            }
            unknown_keys(k, w, p, WINDOW_KEYS);
            localised(k, w, "name", p, 1);
            localised(k, w, "address", p, 1);
            localised(k, w, "hours", p, 1);
        }
    }
}

int catalog_item_check_draft(const json_t *item, json_t *problems)
{
    struct chk k = {problems, 0};
    if (!json_is_object(item)) {
        problem(&k, "$", "catalog.check.type", "an item must be a JSON object");
        return 1;
    }
    unknown_keys(&k, item, "$", ITEM_KEYS);
    const json_t *code = need(&k, item, "code", "$", JSON_STRING, "a string");
    if (code != NULL && !matches(json_string_value(code), UPPER_CODE, 3, CATALOG_CODE_MAX))
        problem(&k, "$.code", "catalog.check.code",
                "must be 3 to 40 capital letters, digits or hyphens");
    localised(&k, item, "name", "$", 1);
    enum_value(&k, item, "type", "$", TYPES);
    const json_t *aud = string_set(&k, item, "audience", "$", AUDIENCES, NULL, 1);
    const json_t *le = string_set(&k, item, "life_events", "$", NULL, valid_life_event, 0);
    if (aud != NULL && le != NULL)
        check_life_events(&k, aud, le);
    const json_t *dept = need(&k, item, "department", "$", JSON_STRING, "a string");
    if (dept != NULL && !valid_dept(json_string_value(dept)))
        problem(&k, "$.department", "catalog.check.department", "not a department code");
    string_set(&k, item, "handled_by", "$", NULL, valid_dept, 1);
    string_set(&k, item, "levels", "$", LEVELS, NULL, 1);
    localised(&k, item, "legal_basis", "$", 1);
    localised(&k, item, "conditions", "$", 1);
    check_materials(&k, item);

    check_fee(&k, item);
    check_time_limit(&k, item);
    const json_t *steps = need(&k, item, "steps", "$", JSON_ARRAY, "an array");
    if (steps != NULL) {
        if (json_array_size(steps) == 0)
            problem(&k, "$.steps", "catalog.check.empty", "at least 1 step required");
        if (json_array_size(steps) > CATALOG_MAX_STEPS)
            problem(&k, "$.steps", "catalog.check.too_many", "at most %d steps", CATALOG_MAX_STEPS);
        localised_list(&k, steps, "$.steps");
    }
    /* Other names people search by (结婚 for 婚姻登记): optional, a list of texts. */
    const json_t *aliases = json_object_get(item, "aliases");
    if (aliases != NULL && !json_is_array(aliases)) {
        problem(&k, "$.aliases", "catalog.check.type", "must be an array of {zh, bo, en} texts");
    } else if (aliases != NULL) {
        if (json_array_size(aliases) > CATALOG_MAX_ALIASES)
            problem(&k, "$.aliases", "catalog.check.too_many", "at most %d aliases",
                    CATALOG_MAX_ALIASES);
        localised_list(&k, aliases, "$.aliases");
    }
    /* The place in the curated list of popular services (the home page's fallback). */
    int featured_present;
    int_in(&k, item, "featured", "$", 1, 999, 0, &featured_present);
    enum_value(&k, item, "online_depth", "$", DEPTHS);
    need(&k, item, "region_wide", "$", JSON_TRUE, "true or false");
    need(&k, item, "cross_province", "$", JSON_TRUE, "true or false");
    check_contact(&k, item);
    check_windows(&k, item);
    if (json_object_get(item, "issues_cert_type") == NULL)
        problem(&k, "$.issues_cert_type", "catalog.check.required",
                "issues_cert_type is required (null when none is issued)");
    else
        cert_type(&k, item, "issues_cert_type", "$");
    check_form(&k, item);
    if (k.n == 0) {
        char *s = json_dumps(item, JSON_COMPACT);
        if (s == NULL || strlen(s) > CATALOG_MAX_DOC_BYTES)
            problem(&k, "$", "catalog.check.too_large", "the item is larger than %d bytes",
                    CATALOG_MAX_DOC_BYTES);
        free(s);
    }
    return k.n > 0 ? 1 : 0;
}

int catalog_item_check(const json_t *item, json_t *problems)
{
    int bad = catalog_item_check_draft(item, problems);
    return catalog_item_check_bo(item, problems) > 0 ? 1 : bad;
}

int catalog_bundle_check(const json_t *b, json_t *problems)
{
    static const char *const BUNDLE_KEYS[] = {"code", "name", "life_event", "items", NULL};
    struct chk k = {problems, 0};
    if (!json_is_object(b)) {
        problem(&k, "$", "catalog.check.type", "a bundle must be a JSON object");
        return 1;
    }
    unknown_keys(&k, b, "$", BUNDLE_KEYS);
    const json_t *code = need(&k, b, "code", "$", JSON_STRING, "a string");
    if (code != NULL && !matches(json_string_value(code), UPPER_CODE, 3, CATALOG_CODE_MAX))
        problem(&k, "$.code", "catalog.check.code",
                "must be 3 to 40 capital letters, digits or hyphens");
    localised(&k, b, "name", "$", 1);
    const json_t *le = need(&k, b, "life_event", "$", JSON_STRING, "a string");
    if (le != NULL && catalog_life_event_find(json_string_value(le)) == NULL)
        problem(&k, "$.life_event", "catalog.check.enum", "\"%s\" is not a life event",
                json_string_value(le));
    const json_t *items = string_set(&k, b, "items", "$", NULL, NULL, 2);
    if (items != NULL) {
        size_t i;
        const json_t *v;
        char p[64];
        json_array_foreach((json_t *)items, i,
                           v) if (json_is_string(v) &&
                                  !matches(json_string_value(v), UPPER_CODE, 3, CATALOG_CODE_MAX))
            problem(&k, idx(p, sizeof p, "$.items", i), "catalog.check.code", "not an item code");
    }
    k.n += catalog_bundle_check_bo(b, problems);
    return k.n > 0 ? 1 : 0;
}

void catalog_diff(const json_t *a, const json_t *b, const char *path, json_t *out, size_t max)
{
    char p[512];
    if (json_array_size(out) >= max || json_equal(a, b))
        return;
    if (json_is_object(a) && json_is_object(b)) {
        const char *key;
        const json_t *v;
        json_object_foreach((json_t *)a, key, v)
            catalog_diff(v, json_object_get(b, key), sub(p, sizeof p, path, key), out, max);
        json_object_foreach((json_t *)b, key,
                            v) if (json_object_get(a, key) == NULL && json_array_size(out) < max)
            json_array_append_new(out, json_string(sub(p, sizeof p, path, key)));
        return;
    }
    if (json_is_array(a) && json_is_array(b) && json_array_size(a) == json_array_size(b)) {
        for (size_t i = 0; i < json_array_size(a); i++)
            catalog_diff(json_array_get(a, i), json_array_get(b, i), idx(p, sizeof p, path, i), out,
                         max);
        return;
    }
    json_array_append_new(out, json_string(path));
}
