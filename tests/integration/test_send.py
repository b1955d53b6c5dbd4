"""`tern send` against real servers: tern's own submission server (AUTH over STARTTLS and over
implicit TLS), aiosmtpd, and Postfix. What arrives is read back with Python's email package, as
a mail program would: UTF-8 subject and names, text and HTML alternatives, attachments with their
types and names, no Bcc. Failures print the reply and what it means, with sendmail's exit
statuses (sysexits.h).
"""
import os
import re
import shutil
import socket
import subprocess

import pytest

from send_env import Sink, envelope_rcpts, header_names, parse, spooled
from server import PASSWORD, Server
from smtp_target import free_port

EX_USAGE, EX_DATAERR, EX_NOINPUT, EX_NOUSER = 64, 65, 66, 67
EX_TEMPFAIL, EX_NOPERM, EX_CONFIG = 75, 77, 78

SUBJECT = "Grüße aus Köln ✓ — a subject long enough to be folded over more than one line"
TEXT = "Hallo Bob,\n\nanbei der Bericht. Grüße\n.\nA line with a lone dot above.\n"
HTML = "<p>Hallo <b>Bob</b>, anbei der Bericht.</p>\n"
PDF = b"%PDF-1.4\n" + bytes(range(256)) * 8


@pytest.fixture(scope="module")
def srv(tern_bin, tmp_path_factory):
    s = Server(tern_bin, tmp_path_factory.mktemp("tern")).start()
    yield s
    s.stop()


@pytest.fixture
def files(tmp_path):
    (tmp_path / "body.txt").write_text(TEXT)
    (tmp_path / "body.html").write_text(HTML)
    (tmp_path / "report.pdf").write_bytes(PDF)
    (tmp_path / "Übersicht.csv").write_text("a,b\n1,2\n")
    (tmp_path / "password").write_text(PASSWORD + "\n")
    return tmp_path


def send(tern_bin, *args, env=None, stdin=None):
    # /dev/null is an empty configuration: nothing from the machine's own leaks in
    e = {k: v for k, v in os.environ.items() if not k.startswith("TERN_")}
    e["TERN_CLIENT_CONFIG"] = "/dev/null"
    e.update(env or {})
    return subprocess.run([tern_bin, "send", *args], capture_output=True, text=True,
                          input=stdin, timeout=60, env=e)


def full_args(files, server, *extra):
    return ["--server", server, "--from", "App Sender <app@example.org>",
            "--to", "Bob Example <bob@example.net>", "carol@example.net",
            "--cc", "Zoë Ångström <zoe@example.net>", "--bcc", "secret@example.net",
            "--subject", SUBJECT, "--body", str(files / "body.txt"),
            "--html", str(files / "body.html"), "--attach", str(files / "report.pdf"),
            "--attach", str(files / "Übersicht.csv"), "--header", "X-Campaign: Frühling",
            "--header", "Reply-To: support@example.org", *extra]


def check_full_message(data):
    """What a mail program sees in the message full_args() builds."""
    assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
    assert all(len(line) <= 998 for line in data.split(b"\r\n"))
    m = parse(data)
    assert m["Subject"] == SUBJECT
    assert m["From"].addresses[0].display_name == "App Sender"
    assert [a.addr_spec for a in m["To"].addresses] == ["bob@example.net", "carol@example.net"]
    assert m["Cc"].addresses[0].display_name == "Zoë Ångström"
    assert "bcc" not in header_names(data) and b"secret@example.net" not in data
    assert m["X-Campaign"] == "Frühling"
    assert m["Reply-To"] == "support@example.org"
    assert m["Message-ID"].endswith("@example.org>") and m["Date"] is not None
    assert m["MIME-Version"] == "1.0"
    assert m.get_content_type() == "multipart/mixed"
    alt, pdf, csv = m.get_payload()
    assert alt.get_content_type() == "multipart/alternative"
    plain, html = alt.get_payload()
    assert plain.get_content_type() == "text/plain" and plain.get_content_charset() == "utf-8"
    assert plain.get_content().replace("\r\n", "\n") == TEXT
    assert html.get_content_type() == "text/html"
    assert html.get_content().replace("\r\n", "\n") == HTML
    assert pdf.get_content_type() == "application/pdf"
    assert pdf.get_filename() == "report.pdf" and pdf["Content-Transfer-Encoding"] == "base64"
    assert pdf.get_content() == PDF
    assert csv.get_content_type() == "text/csv"
    assert csv.get_filename() == "Übersicht.csv"
    assert csv.get_payload(decode=True) == b"a,b\n1,2\n"
    # header lines within 78 columns
    head = data.split(b"\r\n\r\n", 1)[0]
    assert all(len(line) <= 78 for line in head.split(b"\r\n")), head.decode()


