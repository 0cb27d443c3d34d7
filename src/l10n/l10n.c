/*
 * l10n.c - ICU behind l10n.h. One formatter per language and kind (date, date and time,
 * calendar day, number) and one collator per language, opened once (pthread_once) and kept
 * until the process ends. ICU's formatters and collators keep working state inside them and
 * are not safe to share between threads unlocked (ICU's thread-safety notes: only frozen
 * objects are), so every use holds `lock`; each call formats one short string or sorts one
 * short list, far below the cost of the request around it.
 *
 * The patterns come from CLDR through skeletons (UDAT pattern generator): "yMMMMd" is the
 * full date in the language's own order, "yMMMMdHHmm" the same with a 24-hour time. CLDR's
 * bo data gives "སྤྱི་ལོ་y MMMMའི་ཚེས་d" (year of the common era, month name, day), with the
 * month spelled out (ཟླ་བ་གཉིས་པ): its abbreviated months carry a Tibetan digit (ཟླ་༢) that
 * would mix two kinds of digits in one date.
 */
#include "l10n/l10n.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/ucol.h>
#include <unicode/udat.h>
#include <unicode/udatpg.h>
#include <unicode/unum.h>
#include <unicode/ustring.h>

#include "base/arena.h"

enum { LANG_ZH, LANG_BO, LANG_EN, NLANGS };
enum { KIND_DATE, KIND_DATETIME, KIND_DAY, NKINDS };

/* CLDR locales: Chinese in simplified script for China, Tibetan of China, English. */
static const char *const icu_locale[NLANGS] = {"zh_Hans_CN", "bo_CN", "en_CN"};
static const char *const skeleton[NKINDS] = {"yMMMMd", "yMMMMdHHmm", "yMMMMd"};

static struct {
    pthread_once_t once;
    pthread_mutex_t lock;
    UDateFormat *date[NLANGS][NKINDS]; /* NULL: ICU gave none, use the ISO fallback */
    UNumberFormat *number[NLANGS];
    UCollator *coll[NLANGS];
} l10n = {PTHREAD_ONCE_INIT, PTHREAD_MUTEX_INITIALIZER, {{NULL}}, {NULL}, {NULL}};

static int lang_index(const char *lang)
{
    if (lang != NULL && strcmp(lang, "bo") == 0)
        return LANG_BO;
    if (lang != NULL && strcmp(lang, "en") == 0)
        return LANG_EN;
    return LANG_ZH;
}

static UDateFormat *open_date(const char *locale, const char *skel, const char *zone)
{
    UErrorCode e = U_ZERO_ERROR;
    UChar sk[32], pattern[128], tz[32];
    u_uastrcpy(sk, skel);
    u_uastrcpy(tz, zone);
    UDateTimePatternGenerator *g = udatpg_open(locale, &e);
    int32_t n = U_SUCCESS(e) ? udatpg_getBestPattern(g, sk, -1, pattern, 128, &e) : 0;
    udatpg_close(g);
    if (U_FAILURE(e) || n <= 0 || n >= 128)
        return NULL;
    UDateFormat *f = udat_open(UDAT_PATTERN, UDAT_PATTERN, locale, tz, -1, pattern, n, &e);
    if (U_FAILURE(e)) {
        udat_close(f);
        return NULL;
    }
    return f;
}

static void open_all(void)
{
    for (int l = 0; l < NLANGS; l++) {
        /* Calendar days are dates without a zone: formatted in UTC from their UTC midnight. */
        for (int k = 0; k < NKINDS; k++)
            l10n.date[l][k] =
                open_date(icu_locale[l], skeleton[k], k == KIND_DAY ? "Etc/UTC" : "Asia/Shanghai");
        UErrorCode e = U_ZERO_ERROR;
        l10n.number[l] = unum_open(UNUM_DECIMAL, NULL, 0, icu_locale[l], NULL, &e);
        if (U_FAILURE(e)) {
            unum_close(l10n.number[l]);
            l10n.number[l] = NULL;
        }
        e = U_ZERO_ERROR;
        l10n.coll[l] = ucol_open(icu_locale[l], &e);
        if (U_FAILURE(e)) {
            ucol_close(l10n.coll[l]);
            l10n.coll[l] = NULL;
        }
    }
}

static void ready(void)
{
    pthread_once(&l10n.once, open_all);
}

/* UTF-16 from ICU into the arena as UTF-8; NULL when it does not convert or fit. */
static const char *to_arena(struct arena *a, const UChar *s, int32_t len)
{
    char out[256];
    int32_t n = 0;
    UErrorCode e = U_ZERO_ERROR;
    u_strToUTF8(out, (int32_t)sizeof(out), &n, s, len, &e);
    if (U_FAILURE(e) || e == U_STRING_NOT_TERMINATED_WARNING || n >= (int32_t)sizeof(out))
        return NULL;
    return arena_strndup(a, out, (size_t)n);
}

