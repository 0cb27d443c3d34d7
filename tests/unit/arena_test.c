/* arena_test.c - the request arena: alignment, growth, big blocks, limits, reset. */
#include "test.h"

#include <string.h>

#include "base/arena.h"

static void test_alignment_and_strings(void **state)
{
    struct arena *a = arena_new(0);
    assert_non_null(a);
    for (int i = 1; i < 100; i++) {
        void *p = arena_alloc(a, (size_t)i);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % 16, 0);
        memset(p, 0xab, (size_t)i);
    }
    char *s = arena_strdup(a, "བོད་ལྗོངས།");
    assert_string_equal(s, "བོད་ལྗོངས།");
    assert_string_equal(arena_strndup(a, "abcdef", 3), "abc");
    assert_string_equal(arena_printf(a, "%s-%d", "x", 42), "x-42");
    char *z = arena_zalloc(a, 64);
    for (int i = 0; i < 64; i++)
        assert_int_equal(z[i], 0);
    arena_free(a);
}

static void test_many_blocks_and_big_allocations(void **state)
{
    struct arena *a = arena_new(0);
    /* Interleave small and large allocations; every byte must stay writable and
     * distinct allocations must not overlap. */
    unsigned char *ptrs[200];
    size_t sizes[200];
    for (int i = 0; i < 200; i++) {
        sizes[i] = (i % 7 == 0) ? 50000 + (size_t)i : 24 + (size_t)i;
        ptrs[i] = arena_alloc(a, sizes[i]);
        assert_non_null(ptrs[i]);
        memset(ptrs[i], i & 0xff, sizes[i]);
    }
    for (int i = 0; i < 200; i++)
        for (size_t k = 0; k < sizes[i]; k += 97)
            assert_int_equal(ptrs[i][k], i & 0xff);
    arena_free(a);
}

static void test_limit(void **state)
{
    struct arena *a = arena_new(1000);
    assert_non_null(arena_alloc(a, 900));
    assert_null(arena_alloc(a, 200)); /* 912 + 208 > 1000 */
    assert_non_null(arena_alloc(a, 64));
    assert_null(arena_alloc(a, SIZE_MAX));
    assert_null(arena_alloc(a, SIZE_MAX / 2 + 1));
    arena_free(a);
}

static void test_reset_reuses(void **state)
{
    struct arena *a = arena_new(0);
    void *first = arena_alloc(a, 16);
    for (int i = 0; i < 50; i++)
        assert_non_null(arena_alloc(a, 100000)); /* own blocks */
    assert_true(arena_used(a) > 5000000);
    arena_reset(a);
    assert_int_equal(arena_used(a), 0);
    assert_ptr_equal(arena_alloc(a, 16), first);
    arena_reset(a);
    arena_reset(a);
    arena_free(a);
    arena_free(NULL);
}

static void test_grow(void **state)
{
    (void)state;
    struct arena *a = arena_new(0);
    assert_non_null(a);
    int *v = NULL;
    size_t n = 0, cap = 0;
    for (int i = 0; i < 100; i++) {
        int *g = arena_grow(a, v, n, &cap, sizeof(*v));
        assert_non_null(g);
        if (n < 8)
            assert_int_equal(cap, 8);
        v = g;
        v[n++] = i * 3;
    }
    assert_int_equal(cap, 128);
    for (int i = 0; i < 100; i++)
        assert_int_equal(v[i], i * 3);
    /* Room left: the same array comes back. */
    assert_ptr_equal(arena_grow(a, v, n, &cap, sizeof(*v)), v);
    /* Overflowing sizes are refused, not wrapped. */
    size_t huge = SIZE_MAX / 2;
    assert_null(arena_grow(a, v, huge, &huge, 16));
    arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alignment_and_strings),
        cmocka_unit_test(test_many_blocks_and_big_allocations),
        cmocka_unit_test(test_limit),
        cmocka_unit_test(test_reset_reuses),
        cmocka_unit_test(test_grow),
    };
    return cmocka_run_group_tests_name("arena", tests, NULL, NULL);
}
