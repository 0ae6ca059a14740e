#!/usr/bin/env bash
# Builds and tests the Go module (client/go) in module mode, offline: the
# module is copied to a work directory, vendor_debian.py fills the copy's
# vendor/ from Debian's Go sources (/usr/share/gocode; there is no module
# proxy here), then `go vet ./...` and `go test -v ./...` run with
# -mod=vendor. The tests start the Braze emulator and brazesync_server
# themselves (BRAZESYNC_SERVER_BIN, BRAZE_EMULATOR_BIN).
# The checkout is never written to: vendor/ is not committed.
# Usage: run_tests.sh SERVER_BIN EMULATOR_BIN [WORK_DIR]
#   WORK_DIR  default: a temporary directory, removed at the end
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [ "$#" -lt 2 ]; then
  echo "usage: run_tests.sh SERVER_BIN EMULATOR_BIN [WORK_DIR]" >&2
  exit 2
fi
export BRAZESYNC_SERVER_BIN="$1" BRAZE_EMULATOR_BIN="$2"
source "$here/lib.sh"

copy_module "${3:-}"
/usr/bin/python3 "$here/vendor_debian.py" "$module"
cd "$module"
go vet ./...
go test -v -count=1 ./...
