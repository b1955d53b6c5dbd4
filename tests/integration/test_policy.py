"""The sender policy through Python smtplib, as an application meets it: approved senders,
suspension, suppression, quotas (exact under concurrency), per-user limits, connection limits
and the failed-AUTH throttle. Every reply is checked for code, enhanced code and text, and
every admin change is made with the tern CLI while the server runs.
"""
import base64
import json
import smtplib
import socket
import statistics
import threading
import time

import pytest

from server import PASSWORD, Server, client_context, queued_id

MESSAGE = (b"From: <app@example.org>\r\nTo: <bob@example.net>\r\nSubject: policy\r\n"
           b"\r\nHello.\r\n")


def start(tern_bin, tmp_path, name="p", extra="", trusted="127.0.0.0/8", trusted_user="app"):
    policy = f"\n[policy]\ntrusted_user = {trusted_user}\n" if trusted_user else "\n"
    return Server(tern_bin, tmp_path / name, trusted=trusted, extra=policy + extra).start()


@pytest.fixture
def srv(tern_bin, tmp_path):
    s = start(tern_bin, tmp_path)
    yield s
    s.stop()


def plain(server):
    c = smtplib.SMTP("127.0.0.1", server.plain_port, timeout=10)
    c.ehlo("client.test")
    return c


def login(server):
    c = smtplib.SMTP("127.0.0.1", server.starttls_port, timeout=10)
    c.ehlo("client.test")
    c.starttls(context=client_context())
    c.ehlo("client.test")
    c.login("app", PASSWORD)
    return c


def send(c, sender="app@example.org", rcpts=("bob@example.net",), msg=MESSAGE):
    """One transaction; returns (code, text) of the first refusal, or (250, queue id)."""
    code, text = c.mail(sender)
    if code != 250:
        return code, text.decode()
    for r in rcpts:
        code, text = c.rcpt(r)
        if code >= 400:
            c.rset()
            return code, text.decode()
    code, text = c.data(msg)
    if code != 250:
        return code, text.decode()
    return 250, queued_id(text)


def test_mail_from_must_be_an_approved_sender(srv):
    with login(srv) as c:
        code, text = c.mail("other@example.com")
        assert (code, text) == (535, b"5.7.1 Authorization failed: address "
                                     b"<other@example.com> not authorized")
        # approving it while the server runs takes effect at once
        srv.tern("sender", "add", "app", "other@example.com")
        assert c.mail("other@example.com")[0] == 250
        c.rset()
        srv.tern("sender", "remove", "app", "other@example.com")
        assert c.mail("other@example.com")[0] == 535
        out = json.loads(srv.tern("sender", "list", "app", "--json").stdout)
        assert out == {"user": "app", "senders": ["@example.org"]}


def test_invalid_addresses_get_553_5_1_3(srv):
    with plain(srv) as c:
        assert c.docmd("MAIL FROM:<not an address>") == (
            553, b"5.1.3 <not an address> Invalid email address")
        assert c.mail("app@example.org")[0] == 250
        assert c.docmd("RCPT TO:<bob@@example.net>") == (
            553, b"5.1.3 <bob@@example.net> Invalid email address")


def test_suspended_user_logs_in_and_learns_why(srv):
    srv.tern("user", "suspend", "app")
    with login(srv) as c:  # the password still works
        assert c.mail("app@example.org") == (554, b"5.7.1 Account suspended")
        srv.tern("user", "resume", "app")
        assert c.mail("app@example.org")[0] == 250


def test_suppressed_recipient_is_accepted_and_left_out(srv):
    srv.tern("suppress", "add", "gone@example.net", "--reason", "bounce")
    with plain(srv) as c:
        c.mail("app@example.org")
        assert c.rcpt("gone@example.net") == (
            250, b"2.1.5 <gone@example.net> suppressed (bounce): accepted, will not be "
                 b"delivered")
        assert c.rcpt("bob@example.net")[0] == 250
        code, text = c.data(MESSAGE)
        assert code == 250
    qid = queued_id(text)
    shown = srv.tern("queue", "show", qid).stdout
    assert "to:         <bob@example.net>" in shown
    assert "gone@example.net" not in shown
    assert "event=suppressed" in srv.logs() and "rcpt=gone@example.net" in srv.logs()
    listed = json.loads(srv.tern("suppress", "list", "--json").stdout)
    assert [e["address"] for e in listed] == ["gone@example.net"]
    assert listed[0]["reason"] == "bounce"


