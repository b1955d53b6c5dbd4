/*
 * main.c - the tern program: one binary, subcommands chosen from a table.
 *
 * Exit status follows one rule everywhere: 0 done, 1 the command ran but found a problem or
 * nothing to do, 2 bad usage (with a message that says what to type instead). The exception is
 * the mail clients, `send` and `sendmail`, whose callers read sysexits.h statuses (EX_TEMPFAIL
 * means "try again later" to cron and PHP alike). Called by the name `sendmail` (a link or a
 * copy), tern is the sendmail command and nothing else.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct cli_command commands[] = {
	{ "explain", cmd_explain, explain_usage,
	  "say what an SMTP reply, status code or bounce text means and what to do" },
	{ "serve", cmd_serve, serve_usage, "run the submission server" },
	{ "user", cmd_user, user_usage, "manage SMTP credentials (add, list, delete, passwd)" },
	{ "queue", cmd_queue, queue_usage, "show the messages in the spool (list, show)" },
	{ "events", cmd_events, events_usage,
	  "what happened to each message and recipient: the delivery event log" },
	{ "credential", cmd_credential, credential_usage,
	  "a user's SMTP passwords, several at once for rotation (add, list, revoke)" },
	{ "sender", cmd_sender, sender_usage, "approved senders of a user (add, list, remove)" },
	{ "suppress", cmd_suppress, suppress_usage, "the suppression list (add, list, remove)" },
	{ "limits", cmd_limits, limits_usage, "a user's own sending limits (set, show)" },
	{ "route", cmd_route, route_usage,
	  "how tern would reach a domain: its MX hosts and addresses" },
	{ "dkim", cmd_dkim, dkim_usage,
	  "DKIM signing keys and their DNS records (keygen, list, show, rotate)" },
	{ "send", cmd_send, send_usage,
	  "build a message (text, HTML, attachments) and submit it to a server" },
	{ "sendmail", cmd_sendmail, sendmail_usage,
	  "the sendmail command programs pipe mail to (-t -i -f ...), submitting to tern" },
	{ "doctor", cmd_doctor, doctor_usage,
	  "find what is wrong with a mail setup (this installation, dns, smtp) and how to fix it" },
};

static void usage(FILE *out)
{
	fprintf(out, "usage: tern COMMAND [ARGS...]\n"
		     "\n"
		     "tern is a self-hosted email delivery service: applications submit mail over\n"
		     "authenticated SMTP; tern checks, signs, keeps and delivers it, and explains "
		     "every\n"
		     "reply and failure in plain words.\n"
		     "\n"
		     "commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\n"
		     "  tern help COMMAND    shows the options of a command\n"
		     "  tern --version       shows the version\n");
}

static const struct cli_command *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	const struct cli_command *cmd;
	const char *base = strrchr(argv[0], '/');

	/* sendmail's own options (-h is its hop count) are not tern's: no --help scan */
	if (strcmp(base != NULL ? base + 1 : argv[0], "sendmail") == 0)
		return sendmail_main(argc, argv);
	if (argc < 2) {
		usage(stderr);
		return CLI_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return CLI_OK;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("tern %s\n", TERN_VERSION);
		return CLI_OK;
	}
	if (strcmp(argv[1], "help") == 0) {
		if (argc < 3) {
			usage(stdout);
			return CLI_OK;
		}
		cmd = find_command(argv[2]);
		if (cmd == NULL) {
			fprintf(stderr, "tern: no command '%s'; 'tern --help' lists them\n",
				argv[2]);
			return CLI_USAGE;
		}
		cmd->usage(stdout);
		return CLI_OK;
	}
	cmd = find_command(argv[1]);
	if (cmd == NULL) {
		fprintf(stderr, "tern: no command '%s'; 'tern --help' lists them\n", argv[1]);
		return CLI_USAGE;
	}
	if (cmd->run == cmd_sendmail)
		return cmd_sendmail(argc - 1, argv + 1);
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			cmd->usage(stdout);
			return CLI_OK;
		}
	}
	return cmd->run(argc - 1, argv + 1);
}
