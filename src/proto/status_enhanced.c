/*
 * status_enhanced.c - every enhanced status code of the IANA registry (RFC 3463 and the
 * RFCs that added to it), written "X.s.d", in plain words: what it says, why it usually
 * happens, what the sender should do, who has to act and what kind of problem it is.
 *
 * Pure data, sorted by (subject, detail) for the binary search of status.c. One entry
 * serves the success, transient and permanent classes alike, so retry advice is left to the
 * class (RETRY_BY_CLASS) and the texts hold for 4.x.x and 5.x.x, or say which is which.
 */
#include "status.h"

const struct status_info status_enhanced_table[] = {
	{
		.code = "X.0.0",
		.title = "Other undefined status",
		.meaning = "The server said only whether the attempt succeeded, failed for now or "
			   "failed for good, and gave no detail about why. Only the class of the "
			   "reply (2, 4 or 5) carries information.",
		.causes = "Server software that has no better code for the condition, or an "
			  "operator who does not want to reveal the reason. The words after the "
			  "code usually say more; with class 2 (2.0.0) it simply means the "
			  "command was accepted.",
		.action = "Read the text that came with the reply, since it usually names the "
			  "real problem. When permanent, do not resend unchanged; when transient, "
			  "let the queue retry. If the text is unclear, ask the postmaster of the "
			  "receiving domain.",
		.actor = ACTOR_RECEIVING_SERVER,
		.category = CAT_UNKNOWN,
		.retry = RETRY_BY_CLASS,
		.vague = true,
	},
	{
		.code = "X.1.0",
		.title = "Other address status",
		.meaning = "Something about one of the addresses of the message, the sender's or "
			   "a recipient's, caused this reply, but the server did not say what.",
		.causes = "A recipient that is unknown or misspelled, a sender address the server "
			  "will not take, or an address refused by a local rule. Some servers use "
			  "it where X.1.1 would be more exact.",
		.action = "Read the reply text to see which address is meant, check the envelope "
			  "sender and the recipient for typing mistakes, and correct the one at "
			  "fault. When permanent, do not send to the same address again "
			  "unchanged.",
		.actor = ACTOR_SENDING_PROGRAM,
		.category = CAT_UNKNOWN,
		.retry = RETRY_BY_CLASS,
		.vague = true,
	},
	{
		.code = "X.1.1",
		.title = "Bad destination mailbox address",
		.meaning = "The receiving system has no mailbox for the recipient: the part of "
			   "the address before the @ is not known there, although the domain "
			   "itself takes mail.",
		.causes = "A typing mistake in the local part, a person who has left the "
			  "organisation, a deleted or expired account, or an old address from a "
			  "stale or bought list. Some servers also send it when the recipient's "
			  "own forwarding fails or loops.",
		.action = "Check the spelling with the recipient by another channel. When "
			  "permanent, stop sending to the address and remove it from your lists, "
			  "since repeated mail to unknown users harms your reputation. A "
			  "transient 4.1.1 usually means the recipient directory could not be "
			  "read; let the queue retry.",
		.actor = ACTOR_RECIPIENT_MAILBOX,
		.category = CAT_USER_UNKNOWN,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.1.2",
		.title = "Bad destination system address",
		.meaning = "The domain after the @ in the recipient address does not exist, or "
			   "has no host able to receive mail for it.",
		.causes = "A misspelled domain (gmial.com for gmail.com), a domain that expired "
			  "or was never registered, a domain without MX or address records, or a "
			  "DNS failure on the way that made a good domain look unknown.",
		.action = "Check the domain part for typos and confirm that the domain exists and "
			  "publishes MX records (dig MX followed by the domain). When permanent "
			  "and the domain is really gone, remove the address. If the domain looks "
			  "valid, check your own DNS resolver.",
		.actor = ACTOR_SENDING_PROGRAM,
		.category = CAT_HOST_UNKNOWN,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.1.3",
		.title = "Bad destination mailbox address syntax",
		.meaning = "The recipient address is not well formed, so the server cannot even "
			   "look it up. The fault may be in any part of it.",
		.causes = "Missing angle brackets in RCPT TO, spaces or forbidden characters, two "
			  "@ signs, no domain, a trailing dot, unbalanced quotes, or a display "
			  "name passed where only an address belongs.",
		.action = "Fix the address in the sending program and send RCPT TO:<local@domain> "
			  "with nothing else between the brackets. Validate addresses when they "
			  "are entered; the same address will fail again.",
		.actor = ACTOR_SENDING_PROGRAM,
		.category = CAT_SYNTAX,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.1.4",
		.title = "Destination mailbox address ambiguous",
		.meaning = "The recipient address matched more than one mailbox on the receiving "
			   "system, so the server could not decide where the message should go.",
		.causes = "The receiving system maps addresses loosely, for example by looking up "
			  "names or partial matches, and several users fit the address given; "
			  "common names and short local parts are the usual cases.",
		.action = "Use the full, exact address of the intended person, checked with them, "
			  "for example with the complete name or a unique identifier. Sending to "
			  "the same ambiguous address will not help.",
		.actor = ACTOR_SENDING_PROGRAM,
		.category = CAT_USER_UNKNOWN,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.1.5",
		.title = "Destination address valid",
		.meaning = "The recipient address was accepted as valid. This is a positive "
			   "report, not an error.",
		.causes = "Servers return it after a successful RCPT TO, and delivery reports use "
			  "it to confirm that the address was good.",
		.action = "Nothing needs to be done. If it appears in a failure reply, the "
			  "problem lies elsewhere and the text of the reply says what it is.",
		.actor = ACTOR_NONE,
		.category = CAT_SUCCESS,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.1.6",
		.title = "Destination mailbox moved, no forwarding address",
		.meaning = "The address worked in the past, but the receiving system has stopped "
			   "taking mail for it and knows no new address to send it on to.",
		.causes = "The person left the organisation or changed provider, the account was "
			  "renamed, or the mailbox was retired after a migration.",
		.action = "Stop sending to this address and remove it from your lists. Ask the "
			  "person for their new address by another channel; the server will not "
			  "tell you.",
		.actor = ACTOR_RECIPIENT_MAILBOX,
		.category = CAT_USER_UNKNOWN,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.1.7",
		.title = "Bad sender's mailbox address syntax",
		.meaning = "The sender address given in MAIL FROM is not well formed, so the "
			   "server refuses it.",
		.causes = "Missing or broken angle brackets, spaces or illegal characters, a "
			  "display name in the envelope sender, no domain, or a local name such "
			  "as user@localhost instead of a real domain.",
		.action = "Correct the envelope sender in the sending program so that it is a "
			  "plain, complete address, as in MAIL FROM:<name@example.com>. Sending "
			  "again without fixing it fails the same way.",
		.actor = ACTOR_SENDING_PROGRAM,
		.category = CAT_SENDER_REJECTED,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.1.8",
		.title = "Bad sender's system address",
		.meaning = "The domain of the sender address does not exist or cannot receive "
			   "mail, so the receiving server will not take the message: it would "
			   "have nowhere to return a bounce.",
		.causes = "The sender domain has no MX or address records, is misspelled, has "
			  "expired, or is an internal name (a .local domain, a bare host name). A "
			  "temporary DNS failure gives the transient form.",
		.action = "Send from an address in a domain that exists publicly and can receive "
			  "mail, and make sure that domain publishes MX (or A) records. When "
			  "transient, check that the domain's name servers answer and let the "
			  "queue retry.",
		.actor = ACTOR_SENDING_SERVER,
		.category = CAT_SENDER_REJECTED,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.1.9",
		.title = "Message relayed to non-compliant mailer",
		.meaning = "The recipient address was fine and the message was passed on, but the "
			   "system it went to takes no part in delivery reporting, so no further "
			   "news about it will come.",
		.causes = "The next hop is an older or non-standard mail system, a gateway into "
			  "another mail network, or a server that supports neither delivery "
			  "status notifications nor message tracking.",
		.action = "Usually nothing: the message went on its way. If you need to know that "
			  "it arrived, ask the recipient, because the last system will not report "
			  "it.",
		.actor = ACTOR_NONE,
		.category = CAT_SUCCESS,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.1.10",
		.title = "Recipient address has null MX",
		.meaning = "The recipient's domain publishes a null MX record (RFC 7505), which "
			   "declares that the domain takes no mail at all.",
		.causes = "The domain only serves a web site or is parked, its owner closed the "
			  "mail service, or the address was mistyped into a domain that takes no "
			  "mail. Microsoft 365 also sends 5.1.10 for a recipient it cannot find.",
		.action = "Remove the address, since mail to this domain cannot be delivered. "
			  "Check the spelling of the domain and ask the person for a working "
			  "address by another channel.",
		.actor = ACTOR_RECEIVING_SERVER,
		.category = CAT_DOMAIN_NO_MAIL,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.2.0",
		.title = "Other or undefined mailbox status",
		.meaning = "The recipient's mailbox exists, but something about it prevented "
			   "delivery, and the server gave no more precise reason.",
		.causes = "The mailbox may be locked, disabled, over quota or receiving too much "
			  "mail; some providers also use this code when their filters refuse a "
			  "message.",
		.action = "Read the reply text for the actual reason. When transient, let the "
			  "queue retry; when permanent, do not resend unchanged, and reach the "
			  "recipient another way if the text does not explain.",
		.actor = ACTOR_RECIPIENT_MAILBOX,
		.category = CAT_UNKNOWN,
		.retry = RETRY_BY_CLASS,
		.vague = true,
	},
	{
		.code = "X.2.1",
		.title = "Mailbox disabled, not accepting messages",
		.meaning = "The mailbox exists but does not accept messages. When permanent, it "
			   "is not expected to be enabled again; when transient, it is expected "
			   "to reopen.",
		.causes = "The account was suspended or deactivated by its provider or "
			  "administrator, left unused for a long time, or closed for non-payment "
			  "or abuse. Gmail also sends 4.2.1 when a recipient is getting mail "
			  "faster than it allows.",
		.action = "When permanent, stop sending to the address and remove it from your "
			  "lists. When transient, let the queue retry later at a slower pace; if "
			  "it keeps failing for days, treat the address as disabled.",
		.actor = ACTOR_RECIPIENT_MAILBOX,
		.category = CAT_MAILBOX_DISABLED,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.2.2",
		.title = "Mailbox full",
		.meaning = "The recipient's mailbox has used up its quota or the space it has, so "
			   "no new message fits until the recipient frees some.",
		.causes = "The recipient has not deleted old mail, a large attachment took the "
			  "remaining space, or the mailbox is abandoned and fills up with unread "
			  "mail.",
		.action = "Retry later, since the recipient can make room. If the address stays "
			  "full for days it is probably abandoned: stop sending and reach the "
			  "person another way. Some servers report it as permanent although the "
			  "condition is meant to be transient.",
		.actor = ACTOR_RECIPIENT_MAILBOX,
		.category = CAT_MAILBOX_FULL,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.2.3",
		.title = "Message length exceeds administrative limit",
		.meaning = "The message is larger than this particular mailbox accepts, a limit "
			   "set lower than that of the receiving system as a whole.",
		.causes = "Large attachments, many embedded images, or files that grew by about a "
			  "third through base64 encoding; the recipient's account has a small "
			  "limit per message.",
		.action = "Send a smaller message: compress or leave out attachments, or share "
			  "large files through a link. The same message will fail again.",
		.actor = ACTOR_SENDING_PROGRAM,
		.category = CAT_TOO_LARGE,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.2.4",
		.title = "Mailing list expansion problem",
		.meaning = "The recipient is a mailing list, and the receiving system could not "
			   "turn it into the list of its members.",
		.causes = "The list's member database or directory is unavailable, the list "
			  "definition is broken or empty, or the list software failed.",
		.action = "When transient, let the queue retry. When permanent, tell the list "
			  "owner (often owner-listname@ or the postmaster of that domain) so that "
			  "the list can be repaired.",
		.actor = ACTOR_RECEIVING_SERVER,
		.category = CAT_SYSTEM,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.3.0",
		.title = "Other or undefined mail system status",
		.meaning = "The receiving system normally takes mail, but a problem in the system "
			   "itself, not in the address or the mailbox, caused this reply.",
		.causes = "An internal fault, a configuration error, a failed component such as a "
			  "filter or a database, or too much load; some providers also use it for "
			  "refusals of their own policy.",
		.action = "Read the reply text. When transient, let the queue retry. When "
			  "permanent and the text gives no reason, contact the postmaster of the "
			  "receiving domain.",
		.actor = ACTOR_RECEIVING_SERVER,
		.category = CAT_SYSTEM,
		.retry = RETRY_BY_CLASS,
		.vague = true,
	},
	{
		.code = "X.3.1",
		.title = "Mail system full",
		.meaning = "The receiving mail system has no storage left for messages, across "
			   "the whole system and not for one mailbox only.",
		.causes = "The server's disk or queue is full, often because mail piled up during "
			  "an outage, or because nobody watches its free space.",
		.action = "Let the queue retry later; the condition is normally temporary and "
			  "only the server's administrator can clear it. If it lasts for days, "
			  "tell the postmaster of that domain.",
		.actor = ACTOR_RECEIVING_SERVER,
		.category = CAT_STORAGE,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.3.2",
		.title = "System not accepting network messages",
		.meaning = "The host that holds the mailbox is not taking mail over the network "
			   "at the moment, or, with reply 521, does not take mail at all.",
		.causes = "Maintenance, a shutdown about to happen or too much load on the "
			  "receiving host; a host set up never to accept mail (RFC 7504); some "
			  "providers also send it while they block an IP address that sent too "
			  "much or is on a blocklist.",
		.action = "When transient, let the queue retry later. When permanent, check the "
			  "reply text and the domain's MX records, look up your sending IP on "
			  "blocklists, and contact the postmaster if the refusal seems wrong.",
		.actor = ACTOR_RECEIVING_SERVER,
		.category = CAT_SYSTEM,
		.retry = RETRY_BY_CLASS,
		.vague = true,
	},
	{
		.code = "X.3.3",
		.title = "System not capable of selected features",
		.meaning = "The message asks for features that the destination system does not "
			   "support, so it cannot be handled as requested.",
		.causes = "An option or extension requested for the message, such as delivery "
			  "notifications, a priority or a binary body, that the receiver lacks, "
			  "or that a gateway into another mail network cannot carry over.",
		.action = "Send the message without the options the receiver lacks, or use a "
			  "route that supports them. Sending again with the same options will "
			  "fail again.",
		.actor = ACTOR_SENDING_PROGRAM,
		.category = CAT_PROTOCOL,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.3.4",
		.title = "Message too big for system",
		.meaning = "The message exceeds the largest size the receiving system takes for "
			   "any message, a limit set for technical or administrative reasons.",
		.causes = "Large attachments, made about a third bigger by base64 encoding; the "
			  "server announces its limit in the SIZE line of its EHLO reply, and the "
			  "message is above it.",
		.action = "Bring the message under the receiver's limit: compress or drop "
			  "attachments, or send a link to the files instead. Sending the same "
			  "message again will always fail.",
		.actor = ACTOR_SENDING_PROGRAM,
		.category = CAT_TOO_LARGE,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.3.5",
		.title = "System incorrectly configured",
		.meaning = "The receiving system is set up in a way that keeps it from accepting "
			   "this message; the fault lies in its configuration, not in the "
			   "message.",
		.causes = "A broken routing or domain setting on the receiving side, a missing "
			  "local domain entry, a filter or relay set up wrongly, or a change its "
			  "administrators left half done.",
		.action = "When transient, let the queue retry while the administrators repair "
			  "it. When permanent or lasting, tell the postmaster of the receiving "
			  "domain, since only they can correct it.",
		.actor = ACTOR_RECEIVING_SERVER,
		.category = CAT_SYSTEM,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.3.6",
		.title = "Requested priority was changed",
		.meaning = "The message was accepted, but not at the priority asked for (or the "
			   "default one); the reply text starts with the priority it actually "
			   "got.",
		.causes = "The sender used the MT-PRIORITY extension (RFC 6710) and the receiving "
			  "server's policy does not grant that priority to this sender, so it "
			  "changed it.",
		.action = "Nothing is needed for delivery. If the priority matters, find out "
			  "which priorities the receiver allows for your account and ask its "
			  "operators to change the policy.",
		.actor = ACTOR_NONE,
		.category = CAT_SUCCESS,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.4.0",
		.title = "Other or undefined network or routing status",
		.meaning = "Something went wrong with the network or with routing the message "
			   "towards its destination, and no more precise code describes it.",
		.causes = "Connection failures, DNS problems, or routing errors inside a provider "
			  "or a gateway; Microsoft 365 uses 5.4.x codes with three-digit details "
			  "(such as 5.4.310) for DNS failures of the recipient domain.",
		.action = "Read the reply text. When transient, let the queue retry. When "
			  "permanent, check the recipient domain's DNS and MX records and any "
			  "routing on your own side (smart host, connectors).",
		.actor = ACTOR_NETWORK,
		.category = CAT_NETWORK,
		.retry = RETRY_BY_CLASS,
		.vague = true,
	},
	{
		.code = "X.4.1",
		.title = "No answer from host",
		.meaning = "The attempt to connect to the receiving host got no answer, because "
			   "the host was busy, down or could not be reached.",
		.causes = "The receiving server is down or overloaded, a firewall silently drops "
			  "traffic to port 25, the sending server's provider blocks outgoing port "
			  "25, or the MX record points to a wrong address. Microsoft 365 also "
			  "uses 550 5.4.1 to refuse recipients it does not know.",
		.action = "Let the queue retry, since this is usually temporary. If it lasts, "
			  "test the connection by hand (telnet or nc to port 25 of the MX host) "
			  "and check your outbound firewall and the domain's MX records.",
		.actor = ACTOR_NETWORK,
		.category = CAT_TIMEOUT,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.4.2",
		.title = "Bad connection",
		.meaning = "A connection to the receiving host was made, but the mail transaction "
			   "could not be finished over it, because it timed out or was too "
			   "unreliable.",
		.causes = "The connection dropped or stalled during the exchange, the receiving "
			  "server took too long to answer, a firewall or load balancer cut the "
			  "session, or packets were lost on the path (an MTU problem, for "
			  "example).",
		.action = "Let the queue retry, since a later attempt usually works. If it keeps "
			  "happening with one destination, look for timeouts on that path; if "
			  "with every destination, check your own network, firewall and link.",
		.actor = ACTOR_NETWORK,
		.category = CAT_NETWORK,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.4.3",
		.title = "Directory server failure",
		.meaning = "The message could not be passed on because a directory service the "
			   "mail system needed, usually DNS, was not available.",
		.causes = "The DNS resolver of the sending or relaying server is down or "
			  "unreachable, the recipient domain's name servers do not answer, or a "
			  "lookup timed out; SPF checks that hit a temporary DNS error are also "
			  "reported this way.",
		.action = "Let the queue retry. If it persists, check that your resolver works "
			  "(dig MX for the recipient domain) and that the domain's name servers "
			  "answer; when the fault is theirs, tell the domain's owner.",
		.actor = ACTOR_NETWORK,
		.category = CAT_SYSTEM,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.4.4",
		.title = "Unable to route",
		.meaning = "The mail system could not work out where to send the message next: "
			   "the directory (usually DNS) held no usable routing information for "
			   "the destination.",
		.causes = "The recipient domain has neither MX nor address records (a lookup "
			  "returns only the zone's SOA record), its MX names a host that does not "
			  "resolve, or a routing rule inside a provider leads nowhere.",
		.action = "Check the recipient domain with dig MX and dig A. When permanent, the "
			  "domain cannot receive mail and the address should be corrected or "
			  "removed; when transient, let the queue retry while the owner repairs "
			  "the DNS.",
		.actor = ACTOR_NETWORK,
		.category = CAT_HOST_UNKNOWN,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.4.5",
		.title = "Mail system congestion",
		.meaning = "The mail system could not deliver the message because it is "
			   "congested; the condition is meant to pass.",
		.causes = "The receiving or a relaying server is overloaded, with too many "
			  "connections or a long queue, often after an outage or during a burst "
			  "of mail. Some providers send 5.4.5 when an hourly sending quota is "
			  "used up.",
		.action = "Let the queue retry later and send more slowly to that destination. If "
			  "the text names a sending quota, wait until the quota period is over or "
			  "ask the provider for a higher limit.",
		.actor = ACTOR_RECEIVING_SERVER,
		.category = CAT_SYSTEM,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.4.6",
		.title = "Routing loop detected",
		.meaning = "The message was passed around too many times without arriving, so a "
			   "server stopped it to break the loop.",
		.causes = "Two addresses that forward to each other, MX or relay settings that "
			  "send mail back to where it came from, or a mail system that does not "
			  "know a domain is its own. A long list of repeated Received header "
			  "lines gives it away.",
		.action = "Look at the Received headers in the bounce to see which hosts repeat. "
			  "If they belong to the recipient, tell their postmaster; if to your "
			  "side, fix the forwarding or routing. Sending again loops again until "
			  "it is fixed.",
		.actor = ACTOR_RECEIVING_SERVER,
		.category = CAT_LOOP,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.4.7",
		.title = "Delivery time expired",
		.meaning = "The message waited too long without being delivered, so the system "
			   "holding it gave up: its own time limit, or one set by the sender, ran "
			   "out.",
		.causes = "The destination stayed unreachable or kept deferring the message "
			  "(outages, greylisting, rate limits) for the whole retry period, "
			  "usually several days. The real problem is what caused those deferrals.",
		.action = "Look at the deferral reasons logged before the message expired and fix "
			  "that cause. Send the message again once the destination takes mail; "
			  "before that it would expire again.",
		.actor = ACTOR_RECEIVING_SERVER,
		.category = CAT_EXPIRED,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.5.0",
		.title = "Other or undefined protocol status",
		.meaning = "Something went wrong in the SMTP dialogue with the next hop, and no "
			   "more precise code describes it.",
		.causes = "Commands in the wrong order, an unsupported command or parameter, or a "
			  "server that uses this code for any refusal; some servers even answer "
			  "550 5.5.0 for an unknown recipient.",
		.action = "Read the reply text and the command it answered. Check the sending "
			  "program's SMTP dialogue (EHLO, MAIL FROM, RCPT TO, DATA, in that "
			  "order) against what the server advertises.",
		.actor = ACTOR_SENDING_PROGRAM,
		.category = CAT_PROTOCOL,
		.retry = RETRY_BY_CLASS,
		.vague = true,
	},
	{
		.code = "X.5.1",
		.title = "Invalid command",
		.meaning = "A command was sent that the server does not support, or does not "
			   "allow at this point of the conversation.",
		.causes = "Commands out of order, such as DATA before any accepted RCPT TO or "
			  "MAIL FROM before EHLO; a command that needs authentication or TLS "
			  "first; or a command the server does not implement.",
		.action = "Fix the sending program so that it keeps the SMTP order (EHLO, then "
			  "STARTTLS and AUTH when needed, MAIL FROM, RCPT TO, DATA) and uses only "
			  "commands the server advertises. The same sequence fails again.",
		.actor = ACTOR_SENDING_PROGRAM,
		.category = CAT_PROTOCOL,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.5.2",
		.title = "Syntax error",
		.meaning = "The server could not make sense of a command, because it is "
			   "misspelled, malformed or not a command it knows.",
		.causes = "A typing mistake in a command entered by hand, a bug in the sending "
			  "program, a line that is too long, a bare LF instead of CRLF, or "
			  "message data sent while the server still expected a command.",
		.action = "Look at the exact line the sending program sent (a session log helps) "
			  "and correct it. The fault is in the client, and repeating the same "
			  "command fails the same way.",
		.actor = ACTOR_SENDING_PROGRAM,
		.category = CAT_SYNTAX,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.5.3",
		.title = "Too many recipients",
		.meaning = "The message named more recipients than the server accepts in one "
			   "transaction or for one message.",
		.causes = "A message addressed to many people at once through To, Cc and Bcc, "
			  "above the receiver's limit per message (often 50 or 100, sometimes "
			  "lower), or a limit on recipients per connection or per hour.",
		.action = "Send to fewer recipients at a time: split the list into several "
			  "messages, or send each recipient a copy of their own. Mail servers "
			  "normally send the remaining recipients in a further transaction by "
			  "themselves.",
		.actor = ACTOR_SENDING_PROGRAM,
		.category = CAT_TOO_MANY_RECIPIENTS,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.5.4",
		.title = "Invalid command arguments",
		.meaning = "The command itself was valid, but one of its arguments was not: out "
			   "of range, malformed, or naming a feature the server does not "
			   "recognise.",
		.causes = "An unknown or unsupported parameter on MAIL FROM or RCPT TO (SIZE, "
			  "BODY, SMTPUTF8, NOTIFY), a parameter used although the server did not "
			  "advertise its extension, or a bad value.",
		.action = "Send only the parameters the server lists in its EHLO reply, with "
			  "valid values. Fix the client or its settings; the same arguments fail "
			  "again.",
		.actor = ACTOR_SENDING_PROGRAM,
		.category = CAT_SYNTAX,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.5.5",
		.title = "Wrong protocol version",
		.meaning = "The two sides speak versions of the protocol that do not match, and "
			   "they could not agree on one by themselves.",
		.causes = "A client using extended SMTP with a server that only knows plain SMTP, "
			  "a client speaking LMTP or another dialect to an SMTP port, or TLS "
			  "started at once on a plain-text port (or the other way round).",
		.action = "Make sure the client speaks what the port expects: SMTP with STARTTLS "
			  "on ports 25 and 587, TLS from the first byte on port 465. Fall back to "
			  "HELO if the server refuses EHLO.",
		.actor = ACTOR_SENDING_PROGRAM,
		.category = CAT_PROTOCOL,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.5.6",
		.title = "Authentication exchange line too long",
		.meaning = "The AUTH command failed because the client's base64 answer was longer "
			   "than the server can take for the chosen mechanism.",
		.causes = "A very long token, such as an OAuth 2.0 access token sent with XOAUTH2 "
			  "or OAUTHBEARER, or credentials encoded wrongly so that they grew; the "
			  "server's buffer is smaller than the answer.",
		.action = "Send the response on its own line after the server's 334 prompt rather "
			  "than on the AUTH line, use shorter credentials, or pick another "
			  "mechanism. When transient, a later attempt may succeed.",
		.actor = ACTOR_SENDING_PROGRAM,
		.category = CAT_AUTH_FAILED,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.6.0",
		.title = "Other or undefined media error",
		.meaning = "Something in the content of the message made it undeliverable, and no "
			   "more precise code describes it.",
		.causes = "Malformed MIME structure or headers, a part in a form the receiver "
			  "cannot handle, or content refused by a filter; some servers use it for "
			  "damaged messages they could not store.",
		.action = "Read the reply text. Check that the sending program writes valid "
			  "headers and MIME (one From and one Date, closed boundaries, CRLF line "
			  "ends) and try again with a simpler message.",
		.actor = ACTOR_SENDING_PROGRAM,
		.category = CAT_SYNTAX,
		.retry = RETRY_BY_CLASS,
		.vague = true,
	},
	{
		.code = "X.6.1",
		.title = "Media not supported",
		.meaning = "The message contains a kind of content that the protocol in use "
			   "cannot carry or that the next server on the path cannot handle.",
		.causes = "8-bit or binary content sent to a server that did not announce "
			  "8BITMIME or BINARYMIME, a content type the receiving system cannot "
			  "carry, or a gateway into a network with fewer formats.",
		.action = "Send the content in a form the path supports, for example 8-bit parts "
			  "encoded as quoted-printable or base64, or use another file format. The "
			  "same message will fail again.",
		.actor = ACTOR_SENDING_PROGRAM,
		.category = CAT_PROTOCOL,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.6.2",
		.title = "Conversion required and prohibited",
		.meaning = "The content would have to be converted to reach the recipient, but "
			   "conversion is not allowed, so the message was not delivered.",
		.causes = "The sender marked the message as not to be converted, or the policy of "
			  "a server on the path forbids changing content, while the next hop "
			  "needs another format.",
		.action = "Allow conversion, or send the content already in a form the "
			  "recipient's path accepts, such as 7-bit parts encoded with "
			  "quoted-printable or base64.",
		.actor = ACTOR_SENDING_PROGRAM,
		.category = CAT_PROTOCOL,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.6.3",
		.title = "Conversion required but not supported",
		.meaning = "The content has to be converted before it can be passed on, but a "
			   "server on the path cannot do that conversion.",
		.causes = "A server took in 8-bit content and the next hop accepts only 7-bit, "
			  "but it cannot downgrade the message, for example because a part is "
			  "signed or it lacks the function.",
		.action = "Encode 8-bit and binary parts as quoted-printable or base64 before "
			  "sending, so that no conversion is needed on the way.",
		.actor = ACTOR_SENDING_PROGRAM,
		.category = CAT_PROTOCOL,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.6.4",
		.title = "Conversion with loss performed",
		.meaning = "The message had to be converted on its way and part of its content "
			   "was lost. With success it is a warning; with failure it means such a "
			   "lossy conversion was not allowed.",
		.causes = "A gateway translated the content into a format that cannot hold all of "
			  "it, such as characters missing from the target character set or "
			  "attachments the target system drops.",
		.action = "Check with the recipient that what arrived is usable. To avoid it, "
			  "send in plain, widely supported formats; if nothing may be lost, mark "
			  "the message so that lossy conversion is refused.",
		.actor = ACTOR_SENDING_PROGRAM,
		.category = CAT_PROTOCOL,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.6.5",
		.title = "Conversion failed",
		.meaning = "A conversion of the content was needed and was attempted, but it did "
			   "not work.",
		.causes = "A fault in the converting gateway, content too malformed to be parsed, "
			  "or a character set or format the converter does not handle.",
		.action = "When transient, let the queue retry. When permanent, send the content "
			  "in a simpler form (plain text, standard encodings) so that no "
			  "conversion is needed, and tell the postmaster of the failing system if "
			  "the content is valid.",
		.actor = ACTOR_RECEIVING_SERVER,
		.category = CAT_SYSTEM,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.6.6",
		.title = "Message content not available",
		.meaning = "The submission server could not fetch the message content from the "
			   "remote place the client named (the BURL extension of RFC 4468), so it "
			   "could not send the message.",
		.causes = "The URL given with BURL is wrong, expired or not authorised, the IMAP "
			  "server holding the message cannot be reached, or the message was "
			  "removed there before it was fetched.",
		.action = "Check the URL and its authorisation and that the IMAP server can be "
			  "reached from the submission server. When transient, retry; when "
			  "permanent, send the content with DATA instead.",
		.actor = ACTOR_SENDING_SERVER,
		.category = CAT_SYSTEM,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.6.7",
		.title = "Non-ASCII address not permitted",
		.meaning = "The server refuses an address with non-ASCII characters (an "
			   "internationalised address) in MAIL FROM or RCPT TO.",
		.causes = "The server or the next hop does not support SMTPUTF8, the client did "
			  "not ask for SMTPUTF8 on MAIL FROM, or the receiving system's policy "
			  "does not allow such addresses for that user.",
		.action = "Use the ASCII form of the address if the person has one, or send "
			  "through a route that supports SMTPUTF8, with the SMTPUTF8 parameter on "
			  "MAIL FROM.",
		.actor = ACTOR_SENDING_PROGRAM,
		.category = CAT_PROTOCOL,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.6.8",
		.title = "UTF-8 reply required but not permitted by the client",
		.meaning = "The server would need to answer with a UTF-8 string, such as a "
			   "mailbox name in a VRFY or EXPN answer, but the client did not allow "
			   "UTF-8 in replies.",
		.causes = "The client sent VRFY or EXPN without the SMTPUTF8 parameter, and the "
			  "answer involves an internationalised mailbox name (RFC 6531).",
		.action = "Repeat the command with the SMTPUTF8 parameter if the client supports "
			  "internationalised mail; otherwise the server cannot give this client "
			  "the answer.",
		.actor = ACTOR_SENDING_PROGRAM,
		.category = CAT_PROTOCOL,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.6.9",
		.title = "UTF-8 header message cannot be transferred",
		.meaning = "The message has UTF-8 in its header fields and cannot be passed on to "
			   "one or more of its recipients, so it was refused after the end of the "
			   "message data.",
		.causes = "A server on the path or at the destination does not support SMTPUTF8, "
			  "and the message could not be downgraded into a form that it would "
			  "accept.",
		.action = "Send to those recipients without internationalised headers or "
			  "addresses (ASCII, with encoded words for non-ASCII text), or use a "
			  "route that supports SMTPUTF8 all the way.",
		.actor = ACTOR_SENDING_PROGRAM,
		.category = CAT_PROTOCOL,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.6.10",
		.title = "UTF-8 reply required (deprecated duplicate of X.6.8)",
		.meaning = "The registry keeps this code only as a deprecated duplicate of X.6.8: "
			   "a reply needed a UTF-8 string but the client had not allowed one.",
		.causes = "A server written against an early draft of the internationalised mail "
			  "standards; it means exactly what X.6.8 means.",
		.action = "Treat it as X.6.8: repeat the command with the SMTPUTF8 parameter if "
			  "the client supports it. Servers should send X.6.8 instead.",
		.actor = ACTOR_SENDING_PROGRAM,
		.category = CAT_PROTOCOL,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.7.0",
		.title = "Other or undefined security status",
		.meaning = "A security or policy matter caused the reply, and either no more "
			   "precise code fits or the server will not say more because of its own "
			   "security rules.",
		.causes = "Authentication is required or failed, TLS is required, the sender's "
			  "reputation is poor, or a temporary security check failed; many "
			  "providers use 4.7.0 and 5.7.0 for refusals of their own, such as rate "
			  "limits or suspicious traffic.",
		.action = "Read the reply text and any link it gives. Authenticate if the server "
			  "asks for it, use TLS, and check the reputation of your sending IP and "
			  "domain. When transient, retry later at a slower pace.",
		.actor = ACTOR_POLICY,
		.category = CAT_POLICY,
		.retry = RETRY_BY_CLASS,
		.vague = true,
	},
	{
		.code = "X.7.1",
		.title = "Delivery not authorized, message refused",
		.meaning = "The receiving side does not allow this sender to send this message to "
			   "this recipient and refused it. The code covers a wide range of "
			   "filtering decisions.",
		.causes = "Most often anti-spam: content judged as spam, a sending IP on a "
			  "blocklist, poor reputation or failed SPF, DKIM or DMARC. Also relaying "
			  "denied, a refused HELO name, a recipient who takes mail only from some "
			  "senders, greylisting (4.7.1) or a suspended user.",
		.action = "Read the reply text, which usually names the reason or gives a link. "
			  "Check your IP on blocklists, set up SPF, DKIM and DMARC, fix your HELO "
			  "name and reverse DNS, and authenticate when relaying. When transient, "
			  "let the queue retry; greylisting passes on retry.",
		.actor = ACTOR_POLICY,
		.category = CAT_POLICY,
		.retry = RETRY_BY_CLASS,
		.vague = true,
	},
	{
		.code = "X.7.2",
		.title = "Mailing list expansion prohibited",
		.meaning = "The sender may not send to the mailing list that was addressed, so "
			   "the list refused the message.",
		.causes = "The list takes posts only from its members or from approved senders, "
			  "the sender is subscribed under another address, or the list is closed "
			  "or moderated.",
		.action = "Post from the address you are subscribed with, subscribe first, or ask "
			  "the list owner to let you post. Sending again from the same address "
			  "fails again.",
		.actor = ACTOR_POLICY,
		.category = CAT_POLICY,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.7.3",
		.title = "Security conversion required but not possible",
		.meaning = "Delivering the message would mean converting it from one secure "
			   "messaging format to another, and that conversion could not be done.",
		.causes = "The message is encrypted or signed in one format (S/MIME or OpenPGP, "
			  "for example) and the recipient's system needs another; a gateway "
			  "cannot convert protected content without the keys.",
		.action = "Send the message in a security format the recipient supports, agreed "
			  "with them beforehand. The same message will fail again.",
		.actor = ACTOR_SENDING_PROGRAM,
		.category = CAT_PROTOCOL,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.7.4",
		.title = "Security features not supported",
		.meaning = "The message or the command asked for security features that the "
			   "delivery protocol or the server cannot provide.",
		.causes = "An authentication mechanism the server does not offer (the classic "
			  "reply is 504 5.7.4 Unrecognized authentication type), a security "
			  "option asked of a server that lacks it, or a client expecting STARTTLS "
			  "where it is not advertised.",
		.action = "Use only the AUTH mechanisms and security options the server lists in "
			  "its EHLO reply, or change the client's settings for that server.",
		.actor = ACTOR_SENDING_PROGRAM,
		.category = CAT_PROTOCOL,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.7.5",
		.title = "Cryptographic failure",
		.meaning = "A system on the path that is entitled to check or decrypt the message "
			   "could not, because a key or other information it needed was missing "
			   "or invalid.",
		.causes = "The key for decryption or verification is not available, has expired "
			  "or was revoked, or the key data in the message or in the directory is "
			  "damaged.",
		.action = "Check that the keys and certificates involved are valid and published "
			  "where the receiver looks for them. When transient, retry once the key "
			  "source can be reached; otherwise send again with valid keys.",
		.actor = ACTOR_RECEIVING_SERVER,
		.category = CAT_SYSTEM,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.7.6",
		.title = "Cryptographic algorithm not supported",
		.meaning = "A system on the path that is entitled to check or decrypt the message "
			   "could not, because it does not support the algorithm used.",
		.causes = "The message was signed or encrypted with an algorithm that is too new, "
			  "too old or switched off on the receiving side (weak hashes such as MD5 "
			  "or SHA-1, for example).",
		.action = "Sign or encrypt with a current, widely supported algorithm, such as "
			  "RSA with SHA-256, and send again.",
		.actor = ACTOR_SENDING_PROGRAM,
		.category = CAT_PROTOCOL,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.7.7",
		.title = "Message integrity failure",
		.meaning = "A system entitled to verify the message found that it had been "
			   "damaged or changed on the way. The code may come with success, "
			   "transient or permanent replies.",
		.causes = "Something altered the message after it was signed: a relay or mailing "
			  "list adding a footer, rewriting headers or line endings, or "
			  "re-encoding the body; or the data was damaged in transit.",
		.action = "Sign the message as the last step before it leaves, avoid relays that "
			  "change content after signing, and keep line endings and encodings "
			  "stable. Then send it again.",
		.actor = ACTOR_SENDING_SERVER,
		.category = CAT_POLICY,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.7.8",
		.title = "Authentication credentials invalid",
		.meaning = "The server refused the AUTH attempt because the user name, password "
			   "or token was wrong or not enough.",
		.causes = "A wrong or expired password, SMTP credentials that were revoked or "
			  "replaced, a user name in the wrong form (address instead of account "
			  "id, or the reverse), a badly encoded AUTH PLAIN string, or an expired "
			  "OAuth token.",
		.action = "Check the user name and password or create new SMTP credentials, and "
			  "make sure the client encodes them correctly. Do not retry in a loop: "
			  "repeated failures can get the IP throttled.",
		.actor = ACTOR_SENDING_PROGRAM,
		.category = CAT_AUTH_FAILED,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.7.9",
		.title = "Authentication mechanism is too weak",
		.meaning = "The chosen AUTH mechanism is weaker than the server allows for this "
			   "user, so it refused the attempt.",
		.causes = "The client used a clear-text mechanism such as LOGIN or PLAIN where "
			  "the server wants something stronger for this account, or an old "
			  "mechanism the server's policy has retired.",
		.action = "Choose a stronger mechanism among those the server advertises, for "
			  "example a challenge-response or token-based one, or the same one after "
			  "STARTTLS, and authenticate again.",
		.actor = ACTOR_SENDING_PROGRAM,
		.category = CAT_AUTH_FAILED,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.7.10",
		.title = "Encryption needed",
		.meaning = "The requested authentication mechanism needs a strong encryption "
			   "layer on the connection first.",
		.causes = "The client tried to log in with a clear-text mechanism (PLAIN, LOGIN) "
			  "on a connection not protected by TLS.",
		.action = "Start TLS before authenticating (STARTTLS on port 587, or TLS from the "
			  "start on port 465), or use a stronger mechanism. Turn TLS on in the "
			  "client's settings.",
		.actor = ACTOR_SENDING_PROGRAM,
		.category = CAT_TLS_REQUIRED,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.7.11",
		.title = "Encryption required for requested authentication mechanism",
		.meaning = "The chosen AUTH mechanism may only be used over an encrypted "
			   "connection, and this one is not encrypted.",
		.causes = "The client authenticated before STARTTLS, or TLS is turned off in its "
			  "settings. Servers seldom send it today, since they do not offer such "
			  "mechanisms before TLS.",
		.action = "Turn TLS on in the client (STARTTLS, or port 465) and authenticate "
			  "once it is in place.",
		.actor = ACTOR_SENDING_PROGRAM,
		.category = CAT_TLS_REQUIRED,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.7.12",
		.title = "A password transition is needed",
		.meaning = "The user has to move over to the selected authentication mechanism, "
			   "which usually takes one login with PLAIN first.",
		.causes = "The server does not yet hold the credential data the chosen mechanism "
			  "needs, for example after a password change or a move to a new "
			  "mechanism.",
		.action = "Log in once with PLAIN over a connection protected by TLS; after that "
			  "the selected mechanism should work in later sessions.",
		.actor = ACTOR_SENDING_PROGRAM,
		.category = CAT_AUTH_FAILED,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.7.13",
		.title = "User account disabled",
		.meaning = "The login itself was correct, but the account has been disabled by "
			   "its administrator, so it may not be used.",
		.causes = "The provider suspended the account for non-payment, for abuse such as "
			  "spam sent through it, because of a suspected break-in, or by an "
			  "administrative decision.",
		.action = "Do not keep retrying or typing the password again; that cannot help. "
			  "Contact the administrator or provider of the account to have it "
			  "enabled again.",
		.actor = ACTOR_SENDING_SERVER,
		.category = CAT_AUTH_FAILED,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.7.14",
		.title = "Trust relationship required",
		.meaning = "The submission server needs a configured trust relationship with "
			   "another server to fetch the message content from it, and there is "
			   "none.",
		.causes = "With BURL, the submission server may not fetch from the IMAP server "
			  "named in the URL, because no trust between the two servers has been "
			  "set up.",
		.action = "Have the administrators set up the trust between the submission server "
			  "and the IMAP server, or send the message content with DATA instead of "
			  "BURL.",
		.actor = ACTOR_SENDING_SERVER,
		.category = CAT_POLICY,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.7.15",
		.title = "Priority level is too low",
		.meaning = "The priority of the message is below the lowest priority the "
			   "receiving server accepts at this time.",
		.causes = "The server uses the MT-PRIORITY extension (RFC 6710) and is in a mode "
			  "where it takes only higher-priority mail, for example during overload "
			  "or an emergency; this may be temporary.",
		.action = "When transient, retry later when normal traffic is accepted again. "
			  "Raise the priority only if your account is allowed to and the message "
			  "really needs it.",
		.actor = ACTOR_POLICY,
		.category = CAT_POLICY,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.7.16",
		.title = "Message is too big for the specified priority",
		.meaning = "The message is too large for the priority it was sent with; at that "
			   "priority the receiver takes only smaller messages.",
		.causes = "The server limits the size of high-priority messages, perhaps only for "
			  "a while, for example when it accepts only small urgent messages during "
			  "a busy period (RFC 6710).",
		.action = "Make the message smaller, or send it at a lower priority where a "
			  "larger size is accepted. When transient, a later attempt may also "
			  "work.",
		.actor = ACTOR_SENDING_PROGRAM,
		.category = CAT_TOO_LARGE,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.7.17",
		.title = "Mailbox owner has changed",
		.meaning = "The message asked, through RRVS (RFC 7293), to be delivered only if "
			   "the mailbox had the same owner since a given date, and the receiver "
			   "found that it had not.",
		.causes = "The person you meant to write to gave up the address, and it was later "
			  "handed to someone else; your record of the address predates its "
			  "current owner.",
		.action = "Do not send to this address again: it no longer belongs to the person "
			  "you know. Ask them for a current address and update or remove the old "
			  "one.",
		.actor = ACTOR_RECIPIENT_MAILBOX,
		.category = CAT_USER_UNKNOWN,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.7.18",
		.title = "Domain owner has changed",
		.meaning = "The message asked, through RRVS (RFC 7293), for delivery only if "
			   "ownership was unchanged since a given date, and the receiver reports "
			   "that the recipient's domain has a new owner since then.",
		.causes = "The domain expired or was sold and is now held by someone else, so the "
			  "mailbox you knew no longer belongs to the same organisation.",
		.action = "Stop sending to the address, since it may reach a stranger, and "
			  "confirm the person's current address by another channel.",
		.actor = ACTOR_RECIPIENT_MAILBOX,
		.category = CAT_USER_UNKNOWN,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.7.19",
		.title = "RRVS test cannot be completed",
		.meaning = "The message asked for an RRVS ownership check (RFC 7293), but the "
			   "receiver cannot carry it out because it never recorded when the "
			   "mailbox got its current owner.",
		.causes = "The receiving system supports RRVS but has no creation or ownership "
			  "date for this mailbox, for example for accounts older than its "
			  "records.",
		.action = "Decide whether the message may go without the ownership check: if so, "
			  "send it again without the RRVS requirement; if not, first confirm the "
			  "address with the recipient.",
		.actor = ACTOR_SENDING_PROGRAM,
		.category = CAT_PROTOCOL,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.7.20",
		.title = "No passing DKIM signature found",
		.meaning = "The receiver requires a DKIM signature that verifies, and the message "
			   "had none (RFC 7372).",
		.causes = "The message was not signed at all, the public key is missing from DNS "
			  "under the selector used, the key in DNS does not match the signing "
			  "key, or the body or signed headers changed after signing.",
		.action = "Sign outgoing mail with DKIM, publish the key at selector._domainkey "
			  "under your domain and check it with a DNS lookup, and make sure "
			  "nothing alters the message after signing.",
		.actor = ACTOR_SENDING_SERVER,
		.category = CAT_POLICY,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.7.21",
		.title = "No acceptable DKIM signature found",
		.meaning = "The message carried one or more DKIM signatures that verified, but "
			   "under the receiver's rules none of them is good enough.",
		.causes = "The valid signatures come from a domain the receiver does not trust "
			  "for this mail (only the provider's domain, for example), use a key "
			  "that is too short, or fail another local requirement.",
		.action = "Sign with a key of your own domain, aligned with the From address and "
			  "strong enough (RSA of 2048 bits, for example), and check the "
			  "receiver's published requirements.",
		.actor = ACTOR_SENDING_SERVER,
		.category = CAT_POLICY,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.7.22",
		.title = "No valid author-matched DKIM signature found",
		.meaning = "The message had DKIM signatures that verified, but none from the "
			   "domain of the author in the From header, which the receiver requires.",
		.causes = "Mail is signed only with the sending provider's domain, or with a "
			  "domain other than that of the From address, so no signature matches "
			  "the author.",
		.action = "Sign with the domain used in the From header (set up DKIM for your own "
			  "domain with your provider), or send from an address in the domain you "
			  "sign with.",
		.actor = ACTOR_SENDING_SERVER,
		.category = CAT_POLICY,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.7.23",
		.title = "SPF validation failed",
		.meaning = "The SPF record of the sender's domain does not authorise the IP "
			   "address the message came from, and the receiver's policy refuses mail "
			   "that fails SPF.",
		.causes = "The SPF record does not list the server or provider that actually "
			  "sends the mail, a new provider was added without updating SPF, or a "
			  "third party forwarded the message.",
		.action = "Add the sending servers, or the provider's include, to the SPF record "
			  "of the envelope sender's domain, check it with an SPF checker and send "
			  "again. Forwarders should rewrite the envelope sender (SRS).",
		.actor = ACTOR_SENDING_SERVER,
		.category = CAT_POLICY,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.7.24",
		.title = "SPF validation error",
		.meaning = "The receiver could not evaluate SPF for the message because of an "
			   "error, either a temporary DNS problem or a broken SPF record.",
		.causes = "When transient, the sender domain's DNS timed out or failed (SPF "
			  "temperror). When permanent, the SPF record is invalid: a syntax error, "
			  "two SPF records, or more than 10 DNS lookups (SPF permerror).",
		.action = "Validate the SPF record of the sender domain, keep a single record "
			  "within 10 lookups, and make sure its name servers answer reliably. "
			  "When transient, let the queue retry.",
		.actor = ACTOR_SENDING_SERVER,
		.category = CAT_POLICY,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.7.25",
		.title = "Reverse DNS validation failed",
		.meaning = "The receiver looked up the name of the sending server's IP address, "
			   "the result did not satisfy its rules, and so it refuses mail from "
			   "that client.",
		.causes = "The sending IP has no PTR record, its PTR name does not resolve back "
			  "to the same IP, or the name looks generic, like the names of dynamic "
			  "or home connections.",
		.action = "Ask the owner of the IP address (your hosting or network provider) for "
			  "a PTR record naming a proper host that resolves back to the same IP, "
			  "and use that name in HELO.",
		.actor = ACTOR_SENDING_SERVER,
		.category = CAT_BLOCKED,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.7.26",
		.title = "Multiple authentication checks failed",
		.meaning = "The message failed more than one of the receiver's authentication "
			   "checks, such as SPF, DKIM and DMARC, and its policy refuses it; the "
			   "reply need not say which ones.",
		.causes = "The sender domain has neither SPF nor DKIM in place, or neither is "
			  "aligned with the From domain, so a DMARC policy of reject applies; "
			  "common after moving to a new provider or when sending as a domain from "
			  "a server it has not authorised.",
		.action = "Set up SPF and DKIM for the domain in the From header, aligned with "
			  "it, and publish DMARC. Check the result with a test message and its "
			  "Authentication-Results header.",
		.actor = ACTOR_SENDING_SERVER,
		.category = CAT_POLICY,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.7.27",
		.title = "Sender address has null MX",
		.meaning = "The domain of the sender address publishes a null MX, declaring that "
			   "it takes no mail, so the receiver refuses the message: no bounce "
			   "could reach the sender.",
		.causes = "The message is sent from a domain set up to take no mail (a no-reply "
			  "or web-only domain), or a null MX was published by mistake (RFC 7505).",
		.action = "Send with an envelope sender in a domain that can receive mail, or "
			  "replace the null MX of the sending domain with real MX records.",
		.actor = ACTOR_SENDING_SERVER,
		.category = CAT_SENDER_REJECTED,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.7.28",
		.title = "Mail flood detected",
		.meaning = "The receiver judged that this message belongs to a large wave of "
			   "near-identical unwanted mail, and refused or throttled it.",
		.causes = "Many similar messages in a short time, often sign-up or confirmation "
			  "mail that abusers trigger through web forms with forged addresses; "
			  "Gmail also sends 4.7.28 when it limits a domain for an unusual rate of "
			  "unwanted mail.",
		.action = "Send more slowly to that provider, protect web forms with rate limits, "
			  "a captcha or double opt-in, and stop mailing addresses that never "
			  "asked for mail. When transient, let the queue retry at a lower rate.",
		.actor = ACTOR_POLICY,
		.category = CAT_SPAM,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.7.29",
		.title = "ARC validation failure",
		.meaning = "The chain of ARC headers (RFC 8617), in which intermediaries record "
			   "the authentication results they saw, did not verify, so the receiver "
			   "refused the message.",
		.causes = "A mailing list or forwarder added broken ARC headers, a later hop "
			  "changed the message after an ARC seal, or the ARC keys are missing "
			  "from DNS.",
		.action = "If you run the forwarder or list, check its ARC signing and keys. As "
			  "the original sender, make SPF and DKIM pass so that delivery does not "
			  "depend on ARC, and tell the forwarder's operator.",
		.actor = ACTOR_SENDING_SERVER,
		.category = CAT_POLICY,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
	{
		.code = "X.7.30",
		.title = "REQUIRETLS support required",
		.meaning = "The message was sent with a REQUIRETLS demand (RFC 8689), and none of "
			   "the servers it would have to be passed to support REQUIRETLS, so it "
			   "was not forwarded.",
		.causes = "The destination's mail servers do not implement the REQUIRETLS "
			  "extension, or do not offer it over a validated TLS connection.",
		.action = "Send the message without REQUIRETLS if that is acceptable, or reach "
			  "the recipient through a provider that supports it; otherwise the "
			  "destination's administrators must add support.",
		.actor = ACTOR_RECEIVING_SERVER,
		.category = CAT_TLS_REQUIRED,
		.retry = RETRY_BY_CLASS,
		.vague = false,
	},
};

const size_t status_enhanced_count =
	sizeof(status_enhanced_table) / sizeof(status_enhanced_table[0]);
