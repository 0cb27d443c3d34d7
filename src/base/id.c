/*
 * id.c - time-ordered 64-bit ids; see id.h for the layout.
 *
 * The generator state (last millisecond and sequence) is one 64-bit word updated with
 * compare-and-swap, so threads never block each other. If the 4096 ids of a millisecond
 * are used up, or the wall clock steps back, ids borrow from the next milliseconds:
 * monotonicity wins over wall-clock accuracy.
 */
#include "id.h"

#include <time.h>

static unsigned id_node;
static uint64_t id_state; /* (ms << 12) | seq of the last id handed out */

void id_init(unsigned node)
{
    id_node = node & ID_NODE_MAX;
}

int64_t time_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t time_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t id_next(void)
{
    uint64_t now = (uint64_t)(time_now_ms() - ID_EPOCH_MS) << 12;
    uint64_t old = __atomic_load_n(&id_state, __ATOMIC_RELAXED);
    uint64_t next;
    do {
        next = now > old ? now : old + 1;
    } while (
        !__atomic_compare_exchange_n(&id_state, &old, next, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
    uint64_t ms = next >> 12, seq = next & 0xfff;
    return (int64_t)(((ms & ((1ULL << 41) - 1)) << 22) | ((uint64_t)id_node << 12) | seq);
}

int64_t id_time_ms(int64_t id)
{
    return ((uint64_t)id >> 22) + ID_EPOCH_MS;
}
