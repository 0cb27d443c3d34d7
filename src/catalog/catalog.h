/*
 * catalog.h - the service catalog (政务服务事项目录): every service item a
 * citizen or an enterprise can apply for, as a versioned JSON document, plus the life-event
 * bundles (一件事) that group items.
 *
 * An item is a JSON document of the shape in docs/internals/catalog.md (module
 * contract §1 in docs/ARCHITECTURE.md), validated by catalog_item_check on import and on every
 * edit; unknown keys are refused. The store keeps every version of every item
 * (draft -> published -> superseded by the next published version, or retired) with a few
 * indexed columns (code, department, status, version, life events, audience) for browsing.
 * At most one version of an item is published at a time.
 *
 * Functions that write take their own transaction unless they say "joins the caller's
 * transaction". Every change is audited ("catalog.*") and bumps catalog_version, which
 * response caches key on.
 */
#ifndef ONEWINDOW_CATALOG_CATALOG_H
#define ONEWINDOW_CATALOG_CATALOG_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/err.h"

struct store;
struct store_conn;
struct identity;
struct web_server;

/* The module's handle (made in wiring): the store, identity (departments' names on pages) and
 * the search indexer. Functions that change the catalog or serve it take the handle; those
 * that only read the published catalog take the store (they hold no state). */
struct catalog;
int catalog_open(struct store *st, struct identity *id, struct catalog **out, struct err *err);
void catalog_close(struct catalog *cat);

/* Limits of a document (also enforced by catalog_item_check). */
#define CATALOG_CODE_MAX 40
#define CATALOG_MAX_MATERIALS 50
#define CATALOG_MAX_FIELDS 100
#define CATALOG_MAX_STEPS 50
#define CATALOG_MAX_ALIASES 20
#define CATALOG_MAX_TEXT 4000                        /* characters of one localised text */
#define CATALOG_MAX_BYTES_LIMIT (50LL * 1024 * 1024) /* the largest max_bytes of a material */
#define CATALOG_MAX_DOC_BYTES (1024 * 1024)          /* one item's serialised JSON */

/* Life events (fixed list): for people and for enterprises. */
struct catalog_life_event {
    const char *code;     /* "birth", "start_business" ... */
    const char *audience; /* "person" or "enterprise" */
};
extern const struct catalog_life_event catalog_life_events[];
extern const size_t catalog_life_event_count;
/* The life event with this code, or NULL. */
const struct catalog_life_event *catalog_life_event_find(const char *code);

/* ---- the contract (ARCHITECTURE.md §1) ------------------------------------------------- */

/* The published version of an item as a JSON document (new reference: json_decref it), with
 * "version" (int) and "status" added. 0; or -1 with err code "catalog.not_found" (404). */
int catalog_item_published(struct store *st, const char *code, json_t **item, struct err *err);
/* A given version (for an application that was filed against it), whatever its status
 * now; "version" and "status" added. 0; or -1 with "catalog.not_found". */
int catalog_item_version(struct store *st, const char *code, int version, json_t **item,
                         struct err *err);
/* Check a document for publication; every problem appended to *problems (array of {path,
 * code, message}, path a JSON path such as "$.materials[2].cert_type", code a stable i18n key
 * such as "catalog.check.required", message an English sentence). 0 ok, 1 invalid. Pure:
 * needs no store (department codes are checked by catalog_item_check_refs). A published item
 * carries Tibetan for every person-facing text (catalog_lang.c): each one lacking, copied
 * from zh/en or without a Tibetan letter is a problem at its ".bo" path
 * (catalog.check.bo_missing, bo_copy, bo_not_tibetan). Import and publication use this. */
int catalog_item_check(const json_t *item, json_t *problems);
/* The same without the Tibetan rule: what a draft must satisfy. */
int catalog_item_check_draft(const json_t *item, json_t *problems);
/* Import a whole catalog document {"items": [...], "bundles": [...]} (or one item): each item
 * becomes a new published version when it differs from the current one (otherwise nothing
 * changes: re-importing is idempotent). Every problem of every item is found before anything
 * is written; then -1 with err "catalog.invalid" (400) whose msg names the first, and the
 * whole list in *problems when problems is not NULL (paths prefixed "$.items[3]...",
 * each with "item": the item's code when it has one). Counts returned. Own transaction. */
