/*
 * fixture.h - what most unit tests start from: a temporary directory, a migrated store in it
 * and a keyring from a fixed test key, with the reference data a test asks for. Shared by
 * every test that needs a database (linked into each test binary by the Makefile).
 */
#ifndef ONEWINDOW_TESTS_FIXTURE_H
#define ONEWINDOW_TESTS_FIXTURE_H

struct store;
struct crypto_keyring;

struct fx_db {
    char dir[64];
    struct store *s;
    struct crypto_keyring *kr;
};

enum {
    FX_DIVISIONS = 1, /* load the division codes (data/xizang-divisions.csv) */
    FX_CALENDAR = 2,  /* load the working-day calendar */
};

/* Make the directory /tmp/ow-TAG-XXXXXX, open sqlite:DIR/t.db, migrate it, load what
 * `flags` asks for and open the keyring. 0, or -1 with the reason on stderr. */
int fx_db_open(struct fx_db *db, const char *tag, unsigned flags);
/* Close the keyring and the store, and remove the directory. 0, or -1 if it would not go. */
int fx_db_close(struct fx_db *db);

#endif
