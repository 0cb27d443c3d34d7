/*
 * router.c - a segment trie; see router.h for patterns and docs/internals/router.md.
 *
 * Each node is one path depth. Children are literals (tried first, by exact compare),
 * then at most one parameter child per type. A node may end routes: `ends` lists the
 * route indexes whose pattern stops here, one per method. Matching backtracks from a
 * literal to a parameter branch when the literal branch finds nothing deeper, so the
 * most specific pattern wins.
 */
#include "web/router.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum seg_kind { SEG_LITERAL, SEG_STR, SEG_INT, SEG_REST };

struct route {
    char *method;
    char *pattern;
    void *handler;
};

struct node {
    enum seg_kind kind;
    char *text; /* literal text, or parameter name */
    struct node **kids;
    size_t nkids;
    int *ends; /* route indexes ending here */
    size_t nends;
};

struct router {
    struct node root;
    struct route *routes;
    size_t nroutes;
};

struct router *router_new(void)
{
    return calloc(1, sizeof(struct router));
}

static void node_free(struct node *n)
{
    for (size_t i = 0; i < n->nkids; i++) {
        node_free(n->kids[i]);
        free(n->kids[i]);
    }
    free(n->kids);
    free(n->ends);
    free(n->text);
}

void router_free(struct router *r)
{
    if (r == NULL)
        return;
    node_free(&r->root);
    for (size_t i = 0; i < r->nroutes; i++) {
        free(r->routes[i].method);
        free(r->routes[i].pattern);
    }
    free(r->routes);
    free(r);
}

/* Parse one pattern segment [s, s+n) into kind and text (malloc'd). */
static int parse_seg(const char *s, size_t n, enum seg_kind *kind, char **text)
{
    if (n == 0)
        return -1;
    if (s[0] != '{') {
        if (memchr(s, '{', n) || memchr(s, '}', n))
            return -1;
        *kind = SEG_LITERAL;
        *text = strndup(s, n);
        return *text ? 0 : -1;
    }
    if (s[n - 1] != '}' || n < 3)
        return -1;
    const char *colon = memchr(s, ':', n);
    size_t name_len = colon ? (size_t)(colon - s - 1) : n - 2;
    if (name_len == 0)
        return -1;
    *kind = SEG_STR;
    if (colon) {
        size_t tlen = (size_t)(s + n - 1 - colon - 1);
        if (tlen == 3 && memcmp(colon + 1, "int", 3) == 0)
            *kind = SEG_INT;
        else if (tlen == 1 && colon[1] == '*')
            *kind = SEG_REST;
        else if (!(tlen == 3 && memcmp(colon + 1, "str", 3) == 0))
            return -1;
    }
    *text = strndup(s + 1, name_len);
    return *text ? 0 : -1;
}

static struct node *child(struct node *n, enum seg_kind kind, const char *text)
{
    for (size_t i = 0; i < n->nkids; i++) {
        struct node *k = n->kids[i];
        if (k->kind != kind)
            continue;
        /* One parameter child per type: two patterns must agree on its name. */
        if (kind == SEG_LITERAL ? strcmp(k->text, text) == 0 : 1)
            return strcmp(k->text, text) == 0 ? k : NULL;
    }
    struct node **kids = realloc(n->kids, (n->nkids + 1) * sizeof(*kids));
    if (kids == NULL)
        return NULL;
    n->kids = kids;
    struct node *k = calloc(1, sizeof(*k));
    if (k == NULL)
        return NULL;
    k->kind = kind;
    k->text = strdup(text);
    if (k->text == NULL) {
        free(k);
        return NULL;
    }
    /* Keep literals before parameters, and :int before plain strings before rests, so
     * matching tries the most specific child first. */
    size_t pos = n->nkids;
    while (pos > 0 && n->kids[pos - 1]->kind > kind) {
        n->kids[pos] = n->kids[pos - 1];
        pos--;
    }
    n->kids[pos] = k;
    n->nkids++;
    return k;
}

int router_add(struct router *r, const char *method, const char *pattern, void *handler)
{
    if (pattern[0] != '/')
        return -1;
    struct node *n = &r->root;
    const char *p = pattern + 1;
    while (*p != '\0') {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        enum seg_kind kind;
        char *text;
        if (parse_seg(p, len, &kind, &text) < 0)
            return -1;
        if (kind == SEG_REST && slash != NULL) { /* {x:*} must be last */
            free(text);
            return -1;
        }
        n = child(n, kind, text);
        free(text);
        if (n == NULL)
            return -1;
        p += len;
        if (*p == '/') {
            p++;
            if (*p == '\0') /* a trailing slash is its own empty segment: not allowed */
                return -1;
        }
    }
    for (size_t i = 0; i < n->nends; i++)
        if (strcmp(r->routes[n->ends[i]].method, method) == 0)
            return -1;
    struct route *routes = realloc(r->routes, (r->nroutes + 1) * sizeof(*routes));
    if (routes == NULL)
        return -1;
    r->routes = routes;
    int *ends = realloc(n->ends, (n->nends + 1) * sizeof(*ends));
    if (ends == NULL)
        return -1;
    n->ends = ends;
    int idx = (int)r->nroutes;
    r->routes[idx].method = strdup(method);
    r->routes[idx].pattern = strdup(pattern);
    r->routes[idx].handler = handler;
    if (r->routes[idx].method == NULL || r->routes[idx].pattern == NULL) {
        free(r->routes[idx].method);
        free(r->routes[idx].pattern);
        return -1;
    }
    n->ends[n->nends++] = idx;
    r->nroutes++;
    return idx;
}

