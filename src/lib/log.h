/*
 * log.h - one line per event, key=value, for people and for grep.
 *
 * `ts=2026-11-23T10:00:00.123Z level=info event=connect session=4F2A client=127.0.0.1`.
 * A logger is an object that is passed to whoever logs: there is no global logger. Values that
 * may hold spaces or client-controlled bytes are quoted with log_q, which also replaces
 * control characters, so a client cannot forge log lines.
 */
#ifndef TERN_LIB_LOG_H
#define TERN_LIB_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR };

struct logger {
	FILE *out;
	enum log_level level;
};

void logger_init(struct logger *lg, FILE *out, enum log_level level);
bool log_level_parse(const char *s, enum log_level *out);

/* Writes "ts=... level=... event=EVENT " followed by the formatted key=value pairs. */
void log_event(const struct logger *lg, enum log_level level, const char *event, const char *fmt,
	       ...) __attribute__((format(printf, 4, 5)));

/* Quotes a value for a key=value line into buf (size >= 8): "..." with '"' and '\' escaped and
 * control characters as '?'; truncated with "..." when long. Returns buf. */
const char *log_q(char *buf, size_t size, const char *value);

/* Formats a message into err (errlen bytes; nothing when err is NULL): the one way modules
 * hand "what went wrong and what to do" back to their caller. */
void err_printf(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
