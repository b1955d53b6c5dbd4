"""`tern doctor` without a form: this installation. A real tern server (server.py) for the good
case; for each broken setup, one thing broken (configuration, certificate, store, spool, DNS
resolver, listeners, outbound port 25) and the doctor must name it in the one failed step.
"""
import json
import os
import socket
import subprocess

import pytest

from dnsserver import DnsServer
from server import Server
from smtp_target import Target, TestCA, free_port


def run(tern_bin, conf, *args):
    p = subprocess.run([tern_bin, "doctor", "-c", str(conf), "--json", *args],
                       capture_output=True, text=True, timeout=60)
    assert p.stdout, p.stderr
    return p, {s["name"]: s for s in json.loads(p.stdout)["steps"]}


def only_failed(p, steps, name):
    failed = [n for n, s in steps.items() if s["verdict"] == "failed"]
    assert failed == [name], json.dumps(steps, indent=1)
    assert p.returncode == 1
    return steps[name]


@pytest.fixture
def dns():
    server = DnsServer({"mx.probe.test": {"A": ["127.0.0.1"]}}).start()
    yield server
    server.stop()


@pytest.fixture
def setup(tmp_path, dns):
    """A configuration whose one listener is a Target (greets 220) with a CA-issued
    certificate for mx.test; setup.write(**changes) rewrites it."""
    ca = TestCA(tmp_path / "ca")
    cert, key = ca.issue("mx.test", days=90)
    target = Target(port=0).start()
    state = {"cert": cert, "key": key, "port": target.port, "dns": dns.address,
             "spool": tmp_path / "spool", "extra": "", "reserve": "1M"}
    (tmp_path / "spool").mkdir()

    def write(**changes):
        state.update(changes)
        conf = tmp_path / "tern.conf"
        conf.write_text(f"""[server]
hostname = mx.test
data_dir = {tmp_path}

[listener submission]
address = 127.0.0.1
port = {state["port"]}
tls = starttls

[tls]
certificate = {state["cert"]}
private_key = {state["key"]}

[delivery]
dns_servers = {state["dns"]}
dns_timeout = 1

[spool]
path = {state["spool"]}
reserve = {state["reserve"]}
{state["extra"]}""")
        return conf
    write.ca = ca
    write.tmp = tmp_path
    yield write
    target.stop()


def test_good_installation(tern_bin, setup):
    p, steps = run(tern_bin, setup())
    assert p.returncode == 0, json.dumps(steps, indent=1)
    assert {n: s["verdict"] for n, s in steps.items()} == {
        "config": "ok", "certificate": "ok", "store": "ok", "spool": "ok",
        "dns_resolver": "ok", "listeners": "ok", "outbound_25": "skipped"}
    assert "greets with 220" in steps["listeners"]["seen"]


def test_real_server_passes(tern_bin, tmp_path, dns):
    srv = Server(tern_bin, tmp_path / "tern", extra=f"\n[delivery]\ndns_servers = {dns.address}\n")
    srv.start()
    try:
        p, steps = run(tern_bin, srv.conf)
    finally:
        srv.stop()
    assert not [n for n, s in steps.items() if s["verdict"] == "failed"], steps
    assert p.returncode == 0
    assert "implicit TLS" in steps["listeners"]["seen"]
    # the test server's certificate is for localhost, not mx.test
    assert steps["certificate"]["verdict"] == "warning"


def test_configuration_error_skips_the_rest(tern_bin, setup):
    conf = setup(extra="[spool]\nnosuchkey = 1\n")
    p, steps = run(tern_bin, conf)
    only_failed(p, steps, "config")
    assert all(s["verdict"] == "skipped" for n, s in steps.items() if n != "config")


def test_expired_certificate(tern_bin, setup):
    cert, key = setup.ca.issue("mx.test", expired=True)
    step = only_failed(*run(tern_bin, setup(cert=cert, key=key)), "certificate")
    assert "expired on" in step["seen"]
    assert "Renew" in step["todo"]


