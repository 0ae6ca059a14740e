#!/usr/bin/env bash
# End-to-end: the CLI's Braze action commands (BrazeIdentity, BrazeMessaging,
# BrazeSubscriptions) through a live server and the Braze emulator, on a
# server that checks callers (the bot has the track, lookup, identity,
# messaging and subscriptions roles). Each command's JSON answer is checked,
# and so is the emulator's state afterwards:
#   - alias: an alias-only profile appears (GET /_emulator/profiles); the
#     answer is ACCEPTED with SUCCESS_MAY_BE_NOOP;
#   - identify (alias -> external id): `lookup --alias` (Braze's export, no
#     lag here) finds the user with that external id;
#   - trigger-canvas with --context_json: the Braze body carries the context,
#     and GET /_emulator/messages lists exactly one message for the Canvas and
#     the user; several recipients (repeated --external_id, --alias) come back
#     one result each; --send_to_existing_only=false --attributes_json creates
#     the user with those attributes;
#   - trigger-campaign with --trigger_properties_json: one message;
#   - subscribe: the /v2/subscription/status/set body;
#   - merge external_id:B into external_id:A: B's profile disappears;
#   - rename: `lookup` finds the new id;
#   - delete: refused without --yes (exit 2, nothing sent); with --yes the
#     user is gone (profiles, and `lookup` NOT_FOUND);
#   - exit codes: 3 when a result is REJECTED_INVALID (--allow_partial), 1 for
#     INVALID_ARGUMENT, PERMISSION_DENIED (track-only caller) and
#     UNAUTHENTICATED (no token), 2 for bad usage; --validate_only is VALID
#     and sends nothing.
# Usage: actions_cli_e2e_test.sh CLI_BIN SERVER_BIN EMULATOR_BIN
set -euo pipefail
cli="$1" server="$2" emulator="$3"
WORK_DIR="$(mktemp -d)"
here="$(dirname "$0")"
source "$here/../../scripts/lib/processes.sh"
source "$here/../lib/expect.sh"
trap 'stop_started_processes; rm -rf "$WORK_DIR"' EXIT

export BRAZE_API_KEY="actions-cli-key"
start_emulator "$emulator"

bot_token="bot-$RANDOM$RANDOM"
writer_token="writer-$RANDOM$RANDOM"
{
  emulator_workspace_config
  caller_config bot "$bot_token" lookup_workspaces identity_workspaces messaging_workspaces \
    subscription_workspaces
  caller_config writer "$writer_token"
} >"$WORK_DIR/config.textproto"
start_server "$server" --config="$WORK_DIR/config.textproto"

brazesync() { "$cli" --target="127.0.0.1:$SERVER_PORT" "$@"; }
# probe PYTHON: runs PYTHON with `r` = the last command's JSON answer,
# `emu(path)` = the emulator's GET answer, `bodies(path)` = the bodies Braze
# received at path, `profile(external_id)` = the live profile (or None),
# `messages(*needles)` = sent messages whose JSON holds every needle,
# `statuses()` = the answer's result statuses; fails when an assert does.
probe() {
  EMULATOR_PORT="$EMULATOR_PORT" /usr/bin/python3 - "$out" "$1" <<'PY'
import json, os, sys, urllib.request
r = json.loads(sys.argv[1]) if sys.argv[1].strip() else None
def emu(path):
    with urllib.request.urlopen(f"http://127.0.0.1:{os.environ['EMULATOR_PORT']}{path}",
                                timeout=10) as res:
        return json.loads(res.read())
def bodies(path):
    return [q["body"] for q in emu("/_emulator/requests") if q.get("path") == path]
def profile(external_id):
    return next((p for p in emu("/_emulator/profiles") if p.get("external_id") == external_id),
                None)
def messages(*needles):
    answer = emu("/_emulator/messages")
    listed = answer.get("messages", []) if isinstance(answer, dict) else answer
    return [m for m in listed if all(n in json.dumps(m) for n in needles)]
def statuses():
    return [x["status"] for x in r["results"]]
exec(sys.argv[2])
PY
}
check() {  # WHAT PYTHON
  if probe "$2"; then echo "ok: $1"; else failures=$((failures + 1)); echo "FAIL: $1; answer: $out"; fi
}
# Polls PYTHON (as for probe) for up to 10 s: Braze queues merges and deletes.
eventually() {  # WHAT PYTHON
  for _ in $(seq 1 100); do
    if probe "$2" >/dev/null 2>&1; then echo "ok: $1"; return; fi
    sleep 0.1
  done
  check "$1" "$2"
}

