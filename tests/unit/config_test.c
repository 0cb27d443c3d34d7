/* config_test.c - defaults, INI file, environment and flags, precedence, bad values. */
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/config.h"

static void clear_env(void)
{
    unsetenv("ONEWINDOW_CONFIG");
    unsetenv("ONEWINDOW_THREADS");
    unsetenv("ONEWINDOW_LISTEN");
    unsetenv("ONEWINDOW_DATA");
    unsetenv("ONEWINDOW_DB");
}

static int load(struct config *cfg, struct err *err, int argc, char **argv)
{
    int rest;
    err_clear(err);
    return config_load(cfg, argc, argv, &rest, err);
}

static char *write_ini(const char *text)
{
    static char path[64];
    strcpy(path, "/tmp/ow-config-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static void test_defaults(void **state)
{
    clear_env();
    struct config cfg;
    struct err err;
    assert_int_equal(load(&cfg, &err, 0, NULL), 0);
    assert_string_equal(cfg.host, "127.0.0.1");
    assert_int_equal(cfg.port, 8080);
    assert_string_equal(cfg.data, "var");
    assert_string_equal(cfg.db, "sqlite:var/onewindow.db");
    assert_int_equal(cfg.max_header_bytes, 16 * 1024);
    assert_int_equal(cfg.max_body_bytes, 1024 * 1024);
    assert_int_equal(cfg.log_requests, 1);
    assert_string_equal(cfg.sync, "group");
}

static void test_precedence(void **state)
{
    clear_env();
    char *ini = write_ini("; comment\n[server]\nthreads = 3\nlisten = 0.0.0.0:9000\n"
                          "[storage]\ndata = /srv/ow\n[limits]\nmax_body = 2M\n");
    setenv("ONEWINDOW_CONFIG", ini, 1);
    setenv("ONEWINDOW_THREADS", "5", 1);
    struct config cfg;
    struct err err;
    char *argv[] = {"--threads=7", "--demo", "--data", "/d", "extra"};
    int rest;
    err_clear(&err);
    assert_int_equal(config_load(&cfg, 5, argv, &rest, &err), 0);
    assert_int_equal(rest, 4);        /* "extra" is not an option */
    assert_int_equal(cfg.threads, 7); /* flag beats environment beats file */
    assert_int_equal(cfg.port, 9000); /* from the file */
    assert_string_equal(cfg.host, "0.0.0.0");
    assert_string_equal(cfg.data, "/d");
    assert_string_equal(cfg.db, "sqlite:/d/onewindow.db");
    assert_int_equal(cfg.max_body_bytes, 2 * 1024 * 1024);
    assert_int_equal(cfg.demo, 1);
    unlink(ini);
    clear_env();
}

static void test_bad_values(void **state)
{
    clear_env();
    struct config cfg;
    struct err err;
    char *a1[] = {"--threads", "abc"};
    assert_int_equal(load(&cfg, &err, 2, a1), -1);
    /* A usage error: HTTP's 400 in err.status, the command exits with 2. */
    assert_int_equal(err.status, 400);
    assert_int_equal(err_exit_code(&err), 2);
    assert_non_null(strstr(err.msg, "threads"));
    assert_non_null(strstr(err.msg, "abc"));
    char *a2[] = {"--listen", "127.0.0.1:99999"};
    assert_int_equal(load(&cfg, &err, 2, a2), -1);
    assert_non_null(strstr(err.msg, "99999"));
    char *a3[] = {"--bogus"};
    assert_int_equal(load(&cfg, &err, 1, a3), -1);
    assert_string_equal(err.code, "config.unknown_flag");
    char *a4[] = {"--data"};
    assert_int_equal(load(&cfg, &err, 1, a4), -1);
    assert_string_equal(err.code, "config.missing_value");
    char *a5[] = {"--log-level", "loud"};
    assert_int_equal(load(&cfg, &err, 2, a5), -1);
    assert_non_null(strstr(err.msg, "debug"));
    char *a6[] = {"--max-body", "10G"};
    assert_int_equal(load(&cfg, &err, 2, a6), -1);
    char *a7[] = {"--log-requests", "maybe"};
    assert_int_equal(load(&cfg, &err, 2, a7), -1);
    setenv("ONEWINDOW_THREADS", "-1", 1);
    assert_int_equal(load(&cfg, &err, 0, NULL), -1);
    assert_non_null(strstr(err.msg, "ONEWINDOW_THREADS"));
    clear_env();
}

static void test_bad_files(void **state)
{
    clear_env();
    struct config cfg;
    struct err err;
    char *ini = write_ini("[server]\n\nthreads = lots\n");
    char *a1[] = {"--config", ini};
    assert_int_equal(load(&cfg, &err, 2, a1), -1);
    assert_non_null(strstr(err.msg, "line 3"));
    assert_non_null(strstr(err.msg, ini));
    unlink(ini);
    ini = write_ini("[server]\ncolour = red\n");
    char *a2[] = {"--config", ini};
    assert_int_equal(load(&cfg, &err, 2, a2), -1);
    assert_string_equal(err.code, "config.unknown_key");
    unlink(ini);
    char *a3[] = {"--config", "/nonexistent/ow.ini"};
    assert_int_equal(load(&cfg, &err, 2, a3), -1);
    assert_string_equal(err.code, "config.unreadable");
    ini = write_ini("this is not ini\n");
    char *a4[] = {"--config", ini};
    assert_int_equal(load(&cfg, &err, 2, a4), -1);
    unlink(ini);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_bad_values),
        cmocka_unit_test(test_bad_files),
    };
    return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
