"""libtern, the C client library, against real servers on loopback.

The example program of docs/libtern.md is taken from the document, compiled against the built
library (the build directory of $TERN_BIN) and run against tern's own server, a scripted target
(smtp_target.Target), aiosmtpd and Postfix. libtern_probe.c drives single calls: every order the
library refuses, and every class of connection failure staged on loopback (a closed port, a name
that cannot resolve, an unreachable address, a connection never answered, a listener that never
greets, TLS spoken to a plaintext port and the reverse, expired, self-signed and wrong-name
certificates, a server without STARTTLS when it is required, a server that drops the
connection). Each check names the error and what its message must say.
"""
import os
import pathlib
import re
import shutil
import socket
import subprocess
import time

import pytest

from server import PASSWORD, Server
from smtp_target import Target, TestCA, free_port

ROOT = pathlib.Path(__file__).resolve().parents[2]
ORDER = "open, EHLO, [STARTTLS, EHLO], [login], MAIL, RCPT..., DATA, QUIT"
BODY_LINES = [b"Hello.", b".A line that starts with a dot.", b"The end."]


class Lib:
    """The built library and the two programs compiled against it."""

    def __init__(self, build, out):
        self.build = build
        self.env = dict(os.environ, LD_LIBRARY_PATH=str(build))
        flags = ["-std=c17", "-Wall", "-Wextra", "-Werror", "-I", str(ROOT / "include")]
        needed = subprocess.run(["readelf", "-d", str(build / "libtern.so")],
                                capture_output=True, text=True, check=True).stdout
        if "libasan" in needed:  # the sanitized build: the programs must be too
            flags += ["-fsanitize=address,undefined"]
        self.example = out / "send_one"
        self.probe_bin = out / "libtern_probe"
        self.threads_bin = out / "libtern_threads"
        source = out / "send_one.c"
        source.write_text(example_source())
        for src, exe in ((source, self.example),
                         (ROOT / "tests/integration/libtern_probe.c", self.probe_bin),
                         (ROOT / "tests/integration/libtern_threads.c", self.threads_bin)):
            r = subprocess.run(["cc", *flags, str(src), "-o", str(exe), "-L", str(build),
                                "-ltern", "-pthread"], capture_output=True, text=True)
            assert r.returncode == 0, f"compiling {src.name} failed:\n{r.stderr}"

    def send_one(self, *args, env=None, timeout=60):
        return subprocess.run([str(self.example), *map(str, args)], capture_output=True,
                              text=True, timeout=timeout, env={**self.env, **(env or {})})

    def probe(self, *args, timeout=60):
        r = subprocess.run([str(self.probe_bin), *map(str, args)], capture_output=True,
                           text=True, timeout=timeout, env=self.env)
        assert r.returncode in (0, 1), r.stdout + r.stderr
        return Steps(r.stdout)


class Steps:
    """The probe's lines, one per step, by step name (a repeated step: the list)."""

    LINE = re.compile(r"^step=(\S+) result=(\S+) stage=(.*?) errno=(-?\d+) code=(\d+) enh=(\S+) "
                      r"transient=(\d) permanent=(\d) state=\[(.*?)\] msg=(.*)$")

    def __init__(self, out):
        self.out = out
        self.steps = []
        for line in out.splitlines():
            m = self.LINE.match(line)
            if m:
                self.steps.append(dict(step=m[1], result=m[2], stage=m[3], errno=int(m[4]),
                                       code=int(m[5]), enh=m[6], transient=m[7] == "1",
                                       permanent=m[8] == "1", state=m[9], msg=m[10]))
            elif line.startswith("explain=") and self.steps:
                self.steps[-1]["explain"] = line[len("explain="):]
            elif line.startswith("tls ") and self.steps:
                self.tls = dict(re.findall(r"(\w+)=(\[.*?\]|\S+)", line[4:]))

    def __getitem__(self, i):
        return self.steps[i]

    def results(self):
        return [s["result"] for s in self.steps]


def example_source():
    text = (ROOT / "docs" / "libtern.md").read_text()
    blocks = re.findall(r"```c\n(.*?)```", text, re.S)
    assert len(blocks) == 1, "docs/libtern.md must hold exactly one C example"
    return blocks[0]


