#!/usr/bin/env bash
# `brazesync_server --help` lists the server's own flags (README.md says so);
# abseil's default would print "No flags matched" for a main.cc.
#   server_help_test.sh BRAZESYNC_SERVER
set -uo pipefail
source "$(dirname "$0")/../lib/expect.sh"
server="$1"
# abseil exits 1 after printing usage.
help="$("$server" --help 2>&1)"
for flag in --listen --data_dir --config --braze_endpoint --default_phone_region; do
  expect_contains "$help" "$flag " "--help lists $flag"
done
if [[ "$help" == *"No flags matched"* ]]; then
  echo "FAIL: --help says No flags matched"; failures=$((failures + 1))
fi
echo "failures: $failures"
[ "$failures" = 0 ]
