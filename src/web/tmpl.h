/*
 * tmpl.h - logic-less, Mustache-style HTML templates.
 *
 * A handler builds the whole view model as a jansson value; a template only places it
 * (STYLE.md, "Views"). Templates are compiled once into a flat list of operations and
 * rendered many times with no re-parsing. A set holds the compiled templates of the
 * application, addressed by name ("divisions/show", "layout", "partials/langswitch").
 *
 * Lifecycle: create a set at start, tmpl_compile() every template, tmpl_set_freeze(),
 * then render from any number of threads. Before the freeze, rendering compiles missing
 * templates lazily under a lock. After it, nothing in the set changes.
 *
 * Supported: {{name}} (HTML-escaped), {{{name}}} and {{& name}} (raw), dotted names,
 * {{.}}, sections {{#name}}..{{/name}}, inverted sections {{^name}}..{{/name}},
 * comments {{! ..}} and partials {{> name}}. Set-delimiter tags are a syntax error.
 * Design, invariants and limits: docs/internals/tmpl.md.
 */
#ifndef ONEWINDOW_WEB_TMPL_H
#define ONEWINDOW_WEB_TMPL_H

#include <stddef.h>

#include <jansson.h>

#include "base/buf.h"
#include "base/err.h"

/* Sections open inside one another in one template (compile time, "tmpl.syntax"). */
#define TMPL_MAX_NESTING 64
/* Sections plus partials open at once while rendering ("tmpl.depth"); bounds the C stack
 * a render uses, whatever the templates do (a partial that includes itself). */
#define TMPL_MAX_DEPTH 128
/* Largest template source accepted ("tmpl.too_large"). */
#define TMPL_MAX_SOURCE (1024 * 1024)
/* Operations and section iterations one render may run ("tmpl.too_large"): nested
 * sections over arrays multiply, and may do so without writing a byte, so the output
 * limit alone does not bound the time a render takes. */
#define TMPL_MAX_STEPS ((size_t)1 << 22)

struct tmpl_set; /* opaque: a set of compiled templates addressable by name */

/* Return the source of template `name` and its length in *len, or NULL if there is no
 * such template. The memory must outlive the set: compiled templates point into it. */
typedef const char *(*tmpl_loader)(void *ctx, const char *name, size_t *len);

/* An empty set that loads sources through `loader` (called with `ctx`). NULL if out of
 * memory. The caller owns the set and releases it with tmpl_set_free(). */
struct tmpl_set *tmpl_set_new(tmpl_loader loader, void *ctx);

/* Release the set and every compiled template. NULL is allowed. No render may be running. */
void tmpl_set_free(struct tmpl_set *set);

/* Compile template `name` and every partial it pulls in, unless already compiled. 0, or -1
 * with `err`: "tmpl.syntax" (message names template, line and problem), "tmpl.not_found"
 * (the loader knows no such template or partial, or the set is frozen), "tmpl.too_large",
 * "tmpl.oom". On failure nothing is added to the set. */
int tmpl_compile(struct tmpl_set *set, const char *name, struct err *err);

/* From now on the set is read-only: rendering a template that was not compiled before is
 * "tmpl.not_found", and any number of threads may render at once without locking. */
void tmpl_set_freeze(struct tmpl_set *set);

/*
 * Render template `name` and append the output to `out`. `ctxs` is a stack of contexts:
 * ctxs[0] at the bottom (globals such as the i18n catalog under "t"), ctxs[n - 1] on top
 * (the view model); a name is looked up from the top down. Entries may be NULL. The
 * values are only read (no reference counts change), so they may be shared by threads.
 *
 * 0, or -1 with `err`: "tmpl.not_found", "tmpl.too_large" (out's max reached, or more
 * than TMPL_MAX_STEPS of work), "tmpl.depth" (nesting past TMPL_MAX_DEPTH), "tmpl.oom",
 * or a compile error when the set is not frozen yet. On failure `out` is truncated back
 * to its length before the call (its capacity may have grown).
 */
int tmpl_render(struct tmpl_set *set, const char *name, json_t *const *ctxs, size_t n,
                struct buf *out, struct err *err);

/*
 * Text in another language than the page's. `mark` is asked about every non-empty string an
 * escaped tag ({{name}}) prints and returns a language code ("zh"; static, or living as long
 * as the render) for text that is not in the page's language, else NULL. Where the tag stands
 * in element content the text is wrapped in <span lang="CODE">...</span>; inside a tag (an
 * attribute) or in an element whose content is text only (title, textarea, option, script,
 * style) it is printed as is, since markup cannot go there; `mark` is called all the same
 * (it may count). Where a tag stands is decided when the template compiles, by scanning its
 * literal text (docs/internals/tmpl.md, "Marking"). Otherwise as tmpl_render(), which is this
 * with no `mark`.
 */
typedef const char *(*tmpl_mark_fn)(void *ctx, const json_t *v);
int tmpl_render_marked(struct tmpl_set *set, const char *name, json_t *const *ctxs, size_t n,
                       tmpl_mark_fn mark, void *mark_ctx, struct buf *out, struct err *err);

/* Compile the source `src` (`len` bytes) and render it as tmpl_render() does. Its partials
 * come from `set` (compiled on the way unless the set is frozen); with a NULL set they
 * render as nothing. `src` need only live for the call; nothing of it is kept. */
int tmpl_render_string(struct tmpl_set *set, const char *src, size_t len, json_t *const *ctxs,
                       size_t n, struct buf *out, struct err *err);

/* Fault injection for tests: route the set's allocations through `fn`, which must behave
 * as realloc() (memory it returns is released with free()) and may return NULL to make
 * an allocation fail. Call before anything is compiled; NULL restores realloc(). */
typedef void *(*tmpl_realloc_fn)(void *ctx, void *p, size_t n);
void tmpl_set_alloc_hook(struct tmpl_set *set, tmpl_realloc_fn fn, void *ctx);

#endif
