/* open311_internal.h - shared by the files of src/open311/. */
#ifndef ONEWINDOW_OPEN311_INTERNAL_H
#define ONEWINDOW_OPEN311_INTERNAL_H

#include <jansson.h>

#include "open311/open311.h"

/* Every key, newest first: [{id, name, created_at, revoked}]. */
int open311_keys_list(struct store *st, json_t *arr, struct err *err);

#endif
