/*
 * backup.h - `onewindow backup DEST` and `onewindow restore SRC` (backup.c, docs/deploy.md).
 */
#ifndef ONEWINDOW_APP_BACKUP_H
#define ONEWINDOW_APP_BACKUP_H

#include <stdio.h>

#include "base/err.h"

struct config;

/* Copy the database (consistent, while serving) and the key files into the new directory
 * `dest`; prints one line with the size and time to `out`. */
int app_backup(const struct config *cfg, const char *dest, FILE *out, struct err *err);
/* Copy the backup `src` into cfg->data and cfg->db, refusing a live target. */
int app_restore(const struct config *cfg, const char *src, FILE *out, struct err *err);

#endif
