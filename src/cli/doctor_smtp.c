/*
 * doctor_smtp.c - `tern doctor smtp HOST[:PORT]`: what an application meets when it submits
 * mail to a server, one step at a time, each failure named with its cause and its fix: the
 * host name as typed, its addresses, the TCP connection (and which other mail ports answer when
 * it fails), the greeting, EHLO, TLS (STARTTLS or implicit; version, cipher, chain, name,
 * expiry), AUTH, MAIL FROM and RCPT TO. A message is sent only with --send.
 *
 * Two kinds of connection: a raw probe of our own first (connect, wait for the greeting, and
 * when none comes try a TLS handshake), because a server that never greets, or speaks TLS on
 * a port the client treats as plaintext, is exactly what a client library cannot report past
 * its timeout; then a libtern connection for the dialogue, as an application would hold it, with
 * verify_continue so that a certificate problem is reported and the later steps still run.
 * Replies are explained by libtern from tern's knowledge base (tern_reply_explain).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <tern/client.h>

#include "cli/cli.h"
#include "cli/doctor.h"
#include "cli/doctor_smtp.h"
#include "cli/setup.h"
#include "proto/smtp_reply.h"

#define SEP		     SMTP_SEP
#define DEFAULT_TIMEOUT_S    10
#define DEFAULT_ALTERNATIVES "25,587,465,2525"

static const char *const all_steps[][2] = {
	{ "resolve", "Host name" },
	{ "connect", "TCP connection" },
	{ "greeting", "Greeting" },
	{ "ehlo", "EHLO" },
	{ "tls", "TLS" },
	{ "auth", "AUTH" },
	{ "mail_from", "MAIL FROM" },
	{ "rcpt_to", "RCPT TO" },
	{ "send", "Message" },
};

/* Every step not reported yet, as skipped: an earlier one failed. */
static void skip_rest(struct smtpdoc *d)
{
	for (size_t i = 0; i < sizeof(all_steps) / sizeof(all_steps[0]); i++)
		if (!doc_has(d->rep, all_steps[i][0]))
			doc_step(d->rep, all_steps[i][0], all_steps[i][1], DOC_SKIPPED,
				 "not checked: an earlier step failed", "");
}

const char *smtp_step_title(const char *name)
{
	for (size_t i = 0; i < sizeof(all_steps) / sizeof(all_steps[0]); i++)
		if (strcmp(all_steps[i][0], name) == 0)
			return all_steps[i][1];
	return name;
}

/* The greeting read by the probe, parsed by the one reply parser (src/proto/smtp_reply) into
 * libtern's reply type for smtp_explain; false when it is not an SMTP reply. */
static bool greeting_reply(const char *text, struct tern_reply *out)
{
	struct smtp_reply r;
	enum smtp_reply_error e;
	size_t used;

	memset(out, 0, sizeof(*out));
	if (smtp_reply_parse((const uint8_t *)text, strlen(text), &r, &used, &e) != SMTP_REPLY_OK)
		return false;
	out->code = r.code;
	if (r.enh.cls != 0)
		snprintf(out->enhanced, sizeof(out->enhanced), "%u.%u.%u", r.enh.cls, r.enh.subject,
			 r.enh.detail);
	snprintf(out->text, sizeof(out->text), "%.*s", (int)strcspn(r.text, "\n"), r.text);
	out->transient = r.code >= 400 && r.code < 500;
	out->permanent = r.code >= 500;
	return true;
}

/* ---- 1. the host name ---------------------------------------------------------------------- */

/* Catches what a person pastes into a "host" field: spaces, a scheme, a path, a port twice.
 * false (and the step failed) when the text is not a host name. */
