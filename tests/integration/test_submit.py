"""The submission server against real clients: Python smtplib (STARTTLS and implicit TLS,
AUTH PLAIN and LOGIN), swaks, raw sockets for what good clients never send; durability
(SIGKILL under load), a full disk, clean stop and reload.
"""
import base64
import os
import shutil
import signal
import smtplib
import socket
import ssl
import subprocess
import threading
import time

import pytest

from server import PASSWORD, Raw, Server, client_context, queued_id

MESSAGE = (b"From: App <app@example.org>\r\nTo: <bob@example.net>\r\nSubject: hello\r\n"
           b"Message-ID: <m1@example.org>\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n\r\n"
           b"Hello Bob.\r\n..a line that starts with a dot\r\n")


@pytest.fixture
def server(tern_bin, tmp_path):
    srv = Server(tern_bin, tmp_path / "tern", trusted="10.255.255.0/24").start()
    yield srv
    srv.stop()


def send_smtplib(client, msg=MESSAGE):
    client.ehlo("client.test")
    code, resp = client.mail("app@example.org")
    assert code == 250, resp
    code, resp = client.rcpt("bob@example.net")
    assert code == 250, resp
    code, resp = client.data(msg)
    assert code == 250, resp
    return queued_id(resp)


def assert_spooled(server, qid, sent):
    body = server.message(qid)
    # tern adds Received (and Message-ID / Date when missing) in front; the rest is exactly
    # what the client library was given (it dot-stuffs, tern unstuffs)
    assert body.endswith(b"\r\n\r\n" + sent) or body.endswith(sent), body[-300:]
    assert b"\nReceived: from client.test ([127.0.0.1])" in body
    assert f" id {qid}".encode() in body, "Received names the queue id"


def test_smtplib_starttls_auth_plain(server):
    with smtplib.SMTP("127.0.0.1", server.starttls_port, timeout=10) as c:
        c.ehlo("client.test")
        assert c.has_extn("starttls")
        assert not c.has_extn("auth"), "AUTH must not be offered before TLS"
        c.starttls(context=client_context())
        c.ehlo("client.test")
        for ext in ("pipelining", "size", "8bitmime", "smtputf8", "enhancedstatuscodes",
                    "chunking"):
            assert c.has_extn(ext), ext
        c.login("app", PASSWORD, initial_response_ok=True)
        qid = send_smtplib(c)
    assert_spooled(server, qid, MESSAGE)
    logs = server.logs()
    assert "event=tls" in logs and "version=TLSv1.3" in logs
    assert 'event=auth' in logs and 'user="app" result=ok' in logs
    assert f"event=queued" in logs and f"queue_id={qid}" in logs
    assert PASSWORD not in logs
    assert server.proc is not None and server.proc.poll() is None, \
        "tern queue looked at the spool while the server ran"


def test_smtplib_implicit_tls_auth_login(server):
    with smtplib.SMTP_SSL("127.0.0.1", server.tls_port, timeout=10,
                          context=client_context()) as c:
        c.ehlo("client.test")
        c.user, c.password = "app", PASSWORD
        code, resp = c.auth("LOGIN", c.auth_login, initial_response_ok=False)
        assert code == 235, resp
        qid = send_smtplib(c)
    assert_spooled(server, qid, MESSAGE)


