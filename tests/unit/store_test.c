/*
 * store_test.c - tests of the database interface (src/store/store.h).
 *
 * The same test functions run against SQLite (a file in a temporary directory) and, when
 * ONEWINDOW_TEST_PG_URL names a server (scripts/pg-test.sh start prints one), against
 * PostgreSQL, each group parameterised by its `struct fixture`. The PostgreSQL database
 * is shared with other suites, so this one works in a schema of its own
 * (t_store_<pid>, made the first entry of search_path through the URL's `options`) and
 * drops it at the end: migrations then run against an empty schema, and nothing is left.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/embed.h"
#include "store/store.h"

struct fixture {
    enum store_kind kind;
    char dir[256];       /* SQLite: the temporary directory */
    char base_url[1024]; /* PostgreSQL: the server's URL, without our schema */
    char url[1200];
    char schema[64]; /* PostgreSQL: this run's schema */
    struct store *s;
};

static const char SQL_CREATE_VALUES[] = "CREATE TABLE IF NOT EXISTS t_store_values ("
                                        " id BIGINT PRIMARY KEY, i BIGINT, t TEXT, b BYTEA)";
static const char SQL_CREATE_THREADS[] =
    "CREATE TABLE IF NOT EXISTS t_store_threads (id BIGINT PRIMARY KEY, worker BIGINT NOT NULL)";
static const char SQL_DROP[] = "DROP TABLE t_store_values; DROP TABLE t_store_threads";
static const char SQL_CLEAR_VALUES[] = "DELETE FROM t_store_values";
static const char SQL_VAL_INSERT[] = "INSERT INTO t_store_values (id, i, t, b) VALUES (?, ?, ?, ?)";
static const char SQL_VAL_SELECT[] = "SELECT i, t, b FROM t_store_values WHERE id = ?";
static const char SQL_VAL_COUNT[] = "SELECT COUNT(*) FROM t_store_values WHERE id >= ? AND id < ?";
static const char SQL_VAL_IDS[] = "SELECT id FROM t_store_values WHERE id >= ? ORDER BY id";
static const char SQL_VAL_IDS_TWIN[] = "SELECT id FROM t_store_values WHERE id >= ? ORDER BY id";
static const char SQL_VAL_IDS_IN_TX[] = "SELECT id FROM t_store_values WHERE id = ?";
static const char SQL_VAL_BUMP[] = "UPDATE t_store_values SET i = 7 WHERE id >= ? AND id < ?";
static const char SQL_VAL_DELETE[] = "DELETE FROM t_store_values WHERE id >= ? AND id < ?";
static const char SQL_LITERAL[] = "SELECT '?' AS \"q?\", -- is this a ? no\n"
                                  " ? AS v, /* nor ? this */ 'it''s ?' AS w";
static const char SQL_THREAD_INSERT[] = "INSERT INTO t_store_threads (id, worker) VALUES (?, ?)";
static const char SQL_THREAD_COUNT[] = "SELECT COUNT(*) FROM t_store_threads";
static const char SQL_BACKEND_PID[] = "SELECT pg_backend_pid()";
/* The timeout form waits until the backend is gone, so the next command surely fails. */
static const char SQL_TERMINATE[] = "SELECT pg_terminate_backend(CAST(? AS INTEGER), 5000)";

/* ---- helpers ----------------------------------------------------------------------- */

static struct store_conn *conn_of(struct fixture *fx)
{
    struct err err;
    struct store_conn *c = store_conn(fx->s, &err);
    assert_non_null(c);
    return c;
}

static void exec_ok(struct store_conn *c, const char *sql)
{
    struct err err;
    err_clear(&err);
    if (store_exec(c, sql, &err) < 0)
        fail_msg("%s: %s %s", sql, err.code, err.msg);
}

static void insert_value(struct store_conn *c, int64_t id, int64_t i, const char *t)
{
    struct err err;
    struct store_stmt *st = store_prepare(c, SQL_VAL_INSERT, &err);
    assert_non_null(st);
    assert_int_equal(store_bind_int64(st, 1, id), 0);
    assert_int_equal(store_bind_int64(st, 2, i), 0);
    assert_int_equal(store_bind_text(st, 3, t, -1), 0);
    if (store_step(st, &err) != STORE_DONE)
        fail_msg("insert %lld: %s %s", (long long)id, err.code, err.msg);
    assert_int_equal(store_changes(st), 1);
    store_reset(st);
}

static int64_t count_ids(struct store_conn *c, int64_t lo, int64_t hi)
{
    struct err err;
    struct store_stmt *st = store_prepare(c, SQL_VAL_COUNT, &err);
    assert_non_null(st);
    store_bind_int64(st, 1, lo);
    store_bind_int64(st, 2, hi);
    assert_int_equal(store_step(st, &err), STORE_ROW);
    int64_t n = store_col_int64(st, 0);
    assert_int_equal(store_step(st, &err), STORE_DONE);
    store_reset(st);
    return n;
}

/* PostgreSQL: `url` is `base` with search_path set to `schema` for every connection. */
static void pg_schema_url(char *url, size_t size, const char *base, const char *schema)
{
    snprintf(url, size, "%s%coptions=-c%%20search_path%%3D%s", base,
             strchr(base, '?') != NULL ? '&' : '?', schema);
}

/* Run `sql` on a store of its own for `url` (schema creation and removal). */
static int run_once(const char *url, const char *sql)
{
    struct err err;
    struct store *s;
    int rc = -1;
    if (store_open(url, NULL, &s, &err) < 0) {
        fprintf(stderr, "store_test: %s\n", err.msg);
        return -1;
    }
    struct store_conn *c = store_conn(s, &err);
    if (c != NULL && store_exec(c, sql, &err) == 0)
        rc = 0;
    else
        fprintf(stderr, "store_test: %s: %s\n", sql, err.msg);
    store_close(s);
    return rc;
}

