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

#include <jansson.h>

#include "base/err.h"

struct arena;
struct store;
struct store_conn;
struct web_server;
struct web_req;

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
    /* Where name_bo comes from (a page address, from the reference data), or NULL when
     * there is no Tibetan name or an administrator has changed it since it was loaded. */
    const char *name_bo_source;
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
/* The level a code's shape gives (1 region .. 5 village): the trailing zeros of the
 * statistical code say it (2, 4, 6, 9 or 12 significant digits). */
int divisions_level_of(int64_t code);
/* Check a division a person chose on a form, from the code's shape: NULL when `s` is a
 * 12-digit code inside the region (DIVISIONS_ROOT) at `min_level` or finer, with *code
 * set; else the error code to show: "divisions.bad_code" (not a code), "divisions.outside"
 * (another province), "divisions.incomplete" (coarser than min_level: a half-picked
 * picker). Whether the code exists is the store's question (divisions_get). */
const char *divisions_check_choice(const char *s, int min_level, int64_t *code);

/* What loading the reference data changed. */
struct divisions_load_counts {
    int inserted; /* new divisions */
    int names;    /* Tibetan names filled in, corrected or withdrawn from the reference data */
};

/* Load the embedded reference data (data/xizang-divisions.csv and -villages.csv) in one
 * transaction. Missing rows are inserted; rows present keep their codes, levels and
 * Chinese and English names (an administrator's edits survive a second `init`). Tibetan
 * names follow the reference data (with their source) as long as nobody changed them
 * since they were loaded: an empty name is filled, a name still equal to what the
 * reference data last gave is corrected (or withdrawn), and a name an administrator set
 * is left alone (docs/internals/divisions.md, "Tibetan names"). A name_bo without its
 * name_bo_source, or without a Tibetan letter, is bad data. */
int divisions_reference_load(struct store *s, struct divisions_load_counts *n, struct err *err);
/* The same; *inserted counts the new rows. */
int divisions_load_reference(struct store *s, int *inserted, struct err *err);

/* One division; strings live in `a`. -1 with err (404 "divisions.not_found"). */
int divisions_get(struct store_conn *c, struct arena *a, int64_t code, struct division *out,
                  struct err *err);
/* The direct children of `code`, ordered by code, in an arena array. */
int divisions_children(struct store_conn *c, struct arena *a, int64_t code, struct division **out,
                       size_t *n, struct err *err);
/* The name of division `code` in `lang` (divisions_name), in `a`, for pages and messages
 * that name a place; *name_lang (may be NULL) gets the language the name is in ("zh" when
 * it fell back). NULL when there is no such division or the store failed. */
const char *divisions_place_name(struct store_conn *c, struct arena *a, int64_t code,
                                 const char *lang, const char **name_lang);
/* Where division `code` is, from its prefecture down, in `lang`: a new JSON array of
 * {name, lang, sep} (sep "" for the first part, else " › "), and *text (in `a`) the same
 * parts joined, for places shown as a value (an application's field of type "division").
 * NULL when the code is unknown or the store failed. */
json_t *divisions_path_json(struct store_conn *c, struct arena *a, int64_t code, const char *lang,
                            const char **text);
/* Number of divisions at each level (index 1..5), for status pages. */
int divisions_count_by_level(struct store_conn *c, int64_t counts[6], struct err *err);

/* A number that changes whenever the divisions table changes (kept in platform_meta
 * "divisions_version"); read from the database at most once a second per process, for
 * the response cache of the divisions pages. */
int64_t divisions_version(struct store_conn *c);

/* Up to `limit` (1..50) divisions below the region whose name in any language contains
 * `q`, or whose code starts with `q` when it is all digits: exact names first, then names
 * that begin with it, then by level and code. Strings live in `a`. */
int divisions_search(struct store_conn *c, struct arena *a, const char *q, int limit,
                     struct division **out, size_t *n, struct err *err);

/* ---- the division picker -----------------------------------------------------------------
 * One piece for every form that asks where something is (the hotline's public form and
 * desk, an application's fields of type "division"): linked selects prefecture → county →
 * township → village. They work without JavaScript: the "next" button (a submit button
 * named DIVISIONS_PICK_BUTTON whose value is the picker's name) sends the whole form back,
 * and the handler renders it again, every value kept and nothing validated, with the next
 * level's choices. With JavaScript, web/static/divisions-picker.js refills the selects as
 * they change and adds a type-ahead by name in zh, bo and en (GET
 * /api/v1/divisions/search?q=, GET /api/v1/divisions/{code}/picker).
 *
 * A picker named N posts N.l2 (prefecture), N.l3, N.l4 and N.l5 (village); clients that are
 * not browsers may post N itself, a 12-digit code. Template: web/templates/divisions/
 * picker.html, included with the picker's model as the context. */
#define DIVISIONS_PICK_BUTTON "_pick"

/* The code the selects posted, from the top: each level must continue the one above (a
 * county left over after the prefecture changed does not), and the first empty, missing or
 * inconsistent level ends the choice. picks[0..3] are the values of .l2 .. .l5 (NULL when
 * absent). 0 when not even a prefecture was chosen. */
int64_t divisions_pick_resolve(const char *const picks[4]);
/* The text a picker named `name` submitted, for the form's validation: the resolved code
 * (12 digits; a half-picked picker gives its county or prefecture, which validation then
 * calls incomplete) when the form has the selects, else the plain field `name` as sent, or
 * "" when neither. Lives in the request's arena; never NULL. */
const char *divisions_pick_value(struct web_req *req, const char *name);
/* Whether this POST only asked a picker for its next level (the "next" button). */
int divisions_pick_requested(struct web_req *req);

/* The picker's model in `lang` for the choice `chosen` (0: none; an unknown code shows its
 * deepest known ancestor): {code, level, complete (at min_level or finer), path [{code,
 * name, name_lang, level}] from the prefecture down, levels [4 × {level, depth, shown,
 * selected, options [{code, name, lang, selected}]}], more (a finer level can still be
 * chosen)}. A level is shown once the level above is chosen (the prefecture always). *out
 * is a new reference. */
int divisions_picker_model(struct store_conn *c, struct arena *a, const char *lang, int64_t chosen,
                           int min_level, json_t **out, struct err *err);

/* One picker on a page: the model above plus what the template shows. */
struct divisions_picker_field {
    const char *name;  /* form name: the selects are name.l2 .. name.l5; the id is name */
    const char *value; /* the text chosen so far (a code, or what was sent); NULL: none */
    const char *label; /* the fieldset's legend */
    const char *hint;  /* or NULL */
    const char *error; /* the field's error, localised, or NULL */
    int required;
    int min_level; /* DIVISION_TOWNSHIP: coarser is incomplete; finer levels are optional */
};
/* The view model of web/templates/divisions/picker.html for this request's language (level
 * labels and placeholders localised), from the store `s`. -1 with err when it fails. */
int divisions_picker(struct web_req *req, struct store *s, const struct divisions_picker_field *f,
                     json_t **out, struct err *err);

/* Register the pages and API: /divisions, /divisions/{code}, /api/v1/divisions[/{code}],
 * /api/v1/divisions/search, /api/v1/divisions/{code}/picker. */
int divisions_http_register(struct web_server *srv, struct store *s);

#endif
