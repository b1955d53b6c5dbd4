/*
 * doctor.c - `tern doctor`: find what is wrong with a mail setup, step by step, and say how to
 * fix it. This file holds the command's entry (which form), the report every form writes (see
 * doctor.h) and the small network functions they share; the checks are in doctor_dns.c (a
 * domain's records), doctor_local.c (this installation) and doctor_smtp.c (a server).
 *
 * The text report is for a person new to mail: each step on its own lines, its verdict first,
 * then what was seen and what to do, wrapped. The JSON report is one object with every step.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/doctor.h"
#include "proto/smtp_reply.h"

void doctor_usage(FILE *out)
{
	fprintf(out,
		"usage: tern doctor [--probe HOST[:PORT]] [-c FILE]\n"
		"       tern doctor dns DOMAIN [--selector S] [--ip SENDING_IP]\n"
		"       tern doctor smtp HOST[:PORT] [--tls auto|starttls|implicit|none]\n"
		"                        [--user U --password-file F] [--from ADDR] [--to ADDR] "
		"[--send]\n"
		"\n"
		"Finds what is wrong with a mail setup, step by step, and says how to fix it.\n"
		"Each step gets a verdict (ok, warning, failed, skipped), what was seen and what "
		"to do.\n"
		"\n"
		"  (no form)   this installation: configuration, certificate, store, spool, DNS\n"
		"              resolver, listeners; with --probe, whether outbound port 25 is "
		"open\n"
		"  dns         a sending domain's records: MX, SPF (authorising --ip), DKIM (the\n"
		"              selector's key against tern's), DMARC and alignment, PTR of --ip\n"
		"  smtp        a submission server: name, connection, greeting, EHLO, TLS, AUTH,\n"
		"              sender and recipient; a message is sent only with --send\n"
		"\n"
		"Every form:\n"
		"  --json                one JSON object with the steps\n"
		"  --dns HOST[:PORT]     the DNS server to ask (default: [delivery] dns_servers,\n"
		"                        else the system's resolver)\n"
		"  -c FILE               the configuration file\n"
		"\n"
		"Exit status: 0 when no step failed, 1 when one did, 2 bad usage.\n");
}

int cmd_doctor(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "dns") == 0)
		return doctor_dns(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "smtp") == 0)
		return doctor_smtp(argc - 1, argv + 1);
	if (argc >= 2 && argv[1][0] != '-') {
		fprintf(stderr,
			"tern doctor: no form '%s'; write dns, smtp, or nothing for this "
			"installation\n",
			argv[1]);
		doctor_usage(stderr);
		return CLI_USAGE;
	}
	return doctor_local(argc, argv);
}

/* ---- the report ---------------------------------------------------------------------------- */

struct doc_step_rec {
	char *name, *title, *seen, *todo;
	enum doc_verdict v;
};

struct doc_report {
	char *form, *target;
	bool json;
	struct doc_step_rec *steps;
	size_t n, cap;
};

static const char *verdict_key(enum doc_verdict v)
{
	static const char *const k[] = { "ok", "warning", "failed", "skipped" };
	return (unsigned)v < 4 ? k[v] : "?";
}

static char *dup_or_empty(const char *s)
{
	char *d = strdup(s != NULL ? s : "");

	if (d == NULL) {
		fprintf(stderr, "tern doctor: out of memory\n");
		exit(CLI_PROBLEM);
	}
	return d;
}

struct doc_report *doc_report_new(const char *form, const char *target, bool json)
{
	struct doc_report *r = calloc(1, sizeof(*r));

	if (r == NULL) {
		fprintf(stderr, "tern doctor: out of memory\n");
		exit(CLI_PROBLEM);
	}
	r->form = dup_or_empty(form);
	r->target = dup_or_empty(target);
	r->json = json;
	if (!json) {
		printf("tern doctor %s%s%s\n\n", form, target[0] != '\0' ? ": " : "", target);
		fflush(stdout);
	}
	return r;
}

static void print_step(const struct doc_step_rec *s)
{
	static const char *const label[] = { "ok", "WARNING", "FAILED", "skipped" };

	printf("%-8s %s\n", label[s->v], s->title);
	if (s->seen[0] != '\0') {
		printf("         seen: ");
		cli_wrap(stdout, s->seen, 15, 96);
	}
	if (s->todo[0] != '\0') {
		printf("         do:   ");
		cli_wrap(stdout, s->todo, 15, 96);
	}
	fflush(stdout);
}

