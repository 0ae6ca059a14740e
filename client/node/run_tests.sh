#!/usr/bin/env bash
# Runs the Node client's end-to-end tests (node --test) against a live server.
# Usage: run_tests.sh SERVER_BIN EMULATOR_BIN PROTOS_DIR
# Installs the locked dependencies with `npm ci` when node_modules is missing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [ "$#" -ge 3 ]; then
  export BRAZESYNC_SERVER_BIN="$1" BRAZE_EMULATOR_BIN="$2" BRAZESYNC_PROTOS_DIR="$3"
fi
: "${BRAZESYNC_SERVER_BIN:?usage: run_tests.sh SERVER_BIN EMULATOR_BIN PROTOS_DIR}"
: "${BRAZE_EMULATOR_BIN:?usage: run_tests.sh SERVER_BIN EMULATOR_BIN PROTOS_DIR}"
: "${BRAZESYNC_PROTOS_DIR:?usage: run_tests.sh SERVER_BIN EMULATOR_BIN PROTOS_DIR}"
cd "$here"
if [ ! -d node_modules/@grpc/grpc-js ] || [ ! -d node_modules/@grpc/proto-loader ] || [ ! -d node_modules/protobufjs ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
exec node --test --test-reporter=spec test/
