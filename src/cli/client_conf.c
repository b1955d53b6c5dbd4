/*
 * client_conf.c - the client configuration of `tern send` and `tern sendmail` (see
 * client_conf.h). One table of keys, each with the environment variable that overrides it.
 */
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/client_conf.h"

enum kind { K_SERVER, K_TLS, K_STRING, K_BOOL_VERIFY, K_UINT };

struct key {
	const char *name, *env;
	enum kind kind;
	size_t offset, size;
};

#define F(field) offsetof(struct client_conf, field), sizeof(((struct client_conf *)0)->field)

static const struct key keys[] = {
	{ "server", "TERN_SERVER", K_SERVER, 0, 0 },
	{ "tls", "TERN_TLS", K_TLS, 0, 0 },
	{ "user", "TERN_USER", K_STRING, F(user) },
	{ "password_file", "TERN_PASSWORD_FILE", K_STRING, F(password_file) },
	{ "from", "TERN_FROM", K_STRING, F(from) },
	{ "ca_file", "TERN_CA_FILE", K_STRING, F(ca_file) },
	{ "tls_verify", "TERN_TLS_VERIFY", K_BOOL_VERIFY, 0, 0 },
	{ "helo", "TERN_HELO", K_STRING, F(helo) },
	{ "timeout", "TERN_TIMEOUT", K_UINT, F(timeout) },
};

bool client_conf_server(struct client_conf *c, const char *v)
{
	const char *host = v, *port = NULL, *colon = strrchr(v, ':');
	size_t hlen;
	char *end;
	unsigned long p = 0;

	if (v[0] == '[') { /* [IPv6] or [IPv6]:port */
		const char *close = strchr(v, ']');
		if (close == NULL || (close[1] != '\0' && close[1] != ':'))
			return false;
		host = v + 1;
		hlen = (size_t)(close - host);
		port = close[1] == ':' ? close + 2 : NULL;
	} else if (colon != NULL && strchr(v, ':') == colon) { /* one colon: host:port */
		hlen = (size_t)(colon - v);
		port = colon + 1;
	} else { /* a name, or a bare IPv6 address */
		hlen = strlen(v);
	}
	if (hlen == 0 || hlen >= sizeof(c->host))
		return false;
	if (port != NULL) {
		errno = 0;
		p = strtoul(port, &end, 10);
		if (port[0] < '0' || port[0] > '9' || *end != '\0' || errno != 0 || p == 0 ||
		    p > 65535)
			return false;
	}
	for (size_t i = 0; i < hlen; i++)
		if ((unsigned char)host[i] <= 32 || host[i] == '/' || host[i] == '@')
			return false;
	memcpy(c->host, host, hlen);
	c->host[hlen] = '\0';
	c->port = (uint16_t)p;
	return true;
}

bool client_conf_tls(const char *v, enum tern_tls_mode *out)
{
	if (strcasecmp(v, "starttls") == 0)
		*out = TERN_TLS_STARTTLS;
	else if (strcasecmp(v, "implicit") == 0 || strcasecmp(v, "tls") == 0 ||
		 strcasecmp(v, "ssl") == 0)
		*out = TERN_TLS_IMPLICIT;
	else if (strcasecmp(v, "none") == 0 || strcasecmp(v, "plain") == 0)
		*out = TERN_TLS_NONE;
	else
		return false;
	return true;
}

/* Sets one key; false with what to write instead in err. */
static bool set_key(struct client_conf *c, const struct key *k, const char *v, char *err,
		    size_t errlen)
{
	char *end;
	unsigned long n;

	switch (k->kind) {
	case K_SERVER:
		if (client_conf_server(c, v))
			return true;
		snprintf(err, errlen,
			 "server '%s' is not HOST, HOST:PORT or [IPv6]:PORT "
			 "(like mail.example.org:587)",
			 v);
		return false;
	case K_TLS:
		if (client_conf_tls(v, &c->tls))
			return true;
		snprintf(err, errlen, "tls '%s' is not one of starttls, implicit or none", v);
		return false;
	case K_BOOL_VERIFY:
		if (strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0 ||
		    strcmp(v, "1") == 0) {
			c->no_verify = false;
			return true;
		}
		if (strcasecmp(v, "no") == 0 || strcasecmp(v, "false") == 0 ||
		    strcmp(v, "0") == 0) {
			c->no_verify = true;
			return true;
		}
		snprintf(err, errlen, "tls_verify '%s' is not yes or no", v);
		return false;
	case K_UINT:
		errno = 0;
		n = strtoul(v, &end, 10);
		if (v[0] < '0' || v[0] > '9' || *end != '\0' || errno != 0 || n > 86400) {
			snprintf(err, errlen, "%s '%s' is not a number of seconds (0 to 86400)",
				 k->name, v);
			return false;
		}
		*(unsigned *)((char *)c + k->offset) = (unsigned)n;
		return true;
	case K_STRING:
		if (strlen(v) >= k->size) {
			snprintf(err, errlen, "%s is longer than %zu characters", k->name,
				 k->size - 1);
			return false;
		}
		memcpy((char *)c + k->offset, v, strlen(v) + 1);
		return true;
	}
	return false;
}

