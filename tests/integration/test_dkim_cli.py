"""`tern dkim` as an operator uses it: keygen prints a record a person can paste into DNS
(the fully qualified name with its trailing dot, the value split into strings of at most 255
octets whose joining is p= of the key on disk), list, show, import, remove and rotate, --json,
the key files' modes, and clear refusals of bad input.
"""
import base64
import datetime
import json
import os
import re
import stat
import subprocess

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

RECORD = re.compile(r'^  (\S+)  IN TXT \( ((?:"[^"]*" )+)\)$', re.M)


@pytest.fixture
def dkim(tern_bin, tmp_path):
    """dkim(*args) runs `tern dkim` on a store of its own under tmp_path."""
    conf = tmp_path / "tern.conf"
    conf.write_text(f"[server]\nhostname = mx.test\ndata_dir = {tmp_path}\n")

    def run(*args):
        return subprocess.run([tern_bin, "dkim", *args, "-c", str(conf)],
                              capture_output=True, text=True, timeout=120)
    run.data = tmp_path
    return run


def record(out):
    """The (name, value, strings) of the one record in out."""
    found = RECORD.findall(out)
    assert len(found) == 1, out
    name, quoted = found[0]
    strings = re.findall(r'"([^"]*)"', quoted)
    return name, "".join(strings), strings


def records(out):
    return [(name, "".join(re.findall(r'"([^"]*)"', q))) for name, q in RECORD.findall(out)]


def public_der(path):
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    return key.public_key().public_bytes(serialization.Encoding.DER,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)


def p_of(value):
    tags = dict(t.strip().split("=", 1) for t in value.split(";"))
    return tags, base64.b64decode(tags["p"], validate=True)


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def listed(dkim, *args):
    r = dkim("list", *args, "--json")
    assert r.returncode == 0, r.stderr
    return {(k["domain"], k["selector"]): k for k in json.loads(r.stdout)}


def today():
    return datetime.datetime.now(datetime.timezone.utc).strftime("t%Y%m%d")


# ---- keygen ----------------------------------------------------------------------------------

def test_keygen_rsa_prints_the_record_to_publish(dkim):
    r = dkim("keygen", "Example.COM", "sel1")
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "Publish this TXT record in DNS (the name is fully qualified, with the trailing " \
           "dot):\n\n  sel1._domainkey.example.com.  IN TXT ( \"v=DKIM1; k=rsa; p=MIIBIjAN" in out
    name, value, strings = record(out)
    assert name == "sel1._domainkey.example.com."
    # RSA-2048: 410 octets, split into 255 + 155
    assert [len(s) for s in strings] == [255, 155]
    tags, der = p_of(value)
    assert value.startswith("v=DKIM1; k=rsa; p=")
    key_file = dkim.data / "dkim" / "example.com" / "sel1.pem"
    assert der == public_der(key_file)
    # why the dot matters, in words
    assert "sel1._domainkey.example.com.example.com" in out
    assert "(active)" in out and "Key file: " + str(key_file) in out
    # the key on disk: PKCS#8, readable by its owner only, in directories only tern enters
    assert key_file.read_text().startswith("-----BEGIN PRIVATE KEY-----\n")
    assert mode(key_file) == 0o600
    assert mode(key_file.parent) == 0o700
    assert mode(key_file.parent.parent) == 0o700
    keys = listed(dkim)
    assert keys[("example.com", "sel1")] | {"created": "-"} == {
        "domain": "example.com", "selector": "sel1", "algorithm": "rsa", "bits": 2048,
        "state": "active", "created": "-"}


