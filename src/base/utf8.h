/*
 * utf8.h - UTF-8 validation and normalisation. Everything that enters the platform as text
 * (paths, query strings, form fields, CSV data) is checked with utf8_valid before it is
 * stored or shown, so invalid bytes become a 400 at the boundary instead of mojibake in the
 * database. Names and free text that people type are stored in Unicode normalization form
 * C (utf8_nfc, ICU), so that the same text typed on two keyboards (a Tibetan vowel sign
 * precomposed on one, decomposed on the other) is the same string for comparison and
 * search; the search module normalises with the same function.
 */
#ifndef ONEWINDOW_BASE_UTF8_H
#define ONEWINDOW_BASE_UTF8_H

#include <stddef.h>

/* 1 if `s` (`n` bytes) is well-formed UTF-8 (RFC 3629: no overlongs, no surrogates,
 * nothing above U+10FFFF) without NUL bytes, else 0. */
int utf8_valid(const char *s, size_t n);

struct arena;

/* The NFC form (UAX #15) of `s` (`n` bytes) as a new NUL-terminated string that the caller
 * frees; NULL when `s` is not valid UTF-8 (utf8_valid) or memory ran out. */
char *utf8_nfc(const char *s, size_t n);

/* The NFC form of the NUL-terminated `s`: `s` itself when it is already in NFC, else a copy
 * in `a`. NULL when `s` is not valid UTF-8 or memory ran out. */
const char *utf8_nfc_in(struct arena *a, const char *s);

#endif
