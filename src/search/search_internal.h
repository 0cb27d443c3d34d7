/* search_internal.h - shared by search.c (logic), search_text.c (Unicode), search_store.c
 * (SQL), search_http.c and search_cli.c. */
#ifndef ONEWINDOW_SEARCH_INTERNAL_H
#define ONEWINDOW_SEARCH_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "search/search.h"

struct store_conn;

#define SEARCH_MAX_TERMS 8
/* PostgreSQL matches at most this many terms (one LIKE each); the rest are dropped. */
#define SEARCH_PG_TERMS 4

#define SEARCH_MAX_LOADERS 16

struct search {
    struct store *st;
    json_t *kinds; /* [{kind, label_key}] */
    /* Indexing after commit (search_job.c): the kinds whose documents are built by a
     * loader, and the job thread. */
    struct {
        char kind[SEARCH_MAX_KIND + 1];
        search_loader_fn fn;
        void *ctx;
    } loaders[SEARCH_MAX_LOADERS];
    int nloaders;
    pthread_t job;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int running, stop, kicked, delay_ms, interval_ms;
};

/* ---- text (search_text.c) ------------------------------------------------------------ */

/* NFC of valid UTF-8 `s` (n bytes) as a new malloc'd string; NULL when s is not valid
 * UTF-8 or memory ran out. */
char *search_nfc(const char *s, size_t n);
/* Decode one code point at s (valid UTF-8 assumed); returns its length in bytes. */
int search_utf8_next(const char *s, uint32_t *cp);
/* Simple case folding of one code point. */
uint32_t search_fold(uint32_t cp);
/* A letter, mark, number or private-use character (the bigram index's word characters). */
int search_is_word(uint32_t cp);
/* The bigram tokens of a text (see docs/internals/search.md), as a malloc'd string; NULL
 * when out of memory (never a partial list). */
char *search_bigrams(const char *text);

/* A query split into terms. */
struct search_terms {
    int n;
    char term[SEARCH_MAX_TERMS][SEARCH_MAX_QUERY * 4 + 1]; /* NFC, trimmed */
    int chars[SEARCH_MAX_TERMS];                           /* code points */
};
/* Split a normalised query (search_normalize_query) into terms. */
void search_split_terms(const char *normalized, struct search_terms *t);

/* Highlight: the segments [{text, hit}] of `text` where any term matches (case-folded).
 * snippet > 0: only a window of about that many characters around the first hit (the start
 * of the text when nothing matches), with "…" where text was cut. */
json_t *search_segments(const char *text, const struct search_terms *t, int snippet);

/* Relevance of a document for the terms (higher is better): a term in the title weighs
 * ten times one in the body; more occurrences and a title the term fills more score more.
 * *all is set to 1 when every term occurs in the title or the body. */
double search_score(const char *title, const char *body, const struct search_terms *t, int *all);

/* ---- store (search_store.c) --------------------------------------------------------- */

struct search_filter {
    const char *kind, *lang, *tag; /* "" = any */
    int64_t dept_id;               /* 0 = any */
    int64_t div_lo, div_hi;        /* division_code range */
    int64_t max_visibility;        /* 0 public only, 1 staff too */
    int limit, offset;
};

/* The expressions for SQLite: an FTS5 MATCH over the trigram table (NULL when no term has
 * three characters or more) and one over the bigram table (NULL when no short term). */
struct search_match {
    const char *tri;
    const char *bi;
    /* PostgreSQL: LIKE patterns (escaped, %...%) and the query for similarity. */
    int npat;
    const char *pat[SEARCH_PG_TERMS];
    const char *whole;
    const char *tsq;                  /* the terms' bigram lexemes ANDed, a tsquery (PostgreSQL) */
    const struct search_terms *terms; /* for ranking */
};

/* Called per hit in rank order. */
struct search_row {
    const char *kind, *lang, *title, *body, *tag;
    const char *ref, *titles; /* "" when the document has none */
    int64_t ref_id, dept_id, division_code, updated_at;
    double score;
};
typedef int (*search_row_fn)(const struct search_row *r, void *ctx, struct err *err);

/* Insert or replace; `titles` is the JSON text of d->titles ("" or NULL for none). */
int search_store_put(struct store_conn *c, const struct search_doc *d, const char *titles,
                     struct err *err);
int search_store_delete(struct store_conn *c, const char *kind, int64_t id, struct err *err);
/* The ref_ids of every document of a kind (malloc'd array of *n, caller frees). */
int search_store_kind_ids(struct store_conn *c, const char *kind, int64_t **ids, size_t *n,
                          struct err *err);
int search_store_query(struct store_conn *c, const struct search_match *m,
                       const struct search_filter *f, int64_t *total, search_row_fn fn, void *ctx,
                       struct err *err);
int search_store_count(struct store_conn *c, int64_t *n, struct err *err);

/* The queue of objects to index after commit (migration 0025). */
struct arena;
struct search_pending_row {
    int64_t seq, id;
    const char *kind;
};
int search_db_pending_add(struct store_conn *c, int64_t seq, const char *kind, int64_t id,
                          struct err *err);
int search_db_drain_lock(struct store_conn *c, struct err *err);
/* The oldest `max` rows (in the arena). */
int search_db_pending_batch(struct store_conn *c, struct arena *a, int max,
                            struct search_pending_row **rows, int *n, struct err *err);
int search_db_pending_del(struct store_conn *c, int64_t seq, struct err *err);
int search_db_pending_count(struct store_conn *c, int64_t *n, struct err *err);

#endif