void doc_step(struct doc_report *r, const char *name, const char *title, enum doc_verdict v,
	      const char *seen, const char *todo)
{
	struct doc_step_rec *s;

	if (r->n == r->cap) {
		size_t cap = r->cap > 0 ? r->cap * 2 : 16;
		struct doc_step_rec *more = realloc(r->steps, cap * sizeof(*more));
		if (more == NULL) {
			fprintf(stderr, "tern doctor: out of memory\n");
			exit(CLI_PROBLEM);
		}
		r->steps = more;
		r->cap = cap;
	}
	s = &r->steps[r->n++];
	s->name = dup_or_empty(name);
	s->title = dup_or_empty(title);
	s->seen = dup_or_empty(seen);
	s->todo = dup_or_empty(todo);
	s->v = v;
	if (!r->json)
		print_step(s);
}

void doc_stepf(struct doc_report *r, const char *name, const char *title, enum doc_verdict v,
	       const char *fmt, ...)
{
	char text[4096], *sep;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	sep = strchr(text, '\x1f');
	if (sep != NULL)
		*sep++ = '\0';
	doc_step(r, name, title, v, text, sep != NULL ? sep : "");
}

bool doc_has(const struct doc_report *r, const char *name)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->steps[i].name, name) == 0)
			return true;
	return false;
}

bool doc_failed(const struct doc_report *r, const char *name)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->steps[i].name, name) == 0 && r->steps[i].v == DOC_FAILED)
			return true;
	return false;
}

int doc_report_end(struct doc_report *r)
{
	size_t count[4] = { 0, 0, 0, 0 };
	int rc;

	for (size_t i = 0; i < r->n; i++)
		count[r->steps[i].v]++;
	rc = count[DOC_FAILED] > 0 ? CLI_PROBLEM : CLI_OK;
	if (r->json) {
		json_t *steps = json_array(), *root;
		for (size_t i = 0; i < r->n; i++) {
			const struct doc_step_rec *s = &r->steps[i];
			json_array_append_new(steps, json_pack("{s:s, s:s, s:s, s:s, s:s}", "name",
							       s->name, "title", s->title,
							       "verdict", verdict_key(s->v), "seen",
							       s->seen, "todo", s->todo));
		}
		root = json_pack("{s:s, s:s, s:s, s:{s:i, s:i, s:i, s:i}, s:o}", "form", r->form,
				 "target", r->target, "verdict",
				 count[DOC_FAILED] > 0	  ? "failed"
				 : count[DOC_WARNING] > 0 ? "warning"
							  : "ok",
				 "counts", "ok", (int)count[DOC_OK], "warning",
				 (int)count[DOC_WARNING], "failed", (int)count[DOC_FAILED],
				 "skipped", (int)count[DOC_SKIPPED], "steps", steps);
		json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(root);
	} else {
		printf("\n%zu ok, %zu warning%s, %zu failed, %zu skipped\n", count[DOC_OK],
		       count[DOC_WARNING], count[DOC_WARNING] == 1 ? "" : "s", count[DOC_FAILED],
		       count[DOC_SKIPPED]);
	}
	fflush(stdout);
	for (size_t i = 0; i < r->n; i++) {
		free(r->steps[i].name);
		free(r->steps[i].title);
		free(r->steps[i].seen);
		free(r->steps[i].todo);
	}
	free(r->steps);
	free(r->form);
	free(r->target);
	free(r);
	return rc;
}

/* ---- DNS ----------------------------------------------------------------------------------- */

const char *doc_dns_servers(const char *opt, const struct tern_config *cfg, bool have_cfg)
{
	if (opt != NULL)
		return opt;
	if (have_cfg)
		return cfg->dns_servers;
	return "";
}

/* --dns may name the server by host name: c-ares wants addresses, so one name (with an
 * optional port) is looked up here with the system's resolver. */
