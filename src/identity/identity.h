/*
 * identity.h - unified identity (统一身份认证): accounts of citizens, enterprise agents
 * and staff; login with argon2id passwords and a TOTP second factor (required for staff);
 * departments and role grants; and the one authorization function every module calls.
 *
 * Personal data: ID numbers and phone numbers are stored only encrypted (SM4-CTR +
 * HMAC-SM3 under the keyring's PII key, with the account id bound as associated data)
 * beside a keyed HMAC-SM3 for look-ups; views get them masked (5401**********123X).
 *
 * Every call that changes something writes its audit record in the same transaction.
 * Functions take plain C values and the module handle; none knows HTTP. Strings returned
 * in structs live in the caller's arena.
 */
#ifndef ONEWINDOW_IDENTITY_IDENTITY_H
#define ONEWINDOW_IDENTITY_IDENTITY_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "identity/idcodes.h"

struct arena;
struct store;
struct store_conn;
struct crypto_keyring;
struct web_server;

struct identity;

struct identity_options {
    int fast_passwords;      /* tests only: cheap argon2id parameters */
    int max_failures;        /* failed logins before a pause (default 5) */
    int pause_s;             /* first pause (default 60 s), doubling, capped at 15 min */
    int ip_max_failures;     /* failures from one address per window (default 50) */
    const char *totp_issuer; /* shown in authenticator apps (default "onewindow") */
};

/* Open the module: a password-hashing gate sized to the cores, the keyring borrowed. */
int identity_open(struct store *s, struct crypto_keyring *kr, const struct identity_options *o,
                  struct identity **out, struct err *err);
void identity_close(struct identity *id);
struct store *identity_store(struct identity *id);

enum identity_kind { IDENTITY_CITIZEN = 1, IDENTITY_STAFF = 2 };

struct identity_account {
    int64_t id;
    int kind;             /* enum identity_kind */
    const char *username; /* staff login name; NULL for citizens */
    const char *name;
    const char *id_number_masked; /* NULL if none */
    const char *phone_masked;     /* NULL if none */
    int totp_enabled;
    const char *lang;
    const char *status; /* "active", "disabled" */
    int64_t created_at;
};

/* The account, or -1 with err (404 "identity.not_found"). */
int identity_account_get(struct identity *id, struct arena *a, int64_t account_id,
                         struct identity_account *out, struct err *err);
/* The same without the masked ID number and phone (left NULL): no decryption, for hot
 * paths that need only the name, language, kind and status (layout, OIDC userinfo). */
int identity_account_summary(struct identity *id, struct arena *a, int64_t account_id,
                             struct identity_account *out, struct err *err);
/* 1 when the account exists and is active, 0 when not (absent or disabled), -1 with err
 * on a system failure. One column read: for hot paths such as the OIDC token exchange. */
int identity_account_active(struct identity *id, int64_t account_id, struct err *err);
/* Decrypted personal data for a purpose the caller has authorised (OIDC userinfo with
 * the matching scope; the account's own profile page). NULL when absent. */
int identity_account_private(struct identity *id, struct arena *a, int64_t account_id,
                             const char **id_number, const char **phone, struct err *err);
/* Both in one read: the summary (as identity_account_summary) and the decrypted ID number
 * and phone (as identity_account_private). `summary` may be NULL. */
int identity_account_with_private(struct identity *id, struct arena *a, int64_t account_id,
                                  struct identity_account *summary, const char **id_number,
                                  const char **phone, struct err *err);

/* Field errors of a form, all at once (一次性告知). `field` is the form field's name,
 * `code` a stable i18n key (identity.id_check ...), `msg` the English sentence. */
#define IDENTITY_MAX_FIELD_ERRORS 16
struct identity_field_errors {
    size_t n;
    struct {
        const char *field;
        char code[64];
        char msg[256];
    } e[IDENTITY_MAX_FIELD_ERRORS];
};

struct identity_registration {
    const char *name;
    const char *id_number;
    const char *phone;
    const char *password;
    const char *password_again;
    const char *lang;
};

