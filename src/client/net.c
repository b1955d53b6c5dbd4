/*
 * net.c - libtern's socket transport: resolve, connect with a timeout, read and write with a
 * deadline, and TLS with OpenSSL directly on the socket.
 *
 * Every failure is classified once, here, into a tern_code with a message that says what
 * happened and what to do: DNS, refused, timed out, unreachable; for TLS the verification
 * result tells an untrusted, an expired and a wrong-name certificate apart from a handshake
 * that failed for other reasons. The socket stays non-blocking; each wait is a poll() bounded
 * by the options' timeouts. SIGPIPE is blocked in the calling thread around writes, so a
 * server that goes away never kills the caller's process.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "client_int.h"

#define CONNECT_TIMEOUT_MS 30000u
#define COMMAND_TIMEOUT_MS 300000u

struct net {
	struct tern_transport base;
	int fd;
	SSL_CTX *ctx;
	SSL *ssl;
	char host[256];
	char tls_name[256];
	char *ca_file;
	bool verify;	      /* check the chain and the name */
	bool verify_continue; /* ... and go on when the check fails (diagnostics) */
	uint16_t port;
	unsigned connect_ms, command_ms;
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for events on fd until deadline: 1 ready, 0 timed out, -1 error (errno). */
static int wait_fd(int fd, short events, long long deadline)
{
	for (;;) {
		long long left = deadline - now_ms();
		struct pollfd p = { .fd = fd, .events = events };
		int r;

		if (left <= 0)
			return 0;
		r = poll(&p, 1, left > 60000 ? 60000 : (int)left);
		if (r > 0)
			return 1;
		if (r < 0 && errno != EINTR)
			return -1;
	}
}

static void err_stage(struct tern_error *err, enum tern_stage stage)
{
	if (err != NULL)
		err->stage = stage;
}

static double secs(unsigned ms)
{
	return ms / 1000.0;
}

/* --- SIGPIPE: blocked in this thread while we write, a pending one taken back --------------- */

struct sigpipe_guard {
	sigset_t old;
	bool was_pending;
};

static void sigpipe_block(struct sigpipe_guard *g)
{
	sigset_t set, pending;

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	sigemptyset(&pending);
	sigpending(&pending);
	g->was_pending = sigismember(&pending, SIGPIPE) == 1;
	pthread_sigmask(SIG_BLOCK, &set, &g->old);
}

static void sigpipe_restore(struct sigpipe_guard *g)
{
	sigset_t set, pending;

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	sigemptyset(&pending);
	sigpending(&pending);
	if (!g->was_pending && sigismember(&pending, SIGPIPE) == 1) {
		struct timespec zero = { 0, 0 };

		sigtimedwait(&set, NULL, &zero);
	}
	pthread_sigmask(SIG_SETMASK, &g->old, NULL);
}

/* --- connect -------------------------------------------------------------------------------- */

