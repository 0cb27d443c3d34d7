/*
 * apply_reveal_store.c - the SQL of staff reveals of full ID numbers (table
 * application_reveals of migration 0022), kept by applicant so that the applicant's "who
 * used my data" page reads them with one index range scan (apply_reveals_of).
 */
#include "apply/apply_internal.h"

#include "base/id.h"
#include "store/store.h"

static const char SQL_REVEAL_INSERT[] =
    "INSERT INTO application_reveals (id, application_id, case_number, applicant_account, "
    "staff_account, department_id, purpose, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
static const char SQL_REVEALS[] =
    "SELECT at, case_number, staff_account, department_id, purpose FROM application_reveals "
    "WHERE applicant_account = ? ORDER BY id DESC LIMIT ?";

int apply_db_reveal_insert(struct store_conn *c, const struct app_row *r, int64_t staff,
                           const char *purpose, int64_t now, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_REVEAL_INSERT, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, id_next());
    store_bind_int64(st, 2, r->id);
    store_bind_text(st, 3, r->number, -1);
    store_bind_int64(st, 4, r->applicant_account);
    store_bind_int64(st, 5, staff);
    store_bind_int64(st, 6, r->department_id);
    store_bind_text(st, 7, purpose, -1);
    store_bind_int64(st, 8, now);
    return store_run(st, NULL, err);
}

int apply_db_reveals(struct store_conn *c, int64_t applicant, int limit, json_t *rows,
                     struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_REVEALS, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, applicant);
    store_bind_int64(st, 2, limit);
    int rc;
    while ((rc = store_step(st, err)) == STORE_ROW) {
        const char *number = store_col_text(st, 1), *purpose = store_col_text(st, 4);
        if (json_array_append_new(
                rows,
                json_pack("{s:I, s:s, s:I, s:I, s:s}", "at", (json_int_t)store_col_int64(st, 0),
                          "case_number", number ? number : "", "staff_account",
                          (json_int_t)store_col_int64(st, 2), "department_id",
                          (json_int_t)store_col_int64(st, 3), "purpose", purpose ? purpose : "")) <
            0) {
            rc = err_set(err, 500, "apply.oom", "out of memory");
            break;
        }
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}
