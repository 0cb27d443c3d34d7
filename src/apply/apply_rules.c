/*
 * apply_rules.c - the pure parts of applications: the state machine, form validation
 * of every field type of the catalog contract, content sniffing of materials and the
 * working-day clock with its 补正 pause. No store, no HTTP.
 */
#include "apply/apply_internal.h"

#include <ctype.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/phone.h"
#include "base/utf8.h"
#include "calendar/calendar.h"
#include "divisions/divisions.h"
#include "identity/idcodes.h"

/* ---- states and actions ------------------------------------------------------------------ */

static const char *const state_names[APPLY_STATE_COUNT] = {
    "draft",    "submitted", "returned",  "rejected", "accepted",  "under_review",
    "approved", "denied",    "delivered", "closed",   "withdrawn",
};

const char *apply_state_name(int s)
{
    return s >= 0 && s < APPLY_STATE_COUNT ? state_names[s] : NULL;
}

int apply_state_parse(const char *s)
{
    for (int i = 0; s != NULL && i < APPLY_STATE_COUNT; i++)
        if (strcmp(s, state_names[i]) == 0)
            return i;
    return -1;
}

static const char *const action_names[APPLY_ACT_COUNT] = {
    "accept", "return",  "reject", "review",   "approve",
    "deny",   "deliver", "close",  "withdraw", "resubmit",
};

const char *apply_action_name(int a)
{
    return a >= 0 && a < APPLY_ACT_COUNT ? action_names[a] : NULL;
}

int apply_action_parse(const char *s)
{
    for (int i = 0; s != NULL && i < APPLY_ACT_COUNT; i++)
        if (strcmp(s, action_names[i]) == 0)
            return i;
    return -1;
}

const char *apply_action_permission(int a)
{
    switch (a) {
    case APPLY_ACT_ACCEPT:
    case APPLY_ACT_REJECT:
    case APPLY_ACT_DELIVER:
    case APPLY_ACT_CLOSE:
        return "case.accept";
    case APPLY_ACT_RETURN:
        return "case.return";
    case APPLY_ACT_REVIEW:
        return "case.review";
    case APPLY_ACT_APPROVE:
    case APPLY_ACT_DENY:
        return "case.decide";
    default:
        return NULL;
    }
}

int apply_action_destructive(int a)
{
    return a == APPLY_ACT_REJECT || a == APPLY_ACT_DENY || a == APPLY_ACT_WITHDRAW;
}

int apply_next_state(int from, int action, int resume)
{
    switch (action) {
    case APPLY_ACT_ACCEPT:
        return from == APPLY_SUBMITTED ? APPLY_ACCEPTED : -1;
    case APPLY_ACT_RETURN:
        return from == APPLY_SUBMITTED || from == APPLY_ACCEPTED || from == APPLY_UNDER_REVIEW
                   ? APPLY_RETURNED
                   : -1;
    case APPLY_ACT_REJECT:
        return from == APPLY_SUBMITTED ? APPLY_REJECTED : -1;
    case APPLY_ACT_REVIEW:
        return from == APPLY_ACCEPTED ? APPLY_UNDER_REVIEW : -1;
    case APPLY_ACT_APPROVE:
        return from == APPLY_UNDER_REVIEW ? APPLY_APPROVED : -1;
    case APPLY_ACT_DENY:
        return from == APPLY_UNDER_REVIEW ? APPLY_DENIED : -1;
    case APPLY_ACT_DELIVER:
        return from == APPLY_APPROVED || from == APPLY_DENIED ? APPLY_DELIVERED : -1;
    case APPLY_ACT_CLOSE:
        return from == APPLY_DELIVERED || from == APPLY_REJECTED ? APPLY_CLOSED : -1;
    case APPLY_ACT_WITHDRAW:
        return from == APPLY_SUBMITTED || from == APPLY_RETURNED || from == APPLY_ACCEPTED ||
                       from == APPLY_UNDER_REVIEW
                   ? APPLY_WITHDRAWN
                   : -1;
    case APPLY_ACT_RESUBMIT:
        if (from != APPLY_RETURNED)
            return -1;
        return resume == APPLY_ACCEPTED || resume == APPLY_UNDER_REVIEW ? resume : APPLY_SUBMITTED;
    default:
        return -1;
    }
}

