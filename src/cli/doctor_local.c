/*
 * doctor_local.c - `tern doctor` without a form: is this installation able to take and send
 * mail? Configuration, TLS certificate, store, spool (writable, free space above the
 * reserve), DNS resolver, every listener (accepting, greeting with 220), and with --probe
 * whether outbound port 25 is open towards a host.
 *
 * A configuration that does not load stops everything after it (skipped): every other check
 * reads it. The listeners are one step that names each listener, so that a server that is not
 * running is one cause, not one per port.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/doctor.h"
#include "cli/setup.h"
#include "lib/buf.h"
#include "store/store.h"

#define SEP		 "\x1f"
#define EXPIRY_WARN_DAYS 21
#define LISTEN_TIMEOUT	 3000 /* ms to connect to a listener and for its greeting */
#define PROBE_TIMEOUT	 5000 /* ms to connect to the --probe host */

static const char *const skipped_titles[][2] = {
	{ "certificate", "TLS certificate" },
	{ "store", "Store" },
	{ "spool", "Spool" },
	{ "dns_resolver", "DNS resolver" },
	{ "listeners", "Listeners" },
	{ "outbound_25", "Outbound port 25" },
};

/* ---- certificate --------------------------------------------------------------------------- */

static bool uses_tls(const struct tern_config *c)
{
	for (size_t i = 0; i < c->listener_count; i++)
		if (c->listeners[i].tls != LISTEN_PLAIN)
			return true;
	return false;
}

static void step_certificate(struct doc_report *r, const struct tern_config *c)
{
	FILE *f = NULL;
	X509 *x = NULL;
	EVP_PKEY *key = NULL;
	const ASN1_TIME *na;
	int days = 0, secs = 0;
	char until[64] = "?";
	struct tm tm;

	if (!uses_tls(c)) {
		doc_step(r, "certificate", "TLS certificate", DOC_SKIPPED, "no listener uses TLS",
			 "");
		return;
	}
	if ((f = fopen(c->tls_certificate, "r")) == NULL) {
		doc_stepf(r, "certificate", "TLS certificate", DOC_FAILED,
			  "cannot read %s: %s" SEP
			  "Put the certificate (PEM, the server's first, then its chain) there, or "
			  "set [tls] certificate to where it is.",
			  c->tls_certificate, strerror(errno));
		goto done;
	}
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (x == NULL) {
		doc_stepf(r, "certificate", "TLS certificate", DOC_FAILED,
			  "%s holds no PEM certificate" SEP
			  "Point [tls] certificate at the PEM file (-----BEGIN CERTIFICATE-----).",
			  c->tls_certificate);
		goto done;
	}
	na = X509_get0_notAfter(x);
	if (ASN1_TIME_to_tm(na, &tm) == 1)
		strftime(until, sizeof(until), "%Y-%m-%d %H:%M UTC", &tm);
	ASN1_TIME_diff(&days, &secs, NULL, na);
	if ((f = fopen(c->tls_private_key, "r")) != NULL) {
		key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
		fclose(f);
	}
	if (key == NULL) {
		doc_stepf(r, "certificate", "TLS certificate", DOC_FAILED,
			  "the private key %s cannot be read (missing, not PEM, or encrypted)" SEP
			  "Put the certificate's private key there, unencrypted PEM, readable by "
			  "tern, or set [tls] private_key.",
			  c->tls_private_key);
		goto done;
	}
	if (X509_check_private_key(x, key) != 1) {
		doc_stepf(
			r, "certificate", "TLS certificate", DOC_FAILED,
			"the private key %s does not belong to the certificate %s" SEP
			"Use the key the certificate was issued for (a renewal often comes with a "
			"new key: install both).",
			c->tls_private_key, c->tls_certificate);
		goto done;
	}
	if (days < 0 || (days == 0 && secs < 0)) {
		doc_stepf(r, "certificate", "TLS certificate", DOC_FAILED,
			  "%s expired on %s; clients that check certificates refuse to connect" SEP
			  "Renew the certificate, install it, and reload tern (SIGHUP).",
			  c->tls_certificate, until);
		goto done;
	}
	if (X509_cmp_current_time(X509_get0_notBefore(x)) > 0) {
		doc_stepf(r, "certificate", "TLS certificate", DOC_FAILED,
			  "%s is not valid yet (check the clock of this machine)" SEP
			  "Set the clock right (NTP), or wait for the certificate's start date.",
			  c->tls_certificate);
		goto done;
	}
	if (days < EXPIRY_WARN_DAYS) {
		doc_stepf(
			r, "certificate", "TLS certificate", DOC_WARNING,
			"%s expires on %s, in %d day%s" SEP
			"Renew it now; automatic renewal (ACME) usually runs 30 days ahead: check "
			"that it works.",
			c->tls_certificate, until, days, days == 1 ? "" : "s");
		goto done;
	}
	if (X509_check_host(x, c->hostname, strlen(c->hostname), 0, NULL) != 1) {
		doc_stepf(r, "certificate", "TLS certificate", DOC_WARNING,
			  "%s (valid until %s) is not issued for this server's name %s" SEP
			  "Clients that connect to %s and check the name will refuse it: get a "
			  "certificate for that name, or set [server] hostname to the name it is "
			  "for.",
			  c->tls_certificate, until, c->hostname, c->hostname);
		goto done;
	}
	doc_stepf(r, "certificate", "TLS certificate", DOC_OK,
		  "%s: for %s, valid until %s (%d days); the key matches", c->tls_certificate,
		  c->hostname, until, days);
done:
	EVP_PKEY_free(key);
	X509_free(x);
}