def test_keygen_ed25519_publishes_the_raw_32_byte_key(dkim):
    r = dkim("keygen", "example.com", "ed1", "--algorithm", "ed25519")
    assert r.returncode == 0, r.stderr
    name, value, strings = record(r.stdout)
    assert name == "ed1._domainkey.example.com."
    assert len(strings) == 1
    tags, raw = p_of(value)
    assert tags["v"] == "DKIM1" and tags["k"] == "ed25519"
    assert len(raw) == 32
    key = serialization.load_pem_private_key(
        (dkim.data / "dkim" / "example.com" / "ed1.pem").read_bytes(), password=None)
    assert isinstance(key, ed25519.Ed25519PrivateKey)
    assert raw == key.public_key().public_bytes(serialization.Encoding.Raw,
                                                serialization.PublicFormat.Raw)
    assert listed(dkim)[("example.com", "ed1")]["bits"] == 0


def test_keygen_4096_bits_takes_three_strings(dkim):
    r = dkim("keygen", "example.com", "big", "--bits", "4096")
    assert r.returncode == 0, r.stderr
    _, value, strings = record(r.stdout)
    assert [len(s) for s in strings] == [255, 255, 244]
    assert p_of(value)[1] == public_der(dkim.data / "dkim" / "example.com" / "big.pem")
    assert listed(dkim)[("example.com", "big")]["bits"] == 4096


def test_a_second_key_of_an_algorithm_waits_as_pending(dkim):
    assert dkim("keygen", "example.com", "sel1").returncode == 0
    r = dkim("keygen", "example.com", "sel2")
    assert r.returncode == 0, r.stderr
    assert "(pending)" in r.stdout
    assert "sel1 keeps signing mail from example.com" in " ".join(r.stdout.split())
    # another algorithm is active at once: the domain gets both signatures
    r = dkim("keygen", "example.com", "ed1", "--algorithm", "ed25519")
    assert "(active)" in r.stdout
    states = {sel: k["state"] for (_, sel), k in listed(dkim).items()}
    assert states == {"sel1": "active", "sel2": "pending", "ed1": "active"}


@pytest.mark.parametrize("args, words", [
    (["keygen", "example", "sel1"], "'example' is not a domain name"),
    (["keygen", "exa_mple.com", "sel1"], "is not a domain name"),
    (["keygen", "-bad.com", "sel1"], "is not a domain name"),
    (["keygen", "example.com", "sel_1"], "'sel_1' is not a selector"),
    (["keygen", "example.com", "sel1", "--bits", "1024"], "--bits takes 2048, 3072 or 4096"),
    (["keygen", "example.com", "sel1", "--bits", "2k"], "--bits takes 2048, 3072 or 4096"),
    (["keygen", "example.com", "sel1", "--algorithm", "dsa"], "--algorithm takes rsa or ed25519"),
    (["keygen", "example.com", "s", "--algorithm", "ed25519", "--bits", "2048"],
     "--bits is for RSA keys"),
    (["keygen", "example.com", "sel1", "--force"], "unknown option --force"),
    (["keygen", "example.com", "sel1", "--algorithm"], "unknown option --algorithm"),
    (["keygen", "example.com", "x" * 63 + "." + "y" * 63 + "." + "z" * 60, ],
     "'" + "x" * 63),
])
def test_keygen_refuses_malformed_input(dkim, args, words):
    r = dkim(*args)
    assert r.returncode == 2, r
    assert words in r.stderr
    assert not (dkim.data / "dkim").exists()


def test_record_names_longer_than_dns_allows_are_refused(dkim):
    domain = ".".join(["a" * 60] * 3) + ".example.com"  # 194 octets
    r = dkim("keygen", domain, "s" * 50)
    assert r.returncode == 2
    assert "longer than a DNS name may be (253 octets)" in r.stderr


@pytest.mark.parametrize("args", [[], ["keygen"], ["keygen", "example.com"],
                                  ["keygen", "a.com", "s", "extra"], ["show"],
                                  ["list", "a.com", "b.com"], ["remove", "example.com"],
                                  ["list", "--bits", "2048"], ["import", "a.com", "s"],
                                  ["show", "a.com", "--algorithm", "rsa"]])
