/*
 * oversight.h - supervision across levels (效能督查), the KPIs behind the leaders'
 * dashboard (驾驶舱), supervision notes (督办) and the auditor's desk.
 *
 * Figures come from apply's transitions, handed over by wiring through
 * oversight_record() inside each transition's transaction: an index of the cases waiting
 * for staff (oversight_open) and daily aggregates per department, division and item
 * (oversight_daily, oversight_days). Queues and dashboards read only those tables, never
 * the case tables. Authorization: supervisors (ROLE_SUPERVISOR, "oversight.view") read
 * their grant's division subtree; the handling department answers notes
 * ("oversight.answer"); the auditor reads the audit chain ("audit.read").
 * Design notes: docs/internals/oversight.md.
 */
#ifndef ONEWINDOW_OVERSIGHT_OVERSIGHT_H
#define ONEWINDOW_OVERSIGHT_OVERSIGHT_H

#include <jansson.h>
#include <stdint.h>

#include "base/err.h"

struct store;
struct store_conn;
struct identity;
struct notify;
struct crypto_keyring;
struct authz_subject;
struct web_server;

struct oversight;

/* What apply hands over for each transition (a copy of struct apply_event, so that this
 * module does not include apply.h). Strings are borrowed for the call. */
struct oversight_event {
    int64_t application_id;
    const char *number;
    const char *item_code;
    int64_t department_id;
    int64_t division_code;
    const char *action;
    const char *from_state;
    const char *to_state;
    int on_behalf;
    int limit_days, used_days;
    int64_t due_at, submitted_at, at;
};

/* What review hands over for each rating (level 1..5) or answered rectification (level
 * 0), inside its transaction (set by wiring, which finds the department's division). */
struct oversight_rating {
    int64_t department_id, division_code;
    const char *item_code;
    int level;
    int64_t at;
};

/* Open the module; everything is borrowed. `notify` may be NULL (no digests). */
int oversight_open(struct store *s, struct identity *id, struct notify *n,
                   struct crypto_keyring *kr, struct oversight **out, struct err *err);
void oversight_close(struct oversight *o);

/* Fold one transition into the open-case index and the day's aggregates, on `c` inside
 * the caller's transaction. */
int oversight_record(struct store_conn *c, const struct oversight_event *e, struct err *err);
/* Fold one rating (or an answered bad rating) into the day's satisfaction figures. */
int oversight_record_rating(struct store_conn *c, const struct oversight_rating *r,
                            struct err *err);

/* Demo data only: an open case's due time moved to due_at (with apply_demo_due). */
int oversight_demo_due(struct oversight *o, const char *number, int64_t due_at, struct err *err);

/* The day (YYYYMMDD) of `ms` in Asia/Shanghai (the region's statistics day). */
int oversight_day_of(int64_t ms);
/* "YYYY-MM-DD" to YYYYMMDD, checking the calendar; -1 when not a date. */
int oversight_parse_day(const char *s);
/* The 12345 hotline's figures for the dashboard (set once by wiring: oversight reads no
 * hotline table): counties with codes in [lo, hi], orders created on the days [from, to]
 * (YYYYMMDD); *out a new JSON object as hotline_kpi gives it. */
typedef int (*oversight_hotline_fn)(void *ctx, int64_t lo, int64_t hi, int from, int to,
                                    json_t **out, struct err *err);
void oversight_set_hotline(struct oversight *o, oversight_hotline_fn fn, void *ctx);

/* The codes [lo, hi] of a division's subtree (code itself included). */
void oversight_subtree(int64_t division, int64_t *lo, int64_t *hi);

/* The KPIs of a division subtree (and one department when dept != 0) for the days
 * [from, to] (YYYYMMDD): {received, online, accepted, returned, rejected, completed,
 * on_time, on_time_rate, online_rate, return_rate, avg_days, p90_days,
 * satisfaction_rate, ratings} (rates in percent with one decimal, null without a base). */
int oversight_kpi(struct oversight *o, int64_t division, int64_t dept, int from, int to,
                  json_t **out, struct err *err);
/* The same figures grouped: by "department" or "division" (the cases' own divisions):
 * [{key, ...figures}], largest received first. */
int oversight_kpi_by(struct oversight *o, int64_t division, int from, int to, const char *by,
                     json_t **out, struct err *err);
/* The cases behind a figure ("received", "online", "returned" (the last time in the
 * period), "completed", "on_time", "late") of a subtree (and one department when dept !=
 * 0) in [from, to]: [{number, item_code, department_id, division_code, received_day,
 * online, returned_day, completed_day, on_time, used_days}] by division, day and number, at most
 * OVERSIGHT_FIGURE_MAX; 400 oversight.bad_figure. */
