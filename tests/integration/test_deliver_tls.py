"""Delivery security and routing: the TLS levels towards MX hosts (may, encrypt, verify, per
domain), hostile and lying servers, smarthost routes with AUTH, STARTTLS or implicit TLS, fixed
routes, and source-address pools. Each test checks what a user would: did the message arrive,
over TLS or not, from which address, and what the event log says when it did not.
"""
import base64
import smtplib
import ssl
import time

import pytest

from deliver_env import BODY, parse_bounce, world  # noqa: F401 - world is a fixture
from server import PASSWORD, client_context
from smtp_target import Target, TestCA

# A server limited to TLS 1.0, which neither side's OpenSSL accepts any more: STARTTLS is
# offered and answered 220, then the handshake fails.
TLS_1_0_ONLY = {"tls_max_version": ssl.TLSVersion.TLSv1}
no_tls1_warning = pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1 is deprecated")


def last_event(evs, rcpt):
    return [e for e in evs if e["recipient"] == rcpt][-1]


def wait_status(world, rcpt, status, timeout=15):
    evs = world.wait_events(lambda e: world.status_of(e, rcpt) == status, timeout=timeout,
                            what=f"{rcpt} {status}")
    return last_event(evs, rcpt)


def own_target(world, host, **kw):
    """A Target on its own free port (for routes that name host:port), stopped with the world."""
    t = Target(host=host, port=0, **kw).start()
    world.targets.append(t)
    return t


def assert_delivered_over_tls(world, mx, rcpt):
    msg = mx.wait_for(1, timeout=15)[0]
    assert msg.rcpt_tos == [rcpt]
    assert msg.tls and msg.tls_version.startswith("TLSv1."), mx.dump()
    assert msg.data.endswith(BODY)
    ev = wait_status(world, rcpt, "delivered")
    assert ev["tls"].startswith("TLSv1."), ev
    return msg, ev


def assert_deferred_and_queued(world, qid, rcpt):
    ev = wait_status(world, rcpt, "deferred")
    assert ev["dsn"].startswith("4."), ev
    assert qid in world.queue_ids(), "a deferred message stays queued"
    return ev


# -- tls = may (the default) --------------------------------------------------------------------

def test_may_uses_starttls_with_a_ca_issued_certificate(world):
    ca = world.test_ca()
    mx = world.target("127.0.0.2", starttls=ca.issue("mx.dest.test"))
    world.start()
    world.send(["ok-a@dest.test"])
    msg, ev = assert_delivered_over_tls(world, mx, "ok-a@dest.test")
    assert msg.sni == "mx.dest.test", "SNI names the MX host"
    conn = mx.sessions[msg.connection]
    assert conn.commands[:3] == ["EHLO out.tern.test", "STARTTLS", "EHLO out.tern.test"]
    assert conn.plaintext_after_starttls == b"", "nothing sent in the clear after STARTTLS"
    assert f"tls={ev['tls']}" in world.srv.logs()


def test_may_takes_a_self_signed_certificate(world):
    mx = world.target("127.0.0.2", starttls=world.test_ca().self_signed("mx.dest.test"))
    world.start()
    world.send(["ok-a@dest.test"])
    assert_delivered_over_tls(world, mx, "ok-a@dest.test")


def test_may_goes_on_in_plaintext_when_starttls_is_refused(world):
    mx = world.target("127.0.0.2", ehlo_extra=["STARTTLS"],
                      starttls_reply="454 4.7.0 TLS not available due to local problem")
    world.start()
    world.send(["ok-a@dest.test"])
    msg = mx.wait_for(1, timeout=15)[0]
    assert not msg.tls and msg.rcpt_tos == ["ok-a@dest.test"] and msg.data.endswith(BODY)
    assert "STARTTLS" in mx.sessions[msg.connection].commands
    ev = wait_status(world, "ok-a@dest.test", "delivered")
    assert ev["tls"] == ""


