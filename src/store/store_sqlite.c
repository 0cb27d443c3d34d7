/*
 * store_sqlite.c - the SQLite backend of store.h.
 *
 * Each connection opens the database file with WAL journaling, synchronous=FULL (an
 * acknowledged commit survives power loss: WAL is fsynced at every commit), a busy timeout,
 * foreign keys on and secure_delete (freed pages that held personal data are zeroed).
 * SQLite itself is built thread-safe; we still use one connection per thread
 * (SQLITE_OPEN_NOMUTEX), as store.h requires.
 */
#include "store/store_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sqlite_conn {
    struct store_conn base;
    sqlite3 *db;
};

struct sqlite_stmt {
    struct store_stmt base;
    sqlite3_stmt *st;
    int64_t changes;
};

/* Is the database's file system (nearly) full, or its files at the process's file-size
 * limit (RLIMIT_FSIZE)? */
static int out_of_space(sqlite3 *db)
{
    const char *path = db ? sqlite3_db_filename(db, "main") : NULL;
    if (path == NULL || *path == '\0')
        return 0;
    struct statvfs v;
    if (statvfs(path, &v) == 0 && (uint64_t)v.f_bavail * v.f_frsize < (16u << 20))
        return 1;
    struct rlimit rl;
    if (getrlimit(RLIMIT_FSIZE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
        return 0;
    char wal[4096];
    snprintf(wal, sizeof(wal), "%s-wal", path);
    struct stat a, b;
    off_t biggest = stat(path, &a) == 0 ? a.st_size : 0;
    if (stat(wal, &b) == 0 && b.st_size > biggest)
        biggest = b.st_size;
    return (uint64_t)biggest + (1u << 20) >= (uint64_t)rl.rlim_cur;
}

static int sqlite_fail(sqlite3 *db, int rc, struct err *err, const char *what)
{
    int ext = db ? sqlite3_extended_errcode(db) : rc;
    const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    /* SQLite says SQLITE_FULL only for ENOSPC on some writes; a write refused for the
     * file-size limit (EFBIG), a quota or a nearly full file system is a disk I/O error
     * to it, and its errno is gone by now: look at the space itself. */
    if (ext == SQLITE_IOERR_WRITE && out_of_space(db))
        return store_fail(err, "store.full", "%s: the disk is full (%s)", what, msg);
    switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
        if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY)
            return store_fail(err, "store.conflict", "%s: %s", what, msg);
        return store_fail(err, "store.error", "%s: %s", what, msg);
    case SQLITE_FULL:
        return store_fail(err, "store.full", "%s: the disk is full (%s)", what, msg);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return store_fail(err, "store.busy", "%s: the database is busy (%s)", what, msg);
    case SQLITE_CANTOPEN:
    case SQLITE_NOTADB:
    case SQLITE_PERM:
    case SQLITE_READONLY:
        return store_fail(err, "store.unavailable", "%s: %s", what, msg);
    default:
        return store_fail(err, "store.error", "%s: %s", what, msg);
    }
}

static int sq_connect(struct store *s, struct store_conn **out, struct err *err)
{
    struct sqlite_conn *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return store_fail(err, "store.error", "out of memory");
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI;
    int rc = sqlite3_open_v2(s->sqlite_path, &c->db, flags, NULL);
    if (rc != SQLITE_OK) {
        char what[600];
        snprintf(what, sizeof(what), "cannot open the SQLite database %s", s->sqlite_path);
        sqlite_fail(c->db, rc, err, what);
        sqlite3_close(c->db);
        free(c);
        return -1;
    }
    sqlite3_busy_timeout(c->db, s->opt.busy_timeout_ms);
    sqlite3_extended_result_codes(c->db, 1);
    /* Group commit: SQLite skips the per-commit fsync, sqlite_durable() does it for many. */
    const char *pragmas = !s->opt.sync_normal && !s->opt.group_commit
                              ? "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                                " PRAGMA foreign_keys=ON; PRAGMA secure_delete=ON;"
                              : "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                                " PRAGMA foreign_keys=ON; PRAGMA secure_delete=ON;";
    char *msg = NULL;
    rc = sqlite3_exec(c->db, pragmas, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        char what[600];
        snprintf(what, sizeof(what), "cannot set up the SQLite database %s", s->sqlite_path);
        sqlite_fail(c->db, rc, err, what);
        sqlite3_free(msg);
        sqlite3_close(c->db);
        free(c);
        return -1;
    }
    *out = &c->base;
    return 0;
}