/* A second, empty database beside the fixture's, for tests that need a fresh schema. */
static void scratch_open(struct fixture *fx, struct store **s, char *url, size_t size)
{
    struct err err;
    if (fx->kind == STORE_SQLITE) {
        snprintf(url, size, "sqlite:%s/scratch.db", fx->dir);
    } else {
        char sql[128];
        snprintf(sql, sizeof(sql), "CREATE SCHEMA %s_x", fx->schema);
        assert_int_equal(run_once(fx->base_url, sql), 0);
        char schema[80];
        snprintf(schema, sizeof(schema), "%s_x", fx->schema);
        pg_schema_url(url, size, fx->base_url, schema);
    }
    if (store_open(url, NULL, s, &err) < 0)
        fail_msg("%s %s", err.code, err.msg);
}

static void scratch_close(struct fixture *fx, struct store *s)
{
    store_close(s);
    if (fx->kind == STORE_SQLITE) {
        const char *suffix[] = {"", "-wal", "-shm"};
        for (size_t i = 0; i < 3; i++) {
            char path[400];
            snprintf(path, sizeof(path), "%s/scratch.db%s", fx->dir, suffix[i]);
            unlink(path);
        }
    } else {
        char sql[128];
        snprintf(sql, sizeof(sql), "DROP SCHEMA %s_x CASCADE", fx->schema);
        assert_int_equal(run_once(fx->base_url, sql), 0);
    }
}

/* ---- groups ------------------------------------------------------------------------ */

static int fixture_tables(struct fixture *fx)
{
    struct err err;
    struct store_conn *c = store_conn(fx->s, &err);
    if (c == NULL || store_exec(c, SQL_CREATE_VALUES, &err) < 0 ||
        store_exec(c, SQL_CREATE_THREADS, &err) < 0) {
        fprintf(stderr, "store_test: %s\n", err.msg);
        return -1;
    }
    return 0;
}

static int sqlite_setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    struct err err;
    const char *tmp = getenv("TMPDIR");
    if (fx == NULL)
        return -1;
    fx->kind = STORE_SQLITE;
    snprintf(fx->dir, sizeof(fx->dir), "%s/store_test.XXXXXX", tmp ? tmp : "/tmp");
    if (mkdtemp(fx->dir) == NULL) {
        free(fx);
        return -1;
    }
    snprintf(fx->url, sizeof(fx->url), "sqlite:%s/store.db", fx->dir);
    if (store_open(fx->url, NULL, &fx->s, &err) < 0) {
        fprintf(stderr, "store_test: %s\n", err.msg);
        rmdir(fx->dir);
        free(fx);
        return -1;
    }
    *state = fx;
    return fixture_tables(fx);
}

/* Drop the tables even where the whole database goes next: the drop must work too. */
static int drop_tables(struct fixture *fx)
{
    struct err err;
    struct store_conn *c = store_conn(fx->s, &err);
    if (c == NULL || store_exec(c, SQL_DROP, &err) < 0) {
        fprintf(stderr, "store_test: %s\n", err.msg);
        return -1;
    }
    return 0;
}

static int sqlite_teardown(void **state)
{
    struct fixture *fx = *state;
    const char *names[] = {"store.db", "store.db-wal", "store.db-shm"};
    int rc = drop_tables(fx);
    store_close(fx->s);
    for (size_t i = 0; i < 3; i++) {
        char path[400];
        snprintf(path, sizeof(path), "%s/%s", fx->dir, names[i]);
        unlink(path);
    }
    if (rmdir(fx->dir) < 0)
        rc = -1;
    free(fx);
    return rc;
}

static int pg_setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    struct err err;
    char sql[128];
    if (fx == NULL)
        return -1;
    fx->kind = STORE_POSTGRES;
    snprintf(fx->base_url, sizeof(fx->base_url), "%s", getenv("ONEWINDOW_TEST_PG_URL"));
    snprintf(fx->schema, sizeof(fx->schema), "t_store_%ld", (long)getpid());
    snprintf(sql, sizeof(sql), "CREATE SCHEMA IF NOT EXISTS %s", fx->schema);
    if (run_once(fx->base_url, sql) < 0)
        goto fail;
    pg_schema_url(fx->url, sizeof(fx->url), fx->base_url, fx->schema);
    if (store_open(fx->url, NULL, &fx->s, &err) < 0) {
        fprintf(stderr, "store_test: %s\n", err.msg);
        goto fail;
    }
    *state = fx;
    return fixture_tables(fx);
fail:
    free(fx);
    return -1;
}

static int pg_teardown(void **state)
{
    struct fixture *fx = *state;
    char sql[128];
    int rc = drop_tables(fx);
    store_close(fx->s);
    snprintf(sql, sizeof(sql), "DROP SCHEMA %s CASCADE", fx->schema);
    if (run_once(fx->base_url, sql) < 0)
        rc = -1;
    free(fx);
    return rc;
}

/* The tables live as long as the group; each test starts from an empty one. */
static int clear_values(void **state)
{
    struct fixture *fx = *state;
    struct err err;
    struct store_conn *c = store_conn(fx->s, &err);
    return c != NULL ? store_exec(c, SQL_CLEAR_VALUES, &err) : -1;
}

/* ---- tests without a database ------------------------------------------------------ */

static void test_bad_url(void **state)
{
    const char *urls[] = {"mysql://u@h/db", "sqlite:", "", "postgresql:/db", "SQLITE:x.db"};
    (void)state;
    for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
        struct store *s = NULL;
        struct err err;
        err_clear(&err);
        assert_int_equal(store_open(urls[i], NULL, &s, &err), -1);
        assert_null(s);
        assert_string_equal(err.code, "store.bad_url");
        assert_int_equal(err.status, 400);
    }
}

