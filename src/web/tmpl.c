/*
 * tmpl.c - Mustache-style template compiler and renderer; see tmpl.h for the contract and
 * docs/internals/tmpl.md for the design.
 *
 * A template compiles to a flat array of ops. A section op records the index just past
 * its body, so rendering walks the array and recurses only into section bodies and
 * partials; nothing is parsed at render time. Names live in a per-template pool as
 * NUL-terminated path segments ("a.b" is "a\0b\0"), ready for json_object_get().
 *
 * Invariants:
 * - A template in the set is complete: all its partial ops point at templates that are in
 *   the set too. Templates compiled together are linked on a pending list first and
 *   published only when all of them compiled, so a failure leaves the set unchanged.
 * - A published template is never modified, so rendering needs no lock; only lookups and
 *   inserts in the hash table take `lock`, and none do after the freeze.
 * - Rendering allocates nothing but output; section frames live on the C stack, bounded
 *   by TMPL_MAX_DEPTH.
 */
#include "web/tmpl.h"
#include "web/tmpl_html.h"

#include <assert.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TMPL_BUCKETS 256 /* the application has tens of templates; chains stay short */

enum op_kind {
    OP_TEXT,     /* literal bytes from the source */
    OP_ESCAPED,  /* {{name}} */
    OP_RAW,      /* {{{name}}}, {{& name}} */
    OP_SECTION,  /* {{#name}} */
    OP_INVERTED, /* {{^name}} */
    OP_PARTIAL,  /* {{> name}} */
};

struct op {
    enum op_kind kind;
    const char *text;           /* TEXT: the bytes; PARTIAL: the tag, for error messages */
    size_t len;                 /* TEXT: byte count; name ops: path segments (0 for "{{.}}") */
    size_t name;                /* offset of the name in the pool */
    size_t end;                 /* SECTION, INVERTED: index of the first op after the body */
    const struct tmpl *partial; /* PARTIAL: target, NULL (no set) renders nothing */
    bool in_text;               /* ESCAPED: stands in element content, where markup may go */
};

struct tmpl {
    struct tmpl *next; /* hash chain in the set, or the pending list while compiling */
    char *name;
    const char *src; /* not owned: loader memory, or the caller's during render_string */
    struct op *ops;
    size_t nops, ops_cap;
    char *pool; /* names, see above */
    size_t pool_len, pool_cap;
};

struct tmpl_set {
    tmpl_loader loader;
    void *loader_ctx;
    tmpl_realloc_fn alloc;
    void *alloc_ctx;
    pthread_mutex_t lock; /* guards `buckets` until the freeze */
    atomic_bool frozen;
    struct tmpl *buckets[TMPL_BUCKETS];
};

/* Templates compiled together, published to the set all at once or not at all. */
struct pending {
    struct tmpl *head;
    struct tmpl **tail;
};

/* ---- allocation ---------------------------------------------------------------------- */

static void *tmpl_realloc(struct tmpl_set *set, void *p, size_t n)
{
    if (set != NULL && set->alloc != NULL)
        return set->alloc(set->alloc_ctx, p, n);
    return realloc(p, n);
}

/* Make room for `need` elements of `size` bytes in *p, doubling the capacity. */
static int grow(struct tmpl_set *set, void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    size_t ncap = *cap ? *cap : 16;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2 / size)
            return -1;
        ncap *= 2;
    }
    void *np = tmpl_realloc(set, *p, ncap * size);
    if (np == NULL)
        return -1;
    *p = np;
    *cap = ncap;
    return 0;
}

static void tmpl_free(struct tmpl *t)
{
    if (t == NULL)
        return;
    free(t->ops);
    free(t->pool);
    free(t->name);
    free(t);
}

static void tmpl_free_list(struct tmpl *t)
{
    while (t != NULL) {
        struct tmpl *next = t->next;
        tmpl_free(t);
        t = next;
    }
}

/* ---- parsing ------------------------------------------------------------------------- */

static unsigned line_of(const char *src, const char *at)
{
    unsigned line = 1;
    for (const char *p = src; p < at; p++)
        line += *p == '\n';
    return line;
}

