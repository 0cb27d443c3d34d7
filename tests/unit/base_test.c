/* base_test.c - ids, CSV reader, logfmt escaping. */
#include "test.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/csv.h"
#include "base/id.h"
#include "base/log.h"

#define IDS_PER_THREAD 20000

static void *make_ids(void *p)
{
    int64_t *out = p;
    for (int i = 0; i < IDS_PER_THREAD; i++)
        out[i] = id_next();
    return NULL;
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static void test_ids_unique_ordered(void **state)
{
    id_init(7);
    int64_t prev = id_next();
    assert_true(prev > 0);
    assert_int_equal((prev >> 12) & 1023, 7);
    int64_t now = time_now_ms();
    assert_true(id_time_ms(prev) <= now && id_time_ms(prev) > now - 1000);
    for (int i = 0; i < 10000; i++) {
        int64_t id = id_next();
        assert_true(id > prev);
        prev = id;
    }
    /* Four threads at once: all distinct. */
    static int64_t ids[4][IDS_PER_THREAD];
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, make_ids, ids[i]);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    qsort(ids, 4 * IDS_PER_THREAD, sizeof(int64_t), cmp64);
    for (int i = 1; i < 4 * IDS_PER_THREAD; i++)
        assert_true(((int64_t *)ids)[i] != ((int64_t *)ids)[i - 1]);
}

static void test_csv(void **state)
{
    const char *text = "\xef\xbb\xbf" "a,b,c\r\n1,\"x,y\",\"he said \"\"hi\"\"\"\n\n"
                       "\"multi\nline\",,藏\nlast,row,noeol";
    struct csv c;
    const char *f[CSV_MAX_FIELDS];
    csv_init(&c, text, strlen(text));
    assert_int_equal(csv_next(&c, f), 3);
    assert_string_equal(f[0], "a");
    assert_int_equal(csv_next(&c, f), 3);
    assert_string_equal(f[1], "x,y");
    assert_string_equal(f[2], "he said \"hi\"");
    assert_int_equal(csv_next(&c, f), 3);
    assert_string_equal(f[0], "multi\nline");
    assert_string_equal(f[1], "");
    assert_string_equal(f[2], "藏");
    assert_int_equal(csv_next(&c, f), 3);
    assert_string_equal(f[2], "noeol");
    assert_int_equal(csv_next(&c, f), 0);

    const char *bad[] = {"\"open", "a\"b", "\"x\"y", "\xff,1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        csv_init(&c, bad[i], strlen(bad[i]));
        assert_int_equal(csv_next(&c, f), -1);
    }
}

static void test_logfmt_escaping(void **state)
{
    struct buf b;
    buf_init(&b, 1024);
    log_append_kv(&b, "plain", "abc");
    log_append_kv(&b, "spaced", "a b");
    log_append_kv(&b, "inject", "x\nts=forged level=error \"q\"\\");
    log_append_kv(&b, "empty", "");
    assert_string_equal(b.data, " plain=abc spaced=\"a b\" inject=\"x\\x0ats=forged level=error "
                                "\\\"q\\\"\\\\\" empty=\"\"");
    assert_null(strchr(b.data, '\n'));
    buf_free(&b);
    assert_int_equal(log_level_parse("warn"), LOG_WARN);
    assert_int_equal(log_level_parse("loud"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ids_unique_ordered),
        cmocka_unit_test(test_csv),
        cmocka_unit_test(test_logfmt_escaping),
    };
    return cmocka_run_group_tests_name("base", tests, NULL, NULL);
}
