/*
 * router.h - maps a method and a decoded path to a handler, with typed path parameters.
 *
 * Patterns are paths whose segments are literals or parameters:
 *   /divisions                     literal
 *   /divisions/{code}              one segment, any non-empty text
 *   /cases/{id:int}                one segment of decimal digits that fits an int64
 *   /static/{path:*}               the rest of the path (one or more segments)
 * A literal segment beats a parameter at the same depth, so /services/new and
 * /services/{id} can coexist. Matching walks a segment trie: its cost depends on the
 * depth of the path, not on the number of routes. Design: docs/internals/router.md.
 *
 * The router is built at start-up and read-only afterwards, so lookups need no lock.
 */
#ifndef ONEWINDOW_WEB_ROUTER_H
#define ONEWINDOW_WEB_ROUTER_H

#include <stddef.h>
#include <stdint.h>

#define ROUTER_MAX_PARAMS 8

struct router;

struct router_param {
    const char *name;  /* from the pattern */
    const char *value; /* points into the caller's path copy */
    int64_t ivalue;    /* for :int parameters */
};

struct router_match {
    void *handler;   /* what was registered */
    int route_index; /* 0..router_count()-1, for per-route metrics */
    const char *pattern;
    size_t nparams;
    struct router_param params[ROUTER_MAX_PARAMS];
    int method_mismatch; /* no match for this method, but the path matches others: 405 */
    char allow[64];      /* then: the methods that would match, for the Allow header */
};

struct router *router_new(void);
void router_free(struct router *r);

/* Register `handler` for `method` ("GET", "POST"...; "HEAD" is served by GET routes)
 * and `pattern`. Returns the route index, or -1 for a malformed pattern or a duplicate. */
int router_add(struct router *r, const char *method, const char *pattern, void *handler);

/* Match `path` (decoded, starts with '/'). `path` is modified in place (segments are
 * NUL-terminated), so pass a writable copy. Returns 0 and fills *m, or -1 when nothing
 * matches (m->method_mismatch says whether a 405 fits better than a 404). */
int router_match(const struct router *r, const char *method, char *path, struct router_match *m);

size_t router_count(const struct router *r);
const char *router_pattern(const struct router *r, int route_index);
const char *router_method(const struct router *r, int route_index);

#endif
