/*
 * config.h - tern's configuration: an INI file (inih) over embedded defaults.
 *
 * Every key lives in one table (config.c) with its type, default and limits, and is documented
 * in docs/configuration.md (a test keeps the two in step). Unknown sections or keys, values out
 * of range, and malformed addresses are errors naming the file, line and what to write instead:
 * a typo must never silently fall back to a default.
 */
#ifndef TERN_LIB_CONFIG_H
#define TERN_LIB_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/log.h"

#define CONFIG_LISTENERS_MAX  8
#define CONFIG_NETWORKS_MAX   64
#define CONFIG_PATH_MAX	      1024
#define CONFIG_ROUTES_MAX     64
#define CONFIG_POOLS_MAX      8
#define CONFIG_POOL_ADDRS_MAX 8
#define CONFIG_RETRIES_MAX    16

enum listener_tls { LISTEN_PLAIN = 0, LISTEN_STARTTLS, LISTEN_IMPLICIT_TLS };
enum listener_proxy { PROXY_OFF = 0, PROXY_V1, PROXY_V2 };
/* What RCPT answers for a suppressed recipient. */
enum suppression_reply { SUPPRESS_REPLY_ACCEPT = 0, SUPPRESS_REPLY_254, SUPPRESS_REPLY_REJECT };

/* TLS levels of outbound delivery, in the order of proto/smtp_client.h's smtp_tls_level. */
enum delivery_tls { DTLS_NONE = 0, DTLS_MAY, DTLS_ENCRYPT, DTLS_VERIFY, DTLS_DEFAULT = -1 };

/* [route DOMAIN]: how mail for one domain (or, for "*", every domain without its own route:
 * a smarthost) is delivered. */
struct route_config {
	char domain[256];      /* lowercase; "*" for the smarthost */
	char host[256];	       /* relay host name or address; "" = the domain's MX */
	int port;	       /* 0 = [delivery] port */
	enum delivery_tls tls; /* DTLS_DEFAULT = [delivery] tls */
	bool tls_on_connect;   /* implicit TLS (port 465 style) */
	char auth_user[128];   /* AUTH towards the relay, "" for none */
	char auth_password[256];
};

/* [pool NAME]: local addresses outbound connections leave from, each with its EHLO name. */
struct pool_address {
	int family; /* 4 or 6 */
	uint8_t addr[16];
	char text[64];	/* the address as written */
	char helo[256]; /* the name that belongs to it; "" = hostname */
};
struct pool_config {
	char name[32];
	struct pool_address addrs[CONFIG_POOL_ADDRS_MAX];
	size_t naddrs;
	char users[1024]; /* users who send through this pool (comma-separated), "" none */
};

struct listener_config {
	char name[32];
	char address[64]; /* an IPv4 or IPv6 literal */
	int port;
	enum listener_tls tls;
	enum listener_proxy proxy;
};

/* An address block of trusted_networks: family 4 or 6, network bytes, prefix length. */
struct net_block {
	int family;
	uint8_t addr[16];
	int prefix;
};

