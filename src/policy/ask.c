/*
 * ask.c - questions answered from stored passages (issue 14 item 6): policy clauses,
 * policy summaries, service guide sections and the hotline's knowledge base, all documents
 * of src/search. Retrieval only: an answer is a passage as stored, with its source.
 *
 * A question is not a search query: "结婚需要什么材料" contains no word that a passage
 * contains as written, and search ANDs its terms. So the question is cut into terms that
 * passages do contain - Chinese character bigrams (the words people type are mostly two
 * characters: 结婚, 材料), Tibetan pairs of syllables (གཉེན་སྒྲིག, ཡིག་ཆ), English words
 * cut to a crude stem (married, marriage -> marr) - with question and function words
 * dropped (什么, 需要, ག་རེ, དགོས, what, need). Each term is searched alone; a passage scores
 * the sum of the weights of the terms it contains, a term weighing more the fewer
 * passages contain it (an IDF from search's candidate count), and a little more when it is
 * in the passage's title. The best passage must contain terms worth at least half of the
 * question's weight, or the answer is "nothing answers this well" (and the page offers
 * 12345). The terms come from ask_terms.c. Design and measured quality:
 * docs/internals/policy.md.
 */
#include "policy/policy_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "search/search.h"
#include "store/store.h"

#define MAX_TERMS 8 /* as policy_ask_terms gives at most */
#define PER_TERM 50
#define MAX_HITS 400
#define ANSWERED_COVERAGE 0.5
#define RECHECK 20

/* ---- retrieval ---------------------------------------------------------------------------- */

/* What a question asks about a service, from the words it uses: the guide section that
 * answers it ("多少钱" asks for the fee). A guide passage of that section gets the weight of
 * one more matched term. Substrings of the question, in zh, bo and en. */
static const struct {
    const char *section;
    const char *words[12];
} intents[] = {
    {"materials",
     {"材料", "证件", "带什么", "带哪些", "提交什么", "ཡིག་ཆ", "document", "papers", "bring",
      "material", NULL}},
    {"fee",
     {"多少钱", "费用", "收费", "收钱", "花钱", "要钱", "交钱", "འཐུས", "རིན", "fee", "cost",
      "price"}},
    {"time_limit",
     {"多久", "多长时间", "几天", "时限", "多少天", "期限", "དུས་ཚོད", "ཉིན་", "how long", "days",
      NULL}},
    {"conditions",
     {"条件", "能不能", "可不可以", "是否可以", "资格", "ཆ་རྐྱེན", "condition", "eligib", "who can",
      NULL}},
    {"steps",
     {"流程", "步骤", "怎么办", "如何办", "程序", "去哪", "བྱ་རིམ", "steps", "procedure", "process",
      NULL}},
};

static const char *question_intent(const char *q)
{
    if (q == NULL)
        return NULL;
    char low[POLICY_MAX_QUESTION + 1];
    size_t n = strnlen(q, POLICY_MAX_QUESTION);
    for (size_t i = 0; i < n; i++)
        low[i] = (char)(q[i] >= 'A' && q[i] <= 'Z' ? q[i] + 32 : q[i]);
    low[n] = '\0';
    for (size_t i = 0; i < sizeof(intents) / sizeof(intents[0]); i++)
        for (size_t w = 0; w < 12 && intents[i].words[w] != NULL; w++)
            if (strstr(low, intents[i].words[w]) != NULL)
                return intents[i].section;
    return NULL;
}

/* The kinds Q&A answers from, best first when scores tie. */
static int kind_rank(const char *kind)
{
    static const char *const kinds[] = {POLICY_KIND_GUIDE, POLICY_KIND_CLAUSE, "kb",
                                        POLICY_KIND_DOC};
    for (int i = 0; i < 4; i++)
        if (strcmp(kinds[i], kind) == 0)
            return i;
    return -1;
}

struct cand {
    json_t *hit; /* borrowed from one term's result, kept alive in `results` */
    double score, best_w;
    double tie; /* search's own scores summed: repeated hits, share of the title */
    int rank;
    unsigned mask; /* the terms it holds */
    double order;  /* the score weighed by length, once rechecked (else the score) */
    char key[160];
};

/* Best first: the weights of the terms held; then the kind; then search's scores (a passage
 * naming the topic twice before one naming it once); then the key, so that both backends
 * and every run give one order. */
