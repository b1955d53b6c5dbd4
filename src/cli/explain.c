/*
 * explain.c - `tern explain`: what an SMTP reply, a status code or a bounce text means, why
 * it happens, who has to act, what to do, and whether a retry can help.
 *
 * Input: a code ("550", "5.1.1", "X.1.1"), one reply given as arguments, or a whole bounce
 * on standard input. Output for people, or --json for programs. Exit 0 when something was
 * explained, 1 when nothing in the input was recognisable, 2 for bad usage.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "lib/buf.h"
#include "proto/explain.h"

/* A bounce with its returned message can be large; the diagnosis is at the top. */
#define EXPLAIN_INPUT_MAX (16u * 1024 * 1024)
#define WIDTH		  78

void explain_usage(FILE *out)
{
	fprintf(out,
		"usage: tern explain [--json] CODE | REPLY...\n"
		"       tern explain [--json] < BOUNCE.txt\n"
		"\n"
		"Says what an SMTP reply means: the codes it holds, whether the failure is "
		"transient\n"
		"or permanent, the meaning of its class, subject and detail, the likely cause, "
		"who\n"
		"has to act, what to do, and whether a retry can help.\n"
		"\n"
		"  CODE     a basic code (550), an enhanced code (5.1.1), or a subject (X.1.1)\n"
		"  REPLY    a server's reply, quoted: \"550 5.1.1 <bob@example.com>: User "
		"unknown\"\n"
		"  (none)   reads a whole bounce message or log excerpt from standard input\n"
		"\n"
		"  --json   print the explanation as JSON for programs\n"
		"\n"
		"exit status: 0 explained, 1 nothing recognisable in the input, 2 bad usage\n");
}

static bool read_all(FILE *in, struct buf *b, bool *truncated)
{
	char chunk[65536];
	size_t n;

	*truncated = false;
	while ((n = fread(chunk, 1, sizeof(chunk), in)) > 0) {
		size_t room = EXPLAIN_INPUT_MAX - b->len;

		if (n > room) {
			n = room;
			*truncated = true;
		}
		if (!buf_append(b, chunk, n))
			return false;
		if (*truncated)
			break;
	}
	return !ferror(in);
}

static const char *verdict_words(enum st_verdict v)
{
	switch (v) {
	case VERDICT_SUCCESS:
		return "success";
	case VERDICT_INTERMEDIATE:
		return "intermediate: the server waits for more input";
	case VERDICT_TRANSIENT:
		return "transient failure: a later attempt can succeed";
	case VERDICT_PERMANENT:
		return "permanent failure";
	case VERDICT_UNKNOWN:
		break;
	}
	return "not stated: the text carries no reply code";
}

static void label(FILE *out, const char *name, const char *text)
{
	if (text == NULL || *text == '\0')
		return;
	fprintf(out, "  %-11s ", name);
	cli_wrap(out, text, 14, WIDTH);
}

/* "550 5.1.1" or "5.1.1" or "550" into buf. */
static const char *codes_of(int basic, struct enh_code enh, char *buf, size_t size)
{
	char e[16] = "";

	if (enh.cls != 0)
		enh_code_format(enh, e, sizeof(e));
	if (basic > 0 && enh.cls != 0)
		snprintf(buf, size, "%d %s", basic, e);
	else if (basic > 0)
		snprintf(buf, size, "%d", basic);
	else
		snprintf(buf, size, "%s", e);
	return buf;
}

