"""Delivery: tern takes accepted mail to the recipients' servers (MX from a real DNS server,
real SMTP servers on loopback), and each outcome - delivered, bounced, deferred, expired -
is what the replies and DNS say, with events and RFC 3464 bounces a user can check.
"""
import time

from deliver_env import BODY, parse_bounce, world  # noqa: F401 - world is a fixture


def delivered_bytes_ok(data, original):
    """What arrived is what was accepted plus tern's own trace fields at the top."""
    assert data.endswith(original), data[-400:]
    head = data[: len(data) - len(original)]
    assert head.startswith(b"Received: "), head
    assert b"\r\n\r\n" not in head


def test_delivers_through_mx_with_exact_bytes(world):
    mx = world.target("127.0.0.2")
    world.start()
    qid = world.send(["ok-a@dest.test", "ok-b@dest.test"])
    msg = mx.wait_for(1, timeout=15)[0]
    assert sorted(msg.rcpt_tos) == ["ok-a@dest.test", "ok-b@dest.test"]
    assert msg.mail_from == "app@example.org"
    delivered_bytes_ok(msg.data, BODY)
    assert msg.ehlo == "out.tern.test", "EHLO uses the configured FQDN, never localhost"
    evs = world.wait_events(lambda e: world.status_of(e, "ok-b@dest.test") == "delivered")
    ev = [e for e in evs if e["recipient"] == "ok-a@dest.test"][-1]
    assert ev["queue_id"] == qid and ev["status"] == "delivered"
    assert ev["remote_host"] == "mx.dest.test" and ev["remote_ip"] == "127.0.0.2"
    assert ev["dsn"].startswith("2.")
    # the spool entry goes once every recipient is done
    deadline = time.time() + 10
    while qid in world.queue_ids() and time.time() < deadline:
        time.sleep(0.1)
    assert qid not in world.queue_ids()
    # the familiar log line
    assert f"{qid}: to=<ok-a@dest.test>, relay=mx.dest.test[127.0.0.2]" in world.srv.logs()


def test_mx_preference_order_and_fallback_to_next_mx(world):
    world.dns.zones["dest.test"] = {"MX": [(10, "mx1.dest.test"), (20, "mx2.dest.test")]}
    world.dns.zones["mx1.dest.test"] = {"A": ["127.0.0.3"]}  # nothing listens there
    world.dns.zones["mx2.dest.test"] = {"A": ["127.0.0.4"]}
    mx2 = world.target("127.0.0.4")
    world.start()
    world.send(["ok-a@dest.test"])
    mx2.wait_for(1, timeout=15)
    ev = world.wait_events(lambda e: world.status_of(e, "ok-a@dest.test") == "delivered")
    assert [e for e in ev if e["status"] == "delivered"][-1]["remote_host"] == "mx2.dest.test"


def test_421_greeting_moves_to_next_mx(world):
    world.dns.zones["dest.test"] = {"MX": [(10, "mx1.dest.test"), (20, "mx2.dest.test")]}
    world.dns.zones["mx1.dest.test"] = {"A": ["127.0.0.3"]}
    world.dns.zones["mx2.dest.test"] = {"A": ["127.0.0.4"]}
    busy = world.target("127.0.0.3", greeting="421 4.3.2 Service not available, try later")
    mx2 = world.target("127.0.0.4")
    world.start()
    world.send(["ok-a@dest.test"])
    mx2.wait_for(1, timeout=15)
    assert busy.connections >= 1 and not busy.messages


def test_a_record_fallback_without_mx(world):
    world.dns.zones["plain.test"] = {"A": ["127.0.0.5"]}
    host = world.target("127.0.0.5")
    world.start()
    world.send(["ok-a@plain.test"])
    assert host.wait_for(1, timeout=15)[0].rcpt_tos == ["ok-a@plain.test"]


def test_permanent_failure_bounces_with_rfc3464_report_and_suppresses(world):
    mx = world.target("127.0.0.2")
    sender_mx = world.target("127.0.0.9")  # example.org: the bounce comes here
    world.start()
    qid = world.send(["ok-a@dest.test", "perm-b@dest.test", "unknown-c@dest.test"])
    mx.wait_for(1, timeout=15)
    bounce = sender_mx.wait_for(1, timeout=15)[0]
    assert bounce.mail_from == "", "bounces come from the null sender"
    assert bounce.rcpt_tos == ["app@example.org"]
    msg, rcpts = parse_bounce(bounce.data)
    assert len(rcpts) == 2, "recipients that failed together share one bounce"
    by = {r["Final-Recipient"].split(";")[1].strip(): r for r in rcpts}
    assert set(by) == {"perm-b@dest.test", "unknown-c@dest.test"}
    r = by["perm-b@dest.test"]
    assert r["Action"] == "failed" and r["Status"] == "5.1.1"
    assert r["Remote-MTA"] == "dns; mx.dest.test"
    assert r["Diagnostic-Code"].startswith("smtp; 550 5.1.1")
    assert "User unknown" in r["Diagnostic-Code"]
    human = msg.get_payload()[0].get_payload(decode=True).decode()
    assert "perm-b@dest.test" in human
    headers = msg.get_payload()[2].get_payload()
    assert "Message-ID: <fixed-id@example.org>" in str(headers)
    assert b"..two dots" not in bounce.data and b"first line" not in bounce.data, \
        "only the original's header section is returned"
    assert qid in msg.get_payload()[0].get_payload(decode=True).decode()
    # hard bounce of kind user_unknown: on the suppression list now
    deadline = time.time() + 10
    while time.time() < deadline:
        out = world.srv.tern("suppress", "list").stdout
        if "perm-b@dest.test" in out:
            break
        time.sleep(0.1)
    assert "perm-b@dest.test" in out and "bounce" in out
    evs = world.events("--id", qid)
    assert world.status_of(evs, "perm-b@dest.test") == "bounced"
    assert [e for e in evs if e["recipient"] == "perm-b@dest.test"][-1]["category"] == \
        "user_unknown"


