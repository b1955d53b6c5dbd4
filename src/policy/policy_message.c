/*
 * policy_message.c - the end-of-DATA checks of the sender policy: the header section's shape,
 * mail loops, and whether From and Sender name the sender (see policy.h).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "policy/policy.h"
#include "proto/header.h"

static bool refuse(struct smtp_verdict *v, enum smtp_reply_id id, const char *arg, const char *arg2)
{
	v->accept = false;
	v->reply = id;
	v->arg = arg;
	v->arg2 = arg2;
	return false;
}

static bool parse_error(struct policy_txn *t, struct smtp_verdict *v, const char *why)
{
	snprintf(t->arg, sizeof(t->arg), "%s", why);
	return refuse(v, SMTP_R_MESSAGE_PARSE, t->arg, NULL);
}

/* Parses a From or Sender value; a syntax error is refused with what was wrong. */
static bool mailboxes(const uint8_t *msg, struct header_span span, bool smtputf8,
		      struct policy_txn *t, struct mailbox_list *l, struct smtp_verdict *v)
{
	if (mailbox_list_parse(msg + span.off, span.len, smtputf8, l) == MAILBOX_OK)
		return true;
	snprintf(t->arg, sizeof(t->arg), "%s", l->bad);
	snprintf(t->arg2, sizeof(t->arg2), "%s", mailbox_error_text(l));
	return refuse(v, SMTP_R_FROM_SYNTAX, t->arg, t->arg2);
}

static bool approved(struct policy *p, struct policy_txn *t, const struct address *a)
{
	bool ok = false;

	return policy_sender_allowed(p, t->user, a->text, &ok) == 0 && ok;
}

bool policy_message(struct policy *p, const struct tern_config *cfg, struct policy_txn *t,
		    const uint8_t *msg, size_t len, bool smtputf8, struct smtp_verdict *v)
{
	struct header_scan h;
	struct mailbox_list from, sender;

	memset(v, 0, sizeof(*v));
	header_scan(msg, len, cfg->max_header_size, &h);
	if (h.too_big) {
		snprintf(t->arg2, sizeof(t->arg2), "header section larger than %llu bytes",
			 (unsigned long long)cfg->max_header_size);
		return parse_error(t, v, t->arg2);
	}
	if (!h.has_header)
		return parse_error(t, v,
				   "no header section; a message starts with fields "
				   "such as From: and Subject:, then an empty line");
	if (h.received > cfg->max_hops)
		return refuse(v, SMTP_R_TOO_MANY_HOPS, NULL, NULL);
	if (h.from_fields == 0)
		return parse_error(t, v, "no From field; add one naming the sender");
	if (h.from_fields > 1)
		return parse_error(t, v, "more than one From field; keep one");
	if (h.sender_fields > 1)
		return parse_error(t, v, "more than one Sender field; keep one");
	if (!mailboxes(msg, h.from, smtputf8, t, &from, v))
		return false;
	if (from.count != 1 && (from.count == 0 || !cfg->allow_multiple_from)) {
		snprintf(t->arg, sizeof(t->arg), "%zu", from.count);
		return refuse(v, SMTP_R_FROM_COUNT, t->arg, NULL);
	}
	if (h.sender_fields == 1 && !mailboxes(msg, h.sender, smtputf8, t, &sender, v))
		return false;
	if (t->user[0] == '\0') {
		v->accept = true; /* no sender policy for this client */
		return true;
	}
	if (from.count == 1 && t->mail_from[0] != '\0') {
		if (strcasecmp(from.addr[0].text, t->mail_from) != 0) {
			snprintf(t->arg, sizeof(t->arg), "%s", from.addr[0].text);
			return refuse(v, SMTP_R_FROM_MISMATCH, t->arg, t->mail_from);
		}
	} else {
		/* several mailboxes, or a bounce (null envelope sender): each must be approved */
		for (size_t i = 0; i < from.count && i < MAILBOX_MAX; i++) {
			if (!approved(p, t, &from.addr[i])) {
				snprintf(t->arg, sizeof(t->arg), "%s", from.addr[i].text);
				return refuse(v, SMTP_R_FROM_NOT_AUTHORIZED, t->arg, NULL);
			}
		}
	}
	if (h.sender_fields == 1) {
		if (sender.count != 1 || !approved(p, t, &sender.addr[0])) {
			snprintf(t->arg, sizeof(t->arg), "%s",
				 sender.count > 0 ? sender.addr[0].text : "");
			return refuse(v, SMTP_R_SENDER_FIELD_NOT_AUTHORIZED, t->arg, NULL);
		}
	}
	v->accept = true;
	return true;
}
