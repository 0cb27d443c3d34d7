/*
 * store_pg.c - the PostgreSQL backend of store.h, through libpq.
 *
 * A connection is one PGconn in UTF-8, with lock_timeout set to the store's busy timeout
 * so that a lock held too long becomes "store.busy" as on SQLite. A statement is a
 * server-side prepared statement named "s1", "s2"... (unique per connection), prepared
 * from the caller's SQL with each `?` rewritten to $1..$n. Parameters are kept by the
 * statement until it is reset: int64 and text in text format, blobs in binary format.
 * The first store_step runs the statement and fetches the whole result; later steps walk
 * its rows. Results come in text format; bytea arrives as `\x...` hex and is decoded on
 * demand into per-column buffers that live until the next step or reset.
 *
 * A lost connection is reported as "store.unavailable" and re-established (PQreset) on
 * the next call. The server forgets prepared statements when the session ends, so every
 * statement remembers the connection generation it was prepared in and is prepared again
 * before its next execution if the connection has been reset since. If the connection
 * died inside a transaction, the transaction is gone: the connection then refuses all
 * work until the caller rolls back, so the rest of the caller's transaction can never
 * run, unnoticed, in autocommit mode. Design notes: docs/internals/store.md.
 */
#include "store/store_internal.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/log.h"

/* The type oid of bytea (catalog/pg_type.dat); the server headers are not installed. */
#define PG_BYTEA_OID 17
/* The wire protocol counts parameters in 16 bits. */
#define PG_MAX_PARAMS 65535
/* The first line of a libpq or server message that we keep. */
#define PG_LINE_MAX 256

struct pg_conn {
    struct store_conn base;
    PGconn *pg;
    unsigned next_name;  /* statement names handed out so far */
    unsigned generation; /* bumped by every successful reconnect */
    int in_tx;           /* the server had a transaction open after the last command */
    int lost_tx;         /* died inside a transaction: only ROLLBACK is accepted */
};

struct pg_stmt {
    struct store_stmt base;
    char name[16];
    char *sql; /* the SQL with $n placeholders */
    int nparams;
    unsigned generation; /* of the connection when prepared on the server */
    char **values;       /* owned copies; NULL = SQL NULL */
    int *lengths;
    int *formats;  /* 0 text, 1 binary */
    PGresult *res; /* the result being walked, or NULL before the first step */
    int row;
    int64_t changes;
    unsigned char **blobs; /* decoded bytea of the current row, one slot per column */
    size_t *blob_lens;
    int nblobs;
};

/* ---- errors ------------------------------------------------------------------------ */

/* The first line of a libpq message (they end in "\n" and often carry a hint line). */
static void first_line(const char *msg, char *out, size_t size)
{
    size_t n = strcspn(msg, "\r\n");
    if (n >= size)
        n = size - 1;
    memcpy(out, msg, n);
    out[n] = '\0';
}

/* Replace every occurrence of `secret` in `s` (a line of at most PG_LINE_MAX bytes) by
 * "***". */
static void mask_secret(char *s, const char *secret)
{
    size_t n = strlen(secret);
    char out[PG_LINE_MAX];
    size_t o = 0;
    if (n == 0 || strstr(s, secret) == NULL)
        return;
    for (const char *p = s; *p != '\0' && o + 4 < sizeof(out);) {
        if (strncmp(p, secret, n) == 0) {
            memcpy(out + o, "***", 3);
            o += 3;
            p += n;
        } else {
            out[o++] = *p++;
        }
    }
    out[o] = '\0';
    memcpy(s, out, o + 1);
}

/* A failed connection attempt. The URL is shown redacted, and should libpq's message
 * ever quote the password it is masked too: it must never reach a log. */
