"""A scriptable receiving SMTP server (the "target" tern delivers to) and a test certificate
authority, for tern's delivery integration tests.

Design choice: Target is a small SMTP server written directly on asyncio (an asyncio.Protocol
feeding one session coroutine per connection), not on aiosmtpd. The delivery tests need things
aiosmtpd cannot do or hides from us: hostile replies, a server that never answers, bytes injected
after "220 Ready to start TLS", dropping the connection in the middle of DATA, knowing which
commands the client sent before it saw the previous reply (pipelining), and the plaintext a client
sent after STARTTLS. One implementation that owns its input buffer does all of that and keeps the
recorded message bytes exact: DATA is split on CRLF only, one leading dot is removed from each line
that has one, and the terminating CRLF.CRLF is not part of the data (so a bare LF or CR inside a
line stays as it was sent). aiosmtpd is not used.

    ca = TestCA(tmp_path)
    cert, key = ca.issue("mx.test")
    with Target(starttls=(cert, key), max_rcpts=50) as mx:
        ...run tern with tls_ca_file = ca.ca_file and the MX at mx.host:mx.port...
        msgs = mx.wait_for(1, timeout=10)
        assert msgs[0].data == expected_bytes and msgs[0].tls

Recipients script themselves by the local part's prefix, so one Target plays many roles in one
test (see ROLES below); `rcpt_script` overrides single addresses. Every wait in here is bounded:
sessions close after `idle_timeout` seconds of silence, hostile senders stop after
`hostile_seconds`, and stop() aborts every connection and joins the (daemon) thread.
"""
import asyncio
import base64
import binascii
import datetime
import ipaddress
import itertools
import math
import os
import pathlib
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["TestCA", "Target", "Message", "Connection", "free_port", "ROLES"]

# Replies for the recipient roles, chosen by the local part's prefix ("{addr}" is replaced by the
# recipient address). grey- and spam- are handled in code; anything unmatched is accepted.
ROLES = {
    "ok-": "250 2.1.5 Ok",
    "temp-": "451 4.2.1 Mailbox temporarily unavailable",
    "perm-": "550 5.1.1 <{addr}>: Recipient address rejected: User unknown in local"
             " recipient table",
    "unknown-": "550 5.1.1 <{addr}>: Recipient address rejected: User unknown in local"
                " recipient table",
    "full-": "452 4.2.2 Mailbox full",
    "disabled-": "550 5.2.1 Mailbox disabled",
    "grey-": "451 4.7.1 Greylisted, please come back in {wait}",
    "spam-": "250 2.1.5 Ok",
    "421-": "421 4.4.2 closing connection",
}
RCPT_OK = "250 2.1.5 Ok"
SPAM_REPLY = "554 5.7.1 Message rejected as spam"
TOO_MANY_RCPTS = "452 4.5.3 Error: too many recipients"
SIZE_REPLY = "552 5.3.4 Message size exceeds fixed maximum message size"
HOSTILE_MODES = ("long_line", "endless_continuation", "nul")

MAX_COMMAND_LINE = 64 * 1024      # a longer command line is answered 500 and the session closed
MAX_DATA = 64 * 1024 * 1024       # data beyond this is not stored (and the message is refused 552)
DATA_CHUNK = 256 * 1024           # a DATA line longer than this is handled in pieces
MAX_ERRORS = 50                   # bad commands before the server gives up on a session
MAX_RAW_RECORD = 1024 * 1024      # never_answer mode keeps at most this much of what it is sent
TRANSCRIPT_CAP = 4096             # each transcript entry keeps at most this many bytes


_ports_given = set()