static int cmp_cand(const void *a, const void *b)
{
    const struct cand *x = a, *y = b;
    if (fabs(x->order - y->order) > 1e-9)
        return x->order > y->order ? -1 : 1;
    if (x->rank != y->rank)
        return x->rank - y->rank;
    if (fabs(x->tie - y->tie) > 1e-9)
        return x->tie > y->tie ? -1 : 1;
    return strcmp(x->key, y->key);
}

static int title_hit(const json_t *hit)
{
    size_t i;
    json_t *seg;
    json_array_foreach(json_object_get(hit, "title_segments"), i, seg)
    {
        if (json_is_true(json_object_get(seg, "hit")))
            return 1;
    }
    return 0;
}

static const char *hit_key(char *buf, size_t cap, const json_t *hit)
{
    const char *ref = json_string_value(json_object_get(hit, "ref"));
    if (ref != NULL)
        snprintf(buf, cap, "%s:%s", json_string_value(json_object_get(hit, "kind")), ref);
    else
        snprintf(buf, cap, "%s:%lld", json_string_value(json_object_get(hit, "kind")),
                 (long long)json_integer_value(json_object_get(hit, "id")));
    return buf;
}

/* Cite a passage and link it: its source, its page and the services to apply for. *out is
 * NULL (and 0 returned) for a clause that is no longer stored. */
static int describe(struct policy *p, struct store_conn *c, const char *lang, json_t *hit,
                    json_t **out, struct err *err)
{
    const char *kind = json_string_value(json_object_get(hit, "kind"));
    json_t *a =
        json_pack("{s:s,s:O,s:O,s:O,s:O}", "kind", kind, "title", json_object_get(hit, "title"),
                  "title_lang", json_object_get(hit, "title_lang"), "snippet",
                  json_object_get(hit, "snippet"), "lang", json_object_get(hit, "lang"));
    json_t *apply = json_array(), *cite = json_object();
    json_object_set_new(a, "apply", apply);
    json_object_set_new(a, "cite", cite);
    char url[256];
    if (strcmp(kind, POLICY_KIND_GUIDE) == 0) {
        /* ref = CODE.SECTION.LANG */
        char ref[128];
        snprintf(ref, sizeof(ref), "%s", json_string_value(json_object_get(hit, "ref")));
        char *dot2 = strrchr(ref, '.');
        if (dot2 != NULL)
            *dot2 = '\0';
        char *dot1 = strrchr(ref, '.');
        const char *section = dot1 ? dot1 + 1 : "";
        if (dot1 != NULL)
            *dot1 = '\0';
        json_object_set_new(cite, "code", json_string(ref));
        json_object_set_new(cite, "section", json_string(section));
        json_object_set_new(cite, "section_label",
                            json_string(policy_section_label(section, lang)));
        json_object_set_new(a, "source", json_sprintf("guide:%s.%s", ref, section));
        /* A guide section is short: the whole of it, in the passage's language. */
        json_object_set_new(a, "lines", json_deep_copy(json_object_get(hit, "lines")));
        snprintf(url, sizeof(url), "/services/%s#%s", ref, section);
        json_object_set_new(a, "url", json_string(url));
        snprintf(url, sizeof(url), "/services/%s/apply", ref);
        json_array_append_new(apply, json_pack("{s:s,s:s}", "code", ref, "url", url));
    } else if (strcmp(kind, POLICY_KIND_CLAUSE) == 0) {
        int64_t cid = json_integer_value(json_object_get(hit, "id")), pid = 0;
        int number = 0;
        json_t *doc = NULL, *codes = NULL;
        if (policy_db_clause_where(c, cid, &pid, &number, err) < 0 ||
            policy_db_get(c, pid, &doc, err) < 0 ||
            policy_db_clause_codes(c, cid, &codes, err) < 0) {
            json_decref(doc);
            json_decref(a);
            /* A document whose clause is gone (an index out of step): not an answer. */
            if (err->status == 404) {
                *out = NULL;
                return 0;
            }
            return -1;
        }
        const json_t *title = json_object_get(doc, "title");
        const char *t = json_string_value(json_object_get(title, lang));
        json_object_set_new(cite, "policy_id", json_sprintf("%lld", (long long)pid));
        json_object_set_new(
            cite, "policy_title",
            json_string(t && *t ? t : json_string_value(json_object_get(title, "zh"))));
        json_object_set_new(cite, "policy_title_lang", json_string(t && *t ? lang : "zh"));
        json_object_set(cite, "policy_number", json_object_get(doc, "number"));
        json_object_set_new(cite, "clause", json_integer(number));
        json_object_set_new(
            a, "source",
            json_sprintf("clause:%s#%d", json_string_value(json_object_get(doc, "key")), number));
        snprintf(url, sizeof(url), "/policies/%lld#c%d", (long long)pid, number);
        json_object_set_new(a, "url", json_string(url));
        size_t i;
        json_t *code;
        json_array_foreach(codes, i, code)
        {
            snprintf(url, sizeof(url), "/services/%s/apply", json_string_value(code));
            json_array_append_new(apply, json_pack("{s:O,s:s}", "code", code, "url", url));
        }
        json_decref(codes);
        json_decref(doc);
    } else if (strcmp(kind, "kb") == 0) {
        json_int_t id = json_integer_value(json_object_get(hit, "id"));
        json_object_set_new(cite, "kb", json_sprintf("%lld", (long long)id));
        json_object_set_new(a, "source", json_sprintf("kb:%lld", (long long)id));
        snprintf(url, sizeof(url), "/hotline/kb/%lld", (long long)id);
        json_object_set_new(a, "url", json_string(url));
    } else {
        json_int_t id = json_integer_value(json_object_get(hit, "id"));
        json_object_set_new(cite, "policy_id", json_sprintf("%lld", (long long)id));
        json_object_set_new(
            a, "source", json_sprintf("policy:%s", json_string_value(json_object_get(hit, "tag"))));
        snprintf(url, sizeof(url), "/policies/%lld", (long long)id);
        json_object_set_new(a, "url", json_string(url));
    }
    *out = a;
    return 0;
}

