/*
 * audit_test.c - the tamper-evident audit chain: entries written in transactions, in
 * autocommit mode and from several threads at once chain without gaps; verification finds
 * an altered, a deleted and a re-linked entry, a forged or foreign checkpoint and a
 * rewritten chain; pre-chain rows are chained once; retention purges only below a
 * checkpoint and leaves a verifiable anchor.
 *
 * Every test runs on a fresh SQLite database, and again on PostgreSQL (a schema of its
 * own per test, dropped afterwards) when ONEWINDOW_TEST_PG_URL is set.
 */
#include "test.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/audit.h"
#include "audit/audit_internal.h"
#include "base/id.h"
#include "crypto/crypto.h"
#include "store/store.h"

#define DAY_MS (24LL * 60 * 60 * 1000)

struct fixture {
    struct store *s;
    struct crypto_keyring *kr;
    char dir[64];    /* SQLite: the temporary directory */
    char schema[64]; /* PostgreSQL: this test's schema */
};

static int use_pg; /* the group being run */
static int test_counter;

static const unsigned char MASTER[CRYPTO_KEY_LEN] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
static const unsigned char OTHER_MASTER[CRYPTO_KEY_LEN] = {42};

/* Run one statement on a store of its own for `url` (schema creation and removal). */
static int run_once(const char *url, const char *sql)
{
    struct store *s;
    struct err err;
    if (store_open(url, NULL, &s, &err) < 0)
        return -1;
    struct store_conn *c = store_conn(s, &err);
    int rc = c != NULL ? store_exec(c, sql, &err) : -1;
    store_close(s);
    return rc;
}

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    struct err err;
    char url[1200], sql[128];
    if (fx == NULL)
        return -1;
    if (use_pg) {
        const char *base = getenv("ONEWINDOW_TEST_PG_URL");
        snprintf(fx->schema, sizeof(fx->schema), "t_audit_%ld_%d", (long)getpid(), ++test_counter);
        snprintf(sql, sizeof(sql), "CREATE SCHEMA %s", fx->schema);
        if (run_once(base, sql) < 0)
            goto fail;
        snprintf(url, sizeof(url), "%s%coptions=-c%%20search_path%%3D%s", base,
                 strchr(base, '?') != NULL ? '&' : '?', fx->schema);
    } else {
        snprintf(fx->dir, sizeof(fx->dir), "/tmp/ow-audit-XXXXXX");
        if (mkdtemp(fx->dir) == NULL)
            goto fail;
        snprintf(url, sizeof(url), "sqlite:%s/t.db", fx->dir);
    }
    if (store_open(url, NULL, &fx->s, &err) < 0 || store_migrate(fx->s, NULL, &err) < 0 ||
        crypto_keyring_from_master(MASTER, &fx->kr) < 0) {
        fprintf(stderr, "audit_test: %s\n", err.msg);
        goto fail;
    }
    audit_use_slot(0); /* single-threaded tests write sub-chain 0 on both backends */
    *state = fx;
    return 0;
fail:
    free(fx);
    return -1;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    char path[128], sql[128];
    store_close(fx->s);
    crypto_keyring_close(fx->kr);
    if (use_pg) {
        snprintf(sql, sizeof(sql), "DROP SCHEMA %s CASCADE", fx->schema);
        run_once(getenv("ONEWINDOW_TEST_PG_URL"), sql);
    } else {
        const char *files[] = {"t.db", "t.db-wal", "t.db-shm"};
        for (int i = 0; i < 3; i++) {
            snprintf(path, sizeof(path), "%s/%s", fx->dir, files[i]);
            unlink(path);
        }
        rmdir(fx->dir);
    }
    free(fx);
    return 0;
}

static struct store_conn *conn(struct fixture *fx)
{
    struct err err;
    struct store_conn *c = store_conn(fx->s, &err);
    assert_non_null(c);
    return c;
}

static void exec(struct fixture *fx, const char *sql)
{
    struct err err;
    err_clear(&err);
    if (store_exec(conn(fx), sql, &err) < 0)
        fail_msg("%s: %s", sql, err.msg);
}

/* The integer in the first column of the first row of `sql` (a literal). */
static int64_t scalar(struct fixture *fx, const char *sql)
{
    struct err err;
    struct store_stmt *st = store_prepare(conn(fx), sql, &err);
    assert_non_null(st);
    assert_int_equal(store_step(st, &err), STORE_ROW);
    int64_t v = store_col_int64(st, 0);
    store_reset(st);
    return v;
}

static void record(struct store_conn *c, int i, const char *detail)
{
    char object[32];
    struct err err;
    snprintf(object, sizeof(object), "case:%d", i);
    struct audit_event ev = {.actor_id = i % 3,
                             .action = "test.action",
                             .object = object,
                             .outcome = i % 2 ? "ok" : "denied",
                             .source_ip = i % 5 ? "192.0.2.7" : NULL,
                             .detail = detail};
    err_clear(&err);
    if (audit_record(c, &ev, &err) < 0)
        fail_msg("audit_record: %s", err.msg);
}

static void record_n(struct fixture *fx, int n)
{
    for (int i = 0; i < n; i++)
        record(conn(fx), i, "detail");
}