/* ---- form validation --------------------------------------------------------------------- */

static void problem(json_t *problems, const char *key, const char *code, json_t *params)
{
    json_t *p = json_pack("{s:s, s:s, s:s}", "kind", "field", "key", key, "code", code);
    if (params != NULL)
        json_object_set_new(p, "params", params);
    json_array_append_new(problems, p);
}

static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

static int parse_int(const char *s, long long *out)
{
    if (*s == '\0' || strlen(s) > 18)
        return -1;
    const char *p = s;
    if (*p == '-' || *p == '+')
        p++;
    if (*p == '\0')
        return -1;
    for (const char *q = p; *q; q++)
        if (!isdigit((unsigned char)*q))
            return -1;
    *out = strtoll(s, NULL, 10);
    return 0;
}

/* A date bound: "today" or YYYY-MM-DD; -1 when absent or malformed. */
static int32_t date_bound(const json_t *v, int today)
{
    const char *s = json_string_value(v);
    if (s == NULL)
        return -1;
    if (strcmp(s, "today") == 0)
        return calendar_day_from_ymd(today / 10000, today / 100 % 100, today % 100);
    struct err e;
    int32_t d;
    return calendar_parse_date(s, &d, &e) < 0 ? -1 : d;
}

static int email_ok(const char *s)
{
    const char *at = strchr(s, '@');
    if (at == NULL || at == s || strchr(at + 1, '@') != NULL || strlen(s) > 254)
        return 0;
    const char *dot = strrchr(at + 1, '.');
    if (dot == NULL || dot == at + 1 || dot[1] == '\0')
        return 0;
    for (const char *p = s; *p; p++)
        if (isspace((unsigned char)*p) || *p == '<' || *p == '>' || *p == '"')
            return 0;
    return 1;
}

static int option_ok(const json_t *options, const char *v)
{
    size_t i;
    json_t *o;
    json_array_foreach(options, i, o)
    {
        const char *ov = json_string_value(json_object_get(o, "value"));
        if (ov != NULL && strcmp(ov, v) == 0)
            return 1;
    }
    return 0;
}

static int pattern_ok(const char *pattern, const char *v)
{
    regex_t re;
    char *anchored = malloc(strlen(pattern) + 8);
    if (anchored == NULL)
        return 0;
    sprintf(anchored, "^(%s)$", pattern);
    int ok = 0;
    if (regcomp(&re, anchored, REG_EXTENDED | REG_NOSUB) == 0) {
        ok = regexec(&re, v, 0, NULL, 0) == 0;
        regfree(&re);
    }
    free(anchored);
    return ok;
}

static int checked(const char *v)
{
    return strcmp(v, "on") == 0 || strcmp(v, "1") == 0 || strcmp(v, "true") == 0 ||
           strcmp(v, "yes") == 0;
}

/* Text: within its length (in characters) and pattern; kept in NFC. */
static void validate_text(const json_t *f, const char *type, const char *key, const char *v,
                          json_t *clean, json_t *problems)
{
    size_t chars = utf8_chars(v);
    json_t *mn = json_object_get(f, "min_len"), *mx = json_object_get(f, "max_len");
    long long max =
        json_is_integer(mx) ? json_integer_value(mx) : (strcmp(type, "text") == 0 ? 200 : 4000);
    if (json_is_integer(mn) && (long long)chars < json_integer_value(mn))
        problem(problems, key, "apply.err.too_short",
                json_pack("{s:I}", "min", json_integer_value(mn)));
    else if ((long long)chars > max)
        problem(problems, key, "apply.err.too_long", json_pack("{s:I}", "max", max));
    else if (json_is_string(json_object_get(f, "pattern")) &&
             !pattern_ok(json_string_value(json_object_get(f, "pattern")), v))
        problem(problems, key, "apply.err.pattern", NULL);
    else {
        /* Kept in NFC, as every name and text people type (base/utf8.h). */
        char *nfc = utf8_nfc(v, strlen(v));
        json_object_set_new(clean, key, json_string(nfc ? nfc : v));
        free(nfc);
    }
}

