"""A delivery test world: a DNS server serving test zones, receiving SMTP servers (Targets) on
loopback addresses 127.0.0.X sharing one port (the MX port tern is told to use), and a tern
server configured to resolve through that DNS server and deliver to that port.

    def test_something(world):
        mx = world.target("127.0.0.2")               # mx.dest.test -> 127.0.0.2
        srv = world.start()                          # tern, trusting 127.0.0.1 clients
        world.send(["ok-a@dest.test"])
        mx.wait_for(1)

Zones: dest.test has MX 10 mx.dest.test (127.0.0.2); example.org (the senders' domain) has MX
10 mx.example.org (127.0.0.9), where bounces arrive when a test starts a target there.
"""
import email
import email.policy
import pathlib
import re
import smtplib
import subprocess
import time

import pytest

from dnsserver import DnsServer
from server import Server
from smtp_target import Target, TestCA, free_port

BASE_ZONES = {
    "dest.test": {"MX": [(10, "mx.dest.test")]},
    "mx.dest.test": {"A": ["127.0.0.2"]},
    "example.org": {"MX": [(10, "mx.example.org")]},
    "mx.example.org": {"A": ["127.0.0.9"]},
}

BODY = (b"From: app@example.org\r\nTo: someone@dest.test\r\nSubject: delivery test\r\n"
        b"Message-ID: <fixed-id@example.org>\r\n\r\nfirst line\r\n.\r\n..two dots\r\n"
        b".leading dot\r\nlast line\r\n")


class World:
    def __init__(self, tern_bin, base):
        self.bin = tern_bin
        self.base = pathlib.Path(base)
        self.port = free_port()
        self.dns = DnsServer({k: dict(v) for k, v in BASE_ZONES.items()})
        self.dns.start()
        self.targets = []
        self.srv = None
        self.ca = None

    def target(self, host="127.0.0.2", **kw):
        t = Target(host=host, port=self.port, **kw)
        t.start()
        self.targets.append(t)
        return t

    def test_ca(self):
        if self.ca is None:
            self.ca = TestCA(self.base / "ca")
        return self.ca

    def start(self, extra="", delivery="", **kw):
        """Starts tern; `delivery` adds lines to [delivery], `extra` whole sections."""
        conf = f"""
[delivery]
dns_servers = 127.0.0.1:{self.dns.port}
dns_timeout = 1
port = {self.port}
helo_name = out.tern.test
retry_schedule = 1s
connect_timeout = 2s
smtp_timeout = 3s
data_timeout = 3s
{delivery}
{extra}
"""
        self.srv = Server(self.bin, self.base / "tern", trusted="127.0.0.1/32", extra=conf,
                          deliver=True, **kw)
        self.srv.start()
        return self.srv

    def send(self, rcpts, body=BODY, sender="app@example.org", options=()):
        """Submits one message over SMTP; returns its queue id."""
        with smtplib.SMTP("127.0.0.1", self.srv.plain_port, timeout=10) as c:
            c.ehlo("client.test")
            c.mail(sender, list(options))
            for r in rcpts:
                code, msg = c.rcpt(r)
                assert code == 250, (code, msg)
            code, msg = c.data(body)
            assert code == 250, (code, msg)
        return re.search(r"queued as ([0-9A-Z]+)", msg.decode()).group(1)

    def events(self, *args):
        r = self.srv.tern("events", "--json", "--limit", "1000", *args)
        import json
        return json.loads(r.stdout)

    def wait_events(self, pred, timeout=15, what="events"):
        deadline = time.time() + timeout
        evs = []
        while time.time() < deadline:
            evs = self.events()
            if pred(evs):
                return evs
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}; events: {evs}\n"
                             f"log:\n{self.srv.logs()[-4000:]}")

    def status_of(self, evs, rcpt):
        """The last status recorded for a recipient."""
        st = [e for e in evs if e["recipient"] == rcpt]
        return st[-1]["status"] if st else None

    def queue_ids(self):
        return self.srv.queue_ids()

    def stop(self):
        if self.srv is not None and self.srv.proc is not None:
            self.srv.stop()
        for t in self.targets:
            t.stop()
        self.dns.stop()


@pytest.fixture
def world(tern_bin, tmp_path):
    w = World(tern_bin, tmp_path)
    yield w
    w.stop()


def parse_bounce(data):
    """Parses a DSN and checks its structure; returns (message, [per-recipient field dicts])."""
    msg = email.message_from_bytes(data, policy=email.policy.compat32)
    assert msg.get_content_type() == "multipart/report", msg.get_content_type()
    assert msg.get_param("report-type") == "delivery-status"
    parts = msg.get_payload()
    assert [p.get_content_type() for p in parts] == [
        "text/plain", "message/delivery-status", "text/rfc822-headers"]
    blocks = parts[1].get_payload()
    assert len(blocks) >= 2, "per-message fields and at least one recipient"
    assert blocks[0]["Reporting-MTA"].startswith("dns;")
    rcpts = [dict(b.items()) for b in blocks[1:]]
    for r in rcpts:
        for f in ("Final-Recipient", "Action", "Status"):
            assert f in r, (f, r)
    return msg, rcpts


def tern_cli(srv, *args):
    return subprocess.run([srv.bin, *args, "-c", str(srv.conf)], capture_output=True, text=True,
                          timeout=30)
