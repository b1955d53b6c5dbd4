"""Operating the delivery engine: what an operator does to a running (or stopped) tern and what
they see. tern is SIGKILLed in the middle of deliveries and nothing accepted is lost; `tern queue`
holds, releases, retries and deletes messages, with and without a running server; a hold
survives a restart; a sender gets one delay notice; `tern events` filters; and a real Postfix
takes tern's mail.
"""
import os
import re
import shutil
import smtplib
import subprocess
import tempfile
import threading
import time

import pytest

from deliver_env import parse_bounce, world  # noqa: F401 - world is a fixture


# ---- helpers --------------------------------------------------------------------------------

def wait(pred, timeout=15, what="condition", srv=None):
    """Polls pred() until it is true; the tern log tail goes with the failure."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.1)
    log = srv.logs()[-4000:] if srv is not None else ""
    raise AssertionError(f"timed out after {timeout}s waiting for {what}\n{log}")


def tern(world, *args):
    """`tern ARGS -c CONF` as an operator types it: (exit code, stdout, stderr)."""
    r = world.srv.tern(*args, check=False)
    return r.returncode, r.stdout, r.stderr


def events_of(world, qid, status=None):
    evs = world.events("--id", qid)
    return [e for e in evs if status is None or e["status"] == status]


def deferred_attempts(world, qid, rcpt):
    return [e["attempt"] for e in events_of(world, qid, "deferred") if e["recipient"] == rcpt]


def seq_body(n, sender="app@example.org", rcpt="someone@dest.test"):
    return (f"From: {sender}\r\nTo: {rcpt}\r\nSubject: crash test {n}\r\nX-Test-Seq: {n}\r\n"
            f"Message-ID: <seq-{n}@example.org>\r\n\r\nmessage number {n}\r\n").encode()


def seq_of(data):
    m = re.search(rb"^X-Test-Seq: (\d+)\r$", data, re.M)
    return int(m.group(1)) if m else None


class Gate:
    """A Target rcpt_script: 451 for every recipient while closed, the usual roles when open."""

    def __init__(self):
        self.open = False

    def __call__(self, rcpt, mail_from):
        return None if self.open else "451 4.3.0 Try again later"


# ---- 1. crash safety ------------------------------------------------------------------------

class Submitter:
    """Submits `count` messages (one to ok-N@dest.test each) from `threads` threads, in the
    background, through tern's deaths and restarts. A message whose DATA got a 250 is in
    `accepted`; one whose connection broke after DATA began is in `unknown` (tern may or may
    not have it) and is not sent again; one refused before DATA (tern down) is tried again."""

    def __init__(self, world, count, threads, pause=0.05):
        self.world, self.pause = world, pause
        self.accepted, self.unknown, self.lock = set(), set(), threading.Lock()
        numbers = list(range(count))
        self.threads = [threading.Thread(target=self._work, args=(numbers[i::threads],),
                                         daemon=True) for i in range(threads)]
        for t in self.threads:
            t.start()

    def _work(self, mine):
        deadline = time.time() + 60
        for n in mine:
            while time.time() < deadline:
                in_data = False
                try:
                    with smtplib.SMTP("127.0.0.1", self.world.srv.plain_port, timeout=20) as c:
                        c.ehlo("client.test")
                        c.mail("app@example.org")
                        code, _ = c.rcpt(f"ok-{n}@dest.test")
                        assert code == 250, code
                        in_data = True
                        code, _ = c.data(seq_body(n, rcpt=f"ok-{n}@dest.test"))
                        assert code == 250, code
                    with self.lock:
                        self.accepted.add(n)
                    break
                except (OSError, smtplib.SMTPException):
                    if in_data:
                        with self.lock:
                            self.unknown.add(n)
                        break
                    time.sleep(0.1)  # tern is down: try this one again
            time.sleep(self.pause)

    def done(self):
        return not any(t.is_alive() for t in self.threads)

    def join(self, timeout=60):
        for t in self.threads:
            t.join(timeout)
        assert self.done(), "the submitting threads did not finish"


def test_sigkill_during_submissions_and_deliveries_loses_nothing(world):
    mx = world.target("127.0.0.2", data_reply_delay=0.15)
    world.start(delivery="per_destination = 5")
    t0 = time.time()
    sub = Submitter(world, 200, 10)

    # kill 1: messages still coming in, deliveries in flight
    wait(lambda: len(sub.accepted) >= 60 and len(mx.messages) >= 10, timeout=20,
         what="submissions and deliveries under way", srv=world.srv)
    assert not sub.done(), "every submission finished before the first kill"
    kills = [(len(sub.accepted), len(mx.messages))]
    world.srv.kill()
    time.sleep(0.3)  # the target finishes what it had: those are the duplicates to come
    world.srv.start()
    sub.join()

    # kill 2: everything submitted, deliveries in flight
    before = len(mx.messages)
    mx.wait_until(lambda: len(mx.messages) >= before + 25, timeout=20,
                  what="deliveries before the second kill")
    assert len({seq_of(m.data) for m in mx.messages}) < len(sub.accepted), \
        "everything was delivered before the second kill; slow the target"
    kills.append((len(sub.accepted), len(mx.messages)))
    world.srv.kill()
    time.sleep(0.3)
    world.srv.start()

    accepted = sub.accepted
    assert len(accepted) + len(sub.unknown) == 200
    assert len(accepted) >= 150, f"only {len(accepted)} of 200 submissions got a 250"
    wait(lambda: accepted <= {seq_of(m.data) for m in mx.messages}, timeout=40,
         what="every accepted message at the target", srv=world.srv)
    seqs = [seq_of(m.data) for m in mx.messages]
    assert None not in seqs
    assert set(seqs) <= accepted | sub.unknown, "nothing arrives that was not submitted"
    dups = sorted(n for n in set(seqs) if seqs.count(n) > 1)
    print(f"\ncrash test: killed at (accepted, arrived) {kills}; {len(accepted)} accepted, "
          f"{len(sub.unknown)} cut off in DATA ({sorted(sub.unknown)}, of which "
          f"{len(sub.unknown & set(seqs))} arrived); {len(seqs)} deliveries; duplicates "
          f"({len(dups)}): {dups}; {time.time() - t0:.1f}s")
    for m in mx.messages:  # a redelivered message is still the same message
        n = seq_of(m.data)
        assert m.rcpt_tos == [f"ok-{n}@dest.test"]
        assert m.data.endswith(seq_body(n, rcpt=f"ok-{n}@dest.test"))
    wait(lambda: world.queue_ids() == [], timeout=15, what="an empty spool", srv=world.srv)


# ---- 2. queue commands while running --------------------------------------------------------

def test_queue_actions_on_a_running_server(world):
    world.target("127.0.0.2")
    sender_mx = world.target("127.0.0.9")  # where a bounce would go: it must get none
    world.start(delivery="retry_schedule = 1h")
    qid = world.send(["temp-a@dest.test"])
    wait(lambda: deferred_attempts(world, qid, "temp-a@dest.test") == [1], srv=world.srv,
         what="the first deferral")

    rc, out, _ = tern(world, "queue", "list")
    assert rc == 0 and re.search(rf"^{qid}\s.*<app@example.org>$", out, re.M), out
    assert "1 message" in out

    rc, out, err = tern(world, "queue", "hold", qid)
    assert (rc, out.strip()) == (0, "1 message held"), err
    held = events_of(world, qid, "held")
    assert len(held) == 1 and held[0]["reply"] == "held by an operator"
    rc, out, err = tern(world, "queue", "release", qid)
    assert (rc, out.strip()) == (0, "1 message released"), err
    assert len(events_of(world, qid, "released")) == 1

    # retry: another attempt at once, though the schedule says in an hour
    t = time.time()
    rc, out, err = tern(world, "queue", "retry", qid)
    assert (rc, out.strip()) == (0, "1 message to be tried now"), err
    wait(lambda: deferred_attempts(world, qid, "temp-a@dest.test") == [1, 2], timeout=5,
         srv=world.srv, what="attempt 2 after 'tern queue retry ID'")
    assert time.time() - t < 5
    for sel in (["--domain", "dest.test"], ["--rcpt", "temp-a@dest.test"], ["--all"]):
        n = len(deferred_attempts(world, qid, "temp-a@dest.test"))
        rc, out, err = tern(world, "queue", "retry", *sel)
        assert (rc, out.strip()) == (0, "1 message to be tried now"), (sel, err)
        wait(lambda: len(deferred_attempts(world, qid, "temp-a@dest.test")) == n + 1,
             timeout=5, srv=world.srv, what=f"another attempt after retry {sel}")
    assert deferred_attempts(world, qid, "temp-a@dest.test") == [1, 2, 3, 4, 5]

    # a selector that matches nothing is an error the operator notices
    for sel in (["--domain", "nowhere.test"], ["--rcpt", "ok-a@dest.test"], ["0NOSUCHID00"]):
        rc, out, _ = tern(world, "queue", "retry", *sel)
        assert rc == 1 and out.strip() == "0 messages to be tried now", (sel, out)
    rc, _, _ = tern(world, "queue", "hold", "--domain", "nowhere.test")
    assert rc == 1

    rc, out, err = tern(world, "queue", "delete", qid)
    assert (rc, out.strip()) == (0, "1 message deleted"), err
    wait(lambda: qid not in world.queue_ids(), timeout=5, srv=world.srv,
         what="the deleted message leaving the spool")
    deleted = events_of(world, qid, "deleted")
    assert len(deleted) == 1 and deleted[0]["reply"] == "deleted by an operator"
    rc, out, _ = tern(world, "events", "--id", qid, "--status", "deleted")
    assert rc == 0 and f"{qid}: from=<" in out, out
    assert "status=deleted (deleted by an operator)" in out
    time.sleep(1.5)
    assert not sender_mx.messages and sender_mx.connections == 0, "a deletion sends no bounce"
    assert "event=bounce " not in world.srv.logs()
    rc, out, _ = tern(world, "queue", "show", qid)
    assert rc != 0


def test_operator_events_name_the_messages_sender(world):
    world.target("127.0.0.2")
    world.start(delivery="retry_schedule = 1h")
    qid = world.send(["temp-a@dest.test"])
    wait(lambda: deferred_attempts(world, qid, "temp-a@dest.test") == [1], srv=world.srv,
         what="the first deferral")
    for verb in ("hold", "release", "delete"):
        assert tern(world, "queue", verb, qid)[0] == 0
    wait(lambda: events_of(world, qid, "deleted"), timeout=5, srv=world.srv,
         what="the deleted event")
    rc, out, _ = tern(world, "events", "--id", qid)
    for status in ("held", "released", "deleted"):
        evs = events_of(world, qid, status)
        assert [e["sender"] for e in evs] == ["app@example.org"], (status, evs)
        assert re.search(rf"{qid}: from=<app@example\.org>.*status={status} ", out), out


# ---- 3. hold survives a restart -------------------------------------------------------------

def test_hold_survives_a_restart(world):
    gate = Gate()
    mx = world.target("127.0.0.2", rcpt_script=gate)
    world.start(delivery="retry_schedule = 1h")
    qid = world.send(["ok-a@dest.test"])
    wait(lambda: deferred_attempts(world, qid, "ok-a@dest.test") == [1], srv=world.srv,
         what="the first deferral")
    rc, out, err = tern(world, "queue", "hold", qid)
    assert (rc, out.strip()) == (0, "1 message held"), err
    assert world.srv.stop() == 0
    gate.open = True  # the target takes it now: only the hold keeps it back
    conns = mx.connections
    world.srv.start()
    time.sleep(3)
    assert not mx.messages and mx.connections == conns, "a held message is not tried"
    assert qid in world.queue_ids()
    assert re.search(r"delivery_started.*held=1", world.srv.logs())

    rc, out, err = tern(world, "queue", "release", qid)
    assert (rc, out.strip()) == (0, "1 message released"), err
    msg = mx.wait_for(1, timeout=10)[0]
    assert msg.rcpt_tos == ["ok-a@dest.test"]
    world.wait_events(lambda e: world.status_of(e, "ok-a@dest.test") == "delivered")
    wait(lambda: qid not in world.queue_ids(), timeout=10, srv=world.srv, what="empty spool")


# ---- 4. offline actions ---------------------------------------------------------------------

def test_actions_without_a_running_server(world):
    gate = Gate()
    mx = world.target("127.0.0.2", rcpt_script=gate)
    sender_mx = world.target("127.0.0.9")
    world.start(delivery="retry_schedule = 1h")
    gone = world.send(["ok-a@dest.test"])
    kept = world.send(["ok-b@dest.test"])
    wait(lambda: deferred_attempts(world, gone, "ok-a@dest.test") == [1]
         and deferred_attempts(world, kept, "ok-b@dest.test") == [1], srv=world.srv,
         what="both deferred")
    assert world.srv.stop() == 0

    rc, out, err = tern(world, "queue", "delete", gone)
    assert (rc, out.strip()) == (0, "1 message deleted (no server running)"), err
    assert gone not in world.queue_ids() and kept in world.queue_ids()
    assert len(events_of(world, gone, "deleted")) == 1
    rc, out, err = tern(world, "queue", "retry", "--all")
    assert rc == 0, err
    assert out.strip() == "no server is running: every queued message is tried when it starts"
    rc, out, _ = tern(world, "queue", "delete", "--domain", "nowhere.test")
    assert rc == 1 and "0 messages deleted" in out

    gate.open = True
    world.srv.start()
    msg = mx.wait_for(1, timeout=10)[0]
    assert msg.rcpt_tos == ["ok-b@dest.test"], "the kept message goes at start"
    world.wait_events(lambda e: world.status_of(e, "ok-b@dest.test") == "delivered")
    time.sleep(1)
    assert len(mx.messages) == 1, "the deleted one never"
    assert world.status_of(world.events("--id", gone), "ok-a@dest.test") == "deferred"
    assert not sender_mx.messages, "a deletion sends no bounce"
    wait(lambda: world.queue_ids() == [], timeout=10, srv=world.srv, what="empty spool")


# ---- 5. delay notice ------------------------------------------------------------------------

def test_one_delay_notice_while_retrying(world):
    world.target("127.0.0.2")
    sender_mx = world.target("127.0.0.9")
    world.start(delivery="delay_warning = 2s")  # retry_schedule = 1s from the world
    qid = world.send(["temp-a@dest.test"])
    notice = sender_mx.wait_for(1, timeout=15)[0]
    assert notice.mail_from == "" and notice.rcpt_tos == ["app@example.org"]
    msg, rcpts = parse_bounce(notice.data)
    assert len(rcpts) == 1
    r = rcpts[0]
    assert r["Final-Recipient"].split(";")[1].strip() == "temp-a@dest.test"
    assert r["Action"] == "delayed"
    assert re.fullmatch(r"4\.\d{1,3}\.\d{1,3}", r["Status"]), r["Status"]
    assert "Will-Retry-Until" in r
    assert "451" in r.get("Diagnostic-Code", ""), r
    assert qid in msg.get_payload()[0].get_payload(decode=True).decode()
    # tern keeps trying, and later deferrals send no second notice
    n = len(deferred_attempts(world, qid, "temp-a@dest.test"))
    wait(lambda: len(deferred_attempts(world, qid, "temp-a@dest.test")) >= n + 3, timeout=15,
         srv=world.srv, what="three more attempts after the notice")
    time.sleep(0.5)
    assert len(sender_mx.messages) == 1, "exactly one delay notice"
    assert len(events_of(world, qid, "delayed")) == 1
    assert qid in world.queue_ids()


def test_no_second_delay_notice_after_a_restart(world):
    world.target("127.0.0.2")
    sender_mx = world.target("127.0.0.9")
    world.start(delivery="delay_warning = 2s")
    qid = world.send(["temp-a@dest.test"])
    sender_mx.wait_for(1, timeout=15)
    wait(lambda: len(events_of(world, qid, "delayed")) == 1, timeout=5, srv=world.srv,
         what="the delayed event")
    assert world.srv.stop() == 0
    world.srv.start()
    n = len(deferred_attempts(world, qid, "temp-a@dest.test"))
    wait(lambda: len(deferred_attempts(world, qid, "temp-a@dest.test")) >= n + 2, timeout=15,
         srv=world.srv, what="two more attempts after the restart")
    time.sleep(0.5)
    assert len(sender_mx.messages) == 1, "a restart sends no second delay notice"
    assert len(events_of(world, qid, "delayed")) == 1


# ---- 6. tern events filters -----------------------------------------------------------------

def test_events_filters_after_a_real_run(world):
    world.dns.zones["other.test"] = {"MX": [(10, "mx.dest.test")]}
    world.target("127.0.0.2")
    world.target("127.0.0.9")
    world.start(delivery="retry_schedule = 1h")
    q1 = world.send(["ok-a@dest.test", "perm-b@dest.test", "temp-c@dest.test"])
    q2 = world.send(["ok-d@other.test"])
    wait(lambda: world.status_of(world.events(), "ok-a@dest.test") == "delivered"
         and world.status_of(world.events(), "perm-b@dest.test") == "bounced"
         and world.status_of(world.events(), "temp-c@dest.test") == "deferred"
         and world.status_of(world.events(), "ok-d@other.test") == "delivered",
         srv=world.srv, what="delivered, bounced, deferred")

    bounced = world.events("--status", "bounced")
    assert [(e["queue_id"], e["recipient"]) for e in bounced] == [(q1, "perm-b@dest.test")]
    assert bounced[0]["dsn"] == "5.1.1" and bounced[0]["category"] == "user_unknown"
    assert {e["recipient"] for e in world.events("--status", "delivered")} >= {
        "ok-a@dest.test", "ok-d@other.test"}
    assert [e["recipient"] for e in world.events("--status", "deferred")] == ["temp-c@dest.test"]

    by_rcpt = world.events("--rcpt", "OK-A@dest.test")
    assert by_rcpt and {e["recipient"] for e in by_rcpt} == {"ok-a@dest.test"}
    by_domain = world.events("--domain", "dest.test")
    assert {e["recipient"] for e in by_domain} == {
        "ok-a@dest.test", "perm-b@dest.test", "temp-c@dest.test"}
    assert {e["recipient"] for e in world.events("--domain", "other.test")} == {"ok-d@other.test"}
    by_id = world.events("--id", q2)
    assert by_id and {e["queue_id"] for e in by_id} == {q2}
    assert q1 not in {e["queue_id"] for e in by_id}
    everything = world.events()
    assert len(world.events("--since", "1h")) == len(everything)
    assert world.events("--until", "1h") == []
    assert world.events("--id", q1, "--status", "delivered")[0]["recipient"] == "ok-a@dest.test"

    rc, out, err = tern(world, "events", "--id", q1, "--rcpt", "ok-a@dest.test")
    assert rc == 0, err
    line = [ln for ln in out.splitlines() if "status=delivered" in ln]
    assert len(line) == 1, out
    assert re.fullmatch(
        rf"\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\dZ {q1}: to=<ok-a@dest\.test>, "
        r"relay=mx\.dest\.test\[127\.0\.0\.2\], delay=\d+\.\ds, dsn=2\.0\.0, "
        r"status=delivered \(250 2\.0\.0 Ok: queued as T\d{6}\)", line[0]), line[0]
    rc, out, _ = tern(world, "events", "--status", "bounced")
    assert rc == 0 and len(out.splitlines()) == 1
    assert f"{q1}: to=<perm-b@dest.test>, relay=mx.dest.test[127.0.0.2]" in out
    assert "dsn=5.1.1, status=bounced (550 5.1.1" in out
    rc, out, err = tern(world, "events", "--rcpt", "nobody@dest.test")
    assert rc == 0 and out == "" and "no events match" in err


# ---- 7. Postfix as the receiving MTA --------------------------------------------------------

POSTFIX_BODY = (b"From: app@example.org\r\nTo: someone@postfix.test\r\n"
                b"Subject: to a real MTA\r\nMessage-ID: <postfix-1@example.org>\r\n\r\n"
                b"first line\r\n.\r\n..two dots\r\n.leading dot\r\n"
                b"a longer line with some words in it to see it arrive whole\r\n\r\nlast line\r\n")


class Postfix:
    """A private Postfix: its own configuration, queue and data directories, listening on
    127.0.0.30 at the world's MX port, taking mail for postfix.test and holding it (the hold
    queue) so that postcat can read it back. Needs root, like bench/bench.py's.

    inet_interfaces must name an address of a real interface (Postfix refuses 127.0.0.30:
    "no local interface found"); the smtpd line of master.cf binds 127.0.0.30 itself."""

    def __init__(self, port):
        # not under pytest's tmp_path: its top directory is 0700, and Postfix's daemons run
        # as the postfix user
        self.dir = tempfile.mkdtemp(prefix="tern-postfix-")
        os.chmod(self.dir, 0o755)
        self.conf = os.path.join(self.dir, "etc")
        for d in ("etc", "queue", "data"):
            os.mkdir(os.path.join(self.dir, d))
        shutil.chown(os.path.join(self.dir, "data"), "postfix")
        with open(os.path.join(self.conf, "main.cf"), "w") as f:
            f.write(f"""\