@pytest.fixture(scope="module")
def lib(tern_bin, tmp_path_factory):
    build = pathlib.Path(tern_bin).resolve().parent
    if not (build / "libtern.so").exists():
        pytest.fail(f"libtern.so not found in {build}: build it with ninja -C {build}")
    return Lib(build, tmp_path_factory.mktemp("libtern"))


def expect_error(step, name, stage, *words):
    assert step["result"] == name, step
    assert step["stage"] == stage, step
    for w in words:
        assert w in step["msg"], (w, step["msg"])


# ---- the example program against four servers ----------------------------------------------

def test_pkg_config_file_names_the_library(tern_bin):
    build = pathlib.Path(tern_bin).resolve().parent
    pc = (build / "meson-private" / "tern.pc").read_text()
    assert re.search(r"^Name: tern$", pc, re.M) and "-ltern" in pc
    needed = subprocess.run(["readelf", "-d", str(build / "libtern.so")], capture_output=True,
                            text=True, check=True).stdout
    assert "libssl" in needed
    assert "libuv" not in needed and "sqlite" not in needed
    exported = subprocess.run(["nm", "-D", "--defined-only", str(build / "libtern.so")],
                              capture_output=True, text=True, check=True).stdout
    names = re.findall(r" T (\w+)(?:@+\w+)?$", exported, re.M)
    assert names and all(n.startswith("tern_") for n in names), names
    assert "tern_fail" not in names and "smtp_reply_parse" not in names


def test_example_against_tern_starttls_and_implicit(lib, tern_bin, tmp_path):
    srv = Server(tern_bin, tmp_path / "srv").start()
    try:
        env = {"TERN_CA_FILE": str(srv.dir / "cert.pem"), "TERN_TLS_NAME": "localhost"}
        r = lib.send_one("127.0.0.1", srv.starttls_port, "starttls", "app@example.org",
                         "someone@dest.test", "app", PASSWORD, env=env)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "TLS on" in r.stdout and re.search(r"accepted: 250 2\.0\.0 .*queued as", r.stdout)
        r = lib.send_one("127.0.0.1", srv.tls_port, "implicit", "app@example.org",
                         "other@dest.test", "app", PASSWORD, env=env)
        assert r.returncode == 0, r.stdout + r.stderr
        # a wrong password: the reply, its explanation, and the name of the error
        r = lib.send_one("127.0.0.1", srv.starttls_port, "starttls", "app@example.org",
                         "someone@dest.test", "app", "wrong", env=env)
        assert r.returncode == 1
        assert "login failed: TERN_E_REPLY (stage: AUTH)" in r.stderr, r.stderr
        assert "535 5.7.8" in r.stderr and "explanation: 535 5.7.8" in r.stderr
        ids = srv.queue_ids()
        assert len(ids) == 2
        body = srv.message(ids[0])
        for line in BODY_LINES:
            assert line + b"\r\n" in body, body
        assert b"\r\n..A line" not in body  # unstuffed by the server: stuffed once
    finally:
        srv.stop()


def test_example_against_the_scripted_target(lib, tmp_path):
    ca = TestCA(tmp_path / "ca")
    cert, key = ca.issue("mx.test")
    with Target(starttls=(cert, key), auth={"user": "secret"},
                auth_mechanisms=("LOGIN",)) as mx:
        r = lib.send_one("127.0.0.1", mx.port, "starttls", "a@example.org", "ok-b@dest.test",
                         "user", "secret",
                         env={"TERN_CA_FILE": ca.ca_file, "TERN_TLS_NAME": "mx.test"})
        assert r.returncode == 0, r.stdout + r.stderr
        m = mx.wait_for(1)[0]
        assert m.tls and m.auth_user == "user"
        assert m.mail_from == "a@example.org" and m.rcpt_tos == ["ok-b@dest.test"]
        # the message exactly as the program wrote it, every line end made CRLF
        assert m.data.endswith(b"\r\n".join(BODY_LINES) + b"\r\n"), m.data
        assert b"\n" not in m.data.replace(b"\r\n", b"")
        # a refused recipient, explained
        r = lib.send_one("127.0.0.1", mx.port, "starttls", "a@example.org", "perm-c@dest.test",
                         "user", "secret",
                         env={"TERN_CA_FILE": ca.ca_file, "TERN_TLS_NAME": "mx.test"})
        assert r.returncode == 1
        assert "RCPT failed: TERN_E_REPLY (stage: RCPT TO)" in r.stderr, r.stderr
        assert "550 5.1.1" in r.stderr and "(permanent)" in r.stderr
        assert "Retry: no" in r.stderr