@no_tls1_warning
def test_may_retries_the_same_host_in_plaintext_after_a_failed_handshake(world):
    mx = world.target("127.0.0.2", starttls=world.test_ca().issue("mx.dest.test"),
                      **TLS_1_0_ONLY)
    world.start()
    world.send(["ok-a@dest.test"])
    msg = mx.wait_for(1, timeout=15)[0]
    assert not msg.tls and msg.rcpt_tos == ["ok-a@dest.test"]
    first, second = mx.sessions[0], mx.sessions[msg.connection]
    assert msg.connection == 1 and first.tls_error and not first.tls
    assert "STARTTLS" not in second.commands, "the retry does not try STARTTLS again"
    ev = wait_status(world, "ok-a@dest.test", "delivered")
    assert ev["tls"] == "" and ev["remote_ip"] == "127.0.0.2"
    assert "event=outbound_tls host=mx.dest.test ip=127.0.0.2 result=failed" in \
        world.srv.logs()


# -- tls = verify ---------------------------------------------------------------------------------

def test_verify_delivers_with_a_certificate_for_the_mx_name(world):
    ca = world.test_ca()
    mx = world.target("127.0.0.2", starttls=ca.issue("mx.dest.test", ips=()))
    world.start(delivery=f"tls = verify\ntls_ca_file = {ca.ca_file}")
    world.send(["ok-a@dest.test"])
    assert_delivered_over_tls(world, mx, "ok-a@dest.test")


@pytest.mark.parametrize("kind", ["self_signed", "wrong_name", "expired", "other_ca"])
def test_verify_defers_an_unverifiable_certificate(world, kind, tmp_path):
    ca = world.test_ca()
    if kind == "self_signed":
        cert = ca.self_signed("mx.dest.test")
    elif kind == "wrong_name":
        cert = ca.issue("mx.other.test")  # (its 127.0.0.1 IP SAN does not help either)
    elif kind == "expired":
        cert = ca.issue("mx.dest.test", expired=True)
    else:
        cert = TestCA(tmp_path / "other-ca", name="some other CA").issue("mx.dest.test")
    mx = world.target("127.0.0.2", starttls=cert)
    world.start(delivery=f"tls = verify\ntls_ca_file = {ca.ca_file}\nretry_schedule = 1h")
    qid = world.send(["ok-a@dest.test"])
    ev = assert_deferred_and_queued(world, qid, "ok-a@dest.test")
    assert "certificate" in ev["reply"], ev
    assert ev["tls"] == ""
    time.sleep(0.5)
    assert not mx.messages and not any(c.transactions for c in mx.sessions), \
        "no plaintext fallback at verify"
    assert all("MAIL" not in " ".join(c.commands) for c in mx.sessions)


def test_verify_moves_on_to_the_next_mx_after_a_bad_certificate(world):
    ca = world.test_ca()
    world.dns.zones["dest.test"] = {"MX": [(10, "mx1.dest.test"), (20, "mx2.dest.test")]}
    world.dns.zones["mx1.dest.test"] = {"A": ["127.0.0.3"]}
    world.dns.zones["mx2.dest.test"] = {"A": ["127.0.0.4"]}
    bad = world.target("127.0.0.3", starttls=ca.issue("mx2.dest.test"))  # not mx1's name
    good = world.target("127.0.0.4", starttls=ca.issue("mx2.dest.test"))
    world.start(delivery=f"tls = verify\ntls_ca_file = {ca.ca_file}")
    world.send(["ok-a@dest.test"])
    msg, ev = assert_delivered_over_tls(world, good, "ok-a@dest.test")
    assert ev["remote_host"] == "mx2.dest.test"
    assert bad.connections == 1 and not bad.messages and bad.sessions[0].tls_error


# -- tls = encrypt --------------------------------------------------------------------------------

def test_encrypt_defers_when_starttls_is_not_offered(world):
    mx = world.target("127.0.0.2")
    world.start(delivery="tls = encrypt\nretry_schedule = 1h")
    qid = world.send(["ok-a@dest.test"])
    ev = assert_deferred_and_queued(world, qid, "ok-a@dest.test")
    assert "TLS required" in ev["reply"] and "STARTTLS" in ev["reply"], ev
    mx.wait_for_connections(1)
    assert not mx.messages and "MAIL" not in " ".join(mx.sessions[0].commands)


