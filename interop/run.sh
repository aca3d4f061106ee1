#!/usr/bin/env bash
# Runs the example server against real Vault clients: hvac (Python), node-vault (Node.js), curl.
#
# Usage: bash interop/run.sh PATH/TO/server [WORK_DIR]
#
# Installs the pinned clients from PyPI and npm into WORK_DIR (default: target/interop), then
# runs each script; each starts its own server on 127.0.0.1:0. Needs python3 (with venv), node,
# npm and curl on PATH (.ci/run installs them).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
server_bin=$(realpath "$1")
work=$(realpath -m "${2:-$here/../target/interop}")

# Pinned client versions: change them here, and say so in CHANGELOG.md.
HVAC_VERSION=2.4.0
NODE_VAULT_VERSION=0.12.0

mkdir -p "$work"
if [[ ! -x $work/venv/bin/python ]]; then python3 -m venv "$work/venv"; fi
"$work/venv/bin/python" -m pip install --quiet --disable-pip-version-check "hvac==$HVAC_VERSION"
mkdir -p "$work/node"
(cd "$work/node" && npm install --silent --no-audit --no-fund --no-save \
    "node-vault@$NODE_VAULT_VERSION" >/dev/null)

echo "--- hvac $HVAC_VERSION (Python $("$work/venv/bin/python" -c 'import platform; print(platform.python_version())'))"
"$work/venv/bin/python" "$here/hvac_ceremony.py" "$server_bin"
echo "--- node-vault $NODE_VAULT_VERSION (Node.js $(node --version))"
NODE_PATH="$work/node/node_modules" node "$here/node_vault_ceremony.js" "$server_bin"
echo "--- curl"
bash "$here/curl_ceremony.sh" "$server_bin"