static void addr_text(const struct sockaddr *sa, char *buf, size_t size)
{
	const void *a = sa->sa_family == AF_INET6
				? (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr
				: (const void *)&((const struct sockaddr_in *)sa)->sin_addr;

	if (inet_ntop(sa->sa_family, a, buf, (socklen_t)size) == NULL)
		snprintf(buf, size, "?");
}

/* The failure of connecting to one address, in words. */
static void connect_failure(struct net *n, const char *addr, int e, struct tern_error *err)
{
	switch (e) {
	case ECONNREFUSED:
		tern_fail(err, TERN_E_REFUSED, e,
			  "connection to %s (%s) refused: nothing listens on %s:%u, or a firewall "
			  "rejects the connection; check the host and port, and that the server "
			  "runs (errno %d)",
			  n->base.peer, addr, n->host, n->port, e);
		break;
	case ETIMEDOUT:
		tern_fail(err, TERN_E_TIMEOUT, e,
			  "no answer from %s (%s) in %g s: the port is filtered by a firewall, or "
			  "your provider blocks outbound port %u; try the submission port 587 or "
			  "465, or ask the provider (errno %d)",
			  n->base.peer, addr, secs(n->connect_ms), n->port, e);
		break;
	case ENETUNREACH:
	case EHOSTUNREACH:
	case EADDRNOTAVAIL:
	case EAFNOSUPPORT:
		tern_fail(err, TERN_E_UNREACHABLE, e,
			  "%s (%s) is unreachable from here (%s): no route to that network or "
			  "host; check the address, this machine's network connection and routes "
			  "(errno %d)",
			  n->base.peer, addr, strerror(e), e);
		break;
	default:
		tern_fail(err, TERN_E_IO, e, "cannot connect to %s (%s): %s (errno %d)",
			  n->base.peer, addr, strerror(e), e);
		break;
	}
}

static int connect_one(struct net *n, const struct addrinfo *ai, struct tern_error *err)
{
	char addr[INET6_ADDRSTRLEN];
	int fd, e = 0, r;
	socklen_t elen = sizeof(e);

	addr_text(ai->ai_addr, addr, sizeof(addr));
	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
	if (fd < 0) {
		connect_failure(n, addr, errno, err);
		return -1;
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		goto connected;
	if (errno != EINPROGRESS) {
		e = errno;
		goto failed;
	}
	r = wait_fd(fd, POLLOUT, now_ms() + n->connect_ms);
	if (r == 0) {
		e = ETIMEDOUT;
		goto failed;
	}
	if (r < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen) < 0) {
		e = errno;
		goto failed;
	}
	if (e != 0)
		goto failed;
connected:
	n->fd = fd;
	{
		int one = 1;

		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	return 0;
failed:
	close(fd);
	connect_failure(n, addr, e, err);
	return -1;
}

/* --- TLS ------------------------------------------------------------------------------------ */

static bool is_ip(const char *s)
{
	unsigned char tmp[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, s, tmp) == 1 || inet_pton(AF_INET6, s, tmp) == 1;
}

static void ssl_reason(char *buf, size_t size)
{
	unsigned long e = ERR_peek_last_error();

	if (e == 0) {
		snprintf(buf, size, "no detail from OpenSSL");
		return;
	}
	ERR_error_string_n(e, buf, size);
}

/* Why the handshake failed, classified. */
static void tls_failure(struct net *n, int ssl_err, int sys_err, struct tern_error *err)
{
	long vr = n->ssl != NULL ? SSL_get_verify_result(n->ssl) : X509_V_OK;
	char why[256];
	unsigned long e = ERR_peek_last_error();
	int reason = ERR_GET_REASON(e);

	if (n->verify && vr != X509_V_OK) {
		const char *vs = X509_verify_cert_error_string(vr);

		switch (vr) {
		case X509_V_ERR_CERT_HAS_EXPIRED:
		case X509_V_ERR_CERT_NOT_YET_VALID:
			tern_fail(err, TERN_E_TLS_EXPIRED, 0,
				  "the TLS certificate of %s is not valid now (%s): its "
				  "administrator must renew it; check also this machine's clock",
				  n->base.peer, vs);
			return;
		case X509_V_ERR_HOSTNAME_MISMATCH:
		case X509_V_ERR_IP_ADDRESS_MISMATCH:
			tern_fail(
				err, TERN_E_TLS_NAME, 0,
				"the TLS certificate of %s is not valid for the name %s (%s): "
				"connect with a name the certificate holds (tls_name), or have the "
				"server's administrator install a certificate for this name",
				n->base.peer, n->tls_name, vs);
			return;
		default:
			tern_fail(
				err, TERN_E_TLS_UNTRUSTED, 0,
				"the TLS certificate of %s is not trusted (%s): it is self-signed "
				"or issued by an authority this machine does not trust; give the "
				"issuing authority's certificate as ca_file, or have the server "
				"use "
				"a certificate from a public authority",
				n->base.peer, vs);
			return;
		}
	}
	if (ssl_err == SSL_ERROR_SYSCALL && e == 0) {
		tern_fail(err, TERN_E_TLS_HANDSHAKE, sys_err,
			  "the TLS handshake with %s failed: the server closed the connection%s%s; "
			  "it may not speak TLS on this port, or refuses every protocol version we "
			  "offer (TLS 1.2 and 1.3)",
			  n->base.peer, sys_err ? ": " : "", sys_err ? strerror(sys_err) : "");
		return;
	}
	ssl_reason(why, sizeof(why));
	if (reason == SSL_R_WRONG_VERSION_NUMBER || reason == SSL_R_PACKET_LENGTH_TOO_LONG ||
	    reason == SSL_R_HTTP_REQUEST) {
		tern_fail(err, TERN_E_TLS_HANDSHAKE, 0,
			  "the TLS handshake with %s failed (%s): the server answered in "
			  "plaintext, so it does not speak implicit TLS on this port; use "
			  "TERN_TLS_STARTTLS (port 587) or TERN_TLS_NONE, or the implicit TLS port "
			  "465",
			  n->base.peer, why);
		return;
	}
	tern_fail(err, TERN_E_TLS_HANDSHAKE, 0,
		  "the TLS handshake with %s failed (%s): the server and this client share no "
		  "protocol version or cipher, or the server is not speaking TLS",
		  n->base.peer, why);
}

static int net_start_tls(struct tern_transport *t, struct tern_error *err)
{
	struct net *n = (struct net *)t;
	long long deadline = now_ms() + n->connect_ms;
	struct sigpipe_guard g;

	ERR_clear_error();
	if ((n->ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		return tern_fail(err, TERN_E_NOMEM, 0, "cannot set up TLS: out of memory");
	SSL_CTX_set_min_proto_version(n->ctx, TLS1_2_VERSION);
	if (n->verify || n->verify_continue) {
		if (n->ca_file != NULL &&
		    SSL_CTX_load_verify_locations(n->ctx, n->ca_file, NULL) != 1)
			return tern_fail(err, TERN_E_INVALID, 0,
					 "cannot read the CA file %s: it must exist and hold PEM "
					 "certificates",
					 n->ca_file);
		if (n->ca_file == NULL && SSL_CTX_set_default_verify_paths(n->ctx) != 1)
			return tern_fail(err, TERN_E_INVALID, 0,
					 "cannot load the system's trusted authorities: install "
					 "ca-certificates or give ca_file");
		/* SSL_VERIFY_NONE still verifies and keeps the result for tern_tls_info */
		SSL_CTX_set_verify(n->ctx, n->verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, NULL);
	}
	if ((n->ssl = SSL_new(n->ctx)) == NULL || SSL_set_fd(n->ssl, n->fd) != 1)
		return tern_fail(err, TERN_E_NOMEM, 0, "cannot set up TLS: out of memory");
	if (!is_ip(n->tls_name))
		SSL_set_tlsext_host_name(n->ssl, n->tls_name);
	if (n->verify || n->verify_continue) {
		int ok = is_ip(n->tls_name) ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(n->ssl),
									    n->tls_name)
					    : SSL_set1_host(n->ssl, n->tls_name);

		if (ok != 1)
			return tern_fail(err, TERN_E_INVALID, 0,
					 "cannot check certificates for the name %s", n->tls_name);
	}
	for (;;) {
		int r, e, w;

		sigpipe_block(&g);
		r = SSL_connect(n->ssl);
		e = SSL_get_error(n->ssl, r);
		sigpipe_restore(&g);
		if (r == 1)
			return 0;
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
			w = wait_fd(n->fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline);
			if (w == 0)
				return tern_fail(
					err, TERN_E_TIMEOUT, ETIMEDOUT,
					"the TLS handshake with %s did not finish in %g s: "
					"the server may not speak TLS on this port, or is "
					"overloaded (errno %d)",
					n->base.peer, secs(n->connect_ms), ETIMEDOUT);
			if (w < 0)
				return tern_fail(err, TERN_E_IO, errno, "waiting for %s: %s",
						 n->base.peer, strerror(errno));
			continue;
		}
		tls_failure(n, e, e == SSL_ERROR_SYSCALL ? errno : 0, err);
		return -1;
	}
}

static bool net_tls_active(const struct tern_transport *t)
{
	const struct net *n = (const struct net *)t;

	return n->ssl != NULL && SSL_is_init_finished(n->ssl);
}

/* --- read, write ---------------------------------------------------------------------------- */

static int timeout_failure(struct net *n, const char *during, struct tern_error *err)
{
	/* A server that says nothing at all after the connection may want TLS first. */
	bool greeting = strcmp(during, "the greeting") == 0;

	return tern_fail(err, TERN_E_TIMEOUT, ETIMEDOUT,
			 "no answer from %s in %g s while waiting for %s: %s (errno %d)",
			 n->base.peer, secs(n->command_ms), during,
			 greeting && n->ssl == NULL
				 ? "the server accepted the connection but never greeted; if this "
				   "port expects implicit TLS (465), open with TERN_TLS_IMPLICIT, "
				   "otherwise the server is overloaded or stuck"
				 : "the server is overloaded or stuck",
			 ETIMEDOUT);
}

static ssize_t net_read(struct tern_transport *t, void *p, size_t len, const char *during,
			struct tern_error *err)
{
	struct net *n = (struct net *)t;
	long long deadline = now_ms() + n->command_ms;

	for (;;) {
		short ev = POLLIN;
		int w;

		if (n->ssl != NULL) {
			size_t got = 0;
			int r, e;

			ERR_clear_error();
			r = SSL_read_ex(n->ssl, p, len, &got);
			if (r == 1)
				return (ssize_t)got;
			e = SSL_get_error(n->ssl, r);
			if (e == SSL_ERROR_ZERO_RETURN)
				return 0;
			if (e == SSL_ERROR_SSL && ERR_GET_REASON(ERR_peek_last_error()) ==
							  SSL_R_UNEXPECTED_EOF_WHILE_READING)
				return 0;
			if (e == SSL_ERROR_SYSCALL && errno == 0)
				return 0;
			if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
				char why[256];

				ssl_reason(why, sizeof(why));
				return tern_fail(err, TERN_E_IO, errno,
						 "reading from %s failed while waiting for %s: %s",
						 n->base.peer, during, why);
			}
			if (e == SSL_ERROR_WANT_WRITE)
				ev = POLLOUT;
		} else {
			ssize_t r = recv(n->fd, p, len, MSG_DONTWAIT);

			if (r >= 0)
				return r;
			if (errno == ECONNRESET)
				return tern_fail(err, TERN_E_CLOSED, errno,
						 "%s reset the connection while we waited for %s: "
						 "the server or a firewall dropped it (errno %d)",
						 n->base.peer, during, errno);
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				return tern_fail(err, TERN_E_IO, errno,
						 "reading from %s failed while waiting for %s: %s",
						 n->base.peer, during, strerror(errno));
		}
		w = wait_fd(n->fd, ev, deadline);
		if (w == 0)
			return timeout_failure(n, during, err);
		if (w < 0)
			return tern_fail(err, TERN_E_IO, errno, "waiting for %s: %s", n->base.peer,
					 strerror(errno));
	}
}

static int net_write(struct tern_transport *t, const void *p, size_t len, const char *during,
		     struct tern_error *err)
{
	struct net *n = (struct net *)t;
	const unsigned char *b = p;
	long long deadline = now_ms() + n->command_ms;

	while (len > 0) {
		short ev = POLLOUT;
		size_t done = 0;
		int e = 0, w;

		if (n->ssl != NULL) {
			struct sigpipe_guard g;
			int r;

			ERR_clear_error();
			sigpipe_block(&g);
			r = SSL_write_ex(n->ssl, b, len, &done);
			e = r == 1 ? 0 : SSL_get_error(n->ssl, r);
			if (r != 1 && e == SSL_ERROR_SYSCALL)
				errno = errno ? errno : EPIPE;
			sigpipe_restore(&g);
			if (r != 1 && e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
				goto lost;
			if (e == SSL_ERROR_WANT_READ)
				ev = POLLIN;
		} else {
			ssize_t r = send(n->fd, b, len, MSG_NOSIGNAL | MSG_DONTWAIT);

			if (r >= 0)
				done = (size_t)r;
			else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				goto lost;
		}
		b += done;
		len -= done;
		if (len == 0 || done > 0)
			continue;
		w = wait_fd(n->fd, ev, deadline);
		if (w == 0)
			return tern_fail(err, TERN_E_TIMEOUT, ETIMEDOUT,
					 "%s took nothing in %g s while we sent %s: the server "
					 "is stuck or the network is congested (errno %d)",
					 n->base.peer, secs(n->command_ms), during, ETIMEDOUT);
		if (w < 0)
			return tern_fail(err, TERN_E_IO, errno, "waiting for %s: %s", n->base.peer,
					 strerror(errno));
	}
	return 0;
lost:
	return tern_fail(err, TERN_E_CLOSED, errno,
			 "%s closed the connection while we sent %s (%s): the server ended the "
			 "session; its log says why",
			 n->base.peer, during, strerror(errno));
}

/* --- the TLS session, for tern_tls_info ------------------------------------------------- */

static void name_text(const X509_NAME *name, char *buf, size_t size)
{
	BIO *b = BIO_new(BIO_s_mem());
	int n;

	buf[0] = '\0';
	if (b == NULL)
		return;
	if (X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
		n = BIO_read(b, buf, (int)size - 1);
		buf[n > 0 ? n : 0] = '\0';
	}
	BIO_free(b);
}

static void add_name(char *buf, size_t size, const char *s, size_t n)
{
	size_t len = strlen(buf);

	if (len + n + 3 > size)
		return;
	if (len > 0) {
		memcpy(buf + len, ", ", 2);
		len += 2;
	}
	for (size_t i = 0; i < n; i++) /* names are text: nothing else gets through */
		buf[len++] = (s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
	buf[len] = '\0';
}

static void alt_names(X509 *cert, char *buf, size_t size)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);

	buf[0] = '\0';
	for (int i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);

		if (g->type == GEN_DNS) {
			add_name(buf, size, (const char *)ASN1_STRING_get0_data(g->d.dNSName),
				 (size_t)ASN1_STRING_length(g->d.dNSName));
		} else if (g->type == GEN_IPADD) {
			char ip[INET6_ADDRSTRLEN];
			int len = ASN1_STRING_length(g->d.iPAddress);
			const void *a = ASN1_STRING_get0_data(g->d.iPAddress);

			if ((len == 4 && inet_ntop(AF_INET, a, ip, sizeof(ip)) != NULL) ||
			    (len == 16 && inet_ntop(AF_INET6, a, ip, sizeof(ip)) != NULL))
				add_name(buf, size, ip, strlen(ip));
		}
	}
	GENERAL_NAMES_free(gens);
}

