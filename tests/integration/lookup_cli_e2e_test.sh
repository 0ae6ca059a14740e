#!/usr/bin/env bash
# End-to-end: `brazesync lookup` (BrazeLookup.LookupUsers) through a live
# server and the Braze emulator, on a server that checks callers:
#   - read-your-writes: a user tracked with the CLI a moment ago is FOUND
#     with the tracked first_name and custom attribute `tier`; an unknown
#     external id (in the same call, given as a second --external_id) is
#     NOT_FOUND; the response is printed as proto3 JSON (proto field names);
#   - --external_id as a comma list and repeated, --alias repeated: one
#     result per identifier, in request order;
#   - an rpc error (no identifier, a negative --max_wait_ms) exits 1 naming
#     the field; bad usage (--alias without ':', unknown --cache_policy)
#     exits 2 without calling;
#   - the token comes from $BRAZESYNC_TOKEN or $BRAZESYNC_TOKEN_FILE: none is
#     UNAUTHENTICATED, a track-only caller is PERMISSION_DENIED, a caller
#     with the lookup role is answered.
# Usage: lookup_cli_e2e_test.sh CLI_BIN SERVER_BIN EMULATOR_BIN
set -euo pipefail
cli="$1" server="$2" emulator="$3"
WORK_DIR="$(mktemp -d)"
here="$(dirname "$0")"
source "$here/../../scripts/lib/processes.sh"
source "$here/../lib/expect.sh"
trap 'stop_started_processes; rm -rf "$WORK_DIR"' EXIT

export BRAZE_API_KEY="lookup-cli-key"
# Braze's export lags (here ten minutes): the tracked user is found only
# through BrazeSync's read-your-writes overlay.
start_emulator "$emulator" --export_lag_ms=600000

reader_token="reader-$RANDOM$RANDOM"
writer_token="writer-$RANDOM$RANDOM"
{
  emulator_workspace_config
  caller_config bot "$reader_token" lookup_workspaces
  caller_config writer "$writer_token"
} >"$WORK_DIR/config.textproto"
start_server "$server" --config="$WORK_DIR/config.textproto"

brazesync() { "$cli" --target="127.0.0.1:$SERVER_PORT" "$@"; }
# Runs the CLI; its exit code goes to $code, stdout to $out, stderr to $err.
user="cli-lookup-$RANDOM$RANDOM"
nobody="cli-nobody-$RANDOM$RANDOM"

export BRAZESYNC_TOKEN="$reader_token"
run track --external_id="$user" --first_name=Ada --attributes_json='{"tier":{"string_value":"gold"}}'
expect_code 0 "track the user"

run lookup --external_id="$user" --external_id "$nobody" --fields=first_name,custom_attributes \
  --max_wait_ms=5000 --max_stale_ms=3600000
expect_code 0 "lookup of a tracked and an unknown user"
if /usr/bin/python3 - "$out" "$user" <<'PY'
import json, sys
response, user = json.loads(sys.argv[1]), sys.argv[2]
results = response["results"]
assert [(r["field"], r["index"]) for r in results] == [("external_ids", 0), ("external_ids", 1)], results
found, missing = results
assert found["outcome"] == "LOOKUP_OUTCOME_FOUND", response
assert missing["outcome"] == "LOOKUP_OUTCOME_NOT_FOUND", response
assert missing["user_indexes"] == [], missing
exported = response["users"][found["user_indexes"][0]]
assert exported["external_id"] == user, exported
assert exported["first_name"] == "Ada", exported
assert exported["custom_attributes"]["tier"] == "gold", exported
assert found["pending_own_write"] is True, found
print("ok: read-your-writes: FOUND with first_name and tier; the unknown id NOT_FOUND")
PY
then :; else failures=$((failures + 1)); echo "FAIL: lookup answer: $out"; fi

run lookup --external_id="$nobody,$user" --external_id="$nobody-2" --alias=crm:"$nobody" \
  --alias crm:"$nobody:with:colons" --max_wait_ms=5000
expect_code 0 "lookup by comma list, repeated flags and aliases"
if /usr/bin/python3 - "$out" "$nobody" <<'PY'
import json, sys
response, nobody = json.loads(sys.argv[1]), sys.argv[2]
got = [(r["field"], r["index"], r["outcome"]) for r in response["results"]]
assert got == [("external_ids", 0, "LOOKUP_OUTCOME_NOT_FOUND"),
               ("external_ids", 1, "LOOKUP_OUTCOME_FOUND"),
               ("external_ids", 2, "LOOKUP_OUTCOME_NOT_FOUND"),
               ("user_aliases", 0, "LOOKUP_OUTCOME_NOT_FOUND"),
               ("user_aliases", 1, "LOOKUP_OUTCOME_NOT_FOUND")], got
print("ok: one result per identifier, in request order")
PY
then :; else failures=$((failures + 1)); echo "FAIL: identifiers: $out"; fi

run lookup --max_wait_ms=300
expect_code 1 "lookup without an identifier is an rpc error"
expect_contains "$err" "INVALID_ARGUMENT" "no identifier: INVALID_ARGUMENT"
run lookup --external_id="$user" --max_wait_ms=-5
expect_code 1 "negative --max_wait_ms is an rpc error"
expect_contains "$err" "max_wait" "the violation names max_wait"
run lookup --alias=no-colon
expect_code 2 "--alias without ':' is bad usage"
run lookup --external_id="$user" --cache_policy=sometimes
expect_code 2 "an unknown --cache_policy is bad usage"
run lookup --external_id="$user" --cache_policy=cache_only --max_stale_ms=3600000
expect_code 0 "cache_only answers from the cache"
expect_contains "$out" '"outcome": "LOOKUP_OUTCOME_' "cache_only prints a result"

# Tokens: never a flag; the lookup role is required.
unset BRAZESYNC_TOKEN
run lookup --external_id="$user"
expect_code 1 "no token"
expect_contains "$err" "UNAUTHENTICATED" "no token: UNAUTHENTICATED"
BRAZESYNC_TOKEN="$writer_token" run lookup --external_id="$user"
expect_code 1 "a track-only caller"
expect_contains "$err" "PERMISSION_DENIED" "track-only caller: PERMISSION_DENIED"
printf '%s\n' "$reader_token" >"$WORK_DIR/token"
chmod 600 "$WORK_DIR/token"
BRAZESYNC_TOKEN_FILE="$WORK_DIR/token" run lookup --external_id="$user" --max_wait_ms=5000
expect_code 0 "the lookup caller's token from BRAZESYNC_TOKEN_FILE"
expect_contains "$out" '"LOOKUP_OUTCOME_FOUND"' "token file: FOUND"

if [ "$failures" -ne 0 ]; then echo "$failures check(s) failed"; exit 1; fi
echo "all lookup CLI checks passed"
