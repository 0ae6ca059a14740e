#!/usr/bin/env bash
# End-to-end: the `brazesync` CLI tracks a profile and an event through a
# live server into the Braze emulator (what the quick start shows), prints the
# TrackResult, and reports field violations with a non-zero exit for bad input.
# Usage: cli_e2e_test.sh CLI_BIN SERVER_BIN EMULATOR_BIN
set -euo pipefail
cli="$1" server="$2" emulator="$3"
WORK_DIR="$(mktemp -d)"
source "$(dirname "$0")/../../scripts/lib/processes.sh"
trap 'stop_started_processes; rm -rf "$WORK_DIR"' EXIT

export BRAZE_API_KEY="cli-key"
start_emulator "$emulator"
start_server "$server"

out="$("$cli" track --target="127.0.0.1:$SERVER_PORT" --external_id=cli-user --first_name=Ada \
  --email=ada@example.com --event=appointment_booked --event_properties='{"slot":"10:00"}')"
[[ "$out" == *'"outcome": "OUTCOME_DELIVERED"'* ]] || { echo "FAIL: not delivered: $out"; exit 1; }

received="$(curl -s "http://127.0.0.1:$EMULATOR_PORT/_emulator/requests")"
/usr/bin/python3 - "$received" <<'PY'
import json, sys
requests = json.loads(sys.argv[1])
assert len(requests) == 1, requests
body = requests[0]["body"]
assert body["attributes"] == [{"external_id": "cli-user", "first_name": "Ada",
                               "email": "ada@example.com"}], body
event = body["events"][0]
assert event["name"] == "appointment_booked" and event["properties"] == {"slot": "10:00"}, event
assert event["time"].endswith("Z") and len(event["time"]) == 24, event["time"]
assert requests[0]["headers"]["content-type"].startswith("application/json"), requests[0]
print("ok: emulator received exactly the expected JSON")
PY

set +e
err="$("$cli" track --target="127.0.0.1:$SERVER_PORT" --external_id=cli-user --dob=12/21/1980 2>&1)"
code=$?
set -e
[ "$code" -eq 1 ] || { echo "FAIL: exit $code for invalid dob"; exit 1; }
[[ "$err" == *"INVALID_ARGUMENT"* && "$err" == *"attributes[0].dob"* ]] ||
  { echo "FAIL: violation not shown: $err"; exit 1; }
echo "all CLI checks passed"
