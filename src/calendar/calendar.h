/*
 * calendar.h - the working-day calendar that legal time limits run on:
 * weekends, public holidays and make-up working days (调休上班), national and regional
 * (the Tibetan New Year is a holiday in Xizang only), maintained by administrators.
 *
 * Days are civil dates in Asia/Shanghai time (UTC+8 all year, no daylight saving since
 * 1991), held as a day number: days since 1970-01-01. The store keeps only the special
 * days (table calendar_days); every other day is a working day Monday to Friday and a rest
 * day on Saturday and Sunday. Rules and limits: docs/internals/calendar.md.
 *
 * A `struct calendar` is an immutable in-memory snapshot (a sorted array) of the special
 * days of a set of scopes; it is safe to share between threads. Load a new one when
 * calendar_version() changes.
 */
#ifndef ONEWINDOW_CALENDAR_CALENDAR_H
#define ONEWINDOW_CALENDAR_CALENDAR_H

#include <stdint.h>

#include "base/err.h"

struct store;
struct store_conn;
struct web_server;

/* Dates accepted anywhere: years CALENDAR_MIN_YEAR..CALENDAR_MAX_YEAR. */
#define CALENDAR_MIN_YEAR 1970
#define CALENDAR_MAX_YEAR 2999
/* The longest time limit, in working days (about 40 years); more is an error. */
#define CALENDAR_MAX_DAYS 10000
/* Asia/Shanghai is UTC+8 with no daylight saving. */
#define CALENDAR_TZ_OFFSET_MS (8LL * 3600 * 1000)
#define CALENDAR_DAY_MS (24LL * 3600 * 1000)

enum calendar_kind { CALENDAR_HOLIDAY = 1, CALENDAR_WORKDAY = 2 };

/* The scope list of the reference deployment: national days, overridden by Xizang's. */
#define CALENDAR_SCOPES_XIZANG "national,xizang"

struct calendar;

/* One special day as read from the store; strings live in the owner (calendar or arena). */
struct calendar_day {
    int32_t day;         /* days since 1970-01-01 */
    int kind;            /* enum calendar_kind */
    const char *name_zh; /* 元旦, 藏历新年 ... */
    const char *scope;   /* "national", "xizang" ... */
    const char *source;  /* the notice that set it */
};

/* ---- dates ------------------------------------------------------------------------------ */

/* Day number of a civil date; -1 for a date that does not exist or is out of range. */
int32_t calendar_day_from_ymd(int y, int m, int d);
void calendar_day_to_ymd(int32_t day, int *y, int *m, int *d);
/* 1 = Monday ... 7 = Sunday (ISO 8601). */
int calendar_weekday(int32_t day);
/* Parse exactly "YYYY-MM-DD" into a day number; -1 with err (400 "calendar.bad_date"). */
int calendar_parse_date(const char *s, int32_t *day, struct err *err);
/* Write "YYYY-MM-DD" into out (at least 11 bytes). Returns out. */
char *calendar_format_date(int32_t day, char out[11]);
/* The Asia/Shanghai date of a time in ms since the epoch, and the first ms of a day. */
int32_t calendar_day_of_ms(int64_t ms);
int64_t calendar_day_start_ms(int32_t day);

/* ---- the calendar ------------------------------------------------------------------------ */

/* Load the special days of `scopes`, a comma-separated list in increasing precedence
 * ("national,xizang": a Xizang row wins over a national one on the same day). On success
 * *out is owned by the caller (calendar_free). */
int calendar_load(struct store *s, const char *scopes, struct calendar **out, struct err *err);
/* Build a calendar from given days (tests, tools); days are copied. Same precedence rule:
 * for equal days, a later scope in `scopes` wins. */
int calendar_from_days(const struct calendar_day *days, int n, const char *scopes,
                       struct calendar **out, struct err *err);
void calendar_free(struct calendar *cal);
/* The calendar_version() value the calendar was loaded at (0 for calendar_from_days). */
int64_t calendar_loaded_version(const struct calendar *cal);

/* Whether a day is worked: a listed workday, or a weekday that is not a listed holiday. */
int calendar_is_working(const struct calendar *cal, int32_t day);
int calendar_is_working_day(const struct calendar *cal, int y, int m, int d);
/* The special day in force on `day`, or NULL. Points into the calendar. */
const struct calendar_day *calendar_special(const struct calendar *cal, int32_t day);
/* Whether the calendar lists any special day in `year`: years without data are computed
 * from weekends alone, and pages say so. */
int calendar_has_year(const struct calendar *cal, int year);