# ---- tern's own server ----------------------------------------------------------------------

def test_send_to_tern_over_starttls_with_auth(srv, files, tern_bin):
    r = send(tern_bin, *full_args(files, f"127.0.0.1:{srv.starttls_port}", "--user", "app",
                                  "--password-file", str(files / "password"), "--no-verify"))
    assert r.returncode == 0, r.stderr
    qid = r.stdout.strip()
    assert re.fullmatch(r"[0-9A-Z]{8,}", qid), r.stdout
    assert qid in srv.queue_ids()
    summary, data = spooled(srv, qid)
    assert sorted(envelope_rcpts(summary)) == sorted(
        ["bob@example.net", "carol@example.net", "zoe@example.net", "secret@example.net"])
    assert re.search(r"^from:\s+<app@example.org>$", summary, re.M)
    check_full_message(data)


def test_send_over_implicit_tls_with_the_password_in_the_environment(srv, files, tern_bin):
    r = send(tern_bin, "--server", f"127.0.0.1:{srv.tls_port}", "--tls", "implicit",
             "--user", "app", "--no-verify", "--from", "app@example.org", "--to",
             "bob@example.net", "--subject", "implicit", "--body", "-",
             env={"TERN_PASSWORD": PASSWORD}, stdin="from standard input\n")
    assert r.returncode == 0, r.stderr
    summary, data = spooled(srv, r.stdout.strip())
    m = parse(data)
    assert m["Subject"] == "implicit"
    assert m.get_content().replace("\r\n", "\n") == "from standard input\n"
    assert m["To"] == "bob@example.net"


def test_configuration_file_and_environment(srv, files, tern_bin, tmp_path):
    conf = tmp_path / "client.conf"
    conf.write_text(f"[client]\nserver = 127.0.0.1:{srv.starttls_port}\nuser = app\n"
                    f"password_file = {files / 'password'}\ntls_verify = no\n"
                    "from = app@example.org\n")
    r = send(tern_bin, "--to", "bob@example.net", "--subject", "from the file",
             env={"TERN_CLIENT_CONFIG": str(conf)})
    assert r.returncode == 0, r.stderr
    assert parse(spooled(srv, r.stdout.strip())[1])["Subject"] == "from the file"
    # the environment overrides the file: a wrong user is refused
    r = send(tern_bin, "--to", "bob@example.net", env={"TERN_CLIENT_CONFIG": str(conf),
                                                       "TERN_USER": "nobody"})
    assert r.returncode == EX_NOPERM, r.stderr


def test_a_wrong_password_prints_the_reply_and_its_explanation(srv, tern_bin):
    r = send(tern_bin, "--server", f"127.0.0.1:{srv.starttls_port}", "--user", "app",
             "--no-verify", "--from", "app@example.org", "--to", "bob@example.net",
             env={"TERN_PASSWORD": "wrong"})
    assert r.returncode == EX_NOPERM, (r.returncode, r.stderr)
    assert re.search(r"reply\s+535 5\.7\.8", r.stderr), r.stderr
    assert "explanation" in r.stderr and "What to do" in r.stderr, r.stderr
    assert r.stdout == ""


def test_an_untrusted_certificate_is_refused_unless_told(srv, tern_bin):
    r = send(tern_bin, "--server", f"127.0.0.1:{srv.starttls_port}", "--user", "app",
             "--from", "app@example.org", "--to", "bob@example.net",
             env={"TERN_PASSWORD": PASSWORD})
    assert r.returncode == EX_CONFIG, (r.returncode, r.stderr)
    assert "certificate" in r.stderr


def test_a_server_that_is_down_is_a_temporary_failure(tern_bin):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, not listening: connections are refused
        r = send(tern_bin, "--server", f"127.0.0.1:{port}", "--tls", "none", "--from",
                 "app@example.org", "--to", "bob@example.net")
    assert r.returncode == EX_TEMPFAIL, (r.returncode, r.stderr)
    assert "refused" in r.stderr and f"127.0.0.1:{port}" in r.stderr


