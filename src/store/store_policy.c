/*
 * store_policy.c - the backend-independent half of the policy part of the store (store.h):
 * argument checks and the lower-casing of addresses, before the backend is called. A backend
 * therefore only ever sees well-formed, lower-cased keys.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

static const char *const reason_names[] = {
	[STORE_SUPPRESS_MANUAL] = "manual",
	[STORE_SUPPRESS_BOUNCE] = "bounce",
	[STORE_SUPPRESS_COMPLAINT] = "complaint",
	[STORE_SUPPRESS_UNSUBSCRIBE] = "unsubscribe",
};
#define REASONS ((int)(sizeof(reason_names) / sizeof(reason_names[0])))

const char *store_suppress_reason_name(enum store_suppress_reason r)
{
	return (int)r >= 0 && (int)r < REASONS ? reason_names[r] : "unknown";
}

int store_suppress_reason_parse(const char *name)
{
	for (int i = 0; name != NULL && i < REASONS; i++)
		if (strcmp(name, reason_names[i]) == 0)
			return i;
	return -1;
}

/* Copies s lower-cased (ASCII letters only) into out[STORE_ADDR_MAX + 1]. False when empty,
 * too long, or holding a control character or space. */
static bool lower(const char *s, char *out)
{
	size_t n = 0;

	if (s == NULL)
		return false;
	for (; s[n] != '\0'; n++) {
		unsigned char c = (unsigned char)s[n];
		if (n == STORE_ADDR_MAX || c <= ' ' || c == 127)
			return false;
		out[n] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	out[n] = '\0';
	return n > 0;
}

/* "local@domain" (one '@', both sides non-empty) or "@domain". */
static bool sender_shape(const char *s)
{
	const char *at = strrchr(s, '@');

	return at != NULL && at[1] != '\0' && strchr(at + 1, '@') == NULL &&
	       (at == s || strchr(s, '@') == at);
}

int store_sender_add(struct store *st, const char *user, const char *sender)
{
	char v[STORE_ADDR_MAX + 1];

	if (!store_name_valid(user) || !lower(sender, v) || !sender_shape(v))
		return -EINVAL;
	return st->ops->policy->sender_add(st, user, v);
}

int store_sender_remove(struct store *st, const char *user, const char *sender)
{
	char v[STORE_ADDR_MAX + 1];

	if (!store_name_valid(user) || !lower(sender, v) || !sender_shape(v))
		return -EINVAL;
	return st->ops->policy->sender_remove(st, user, v);
}

int store_sender_list(struct store *st, const char *user, int (*cb)(const char *sender, void *ctx),
		      void *ctx)
{
	if (!store_name_valid(user))
		return -EINVAL;
	return st->ops->policy->sender_list(st, user, cb, ctx);
}

int store_sender_allowed(struct store *st, const char *user, const char *address, bool *ok)
{
	char v[STORE_ADDR_MAX + 1], *at;

	*ok = false;
	if (!store_name_valid(user) || !lower(address, v) || (at = strrchr(v, '@')) == NULL ||
	    at == v || !sender_shape(v))
		return -EINVAL;
	return st->ops->policy->sender_allowed(st, user, v, at, ok);
}

/* Checks an entry and copies it into out with the address lower-cased. */
static bool entry_valid(const struct store_suppression *e, struct store_suppression *out)
{
	if (e == NULL || (int)e->reason < 0 || (int)e->reason >= REASONS || e->expires < 0)
		return false;
	if (memchr(e->source, '\0', sizeof(e->source)) == NULL)
		return false;
	if (!lower(e->address, out->address) || strchr(out->address, '@') == NULL)
		return false;
	out->reason = e->reason;
	memcpy(out->source, e->source, sizeof(out->source));
	out->created = e->created;
	out->expires = e->expires;
	return true;
}

int store_suppress_add(struct store *st, const struct store_suppression *e)
{
	return store_suppress_add_many(st, e, 1);
}

int store_suppress_add_many(struct store *st, const struct store_suppression *v, size_t n)
{
	struct store_suppression *copy;
	int rc;

	if (n == 0)
		return 0;
	if (v == NULL || (copy = calloc(n, sizeof(*copy))) == NULL)
		return v == NULL ? -EINVAL : -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (!entry_valid(&v[i], &copy[i])) {
			free(copy);
			return -EINVAL; /* all or nothing: nothing was written */
		}
	}
	rc = st->ops->policy->suppress_put(st, copy, n);
	free(copy);
	return rc;
}

int store_suppress_remove(struct store *st, const char *address)
{
	char v[STORE_ADDR_MAX + 1];

	if (!lower(address, v))
		return -EINVAL;
	return st->ops->policy->suppress_remove(st, v);
}

int store_suppress_get(struct store *st, const char *address, int64_t now,
		       struct store_suppression *out)
{
	struct store_suppression tmp;
	char v[STORE_ADDR_MAX + 1];

	if (!lower(address, v))
		return -ENOENT; /* cannot be on the list */
	return st->ops->policy->suppress_get(st, v, now, out != NULL ? out : &tmp);
}

int store_suppress_list(struct store *st, const struct store_suppress_filter *f,
			int (*cb)(const struct store_suppression *e, void *ctx), void *ctx)
{
	if (f == NULL || f->reason < -1 || f->reason >= REASONS)
		return -EINVAL;
	return st->ops->policy->suppress_list(st, f, cb, ctx);
}

int store_suppress_count(struct store *st, int64_t now, size_t *out)
{
	return st->ops->policy->suppress_count(st, now, out);
}

int store_limits_get(struct store *st, const char *user, struct store_limits *out)
{
	if (!store_name_valid(user))
		return -EINVAL;
	return st->ops->policy->limits_get(st, user, out);
}

int store_limits_set(struct store *st, const char *user, const struct store_limits *in)
{
	const int64_t f[] = { in->per_minute,	   in->per_hour,       in->per_day,
			      in->domain_per_hour, in->max_recipients, in->max_message_size };

	if (!store_name_valid(user))
		return -EINVAL;
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (f[i] < STORE_LIMIT_DEFAULT)
			return -EINVAL;
	return st->ops->policy->limits_set(st, user, in);
}

int store_usage_add(struct store *st, const struct store_usage *v, size_t n)
{
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!store_name_valid(v[i].user) || v[i].domain == NULL)
			return -EINVAL;
	return st->ops->policy->usage_add(st, v, n);
}

int store_usage_sum(struct store *st, const char *user, const char *domain, int64_t from,
		    int64_t to, uint64_t *out)
{
	*out = 0;
	if (!store_name_valid(user) || domain == NULL)
		return -EINVAL;
	return st->ops->policy->usage_sum(st, user, domain, from, to, out);
}

int store_usage_load(struct store *st, int64_t since,
		     int (*cb)(const struct store_usage *u, void *ctx), void *ctx)
{
	return st->ops->policy->usage_load(st, since, cb, ctx);
}

int store_usage_prune(struct store *st, int64_t before)
{
	return st->ops->policy->usage_prune(st, before);
}

int store_data_version(struct store *st, int64_t *out)
{
	return st->ops->policy->data_version(st, out);
}
