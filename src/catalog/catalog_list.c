/*
 * catalog_list.c - browsing the published catalog: the summaries behind /services, filtered
 * by department, life event, audience and division (docs/internals/catalog.md, "Public
 * pages"). Reads the published documents and filters in memory. The life events people
 * browse by (and items list) are at the end.
 */
#include <string.h>

#include "catalog/catalog_internal.h"
#include "store/store.h"

/* ---- browsing ----------------------------------------------------------------------------- */

struct list_ctx {
    struct store_conn *c;
    const struct catalog_filter *f;
    json_t *out;
    struct err *err;
    int failed;
};

static int has_string(const json_t *a, const char *s)
{
    size_t i;
    const json_t *v;
    json_array_foreach((json_t *)a, i,
                       v) if (json_is_string(v) && strcmp(json_string_value(v), s) == 0) return 1;
    return 0;
}

static int list_row(const struct catalog_row *r, const char *name_zh, const char *dept, void *ctx)
{
    struct list_ctx *l = ctx;
    json_t *d = json_loads(r->doc, 0, NULL);
    if (d == NULL)
        return 1;
    const struct catalog_filter *f = l->f;
    int keep = 1;
    if (f != NULL && f->department != NULL && f->department[0] != '\0')
        keep = strcmp(dept, f->department) == 0 ||
               has_string(json_object_get(d, "handled_by"), f->department);
    if (keep && f != NULL && f->life_event != NULL && f->life_event[0] != '\0')
        keep = has_string(json_object_get(d, "life_events"), f->life_event);
    if (keep && f != NULL && f->audience != NULL && f->audience[0] != '\0')
        keep = has_string(json_object_get(d, "audience"), f->audience);
    if (keep && f != NULL && f->handled_in != NULL) {
        keep = 0;
        size_t i;
        json_t *v;
        json_array_foreach(json_object_get(d, "handled_by"), i, v)
        {
            if (json_is_string(v) && has_string(f->handled_in, json_string_value(v)))
                keep = 1;
        }
    }
    if (keep) {
        json_t *fee = json_object_get(d, "fee"), *tl = json_object_get(d, "time_limit");
        json_array_append_new(
            l->out,
            json_pack("{s:s, s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:I, s:I, s:I, s:i}",
                      "code", r->code, "name", json_object_get(d, "name"), "type",
                      json_object_get(d, "type"), "audience", json_object_get(d, "audience"),
                      "life_events", json_object_get(d, "life_events"), "department",
                      json_object_get(d, "department"), "handled_by",
                      json_object_get(d, "handled_by"), "levels", json_object_get(d, "levels"),
                      "online_depth", json_object_get(d, "online_depth"), "region_wide",
                      json_object_get(d, "region_wide"), "cross_province",
                      json_object_get(d, "cross_province"), "fee_fen",
                      (json_int_t)json_integer_value(json_object_get(fee, "fen")), "legal_days",
                      (json_int_t)json_integer_value(json_object_get(tl, "legal_days")),
                      "promised_days",
                      (json_int_t)json_integer_value(json_object_get(tl, "promised_days")),
                      "version", r->version));
        json_object_set_new(json_array_get(l->out, json_array_size(l->out) - 1), "featured",
                            json_integer(json_integer_value(json_object_get(d, "featured"))));
    }
    json_decref(d);
    return 0;
}

int catalog_list(struct store *st, const struct catalog_filter *f, json_t **items, struct err *err)
{
    struct store_conn *c = store_conn(st, err);
    if (c == NULL)
        return -1;
    struct list_ctx l = {c, f, json_array(), err, 0};
    if (catalog_store_each_published(c, list_row, &l, err) < 0) {
        json_decref(l.out);
        return -1;
    }
    *items = l.out;
    return 0;
}

json_t *catalog_item_names(struct store *st, const char *lang)
{
    json_t *items = NULL, *names = json_object();
    struct err err;
    if (catalog_list(st, NULL, &items, &err) == 0) {
        size_t i;
        json_t *it;
        json_array_foreach(items, i, it)
        {
            const char *code = json_string_value(json_object_get(it, "code"));
            if (code != NULL)
                json_object_set_new(names, code,
                                    json_string(catalog_text(json_object_get(it, "name"), lang)));
        }
    }
    json_decref(items);
    return names;
}

/* ---- life events (the browse filter and the items' life_events) -------------------------- */

const struct catalog_life_event catalog_life_events[] = {
    {"birth", "person"},
    {"school", "person"},
    {"work", "person"},
    {"marriage", "person"},
    {"housing", "person"},
    {"travel", "person"},
    {"retirement", "person"},
    {"health", "person"},
    {"social_aid", "person"},
    {"disability", "person"},
    {"military", "person"},
    {"death", "person"},
    {"start_business", "enterprise"},
    {"operate", "enterprise"},
    {"construction", "enterprise"},
    {"close_business", "enterprise"},
};
const size_t catalog_life_event_count =
    sizeof(catalog_life_events) / sizeof(catalog_life_events[0]);

const struct catalog_life_event *catalog_life_event_find(const char *code)
{
    for (size_t i = 0; code != NULL && i < catalog_life_event_count; i++)
        if (strcmp(catalog_life_events[i].code, code) == 0)
            return &catalog_life_events[i];
    return NULL;
}
