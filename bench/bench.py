#!/usr/bin/python3
"""The accept benchmark: how fast tern takes mail, next to the wire limit and to Postfix.

One run on one machine, side by side, so that the ratios mean something even where the
absolute rates drift (shared machines do):

  sink     smtp-sink, Postfix's test server that stores nothing: the wire limit
  postfix  Postfix from Debian on a loopback port with its own queue (messages are held,
           so it does the same work as tern: receive, write, fsync, answer)
  tern     tern with fsync before every 250; the client is in trusted_networks
  policy   the same tern with its sender policy on: the client sends as a user with an
           approved sender, quotas that count every message, and 1,000,000 addresses on
           the suppression list

The client is smtp-source (Debian's postfix package): 10 KB messages over 20 and 100
sessions, one message per connection and, with -d, many per connection. Every setting is
run REPEAT times, the targets taking turns, and the median rate counts. Then tern's memory
with 5,000 idle sessions. Results go to bench/RESULTS.md (and stdout).

Usage: bench/bench.py [--tern build/release/tern] [--messages N] [--repeat R] [--quick]
"""

import argparse
import os
import platform
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / "work"
RESULTS = ROOT / "bench" / "RESULTS.md"
MSG_SIZE = 10240
IDLE_SESSIONS = 5000


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc=None, timeout=20):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc is not None and proc.poll() is not None:
            raise SystemExit(f"bench: the server on port {port} exited early")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"bench: nothing listens on 127.0.0.1:{port} after {timeout}s")


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class Sink:
    name = "sink"

    def __init__(self):
        self.port = free_port()
        cmd = ["smtp-sink"]
        if os.geteuid() == 0:
            cmd += ["-u", "nobody"]
        self.proc = subprocess.Popen(cmd + [f"127.0.0.1:{self.port}", "1024"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.port, self.proc)

    def between_runs(self):
        pass

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


class Postfix:
    """A private Postfix instance: its own configuration, queue and log under bench/work."""
    name = "postfix"

    def __init__(self, relay_port=None, name="postfix"):
        """Holds what it accepts; with relay_port, relays everything to 127.0.0.1:relay_port
        instead (the relay benchmark)."""
        self.name = name
        self.dir = WORK / name
        if (self.dir / "etc" / "main.cf").exists():  # left running by an interrupted bench
            subprocess.run(["postfix", "-c", str(self.dir / "etc"), "stop"],
                           capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)
        for d in ("etc", "queue", "data"):
            (self.dir / d).mkdir(parents=True)
        shutil.chown(self.dir / "data", "postfix")
        self.port = free_port()
        # Held messages are written and fsynced by cleanup like any other, and no delivery
        # agent runs: the same work as tern's accept path, no more.
        (self.dir / "etc" / "main.cf").write_text(f"""\
compatibility_level = 3.6
queue_directory = {self.dir}/queue
data_directory = {self.dir}/data
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
shlib_directory = /usr/lib/postfix
meta_directory = /etc/postfix
mail_owner = postfix
setgid_group = postdrop
myhostname = bench.test
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
{"relayhost = [127.0.0.1]:" + str(relay_port) if relay_port else
 "smtpd_end_of_data_restrictions = check_client_access static:HOLD"}
default_destination_concurrency_limit = 20
smtp_connection_cache_on_demand = yes
default_process_limit = 200
in_flow_delay = 0
message_size_limit = 0
maillog_file = {self.dir}/maillog
maillog_file_prefixes = {self.dir}
""")
        (self.dir / "etc" / "master.cf").write_text(f"""\
127.0.0.1:{self.port} inet n - n - - smtpd
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
smtp      unix - - n - - smtp
relay     unix - - n - - smtp
""")
        self.conf = str(self.dir / "etc")
        r = subprocess.run(["postfix", "-c", self.conf, "start"], capture_output=True, text=True)
        if r.returncode != 0:
            raise SystemExit("bench: Postfix did not start (it says why on a terminal: "
                             f"postfix -c {self.conf} check): " + r.stderr + r.stdout)
        wait_port(self.port)

    def between_runs(self):
        subprocess.run(["postsuper", "-c", self.conf, "-d", "ALL"], capture_output=True)

    def flush(self):
        subprocess.run(["postqueue", "-c", self.conf, "-f"], capture_output=True)

    def queue_empty(self):
        r = subprocess.run(["postqueue", "-c", self.conf, "-p"], capture_output=True, text=True)
        return "Mail queue is empty" in r.stdout

    def stop(self):
        subprocess.run(["postfix", "-c", self.conf, "stop"], capture_output=True)


class Tern:
    name = "tern"

    def __init__(self, binary, policy=False):
        self.name = "policy" if policy else "tern"
        self.dir = WORK / self.name
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True)
        self.port = free_port()
        self.conf = self.dir / "tern.conf"
        self.conf.write_text(f"""\
[server]
hostname = bench.test
data_dir = {self.dir}
log_level = info
trusted_networks = 127.0.0.0/8
max_connections = {IDLE_SESSIONS + 1000}

[listener plain]
address = 127.0.0.1
port = {self.port}
tls = none

[limits]
max_connections_per_ip = 0
{"per_minute = 100000000" if policy else ""}
{"per_hour = 100000000" if policy else ""}
{"per_day = 1000000000" if policy else ""}
{"domain_per_hour = 100000000" if policy else ""}

[policy]
{"trusted_user = bench" if policy else ""}

[delivery]
# the accept benchmark measures taking mail in (Postfix holds it too); bench/relay.py
# measures delivery
enabled = no
""")
        if policy:
            self.cli(binary, "user", "add", "bench", "--password-stdin", stdin="bench-pw\n")
            self.cli(binary, "sender", "add", "bench", "@bench.test")
            csv = self.dir / "suppressed.csv"
            with open(csv, "w") as f:
                for i in range(1_000_000):
                    f.write(f"user{i}@bulk{i % 1000}.example,bounce,bench,1767225600,0\n")
            t0 = time.monotonic()
            self.cli(binary, "suppress", "import", str(csv))
            self.import_seconds = time.monotonic() - t0
            csv.unlink()
        self.log = open(self.dir / "tern.log", "w")
        self.proc = subprocess.Popen([binary, "serve", "-c", str(self.conf)],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        wait_port(self.port, self.proc)

    def cli(self, binary, *args, stdin=None):
        r = subprocess.run([binary, *args, "-c", str(self.conf)], input=stdin, text=True,
                           capture_output=True, timeout=600)
        if r.returncode != 0:
            raise SystemExit(f"bench: tern {' '.join(args)} failed: {r.stderr}")

    def between_runs(self):
        pass

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)
        self.log.close()


