"""Self-tests of smtp_target (the scripted receiving SMTP server and test CA the delivery tests
use), driven by Python's smtplib and a raw socket client. They need no tern binary.

Every socket has a timeout and every wait is bounded, so a broken target fails, never hangs.
"""
import base64
import smtplib
import socket
import ssl
import time

import pytest

from smtp_target import ROLES, Target, TestCA, free_port

TIMEOUT = 5


class Raw:
    """A minimal SMTP client on a plain socket, for what smtplib hides (pipelining, exact wire
    bytes, hostile replies)."""

    def __init__(self, host, port, timeout=TIMEOUT):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""

    def recv_more(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError(f"connection closed; unparsed {self.buf[:200]!r}")
        self.buf += chunk

    def reply(self, limit=1 << 20):
        """One (possibly multi-line) reply as a list of lines without CRLF."""
        lines = []
        while True:
            while b"\r\n" not in self.buf:
                if len(self.buf) > limit:
                    raise AssertionError("reply line longer than the limit")
                self.recv_more()
            line, self.buf = self.buf.split(b"\r\n", 1)
            lines.append(line)
            limit -= len(line)
            if limit < 0:
                raise AssertionError("reply longer than the limit")
            if line[3:4] != b"-":
                return lines

    def cmd(self, line):
        self.sock.sendall(line + b"\r\n")
        return self.reply()

    def starttls(self, context, server_hostname):
        self.sock = context.wrap_socket(self.sock, server_hostname=server_hostname)
        self.buf = b""

    def close(self):
        self.sock.close()


@pytest.fixture
def target():
    with Target() as t:
        yield t
        assert t.errors == []


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    return TestCA(tmp_path_factory.mktemp("ca"))


def smtp(t, **kw):
    return smtplib.SMTP(t.host, t.port, timeout=TIMEOUT, **kw)


# -- acceptance and exact bytes -----------------------------------------------------------------

def test_accepts_and_records_exact_bytes(target):
    body = (b"From: a@example.org\r\nSubject: bytes\r\n\r\n"
            b".a line starting with a dot\r\n..two dots\r\n"
            b"8-bit: caf\xc3\xa9 \xff\xfe\r\n\r\n")
    with smtp(target, local_hostname="client.test") as s:
        assert s.ehlo()[0] == 250
        refused = s.sendmail("a@example.org", ["ok-1@example.net", "x@example.net"], body,
                             mail_options=["BODY=8BITMIME"])
        assert refused == {}
    (m,) = target.wait_for(1, TIMEOUT)
    assert m.data == body and m.content == body and m.original_content == body
    assert m.mail_from == "a@example.org"
    assert m.rcpt_tos == ["ok-1@example.net", "x@example.net"]
    assert m.mail_options == ["BODY=8BITMIME"]
    assert m.ehlo == "client.test" and m.esmtp and not m.tls and m.tls_version is None
    assert m.peer[0] == "127.0.0.1" and m.reply.startswith("250 2.0.0")
    assert m.started <= m.received
    target.wait_for_connections(1, TIMEOUT)
    assert target.connections == 1 and target.transactions == 1
    verbs = [c.split()[0].upper() for c in target.commands[0]]
    assert verbs == ["EHLO", "MAIL", "RCPT", "RCPT", "DATA", "QUIT"]
    assert target.sessions[0].ehlo_names == ["client.test"]


def test_raw_dot_unstuffing_pipelining_and_reuse(target):
    c = Raw(target.host, target.port)
    assert c.reply()[0].startswith(b"220 ")
    assert b"250-PIPELINING" in c.cmd(b"EHLO raw.test")
    c.sock.sendall(b"MAIL FROM:<s@example.org>\r\nRCPT TO:<ok-a@example.net>\r\nDATA\r\n")
    assert [c.reply()[0][:3] for _ in range(3)] == [b"250", b"250", b"354"]
    wire = (b"..one\r\n...\r\nbare\nlf and bare\r cr\r\nx\r\n.\nnot the end\r\n"
            b"no final dot.\r\n.\r\n")
    c.sock.sendall(wire)
    assert c.reply()[0].startswith(b"250 2.0.0 Ok: queued as ")
    # second transaction on the same connection, after RSET
    assert c.cmd(b"RSET") == [b"250 2.0.0 Ok"]
    assert c.cmd(b"MAIL FROM:<>")[0].startswith(b"250")
    assert c.cmd(b"RCPT TO:<b@example.net>")[0].startswith(b"250")
    assert c.cmd(b"DATA")[0].startswith(b"354")
    c.sock.sendall(b".\r\n")  # an empty message
    assert c.reply()[0].startswith(b"250")
    assert c.cmd(b"QUIT") == [b"221 2.0.0 Bye"]
    c.close()
    m1, m2 = target.wait_for(2, TIMEOUT)
    assert m1.data == (b".one\r\n..\r\nbare\nlf and bare\r cr\r\nx\r\n\nnot the end\r\n"
                       b"no final dot.\r\n")
    assert m2.data == b"" and m2.mail_from == ""
    target.wait_for_connections(1, TIMEOUT)
    conn = target.sessions[0]
    assert target.connections == 1 and target.transactions == 2 and conn.transactions == 2
    assert conn.pipelined_commands == ["RCPT TO:<ok-a@example.net>", "DATA"]
    assert "RSET" in conn.commands and not conn.early_talker and not conn.data_before_354


def test_long_data_lines_are_exact(target):
    long_line = b"." + b"a" * 600_000 + b"\r" + b"b" * 300_000  # bare CR inside, leading dot
    with smtp(target) as s:
        s.ehlo()
        body = long_line + b"\r\n.\r\n" + b"c" * 262_143 + b"\r\nend\r\n"
        assert s.sendmail("s@example.org", ["r@x.test"], body) == {}
    assert target.wait_for(1, TIMEOUT)[0].data == body


# -- recipient roles ----------------------------------------------------------------------------

ROLE_CASES = [
    ("ok-1@x.test", 250, "2.1.5 Ok"),
    ("anybody@x.test", 250, "2.1.5 Ok"),
    ("temp-1@x.test", 451, "4.2.1 Mailbox temporarily unavailable"),
    ("perm-1@x.test", 550, "5.1.1 <perm-1@x.test>: Recipient address rejected: User unknown in "
                           "local recipient table"),
    ("unknown-1@x.test", 550, "5.1.1 <unknown-1@x.test>: Recipient address rejected: User "
                              "unknown in local recipient table"),
    ("full-1@x.test", 452, "4.2.2 Mailbox full"),
    ("disabled-1@x.test", 550, "5.2.1 Mailbox disabled"),
    ("grey-1@x.test", 451, "4.7.1 Greylisted, please come back in 00:00:02"),
    ("spam-1@x.test", 250, "2.1.5 Ok"),
    ("Scripted@x.test", 553, "5.7.1 scripted for Scripted@x.test"),
]


def test_recipient_roles():
    with Target(rcpt_script={"scripted@x.test": "553 5.7.1 scripted for {addr}"}) as t:
        with smtp(t) as s:
            s.ehlo()
            for addr, code, text in ROLE_CASES:
                assert s.mail("s@example.org")[0] == 250
                assert s.rcpt(addr) == (code, text.encode()), addr
                assert s.rset()[0] == 250
        assert t.errors == [] and t.messages == []
    assert set(ROLES) >= {"ok-", "temp-", "perm-", "unknown-", "full-", "disabled-", "grey-",
                          "spam-", "421-"}


def test_callable_rcpt_script():
    seen = []

    def script(rcpt, mail_from):
        seen.append((rcpt, mail_from))
        return "450 4.2.0 hook says later" if rcpt.startswith("hook") else None

    with Target(rcpt_script=script) as t, smtp(t) as s:
        s.ehlo()
        s.mail("s@example.org")
        assert s.rcpt("hook@x.test") == (450, b"4.2.0 hook says later")
        assert s.rcpt("temp-2@x.test")[0] == 451  # None falls through to the roles
    assert seen == [("hook@x.test", "s@example.org"), ("temp-2@x.test", "s@example.org")]


def test_spam_rejected_at_end_of_data(target):
    with smtp(target) as s:
        s.ehlo()
        s.mail("s@example.org")
        assert s.rcpt("spam-1@x.test")[0] == 250
        assert s.rcpt("ok-1@x.test")[0] == 250
        assert s.data(b"Subject: buy\r\n\r\nnow\r\n") == (554, b"5.7.1 Message rejected as spam")
        # a later transaction without a spam- recipient is fine
        assert s.sendmail("s@example.org", ["ok-2@x.test"], b"Subject: ok\r\n\r\nhi\r\n") == {}
    target.wait_for(1, TIMEOUT)
    assert [m.rcpt_tos for m in target.refused] == [["spam-1@x.test", "ok-1@x.test"]]
    assert target.refused[0].data == b"Subject: buy\r\n\r\nnow\r\n"
    assert [m.rcpt_tos for m in target.messages] == [["ok-2@x.test"]]


def test_421_recipient_closes_connection(target):
    s = smtp(target)
    s.ehlo()
    s.mail("s@example.org")
    assert s.rcpt("421-a@x.test") == (421, b"4.4.2 closing connection")
    with pytest.raises(smtplib.SMTPServerDisconnected):
        s.noop()
    s.close()
    target.wait_for_connections(1, TIMEOUT)


def test_greylisting_honours_the_wait():
    with Target(grey_wait=1) as t, smtp(t) as s:
        s.ehlo()
        s.mail("s@example.org")
        first = s.rcpt("grey-1@x.test")
        assert first == (451, b"4.7.1 Greylisted, please come back in 00:00:01")
        assert s.rcpt("grey-1@x.test") == first  # too early: same answer
        s.rset()
        time.sleep(1.1)
        s.mail("s@example.org")
        assert s.rcpt("grey-1@x.test") == (250, b"2.1.5 Ok")
        s.rset()
        s.mail("other@example.org")  # another (sender, rcpt) pair starts its own wait
        assert s.rcpt("grey-1@x.test")[0] == 451


def test_max_rcpts():
    with Target(max_rcpts=2) as t, smtp(t) as s:
        s.ehlo()
        s.mail("s@example.org")
        assert s.rcpt("temp-1@x.test")[0] == 451  # refused ones do not count
        assert s.rcpt("a@x.test")[0] == 250
        assert s.rcpt("b@x.test")[0] == 250
        assert s.rcpt("c@x.test") == (452, b"4.5.3 Error: too many recipients")
        assert s.data(b"x\r\n")[0] == 250
        s.mail("s@example.org")  # a new transaction counts afresh
        assert s.rcpt("c@x.test")[0] == 250
        s.rset()
    assert t.wait_for(1, TIMEOUT)[0].rcpt_tos == ["a@x.test", "b@x.test"]


# -- TLS ----------------------------------------------------------------------------------------

def test_starttls_with_ca_issued_certificate(ca):
    cert, key = ca.issue("mx.test")
    with Target(starttls=(cert, key)) as t:
        ctx = ssl.create_default_context(cafile=ca.ca_file)
        c = Raw(t.host, t.port)
        c.reply()
        assert b"250-STARTTLS" in c.cmd(b"EHLO tls.test")
        assert c.cmd(b"STARTTLS") == [b"220 2.0.0 Ready to start TLS"]
        c.starttls(ctx, "mx.test")
        assert b"250-STARTTLS" not in c.cmd(b"EHLO tls.test")
        for line in (b"MAIL FROM:<s@example.org>", b"RCPT TO:<r@x.test>", b"DATA"):
            assert c.cmd(line)[0][:1] in (b"2", b"3")
        c.sock.sendall(b"secret\r\n.\r\n")
        assert c.reply()[0].startswith(b"250")
        c.cmd(b"QUIT")
        c.close()
        # smtplib verifies against the 127.0.0.1 IP SAN
        with smtp(t) as s:
            s.starttls(context=ctx)
            s.sendmail("s@example.org", ["r2@x.test"], b"x\r\n")
        m1, m2 = t.wait_for(2, TIMEOUT)
        assert m1.tls and m1.tls_version.startswith("TLSv1.") and m1.sni == "mx.test"
        assert m1.data == b"secret\r\n" and m1.ehlo == "tls.test"
        assert m2.tls and m2.sni is None  # no SNI for an IP address
        assert t.sessions[0].ehlo_names == ["tls.test", "tls.test"]
        assert t.errors == []


@pytest.mark.parametrize("kind", ["self_signed", "wrong_name", "expired"])
def test_starttls_untrusted_certificates_fail_verification(ca, kind):
    if kind == "self_signed":
        cert, key = ca.self_signed("mx.test")
    elif kind == "wrong_name":
        cert, key = ca.issue("other.test")
    else:
        cert, key = ca.issue("mx.test", expired=True)
    with Target(starttls=(cert, key)) as t:
        c = Raw(t.host, t.port)
        c.reply()
        c.cmd(b"EHLO tls.test")
        c.cmd(b"STARTTLS")
        with pytest.raises(ssl.SSLCertVerificationError):
            c.starttls(ssl.create_default_context(cafile=ca.ca_file), "mx.test")
        c.close()
        t.wait_for_connections(1, TIMEOUT)
        assert not t.sessions[0].tls and t.sessions[0].tls_error


def test_starttls_response_injection_then_real_tls(ca):
    cert, key = ca.issue("mx.test")
    injected = b"250-INJECTED\r\n250 PIPELINING\r\n"
    with Target(starttls=(cert, key), inject_after_starttls=injected) as t:
        c = Raw(t.host, t.port)
        c.reply()
        c.cmd(b"EHLO tls.test")
        # the client also sends a command in the clear after STARTTLS: the server drops it
        c.sock.sendall(b"STARTTLS\r\nNOOP\r\n")
        assert c.reply() == [b"220 2.0.0 Ready to start TLS"]
        deadline = time.monotonic() + TIMEOUT
        while len(c.buf) < len(injected) and time.monotonic() < deadline:
            c.recv_more()
        assert c.buf == injected
        c.starttls(ssl.create_default_context(cafile=ca.ca_file), "mx.test")  # buffer dropped
        ehlo = c.cmd(b"EHLO tls.test")
        assert ehlo[0] == b"250-mx.target.test" and b"INJECTED" not in b"".join(ehlo)
        assert c.cmd(b"QUIT")[0].startswith(b"221")
        c.close()
        t.wait_for_connections(1, TIMEOUT)
        conn = t.sessions[0]
        assert conn.tls and conn.plaintext_after_starttls == b"NOOP\r\n"
        assert conn.commands == ["EHLO tls.test", "STARTTLS", "EHLO tls.test", "QUIT"]
        assert t.errors == []


def test_require_tls_and_no_starttls_offered():
    with Target(require_tls=True) as t, smtp(t) as s:
        s.ehlo()
        assert not s.has_extn("starttls")
        assert s.docmd("STARTTLS")[0] == 502
        assert s.mail("s@example.org") == (530, b"5.7.0 Must issue a STARTTLS command first")


def test_implicit_tls_and_starttls_reply(ca):
    cert, key = ca.issue("mx.test")
    with Target(implicit_tls=(cert, key)) as t:
        ctx = ssl.create_default_context(cafile=ca.ca_file)
        with smtplib.SMTP_SSL(t.host, t.port, timeout=TIMEOUT, context=ctx) as s:
            s.ehlo("tls.test")
            assert not s.has_extn("starttls")
            s.sendmail("s@example.org", ["r@x.test"], b"over TLS\r\n")
        (m,) = t.wait_for(1, TIMEOUT)
        assert m.tls and m.tls_version.startswith("TLSv1.") and m.data == b"over TLS\r\n"
        # a plaintext client gets no SMTP at all: the failed handshake is recorded
        c = Raw(t.host, t.port)
        c.sock.sendall(b"EHLO plain.test\r\n")
        with pytest.raises((EOFError, ConnectionResetError)):
            c.reply()
        c.close()
        t.wait_for_connections(2, TIMEOUT)
        assert t.sessions[1].tls_error and not t.sessions[1].commands
        assert t.errors == []
    with Target(ehlo_extra=["STARTTLS"], starttls_reply="454 4.7.0 TLS not available") as t, \
            smtp(t) as s:
        s.ehlo()
        assert s.has_extn("starttls")
        assert s.docmd("STARTTLS") == (454, b"4.7.0 TLS not available")
        assert s.sendmail("s@example.org", ["r@x.test"], b"plain\r\n") == {}
        assert not t.wait_for(1, TIMEOUT)[0].tls


# -- AUTH ---------------------------------------------------------------------------------------

def test_auth_plain_and_login_record_the_user():
    with Target(auth={"app": "s3cret", "other": "pw"}) as t:
        with smtp(t) as s:
            s.ehlo()
            assert s.esmtp_features["auth"].split() == ["PLAIN", "LOGIN"]
            assert s.mail("s@example.org") == (530, b"5.7.0 Authentication required")
            s.rset()
            s.user, s.password = "app", "s3cret"
            assert s.auth("PLAIN", s.auth_plain, initial_response_ok=True)[0] == 235
            assert s.docmd("AUTH PLAIN")[0] == 503  # only once per session
            s.sendmail("s@example.org", ["r@x.test"], b"one\r\n")
        with smtp(t) as s:
            s.ehlo()
            s.user, s.password = "other", "pw"
            assert s.auth("LOGIN", s.auth_login, initial_response_ok=False)[0] == 235
            s.sendmail("s@example.org", ["r@x.test"], b"two\r\n")
        # PLAIN with the response in a continuation, and with an authorization identity
        c = Raw(t.host, t.port)
        c.reply()
        c.cmd(b"EHLO raw.test")
        assert c.cmd(b"AUTH PLAIN") == [b"334 "]
        assert c.cmd(base64.b64encode(b"admin\0app\0s3cret"))[0].startswith(b"235 2.7.0")
        c.cmd(b"QUIT")
        c.close()
        m1, m2 = t.wait_for(2, TIMEOUT)
        assert (m1.auth_user, m2.auth_user) == ("app", "other")
        t.wait_for_connections(3, TIMEOUT)
        assert [c.auth_user for c in t.sessions] == ["app", "other", "app"]
        assert [a[:2] for c in t.sessions for a in c.auth_attempts] == [
            ("PLAIN", "app"), ("LOGIN", "other"), ("PLAIN", "app")]
        assert t.errors == []


def test_auth_failures_and_cancel():
    with Target(auth={"app": "s3cret"}) as t:
        c = Raw(t.host, t.port)
        c.reply()
        c.cmd(b"EHLO raw.test")
        wrong = base64.b64encode(b"\0app\0wrong")
        assert c.cmd(b"AUTH PLAIN " + wrong) == [b"535 5.7.8 Error: authentication failed"]
        assert c.cmd(b"AUTH LOGIN")[0] == b"334 " + base64.b64encode(b"Username:")
        assert c.cmd(b"*")[0].startswith(b"501")
        assert c.cmd(b"AUTH PLAIN !!notbase64")[0].startswith(b"501")
        assert c.cmd(b"AUTH CRAM-MD5")[0].startswith(b"504")
        assert c.cmd(b"AUTH LOGIN " + base64.b64encode(b"app"))[0] == \
            b"334 " + base64.b64encode(b"Password:")
        assert c.cmd(base64.b64encode(b"nope"))[0].startswith(b"535 5.7.8")
        assert c.cmd(b"MAIL FROM:<s@example.org>") == [b"530 5.7.0 Authentication required"]
        c.cmd(b"QUIT")
        c.close()
        t.wait_for_connections(1, TIMEOUT)
        assert t.sessions[0].auth_user is None
        assert t.sessions[0].auth_attempts == [("PLAIN", "app", False), ("LOGIN", "app", False)]
        assert not t.messages and t.errors == []


def test_auth_is_offered_only_after_starttls(ca):
    cert, key = ca.issue("mx.test")
    with Target(starttls=(cert, key), auth={"app": "s3cret"}) as t, smtp(t) as s:
        s.ehlo()
        assert not s.has_extn("auth")
        assert s.docmd("AUTH PLAIN", base64.b64encode(b"\0app\0s3cret").decode())[0] == 503
        s.starttls(context=ssl.create_default_context(cafile=ca.ca_file))
        s.ehlo()
        assert s.has_extn("auth")
        s.login("app", "s3cret")
        s.sendmail("s@example.org", ["r@x.test"], b"x\r\n")
        (m,) = t.wait_for(1, TIMEOUT)
        assert m.tls and m.auth_user == "app"
    with Target(auth={"app": "s3cret"}, auth_mechanisms=["LOGIN"]) as t, smtp(t) as s:
        s.ehlo()
        assert s.esmtp_features["auth"].strip() == "LOGIN"
        assert s.docmd("AUTH PLAIN", base64.b64encode(b"\0app\0s3cret").decode())[0] == 504
        s.login("app", "s3cret")
        assert t.sessions[0].auth_attempts == [("LOGIN", "app", True)]


# -- EHLO advertisement, SIZE -------------------------------------------------------------------

def test_ehlo_advertisement_flags():
    with Target() as t, smtp(t) as s:
        s.ehlo()
        for ext in ("pipelining", "8bitmime", "smtputf8", "enhancedstatuscodes"):
            assert s.has_extn(ext), ext
        assert not s.has_extn("size") and not s.has_extn("starttls")
    with Target(pipelining=False, smtputf8=False, eightbitmime=False, size=1000,
                ehlo_extra=["DSN", "X-TEST one two"]) as t, smtp(t) as s:
        s.ehlo()
        assert not s.has_extn("pipelining") and not s.has_extn("smtputf8")
        assert not s.has_extn("8bitmime")
        assert s.esmtp_features["size"] == "1000" and s.has_extn("dsn")
        assert s.esmtp_features["x-test"] == "one two"
        # parameters of extensions not advertised are refused
        assert s.mail("s@example.org", ["BODY=8BITMIME"])[0] == 555
        assert s.docmd("MAIL", "FROM:<s@example.org> SMTPUTF8")[0] == 555
        assert s.mail("s@example.org", ["RET=HDRS"])[0] == 250  # DSN is advertised


def test_size_limit():
    with Target(size=1000) as t, smtp(t) as s:
        s.ehlo()
        assert s.mail("s@example.org", ["SIZE=2000"]) == (
            552, b"5.3.4 Message size exceeds fixed maximum message size")
        assert s.mail("s@example.org", ["SIZE=500"])[0] == 250  # declared small, sends more
        s.rcpt("r@x.test")
        assert s.data(b"x" * 2000 + b"\r\n")[0] == 552
        assert s.sendmail("s@example.org", ["r@x.test"], b"y" * 900 + b"\r\n") == {}
    (m,) = t.wait_for(1, TIMEOUT)
    assert m.data == b"y" * 900 + b"\r\n" and m.mail_options == ["size=902"]
    assert len(t.refused) == 1 and t.refused[0].reply.startswith("552 5.3.4")


def test_smtputf8_address_needs_the_parameter(target):
    c = Raw(target.host, target.port)
    c.reply()
    c.cmd(b"EHLO u.test")
    assert c.cmd("MAIL FROM:<jos\u00e9@example.org>".encode())[0].startswith(b"553 5.6.7 ")
    c.close()
    with smtp(target) as s:
        s.ehlo()
        assert s.sendmail("jos\u00e9@example.org", ["m\u00fcller@x.test"], b"hi\r\n",
                          mail_options=["SMTPUTF8"]) == {}
    (m,) = target.wait_for(1, TIMEOUT)
    assert m.mail_from == "jos\u00e9@example.org" and m.rcpt_tos == ["m\u00fcller@x.test"]


# -- greeting / EHLO / MAIL / DATA overrides ----------------------------------------------------

def test_greeting_421_closes():
    with Target(greeting="421 4.3.2 busy") as t:
        with pytest.raises(smtplib.SMTPConnectError) as e:
            smtp(t)
        assert e.value.smtp_code == 421
        t.wait_for_connections(1, TIMEOUT)


def test_greeting_554_then_only_quit():
    with Target(greeting="554 5.7.1 go away") as t:
        c = Raw(t.host, t.port)
        assert c.reply() == [b"554 5.7.1 go away"]
        assert c.cmd(b"EHLO x.test")[0].startswith(b"503 ")
        assert c.cmd(b"MAIL FROM:<a@b.test>")[0].startswith(b"503 ")
        assert c.cmd(b"QUIT") == [b"221 2.0.0 Bye"]
        c.close()
        t.wait_for_connections(1, TIMEOUT)


def test_banner_delay_and_early_talker():
    with Target(banner_delay=0.3) as t:
        c = Raw(t.host, t.port)
        start = time.monotonic()
        c.sock.sendall(b"EHLO eager.test\r\n")
        assert c.reply()[0].startswith(b"220 ")
        assert time.monotonic() - start >= 0.25
        assert c.reply()[0].startswith(b"250-")
        c.close()
        t.wait_for_connections(1, TIMEOUT)
        assert t.sessions[0].early_talker


def test_ehlo_502_forces_helo():
    with Target(ehlo_reply="502 5.5.2 Error: command not recognized") as t:
        with smtp(t, local_hostname="old.test") as s:
            assert s.sendmail("s@example.org", ["r@x.test"], b"hi\r\n") == {}
        (m,) = t.wait_for(1, TIMEOUT)
        assert not m.esmtp and m.ehlo == "old.test"
        assert [c.split()[0].upper() for c in t.commands[0][:2]] == ["EHLO", "HELO"]


def test_mail_and_data_reply_overrides():
    with Target(mail_reply="451 4.3.0 sender check failed") as t, smtp(t) as s:
        s.ehlo()
        assert s.mail("s@example.org") == (451, b"4.3.0 sender check failed")
        assert s.rcpt("r@x.test")[0] == 503
    with Target(data_reply="451 4.3.0 try later") as t, smtp(t) as s:
        s.ehlo()
        s.mail("s@example.org")
        s.rcpt("r@x.test")
        assert s.data(b"hi\r\n") == (451, b"4.3.0 try later")
        assert t.messages == [] and t.refused[0].data == b"hi\r\n"


def test_drop_mid_data():
    with Target(drop_mid_data=True) as t:
        s = smtp(t)
        s.ehlo()
        with pytest.raises(smtplib.SMTPServerDisconnected):
            s.sendmail("s@example.org", ["r@x.test"], b"Subject: x\r\n\r\n" + b"z" * 10000)
        s.close()
        t.wait_for_connections(1, TIMEOUT)
        assert t.messages == [] and t.refused == [] and t.sessions[0].dropped_mid_data > 0


def test_never_answer():
    with Target(never_answer=True) as t:
        c = Raw(t.host, t.port, timeout=0.5)
        c.sock.sendall(b"EHLO anyone.test\r\n")
        with pytest.raises(socket.timeout):
            c.reply()
        c.close()
        t.wait_for_connections(1, TIMEOUT)
        assert t.sessions[0].raw_received == b"EHLO anyone.test\r\n"
        assert t.sessions[0].transcript == []


# -- hostile replies ----------------------------------------------------------------------------

def test_hostile_long_line():
    with Target(hostile="long_line") as t:
        c = Raw(t.host, t.port)
        c.reply()
        lines = c.cmd(b"EHLO h.test")
        assert max(len(x) for x in lines) >= 65536 and lines[-1] == b"250 OK"
        assert c.cmd(b"QUIT")[0] == b"221 2.0.0 Bye"  # the session goes on afterwards
        c.close()


def test_hostile_nul():
    with Target(hostile="nul") as t:
        c = Raw(t.host, t.port)
        c.reply()
        lines = c.cmd(b"EHLO h.test")
        assert b"\x00" in b"".join(lines) and lines[-1] == b"250 OK"
        c.close()


def test_hostile_endless_continuation_is_bounded():
    with Target(hostile="endless_continuation", hostile_seconds=0.5) as t:
        c = Raw(t.host, t.port)
        c.reply()
        start = time.monotonic()
        c.sock.sendall(b"EHLO h.test\r\n")
        lines = c.reply(limit=64 << 20)
        assert 0.4 <= time.monotonic() - start < 4
        assert len(lines) > 1000 and all(x.startswith(b"250-") for x in lines[:-1])
        assert lines[-1] == b"250 OK"
        c.close()
    with Target(hostile="endless_continuation", hostile_seconds=30) as t:
        c = Raw(t.host, t.port)
        c.reply()
        c.sock.sendall(b"EHLO h.test\r\n")
        c.recv_more()
        c.close()  # the client gives up: the server notices and ends the session
        t.wait_for_connections(1, TIMEOUT)
        assert t.errors == []


def test_hostile_greeting_long_line():
    with Target(hostile="long_line", hostile_at="greeting") as t:
        c = Raw(t.host, t.port)
        lines = c.reply()
        assert lines[0].startswith(b"220-") and len(lines[1]) > 65536 and lines[-1] == b"220 OK"
        assert c.cmd(b"EHLO h.test")[-1].startswith(b"250 ")
        c.close()


# -- addresses, lifecycle, helpers --------------------------------------------------------------

@pytest.mark.parametrize("host", ["127.0.0.2", "::1"])
def test_other_loopback_addresses(host):
    port = free_port(host)
    with Target(host=host, port=port) as t:
        assert t.port == port
        with smtplib.SMTP(host, port, timeout=TIMEOUT) as s:
            assert s.sendmail("s@example.org", ["r@x.test"], b"hi\r\n") == {}
        (m,) = t.wait_for(1, TIMEOUT)
        assert t.sessions[m.connection].local[0] == host


def test_wait_for_times_out_and_stop_closes(target):
    start = time.monotonic()
    with pytest.raises(TimeoutError):
        target.wait_for(1, timeout=0.3)
    assert time.monotonic() - start < 2
    t = Target().start()
    c = Raw(t.host, t.port)
    c.reply()
    t.stop()
    try:
        assert c.sock.recv(100) == b""
    except ConnectionResetError:
        pass
    c.close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((t.host, t.port), timeout=TIMEOUT).close()
    t.stop()  # stopping twice is harmless


def test_bad_options_rejected():
    with pytest.raises(ValueError):
        Target(hostile="bogus")