def test_wrong_usage_shows_the_usage(dkim, args):
    r = dkim(*args)
    assert r.returncode == 2
    assert "usage: tern dkim keygen DOMAIN SELECTOR" in r.stderr


@pytest.mark.parametrize("args, option", [(["show", "a.com", "--algorithm", "rsa"], "--algorithm"),
                                          (["remove", "a.com", "s", "--json"], "--json"),
                                          (["import", "a.com", "s", "k.pem", "--bits", "2048"],
                                           "--bits")])
def test_an_option_of_another_action_is_named(dkim, args, option):
    r = dkim(*args)
    assert r.returncode == 2
    assert f"tern dkim {args[0]}: does not take {option}" in r.stderr


def test_unknown_action_is_named(dkim):
    r = dkim("generate", "example.com", "sel1")
    assert r.returncode == 2
    assert "unknown action 'generate'" in r.stderr


def test_a_taken_selector_is_refused_and_nothing_changes(dkim):
    assert dkim("keygen", "example.com", "sel1").returncode == 0
    before = (dkim.data / "dkim" / "example.com" / "sel1.pem").read_bytes()
    r = dkim("keygen", "example.com", "SEL1", "--algorithm", "ed25519")
    assert r.returncode == 1
    assert "example.com has a key with selector sel1 already" in r.stderr
    assert (dkim.data / "dkim" / "example.com" / "sel1.pem").read_bytes() == before
    assert len(listed(dkim)) == 1


def test_help(tern_bin):
    for args in (["dkim", "--help"], ["help", "dkim"], ["dkim", "rotate", "--help"]):
        r = subprocess.run([tern_bin, *args], capture_output=True, text=True)
        assert r.returncode == 0
        assert "tern dkim rotate DOMAIN" in r.stdout
        assert "tYYYYMMDD" in r.stdout
    r = subprocess.run([tern_bin, "--help"], capture_output=True, text=True)
    assert re.search(r"^  dkim +DKIM signing keys", r.stdout, re.M)


# ---- list and show ---------------------------------------------------------------------------

def test_list_shows_every_key_and_one_domain(dkim):
    r = dkim("list")
    assert r.returncode == 0 and r.stdout == ""
    assert "no DKIM keys; make one with 'tern dkim keygen DOMAIN SELECTOR'" in r.stderr
    assert dkim("list", "--json").stdout == "[]\n"
    dkim("keygen", "example.com", "sel1", "--algorithm", "ed25519")
    dkim("keygen", "other.org", "a", "--algorithm", "ed25519")
    r = dkim("list")
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["DOMAIN", "SELECTOR", "ALGORITHM", "BITS", "STATE", "CREATED"]
    assert lines[1].split()[:5] == ["example.com", "sel1", "ed25519", "0", "active"]
    assert lines[2].split()[:5] == ["other.org", "a", "ed25519", "0", "active"]
    assert list(listed(dkim, "other.org")) == [("other.org", "a")]
    created = listed(dkim)[("example.com", "sel1")]["created"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ", created)
    r = dkim("list", "nothing.net")
    assert r.returncode == 0 and "no DKIM keys for nothing.net" in r.stderr


def test_show_prints_the_records_again(dkim):
    first = dkim("keygen", "example.com", "sel1").stdout
    dkim("keygen", "example.com", "ed1", "--algorithm", "ed25519")
    r = dkim("show", "EXAMPLE.com.")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("DNS TXT records of example.com (names fully qualified, with "
                               "the trailing dot):\n")
    recs = dict(records(r.stdout))
    assert sorted(recs) == ["ed1._domainkey.example.com.", "sel1._domainkey.example.com."]
    # the same record as keygen printed
    assert recs["sel1._domainkey.example.com."] == record(first)[1]
    assert "example.com, selector sel1: RSA 2048-bit, active since " in r.stdout
    assert "example.com, selector ed1: Ed25519, active since " in r.stdout

    r = dkim("show", "example.com", "--json")
    doc = json.loads(r.stdout)
    assert doc["domain"] == "example.com"
    keys = {k["selector"]: k for k in doc["keys"]}
    assert sorted(keys) == ["ed1", "sel1"]
    for k in doc["keys"]:
        assert k["name"] == k["selector"] + "._domainkey.example.com."
        assert "".join(k["strings"]) == k["value"]
        assert all(len(s) <= 255 for s in k["strings"])
        assert k["record"].startswith(k["name"] + "  IN TXT ( ")
        assert recs[k["name"]] == k["value"]
    assert keys["sel1"]["algorithm"] == "rsa" and keys["sel1"]["bits"] == 2048
    assert len(keys["sel1"]["strings"]) == 2
    assert keys["ed1"]["value"].startswith("v=DKIM1; k=ed25519; p=")


def test_show_of_an_unknown_domain_says_so(dkim):
    r = dkim("show", "example.com")
    assert r.returncode == 1
    assert "no DKIM keys for example.com" in r.stderr
    assert "'tern dkim keygen example.com SELECTOR' makes one" in r.stderr


def test_show_says_which_key_file_is_missing(dkim):
    dkim("keygen", "example.com", "sel1", "--algorithm", "ed25519")
    key_file = dkim.data / "dkim" / "example.com" / "sel1.pem"
    key_file.unlink()
    r = dkim("show", "example.com")
    assert r.returncode == 1
    assert str(key_file) in r.stderr and "No such file" in r.stderr
    assert "tern dkim remove example.com sel1" in r.stderr


# ---- import ----------------------------------------------------------------------------------

def write_key(path, key, fmt=serialization.PrivateFormat.PKCS8):
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, fmt,
                                       serialization.NoEncryption()))
    path.chmod(0o644)
    return path


