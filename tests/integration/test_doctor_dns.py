"""`tern doctor dns DOMAIN`: a sending domain's records, served by a DNS server on loopback
(dnsserver.py), one thing broken at a time. For each broken setup the doctor must name that
cause in one failed step, and no other step may fail.

The good setup: good.test has MX, an SPF record authorising 192.0.2.25, the record of tern's
DKIM key (selector sel), a DMARC record, and 192.0.2.25's PTR mail.good.test resolves back.
"""
import json
import re
import subprocess

import pytest

from dnsserver import DnsServer

IP = "192.0.2.25"


def good_zones(key):
    return {
        "good.test": {"MX": [(10, "mx.good.test")],
                      "TXT": ["v=spf1 ip4:192.0.2.0/28 ip4:192.0.2.25 -all",
                              "site-verification=abc"]},
        "mx.good.test": {"A": ["192.0.2.10"]},
        "sel._domainkey.good.test": {"TXT": [key]},
        "_dmarc.good.test": {"TXT": ["v=DMARC1; p=reject; rua=mailto:dmarc@good.test"]},
        "25.2.0.192.in-addr.arpa": {"PTR": ["mail.good.test"]},
        "mail.good.test": {"A": [IP]},
    }


def record_value(out):
    strings = re.findall(r'"([^"]*)"', out)
    assert strings, out
    return "".join(strings)


@pytest.fixture(scope="module")
def keys(tern_bin, tmp_path_factory):
    """A configuration with tern's key for good.test/sel, and another key's record."""
    base = tmp_path_factory.mktemp("doctor-dns")
    conf = base / "tern.conf"
    conf.write_text(f"[server]\nhostname = mx.test\ndata_dir = {base}\n")

    def dkim(*args):
        p = subprocess.run([tern_bin, "dkim", *args, "-c", str(conf)], capture_output=True,
                           text=True, timeout=60)
        assert p.returncode == 0, p.stderr
        return p.stdout
    ours = record_value(dkim("keygen", "good.test", "sel", "--algorithm", "ed25519"))
    other = record_value(dkim("keygen", "other.test", "old", "--algorithm", "ed25519"))
    return base, ours, other


@pytest.fixture
def doctor(tern_bin, keys):
    """doctor(zones_change, *args) -> (CompletedProcess, {step name: step})."""
    base, ours, other = keys
    dns = DnsServer(good_zones(ours)).start()
    conf = base / "doctor.conf"
    conf.write_text(f"[server]\nhostname = mx.test\ndata_dir = {base}\n"
                    f"[delivery]\ndns_servers = {dns.address}\ndns_timeout = 1\n")

    def run(*args, domain="good.test", json_out=True):
        argv = [tern_bin, "doctor", "dns", domain, "-c", str(conf), *args]
        if json_out:
            argv.append("--json")
        p = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        if not json_out:
            return p, None
        assert p.stdout, p.stderr
        report = json.loads(p.stdout)
        return p, {s["name"]: s for s in report["steps"]}
    run.dns = dns
    run.ours, run.other = ours, other
    yield run
    dns.stop()


def only_failed(p, steps, name):
    """Exactly one step failed, this one; exit status 1."""
    failed = [n for n, s in steps.items() if s["verdict"] == "failed"]
    assert failed == [name], json.dumps(steps, indent=1)
    assert p.returncode == 1
    return steps[name]


def test_good_setup_passes_every_step(doctor):
    p, steps = doctor("--ip", IP, "--selector", "sel")
    assert p.returncode == 0, p.stdout
    assert {n: s["verdict"] for n, s in steps.items()} == {
        "mx": "ok", "spf": "ok", "dkim": "ok", "dmarc": "ok", "ptr": "ok"}
    assert "ip4:192.0.2.25" in steps["spf"]["seen"]
    assert "tern's key for selector sel" in steps["dkim"]["seen"]
    assert "forward-confirmed" in steps["ptr"]["seen"]


