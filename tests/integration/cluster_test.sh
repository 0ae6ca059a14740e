#!/usr/bin/env bash
# Cluster mode end to end (docs/cluster.md, "The cluster test"): three
# brazesync_server replicas share one PostgreSQL (its own throwaway one, which
# this test kills), one Braze emulator with a low global rate limit and
# injected faults (10 % 5xx, 5 % 429), and async load from 64 users spread
# round robin over the replicas. Under load:
#   - replica 2 is SIGKILLed and, ~10 s later, restarted with its working
#     directory deleted (a lost pod and disk: replicas are stateless);
#   - replica 3 is frozen (SIGSTOP) for 30 s, far beyond
#     --cluster_owner_idle_timeout_ms, then resumed (SIGCONT);
#   - PostgreSQL is SIGKILLed (postmaster and backends) and restarted ~2 s later.
# Then 500 acknowledged event_ids are re-sent, each to another replica than the
# one that acknowledged it, and every answer must be DUPLICATE; then the shared
# outbox must drain. Pass criteria (a table is printed; any failure exits 1):
#   - every acknowledged event reached the emulator exactly once, or is a dead
#     letter with a reason (an "in doubt" dead letter that also reached the
#     emulator once is fine); 0 duplicates at the emulator;
#   - per-user order: among acknowledged, delivered events (dead letters
#     excluded), each user's useq strictly increases in emulator arrival order;
#   - 429s from the emulator's own limiter <= 1 % of Braze requests (injected
#     429s do not count);
#   - calls made while PostgreSQL was down were answered UNAVAILABLE or
#     acknowledged (and then not lost);
#   - no other call errors than UNAVAILABLE / DEADLINE_EXCEEDED; every replica
#     is alive at the end.
# A short control run follows (CLUSTER_TEST_CONTROL=0 skips it): the same three
# replicas with --rate_budget=local, each spending the whole budget; its 429
# count is printed, not judged.
#
# Usage: cluster_test.sh SERVER_BIN EMULATOR_BIN LOADGEN_BIN
# Environment: KEEP_WORK_DIR=1 keeps the logs and files.
# Exit codes: 0 pass, 1 fail, 77 skip (no PostgreSQL server binaries).
set -euo pipefail
server="$1" emulator="$2" loadgen="$3"
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../lib/postgres.sh"

# --- preconditions ----------------------------------------------------------
# Cluster mode must be in the binary. Until it is, this test FAILS on purpose
# (it is wired before the server side is merged).
server_help="$("$server" --help 2>&1 || true)"
if ! grep -qE -- '--store([^_a-zA-Z0-9]|$)' <<<"$server_help"; then
  echo "FAIL: $server does not accept --store: cluster mode (PostgreSQL store) is not built" \
       "into this server yet, so the cluster test cannot run"
  exit 1
fi
if ! pg_available; then
  echo "SKIP: PostgreSQL server binaries not found (scripts/install_deps.sh installs them)"
  exit 77
fi

WORK_DIR="$(mktemp -d "${TMPDIR:-/tmp}/brazesync-cluster.XXXXXX")"
source "$here/../../scripts/lib/processes.sh"
export BRAZE_API_KEY="cluster-key"  # the emulator's and the replicas' key; never in flags
declare -A REPLICA_PID=() REPLICA_PORT=()
PG_DIR=""

cleanup() {
  local rc=$?
  for i in "${!REPLICA_PID[@]}"; do
    kill -CONT "${REPLICA_PID[$i]}" 2>/dev/null || true
    kill -9 "${REPLICA_PID[$i]}" 2>/dev/null || true
  done
  stop_started_processes
  [ -n "$PG_DIR" ] && pg_remove
  if [ "$rc" -ne 0 ]; then
    for log in "$WORK_DIR"/r*/server.log "$WORK_DIR/emulator.log" "$WORK_DIR/loadgen.log"; do
      [ -f "$log" ] && { echo "--- tail of $log"; tail -n 30 "$log"; }
    done
  fi
  if [ "${KEEP_WORK_DIR:-0}" = 1 ]; then echo "work dir kept: $WORK_DIR"; else rm -rf "$WORK_DIR"; fi
}
trap cleanup EXIT

