#!/usr/bin/env python3
"""Status-GET throughput and latency with wrk: the example server (through the adapter), the real
OpenBao, and a bare hyper floor (examples/hyper_floor.rs), interleaved.

A measurement, not a test (CI only syntax-checks this file). Loopback only; every server it
starts is killed at the end.

    apt-get install -y wrk
    cargo build --release --features server --example server --example hyper_floor
    python3 benches/wrk_status.py --bao /work/notes/venv/bin/bao     # 3 rounds of 4 x 10 s

Targets (each `wrk -t2 -c64 -d10s --latency`, in the order a1, a2, b, c, a1, a2, b, c, ... so
machine load affects each alike):
- a1: example server, default flags (Vault profile): GET /v1/sys/generate-recovery-token/attempt
- a2: example server `--openbao --token-file F` (F holds `root`):
      GET /v1/sys/generate-root-token/attempt with X-Vault-Token: root
- b:  `bao server -dev -dev-root-token-id=root`: the same path with the same header (OpenBao
      dev mode refuses sys/generate-root/* and has no sys/generate-recovery-token/* outside
      recovery mode, so this is the comparable status GET)
- c:  examples/hyper_floor: any path, the example server's status body (161 bytes)
It prints each run's wrk summary and then the medians (requests/s, p50, p99) per target.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

KEY = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def wait_listening(proc, needle):
    """Reads `proc`'s stdout until a line contains `needle`."""
    for line in proc.stdout:
        if needle in line:
            return
    sys.exit(f"a server exited before printing {needle!r}")


def wait_http(url, headers, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"{url} did not answer")


def parse_wrk(text):
    """requests/s, p50 ms, p99 ms, and the error line (if any) of a `wrk --latency` run."""

    def ms(name):
        m = re.search(rf"^\s*{name}\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
        return float(m.group(1)) * UNITS[m.group(2)]

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    errors = re.search(r"^\s*(Socket errors:.*|Non-2xx.*)$", text, re.M)
    return rps, ms("50%"), ms("99%"), errors.group(1).strip() if errors else ""


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--bao", default="/work/notes/venv/bin/bao")
    p.add_argument("--server", default="target/release/examples/server")
    p.add_argument("--floor", default="target/release/examples/hyper_floor")
    p.add_argument("--port", type=int, default=18730, help="first of four ports")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--wrk", default="-t2 -c64 -d10s --latency")
    args = p.parse_args()
    port = args.port
    token_file = tempfile.NamedTemporaryFile("w", suffix=".tokens", delete=False)
    token_file.write("root\n")
    token_file.close()
    procs = []
    try:

        def start(cmd, needle):
            proc = subprocess.Popen(
                cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
            )
            procs.append(proc)
            if needle:
                wait_listening(proc, needle)
            return proc

        ex = [args.server, "--key-hex", KEY, "--listen"]
        start(ex + [f"127.0.0.1:{port}"], "Listening on")
        start(ex + [f"127.0.0.1:{port + 1}", "--openbao", "--token-file", token_file.name],
              "Listening on")
        bao = [args.bao, "server", "-dev", f"-dev-listen-address=127.0.0.1:{port + 2}",
               "-dev-root-token-id=root"]
        start(bao, None)
        start([args.floor, f"127.0.0.1:{port + 3}"], "Listening on")
        root = {"X-Vault-Token": "root"}
        targets = {
            "a1 example (adapter), generate-recovery-token/attempt":
                (f"http://127.0.0.1:{port}/v1/sys/generate-recovery-token/attempt", {}),
            "a2 example --openbao (adapter), generate-root-token/attempt + token":
                (f"http://127.0.0.1:{port + 1}/v1/sys/generate-root-token/attempt", root),
            "b  OpenBao 2.7.2 dev, generate-root-token/attempt + token":
                (f"http://127.0.0.1:{port + 2}/v1/sys/generate-root-token/attempt", root),
            "c  hyper floor, fixed status body":
                (f"http://127.0.0.1:{port + 3}/v1/sys/generate-recovery-token/attempt", {}),
        }
        for url, headers in targets.values():
            wait_http(url, headers)
        version = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
        print((version.stdout + version.stderr).splitlines()[0])
        results = {name: [] for name in targets}
        for r in range(args.rounds):
            for name, (url, headers) in targets.items():
                cmd = ["wrk", *args.wrk.split()]
                for k, v in headers.items():
                    cmd += ["-H", f"{k}: {v}"]
                cmd.append(url)
                load = os.getloadavg()[0]
                out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
                rps, p50, p99, errors = parse_wrk(out)
                results[name].append((rps, p50, p99))
                print(f"round {r + 1} | {name} | {rps:,.0f} req/s | p50 {p50:.2f} ms "
                      f"| p99 {p99:.2f} ms | load {load:.2f} | {errors}", flush=True)
        print("\n| target | req/s (median; min-max) | p50 (median; min-max) | p99 (median; min-max) |")
        print("|---|---:|---:|---:|")
        med = {}
        for name, runs in results.items():
            cols = list(zip(*runs))
            med[name] = [statistics.median(c) for c in cols]
            rps, p50, p99 = cols
            print(f"| {name} | {med[name][0]:,.0f} ({min(rps):,.0f}-{max(rps):,.0f}) "
                  f"| {med[name][1]:.2f} ms ({min(p50):.2f}-{max(p50):.2f}) "
                  f"| {med[name][2]:.2f} ms ({min(p99):.2f}-{max(p99):.2f}) |")
        names = list(targets)
        for a in names[:2]:
            for other in names[2:]:
                print(f"{a[:2]}/{other[:2]}: req/s {med[a][0] / med[other][0]:.2f}x, "
                      f"p50 {med[a][1] / med[other][1]:.2f}x, p99 {med[a][2] / med[other][2]:.2f}x")
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()
        os.unlink(token_file.name)


if __name__ == "__main__":
    main()