def test_selector_comes_from_terns_keys(doctor):
    p, steps = doctor("--ip", IP)
    assert p.returncode == 0
    assert "sel._domainkey.good.test" in steps["dkim"]["seen"]


def test_text_report_for_a_person(doctor):
    doctor.dns.zones.pop("_dmarc.good.test")
    p, _ = doctor("--ip", IP, json_out=False)
    assert p.returncode == 1
    assert "FAILED   DMARC record" in p.stdout
    assert "do:   Publish a TXT record at _dmarc.good.test" in p.stdout
    assert p.stdout.rstrip().endswith("4 ok, 0 warnings, 1 failed, 0 skipped")


def test_missing_spf(doctor):
    doctor.dns.zones["good.test"]["TXT"] = ["site-verification=abc"]
    step = only_failed(*doctor("--ip", IP), "spf")
    assert "no SPF record" in step["seen"]
    assert '"v=spf1 ip4:192.0.2.25 -all"' in step["todo"]


def test_spf_without_the_sending_ip(doctor):
    doctor.dns.zones["good.test"]["TXT"] = ["v=spf1 ip4:192.0.2.0/28 mx ~all"]
    step = only_failed(*doctor("--ip", IP), "spf")
    assert "192.0.2.25 is not authorised" in step["seen"]
    assert "~all matched it" in step["seen"]
    assert "Add ip4:192.0.2.25" in step["todo"]


def test_spf_through_include_and_redirect(doctor):
    doctor.dns.zones["good.test"]["TXT"] = ["v=spf1 include:_spf.esp.test -all"]
    doctor.dns.zones["_spf.esp.test"] = {"TXT": ["v=spf1 redirect=_net.esp.test"]}
    doctor.dns.zones["_net.esp.test"] = {"TXT": ["v=spf1 ip4:192.0.2.0/24 -all"]}
    p, steps = doctor("--ip", IP)
    assert p.returncode == 0, steps
    assert "include:_spf.esp.test -> redirect=_net.esp.test -> ip4:192.0.2.0/24" \
        in steps["spf"]["seen"]


def test_two_spf_records(doctor):
    doctor.dns.zones["good.test"]["TXT"] = ["v=spf1 ip4:192.0.2.25 -all", "v=spf1 mx -all"]
    step = only_failed(*doctor("--ip", IP), "spf")
    assert "more than one SPF record" in step["seen"]
    assert "Merge the records into one" in step["todo"]


def test_spf_over_the_lookup_limit(doctor):
    names = [f"h{i}.good.test" for i in range(11)]
    doctor.dns.zones["good.test"]["TXT"] = [
        "v=spf1 " + " ".join("a:" + n for n in names) + " ip4:192.0.2.25 -all"]
    for n in names:
        doctor.dns.zones[n] = {"A": ["198.51.100.1"]}
    step = only_failed(*doctor("--ip", IP), "spf")
    assert "more than 10 DNS lookups" in step["seen"]


def test_dkim_at_the_zone_relative_name(doctor):
    rec = doctor.dns.zones.pop("sel._domainkey.good.test")
    doctor.dns.zones["sel._domainkey.good.test.good.test"] = rec
    step = only_failed(*doctor("--ip", IP), "dkim")
    assert "sel._domainkey.good.test.good.test" in step["seen"]
    assert "relative to the zone" in step["seen"]
    assert 'enter only "sel._domainkey"' in step["todo"]


def test_dkim_key_not_matching(doctor):
    doctor.dns.zones["sel._domainkey.good.test"] = {"TXT": [doctor.other]}
    step = only_failed(*doctor("--ip", IP), "dkim")
    assert "is not the public key of tern's private key" in step["seen"]
    assert "tern dkim show good.test sel" in step["todo"]


def test_dkim_cname_to_nowhere(doctor):
    doctor.dns.zones["sel._domainkey.good.test"] = {"CNAME": "sel.dkim.esp.test"}
    step = only_failed(*doctor("--ip", IP), "dkim")
    assert "a CNAME to nowhere" in step["seen"]