static void verify(struct fixture *fx, struct audit_report *r)
{
    struct err err;
    err_clear(&err);
    if (audit_verify(fx->s, fx->kr, r, &err) < 0)
        fail_msg("audit_verify: %s", err.msg);
}

static void assert_intact(struct fixture *fx, int64_t entries, int64_t checkpoints)
{
    struct audit_report r;
    verify(fx, &r);
    if (r.kind != AUDIT_OK)
        fail_msg("chain broken at %lld: %s: %s", (long long)r.seq, audit_problem_name(r.kind),
                 r.message);
    assert_int_equal(r.problems, 0);
    assert_int_equal(r.entries, entries);
    assert_int_equal(r.checkpoints, checkpoints);
}

static void assert_broken(struct fixture *fx, enum audit_problem kind, int64_t seq,
                          int64_t problems)
{
    struct audit_report r;
    verify(fx, &r);
    assert_string_equal(audit_problem_name(r.kind), audit_problem_name(kind));
    assert_int_equal(r.seq, seq);
    assert_int_equal(r.problems, problems);
}

static void checkpoint(struct fixture *fx, int64_t expect_seq)
{
    struct err err;
    int64_t seq = -1;
    err_clear(&err);
    if (audit_checkpoint(fx->s, fx->kr, &seq, &err) < 0)
        fail_msg("audit_checkpoint: %s", err.msg);
    assert_int_equal(seq, expect_seq);
}

/* ---- writing ---------------------------------------------------------------------- */

struct worker {
    struct store *s;
    int base, failures;
};

static void *worker_run(void *arg)
{
    struct worker *w = arg;
    struct err err;
    struct store_conn *c = store_conn(w->s, &err);
    for (int i = 0; c != NULL && i < 10; i++) {
        char object[32];
        snprintf(object, sizeof(object), "case:%d", w->base + i);
        struct audit_event ev = {
            .actor_id = 7, .action = "test.thread", .object = object, .outcome = "ok"};
        if (i % 2 == 0) {
            if (audit_record(c, &ev, &err) < 0)
                w->failures++;
        } else if (store_begin(c, &err) < 0 || audit_record(c, &ev, &err) < 0 ||
                   store_commit(c, &err) < 0) {
            store_rollback(c);
            w->failures++;
        }
    }
    if (c == NULL)
        w->failures = 10;
    return NULL;
}

