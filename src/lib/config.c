/*
 * config.c - the configuration file (see config.h). One table of keys; each parsed by its type
 * with range checks; errors carry file and line.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "lib/config.h"

enum key_type {
	K_STRING,
	K_PATH,
	K_UINT,
	K_SIZE,
	K_BOOL,
	K_LOGLEVEL,
	K_NETWORKS,
	K_SUPPRESS,
	K_DURATION,
	K_TLS,
	K_RETRY,
};

struct key {
	const char *section;
	const char *name;
	enum key_type type;
	size_t offset;
	size_t size; /* for strings: the field's size */
	uint64_t min, max;
};

#define F(field) offsetof(struct tern_config, field), sizeof(((struct tern_config *)0)->field)

static const struct key keys[] = {
	{ "server", "hostname", K_STRING, F(hostname), 0, 0 },
	{ "server", "data_dir", K_PATH, F(data_dir), 0, 0 },
	{ "server", "log_level", K_LOGLEVEL, F(log_level), 0, 0 },
	{ "server", "max_connections", K_UINT, F(max_connections), 1, 1000000 },
	{ "server", "shutdown_grace", K_UINT, F(shutdown_grace), 0, 3600 },
	{ "server", "trusted_networks", K_NETWORKS, F(trusted), 0, 0 },
	{ "tls", "certificate", K_PATH, F(tls_certificate), 0, 0 },
	{ "tls", "private_key", K_PATH, F(tls_private_key), 0, 0 },
	{ "submission", "max_message_size", K_SIZE, F(max_message_size), 1024, (uint64_t)1 << 40 },
	{ "submission", "max_recipients", K_UINT, F(max_recipients), 1, 100000 },
	{ "submission", "max_errors", K_UINT, F(max_errors), 1, 1000 },
	{ "submission", "max_auth_failures", K_UINT, F(max_auth_failures), 1, 1000 },
	{ "submission", "command_timeout", K_UINT, F(command_timeout), 1, 3600 },
	{ "submission", "data_timeout", K_UINT, F(data_timeout), 1, 3600 },
	{ "submission", "min_data_rate", K_UINT, F(min_data_rate), 0, 1u << 30 },
	{ "submission", "allow_plaintext_auth", K_BOOL, F(allow_plaintext_auth), 0, 1 },
	{ "submission", "require_tls", K_BOOL, F(require_tls), 0, 1 },
	{ "limits", "per_minute", K_UINT, F(per_minute), 0, 100000000 },
	{ "limits", "per_hour", K_UINT, F(per_hour), 0, 100000000 },
	{ "limits", "per_day", K_UINT, F(per_day), 0, 1000000000 },
	{ "limits", "domain_per_hour", K_UINT, F(domain_per_hour), 0, 100000000 },
	{ "limits", "max_connections_per_ip", K_UINT, F(max_connections_per_ip), 0, 1000000 },
	{ "limits", "auth_failures_per_ip", K_UINT, F(auth_failures_per_ip), 0, 1000000 },
	{ "limits", "auth_failure_window", K_UINT, F(auth_failure_window), 1, 86400 },
	{ "policy", "allow_multiple_from", K_BOOL, F(allow_multiple_from), 0, 1 },
	{ "policy", "suppression_reply", K_SUPPRESS, F(suppression_reply), 0, 0 },
	{ "policy", "trusted_user", K_STRING, F(trusted_user), 0, 0 },
	{ "policy", "max_hops", K_UINT, F(max_hops), 1, 1000 },
	{ "policy", "max_header_size", K_SIZE, F(max_header_size), 1024, 64 << 20 },
	{ "delivery", "dns_servers", K_STRING, F(dns_servers), 0, 0 },
	{ "delivery", "dns_timeout", K_UINT, F(dns_timeout), 1, 60 },
	{ "delivery", "enabled", K_BOOL, F(deliver), 0, 1 },
	{ "delivery", "helo_name", K_STRING, F(helo_name), 0, 0 },
	{ "delivery", "port", K_UINT, F(remote_port), 1, 65535 },
	{ "delivery", "tls", K_TLS, F(tls), 0, 0 },
	{ "delivery", "tls_ca_file", K_PATH, F(tls_ca_file), 0, 0 },
	{ "delivery", "retry_schedule", K_RETRY, F(retry), 0, 0 },
	{ "delivery", "max_queue_lifetime", K_DURATION, F(max_queue_lifetime), 1, 365 * 86400 },
	{ "delivery", "delay_warning", K_DURATION, F(delay_warning), 0, 365 * 86400 },
	{ "delivery", "connect_timeout", K_DURATION, F(connect_timeout), 1, 3600 },
	{ "delivery", "smtp_timeout", K_DURATION, F(smtp_timeout), 1, 3600 },
	{ "delivery", "data_timeout", K_DURATION, F(data_timeout_out), 1, 3600 },
	{ "delivery", "max_connections", K_UINT, F(max_deliveries), 1, 100000 },
	{ "delivery", "per_destination", K_UINT, F(per_destination), 1, 10000 },
	{ "delivery", "connection_cache_time", K_DURATION, F(connection_cache), 0, 300 },
	{ "delivery", "suppress_on_bounce", K_STRING, F(suppress_on_bounce), 0, 0 },
	{ "delivery", "event_retention", K_DURATION, F(event_retention), 0, 3650 * 86400 },
	{ "dkim", "enabled", K_BOOL, F(dkim_enabled), 0, 1 },
	{ "dkim", "canonicalization", K_STRING, F(dkim_canonicalization), 0, 0 },
	{ "dkim", "expire", K_DURATION, F(dkim_expire), 0, 3650 * 86400 },
	{ "dkim", "signing_domains", K_STRING, F(dkim_signing_domains), 0, 0 },
	{ "dkim", "rotation_check", K_DURATION, F(dkim_rotation_check), 1, 86400 },
	{ "dkim", "rotation_grace", K_DURATION, F(dkim_rotation_grace), 0, 365 * 86400 },
	{ "store", "path", K_PATH, F(store_path), 0, 0 },
	{ "spool", "path", K_PATH, F(spool_path), 0, 0 },
	{ "spool", "reserve", K_SIZE, F(spool_reserve), 0, (uint64_t)1 << 50 },
};