/* A whole number within the field's min and max. */
static void validate_number(const json_t *f, const char *key, const char *v, json_t *clean,
                            json_t *problems)
{
    long long x;
    json_t *mn = json_object_get(f, "min"), *mx = json_object_get(f, "max");
    if (parse_int(v, &x) < 0)
        problem(problems, key, "apply.err.number", NULL);
    else if (json_is_integer(mn) && x < json_integer_value(mn))
        problem(problems, key, "apply.err.number_min",
                json_pack("{s:I}", "min", json_integer_value(mn)));
    else if (json_is_integer(mx) && x > json_integer_value(mx))
        problem(problems, key, "apply.err.number_max",
                json_pack("{s:I}", "max", json_integer_value(mx)));
    else
        json_object_set_new(clean, key, json_integer(x));
}

/* A date YYYY-MM-DD within the field's bounds (dates or "today"). */
static void validate_date(const json_t *f, const char *key, const char *v, int today, json_t *clean,
                          json_t *problems)
{
    struct err e;
    int32_t d;
    char buf[11];
    int32_t lo = date_bound(json_object_get(f, "min"), today);
    int32_t hi = date_bound(json_object_get(f, "max"), today);
    if (calendar_parse_date(v, &d, &e) < 0)
        problem(problems, key, "apply.err.date", NULL);
    else if (lo >= 0 && d < lo)
        problem(problems, key, "apply.err.date_min",
                json_pack("{s:s}", "min", calendar_format_date(lo, buf)));
    else if (hi >= 0 && d > hi)
        problem(problems, key, "apply.err.date_max",
                json_pack("{s:s}", "max", calendar_format_date(hi, buf)));
    else
        json_object_set_new(clean, key, json_string(v));
}

static void validate_field(const json_t *f, const char *key, const char *raw, int today,
                           json_t *clean, json_t *problems)
{
    const char *type = json_string_value(json_object_get(f, "type"));
    int required = json_is_true(json_object_get(f, "required"));
    if (type == NULL)
        type = "text";
    /* Trim surrounding blanks (people paste with spaces); keep inner text as typed. */
    size_t n = strlen(raw);
    while (n > 0 && isspace((unsigned char)raw[n - 1]))
        n--;
    while (n > 0 && isspace((unsigned char)*raw)) {
        raw++;
        n--;
    }
    char *v = strndup(raw, n);
    if (v == NULL)
        return;
    if (strcmp(type, "checkbox") == 0) {
        int on = checked(v);
        if (required && !on)
            problem(problems, key, "apply.err.required", NULL);
        json_object_set_new(clean, key, json_boolean(on));
        goto out;
    }
    if (*v == '\0') {
        if (required)
            problem(problems, key, "apply.err.required", NULL);
        goto out;
    }
    if (!utf8_valid(v, strlen(v))) {
        problem(problems, key, "apply.err.encoding", NULL);
        goto out;
    }
    if (strcmp(type, "text") == 0 || strcmp(type, "textarea") == 0) {
        validate_text(f, type, key, v, clean, problems);
    } else if (strcmp(type, "number") == 0) {
        validate_number(f, key, v, clean, problems);
    } else if (strcmp(type, "date") == 0) {
        validate_date(f, key, v, today, clean, problems);
    } else if (strcmp(type, "select") == 0) {
        if (!option_ok(json_object_get(f, "options"), v))
            problem(problems, key, "apply.err.option", NULL);
        else
            json_object_set_new(clean, key, json_string(v));
    } else if (strcmp(type, "id_number") == 0) {
        char out[IDCODE_LEN + 1];
        struct err e;
        if (idcode_citizen_normalize(v, out, today, &e) < 0)
            problem(problems, key, e.code, NULL);
        else
            json_object_set_new(clean, key, json_string(out));
    } else if (strcmp(type, "uscc") == 0) {
        char out[IDCODE_LEN + 1];
        struct err e;
        if (idcode_uscc_normalize(v, out, &e) < 0)
            problem(problems, key, e.code, NULL);
        else
            json_object_set_new(clean, key, json_string(out));
    } else if (strcmp(type, "phone") == 0) {
        if (!phone_is_mobile(v))
            problem(problems, key, "identity.phone_invalid", NULL);
        else
            json_object_set_new(clean, key, json_string(v));
    } else if (strcmp(type, "division") == 0) {
        /* A place in the region, down to the township at least (the division picker's
         * half-picked choice is "divisions.incomplete"). */
        int64_t code;
        const char *why = divisions_check_choice(v, DIVISION_TOWNSHIP, &code);
        if (why != NULL && strcmp(why, "divisions.bad_code") == 0)
            problem(problems, key, "apply.err.division", NULL);
        else if (why != NULL)
            problem(problems, key, why, NULL);
        else
            json_object_set_new(clean, key, json_string(v));
    } else if (strcmp(type, "email") == 0) {
        if (!email_ok(v))
            problem(problems, key, "apply.err.email", NULL);
        else
            json_object_set_new(clean, key, json_string(v));
    } else {
        problem(problems, key, "apply.err.type", NULL);
    }
out:
    free(v);
}