static void test_chain_intact(void **state)
{
    struct fixture *fx = *state;
    struct err err;
    struct store_conn *c = conn(fx);
    assert_intact(fx, 0, 0);
    /* 30 in autocommit mode, 30 in ten transactions of three. */
    record_n(fx, 30);
    for (int t = 0; t < 10; t++) {
        assert_int_equal(store_begin(c, &err), 0);
        for (int i = 0; i < 3; i++)
            record(c, 100 + 3 * t + i, NULL);
        assert_int_equal(store_commit(c, &err), 0);
    }
    /* A rolled-back transaction leaves no entry and no gap. */
    assert_int_equal(store_begin(c, &err), 0);
    record(c, 999, "rolled back");
    store_rollback(c);
    /* 40 from four threads at once, half in transactions. */
    pthread_t th[4];
    struct worker w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (struct worker){.s = fx->s, .base = 1000 * (i + 1)};
        assert_int_equal(pthread_create(&th[i], NULL, worker_run, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_int_equal(w[i].failures, 0);
    }
    assert_int_equal(scalar(fx, "SELECT COUNT(*) FROM audit_events"), 100);
    /* Every sub-chain gap-free from 1. PostgreSQL: each thread has a slot of its own
     * (round robin), SQLite writes slot 0 only. */
    assert_int_equal(scalar(fx,
                            "SELECT COUNT(*) FROM (SELECT slot, MIN(seq) AS lo, MAX(seq) AS hi, "
                            "COUNT(DISTINCT seq) AS n FROM audit_events GROUP BY slot) g "
                            "WHERE lo <> 1 OR hi <> n"),
                     0);
    assert_int_equal(scalar(fx, "SELECT COUNT(DISTINCT slot) FROM audit_events"), use_pg ? 5 : 1);
    assert_int_equal(scalar(fx, "SELECT COUNT(*) FROM audit_events WHERE detail = 'rolled back'"),
                     0);
    assert_intact(fx, 100, 0);
    struct audit_report r;
    verify(fx, &r);
    assert_int_equal(r.first_seq, 1);
    assert_int_equal(r.head_seq, 100);
    /* Entry 1 of every sub-chain links to the genesis hash. */
    assert_int_equal(scalar(fx, "SELECT COUNT(*) FROM audit_events WHERE seq = 1 AND prev_hash = "
                                "'" AUDIT_GENESIS "'"),
                     use_pg ? 5 : 1);
}

/* The hash is fixed by the format (docs/internals/audit.md): a known answer. */
static void test_entry_hash(void **state)
{
    struct audit_entry e = {.seq = 1,
                            .id = 2,
                            .at = 3,
                            .actor_id = 0,
                            .action = "a",
                            .object = NULL,
                            .outcome = "ok",
                            .source_ip = "",
                            .detail = NULL};
    char h1[AUDIT_HASH_HEX], h2[AUDIT_HASH_HEX];
    assert_int_equal(audit_entry_hash(AUDIT_GENESIS, &e, h1), 0);
    /* Computed independently: the bytes of docs/internals/audit.md's format built in
     * Python, hashed with `openssl dgst -sm3`. */
    assert_string_equal(h1, "1feda5dbde2923bb3f79d74b7bf38d3335eab3920e9d79ea4f8ec5b5eafd87eb");
    /* NULL and "" differ; so does every field. */
    e.object = "";
    assert_int_equal(audit_entry_hash(AUDIT_GENESIS, &e, h2), 0);
    assert_string_not_equal(h1, h2);
    e.object = NULL;
    e.seq = 2;
    assert_int_equal(audit_entry_hash(AUDIT_GENESIS, &e, h2), 0);
    assert_string_not_equal(h1, h2);
    e.seq = 1;
    assert_int_equal(audit_entry_hash(AUDIT_GENESIS, &e, h2), 0);
    assert_string_equal(h1, h2);
    /* A bad previous hash is refused. */
    assert_int_equal(audit_entry_hash("00", &e, h2), -1);
    assert_int_equal(audit_entry_hash(NULL, &e, h2), -1);
}

/* ---- tampering -------------------------------------------------------------------- */

static void test_altered(void **state)
{
    struct fixture *fx = *state;
    record_n(fx, 10);
    exec(fx, "UPDATE audit_events SET detail = 'nothing happened' WHERE seq = 4");
    assert_broken(fx, AUDIT_ALTERED, 4, 1);
    exec(fx, "UPDATE audit_events SET detail = 'detail' WHERE seq = 4");
    assert_intact(fx, 10, 0);
    exec(fx, "UPDATE audit_events SET actor_id = NULL WHERE seq = 8"); /* was 1 */
    assert_broken(fx, AUDIT_ALTERED, 8, 1);
    exec(fx, "UPDATE audit_events SET detail = 'x' WHERE seq = 9");
    assert_broken(fx, AUDIT_ALTERED, 8, 2);
}

static void test_missing(void **state)
{
    struct fixture *fx = *state;
    record_n(fx, 10);
    exec(fx, "DELETE FROM audit_events WHERE seq = 6");
    assert_broken(fx, AUDIT_MISSING, 6, 1);
    struct audit_report r;
    verify(fx, &r);
    assert_int_equal(r.entries, 9);
    assert_string_equal(r.message, "entries 6 to 6 are missing");
}

static void test_missing_tail(void **state)
{
    struct fixture *fx = *state;
    record_n(fx, 10);
    checkpoint(fx, 10);
    exec(fx, "DELETE FROM audit_events WHERE seq >= 9");
    /* The checkpoint vouches for entry 10: the truncation shows. */
    assert_broken(fx, AUDIT_MISSING, 9, 1);
    struct audit_report r;
    verify(fx, &r);
    assert_string_equal(r.message, "entries 9 to 10 are missing");
}

static void test_relinked(void **state)
{
    struct fixture *fx = *state;
    record_n(fx, 10);
    exec(fx, "UPDATE audit_events SET prev_hash = (SELECT hash FROM audit_events WHERE seq = 2) "
             "WHERE seq = 5");
    /* Entry 5 no longer links to entry 4, and its hash no longer matches either. */
    assert_broken(fx, AUDIT_RELINKED, 5, 2);
}

static void test_relinked_swap(void **state)
{
    struct fixture *fx = *state;
    record_n(fx, 10);
    /* Swap two entries' places (seq, prev_hash, hash together): the links break. */
    exec(fx, "UPDATE audit_events SET seq = -1 WHERE seq = 3");
    exec(fx, "UPDATE audit_events SET seq = 3 WHERE seq = 4");
    exec(fx, "UPDATE audit_events SET seq = 4 WHERE seq = -1");
    struct audit_report r;
    verify(fx, &r);
    assert_string_equal(audit_problem_name(r.kind), "relinked");
    assert_int_equal(r.seq, 3);
}

/* ---- checkpoints ------------------------------------------------------------------ */

static void test_checkpoints(void **state)
{
    struct fixture *fx = *state;
    checkpoint(fx, 0); /* empty chain: nothing signed */
    assert_int_equal(scalar(fx, "SELECT COUNT(*) FROM audit_keys"), 0);
    record_n(fx, 5);
    checkpoint(fx, 5);
    assert_intact(fx, 5, 1);
    checkpoint(fx, 5); /* the head again: no new row */
    assert_int_equal(scalar(fx, "SELECT COUNT(*) FROM audit_merged_checkpoints"), 1);
    record_n(fx, 3);
    checkpoint(fx, 8);
    assert_intact(fx, 8, 2);
    assert_int_equal(scalar(fx, "SELECT COUNT(*) FROM audit_keys"), 1);
    assert_int_equal(scalar(fx, "SELECT COUNT(DISTINCT key_id) FROM audit_merged_checkpoints"), 1);

    /* Another checkpoint's (valid) signature on checkpoint 5. */
    exec(fx, "UPDATE audit_merged_checkpoints SET at = at + 1 WHERE entries = 5");
    assert_broken(fx, AUDIT_CHECKPOINT, 5, 1);
    exec(fx, "UPDATE audit_merged_checkpoints SET at = at - 1 WHERE entries = 5");
    assert_intact(fx, 8, 2);
    exec(fx, "UPDATE audit_merged_checkpoints SET signature = (SELECT signature FROM "
             "audit_merged_checkpoints WHERE entries = 8) WHERE entries = 5");
    assert_broken(fx, AUDIT_CHECKPOINT, 5, 1);
}

/* Someone with write access rewrites entry 2 and recomputes every later hash: the links
 * are consistent again, but the signed checkpoints are not. */
static void test_rewritten_chain(void **state)
{
    struct fixture *fx = *state;
    struct err err;
    record_n(fx, 6);
    checkpoint(fx, 6);
    record_n(fx, 4);
    exec(fx, "UPDATE audit_events SET detail = 'rewritten' WHERE seq = 2");
    static const char sel[] = "SELECT seq, id, at, actor_id, action, object, outcome, "
                              "source_ip, detail, prev_hash FROM audit_events WHERE seq = ?";
    static const char upd[] = "UPDATE audit_events SET prev_hash = ?, hash = ? WHERE seq = ?";
    char prev[AUDIT_HASH_HEX], hash[AUDIT_HASH_HEX];
    for (int64_t seq = 2; seq <= 10; seq++) {
        struct store_stmt *st = store_prepare(conn(fx), sel, &err);
        assert_non_null(st);
        store_bind_int64(st, 1, seq);
        assert_int_equal(store_step(st, &err), STORE_ROW);
        if (seq == 2)
            snprintf(prev, sizeof(prev), "%s", store_col_text(st, 9));
        struct audit_entry e = {
            store_col_int64(st, 0), store_col_int64(st, 1), store_col_int64(st, 2),
            store_col_int64(st, 3), store_col_text(st, 4),  store_col_text(st, 5),
            store_col_text(st, 6),  store_col_text(st, 7),  store_col_text(st, 8)};
        assert_int_equal(audit_entry_hash(prev, &e, hash), 0);
        store_reset(st);
        st = store_prepare(conn(fx), upd, &err);
        store_bind_text(st, 1, prev, -1);
        store_bind_text(st, 2, hash, -1);
        store_bind_int64(st, 3, seq);
        assert_int_equal(store_step(st, &err), STORE_DONE);
        store_reset(st);
        memcpy(prev, hash, sizeof(prev));
    }
    assert_broken(fx, AUDIT_CHECKPOINT, 6, 1);
    struct audit_report r;
    verify(fx, &r);
    assert_string_equal(r.message, "checkpoint 6 vouches for another hash: the chain was "
                                   "rewritten");
    /* ... and re-signing is not possible without the master key: a keyring with another
     * master does not recognise the key, and cannot plant its own. */
    struct crypto_keyring *other;
    assert_int_equal(crypto_keyring_from_master(OTHER_MASTER, &other), 0);
    assert_int_equal(audit_verify(fx->s, other, &r, &err), 0);
    assert_string_equal(audit_problem_name(r.kind), "checkpoint");
    assert_int_equal(r.seq, 6);
    assert_string_equal(r.message, "checkpoint 6 names a signing key that is unknown or not this "
                                   "installation's");
    err_clear(&err);
    assert_int_equal(audit_checkpoint(fx->s, other, NULL, &err), -1);
    assert_string_equal(err.code, "audit.key_unusable");
    crypto_keyring_close(other);
}

/* A key planted in audit_keys (public half swapped) is not trusted. */
static void test_planted_key(void **state)
{
    struct fixture *fx = *state;
    record_n(fx, 3);
    checkpoint(fx, 3);
    exec(fx, "UPDATE audit_keys SET public_hex = '04' || substr(public_hex, 3)");
    assert_intact(fx, 3, 1); /* same value: still trusted */
    exec(fx, "UPDATE audit_keys SET public_hex = 'x'");
    assert_broken(fx, AUDIT_CHECKPOINT, 3, 1);
}

/* ---- sub-chains ------------------------------------------------------------------- */

/* n entries in sub-chain `slot` (then back to slot 0). */
static void record_slot(struct fixture *fx, int64_t slot, int n)
{
    audit_use_slot(slot);
    record_n(fx, n);
    audit_use_slot(0);
}

/* Three interleaved sub-chains: each is its own gap-free chain, a checkpoint signs all
 * three heads, and every kind of damage inside one sub-chain is reported there. */
static void test_slots(void **state)
{
    struct fixture *fx = *state;
    struct audit_report r;
    record_slot(fx, 0, 3);
    record_slot(fx, 2, 4);
    record_slot(fx, 1, 2);
    record_slot(fx, 2, 2);
    assert_intact(fx, 11, 0);
    assert_int_equal(scalar(fx, "SELECT MAX(seq) FROM audit_events WHERE slot = 2"), 6);
    assert_int_equal(scalar(fx, "SELECT COUNT(*) FROM audit_events WHERE seq = 1 AND prev_hash = "
                                "'" AUDIT_GENESIS "'"),
                     3);
    checkpoint(fx, 11); /* 3 + 2 + 6 */
    checkpoint(fx, 11); /* same heads: no new checkpoint */
    assert_int_equal(scalar(fx, "SELECT COUNT(*) FROM audit_merged_checkpoints"), 1);
    verify(fx, &r);
    assert_int_equal(r.slots, 3);
    assert_int_equal(r.head_seq, 11);

    /* An edit in sub-chain 2. */
    exec(fx, "UPDATE audit_events SET detail = 'edited' WHERE slot = 2 AND seq = 3");
    verify(fx, &r);
    assert_string_equal(audit_problem_name(r.kind), "altered");
    assert_int_equal(r.slot, 2);
    assert_int_equal(r.seq, 3);
    assert_string_equal(r.message, "its content does not match its hash (sub-chain 2)");
    exec(fx, "UPDATE audit_events SET detail = 'detail' WHERE slot = 2 AND seq = 3");
    assert_intact(fx, 11, 1);

    /* Two entries of sub-chain 2 swapped (re-ordered). */
    exec(fx, "UPDATE audit_events SET seq = -1 WHERE slot = 2 AND seq = 4");
    exec(fx, "UPDATE audit_events SET seq = 4 WHERE slot = 2 AND seq = 5");
    exec(fx, "UPDATE audit_events SET seq = 5 WHERE slot = 2 AND seq = -1");
    verify(fx, &r);
    assert_string_equal(audit_problem_name(r.kind), "relinked");
    assert_int_equal(r.slot, 2);
    assert_int_equal(r.seq, 4);
    exec(fx, "UPDATE audit_events SET seq = -1 WHERE slot = 2 AND seq = 4");
    exec(fx, "UPDATE audit_events SET seq = 4 WHERE slot = 2 AND seq = 5");
    exec(fx, "UPDATE audit_events SET seq = 5 WHERE slot = 2 AND seq = -1");
    assert_intact(fx, 11, 1);

    /* An entry moved from sub-chain 1 to the end of sub-chain 2. */
    exec(fx, "UPDATE audit_events SET slot = 2, seq = 7 WHERE slot = 1 AND seq = 2");
    verify(fx, &r);
    assert_int_equal(r.slot, 1);
    assert_string_equal(audit_problem_name(r.kind), "missing");
    assert_true(r.problems >= 2); /* and relinked or altered in sub-chain 2 */
    exec(fx, "UPDATE audit_events SET slot = 1, seq = 2 WHERE slot = 2 AND seq = 7");
    assert_intact(fx, 11, 1);

    /* A deletion inside sub-chain 1. */
    exec(fx, "DELETE FROM audit_events WHERE slot = 1 AND seq = 1");
    verify(fx, &r);
    assert_string_equal(audit_problem_name(r.kind), "missing");
    assert_int_equal(r.slot, 1);
    assert_int_equal(r.seq, 1);
}

/* Deleting a sub-chain's tail (or all of it) after a checkpoint shows as missing entries;
 * after the checkpoint the head is what it vouches for. */
static void test_slot_tail(void **state)
{
    struct fixture *fx = *state;
    struct audit_report r;
    record_slot(fx, 0, 2);
    record_slot(fx, 3, 5);
    record_slot(fx, 4, 2);
    checkpoint(fx, 9);
    record_slot(fx, 3, 2); /* not yet vouched for */
    exec(fx, "DELETE FROM audit_events WHERE slot = 3 AND seq >= 4");
    verify(fx, &r);
    assert_string_equal(audit_problem_name(r.kind), "missing");
    assert_int_equal(r.slot, 3);
    assert_int_equal(r.seq, 4);
    assert_string_equal(r.message, "entries 4 to 5 are missing (sub-chain 3)");
    /* The whole of sub-chain 4 gone. */
    exec(fx, "DELETE FROM audit_events WHERE slot = 4");
    verify(fx, &r);
    assert_int_equal(r.problems, 2);
    assert_int_equal(r.slot, 3);
    /* Rewriting the checkpoint's heads to hide it breaks its signature. */
    exec(fx, "UPDATE audit_merged_checkpoints SET heads = replace(heads, ' 5 ', ' 3 ')");
    verify(fx, &r);
    assert_string_equal(audit_problem_name(r.kind), "checkpoint");
}

/* Retention per sub-chain: one anchor names the last deleted entry of each. */
static void test_slot_purge(void **state)
{
    struct fixture *fx = *state;
    struct err err;
    struct audit_report r;
    int64_t purged = -1, now = time_now_ms();
    record_slot(fx, 0, 4);
    record_slot(fx, 5, 6);
    checkpoint(fx, 10);
    record_slot(fx, 5, 1);
    assert_int_equal(audit_purge_at(fx->s, fx->kr, 0, now + 186 * DAY_MS, &purged, &err), 0);
    assert_int_equal(purged, 3 + 5);
    assert_int_equal(scalar(fx, "SELECT MIN(seq) FROM audit_events WHERE slot = 5"), 6);
    assert_int_equal(scalar(fx, "SELECT entries FROM audit_merged_checkpoints WHERE anchor = 1"),
                     3 + 5);
    verify(fx, &r);
    assert_int_equal(r.kind, AUDIT_OK);
    assert_int_equal(r.entries, 1 + 2);
    assert_int_equal(r.first_seq, 4);
    record_slot(fx, 5, 1); /* goes on after the anchor */
    assert_intact(fx, 4, 2);
    assert_int_equal(scalar(fx, "SELECT MAX(seq) FROM audit_events WHERE slot = 5"), 8);
}

/* A checkpoint written before 0024 (audit_checkpoints, the v1 message over slot 0's head)
 * still vouches for the chain, and a false one is still reported. */
static void test_legacy_checkpoint(void **state)
{
    struct fixture *fx = *state;
    struct err err;
    record_n(fx, 4);
    checkpoint(fx, 4); /* creates the signing key */
    exec(fx, "DELETE FROM audit_merged_checkpoints");
    /* Sign as the old code did, with the installation's key. */
    struct store_stmt *st =
        store_prepare(conn(fx), "SELECT key_id, private_sealed FROM audit_keys", &err);
    assert_non_null(st);
    assert_int_equal(store_step(st, &err), STORE_ROW);
    char key_id[64], ad[128];
    snprintf(key_id, sizeof(key_id), "%s", store_col_text(st, 0));
    size_t n = 0, len = 0;
    const void *sealed = store_col_blob(st, 1, &n);
    unsigned char pem[4096];
    snprintf(ad, sizeof(ad), "audit_keys.private_sealed:%s", key_id);
    assert_int_equal(crypto_aead_open(crypto_keyring_aead(fx->kr, CRYPTO_AEAD_SECRETS), ad,
                                      strlen(ad), sealed, n, pem, sizeof(pem), &len),
                     0);
    store_reset(st);
    struct crypto_key *key = NULL;
    assert_int_equal(crypto_key_from_pem(CRYPTO_KEY_SM2, (const char *)pem, len, &key, &err), 0);
    char hash[AUDIT_HASH_HEX], msg[256];
    st = store_prepare(conn(fx), "SELECT hash FROM audit_events WHERE seq = 4", &err);
    assert_int_equal(store_step(st, &err), STORE_ROW);
    snprintf(hash, sizeof(hash), "%s", store_col_text(st, 0));
    store_reset(st);
    int m = snprintf(msg, sizeof(msg), "onewindow.audit.checkpoint.v1\n4\n%s\n1234\n0\n", hash);
    unsigned char sig[CRYPTO_SM2_SIG_MAX];
    size_t sig_len = 0;
    assert_int_equal(crypto_sm2_sign(key, msg, (size_t)m, sig, sizeof(sig), &sig_len), 0);
    crypto_key_free(key);
    st = store_prepare(conn(fx),
                       "INSERT INTO audit_checkpoints (seq, hash, at, anchor, signature, key_id) "
                       "VALUES (4, ?, 1234, 0, ?, ?)",
                       &err);
    store_bind_text(st, 1, hash, -1);
    store_bind_blob(st, 2, sig, sig_len);
    store_bind_text(st, 3, key_id, -1);
    assert_int_equal(store_step(st, &err), STORE_DONE);
    store_reset(st);
    assert_intact(fx, 4, 1);
    /* The desk falls back to it while there is no merged checkpoint. */
    json_t *cp = NULL;
    assert_int_equal(audit_checkpoint_latest(conn(fx), &cp, &err), 0);
    assert_int_equal(json_integer_value(json_object_get(cp, "seq")), 4);
    json_decref(cp);
    /* A truncated tail below it is caught by it. */
    exec(fx, "DELETE FROM audit_events WHERE seq = 4");
    assert_broken(fx, AUDIT_MISSING, 4, 1);
    exec(fx, "UPDATE audit_checkpoints SET at = 1235");
    assert_broken(fx, AUDIT_CHECKPOINT, 4, 2); /* its signature, and the missing entry */
}

/* PostgreSQL: a transaction holding sub-chain 1 open does not hold up one on sub-chain 2
 * (with one global lock the second would wait for the first's commit). */
struct holder {
    struct store *s;
    int64_t slot;
    volatile int recorded, other_done, failures;
};

static void *hold_open(void *arg)
{
    struct holder *h = arg;
    struct err err;
    struct store_conn *c = store_conn(h->s, &err);
    audit_use_slot(h->slot);
    if (c == NULL || store_begin(c, &err) < 0) {
        h->failures++;
        h->recorded = 1;
        return NULL;
    }
    record(c, 1, "held open");
    __atomic_store_n(&h->recorded, 1, __ATOMIC_SEQ_CST);
    /* Wait (capped at 10 s) for the other writer to commit first. */
    for (int i = 0; i < 1000 && !__atomic_load_n(&h->other_done, __ATOMIC_SEQ_CST); i++)
        usleep(10000);
    if (store_commit(c, &err) < 0)
        h->failures++;
    return NULL;
}

static void test_slots_parallel(void **state)
{
    struct fixture *fx = *state;
    struct err err;
    if (!use_pg)
        skip(); /* SQLite has one writer at a time by design */
    struct holder h = {.s = fx->s, .slot = 1};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, hold_open, &h), 0);
    while (!__atomic_load_n(&h.recorded, __ATOMIC_SEQ_CST))
        usleep(1000);
    struct store_conn *c = conn(fx);
    audit_use_slot(2);
    assert_int_equal(store_begin(c, &err), 0);
    record(c, 2, "not held up");
    assert_int_equal(store_commit(c, &err), 0);
    audit_use_slot(0);
    /* The first transaction is still open: we committed before it. */
    assert_int_equal(scalar(fx, "SELECT COUNT(*) FROM audit_events WHERE detail = 'held open'"), 0);
    __atomic_store_n(&h.other_done, 1, __ATOMIC_SEQ_CST);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(h.failures, 0);
    assert_intact(fx, 2, 0);
}