/* Keys of a [listener NAME], [route DOMAIN] and [pool NAME] section. */
static const char *const listener_keys[] = { "address", "port", "tls", "proxy_protocol" };
static const char *const route_keys[] = { "host",	    "port",	 "tls",
					  "tls_on_connect", "auth_user", "auth_password" };
static const char *const pool_keys[] = { "addresses", "users" };

void config_each_key(void (*cb)(const char *section, const char *key, void *ctx), void *ctx)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		cb(keys[i].section, keys[i].name, ctx);
	for (size_t i = 0; i < sizeof(listener_keys) / sizeof(listener_keys[0]); i++)
		cb("listener", listener_keys[i], ctx);
	for (size_t i = 0; i < sizeof(route_keys) / sizeof(route_keys[0]); i++)
		cb("route", route_keys[i], ctx);
	for (size_t i = 0; i < sizeof(pool_keys) / sizeof(pool_keys[0]); i++)
		cb("pool", pool_keys[i], ctx);
}

void config_defaults(struct tern_config *c)
{
	memset(c, 0, sizeof(*c));
	if (gethostname(c->hostname, sizeof(c->hostname) - 1) != 0 || c->hostname[0] == '\0')
		strcpy(c->hostname, "localhost");
	strcpy(c->data_dir, "/var/lib/tern");
	c->log_level = LOG_INFO;
	c->max_connections = 10000;
	c->shutdown_grace = 30;
	c->max_message_size = 25 * 1024 * 1024;
	c->max_recipients = 50;
	c->max_errors = 20;
	c->max_auth_failures = 3;
	c->command_timeout = 300; /* RFC 5321 4.5.3.2.7: at least 5 minutes */
	c->data_timeout = 180;	  /* RFC 5321 4.5.3.2.5: 3 minutes per data block */
	c->min_data_rate = 256;
	c->spool_reserve = 64 * 1024 * 1024;
	c->max_connections_per_ip = 100;
	c->auth_failures_per_ip = 20;
	c->auth_failure_window = 600;
	c->max_hops = 50;
	c->max_header_size = 256 * 1024;
	c->dns_timeout = 5;
	c->deliver = true;
	c->remote_port = 25;
	c->tls = DTLS_MAY;
	{
		/* 5m 10m 20m 40m 1h 2h 4h 8h, then every 8h */
		static const unsigned sched[] = { 300, 600, 1200, 2400, 3600, 7200, 14400, 28800 };
		memcpy(c->retry, sched, sizeof(sched));
		c->retry_count = sizeof(sched) / sizeof(sched[0]);
	}
	c->max_queue_lifetime = 5 * 86400;
	c->connect_timeout = 30;
	c->smtp_timeout = 300;	   /* RFC 5321 4.5.3.2: 5 minutes for most replies */
	c->data_timeout_out = 600; /* 4.5.3.2.6: 10 minutes for the reply after the data */
	c->max_deliveries = 500;
	c->per_destination = 20;
	c->connection_cache = 2;
	c->event_retention = 30 * 86400;
	c->dkim_enabled = true;
	strcpy(c->dkim_canonicalization, "relaxed/relaxed");
	c->dkim_rotation_check = 5 * 60;
	c->dkim_rotation_grace = 7 * 86400;
	strcpy(c->suppress_on_bounce, "user_unknown,host_unknown,domain_no_mail,mailbox_disabled");
}

