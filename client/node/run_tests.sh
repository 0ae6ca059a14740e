#!/usr/bin/env bash
# Node.Client: packs @brazesync/client (npm pack: buf generate + tsc),
# installs the tarball into a fresh npm project in a temp dir, and runs the
# tests there against a live server and the Braze emulator, so they exercise
# exactly what a user installs:
#   - test/consumer.ts is type-checked (tsc --noEmit) against the installed
#     package's .d.ts: a typing regression fails the test;
#   - test/client.test.mjs (node --test) imports '@brazesync/client'.
# The server checks callers (a token with every role, from a config file) and
# has a data directory (BrazeSyncAdmin) and an HTTP/JSON listener, so the
# Connect transport is tested against the real server too.
# Usage: run_tests.sh SERVER_BIN EMULATOR_BIN
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
server_bin="${1:?usage: run_tests.sh SERVER_BIN EMULATOR_BIN}"
emulator_bin="${2:?usage: run_tests.sh SERVER_BIN EMULATOR_BIN}"
WORK_DIR="$(mktemp -d)"
source "$here/../../scripts/lib/processes.sh"
trap 'stop_started_processes; rm -rf "$WORK_DIR"' EXIT

# 1. Pack the package from the locked dependencies.
cd "$here"
if ! npm ls --depth=0 >/dev/null 2>&1; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npm pack --silent --pack-destination "$WORK_DIR" >"$WORK_DIR/pack.out"
tarball="$WORK_DIR/$(tail -n1 "$WORK_DIR/pack.out")"
test -s "$tarball" || { echo "npm pack produced no tarball" >&2; exit 1; }

# 2. A fresh project that installs the tarball (its dependencies from the
#    registry, the npm cache first).
app="$WORK_DIR/app"
mkdir -p "$app/test"
(cd "$app" && npm init -y >/dev/null &&
  npm install --prefer-offline --no-audit --no-fund --loglevel=error "$tarball")
cp "$here/test/client.test.mjs" "$here/test/consumer.ts" "$app/test/"
cat >"$app/tsconfig.json" <<'JSON'
{
  "compilerOptions": {"target": "ES2022", "module": "NodeNext", "moduleResolution": "NodeNext",
                      "strict": true, "noEmit": true, "types": []},
  "files": ["test/consumer.ts"]
}
JSON
# The package's own pinned TypeScript compiles the consumer; the consumer
# resolves '@brazesync/client' from the fresh project's node_modules.
(cd "$app" && "$here/node_modules/.bin/tsc" -p tsconfig.json)
echo "ok: test/consumer.ts type-checks against the installed @brazesync/client"

# 3. Emulator and server (callers with a token; a data directory for admin).
export BRAZE_API_KEY="node-client-key"
start_emulator "$emulator_bin"
token="node-$RANDOM$RANDOM$RANDOM"
{
  emulator_workspace_config
  caller_config node-test "$token" admin_workspaces lookup_workspaces identity_workspaces \
    messaging_workspaces subscription_workspaces
} >"$WORK_DIR/config.textproto"
mkdir -p "$WORK_DIR/data"
server_flags=(--config="$WORK_DIR/config.textproto" --data_dir="$WORK_DIR/data"
  --http_listen=127.0.0.1:0 --http_port_file="$WORK_DIR/http.port")
start_server "$server_bin" "${server_flags[@]}"
export BRAZESYNC_TARGET="127.0.0.1:$SERVER_PORT"
export BRAZESYNC_TOKEN="$token"
export BRAZE_EMULATOR_URL="http://127.0.0.1:$EMULATOR_PORT"
# The server writes the HTTP port file once that listener is bound.
export BRAZESYNC_URL="http://127.0.0.1:$(wait_for_port_file "$WORK_DIR/http.port" "${BRAZESYNC_PIDS[-1]}")"

# 4. The tests, from the fresh project.
cd "$app"
node --test --test-reporter=spec test/