static int connect_fail(struct store *s, PGconn *pg, struct err *err, const char *what)
{
    char line[PG_LINE_MAX];
    first_line(pg != NULL ? PQerrorMessage(pg) : "out of memory", line, sizeof(line));
    PQconninfoOption *opts = PQconninfoParse(s->url, NULL);
    for (PQconninfoOption *o = opts; o != NULL && o->keyword != NULL; o++)
        if (strcmp(o->keyword, "password") == 0 && o->val != NULL)
            mask_secret(line, o->val);
    PQconninfoFree(opts);
    return store_fail(err, "store.unavailable", "%s PostgreSQL at %s: %s", what,
                      store_url_redacted(s), line);
}

/* Remember whether the server holds a transaction open, to know what a lost connection
 * took with it. */
static void note_tx(struct pg_conn *c)
{
    c->in_tx = PQtransactionStatus(c->pg) != PQTRANS_IDLE;
}

/* Map a failed command to the codes of store.h by its SQLSTATE (PostgreSQL manual,
 * appendix A). `res` may be NULL (libpq could not even build a result). */
static int pg_fail(struct pg_conn *c, const PGresult *res, struct err *err, const char *what)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *code = "store.error";
    char line[PG_LINE_MAX];

    /* Only the primary message: the detail of a unique violation quotes the row's values,
     * which may be personal data. */
    first_line(primary != NULL ? primary : PQerrorMessage(c->pg), line, sizeof(line));
    if (state == NULL)
        state = "";
    if (PQstatus(c->pg) == CONNECTION_BAD) {
        c->lost_tx = c->in_tx;
        c->in_tx = 0;
        code = "store.unavailable";
    } else {
        if (strcmp(state, "23505") == 0)
            code = "store.conflict";
        else if (strcmp(state, "53100") == 0)
            code = "store.full";
        else if (strncmp(state, "08", 2) == 0 || strcmp(state, "53300") == 0 ||
                 strncmp(state, "57P0", 4) == 0)
            code = "store.unavailable"; /* connection trouble, too many clients, shutdown */
        else if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
                 strcmp(state, "55P03") == 0)
            code = "store.busy"; /* serialization failure, deadlock, lock_timeout */
        /* A session on its way out keeps its last known state, so that the loss, when
         * libpq sees it, still knows whether a transaction went with it. */
        if (strcmp(code, "store.unavailable") != 0)
            note_tx(c);
    }
    return store_fail(err, code, "%s: %s%s%s", what, line, *state ? " SQLSTATE " : "", state);
}

/* ---- connections ------------------------------------------------------------------- */

/* PostgreSQL notices ("relation already exists, skipping") go to the debug log rather
 * than libpq's default, stderr. */
static void notice_to_log(void *arg, const char *message)
{
    char line[PG_LINE_MAX];
    (void)arg;
    first_line(message, line, sizeof(line));
    log_kv(LOG_DEBUG, "postgresql notice", "notice", line, (const char *)LOG_END);
}

/* Session settings, after every (re)connect: our strings are UTF-8 whatever the database's
 * default client encoding, and a lock wait longer than the busy timeout fails (55P03 ->
 * store.busy) as SQLite's busy timeout does. */
static int session_setup(struct pg_conn *c, struct err *err)
{
    char sql[96];
    snprintf(sql, sizeof(sql), "SET client_encoding = 'UTF8'; SET lock_timeout = %d",
             c->base.store->opt.busy_timeout_ms);
    PGresult *res = PQexec(c->pg, sql);
    int rc = 0;
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        rc = pg_fail(c, res, err, "cannot set up the PostgreSQL session");
    PQclear(res);
    return rc;
}

/* Make the connection usable: reconnect if it was lost, and refuse work while a
 * transaction that died with the old connection has not been rolled back. */
static int conn_ready(struct pg_conn *c, struct err *err)
{
    if (PQstatus(c->pg) == CONNECTION_BAD) {
        PQreset(c->pg);
        if (PQstatus(c->pg) != CONNECTION_OK)
            return connect_fail(c->base.store, c->pg, err, "cannot reconnect to");
        c->generation++;
        c->in_tx = 0;
        if (session_setup(c, err) < 0)
            return -1;
        log_kv(LOG_WARN, "reconnected to PostgreSQL", "url", store_url_redacted(c->base.store),
               (const char *)LOG_END);
    }
    if (c->lost_tx)
        return store_fail(err, "store.unavailable",
                          "the connection to PostgreSQL was lost inside a transaction;"
                          " roll it back before using the connection again");
    return 0;
}