static bool check_host_text(struct smtpdoc *d)
{
	const char *a = d->arg, *scheme = strstr(a, "://"), *colon;
	size_t len = strlen(a), hl;
	char port_text[16] = "";

	if (len > 0 && (isspace((unsigned char)a[0]) || isspace((unsigned char)a[len - 1]))) {
		doc_stepf(d->rep, "resolve", "Host name", DOC_FAILED,
			  "the host name \"%s\" has a space %s it; the client looks up a name that "
			  "does not exist and fails with \"Failed to connect to server\"" SEP
			  "Remove the space from the host setting of your application (PHPMailer's "
			  "Host, for example).",
			  a, isspace((unsigned char)a[0]) ? "before" : "after");
		return false;
	}
	if (scheme != NULL) {
		doc_stepf(d->rep, "resolve", "Host name", DOC_FAILED,
			  "\"%s\" is a URL, not a host name: \"%.*s\" is not part of the server's "
			  "name" SEP
			  "Give the host name alone (\"%s\"); choose TLS with the client's own "
			  "setting (ssl:// usually means implicit TLS on port 465, tls:// STARTTLS "
			  "on "
			  "587), here with --tls.",
			  a, (int)(scheme - a + 3), a, scheme + 3);
		return false;
	}
	if (a[0] == '[') { /* [IPv6]:port */
		const char *end = strchr(a, ']');
		if (end == NULL || (end[1] != '\0' && end[1] != ':'))
			goto bad;
		snprintf(d->host, sizeof(d->host), "%.*s", (int)(end - a - 1), a + 1);
		if (end[1] == ':')
			snprintf(port_text, sizeof(port_text), "%s", end + 2);
	} else if ((colon = strchr(a, ':')) != NULL && strchr(colon + 1, ':') == NULL) {
		snprintf(d->host, sizeof(d->host), "%.*s", (int)(colon - a), a);
		snprintf(port_text, sizeof(port_text), "%s", colon + 1);
	} else {
		snprintf(d->host, sizeof(d->host), "%s", a);
	}
	if (port_text[0] != '\0') {
		char *end;
		long p = strtol(port_text, &end, 10);
		if (*end != '\0' || p < 1 || p > 65535)
			goto bad;
		d->port = (int)p;
	}
	hl = strlen(d->host);
	for (size_t i = 0; i < hl; i++) {
		unsigned char ch = (unsigned char)d->host[i];
		if (!isalnum(ch) && ch != '.' && ch != '-' && ch != '_' && ch != ':')
			goto bad;
	}
	if (hl == 0)
		goto bad;
	return true;
bad:
	doc_stepf(d->rep, "resolve", "Host name", DOC_FAILED,
		  "\"%s\" is not a host name (or HOST:PORT): it holds characters no host name "
		  "has" SEP "Give the server's name or address alone, e.g. smtp.example.com or "
		  "smtp.example.com:587.",
		  a);
	return false;
}