/* What the terms weigh and whether search gave all their hits. */
struct term_info {
    const char *s;
    double w;
    int truncated; /* more matches than hits returned: a passage may hold it unseen */
};

/* Add the hits of one search for term i (weight w) to the candidates. */
static void add_hits(const json_t *hits, size_t i, double w, json_t *seen, struct cand *cands,
                     size_t *ncand)
{
    size_t j;
    json_t *hit;
    json_array_foreach(hits, j, hit)
    {
        int rank = kind_rank(json_string_value(json_object_get(hit, "kind")));
        /* Guide passages come from memory only: a "guide" search document is one an earlier
         * version indexed (policy_index_guides removes them). */
        if (rank < 0 || rank == kind_rank(POLICY_KIND_GUIDE))
            continue;
        char key[160];
        hit_key(key, sizeof(key), hit);
        double hw = w * (title_hit(hit) ? 1.5 : 1.0);
        double hs = json_real_value(json_object_get(hit, "score"));
        json_t *slot = json_object_get(seen, key);
        if (slot != NULL) {
            struct cand *cd = &cands[json_integer_value(slot)];
            cd->score += hw;
            cd->tie += hs;
            cd->mask |= 1u << i;
            if (w > cd->best_w) { /* show the snippet around the rarest term */
                cd->best_w = w;
                cd->hit = hit;
            }
        } else if (*ncand < MAX_HITS) {
            struct cand *cd = &cands[*ncand];
            *cd = (struct cand){(json_t *)hit, hw, w, hs, rank, 1u << i, 0, ""};
            snprintf(cd->key, sizeof(cd->key), "%s", key);
            json_object_set_new(seen, key, json_integer((json_int_t)*ncand));
            (*ncand)++;
        }
    }
}

/* Add the guide passages holding term i to the candidates; *df gets how many. */
static void add_guides(const struct guide_set *g, const char *term, size_t i, double w,
                       json_t *seen, json_t *results, struct cand *cands, size_t *ncand)
{
    for (size_t k = 0; k < g->n; k++) {
        const char *at = strstr(g->v[k].low, term);
        if (at == NULL)
            continue;
        char key[160];
        const json_t *shared = g->v[k].hit;
        hit_key(key, sizeof(key), shared);
        double hw = w * ((size_t)(at - g->v[k].low) < g->v[k].title_len ? 1.5 : 1.0);
        json_t *slot = json_object_get(seen, key);
        if (slot != NULL) {
            struct cand *cd = &cands[json_integer_value(slot)];
            cd->score += hw;
            cd->mask |= 1u << i;
        } else if (*ncand < MAX_HITS) {
            /* A copy: the set is shared by every thread asking. */
            json_t *hit = json_deep_copy(shared);
            json_array_append_new(results, hit);
            struct cand *cd = &cands[*ncand];
            *cd = (struct cand){hit, hw, w, 0, kind_rank(POLICY_KIND_GUIDE), 1u << i, 0, ""};
            snprintf(cd->key, sizeof(cd->key), "%s", key);
            json_object_set_new(seen, key, json_integer((json_int_t)*ncand));
            (*ncand)++;
        }
    }
}

