#!/usr/bin/env bash
# Cluster-mode benchmark (docs/cluster.md, docs/benchmarks.md "Cluster mode").
# Two parts, one printed line per run (plus an accounting line):
#
#  accept   Async acceptance into the durable outbox, one server, SQLite
#           (--data_dir) vs the PostgreSQL store (--store, a throwaway cluster
#           from tests/lib/postgres.sh, fsync ON by default). Per run: events/s
#           accepted, server CPU µs/event (loadgen, /proc/PID/stat), PostgreSQL
#           CPU µs/event (utime+stime of the postmaster, its live backends and
#           its reaped children, before/after the measured interval), WAL bytes
#           per event; then the outbox is drained and the emulator's record is
#           compared with what was acknowledged (lost / duplicated).
#  budget   The Braze limit set low (emulator and servers: BUDGET_REQUESTS per
#           BUDGET_WINDOW_MS, the servers' value being the TOTAL), async load far
#           above it: 1 replica vs 3 replicas sharing the budget, plus a control
#           run of 3 replicas with --rate_budget=local. Per run, over the measured
#           interval: delivered events/s, Braze requests/s vs the limit (share of
#           the budget used), the emulator's own limiter's 429s, leases/s; then
#           drain and accounting.
#
# Usage: bench/run_cluster_bench.sh [accept|budget|all]
# Environment:
#   BUILD_DIR        build tree with server/, tests/emulator/, bench/ (default: ./build)
#   DURATION_S       measured seconds per run (default 12)
#   CALLERS          accept runs: closed-loop callers / outstanding requests (default 1024)
#   LATENCY_MS       emulator latency (default 50)
#   PG_FSYNC         on|off: fsync of the benchmark's PostgreSQL (default on;
#                    synchronous_commit stays on, full_page_writes follows fsync)
#   BUDGET_REQUESTS, BUDGET_WINDOW_MS   the Braze limit of the budget runs (default 60 per 1000)
#   BUDGET_CALLERS   budget runs: unary async callers (default 512)
#   BUDGET_RATE      budget runs: calls/s offered (default 3 x the budget's ceiling of
#                    BUDGET_REQUESTS x 75 events per window)
#   DRAIN_S          how long to wait for an outbox to drain (default 180)
#   ONLY=REGEX       run only the runs whose label matches (e.g. ONLY=budget_1_shared)
#   PG_SAMPLE=1      also sample pg_stat_activity during each PostgreSQL run
#   KEEP_WORK_DIR=1  keep the work directory (the last run's logs)
# Needs the PostgreSQL server binaries (scripts/install_deps.sh), python3, sqlite3, curl.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
duration="${DURATION_S:-12}"
callers="${CALLERS:-1024}"
latency="${LATENCY_MS:-50}"
pg_fsync="${PG_FSYNC:-on}"
budget_requests="${BUDGET_REQUESTS:-60}"
budget_window_ms="${BUDGET_WINDOW_MS:-1000}"
budget_callers="${BUDGET_CALLERS:-512}"
budget_rate="${BUDGET_RATE:-$(( 3 * budget_requests * 75 * 1000 / budget_window_ms ))}"
drain_s="${DRAIN_S:-180}"
warmup_s=3

server_bin="$build/server/brazesync_server"
emulator_bin="$build/tests/emulator/braze_emulator"
loadgen_bin="$build/bench/brazesync_loadgen"
for b in "$server_bin" "$emulator_bin" "$loadgen_bin"; do
  [ -x "$b" ] || { echo "missing $b (set BUILD_DIR)" >&2; exit 1; }
done

WORK_DIR="$(mktemp -d "${TMPDIR:-/tmp}/brazesync-cbench.XXXXXX")"
source "$root/scripts/lib/processes.sh"
source "$root/tests/lib/postgres.sh"
pg_available || { echo "PostgreSQL server binaries not found" >&2; exit 1; }
PG_DIR=""
export BRAZE_API_KEY="bench-key"
clk_tck="$(getconf CLK_TCK)"

