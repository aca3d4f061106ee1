#!/usr/bin/env python3
"""The real `bao` CLI (OpenBao 2.7.2) drives a recovery ceremony on the example server.

Usage: python3 interop/bao_cli.py PATH/TO/server [--bao PATH/TO/bao]

For each profile (Vault's default, and `--openbao`) starts the example server on 127.0.0.1:0
with its own random key and reads the five shares it prints, then runs
`bao operator generate-root -recovery-token` exactly as an operator would:
`-status`, `-generate-otp`, `-init -otp=OTP`, three shares `-nonce=NONCE -` (the share on
stdin), `-decode=ENC -otp=OTP`, and `-cancel`. The token `-decode` prints (the CLI's own
decoding, not ours) must be the one the server minted: the example server prints nothing of
it, so it is checked against the example's `GET /v1/sys/raw/x` with `X-Vault-Token`, which
answers 404 for the minted recovery token and 403 for anything else.

Prints `ok - ...` per step and `bao cli: N passed, M failed`; exit status 1 on any failure.
Standard library only.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys

passed = 0
failed: list[str] = []


def check(what: str, ok: bool, detail: str = "") -> None:
    global passed
    if ok:
        passed += 1
        print(f"ok - {what}")
    else:
        failed.append(what)
        print(f"FAILED - {what}\n    {detail}")


def raw_status(port: int, token: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", "/v1/sys/raw/x", headers={"X-Vault-Token": token})
        r = conn.getresponse()
        r.read()
        return r.status
    finally:
        conn.close()


def run_profile(server_bin: str, bao: str, name: str, flags: list[str]) -> None:
    print(f"--- example server {' '.join(flags) or '(Vault profile)'}: bao operator generate-root -recovery-token")
    p = subprocess.Popen([server_bin, "--listen", "127.0.0.1:0", *flags], stdout=subprocess.PIPE, text=True)
    try:
        shares, port = [], 0
        assert p.stdout is not None
        for line in p.stdout:
            m = re.match(r"Unseal Key \d+: (\S+)", line)
            if m:
                shares.append(m.group(1))
            m = re.match(r"Listening on http://127\.0\.0\.1:(\d+)", line)
            if m:
                port = int(m.group(1))
                break
        if not port or len(shares) != 5:
            check(f"{name}: server started with 5 shares", False, f"port {port}, {len(shares)} shares")
            return
        env = dict(os.environ, BAO_ADDR=f"http://127.0.0.1:{port}")
        for k in ("BAO_TOKEN", "VAULT_TOKEN", "BAO_NAMESPACE"):
            env.pop(k, None)
        # The profile's own texts, as the CLI passes the server's errors through.
        if "--openbao" in flags:
            in_progress = "* root generation already in progress for this namespace"
            closed = "* attempted to generate recovery operation token when already unsealed"
        else:
            in_progress = "* root generation already in progress\n"
            closed = "* attempt to generate recovery token when already unsealed"

        def bao_gr(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
            return subprocess.run(
                [bao, "operator", "generate-root", "-recovery-token", *args],
                input=stdin,
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )

        def status() -> dict:
            r = bao_gr("-status", "-format=json")
            return json.loads(r.stdout) if r.returncode == 0 else {}

        r = bao_gr("-status")
        check(
            f"{name}: -status (table) shows no attempt and OTP length 28",
            r.returncode == 0
            and re.search(r"Started\s+false", r.stdout) is not None
            and re.search(r"OTP Length\s+28", r.stdout) is not None,
            r.stdout + r.stderr,
        )
        r = bao_gr("-generate-otp")
        otp = r.stdout.strip()
        check(
            f"{name}: -generate-otp prints a 28-character OTP",
            r.returncode == 0 and re.fullmatch(r"[0-9A-Za-z]{28}", otp) is not None,
            r.stdout + r.stderr,
        )
        r = bao_gr("-init", f"-otp={otp}", "-format=json")
        init = json.loads(r.stdout) if r.returncode == 0 else {}
        nonce = init.get("nonce", "")
        check(
            f"{name}: -init -otp=OTP starts an attempt",
            r.returncode == 0 and init.get("started") is True and init.get("required") == 3,
            r.stdout + r.stderr,
        )
        check(f"{name}: -status shows the same nonce", status().get("nonce") == nonce and bool(nonce))
        r = bao_gr("-init", f"-otp={otp}")
        check(
            f"{name}: a second -init is refused with the server's text",
            r.returncode != 0 and in_progress in r.stderr,
            r.stdout + r.stderr,
        )
        encoded = ""
        for i, share in enumerate(shares[1:4], start=1):
            r = bao_gr("-format=json", f"-nonce={nonce}", "-", stdin=share + "\n")
            out = json.loads(r.stdout) if r.returncode == 0 else {}
            check(
                f"{name}: share {i} on stdin (-nonce=NONCE -): progress {i}/3",
                r.returncode == 0 and out.get("progress") == i and out.get("complete") is (i == 3),
                r.stdout + r.stderr,
            )
            if i == 1:
                r = bao_gr(f"-nonce={nonce}", "-", stdin=share + "\n")
                check(
                    f"{name}: the same share again is refused with the server's text",
                    r.returncode != 0 and "given key has already been provided" in r.stderr,
                    r.stdout + r.stderr,
                )
            encoded = out.get("encoded_token", "")
        r = bao_gr(f"-decode={encoded}", f"-otp={otp}")
        token = r.stdout.strip()
        check(
            f"{name}: -decode prints an hvr. token",
            r.returncode == 0 and re.fullmatch(r"hvr\.[0-9A-Za-z]{24}", token) is not None,
            f"rc {r.returncode}, {len(token)} chars; {r.stderr}",
        )
        got = raw_status(port, token)
        check(f"{name}: the decoded token is the minted one (sys/raw 404)", got == 404, f"sys/raw answered {got}")
        wrong = token[:-1] + ("A" if token[-1:] != "A" else "B")
        got = raw_status(port, wrong)
        check(f"{name}: a token differing in one character is refused (sys/raw 403)", got == 403, f"sys/raw answered {got}")
        check(f"{name}: -status shows the attempt finished", status().get("started") is False)
        # -cancel: on an attempt in progress, and when nothing is in progress.
        r = bao_gr("-init", "-format=json", f"-otp={otp}")
        check(
            f"{name}: recovery is closed after the token was minted",
            r.returncode != 0 and closed in r.stderr,
            r.stdout + r.stderr,
        )
        r = bao_gr("-cancel")
        check(f"{name}: -cancel succeeds", r.returncode == 0 and "canceled" in r.stdout, r.stdout + r.stderr)
    finally:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def run_cancel(server_bin: str, bao: str, name: str, flags: list[str]) -> None:
    """-cancel on an attempt in progress (the ceremony above closes recovery, so a fresh server)."""
    p = subprocess.Popen([server_bin, "--listen", "127.0.0.1:0", *flags], stdout=subprocess.PIPE, text=True)
    try:
        port = 0
        assert p.stdout is not None
        for line in p.stdout:
            m = re.match(r"Listening on http://127\.0\.0\.1:(\d+)", line)
            if m:
                port = int(m.group(1))
                break
        env = dict(os.environ, BAO_ADDR=f"http://127.0.0.1:{port}")
        for k in ("BAO_TOKEN", "VAULT_TOKEN", "BAO_NAMESPACE"):
            env.pop(k, None)
        # The profile's own texts, as the CLI passes the server's errors through.
        if "--openbao" in flags:
            in_progress = "* root generation already in progress for this namespace"
            closed = "* attempted to generate recovery operation token when already unsealed"
        else:
            in_progress = "* root generation already in progress\n"
            closed = "* attempt to generate recovery token when already unsealed"

        def bao_gr(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
            return subprocess.run(
                [bao, "operator", "generate-root", "-recovery-token", *args],
                input=stdin, env=env, capture_output=True, text=True, timeout=60,
            )

        r = bao_gr("-init", "-format=json", "-otp=" + "x" * 28)
        started = r.returncode == 0 and json.loads(r.stdout).get("started") is True
        r = bao_gr("-cancel")
        s = bao_gr("-status", "-format=json")
        check(
            f"{name}: -cancel ends an attempt in progress",
            started and r.returncode == 0 and s.returncode == 0 and json.loads(s.stdout).get("started") is False,
            r.stdout + r.stderr + s.stdout,
        )
    finally:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            p.wait(10)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("server")
    ap.add_argument("--bao", default=shutil.which("bao") or "bao")
    args = ap.parse_args()
    server_bin = os.path.realpath(args.server)
    v = subprocess.run([args.bao, "version"], capture_output=True, text=True, check=True).stdout.strip()
    print(f"CLI: {v}")
    for name, flags in (("vault profile", []), ("openbao profile", ["--openbao"])):
        run_profile(server_bin, args.bao, name, flags)
        run_cancel(server_bin, args.bao, name, flags)
    print(f"bao cli: {passed} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
