/* base_test.c - ids, CSV reader, logfmt escaping, NFC normalisation, errors and exit codes. */
#include "test.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/arena.h"
#include "base/csv.h"
#include "base/err.h"
#include "base/id.h"
#include "base/log.h"
#include "base/utf8.h"

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
    const char *text = "\xef\xbb\xbf"
                       "a,b,c\r\n1,\"x,y\",\"he said \"\"hi\"\"\"\n\n"
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

/* One normaliser for the platform (base/utf8.h): NFC composes a decomposed Latin letter,
 * decomposes the Tibetan vowel signs that UAX #15 excludes from composition (U+0F73 → U+0F71
 * U+0F72), keeps tsheg and shad, and refuses invalid UTF-8. */
static void test_nfc(void **state)
{
    char *s = utf8_nfc("Rene\xcc\x81", 6);
    assert_string_equal(s, "Ren\xc3\xa9");
    free(s);
    s = utf8_nfc("\xe0\xbd\xa8\xe0\xbd\xb3", 6);
    assert_string_equal(s, "\xe0\xbd\xa8\xe0\xbd\xb1\xe0\xbd\xb2");
    free(s);
    assert_null(utf8_nfc("a\xff", 2));
    struct arena *a = arena_new(0);
    const char *bo = "བཀྲ་ཤིས་བདེ་ལེགས།";
    assert_ptr_equal(utf8_nfc_in(a, bo), bo); /* already NFC: no copy */
    assert_ptr_equal(utf8_nfc_in(a, "ascii"), "ascii");
    assert_string_equal(utf8_nfc_in(a, "Rene\xcc\x81"), "Ren\xc3\xa9");
    assert_null(utf8_nfc_in(a, "\xc0\x80"));
    arena_free(a);
}

/* err.status is an HTTP status everywhere; the exit status is mapped at the CLI edge. */
static void test_err_exit_codes(void **state)
{
    (void)state;
    struct err e;
    err_clear(&e);
    assert_int_equal(err_usage(&e, "app.usage", "usage: onewindow %s", "x"), -1);
    assert_int_equal(e.status, 400);
    assert_string_equal(e.code, "app.usage");
    assert_string_equal(e.msg, "usage: onewindow x");
    assert_int_equal(err_exit_code(&e), 2);
    /* A domain's 400 (a bad document) is a runtime failure of the command, not usage. */
    err_set(&e, 400, "catalog.invalid", "bad item");
    assert_int_equal(e.status, 400);
    assert_int_equal(err_exit_code(&e), 1);
    err_set(&e, 500, "backup.write", "cannot write");
    assert_int_equal(err_exit_code(&e), 1);
    err_usage(&e, "app.usage", "again");
    err_clear(&e);
    assert_int_equal(e.status, 0);
    assert_int_equal(err_exit_code(&e), 1);
    assert_int_equal(err_usage(NULL, "a.b", "no error to fill"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ids_unique_ordered),
        cmocka_unit_test(test_csv),
        cmocka_unit_test(test_nfc),
        cmocka_unit_test(test_logfmt_escaping),
        cmocka_unit_test(test_err_exit_codes),
    };
    return cmocka_run_group_tests_name("base", tests, NULL, NULL);
}