static int syntax_error(struct err *err, const struct tmpl *t, const char *at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int syntax_error(struct err *err, const struct tmpl *t, const char *at, const char *fmt, ...)
{
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    return err_set(err, 500, "tmpl.syntax", "template '%s' line %u: %s", t->name,
                   line_of(t->src, at), what);
}

static int oom(struct err *err)
{
    return err_set(err, 500, "tmpl.oom", "out of memory compiling a template");
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* First occurrence of `c` twice in a row ("{{" or "}}") in [p, end), or NULL. */
static const char *find_pair(const char *p, const char *end, char c)
{
    while (end - p >= 2) {
        const char *q = memchr(p, c, (size_t)(end - p - 1));
        if (q == NULL)
            return NULL;
        if (q[1] == c)
            return q;
        p = q + 1;
    }
    return NULL;
}

static struct op *add_op(struct tmpl_set *set, struct tmpl *t, enum op_kind kind, struct err *err)
{
    if (grow(set, (void **)&t->ops, &t->ops_cap, t->nops + 1, sizeof(*t->ops)) < 0) {
        oom(err);
        return NULL;
    }
    struct op *op = &t->ops[t->nops++];
    memset(op, 0, sizeof(*op));
    op->kind = kind;
    return op;
}

/* Names hold no spaces or control bytes (UTF-8 is fine): anything else is a typo in a
 * template, and a NUL would silently cut the key that jansson sees. */
static bool name_chars_ok(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= ' ' || c == 0x7f)
            return false;
    }
    return true;
}

/* Store name `s` (`n` bytes) in the pool. With `dotted`, split it at dots into segments
 * (the count goes to op->len) and take "." as the current item; otherwise keep it whole. */
static int add_name(struct tmpl_set *set, struct tmpl *t, struct op *op, const char *s, size_t n,
                    bool dotted, struct err *err)
{
    if (n == 0)
        return syntax_error(err, t, s, "empty name in tag");
    if (!name_chars_ok(s, n))
        return syntax_error(err, t, s, "invalid character in name '%.*s'", (int)n, s);
    if (dotted && n == 1 && s[0] == '.') {
        op->len = 0;
        return 0;
    }
    op->name = t->pool_len;
    op->len = 1;
    if (dotted) {
        if (s[0] == '.' || s[n - 1] == '.' || memmem(s, n, "..", 2) != NULL)
            return syntax_error(err, t, s, "malformed dotted name '%.*s'", (int)n, s);
        for (size_t i = 0; i < n; i++)
            op->len += s[i] == '.';
    }
    if (grow(set, (void **)&t->pool, &t->pool_cap, t->pool_len + n + 1, 1) < 0)
        return oom(err);
    char *dst = t->pool + t->pool_len;
    memcpy(dst, s, n);
    dst[n] = '\0';
    if (dotted) {
        for (size_t i = 0; i < n; i++)
            if (dst[i] == '.')
                dst[i] = '\0';
    }
    t->pool_len += n + 1;
    return 0;
}

/* A section waiting for its closing tag. */
struct open_section {
    size_t op;        /* index of its op */
    const char *name; /* as written, to match the closing tag */
    size_t len;
};