def run_source(port, sessions, reuse, messages):
    cmd = ["smtp-source", "-s", str(sessions), "-l", str(MSG_SIZE), "-m", str(messages),
           "-f", "sender@bench.test", "-t", "rcpt@example.net"]
    if reuse:
        cmd.append("-d")
    start = time.monotonic()
    r = subprocess.run(cmd + [f"127.0.0.1:{port}"], capture_output=True, text=True, timeout=900)
    took = time.monotonic() - start
    if r.returncode != 0:
        raise SystemExit(f"bench: smtp-source failed against port {port}: {r.stderr.strip()}")
    return messages / took


def idle_sessions(tern):
    """RSS of tern before and after IDLE_SESSIONS clients connected and said EHLO."""
    time.sleep(0.5)
    before = rss_kib(tern.proc.pid)
    socks = []
    try:
        for _ in range(IDLE_SESSIONS):
            s = socket.create_connection(("127.0.0.1", tern.port), timeout=10)
            s.sendall(b"EHLO idle.bench.test\r\n")
            socks.append(s)
        for s in socks:  # greeting and EHLO reply, so every session is set up
            got = b""
            while not re.search(rb"\r\n250 [^\r\n]*\r\n$", got):
                chunk = s.recv(4096)
                if not chunk:
                    raise SystemExit("bench: tern closed an idle session: " + got.decode())
                got += chunk
        time.sleep(0.5)
        after = rss_kib(tern.proc.pid)
    finally:
        for s in socks:
            s.close()
    return before, after


def median_rates(targets, scenarios, messages, repeat):
    rates = {(sc, t.name): [] for sc in scenarios for t in targets}
    for rep in range(repeat):
        for sessions, reuse in scenarios:
            for t in targets:
                rate = run_source(t.port, sessions, reuse, messages)
                rates[((sessions, reuse), t.name)].append(rate)
                t.between_runs()
                print(f"  run {rep + 1}/{repeat} sessions={sessions} "
                      f"{'reuse' if reuse else 'one-per-conn'} {t.name}: {rate:,.0f} msg/s",
                      flush=True)
    return {k: statistics.median(v) for k, v in rates.items()}


