/*
 * doctor_dialogue.c - the second half of `tern doctor smtp` (see doctor_smtp.h): the dialogue
 * held through libtern as an application would hold it, each command a step: TLS (the
 * certificate checked, with verify_continue so that the dialogue goes on past a certificate
 * problem and every other fault can still be found), EHLO, AUTH, MAIL FROM, RCPT TO and, with
 * --send, a short message. Refusals are explained from the knowledge base through libtern.
 */
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <tern/client.h>

#include "cli/doctor.h"
#include "cli/doctor_smtp.h"

#define SEP		 SMTP_SEP
#define EXPIRY_WARN_DAYS 21

void smtp_explain(const struct tern_reply *r, char *out, size_t size)
{
	tern_reply_explain(r, out, size);
}

/* ---- the libtern connection ---------------------------------------------------------------- */

static const char *step_of_stage(enum tern_stage s)
{
	switch (s) {
	case TERN_STAGE_RESOLVE:
		return "resolve";
	case TERN_STAGE_CONNECT:
		return "connect";
	case TERN_STAGE_TLS:
	case TERN_STAGE_STARTTLS:
		return "tls";
	case TERN_STAGE_GREETING:
		return "greeting";
	case TERN_STAGE_EHLO:
		return "ehlo";
	case TERN_STAGE_AUTH:
		return "auth";
	case TERN_STAGE_MAIL:
		return "mail_from";
	case TERN_STAGE_RCPT:
		return "rcpt_to";
	default:
		return "send";
	}
}

/* A libtern failure as the failed step of its stage: the reply explained, or its message. */
static void report_error(struct smtpdoc *d, const struct tern_error *e, const char *hint)
{
	const char *name = step_of_stage(e->stage);
	char why[2048];

	if (e->code == TERN_E_REPLY) {
		smtp_explain(&e->reply, why, sizeof(why));
		doc_stepf(d->rep, name, smtp_step_title(name), DOC_FAILED,
			  "the server answered \"%d%s%s %s\"%s%s" SEP "%s", e->reply.code,
			  e->reply.enhanced[0] ? " " : "", e->reply.enhanced, e->reply.text,
			  hint[0] ? ": " : "", hint, why);
		return;
	}
	doc_stepf(d->rep, name, smtp_step_title(name), DOC_FAILED, "%s%s%s", e->message,
		  hint[0] ? " " : "", hint);
}

static void fmt_time(time_t t, char *out, size_t size)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, size, "%Y-%m-%d", &tm);
}

/* Whether the certificate holds host: its subjectAltName entries ("a, b"), or without them its
 * subject's CN; a wildcard stands for one whole leftmost label (RFC 6125 6.4.3). */
static bool name_matches(const char *names, const char *subject, const char *host)
{
	char list[600], *save = NULL;
	const char *cn;

	if (names[0] != '\0') {
		snprintf(list, sizeof(list), "%s", names);
	} else if ((cn = strstr(subject, "CN=")) != NULL) {
		snprintf(list, sizeof(list), "%.*s", (int)strcspn(cn + 3, ","), cn + 3);
	} else {
		return false;
	}
	for (char *n = strtok_r(list, ", ", &save); n; n = strtok_r(NULL, ", ", &save)) {
		const char *dot = strchr(host, '.');
		if (strcasecmp(n, host) == 0)
			return true;
		if (n[0] == '*' && n[1] == '.' && dot != NULL && dot != host &&
		    strcasecmp(n + 1, dot) == 0)
			return true;
	}
	return false;
}

/* The TLS step from the connection's certificate and parameters. A certificate with several
 * faults is named by the one to fix first: its dates, its name, then who issued it. */