def free_port(host="127.0.0.1"):
    """A TCP port that was free on `host` a moment ago (for tern's own listeners; Target binds
    port 0 itself, which has no race). The kernel may hand the same port out twice in a row
    once the probe socket is closed, so a port is never given twice in one test run: a server
    with several listeners gets distinct ports."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for _ in range(1000):
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.bind((host, 0))
            port = s.getsockname()[1]
        if port not in _ports_given:
            _ports_given.add(port)
            return port
    raise RuntimeError("no unused TCP port on " + host)


# ---------------------------------------------------------------------------------------------
# Test certificate authority
# ---------------------------------------------------------------------------------------------

def _new_key(key_type):
    if key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if key_type == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    raise ValueError(f"key_type must be 'ec' or 'rsa', not {key_type!r}")


def _key_pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _san(names, ips):
    entries = [x509.DNSName(n) for n in names]
    entries += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ips]
    return x509.SubjectAlternativeName(entries)


class TestCA:
    """A throwaway certificate authority in `directory`: its certificate is `.ca_file` (what tern
    is told to trust), its key `.ca_key_file`. issue() makes server certificates it signs;
    self_signed() makes ones nobody trusts. All files are PEM; methods return (cert, key) paths
    as strings, ready for Target(starttls=...)."""

    __test__ = False  # not a pytest test class, despite the name

    def __init__(self, directory, name="tern test CA", key_type="ec", days=30):
        self.dir = pathlib.Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self._serial = itertools.count(2)
        self._names = itertools.count(1)
        self.key = _new_key(key_type)
        now = datetime.datetime.now(datetime.timezone.utc)
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name),
                             x509.NameAttribute(NameOID.ORGANIZATION_NAME, "tern tests")])
        ski = x509.SubjectKeyIdentifier.from_public_key(self.key.public_key())
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(subject).issuer_name(subject)
            .public_key(self.key.public_key())
            .serial_number(1)
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=True, crl_sign=True,
                                         encipher_only=False, decipher_only=False), critical=True)
            .add_extension(ski, critical=False)
            .sign(self.key, hashes.SHA256()))
        self.ca_file = str(self.dir / "ca.pem")
        self.ca_key_file = str(self.dir / "ca-key.pem")
        pathlib.Path(self.ca_file).write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))
        self._write_key(self.ca_key_file, self.key)

    @staticmethod
    def _write_key(path, key):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(_key_pem(key))

    def _files(self, names, basename):
        first = (names[0] if names else "cert").replace("*", "_")
        stem = basename or f"{first}-{next(self._names)}"
        return str(self.dir / f"{stem}.crt"), str(self.dir / f"{stem}.key")

    def _leaf(self, names, ips, key, issuer_name, signer, issuer_key_for_aki, days, expired):
        now = datetime.datetime.now(datetime.timezone.utc)
        day = datetime.timedelta(days=1)
        if expired:
            not_before, not_after = now - 30 * day, now - day
        else:
            not_before, not_after = now - datetime.timedelta(hours=1), now + days * day
        cn = names[0] if names else (ips[0] if ips else "tern test server")
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
            .issuer_name(issuer_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before).not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                         key_encipherment=isinstance(key, rsa.RSAPrivateKey),
                                         data_encipherment=False, key_agreement=False,
                                         key_cert_sign=False, crl_sign=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                issuer_key_for_aki.public_key()), critical=False))
        if names or ips:
            builder = builder.add_extension(_san(names, ips), critical=False)
        return builder.sign(signer, hashes.SHA256())

    def issue(self, *names, ips=("127.0.0.1", "::1"), days=30, expired=False, key_type="ec",
              basename=None):
        """A server certificate signed by this CA for DNS `names` (and IP SANs `ips`); returns
        (cert_file, key_file). expired=True makes one whose validity ended yesterday."""
        key = _new_key(key_type)
        cert = self._leaf(list(names), list(ips), key, self.cert.subject, self.key, self.key,
                          days, expired)
        cert_file, key_file = self._files(names, basename)
        pathlib.Path(cert_file).write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        self._write_key(key_file, key)
        return cert_file, key_file

    def self_signed(self, *names, ips=("127.0.0.1", "::1"), days=30, expired=False,
                    key_type="ec", basename=None):
        """A self-signed server certificate (not from this CA, so not trusted by `.ca_file`) for
        DNS `names` and IP SANs `ips`; returns (cert_file, key_file)."""
        key = _new_key(key_type)
        cn = names[0] if names else "self-signed"
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
        cert = self._leaf(list(names), list(ips), key, subject, key, key, days, expired)
        cert_file, key_file = self._files(names, basename or f"self-signed-{next(self._names)}")
        pathlib.Path(cert_file).write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        self._write_key(key_file, key)
        return cert_file, key_file


# ---------------------------------------------------------------------------------------------
# Records
# ---------------------------------------------------------------------------------------------

@dataclass
class Message:
    """One transaction whose DATA was received in full. `data` holds the message bytes exactly
    as sent after dot-unstuffing, CRLFs included, without the final ".\\r\\n"."""
    mail_from: str
    rcpt_tos: list
    data: bytes
    reply: str
    tls: bool
    tls_version: str
    peer: tuple
    ehlo: str
    esmtp: bool
    connection: int                       # index into Target.sessions
    mail_options: list = field(default_factory=list)
    rcpt_options: dict = field(default_factory=dict)
    sni: str = None
    started: float = 0.0                  # time.time() of the accepted MAIL
    received: float = 0.0                 # time.time() of the end of DATA
    queue_id: str = None
    auth_user: str = None                 # the user the session authenticated as (auth=)

    @property
    def content(self):
        return self.data

    original_content = content

    @property
    def accepted(self):
        return self.reply.startswith("2")


@dataclass
class Connection:
    """Everything seen on one TCP connection. `commands` are the command lines as received
    (without CRLF, decoded UTF-8 with surrogateescape); `pipelined[i]` is True when the bytes of
    commands[i] had already arrived before the reply to the previous command was written, i.e.
    the client did not wait for that reply."""
    index: int
    peer: tuple
    local: tuple
    opened: float
    closed: float = None
    ehlo: str = None                      # the current EHLO/HELO name (cleared by STARTTLS)
    ehlo_names: list = field(default_factory=list)  # every EHLO/HELO name accepted, in order
    esmtp: bool = False
    tls: bool = False
    tls_version: str = None
    tls_cipher: str = None
    sni: str = None
    tls_error: str = None
    auth_user: str = None                 # set by a successful AUTH (auth=)
    auth_attempts: list = field(default_factory=list)  # (mechanism, user, ok) per AUTH
    commands: list = field(default_factory=list)
    pipelined: list = field(default_factory=list)
    early_talker: bool = False            # client sent bytes before the greeting
    plaintext_after_starttls: bytes = b""  # bytes that followed STARTTLS in the clear (discarded)
    data_before_354: bool = False         # message bytes arrived before the 354 was written
    dropped_mid_data: int = None          # drop_mid_data: DATA bytes received before the drop
    raw_received: bytearray = field(default_factory=bytearray)  # never_answer mode only
    transactions: int = 0
    transcript: list = field(default_factory=list)  # ("C"|"S", bytes), each entry capped
    error: str = None

    @property
    def pipelined_commands(self):
        return [c for c, p in zip(self.commands, self.pipelined) if p]


class _Closed(Exception):
    """The session is over (client went away, we closed it, or the target is stopping)."""


# ---------------------------------------------------------------------------------------------
# Target
# ---------------------------------------------------------------------------------------------

class Target:
    """A receiving SMTP server for one test, run in a daemon thread with its own asyncio loop.

    Address: `host` (127.0.0.1 by default; any 127.0.0.0/8 address or ::1 works) and `port`
    (0 = pick a free one; read it back from `.port` after start()).

    Behaviour options (defaults give a well-behaved ESMTP server):
      hostname            name in the greeting and EHLO reply
      starttls            None, or (cert_file, key_file): advertise and accept STARTTLS
      starttls_reply      reply to STARTTLS instead of the 220 (e.g. "454 4.7.0 TLS not
                          available"); no handshake follows. Works without `starttls` (pair it
                          with ehlo_extra=["STARTTLS"] to advertise a STARTTLS that never works)
      implicit_tls        None, or (cert_file, key_file): TLS from the first byte (port 465
                          style, RFC 8314), no STARTTLS; a failed handshake is recorded in the
                          connection's `tls_error` like a failed STARTTLS
      auth                None, or {"user": "password", ...}: advertise "AUTH PLAIN LOGIN" (only
                          after STARTTLS when `starttls` is set), accept AUTH PLAIN (initial
                          response or continuation) and AUTH LOGIN: 235 2.7.0 on success,
                          535 5.7.8 on failure; MAIL before a successful AUTH gets
                          "530 5.7.0 Authentication required"
      auth_mechanisms     the mechanisms advertised and accepted, a subset of ("PLAIN", "LOGIN")
                          (both by default); another one gets 504 5.5.4
      require_tls         answer MAIL with 530 until STARTTLS was done
      tls_min_version / tls_max_version   ssl.TLSVersion limits for STARTTLS
      pipelining, smtputf8, eightbitmime, enhancedstatuscodes   advertise these (True)
      size                None, or n: advertise "SIZE n", refuse larger with 552 5.3.4
      ehlo_extra          extra EHLO keyword lines, e.g. ["DSN", "X-FOO"]; only advertised
                          (DSN's MAIL/RCPT parameters are accepted; no BDAT command; for
                          AUTH use `auth`)
      greeting            e.g. "554 5.7.1 go away" (then only QUIT works) or "421 4.3.2 busy"
                          (then close); multi-line with "\\n"
      banner_delay        seconds to wait before the greeting
      ehlo_reply          reply to EHLO instead of the usual one (e.g. "502 5.5.2 no EHLO" to
                          force HELO); helo_reply likewise for HELO
      never_answer        accept TCP, never send a byte (keeps the connection for idle_timeout)
      max_rcpts           after n accepted RCPTs in a transaction: 452 4.5.3
      rcpt_script         {address: "reply line"} or a callable(rcpt, mail_from) -> reply|None,
                          consulted before the local-part roles (ROLES)
      grey_wait           seconds a greylisted (sender, rcpt) pair must wait (2)
      mail_reply          reply to every MAIL instead of 250 (421 closes)
      data_reply          reply at end of DATA instead of 250 (421 closes)
      data_reply_delay    seconds to wait before the end-of-DATA reply
      drop_mid_data       True (after the first DATA bytes) or n (after n bytes): close the
                          connection without replying
      inject_after_starttls   bytes written right after "220 2.0.0 Ready to start TLS" in the
                          same write; TLS then proceeds normally
      hostile             "long_line" | "endless_continuation" | "nul": a hostile EHLO reply
                          (or greeting, with hostile_at="greeting"); hostile_seconds bounds the
                          endless one
      idle_timeout        seconds of client silence before the server closes (421)

    Records: `.messages` (accepted Message list, each with `auth_user` when auth= is set),
    `.refused` (DATA received, final reply not 2xx), `.sessions` (Connection list, each with
    `auth_user` and `auth_attempts` [(mechanism, user, ok)]), `.connections` and
    `.transactions` (counts), `.commands` (per connection lists of command lines), `.errors`
    (server-side exceptions: should stay empty).
    """

    def __init__(self, host="127.0.0.1", port=0, *, hostname="mx.target.test", starttls=None,
                 require_tls=False, tls_min_version=None, tls_max_version=None,
                 pipelining=True, size=None, smtputf8=True, eightbitmime=True,
                 enhancedstatuscodes=True, ehlo_extra=(), greeting=None, banner_delay=0.0,
                 ehlo_reply=None, helo_reply=None, never_answer=False, max_rcpts=None,
                 rcpt_script=None, grey_wait=2.0, mail_reply=None, data_reply=None,
                 data_reply_delay=0.0, drop_mid_data=False, inject_after_starttls=b"",
                 hostile=None, hostile_at="ehlo", hostile_seconds=30.0, idle_timeout=120.0,
                 starttls_reply=None, implicit_tls=None, auth=None,
                 auth_mechanisms=("PLAIN", "LOGIN")):
        if hostile is not None and hostile not in HOSTILE_MODES:
            raise ValueError(f"hostile must be one of {HOSTILE_MODES}, not {hostile!r}")
        if hostile_at not in ("ehlo", "greeting"):
            raise ValueError("hostile_at must be 'ehlo' or 'greeting'")
        self.host = host
        self.port = port
        self.hostname = hostname
        self.starttls = starttls
        self.require_tls = require_tls
        self.pipelining = pipelining
        self.size = size
        self.smtputf8 = smtputf8
        self.eightbitmime = eightbitmime
        self.enhancedstatuscodes = enhancedstatuscodes
        self.ehlo_extra = list(ehlo_extra)
        self.greeting = greeting
        self.banner_delay = banner_delay
        self.ehlo_reply = ehlo_reply
        self.helo_reply = helo_reply
        self.never_answer = never_answer
        self.max_rcpts = max_rcpts
        self.rcpt_script = rcpt_script or {}
        self.grey_wait = grey_wait
        self.mail_reply = mail_reply
        self.data_reply = data_reply
        self.data_reply_delay = data_reply_delay
        self.drop_mid_data = drop_mid_data
        self.inject_after_starttls = bytes(inject_after_starttls or b"")
        self.hostile = hostile
        self.hostile_at = hostile_at
        self.hostile_seconds = hostile_seconds
        self.idle_timeout = idle_timeout

        if starttls and implicit_tls:
            raise ValueError("starttls and implicit_tls exclude each other")
        if auth is not None and (not isinstance(auth, dict) or not auth):
            raise ValueError('auth must be a non-empty dict {"user": "password"}')
        self.starttls_reply = starttls_reply
        self.implicit_tls = implicit_tls
        self.auth = dict(auth) if auth else None
        self.auth_mechanisms = [m.upper() for m in auth_mechanisms]
        if not self.auth_mechanisms or set(self.auth_mechanisms) - {"PLAIN", "LOGIN"}:
            raise ValueError('auth_mechanisms must be a non-empty subset of ("PLAIN", "LOGIN")')

        self.tls_context = None
        if starttls or implicit_tls:
            cert, key = starttls or implicit_tls
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(cert, key)
            if tls_min_version is not None:
                ctx.minimum_version = tls_min_version
            if tls_max_version is not None:
                ctx.maximum_version = tls_max_version
            ctx.sni_callback = self._sni_callback
            self.tls_context = ctx
        self._sni = {}

        self.messages = []
        self.refused = []
        self.sessions = []
        self.errors = []
        self.connections = 0
        self.transactions = 0
        self._grey = {}
        self._queue_ids = itertools.count(1)
        self._cond = threading.Condition()
        self._loop = None
        self._thread = None
        self._server = None
        self._live = set()
        self._ready = threading.Event()
        self._start_error = None

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self, timeout=10.0):
        """Bind and start serving; returns self. Raises if the address cannot be bound."""
        if self._thread is not None:
            raise RuntimeError("Target already started")
        self._loop = asyncio.new_event_loop()
        self._ready.clear()
        self._thread = threading.Thread(target=self._run, name=f"smtp-target-{self.host}",
                                        daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise TimeoutError(f"SMTP target on {self.host} did not start in {timeout} s")
        if self._start_error is not None:
            self._thread.join(timeout)
            self._thread = None
            raise self._start_error
        return self

    def stop(self, timeout=5.0):
        """Abort every connection, close the listening socket and join the thread."""
        if self._thread is None:
            return
        loop = self._loop
        if not loop.is_closed():
            try:
                asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(timeout)
            except Exception:
                pass
            try:
                loop.call_soon_threadsafe(loop.stop)
            except RuntimeError:
                pass
        self._thread.join(timeout)
        self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def __repr__(self):
        return f"<Target {self.host}:{self.port} messages={len(self.messages)}>"

    @property
    def address(self):
        return (self.host, self.port)

    def _run(self):
        loop = self._loop
        asyncio.set_event_loop(loop)
        try:
            self._server = loop.run_until_complete(
                loop.create_server(lambda: _Session(self), self.host, self.port))
            self.port = self._server.sockets[0].getsockname()[1]
        except Exception as e:  # noqa: BLE001 - reported to start()
            self._start_error = e
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            try:
                tasks = [t for t in asyncio.all_tasks(loop) if not t.done()]
                for t in tasks:
                    t.cancel()
                if tasks:
                    loop.run_until_complete(asyncio.wait(tasks, timeout=2))
            finally:
                loop.close()

    async def _shutdown(self):
        if self._server is not None:
            self._server.close()
        tasks = []
        for s in list(self._live):
            s.abort()
            if s.task is not None:
                s.task.cancel()
                tasks.append(s.task)
        if tasks:
            await asyncio.wait(tasks, timeout=2)

    # -- results --------------------------------------------------------------------------------

    @property
    def commands(self):
        """Command lines seen, one list per connection, in connection order."""
        return [list(c.commands) for c in self.sessions]

    def wait_until(self, predicate, timeout=10.0, what="condition"):
        """Wait (at most `timeout` s) until predicate() is true; raises TimeoutError."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{what} not reached in {timeout} s on {self!r}:\n"
                                       + self.dump())
                self._cond.wait(min(left, 0.2))

    def wait_for(self, n=1, timeout=10.0):
        """Wait until at least n messages were accepted; returns the accepted messages."""
        self.wait_until(lambda: len(self.messages) >= n, timeout, f"{n} message(s)")
        return list(self.messages)

    def wait_for_connections(self, n=1, timeout=10.0):
        """Wait until at least n connections were accepted and have closed."""
        self.wait_until(lambda: sum(1 for c in self.sessions if c.closed) >= n, timeout,
                        f"{n} closed connection(s)")
        return list(self.sessions)

    def dump(self, limit=200):
        """The transcripts of all connections, for assertion messages."""
        out = []
        for c in self.sessions:
            out.append(f"--- connection {c.index} from {c.peer} tls={c.tls} error={c.error}")
            for who, data in c.transcript[:limit]:
                out.append(f"{who}: {data!r}")
        return "\n".join(out)

    def _notify(self):
        with self._cond:
            self._cond.notify_all()

    # -- scripting ------------------------------------------------------------------------------

    def _sni_callback(self, sslobj, name, ctx):
        self._sni[id(sslobj)] = name

    def ehlo_lines(self, tls_active):
        """The keyword lines (after the hostname line) this target advertises."""
        lines = []
        if self.pipelining:
            lines.append("PIPELINING")
        if self.size is not None:
            lines.append(f"SIZE {self.size}")
        if self.starttls and not tls_active:
            lines.append("STARTTLS")
        if self.auth and (tls_active or not self.starttls):
            lines.append("AUTH " + " ".join(self.auth_mechanisms))
        if self.enhancedstatuscodes:
            lines.append("ENHANCEDSTATUSCODES")
        if self.eightbitmime:
            lines.append("8BITMIME")
        if self.smtputf8:
            lines.append("SMTPUTF8")
        lines.extend(self.ehlo_extra)
        return lines

    def _grey_reply(self, mail_from, rcpt):
        key = (mail_from.lower(), rcpt.lower())
        now = time.monotonic()
        first = self._grey.setdefault(key, now)
        if first != now and now - first >= self.grey_wait:
            return RCPT_OK
        secs = max(0, math.ceil(self.grey_wait))
        wait = f"{secs // 3600:02d}:{secs // 60 % 60:02d}:{secs % 60:02d}"
        return ROLES["grey-"].replace("{wait}", wait)

    def rcpt_reply(self, rcpt, mail_from):
        """The reply to RCPT TO:<rcpt> (after the max_rcpts check)."""
        script = self.rcpt_script
        reply = None
        if callable(script):
            reply = script(rcpt, mail_from)
        elif rcpt in script:
            reply = script[rcpt]
        elif rcpt.lower() in script:
            reply = script[rcpt.lower()]
        if reply is not None:
            return reply.replace("{addr}", rcpt)
        local = rcpt.rpartition("@")[0].lower() if "@" in rcpt else rcpt.lower()
        for prefix, text in ROLES.items():
            if local.startswith(prefix):
                if prefix == "grey-":
                    return self._grey_reply(mail_from, rcpt)
                return text.replace("{addr}", rcpt)
        return RCPT_OK


