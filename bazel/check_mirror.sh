#!/usr/bin/env bash
# Drift check between the CMake build and its Bazel mirror.
# 1. Every package whose C++ targets CMake declares with the brazesync_cc_*
#    helpers has a BUILD.bazel generated from that CMakeLists.txt (same names,
#    sources and dependencies): bazel/gen_build.py --check, no bazel needed.
# 2. With bazel on PATH, also: every C++ target CMake declares exists in
#    Bazel, every *_test.cc has a cc_test and every protos/**/*.proto is
#    listed in protos/BUILD.bazel (covers the hand-written packages).
# Prints what is missing; exit 1 if anything is.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=0
/usr/bin/python3 bazel/gen_build.py --check || missing=1
if ! command -v bazel >/dev/null; then
  echo "bazel not installed: target-name check skipped"
  exit "$missing"
fi

cmake_targets="$(find . -name CMakeLists.txt -not -path './build*' -not -path './tools/*' \
  -not -path './fuzz/*' -not -path './CMakeLists.txt' -print0 |
  xargs -0 grep -hoE '^\s*(brazesync_cc_library|brazesync_cc_test|brazesync_cc_binary|add_library)\(\s*[A-Za-z0-9_]+' |
  sed -E 's/.*\(\s*//' | sort -u)"
bazel_targets="$(bazel query --noshow_progress 'kind("cc_(library|binary|test) rule", //...)' 2>/dev/null |
  sed -E 's/.*://' | sort -u)"

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