int catalog_import(struct catalog *cat, int64_t actor, const json_t *doc, int *created,
                   int *updated, struct err *err);
int catalog_import_checked(struct catalog *cat, int64_t actor, const char *ip, const json_t *doc,
                           int *created, int *updated, json_t *problems, struct err *err);
/* The whole catalog: {"items": [every published item, without version/status],
 * "bundles": [...]} in code order; importing it into an empty store gives the same catalog. */
int catalog_export(struct store *st, json_t **doc, struct err *err);
/* Localised text helper used by everyone: obj[lang] or obj["zh"] or "" (never NULL). A bo
 * text that is a copy of the zh or en text, or has no Tibetan letter, counts as missing. */
const char *catalog_text(const json_t *localised, const char *lang);
/* The language of the text catalog_text(localised, lang) returns ("zh" when it fell back),
 * for marking it: <span lang="zh"> on a Tibetan page. */
const char *catalog_text_lang(const json_t *localised, const char *lang);

/* A bundle {code, name, life_event, items: [codes]} (new reference), or -1 with
 * "catalog.not_found". */
int catalog_bundle_get(struct store *st, const char *code, json_t **bundle, struct err *err);
/* Check a bundle document (shape and a Tibetan name; item existence is checked by import).
 * 0 ok, 1 invalid. */
int catalog_bundle_check(const json_t *bundle, json_t *problems);

/* ---- beyond the contract --------------------------------------------------------------- */

/* Checks that need the store: department and handled_by codes exist. Problems appended
 * with paths prefixed by `prefix` ("$" for a lone item). 0 ok, 1 problems, -1 err. */
int catalog_item_check_refs(struct catalog *cat, const json_t *item, const char *prefix,
                            json_t *problems, struct err *err);

/* A number that changes whenever the catalog changes (platform_meta "catalog_version"). */
int64_t catalog_version(struct store *st);

/* Summaries of the published items, in code order: array of {code, name, type, audience,
 * life_events, department, handled_by, levels, online_depth, region_wide, cross_province,
 * fee_fen, promised_days, featured (0 when not featured), version}. Filters may be NULL / 0.
 * `handled_in` keeps items handled in a division (see the filter). */
struct catalog_filter {
    const char *department; /* department code (lead or handled_by) */
    const char *life_event;
    const char *audience; /* person | enterprise */
    /* The division filter, resolved by the caller through identity (departments are
     * identity's): the codes of the departments in the chosen division (an array of
     * strings), or NULL for any division. An item is kept when a handled_by department is
     * among them. */
    const json_t *handled_in;
};
int catalog_list(struct store *st, const struct catalog_filter *f, json_t **items, struct err *err);
/* The codes of the departments that serve `division` (12 digits): those whose own division is
 * it or one of its ancestors, as identity has them (a new array) - the filter's handled_in. */
int catalog_departments_in(struct catalog *cat, int64_t division, json_t **codes, struct err *err);
/* The published services' names in `lang`: {code: name} (new reference; empty when the
 * catalog cannot be read, and a page then shows the code). */
json_t *catalog_item_names(struct store *st, const char *lang);
/* All bundles, in code order (new reference). */
int catalog_bundles(struct store *st, json_t **bundles, struct err *err);

/* Administration (each audited, own transaction). */
/* Save `item` as a new draft version. 0 with *version; 1 when invalid (problems filled,
 * nothing stored); -1 err. */
int catalog_draft_save(struct catalog *cat, int64_t actor, const char *ip, const json_t *item,
                       int *version, json_t *problems, struct err *err);
/* Publish a draft version (the published one, if any, becomes "superseded"). The draft is
 * checked as an import is (catalog_item_check, its Tibetan included): when it falls short,
 * 422 catalog.not_publishable with every problem appended to *problems (may be NULL). Other
 * errors: 404 catalog.not_found, 409 catalog.not_draft. */
int catalog_publish(struct catalog *cat, int64_t actor, const char *ip, const char *code,
                    int version, json_t *problems, struct err *err);
