/*
 * apply.h - applications (办件): one form generated from a catalog item (一表申请),
 * pre-filled from the profile (免填), materials uploaded or e-certificates used instead,
 * a pre-check that lists every problem at once (一次性告知), an application number that
 * carries the division code, and the workflow of the competent department with a legal
 * clock in working days that stops while the applicant completes the file (补正).
 *
 * Every state change is one transaction: the application row, a timeline row, the
 * applicant's notification (notify_send) and an audit record. Authorization goes through
 * authz_allowed: the applicant (or the person who filed) sees their own; staff act with
 * the action's role in the competent department within their division.
 * Design notes: docs/internals/apply.md.
 */
#ifndef ONEWINDOW_APPLY_APPLY_H
#define ONEWINDOW_APPLY_APPLY_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

struct arena;
struct store;
struct calendar;
struct crypto_keyring;
struct identity;
struct notify;
struct authz_subject;
struct web_server;
struct web_req;
struct web_resp;

struct apply;

/* ---- hooks (contract §2, docs/ARCHITECTURE.md): set by wiring to connect certs and review
 * ----------------- */

struct apply_decided { /* what a decision hands to the hooks and to review */
    int64_t application_id;
    const char *number;
    const char *item_code;
    int item_version;
    int64_t applicant_account;
    int64_t enterprise_id; /* 0 when a person applied */
    int64_t department_id;
    int64_t division_code;
    const char *applicant_name;
    const char *applicant_id_number; /* plaintext, never log */
    const json_t *form;              /* the submitted form values */
    int approved;                    /* 1 approved, 0 denied */
    int64_t decided_at_ms;
};

#define APPLY_CERT_ID_SIZE 128 /* a GB/T 36904-style certificate identifier and its NUL */

/* The content type of a material fetched from a register (its JSON record), not uploaded. */
#define APPLY_REGISTER_RECORD_TYPE "application/vnd.onewindow.register+json"

struct apply_hooks {
    void *ctx;
    /* Called inside the approving transaction; may issue a certificate; writes its
     * identifier into out (APPLY_CERT_ID_SIZE bytes) or leaves it empty. Return -1 with err to
     * abort. */
    int (*on_approved)(void *ctx, const struct apply_decided *d, char *cert_id_out,
                       struct err *err);
    /* The holder's certificates of a type usable for a material: JSON array of
     * {id, identifier, name ({zh, bo, en} or a string), issued_at, valid_until, status}. */
    int (*wallet)(void *ctx, int64_t holder_account, const char *cert_type, json_t **list,
                  struct err *err);
    /* The holder authorises the use of one certificate for one application (inside the
     * submitting transaction): 0, or -1 with err (not theirs, revoked, expired, wrong type). */
    int (*authorise_use)(void *ctx, int64_t holder_account, const char *cert_identifier,
                         const char *cert_type, const char *application_number,
                         int64_t department_id, struct err *err);
    /* Inside the submitting transaction, once the application has its number (src/pay
     * creates the fee order). -1 with err aborts the submission. */
    int (*on_submitted)(void *ctx, const struct apply_decided *d, struct err *err);
    /* The application page's payment section (src/pay): a new reference, or NULL when
     * there is nothing to show to this reader. */
    json_t *(*payment_box)(void *ctx, struct web_req *req, struct web_resp *resp,
                           const struct authz_subject *subj, const char *number);
    /* The workbench's rows ({number, ...}): src/pay adds payment_state and payment_label
     * to those with a fee order. */
    void (*payment_marks)(void *ctx, struct web_req *req, json_t *rows);
    /* 免填 and 免提交 from the base registers (issue 13 item 6; NULL: none): the holder's
     * record in register `resource` ("population"), read through the data exchange for
     * `purpose` in case `case_number` and logged for the holder to see. in_tx: inside the
     * caller's transaction (the read's log joins it). *record is a new JSON object. 0, 1
     * when the register holds no record of them, -1 with err. */
    int (*register_record)(void *ctx, int64_t holder_account, const char *resource,
                           const char *purpose, const char *case_number, int in_tx, json_t **record,
                           struct err *err);
    /* The same in two steps for 免提交 at submission, so that a slow register never holds
     * the write transaction: `register_fetch` asks the register before the transaction
     * (writes nothing; 0, 1 no record, -1), `register_log` logs the read inside it with the
     * application's number. NULL: register_record inside the transaction, as before. */
    int (*register_fetch)(void *ctx, int64_t holder_account, const char *resource, json_t **record,
                          struct err *err);
    int (*register_log)(void *ctx, int64_t holder_account, const char *resource,
                        const char *purpose, const char *case_number, const char *outcome,
                        struct err *err);
};