static void print_meanings(FILE *out, const struct explanation *ex)
{
	char tag[32], line[1200];

	fprintf(out, "\n  What the codes mean\n");
	if (ex->basic > 0) {
		snprintf(tag, sizeof(tag), "%d", ex->basic);
		if (ex->basic_info != NULL)
			snprintf(line, sizeof(line), "%s. %s", ex->basic_info->title,
				 ex->basic_info->meaning);
		else if (ex->group_info != NULL)
			snprintf(line, sizeof(line),
				 "Not a code tern knows; its second digit says: %s",
				 ex->group_info->meaning);
		else
			snprintf(line, sizeof(line), "Not a code tern knows.");
		label(out, tag, line);
	}
	if (ex->class_info != NULL && (ex->enh.cls != 0 || ex->basic > 0)) {
		int cls = ex->enh.cls != 0 ? ex->enh.cls : ex->basic / 100;

		snprintf(tag, sizeof(tag), "%d.x.x", cls);
		if (ex->enh.cls == 0)
			snprintf(tag, sizeof(tag), "%dxx", cls);
		snprintf(line, sizeof(line), "%s. %s", ex->class_info->title,
			 ex->class_info->meaning);
		label(out, tag, line);
	}
	if (ex->subject_info != NULL) {
		snprintf(tag, sizeof(tag), "X.%u.x", ex->enh.subject);
		snprintf(line, sizeof(line), "%s. %s", ex->subject_info->title,
			 ex->subject_info->meaning);
		label(out, tag, line);
	}
	if (ex->enh.cls != 0 || ex->subject_only) {
		snprintf(tag, sizeof(tag), "X.%u.%u", ex->enh.subject, ex->enh.detail);
		if (ex->detail_info != NULL && ex->enh.detail != 0)
			snprintf(line, sizeof(line), "%s. %s", ex->detail_info->title,
				 ex->detail_info->meaning);
		else if (ex->detail_info == NULL)
			snprintf(line, sizeof(line),
				 "Not in the IANA registry (a server's own code); read it by its "
				 "class and subject above.");
		else
			line[0] = '\0';
		label(out, tag, line);
	}
	if (ex->pattern != NULL)
		label(out, "The words", ex->pattern->meaning);
}

static void print_person(FILE *out, const struct explanation *ex)
{
	char codes[32], server[400], retry[200];

	if (ex->subject_only) {
		fprintf(out, "X.%u.%u  %s\n", ex->enh.subject, ex->enh.detail,
			ex->detail_info ? ex->detail_info->title : "unregistered detail");
	} else if (ex->basic > 0 || ex->enh.cls != 0) {
		fprintf(out, "%s  ", codes_of(ex->basic, ex->enh, codes, sizeof(codes)));
		cli_wrap(out, ex->text[0] ? ex->text : (ex->title ? ex->title : ""),
			 (int)strlen(codes) + 2, WIDTH);
	} else {
		fprintf(out, "No reply code in the text; ");
		cli_wrap(out,
			 ex->pattern ? "explained from its words." : "explained from its notice.",
			 28, WIDTH);
	}
	fputc('\n', out);
	if (ex->subject_only)
		label(out, "Verdict",
		      "depends on the class: 2.x.x success, 4.x.x transient "
		      "failure, 5.x.x permanent failure");
	else
		label(out, "Verdict", verdict_words(ex->verdict));
	if (ex->notice != NULL && ex->verdict != ex->reply_verdict)
		label(out, "", ex->notice->meaning);
	label(out, "Category", status_category_name(ex->category));
	if (ex->enh_borrowed)
		label(out, "Note",
		      "The enhanced code was taken from elsewhere in the report "
		      "(its Status field or a fuller quote of the same reply).");
	if (ex->class_mismatch)
		label(out, "Note",
		      "The basic code and the enhanced code disagree on the class; "
		      "SMTP clients act on the basic code.");
	if (ex->ctx.host[0] != '\0' || ex->ctx.command != NULL) {
		server[0] = '\0';
		if (ex->ctx.host[0] != '\0')
			snprintf(server, sizeof(server), "%s [%s]%s%s", ex->ctx.host, ex->ctx.ip,
				 ex->ctx.port[0] ? " port " : "", ex->ctx.port);
		if (ex->ctx.command != NULL) {
			size_t n = strlen(server);

			snprintf(server + n, sizeof(server) - n, "%s%s",
				 n ? ", in reply to " : "in reply to ",
				 strcmp(ex->ctx.command, "CONNECT") == 0
					 ? "the connection (greeting)"
					 : ex->ctx.command);
		}
		label(out, "Server", server);
	}
	if (!ex->subject_only)
		print_meanings(out, ex);
	else {
		if (ex->subject_info != NULL)
			label(out, "Subject", ex->subject_info->meaning);
		if (ex->detail_info != NULL)
			label(out, "Detail", ex->detail_info->meaning);
	}
	fputc('\n', out);
	label(out, "Causes", ex->causes);
	if (ex->actor != ACTOR_NONE || ex->verdict != VERDICT_SUCCESS)
		label(out, "Who acts", status_actor_words(ex->actor));
	label(out, "What to do", ex->action);
	if (!ex->subject_only) {
		if (ex->retry_after > 0 && ex->retry == RETRY_LATER)
			snprintf(retry, sizeof(retry), "%s; the server asks to wait %ld seconds",
				 explain_retry_words(ex->retry), ex->retry_after);
		else
			snprintf(retry, sizeof(retry), "%s", explain_retry_words(ex->retry));
		label(out, "Retry", retry);
	}

	if (ex->nfindings > 1) {
		fprintf(out, "\n  Other replies in the text\n");
		for (size_t i = 0; i < ex->nfindings; i++) {
			const struct reply_finding *f = &ex->findings[i];
			char line[REPLY_SCAN_TEXT_MAX + 64];

			if (i == ex->primary)
				continue;
			snprintf(line, sizeof(line), "%s: %s",
				 status_verdict_name(status_verdict_of_class(
					 f->basic > 0 ? f->basic / 100 : f->enh.cls)),
				 f->text_len > 0 ? f->text : "(no text)");
			label(out, codes_of(f->basic, f->enh, codes, sizeof(codes)), line);
		}
	}
}