def test_print_writes_the_message_without_sending(files, tern_bin):
    r = subprocess.run([tern_bin, "send", *full_args(files, "127.0.0.1:9"), "--print"],
                       capture_output=True, timeout=60, env={"TERN_CLIENT_CONFIG": "/dev/null"})
    assert r.returncode == 0, r.stderr
    check_full_message(r.stdout)


# ---- bad input: refused before any connection -----------------------------------------------

@pytest.mark.parametrize("args, status, words", [
    (["--subject", "hi\r\nBcc: victim@example.com"], EX_DATAERR, "line break"),
    (["--header", "X-Note: a\nBcc: victim@example.com"], EX_DATAERR, "line break"),
    (["--header", "Content-Type: text/html"], EX_DATAERR, "Content-Type field"),
    (["--header", "no colon here"], EX_USAGE, "is not 'Name: value'"),
    (["--to", "not-an-address"], EX_DATAERR, "is not an address"),
    (["--attach", "/nonexistent/file.pdf"], EX_NOINPUT, "cannot read --attach"),
    (["--tls", "sometimes"], EX_USAGE, "--tls 'sometimes'"),
    (["--frobnicate"], EX_USAGE, "unknown argument"),
])
def test_bad_input_is_refused_with_what_to_do(tern_bin, args, status, words):
    # the server port is closed: a refusal must come before any connection is tried
    r = send(tern_bin, "--server", "127.0.0.1:9", "--from", "app@example.org", "--to",
             "bob@example.net", *args)
    assert r.returncode == status, (r.returncode, r.stderr)
    assert words in r.stderr, r.stderr
    assert "refused" not in r.stderr


def test_no_recipient_and_no_sender(tern_bin):
    r = send(tern_bin, "--server", "127.0.0.1:9", "--from", "app@example.org")
    assert r.returncode == EX_USAGE and "no recipients" in r.stderr
    r = send(tern_bin, "--server", "127.0.0.1:9", "--to", "bob@example.net")
    assert r.returncode == EX_USAGE and "no sender" in r.stderr


def test_a_missing_password_file_says_what_to_create(tern_bin, tmp_path):
    r = send(tern_bin, "--server", "127.0.0.1:9", "--user", "app", "--password-file",
             str(tmp_path / "nope"), "--from", "app@example.org", "--to", "bob@example.net")
    assert r.returncode == EX_CONFIG
    assert "cannot read the password file" in r.stderr and "create it" in r.stderr


# ---- aiosmtpd ---------------------------------------------------------------------------------

def test_send_to_aiosmtpd(files, tern_bin):
    with Sink() as sink:
        r = send(tern_bin, *full_args(files, f"127.0.0.1:{sink.port}", "--tls", "none"))
        assert r.returncode == 0, r.stderr
        assert r.stdout.strip() == "SINK0001"
        env = sink.wait(1)[0]
    assert env.mail_from == "app@example.org"
    assert sorted(env.rcpt_tos) == sorted(
        ["bob@example.net", "carol@example.net", "zoe@example.net", "secret@example.net"])
    check_full_message(env.original_content)


def test_a_refused_recipient_is_named_and_nothing_is_sent(tern_bin):
    with Sink() as sink:
        r = send(tern_bin, "--server", f"127.0.0.1:{sink.port}", "--tls", "none", "--from",
                 "app@example.org", "--to", "bob@example.net", "unknown-x@example.net")
        assert r.returncode == EX_NOUSER, (r.returncode, r.stderr)
        assert "unknown-x@example.net" in r.stderr
        assert re.search(r"reply\s+550 5\.1\.1", r.stderr) and "explanation" in r.stderr
        assert sink.messages == []


def test_a_line_over_998_octets_goes_quoted_printable(tern_bin, tmp_path):
    body = tmp_path / "b.txt"
    body.write_text("Grüße\n" + "x" * 1200 + "\n")
    with Sink() as sink:
        r = send(tern_bin, "--server", f"127.0.0.1:{sink.port}", "--tls", "none", "--from",
                 "app@example.org", "--to", "bob@example.net", "--body", str(body))
        assert r.returncode == 0, r.stderr
        data = sink.wait(1)[0].original_content
    m = parse(data)
    assert m["Content-Transfer-Encoding"] == "quoted-printable"  # the 1200-octet line
    assert m.get_content().replace("\r\n", "\n") == body.read_text()
    assert max(len(line) for line in data.split(b"\r\n")) <= 76