fail() { echo "FAIL: $*"; exit 1; }
now_ms() { date +%s%3N; }
free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# --- PostgreSQL, emulator ---------------------------------------------------
# Its own PostgreSQL (not the ctest fixture's): this test kills and restarts it.
pg_start || fail "could not start PostgreSQL"
echo "PostgreSQL: $PG_DSN"

# The global Braze limit, low enough that the replicas' shared budget matters:
# 60 requests per 3 s (75 events each at most) for ~250 events/s of load.
BRAZE_LIMIT=60
BRAZE_WINDOW_MS=3000
start_emulator "$emulator" --rate_limit_requests=$BRAZE_LIMIT \
  --rate_limit_window_ms=$BRAZE_WINDOW_MS --latency_ms=20 --error_5xx_rate=0.10 --rate_429=0.05 \
  --retry_after_seconds=1 --record_limit=0 --profile_store=false
[ -n "$EMULATOR_PORT" ] || fail "the emulator did not start"

# --- replicas ---------------------------------------------------------------
# Replica i listens on a fixed port for the whole test (the load generator
# keeps its address across restarts) and runs in its own working directory,
# which holds nothing it needs: there is no --data_dir in cluster mode.
for i in 1 2 3; do REPLICA_PORT[$i]="$(free_port)"; done
TARGETS="127.0.0.1:${REPLICA_PORT[1]},127.0.0.1:${REPLICA_PORT[2]},127.0.0.1:${REPLICA_PORT[3]}"
RATE_BUDGET=shared

launch_replica() {
  local i="$1" dir="$WORK_DIR/r$1"
  mkdir -p "$dir"
  rm -f "$dir/server.port"
  # The DSN carries no password (trust auth on a private unix socket here; in
  # production PGPASSWORD/PGPASSFILE from a Secret, never the URI or a flag).
  (cd "$dir" && exec "$server" --listen="127.0.0.1:${REPLICA_PORT[$i]}" \
    --port_file="$dir/server.port" --braze_endpoint="http://127.0.0.1:$EMULATOR_PORT" \
    --store="$PG_DSN" --cluster_partitions=16 --cluster_owner_idle_timeout_ms=2000 \
    --replica_name="r$i" --rate_budget="$RATE_BUDGET" \
    --rate_limit_requests=$BRAZE_LIMIT --rate_limit_window_ms=$BRAZE_WINDOW_MS \
    --shutdown_grace_ms=5000 >>"$dir/server.log" 2>&1) &
  REPLICA_PID[$i]=$!
  wait_for_port_file "$dir/server.port" "${REPLICA_PID[$i]}" >/dev/null \
    || fail "replica $i did not start (see $dir/server.log)"
}

stop_replicas() {
  for i in 1 2 3; do
    kill -CONT "${REPLICA_PID[$i]}" 2>/dev/null || true
    kill -TERM "${REPLICA_PID[$i]}" 2>/dev/null || true
  done
  for i in 1 2 3; do wait "${REPLICA_PID[$i]}" 2>/dev/null || true; done
}

for i in 1 2 3; do launch_replica "$i"; done
echo "replicas: $TARGETS (emulator :$EMULATOR_PORT)"

# --- load -------------------------------------------------------------------
# 64 callers = 64 users, each user's calls sequential and round robin over the
# replicas; long enough to cover every fault below (checked afterwards).
LOAD_S="${CLUSTER_TEST_LOAD_S:-85}"
run_id="ct$$-$(now_ms)-"
"$loadgen" --target="$TARGETS" --async --callers=64 --users=64 --channels=1 --measure_all \
  --rate=250 --warmup_s=0 --duration_s="$LOAD_S" --timeout_ms=2000 --seq_prefix="$run_id" \
  --ack_file="$WORK_DIR/acked.txt" --ack_detail_file="$WORK_DIR/acked.tsv" \
  --error_file="$WORK_DIR/errors.tsv" --label=cluster >"$WORK_DIR/loadgen.log" 2>&1 &
loadgen_pid=$!

acked_count() { if [ -f "$WORK_DIR/acked.txt" ]; then wc -l <"$WORK_DIR/acked.txt"; else echo 0; fi; }

# Waits (bounded) until N more events are acknowledged: the system takes load.
await_acks() {
  local more="$1" what="$2" target deadline
  target=$(( $(acked_count) + more ))
  deadline=$(( $(now_ms) + 30000 ))
  while [ "$(acked_count)" -lt "$target" ]; do
    kill -0 "$loadgen_pid" 2>/dev/null || fail "the load generator ended before: $what"
    [ "$(now_ms)" -lt "$deadline" ] || fail "fewer than $more acknowledgements in 30 s: $what"
    sleep 0.1
  done
}