struct tern_config {
	/* [server] */
	char hostname[256];
	char data_dir[CONFIG_PATH_MAX];
	enum log_level log_level;
	unsigned max_connections;
	unsigned shutdown_grace; /* seconds sessions in a transaction get at shutdown */
	struct net_block trusted[CONFIG_NETWORKS_MAX];
	size_t trusted_count;
	/* [listener NAME] */
	struct listener_config listeners[CONFIG_LISTENERS_MAX];
	size_t listener_count;
	/* [tls] */
	char tls_certificate[CONFIG_PATH_MAX];
	char tls_private_key[CONFIG_PATH_MAX];
	/* [submission] */
	uint64_t max_message_size;
	unsigned max_recipients;
	unsigned max_errors;
	unsigned max_auth_failures;
	unsigned command_timeout; /* seconds */
	unsigned data_timeout;	  /* seconds */
	unsigned min_data_rate;	  /* octets per second during DATA, 0 for none */
	bool allow_plaintext_auth;
	bool require_tls;
	/* [limits]: server defaults, each overridable per user in the store; 0 is no limit */
	unsigned per_minute; /* messages per user */
	unsigned per_hour;
	unsigned per_day;
	unsigned domain_per_hour;	 /* messages per user and sending domain */
	unsigned max_connections_per_ip; /* sessions at once from one client address */
	unsigned auth_failures_per_ip;	 /* failed AUTH from one address before it is refused */
	unsigned auth_failure_window;	 /* seconds such failures are remembered */
	/* [policy] */
	bool allow_multiple_from;
	enum suppression_reply suppression_reply;
	char trusted_user[65]; /* whom trusted_networks clients send as; "" none */
	unsigned max_hops;     /* Received fields before a message is taken for a loop */
	uint64_t max_header_size;
	/* [delivery] */
	char dns_servers[256];		    /* "ip[:port],..." or "" for /etc/resolv.conf */
	unsigned dns_timeout;		    /* seconds per DNS query attempt */
	bool deliver;			    /* deliver at all (off: accept and keep) */
	char helo_name[256];		    /* "" = hostname */
	unsigned remote_port;		    /* port of MX hosts (25) */
	enum delivery_tls tls;		    /* default TLS level */
	char tls_ca_file[CONFIG_PATH_MAX];  /* CAs for the verify level; "" = the system's */
	unsigned retry[CONFIG_RETRIES_MAX]; /* retry_schedule, seconds; the last repeats */
	size_t retry_count;
	unsigned max_queue_lifetime;  /* seconds */
	unsigned delay_warning;	      /* seconds, 0 = no delay notices */
	unsigned connect_timeout;     /* seconds */
	unsigned smtp_timeout;	      /* seconds per reply (greeting, commands) */
	unsigned data_timeout_out;    /* seconds for the reply after the message data */
	unsigned max_deliveries;      /* outbound connections at once */
	unsigned per_destination;     /* outbound connections at once to one destination */
	unsigned connection_cache;    /* seconds an idle outbound connection waits for more mail */
	char suppress_on_bounce[256]; /* categories whose bounces add to the suppression list */
	unsigned event_retention;     /* seconds events are kept, 0 = forever */
	struct route_config routes[CONFIG_ROUTES_MAX];
	size_t route_count;
	struct pool_config pools[CONFIG_POOLS_MAX];
	size_t pool_count;
	/* [dkim] */
	bool dkim_enabled;
	char dkim_canonicalization[32]; /* "relaxed/relaxed" */
	unsigned dkim_expire;		/* x= seconds after signing, 0 = none */
	unsigned dkim_rotation_check;	/* seconds between looks for pending keys' records */
	unsigned dkim_rotation_grace;	/* seconds a replaced key stays retiring */
	char dkim_signing_domains
		[1024]; /* "USER:DOMAIN" and "FROMDOMAIN=DOMAIN", comma-separated */
	/* [store], [spool] */
	char store_path[CONFIG_PATH_MAX];
	char spool_path[CONFIG_PATH_MAX];
	uint64_t spool_reserve; /* free bytes the spool's filesystem must keep */
};

/* The embedded defaults (no listeners). */
void config_defaults(struct tern_config *c);

/* Defaults, then the file. 0, or -1 with "FILE:LINE: what is wrong; what to write" in err.
 * Paths left empty are derived from data_dir. Without a [listener] section the default
 * submission listeners (587 STARTTLS, 465 TLS on 127.0.0.1) are used. */
int config_load(const char *path, struct tern_config *c, char *err, size_t errlen);

/* Parses "a.b.c.d/n", "x::y/n" or a bare address (a host block) into a block. */
bool net_block_parse(const char *s, struct net_block *out);
/* True when addr (4 or 16 bytes of the family) is inside any of the blocks. */
bool net_blocks_contain(const struct net_block *blocks, size_t count, int family,
			const uint8_t *addr);

/* True when `name` is one of the comma- or space-separated words of `list`. */
bool config_list_has(const char *list, const char *name);

/* Parses "90", "90s", "5m", "1h", "2d" into seconds. */
bool config_parse_duration(const char *v, uint64_t *out);

/* The route for a domain (lowercase): its own [route], else [route *], else NULL (MX). */
const struct route_config *config_route_for(const struct tern_config *c, const char *domain);
/* The pool a user sends through: one naming the user, else "shared", else NULL (no binding). */
const struct pool_config *config_pool_for(const struct tern_config *c, const char *user);

/* The keys of the table, for the documentation test: calls cb with "section.key". */
void config_each_key(void (*cb)(const char *section, const char *key, void *ctx), void *ctx);

#endif