static void test_pg_unreachable(void **state)
{
    /* Refused at once (port 1), a socket directory that does not exist, and a URL libpq
     * cannot parse; the password must appear in none of the messages. */
    const struct {
        const char *url, *code, *shown;
    } cases[] = {
        {"postgresql://alice:s3cretpw@127.0.0.1:1/onewindow?connect_timeout=3", "store.unavailable",
         "postgresql://alice:***@127.0.0.1:1/onewindow"},
        {"postgresql:///onewindow?host=/nonexistent/store_test&password=s3cretpw",
         "store.unavailable", "password=***"},
        {"postgres://alice:s3cretpw@localhost/onewindow?no_such_option=1", "store.bad_url",
         "postgres://alice:***@localhost"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct store *s = NULL;
        struct err err;
        err_clear(&err);
        assert_int_equal(store_open(cases[i].url, NULL, &s, &err), -1);
        assert_null(s);
        assert_string_equal(err.code, cases[i].code);
        assert_null(strstr(err.msg, "s3cretpw"));
        if (strstr(err.msg, cases[i].shown) == NULL)
            fail_msg("\"%s\" not in \"%s\"", cases[i].shown, err.msg);
    }
}

/* Backend sections of migrations: lines of the other backend become empty lines; files
 * without directives come out unchanged; an unknown backend name is refused. */
static void test_migration_filter(void **state)
{
    (void)state;
    struct err err;
    char *out = NULL;
    const char *plain = "CREATE TABLE t (a BIGINT);\n-- a comment\nSELECT 1;";
    assert_int_equal(store_migration_filter(plain, STORE_SQLITE, &out, &err), 0);
    assert_string_equal(out, plain);
    free(out);
    const char *mixed = "A;\n-- @backend sqlite\nS1;\nS2;\n  -- @backend postgresql  \nP1;\n"
                        "-- @backend all\nB;\n-- @backendx sqlite\nC;";
    assert_int_equal(store_migration_filter(mixed, STORE_SQLITE, &out, &err), 0);
    assert_string_equal(out, "A;\n-- @backend sqlite\nS1;\nS2;\n\n\n-- @backend all\nB;\n"
                             "-- @backendx sqlite\nC;");
    free(out);
    assert_int_equal(store_migration_filter(mixed, STORE_POSTGRES, &out, &err), 0);
    assert_string_equal(out, "A;\n\n\n\n  -- @backend postgresql  \nP1;\n-- @backend all\nB;\n"
                             "-- @backendx sqlite\nC;");
    free(out);
    out = NULL;
    assert_int_equal(store_migration_filter("-- @backend oracle\nX;", STORE_SQLITE, &out, &err),
                     -1);
    assert_string_equal(err.code, "store.bad_migration");
    assert_null(out);
    /* A section that is never closed runs to the end of the file. */
    assert_int_equal(
        store_migration_filter("-- @backend postgresql\nP;\n", STORE_SQLITE, &out, &err), 0);
    assert_string_equal(out, "\n\n");
    free(out);
}

/* ---- tests on each backend --------------------------------------------------------- */

static void test_migrate(void **state)
{
    struct fixture *fx = *state;
    struct err err;
    int applied = -1;
    int64_t version = -1;

    assert_true(store_latest_migration() >= 1);
    if (store_migrate(fx->s, &applied, &err) < 0)
        fail_msg("%s %s", err.code, err.msg);
    /* A fresh database applies every embedded migration (numbers may have gaps while
     * modules are developed on branches). */
    int files = 0;
    const char *prefix = "src/store/migrations/";
    for (size_t i = embed_first(prefix);
         i < embed_count && strncmp(embed_files[i].path, prefix, strlen(prefix)) == 0; i++)
        files++;
    assert_int_equal(applied, files);
    assert_int_equal(store_schema_version(conn_of(fx), &version, &err), 0);
    assert_int_equal(version, store_latest_migration());
    assert_int_equal(store_migrate(fx->s, &applied, &err), 0);
    assert_int_equal(applied, 0);
    assert_int_equal(store_schema_version(conn_of(fx), &version, &err), 0);
    assert_int_equal(version, store_latest_migration());
}

/* A failing migration is rolled back whole and named in the error. */
static void test_migrate_failure(void **state)
{
    struct fixture *fx = *state;
    struct store *s;
    struct err err;
    char url[1200];
    int applied = -1;
    int64_t version = -1;

    scratch_open(fx, &s, url, sizeof(url));
    struct store_conn *c = store_conn(s, &err);
    assert_non_null(c);
    exec_ok(c, "CREATE TABLE platform_meta (x BIGINT)"); /* 0001 creates it too */
    err_clear(&err);
    assert_int_equal(store_migrate(s, &applied, &err), -1);
    assert_string_equal(err.code, "store.error");
    assert_int_equal(err.status, 500);
    if (strncmp(err.msg, "migration 0001_foundation.sql failed: ", 38) != 0)
        fail_msg("unexpected message: %s", err.msg);
    assert_int_equal(store_schema_version(c, &version, &err), 0);
    assert_int_equal(version, 0);
    scratch_close(fx, s);
}

/* Migration 0028 (SQLite: the rowid as the key of the tables a submission writes) on a
 * database that holds rows: every row keeps its values, the children still refer to their
 * parents (a child without a parent is refused), and on SQLite no table keeps a separate
 * key B-tree. Migrations up to 0027 are applied by hand, as an older build would have. */
static void scalar_is(struct store_conn *c, const char *sql, int64_t want)
{
    struct err err;
    int64_t got = -1;
    if (store_scalar_int64(c, sql, &got, &err) < 0)
        fail_msg("%s: %s %s", sql, err.code, err.msg);
    if (got != want)
        fail_msg("%s: %lld, want %lld", sql, (long long)got, (long long)want);
}

static void test_migrate_rowid_keys(void **state)
{
    struct fixture *fx = *state;
    struct store *s;
    struct err err;
    char url[1200];
    int applied = -1;
    scratch_open(fx, &s, url, sizeof(url));
    struct store_conn *c = store_conn(s, &err);
    assert_non_null(c);
    exec_ok(c, "CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL,"
               " applied_at BIGINT NOT NULL)");
    const char *prefix = "src/store/migrations/";
    for (size_t i = embed_first(prefix);
         i < embed_count && strncmp(embed_files[i].path, prefix, strlen(prefix)) == 0; i++) {
        const char *name = embed_files[i].path + strlen(prefix);
        int v = atoi(name);
        if (v >= 28)
            continue;
        char *sql = NULL, rec[200];
        assert_int_equal(
            store_migration_filter((const char *)embed_files[i].data, fx->kind, &sql, &err), 0);
        exec_ok(c, sql);
        free(sql);
        snprintf(rec, sizeof(rec), "INSERT INTO schema_migrations VALUES (%d, '%s', 0)", v, name);
        exec_ok(c, rec);
    }
    exec_ok(c, "INSERT INTO divisions (code, parent_code, level, name_zh) VALUES "
               "(540000000000, NULL, 1, '西藏自治区')");
    exec_ok(c, "INSERT INTO departments (id, code, name_zh, division_code, created_at) VALUES "
               "(7, 'd', '部门', 540000000000, 0)");
    exec_ok(c, "INSERT INTO applications (id, number, item_code, item_version, item_name, "
               "applicant_account, filed_by, applicant_name, department_id, division_code, state, "
               "lang, form_enc, limit_days, created_at, updated_at) VALUES "
               "(388313723296452608, 'N1', 'X', 1, '事项', 5, 5, '名', 7, 540000000000, "
               "'submitted', 'bo', 'sealed', 20, 1, 2)");
    exec_ok(c, "INSERT INTO application_files (id, application_id, material_key, filename, "
               "content_type, size, sm3, created_at) VALUES (11, 388313723296452608, 'k', 'f.pdf',"
               " 'application/pdf', 3, 'h', 1)");
    exec_ok(c, "INSERT INTO application_events (id, application_id, at, actor, action, "
               "from_state, to_state) VALUES (12, 388313723296452608, 1, 5, 'submitted', 'draft',"
               " 'submitted')");
    exec_ok(c, "INSERT INTO notify_messages (id, account_id, lang, kind, params, created_at) "
               "VALUES (13, 5, 'bo', 'k.k', '{}', 1)");
    exec_ok(c, "INSERT INTO notify_outbox (id, message_id, channel, status, next_attempt_at, "
               "created_at, carrier_ref) VALUES (14, 13, 'sms', 'queued', 1, 1, 'ref')");
    exec_ok(c, "INSERT INTO audit_events (id, at, action, outcome, slot, seq, prev_hash, hash) "
               "VALUES (15, 1, 'a', 'ok', 3, 1, '00', 'ff')");
    if (store_migrate(s, &applied, &err) < 0)
        fail_msg("%s %s", err.code, err.msg);
    assert_true(applied >= 1);
    scalar_is(c,
              "SELECT COUNT(*) FROM applications WHERE id = 388313723296452608 AND number = "
              "'N1' AND lang = 'bo' AND limit_days = 20 AND updated_at = 2",
              1);
    scalar_is(c, "SELECT COUNT(*) FROM application_files WHERE id = 11 AND size = 3", 1);
    scalar_is(c, "SELECT COUNT(*) FROM application_events WHERE id = 12", 1);
    scalar_is(c,
              "SELECT COUNT(*) FROM notify_outbox o JOIN notify_messages m ON m.id = "
              "o.message_id WHERE o.id = 14 AND o.carrier_ref = 'ref' AND m.kind = 'k.k'",
              1);
    scalar_is(c, "SELECT COUNT(*) FROM audit_events WHERE id = 15 AND slot = 3 AND hash = 'ff'", 1);
    /* The foreign keys still hold. */
    static const char *const orphans[] = {
        "INSERT INTO application_files (id, application_id, material_key, filename, "
        "content_type, size, sm3, created_at) VALUES (21, 999, 'k', 'f', 't', 1, 'h', 1)",
        "INSERT INTO application_events (id, application_id, at, actor, action, from_state, "
        "to_state) VALUES (22, 999, 1, 5, 'a', 'b', 'c')",
        "INSERT INTO notify_outbox (id, message_id, channel, status, next_attempt_at, "
        "created_at) VALUES (23, 999, 'sms', 'queued', 1, 1)"};
    for (size_t i = 0; i < sizeof(orphans) / sizeof(orphans[0]); i++) {
        err_clear(&err);
        if (store_exec(c, orphans[i], &err) == 0)
            fail_msg("an orphan was accepted: %s", orphans[i]);
    }
    if (fx->kind == STORE_SQLITE) {
        static const char *const tables[] = {"applications", "application_files", "notify_messages",
                                             "notify_outbox", "audit_events"};
        for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
            char sql[200];
            snprintf(sql, sizeof(sql),
                     "SELECT COUNT(*) FROM pragma_index_list('%s') WHERE origin = 'pk'", tables[i]);
            scalar_is(c, sql, 0);
        }
        /* The timeline: one B-tree keyed (application, id), no other index. */
        scalar_is(c,
                  "SELECT COUNT(*) FROM sqlite_master WHERE name = 'application_events' AND sql "
                  "LIKE '%WITHOUT ROWID%'",
                  1);
        scalar_is(c,
                  "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = "
                  "'application_events' AND sql IS NOT NULL",
                  0);
        scalar_is(c,
                  "SELECT COUNT(*) FROM pragma_foreign_key_list('application_events') WHERE "
                  "\"table\" = 'applications'",
                  1);
        scalar_is(c,
                  "SELECT COUNT(*) FROM pragma_foreign_key_list('application_files') WHERE "
                  "\"table\" = 'applications'",
                  1);
        scalar_is(c,
                  "SELECT COUNT(*) FROM pragma_foreign_key_list('notify_outbox') WHERE "
                  "\"table\" = 'notify_messages'",
                  1);
        scalar_is(c, "SELECT COUNT(*) FROM sqlite_master WHERE name LIKE '%_0028'", 0);
    }
    scratch_close(fx, s);
}