/* Register a citizen. Returns 0 and the new id; 1 with every field error in `fe` (nothing
 * stored); -1 with err on a system failure. An ID number already registered is a field
 * error (identity.id_taken). */
int identity_register_citizen(struct identity *id, const struct identity_registration *in,
                              const char *ip, int64_t *account_id, struct identity_field_errors *fe,
                              struct err *err);

enum identity_login_result {
    IDENTITY_LOGIN_OK = 0,         /* password right, no second factor needed */
    IDENTITY_LOGIN_NEED_TOTP = 1,  /* password right; a TOTP code (or recovery code) next */
    IDENTITY_LOGIN_ENROL_TOTP = 2, /* staff without TOTP: must set it up before going on */
    IDENTITY_LOGIN_BAD = 3,        /* wrong login or password (never says which) */
    IDENTITY_LOGIN_PAUSED = 4,     /* too many failures: retry after *retry_after_s */
};

/* Check a login name (ID number, phone or staff username) and password. Failures count
 * per account and per address; an account pauses for a growing time after max_failures
 * (a pause, never a permanent lock an attacker could impose on a citizen). Audited. */
int identity_login(struct identity *id, const char *login, const char *password, const char *ip,
                   int64_t *account_id, int *result, int *retry_after_s, struct err *err);
/* Check a second factor: a 6-digit TOTP code (a code's time step is accepted once) or an
 * unused recovery code (then spent). *ok is 1 or 0. Throttled and audited like login. */
int identity_login_second_factor(struct identity *id, int64_t account_id, const char *code,
                                 const char *ip, int *ok, int *retry_after_s, struct err *err);

/* TOTP enrolment: a new secret (base32) and its otpauth:// URI, not yet saved. */
int identity_totp_new(struct identity *id, struct arena *a, int64_t account_id,
                      const char **secret_b32, const char **uri, struct err *err);
/* Save the secret once the person proved their app shows the right code; returns the
 * recovery codes (shown once, stored hashed) in an arena array of `*ncodes`. Returns 1
 * if the code is wrong (nothing saved). */
int identity_totp_enable(struct identity *id, struct arena *a, int64_t account_id,
                         const char *secret_b32, const char *code, const char *ip,
                         const char ***codes, size_t *ncodes, struct err *err);
/* Install a known TOTP secret (base32) without a code: for the demo region's documented
 * staff accounts and for importing existing tokens by an administrator. Audited. */
int identity_totp_install(struct identity *id, int64_t actor, int64_t account_id,
                          const char *secret_b32, struct err *err);
/* Remove TOTP (citizens only: staff must keep it); requires a current code. 1 if wrong. */
int identity_totp_disable(struct identity *id, int64_t account_id, const char *code, const char *ip,
                          struct err *err);

/* Change the password (the old one is checked); ends every other session is the
 * caller's job (web_sessions_end_all). 1 with field errors. */
int identity_password_change(struct identity *id, int64_t account_id, const char *old_pw,
                             const char *new_pw, const char *new_again, const char *ip,
                             struct identity_field_errors *fe, struct err *err);

/* Called after every session of an account was ended on purpose ("log out everywhere",
 * a password change), so that other modules end what they hold for it too (the OIDC
 * provider revokes the account's grants). Set once at start-up. */
typedef void (*identity_sessions_ended_fn)(void *ctx, int64_t account_id, const char *reason,
                                           const char *ip);
void identity_on_sessions_ended(struct identity *id, identity_sessions_ended_fn fn, void *ctx);
void identity_sessions_ended(struct identity *id, int64_t account_id, const char *reason,
                             const char *ip);

/* ---- departments, staff, roles --------------------------------------------------------- */

