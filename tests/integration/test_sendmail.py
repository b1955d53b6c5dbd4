"""`tern sendmail`, and tern called by the name `sendmail`, as programs that pipe mail to
sendmail use it: -t -i with the recipients read from To, Cc and Bcc and no Bcc left in what
arrives; a lone dot ending the message without -i; -f and -F; sendmail's exit statuses; the
client configuration and its environment; and PHP's mail() with sendmail_path pointed at tern.
"""
import os
import re
import shutil
import subprocess

import pytest

from send_env import Sink, envelope_rcpts, header_names, parse, spooled
from server import PASSWORD, Server

EX_USAGE, EX_DATAERR, EX_NOUSER, EX_TEMPFAIL, EX_NOPERM, EX_CONFIG = 64, 65, 67, 75, 77, 78

PIPED = (b"From: App <app@example.org>\n"
         b"To: \"Doe, John\" <john@example.net>, Ann (boss) <ann@example.net>\n"
         b"Cc: carol@example.net,\n"
         b"\tdave@example.net\n"
         b"Bcc: secret@example.net,\n"
         b"  hidden@example.net\n"
         b"Subject: nightly report\n"
         b"\n"
         b"all is well\n"
         b".\n"
         b"the line above is a lone dot\n")
ALL = ["john@example.net", "ann@example.net", "carol@example.net", "dave@example.net",
       "secret@example.net", "hidden@example.net"]


@pytest.fixture(scope="module")
def srv(tern_bin, tmp_path_factory):
    s = Server(tern_bin, tmp_path_factory.mktemp("tern")).start()
    yield s
    s.stop()


def environment(**kw):
    e = {k: v for k, v in os.environ.items() if not k.startswith("TERN_")}
    e["TERN_CLIENT_CONFIG"] = "/dev/null"  # an empty configuration: the machine's stays out
    e.update(kw)
    return e


def sendmail(tern_bin, *args, stdin=PIPED, env=None, argv0=None):
    cmd = [argv0, *args] if argv0 else [tern_bin, "sendmail", *args]
    return subprocess.run(cmd, input=stdin, capture_output=True, timeout=60,
                          env=env if env is not None else environment())


def sink_env(sink):
    return environment(TERN_SERVER=f"127.0.0.1:{sink.port}", TERN_TLS="none")


def tern_env(srv, **kw):
    settings = dict(TERN_SERVER=f"127.0.0.1:{srv.starttls_port}", TERN_USER="app",
                    TERN_PASSWORD=PASSWORD, TERN_TLS_VERIFY="no")
    settings.update(kw)
    return environment(**settings)


# ---- -t -i ----------------------------------------------------------------------------------

def test_t_i_reads_the_recipients_and_drops_bcc(tern_bin):
    with Sink() as sink:
        r = sendmail(tern_bin, "-t", "-i", env=sink_env(sink))
        assert r.returncode == 0, r.stderr
        assert r.stdout == b""  # sendmail is quiet when all is well
        env = sink.wait(1)[0]
    assert sorted(env.rcpt_tos) == sorted(ALL)
    assert env.mail_from == "app@example.org"  # the From, without -f
    data = env.original_content
    assert "bcc" not in header_names(data)
    assert b"secret@example.net" not in data and b"hidden@example.net" not in data
    assert b"\r\nCc: carol@example.net,\r\n\tdave@example.net\r\n" in data
    assert data.endswith(b"\r\n\r\nall is well\r\n.\r\nthe line above is a lone dot\r\n")
    m = parse(data)
    assert m["Subject"] == "nightly report" and m["Message-ID"] and m["Date"]


def test_without_i_a_lone_dot_ends_the_message(tern_bin):
    with Sink() as sink:
        r = sendmail(tern_bin, "-t", env=sink_env(sink))
        assert r.returncode == 0, r.stderr
        data = sink.wait(1)[0].original_content
    assert data.endswith(b"\r\n\r\nall is well\r\n")
    assert b"lone dot" not in data


def test_combined_flags_and_recipients_as_arguments(tern_bin):
    with Sink() as sink:
        r = sendmail(tern_bin, "-ti", "-oi", "-odi", "-oem", "-N", "never", "-v",
                     "extra@example.net", "Bee <bee@example.net>, john@example.net",
                     env=sink_env(sink))
        assert r.returncode == 0, r.stderr
        assert r.stdout.strip() == b"SINK0001"  # -v prints the queue id
        env = sink.wait(1)[0]
    assert sorted(env.rcpt_tos) == sorted(ALL + ["extra@example.net", "bee@example.net"])


