/*
 * arena.h - region allocator for everything that lives as long as one request.
 *
 * A request handler allocates freely from its arena and never frees; the web layer
 * frees the whole arena at once when the response has been sent (as nginx pools do).
 * Memory is taken from the system in blocks; a large allocation gets a block of its own.
 * An arena has a byte limit: an allocation that would pass it fails with NULL, so a
 * hostile input can cost at most the limit, never an unbounded amount.
 *
 * Not thread-safe: an arena belongs to one request, and a request runs on one thread.
 * Design notes: docs/internals/arena.md.
 */
#ifndef ONEWINDOW_BASE_ARENA_H
#define ONEWINDOW_BASE_ARENA_H

#include <stdarg.h>
#include <stddef.h>

struct arena;

/* A new arena that may hand out at most `limit` bytes (0: no limit). NULL if out of
 * memory. The caller owns it and releases it with arena_free(). */
struct arena *arena_new(size_t limit);

/* Release every block and the arena itself. NULL is allowed. */
void arena_free(struct arena *a);

/* Forget every allocation but keep the first block for reuse (pointers handed out
 * before become invalid). */
void arena_reset(struct arena *a);

/* `n` bytes aligned for any type, valid until arena_reset/arena_free. NULL when out of
 * memory or past the limit. arena_zalloc zeroes them. */
void *arena_alloc(struct arena *a, size_t n);
void *arena_zalloc(struct arena *a, size_t n);
/* Room for one more element in a growing array of `elem`-byte elements holding `n` now:
 * returns `array` while n < *cap, else a copy with twice the capacity (8 at first) and
 * updates *cap. The old copy stays in the arena until it is reset. NULL when out of memory
 * or on overflow. */
void *arena_grow(struct arena *a, void *array, size_t n, size_t *cap, size_t elem);

/* Copies of a string (NUL-terminated), of its first `n` bytes, or a formatted string,
 * living in the arena. NULL on failure. */
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *arena_vprintf(struct arena *a, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* Bytes handed out so far (for metrics and tests). */
size_t arena_used(const struct arena *a);

#endif
