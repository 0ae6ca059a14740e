#!/usr/bin/env bash
# Generates the Python stubs, then runs the Python client and action-node
# tests against a live emulator + server (the tests start both themselves).
# Usage: run_tests.sh SERVER_BIN EMULATOR_BIN PROTOS_DIR GEN_DIR
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[ $# -eq 4 ] || { echo "usage: $0 SERVER_BIN EMULATOR_BIN PROTOS_DIR GEN_DIR" >&2; exit 2; }
export BRAZESYNC_SERVER_BIN="$1" BRAZE_EMULATOR_BIN="$2" BRAZESYNC_PROTOS_DIR="$3"
export BRAZESYNC_PY_GEN_DIR="$4"
export PYTHONDONTWRITEBYTECODE=1   # keep the source tree free of __pycache__

/usr/bin/bash "$here/generate.sh" "$BRAZESYNC_PY_GEN_DIR" "$BRAZESYNC_PROTOS_DIR"
cd "$here"
# Debian's interpreter: the `python3` on PATH may be a pyenv without grpc.
exec /usr/bin/python3 -m unittest -v tests.test_client