static void test_round_trip(void **state)
{
    struct fixture *fx = *state;
    struct store_conn *c = conn_of(fx);
    struct err err;
    struct store_stmt *st;
    static const unsigned char nuls[] = {0, 1, 0, 255, 0};
    const char *tibetan = "བོད་ཡིག་ལ་དབུ་ཅན་ཟེར།";
    const char *chinese = "西藏自治区拉萨市城关区";
    size_t big_n = 100000;
    unsigned char *big = malloc(big_n);
    const void *p;
    size_t n;

    assert_non_null(big);
    for (size_t i = 0; i < big_n; i++)
        big[i] = (unsigned char)(i * 7);

    assert_non_null(st = store_prepare(c, SQL_VAL_INSERT, &err));
    store_bind_int64(st, 1, 1);
    store_bind_int64(st, 2, INT64_MIN);
    store_bind_text(st, 3, tibetan, -1);
    store_bind_blob(st, 4, nuls, sizeof(nuls));
    assert_int_equal(store_step(st, &err), STORE_DONE);
    store_reset(st);
    assert_non_null(st = store_prepare(c, SQL_VAL_INSERT, &err));
    store_bind_int64(st, 1, 2);
    store_bind_int64(st, 2, INT64_MAX);
    store_bind_text(st, 3, chinese, -1);
    store_bind_blob(st, 4, big, big_n);
    assert_int_equal(store_step(st, &err), STORE_DONE);
    store_reset(st);
    /* Empty but not NULL. */
    assert_non_null(st = store_prepare(c, SQL_VAL_INSERT, &err));
    store_bind_int64(st, 1, 3);
    store_bind_int64(st, 2, 0);
    store_bind_text(st, 3, "", -1);
    store_bind_blob(st, 4, "", 0);
    assert_int_equal(store_step(st, &err), STORE_DONE);
    store_reset(st);
    /* NULL three ways: bind_null, a NULL text, and a parameter never bound. */
    assert_non_null(st = store_prepare(c, SQL_VAL_INSERT, &err));
    store_bind_int64(st, 1, 4);
    store_bind_null(st, 2);
    store_bind_text(st, 3, NULL, -1);
    assert_int_equal(store_step(st, &err), STORE_DONE);
    store_reset(st);
    /* A length cuts the text. */
    assert_non_null(st = store_prepare(c, SQL_VAL_INSERT, &err));
    store_bind_int64(st, 1, 5);
    store_bind_int64(st, 2, -1);
    store_bind_text(st, 3, "abcdef", 3);
    assert_int_equal(store_step(st, &err), STORE_DONE);
    store_reset(st);

    assert_non_null(st = store_prepare(c, SQL_VAL_SELECT, &err));
    store_bind_int64(st, 1, 1);
    assert_int_equal(store_step(st, &err), STORE_ROW);
    assert_int_equal(store_col_count(st), 3);
    assert_true(store_col_int64(st, 0) == INT64_MIN);
    assert_string_equal(store_col_text(st, 1), tibetan);
    p = store_col_blob(st, 2, &n);
    assert_int_equal(n, sizeof(nuls));
    assert_memory_equal(p, nuls, sizeof(nuls));
    assert_false(store_col_is_null(st, 2));
    assert_int_equal(store_step(st, &err), STORE_DONE);
    store_reset(st);

    assert_non_null(st = store_prepare(c, SQL_VAL_SELECT, &err));
    store_bind_int64(st, 1, 2);
    assert_int_equal(store_step(st, &err), STORE_ROW);
    assert_true(store_col_int64(st, 0) == INT64_MAX);
    assert_string_equal(store_col_text(st, 1), chinese);
    p = store_col_blob(st, 2, &n);
    assert_int_equal(n, big_n);
    assert_memory_equal(p, big, big_n);
    store_reset(st);

    assert_non_null(st = store_prepare(c, SQL_VAL_SELECT, &err));
    store_bind_int64(st, 1, 3);
    assert_int_equal(store_step(st, &err), STORE_ROW);
    assert_int_equal(store_col_int64(st, 0), 0);
    assert_false(store_col_is_null(st, 0));
    assert_string_equal(store_col_text(st, 1), "");
    assert_false(store_col_is_null(st, 1));
    store_col_blob(st, 2, &n); /* SQLite gives NULL for an empty blob, PostgreSQL "" */
    assert_int_equal(n, 0);
    assert_false(store_col_is_null(st, 2));
    store_reset(st);

    assert_non_null(st = store_prepare(c, SQL_VAL_SELECT, &err));
    store_bind_int64(st, 1, 4);
    assert_int_equal(store_step(st, &err), STORE_ROW);
    for (int col = 0; col < 3; col++)
        assert_true(store_col_is_null(st, col));
    assert_int_equal(store_col_int64(st, 0), 0);
    assert_null(store_col_text(st, 1));
    n = 99;
    assert_null(store_col_blob(st, 2, &n));
    assert_int_equal(n, 0);
    store_reset(st);

    assert_non_null(st = store_prepare(c, SQL_VAL_SELECT, &err));
    store_bind_int64(st, 1, 5);
    assert_int_equal(store_step(st, &err), STORE_ROW);
    assert_int_equal(store_col_int64(st, 0), -1);
    assert_string_equal(store_col_text(st, 1), "abc");
    store_reset(st);
    free(big);
}