def test_encrypt_defers_when_starttls_is_refused(world):
    mx = world.target("127.0.0.2", ehlo_extra=["STARTTLS"],
                      starttls_reply="454 4.7.0 TLS not available")
    world.start(delivery="tls = encrypt\nretry_schedule = 1h")
    qid = world.send(["ok-a@dest.test"])
    ev = assert_deferred_and_queued(world, qid, "ok-a@dest.test")
    assert "454 4.7.0 TLS not available" in ev["reply"], ev
    time.sleep(0.3)
    assert not mx.messages


@no_tls1_warning
def test_encrypt_never_falls_back_to_plaintext_after_a_failed_handshake(world):
    mx = world.target("127.0.0.2", starttls=world.test_ca().issue("mx.dest.test"),
                      **TLS_1_0_ONLY)
    world.start(delivery="tls = encrypt\nretry_schedule = 1h")
    qid = world.send(["ok-a@dest.test"])
    ev = assert_deferred_and_queued(world, qid, "ok-a@dest.test")
    assert "TLS handshake failed" in ev["reply"], ev
    time.sleep(0.5)
    assert mx.connections == 1 and not mx.messages


def test_encrypt_does_not_verify_the_certificate(world):
    mx = world.target("127.0.0.2", starttls=world.test_ca().self_signed("whatever.test"))
    world.start(delivery="tls = encrypt")
    world.send(["ok-a@dest.test"])
    assert_delivered_over_tls(world, mx, "ok-a@dest.test")


# -- per-domain TLS -------------------------------------------------------------------------------

def test_route_sets_verify_for_one_domain_while_the_default_stays_may(world):
    ca = world.test_ca()
    world.dns.zones["other.test"] = {"MX": [(10, "mx.other.test")]}
    world.dns.zones["mx.other.test"] = {"A": ["127.0.0.3"]}
    strict = world.target("127.0.0.2", starttls=ca.self_signed("mx.dest.test"))
    lax = world.target("127.0.0.3", starttls=ca.self_signed("mx.other.test"))
    world.start(delivery=f"tls_ca_file = {ca.ca_file}\nretry_schedule = 1h",
                extra="[route dest.test]\ntls = verify\n")
    qid = world.send(["ok-a@dest.test", "ok-b@other.test"])
    assert_delivered_over_tls(world, lax, "ok-b@other.test")
    ev = assert_deferred_and_queued(world, qid, "ok-a@dest.test")
    assert "certificate" in ev["reply"] and ev["remote_host"] == "mx.dest.test", ev
    assert not strict.messages


def test_route_verify_for_one_domain_accepts_a_valid_certificate(world):
    ca = world.test_ca()
    mx = world.target("127.0.0.2", starttls=ca.issue("mx.dest.test"))
    world.start(delivery=f"tls = none\ntls_ca_file = {ca.ca_file}",
                extra="[route dest.test]\ntls = verify\n")
    world.send(["ok-a@dest.test"])
    assert_delivered_over_tls(world, mx, "ok-a@dest.test")


def test_route_requiring_tls_with_an_unloadable_ca_file_defers(world):
    mx = world.target("127.0.0.2", starttls=world.test_ca().issue("mx.dest.test"))
    world.start(delivery="retry_schedule = 1h\ntls_ca_file = /nonexistent/ca.pem",
                extra="[route dest.test]\ntls = verify\n")
    assert "cannot load CA certificates from /nonexistent/ca.pem" in world.srv.logs()
    qid = world.send(["ok-a@dest.test"])
    mx.wait_for_connections(1)
    time.sleep(0.5)
    assert world.srv.proc.poll() is None, "tern is still running"
    ev = assert_deferred_and_queued(world, qid, "ok-a@dest.test")
    assert not mx.messages and ev["tls"] == ""