# ---------------------------------------------------------------------------------------------
# One connection
# ---------------------------------------------------------------------------------------------

def _lines(reply):
    """A reply given as str/bytes (lines separated by \\n) as wire bytes ending in CRLF."""
    if isinstance(reply, str):
        reply = reply.encode("utf-8", "surrogateescape")
    parts = [p[:-1] if p.endswith(b"\r") else p for p in reply.split(b"\n")]
    if parts and parts[-1] == b"" and len(parts) > 1:
        parts.pop()
    return b"".join(p + b"\r\n" for p in parts)


def _code(reply):
    text = reply.decode("latin-1") if isinstance(reply, bytes) else reply
    return text[:3]


def _decode(b):
    return bytes(b).decode("utf-8", "surrogateescape")


class _Session(asyncio.Protocol):
    """The protocol object of one connection: collects bytes in `buf` and runs the SMTP dialogue
    in a task (`run`), which waits on the buffer with idle_timeout."""

    def __init__(self, target):
        self.t = target
        self.loop = target._loop
        self.buf = bytearray()
        self.transport = None
        self.raw_transport = None
        self.task = None
        self.eof = False
        self.lost = False
        self._waiter = None
        self._ahead = False
        self.conn = None
        # transaction state
        self.mail_from = None
        self.mail_options = []
        self.rcpts = []
        self.rcpt_options = {}
        self.mail_time = 0.0
        self.smtputf8 = False
        self.quit_only = False
        self.errors = 0

    # -- asyncio.Protocol -----------------------------------------------------------------------

    def connection_made(self, transport):
        t = self.t
        self.transport = self.raw_transport = transport
        self.conn = Connection(index=len(t.sessions), peer=transport.get_extra_info("peername"),
                               local=transport.get_extra_info("sockname"), opened=time.time())
        if t.implicit_tls:
            # Not a byte may reach the SMTP buffer: the ClientHello is for start_tls (which
            # resumes reading once the TLS layer is in place).
            transport.pause_reading()
        t.sessions.append(self.conn)
        t.connections += 1
        t._live.add(self)
        self.task = self.loop.create_task(self.run())

    def data_received(self, data):
        self.buf += data
        self._wake()

    def eof_received(self):
        # Keep the write side open (a client may half-close after QUIT and still read the 221);
        # the session closes once it has used up the buffer.
        self.eof = True
        self._wake()
        return True

    def connection_lost(self, exc):
        self.lost = True
        self._wake()

    def _wake(self):
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def abort(self):
        for tr in (self.transport, self.raw_transport):
            if tr is not None:
                tr.abort()

    # -- I/O helpers ----------------------------------------------------------------------------

    async def _more(self, timeout=None):
        """Wait for more input; raises _Closed at EOF / loss, TimeoutError after `timeout`."""
        if self.eof or self.lost:
            raise _Closed()
        self._waiter = self.loop.create_future()
        try:
            await asyncio.wait_for(self._waiter, self.t.idle_timeout if timeout is None
                                   else timeout)
        finally:
            self._waiter = None
        if self.lost or (self.eof and not self.buf):
            raise _Closed()

    def write(self, data, record=True):
        if self.lost or self.transport.is_closing():
            raise _Closed()
        self._ahead = bool(self.buf)
        self.transport.write(data)
        if record:
            self.conn.transcript.append(("S", bytes(data[:TRANSCRIPT_CAP])))

    def send(self, reply):
        """Write a reply; a 421 reply also closes the session."""
        self.write(_lines(reply))
        if _code(reply) == "421":
            self.close()
            raise _Closed()

    def close(self):
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()

    async def readline(self):
        while True:
            i = self.buf.find(b"\n")
            if i >= 0:
                line = bytes(self.buf[:i + 1])
                del self.buf[:i + 1]
                return line
            if len(self.buf) > MAX_COMMAND_LINE:
                self.send("500 5.5.2 Error: line too long")
                self.close()
                raise _Closed()
            try:
                await self._more()
            except asyncio.TimeoutError:
                self.send("421 4.4.2 Error: timeout exceeded")
            except _Closed:
                if self.buf and not self.lost:  # a last line without newline before EOF
                    line = bytes(self.buf)
                    self.buf.clear()
                    return line
                raise

    # -- the dialogue ---------------------------------------------------------------------------

    async def run(self):
        try:
            await self._dialogue()
        except (_Closed, asyncio.CancelledError, ConnectionError):
            pass
        except Exception as e:  # noqa: BLE001 - recorded for the test to see
            self.conn.error = repr(e)
            self.t.errors.append(f"connection {self.conn.index}: {e!r}")
        finally:
            self.conn.closed = time.time()
            self.close()
            self.t._live.discard(self)
            self.t._notify()

    async def _dialogue(self):
        t = self.t
        if t.implicit_tls:
            await self._handshake()
        if t.banner_delay:
            await asyncio.sleep(t.banner_delay)
        if t.never_answer:
            await self._swallow()
            return
        self.conn.early_talker = bool(self.buf)
        if t.hostile and t.hostile_at == "greeting":
            await self._hostile(220, t.hostname + " ESMTP", [])
        elif t.greeting is not None:
            self.send(t.greeting)
            if _code(t.greeting) != "220":
                self.quit_only = True
        else:
            self.write(_lines(f"220 {t.hostname} ESMTP tern smtp_target"))
        self._ahead = False
        for _ in range(10_000_000):
            line = await self.readline()
            self.conn.transcript.append(("C", line[:TRANSCRIPT_CAP]))
            text = _decode(line).rstrip("\r\n")
            self.conn.commands.append(text)
            self.conn.pipelined.append(self._ahead)
            self._ahead = False
            await self._command(text)
            if self.errors >= MAX_ERRORS:
                self.send("421 4.7.0 Error: too many errors")

    async def _swallow(self):
        """never_answer: read and keep what the client sends, answer nothing, until the client
        closes, the target stops, or idle_timeout passes."""
        while True:
            if self.buf:
                room = MAX_RAW_RECORD - len(self.conn.raw_received)
                self.conn.raw_received += self.buf[:max(0, room)]
                self.buf.clear()
            try:
                await self._more()
            except asyncio.TimeoutError:
                return

    def _error(self, reply):
        self.errors += 1
        self.send(reply)

    def _reset(self):
        self.mail_from = None
        self.mail_options = []
        self.rcpts = []
        self.rcpt_options = {}
        self.smtputf8 = False

    async def _command(self, text):
        t = self.t
        verb, _, arg = text.partition(" ")
        verb = verb.upper()
        arg = arg.strip()
        if verb == "QUIT":
            self.send("221 2.0.0 Bye")
            self.close()
            raise _Closed()
        if self.quit_only:
            self._error("503 5.5.1 Error: bad sequence of commands")
            return
        if verb == "EHLO":
            await self._ehlo(arg)
        elif verb == "HELO":
            if not arg:
                self._error("501 5.5.4 Syntax: HELO hostname")
                return
            if t.helo_reply is not None:
                self.send(t.helo_reply)
                if not _code(t.helo_reply).startswith("2"):
                    return
            else:
                self.send(f"250 {t.hostname}")
            self._reset()
            self.conn.ehlo, self.conn.esmtp = arg, False
            self.conn.ehlo_names.append(arg)
        elif verb == "STARTTLS":
            await self._starttls(arg)
        elif verb == "AUTH":
            await self._auth(arg)
        elif verb == "MAIL":
            self._mail(arg)
        elif verb == "RCPT":
            self._rcpt(arg)
        elif verb == "DATA":
            await self._data(arg)
        elif verb == "RSET":
            self._reset()
            self.send("250 2.0.0 Ok")
        elif verb == "NOOP":
            self.send("250 2.0.0 Ok")
        elif verb == "VRFY":
            self.send("252 2.0.0 Send some mail, I'll try my best")
        elif verb == "HELP":
            self.send("214 2.0.0 https://www.rfc-editor.org/rfc/rfc5321")
        elif verb == "":
            self._error("500 5.5.2 Error: bad syntax")
        else:
            self._error("502 5.5.2 Error: command not recognized")

    async def _ehlo(self, arg):
        t = self.t
        if not arg:
            self._error("501 5.5.4 Syntax: EHLO hostname")
            return
        if t.hostile and t.hostile_at == "ehlo":
            await self._hostile(250, f"{t.hostname} Hello {arg}", t.ehlo_lines(self.conn.tls))
        elif t.ehlo_reply is not None:
            self.send(t.ehlo_reply)
            if not _code(t.ehlo_reply).startswith("2"):
                return
        else:
            lines = [t.hostname] + t.ehlo_lines(self.conn.tls)
            self.send("\n".join(f"250-{x}" for x in lines[:-1]) + f"\n250 {lines[-1]}"
                      if len(lines) > 1 else f"250 {lines[0]}")
        self._reset()
        self.conn.ehlo, self.conn.esmtp = arg, True
        self.conn.ehlo_names.append(arg)

    def _advertised(self):
        t = self.t
        if not self.conn.esmtp:
            return set()
        if t.ehlo_reply is not None and t.ehlo_reply[:1] == "2":
            lines = [ln[4:] for ln in t.ehlo_reply.replace("\r", "").split("\n")[1:]]
        else:
            lines = t.ehlo_lines(self.conn.tls)
        return {ln.split(" ")[0].upper() for ln in lines if ln}

    async def _hostile(self, code, first, keywords):
        """Write one of the hostile replies in place of the greeting / EHLO reply (`keywords`
        are the EHLO lines that follow the hostile part); if the client is still there afterwards
        the session goes on normally."""
        t = self.t
        tail = "".join(f"{code}-{k}\r\n" for k in keywords).encode() + f"{code} OK\r\n".encode()
        if t.hostile == "long_line":
            self.write(f"{code}-{first}\r\n".encode() + f"{code}-".encode() + b"X" * 65536
                       + b"\r\n" + tail, record=False)
            self.conn.transcript.append(("S", b"<hostile long_line: 64 KB line>"))
        elif t.hostile == "nul":
            data = (f"{code}-{first}".encode() + b"\x00evil\r\n"
                    + f"{code}-".encode() + b"NUL\x00\x00\x00BYTES\r\n" + tail)
            self.write(data)
        else:  # endless_continuation
            self.write(f"{code}-{first}\r\n".encode())
            deadline = self.loop.time() + t.hostile_seconds
            n = 0
            while self.loop.time() < deadline:
                if self.lost or self.transport.is_closing():
                    raise _Closed()
                if self.transport.get_write_buffer_size() > 65536:
                    await asyncio.sleep(0.01)
                    continue
                self.transport.write(b"".join(b"%d-continuation line %09d\r\n" % (code, n + i)
                                              for i in range(128)))
                n += 128
                await asyncio.sleep(0.002)
            self.conn.transcript.append(("S", b"<hostile endless_continuation: %d lines>" % n))
            self.write(f"{code} OK\r\n".encode())

    async def _starttls(self, arg):
        t = self.t
        if t.starttls_reply is not None and not self.conn.tls:
            self.send(t.starttls_reply)
            return
        if not t.starttls:
            self._error("502 5.5.1 Error: command not implemented")
            return
        if self.conn.tls:
            self._error("503 5.5.1 Error: TLS already active")
            return
        if arg:
            self._error("501 5.5.4 Syntax: STARTTLS")
            return
        if not self.conn.ehlo:
            self._error("503 5.5.1 Error: send HELO/EHLO first")
            return
        # RFC 3207: whatever the client sent after STARTTLS in the clear is discarded.
        self.write(b"220 2.0.0 Ready to start TLS\r\n" + t.inject_after_starttls)
        self.conn.plaintext_after_starttls = bytes(self.buf)
        self.buf.clear()
        await self._handshake()
        # The client must say EHLO again; forget everything learned in the clear.
        self._reset()
        self.conn.ehlo, self.conn.esmtp = None, False

    async def _handshake(self):
        """The server side of a TLS handshake on the connection (STARTTLS or implicit TLS);
        a failure is recorded in conn.tls_error and ends the session."""
        t = self.t
        raw = self.transport
        try:
            tls = await self.loop.start_tls(raw, self, t.tls_context, server_side=True,
                                            ssl_handshake_timeout=10)
        except (ssl.SSLError, OSError, ConnectionError, asyncio.TimeoutError) as e:
            self.conn.tls_error = repr(e)
            raw.abort()
            raise _Closed() from None
        if tls is None:
            self.conn.tls_error = "connection lost during the handshake"
            raise _Closed()
        self.transport = tls
        obj = tls.get_extra_info("ssl_object")
        self.conn.tls = True
        self.conn.tls_version = obj.version()
        self.conn.tls_cipher = (obj.cipher() or (None,))[0]
        self.conn.sni = t._sni.pop(id(obj), None)
        self.conn.transcript.append(("S", f"<TLS {self.conn.tls_version}>".encode()))

    async def _auth_line(self):
        """One line of an AUTH exchange (a base64 response, or "*" to cancel); None when the
        client cancelled (the 501 is already sent)."""
        line = await self.readline()
        self.conn.transcript.append(("C", line[:TRANSCRIPT_CAP]))
        text = _decode(line).rstrip("\r\n")
        if text == "*":
            self._error("501 5.7.0 Authentication aborted")
            return None
        return text

    @staticmethod
    def _b64(text):
        """Decoded base64 ("=" alone is the empty response, RFC 4954); None if invalid."""
        if text == "=":
            return b""
        try:
            return base64.b64decode(text.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError, ValueError):
            return None

    async def _auth(self, arg):
        t = self.t
        if not t.auth:
            self._error("502 5.5.1 Error: command not implemented")
            return
        if "AUTH" not in self._advertised():
            self._error("503 5.5.1 Error: authentication not enabled")
            return
        if self.conn.auth_user is not None:
            self._error("503 5.5.1 Error: already authenticated")
            return
        if self.mail_from is not None:
            self._error("503 5.5.1 Error: MAIL transaction in progress")
            return
        mech, _, initial = arg.partition(" ")
        mech, initial = mech.upper(), initial.strip() or None
        if mech not in t.auth_mechanisms:
            self._error("504 5.5.4 Unrecognized authentication type")
            return
        if mech == "PLAIN":
            if initial is None:
                self.send("334 ")
                initial = await self._auth_line()
                if initial is None:
                    return
            raw = self._b64(initial)
            parts = raw.split(b"\0") if raw is not None else []
            if len(parts) != 3:
                self._error("501 5.5.2 Error: invalid AUTH PLAIN response")
                return
            user, password = _decode(parts[1]), _decode(parts[2])
        elif mech == "LOGIN":
            if initial is None:
                self.send("334 " + base64.b64encode(b"Username:").decode())
                initial = await self._auth_line()
                if initial is None:
                    return
            raw_user = self._b64(initial)
            if raw_user is None:
                self._error("501 5.5.2 Error: invalid base64")
                return
            self.send("334 " + base64.b64encode(b"Password:").decode())
            answer = await self._auth_line()
            if answer is None:
                return
            raw_pass = self._b64(answer)
            if raw_pass is None:
                self._error("501 5.5.2 Error: invalid base64")
                return
            user, password = _decode(raw_user), _decode(raw_pass)
        else:
            self._error("504 5.5.4 Unrecognized authentication type")
            return
        ok = user in t.auth and t.auth[user] == password
        self.conn.auth_attempts.append((mech, user, ok))
        if ok:
            self.conn.auth_user = user
            self.send("235 2.7.0 Authentication successful")
        else:
            self._error("535 5.7.8 Error: authentication failed")

    @staticmethod
    def _path(arg, keyword):
        """Splits "FROM:<a@b> P=V ..." into ("a@b", ["P=V", ...]); None on bad syntax."""
        if not arg.upper().startswith(keyword):
            return None
        rest = arg[len(keyword):].lstrip(" ")
        if not rest.startswith("<"):
            return None
        end = rest.find(">")
        if end < 0:
            return None
        path = rest[1:end]
        if ":" in path and path.startswith("@"):  # source route: @a,@b:user@host
            path = path.split(":", 1)[1]
        return path, rest[end + 1:].split()

    def _mail(self, arg):
        t = self.t
        if not self.conn.ehlo:
            self._error("503 5.5.1 Error: send HELO/EHLO first")
            return
        if self.mail_from is not None:
            self._error("503 5.5.1 Error: nested MAIL command")
            return
        parsed = self._path(arg, "FROM:")
        if parsed is None:
            self._error("501 5.5.4 Syntax: MAIL FROM:<address>")
            return
        path, params = parsed
        if t.require_tls and not self.conn.tls:
            self.send("530 5.7.0 Must issue a STARTTLS command first")
            return
        if t.auth and self.conn.auth_user is None:
            self.send("530 5.7.0 Authentication required")
            return
        adv = self._advertised()
        smtputf8 = False
        for p in params:
            key, _, value = p.partition("=")
            key = key.upper()
            if key == "SIZE" and "SIZE" in adv and value.isdigit():
                if t.size and int(value) > t.size:
                    self.send(SIZE_REPLY)
                    return
            elif key == "BODY" and (value.upper() == "7BIT"
                                    or (value.upper() == "8BITMIME" and "8BITMIME" in adv)):
                pass
            elif key == "SMTPUTF8" and "SMTPUTF8" in adv and not value:
                smtputf8 = True
            elif key in ("RET", "ENVID") and "DSN" in adv:
                pass
            elif key in adv and key in ("AUTH", "REQUIRETLS", "MT-PRIORITY"):
                pass
            else:
                self._error(f"555 5.5.4 Unsupported option: {p}")
                return
        if not path.isascii() and not smtputf8:
            self._error("553 5.6.7 Must declare SMTPUTF8 to send unicode addresses")
            return
        if t.mail_reply is not None:
            self.send(t.mail_reply)
            if not _code(t.mail_reply).startswith("2"):
                return
        else:
            self.send("250 2.1.0 Ok")
        self.mail_from, self.mail_options, self.smtputf8 = path, params, smtputf8
        self.mail_time = time.time()
        self.conn.transactions += 1
        t.transactions += 1

    def _rcpt(self, arg):
        t = self.t
        if self.mail_from is None:
            self._error("503 5.5.1 Error: need MAIL command")
            return
        parsed = self._path(arg, "TO:")
        if parsed is None or not parsed[0]:
            self._error("501 5.5.4 Syntax: RCPT TO:<address>")
            return
        path, params = parsed
        adv = self._advertised()
        for p in params:
            key = p.partition("=")[0].upper()
            if not (key in ("NOTIFY", "ORCPT") and "DSN" in adv):
                self._error(f"555 5.5.4 Unsupported option: {p}")
                return
        if not path.isascii() and not self.smtputf8:
            self._error("553 5.6.7 Must declare SMTPUTF8 to send unicode addresses")
            return
        if t.max_rcpts is not None and len(self.rcpts) >= t.max_rcpts:
            self.send(TOO_MANY_RCPTS)
            return
        reply = t.rcpt_reply(path, self.mail_from)
        self.send(reply)  # a 421 closes here
        if _code(reply).startswith("2"):
            self.rcpts.append(path)
            self.rcpt_options[path] = params

    async def _data(self, arg):
        t = self.t
        if arg:
            self._error("501 5.5.4 Syntax: DATA")
            return
        if self.mail_from is None:
            self._error("503 5.5.1 Error: need MAIL command")
            return
        if not self.rcpts:
            self._error("554 5.5.1 Error: no valid recipients")
            return
        self.conn.data_before_354 = bool(self.buf)
        self.write(b"354 End data with <CR><LF>.<CR><LF>\r\n")
        data, too_big = await self._read_data()
        received = time.time()
        if t.data_reply_delay:
            await asyncio.sleep(t.data_reply_delay)
        if t.data_reply is not None:
            reply = t.data_reply
        elif too_big:
            reply = SIZE_REPLY
        elif any(r.rpartition("@")[0].lower().startswith("spam-") for r in self.rcpts):
            reply = SPAM_REPLY
        else:
            reply = None
        qid = None
        if reply is None:
            qid = f"T{next(t._queue_ids):06d}"
            reply = f"250 2.0.0 Ok: queued as {qid}"
        msg = Message(mail_from=self.mail_from, rcpt_tos=list(self.rcpts), data=data,
                      reply=reply, tls=self.conn.tls, tls_version=self.conn.tls_version,
                      peer=self.conn.peer, ehlo=self.conn.ehlo, esmtp=self.conn.esmtp,
                      connection=self.conn.index, mail_options=list(self.mail_options),
                      rcpt_options=dict(self.rcpt_options), sni=self.conn.sni,
                      started=self.mail_time, received=received, queue_id=qid,
                      auth_user=self.conn.auth_user)
        with t._cond:
            (t.messages if msg.accepted else t.refused).append(msg)
            t._cond.notify_all()
        self._reset()
        self.send(reply)

    async def _read_data(self):
        """Reads dot-stuffed lines up to CRLF.CRLF; returns (bytes, too_big). Lines are split on
        CRLF only; a line longer than DATA_CHUNK is passed on in pieces, so memory stays bounded
        (and what exceeds the size limit is counted, not kept)."""
        t = self.t
        limit = min(t.size, MAX_DATA) if t.size else MAX_DATA
        drop_after = None
        if t.drop_mid_data:
            drop_after = 1 if t.drop_mid_data is True else int(t.drop_mid_data)
        out = bytearray()
        consumed = 0
        too_big = False
        at_line_start = True
        scan = 0

        def keep(piece):
            nonlocal too_big
            if too_big or len(out) + len(piece) > limit:
                too_big = True
            else:
                out.extend(piece)

        while True:
            if drop_after is not None and consumed + len(self.buf) >= drop_after:
                self.conn.dropped_mid_data = consumed + len(self.buf)
                self.conn.transcript.append(("S", b"<dropped mid-DATA>"))
                self.close()
                raise _Closed()
            i = self.buf.find(b"\r\n", scan)
            if i < 0:
                if len(self.buf) > DATA_CHUNK:
                    # Pass on all but the last byte (it may be the CR of a CRLF) of a long line.
                    piece = self.buf[:-1]
                    del self.buf[:-1]
                    consumed += len(piece)
                    if at_line_start and piece.startswith(b"."):
                        del piece[:1]
                    at_line_start = False
                    keep(piece)
                    scan = 0
                    continue
                scan = max(0, len(self.buf) - 1)
                try:
                    await self._more()
                except asyncio.TimeoutError:
                    self.send("421 4.4.2 Error: timeout exceeded")
                continue
            line = self.buf[:i]
            del self.buf[:i + 2]
            consumed += i + 2
            scan = 0
            if at_line_start:
                if line == b".":
                    self.conn.transcript.append(("C", b"<DATA %d bytes>" % len(out)))
                    return bytes(out), too_big
                if line.startswith(b"."):
                    del line[:1]
            at_line_start = True
            keep(line + b"\r\n")