def test_null_mx_and_nxdomain_bounce_at_once(world):
    world.dns.zones["nullmx.test"] = {"MX": [(0, ".")]}
    sender_mx = world.target("127.0.0.9")
    world.start()
    world.send(["a@nullmx.test", "b@nosuchdomain.test"])
    bounce = sender_mx.wait_for(1, timeout=15)[0]
    _, rcpts = parse_bounce(bounce.data)
    status = {r["Final-Recipient"].split(";")[1].strip(): r["Status"] for r in rcpts}
    assert status == {"a@nullmx.test": "5.1.10", "b@nosuchdomain.test": "5.1.2"}


def test_dns_servfail_defers(world):
    world.dns.zones["broken.test"] = "SERVFAIL"
    world.start()
    qid = world.send(["a@broken.test"])
    evs = world.wait_events(lambda e: world.status_of(e, "a@broken.test") == "deferred")
    ev = [e for e in evs if e["recipient"] == "a@broken.test"][-1]
    assert ev["dsn"].startswith("4.") and "DNS" in ev["reply"]
    assert qid in world.queue_ids(), "a deferred message stays queued"


def test_temporary_failure_is_retried_then_expires_with_4_4_7(world):
    world.target("127.0.0.2")
    sender_mx = world.target("127.0.0.9")
    world.start(delivery="max_queue_lifetime = 4s")
    qid = world.send(["temp-a@dest.test"])
    bounce = sender_mx.wait_for(1, timeout=20)[0]
    _, rcpts = parse_bounce(bounce.data)
    assert rcpts[0]["Status"] == "4.4.7" and rcpts[0]["Action"] == "failed"
    assert "451 4.2.1" in rcpts[0]["Diagnostic-Code"], "the last reply is reported"
    evs = world.events("--id", qid)
    deferred = [e for e in evs if e["status"] == "deferred"]
    assert len(deferred) >= 2, "retried on the schedule before giving up"
    assert [e["attempt"] for e in deferred][:2] == [1, 2]
    assert world.status_of(evs, "temp-a@dest.test") == "expired"


def test_greylisting_is_retried_after_the_named_wait(world):
    mx = world.target("127.0.0.2", grey_wait=2)
    world.start(delivery="retry_schedule = 1h")  # only the server's own wait explains a retry
    world.send(["grey-a@dest.test"])
    msg = mx.wait_for(1, timeout=15)[0]
    assert msg.rcpt_tos == ["grey-a@dest.test"]
    evs = world.events()
    d = [e for e in evs if e["status"] == "deferred"]
    assert d and d[0]["category"] == "greylisted"


def test_too_many_recipients_go_in_new_transactions(world):
    mx = world.target("127.0.0.2", max_rcpts=2)
    world.start()
    rcpts = [f"ok-{i}@dest.test" for i in range(5)]
    world.send(rcpts)
    mx.wait_until(lambda: sum(len(m.rcpt_tos) for m in mx.messages) == 5, timeout=15)
    assert sorted(r for m in mx.messages for r in m.rcpt_tos) == sorted(rcpts)
    assert len(mx.messages) == 3
    evs = world.events()
    assert not [e for e in evs if e["status"] == "deferred"], "452 4.5.3 is not a failure"


def test_connection_reused_for_further_messages(world):
    """Messages that come one at a time (as from an application) go over one connection: it
    waits connection_cache_time (default 2s) for the next message, then says QUIT."""
    mx = world.target("127.0.0.2")
    world.start(delivery="per_destination = 1")
    for i in range(4):
        world.send([f"ok-{i}@dest.test"])
    mx.wait_for(4, timeout=15)
    assert mx.connections == 1, f"{mx.connections} connections for 4 messages"
    mx.wait_until(lambda: mx.sessions[0].closed is not None, timeout=10, what="the QUIT")
    assert mx.sessions[0].commands[-1].upper() == "QUIT"
    assert mx.sessions[0].transactions == 4