static void step_tls(struct smtpdoc *d, const char *how)
{
	struct tern_tls_info ti;
	struct tern_error e;
	char until[32], who[1400];
	const char *host = d->is_name ? d->host : d->addrtext;
	time_t now = time(NULL);
	bool expired, self_signed, wrong_name;
	long days;

	if (tern_tls_info(d->c, &ti, &e) != 0) {
		doc_stepf(d->rep, "tls", "TLS", DOC_WARNING, "%s: no TLS details: %s", how,
			  e.message);
		return;
	}
	fmt_time(ti.not_after, until, sizeof(until));
	days = (long)((ti.not_after - now) / 86400);
	snprintf(who, sizeof(who),
		 "%s, %s; certificate %s (names: %s) issued by %s, valid until %s", ti.version,
		 ti.cipher, ti.subject, ti.names[0] ? ti.names : "none", ti.issuer, until);
	expired = ti.verify_code == X509_V_ERR_CERT_HAS_EXPIRED ||
		  ti.verify_code == X509_V_ERR_CERT_NOT_YET_VALID ||
		  (ti.not_after != 0 && now > ti.not_after) ||
		  (ti.not_before != 0 && now < ti.not_before);
	wrong_name = ti.verify_code == X509_V_ERR_HOSTNAME_MISMATCH ||
		     ti.verify_code == X509_V_ERR_IP_ADDRESS_MISMATCH ||
		     !name_matches(ti.names, ti.subject, host);
	self_signed = ti.verify_code == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT ||
		      ti.verify_code == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN ||
		      (!ti.verified && strcmp(ti.subject, ti.issuer) == 0);
	if (expired) {
		doc_stepf(d->rep, "tls", "TLS", DOC_FAILED,
			  "%s: %s; the certificate %s" SEP
			  "Renew the server's certificate and install the new one: clients that "
			  "check certificates (all of them by default) refuse to send until then.",
			  how, who, now > ti.not_after ? "has expired" : "is not valid yet");
	} else if (wrong_name) {
		doc_stepf(d->rep, "tls", "TLS", DOC_FAILED,
			  "%s: %s; the certificate is not valid for the name %s" SEP
			  "Connect with a name the certificate holds (see its names), or get a "
			  "certificate that includes %s, the name your application uses.",
			  how, who, host, host);
	} else if (self_signed) {
		doc_stepf(
			d->rep, "tls", "TLS", DOC_FAILED,
			"%s: %s; the certificate is self-signed, so nobody vouches for it" SEP
			"Clients refuse a self-signed certificate unless told to trust it: install "
			"one from a public authority (Let's Encrypt), or give clients this "
			"certificate as a trusted authority (--ca-file here).",
			how, who);
	} else if (!ti.verified) {
		doc_stepf(
			d->rep, "tls", "TLS", DOC_FAILED,
			"%s: %s; the certificate is not trusted: %s" SEP
			"The certificate does not chain to an authority this machine trusts: "
			"install the intermediate certificates on the server (the full chain), or "
			"give the authority with --ca-file.",
			how, who, ti.verify_error[0] ? ti.verify_error : "verification failed");
	} else if (days < EXPIRY_WARN_DAYS) {
		doc_stepf(d->rep, "tls", "TLS", DOC_WARNING,
			  "%s: %s; trusted, but it expires in %ld day%s" SEP
			  "Renew the certificate now (automatic renewal usually runs 30 days "
			  "ahead: check it works).",
			  how, who, days, days == 1 ? "" : "s");
	} else if (strcmp(ti.version, "TLSv1") == 0 || strcmp(ti.version, "TLSv1.1") == 0) {
		doc_stepf(d->rep, "tls", "TLS", DOC_WARNING,
			  "%s: %s; %s is obsolete (RFC 8996)" SEP
			  "Enable TLS 1.2 and 1.3 on the server.",
			  how, who, ti.version);
	} else {
		doc_stepf(d->rep, "tls", "TLS", DOC_OK, "%s: %s; chain trusted, name matches", how,
			  who);
	}
}

