/*
 * doctor_dns.c - `tern doctor dns DOMAIN`: the DNS records receivers look at before they trust
 * mail from DOMAIN, each checked the way a receiver would and, when wrong, named with the fix.
 *
 * Steps: mx (MX records, null MX), spf (one valid record authorising --ip, evaluated with the
 * RFC 7208 limits by src/proto/spf.c through this resolver), dkim (the selector's record, or a
 * CNAME to one, parsing, and holding the public key of tern's private key for the selector;
 * when absent, the names that DNS providers' zone-relative forms produce are looked at too),
 * dmarc (a valid record, and the From domain aligned with the DKIM d= and the SPF domain), ptr
 * (--ip's reverse name and its forward confirmation).
 *
 * When the domain does not exist, or DNS does not answer, the later steps are skipped: one
 * cause, one failed step.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/doctor.h"
#include "cli/setup.h"
#include "dkim/dkim.h"
#include "dkim/rotate.h"
#include "lib/buf.h"
#include "proto/dmarc.h"
#include "proto/spf.h"
#include "store/store.h"

#define SEP "\x1f" /* between seen and todo in doc_stepf */

struct dnsdoc {
	struct doc_report *rep;
	struct doc_dns dns;
	const char *domain;
	const char *selector; /* --selector, else tern's key's */
	const char *ipt;      /* --ip, NULL when not given */
	struct spf_ip ip;
	struct tern_config cfg;
	bool have_cfg;
	struct store *st;      /* NULL when the configuration has none to open */
	char dkim_domain[256]; /* d= tern signs DOMAIN's mail with */
	bool dkim_ok;
	bool spf_ok;
	struct psl *psl; /* the Public Suffix List, NULL when not installed */
};

#define PSL_PATH "/usr/share/publicsuffix/public_suffix_list.dat" /* Debian's publicsuffix */

/* The Public Suffix List for DMARC's organizational domains ($TERN_PSL names another file);
 * NULL when it cannot be read, and a guess from the labels is used. */
static struct psl *load_psl(void)
{
	const char *path = getenv("TERN_PSL") != NULL ? getenv("TERN_PSL") : PSL_PATH;
	FILE *f = fopen(path, "rb");
	struct psl *p = NULL;
	char *text = NULL;
	long len;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) > 0 && len < (64L << 20) &&
	    fseek(f, 0, SEEK_SET) == 0 && (text = malloc((size_t)len)) != NULL &&
	    fread(text, 1, (size_t)len, f) == (size_t)len)
		p = psl_parse(text, (size_t)len);
	free(text);
	fclose(f);
	return p;
}

/* ---- the SPF lookup callback: the doctor's resolver answers spf.c's questions -------------- */

static void spf_lookup(void *ctx, enum spf_qtype type, const char *name, const struct spf_ip *ip,
		       struct spf_answer *out)
{
	struct dnsdoc *d = ctx;
	struct doc_strings s = { 0 };
	struct dns_mx_result *res;

