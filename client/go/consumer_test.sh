#!/usr/bin/env bash
# "A fresh environment": a module that is not BrazeSync's, with its own
# go.mod requiring github.com/brazesync/brazesync/client/go (replaced by a
# copy of client/go, as a user's `go get` would fetch it), imports the
# client, is built offline in module mode (vendor_debian.py, -mod=vendor)
# and calls Track against a live server that checks callers. Passes when the
# program prints OUTCOME_DELIVERED and the Braze emulator received its event.
# Usage: consumer_test.sh SERVER_BIN EMULATOR_BIN
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [ "$#" -ne 2 ]; then
  echo "usage: consumer_test.sh SERVER_BIN EMULATOR_BIN" >&2
  exit 2
fi
server="$1" emulator="$2"
source "$here/lib.sh"
copy_module ""
WORK_DIR="$work"
source "$here/../../scripts/lib/processes.sh"
trap 'stop_started_processes; rm -rf "$work"' EXIT

consumer="$work/consumer"
mkdir -p "$consumer"
cat >"$consumer/main.go" <<'GO'
// Command consumer sends one event to BrazeSync at $BRAZESYNC_TARGET as the
// caller whose token is $BRAZESYNC_TOKEN, and prints the outcome.
package main

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/brazesync/brazesync/client/go/brazesync"
)

func main() {
	c, err := brazesync.Dial(os.Getenv("BRAZESYNC_TARGET"), brazesync.WithToken(os.Getenv("BRAZESYNC_TOKEN")))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	res, err := c.TrackEvent(context.Background(), "go-consumer", "consumer_built", nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.GetOutcome())
}
GO
(
  cd "$consumer"
  go mod init example.com/consumer
  go mod edit -require=github.com/brazesync/brazesync/client/go@v0.0.0 \
    -replace=github.com/brazesync/brazesync/client/go=../client-go
)
/usr/bin/python3 "$here/vendor_debian.py" "$consumer"
(cd "$consumer" && go vet ./... && go build -o consumer .)

export BRAZE_API_KEY="go-consumer-key"
start_emulator "$emulator"
token="consumer-$RANDOM$RANDOM"
cat >"$work/config.textproto" <<CONFIG
workspaces {
  name: "default"
  endpoint: "http://127.0.0.1:$EMULATOR_PORT"
  api_key_env: "BRAZE_API_KEY"
}
callers {
  name: "consumer"
  token_sha256: "$(printf %s "$token" | sha256sum | cut -d' ' -f1)"
  allowed_workspaces: "*"
}
CONFIG
start_server "$server" --config="$work/config.textproto"

out="$(BRAZESYNC_TARGET="127.0.0.1:$SERVER_PORT" BRAZESYNC_TOKEN="$token" "$consumer/consumer")"
[ "$out" = "OUTCOME_DELIVERED" ] || { echo "FAIL: consumer printed '$out', want OUTCOME_DELIVERED" >&2; exit 1; }
curl -s "http://127.0.0.1:$EMULATOR_PORT/_emulator/requests" | /usr/bin/python3 -c '
import json, sys
events = [e for r in json.load(sys.stdin) for e in r["body"].get("events", [])]
assert [(e["external_id"], e["name"]) for e in events] == [("go-consumer", "consumer_built")], events
'
# Without the token, the server refuses the call: the program reports it.
if BRAZESYNC_TARGET="127.0.0.1:$SERVER_PORT" BRAZESYNC_TOKEN='' "$consumer/consumer" 2>"$work/err"; then
  echo "FAIL: the consumer succeeded without a token" >&2; exit 1
fi
grep -q Unauthenticated "$work/err" || { echo "FAIL: no Unauthenticated error: $(cat "$work/err")" >&2; exit 1; }
echo "ok: a separate module built offline against client/go called Track (OUTCOME_DELIVERED, event at Braze; Unauthenticated without a token)"
