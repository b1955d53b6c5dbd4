"""`tern route DOMAIN`: how tern would reach a domain, resolved through a real DNS server on
loopback (dnsserver.py) with the resolver the delivery engine uses."""
import json
import socket
import subprocess
import time

import pytest

from dnsserver import dns_server  # noqa: F401 - the fixture

ZONES = {
    "example.test": {"MX": [(10, "mx1.example.test"), (10, "mx2.example.test"),
                            (20, "backup.example.test")]},
    "mx1.example.test": {"A": ["192.0.2.1"], "AAAA": ["2001:db8::1"]},
    "mx2.example.test": {"A": ["192.0.2.2"]},
    "backup.example.test": {"AAAA": ["2001:db8::20"]},
    "implicit.test": {"A": ["192.0.2.30"], "TXT": ["v=spf1 -all"]},
    "v6only.test": {"MX": [(5, "mx.v6only.test")]},
    "mx.v6only.test": {"AAAA": ["2001:db8::6", "2001:db8::7"]},
    "nullmx.test": {"MX": [(0, ".")]},
    "dotamong.test": {"MX": [(0, "."), (10, "mx2.example.test")]},
    "servfail.test": "SERVFAIL",
    "refused.test": "REFUSED",
    "slow.test": {"delay": 10, "MX": [(10, "mx1.example.test")]},
    "partial.test": {"MX": [(10, "gone.partial.test"), (20, "bare.partial.test"),
                            (30, "mx2.example.test")]},
    "bare.partial.test": {"TXT": ["no address here"]},
    "noaddr.test": {"MX": [(10, "gone.noaddr.test")]},
    "empty.test": {"TXT": ["neither MX nor A"]},
    "alias.test": {"CNAME": "example.test"},
    "hostfail.test": {"MX": [(10, "mx.hostfail.test")]},
    "mx.hostfail.test": "SERVFAIL",
}


def write_config(path, servers):
    conf = path / "tern.conf"
    conf.write_text(f"[server]\ndata_dir = {path}\n[delivery]\ndns_servers = {servers}\n"
                    "dns_timeout = 1\n")
    return conf


@pytest.fixture
def route(tern_bin, tmp_path, dns_server):  # noqa: F811 - pytest fixture injection
    """Runs `tern route ARGS` against the test DNS server; returns the CompletedProcess."""
    dns_server.zones.update(ZONES)
    conf = write_config(tmp_path, dns_server.address)

    def run(*args, timeout=30):
        return subprocess.run([tern_bin, "route", "-c", str(conf), *args],
                              capture_output=True, text=True, timeout=timeout)
    return run


def hosts(proc):
    return json.loads(proc.stdout)["hosts"]


def test_mx_hosts_in_preference_order_with_addresses(route):
    p = route("example.test")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0] == "example.test: MX hosts in the order tern would try them:"
    assert {lines[1][5:], lines[2][5:]} == {
        "mx1.example.test (preference 10): 192.0.2.1, 2001:db8::1",
        "mx2.example.test (preference 10): 192.0.2.2"}
    assert lines[3] == "  3. backup.example.test (preference 20): 2001:db8::20"
    assert "random order" in lines[4]


def test_equal_preferences_are_shuffled(route):
    orders = set()
    for _ in range(20):
        names = [h["name"] for h in hosts(route("example.test", "--json"))]
        assert names[2] == "backup.example.test"
        orders.add(tuple(names[:2]))
    assert orders == {("mx1.example.test", "mx2.example.test"),
                      ("mx2.example.test", "mx1.example.test")}


def test_implicit_mx_is_the_domain_itself(route):
    p = route("implicit.test")
    assert p.returncode == 0, p.stderr
    assert "no MX record: mail goes to the domain's own address" in p.stdout
    assert "1. implicit.test: 192.0.2.30" in p.stdout
    j = json.loads(route("implicit.test", "--json").stdout)
    assert j["implicit_mx"] is True and j["status"] == "ok"
    assert j["hosts"] == [{"name": "implicit.test", "preference": 0, "status": "ok",
                           "addresses": ["192.0.2.30"]}]


def test_ipv6_addresses_are_shown(route):
    p = route("v6only.test")
    assert p.returncode == 0, p.stderr
    assert "mx.v6only.test (preference 5): 2001:db8::6, 2001:db8::7" in p.stdout


def test_no_such_domain_bounces_with_5_1_2(route):
    p = route("nowhere.test")
    assert p.returncode == 1
    assert "nowhere.test: no such domain: mail to it bounces with 5.1.2" in p.stdout
    assert "NXDOMAIN" in p.stdout


def test_null_mx_bounces_with_5_1_10(route):
    p = route("nullmx.test")
    assert p.returncode == 1
    assert ("the domain accepts no mail (null MX, RFC 7505): mail to it bounces with 5.1.10"
            in p.stdout)


def test_a_dot_among_other_mx_is_ignored(route):
    p = route("dotamong.test", "--json")
    assert p.returncode == 0
    assert [h["name"] for h in hosts(p)] == ["mx2.example.test"]


@pytest.mark.parametrize("domain,words", [("servfail.test", "SERVFAIL"),
                                          ("refused.test", "REFUSED")])
def test_server_failure_is_temporary(route, domain, words):
    p = route(domain)
    assert p.returncode == 1
    assert "DNS did not answer: mail would be deferred and retried" in p.stdout
    assert words in p.stdout