def machine():
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    pf = subprocess.run(["postconf", "-d", "-h", "mail_version"], capture_output=True,
                        text=True).stdout.strip()
    return f"{os.cpu_count()} CPUs ({cpu}), Linux {platform.release()}, Postfix {pf}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tern", default=str(ROOT / "build" / "release" / "tern"))
    ap.add_argument("--messages", type=int, default=20000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="2,000 messages, one repeat")
    args = ap.parse_args()
    if args.quick:
        args.messages, args.repeat = 2000, 1
    for tool in ("smtp-source", "smtp-sink", "postfix"):
        if shutil.which(tool) is None:
            raise SystemExit(f"bench: {tool} is missing; run 'make deps' (Debian's postfix)")
    if not os.access(args.tern, os.X_OK):
        raise SystemExit(f"bench: no tern binary at {args.tern}; run 'make build'")
    nofile = raise_nofile()
    if nofile < IDLE_SESSIONS + 100:
        raise SystemExit(f"bench: the open-file limit is {nofile}; {IDLE_SESSIONS + 100} needed")
    WORK.mkdir(parents=True, exist_ok=True)

    targets = []
    try:
        targets.append(Sink())
        if os.geteuid() == 0:
            targets.append(Postfix())
        else:
            print("bench: not root, so no Postfix instance (it needs root to start)")
        tern = Tern(args.tern)
        targets.append(tern)
        policy = Tern(args.tern, policy=True)
        targets.append(policy)
        scenarios = [(20, False), (100, False), (20, True), (100, True)]
        print(f"accept benchmark: {args.messages} messages of {MSG_SIZE} bytes per run, "
              f"median of {args.repeat}", flush=True)
        rates = median_rates(targets, scenarios, args.messages, args.repeat)
        peak = rss_kib(tern.proc.pid)
        before, after = idle_sessions(tern)
    finally:
        for t in targets:
            t.stop()

    names = [t.name for t in targets]
    lines = [
        "# Accept benchmark",
        "",
        f"Made by `make bench` on {time.strftime('%Y-%m-%d')}: {machine()}.",
        "Columns: smtp-sink (stores nothing), Postfix, tern, and tern with its sender policy on "
        "(approved sender, quotas counting, 1,000,000 suppressed addresses). "
        f"smtp-source sends {args.messages:,} messages of {MSG_SIZE // 1024} KB per run; each "
        f"rate is the median of {args.repeat} runs, the targets taking turns. tern fsyncs "
        "every message before its 250; Postfix holds what it accepts (written and fsynced, "
        "not delivered); smtp-sink stores nothing and is the wire limit.",
        "",
        "| sessions | messages per connection | " + " | ".join(f"{n} msg/s" for n in names)
        + " | tern / sink | tern / postfix | policy / tern |",
        "|---|---|" + "---|" * len(names) + "---|---|---|",
    ]
    verdicts = []
    for sc in scenarios:
        row = [str(sc[0]), "many (-d)" if sc[1] else "one"]
        row += [f"{rates[(sc, n)]:,.0f}" for n in names]
        vs_sink = rates[(sc, "tern")] / rates[(sc, "sink")]
        row.append(f"{vs_sink:.0%}")
        if "postfix" in names:
            vs_pf = rates[(sc, "tern")] / rates[(sc, "postfix")]
            row.append(f"{vs_pf:.1f}x")
            verdicts.append((vs_sink, vs_pf))
        else:
            row.append("n/a")
            verdicts.append((vs_sink, None))
        row.append(f"{rates[(sc, 'policy')] / rates[(sc, 'tern')]:.0%}")
        lines.append("| " + " | ".join(row) + " |")
    per_session = (after - before) * 1024 / IDLE_SESSIONS
    worst_policy = min(rates[(sc, "policy")] / rates[(sc, "tern")] for sc in scenarios)
    worst_sink = min(v[0] for v in verdicts)
    lines += [
        "",
        f"Target: tern at least 80% of smtp-sink in every row: "
        f"{'met' if worst_sink >= 0.8 else 'not met'} (lowest {worst_sink:.0%}).",
    ]
    if "postfix" in names:
        worst_pf = min(v[1] for v in verdicts)
        lines.append(f"Target: 6x Postfix or more: {'met' if worst_pf >= 6 else 'not met'} "
                     f"(lowest {worst_pf:.1f}x).")
    lines.append(f"Target: policy within 10% of tern without it: "
                 f"{'met' if worst_policy >= 0.9 else 'not met'} (lowest {worst_policy:.0%}; "
                 f"1,000,000 suppressed addresses imported in {policy.import_seconds:.1f} s).")
    lines += [
        "",
        "## Memory",
        "",
        f"- tern's peak RSS after the runs: {peak / 1024:.1f} MiB.",
        f"- {IDLE_SESSIONS:,} idle sessions (connected, EHLO answered): RSS {before / 1024:.1f} "
        f"MiB before, {after / 1024:.1f} MiB after: {per_session / 1024:.1f} KiB per session "
        f"(target 16 KiB: {'met' if per_session <= 16 * 1024 else 'not met'}).",
        "",
        "Absolute rates drift on shared machines; the ratios, measured in one run, hold.",
        "",
    ]
    RESULTS.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