# A fault's duration (the scenario, not a synchronisation): keeps checking that
# the load generator and the replicas meant to be up are still running.
dwell() {
  local ms="$1" end
  shift
  end=$(( $(now_ms) + ms ))
  while [ "$(now_ms)" -lt "$end" ]; do
    kill -0 "$loadgen_pid" 2>/dev/null || fail "the load generator ended during a fault"
    for i in "$@"; do
      kill -0 "${REPLICA_PID[$i]}" 2>/dev/null || fail "replica $i died"
    done
    sleep 0.1
  done
}

events_log="$WORK_DIR/faults.txt"
note() { echo "$(now_ms) $*" | tee -a "$events_log"; }

await_acks 300 "the cluster before any fault"
note "SIGKILL replica 2 ($(acked_count) acknowledged)"
kill -9 "${REPLICA_PID[2]}"
wait "${REPLICA_PID[2]}" 2>/dev/null || true
dwell 10000 1 3
rm -rf "$WORK_DIR/r2"  # its disk is gone too
launch_replica 2
note "replica 2 restarted with an empty working directory"
await_acks 200 "after restarting replica 2"

note "SIGSTOP replica 3 ($(acked_count) acknowledged)"
kill -STOP "${REPLICA_PID[3]}"
dwell 30000 1 2
kill -CONT "${REPLICA_PID[3]}"
note "SIGCONT replica 3"
await_acks 200 "after resuming replica 3"

note "SIGKILL PostgreSQL ($(acked_count) acknowledged)"
pg_kill
pg_down_ms="$(now_ms)"
dwell 2000 1 2 3
pg_up_ms="$(now_ms)"
pg_restart || fail "PostgreSQL did not restart after its SIGKILL"
note "PostgreSQL restarted"
await_acks 200 "after PostgreSQL's restart"
faults_done_ms="$(now_ms)"

wait "$loadgen_pid" || fail "the load generator failed"
cat "$WORK_DIR/loadgen.log"
# Every fault must have happened under load.
last_ack_ms="$(awk -F'\t' 'BEGIN{m=0} $6>m{m=$6} END{print m}' "$WORK_DIR/acked.tsv")"
[ "$last_ack_ms" -gt "$faults_done_ms" ] \
  || fail "no acknowledgement after the last fault: the load ended too early (CLUSTER_TEST_LOAD_S)"

# --- cross-replica retries --------------------------------------------------
# Candidates: acknowledged events already delivered (state 2 in bs_item_ids).
# Delivered is final, so the answer must be DUPLICATE whichever replica asks;
# a queued id could still become a dead letter, which may be re-sent.
pg_psql "COPY (SELECT item_id FROM bs_item_ids WHERE state = 2) TO STDOUT" \
  >"$WORK_DIR/delivered_ids.txt" || fail "cannot read bs_item_ids"
awk -F'\t' 'NR==FNR{ok[$1]=1; next} ($1 in ok)' "$WORK_DIR/delivered_ids.txt" \
  "$WORK_DIR/acked.tsv" >"$WORK_DIR/resend_candidates.tsv"
RESEND=500
if ! "$loadgen" --target="$TARGETS" --async --resend_file="$WORK_DIR/resend_candidates.tsv" \
    --resend_count=$RESEND --resend_report="$WORK_DIR/resend.tsv" --timeout_ms=5000 \
    --label=resend >"$WORK_DIR/resend.log" 2>&1; then
  cat "$WORK_DIR/resend.log"
  resend_ok=0
else
  cat "$WORK_DIR/resend.log"
  resend_ok=1
fi

# --- drain ------------------------------------------------------------------
drain_deadline=$(( $(now_ms) + 150000 ))
while :; do
  queued="$(pg_psql "SELECT count(*) FROM bs_outbox" 2>/dev/null || echo "?")"
  [ "$queued" = 0 ] && break
  [ "$(now_ms)" -lt "$drain_deadline" ] || fail "bs_outbox still holds $queued items after 150 s"
  sleep 0.5
done
echo "outbox drained"