bool config_parse_duration(const char *v, uint64_t *out)
{
	char *end;
	unsigned long long x;
	uint64_t mul = 1;

	if (*v < '0' || *v > '9')
		return false;
	errno = 0;
	x = strtoull(v, &end, 10);
	if (errno != 0)
		return false;
	if (*end != '\0') {
		mul = *end == 's'   ? 1
		      : *end == 'm' ? 60
		      : *end == 'h' ? 3600
		      : *end == 'd' ? 86400
				    : 0;
		if (mul == 0 || end[1] != '\0')
			return false;
	}
	if (x > UINT32_MAX / mul)
		return false;
	*out = x * mul;
	return true;
}

static bool parse_tls_level(const char *v, enum delivery_tls *out)
{
	static const char *const names[] = { "none", "may", "encrypt", "verify" };

	for (int i = 0; i < 4; i++)
		if (strcasecmp(v, names[i]) == 0)
			return *out = (enum delivery_tls)i, true;
	return false;
}

const struct route_config *config_route_for(const struct tern_config *c, const char *domain)
{
	const struct route_config *star = NULL;

	for (size_t i = 0; i < c->route_count; i++) {
		if (strcmp(c->routes[i].domain, "*") == 0)
			star = &c->routes[i];
		else if (strcasecmp(c->routes[i].domain, domain) == 0)
			return &c->routes[i];
	}
	return star;
}

bool config_list_has(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = list; *p;) {
		size_t w;
		p += strspn(p, " ,\t");
		w = strcspn(p, " ,\t");
		if (w == n && w > 0 && strncmp(p, name, n) == 0)
			return true;
		p += w;
	}
	return false;
}

const struct pool_config *config_pool_for(const struct tern_config *c, const char *user)
{
	const struct pool_config *shared = NULL;

	for (size_t i = 0; i < c->pool_count; i++) {
		if (user != NULL && user[0] != '\0' && config_list_has(c->pools[i].users, user))
			return &c->pools[i];
		if (strcmp(c->pools[i].name, "shared") == 0)
			shared = &c->pools[i];
	}
	return shared;
}

