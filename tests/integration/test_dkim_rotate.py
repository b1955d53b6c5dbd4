"""DKIM key rotation driven by the running server, as an operator lives it: `tern dkim rotate`
makes a pending key and the old one keeps signing; nothing changes while the new record is not
in DNS (or carries another key); once it is published the server switches within a check,
messages are signed with the new selector and verify, the old key retires after the grace
period, and every step is in the log and in `tern events --status key`.

The server checks every second and retires after 3 seconds, so the waits are short.
"""
import json
import re
import time

from deliver_env import world  # noqa: F401 - a fixture
from test_dkim_sign import dkimpy_results

ROTATION = "[dkim]\nrotation_check = 1s\nrotation_grace = 3s\n"


def states(srv, domain="example.org"):
    keys = json.loads(srv.tern("dkim", "list", domain, "--json").stdout)
    return {k["selector"]: k["state"] for k in keys}


def publish(world, selector, domain="example.org", strings=None):
    """Puts one key's record into the test DNS, as `tern dkim show --json` gives it (or
    `strings` instead, to write it as another DNS editor would)."""
    shown = json.loads(world.srv.tern("dkim", "show", domain, "--json").stdout)
    key = next(k for k in shown["keys"] if k["selector"] == selector)
    world.dns.zones[key["name"].rstrip(".")] = {"TXT": [strings or key["strings"]]}
    return key


def selectors(data):
    """The s= of each DKIM-Signature field of a message."""
    head = data.split(b"\r\n\r\n", 1)[0].decode(errors="replace")
    head = head.replace("\r\n\t", " ").replace("\r\n ", " ")
    return [re.search(r"\bs=([^;\s]+)", f).group(1) for f in head.split("\r\n")
            if f.lower().startswith("dkim-signature:")]


def wait_for(pred, timeout, what, srv):
    deadline = time.time() + timeout
    while time.time() < deadline:
        got = pred()
        if got:
            return got
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}\nlog:\n{srv.logs()[-4000:]}")


def rotation_lines(srv, selector=None):
    return [line for line in srv.logs().splitlines() if "event=dkim_rotation" in line and
            (selector is None or f" selector={selector} " in line)]


def test_rotation_switches_once_the_record_is_published_then_retires_the_old_key(world):
    mx = world.target("127.0.0.2")
    srv = world.start(extra=ROTATION)
    srv.tern("dkim", "keygen", "example.org", "rsa1", "--algorithm", "rsa")
    publish(world, "rsa1")
    srv.tern("dkim", "rotate", "example.org")
    new = next(s for s, st in states(srv).items() if st == "pending")
    assert re.fullmatch(r"t\d{8}", new), new
    assert states(srv) == {"rsa1": "active", new: "pending"}
    time.sleep(1.5)  # the signer has read the keys; the rotation has looked once

    # pending: the old key keeps signing
    world.send(["ok-a@dest.test"])
    first = mx.wait_for(1, timeout=20)[0].data
    assert selectors(first) == ["rsa1"]
    assert all(dkimpy_results(world, first))

    # the new record is not in DNS: nothing changes, and the log says why, once
    time.sleep(3)
    assert states(srv) == {"rsa1": "active", new: "pending"}
    world.send(["ok-b@dest.test"])
    assert selectors(mx.wait_for(2, timeout=20)[1].data) == ["rsa1"]
    waiting = rotation_lines(srv, new)
    assert len(waiting) == 1, waiting  # at most once an hour per key
    assert "step=published result=waiting" in waiting[0]
    assert "record not published yet: TXT lookup said" in waiting[0]
    assert "no such name (NXDOMAIN)" in waiting[0]

    # a record at the name with another key's p= (a copy-paste slip) is not the record
    rsa1 = publish(world, "rsa1")
    world.dns.zones[f"{new}._domainkey.example.org"] = {"TXT": [rsa1["strings"]]}
    time.sleep(2.5)
    assert states(srv) == {"rsa1": "active", new: "pending"}

    # published: the new key signs within a check or two, the old one is retiring
    published_at = time.time()
    key = publish(world, new)
    assert len(key["strings"]) == 2  # RSA-2048: two character-strings, joined by the lookup
    wait_for(lambda: states(srv) == {"rsa1": "retiring", new: "active"}, 5,
             "the switch to the new key", srv)
    assert time.time() - published_at < 4
    time.sleep(1.2)  # the signer follows the store within a second
    world.send(["ok-c@dest.test"])
    third = mx.wait_for(3, timeout=20)[2].data
    assert selectors(third) == [new]
    assert all(dkimpy_results(world, third))
    assert f"dkim=example.org/{new}/rsa-sha256" in srv.logs()

    # after the grace period the old key is retired; its file stays until `tern dkim remove`
    wait_for(lambda: states(srv) == {"rsa1": "retired", new: "active"}, 8,
             "the old key to retire", srv)
    shown = json.loads(srv.tern("dkim", "show", "example.org", "--json").stdout)
    assert {k["selector"] for k in shown["keys"]} == {"rsa1", new}

    # every step in the log ...
    lines = rotation_lines(srv)
    steps = [re.search(r"selector=(\S+) step=(\S+) result=(\S+)", line).groups()
             for line in lines]
    assert steps.index((new, "published", "ok")) < steps.index((new, "activated", "ok")) \
        < steps.index(("rsa1", "retiring", "ok")) < steps.index(("rsa1", "retired", "ok"))
    assert all("domain=example.org" in line for line in lines)
    assert any("record seen in DNS" in line for line in lines)
    retiring = next(line for line in lines if "step=retiring" in line)
    assert f"replaced by {new}" in retiring and "keep its record published until" in retiring
    retired = next(line for line in lines if "step=retired" in line)
    assert "tern dkim remove example.org rsa1" in retired

    # ... and in the event log
    evs = json.loads(srv.tern("events", "--status", "key", "--json").stdout)
    assert [e["status"] for e in evs] == ["key", "key"]
    assert all(e["queue_id"] == "dkim" and e["sender"] == "example.org" and
               e["recipient"] == "" for e in evs)
    assert re.fullmatch(
        rf"selector {new} \(rsa-2048\) active: its record is published; rsa1 now retiring "
        r"until \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ", evs[0]["reply"]), evs[0]["reply"]
    assert evs[1]["reply"].startswith("selector rsa1 (rsa-2048) retired: its grace period is "
                                      "over")
    text = srv.tern("events", "--status", "key").stdout
    assert re.search(rf"dkim: from=<example.org>, status=key \(selector {new} ", text), text
    # a delivery's events are not mixed up with the keys'
    assert all(e["status"] != "key" for e in world.events() if e["queue_id"] != "dkim")