static int parse(struct tmpl_set *set, struct tmpl *t, size_t len, struct err *err)
{
    struct open_section open[TMPL_MAX_NESTING];
    size_t nopen = 0;
    const char *p = t->src, *end = t->src + len;
    struct op *op;
    struct html_scan hs = {false, 0, 0, 0};

    while (p < end) {
        const char *tag = find_pair(p, end, '{');
        const char *text_end = tag != NULL ? tag : end;
        if (text_end > p) {
            if ((op = add_op(set, t, OP_TEXT, err)) == NULL)
                return -1;
            op->text = p;
            op->len = (size_t)(text_end - p);
            tmpl_html_scan(&hs, p, text_end);
        }
        if (tag == NULL)
            break;

        const char *q = tag + 2, *close;
        char sigil = 0;
        if (q < end && *q == '{') {
            /* Triple mustache: the name ends at the first "}}}". */
            q++;
            close = find_pair(q, end, '}');
            while (close != NULL && (end - close < 3 || close[2] != '}'))
                close = find_pair(close + 1, end, '}');
            if (close == NULL)
                return syntax_error(err, t, tag, "unclosed '{{{' tag");
            sigil = '&';
            p = close + 3;
        } else {
            if ((close = find_pair(q, end, '}')) == NULL)
                return syntax_error(err, t, tag, "unclosed tag");
            p = close + 2;
            while (q < close && is_space(*q))
                q++;
            if (q < close && strchr("#^/>&!=", *q) != NULL)
                sigil = *q++;
        }
        while (q < close && is_space(*q))
            q++;
        const char *name_end = close;
        while (name_end > q && is_space(name_end[-1]))
            name_end--;
        size_t nlen = (size_t)(name_end - q);

        switch (sigil) {
        case '!':
            break;
        case '=':
            return syntax_error(err, t, tag, "set-delimiter tags are not supported");
        case 0:
        case '&':
            if ((op = add_op(set, t, sigil ? OP_RAW : OP_ESCAPED, err)) == NULL ||
                add_name(set, t, op, q, nlen, true, err) < 0)
                return -1;
            op->in_text = tmpl_html_in_text(&hs);
            break;
        case '>':
            if ((op = add_op(set, t, OP_PARTIAL, err)) == NULL ||
                add_name(set, t, op, q, nlen, false, err) < 0)
                return -1;
            op->text = tag;
            break;
        case '#':
        case '^':
            if (nopen == TMPL_MAX_NESTING)
                return syntax_error(err, t, tag, "sections nested deeper than %d",
                                    TMPL_MAX_NESTING);
            if ((op = add_op(set, t, sigil == '#' ? OP_SECTION : OP_INVERTED, err)) == NULL ||
                add_name(set, t, op, q, nlen, true, err) < 0)
                return -1;
            open[nopen].op = t->nops - 1;
            open[nopen].name = q;
            open[nopen].len = nlen;
            nopen++;
            break;
        case '/': {
            if (nlen == 0)
                return syntax_error(err, t, tag, "empty name in tag");
            if (nopen == 0)
                return syntax_error(err, t, tag, "'{{/%.*s}}' closes no open section", (int)nlen,
                                    q);
            const struct open_section *o = &open[nopen - 1];
            if (o->len != nlen || memcmp(o->name, q, nlen) != 0)
                return syntax_error(err, t, tag,
                                    "'{{/%.*s}}' does not match '%.*s' opened on line %u",
                                    (int)nlen, q, (int)o->len, o->name, line_of(t->src, o->name));
            t->ops[o->op].end = t->nops;
            nopen--;
            break;
        }
        default:
            assert(!"unhandled sigil");
        }
    }
    if (nopen > 0)
        return syntax_error(err, t, open[nopen - 1].name, "unclosed section '%.*s'",
                            (int)open[nopen - 1].len, open[nopen - 1].name);
    return 0;
}

/* Parse `src` into a new template called `name`. NULL with `err` on failure. */
static struct tmpl *compile(struct tmpl_set *set, const char *name, const char *src, size_t len,
                            struct err *err)
{
    struct tmpl *t = NULL;
    size_t nlen = strlen(name);

    if (len > TMPL_MAX_SOURCE) {
        err_set(err, 500, "tmpl.too_large", "template '%s' is larger than %d bytes", name,
                TMPL_MAX_SOURCE);
        goto fail;
    }
    if ((t = tmpl_realloc(set, NULL, sizeof(*t))) == NULL)
        goto fail_oom;
    memset(t, 0, sizeof(*t));
    t->src = src;
    if ((t->name = tmpl_realloc(set, NULL, nlen + 1)) == NULL)
        goto fail_oom;
    memcpy(t->name, name, nlen + 1);
    if (parse(set, t, len, err) < 0)
        goto fail;
    return t;

fail_oom:
    oom(err);
fail:
    tmpl_free(t);
    return NULL;
}

/* ---- the set ------------------------------------------------------------------------- */

static size_t bucket_of(const char *name)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)name; *p != '\0'; p++)
        h = (h ^ *p) * 16777619u;
    return h % TMPL_BUCKETS;
}

/* The caller holds the lock, or the set is frozen. */
static struct tmpl *set_find(const struct tmpl_set *set, const char *name)
{
    struct tmpl *t = set->buckets[bucket_of(name)];
    while (t != NULL && strcmp(t->name, name) != 0)
        t = t->next;
    return t;
}

static bool is_frozen(struct tmpl_set *set)
{
    /* Acquire pairs with the release in tmpl_set_freeze: every insert made before the
     * freeze is visible to a thread that sees the flag set. */
    return atomic_load_explicit(&set->frozen, memory_order_acquire);
}

static void set_lock(struct tmpl_set *set)
{
    int rc = pthread_mutex_lock(&set->lock);
    assert(rc == 0); /* only fails on a destroyed or corrupt mutex */
    (void)rc;
}