def test_idle_connection_closes_after_the_cache_time(world):
    mx = world.target("127.0.0.2")
    world.start(delivery="connection_cache_time = 1s")
    world.send(["ok-first@dest.test"])
    mx.wait_for(1, timeout=15)
    mx.wait_until(lambda: mx.sessions[0].closed is not None, timeout=10, what="the QUIT")
    idle = mx.sessions[0].closed - mx.sessions[0].opened
    assert 0.9 <= idle < 5, f"closed {idle:.1f}s after it opened"
    assert mx.sessions[0].commands[-1].upper() == "QUIT"
    world.send(["ok-second@dest.test"])
    mx.wait_for(2, timeout=15)
    assert mx.connections == 2


def test_bounce_of_a_bounce_is_never_sent(world):
    mx = world.target("127.0.0.2")
    world.start()
    qid = world.send(["perm-a@dest.test"], sender="")
    world.wait_events(lambda e: world.status_of(e, "perm-a@dest.test") == "bounced")
    time.sleep(1)
    assert "event=bounce " not in world.srv.logs()
    assert not mx.messages
    assert qid not in world.queue_ids()


def test_spam_rejection_at_end_of_data_bounces_everyone_in_the_transaction(world):
    mx = world.target("127.0.0.2")
    sender_mx = world.target("127.0.0.9")
    world.start()
    world.send(["spam-a@dest.test", "ok-b@dest.test"])
    bounce = sender_mx.wait_for(1, timeout=15)[0]
    _, rcpts = parse_bounce(bounce.data)
    assert {r["Status"] for r in rcpts} == {"5.7.1"}
    assert len(rcpts) == 2
    assert not mx.messages


def test_connection_dropped_mid_data_defers(world):
    world.target("127.0.0.2", drop_mid_data=True)
    world.start(delivery="retry_schedule = 1h")
    qid = world.send(["ok-a@dest.test"])
    evs = world.wait_events(lambda e: world.status_of(e, "ok-a@dest.test") == "deferred")
    assert [e for e in evs if e["status"] == "deferred"][-1]["dsn"].startswith("4.")
    assert qid in world.queue_ids()


def test_server_that_never_answers_times_out_and_defers(world):
    world.target("127.0.0.2", never_answer=True)
    world.start(delivery="retry_schedule = 1h")
    world.send(["ok-a@dest.test"])
    evs = world.wait_events(lambda e: world.status_of(e, "ok-a@dest.test") == "deferred",
                            timeout=20)
    assert "timed out" in [e for e in evs if e["status"] == "deferred"][-1]["reply"]


def test_size_over_the_servers_limit_bounces_without_sending(world):
    mx = world.target("127.0.0.2", size=100)
    sender_mx = world.target("127.0.0.9")
    world.start()
    world.send(["ok-a@dest.test"])
    bounce = sender_mx.wait_for(1, timeout=15)[0]
    _, rcpts = parse_bounce(bounce.data)
    assert rcpts[0]["Status"] == "5.3.4"
    assert not mx.messages and not mx.refused


def test_message_whose_recipients_are_all_suppressed_leaves_the_spool(world):
    mx = world.target("127.0.0.2")
    srv = world.start(extra="[policy]\ntrusted_user = app\n")
    srv.tern("suppress", "add", "ok-gone@dest.test", "--reason", "complaint")
    qid = world.send(["ok-gone@dest.test"])
    evs = world.wait_events(lambda e: world.status_of(e, "ok-gone@dest.test") == "suppressed")
    assert [e for e in evs if e["recipient"] == "ok-gone@dest.test"][-1]["queue_id"] == qid
    deadline = time.time() + 10
    while qid in world.queue_ids() and time.time() < deadline:
        time.sleep(0.1)
    assert qid not in world.queue_ids()
    assert not mx.messages


def test_recipient_suppressed_after_acceptance_is_not_delivered(world):
    mx = world.target("127.0.0.2")
    srv = world.start(delivery="enabled = no")
    qid = world.send(["ok-later@dest.test", "ok-other@dest.test"])
    srv.tern("suppress", "add", "ok-later@dest.test")
    srv.stop()
    conf = srv.conf.read_text().replace("enabled = no", "enabled = yes")
    srv.conf.write_text(conf)
    srv.start()
    msg = mx.wait_for(1, timeout=15)[0]
    assert msg.rcpt_tos == ["ok-other@dest.test"]
    evs = world.wait_events(lambda e: world.status_of(e, "ok-later@dest.test") == "suppressed")
    assert world.status_of(evs, "ok-other@dest.test") == "delivered"
    assert [e for e in evs if e["status"] == "suppressed"][-1]["queue_id"] == qid


def test_smtputf8_message_to_a_server_without_it_bounces_with_5_6_7(world):
    mx = world.target("127.0.0.2", smtputf8=False)
    sender_mx = world.target("127.0.0.9")
    world.start()
    world.send(["jörg@dest.test"], options=["SMTPUTF8"])
    bounce = sender_mx.wait_for(1, timeout=15)[0]
    _, rcpts = parse_bounce(bounce.data)
    assert rcpts[0]["Status"] == "5.6.7"
    assert not mx.messages