export BRAZESYNC_TOKEN="$bot_token"
a="cli-a-$RANDOM$RANDOM" b="cli-b-$RANDOM$RANDOM" c="cli-c-$RANDOM$RANDOM"
visitor="visitor-$RANDOM$RANDOM"

run track --external_id="$a" --first_name=Ada
expect_code 0 "track user a"
run track --external_id="$b" --first_name=Bob --attributes_json='{"tier":{"string_value":"gold"}}'
expect_code 0 "track user b"

# --- alias, identify -------------------------------------------------------
run alias --alias="chat_visitor:$visitor"
expect_code 0 "alias: an alias-only user"
check "alias: ACCEPTED with SUCCESS_MAY_BE_NOOP; the alias-only profile exists" "
assert statuses() == ['ACTION_STATUS_ACCEPTED'], r
assert 'ACTION_WARNING_SUCCESS_MAY_BE_NOOP' in r['results'][0]['warnings'], r
assert r['braze_calls'][0]['endpoint'] == '/users/alias/new', r
alias = {'alias_label': 'chat_visitor', 'alias_name': '$visitor'}
assert bodies('/users/alias/new') == [{'user_aliases': [alias]}], bodies('/users/alias/new')
held = [p for p in emu('/_emulator/profiles') if alias in p.get('user_aliases', [])]
assert len(held) == 1 and 'external_id' not in held[0], held"

run identify --external_id="$a" --alias="chat_visitor:$visitor" --validate_only
expect_code 0 "identify --validate_only"
check "identify --validate_only: VALID, the Braze body, nothing sent" "
assert statuses() == ['ACTION_STATUS_VALID'], r
assert json.loads(r['braze_request_bodies'][0]) == {'aliases_to_identify': [{'external_id': '$a',
    'user_alias': {'alias_label': 'chat_visitor', 'alias_name': '$visitor'}}]}, r
assert bodies('/users/identify') == []"

run identify --external_id="$a" --alias="chat_visitor:$visitor"
expect_code 0 "identify: alias -> external id"
check "identify: ACCEPTED" "assert statuses() == ['ACTION_STATUS_ACCEPTED'], r"
run lookup --alias="chat_visitor:$visitor" --cache_policy=refresh --max_wait_ms=5000
expect_code 0 "lookup by the identified alias"
check "identify: Braze's export finds the alias on user a" "
(res,) = r['results']
assert res['outcome'] == 'LOOKUP_OUTCOME_FOUND', r
assert r['users'][res['user_indexes'][0]]['external_id'] == '$a', r"

# --- triggers ----------------------------------------------------------------
run trigger-canvas --canvas_id=cv-cli --external_id="$a" --context_json='{"topic":"upgrade","score":7}'
expect_code 0 "trigger-canvas with context"
check "trigger-canvas: ACCEPTED, dispatch id, the context sent, one message" "
assert statuses() == ['ACTION_STATUS_ACCEPTED'], r
assert r['dispatch_ids'] and r['braze_calls'][0]['endpoint'] == '/canvas/trigger/send', r
(body,) = bodies('/canvas/trigger/send')
assert body['canvas_id'] == 'cv-cli' and body['recipients'][0]['external_user_id'] == '$a', body
ctx = dict(body.get('context') or {}, **(body['recipients'][0].get('context') or {}))
assert ctx == {'topic': 'upgrade', 'score': 7}, body
assert len(messages('cv-cli', '$a', 'upgrade')) == 1, emu('/_emulator/messages')"

