/*
 * log.h - structured logging: one logfmt line per event on stderr.
 *
 *   ts=2026-11-26T12:00:00.123Z level=info msg="listening" addr=127.0.0.1:8080
 *
 * Values are quoted and escaped (quotes, backslashes, control bytes as \xNN) so that
 * nothing a client sends can forge a line (log injection). Each line is written with one
 * write(2), so lines from several threads never interleave. Never pass secrets.
 */
#ifndef ONEWINDOW_BASE_LOG_H
#define ONEWINDOW_BASE_LOG_H

#include "buf.h"

enum log_level { LOG_DEBUG = 0, LOG_INFO = 1, LOG_WARN = 2, LOG_ERROR = 3, LOG_OFF = 4 };

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Parse "debug", "info", "warn", "error", "off". -1 if unknown. */
int log_level_parse(const char *s);

/* The end of a log_kv list: a typed null pointer (a bare NULL may be an int in a
 * variadic call). */
#define LOG_END ((const char *)NULL)

/* A line: msg plus key/value pairs given as a list of const char* ended by LOG_END
 * (key1, value1, key2, value2, ..., LOG_END). */
void log_kv(enum log_level level, const char *msg, ...) __attribute__((sentinel));

/* printf-style message without extra keys. */
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Append ` key=value` with the value quoted when needed and escaped (for callers that
 * build their own lines, such as the request log). */
int log_append_kv(struct buf *b, const char *key, const char *value);
/* Write `value` as a logfmt value (quoted and escaped when needed) into dst, at most cap
 * bytes, NUL-terminated; returns the length written. A value that does not fit is cut
 * (and still closed with its quote). For hot paths that format into a stack buffer. */
size_t log_format_value(char *dst, size_t cap, const char *value);
/* "2026-11-26T12:00:00.123Z" into out[25], cheap: the date part is formatted once per
 * second per thread. */
void log_timestamp(char out[25]);

/* Start a line with ts= and level=; log_write sends it (adds the newline). */
int log_begin(struct buf *b, enum log_level level);
void log_write(struct buf *b);

#endif