/* Every transition, inside its transaction, for modules that keep figures from them
 * (oversight's daily aggregates and open-case index). The hook joins the transaction on
 * `c`; returning -1 with err rolls the transition back. Strings live until it returns. */
struct apply_event {
    int64_t application_id;
    const char *number;
    const char *item_code;
    int64_t department_id;
    int64_t division_code;
    const char *action;     /* "submitted", "filed_for", "resubmit", or apply_action_name */
    const char *from_state; /* apply_state_name values */
    const char *to_state;
    int on_behalf; /* filed at a counter for a walk-in person (not 全程网办) */
    int limit_days, used_days;
    int64_t due_at, submitted_at, at;
};
struct store_conn;
typedef int (*apply_event_fn)(void *ctx, struct store_conn *c, const struct apply_event *e,
                              struct err *err);
/* Set once at start-up (NULL: none). */
void apply_on_event(struct apply *ap, apply_event_fn fn, void *ctx);

/* Open the module. `notify` may be NULL (no messages: tools, benches). All borrowed. */
int apply_open(struct store *st, struct crypto_keyring *kr, struct identity *id,
               struct notify *notify, struct apply **out, struct err *err);
void apply_close(struct apply *ap);
void apply_set_hooks(struct apply *ap, const struct apply_hooks *h);
/* 帮办代办 with consent (src/agent through wiring): `resolve` says whether the request's
 * session acts for a citizen for `item_code` (0: no; 1 with *citizen and *consent; -1 with
 * err, a 403 when the consent does not allow it now); `filed` runs inside the transaction
 * that files `number` in the citizen's name and records the act (-1 aborts it, e.g. the
 * consent was revoked meanwhile). Set once at start-up. */
struct apply_acting_hooks {
    void *ctx;
    int (*resolve)(void *ctx, struct web_req *req, const struct authz_subject *s,
                   const char *item_code, int64_t *citizen, int64_t *consent, struct err *err);
    int (*filed)(void *ctx, int64_t consent, int64_t agent, const char *item_code,
                 const char *number, struct err *err);
};
void apply_set_acting(struct apply *ap, const struct apply_acting_hooks *h);
/* For statistics (open data's monthly service statistics): the facts of each application
 * submitted in [from_ms, to_ms), one call of `fn` each, oldest first. No personal data
 * crosses: department, item, times, and whether staff filed it for a walk-in applicant
 * (on_behalf; otherwise it came in online). item_code is valid during the call only. */
struct apply_fact {
    int64_t department_id;
    const char *item_code;
    int64_t submitted_at, decided_at, deadline_at; /* ms; 0 when not decided / no deadline */
    int on_behalf;
    int withdrawn;
};
int apply_facts(struct apply *ap, int64_t from_ms, int64_t to_ms,
                void (*fn)(void *ctx, const struct apply_fact *f), void *ctx, struct err *err);
/* For review: who applied, which department decided, and whether it is decided. */
int apply_rating_target(struct apply *ap, int64_t application_id, int64_t *applicant_account,
                        int64_t *department_id, char item_code[48], int *decided, struct err *err);

/* ---- states and actions (pure) ------------------------------------------------------------ */

enum apply_state {
    APPLY_DRAFT = 0,
    APPLY_SUBMITTED,
    APPLY_RETURNED,
    APPLY_REJECTED,
    APPLY_ACCEPTED,
    APPLY_UNDER_REVIEW,
    APPLY_APPROVED,
    APPLY_DENIED,
    APPLY_DELIVERED,
    APPLY_CLOSED,
    APPLY_WITHDRAWN,
    APPLY_STATE_COUNT
};
const char *apply_state_name(int state);
int apply_state_parse(const char *s); /* -1 when unknown */

