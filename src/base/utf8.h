/*
 * utf8.h - UTF-8 validation. Everything that enters the platform as text (paths, query
 * strings, form fields, CSV data) is checked with utf8_valid before it is stored or shown,
 * so invalid bytes become a 400 at the boundary instead of mojibake in the database.
 */
#ifndef ONEWINDOW_BASE_UTF8_H
#define ONEWINDOW_BASE_UTF8_H

#include <stddef.h>

/* 1 if `s` (`n` bytes) is well-formed UTF-8 (RFC 3629: no overlongs, no surrogates,
 * nothing above U+10FFFF) without NUL bytes, else 0. */
int utf8_valid(const char *s, size_t n);

#endif
