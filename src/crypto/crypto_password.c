/*
 * crypto_password.c - password hashing with argon2id (libargon2, RFC 9106) behind a
 * bounded gate.
 *
 * A hash costs m_cost of memory (64 MiB by default) for ~120 ms. Unbounded, a login
 * flood of 1000 requests would ask for 64 GiB at once; the gate lets at most
 * `max_concurrent` hashes run (by default one per CPU, which is also where throughput
 * stops growing) and queues the rest, so memory use is capped at max_concurrent x m_cost.
 * Throttling failed logins per account and per address is the caller's job; the gate
 * only keeps the process alive.
 *
 * Stored hashes are PHC strings; verify reads the parameters from the string, so old
 * hashes keep working after the parameters change, and needs_rehash tells the caller to
 * upgrade them at the next successful login. Parameters read from a stored string are
 * bounded before libargon2 sees them: a tampered row must not be able to ask for
 * terabytes.
 */
#include "crypto/crypto_internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <argon2.h>
#include <openssl/crypto.h>

#define SALT_LEN 16
#define HASH_LEN 32
#define MAX_M_KIB (1024u * 1024) /* 1 GiB */
#define MAX_T 64u
#define MAX_P 16u
#define MAX_GATE 256u

struct crypto_pwhash {
    struct crypto_password_params params;
    pthread_mutex_t lock;
    pthread_cond_t free_slot;
    unsigned max, running, waiting, peak; /* under lock */
};

static int params_ok(const struct crypto_password_params *p)
{
    return p->t_cost >= 1 && p->t_cost <= MAX_T && p->parallelism >= 1 && p->parallelism <= MAX_P &&
           p->m_cost_kib >= 8 * p->parallelism && p->m_cost_kib <= MAX_M_KIB;
}

int crypto_pwhash_new(const struct crypto_password_params *params, unsigned max_concurrent,
                      struct crypto_pwhash **out, struct err *err)
{
    struct crypto_pwhash *ph = NULL;
    struct crypto_password_params p = params != NULL ? *params : CRYPTO_PASSWORD_DEFAULT;

    *out = NULL;
    if (!params_ok(&p))
        return err_set(err, 400, "crypto.bad_password_params",
                       "Password hashing needs 1 <= t <= %u, 1 <= p <= %u and "
                       "8p KiB <= m <= %u KiB.",
                       MAX_T, MAX_P, MAX_M_KIB);
    if (max_concurrent == 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        max_concurrent = cpus > 0 ? (unsigned)cpus : 1;
    }
    if (max_concurrent > MAX_GATE)
        max_concurrent = MAX_GATE;
    if ((ph = calloc(1, sizeof(*ph))) == NULL)
        return err_set(err, 500, "crypto.error", "Out of memory.");
    ph->params = p;
    ph->max = max_concurrent;
    if (pthread_mutex_init(&ph->lock, NULL) != 0) {
        free(ph);
        return err_set(err, 500, "crypto.error", "A lock cannot be created.");
    }
    if (pthread_cond_init(&ph->free_slot, NULL) != 0) {
        pthread_mutex_destroy(&ph->lock);
        free(ph);
        return err_set(err, 500, "crypto.error", "A condition variable cannot be created.");
    }
    *out = ph;
    return 0;
}

void crypto_pwhash_free(struct crypto_pwhash *ph)
{
    if (ph == NULL)
        return;
    pthread_cond_destroy(&ph->free_slot);
    pthread_mutex_destroy(&ph->lock);
    free(ph);
}

void crypto_pwhash_stats(struct crypto_pwhash *ph, struct crypto_pwhash_stats *st)
{
    pthread_mutex_lock(&ph->lock);
    st->max_concurrent = ph->max;
    st->running = ph->running;
    st->waiting = ph->waiting;
    st->peak = ph->peak;
    pthread_mutex_unlock(&ph->lock);
}

static void gate_enter(struct crypto_pwhash *ph)
{
    pthread_mutex_lock(&ph->lock);
    ph->waiting++;
    while (ph->running >= ph->max)
        pthread_cond_wait(&ph->free_slot, &ph->lock);
    ph->waiting--;
    ph->running++;
    if (ph->running > ph->peak)
        ph->peak = ph->running;
    pthread_mutex_unlock(&ph->lock);
}

static void gate_leave(struct crypto_pwhash *ph)
{
    pthread_mutex_lock(&ph->lock);
    ph->running--;
    pthread_cond_signal(&ph->free_slot);
    pthread_mutex_unlock(&ph->lock);
}