enum identity_role {
    ROLE_CLERK = 0,     /* 窗口受理 */
    ROLE_REVIEWER,      /* 审核 */
    ROLE_HEAD,          /* 部门负责人 */
    ROLE_HOTLINE_AGENT, /* 12345 话务员 */
    ROLE_AUDITOR,       /* 审计管理员 */
    ROLE_ADMIN,         /* 系统管理员 */
    ROLE_SUPERVISOR,    /* 效能督查: read-only over the grant's division subtree */
    ROLE_SECURITY_ADMIN, /* 安全管理员: grants and revokes roles (三权分立 with admin, auditor) */
    ROLE_COUNT
};
/* "clerk", "reviewer", "head", "hotline_agent", "auditor", "admin", "supervisor",
 * "security_admin" */
const char *identity_role_name(int role);
/* 1 for the administrators' roles (system administrator, auditor, security administrator):
 * 三权分立 has only the security administrator grant them (src/oversight/oversight_roles.c),
 * never the system administrator's account forms. */
int identity_role_reserved(int role);
int identity_role_parse(const char *s);

struct identity_department {
    int64_t id;
    const char *code;
    const char *name_zh, *name_bo, *name_en;
    int64_t division_code;
};

/* Administration calls take the actor (0: the system, e.g. the CLI) and the source
 * address for the audit record (NULL when there is none). */
int identity_department_create(struct identity *id, int64_t actor, const char *ip, const char *code,
                               const char *name_zh, const char *name_bo, const char *name_en,
                               int64_t division_code, int64_t *dept_id, struct err *err);
int identity_department_list(struct identity *id, struct arena *a, struct identity_department **out,
                             size_t *n, struct err *err);
int identity_department_find(struct identity *id, struct arena *a, const char *code,
                             struct identity_department *out, struct err *err);
/* The same by id (404 identity.not_found). */
int identity_department_get(struct identity *id, struct arena *a, int64_t dept_id,
                            struct identity_department *out, struct err *err);

/* Create a staff account with a first password (the person must set up TOTP at first
 * login). */
int identity_staff_create(struct identity *id, int64_t actor, const char *ip, const char *username,
                          const char *name, const char *password, int64_t *account_id,
                          struct err *err);
int identity_account_find_username(struct identity *id, const char *username, int64_t *account_id,
                                   struct err *err);

int identity_grant(struct identity *id, int64_t actor, const char *ip, int64_t account_id,
                   int64_t dept_id, int role, struct err *err);
int identity_revoke(struct identity *id, int64_t actor, const char *ip, int64_t account_id,
                    int64_t dept_id, int role, struct err *err);
/* Whether a department exists (*found 1 or 0). Reads on the calling thread's connection, so
 * it sees the caller's open transaction. */
int identity_department_exists(struct identity *id, int64_t dept_id, int *found, struct err *err);
/* The accounts holding `role` (ROLE_*) in a department now, in account order: at most `max`
 * ids written, *n their number. Same connection rule. */
int identity_department_holders(struct identity *id, int64_t dept_id, int role, int64_t *ids,
                                size_t max, size_t *n, struct err *err);

/* The platform's own department at the region and its first administrator ("admin"),
 * created once. Returns 1 when it created them (password gets the one-time password,
 * which the caller shows once and wipes), 0 when "admin" already exists. */
#define IDENTITY_BOOTSTRAP_PW_SIZE 20
int identity_bootstrap_admin(struct identity *id, char password[IDENTITY_BOOTSTRAP_PW_SIZE],
                             struct err *err);

/* ---- authorization -------------------------------------------------------------------- */

#define AUTHZ_MAX_GRANTS 32

/* Who is asking: loaded once per request with identity_subject_load. */
struct authz_subject {
    int64_t account_id; /* 0: anonymous */
    int kind;           /* enum identity_kind, 0 when anonymous */
    int aal;            /* authentication level of the session */
    size_t ngrants;
    struct {
        int role;
        int64_t department_id;
        int64_t division_code; /* the department's division: the grant's scope */
    } grants[AUTHZ_MAX_GRANTS];
};

/* What it is about: any field may be 0 when it does not apply. */
struct authz_object {
    int64_t owner_id;      /* the account whose data it is */
    int64_t department_id; /* the competent department */
    int64_t division_code; /* where it is handled */
};

