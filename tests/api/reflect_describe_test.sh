#!/usr/bin/env bash
# End-to-end: client/python/tools/grpc_reflect.py (grpcurl-style describe,
# which `buf curl` lacks) against a live BrazeSync server through server
# reflection v1alpha: list, describe a service, a message and a method, and a
# unary call.
# Usage: reflect_describe_test.sh SERVER_BIN EMULATOR_BIN
set -euo pipefail
server="$1" emulator="$2"
root="$(cd "$(dirname "$0")/../.." && pwd)"
WORK_DIR="$(mktemp -d)"
source "$root/scripts/lib/processes.sh"
trap 'stop_started_processes; rm -rf "$WORK_DIR"' EXIT

source "$root/tests/lib/expect.sh"

export BRAZE_API_KEY="reflect-key"
start_emulator "$emulator"
start_server "$server"
reflect=(/usr/bin/python3 "$root/client/python/tools/grpc_reflect.py" --addr "127.0.0.1:$SERVER_PORT")

services="$("${reflect[@]}" list)"
expect_contains "$services" "brazesync.v1.BrazeSync" "list shows BrazeSync"
expect_contains "$services" "brazesync.v1.BrazeSyncAdmin" "list shows BrazeSyncAdmin"
expect_contains "$services" "grpc.health.v1.Health" "list shows Health"

service="$("${reflect[@]}" describe brazesync.v1.BrazeSync)"
expect_contains "$service" "service BrazeSync {" "describe service"
expect_contains "$service" "rpc Track ( .brazesync.v1.TrackRequest ) returns ( .brazesync.v1.TrackResult );" \
  "describe lists Track"
expect_contains "$service" "rpc TrackStream ( stream .brazesync.v1.TrackRequest ) returns ( stream .brazesync.v1.TrackResult );" \
  "describe lists TrackStream"

message="$("${reflect[@]}" describe brazesync.v1.TrackRequest)"
expect_contains "$message" "message TrackRequest {" "describe message"
expect_contains "$message" ".brazesync.v1.DeliveryMode delivery_mode = 8;" "TrackRequest lists delivery_mode"

method="$("${reflect[@]}" describe brazesync.v1.BrazeSyncAdmin/GetItemStatus)"
expect_contains "$method" "rpc GetItemStatus ( .brazesync.v1.GetItemStatusRequest ) returns ( .brazesync.v1.ItemState );" \
  "describe method"

health="$("${reflect[@]}" call grpc.health.v1.Health/Check -d '{"service":"brazesync.v1.BrazeSync"}')"
expect_contains "$health" '"SERVING"' "call health Check"

set +e
missing="$("${reflect[@]}" describe brazesync.v1.NoSuchThing 2>&1)"
code=$?
set -e
if [ "$code" -eq 0 ]; then echo "FAIL: describe of an unknown symbol exited 0"; failures=$((failures + 1)); fi
expect_contains "$missing" "symbol not found" "unknown symbol is reported"

if [ "$failures" -ne 0 ]; then echo "$failures check(s) failed"; exit 1; fi
echo "all grpc_reflect checks passed"