	if (type == SPF_Q_TXT || type == SPF_Q_PTR) {
		char ipt[64];
		if (type == SPF_Q_PTR)
			spf_ip_format(ip, ipt, sizeof(ipt));
		if (type == SPF_Q_TXT)
			doc_dns_txt(&d->dns, name, &s);
		else
			doc_dns_names(&d->dns, ipt, DNS_PTR, &s);
		out->status = s.status == DNS_OK	 ? SPF_DNS_OK
			      : s.status == DNS_NXDOMAIN ? SPF_DNS_NXDOMAIN
							 : SPF_DNS_TEMPFAIL;
		for (size_t i = 0; i < s.n && out->n < SPF_ANSWER_MAX; i++)
			snprintf(out->str[out->n++], sizeof(out->str[0]), "%s", s.s[i]);
		doc_strings_free(&s);
		return;
	}
	if ((res = calloc(1, sizeof(*res))) == NULL) {
		out->status = SPF_DNS_TEMPFAIL;
		return;
	}
	if (type == SPF_Q_MX)
		doc_dns_mx(&d->dns, name, res);
	else
		doc_dns_host(&d->dns, name, res);
	switch (res->status) {
	case DNS_NXDOMAIN:
		out->status = SPF_DNS_NXDOMAIN;
		break;
	case DNS_TEMPFAIL:
		out->status = SPF_DNS_TEMPFAIL;
		break;
	default:
		out->status = SPF_DNS_OK;
		break;
	}
	for (size_t h = 0; out->status == SPF_DNS_OK && h < res->nhosts; h++) {
		const struct dns_host *host = &res->hosts[h];
		if (type == SPF_Q_MX) {
			if (!res->implicit && res->status != DNS_NULL_MX && out->n < SPF_ANSWER_MAX)
				snprintf(out->str[out->n++], sizeof(out->str[0]), "%s", host->name);
			continue;
		}
		for (size_t k = 0; k < host->naddrs && out->n < SPF_ANSWER_MAX; k++) {
			const struct sockaddr_storage *ss = &host->addrs[k];
			struct spf_ip *o = &out->ip[out->n];
			if (type == SPF_Q_A && ss->ss_family == AF_INET) {
				o->family = 4;
				memcpy(o->b, &((const struct sockaddr_in *)ss)->sin_addr, 4);
				out->n++;
			} else if (type == SPF_Q_AAAA && ss->ss_family == AF_INET6) {
				o->family = 6;
				memcpy(o->b, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
				out->n++;
			}
		}
	}
	free(res);
}

/* ---- mx ------------------------------------------------------------------------------------ */

/* false when the later steps cannot run (no such domain, no DNS answer). */
static bool step_mx(struct dnsdoc *d)
{
	struct dns_mx_result *res = calloc(1, sizeof(*res));
	struct buf seen = BUF_INIT;
	char a[INET6_ADDRSTRLEN];
	bool go_on = true;

	if (res == NULL)
		return false;
	doc_dns_mx(&d->dns, d->domain, res);
	switch (res->status) {
	case DNS_OK:
		if (res->implicit) {
			doc_stepf(
				d->rep, "mx", "MX records", DOC_WARNING,
				"%s has no MX record; mail to it goes to the domain's own address "
				"(RFC 5321 5.1)" SEP
				"Publish an MX record naming the host that receives mail for %s, "
				"so that replies and bounces reach you.",
				d->domain, d->domain);
			break;
		}
		buf_printf(&seen, "mail for %s goes to", d->domain);
		for (size_t i = 0; i < res->nhosts; i++) {
			const struct dns_host *h = &res->hosts[i];
			buf_printf(&seen, "%s %s (preference %u%s", i > 0 ? ";" : "", h->name,
				   h->preference, h->naddrs > 0 ? ": " : ", no address");
			for (size_t k = 0; k < h->naddrs; k++)
				buf_printf(&seen, "%s%s", k > 0 ? ", " : "",
					   cli_addr_text(&h->addrs[k], a, sizeof(a)));
			buf_printf(&seen, ")");
		}
		doc_step(d->rep, "mx", "MX records", DOC_OK, buf_cstr(&seen), "");
		break;
	case DNS_NULL_MX:
		doc_stepf(
			d->rep, "mx", "MX records", DOC_FAILED,
			"%s publishes a null MX (MX 0 \".\", RFC 7505): it says it accepts no "
			"mail" SEP
			"A domain you send from must receive replies and bounces, and receivers "
			"may refuse mail from a domain that accepts none. Replace the null MX with "
			"an MX record naming your mail server.",
			d->domain);
		break;
	case DNS_NXDOMAIN:
		doc_stepf(d->rep, "mx", "MX records", DOC_FAILED,
			  "%s does not exist in DNS (NXDOMAIN)" SEP
			  "Check the spelling of the domain; if it is right, the domain is not "
			  "registered or its zone is not published by its DNS servers.",
			  d->domain);
		go_on = false;
		break;
	case DNS_NO_ADDRESS:
		doc_stepf(d->rep, "mx", "MX records", DOC_FAILED,
			  "%s" SEP
			  "Give the MX host an address (A or AAAA record), or point the MX record "
			  "at a host that has one.",
			  res->error);
		break;
	case DNS_TEMPFAIL:
		doc_stepf(d->rep, "mx", "MX records", DOC_FAILED,
			  "%s (asked %s)" SEP
			  "Check that the DNS server answers (tern doctor without arguments checks "
			  "tern's resolver), or choose another with --dns HOST[:PORT].",
			  res->error,
			  d->dns.servers[0] != '\0' ? d->dns.servers : "the system's resolver");
		go_on = false;
		break;
	}
	buf_free(&seen);
	free(res);
	return go_on;
}

/* ---- spf ----------------------------------------------------------------------------------- */

/* Whether an SPF record ends in a pass for everyone ("+all" or "all"). */
static bool passes_all(const char *record)
{
	struct spf_record *rec = calloc(1, sizeof(*rec));
	char err[200];
	bool all = false;

	if (rec != NULL && spf_parse(record, rec, err, sizeof(err)))
		for (size_t i = 0; i < rec->nterms; i++)
			all |= rec->terms[i].mech == SPF_ALL && rec->terms[i].qualifier == '+';
	free(rec);
	return all;
}

static void step_spf(struct dnsdoc *d)
{
	struct spf_outcome *o = calloc(1, sizeof(*o));
	struct spf_ip probe;
	const char *suggest = d->ipt != NULL ? d->ipt : "YOUR.SENDING.IP";
	const char *mech = d->ipt != NULL && d->ip.family == 6 ? "ip6" : "ip4";

	if (o == NULL)
		return;
	/* Without --ip the record is still evaluated (for an address of TEST-NET-1, which no
	 * record authorises) so that its syntax, its lookups and their limits are checked. */
	memset(&probe, 0, sizeof(probe));
	probe.family = 4;
	probe.b[0] = 192;
	probe.b[2] = 2;
	spf_check_host(d->ipt != NULL ? &d->ip : &probe, d->domain, NULL, spf_lookup, d, o);
	switch (o->result) {
	case SPF_NONE:
		doc_stepf(d->rep, "spf", "SPF record", DOC_FAILED,
			  "%s has no SPF record (no TXT record beginning with v=spf1)" SEP
			  "Publish a TXT record at %s: \"v=spf1 %s:%s -all\" (add the other "
			  "services that send for the domain, e.g. include:...). Without SPF many "
			  "receivers treat the mail as suspect or refuse it.",
			  d->domain, d->domain, mech, suggest);
		break;
	case SPF_PASS:
		d->spf_ok = true;
		if (passes_all(o->record)) {
			doc_stepf(
				d->rep, "spf", "SPF record", DOC_WARNING,
				"%s; %s; but its +all authorises every address on the internet: "
				"anyone may send as %s and pass SPF" SEP
				"End the record with -all (or ~all while you check), after the "
				"%s: terms and includes of the services that send for the domain.",
				o->record, o->why, d->domain, mech);
			break;
		}
		doc_stepf(d->rep, "spf", "SPF record", DOC_OK, "%s; %s", o->record, o->why);
		break;
	case SPF_FAIL:
	case SPF_SOFTFAIL:
	case SPF_NEUTRAL:
		if (d->ipt == NULL) {
			d->spf_ok = true;
			doc_stepf(d->rep, "spf", "SPF record", DOC_OK,
				  "%s: valid, %u DNS lookups of the 10 allowed" SEP
				  "Give --ip with your sending address to check that the record "
				  "authorises it.",
				  o->record, o->lookups);
			break;
		}
		doc_stepf(d->rep, "spf", "SPF record", DOC_FAILED,
			  "%s; %s" SEP
			  "Add %s:%s to the record (before its 'all'), or include the record of "
			  "the service that owns the address. Receivers check it against the "
			  "address the mail comes from.",
			  o->record, o->why, mech, d->ipt);
		break;
	case SPF_TEMPERROR:
		doc_stepf(
			d->rep, "spf", "SPF record", DOC_FAILED,
			"%s; a DNS lookup failed for now: %s" SEP
			"Receivers defer or refuse while this lasts; check the DNS servers of the "
			"names involved.",
			o->record, o->why);
		break;
	case SPF_PERMERROR:
		doc_stepf(
			d->rep, "spf", "SPF record", DOC_FAILED, "%s%s%s" SEP "%s", o->record,
			o->record[0] != '\0' ? "; " : "", o->why,
			o->multiple ? "Merge the records into one: a domain may publish only one "
				      "SPF record, and with two every receiver gets a permerror."
			: o->limit_exceeded
				? "Evaluating the record needs more DNS lookups than RFC 7208 "
				  "allows; replace includes by the ip4:/ip6: ranges they give, or "
				  "remove services that no longer send for the domain."
			: o->loop ? "Remove the include or redirect that leads back to a record "
				    "already being evaluated."
				  : "Correct the record: receivers treat an invalid SPF record "
				    "as a permanent error.");
		break;
	case SPF_UNEVALUATED:
		doc_stepf(
			d->rep, "spf", "SPF record", DOC_WARNING,
			"%s; %s" SEP
			"Check this record with another SPF evaluator; tern cannot say whether it "
			"authorises the address.",
			o->record, o->why);
		break;
	}
	free(o);
}

/* ---- dkim ---------------------------------------------------------------------------------- */

/* The d= tern signs mail From the domain with: a "FROMDOMAIN=DOMAIN" override of [dkim]
 * signing_domains, else the domain itself. (Per-user overrides depend on who sends.) */
static void signing_domain(struct dnsdoc *d)
{
	char copy[1024], *save = NULL;

	snprintf(d->dkim_domain, sizeof(d->dkim_domain), "%s", d->domain);
	if (!d->have_cfg)
		return;
	snprintf(copy, sizeof(copy), "%s", d->cfg.dkim_signing_domains);
	for (char *t = strtok_r(copy, " ,\t", &save); t; t = strtok_r(NULL, " ,\t", &save)) {
		char *eq = strchr(t, '=');
		if (eq != NULL && (size_t)(eq - t) == strlen(d->domain) &&
		    strncasecmp(t, d->domain, strlen(d->domain)) == 0)
			snprintf(d->dkim_domain, sizeof(d->dkim_domain), "%s", eq + 1);
	}
}

struct pick {
	char selector[STORE_DKIM_SELECTOR_MAX + 1];
	int rank; /* active 2, pending 1 */
};

static int pick_key(const struct store_dkim_key *k, void *ctx)
{
	struct pick *p = ctx;
	int rank = k->state == STORE_DKIM_ACTIVE ? 2 : k->state == STORE_DKIM_PENDING ? 1 : 0;

	if (rank > p->rank) {
		p->rank = rank;
		snprintf(p->selector, sizeof(p->selector), "%s", k->selector);
	}
	return 0;
}

/* The first DKIM key record among TXT records (one with a p= tag), or NULL. */
static const char *dkim_record_of(const struct doc_strings *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (strstr(s->s[i], "p=") != NULL || strncasecmp(s->s[i], "v=DKIM1", 7) == 0)
			return s->s[i];
	return NULL;
}

/* A record found at the right name: parses, is not revoked, holds tern's key. */
static void dkim_check_record(struct dnsdoc *d, const char *name, const char *via, const char *rec)
{
	struct dkim_key_record kr;
	struct store_dkim_key k;
	struct buf value = BUF_INIT;
	struct dkim_key_record ours;
	char err[300], where[600];

	snprintf(where, sizeof(where), "%s%s%s", name, via[0] != '\0' ? " (a CNAME to " : "", via);
	if (via[0] != '\0')
		strncat(where, ")", sizeof(where) - strlen(where) - 1);
	if (!dkim_key_record_parse(rec, &kr, err, sizeof(err))) {
		doc_stepf(d->rep, "dkim", "DKIM record", DOC_FAILED,
			  "the record at %s is not a valid DKIM key record: %s (\"%.120s%s\")" SEP
			  "Publish the record exactly as 'tern dkim show %s %s' prints it.",
			  where, err, rec, strlen(rec) > 120 ? "..." : "", d->domain, d->selector);
		return;
	}
	if (kr.revoked) {
		doc_stepf(d->rep, "dkim", "DKIM record", DOC_FAILED,
			  "the record at %s has an empty p=: the key is revoked, and signatures "
			  "made with it fail" SEP
			  "Sign with another selector, or publish the key again ('tern dkim show "
			  "%s %s').",
			  where, d->domain, d->selector);
		return;
	}
	if (d->st == NULL || store_dkim_get(d->st, d->domain, d->selector, &k) != 0) {
		doc_stepf(d->rep, "dkim", "DKIM record", DOC_WARNING,
			  "a valid %s key record at %s; tern has no key with selector %s for %s, "
			  "so whether it matches the signing key was not checked" SEP
			  "If tern signs this domain's mail, create its key with 'tern dkim keygen "
			  "%s' (or name tern's selector with --selector).",
			  kr.k, where, d->selector, d->domain, d->domain);
		return;
	}
	if (dkim_txt_value(k.key_path, &value, err, sizeof(err)) < 0) {
		doc_stepf(d->rep, "dkim", "DKIM record", DOC_FAILED,
			  "tern's key for selector %s cannot be read: %s" SEP
			  "Restore the key file, or make a new key with 'tern dkim rotate %s'.",
			  d->selector, err, d->domain);
		buf_free(&value);
		return;
	}
	if (dkim_key_record_parse(buf_cstr(&value), &ours, err, sizeof(err)) &&
	    strcasecmp(kr.k, ours.k) != 0) {
		doc_stepf(d->rep, "dkim", "DKIM record", DOC_FAILED,
			  "the record at %s says k=%s, but tern's key for selector %s is %s: "
			  "receivers read the key as the wrong type, and every signature fails" SEP
			  "Publish the record exactly as 'tern dkim show %s %s' prints it (k=%s).",
			  where, kr.k, d->selector, ours.k, d->domain, d->selector, ours.k);
	} else if (!dkim_record_has_key(rec, buf_cstr(&value))) {
		doc_stepf(d->rep, "dkim", "DKIM record", DOC_FAILED,
			  "the key published at %s is not the public key of tern's private key for "
			  "selector %s: receivers will find every signature broken (dkim=fail)" SEP
			  "Replace the record's value with the one 'tern dkim show %s %s' prints "
			  "(an old key, or a key pasted from another system, is published now).",
			  where, d->selector, d->domain, d->selector);
	} else {
		d->dkim_ok = true;
		doc_stepf(d->rep, "dkim", "DKIM record", DOC_OK,
			  "%s: a valid %s key record%s, the public key of tern's key for selector "
			  "%s",
			  where, kr.k, kr.testing ? " (t=y: testing mode)" : "", d->selector);
	}
	buf_free(&value);
}

/* The parent domains a zone-relative form may have appended: the domain itself, then each
 * parent with at least two labels. */
static size_t zones_of(const char *domain, const char *out[8])
{
	size_t n = 0;

	for (const char *p = domain; p != NULL && n < 8; p = strchr(p, '.')) {
		if (*p == '.')
			p++;
		if (strchr(p, '.') == NULL)
			break;
		out[n++] = p;
	}
	return n;
}

/* Nothing at the right name: a CNAME to nowhere, a CNAME target without its trailing dot, a
 * record at a zone-relative name, or nothing at all. */
static void dkim_missing(struct dnsdoc *d, const char *name)
{
	struct doc_strings cn = { 0 }, t = { 0 };
	const char *zones[8];
	size_t nz = zones_of(d->domain, zones);
	char alt[1100];

	doc_dns_names(&d->dns, name, DNS_CNAME, &cn);
	if (cn.status == DNS_OK && cn.n > 0) {
		const char *target = cn.s[0];
		for (size_t i = 0; i < nz; i++) {
			size_t tl = strlen(target), zl = strlen(zones[i]);
			if (tl <= zl + 1 || target[tl - zl - 1] != '.' ||
			    strcmp(target + tl - zl, zones[i]) != 0)
				continue;
			snprintf(alt, sizeof(alt), "%.*s", (int)(tl - zl - 1), target);
			doc_dns_txt(&d->dns, alt, &t);
			if (dkim_record_of(&t) != NULL) {
				doc_stepf(d->rep, "dkim", "DKIM record", DOC_FAILED,
					  "%s is a CNAME to %s, which does not exist; the record "
					  "is at %s: the CNAME's target was entered without its "
					  "trailing dot, so the DNS provider appended the zone "
					  "(%s)" SEP
					  "Change the CNAME's target to \"%s.\" (with the final "
					  "dot), or enter it the way your provider's form expects.",
					  name, target, alt, zones[i], alt);
				doc_strings_free(&t);
				doc_strings_free(&cn);
				return;
			}
			doc_strings_free(&t);
		}
		doc_stepf(d->rep, "dkim", "DKIM record", DOC_FAILED,
			  "%s is a CNAME to %s, which has no DKIM record (a CNAME to nowhere)" SEP
			  "Point the CNAME at the name where the key is published, or replace it "
			  "with the TXT record 'tern dkim show %s %s' prints.",
			  name, target, d->domain, d->selector);
		doc_strings_free(&cn);
		return;
	}
	doc_strings_free(&cn);
	for (size_t i = 0; i < nz; i++) {
		snprintf(alt, sizeof(alt), "%s.%s", name, zones[i]);
		doc_dns_txt(&d->dns, alt, &t);
		if (dkim_record_of(&t) == NULL) {
			doc_strings_free(&t);
			doc_dns_names(&d->dns, alt, DNS_CNAME, &t);
		}
		if (t.n > 0) {
			size_t rel = strlen(name) - strlen(zones[i]) - 1;
			doc_stepf(d->rep, "dkim", "DKIM record", DOC_FAILED,
				  "no DKIM record at %s, but there is one at %s: the full name was "
				  "typed into a DNS form that is relative to the zone %s, which "
				  "appended the zone again" SEP
				  "Move the record to %s: enter only \"%.*s\" as its name in that "
				  "form, or the full name with a trailing dot (\"%s.\").",
				  name, alt, zones[i], name, (int)rel, name, name);
			doc_strings_free(&t);
			return;
		}
		doc_strings_free(&t);
	}
	doc_stepf(d->rep, "dkim", "DKIM record", DOC_FAILED,
		  "no DKIM record at %s (no TXT record and no CNAME)" SEP
		  "Publish the record 'tern dkim show %s %s' prints; receivers cannot verify "
		  "tern's signatures until it is there.",
		  name, d->domain, d->selector);
}

static void step_dkim(struct dnsdoc *d)
{
	struct pick p = { "", 0 };
	struct doc_strings txt = { 0 };
	char name[600];
	const char *rec;

	if (d->selector == NULL && d->st != NULL &&
	    store_dkim_list(d->st, d->domain, pick_key, &p) == 0 && p.rank > 0)
		d->selector = p.selector;
	if (d->selector == NULL) {
		doc_stepf(d->rep, "dkim", "DKIM record", DOC_SKIPPED,
			  "no --selector given, and tern has no DKIM key for %s" SEP
			  "Make one with 'tern dkim keygen %s', or name the selector with "
			  "--selector.",
			  d->domain, d->domain);
		return;
	}
	snprintf(name, sizeof(name), "%s._domainkey.%s", d->selector, d->domain);
	doc_dns_txt(&d->dns, name, &txt);
	if (txt.status == DNS_TEMPFAIL) {
		doc_stepf(d->rep, "dkim", "DKIM record", DOC_FAILED,
			  "%s" SEP "Check the domain's DNS servers; receivers defer while the key "
			  "cannot be looked up.",
			  txt.error);
	} else if ((rec = dkim_record_of(&txt)) != NULL) {
		struct doc_strings cn = { 0 };
		doc_dns_names(&d->dns, name, DNS_CNAME, &cn);
		dkim_check_record(d, name, cn.n > 0 ? cn.s[0] : "", rec);
		doc_strings_free(&cn);
	} else {
		dkim_missing(d, name);
	}
	doc_strings_free(&txt);
}

/* ---- dmarc --------------------------------------------------------------------------------- */

/* A TXT record that means to be DMARC's but has v=DMARC1 elsewhere than first, or NULL. */
static const char *misplaced_version(const struct doc_strings *txt)
{
	for (size_t i = 0; i < txt->n; i++)
		if (strcasestr(txt->s[i], "v=DMARC1") != NULL && !dmarc_is_record(txt->s[i]))
			return txt->s[i];
	return NULL;
}

static void step_dmarc(struct dnsdoc *d)
{
	struct doc_strings txt = { 0 };
	struct dmarc_record dr;
	const char *found = NULL, *at = d->domain, *org;
	char name[300], err[300];
	size_t count = 0;
	bool dkim_al, spf_al;

	/* The list is read here, the one step that needs it. */
	d->psl = load_psl();
	org = dmarc_org_domain(d->domain, d->psl);
	snprintf(name, sizeof(name), "_dmarc.%s", d->domain);
	doc_dns_txt(&d->dns, name, &txt);
	for (size_t i = 0; i < txt.n; i++)
		if (dmarc_is_record(txt.s[i]) && count++ == 0)
			found = txt.s[i];
	if (count == 0 && (found = misplaced_version(&txt)) != NULL) {
		doc_stepf(d->rep, "dmarc", "DMARC record", DOC_FAILED,
			  "the TXT record at _dmarc.%s names v=DMARC1 but does not begin with it "
			  "(\"%s\"): receivers ignore it, as if there were no DMARC record (RFC "
			  "7489 6.4: v=DMARC1 comes first)" SEP
			  "Rewrite it with v=DMARC1 first, e.g. \"v=DMARC1; p=none; "
			  "rua=mailto:dmarc-reports@%s\".",
			  at, found, d->domain);
		goto done;
	}
	if (count == 0 && txt.status != DNS_TEMPFAIL && strcmp(org, d->domain) != 0) {
		/* RFC 7489 6.6.3: without a record at the domain, its organizational domain's */
		doc_strings_free(&txt);
		at = org;
		snprintf(name, sizeof(name), "_dmarc.%s", org);
		doc_dns_txt(&d->dns, name, &txt);
		for (size_t i = 0; i < txt.n; i++)
			if (dmarc_is_record(txt.s[i]) && count++ == 0)
				found = txt.s[i];
	}
	if (txt.status == DNS_TEMPFAIL) {
		doc_stepf(d->rep, "dmarc", "DMARC record", DOC_FAILED,
			  "%s" SEP "Check the domain's DNS servers.", txt.error);
		goto done;
	}
	if (count == 0) {
		doc_stepf(d->rep, "dmarc", "DMARC record", DOC_FAILED,
			  "no DMARC record at _dmarc.%s (a TXT record beginning with v=DMARC1)" SEP
			  "Publish a TXT record at _dmarc.%s: \"v=DMARC1; p=none; "
			  "rua=mailto:dmarc-reports@%s\" to start; once the reports show only your "
			  "own mail passing, raise p= to quarantine, then reject. Large mailbox "
			  "providers expect a DMARC record from bulk senders.",
			  d->domain, d->domain, d->domain);
		goto done;
	}
	if (count > 1) {
		doc_stepf(d->rep, "dmarc", "DMARC record", DOC_FAILED,
			  "_dmarc.%s has %zu DMARC records; with more than one, receivers apply "
			  "none (RFC 7489 6.6.3)" SEP "Keep one record and delete the others.",
			  at, count);
		goto done;
	}
	if (!dmarc_parse(found, &dr, err, sizeof(err))) {
		doc_stepf(d->rep, "dmarc", "DMARC record", DOC_FAILED,
			  "the record at _dmarc.%s is invalid: %s (\"%s\")" SEP
			  "Correct it, e.g. \"v=DMARC1; p=none; rua=mailto:dmarc-reports@%s\".",
			  at, err, found, d->domain);
		goto done;
	}
	dkim_al = dmarc_aligned(d->domain, d->dkim_domain, dr.adkim, d->psl);
	/* tern sends with the approved sender's address as the envelope sender: the SPF domain
	 * is the From domain */
	spf_al = dmarc_aligned(d->domain, d->domain, dr.aspf, d->psl);
	if (!dkim_al) {
		doc_stepf(d->rep, "dmarc", "DMARC record", DOC_WARNING,
			  "%s (at _dmarc.%s); tern signs mail from %s with d=%s, which is not "
			  "aligned with the From domain (adkim=%c): DMARC rests on SPF alone" SEP
			  "Sign as %s (remove the %s= entry of [dkim] signing_domains, or make it "
			  "a domain under %s).",
			  found, at, d->domain, d->dkim_domain, dr.adkim, d->domain, d->domain,
			  dmarc_org_domain(d->domain, d->psl));
		goto done;
	}
	doc_stepf(d->rep, "dmarc", "DMARC record", DOC_OK,
		  "%s (at _dmarc.%s): policy %s%s; the From domain %s is aligned with the DKIM "
		  "d=%s (adkim=%c) %s with the SPF domain (aspf=%c)%s",
		  found, at, dmarc_policy_name(dr.p),
		  dr.p == DMARC_P_NONE ? " (receivers only report)" : "", d->domain, d->dkim_domain,
		  dr.adkim, spf_al ? "and" : "but not", dr.aspf,
		  dr.has_rua ? "" : "; no rua= address, so no aggregate reports come back");
done:
	doc_strings_free(&txt);
}

/* ---- ptr ----------------------------------------------------------------------------------- */

static bool same_ip(const struct sockaddr_storage *ss, const struct spf_ip *ip)
{
	if (ss->ss_family == AF_INET && ip->family == 4)
		return memcmp(&((const struct sockaddr_in *)ss)->sin_addr, ip->b, 4) == 0;
	if (ss->ss_family == AF_INET6 && ip->family == 6)
		return memcmp(&((const struct sockaddr_in6 *)ss)->sin6_addr, ip->b, 16) == 0;
	return false;
}

static void step_ptr(struct dnsdoc *d)
{
	struct doc_strings names = { 0 };
	struct dns_mx_result *res;
	struct buf seen = BUF_INIT;
	char a[INET6_ADDRSTRLEN];

	if (d->ipt == NULL) {
		doc_step(d->rep, "ptr", "Reverse DNS (PTR) of the sending address", DOC_SKIPPED,
			 "no sending address given",
			 "Give --ip with the address tern sends from to check its PTR record.");
		return;
	}
	doc_dns_names(&d->dns, d->ipt, DNS_PTR, &names);
	if (names.status == DNS_TEMPFAIL) {
		doc_stepf(d->rep, "ptr", "Reverse DNS (PTR) of the sending address", DOC_FAILED,
			  "%s" SEP "The reverse zone's DNS servers do not answer; ask whoever "
			  "provides the address.",
			  names.error);
		doc_strings_free(&names);
		return;
	}
	if (names.n == 0) {
		doc_stepf(d->rep, "ptr", "Reverse DNS (PTR) of the sending address", DOC_FAILED,
			  "%s has no reverse DNS name (no PTR record)" SEP
			  "Ask whoever provides the address (hosting provider, ISP) to set its PTR "
			  "record to a name that resolves back to it, such as mail.%s. Many "
			  "receivers refuse mail without one: \"450 4.7.1 Client host rejected: "
			  "cannot find your reverse hostname\".",
			  d->ipt, d->domain);
		doc_strings_free(&names);
		return;
	}
	if ((res = calloc(1, sizeof(*res))) == NULL) {
		doc_strings_free(&names);
		return;
	}
	for (size_t i = 0; i < names.n; i++) {
		doc_dns_host(&d->dns, names.s[i], res);
		for (size_t k = 0; k < res->hosts[0].naddrs; k++) {
			if (same_ip(&res->hosts[0].addrs[k], &d->ip)) {
				doc_stepf(d->rep, "ptr", "Reverse DNS (PTR) of the sending address",
					  DOC_OK,
					  "%s has the name %s, which resolves back to it "
					  "(forward-confirmed)",
					  d->ipt, names.s[i]);
				goto done;
			}
		}
		buf_printf(&seen, "%s%s resolves to ", i > 0 ? "; " : "", names.s[i]);
		for (size_t k = 0; k < res->hosts[0].naddrs; k++)
			buf_printf(&seen, "%s%s", k > 0 ? ", " : "",
				   cli_addr_text(&res->hosts[0].addrs[k], a, sizeof(a)));
		if (res->hosts[0].naddrs == 0)
			buf_printf(&seen, "nothing (%s)", dns_status_name(res->status));
	}
	doc_stepf(d->rep, "ptr", "Reverse DNS (PTR) of the sending address", DOC_FAILED,
		  "the PTR name of %s does not resolve back to it: %s" SEP
		  "Give the PTR name an A (or AAAA) record with %s, or have the PTR changed to a "
		  "name that has one: receivers check both directions and refuse mail when they "
		  "disagree (\"cannot find your reverse hostname\").",
		  d->ipt, buf_cstr(&seen), d->ipt);
done:
	free(res);
	buf_free(&seen);
	doc_strings_free(&names);
}

/* ---- the command --------------------------------------------------------------------------- */

static int usage_error(const char *what, const char *arg)
{
	fprintf(stderr, "tern doctor dns: %s%s\n", what, arg);
	doctor_usage(stderr);
	return CLI_USAGE;
}

int doctor_dns(int argc, char **argv)
{
	const char *path = setup_config_path(&argc, argv);
	struct dnsdoc *d = calloc(1, sizeof(*d));
	const char *dns_opt = NULL;
	bool json = false;
	char err[600];
	int rc = CLI_PROBLEM;

	if (d == NULL)
		return CLI_PROBLEM;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (strcmp(argv[i], "--selector") == 0 && i + 1 < argc)
			d->selector = argv[++i];
		else if (strcmp(argv[i], "--ip") == 0 && i + 1 < argc)
			d->ipt = argv[++i];
		else if (strcmp(argv[i], "--dns") == 0 && i + 1 < argc)
			dns_opt = argv[++i];
		else if (argv[i][0] == '-' || d->domain != NULL) {
			rc = usage_error("unexpected argument: ", argv[i]);
			goto out;
		} else
			d->domain = argv[i];
	}
	if (d->domain == NULL) {
		rc = usage_error("name the domain to check", "");
		goto out;
	}
	if (d->ipt != NULL && !spf_ip_parse(d->ipt, strlen(d->ipt), &d->ip)) {
		rc = usage_error("--ip is not an IPv4 or IPv6 address: ", d->ipt);
		goto out;
	}
	/* The configuration gives the resolver and tern's DKIM keys; without one the checks
	 * that need it say so. */
	if (access(path, F_OK) == 0) {
		if (config_load(path, &d->cfg, err, sizeof(err)) != 0) {
			fprintf(stderr, "tern doctor dns: %s\n", err);
			goto out;
		}
		d->have_cfg = true;
		if (access(d->cfg.store_path, F_OK) == 0 &&
		    store_open_sqlite(d->cfg.store_path, &d->st, err, sizeof(err)) != 0)
			d->st = NULL;
	}
	if (!doc_dns_open(&d->dns, doc_dns_servers(dns_opt, &d->cfg, d->have_cfg),
			  d->have_cfg ? d->cfg.dns_timeout : 2, err, sizeof(err))) {
		rc = usage_error(err, "");
		goto out;
	}
	signing_domain(d);
	d->rep = doc_report_new("dns", d->domain, json);
	if (step_mx(d)) {
		step_spf(d);
		step_dkim(d);
		step_dmarc(d);
		step_ptr(d);
	} else {
		const char *why = "skipped: the domain's records cannot be looked up (see mx)";
		doc_step(d->rep, "spf", "SPF record", DOC_SKIPPED, why, "");
		doc_step(d->rep, "dkim", "DKIM record", DOC_SKIPPED, why, "");
		doc_step(d->rep, "dmarc", "DMARC record", DOC_SKIPPED, why, "");
		doc_step(d->rep, "ptr", "Reverse DNS (PTR) of the sending address", DOC_SKIPPED,
			 why, "");
	}
	rc = doc_report_end(d->rep);
	doc_dns_close(&d->dns);
out:
	psl_free(d->psl);
	store_close(d->st);
	free(d);
	return rc;
}
