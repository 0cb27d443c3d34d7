/* opendata_internal.h - what the files of src/opendata/ share. */
#ifndef ONEWINDOW_OPENDATA_INTERNAL_H
#define ONEWINDOW_OPENDATA_INTERNAL_H

#include <pthread.h>

#include "opendata/opendata.h"

struct store_conn;
struct arena;

struct opendata {
    struct store *store;
    struct identity *id;
    struct review *review;
    struct hotline *hotline;
    struct apply *apply;
    int64_t platform_department; /* the "platform" department, publisher of its datasets */
    pthread_mutex_t lock;        /* guards the list cache and the job's state */
    json_t *cache;               /* opendata_list(all = 1) at cache_version, or NULL */
    int64_t cache_version;
    /* The DCAT documents (0 Turtle, 1 JSON-LD) as last built, for dcat_version and
     * dcat_base: megabytes for thousands of datasets, past what the web cache keeps. */
    char *dcat[2];
    size_t dcat_len[2];
    int64_t dcat_version[2];
    char dcat_base[2][256];
    pthread_t job;
    pthread_cond_t wake;
    int job_running, job_stop, job_interval_s;
};

/* The licences, themes and frequencies a dataset may name, with their URIs. */
struct od_term {
    const char *code, *uri;
};
extern const struct od_term od_licences[];
extern const struct od_term od_themes[];
extern const struct od_term od_frequencies[];
const struct od_term *od_term_find(const struct od_term *terms, const char *code);

/* The keywords of one language's list ("婚姻, 登记" or "a、b"; separators , ， 、 ;) as a
 * JSON array of trimmed, non-empty strings (new reference). */
json_t *od_keywords(const char *s);

/* A dataset row as stored. */
struct od_row {
    int64_t id, department_id, spatial;
    const char *slug, *meta, *licence, *temporal_start, *temporal_end, *frequency, *status;
    int platform;
};

/* Store (opendata_store.c). Lists append dataset objects to `arr`. */
int opendata_db_list(struct store_conn *c, json_t *arr, struct err *err);
int opendata_db_find(struct store_conn *c, const char *slug, int64_t *id, int64_t *department_id,
                     int *found, struct err *err);
int opendata_db_put(struct store_conn *c, const struct od_row *r, int exists, int64_t now,
                    struct err *err);
int opendata_db_resource_put(struct store_conn *c, int64_t id, const char *csv, size_t len,
                             size_t rows, size_t cols, int64_t now, struct err *err);
int opendata_db_counters(struct store_conn *c, int64_t id, int64_t *downloads, int64_t *api_calls,
                         struct err *err);
int opendata_db_csv(struct store_conn *c, const char *slug, char **csv, size_t *len, int *found,
                    struct err *err);
int opendata_db_count(struct store_conn *c, const char *slug, int download, struct err *err);
int opendata_db_key_insert(struct store_conn *c, const char *hash, const char *name, int64_t quota,
                           int64_t now, struct err *err);
/* 1 when the call is allowed and counted, 0 over quota, -1 err; *exists says whether the key
 * is known. */
int opendata_db_key_use(struct store_conn *c, const char *hash, int64_t day, int *exists,
                        struct err *err);

/* Store a department's dataset without a subject (demo data, trusted callers): as
 * opendata_put after its authorization check. */
int od_put_department(struct opendata *od, int64_t department_id, const json_t *meta,
                      const char *csv, size_t len, int publish, json_t *problems, struct err *err);
/* Store a dataset the platform builds (opendata.c): metadata and CSV, published. */
int od_put_platform(struct opendata *od, const json_t *meta, const char *csv, size_t len,
                    struct err *err);

#endif

/* ---- HTTP (opendata_http.c, shared with opendata_ckan.c) ---------------------------------- */
struct web_req;
struct web_resp;
struct web_server;

struct od_http {
    struct opendata *od;
    struct identity *id;
    const char *public_url; /* "" = from the request's Host */
};

/* The cached list's own field with the text a search looks in (never shown). */
#define OD_SEARCH_TEXT "_search"

/* What a list is narrowed to; NULL / 0 fields match everything. */
struct od_query {
    const char *q;          /* words found in a title, description, keyword or slug */
    const char *theme;      /* a theme code */
    const char *department; /* a publisher's code */
    int64_t place;          /* a division: datasets whose coverage contains it or lies in it */
};
int od_match(const json_t *d, const struct od_query *q);
/* The site's address for absolute URIs (arena), or NULL when the Host header is unusable. */
const char *odh_base(struct web_req *req, const struct od_http *h);
/* Hand `b` over as a raw body of `ctype` (copied into the arena; b is freed). */
int odh_raw(struct web_req *req, struct web_resp *resp, const char *ctype, struct buf *b);
/* The DCAT document (Turtle or JSON-LD) for `base`, from the module's cache or built now;
 * copied into `a`. */
int od_dcat_get(struct opendata *od, const char *base, int turtle, struct arena *a,
                const char **body, size_t *len, struct err *err);
int odh_ckan_register(struct web_server *srv, struct od_http *h);
int odh_admin_register(struct web_server *srv, struct od_http *h);
/* A page model {title: the text of `title_key`} (new reference). */
json_t *odh_model(struct web_req *req, const char *title_key);
/* Set o[key] to the text of {zh, bo, en} in `lang` (else zh, else en) and o[key_lang] to
 * the language used, for the lang attribute. */
void odh_put_text(json_t *o, const char *key, const json_t *texts, const char *lang);
/* Add to a (copied) dataset what a page shows: texts in the reader's language, theme and
 * frequency labels, the place's name (`c` may be NULL: none), dates; ids as text. */
void odh_decorate(struct web_req *req, struct store_conn *c, json_t *d);
