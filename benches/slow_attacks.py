#!/usr/bin/env python3
"""Slow and stalled-connection attacks against the example server, timing a legitimate status GET.

A measurement, not a test: timings depend on the machine, so CI only syntax-checks this file.
Python standard library only; loopback only; every attack is bounded (a fixed number of
connections, a fixed duration) and the server it starts is killed at the end.

    cargo build --release --features server --example server
    python3 benches/slow_attacks.py                      # every attack, DEFAULT server flags
    python3 benches/slow_attacks.py --only slowloris --probes 5

It starts `target/release/examples/server --listen 127.0.0.1:PORT --key-hex KEY` (no other flag:
the adapter's defaults, header timeout 10 s, body timeout 30 s, write timeout 10 s, 256
connections, 64 KiB of headers) and, for each attack, starts a fresh server and the attackers,
waits `--settle` seconds (2; none for stalled readers), then sends `--probes` (20; 6 and 4 for
the cap attacks) legitimate `GET /v1/sys/generate-recovery-token/attempt`, one after another,
`--spacing` seconds apart (0.6, so they span more than one timeout), each on a new connection, and times each from connect to the last byte of its
answer (which must be a 200). It prints one Markdown table row per attack: median and max wait,
and what the attackers did. The attacks:

- baseline: no attacker.
- slowloris: 128 connections (half the cap) sending a request's headers one byte every 0.5 s;
  a connection the server cuts (header timeout) is reopened.
- stalled-bodies: 128 connections sending a PUT's headers with `Content-Length: 1024` and never
  the body; reopened when the server answers (408 at the body timeout) or closes.
- stalled-readers: 64 connections each pipelining 14,000 status GETs (about 1 MB) and never
  reading an answer, with a 4 KB receive buffer so the server's writes block (the kernel takes
  what fits of the requests; the rest is never sent).
- content-type-flood: 8 clients looping PATCH requests whose Content-Type is 60 KB of 5,000
  distinct parameters (under the 64 KiB header limit, so the face's parser sees every byte).
- cap-slowloris: 300 slowloris connections (more than the 256 slots), reopened when cut: every
  slot held; a probe waits in the listen queue until a slot frees (bound: the header timeout).
- cap-stalled-bodies: 300 stalled-body connections, reopened when answered: every slot held
  (bound: the body timeout).
"""

import argparse
import os
import selectors
import socket
import statistics
import subprocess
import sys
import threading
import time

KEY = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
STATUS = b"GET /v1/sys/generate-recovery-token/attempt HTTP/1.1\r\nHost: x\r\n\r\n"
SLOW_HEADERS = (
    b"GET /v1/sys/generate-recovery-token/attempt HTTP/1.1\r\nHost: x\r\n"
    b"User-Agent: slowloris\r\nX-Padding: " + b"a" * 64 + b"\r\n\r\n"
)
STALLED_BODY = (
    b"PUT /v1/sys/generate-recovery-token/attempt HTTP/1.1\r\nHost: x\r\n"
    b"Content-Type: application/json\r\nContent-Length: 1024\r\n\r\n"
)


def content_type_flood():
    params = "application/merge-patch+json" + "".join(f";p{i:05}=val" for i in range(5000))
    assert 55_000 < len(params) < 64 * 1024 - 256
    return (
        "PATCH /v1/sys/generate-recovery-token/update HTTP/1.1\r\nHost: x\r\n"
        f"Content-Type: {params}\r\nContent-Length: 2\r\n\r\n{{}}"
    ).encode()


