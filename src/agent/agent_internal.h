/* agent_internal.h - what agent.c, agent_store.c and agent_http.c share. */
#ifndef ONEWINDOW_AGENT_INTERNAL_H
#define ONEWINDOW_AGENT_INTERNAL_H

#include "agent/agent.h"

struct store_conn;

struct agent {
    struct store *store;
    struct identity *id;
    agent_item_known_fn item_known; /* set once at start-up */
    void *item_ctx;
};

int agent_db_consent_insert(struct store_conn *c, const struct agent_consent *k, struct err *err);
/* One consent (names left NULL); *found 0 when none. */
int agent_db_consent_get(struct store_conn *c, struct arena *a, int64_t id,
                         struct agent_consent *out, int *found, struct err *err);
int agent_db_consent_revoke(struct store_conn *c, int64_t id, int64_t now, int *changed,
                            struct err *err);
/* At most `max` consents by citizen (by 0), agent account (1) or department desk (2),
 * newest first, appended at out[*n] (an array of `max`). */
int agent_db_consents(struct store_conn *c, struct arena *a, int64_t id, int by, size_t max,
                      struct agent_consent *out, size_t *n, struct err *err);
int agent_db_acting_put(struct store_conn *c, const char *session_hash, int64_t agent_id,
                        int64_t consent_id, int64_t now, struct err *err);
/* The consent a session acts on; *found 0 when it does not act (or acts for another agent). */
int agent_db_acting_get(struct store_conn *c, const char *session_hash, int64_t agent_id,
                        int64_t *consent_id, int *found, struct err *err);
int agent_db_acting_delete(struct store_conn *c, const char *session_hash, int64_t *changes,
                           struct err *err);
/* Marks older than `before` (ms): their sessions have ended whatever the configuration. */
int agent_db_acting_purge(struct store_conn *c, int64_t before, struct err *err);
int agent_db_act_insert(struct store_conn *c, int64_t consent_id, int64_t citizen_id,
                        int64_t agent_id, const char *action, const char *item_code,
                        const char *number, int64_t now, struct err *err);
/* Acts for a citizen, newest first: fn once per row. */
typedef int (*agent_db_act_fn)(void *ctx, int64_t agent_id, const char *action,
                               const char *item_code, const char *number, int64_t at);
int agent_db_acts(struct store_conn *c, int64_t citizen_id, int limit, agent_db_act_fn fn,
                  void *ctx, struct err *err);

#endif