int identity_subject_load(struct identity *id, int64_t account_id, int aal,
                          struct authz_subject *out, struct err *err);

/* The one authorization function (ARCHITECTURE §5): may `subj` do `action` on `obj`?
 * Actions are stable strings; the table of who may do what is in authz.c. Staff actions
 * need a second factor (aal 2). Returns 1 (allowed) or 0 (denied). */
int authz_allowed(const struct authz_subject *subj, const char *action,
                  const struct authz_object *obj);

/* ---- the subject of a request (for every module's handlers) ---------------------------- */

struct web_req;
struct web_resp;
/* The logged-in subject of this request, with its grants. 0; or -1 with the response
 * failed: 401 when nobody (or only a half-finished login) is there, which sends a page to
 * the login and back (web_need_session), 500 when the account cannot be read. Staff get
 * their grants only after the second factor (aal 2), as authz_allowed requires. */
int identity_web_subject(struct identity *id, struct web_req *req, struct web_resp *resp,
                         struct authz_subject *out);
/* The same for pages anybody may see: 0 with out->account_id 0 for an anonymous visitor;
 * -1 only when a logged-in account cannot be read. */
int identity_web_subject_opt(struct identity *id, struct web_req *req, struct web_resp *resp,
                             struct authz_subject *out);

/* May `subj` do `action` on some object (any department of its grants, for actions
 * scoped to a department)? For menus and links: the object itself is still checked with
 * authz_allowed when it is touched. */
int authz_allowed_somewhere(const struct authz_subject *subj, const char *action);

/* ---- the account menu ------------------------------------------------------------------
 * Every page's header lists what the logged-in person can do, as the model's
 * me.menu [{href, label}]. Modules add their entries at start-up (wiring), in order:
 * `action` NULL shows the entry to citizens (not staff); otherwise to staff who may do
 * `action` somewhere (authz_allowed_somewhere). Strings are static. -1 past
 * IDENTITY_MENU_MAX entries. */
#define IDENTITY_MENU_MAX 40
int identity_menu_add(struct identity *id, const char *href, const char *label_key,
                      const char *action);

/* ---- wiring ---------------------------------------------------------------------------- */

/* Pages: /login, /login/second-factor, /logout, /register, /account, /account/security,
 * /admin/... and their /api/v1 twins. */
/* ---- the base registers (issue 13 item 7) -----------------------------------------------
 * Registration checks name and ID number against the population register; claiming an
 * enterprise checks the claimant against the legal person register's legal
 * representative. Each function returns 0 when the register confirms, 1 when it
 * contradicts, 2 when it cannot say (no record in a register that is not complete, such
 * as the demo's sandbox), -1 with err when it cannot be asked (registration then fails
 * with that error rather than going unchecked). Set once at start-up; without it nothing
 * is checked. */
struct identity_registers {
    void *ctx;
    int (*person)(void *ctx, const char *name, const char *id_number, struct err *err);
    int (*legal_rep)(void *ctx, const char *uscc, const char *id_number, struct err *err);
};
void identity_set_registers(struct identity *id, const struct identity_registers *r);

int identity_http_register(struct web_server *srv, struct identity *id);

/* ---- enterprises ----------------------------------------------------------------------
 * An enterprise (法人) is known by its unified social credit code (GB 32100); citizens
 * act for it as its legal representative (法定代表人) or as agents (经办人). Who may see
 * or change an enterprise is decided here by membership, not by authz_allowed: only a
 * member sees it (others get 404, so ids cannot be probed) and only its legal
 * representative adds or removes agents (403). The legal representative always stays. */

enum identity_enterprise_role { ENTERPRISE_LEGAL_REP = 1, ENTERPRISE_AGENT = 2 };
/* "legal_rep", "agent"; parse gives 0 for anything else. */
const char *identity_enterprise_role_name(int role);
int identity_enterprise_role_parse(const char *s);

/* Active citizens with an ID number, in id order, a page at a time (keyset: pass the last id
 * of the previous page as `after`, 0 for the first): fn gets each account id and language;
 * *last the last id seen, *n how many. A nonzero return of fn stops with -1. */
