/*
 * output.c - small output helpers shared by the subcommands.
 */
#include <stdbool.h>
#include <stdio.h>
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
