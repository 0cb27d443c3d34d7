/*
 * divisions.h - the administrative divisions the platform serves (region, prefecture,
 * county, township, village), from the national statistical division codes.
 *
 * A division code is the 12-digit statistical code: digits 1-6 are the GB/T 2260 code
 * (province, prefecture, county), 7-9 the township, 10-12 the village. Other modules
 * key their records by division (an application's division, a staff member's scope), so
 * this module also answers "is A inside B" from the codes alone.
 */
#ifndef ONEWINDOW_DIVISIONS_DIVISIONS_H
#define ONEWINDOW_DIVISIONS_DIVISIONS_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

struct arena;
struct store;
struct store_conn;
struct web_server;

enum division_level {
    DIVISION_REGION = 1,
    DIVISION_PREFECTURE = 2,
    DIVISION_COUNTY = 3,
    DIVISION_TOWNSHIP = 4,
    DIVISION_VILLAGE = 5,
};

/* The root of the reference deployment: the Xizang Autonomous Region. */
#define DIVISIONS_ROOT 540000000000LL

struct division {
    int64_t code;
    int64_t parent_code; /* 0 for the root */
    int level;           /* enum division_level */
    const char *name_zh; /* always present */
    const char *name_bo; /* NULL until translated */
    const char *name_en; /* NULL until translated */
};

/* Parse a division code given by a person or a URL: 12 digits, or the 6-digit GB/T 2260
 * form (padded with zeros). -1 with err (400, "divisions.bad_code") otherwise. */
int divisions_parse_code(const char *s, int64_t *code, struct err *err);

/* The name to show in `lang` ("zh", "bo", "en"), falling back to Chinese. */
const char *divisions_name(const struct division *d, const char *lang);
/* "region", "prefecture", "county", "township", "village" (i18n key suffix), or NULL. */
const char *divisions_level_key(int level);
/* Whether `inner` lies within `outer` (or is it), from the code structure alone. */
int divisions_contains(int64_t outer, int64_t inner);

/* Load the embedded reference data (data/xizang-divisions.csv and -villages.csv): rows
 * that are missing are inserted, rows present are left alone (an administrator's edits
 * survive a second `init`). One transaction. *inserted counts the new rows. */
int divisions_load_reference(struct store *s, int *inserted, struct err *err);

/* One division; strings live in `a`. -1 with err (404 "divisions.not_found"). */
int divisions_get(struct store_conn *c, struct arena *a, int64_t code, struct division *out,
                  struct err *err);
/* The direct children of `code`, ordered by code, in an arena array. */
int divisions_children(struct store_conn *c, struct arena *a, int64_t code,
                       struct division **out, size_t *n, struct err *err);
/* Number of divisions at each level (index 1..5), for status pages. */
int divisions_count_by_level(struct store_conn *c, int64_t counts[6], struct err *err);

/* A number that changes whenever the divisions table changes (kept in platform_meta
 * "divisions_version"); read from the database at most once a second per process, for
 * the response cache of the divisions pages. */
int64_t divisions_version(struct store_conn *c);

/* Register the pages and API: /divisions, /divisions/{code}, /api/v1/divisions[/{code}]. */
int divisions_http_register(struct web_server *srv, struct store *s);

#endif
