/* search.c - the search module's logic (search.h): documents validated and normalised on
 * the way in, queries turned into safe match expressions, hits highlighted. All SQL is in
 * search_store.c. */
#include "search/search_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/utf8.h"
#include "store/store.h"

int search_open(struct store *st, struct search **out, struct err *err)
{
    struct search *s = calloc(1, sizeof(*s));
    if (s == NULL || (s->kinds = json_array()) == NULL) {
        free(s);
        return err_set(err, 500, "search.error", "out of memory");
    }
    s->st = st;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->wake, NULL);
    *out = s;
    return 0;
}

void search_close(struct search *s)
{
    if (s == NULL)
        return;
    search_job_stop(s);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->wake);
    json_decref(s->kinds);
    free(s);
}

static int kind_valid(const char *k)
{
    size_t n = k != NULL ? strlen(k) : 0;
    if (n == 0 || n > SEARCH_MAX_KIND)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= '0' && k[i] <= '9') || k[i] == '_'))
            return 0;
    return 1;
}

int search_register_kind(struct search *s, const char *kind, const char *label_key,
                         const char *url_prefix, struct err *err)
{
    if (!kind_valid(kind) || label_key == NULL || *label_key == '\0')
        return err_set(err, 400, "search.bad_kind", "a document kind is [a-z0-9_]{1,32}");
    size_t i;
    json_t *v;
    json_array_foreach(s->kinds, i, v)
    {
        if (strcmp(json_string_value(json_object_get(v, "kind")), kind) == 0) {
            json_array_remove(s->kinds, i);
            break;
        }
    }
    json_array_append_new(s->kinds, json_pack("{s:s,s:s,s:s}", "kind", kind, "label_key", label_key,
                                              "url_prefix", url_prefix != NULL ? url_prefix : ""));
    return 0;
}

json_t *search_kinds(const struct search *s)
{
    return json_deep_copy(s->kinds);
}

static int lang_valid(const char *l)
{
    return strcmp(l, "zh") == 0 || strcmp(l, "bo") == 0 || strcmp(l, "en") == 0;
}

/* A ref links into a URL path: [A-Za-z0-9._-]{1,100}. */
static int ref_valid(const char *r)
{
    size_t n = strlen(r);
    if (n == 0 || n > 100)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((r[i] >= 'a' && r[i] <= 'z') || (r[i] >= 'A' && r[i] <= 'Z') ||
              (r[i] >= '0' && r[i] <= '9') || r[i] == '.' || r[i] == '_' || r[i] == '-'))
            return 0;
    return 1;
}

/* The id of a document known by its ref: FNV-1a (64 bits) of the ref, kept positive. Stable
 * across versions and nodes; a collision is refused by search_store_put. */
static int64_t ref_id(const char *ref)
{
    uint64_t h = 14695981039346656037ULL;
    for (const unsigned char *p = (const unsigned char *)ref; *p != '\0'; p++) {
        h ^= *p;
        h *= 1099511628211ULL;
    }
    int64_t id = (int64_t)(h & (uint64_t)INT64_MAX);
    return id != 0 ? id : 1;
}

/* The NFC titles as JSON text (malloc'd) and the stored title: `title`, then each other
 * distinct title after " · " as long as SEARCH_MAX_TITLE bytes allow (malloc'd). */
