#!/usr/bin/env bash
# End-to-end: the `brazesync` CLI's operator commands against a live server
# with a data directory, as docs/durability.md shows them:
#   - `status` of an async event: dead-lettered, then queued again by a
#     replay, then delivered; NOT_FOUND for an unknown id; bad usage.
#   - `dead-letters list` with two ~2.7 MB letters among small ones (together
#     over gRPC's default 4 MiB receive limit, which the CLI keeps for list):
#     every letter is listed, following the server's pages, the large ones
#     without their Braze JSON and named on stderr; also with --page_size=1.
#   - `dead-letters show` of a large letter: whole. NOT_FOUND for an unknown id.
#   - `dead-letters replay` and `purge`, and their usage errors.
# Dead letters are made by a Braze (the emulator) that refuses the server's
# API key: 401 is a permanent failure, so each item is dead-lettered at its
# first attempt. The server is then restarted on the same data directory
# with the right key, and the replayed event is delivered.
# Readiness and progress are awaited by polling with a bound (port files,
# CLI answers); nothing sleeps as synchronisation.
# Usage: admin_cli_e2e_test.sh CLI_BIN SERVER_BIN EMULATOR_BIN
set -euo pipefail
cli="$1" server="$2" emulator="$3"
WORK_DIR="$(mktemp -d)"
here="$(dirname "$0")"
source "$here/../../scripts/lib/processes.sh"
source "$here/../lib/expect.sh"
trap 'stop_started_processes; rm -rf "$WORK_DIR"' EXIT
data="$WORK_DIR/data"
mkdir -p "$data"

brazesync() { "$cli" --target="127.0.0.1:$SERVER_PORT" "$@"; }

# Reads a value from JSON on stdin with a Python expression over `j`.
json() { /usr/bin/python3 -c "import json, sys; j = json.load(sys.stdin); print($1)"; }

# wait_until WHAT COMMAND...: polls COMMAND until it succeeds (at most 30 s).
wait_until() {
  local what="$1"; shift
  for _ in $(seq 1 600); do
    if "$@"; then echo "ok: $what"; return 0; fi
    sleep 0.05
  done
  echo "FAIL: timed out waiting until $what"; exit 1
}
state_is() {  # ITEM_ID STATE
  [[ "$(brazesync status --item_id="$1" 2>/dev/null)" == *"\"state\": \"$2\""* ]]
}
dead_letter_count_is() {  # N
  [ "$(brazesync dead-letters list 2>/dev/null | json 'len(j["dead_letters"])')" = "$1" ]
}

export EMULATOR_KEY="the-right-key"
start_emulator "$emulator" --api_key_env=EMULATOR_KEY
export BRAZE_API_KEY="a-wrong-key"
start_server "$server" --data_dir="$data"

# --- Items Braze refuses become dead letters ---------------------------------
run track --async --external_id=u1 --event=order_paid --event_id=order-17
expect_contains "$out" '"outcome": "OUTCOME_ACCEPTED"' "async event accepted"
# Two profiles of ~2.7 MB of Braze JSON each: 32 nested attributes of ~84 KB
# (under the 100 KB cap per attribute).
for user in big-1 big-2; do
  /usr/bin/python3 - "$user" >"$WORK_DIR/$user.json" <<'PY'
import json, sys
blob = {f"k{i:03d}": "v" * 200 for i in range(400)}
profile = {"user": {"external_id": sys.argv[1]},
           "custom_attributes": {f"blob{a:02d}": {"object_value": blob} for a in range(32)}}
print(json.dumps({"attributes": [profile]}))
PY
  run track --async --file="$WORK_DIR/$user.json"
  expect_contains "$out" '"outcome": "OUTCOME_ACCEPTED"' "async $user accepted"
done
wait_until "order-17 is dead-lettered" state_is order-17 DELIVERY_STATE_DEAD_LETTERED
wait_until "all three items are dead letters" dead_letter_count_is 3

# --- status ---------------------------------------------------------------
run status --item_id=order-17
expect_contains "$out" '"state": "DELIVERY_STATE_DEAD_LETTERED"' "status shows the dead letter"
expect_contains "$out" '"reason": "permanent failure' "status shows why"
small_id="$(json 'j["dead_letter_id"]' <<<"$out")"
run status --item_id=never-sent
expect_contains "$code/$err" "1/brazesync: NOT_FOUND" "status of an unknown id is NOT_FOUND"
expect_contains "$err" 'item_id: "never-sent"' "the error names item_id"
run status
expect_contains "$code/$err" "2/brazesync: status: --item_id is required" "status needs --item_id"