def read_answer(sock):
    """Reads one HTTP/1.1 answer with a Content-Length; returns its status code."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed before the headers")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed mid-body")
        body += chunk
    return status


def probe(addr, timeout):
    """One legitimate status GET on a new connection: its wait in seconds."""
    start = time.monotonic()
    with socket.create_connection(addr, timeout=timeout) as sock:
        sock.sendall(STATUS)
        status = read_answer(sock)
    if status != 200:
        raise RuntimeError(f"status GET answered {status}")
    return time.monotonic() - start


class Attack:
    """Attackers on one selector thread until stop() (connections, bytes, reconnects)."""

    def __init__(self, addr):
        self.addr = addr
        self.stopping = threading.Event()
        self.stats = {"opened": 0, "closed by server": 0}
        self.thread = threading.Thread(target=self.run, daemon=True)

    def open(self):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        try:
            sock.connect(self.addr)
        except BlockingIOError:
            pass
        self.stats["opened"] += 1
        return sock

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.stopping.set()
        self.thread.join(timeout=30)

    def run(self):
        raise NotImplementedError


def closed_by_peer(sock):
    """Whether the server closed `sock` (drains and ignores what it answered)."""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return True
    except BlockingIOError:
        return False
    except OSError:
        return True


class Dribble(Attack):
    """`n` connections each sending `payload` one byte every `interval` seconds (slowloris), or,
    with `interval` None, all of `payload` at once and then nothing (a stalled body). A
    connection the server closes is reopened."""

    def __init__(self, addr, n, payload, interval):
        super().__init__(addr)
        self.n, self.payload, self.interval = n, payload, interval

    def run(self):
        conns = [[self.open(), 0] for _ in range(self.n)]
        tick = self.interval or 0.25
        while not self.stopping.wait(tick):
            for c in conns:
                sock, sent = c
                if closed_by_peer(sock):
                    self.stats["closed by server"] += 1
                    sock.close()
                    c[0], c[1] = self.open(), 0
                    continue
                step = 1 if self.interval else len(self.payload)
                if sent < len(self.payload):
                    try:
                        c[1] += sock.send(self.payload[sent : sent + step])
                    except (BlockingIOError, OSError):
                        pass
        for sock, _ in conns:
            sock.close()


class StalledReaders(Attack):
    """`n` connections each pipelining `per` status GETs, never reading an answer."""

    def __init__(self, addr, n, per):
        super().__init__(addr)
        self.n, self.burst = n, STATUS * per
        self.stats = {"opened": 0, "bytes taken by the kernel": 0}

    def run(self):
        conns = []
        for _ in range(self.n):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            # A small receive window (set before connecting): the server's answers fill it
            # at once and its writes block, as behind a client that never reads.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.connect(self.addr)
            sock.setblocking(False)
            self.stats["opened"] += 1
            sent, deadline = 0, time.monotonic() + 0.2
            while sent < len(self.burst) and time.monotonic() < deadline:
                try:
                    sent += sock.send(self.burst[sent:])
                except BlockingIOError:
                    time.sleep(0.01)
                except OSError:
                    break
            self.stats["bytes taken by the kernel"] += sent
            conns.append(sock)
        self.stopping.wait()
        for sock in conns:
            sock.close()


class Flood(Attack):
    """`clients` threads each looping: connect, send `request`, read up to 1 KB of the answer."""

    def __init__(self, addr, clients, request):
        super().__init__(addr)
        self.clients, self.request = clients, request
        self.stats = {"requests sent": 0}
        self.lock = threading.Lock()

    def client(self):
        while not self.stopping.is_set():
            try:
                with socket.create_connection(self.addr, timeout=2) as sock:
                    sock.sendall(self.request)
                    sock.recv(1024)
                with self.lock:
                    self.stats["requests sent"] += 1
            except OSError:
                pass

    def run(self):
        workers = [threading.Thread(target=self.client, daemon=True) for _ in range(self.clients)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()


ATTACKS = {
    "baseline": lambda a: None,
    "slowloris": lambda a: Dribble(a, 128, SLOW_HEADERS, 0.5),
    "stalled-bodies": lambda a: Dribble(a, 128, STALLED_BODY, None),
    "stalled-readers": lambda a: StalledReaders(a, 64, 14_000),
    "content-type-flood": lambda a: Flood(a, 8, content_type_flood()),
    "cap-slowloris": lambda a: Dribble(a, 300, SLOW_HEADERS, 0.5),
    "cap-stalled-bodies": lambda a: Dribble(a, 300, STALLED_BODY, None),
}
# The cap attacks make every probe wait up to a timeout: fewer probes (still bounded).
CAP_PROBES = {"cap-slowloris": 6, "cap-stalled-bodies": 4}
# Stalled readers do most of their work (parsing their pipelined requests) in their first
# moments: probe at once. Probes spread over more than one timeout (10 s) in every attack.
SETTLE = {"stalled-readers": 0.0}


def start_server(binary, port):
    proc = subprocess.Popen(
        [binary, "--listen", f"127.0.0.1:{port}", "--key-hex", KEY],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    for line in proc.stdout:
        if line.startswith("Listening on http://"):
            return proc
    proc.kill()
    sys.exit("the server exited before listening")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default="target/release/examples/server")
    parser.add_argument("--port", type=int, default=18720)
    parser.add_argument("--probes", type=int, default=20)
    parser.add_argument("--settle", type=float, default=2.0, help="seconds before the probes")
    parser.add_argument("--spacing", type=float, default=0.6, help="seconds between probes")
    parser.add_argument("--only", action="append", choices=sorted(ATTACKS))
    args = parser.parse_args()
    addr = ("127.0.0.1", args.port)
    print(f"| attack | probes | median wait | max wait | load avg before/after | attackers |")
    print("|---|---:|---:|---:|---|---|")
    for name in args.only or list(ATTACKS):
        # A fresh server per attack: no attack inherits another's leftovers.
        server = start_server(args.server, args.port)
        try:
            attack = ATTACKS[name](addr)
            load_before = os.getloadavg()[0]
            if attack:
                attack.start()
                time.sleep(SETTLE.get(name, args.settle))
            n = min(args.probes, CAP_PROBES.get(name, args.probes))
            waits = []
            for _ in range(n):
                waits.append(probe(addr, timeout=60))
                time.sleep(args.spacing)
            if attack:
                attack.stop()
            load_after = os.getloadavg()[0]
            stats = ", ".join(f"{k} {v}" for k, v in attack.stats.items()) if attack else ""
            if name in CAP_PROBES:
                stats += "; waits (s) " + " ".join(f"{w:.2f}" for w in waits)
            print(
                f"| {name} | {n} | {statistics.median(waits) * 1e3:.1f} ms "
                f"| {max(waits) * 1e3:.1f} ms | {load_before:.2f} / {load_after:.2f} | {stats} |",
                flush=True,
            )
        finally:
            server.kill()
            server.wait()


if __name__ == "__main__":
    main()