def test_tls_none_never_sends_starttls(world):
    mx = world.target("127.0.0.2", starttls=world.test_ca().issue("mx.dest.test"))
    world.start(delivery="tls = none")
    world.send(["ok-a@dest.test"])
    msg = mx.wait_for(1, timeout=15)[0]
    assert not msg.tls and "STARTTLS" not in mx.sessions[msg.connection].commands


# -- lying and hostile servers --------------------------------------------------------------------

@pytest.mark.parametrize("injected", [
    b"250 2.0.0 fake\r\n",
    b"250-mx.evil.test\r\n250-AUTH PLAIN\r\n250 SIZE 10\r\n",
    b"550 5.7.1 injected refusal\r\n",
])
def test_starttls_response_injection_is_ignored(world, injected):
    mx = world.target("127.0.0.2", starttls=world.test_ca().issue("mx.dest.test"),
                      inject_after_starttls=injected)
    sender_mx = world.target("127.0.0.9")
    world.start()
    qid = world.send(["ok-a@dest.test", "ok-b@dest.test"])
    msgs = mx.wait_for(1, timeout=15)
    wait_status(world, "ok-b@dest.test", "delivered")
    time.sleep(0.5)
    assert len(mx.messages) == 1 and not mx.refused, mx.dump()
    msg = mx.messages[0]
    assert msg is msgs[0] and msg.tls
    assert sorted(msg.rcpt_tos) == ["ok-a@dest.test", "ok-b@dest.test"]
    assert msg.mail_from == "app@example.org" and msg.data.endswith(BODY)
    conn = mx.sessions[msg.connection]
    assert conn.commands[:3] == ["EHLO out.tern.test", "STARTTLS", "EHLO out.tern.test"]
    assert conn.plaintext_after_starttls == b""
    evs = world.events("--id", qid)
    assert {e["status"] for e in evs if e["recipient"]} == {"delivered"}
    assert all(e["tls"].startswith("TLSv1.") for e in evs if e["recipient"])
    assert not sender_mx.messages, "no bounce"


@pytest.mark.parametrize("mode", ["long_line", "endless_continuation", "nul"])
def test_hostile_ehlo_reply_defers_and_tern_keeps_delivering(world, mode):
    world.dns.zones["ok.test"] = {"MX": [(10, "mx.ok.test")]}
    world.dns.zones["mx.ok.test"] = {"A": ["127.0.0.10"]}
    hostile = world.target("127.0.0.2", hostile=mode, hostile_seconds=5)
    healthy = world.target("127.0.0.10")
    world.start(delivery="retry_schedule = 1h")
    qid = world.send(["ok-a@dest.test"])
    ev = assert_deferred_and_queued(world, qid, "ok-a@dest.test")
    assert ev["remote_host"] == "mx.dest.test"
    assert hostile.connections >= 1 and not hostile.messages
    assert world.srv.proc.poll() is None, "tern is still running"
    world.send(["ok-b@ok.test"])
    assert healthy.wait_for(1, timeout=15)[0].rcpt_tos == ["ok-b@ok.test"]
    wait_status(world, "ok-b@ok.test", "delivered")
    assert world.srv.proc.poll() is None


@pytest.mark.parametrize("mode", ["long_line", "endless_continuation", "nul"])
def test_hostile_greeting_defers(world, mode):
    world.target("127.0.0.2", hostile=mode, hostile_at="greeting", hostile_seconds=5)
    world.start(delivery="retry_schedule = 1h")
    qid = world.send(["ok-a@dest.test"])
    assert_deferred_and_queued(world, qid, "ok-a@dest.test")
    assert world.srv.proc.poll() is None


# -- smarthost and fixed routes -------------------------------------------------------------------

def smarthost_conf(port, host="127.0.0.7", password="s3cret", tls="encrypt", extra=""):
    """[route *] to host:port with AUTH as app."""
    return (f"[route *]\nhost = {host}:{port}\ntls = {tls}\nauth_user = app\n"
            f"auth_password = {password}\n{extra}")