/* ISO 8601 in UTC+8 (Asia/Shanghai has kept it since 1991) when ICU gave no formatter. */
static const char *iso_fallback(struct arena *a, int kind, int64_t ms)
{
    int64_t s = ms / 1000 + (kind == KIND_DAY ? 0 : 8 * 3600);
    int64_t days = s / 86400 - (s % 86400 < 0), secs = s - days * 86400;
    /* Civil date from days since 1970-01-01 (H. Hinnant's algorithm). */
    int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097, yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
    int64_t y = yoe + era * 400 + (m <= 2);
    if (kind == KIND_DATETIME)
        return arena_printf(a, "%04lld-%02lld-%02lld %02lld:%02lld", (long long)y, (long long)m,
                            (long long)d, (long long)(secs / 3600), (long long)(secs / 60 % 60));
    return arena_printf(a, "%04lld-%02lld-%02lld", (long long)y, (long long)m, (long long)d);
}

static const char *format(struct arena *a, const char *lang, int kind, int64_t ms)
{
    ready();
    UDateFormat *f = l10n.date[lang_index(lang)][kind];
    const char *s = NULL;
    if (f != NULL) {
        UChar out[128];
        UErrorCode e = U_ZERO_ERROR;
        pthread_mutex_lock(&l10n.lock);
        int32_t n = udat_format(f, (UDate)ms, out, 128, NULL, &e);
        pthread_mutex_unlock(&l10n.lock);
        if (U_SUCCESS(e) && n < 128)
            s = to_arena(a, out, n);
    }
    if (s == NULL)
        s = iso_fallback(a, kind, ms);
    return s != NULL ? s : "";
}

const char *l10n_date(struct arena *a, const char *lang, int64_t ms)
{
    return ms > 0 ? format(a, lang, KIND_DATE, ms) : "";
}

const char *l10n_datetime(struct arena *a, const char *lang, int64_t ms)
{
    return ms > 0 ? format(a, lang, KIND_DATETIME, ms) : "";
}

const char *l10n_day(struct arena *a, const char *lang, int32_t day)
{
    return format(a, lang, KIND_DAY, (int64_t)day * 86400000);
}

const char *l10n_number(struct arena *a, const char *lang, int64_t n)
{
    ready();
    UNumberFormat *f = l10n.number[lang_index(lang)];
    const char *s = NULL;
    if (f != NULL) {
        UChar out[64];
        UErrorCode e = U_ZERO_ERROR;
        pthread_mutex_lock(&l10n.lock);
        int32_t len = unum_formatInt64(f, n, out, 64, NULL, &e);
        pthread_mutex_unlock(&l10n.lock);
        if (U_SUCCESS(e) && len < 64)
            s = to_arena(a, out, len);
    }
    if (s == NULL)
        s = arena_printf(a, "%lld", (long long)n);
    return s != NULL ? s : "";
}

/* ---- collation ---------------------------------------------------------------------------- */

struct sort_item {
    json_t *value;
    const char *name; /* NULL: no such member, sorts last */
    size_t index;     /* the original position: equal names keep their order */
};

static int by_name(const void *pa, const void *pb, void *ctx)
{
    const struct sort_item *a = pa, *b = pb;
    if ((a->name == NULL) != (b->name == NULL))
        return a->name == NULL ? 1 : -1;
    if (a->name != NULL) {
        UErrorCode e = U_ZERO_ERROR;
        UCollationResult r = ucol_strcollUTF8(ctx, a->name, -1, b->name, -1, &e);
        if (U_SUCCESS(e) && r != UCOL_EQUAL)
            return r == UCOL_LESS ? -1 : 1;
    }
    return a->index < b->index ? -1 : a->index > b->index;
}

/* The string at `path` ("name", or "name.text" for a member of a member) of `v`, or NULL. */
static const char *string_at(const json_t *v, const char *path)
{
    char part[64];
    const char *dot;
    while (v != NULL && (dot = strchr(path, '.')) != NULL) {
        size_t n = (size_t)(dot - path);
        if (n >= sizeof(part))
            return NULL;
        memcpy(part, path, n);
        part[n] = '\0';
        v = json_object_get(v, part);
        path = dot + 1;
    }
    return json_string_value(json_object_get(v, path));
}

int l10n_sort(const char *lang, json_t *array, const char *key)
{
    size_t n = json_array_size(array);
    if (n < 2)
        return 0;
    ready();
    UCollator *coll = l10n.coll[lang_index(lang)];
    struct sort_item *items = calloc(n, sizeof(*items));
    if (items == NULL)
        return -1;
    for (size_t i = 0; i < n; i++) {
        items[i].value = json_incref(json_array_get(array, i));
        items[i].name = string_at(items[i].value, key);
        items[i].index = i;
    }
    if (coll != NULL) { /* without a collator (no ICU data) the list keeps its order */
        pthread_mutex_lock(&l10n.lock);
        qsort_r(items, n, sizeof(*items), by_name, coll);
        pthread_mutex_unlock(&l10n.lock);
    }
    /* set_new takes over the reference taken above: the array holds each element again. */
    for (size_t i = 0; i < n; i++)
        json_array_set_new(array, i, items[i].value);
    free(items);
    return 0;
}
