/*
 * log.c - key=value event lines (see log.h).
 */
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

#include "lib/log.h"

static const char *const level_names[] = { "debug", "info", "warn", "error" };

void logger_init(struct logger *lg, FILE *out, enum log_level level)
{
	lg->out = out;
	lg->level = level;
}

bool log_level_parse(const char *s, enum log_level *out)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcasecmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return true;
		}
	}
	return false;
}

void log_event(const struct logger *lg, enum log_level level, const char *event, const char *fmt,
	       ...)
{
	struct timeval tv;
	struct tm tm;
	char ts[32];
	char line[4096];
	size_t n;
	va_list ap;

	if (lg == NULL || lg->out == NULL || level < lg->level)
		return;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	n = (size_t)snprintf(line, sizeof(line), "ts=%s.%03dZ level=%s event=%s", ts,
			     (int)(tv.tv_usec / 1000), level_names[level], event);
	if (n < sizeof(line) && fmt != NULL && fmt[0] != '\0') {
		line[n++] = ' ';
		va_start(ap, fmt);
		vsnprintf(line + n, sizeof(line) - n, fmt, ap);
		va_end(ap);
	}
	/* One write per line, so lines from several threads never interleave. */
	fprintf(lg->out, "%s\n", line);
	fflush(lg->out);
}

const char *log_q(char *buf, size_t size, const char *value)
{
	size_t o = 0;

	buf[o++] = '"';
	for (const char *v = value ? value : ""; *v; v++) {
		unsigned char c = (unsigned char)*v;
		if (o + 6 >= size) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (c == '"' || c == '\\')
			buf[o++] = '\\';
		buf[o++] = (c < 32 || c == 127) ? '?' : (char)c;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

void err_printf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}