def test_import_copies_a_checked_key_with_mode_0600(dkim, tmp_path):
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    src = write_key(tmp_path / "mine.pem", key, serialization.PrivateFormat.TraditionalOpenSSL)
    r = dkim("import", "example.com", "imp", str(src))
    assert r.returncode == 0, r.stderr
    assert "Imported an RSA 3072-bit DKIM key for example.com, selector imp (active)" in r.stdout
    copy = dkim.data / "dkim" / "example.com" / "imp.pem"
    assert mode(copy) == 0o600
    assert copy.read_text().startswith("-----BEGIN PRIVATE KEY-----\n")
    name, value, _ = record(r.stdout)
    assert name == "imp._domainkey.example.com."
    assert p_of(value)[1] == public_der(src)
    assert listed(dkim)[("example.com", "imp")]["bits"] == 3072
    assert src.exists()  # the original stays where it was

    ed = write_key(tmp_path / "ed.pem", ed25519.Ed25519PrivateKey.generate())
    r = dkim("import", "example.com", "ed", str(ed))
    assert r.returncode == 0, r.stderr
    assert "Ed25519 DKIM key" in r.stdout and "(active)" in r.stdout


@pytest.mark.parametrize("make, words", [
    (lambda: rsa.generate_private_key(public_exponent=65537, key_size=1024),
     "RSA key of 1024 bits, too short"),
    (lambda: ec.generate_private_key(ec.SECP256R1()), "holds a EC key"),
])
def test_import_refuses_short_rsa_and_other_kinds(dkim, tmp_path, make, words):
    src = write_key(tmp_path / "k.pem", make())
    r = dkim("import", "example.com", "imp", str(src))
    assert r.returncode == 1
    assert words in r.stderr
    assert "2048" in r.stderr
    assert not (dkim.data / "dkim" / "example.com" / "imp.pem").exists()
    assert listed(dkim) == {}