static json_t *info_json(const char *code, const char *title, const char *meaning)
{
	return json_pack("{s:s, s:s, s:s}", "code", code, "title", title, "meaning", meaning);
}

static json_t *explanation_json(const struct explanation *ex)
{
	char e[16], tag[16];
	json_t *root, *reply, *codes, *replies;
	int cls = ex->basic > 0 ? ex->basic / 100 : ex->enh.cls;

	reply = json_pack("{s:s, s:b, s:b}", "text", ex->text, "enhanced_borrowed",
			  ex->enh_borrowed, "class_mismatch", ex->class_mismatch);
	json_object_set_new(reply, "basic", ex->basic > 0 ? json_integer(ex->basic) : json_null());
	if (ex->subject_only)
		snprintf(e, sizeof(e), "X.%u.%u", ex->enh.subject, ex->enh.detail);
	else if (ex->enh.cls != 0)
		enh_code_format(ex->enh, e, sizeof(e));
	json_object_set_new(reply, "enhanced",
			    ex->enh.cls != 0 || ex->subject_only ? json_string(e) : json_null());
	json_object_set_new(reply, "command",
			    ex->ctx.command ? json_string(ex->ctx.command) : json_null());
	json_object_set_new(reply, "host",
			    ex->ctx.host[0] ? json_string(ex->ctx.host) : json_null());
	json_object_set_new(reply, "ip", ex->ctx.ip[0] ? json_string(ex->ctx.ip) : json_null());

	codes = json_object();
	if (ex->class_info != NULL) {
		snprintf(tag, sizeof(tag), "%d", cls);
		json_object_set_new(codes, "class",
				    info_json(tag, ex->class_info->title, ex->class_info->meaning));
	}
	if (ex->basic_info != NULL)
		json_object_set_new(codes, "basic",
				    info_json(ex->basic_info->code, ex->basic_info->title,
					      ex->basic_info->meaning));
	else if (ex->group_info != NULL)
		json_object_set_new(codes, "basic_group",
				    info_json(ex->group_info->title, ex->group_info->title,
					      ex->group_info->meaning));
	if (ex->subject_info != NULL)
		json_object_set_new(codes, "subject",
				    info_json(ex->subject_info->code, ex->subject_info->title,
					      ex->subject_info->meaning));
	if (ex->detail_info != NULL)
		json_object_set_new(codes, "detail",
				    info_json(ex->detail_info->code, ex->detail_info->title,
					      ex->detail_info->meaning));
	if (ex->pattern != NULL)
		json_object_set_new(codes, "pattern",
				    json_pack("{s:s, s:s}", "name", ex->pattern->name, "meaning",
					      ex->pattern->meaning));

	replies = json_array();
	for (size_t i = 0; i < ex->nfindings; i++) {
		const struct reply_finding *f = &ex->findings[i];
		json_t *r = json_pack("{s:s, s:s, s:b}", "text", f->text, "verdict",
				      status_verdict_name(status_verdict_of_class(
					      f->basic > 0 ? f->basic / 100 : f->enh.cls)),
				      "primary", i == ex->primary);

		json_object_set_new(r, "basic",
				    f->basic > 0 ? json_integer(f->basic) : json_null());
		json_object_set_new(r, "enhanced",
				    f->enh.cls != 0
					    ? json_string(enh_code_format(f->enh, e, sizeof(e)))
					    : json_null());
		json_array_append_new(replies, r);
	}

	root = json_pack("{s:b, s:o, s:s, s:b, s:b, s:s, s:s, s:o, s:s, s:I, s:o}", "recognized",
			 ex->recognized, "reply", reply, "verdict",
			 status_verdict_name(ex->verdict), "transient",
			 ex->verdict == VERDICT_TRANSIENT, "permanent",
			 ex->verdict == VERDICT_PERMANENT, "category",
			 status_category_name(ex->category), "actor", status_actor_name(ex->actor),
			 "codes", codes, "retry", explain_retry_name(ex->retry),
			 "retry_after_seconds", (json_int_t)ex->retry_after, "replies", replies);
	json_object_set_new(root, "title", ex->title ? json_string(ex->title) : json_null());
	json_object_set_new(root, "meaning", ex->meaning ? json_string(ex->meaning) : json_null());
	json_object_set_new(root, "cause", ex->causes ? json_string(ex->causes) : json_null());
	json_object_set_new(root, "action", ex->action ? json_string(ex->action) : json_null());
	json_object_set_new(root, "notice",
			    ex->notice
				    ? json_pack("{s:s, s:s, s:s}", "name", ex->notice->name,
						"verdict", status_verdict_name(ex->notice->verdict),
						"meaning", ex->notice->meaning)
				    : json_null());
	return root;
}