# The benchmark's PostgreSQL: as tests/lib/postgres.sh, but fsync per PG_FSYNC
# (pg_start calls pg_restart, so overriding it here is enough).
pg_restart() {
  local fpw="$pg_fsync"
  pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 start \
    -o "-c listen_addresses='' -c unix_socket_directories='$PG_SOCKET_DIR' -c port=$PG_PORT \
        -c fsync=$pg_fsync -c full_page_writes=$fpw -c synchronous_commit=on \
        -c max_wal_size=1GB -c checkpoint_timeout=5min \
        -c shared_buffers=256MB -c max_connections=200" >/dev/null \
    || { cat "$PG_DIR/server.log" >&2; return 1; }
}

cleanup() {
  local rc=$?
  if [ "$rc" -ne 0 ]; then
    for log in "$WORK_DIR"/emulator.log "$WORK_DIR"/r*/server.log; do
      [ -f "$log" ] && { echo "--- tail of $log"; tail -n 15 "$log"; }
    done
  fi
  stop_started_processes
  if [ -n "$PG_DIR" ]; then pg_remove; fi
  if [ "${KEEP_WORK_DIR:-0}" = 1 ]; then echo "work dir kept: $WORK_DIR"; else rm -rf "$WORK_DIR"; fi
}
trap cleanup EXIT

# CPU ticks (utime+stime) of one process; 0 if it is gone.
proc_ticks() {
  { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null || echo; } | awk '{print ($12+$13)+0}'
}
# CPU ticks of the PostgreSQL cluster: the postmaster (with its reaped
# children's times, so backends that ended count too) plus its live children.
pg_ticks() {
  local pm total c
  pm="$(head -1 "$PG_DIR/data/postmaster.pid")"
  total="$(sed 's/.*) //' "/proc/$pm/stat" | awk '{print $12+$13+$14+$15}')"
  for c in $(pgrep -P "$pm"); do total=$(( total + $(proc_ticks "$c") )); done
  echo "$total"
}
pids_ticks() { local t=0 p; for p in "$@"; do t=$(( t + $(proc_ticks "$p") )); done; echo "$t"; }
pg_wal_lsn() { pg_psql "SELECT pg_current_wal_lsn()"; }
pg_wal_bytes() { pg_psql "SELECT pg_wal_lsn_diff('$2', '$1')::bigint"; }
pg_leases() {
  pg_psql "SELECT coalesce(sum(n_tup_upd + n_tup_ins), 0) FROM pg_stat_user_tables WHERE relname = 'bs_rate_budget'"
}
# PG_SAMPLE=1: sample pg_stat_activity every 0.2 s during the measured interval
# and print what the brazesync sessions were doing (state, wait event, query).
pg_sampler_start() {
  [ "${PG_SAMPLE:-0}" = 1 ] || return 0
  ( while :; do
      pg_psql "SELECT state || ' | ' || coalesce(wait_event_type || ':' || wait_event, 'cpu') \
        || ' | ' || regexp_replace(left(query, 70), '\s+', ' ', 'g') FROM pg_stat_activity \
        WHERE datname = 'brazesync' AND pid <> pg_backend_pid() AND state <> 'idle'" 2>/dev/null
      sleep 0.2
    done ) >"$WORK_DIR/pg_samples.txt" &
  PG_SAMPLER=$!
}
pg_sampler_stop() {
  [ "${PG_SAMPLE:-0}" = 1 ] || return 0
  kill "$PG_SAMPLER" 2>/dev/null || true; wait "$PG_SAMPLER" 2>/dev/null || true
  echo "  pg_stat_activity samples (non-idle brazesync sessions, count | state | wait | query):"
  sort "$WORK_DIR/pg_samples.txt" | uniq -c | sort -rn | head -8 | sed 's/^/    /'
}
emu_stats() { curl -sf "http://127.0.0.1:$EMULATOR_PORT/_emulator/stats"; }
now_ms() { date +%s%3N; }