run trigger-canvas --canvas_id=cv-many --external_id="$a,$b" --alias="chat_visitor:$visitor"
expect_code 0 "trigger-canvas to several recipients"
check "trigger-canvas: one result per recipient, in order" "
assert [(x['array'], x['index']) for x in r['results']] == [('recipients', 0), ('recipients', 1),
    ('recipients', 2)], r
assert all(s in ('ACTION_STATUS_ACCEPTED', 'ACTION_STATUS_DUPLICATE') for s in statuses()), r
assert len(messages('cv-many', '$b')) == 1, emu('/_emulator/messages')"

run trigger-canvas --canvas_id=cv-welcome --external_id="$c" --send_to_existing_only=false \
  --attributes_json='{"first_name":"Cy","custom_attributes":{"tier":{"string_value":"silver"}}}'
expect_code 0 "trigger-canvas creating the recipient"
check "trigger-canvas --send_to_existing_only=false: the user is created with the attributes" "
assert statuses() == ['ACTION_STATUS_ACCEPTED'], r
rec = bodies('/canvas/trigger/send')[-1]['recipients'][0]
assert rec['send_to_existing_only'] is False, rec
assert rec['attributes'] == {'first_name': 'Cy', 'tier': 'silver'}, rec
p = profile('$c')
assert p is not None and p.get('first_name') == 'Cy', p
assert len(messages('cv-welcome', '$c')) == 1, emu('/_emulator/messages')"

run trigger-campaign --campaign_id=cp-cli --external_id="$a" --trigger_properties_json='{"coupon":"CHAT10"}'
expect_code 0 "trigger-campaign with trigger properties"
check "trigger-campaign: ACCEPTED, the properties sent, one message" "
assert statuses() == ['ACTION_STATUS_ACCEPTED'], r
(body,) = bodies('/campaigns/trigger/send')
props = dict(body.get('trigger_properties') or {},
             **(body['recipients'][0].get('trigger_properties') or {}))
assert body['campaign_id'] == 'cp-cli' and props == {'coupon': 'CHAT10'}, body
assert len(messages('cp-cli', '$a')) == 1, emu('/_emulator/messages')"

run trigger-canvas --canvas_id=cv-partial --external_id="$a" --email=ada@example.com --allow_partial
expect_code 3 "a rejected recipient (email without --prioritization) with --allow_partial"
check "--allow_partial: the valid recipient sent, the invalid one REJECTED_INVALID" "
assert statuses() == ['ACTION_STATUS_ACCEPTED', 'ACTION_STATUS_REJECTED_INVALID'], r
assert 'prioritization' in json.dumps(r['results'][1]['violations']), r"
run trigger-canvas --canvas_id=cv-invalid --email=ada@example.com
expect_code 1 "an invalid recipient without --allow_partial is an rpc error"
expect_contains "$err" "INVALID_ARGUMENT" "invalid recipient: INVALID_ARGUMENT"
expect_contains "$err" "recipients[0].prioritization" "the violation names the field"
run trigger-canvas --canvas_id=cv-x
expect_code 2 "trigger-canvas without recipients or --broadcast is bad usage"
run trigger-canvas --canvas_id=cv-x --external_id="$a,$b" --attributes_json='{"first_name":"X"}'
expect_code 2 "--attributes_json with two recipients is bad usage"

# --- subscriptions -----------------------------------------------------------
run subscribe --group=sg-cli --state=subscribed --external_id="$a" --external_id="$b"
expect_code 0 "subscribe two users"
check "subscribe: ACCEPTED; the /v2/subscription/status/set body" "
assert statuses() == ['ACTION_STATUS_ACCEPTED'], r
assert bodies('/v2/subscription/status/set') == [{'subscription_groups': [{
    'subscription_group_id': 'sg-cli', 'subscription_state': 'subscribed',
    'external_ids': ['$a', '$b']}]}], bodies('/v2/subscription/status/set')"
run subscribe --group=sg-cli --state=maybe --external_id="$a"
expect_code 2 "subscribe --state=maybe is bad usage"