static size_t count_guides(const struct guide_set *g, const char *term)
{
    size_t n = 0;
    for (size_t k = 0; k < g->n; k++)
        n += strstr(g->v[k].low, term) != NULL;
    return n;
}

/* Each term: the guide passages holding it (in memory, policy_guide.c) and one search among
 * the public documents (clauses, policies, the knowledge base). */
static int gather(struct policy *p, const struct guide_set *g, const json_t *terms,
                  const char *lang, json_t *results, json_t *seen, struct cand *cands,
                  size_t *ncand, struct term_info *ti, struct err *err)
{
    size_t i;
    json_t *t;
    json_array_foreach(terms, i, t)
    {
        const char *ts = json_string_value(t);
        struct search_query sq = {.q = ts, .limit = PER_TERM, .display_lang = lang};
        json_t *r = NULL;
        if (search_run(p->search, &sq, &r, err) < 0)
            return -1;
        json_array_append_new(results, r);
        /* The weight of a term: how rare it is among the passages (search counts at most
         * SEARCH_CANDIDATES; "more" means it is common). */
        json_int_t total = json_integer_value(json_object_get(r, "total"));
        int more = json_is_true(json_object_get(r, "more"));
        double df = (more ? 4.0 * SEARCH_CANDIDATES : (double)total) + (double)count_guides(g, ts);
        double w = log1p(2000.0 / (1.0 + df));
        /* A lone Chinese character says little about the topic. */
        if (strlen(ts) == 3 && (unsigned char)ts[0] >= 0xE3)
            w *= 0.5;
        ti[i] = (struct term_info){
            ts, w, more || (json_int_t)json_array_size(json_object_get(r, "hits")) < total};
        add_guides(g, ts, i, w, seen, results, cands, ncand);
        add_hits(json_object_get(r, "hits"), i, w, seen, cands, ncand);
    }
    return 0;
}

/* A passage's text, ASCII lower-cased (malloc'd; NULL when it cannot be read): the title and,
 * for guide sections and clauses, the whole body. */
static char *passage_text(struct policy *p, struct store_conn *c, const json_t *hit)
{
    const char *kind = json_string_value(json_object_get(hit, "kind"));
    struct buf b;
    buf_init(&b, SEARCH_MAX_BODY + SEARCH_MAX_TITLE);
    const char *title = json_string_value(json_object_get(hit, "title"));
    const char *body = json_string_value(json_object_get(hit, "body"));
    buf_puts(&b, title ? title : "");
    buf_putc(&b, '\n');
    if (strcmp(kind, POLICY_KIND_GUIDE) == 0) {
        buf_puts(&b, body ? body : "");
    } else if (strcmp(kind, POLICY_KIND_CLAUSE) == 0) {
        struct err err;
        char *stored = NULL;
        if (policy_db_clause_body(c, json_integer_value(json_object_get(hit, "id")), &stored,
                                  &err) == 0 &&
            stored != NULL)
            buf_puts(&b, stored);
        free(stored);
    }
    char *text = buf_take(&b, NULL);
    for (char *x = text; x != NULL && *x; x++)
        if (*x >= 'A' && *x <= 'Z')
            *x = (char)(*x + 32);
    return text;
}

/* How often `term` occurs in `text` (non-overlapping), at most 20. */
static int occurrences(const char *text, const char *term)
{
    int n = 0;
    size_t len = strlen(term);
    for (const char *at = text; n < 20 && (at = strstr(at, term)) != NULL; at += len)
        n++;
    return n;
}

/* Search returns the best PER_TERM hits of a common term, not all: the best candidates are
 * checked for the terms they were not seen with, in their own text, so that the order does
 * not depend on which hits each backend happened to return. Their order then also weighs
 * how often each term occurs, field by field as BM25F does: in the title (saturating, k1 =
 * 1.2, counted twice) and in the body against its length (k1 = 1.2, b = 0.5, an average
 * body of 600 bytes). Of two passages holding the same terms, the one more about them comes
 * first: the marriage guide named 结婚 twice before the divorce guide that names it once, a
 * clause on the 12345 hotline before a long list of projects that mentions it. `score`
 * stays the share of the question's weight held, for "answered". */