REPLICA_PIDS=()
REPLICA_TARGETS=""
# start_replicas N FLAGS...  (each in its own directory, port 0, port file)
start_replicas() {
  local n="$1" i dir port
  shift
  REPLICA_PIDS=(); REPLICA_TARGETS=""
  for i in $(seq 1 "$n"); do
    dir="$WORK_DIR/r$i"; rm -rf "$dir"; mkdir -p "$dir"
    (cd "$dir" && exec "$server_bin" --listen=127.0.0.1:0 --port_file="$dir/server.port" \
      --braze_endpoint="http://127.0.0.1:$EMULATOR_PORT" --replica_name="r$i" "$@" \
      >"$dir/server.log" 2>&1) &
    REPLICA_PIDS+=($!); BRAZESYNC_PIDS+=($!)
    port="$(wait_for_port_file "$dir/server.port" "$!")"
    REPLICA_TARGETS="${REPLICA_TARGETS:+$REPLICA_TARGETS,}127.0.0.1:$port"
  done
}

# wait_drained STORE(sqlite|pg)  -> prints the items left (0 = drained) and
# the seconds it waited after the load ended
wait_drained() {
  local left start="$(now_ms)" deadline=$(( $(now_ms) + drain_s * 1000 ))
  while :; do
    if [ "$1" = sqlite ]; then
      left="$(sqlite3 "file:$WORK_DIR/data/outbox.sqlite3?mode=ro" \
        "SELECT count(*) FROM outbox" 2>/dev/null || echo '?')"
    else
      left="$(pg_psql "SELECT count(*) FROM bs_outbox" 2>/dev/null || echo '?')"
    fi
    if [ "$left" = 0 ] || [ "$(now_ms)" -ge "$deadline" ]; then
      echo "$left $(( ($(now_ms) - start) / 1000 ))"; return
    fi
    sleep 0.5
  done
}

# Compares the emulator's record with what the load generator acknowledged.
# accounting LABEL LOADGEN_OUT LEFT_IN_OUTBOX
accounting() {
  curl -sf "http://127.0.0.1:$EMULATOR_PORT/_emulator/accepted" >"$WORK_DIR/accepted.json"
  /usr/bin/python3 - "$WORK_DIR/accepted.json" "$2" "$1" "$3" <<'PY'
import collections, json, re, sys
events = json.load(open(sys.argv[1]))["events"]
run = dict(re.findall(r"(total_sent|all_ok|all_failed)=(\d+)", open(sys.argv[2]).read()))
label, (left, drain_s) = sys.argv[3], sys.argv[4].split()
seqs = collections.Counter(e.get("properties", {}).get("seq") for e in events)
seqs.pop(None, None)
mine = {s: n for s, n in seqs.items() if s.startswith(label + "-")}
dups = sum(n - 1 for n in mine.values() if n > 1)
sent, ok, failed = (int(run.get(k, 0)) for k in ("total_sent", "all_ok", "all_failed"))
missing = ok - len(mine)
# Every acknowledged event delivered once; events of failed calls may or may
# not have been committed (then delivered once too).
verdict = "ok" if dups == 0 and left == "0" and len(mine) >= ok and len(mine) <= sent else "FAILED"
print(f"  accounting {label}: sent={sent} acked={ok} failed_calls={failed} "
      f"delivered_unique={len(mine)} duplicates={dups} acked_minus_delivered={max(missing, 0)} "
      f"left_in_outbox={left} drain_s={drain_s}: {verdict}", flush=True)
PY
}

