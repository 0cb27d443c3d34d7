/* remind_internal.h - the SQL of reminders (remind_store.c): only its own table remind_sent. */
#ifndef ONEWINDOW_REMIND_INTERNAL_H
#define ONEWINDOW_REMIND_INTERNAL_H

#include "remind/remind.h"

struct store_conn;

/* 1 when newly marked, 0 when it was sent before. */
int remind_db_mark(struct store_conn *c, const char *kind, const char *object, int64_t now,
                   int *fresh, struct err *err);

#endif
