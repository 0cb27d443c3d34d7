/*
 * csv.h - a reader for RFC 4180 CSV text held in memory (reference data files: divisions,
 * villages, the working-day calendar). Quoted fields may contain commas, quotes ("") and
 * line breaks; CRLF and LF both end a record. Every field must be valid UTF-8.
 */
#ifndef ONEWINDOW_BASE_CSV_H
#define ONEWINDOW_BASE_CSV_H

#include <stddef.h>

#define CSV_MAX_FIELDS 32
#define CSV_MAX_RECORD 8192

struct csv {
    const char *p, *end;
    size_t line; /* line number where the current record starts (1-based) */
    char buf[CSV_MAX_RECORD];
};

void csv_init(struct csv *c, const char *text, size_t len);
/* Read the next record into fields (pointers into c->buf, valid until the next call).
 * Returns the number of fields, 0 at the end of the text, -1 for a malformed record
 * (unterminated quote, too many fields, record too long, invalid UTF-8). Empty lines
 * are skipped. */
int csv_next(struct csv *c, const char **fields);

#endif