struct parse {
	struct client_conf *c;
	char *err;
	size_t errlen;
	bool failed;
};

/* inih stops at the first entry refused and returns its line: the message gets it then. */
static int on_key(void *user, const char *section, const char *name, const char *value)
{
	struct parse *p = user;
	char why[512];
	size_t i;

	if (p->failed)
		return 0;
	if (section[0] != '\0' && strcmp(section, "client") != 0) {
		snprintf(p->err, p->errlen,
			 "section [%s] is unknown; the client's keys go under [client]", section);
		p->failed = true;
		return 0;
	}
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(keys[i].name, name) == 0)
			break;
	if (i == sizeof(keys) / sizeof(keys[0])) {
		snprintf(p->err, p->errlen,
			 "unknown key '%s'; the keys are server, tls, user, password_file, from, "
			 "ca_file, tls_verify, helo and timeout",
			 name);
		p->failed = true;
		return 0;
	}
	if (!set_key(p->c, &keys[i], value, why, sizeof(why))) {
		snprintf(p->err, p->errlen, "%s", why);
		p->failed = true;
		return 0;
	}
	return 1;
}

static int read_file(struct client_conf *c, bool must_exist, char *err, size_t errlen)
{
	struct parse p = { .c = c, .err = err, .errlen = errlen };
	FILE *f = fopen(c->path, "r");
	int line;

	if (f == NULL) {
		if (errno == ENOENT && !must_exist) {
			c->path[0] = '\0';
			return 0;
		}
		snprintf(err, errlen, "cannot read the client configuration %s: %s; %s", c->path,
			 strerror(errno),
			 errno == ENOENT ? "create it with a [client] section naming the server "
					   "(see docs/send.md), or point TERN_CLIENT_CONFIG at one"
					 : "make it readable by this user (or point "
					   "TERN_CLIENT_CONFIG at a copy that is)");
		return -1;
	}
	line = ini_parse_file(f, on_key, &p);
	fclose(f);
	if (p.failed) {
		char why[768];
		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, errlen, "%s:%d: %s", c->path, line, why);
		return -1;
	}
	if (line != 0) {
		snprintf(err, errlen,
			 "%s:%d: not a line of an INI file; write 'key = value' under [client]",
			 c->path, line);
		return -1;
	}
	return 0;
}

int client_conf_load(struct client_conf *c, const char *path, char *err, size_t errlen)
{
	const char *env = getenv("TERN_CLIENT_CONFIG"), *v;
	bool must_exist = path != NULL || (env != NULL && env[0] != '\0');
	char why[512];

	memset(c, 0, sizeof(*c));
	c->tls = TERN_TLS_STARTTLS;
	if (path == NULL)
		path = env != NULL && env[0] != '\0' ? env : CLIENT_CONF_DEFAULT;
	if (strlen(path) >= sizeof(c->path)) {
		snprintf(err, errlen, "the configuration path is too long");
		return -1;
	}
	memcpy(c->path, path, strlen(path) + 1);
	if (read_file(c, must_exist, err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if ((v = getenv(keys[i].env)) == NULL || v[0] == '\0')
			continue;
		if (!set_key(c, &keys[i], v, why, sizeof(why))) {
			snprintf(err, errlen, "the environment variable %s: %s", keys[i].env, why);
			return -1;
		}
	}
	if ((v = getenv("TERN_PASSWORD")) != NULL && v[0] != '\0') {
		if (strlen(v) >= sizeof(c->password)) {
			snprintf(err, errlen, "TERN_PASSWORD is longer than %zu characters",
				 sizeof(c->password) - 1);
			return -1;
		}
		memcpy(c->password, v, strlen(v) + 1);
		c->password_set = true;
	}
	return 0;
}

int client_conf_password(struct client_conf *c, char *err, size_t errlen)
{
	FILE *f;
	size_t n;

	if (c->user[0] == '\0' || c->password_set)
		return 0;
	if (c->password_file[0] == '\0') {
		snprintf(err, errlen,
			 "user '%s' needs a password: set password_file in the client "
			 "configuration, pass --password-file FILE, or set TERN_PASSWORD",
			 c->user);
		return -1;
	}
	if ((f = fopen(c->password_file, "r")) == NULL) {
		snprintf(err, errlen, "cannot read the password file %s: %s; %s", c->password_file,
			 strerror(errno),
			 errno == ENOENT ? "create it with the password on its first line "
					   "(and chmod 600 it)"
					 : "make it readable by the user that sends (and by no "
					   "one else)");
		return -1;
	}
	if (fgets(c->password, sizeof(c->password), f) == NULL)
		c->password[0] = '\0';
	fclose(f);
	n = strcspn(c->password, "\r\n");
	c->password[n] = '\0';
	if (n == 0) {
		snprintf(err, errlen,
			 "the password file %s is empty; write the password on its first line",
			 c->password_file);
		return -1;
	}
	c->password_set = true;
	return 0;
}
