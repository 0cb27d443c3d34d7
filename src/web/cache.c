/*
 * cache.c - the response cache (contract in web.h, "response cache").
 *
 * A direct-mapped table of CACHE_SLOTS entries: a key hashes to one slot, and a new entry
 * replaces whatever was there. That bounds memory (slots x the largest page) with no
 * eviction bookkeeping, and a lookup is one hash, one lock, one compare. Each slot has its
 * own mutex, so threads only contend on the same slot. A hit hands out a reference-counted
 * entry: the bytes stay valid until the response using them has been sent, even if the
 * slot is replaced meanwhile.
 */
#include "web/web_internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"

#define CACHE_SLOTS 1024
#define CACHE_KEY_MAX 320
#define CACHE_MAX_BODY (512u * 1024) /* larger pages are not worth a slot */

struct web_cache_entry {
    int refs; /* under the slot's lock while in a slot; atomically otherwise */
    char key[CACHE_KEY_MAX];
    int64_t version;
    int status;
    int max_age;
    const char *content_type; /* static string */
    char etag[24];            /* quoted */
    char *body;
    size_t len;
    char *gz; /* NULL if gzip does not pay */
    size_t gzlen;
};

struct slot {
    pthread_mutex_t lock;
    struct web_cache_entry *e;
};

static struct slot slots[CACHE_SLOTS];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void init_slots(void)
{
    for (int i = 0; i < CACHE_SLOTS; i++)
        pthread_mutex_init(&slots[i].lock, NULL);
}

static void entry_unref(struct web_cache_entry *e)
{
    if (e != NULL && __atomic_sub_fetch(&e->refs, 1, __ATOMIC_ACQ_REL) == 0) {
        free(e->body);
        free(e->gz);
        free(e);
    }
}

void web_cache_release(struct web_cache_entry *e)
{
    entry_unref(e);
}

static uint64_t fnv1a(const char *s, uint64_t h)
{
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* The full key: the module's key, the language, the format and the URL as sent (pages
 * link to themselves, e.g. in the language switcher, so two URLs of one page differ). */
static void full_key(const struct request *r, const char *key, char out[CACHE_KEY_MAX])
{
    snprintf(out, CACHE_KEY_MAX, "%s|%s|%c|%s", key, r->req.lang, r->req.want_json ? 'j' : 'h',
             r->raw_uri ? r->raw_uri : "");
}

int web_cache_hit(struct web_req *req, struct web_resp *resp, const char *key, int64_t version)
{
    struct request *r = (struct request *)req;
    resp->cache_key = NULL;
    resp->cached = NULL;
    /* Signed-in visitors see their own name and tokens in the layout: never cached. A URL
     * too long for the key is simply not cached. */
    if (web_cookie(req, "ow_session") != NULL ||
        (r->raw_uri != NULL && strlen(r->raw_uri) > CACHE_KEY_MAX - 64))
        return 0;
    pthread_once(&once, init_slots);
    char k[CACHE_KEY_MAX];
    full_key(r, key, k);
    struct slot *sl = &slots[fnv1a(k, 1469598103934665603ULL) % CACHE_SLOTS];
    struct web_cache_entry *hit = NULL;
    pthread_mutex_lock(&sl->lock);
    if (sl->e != NULL && sl->e->version == version && strcmp(sl->e->key, k) == 0) {
        hit = sl->e;
        __atomic_add_fetch(&hit->refs, 1, __ATOMIC_ACQ_REL);
    }
    pthread_mutex_unlock(&sl->lock);
    resp->cache_key = arena_strdup(req->arena, key);
    resp->cache_version = version;
    resp->cached = hit;
    return hit != NULL;
}

void web_cache_store(struct request *r, int status, const char *content_type, const char *body,
                     size_t len, const char *gz, size_t gzlen)
{
    struct web_resp *resp = &r->resp;
    if (resp->cache_key == NULL || status != 200 || len > CACHE_MAX_BODY)
        return;
    pthread_once(&once, init_slots);
    struct web_cache_entry *e = calloc(1, sizeof(*e));
    if (e == NULL)
        return;
    full_key(r, resp->cache_key, e->key);
    e->refs = 1;
    e->version = resp->cache_version;
    e->status = status;
    e->max_age = resp->max_age;
    e->content_type = content_type;
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)body[i]) * 1099511628211ULL;
    snprintf(e->etag, sizeof(e->etag), "\"%016llx\"", (unsigned long long)h);
    e->body = malloc(len ? len : 1);
    e->gz = gz ? malloc(gzlen) : NULL;
    if (e->body == NULL || (gz && e->gz == NULL)) {
        entry_unref(e);
        return;
    }
    memcpy(e->body, body, len);
    e->len = len;
    if (gz) {
        memcpy(e->gz, gz, gzlen);
        e->gzlen = gzlen;
    }
    struct slot *sl = &slots[fnv1a(e->key, 1469598103934665603ULL) % CACHE_SLOTS];
    pthread_mutex_lock(&sl->lock);
    struct web_cache_entry *old = sl->e;
    sl->e = e;
    pthread_mutex_unlock(&sl->lock);
    entry_unref(old);
}

const char *web_cache_etag(const struct web_cache_entry *e)
{
    return e->etag;
}

int web_cache_parts(const struct web_cache_entry *e, int want_gz, const char **body, size_t *len,
                    const char **content_type, int *max_age)
{
    int gz = want_gz && e->gz != NULL;
    *body = gz ? e->gz : e->body;
    *len = gz ? e->gzlen : e->len;
    *content_type = e->content_type;
    *max_age = e->max_age;
    return gz;
}

void web_cache_clear(void)
{
    pthread_once(&once, init_slots);
    for (int i = 0; i < CACHE_SLOTS; i++) {
        pthread_mutex_lock(&slots[i].lock);
        struct web_cache_entry *e = slots[i].e;
        slots[i].e = NULL;
        pthread_mutex_unlock(&slots[i].lock);
        entry_unref(e);
    }
}
