/*
 * rfc5322.c - header section scanning and the date-time format (see rfc5322.h).
 */
#include <string.h>
#include <strings.h>

#include "rfc5322.h"

size_t rfc5322_header_length(const uint8_t *msg, size_t len)
{
	size_t i = 0;

	while (i < len) {
		const uint8_t *lf = memchr(msg + i, '\n', len - i);
		size_t line_end = lf ? (size_t)(lf - msg) + 1 : len;
		size_t line_len = line_end - i;
		if (line_len == 1 || (line_len == 2 && msg[i] == '\r'))
			return line_end; /* the empty line */
		i = line_end;
	}
	return len;
}

bool rfc5322_has_field(const uint8_t *msg, size_t len, const char *name)
{
	size_t hlen = rfc5322_header_length(msg, len), nlen = strlen(name);

	for (size_t i = 0; i < hlen;) {
		const uint8_t *lf = memchr(msg + i, '\n', hlen - i);
		size_t next = lf ? (size_t)(lf - msg) + 1 : hlen;
		if (next - i > nlen && strncasecmp((const char *)msg + i, name, nlen) == 0) {
			size_t k = i + nlen;
			while (k < next && (msg[k] == ' ' || msg[k] == '\t'))
				k++; /* obsolete syntax allows blanks before the colon */
			if (k < next && msg[k] == ':')
				return true;
		}
		i = next;
	}
	return false;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's civil_from_days). */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era, yy;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = floor_div(z, 146097);
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	yy = (int64_t)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = yy + (*m <= 2);
}

bool rfc5322_put_date(struct buf *b, int64_t t, int tz_minutes)
{
	static const char *const wdays[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	int64_t local = t + (int64_t)tz_minutes * 60, days = floor_div(local, 86400), year;
	int64_t secs = local - days * 86400, wday = days + 4 - floor_div(days + 4, 7) * 7;
	int tz = tz_minutes < 0 ? -tz_minutes : tz_minutes;
	unsigned month, day;

	civil_from_days(days, &year, &month, &day);
	return buf_printf(b, "%s, %02u %s %04lld %02d:%02d:%02d %c%02d%02d", wdays[wday], day,
			  months[month - 1], (long long)year, (int)(secs / 3600),
			  (int)(secs / 60 % 60), (int)(secs % 60), tz_minutes < 0 ? '-' : '+',
			  tz / 60, tz % 60);
}
