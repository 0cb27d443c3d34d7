/*
 * search.h - one full-text search for the platform: documents of any kind
 * (knowledge-base articles, work orders, catalog items, policies...) in Chinese, Tibetan
 * and English, without word segmentation.
 *
 * SQLite: an FTS5 table with the trigram tokenizer, ranked by bm25 with the title weighted;
 * queries shorter than three characters (two Chinese characters, one Tibetan syllable) fall
 * back to a substring scan over a bounded candidate set. PostgreSQL: pg_trgm GIN indexes,
 * ranked by similarity. Text is NFC-normalised on the way in and on the way out of a query.
 * Design and limits: docs/internals/search.md.
 *
 * Modules own their documents: they call search_put / search_delete when the object
 * changes (inside their own transaction) and register their kind once at start-up
 * (search_register_kind) so the public page can offer it as a filter.
 *
 * A `struct search` is shared by every thread (it only holds the store and the kind list,
 * which must be registered before serving).
 */
#ifndef ONEWINDOW_SEARCH_SEARCH_H
#define ONEWINDOW_SEARCH_SEARCH_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

struct store;
struct web_server;
struct search;

/* Limits. A longer query is cut (at a character boundary) to SEARCH_MAX_QUERY characters. */
#define SEARCH_MAX_QUERY 200
#define SEARCH_MAX_LIMIT 100
#define SEARCH_DEFAULT_LIMIT 20
#define SEARCH_MAX_OFFSET 1000
#define SEARCH_MAX_KIND 32
#define SEARCH_MAX_TITLE 1000
#define SEARCH_MAX_BODY (256 * 1024)

enum search_visibility { SEARCH_PUBLIC = 0, SEARCH_STAFF = 1 };

struct search_doc {
    const char *kind;      /* [a-z0-9_]{1,32}, e.g. "kb", "order", "catalog" */
    int64_t id;            /* the owning module's id; (kind, id) is unique */
    const char *lang;      /* zh|bo|en (or NULL = zh) */
    const char *title;     /* required, UTF-8 */
    const char *body;      /* may be NULL */
    int64_t dept_id;       /* 0 = none */
    int64_t division_code; /* 12-digit division code, 0 = none */
    const char *tag;       /* category or similar, may be NULL */
    int64_t updated_at_ms;
    int visibility; /* 0 public, 1 staff */
    /* Objects keyed by a code rather than a number (catalog items: "XZ-MZ-001"): ref is
     * that key, [A-Za-z0-9._-]{1,100}, and the hit links to url_prefix + ref. With a ref,
     * id may be 0: search derives a stable id from (ref) itself. NULL/"" = no ref. */
    const char *ref;
    /* The title in several languages, {"zh": ..., "bo": ..., "en": ...} (borrowed), or
     * NULL. Every one is matched as the title (they are stored after `title`, as far as
     * SEARCH_MAX_TITLE allows); a hit shows the one of the reader's language
     * (search_query.display_lang), else the document language's, else `title`. */
    const json_t *titles;
};

/* Open on a store whose schema is migrated. *out is owned by the caller (search_close). */
int search_open(struct store *st, struct search **out, struct err *err);
void search_close(struct search *s);

/* Declare a document kind with its i18n key (a label in the SENDING module's catalog, e.g.
 * "hotline.kind.kb") so the public search page can list it as a filter, and the URL prefix
 * of its documents' pages (the hit links to url_prefix + id, e.g. "/kb/"), or NULL for no
 * link. Before serving (not thread-safe). Registering a kind again replaces it. */
int search_register_kind(struct search *s, const char *kind, const char *label_key,
                         const char *url_prefix, struct err *err);
/* The registered kinds as a JSON array [{kind, label_key, url_prefix}] (new reference). */
json_t *search_kinds(const struct search *s);

/* Insert or replace the document (kind, id). Joins the caller's transaction (uses this
 * thread's connection and does not begin or commit): call both inside one, since the index
 * spans several statements (outside, each would commit by itself). 0, or -1 with err
 * "search.bad_doc" (400) or a store error (then roll the transaction back). */
int search_put(struct search *s, const struct search_doc *d, struct err *err);
/* Remove the document if it is there (not an error when it is not). Joins the caller's tx. */
int search_delete(struct search *s, const char *kind, int64_t id, struct err *err);
/* The same for a document put with a ref. */
int search_delete_ref(struct search *s, const char *kind, const char *ref, struct err *err);
/* Remove every document of a kind (a module rebuilding its part of the index); *deleted
 * (may be NULL) gets how many. Joins the caller's transaction. */
