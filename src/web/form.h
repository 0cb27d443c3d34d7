/*
 * form.h - parsing of application/x-www-form-urlencoded text: query strings and form
 * bodies (WHATWG URL standard, "application/x-www-form-urlencoded parsing"), and of
 * percent-encoded URL paths.
 *
 * Stricter than browsers on purpose: a malformed escape (%G1, a lone %), an encoded NUL or
 * bytes that are not UTF-8 reject the whole input, so the caller answers 400 rather than
 * guessing. Everything is allocated from the caller's arena.
 */
#ifndef ONEWINDOW_WEB_FORM_H
#define ONEWINDOW_WEB_FORM_H

#include <stddef.h>

struct arena;

struct web_kv {
    const char *name;  /* decoded, NUL-terminated */
    const char *value; /* decoded, NUL-terminated */
};

#define WEB_FORM_MAX_FIELDS 256

/* Parse `n` bytes of `s` into *out (an arena array of *count pairs, in input order;
 * duplicates kept). Returns 0, or -1 if malformed or more than max_fields pairs. */
int web_form_parse(struct arena *a, const char *s, size_t n, size_t max_fields, struct web_kv **out,
                   size_t *count);

/* The first value for `name`, or NULL. */
const char *web_kv_get(const struct web_kv *kv, size_t count, const char *name);

/* ---- multipart/form-data (RFC 7578) -------------------------------------------------- */

struct web_file {
    const char *name;         /* the form field's name */
    const char *filename;     /* as sent, without any directory part; "" if none */
    const char *content_type; /* as declared by the client (not trusted) */
    const char *data;         /* points into the body (not copied) */
    size_t len;
};

#define WEB_MULTIPART_MAX_FILES 32

/* The boundary of a "multipart/form-data; boundary=..." Content-Type (quoted or not,
 * 1..70 characters), in the arena; NULL if absent or malformed. */
const char *web_multipart_boundary(struct arena *a, const char *content_type);
/* Parse a multipart/form-data body: text parts become *fields (decoded, UTF-8, no NUL),
 * parts with a filename become *files (data pointing into `body`, which must outlive
 * them). -1 if malformed (no closing delimiter, a part without a name, headers too long,
 * a text field that is not UTF-8, more than max_fields fields or WEB_MULTIPART_MAX_FILES
 * files). */
int web_multipart_parse(struct arena *a, const char *body, size_t n, const char *boundary,
                        size_t max_fields, struct web_kv **fields, size_t *nfields,
                        struct web_file **files, size_t *nfiles);

/* Percent-decode a URL path (no '+' rule). NULL if malformed, NUL-bearing or not UTF-8. */
char *web_path_decode(struct arena *a, const char *s, size_t n);

/* Append `s` percent-encoded for a query component (unreserved characters kept). */
struct buf;
int web_url_encode(struct buf *b, const char *s);

#endif
