"""Drive the example server with hvac, the Python Vault client, through whole ceremonies.

Usage: python hvac_ceremony.py PATH/TO/server [--bao PATH/TO/bao]

Starts the server on 127.0.0.1:0 with a caller token in `--token-file`, reads its address and
unseal keys from stdout, then:
- root: hvac's sys.read_root_generation_progress / start_root_token_generation(otp=...) /
  generate_root(key=..., nonce=...) / cancel_root_generation, and its error handling; the
  minted token decoded by the server's sys/decode-token through hvac's write_data;
- recovery: hvac's generic adapter and read/write on /v1/sys/generate-recovery-token/*, and
  sys/raw with and without the minted recovery token;
- OpenBao (`--openbao`): hvac's sys.* root methods get the old family's 405 `unsupported
  operation` (openbao-observed.md R19); a ceremony on sys/generate-root-token/* through hvac's
  write_data; sys/decode-token through hvac, compared with the real `bao` 2.7.2 CLI's
  `operator generate-root -decode` (with --bao; the check fails without it), and its refusals
  (R61, R62); the same in a namespace (`--namespace ns1`, hvac's `namespace="ns1"`: R50-R52).
hvac 2.4.0 has no `sys.decode_token` method (its system backend has no sys/decode-token call),
so sys/decode-token is reached through hvac's generic `Client.write_data` (POST, R59).
Tokens are decoded here too, independently of the crate: base64 without padding, XOR with the OTP.
"""

import argparse
import base64
import importlib.metadata
import secrets
import os
import re
import shutil
import subprocess
import tempfile
import sys

import hvac
import hvac.exceptions

BASE62 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
passed = 0


def check(cond, what, seen=None):
    """Counts a check; on failure prints what the client saw and exits non-zero."""
    global passed
    if not cond:
        print(f"hvac: FAILED: {what}\n  the client saw: {seen!r}", file=sys.stderr)
        print(f"hvac: {passed} passed, 1 failed")
        sys.exit(1)
    passed += 1
    print(f"ok - {what}")


def expect_error(exc_type, text, fn, *args, **kwargs):
    """Calls fn; it must raise exc_type whose Vault errors are exactly [text] ([] for None)."""
    try:
        seen = fn(*args, **kwargs)
    except exc_type as e:
        check(e.errors == ([] if text is None else [text]), f"error {text!r}", e.errors)
        return
    except hvac.exceptions.VaultError as e:
        check(False, f"{exc_type.__name__} {text!r}", f"{type(e).__name__}: {e.errors}")
    check(False, f"{exc_type.__name__} {text!r}", seen)


def decode_token(encoded, otp):
    """Vault's client-side decode: base64 without padding, XOR with the OTP's bytes."""
    raw = base64.b64decode(encoded + "=" * (-len(encoded) % 4))
    check(len(raw) == len(otp), "encoded token has the OTP's length", (encoded, len(raw)))
    return bytes(a ^ b for a, b in zip(raw, otp.encode())).decode()


def is_token(token, prefix):
    body = token[len(prefix):]
    return token.startswith(prefix) and len(body) == 24 and all(c in BASE62 for c in body)


# The token that may run root generation (Vault 2.x's default: root and DR generation need one),
# handed to the server in a token file, never on its command line.
CALLER_TOKEN = "hvs.interopCallerToken000000"