struct parse_ctx {
	struct tern_config *c;
	bool failed;
	bool listeners_seen;
	char msg[512];
};

/* Keeps the first problem; inih stops at the handler's 0 and returns the line number. */
static int fail(struct parse_ctx *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct parse_ctx *p, const char *fmt, ...)
{
	va_list ap;

	if (p->failed)
		return 0;
	va_start(ap, fmt);
	vsnprintf(p->msg, sizeof(p->msg), fmt, ap);
	va_end(ap);
	p->failed = true;
	return 0;
}

static bool parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0)
			return *out = true, true;
		if (strcasecmp(v, no[i]) == 0)
			return *out = false, true;
	}
	return false;
}

/* Unsigned with an optional K, M or G (powers of 1024) suffix for sizes. */
static bool parse_number(const char *v, bool suffix, uint64_t *out)
{
	char *end;
	unsigned long long x;

	if (*v < '0' || *v > '9')
		return false;
	errno = 0;
	x = strtoull(v, &end, 10);
	if (errno != 0)
		return false;
	if (suffix && *end != '\0' && end[1] == '\0') {
		int shift = *end == 'K' || *end == 'k'	 ? 10
			    : *end == 'M' || *end == 'm' ? 20
			    : *end == 'G' || *end == 'g' ? 30
							 : -1;
		if (shift < 0 || x > (UINT64_MAX >> shift))
			return false;
		x <<= shift;
		end++;
	}
	if (*end != '\0')
		return false;
	*out = x;
	return true;
}

bool net_block_parse(const char *s, struct net_block *out)
{
	char addr[64];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	uint64_t prefix;

	memset(out, 0, sizeof(*out));
	if (alen == 0 || alen >= sizeof(addr))
		return false;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if (inet_pton(AF_INET, addr, out->addr) == 1)
		out->family = 4;
	else if (inet_pton(AF_INET6, addr, out->addr) == 1)
		out->family = 6;
	else
		return false;
	out->prefix = out->family == 4 ? 32 : 128;
	if (slash != NULL) {
		if (!parse_number(slash + 1, false, &prefix) || prefix > (uint64_t)out->prefix)
			return false;
		out->prefix = (int)prefix;
	}
	return true;
}

bool net_blocks_contain(const struct net_block *blocks, size_t count, int family,
			const uint8_t *addr)
{
	for (size_t i = 0; i < count; i++) {
		const struct net_block *b = &blocks[i];
		int bits = b->prefix, k = 0;
		if (b->family != family)
			continue;
		for (; bits >= 8; bits -= 8, k++)
			if (b->addr[k] != addr[k])
				break;
		if (bits >= 8)
			continue;
		if (bits == 0 || ((b->addr[k] ^ addr[k]) & (0xff << (8 - bits)) & 0xff) == 0)
			return true;
	}
	return false;
}

static int set_networks(struct parse_ctx *p, const char *v)
{
	char copy[4096];
	char *save = NULL;

	p->c->trusted_count = 0;
	if (strlen(v) >= sizeof(copy))
		return fail(p, "trusted_networks is too long%s%s", "", "");
	strcpy(copy, v);
	for (char *t = strtok_r(copy, " ,\t", &save); t; t = strtok_r(NULL, " ,\t", &save)) {
		if (p->c->trusted_count == CONFIG_NETWORKS_MAX)
			return fail(p, "trusted_networks holds more than 64 blocks%s%s", "", "");
		if (!net_block_parse(t, &p->c->trusted[p->c->trusted_count++]))
			return fail(p,
				    "trusted_networks: '%s' is not an address block; write e.g. "
				    "127.0.0.1/32 or ::1%s",
				    t, "");
	}
	return 1;
}