def test_smarthost_with_starttls_and_auth_takes_mail_for_any_domain(world):
    relay = own_target(world, "127.0.0.7", starttls=world.test_ca().self_signed("relay.test"),
                       auth={"app": "s3cret"})
    mx = world.target("127.0.0.2")
    world.start(extra=smarthost_conf(relay.port))
    rcpts = ["ok-a@dest.test", "someone@no-dns-at-all.invalid"]
    world.send(rcpts)
    msg = relay.wait_for(1, timeout=15)[0]
    assert msg.rcpt_tos == rcpts, "every domain goes to the smarthost, in one transaction"
    assert msg.tls and msg.auth_user == "app" and msg.data.endswith(BODY)
    for r in rcpts:
        ev = wait_status(world, r, "delivered")
        assert ev["remote_ip"] == "127.0.0.7" and ev["tls"].startswith("TLSv1.")
    conn = relay.sessions[relay.messages[0].connection]
    assert conn.commands.index("STARTTLS") < [c.split()[0] for c in conn.commands].index("AUTH")
    assert conn.auth_attempts == [("PLAIN", "app", True)]
    assert not mx.messages and mx.connections == 0, "the MX is not used"
    assert world.dns.count("no-dns-at-all.invalid") == 0
    logs = world.srv.logs()
    assert "s3cret" not in logs and base64.b64encode(b"\0app\0s3cret").decode() not in logs


def test_smarthost_except_for_one_domain_that_goes_to_its_mx(world):
    relay = own_target(world, "127.0.0.7", starttls=world.test_ca().self_signed("relay.test"),
                       auth={"app": "s3cret"})
    mx = world.target("127.0.0.2")
    world.start(extra=smarthost_conf(relay.port) + "[route dest.test]\ntls = may\n")
    world.send(["ok-a@dest.test", "ok-b@elsewhere.test"])
    assert relay.wait_for(1, timeout=15)[0].rcpt_tos == ["ok-b@elsewhere.test"]
    assert mx.wait_for(1, timeout=15)[0].rcpt_tos == ["ok-a@dest.test"]
    assert mx.messages[0].auth_user is None and not any(
        c.startswith("AUTH") for s in mx.sessions for c in s.commands)
    assert wait_status(world, "ok-a@dest.test", "delivered")["remote_host"] == "mx.dest.test"


def test_smarthost_with_auth_login_only(world):
    relay = own_target(world, "127.0.0.7", starttls=world.test_ca().self_signed("relay.test"),
                       auth={"app": "s3cret"}, auth_mechanisms=["LOGIN"])
    world.start(extra=smarthost_conf(relay.port))
    world.send(["ok-a@dest.test"])
    msg = relay.wait_for(1, timeout=15)[0]
    assert msg.auth_user == "app" and msg.tls
    assert relay.sessions[msg.connection].auth_attempts == [("LOGIN", "app", True)]


def test_smarthost_wrong_password_is_deferred_not_bounced(world):
    """A relay refusing tern's password is the operator's setup to fix: the mail waits (as
    Postfix's smtp_sasl_auth_soft_bounce does) instead of bouncing everything sent meanwhile,
    and the event says why with a temporary code."""
    relay = own_target(world, "127.0.0.7", starttls=world.test_ca().self_signed("relay.test"),
                       auth={"app": "s3cret"})
    world.start(extra=smarthost_conf(relay.port, password="Wr0ngPa55"),
                delivery="retry_schedule = 1h")
    qid = world.send(["ok-a@dest.test"])
    evs = world.wait_events(lambda e: world.status_of(e, "ok-a@dest.test") in
                            ("bounced", "deferred"))
    ev = last_event(evs, "ok-a@dest.test")
    assert "535" in ev["reply"] and "5.7.8" in ev["reply"], ev
    assert ev["status"] == "deferred" and ev["dsn"] == "4.7.8", ev
    assert not relay.messages
    assert [a for c in relay.sessions for a in c.auth_attempts][0] == ("PLAIN", "app", False)
    logs = world.srv.logs()
    assert "Wr0ngPa55" not in logs and base64.b64encode(b"\0app\0Wr0ngPa55").decode() not in logs
    assert qid in world.queue_ids()


@no_tls1_warning
@pytest.mark.parametrize("relay_tls", ["not_offered", "refused", pytest.param(
    "handshake_fails")])
