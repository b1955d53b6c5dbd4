"""What the `tern send` and `tern sendmail` tests share: an aiosmtpd server that keeps what it
is sent (and can refuse recipients), reading a message back out of tern's spool, and parsing
messages with Python's email package the way a mail program would.

    with Sink() as sink:
        run tern send --server 127.0.0.1:{sink.port} --tls none ...
        env = sink.wait(1)[0]        # .mail_from, .rcpt_tos, .content (bytes as received)
"""
import email
import email.policy
import re
import threading
import time

import pytest

from smtp_target import free_port

aiosmtpd_controller = pytest.importorskip(
    "aiosmtpd.controller", reason="aiosmtpd is not installed (Debian's python3-aiosmtpd)")

# Recipients whose local part starts with this are refused, as a server refuses an unknown user.
UNKNOWN = "unknown-"
UNKNOWN_REPLY = ("550 5.1.1 <{addr}>: Recipient address rejected: User unknown in local "
                 "recipient table")


class _Handler:
    def __init__(self, sink):
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith(UNKNOWN):
            return UNKNOWN_REPLY.format(addr=address)
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server, session, envelope):
        with self.sink.cond:
            self.sink.messages.append(envelope)
            n = len(self.sink.messages)
            self.sink.cond.notify_all()
        return f"250 2.0.0 Ok: queued as SINK{n:04d}"


class Sink:
    """An aiosmtpd server on 127.0.0.1 that accepts everything but UNKNOWN recipients."""

    def __init__(self):
        self.messages = []
        self.cond = threading.Condition()
        self.port = free_port()
        self.controller = aiosmtpd_controller.Controller(
            _Handler(self), hostname="127.0.0.1", port=self.port)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()

    def wait(self, n, timeout=10):
        deadline = time.time() + timeout
        with self.cond:
            while len(self.messages) < n:
                left = deadline - time.time()
                if left <= 0:
                    raise AssertionError(f"the sink got {len(self.messages)} of {n} messages")
                self.cond.wait(left)
            return list(self.messages)


def parse(data):
    """A message as a mail program reads it (the modern policy decodes RFC 2047 and 2231)."""
    return email.message_from_bytes(data, policy=email.policy.default)


def spooled(srv, qid):
    """(envelope lines, message bytes) of a message in tern's spool."""
    out = srv.message(qid)
    summary, _, data = out.partition(b"\n\n")
    return summary.decode(), data


def envelope_rcpts(summary):
    return re.findall(r"^to:\s+<([^>]*)>$", summary, re.M)


def header_names(data):
    head = data.split(b"\r\n\r\n", 1)[0].decode("ascii")
    return [line.split(":", 1)[0].lower() for line in head.split("\r\n")
            if line and line[0] not in " \t"]