static time_t asn1_time(const ASN1_TIME *t)
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return timegm(&tm);
}

static int net_tls_info(const struct tern_transport *t, struct tern_tls_info *out)
{
	const struct net *n = (const struct net *)t;
	X509 *cert;
	bool had_cert;
	long vr;

	if (n->ssl == NULL || !SSL_is_init_finished(n->ssl))
		return -1;
	snprintf(out->version, sizeof(out->version), "%s", SSL_get_version(n->ssl));
	snprintf(out->cipher, sizeof(out->cipher), "%s", SSL_get_cipher_name(n->ssl));
	had_cert = (cert = SSL_get1_peer_certificate(n->ssl)) != NULL;
	if (had_cert) {
		name_text(X509_get_subject_name(cert), out->subject, sizeof(out->subject));
		name_text(X509_get_issuer_name(cert), out->issuer, sizeof(out->issuer));
		alt_names(cert, out->names, sizeof(out->names));
		out->not_before = asn1_time(X509_get0_notBefore(cert));
		out->not_after = asn1_time(X509_get0_notAfter(cert));
		X509_free(cert);
	}
	vr = SSL_get_verify_result(n->ssl);
	if (!n->verify && !n->verify_continue) {
		out->verify_code = -1;
		snprintf(out->verify_error, sizeof(out->verify_error),
			 "not checked: the connection was opened with no_verify");
		return 0;
	}
	out->verify_code = vr;
	out->verified = vr == X509_V_OK && had_cert;
	if (!out->verified)
		snprintf(out->verify_error, sizeof(out->verify_error), "%s",
			 !had_cert ? "the server sent no certificate"
				   : X509_verify_cert_error_string(vr));
	return 0;
}