def test_smarthost_password_is_never_sent_without_tls(world, relay_tls):
    # tls = may, and STARTTLS does not happen: tern must not send the password in the clear
    # (not even on the plaintext retry after a failed handshake).
    kw = {"not_offered": {},
          "refused": {"ehlo_extra": ["STARTTLS"], "starttls_reply": "454 4.7.0 TLS not available"},
          # (AUTH offered in the clear as well, so only tern's own rule keeps the password)
          "handshake_fails": dict(starttls=world.test_ca().issue("relay.test"),
                                  ehlo_extra=["AUTH PLAIN LOGIN"], **TLS_1_0_ONLY),
          }[relay_tls]
    relay = own_target(world, "127.0.0.7", auth={"app": "s3cret"}, **kw)
    world.start(delivery="retry_schedule = 1h", extra=smarthost_conf(relay.port, tls="may"))
    qid = world.send(["ok-a@dest.test"])
    evs = world.wait_events(lambda e: world.status_of(e, "ok-a@dest.test") is not None)
    relay.wait_for_connections(1)
    sent = [c for s in relay.sessions if not s.tls for c in s.commands if c.startswith("AUTH")]
    assert sent == [], "the password went over plaintext"
    ev = last_event(evs, "ok-a@dest.test")
    assert ev["status"] == "deferred" and "not encrypted" in ev["reply"], ev
    assert qid in world.queue_ids() and not relay.messages


def test_relay_without_auth_gives_a_consistent_status(world):
    relay = own_target(world, "127.0.0.7", starttls=world.test_ca().self_signed("relay.test"))
    sender_mx = world.target("127.0.0.9")
    world.start(delivery="retry_schedule = 1s\ndelay_warning = 1s\nmax_queue_lifetime = 1h",
                extra=f"[route dest.test]\nhost = 127.0.0.7:{relay.port}\ntls = encrypt\n"
                      "auth_user = app\nauth_password = s3cret\n")
    world.send(["ok-a@dest.test"])
    evs = world.wait_events(lambda e: world.status_of(e, "ok-a@dest.test") in
                            ("bounced", "deferred"))
    ev = last_event(evs, "ok-a@dest.test")
    assert "no AUTH mechanism" in ev["reply"], ev
    assert not relay.messages
    if ev["status"] == "bounced":
        assert ev["dsn"].startswith("5."), ev
        return
    # Deferred: a temporary status, in the event and in the delay notice.
    notice = sender_mx.wait_for(1, timeout=15)[0]
    _, rcpts = parse_bounce(notice.data)
    assert (ev["dsn"][:1], rcpts[0]["Action"], rcpts[0]["Status"][:1]) == \
        ("4", "delayed", "4"), (ev, rcpts)


def test_smarthost_verify_checks_the_route_host_name(world):
    ca = world.test_ca()
    world.dns.zones["relay.test"] = {"A": ["127.0.0.7"]}
    relay = own_target(world, "127.0.0.7", starttls=ca.issue("relay.test", ips=()),
                       auth={"app": "s3cret"})
    world.start(delivery=f"tls_ca_file = {ca.ca_file}",
                extra=smarthost_conf(relay.port, host="relay.test", tls="verify"))
    world.send(["ok-a@dest.test"])
    msg = relay.wait_for(1, timeout=15)[0]
    assert msg.tls and msg.auth_user == "app" and msg.sni == "relay.test"
    ev = wait_status(world, "ok-a@dest.test", "delivered")
    assert ev["remote_host"] == "relay.test"


def test_smarthost_verify_by_ip_address(world):
    ca = world.test_ca()
    relay = own_target(world, "127.0.0.7", starttls=ca.issue("relay.test", ips=("127.0.0.7",)),
                       auth={"app": "s3cret"})
    world.start(delivery=f"tls_ca_file = {ca.ca_file}",
                extra=smarthost_conf(relay.port, tls="verify"))
    world.send(["ok-a@dest.test"])
    msg = relay.wait_for(1, timeout=15)[0]
    assert msg.tls and msg.auth_user == "app"


