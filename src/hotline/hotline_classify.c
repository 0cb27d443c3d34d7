/*
 * hotline_classify.c - the suggestion of category and department for a new order: a
 * multinomial naive Bayes classifier over character n-grams (n = 1..3) of the description.
 * Chinese and Tibetan need no word segmentation this way: a character bigram or trigram
 * ("供暖", "停水", "ཆུ་") carries most of what a word would. Features are hashed into
 * HOTLINE_BUCKETS buckets (no dictionary to keep), smoothed with additive smoothing.
 * No Debian package offers this for C, hence a small implementation here
 * (docs/internals/hotline.md, "Classifier").
 */
#include "hotline/hotline_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

#define HOTLINE_BUCKETS (1u << 16)
#define ALPHA 0.1
#define MAX_CLASSES 256

struct nb {
    int nclass;
    char (*labels)[48];
    double *prior; /* log prior per class */
    float *logp;   /* nclass x HOTLINE_BUCKETS */
};

struct hotline_model {
    struct nb cat, dept;
};

/* Decode one UTF-8 code point; advances *p. Invalid bytes count as themselves. */
static uint32_t next_cp(const unsigned char **p)
{
    const unsigned char *s = *p;
    uint32_t c = s[0];
    int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
    for (int i = 1; i < len; i++)
        if ((s[i] & 0xC0) != 0x80) {
            len = 1;
            break;
        }
    if (len == 2)
        c = ((c & 0x1F) << 6) | (s[1] & 0x3F);
    else if (len == 3)
        c = ((c & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
    else if (len == 4)
        c = ((c & 0x07) << 18) | ((uint32_t)(s[1] & 0x3F) << 12) | ((uint32_t)(s[2] & 0x3F) << 6) |
            (s[3] & 0x3F);
    *p = s + len;
    return c;
}

/* Separators: spaces, ASCII punctuation, CJK and full-width punctuation, Tibetan shad. */
static int is_sep(uint32_t c)
{
    if (c < 0x80)
        return !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
    return (c >= 0x3000 && c <= 0x303F) || (c >= 0xFF00 && c <= 0xFF0F) ||
           (c >= 0xFF1A && c <= 0xFF20) || c == 0x0F0D || c == 0x0F0E || c == 0x2014 ||
           c == 0x2026 || (c >= 0x2018 && c <= 0x201F);
}

/* Call fn(bucket) for every 1-, 2- and 3-gram of code points within runs between
 * separators. Returns the number of features. */
static size_t features(const char *text, void (*fn)(void *, uint32_t), void *ctx)
{
    uint32_t win[3] = {0, 0, 0};
    int have = 0;
    size_t nf = 0;
    const unsigned char *p = (const unsigned char *)(text ? text : "");
    while (*p) {
        uint32_t c = next_cp(&p);
        if (c >= 'A' && c <= 'Z')
            c += 32;
        if (is_sep(c)) {
            have = 0;
            continue;
        }
        win[0] = win[1];
        win[1] = win[2];
        win[2] = c;
        if (have < 3)
            have++;
        for (int n = 1; n <= have; n++) {
            uint32_t h = 2166136261u ^ (uint32_t)n;
            for (int k = 3 - n; k < 3; k++) {
                h ^= win[k];
                h *= 16777619u;
            }
            fn(ctx, h & (HOTLINE_BUCKETS - 1));
            nf++;
        }
    }
    return nf;
}

struct counter {
    uint32_t *row;
    uint64_t *total;
};

static void count_one(void *ctx, uint32_t b)
{
    struct counter *c = ctx;
    c->row[b]++;
    (*c->total)++;
}

static int label_index(struct nb *m, const char *label)
{
    for (int i = 0; i < m->nclass; i++)
        if (strcmp(m->labels[i], label) == 0)
            return i;
    return -1;
}

static int nb_train(struct nb *m, const char *const *labels, const char *const *texts, size_t n)
{
    memset(m, 0, sizeof(*m));
    m->labels = calloc(MAX_CLASSES, sizeof(*m->labels));
    if (m->labels == NULL)
        return -1;
    int *cls = malloc(sizeof(int) * (n ? n : 1));
    if (cls == NULL)
        return -1;
    for (size_t i = 0; i < n; i++) {
        int k = label_index(m, labels[i]);
        if (k < 0 && m->nclass < MAX_CLASSES) {
            k = m->nclass++;
            snprintf(m->labels[k], 48, "%s", labels[i]);
        }
        cls[i] = k;
    }
    size_t cells = (size_t)m->nclass * HOTLINE_BUCKETS;
    uint32_t *counts = calloc(cells ? cells : 1, sizeof(uint32_t));
    uint64_t *totals = calloc((size_t)m->nclass + 1, sizeof(uint64_t));
    size_t *docs = calloc((size_t)m->nclass + 1, sizeof(size_t));
    m->prior = calloc((size_t)m->nclass + 1, sizeof(double));
    m->logp = malloc(sizeof(float) * (cells ? cells : 1));
    if (counts == NULL || totals == NULL || docs == NULL || m->prior == NULL || m->logp == NULL) {
        free(cls);
        free(counts);
        free(totals);
        free(docs);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (cls[i] < 0)
            continue;
        struct counter c = {counts + (size_t)cls[i] * HOTLINE_BUCKETS, &totals[cls[i]]};
        features(texts[i], count_one, &c);
        docs[cls[i]]++;
    }
    for (int k = 0; k < m->nclass; k++) {
        m->prior[k] = log(((double)docs[k] + 1.0) / ((double)n + m->nclass));
        double denom = log((double)totals[k] + ALPHA * HOTLINE_BUCKETS);
        for (size_t b = 0; b < HOTLINE_BUCKETS; b++)
            m->logp[(size_t)k * HOTLINE_BUCKETS + b] =
                (float)(log(counts[(size_t)k * HOTLINE_BUCKETS + b] + ALPHA) - denom);
    }
    free(cls);
    free(counts);
    free(totals);
    free(docs);
    return 0;
}

static void nb_free(struct nb *m)
{
    free(m->labels);
    free(m->prior);
    free(m->logp);
    memset(m, 0, sizeof(*m));
}

struct scorer {
    const struct nb *m;
    double *score;
};

static void score_one(void *ctx, uint32_t b)
{
    struct scorer *s = ctx;
    for (int k = 0; k < s->m->nclass; k++)
        s->score[k] += s->m->logp[(size_t)k * HOTLINE_BUCKETS + b];
}

static int nb_predict(const struct nb *m, const char *text, struct hotline_guess *out)
{
    if (m->nclass == 0)
        return 0;
    double score[MAX_CLASSES];
    for (int k = 0; k < m->nclass; k++)
        score[k] = m->prior[k];
    struct scorer s = {m, score};
    features(text, score_one, &s);
    double best = score[0];
    for (int k = 1; k < m->nclass; k++)
        if (score[k] > best)
            best = score[k];
    double sum = 0;
    for (int k = 0; k < m->nclass; k++)
        sum += (score[k] = exp(score[k] - best));
    int used[MAX_CLASSES] = {0}, nout = 0;
    for (int t = 0; t < HOTLINE_TOP && t < m->nclass; t++) {
        int arg = -1;
        for (int k = 0; k < m->nclass; k++)
            if (!used[k] && (arg < 0 || score[k] > score[arg]))
                arg = k;
        if (arg < 0)
            break; /* cannot happen: t < nclass leaves an unused class */
        used[arg] = 1;
        snprintf(out[t].label, sizeof(out[t].label), "%s", m->labels[arg]);
        out[t].p = score[arg] / sum;
        nout++;
    }
    return nout;
}

struct hotline_model *hotline_model_train(const char *const *texts, const char *const *cats,
                                          const int64_t *depts, size_t n)
{
    struct hotline_model *m = calloc(1, sizeof(*m));
    char(*dl)[24] = malloc(sizeof(*dl) * (n ? n : 1));
    const char **dlabels = malloc(sizeof(char *) * (n ? n : 1));
    if (m == NULL || dl == NULL || dlabels == NULL)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        snprintf(dl[i], sizeof(dl[i]), "%lld", (long long)depts[i]);
        dlabels[i] = dl[i];
    }
    if (nb_train(&m->cat, cats, texts, n) < 0 || nb_train(&m->dept, dlabels, texts, n) < 0)
        goto fail;
    free(dl);
    free(dlabels);
    return m;
fail:
    free(dl);
    free(dlabels);
    hotline_model_free(m);
    return NULL;
}

void hotline_model_free(struct hotline_model *m)
{
    if (m == NULL)
        return;
    nb_free(&m->cat);
    nb_free(&m->dept);
    free(m);
}

void hotline_model_predict(const struct hotline_model *m, const char *text,
                           struct hotline_suggestion *out)
{
    memset(out, 0, sizeof(*out));
    if (m == NULL)
        return;
    out->ncat = nb_predict(&m->cat, text, out->cat);
    out->ndept = nb_predict(&m->dept, text, out->dept);
}

/* ---- training from the store ------------------------------------------------------------ */

struct examples {
    size_t n, cap;
    int64_t *ids, *depts;
    char **texts, **cats;
};

static int add_example(void *ctx, int64_t id, const char *text, const char *cat, int64_t dept)
{
    struct examples *e = ctx;
    if (e->n == e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 1024;
        int64_t *ids = realloc(e->ids, cap * sizeof(int64_t));
        if (ids)
            e->ids = ids;
        int64_t *depts = realloc(e->depts, cap * sizeof(int64_t));
        if (depts)
            e->depts = depts;
        char **texts = realloc(e->texts, cap * sizeof(char *));
        if (texts)
            e->texts = texts;
        char **cats = realloc(e->cats, cap * sizeof(char *));
        if (cats)
            e->cats = cats;
        if (!ids || !depts || !texts || !cats)
            return -1;
        e->cap = cap;
    }
    e->ids[e->n] = id;
    e->depts[e->n] = dept;
    e->texts[e->n] = strdup(text ? text : "");
    e->cats[e->n] = strdup(cat ? cat : "");
    if (!e->texts[e->n] || !e->cats[e->n])
        return -1;
    e->n++;
    return 0;
}

static void examples_free(struct examples *e)
{
    for (size_t i = 0; i < e->n; i++) {
        free(e->texts[i]);
        free(e->cats[i]);
    }
    free(e->ids);
    free(e->depts);
    free(e->texts);
    free(e->cats);
}

static int load_examples(struct hotline *h, struct examples *e, struct err *err)
{
    memset(e, 0, sizeof(*e));
    struct store_conn *c = store_conn(h->store, err);
    if (c == NULL || hotline_db_examples(c, add_example, e, err) < 0) {
        examples_free(e);
        return -1;
    }
    return 0;
}

int hotline_train(struct hotline *h, size_t *n, struct err *err)
{
    struct examples e;
    if (load_examples(h, &e, err) < 0)
        return -1;
    struct hotline_model *m = hotline_model_train((const char *const *)e.texts,
                                                  (const char *const *)e.cats, e.depts, e.n);
    if (n != NULL)
        *n = e.n;
    examples_free(&e);
    if (m == NULL)
        return err_set(err, 500, "hotline.oom", "out of memory while training");
    pthread_rwlock_wrlock(&h->model_lock);
    struct hotline_model *old = h->model;
    h->model = m;
    pthread_rwlock_unlock(&h->model_lock);
    hotline_model_free(old);
    return 0;
}

void hotline_suggest(struct hotline *h, const char *text, struct hotline_suggestion *out)
{
    pthread_rwlock_rdlock(&h->model_lock);
    hotline_model_predict(h->model, text, out);
    pthread_rwlock_unlock(&h->model_lock);
}

static int in_top(const struct hotline_guess *g, int n, const char *label, int k)
{
    for (int i = 0; i < n && i < k; i++)
        if (strcmp(g[i].label, label) == 0)
            return 1;
    return 0;
}

int hotline_evaluate(struct hotline *h, size_t *ntrain, size_t *ntest, double *top1_cat,
                     double *top3_cat, double *top1_dept, double *top3_dept, struct err *err)
{
    struct examples e;
    if (load_examples(h, &e, err) < 0)
        return -1;
    /* Every 5th example in id order is held out. */
    size_t nt = 0, nh = 0;
    const char **tt = malloc(sizeof(char *) * (e.n + 1)), **tc = malloc(sizeof(char *) * (e.n + 1));
    int64_t *td = malloc(sizeof(int64_t) * (e.n + 1));
    if (tt == NULL || tc == NULL || td == NULL) {
        free(tt);
        free(tc);
        free(td);
        examples_free(&e);
        return err_set(err, 500, "hotline.oom", "out of memory");
    }
    for (size_t i = 0; i < e.n; i++)
        if (i % 5 != 4) {
            tt[nt] = e.texts[i];
            tc[nt] = e.cats[i];
            td[nt++] = e.depts[i];
        }
    struct hotline_model *m = hotline_model_train(tt, tc, td, nt);
    size_t c1 = 0, c3 = 0, d1 = 0, d3 = 0;
    for (size_t i = 0; m != NULL && i < e.n; i++) {
        if (i % 5 != 4)
            continue;
        struct hotline_suggestion s;
        char dl[24];
        hotline_model_predict(m, e.texts[i], &s);
        snprintf(dl, sizeof(dl), "%lld", (long long)e.depts[i]);
        c1 += in_top(s.cat, s.ncat, e.cats[i], 1);
        c3 += in_top(s.cat, s.ncat, e.cats[i], 3);
        d1 += in_top(s.dept, s.ndept, dl, 1);
        d3 += in_top(s.dept, s.ndept, dl, 3);
        nh++;
    }
    hotline_model_free(m);
    free(tt);
    free(tc);
    free(td);
    examples_free(&e);
    *ntrain = nt;
    *ntest = nh;
    double d = nh ? (double)nh : 1.0;
    *top1_cat = (double)c1 / d;
    *top3_cat = (double)c3 / d;
    *top1_dept = (double)d1 / d;
    *top3_dept = (double)d3 / d;
    return 0;
}