# --- evidence ---------------------------------------------------------------
curl -sf "http://127.0.0.1:$EMULATOR_PORT/_emulator/accepted" >"$WORK_DIR/accepted.json" \
  || fail "cannot read the emulator's accepted events"
curl -sf "http://127.0.0.1:$EMULATOR_PORT/_emulator/stats" >"$WORK_DIR/stats.json" \
  || fail "cannot read the emulator's stats"
pg_psql "COPY (SELECT item_id, reason FROM bs_dead_letters) TO STDOUT WITH CSV" \
  >"$WORK_DIR/dead_letters.csv" || fail "cannot read bs_dead_letters"
alive=""
for i in 1 2 3; do
  kill -0 "${REPLICA_PID[$i]}" 2>/dev/null && alive="$alive $i"
done
touch "$WORK_DIR/errors.tsv" "$WORK_DIR/resend.tsv"

/usr/bin/python3 - "$WORK_DIR" "$pg_down_ms" "$pg_up_ms" "$RESEND" "$resend_ok" "$alive" <<'PY'
import collections, csv, json, sys
work, pg_down, pg_up, resend_want, resend_ok, alive = sys.argv[1:7]
pg_down, pg_up, resend_want = int(pg_down), int(pg_up), int(resend_want)

acked = {}  # event_id -> (target, user, useq, start_ms, end_ms)
for line in open(f"{work}/acked.tsv"):
    f = line.rstrip("\n").split("\t")
    if len(f) >= 6:
        acked[f[0]] = (f[1], f[2], int(f[3]), int(f[4]), int(f[5]))
errors = [l.rstrip("\n").split("\t") for l in open(f"{work}/errors.tsv") if l.strip()]
events = json.load(open(f"{work}/accepted.json"))["events"]
stats = json.load(open(f"{work}/stats.json"))
dead = {row[0]: row[1] for row in csv.reader(open(f"{work}/dead_letters.csv")) if row}
resends = [l.rstrip("\n").split("\t") for l in open(f"{work}/resend.tsv") if l.strip()]

arrivals = [(e.get("properties", {}).get("seq"), e.get("external_id"),
             e.get("properties", {}).get("useq")) for e in events]
received = collections.Counter(seq for seq, _, _ in arrivals)
in_doubt = {i for i, r in dead.items() if "in doubt" in r.lower()}
lost = [i for i in acked if i not in received and i not in dead]
duplicated = [s for s, n in received.items() if n > 1]
no_reason = [i for i, r in dead.items() if not r.strip()]
dead_and_delivered = [i for i in dead if i in received]
dead_not_in_doubt_delivered = [i for i in dead_and_delivered if i not in in_doubt]

# Per-user order among acknowledged, delivered, not dead-lettered events.
last, inversions, checked = {}, [], 0
for seq, user, useq in arrivals:
    if seq not in acked or seq in dead or useq is None:
        continue
    checked += 1
    if user in last and useq <= last[user][1]:
        inversions.append((user, last[user], (seq, useq)))
    last[user] = (seq, useq)

# Calls wholly inside the PostgreSQL outage.
out_acked = [i for i, a in acked.items() if a[3] >= pg_down and a[4] <= pg_up]
out_err = collections.Counter(e[2] for e in errors
                              if len(e) >= 5 and int(e[3]) >= pg_down and int(e[4]) <= pg_up)
out_bad = {k: v for k, v in out_err.items() if k != "grpc:14"}
out_acked_lost = [i for i in out_acked if i not in received and i not in dead]

all_err = collections.Counter(e[2] for e in errors if len(e) >= 3)
bad_err = {k: v for k, v in all_err.items() if k not in ("grpc:14", "grpc:4")}
per_replica = collections.Counter(a[0] for a in acked.values())

requests = int(stats.get("requests", 0))
limited = int(stats.get("rate_limited", 0))
limited_pct = 100.0 * limited / requests if requests else 0.0
resend_dup = sum(1 for r in resends if len(r) >= 3 and r[2] == "ITEM_STATUS_DUPLICATE")
resend_other = collections.Counter(r[2] for r in resends if len(r) >= 3 and r[2] != "ITEM_STATUS_DUPLICATE")
resend_cross = sum(1 for r in resends if len(r) >= 3 and r[0] in acked and acked[r[0]][0] != r[1])

rows = []
def check(name, value, ok, detail=""):
    rows.append((name, str(value), "ok" if ok else "FAIL", detail))
