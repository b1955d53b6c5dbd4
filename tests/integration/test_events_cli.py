"""`tern events` as an operator uses it: the one-line form, --json, each filter, the newest 100
by default, and clear refusals of bad input.

Until the delivery engine writes events, the tests put rows into the store's events table
directly (tern creates and migrates the store first), filling in recipient_domain as the store
does: the lower-cased part after the last '@'.
"""
import json
import sqlite3
import subprocess
import time

import pytest

T0 = 1795428000000  # 2026-11-23T10:00:00Z in unix milliseconds

COLUMNS = ("time_ms", "queue_id", "recipient", "sender", "user", "status", "attempt",
           "remote_host", "remote_ip", "tls", "delay_ms", "dsn", "reply", "category")
STATUS = {name: i for i, name in enumerate(
    ["queued", "deferred", "delivered", "bounced", "expired", "suppressed", "deleted", "held",
     "released", "delayed"])}


@pytest.fixture
def log(tern_bin, tmp_path):
    """A store of its own; log.tern(*args) runs tern on it, log.add(**event) writes an event."""
    conf = tmp_path / "tern.conf"
    conf.write_text(f"[server]\nhostname = mx.test\ndata_dir = {tmp_path}\n")

    class Log:
        def tern(self, *args):
            return subprocess.run([tern_bin, "events", *args, "-c", str(conf)],
                                  capture_output=True, text=True, timeout=60)

        def add(self, *events):
            db = sqlite3.connect(tmp_path / "tern.db")
            with db:
                for e in events:
                    row = {c: "" for c in COLUMNS} | {"attempt": 0, "delay_ms": 0} | e
                    row["status"] = STATUS[row["status"]]
                    rcpt = row["recipient"]
                    row["recipient_domain"] = rcpt.rsplit("@", 1)[1].lower() if "@" in rcpt else ""
                    cols = ", ".join(row)
                    db.execute(f"INSERT INTO events ({cols}) VALUES ({', '.join('?' * len(row))})",
                               list(row.values()))
            db.close()

    lg = Log()
    r = lg.tern()  # creates the store, with the events table
    assert r.returncode == 0 and r.stdout == "" and "no events match" in r.stderr
    return lg


BOUNCE = dict(time_ms=T0 + 61000, queue_id="4Xk9bQ2mZ7", recipient="bob@Example.net",
              sender="app@example.org", user="app", status="bounced", attempt=1,
              remote_host="mx1.example.net", remote_ip="192.0.2.25",
              tls="TLSv1.3/TLS_AES_256_GCM_SHA384", delay_ms=60000, dsn="5.1.1",
              reply="550 5.1.1 <bob@example.net>: Recipient address rejected",
              category="user_unknown")


def test_one_line_per_event_with_empty_fields_left_out(log):
    log.add(dict(time_ms=T0 + 1000, queue_id="4Xk9bQ2mZ7", recipient="bob@Example.net",
                 sender="app@example.org", status="queued"),
            BOUNCE,
            dict(time_ms=T0 + 62000, queue_id="4Xk9bQ2mZ7", recipient="ann@example.org",
                 status="delivered", remote_host="mx.example.org", delay_ms=61234,
                 reply="250 2.0.0 Ok"),
            dict(time_ms=T0 + 90000, queue_id="7Yp3", recipient="", sender="",
                 status="deleted", reply="deleted by an operator"))
    r = log.tern()
    assert r.returncode == 0
    assert r.stdout.splitlines() == [
        "2026-11-23 10:00:01Z 4Xk9bQ2mZ7: to=<bob@Example.net>, status=queued",
        "2026-11-23 10:01:01Z 4Xk9bQ2mZ7: to=<bob@Example.net>, "
        "relay=mx1.example.net[192.0.2.25], delay=60.0s, tls=TLSv1.3, dsn=5.1.1, "
        "status=bounced (550 5.1.1 <bob@example.net>: Recipient address rejected)",
        "2026-11-23 10:01:02Z 4Xk9bQ2mZ7: to=<ann@example.org>, relay=mx.example.org, "
        "delay=61.2s, status=delivered (250 2.0.0 Ok)",
        "2026-11-23 10:01:30Z 7Yp3: from=<>, status=deleted (deleted by an operator)",
    ]


