"""A tern submission server started for one test: its own directory, configuration,
self-signed certificate, free loopback ports, one SMTP user, and its log.

Used by the submission tests; each test gets a fresh server and stops it at the end.
"""
import os
import pathlib
import re
import signal
import socket
import ssl
import subprocess
import time

from smtp_target import free_port

PASSWORD = "correct horse battery"


class Server:
    def __init__(self, tern_bin, base, extra="", trusted="", user=True, spool=None,
                 deliver=False):
        self.bin = tern_bin
        self.dir = pathlib.Path(base)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.starttls_port = free_port()
        self.tls_port = free_port()
        self.plain_port = free_port()
        self.proxy_port = free_port()
        cert, key = self.dir / "cert.pem", self.dir / "key.pem"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-nodes", "-keyout", str(key), "-out",
                        str(cert), "-days", "2", "-subj", "/CN=localhost"],
                       check=True, capture_output=True)
        self.conf = self.dir / "tern.conf"
        spool_line = f"path = {spool}\n" if spool else ""
        self.conf.write_text(f"""[server]
hostname = mx.test
data_dir = {self.dir}
log_level = debug
trusted_networks = {trusted}
shutdown_grace = 5

[listener submission]
address = 127.0.0.1
port = {self.starttls_port}
tls = starttls

[listener submissions]
address = 127.0.0.1
port = {self.tls_port}
tls = implicit

[listener plain]
address = 127.0.0.1
port = {self.plain_port}
tls = none

[listener balanced]
address = 127.0.0.1
port = {self.proxy_port}
tls = none
proxy_protocol = v1

[tls]
certificate = {cert}
private_key = {key}

[submission]
command_timeout = 4
data_timeout = 4
max_message_size = 12M

[delivery]
# submission tests look at what stays in the spool; delivery tests turn it on
enabled = {"yes" if deliver else "no"}

[spool]
{spool_line}{extra}""")
        self.log_path = self.dir / "tern.log"
        self.proc = None
        if user:
            self.tern("user", "add", "app", "--password-stdin", stdin=PASSWORD + "\n")
            self.tern("sender", "add", "app", "@example.org")

    def tern(self, *args, stdin=None, check=True):
        r = subprocess.run([self.bin, *args, "-c", str(self.conf)], input=stdin,
                           capture_output=True, text=True, timeout=60)
        if check and r.returncode != 0:
            raise AssertionError(f"tern {' '.join(args)} failed: {r.stderr}")
        return r

    def start(self):
        self.log = open(self.log_path, "a")
        self.proc = subprocess.Popen([self.bin, "serve", "-c", str(self.conf)],
                                     stdout=self.log, stderr=self.log)
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("tern serve exited: " + self.log_path.read_text())
            try:
                socket.create_connection(("127.0.0.1", self.plain_port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise AssertionError("tern serve did not start: " + self.log_path.read_text())

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
            raise AssertionError("tern did not stop after " + str(sig))
        self.log.close()
        self.proc = None
        return rc

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.log.close()
        self.proc = None

    def logs(self):
        return self.log_path.read_text()

    def queue_ids(self):
        # `tern queue` reads the spool without disturbing a running server
        out = self.tern("queue", "list").stdout
        return re.findall(r"^([0-9A-Z]{8,})\s", out, re.M)

    def message(self, qid):
        """The spooled message, as bytes (the envelope summary first)."""
        r = subprocess.run([self.bin, "queue", "show", qid, "--body", "-c", str(self.conf)],
                           capture_output=True, timeout=60)
        assert r.returncode == 0, r.stderr
        return r.stdout


def client_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def queued_id(reply_text):
    m = re.search(rb"queued as ([0-9A-Z]+)", reply_text)
    assert m, reply_text
    return m.group(1).decode()


class Raw:
    """A raw SMTP connection for dialogues that well-behaved clients never send."""

    def __init__(self, port, timeout=10):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""
        self.greeting = self.reply()

    def send(self, data):
        self.s.sendall(data)

    def reply(self):
        """Reads one complete (possibly multi-line) reply."""
        while True:
            lines = self.buf.split(b"\r\n")
            for i, line in enumerate(lines[:-1]):
                if len(line) >= 4 and line[3:4] == b" ":
                    out = b"\r\n".join(lines[:i + 1]) + b"\r\n"
                    self.buf = b"\r\n".join(lines[i + 1:])
                    return out
            chunk = self.s.recv(65536)
            if not chunk:
                out, self.buf = self.buf, b""
                return out
            self.buf += chunk

    def cmd(self, line):
        self.send(line + b"\r\n")
        return self.reply()

    def read_all(self):
        """Everything until the server closes (or the timeout)."""
        data = self.buf
        try:
            while True:
                chunk = self.s.recv(65536)
                if not chunk:
                    break
                data += chunk
        except (socket.timeout, ConnectionResetError):
            pass
        self.buf = b""
        return data

    def closed(self, wait=5):
        self.s.settimeout(wait)
        try:
            while True:
                chunk = self.s.recv(65536)
                if not chunk:
                    return True
        except socket.timeout:
            return False
        except OSError:
            return True
        finally:
            self.s.settimeout(10)

    def close(self):
        self.s.close()
