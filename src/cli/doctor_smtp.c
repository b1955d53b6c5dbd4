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
 * its timeout; then a libtern session for the dialogue, as an application would hold it, with
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
#include "cli/setup.h"

#define SEP		     "\x1f"
#define EXPIRY_WARN_DAYS     21
#define DEFAULT_TIMEOUT_S    10
#define DEFAULT_ALTERNATIVES "25,587,465,2525"

enum mode { M_AUTO, M_STARTTLS, M_IMPLICIT, M_NONE };

struct smtpdoc {
	struct doc_report *rep;
	const char *arg; /* HOST[:PORT] as given */
	char host[256];
	int port;
	enum mode mode;
	bool mode_given; /* --tls other than auto */
	const char *user, *password_file, *from, *to, *ca_file, *alternatives;
	char password[512];
	bool send;
	int timeout_ms;
	bool is_name;
	struct sockaddr_storage addr;
	char addrtext[INET6_ADDRSTRLEN];
	char greeting[1024];
	tern_client *c;
};

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

/* The reply in words from the knowledge base, with what to do. */
static void explain_reply_text(const struct tern_reply *r, char *out, size_t size)
{
	tern_reply_explain(r, out, size);
}

static void reply_from_text(const char *text, struct tern_reply *r)
{
	const char *p = text;

	memset(r, 0, sizeof(*r));
	r->code = atoi(text);
	p += strspn(p, "0123456789");
	p += strspn(p, " -");
	if (isdigit((unsigned char)p[0]) && p[1] == '.') {
		size_t n = strcspn(p, " \r\n");
		snprintf(r->enhanced, sizeof(r->enhanced), "%.*s", (int)n, p);
		p += n;
		p += strspn(p, " ");
	}
	snprintf(r->text, sizeof(r->text), "%.*s", (int)strcspn(p, "\r\n"), p);
	r->transient = r->code >= 400 && r->code < 500;
	r->permanent = r->code >= 500;
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
		doc_dns_host(dns, d->host, res);
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
	}
	if (d->addr.ss_family == AF_INET6)
		sin6->sin6_port = htons((uint16_t)d->port);
	else
		((struct sockaddr_in *)&d->addr)->sin_port = htons((uint16_t)d->port);
	doc_addr_text(&d->addr, d->addrtext, sizeof(d->addrtext));
	if (d->is_name) {
		char all[600] = "";
		char a[INET6_ADDRSTRLEN];
		for (size_t k = 0; k < res->hosts[0].naddrs; k++)
			snprintf(all + strlen(all), sizeof(all) - strlen(all), "%s%s",
				 k ? ", " : "",
				 doc_addr_text(&res->hosts[0].addrs[k], a, sizeof(a)));
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
	char others[1024], todo[600];

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

	if (n > 0 && strncmp(d->greeting, "220", 3) == 0)
		return G_220;
	if (n > 0 && (strncmp(d->greeting, "421", 3) == 0 || d->greeting[0] == '5'))
		return G_REFUSING;
	if (n > 0)
		return G_OTHER;
	/* nothing: closed at once, or silent; a silent port that completes a TLS handshake
	 * expects TLS from the first byte */
	{
		char b;
		ssize_t r = recv(fd, &b, 1, MSG_DONTWAIT | MSG_PEEK);
		if (r == 0)
			return G_CLOSED;
	}
	return tls_first(d) ? G_SILENT_TLS : G_SILENT;
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
		reply_from_text(d->greeting, &r);
		explain_reply_text(&r, why, sizeof(why));
		doc_stepf(
			d->rep, "greeting", "Greeting", DOC_FAILED,
			"the server greets with \"%s\" instead of 220: it refuses the session%s" SEP
			"%s",
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

/* ---- the libtern session ------------------------------------------------------------------- */

static const char *step_of_stage(enum tern_stage s)
{
	switch (s) {
	case TERN_STAGE_RESOLVE:
		return "resolve";
	case TERN_STAGE_CONNECT:
		return "connect";
	case TERN_STAGE_TLS:
	case TERN_STAGE_STARTTLS:
		return "tls";
	case TERN_STAGE_GREETING:
		return "greeting";
	case TERN_STAGE_EHLO:
		return "ehlo";
	case TERN_STAGE_AUTH:
		return "auth";
	case TERN_STAGE_MAIL:
		return "mail_from";
	case TERN_STAGE_RCPT:
		return "rcpt_to";
	default:
		return "send";
	}
}

static const char *title_of(const char *name)
{
	for (size_t i = 0; i < sizeof(all_steps) / sizeof(all_steps[0]); i++)
		if (strcmp(all_steps[i][0], name) == 0)
			return all_steps[i][1];
	return name;
}

/* A libtern failure as the failed step of its stage: the reply explained, or its message. */
static void report_error(struct smtpdoc *d, const struct tern_error *e, const char *hint)
{
	const char *name = step_of_stage(e->stage);
	char why[2048];

	if (e->code == TERN_E_REPLY) {
		explain_reply_text(&e->reply, why, sizeof(why));
		doc_stepf(d->rep, name, title_of(name), DOC_FAILED,
			  "the server answered \"%d%s%s %s\"%s%s" SEP "%s", e->reply.code,
			  e->reply.enhanced[0] ? " " : "", e->reply.enhanced, e->reply.text,
			  hint[0] ? ": " : "", hint, why);
		return;
	}
	doc_stepf(d->rep, name, title_of(name), DOC_FAILED, "%s%s%s", e->message,
		  hint[0] ? " " : "", hint);
}

static void fmt_time(time_t t, char *out, size_t size)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, size, "%Y-%m-%d", &tm);
}

