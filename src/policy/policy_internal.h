/* policy_internal.h - what the policy module's files share (see policy.h). */
#ifndef ONEWINDOW_POLICY_POLICY_INTERNAL_H
#define ONEWINDOW_POLICY_POLICY_INTERNAL_H

#include <pthread.h>

#include "policy/policy.h"

struct store_conn;

struct guide_set;

struct policy {
    struct store *store;      /* borrowed */
    struct search *search;    /* borrowed */
    struct identity *id;      /* borrowed, set by policy_http_register */
    pthread_mutex_t lock;     /* guards `guides` */
    struct guide_set *guides; /* the cached guide passages (one reference), or NULL */
};

/* policy_guide.c: the guide passages of the published catalog, in memory. */
struct guide_passage {
    json_t *hit;      /* as a search hit: kind, ref, title, title_lang, lang, tag (the
                       * section), snippet [], score, and body and lines [{text}] */
    char *low;        /* title, newline, body; ASCII lower-cased, for matching */
    size_t title_len; /* bytes of the title in `low` */
};
struct guide_set {
    pthread_mutex_t lock; /* guards refs */
    int refs;
    int64_t version; /* catalog_version it was built at */
    size_t n;
    struct guide_passage *v;
};
/* The current set (rebuilt when the catalog changed), with a reference for the caller:
 * guide_set_release it. NULL with err when the catalog cannot be read. */
struct guide_set *policy_guides(struct policy *p, struct err *err);
void guide_set_release(struct guide_set *g);

/* A policy row as written. Localised fields are JSON text {zh, bo, en}. */
struct policy_db_doc {
    const char *key, *number, *title, *issuer, *summary, *issued_on, *effective_on, *expires_on,
        *status, *source;
};

/* policy_store.c: every SQL statement of the module. Lists come back as new JSON. */
int policy_db_doc_find(struct store_conn *c, const char *key, int64_t *id, struct err *err);
int policy_db_doc_insert(struct store_conn *c, int64_t id, const struct policy_db_doc *d,
                         int64_t actor, int64_t now, struct err *err);
int policy_db_doc_update(struct store_conn *c, int64_t id, const struct policy_db_doc *d,
                         int64_t now, struct err *err);
int policy_db_clause_ids(struct store_conn *c, int64_t policy_id, json_t **ids, struct err *err);
int policy_db_clauses_delete(struct store_conn *c, int64_t policy_id, struct err *err);
int policy_db_clause_insert(struct store_conn *c, int64_t id, int64_t policy_id, int number,
                            const char *label, const char *lang, const char *body, struct err *err);
int policy_db_clause_service_insert(struct store_conn *c, int64_t clause_id, const char *code,
                                    struct err *err);
int policy_db_list(struct store_conn *c, json_t **out, struct err *err);
int policy_db_get(struct store_conn *c, int64_t id, json_t **out, struct err *err);
int policy_db_clauses(struct store_conn *c, int64_t policy_id, json_t **out, struct err *err);
int policy_db_interpretations(struct store_conn *c, int64_t policy_id, json_t **out,
                              struct err *err);
int policy_db_interpretation_insert(struct store_conn *c, int64_t id, int64_t policy_id,
                                    const char *lang, const char *title, const char *body,
                                    int64_t actor, int64_t now, struct err *err);
int policy_db_clause_where(struct store_conn *c, int64_t clause_id, int64_t *policy_id, int *number,
                           struct err *err);
int policy_db_clause_codes(struct store_conn *c, int64_t clause_id, json_t **out, struct err *err);
/* The clause's text (malloc'd) or NULL when there is none. */
int policy_db_clause_body(struct store_conn *c, int64_t clause_id, char **body, struct err *err);
int policy_db_for_service(struct store_conn *c, const char *code, json_t **out, struct err *err);

/* ask.c */
const char *policy_section_label(const char *section, const char *lang);

#endif
