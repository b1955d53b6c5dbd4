"""The development setup of `make run` (`tern serve --dev`), as a newcomer follows it: the
first start creates ./var and prints a credential and example commands; the credential submits
over STARTTLS, the printed `tern send` command works as printed (with this build's binary for
`tern`), and the printed `tern doctor` finds nothing wrong. A second start reuses the setup.

The development listeners use the fixed ports 2587 and 2465; the test skips when something
else holds them (a `make run` left running, say).
"""
import json
import re
import shlex
import signal
import smtplib
import socket
import ssl
import subprocess
import time

import pytest

from dnsserver import DnsServer

PORTS = (2587, 2465)


def port_free(port):
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def wait_listening(port, proc, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"tern serve --dev exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing listens on port {port} after {timeout} s")


@pytest.fixture
def dev(tern_bin, tmp_path):
    busy = [p for p in PORTS if not port_free(p)]
    if busy:
        pytest.skip(f"port(s) {busy} in use: the development setup listens there")
    log = open(tmp_path / "serve.log", "w+")
    proc = subprocess.Popen([tern_bin, "serve", "--dev"], cwd=tmp_path, stdout=log,
                            stderr=subprocess.STDOUT)
    try:
        wait_listening(PORTS[0], proc)
        log.flush()
        yield tmp_path, (tmp_path / "serve.log").read_text(), proc
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        log.close()


def printed(out, pattern):
    m = re.search(pattern, out, re.M)
    assert m, out
    return m.group(1)


def test_first_start_prints_a_working_credential_and_commands(dev, tern_bin):
    cwd, out, _ = dev
    password = printed(out, r"^\s+password\s+(\S+)$")
    cert = printed(out, r"--ca-file (\S+)")
    assert cert == str(cwd / "var" / "tls" / "cert.pem")

    # the credential, over STARTTLS, as any SMTP client uses it
    ctx = ssl.create_default_context(cafile=cert)
    with smtplib.SMTP("localhost", PORTS[0], timeout=20) as s:
        s.starttls(context=ctx)
        s.login("dev", password)
        s.sendmail("you@example.org", ["someone@example.net"],
                   b"From: you@example.org\r\nTo: someone@example.net\r\nSubject: smtplib\r\n"
                   b"\r\nhello\r\n")

    # the printed `tern send` command, run as printed
    start = out.index("echo hello |")
    command = out[start:out.index("\n", out.index("--body -", start))]
    command = command.replace("\\\n", " ").replace(" tern send ", f" {tern_bin} send ")
    r = subprocess.run(command, shell=True, cwd=cwd, capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    assert re.fullmatch(r"[0-9A-Z]{10,}\n", r.stdout), r.stdout


def test_printed_doctor_finds_nothing_wrong(dev, tern_bin):
    cwd, out, _ = dev
    argv = shlex.split(printed(out, r"^Check this installation: (.+)$"))
    assert argv[:2] == ["tern", "doctor"]
    dns = DnsServer({}).start()  # the resolver check asks for a name that never exists
    try:
        r = subprocess.run([tern_bin, *argv[1:], "--dns", dns.address, "--json"], cwd=cwd,
                           capture_output=True, text=True, timeout=120)
    finally:
        dns.stop()
    report = json.loads(r.stdout)
    bad = {s["name"]: s for s in report["steps"] if s["verdict"] in ("failed", "warning")}
    assert r.returncode == 0 and not bad, json.dumps(bad, indent=1)
    assert {s["name"] for s in report["steps"] if s["verdict"] == "ok"} >= {
        "config", "listeners"}


def test_second_start_keeps_the_setup(dev, tern_bin):
    cwd, out, proc = dev
    assert "Development setup created" in out
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)
    again = subprocess.Popen([tern_bin, "serve", "--dev"], cwd=cwd, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
    try:
        wait_listening(PORTS[0], again)
    finally:
        again.send_signal(signal.SIGTERM)
        rest, _ = again.communicate(timeout=30)
    assert "Development setup created" not in rest
    assert "password" not in rest