static bool step_resolve(struct smtpdoc *d, struct doc_dns *dns)
{
	struct dns_mx_result *res = calloc(1, sizeof(*res));
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&d->addr;
	bool ok = false;

	if (res == NULL)
		return false;
	memset(&d->addr, 0, sizeof(d->addr));
	if (inet_pton(AF_INET6, d->host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
	} else if (inet_pton(AF_INET, d->host, &((struct sockaddr_in *)&d->addr)->sin_addr) == 1) {
		d->addr.ss_family = AF_INET;
	} else {
		d->is_name = true;
		doc_host_addrs(dns, d->host, res);
		if (res->status != DNS_OK) {
			doc_stepf(
				d->rep, "resolve", "Host name", DOC_FAILED,
				"%s (asked %s)" SEP "%s", res->error,
				dns->servers[0] != '\0' ? dns->servers : "the system's resolver",
				res->status == DNS_TEMPFAIL
					? "The DNS server did not answer: check this machine's "
					  "resolver (tern doctor checks tern's), or ask another "
					  "with --dns."
					: "Check the spelling of the server's name in your "
					  "application's settings: the name does not resolve to an "
					  "address.");
			goto done;
		}
		d->addr = res->hosts[0].addrs[0];
		for (size_t k = 1; k < res->hosts[0].naddrs; k++)
			d->more[d->nmore++] = res->hosts[0].addrs[k];
	}
	if (d->addr.ss_family == AF_INET6)
		sin6->sin6_port = htons((uint16_t)d->port);
	else
		((struct sockaddr_in *)&d->addr)->sin_port = htons((uint16_t)d->port);
	cli_addr_text(&d->addr, d->addrtext, sizeof(d->addrtext));
	if (d->is_name) {
		char all[600] = "";
		char a[INET6_ADDRSTRLEN];
		for (size_t k = 0; k < res->hosts[0].naddrs; k++)
			snprintf(all + strlen(all), sizeof(all) - strlen(all), "%s%s",
				 k ? ", " : "",
				 cli_addr_text(&res->hosts[0].addrs[k], a, sizeof(a)));
		doc_stepf(d->rep, "resolve", "Host name", DOC_OK, "%s has the address%s %s%s%s",
			  d->host, res->hosts[0].naddrs > 1 ? "es" : "", all,
			  res->hosts[0].naddrs > 1 ? "; trying " : "",
			  res->hosts[0].naddrs > 1 ? d->addrtext : "");
	} else {
		doc_stepf(d->rep, "resolve", "Host name", DOC_OK, "%s is an address", d->host);
	}
	ok = true;
done:
	free(res);
	return ok;
}

/* ---- 2. TCP, and the other mail ports ------------------------------------------------------ */

static void set_port(struct sockaddr_storage *ss, int port)
{
	if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
	else
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
}

/* Which of the other mail ports answer, in words, and the first that greets. */
static int scan_ports(struct smtpdoc *d, char *out, size_t size)
{
	char list[128], *save = NULL;
	int best = 0;
	int t = d->timeout_ms < 3000 ? d->timeout_ms : 3000;

	out[0] = '\0';
	snprintf(list, sizeof(list), "%s", d->alternatives);
	for (char *p = strtok_r(list, ", ", &save); p; p = strtok_r(NULL, ", ", &save)) {
		struct sockaddr_storage ss = d->addr;
		char reply[512];
		int port = atoi(p), err = 0, fd;

		if (port <= 0 || port > 65535 || port == d->port)
			continue;
		set_port(&ss, port);
		fd = doc_connect(&ss, t, &err);
		if (fd < 0) {
			snprintf(out + strlen(out), size - strlen(out), "%sport %d: %s",
				 out[0] ? "; " : "", port,
				 err == ECONNREFUSED ? "refused"
				 : err == ETIMEDOUT  ? "timed out"
						     : strerror(err));
			continue;
		}
		if (doc_read_reply(fd, reply, sizeof(reply), t) > 0 &&
		    strncmp(reply, "220", 3) == 0) {
			snprintf(out + strlen(out), size - strlen(out),
				 "%sport %d: answers with 220", out[0] ? "; " : "", port);
			if (best == 0)
				best = port;
		} else {
			snprintf(out + strlen(out), size - strlen(out),
				 "%sport %d: accepts connections, no plaintext greeting (implicit "
				 "TLS?)",
				 out[0] ? "; " : "", port);
			if (best == 0)
				best = -port;
		}
		close(fd);
	}
	return best;
}

static int step_connect(struct smtpdoc *d)
{
	int err = 0, fd = doc_connect(&d->addr, d->timeout_ms, &err), best;
	char others[1024], todo[600], a[INET6_ADDRSTRLEN];

	/* The name's other addresses, as a client would try them (an IPv6 path that is broken
	 * while IPv4 works is common); the first that answers is the one examined. */
	for (size_t k = 0; fd < 0 && k < d->nmore; k++) {
		int e2 = 0;
		set_port(&d->more[k], d->port);
		if ((fd = doc_connect(&d->more[k], d->timeout_ms, &e2)) >= 0) {
			cli_addr_text(&d->more[k], a, sizeof(a));
			doc_stepf(d->rep, "connect", "TCP connection", DOC_WARNING,
				  "%s port %d: %s; %s answers" SEP
				  "Clients that try %s first wait or fail: fix the route to it, or "
				  "remove its DNS record.",
				  d->addrtext, d->port, doc_connect_words(err), a, d->addrtext);
			d->addr = d->more[k];
			snprintf(d->addrtext, sizeof(d->addrtext), "%s", a);
		}
	}
	if (fd >= 0)
		return fd;
	best = scan_ports(d, others, sizeof(others));
	if (best > 0)
		snprintf(todo, sizeof(todo),
			 "Port %d answers: set your application to it (587 with STARTTLS is the "
			 "submission port; 25 is for server-to-server mail).",
			 best);
	else if (best < 0)
		snprintf(todo, sizeof(todo),
			 "Port %d accepts connections without a plaintext greeting: set your "
			 "application to it with implicit TLS (\"SSL\").",
			 -best);
	else if (err == ETIMEDOUT)
		snprintf(todo, sizeof(todo),
			 "Nothing answers: a firewall (on this machine, the network or the "
			 "provider; many block outbound mail ports) drops the packets. Ask for the "
			 "port to be opened, or use a port the server offers that is not blocked.");
	else
		snprintf(
			todo, sizeof(todo),
			"Check that the server runs and listens on this port, and that no firewall "
			"rejects the connection (telnet HOST PORT or nc -v HOST PORT shows the "
			"same).");
	doc_stepf(d->rep, "connect", "TCP connection", DOC_FAILED,
		  "%s (%s) port %d: %s. Other mail ports of the host: %s" SEP "%s", d->host,
		  d->addrtext, d->port, doc_connect_words(err), others[0] ? others : "none tried",
		  todo);
	return -1;
}

/* ---- 3. the greeting (raw probe) ----------------------------------------------------------- */

enum greet { G_220, G_REFUSING, G_OTHER, G_CLOSED, G_SILENT_TLS, G_SILENT };

/* Whether a TLS handshake succeeds on a new connection: the port speaks TLS first. */
static bool tls_first(struct smtpdoc *d)
{
	int err = 0, fd = doc_connect(&d->addr, d->timeout_ms, &err);
	struct timeval tv = { d->timeout_ms / 1000, (d->timeout_ms % 1000) * 1000 };
	SSL_CTX *ctx = NULL;
	SSL *ssl = NULL;
	bool ok = false;

	if (fd < 0)
		return false;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if ((ctx = SSL_CTX_new(TLS_client_method())) != NULL && (ssl = SSL_new(ctx)) != NULL &&
	    SSL_set_fd(ssl, fd) == 1) {
		if (d->is_name)
			SSL_set_tlsext_host_name(ssl, d->host);
		ok = SSL_connect(ssl) == 1;
	}
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(fd);
	return ok;
}

static enum greet probe_greeting(struct smtpdoc *d, int fd)
{
	/* the first wait is short when implicit TLS is expected: the server waits for us */
	int wait = d->mode == M_IMPLICIT || (d->mode == M_AUTO && d->port == 465)
			   ? (d->timeout_ms < 2000 ? d->timeout_ms : 2000)
			   : d->timeout_ms;
	long n = doc_read_reply(fd, d->greeting, sizeof(d->greeting), wait);
	struct tern_reply r;

	if (n > 0 && !greeting_reply(d->greeting, &r))
		return G_OTHER;
	if (n > 0)
		return r.code == 220			? G_220
		       : r.code == 421 || r.code >= 500 ? G_REFUSING
							: G_OTHER;
	/* nothing: closed, or silent. A port that completes a TLS handshake expects TLS from
	 * the first byte, whether it waited in silence or gave up on our silence and closed
	 * (an implicit-TLS server's handshake timeout may be shorter than our wait). */
	{
		char b;
		bool closed = recv(fd, &b, 1, MSG_DONTWAIT | MSG_PEEK) == 0;

		if (tls_first(d))
			return G_SILENT_TLS;
		return closed ? G_CLOSED : G_SILENT;
	}
}

/* Reports the greeting of the probe; false when the dialogue cannot go on. Sets d->mode
 * from auto to what the port speaks. */
static bool step_greeting(struct smtpdoc *d, enum greet g)
{
	struct tern_reply r;
	char why[2048], first[300];

	snprintf(first, sizeof(first), "%.*s", (int)strcspn(d->greeting, "\r\n"), d->greeting);
	switch (g) {
	case G_220:
		if (d->mode == M_IMPLICIT) {
			doc_stepf(d->rep, "greeting", "Greeting", DOC_OK, "\"%s\" in plaintext",
				  first);
			doc_stepf(
				d->rep, "tls", "TLS", DOC_FAILED,
				"implicit TLS was asked for, but port %d greets in plaintext: it "
				"is a STARTTLS (or plain) port, and a TLS handshake on it fails "
				"(\"wrong version number\" in OpenSSL's words)" SEP
				"Set your client to STARTTLS on this port (--tls starttls), or use "
				"the server's implicit-TLS port (usually 465).",
				d->port);
			return false;
		}
		if (d->mode == M_AUTO)
			d->mode = M_STARTTLS;
		doc_stepf(d->rep, "greeting", "Greeting", DOC_OK, "\"%s\"", first);
		return true;
	case G_REFUSING:
		greeting_reply(d->greeting, &r);
		smtp_explain(&r, why, sizeof(why));
		doc_stepf(d->rep, "greeting", "Greeting", DOC_FAILED,
			  "the server greets with \"%s\" instead of 220: it refuses to talk to "
			  "this client%s" SEP "%s",
			  first,
			  r.code == 421 ? " for now (busy, too many connections, or shutting down)"
			  : r.code == 554
				  ? " (this client's address is refused, often a blocklist or an "
				    "access rule)"
				  : "",
			  why);
		return false;
	case G_OTHER:
		doc_stepf(d->rep, "greeting", "Greeting", DOC_FAILED,
			  "port %d answers, but not with SMTP: \"%.120s\"" SEP
			  "This is another service (HTTP, SSH, IMAP, POP3...): use the port of the "
			  "mail submission server (587 with STARTTLS, or 465 with implicit TLS).",
			  d->port, first);
		return false;
	case G_CLOSED:
		doc_stepf(d->rep, "greeting", "Greeting", DOC_FAILED,
			  "the server closed the connection without a greeting" SEP
			  "It refuses this client before SMTP starts: an access rule, a connection "
			  "limit, or a blocklist. Look at the server's log for this address.");
		return false;
	case G_SILENT_TLS:
		if (d->mode == M_STARTTLS || d->mode == M_NONE) {
			doc_stepf(
				d->rep, "greeting", "Greeting", DOC_FAILED,
				"port %d never greets in plaintext, and a TLS handshake on it "
				"succeeds: it is an implicit-TLS port (SMTPS, port 465 style), "
				"spoken to in plaintext%s" SEP
				"Set your client to implicit TLS (\"SSL\", --tls implicit) on this "
				"port, or use STARTTLS on the submission port (587).",
				d->port, d->mode == M_STARTTLS ? " by a STARTTLS client" : "");
			return false;
		}
		d->mode = M_IMPLICIT;
		return true; /* greeting reported after the handshake */
	case G_SILENT:
		doc_stepf(d->rep, "greeting", "Greeting", DOC_FAILED,
			  "port %d accepts the connection but sends nothing within %d seconds, and "
			  "does not speak TLS either: it is not an SMTP server, or it is stuck" SEP
			  "Check that this is the mail server's port; a server that accepts and "
			  "never greets is overloaded or hung (or a firewall intercepts the "
			  "connection).",
			  d->port, d->timeout_ms / 1000);
		return false;
	}
	return false;
}

/* ---- the command --------------------------------------------------------------------------- */

static int usage_error(const char *what, const char *arg)
{
	fprintf(stderr, "tern doctor smtp: %s%s\n", what, arg);
	doctor_usage(stderr);
	return CLI_USAGE;
}

static bool read_password(const char *path, char *out, size_t size)
{
	FILE *f = fopen(path, "r");
	bool ok;

	if (f == NULL)
		return false;
	ok = fgets(out, (int)size, f) != NULL;
	fclose(f);
	if (ok)
		out[strcspn(out, "\r\n")] = '\0';
	return ok;
}

int doctor_smtp(int argc, char **argv)
{
	const char *path = setup_config_path(&argc, argv);
	struct smtpdoc *d = calloc(1, sizeof(*d));
	struct tern_config *cfg = calloc(1, sizeof(*cfg));
	const char *dns_opt = NULL, *tls = "auto";
	bool json = false, have_cfg = false, dns_ok = false;
	struct doc_dns dns;
	char err[600];
	int rc = CLI_PROBLEM, fd;

	if (d == NULL || cfg == NULL)
		goto out;
	d->timeout_ms = DEFAULT_TIMEOUT_S * 1000;
	/* The other mail ports tried when the port fails; tests, which cannot bind 25, name
	 * their own with --ports or TERN_DOCTOR_PORTS. */
	d->alternatives = getenv("TERN_DOCTOR_PORTS") != NULL ? getenv("TERN_DOCTOR_PORTS")
							      : DEFAULT_ALTERNATIVES;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool val = i + 1 < argc;
		if (strcmp(a, "--json") == 0)
			json = true;
		else if (strcmp(a, "--send") == 0)
			d->send = true;
		else if (strcmp(a, "--tls") == 0 && val)
			tls = argv[++i];
		else if (strcmp(a, "--user") == 0 && val)
			d->user = argv[++i];
		else if (strcmp(a, "--password-file") == 0 && val)
			d->password_file = argv[++i];
		else if (strcmp(a, "--from") == 0 && val)
			d->from = argv[++i];
		else if (strcmp(a, "--to") == 0 && val)
			d->to = argv[++i];
		else if (strcmp(a, "--dns") == 0 && val)
			dns_opt = argv[++i];
		else if (strcmp(a, "--ca-file") == 0 && val)
			d->ca_file = argv[++i];
		else if (strcmp(a, "--timeout") == 0 && val)
			d->timeout_ms = atoi(argv[++i]) * 1000;
		else if (strcmp(a, "--ports") == 0 && val) /* the alternatives tried; for tests */
			d->alternatives = argv[++i];
		else if (a[0] == '-' && d->arg == NULL && strcmp(a, "-") != 0) {
			rc = usage_error("unexpected argument: ", a);
			goto out;
		} else if (d->arg != NULL) {
			rc = usage_error("unexpected argument: ", a);
			goto out;
		} else
			d->arg = a;
	}
	if (d->arg == NULL) {
		rc = usage_error("name the server: HOST[:PORT]", "");
		goto out;
	}
	if (strcmp(tls, "auto") == 0)
		d->mode = M_AUTO;
	else if (strcmp(tls, "starttls") == 0)
		d->mode = M_STARTTLS;
	else if (strcmp(tls, "implicit") == 0)
		d->mode = M_IMPLICIT;
	else if (strcmp(tls, "none") == 0)
		d->mode = M_NONE;
	else {
		rc = usage_error("--tls must be auto, starttls, implicit or none, not ", tls);
		goto out;
	}
	d->mode_given = d->mode != M_AUTO;
	if (d->timeout_ms <= 0) {
		rc = usage_error("--timeout must be a number of seconds", "");
		goto out;
	}
	if ((d->user != NULL) != (d->password_file != NULL)) {
		rc = usage_error("--user and --password-file go together", "");
		goto out;
	}
	if (d->password_file != NULL &&
	    !read_password(d->password_file, d->password, sizeof(d->password))) {
		rc = usage_error("cannot read the password file ", d->password_file);
		goto out;
	}
	d->port = d->mode == M_IMPLICIT ? 465 : 587;
	if (access(path, F_OK) == 0 && config_load(path, cfg, err, sizeof(err)) == 0)
		have_cfg = true;
	dns_ok = doc_dns_open(&dns, doc_dns_servers(dns_opt, cfg, have_cfg),
			      have_cfg ? cfg->dns_timeout : 3, err, sizeof(err));
	if (!dns_ok && dns_opt != NULL) {
		rc = usage_error(err, "");
		goto out;
	}
	d->rep = doc_report_new("smtp", d->arg, json);
	if (!check_host_text(d)) {
		skip_rest(d);
		rc = doc_report_end(d->rep);
		goto out;
	}
	if (!dns_ok) {
		doc_stepf(d->rep, "resolve", "Host name", DOC_FAILED,
			  "%s" SEP "Correct [delivery] dns_servers, or give --dns IP[:PORT].", err);
		skip_rest(d);
		rc = doc_report_end(d->rep);
		goto out;
	}
	if (step_resolve(d, &dns) && (fd = step_connect(d)) >= 0) {
		enum greet g;
		if (!doc_has(d->rep, "connect"))
			doc_stepf(d->rep, "connect", "TCP connection", DOC_OK,
				  "connected to %s port %d", d->addrtext, d->port);
		g = probe_greeting(d, fd);
		close(fd);
		if (step_greeting(d, g))
			smtp_dialogue(d);
	}
	skip_rest(d);
	rc = doc_report_end(d->rep);
out:
	if (dns_ok)
		doc_dns_close(&dns);
	free(cfg);
	free(d);
	return rc;
}
