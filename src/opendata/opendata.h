/*
 * opendata.h - open data (公共数据开放, issue 14 items 1-4).
 *
 * A dataset has metadata in zh, bo and en (title, description, keywords), a publisher
 * department, a licence (required to publish), DCAT-AP themes, spatial coverage (a division
 * code), temporal coverage, an update frequency and one CSV resource (UTF-8), served also as
 * JSON and through a row API. Departments upload their own; the platform publishes its own,
 * rebuilt by a refresh job from other modules' public functions (the service catalog, the
 * divisions, the working-day calendar, 好差评 statistics, 12345 orders by category, county and
 * week). Exports carry aggregates and reference data only, never a person's name, phone or ID
 * number.
 *
 * The catalog is published as DCAT-AP 3.0 (Turtle and JSON-LD, every literal tagged @zh @bo
 * @en), through CKAN's action API (/api/3/action/...) and as the portal /data. Design:
 * docs/internals/opendata.md.
 */
#ifndef ONEWINDOW_OPENDATA_OPENDATA_H
#define ONEWINDOW_OPENDATA_OPENDATA_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

struct buf;
struct store;
struct identity;
struct review;
struct hotline;
struct apply;
struct authz_subject;
struct web_server;

struct opendata;

/* Limits: an uploaded CSV, its columns, a slug ([a-z0-9-], 3..64). */
#define OPENDATA_CSV_MAX (4 * 1024 * 1024)
#define OPENDATA_COLS_MAX 32 /* CSV_MAX_FIELDS: the reader refuses a wider record */
#define OPENDATA_TEXT_MAX 2000

/* Open the module; store and identity (department names and codes) are borrowed. */
int opendata_open(struct store *st, struct identity *id, struct opendata **out, struct err *err);
void opendata_close(struct opendata *od);
/* The modules the platform datasets are read from (borrowed; any may be NULL, and its
 * datasets are then skipped by the refresh). */
void opendata_set_sources(struct opendata *od, struct review *rv, struct hotline *h,
                          struct apply *ap);

/* Check a CSV text: UTF-8, RFC 4180, a header line, every record as wide as the header, at
 * most OPENDATA_COLS_MAX columns. 0 with the data rows (header excluded) and columns; -1
 * with *bad_line (1-based) and err 400: opendata.csv_malformed (quoting, UTF-8, length,
 * more than OPENDATA_COLS_MAX fields), opendata.csv_width (a record with another number of
 * fields than the header), opendata.csv_empty. */
int opendata_csv_check(const char *csv, size_t len, size_t *rows, size_t *cols, size_t *bad_line,
                       struct err *err);

/* Create or replace a department's dataset. `meta` is {slug, title: {zh, bo, en},
 * description: {..}, keywords: {zh: "a, b", ..}, licence, themes: [..], spatial,
 * temporal_start, temporal_end, frequency}; `csv` may be NULL when updating metadata only.
 * `publish` publishes it (a licence is then required). Only the department's head or an
 * administrator of the platform (opendata.publish) may; another department's dataset with
 * the same slug is 409 opendata.slug_taken. 0 with *slug_out (static in meta); 1 with field
 * problems [{field, code, line?}] (all at once); -1 with err (403 authz.denied, 404). */
int opendata_put(struct opendata *od, const struct authz_subject *subj, int64_t department_id,
                 const json_t *meta, const char *csv, size_t csv_len, int publish, json_t *problems,
                 struct err *err);

/* Published datasets (all, drafts too, when `all`), newest first, each {id, slug,
 * department_id, department_code, title, description, keywords, themes, licence, spatial,
 * temporal_start, temporal_end, frequency, status, platform, nrows, ncols, created_at,
 * updated_at, missing_bo} (a new array of shared objects: read them, never change them;
 * json_deep_copy one to change it). */
int opendata_list(struct opendata *od, int all, json_t **out, struct err *err);
/* One dataset by slug or id text with its counters {downloads, api_calls} (a new object of
 * the caller's); drafts only when `all`. 404 opendata.not_found. */
int opendata_get(struct opendata *od, const char *slug, int all, json_t **out, struct err *err);
/* A dataset's CSV (malloc'd, the caller frees it). 404 when none. */
int opendata_csv(struct opendata *od, const char *slug, char **csv, size_t *len, struct err *err);
/* Count one download or one API call of a dataset. */
int opendata_count(struct opendata *od, const char *slug, int download, struct err *err);
/* Changes whenever a dataset is stored. */
int64_t opendata_version(struct opendata *od);

/* Rebuild the platform datasets now. 0 with how many were written. */
int opendata_refresh(struct opendata *od, int *n, struct err *err);
/* Refresh now and then every `interval_s` seconds in a thread (stopped by close). */
int opendata_jobs_start(struct opendata *od, int interval_s, struct err *err);

/* The catalog as DCAT-AP 3.0 appended to `b`: Turtle or JSON-LD. `base` is the site's
 * address without a trailing slash (subjects are <base>/data/<slug>). */
int opendata_dcat_turtle(struct opendata *od, const char *base, struct buf *b, struct err *err);
int opendata_dcat_jsonld(struct opendata *od, const char *base, struct buf *b, struct err *err);

/* API keys for heavy users: a new key (43 characters of base64url, shown once) allowed
 * `quota` calls a day. */
int opendata_key_create(struct opendata *od, const char *name, int64_t quota, char key_out[48],
                        struct err *err);
/* Spend one call of `key`: 0; -1 with 403 opendata.bad_key or 429 opendata.quota. */
int opendata_key_use(struct opendata *od, const char *key, struct err *err);

/* /data, /data/{slug}, downloads, /data/catalog.ttl|jsonld, /data/admin (upload),
 * /api/3/action/... . `public_url` (borrowed; "" = the request's Host) prefixes DCAT URIs. */
int opendata_http_register(struct web_server *srv, struct opendata *od, struct identity *id,
                           const char *public_url);
/* Demo data: the platform datasets, a dataset of Chengguan's civil affairs bureau (cg-mz)
 * and one of its drafts without Tibetan metadata (flagged on /data/admin). Idempotent. */
int opendata_load_demo(struct opendata *od, struct err *err);
/* `onewindow opendata refresh | key NAME QUOTA | bench-fill N`. */
int opendata_cli(struct opendata *od, int argc, char **argv, struct err *err);

#endif