def test_one_connection_per_thread(lib, tmp_path):
    """Eight threads, each with its own connection (STARTTLS, verified, login), send five
    messages each at once: all arrive, each exactly once and intact."""
    ca = TestCA(tmp_path / "ca")
    cert, key = ca.issue("mx.test")
    with Target(starttls=(cert, key), auth={"user": "secret"}) as mx:
        r = subprocess.run([str(lib.threads_bin), "127.0.0.1", str(mx.port), ca.ca_file,
                            "mx.test", "user", "secret", "8", "5"], capture_output=True,
                           text=True, timeout=120, env=lib.env)
        assert r.returncode == 0, r.stdout + r.stderr
        assert r.stdout.strip().endswith("sent 40"), r.stdout
        msgs = mx.wait_for(40)
        bodies = sorted(m.data.split(b"\r\n\r\n", 1)[1] for m in msgs)
        assert bodies == sorted(f".thread {t} message {i}\r\n".encode()
                                for t in range(8) for i in range(5))
        assert len(mx.sessions) == 8 and all(c.tls for c in mx.sessions)


def test_example_against_aiosmtpd(lib):
    controller_mod = pytest.importorskip("aiosmtpd.controller",
                                         reason="aiosmtpd is not installed "
                                                "(Debian's python3-aiosmtpd; 'make deps')")

    class Handler:
        def __init__(self):
            self.envelopes = []

        async def handle_DATA(self, server, session, envelope):
            self.envelopes.append(envelope)
            return "250 2.0.0 Message accepted for delivery"

    handler = Handler()
    port = free_port()
    ctl = controller_mod.Controller(handler, hostname="127.0.0.1", port=port)
    ctl.start()
    try:
        r = lib.send_one("127.0.0.1", port, "none", "a@example.org", "b@example.net")
        assert r.returncode == 0, r.stdout + r.stderr
        assert "accepted: 250 2.0.0 Message accepted" in r.stdout
        env = handler.envelopes[0]
        assert env.mail_from == "a@example.org" and env.rcpt_tos == ["b@example.net"]
        assert env.original_content.endswith(b"\r\n".join(BODY_LINES) + b"\r\n")
        # aiosmtpd offers no AUTH: login is refused by the library, nothing sent
        steps = lib.probe("127.0.0.1", port, "none", "ehlo", "login:u:p")
        expect_error(steps[2], "TERN_E_SEQUENCE", "AUTH", "offered none", ORDER)
    finally:
        ctl.stop()


def test_example_against_postfix(lib):
    if shutil.which("postfix") is None or shutil.which("postcat") is None:
        pytest.skip("Postfix is not installed (Debian's postfix package; 'make deps')")
    if os.geteuid() != 0:
        pytest.skip("a private Postfix instance needs root to start")
    from test_deliver_ops import Postfix  # the same private instance the delivery tests use
    port = free_port("127.0.0.30")
    try:
        pf = Postfix(port)
    except AssertionError as e:
        pytest.skip(f"Postfix cannot start here: {e}")
    try:
        r = lib.send_one("127.0.0.30", port, "none", "app@example.org", "someone@postfix.test")
        assert r.returncode == 0, r.stdout + r.stderr + pf.log()
        m = re.search(r"accepted: 250 2\.0\.0 Ok: queued as ([0-9A-Za-z]+)", r.stdout)
        assert m, r.stdout
        body = pf.postcat(m.group(1), "-b")
        for line in BODY_LINES:
            assert line in body, body
        # Postfix's own refusal of a recipient, explained
        steps = lib.probe("127.0.0.30", port, "none", "ehlo", "mail:app@example.org",
                          "rcpt:someone@[300.0.0.1]")
        expect_error(steps[3], "TERN_E_REPLY", "RCPT TO", "501 5.1.3")
        assert steps[3]["permanent"] and "Retry: no" in steps[3]["explain"]
    finally:
        pf.stop()


