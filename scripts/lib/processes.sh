# Shell helpers shared by the quick start and the shell-driven tests: start the
# Braze emulator and the BrazeSync server on free loopback ports, wait for
# readiness through their --port_file, and stop them on exit.
# Usage: source it, then `start_emulator BIN`, `start_server BIN [flags...]`;
# they set EMULATOR_PORT / SERVER_PORT. Requires WORK_DIR.

BRAZESYNC_PIDS=()

stop_started_processes() {
  for pid in "${BRAZESYNC_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}

# Prints the port in FILE once the process PID has written it.
wait_for_port_file() {
  local file="$1" pid="$2"
  for _ in $(seq 1 400); do
    if [ -s "$file" ]; then cat "$file"; return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then echo "process $pid exited early" >&2; return 1; fi
    sleep 0.05
  done
  echo "timed out waiting for $file" >&2
  return 1
}

start_emulator() {
  local bin="$1"; shift
  "$bin" --listen=127.0.0.1:0 --port_file="$WORK_DIR/emulator.port" "$@" \
    >"$WORK_DIR/emulator.log" 2>&1 &
  BRAZESYNC_PIDS+=($!)
  EMULATOR_PORT="$(wait_for_port_file "$WORK_DIR/emulator.port" "$!")"
}

start_server() {
  local bin="$1"; shift
  "$bin" --listen=127.0.0.1:0 --port_file="$WORK_DIR/server.port" \
    --braze_endpoint="http://127.0.0.1:$EMULATOR_PORT" "$@" >"$WORK_DIR/server.log" 2>&1 &
  BRAZESYNC_PIDS+=($!)
  SERVER_PORT="$(wait_for_port_file "$WORK_DIR/server.port" "$!")"
}

# Prints a ServerConfig textproto `workspaces` block: workspace "default" on
# the started emulator, its key from $BRAZE_API_KEY.
emulator_workspace_config() {
  cat <<CONFIG
workspaces {
  name: "default"
  endpoint: "http://127.0.0.1:$EMULATOR_PORT"
  api_key_env: "BRAZE_API_KEY"
}
CONFIG
}

# caller_config NAME TOKEN [ROLE_FIELD...]: prints a `callers` block for a
# caller holding TOKEN (the config keeps only its SHA-256) with the track role
# and each given role field (admin_workspaces, lookup_workspaces, ...) on
# every workspace.
caller_config() {
  local name="$1" token="$2" role
  shift 2
  echo "callers {"
  echo "  name: \"$name\""
  echo "  token_sha256: \"$(printf %s "$token" | sha256sum | cut -d' ' -f1)\""
  echo "  allowed_workspaces: \"*\""
  for role in "$@"; do echo "  $role: \"*\""; done
  echo "}"
}