compatibility_level = 3.6
queue_directory = {self.dir}/queue
data_directory = {self.dir}/data
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
shlib_directory = /usr/lib/postfix
meta_directory = /etc/postfix
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.postfix.test
mydomain = postfix.test
mydestination = postfix.test
local_recipient_maps =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_end_of_data_restrictions = check_client_access static:HOLD
maillog_file = {self.dir}/maillog
maillog_file_prefixes = {self.dir}
""")
        with open(os.path.join(self.conf, "master.cf"), "w") as f:
            f.write(f"""\
127.0.0.30:{port} inet n - n - - smtpd
cleanup   unix n - n - 0 cleanup
qmgr      unix n - n 300 1 qmgr
rewrite   unix - - n - - trivial-rewrite
bounce    unix - - n - 0 bounce
defer     unix - - n - 0 bounce
trace     unix - - n - 0 bounce
verify    unix - - n - 1 verify
flush     unix n - n - 0 flush
proxymap  unix - - n - - proxymap
showq     unix n - n - - showq
error     unix - - n - - error
discard   unix - - n - - discard
anvil     unix - - n - 1 anvil
scache    unix - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
local     unix - n n - - local
smtp      unix - - n - - smtp
""")
        self.started = False
        r = self.run("postfix", "start")
        if r.returncode != 0:
            # the postfix command says why only on a terminal (or in syslog): ask check
            why = subprocess.run(["script", "-qc", f"postfix -c {self.conf} check", "/dev/null"],
                                 capture_output=True, text=True, timeout=30).stdout
            self.stop()
            raise AssertionError("Postfix did not start: " + r.stdout + r.stderr + why)
        self.started = True

    def run(self, cmd, *args):
        return subprocess.run([cmd, "-c", self.conf, *args], capture_output=True, text=True,
                              timeout=30)

    def log(self):
        try:
            with open(os.path.join(self.dir, "maillog")) as f:
                return f.read()[-3000:]
        except OSError:
            return ""

    def postcat(self, qid, *opts):
        r = subprocess.run(["postcat", "-c", self.conf, *opts, "-q", qid], capture_output=True,
                           timeout=30)
        assert r.returncode == 0, r.stderr
        return r.stdout

    def stop(self):
        if self.started:
            self.run("postfix", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)


def test_postfix_receives_what_tern_sends(world):
    if shutil.which("postfix") is None or shutil.which("postcat") is None:
        pytest.skip("Postfix is not installed (Debian's postfix package; 'make deps')")
    if os.geteuid() != 0:
        pytest.skip("a private Postfix instance needs root to start")
    world.dns.zones["postfix.test"] = {"MX": [(10, "mx.postfix.test")]}
    world.dns.zones["mx.postfix.test"] = {"A": ["127.0.0.30"]}
    pf = Postfix(world.port)
    try:
        world.start()
        qid = world.send(["someone@postfix.test"], body=POSTFIX_BODY)
        evs = world.wait_events(
            lambda e: world.status_of(e, "someone@postfix.test") in ("delivered", "bounced"),
            timeout=20, what="tern's delivery to Postfix")
        ev = [e for e in evs if e["recipient"] == "someone@postfix.test"][-1]
        assert ev["status"] == "delivered", (ev, pf.log())
        assert ev["queue_id"] == qid and ev["remote_host"] == "mx.postfix.test"
        assert ev["remote_ip"] == "127.0.0.30"
        m = re.search(r"^250 2\.0\.0 Ok: queued as ([0-9A-Za-z]+)$", ev["reply"])
        assert m, ev["reply"]
        pf_id = m.group(1)

        # Postfix holds it: read it back from its queue
        queue = pf.run("postqueue", "-p").stdout
        assert pf_id in queue and "someone@postfix.test" in queue, queue
        envelope = pf.postcat(pf_id, "-e").decode()
        assert "sender: app@example.org" in envelope
        assert "recipient: someone@postfix.test" in envelope
        # postcat -b starts at the empty line that ends the header section
        body = pf.postcat(pf_id, "-b").decode()
        sent_body = POSTFIX_BODY.split(b"\r\n\r\n", 1)[1].decode().split("\r\n")
        assert body.split("\n") == [""] + sent_body, (body, sent_body)
        headers = pf.postcat(pf_id, "-h").decode()
        assert "Subject: to a real MTA" in headers
        assert "Message-ID: <postfix-1@example.org>" in headers
        assert re.search(r"^Received: from out\.tern\.test", headers, re.M), headers
        # the familiar log line, with Postfix's own reply
        assert (f"{qid}: to=<someone@postfix.test>, relay=mx.postfix.test[127.0.0.30]"
                in world.srv.logs())
        assert f"queued as {pf_id}" in world.srv.logs()
        wait(lambda: qid not in world.queue_ids(), timeout=10, srv=world.srv,
             what="tern's spool to empty")
    finally:
        pf.stop()


def test_events_older_than_the_retention_are_pruned(world):
    import sqlite3
    srv = world.start(delivery="enabled = no")
    world.send(["ok-a@dest.test"])  # one fresh event, which stays
    srv.stop()
    db = sqlite3.connect(srv.dir / "tern.db")
    with db:
        db.execute("INSERT INTO events (time_ms, queue_id, recipient, recipient_domain, sender, "
                   "user, status, attempt, remote_host, remote_ip, tls, delay_ms, dsn, reply, "
                   "category) VALUES (?, 'OLDQUEUEID', 'old@dest.test', 'dest.test', "
                   "'app@example.org', '', 2, 1, '', '', '', 0, '2.0.0', '250 ok', '')",
                   (int((time.time() - 40 * 86400) * 1000),))
    db.close()
    srv.conf.write_text(srv.conf.read_text() + "\n[delivery]\nevent_retention = 30d\n")
    srv.start()
    deadline = time.time() + 10
    while "event=events_pruned events=1" not in srv.logs() and time.time() < deadline:
        time.sleep(0.1)
    assert "event=events_pruned events=1" in srv.logs()
    evs = world.events()
    assert not [e for e in evs if e["queue_id"] == "OLDQUEUEID"]
    assert [e for e in evs if e["status"] == "queued"], "recent events stay"


def test_retry_schedule_goes_on_after_a_restart(world):
    world.target("127.0.0.2")
    srv = world.start(delivery="retry_schedule = 1s 1s 1h")
    qid = world.send(["temp-a@dest.test"])
    world.wait_events(lambda e: len([x for x in e if x["status"] == "deferred"]) >= 2)
    srv.stop()
    srv.start()
    evs = world.wait_events(lambda e: len([x for x in e if x["status"] == "deferred"]) >= 3)
    attempts = [e["attempt"] for e in evs if e["status"] == "deferred" and e["queue_id"] == qid]
    assert attempts[:3] == [1, 2, 3], attempts
