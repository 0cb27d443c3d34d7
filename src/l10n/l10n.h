/*
 * l10n.h - dates, times, numbers and the order of lists as a person reads them in zh, bo or
 * en, from ICU with CLDR's data (libicu, icu-i18n). One place for what every page shows:
 * a handler writes `l10n_datetime(req->arena, req->lang, ms)` where it used to format
 * "%04d-%02d-%02d %02d:%02d" by hand (docs/internals/l10n.md).
 *
 *   zh  2026年2月10日 17:05
 *   bo  སྤྱི་ལོ་2026 ཟླ་བ་གཉིས་པའི་ཚེས་10 17:05
 *   en  February 10, 2026 at 17:05
 *
 * Times are in Asia/Shanghai, on a 24-hour clock in every language. Digits are ASCII in all
 * three: CLDR's default numbering system for bo is Latin digits (Tibetan digits are
 * `bo@numbers=tibt`), and dates then read in the same digits as the application numbers,
 * ID numbers, amounts and deadlines beside them, which must stay ASCII. Identifiers, codes
 * and amounts never go through these functions.
 *
 * Any language other than bo and en is formatted as zh (the platform's source language).
 * The formatters are created on first use and kept for the life of the process; every
 * function is safe to call from any thread. If ICU cannot give a formatter (its data
 * missing), dates fall back to ISO 8601 ("2026-02-10 17:05") rather than fail a page.
 */
#ifndef ONEWINDOW_L10N_L10N_H
#define ONEWINDOW_L10N_L10N_H

#include <jansson.h>
#include <stdint.h>

struct arena;

/* The date of `ms` (milliseconds since the epoch) in Asia/Shanghai: "2026年2月10日". The
 * string lives in `a`; "" when ms <= 0 (no date) or when `a` is out of memory; never NULL. */
const char *l10n_date(struct arena *a, const char *lang, int64_t ms);
/* Date and time (hours and minutes) of `ms`: "2026年2月10日 17:05". As l10n_date. */
const char *l10n_datetime(struct arena *a, const char *lang, int64_t ms);
/* A calendar day, counted in days since 1970-01-01 (calendar.h's day numbers, no time zone):
 * "2026年2月10日". Lives in `a`; "" when out of memory; never NULL. */
const char *l10n_day(struct arena *a, const char *lang, int32_t day);
/* A count for people, with the language's grouping: "1,234,567". Lives in `a`; never NULL. */
const char *l10n_number(struct arena *a, const char *lang, int64_t n);

/* Sorts `array` (of objects) in place by the string at `key` ("name", or "name.text" for a
 * member of a member), in the order a reader of `lang` expects (CLDR's collations): pinyin
 * for zh; for bo, syllables filed under their root letter (བཀྲ་ཤིས with ཀ, before ཁ);
 * alphabetical for en. Elements without the string go last; equal names keep their order.
 * 0, or -1 when out of memory (the array is then unchanged). */
int l10n_sort(const char *lang, json_t *array, const char *key);

#endif
