#!/usr/bin/env bash
# Drive the example server with curl exactly as Vault's API documentation does
# (`curl --request PUT --data @payload.json ...`), through a root and a recovery generation.
#
# Usage: bash curl_ceremony.sh PATH/TO/server
#
# Tokens are decoded here with base64(1), od(1) and shell arithmetic: base64 without padding,
# XOR with the OTP, independently of the crate.
set -euo pipefail

server_bin=$1
work=$(mktemp -d)
passed=0
server_pid=

cleanup() {
    if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then kill "$server_pid"; fi
    rm -rf "$work"
}
trap cleanup EXIT

fail() {
    echo "curl: FAILED: $1" >&2
    [[ -n ${2:-} ]] && echo "  curl saw: $2" >&2
    echo "curl: $passed passed, 1 failed"
    exit 1
}
ok() {
    passed=$((passed + 1))
    echo "ok - $1"
}

# call METHOD PATH [DATAFILE] [HEADER]: sets $status, $ctype and $body.
call() {
    local args=(--silent --show-error --request "$1" --output "$work/body"
        --write-out '%{http_code} %{content_type}')
    [[ -n ${3:-} ]] && args+=(--data "@$3")
    [[ -n ${4:-} ]] && args+=(--header "$4")
    local out
    out=$(curl "${args[@]}" "$addr$2")
    status=${out%% *}
    ctype=${out#* }
    body=$(cat "$work/body")
}

# expect STATUS BODY-SUBSTRING WHAT
expect() {
    [[ $status == "$1" ]] || fail "$3: status $1" "$status $body"
    [[ $ctype == application/json ]] || fail "$3: Content-Type application/json" "$ctype"
    [[ $body == *"$2"* ]] || fail "$3: body has $2" "$body"
    ok "$3"
}

field() { # field NAME: a string field of $body
    sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" <<<"$body"
}

decode_token() { # decode_token ENCODED OTP
    local enc=$1 otp=$2 pad i=0 b o
    pad=$(((4 - ${#enc} % 4) % 4))
    enc+=$(printf '%*s' "$pad" '' | tr ' ' '=')
    for b in $(printf '%s' "$enc" | base64 -d | od -An -tu1 -v); do
        o=$(printf '%d' "'${otp:i:1}")
        printf "\\$(printf '%03o' $((b ^ o)))"
        i=$((i + 1))
    done
}

# Vault 1.x's model (Vault 2.x: `enable_unauthenticated_access`): curl calls without a token.
"$server_bin" --listen 127.0.0.1:0 --enable-unauthenticated-access generate-root >"$work/stdout" &
server_pid=$!
for _ in $(seq 300); do
    grep -q '^Listening on ' "$work/stdout" && break
    kill -0 "$server_pid" 2>/dev/null || fail "server exited before listening" "$(cat "$work/stdout")"
    sleep 0.1
done
addr=$(sed -n 's/^Listening on //p' "$work/stdout")
[[ -n $addr ]] || fail "server printed no address within 30 s"
mapfile -t shares < <(sed -n 's/^Unseal Key [0-9]*: //p' "$work/stdout")
[[ ${#shares[@]} == 5 ]] || fail "5 unseal keys" "${shares[*]}"

# ----- root generation, with our own OTP -----
call GET /v1/sys/generate-root/attempt
expect 200 '"started":false' "GET generate-root/attempt"
otp=$(tr -dc 'A-Za-z0-9' < <(head -c 512 /dev/urandom)) # no `| head`: SIGPIPE + pipefail
otp=${otp:0:28}
printf '{"otp": "%s"}' "$otp" >"$work/payload.json"
call PUT /v1/sys/generate-root/attempt "$work/payload.json"
expect 200 '"started":true' "PUT generate-root/attempt --data @payload.json"
nonce=$(field nonce)
[[ $(field otp) == "" ]] || fail "our OTP is not echoed" "$body"

call PUT /v1/sys/generate-root/attempt "$work/payload.json"
expect 400 '{"errors":["root generation already in progress"]}' "second start refused"

for k in 0 2 4; do
    printf '{"key": "%s", "nonce": "%s"}' "${shares[$k]}" "$nonce" >"$work/payload.json"
    call PUT /v1/sys/generate-root/update "$work/payload.json"
    expect 200 '"started":true' "PUT generate-root/update with unseal key $((k + 1))"
done
[[ $body == *'"complete":true'* ]] || fail "complete after 3 keys" "$body"
token=$(decode_token "$(field encoded_root_token)" "$otp")
[[ $token =~ ^hvs\.[A-Za-z0-9]{24}$ ]] || fail "decoded root token" "$token"
ok "decoded root token is hvs. + 24 base62"

printf '' >"$work/empty.json"
call PUT /v1/sys/generate-root/update "$work/empty.json"
expect 400 '{"errors":["EOF"]}' "update with an empty body"
# PATCH meets the generic layer's Content-Type check first (OpenBao 2.7.2 observed).
call PATCH /v1/sys/generate-root/attempt
expect 400 '{"errors":["mime: no media type"]}' "PATCH attempt without a type: 400"
call PATCH /v1/sys/generate-root/attempt "" "Content-Type: application/merge-patch+json"
expect 405 '{"errors":[]}' "PATCH attempt with the merge-patch type: 405"

# ----- recovery generation, server-generated OTP, then cancel and redo -----
call PUT /v1/sys/generate-recovery-token/attempt "$work/empty.json"
expect 200 '"otp_length":28' "PUT generate-recovery-token/attempt, empty body"
call DELETE /v1/sys/generate-recovery-token/attempt
[[ $status == 204 && -z $body ]] || fail "DELETE attempt: 204, no body" "$status $body"
ok "DELETE generate-recovery-token/attempt: 204, no body"

call PUT /v1/sys/generate-recovery-token/attempt "$work/empty.json"
expect 200 '"started":true' "restart recovery"
otp=$(field otp)
nonce=$(field nonce)
[[ ${#otp} == 28 ]] || fail "generated OTP of 28 characters" "$body"
for k in 1 3 4; do
    printf '{"key": "%s", "nonce": "%s"}' "${shares[$k]}" "$nonce" >"$work/payload.json"
    call POST /v1/sys/generate-recovery-token/update "$work/payload.json"
    expect 200 '"started":true' "POST generate-recovery-token/update with unseal key $((k + 1))"
done
token=$(decode_token "$(field encoded_token)" "$otp")
[[ $token =~ ^hvr\.[A-Za-z0-9]{24}$ ]] || fail "decoded recovery token" "$token"
ok "decoded recovery token is hvr. + 24 base62"

call GET /v1/sys/raw/anything
expect 403 '{"errors":[]}' "sys/raw without the token: 403"
call GET /v1/sys/raw/anything "" "X-Vault-Token: $token"
expect 404 '{"errors":[]}' "sys/raw with the recovery token: 404"

kill -TERM "$server_pid"
rc=0
wait "$server_pid" || rc=$?
server_pid=
[[ $rc == 0 ]] || fail "server exits 0 on SIGTERM" "$rc"
ok "server exits 0 on SIGTERM"
echo "$(curl --version | head -n1 | cut -d' ' -f1-2) against the example server"
echo "curl: $passed passed, 0 failed"
