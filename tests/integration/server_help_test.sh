#!/usr/bin/env bash
# `brazesync_server --help` lists the server's own flags (README.md says so);
# abseil's default would print "No flags matched" for a main.cc. Also: a bad
# --default_phone_region or --http_listen stops the server at start-up,
# naming the field.
# The CLI's --help lists its flags too.
#   server_help_test.sh BRAZESYNC_SERVER BRAZESYNC_CLI
set -uo pipefail
source "$(dirname "$0")/../lib/expect.sh"
server="$1"
cli="$2"
# abseil exits 1 after printing usage.
help="$("$server" --help 2>&1)"
for flag in --listen --data_dir --config --braze_endpoint --default_phone_region --http_listen \
  --http_port_file; do
  expect_contains "$help" "$flag " "--help lists $flag"
done
if [[ "$help" == *"No flags matched"* ]]; then
  echo "FAIL: --help says No flags matched"; failures=$((failures + 1))
fi
help="$("$cli" --help 2>&1)"
for flag in --target --external_id --phone --async --item_id --alias --cache_policy --max_wait_ms; do
  expect_contains "$help" "$flag " "brazesync --help lists $flag"
done
if [[ "$help" == *"No flags matched"* ]]; then
  echo "FAIL: brazesync --help says No flags matched"; failures=$((failures + 1))
fi
# The flag-built workspace checks --default_phone_region at start-up.
out="$(BRAZE_API_KEY=k timeout 20 "$server" --braze_endpoint=http://127.0.0.1:1 \
  --listen=127.0.0.1:0 --default_phone_region=ZZ 2>&1)"
code=$?
expect_contains "$out" 'workspaces["default"].default_phone_region: must be an ISO 3166-1' \
  "--default_phone_region=ZZ is refused naming the field"
if [ "$code" = 0 ] || [ "$code" = 124 ]; then
  echo "FAIL: --default_phone_region=ZZ: exit $code, expected a start-up failure"
  failures=$((failures + 1))
fi
# An --http_listen that is not host:port stops the server, naming the flag.
out="$(BRAZE_API_KEY=k timeout 20 "$server" --braze_endpoint=http://127.0.0.1:1 \
  --listen=127.0.0.1:0 --http_listen=nowhere 2>&1)"
code=$?
expect_contains "$out" 'http_listen: "nowhere" is not host:port' "--http_listen=nowhere is refused"
if [ "$code" = 0 ] || [ "$code" = 124 ]; then
  echo "FAIL: --http_listen=nowhere: exit $code, expected a start-up failure"
  failures=$((failures + 1))
fi
echo "failures: $failures"
[ "$failures" = 0 ]