enum apply_action {
    APPLY_ACT_ACCEPT = 0, /* clerk: submitted -> accepted (the clock starts) */
    APPLY_ACT_RETURN,     /* clerk or reviewer: -> returned (补正; the clock stops) */
    APPLY_ACT_REJECT,     /* clerk: submitted -> rejected (不予受理, with a reason) */
    APPLY_ACT_REVIEW,     /* reviewer: accepted -> under_review */
    APPLY_ACT_APPROVE,    /* reviewer/head: under_review -> approved */
    APPLY_ACT_DENY,       /* reviewer/head: under_review -> denied (with a reason) */
    APPLY_ACT_DELIVER,    /* clerk: approved/denied -> delivered */
    APPLY_ACT_CLOSE,      /* clerk: delivered -> closed */
    APPLY_ACT_WITHDRAW,   /* applicant: before a decision -> withdrawn */
    APPLY_ACT_RESUBMIT,   /* applicant: returned -> submitted, or back to review */
    APPLY_ACT_COUNT
};
const char *apply_action_name(int action);
int apply_action_parse(const char *s);
/* The authz action a staff transition needs ("case.accept"...), NULL for the applicant's. */
const char *apply_action_permission(int action);
/* Reject (不予受理), deny (不予许可) and withdraw: a person confirms them first. */
int apply_action_destructive(int action);
/* The state `action` leads to from `from`, or -1 when it is not allowed there. A
 * resubmission goes back to `resume` (the state it was returned from: submitted, accepted
 * or under_review). */
int apply_next_state(int from, int action, int resume);

/* ---- form validation (pure) -------------------------------------------------------------- */

/* Validate `values` (object key -> string, as submitted) against the item's form.fields:
 * required, lengths, pattern, number ranges, dates (min/max as dates or "today"), select
 * options, id_number/uscc check characters, mainland mobile phone, 12-digit division,
 * email. Normalised values go into `clean` (object; checkbox becomes true/false, numbers
 * integers, ID numbers canonical); every problem is appended to `problems` as
 * {kind:"field", key, code} with code an i18n key ("apply.err.required"...) and params.
 * `today` is the YYYYMMDD date for "today" bounds. Returns the number of problems. */
int apply_form_validate(const json_t *item, const json_t *values, int today, json_t *clean,
                        json_t *problems);

/* ---- materials -------------------------------------------------------------------------- */

#define APPLY_MAX_FILES 32

struct apply_upload {
    const char *material_key; /* the item's materials[].key */
    const char *filename;
    const void *data;
    size_t len;
};

/* The MIME type the content's magic bytes show (PDF, JPEG, PNG), or NULL. */
const char *apply_sniff(const void *data, size_t len);

/* ---- the clock (pure) -------------------------------------------------------------------- */

struct apply_clock {
    int limit_days;      /* working days allowed */
    int used_days;       /* working days used before the last pause */
    int64_t started_ms;  /* start of the running period, 0 when stopped */
    int64_t deadline_ms; /* the running deadline, 0 when stopped */
};
/* Start or restart the clock at now with the remaining days. */
int apply_clock_run(const struct calendar *cal, struct apply_clock *c, int64_t now_ms,
                    struct err *err);
/* Stop it (补正): the working days used so far are added to used_days. */
void apply_clock_pause(const struct calendar *cal, struct apply_clock *c, int64_t now_ms);
/* Share of the limit used at now (running or stopped). */
double apply_clock_fraction(const struct calendar *cal, const struct apply_clock *c,
                            int64_t now_ms);
enum { APPLY_MARK_NONE = 0, APPLY_MARK_YELLOW = 1, APPLY_MARK_RED = 2 };
int apply_clock_mark(const struct calendar *cal, const struct apply_clock *c, int64_t now_ms);

/* ---- applying ---------------------------------------------------------------------------- */

struct apply_cert_choice {
    const char *material_key;
    const char *cert_identifier;
};

struct apply_request {
    const struct authz_subject *subj; /* who files */
    const char *item_code;
    const json_t *values;         /* field key -> submitted string */
    int64_t division_code;        /* where it is handled (12 digits) */
    int64_t enterprise_id;        /* for an enterprise the subject acts for, or 0 */
    const char *walkin_id_number; /* a clerk filing for a walk-in person (帮办代办) */
    const char *walkin_name;
    const char *walkin_phone; /* their mobile (optional): receipt and changes by SMS */
    const char *walkin_lang;  /* their language, zh|bo|en (NULL: `lang`) */
    int64_t acting_for;       /* an agent acting for this citizen with consent (0: not) */
    int64_t acting_consent;   /* ... under this consent */
    const char *idem_key;     /* idempotency key (form field / header), may be NULL */
    const char *lang;         /* the applicant's language */
    int64_t draft_id;         /* a draft being submitted or saved, or 0 */
    int64_t bundle_id;        /* set by bundle fan-out */
    const struct apply_upload *files;
    size_t nfiles;
    const struct apply_cert_choice *certs;
    size_t ncerts;
    /* Held uploads (below): the form they are bound to, this session, the held files the
     * form carries back and those to let go of. */
    const char *form_key;    /* "item:CODE", "bundle:CODE" or "complete:NUMBER" */
    const char *session_key; /* the session's token hash */
    const int64_t *held;
    size_t nheld;
    const int64_t *unhold;
    size_t nunhold;
    const char *ip;
};