/* The day on which `n` working days after `start` have passed: the n-th working day
 * strictly after `start` (the start day itself never counts, worked or not). n = 0 gives
 * `start`. Five working days after Friday 2025-09-26 end on 2025-10-10. -1 with err (400
 * "calendar.bad_days") for n < 0 or n > CALENDAR_MAX_DAYS or a result out of range. */
int calendar_add_working_days(const struct calendar *cal, int32_t start, int n, int32_t *end,
                              struct err *err);
/* The number of working days d with a < d <= b (negative when b < a), so that
 * between(a, add(a, n)) == n. */
int calendar_working_days_between(const struct calendar *cal, int32_t a, int32_t b);

/* The deadline of a time limit of `n` working days counted from `start_ms` (acceptance):
 * the last ms (23:59:59.999 Asia/Shanghai) of calendar_add_working_days(day of start, n). */
int calendar_deadline_ms(const struct calendar *cal, int64_t start_ms, int n, int64_t *deadline,
                         struct err *err);
/* The share of the time limit used at `now_ms`, counted in working time: each working day
 * after the start day is worth 1/n of the limit, accrued through the day. 0 before the
 * start, 1 at the deadline, more after it (>= 0.8 is the yellow warning; overdue is
 * now_ms > deadline). For n = 0, the share of the start day's remaining time. */
double calendar_fraction_used(const struct calendar *cal, int64_t start_ms, int n, int64_t now_ms);

/* ---- administration ---------------------------------------------------------------------- */

/* A number that changes whenever the calendar_days table changes (platform_meta
 * "calendar_version"); 0 before any data, -1 when it cannot be read. */
int64_t calendar_version(struct store_conn *c);

/* Load the embedded data/calendar-xizang.csv: missing rows are inserted, present rows are
 * left alone (an administrator's edits survive). Every row is validated first (a real
 * date, a known kind, a scope of lowercase letters, a name); an error names the file and
 * line ("calendar.bad_data", 500) and nothing is written. One transaction. */
int calendar_load_reference(struct store *s, int *inserted, struct err *err);
/* The same for CSV text (tests, imports); `path` is only used in messages. */
int calendar_load_csv(struct store *s, const char *path, const char *text, size_t len,
                      int *inserted, struct err *err);

/* Set (insert or replace) a special day, or remove one; audited as "calendar.set_day" /
 * "calendar.remove_day" in the same transaction. `date` is "YYYY-MM-DD", `kind`
 * "holiday" or "workday", `scope` NULL for "national". Errors: 400 calendar.bad_date,
 * calendar.bad_kind, calendar.bad_scope, calendar.bad_name; 404 calendar.not_found when
 * removing a day that is not listed. */
int calendar_set_day(struct store *s, int64_t actor_id, const char *ip, const char *date,
                     const char *kind, const char *name_zh, const char *scope, struct err *err);
int calendar_remove_day(struct store *s, int64_t actor_id, const char *ip, const char *date,
                        const char *scope, struct err *err);

/* "holiday" / "workday", or NULL; and back (-1 when unknown). */
const char *calendar_kind_name(int kind);
int calendar_kind_parse(const char *s);

/* ---- the shared calendar (calendar_cache.c) ----------------------------------------------
 * The module's handle (made in wiring): one loaded calendar for all server threads, replaced
 * when the database's calendar_version() moves, with a reference count so that a thread can
 * keep using the old one while another replaces it. */
struct calendar_cache;
struct calendar_held {
    struct calendar *cal;
    int *refs;
};
int calendar_cache_open(struct store *s, struct calendar_cache **out, struct err *err);
void calendar_cache_close(struct calendar_cache *cc);
/* A reference to a calendar as new as the database's (*version gets that version); give it
 * back with calendar_cache_put. 503 store.unavailable when the version cannot be read. */
int calendar_cache_get(struct calendar_cache *cc, struct calendar_held *h, int64_t *version,
                       struct err *err);
void calendar_cache_put(struct calendar_cache *cc, struct calendar_held *h);

/* Register GET /calendar/{year}, /api/v1/calendar/{year} and /api/v1/calendar/deadline
 * (?from=YYYY-MM-DD&days=N). `cc` is borrowed for the server's life. */
int calendar_http_register(struct web_server *srv, struct calendar_cache *cc);

/* `onewindow calendar set DATE holiday|workday NAME [SCOPE] | remove DATE [SCOPE] |
 * list YEAR | deadline DATE N`, argv[0] being "set", "remove"... Returns 0, 1 on failure
 * or 2 for a usage error, with err set in both cases. */
int calendar_cli(struct store *s, int argc, char **argv, struct err *err);

#endif