int search_delete_kind(struct search *s, const char *kind, int64_t *deleted, struct err *err);

/* ---- indexing after commit -------------------------------------------------------------
 * The index is derived state: a module whose writes are frequent (the hotline's orders)
 * does not index inside its transaction but calls search_enqueue there (one small row);
 * the indexing job builds each queued object's document with the kind's loader, from the
 * object as committed, and indexes it in a batch of its own. The job drains the queue at
 * start (nothing is lost to a crash), when kicked (search_kick, after the writer's commit)
 * and every interval. Design: docs/internals/search.md, "Indexing after commit". */
struct arena;
/* Fill *d (strings in the arena) with the current document of (kind, id): 1, or 0 when
 * the object is gone (its document is deleted), or -1 with err. Runs inside the job's
 * transaction, on the job thread's connection. */
typedef int (*search_loader_fn)(void *ctx, struct arena *a, const char *kind, int64_t id,
                                struct search_doc *d, struct err *err);
int search_set_loader(struct search *s, const char *kind, search_loader_fn fn, void *ctx,
                      struct err *err);
/* Queue (kind, id) for indexing. Joins the caller's transaction. */
int search_enqueue(struct search *s, const char *kind, int64_t id, struct err *err);
/* Wake the job (after the enqueuing transaction committed). Safe when the job is not running. */
void search_kick(struct search *s);
/* Index up to `max` queued objects in one transaction; *done how many rows were taken (0:
 * the queue is empty). */
int search_drain(struct search *s, int max, int *done, struct err *err);
/* Objects still queued. */
int search_pending(struct search *s, int64_t *n, struct err *err);
/* Start the job: it drains the queue now and then whenever kicked (after delay_ms: a
 * window that batches a burst) or every interval_ms. search_close stops it. */
int search_job_start(struct search *s, int interval_ms, int delay_ms, struct err *err);
void search_job_stop(struct search *s);

struct search_query {
    const char *kind;         /* NULL/"" = all kinds */
    const char *q;            /* the user's text, anything at all */
    const char *lang;         /* NULL/"" = all languages */
    int64_t dept_id;          /* 0 = any */
    int64_t division_prefix;  /* 0 = any; else a division code: its documents and its
                               * descendants' (2, 4, 6, 9 or 12 significant digits) */
    const char *tag;          /* NULL/"" = any */
    int include_staff;        /* 0: public documents only */
    int limit;                /* 0 = SEARCH_DEFAULT_LIMIT, capped at SEARCH_MAX_LIMIT */
    int offset;               /* capped at SEARCH_MAX_OFFSET */
    const char *display_lang; /* the reader's language, for documents with titles; NULL =
                               * each document's own */
};

/* Matches considered for ranking: the most recently indexed ones (see search_run). */
#define SEARCH_CANDIDATES 400

/* Results: a new JSON object
 *   {"total": N, "more": bool, "query": "<normalised query>", "hits": [
 *      {"kind", "id", "lang", "title", "title_lang", "title_segments": [...],
 *       "snippet": [...], "dept_id", "division_code", "tag", "updated_at", "score",
 *       and for documents put with them "ref" and "titles"}]}
 * where title is the one to show (display_lang's when the document has titles) and
 * title_lang its language;
 * snippet / title_segments are arrays of {"text": "...", "hit": true|false}: the
 * text is NOT escaped (templates escape it), the hit segments are the matched parts.
 * Terms are ANDed; each matches as a substring (case-folded). Ranking considers the
 * SEARCH_CANDIDATES most recently indexed matching documents (so a very common term costs
 * no more than a rare one): "total" counts them, and "more" is true when there were more
 * matches than that (show "1000+"). Paging goes no further than the candidates.
 * Never fails on user input: empty, huge or FTS-syntax queries give an empty or sensible
 * result; -1 only for store failures. */
int search_run(struct search *s, const struct search_query *q, json_t **result, struct err *err);

/* The query as search will use it: NFC, control characters and FTS syntax neutralised,
 * whitespace collapsed, cut at SEARCH_MAX_QUERY characters. Writes at most cap bytes
 * (NUL included) into out and returns the number of terms (0 = nothing to search). Public
 * for the fuzz target and the tests. */
int search_normalize_query(const char *q, char *out, size_t cap);

/* GET /search (HTML) and /api/v1/search (JSON): public documents only. */
int search_http_register(struct web_server *srv, struct search *s);

/* `onewindow search index-file FILE.jsonl | query [--kind K] [--staff] TEXT | reindex-stats`.
 * argv are the words after "search". Returns the exit status. */
int search_cli(struct search *s, int argc, char **argv, struct err *err);

#endif
