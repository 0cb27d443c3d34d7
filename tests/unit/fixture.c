/*
 * fixture.c - the shared start of unit tests that need a database (see fixture.h).
 */
#include "fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar/calendar.h"
#include "crypto/crypto.h"
#include "divisions/divisions.h"
#include "store/store.h"

static const unsigned char FX_MASTER[CRYPTO_KEY_LEN] = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8};

int fx_db_open(struct fx_db *db, const char *tag, unsigned flags)
{
    char url[128];
    struct err err;
    int n = 0;
    memset(db, 0, sizeof(*db));
    err_clear(&err);
    snprintf(db->dir, sizeof(db->dir), "/tmp/ow-%.20s-XXXXXX", tag);
    if (mkdtemp(db->dir) == NULL) {
        fprintf(stderr, "%s: cannot make a temporary directory\n", tag);
        return -1;
    }
    snprintf(url, sizeof(url), "sqlite:%s/t.db", db->dir);
    if (store_open(url, NULL, &db->s, &err) < 0 || store_migrate(db->s, NULL, &err) < 0 ||
        ((flags & FX_DIVISIONS) && divisions_load_reference(db->s, &n, &err) < 0) ||
        ((flags & FX_CALENDAR) && calendar_load_reference(db->s, &n, &err) < 0) ||
        crypto_keyring_from_master(FX_MASTER, &db->kr) < 0) {
        fprintf(stderr, "%s: %s\n", tag, err.msg[0] ? err.msg : "the keyring did not open");
        return -1;
    }
    return 0;
}

int fx_db_close(struct fx_db *db)
{
    char cmd[96];
    crypto_keyring_close(db->kr);
    store_close(db->s);
    db->kr = NULL;
    db->s = NULL;
    if (db->dir[0] == '\0')
        return 0;
    snprintf(cmd, sizeof(cmd), "rm -rf %s", db->dir);
    return system(cmd) == 0 ? 0 : -1;
}