int apply_form_validate(const json_t *item, const json_t *values, int today, json_t *clean,
                        json_t *problems)
{
    size_t before = json_array_size(problems);
    const json_t *fields = json_object_get(json_object_get(item, "form"), "fields");
    size_t i;
    json_t *f;
    json_array_foreach(fields, i, f)
    {
        const char *key = json_string_value(json_object_get(f, "key"));
        if (key == NULL)
            continue;
        const char *raw = json_string_value(json_object_get(values, key));
        validate_field(f, key, raw ? raw : "", today, clean, problems);
    }
    return (int)(json_array_size(problems) - before);
}

/* ---- materials ---------------------------------------------------------------------------- */

const char *apply_sniff(const void *data, size_t len)
{
    const unsigned char *p = data;
    if (len >= 5 && memcmp(p, "%PDF-", 5) == 0)
        return "application/pdf";
    if (len >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF)
        return "image/jpeg";
    if (len >= 8 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0)
        return "image/png";
    return NULL;
}

/* ---- the clock ---------------------------------------------------------------------------- */

int apply_clock_run(const struct calendar *cal, struct apply_clock *c, int64_t now_ms,
                    struct err *err)
{
    int remaining = c->limit_days - c->used_days;
    if (remaining < 0)
        remaining = 0;
    int64_t deadline;
    if (calendar_deadline_ms(cal, now_ms, remaining, &deadline, err) < 0)
        return -1;
    c->started_ms = now_ms;
    c->deadline_ms = deadline;
    return 0;
}

void apply_clock_pause(const struct calendar *cal, struct apply_clock *c, int64_t now_ms)
{
    if (c->started_ms == 0)
        return;
    int used = calendar_working_days_between(cal, calendar_day_of_ms(c->started_ms),
                                             calendar_day_of_ms(now_ms));
    if (used > 0)
        c->used_days += used;
    c->started_ms = 0;
    c->deadline_ms = 0;
}

double apply_clock_fraction(const struct calendar *cal, const struct apply_clock *c, int64_t now_ms)
{
    if (c->limit_days <= 0)
        return c->started_ms != 0 && now_ms > c->deadline_ms ? 1.5 : 0;
    double used = c->used_days;
    if (c->started_ms != 0) {
        int remaining = c->limit_days - c->used_days;
        if (remaining < 0)
            remaining = 0;
        used += calendar_fraction_used(cal, c->started_ms, remaining, now_ms) * remaining;
    }
    return used / c->limit_days;
}

int apply_clock_mark(const struct calendar *cal, const struct apply_clock *c, int64_t now_ms)
{
    if (c->started_ms == 0)
        return APPLY_MARK_NONE;
    if (now_ms > c->deadline_ms)
        return APPLY_MARK_RED;
    return apply_clock_fraction(cal, c, now_ms) >= 0.8 ? APPLY_MARK_YELLOW : APPLY_MARK_NONE;
}