def test_a_silent_server_is_temporary_after_three_tries(route, dns_server):  # noqa: F811
    start = time.monotonic()
    p = route("slow.test")
    took = time.monotonic() - start
    assert p.returncode == 1
    assert "DNS did not answer: mail would be deferred and retried" in p.stdout
    assert "timed out" in p.stdout
    assert 2.5 < took < 4.5, took  # dns_timeout = 1, 3 tries, without c-ares's doubling
    assert dns_server.count("slow.test", "MX") == 3


def test_an_mx_host_without_address_is_skipped(route):
    p = route("partial.test")
    assert p.returncode == 0, p.stderr
    assert ("1. gone.partial.test (preference 10): no address, the host name does not "
            "exist: skipped") in p.stdout
    assert ("2. bare.partial.test (preference 20): no address (no A or AAAA record): "
            "skipped") in p.stdout
    assert "3. mx2.example.test (preference 30): 192.0.2.2" in p.stdout


def test_mx_hosts_without_any_address_bounce(route):
    p = route("noaddr.test")
    assert p.returncode == 1
    assert "its mail servers have no address: mail to it bounces with 5.4.4" in p.stdout
    p = route("empty.test")
    assert p.returncode == 1
    assert "no MX record and no address" in p.stdout


def test_a_host_lookup_failing_for_now_defers(route):
    p = route("hostfail.test", "--json")
    assert p.returncode == 1
    j = json.loads(p.stdout)
    assert j["status"] == "tempfail" and j["deliverable"] is False
    assert j["hosts"][0]["status"] == "tempfail"
    assert "SERVFAIL" in j["error"]


def test_a_cname_is_followed(route):
    p = route("alias.test", "--json")
    assert p.returncode == 0
    assert sorted(h["name"] for h in hosts(p)) == ["backup.example.test", "mx1.example.test",
                                                   "mx2.example.test"]


def test_json_output(route):
    p = route("example.test", "--json")
    assert p.returncode == 0
    j = json.loads(p.stdout)
    assert j["domain"] == "example.test"
    assert j["status"] == "ok" and j["deliverable"] is True and j["error"] is None
    assert j["implicit_mx"] is False
    by_name = {h["name"]: h for h in j["hosts"]}
    assert by_name["mx1.example.test"] == {"name": "mx1.example.test", "preference": 10,
                                           "status": "ok",
                                           "addresses": ["192.0.2.1", "2001:db8::1"]}
    bad = json.loads(route("nullmx.test", "--json").stdout)
    assert bad["status"] == "null_mx" and bad["deliverable"] is False
    assert "5.1.10" in bad["verdict"] and bad["hosts"] == []


def test_several_domains_share_one_cache(route, dns_server):  # noqa: F811
    p = route("example.test", "nowhere.test", "example.test", "nowhere.test", "servfail.test",
              "servfail.test", "--json")
    assert p.returncode == 1
    lines = [json.loads(line) for line in p.stdout.splitlines()]
    assert [j["status"] for j in lines] == ["ok", "nxdomain", "ok", "nxdomain", "tempfail",
                                            "tempfail"]
    assert dns_server.count("example.test", "MX") == 1
    assert dns_server.count("mx1.example.test", "A") == 1
    assert dns_server.count("nowhere.test", "MX") == 1  # negative answers cached too
    assert dns_server.count("servfail.test", "MX") == 2  # temporary failures never


def test_each_run_sees_changed_records(route, dns_server):  # noqa: F811
    assert route("implicit.test").returncode == 0
    dns_server.zones["implicit.test"] = {"MX": [(0, ".")]}
    assert route("implicit.test").returncode == 1


def test_a_truncated_answer_is_asked_again_over_tcp(route, dns_server):  # noqa: F811
    dns_server.zones["many.test"] = {
        "MX": [(i, f"mx{i}.host{i}.many{i}.example") for i in range(30)]}
    dns_server.zones["mx7.host7.many7.example"] = {"A": ["192.0.2.77"]}
    p = route("many.test", "--json")
    assert p.returncode == 0, p.stdout
    j = json.loads(p.stdout)
    assert len(j["hosts"]) == 16  # DNS_HOSTS_MAX
    assert j["hosts"][7]["addresses"] == ["192.0.2.77"]
    assert ("many.test", "MX", "tcp") in dns_server.queries


def test_dns_server_option_overrides_the_configuration(tern_bin, tmp_path,
                                                       dns_server):  # noqa: F811
    dns_server.zones.update(ZONES)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as dead:
        dead.bind(("127.0.0.1", 0))  # bound, never answers
        conf = write_config(tmp_path, f"127.0.0.1:{dead.getsockname()[1]}")
        p = subprocess.run([tern_bin, "route", "-c", str(conf), "--dns-server",
                            dns_server.address, "implicit.test"],
                           capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "192.0.2.30" in p.stdout


def test_usage(tern_bin, route):
    assert route().returncode == 2
    p = route("--bogus", "example.test")
    assert p.returncode == 2 and "unknown option '--bogus'" in p.stderr
    p = route("--dns-server", "not-an-address", "example.test")
    assert p.returncode == 2 and "[::1]:53" in p.stderr
    p = subprocess.run([tern_bin, "route", "--help"], capture_output=True, text=True)
    assert p.returncode == 0 and p.stdout.startswith("usage: tern route DOMAIN")
    p = subprocess.run([tern_bin, "help", "route"], capture_output=True, text=True)
    assert p.returncode == 0 and "--dns-server" in p.stdout