typedef int (*identity_citizen_fn)(void *ctx, int64_t account_id, const char *lang);
int identity_citizens_page(struct identity *id, int64_t after, int limit, identity_citizen_fn fn,
                           void *ctx, int64_t *last, size_t *n, struct err *err);

/* The account with this citizen ID number, found by its keyed hash as login finds it;
 * 400 with an identity.id_* code for a malformed number, 404 identity.not_found if none. */
int identity_account_find_id_number(struct identity *id, const char *id_number, int64_t *account_id,
                                    struct err *err);

/* The citizen account with this ID number or mobile number (as login finds it; a staff
 * username is not looked up): 404 identity.not_found if none. */
int identity_account_find_citizen(struct identity *id, const char *login, int64_t *account_id,
                                  struct err *err);

struct identity_enterprise {
    int64_t id;
    const char *uscc; /* canonical, upper case */
    const char *name;
    const char *legal_rep; /* the legal representative's name as registered */
    int role;              /* the asking account's role (enum identity_enterprise_role) */
    int64_t created_at;
};

struct identity_enterprise_member {
    int64_t account_id;
    const char *name;
    const char *id_number_masked; /* NULL if none */
    int role;
    int64_t granted_at;
};

struct identity_enterprise_registration {
    const char *uscc;
    const char *name;
    const char *legal_rep;
    const char *role; /* the registering citizen's: "legal_rep" or "agent" */
};

/* Register an enterprise for the citizen `account_id`, who becomes its member with the
 * role given. 0 and the new id; 1 with every field error (identity.uscc_*,
 * identity.uscc_taken, identity.enterprise_name_*, identity.legal_rep_*,
 * identity.enterprise_role_invalid); -1 with err. Audited (identity.enterprise_register). */
int identity_enterprise_register(struct identity *id, int64_t account_id,
                                 const struct identity_enterprise_registration *in, const char *ip,
                                 int64_t *enterprise_id, struct identity_field_errors *fe,
                                 struct err *err);
/* The enterprises `account_id` acts for, oldest membership first, in an arena array. */
int identity_enterprises_of(struct identity *id, struct arena *a, int64_t account_id,
                            struct identity_enterprise **out, size_t *n, struct err *err);
/* One enterprise as seen by `account_id`; 404 identity.enterprise_not_found when it does
 * not exist or the account is not a member. */
int identity_enterprise_get(struct identity *id, struct arena *a, int64_t account_id,
                            int64_t enterprise_id, struct identity_enterprise *out,
                            struct err *err);
/* Its members (legal representative first), for a member `account_id` (else 404). */
int identity_enterprise_members(struct identity *id, struct arena *a, int64_t account_id,
                                int64_t enterprise_id, struct identity_enterprise_member **out,
                                size_t *n, struct err *err);
/* The legal representative `actor` adds the citizen with this ID number as an agent. 0;
 * 1 with a field error on "id_number" (identity.id_*, identity.agent_unknown,
 * identity.agent_already); -1 with err: 404 for a non-member, 403 identity.forbidden
 * for an agent. Audited (identity.agent_add). */
int identity_enterprise_agent_add(struct identity *id, int64_t actor, int64_t enterprise_id,
                                  const char *id_number, const char *ip,
                                  struct identity_field_errors *fe, struct err *err);
/* The legal representative removes an agent: 404 for a non-member or an account that is
 * no member, 403 for an agent, 409 identity.legal_rep_stays for the legal representative.
 * Audited (identity.agent_remove). */
int identity_enterprise_agent_remove(struct identity *id, int64_t actor, int64_t enterprise_id,
                                     int64_t agent_account_id, const char *ip, struct err *err);

/* Pages: /account/enterprises/new, /account/enterprises/{id} and their agents' forms, with
 * /api/v1 twins (enterprise_http.c); called by identity_http_register. */
int identity_enterprise_http_register(struct web_server *srv, struct identity *id);

#endif