@pytest.mark.parametrize("mode,reply", [
    ("254", (254, b"4.7.1 Suppression for user <app> to <gone@example.net>")),
    ("reject", (550, b"5.1.1 <gone@example.net> is on the suppression list (manual)")),
])
def test_suppression_reply_modes(tern_bin, tmp_path, mode, reply):
    s = start(tern_bin, tmp_path, extra=f"suppression_reply = {mode}\n")
    try:
        s.tern("suppress", "add", "gone@example.net")
        with plain(s) as c:
            c.mail("app@example.org")
            assert c.rcpt("gone@example.net") == reply
            s.tern("suppress", "remove", "gone@example.net")
            assert c.rcpt("gone@example.net")[0] == 250
    finally:
        s.stop()


def test_per_minute_quota_is_exact_under_concurrency(tern_bin, tmp_path):
    """100 parallel sessions against a per-minute limit of 500: exactly 500 get through."""
    s = start(tern_bin, tmp_path, extra="\n[limits]\nper_minute = 500\n")
    accepted, refused, errors = [], [], []
    lock = threading.Lock()

    def worker():
        try:
            with plain(s) as c:
                while True:
                    code, text = send(c)
                    with lock:
                        (accepted if code == 250 else refused).append((code, text))
                    if code != 250:
                        return
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(repr(e))

    try:
        t0 = time.monotonic()
        threads = [threading.Thread(target=worker) for _ in range(100)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        took = time.monotonic() - t0
        assert not errors, errors[:3]
        assert took < 55, "the run must fit in one minute for the count to mean anything"
        assert len(accepted) == 500
        assert len(refused) == 100
        assert all(r == (455, "4.7.0 Maximum messages sent per minute reached : limit is 500")
                   for r in refused), refused[:3]
        assert len(s.queue_ids()) == 500
    finally:
        s.stop()


def test_own_limits_day_hour_domain_recipients_size(srv):
    srv.tern("limits", "set", "app", "per_day=3", "max_recipients=2", "max_message_size=2000")
    with plain(srv) as c:
        assert send(c, rcpts=("a@example.net", "b@example.net", "c@example.net")) == (
            452, "4.5.3 Error: too many recipients")
        assert c.docmd("MAIL FROM:<app@example.org> SIZE=5000") == (
            552, b"5.3.4 Exceeds byte limit")
        big = MESSAGE + b"x" * 3000 + b"\r\n"
        assert send(c, msg=big) == (552, "5.3.4 Exceeds byte limit")
        for _ in range(3):
            assert send(c)[0] == 250
        assert send(c) == (455, "4.7.0 Maximum messages sent per day reached : limit is 3")
    time.sleep(1.5)  # the server writes its counts every second
    shown = json.loads(srv.tern("limits", "show", "app", "--json").stdout)
    assert shown["limits"]["per_day"] == {"limit": 3, "own": True, "used": 3, "remaining": 0}
    srv.tern("limits", "set", "app", "per_day=default", "per_hour=1")
    with plain(srv) as c:
        assert send(c) == (450, "4.7.1 Hourly sending quota exceeded")
    srv.tern("limits", "set", "app", "per_hour=0", "domain_per_hour=3")
    with plain(srv) as c:
        assert send(c) == (450, "4.7.1 Hourly domain sending quota exceeded")
        srv.tern("sender", "add", "app", "@example.com")
        assert send(c, sender="app@example.com",
                    msg=MESSAGE.replace(b"example.org", b"example.com"))[0] == 250


def test_limits_cli_errors_are_clear(srv):
    r = srv.tern("limits", "set", "nobody", "per_day=3", check=False)
    assert r.returncode == 1 and "no such user" in r.stderr
    r = srv.tern("limits", "set", "app", "per_year=3", check=False)
    assert r.returncode == 2 and "per_year=3" in r.stderr
    r = srv.tern("sender", "add", "app", "not an address", check=False)
    assert r.returncode == 2 and "neither an address" in r.stderr
    r = srv.tern("suppress", "add", "x@example.net", "--reason", "dislike", check=False)
    assert r.returncode == 2 and "manual, bounce, complaint, unsubscribe" in r.stderr


def test_connections_per_client_address(tern_bin, tmp_path):
    s = start(tern_bin, tmp_path, extra="\n[limits]\nmax_connections_per_ip = 3\n")
    socks = []
    time.sleep(0.3)  # the start-up probe's connection must be gone before counting
    try:
        for _ in range(3):
            k = socket.create_connection(("127.0.0.1", s.plain_port), timeout=5)
            assert k.recv(512).startswith(b"220 ")
            socks.append(k)
        k = socket.create_connection(("127.0.0.1", s.plain_port), timeout=5)
        assert k.recv(512) == b"421 4.7.0 Too many connections, try again later\r\n"
        k.close()
        # another address is not affected
        k = socket.create_connection(("127.0.0.1", s.plain_port), timeout=5,
                                     source_address=("127.0.0.2", 0))
        assert k.recv(512).startswith(b"220 ")
        socks.append(k)
        socks.pop(0).close()
        time.sleep(0.2)
        k = socket.create_connection(("127.0.0.1", s.plain_port), timeout=5)
        assert k.recv(512).startswith(b"220 "), "a closed session frees its place"
        socks.append(k)
    finally:
        for k in socks:
            k.close()
        s.stop()


def _tls_session(port, source):
    """A session from `source` with TLS up, or the refusal at connect as (code, text)."""
    try:
        c = smtplib.SMTP("127.0.0.1", port, timeout=10, source_address=(source, 0))
    except smtplib.SMTPConnectError as e:
        return None, (e.smtp_code, e.smtp_error)
    c.ehlo("brute.test")
    c.starttls(context=client_context())
    c.ehlo("brute.test")
    return c, None


def _fail_logins(port, source, attempts):
    """Wrong passwords until `attempts` are spent; returns the replies that ended sessions."""
    ends = []
    while attempts > 0:
        c, refused = _tls_session(port, source)
        if refused:
            ends.append(refused)
            return ends
        try:
            while attempts > 0:
                attempts -= 1
                code, text = c.docmd("AUTH PLAIN", "AGFwcAB3cm9uZw==")  # app / wrong
                if code != 535:
                    ends.append((code, text))
                    break
        finally:
            c.close()
    return ends


def test_brute_force_is_throttled_per_address(tern_bin, tmp_path):
    s = start(tern_bin, tmp_path, trusted="", trusted_user="",
              extra="\n[limits]\nauth_failures_per_ip = 20\n")
    try:
        ends = _fail_logins(s.starttls_port, "127.0.0.1", 50)
        # sessions close after 3 failures; after 20 the address is refused at connect
        assert (421, b"4.7.0 Too many auth failures, try again later") in ends
        assert ends[-1] == (421, b"4.7.0 Too many auth failures, try again later")
        k = socket.create_connection(("127.0.0.1", s.starttls_port), timeout=5)
        assert k.recv(512) == b"421 4.7.0 Too many auth failures, try again later\r\n"
        k.close()
        # the right password from another address works
        c, refused = _tls_session(s.starttls_port, "127.0.0.2")
        assert refused is None, refused
        assert c.login("app", PASSWORD)[0] == 235
        c.quit()
        assert "event=auth_throttle" in s.logs()
    finally:
        s.stop()


def test_unknown_user_and_wrong_password_take_the_same_time(srv):
    def timed(user):
        c, refused = _tls_session(srv.starttls_port, "127.0.0.3")
        assert refused is None, refused
        with c:
            token = base64.b64encode(b"\0" + user.encode() + b"\0wrong-password").decode()
            t0 = time.perf_counter()
            code, _ = c.docmd("AUTH PLAIN", token)
            took = time.perf_counter() - t0
            assert code == 535
            return took

    unknown, wrong = [], []
    for _ in range(6):
        unknown.append(timed("nobody"))
        wrong.append(timed("app"))
    a, b = statistics.median(unknown), statistics.median(wrong)
    assert abs(a - b) < 0.5 * max(a, b), (unknown, wrong)


def _data(c, msg, sender="app@example.org"):
    assert c.mail(sender)[0] == 250
    assert c.rcpt("bob@example.net")[0] == 250
    code, text = c.data(msg)
    return code, text.decode()


def test_header_from_must_name_the_sender(srv):
    with plain(srv) as c:
        assert _data(c, b"From: other@example.org\r\n\r\nx\r\n") == (
            553, "5.7.1 Sender address rejected: header From <other@example.org> does not "
                 "match envelope sender <app@example.org>; use the same address in both")
        assert _data(c, b"From: A <app@example.org>, B <b@example.org>\r\n\r\nx\r\n") == (
            553, "5.7.1 Sender address rejected: header From must hold exactly one mailbox, "
                 "it holds 2")
        assert _data(c, b"From: Undisclosed:;\r\n\r\nx\r\n")[0] == 553
        assert _data(c, b"From: App <app@example..org>\r\n\r\nx\r\n") == (
            553, "5.1.3 <App <app@example..org>> Invalid email address in header From: "
                 "not a valid address")
        assert _data(c, b"From: \"App (the app)\" <APP@Example.ORG>\r\n\r\nx\r\n")[0] == 250
        assert _data(c, b"From: app@example.org\r\nSender: ops@example.com\r\n\r\nx\r\n") == (
            553, "5.7.1 Sender address rejected: header Sender <ops@example.com> not "
                 "authorized; approve it or remove the field")
        assert _data(c, b"From: app@example.org\r\nSender: ops@example.org\r\n\r\nx\r\n"
                     )[0] == 250


def test_several_from_mailboxes_when_allowed(tern_bin, tmp_path):
    s = start(tern_bin, tmp_path, extra="allow_multiple_from = yes\n")
    try:
        with plain(s) as c:
            assert _data(c, b"From: a@example.org, b@example.org\r\n\r\nx\r\n")[0] == 250
            assert _data(c, b"From: a@example.org, b@example.com\r\n\r\nx\r\n") == (
                553, "5.7.1 Sender address rejected: header From <b@example.com> not "
                     "authorized; approve it first (tern sender add)")
    finally:
        s.stop()


def test_malformed_messages_and_loops_get_554(srv):
    with plain(srv) as c:
        assert _data(c, b"just a body, no header\r\n") == (
            554, "5.6.0 Message parse error: no header section; a message starts with fields "
                 "such as From: and Subject:, then an empty line")
        assert _data(c, b"Subject: no from\r\n\r\nx\r\n") == (
            554, "5.6.0 Message parse error: no From field; add one naming the sender")
        huge = b"From: app@example.org\r\n" + b"X-Pad: " + b"y" * 900 + b"\r\n"
        assert _data(c, huge * 300 + b"\r\nx\r\n") == (
            554, "5.6.0 Message parse error: header section larger than 262144 bytes")
        hop = b"Received: from a by b; Mon, 23 Nov 2026 10:00:00 +0000\r\n"
        assert _data(c, hop * 51 + b"From: app@example.org\r\n\r\nx\r\n") == (
            554, "5.4.6 Too many hops, mail loop detected")
        assert _data(c, hop * 50 + b"From: app@example.org\r\n\r\nx\r\n")[0] == 250


def test_suppression_import_export_and_filters(srv, tmp_path):
    csv = tmp_path / "in.csv"
    csv.write_text("address,reason,source,created,expires\n"
                   "A@Example.net,bounce,\"mta, relay 1\",1767225600,0\n"
                   "b@example.net,complaint,fbl,1767312000,0\n"
                   "c@example.net,,,,\n")
    assert "3 entries imported" in srv.tern("suppress", "import", str(csv)).stdout
    out = srv.tern("suppress", "export").stdout.splitlines()
    assert out[0] == "address,reason,source,created,expires"
    assert out[1] == 'a@example.net,bounce,"mta, relay 1",1767225600,0'
    assert len(out) == 4
    listed = json.loads(srv.tern("suppress", "list", "--reason", "complaint", "--json").stdout)
    assert [e["address"] for e in listed] == ["b@example.net"]
    listed = json.loads(srv.tern("suppress", "list", "--since", "2026-01-02", "--until",
                                 "2026-01-03", "--json").stdout)
    assert [e["address"] for e in listed] == ["b@example.net"]
    # one bad line: nothing at all is imported, and the line is named
    bad = tmp_path / "bad.csv"
    bad.write_text("d@example.net,bounce\nnot-an-address,bounce\n")
    r = srv.tern("suppress", "import", str(bad), check=False)
    assert r.returncode == 1 and "bad.csv:2: the first field is not an email address" in r.stderr
    assert "d@example.net" not in srv.tern("suppress", "export").stdout


def test_rcpt_stays_fast_with_a_million_suppressed(srv, tmp_path):
    csv = tmp_path / "million.csv"
    with open(csv, "w") as f:
        f.write("address,reason,source,created,expires\n")
        for i in range(1_000_000):
            f.write(f"user{i}@bulk{i % 1000}.example,bounce,test,1767225600,0\n")
    t0 = time.monotonic()
    srv.tern("suppress", "import", str(csv))
    print(f"imported 1,000,000 entries in {time.monotonic() - t0:.1f} s")
    s = socket.create_connection(("127.0.0.1", srv.plain_port), timeout=10)
    f = s.makefile("rb")
    f.readline()
    s.sendall(b"EHLO t.test\r\n")
    while not f.readline().startswith(b"250 "):
        pass
    s.sendall(b"MAIL FROM:<app@example.org>\r\n")
    assert f.readline().startswith(b"250 ")
    times, suppressed = [], 0
    for i in range(400):
        rcpt = f"user{i * 2477}@bulk{(i * 2477) % 1000}.example" if i % 2 else f"x{i}@ok.example"
        t = time.perf_counter()
        s.sendall(f"RCPT TO:<{rcpt}>\r\n".encode())
        line = f.readline()
        times.append(time.perf_counter() - t)
        assert line.startswith(b"250 2.1.5"), line
        suppressed += b"suppressed (bounce)" in line
        if i % 40 == 39:
            s.sendall(b"RSET\r\nMAIL FROM:<app@example.org>\r\n")
            f.readline(), f.readline()
    s.close()
    assert suppressed == 200
    times.sort()
    median, p99 = times[len(times) // 2], times[int(len(times) * 0.99)]
    print(f"RCPT with 1,000,000 suppressed: median {median * 1e6:.0f} us, p99 {p99 * 1e6:.0f} us")
    assert median < 0.001 and p99 < 0.005, (median, p99)


def test_credential_rotation_and_cli_help(srv):
    out = srv.tern("credential", "add", "app").stdout
    new_pw = out.split("password ")[1].split()[0]
    creds = json.loads(srv.tern("credential", "list", "app", "--json").stdout)["credentials"]
    assert len(creds) == 2
    for pw in (PASSWORD, new_pw):  # both work during the rotation
        with smtplib.SMTP("127.0.0.1", srv.starttls_port, timeout=10) as c:
            c.starttls(context=client_context())
            assert c.login("app", pw)[0] == 235
    srv.tern("credential", "revoke", "app", str(creds[0]["id"]))
    with smtplib.SMTP("127.0.0.1", srv.starttls_port, timeout=10) as c:
        c.starttls(context=client_context())
        with pytest.raises(smtplib.SMTPAuthenticationError):
            c.login("app", PASSWORD)
    r = srv.tern("credential", "revoke", "app", "99999", check=False)
    assert r.returncode == 1 and "no such user or credential" in r.stderr
    users = json.loads(srv.tern("user", "list", "--json").stdout)
    assert users[0]["user"] == "app" and users[0]["credentials"] == 1
    for cmd in ("user", "credential", "sender", "suppress", "limits", "queue", "serve",
                "explain"):
        r = srv.tern(cmd, "--help")
        assert r.stdout.startswith("usage: tern " + cmd), cmd