/* ---- the remembered head ---------------------------------------------------------- */

static void *record_other_thread(void *arg)
{
    struct fixture *fx = arg;
    audit_use_slot(0);
    record(conn(fx), 40, "another writer");
    return NULL;
}

/* A writer remembers the entry it appended last and appends after it without reading the
 * head, only while it still is the head: not after its own rolled-back entry, nor after
 * another writer appended to the slot. */
static void test_remembered_head(void **state)
{
    struct fixture *fx = *state;
    struct err err;
    record_n(fx, 2);
    struct store_conn *c = conn(fx);
    assert_int_equal(store_begin(c, &err), 0);
    record(c, 3, "rolled back");
    store_rollback(c);
    record(conn(fx), 3, "after a rollback");
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, record_other_thread, fx), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    record(conn(fx), 5, "after another writer");
    record(conn(fx), 6, "after itself");
    assert_int_equal(scalar(fx, "SELECT COUNT(*) FROM audit_events WHERE detail = 'rolled back'"),
                     0);
    assert_int_equal(scalar(fx, "SELECT MAX(seq) FROM audit_events"), 6);
    assert_intact(fx, 6, 0);
}

struct slot_writer {
    struct fixture *fx;
    volatile int started, failures;
};

static void *record_slot1_tx(void *arg)
{
    struct slot_writer *w = arg;
    struct err err;
    struct store_conn *c = conn(w->fx);
    audit_use_slot(1);
    __atomic_store_n(&w->started, 1, __ATOMIC_SEQ_CST);
    struct audit_event ev = {.actor_id = 7, .action = "test.waits", .object = "x", .outcome = "ok"};
    if (store_begin(c, &err) < 0 || audit_record(c, &ev, &err) < 0 || store_commit(c, &err) < 0) {
        store_rollback(c);
        w->failures++;
    }
    return NULL;
}

