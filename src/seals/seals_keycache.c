/*
 * seals_keycache.c - decoded seal keys kept in memory (issue 19), and the generation
 * counter that tells verification caches a seal's status changed.
 *
 * Opening a seal's key means an SM4/HMAC-SM3 AEAD open and a PEM parse; the payment
 * notification path signs its receipt twice per notice. The cache holds a share of the
 * decoded key (crypto_key_share) under (keyring, seal id, the sealed key's bytes): the
 * stored bytes are the key's version, so a key that changed in the database is a miss.
 * Status is not cached here: seals_sign reads the seal's row (and its status) on every
 * signature; a status change also drops the entry. Bounded (direct-mapped), thread-safe.
 */
#include "seals/seals_internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"

#define KEYCACHE_SLOTS 64

struct keycache_slot {
    const struct crypto_keyring *kr;
    int64_t seal_id;
    unsigned char *sealed; /* a copy of the stored (sealed) key: the version */
    size_t n;
    struct crypto_key *key;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct keycache_slot slots[KEYCACHE_SLOTS];
static uint64_t generation;

uint64_t seals_generation(void)
{
    return __atomic_load_n(&generation, __ATOMIC_ACQUIRE);
}

void seals_bump_generation(void)
{
    __atomic_add_fetch(&generation, 1, __ATOMIC_ACQ_REL);
}

static struct keycache_slot *slot_of(int64_t seal_id)
{
    return &slots[(uint64_t)seal_id % KEYCACHE_SLOTS];
}

static void slot_clear(struct keycache_slot *e)
{
    crypto_key_free(e->key);
    free(e->sealed);
    memset(e, 0, sizeof(*e));
}

struct crypto_key *seals_key_cache_get(const struct crypto_keyring *kr, int64_t seal_id,
                                       const unsigned char *sealed, size_t n)
{
    struct crypto_key *k = NULL;
    pthread_mutex_lock(&lock);
    struct keycache_slot *e = slot_of(seal_id);
    if (e->key != NULL && e->kr == kr && e->seal_id == seal_id && e->n == n &&
        memcmp(e->sealed, sealed, n) == 0)
        k = crypto_key_share(e->key);
    pthread_mutex_unlock(&lock);
    return k;
}

void seals_key_cache_put(const struct crypto_keyring *kr, int64_t seal_id,
                         const unsigned char *sealed, size_t n, const struct crypto_key *k)
{
    struct crypto_key *share = crypto_key_share(k);
    unsigned char *copy = malloc(n ? n : 1);
    if (share == NULL || copy == NULL) {
        crypto_key_free(share);
        free(copy);
        return;
    }
    memcpy(copy, sealed, n);
    pthread_mutex_lock(&lock);
    struct keycache_slot *e = slot_of(seal_id);
    slot_clear(e);
    e->kr = kr;
    e->seal_id = seal_id;
    e->sealed = copy;
    e->n = n;
    e->key = share;
    pthread_mutex_unlock(&lock);
}

void seals_key_cache_drop(int64_t seal_id)
{
    pthread_mutex_lock(&lock);
    struct keycache_slot *e = slot_of(seal_id);
    if (e->seal_id == seal_id)
        slot_clear(e);
    pthread_mutex_unlock(&lock);
}
