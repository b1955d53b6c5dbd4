/*
 * sign.c - DKIM signing of accepted messages, on the thread pool, before they are spooled.
 *
 * A message is signed once, as it will be transmitted (retries never sign again), for the
 * domain of its header From (aligned, as DMARC wants). Signing is CPU work (RSA-2048 takes
 * about a millisecond): it never runs on the event loop. The signer is reloaded when the store
 * changes (a key added, rotated or removed); a signing job keeps the signer it started with.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "proto/header.h"
#include "submit/submit_int.h"

struct signer_ref {
	struct dkim_signer *s;
	unsigned refs;
};

/* One entry of [dkim] signing_domains: for a user ("app:example.net") or for a From domain
 * ("shop.example.com=example.com"). */
#define SIGN_RULES_MAX 64
struct sign_rule {
	bool by_user;
	char key[256]; /* the user, or the From domain */
	char domain[256];
};

/* Parses signing_domains into rules; false with err naming the entry that is wrong. */
static bool parse_rules(const char *list, struct sign_rule *out, size_t *n, char *err,
			size_t errlen)
{
	char copy[1024], *save = NULL;

	*n = 0;
	snprintf(copy, sizeof(copy), "%s", list);
	for (char *t = strtok_r(copy, " ,\t", &save); t; t = strtok_r(NULL, " ,\t", &save)) {
		char *sep = strpbrk(t, ":=");
		struct sign_rule *r = &out[*n];
		if (*n == SIGN_RULES_MAX || sep == NULL || sep == t || sep[1] == '\0' ||
		    (size_t)(sep - t) >= sizeof(r->key) || strlen(sep + 1) >= sizeof(r->domain)) {
			snprintf(err, errlen,
				 "[dkim] signing_domains: '%s' is not USER:DOMAIN or "
				 "FROMDOMAIN=DOMAIN (at most %d entries)",
				 t, SIGN_RULES_MAX);
			return false;
		}
		r->by_user = *sep == ':';
		memcpy(r->key, t, (size_t)(sep - t));
		r->key[sep - t] = '\0';
		snprintf(r->domain, sizeof(r->domain), "%s", sep + 1);
		for (char *p = r->domain; *p; p++)
			*p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
		(*n)++;
	}
	return true;
}

struct approved_ctx {
	const char *want; /* "@domain" */
	bool found;
};

static int find_domain(const char *sender, void *ctx)
{
	struct approved_ctx *a = ctx;

	if (strcasecmp(sender, a->want) == 0)
		a->found = true;
	return 0;
}

/* The domain to sign as: an override that applies and that the user may sign as, else the
 * From domain. The approval (the user has @DOMAIN among its approved senders) is a store read:
 * overrides are rare, and the answer is the store's of this moment. */
static void signing_domain(struct server *srv, const char *user, struct sign_request *q)
{
	struct sign_rule rules[SIGN_RULES_MAX];
	char err[300], want[260];
	size_t n = 0;

	if (srv->gen->cfg.dkim_signing_domains[0] == '\0' ||
	    !parse_rules(srv->gen->cfg.dkim_signing_domains, rules, &n, err, sizeof(err)))
		return;
	for (size_t i = 0; i < n; i++) {
		const struct sign_rule *r = &rules[i];
		struct approved_ctx a = { want, false };
		if (r->by_user ? (user == NULL || strcmp(r->key, user) != 0)
			       : strcasecmp(r->key, q->domain) != 0)
			continue;
		snprintf(want, sizeof(want), "@%s", r->domain);
		if (user != NULL && user[0] != '\0')
			(void)store_sender_list(srv->store, user, find_domain, &a);
		if (!a.found) {
			log_event(
				srv->log, LOG_WARN, "dkim_signing_domain",
				"user=%s domain=%s from_domain=%s result=ignored hint=\"%s is not "
				"an approved domain of the user: tern sender add %s @%s\"",
				user && user[0] ? user : "(none)", r->domain, q->domain, r->domain,
				user && user[0] ? user : "USER", r->domain);
			return;
		}
		snprintf(q->domain, sizeof(q->domain), "%s", r->domain);
		return;
	}
}