static int pg_connect(struct store *s, struct store_conn **out, struct err *err)
{
    struct pg_conn *c = NULL;
    PQconninfoOption *opts;
    char *perr = NULL;

    /* Parse first, and show none of libpq's words on failure: they may quote the token
     * that failed to parse, and that may be the password. */
    if ((opts = PQconninfoParse(s->url, &perr)) == NULL) {
        PQfreemem(perr);
        return store_fail(err, "store.bad_url", "the PostgreSQL URL %s is not valid",
                          store_url_redacted(s));
    }
    PQconninfoFree(opts);
    if ((c = calloc(1, sizeof(*c))) == NULL) {
        store_fail(err, "store.error", "out of memory");
        goto fail;
    }
    c->base.store = s;
    c->pg = PQconnectdb(s->url);
    if (c->pg == NULL || PQstatus(c->pg) != CONNECTION_OK) {
        connect_fail(s, c->pg, err, "cannot connect to");
        goto fail;
    }
    PQsetNoticeProcessor(c->pg, notice_to_log, NULL);
    if (session_setup(c, err) < 0)
        goto fail;
    *out = &c->base;
    return 0;
fail:
    if (c != NULL)
        PQfinish(c->pg);
    free(c);
    return -1;
}

static void pg_disconnect(struct store_conn *base)
{
    struct pg_conn *c = (struct pg_conn *)base;
    PQfinish(c->pg);
    free(c);
}

static int pg_exec(struct store_conn *base, const char *sql, struct err *err)
{
    struct pg_conn *c = (struct pg_conn *)base;
    PGresult *res = NULL;
    int rc = -1;

    if (strcasecmp(sql, "ROLLBACK") == 0 && (c->lost_tx || PQstatus(c->pg) == CONNECTION_BAD)) {
        /* The server rolled back when the session died; nothing left to undo. */
        c->lost_tx = 0;
        c->in_tx = 0;
        return 0;
    }
    if (conn_ready(c, err) < 0)
        return -1;
    res = PQexec(c->pg, sql);
    switch (PQresultStatus(res)) {
    case PGRES_COMMAND_OK:
    case PGRES_TUPLES_OK:
    case PGRES_EMPTY_QUERY:
        break;
    default:
        pg_fail(c, res, err, "SQL failed");
        goto out;
    }
    note_tx(c);
    /* COMMIT of a transaction in which a statement failed succeeds with the tag ROLLBACK:
     * the caller must learn that nothing was written. */
    if (strcasecmp(sql, "COMMIT") == 0 && strcmp(PQcmdStatus(res), "ROLLBACK") == 0) {
        store_fail(err, "store.error",
                   "COMMIT failed: the transaction was rolled back after an earlier error");
        goto out;
    }
    rc = 0;
out:
    PQclear(res);
    return rc;
}

/* ---- statements -------------------------------------------------------------------- */

/* Copy `sql` to `out` (when not NULL) with each `?` placeholder replaced by $1, $2...,
 * and return how many there were. A `?` inside a string literal, a quoted identifier or
 * a comment is text, not a placeholder. A doubled quote ('it''s') closes and reopens the
 * literal, which leaves the state right. Block comments do not nest (as in SQLite). */
