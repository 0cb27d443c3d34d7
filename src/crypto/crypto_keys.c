/*
 * crypto_keys.c - the keyring: the data directory's master key file and the subkeys
 * derived from it.
 *
 * DATA/keys/master.key holds 32 random bytes and nothing else. Every key the platform
 * uses for data at rest is derived from it by label (crypto_kdf), so the file is the one
 * thing to back up and to protect: losing it loses every encrypted personal record,
 * leaking it leaks them. Hence the checks on every load (owner, mode, type, size) made
 * on the open descriptor, not on the path, so the file checked is the file read.
 *
 * Creation is crash-safe and race-free: the key is written to a temporary file which is
 * fsynced, then published with link(2) - atomic like rename(2), but it fails instead of
 * replacing a key that another process published in the meantime (two nodes starting
 * together must end up with the same key) - and the directory is fsynced so the name
 * survives a power cut.
 */
#include "crypto/crypto_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "base/log.h"

#define KEY_DIR "keys"
#define KEY_FILE "master.key"

struct crypto_keyring {
    unsigned char master[CRYPTO_KEY_LEN];
    unsigned char subkeys[CRYPTO_SUBKEY_COUNT][CRYPTO_KEY_LEN];
    struct crypto_aead_key aead[CRYPTO_AEAD_USE_COUNT];
};

/* Labels are part of the stored data's key schedule: never change one. */
static const char *const subkey_labels[CRYPTO_SUBKEY_COUNT] = {
    [CRYPTO_SUBKEY_PII_LOOKUP] = "pii-lookup",
    [CRYPTO_SUBKEY_SESSION] = "session",
    [CRYPTO_SUBKEY_CSRF] = "csrf",
    [CRYPTO_SUBKEY_RECOVERY] = "recovery-code",
};
static const char *const aead_labels[CRYPTO_AEAD_USE_COUNT][2] = {
    [CRYPTO_AEAD_PII] = {"pii-enc", "pii-mac"},
    [CRYPTO_AEAD_SECRETS] = {"secret-enc", "secret-mac"},
};

int crypto_keyring_from_master(const unsigned char master[CRYPTO_KEY_LEN],
                               struct crypto_keyring **out)
{
    struct crypto_keyring *kr = calloc(1, sizeof(*kr));
    *out = NULL;
    if (kr == NULL)
        return -1;
    memcpy(kr->master, master, CRYPTO_KEY_LEN);
    for (int i = 0; i < CRYPTO_SUBKEY_COUNT; i++)
        if (crypto_kdf(kr->master, subkey_labels[i], kr->subkeys[i], CRYPTO_KEY_LEN) != 0)
            goto fail;
    for (int i = 0; i < CRYPTO_AEAD_USE_COUNT; i++)
        if (crypto_aead_key_derive(kr->master, aead_labels[i][0], aead_labels[i][1],
                                   &kr->aead[i]) != 0)
            goto fail;
    *out = kr;
    return 0;
fail:
    crypto_keyring_close(kr);
    return -1;
}

void crypto_keyring_close(struct crypto_keyring *kr)
{
    if (kr == NULL)
        return;
    OPENSSL_cleanse(kr, sizeof(*kr));
    free(kr);
}

const unsigned char *crypto_keyring_subkey(const struct crypto_keyring *kr,
                                           enum crypto_subkey which)
{
    if ((int)which < 0 || which >= CRYPTO_SUBKEY_COUNT)
        return NULL;
    return kr->subkeys[which];
}

const struct crypto_aead_key *crypto_keyring_aead(const struct crypto_keyring *kr,
                                                  enum crypto_aead_use use)
{
    if ((int)use < 0 || use >= CRYPTO_AEAD_USE_COUNT)
        return NULL;
    return &kr->aead[use];
}

int crypto_keyring_derive(const struct crypto_keyring *kr, const char *label, void *out, size_t n)
{
    return crypto_kdf(kr->master, label, out, n);
}

/* The checks shared by the key directory and the key file: ours, and closed to group
 * and others. `what` names the object in the sentence. */
