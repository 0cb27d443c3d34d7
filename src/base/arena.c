/*
 * arena.c - region allocator; see arena.h for the contract, docs/internals/arena.md for
 * the design.
 *
 * Invariant: `cur` is the block allocations come from; every block is on the singly
 * linked list that starts at `cur`; `first` (on that list) is the block arena_reset keeps. `used`
 * counts the bytes handed out (with alignment padding), which is what the limit applies to.
 */
#include "arena.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fault.h"

#define ARENA_BLOCK 8192
#define ARENA_ALIGN 16

struct block {
    struct block *prev;
    size_t size; /* usable bytes after the header */
    size_t off;  /* next free offset */
    _Alignas(ARENA_ALIGN) unsigned char data[];
};

struct arena {
    struct block *cur;
    struct block *first; /* kept by arena_reset */
    size_t used;
    size_t limit;
};

static struct block *block_new(size_t size)
{
    struct block *b = fault_hit() ? NULL : malloc(sizeof(*b) + size);
    if (b == NULL)
        return NULL;
    b->prev = NULL;
    b->size = size;
    b->off = 0;
    return b;
}

struct arena *arena_new(size_t limit)
{
    struct arena *a = fault_hit() ? NULL : malloc(sizeof(*a));
    if (a == NULL)
        return NULL;
    a->cur = block_new(ARENA_BLOCK);
    if (a->cur == NULL) {
        free(a);
        return NULL;
    }
    a->first = a->cur;
    a->used = 0;
    a->limit = limit;
    return a;
}

void arena_free(struct arena *a)
{
    if (a == NULL)
        return;
    struct block *b = a->cur;
    while (b != NULL) {
        struct block *prev = b->prev;
        free(b);
        b = prev;
    }
    free(a);
}

void arena_reset(struct arena *a)
{
    struct block *b = a->cur;
    while (b != NULL) {
        struct block *prev = b->prev;
        if (b != a->first)
            free(b);
        b = prev;
    }
    a->first->prev = NULL;
    a->first->off = 0;
    a->cur = a->first;
    a->used = 0;
}

void *arena_alloc(struct arena *a, size_t n)
{
    if (n == 0)
        n = 1;
    if (n > SIZE_MAX / 2)
        return NULL;
    size_t need = (n + (ARENA_ALIGN - 1)) & ~(size_t)(ARENA_ALIGN - 1);
    if (a->limit != 0 && (need > a->limit || a->used > a->limit - need))
        return NULL;

    struct block *b = a->cur;
    if (b->size - b->off < need) {
        /* A request larger than a quarter block gets its own block, so one big
         * allocation does not waste the rest of a fresh standard block. */
        size_t size = need > ARENA_BLOCK / 4 ? need : ARENA_BLOCK;
        struct block *nb = block_new(size);
        if (nb == NULL)
            return NULL;
        if (size == ARENA_BLOCK || b->size - b->off < ARENA_BLOCK / 4) {
            nb->prev = b;
            a->cur = nb;
        } else {
            /* Keep allocating from the current block: slot the big one behind it. */
            nb->prev = b->prev;
            b->prev = nb;
        }
        b = nb;
    }
    void *p = b->data + b->off;
    b->off += need;
    a->used += need;
    return p;
}

void *arena_zalloc(struct arena *a, size_t n)
{
    void *p = arena_alloc(a, n);
    if (p != NULL)
        memset(p, 0, n);
    return p;
}

void *arena_grow(struct arena *a, void *array, size_t n, size_t *cap, size_t elem)
{
    if (n < *cap)
        return array;
    size_t ncap = *cap ? *cap * 2 : 8;
    if (elem == 0 || ncap < *cap || ncap > SIZE_MAX / elem)
        return NULL;
    void *p = arena_alloc(a, ncap * elem);
    if (p == NULL)
        return NULL;
    if (n > 0)
        memcpy(p, array, n * elem);
    *cap = ncap;
    return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);
    if (p == NULL)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
    return arena_strndup(a, s, strlen(s));
}

char *arena_vprintf(struct arena *a, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return NULL;
    char *p = arena_alloc(a, (size_t)n + 1);
    if (p == NULL)
        return NULL;
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    return p;
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = arena_vprintf(a, fmt, ap);
    va_end(ap);
    return p;
}

size_t arena_used(const struct arena *a)
{
    return a->used;
}