def test_dkim_cname_without_its_trailing_dot(doctor):
    doctor.dns.zones["sel._domainkey.good.test"] = {"CNAME": "sel.dkim.esp.test.good.test"}
    doctor.dns.zones["sel.dkim.esp.test"] = {"TXT": [doctor.ours]}
    step = only_failed(*doctor("--ip", IP), "dkim")
    assert "without its trailing dot" in step["seen"]
    assert '"sel.dkim.esp.test."' in step["todo"]


def test_dkim_through_a_cname(doctor):
    doctor.dns.zones["sel._domainkey.good.test"] = {"CNAME": "sel.dkim.esp.test"}
    doctor.dns.zones["sel.dkim.esp.test"] = {"TXT": [doctor.ours]}
    p, steps = doctor("--ip", IP)
    assert p.returncode == 0, steps
    assert "a CNAME to sel.dkim.esp.test" in steps["dkim"]["seen"]


def test_dkim_record_missing(doctor):
    doctor.dns.zones.pop("sel._domainkey.good.test")
    step = only_failed(*doctor("--ip", IP), "dkim")
    assert "no DKIM record at sel._domainkey.good.test" in step["seen"]


def test_dkim_record_broken(doctor):
    doctor.dns.zones["sel._domainkey.good.test"] = {"TXT": ["v=DKIM1; k=ed25519; p=AB*CD"]}
    step = only_failed(*doctor("--ip", IP), "dkim")
    assert "not valid base64" in step["seen"]


def test_no_dmarc(doctor):
    doctor.dns.zones.pop("_dmarc.good.test")
    step = only_failed(*doctor("--ip", IP), "dmarc")
    assert "no DMARC record at _dmarc.good.test" in step["seen"]


def test_dmarc_invalid(doctor):
    doctor.dns.zones["_dmarc.good.test"] = {"TXT": ["v=DMARC1; rua=mailto:d@good.test"]}
    step = only_failed(*doctor("--ip", IP), "dmarc")
    assert "p= (the policy) is missing" in step["seen"]


def test_ptr_missing(doctor):
    doctor.dns.zones.pop("25.2.0.192.in-addr.arpa")
    step = only_failed(*doctor("--ip", IP), "ptr")
    assert "no reverse DNS name" in step["seen"]
    assert "cannot find your reverse hostname" in step["todo"]


def test_ptr_not_confirming(doctor):
    doctor.dns.zones["mail.good.test"] = {"A": ["192.0.2.99"]}
    step = only_failed(*doctor("--ip", IP), "ptr")
    assert "does not resolve back" in step["seen"]
    assert "mail.good.test resolves to 192.0.2.99" in step["seen"]


def test_null_mx(doctor):
    doctor.dns.zones["good.test"]["MX"] = [(0, ".")]
    step = only_failed(*doctor("--ip", IP), "mx")
    assert "null MX" in step["seen"]


def test_domain_that_does_not_exist_skips_the_rest(doctor):
    p, steps = doctor("--ip", IP, domain="nowhere.test")
    only_failed(p, steps, "mx")
    assert all(s["verdict"] == "skipped" for n, s in steps.items() if n != "mx")


def test_usage(tern_bin):
    p = subprocess.run([tern_bin, "doctor", "dns"], capture_output=True, text=True)
    assert p.returncode == 2
    p = subprocess.run([tern_bin, "doctor", "dns", "x.test", "--ip", "300.1.1.1"],
                       capture_output=True, text=True)
    assert p.returncode == 2
    assert "not an IPv4 or IPv6 address" in p.stderr


def test_dns_server_given_by_name(tern_bin, keys):
    base, ours, _ = keys
    dns = DnsServer(good_zones(ours)).start()
    try:
        p = subprocess.run([tern_bin, "doctor", "dns", "good.test", "-c", str(base / "none"),
                            "--dns", f"localhost:{dns.port}", "--json"],
                           capture_output=True, text=True, timeout=60)
    finally:
        dns.stop()
    steps = {s["name"]: s for s in json.loads(p.stdout)["steps"]}
    assert steps["mx"]["verdict"] == "ok", steps


