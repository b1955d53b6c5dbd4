/*
 * status_basic.c - the basic reply codes tern knows: those of RFC 5321 and the extensions that
 * added to it (AUTH, STARTTLS, ETRN, 521/556), the non-standard ones real servers and clients
 * print (Exchange, GroupWise, a cloud delivery service's 254 and 455, the 1xx numbers of failed
 * connections), the texts of the five classes and of the second digit.
 *
 * Pure data, sorted by code for the binary search of status.c. Retry advice follows the class:
 * 1xx and 4xx later, 2xx and 3xx none needed, 5xx no. Codes that servers use for many unrelated
 * things (421, 450, 451, 550, 554, ...) are marked vague, so that an enhanced code or the words
 * of the reply decide what kind of problem it is.
 */
#include "status.h"

const struct status_info status_basic_table[] = {
	{
		.code = "101",
		.title = "Cannot open connection",
		.meaning = "Not a reply from a mail server: the sending program reports 101 when "
			   "it could not even start an SMTP session with the server it was told to "
			   "use. On Linux, 101 is also the system error number for an unreachable "
			   "network.",
		.causes = "A misspelled server name or a wrong address in the program's settings, "
			  "a port on which the server takes no SMTP connections, another process "
			  "already holding the local port, or no route to that network at all.",
		.action = "Check the server name, address and port in the sending program's "
			  "settings, and try the connection by hand with telnet or nc to that host "
			  "and port. Correct the settings or the network before sending again.",
		.actor = ACTOR_SENDING_PROGRAM,
		.category = CAT_NETWORK,
		.retry = RETRY_LATER,
		.vague = false,
	},
	{
		.code = "110",
		.title = "Connection timed out",
		.meaning = "Not an SMTP reply: the sending program waited for the server to answer "
			   "its connection attempt and gave up. 110 is the Linux system error "
			   "number for a timed-out connection, which mail libraries such as "
			   "PHPMailer print after their message.",
		.causes = "A firewall that silently drops outgoing connections to the mail port, a "
			  "hosting provider that blocks outbound SMTP from websites, a server that "
			  "is down or overloaded, or a wrong host name that leads to an address "
			  "where nothing answers.",
		.action = "Try the host and port by hand with telnet or nc from the same machine. "
			  "If the attempt hangs, open the port in the outgoing firewall rules, ask "
			  "the hosting provider to allow SMTP, or send through the provider's own "
			  "relay instead.",
		.actor = ACTOR_NETWORK,
		.category = CAT_TIMEOUT,
		.retry = RETRY_LATER,
		.vague = false,
	},
	{
		.code = "111",
		.title = "Connection refused",
		.meaning = "Not an SMTP reply: the host was reached, but nothing accepted a "
			   "connection on the mail port, so no SMTP stream could be opened. 111 is "
			   "the Linux system error number for a refused connection.",
		.causes = "The mail server software is not running or listens on another port, a "
			  "firewall rejects the connection (often one newly installed or changed), "
			  "the host name or address is wrong, or local rules forbid outbound "
			  "connections to ports such as 465 or 587.",
		.action = "Make sure the mail server is running and listening on the port you use, "
			  "check the host name and port in the settings, and test with telnet or "
			  "nc. Then look at the firewall rules on both sides and at the mail "
			  "server's logs.",
		.actor = ACTOR_NETWORK,
		.category = CAT_NETWORK,
		.retry = RETRY_LATER,
		.vague = false,
	},
	{
		.code = "200",
		.title = "Non-standard success",
		.meaning = "The server accepted the command but answered with 200, a code that RFC "
			   "5321 does not define. A few old or unusual servers send it where 250 "
			   "is expected.",
		.causes = "Old or home-grown server software; some very early SMTP implementations "
			  "used 200 as a general success reply.",
		.action = "Nothing needs to be done: treat it as 250. A client that stops after it "
			  "is being too strict about reply codes.",
		.actor = ACTOR_NONE,
		.category = CAT_SUCCESS,
		.retry = RETRY_NOT_NEEDED,
		.vague = false,
	},
	{
		.code = "211",
		.title = "System status",
		.meaning = "An informational reply that carries the server's status or a help "
			   "text, sent in answer to a request for information.",
		.causes = "The client asked for it, with HELP or a status query. It does not "
			  "report any problem.",
		.action = "Nothing needs to be done. Read the text if you wanted the information; "
			  "it is not an error.",
		.actor = ACTOR_NONE,
		.category = CAT_SUCCESS,
		.retry = RETRY_NOT_NEEDED,
		.vague = false,
	},
	{
		.code = "214",
		.title = "Help message",
		.meaning = "The server answers a HELP command with information meant for a person, "
			   "such as the commands it knows or a link to the documentation of its "
			   "software.",
		.causes = "The client, or a person testing the server by hand, sent HELP.",
		.action = "Nothing needs to be done; it is not an error. The text may hint at what "
			  "the server supports.",
		.actor = ACTOR_NONE,
		.category = CAT_SUCCESS,
		.retry = RETRY_NOT_NEEDED,
		.vague = false,
	},
	{
		.code = "220",
		.title = "Service ready",
		.meaning = "The server greets the client when the connection opens and says it is "
			   "ready for commands. The same code answers STARTTLS when the server is "
			   "ready to begin the TLS handshake.",
		.causes = "A normal new connection, or a STARTTLS command that the server "
			  "accepted. The greeting usually names the host and often its software.",
		.action = "Nothing needs to be done. The client goes on with EHLO, or starts the "
			  "TLS handshake after STARTTLS.",
		.actor = ACTOR_NONE,
		.category = CAT_SUCCESS,
		.retry = RETRY_NOT_NEEDED,
		.vague = false,
	},
	{
		.code = "221",
		.title = "Closing connection",
		.meaning = "The server is ending the session and closing the connection, normally "
			   "in answer to QUIT. Whatever words follow, such as Bye or Goodbye, it "
			   "is not an error.",
		.causes = "The client sent QUIT after finishing its work, which is the normal end "
			  "of a session.",
		.action = "Nothing needs to be done. Messages the server accepted earlier in the "
			  "session with 250 stay accepted.",
		.actor = ACTOR_NONE,
		.category = CAT_SUCCESS,
		.retry = RETRY_NOT_NEEDED,
		.vague = false,
	},
	{
		.code = "235",
		.title = "Authentication succeeded",
		.meaning = "The server accepted the credentials given with AUTH, and the client is "
			   "logged in for the rest of the session (RFC 4954).",
		.causes = "A correct user name and password, or other credentials, for a mechanism "
			  "the server supports.",
		.action = "Nothing needs to be done; go on with MAIL FROM.",
		.actor = ACTOR_NONE,
		.category = CAT_SUCCESS,
		.retry = RETRY_NOT_NEEDED,
		.vague = false,
	},
	{
		.code = "250",
		.title = "Requested action completed",
		.meaning = "The command succeeded. After the end of the message data it means the "
			   "server has taken responsibility for the message: it is accepted for "
			   "delivery or relay, though not yet in the recipient's mailbox.",
		.causes = "A correct command that the server was willing to carry out.",
		.action = "Nothing needs to be done. If the mail still does not arrive, the "
			  "problem lies further along: look at the next server's logs or the "
			  "recipient's spam filtering.",
		.actor = ACTOR_NONE,
		.category = CAT_SUCCESS,
		.retry = RETRY_NOT_NEEDED,
		.vague = false,
	},
	{
		.code = "251",
		.title = "User not local; will forward",
		.meaning = "The recipient is not hosted on this server, but the server accepts the "
			   "message anyway and will pass it on toward the right place. As an "
			   "answer to ETRN (RFC 1985) it says instead that no messages are waiting "
			   "for the named node.",
		.causes = "A server that relays or forwards for the recipient's domain, such as a "
			  "provider's relay or a gateway in front of the servers that hold the "
			  "mailboxes.",
		.action = "Nothing needs to be done; the message is accepted. The reply mostly "
			  "helps people who trace the path a message took.",
		.actor = ACTOR_NONE,
		.category = CAT_SUCCESS,
		.retry = RETRY_NOT_NEEDED,
		.vague = false,
	},
	{
		.code = "252",
		.title = "Cannot verify user, will try",
		.meaning = "The server cannot confirm that the recipient exists, but it accepts "
			   "the message and will try to deliver it. As an answer to ETRN it says "
			   "the server has started sending the messages queued for the node.",
		.causes = "A gateway or filtering server that does not hold the list of mailboxes "
			  "and hands mail to an inner server, or a server that answers VRFY this "
			  "way so as not to reveal valid addresses.",
		.action = "Nothing needs to be done, but the address is not confirmed: a bounce "
			  "may still come later from the server behind the gateway.",
		.actor = ACTOR_NONE,
		.category = CAT_SUCCESS,
		.retry = RETRY_NOT_NEEDED,
		.vague = false,
	},
	{
		.code = "253",
		.title = "Pending messages started",
		.meaning = "An answer to ETRN (RFC 1985): the server has started delivering the "
			   "messages it held for the named node, and usually says how many there "
			   "are.",
		.causes = "A client, typically a mail host with an intermittent connection, asked "
			  "its provider's server to flush the queue kept for it.",
		.action = "Nothing needs to be done; the queued messages arrive over a new "
			  "connection.",
		.actor = ACTOR_NONE,
		.category = CAT_SUCCESS,
		.retry = RETRY_NOT_NEEDED,
		.vague = false,
	},
	{
		.code = "254",
		.title = "Accepted but suppressed",
		.meaning = "A non-standard reply of a cloud email delivery service: the message "
			   "was accepted, but the recipient is on the account's suppression list, "
			   "so nothing will be sent to that address. It usually comes with the "
			   "enhanced code 4.7.1.",
		.causes = "Earlier hard bounces from the address, a spam complaint by the "
			  "recipient, an unsubscribe request, or an entry added to the suppression "
			  "list by hand.",
		.action = "Do not count the message as delivered, and stop mailing the address. If "
			  "the suppression is a mistake, for example after a mailbox that bounced "
			  "only while it was broken, remove the address from the suppression list "
			  "in the provider's console and send again.",
		.actor = ACTOR_POLICY,
		.category = CAT_POLICY,
		.retry = RETRY_NOT_NEEDED,
		.vague = false,
	},
	{
		.code = "334",
		.title = "Authentication challenge",
		.meaning = "The server is in the middle of an AUTH exchange and waits for the "
			   "client's next answer. The text after the code is a base64 prompt or "
			   "challenge, and may be empty (RFC 4954).",
		.causes = "The client sent AUTH with a mechanism that takes one or more rounds, "
			  "such as LOGIN or CRAM-MD5, or sent AUTH PLAIN without its initial "
			  "response.",
		.action = "The client sends the requested answer encoded in base64 on one line, or "
			  "a single * to cancel the exchange.",
		.actor = ACTOR_NONE,
		.category = CAT_SUCCESS,
		.retry = RETRY_NOT_NEEDED,
		.vague = false,
	},
	{
		.code = "354",
		.title = "Start mail input",
		.meaning = "The server accepted DATA and now waits for the message itself: the "
			   "header fields, a blank line and the body, ended by a line that holds a "
			   "single dot.",
		.causes = "A DATA command sent after MAIL FROM and at least one accepted RCPT TO.",
		.action = "The client sends the message, doubling any dot at the start of a line, "
			  "and ends it with CRLF, dot, CRLF. The server gives its verdict on the "
			  "message after that final dot.",
		.actor = ACTOR_NONE,
		.category = CAT_SUCCESS,
		.retry = RETRY_NOT_NEEDED,
		.vague = false,
	},
	{
		.code = "420",
		.title = "Timeout during transfer",
		.meaning = "A non-standard code of Novell GroupWise's Internet agent: reading from "
			   "or writing to the connection failed part way through a message, after "
			   "the two servers had already connected.",
		.causes = "Congestion that slowed a large attachment until it timed out; a faulty "
			  "network card, switch, router or firewall, or mismatched MTU sizes; or, "
			  "when only one destination is affected, its anti-spam system stalling "
			  "the connection.",
		.action = "Let the queue retry, since a few of these are normal. If they are "
			  "frequent with every destination, trace the traffic along your own "
			  "network path; if one destination causes them, check your HELO name and "
			  "reverse DNS and contact that site.",
		.actor = ACTOR_NETWORK,
		.category = CAT_TIMEOUT,
		.retry = RETRY_LATER,
		.vague = false,
	},
	{
		.code = "421",
		.title = "Service not available",
		.meaning = "The server cannot serve the client now and is closing the connection. "
			   "It says the condition is temporary; nothing was completed after this "
			   "reply.",
		.causes = "Too many connections from the same address at once, a server that is "
			  "overloaded, restarting or in maintenance, a rate limit or temporary "
			  "block on the sender, too many failed logins, or a session that sat idle "
			  "too long.",
		.action = "Let the queue retry later, and open fewer connections at a time to the "
			  "same server. If the reply repeats for hours, read its text for a limit "
			  "or a block, and contact the server's administrator or your provider.",
		.actor = ACTOR_RECEIVING_SERVER,
		.category = CAT_SYSTEM,
		.retry = RETRY_LATER,
		.vague = true,
	},
	{
		.code = "422",
		.title = "Recipient mailbox over its limit",
		.meaning = "A non-standard code: the recipient's mailbox has used up its storage "
			   "limit, or this message would take it over, so the message cannot be "
			   "taken now.",
		.causes = "A full mailbox that nobody empties; less often a delivery folder on the "
			  "receiving server that is over a limit set by its administrator, for "
			  "example while a backlog is processed.",
		.action = "Let the queue retry, since the recipient may free some space; a smaller "
			  "message may get through sooner. If it keeps failing, tell the recipient "
			  "by another channel.",
		.actor = ACTOR_RECIPIENT_MAILBOX,
		.category = CAT_MAILBOX_FULL,
		.retry = RETRY_LATER,
		.vague = false,
	},
	{
		.code = "431",
		.title = "Receiving server out of storage",
		.meaning = "A non-standard code: the receiving server has run out of disk space or "
			   "memory and cannot take the message now. Microsoft Exchange also sends "
			   "it when it runs short of file handles.",
		.causes = "A full disk on the receiving server, a sudden flood of incoming mail, "
			  "or a server short of memory or file handles.",
		.action = "Let the queue retry later; the receiving server's administrator has to "
			  "free space or resources. If it lasts for days, tell them.",
		.actor = ACTOR_RECEIVING_SERVER,
		.category = CAT_STORAGE,
		.retry = RETRY_LATER,
		.vague = false,
	},
	{
		.code = "432",
		.title = "Queue stopped or password transition",
		.meaning = "From Microsoft Exchange, the recipient's server has halted its queue "
			   "of arriving mail, so it takes nothing for now. As an answer to AUTH "
			   "(RFC 4954) it asks the user instead to log in once with a plain "
			   "password so that the server can set up the chosen mechanism.",
		.causes = "An administrator froze the queue while working on a problem; for AUTH, "
			  "an account whose stored secrets do not yet suit the requested "
			  "mechanism.",
		.action = "For a stopped queue, let the queue retry: the receiving administrator "
			  "must restart it. For AUTH, log in once with PLAIN or LOGIN over TLS, "
			  "then use the mechanism you wanted.",
		.actor = ACTOR_RECEIVING_SERVER,
		.category = CAT_SYSTEM,
		.retry = RETRY_LATER,
		.vague = true,
	},
	{
		.code = "441",
		.title = "Recipient server not responding",
		.meaning = "A non-standard code, usually reported by your own server: the "
			   "recipient's server did not answer when delivery was attempted.",
		.causes = "The receiving server is down, overloaded or unreachable, its DNS "
			  "records point to a wrong address, or a firewall along the way drops the "
			  "connection.",
		.action = "Let the queue retry; it tries again several times on its own schedule. "
			  "If the failure lasts, check that the domain's MX hosts answer on port "
			  "25, and contact the recipient's administrator.",
		.actor = ACTOR_RECEIVING_SERVER,
		.category = CAT_NETWORK,
		.retry = RETRY_LATER,
		.vague = false,
	},
	{
		.code = "442",
		.title = "Connection dropped",
		.meaning = "A non-standard code: delivery had started, but the connection broke "
			   "before the message was fully transferred.",
		.causes = "A short network interruption; when it repeats, a faulty network card or "
			  "router, a firewall that cuts long connections, or a server so busy that "
			  "its connections stall.",
		.action = "Let the queue retry. If it keeps happening, check your own network "
			  "hardware, firewall timeouts and server load, since the fault is then "
			  "likely close to you.",
		.actor = ACTOR_NETWORK,
		.category = CAT_NETWORK,
		.retry = RETRY_LATER,
		.vague = false,
	},
	{
		.code = "446",
		.title = "Maximum hop count exceeded",
		.meaning = "A non-standard code: the message passed through too many servers, or "
			   "through the same ones over and over, and was stopped as a mail loop.",
		.causes = "Forwarding that sends mail in a circle, most often inside your own "
			  "server or between two servers of the same organisation, and now and "
			  "then between your server and the receiving one.",
		.action = "Look at the Received header fields of the returned message to see where "
			  "it circled, and fix the forwarding, alias or routing rule behind it. "
			  "Retries fail the same way until the loop is gone.",
		.actor = ACTOR_SENDING_SERVER,
		.category = CAT_LOOP,
		.retry = RETRY_LATER,
		.vague = false,
	},
	{
		.code = "447",
		.title = "Outgoing message timed out",
		.meaning = "A non-standard code: sending the message timed out because the "
			   "receiving server objected to it or stopped answering part way through "
			   "the exchange.",
		.causes = "Something in the message header that the receiver dislikes, most often "
			  "a long list of recipients, or the two servers timing out while talking "
			  "to each other.",
		.action = "Let the queue retry. If it repeats, send to fewer recipients per "
			  "message and check the header fields; if the receiving server is at "
			  "fault, contact its administrator.",
		.actor = ACTOR_RECEIVING_SERVER,
		.category = CAT_TIMEOUT,
		.retry = RETRY_LATER,
		.vague = false,
	},
	{
		.code = "449",
		.title = "Routing error",
		.meaning = "A Microsoft Exchange code: the server could not work out a route for "
			   "the message.",
		.causes = "An SMTP connector that looks destinations up in DNS, with no smart host "
			  "configured, while it also serves a non-SMTP address space such as "
			  "X.400, or a recipient who belongs to a routing group that has been "
			  "deleted.",
		.action = "The administrator of the Exchange organisation that reported it has to "
			  "correct the connector or routing group settings; retries fail until "
			  "then.",
		.actor = ACTOR_SENDING_SERVER,
		.category = CAT_SYSTEM,
		.retry = RETRY_LATER,
		.vague = false,
	},
	{
		.code = "450",
		.title = "Mailbox unavailable for now",
		.meaning = "The server did not take the command for this recipient because the "
			   "mailbox cannot be used at the moment (RFC 5321). It expects the "
			   "condition to pass.",
		.causes = "A mailbox that is busy, locked or being tidied, one stored on a server "
			  "that is offline, a temporary policy block, greylisting or a rate limit "
			  "on the sender, and sometimes a blocklisted sending address.",
		.action = "Let the queue retry. If an enhanced code or the text gives a reason, "
			  "such as a rate limit, act on that reason. If it keeps failing, check "
			  "blocklists for your sending IP and contact the receiving site.",
		.actor = ACTOR_RECEIVING_SERVER,
		.category = CAT_MAILBOX_DISABLED,
		.retry = RETRY_LATER,
		.vague = true,
	},
	{
		.code = "451",
		.title = "Local error in processing",
		.meaning = "The server aborted the command because something went wrong on its "
			   "side, and it says the failure is temporary (RFC 5321).",
		.causes = "A fault or overload on the receiving server or a relay, a DNS lookup "
			  "that failed or timed out (for example on the sender's domain), an "
			  "unreachable directory or database, greylisting, or anti-spam measures "
			  "that defer suspicious senders.",
		.action = "Let the queue retry; most of these clear by themselves. Read the text: "
			  "greylisting only asks for a later retry, while spam deferrals need your "
			  "IP's reputation or blocklist listings fixed. If it persists, tell the "
			  "server's administrator.",
		.actor = ACTOR_RECEIVING_SERVER,
		.category = CAT_SYSTEM,
		.retry = RETRY_LATER,
		.vague = true,
	},
	{
		.code = "452",
		.title = "Insufficient system storage",
		.meaning = "The server did not take the command because it lacks the storage for "
			   "it right now (RFC 5321). Many servers also send 452 to refuse further "
			   "recipients once the limit per message is reached.",
		.causes = "A full disk or queue on the receiving server or a relay, often after an "
			  "outage leaves a backlog; too many recipients in one transaction; a full "
			  "recipient mailbox; or a server that cannot save the message to its "
			  "queue.",
		.action = "Let the queue retry. When the text says too many recipients, send the "
			  "remaining ones in a new transaction; when it names a full mailbox, tell "
			  "the recipient. A full server needs its administrator.",
		.actor = ACTOR_RECEIVING_SERVER,
		.category = CAT_STORAGE,
		.retry = RETRY_LATER,
		.vague = true,
	},
	{
		.code = "454",
		.title = "Temporary TLS or login failure",
		.meaning = "The server could not complete STARTTLS or AUTH because of a temporary "
			   "problem on its side (RFC 3207, RFC 4954). The same command may work "
			   "later.",
		.causes = "A missing or broken certificate or TLS setup on the server, an "
			  "authentication backend that is down or slow, or a shortage of "
			  "resources. Some servers also send 454 to refuse relaying for the time "
			  "being.",
		.action = "Retry later, and tell the server's administrator if it persists; for "
			  "TLS, check whether the server's certificate is valid. Do not fall back "
			  "to sending credentials without encryption.",
		.actor = ACTOR_RECEIVING_SERVER,
		.category = CAT_SYSTEM,
		.retry = RETRY_LATER,
		.vague = false,
	},
	{
		.code = "455",
		.title = "Cannot accommodate parameters",
		.meaning = "RFC 5321 defines 455 as a temporary refusal of MAIL FROM or RCPT TO "
			   "parameters that the server cannot handle now. Some submission services "
			   "use it to say that a sending limit per minute or per day has been "
			   "reached.",
		.causes = "A sending rate or daily quota exceeded on the submission service; less "
			  "often an extension parameter, such as a large SIZE, that the server "
			  "cannot take at the moment.",
		.action = "Slow down: spread the sending over time, stay under the limits per "
			  "minute and per day, or ask the provider to raise them. For parameter "
			  "trouble, retry later or leave out the parameter.",
		.actor = ACTOR_SENDING_PROGRAM,
		.category = CAT_RATE_LIMITED,
		.retry = RETRY_LATER,
		.vague = true,
	},
	{
		.code = "458",
		.title = "Unable to queue for node",
		.meaning = "An answer to ETRN (RFC 1985): the server could not start delivering "
			   "the messages it holds for the named node.",
		.causes = "A temporary problem on the server, such as a busy queue runner or a "
			  "failed attempt to connect back to the node.",
		.action = "Send ETRN again later; if it keeps failing, contact the provider that "
			  "holds the queue.",
		.actor = ACTOR_RECEIVING_SERVER,
		.category = CAT_SYSTEM,
		.retry = RETRY_LATER,
		.vague = false,
	},
	{
		.code = "459",
		.title = "Node not allowed",
		.meaning = "An answer to ETRN (RFC 1985): the server will not run the queue for "
			   "the named node, and usually gives a reason.",
		.causes = "The client may not ask for a queue run for that node, or the server "
			  "keeps no queue for it.",
		.action = "Check that the node name is the one your provider keeps mail for, and "
			  "ask the provider to allow ETRN from your host.",
		.actor = ACTOR_RECEIVING_SERVER,
		.category = CAT_POLICY,
		.retry = RETRY_LATER,
		.vague = false,
	},
	{
		.code = "465",
		.title = "Code page unavailable",
		.meaning = "A Microsoft Exchange code: the message asks for a code page, a "
			   "character set, which the receiving server lacks, so it cannot be "
			   "handled there for now.",
		.causes = "Language support missing on the receiving server, left out when Windows "
			  "or Exchange was installed.",
		.action = "Let the queue retry, or send the message in a widely supported "
			  "character set such as UTF-8. The receiving administrator has to install "
			  "the missing language support.",
		.actor = ACTOR_RECEIVING_SERVER,
		.category = CAT_SYSTEM,
		.retry = RETRY_LATER,
		.vague = false,
	},
	{
		.code = "471",
		.title = "Local filter error",
		.meaning = "A non-standard code: a mail server, usually your own, could not "
			   "process the message because its anti-spam or anti-virus filtering ran "
			   "into trouble. It often asks to try again later.",
		.causes = "A bug or a bad automatic update of the anti-spam or anti-virus "
			  "software, a server short of memory, or disk problems. When a receiving "
			  "server sends it, its filter deferred the message as suspicious.",
		.action = "Let the queue retry. Check the logs, updates and resources of the "
			  "filtering software on your own server; if the reply came from the "
			  "receiving side, read its text and contact that site.",
		.actor = ACTOR_SENDING_SERVER,
		.category = CAT_POLICY,
		.retry = RETRY_LATER,
		.vague = true,
	},
	{
		.code = "500",
		.title = "Syntax error, command unrecognized",
		.meaning = "The server did not recognise the command or could not parse it; the "
			   "line may also have been too long (RFC 5321).",
		.causes = "A client bug or a typing error in a manual session, a command line over "
			  "the length limit, or an antivirus program or firewall that intercepts "
			  "and alters the SMTP conversation.",
		.action = "Check which command was sent, shorten over-long lines, and see whether "
			  "antivirus or firewall software rewrites the session. Repeating the same "
			  "command gets the same answer, so fix the client first.",
		.actor = ACTOR_SENDING_PROGRAM,
		.category = CAT_SYNTAX,
		.retry = RETRY_NO,
		.vague = false,
	},
	{
		.code = "501",
		.title = "Syntax error in parameters",
		.meaning = "The command was recognised, but its argument is not valid: often an "
			   "address, or an AUTH string that could not be decoded.",
		.causes = "An invalid address, for example with spaces, quotes or no @, an empty "
			  "or malformed sender address, a badly encoded AUTH PLAIN string (not "
			  "base64, or without its NUL separators), and now and then line noise on "
			  "a poor connection.",
		.action = "Correct the address or argument that the reply names, and make sure the "
			  "client encodes its AUTH data correctly. If everything looks right and "
			  "it happens at random, look for network trouble.",
		.actor = ACTOR_SENDING_PROGRAM,
		.category = CAT_SYNTAX,
		.retry = RETRY_NO,
		.vague = false,
	},
	{
		.code = "502",
		.title = "Command not implemented",
		.meaning = "The command is valid SMTP, but this server does not support it or has "
			   "it switched off.",
		.causes = "A client that uses an extension without checking the EHLO reply, a "
			  "command such as VRFY, EXPN, ETRN or TURN that is disabled, or EHLO sent "
			  "to an old server that knows only HELO.",
		.action = "Use only the commands and extensions the server announces in its EHLO "
			  "reply; fall back to HELO, or leave out the optional command.",
		.actor = ACTOR_SENDING_PROGRAM,
		.category = CAT_PROTOCOL,
		.retry = RETRY_NO,
		.vague = false,
	},
	{
		.code = "503",
		.title = "Bad sequence of commands",
		.meaning = "A command came in the wrong order, such as RCPT TO before MAIL FROM or "
			   "DATA before any recipient. Many servers also send 503 to say that the "
			   "client must authenticate first.",
		.causes = "A client bug or a skipped step, an earlier command that failed without "
			  "the client noticing (for instance every recipient refused before DATA), "
			  "a command lost to a dropped connection, or sending without logging in "
			  "to a server that requires it.",
		.action = "Check the order of the conversation and the reply to each earlier "
			  "command. If the text mentions authentication, turn on SMTP "
			  "authentication in the client with the right user name and password.",
		.actor = ACTOR_SENDING_PROGRAM,
		.category = CAT_PROTOCOL,
		.retry = RETRY_NO,
		.vague = true,
	},
	{
		.code = "504",
		.title = "Command parameter not implemented",
		.meaning = "The command is known, but the server does not support the parameter "
			   "given with it, most often the mechanism named in AUTH.",
		.causes = "An AUTH mechanism the server does not offer, an AUTH exchange that does "
			  "not match the mechanism in use, or an extension parameter the server "
			  "does not implement. A few servers send it to ask for authentication "
			  "first.",
		.action = "Choose one of the mechanisms the server lists in its EHLO reply, or "
			  "leave out the unsupported parameter, and send again.",
		.actor = ACTOR_SENDING_PROGRAM,
		.category = CAT_PROTOCOL,
		.retry = RETRY_NO,
		.vague = false,
	},
	{
		.code = "510",
		.title = "Bad email address",
		.meaning = "A non-standard code: a recipient address is wrong. It is often "
			   "produced by the sender's own mail server for an address it cannot "
			   "deliver to.",
		.causes = "A misspelled address or, for mail inside an organisation, a name that "
			  "does not exist in its directory.",
		.action = "Check the addresses in the To, Cc and Bcc fields, correct the wrong one "
			  "and send again. Do not resend to the same address unchanged.",
		.actor = ACTOR_SENDING_PROGRAM,
		.category = CAT_USER_UNKNOWN,
		.retry = RETRY_NO,
		.vague = false,
	},
	{
		.code = "511",
		.title = "Bad destination mailbox",
		.meaning = "A non-standard code close to 510: the recipient's mailbox address is "
			   "invalid or does not exist.",
		.causes = "A typing mistake in the address, an account that has been closed, or an "
			  "internal name that is not in the directory.",
		.action = "Confirm the address with the recipient by another channel and correct "
			  "it. Remove addresses that keep failing from your lists.",
		.actor = ACTOR_SENDING_PROGRAM,
		.category = CAT_USER_UNKNOWN,
		.retry = RETRY_NO,
		.vague = false,
	},
	{
		.code = "512",
		.title = "Recipient domain not found",
		.meaning = "A non-standard code: a server on the way could not find the host for "
			   "the recipient's domain in DNS.",
		.causes = "A misspelled or non-existent domain in a recipient address, a domain "
			  "that has expired, or a DNS fault on one of the first servers the "
			  "message passes, your own or your provider's.",
		.action = "Check the domain part of every recipient address, for example with a "
			  "DNS or WHOIS lookup. If the domains are right, check name resolution on "
			  "your own server and your provider's.",
		.actor = ACTOR_SENDING_PROGRAM,
		.category = CAT_HOST_UNKNOWN,
		.retry = RETRY_NO,
		.vague = false,
	},
	{
		.code = "513",
		.title = "Address type incorrect",
		.meaning = "A non-standard code: a recipient address is not written in a form the "
			   "server accepts. A few servers use it for relaying denied or "
			   "authentication required.",
		.causes = "An address typed or pasted wrongly, such as 'at' in place of @ or stray "
			  "quotes, contacts imported from another system with badly formed "
			  "addresses, or on some servers a missing login.",
		.action = "Check every recipient address, including those taken from an address "
			  "book, and correct the malformed one. If the addresses are right, check "
			  "that the client authenticates.",
		.actor = ACTOR_SENDING_PROGRAM,
		.category = CAT_SYNTAX,
		.retry = RETRY_NO,
		.vague = false,
	},
	{
		.code = "521",
		.title = "Host does not accept mail",
		.meaning = "The server says it never accepts mail at all (RFC 7504). It may send "
			   "this instead of a greeting or in answer to any command.",
		.causes = "A host that exists for other purposes and runs no mail service, a dummy "
			  "server set up to refuse mail for a domain, or, with some large "
			  "providers, a block on the sending IP address.",
		.action = "Do not retry this host. Check the address and the domain's MX records; "
			  "if the domain really takes no mail, reach the recipient another way. If "
			  "the text names a block, follow the provider's instructions for removal.",
		.actor = ACTOR_RECEIVING_SERVER,
		.category = CAT_DOMAIN_NO_MAIL,
		.retry = RETRY_NO,
		.vague = false,
	},
	{
		.code = "522",
		.title = "Recipient over quota",
		.meaning = "A non-standard code: the recipient's mailbox has used up its storage "
			   "allocation, so the message was refused.",
		.causes = "A full mailbox that its owner does not empty, or an abandoned account "
			  "that keeps filling up.",
		.action = "Tell the recipient by another channel and send again later. If the "
			  "mailbox stays full for weeks, treat the address as abandoned.",
		.actor = ACTOR_RECIPIENT_MAILBOX,
		.category = CAT_MAILBOX_FULL,
		.retry = RETRY_NO,
		.vague = false,
	},
	{
		.code = "523",
		.title = "Message too large for recipient",
		.meaning = "A non-standard code: the message, with all its attachments, is bigger "
			   "than the receiving server allows.",
		.causes = "Large attachments, such as scans at a high resolution, or a low limit "
			  "set by the receiver to guard against floods of big messages. Encoding "
			  "attachments for mail also makes them about a third larger.",
		.action = "Make the message smaller: compress or resize attachments, split them "
			  "over several messages, or share a link instead. Ask the recipient what "
			  "size their server accepts.",
		.actor = ACTOR_SENDING_PROGRAM,
		.category = CAT_TOO_LARGE,
		.retry = RETRY_NO,
		.vague = false,
	},
	{
		.code = "530",
		.title = "Authentication required",
		.meaning = "The server will not carry out the command until the client "
			   "authenticates (RFC 4954); some servers send it to say the client must "
			   "first switch to TLS with STARTTLS (RFC 3207).",
		.causes = "A client not set up to log in, sending to a remote domain without "
			  "authentication, or a server that requires STARTTLS before anything "
			  "else. A few servers use 530 for a blocked sender or an invalid address.",
		.action = "Turn on SMTP authentication in the client with valid credentials, and "
			  "use STARTTLS or implicit TLS on the port your provider names. If the "
			  "text names a block or an address, act on that instead.",
		.actor = ACTOR_SENDING_PROGRAM,
		.category = CAT_AUTH_REQUIRED,
		.retry = RETRY_NO,
		.vague = false,
	},
	{
		.code = "534",
		.title = "Authentication mechanism too weak",
		.meaning = "The server refuses the chosen AUTH mechanism as not strong enough for "
			   "its policy (RFC 4954). Some providers also send 534 to demand an app "
			   "password or a login in a web browser first.",
		.causes = "A client that offers a plain mechanism where the server wants a "
			  "stronger one, or an account with extra protection, such as two-step "
			  "verification, that refuses ordinary passwords.",
		.action = "Choose a stronger mechanism the server offers, or follow the provider's "
			  "instructions: create an app password or use OAuth, then log in again.",
		.actor = ACTOR_SENDING_PROGRAM,
		.category = CAT_AUTH_FAILED,
		.retry = RETRY_NO,
		.vague = false,
	},
	{
		.code = "535",
		.title = "Authentication failed",
		.meaning = "The server rejected the credentials given with AUTH (RFC 4954). Some "
			   "services also send 535 when the logged-in user is not allowed to send "
			   "from the given sender address.",
		.causes = "A wrong user name or password, an expired or revoked credential, a "
			  "badly encoded login string, a locked account, or a sender address that "
			  "is not approved for this user.",
		.action = "Check the user name and password or create new SMTP credentials, and "
			  "make sure the From address is an approved sender of the account. Stop "
			  "after a few failures: repeated bad logins get the client's address "
			  "throttled.",
		.actor = ACTOR_SENDING_PROGRAM,
		.category = CAT_AUTH_FAILED,
		.retry = RETRY_NO,
		.vague = false,
	},
	{
		.code = "538",
		.title = "Encryption required for mechanism",
		.meaning = "The AUTH mechanism the client asked for may only be used over an "
			   "encrypted connection, and this one is not encrypted (RFC 4954).",
		.causes = "A client that tries to log in before STARTTLS, or one connecting to a "
			  "plain port with TLS switched off.",
		.action = "Enable STARTTLS or connect to the implicit-TLS port, then authenticate "
			  "again.",
		.actor = ACTOR_SENDING_PROGRAM,
		.category = CAT_TLS_REQUIRED,
		.retry = RETRY_NO,
		.vague = false,
	},
	{
		.code = "541",
		.title = "Rejected by recipient's anti-spam",
		.meaning = "A non-standard code: the recipient's side refused the message, usually "
			   "because an anti-spam filter or appliance judged it to be spam or "
			   "denied access to the recipient address.",
		.causes = "Content that looks like spam, a sending IP address or domain with a "
			  "poor reputation or on a blocklist, or SPF, DKIM or DMARC checks that do "
			  "not pass.",
		.action = "Read the text for the filter's reason, check your IP address and domain "
			  "against public blocklists, make SPF, DKIM and DMARC pass, and review "
			  "the content. If the mail is wanted, ask the recipient to allow your "
			  "address.",
		.actor = ACTOR_POLICY,
		.category = CAT_SPAM,
		.retry = RETRY_NO,
		.vague = false,
	},
	{
		.code = "550",
		.title = "Mailbox unavailable",
		.meaning = "The server refused the command for good: the mailbox cannot be used or "
			   "was not found, or the command was refused for policy reasons (RFC "
			   "5321). The code alone does not say which.",
		.causes = "Most often the recipient address does not exist; also spam or blocklist "
			  "rejections, refused relaying, failed sender authentication (SPF, DKIM, "
			  "DMARC), and disabled accounts.",
		.action = "Read the enhanced code and the text to learn the reason. If the mailbox "
			  "does not exist, correct the address or remove it from your lists; for a "
			  "policy or spam refusal, fix that cause before sending again.",
		.actor = ACTOR_RECIPIENT_MAILBOX,
		.category = CAT_USER_UNKNOWN,
		.retry = RETRY_NO,
		.vague = true,
	},
	{
		.code = "551",
		.title = "User not local",
		.meaning = "The recipient is not hosted on this server and it will not pass the "
			   "message on; RFC 5321 lets it suggest another address to try. In "
			   "practice it usually means relaying is denied.",
		.causes = "Sending to a remote domain through a server that relays only for its "
			  "own users, a client that did not log in, or an outdated address of "
			  "someone who has moved. Some services also use 551 for messages refused "
			  "as spam or virus.",
		.action = "Send through your own provider's server with authentication, or resend "
			  "to the address the reply suggests. If the text names spam or a virus, "
			  "deal with that instead.",
		.actor = ACTOR_SENDING_PROGRAM,
		.category = CAT_RELAY_DENIED,
		.retry = RETRY_NO,
		.vague = true,
	},
	{
		.code = "552",
		.title = "Exceeded storage allocation",
		.meaning = "The server aborted the transaction because of a storage limit. "
			   "Depending on the server, that limit is the largest message it takes or "
			   "the recipient's mailbox quota.",
		.causes = "A message larger than the maximum size the server announces with SIZE "
			  "in its EHLO reply, or a full recipient mailbox. Old servers also sent "
			  "552 for too many recipients, which RFC 5321 asks clients to treat as "
			  "temporary.",
		.action = "Read the text: for a size limit, make the message smaller or send a "
			  "link; for a full mailbox, tell the recipient and try much later. If it "
			  "is about the number of recipients, send the rest in another "
			  "transaction.",
		.actor = ACTOR_SENDING_PROGRAM,
		.category = CAT_TOO_LARGE,
		.retry = RETRY_NO,
		.vague = true,
	},
	{
		.code = "553",
		.title = "Mailbox name not allowed",
		.meaning = "The server refused the command because an address in it is not "
			   "acceptable, typically because its syntax is wrong (RFC 5321).",
		.causes = "A malformed sender or recipient address, a sender address that the "
			  "logged-in user does not own, or a recipient domain the server neither "
			  "hosts nor relays for.",
		.action = "Check the address named in the reply and correct its spelling or form. "
			  "For the sender, use an address that belongs to your account; if "
			  "relaying is refused, send through your own provider with "
			  "authentication.",
		.actor = ACTOR_SENDING_PROGRAM,
		.category = CAT_SYNTAX,
		.retry = RETRY_NO,
		.vague = true,
	},
	{
		.code = "554",
		.title = "Transaction failed",
		.meaning = "The server refused the transaction for good without a more precise "
			   "code. Sent instead of the greeting, it means there is no SMTP service "
			   "here for this client (RFC 5321).",
		.causes = "Most often a policy refusal: a blocklisted IP address, spam content, "
			  "relaying denied or a suspended recipient. Also a message that cannot be "
			  "parsed, for instance one without header fields or with a header block "
			  "over the size limit.",
		.action = "Read the enhanced code and the text for the reason. Check your IP "
			  "address on blocklists, your SPF, DKIM and DMARC results and the "
			  "content; for a parse error, fix the message format. Do not resend "
			  "unchanged.",
		.actor = ACTOR_POLICY,
		.category = CAT_POLICY,
		.retry = RETRY_NO,
		.vague = true,
	},
	{
		.code = "555",
		.title = "Parameters not recognized",
		.meaning = "The server does not recognise or implement a parameter given with MAIL "
			   "FROM or RCPT TO (RFC 5321).",
		.causes = "A client that adds extension parameters, such as SIZE, BODY, SMTPUTF8 "
			  "or DSN options, that the server did not announce, or a malformed "
			  "parameter or address.",
		.action = "Send only the parameters the server lists in its EHLO reply, and check "
			  "the form of the address and of each parameter.",
		.actor = ACTOR_SENDING_PROGRAM,
		.category = CAT_SYNTAX,
		.retry = RETRY_NO,
		.vague = false,
	},
	{
		.code = "556",
		.title = "Domain does not accept mail",
		.meaning = "A server on the way found that the recipient's domain declares that it "
			   "takes no mail, usually with a null MX record (RFC 7504, RFC 7505), and "
			   "did not try to deliver.",
		.causes = "A domain used only for websites or other services that publishes that "
			  "it receives no email, or a mistyped domain that happens to publish "
			  "this.",
		.action = "Do not retry. Check the recipient address; if it is right, the domain "
			  "cannot receive mail, so remove the address from your lists and reach "
			  "the person another way.",
		.actor = ACTOR_RECEIVING_SERVER,
		.category = CAT_DOMAIN_NO_MAIL,
		.retry = RETRY_NO,
		.vague = false,
	},
};