# ---- part 1: acceptance, SQLite vs PostgreSQL, one server -------------------
# accept_run LABEL STORE(sqlite|pg) MODE [EXTRA_SERVER_FLAGS]
accept_run() {
  [[ "$1" =~ ${ONLY:-.} ]] || return 0
  local label="$1" store="$2" mode="$3" extra="${4:-}" store_flags pg0=0 pg1=0 wal0="" wal1="" out
  stop_started_processes; BRAZESYNC_PIDS=(); rm -f "$WORK_DIR"/*.port
  if [ -n "$PG_DIR" ]; then pg_remove; PG_DIR=""; fi
  rm -rf "$WORK_DIR/data"; mkdir -p "$WORK_DIR/data"
  if [ "$store" = pg ]; then
    pg_start >/dev/null
    store_flags="--store=$PG_DSN"
  else
    store_flags="--data_dir=$WORK_DIR/data"
  fi
  start_emulator "$emulator_bin" --latency_ms="$latency" --record_limit=0 --profile_store=false
  # shellcheck disable=SC2086
  start_replicas 1 "$store_flags" $extra
  out="$WORK_DIR/$label.loadgen.txt"
  "$loadgen_bin" --target="$REPLICA_TARGETS" --mode="$mode" --async --callers="$callers" \
    --warmup_s="$warmup_s" --duration_s="$duration" --server_pid="${REPLICA_PIDS[0]}" \
    --seq_prefix="$label-" --label="$label" >"$out" 2>&1 &
  local lg=$!
  sleep "$warmup_s"
  if [ "$store" = pg ]; then pg0="$(pg_ticks)"; wal0="$(pg_wal_lsn)"; pg_sampler_start; fi
  sleep "$duration"
  if [ "$store" = pg ]; then pg1="$(pg_ticks)"; wal1="$(pg_wal_lsn)"; pg_sampler_stop; fi
  wait "$lg" || { cat "$out"; echo "loadgen failed" >&2; return 1; }
  local accepted pg_line="postgres_cpu_us_per_event=n/a wal_bytes_per_event=n/a"
  accepted="$(sed -n 's/.* delivered=\([0-9]*\) .*/\1/p' "$out" | head -1)"
  if [ "$store" = pg ] && [ "${accepted:-0}" -gt 0 ]; then
    pg_line="$(awk -v t="$(( pg1 - pg0 ))" -v hz="$clk_tck" -v n="$accepted" \
      -v w="$(pg_wal_bytes "$wal0" "$wal1")" \
      'BEGIN{printf "postgres_cpu_us_per_event=%.1f postgres_cpu_cores=%.2f wal_bytes_per_event=%.0f", t*1e6/hz/n, t/hz/'"$duration"', w/n}')"
    pg_line="$pg_line connections=$(pg_psql "SELECT count(*) FROM pg_stat_activity WHERE datname = 'brazesync' AND pid <> pg_backend_pid()")"
  fi
  echo "$(head -1 "$out") $pg_line"
  sed -n '2,$p' "$out"
  accounting "$label" "$out" "$(wait_drained "$store")"
}