static void net_local_name(const struct tern_transport *t, char *buf, size_t size)
{
	const struct net *n = (const struct net *)t;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char addr[INET6_ADDRSTRLEN];

	if (getsockname(n->fd, (struct sockaddr *)&ss, &len) < 0) {
		snprintf(buf, size, "[127.0.0.1]");
		return;
	}
	addr_text((const struct sockaddr *)&ss, addr, sizeof(addr));
	snprintf(buf, size, ss.ss_family == AF_INET6 ? "[IPv6:%s]" : "[%s]", addr);
}

static void net_close(struct tern_transport *t)
{
	struct net *n = (struct net *)t;

	if (n == NULL)
		return;
	if (n->ssl != NULL) {
		struct sigpipe_guard g;

		sigpipe_block(&g);
		if (SSL_is_init_finished(n->ssl))
			SSL_shutdown(n->ssl);
		sigpipe_restore(&g);
		SSL_free(n->ssl);
	}
	SSL_CTX_free(n->ctx);
	if (n->fd >= 0)
		close(n->fd);
	free(n->ca_file);
	ERR_clear_error();
	free(n);
}

static const struct tern_transport_ops net_ops = {
	.read = net_read,
	.write = net_write,
	.start_tls = net_start_tls,
	.tls_active = net_tls_active,
	.tls_info = net_tls_info,
	.local_name = net_local_name,
	.close = net_close,
};

