#!/usr/bin/env bash
# End-to-end: `buf curl` (a grpcurl stand-in) against a live BrazeSync server
# using only server reflection: list services and methods, health check, a
# Track that reaches the Braze emulator, an invalid Track whose error
# carries field violations, and the README's LookupUsers calls (the tracked
# user FOUND, an unknown alias NOT_FOUND, an invalid lookup's violations)
# and the README's TriggerCanvas call (ACCEPTED; the emulator sent one
# message with the context).
# Usage: buf_curl_test.sh BUF SERVER_BIN EMULATOR_BIN
set -euo pipefail
buf="$1" server="$2" emulator="$3"
WORK_DIR="$(mktemp -d)"
source "$(dirname "$0")/../../scripts/lib/processes.sh"
trap 'stop_started_processes; rm -rf "$WORK_DIR"' EXIT

source "$(dirname "$0")/../lib/expect.sh"

export BRAZE_API_KEY="buf-curl-key"
start_emulator "$emulator"
start_server "$server"
url="http://127.0.0.1:$SERVER_PORT"
bufcurl=("$buf" curl --protocol grpc --http2-prior-knowledge)

services="$("${bufcurl[@]}" --list-services "$url")"
expect_contains "$services" "brazesync.v1.BrazeSync" "reflection lists BrazeSync"
expect_contains "$services" "grpc.health.v1.Health" "reflection lists Health"

methods="$("${bufcurl[@]}" --list-methods "$url")"
expect_contains "$methods" "brazesync.v1.BrazeSync/Track" "reflection describes Track"
expect_contains "$methods" "grpc.health.v1.Health/Check" "reflection describes Health"
expect_contains "$methods" "brazesync.v1.BrazeLookup/LookupUsers" "reflection describes LookupUsers"
expect_contains "$methods" "brazesync.v1.BrazeMessaging/TriggerCanvas" "reflection describes TriggerCanvas"
expect_contains "$methods" "brazesync.v1.BrazeIdentity/IdentifyUsers" "reflection describes IdentifyUsers"
expect_contains "$methods" "brazesync.v1.BrazeSubscriptions/SetSubscriptionStatus" \
  "reflection describes SetSubscriptionStatus"

health="$("${bufcurl[@]}" -d '{"service":"brazesync.v1.BrazeSync"}' "$url/grpc.health.v1.Health/Check")"
expect_contains "$health" '"SERVING"' "health check"

request='{"attributes":[{"user":{"external_id":"buf-user"},"first_name":"Ada","country":"GB"}],
          "events":[{"user":{"external_id":"buf-user"},"name":"quote_requested",
                     "properties":{"plan":"premium"}}]}'
result="$("${bufcurl[@]}" -d "$request" "$url/brazesync.v1.BrazeSync/Track")"
expect_contains "$result" '"OUTCOME_DELIVERED"' "Track delivered"
expect_contains "$result" '"ITEM_STATUS_DELIVERED"' "per-item result"

received="$(curl -s "http://127.0.0.1:$EMULATOR_PORT/_emulator/requests")"
expect_contains "$received" '"quote_requested"' "emulator received the event"
expect_contains "$received" '"buf-user"' "emulator received the user"

set +e
invalid="$("${bufcurl[@]}" -d '{"events":[{"user":{"external_id":"buf-user"}}]}' \
  "$url/brazesync.v1.BrazeSync/Track" 2>&1)"
code=$?
set -e
if [ "$code" -eq 0 ]; then echo "FAIL: invalid Track exited 0"; failures=$((failures + 1)); fi
expect_contains "$invalid" "invalid_argument" "invalid Track is INVALID_ARGUMENT"
expect_contains "$invalid" "events[0].name" "violation names the field"

lookup="$("${bufcurl[@]}" \
  -d '{"external_ids":["buf-user"],"fields_to_export":["first_name","custom_attributes"],"max_wait":"5s","max_stale":"3600s"}' \
  "$url/brazesync.v1.BrazeLookup/LookupUsers" 2>&1)" || true
expect_contains "$lookup" '"LOOKUP_OUTCOME_FOUND"' "LookupUsers finds the tracked user"
first_name="$(/usr/bin/python3 -c 'import json, sys; print(json.loads(sys.argv[1])["users"][0].get("firstName"))' "$lookup" 2>&1)" || true
expect_contains "$first_name" "Ada" "LookupUsers shows the tracked first_name"
lookup="$("${bufcurl[@]}" \
  -d '{"user_aliases":[{"alias_label":"crm","alias_name":"buf-nobody"}],"cache_policy":"CACHE_POLICY_REFRESH","max_wait":"5s"}' \
  "$url/brazesync.v1.BrazeLookup/LookupUsers" 2>&1)" || true
expect_contains "$lookup" '"LOOKUP_OUTCOME_NOT_FOUND"' "LookupUsers of an unknown alias"
set +e
invalid="$("${bufcurl[@]}" -d '{"external_ids":["buf-user"],"email_address":"ada@example.com"}' \
  "$url/brazesync.v1.BrazeLookup/LookupUsers" 2>&1)"
code=$?
set -e
if [ "$code" -eq 0 ]; then echo "FAIL: invalid LookupUsers exited 0"; failures=$((failures + 1)); fi
expect_contains "$invalid" "invalid_argument" "mixed identifiers are INVALID_ARGUMENT"

# The README's TriggerCanvas call (this server configures no callers: no token).
trigger="$("${bufcurl[@]}" \
  -d '{"canvas_id":"cv-retarget","context":{"topic":"upgrade_plan"},"recipients":[{"external_user_id":"buf-user"}]}' \
  "$url/brazesync.v1.BrazeMessaging/TriggerCanvas" 2>&1)" || true
expect_contains "$trigger" '"ACTION_STATUS_ACCEPTED"' "TriggerCanvas accepted"
expect_contains "$trigger" '"/canvas/trigger/send"' "TriggerCanvas names the Braze call"
sent="$(/usr/bin/python3 - "$(curl -s "http://127.0.0.1:$EMULATOR_PORT/_emulator/messages")" <<'PY' 2>&1
import json, sys
answer = json.loads(sys.argv[1])
listed = answer.get("messages", []) if isinstance(answer, dict) else answer
print(len([m for m in listed if all(n in json.dumps(m) for n in ("cv-retarget", "buf-user", "upgrade_plan"))]))
PY
)" || true
if [ "$sent" = "1" ]; then echo "ok: the emulator sent one Canvas message with the context"; else
  echo "FAIL: messages for the Canvas, the user and the context: $sent, want 1"; failures=$((failures + 1)); fi

if [ "$failures" -ne 0 ]; then echo "$failures check(s) failed"; exit 1; fi
echo "all buf curl checks passed"