static long rewrite_placeholders(const char *sql, char *out)
{
    long n = 0;
    size_t o = 0;
    char quote = 0;
    int line_comment = 0, block_comment = 0;

    for (const char *p = sql; *p != '\0'; p++) {
        size_t take = 1;
        if (quote != 0) {
            if (*p == quote)
                quote = 0;
        } else if (line_comment) {
            if (*p == '\n')
                line_comment = 0;
        } else if (block_comment) {
            if (p[0] == '*' && p[1] == '/') {
                block_comment = 0;
                take = 2;
            }
        } else if (*p == '\'' || *p == '"') {
            quote = *p;
        } else if (p[0] == '-' && p[1] == '-') {
            line_comment = 1;
            take = 2;
        } else if (p[0] == '/' && p[1] == '*') {
            block_comment = 1;
            take = 2;
        } else if (*p == '?') {
            n++;
            if (out != NULL)
                o += (size_t)sprintf(out + o, "$%ld", n);
            continue;
        }
        if (out != NULL)
            memcpy(out + o, p, take);
        o += take;
        p += take - 1;
    }
    if (out != NULL)
        out[o] = '\0';
    return n;
}

/* Prepare (again, after a reconnect) the statement on the server under its name. */
static int prepare_on_server(struct pg_conn *c, struct pg_stmt *st, struct err *err)
{
    PGresult *res = PQprepare(c->pg, st->name, st->sql, 0, NULL);
    int rc = 0;
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        rc = pg_fail(c, res, err, "cannot prepare SQL");
    } else {
        note_tx(c);
        st->generation = c->generation;
    }
    PQclear(res);
    return rc;
}

static void free_blobs(struct pg_stmt *st)
{
    for (int i = 0; st->blobs != NULL && i < st->nblobs; i++)
        PQfreemem(st->blobs[i]);
    free(st->blobs);
    free(st->blob_lens);
    st->blobs = NULL;
    st->blob_lens = NULL;
    st->nblobs = 0;
}

static void pg_reset(struct store_stmt *b)
{
    struct pg_stmt *st = (struct pg_stmt *)b;
    free_blobs(st);
    PQclear(st->res);
    st->res = NULL;
    for (int i = 0; i < st->nparams; i++) {
        free(st->values[i]);
        st->values[i] = NULL;
        st->lengths[i] = 0;
        st->formats[i] = 0;
    }
}

/* Called only when the connection closes (store.c's conn_destroy): the server drops the
 * prepared statement with the session, so no DEALLOCATE round-trip. */
static void pg_finalize(struct store_stmt *b)
{
    struct pg_stmt *st = (struct pg_stmt *)b;
    pg_reset(b);
    free(st->values);
    free(st->lengths);
    free(st->formats);
    free(st->sql);
    free(st);
}

static int pg_prepare(struct store_conn *base, const char *sql, struct store_stmt **out,
                      struct err *err)
{
    struct pg_conn *c = (struct pg_conn *)base;
    struct pg_stmt *st = NULL;
    long n;

    if (conn_ready(c, err) < 0)
        return -1;
    if ((n = rewrite_placeholders(sql, NULL)) > PG_MAX_PARAMS)
        return store_fail(err, "store.error", "cannot prepare SQL: %ld parameters, at most %d", n,
                          PG_MAX_PARAMS);
    if ((st = calloc(1, sizeof(*st))) == NULL)
        goto oom;
    st->base.conn = base;
    st->nparams = (int)n;
    /* "$65535" is five bytes longer than the "?" it replaces. */
    if ((st->sql = malloc(strlen(sql) + 5 * (size_t)n + 1)) == NULL)
        goto oom;
    rewrite_placeholders(sql, st->sql);
    if (n > 0) {
        st->values = calloc((size_t)n, sizeof(*st->values));
        st->lengths = calloc((size_t)n, sizeof(*st->lengths));
        st->formats = calloc((size_t)n, sizeof(*st->formats));
        if (st->values == NULL || st->lengths == NULL || st->formats == NULL)
            goto oom;
    }
    snprintf(st->name, sizeof(st->name), "s%u", ++c->next_name);
    if (prepare_on_server(c, st, err) < 0)
        goto fail;
    *out = &st->base;
    return 0;
oom:
    store_fail(err, "store.error", "out of memory");
fail:
    if (st != NULL)
        pg_finalize(&st->base);
    return -1;
}

