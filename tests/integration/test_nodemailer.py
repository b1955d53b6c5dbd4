"""nodemailer (npm), the third real client: STARTTLS with AUTH PLAIN, implicit TLS with AUTH
LOGIN, a byte-exact raw message, and a MIME message it builds itself (UTF-8, attachment,
several recipients). Each gets a 250 with a queue id, and the spool holds what was sent.
"""
import base64
import email
import email.policy
import json
import os
import pathlib
import shutil
import subprocess

import pytest

from server import PASSWORD, Server, queued_id

NODE_DIR = pathlib.Path(__file__).parent / "node"


@pytest.fixture(scope="module")
def node():
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("Node.js and npm are needed for the nodemailer test: run 'make deps'")
    if not (NODE_DIR / "node_modules" / "nodemailer").is_dir():
        r = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=NODE_DIR,
                           capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            pytest.skip("cannot install nodemailer from the npm registry: " + r.stderr[-300:])
    return node


@pytest.fixture
def server(tern_bin, tmp_path):
    srv = Server(tern_bin, tmp_path / "tern").start()
    yield srv
    srv.stop()


def send(node, job):
    r = subprocess.run([node, str(NODE_DIR / "send.js")], input=json.dumps(job),
                       capture_output=True, text=True, timeout=60)
    info = json.loads(r.stdout.strip().splitlines()[-1]) if r.stdout.strip() else {}
    assert r.returncode == 0, (info, r.stderr)
    return info


def job(server, secure, method, **kw):
    base = {"host": "127.0.0.1", "port": server.tls_port if secure else server.starttls_port,
            "secure": secure, "user": "app", "pass": PASSWORD, "authMethod": method,
            "from": "app@example.org", "to": ["bob@example.net"]}
    base.update(kw)
    return base


def spooled_body(server, qid):
    out = server.message(qid)
    return out[out.index(b"\nReceived: ") + 1:]  # the message as stored, tern's fields first


RAW = (b"From: App <app@example.org>\r\nTo: <bob@example.net>\r\nSubject: raw\r\n"
       b"Message-ID: <raw1@example.org>\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n\r\n"
       b"line one\r\n.a line that starts with a dot\r\n\r\nlast line\r\n")


@pytest.mark.parametrize("secure,method", [(False, "PLAIN"), (True, "LOGIN")],
                         ids=["starttls-plain", "implicit-login"])
def test_raw_message_is_spooled_byte_for_byte(node, server, secure, method):
    info = send(node, job(server, secure, method, raw=base64.b64encode(RAW).decode()))
    assert info["response"].startswith("250 2.0.0 Ok: queued as ")
    qid = queued_id(info["response"].encode())
    assert spooled_body(server, qid).endswith(RAW)
    assert f'user="app" result=ok' in server.logs()


def test_mime_message_with_utf8_and_attachment(node, server):
    blob = os.urandom(30000)
    info = send(node, job(server, False, "PLAIN",
                          to=["bob@example.net", "carol@example.net", "dave@example.org"],
                          subject="Grüße aus Köln ✓", text="Hällo, Welt.\nZweite Zeile.",
                          attachments=[{"filename": "data.bin",
                                        "content": base64.b64encode(blob).decode()}]))
    assert sorted(info["accepted"]) == ["bob@example.net", "carol@example.net",
                                        "dave@example.org"]
    qid = queued_id(info["response"].encode())
    shown = server.tern("queue", "show", qid).stdout
    for r in ("bob@example.net", "carol@example.net", "dave@example.org"):
        assert f"<{r}>" in shown
    msg = email.message_from_bytes(spooled_body(server, qid), policy=email.policy.default)
    assert msg["Subject"] == "Grüße aus Köln ✓"
    assert msg["From"].addresses[0].addr_spec == "app@example.org"
    parts = {p.get_filename(): p for p in msg.iter_attachments()}
    assert parts["data.bin"].get_content() == blob
    assert "Hällo, Welt." in msg.get_body(("plain",)).get_content()
