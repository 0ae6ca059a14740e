#!/usr/bin/env bash
# End-to-end: `buf curl` (a grpcurl stand-in) against a live BrazeSync server
# using only server reflection: list services and methods, health check, a
# Track that reaches the Braze emulator, and an invalid Track whose error
# carries field violations.
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

if [ "$failures" -ne 0 ]; then echo "$failures check(s) failed"; exit 1; fi
echo "all buf curl checks passed"