/* ---- store and spool ----------------------------------------------------------------------- */

static void step_store(struct doc_report *r, const struct tern_config *c)
{
	struct store *st = NULL;
	char err[600];

	if (store_open_sqlite(c->store_path, &st, err, sizeof(err)) != 0) {
		doc_stepf(r, "store", "Store", DOC_FAILED,
			  "%s" SEP
			  "Check that the file and its directory exist and belong to the user tern "
			  "runs as, and that the disk is not full.",
			  err);
		return;
	}
	store_close(st);
	doc_stepf(r, "store", "Store", DOC_OK, "%s opens", c->store_path);
}

static void human_bytes(uint64_t v, char *out, size_t size)
{
	static const char *const unit[] = { "B", "KB", "MB", "GB", "TB" };
	double d = (double)v;
	int u = 0;

	while (d >= 1024 && u < 4) {
		d /= 1024;
		u++;
	}
	snprintf(out, size, u == 0 ? "%.0f %s" : "%.1f %s", d, unit[u]);
}

static void step_spool(struct doc_report *r, const struct tern_config *c)
{
	struct statvfs vfs;
	struct stat sb;
	char probe[CONFIG_PATH_MAX + 32], fr[32], rs[32];
	uint64_t avail;
	int fd;

	if (stat(c->spool_path, &sb) != 0 && errno == ENOENT) {
		/* Before the first start: tern serve makes it when the parent lets it. */
		char parent[CONFIG_PATH_MAX];
		char *slash;
		snprintf(parent, sizeof(parent), "%s", c->spool_path);
		slash = strrchr(parent, '/');
		if (slash != NULL)
			*(slash == parent ? slash + 1 : slash) = '\0';
		if (slash != NULL && access(parent, W_OK | X_OK) == 0) {
			doc_stepf(
				r, "spool", "Spool", DOC_WARNING,
				"%s does not exist yet; tern serve makes it on its first start" SEP
				"Start tern (or run tern doctor again once it ran).",
				c->spool_path);
			return;
		}
		doc_stepf(r, "spool", "Spool", DOC_FAILED,
			  "%s does not exist, and its parent directory %s cannot take it" SEP
			  "Create the directory for the user tern runs as, or set [spool] path.",
			  c->spool_path, slash != NULL ? parent : "?");
		return;
	}
	if (stat(c->spool_path, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		doc_stepf(
			r, "spool", "Spool", DOC_FAILED,
			"%s is not a directory (or cannot be read: %s)" SEP
			"Point [spool] path at a directory that belongs to the user tern runs as.",
			c->spool_path, strerror(errno));
		return;
	}
	snprintf(probe, sizeof(probe), "%s/.doctor-XXXXXX", c->spool_path);
	if ((fd = mkstemp(probe)) < 0 || write(fd, "x", 1) != 1 || fsync(fd) != 0) {
		int e = errno;
		if (fd >= 0) {
			close(fd);
			unlink(probe);
		}
		doc_stepf(r, "spool", "Spool", DOC_FAILED,
			  "cannot write in %s: %s" SEP
			  "Give the directory to the user tern runs as (chown), with write "
			  "permission; tern answers every message with a temporary failure until "
			  "then.",
			  c->spool_path, strerror(e));
		return;
	}
	close(fd);
	unlink(probe);
	if (statvfs(c->spool_path, &vfs) != 0) {
		doc_stepf(r, "spool", "Spool", DOC_FAILED, "cannot read the free space of %s: %s",
			  c->spool_path, strerror(errno));
		return;
	}
	avail = (uint64_t)vfs.f_bavail * vfs.f_frsize;
	human_bytes(avail, fr, sizeof(fr));
	human_bytes(c->spool_reserve, rs, sizeof(rs));
	if (avail <= c->spool_reserve) {
		doc_stepf(
			r, "spool", "Spool", DOC_FAILED,
			"%s is writable, but its filesystem has %s free, not above the reserve of "
			"%s: tern refuses new mail with 452 4.3.1 (insufficient storage)" SEP
			"Free space on that filesystem, move the spool ([spool] path), or lower "
			"[spool] reserve.",
			c->spool_path, fr, rs);
		return;
	}
	if (avail / 2 <= c->spool_reserve) {
		doc_stepf(r, "spool", "Spool", DOC_WARNING,
			  "%s is writable; %s free, less than twice the reserve of %s" SEP
			  "Free space soon: below the reserve tern refuses new mail.",
			  c->spool_path, fr, rs);
		return;
	}
	doc_stepf(r, "spool", "Spool", DOC_OK, "%s is writable; %s free (reserve %s)",
		  c->spool_path, fr, rs);
}

/* ---- DNS resolver -------------------------------------------------------------------------- */

static void step_resolver(struct doc_report *r, struct doc_dns *dns, bool opened, const char *err)
{
	struct doc_strings s = { 0 };
	const char *who = dns->servers[0] != '\0' ? dns->servers : "the system's resolver";

	if (!opened) {
		doc_stepf(r, "dns_resolver", "DNS resolver", DOC_FAILED,
			  "%s" SEP
			  "Correct [delivery] dns_servers (IP[:PORT], separated by commas).",
			  err);
		return;
	}
	/* .invalid never exists (RFC 6761): any resolver that works answers NXDOMAIN at once */
	doc_dns_txt(dns, "tern-doctor-probe.invalid", &s);
	if (s.status == DNS_TEMPFAIL) {
		doc_stepf(
			r, "dns_resolver", "DNS resolver", DOC_FAILED,
			"%s does not answer: %s" SEP
			"Without DNS tern cannot find where to deliver (mail waits in the queue). "
			"Check that the server runs and is reachable, or set [delivery] "
			"dns_servers to one that is.",
			who, s.error);
	} else {
		doc_stepf(r, "dns_resolver", "DNS resolver", DOC_OK, "%s answers", who);
	}
	doc_strings_free(&s);
}

/* ---- listeners ----------------------------------------------------------------------------- */

static bool listener_addr(const struct listener_config *l, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	const char *a = strcmp(l->address, "0.0.0.0") == 0 ? "127.0.0.1"
			: strcmp(l->address, "::") == 0	   ? "::1"
							   : l->address;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, a, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)l->port);
		return true;
	}
	if (inet_pton(AF_INET6, a, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)l->port);
		return true;
	}
	return false;
}