/* ---- held uploads ------------------------------------------------------------------------
 * A file uploaded with a form that is not (yet) submitted - a pre-check, a submission with
 * problems, a saved draft, a completion with problems - is held server-side, so nobody
 * uploads it twice: sealed like materials, with its SM3, bound to the account, the form
 * (rq->form_key) and the session (rq->session_key) or, once saved with it, the draft. The
 * page lists each held file (name, size, time) with its id in a hidden "held" field; a form
 * sends those ids back (rq->held) and they count as that material's file; a new upload for
 * the material replaces them; rq->unhold lets go of some; a session keeps one set per form
 * (what a page did not carry back goes). Submitting uses them up. */
#define APPLY_HELD_MS (24LL * 3600 * 1000)            /* a session's: one day */
#define APPLY_DRAFT_HELD_MS (30LL * 24 * 3600 * 1000) /* kept with a draft: thirty days */
#define APPLY_HELD_MAX 64                             /* files held per account */
#define APPLY_HELD_MAX_BYTES (100LL * 1024 * 1024)    /* bytes held per account */

/* Hold the request's valid uploads (materials of `item`, which may be a bundle's union
 * form) for rq->form_key, drop the held files they replace and rq->unhold, purge expired
 * holds, and with `draft_id` (the subject's draft) keep them all with that draft. *held
 * gets what is held for the form now: [{id, material_key, filename, content_type, size,
 * at, created_at}] (new reference). Invalid uploads are not held (pre-check and submit
 * report them); one past the bounds gets {kind: material, key, code: apply.err.held_full}
 * in `problems` (may be NULL). Own transaction. */
int apply_hold(struct apply *ap, const struct apply_request *rq, const json_t *item,
               int64_t draft_id, json_t *problems, json_t **held, struct err *err);
/* What is kept with the subject's draft (its form page), in the same shape. */
int apply_held_of_draft(struct apply *ap, const struct authz_subject *subj, int64_t draft_id,
                        const char *lang, json_t **held, struct err *err);
/* Delete every hold that expired by now_ms; *purged (may be NULL) gets how many. */
int apply_held_purge(struct apply *ap, int64_t now_ms, int64_t *purged, struct err *err);

/* Pre-check: every field and material problem at once into `problems` (see
 * apply_form_validate; materials give {kind:"material", key, code}). Returns the count,
 * or -1 with err (item unknown, not allowed). */
int apply_precheck(struct apply *ap, const struct apply_request *rq, json_t *problems,
                   struct err *err);
/* Submit: pre-check, then one transaction. 0 with the number in number_out (32 bytes);
 * 1 with problems (nothing stored); -1 with err. A repeated idempotency key returns the
 * first application's number (0) without creating another. */
int apply_submit(struct apply *ap, const struct apply_request *rq, char number_out[32],
                 json_t *problems, struct err *err);
/* Save (or update) a draft without validation; its id in *draft_id. */
int apply_draft_save(struct apply *ap, const struct apply_request *rq, int64_t *draft_id,
                     struct err *err);
/* A draft of the subject: {id, item_code, values}; 404 when not theirs. */
int apply_draft_get(struct apply *ap, const struct authz_subject *subj, int64_t draft_id,
                    json_t **draft, struct err *err);

/* Complete a returned application (补正): new values and files replace the old ones,
 * every problem at once as for submit (1), and the case goes back where it was. */
int apply_resubmit(struct apply *ap, const char *number, const struct apply_request *rq,
                   json_t *problems, struct err *err);

/* A staff or applicant transition. `problems` (for return: [{kind, key}] chosen from the
 * item's fields and materials) and `note` (reason; required for return without problems,
 * reject and deny) may be NULL. 403 apply.forbidden, 404 apply.not_found, 409
 * apply.bad_state. */
int apply_act(struct apply *ap, const struct authz_subject *subj, const char *number, int action,
              const char *note, const json_t *problems, const char *ip, struct err *err);

/* Demo data only: move a case's due time (and deadline) to due_at (src/app/demo.c). */
int apply_demo_due(struct apply *ap, const char *number, int64_t due_at, struct err *err);