static void recheck(struct policy *p, struct store_conn *c, struct cand *cands, size_t ncand,
                    const struct term_info *ti, size_t nterms)
{
    for (size_t i = 0; i < ncand && i < RECHECK; i++) {
        char *text = passage_text(p, c, cands[i].hit);
        if (text == NULL)
            continue;
        char *body = strchr(text, '\n');
        if (body != NULL)
            *body++ = '\0';
        else
            body = text + strlen(text);
        double norm = 1.2 * (0.5 + 0.5 * (double)strlen(body) / 600.0), extra = 0;
        for (size_t k = 0; k < nterms; k++) {
            double tt = occurrences(text, ti[k].s), tb = occurrences(body, ti[k].s);
            if (tt + tb == 0)
                continue;
            if (ti[k].truncated && !(cands[i].mask & (1u << k))) {
                cands[i].score += ti[k].w * (tt > 0 ? 1.5 : 1.0);
                cands[i].mask |= 1u << k;
            }
            extra += ti[k].w * (2.0 * tt * 2.2 / (tt + 1.2) + tb * 2.2 / (tb + norm) - 1.0);
        }
        cands[i].order = cands[i].score + 0.05 * extra;
        free(text);
    }
}

int policy_ask(struct policy *p, const char *question, const char *lang, int limit, json_t **out,
               struct err *err)
{
    if (limit < 1 || limit > 10)
        limit = 5;
    if (lang == NULL)
        lang = "zh";
    json_t *terms = policy_ask_terms(question), *results = json_array(), *answers = json_array();
    json_t *seen = json_object();
    struct cand *cands = calloc(MAX_HITS, sizeof(*cands));
    struct term_info ti[MAX_TERMS] = {{0}};
    size_t ncand = 0, i;
    double total_w = 0;
    int rc = -1;
    struct store_conn *c = NULL;
    struct guide_set *guides = NULL;
    if (cands == NULL) {
        err_set(err, 500, "policy.oom", "out of memory");
        goto out;
    }
    if ((guides = policy_guides(p, err)) == NULL ||
        gather(p, guides, terms, lang, results, seen, cands, &ncand, ti, err) < 0)
        goto out;
    for (i = 0; i < json_array_size(terms); i++)
        total_w += ti[i].w;
    if (ncand > 0 && (c = store_conn(p->store, err)) == NULL)
        goto out;
    const char *intent = question_intent(question);
    if (intent != NULL && ncand > 0) {
        double boost = total_w / (double)(json_array_size(terms) ? json_array_size(terms) : 1);
        for (i = 0; i < ncand; i++) {
            const char *tag = json_string_value(json_object_get(cands[i].hit, "tag"));
            if (cands[i].rank == 0 && tag != NULL && strcmp(tag, intent) == 0)
                cands[i].score += boost;
        }
        total_w += boost;
    }
    for (i = 0; i < ncand; i++)
        cands[i].order = cands[i].score;
    qsort(cands, ncand, sizeof(*cands), cmp_cand);
    recheck(p, c, cands, ncand, ti, json_array_size(terms));
    qsort(cands, ncand < RECHECK ? ncand : RECHECK, sizeof(*cands), cmp_cand);
    for (i = 0; i < ncand && (int)json_array_size(answers) < limit; i++) {
        json_t *a = NULL;
        if (describe(p, c, lang, cands[i].hit, &a, err) < 0)
            goto out;
        if (a == NULL)
            continue;
        /* Coverage: the share of the question's weight this passage holds (title hits
         * count 1.5, so it can exceed 1). */
        json_object_set_new(a, "score", json_real(total_w > 0 ? cands[i].score / total_w : 0));
        json_array_append_new(answers, a);
    }
    int answered = ncand > 0 && total_w > 0 && cands[0].score / total_w >= ANSWERED_COVERAGE;
    *out = json_pack("{s:s,s:O,s:b,s:O}", "q", question ? question : "", "terms", terms, "answered",
                     answered, "answers", answers);
    if (*out == NULL) /* a question that is not UTF-8 */
        *out = json_pack("{s:s,s:O,s:b,s:O}", "q", "", "terms", terms, "answered", 0, "answers",
                         answers);
    rc = *out ? 0 : err_set(err, 500, "policy.oom", "out of memory");
out:
    guide_set_release(guides);
    free(cands);
    json_decref(seen);
    json_decref(results);
    json_decref(terms);
    json_decref(answers);
    return rc;
}
