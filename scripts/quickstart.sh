#!/usr/bin/env bash
# Quick start: installs dependencies, builds, starts the Braze emulator and the
# BrazeSync server on free loopback ports, tracks a real profile + event
# through brazesync.v1.BrazeSync/Track, and shows the TrackResult and the
# exact JSON the emulator (standing in for Braze) received. Stops both after.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"

echo "==> Installing dependencies (Debian packages, npm tools)"
bash "$root/scripts/install_deps.sh"
echo "==> Building"
bash "$root/scripts/build.sh"

WORK_DIR="$(mktemp -d)"
source "$root/scripts/lib/processes.sh"
trap 'stop_started_processes; rm -rf "$WORK_DIR"' EXIT

# The emulator accepts this key; BrazeSync reads it from the environment only.
export BRAZE_API_KEY="quickstart-key"
start_emulator "$build/tests/emulator/braze_emulator"
echo "==> Braze emulator on http://127.0.0.1:$EMULATOR_PORT"
start_server "$build/server/brazesync_server"
echo "==> BrazeSync server on 127.0.0.1:$SERVER_PORT"

echo "==> Tracking a profile and a 'quote_requested' event (brazesync track ...)"
"$build/client/brazesync" track --target="127.0.0.1:$SERVER_PORT" \
  --external_id=user-42 --first_name=Ada --last_name=Lovelace --email=ada@example.com \
  --dob=1990-12-10 --home_city=London --country=GB \
  --attributes_json='{"os":{"string_value":"iOS"}}' \
  --event=quote_requested --event_properties='{"plan":"premium","amount":120}'

echo "==> What Braze (the emulator) received: POST /users/track"
curl -s "http://127.0.0.1:$EMULATOR_PORT/_emulator/requests" | /usr/bin/python3 -m json.tool
