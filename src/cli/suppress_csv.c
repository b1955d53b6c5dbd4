/*
 * suppress_csv.c - `tern suppress import` and `export`: the suppression list as CSV
 * (RFC 4180), one entry per line: address,reason,source,created,expires (unix seconds,
 * expires 0 for never), with that header line first.
 *
 * Import reads the file twice: first to check every line, then to write in transactions of
 * IMPORT_BATCH entries. A file with one bad line therefore changes nothing, and a million
 * entries never sit in memory at once.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/suppress_csv.h"
#include "proto/address.h"

#define IMPORT_BATCH 10000
#define LINE_MAX_LEN 4096
#define FIELDS	     5

static const char header[] = "address,reason,source,created,expires";

/* Splits one CSV line (no line end) into fields, quotes removed; false when malformed. */
static bool split(char *line, char *field[FIELDS], size_t *n)
{
	char *r = line, *w = line;

	*n = 0;
	for (;;) {
		if (*n == FIELDS)
			return false;
		field[(*n)++] = w;
		if (*r == '"') {
			for (r++;; r++) {
				if (*r == '\0')
					return false; /* unterminated quote */
				if (*r == '"' && r[1] == '"')
					*w++ = *r++;
				else if (*r == '"')
					break;
				else
					*w++ = *r;
			}
			r++;
			if (*r != ',' && *r != '\0')
				return false;
		} else {
			while (*r != ',' && *r != '\0')
				*w++ = *r++;
		}
		if (*r == '\0') {
			*w = '\0';
			return true;
		}
		*w++ = '\0';
		r++;
	}
}

static bool number(const char *s, int64_t *out)
{
	char *end;

	if (*s == '\0') {
		*out = 0;
		return true;
	}
	*out = strtoll(s, &end, 10);
	return *end == '\0' && *out >= 0;
}

/* One line into e; a message for a bad one. Missing trailing fields take defaults. */
static bool parse_line(char *line, struct store_suppression *e, int64_t now, const char **why)
{
	char *f[FIELDS];
	size_t n;
	int reason = STORE_SUPPRESS_MANUAL;
	struct address a;

	memset(e, 0, sizeof(*e));
	if (!split(line, f, &n)) {
		*why = "not CSV (an unclosed quote or more than 5 fields)";
		return false;
	}
	if (address_parse(f[0], strlen(f[0]), true, &a) != ADDRESS_OK || a.is_null) {
		*why = "the first field is not an email address";
		return false;
	}
	if (n > 1 && f[1][0] != '\0' && (reason = store_suppress_reason_parse(f[1])) < 0) {
		*why = "reason is not one of manual, bounce, complaint, unsubscribe";
		return false;
	}
	snprintf(e->address, sizeof(e->address), "%s", a.text);
	e->reason = (enum store_suppress_reason)reason;
	snprintf(e->source, sizeof(e->source), "%s", n > 2 && f[2][0] ? f[2] : "import");
	if ((n > 3 && !number(f[3], &e->created)) || (n > 4 && !number(f[4], &e->expires))) {
		*why = "created and expires are unix seconds (expires 0 for never)";
		return false;
	}
	if (e->created == 0)
		e->created = now;
	return true;
}

/* Reads the next line into buf without its line end; 0 at the end, -1 when too long. */
static int next_line(FILE *in, char *buf, size_t size)
{
	size_t n;

	if (fgets(buf, (int)size, in) == NULL)
		return 0;
	n = strlen(buf);
	if (n == size - 1 && buf[n - 1] != '\n')
		return -1;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	return 1;
}

/* One pass over the file: checks every line, and writes when batch is not NULL. */
static int pass(FILE *in, const char *name, struct store *st, struct store_suppression *batch,
		size_t *count)
{
	char line[LINE_MAX_LEN];
	size_t lineno = 0, n = 0;
	int64_t now = (int64_t)time(NULL);
	const char *why = "line too long";
	int r, rc = 0;

	*count = 0;
	while ((r = next_line(in, line, sizeof(line))) != 0) {
		struct store_suppression e;
		lineno++;
		if (r > 0 && lineno == 1 && strcmp(line, header) == 0)
			continue;
		if (r > 0 && line[0] == '\0')
			continue;
		if (r < 0 || !parse_line(line, &e, now, &why)) {
			fprintf(stderr, "tern suppress import: %s:%zu: %s; nothing was imported\n",
				name, lineno, why);
			return -EINVAL;
		}
		(*count)++;
		if (batch == NULL)
			continue;
		batch[n++] = e;
		if (n == IMPORT_BATCH) {
			if ((rc = store_suppress_add_many(st, batch, n)) < 0)
				return rc;
			n = 0;
		}
	}
	if (batch != NULL && n > 0)
		rc = store_suppress_add_many(st, batch, n);
	return rc;
}

int suppress_import(struct store *st, const char *name, size_t *count)
{
	FILE *in = fopen(name, "r");
	struct store_suppression *batch = NULL;
	int rc;

	if (in == NULL) {
		fprintf(stderr, "tern suppress import: cannot read %s: %s\n", name,
			strerror(errno));
		return -errno;
	}
	if ((rc = pass(in, name, st, NULL, count)) < 0)
		goto cleanup;
	if ((batch = calloc(IMPORT_BATCH, sizeof(*batch))) == NULL) {
		rc = -ENOMEM;
		goto cleanup;
	}
	rewind(in);
	rc = pass(in, name, st, batch, count);
cleanup:
	free(batch);
	fclose(in);
	return rc;
}

static void csv_field(FILE *out, const char *s)
{
	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

static int export_one(const struct store_suppression *e, void *ctx)
{
	FILE *out = ctx;

	csv_field(out, e->address);
	fprintf(out, ",%s,", store_suppress_reason_name(e->reason));
	csv_field(out, e->source);
	fprintf(out, ",%" PRId64 ",%" PRId64 "\n", e->created, e->expires);
	return ferror(out) ? -EIO : 0;
}

int suppress_export(struct store *st, const struct store_suppress_filter *f, FILE *out)
{
	fprintf(out, "%s\n", header);
	return store_suppress_list(st, f, export_one, out);
}
