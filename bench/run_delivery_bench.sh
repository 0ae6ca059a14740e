#!/usr/bin/env bash
# Delivery benchmark (issue: coalescing vs the per-call forwarder). Starts the
# Braze emulator with a configured latency and the BrazeSync server, drives it
# with brazesync_loadgen, then checks the emulator's record: every delivered
# event exactly once. Runs coalescing on, the per-call baseline (coalescing
# off), streaming, and coalescing under injected faults. Prints one line per
# run; docs/benchmarks.md records the results.
# Usage: bench/run_delivery_bench.sh [sync|async|all]   (env: BUILD_DIR, CALLERS, DURATION_S, LATENCY_MS)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
callers="${CALLERS:-1024}"
duration="${DURATION_S:-10}"
latency="${LATENCY_MS:-50}"
WORK_DIR="$(mktemp -d)"
source "$root/scripts/lib/processes.sh"
trap 'stop_started_processes; rm -rf "$WORK_DIR"' EXIT
export BRAZE_API_KEY="bench-key"

# run LABEL MODE EMULATOR_FLAGS SERVER_FLAGS [LOADGEN_FLAGS]
run() {
  local label="$1" mode="$2" emulator_flags="$3" server_flags="$4" loadgen_flags="${5:-}"
  stop_started_processes; BRAZESYNC_PIDS=(); rm -f "$WORK_DIR"/*.port
  # shellcheck disable=SC2086
  start_emulator "$build/tests/emulator/braze_emulator" --latency_ms="$latency" --record_limit=0 \
    --profile_store=false $emulator_flags
  # shellcheck disable=SC2086
  start_server "$build/server/brazesync_server" $server_flags
  local server_pid="${BRAZESYNC_PIDS[-1]}"
  "$build/bench/brazesync_loadgen" --target="127.0.0.1:$SERVER_PORT" --mode="$mode" \
    --callers="$callers" --duration_s="$duration" --server_pid="$server_pid" --label="$label" \
    $loadgen_flags | tee "$WORK_DIR/loadgen.txt"
  curl -s "http://127.0.0.1:$EMULATOR_PORT/_emulator/accepted" > "$WORK_DIR/accepted.json"
  curl -s "http://127.0.0.1:$EMULATOR_PORT/_emulator/stats" > "$WORK_DIR/stats.json"
  /usr/bin/python3 - "$WORK_DIR/accepted.json" "$WORK_DIR/stats.json" "$WORK_DIR/loadgen.txt" "$mode" "$loadgen_flags" <<'PY'
import collections, json, re, sys
events = json.load(open(sys.argv[1]))["events"]
stats = json.load(open(sys.argv[2]))
run = dict(re.findall(r"(total_sent|all_ok|all_failed)=(\d+)", open(sys.argv[3]).read()))
seqs = collections.Counter(e.get("properties", {}).get("seq") for e in events)
missing = seqs.pop(None, 0)
dups = sum(c - 1 for c in seqs.values() if c > 1)
requests = max(stats.get("requests", 0), 1)
print(f"  emulator: events={len(events)} unique={len(seqs)} duplicates={dups} missing_seq={missing} "
      f"braze_requests={stats.get('requests')} items_per_request={len(events)/requests:.1f} "
      f"batch_fill={100*len(events)/requests/75:.0f}% by_status={stats.get('by_status')}")
# Synchronous runs: every event sent is in the emulator's record exactly once,
# or its call was answered with an error (the whole run, drain included).
if "--async" not in sys.argv[5] and run:
    sent, ok, failed = (int(run[k]) for k in ("total_sent", "all_ok", "all_failed"))
    not_delivered = sent - len(seqs)
    verdict = "ok" if dups == 0 and len(seqs) >= ok and not_delivered <= failed else "FAILED"
    print(f"  accounting: sent={sent} answered_ok={ok} answered_error={failed} "
          f"in_emulator={len(seqs)} not_in_emulator={not_delivered}: {verdict}")
    if verdict != "ok":
        sys.exit("an event was lost or duplicated")
PY
}

case "${1:-all}" in
  sync|all)
    run coalescing unary "" ""
    run baseline unary "" "--coalesce=false --max_in_flight=1024"
    run streaming stream "" ""
    run coalescing_faults unary "--error_5xx_rate=0.10 --rate_429=0.05" "" ;;&
  async|all)
    # Acceptance into the durable outbox (delivery continues in the background).
    rm -rf "$WORK_DIR/data"; mkdir -p "$WORK_DIR/data"
    run async_unary unary "" "--data_dir=$WORK_DIR/data" "--async"
    rm -rf "$WORK_DIR/data"; mkdir -p "$WORK_DIR/data"
    run async_streaming stream "" "--data_dir=$WORK_DIR/data" "--async" ;;
esac
