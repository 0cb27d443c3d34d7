/*
 * idcodes.h - the national identifiers of people and organisations, validated exactly:
 *   the citizen ID number (公民身份号码, GB 11643-1999) and
 *   the unified social credit code (统一社会信用代码, GB 32100-2015),
 * and their masking for display. Pure functions: no store, no allocation.
 */
#ifndef ONEWINDOW_IDENTITY_IDCODES_H
#define ONEWINDOW_IDENTITY_IDCODES_H

#include <stddef.h>

#include "base/err.h"

#define IDCODE_LEN 18

/* Validate a citizen ID number and write its canonical form (18 characters, check
 * character upper-case X) to out[19]. A legacy 15-digit number is converted (19 inserted
 * before the year, check character computed). -1 with err (400) and a code naming what is
 * wrong: identity.id_length, identity.id_chars, identity.id_birth_date,
 * identity.id_check. `today_yyyymmdd` bounds the birth date (0: not checked). */
int idcode_citizen_normalize(const char *in, char out[IDCODE_LEN + 1], int today_yyyymmdd,
                             struct err *err);

/* Validate a unified social credit code and write its canonical (upper-case) form to
 * out[19]. Codes: identity.uscc_length, identity.uscc_chars, identity.uscc_check. */
int idcode_uscc_normalize(const char *in, char out[IDCODE_LEN + 1], struct err *err);

/* The check character GB 11643 (ISO 7064 MOD 11-2) gives the first 17 digits. */
char idcode_citizen_check(const char *first17);
/* The check character GB 32100 gives the first 17 characters, or 0 if one is not in the
 * code's charset. */
char idcode_uscc_check(const char *first17);

/* Mask for display: keep the first `head` and last `tail` characters (UTF-8 aware), the
 * rest become '*'. "54010219900101123X" (4, 4) -> "5401**********123X". `out` must hold
 * strlen(in) + 1 bytes. */
void idcode_mask(const char *in, size_t head, size_t tail, char *out);

#endif
