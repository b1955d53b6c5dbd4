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

#include "proto/header.h"
#include "submit/submit_int.h"

struct signer_ref {
	struct dkim_signer *s;
	unsigned refs;
};

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
	struct signer_ref *r;
	enum dkim_canon hc, bc;

	if (!cfg->dkim_enabled) {
		ref_put(srv->signer);
		srv->signer = NULL;
		return 0;
	}
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

bool sign_start(struct server *srv, struct sign_request *q)
{
	struct sign_job *j;

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
