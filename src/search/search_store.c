/* search_store.c - every SQL statement of the search module. SQLite and PostgreSQL use
 * different index structures (migration 0009), so the query statements differ by backend;
 * the document table and its upsert are common. */
#include "search/search_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "store/store.h"

/* ---- writing -------------------------------------------------------------------------- */

static const char SQL_OLD[] =
    "SELECT docid, title, body, ref FROM search_docs WHERE kind = ? AND ref_id = ?";
static const char SQL_KIND_IDS[] = "SELECT ref_id FROM search_docs WHERE kind = ?";
static const char SQL_UPSERT[] =
    "INSERT INTO search_docs (kind, ref_id, lang, title, body, dept_id, division_code, tag, "
    "visibility, updated_at, ref, titles) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (kind, ref_id) DO UPDATE SET lang = excluded.lang, title = excluded.title, "
    "body = excluded.body, dept_id = excluded.dept_id, division_code = excluded.division_code, "
    "tag = excluded.tag, visibility = excluded.visibility, updated_at = excluded.updated_at, "
    "ref = excluded.ref, titles = excluded.titles RETURNING docid";
static const char SQL_UPSERT_PG[] =
    "INSERT INTO search_docs (kind, ref_id, lang, title, body, dept_id, division_code, tag, "
    "visibility, updated_at, ref, titles, grams) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
    "strip(to_tsvector('simple', ?))) "
    "ON CONFLICT (kind, ref_id) DO UPDATE SET lang = excluded.lang, title = excluded.title, "
    "body = excluded.body, dept_id = excluded.dept_id, division_code = excluded.division_code, "
    "tag = excluded.tag, visibility = excluded.visibility, updated_at = excluded.updated_at, "
    "ref = excluded.ref, titles = excluded.titles, grams = excluded.grams RETURNING docid";
static const char SQL_DELETE[] = "DELETE FROM search_docs WHERE docid = ?";
/* The bigram table is contentless: a row is removed by giving back what was indexed. */
static const char SQL_BI_DELETE[] =
    "INSERT INTO search_bi (search_bi, rowid, title, body) VALUES ('delete', ?, ?, ?)";
static const char SQL_BI_INSERT[] = "INSERT INTO search_bi (rowid, title, body) VALUES (?, ?, ?)";
static const char SQL_COUNT[] = "SELECT COUNT(*) FROM search_docs";

/* Remove the bigram row of an old version (SQLite). */
static int bi_delete(struct store_conn *c, int64_t docid, const char *title, const char *body,
                     struct err *err)
{
    char *bt = search_bigrams(title), *bb = search_bigrams(body);
    int rc = -1;
    struct store_stmt *st;
    if (bt == NULL || bb == NULL) {
        err_set(err, 500, "search.error", "out of memory");
        goto out;
    }
    if ((st = store_prepare(c, SQL_BI_DELETE, err)) == NULL)
        goto out;
    store_bind_int64(st, 1, docid);
    store_bind_text(st, 2, bt, -1);
    store_bind_text(st, 3, bb, -1);
    rc = store_run(st, NULL, err);
out:
    free(bt);
    free(bb);
    return rc;
}

/* The old version's docid and text, if any (SQLite needs it to update the bigram index),
 * and whether it was put under another ref (*other_ref: a collision of derived ids). */