def test_a_record_written_differently_is_recognised_and_dns_trouble_only_waits(world):
    mx = world.target("127.0.0.2")
    srv = world.start(extra=ROTATION)
    srv.tern("dkim", "keygen", "example.org", "ed1", "--algorithm", "ed25519")
    publish(world, "ed1")
    srv.tern("dkim", "rotate", "example.org")
    new = next(s for s, st in states(srv).items() if st == "pending")
    name = f"{new}._domainkey.example.org"

    # a failing DNS server: the key waits, and the log says it was temporary trouble
    world.dns.zones[name] = "SERVFAIL"
    time.sleep(2.5)
    assert states(srv) == {"ed1": "active", new: "pending"}
    waiting = rotation_lines(srv, new)
    assert len(waiting) == 1 and "SERVFAIL" in waiting[0], waiting

    # tags in another order, split into strings and spaced differently: the same key
    value = publish(world, new)["value"]
    p = value.split("p=", 1)[1]
    world.dns.zones[name] = {"TXT": [["k=ed25519; t=s; p=" + p[:20], " " + p[20:] + " ;",
                                      " v=DKIM1"]]}
    wait_for(lambda: states(srv) == {"ed1": "retiring", new: "active"}, 5,
             "the switch to the new key", srv)
    world.dns.zones[name] = {"TXT": [[value]]}  # as verifiers want it (v= first)
    time.sleep(1.2)
    world.send(["ok-a@dest.test"])
    data = mx.wait_for(1, timeout=20)[0].data
    assert selectors(data) == [new]
    assert all(dkimpy_results(world, data))
    ev = json.loads(srv.tern("events", "--status", "key", "--json").stdout)[0]
    assert ev["reply"].startswith(f"selector {new} (ed25519) active: its record is published; "
                                  "ed1 now retiring until ")


def test_rotation_settings_are_checked(world):
    world.start()
    srv = world.srv
    srv.stop()
    conf = srv.conf.read_text()
    for bad, words in (("rotation_check = 0s", "out of range"),
                       ("rotation_grace = soon", "is not a duration")):
        srv.conf.write_text(conf + f"\n[dkim]\n{bad}\n")
        r = srv.tern("dkim", "list", check=False)
        assert r.returncode != 0 and words in r.stderr, r.stderr


def test_stopping_while_a_lookup_is_unanswered_is_clean_and_prompt(world):
    srv = world.start(extra=ROTATION)
    srv.tern("dkim", "keygen", "example.org", "ed1", "--algorithm", "ed25519")
    srv.tern("dkim", "rotate", "example.org")
    new = next(s for s, st in states(srv).items() if st == "pending")
    world.dns.zones[f"{new}._domainkey.example.org"] = "DROP"  # never answers
    wait_for(lambda: world.dns.count(f"{new}._domainkey.example.org", "TXT") > 0, 5,
             "the first TXT query", srv)
    started = time.time()
    assert srv.stop() == 0
    assert time.time() - started < 3  # the lookup is cancelled, not waited for
    assert "event=stopped" in srv.logs()
    assert states(srv) == {"ed1": "active", new: "pending"}
