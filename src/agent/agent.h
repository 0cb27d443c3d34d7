/*
 * agent.h - 帮办代办 with consent (issue 13 item 8): a citizen records that another
 * account (a family member, found by ID number or mobile) may act for them, for some
 * service items (or all) and for a time window; the agent switches their session to
 * "acting for" that citizen; while acting, applications are filed in the citizen's name
 * (apply, through wiring), the case and every audit record name both, and the citizen
 * sees each act on /account/data-use and can revoke the consent at any time.
 *
 * The consent is checked on every request that acts (agent_acting), never only when the
 * session switched: a revoked or expired consent stops the next request. Functions take
 * plain C values; none knows HTTP except agent_http_register. Strings returned live in
 * the caller's arena.
 */
#ifndef ONEWINDOW_AGENT_AGENT_H
#define ONEWINDOW_AGENT_AGENT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

struct arena;
struct store;
struct identity;
struct web_server;

struct agent;

/* Open the module; the store and identity are borrowed. */
int agent_open(struct store *s, struct identity *id, struct agent **out, struct err *err);
void agent_close(struct agent *ag);

/* A consent's scope: "*" or up to AGENT_SCOPE_MAX item codes. */
#define AGENT_SCOPE_MAX 8
#define AGENT_MAX_DAYS 365

struct agent_consent {
    int64_t id;
    int64_t citizen_id, agent_id; /* agent_id 0 for a department's desk */
    int64_t department_id;        /* the 帮办 desk: any clerk of it acts; 0 for an account */
    const char *department_name;  /* its name in zh (lists), or NULL */
    const char *citizen_name, *agent_name; /* names of the accounts */
    const char *agent_masked;              /* the agent's masked ID number (NULL if none) */
    const char *scope;                     /* "*" or codes separated by spaces */
    int64_t valid_from, valid_until, created_at, revoked_at; /* ms; revoked_at 0 if not */
};

/* Why a consent does not let its agent act for an item now (pure, unit-tested). */
enum agent_verdict {
    AGENT_OK = 0,
    AGENT_REVOKED,      /* 403 agent.consent_revoked */
    AGENT_EXPIRED,      /* 403 agent.consent_expired (also before valid_from) */
    AGENT_OUT_OF_SCOPE, /* 403 agent.out_of_scope: another service */
};
/* `item` NULL asks only about time and revocation (switching to acting). */
enum agent_verdict agent_consent_check(const struct agent_consent *c, const char *item,
                                       int64_t now_ms);
/* Whether `scope` (as stored) names `item`. */
int agent_scope_covers(const char *scope, const char *item);
/* Normalise a scope as typed ("*", or item codes separated by spaces or commas) into
 * `out` (sorted, duplicates dropped). 0, or -1 when malformed (empty, more than
 * AGENT_SCOPE_MAX codes, a code that is not [A-Za-z0-9_.-]{1,47}). */
int agent_scope_normalise(const char *in, char *out, size_t size);
/* The error of a verdict (403 with its code), returns -1. */
int agent_verdict_err(enum agent_verdict v, struct err *err);

/* The citizen `citizen_id` lets the account with this ID number or mobile (`agent_login`),
 * or the 帮办 desk of the department with this code (any of its clerks), act for them, for `scope`
 * (see agent_scope_normalise; each code must be a published item: `item_known`) for `days`
 * (1..AGENT_MAX_DAYS) from now. 0 and the id; 1 with field errors in `problems` ([{key, code}]:
 * agent.agent_unknown, agent.agent_self, agent.scope_invalid, agent.days_invalid); -1 with err (403
 * agent.citizens_only for a staff account). Audited (agent.consent_grant). */
struct agent_grant {
    const char *agent_login;
    const char *scope;
    const char *days;
};
typedef int (*agent_item_known_fn)(void *ctx, const char *code);
void agent_set_item_check(struct agent *ag, agent_item_known_fn fn, void *ctx);
int agent_consent_grant(struct agent *ag, int64_t citizen_id, const struct agent_grant *g,
                        const char *ip, int64_t *consent_id, json_t *problems, struct err *err);
/* The citizen revokes one of their consents: 404 agent.not_found when it is not theirs,
 * 409 agent.already_revoked. Acting on it is refused from the next request. Audited
 * (agent.consent_revoke). */
int agent_consent_revoke(struct agent *ag, int64_t citizen_id, int64_t consent_id, const char *ip,
                         struct err *err);
/* The consents `account_id` gave (as_agent 0) or was given (1: as the account, or as a
 * clerk of a department's desk), newest first. */
int agent_consents_list(struct agent *ag, struct arena *a, int64_t account_id, int as_agent,
                        struct agent_consent **out, size_t *n, struct err *err);

/* ---- acting ---------------------------------------------------------------------------- */

/* The session `session_hash` of `agent_id` acts for the citizen of `consent_id`: 404
 * agent.not_found unless the consent names this agent (nobody can act without consent),
 * 403 as agent_consent_check. Audited (agent.act_start, naming both). */
int agent_act_start(struct agent *ag, const char *session_hash, int64_t agent_id,
                    int64_t consent_id, const char *ip, struct err *err);
/* Back to acting for oneself. Audited when it was acting. */
int agent_act_stop(struct agent *ag, const char *session_hash, int64_t agent_id, const char *ip,
                   struct err *err);

struct agent_acting {
    int64_t consent_id, citizen_id;
    const char *citizen_name;
    const char *scope;
};
/* Whether this session acts for someone: 0 (no), 1 with `out` filled when the consent
 * still allows acting for `item` (NULL: any item), -1 with err: 403 for a consent that was
 * revoked, expired or does not cover `item` (each refusal is audited as agent.act_refused
 * naming both). */
int agent_acting(struct agent *ag, struct arena *a, const char *session_hash, int64_t agent_id,
                 const char *item, struct agent_acting *out, const char *ip, struct err *err);
/* The same for showing the state (the banner, the page), writing nothing: 0 not acting, 1
 * acting and allowed, -1 with err (403 with the refusal's code while still marked acting
 * on a consent that ended). */
int agent_acting_peek(struct agent *ag, struct arena *a, const char *session_hash, int64_t agent_id,
                      struct agent_acting *out, struct err *err);
/* Inside the transaction that files `number` for the citizen: checks the consent once
 * more (a revocation that committed meanwhile wins) and records the act. */
int agent_act_record(struct agent *ag, int64_t consent_id, int64_t agent_id, const char *action,
                     const char *item_code, const char *number, struct err *err);
/* The acts done for `citizen_id`, newest first, at most `limit`, appended to `rows` as
 * {at, consumer (the agent's name), what (the item code), case_number, purpose
 * ("agent_filed")} for the "who used my data" page. */
int agent_acts_of_citizen(struct agent *ag, int64_t citizen_id, int limit, json_t *rows,
                          struct err *err);

/* Pages: /account/agents (grant, list, revoke; consents given to me, act for them),
 * /account/acting (start, stop), with /api/v1 twins. */
int agent_http_register(struct web_server *srv, struct agent *ag);

#endif