/* PostgreSQL: the one statement that appends after the remembered head holds the slot's
 * lock to commit, like the head read's path: another writer of the slot waits for it
 * (rather than reading a head that is about to change and failing on the unique index). */
static void test_remembered_head_locks(void **state)
{
    struct fixture *fx = *state;
    struct err err;
    if (!use_pg)
        skip();
    audit_use_slot(1);
    record_n(fx, 1); /* remembered */
    struct store_conn *c = conn(fx);
    assert_int_equal(store_begin(c, &err), 0);
    record(c, 2, "remembered, open");
    struct slot_writer w = {.fx = fx};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, record_slot1_tx, &w), 0);
    /* Wait (capped at 10 s) until the other writer waits for a lock. */
    int waiting = 0;
    for (int i = 0; i < 1000 && !waiting; i++) {
        usleep(10000);
        waiting = __atomic_load_n(&w.started, __ATOMIC_SEQ_CST) &&
                  scalar(fx, "SELECT COUNT(*) FROM pg_locks WHERE NOT granted AND "
                             "locktype = 'advisory'") > 0;
    }
    assert_true(waiting);
    assert_int_equal(store_commit(c, &err), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    audit_use_slot(0);
    assert_int_equal(w.failures, 0);
    assert_intact(fx, 3, 0);
}