/* Whether the certificate holds host: its subjectAltName entries ("a, b"), or without them its
 * subject's CN; a wildcard stands for one whole leftmost label (RFC 6125 6.4.3). */
static bool name_matches(const char *names, const char *subject, const char *host)
{
	char list[600], *save = NULL;
	const char *cn;

	if (names[0] != '\0') {
		snprintf(list, sizeof(list), "%s", names);
	} else if ((cn = strstr(subject, "CN=")) != NULL) {
		snprintf(list, sizeof(list), "%.*s", (int)strcspn(cn + 3, ","), cn + 3);
	} else {
		return false;
	}
	for (char *n = strtok_r(list, ", ", &save); n; n = strtok_r(NULL, ", ", &save)) {
		const char *dot = strchr(host, '.');
		if (strcasecmp(n, host) == 0)
			return true;
		if (n[0] == '*' && n[1] == '.' && dot != NULL && dot != host &&
		    strcasecmp(n + 1, dot) == 0)
			return true;
	}
	return false;
}

/* The TLS step from the session's certificate and parameters. A certificate with several
 * faults is named by the one to fix first: its dates, its name, then who issued it. */
static void step_tls(struct smtpdoc *d, const char *how)
{
	struct tern_tls_info ti;
	struct tern_error e;
	char until[32], who[1400];
	const char *host = d->is_name ? d->host : d->addrtext;
	time_t now = time(NULL);
	bool expired, self_signed, wrong_name;
	long days;

	if (tern_tls_info(d->c, &ti, &e) != 0) {
		doc_stepf(d->rep, "tls", "TLS", DOC_WARNING, "%s: no TLS details: %s", how,
			  e.message);
		return;
	}
	fmt_time(ti.not_after, until, sizeof(until));
	days = (long)((ti.not_after - now) / 86400);
	snprintf(who, sizeof(who),
		 "%s, %s; certificate %s (names: %s) issued by %s, valid until %s", ti.version,
		 ti.cipher, ti.subject, ti.names[0] ? ti.names : "none", ti.issuer, until);
	expired = ti.verify_code == X509_V_ERR_CERT_HAS_EXPIRED ||
		  ti.verify_code == X509_V_ERR_CERT_NOT_YET_VALID ||
		  (ti.not_after != 0 && now > ti.not_after) ||
		  (ti.not_before != 0 && now < ti.not_before);
	wrong_name = ti.verify_code == X509_V_ERR_HOSTNAME_MISMATCH ||
		     ti.verify_code == X509_V_ERR_IP_ADDRESS_MISMATCH ||
		     !name_matches(ti.names, ti.subject, host);
	self_signed = ti.verify_code == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT ||
		      ti.verify_code == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN ||
		      (!ti.verified && strcmp(ti.subject, ti.issuer) == 0);
	if (expired) {
		doc_stepf(d->rep, "tls", "TLS", DOC_FAILED,
			  "%s: %s; the certificate %s" SEP
			  "Renew the server's certificate and install the new one: clients that "
			  "check certificates (all of them by default) refuse to send until then.",
			  how, who, now > ti.not_after ? "has expired" : "is not valid yet");
	} else if (wrong_name) {
		doc_stepf(d->rep, "tls", "TLS", DOC_FAILED,
			  "%s: %s; the certificate is not valid for the name %s" SEP
			  "Connect with a name the certificate holds (see its names), or get a "
			  "certificate that includes %s, the name your application uses.",
			  how, who, host, host);
	} else if (self_signed) {
		doc_stepf(d->rep, "tls", "TLS", DOC_FAILED,
			  "%s: %s; the certificate is self-signed, so nobody vouches for it" SEP
			  "Clients refuse a self-signed certificate unless told to trust it: install "
			  "one from a public authority (Let's Encrypt), or give clients this "
			  "certificate as a trusted authority (--ca-file here).",
			  how, who);
	} else if (!ti.verified) {
		doc_stepf(d->rep, "tls", "TLS", DOC_FAILED,
			  "%s: %s; the certificate is not trusted: %s" SEP
			  "The certificate does not chain to an authority this machine trusts: "
			  "install the intermediate certificates on the server (the full chain), or "
			  "give the authority with --ca-file.",
			  how, who, ti.verify_error[0] ? ti.verify_error : "verification failed");
	} else if (days < EXPIRY_WARN_DAYS) {
		doc_stepf(d->rep, "tls", "TLS", DOC_WARNING,
			  "%s: %s; trusted, but it expires in %ld day%s" SEP
			  "Renew the certificate now (automatic renewal usually runs 30 days "
			  "ahead: check it works).",
			  how, who, days, days == 1 ? "" : "s");
	} else if (strcmp(ti.version, "TLSv1") == 0 || strcmp(ti.version, "TLSv1.1") == 0) {
		doc_stepf(d->rep, "tls", "TLS", DOC_WARNING,
			  "%s: %s; %s is obsolete (RFC 8996)" SEP
			  "Enable TLS 1.2 and 1.3 on the server.",
			  how, who, ti.version);
	} else {
		doc_stepf(d->rep, "tls", "TLS", DOC_OK, "%s: %s; chain trusted, name matches",
			  how, who);
	}
}