#define OVERSIGHT_FIGURE_MAX 200
int oversight_figure_cases(struct oversight *o, int64_t division, int64_t dept, const char *figure,
                           int from, int to, json_t **out, struct err *err);
/* Received and completed per week (Monday start) of the period: [{week (YYYYMMDD of its
 * Monday), received, completed}], weeks with figures only. */
int oversight_trend(struct oversight *o, int64_t division, int from, int to, json_t **weeks,
                    struct err *err);
/* What the dashboard shows, read once: the KPIs (as oversight_kpi), the same by department
 * and by division (as oversight_kpi_by; NULL to skip) and the distribution of working days
 * used [{days, n}] (NULL to skip). */
int oversight_figures(struct oversight *o, int64_t division, int64_t dept, int from, int to,
                      json_t **kpi, json_t **depts, json_t **divs, json_t **days, struct err *err);

/* Due soon (yellow): due within this long (and not yet overdue). */
#define OVERSIGHT_SOON_MS (3LL * 24 * 3600 * 1000)

/* Open cases of the subtree per department and division: [{department_id, division_code,
 * open, due_soon, overdue}], most overdue first. */
int oversight_queue(struct oversight *o, int64_t division, int64_t now_ms, json_t **out,
                    struct err *err);
/* The open cases behind a count: one department (0: all) of the subtree, mark "overdue",
 * "soon" or NULL (all): [{number, item_code, department_id, division_code, state, due_at,
 * mark}], due first, at most 200. */
int oversight_cases(struct oversight *o, int64_t division, int64_t dept, const char *mark,
                    int64_t now_ms, json_t **out, struct err *err);

/* One case for a supervisor or its handling department: {number, item_code,
 * department_id, division_code, state, due_at, mark, open, notes: [...]}; 404
 * oversight.not_found when it is not visible to `subj` (nobody can probe numbers). */
int oversight_case(struct oversight *o, const struct authz_subject *subj, const char *number,
                   int64_t now_ms, json_t **out, struct err *err);

#define OVERSIGHT_NOTE_MAX 500 /* characters of a note or an answer */
#define OVERSIGHT_NOTE_DAYS 30 /* the latest deadline a note may set, in days */

/* A supervisor's note (督办) on an open case of their subtree, due in `days` (1..30)
 * calendar days. Field problems at once into `problems` ([{field, code}]) and 1; audited
 * ("oversight.note"), and the department is told (notify). *note_id may be NULL. */
int oversight_note_add(struct oversight *o, const struct authz_subject *subj, const char *number,
                       const char *body, const char *days, const char *ip, json_t *problems,
                       int64_t *note_id, struct err *err);
/* The handling department answers (oversight.answer); 409 oversight.answered for a second
 * answer; 404 for anyone else. Problems as above. Audited ("oversight.answer"). */
int oversight_note_answer(struct oversight *o, const struct authz_subject *subj, int64_t note_id,
                          const char *answer, const char *ip, json_t *problems, struct err *err);
/* Notes addressed to the subject's departments, unanswered first. */
int oversight_notes_mine(struct oversight *o, const struct authz_subject *subj, int64_t now_ms,
                         json_t **out, struct err *err);
/* Escalate every unanswered note past its deadline one division level up (level + 1,
 * escalated_to the parent, a new deadline of the same length), audited, the department
 * told again. *n: notes escalated. */
int oversight_escalate(struct oversight *o, int64_t now_ms, int *n, struct err *err);
/* The daily digest: each department with overdue or due-soon cases gets one message
 * (notify, addressed to the department, rendered in each reader's language). *n: sent. */
int oversight_digest(struct oversight *o, int64_t now_ms, int *n, struct err *err);

/* The server's job: every tick_s seconds (default 3600) escalate overdue notes; once a day,
 * at the first tick after 08:00 in Lhasa, send the digest (remembered in memory: a restart
 * the same day sends it again). Stopped by oversight_close. */
int oversight_jobs_start(struct oversight *o, int tick_s, struct err *err);

/* `onewindow kpi [--division CODE] [--from DATE --to DATE]` and `onewindow oversight
 * escalate|digest`: print JSON / a line; 0, 2 with err for usage, -1 with err. */
int oversight_cli(struct oversight *o, int argc, char **argv, struct err *err);

/* Pages: /oversight, /oversight/cases, /oversight/cases/{number}, /workbench/supervision,
 * /dashboard (+ .csv), /admin/audit (+ export). */
int oversight_http_register(struct web_server *srv, struct oversight *o);

#endif