static void server_by_name(const char *in, char *out, size_t size)
{
	char host[256], port[16] = "";
	const char *colon = strrchr(in, ':');
	struct addrinfo hints, *ai = NULL;
	struct in6_addr a6;
	struct in_addr a4;
	char a[INET6_ADDRSTRLEN];

	snprintf(out, size, "%s", in);
	if (strchr(in, ',') != NULL || in[0] == '[' || in[0] == '\0')
		return;
	if (colon != NULL && strchr(in, ':') == colon && colon[1] != '\0' &&
	    strspn(colon + 1, "0123456789") == strlen(colon + 1)) {
		snprintf(host, sizeof(host), "%.*s", (int)(colon - in), in);
		snprintf(port, sizeof(port), "%s", colon + 1);
	} else {
		snprintf(host, sizeof(host), "%s", in);
	}
	if (inet_pton(AF_INET, host, &a4) == 1 || inet_pton(AF_INET6, host, &a6) == 1)
		return;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_DGRAM;
	if (getaddrinfo(host, NULL, &hints, &ai) != 0 || ai == NULL)
		return; /* c-ares then says the server list is wrong */
	cli_addr_text((const struct sockaddr_storage *)(void *)ai->ai_addr, a, sizeof(a));
	if (ai->ai_family == AF_INET6)
		snprintf(out, size, "[%s]%s%s", a, port[0] ? ":" : "", port);
	else
		snprintf(out, size, "%s%s%s", a, port[0] ? ":" : "", port);
	freeaddrinfo(ai);
}

bool doc_dns_open(struct doc_dns *d, const char *servers, unsigned timeout_s, char *err,
		  size_t errlen)
{
	memset(d, 0, sizeof(*d));
	server_by_name(servers, d->servers, sizeof(d->servers));
	servers = d->servers;
	if (uv_loop_init(&d->loop) != 0) {
		snprintf(err, errlen, "cannot start the event loop");
		return false;
	}
	d->r = dns_resolver_new(&d->loop, servers, timeout_s, err, errlen);
	if (d->r == NULL) {
		uv_loop_close(&d->loop);
		return false;
	}
	return true;
}

void doc_dns_close(struct doc_dns *d)
{
	if (d->r == NULL)
		return;
	dns_resolver_free(d->r);
	uv_run(&d->loop, UV_RUN_DEFAULT); /* the closes */
	uv_loop_close(&d->loop);
	d->r = NULL;
}

struct wait_strings {
	bool done;
	struct doc_strings *out;
};

static void on_strings(enum dns_status st, const char *const *records, size_t n, const char *error,
		       void *arg)
{
	struct wait_strings *w = arg;

	w->done = true;
	w->out->status = st;
	snprintf(w->out->error, sizeof(w->out->error), "%s", error);
	w->out->s = n > 0 ? calloc(n, sizeof(char *)) : NULL;
	for (size_t i = 0; w->out->s != NULL && i < n; i++)
		if ((w->out->s[w->out->n] = strdup(records[i])) != NULL)
			w->out->n++;
}

void doc_dns_txt(struct doc_dns *d, const char *name, struct doc_strings *out)
{
	struct wait_strings w = { false, out };

	memset(out, 0, sizeof(*out));
	dns_resolve_txt(d->r, name, on_strings, &w);
	while (!w.done)
		uv_run(&d->loop, UV_RUN_ONCE);
}

void doc_dns_names(struct doc_dns *d, const char *name, enum dns_name_type type,
		   struct doc_strings *out)
{
	struct wait_strings w = { false, out };

	memset(out, 0, sizeof(*out));
	dns_resolve_names(d->r, name, type, on_strings, &w);
	while (!w.done)
		uv_run(&d->loop, UV_RUN_ONCE);
}

void doc_strings_free(struct doc_strings *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->s[i]);
	free(s->s);
	s->s = NULL;
	s->n = 0;
}

struct wait_mx {
	bool done;
	struct dns_mx_result *out;
};

static void on_mx(const struct dns_mx_result *res, void *arg)
{
	struct wait_mx *w = arg;

	*w->out = *res;
	w->done = true;
}

void doc_dns_mx(struct doc_dns *d, const char *domain, struct dns_mx_result *out)
{
	struct wait_mx w = { false, out };

	dns_resolve_mx(d->r, domain, on_mx, &w);
	while (!w.done)
		uv_run(&d->loop, UV_RUN_ONCE);
}

void doc_dns_host(struct doc_dns *d, const char *name, struct dns_mx_result *out)
{
	struct wait_mx w = { false, out };

	dns_resolve_host(d->r, name, on_mx, &w);
	while (!w.done)
		uv_run(&d->loop, UV_RUN_ONCE);
}