static int set_retry(struct parse_ctx *p, const char *v)
{
	char copy[512];
	char *save = NULL;
	uint64_t n;

	p->c->retry_count = 0;
	if (strlen(v) >= sizeof(copy))
		return fail(p, "retry_schedule is too long%s%s", "", "");
	strcpy(copy, v);
	for (char *t = strtok_r(copy, " ,\t", &save); t; t = strtok_r(NULL, " ,\t", &save)) {
		if (p->c->retry_count == CONFIG_RETRIES_MAX)
			return fail(p, "retry_schedule holds more than %d steps%s",
				    CONFIG_RETRIES_MAX, "");
		if (!config_parse_duration(t, &n) || n == 0 || n > 7 * 86400)
			return fail(p,
				    "retry_schedule: '%s' is not a duration from 1s to 7d; write "
				    "e.g. 5m 10m 1h%s",
				    t, "");
		p->c->retry[p->c->retry_count++] = (unsigned)n;
	}
	if (p->c->retry_count == 0)
		return fail(p, "retry_schedule is empty; write e.g. 5m 10m 20m 1h%s", "");
	return 1;
}

static int set_key(struct parse_ctx *p, const struct key *k, const char *v)
{
	char *field = (char *)p->c + k->offset;
	uint64_t n;
	bool b;

	switch (k->type) {
	case K_STRING:
	case K_PATH:
		if (strlen(v) >= k->size)
			return fail(p, "%s is too long%s", k->name, "");
		strcpy(field, v);
		return 1;
	case K_UINT:
	case K_SIZE:
		if (!parse_number(v, k->type == K_SIZE, &n))
			return fail(p, "%s: '%s' is not %s", k->name, v,
				    k->type == K_SIZE ? "a size; write e.g. 25M"
						      : "a whole number");
		if (n < k->min || n > k->max)
			return fail(p, "%s: %s is out of range", k->name, v);
		if (k->type == K_UINT)
			*(unsigned *)field = (unsigned)n;
		else
			*(uint64_t *)field = n;
		return 1;
	case K_BOOL:
		if (!parse_bool(v, &b))
			return fail(p, "%s: '%s' is not yes or no", k->name, v);
		*(bool *)field = b;
		return 1;
	case K_LOGLEVEL:
		if (!log_level_parse(v, (enum log_level *)field))
			return fail(p, "%s: '%s' is not one of debug, info, warn, error", k->name,
				    v);
		return 1;
	case K_NETWORKS:
		return set_networks(p, v);
	case K_DURATION:
		if (!config_parse_duration(v, &n))
			return fail(p, "%s: '%s' is not a duration; write e.g. 30s, 5m, 1h or 5d",
				    k->name, v);
		if (n < k->min || n > k->max)
			return fail(p, "%s: %s is out of range", k->name, v);
		*(unsigned *)field = (unsigned)n;
		return 1;
	case K_TLS:
		if (!parse_tls_level(v, (enum delivery_tls *)field))
			return fail(p, "%s: '%s' is not one of none, may, encrypt, verify", k->name,
				    v);
		return 1;
	case K_RETRY:
		return set_retry(p, v);
	case K_SUPPRESS:
		if (strcasecmp(v, "accept") == 0)
			*(enum suppression_reply *)field = SUPPRESS_REPLY_ACCEPT;
		else if (strcmp(v, "254") == 0)
			*(enum suppression_reply *)field = SUPPRESS_REPLY_254;
		else if (strcasecmp(v, "reject") == 0)
			*(enum suppression_reply *)field = SUPPRESS_REPLY_REJECT;
		else
			return fail(p, "%s: '%s' is not one of accept, 254, reject", k->name, v);
		return 1;
	}
	return 0;
}

static struct listener_config *listener_for(struct parse_ctx *p, const char *name)
{
	struct tern_config *c = p->c;