/* Take `v` (malloc'd, or NULL for SQL NULL) as parameter `idx`. Like SQLite, binding is
 * refused between the first step and the reset, and outside 1..nparams. */
static int set_param(struct pg_stmt *st, int idx, char *v, size_t len, int format)
{
    if (idx < 1 || idx > st->nparams || st->res != NULL || len > INT32_MAX) {
        free(v);
        return -1;
    }
    free(st->values[idx - 1]);
    st->values[idx - 1] = v;
    st->lengths[idx - 1] = (int)len;
    st->formats[idx - 1] = format;
    return 0;
}

static int pg_bind_int64(struct store_stmt *b, int idx, int64_t v)
{
    char *s = malloc(24);
    if (s == NULL)
        return -1;
    snprintf(s, 24, "%lld", (long long)v);
    return set_param((struct pg_stmt *)b, idx, s, strlen(s), 0);
}

static int pg_bind_text(struct store_stmt *b, int idx, const char *s, size_t len)
{
    /* Text parameters travel NUL-terminated, and PostgreSQL text cannot hold NUL: refuse
     * rather than silently cut the value short. */
    if (memchr(s, '\0', len) != NULL)
        return -1;
    char *copy = malloc(len + 1);
    if (copy == NULL)
        return -1;
    memcpy(copy, s, len);
    copy[len] = '\0';
    return set_param((struct pg_stmt *)b, idx, copy, len, 0);
}

static int pg_bind_blob(struct store_stmt *b, int idx, const void *p, size_t n)
{
    /* Never NULL, even when empty: a NULL value would mean SQL NULL. */
    char *copy = malloc(n > 0 ? n : 1);
    if (copy == NULL)
        return -1;
    if (n > 0)
        memcpy(copy, p, n);
    return set_param((struct pg_stmt *)b, idx, copy, n, 1);
}

static int pg_bind_null(struct store_stmt *b, int idx)
{
    return set_param((struct pg_stmt *)b, idx, NULL, 0, 0);
}

/* Rows changed, for the commands that change rows (a SELECT's count is not a change). */
static int64_t dml_changes(const PGresult *res)
{
    const char *tag = PQcmdStatus((PGresult *)res);
    if (strncmp(tag, "INSERT", 6) != 0 && strncmp(tag, "UPDATE", 6) != 0 &&
        strncmp(tag, "DELETE", 6) != 0 && strncmp(tag, "MERGE", 5) != 0)
        return 0;
    return strtoll(PQcmdTuples((PGresult *)res), NULL, 10);
}

static int execute(struct pg_stmt *st, struct err *err)
{
    struct pg_conn *c = (struct pg_conn *)st->base.conn;
    PGresult *res;

    if (conn_ready(c, err) < 0)
        return -1;
    if (st->generation != c->generation && prepare_on_server(c, st, err) < 0)
        return -1;
    res = PQexecPrepared(c->pg, st->name, st->nparams, (const char *const *)st->values, st->lengths,
                         st->formats, 0);
    switch (PQresultStatus(res)) {
    case PGRES_COMMAND_OK:
    case PGRES_TUPLES_OK:
    case PGRES_EMPTY_QUERY:
        break;
    default:
        pg_fail(c, res, err, "SQL failed");
        PQclear(res);
        return -1;
    }
    note_tx(c);
    st->res = res;
    st->row = 0;
    return 0;
}

static int pg_step(struct store_stmt *b, struct err *err)
{
    struct pg_stmt *st = (struct pg_stmt *)b;
    free_blobs(st);
    if (st->res != NULL && st->row >= PQntuples(st->res)) {
        /* A step after STORE_DONE runs the statement again, as sqlite3_step does. */
        PQclear(st->res);
        st->res = NULL;
    }
    if (st->res == NULL) {
        if (execute(st, err) < 0)
            return -1;
    } else {
        st->row++;
    }
    if (st->row < PQntuples(st->res))
        return STORE_ROW;
    st->changes = dml_changes(st->res);
    return STORE_DONE;
}

