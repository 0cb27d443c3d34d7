/*
 * bootstrap.c - the platform's own department at the region and its first administrator,
 * created once at `onewindow init`. The administrator gets a random one-time password and
 * must set up a second factor at first login (staff must).
 */
#include "identity/identity.h"

#include <string.h>

#include "base/arena.h"
#include "crypto/crypto.h"
#include "divisions/divisions.h"

/* A random password of 19 characters (about 110 bits) that meets the staff policy:
 * an upper-case letter, a lower-case letter and a digit first, then base64url. */
static int random_password(char out[IDENTITY_BOOTSTRAP_PW_SIZE])
{
    unsigned char raw[15];
    int rc =
        crypto_random(raw, sizeof(raw)) < 0 || crypto_b64url_encode(raw + 3, 12, out + 3, 17) < 0;
    out[0] = (char)('A' + raw[0] % 26);
    out[1] = (char)('a' + raw[1] % 26);
    out[2] = (char)('2' + raw[2] % 8);
    crypto_wipe(raw, sizeof(raw));
    return rc ? -1 : 0;
}

int identity_bootstrap_admin(struct identity *id, char password[IDENTITY_BOOTSTRAP_PW_SIZE],
                             struct err *err)
{
    int64_t admin_id, dept_id = 0;
    struct err e;
    err_clear(&e);
    password[0] = '\0';
    if (identity_account_find_username(id, "admin", &admin_id, &e) == 0)
        return 0;
    if (strcmp(e.code, "identity.not_found") != 0) {
        *err = e;
        return -1;
    }
    struct arena *a = arena_new(0);
    struct identity_department d;
    int rc = -1;
    if (a == NULL) {
        err_set(err, 500, "identity.oom", "out of memory");
        goto out;
    }
    if (identity_department_find(id, a, "platform", &d, &e) == 0) {
        dept_id = d.id;
    } else if (identity_department_create(id, 0, NULL, "platform", "一体化在线政务服务平台管理",
                                          "དྲ་ཐོག་གཞུང་དོན་ཞབས་ཞུའི་སྟེགས་བུའི་དོ་དམ།",
                                          "Platform administration", DIVISIONS_ROOT, &dept_id,
                                          err) < 0) {
        goto out;
    }
    if (random_password(password) < 0) {
        err_set(err, 500, "identity.random", "no randomness available");
        goto out;
    }
    if (identity_staff_create(id, 0, NULL, "admin", "平台管理员", password, &admin_id, err) < 0 ||
        identity_grant(id, 0, NULL, admin_id, dept_id, ROLE_ADMIN, err) < 0)
        goto out;
    rc = 1;
out:
    if (rc < 0)
        crypto_wipe(password, IDENTITY_BOOTSTRAP_PW_SIZE);
    arena_free(a);
    return rc;
}