static uint16_t default_port(enum tern_tls_mode m)
{
	return m == TERN_TLS_IMPLICIT ? 465 : m == TERN_TLS_STARTTLS ? 587 : 25;
}

struct tern_transport *tern_net_connect(const struct tern_open_options *o, struct tern_error *err)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL;
	struct net *n;
	char port[8];
	int gai;

	if ((n = calloc(1, sizeof(*n))) == NULL) {
		tern_fail(err, TERN_E_NOMEM, ENOMEM, "out of memory");
		return NULL;
	}
	n->base.ops = &net_ops;
	n->fd = -1;
	n->port = o->port ? o->port : default_port(o->tls);
	n->verify = !o->no_verify && !o->verify_continue;
	n->verify_continue = !o->no_verify && o->verify_continue;
	n->connect_ms = o->connect_timeout_ms ? o->connect_timeout_ms : CONNECT_TIMEOUT_MS;
	n->command_ms = o->command_timeout_ms ? o->command_timeout_ms : COMMAND_TIMEOUT_MS;
	snprintf(n->host, sizeof(n->host), "%s", o->host);
	snprintf(n->tls_name, sizeof(n->tls_name), "%s", o->tls_name ? o->tls_name : o->host);
	snprintf(n->base.peer, sizeof(n->base.peer), "%s:%u", o->host, n->port);
	snprintf(port, sizeof(port), "%u", n->port);
	if (o->ca_file != NULL && (n->ca_file = strdup(o->ca_file)) == NULL) {
		tern_fail(err, TERN_E_NOMEM, ENOMEM, "out of memory");
		goto fail;
	}

	gai = getaddrinfo(o->host, port, &hints, &res);
	if (gai != 0) {
		tern_fail(err, TERN_E_DNS, gai == EAI_SYSTEM ? errno : 0,
			  "cannot resolve the host name %s (%s): check its spelling, and that this "
			  "machine's DNS resolver works (try: getent hosts %s)",
			  o->host, gai_strerror(gai), o->host);
		err_stage(err, TERN_STAGE_RESOLVE);
		goto fail;
	}
	for (const struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
		if (connect_one(n, ai, err) == 0)
			break;
	}
	freeaddrinfo(res);
	if (n->fd < 0) {
		err_stage(err, TERN_STAGE_CONNECT); /* err holds the last address's failure */
		goto fail;
	}
	if (o->tls == TERN_TLS_IMPLICIT && net_start_tls(&n->base, err) < 0) {
		err_stage(err, TERN_STAGE_TLS);
		goto fail;
	}
	return &n->base;
fail:
	net_close(&n->base);
	return NULL;
}
