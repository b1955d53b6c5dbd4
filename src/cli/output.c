/*
 * output.c - small output helpers shared by the subcommands.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "cli.h"

void cli_wrap(FILE *out, const char *text, int indent, int width)
{
	int col = indent;
	const char *p = text;

	while (*p != '\0') {
		const char *w = p;
		int n;

		while (*w == ' ')
			w++;
		if (*w == '\0')
			break;
		n = (int)strcspn(w, " ");
		if (col > indent && col + 1 + n > width) {
			fprintf(out, "\n%*s", indent, "");
			col = indent;
		} else if (col > indent) {
			fputc(' ', out);
			col++;
		}
		fwrite(w, 1, (size_t)n, out);
		col += n;
		p = w + n;
	}
	fputc('\n', out);
}

bool cli_take_flag(int *argc, char **argv, const char *flag)
{
	for (int i = 1; i < *argc; i++) {
		if (strcmp(argv[i], flag) == 0) {
			for (int k = i; k < *argc; k++)
				argv[k] = argv[k + 1];
			(*argc)--;
			return true;
		}
	}
	return false;
}

const char *cli_take_option(int *argc, char **argv, const char *name)
{
	for (int i = 1; i + 1 < *argc; i++) {
		if (strcmp(argv[i], name) == 0) {
			const char *v = argv[i + 1];
			for (int k = i; k + 2 <= *argc; k++)
				argv[k] = argv[k + 2];
			*argc -= 2;
			return v;
		}
	}
	return NULL;
}

const char *cli_addr_text(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	const void *a = ss->ss_family == AF_INET6
				? (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr
				: (const void *)&((const struct sockaddr_in *)ss)->sin_addr;

	if (inet_ntop(ss->ss_family, a, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
	return buf;
}

void cli_json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 32)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

/* The whole of s is a date, or a date and time with an optional Z: unix seconds, or -1. */
static int64_t parse_date(const char *s)
{
	struct tm tm, back;
	const char *end;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	if ((end = strptime(s, "%Y-%m-%d", &tm)) == NULL)
		return -1;
	if (*end == 'T' && (end = strptime(end + 1, "%H:%M:%S", &tm)) != NULL && *end == 'Z')
		end++;
	if (end == NULL || *end != '\0')
		return -1;
	/* strptime takes 2026-02-30; timegm would make it March 2: refuse what does not exist */
	back = tm;
	if ((t = timegm(&tm)) < 0 || gmtime_r(&t, &tm) == NULL || tm.tm_mday != back.tm_mday ||
	    tm.tm_mon != back.tm_mon)
		return -1;
	return (int64_t)t;
}

int64_t cli_parse_time(const char *s, int64_t now)
{
	static const struct {
		char unit;
		int64_t seconds;
	} spans[] = { { 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 }, { 'w', 604800 } };
	char *end;
	long long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	if (strchr(s, '-') != NULL)
		return parse_date(s);
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0)
		return -1;
	if (*end == '\0')
		return (int64_t)v; /* unix seconds */
	for (size_t i = 0; end[1] == '\0' && i < sizeof(spans) / sizeof(spans[0]); i++)
		if (*end == spans[i].unit && v <= now / spans[i].seconds)
			return now - (int64_t)v * spans[i].seconds;
	return -1;
}