/* The greeting of a listener, through TLS for an implicit-TLS one. false with why. */
static bool listener_greets(const struct listener_config *l, int fd, char *why, size_t len)
{
	char reply[1024];
	SSL_CTX *ctx = NULL;
	SSL *ssl = NULL;
	bool ok = false;
	long n;

	if (l->tls == LISTEN_IMPLICIT_TLS) {
		struct timeval tv = { LISTEN_TIMEOUT / 1000, 0 };
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
		    (ssl = SSL_new(ctx)) == NULL || SSL_set_fd(ssl, fd) != 1 ||
		    SSL_connect(ssl) != 1) {
			snprintf(why, len, "accepts connections but no TLS handshake completes");
			goto done;
		}
		n = SSL_read(ssl, reply, sizeof(reply) - 1);
		reply[n > 0 ? n : 0] = '\0';
	} else {
		n = doc_read_reply(fd, reply, sizeof(reply), LISTEN_TIMEOUT);
	}
	if (n <= 0) {
		snprintf(why, len, "accepts connections but sends no greeting");
		goto done;
	}
	reply[strcspn(reply, "\r\n")] = '\0';
	if (strncmp(reply, "220", 3) != 0) {
		snprintf(why, len, "greets with \"%.200s\" instead of 220", reply);
		goto done;
	}
	ok = true;
