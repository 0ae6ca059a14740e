#!/usr/bin/env bash
# End-to-end: the HTTP/JSON listener (Connect protocol) of a real
# brazesync_server (--http_listen=127.0.0.1:0 --http_port_file) in front of
# the Braze emulator, called by three ordinary clients:
#   - curl: Track in JSON (per-item results with allow_partial), no token
#     (401 unauthenticated), wrong content type (415 + Accept-Post), GET (405);
#   - /usr/bin/python3 + requests: the README's "after" action node, taken
#     from README.md between the connect-example markers and run as is;
#   - buf curl --protocol connect --schema protos: Track and a field error.
# And what the emulator received for each delivered call.
# Usage: connect_http_e2e_test.sh BUF SERVER_BIN EMULATOR_BIN
set -euo pipefail
buf="$1" server="$2" emulator="$3"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
WORK_DIR="$(mktemp -d)"
source "$root/scripts/lib/processes.sh"
source "$here/../lib/expect.sh"
trap 'stop_started_processes; rm -rf "$WORK_DIR"' EXIT

export BRAZE_API_KEY="connect-http-key"
start_emulator "$emulator"

token="http-bot-$RANDOM$RANDOM"
sha() { printf %s "$1" | sha256sum | cut -d' ' -f1; }
cat >"$WORK_DIR/config.textproto" <<CONFIG
workspaces {
  name: "default"
  endpoint: "http://127.0.0.1:$EMULATOR_PORT"
  api_key_env: "BRAZE_API_KEY"
}
callers {
  name: "bot"
  token_sha256: "$(sha "$token")"
  allowed_workspaces: "*"
}
CONFIG
start_server "$server" --config="$WORK_DIR/config.textproto" \
  --http_listen=127.0.0.1:0 --http_port_file="$WORK_DIR/http.port"
# --http_port_file is written before --port_file: it is there now.
export BRAZESYNC_URL="http://127.0.0.1:$(cat "$WORK_DIR/http.port")"
export BRAZESYNC_TOKEN="$token"
received() { curl -s "http://127.0.0.1:$EMULATOR_PORT/_emulator/requests"; }

# curl: Track in JSON, one valid and one invalid item.
answer="$(curl -s -w '\nHTTP %{http_code}' -X POST "$BRAZESYNC_URL/brazesync.v1.BrazeSync/Track" \
  -H "Authorization: Bearer $BRAZESYNC_TOKEN" -H 'Content-Type: application/json' \
  -d '{"allow_partial": true,
       "events": [{"user": {"external_id": "curl-user"}, "name": "curl_event"},
                  {"user": {"external_id": "curl-user"}}]}')"
expect_contains "$answer" "HTTP 200" "curl Track answers 200"
expect_contains "$answer" '"outcome":"OUTCOME_PARTIAL"' "curl Track outcome"
expect_contains "$answer" '"status":"ITEM_STATUS_DELIVERED"' "curl Track delivered item"
expect_contains "$answer" '"status":"ITEM_STATUS_REJECTED_INVALID"' "curl Track invalid item"
expect_contains "$answer" '"field":"events[1].name"' "curl Track names the field"
expect_contains "$(received)" '"curl_event"' "the emulator received the curl event"

no_token="$(curl -s -w '\nHTTP %{http_code}' -X POST "$BRAZESYNC_URL/brazesync.v1.BrazeSync/Track" \
  -H 'Content-Type: application/json' -d '{}')"
expect_contains "$no_token" "HTTP 401" "no token: 401"
expect_contains "$no_token" '"code":"unauthenticated"' "no token: unauthenticated"

wrong_type="$(curl -s -D - -X POST "$BRAZESYNC_URL/brazesync.v1.BrazeSync/Track" \
  -H "Authorization: Bearer $BRAZESYNC_TOKEN" -H 'Content-Type: text/plain' -d '{}')"
expect_contains "$wrong_type" "415" "text/plain: 415"
expect_contains "$wrong_type" "Accept-Post: application/json, application/proto" "415 Accept-Post"

get="$(curl -s -w '\nHTTP %{http_code}' "$BRAZESYNC_URL/brazesync.v1.BrazeSync/Track")"
expect_contains "$get" "HTTP 405" "GET: 405"

# Python requests: the README's action node, exactly as written there.
sed -n '/<!-- connect-example:start -->/,/<!-- connect-example:end -->/p' "$root/README.md" \
  | sed '1,2d;$d' | sed '$d' >"$WORK_DIR/action_node.py"
expect_contains "$(head -1 "$WORK_DIR/action_node.py")" "# file: action_node.py" \
  "README.md has the connect-example block"
node_output="$(cd "$WORK_DIR" && /usr/bin/python3 action_node.py 2>&1)" || true
expect_contains "$node_output" "OUTCOME_DELIVERED" "README action node: delivered"
expect_contains "$node_output" "ITEM_KIND_ATTRIBUTES 0 ITEM_STATUS_DELIVERED" \
  "README action node: the attributes item"
expect_contains "$node_output" "ITEM_KIND_EVENT 0 ITEM_STATUS_DELIVERED" \
  "README action node: the event item"
emulated="$(received)"
expect_contains "$emulated" '"quote_requested"' "the emulator received the README event"
expect_contains "$emulated" '"plan":"premium"' "the emulator received the README attribute"

# buf curl --protocol connect, schema from the repository's protos.
bufcurl=("$buf" curl --protocol connect --schema "$root/protos" \
  -H "Authorization: Bearer $BRAZESYNC_TOKEN")
result="$("${bufcurl[@]}" -d '{"events":[{"user":{"external_id":"buf-user"},"name":"buf_event"}]}' \
  "$BRAZESYNC_URL/brazesync.v1.BrazeSync/Track")"
expect_contains "$result" '"OUTCOME_DELIVERED"' "buf curl Track delivered"
expect_contains "$(received)" '"buf_event"' "the emulator received the buf curl event"
set +e
invalid="$("${bufcurl[@]}" -d '{"events":[{"user":{"external_id":"buf-user"}}]}' \
  "$BRAZESYNC_URL/brazesync.v1.BrazeSync/Track" 2>&1)"
code=$?
set -e
if [ "$code" -eq 0 ]; then echo "FAIL: invalid buf curl Track exited 0"; failures=$((failures + 1)); fi
expect_contains "$invalid" "invalid_argument" "buf curl invalid Track is invalid_argument"
expect_contains "$invalid" "events[0].name" "buf curl sees the field violation"

if [ "$failures" -ne 0 ]; then echo "$failures check(s) failed"; exit 1; fi
echo "connect http e2e: all checks passed"