/* ---- backfill and retention ------------------------------------------------------- */

static void test_backfill(void **state)
{
    struct fixture *fx = *state;
    struct err err;
    int64_t chained = -1;
    /* Rows written before the chain existed (no seq). */
    exec(fx, "INSERT INTO audit_events (id, at, actor_id, action, object, outcome) VALUES "
             "(11, 1700000000000, 1, 'identity.login', 'account:1', 'ok'), "
             "(12, 1700000000001, NULL, 'identity.login', NULL, 'failed'), "
             "(10, 1699999999999, 2, 'identity.logout', 'account:2', 'ok')");
    record_n(fx, 2);
    assert_broken(fx, AUDIT_UNCHAINED, 0, 1);
    assert_int_equal(audit_chain_backfill(fx->s, &chained, &err), 0);
    assert_int_equal(chained, 3);
    assert_intact(fx, 5, 0);
    /* In id order after the head. */
    assert_int_equal(scalar(fx, "SELECT seq FROM audit_events WHERE id = 10"), 3);
    assert_int_equal(scalar(fx, "SELECT seq FROM audit_events WHERE id = 12"), 5);
    record_n(fx, 1);
    assert_intact(fx, 6, 0);
    /* Once only: a row slipped in later is reported, not adopted. */
    exec(fx, "INSERT INTO audit_events (id, at, action, outcome) VALUES (13, 1, 'x', 'ok')");
    assert_int_equal(audit_chain_backfill(fx->s, &chained, &err), 0);
    assert_int_equal(chained, 0);
    assert_broken(fx, AUDIT_UNCHAINED, 0, 1);
}