const size_t status_basic_count = sizeof(status_basic_table) / sizeof(status_basic_table[0]);

/* By first digit (RFC 5321 section 4.2.1; RFC 3463 for what 4 and 5 promise). */
const struct status_class_info status_class_table[] = {
	{
		.digit = 1,
		.title = "Positive preliminary",
		.meaning = "The command was accepted, but its action waits for a confirmation. "
			   "SMTP has no command that uses this class, so a 1xx number in a mail "
			   "error is almost always an error number of the client or its system, "
			   "such as 111 for a refused connection, not a server's reply.",
	},
	{
		.digit = 2,
		.title = "Success",
		.meaning = "The command was carried out. After the message data it means the "
			   "server has accepted responsibility for the message.",
	},
	{
		.digit = 3,
		.title = "Intermediate",
		.meaning = "The command was accepted and the server waits for more from the "
			   "client, such as the message after DATA (354) or the next step of an "
			   "AUTH exchange (334).",
	},
	{
		.digit = 4,
		.title = "Transient failure",
		.meaning = "The command failed, but the condition is temporary. RFC 3463 calls it "
			   "a persistent transient failure: the message as sent is valid, and the "
			   "same message may get through if it is sent again later, so it stays in "
			   "the queue.",
	},
	{
		.digit = 5,
		.title = "Permanent failure",
		.meaning = "The command failed and will fail again if repeated as it is. RFC 3463 "
			   "calls the failure permanent: the message will not be accepted in its "
			   "current form, and the address, the message or the sender's setup must "
			   "change first.",
	},
};

