/*
 * apply_items.c - the published items a submission is checked against, parsed once per
 * catalog version (issue 19). The profile of a submission showed a third of its CPU in
 * json_loads of the item's 6 kB document; catalog_version (platform_meta, bumped by every
 * publication, change and withdrawal, on any node) tells when an entry is stale.
 */
#include "apply/apply_internal.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "catalog/catalog.h"

/* The published item `code` (a new reference to a shared, read-only object): from the cache
 * while the catalog's version (bumped by every publication, change and withdrawal) is the
 * one it was read at, else read and cached. */
int apply_published_item(struct apply *ap, const char *code, json_t **item, struct err *err)
{
    int64_t v = catalog_version(ap->store);
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (const unsigned char *q = (const unsigned char *)code; *q; q++)
        h = (h ^ *q) * 1099511628211ull;
    struct apply_item_slot *e = &ap->items[h % APPLY_ITEM_SLOTS];
    *item = NULL;
    if (v >= 0) {
        pthread_mutex_lock(&ap->lock);
        if (e->item != NULL && e->catalog_version == v && strcmp(e->code, code) == 0)
            *item = json_incref(e->item);
        pthread_mutex_unlock(&ap->lock);
        if (*item != NULL)
            return 0;
    }
    if (catalog_item_published(ap->store, code, item, err) < 0)
        return -1;
    if (v >= 0 && strlen(code) < sizeof(e->code)) {
        pthread_mutex_lock(&ap->lock);
        json_decref(e->item);
        snprintf(e->code, sizeof(e->code), "%s", code);
        e->catalog_version = v;
        e->item = json_incref(*item);
        pthread_mutex_unlock(&ap->lock);
    }
    return 0;
}

void apply_items_free(struct apply *ap)
{
    for (int i = 0; i < APPLY_ITEM_SLOTS; i++) {
        json_decref(ap->items[i].item);
        ap->items[i].item = NULL;
    }
}
