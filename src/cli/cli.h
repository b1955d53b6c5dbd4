/*
 * cli.h - what the subcommands of the tern program share: the command table's shape, exit
 * statuses, and small output helpers.
 */
#ifndef TERN_CLI_CLI_H
#define TERN_CLI_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#ifndef TERN_VERSION
#define TERN_VERSION "0.1.0"
#endif

enum {
	CLI_OK = 0,	 /* done */
	CLI_PROBLEM = 1, /* ran, found a problem (or nothing recognisable) */
	CLI_USAGE = 2,	 /* bad usage */
};

struct cli_command {
	const char *name;
	int (*run)(int argc, char **argv); /* argv[0] is the command's name */
	void (*usage)(FILE *out);
	const char *summary;
};

int cmd_explain(int argc, char **argv);
void explain_usage(FILE *out);
int cmd_serve(int argc, char **argv);
void serve_usage(FILE *out);
int cmd_user(int argc, char **argv);
void user_usage(FILE *out);
int cmd_queue(int argc, char **argv);
void queue_usage(FILE *out);
int cmd_events(int argc, char **argv);
void events_usage(FILE *out);
int cmd_credential(int argc, char **argv);
void credential_usage(FILE *out);
int cmd_sender(int argc, char **argv);
void sender_usage(FILE *out);
int cmd_suppress(int argc, char **argv);
void suppress_usage(FILE *out);
int cmd_limits(int argc, char **argv);
void limits_usage(FILE *out);
int cmd_route(int argc, char **argv);
void route_usage(FILE *out);
int cmd_dkim(int argc, char **argv);
void dkim_usage(FILE *out);
int cmd_send(int argc, char **argv);
void send_usage(FILE *out);
int cmd_sendmail(int argc, char **argv);
void sendmail_usage(FILE *out);
/* tern called by the name sendmail: the same command, its messages prefixed "sendmail:" */
int sendmail_main(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
void doctor_usage(FILE *out);

/* Prints `text` wrapped at `width` columns; every line after the first is indented by
 * `indent` spaces (the first line is assumed to start at column `indent`). */
void cli_wrap(FILE *out, const char *text, int indent, int width);

/* Removes `flag` from argv (argv[argc] must be NULL); true when it was there. */
bool cli_take_flag(int *argc, char **argv, const char *flag);
/* Removes "NAME VALUE" from argv; returns VALUE, or NULL when NAME is not there. */
const char *cli_take_option(int *argc, char **argv, const char *name);

struct sockaddr_storage;
/* The address of ss as text ("192.0.2.1", "2001:db8::1"), "?" when it has none; returns buf. */
const char *cli_addr_text(const struct sockaddr_storage *ss, char *buf, size_t len);

/* Prints `s` as a JSON string literal on standard output. */
void cli_json_string(const char *s);

/* A point in time as a person types it: "2026-11-23" (midnight UTC), "2026-11-23T10:00:00Z",
 * unix seconds, or a span before now: "90s", "30m", "1h", "2d", "1w". Returns unix seconds, or
 * -1 for anything else (including a date that does not exist, such as 2026-02-30). */
int64_t cli_parse_time(const char *s, int64_t now);

#endif