# ---- part 2: the shared Braze budget, 1 vs 3 replicas ----------------------
# budget_run LABEL REPLICAS RATE_BUDGET(shared|local|sqlite)
# (sqlite: one single-node server with --data_dir, the local token bucket: the
# reference for how much of the limit one node's governor uses)
budget_run() {
  [[ "$1" =~ ${ONLY:-.} ]] || return 0
  local label="$1" n="$2" rb="$3" out s0 s1 t0 t1 c0 c1 p0=0 p1=0 l0=0 l1=0 conns=0 store=pg
  stop_started_processes; BRAZESYNC_PIDS=(); rm -f "$WORK_DIR"/*.port
  if [ -n "$PG_DIR" ]; then pg_remove; PG_DIR=""; fi
  start_emulator "$emulator_bin" --latency_ms="$latency" --record_limit=0 --profile_store=false \
    --rate_limit_requests="$budget_requests" --rate_limit_window_ms="$budget_window_ms"
  if [ "$rb" = sqlite ]; then
    store=sqlite; rm -rf "$WORK_DIR/data"; mkdir -p "$WORK_DIR/data"
    start_replicas "$n" --data_dir="$WORK_DIR/data" \
      --rate_limit_requests="$budget_requests" --rate_limit_window_ms="$budget_window_ms"
  else
    pg_start >/dev/null
    start_replicas "$n" --store="$PG_DSN" --rate_budget="$rb" \
      --rate_limit_requests="$budget_requests" --rate_limit_window_ms="$budget_window_ms"
  fi
  out="$WORK_DIR/$label.loadgen.txt"
  "$loadgen_bin" --target="$REPLICA_TARGETS" --mode=unary --async --callers="$budget_callers" \
    --rate="$budget_rate" --warmup_s="$warmup_s" --duration_s="$duration" \
    --seq_prefix="$label-" --label="$label" >"$out" 2>&1 &
  local lg=$!
  sleep "$warmup_s"
  s0="$(emu_stats)"; t0="$(now_ms)"; c0="$(pids_ticks "${REPLICA_PIDS[@]}")"
  if [ "$store" = pg ]; then p0="$(pg_ticks)"; l0="$(pg_leases)"; pg_sampler_start; fi
  sleep "$duration"
  s1="$(emu_stats)"; t1="$(now_ms)"; c1="$(pids_ticks "${REPLICA_PIDS[@]}")"
  if [ "$store" = pg ]; then
    pg_sampler_stop
    p1="$(pg_ticks)"; l1="$(pg_leases)"
    conns="$(pg_psql "SELECT count(*) FROM pg_stat_activity WHERE datname = 'brazesync' AND pid <> pg_backend_pid()")"
  fi
  wait "$lg" || { cat "$out"; echo "loadgen failed" >&2; return 1; }
  /usr/bin/python3 - "$label" "$n" "$rb" "$s0" "$s1" "$t0" "$t1" "$budget_requests" \
    "$budget_window_ms" "$(( c1 - c0 ))" "$(( p1 - p0 ))" "$clk_tck" "$(( l1 - l0 ))" "$conns" \
    "$(sed -n 's/.*events\/s=\([0-9]*\) .*/\1/p' "$out" | head -1)" <<'PY'
import json, sys
label, n, rb = sys.argv[1:4]
s0, s1 = json.loads(sys.argv[4]), json.loads(sys.argv[5])
secs = (int(sys.argv[7]) - int(sys.argv[6])) / 1000
limit, window_ms = int(sys.argv[8]), int(sys.argv[9])
srv_ticks, pg_ticks, hz = int(sys.argv[10]), int(sys.argv[11]), int(sys.argv[12])
leases, conns, accepted = int(sys.argv[13]), int(sys.argv[14]), sys.argv[15]
d = lambda k: s1.get(k, 0) - s0.get(k, 0)
req, limited, ev = d("requests"), d("rate_limited"), d("events_accepted")
budget_per_s = limit * 1000 / window_ms
admitted = req - limited
print(f"{label}: replicas={n} rate_budget={rb} accepted_events/s={accepted} "
      f"delivered_events/s={ev/secs:.0f} braze_requests/s={req/secs:.1f} "
      f"admitted_requests/s={admitted/secs:.1f} limit/s={budget_per_s:.1f} "
      f"budget_used={100*admitted/secs/budget_per_s:.1f}% limiter_429={limited} "
      f"({100*limited/max(req,1):.2f}% of requests) items_per_request={ev/max(admitted,1):.1f} "
      f"max_window_requests={s1.get('max_window_requests')} leases/s={leases/secs:.1f} "
      f"server_cpu_cores={srv_ticks/hz/secs:.2f} postgres_cpu_cores={pg_ticks/hz/secs:.2f} "
      f"postgres_cpu_us_per_delivered_event={pg_ticks*1e6/hz/max(ev,1):.1f} "
      f"pg_connections={conns} over {secs:.1f}s", flush=True)
PY
  sed -n '1,$p' "$out" | sed 's/^/  loadgen: /'
  accounting "$label" "$out" "$(wait_drained "$store")"
}

echo "# $(date -u +%FT%TZ) commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo ?) \
build=$build duration=${duration}s callers=$callers latency=${latency}ms pg_fsync=$pg_fsync \
budget=${budget_requests}/${budget_window_ms}ms budget_rate=${budget_rate}/s $(nproc) cpus"
case "${1:-all}" in
  accept|all)
    accept_run sqlite_stream sqlite stream
    accept_run pg_stream pg stream
    accept_run sqlite_unary sqlite unary
    accept_run pg_unary pg unary ;;&
  budget|all)
    budget_run budget_1_sqlite 1 sqlite
    budget_run budget_1_shared 1 shared
    budget_run budget_3_shared 3 shared
    budget_run budget_3_local 3 local ;;
esac