/* The EHLO step: every extension offered, the SIZE limit, STARTTLS and AUTH. */
static void step_ehlo(struct smtpdoc *d, const char *before_tls)
{
	const struct tern_reply *r = tern_last_reply(d->c);
	const char *ext = r != NULL ? strchr(r->text, '\n') : NULL;
	char list[1024] = "", size[64] = "no SIZE limit stated";
	const char *auth = tern_auth_mechanisms(d->c);

	for (const char *p = ext; p != NULL && *p != '\0';) {
		size_t n;
		p++;
		n = strcspn(p, "\n");
		if (n > 0)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%.*s",
				 list[0] ? ", " : "", (int)n, p);
		p += n;
	}
	if (tern_size_limit(d->c) > 0)
		snprintf(size, sizeof(size), "messages up to %llu bytes (%.1f MB)",
			 (unsigned long long)tern_size_limit(d->c),
			 (double)tern_size_limit(d->c) / (1024.0 * 1024.0));
	doc_stepf(d->rep, "ehlo", "EHLO", DOC_OK, "offers %s; %s; STARTTLS %s; AUTH %s%s%s",
		  list[0] ? list : "no extensions", size,
		  tern_tls_active(d->c)		  ? "done"
		  : tern_offers(d->c, "STARTTLS") ? "offered"
						  : "not offered",
		  auth[0] ? auth : "not offered", before_tls[0] ? "; " : "", before_tls);
}

static void step_auth(struct smtpdoc *d)
{
	struct tern_error e;
	const char *hint = "";

	if (d->user == NULL) {
		doc_step(d->rep, "auth", "AUTH", DOC_SKIPPED, "no --user given",
			 "Give --user and --password-file to check the credentials.");
		return;
	}
	if (!tern_offers(d->c, "AUTH")) {
		doc_stepf(d->rep, "auth", "AUTH", DOC_FAILED,
			  "the server offers no AUTH%s, so credentials cannot be used" SEP "%s",
			  tern_tls_active(d->c) ? "" : " over this unencrypted connection",
			  tern_tls_active(d->c)
				  ? "The server does not take logins on this port: check the port "
				    "(587 or 465 for submission) and the server's configuration."
				  : "Use STARTTLS (--tls starttls) or implicit TLS: servers offer "
				    "AUTH "
				    "only once the connection is encrypted.");
		return;
	}
	if (tern_login(d->c, d->user, d->password, TERN_AUTH_AUTO, &e) == 0) {
		doc_stepf(d->rep, "auth", "AUTH", DOC_OK, "logged in as %s (%s offered)", d->user,
			  tern_auth_mechanisms(d->c));
		return;
	}
	if (e.code == TERN_E_REPLY) {
		switch (e.reply.code) {
		case 535:
			hint = "the user name or the password is wrong (or the credential was "
			       "revoked); check for a stray space or an old password in the "
			       "application's settings";
			break;
		case 504:
			hint = "the server does not accept this authentication mechanism";
			break;
		case 538:
			hint = "the server wants the connection encrypted before AUTH (use "
			       "STARTTLS "
			       "or implicit TLS)";
			break;
		case 534:
			hint = "the server wants a stronger mechanism than the one used";
			break;
		case 454:
			hint = "a temporary failure on the server's side (try again later)";
			break;
		}
	}
	report_error(d, &e, hint);
}