	if (!p->listeners_seen) {
		p->listeners_seen = true;
		c->listener_count = 0; /* the file's listeners replace the defaults */
	}
	for (size_t i = 0; i < c->listener_count; i++)
		if (strcmp(c->listeners[i].name, name) == 0)
			return &c->listeners[i];
	if (c->listener_count == CONFIG_LISTENERS_MAX) {
		fail(p, "more than 8 listeners%s%s", "", "");
		return NULL;
	}
	if (strlen(name) >= sizeof(c->listeners[0].name) || name[0] == '\0') {
		fail(p, "listener name '%s' must be 1 to 31 characters%s", name, "");
		return NULL;
	}
	struct listener_config *l = &c->listeners[c->listener_count++];
	memset(l, 0, sizeof(*l));
	strcpy(l->name, name);
	strcpy(l->address, "127.0.0.1");
	l->port = 587;
	l->tls = LISTEN_STARTTLS;
	return l;
}

static int set_listener(struct parse_ctx *p, const char *name, const char *key, const char *v)
{
	struct listener_config *l = listener_for(p, name);
	uint64_t n;
	uint8_t tmp[16];

	if (l == NULL)
		return 0;
	if (strcmp(key, "address") == 0) {
		if (strlen(v) >= sizeof(l->address) ||
		    (inet_pton(AF_INET, v, tmp) != 1 && inet_pton(AF_INET6, v, tmp) != 1))
			return fail(p,
				    "address: '%s' is not an IP address; write e.g. 127.0.0.1 or "
				    "0.0.0.0%s",
				    v, "");
		strcpy(l->address, v);
	} else if (strcmp(key, "port") == 0) {
		if (!parse_number(v, false, &n) || n < 1 || n > 65535)
			return fail(p, "port: '%s' is not a port number (1-65535)%s", v, "");
		l->port = (int)n;
	} else if (strcmp(key, "tls") == 0) {
		if (strcasecmp(v, "starttls") == 0)
			l->tls = LISTEN_STARTTLS;
		else if (strcasecmp(v, "implicit") == 0)
			l->tls = LISTEN_IMPLICIT_TLS;
		else if (strcasecmp(v, "none") == 0)
			l->tls = LISTEN_PLAIN;
		else
			return fail(p, "tls: '%s' is not one of starttls, implicit, none%s", v, "");
	} else if (strcmp(key, "proxy_protocol") == 0) {
		if (strcasecmp(v, "off") == 0 || strcasecmp(v, "no") == 0)
			l->proxy = PROXY_OFF;
		else if (strcasecmp(v, "v1") == 0)
			l->proxy = PROXY_V1;
		else if (strcasecmp(v, "v2") == 0)
			l->proxy = PROXY_V2;
		else
			return fail(p, "proxy_protocol: '%s' is not one of off, v1, v2%s", v, "");
	} else {
		return fail(p,
			    "unknown key '%s' in a listener section; keys are address, port, tls, "
			    "proxy_protocol%s",
			    key, "");
	}
	return 1;
}

