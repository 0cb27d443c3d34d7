/* open311_store.c - every SQL statement of the Open311 module, and the key functions. */
#include "open311/open311.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "base/id.h"
#include "crypto/crypto.h"
#include "open311/open311_internal.h"
#include "store/store.h"

static const char SQL_INSERT[] =
    "INSERT INTO open311_keys (id, name, key_hash, created_by, created_at) VALUES (?, ?, ?, ?, ?)";
static const char SQL_CHECK[] = "SELECT id FROM open311_keys WHERE key_hash = ? AND revoked_at = 0";
static const char SQL_REVOKE[] =
    "UPDATE open311_keys SET revoked_at = ? WHERE id = ? AND revoked_at = 0";
static const char SQL_LIST[] =
    "SELECT id, name, created_at, revoked_at FROM open311_keys ORDER BY created_at DESC";

static int key_hash(const char *key, char out[65])
{
    unsigned char h[CRYPTO_SM3_LEN];
    if (crypto_sm3(key, strlen(key), h) < 0)
        return -1;
    return crypto_hex_encode(h, sizeof(h), out, 65) < 0 ? -1 : 0;
}

static size_t chars(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        n += (*p & 0xC0) != 0x80;
    return n;
}

int open311_key_create(struct store *st, int64_t actor, const char *name, char key_out[64],
                       int64_t *key_id, struct err *err)
{
    if (name == NULL || *name == '\0' || chars(name) > 80)
        return err_set(err, 400, "open311.bad_key_name",
                       "a key needs a name of 1 to 80 characters");
    unsigned char raw[32];
    char hash[65];
    if (crypto_random(raw, sizeof(raw)) < 0 ||
        crypto_b64url_encode(raw, sizeof(raw), key_out, 64) < 0 || key_hash(key_out, hash) < 0) {
        crypto_wipe(raw, sizeof(raw));
        return err_set(err, 500, "open311.random", "no randomness available");
    }
    crypto_wipe(raw, sizeof(raw));
    struct store_conn *c = store_conn(st, err);
    if (c == NULL)
        return -1;
    int64_t id = id_next();
    char object[48];
    snprintf(object, sizeof(object), "open311_key:%lld", (long long)id);
    struct audit_event ev = {actor, "open311.key_create", object, "ok", NULL, NULL};
    if (store_begin(c, err) < 0)
        return -1;
    struct store_stmt *s = store_prepare(c, SQL_INSERT, err);
    if (s == NULL)
        goto fail;
    store_bind_int64(s, 1, id);
    store_bind_text(s, 2, name, -1);
    store_bind_text(s, 3, hash, -1);
    store_bind_int64(s, 4, actor);
    store_bind_int64(s, 5, time_now_ms());
    if (store_run(s, NULL, err) < 0 || audit_record(c, &ev, err) < 0)
        goto fail;
    if (store_commit(c, err) < 0)
        return -1;
    if (key_id)
        *key_id = id;
    return 0;
fail:
    store_rollback(c);
    return -1;
}

int open311_key_revoke(struct store *st, int64_t actor, int64_t key_id, struct err *err)
{
    struct store_conn *c = store_conn(st, err);
    if (c == NULL || store_begin(c, err) < 0)
        return -1;
    char object[48];
    snprintf(object, sizeof(object), "open311_key:%lld", (long long)key_id);
    struct audit_event ev = {actor, "open311.key_revoke", object, "ok", NULL, NULL};
    struct store_stmt *s = store_prepare(c, SQL_REVOKE, err);
    int64_t changed = 0;
    if (s == NULL)
        goto fail;
    store_bind_int64(s, 1, time_now_ms());
    store_bind_int64(s, 2, key_id);
    if (store_run(s, &changed, err) < 0)
        goto fail;
    if (changed == 0) {
        err_set(err, 404, "open311.key_not_found", "no active key has this id");
        goto fail;
    }
    if (audit_record(c, &ev, err) < 0)
        goto fail;
    return store_commit(c, err);
fail:
    store_rollback(c);
    return -1;
}

int open311_key_check(struct store *st, const char *key, int64_t *key_id, struct err *err)
{
    *key_id = 0;
    char hash[65];
    if (key == NULL || *key == '\0' || strlen(key) > 128 || key_hash(key, hash) < 0)
        return 0;
    struct store_conn *c = store_conn(st, err);
    struct store_stmt *s = c ? store_prepare(c, SQL_CHECK, err) : NULL;
    if (s == NULL)
        return -1;
    store_bind_text(s, 1, hash, -1);
    int rc = store_step(s, err);
    if (rc == STORE_ROW)
        *key_id = store_col_int64(s, 0);
    store_reset(s);
    return rc < 0 ? -1 : 0;
}

int open311_keys_list(struct store *st, json_t *arr, struct err *err)
{
    struct store_conn *c = store_conn(st, err);
    struct store_stmt *s = c ? store_prepare(c, SQL_LIST, err) : NULL;
    if (s == NULL)
        return -1;
    int rc;
    while ((rc = store_step(s, err)) == STORE_ROW)
        json_array_append_new(arr, json_pack("{s:s, s:s, s:I, s:b}", "id", store_col_text(s, 0),
                                             "name", store_col_text(s, 1), "created_at",
                                             (json_int_t)store_col_int64(s, 2), "revoked",
                                             store_col_int64(s, 3) != 0));
    store_reset(s);
    return rc < 0 ? -1 : 0;
}

int open311_cli(struct store *st, int argc, char **argv, struct err *err)
{
    if (argc == 3 && strcmp(argv[0], "key") == 0 && strcmp(argv[1], "create") == 0) {
        char key[64];
        int64_t id;
        if (open311_key_create(st, 0, argv[2], key, &id, err) < 0)
            return 1;
        printf("Open311 API key %lld for %s (shown once): %s\n", (long long)id, argv[2], key);
        return 0;
    }
    if (argc == 3 && strcmp(argv[0], "key") == 0 && strcmp(argv[1], "revoke") == 0) {
        if (open311_key_revoke(st, 0, strtoll(argv[2], NULL, 10), err) < 0)
            return 1;
        printf("key %s revoked\n", argv[2]);
        return 0;
    }
    if (argc == 2 && strcmp(argv[0], "key") == 0 && strcmp(argv[1], "list") == 0) {
        json_t *arr = json_array();
        if (open311_keys_list(st, arr, err) < 0) {
            json_decref(arr);
            return 1;
        }
        size_t i;
        json_t *k;
        json_array_foreach(arr, i, k)
        {
            printf("%s\t%s\t%s\n", json_string_value(json_object_get(k, "id")),
                   json_string_value(json_object_get(k, "name")),
                   json_is_true(json_object_get(k, "revoked")) ? "revoked" : "active");
        }
        json_decref(arr);
        return 0;
    }
    err_usage(err, "open311.usage",
              "usage: onewindow open311 key create NAME | key revoke ID | key list");
    return 2;
}