# ---- Postfix --------------------------------------------------------------------------------

def test_send_to_postfix(files, tern_bin):
    if shutil.which("postfix") is None or shutil.which("postcat") is None:
        pytest.skip("Postfix is not installed (Debian's postfix package; 'make deps')")
    if os.geteuid() != 0:
        pytest.skip("a private Postfix instance needs root to start")
    from test_deliver_ops import Postfix
    port = free_port()
    try:
        pf = Postfix(port)
    except AssertionError as e:
        pytest.skip(f"Postfix cannot start here: {e}")
    try:
        r = send(tern_bin, "--server", f"127.0.0.30:{port}", "--tls", "none", "--from",
                 "app@example.org", "--to", "Someone <someone@postfix.test>", "--subject",
                 SUBJECT, "--body", str(files / "body.txt"), "--attach",
                 str(files / "report.pdf"))
        assert r.returncode == 0, r.stderr + pf.log()
        pf_id = r.stdout.strip()
        assert re.fullmatch(r"[0-9A-Za-z]+", pf_id), r.stdout
        envelope = pf.postcat(pf_id, "-e").decode()
        assert "sender: app@example.org" in envelope
        assert "recipient: someone@postfix.test" in envelope
        data = pf.postcat(pf_id, "-h", "-b")
        m = parse(data.replace(b"\n", b"\r\n"))
        assert m["Subject"] == SUBJECT
        assert [p.get_filename() for p in m.iter_attachments()] == ["report.pdf"]
    finally:
        pf.stop()


# ---- what mail programs decode: many subjects and names through Python's email package -----

SUBJECTS = [
    "plain ASCII", "Grüße", "日本語の件名", "Привет, мир", "שלום עולם", "emoji 🎉🚀✨ party",
    "e\u0301 combining accent", "tabs\tand  double  spaces", "literally =?utf-8?q?not?= encoded",
    "x" * 120, "ü" * 120, "🎉" * 40, ("mixed ASCII and ünïcödé " * 6).strip(),
    "a (comment-like) \"quoted\" <angle> subject; with: specials",
]
NAMES = ["Bob", "Zoë Ångström", "Doe, John", "\"Quoted\" Name", "back\\slash", "李小龙",
         "a very long display name that goes on and on past the fold column of a header",
         "=?utf-8?b?Zm9v?="]


@pytest.mark.parametrize("subject", SUBJECTS)
def test_subjects_decode_to_what_was_given(tern_bin, subject):
    r = subprocess.run([tern_bin, "send", "--print", "--from", "app@example.org", "--to",
                        "bob@example.net", "--subject", subject], capture_output=True,
                       timeout=60, env={"TERN_CLIENT_CONFIG": "/dev/null"})
    assert r.returncode == 0, r.stderr
    head = r.stdout.split(b"\r\n\r\n", 1)[0]
    for line in head.split(b"\r\n"):  # longer only when one word that cannot be broken
        word = line if line[:1] in b" \t" else line.partition(b":")[2]
        assert len(line) <= 78 or b" " not in word.strip(), line
    assert head.isascii()
    assert parse(r.stdout)["Subject"] == subject


@pytest.mark.parametrize("name", NAMES)
def test_display_names_decode_to_what_was_given(tern_bin, name):
    # the name goes through --from's own parser: quote it the way a person would
    quoted = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    r = subprocess.run([tern_bin, "send", "--print", "--from",
                        f"{quoted if ',' in name else name} <app@example.org>", "--to",
                        "bob@example.net", "--subject", "x"], capture_output=True,
                       timeout=60, env={"TERN_CLIENT_CONFIG": "/dev/null"})
    assert r.returncode == 0, r.stderr
    head = r.stdout.split(b"\r\n\r\n", 1)[0]
    assert head.isascii()
    addr = parse(r.stdout)["From"].addresses[0]
    assert addr.addr_spec == "app@example.org"
    assert addr.display_name == name
