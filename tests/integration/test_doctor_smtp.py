"""`tern doctor smtp HOST[:PORT]`: a submission server examined step by step. Each test stages
one failure on loopback (a Target from smtp_target.py behaving badly, certificates from a
TestCA, names from a DNS server of the test) and checks that the doctor names that cause in the
one failed step; steps that cannot run after it are skipped.
"""
import json
import socket
import subprocess

import pytest

from dnsserver import DnsServer
from server import PASSWORD, Server
from smtp_target import Target, TestCA, free_port

HOST = "mail.good.test"


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    return TestCA(tmp_path_factory.mktemp("doctor-ca"))


@pytest.fixture
def dns():
    server = DnsServer({HOST: {"A": ["127.0.0.1"]}, "localhost": {"A": ["127.0.0.1"]}}).start()
    yield server
    server.stop()


@pytest.fixture
def targets():
    started = []

    def start(**kw):
        t = Target(port=0, **kw).start()
        started.append(t)
        return t
    yield start
    for t in started:
        t.stop()


@pytest.fixture
def doctor(tern_bin, dns, ca, tmp_path):
    def run(target, *args, ca_file=True, json_out=True):
        argv = [tern_bin, "doctor", "smtp", target, "-c", str(tmp_path / "none.conf"),
                "--dns", dns.address, "--timeout", "2", *args]
        if ca_file:
            argv += ["--ca-file", ca.ca_file]
        if json_out:
            argv.append("--json")
        p = subprocess.run(argv, capture_output=True, text=True, timeout=90)
        if not json_out:
            return p, None
        assert p.stdout, p.stderr
        return p, {s["name"]: s for s in json.loads(p.stdout)["steps"]}
    run.tmp = tmp_path
    return run


def only_failed(p, steps, name):
    failed = [n for n, s in steps.items() if s["verdict"] == "failed"]
    assert failed == [name], json.dumps(steps, indent=1)
    assert p.returncode == 1
    return steps[name]


def password_file(doctor, text):
    f = doctor.tmp / "password"
    f.write_text(text + "\n")
    return str(f)


def good_target(targets, ca, **kw):
    return targets(starttls=ca.issue(HOST), auth={"app": "secret"}, size=10485760, **kw)


def test_good_server_every_step_ok(doctor, targets, ca):
    t = good_target(targets, ca)
    p, steps = doctor(f"{HOST}:{t.port}", "--user", "app", "--password-file",
                      password_file(doctor, "secret"), "--from", "app@good.test",
                      "--to", "someone@example.org")
    assert p.returncode == 0, json.dumps(steps, indent=1)
    assert {n: s["verdict"] for n, s in steps.items()} == {
        "resolve": "ok", "connect": "ok", "greeting": "ok", "tls": "ok", "ehlo": "ok",
        "auth": "ok", "mail_from": "ok", "rcpt_to": "ok", "send": "skipped"}
    assert "STARTTLS" in steps["tls"]["seen"] and "TLSv1.3" in steps["tls"]["seen"]
    assert "10485760 bytes" in steps["ehlo"]["seen"]
    assert "AUTH PLAIN LOGIN" in steps["ehlo"]["seen"]
    assert "before TLS: no AUTH" in steps["ehlo"]["seen"]
    assert t.messages == []


def test_send_delivers_one_message(doctor, targets, ca):
    t = good_target(targets, ca)
    p, steps = doctor(f"{HOST}:{t.port}", "--user", "app", "--password-file",
                      password_file(doctor, "secret"), "--from", "app@good.test",
                      "--to", "someone@example.org", "--send")
    assert p.returncode == 0, steps
    assert steps["send"]["verdict"] == "ok"
    t.wait_for(1)
    assert b"Subject: tern doctor test message" in t.messages[0].data


def test_text_report(doctor, targets, ca):
    t = good_target(targets, ca)
    p, _ = doctor(f"{HOST}:{t.port}", json_out=False)
    assert p.returncode == 0, p.stdout
    assert p.stdout.startswith(f"tern doctor smtp: {HOST}:{t.port}\n")
    assert "ok       TLS" in p.stdout
    assert "skipped  AUTH" in p.stdout


def test_host_with_a_stray_space(doctor):
    p, steps = doctor(f" {HOST}:2525")
    step = only_failed(p, steps, "resolve")
    assert "has a space before it" in step["seen"]
    assert all(s["verdict"] == "skipped" for n, s in steps.items() if n != "resolve")


def test_host_with_a_scheme(doctor):
    step = only_failed(*doctor(f"ssl://{HOST}:465"), "resolve")
    assert "is a URL, not a host name" in step["seen"]
    assert f'"{HOST}:465"' in step["todo"]


def test_host_that_does_not_resolve(doctor):
    step = only_failed(*doctor("nomail.good.test:587"), "resolve")
    assert "NXDOMAIN" in step["seen"]