/* The EHLO step: every extension offered, the SIZE limit, STARTTLS and AUTH. */
static void step_ehlo(struct smtpdoc *d, const char *before_tls)
{
	const struct tern_reply *r = tern_last_reply(d->c);
	const char *ext = r != NULL ? strchr(r->text, '\n') : NULL;
	char list[1024] = "", size[64] = "no SIZE limit stated";
	const char *auth = tern_auth_mechanisms(d->c);

	for (const char *p = ext; p != NULL && *p != '\0';) {
		size_t n;
		p++;
		n = strcspn(p, "\n");
		if (n > 0)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%.*s",
				 list[0] ? ", " : "", (int)n, p);
		p += n;
	}
	if (tern_size_limit(d->c) > 0)
		snprintf(size, sizeof(size), "messages up to %llu bytes (%.1f MB)",
			 (unsigned long long)tern_size_limit(d->c),
			 (double)tern_size_limit(d->c) / (1024.0 * 1024.0));
	doc_stepf(d->rep, "ehlo", "EHLO", DOC_OK, "offers %s; %s; STARTTLS %s; AUTH %s%s%s",
		  list[0] ? list : "no extensions", size,
		  d->mode == M_IMPLICIT		  ? "not needed (TLS from the first byte)"
		  : tern_tls_active(d->c)	  ? "done"
		  : tern_offers(d->c, "STARTTLS") ? "offered"
						  : "not offered",
		  auth[0] ? auth : "not offered", before_tls[0] ? "; " : "", before_tls);
}

static void step_auth(struct smtpdoc *d)
{
	struct tern_error e;
	const char *hint = "";

	if (d->user == NULL) {
		doc_step(d->rep, "auth", "AUTH", DOC_SKIPPED, "no --user given",
			 "Give --user and --password-file to check the credentials.");
		return;
	}
	if (!tern_offers(d->c, "AUTH")) {
		doc_stepf(d->rep, "auth", "AUTH", DOC_FAILED,
			  "the server offers no AUTH%s, so credentials cannot be used" SEP "%s",
			  tern_tls_active(d->c) ? "" : " over this unencrypted connection",
			  tern_tls_active(d->c)
				  ? "The server does not take logins on this port: check the port "
				    "(587 or 465 for submission) and the server's configuration."
				  : "Use STARTTLS (--tls starttls) or implicit TLS: servers offer "
				    "AUTH "
				    "only once the connection is encrypted.");
		return;
	}
	if (tern_login(d->c, d->user, d->password, TERN_AUTH_AUTO, &e) == 0) {
		doc_stepf(d->rep, "auth", "AUTH", DOC_OK, "logged in as %s (%s offered)", d->user,
			  tern_auth_mechanisms(d->c));
		return;
	}
	if (e.code == TERN_E_REPLY) {
		switch (e.reply.code) {
		case 535:
			hint = "the user name or the password is wrong (or the credential was "
			       "revoked); check for a stray space or an old password in the "
			       "application's settings";
			break;
		case 504:
			hint = "the server does not accept this authentication mechanism";
			break;
		case 538:
			hint = "the server wants the connection encrypted before AUTH (use "
			       "STARTTLS "
			       "or implicit TLS)";
			break;
		case 534:
			hint = "the server wants a stronger mechanism than the one used";
			break;
		case 454:
			hint = "a temporary failure on the server's side (try again later)";
			break;
		}
	}
	report_error(d, &e, hint);
}

static bool step_mail(struct smtpdoc *d)
{
	struct tern_error e;
	const char *hint = "";

	if (d->from == NULL) {
		doc_step(d->rep, "mail_from", "MAIL FROM", DOC_SKIPPED, "no --from given",
			 "Give --from with the sender address your application uses.");
		return false;
	}
	if (tern_mail(d->c, d->from, NULL, &e) == 0) {
		doc_stepf(d->rep, "mail_from", "MAIL FROM", DOC_OK, "%s accepted: \"%d %s\"",
			  d->from, tern_last_reply(d->c)->code, tern_last_reply(d->c)->text);
		return true;
	}
	if (e.code == TERN_E_REPLY) {
		bool authz = strcasestr(e.reply.text, "authoriz") != NULL ||
			     strcasestr(e.reply.text, "not allowed") != NULL ||
			     strcasestr(e.reply.text, "not owned") != NULL;
		if ((e.reply.code == 535 || e.reply.code == 550 || e.reply.code == 553) && authz)
			hint = d->user != NULL
				       ? "this address is not an approved sender for the user "
					 "logged "
					 "in: add it to the user's approved senders (tern sender "
					 "add "
					 "USER ADDRESS on a tern server), or send from one that is"
				       : "this address is not an approved sender";
		else if (e.reply.code == 530 && strstr(e.reply.text, "TLS") != NULL)
			hint = "the server wants the connection encrypted before MAIL: use "
			       "STARTTLS "
			       "(--tls starttls) or implicit TLS, not a plaintext connection";
		else if (e.reply.code == 530)
			hint = "the server wants a login before MAIL: give --user and "
			       "--password-file (your application needs its SMTP credentials)";
	}
	report_error(d, &e, hint);
	return false;
}

