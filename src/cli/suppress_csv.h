/*
 * suppress_csv.h - the suppression list to and from CSV (see suppress_csv.c).
 */
#ifndef TERN_CLI_SUPPRESS_CSV_H
#define TERN_CLI_SUPPRESS_CSV_H

#include <stddef.h>
#include <stdio.h>

#include "store/store.h"

/* Imports the file `name` (all or nothing if any line is bad; errors printed). 0 or -errno;
 * *count gets the entries imported. */
int suppress_import(struct store *st, const char *name, size_t *count);

/* Writes the entries that pass f as CSV, header line first. 0 or -errno. */
int suppress_export(struct store *st, const struct store_suppress_filter *f, FILE *out);

#endif
