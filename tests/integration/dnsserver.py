"""A real DNS server on loopback for tests (dnslib): serves test zones from a dict, on UDP and TCP
on one free port of 127.0.0.1, and records every query it receives.

    zones = {
        "example.test": {"MX": [(10, "mx1.example.test"), (10, "mx2.example.test")],
                         "A": ["192.0.2.1"], "AAAA": ["2001:db8::1"], "TXT": ["v=spf1 -all"],
                         "ttl": 300},
        "alias.test": {"CNAME": "example.test"},
        "servfail.test": "SERVFAIL",             # every query of the name: that rcode
        "refused.test": "REFUSED",
        "slow.test": {"delay": 10, "MX": [...]},  # answers after 10 seconds
        "silent.test": "DROP",                    # never answers
        "half.test": {"A": ["192.0.2.9"], "AAAA": "SERVFAIL"},  # an rcode for one type
        "nullmx.test": {"MX": [(0, ".")]},
        "1.2.0.192.in-addr.arpa": {"PTR": ["mail.example.test"]},
    }

Names not in the zones get NXDOMAIN, a name without the asked type NODATA; both with a SOA in
the authority section whose MINIMUM (and TTL) is `soa_minimum`, for negative caching. A CNAME is
followed inside the zones. UDP answers over 512 bytes are truncated (TC), so the client asks
again over TCP. The zones may be changed while the server runs (`server.zones[name] = ...`).

Other test modules use the fixture by importing it: `from dnsserver import dns_server`.
"""
import socket
import socketserver
import threading

import pytest
from dnslib import AAAA, CNAME, MX, PTR, QTYPE, RCODE, RR, SOA, TXT, A, DNSLabel, DNSRecord

RCODES = {"SERVFAIL": RCODE.SERVFAIL, "REFUSED": RCODE.REFUSED, "NXDOMAIN": RCODE.NXDOMAIN,
          "FORMERR": RCODE.FORMERR, "NOTIMP": RCODE.NOTIMP}
TYPES = {"A": (QTYPE.A, A), "AAAA": (QTYPE.AAAA, AAAA), "MX": (QTYPE.MX, None),
         "TXT": (QTYPE.TXT, None), "CNAME": (QTYPE.CNAME, None), "PTR": (QTYPE.PTR, None)}


def _norm(name):
    return str(name).rstrip(".").lower()


class _Handler(socketserver.BaseRequestHandler):
    def handle(self):
        dns = self.server.dns
        tcp = self.server.socket_type == socket.SOCK_STREAM
        if tcp:
            data = b""
            while len(data) < 2 or len(data) - 2 < int.from_bytes(data[:2], "big"):
                more = self.request.recv(65536)
                if not more:
                    return
                data += more
            data = data[2:]
        else:
            data, sock = self.request
        try:
            request = DNSRecord.parse(data)
        except Exception:  # noqa: BLE001 - a malformed query gets no answer
            return
        reply = dns.answer(request, "tcp" if tcp else "udp")
        if reply is None:
            return
        out = reply.pack()
        if tcp:
            self.request.sendall(len(out).to_bytes(2, "big") + out)
        else:
            if len(out) > 512:  # TC with the question (dnslib's truncate() drops it)
                short = request.reply()
                short.header.tc = 1
                out = short.pack()
            sock.sendto(out, self.client_address)


class _UDP(socketserver.ThreadingMixIn, socketserver.UDPServer):
    daemon_threads = True