static int titles_prepare(const json_t *titles, const char *title, char **text, char **all,
                          struct err *err)
{
    json_t *norm = json_object();
    size_t cap = SEARCH_MAX_TITLE + 1, used = strlen(title);
    char *out = malloc(cap);
    *text = *all = NULL;
    if (norm == NULL || out == NULL)
        goto oom;
    memcpy(out, title, used + 1);
    const char *lang;
    json_t *v;
    json_object_foreach((json_t *)titles, lang, v)
    {
        const char *t = json_string_value(v);
        if (!lang_valid(lang) || t == NULL || strlen(t) > SEARCH_MAX_TITLE) {
            json_decref(norm);
            free(out);
            return err_set(err, 400, "search.bad_doc",
                           "titles are {zh, bo, en} strings of at most %d bytes", SEARCH_MAX_TITLE);
        }
        if (*t == '\0')
            continue;
        char *n = search_nfc(t, strlen(t));
        if (n == NULL) {
            json_decref(norm);
            free(out);
            return err_set(err, 400, "search.bad_doc", "titles must be UTF-8 text");
        }
        size_t len = strlen(n);
        if (strstr(out, n) == NULL && used + 4 + len <= SEARCH_MAX_TITLE) {
            memcpy(out + used, " · ", 4);
            memcpy(out + used + 4, n, len + 1);
            used += 4 + len;
        }
        json_object_set_new(norm, lang, json_string(n));
        free(n);
    }
    *text = json_dumps(norm, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(norm);
    if (*text == NULL)
        goto oom_out;
    *all = out;
    return 0;
oom:
    json_decref(norm);
oom_out:
    free(out);
    return err_set(err, 500, "search.error", "out of memory");
}

int search_put(struct search *s, const struct search_doc *d, struct err *err)
{
    const char *lang = d->lang != NULL && *d->lang != '\0' ? d->lang : "zh";
    const char *body = d->body != NULL ? d->body : "";
    const char *tag = d->tag != NULL ? d->tag : "";
    if (!kind_valid(d->kind))
        return err_set(err, 400, "search.bad_doc", "the kind must be [a-z0-9_]{1,32}");
    if (!lang_valid(lang))
        return err_set(err, 400, "search.bad_doc", "the language must be zh, bo or en");
    if (d->title == NULL || *d->title == '\0' || strlen(d->title) > SEARCH_MAX_TITLE)
        return err_set(err, 400, "search.bad_doc", "the title must have 1 to %d bytes",
                       SEARCH_MAX_TITLE);
    if (strlen(body) > SEARCH_MAX_BODY)
        return err_set(err, 400, "search.bad_doc", "the body must have at most %d bytes",
                       SEARCH_MAX_BODY);
    if (strlen(tag) > 64 || !utf8_valid(tag, strlen(tag)))
        return err_set(err, 400, "search.bad_doc", "the tag must be UTF-8 of at most 64 bytes");
    if (d->visibility != SEARCH_PUBLIC && d->visibility != SEARCH_STAFF)
        return err_set(err, 400, "search.bad_doc", "visibility must be 0 (public) or 1 (staff)");
    const char *ref = d->ref != NULL ? d->ref : "";
    if (*ref != '\0' && !ref_valid(ref))
        return err_set(err, 400, "search.bad_doc", "a ref is [A-Za-z0-9._-]{1,100}");
    int64_t id = d->id == 0 && *ref != '\0' ? ref_id(ref) : d->id;
    if (id <= 0 || d->dept_id < 0 || d->division_code < 0 || d->updated_at_ms < 0)
        return err_set(err, 400, "search.bad_doc", "ids and times must not be negative");
    if (d->titles != NULL && !json_is_object(d->titles))
        return err_set(err, 400, "search.bad_doc", "titles are an object {zh, bo, en}");
    char *title = search_nfc(d->title, strlen(d->title));
    char *nbody = search_nfc(body, strlen(body));
    char *titles = NULL, *all = NULL;
    int rc = -1;
    if (title == NULL || nbody == NULL) {
        err_set(err, 400, "search.bad_doc", "the title and body must be UTF-8 text");
        goto out;
    }
    if (d->titles != NULL && titles_prepare(d->titles, title, &titles, &all, err) < 0)
        goto out;
    struct search_doc n = *d;
    n.id = id;
    n.lang = lang;
    n.title = all != NULL ? all : title;
    n.body = nbody;
    n.tag = tag;
    n.ref = ref;
    struct store_conn *c = store_conn(s->st, err);
    if (c == NULL)
        goto out;
    rc = search_store_put(c, &n, titles, err);
out:
    free(title);
    free(nbody);
    free(titles);
    free(all);
    return rc;
}

int search_delete(struct search *s, const char *kind, int64_t id, struct err *err)
{
    if (!kind_valid(kind))
        return err_set(err, 400, "search.bad_doc", "the kind must be [a-z0-9_]{1,32}");
    struct store_conn *c = store_conn(s->st, err);
    if (c == NULL)
        return -1;
    return search_store_delete(c, kind, id, err);
}

int search_delete_ref(struct search *s, const char *kind, const char *ref, struct err *err)
{
    if (ref == NULL || !ref_valid(ref))
        return err_set(err, 400, "search.bad_doc", "a ref is [A-Za-z0-9._-]{1,100}");
    return search_delete(s, kind, ref_id(ref), err);
}

int search_delete_kind(struct search *s, const char *kind, int64_t *deleted, struct err *err)
{
    int64_t *ids = NULL;
    size_t n = 0;
    if (deleted != NULL)
        *deleted = 0;
    if (!kind_valid(kind))
        return err_set(err, 400, "search.bad_doc", "the kind must be [a-z0-9_]{1,32}");
    struct store_conn *c = store_conn(s->st, err);
    if (c == NULL || search_store_kind_ids(c, kind, &ids, &n, err) < 0)
        return -1;
    /* One by one: SQLite's bigram index is contentless, so each row is removed by giving
     * its tokens back (search_store_delete). */
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = search_store_delete(c, kind, ids[i], err);
    free(ids);
    if (rc == 0 && deleted != NULL)
        *deleted = (int64_t)n;
    return rc;
}

/* ---- queries -------------------------------------------------------------------------- */

/* The code range of a division and its descendants: 12-digit codes whose significant
 * digits are 2 (region), 4, 6, 9 or 12 (village). */
static void division_range(int64_t code, int64_t *lo, int64_t *hi)
{
    static const int64_t spans[] = {10000000000LL, 100000000LL, 1000000LL, 1000LL, 1LL};
    if (code <= 0) {
        *lo = 0;
        *hi = INT64_MAX;
        return;
    }
    for (size_t i = 0; i < sizeof(spans) / sizeof(spans[0]); i++) {
        if (code % spans[i] == 0) {
            *lo = code;
            *hi = code + spans[i] - 1;
            return;
        }
    }
}

struct run_ctx {
    json_t *hits;
    const struct search_terms *terms;
    int sqlite;
    const char *display_lang; /* NULL: the document's own */
};

static int add_hit(const struct search_row *r, void *vctx, struct err *err)
{
    struct run_ctx *x = vctx;
    double score = r->score;
    /* A document with titles shows the reader's, else its own language's, else the first
     * title it was put with (the stored title holds them all, for matching). */
    json_t *titles =
        r->titles != NULL && *r->titles != '\0' ? json_loads(r->titles, 0, NULL) : NULL;
    const char *title = r->title, *title_lang = r->lang;
    if (json_is_object(titles)) {
        const char *want[] = {x->display_lang, r->lang, "zh"};
        title = NULL;
        for (size_t i = 0; i < 3 && title == NULL; i++) {
            const char *t =
                want[i] != NULL ? json_string_value(json_object_get(titles, want[i])) : NULL;
            if (t != NULL && *t != '\0')
                title = t, title_lang = want[i];
        }
        if (title == NULL)
            title = r->title, title_lang = r->lang;
    }
    json_t *h =
        json_pack("{s:s,s:I,s:s,s:s,s:s,s:o,s:o,s:I,s:I,s:s,s:I,s:f}", "kind", r->kind, "id",
                  (json_int_t)r->ref_id, "lang", r->lang, "title", title, "title_lang", title_lang,
                  "title_segments", search_segments(title, x->terms, 0), "snippet",
                  search_segments(r->body, x->terms, 120), "dept_id", (json_int_t)r->dept_id,
                  "division_code", (json_int_t)r->division_code, "tag", r->tag, "updated_at",
                  (json_int_t)r->updated_at, "score", score);
    if (h != NULL && r->ref != NULL && *r->ref != '\0')
        json_object_set_new(h, "ref", json_string(r->ref));
    if (h != NULL && json_is_object(titles))
        json_object_set(h, "titles", titles);
    json_decref(titles);
    if (h == NULL)
        return err_set(err, 500, "search.error", "out of memory");
    json_array_append_new(x->hits, h);
    return 0;
}

/* Append `s` to a match expression with double quotes doubled (an FTS5 string). */
static void fts_quote(char *out, size_t cap, size_t *w, const char *s)
{
    if (*w + 3 >= cap)
        return;
    out[(*w)++] = '"';
    for (; *s != '\0' && *w + 3 < cap; s++) {
        if (*s == '"')
            out[(*w)++] = '"';
        out[(*w)++] = *s;
    }
    out[(*w)++] = '"';
    out[*w] = '\0';
}

/* A LIKE pattern %term% with %, _ and \ escaped (PostgreSQL's default escape is \). */
static void like_pattern(char *out, size_t cap, const char *s)
{
    size_t w = 0;
    out[w++] = '%';
    for (; *s != '\0' && w + 4 < cap; s++) {
        if (*s == '%' || *s == '_' || *s == '\\')
            out[w++] = '\\';
        out[w++] = *s;
    }
    out[w++] = '%';
    out[w] = '\0';
}

int search_run(struct search *s, const struct search_query *q, json_t **result, struct err *err)
{
    char norm[SEARCH_MAX_QUERY * 4 + 1];
    static const size_t MCAP = SEARCH_MAX_QUERY * 8 + 64;
    struct search_terms *t = calloc(1, sizeof(*t));
    char *tri = malloc(MCAP), *bi = malloc(MCAP), *tsq = malloc(MCAP);
    char(*pat)[SEARCH_MAX_QUERY * 8 + 8] = calloc(SEARCH_PG_TERMS, sizeof(*pat));
    json_t *res = NULL;
    int rc = -1;
    if (t == NULL || tri == NULL || bi == NULL || tsq == NULL || pat == NULL) {
        err_set(err, 500, "search.error", "out of memory");
        goto out;
    }
    search_normalize_query(q->q, norm, sizeof(norm));
    search_split_terms(norm, t);

    struct search_match m = {.whole = norm, .terms = t};
    size_t tw = 0, bw = 0;
    tri[0] = bi[0] = '\0';
    for (int k = 0; k < t->n; k++) {
        if (t->chars[k] >= 3) {
            if (tw > 0 && tw + 1 < MCAP)
                tri[tw++] = ' ';
            fts_quote(tri, MCAP, &tw, t->term[k]);
        } else {
            uint32_t a, b = 0;
            int l = search_utf8_next(t->term[k], &a);
            if (t->chars[k] == 2)
                search_utf8_next(t->term[k] + l, &b);
            a = search_fold(a);
            int n = t->chars[k] == 2
                        ? snprintf(bi + bw, MCAP - bw, "%sb%xx%x", bw ? " " : "", a, search_fold(b))
                        : snprintf(bi + bw, MCAP - bw, "%sb%xx*", bw ? " " : "", a);
            if (n > 0 && (size_t)n < MCAP - bw)
                bw += (size_t)n;
        }
        if (m.npat < SEARCH_PG_TERMS) {
            like_pattern(pat[m.npat], sizeof(pat[0]), t->term[k]);
            m.pat[m.npat] = pat[m.npat];
            m.npat++;
        }
    }
    /* PostgreSQL: every bigram token of every term (as search_bigrams writes them for the
     * document): "b4e2dx56fd" for 中国, "b4e2dx:*" for 中. Tokens are [a-z0-9]: nothing
     * to escape. */
    size_t qw = 0;
    tsq[0] = '\0';
    for (int k = 0; k < t->n; k++) {
        char *g = search_bigrams(t->term[k]);
        if (g == NULL) { /* a query without one of its terms would answer another question */
            err_set(err, 500, "search.error", "out of memory");
            goto out;
        }
        char *save = NULL, *last = NULL, *before = NULL;
        for (char *tok = strtok_r(g, " ", &save); tok != NULL; tok = strtok_r(NULL, " ", &save)) {
            if (last != NULL && qw + strlen(last) + 4 < MCAP)
                qw += (size_t)snprintf(tsq + qw, MCAP - qw, "%s%s", qw ? " & " : "", last);
            before = last;
            last = tok;
        }
        /* The last token is the end of the term's last run ("b<c>x"): the document may go
         * on after it. When that run has two characters or more, the bigram before already
         * holds its last character: leave the end out; a one-character run needs it as a
         * prefix (an expensive query: many lexemes share it). */
        int single = before == NULL || before[strlen(before) - 1] == 'x';
        if (last != NULL && single && qw + strlen(last) + 6 < MCAP)
            qw += (size_t)snprintf(tsq + qw, MCAP - qw, "%s%s:*", qw ? " & " : "", last);
        free(g);
    }
    m.tsq = tsq;
    m.tri = tw > 0 ? tri : NULL;
    m.bi = bw > 0 ? bi : NULL;

    struct search_filter f = {
        .kind = q->kind != NULL ? q->kind : "",
        .lang = q->lang != NULL ? q->lang : "",
        .tag = q->tag != NULL ? q->tag : "",
        .dept_id = q->dept_id > 0 ? q->dept_id : 0,
        .max_visibility = q->include_staff ? SEARCH_STAFF : SEARCH_PUBLIC,
        .limit = q->limit <= 0                 ? SEARCH_DEFAULT_LIMIT
                 : q->limit > SEARCH_MAX_LIMIT ? SEARCH_MAX_LIMIT
                                               : q->limit,
        .offset = q->offset < 0                   ? 0
                  : q->offset > SEARCH_MAX_OFFSET ? SEARCH_MAX_OFFSET
                                                  : q->offset,
    };
    division_range(q->division_prefix, &f.div_lo, &f.div_hi);

    res = json_pack("{s:I,s:b,s:s,s:[]}", "total", (json_int_t)0, "more", 0, "query", norm, "hits");
    if (res == NULL) {
        err_set(err, 500, "search.error", "out of memory");
        goto out;
    }
    if (t->n > 0) {
        struct store_conn *c = store_conn(s->st, err);
        if (c == NULL)
            goto out;
        struct run_ctx x = {json_object_get(res, "hits"), t, store_kind(s->st) == STORE_SQLITE,
                            q->display_lang};
        int64_t total = 0;
        if (search_store_query(c, &m, &f, &total, add_hit, &x, err) < 0)
            goto out;
        json_object_set_new(res, "total", json_integer(total));
        json_object_set_new(res, "more", json_boolean(total >= SEARCH_CANDIDATES));
    }
    *result = res;
    res = NULL;
    rc = 0;
out:
    json_decref(res);
    free(t);
    free(tri);
    free(bi);
    free(tsq);
    free(pat);
    return rc;
}
