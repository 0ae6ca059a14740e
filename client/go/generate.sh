#!/usr/bin/env bash
# Generates the Go code of BrazeSync's protos into the module's brazesyncv1/
# package (committed: Go tooling never runs protoc for the module's users),
# or, with --check, regenerates into a temporary directory and fails when the
# committed files differ (the drift check run by ctest Go.Generated).
#
# Usage: generate.sh [--check] [PROTOS_DIR]
#   PROTOS_DIR  default: the repository's protos/
#
# Needs Debian's protoc (protobuf-compiler), protoc-gen-go (1.28) and
# protoc-gen-go-grpc (1.0). The protos' go_package names a GOPATH-era import
# path; the M options below map every brazesync/v1 file to this module's
# brazesyncv1 package instead (the protos stay as they are, so buf's
# breaking-change baseline is untouched).
#
# google/rpc/status.proto maps to genproto's package and is not generated:
# grpc-go links genproto's google.rpc types, and generating BrazeSync's
# wire-compatible copy as well would register google.rpc.Status twice (a
# panic at init).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
check=false
if [ "${1:-}" = "--check" ]; then check=true; shift; fi
protos="$(cd "${1:-$here/../../protos}" && pwd)"
module="$(sed -n 's/^module[[:space:]]\+//p' "$here/go.mod")"
package_dir="brazesyncv1"

for tool in protoc protoc-gen-go protoc-gen-go-grpc; do
  command -v "$tool" >/dev/null || { echo "generate.sh: missing $tool (scripts/install_deps.sh)" >&2; exit 1; }
done
[ -f "$protos/brazesync/v1/brazesync.proto" ] || { echo "generate.sh: no brazesync/v1/brazesync.proto under $protos" >&2; exit 1; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

maps=("Mgoogle/rpc/status.proto=google.golang.org/genproto/googleapis/rpc/status")
files=()
for f in "$protos"/brazesync/v1/*.proto; do
  rel="brazesync/v1/$(basename "$f")"
  files+=("$rel")
  maps+=("M$rel=$module/$package_dir;brazesyncv1")
done
opts="module=$module,$(IFS=,; echo "${maps[*]}")"
(cd "$protos" && protoc -I . --go_out="$tmp" --go_opt="$opts" \
  --go-grpc_out="$tmp" --go-grpc_opt="$opts" "${files[@]}")

if $check; then
  if ! diff -ru "$here/$package_dir" "$tmp/$package_dir"; then
    echo "generate.sh --check: client/go/$package_dir differs from a fresh generation; run client/go/generate.sh and commit the result" >&2
    exit 1
  fi
  echo "generate.sh --check: client/go/$package_dir matches the protos"
else
  rm -rf "${here:?}/$package_dir"
  mv "$tmp/$package_dir" "$here/$package_dir"
  echo "generated $here/$package_dir"
fi