def test_ipv6_sending_address(doctor):
    ip6 = "2001:db8::25"
    nibbles = ".".join(reversed("20010db8000000000000000000000025")) + ".ip6.arpa"
    doctor.dns.zones["good.test"]["TXT"] = ["v=spf1 ip6:2001:db8::/64 -all"]
    doctor.dns.zones[nibbles] = {"PTR": ["mail6.good.test"]}
    doctor.dns.zones["mail6.good.test"] = {"AAAA": [ip6]}
    p, steps = doctor("--ip", ip6)
    assert p.returncode == 0, json.dumps(steps, indent=1)
    assert "ip6:2001:db8::/64" in steps["spf"]["seen"]
    assert "mail6.good.test" in steps["ptr"]["seen"]
    doctor.dns.zones["good.test"]["TXT"] = ["v=spf1 ip4:192.0.2.25 -all"]
    step = only_failed(*doctor("--ip", ip6), "spf")
    assert "Add ip6:2001:db8::25" in step["todo"]


def test_spf_plus_all_authorises_everyone(doctor):
    doctor.dns.zones["good.test"]["TXT"] = ["v=spf1 ip4:192.0.2.25 +all"]
    p, steps = doctor("--ip", IP, "--selector", "sel")
    assert p.returncode == 0, json.dumps(steps, indent=1)
    assert steps["spf"]["verdict"] == "warning"
    assert "+all authorises every address" in steps["spf"]["seen"]
    assert "-all" in steps["spf"]["todo"]
    assert [n for n, s in steps.items() if s["verdict"] != "ok"] == ["spf"]


def test_dmarc_record_not_beginning_with_its_version(doctor):
    doctor.dns.zones["_dmarc.good.test"]["TXT"] = ["p=reject; v=DMARC1; rua=mailto:d@good.test"]
    step = only_failed(*doctor("--ip", IP, "--selector", "sel"), "dmarc")
    assert "does not begin with it" in step["seen"]
    assert "v=DMARC1 first" in step["todo"]


def test_dkim_record_with_the_wrong_key_type(doctor):
    doctor.dns.zones["sel._domainkey.good.test"]["TXT"] = [
        doctor.ours.replace("k=ed25519", "k=rsa")]
    step = only_failed(*doctor("--ip", IP, "--selector", "sel"), "dkim")
    assert "k=rsa" in step["seen"] and "ed25519" in step["seen"]
    assert "k=ed25519" in step["todo"]


def test_dmarc_of_the_organizational_domain_by_the_public_suffix_list(doctor, tmp_path,
                                                                      monkeypatch):
    """news.abc.de has no DMARC record of its own; its organizational domain abc.de has one.
    Only the Public Suffix List says abc.de (a guess from the labels takes a short name under
    a country code for a registry's second level, like co.uk)."""
    psl = tmp_path / "psl.dat"
    psl.write_text("// test list\nde\nuk\nco.uk\n")
    monkeypatch.setenv("TERN_PSL", str(psl))
    doctor.dns.zones.update({
        "news.abc.de": {"MX": [(10, "mx.good.test")], "TXT": ["v=spf1 ip4:192.0.2.25 -all"]},
        "_dmarc.abc.de": {"TXT": ["v=DMARC1; p=quarantine; rua=mailto:d@abc.de"]},
    })
    p, steps = doctor("--ip", IP, domain="news.abc.de")
    assert steps["dmarc"]["verdict"] == "ok", json.dumps(steps, indent=1)
    assert "_dmarc.abc.de" in steps["dmarc"]["seen"]
    monkeypatch.setenv("TERN_PSL", str(tmp_path / "missing.dat"))
    p, steps = doctor("--ip", IP, domain="news.abc.de")
    assert steps["dmarc"]["verdict"] == "failed"  # the guess looks at news.abc.de only