static void test_placeholder_in_literal(void **state)
{
    struct fixture *fx = *state;
    struct err err;
    struct store_stmt *st = store_prepare(conn_of(fx), SQL_LITERAL, &err);
    if (st == NULL)
        fail_msg("%s %s", err.code, err.msg);
    assert_int_equal(store_bind_text(st, 1, "x", -1), 0);
    assert_int_equal(store_bind_text(st, 2, "y", -1), -1); /* there is only one */
    assert_int_equal(store_step(st, &err), STORE_ROW);
    assert_int_equal(store_col_count(st), 3);
    assert_string_equal(store_col_text(st, 0), "?");
    assert_string_equal(store_col_text(st, 1), "x");
    assert_string_equal(store_col_text(st, 2), "it's ?");
    assert_int_equal(store_step(st, &err), STORE_DONE);
    store_reset(st);
}

static void test_bind_rules(void **state)
{
    struct fixture *fx = *state;
    struct err err;
    struct store_stmt *st = store_prepare(conn_of(fx), SQL_VAL_COUNT, &err);
    assert_non_null(st);
    assert_int_equal(store_bind_int64(st, 0, 1), -1);
    assert_int_equal(store_bind_int64(st, 3, 1), -1);
    assert_int_equal(store_bind_int64(st, 1, 0), 0);
    assert_int_equal(store_bind_int64(st, 2, 10), 0);
    assert_int_equal(store_step(st, &err), STORE_ROW);
    /* Not between the first step and the reset, on either backend. */
    assert_int_equal(store_bind_int64(st, 1, 5), -1);
    store_reset(st);
    assert_int_equal(store_bind_int64(st, 1, 5), 0);
    store_reset(st);
}