int crypto_password_hash(struct crypto_pwhash *ph, const char *password, size_t len, char *out,
                         size_t out_size)
{
    const struct crypto_password_params *p = &ph->params;
    unsigned char salt[SALT_LEN];
    int r;

    if (len > CRYPTO_PASSWORD_MAX || (password == NULL && len > 0))
        return -1;
    if (argon2_encodedlen(p->t_cost, p->m_cost_kib, p->parallelism, SALT_LEN, HASH_LEN, Argon2_id) >
        out_size)
        return -1;
    if (crypto_random(salt, sizeof(salt)) != 0)
        return -1;
    gate_enter(ph);
    r = argon2id_hash_encoded(p->t_cost, p->m_cost_kib, p->parallelism, password, len, salt,
                              SALT_LEN, HASH_LEN, out, out_size);
    gate_leave(ph);
    if (r != ARGON2_OK) {
        OPENSSL_cleanse(out, out_size);
        return -1;
    }
    return 0;
}

/* A decimal uint32 without sign or leading zeros, followed by `end`. Advances *s. */
static int parse_u32(const char **s, char end, uint32_t *v)
{
    const char *p = *s;
    uint64_t x = 0;
    if (*p < '0' || *p > '9' || (*p == '0' && p[1] != end))
        return -1;
    for (; *p >= '0' && *p <= '9'; p++) {
        x = x * 10 + (uint64_t)(*p - '0');
        if (x > UINT32_MAX)
            return -1;
    }
    if (*p != end)
        return -1;
    *v = (uint32_t)x;
    *s = p + 1;
    return 0;
}

/* Read "$argon2id$v=V$m=M,t=T,p=P$salt$hash" up to the salt. -1 if it is not that. */
static int parse_phc(const char *s, uint32_t *version, struct crypto_password_params *p)
{
    static const char prefix[] = "$argon2id$v=";
    if (s == NULL || strncmp(s, prefix, sizeof(prefix) - 1) != 0)
        return -1;
    s += sizeof(prefix) - 1;
    if (parse_u32(&s, '$', version) != 0 || strncmp(s, "m=", 2) != 0)
        return -1;
    s += 2;
    if (parse_u32(&s, ',', &p->m_cost_kib) != 0 || strncmp(s, "t=", 2) != 0)
        return -1;
    s += 2;
    if (parse_u32(&s, ',', &p->t_cost) != 0 || strncmp(s, "p=", 2) != 0)
        return -1;
    s += 2;
    if (parse_u32(&s, '$', &p->parallelism) != 0 || strchr(s, '$') == NULL)
        return -1;
    return 0;
}

int crypto_password_verify(struct crypto_pwhash *ph, const char *encoded, const char *password,
                           size_t len, struct err *err)
{
    struct crypto_password_params stored;
    uint32_t version = 0;
    int r;

    if (parse_phc(encoded, &version, &stored) != 0 || version != ARGON2_VERSION_13 ||
        !params_ok(&stored) || strlen(encoded) >= CRYPTO_PASSWORD_HASH_SIZE)
        return err_set(err, 500, "crypto.password_hash_invalid",
                       "The stored password hash is not an argon2id v19 hash within the "
                       "accepted parameters.");
    /* A longer password cannot have been hashed: it does not match. */
    if (len > CRYPTO_PASSWORD_MAX || (password == NULL && len > 0))
        return err_set(err, 401, "crypto.password_mismatch", "The password does not match.");
    gate_enter(ph);
    r = argon2id_verify(encoded, password, len);
    gate_leave(ph);
    if (r == ARGON2_OK)
        return 0;
    if (r == ARGON2_VERIFY_MISMATCH)
        return err_set(err, 401, "crypto.password_mismatch", "The password does not match.");
    if (r == ARGON2_DECODING_FAIL || r == ARGON2_DECODING_LENGTH_FAIL ||
        r == ARGON2_SALT_TOO_SHORT || r == ARGON2_OUTPUT_TOO_SHORT)
        return err_set(err, 500, "crypto.password_hash_invalid",
                       "The stored password hash cannot be decoded (%s).", argon2_error_message(r));
    return err_set(err, 500, "crypto.error", "Password verification failed: %s.",
                   argon2_error_message(r));
}

int crypto_password_needs_rehash(const struct crypto_pwhash *ph, const char *encoded)
{
    struct crypto_password_params stored;
    uint32_t version = 0;
    if (parse_phc(encoded, &version, &stored) != 0 || version != ARGON2_VERSION_13)
        return 1;
    return stored.t_cost != ph->params.t_cost || stored.m_cost_kib != ph->params.m_cost_kib ||
           stored.parallelism != ph->params.parallelism;
}
