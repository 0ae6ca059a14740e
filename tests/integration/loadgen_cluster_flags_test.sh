#!/usr/bin/env bash
# The load generator's cluster-test features against one single-node server
# (runs without cluster mode): --seq_prefix, --users (per-user increasing
# useq), round robin over several --target addresses, --ack_detail_file,
# --error_file, and --resend_file (same event_id to another target string,
# answered DUPLICATE; a never-sent id must make it exit 3), plus the emulator's
# /_emulator/stats fields the cluster test reads.
# Usage: loadgen_cluster_flags_test.sh SERVER_BIN EMULATOR_BIN LOADGEN_BIN
set -euo pipefail
server="$1" emulator="$2" loadgen="$3"
WORK_DIR="$(mktemp -d)"
source "$(dirname "$0")/../../scripts/lib/processes.sh"
trap 'stop_started_processes; rm -rf "$WORK_DIR"' EXIT
export BRAZE_API_KEY="loadgen-key"
fail() { echo "FAIL: $*"; exit 1; }

start_emulator "$emulator" --record_limit=0 --profile_store=false
mkdir -p "$WORK_DIR/data"
start_server "$server" --data_dir="$WORK_DIR/data"
# Two spellings of one server: the load generator treats them as two replicas.
targets="127.0.0.1:$SERVER_PORT,ipv4:127.0.0.1:$SERVER_PORT"

"$loadgen" --target="$targets" --async --callers=8 --users=8 --channels=1 --measure_all \
  --rate=300 --warmup_s=0 --duration_s=2 --timeout_ms=5000 --seq_prefix=lg1- \
  --ack_file="$WORK_DIR/acked.txt" --ack_detail_file="$WORK_DIR/acked.tsv" \
  --error_file="$WORK_DIR/errors.tsv" --label=flags >"$WORK_DIR/load.log" 2>&1 \
  || { cat "$WORK_DIR/load.log"; fail "load generator failed"; }
cat "$WORK_DIR/load.log"

# Delivered: wait (bounded) until the emulator has every acknowledged event.
acked="$(wc -l <"$WORK_DIR/acked.txt")"
[ "$acked" -ge 50 ] || fail "only $acked events acknowledged"
for _ in $(seq 1 300); do
  got="$(curl -sf "http://127.0.0.1:$EMULATOR_PORT/_emulator/stats" |
    /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["events_accepted"])')"
  [ "$got" -ge "$acked" ] && break
  sleep 0.1
done
[ "$got" -ge "$acked" ] || fail "the emulator has $got of $acked events"
curl -sf "http://127.0.0.1:$EMULATOR_PORT/_emulator/accepted" >"$WORK_DIR/accepted.json"
curl -sf "http://127.0.0.1:$EMULATOR_PORT/_emulator/stats" >"$WORK_DIR/stats.json"

/usr/bin/python3 - "$WORK_DIR" "$SERVER_PORT" <<'PY'
import collections, json, sys
work, port = sys.argv[1], sys.argv[2]
rows = [l.rstrip("\n").split("\t") for l in open(f"{work}/acked.tsv")]
ids = [l.strip() for l in open(f"{work}/acked.txt")]
assert all(len(r) == 6 for r in rows), rows[:3]
assert [r[0] for r in rows] == ids, "ack file and ack detail file differ"
assert all(r[0].startswith("lg1-") for r in rows), rows[:3]
assert len(set(ids)) == len(ids), "an event_id was acknowledged twice"
targets = collections.Counter(r[1] for r in rows)
assert set(targets) == {f"127.0.0.1:{port}", f"ipv4:127.0.0.1:{port}"}, targets
users = {r[2] for r in rows}
assert users <= {f"bench-user-{u}" for u in range(8)} and len(users) == 8, users
last = {}
for r in rows:  # per user, acknowledgements come in call order
    useq = int(r[3])
    assert useq > last.get(r[2], 0), f"useq not increasing for {r[2]}: {r}"
    assert int(r[4]) <= int(r[5]), r
    last[r[2]] = useq
events = json.load(open(f"{work}/accepted.json"))["events"]
seen, last = collections.Counter(), {}
for e in events:
    seq, user, useq = e["properties"]["seq"], e["external_id"], e["properties"]["useq"]
    seen[seq] += 1
    assert useq > last.get(user, 0), f"emulator order broken for {user}: {useq} after {last.get(user)}"
    last[user] = useq
assert set(ids) <= set(seen) and max(seen.values()) == 1, "delivery not exactly once"
stats = json.load(open(f"{work}/stats.json"))
for key in ("rate_limited", "injected_429", "injected_5xx", "dropped", "max_window_requests"):
    assert key in stats, f"/_emulator/stats lacks {key}"
print(f"acknowledged={len(ids)} users={len(users)} targets={dict(targets)} delivered={len(seen)}")
PY

# Resend acknowledged events to the other target: every answer DUPLICATE.
"$loadgen" --target="$targets" --async --resend_file="$WORK_DIR/acked.tsv" --resend_count=20 \
  --resend_report="$WORK_DIR/resend.tsv" --label=resend >"$WORK_DIR/resend.log" 2>&1 \
  || { cat "$WORK_DIR/resend.log"; fail "resend of acknowledged events was not all DUPLICATE"; }
cat "$WORK_DIR/resend.log"
grep -q "resent=20 duplicate=20 to_other_replica=20" "$WORK_DIR/resend.log" \
  || fail "resend summary unexpected"
[ "$(grep -c $'\tITEM_STATUS_DUPLICATE$' "$WORK_DIR/resend.tsv")" = 20 ] || fail "resend report"

# An id never sent is QUEUED, not DUPLICATE: the resend check must fail (exit 3).
printf 'lg-never-1\t127.0.0.1:%s\tbench-user-0\t1\t0\t0\n' "$SERVER_PORT" >"$WORK_DIR/fresh.tsv"
rc=0
"$loadgen" --target="$targets" --async --resend_file="$WORK_DIR/fresh.tsv" --resend_count=1 \
  --label=fresh >"$WORK_DIR/fresh.log" 2>&1 || rc=$?
cat "$WORK_DIR/fresh.log"
[ "$rc" = 3 ] || fail "a non-duplicate answer must exit 3, got $rc"
grep -q "ITEM_STATUS_QUEUED=1" "$WORK_DIR/fresh.log" || fail "fresh id not reported as QUEUED"
echo "loadgen cluster flags test passed"
