#!/usr/bin/env bash
# Drift check: every C++ target the CMake build declares (brazesync_cc_library,
# brazesync_cc_test, add_executable, add_library in protos/, server/, client/, bench/,
# tests/) must exist as a Bazel target with the same name, and every
# *_test.cc must have a cc_test and every protos/**/*.proto a mention in
# protos/BUILD.bazel. Prints what is missing; exit 1 if anything is.
# Usage: bazel/check_mirror.sh   (needs bazel; leaves its server running)
set -euo pipefail
cd "$(dirname "$0")/.."

cmake_targets="$(grep -hoE '^\s*(brazesync_cc_library|brazesync_cc_test|add_executable|add_library)\(\s*[A-Za-z0-9_]+' \
  protos/CMakeLists.txt server/CMakeLists.txt client/CMakeLists.txt tests/*/CMakeLists.txt \
  $(ls bench/CMakeLists.txt 2>/dev/null) |
  sed -E 's/.*\(\s*//' | sort -u)"
bazel_targets="$(bazel query --noshow_progress 'kind("cc_(library|binary|test) rule", //...)' 2>/dev/null |
  sed -E 's/.*://' | sort -u)"

missing=0
for t in $cmake_targets; do
  if ! grep -qx "$t" <<<"$bazel_targets"; then echo "missing in Bazel: $t"; missing=1; fi
done
for f in $(find server client tests -name '*_test.cc' | sort); do
  t="$(basename "$f" .cc)"
  if ! grep -qx "$t" <<<"$bazel_targets"; then echo "no cc_test for $f"; missing=1; fi
done
for f in $(cd protos && find . -name '*.proto' | sed 's#^\./##' | sort); do
  if ! grep -q "\"$f\"" protos/BUILD.bazel; then echo "protos/BUILD.bazel does not list $f"; missing=1; fi
done
[ "$missing" = 0 ] && echo "ok: all $(wc -w <<<"$cmake_targets") CMake C++ targets are mirrored in Bazel"
exit "$missing"