def start_server(binary, *flags):
    token_file = os.path.join(tempfile.mkdtemp(), "tokens")
    with open(token_file, "w") as f:
        f.write(CALLER_TOKEN + "\n")
    proc = subprocess.Popen(
        [binary, "--listen", "127.0.0.1:0", "--token-file", token_file, *flags],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    shares, ns_shares = [], {}
    while True:
        line = proc.stdout.readline()
        if not line:
            proc.kill()
            sys.exit("hvac: the server exited before listening")
        line = line.strip()
        m = re.match(r"Unseal Key \d+(?: \(([^)]+)\))?: (\S+)$", line)
        if m and m.group(1):
            ns_shares.setdefault(m.group(1), []).append(m.group(2))
        elif m:
            shares.append(m.group(2))
        elif line.startswith("Listening on "):
            return proc, line.split(" ", 2)[2], shares, ns_shares


def root_ceremony(client, url, shares):
    progress = client.sys.read_root_generation_progress()
    check(progress["started"] is False and progress["otp_length"] == 28,
          "read_root_generation_progress before any attempt", progress)

    # A server-generated OTP, then cancel_root_generation.
    started = client.sys.start_root_token_generation()
    check(started["started"] and len(started["otp"]) == 28,
          "start_root_token_generation() returns a generated OTP", started)
    resp = client.sys.cancel_root_generation()
    check(resp.status_code == 204 and resp.text == "", "cancel_root_generation: 204, no body",
          (resp.status_code, resp.text))
    check(client.sys.read_root_generation_progress()["started"] is False,
          "progress after cancel: not started")

    # The client's own OTP, as `vault operator generate-root -generate-otp` makes one.
    otp = "".join(secrets.choice(BASE62) for _ in range(28))
    started = client.sys.start_root_token_generation(otp=otp)
    nonce = started["nonce"]
    check(started["started"] and started["otp"] == "" and started["required"] == 3,
          "start_root_token_generation(otp=...)", started)
    expect_error(hvac.exceptions.InvalidRequest, "root generation already in progress",
                 client.sys.start_root_token_generation, otp=otp)
    expect_error(hvac.exceptions.InvalidRequest, "OTP string is wrong length",
                 client.sys.start_root_token_generation, otp="short")

    first = client.sys.generate_root(key=shares[0], nonce=nonce)
    check(first["progress"] == 1 and first["complete"] is False, "generate_root: progress 1",
          first)
    expect_error(hvac.exceptions.InvalidRequest,
                 "given key has already been provided during this generation operation",
                 client.sys.generate_root, key=shares[0], nonce=nonce)
    expect_error(hvac.exceptions.InvalidRequest,
                 f'incorrect nonce supplied; nonce for this root generation operation is "{nonce}"',
                 client.sys.generate_root, key=shares[1], nonce="not-the-nonce")
    check(client.sys.read_root_generation_progress()["progress"] == 1,
          "refused shares leave progress at 1")

    client.sys.generate_root(key=shares[3], nonce=nonce)
    done = client.sys.generate_root(key=shares[4], nonce=nonce)
    check(done["complete"] is True and done["encoded_root_token"] == done["encoded_token"],
          "generate_root: complete, encoded_root_token set", done)
    token = decode_token(done["encoded_root_token"], otp)
    check(is_token(token, "hvs."), "decoded root token is hvs. + 24 base62", token)
    # sys/decode-token is unauthenticated: a client without a token.
    answer = hvac.Client(url=url).write_data(
        "sys/decode-token", data={"encoded_token": done["encoded_token"], "otp": otp})
    check(answer["data"] == {"token": token},
          "write_data('sys/decode-token') decodes the root token (no token sent)", answer)
    check(client.sys.read_root_generation_progress()["started"] is False,
          "progress after completion: not started")


def recovery_ceremony(client, url, shares):
    path = "/v1/sys/generate-recovery-token/attempt"
    status = client.adapter.get(path)
    check(status["started"] is False and status["otp_length"] == 28,
          "recovery status through the generic adapter", status)
    # Recovery mode's 403 carries no message (OpenBao 2.7.2 observed: {"errors":[]}).
    expect_error(hvac.exceptions.Forbidden, None, client.read, "sys/raw/anything")

    # Start, one share, cancel: progress is gone.
    started = client.adapter.put(path, json={})
    client.write("sys/generate-recovery-token/update", key=shares[2], nonce=started["nonce"])
    resp = client.adapter.delete(path)
    check(resp.status_code == 204, "recovery cancel: 204", resp.status_code)
    check(client.read("sys/generate-recovery-token/attempt")["started"] is False,
          "client.read after cancel: not started")

    started = client.adapter.put(path, json={})
    otp, nonce = started["otp"], started["nonce"]
    check(len(otp) == 28 and started["progress"] == 0, "recovery start: generated OTP", started)
    for i, key in enumerate(shares[1:4], start=1):
        answer = client.write("sys/generate-recovery-token/update", key=key, nonce=nonce)
        check(answer["progress"] == i, f"recovery update {i}", answer)
    check(answer["complete"] is True and answer["encoded_root_token"] == "",
          "recovery complete; encoded_root_token empty", answer)
    token = decode_token(answer["encoded_token"], otp)
    check(is_token(token, "hvr."), "decoded recovery token is hvr. + 24 base62", token)

    # The token opens recovery-mode requests: 404 (hvac's read returns None), not 403.
    authed = hvac.Client(url=url, token=token)
    check(authed.read("sys/raw/anything") is None, "sys/raw with the recovery token: 404")
    expect_error(hvac.exceptions.Forbidden, None,
                 hvac.Client(url=url, token=token[:-1] + ("A" if token[-1] != "A" else "B")).read,
                 "sys/raw/anything")
    expect_error(hvac.exceptions.InvalidRequest,
                 "attempt to generate recovery token when already unsealed",
                 client.adapter.put, path, json={})


def bao_decode(bao, url, encoded, otp, namespace=None):
    """The real `bao` 2.7.2 CLI's decode (it reads the status first, so it needs the token)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BAO_", "VAULT_"))}
    env.update(BAO_ADDR=url, BAO_TOKEN=CALLER_TOKEN, HOME=tempfile.mkdtemp())
    ns = [f"-namespace={namespace}"] if namespace else []
    r = subprocess.run([bao, "operator", "generate-root", *ns, f"-decode={encoded}", f"-otp={otp}"],
                       env=env, capture_output=True, text=True, timeout=60)
    return r.stdout.strip() if r.returncode == 0 else f"rc {r.returncode}: {r.stderr}"


def openbao_ceremony(client, url, shares, bao):
    # hvac's own root methods call the old sys/generate-root/*, which OpenBao 2.7.2 turns off on
    # its default listener whatever the token (R19): hvac maps the 405 to UnexpectedError.
    expect_error(hvac.exceptions.UnexpectedError, "unsupported operation",
                 client.sys.read_root_generation_progress)
    expect_error(hvac.exceptions.UnexpectedError, "unsupported operation",
                 client.sys.start_root_token_generation, otp="A" * 26)
    expect_error(hvac.exceptions.UnexpectedError, "unsupported operation",
                 client.sys.generate_root, key=shares[0], nonce="x")
    expect_error(hvac.exceptions.Forbidden, "permission denied",
                 hvac.Client(url=url).write_data, "sys/generate-root-token/attempt", data={})

    started = client.write_data("sys/generate-root-token/attempt", data={})["data"]
    otp, nonce = started["otp"], started["nonce"]
    check(started["started"] is True and len(otp) == 26,
          "write_data('sys/generate-root-token/attempt'): a generated 26-char OTP", started)
    for i, key in enumerate(shares[:3], start=1):
        done = client.write_data("sys/generate-root-token/update",
                                 data={"key": key, "nonce": nonce})["data"]
        check(done["progress"] == i, f"write_data('sys/generate-root-token/update'): progress {i}",
              done)
    encoded = done["encoded_token"]
    check(done["complete"] is True and encoded, "OpenBao ceremony complete", done)
    token = decode_token(encoded, otp)
    check(re.fullmatch(r"s\.[0-9A-Za-z]{24}", token) is not None,
          "decoded token is s. + 24 base62", token)

    anonymous = hvac.Client(url=url)
    answer = anonymous.write_data("sys/decode-token", data={"encoded_token": encoded, "otp": otp})
    check(list(answer) == ["request_id", "lease_id", "renewable", "lease_duration", "data",
                           "wrap_info", "warnings", "auth"] and list(answer["data"]) == ["token"],
          "sys/decode-token answers OpenBao's envelope with data.token only (R59)", answer)
    from_bao = bao_decode(bao, url, encoded, otp) if bao else "no bao CLI given (--bao)"
    check(answer["data"]["token"] == from_bao,
          "hvac's sys/decode-token equals `bao operator generate-root -decode`",
          (answer["data"]["token"] == token, from_bao))
    expect_error(hvac.exceptions.InvalidRequest,
                 "error xoring token: length of byte slices is not equivalent: 26 != 25",
                 anonymous.write_data, "sys/decode-token",
                 data={"encoded_token": encoded, "otp": otp[:-1]})
    expect_error(hvac.exceptions.InvalidRequest, "provided 'encoded_token' or 'otp' is empty",
                 anonymous.write_data, "sys/decode-token", data={"encoded_token": encoded})
    expect_error(hvac.exceptions.InvalidRequest, "provided 'encoded_token' or 'otp' is empty",
                 anonymous.write_data, "sys/decode-token", data={"encoded_token": "", "otp": otp})


def openbao_namespace(url, shares, bao):
    """R50-R52: hvac with `namespace="ns1"` (X-Vault-Namespace) runs ns1's own ceremony."""
    client = hvac.Client(url=url, token=CALLER_TOKEN, namespace="ns1")
    status = client.read("sys/generate-root-token/attempt")["data"]
    check(status["otp_length"] == 33 and status["started"] is False,
          "ns1 status through hvac(namespace='ns1'): otp_length 33 (R50)", status)
    started = client.write_data("sys/generate-root-token/attempt", data={})["data"]
    otp, nonce = started["otp"], started["nonce"]
    check(len(otp) == 33, "ns1 start: a generated 33-char OTP (R51)", started)
    for key in shares[:3]:
        done = client.write_data("sys/generate-root-token/update",
                                 data={"key": key, "nonce": nonce})["data"]
    check(done["complete"] is True and done["progress"] == 3, "ns1 ceremony complete with ns1's shares",
          done)
    encoded = done["encoded_token"]
    token = decode_token(encoded, otp)
    check(re.fullmatch(r"s\.[0-9A-Za-z]{24}\.[0-9A-Za-z]{6}", token) is not None,
          "ns1 token is s. + 24 base62 + . + a 6-char namespace id (R51)",
          re.sub("[0-9A-Za-z]", "x", token))
    answer = hvac.Client(url=url, namespace="ns1").write_data(
        "sys/decode-token", data={"encoded_token": encoded, "otp": otp})
    from_bao = bao_decode(bao, url, encoded, otp, "ns1") if bao else "no bao CLI given (--bao)"
    check(answer["data"] == {"token": from_bao},
          "hvac's sys/decode-token in ns1 equals `bao operator generate-root -namespace=ns1 -decode` (R52)",
          (answer["data"] == {"token": token}, from_bao))


def run(binary, *flags, body, bao=None):
    proc, url, shares, ns_shares = start_server(binary, *flags)
    try:
        check(len(shares) == 5, f"server {' '.join(flags) or '(Vault profile)'} printed 5 unseal keys",
              len(shares))
        body(hvac.Client(url=url, token=CALLER_TOKEN), url, shares)
        if "--namespace" in flags:
            check(len(ns_shares.get("ns1", [])) == 5, "server printed 5 unseal keys for ns1",
                  {k: len(v) for k, v in ns_shares.items()})
            openbao_namespace(url, ns_shares["ns1"], bao)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    check(proc.returncode == 0, "server exits 0 on SIGTERM", proc.returncode)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("server")
    ap.add_argument("--bao", default=shutil.which("bao"))
    args = ap.parse_args()

    def vault(client, url, shares):
        root_ceremony(client, url, shares)
        recovery_ceremony(client, url, shares)

    run(args.server, body=vault)
    def openbao(client, url, shares):
        openbao_ceremony(client, url, shares, args.bao)

    run(args.server, "--openbao", "--namespace", "ns1", body=openbao, bao=args.bao)
    print(f"hvac {importlib.metadata.version('hvac')} against the example server")
    print(f"hvac: {passed} passed, 0 failed")


if __name__ == "__main__":
    main()