/* Whether `col` of the current row exists; out of range reads as NULL, as in SQLite. */
static int have_col(const struct pg_stmt *st, int col)
{
    return st->res != NULL && st->row < PQntuples(st->res) && col >= 0 && col < PQnfields(st->res);
}

static int pg_col_count(struct store_stmt *b)
{
    struct pg_stmt *st = (struct pg_stmt *)b;
    return st->res != NULL ? PQnfields(st->res) : 0;
}

static int pg_col_is_null(struct store_stmt *b, int col)
{
    struct pg_stmt *st = (struct pg_stmt *)b;
    return !have_col(st, col) || PQgetisnull(st->res, st->row, col);
}

static int64_t pg_col_int64(struct store_stmt *b, int col)
{
    struct pg_stmt *st = (struct pg_stmt *)b;
    if (pg_col_is_null(b, col))
        return 0;
    return strtoll(PQgetvalue(st->res, st->row, col), NULL, 10);
}

static const char *pg_col_text(struct store_stmt *b, int col)
{
    struct pg_stmt *st = (struct pg_stmt *)b;
    if (pg_col_is_null(b, col))
        return NULL;
    return PQgetvalue(st->res, st->row, col);
}

static const void *pg_col_blob(struct store_stmt *b, int col, size_t *n)
{
    struct pg_stmt *st = (struct pg_stmt *)b;
    const void *p = NULL;
    size_t len = 0;

    if (pg_col_is_null(b, col))
        goto out;
    if (PQftype(st->res, col) != PG_BYTEA_OID) {
        /* Not bytea: its text is its bytes, as SQLite gives a text column's bytes. */
        p = PQgetvalue(st->res, st->row, col);
        len = (size_t)PQgetlength(st->res, st->row, col);
        goto out;
    }
    if (st->blobs == NULL) {
        st->nblobs = PQnfields(st->res);
        st->blobs = calloc((size_t)st->nblobs, sizeof(*st->blobs));
        st->blob_lens = calloc((size_t)st->nblobs, sizeof(*st->blob_lens));
        if (st->blobs == NULL || st->blob_lens == NULL) {
            free_blobs(st);
            goto out; /* out of memory: no error channel here, reads as empty */
        }
    }
    if (st->blobs[col] == NULL)
        st->blobs[col] = PQunescapeBytea((const unsigned char *)PQgetvalue(st->res, st->row, col),
                                         &st->blob_lens[col]);
    p = st->blobs[col];
    len = p != NULL ? st->blob_lens[col] : 0;
out:
    if (n != NULL)
        *n = len;
    return p;
}

static int64_t pg_changes(struct store_stmt *b)
{
    return ((struct pg_stmt *)b)->changes;
}

/* libpq's state after the last ReadyForQuery: INTRANS or INERROR inside a transaction block. */
static int pg_in_transaction(struct store_conn *base)
{
    return PQtransactionStatus(((struct pg_conn *)base)->pg) != PQTRANS_IDLE;
}

const struct store_backend store_pg_backend = {
    .name = "postgresql",
    .connect = pg_connect,
    .disconnect = pg_disconnect,
    .exec = pg_exec,
    .prepare = pg_prepare,
    .finalize = pg_finalize,
    .bind_int64 = pg_bind_int64,
    .bind_text = pg_bind_text,
    .bind_blob = pg_bind_blob,
    .bind_null = pg_bind_null,
    .step = pg_step,
    .col_count = pg_col_count,
    .col_is_null = pg_col_is_null,
    .col_int64 = pg_col_int64,
    .col_text = pg_col_text,
    .col_blob = pg_col_blob,
    .changes = pg_changes,
    .reset = pg_reset,
    .begin_sql = "BEGIN",
    .in_transaction = pg_in_transaction,
    /* Two nodes starting at once: the second waits here, then finds the version applied. */
    .migrate_lock_sql = "SELECT pg_advisory_xact_lock(4242001)",
};
