/*
 * calendar_cache.c - the module's handle: one loaded calendar shared by all server threads
 * (calendar.h). A reader takes a reference; when the database's calendar_version() has moved
 * past the loaded one, the next reader loads the new calendar and swaps it in, and the old one
 * is freed when its last reader gives it back.
 */
#include "calendar/calendar_internal.h"

#include <pthread.h>
#include <stdlib.h>

#include "store/store.h"

struct calendar_cache {
    struct store *st;
    pthread_mutex_t lock;
    struct calendar *cal; /* the newest, or NULL */
    int *refs;            /* references to `cal`, counting the cache's own */
};

int calendar_cache_open(struct store *s, struct calendar_cache **out, struct err *err)
{
    struct calendar_cache *cc = calloc(1, sizeof(*cc));
    if (cc == NULL)
        return err_set(err, 500, "calendar.oom", "out of memory");
    cc->st = s;
    pthread_mutex_init(&cc->lock, NULL);
    *out = cc;
    return 0;
}

void calendar_cache_put(struct calendar_cache *cc, struct calendar_held *h)
{
    if (h->cal == NULL)
        return;
    pthread_mutex_lock(&cc->lock);
    int last = --*h->refs == 0;
    pthread_mutex_unlock(&cc->lock);
    if (last) {
        calendar_free(h->cal);
        free(h->refs);
    }
    h->cal = NULL;
    h->refs = NULL;
}

void calendar_cache_close(struct calendar_cache *cc)
{
    if (cc == NULL)
        return;
    struct calendar_held own = {cc->cal, cc->refs};
    calendar_cache_put(cc, &own);
    pthread_mutex_destroy(&cc->lock);
    free(cc);
}

/* Take a reference to a calendar at least as new as `version`, loading one if needed. */
static int acquire(struct calendar_cache *cc, int64_t version, struct calendar_held *out,
                   struct err *err)
{
    pthread_mutex_lock(&cc->lock);
    if (cc->cal != NULL && calendar_loaded_version(cc->cal) >= version) {
        ++*cc->refs;
        *out = (struct calendar_held){cc->cal, cc->refs};
        pthread_mutex_unlock(&cc->lock);
        return 0;
    }
    pthread_mutex_unlock(&cc->lock);

    struct calendar *cal = NULL;
    int *refs = malloc(sizeof(*refs));
    if (refs == NULL)
        return err_set(err, 500, "calendar.oom", "out of memory");
    if (calendar_load(cc->st, CALENDAR_SCOPES_XIZANG, &cal, err) < 0) {
        free(refs);
        return -1;
    }
    *refs = 2; /* the cache's slot and the caller */
    pthread_mutex_lock(&cc->lock);
    struct calendar_held old = {cc->cal, cc->refs};
    cc->cal = cal;
    cc->refs = refs;
    pthread_mutex_unlock(&cc->lock);
    calendar_cache_put(cc, &old);
    *out = (struct calendar_held){cal, refs};
    return 0;
}

int calendar_cache_get(struct calendar_cache *cc, struct calendar_held *h, int64_t *version,
                       struct err *err)
{
    struct store_conn *c = store_conn(cc->st, err);
    if (c == NULL)
        return -1;
    if ((*version = calendar_version(c)) < 0)
        return err_set(err, 503, "store.unavailable", "the calendar version cannot be read");
    return acquire(cc, *version, h, err);
}
