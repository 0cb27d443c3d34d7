/*
 * phone.h - telephone numbers of the mainland numbering plan, normalised once for every
 * module (identity, notify, hotline, apply). Pure functions: no allocation.
 */
#ifndef ONEWINDOW_BASE_PHONE_H
#define ONEWINDOW_BASE_PHONE_H

#include <stddef.h>

#define PHONE_MAX 16 /* digits of the longest number accepted, plus the NUL */

enum phone_kind {
    PHONE_MOBILE = 1,   /* 11 digits, 1 then 3-9 */
    PHONE_LANDLINE = 2, /* 0 and an area code: 10 to 12 digits in all */
};

/* Normalise a number typed by a person: "+86", spaces and hyphens are allowed on input;
 * writes the digits to out[PHONE_MAX]. `accept` is PHONE_MOBILE or PHONE_MOBILE |
 * PHONE_LANDLINE. Returns the kind found, or -1 (out is then "") when it is not a number
 * of an accepted kind. */
int phone_normalize(const char *in, int accept, char out[PHONE_MAX]);

/* 1 when s is already a normalised mobile number (11 digits, 1 then 3-9). */
int phone_is_mobile(const char *s);

#endif