def test_smarthost_verify_defers_a_certificate_for_another_name(world):
    ca = world.test_ca()
    world.dns.zones["relay.test"] = {"A": ["127.0.0.7"]}
    relay = own_target(world, "127.0.0.7", starttls=ca.issue("other-relay.test"),
                       auth={"app": "s3cret"})
    world.start(delivery=f"tls_ca_file = {ca.ca_file}\nretry_schedule = 1h",
                extra=smarthost_conf(relay.port, host="relay.test", tls="verify"))
    qid = world.send(["ok-a@dest.test"])
    ev = assert_deferred_and_queued(world, qid, "ok-a@dest.test")
    assert "certificate" in ev["reply"], ev
    assert not any(c.startswith("AUTH") for s in relay.sessions for c in s.commands)


def test_route_for_one_domain_to_a_fixed_host_and_port_without_dns(world):
    fixed = own_target(world, "127.0.0.6")
    mx = world.target("127.0.0.2")
    world.start(extra=f"[route routed.test]\nhost = 127.0.0.6:{fixed.port}\n")
    world.send(["ok-a@routed.test", "ok-b@dest.test"])
    assert fixed.wait_for(1, timeout=15)[0].rcpt_tos == ["ok-a@routed.test"]
    assert mx.wait_for(1, timeout=15)[0].rcpt_tos == ["ok-b@dest.test"]
    ev = wait_status(world, "ok-a@routed.test", "delivered")
    assert ev["remote_ip"] == "127.0.0.6"
    wait_status(world, "ok-b@dest.test", "delivered")
    assert world.dns.count("routed.test") == 0, "no DNS lookup for a routed domain"
    assert "relay=127.0.0.6[127.0.0.6]" in world.srv.logs()


def test_route_with_host_and_port_keys(world):
    fixed = own_target(world, "127.0.0.6")
    world.start(extra=f"[route routed.test]\nhost = 127.0.0.6\nport = {fixed.port}\n")
    world.send(["ok-a@routed.test"])
    assert fixed.wait_for(1, timeout=15)[0].rcpt_tos == ["ok-a@routed.test"]


def test_smarthost_with_implicit_tls(world):
    relay = own_target(world, "127.0.0.8",
                       implicit_tls=world.test_ca().self_signed("relay.test"),
                       auth={"app": "s3cret"})
    world.start(extra=smarthost_conf(relay.port, host="127.0.0.8",
                                     extra="tls_on_connect = yes\n"))
    world.send(["ok-a@anywhere.test"])
    msg = relay.wait_for(1, timeout=15)[0]
    assert msg.tls and msg.tls_version.startswith("TLSv1.") and msg.auth_user == "app"
    conn = relay.sessions[msg.connection]
    assert conn.commands[0] == "EHLO out.tern.test" and "STARTTLS" not in conn.commands
    ev = wait_status(world, "ok-a@anywhere.test", "delivered")
    assert ev["tls"].startswith("TLSv1.") and ev["remote_ip"] == "127.0.0.8"


def test_implicit_tls_route_with_verify_defers_a_self_signed_certificate(world):
    ca = world.test_ca()
    relay = own_target(world, "127.0.0.8", implicit_tls=ca.self_signed("relay.test"),
                       auth={"app": "s3cret"})
    world.start(delivery=f"tls_ca_file = {ca.ca_file}\nretry_schedule = 1h",
                extra=smarthost_conf(relay.port, host="127.0.0.8", tls="verify",
                                     extra="tls_on_connect = yes\n"))
    qid = world.send(["ok-a@anywhere.test"])
    ev = assert_deferred_and_queued(world, qid, "ok-a@anywhere.test")
    assert "certificate" in ev["reply"], ev
    relay.wait_for_connections(1)
    assert not relay.messages and all(not s.commands for s in relay.sessions)