int cmd_explain(int argc, char **argv)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct buf input = BUF_INIT;
	struct explanation *ex = NULL;
	bool json = false, truncated = false;
	int opt, rc = CLI_USAGE;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "+jh", options, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = true;
			break;
		case 'h':
			explain_usage(stdout);
			return CLI_OK;
		default:
			fprintf(stderr, "tern explain: 'tern help explain' shows the options\n");
			return CLI_USAGE;
		}
	}
	buf_init(&input, EXPLAIN_INPUT_MAX);
	if (optind < argc && !(argc - optind == 1 && strcmp(argv[optind], "-") == 0)) {
		for (int i = optind; i < argc; i++) {
			if ((i > optind && !buf_append_str(&input, " ")) ||
			    !buf_append_str(&input, argv[i])) {
				fprintf(stderr,
					"tern explain: the arguments are longer than 16 MiB\n");
				goto cleanup;
			}
		}
	} else {
		if (isatty(STDIN_FILENO)) {
			fprintf(stderr,
				"tern explain: give a code (550, 5.1.1), a reply in quotes, or "
				"pipe a bounce text on standard input\n");
			goto cleanup;
		}
		if (!read_all(stdin, &input, &truncated)) {
			fprintf(stderr, "tern explain: cannot read standard input: %s\n",
				strerror(errno));
			rc = CLI_PROBLEM;
			goto cleanup;
		}
		if (truncated)
			fprintf(stderr,
				"tern explain: input over 16 MiB; explaining its first 16 MiB\n");
	}

	ex = malloc(sizeof(*ex));
	if (ex == NULL) {
		fprintf(stderr, "tern explain: out of memory\n");
		rc = CLI_PROBLEM;
		goto cleanup;
	}
	explain_text((const char *)input.data, input.len, ex);

	if (json) {
		json_t *root = explanation_json(ex);

		json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
		json_decref(root);
	} else if (ex->recognized) {
		print_person(stdout, ex);
	}
	if (!ex->recognized) {
		fprintf(stderr,
			"tern explain: nothing in the input looks like an SMTP reply, a status "
			"code or a known delivery failure\n");
		rc = CLI_PROBLEM;
		goto cleanup;
	}
	rc = CLI_OK;
cleanup:
	free(ex);
	buf_free(&input);
	return rc;
}