static void set_unlock(struct tmpl_set *set)
{
    int rc = pthread_mutex_unlock(&set->lock);
    assert(rc == 0);
    (void)rc;
}

/* Load and compile template `name`. `from` and `at` name the template and tag that asked
 * for it, for the error message (NULL for a template asked for by the caller). */
static struct tmpl *load(struct tmpl_set *set, const char *name, const struct tmpl *from,
                         const char *at, struct err *err)
{
    size_t len = 0;
    const char *src = set->loader(set->loader_ctx, name, &len);
    if (src == NULL) {
        if (from != NULL)
            err_set(err, 500, "tmpl.not_found", "template '%s' line %u: partial '%s' not found",
                    from->name, line_of(from->src, at), name);
        else
            err_set(err, 500, "tmpl.not_found", "template '%s' not found", name);
        return NULL;
    }
    return compile(set, name, src, len, err);
}

/* Point every partial op of `t` at its template: from the set, from `pend`, or loaded and
 * appended to `pend`. With `pend` NULL (frozen set) nothing is loaded. The caller holds
 * the lock unless the set is frozen. */
static int link_partials(struct tmpl_set *set, struct tmpl *t, struct pending *pend,
                         struct err *err)
{
    for (size_t i = 0; i < t->nops; i++) {
        struct op *op = &t->ops[i];
        if (op->kind != OP_PARTIAL)
            continue;
        const char *name = t->pool + op->name;
        struct tmpl *p = set_find(set, name);
        for (struct tmpl *q = pend != NULL ? pend->head : NULL; p == NULL && q != NULL; q = q->next)
            if (strcmp(q->name, name) == 0)
                p = q;
        if (p == NULL && pend == NULL)
            return err_set(err, 500, "tmpl.not_found",
                           "template '%s' line %u: partial '%s' was not compiled before the "
                           "freeze",
                           t->name, line_of(t->src, op->text), name);
        if (p == NULL) {
            if ((p = load(set, name, t, op->text, err)) == NULL)
                return -1;
            *pend->tail = p;
            pend->tail = &p->next;
        }
        op->partial = p;
    }
    return 0;
}

/* Link every template on `pend` (which grows while we walk it), then publish them all. On
 * failure the pending templates are freed and the set is unchanged. Caller holds the lock. */
static int link_and_publish(struct tmpl_set *set, struct pending *pend, struct err *err)
{
    for (struct tmpl *t = pend->head; t != NULL; t = t->next)
        if (link_partials(set, t, pend, err) < 0)
            goto fail;
    for (struct tmpl *t = pend->head, *next; t != NULL; t = next) {
        next = t->next;
        size_t b = bucket_of(t->name);
        t->next = set->buckets[b];
        set->buckets[b] = t;
    }
    return 0;

fail:
    tmpl_free_list(pend->head);
    return -1;
}

/* Find template `name`, compiling it (and its partials) if needed. Caller holds the lock. */
static struct tmpl *find_or_compile(struct tmpl_set *set, const char *name, struct err *err)
{
    struct tmpl *t = set_find(set, name);
    if (t != NULL)
        return t;
    if ((t = load(set, name, NULL, NULL, err)) == NULL)
        return NULL;
    struct pending pend = {t, &t->next};
    if (link_and_publish(set, &pend, err) < 0)
        return NULL;
    return t;
}

struct tmpl_set *tmpl_set_new(tmpl_loader loader, void *ctx)
{
    assert(loader != NULL);
    struct tmpl_set *set = calloc(1, sizeof(*set));
    if (set == NULL)
        return NULL;
    set->loader = loader;
    set->loader_ctx = ctx;
    atomic_init(&set->frozen, false);
    if (pthread_mutex_init(&set->lock, NULL) != 0) {
        free(set);
        return NULL;
    }
    return set;
}

void tmpl_set_free(struct tmpl_set *set)
{
    if (set == NULL)
        return;
    for (size_t i = 0; i < TMPL_BUCKETS; i++)
        tmpl_free_list(set->buckets[i]);
    pthread_mutex_destroy(&set->lock);
    free(set);
}

void tmpl_set_alloc_hook(struct tmpl_set *set, tmpl_realloc_fn fn, void *ctx)
{
    set->alloc = fn;
    set->alloc_ctx = ctx;
}

