/*
 * buf.h - a growable byte buffer (string builder) with a hard maximum size.
 *
 * Used to assemble response bodies, SQL-free text and log lines. The buffer is always
 * NUL-terminated after a successful append, so `data` can be used as a C string. Appends
 * past `max` fail with -1 and leave the buffer unchanged, so callers can turn an
 * over-long output into a clean error instead of an unbounded allocation.
 */
#ifndef ONEWINDOW_BASE_BUF_H
#define ONEWINDOW_BASE_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
    char *data; /* heap memory owned by the buffer (NULL until the first append) */
    size_t len;
    size_t cap;
    size_t max; /* appends that would make len exceed this fail */
};

void buf_init(struct buf *b, size_t max);
/* Release the memory; the buffer can be reused after buf_init. */
void buf_free(struct buf *b);
/* Hand the memory to the caller (free() it); the buffer is left empty. NULL if empty. */
char *buf_take(struct buf *b, size_t *len);

int buf_append(struct buf *b, const void *p, size_t n);
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Append `s` (`n` bytes) escaped for HTML text and attribute values: & < > " ' and the
 * backtick become entities. */
int buf_append_html(struct buf *b, const char *s, size_t n);

#endif