void doc_host_addrs(struct doc_dns *d, const char *name, struct dns_mx_result *out)
{
	struct addrinfo hints, *ai = NULL;
	struct dns_host *h = &out->hosts[0];
	int rc;

	if (d->servers[0] != '\0') {
		doc_dns_host(d, name, out);
		return;
	}
	memset(out, 0, sizeof(*out));
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	out->nhosts = 1;
	snprintf(h->name, sizeof(h->name), "%s", name);
	rc = getaddrinfo(name, NULL, &hints, &ai);
	if (rc != 0) {
		out->status = rc == EAI_AGAIN				 ? DNS_TEMPFAIL
			      : rc == EAI_NODATA || rc == EAI_ADDRFAMILY ? DNS_NO_ADDRESS
									 : DNS_NXDOMAIN;
		h->status = out->status;
		snprintf(out->error, sizeof(out->error), "%s: %s", name,
			 out->status == DNS_NXDOMAIN	 ? "no such host (NXDOMAIN)"
			 : out->status == DNS_NO_ADDRESS ? "no address (A/AAAA)"
							 : gai_strerror(rc));
		return;
	}
	for (int fam = 0; fam < 2; fam++) /* IPv4 first, as the delivery engine does */
		for (struct addrinfo *a = ai; a != NULL && h->naddrs < DNS_ADDRS_MAX;
		     a = a->ai_next)
			if ((fam == 0) == (a->ai_family == AF_INET) &&
			    a->ai_addrlen <= sizeof(h->addrs[0])) {
				bool dup = false;
				for (size_t k = 0; k < h->naddrs && !dup; k++)
					dup = memcmp(&h->addrs[k], a->ai_addr, a->ai_addrlen) == 0;
				if (!dup)
					memcpy(&h->addrs[h->naddrs++], a->ai_addr, a->ai_addrlen);
			}
	freeaddrinfo(ai);
	out->status = h->naddrs > 0 ? DNS_OK : DNS_NO_ADDRESS;
	h->status = out->status;
}

/* ---- TCP ----------------------------------------------------------------------------------- */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int doc_connect(const struct sockaddr_storage *addr, int timeout_ms, int *err)
{
	socklen_t len = addr->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
						    : sizeof(struct sockaddr_in);
	int fd = socket(addr->ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	struct pollfd p;
	socklen_t elen = sizeof(*err);

	if (fd < 0) {
		*err = errno;
		return -1;
	}
	if (connect(fd, (const struct sockaddr *)addr, len) == 0)
		goto connected;
	if (errno != EINPROGRESS) {
		*err = errno;
		goto fail;
	}
	p.fd = fd;
	p.events = POLLOUT;
	if (poll(&p, 1, timeout_ms) <= 0) {
		*err = ETIMEDOUT;
		goto fail;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, err, &elen) != 0 || *err != 0) {
		if (*err == 0)
			*err = errno;
		goto fail;
	}
connected:
	/* back to blocking: the callers read with poll and deadlines, and TLS is simpler */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
fail:
	close(fd);
	return -1;
}

/* True when buf holds a complete SMTP reply: its last line is "NNN " (or just "NNN"). */
/* Whether buf holds a whole reply (or bytes that cannot become one): the reply parser's
 * verdict. */
static bool reply_complete(const char *buf, size_t len)
{
	struct smtp_reply r;
	enum smtp_reply_error e;
	size_t used;

	return smtp_reply_parse((const uint8_t *)buf, len, &r, &used, &e) != SMTP_REPLY_MORE;
}

long doc_read_reply(int fd, char *buf, size_t size, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	size_t len = 0;

	while (len + 1 < size && !reply_complete(buf, len)) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int64_t left = deadline - now_ms();
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			break;
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
	}
	buf[len] = '\0';
	return (long)len;
}

const char *doc_connect_words(int err)
{
	switch (err) {
	case ECONNREFUSED:
		return "connection refused (111): nothing listens on that port, or a firewall "
		       "rejects the connection";
	case ETIMEDOUT:
		return "connection timed out (110): packets are dropped on the way, often by a "
		       "firewall or by a provider that blocks outbound mail ports";
	case ENETUNREACH:
		return "network unreachable: this machine has no route to that address";
	case EHOSTUNREACH:
		return "host unreachable: no route to that host, or a router refused the "
		       "connection";
	}
	return strerror(err);
}