int tmpl_compile(struct tmpl_set *set, const char *name, struct err *err)
{
    assert(set != NULL && name != NULL);
    if (is_frozen(set)) {
        if (set_find(set, name) != NULL)
            return 0;
        return err_set(err, 500, "tmpl.not_found", "template '%s' not compiled before the freeze",
                       name);
    }
    set_lock(set);
    int rc = find_or_compile(set, name, err) != NULL ? 0 : -1;
    set_unlock(set);
    return rc;
}

void tmpl_set_freeze(struct tmpl_set *set)
{
    set_lock(set);
    atomic_store_explicit(&set->frozen, true, memory_order_release);
    set_unlock(set);
}

/* ---- rendering ----------------------------------------------------------------------- */

/* A value a section pushed on the context stack; frames live on the C stack. */
struct frame {
    json_t *value;
    const struct frame *below; /* NULL: below are the caller's contexts */
};

struct render {
    json_t *const *ctxs;
    size_t nctxs;
    struct buf *out;
    struct err *err;
    size_t steps; /* work done so far, against TMPL_MAX_STEPS */
    tmpl_mark_fn mark;
    void *mark_ctx;
};

/* One step down a path: a member of an object, or, when `seg` is a decimal index
 * ("items.0", as mustache.js and the Mustache spec's dotted names allow), an element of
 * an array. Anything else is NULL. Indexes are plain digits without a sign or leading
 * zero, so "01" and "-1" find nothing rather than something surprising. */
static json_t *child(json_t *v, const char *seg)
{
    if (json_is_object(v))
        return json_object_get(v, seg);
    if (!json_is_array(v) || seg[0] < '0' || seg[0] > '9' || (seg[0] == '0' && seg[1] != '\0'))
        return NULL;
    size_t k = 0;
    for (const char *c = seg; *c != '\0'; c++) {
        if (*c < '0' || *c > '9' || k > (SIZE_MAX - 9) / 10)
            return NULL;
        k = k * 10 + (size_t)(*c - '0');
    }
    return json_array_get(v, k); /* NULL past the end */
}

/* Resolve the name of `op`: the first segment walks the stack from the top, the others
 * descend from what it found without falling back (Mustache: "a.b" never finds another
 * context's "b"); a later segment may index an array ("certs.0"). No segments means
 * "{{.}}", the top of the stack. */
static json_t *lookup(const struct render *r, const struct frame *top, const struct tmpl *t,
                      const struct op *op)
{
    json_t *v = NULL;

    if (op->len == 0) /* the pool may be empty (NULL) then: do not touch it */
        return top != NULL ? top->value : r->nctxs > 0 ? r->ctxs[r->nctxs - 1] : NULL;
    const char *path = t->pool + op->name;
    for (const struct frame *f = top; f != NULL && v == NULL; f = f->below)
        v = json_object_get(f->value, path); /* NULL for anything but an object */
    for (size_t i = r->nctxs; v == NULL && i-- > 0;)
        v = json_object_get(r->ctxs[i], path);
    for (size_t s = 1; s < op->len && v != NULL; s++) {
        path += strlen(path) + 1;
        v = child(v, path);
    }
    return v;
}

static bool is_truthy(const json_t *v)
{
    if (v == NULL)
        return false;
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return true;
    case JSON_ARRAY:
        return json_array_size(v) > 0;
    case JSON_STRING:
        return json_string_length(v) > 0;
    case JSON_INTEGER:
        return json_integer_value(v) != 0;
    case JSON_REAL:
        return json_real_value(v) != 0.0;
    case JSON_TRUE:
        return true;
    case JSON_FALSE:
    case JSON_NULL:
        return false;
    }
    return false;
}

/* HTML-escaped size of `s`, matching buf_append_html; only used to tell a full buffer
 * from a failed allocation after an append failed. */
static size_t escaped_len(const char *s, size_t n)
{
    size_t len = n;
    for (size_t i = 0; i < n; i++) {
        switch (s[i]) {
        case '&':
            len += 4;
            break;
        case '<':
        case '>':
            len += 3;
            break;
        case '"':
        case '\'':
        case '`':
            len += 5;
            break;
        default:
            break;
        }
    }
    return len;
}

/* Append `n` bytes of `s`, escaped or not. buf only says -1, so on failure work out why:
 * the output would pass its max, or realloc failed. */