def test_swaks_with_starttls_and_auth(server):
    r = subprocess.run(["swaks", "--server", f"127.0.0.1:{server.starttls_port}", "--tls",
                        "--auth", "PLAIN", "--auth-user", "app", "--auth-password", PASSWORD,
                        "--from", "app@example.org", "--to", "carol@example.net",
                        "--helo", "client.test", "--header", "Subject: from swaks"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    qid = queued_id(r.stdout.encode())
    assert b"Subject: from swaks" in server.message(qid)
    assert server.queue_ids().count(qid) == 1


def test_wrong_password_and_missing_auth_are_refused(server):
    with smtplib.SMTP("127.0.0.1", server.starttls_port, timeout=10) as c:
        c.starttls(context=client_context())
        c.ehlo("client.test")
        code, resp = c.mail("app@example.org")
        assert (code, resp[:5]) == (535, b"5.7.0"), resp
        assert b"Authentication required" in resp
        with pytest.raises(smtplib.SMTPAuthenticationError) as e:
            c.login("app", "wrong")
        assert e.value.smtp_code == 535 and b"5.7.8" in e.value.smtp_error
    with smtplib.SMTP("127.0.0.1", server.starttls_port, timeout=10) as c:
        c.starttls(context=client_context())
        with pytest.raises(smtplib.SMTPAuthenticationError) as e:
            c.login("nobody", "wrong")
        assert e.value.smtp_code == 535
    assert "reject" in server.logs()


def test_auth_before_tls_is_refused(server):
    r = Raw(server.starttls_port)
    r.cmd(b"EHLO client.test")
    token = base64.b64encode(b"\0app\0" + PASSWORD.encode())
    assert r.cmd(b"AUTH PLAIN " + token).startswith(b"538 5.7.11")


def test_trusted_networks_submit_without_auth(tern_bin, tmp_path):
    srv = Server(tern_bin, tmp_path / "t", trusted="127.0.0.0/8").start()
    try:
        with smtplib.SMTP("127.0.0.1", srv.plain_port, timeout=10) as c:
            qid = send_smtplib(c)
        assert qid in srv.queue_ids()
        assert "trusted=yes" in srv.logs()
    finally:
        srv.stop()


def test_proxy_protocol_gives_the_real_client(tern_bin, tmp_path):
    srv = Server(tern_bin, tmp_path / "p", trusted="192.0.2.0/24").start()
    try:
        s = socket.create_connection(("127.0.0.1", srv.proxy_port), timeout=10)
        s.sendall(b"PROXY TCP4 192.0.2.55 127.0.0.1 40000 25\r\n")
        r = Raw.__new__(Raw)
        r.s, r.buf = s, b""
        assert r.reply().startswith(b"220 ")
        r.cmd(b"EHLO client.test")
        assert r.cmd(b"MAIL FROM:<a@example.org>").startswith(b"250"), "trusted via PROXY"
        assert "client=192.0.2.55" in srv.logs()
        # a connection without the header is closed
        s2 = socket.create_connection(("127.0.0.1", srv.proxy_port), timeout=10)
        s2.sendall(b"EHLO client.test\r\n")
        assert s2.recv(100) == b""
    finally:
        srv.stop()


SMUGGLING = [b"\n.\n", b"\n.\r\n", b"\r.\r", b"\r\n.\r", b"\r\n.\n", b"\r.\r\n",
             b"\r\r\n.\r\r\n", b"\r\n\x00.\r\n"]


@pytest.mark.parametrize("ending", SMUGGLING, ids=[repr(e) for e in SMUGGLING])
def test_smtp_smuggling_never_makes_a_second_message(tern_bin, tmp_path, ending):
    srv = Server(tern_bin, tmp_path / "s", trusted="127.0.0.0/8").start()
    try:
        r = Raw(srv.plain_port)
        r.cmd(b"EHLO client.test")
        r.send(b"MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n")
        for _ in range(3):
            r.reply()
        r.send(b"From: a@example.org\r\nSubject: first\r\n\r\nfirst" + ending +
               b"MAIL FROM:<evil@example.org>\r\nRCPT TO:<victim@example.net>\r\nDATA\r\n"
               b"Subject: smuggled\r\n\r\nsmuggled\r\n.\r\nQUIT\r\n")
        out = r.read_all()
        ids = srv.queue_ids()
        assert len(ids) <= 1, out
        if ids:
            assert b"smuggled" in srv.message(ids[0])  # one message holding everything
        else:
            assert b"521 5.5.2" in out
    finally:
        srv.stop()


def test_starttls_injection_is_discarded(server):
    s = socket.create_connection(("127.0.0.1", server.starttls_port), timeout=10)
    s.recv(1000)
    s.sendall(b"EHLO client.test\r\n")
    time.sleep(0.3)
    s.recv(1000)
    s.sendall(b"STARTTLS\r\nMAIL FROM:<injected@example.org>\r\n")
    assert s.recv(1000).startswith(b"220 2.0.0")
    tls = client_context().wrap_socket(s, server_hostname="localhost")
    tls.sendall(b"EHLO client.test\r\n")
    data = b""
    while not data.endswith(b"250 CHUNKING\r\n"):
        data += tls.recv(4096)
    assert b"250 2.1.0" not in data and b"535" not in data, data
    tls.sendall(b"MAIL FROM:<a@example.org>\r\n")
    assert tls.recv(1000).startswith(b"535 5.7.0"), "the injected MAIL must not have run"
    tls.close()
    assert "dropped" in server.logs()


def test_overlong_lines_are_refused(server):
    r = Raw(server.plain_port)
    r.cmd(b"EHLO client.test")
    assert r.cmd(b"NOOP " + b"x" * 600).startswith(b"500 5.5.2")
    assert r.cmd(b"MAIL FROM:<" + b"a" * 300 + b"@example.org>").startswith(b"535")
    r.close()
    r = Raw(server.plain_port)
    got, sent = b"", 0
    try:
        for _ in range(160):  # up to 10 MB without a line end, read replies as they come
            r.s.sendall(b"x" * 65536)
            sent += 65536
    except OSError:
        pass
    got += r.read_all()
    # the reply may be lost to the reset that cuts the sender off; the log always has it
    assert b"500 5.5.2" in got or "line too long, closing connection" in server.logs()
    assert sent < 10 * 1024 * 1024, "the server kept reading a line without end"


def test_trickling_client_is_cut_off(server):
    r = Raw(server.plain_port)
    start = time.time()
    try:
        for ch in b"EHLO slowly-but-never-finishing":
            r.send(bytes([ch]))
            time.sleep(1)
            if time.time() - start > 12:
                break
    except OSError:
        pass
    out = r.read_all()
    assert b"421 4.4.2 Timeout waiting for data from client" in out
    assert time.time() - start < 12


def test_junk_pipelined_after_data_is_not_executed(tern_bin, tmp_path):
    srv = Server(tern_bin, tmp_path / "j", trusted="127.0.0.0/8").start()
    try:
        r = Raw(srv.plain_port)
        r.cmd(b"EHLO client.test")
        r.send(b"MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\n"
               b"DATA\r\nFrom: a@example.org\r\n\r\nRCPT TO:<c@example.net>\r\nbody\r\n.\r\n"
               b"QUIT\r\n")
        out = r.read_all()
        assert out.count(b"queued as") == 1
        assert out.endswith(b"221 2.0.0 Bye\r\n")
        ids = srv.queue_ids()
        assert len(ids) == 1 and b"RCPT TO:<c@example.net>" in srv.message(ids[0])
    finally:
        srv.stop()


def test_sigterm_finishes_a_message_in_flight(server):
    idle = Raw(server.plain_port)
    c = smtplib.SMTP("127.0.0.1", server.starttls_port, timeout=10)
    c.starttls(context=client_context())
    c.login("app", PASSWORD)
    c.ehlo("client.test")
    c.mail("app@example.org")
    c.rcpt("bob@example.net")
    c.putcmd("data")
    assert c.getreply()[0] == 354
    c.send(b"From: app@example.org\r\nSubject: in flight\r\n\r\npart one\r\n")
    server.proc.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    assert idle.read_all().startswith(b"421 4.3.2")
    c.send(b"part two\r\n.\r\n")
    code, resp = c.getreply()
    assert code == 250, resp
    assert c.getreply()[0] == 421  # and then the session is closed
    c.close()
    assert server.proc.wait(timeout=10) == 0
    server.proc = None
    server.log.close()
    qid = queued_id(resp)
    assert b"part two" in server.message(qid)


def test_sighup_reloads_the_certificate_without_dropping_sessions(server):
    r = Raw(server.plain_port)
    old = ssl.get_server_certificate(("127.0.0.1", server.tls_port))
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", str(server.dir / "key.pem"),
                    "-out", str(server.dir / "cert.pem"), "-days", "2", "-subj", "/CN=renewed"],
                   check=True, capture_output=True)
    server.proc.send_signal(signal.SIGHUP)
    deadline = time.time() + 5
    while "event=reload result=ok" not in server.logs() and time.time() < deadline:
        time.sleep(0.05)
    new = ssl.get_server_certificate(("127.0.0.1", server.tls_port))
    assert new != old
    assert r.cmd(b"NOOP").startswith(b"250 2.0.0"), "the open session survived the reload"