def test_json_has_every_field(log):
    log.add(BOUNCE)
    out = json.loads(log.tern("--json").stdout)
    assert len(out) == 1
    e = out[0]
    assert e["id"] > 0
    assert e["time"] == "2026-11-23T10:01:01.000Z"
    for k, v in BOUNCE.items():
        assert e[k] == v, k
    assert json.loads(log.tern("--json", "--status", "deferred").stdout) == []


def test_a_remote_reply_cannot_break_the_line(log):
    reply = "550 first\r\n550 second \x1b[31mred"
    log.add(BOUNCE | {"reply": reply})
    r = log.tern()
    assert r.stdout.count("\n") == 1 and "\x1b" not in r.stdout
    assert "(550 first  550 second  [31mred)" in r.stdout
    assert json.loads(log.tern("--json").stdout)[0]["reply"] == reply


def test_filters(log):
    now = int(time.time() * 1000)
    p0 = 1763892000000  # 2025-11-23T10:00:00Z: surely in the past, for the relative times
    log.add(dict(time_ms=p0, queue_id="Q1", recipient="a@Example.COM", status="queued"),
            dict(time_ms=p0 + 1, queue_id="Q1", recipient="b@example.com", status="queued"),
            dict(time_ms=p0 + 60000, queue_id="Q1", recipient="a@example.com",
                 status="delivered"),
            dict(time_ms=p0 + 3600000, queue_id="Q2", recipient="c@other.org",
                 status="bounced"),
            dict(time_ms=now - 7200000, queue_id="Q3", recipient="d@other.org",
                 status="deferred"),
            dict(time_ms=now - 1800000, queue_id="Q3", recipient="d@other.org",
                 status="expired"))

    def ids(*args):
        r = log.tern("--json", *args)
        assert r.returncode == 0, r.stderr
        return [(e["queue_id"], e["recipient"], e["status"]) for e in json.loads(r.stdout)]

    assert ids("--id", "Q2") == [("Q2", "c@other.org", "bounced")]
    assert ids("--rcpt", "A@EXAMPLE.com") == [("Q1", "a@Example.COM", "queued"),
                                              ("Q1", "a@example.com", "delivered")]
    assert len(ids("--domain", "example.com")) == 3
    assert ids("--domain", "@OTHER.org", "--status", "bounced") == [
        ("Q2", "c@other.org", "bounced")]
    assert ids("--since", "2025-11-23T10:01:00Z", "--until", "2025-11-23T11:00:01Z") == [
        ("Q1", "a@example.com", "delivered"), ("Q2", "c@other.org", "bounced")]
    assert ids("--since", "1h") == [("Q3", "d@other.org", "expired")]
    assert ids("--since", "3h", "--until", "1h") == [("Q3", "d@other.org", "deferred")]
    assert ids("--id", "Q1", "--limit", "1") == [("Q1", "a@example.com", "delivered")]


def test_the_newest_100_by_default_oldest_first(log):
    log.add(*[dict(time_ms=T0 + i * 1000, queue_id=f"Q{i:03d}", recipient="r@example.com",
                   status="queued") for i in range(150)])
    lines = log.tern().stdout.splitlines()
    assert len(lines) == 100
    assert "Q050:" in lines[0] and "Q149:" in lines[-1]
    assert len(log.tern("--limit", "0").stdout.splitlines()) == 150
    assert len(log.tern("--limit", "7").stdout.splitlines()) == 7


@pytest.mark.parametrize("args, message", [
    (["--status", "sent"], "status 'sent' is not one of queued, deferred, delivered, bounced, "
                           "expired, suppressed, deleted, held, released, delayed or key"),
    (["--since", "yesterday"], "--since 'yesterday' is not a date (2026-11-23)"),
    (["--until", "2026-02-30"], "--until '2026-02-30' is not a date"),
    (["--limit", "many"], "--limit takes a number of events"),
    (["--id"], "--id needs a value"),
    (["--recipient", "a@example.com"], "unknown argument '--recipient'"),
])
def test_bad_input_is_refused_with_exit_2(log, args, message):
    r = log.tern(*args)
    assert r.returncode == 2 and r.stdout == ""
    assert message in r.stderr, r.stderr


def test_help(log):
    r = log.tern("--help")
    assert r.returncode == 0 and r.stdout.startswith("usage: tern events")
    assert "--limit N" in r.stdout
