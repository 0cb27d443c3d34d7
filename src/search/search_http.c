/*
 * search_http.c - the public search page and its JSON twin:
 *   GET /search?q=TEXT&kind=KIND&page=N        results page (public documents only)
 *   GET /api/v1/search?q=TEXT&kind=KIND&page=N the same view model as JSON
 * Any query is accepted: it is normalised (and cut) by search_run, an unknown kind simply
 * finds nothing; a page that is not a whole number from 1 to MAX_PAGE is a 400 (the handler
 * kit's web_query_int). Highlighting comes as segments [{text, hit}] that the template
 * escapes and wraps in <mark>. Documents with titles in several languages (catalog items)
 * show the reader's; documents with a ref link to url_prefix + ref.
 */
#include "search/search_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/buf.h"
#include "web/web.h"

#define PAGE_SIZE 10
#define MAX_PAGE (SEARCH_MAX_OFFSET / PAGE_SIZE + 1)

/* Percent-encode for a query string value. */
static void put_encoded(struct buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~') {
            buf_putc(b, (char)c);
        } else {
            buf_putc(b, '%');
            buf_putc(b, hex[c >> 4]);
            buf_putc(b, hex[c & 15]);
        }
    }
}

static json_t *page_url(const char *q, const char *kind, int page)
{
    struct buf b;
    buf_init(&b, 4096);
    buf_puts(&b, "/search?q=");
    put_encoded(&b, q);
    if (kind[0] != '\0') {
        buf_puts(&b, "&kind=");
        put_encoded(&b, kind);
    }
    buf_printf(&b, "&page=%d", page);
    json_t *j = json_string(b.data != NULL ? b.data : "/search");
    buf_free(&b);
    return j;
}

static const char *kind_label(struct web_req *req, const struct search *s, const char *kind)
{
    size_t i;
    json_t *v;
    json_array_foreach(s->kinds, i, v)
    {
        if (strcmp(json_string_value(json_object_get(v, "kind")), kind) == 0)
            return web_t(req, json_string_value(json_object_get(v, "label_key")));
    }
    return kind;
}

/* The page of a hit: its kind's URL prefix followed by its ref (documents keyed by a code)
 * or its id. NULL when the kind has no pages. */
static const char *hit_url(const struct search *s, struct arena *a, const json_t *hit)
{
    const char *kind = json_string_value(json_object_get(hit, "kind"));
    const char *ref = json_string_value(json_object_get(hit, "ref"));
    size_t i;
    json_t *v;
    json_array_foreach(s->kinds, i, v)
    {
        const char *prefix = json_string_value(json_object_get(v, "url_prefix"));
        if (strcmp(json_string_value(json_object_get(v, "kind")), kind) != 0 || prefix == NULL ||
            *prefix == '\0')
            continue;
        if (ref != NULL)
            return arena_printf(a, "%s%s", prefix, ref);
        return arena_printf(a, "%s%lld", prefix,
                            (long long)json_integer_value(json_object_get(hit, "id")));
    }
    return NULL;
}

static int h_search(struct web_req *req, struct web_resp *resp)
{
    struct search *s = req->ctx;
    struct err err;
    err_clear(&err);
    const char *q = web_query(req, "q");
    const char *kind = web_query(req, "kind");
    int64_t page;
    if (q == NULL)
        q = "";
    if (kind == NULL || strlen(kind) > SEARCH_MAX_KIND)
        kind = "";
    if (web_query_int(req, resp, "page", 1, MAX_PAGE, 1, &page) < 0)
        return -1;

    struct search_query sq = {.q = q,
                              .kind = kind,
                              .limit = PAGE_SIZE,
                              .offset = (int)(page - 1) * PAGE_SIZE,
                              .display_lang = req->lang};
    json_t *r = NULL;
    if (search_run(s, &sq, &r, &err) < 0)
        return web_fail_err(resp, &err);

    json_t *kinds = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(s->kinds, i, v)
    {
        const char *k = json_string_value(json_object_get(v, "kind"));
        json_array_append_new(kinds,
                              json_pack("{s:s,s:s,s:b}", "kind", k, "label", kind_label(req, s, k),
                                        "selected", strcmp(k, kind) == 0));
    }
    json_t *hits = json_object_get(r, "hits");
    json_array_foreach(hits, i, v)
    {
        const char *k = json_string_value(json_object_get(v, "kind"));
        json_object_set_new(v, "kind_label", json_string(kind_label(req, s, k)));
        const char *url = hit_url(s, req->arena, v);
        if (url != NULL)
            json_object_set_new(v, "url", json_string(url));
        /* A document in one language marks its snippet so; one with titles in several
         * (a catalog item) has text in all of them, and the snippet may be in any. */
        if (json_object_get(v, "titles") == NULL)
            json_object_set(v, "snippet_lang", json_object_get(v, "lang"));
    }
    json_int_t total = json_integer_value(json_object_get(r, "total"));
    const char *norm = json_string_value(json_object_get(r, "query"));
    json_t *model = json_pack("{s:s,s:s,s:s,s:s,s:o,s:b,s:I,s:O,s:i,s:b}", "title",
                              web_t(req, "search.title"), "q", q, "query", norm, "kind", kind,
                              "kinds", kinds, "searched", norm[0] != '\0', "total", total, "hits",
                              hits, "page", (int)page, "has_hits", json_array_size(hits) > 0);
    json_decref(r);
    if (model == NULL)
        return web_page(resp, NULL, NULL, 500);
    if (page > 1)
        json_object_set_new(model, "prev_url", page_url(q, kind, (int)page - 1));
    if ((json_int_t)page * PAGE_SIZE < total && page < MAX_PAGE)
        json_object_set_new(model, "next_url", page_url(q, kind, (int)page + 1));
    json_object_set_new(model, "has_pages",
                        json_boolean(json_object_get(model, "prev_url") != NULL ||
                                     json_object_get(model, "next_url") != NULL));
    json_object_set_new(model, "has_kinds", json_boolean(json_array_size(kinds) > 0));
    /* The count of a search, only when there was one (as the page). `norm` lived in `r`,
     * released above: ask the model. */
    if (json_is_true(json_object_get(model, "searched")))
        json_object_set_new(
            model, "summary",
            json_string(arena_printf(req->arena, "%s: %lld", web_t(req, "search.total"),
                                     (long long)total)));
    return web_page(resp, model, "search/results", 200);
}

int search_http_register(struct web_server *srv, struct search *s)
{
    if (web_route(srv, "GET", "/search", h_search, s) < 0 ||
        web_route(srv, "GET", "/api/v1/search", h_search, s) < 0)
        return -1;
    return 0;
}