def test_f_and_F_for_a_message_without_from(tern_bin):
    msg = b"To: bob@example.net\nSubject: from cron\n\nhello\n"
    with Sink() as sink:
        r = sendmail(tern_bin, "-t", "-f", "cron@example.org", "-F", "Cron Daemön",
                     stdin=msg, env=sink_env(sink))
        assert r.returncode == 0, r.stderr
        env = sink.wait(1)[0]
    assert env.mail_from == "cron@example.org" and env.rcpt_tos == ["bob@example.net"]
    m = parse(env.original_content)
    assert m["From"].addresses[0].display_name == "Cron Daemön"
    assert m["From"].addresses[0].addr_spec == "cron@example.org"


def test_called_by_the_name_sendmail(tern_bin, tmp_path):
    link = tmp_path / "sendmail"
    link.symlink_to(tern_bin)
    with Sink() as sink:
        r = sendmail(tern_bin, "-t", "-i", "-h", "30", env=sink_env(sink), argv0=str(link))
        assert r.returncode == 0, r.stderr
        assert sorted(sink.wait(1)[0].rcpt_tos) == sorted(ALL)
    r = sendmail(tern_bin, "-t", argv0=str(link))  # the empty configuration names no server
    assert r.returncode == EX_CONFIG
    assert r.stderr.startswith(b"sendmail: no tern server is configured")


# ---- tern's own server, and the client configuration ----------------------------------------

def test_to_tern_with_auth_over_starttls(srv, tern_bin):
    r = sendmail(tern_bin, "-t", "-i", env=tern_env(srv), stdin=PIPED)
    assert r.returncode == 0, r.stderr
    ids = srv.queue_ids()
    summary, data = spooled(srv, ids[-1])
    assert sorted(envelope_rcpts(summary)) == sorted(ALL)
    assert "bcc" not in header_names(data)


def test_configuration_file(srv, tern_bin, tmp_path):
    pw = tmp_path / "password"
    pw.write_text(PASSWORD + "\n")
    conf = tmp_path / "client.conf"
    conf.write_text(f"[client]\nserver = 127.0.0.1:{srv.starttls_port}\ntls = starttls\n"
                    f"user = app\npassword_file = {pw}\ntls_verify = no\n"
                    "from = app@example.org\n")
    before = len(srv.queue_ids())
    r = sendmail(tern_bin, "-C", str(conf), "bob@example.net",
                 stdin=b"Subject: no From here\n\nbody\n", env=environment())
    assert r.returncode == 0, r.stderr
    ids = srv.queue_ids()
    assert len(ids) == before + 1
    summary, data = spooled(srv, ids[-1])
    assert parse(data)["From"] == "app@example.org"  # from = in the configuration
    # a password file that is not there says what to create
    pw.unlink()
    r = sendmail(tern_bin, "-t", env=environment(TERN_CLIENT_CONFIG=str(conf)))
    assert r.returncode == EX_CONFIG
    assert b"cannot read the password file" in r.stderr and b"create it" in r.stderr
    # so does a configuration file that is not there, when one is named
    r = sendmail(tern_bin, "-t", env=environment(TERN_CLIENT_CONFIG=str(tmp_path / "nope")))
    assert r.returncode == EX_CONFIG and b"create it with a [client] section" in r.stderr
    conf.write_text("[client]\nserver = x\nsmarthost = y\n")
    r = sendmail(tern_bin, "-t", env=environment(TERN_CLIENT_CONFIG=str(conf)))
    assert r.returncode == EX_CONFIG and f"{conf}:3: unknown key 'smarthost'".encode() in r.stderr


def test_crons_message_is_taken(srv, tern_bin):
    """What Debian's cron does with MAILTO=ops@example.net: its From names a local user,
    which tern's server would refuse; the configured sender takes its place."""
    msg = (b"From: root (Cron Daemon)\nTo: ops@example.net\nSubject: Cron <root@host> date\n"
           b"MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n"
           b"Content-Transfer-Encoding: 8bit\nX-Cron-Env: <SHELL=/bin/sh>\n\n"
           b"Mon Nov 23 10:00:00 UTC 2026\n")
    before = set(srv.queue_ids())
    r = sendmail(tern_bin, "-FCronDaemon", "-i", "-B8BITMIME", "-oem", "ops@example.net",
                 stdin=msg, env=tern_env(srv, TERN_FROM="app@example.org"))
    assert r.returncode == 0, r.stderr
    new = [q for q in srv.queue_ids() if q not in before]
    summary, data = spooled(srv, new[0])
    assert envelope_rcpts(summary) == ["ops@example.net"]
    m = parse(data)
    assert m["From"] == "CronDaemon <app@example.org>" and m["X-Cron-Env"] == "<SHELL=/bin/sh>"
    # without MAILTO cron mails the local user: refused, saying what to set
    r = sendmail(tern_bin, "-FCronDaemon", "-i", "-B8BITMIME", "-oem", "root", stdin=msg,
                 env=tern_env(srv, TERN_FROM="app@example.org"))
    assert r.returncode == EX_DATAERR and b"set MAILTO=address in the crontab" in r.stderr