static int set_route(struct parse_ctx *p, const char *domain, const char *key, const char *v)
{
	struct tern_config *c = p->c;
	struct route_config *r = NULL;
	uint64_t n;
	bool b;

	for (size_t i = 0; i < c->route_count && r == NULL; i++)
		if (strcasecmp(c->routes[i].domain, domain) == 0)
			r = &c->routes[i];
	if (r == NULL) {
		if (c->route_count == CONFIG_ROUTES_MAX)
			return fail(p, "more than %d routes%s", CONFIG_ROUTES_MAX, "");
		if (domain[0] == '\0' || strlen(domain) >= sizeof(r->domain) ||
		    strspn(domain, "*") > 1 || (strchr(domain, '*') && strcmp(domain, "*") != 0))
			return fail(p, "[route %s]: write a domain name, or * for a smarthost%s",
				    domain, "");
		r = &c->routes[c->route_count++];
		memset(r, 0, sizeof(*r));
		for (size_t i = 0; domain[i]; i++)
			r->domain[i] = (char)tolower((unsigned char)domain[i]);
		r->tls = DTLS_DEFAULT;
	}
	if (strcmp(key, "host") == 0) {
		const char *colon = strrchr(v, ':');
		if (strlen(v) >= sizeof(r->host) || v[0] == '\0')
			return fail(p, "host: '%s' is not a host name%s", v, "");
		strcpy(r->host, v);
		/* host:port for names and IPv4; an IPv6 literal takes port = */
		if (colon != NULL && strchr(v, ':') == colon) {
			if (!parse_number(colon + 1, false, &n) || n < 1 || n > 65535)
				return fail(p, "host: '%s' has no valid port after ':'%s", v, "");
			r->host[colon - v] = '\0';
			r->port = (int)n;
		}
	} else if (strcmp(key, "port") == 0) {
		if (!parse_number(v, false, &n) || n < 1 || n > 65535)
			return fail(p, "port: '%s' is not a port number (1-65535)%s", v, "");
		r->port = (int)n;
	} else if (strcmp(key, "tls") == 0) {
		if (!parse_tls_level(v, &r->tls))
			return fail(p, "tls: '%s' is not one of none, may, encrypt, verify%s", v,
				    "");
	} else if (strcmp(key, "tls_on_connect") == 0) {
		if (!parse_bool(v, &b))
			return fail(p, "tls_on_connect: '%s' is not yes or no%s", v, "");
		r->tls_on_connect = b;
	} else if (strcmp(key, "auth_user") == 0 || strcmp(key, "auth_password") == 0) {
		char *f = key[5] == 'u' ? r->auth_user : r->auth_password;
		size_t size = key[5] == 'u' ? sizeof(r->auth_user) : sizeof(r->auth_password);
		if (strlen(v) >= size)
			return fail(p, "%s is too long%s", key, "");
		strcpy(f, v);
	} else {
		return fail(p,
			    "unknown key '%s' in a route section; keys are host, port, tls, "
			    "tls_on_connect, auth_user, auth_password%s",
			    key, "");
	}
	return 1;
}

static int set_pool_addresses(struct parse_ctx *p, struct pool_config *pl, const char *v)
{
	char copy[2048];
	char *save = NULL;

	pl->naddrs = 0;
	if (strlen(v) >= sizeof(copy))
		return fail(p, "addresses is too long%s%s", "", "");
	strcpy(copy, v);
	for (char *t = strtok_r(copy, " ,\t", &save); t; t = strtok_r(NULL, " ,\t", &save)) {
		struct pool_address *a = &pl->addrs[pl->naddrs];
		char *eq = strchr(t, '=');
		if (pl->naddrs == CONFIG_POOL_ADDRS_MAX)
			return fail(p, "a pool holds at most %d addresses%s", CONFIG_POOL_ADDRS_MAX,
				    "");
		if (eq != NULL)
			*eq++ = '\0';
		memset(a, 0, sizeof(*a));
		if (strlen(t) >= sizeof(a->text) || (eq && strlen(eq) >= sizeof(a->helo)))
			return fail(p, "addresses: '%s' is too long%s", t, "");
		if (inet_pton(AF_INET, t, a->addr) == 1)
			a->family = 4;
		else if (inet_pton(AF_INET6, t, a->addr) == 1)
			a->family = 6;
		else
			return fail(p,
				    "addresses: '%s' is not an IP address; write ADDRESS or "
				    "ADDRESS=EHLO-NAME, e.g. 192.0.2.10=mta1.example.com%s",
				    t, "");
		strcpy(a->text, t);
		if (eq != NULL)
			strcpy(a->helo, eq);
		pl->naddrs++;
	}
	return 1;
}

