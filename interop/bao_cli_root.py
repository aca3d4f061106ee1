#!/usr/bin/env python3
"""The real `bao` CLI (OpenBao 2.7.2) runs its DEFAULT root flow against the example server.

Usage: python3 interop/bao_cli_root.py PATH/TO/server [--bao PATH/TO/bao]

No `-recovery-token`: the 2.7.2 CLI then calls OpenBao's authenticated
`sys/generate-root-token/*`. The example server runs with `--openbao
--token-file FILE` (a random token written to the file; the CLI gets it as BAO_TOKEN and
VAULT_TOKEN), and the CLI is driven as an operator would: `-status`, `-generate-otp`,
`-init -otp=OTP`, three shares on stdin with `-nonce=NONCE -`, `-decode=ENC -otp=OTP`, and
`-cancel`. The token `-decode` prints (the CLI's own decoding) must equal the XOR of the
encoded token with the OTP (decoded here, independently of the crate), have OpenBao's shape
(`s.` + 24 base62; in a namespace `.` + the namespace's 6-character id, OTP length 33, as
openbao-observed.md R50/R51 saw), and be accepted by the server as an authorized token on
`sys/generate-root-token/attempt`. Without a token the CLI must report what it reports against
the real server (R16 and openbao-observed.md section 1: rc 2, `Code: 403. Errors:\\n\\n*
permission denied`).

Then the same ceremony in a namespace: `--namespace ns1`, the CLI with `-namespace=ns1` and
ns1's shares.

Prints one `ok - ...` / `FAILED - ...` line per check and `bao cli root: N passed, M failed`;
exit status 1 on any failure. Standard library only. 127.0.0.1, port 0.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile

BASE62 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
ATTEMPT = "/v1/sys/generate-root-token/attempt"

passed = 0
failed: list[str] = []


def check(what: str, ok: bool, detail: str = "") -> None:
    global passed
    if ok:
        passed += 1
        print(f"ok - {what}")
    else:
        failed.append(what)
        print(f"FAILED - {what}\n    {detail!r}")


def xor_decode(encoded: str, otp: str) -> str:
    """OpenBao's decode, done here: unpadded std base64, XOR with the OTP's bytes."""
    try:
        raw = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except ValueError:
        return ""
    if len(raw) != len(otp):
        return ""
    return bytes(a ^ b for a, b in zip(raw, otp.encode())).decode("latin-1")


def attempt_status(port: int, token: str | None, namespace: str | None = None) -> tuple[int, str]:
    """GET sys/generate-root-token/attempt with X-Vault-Token (and X-Vault-Namespace)."""
    headers = {}
    if token is not None:
        headers["X-Vault-Token"] = token
    if namespace is not None:
        headers["X-Vault-Namespace"] = namespace
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", ATTEMPT, headers=headers)
        r = conn.getresponse()
        return r.status, r.read().decode("utf-8", "replace")
    finally:
        conn.close()


def one_char_off(token: str) -> str:
    return token[:-1] + ("A" if token[-1:] != "A" else "B")


class Server:
    """The example server on 127.0.0.1:0 with `--openbao --token-file FILE` and extra flags."""

    def __init__(self, server_bin: str, work: str, token: str, flags: list[str]):
        token_file = os.path.join(work, "tokens")
        with open(token_file, "w") as f:
            f.write(token + "\n")
        os.chmod(token_file, 0o600)
        cmd = [server_bin, "--listen", "127.0.0.1:0", "--openbao", "--token-file", token_file, *flags]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
        self.port = 0
        self.shares: dict[str | None, list[str]] = {}
        assert self.proc.stdout is not None
        for line in self.proc.stdout:  # bounded: the server prints its shares, then `Listening on`
            m = re.match(r"Unseal Key \d+(?: \(([^)]+)\))?: (\S+)", line)
            if m:
                self.shares.setdefault(m.group(1), []).append(m.group(2))
            m = re.match(r"Listening on http://127\.0\.0\.1:(\d+)", line)
            if m:
                self.port = int(m.group(1))
                break

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Cli:
    """`bao operator generate-root ...` with a clean environment (no ~/.vault-token either)."""

    def __init__(self, bao: str, port: int, home: str, token: str | None, namespace: str | None):
        self.bao = bao
        self.namespace = namespace
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("BAO_", "VAULT_"))}
        self.env["BAO_ADDR"] = f"http://127.0.0.1:{port}"
        self.env["HOME"] = home
        if token is not None:
            self.env["BAO_TOKEN"] = token
            self.env["VAULT_TOKEN"] = token

    def __call__(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        ns = [f"-namespace={self.namespace}"] if self.namespace else []
        return subprocess.run(
            [self.bao, "operator", "generate-root", *ns, *args],
            input=stdin,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    def status(self) -> dict:
        r = self("-status", "-format=json")
        try:
            return json.loads(r.stdout) if r.returncode == 0 else {}
        except json.JSONDecodeError:
            return {}


def ceremony(bao: str, server: Server, home: str, token: str, name: str, namespace: str | None) -> None:
    """The default root flow, authorized, in the root namespace or in `namespace`."""
    port = server.port
    shares = server.shares.get(namespace, [])
    if namespace is None:
        otp_len, token_re = 26, r"s\.[0-9A-Za-z]{24}"
    else:
        # R50/R51: 26 + `.` + the 6-character namespace id.
        otp_len, token_re = 33, r"s\.[0-9A-Za-z]{24}\.[0-9A-Za-z]{6}"
    check(f"{name}: server printed 5 shares and listens", port > 0 and len(shares) == 5,
          f"port {port}, shares per namespace { {k: len(v) for k, v in server.shares.items()} }")
    if port == 0 or len(shares) != 5:
        return
    cli = Cli(bao, port, home, token, namespace)

    r = cli("-status")
    check(
        f"{name}: -status (table) shows no attempt and OTP length {otp_len}",
        r.returncode == 0
        and re.search(r"Started\s+false", r.stdout) is not None
        and re.search(rf"OTP Length\s+{otp_len}\b", r.stdout) is not None,
        r.stdout + r.stderr,
    )
    s = cli.status()
    check(f"{name}: -status -format=json: otp_length {otp_len}, required 3",
          s.get("otp_length") == otp_len and s.get("required") == 3 and s.get("started") is False, s)

    r = cli("-generate-otp")
    otp = r.stdout.strip()
    check(
        f"{name}: -generate-otp prints a {otp_len}-character OTP",
        r.returncode == 0 and re.fullmatch(rf"[0-9A-Za-z]{{{otp_len}}}", otp) is not None,
        r.stdout + r.stderr,
    )
    if not otp:
        return

    r = cli("-init", f"-otp={otp}", "-format=json")
    try:
        init = json.loads(r.stdout) if r.returncode == 0 else {}
    except json.JSONDecodeError:
        init = {}
    nonce = init.get("nonce", "")
    check(
        f"{name}: -init -otp=OTP starts an attempt (3 required)",
        r.returncode == 0 and init.get("started") is True and init.get("required") == 3 and bool(nonce),
        r.stdout + r.stderr,
    )
    check(f"{name}: -status shows the same nonce", bool(nonce) and cli.status().get("nonce") == nonce)
    if namespace is not None:
        root = Cli(bao, port, home, token, None).status()
        check(f"{name}: the root namespace's slot stays idle (otp_length 26)",
              root.get("started") is False and root.get("otp_length") == 26, root)
    r = cli("-init", f"-otp={otp}")
    check(
        f"{name}: a second -init is refused with OpenBao's text (R8)",
        r.returncode != 0 and "* root generation already in progress for this namespace" in r.stderr,
        r.stdout + r.stderr,
    )

    encoded = ""
    for i, share in enumerate(shares[:3], start=1):
        r = cli("-format=json", f"-nonce={nonce}", "-", stdin=share + "\n")
        try:
            out = json.loads(r.stdout) if r.returncode == 0 else {}
        except json.JSONDecodeError:
            out = {}
        check(
            f"{name}: share {i} on stdin (-nonce=NONCE -): progress {i}/3",
            r.returncode == 0 and out.get("progress") == i and out.get("complete") is (i == 3),
            r.stdout + r.stderr,
        )
        if i == 1:
            r = cli(f"-nonce={nonce}", "-", stdin=share + "\n")
            check(
                f"{name}: the same share again is refused with OpenBao's text (R11)",
                r.returncode != 0 and "given key has already been provided during this generation operation" in r.stderr,
                r.stdout + r.stderr,
            )
        encoded = out.get("encoded_token", "")
    check(f"{name}: the encoded token is unpadded base64 of {otp_len} bytes",
          bool(encoded) and "=" not in encoded and len(xor_decode(encoded, otp)) == otp_len, encoded)

    r = cli(f"-decode={encoded}", f"-otp={otp}")
    decoded = r.stdout.strip()
    check(
        f"{name}: -decode prints an OpenBao root token ({token_re})",
        r.returncode == 0 and re.fullmatch(token_re, decoded) is not None,
        f"rc {r.returncode}, shape {re.sub('[0-9A-Za-z]', 'x', decoded)}; {r.stderr}",
    )
    check(f"{name}: -decode equals base64-decode XOR OTP", bool(decoded) and decoded == xor_decode(encoded, otp))
    r = cli(f"-decode={encoded}", f"-otp={otp}", "-format=json")
    try:
        js = json.loads(r.stdout) if r.returncode == 0 else {}
    except json.JSONDecodeError:
        js = {}
    check(f"{name}: -decode -format=json gives the same token", list(js.values()) == [decoded] and bool(decoded),
          r.stdout + r.stderr)
    check(f"{name}: -status shows the attempt finished", cli.status().get("started") is False)

    got, body = attempt_status(port, decoded, namespace)
    check(f"{name}: the decoded token is authorized on sys/generate-root-token/attempt (200)",
          got == 200 and '"otp_length":%d' % otp_len in body, f"{got} {body}")
    got, body = attempt_status(port, one_char_off(decoded), namespace)
    check(f"{name}: a token one character off is refused (403 permission denied)",
          got == 403 and body == '{"errors":["permission denied"]}\n', f"{got} {body}")
    r = Cli(bao, port, home, decoded, namespace)("-status", "-format=json")
    check(f"{name}: the CLI with the decoded token as BAO_TOKEN reads the status", r.returncode == 0,
          r.stdout + r.stderr)

    # -cancel, on an attempt in progress.
    r = cli("-init", f"-otp={otp}", "-format=json")
    started = r.returncode == 0 and cli.status().get("started") is True
    r = cli("-cancel")
    check(
        f"{name}: -cancel ends an attempt in progress",
        started and r.returncode == 0 and "canceled" in r.stdout and cli.status().get("started") is False,
        r.stdout + r.stderr,
    )
    r = cli("-cancel")
    check(f"{name}: -cancel with nothing in progress succeeds (R9)", r.returncode == 0, r.stdout + r.stderr)


def unauthorized(bao: str, server: Server, home: str, name: str, namespace: str | None) -> None:
    """Without a token, and with a wrong one: the CLI reports the server's 403 (R16)."""
    port = server.port
    if port == 0:
        return
    url = f"http://127.0.0.1:{port}{ATTEMPT}"
    # The CLI's texts around the server's answer, as against the real OpenBao 2.7.2
    # (openbao-observed.md section 1, `-decode` without a token).
    denied = "Code: 403. Errors:\n\n* permission denied\n"
    status_err = f"Error getting root generation status: Error making API request.\n\nURL: GET {url}\n{denied}"
    for who, token in (("no token", None), ("a wrong token", "s." + "".join(secrets.choice(BASE62) for _ in range(24)))):
        cli = Cli(bao, port, home, token, namespace)
        r = cli("-status")
        check(f"{name}, {who}: -status: rc 2 and the real server's permission error",
              r.returncode == 2 and r.stdout == "" and r.stderr == status_err, r.stderr)
        r = cli("-decode=AAAA", "-otp=" + "A" * 26)
        check(f"{name}, {who}: -decode reads the status first: rc 2, the same permission error",
              r.returncode == 2 and r.stdout == "" and r.stderr == status_err, r.stderr)
        r = cli("-generate-otp")
        check(f"{name}, {who}: -generate-otp: rc 2, permission denied",
              r.returncode == 2 and denied in r.stderr and f"URL: GET {url}" in r.stderr, r.stderr)
        r = cli("-init", "-otp=" + "A" * 26)
        check(f"{name}, {who}: -init: rc 2, permission denied on PUT",
              r.returncode == 2 and f"URL: PUT {url}\n{denied}" in r.stderr, r.stderr)
        r = cli("-nonce=x", "-", stdin="AAAA\n")
        check(f"{name}, {who}: a share: rc 2, permission denied",
              r.returncode == 2 and denied in r.stderr, r.stderr)
        r = cli("-cancel")
        check(f"{name}, {who}: -cancel: rc 2, permission denied on DELETE",
              r.returncode == 2 and f"URL: DELETE {url}\n{denied}" in r.stderr, r.stderr)


def run(server_bin: str, bao: str, name: str, namespace: str | None) -> None:
    print(f"--- example server --openbao --token-file{' --namespace ' + namespace if namespace else ''}: "
          f"bao operator generate-root{' -namespace=' + namespace if namespace else ''}")
    with tempfile.TemporaryDirectory(prefix="bao-cli-root-") as work:
        token = "s." + "".join(secrets.choice(BASE62) for _ in range(24))
        flags = ["--namespace", namespace] if namespace else []
        server = Server(server_bin, work, token, flags)
        try:
            ceremony(bao, server, work, token, name, namespace)
            unauthorized(bao, server, work, name, namespace)
        finally:
            server.stop()


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("server")
    ap.add_argument("--bao", default=shutil.which("bao") or "bao")
    args = ap.parse_args()
    server_bin = os.path.realpath(args.server)
    v = subprocess.run([args.bao, "version"], capture_output=True, text=True, check=True).stdout.strip()
    print(f"CLI: {v}")
    run(server_bin, args.bao, "root namespace", None)
    run(server_bin, args.bao, "namespace ns1", "ns1")
    print(f"bao cli root: {passed} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
