#!/usr/bin/env bash
# Generates the Go code for BrazeSync's protos and runs the Go client's
# end-to-end tests (go test -v) against a live server and the Braze emulator.
# Usage: run_tests.sh SERVER_BIN EMULATOR_BIN PROTOS_DIR [OUT_DIR]
# OUT_DIR (default: client/go/gen, git-ignored) receives the generated code
# as a GOPATH entry: OUT_DIR/src/brazesync/gen/brazesync/v1.
# Go comes from Debian (scripts/install_deps.sh) and builds offline in GOPATH mode.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [ "$#" -lt 3 ]; then
  echo "usage: run_tests.sh SERVER_BIN EMULATOR_BIN PROTOS_DIR [OUT_DIR]" >&2
  exit 2
fi
export BRAZESYNC_SERVER_BIN="$1" BRAZE_EMULATOR_BIN="$2" BRAZESYNC_PROTOS_DIR="$3"
out="${4:-$here/gen}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

for tool in go protoc protoc-gen-go protoc-gen-go-grpc; do
  command -v "$tool" >/dev/null || { echo "missing $tool: run scripts/install_deps.sh" >&2; exit 1; }
done

# google/rpc/status.proto maps to genproto's package: grpc-go links it, and
# generating BrazeSync's wire-compatible copy as well would register
# google.rpc.Status twice (panic at init).
gen="$out/src/brazesync/gen"
rm -rf "$gen"
mkdir -p "$out/src"
map="Mgoogle/rpc/status.proto=google.golang.org/genproto/googleapis/rpc/status"
protoc -I"$BRAZESYNC_PROTOS_DIR" \
  --go_out="$out/src" --go_opt="$map" \
  --go-grpc_out="$out/src" --go-grpc_opt="$map" \
  "$BRAZESYNC_PROTOS_DIR/brazesync/v1/brazesync.proto" "$BRAZESYNC_PROTOS_DIR/brazesync/v1/types.proto" \
  "$BRAZESYNC_PROTOS_DIR/brazesync/v1/lookup.proto" "$BRAZESYNC_PROTOS_DIR/brazesync/v1/actions.proto" \
  "$BRAZESYNC_PROTOS_DIR/brazesync/v1/identity.proto" "$BRAZESYNC_PROTOS_DIR/brazesync/v1/messaging.proto" \
  "$BRAZESYNC_PROTOS_DIR/brazesync/v1/subscriptions.proto"

export GO111MODULE=off GOPROXY=off GOFLAGS=
export GOPATH="$out:$here:/usr/share/gocode"
if [ -z "${GOCACHE:-}" ] && [ -z "${HOME:-}" ] && [ -z "${XDG_CACHE_HOME:-}" ]; then
  export GOCACHE="$out/go-build-cache"
fi
go vet brazesync/client
go test -v -count=1 brazesync/client
