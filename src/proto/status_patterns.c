/*
 * status_patterns.c - text patterns of well-known real replies (see status.h).
 *
 * A code alone is often vague: 550 and 5.7.1 cover unknown users, spam, relay denial and
 * blocklists alike. These patterns read the words of the reply to refine the category, who
 * has to act and what to do; a matching pattern always wins over what the codes say.
 *
 * Order matters: the first pattern that matches decides, so specific phrases come before
 * general ones ("relay access denied" before "access denied", sending quotas before the
 * mailbox "quota", "retry timeout exceeded" before "timeout"). Matching is case-insensitive,
 * a space stands for any run of blanks and line breaks, '|' separates alternatives and '*'
 * is a gap of any characters. `codes` restricts a pattern to replies whose basic or enhanced
 * code starts with one of its prefixes.
 *
 * The last entries have no category: they are verdict phrases, which tell whether a bounce
 * report as a whole is a delay notice or a final failure. The first one found wins, so the
 * delay notices come first.
 */
#include "status.h"

const struct status_pattern status_pattern_table[] = {
	/* Deliberate deferrals and loops: their words are unmistakable and must win over any "try
	 * again later" or "too many" further down. */
	{
		.name = "greylisting",
		.match = "greylist|graylist|grey-list|gray-list|grey list|gray list|grey listing|"
			 "postgrey",
		.codes = NULL,
		.category = CAT_GREYLISTED,
		.actor = ACTOR_SENDING_SERVER,
		.meaning = "The receiving server turned this first attempt away on purpose "
			   "(greylisting). It refuses mail from a sender it has not seen lately "
			   "and accepts the same message when it comes back after a short wait.",
		.causes = "A new combination of sending address, sender and recipient; a first "
			  "delivery from a new server or IP address; a sending pool that retries "
			  "from a different IP address each time.",
		.action = "Nothing if the sending server retries on its own: the message usually "
			  "goes through a few minutes later. Retry from the same IP address, and "
			  "treat it as a problem only if the deferral lasts for hours.",
		.verdict = VERDICT_TRANSIENT,
	},
	{
		.name = "greylisting_come_back",
		.match = "please come back in|come back later|not yet authorized to deliver|"
			 "first delivery attempt|first attempt from",
		.codes = "4",
		.category = CAT_GREYLISTED,
		.actor = ACTOR_SENDING_SERVER,
		.meaning = "A temporary refusal that asks the sender to return after a set delay. "
			   "Greylisting servers word their first refusal this way.",
		.causes = "The server has no record of this sender yet and holds the first "
			  "attempt back to see whether a real mail server retries it.",
		.action = "Let the sending server retry after the delay the reply names, from the "
			  "same IP address. No change to the message or the address is needed.",
		.verdict = VERDICT_TRANSIENT,
	},
	{
		.name = "mail_loop",
		.match = "mail loop|mailing loop|forwarding loop|routing loop|loop detected|"
			 "looping detected|loops back to myself|loops back to me|"
			 "message is looping|too many hops|hop count|too many \"received\"|"
			 "too many received|loop count",
		.codes = NULL,
		.category = CAT_LOOP,
		.actor = ACTOR_RECEIVING_SERVER,
		.meaning = "The message went round in a circle between mail servers or forwarding "
			   "rules, and a server stopped it after it had passed through too many "
			   "hops.",
		.causes = "A forward from one mailbox to another that forwards back; two servers "
			  "that each believe the other is responsible for the domain; an MX "
			  "record that points back at the sender; an alias that expands to itself.",
		.action = "Ask the recipient or their administrator to check forwarding rules, "
			  "aliases and the routing of the domain. Sending again does not help "
			  "until the loop is broken.",
		.verdict = VERDICT_UNKNOWN,
	},
	/* Encryption, authentication and the sender's own identity: checked before any wording
	 * about recipients, since their replies often quote the recipient address. */
	{
		.name = "unsolicited_rate",
		.match = "unusual rate of unsolicited|rate of unsolicited|"
			 "unsolicited mail originating|unsolicited rate",
		.codes = NULL,
		.category = CAT_RATE_LIMITED,
		.actor = ACTOR_POLICY,
		.meaning = "The receiving provider saw an unusual share of unwanted mail from "
			   "this sending domain or IP address and is accepting its mail only "
			   "slowly for now.",
		.causes = "Recipients marking the mail as spam; mail sent to old or purchased "
			  "lists; a sudden rise in volume; a compromised account sending spam "
			  "under the same domain.",
		.action = "Slow down and let the sending server retry. Send only to people who "
			  "asked for the mail, make unsubscribing easy, and follow the provider's "
			  "guidelines for bulk senders.",
		.verdict = VERDICT_UNKNOWN,
	},
	{
		.name = "tls_required",
		.match = "must issue a starttls|starttls command first|starttls is required|"
			 "starttls required|tls required|tls is required|requires tls|"
			 "must use tls|use starttls|tls must be used|encryption required|"
			 "encryption is required|requires encryption|requires a secure connection|"
			 "secure connection required|not accepted without tls|tls needed",
		.codes = NULL,
		.category = CAT_TLS_REQUIRED,
		.actor = ACTOR_SENDING_SERVER,
		.meaning = "The server accepts this command only over an encrypted connection, "
			   "and the session has not started TLS.",
		.causes = "A client that connects without STARTTLS to a server that requires it; "
			  "submission on port 587 without TLS; a sending server whose TLS support "
			  "is switched off; a policy (MTA-STS, DANE) that demands encryption.",
		.action = "Issue STARTTLS after EHLO (or connect with implicit TLS on port 465) "
			  "and repeat the command. Check that the sending side has TLS enabled "
			  "and trusts the server's certificate.",
		.verdict = VERDICT_UNKNOWN,
	},
	{
		.name = "tls_failed",
		.match = "tls handshake failed|tls handshake failure|starttls failed|"
			 "cannot start tls|could not start tls|tls negotiation failed|"
			 "ssl handshake|certificate verification failed|certificate verify failed|"
			 "certificate has expired|untrusted certificate|no shared cipher|"
			 "certificate not verified|certificate not trusted|mta-sts",
		.codes = NULL,
		.category = CAT_TLS_REQUIRED,
		.actor = ACTOR_RECEIVING_SERVER,
		.meaning = "The two servers could not set up an encrypted connection, and "
			   "delivery needed one.",
		.causes = "An expired, self-signed or mismatched certificate; no protocol version "
			  "or cipher in common; a middlebox that breaks STARTTLS; a policy that "
			  "requires a verified certificate the server cannot show.",
		.action = "Check the receiving server's certificate and TLS settings (openssl "
			  "s_client -starttls smtp). If the policy that demands verified TLS is "
			  "on the sending side, relax it for this domain only after confirming "
			  "the cause.",
		.verdict = VERDICT_UNKNOWN,
	},
	{
		.name = "auth_failure_throttle",
		.match = "too many auth failures|too many authentication failures|"
			 "too many failed auth|too many failed login|too many invalid login",
		.codes = NULL,
		.category = CAT_AUTH_FAILED,
		.actor = ACTOR_SENDING_PROGRAM,
		.meaning = "The server is refusing this client for a while because it has failed "
			   "to log in too many times.",
		.causes = "Wrong or revoked SMTP credentials used over and over; an application "
			  "retrying with an old password; a sender address that is not approved "
			  "for these credentials.",
		.action = "Stop the failing client, fix its credentials or its approved sender, "
			  "then wait for the block to expire before trying again. Retrying with "
			  "the same credentials prolongs it.",
		.verdict = VERDICT_UNKNOWN,
	},
	{
		.name = "dmarc_policy",
		.match = "dmarc policy|dmarc verification|dmarc check|dmarc fail|failed dmarc|"
			 "fails dmarc|dmarc=fail|dmarc reject|dmarc authentication|pass dmarc|"
			 "dmarc initiative|dmarc alignment|due to dmarc|dmarc validation|"
			 "dmarc rejection|dmarc quarantine|dmarc evaluation",
		.codes = NULL,
		.category = CAT_POLICY,
		.actor = ACTOR_POLICY,
		.meaning = "The message failed the DMARC check of the domain in its From header, "
			   "and that domain asks receivers to refuse such mail.",
		.causes = "Mail sent through a server that is not in the domain's SPF record and "
			  "is not signed with an aligned DKIM key; a From domain that differs "
			  "from the authenticated domain; a forwarder or list that broke the DKIM "
			  "signature.",
		.action = "Publish SPF for the sending server and sign with DKIM for the From "
			  "domain so that at least one of them passes and aligns. Check the DMARC "
			  "reports of the domain to find other sources.",
		.verdict = VERDICT_UNKNOWN,
	},
	{
		.name = "spf_fail",
		.match = "spf check failed|spf fail|failed spf|failed the spf|spf validation|"
			 "spf=fail|spf softfail|spf hardfail|spf-fail|spf record|spf policy|"
			 "not permitted by spf|does not pass spf|spf authentication|"
			 "sender policy framework|does not designate|spf check",
		.codes = NULL,
		.category = CAT_POLICY,
		.actor = ACTOR_POLICY,
		.meaning = "The receiving server checked the sender domain's SPF record and the "
			   "sending IP address is not allowed to send for it.",
		.causes = "A new sending server or provider missing from the SPF record; an SPF "
			  "record with a syntax error or too many DNS lookups; mail forwarded by "
			  "a third party.",
		.action = "Add the sending server or provider to the SPF record of the envelope "
			  "sender's domain, check the record with an SPF validator, and send "
			  "again.",
		.verdict = VERDICT_UNKNOWN,
	},
	{
		.name = "sender_unauthenticated",
		.match = "unauthenticated email|unauthenticated mail|unauthenticated sender|"
			 "sender is unauthenticated|sender authentication|spf or dkim|dkim or spf|"
			 "required authentication level|not pass authentication|"
			 "authentication checks",
		.codes = NULL,
		.category = CAT_POLICY,
		.actor = ACTOR_POLICY,
		.meaning = "The receiving server requires mail to prove its sender domain with "
			   "SPF or DKIM, and this message proved nothing.",
		.causes = "No DKIM signature and no SPF record covering the sending server; a "
			  "signature made with a key that is missing from DNS; a provider's "
			  "policy that refuses unauthenticated bulk mail.",
		.action = "Sign outgoing mail with DKIM for the From domain and publish SPF for "
			  "the sending server, then check the result in the headers of a test "
			  "message.",
		.verdict = VERDICT_UNKNOWN,
	},
	{
		.name = "dkim_fail",
		.match = "dkim signature|dkim fail|dkim check|dkim verification|dkim validation|"
			 "failed dkim|dkim=fail|invalid dkim|bad dkim|dkim key|no valid dkim|"
			 "dkim authentication",
		.codes = NULL,
		.category = CAT_POLICY,
		.actor = ACTOR_POLICY,
		.meaning = "The DKIM signature of the message was missing, broken or could not be "
			   "checked, and the receiver refuses mail that way.",
		.causes = "A public key missing or wrong in DNS; the message changed after "
			  "signing (footers, rewritten headers, line endings); an expired or "
			  "revoked selector; a key that is too short.",
		.action = "Check the selector's TXT record, sign after any step that changes the "
			  "message, and send a test to a checker that shows the DKIM result.",
		.verdict = VERDICT_UNKNOWN,
	},
	{
		.name = "auth_failed",
		.match = "authentication failed|authentication failure|"
			 "authentication unsuccessful|authentication credentials invalid|"
			 "invalid credentials|credentials invalid|credentials were incorrect|"
			 "bad credentials|username and password not accepted|username or password|"
			 "incorrect authentication data|invalid login|login failed|"
			 "login incorrect|authentication rejected|incorrect password|"
			 "invalid password|wrong password|password expired|password has expired|"
			 "application-specific password required|log in via your web browser|"
			 "authentication mechanism is too weak|"
			 "smtpclientauthentication is disabled|authentication is disabled|"
			 "authentication has been disabled|smtp auth is disabled|"
			 "authentication error",
		.codes = NULL,
		.category = CAT_AUTH_FAILED,
		.actor = ACTOR_SENDING_PROGRAM,
		.meaning = "The server refused the login: the user name, the password or the way "
			   "of logging in was not accepted.",
		.causes = "A mistyped, changed or expired password; the account name given "
			  "instead of the SMTP user name; SMTP authentication switched off for "
			  "the account; a provider that wants an app password or OAuth instead of "
			  "the normal password.",
		.action = "Check the SMTP user name and password in the sending program, create "
			  "new SMTP credentials if in doubt, and make sure SMTP authentication is "
			  "enabled for the account.",
		.verdict = VERDICT_UNKNOWN,
	},
	{
		.name = "relay_denied",
		.match = "relay access denied|relay access is denied|relaying denied|relay denied|"
			 "relaying not permitted|relay not permitted|not permitted to relay|"
			 "relaying is not permitted|unable to relay|we do not relay|"
			 "relaying disallowed|relay not allowed|relaying not allowed|"
			 "not allowed to relay|relaying is not allowed|relay prohibited|"
			 "relaying prohibited|relay rejected|relaying rejected|cannot relay|"
			 "can't relay|no relaying|relay not authorized|relaying not authorized|"
			 "not authorized to relay|list of allowed rcpthosts",
		.codes = NULL,
		.category = CAT_RELAY_DENIED,
		.actor = ACTOR_SENDING_PROGRAM,
		.meaning = "The server does not handle mail for the recipient's domain and will "
			   "not pass it on for this sender.",
		.causes = "A client sending through a server without logging in first; a server "
			  "used as outgoing server that only receives mail for its own domains; "
			  "an MX record that points at a server not set up for the domain; a "
			  "recipient domain removed from the server.",
		.action = "Log in (SMTP AUTH) before sending, or send through the server meant "
			  "for outgoing mail. If this server should accept mail for the domain, "
			  "its administrator must add the domain to it.",
		.verdict = VERDICT_UNKNOWN,
	},
	{
		.name = "auth_required",
		.match = "authentication required|authentication is required|auth required|"
			 "must authenticate|need to authenticate|needs authentication|"
			 "requires authentication|require authentication|authenticate first|"
			 "please authenticate|not authenticated|not logged in|smtp auth required|"
			 "authorization required|login required|must be authenticated|"
			 "you must log in",
		.codes = NULL,
		.category = CAT_AUTH_REQUIRED,
		.actor = ACTOR_SENDING_PROGRAM,
		.meaning = "The server wants the client to log in before it accepts this command.",
		.causes = "A sending program configured without SMTP credentials; a login that "
			  "failed silently earlier in the session; commands sent before AUTH "
			  "finished; a submission port that only takes authenticated mail.",
		.action = "Configure the sending program with the SMTP user name and password, "
			  "make it log in after STARTTLS and before MAIL FROM, then send again.",
		.verdict = VERDICT_UNKNOWN,
	},
	{
		.name = "sender_not_owned",
		.match = "not owned by|not allowed to send as|sendasdenied|send as denied|"
			 "not authorized to send as|not permitted to send as|"
			 "not authorized to send on behalf|not allowed to send on behalf|"
			 "authorization failed: address|sender address mismatch|"
			 "does not match authenticated user|does not match the authenticated|"
			 "approved sender",
		.codes = NULL,
		.category = CAT_SENDER_REJECTED,
		.actor = ACTOR_SENDING_PROGRAM,
		.meaning = "The logged-in account is not allowed to send with this sender address.",
		.causes = "A From or envelope sender address that belongs to another user or "
			  "domain; an address that was never registered as an approved sender; "
			  "credentials of one account used for mail of another.",
		.action = "Send with an address that the account owns, or register the address as "
			  "an approved sender (or grant send-as rights) for these credentials.",
		.verdict = VERDICT_UNKNOWN,
	},
	{
		.name = "sender_domain_not_found",
		.match = "sender address rejected: domain not found|domain of sender address|"
			 "sender domain not found|sender domain does not exist|"
			 "sender domain must exist|sender domain must resolve|"
			 "sender domain is not resolv|sender domain unknown|unknown sender domain|"
			 "sender domain has no|unresolvable rfc.5321 from domain|"
			 "unresolvable rfc5321|from domain does not resolve|"
			 "sender's domain does not",
		.codes = NULL,
		.category = CAT_SENDER_REJECTED,
		.actor = ACTOR_SENDING_SERVER,
		.meaning = "The receiving server looked up the domain of the sender address in "
			   "DNS and found nothing it could send replies or bounces to.",
		.causes = "A typing error in the sender domain; a domain that has expired or has "
			  "no MX, A or AAAA record; a sending program that uses an internal host "
			  "name as sender; a DNS outage at the sender's provider.",
		.action = "Use a sender address in a registered domain with working MX or A "
			  "records, and check the domain with dig from outside the sending "
			  "network.",
		.verdict = VERDICT_UNKNOWN,
	},
	{
		.name = "sender_verify_failed",
		.match = "sender verify failed|sender verification failed|sender verify defer|"
			 "could not verify sender|unable to verify sender|"
			 "sender address verification|unverified sender|sender not verified|"
			 "sender unverified|from address not verified|"
			 "email address is not verified|address is not verified|"
			 "identities failed the check|sender address rejected: undeliverable|"
			 "sender address does not exist|sender does not exist|"
			 "sender mailbox does not exist|sender address is invalid|invalid sender|"
			 "unknown sender|sender unknown|sender address rejected: user unknown|"
			 "bad outbound sender",
		.codes = NULL,
		.category = CAT_SENDER_REJECTED,
		.actor = ACTOR_SENDING_SERVER,
		.meaning = "The sender address could not be verified: either the receiver called "
			   "back and the address did not accept mail, or the sending service has "
			   "not verified the address.",
		.causes = "A no-reply address that rejects all mail; a sender address that does "
			  "not exist on its own server; a new address not yet verified with the "
			  "sending service; a callback blocked by the sender's server.",
		.action = "Send from an address that exists and accepts replies, and verify it "
			  "with the sending service where that is required.",
		.verdict = VERDICT_UNKNOWN,
	},
	{
		.name = "suppression_list",
		.match = "suppression list|on the suppression|suppression for|"
			 "suppressed recipient|recipient is suppressed|address is suppressed|"
			 "suppressed due to",
		.codes = NULL,
		.category = CAT_POLICY,
		.actor = ACTOR_SENDING_PROGRAM,
		.meaning = "The sending service did not deliver to this recipient because the "
			   "address is on its suppression list.",
		.causes = "An earlier hard bounce, a spam complaint or an unsubscribe from this "
			  "recipient; an address added to the list by hand.",
		.action = "Remove the address from your lists. Take it off the suppression list "
			  "only if the recipient confirms that the address works and wants the "
			  "mail.",
		.verdict = VERDICT_UNKNOWN,
	},
	/* The sending server's standing: HELO, reverse DNS, blocklists, reputation. */
	{
		.name = "helo_rejected",
		.match = "helo command rejected|ehlo command rejected|helo rejected|ehlo rejected|"
			 "invalid helo|invalid ehlo|bad helo|helo name|helo hostname|helo host|"
			 "your helo|helo argument|helo greeting|you are not me|"
			 "you aren't localhost|need fully-qualified hostname|"
			 "fully qualified hostname",
		.codes = NULL,
		.category = CAT_POLICY,
		.actor = ACTOR_SENDING_SERVER,
		.meaning = "The receiving server refused the name the sending server gave in HELO "
			   "or EHLO.",
		.causes = "A HELO name such as localhost, a bare word or an IP address; a name "
			  "that does not resolve in DNS; a name claiming to be the receiving "
			  "server itself; a name that does not match the sending IP address.",
		.action = "Set the sending server's HELO name to its fully qualified public host "
			  "name, one that resolves to its IP address and matches its reverse DNS.",
		.verdict = VERDICT_UNKNOWN,
	},
	{
		.name = "no_reverse_dns",
		.match = "cannot find your hostname|cannot find your reverse hostname|"
			 "reverse hostname|reverse dns|reverse lookup|rdns|ptr record|no ptr|"
			 "ptr lookup|missing ptr|not resolve to your|hostname does not resolve|"
			 "unable to verify your hostname",
		.codes = NULL,
		.category = CAT_BLOCKED,
		.actor = ACTOR_SENDING_SERVER,
		.meaning = "The receiving server refuses connections from IP addresses without "
			   "proper reverse DNS: the sending address has no PTR name, or that name "
			   "does not point back to the address.",
		.causes = "No PTR record for the sending IP address; a generic PTR name of a home "
			  "or cloud network; a PTR name whose forward lookup gives another "
			  "address; a DNS timeout during the check.",
		.action = "Ask the owner of the IP address (hosting provider or ISP) to set a PTR "
			  "record naming the mail server, and make that name resolve back to the "
			  "same address.",
		.verdict = VERDICT_UNKNOWN,
	},
	{
		.name = "user_not_in_directory",
		.match = "not listed in domino directory|not listed in public name|"
			 "not listed in the directory",
		.codes = NULL,
		.category = CAT_USER_UNKNOWN,
		.actor = ACTOR_SENDING_PROGRAM,
		.meaning = "The receiving server looked for the recipient in its directory and "
			   "found no such person.",
		.causes = "A misspelt address; a person who has left the organisation; an address "
			  "book entry that is out of date.",
		.action = "Check the address with the recipient by other means and correct it. "
			  "Remove it from mailing lists if it stays unknown.",
		.verdict = VERDICT_UNKNOWN,
	},
	{
		.name = "spamhaus",
		.match = "spamhaus",
		.codes = NULL,
		.category = CAT_BLOCKED,
		.actor = ACTOR_POLICY,
		.meaning = "The sending IP address or domain is listed by Spamhaus, and the "
			   "receiving server refuses mail from listed senders.",
		.causes = "Spam sent from the address or its network; a compromised account or "
			  "machine; a dynamic or residential address range on a policy list; a "
			  "shared IP address used by a bad neighbour.",
		.action = "Look the address up at spamhaus.org, fix what caused the listing, and "
			  "request removal there. Send through another IP address until the "
			  "listing is gone.",
		.verdict = VERDICT_UNKNOWN,
	},
	{
		.name = "barracuda",
		.match = "barracuda",
		.codes = NULL,
		.category = CAT_BLOCKED,
		.actor = ACTOR_POLICY,
		.meaning = "A Barracuda filter refused the mail, usually because the sending IP "
			   "address is on the Barracuda reputation list.",
		.causes = "Spam or a sudden burst of mail from the address; a compromised "
			  "machine; a poor reputation of the shared IP address.",
		.action = "Check the IP address at barracudacentral.org and request removal once "
			  "the cause is fixed. Contact the recipient's administrator if the "
			  "address is not listed.",
		.verdict = VERDICT_UNKNOWN,
	},
	{
		.name = "spamcop",
		.match = "spamcop",
		.codes = NULL,
		.category = CAT_BLOCKED,
		.actor = ACTOR_POLICY,
		.meaning = "The sending IP address is on the SpamCop blocking list, which the "
			   "receiving server uses.",
		.causes = "Recipients reported mail from this address as spam to SpamCop, or it "
			  "hit their spam traps.",
		.action = "Check the listing at spamcop.net and stop the mail that drew the "
			  "reports. Listings expire on their own some time after the reports stop.",
		.verdict = VERDICT_UNKNOWN,
	},
	{
		.name = "sorbs",
		.match = "sorbs",
		.codes = NULL,
		.category = CAT_BLOCKED,
		.actor = ACTOR_POLICY,
		.meaning = "The sending IP address is on a SORBS list, and the receiving server "
			   "refuses listed senders.",
		.causes = "Spam from the address; a dynamic address range listed as such; an open "
			  "relay or proxy found on the address.",
		.action = "Look up the address on the SORBS site, fix the cause, and request "
			  "delisting. Send through another address in the meantime.",
		.verdict = VERDICT_UNKNOWN,
	},
	{
		.name = "dnsbl",
		.match = "blocked using|listed at|listed in|listed on|is listed|are listed|"
			 "blacklist|black list|blocklist|block list|denylist|deny list|dnsbl| rbl|"
			 "rbl |rbl:|rbls|uribl|surbl|uceprotect|abuseat|mailspike|invaluement|"
			 "backscatterer|0spam|psbl",
		.codes = NULL,
		.category = CAT_BLOCKED,
		.actor = ACTOR_POLICY,
		.meaning = "The sending IP address or domain is on a DNS blocklist that the "
			   "receiving server consults, so the mail is refused before it is read.",
		.causes = "Spam or virus traffic from the address or its network; a compromised "
			  "account; a shared IP address with a bad neighbour; a domain in the "
			  "message found on a URI blocklist.",
		.action = "Find the list named in the reply, look the address up there, remove "
			  "the cause, and follow the list's removal process. Send through another "
			  "IP address until then.",
		.verdict = VERDICT_UNKNOWN,
	},
	{
		.name = "reputation",
		.match = "reputation|untrusted ip|new or untrusted|senderscore|user complaints",
		.codes = NULL,
		.category = CAT_BLOCKED,
		.actor = ACTOR_POLICY,
		.meaning = "The receiving provider judged the sending IP address or domain by its "
			   "past mail and found its reputation too poor to accept (or to accept "
			   "quickly).",
		.causes = "Spam complaints; mail to unknown or stale addresses; a new IP address "
			  "or domain with no history; sudden jumps in volume; a shared IP address "
			  "used by other bad senders.",
		.action = "Send only wanted mail, remove bouncing addresses, raise volume "
			  "gradually on new addresses, and use the provider's postmaster tools to "
			  "watch the reputation.",
		.verdict = VERDICT_UNKNOWN,
	},
	{
		.name = "ip_blocked",
		.match = "client host rejected|client host blocked|client host is blocked|"
			 "host is not allowed|not allowed to connect|ip address is blocked|"
			 "ip address has been blocked|ip address blocked|ip is blocked|"
			 "ip has been blocked|ip blocked|blocked ip|banned sending ip|banned ip|"
			 "ip is banned|traffic not accepted|does not accept mail from|"
			 "does not accept email from|not accepting mail from|not accept mail from|"
			 "refuses mail from|connection refused by policy",
		.codes = NULL,
		.category = CAT_BLOCKED,
		.actor = ACTOR_POLICY,
		.meaning = "The receiving server refuses mail from the sending IP address or host "
			   "by its own decision.",
		.causes = "Earlier spam or abuse from the address; an address range the receiver "
			  "blocks as a whole; a firewall or allow list that admits only known "
			  "partners.",
		.action = "Ask the recipient's administrator why the address is blocked and to "
			  "remove the block, or send through another server whose address is "
			  "accepted.",
		.verdict = VERDICT_UNKNOWN,
	},
	{
		.name = "virus",
		.match = "virus found|virus detected|contains a virus|contains virus|"
			 "infected with|is infected|virus infected|found a virus|virus was found|"
			 "malware|malicious|unsafe content|harmful content|trojan|security issue|"
			 "security risk",
		.codes = NULL,
		.category = CAT_VIRUS,
		.actor = ACTOR_SENDING_PROGRAM,
		.meaning = "A virus scanner at the receiving side found, or suspected, malware in "
			   "the message.",
		.causes = "An infected attachment; a document with macros; a link to a known "
			  "malicious site; a false positive of the scanner on an unusual file.",
		.action = "Scan the sending machine and the attachment, and send the message "
			  "again without the flagged content. If it is clean, share the file "
			  "another way and report the false positive.",
		.verdict = VERDICT_UNKNOWN,
	},
	{
		.name = "attachment_blocked",
		.match = "attachment type|file type|prohibited attachment|blocked attachment|"
			 "attachment not allowed|attachments are not allowed|"
			 "executable attachment|dangerous attachment|unsafe attachment|"
			 "banned attachment|forbidden attachment|attachment blocked|"
			 "prohibited file|banned file",
		.codes = NULL,
		.category = CAT_POLICY,
		.actor = ACTOR_SENDING_PROGRAM,
		.meaning = "The receiving server refuses messages with this kind of attachment, "
			   "whatever its content.",
		.causes = "An executable, script or archive type that the receiver blocks; a file "
			  "whose name or type is on a block list; an encrypted archive that "
			  "cannot be scanned.",
		.action = "Send the file another way (a download link or a shared folder), or in "
			  "a type the receiver accepts.",
		.verdict = VERDICT_UNKNOWN,
	},
	/* Too much, too fast. Sending quotas come before the mailbox "quota" words below. */
	{
		.name = "recipient_receiving_rate",
		.match = "receiving mail at a rate|receiving mail too quickly|"
			 "receiving mail too fast|receiving too much mail|recipient rate limit|"
			 "recipientratelimit|too many messages for this recipient|"
			 "too much mail for",
		.codes = NULL,
		.category = CAT_RATE_LIMITED,
		.actor = ACTOR_RECIPIENT_MAILBOX,
		.meaning = "The recipient is getting more mail than their provider lets one "
			   "mailbox receive in a short time, so new messages are held back for "
			   "now.",
		.causes = "A burst of mail to one address; a mailbox flooded by automatic "
			  "messages; a mail loop or a list sending many copies.",
		.action = "Let the sending server retry later; the mail goes through once the "
			  "recipient's rate drops. Spread messages to the same recipient over "
			  "time.",
		.verdict = VERDICT_UNKNOWN,
	},
	{
		.name = "hourly_quota",
		.match = "hourly sending|hourly domain|hourly quota|hourly limit|hourly message|"
			 "hourly rate|hourly user|daily sending|daily user|daily quota|"
			 "daily limit|daily message|daily rate|daily recipient|per hour|per day|"
			 "per minute|per second|sending quota|sending limit|send limit|"
			 "submission quota|submission limit|messages per|emails per|message limit",
		.codes = NULL,
		.category = CAT_RATE_LIMITED,
		.actor = ACTOR_SENDING_SERVER,
		.meaning = "The sender has used up a sending quota: a maximum number of messages "
			   "or recipients per minute, hour or day.",
		.causes = "A campaign or batch larger than the account's allowance; a script "
			  "sending in a loop; a compromised account; a low default quota on a new "
			  "account.",
		.action = "Wait for the quota window to pass, then send the rest more slowly. Ask "
			  "the provider for a higher quota if the volume is legitimate.",
		.verdict = VERDICT_UNKNOWN,
	},
	{
		.name = "rate_limited",
		.match = "rate limit|ratelimit|rate-limit|rate limited|rate exceeded|"
			 "exceeded the rate|sending rate|message rate|throttl|too many messages|"
			 "too many mails|too many emails|too many e-mails|too fast|too quickly|"
			 "slow down|unexpected volume|volume of mail|too much mail|"
			 "sending too much|unusual sending",
		.codes = NULL,
		.category = CAT_RATE_LIMITED,
		.actor = ACTOR_SENDING_SERVER,
		.meaning = "The receiving server is limiting how fast it takes mail from this "
			   "sender and asks it to slow down.",
		.causes = "Many messages sent in a short time; a new IP address that has not "
			  "built up trust yet; complaints that led the receiver to throttle the "
			  "sender.",
		.action = "Keep the messages queued and retry later at a lower rate. Spread large "
			  "sends over time and raise volume gradually.",
		.verdict = VERDICT_UNKNOWN,
	},
	{
		.name = "too_many_connections",
		.match = "too many connections|too many concurrent|too many simultaneous|"
			 "connection limit|connection rate|too many sessions|"
			 "too many smtp sessions|maximum number of connections|"
			 "too many open connections",
		.codes = NULL,
		.category = CAT_RATE_LIMITED,
		.actor = ACTOR_SENDING_SERVER,
		.meaning = "The receiving server refused the connection because the sender "
			   "already has too many open at once, or opened them too quickly.",
		.causes = "Several delivery processes connecting in parallel; connections not "
			  "closed after use; a per-IP connection limit lower than the sender's "
			  "concurrency.",
		.action = "Lower the number of parallel connections to this destination and reuse "
			  "one connection for several messages. The sending server can retry "
			  "later as it is.",
		.verdict = VERDICT_UNKNOWN,
	},
	{
		.name = "too_many_recipients",
		.match = "too many recipients|recipient limit|too many rcpt|"
			 "maximum number of recipients|max recipients|maximum recipients|"
			 "number of recipients|recipients exceeded|exceeds the recipient|"
			 "too many addresses|too many envelope recipients|recipient count",
		.codes = NULL,
		.category = CAT_TOO_MANY_RECIPIENTS,
		.actor = ACTOR_SENDING_PROGRAM,
		.meaning = "The message has more recipients than the server accepts in one "
			   "transaction.",
		.causes = "A message addressed to a long To, Cc and Bcc list; a program that puts "
			  "a whole list into one envelope; a per-message recipient limit lower "
			  "than the sender expected.",
		.action = "Split the recipients over several messages within the server's limit. "
			  "A client can send the rest in a new transaction after the first one "
			  "ends.",
		.verdict = VERDICT_UNKNOWN,
	},
	{
		.name = "too_many_recipients_code",
		.match = "recipient|rcpt",
		.codes = "4.5.3|5.5.3",
		.category = CAT_TOO_MANY_RECIPIENTS,
		.actor = ACTOR_SENDING_PROGRAM,
		.meaning = "The server said, with the status code for it, that this transaction "
			   "has reached its limit of recipients.",
		.causes = "More RCPT TO commands in one transaction than the server allows.",
		.action = "Send the remaining recipients in another transaction, or split the "
			  "list into smaller messages.",
		.verdict = VERDICT_UNKNOWN,
	},
	/* Any other refusal of the sender address, before the recipient phrases: a server may say
	 * "Sender address rejected: User unknown" of the sender. */
	{
		.name = "sender_rejected",
		.match = "sender address rejected|sender rejected|sender denied|sender blocked|"
			 "sender is blocked|sender address is blocked|blocked sender|"
			 "sender refused|sender not allowed|sender address refused|"
			 "mail from rejected",
		.codes = NULL,
		.category = CAT_SENDER_REJECTED,
		.actor = ACTOR_SENDING_PROGRAM,
		.meaning = "The receiving server refused the sender address of the message.",
		.causes = "A sender address or domain on the receiver's block list; a sender "
			  "address that the receiver cannot verify; a sender blocked after "
			  "earlier spam from it.",
		.action = "Send from another, verified address, or ask the recipient's "
			  "administrator to remove the block on the sender.",
		.verdict = VERDICT_UNKNOWN,
	},
	/* The recipient's mailbox: busy, full, disabled, unknown. Full wins over "inactive" (Gmail
	 * says both of a mailbox over quota). */
	{
		.name = "mailbox_busy",
		.match = "mailbox busy|mailbox is busy|mailbox in use|mailbox currently in use|"
			 "mailbox locked|mailbox is locked|mailbox temporarily unavailable|"
			 "mailbox is temporarily unavailable",
		.codes = NULL,
		.category = CAT_SYSTEM,
		.actor = ACTOR_RECEIVING_SERVER,
		.meaning = "The recipient's mailbox exists but the server could not write to it "
			   "at that moment.",
		.causes = "Another delivery or a mail client holding a lock on the mailbox; "
			  "maintenance or a move of the mailbox; a storage back end that is "
			  "briefly unreachable.",
		.action = "Let the sending server retry later; nothing about the message or the "
			  "address needs to change.",
		.verdict = VERDICT_UNKNOWN,
	},
	{
		.name = "mailbox_full",
		.match = "mailbox full|mailbox is full|mail box full|mailbox size limit|"
			 "mailbox quota|over quota|overquota|over its quota|over the quota|"
			 "quota exceeded|quotaexceeded|exceed * quota|"
			 "insufficient storage for user|out of storage space|"
			 "inbox is out of storage|inbox is full|account is full|"
			 "mailfolder is full|folder is full|storage allocation|storage limit|"
			 "disk quota|mailbox has exceeded|mailbox exceeded|mailbox would exceed|"
			 "not enough space in|no space left for|blocks limit exceeded|"
			 "inode limit exceeded|mailbox is over|user is over",
		.codes = NULL,
		.category = CAT_MAILBOX_FULL,
		.actor = ACTOR_RECIPIENT_MAILBOX,
		.meaning = "The recipient's mailbox has reached its storage limit and cannot take "
			   "this message.",
		.causes = "The recipient has not emptied the mailbox for a long time; a mailbox "
			  "that is abandoned and fills with mail nobody reads; a large message "
			  "that does not fit in the space left.",
		.action = "Tell the recipient by other means to free up space, then send again. "
			  "If the mailbox stays full for weeks it is probably abandoned: stop "
			  "sending to it.",
		.verdict = VERDICT_UNKNOWN,
	},
	{
		.name = "account_suspended",
		.match = "user is suspended|user suspended|account suspended|account is suspended|"
			 "account has been suspended|mailbox suspended|mailbox is suspended|"
			 "suspended account|suspended user|suspended mailbox|"
			 "account has been terminated|account terminated|account is terminated|"
			 "account closed|account has been closed|mailbox has been closed|"
			 "mailbox closed|account is locked|account locked|account has been locked|"
			 "mailbox is frozen|account is frozen|account frozen",
		.codes = NULL,
		.category = CAT_MAILBOX_DISABLED,
		.actor = ACTOR_RECIPIENT_MAILBOX,
		.meaning = "The recipient's account exists but has been suspended, locked or "
			   "closed, so it takes no mail.",
		.causes = "An account closed by its owner; suspension by the provider for unpaid "
			  "bills or abuse; an administrator who locked the account of someone who "
			  "left.",
		.action = "Do not keep sending. Reach the recipient another way for a new "
			  "address, and remove this one from lists if it stays closed.",
		.verdict = VERDICT_UNKNOWN,
	},
	{
		.name = "mailbox_inactive",
		.match = "account disabled|account is disabled|account has been disabled|"
			 "mailbox disabled|mailbox is disabled|mailbox has been disabled|"
			 "disabled account|disabled mailbox|disabled user|user disabled|"
			 "user is disabled|has been disabled|is inactive|inactive account|"
			 "inactive mailbox|inactive user|account inactive|mailbox inactive|"
			 "due to inactivity|deactivated|no longer active|is not active|"
			 "not an active|is disabled",
		.codes = NULL,
		.category = CAT_MAILBOX_DISABLED,
		.actor = ACTOR_RECIPIENT_MAILBOX,
		.meaning = "The recipient's mailbox is switched off or inactive, usually after a "
			   "long time without use, and does not accept mail.",
		.causes = "An account nobody has logged into for months; a mailbox disabled by "
			  "its administrator; a person who left the organisation.",
		.action = "Stop sending to the address and remove it from lists. Ask the "
			  "recipient by other means for an address that is in use.",
		.verdict = VERDICT_UNKNOWN,
	},
	{
		.name = "ms_recipient_access_denied",
		.match = "recipient address rejected: access denied|access denied",
		.codes = "5.4.1",
		.category = CAT_USER_UNKNOWN,
		.actor = ACTOR_SENDING_PROGRAM,
		.meaning = "Microsoft 365 refused the recipient: with this status code, \"access "
			   "denied\" means the address is not a valid mailbox of the receiving "
			   "organisation.",
		.causes = "A misspelt or deleted address; a domain whose mail goes to Microsoft "
			  "365 but where the recipient does not exist; directory-based edge "
			  "blocking of unknown recipients.",
		.action = "Check the recipient address, and stop sending to it if it stays "
			  "rejected. The recipient's administrator can confirm whether the "
			  "mailbox exists.",
		.verdict = VERDICT_UNKNOWN,
	},
	{
		.name = "user_unknown",
		.match = "user unknown|unknown user|unknown recipient|recipient unknown|"
			 "addressee unknown|unknown address|address unknown|unknown mailbox|"
			 "mailbox unknown|unknown local part|unknown local user|unknown alias|"
			 "recipnotfound|recipientnotfound|not found by smtp address lookup",
		.codes = NULL,
		.category = CAT_USER_UNKNOWN,
		.actor = ACTOR_SENDING_PROGRAM,
		.meaning = "The receiving server does not know the recipient: there is no mailbox "
			   "with this address in the domain.",
		.causes = "A typing error in the local part; an address that was deleted or never "
			  "existed; an address copied from an old list.",
		.action = "Check the spelling of the address and ask the recipient for the right "
			  "one. Stop sending to it: repeated mail to unknown users harms the "
			  "sender's reputation.",
		.verdict = VERDICT_UNKNOWN,
	},
	{
		.name = "no_such_user",
		.match = "no such user|no such recipient|no such mailbox|no such account|"
			 "no such address|no such person|no such local user|no mailbox here|"
			 "no mailbox by that name|no account by that name|no user by that name|"
			 "user doesn't|account doesn't|mailbox doesn't|not a valid user|"
			 "not a valid recipient|not a valid mailbox|is not a known user",
		.codes = NULL,
		.category = CAT_USER_UNKNOWN,
		.actor = ACTOR_SENDING_PROGRAM,
		.meaning = "The domain exists and takes mail, but it has no mailbox of that name.",
		.causes = "A misspelt address; a person who has left; an alias that has been "
			  "removed; an address guessed from a pattern.",
		.action = "Correct the address, or remove it from the list. Sending again "
			  "unchanged fails the same way.",
		.verdict = VERDICT_UNKNOWN,
	},
	{
		.name = "recipient_not_found",
		.match = "user not found|recipient not found|mailbox not found|address not found|"
			 "account not found|address couldn't be found|address could not be found|"
			 "unable to find user|mailbox does not|user does not|account does not",
		.codes = NULL,
		.category = CAT_USER_UNKNOWN,
		.actor = ACTOR_SENDING_PROGRAM,
		.meaning = "The receiving server searched for the recipient and found no mailbox "
			   "for the address.",
		.causes = "A misspelt address; an account that was deleted; a directory of the "
			  "receiving organisation that is out of sync with its mail server.",
		.action = "Check the address with the recipient. If it is right, the recipient's "
			  "administrator must fix their directory; otherwise correct or drop the "
			  "address.",
		.verdict = VERDICT_UNKNOWN,
	},
	/* The recipient's domain: no mail at all, or not found in DNS. After the mailbox phrases,
	 * before the looser "does not exist". */
	{
		.name = "domain_no_mail",
		.match = "does not accept mail|does not accept email|does not accept e-mail|"
			 "doesn't accept mail|accepts no mail|nullmx|null mx|no mail service|"
			 "does not receive mail|does not receive email",
		.codes = NULL,
		.category = CAT_DOMAIN_NO_MAIL,
		.actor = ACTOR_SENDING_PROGRAM,
		.meaning = "The recipient's domain says that it accepts no mail at all, typically "
			   "with a null MX record (RFC 7505).",
		.causes = "An address in a domain used only for a website or for sending; a "
			  "domain parked or kept only for its name; a misspelt domain that "
			  "happens to exist.",
		.action = "Check the domain part of the address; mail to this domain can never be "
			  "delivered. Ask the recipient for an address in a domain that receives "
			  "mail.",
		.verdict = VERDICT_UNKNOWN,
	},
	{
		.name = "host_unknown",
		.match = "host or domain name not found|name or service not known|"
			 "domain name not found|domain not found|no such domain|"
			 "domain does not exist|domain name does not exist|"
			 "dns domain * does not exist|domainnonexistent|unknown domain|"
			 "domain unknown|host not found|host unknown|unknown host|no such host|"
			 "nxdomain|non-existent domain|nonexistent domain|non-existent host|"
			 "unrouteable address|unroutable address|unrouteable domain|no mx|"
			 "no valid mx|mx lookup failed|no mail exchanger|mx record not found|"
			 "bad destination host|destination host unknown|"
			 "domain could not be resolved|domain could not be found|"
			 "domain couldn't be found|couldn't find any host|could not find any host",
		.codes = NULL,
		.category = CAT_HOST_UNKNOWN,
		.actor = ACTOR_SENDING_PROGRAM,
		.meaning = "The recipient's domain or its mail server could not be found in DNS, "
			   "so there is nowhere to deliver the message.",
		.causes = "A typing error in the domain (gmial.com); a domain that expired or was "
			  "never registered; a domain with neither MX nor A records; a DNS "
			  "failure at the domain's name servers.",
		.action = "Check the spelling of the domain and look it up with dig MX. If the "
			  "domain is right and its DNS is broken, the recipient's administrator "
			  "must repair it.",
		.verdict = VERDICT_UNKNOWN,
	},
	{
		.name = "user_does_not_exist",
		.match = "not exist|n't exist|no longer exists|no longer valid|"
			 "not configured to receive",
		.codes = NULL,
		.category = CAT_USER_UNKNOWN,
		.actor = ACTOR_SENDING_PROGRAM,
		.meaning = "The receiving server states that the recipient address does not exist "
			   "there, or no longer does.",
		.causes = "A deleted or renamed account; a misspelt local part; an address never "
			  "set up to receive mail.",
		.action = "Correct the address or remove it from lists; sending again unchanged "
			  "fails the same way.",
		.verdict = VERDICT_UNKNOWN,
	},
	/* Message format and syntax: specific phrases, some of which mention spam in passing. */
	{
		.name = "address_syntax",
		.match = "address syntax|bad address syntax|invalid address syntax|"
			 "syntax of address|malformed address|badly formatted address|"
			 "address format|improperly formatted|invalid character|illegal character|"
			 "user address required|missing domain|domain missing|domain name required",
		.codes = NULL,
		.category = CAT_SYNTAX,
		.actor = ACTOR_SENDING_PROGRAM,
		.meaning = "An address in the envelope is malformed, so the server cannot even "
			   "consider it.",
		.causes = "Missing angle brackets or @; spaces, quotes or other invalid "
			  "characters copied into the address; an address without a domain; a "
			  "program that builds addresses wrongly.",
		.action = "Fix the address where it is built or typed, following RFC 5321 "
			  "(local-part@domain, in angle brackets in MAIL FROM and RCPT TO).",
		.verdict = VERDICT_UNKNOWN,
	},
	{
		.name = "address_invalid_code",
		.match = "invalid address|invalid email address|invalid mail address|bad address|"
			 "address invalid|not a valid address|invalid recipient address|"
			 "invalid sender address|illegal address",
		.codes = "501|553|5.1.3|5.1.7|5.5.2|5.5.4",
		.category = CAT_SYNTAX,
		.actor = ACTOR_SENDING_PROGRAM,
		.meaning = "The server found the address itself unacceptable as written, with a "
			   "code that points at its form rather than at a missing mailbox.",
		.causes = "A typing error that breaks the address form; invalid characters; a "
			  "missing or invalid domain part.",
		.action = "Correct the address as written and send again.",
		.verdict = VERDICT_UNKNOWN,
	},
	{
		.name = "message_format",
		.match = "message parse error|malformed message|invalid message|header syntax|"
			 "invalid header|malformed header|duplicate header|"
			 "missing required header|header too large|headers too large|"
			 "header is too long|5322 compliant|2822 compliant|rfc compliant|bare lf|"
			 "bare <lf>|bare linefeed|bare line feed|barelinefeed|line too long|"
			 "line length exceeded|is malformed",
		.codes = NULL,
		.category = CAT_SYNTAX,
		.actor = ACTOR_SENDING_PROGRAM,
		.meaning = "The message itself breaks the Internet message format, so the server "
			   "refuses it.",
		.causes = "Missing or duplicated required headers (From, Date, Message-ID); "
			  "headers over the size limit; lines longer than 998 characters; bare "
			  "line feeds instead of CRLF; a program that writes the message by hand.",
		.action = "Build the message with a proper mail library, check it against RFC "
			  "5322, and send it again.",
		.verdict = VERDICT_UNKNOWN,
	},
	{
		.name = "command_syntax",
		.match = "syntax|invalid command argument|not a valid base64|base64|"
			 "invalid argument|invalid parameter|unrecognized parameter|"
			 "parameter not recognized|unknown parameter",
		.codes = NULL,
		.category = CAT_SYNTAX,
		.actor = ACTOR_SENDING_PROGRAM,
		.meaning = "The server could not parse a command or its arguments.",
		.causes = "A client that writes SMTP commands by hand; a wrongly encoded AUTH "
			  "string; an extension parameter the server does not know; a proxy or "
			  "antivirus product that rewrites the session.",
		.action = "Check the sending program or library and its version, and look at a "
			  "transcript of the session to see which command was refused.",
		.verdict = VERDICT_UNKNOWN,
	},
	{
		.name = "protocol_sequence",
		.match = "bad sequence of commands|bad sequence|out of sequence|need rcpt command|"
			 "need mail command|need mail before|rcpt first|send mail first|"
			 "mail command first|helo first|ehlo first|hello first|send hello|"
			 "valid rcpt command must precede|no valid recipients",
		.codes = NULL,
		.category = CAT_PROTOCOL,
		.actor = ACTOR_SENDING_PROGRAM,
		.meaning = "The client sent an SMTP command at a point of the conversation where "
			   "it is not allowed.",
		.causes = "DATA without an accepted RCPT TO (every recipient was refused "
			  "earlier); MAIL FROM before EHLO or before logging in; a client that "
			  "ignores the replies it gets; a connection that lost a command on the "
			  "way.",
		.action = "Follow the order EHLO, (STARTTLS, AUTH), MAIL FROM, RCPT TO, DATA, and "
			  "stop when a command is refused. When every recipient was refused, the "
			  "reason is in the earlier RCPT replies.",
		.verdict = VERDICT_UNKNOWN,
	},
	{
		.name = "command_unsupported",
		.match = "command not implemented|not implemented|command not recognized|"
			 "command unrecognized|unrecognized command|unrecognised command|"
			 "unknown command|command not supported|method not supported|"
			 "mechanism not supported|unsupported|not supported|auth mechanism|"
			 "pipelining|chunking|bdat",
		.codes = NULL,
		.category = CAT_PROTOCOL,
		.actor = ACTOR_SENDING_PROGRAM,
		.meaning = "The server does not support the command, extension or mechanism the "
			   "client used.",
		.causes = "An extension not announced in the server's EHLO reply (PIPELINING, "
			  "CHUNKING, SMTPUTF8); an AUTH mechanism the server does not offer; a "
			  "command sent to a server of another protocol; a proxy that strips "
			  "extensions.",
		.action = "Use only what the server's EHLO reply announces, choose an offered "
			  "AUTH mechanism, and check that the client talks to the right port and "
			  "service.",
		.verdict = VERDICT_UNKNOWN,
	},
	/* Content judged as spam, then size. */
	{
		.name = "spam_detected",
		.match = "as spam|is spam|be spam|of spam|like spam|likely spam|spam message|"
			 "spam content|spam filter|spam policy|spam detected|detected spam|"
			 "spam score|spam or|spam,|spam.|spam!|spam)|spam\"|sent spam|"
			 "spam rejected|rejected spam|suspected spam|spam mail|spam e-mail|"
			 "spam email|spamlike|spam-like|spam rule|spam signature|spam trap|"
			 "spammer|unsolicited|junk mail|junk e-mail|bulk mail|bulk email|"
			 "high bulk|phishing|message content rejected|content rejected|"
			 "content filter|rejected by content|likely suspicious|suspicious message|"
			 "suspicious content|looks suspicious",
		.codes = NULL,
		.category = CAT_SPAM,
		.actor = ACTOR_POLICY,
		.meaning = "The receiving server's filter judged the content of the message to be "
			   "spam and refused it.",
		.causes = "Wording, links or attachments typical of spam; a link to a domain with "
			  "a poor reputation; missing authentication; recipients who complained "
			  "about earlier mail.",
		.action = "Review the content and links, authenticate the mail with SPF, DKIM and "
			  "DMARC, and send only to recipients who asked for it. Ask the recipient "
			  "to allow the sender if the mail is wanted.",
		.verdict = VERDICT_UNKNOWN,
	},
	{
		.name = "too_large",
		.match = "message size exceeds|size exceeds|message too large|"
			 "message is too large|message too big|message is too big|too large|"
			 "too big|size limit|exceeds the maximum size|maximum message size|"
			 "message exceeds|exceeds byte limit|data size exceeds|exceeds maximum|"
			 "msg size greater|message size greater|size greater than|"
			 "message length exceeds|exceeds the size",
		.codes = NULL,
		.category = CAT_TOO_LARGE,
		.actor = ACTOR_SENDING_PROGRAM,
		.meaning = "The message is larger than the receiving server accepts.",
		.causes = "Large attachments; images embedded at full resolution; a size limit on "
			  "the receiving side lower than the sender's; the growth of about a "
			  "third when attachments are encoded.",
		.action = "Make the message smaller (compress or shrink attachments) or share "
			  "large files by a link. The limit is announced in the SIZE value of the "
			  "server's EHLO reply.",
		.verdict = VERDICT_UNKNOWN,
	},
	/* Time and the network: expiry before the plain "timeout", timeouts before connection
	 * failures. */
	{
		.name = "expired",
		.match = "retry timeout exceeded|delivery time expired|message expired|"
			 "queue.expired|expired in queue|message has expired|has expired|"
			 "in the queue too long|too long in the queue|too long in queue|"
			 "queue lifetime|maximum time in queue|cannot send message for|"
			 "message will be deleted from queue|could not be delivered within|"
			 "failing for a long time|delivery expired|lifetime exceeded|"
			 "not delivered within",
		.codes = NULL,
		.category = CAT_EXPIRED,
		.actor = ACTOR_RECEIVING_SERVER,
		.meaning = "The sending server kept retrying for as long as its queue lifetime "
			   "allows, then gave up on the message.",
		.causes = "A receiving server that was down, unreachable or deferring for days; "
			  "DNS for the domain failing all that time; a block that answered with "
			  "temporary codes only.",
		.action = "Find out why the earlier attempts failed (the last reply quoted in the "
			  "report says so), fix or wait for that, then send the message again.",
		.verdict = VERDICT_UNKNOWN,
	},
	{
		.name = "timeout",
		.match = "timed out|timeout|time-out|no response from|not responding|"
			 "did not respond|no answer from|took too long",
		.codes = NULL,
		.category = CAT_TIMEOUT,
		.actor = ACTOR_NETWORK,
		.meaning = "One side waited for the other longer than it allows and gave up on "
			   "the connection.",
		.causes = "A firewall that silently drops SMTP traffic (port 25 blocked by the "
			  "provider); a receiving server that is overloaded or down; a slow "
			  "filter on the receiving side; a network path that loses packets.",
		.action = "Check that the host accepts connections on its SMTP port (nc -v host "
			  "25). Transient timeouts clear on their own; a persistent one points at "
			  "a firewall or a server that is down.",
		.verdict = VERDICT_UNKNOWN,
	},
	{
		.name = "dns_failure",
		.match = "dns lookup fail|dns failure|dns not available|dns server|dns query|"
			 "dns resolution|servfail|temporary dns|name service error|name server|"
			 "resolver error|dns error",
		.codes = NULL,
		.category = CAT_NETWORK,
		.actor = ACTOR_NETWORK,
		.meaning = "A DNS lookup needed for delivery failed without a definite answer.",
		.causes = "The domain's name servers not answering; a broken DNSSEC chain; the "
			  "sending server's own resolver failing or being blocked.",
		.action = "Check the domain with dig from the sending server and from outside. "
			  "Temporary DNS failures usually clear on their own; persistent ones "
			  "need the owner of the failing name servers.",
		.verdict = VERDICT_UNKNOWN,
	},
	{
		.name = "connection_refused",
		.match = "connection refused|econnrefused|can't open smtp stream|"
			 "cannot open smtp stream|error opening connection",
		.codes = NULL,
		.category = CAT_NETWORK,
		.actor = ACTOR_NETWORK,
		.meaning = "The remote host actively refused the TCP connection: nothing listens "
			   "on the SMTP port, or a firewall rejects it.",
		.causes = "A mail server that is stopped or not yet started; a wrong host name or "
			  "port in the settings; a firewall on either side (outgoing port 25 is "
			  "often blocked by hosting and home providers).",
		.action = "Check the host name and port, then test with nc -v host 25 or telnet "
			  "from the sending machine. Open the port in the firewall, or send "
			  "through a relay that is allowed to connect.",
		.verdict = VERDICT_UNKNOWN,
	},
	{
		.name = "connection_lost",
		.match = "lost connection|connection reset|connection closed|connection dropped|"
			 "connection was dropped|connection was closed|broken pipe|econnreset|"
			 "unexpected eof|tcp write error|tcp read error|connection aborted|"
			 "connection interrupted|remote end closed|connection died|read error|"
			 "write error",
		.codes = NULL,
		.category = CAT_NETWORK,
		.actor = ACTOR_NETWORK,
		.meaning = "The connection broke in the middle of the SMTP conversation.",
		.causes = "A receiving server that crashed or dropped the session on purpose; a "
			  "firewall or filter that cut the connection; a network fault between "
			  "the servers; an MTU problem with large messages.",
		.action = "Let the sending server retry. If it keeps happening with the same "
			  "host, look at where in the conversation it breaks and check firewalls "
			  "and filters along the path.",
		.verdict = VERDICT_UNKNOWN,
	},
	{
		.name = "network_unreachable",
		.match = "network is unreachable|network unreachable|no route to host|"
			 "host is unreachable|host unreachable|unable to connect|"
			 "failed to connect|could not connect|cannot connect|couldn't connect|"
			 "connect failed|connection failed|able to establish|could not establish|"
			 "couldn't establish",
		.codes = NULL,
		.category = CAT_NETWORK,
		.actor = ACTOR_NETWORK,
		.meaning = "The sending side could not reach the remote host over the network at "
			   "all.",
		.causes = "Routing or firewall problems; a receiving server whose address is "
			  "down; IPv6 configured without working IPv6 routes; outgoing SMTP "
			  "blocked by the network.",
		.action = "Test the route and the port from the sending machine (ping, "
			  "traceroute, nc -v host 25) and fix the routing or the firewall. "
			  "Temporary outages clear on their own.",
		.verdict = VERDICT_UNKNOWN,
	},
	/* The receiving system itself: storage, then the remaining policy and address words, then
	 * general faults. */
	{
		.name = "storage_full",
		.match = "insufficient system storage|insufficient storage|"
			 "insufficient system resources|system storage error|storage error|"
			 "out of memory|disk full|disk is full|no space left on device|"
			 "not enough disk space|out of disk space|queue full|queue is full|"
			 "queue has been stopped|queue stopped",
		.codes = NULL,
		.category = CAT_STORAGE,
		.actor = ACTOR_RECEIVING_SERVER,
		.meaning = "The receiving server has run out of disk space, memory or queue room "
			   "and cannot take the message now.",
		.causes = "A full disk or mail queue on the server; a flood of mail after an "
			  "outage; a stopped queue during maintenance.",
		.action = "Let the sending server retry later. If you run the receiving server, "
			  "free disk space or restart the queue.",
		.verdict = VERDICT_UNKNOWN,
	},
	{
		.name = "recipient_restricted",
		.match = "not authorized to send to|restrictedtorecipientspermission|"
			 "recipient's list of senders|list of allowed senders|"
			 "only accepts mail from|accepts mail only from|only accept mail from|"
			 "not allowed to send to|restricted to internal|internal senders only|"
			 "delivery not authorized|group only accepts|not permitted to send to|"
			 "only accepting mail from",
		.codes = NULL,
		.category = CAT_POLICY,
		.actor = ACTOR_RECEIVING_SERVER,
		.meaning = "The recipient (often a group or list) accepts mail only from certain "
			   "senders, and this sender is not one of them.",
		.causes = "A distribution group limited to internal senders; a mailbox with an "
			  "allow list of senders; a moderated list.",
		.action = "Ask the recipient or their administrator to add the sender to the "
			  "allowed senders, or write to a person rather than the group.",
		.verdict = VERDICT_UNKNOWN,
	},
	{
		.name = "content_policy",
		.match = "policy violation|violates|against policy|local policy|"
			 "message rejected by policy|content policy|policy rejection|"
			 "rejected by policy|policy reasons|by policy|policy restriction|"
			 "administrative prohibition|administratively prohibited|"
			 "administratively denied|unacceptable content|spoofing|spoofed",
		.codes = NULL,
		.category = CAT_POLICY,
		.actor = ACTOR_POLICY,
		.meaning = "A local rule of the receiving organisation refused the message.",
		.causes = "Content, attachments, sender or recipients that the receiver's rules "
			  "do not allow; a country or domain block; a filter that does not say "
			  "which rule matched.",
		.action = "Ask the recipient's administrator which rule refused the message and "
			  "what would be accepted; the reply rarely says more.",
		.verdict = VERDICT_UNKNOWN,
	},
	{
		.name = "mailbox_unavailable",
		.match = "mailbox unavailable|mailbox is unavailable|mailbox not available|"
			 "mailbox is not available|mailbox currently unavailable|no mailbox|"
			 "account is unavailable|account unavailable|user is unavailable|"
			 "user unavailable|recipient is unavailable|recipient unavailable",
		.codes = "5",
		.category = CAT_USER_UNKNOWN,
		.actor = ACTOR_SENDING_PROGRAM,
		.meaning = "The receiving server gave the generic permanent answer that the "
			   "mailbox is not available; most servers that say only this mean that "
			   "it does not exist.",
		.causes = "An address that does not exist; a mailbox closed or disabled; less "
			  "often a policy refusal that the server words this way.",
		.action = "Check the address with the recipient and stop sending to it if the "
			  "reply repeats.",
		.verdict = VERDICT_UNKNOWN,
	},
	{
		.name = "access_denied",
		.match = "access denied|access is denied|permission denied|not authorized|"
			 "not authorised|not permitted|not allowed|forbidden|prohibited",
		.codes = NULL,
		.category = CAT_POLICY,
		.actor = ACTOR_POLICY,
		.meaning = "The receiving server refused the request as not allowed, without "
			   "naming a more precise reason.",
		.causes = "An access rule against the sender, its IP address or the recipient; a "
			  "recipient that accepts mail only from some senders; an unknown "
			  "recipient on servers that word it this way.",
		.action = "Ask the recipient's administrator what the rule is and whether the "
			  "sender can be allowed; check the recipient address as well.",
		.verdict = VERDICT_UNKNOWN,
	},
	{
		.name = "address_rejected",
		.match = "recipient address rejected|recipient rejected|address rejected|"
			 "rcpt rejected|recipient refused|undeliverable address|invalid recipient|"
			 "recipient invalid|invalid mailbox|mailbox invalid|invalid user|"
			 "user invalid|invalid account|bad recipient|illegal recipient|"
			 "invalid address|invalid email address",
		.codes = NULL,
		.category = CAT_USER_UNKNOWN,
		.actor = ACTOR_SENDING_PROGRAM,
		.meaning = "The receiving server refused the recipient address; with no other "
			   "reason given, this almost always means the address is not valid there.",
		.causes = "A misspelt or deleted address; an address the receiving server cannot "
			  "verify against its directory.",
		.action = "Check the address with the recipient and remove it from lists if the "
			  "refusal repeats.",
		.verdict = VERDICT_UNKNOWN,
	},
	{
		.name = "blocked",
		.match = "blocked|banned|service refused|refused to accept|not welcome",
		.codes = NULL,
		.category = CAT_BLOCKED,
		.actor = ACTOR_POLICY,
		.meaning = "The receiving server blocked the mail without saying which list or "
			   "rule it used.",
		.causes = "A block on the sending IP address, domain or sender address; a "
			  "reputation or content filter; a manual block by the receiving "
			  "administrator.",
		.action = "Check the sending IP address and domain on the common blocklists, and "
			  "ask the recipient's administrator for the reason and for removal.",
		.verdict = VERDICT_UNKNOWN,
	},
	/* General faults of the receiving system: last, as their words are the vaguest. */
	{
		.name = "server_busy",
		.match = "server busy|server is busy|system busy|too busy|temporarily busy|"
			 "overloaded|system overload|load too high|"
			 "resources temporarily unavailable",
		.codes = NULL,
		.category = CAT_SYSTEM,
		.actor = ACTOR_RECEIVING_SERVER,
		.meaning = "The receiving server is too busy to take the message right now.",
		.causes = "A peak of traffic; maintenance; a server protecting itself from an "
			  "unfamiliar sender by answering \"busy\".",
		.action = "Let the sending server retry later; no change is needed. If it lasts "
			  "for days, contact the recipient's administrator.",
		.verdict = VERDICT_UNKNOWN,
	},
	{
		.name = "system_error",
		.match = "internal error|internal server error|server error|system error|"
			 "system failure|local error|error in processing|local problem|"
			 "configuration error|configuration problem|misconfigur|database error|"
			 "ldap|lookup failure|problem attempting to execute|unexpected error|"
			 "temporary failure|transient failure",
		.codes = NULL,
		.category = CAT_SYSTEM,
		.actor = ACTOR_RECEIVING_SERVER,
		.meaning = "A fault inside the receiving mail system stopped it from handling the "
			   "message.",
		.causes = "A crashed or unreachable back end (directory, database, filter); a "
			  "configuration error after a change; a bug in the mail software.",
		.action = "Let the sending server retry later. If the error persists, send the "
			  "full reply to the receiving server's administrator.",
		.verdict = VERDICT_UNKNOWN,
	},
	{
		.name = "service_unavailable",
		.match = "service unavailable|service not available|"
			 "service temporarily unavailable|service is unavailable|"
			 "service currently unavailable|temporarily unavailable|"
			 "not accepting mail|not accepting messages|"
			 "not accepting network messages|closing transmission channel|"
			 "shutting down",
		.codes = NULL,
		.category = CAT_SYSTEM,
		.actor = ACTOR_RECEIVING_SERVER,
		.meaning = "The mail service at the receiving side is not available at the moment.",
		.causes = "Maintenance or a restart; an overloaded server shedding load; a server "
			  "that closes the session after an error.",
		.action = "Let the sending server retry later. If the refusal is permanent or "
			  "lasts, check the reply for a block or a policy reason and contact the "
			  "receiving administrator.",
		.verdict = VERDICT_UNKNOWN,
	},
	/* Verdict phrases (category unknown): the report as a whole is a delay notice or a final
	 * failure. Delay notices first, with words that final bounces never use: a transient phrase
	 * overrides the code of the quoted reply. */
	{
		.name = "delay_warning",
		.match = "this is a warning only|warning message only|you do not need to resend|"
			 "do not need to resend your message|no action is required on your part",
		.codes = NULL,
		.category = CAT_UNKNOWN,
		.actor = ACTOR_SENDING_SERVER,
		.meaning = "This report is a warning: the message has not been delivered yet, and "
			   "the sending server is still trying.",
		.causes = "Earlier delivery attempts met temporary failures (the quoted reply "
			  "says which).",
		.action = "Nothing yet. Wait for the final result; a failure report follows only "
			  "if the server gives up.",
		.verdict = VERDICT_TRANSIENT,
	},
	{
		.name = "delivery_incomplete",
		.match = "delivery incomplete|there was a temporary problem delivering|"
			 "technical details of temporary failure|transient non-fatal error",
		.codes = NULL,
		.category = CAT_UNKNOWN,
		.actor = ACTOR_SENDING_SERVER,
		.meaning = "This report says that delivery has met a temporary problem and will "
			   "be tried again.",
		.causes = "A receiving server that deferred or refused the earlier attempts for "
			  "now.",
		.action = "Wait: the sending server keeps retrying and reports again if it gives "
			  "up.",
		.verdict = VERDICT_TRANSIENT,
	},
	{
		.name = "will_retry",
		.match = "will retry|will be retried|will keep trying|will continue to try|"
			 "still being retried|still trying|delivery will continue to be attempted|"
			 "delivery attempts will continue",
		.codes = NULL,
		.category = CAT_UNKNOWN,
		.actor = ACTOR_SENDING_SERVER,
		.meaning = "This report says the sending server will try to deliver the message "
			   "again.",
		.causes = "Temporary failures on the earlier attempts.",
		.action = "Nothing yet; wait for the result of the coming attempts.",
		.verdict = VERDICT_TRANSIENT,
	},
	{
		.name = "delivery_delayed",
		.match = "delivery delayed|delivery has been delayed|delivery is delayed|"
			 "has been delayed|message delayed|status notification (delay)|"
			 "action: delayed|will-retry-until|not yet been delivered|"
			 "hasn't been delivered yet|has not been delivered yet|still undelivered|"
			 "delayed mail",
		.codes = NULL,
		.category = CAT_UNKNOWN,
		.actor = ACTOR_SENDING_SERVER,
		.meaning = "This report is a delay notice: the message is still in the sending "
			   "server's queue.",
		.causes = "The receiving side deferred the earlier attempts, or could not be "
			  "reached.",
		.action = "Wait for the final outcome. Fix the cause named in the quoted reply if "
			  "it will not go away by itself.",
		.verdict = VERDICT_TRANSIENT,
	},
	{
		.name = "permanent_failure",
		.match = "permanent error|permanent failure|permanently failed|failed permanently|"
			 "permanent fatal error|delivery has failed|gave up|giving up|given up",
		.codes = NULL,
		.category = CAT_UNKNOWN,
		.actor = ACTOR_SENDING_SERVER,
		.meaning = "This report is a final failure notice: the sending server will not "
			   "try this message again.",
		.causes = "A permanent refusal by the receiving side, or temporary failures that "
			  "lasted past the retry period.",
		.action = "Read the quoted reply for the reason, fix it, and send the message "
			  "again if it is still needed.",
		.verdict = VERDICT_PERMANENT,
	},
};

const size_t status_pattern_count = sizeof(status_pattern_table) / sizeof(status_pattern_table[0]);