/*
 * Group commit. With synchronous=NORMAL a WAL commit writes its frames to the -wal file
 * but does not sync it. A commit is durable once an fdatasync of that file has begun
 * after the commit completed: fdatasync writes every dirty page of the file, whatever
 * descriptor it is called on (Linux syncs the inode). So each committer takes a ticket
 * after COMMIT returns; the first to find no sync running syncs for everyone whose ticket
 * was taken before it began, and the rest wait for a sync that covers their ticket.
 * The -wal file keeps its inode while this process holds connections (SQLite deletes it
 * only when the last connection closes); a changed inode is noticed and reopened.
 */
static int wal_fd(struct store *s, struct err *err)
{
    char path[4200];
    struct stat a, b;
    snprintf(path, sizeof(path), "%s-wal", s->sqlite_path);
    if (s->wal_fd >= 0 && fstat(s->wal_fd, &a) == 0 && stat(path, &b) == 0 &&
        a.st_ino == b.st_ino && a.st_dev == b.st_dev)
        return s->wal_fd;
    if (s->wal_fd >= 0)
        close(s->wal_fd);
    s->wal_fd = open(path, O_RDONLY | O_CLOEXEC);
    if (s->wal_fd < 0)
        return store_fail(err, "store.error", "cannot open %s to sync it: %s", path,
                          strerror(errno));
    return s->wal_fd;
}

static int sqlite_durable(struct store_conn *base, struct err *err)
{
    struct store *s = base->store;
    int rc = 0;
    pthread_mutex_lock(&s->sync_lock);
    uint64_t ticket = ++s->sync_committed;
    while (s->sync_durable < ticket && rc == 0) {
        if (s->sync_running) {
            pthread_cond_wait(&s->sync_cond, &s->sync_lock);
            continue;
        }
        s->sync_running = 1;
        uint64_t covers = s->sync_committed;
        int fd = wal_fd(s, err);
        pthread_mutex_unlock(&s->sync_lock);
        if (fd < 0)
            rc = -1;
        else if (fdatasync(fd) != 0)
            rc = store_fail(err, errno == ENOSPC ? "store.full" : "store.error",
                            "cannot sync the write-ahead log: %s", strerror(errno));
        pthread_mutex_lock(&s->sync_lock);
        s->sync_running = 0;
        if (rc == 0 && covers > s->sync_durable)
            s->sync_durable = covers;
        pthread_cond_broadcast(&s->sync_cond);
    }
    pthread_mutex_unlock(&s->sync_lock);
    return rc;
}

static void sq_disconnect(struct store_conn *base)
{
    struct sqlite_conn *c = (struct sqlite_conn *)base;
    sqlite3_close_v2(c->db);
    free(c);
}

static int sq_exec(struct store_conn *base, const char *sql, struct err *err)
{
    struct sqlite_conn *c = (struct sqlite_conn *)base;
    char *msg = NULL;
    int rc = sqlite3_exec(c->db, sql, NULL, NULL, &msg);
    sqlite3_free(msg);
    if (rc != SQLITE_OK)
        return sqlite_fail(c->db, rc, err, "SQL failed");
    return 0;
}

static int sq_prepare(struct store_conn *base, const char *sql, struct store_stmt **out,
                      struct err *err)
{
    struct sqlite_conn *c = (struct sqlite_conn *)base;
    struct sqlite_stmt *st = calloc(1, sizeof(*st));
    if (st == NULL)
        return store_fail(err, "store.error", "out of memory");
    int rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st->st, NULL);
    if (rc != SQLITE_OK) {
        sqlite_fail(c->db, rc, err, "cannot prepare SQL");
        free(st);
        return -1;
    }
    *out = &st->base;
    return 0;
}

static void sq_finalize(struct store_stmt *base)
{
    struct sqlite_stmt *st = (struct sqlite_stmt *)base;
    sqlite3_finalize(st->st);
    free(st);
}

