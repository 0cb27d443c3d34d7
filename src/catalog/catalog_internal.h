/* catalog_internal.h - shared between the catalog's logic, store, http and cli files. */
#ifndef ONEWINDOW_CATALOG_CATALOG_INTERNAL_H
#define ONEWINDOW_CATALOG_CATALOG_INTERNAL_H

#include <stdint.h>

#include <jansson.h>

#include "base/err.h"
#include "catalog/catalog.h"

struct store_conn;

struct catalog {
    struct store *st;
    struct identity *id;
    struct catalog_indexer ix; /* all NULL: nothing is indexed */
};

/* One stored version. Strings are owned by the caller of the store function (freed with
 * catalog_row_clear). */
struct catalog_row {
    char *code;
    int version;
    char status[16];
    char *doc;
    char digest[72];
    int64_t created_by, created_at, published_at;
};
void catalog_row_clear(struct catalog_row *r);

/* The columns derived from a checked document. */
struct catalog_cols {
    const char *code, *department, *name_zh;
    char audience[64];
    char life_events[512];
    char handled_by[2048];
};

int catalog_store_get(struct store_conn *c, const char *code, int version, const char *status,
                      struct catalog_row *out, int *found, struct err *err);
/* The highest version of any status (found 0 when the item is unknown). */
int catalog_store_latest(struct store_conn *c, const char *code, struct catalog_row *out,
                         int *found, struct err *err);
/* The highest published or retired version. */
int catalog_store_current(struct store_conn *c, const char *code, struct catalog_row *out,
                          int *found, struct err *err);
int catalog_store_insert(struct store_conn *c, const struct catalog_cols *cols, int version,
                         const char *status, const char *digest, const char *doc, int64_t actor,
                         int64_t now, struct err *err);
int catalog_store_set_status(struct store_conn *c, const char *code, int version,
                             const char *status, int64_t published_at, struct err *err);
/* Every published version changes to `status` (superseded / retired). */
int catalog_store_unpublish(struct store_conn *c, const char *code, const char *status,
                            int64_t *changed, struct err *err);
typedef int (*catalog_row_fn)(const struct catalog_row *r, const char *name_zh,
                              const char *department, void *ctx);
/* Published rows in code order (doc filled). */
int catalog_store_each_published(struct store_conn *c, catalog_row_fn fn, void *ctx,
                                 struct err *err);
/* Every version of every item in code, version order (doc NULL). */
int catalog_store_each_version(struct store_conn *c, catalog_row_fn fn, void *ctx, struct err *err);
/* The latest version of every item, in code order (doc filled). */
int catalog_store_each_latest(struct store_conn *c, catalog_row_fn fn, void *ctx, struct err *err);
/* Versions of one item in version order (doc filled). */
int catalog_store_history(struct store_conn *c, const char *code, catalog_row_fn fn, void *ctx,
                          struct err *err);
int catalog_store_bundle_get(struct store_conn *c, const char *code, char **doc, char *digest,
                             int *found, struct err *err);
int catalog_store_bundle_put(struct store_conn *c, const char *code, const char *life_event,
                             const char *digest, const char *doc, int64_t now, struct err *err);
int catalog_store_bundles(struct store_conn *c, json_t *out, struct err *err);
int catalog_store_version(struct store_conn *c, int64_t *v, struct err *err);
int catalog_store_bump(struct store_conn *c, struct err *err);

/* Search (catalog_index.c), each joining the caller's transaction; no-ops without an
 * indexer. */
int catalog_index_item(struct catalog *cat, const json_t *item, struct err *err);
int catalog_unindex_item(struct catalog *cat, const char *code, struct err *err);
int catalog_index_bundle(struct catalog *cat, struct store_conn *c, const json_t *bundle,
                         struct err *err);

/* Tibetan (catalog_lang.c). Whether a localised text's bo counts (present, Tibetan, not a
 * copy of zh or en). */
int catalog_bo_usable(const json_t *localised);
/* Append a problem for each person-facing text of the item (or the bundle's name) whose bo
 * does not count, at "<path>.bo"; the number appended. */
int catalog_item_check_bo(const json_t *item, json_t *problems);
int catalog_bundle_check_bo(const json_t *bundle, json_t *problems);

/* Hex SM3 of the canonical (sorted, compact) JSON of doc. */
int catalog_digest(const json_t *doc, char out[72]);
/* The derived columns of a checked item (pointers into item). */
void catalog_cols_of(const json_t *item, struct catalog_cols *cols);

/* The web pages (catalog_http.c, catalog_admin_http.c). Strings live in req->arena. */
struct web_req;
struct web_server;
/* The label of `prefix` + "." + `code` (catalog.events.birth ...). */
const char *catalog_web_label(struct web_req *req, const char *prefix, const char *code);
/* A translated label for key, or `fallback` when the catalogs have none. */
const char *catalog_web_t_or(struct web_req *req, const char *key, const char *fallback);
/* A localised text in the reader's language, with the language it is in: zh (marked so on
 * the page) when the reader's is missing, or for bo a copy of another language's. */
json_t *catalog_web_text(struct web_req *req, const json_t *loc);
/* The administration routes (catalog_admin_http.c). */
int catalog_admin_routes(struct web_server *srv, struct catalog *cat);

#endif