# ---- every order the library refuses ---------------------------------------------------------

def test_every_sequence_error_is_refused_and_named(lib):
    with Target(auth=None) as mx:
        s = lib.probe("127.0.0.1", mx.port, "none",
                      "mail:a@example.org",             # MAIL before EHLO
                      "login:u:p",                      # login before EHLO
                      "ehlo",
                      "rcpt:b@example.org",             # RCPT before MAIL
                      "login:u:p",                      # login when no AUTH is offered
                      "mail:a@example.org",
                      "rcpt:perm-x@example.org",        # refused by the server
                      "open_data",                      # DATA before an accepted RCPT
                      "data:x",                         # the same through tern_data
                      "write:x",                        # data before DATA
                      "mail:a@example.org",             # a second MAIL inside a transaction
                      "rcpt:ok-y@example.org",
                      "open_data", "write:Subject: s\\n\\nbody\\n",
                      "noop",                           # a command inside DATA
                      "close_data",
                      "quit",
                      "noop", "mail:a@example.org", "ehlo", "quit")  # anything after QUIT
    expect_error(s[1], "TERN_E_SEQUENCE", "MAIL FROM", "tern_mail", "MAIL needs EHLO first",
                 "connected, before EHLO", ORDER)
    expect_error(s[2], "TERN_E_SEQUENCE", "AUTH", "tern_login", "login needs EHLO first", ORDER)
    expect_error(s[4], "TERN_E_SEQUENCE", "RCPT TO", "tern_rcpt",
                 "RCPT needs an accepted MAIL first", "after EHLO", ORDER)
    expect_error(s[5], "TERN_E_SEQUENCE", "AUTH", "offered none", ORDER)
    assert s[6]["result"] == "TERN_E_OK"
    expect_error(s[7], "TERN_E_REPLY", "RCPT TO", "550 5.1.1")
    expect_error(s[8], "TERN_E_SEQUENCE", "DATA", "tern_open_data",
                 "DATA needs an accepted RCPT first", "no recipient accepted yet", ORDER)
    expect_error(s[9], "TERN_E_SEQUENCE", "DATA", "tern_data", "DATA needs an accepted RCPT")
    expect_error(s[10], "TERN_E_SEQUENCE", "DATA", "tern_write_data", "open_data")
    expect_error(s[11], "TERN_E_SEQUENCE", "MAIL FROM", "one is open already")
    assert s[12]["result"] == s[13]["result"] == s[14]["result"] == "TERN_E_OK"
    expect_error(s[15], "TERN_E_SEQUENCE", "NOOP", "close_data first", "writing the message")
    assert s[16]["result"] == "TERN_E_OK" and s[16]["code"] == 250
    assert s[17]["result"] == "TERN_E_OK"
    for i in (18, 19, 20, 21):
        expect_error(s[i], "TERN_E_SEQUENCE", s[i]["stage"], "ended with QUIT", "after QUIT")
    # nothing refused reached the server
    sent = mx.commands[0]
    assert sum(1 for c in sent if c.startswith("MAIL")) == 1
    assert not any(c.startswith(("AUTH", "NOOP")) for c in sent), sent
    assert sum(1 for c in sent if c.startswith("QUIT")) == 1, sent
    msgs = mx.wait_for(1)
    assert msgs[0].data == b"Subject: s\r\n\r\nbody\r\n"