static int parse_int(const char *s, size_t n, int64_t *v)
{
    if (n == 0 || n > 18) /* 18 digits always fit an int64 */
        return -1;
    int64_t x = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        x = x * 10 + (s[i] - '0');
    }
    *v = x;
    return 0;
}

struct seg {
    const char *p;
    size_t len;
};

/* Depth-first match of segs[depth..]. Parameters are recorded as (pointer, length) in
 * plens and cut into C strings by router_match only once the whole path matched. */
static int match_node(const struct router *r, const struct node *n, const char *method,
                      const struct seg *segs, size_t nsegs, size_t depth, size_t *plens,
                      struct router_match *m)
{
    if (depth == nsegs) {
        for (size_t i = 0; i < n->nends; i++) {
            const struct route *rt = &r->routes[n->ends[i]];
            if (strcmp(rt->method, method) == 0 ||
                (strcmp(method, "HEAD") == 0 && strcmp(rt->method, "GET") == 0)) {
                m->handler = rt->handler;
                m->route_index = n->ends[i];
                m->pattern = rt->pattern;
                return 0;
            }
        }
        if (n->nends > 0 && !m->method_mismatch) {
            m->method_mismatch = 1;
            size_t o = 0;
            for (size_t i = 0; i < n->nends; i++) {
                const char *meth = r->routes[n->ends[i]].method;
                int w = snprintf(m->allow + o, sizeof(m->allow) - o, "%s%s%s", o ? ", " : "", meth,
                                 strcmp(meth, "GET") == 0 ? ", HEAD" : "");
                if (w < 0 || (size_t)w >= sizeof(m->allow) - o)
                    break;
                o += (size_t)w;
            }
        }
        return -1;
    }
    const struct seg *sg = &segs[depth];
    for (size_t i = 0; i < n->nkids; i++) {
        const struct node *k = n->kids[i];
        size_t np = m->nparams;
        if (k->kind == SEG_LITERAL) {
            if (strlen(k->text) == sg->len && memcmp(k->text, sg->p, sg->len) == 0 &&
                match_node(r, k, method, segs, nsegs, depth + 1, plens, m) == 0)
                return 0;
            continue;
        }
        if (sg->len == 0 || np >= ROUTER_MAX_PARAMS)
            continue;
        m->params[np].name = k->text;
        m->params[np].value = sg->p;
        m->params[np].ivalue = 0;
        if (k->kind == SEG_INT && parse_int(sg->p, sg->len, &m->params[np].ivalue) < 0)
            continue;
        m->nparams = np + 1;
        if (k->kind == SEG_REST) {
            /* Takes every remaining segment: the value runs to the end of the path. */
            plens[np] = (size_t)-1;
            if (match_node(r, k, method, segs, nsegs, nsegs, plens, m) == 0)
                return 0;
        } else {
            plens[np] = sg->len;
            if (match_node(r, k, method, segs, nsegs, depth + 1, plens, m) == 0)
                return 0;
        }
        m->nparams = np;
    }
    return -1;
}

#define ROUTER_MAX_DEPTH 32

int router_match(const struct router *r, const char *method, char *path, struct router_match *m)
{
    memset(m, 0, sizeof(*m));
    m->route_index = -1;
    if (path[0] != '/')
        return -1;
    /* "/" has no segments; "/a/" has "a" and an empty last one, which no route takes. */
    struct seg segs[ROUTER_MAX_DEPTH];
    size_t nsegs = 0;
    if (path[1] != '\0') {
        const char *p = path + 1;
        for (;;) {
            if (nsegs == ROUTER_MAX_DEPTH)
                return -1;
            const char *slash = strchr(p, '/');
            segs[nsegs].p = p;
            segs[nsegs].len = slash ? (size_t)(slash - p) : strlen(p);
            nsegs++;
            if (slash == NULL)
                break;
            p = slash + 1;
        }
    }
    size_t plens[ROUTER_MAX_PARAMS];
    if (match_node(r, &r->root, method, segs, nsegs, 0, plens, m) < 0)
        return -1;
    /* Cut single-segment values at their end; a rest value already ends with the path,
     * and comes last, so cutting earlier segments never shortens it. */
    for (size_t i = 0; i < m->nparams; i++)
        if (plens[i] != (size_t)-1)
            path[(m->params[i].value - path) + plens[i]] = '\0';
    return 0;
}

size_t router_count(const struct router *r)
{
    return r->nroutes;
}

const char *router_pattern(const struct router *r, int route_index)
{
    return r->routes[route_index].pattern;
}

const char *router_method(const struct router *r, int route_index)
{
    return r->routes[route_index].method;
}