def test_refused_port_and_which_others_answer(doctor, targets, ca):
    t = targets()
    closed = free_port()
    step = only_failed(*doctor(f"{HOST}:{closed}", "--ports", f"{free_port()},{t.port}"),
                       "connect")
    assert "connection refused (111)" in step["seen"]
    assert f"port {t.port}: answers with 220" in step["seen"]
    assert f"Port {t.port} answers" in step["todo"]


def test_listener_that_never_greets(doctor, targets):
    t = targets(never_answer=True, idle_timeout=30)
    step = only_failed(*doctor(f"{HOST}:{t.port}"), "greeting")
    assert "sends nothing within 2 seconds" in step["seen"]


@pytest.mark.parametrize("greeting,words", [
    ("421 4.3.2 Service not available, closing transmission channel", "refuses to talk to this client for now"),
    ("554 5.7.1 Your IP is listed at a blocklist", "this client's address is refused"),
])
def test_greeting_refusing(doctor, targets, greeting, words):
    t = targets(greeting=greeting)
    step = only_failed(*doctor(f"{HOST}:{t.port}"), "greeting")
    assert greeting in step["seen"]
    assert words in step["seen"]
    assert "What to do:" in step["todo"]  # the knowledge base's advice


def test_implicit_tls_port_spoken_to_in_plaintext(doctor, targets, ca):
    t = targets(implicit_tls=ca.issue(HOST))
    step = only_failed(*doctor(f"{HOST}:{t.port}", "--tls", "starttls"), "greeting")
    assert "implicit-TLS port" in step["seen"]
    assert "--tls implicit" in step["todo"]


def test_implicit_tls_port_that_closes_on_a_silent_client(doctor, tern_bin, tmp_path):
    """tern's own implicit-TLS listener gives up on a client that sends no handshake after
    its command timeout (4 s here), before the doctor's wait is over: still an implicit-TLS
    port spoken to in plaintext, not a server that refuses the client."""
    srv = Server(tern_bin, tmp_path / "tern")
    srv.start()
    try:
        p, steps = doctor(f"localhost:{srv.tls_port}", "--tls", "starttls", "--timeout", "8",
                          ca_file=False)
    finally:
        srv.stop()
    step = only_failed(p, steps, "greeting")
    assert "implicit-TLS port" in step["seen"]
    assert "--tls implicit" in step["todo"]


def test_implicit_tls_found_by_auto(doctor, targets, ca):
    t = targets(implicit_tls=ca.issue(HOST))
    p, steps = doctor(f"{HOST}:{t.port}")
    assert p.returncode == 0, json.dumps(steps, indent=1)
    assert "implicit TLS" in steps["tls"]["seen"]
    assert "speaks TLS from the first byte" in steps["greeting"]["seen"]


def test_plaintext_port_spoken_to_with_implicit_tls(doctor, targets, ca):
    t = targets(starttls=ca.issue(HOST))
    step = only_failed(*doctor(f"{HOST}:{t.port}", "--tls", "implicit"), "tls")
    assert "greets in plaintext" in step["seen"]
    assert "--tls starttls" in step["todo"]


def test_expired_certificate(doctor, targets, ca):
    t = targets(starttls=ca.issue(HOST, expired=True))
    step = only_failed(*doctor(f"{HOST}:{t.port}"), "tls")
    assert "expired" in step["seen"]
    assert "Renew" in step["todo"]


def test_self_signed_certificate(doctor, targets, ca):
    t = targets(starttls=ca.self_signed(HOST))
    step = only_failed(*doctor(f"{HOST}:{t.port}"), "tls")
    assert "the certificate is self-signed" in step["seen"]
    assert "public authority" in step["todo"]


def test_wrong_name_certificate(doctor, targets, ca):
    t = targets(starttls=ca.issue("other.test", ips=()))
    step = only_failed(*doctor(f"{HOST}:{t.port}"), "tls")
    assert "other.test" in step["seen"]
    assert "name" in step["todo"]


def test_expired_self_signed_certificate_is_named_by_its_expiry(doctor, targets, ca):
    t = targets(starttls=ca.self_signed(HOST, expired=True))
    step = only_failed(*doctor(f"{HOST}:{t.port}"), "tls")
    assert "has expired" in step["seen"]


def test_wrong_name_is_named_even_when_the_authority_is_unknown(doctor, targets, ca):
    t = targets(starttls=ca.issue("other.test", ips=()))
    step = only_failed(*doctor(f"{HOST}:{t.port}", ca_file=False), "tls")
    assert "not valid for the name mail.good.test" in step["seen"]


def test_certificate_near_expiry_is_a_warning(doctor, targets, ca):
    t = targets(starttls=ca.issue(HOST, days=5))
    p, steps = doctor(f"{HOST}:{t.port}")
    assert p.returncode == 0
    assert steps["tls"]["verdict"] == "warning"
    assert "expires in" in steps["tls"]["seen"]


def test_no_starttls_when_asked(doctor, targets):
    t = targets()
    step = only_failed(*doctor(f"{HOST}:{t.port}", "--tls", "starttls"), "tls")
    assert "does not offer STARTTLS" in step["seen"]


