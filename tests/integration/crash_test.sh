#!/usr/bin/env bash
# Crash test of durable asynchronous delivery: under load (async Track calls)
# with injected 5xx/429/latency at the Braze emulator, SIGKILL the server
# several times and restart it on the same data directory. Afterwards every
# acknowledged event must have reached the emulator exactly once, or be in the
# dead-letter store with a reason: nothing acknowledged is lost and nothing
# reaches Braze twice. (Events a kill caught mid-request are "in doubt": the
# restarted server dead-letters them rather than risk a duplicate, the
# default --in_doubt=dead_letter.) The dead letters are read with the
# `brazesync` CLI, as an operator would, not from the database.
# Usage: crash_test.sh SERVER_BIN EMULATOR_BIN LOADGEN_BIN CLI_BIN [KILLS]
set -euo pipefail
server="$1" emulator="$2" loadgen="$3" cli="$4" kills="${5:-3}"
WORK_DIR="$(mktemp -d)"
source "$(dirname "$0")/../../scripts/lib/processes.sh"
SERVER_PID=""
trap 'kill -9 $SERVER_PID 2>/dev/null; stop_started_processes; rm -rf "$WORK_DIR"' EXIT
export BRAZE_API_KEY="crash-key"
data="$WORK_DIR/data"
mkdir -p "$data"

start_emulator "$emulator" --latency_ms=20 --error_5xx_rate=0.10 --rate_429=0.05 \
  --retry_after_seconds=1 --record_limit=0
port="$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"

launch_server() {
  rm -f "$WORK_DIR/server.port"
  "$server" --listen="127.0.0.1:$port" --port_file="$WORK_DIR/server.port" \
    --braze_endpoint="http://127.0.0.1:$EMULATOR_PORT" --data_dir="$data" \
    --shutdown_grace_ms=5000 >>"$WORK_DIR/server.log" 2>&1 &
  SERVER_PID=$!
  wait_for_port_file "$WORK_DIR/server.port" "$SERVER_PID" >/dev/null
}

launch_server
"$loadgen" --target="127.0.0.1:$port" --async --callers=32 --channels=2 --measure_all --rate=400 \
  --warmup_s=0 --duration_s=$((kills * 3 + 3)) --timeout_ms=2000 \
  --ack_file="$WORK_DIR/acked.txt" --label=crash >"$WORK_DIR/loadgen.log" 2>&1 &
loadgen_pid=$!

acked_count() {
  if [ -f "$WORK_DIR/acked.txt" ]; then wc -l < "$WORK_DIR/acked.txt"; else echo 0; fi
}
for i in $(seq 1 "$kills"); do
  # Let the (restarted) server acknowledge more load before each kill: a
  # bounded wait on the acknowledgement count, not a fixed sleep.
  before="$(acked_count)"
  for _ in $(seq 1 200); do
    [ "$(acked_count)" -ge $(( before + 150 )) ] && break
    sleep 0.05
  done
  if [ "$(acked_count)" -lt $(( before + 150 )) ]; then
    echo "FAIL: the server acknowledged too little after restart $((i - 1))"; exit 1
  fi
  kill -9 "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
  echo "kill $i: SIGKILLed the server with $(acked_count) events acknowledged"
  launch_server
done
wait "$loadgen_pid"
cat "$WORK_DIR/loadgen.log"

# Drain: graceful stop is not needed; wait until the outbox is empty.
/usr/bin/python3 - "$data/outbox.sqlite3" <<'PY'
import sqlite3, sys, time
deadline = time.time() + 90
while True:
    db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True, timeout=5)
    queued = db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
    db.close()
    if queued == 0:
        break
    if time.time() > deadline:
        sys.exit(f"outbox still holds {queued} items after 90 s")
    time.sleep(0.2)
print("outbox drained")
PY

curl -s "http://127.0.0.1:$EMULATOR_PORT/_emulator/accepted" >"$WORK_DIR/accepted.json"
# Every dead letter (the CLI follows the pages).
"$cli" --target="127.0.0.1:$port" dead-letters list >"$WORK_DIR/dead_letters.json"
/usr/bin/python3 - "$WORK_DIR/acked.txt" "$WORK_DIR/accepted.json" "$WORK_DIR/dead_letters.json" <<'PY'
import collections, json, sys
acked = [line.strip() for line in open(sys.argv[1]) if line.strip()]
events = json.load(open(sys.argv[2]))["events"]
received = collections.Counter(e["properties"]["seq"] for e in events)
letters = json.load(open(sys.argv[3]))["dead_letters"]
dead = {letter["item_id"]: letter["reason"] for letter in letters}
in_doubt = [seq for seq, reason in dead.items() if reason.startswith("in doubt")]
lost = [seq for seq in acked if seq not in received and seq not in dead]
duplicated = [seq for seq, count in received.items() if count > 1]
print(f"acknowledged={len(acked)} delivered_unique={len(received)} dead_letters={len(dead)} "
      f"(in doubt at a kill: {len(in_doubt)}, of which Braze had "
      f"{sum(1 for seq in in_doubt if seq in received)}) duplicates={len(duplicated)} "
      f"lost={len(lost)}")
assert len(acked) > 0, "no event was acknowledged"
assert not lost, f"acknowledged events lost: {lost[:10]}"
assert all(reason for reason in dead.values()), "a dead letter has no reason"
assert not duplicated, f"events delivered more than once: {duplicated[:10]}"
print("crash test passed: every acknowledged event reached the emulator exactly once "
      "or is a dead letter with its reason")
PY
