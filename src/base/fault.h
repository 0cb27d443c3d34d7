/*
 * fault.h - allocation-failure injection for tests (the practice of curl's memdebug and
 * SQLite's fault simulator): once armed with n, the n-th allocation through the platform's
 * own allocators fails (counting from 0), and every later one succeeds again. The
 * allocators that consult it: arena blocks (arena.c), growing buffers (buf.c), and jansson
 * when a test installs fault_json_malloc with json_set_alloc_funcs. Disarmed (the default
 * and in production) it costs one relaxed atomic load per allocation.
 *
 * tests/unit/fault_test.c arms it for the 0th, 1st, 2nd ... allocation of whole module
 * operations until one needs no more, so every path that handles a NULL runs once, under
 * ASan/LSan in `make unit-asan`. Allocations inside SQLite, OpenSSL or libmicrohttpd do not
 * pass through here.
 */
#ifndef ONEWINDOW_BASE_FAULT_H
#define ONEWINDOW_BASE_FAULT_H

#include <stddef.h>

/* Fail the n-th allocation from now (n >= 0); fault_arm(-1) disarms. */
void fault_arm(long n);
/* 1 when the allocation about to be made must fail (and counts it). */
int fault_hit(void);
/* How many allocations were counted since the last fault_arm (armed or not). */
long fault_count(void);
/* 1 once the armed allocation has failed. */
int fault_fired(void);

/* malloc for json_set_alloc_funcs that consults the countdown. */
void *fault_json_malloc(size_t n);

#endif