/* Retire the item: its published version becomes "retired"; nothing is published. 409
 * catalog.not_published when nothing is. */
int catalog_retire(struct catalog *cat, int64_t actor, const char *ip, const char *code,
                   struct err *err);
/* Every item with its latest version and status, for administrators: array of
 * {code, name_zh, name: the latest version's {zh, bo, en}, department, latest_version,
 * latest_status, published_version, updated_at}. */
int catalog_admin_list(struct store *st, json_t **items, struct err *err);
/* Every version of an item, newest first: array of {version, status, created_at,
 * created_by, published_at, changes: [JSON paths that differ from the previous version]},
 * drafts with publish_problems: [{path, code, message}] for each Tibetan text they lack. */
int catalog_history(struct store *st, const char *code, json_t **versions, struct err *err);
/* The latest version (any status) of an item, "version" and "status" added. */
int catalog_item_latest(struct store *st, const char *code, json_t **item, struct err *err);

/* JSON paths at which a and b differ (appended to out, at most `max`). */
void catalog_diff(const json_t *a, const json_t *b, const char *path, json_t *out, size_t max);

/* ---- search (catalog_index.c) ----------------------------------------------------------
 * Published items and bundles are documents of the platform's search. The catalog does not
 * depend on the search module: wiring connects them with an indexer on the handle, set once
 * at start-up (before any catalog change). Without one, nothing is indexed. */
#define CATALOG_KIND_ITEM "service"
#define CATALOG_KIND_BUNDLE "service_bundle"
struct catalog_doc {
    const char *kind;     /* CATALOG_KIND_ITEM or CATALOG_KIND_BUNDLE */
    const char *code;     /* the item's or bundle's code: its page is /services/CODE or
                           * /services/bundles/CODE */
    const char *title;    /* the Chinese name */
    const json_t *titles; /* the name in each language it has, {zh, bo, en} */
    const char *text;     /* names, aliases, conditions, material names (every language),
                           * the code */
    int64_t updated_at_ms;
};
struct catalog_indexer {
    void *ctx;
    /* Index one document (insert or replace); joins the catalog's transaction. */
    int (*put)(void *ctx, const struct catalog_doc *d, struct err *err);
    /* Remove one (not an error when absent); joins the catalog's transaction. */
    int (*remove)(void *ctx, const char *kind, const char *code, struct err *err);
    /* Remove every document of a kind (a rebuild); joins the caller's transaction. */
    int (*clear)(void *ctx, const char *kind, struct err *err);
    /* The codes of the documents of `kind` that match the text `q`, best first, at most
     * `limit` (a new array of strings). */
    int (*find)(void *ctx, const char *kind, const char *q, int limit, json_t **codes,
                struct err *err);
};
void catalog_set_indexer(struct catalog *cat, const struct catalog_indexer *ix);
/* Rebuild the catalog's part of the index from the published items and the bundles, in one
 * transaction (`onewindow catalog reindex`). Counts returned. */
int catalog_reindex(struct catalog *cat, int *items, int *bundles, struct err *err);
/* Rebuild once when the index was never built for this database (a catalog published
 * before the catalog was searchable) or with an older document format; else nothing.
 * *rebuilt gets the number of documents written (0: it was current). At start-up. */
int catalog_index_ensure(struct catalog *cat, int *rebuilt, struct err *err);
/* The codes of items (CATALOG_KIND_ITEM) or bundles matching q, best first (new array). An
 * empty array when no indexer is set. */
int catalog_find(struct catalog *cat, const char *kind, const char *q, int limit, json_t **codes,
                 struct err *err);

/* Load the embedded data/catalog/demo.json (onewindow demo). Idempotent. */
int catalog_load_demo(struct catalog *cat, int *created, int *updated, struct err *err);

/* Routes: /services..., /api/v1/services..., /admin/catalog... */
int catalog_http_register(struct web_server *srv, struct catalog *cat);
/* `onewindow catalog import FILE | export [FILE] | reindex`; argv[0] is the sub-command. Returns 0,
 * 1 on failure, 2 for a usage error, with err set. */
int catalog_cli(struct catalog *cat, int argc, char **argv, struct err *err);

#endif
