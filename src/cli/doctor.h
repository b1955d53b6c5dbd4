/*
 * doctor.h - what the three forms of `tern doctor` share: the report (steps, each with a
 * verdict, what was seen and what to do; printed as text for a person or as one JSON object),
 * DNS lookups run to completion one at a time on a private loop, and TCP connections with a
 * deadline.
 *
 * Promises: a step is printed (text) as soon as it is added, so a slow check shows what came
 * before it; the exit status is decided in one place (doc_report_end): 1 when a step failed,
 * else 0. Steps that cannot run because an earlier one failed are "skipped", never "failed":
 * each broken setup names one cause.
 */
#ifndef TERN_CLI_DOCTOR_H
#define TERN_CLI_DOCTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "lib/config.h"
#include "net/dns.h"

enum doc_verdict { DOC_OK = 0, DOC_WARNING, DOC_FAILED, DOC_SKIPPED };

struct doc_report;

/* form: "dns", "smtp", "local"; target: what is examined (a domain, HOST:PORT, a config). */
struct doc_report *doc_report_new(const char *form, const char *target, bool json);

/* Adds (and in text mode prints) a step. name: a stable key ("spf", "tls"); title: words for
 * a person; seen: what was found; todo: what to do ("" when nothing). */
void doc_step(struct doc_report *r, const char *name, const char *title, enum doc_verdict v,
	      const char *seen, const char *todo);

/* doc_step with seen and todo formatted: "seen\x1ftodo" split at the unit separator. */
void doc_stepf(struct doc_report *r, const char *name, const char *title, enum doc_verdict v,
	       const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* True when a step of that name was added. */
bool doc_has(const struct doc_report *r, const char *name);

/* True when a step of that name failed. */
bool doc_failed(const struct doc_report *r, const char *name);

/* Prints the summary (text) or the JSON object, frees r, returns the exit status. */
int doc_report_end(struct doc_report *r);

/* ---- DNS, one lookup at a time -------------------------------------------------------------- */

struct doc_dns {
	uv_loop_t loop;
	struct dns_resolver *r;
	char servers[256]; /* what is asked: "" for the system's resolver */
};

/* Records or names of one lookup: status, strings, the resolver's error words. */
struct doc_strings {
	enum dns_status status;
	size_t n;
	char **s;
	char error[200];
};

/* servers: --dns, else the configuration's, else "" (the system's). false with err. */
bool doc_dns_open(struct doc_dns *d, const char *servers, unsigned timeout_s, char *err,
		  size_t errlen);
void doc_dns_close(struct doc_dns *d);
void doc_dns_txt(struct doc_dns *d, const char *name, struct doc_strings *out);
void doc_dns_names(struct doc_dns *d, const char *name, enum dns_name_type type,
		   struct doc_strings *out);
void doc_dns_mx(struct doc_dns *d, const char *domain, struct dns_mx_result *out);
void doc_dns_host(struct doc_dns *d, const char *name, struct dns_mx_result *out);
void doc_strings_free(struct doc_strings *s);

/* The addresses of a server the doctor connects to: through the resolver when one was chosen
 * (--dns, [delivery] dns_servers), else through the system's (getaddrinfo: /etc/hosts too, as
 * the applications on this machine resolve it). IPv4 first. */
void doc_host_addrs(struct doc_dns *d, const char *name, struct dns_mx_result *out);

/* "HOST:PORT" -> "127.0.0.1:PORT" style for the resolver: the --dns value as given, a bare
 * host getting no port. */
const char *doc_dns_servers(const char *opt, const struct tern_config *cfg, bool have_cfg);

/* ---- TCP ----------------------------------------------------------------------------------- */

/* Connects to addr (port set) within timeout_ms: the socket, or -1 with *err = errno
 * (ETIMEDOUT when the deadline passed). */
int doc_connect(const struct sockaddr_storage *addr, int timeout_ms, int *err);

/* Reads what the peer sends until a complete SMTP reply (last line "NNN " or "NNN\r\n"), the
 * peer closes, or timeout_ms passes: bytes read into buf (NUL-terminated), -1 on error. */
long doc_read_reply(int fd, char *buf, size_t size, int timeout_ms);

/* Words for a connect error: refused (111), timed out (110), unreachable, with what each
 * usually means. */
const char *doc_connect_words(int err);

/* Command implementations (doctor_dns.c, doctor_local.c, doctor_smtp.c). */
int doctor_dns(int argc, char **argv);
int doctor_local(int argc, char **argv);
int doctor_smtp(int argc, char **argv);

#endif