static int check_owner_mode(const struct stat *st, const char *path, const char *what,
                            struct err *err)
{
    if (st->st_uid != geteuid())
        return err_set(err, 500, "crypto.keyfile",
                       "The %s %s belongs to uid %ld, not to this process's uid %ld; "
                       "give it to the service account.",
                       what, path, (long)st->st_uid, (long)geteuid());
    if ((st->st_mode & 077) != 0)
        return err_set(err, 500, "crypto.keyfile",
                       "The %s %s is open to group or others (mode %04o); run chmod %s on it "
                       "and check who may have read it.",
                       what, path, (unsigned)(st->st_mode & 07777),
                       S_ISDIR(st->st_mode) ? "700" : "600");
    return 0;
}

/* Read and check the key file through the directory descriptor. Returns 0, -1 with
 * err, or 1 when the file does not exist. */
static int load_key(int dfd, const char *path, unsigned char master[CRYPTO_KEY_LEN],
                    struct err *err)
{
    struct stat st;
    size_t got = 0;
    int rc = -1;
    int fd = openat(dfd, KEY_FILE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);

    if (fd < 0) {
        if (errno == ENOENT)
            return 1;
        if (errno == ELOOP)
            return err_set(err, 500, "crypto.keyfile",
                           "The key file %s is a symbolic link; put the key file itself "
                           "there.",
                           path);
        return err_set(err, 500, "crypto.keyfile", "The key file %s cannot be opened: %s.", path,
                       strerror(errno));
    }
    if (fstat(fd, &st) != 0) {
        err_set(err, 500, "crypto.keyfile", "The key file %s cannot be examined: %s.", path,
                strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        err_set(err, 500, "crypto.keyfile", "The key file %s is not a regular file.", path);
        goto out;
    }
    if (check_owner_mode(&st, path, "key file", err) != 0)
        goto out;
    if (st.st_size != CRYPTO_KEY_LEN) {
        err_set(err, 500, "crypto.keyfile",
                "The key file %s has %lld bytes instead of %d: it is damaged or not a "
                "onewindow master key; restore it from the backup.",
                path, (long long)st.st_size, CRYPTO_KEY_LEN);
        goto out;
    }
    while (got < CRYPTO_KEY_LEN) {
        ssize_t r = read(fd, master + got, CRYPTO_KEY_LEN - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            err_set(err, 500, "crypto.keyfile", "The key file %s cannot be read: %s.", path,
                    r < 0 ? strerror(errno) : "it is shorter than it was a moment ago");
            OPENSSL_cleanse(master, CRYPTO_KEY_LEN);
            goto out;
        }
        got += (size_t)r;
    }
    rc = 0;
out:
    close(fd);
    return rc;
}

static int write_all(int fd, const unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Create the key file with a fresh key. 0 when a key file exists afterwards (ours or
 * one another process published first), -1 with err otherwise. */
static int create_key(int dfd, const char *path, struct err *err)
{
    unsigned char key[CRYPTO_KEY_LEN], suffix[8];
    char tmp[64] = "", hex[2 * sizeof(suffix) + 1];
    int fd = -1, rc = -1, published = 0;

    if (crypto_random(key, sizeof(key)) != 0 || crypto_random(suffix, sizeof(suffix)) != 0 ||
        crypto_hex_encode(suffix, sizeof(suffix), hex, sizeof(hex)) < 0) {
        err_set(err, 500, "crypto.keyfile", "The random generator failed; no key was made.");
        goto out;
    }
    snprintf(tmp, sizeof(tmp), ".%s.%s.tmp", KEY_FILE, hex);
    fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        err_set(err, 500, "crypto.keyfile", "A new key file cannot be created next to %s: %s.",
                path, strerror(errno));
        goto out;
    }
    /* 0600 whatever the umask. */
    if (fchmod(fd, 0600) != 0 || write_all(fd, key, sizeof(key)) != 0 || fsync(fd) != 0) {
        err_set(err, 500, "crypto.keyfile", "The new key file for %s cannot be written: %s.", path,
                strerror(errno));
        goto out;
    }
    if (close(fd) != 0) {
        fd = -1;
        err_set(err, 500, "crypto.keyfile", "The new key file for %s cannot be written: %s.", path,
                strerror(errno));
        goto out;
    }
    fd = -1;
    if (linkat(dfd, tmp, dfd, KEY_FILE, 0) == 0) {
        published = 1;
    } else if (errno != EEXIST) {
        err_set(err, 500, "crypto.keyfile", "The new key file %s cannot be published: %s.", path,
                strerror(errno));
        goto out;
    }
    if (unlinkat(dfd, tmp, 0) != 0 || fsync(dfd) != 0) {
        err_set(err, 500, "crypto.keyfile", "The key directory of %s cannot be synced: %s.", path,
                strerror(errno));
        goto out;
    }
    if (published)
        log_kv(LOG_WARN, "created a new master key: back it up, it cannot be recreated", "path",
               path, (char *)LOG_END);
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    if (rc != 0 && tmp[0] != '\0')
        unlinkat(dfd, tmp, 0);
    OPENSSL_cleanse(key, sizeof(key));
    return rc;
}

/* Open DATA/keys, creating it (0700) if missing, and check it. Returns the directory's
 * descriptor or -1 with err. */
static int open_key_dir(const char *data_dir, const char *dir, struct err *err)
{
    struct stat st;
    int dfd = -1, created = 0;

    if (stat(data_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        err_set(err, 500, "crypto.keyfile", "The data directory %s does not exist.", data_dir);
        goto fail;
    }
    if (mkdir(dir, 0700) == 0) {
        created = 1;
    } else if (errno != EEXIST) {
        err_set(err, 500, "crypto.keyfile", "The key directory %s cannot be created: %s.", dir,
                strerror(errno));
        goto fail;
    }
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0) {
        err_set(err, 500, "crypto.keyfile", "The key directory %s cannot be opened: %s%s.", dir,
                strerror(errno), errno == ELOOP ? " (a symbolic link is not accepted)" : "");
        goto fail;
    }
    if (created) {
        /* Make the new directory entry durable before a key is written into it. */
        int pfd = open(data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int synced = pfd >= 0 && fchmod(dfd, 0700) == 0 && fsync(pfd) == 0;
        if (pfd >= 0)
            close(pfd);
        if (!synced) {
            err_set(err, 500, "crypto.keyfile", "The key directory %s cannot be synced: %s.", dir,
                    strerror(errno));
            goto fail;
        }
    }
    if (fstat(dfd, &st) != 0) {
        err_set(err, 500, "crypto.keyfile", "The key directory %s cannot be examined: %s.", dir,
                strerror(errno));
        goto fail;
    }
    if (check_owner_mode(&st, dir, "key directory", err) != 0)
        goto fail;
    return dfd;
fail:
    if (dfd >= 0)
        close(dfd);
    return -1;
}

int crypto_keyring_open(const char *data_dir, struct crypto_keyring **out, struct err *err)
{
    char dir[PATH_MAX], path[PATH_MAX];
    unsigned char master[CRYPTO_KEY_LEN];
    int dfd = -1, rc = -1, r;

    *out = NULL;
    if ((size_t)snprintf(dir, sizeof(dir), "%s/%s", data_dir, KEY_DIR) >= sizeof(dir) ||
        (size_t)snprintf(path, sizeof(path), "%s/%s", dir, KEY_FILE) >= sizeof(path)) {
        err_set(err, 500, "crypto.keyfile", "The data directory path is too long.");
        goto out;
    }
    if ((dfd = open_key_dir(data_dir, dir, err)) < 0)
        goto out;
    if ((r = load_key(dfd, path, master, err)) == 1) {
        if (create_key(dfd, path, err) != 0)
            goto out;
        /* Read back what is now published (ours, or a concurrent creator's), through the
         * same checks as every later start. */
        if ((r = load_key(dfd, path, master, err)) == 1)
            err_set(err, 500, "crypto.keyfile", "The key file %s vanished after creation.", path);
    }
    if (r != 0)
        goto out;
    if (crypto_keyring_from_master(master, out) != 0) {
        err_set(err, 500, "crypto.error", "The subkeys cannot be derived from %s.", path);
        goto out;
    }
    rc = 0;
out:
    OPENSSL_cleanse(master, sizeof(master));
    if (dfd >= 0)
        close(dfd);
    return rc;
}