static bool step_rcpt(struct smtpdoc *d)
{
	struct tern_error e;

	if (d->to == NULL) {
		doc_step(d->rep, "rcpt_to", "RCPT TO", DOC_SKIPPED, "no --to given",
			 "Give --to with a recipient to check it is accepted.");
		return false;
	}
	if (tern_rcpt(d->c, d->to, &e) == 0) {
		doc_stepf(d->rep, "rcpt_to", "RCPT TO", DOC_OK, "%s accepted: \"%d %s\"", d->to,
			  tern_last_reply(d->c)->code, tern_last_reply(d->c)->text);
		return true;
	}
	report_error(d, &e, "");
	return false;
}

static void step_send(struct smtpdoc *d, bool ready)
{
	char msg[2048], date[64], when[32];
	struct tern_error e;
	time_t now = time(NULL);
	struct tm tm;

	if (!d->send) {
		doc_step(d->rep, "send", "Message", DOC_SKIPPED,
			 "no message sent (--send sends a short test message)", "");
		return;
	}
	if (!ready) {
		doc_step(d->rep, "send", "Message", DOC_SKIPPED,
			 "no accepted sender and recipient to send with", "");
		return;
	}
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	strftime(when, sizeof(when), "%Y%m%d%H%M%S", &tm);
	snprintf(msg, sizeof(msg),
		 "From: <%s>\r\nTo: <%s>\r\nSubject: tern doctor test message\r\nDate: %s\r\n"
		 "Message-ID: <doctor.%s.%d@%s>\r\nMIME-Version: 1.0\r\n"
		 "Content-Type: text/plain; charset=us-ascii\r\n\r\n"
		 "This message was sent by tern doctor smtp to check that mail is accepted.\r\n",
		 d->from, d->to, date, when, (int)getpid(), d->host);
	if (tern_data(d->c, msg, strlen(msg), &e) != 0) {
		report_error(d, &e, "");
		return;
	}
	doc_stepf(d->rep, "send", "Message", DOC_OK, "accepted: \"%d %s\"",
		  tern_last_reply(d->c)->code, tern_last_reply(d->c)->text);
}

/* STARTTLS when the mode wants it (or auto and it is offered), then the EHLO and TLS steps.
 * false when the dialogue cannot go on. */
