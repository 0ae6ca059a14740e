#!/usr/bin/env bash
# Node.Client: packs @brazesync/client (npm pack: buf generate + tsc),
# installs the tarball into a fresh npm project in a temp dir, and runs the
# tests there against a live server and the Braze emulator, so they exercise
# exactly what a user installs:
#   - test/consumer.ts is type-checked (tsc --noEmit) against the installed
#     package's .d.ts: a typing regression fails the test;
#   - test/client.test.mjs (node --test) imports '@brazesync/client'.
# The server checks callers (a token with every role, from a config file) and
# has a data directory (BrazeSyncAdmin). When the server binary supports
# --http_listen, the Connect (HTTP/JSON) tests run too; otherwise they are
# skipped with a message.
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
cat >"$WORK_DIR/config.textproto" <<CONFIG
workspaces {
  name: "default"
  endpoint: "http://127.0.0.1:$EMULATOR_PORT"
  api_key_env: "BRAZE_API_KEY"
}
callers {
  name: "node-test"
  token_sha256: "$(printf %s "$token" | sha256sum | cut -d' ' -f1)"
  allowed_workspaces: "*"
  admin_workspaces: "*"
  lookup_workspaces: "*"
  identity_workspaces: "*"
  messaging_workspaces: "*"
  subscription_workspaces: "*"
}
CONFIG
mkdir -p "$WORK_DIR/data"
server_flags=(--config="$WORK_DIR/config.textproto" --data_dir="$WORK_DIR/data")
help="$("$server_bin" --help 2>&1 || true)"
http_port=""
if grep -q 'http_listen' <<<"$help"; then
  if grep -q 'http_port_file' <<<"$help"; then
    server_flags+=(--http_listen=127.0.0.1:0 --http_port_file="$WORK_DIR/http.port")
  else
    # No port file for the HTTP listener: ask the kernel for a free port.
    http_port="$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')"
    server_flags+=(--http_listen="127.0.0.1:$http_port")
  fi
fi
start_server "$server_bin" "${server_flags[@]}"
export BRAZESYNC_TARGET="127.0.0.1:$SERVER_PORT"
export BRAZESYNC_TOKEN="$token"
export BRAZE_EMULATOR_URL="http://127.0.0.1:$EMULATOR_PORT"
if grep -q 'http_listen' <<<"$help"; then
  if [ -z "$http_port" ]; then http_port="$(wait_for_port_file "$WORK_DIR/http.port" "${BRAZESYNC_PIDS[-1]}")"; fi
  export BRAZESYNC_URL="http://127.0.0.1:$http_port"
  # Readiness: the HTTP listener answers (any HTTP status), bounded to 20 s.
  for _ in $(seq 1 400); do
    if curl -s -o /dev/null "$BRAZESYNC_URL/"; then break; fi
    sleep 0.05
  done
else
  unset BRAZESYNC_URL
  echo "SKIP: Connect (HTTP/JSON) transport tests: $server_bin has no --http_listen"
fi

# 4. The tests, from the fresh project.
cd "$app"
node --test --test-reporter=spec test/
