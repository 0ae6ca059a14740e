#!/usr/bin/env bash
# CI entry point for the Bazel mirror of the CMake build: builds everything
# (server, CLI, emulator, generated protos) and runs every Bazel test, offline,
# then stops the Bazel server so no JVM is left behind.
# Usage: bazel/test.sh [extra bazel flags...]
#   BAZEL_OUTPUT_USER_ROOT=/some/dir bazel/test.sh   # optional output root
set -euo pipefail
cd "$(dirname "$0")/.."

startup=()
if [ -n "${BAZEL_OUTPUT_USER_ROOT:-}" ]; then
  startup+=("--output_user_root=${BAZEL_OUTPUT_USER_ROOT}")
fi
bazel_cmd() { bazel "${startup[@]}" "$@"; }

status=0
bash bazel/check_mirror.sh || status=$?
[ "$status" = 0 ] && bazel_cmd build --jobs=2 "$@" //... &&
  bazel_cmd test --jobs=2 --test_output=errors "$@" //... || status=$?
bazel_cmd shutdown || true
exit "$status"