static void test_purge(void **state)
{
    struct fixture *fx = *state;
    struct err err;
    int64_t purged = -1, now = time_now_ms();
    record_n(fx, 10);
    err_clear(&err);
    assert_int_equal(audit_purge(fx->s, fx->kr, 184 * DAY_MS, &purged, &err), -1);
    assert_string_equal(err.code, "audit.retention_too_short");
    assert_int_equal(err.status, 400);
    /* Nothing is old enough today. */
    assert_int_equal(audit_purge(fx->s, fx->kr, 0, &purged, &err), 0);
    assert_int_equal(purged, 0);
    /* 200 days on, everything is old, but without a checkpoint nothing may go. */
    assert_int_equal(audit_purge_at(fx->s, fx->kr, 0, now + 200 * DAY_MS, &purged, &err), 0);
    assert_int_equal(purged, 0);
    checkpoint(fx, 10);
    record_n(fx, 2);
    /* 186 days on: only the entries below the checkpoint go; an anchor at 9 remains. */
    assert_int_equal(audit_purge_at(fx->s, fx->kr, 0, now + 186 * DAY_MS, &purged, &err), 0);
    assert_int_equal(purged, 9);
    assert_int_equal(scalar(fx, "SELECT MIN(seq) FROM audit_events"), 10);
    assert_int_equal(scalar(fx, "SELECT entries FROM audit_merged_checkpoints WHERE anchor = 1"),
                     9);
    struct audit_report r;
    verify(fx, &r);
    assert_int_equal(r.kind, AUDIT_OK);
    assert_int_equal(r.first_seq, 10);
    assert_int_equal(r.entries, 3);
    assert_int_equal(r.checkpoints, 2);
    /* The chain goes on from there. */
    record_n(fx, 2);
    assert_intact(fx, 5, 2);
    assert_int_equal(audit_purge_at(fx->s, fx->kr, 0, now + 186 * DAY_MS, &purged, &err), 0);
    assert_int_equal(purged, 0);
    /* A retention of 400 days keeps them all at 200 days. */
    checkpoint(fx, 14);
    assert_int_equal(audit_purge_at(fx->s, fx->kr, 400 * DAY_MS, now + 200 * DAY_MS, &purged, &err),
                     0);
    assert_int_equal(purged, 0);
    /* Removing the anchor exposes the purge as missing entries. */
    exec(fx, "DELETE FROM audit_merged_checkpoints WHERE anchor = 1");
    assert_broken(fx, AUDIT_MISSING, 1, 1);
    verify(fx, &r);
    assert_string_equal(r.message, "entries 1 to 9 are missing");
}

