/*
 * route.c - `tern route DOMAIN...`: how tern would reach a domain, through the same resolver
 * the delivery engine uses: the MX hosts in the order tern would try them, with preference
 * and addresses, or the verdict in plain words (bounce with which code, or defer).
 *
 * Several domains are looked up one after the other with one resolver, so the second lookup
 * of a name comes from the cache, as it would in the server. Exit 0 when mail to every domain
 * can be delivered, 1 otherwise, 2 bad usage.
 */
#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <uv.h>

#include "cli/cli.h"
#include "cli/setup.h"
#include "net/dns.h"

void route_usage(FILE *out)
{
	fprintf(out,
		"usage: tern route DOMAIN... [--dns-server IP[:PORT]] [--json] [-c FILE]\n"
		"\n"
		"Shows how tern would reach DOMAIN: its MX hosts in the order tern would try "
		"them,\n"
		"with their preference and addresses, or why mail to it would bounce or wait.\n"
		"Hosts of equal preference are tried in a random order, new at every delivery.\n"
		"\n"
		"  --dns-server IP[:PORT]  ask this server (IPv6 as [::1]:53; several separated "
		"by\n"
		"                          commas) instead of [delivery] dns_servers\n"
		"  --json                  one JSON object per domain, one per line\n"
		"  -c FILE                 the configuration file\n"
		"\n"
		"Exit status: 0 when mail to every DOMAIN can be delivered, 1 when not, 2 bad "
		"usage.\n");
}

struct route_run {
	struct dns_resolver *r;
	char **domains;
	int count, next;
	bool json;
	bool all_ok;
};

/* What the delivery engine does with a result, in words. */
static const char *verdict(const struct dns_mx_result *res)
{
	switch (res->status) {
	case DNS_OK:
		return "mail to it can be delivered";
	case DNS_NXDOMAIN:
		return "no such domain: mail to it bounces with 5.1.2";
	case DNS_NULL_MX:
		return "the domain accepts no mail (null MX, RFC 7505): mail to it bounces with "
		       "5.1.10";
	case DNS_NO_ADDRESS:
		return res->implicit ? "no MX record and no address: mail to it bounces with 5.4.4 "
				       "(unable to route)"
				     : "its mail servers have no address: mail to it bounces with "
				       "5.4.4 (unable to route)";
	case DNS_TEMPFAIL:
		return "DNS did not answer: mail would be deferred and retried";
	}
	return "?";
}

static const char *status_key(enum dns_status s)
{
	static const char *const keys[] = {
		[DNS_OK] = "ok",
		[DNS_NXDOMAIN] = "nxdomain",
		[DNS_NULL_MX] = "null_mx",
		[DNS_NO_ADDRESS] = "no_address",
		[DNS_TEMPFAIL] = "tempfail",
	};
	return (unsigned)s < sizeof(keys) / sizeof(keys[0]) ? keys[s] : "?";
}

static const char *host_words(enum dns_status s)
{
	switch (s) {
	case DNS_NXDOMAIN:
		return "no address, the host name does not exist: skipped";
	case DNS_NO_ADDRESS:
		return "no address (no A or AAAA record): skipped";
	case DNS_TEMPFAIL:
		return "address lookup failed for now: skipped until it answers";
	default:
		return "";
	}
}

static void print_text(const char *domain, const struct dns_mx_result *res)
{
	char a[INET6_ADDRSTRLEN];
	bool equal = false;

	if (res->status == DNS_OK && res->implicit)
		printf("%s: no MX record: mail goes to the domain's own address (RFC 5321 "
		       "section 5.1):\n",
		       domain);
	else if (res->status == DNS_OK)
		printf("%s: MX hosts in the order tern would try them:\n", domain);
	else
		printf("%s: %s\n  (%s)\n", domain, verdict(res), res->error);
	for (size_t i = 0; i < res->nhosts; i++) {
		const struct dns_host *h = &res->hosts[i];

		if (res->implicit)
			printf("  %zu. %s: ", i + 1, h->name);
		else
			printf("  %zu. %s (preference %u): ", i + 1, h->name, h->preference);
		for (size_t k = 0; k < h->naddrs; k++)
			printf("%s%s", k > 0 ? ", " : "",
			       cli_addr_text(&h->addrs[k], a, sizeof(a)));
		printf("%s\n", h->naddrs > 0 ? "" : host_words(h->status));
		equal |= i > 0 && h->preference == res->hosts[i - 1].preference;
	}
	if (res->status == DNS_OK && equal)
		printf("  hosts of equal preference are tried in a random order, new at every "
		       "delivery\n");
}

