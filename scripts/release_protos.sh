#!/usr/bin/env bash
# Release step for the public API: records the protos as released, so that
# `buf breaking` (ctest Api.BufBreaking) checks every later change against
# them. Run it when a release is cut, after the release's proto changes are
# final, and commit the updated baseline with the release:
#
#   scripts/release_protos.sh && git add protos/baseline/brazesync-v1.json
#
# The baseline is a buf image (the compiled FileDescriptorSet plus buf's
# metadata) in JSON, pretty-printed so the repository stays text and a
# release's API change reads as a diff. Source info (comments, line numbers)
# is left out: breaking checks don't use it, and comment edits shouldn't
# touch the baseline. Imports (google/protobuf/*) stay in so the image is
# self-contained. buf reads only *.proto files from the `protos` module, so
# the JSON file under protos/baseline/ is not part of the module.
#
# Also regenerates docs/api-reference.md so the release ships a current
# reference.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
buf="${BUF:-$root/tools/node_modules/.bin/buf}"
baseline=protos/baseline/brazesync-v1.json

"$buf" lint
if [ -f "$baseline" ] && [ "${ALLOW_BREAKING:-0}" != 1 ]; then
  # A release must not break the previous one (set ALLOW_BREAKING=1 only for
  # a new major version, which gets its own package and baseline).
  "$buf" breaking --against "$baseline"
fi

tmp="$(mktemp)"
trap 'rm -f "$tmp"' EXIT
"$buf" build --exclude-source-info -o "$tmp#format=json"
mkdir -p "$(dirname "$baseline")"
/usr/bin/python3 -m json.tool --indent 1 "$tmp" > "$baseline"
"$buf" breaking --against "$baseline"   # the new baseline is readable
echo "wrote $baseline"

/usr/bin/python3 scripts/gen_api_reference.py --out docs/api-reference.md
echo "wrote docs/api-reference.md"