static bool step_mail(struct smtpdoc *d)
{
	struct tern_error e;
	const char *hint = "";

	if (d->from == NULL) {
		doc_step(d->rep, "mail_from", "MAIL FROM", DOC_SKIPPED, "no --from given",
			 "Give --from with the sender address your application uses.");
		return false;
	}
	if (tern_mail(d->c, d->from, NULL, &e) == 0) {
		doc_stepf(d->rep, "mail_from", "MAIL FROM", DOC_OK, "%s accepted: \"%d %s\"",
			  d->from, tern_last_reply(d->c)->code, tern_last_reply(d->c)->text);
		return true;
	}
	if (e.code == TERN_E_REPLY) {
		bool authz = strcasestr(e.reply.text, "authoriz") != NULL ||
			     strcasestr(e.reply.text, "not allowed") != NULL ||
			     strcasestr(e.reply.text, "not owned") != NULL;
		if ((e.reply.code == 535 || e.reply.code == 550 || e.reply.code == 553) && authz)
			hint = d->user != NULL
				       ? "this address is not an approved sender for the user "
					 "logged "
					 "in: add it to the user's approved senders (tern sender "
					 "add "
					 "USER ADDRESS on a tern server), or send from one that is"
				       : "this address is not an approved sender";
		else if (e.reply.code == 530)
			hint = "the server wants a login before MAIL: give --user and "
			       "--password-file (your application needs its SMTP credentials)";
	}
	report_error(d, &e, hint);
	return false;
}

static bool step_rcpt(struct smtpdoc *d)
{
	struct tern_error e;

	if (d->to == NULL) {
		doc_step(d->rep, "rcpt_to", "RCPT TO", DOC_SKIPPED, "no --to given",
			 "Give --to with a recipient to check it is accepted.");
		return false;
	}
	if (tern_rcpt(d->c, d->to, &e) == 0) {
		doc_stepf(d->rep, "rcpt_to", "RCPT TO", DOC_OK, "%s accepted: \"%d %s\"", d->to,
			  tern_last_reply(d->c)->code, tern_last_reply(d->c)->text);
		return true;
	}
	report_error(d, &e, "");
	return false;
}

static void step_send(struct smtpdoc *d, bool ready)
{
	char msg[2048], date[64], when[32];
	struct tern_error e;
	time_t now = time(NULL);
	struct tm tm;

	if (!d->send) {
		doc_step(d->rep, "send", "Message", DOC_SKIPPED,
			 "no message sent (--send sends a short test message)", "");
		return;
	}
	if (!ready) {
		doc_step(d->rep, "send", "Message", DOC_SKIPPED,
			 "no accepted sender and recipient to send with", "");
		return;
	}
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	strftime(when, sizeof(when), "%Y%m%d%H%M%S", &tm);
	snprintf(msg, sizeof(msg),
		 "From: <%s>\r\nTo: <%s>\r\nSubject: tern doctor test message\r\nDate: %s\r\n"
		 "Message-ID: <doctor.%s.%d@%s>\r\nMIME-Version: 1.0\r\n"
		 "Content-Type: text/plain; charset=us-ascii\r\n\r\n"
		 "This message was sent by tern doctor smtp to check that mail is accepted.\r\n",
		 d->from, d->to, date, when, (int)getpid(), d->host);
	if (tern_data(d->c, msg, strlen(msg), &e) != 0) {
		report_error(d, &e, "");
		return;
	}
	doc_stepf(d->rep, "send", "Message", DOC_OK, "accepted: \"%d %s\"",
		  tern_last_reply(d->c)->code, tern_last_reply(d->c)->text);
}