def test_implicit_tls_route_to_a_plaintext_server_defers(world):
    relay = own_target(world, "127.0.0.8")
    world.start(delivery="retry_schedule = 1h",
                extra=f"[route *]\nhost = 127.0.0.8:{relay.port}\ntls_on_connect = yes\n"
                      "tls = encrypt\n")
    qid = world.send(["ok-a@anywhere.test"])
    assert_deferred_and_queued(world, qid, "ok-a@anywhere.test")
    assert not relay.messages
    assert not any(c.startswith("MAIL") for s in relay.sessions for c in s.commands)


# -- source address pools -------------------------------------------------------------------------

def test_shared_pool_sets_source_address_and_ehlo_name(world):
    mx = world.target("127.0.0.2")
    world.start(extra="[pool shared]\naddresses = 127.0.0.20=out1.tern.test\n")
    world.send(["ok-a@dest.test"])
    msg = mx.wait_for(1, timeout=15)[0]
    assert msg.peer[0] == "127.0.0.20"
    assert msg.ehlo == "out1.tern.test"


def test_dedicated_pool_for_an_authenticated_user(world):
    mx = world.target("127.0.0.2")
    srv = world.start(extra="[pool shared]\naddresses = 127.0.0.20=out1.tern.test\n"
                            "[pool vip]\naddresses = 127.0.0.21=vip.tern.test\nusers = app\n")
    with smtplib.SMTP("127.0.0.1", srv.starttls_port, timeout=10) as c:
        c.ehlo("client.test")
        c.starttls(context=client_context())
        c.ehlo("client.test")
        c.login("app", PASSWORD)
        c.sendmail("app@example.org", ["ok-vip@dest.test"], BODY)
    world.send(["ok-trusted@dest.test"])  # trusted network, no AUTH: user ""
    mx.wait_for(2, timeout=15)
    by = {m.rcpt_tos[0]: m for m in mx.messages}
    assert (by["ok-vip@dest.test"].peer[0], by["ok-vip@dest.test"].ehlo) == \
        ("127.0.0.21", "vip.tern.test")
    assert (by["ok-trusted@dest.test"].peer[0], by["ok-trusted@dest.test"].ehlo) == \
        ("127.0.0.20", "out1.tern.test")
    ev = wait_status(world, "ok-vip@dest.test", "delivered")
    assert ev["user"] == "app"
    assert wait_status(world, "ok-trusted@dest.test", "delivered")["user"] == ""


TWO_ADDRESSES = "[pool shared]\naddresses = 127.0.0.20=a.tern.test 127.0.0.22=b.tern.test\n"


def test_concurrent_connections_take_the_pool_addresses_in_turn(world):
    mx = world.target("127.0.0.2", data_reply_delay=0.5)  # keeps the first connection busy
    world.start(delivery="per_destination = 2", extra=TWO_ADDRESSES)
    for i in range(6):
        world.send([f"ok-{i}@dest.test"])
    mx.wait_for(6, timeout=15)
    assert {(m.peer[0], m.ehlo) for m in mx.messages} == {
        ("127.0.0.20", "a.tern.test"), ("127.0.0.22", "b.tern.test")}, \
        "each address with its own EHLO name"


def test_pool_addresses_are_used_in_turn_by_successive_connections(world):
    mx = world.target("127.0.0.2")
    world.start(extra=TWO_ADDRESSES)
    for i in range(4):
        world.send([f"ok-{i}@dest.test"])
        mx.wait_for(i + 1, timeout=15)
        mx.wait_for_connections(i + 1, timeout=15)
    assert mx.connections == 4
    assert {m.peer[0] for m in mx.messages} == {"127.0.0.20", "127.0.0.22"}, \
        [(m.peer[0], m.ehlo) for m in mx.messages]


def test_unusable_pool_address_defers(world):
    mx = world.target("127.0.0.2")
    world.start(delivery="retry_schedule = 1h",
                extra="[pool shared]\naddresses = 192.0.2.55=gone.tern.test\n")
    qid = world.send(["ok-a@dest.test"])
    ev = assert_deferred_and_queued(world, qid, "ok-a@dest.test")
    assert "192.0.2.55" in ev["reply"] and "pool address" in ev["reply"], ev
    assert mx.connections == 0
    assert world.srv.proc.poll() is None
