/*
 * output.c - small output helpers shared by the subcommands.
 */
#include <string.h>

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