static int emit(struct render *r, const char *s, size_t n, bool escape)
{
    struct buf *b = r->out;
    size_t before = b->len;
    int rc = escape ? buf_append_html(b, s, n) : buf_append(b, s, n);
    if (rc == 0)
        return 0;
    size_t need = escape ? escaped_len(s, n) : n;
    if (before > b->max || need > b->max - before)
        return err_set(r->err, 500, "tmpl.too_large", "template output exceeds %zu bytes", b->max);
    return err_set(r->err, 500, "tmpl.oom", "out of memory rendering a template");
}

/* A string an escaped tag prints: asked about (r->mark), and wrapped in <span lang> when it
 * is in another language and stands in element content. */
/* Does the output end with the opening tag of an element already marked `lang` (as in
 * `<span lang="zh">{{name}}`, or `<td lang="{{name_lang}}">` rendered to zh)? Then the
 * value needs no span of its own. */
/* Does the output end with the opening tag of an element already marked `lang` (as in
 * `<span lang="zh">{{name}}`, `<td lang="{{name_lang}}">` rendered to zh, or the layout's
 * `<a ... lang="zh-CN" ...>`)? Then the value needs no span of its own. Only the last tag
 * is looked at, and only when the value is its first content. */
static bool marked_already(const struct buf *out, const char *lang)
{
    if (out->len == 0 || out->data[out->len - 1] != '>')
        return false;
    size_t from = out->len > 1024 ? out->len - 1024 : 0, lt = out->len;
    while (lt > from && out->data[lt - 1] != '<')
        lt--;
    if (lt == from || out->data[lt] == '/')
        return false;
    char want[32], region[32];
    snprintf(want, sizeof(want), " lang=\"%s\"", lang);
    snprintf(region, sizeof(region), " lang=\"%s-CN\"", lang);
    const char *tag = out->data + lt;
    size_t n = out->len - lt;
    return memmem(tag, n, want, strlen(want)) != NULL ||
           (strcmp(lang, "zh") == 0 && memmem(tag, n, region, strlen(region)) != NULL);
}

static int emit_string(struct render *r, const json_t *v, bool escape, bool in_text)
{
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    const char *lang = escape && n > 0 && r->mark != NULL ? r->mark(r->mark_ctx, v) : NULL;
    if (lang == NULL || !in_text || marked_already(r->out, lang))
        return emit(r, s, n, escape);
    if (emit(r, "<span lang=\"", 12, false) < 0 || emit(r, lang, strlen(lang), true) < 0 ||
        emit(r, "\">", 2, false) < 0 || emit(r, s, n, true) < 0)
        return -1;
    return emit(r, "</span>", 7, false);
}

static int emit_value(struct render *r, const json_t *v, bool escape, bool in_text)
{
    char num[40];
    int n;

    if (v == NULL)
        return 0;
    switch (json_typeof(v)) {
    case JSON_STRING:
        return emit_string(r, v, escape, in_text);
    case JSON_INTEGER:
        n = snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return emit(r, num, (size_t)n, false);
    case JSON_REAL:
        /* 15 significant digits: what a double holds exactly, so 0.1 shows as "0.1". */
        n = snprintf(num, sizeof(num), "%.15g", json_real_value(v));
        return emit(r, num, (size_t)n, false);
    case JSON_TRUE:
        return emit(r, "true", 4, false);
    default:
        return 0; /* false, null, arrays and objects print nothing */
    }
}

static int render_ops(struct render *r, const struct tmpl *t, size_t from, size_t to,
                      const struct frame *top, unsigned depth);

static int step(struct render *r)
{
    if (++r->steps <= TMPL_MAX_STEPS)
        return 0;
    return err_set(r->err, 500, "tmpl.too_large", "template render exceeds %zu steps",
                   TMPL_MAX_STEPS);
}

static int render_section(struct render *r, const struct tmpl *t, size_t i, const struct frame *top,
                          unsigned depth)
{
    const struct op *op = &t->ops[i];
    json_t *v = lookup(r, top, t, op);
    bool truthy = is_truthy(v);

    if (op->kind == OP_INVERTED)
        return truthy ? 0 : render_ops(r, t, i + 1, op->end, top, depth + 1);
    if (!truthy)
        return 0;
    if (!json_is_array(v)) {
        struct frame f = {v, top};
        return render_ops(r, t, i + 1, op->end, &f, depth + 1);
    }
    for (size_t k = 0; k < json_array_size(v); k++) {
        struct frame f = {json_array_get(v, k), top};
        if (step(r) < 0 || render_ops(r, t, i + 1, op->end, &f, depth + 1) < 0)
            return -1;
    }
    return 0;
}

