#!/usr/bin/python3
"""The relay benchmark: how fast mail goes through tern end to end, next to Postfix and to
the wire limit, and how fast a backlog drains.

  wire     smtp-source -> smtp-sink directly: one hop, nothing stored (the wire limit)
  tern     smtp-source -> tern -> smtp-sink: fsync before every 250 and before a spool
           entry is removed, delivery through a route ([route *]) to the sink
  postfix  smtp-source -> Postfix -> smtp-sink (relayhost), Postfix's own queue

End to end means from the first message sent until smtp-sink has counted the last one. 10 KB
and 100 KB messages, 20 sessions with many messages each (smtp-source -d).

Backlog: BACKLOG messages accepted by tern while the sink is down (each deferred once), then
the sink comes up and `tern queue retry --all` releases them; the drain rate and tern's memory
per queued message (RSS growth over the backlog / its size). The same for Postfix with
`postqueue -f`, with a smaller backlog (it accepts about 10 times slower).

Results are appended to bench/RESULTS.md (bench/bench.py writes its first part).

Usage: bench/relay.py [--tern build/release/tern] [--quick]
"""

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import (RESULTS, WORK, Postfix, free_port, machine, raise_nofile,  # noqa: E402
                   rss_kib, wait_port)

SESSIONS = 20


class Sink:
    """smtp-sink with a running counter (-c): it prints mesg=N as messages arrive."""

    def __init__(self, port=None):
        self.port = port or free_port()
        self.count = 0
        cmd = ["smtp-sink", "-c"]
        if os.geteuid() == 0:
            cmd += ["-u", "nobody"]
        self.proc = subprocess.Popen(cmd + [f"127.0.0.1:{self.port}", "1024"],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        wait_port(self.port, self.proc)

    def _read(self):
        buf = b""
        while True:
            chunk = self.proc.stdout.read1(65536)
            if not chunk:
                return
            buf = (buf + chunk)[-256:]
            found = re.findall(rb"mesg=(\d+)", buf)
            if found:
                self.count = int(found[-1])

    def wait_count(self, n, timeout):
        deadline = time.monotonic() + timeout
        while self.count < n:
            if time.monotonic() > deadline:
                raise SystemExit(f"relay bench: the sink got {self.count} of {n} messages "
                                 f"in {timeout} s")
            time.sleep(0.01)
        return time.monotonic()

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


class Tern:
    def __init__(self, binary, sink_port, name="tern-relay"):
        self.binary = binary
        self.dir = WORK / name
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True)
        self.port = free_port()
        self.conf = self.dir / "tern.conf"
        self.conf.write_text(f"""\
[server]
hostname = bench.test
data_dir = {self.dir}
log_level = warn
trusted_networks = 127.0.0.0/8

[listener plain]
address = 127.0.0.1
port = {self.port}
tls = none

[limits]
max_connections_per_ip = 0

[delivery]
helo_name = bench.test
tls = none
retry_schedule = 1h
per_destination = {SESSIONS}

[route *]
host = 127.0.0.1:{sink_port}
tls = none
""")
        self.log = open(self.dir / "tern.log", "w")
        self.proc = subprocess.Popen([binary, "serve", "-c", str(self.conf)],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        wait_port(self.port, self.proc)

    def cli(self, *args):
        return subprocess.run([self.binary, *args, "-c", str(self.conf)], capture_output=True,
                              text=True, timeout=600)

    def queued(self):
        out = self.cli("queue", "list").stdout
        m = re.search(r"^(\d+) messages?$", out, re.M)
        return int(m.group(1)) if m else -1

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=60)
        self.log.close()