static void test_cli(void **state)
{
    struct fixture *fx = *state;
    struct err err;
    char *verify_args[] = {"verify"}, *cp_args[] = {"checkpoint"}, *bad[] = {"frobnicate"};
    char *purge_short[] = {"purge", "30"};
    record_n(fx, 4);
    assert_int_equal(audit_cli(fx->s, fx->kr, 1, cp_args, &err), 0);
    assert_int_equal(audit_cli(fx->s, fx->kr, 1, verify_args, &err), 0);
    exec(fx, "UPDATE audit_events SET outcome = 'tampered' WHERE seq = 2");
    assert_int_equal(audit_cli(fx->s, fx->kr, 1, verify_args, &err), 1);
    char *purge_ok[] = {"purge", "185"};
    assert_int_equal(audit_cli(fx->s, fx->kr, 2, purge_ok, &err), 1); /* broken: refused */
    assert_int_equal(scalar(fx, "SELECT COUNT(*) FROM audit_events"), 4);
    exec(fx, "UPDATE audit_events SET outcome = 'ok' WHERE seq = 2");
    assert_int_equal(audit_cli(fx->s, fx->kr, 2, purge_ok, &err), 0);
    assert_int_equal(audit_cli(fx->s, fx->kr, 1, bad, &err), 2);
    assert_string_equal(err.code, "audit.usage");
    assert_int_equal(audit_cli(fx->s, fx->kr, 2, purge_short, &err), 2);
    assert_int_equal(audit_cli(fx->s, fx->kr, 0, NULL, &err), 2);
}

int main(void)
{
    const struct CMUnitTest common[] = {
        cmocka_unit_test(test_entry_hash),
    };
    const struct CMUnitTest backend[] = {
        cmocka_unit_test_setup_teardown(test_chain_intact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_altered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_tail, setup, teardown),
        cmocka_unit_test_setup_teardown(test_relinked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_relinked_swap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_checkpoints, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rewritten_chain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_planted_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_slots, setup, teardown),
        cmocka_unit_test_setup_teardown(test_slot_tail, setup, teardown),
        cmocka_unit_test_setup_teardown(test_slot_purge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_legacy_checkpoint, setup, teardown),
        cmocka_unit_test_setup_teardown(test_slots_parallel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_remembered_head, setup, teardown),
        cmocka_unit_test_setup_teardown(test_remembered_head_locks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backfill, setup, teardown),
        cmocka_unit_test_setup_teardown(test_purge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cli, setup, teardown),
    };
    int failed = 0;
    id_init(1);
    failed += cmocka_run_group_tests_name("audit", common, NULL, NULL);
    failed += cmocka_run_group_tests_name("audit/sqlite", backend, NULL, NULL);
    if (getenv("ONEWINDOW_TEST_PG_URL") != NULL && *getenv("ONEWINDOW_TEST_PG_URL") != '\0') {
        use_pg = 1;
        failed += cmocka_run_group_tests_name("audit/postgresql", backend, NULL, NULL);
    } else {
        printf("audit/postgresql: skipped (set ONEWINDOW_TEST_PG_URL, see scripts/pg-test.sh)\n");
    }
    return failed != 0;
}