static int set_pool(struct parse_ctx *p, const char *name, const char *key, const char *v)
{
	struct tern_config *c = p->c;
	struct pool_config *pl = NULL;

	for (size_t i = 0; i < c->pool_count && pl == NULL; i++)
		if (strcmp(c->pools[i].name, name) == 0)
			pl = &c->pools[i];
	if (pl == NULL) {
		if (c->pool_count == CONFIG_POOLS_MAX)
			return fail(p, "more than %d pools%s", CONFIG_POOLS_MAX, "");
		if (name[0] == '\0' || strlen(name) >= sizeof(pl->name))
			return fail(p, "pool name '%s' must be 1 to 31 characters%s", name, "");
		pl = &c->pools[c->pool_count++];
		memset(pl, 0, sizeof(*pl));
		strcpy(pl->name, name);
	}
	if (strcmp(key, "addresses") == 0)
		return set_pool_addresses(p, pl, v);
	if (strcmp(key, "users") == 0) {
		if (strlen(v) >= sizeof(pl->users))
			return fail(p, "users is too long%s%s", "", "");
		strcpy(pl->users, v);
		return 1;
	}
	return fail(p, "unknown key '%s' in a pool section; keys are addresses, users%s", key, "");
}

static int on_entry(void *user, const char *section, const char *name, const char *value)
{
	struct parse_ctx *p = user;

	if (p->failed)
		return 0;
	if (strncmp(section, "listener ", 9) == 0)
		return set_listener(p, section + 9, name, value);
	if (strncmp(section, "route ", 6) == 0)
		return set_route(p, section + 6, name, value);
	if (strncmp(section, "pool ", 5) == 0)
		return set_pool(p, section + 5, name, value);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(keys[i].section, section) == 0 && strcmp(keys[i].name, name) == 0)
			return set_key(p, &keys[i], value);
	return fail(p, "unknown key '%s' in section [%s]; docs/configuration.md lists them", name,
		    section);
}

/* DIR/LEAF for a path left empty; false when it does not fit. */
static bool derive(char *field, size_t size, const char *dir, const char *leaf)
{
	int n;

	if (field[0] != '\0')
		return true;
	n = snprintf(field, size, "%s/%s", dir, leaf);
	return n >= 0 && (size_t)n < size;
}

static void default_listeners(struct tern_config *c)
{
	static const struct listener_config defs[] = {
		{ "submission", "127.0.0.1", 587, LISTEN_STARTTLS, PROXY_OFF },
		{ "submissions", "127.0.0.1", 465, LISTEN_IMPLICIT_TLS, PROXY_OFF },
	};
	memcpy(c->listeners, defs, sizeof(defs));
	c->listener_count = 2;
}

int config_load(const char *path, struct tern_config *c, char *err, size_t errlen)
{
	struct parse_ctx p = { .c = c };
	int rc;

	config_defaults(c);
	default_listeners(c);
	if (path != NULL) {
		rc = ini_parse(path, on_entry, &p);
		if (rc < 0) {
			snprintf(err, errlen, "cannot read configuration %s: %s; pass -c FILE",
				 path, strerror(errno));
			return -1;
		}
		if (p.failed) {
			snprintf(err, errlen, "%s:%d: %s", path, rc, p.msg);
			return -1;
		}
		if (rc > 0) {
			snprintf(err, errlen, "%s:%d: not an INI line (write key = value)", path,
				 rc);
			return -1;
		}
	}
	for (size_t i = 0; i < c->route_count; i++) {
		if (strcmp(c->routes[i].domain, "*") == 0 && c->routes[i].host[0] == '\0') {
			snprintf(err, errlen,
				 "%s: [route *] (the smarthost) needs host = NAME[:PORT]",
				 path ? path : "configuration");
			return -1;
		}
	}
	for (size_t i = 0; i < c->pool_count; i++) {
		if (c->pools[i].naddrs == 0) {
			snprintf(err, errlen,
				 "%s: [pool %s] has no addresses; write addresses = IP[=EHLO-NAME] "
				 "...",
				 path ? path : "configuration", c->pools[i].name);
			return -1;
		}
	}
	if (!derive(c->store_path, sizeof(c->store_path), c->data_dir, "tern.db") ||
	    !derive(c->spool_path, sizeof(c->spool_path), c->data_dir, "spool")) {
		snprintf(err, errlen, "data_dir %s is too long; choose a shorter path",
			 c->data_dir);
		return -1;
	}
	return 0;
}