static int load_old(struct store_conn *c, const char *kind, int64_t id, const char *ref,
                    int64_t *docid, char **title, char **body, int *other_ref, struct err *err)
{
    *docid = 0;
    *title = *body = NULL;
    *other_ref = 0;
    struct store_stmt *st = store_prepare(c, SQL_OLD, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, kind, -1);
    store_bind_int64(st, 2, id);
    int rc = store_step(st, err);
    if (rc == STORE_ROW) {
        *docid = store_col_int64(st, 0);
        *title = strdup(store_col_text(st, 1));
        *body = strdup(store_col_text(st, 2));
        *other_ref = ref != NULL && strcmp(ref, store_col_text(st, 3)) != 0;
        if (*title == NULL || *body == NULL)
            rc = err_set(err, 500, "search.error", "out of memory");
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int search_store_put(struct store_conn *c, const struct search_doc *d, const char *titles,
                     struct err *err)
{
    int sqlite = store_kind(store_conn_store(c)) == STORE_SQLITE;
    int64_t olddoc = 0, docid = 0;
    char *ot = NULL, *ob = NULL, *bt = NULL, *bb = NULL;
    int rc = -1, other_ref = 0;
    const char *ref = d->ref != NULL ? d->ref : "";
    if (sqlite || *ref != '\0') {
        if (load_old(c, d->kind, d->id, ref, &olddoc, &ot, &ob, &other_ref, err) < 0)
            goto out;
        /* Two codes whose derived ids collide (about one in 2^62 per pair): refuse rather
         * than let one object's document replace the other's. */
        if (other_ref) {
            err_set(err, 409, "search.ref_collision", "another document of kind %s has this id",
                    d->kind);
            goto out;
        }
        if (sqlite && olddoc != 0 && bi_delete(c, olddoc, ot, ob, err) < 0)
            goto out;
    }
    if (!sqlite) {
        bt = search_bigrams(d->title);
        bb = search_bigrams(d->body);
        if (bt == NULL || bb == NULL) {
            err_set(err, 500, "search.error", "out of memory");
            goto out;
        }
    }
    struct store_stmt *st = store_prepare(c, sqlite ? SQL_UPSERT : SQL_UPSERT_PG, err);
    if (st == NULL)
        goto out;
    store_bind_text(st, 1, d->kind, -1);
    store_bind_int64(st, 2, d->id);
    store_bind_text(st, 3, d->lang, -1);
    store_bind_text(st, 4, d->title, -1);
    store_bind_text(st, 5, d->body, -1);
    store_bind_int64(st, 6, d->dept_id);
    store_bind_int64(st, 7, d->division_code);
    store_bind_text(st, 8, d->tag, -1);
    store_bind_int64(st, 9, d->visibility);
    store_bind_int64(st, 10, d->updated_at_ms);
    store_bind_text(st, 11, ref, -1);
    store_bind_text(st, 12, titles != NULL ? titles : "", -1);
    if (!sqlite) {
        size_t lt = strlen(bt), lb = strlen(bb);
        char *g = malloc(lt + lb + 2);
        if (g == NULL) {
            store_reset(st);
            err_set(err, 500, "search.error", "out of memory");
            goto out;
        }
        memcpy(g, bt, lt);
        g[lt] = ' ';
        memcpy(g + lt + 1, bb, lb + 1);
        store_bind_text(st, 13, g, -1);
        free(g);
    }
    int s = store_step(st, err);
    if (s == STORE_ROW)
        docid = store_col_int64(st, 0);
    store_reset(st);
    if (s != STORE_ROW) {
        if (s >= 0)
            err_set(err, 500, "search.error", "the upsert returned no row");
        goto out;
    }
    if (sqlite) {
        free(bt);
        free(bb);
        bt = search_bigrams(d->title);
        bb = search_bigrams(d->body);
        if (bt == NULL || bb == NULL) {
            err_set(err, 500, "search.error", "out of memory");
            goto out;
        }
        if ((st = store_prepare(c, SQL_BI_INSERT, err)) == NULL)
            goto out;
        store_bind_int64(st, 1, docid);
        store_bind_text(st, 2, bt, -1);
        store_bind_text(st, 3, bb, -1);
        if (store_run(st, NULL, err) < 0)
            goto out;
    }
    rc = 0;
out:
    free(ot);
    free(ob);
    free(bt);
    free(bb);
    return rc;
}

int search_store_delete(struct store_conn *c, const char *kind, int64_t id, struct err *err)
{
    int64_t docid;
    char *ot = NULL, *ob = NULL;
    int rc = -1, other_ref;
    if (load_old(c, kind, id, NULL, &docid, &ot, &ob, &other_ref, err) < 0)
        goto out;
    if (docid != 0) {
        if (store_kind(store_conn_store(c)) == STORE_SQLITE && bi_delete(c, docid, ot, ob, err) < 0)
            goto out;
        struct store_stmt *st = store_prepare(c, SQL_DELETE, err);
        if (st == NULL)
            goto out;
        store_bind_int64(st, 1, docid);
        if (store_run(st, NULL, err) < 0)
            goto out;
    }
    rc = 0;
out:
    free(ot);
    free(ob);
    return rc;
}

int search_store_kind_ids(struct store_conn *c, const char *kind, int64_t **ids, size_t *n,
                          struct err *err)
{
    size_t cap = 0;
    int rc;
    *ids = NULL;
    *n = 0;
    struct store_stmt *st = store_prepare(c, SQL_KIND_IDS, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, kind, -1);
    while ((rc = store_step(st, err)) == STORE_ROW) {
        if (*n == cap) {
            size_t ncap = cap ? 2 * cap : 64;
            int64_t *g = realloc(*ids, ncap * sizeof(**ids));
            if (g == NULL) {
                rc = err_set(err, 500, "search.error", "out of memory");
                break;
            }
            *ids = g;
            cap = ncap;
        }
        (*ids)[(*n)++] = store_col_int64(st, 0);
    }
    store_reset(st);
    if (rc < 0) {
        free(*ids);
        *ids = NULL;
        *n = 0;
        return -1;
    }
    return 0;
}

int search_store_count(struct store_conn *c, int64_t *n, struct err *err)
{
    return store_scalar_int64(c, SQL_COUNT, n, err) < 0 ? -1 : 0;
}

/* ---- querying ------------------------------------------------------------------------- */

/* Filters, in this parameter order (bind_filter). */
#define FILTERS                                                                                    \
    " AND (? = '' OR d.kind = ?) AND (? = '' OR d.lang = ?) AND (? = '' OR d.tag = ?)"             \
    " AND (CAST(? AS BIGINT) = 0 OR d.dept_id = ?) AND d.division_code BETWEEN ? AND ?"            \
    " AND d.visibility <= ?"

/* SQLite. The candidates: the SEARCH_CANDIDATES most recently indexed matches that pass
 * the filters (FTS5 walks its doclists by rowid, newest first, and stops there), so a
 * common term costs about what a rare one does. They are ranked in C (search_score), and
 * the rows of the page read by docid. bm25() is not used: its IDF needs a pass over every
 * match of every phrase, which is most of the time of a query on a common term
 * (docs/internals/search.md has the figures). */
#define SQLITE_CAND(TABLE, EXTRA)                                                                  \
    "SELECT d.docid, d.title, d.body FROM " TABLE " JOIN search_docs d ON d.docid = " TABLE        \
    ".rowid WHERE " TABLE " MATCH ?" EXTRA FILTERS " ORDER BY " TABLE ".rowid DESC LIMIT ?"

static const char SQL_Q_TRI[] = SQLITE_CAND("search_fts", "");
static const char SQL_Q_BI[] = SQLITE_CAND("search_bi", "");
/* Long and short terms together: the trigram query drives, the bigram matches are a set
 * it is checked against (the + keeps SQLite from turning the IN into rowid lookups of
 * the trigram table, which would run its MATCH once per row: seconds). */
static const char SQL_Q_BOTH[] =
    SQLITE_CAND("search_fts",
                " AND +search_fts.rowid IN (SELECT rowid FROM search_bi WHERE search_bi MATCH ?)");
static const char SQL_GET[] =
    "SELECT kind, ref_id, lang, title, body, dept_id, division_code, tag, updated_at, ref, "
    "titles FROM search_docs WHERE docid = ?";

/* PostgreSQL: the bigram lexemes of every term (GIN on grams) narrow, one ILIKE per term
 * over title and body checks exactly; the newest candidates are ranked by a title match
 * and pg_trgm word similarity. */
#define PG_TERM " AND (d.title || ' ' || d.body) ILIKE ?"
#define PG_PAGE(TERMS)                                                                             \
    "SELECT d.kind, d.ref_id, d.lang, d.title, d.body, d.dept_id, d.division_code, d.tag, "        \
    "d.updated_at, r.score, r.total, d.ref, d.titles FROM (SELECT c.id, "                          \
    "(CASE WHEN d.title ILIKE ? THEN 1.0 ELSE 0.0 END) + public.word_similarity(?, d.title) "      \
    "+ 0.3 * public.word_similarity(?, d.body) AS score, d.updated_at AS u, COUNT(*) OVER () "     \
    "AS total FROM (SELECT d.docid AS id FROM search_docs d WHERE d.grams @@ "                     \
    "to_tsquery('simple', ?)" TERMS FILTERS                                                        \
    " ORDER BY d.docid DESC LIMIT ?) c JOIN search_docs d ON d.docid = c.id "                      \
    "ORDER BY score DESC, u DESC LIMIT ? OFFSET ?) r JOIN search_docs d ON "                       \
    "d.docid = r.id ORDER BY r.score DESC, r.u DESC"

static const char SQL_PG_1[] = PG_PAGE(PG_TERM);
static const char SQL_PG_2[] = PG_PAGE(PG_TERM PG_TERM);
static const char SQL_PG_3[] = PG_PAGE(PG_TERM PG_TERM PG_TERM);
static const char SQL_PG_4[] = PG_PAGE(PG_TERM PG_TERM PG_TERM PG_TERM);

static int bind_filter(struct store_stmt *st, int i, const struct search_filter *f, int cap)
{
    store_bind_text(st, i++, f->kind, -1);
    store_bind_text(st, i++, f->kind, -1);
    store_bind_text(st, i++, f->lang, -1);
    store_bind_text(st, i++, f->lang, -1);
    store_bind_text(st, i++, f->tag, -1);
    store_bind_text(st, i++, f->tag, -1);
    store_bind_int64(st, i++, f->dept_id);
    store_bind_int64(st, i++, f->dept_id);
    store_bind_int64(st, i++, f->div_lo);
    store_bind_int64(st, i++, f->div_hi);
    store_bind_int64(st, i++, f->max_visibility);
    store_bind_int64(st, i++, cap);
    return i;
}

struct cand {
    int64_t docid;
    double score;
};

static int cand_cmp(const void *a, const void *b)
{
    const struct cand *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return x->docid > y->docid ? -1 : x->docid < y->docid;
}

/* A row of SQL_GET or PG_PAGE: the document's columns from `first`, its ref and titles
 * at `extra`. */
static int row_out(struct store_stmt *st, int first, int extra, double score, search_row_fn fn,
                   void *ctx, struct err *err)
{
    struct search_row r = {
        .kind = store_col_text(st, first),
        .ref_id = store_col_int64(st, first + 1),
        .lang = store_col_text(st, first + 2),
        .title = store_col_text(st, first + 3),
        .body = store_col_text(st, first + 4),
        .dept_id = store_col_int64(st, first + 5),
        .division_code = store_col_int64(st, first + 6),
        .tag = store_col_text(st, first + 7),
        .updated_at = store_col_int64(st, first + 8),
        .ref = store_col_text(st, extra),
        .titles = store_col_text(st, extra + 1),
        .score = score,
    };
    return fn(&r, ctx, err);
}

/* Run one candidate query; keeps the rows that contain every term (when `check`) up to
 * SEARCH_CANDIDATES. *rows gets the number of rows the query returned. */
static int collect(struct store_conn *c, const char *sql, const char *m1, const char *m2,
                   const struct search_filter *f, int cap, int check,
                   const struct search_terms *terms, struct cand *cs, size_t *n, size_t *rows,
                   struct err *err)
{
    int i = 1, rc;
    struct store_stmt *st = store_prepare(c, sql, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, i++, m1, -1);
    if (m2 != NULL)
        store_bind_text(st, i++, m2, -1);
    bind_filter(st, i, f, cap);
    *n = *rows = 0;
    while (*n < SEARCH_CANDIDATES && (rc = store_step(st, err)) == STORE_ROW) {
        int all = 0;
        double score = search_score(store_col_text(st, 1), store_col_text(st, 2), terms, &all);
        (*rows)++;
        if (check && !all)
            continue;
        cs[*n].docid = store_col_int64(st, 0);
        cs[*n].score = score;
        (*n)++;
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

/* How many trigram matches a query with short terms too reads before it gives up checking
 * the short terms in C and asks the bigram index for its (possibly large) set instead. */
#define BOTH_SCAN (4 * SEARCH_CANDIDATES)

static int sqlite_query(struct store_conn *c, const struct search_match *m,
                        const struct search_filter *f, int64_t *total, search_row_fn fn, void *ctx,
                        struct err *err)
{
    int rc = 0;
    if (m->tri == NULL && m->bi == NULL)
        return 0;
    struct cand *cs = malloc(SEARCH_CANDIDATES * sizeof(*cs));
    size_t n = 0, rows = 0;
    if (cs == NULL)
        return err_set(err, 500, "search.error", "out of memory");
    if (m->tri != NULL && m->bi != NULL) {
        /* Most often the newest trigram matches contain the short terms as well: check
         * them in C. Only when the scan ends without enough and without exhausting the
         * trigram matches, intersect with the bigram index in SQL (exact, slower). */
        rc = collect(c, SQL_Q_TRI, m->tri, NULL, f, BOTH_SCAN, 1, m->terms, cs, &n, &rows, err);
        if (rc == 0 && n < SEARCH_CANDIDATES && rows == BOTH_SCAN)
            rc = collect(c, SQL_Q_BOTH, m->tri, m->bi, f, SEARCH_CANDIDATES, 0, m->terms, cs, &n,
                         &rows, err);
    } else {
        rc = collect(c, m->tri != NULL ? SQL_Q_TRI : SQL_Q_BI, m->tri != NULL ? m->tri : m->bi,
                     NULL, f, SEARCH_CANDIDATES, 0, m->terms, cs, &n, &rows, err);
    }
    if (rc < 0) {
        free(cs);
        return -1;
    }
    *total = (int64_t)n;
    qsort(cs, n, sizeof(*cs), cand_cmp);
    struct store_stmt *st;
    for (size_t k = (size_t)f->offset; k < n && k < (size_t)f->offset + (size_t)f->limit; k++) {
        if ((st = store_prepare(c, SQL_GET, err)) == NULL) {
            rc = -1;
            break;
        }
        store_bind_int64(st, 1, cs[k].docid);
        rc = store_step(st, err);
        if (rc == STORE_ROW && row_out(st, 0, 9, cs[k].score, fn, ctx, err) < 0)
            rc = -1;
        store_reset(st);
        if (rc < 0)
            break;
    }
    free(cs);
    return rc < 0 ? -1 : 0;
}

int search_store_query(struct store_conn *c, const struct search_match *m,
                       const struct search_filter *f, int64_t *total, search_row_fn fn, void *ctx,
                       struct err *err)
{
    int i = 1;
    struct store_stmt *st;
    *total = 0;
    if (store_kind(store_conn_store(c)) == STORE_SQLITE)
        return sqlite_query(c, m, f, total, fn, ctx, err);
    static const char *const pg[SEARCH_PG_TERMS] = {SQL_PG_1, SQL_PG_2, SQL_PG_3, SQL_PG_4};
    if (m->npat <= 0)
        return 0;
    if ((st = store_prepare(c, pg[m->npat - 1], err)) == NULL)
        return -1;
    store_bind_text(st, i++, m->pat[0], -1);
    store_bind_text(st, i++, m->whole, -1);
    store_bind_text(st, i++, m->whole, -1);
    store_bind_text(st, i++, m->tsq, -1);
    for (int k = 0; k < m->npat; k++)
        store_bind_text(st, i++, m->pat[k], -1);
    i = bind_filter(st, i, f, SEARCH_CANDIDATES);
    store_bind_int64(st, i++, f->limit);
    store_bind_int64(st, i++, f->offset);
    int rc;
    while ((rc = store_step(st, err)) == STORE_ROW) {
        *total = store_col_int64(st, 10);
        double score = strtod(store_col_text(st, 9) ? store_col_text(st, 9) : "0", NULL);
        if (row_out(st, 0, 11, score, fn, ctx, err) < 0) {
            rc = -1;
            break;
        }
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

/* ---- indexing after commit (migration 0025) -------------------------------------------- */

static const char SQL_PENDING_ADD[] =
    "INSERT INTO search_pending (seq, kind, doc_id) VALUES (?, ?, ?)";
static const char SQL_PENDING_BATCH[] =
    "SELECT seq, kind, doc_id FROM search_pending ORDER BY seq LIMIT ?";
static const char SQL_PENDING_DEL[] = "DELETE FROM search_pending WHERE seq = ?";
static const char SQL_PENDING_COUNT[] = "SELECT COUNT(*) FROM search_pending";
/* One indexing pass at a time across nodes (PostgreSQL; SQLite has one writer anyway), so
 * that an older state of an object never overwrites a newer one. */
static const char SQL_DRAIN_LOCK_PG[] = "SELECT pg_advisory_xact_lock(4242191)";

int search_db_pending_add(struct store_conn *c, int64_t seq, const char *kind, int64_t id,
                          struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_PENDING_ADD, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, seq);
    store_bind_text(st, 2, kind, -1);
    store_bind_int64(st, 3, id);
    return store_run(st, NULL, err);
}

int search_db_drain_lock(struct store_conn *c, struct err *err)
{
    if (store_kind(store_conn_store(c)) != STORE_POSTGRES)
        return 0;
    return store_exec(c, SQL_DRAIN_LOCK_PG, err);
}

int search_db_pending_batch(struct store_conn *c, struct arena *a, int max,
                            struct search_pending_row **rows, int *n, struct err *err)
{
    *n = 0;
    *rows = arena_alloc(a, sizeof(**rows) * (size_t)max);
    struct store_stmt *st = *rows ? store_prepare(c, SQL_PENDING_BATCH, err) : NULL;
    if (*rows == NULL)
        return err_set(err, 500, "search.error", "out of memory");
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, max);
    int rc = STORE_DONE;
    while (*n < max && (rc = store_step(st, err)) == STORE_ROW) {
        struct search_pending_row *r = &(*rows)[*n];
        r->seq = store_col_int64(st, 0);
        r->kind = arena_strdup(a, store_col_text(st, 1));
        r->id = store_col_int64(st, 2);
        if (r->kind == NULL) {
            store_reset(st);
            return err_set(err, 500, "search.error", "out of memory");
        }
        (*n)++;
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int search_db_pending_del(struct store_conn *c, int64_t seq, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_PENDING_DEL, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, seq);
    return store_run(st, NULL, err);
}

int search_db_pending_count(struct store_conn *c, int64_t *n, struct err *err)
{
    return store_scalar_int64(c, SQL_PENDING_COUNT, n, err) < 0 ? -1 : 0;
}