static int sq_rc(int rc)
{
    return rc == SQLITE_OK ? 0 : -1;
}

static int sq_bind_int64(struct store_stmt *b, int idx, int64_t v)
{
    return sq_rc(sqlite3_bind_int64(((struct sqlite_stmt *)b)->st, idx, v));
}

static int sq_bind_text(struct store_stmt *b, int idx, const char *s, size_t len)
{
    return sq_rc(sqlite3_bind_text64(((struct sqlite_stmt *)b)->st, idx, s, len, SQLITE_TRANSIENT,
                                     SQLITE_UTF8));
}

static int sq_bind_blob(struct store_stmt *b, int idx, const void *p, size_t n)
{
    return sq_rc(
        sqlite3_bind_blob64(((struct sqlite_stmt *)b)->st, idx, n ? p : "", n, SQLITE_TRANSIENT));
}

static int sq_bind_null(struct store_stmt *b, int idx)
{
    return sq_rc(sqlite3_bind_null(((struct sqlite_stmt *)b)->st, idx));
}

static int sq_step(struct store_stmt *b, struct err *err)
{
    struct sqlite_stmt *st = (struct sqlite_stmt *)b;
    int rc = sqlite3_step(st->st);
    if (rc == SQLITE_ROW)
        return STORE_ROW;
    sqlite3 *db = sqlite3_db_handle(st->st);
    if (rc == SQLITE_DONE) {
        st->changes = sqlite3_changes64(db);
        /* A write outside a transaction committed by itself: under group commit it must
         * reach the disk before the caller acknowledges it, like store_commit. */
        if (b->conn->store->opt.group_commit && !sqlite3_stmt_readonly(st->st) &&
            sqlite3_get_autocommit(db) && sqlite_durable(b->conn, err) < 0)
            return -1;
        return STORE_DONE;
    }
    return sqlite_fail(db, rc, err, "SQL failed");
}

static int sq_col_count(struct store_stmt *b)
{
    return sqlite3_column_count(((struct sqlite_stmt *)b)->st);
}

static int sq_col_is_null(struct store_stmt *b, int col)
{
    return sqlite3_column_type(((struct sqlite_stmt *)b)->st, col) == SQLITE_NULL;
}

static int64_t sq_col_int64(struct store_stmt *b, int col)
{
    return sqlite3_column_int64(((struct sqlite_stmt *)b)->st, col);
}

static const char *sq_col_text(struct store_stmt *b, int col)
{
    return (const char *)sqlite3_column_text(((struct sqlite_stmt *)b)->st, col);
}

static const void *sq_col_blob(struct store_stmt *b, int col, size_t *n)
{
    sqlite3_stmt *st = ((struct sqlite_stmt *)b)->st;
    const void *p = sqlite3_column_blob(st, col);
    if (n != NULL)
        *n = (size_t)sqlite3_column_bytes(st, col);
    return p;
}

static int64_t sq_changes(struct store_stmt *b)
{
    return ((struct sqlite_stmt *)b)->changes;
}

static void sq_reset(struct store_stmt *b)
{
    struct sqlite_stmt *st = (struct sqlite_stmt *)b;
    sqlite3_reset(st->st);
    sqlite3_clear_bindings(st->st);
}

static int sq_in_transaction(struct store_conn *base)
{
    return !sqlite3_get_autocommit(((struct sqlite_conn *)base)->db);
}

const struct store_backend store_sqlite_backend = {
    .name = "sqlite",
    .connect = sq_connect,
    .disconnect = sq_disconnect,
    .exec = sq_exec,
    .prepare = sq_prepare,
    .finalize = sq_finalize,
    .bind_int64 = sq_bind_int64,
    .bind_text = sq_bind_text,
    .bind_blob = sq_bind_blob,
    .bind_null = sq_bind_null,
    .step = sq_step,
    .col_count = sq_col_count,
    .col_is_null = sq_col_is_null,
    .col_int64 = sq_col_int64,
    .col_text = sq_col_text,
    .col_blob = sq_col_blob,
    .changes = sq_changes,
    .reset = sq_reset,
    .durable = sqlite_durable,
    .begin_sql = "BEGIN IMMEDIATE",
    .in_transaction = sq_in_transaction,
    .migrate_lock_sql = NULL,
};
