/*
 * fault.c - allocation-failure injection for tests (see fault.h).
 */
#include "base/fault.h"

#include <stdatomic.h>
#include <stdlib.h>

static atomic_long countdown = -1; /* < 0: disarmed */
static atomic_long counted;
static atomic_int fired;

void fault_arm(long n)
{
    atomic_store(&counted, 0);
    atomic_store(&fired, 0);
    atomic_store(&countdown, n);
}

int fault_hit(void)
{
    if (atomic_load_explicit(&countdown, memory_order_relaxed) < 0)
        return 0;
    atomic_fetch_add(&counted, 1);
    long left = atomic_fetch_sub(&countdown, 1);
    if (left == 0) {
        atomic_store(&fired, 1);
        atomic_store(&countdown, -1);
        return 1;
    }
    if (left < 0)
        atomic_store(&countdown, -1);
    return 0;
}

long fault_count(void)
{
    return atomic_load(&counted);
}

int fault_fired(void)
{
    return atomic_load(&fired);
}

void *fault_json_malloc(size_t n)
{
    return fault_hit() ? NULL : malloc(n);
}