def test_certificate_near_expiry_is_a_warning(tern_bin, setup):
    cert, key = setup.ca.issue("mx.test", days=5)
    p, steps = run(tern_bin, setup(cert=cert, key=key))
    assert p.returncode == 0
    assert steps["certificate"]["verdict"] == "warning"
    assert "in 4 days" in steps["certificate"]["seen"] or "in 5 days" in steps["certificate"]["seen"]


def test_key_of_another_certificate(tern_bin, setup):
    _, other_key = setup.ca.issue("mx.test")
    step = only_failed(*run(tern_bin, setup(key=other_key)), "certificate")
    assert "does not belong to the certificate" in step["seen"]


def test_store_unreadable(tern_bin, setup):
    bad = setup.tmp / "broken.db"
    bad.write_bytes(b"this is not an SQLite database" * 100)
    step = only_failed(*run(tern_bin, setup(extra=f"[store]\npath = {bad}\n")), "store")
    assert "broken.db" in step["seen"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_spool_not_writable(tern_bin, setup):
    (setup.tmp / "spool").chmod(0o500)
    try:
        step = only_failed(*run(tern_bin, setup()), "spool")
    finally:
        (setup.tmp / "spool").chmod(0o700)
    assert "cannot write" in step["seen"]


def test_spool_missing(tern_bin, setup):
    step = only_failed(*run(tern_bin, setup(spool=setup.tmp / "gone" / "spool")), "spool")
    assert "does not exist" in step["seen"]


def test_spool_not_made_yet_is_a_warning(tern_bin, setup):
    p, steps = run(tern_bin, setup(spool=setup.tmp / "later"))
    assert p.returncode == 0
    assert steps["spool"]["verdict"] == "warning"
    assert "tern serve makes it" in steps["spool"]["seen"]


def test_spool_below_the_reserve(tern_bin, setup):
    st = os.statvfs(setup.tmp)
    free_bytes = st.f_bavail * st.f_frsize
    step = only_failed(*run(tern_bin, setup(reserve=str(free_bytes * 4))), "spool")
    assert "not above the reserve" in step["seen"]
    assert "452 4.3.1" in step["seen"]


def test_dns_resolver_not_answering(tern_bin, setup):
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))
    try:
        step = only_failed(*run(tern_bin, setup(dns=f"127.0.0.1:{silent.getsockname()[1]}")),
                           "dns_resolver")
    finally:
        silent.close()
    assert "does not answer" in step["seen"]


def test_listener_refusing(tern_bin, setup):
    step = only_failed(*run(tern_bin, setup(port=free_port())), "listeners")
    assert "connection refused (111)" in step["seen"]
    assert "start the server" in step["todo"]


def test_listener_never_greeting(tern_bin, setup):
    silent = Target(port=0, never_answer=True, idle_timeout=10).start()
    try:
        step = only_failed(*run(tern_bin, setup(port=silent.port)), "listeners")
    finally:
        silent.stop()
    assert "sends no greeting" in step["seen"]


def test_outbound_port_25(tern_bin, setup):
    mx = Target(port=0).start()
    try:
        p, steps = run(tern_bin, setup(), "--probe", f"mx.probe.test:{mx.port}")
        assert p.returncode == 0
        assert steps["outbound_25"]["verdict"] == "ok"
    finally:
        mx.stop()
    step = only_failed(*run(tern_bin, setup(), "--probe", f"mx.probe.test:{free_port()}"),
                       "outbound_25")
    assert "connection refused (111)" in step["seen"]
    assert "block outbound port 25" in step["todo"]


def test_usage(tern_bin):
    p = subprocess.run([tern_bin, "doctor", "--bogus"], capture_output=True, text=True)
    assert p.returncode == 2
    p = subprocess.run([tern_bin, "doctor", "nonsense"], capture_output=True, text=True)
    assert p.returncode == 2