const size_t status_class_count = sizeof(status_class_table) / sizeof(status_class_table[0]);

/* By second digit (RFC 5321 section 4.2.1), for codes without an entry of their own. */
const struct status_class_info status_basic_group_table[] = {
	{
		.digit = 0,
		.title = "Syntax",
		.meaning = "About syntax: a command that was not understood or had malformed "
			   "arguments, or one that is valid but not implemented or not wanted "
			   "here.",
	},
	{
		.digit = 1,
		.title = "Information",
		.meaning = "Answers to requests for information, such as status or help.",
	},
	{
		.digit = 2,
		.title = "Connections",
		.meaning = "About the transmission channel: the greeting, the closing of the "
			   "connection, or trouble with it.",
	},
	{
		.digit = 3,
		.title = "Authentication and security",
		.meaning = "Left unassigned by RFC 5321. The AUTH extension (RFC 4954) and many "
			   "servers use it for authentication and security replies, such as 334, "
			   "530 and 535.",
	},
	{
		.digit = 4,
		.title = "Network and routing",
		.meaning = "Left unassigned by RFC 5321. Some servers use it for network, routing "
			   "and delivery-path problems, such as a server that does not respond, a "
			   "dropped connection or a mail loop.",
	},
	{
		.digit = 5,
		.title = "Mail system",
		.meaning = "The state of the receiving mail system with respect to the requested "
			   "action: mailboxes, storage and the mail transaction itself.",
	},
};

const size_t status_basic_group_count =
	sizeof(status_basic_group_table) / sizeof(status_basic_group_table[0]);