static void ref_put(struct signer_ref *r)
{
	if (r != NULL && --r->refs == 0) {
		dkim_signer_free(r->s);
		free(r);
	}
}

int sign_load(struct server *srv, char *err, size_t errlen)
{
	const struct tern_config *cfg = &srv->gen->cfg;
	struct sign_rule rules[SIGN_RULES_MAX];
	struct signer_ref *r;
	enum dkim_canon hc, bc;
	size_t nrules;

	if (!cfg->dkim_enabled) {
		ref_put(srv->signer);
		srv->signer = NULL;
		return 0;
	}
	/* checked here, so that a typo stops the start (or a reload) rather than each message */
	if (!parse_rules(cfg->dkim_signing_domains, rules, &nrules, err, errlen))
		return -EINVAL;
	if (!dkim_canon_parse(cfg->dkim_canonicalization, &hc, &bc)) {
		snprintf(err, errlen,
			 "[dkim] canonicalization '%s' is not one of relaxed/relaxed, "
			 "relaxed/simple, simple/relaxed, simple/simple",
			 cfg->dkim_canonicalization);
		return -EINVAL;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if ((r->s = dkim_signer_load(srv->store, err, errlen)) == NULL) {
		free(r);
		return -EIO;
	}
	dkim_signer_set_canon(r->s, hc, bc);
	r->refs = 1;
	ref_put(srv->signer);
	srv->signer = r;
	return 0;
}

void sign_unload(struct server *srv)
{
	ref_put(srv->signer);
	srv->signer = NULL;
}

bool sign_from_domain(const uint8_t *msg, size_t len, bool smtputf8, char *out, size_t size)
{
	struct header_scan hs;
	struct mailbox_list *ml = malloc(sizeof(*ml));
	const char *at;
	bool ok = false;

	out[0] = '\0';
	if (ml == NULL)
		return false;
	header_scan(msg, len, len, &hs);
	if (hs.from.len == 0 ||
	    mailbox_list_parse(msg + hs.from.off, hs.from.len, smtputf8, ml) != MAILBOX_OK ||
	    ml->count == 0)
		goto done;
	if ((at = strrchr(ml->addr[0].text, '@')) == NULL)
		goto done;
	snprintf(out, size, "%s", at + 1);
	for (char *p = out; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	ok = out[0] != '\0';
done:
	free(ml);
	return ok;
}

struct sign_job {
	uv_work_t w;
	struct signer_ref *ref;
	struct sign_request *req;
	int64_t expire;
};

static void sign_work(uv_work_t *w)
{
	struct sign_job *j = w->data;
	struct sign_request *q = j->req;

	q->rc = dkim_sign(j->ref->s, q->domain, q->msg.data, q->msg.len, q->now, j->expire, &q->sig,
			  q->desc, sizeof(q->desc));
}

static void sign_done(uv_work_t *w, int status)
{
	struct sign_job *j = w->data;
	struct sign_request *q = j->req;

	if (status != 0)
		q->rc = status;
	ref_put(j->ref);
	free(j);
	q->done(q);
}

bool sign_start(struct server *srv, const char *user, struct sign_request *q)
{
	struct sign_job *j;

	signing_domain(srv, user, q);
	snprintf(q->desc, sizeof(q->desc), "none (no key for %s)",
		 q->domain[0] ? q->domain : "a message without a From domain");
	if (srv->signer == NULL || q->domain[0] == '\0' ||
	    !dkim_signer_has(srv->signer->s, q->domain))
		return false;
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return false;
	j->ref = srv->signer;
	j->ref->refs++;
	j->req = q;
	j->expire = srv->gen->cfg.dkim_expire;
	j->w.data = j;
	if (uv_queue_work(&srv->loop, &j->w, sign_work, sign_done) != 0) {
		ref_put(j->ref);
		free(j);
		return false;
	}
	return true;
}