static void test_conflict(void **state)
{
    struct fixture *fx = *state;
    struct store_conn *c = conn_of(fx);
    struct err err;
    insert_value(c, 10, 1, "first");
    struct store_stmt *st = store_prepare(c, SQL_VAL_INSERT, &err);
    assert_non_null(st);
    store_bind_int64(st, 1, 10);
    err_clear(&err);
    assert_int_equal(store_step(st, &err), -1);
    assert_string_equal(err.code, "store.conflict");
    assert_int_equal(err.status, 409);
    store_reset(st);
    /* The connection carries on. */
    insert_value(c, 11, 1, "second");
    assert_int_equal(count_ids(c, 10, 12), 2);
}

/* SQLite: every write transaction of the process runs on one writer connection (its page
 * cache stays warm). Inside a transaction the thread's calls go to it and see its writes;
 * outside, the thread's own connection sees what it committed. A statement carried across
 * the transaction's edge is refused instead of running outside it. */
static void test_writer_connection(void **state)
{
    struct fixture *fx = *state;
    struct store_conn *c = conn_of(fx);
    struct err err;
    struct store_stmt *st, *inside;
    if (fx->kind != STORE_SQLITE)
        skip();
    assert_int_equal(store_begin(c, &err), 0);
    insert_value(c, 70, 1, "in the transaction");
    assert_int_equal(count_ids(c, 70, 71), 1);
    assert_non_null(inside = store_prepare(c, SQL_VAL_IDS_IN_TX, &err));
    assert_int_equal(store_commit(c, &err), 0);
    assert_int_equal(count_ids(c, 70, 71), 1);
    /* Prepared inside, stepped after the commit: it belongs to the writer. */
    store_bind_int64(inside, 1, 70);
    err_clear(&err);
    assert_int_equal(store_step(inside, &err), -1);
    assert_non_null(strstr(err.msg, "outside the transaction"));
    store_reset(inside);
    /* Prepared outside, stepped inside: it would not see the transaction. */
    assert_non_null(st = store_prepare(c, SQL_VAL_COUNT, &err));
    assert_int_equal(store_begin(c, &err), 0);
    store_bind_int64(st, 1, 70);
    store_bind_int64(st, 2, 71);
    err_clear(&err);
    assert_int_equal(store_step(st, &err), -1);
    assert_non_null(strstr(err.msg, "outside the transaction"));
    store_reset(st);
    store_rollback(c);
    /* After the transaction the same statements work where they belong. */
    assert_non_null(st = store_prepare(c, SQL_VAL_COUNT, &err));
    store_bind_int64(st, 1, 70);
    store_bind_int64(st, 2, 71);
    assert_int_equal(store_step(st, &err), STORE_ROW);
    assert_int_equal(store_col_int64(st, 0), 1);
    store_reset(st);
}

static void test_transactions(void **state)
{
    struct fixture *fx = *state;
    struct store_conn *c = conn_of(fx);
    struct err err;
    struct store_stmt *st;

    assert_int_equal(store_in_transaction(c), 0);
    assert_int_equal(store_begin(c, &err), 0);
    assert_int_equal(store_in_transaction(c), 1);
    insert_value(c, 40, 1, "rolled back");
    /* First prepared inside the transaction: must outlive its rollback in the cache. */
    assert_non_null(st = store_prepare(c, SQL_VAL_IDS_IN_TX, &err));
    store_bind_int64(st, 1, 40);
    assert_int_equal(store_step(st, &err), STORE_ROW);
    store_reset(st);
    store_rollback(c);
    assert_int_equal(store_in_transaction(c), 0);
    assert_int_equal(count_ids(c, 40, 41), 0);
    assert_non_null(st = store_prepare(c, SQL_VAL_IDS_IN_TX, &err));
    store_bind_int64(st, 1, 40);
    if (store_step(st, &err) != STORE_DONE)
        fail_msg("%s %s", err.code, err.msg);
    store_reset(st);

    assert_int_equal(store_begin(c, &err), 0);
    insert_value(c, 41, 1, "kept");
    insert_value(c, 42, 1, "kept");
    assert_int_equal(store_in_transaction(c), 1);
    assert_int_equal(store_commit(c, &err), 0);
    assert_int_equal(store_in_transaction(c), 0);
    assert_int_equal(count_ids(c, 40, 43), 2);
}