/* Render ops [from, to) of `t`. `depth` counts the sections and partials we are inside. */
static int render_ops(struct render *r, const struct tmpl *t, size_t from, size_t to,
                      const struct frame *top, unsigned depth)
{
    if (depth > TMPL_MAX_DEPTH)
        return err_set(r->err, 500, "tmpl.depth",
                       "template '%s' nests sections and partials deeper than %d", t->name,
                       TMPL_MAX_DEPTH);
    for (size_t i = from; i < to;) {
        const struct op *op = &t->ops[i];
        int rc = step(r);
        if (rc == 0) {
            switch (op->kind) {
            case OP_TEXT:
                rc = emit(r, op->text, op->len, false);
                break;
            case OP_ESCAPED:
            case OP_RAW:
                rc = emit_value(r, lookup(r, top, t, op), op->kind == OP_ESCAPED, op->in_text);
                break;
            case OP_SECTION:
            case OP_INVERTED:
                rc = render_section(r, t, i, top, depth);
                break;
            case OP_PARTIAL:
                if (op->partial != NULL)
                    rc = render_ops(r, op->partial, 0, op->partial->nops, top, depth + 1);
                break;
            }
        }
        if (rc < 0)
            return -1;
        i = op->kind == OP_SECTION || op->kind == OP_INVERTED ? op->end : i + 1;
    }
    return 0;
}

/* Render all of `t`; on failure put `out` back as it was. */
static int render(const struct tmpl *t, json_t *const *ctxs, size_t n, tmpl_mark_fn mark,
                  void *mark_ctx, struct buf *out, struct err *err)
{
    struct render r = {ctxs, n, out, err, 0, mark, mark_ctx};
    size_t before = out->len;

    if (render_ops(&r, t, 0, t->nops, NULL, 0) < 0) {
        out->len = before;
        if (out->data != NULL)
            out->data[before] = '\0';
        return -1;
    }
    return 0;
}

int tmpl_render(struct tmpl_set *set, const char *name, json_t *const *ctxs, size_t n,
                struct buf *out, struct err *err)
{
    return tmpl_render_marked(set, name, ctxs, n, NULL, NULL, out, err);
}

int tmpl_render_marked(struct tmpl_set *set, const char *name, json_t *const *ctxs, size_t n,
                       tmpl_mark_fn mark, void *mark_ctx, struct buf *out, struct err *err)
{
    assert(set != NULL && name != NULL && out != NULL && (ctxs != NULL || n == 0));
    const struct tmpl *t;

    if (is_frozen(set)) {
        if ((t = set_find(set, name)) == NULL)
            return err_set(err, 500, "tmpl.not_found", "template '%s' not found", name);
    } else {
        /* The lock covers only the lookup and a lazy compile: a published template never
         * changes, so rendering it needs none. */
        set_lock(set);
        t = find_or_compile(set, name, err);
        set_unlock(set);
        if (t == NULL)
            return -1;
    }
    return render(t, ctxs, n, mark, mark_ctx, out, err);
}

int tmpl_render_string(struct tmpl_set *set, const char *src, size_t len, json_t *const *ctxs,
                       size_t n, struct buf *out, struct err *err)
{
    assert((src != NULL || len == 0) && out != NULL && (ctxs != NULL || n == 0));
    struct tmpl *t;
    int rc = -1;

    if ((t = compile(set, "<string>", src != NULL ? src : "", len, err)) == NULL)
        goto out;
    if (set != NULL && is_frozen(set)) {
        if (link_partials(set, t, NULL, err) < 0)
            goto out;
    } else if (set != NULL) {
        /* Partials compiled on the way join the set; `t` itself is never published. */
        struct pending pend = {NULL, &pend.head};
        set_lock(set);
        rc = link_partials(set, t, &pend, err);
        if (rc == 0)
            rc = link_and_publish(set, &pend, err);
        else
            tmpl_free_list(pend.head);
        set_unlock(set);
        if (rc < 0)
            goto out;
    }
    rc = render(t, ctxs, n, NULL, NULL, out, err);
out:
    tmpl_free(t);
    return rc;
}
