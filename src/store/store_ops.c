/*
 * store_ops.c - what operations ask of the database (src/app/backup.c, doctor.c):
 * whether it is empty, the database server's clock, and a consistent copy of a SQLite
 * database while it is being written
 * (SQLite's online backup API, https://www.sqlite.org/backup.html): pages are copied in
 * steps; a write by another connection between steps restarts the copy from where the
 * database changed, so the result is one committed state. Used by `onewindow backup` and
 * `onewindow restore` (src/app/backup.c).
 */
#include "store/store.h"

#include <string.h>

#include <sqlite3.h>
#include <stdio.h>
#include <unistd.h>

int store_sqlite_copy(const char *src_path, const char *dst_path, struct err *err)
{
    sqlite3 *src = NULL, *dst = NULL;
    sqlite3_backup *b = NULL;
    int rc = -1;
    if (sqlite3_open_v2(src_path, &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        err_set(err, 500, "backup.open", "cannot open the database %s: %s", src_path,
                src ? sqlite3_errmsg(src) : "out of memory");
        goto fail;
    }
    sqlite3_busy_timeout(src, 5000);
    if (sqlite3_open_v2(dst_path, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        err_set(err, 500, "backup.open", "cannot create %s: %s", dst_path,
                dst ? sqlite3_errmsg(dst) : "out of memory");
        goto fail;
    }
    b = sqlite3_backup_init(dst, "main", src, "main");
    if (b == NULL) {
        err_set(err, 500, "backup.copy", "cannot start the copy: %s", sqlite3_errmsg(dst));
        goto fail;
    }
    int step;
    /* 256 pages a step; between steps the server's writers get the database. */
    while ((step = sqlite3_backup_step(b, 256)) == SQLITE_OK || step == SQLITE_BUSY ||
           step == SQLITE_LOCKED)
        if (step != SQLITE_OK)
            usleep(10 * 1000);
    if (step != SQLITE_DONE) {
        err_set(err, 500, "backup.copy", "the copy failed: %s", sqlite3_errstr(step));
        goto fail;
    }
    sqlite3_backup_finish(b);
    b = NULL;
    /* The copy is a self-contained file: no WAL beside it. */
    if (sqlite3_exec(dst, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL) != SQLITE_OK) {
        err_set(err, 500, "backup.copy", "cannot finish the copy: %s", sqlite3_errmsg(dst));
        goto fail;
    }
    rc = 0;
fail:
    if (b != NULL)
        sqlite3_backup_finish(b);
    sqlite3_close(dst);
    sqlite3_close(src);
    return rc;
}

int store_has_tables(struct store *s, int *has, struct err *err)
{
    struct store_conn *c = store_conn(s, err);
    if (c == NULL)
        return -1;
    const char *sql = strcmp(store_kind_name(s), "postgresql") == 0
                          ? "SELECT count(*) FROM information_schema.tables WHERE "
                            "table_schema = 'public'"
                          : "SELECT count(*) FROM sqlite_master WHERE type = 'table'";
    int64_t n = 0;
    if (store_scalar_int64(c, sql, &n, err) != 1)
        return -1;
    *has = n > 0;
    return 0;
}

int store_clock_ms(struct store *s, int64_t *ms, struct err *err)
{
    struct store_conn *c = store_conn(s, err);
    if (c == NULL)
        return -1;
    const char *sql = strcmp(store_kind_name(s), "postgresql") == 0
                          ? "SELECT CAST(extract(epoch FROM clock_timestamp()) * 1000 AS BIGINT)"
                          : "SELECT CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)";
    return store_scalar_int64(c, sql, ms, err) == 1 ? 0 : -1;
}