static void print_json(const char *domain, const struct dns_mx_result *res)
{
	char a[INET6_ADDRSTRLEN];
	json_t *hosts = json_array(), *root;

	for (size_t i = 0; i < res->nhosts; i++) {
		const struct dns_host *h = &res->hosts[i];
		json_t *addrs = json_array();

		for (size_t k = 0; k < h->naddrs; k++)
			json_array_append_new(
				addrs, json_string(cli_addr_text(&h->addrs[k], a, sizeof(a))));
		json_array_append_new(hosts, json_pack("{s:s, s:i, s:s, s:o}", "name", h->name,
						       "preference", (int)h->preference, "status",
						       status_key(h->status), "addresses", addrs));
	}
	root = json_pack("{s:s, s:s, s:b, s:b, s:s, s:o}", "domain", domain, "status",
			 status_key(res->status), "deliverable", res->status == DNS_OK,
			 "implicit_mx", res->implicit, "verdict", verdict(res), "hosts", hosts);
	json_object_set_new(root, "error",
			    res->status == DNS_OK ? json_null() : json_string(res->error));
	json_dumpf(root, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
	putchar('\n');
	json_decref(root);
}

static void on_route(const struct dns_mx_result *res, void *arg)
{
	struct route_run *run = arg;
	const char *domain = run->domains[run->next];

	if (run->json)
		print_json(domain, res);
	else
		print_text(domain, res);
	run->all_ok &= res->status == DNS_OK;
	if (++run->next < run->count) {
		if (!run->json)
			putchar('\n');
		dns_resolve_mx(run->r, run->domains[run->next], on_route, run);
		return;
	}
	fflush(stdout);
	dns_resolver_free(run->r);
}

int cmd_route(int argc, char **argv)
{
	const char *path = setup_config_path(&argc, argv);
	const char *server = NULL;
	struct route_run run = { .all_ok = true };
	struct tern_config cfg;
	uv_loop_t loop;
	char err[600];
	int n = 0;

	/* DOMAIN... collected in place of argv; options anywhere. */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			run.json = true;
		} else if (strcmp(argv[i], "--dns-server") == 0 && i + 1 < argc) {
			server = argv[++i];
		} else if (strncmp(argv[i], "--dns-server=", 13) == 0) {
			server = argv[i] + 13;
		} else if (argv[i][0] == '-') {
			fprintf(stderr, "tern route: unknown option '%s'\n", argv[i]);
			route_usage(stderr);
			return CLI_USAGE;
		} else {
			argv[n++] = argv[i];
		}
	}
	if (n == 0) {
		route_usage(stderr);
		return CLI_USAGE;
	}
	if (!setup_load(path, &cfg))
		return CLI_PROBLEM;
	if (uv_loop_init(&loop) != 0) {
		fprintf(stderr, "tern route: cannot start the event loop\n");
		return CLI_PROBLEM;
	}
	run.r = dns_resolver_new(&loop, server != NULL ? server : cfg.dns_servers, cfg.dns_timeout,
				 err, sizeof(err));
	if (run.r == NULL) {
		fprintf(stderr, "tern route: %s\n", err);
		uv_loop_close(&loop);
		return server != NULL ? CLI_USAGE : CLI_PROBLEM;
	}
	run.domains = argv;
	run.count = n;
	dns_resolve_mx(run.r, argv[0], on_route, &run);
	uv_run(&loop, UV_RUN_DEFAULT); /* returns once the resolver has closed */
	uv_loop_close(&loop);
	return run.all_ok ? CLI_OK : CLI_PROBLEM;
}