/* After a failed statement PostgreSQL aborts the whole transaction, SQLite does not:
 * callers must roll back on any error (docs/internals/store.md), and on PostgreSQL a
 * COMMIT that would silently roll back is reported as a failure. */
static void test_commit_after_error(void **state)
{
    struct fixture *fx = *state;
    struct store_conn *c = conn_of(fx);
    struct err err;

    assert_int_equal(store_begin(c, &err), 0);
    insert_value(c, 50, 1, "first");
    struct store_stmt *st = store_prepare(c, SQL_VAL_INSERT, &err);
    assert_non_null(st);
    store_bind_int64(st, 1, 50);
    assert_int_equal(store_step(st, &err), -1);
    assert_string_equal(err.code, "store.conflict");
    store_reset(st);
    if (fx->kind == STORE_POSTGRES) {
        err_clear(&err);
        assert_int_equal(store_commit(c, &err), -1);
        assert_string_equal(err.code, "store.error");
        assert_int_equal(count_ids(c, 50, 51), 0);
    } else {
        assert_int_equal(store_commit(c, &err), 0);
        assert_int_equal(count_ids(c, 50, 51), 1);
    }
}

static void test_changes(void **state)
{
    struct fixture *fx = *state;
    struct store_conn *c = conn_of(fx);
    struct err err;
    struct store_stmt *st;

    for (int64_t id = 20; id < 25; id++)
        insert_value(c, id, id, "row"); /* checks store_changes() == 1 */
    assert_non_null(st = store_prepare(c, SQL_VAL_BUMP, &err));
    store_bind_int64(st, 1, 20);
    store_bind_int64(st, 2, 25);
    assert_int_equal(store_step(st, &err), STORE_DONE);
    assert_int_equal(store_changes(st), 5);
    store_reset(st);
    assert_non_null(st = store_prepare(c, SQL_VAL_DELETE, &err));
    store_bind_int64(st, 1, 20);
    store_bind_int64(st, 2, 22);
    assert_int_equal(store_step(st, &err), STORE_DONE);
    assert_int_equal(store_changes(st), 2);
    store_reset(st);
    assert_non_null(st = store_prepare(c, SQL_VAL_BUMP, &err));
    store_bind_int64(st, 1, 1000);
    store_bind_int64(st, 2, 2000);
    assert_int_equal(store_step(st, &err), STORE_DONE);
    assert_int_equal(store_changes(st), 0);
    store_reset(st);
}

static void test_stmt_cache(void **state)
{
    struct fixture *fx = *state;
    struct store_conn *c = conn_of(fx);
    struct err err;
    struct store_stmt *st, *again, *twin;

    for (int64_t id = 30; id < 33; id++)
        insert_value(c, id, id, "row");
    assert_non_null(st = store_prepare(c, SQL_VAL_IDS, &err));
    store_bind_int64(st, 1, 30);
    assert_int_equal(store_step(st, &err), STORE_ROW);
    assert_int_equal(store_col_int64(st, 0), 30);
    assert_int_equal(store_step(st, &err), STORE_ROW);
    assert_int_equal(store_col_int64(st, 0), 31);

    /* Preparing again hands out the same statement, reset and unbound. */
    assert_ptr_equal(again = store_prepare(c, SQL_VAL_IDS, &err), st);
    store_bind_int64(again, 1, 31);
    assert_int_equal(store_step(again, &err), STORE_ROW);
    assert_int_equal(store_col_int64(again, 0), 31);
    store_reset(again);

    /* The cache is keyed by the pointer: equal text elsewhere is another statement. */
    assert_non_null(twin = store_prepare(c, SQL_VAL_IDS_TWIN, &err));
    assert_ptr_not_equal(twin, st);
    store_reset(twin);
}

#define WORKERS 4
#define WORKER_ROWS 500
#define WORKER_BATCH 10 /* rows per transaction */

struct worker {
    struct store *s;
    int64_t n;
    pthread_barrier_t *all_connected;
    struct store_conn *conn;
    int failed;
    struct err err;
};

/* No cmocka assertions here: they are not thread-safe. Failures are reported back. */
static void *worker_run(void *arg)
{
    struct worker *w = arg;
    struct store_stmt *st;
    w->conn = store_conn(w->s, &w->err);
    /* Every worker holds its connection at once, so their addresses must all differ. */
    pthread_barrier_wait(w->all_connected);
    if (w->conn == NULL)
        goto fail;
    for (int64_t i = 0; i < WORKER_ROWS; i += WORKER_BATCH) {
        if (store_begin(w->conn, &w->err) < 0)
            goto fail;
        for (int64_t j = i; j < i + WORKER_BATCH; j++) {
            if ((st = store_prepare(w->conn, SQL_THREAD_INSERT, &w->err)) == NULL)
                goto fail_tx;
            store_bind_int64(st, 1, w->n * WORKER_ROWS + j);
            store_bind_int64(st, 2, w->n);
            int rc = store_step(st, &w->err);
            store_reset(st);
            if (rc != STORE_DONE)
                goto fail_tx;
        }
        if (store_commit(w->conn, &w->err) < 0)
            goto fail;
    }
    return NULL;
fail_tx:
    store_rollback(w->conn);
fail:
    w->failed = 1;
    return NULL;
}