done:
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	return ok;
}

static void step_listeners(struct doc_report *r, const struct tern_config *c)
{
	struct buf seen = BUF_INIT, bad = BUF_INIT;
	bool refused_all = true;

	for (size_t i = 0; i < c->listener_count; i++) {
		const struct listener_config *l = &c->listeners[i];
		const char *mode = l->tls == LISTEN_IMPLICIT_TLS ? "implicit TLS"
				   : l->tls == LISTEN_STARTTLS	 ? "STARTTLS"
								 : "no TLS";
		struct sockaddr_storage ss;
		char why[300];
		int err = 0, fd;

		if (!listener_addr(l, &ss)) {
			buf_printf(&bad, "%s[%s] address %s is not an IP address",
				   bad.len ? "; " : "", l->name, l->address);
			refused_all = false;
			continue;
		}
		if (l->proxy != PROXY_OFF) {
			buf_printf(&seen,
				   "%s[%s] %s:%d (%s): behind a load balancer (PROXY "
				   "protocol), not probed",
				   seen.len ? "; " : "", l->name, l->address, l->port, mode);
			continue;
		}
		if ((fd = doc_connect(&ss, LISTEN_TIMEOUT, &err)) < 0) {
			buf_printf(&bad, "%s[%s] %s:%d (%s): %s", bad.len ? "; " : "", l->name,
				   l->address, l->port, mode, doc_connect_words(err));
			refused_all &= err == ECONNREFUSED;
			continue;
		}
		refused_all = false;
		if (!listener_greets(l, fd, why, sizeof(why)))
			buf_printf(&bad, "%s[%s] %s:%d (%s): %s", bad.len ? "; " : "", l->name,
				   l->address, l->port, mode, why);
		else
			buf_printf(&seen, "%s[%s] %s:%d (%s) greets with 220", seen.len ? "; " : "",
				   l->name, l->address, l->port, mode);
		close(fd);
	}
	if (bad.len > 0) {
		doc_stepf(r, "listeners", "Listeners", DOC_FAILED, "%s%s%s" SEP "%s",
			  buf_cstr(&bad), seen.len ? "; working: " : "", buf_cstr(&seen),
			  refused_all ? "Nothing listens: start the server (tern serve, or "
					"systemctl start tern) and look at its log for why it "
					"stopped."
				      : "Look at tern's log; another program may hold the port, "
					"or a firewall on this machine may drop connections.");
	} else if (c->listener_count == 0) {
		doc_step(r, "listeners", "Listeners", DOC_WARNING, "no listener is configured",
			 "Add a [listener NAME] section, e.g. port 587 with tls = starttls.");
	} else {
		doc_step(r, "listeners", "Listeners", DOC_OK, buf_cstr(&seen), "");
	}
	buf_free(&seen);
	buf_free(&bad);
}

/* ---- outbound port 25 ---------------------------------------------------------------------- */