/* STARTTLS when the mode wants it (or auto and it is offered), then the EHLO and TLS steps.
 * false when the dialogue cannot go on. */
static bool hello(struct smtpdoc *d)
{
	struct tern_error e;
	char before[300] = "";

	if (tern_ehlo(d->c, NULL, &e) != 0) {
		report_error(d, &e, "");
		return false;
	}
	if (d->mode == M_NONE) {
		step_ehlo(d, "");
		doc_stepf(d->rep, "tls", "TLS", DOC_SKIPPED, "not asked for (--tls none)%s",
			  tern_offers(d->c, "STARTTLS") ? "; the server offers STARTTLS" : "");
		return true;
	}
	if (d->mode == M_IMPLICIT) {
		step_ehlo(d, "");
		return true;
	}
	if (!tern_offers(d->c, "STARTTLS")) {
		step_ehlo(d, "");
		if (d->mode_given || d->user != NULL) {
			doc_stepf(
				d->rep, "tls", "TLS", DOC_FAILED,
				"the server does not offer STARTTLS on port %d%s" SEP
				"Use the server's submission port with STARTTLS (587) or implicit "
				"TLS (465); if this port should offer it, the server's TLS "
				"certificate is probably not configured.",
				d->port,
				d->user != NULL ? ": the password would travel unencrypted, so it "
						  "is not sent"
						: "");
			return false;
		}
		doc_stepf(d->rep, "tls", "TLS", DOC_WARNING,
			  "the server does not offer STARTTLS on port %d: mail travels "
			  "unencrypted" SEP
			  "Configure TLS on the server, or use a port that offers it.",
			  d->port);
		return true;
	}
	if (tern_auth_mechanisms(d->c)[0] != '\0')
		snprintf(before, sizeof(before), "before TLS: AUTH %s", tern_auth_mechanisms(d->c));
	else if (!tern_offers(d->c, "AUTH"))
		snprintf(before, sizeof(before), "before TLS: no AUTH (offered only encrypted)");
	if (tern_starttls(d->c, &e) != 0) {
		step_ehlo(d, "");
		report_error(d, &e, "");
		return false;
	}
	step_tls(d, "STARTTLS");
	if (tern_ehlo(d->c, NULL, &e) != 0) {
		report_error(d, &e, "(the EHLO after STARTTLS)");
		return false;
	}
	step_ehlo(d, before);
	return true;
}

static void dialogue(struct smtpdoc *d)
{
	struct tern_open_options o;
	struct tern_error e;
	bool ready = false;

	memset(&o, 0, sizeof(o));
	o.host = d->addrtext;
	o.port = (uint16_t)d->port;
	o.tls = d->mode == M_IMPLICIT			 ? TERN_TLS_IMPLICIT
		: d->mode == M_STARTTLS && d->mode_given ? TERN_TLS_STARTTLS
							 : TERN_TLS_NONE;
	o.ca_file = d->ca_file;
	o.tls_name = d->is_name ? d->host : NULL;
	o.connect_timeout_ms = (unsigned)d->timeout_ms;
	o.command_timeout_ms = (unsigned)d->timeout_ms;
	o.verify_continue = true;
	if ((d->c = tern_open(&o, &e)) == NULL) {
		report_error(d, &e, "");
		return;
	}
	if (d->mode == M_IMPLICIT) {
		step_tls(d, "implicit TLS");
		doc_stepf(d->rep, "greeting", "Greeting", DOC_OK,
			  "\"220 %s\" after the TLS handshake%s", tern_greeting(d->c),
			  d->mode_given || d->port == 465 ? ""
							  : " (the port speaks TLS from the first "
							    "byte)");
	}
	if (!hello(d))
		goto done;
	step_auth(d);
	if (doc_failed(d->rep, "auth"))
		goto done;
	if (step_mail(d))
		ready = step_rcpt(d);
	else if (!doc_failed(d->rep, "mail_from"))
		step_rcpt(d);
	if (doc_failed(d->rep, "mail_from") || doc_failed(d->rep, "rcpt_to"))
		goto done;
	step_send(d, ready);
	if (!d->send || !ready)
		tern_rset(d->c, NULL);
	tern_quit(d->c, NULL);
done:
	tern_close(d->c);
	d->c = NULL;
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
		doc_stepf(d->rep, "connect", "TCP connection", DOC_OK, "connected to %s port %d",
			  d->addrtext, d->port);
		g = probe_greeting(d, fd);
		close(fd);
		if (step_greeting(d, g))
			dialogue(d);
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