/* Would apply_act succeed? The same checks (visibility, role, state, reason, 补正 items)
 * and nothing changed: the first step of a destructive action's confirmation. 0 or -1. */
int apply_act_check(struct apply *ap, const struct authz_subject *subj, const char *number,
                    int action, const char *note, const json_t *problems, struct err *err);

/* The reveals of `applicant`'s applications, newest first, at most `limit`, appended to
 * `rows` as {at (ms), case_number, staff_account, department_id, purpose}: for their "who
 * used my data" page (issue 13 item 5). Recorded since migration 0022. */
int apply_reveals_of(struct apply *ap, int64_t applicant, int limit, json_t *rows, struct err *err);
/* Staff who may see a case ask for its full ID numbers on purpose ("verify_identity",
 * "check_materials", "issue_document"): the applicant's ({key: "_applicant", id_number})
 * and every id_number field's ({key, label, id_number}), as a new reference in *out, after
 * an audit record (actor, application, purpose) is committed. 404 apply.not_found for
 * anyone else (other departments, applicants), 422 apply.purpose_required. */
int apply_reveal_ids(struct apply *ap, const struct authz_subject *subj, const char *number,
                     const char *purpose, const char *lang, const char *ip, json_t **out,
                     struct err *err);
int apply_reveal_purpose_ok(const char *purpose);

/* One application as the subject may see it: {number, item, state, form, files, timeline,
 * clock, allowed actions...}; 404 when not visible (never 403, so numbers cannot be
 * probed). `lang` for texts. */
int apply_view(struct apply *ap, const struct authz_subject *subj, const char *number,
               const char *lang, json_t **out, struct err *err);
/* A material's content for the applicant or authorised staff, in the caller's arena `out`
 * (content type, file name and bytes live as long as it does). */
struct apply_file {
    const char *content_type;
    const char *filename;
    const unsigned char *data;
    size_t len;
};
int apply_file_get(struct apply *ap, struct arena *out, const struct authz_subject *subj,
                   const char *number, int64_t file_id, struct apply_file *file, struct err *err);

/* The subject's applications (as applicant or filer), newest first. */
int apply_list_mine(struct apply *ap, const struct authz_subject *subj, const char *lang, int limit,
                    json_t **out, struct err *err);
/* The staff queue: cases of the subject's departments (grants with case.view), optionally
 * one state, sorted by due date, with marks. */
int apply_queue(struct apply *ap, const struct authz_subject *subj, const char *lang,
                const char *state, int limit, json_t **out, struct err *err);

/* Bundles (一件事): the union form and fan-out. */
int apply_bundle_form(struct apply *ap, const char *bundle_code, json_t **form, struct err *err);
int apply_bundle_submit(struct apply *ap, const char *bundle_code, const struct apply_request *rq,
                        int64_t *bundle_id, json_t *problems, struct err *err);
/* A bundle's pre-check: every item's problems (de-duplicated) and nothing stored; the
 * count, or -1. */
int apply_bundle_precheck(struct apply *ap, const char *bundle_code, const struct apply_request *rq,
                          json_t *problems, struct err *err);
int apply_bundle_view(struct apply *ap, const struct authz_subject *subj, int64_t bundle_id,
                      const char *lang, json_t **out, struct err *err);

/* The calendar the clock runs on (reloaded when calendar_version changes); owned. */
const struct calendar *apply_calendar(struct apply *ap, struct err *err);

/* Pages: /services/{code}/apply, /applications, /applications/{number}, /workbench... */
int apply_http_register(struct web_server *srv, struct apply *ap);

/* ---- for the reminders job -------------------------------------------------------------- */

/* An application in brief: its id, applicant, the time of its last state (returned: when it
 * was returned; decided: the decision), number, the service's name as filed and the
 * applicant's language. */
struct apply_brief {
    int64_t id, account, at;
    const char *number, *item_name, *lang;
};
typedef int (*apply_brief_fn)(void *ctx, const struct apply_brief *b);
/* Applications waiting for completion (补正) now, and those decided (approved, denied,
 * delivered, closed) since `since`, oldest first, a page of APPLY_BRIEF_MAX at a time
 * collected before fn runs (fn may write through the same connection). A negative fn stops
 * with -1. */
#define APPLY_BRIEF_MAX 256
int apply_each_returned(struct apply *ap, apply_brief_fn fn, void *ctx, struct err *err);
int apply_each_decided_since(struct apply *ap, int64_t since, apply_brief_fn fn, void *ctx,
                             struct err *err);

#endif