check("acknowledged", len(acked), len(acked) > 0 and len(per_replica) == 3,
      " ".join(f"{t}={n}" for t, n in sorted(per_replica.items())))
check("delivered unique (all sent)", len(received), True)
check("dead letters", len(dead), not no_reason, f"{len(no_reason)} without a reason")
check("  in doubt", len(in_doubt), True, f"of which Braze had {len(set(in_doubt) & set(received))}")
check("  not in doubt, yet delivered", len(dead_not_in_doubt_delivered),
      not dead_not_in_doubt_delivered, ", ".join(dead_not_in_doubt_delivered[:5]))
check("lost (acked, not delivered, not dead)", len(lost), not lost, ", ".join(lost[:5]))
check("duplicates at the emulator", len(duplicated), not duplicated, ", ".join(duplicated[:5]))
check("per-user order inversions", len(inversions), not inversions and checked > 0,
      f"{checked} events checked" + (f"; first {inversions[0]}" if inversions else ""))
check("Braze requests", requests, requests > 0,
      f"by status {stats.get('by_status')}; busiest window {stats.get('max_window_requests')}")
check("429s of the emulator's limiter", f"{limited} ({limited_pct:.2f} %)", limited_pct <= 1.0,
      f"injected: 429={stats.get('injected_429')} 5xx={stats.get('injected_5xx')}")
check("calls inside the PG outage: acked", len(out_acked), not out_acked_lost,
      f"{len(out_acked_lost)} of them lost")
check("calls inside the PG outage: errors", sum(out_err.values()),
      not out_bad and (out_acked or out_err),
      f"{dict(out_err)}" + ("" if (out_acked or out_err) else " (no call finished inside it)"))
check("call errors other than UNAVAILABLE/DEADLINE", sum(bad_err.values()), not bad_err,
      f"all errors {dict(all_err)}")
check("resent to another replica: DUPLICATE", f"{resend_dup}/{resend_want}",
      resend_ok == "1" and resend_dup == resend_want and len(resends) == resend_want
      and resend_cross == resend_want,
      f"{resend_cross} to another replica; other answers {dict(resend_other)}")
check("replicas alive at the end", alive.strip() or "none", alive.split() == ["1", "2", "3"])

width = max(len(r[0]) for r in rows)
print(f"\n{'check'.ljust(width)}  {'value':>16}  result  detail")
for name, value, result, detail in rows:
    print(f"{name.ljust(width)}  {value:>16}  {result:6}  {detail}")
failed = [r[0] for r in rows if r[2] != "ok"]
if failed:
    print(f"\ncluster test FAILED: {', '.join(failed)}")
    sys.exit(1)
print("\ncluster test passed")
PY

# --- control: each replica its own full budget (a 429 storm is expected) ----
if [ "${CLUSTER_TEST_CONTROL:-1}" = 1 ]; then
  stop_replicas
  curl -sf -X POST -d '{}' "http://127.0.0.1:$EMULATOR_PORT/_emulator/faults" >/dev/null \
    || fail "cannot clear the emulator's faults"
  curl -sf -X POST --data "" "http://127.0.0.1:$EMULATOR_PORT/_emulator/reset" >/dev/null \
    || fail "cannot reset the emulator"
  RATE_BUDGET=local
  for i in 1 2 3; do launch_replica "$i"; done
  "$loadgen" --target="$TARGETS" --async --callers=64 --users=64 --channels=1 --measure_all \
    --rate=250 --warmup_s=0 --duration_s=12 --timeout_ms=2000 --seq_prefix="${run_id}control-" \
    --label=control >"$WORK_DIR/control.log" 2>&1 || fail "the control load failed"
  curl -sf "http://127.0.0.1:$EMULATOR_PORT/_emulator/stats" >"$WORK_DIR/control_stats.json" \
    || fail "cannot read the emulator's stats"
  /usr/bin/python3 - "$WORK_DIR/control_stats.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
r, l = s.get("requests", 0), s.get("rate_limited", 0)
print(f"control (--rate_budget=local, 3 replicas x the whole budget, no injected faults): "
      f"requests={r} limiter 429s={l} ({100.0 * l / r if r else 0:.1f} %), "
      f"busiest window={s.get('max_window_requests')} (limit per window: see BRAZE_LIMIT)")
PY
fi