def test_starttls_required_refuses_mail_and_login_until_it_is_done(lib, tmp_path):
    ca = TestCA(tmp_path / "ca")
    cert, key = ca.issue("mx.test")
    with Target(starttls=(cert, key), auth={"u": "p"}) as mx:
        s = lib.probe("--ca", ca.ca_file, "--name", "mx.test", "127.0.0.1", mx.port, "starttls",
                      "ehlo", "mail:a@example.org", "login:u:p", "starttls",
                      "mail:a@example.org", "ehlo", "login:u:p:plain", "tls",
                      "mail:a@example.org", "rcpt:ok-b@example.org",
                      "data:Subject: t\\n\\nover TLS\\n", "quit")
    expect_error(s[2], "TERN_E_SEQUENCE", "MAIL FROM", "MAIL needs STARTTLS", ORDER)
    expect_error(s[3], "TERN_E_SEQUENCE", "AUTH", "login needs STARTTLS", ORDER)
    assert s[4]["result"] == "TERN_E_OK"
    expect_error(s[5], "TERN_E_SEQUENCE", "MAIL FROM", "send EHLO again",
                 "after STARTTLS, before the new EHLO")
    assert s.results()[6:] == ["TERN_E_OK"] * 7, s.out
    assert s.tls["verified"] == "1" and s.tls["version"].startswith("TLSv1.")
    assert "mx.test" in s.tls["names"]
    assert mx.messages[0].auth_user == "u" and mx.messages[0].tls


# ---- every class of connection failure, staged on loopback -----------------------------------

def test_a_closed_port_is_refused(lib):
    port = free_port()  # nothing listens there
    s = lib.probe("127.0.0.1", port, "none")
    expect_error(s[0], "TERN_E_REFUSED", "connect", "refused", "nothing listens",
                 f"127.0.0.1:{port}")
    assert s[0]["errno"] == 111


def test_a_name_that_does_not_resolve(lib):
    # a label longer than 63 octets: the resolver refuses it without asking any server
    host = "x" * 64 + ".test"
    s = lib.probe(host, 25, "none")
    expect_error(s[0], "TERN_E_DNS", "resolve", "cannot resolve the host name", host)


def test_an_unreachable_network(lib):
    # TCP to a multicast address fails in the kernel (ENETUNREACH) before any packet is sent
    s = lib.probe("--timeout", "2000", "224.0.0.1", 25, "none")
    expect_error(s[0], "TERN_E_UNREACHABLE", "connect", "unreachable", "no route")
    assert s[0]["errno"] == 101


def test_a_connection_that_is_never_answered_times_out(lib):
    # a listener whose accept queue is full drops further SYNs, as a filtering firewall does
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
        time.sleep(0.2)
        started = time.monotonic()
        s = lib.probe("--timeout", "1500", "127.0.0.1", port, "none")
        assert time.monotonic() - started < 10
    finally:
        for f in fillers:
            f.close()
        listener.close()
    expect_error(s[0], "TERN_E_TIMEOUT", "connect", "no answer", "filtered by a firewall",
                 "blocks outbound port")
    assert s[0]["errno"] == 110


def test_a_listener_that_never_greets_times_out(lib):
    with Target(never_answer=True, idle_timeout=10) as mx:
        s = lib.probe("--timeout", "1000", "127.0.0.1", mx.port, "none")
    expect_error(s[0], "TERN_E_TIMEOUT", "greeting", "never greeted", "TERN_TLS_IMPLICIT",
                 "while waiting for the greeting")
    assert s[0]["errno"] == 110


def test_implicit_tls_spoken_to_a_plaintext_port(lib):
    with Target() as mx:
        s = lib.probe("--timeout", "5000", "127.0.0.1", mx.port, "implicit")
    expect_error(s[0], "TERN_E_TLS_HANDSHAKE", "TLS handshake", "plaintext",
                 "does not speak implicit TLS", "TERN_TLS_STARTTLS")


def test_plaintext_spoken_to_an_implicit_tls_port(lib, tmp_path):
    ca = TestCA(tmp_path / "ca")
    with Target(implicit_tls=ca.issue("mx.test")) as mx:
        s = lib.probe("--timeout", "1000", "127.0.0.1", mx.port, "none")
    expect_error(s[0], "TERN_E_TIMEOUT", "greeting", "never greeted",
                 "expects implicit TLS (465), open with TERN_TLS_IMPLICIT")