def _sender(port, stop, acked, errors):
    while not stop.is_set():
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=5) as c:
                while not stop.is_set():
                    code, resp = c.ehlo("load")
                    c.mail("a@example.org")
                    c.rcpt("b@example.net")
                    token = os.urandom(6).hex()
                    code, resp = c.data(b"From: a@example.org\r\nSubject: " + token.encode() +
                                         b"\r\n\r\nx\r\n")
                    if code == 250:
                        acked.append(queued_id(resp))
        except (OSError, smtplib.SMTPException) as e:
            errors.append(repr(e))
            time.sleep(0.05)


def test_sigkill_under_load_loses_nothing_acknowledged(tern_bin, tmp_path):
    srv = Server(tern_bin, tmp_path / "k", trusted="127.0.0.0/8")
    acked, errors = [], []
    for round_ in range(4):
        srv.start()
        stop = threading.Event()
        threads = [threading.Thread(target=_sender, args=(srv.plain_port, stop, acked, errors))
                   for _ in range(4)]
        for t in threads:
            t.start()
        time.sleep(1.0)
        srv.kill()
        stop.set()
        for t in threads:
            t.join(timeout=10)
    ids = srv.queue_ids()
    assert len(acked) > 20, errors[:5]
    missing = set(acked) - set(ids)
    assert not missing, f"{len(missing)} acknowledged messages lost"
    assert len(ids) == len(set(ids)), "a message is in the spool twice"