def source(port, size, messages, sessions=SESSIONS):
    cmd = ["smtp-source", "-s", str(sessions), "-l", str(size), "-m", str(messages), "-d",
           "-f", "sender@bench.test", "-t", "rcpt@example.net", f"127.0.0.1:{port}"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    if r.returncode != 0:
        raise SystemExit(f"relay bench: smtp-source failed: {r.stderr.strip()}")


def end_to_end(target_port, sink, size, messages):
    base = sink.count
    start = time.monotonic()
    source(target_port, size, messages)
    done = sink.wait_count(base + messages, timeout=1800)
    return messages / (done - start)


def wire(size, messages):
    sink = Sink()
    try:
        return end_to_end(sink.port, sink, size, messages)
    finally:
        sink.stop()


def settle(tern):
    """Waits until the first attempt of everything queued has failed (the sink is down)."""
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if "deferred" in tern.cli("events", "--limit", "1", "--status", "deferred").stdout:
            break
        time.sleep(0.5)
    time.sleep(2)


def backlog_tern(binary, n, size):
    """Memory per queued message is the growth of RSS between half and all of the backlog,
    divided by the second half: what each more message costs, without the fixed costs
    (thread arenas, database caches) that the first messages bring."""
    sink_port = free_port()
    tern = Tern(binary, sink_port, name="tern-backlog")
    try:
        source(tern.port, size, n // 2)
        settle(tern)
        half = rss_kib(tern.proc.pid)
        source(tern.port, size, n - n // 2)
        settle(tern)
        held = rss_kib(tern.proc.pid)
        queued = tern.queued()
        sink = Sink(sink_port)
        try:
            start = time.monotonic()
            tern.cli("queue", "retry", "--all")
            done = sink.wait_count(n, timeout=1800)
        finally:
            sink.stop()
        return {"rate": n / (done - start), "per_msg": (held - half) * 1024 / (n - n // 2),
                "queued": queued, "rss_mib": held / 1024}
    finally:
        tern.stop()


def backlog_postfix(n, size):
    sink_port = free_port()
    pf = Postfix(relay_port=sink_port, name="postfix-backlog")
    try:
        source(pf.port, size, n)
        sink = Sink(sink_port)
        try:
            start = time.monotonic()
            pf.flush()
            done = sink.wait_count(n, timeout=1800)
        finally:
            sink.stop()
        return {"rate": n / (done - start)}
    finally:
        pf.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tern", default="build/release/tern")
    ap.add_argument("--quick", action="store_true", help="small counts, for a smoke run")
    args = ap.parse_args()
    raise_nofile()
    WORK.mkdir(parents=True, exist_ok=True)
    counts = {10240: 3000 if args.quick else 20000, 102400: 1000 if args.quick else 6000}
    backlog, pf_backlog = (5000, 1000) if args.quick else (100000, 10000)
    rows = []
    for size, n in counts.items():
        print(f"relay {size // 1024} KB x {n}", flush=True)
        r = {"wire": wire(size, n)}
        print(f"  wire: {r['wire']:,.0f} msg/s", flush=True)
        sink = Sink()
        tern = Tern(args.tern, sink.port)
        try:
            r["tern"] = end_to_end(tern.port, sink, size, n)
        finally:
            tern.stop()
            sink.stop()
        print(f"  tern: {r['tern']:,.0f} msg/s", flush=True)
        if os.geteuid() == 0:
            sink = Sink()
            pf = Postfix(relay_port=sink.port, name="postfix-relay")
            try:
                r["postfix"] = end_to_end(pf.port, sink, size, n)
            finally:
                pf.stop()
                sink.stop()
            print(f"  postfix: {r['postfix']:,.0f} msg/s", flush=True)
        rows.append((size, n, r))
    print(f"backlog: {backlog} messages", flush=True)
    bt = backlog_tern(args.tern, backlog, 10240)
    print(f"  tern drains {bt['rate']:,.0f} msg/s, {bt['per_msg']:.0f} bytes per queued "
          f"message", flush=True)
    bp = backlog_postfix(pf_backlog, 10240) if os.geteuid() == 0 else None
    if bp:
        print(f"  postfix drains {bp['rate']:,.0f} msg/s", flush=True)

    lines = ["", "# Relay benchmark", "",
             f"Made by `make bench` on {time.strftime('%Y-%m-%d')}: {machine()}.",
             f"smtp-source sends over {SESSIONS} sessions with many messages each (-d); a rate "
             "is messages divided by the time from the first message sent until smtp-sink has "
             "counted the last. tern fsyncs before every 250 and before it removes a spool "
             "entry; it delivers through a route to the sink. Postfix relays to the sink "
             "(relayhost).", "",
             "| size | messages | wire msg/s | tern msg/s | postfix msg/s | tern / wire | "
             "tern / postfix |", "|---|---|---|---|---|---|---|"]
    for size, n, r in rows:
        pf = r.get("postfix")
        pf_rate = f"{pf:,.0f}" if pf else "n/a"
        vs_pf = f"{r['tern'] / pf:.1f}x" if pf else "n/a"
        lines.append(f"| {size // 1024} KB | {n:,} | {r['wire']:,.0f} | {r['tern']:,.0f} | "
                     f"{pf_rate} | {r['tern'] / r['wire']:.0%} | {vs_pf} |")
    small = rows[0][2]
    big = rows[-1][2]
    if "postfix" in small:
        x = small["tern"] / small["postfix"]
        lines.append(f"\nTarget: at 10 KB, 5x Postfix end to end or more: "
                     f"{'met' if x >= 5 else 'not met'} ({x:.1f}x).")
    y = big["tern"] / big["wire"]
    lines.append(f"Target: at 100 KB, 70% of the one-hop wire limit or more: "
                 f"{'met' if y >= 0.7 else 'not met'} ({y:.0%}).")
    lines += ["", "## Backlog drain", "",
              f"- tern: {backlog:,} messages of 10 KB accepted while the sink was down (each "
              f"deferred once), then `tern queue retry --all`: drained at {bt['rate']:,.0f} "
              f"msg/s. RSS {bt['rss_mib']:.1f} MiB with {bt['queued']:,} queued; each message "
              f"queued costs {bt['per_msg']:.0f} bytes (RSS growth over the second half of the "
              f"backlog; target 300: "
              f"{'met' if bt['per_msg'] <= 300 else 'not met'})."]
    if bp:
        lines.append(f"- Postfix: {pf_backlog:,} messages held by a down relayhost, then "
                     f"`postqueue -f`: drained at {bp['rate']:,.0f} msg/s; tern / Postfix "
                     f"{bt['rate'] / bp['rate']:.1f}x.")
    lines.append("")
    with open(RESULTS, "a") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