# --- dead-letters list: every page, within the default receive limit --------
for page_size in 0 1; do
  run dead-letters list --page_size="$page_size"
  expect_contains "$code" "0" "list --page_size=$page_size succeeds"
  # Per letter (sorted: the three were dead-lettered in any order):
  # item_id:braze_json_omitted:over 2.5 MB:the event's JSON is there.
  summary="$(json '";".join(sorted(
      "%s:%s:%s:%s" % (d["item_id"], d["braze_json_omitted"], int(d["braze_json_bytes"]) > 2500000,
                       "order_paid" in d["braze_json"]) for d in j["dead_letters"]))' <<<"$out")"
  expect_contains "$summary" ":True:True:False;:True:True:False;order-17:False:False:True" \
    "list --page_size=$page_size: every letter, the large ones without their JSON"
  ids="$(json '[int(d["id"]) for d in j["dead_letters"]] == sorted(int(d["id"]) for d in j["dead_letters"])' <<<"$out")"
  expect_contains "$ids" "True" "list --page_size=$page_size: oldest first"
  expect_contains "$(json 'j["next_after_id"]' <<<"$out")" "0" "list followed every page"
done
big_ids=($(json '" ".join(d["id"] for d in j["dead_letters"] if d["braze_json_omitted"])' <<<"$out"))
expect_contains "$err" "see \`brazesync dead-letters show --id=${big_ids[0]}\`" \
  "list names the large letter to show"

# --- dead-letters show ------------------------------------------------------
set +e
brazesync dead-letters show --id="${big_ids[1]}" >"$WORK_DIR/show.json" 2>"$WORK_DIR/stderr"
code=$?
set -e
expect_contains "$code" "0" "show of a large letter succeeds"
shown="$(json '"%s:%s:%s" % (len(j["braze_json"]) > 2500000,
    len(j["braze_json"]) == int(j["braze_json_bytes"]),
    json.loads(j["braze_json"])["external_id"].startswith("big-"))' <"$WORK_DIR/show.json")"
expect_contains "$shown" "True:True:True" "show returns the large letter's whole Braze JSON"
run dead-letters show --id=999999
expect_contains "$code/$err" "1/brazesync: NOT_FOUND: id: no dead letter 999999" \
  "show of an unknown id is NOT_FOUND"

# --- replay, after a restart with the right key -------------------------------
run dead-letters replay
expect_contains "$code/$err" "2/brazesync: dead-letters replay: give --ids=1,2 or --all" \
  "replay needs --ids or --all"
server_pid="${BRAZESYNC_PIDS[-1]}"
kill "$server_pid"
wait "$server_pid" || true
export BRAZE_API_KEY="$EMULATOR_KEY"
rm -f "$WORK_DIR/server.port"  # start_server waits for a fresh one
start_server "$server" --data_dir="$data"
run dead-letters replay --ids="$small_id"
expect_contains "$out" '"replayed": 1' "replay moves the letter back to the outbox"
wait_until "the replayed order-17 is delivered" state_is order-17 DELIVERY_STATE_DELIVERED
accepted="$(curl -s "http://127.0.0.1:$EMULATOR_PORT/_emulator/accepted")"
expect_contains "$(json '[e["name"] for e in j["events"]]' <<<"$accepted")" "['order_paid']" \
  "Braze received the replayed event once"

# --- purge --------------------------------------------------------------------
run dead-letters purge --ids=1,x
expect_contains "$code/$err" '2/brazesync: dead-letters purge: --ids: "x" is not a dead-letter id' \
  "purge rejects a bad id"
run dead-letters purge --all
expect_contains "$out" '"purged": 2' "purge --all deletes the remaining letters"
run dead-letters list
expect_contains "$(json 'len(j["dead_letters"])' <<<"$out")" "0" "no dead letter is left"

[ "$failures" -eq 0 ] || { echo "$failures check(s) failed"; exit 1; }
echo "all admin CLI checks passed"