@pytest.mark.parametrize("kind", ["expired", "self_signed", "wrong_name"])
def test_certificates_that_fail_verification(lib, tmp_path, kind):
    ca = TestCA(tmp_path / "ca")
    if kind == "expired":
        pair, name, error = ca.issue("mx.test", expired=True), "mx.test", "TERN_E_TLS_EXPIRED"
        words = ("not valid now", "renew")
    elif kind == "self_signed":
        pair, name, error = ca.self_signed("mx.test"), "mx.test", "TERN_E_TLS_UNTRUSTED"
        words = ("not trusted", "self-signed", "ca_file")
    else:
        pair, name, error = ca.issue("mx.test", ips=()), "other.test", "TERN_E_TLS_NAME"
        words = ("not valid for the name other.test",)
    for mode, stage in (("implicit", "TLS handshake"), ("starttls", "TLS handshake")):
        kw = {"implicit_tls": pair} if mode == "implicit" else {"starttls": pair}
        with Target(**kw) as mx:
            steps = ["hello"] if mode == "starttls" else []
            s = lib.probe("--ca", ca.ca_file, "--name", name, "127.0.0.1", mx.port, mode,
                          *steps)
            failed = s[len(steps)]
            expect_error(failed, error, stage, *words)
            # verify_continue: the same certificate is information, not a failure
            s = lib.probe("--continue", "--ca", ca.ca_file, "--name", name, "127.0.0.1",
                          mx.port, mode, *steps, "tls", "quit")
            assert all(r == "TERN_E_OK" for r in s.results()), s.out
            assert s.tls["verified"] == "0" and s.tls["verify_error"] != "[]", s.tls
            assert "mx.test" in s.tls["names"] and int(s.tls["not_after"]) > 0


def test_a_server_without_starttls_when_it_is_required(lib):
    with Target() as mx:
        s = lib.probe("127.0.0.1", mx.port, "starttls", "hello", "mail:a@example.org")
    expect_error(s[1], "TERN_E_NO_STARTTLS", "STARTTLS", "did not offer STARTTLS",
                 "TERN_TLS_IMPLICIT")
    expect_error(s[2], "TERN_E_SEQUENCE", "MAIL FROM", "MAIL needs STARTTLS")
    assert not any(c.startswith(("STARTTLS", "MAIL")) for c in mx.commands[0])


def test_the_server_closing_the_connection(lib):
    with Target(drop_mid_data=True) as mx:
        s = lib.probe("127.0.0.1", mx.port, "none", "ehlo", "mail:a@example.org",
                      "rcpt:ok-b@example.org", "bigdata:3000000", "noop")
    assert s[4]["result"] in ("TERN_E_CLOSED", "TERN_E_IO"), s.out
    assert s[4]["stage"] in ("DATA", "end of data")
    assert "closed the connection" in s[4]["msg"] or "reset" in s[4]["msg"]
    expect_error(s[5], "TERN_E_CLOSED", "NOOP", "closed earlier")


def test_a_421_is_a_reply_and_closes(lib):
    with Target(mail_reply="421 4.3.2 Service shutting down") as mx:
        s = lib.probe("127.0.0.1", mx.port, "none", "ehlo", "mail:a@example.org", "noop")
    expect_error(s[2], "TERN_E_REPLY", "MAIL FROM", "421 4.3.2")
    assert s[2]["transient"] and not s[2]["permanent"]
    expect_error(s[3], "TERN_E_CLOSED", "NOOP", "closed earlier")


def test_replies_are_explained_transient_and_permanent(lib):
    with Target() as mx:
        s = lib.probe("127.0.0.1", mx.port, "none", "ehlo", "mail:a@example.org",
                      "rcpt:temp-b@example.org", "rcpt:grey-c@example.org",
                      "rcpt:perm-d@example.org", "rcpt:ok-e@example.org", "rset", "quit")
    temp, grey, perm = s[3], s[4], s[5]
    assert temp["result"] == "TERN_E_REPLY" and temp["transient"] and not temp["permanent"]
    assert temp["code"] == 451 and temp["enh"] == "4.2.1"
    assert "Retry: yes" in temp["explain"]
    assert grey["code"] == 451 and "reylist" in grey["explain"]
    assert perm["permanent"] and perm["enh"] == "5.1.1" and "Retry: no" in perm["explain"]
    assert s[6]["result"] == "TERN_E_OK" and "1 recipient accepted" in s[6]["state"]
    assert s.results()[7:] == ["TERN_E_OK", "TERN_E_OK"]