def _send_big(port, big):
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as c:
        c.ehlo("client.test")
        c.mail("a@example.org")
        c.rcpt("b@example.net")
        try:
            code, resp = c.data(big)
        except smtplib.SMTPDataError as e:
            code, resp = e.smtp_code, e.smtp_error
        return code, resp


def test_full_disk_gets_452_and_recovers(tern_bin, tmp_path):
    mnt = tmp_path / "small"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(mnt)],
                       capture_output=True)
    if r.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root): " + r.stderr.decode())
    try:
        (mnt / "filler").write_bytes(b"\0" * (3 * 1024 * 1024))
        srv = Server(tern_bin, tmp_path / "d", trusted="127.0.0.0/8", spool=mnt / "spool",
                     extra="reserve = 512K\n").start()
        try:
            big = b"From: a@example.org\r\nSubject: big\r\n\r\n" + (b"x" * 998 + b"\r\n") * 700
            acked, refused = [], []
            for _ in range(6):
                code, resp = _send_big(srv.plain_port, big)
                (acked if code == 250 else refused).append((code, resp))
            assert acked, "nothing was accepted before the disk filled"
            assert refused, "the disk never filled"
            assert all(code == 452 and b"4.3.1" in resp for code, resp in refused), refused
            (mnt / "filler").unlink()
            code, resp = _send_big(srv.plain_port, big)
            assert code == 250, resp
            acked.append((code, resp))
            assert "spool_full" in srv.logs() or "spool_error" in srv.logs()
            ids = srv.queue_ids()
            assert {queued_id(resp) for _, resp in acked} == set(ids), "lost or kept wrongly"
        finally:
            srv.stop()
    finally:
        subprocess.run(["umount", "-l", str(mnt)])


def test_deep_pipelining_does_not_stall(server):
    """1,300 pipelined commands in one write: all answered at once, not after a timeout."""
    s = socket.create_connection(("127.0.0.1", server.plain_port), timeout=10)
    try:
        s.recv(512)
        s.sendall(b"EHLO client.test\r\n" + b"NOOP\r\n" * 1300)
        got, t0 = b"", time.monotonic()
        while got.count(b"250 2.0.0") < 1300 and time.monotonic() - t0 < 3:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
        assert got.count(b"250 2.0.0") == 1300, got[-200:]
        assert b"421" not in got
    finally:
        s.close()