def test_credentials_rejected(doctor, targets, ca):
    t = good_target(targets, ca)
    step = only_failed(*doctor(f"{HOST}:{t.port}", "--user", "app", "--password-file",
                               password_file(doctor, "wrong"), "--from", "app@good.test"),
                       "auth")
    assert "535" in step["seen"]
    assert "user name or the password is wrong" in step["seen"]


def test_sender_refused_by_a_tern_server(doctor, tern_bin, tmp_path, dns):
    srv = Server(tern_bin, tmp_path / "tern")
    srv.start()
    try:
        p, steps = doctor(f"localhost:{srv.starttls_port}", "--user", "app",
                          "--password-file", password_file(doctor, PASSWORD),
                          "--from", "someone@not-approved.test", "--to", "x@example.org",
                          "--ca-file", str(srv.dir / "cert.pem"), ca_file=False)
    finally:
        srv.stop()
    step = only_failed(p, steps, "mail_from")
    assert "535" in step["seen"]
    assert "not an approved sender" in step["seen"]
    assert steps["auth"]["verdict"] == "ok"
    assert steps["rcpt_to"]["verdict"] == "skipped"


def test_login_required_before_mail(doctor, targets, ca):
    t = good_target(targets, ca)
    step = only_failed(*doctor(f"{HOST}:{t.port}", "--from", "app@good.test"), "mail_from")
    assert "530" in step["seen"]
    assert "--user" in step["seen"]


def test_usage(tern_bin):
    p = subprocess.run([tern_bin, "doctor", "smtp"], capture_output=True, text=True)
    assert p.returncode == 2
    p = subprocess.run([tern_bin, "doctor", "smtp", "x.test", "--tls", "sometimes"],
                       capture_output=True, text=True)
    assert p.returncode == 2
    p = subprocess.run([tern_bin, "doctor", "smtp", "x.test", "--user", "u"],
                       capture_output=True, text=True)
    assert p.returncode == 2


def test_system_resolver_when_none_is_chosen(tern_bin, targets, tmp_path):
    """Without --dns or a configured resolver, names resolve as applications on this machine
    resolve them (/etc/hosts included)."""
    t = targets()
    p = subprocess.run([tern_bin, "doctor", "smtp", f"localhost:{t.port}", "-c",
                        str(tmp_path / "none.conf"), "--timeout", "2", "--json"],
                       capture_output=True, text=True, timeout=60)
    steps = {s["name"]: s for s in json.loads(p.stdout)["steps"]}
    assert steps["resolve"]["verdict"] == "ok", steps
    assert steps["greeting"]["verdict"] == "ok", steps
    assert p.returncode == 0


def test_plaintext_connection_where_tls_is_required(doctor, targets, ca):
    t = targets(starttls=ca.issue(HOST), require_tls=True)
    step = only_failed(*doctor(f"{HOST}:{t.port}", "--tls", "none", "--from", "a@good.test"),
                       "mail_from")
    assert "530" in step["seen"]
    assert "encrypted before MAIL" in step["seen"]


def test_connection_timed_out(doctor, targets):
    """A listener whose accept queue is full drops further SYNs, as a filtering firewall does;
    the submission port of the same host answers."""
    good = targets()
    listener = socket.socket()
    fillers = []
    try:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        for _ in range(3):
            f = socket.socket()
            f.setblocking(False)
            f.connect_ex(("127.0.0.1", port))
            fillers.append(f)
        p, steps = doctor(f"{HOST}:{port}", "--ports", str(good.port))
    finally:
        for f in fillers:
            f.close()
        listener.close()
    step = only_failed(p, steps, "connect")
    assert "connection timed out (110)" in step["seen"]
    assert f"port {good.port}: answers with 220" in step["seen"]


def test_server_without_ehlo(doctor, targets):
    t = targets(ehlo_reply="502 5.5.2 Error: command not recognized")
    p, steps = doctor(f"{HOST}:{t.port}", "--from", "a@good.test", "--to", "b@example.org")
    assert p.returncode == 0, json.dumps(steps, indent=1)
    assert steps["ehlo"]["verdict"] == "warning"
    assert "takes HELO" in steps["ehlo"]["seen"]
    assert steps["tls"]["verdict"] == "warning"
    assert steps["rcpt_to"]["verdict"] == "ok"
    step = only_failed(*doctor(f"{HOST}:{t.port}", "--tls", "starttls"), "tls")
    assert "no STARTTLS without EHLO" in step["seen"]


def test_first_address_refusing_and_the_next_answering(doctor, targets, dns):
    t = targets()
    dns.zones["two.good.test"] = {"A": ["127.0.0.2", "127.0.0.1"]}
    p, steps = doctor(f"two.good.test:{t.port}")
    assert p.returncode == 0, json.dumps(steps, indent=1)
    assert steps["connect"]["verdict"] == "warning"
    assert "127.0.0.2" in steps["connect"]["seen"]
    assert "127.0.0.1 answers" in steps["connect"]["seen"]
    assert steps["greeting"]["verdict"] == "ok"