static bool hello(struct smtpdoc *d)
{
	struct tern_error e;
	char before[300] = "";

	if (tern_ehlo(d->c, NULL, &e) != 0) {
		struct tern_error h;
		/* A server that knows only HELO (RFC 821) still takes mail, without extensions:
		 * a finding, not the end of the dialogue. */
		if (e.code != TERN_E_REPLY || e.reply.code < 500 ||
		    tern_helo(d->c, NULL, &h) != 0) {
			report_error(d, &e, "");
			return false;
		}
		doc_stepf(d->rep, "ehlo", "EHLO", DOC_WARNING,
			  "the server refuses EHLO (\"%d %s\") and takes HELO: it offers no "
			  "extensions, so no STARTTLS, no AUTH and no SIZE" SEP
			  "An SMTP server without ESMTP cannot encrypt or authenticate: update or "
			  "configure it, or use another server for submission.",
			  e.reply.code, e.reply.text);
	}
	if (doc_has(d->rep, "ehlo") && d->mode != M_IMPLICIT) {
		if (d->mode_given || d->user != NULL) {
			doc_stepf(d->rep, "tls", "TLS", DOC_FAILED,
				  "no STARTTLS without EHLO%s" SEP
				  "Use a server (or port) that speaks ESMTP with STARTTLS.",
				  d->user != NULL
					  ? ": the password would travel unencrypted, so it "
					    "is not sent"
					  : "");
			return false;
		}
		doc_step(d->rep, "tls", "TLS", DOC_WARNING,
			 "no STARTTLS without EHLO: mail travels "
			 "unencrypted",
			 "");
		return true;
	}
	if (doc_has(d->rep, "ehlo"))
		return true;
	if (d->mode == M_NONE) {
		step_ehlo(d, "");
		doc_stepf(d->rep, "tls", "TLS", DOC_SKIPPED, "not asked for (--tls none)%s",
			  tern_offers(d->c, "STARTTLS") ? "; the server offers STARTTLS" : "");
		return true;
	}
	if (d->mode == M_IMPLICIT) {
		step_ehlo(d, "");
		return true;
	}
	if (!tern_offers(d->c, "STARTTLS")) {
		step_ehlo(d, "");
		if (d->mode_given || d->user != NULL) {
			doc_stepf(
				d->rep, "tls", "TLS", DOC_FAILED,
				"the server does not offer STARTTLS on port %d%s" SEP
				"Use the server's submission port with STARTTLS (587) or implicit "
				"TLS (465); if this port should offer it, the server's TLS "
				"certificate is probably not configured.",
				d->port,
				d->user != NULL ? ": the password would travel unencrypted, so it "
						  "is not sent"
						: "");
			return false;
		}
		doc_stepf(d->rep, "tls", "TLS", DOC_WARNING,
			  "the server does not offer STARTTLS on port %d: mail travels "
			  "unencrypted" SEP
			  "Configure TLS on the server, or use a port that offers it.",
			  d->port);
		return true;
	}
	if (tern_auth_mechanisms(d->c)[0] != '\0')
		snprintf(before, sizeof(before), "before TLS: AUTH %s", tern_auth_mechanisms(d->c));
	else if (!tern_offers(d->c, "AUTH"))
		snprintf(before, sizeof(before), "before TLS: no AUTH (offered only encrypted)");
	if (tern_starttls(d->c, &e) != 0) {
		step_ehlo(d, "");
		report_error(d, &e, "");
		return false;
	}
	step_tls(d, "STARTTLS");
	if (tern_ehlo(d->c, NULL, &e) != 0) {
		report_error(d, &e, "(the EHLO after STARTTLS)");
		return false;
	}
	step_ehlo(d, before);
	return true;
}

void smtp_dialogue(struct smtpdoc *d)
{
	struct tern_open_options o;
	struct tern_error e;
	bool ready = false;

	memset(&o, 0, sizeof(o));
	o.host = d->addrtext;
	o.port = (uint16_t)d->port;
	o.tls = d->mode == M_IMPLICIT			 ? TERN_TLS_IMPLICIT
		: d->mode == M_STARTTLS && d->mode_given ? TERN_TLS_STARTTLS
							 : TERN_TLS_NONE;
	o.ca_file = d->ca_file;
	o.tls_name = d->is_name ? d->host : NULL;
	o.connect_timeout_ms = (unsigned)d->timeout_ms;
	o.command_timeout_ms = (unsigned)d->timeout_ms;
	o.verify_continue = true;
	if ((d->c = tern_open(&o, &e)) == NULL) {
		report_error(d, &e, "");
		return;
	}
	if (d->mode == M_IMPLICIT) {
		step_tls(d, "implicit TLS");
		doc_stepf(d->rep, "greeting", "Greeting", DOC_OK,
			  "\"220 %s\" after the TLS handshake%s", tern_greeting(d->c),
			  d->mode_given || d->port == 465 ? ""
							  : " (the port speaks TLS from the first "
							    "byte)");
	}
	if (!hello(d))
		goto done;
	step_auth(d);
	if (doc_failed(d->rep, "auth"))
		goto done;
	if (step_mail(d))
		ready = step_rcpt(d);
	else if (!doc_failed(d->rep, "mail_from"))
		step_rcpt(d);
	if (doc_failed(d->rep, "mail_from") || doc_failed(d->rep, "rcpt_to"))
		goto done;
	step_send(d, ready);
	if (!d->send || !ready)
		tern_rset(d->c, NULL);
	tern_quit(d->c, NULL);
done:
	tern_close(d->c);
	d->c = NULL;
}
