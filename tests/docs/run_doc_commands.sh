#!/usr/bin/env bash
# Runs one client documentation page exactly as written (issue #16): its
# ```bash blocks, in order, from the root of a fresh copy of the repository's
# files, against a live brazesync_server (gRPC and HTTP/JSON listeners) and the
# Braze emulator. The page convention is in extract_doc_commands.py and
# docs/clients/README.md.
#
# The page sees: BRAZESYNC_TARGET (gRPC host:port), BRAZESYNC_URL (HTTP/JSON
# base URL), BRAZESYNC_TOKEN (a caller with every role on workspace
# "default"), BRAZE_EMULATOR_URL, and the `brazesync` CLI and `buf` on PATH.
# Usage: run_doc_commands.sh PAGE.md REPO_ROOT CLI_BIN SERVER_BIN EMULATOR_BIN BUF_BIN
set -euo pipefail
[ $# -eq 6 ] || {
  echo "usage: $0 PAGE.md REPO_ROOT CLI_BIN SERVER_BIN EMULATOR_BIN BUF_BIN" >&2
  exit 2
}
page="$(realpath "$1")" repo="$(realpath "$2")" cli="$(realpath "$3")"
server="$(realpath "$4")" emulator="$(realpath "$5")" buf="$(realpath -s "$6")"
here="$(cd "$(dirname "$0")" && pwd)"
WORK_DIR="$(mktemp -d)"
source "$repo/scripts/lib/processes.sh"
trap 'stop_started_processes; rm -rf "$WORK_DIR"' EXIT

script="$WORK_DIR/page.sh"
/usr/bin/python3 "$here/extract_doc_commands.py" "$page" "$script"

# A fresh copy of what a clone holds: tracked files (and new ones not yet
# committed), never build trees, node_modules or generated stubs.
copy="$WORK_DIR/repo"
mkdir -p "$copy"
(cd "$repo" && git ls-files -z --cached --others --exclude-standard |
  /usr/bin/python3 -c '
import os, shutil, sys
dest = sys.argv[1]
for name in sys.stdin.buffer.read().decode().split("\0"):
    if name and os.path.isfile(name):
        os.makedirs(os.path.join(dest, os.path.dirname(name)), exist_ok=True)
        shutil.copy2(name, os.path.join(dest, name))
' "$copy")

export BRAZE_API_KEY="doc-page-key-$RANDOM"
start_emulator "$emulator"
token="doc-reader-$RANDOM$RANDOM$RANDOM"
{
  emulator_workspace_config
  caller_config doc-reader "$token" admin_workspaces lookup_workspaces identity_workspaces \
    messaging_workspaces subscription_workspaces
} >"$WORK_DIR/config.textproto"
start_server "$server" --config="$WORK_DIR/config.textproto" \
  --http_listen=127.0.0.1:0 --http_port_file="$WORK_DIR/http.port"
http_port="$(wait_for_port_file "$WORK_DIR/http.port" "${BRAZESYNC_PIDS[-1]}")"

export BRAZESYNC_TARGET="127.0.0.1:$SERVER_PORT"
export BRAZESYNC_URL="http://127.0.0.1:$http_port"
export BRAZESYNC_TOKEN="$token"
export BRAZE_EMULATOR_URL="http://127.0.0.1:$EMULATOR_PORT"
export PATH="$(dirname "$cli"):$(dirname "$buf"):$PATH"
# The Braze key is the server's, not the reader's.
unset BRAZE_API_KEY

cd "$copy"
if ! bash "$script"; then
  echo "FAIL: $page: a command above failed (server log: last lines below)" >&2
  tail -n 20 "$WORK_DIR/server.log" >&2 || true
  exit 1
fi
echo "ok: every command of $page ran"