# --- merge, rename, delete --------------------------------------------------
run merge --merge=external_id:"$b" --keep=external_id:"$a"
expect_code 0 "merge b into a"
check "merge: ACCEPTED (queued); the /users/merge body" "
assert statuses() == ['ACTION_STATUS_ACCEPTED'], r
assert bodies('/users/merge') == [{'merge_updates': [{'identifier_to_merge': {'external_id': '$b'},
    'identifier_to_keep': {'external_id': '$a'}}]}], bodies('/users/merge')"
eventually "merge: b's profile is gone, a remains" "
assert profile('$b') is None and profile('$a') is not None"
run merge --merge=email:old@example.com --keep=external_id:"$a" \
  --prioritization=unidentified,most_recently_updated --validate_only
expect_code 0 "merge by email --validate_only"
check "merge by email: the prioritization in Braze's names" "
assert statuses() == ['ACTION_STATUS_VALID'], r
body = json.loads(r['braze_request_bodies'][0])
assert body['merge_updates'][0]['identifier_to_merge'] == {'email': 'old@example.com',
    'prioritization': ['unidentified', 'most_recently_updated']}, body"

renamed="$a-renamed"
run rename --current="$a" --new="$renamed"
expect_code 0 "rename a"
check "rename: APPLIED, the renamed id listed" "
assert statuses() == ['ACTION_STATUS_APPLIED'], r
assert r['external_ids'] == ['$a'], r"
run lookup --external_id="$renamed" --cache_policy=refresh --max_wait_ms=5000
expect_code 0 "lookup the new id"
expect_contains "$out" '"LOOKUP_OUTCOME_FOUND"' "rename: Braze's export finds the new id"
run rename --current="$a" --new=x --new=y
expect_code 2 "rename with unpaired --current/--new is bad usage"

run delete --external_id="$renamed"
expect_code 2 "delete without --yes"
expect_contains "$err" "--yes" "delete without --yes names the flag"
check "delete without --yes sends nothing" "assert bodies('/users/delete') == []"
run delete --external_id="$renamed" --external_id="$c" --yes
expect_code 0 "delete --yes"
check "delete: ACCEPTED per id; the /users/delete body" "
assert statuses() == ['ACTION_STATUS_ACCEPTED'] * 2, r
assert bodies('/users/delete') == [{'external_ids': ['$renamed', '$c']}], bodies('/users/delete')"
eventually "delete: the profiles are gone" "assert profile('$renamed') is None and profile('$c') is None"
run lookup --external_id="$renamed" --max_wait_ms=5000
expect_code 0 "lookup the deleted user"
expect_contains "$out" '"LOOKUP_OUTCOME_NOT_FOUND"' "delete: lookup answers NOT_FOUND"

# --- roles and usage -----------------------------------------------------------
BRAZESYNC_TOKEN="$writer_token" run trigger-canvas --canvas_id=cv-cli --external_id="$a"
expect_code 1 "a track-only caller triggers"
expect_contains "$err" "PERMISSION_DENIED" "track-only caller: PERMISSION_DENIED"
BRAZESYNC_TOKEN="$writer_token" run alias --alias=crm:x
expect_contains "$err" "PERMISSION_DENIED" "track-only caller: no identity role"
BRAZESYNC_TOKEN="$writer_token" run subscribe --group=g --state=subscribed --external_id=x
expect_contains "$err" "PERMISSION_DENIED" "track-only caller: no subscriptions role"
unset BRAZESYNC_TOKEN
run subscribe --group=sg-cli --state=unsubscribed --external_id="$a"
expect_code 1 "no token"
expect_contains "$err" "UNAUTHENTICATED" "no token: UNAUTHENTICATED"
run alias --alias=no-colon
expect_code 2 "--alias without ':' is bad usage"
run merge --merge=nickname:x --keep=external_id:y
expect_code 2 "merge with an unknown kind is bad usage"

if [ "$failures" -ne 0 ]; then echo "$failures check(s) failed"; exit 1; fi
echo "all action CLI checks passed"
