#!/usr/bin/env bash
# Contextual-lookup benchmark (issue #14): 2,000 simulated conversations/s,
# each looking up one of 20,000 users (Zipf-skewed), against the Braze
# emulator at 250 exports/min with 50 ms export latency. The emulator is
# seeded with the 20,000 users; the bench warms up (the cache fills within
# the export budget), then measures. Prints the driver's line (answered
# within 50 ms, p50/p99, deferred) and the emulator's export record (calls,
# calls per lookup, 429s, the most calls in any minute window), and checks
# calls <= budget and 0 429s. docs/benchmarks.md records the results.
# Usage: bench/run_lookup_bench.sh   (env: BUILD_DIR, RATE, USERS, WARMUP_S, DURATION_S,
#                                     EXPORTS_PER_MIN, EXPORT_LATENCY_MS, CACHE_TTL_MS,
#                                     MAX_WAIT_MS: the lookups' latency budget, 45)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
rate="${RATE:-2000}"
users="${USERS:-20000}"
warmup="${WARMUP_S:-120}"
duration="${DURATION_S:-60}"
exports_per_min="${EXPORTS_PER_MIN:-250}"
export_latency="${EXPORT_LATENCY_MS:-50}"
cache_ttl="${CACHE_TTL_MS:-300000}"
max_wait="${MAX_WAIT_MS:-45}"
WORK_DIR="$(mktemp -d)"
source "$root/scripts/lib/processes.sh"
trap 'stop_started_processes; rm -rf "$WORK_DIR"' EXIT
export BRAZE_API_KEY="bench-key"

start_emulator "$build/tests/emulator/braze_emulator" --record_limit=0 --seed_users="$users" \
  --export_rate_limit_requests="$exports_per_min" --export_latency_ms="$export_latency"
cat > "$WORK_DIR/config.textproto" <<CONFIG
listen: "127.0.0.1:0"
workspaces {
  name: "bench"
  endpoint: "http://127.0.0.1:$EMULATOR_PORT"
  api_key_env: "BRAZE_API_KEY"
  lookup {
    export_requests_per_minute: $exports_per_min
    cache_ttl_ms: $cache_ttl
    pack_window_ms: 10
  }
}
CONFIG
"$build/server/brazesync_server" --config="$WORK_DIR/config.textproto" \
  --port_file="$WORK_DIR/server.port" >"$WORK_DIR/server.log" 2>&1 &
BRAZESYNC_PIDS+=($!)
SERVER_PORT="$(wait_for_port_file "$WORK_DIR/server.port" "$!")"

echo "lookup bench: rate=${rate}/s users=$users warmup=${warmup}s measured=${duration}s" \
  "exports=${exports_per_min}/min export_latency=${export_latency}ms cache_ttl=${cache_ttl}ms" \
  "max_wait=${max_wait}ms" \
  "cpus=$(nproc)"
"$build/bench/brazesync_lookup_bench" --target="127.0.0.1:$SERVER_PORT" --rate="$rate" \
  --users="$users" --warmup_s="$warmup" --duration_s="$duration" --max_wait_ms="$max_wait" \
  | tee "$WORK_DIR/bench.txt"
curl -s "http://127.0.0.1:$EMULATOR_PORT/_emulator/stats" > "$WORK_DIR/stats.json"
/usr/bin/python3 - "$WORK_DIR/stats.json" "$WORK_DIR/bench.txt" "$exports_per_min" \
  "$((warmup + duration))" "$rate" <<'PY'
import json, math, re, sys
stats = json.load(open(sys.argv[1]))
bench = dict(re.findall(r"(\w+)=([\d.]+)", open(sys.argv[2]).read()))
per_min, seconds, rate = int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
exports = stats.get("export", stats)
calls = exports.get("export_requests", 0)
limited = exports.get("export_rate_limited", 0)
injected = exports.get("export_injected_429", 0)
peak = exports.get("export_max_window_requests", 0)
budget = math.ceil(seconds / 60) * per_min
lookups = rate * seconds
print(f"  emulator: export_calls={calls} budget_for_run={budget} peak_per_window={peak} "
      f"limiter_429s={limited} injected_429s={injected} identifiers={exports.get('export_identifiers')} "
      f"calls_per_lookup={calls / lookups:.5f}")
ok = peak <= per_min and limited == 0 and float(bench.get("answered", 0)) >= 99.0
print("  verdict:", "ok" if ok else "MISSED (see above)")
PY