static void test_threads(void **state)
{
    struct fixture *fx = *state;
    struct store_conn *c = conn_of(fx);
    struct worker w[WORKERS];
    pthread_t t[WORKERS];
    pthread_barrier_t barrier;
    struct err err;
    struct store_stmt *st;

    exec_ok(c, "DELETE FROM t_store_threads");
    assert_int_equal(pthread_barrier_init(&barrier, NULL, WORKERS), 0);
    memset(w, 0, sizeof(w));
    for (int i = 0; i < WORKERS; i++) {
        w[i].s = fx->s;
        w[i].n = i;
        w[i].all_connected = &barrier;
        assert_int_equal(pthread_create(&t[i], NULL, worker_run, &w[i]), 0);
    }
    for (int i = 0; i < WORKERS; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&barrier);
    for (int i = 0; i < WORKERS; i++) {
        if (w[i].failed)
            fail_msg("worker %d: %s %s", i, w[i].err.code, w[i].err.msg);
        assert_ptr_not_equal(w[i].conn, c);
        for (int j = 0; j < i; j++)
            assert_ptr_not_equal(w[i].conn, w[j].conn);
    }
    assert_non_null(st = store_prepare(c, SQL_THREAD_COUNT, &err));
    assert_int_equal(store_step(st, &err), STORE_ROW);
    assert_int_equal(store_col_int64(st, 0), WORKERS * WORKER_ROWS);
    store_reset(st);
}

static void *terminate_run(void *arg)
{
    struct worker *w = arg;
    struct store_conn *c = store_conn(w->s, &w->err);
    struct store_stmt *st;
    if (c == NULL || (st = store_prepare(c, SQL_TERMINATE, &w->err)) == NULL) {
        w->failed = 1;
        return NULL;
    }
    store_bind_int64(st, 1, w->n);
    if (store_step(st, &w->err) != STORE_ROW || strcmp(store_col_text(st, 0), "t") != 0)
        w->failed = 1;
    store_reset(st);
    return NULL;
}

/* Kill this thread's server process from another connection, as a server restart or a
 * network cut would. */
static void kill_backend(struct fixture *fx, struct store_conn *c)
{
    struct err err;
    struct store_stmt *st = store_prepare(c, SQL_BACKEND_PID, &err);
    struct worker w;
    pthread_t t;
    assert_non_null(st);
    assert_int_equal(store_step(st, &err), STORE_ROW);
    memset(&w, 0, sizeof(w));
    w.s = fx->s;
    w.n = store_col_int64(st, 0);
    store_reset(st);
    assert_int_equal(pthread_create(&t, NULL, terminate_run, &w), 0);
    pthread_join(t, NULL);
    if (w.failed)
        fail_msg("cannot terminate backend %lld: %s", (long long)w.n, w.err.msg);
}

static void test_reconnect(void **state)
{
    struct fixture *fx = *state;
    struct store_conn *c = conn_of(fx);
    struct err err;
    struct store_stmt *st;

    if (fx->kind != STORE_POSTGRES)
        skip();
    insert_value(c, 60, 1, "before");
    assert_int_equal(count_ids(c, 60, 70), 1); /* SQL_VAL_COUNT is now prepared */

    /* Outside a transaction: one failure, then the statements work again (prepared
     * anew on the new session). */
    kill_backend(fx, c);
    assert_non_null(st = store_prepare(c, SQL_VAL_COUNT, &err));
    store_bind_int64(st, 1, 60);
    store_bind_int64(st, 2, 70);
    err_clear(&err);
    assert_int_equal(store_step(st, &err), -1);
    assert_string_equal(err.code, "store.unavailable");
    assert_int_equal(err.status, 503);
    store_reset(st);
    assert_int_equal(count_ids(c, 60, 70), 1);

    /* Inside a transaction: the connection refuses work until the caller rolls back,
     * so the rest of the transaction cannot run in autocommit mode. */
    assert_int_equal(store_begin(c, &err), 0);
    insert_value(c, 61, 1, "lost with the transaction");
    kill_backend(fx, c);
    assert_non_null(st = store_prepare(c, SQL_VAL_INSERT, &err));
    store_bind_int64(st, 1, 62);
    assert_int_equal(store_step(st, &err), -1);
    assert_string_equal(err.code, "store.unavailable");
    store_reset(st);
    store_bind_int64(st, 1, 63);
    err_clear(&err);
    assert_int_equal(store_step(st, &err), -1);
    assert_string_equal(err.code, "store.unavailable");
    assert_non_null(strstr(err.msg, "roll it back"));
    store_reset(st);
    store_rollback(c);
    insert_value(c, 64, 1, "after");
    assert_int_equal(count_ids(c, 60, 70), 2); /* 60 and 64 */
}

int main(void)
{
    const struct CMUnitTest common[] = {
        cmocka_unit_test(test_bad_url),
        cmocka_unit_test(test_pg_unreachable),
        cmocka_unit_test(test_migration_filter),
    };
    /* One list for both backends: the group's fixture says which. */
    const struct CMUnitTest backend[] = {
        cmocka_unit_test(test_migrate),
        cmocka_unit_test(test_migrate_failure),
        cmocka_unit_test(test_migrate_rowid_keys),
        cmocka_unit_test_setup(test_round_trip, clear_values),
        cmocka_unit_test(test_placeholder_in_literal),
        cmocka_unit_test(test_bind_rules),
        cmocka_unit_test_setup(test_conflict, clear_values),
        cmocka_unit_test_setup(test_transactions, clear_values),
        cmocka_unit_test_setup(test_writer_connection, clear_values),
        cmocka_unit_test_setup(test_commit_after_error, clear_values),
        cmocka_unit_test_setup(test_changes, clear_values),
        cmocka_unit_test_setup(test_stmt_cache, clear_values),
        cmocka_unit_test(test_threads),
        cmocka_unit_test_setup(test_reconnect, clear_values),
    };
    int failed = 0;

    failed += cmocka_run_group_tests_name("store", common, NULL, NULL);
    failed += cmocka_run_group_tests_name("store/sqlite", backend, sqlite_setup, sqlite_teardown);
    if (getenv("ONEWINDOW_TEST_PG_URL") != NULL && *getenv("ONEWINDOW_TEST_PG_URL") != '\0')
        failed += cmocka_run_group_tests_name("store/postgresql", backend, pg_setup, pg_teardown);
    else
        printf("store/postgresql: skipped (set ONEWINDOW_TEST_PG_URL, see scripts/pg-test.sh)\n");
    return failed != 0;
}