# ---- failures: sendmail's statuses, the reply and what it means -----------------------------

def test_a_wrong_password(srv, tern_bin):
    r = sendmail(tern_bin, "-t", "-i", env=tern_env(srv, TERN_PASSWORD="wrong"))
    assert r.returncode == EX_NOPERM, r.stderr
    assert re.search(rb"reply\s+535 5\.7\.8", r.stderr) and b"explanation" in r.stderr


def test_a_refused_recipient(tern_bin):
    with Sink() as sink:
        r = sendmail(tern_bin, "unknown-bob@example.net", stdin=b"Subject: x\n\ny\n",
                     env=environment(TERN_SERVER=f"127.0.0.1:{sink.port}", TERN_TLS="none",
                                     TERN_FROM="app@example.org"))
        assert r.returncode == EX_NOUSER, r.stderr
        assert b"unknown-bob@example.net" in r.stderr and b"550 5.1.1" in r.stderr
        assert sink.messages == []


def test_server_down_is_tempfail(tern_bin):
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        env = environment(TERN_SERVER=f"127.0.0.1:{s.getsockname()[1]}", TERN_TLS="none")
        r = sendmail(tern_bin, "-t", "-i", env=env)
    assert r.returncode == EX_TEMPFAIL, r.stderr
    assert b"refused" in r.stderr


@pytest.mark.parametrize("args, stdin, status, words", [
    (["-i"], PIPED, EX_USAGE, b"no recipients"),
    (["-t"], b"Subject: nobody\n\nx\n", EX_USAGE, b"no recipients"),
    (["-bs"], PIPED, EX_USAGE, b"-bs (SMTP on standard input) is not offered"),
    (["-q"], PIPED, EX_USAGE, b"no local queue"),
    (["-k"], PIPED, EX_USAGE, b"unknown option -k"),
    (["-f"], PIPED, EX_USAGE, b"-f needs a value"),
    (["-t"], b"To: <broken@example.net\n\nx\n", EX_DATAERR, b"the To field cannot be read"),
    (["root"], PIPED, EX_DATAERR, b"the recipient 'root' cannot be read"),
])
def test_usage_and_data_errors(tern_bin, args, stdin, status, words):
    r = sendmail(tern_bin, *args, stdin=stdin,
                 env=environment(TERN_SERVER="127.0.0.1:9", TERN_TLS="none"))
    assert r.returncode == status, r.stderr
    assert words in r.stderr, r.stderr


def test_newaliases_has_nothing_to_do(tern_bin):
    assert sendmail(tern_bin, "-bi", stdin=b"").returncode == 0
    assert sendmail(tern_bin, "-I", stdin=b"").returncode == 0


# ---- PHP's mail() ---------------------------------------------------------------------------

PHP = r"""
$ok = mail("Bob <bob@example.net>", "Grüße from PHP", "Hello from mail().\nSecond line.",
           "From: App <app@example.org>\r\nCc: carol@example.net\r\nBcc: secret@example.net\r\n"
           . "Content-Type: text/plain; charset=utf-8");
echo $ok ? "sent" : "failed";
"""


def test_php_mail_delivers_through_tern(srv, tern_bin, tmp_path):
    php = shutil.which("php")
    if php is None:
        pytest.skip("php is not installed (Debian's php-cli; 'make deps')")
    link = tmp_path / "sendmail"
    link.symlink_to(tern_bin)
    before = set(srv.queue_ids())
    r = subprocess.run([php, "-n", "-d", f"sendmail_path={link} -t -i", "-r", PHP],
                       capture_output=True, text=True, timeout=60, env=tern_env(srv))
    assert r.stdout.strip() == "sent", (r.stdout, r.stderr)
    new = [q for q in srv.queue_ids() if q not in before]
    assert len(new) == 1
    summary, data = spooled(srv, new[0])
    assert sorted(envelope_rcpts(summary)) == sorted(
        ["bob@example.net", "carol@example.net", "secret@example.net"])
    assert "bcc" not in header_names(data)
    m = parse(data)
    assert m["Subject"] == "Grüße from PHP"  # PHP wrote it raw; it arrives encoded
    assert b"Subject: =?utf-8?b?" in data
    assert m["To"].addresses[0].addr_spec == "bob@example.net"
    assert "Hello from mail()." in m.get_content()


def test_php_mail_reports_failure(srv, tern_bin, tmp_path):
    php = shutil.which("php")
    if php is None:
        pytest.skip("php is not installed (Debian's php-cli; 'make deps')")
    r = subprocess.run([php, "-n", "-d", f"sendmail_path={tern_bin} sendmail -t -i", "-r", PHP],
                       capture_output=True, text=True, timeout=60,
                       env=tern_env(srv, TERN_PASSWORD="wrong"))
    assert r.stdout.strip().endswith("failed"), (r.stdout, r.stderr)
    assert "535 5.7.8" in r.stderr + r.stdout