static void step_outbound(struct doc_report *r, struct doc_dns *dns, bool dns_ok, const char *probe)
{
	struct dns_mx_result *res;
	char host[300], a[INET6_ADDRSTRLEN];
	const char *colon;
	int port = 25, err = 0, fd = -1;

	if (probe == NULL) {
		doc_step(r, "outbound_25", "Outbound port 25", DOC_SKIPPED, "no --probe host given",
			 "Give --probe with a mail server's name (e.g. a large provider's MX host) "
			 "to check that this machine may connect to port 25.");
		return;
	}
	snprintf(host, sizeof(host), "%s", probe);
	if ((colon = strrchr(host, ':')) != NULL && strchr(host, ':') == colon) {
		port = atoi(colon + 1);
		host[colon - host] = '\0';
	}
	if (!dns_ok) {
		doc_step(r, "outbound_25", "Outbound port 25", DOC_SKIPPED,
			 "the DNS resolver does not work (see dns_resolver)", "");
		return;
	}
	if ((res = calloc(1, sizeof(*res))) == NULL)
		return;
	doc_host_addrs(dns, host, res);
	if (res->status != DNS_OK) {
		doc_stepf(r, "outbound_25", "Outbound port 25", DOC_FAILED,
			  "%s" SEP "Give --probe a host name that exists, or an IP address.",
			  res->error);
		free(res);
		return;
	}
	((struct sockaddr_in *)&res->hosts[0].addrs[0])->sin_port = htons((uint16_t)port);
	fd = doc_connect(&res->hosts[0].addrs[0], PROBE_TIMEOUT, &err);
	cli_addr_text(&res->hosts[0].addrs[0], a, sizeof(a));
	if (fd < 0)
		doc_stepf(r, "outbound_25", "Outbound port 25", DOC_FAILED,
			  "%s (%s) port %d: %s" SEP
			  "Many hosting providers block outbound port 25 by default: ask yours to "
			  "open it, or deliver through a relay on port 587 ([route *] with host, "
			  "port and auth).",
			  host, a, port, doc_connect_words(err));
	else
		doc_stepf(r, "outbound_25", "Outbound port 25", DOC_OK,
			  "connected to %s (%s) port %d", host, a, port);
	if (fd >= 0)
		close(fd);
	free(res);
}

/* ---- the command --------------------------------------------------------------------------- */

int doctor_local(int argc, char **argv)
{
	const char *path = setup_config_path(&argc, argv);
	const char *probe = NULL, *dns_opt = NULL;
	struct tern_config *cfg = calloc(1, sizeof(*cfg));
	struct doc_report *r;
	struct doc_dns dns;
	bool json = false, dns_ok;
	char err[600];
	int rc;

	if (cfg == NULL)
		return CLI_PROBLEM;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else if (strcmp(argv[i], "--probe") == 0 && i + 1 < argc) {
			probe = argv[++i];
		} else if (strcmp(argv[i], "--dns") == 0 && i + 1 < argc) {
			dns_opt = argv[++i];
		} else {
			fprintf(stderr, "tern doctor: unexpected argument: %s\n", argv[i]);
			doctor_usage(stderr);
			free(cfg);
			return CLI_USAGE;
		}
	}
	r = doc_report_new("local", path, json);
	if (config_load(path, cfg, err, sizeof(err)) != 0) {
		doc_stepf(r, "config", "Configuration", DOC_FAILED,
			  "%s" SEP
			  "Correct the file (docs/configuration.md lists every key), or pass the "
			  "right one with -c FILE.",
			  err);
		for (size_t i = 0; i < sizeof(skipped_titles) / sizeof(skipped_titles[0]); i++)
			doc_step(r, skipped_titles[i][0], skipped_titles[i][1], DOC_SKIPPED,
				 "the configuration does not load", "");
		free(cfg);
		return doc_report_end(r);
	}
	doc_stepf(r, "config", "Configuration", DOC_OK, "%s loads; %zu listener%s, data in %s",
		  path, cfg->listener_count, cfg->listener_count == 1 ? "" : "s", cfg->data_dir);
	step_certificate(r, cfg);
	step_store(r, cfg);
	step_spool(r, cfg);
	dns_ok = doc_dns_open(&dns, doc_dns_servers(dns_opt, cfg, true), cfg->dns_timeout, err,
			      sizeof(err));
	if (!dns_ok)
		snprintf(dns.servers, sizeof(dns.servers), "%s",
			 doc_dns_servers(dns_opt, cfg, true));
	step_resolver(r, &dns, dns_ok, err);
	step_listeners(r, cfg);
	step_outbound(r, &dns, dns_ok && !doc_failed(r, "dns_resolver"), probe);
	if (dns_ok)
		doc_dns_close(&dns);
	rc = doc_report_end(r);
	free(cfg);
	return rc;
}