def test_import_refuses_missing_and_non_key_files(dkim, tmp_path):
    r = dkim("import", "example.com", "imp", str(tmp_path / "nope.pem"))
    assert r.returncode == 1
    assert "cannot read key file" in r.stderr and "No such file" in r.stderr
    (tmp_path / "cert.pem").write_text("not a key\n")
    r = dkim("import", "example.com", "imp", str(tmp_path / "cert.pem"))
    assert r.returncode == 1
    assert "holds no PEM private key" in r.stderr
    enc = tmp_path / "enc.pem"
    enc.write_bytes(ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"secret")))
    r = dkim("import", "example.com", "imp", str(enc))
    assert r.returncode == 1
    assert "is encrypted" in r.stderr
    assert listed(dkim) == {}


# ---- remove ----------------------------------------------------------------------------------

def test_remove_forgets_the_key_and_deletes_its_file(dkim):
    dkim("keygen", "example.com", "sel1", "--algorithm", "ed25519")
    key_file = dkim.data / "dkim" / "example.com" / "sel1.pem"
    assert key_file.exists()
    r = dkim("remove", "example.com", "sel1")
    assert r.returncode == 0, r.stderr
    assert "Removed the DKIM key example.com/sel1" in r.stdout
    assert "sel1._domainkey.example.com." in r.stdout
    assert "no longer signed" in r.stdout
    assert not key_file.exists()
    assert listed(dkim) == {}
    r = dkim("remove", "example.com", "sel1")
    assert r.returncode == 1
    assert "example.com has no key with selector sel1" in r.stderr


# ---- rotate ----------------------------------------------------------------------------------

def test_rotate_makes_a_pending_key_with_a_dated_selector(dkim):
    dkim("keygen", "example.com", "sel1", "--bits", "3072")
    r = dkim("rotate", "example.com")
    assert r.returncode == 0, r.stderr
    day = today()
    name, value, _ = record(r.stdout)
    assert name == f"{day}._domainkey.example.com."
    assert f"selector {day} (pending)" in r.stdout
    words = " ".join(r.stdout.split())
    assert "The server switches to the new key once its record is seen in DNS" in words
    assert "retires sel1 after the grace period" in words
    keys = listed(dkim)
    assert keys[("example.com", day)]["state"] == "pending"
    assert keys[("example.com", day)]["bits"] == 3072  # the old key's size
    assert keys[("example.com", "sel1")]["state"] == "active"
    assert mode(dkim.data / "dkim" / "example.com" / f"{day}.pem") == 0o600

    # one rotation at a time
    r = dkim("rotate", "example.com")
    assert r.returncode == 1
    assert f"{day} is pending" in r.stderr and "under way already" in r.stderr


def test_rotate_of_a_dual_signed_domain_rotates_both(dkim):
    dkim("keygen", "example.com", "sel1")
    dkim("keygen", "example.com", "ed1", "--algorithm", "ed25519")
    r = dkim("rotate", "example.com")
    assert r.returncode == 0, r.stderr
    day = today()
    assert [n for n, _ in records(r.stdout)] == [f"{day}._domainkey.example.com.",
                                                 f"{day}-2._domainkey.example.com."]
    keys = listed(dkim)
    assert keys[("example.com", day)]["algorithm"] == "rsa"
    assert keys[("example.com", f"{day}-2")]["algorithm"] == "ed25519"
    assert {k["state"] for (_, s), k in keys.items() if s.startswith("t")} == {"pending"}


def test_rotate_refusals(dkim):
    r = dkim("rotate", "example.com")
    assert r.returncode == 1
    assert "no DKIM keys for example.com; make the first with 'tern dkim keygen example.com " \
           "SELECTOR'" in r.stderr
    dkim("keygen", "example.com", "sel1", "--algorithm", "ed25519")
    r = dkim("rotate", "example.com", "--algorithm", "rsa")
    assert r.returncode == 1
    assert "example.com has no active rsa key to rotate" in r.stderr
    r = dkim("rotate", "example.com", "--algorithm", "ed25519", "--bits", "2048")
    assert r.returncode == 2
    r = dkim("rotate", "example.com", "--algorithm", "ed25519")
    assert r.returncode == 0, r.stderr
    assert listed(dkim)[("example.com", today())]["algorithm"] == "ed25519"