class _TCP(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


class DnsServer:
    """DnsServer(zones).start() serves zones on 127.0.0.1:.port until .stop()."""

    def __init__(self, zones=None, soa_minimum=30, default_ttl=300):
        self.zones = dict(zones or {})
        self.soa_minimum = soa_minimum
        self.default_ttl = default_ttl
        self.queries = []  # (name, type, "udp" or "tcp"), in the order received
        self.port = None
        self._stopping = threading.Event()
        self._servers = []

    # --- running ---------------------------------------------------------------------------

    def start(self):
        for _ in range(50):
            udp = _UDP(("127.0.0.1", 0), _Handler)
            port = udp.server_address[1]
            try:
                tcp = _TCP(("127.0.0.1", port), _Handler)
            except OSError:
                udp.server_close()
                continue
            break
        else:
            raise RuntimeError("no free port for the test DNS server")
        self.port = port
        for srv in (udp, tcp):
            srv.dns = self
            threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05},
                             daemon=True, name=f"dns-{port}").start()
            self._servers.append(srv)
        return self

    def stop(self):
        self._stopping.set()
        for srv in self._servers:
            srv.shutdown()
            srv.server_close()
        self._servers = []

    @property
    def address(self):
        """The server as tern's dns_servers wants it: 127.0.0.1:PORT."""
        return f"127.0.0.1:{self.port}"

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # --- the query log ---------------------------------------------------------------------

    def clear(self):
        self.queries.clear()

    def count(self, name, qtype=None):
        """How many queries for name (and type, e.g. "MX") arrived."""
        return sum(1 for n, t, _ in list(self.queries)
                   if n == _norm(name) and (qtype is None or t == qtype))

    # --- answering -------------------------------------------------------------------------

    def _zone(self, name):
        for key, value in list(self.zones.items()):
            if _norm(key) == name:
                return value
        return None

    def _soa(self, name):
        apex = name.rsplit(".", 1)[-1] + "."
        m = self.soa_minimum
        return RR(apex, QTYPE.SOA, ttl=m,
                  rdata=SOA("ns." + apex, "hostmaster." + apex, (1, 3600, 600, 86400, m)))

    def _records(self, name, zone, qtype):
        ttl = zone.get("ttl", self.default_ttl)
        value = zone.get(qtype)
        if qtype == "MX":
            return [RR(name, QTYPE.MX, ttl=ttl, rdata=MX(host, pref)) for pref, host in value]
        if qtype == "TXT":
            return [RR(name, QTYPE.TXT, ttl=ttl, rdata=TXT(t)) for t in value]
        if qtype == "CNAME":
            return [RR(name, QTYPE.CNAME, ttl=ttl, rdata=CNAME(value))]
        if qtype == "PTR":
            return [RR(name, QTYPE.PTR, ttl=ttl, rdata=PTR(host)) for host in value]
        return [RR(name, TYPES[qtype][0], ttl=ttl, rdata=TYPES[qtype][1](a)) for a in value]

    def answer(self, request, proto):
        """The reply to a request, or None for no answer at all."""
        q = request.q
        name, qtype = _norm(q.qname), QTYPE.get(q.qtype)
        self.queries.append((name, qtype, proto))
        reply = request.reply()  # QR, AA and RD as asked, RA
        zone = self._zone(name)
        if zone == "DROP" or (isinstance(zone, dict) and zone.get("drop")):
            return None
        if isinstance(zone, dict) and zone.get("delay"):
            if self._stopping.wait(zone["delay"]):
                return None
        owner = DNSLabel(str(q.qname))
        for _ in range(8):  # CNAME chain inside the zones
            if zone is None:
                reply.header.rcode = RCODE.NXDOMAIN
                reply.add_auth(self._soa(name))
                return reply
            if isinstance(zone, str):
                reply.header.rcode = RCODES[zone]
                return reply
            if "CNAME" in zone and qtype != "CNAME":
                reply.add_answer(*self._records(owner, zone, "CNAME"))
                name = _norm(zone["CNAME"])
                owner = DNSLabel(name + ".")
                zone = self._zone(name)
                continue
            value = zone.get(qtype)
            if isinstance(value, str) and qtype != "CNAME":
                reply.header.rcode = RCODES[value]
                return reply
            if value and qtype in TYPES:
                reply.add_answer(*self._records(owner, zone, qtype))
            else:
                reply.add_auth(self._soa(name))  # NODATA
            return reply
        reply.header.rcode = RCODE.SERVFAIL  # a CNAME loop
        return reply


@pytest.fixture
def dns_server():
    """A DnsServer with empty zones, started for one test: fill dns_server.zones."""
    server = DnsServer().start()
    yield server
    server.stop()
