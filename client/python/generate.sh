#!/usr/bin/env bash
# Generates the Python protobuf/gRPC stubs the BrazeSync Python client needs.
# The stubs are build output: they are never committed.
#
# Usage: generate.sh [OUT_DIR [PROTOS_DIR]]
#   OUT_DIR     default: $BRAZESYNC_PY_GEN_DIR, else client/python/gen (git-ignored)
#   PROTOS_DIR  default: $BRAZESYNC_PROTOS_DIR, else the repository's protos/
#
# Needs Debian's protoc (package protobuf-compiler) and grpc_python_plugin
# (package protobuf-compiler-grpc); health.proto comes from package grpc-proto.
#
# Layout of OUT_DIR (put it on sys.path, or let brazesync_client find it):
#   brazesync/v1/{types,brazesync,lookup,admin,config,actions,identity,
#       messaging,subscriptions}_pb2.py, and {brazesync,lookup,admin,identity,
#       messaging,subscriptions}_pb2_grpc.py for the services (every
#       protos/brazesync/v1/*.proto is generated)
#   google/rpc/{status,error_details}_pb2.py  -- no __init__.py anywhere, so
#       `google` and `google.rpc` stay PEP 420 namespace packages and merge
#       with Debian's python3-protobuf `google` (itself a namespace package)
#   brazesync_health_v1_pb2.py, brazesync_health_v1_pb2_grpc.py -- from
#       grpc/health/v1/health.proto, copied to a flat file name because a
#       generated `grpc/` package would be shadowed by grpcio's `grpc`.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:-${BRAZESYNC_PY_GEN_DIR:-$here/gen}}"
protos="${2:-${BRAZESYNC_PROTOS_DIR:-$here/../../protos}}"
protoc="${PROTOC:-/usr/bin/protoc}"
plugin="${GRPC_PYTHON_PLUGIN:-/usr/bin/grpc_python_plugin}"
health_proto="${GRPC_HEALTH_PROTO:-/usr/share/grpc-proto/grpc/health/v1/health.proto}"

for tool in "$protoc" "$plugin"; do
  [ -x "$tool" ] || { echo "generate.sh: $tool not found (apt-get install protobuf-compiler protobuf-compiler-grpc)" >&2; exit 1; }
done
[ -f "$health_proto" ] || { echo "generate.sh: $health_proto not found (apt-get install grpc-proto)" >&2; exit 1; }
[ -f "$protos/brazesync/v1/brazesync.proto" ] || { echo "generate.sh: no brazesync/v1/brazesync.proto under $protos" >&2; exit 1; }

# Generate into a fresh temporary directory, then swap it in, so a failed run
# never leaves half-updated stubs behind and stale modules disappear.
mkdir -p "$(dirname "$out")"
tmp="$(mktemp -d "$(dirname "$out")/.gen.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

cp "$health_proto" "$tmp/brazesync_health_v1.proto"
(
  cd "$protos"
  "$protoc" -I . -I "$tmp" --python_out="$tmp" --grpc_out="$tmp" \
    --plugin=protoc-gen-grpc="$plugin" \
    brazesync/v1/*.proto google/rpc/*.proto
  "$protoc" -I "$tmp" --python_out="$tmp" --grpc_out="$tmp" \
    --plugin=protoc-gen-grpc="$plugin" \
    "$tmp/brazesync_health_v1.proto"
)
rm -f "$tmp/brazesync_health_v1.proto"
# Only service files need *_pb2_grpc.py; drop the empty ones for the others.
for f in "$tmp"/brazesync/v1/*_pb2_grpc.py "$tmp"/google/rpc/*_pb2_grpc.py; do
  grep -q "Stub(object)" "$f" || rm -f "$f"
done
# The client imports these service stubs; fail here, not at import time.
for f in brazesync_pb2_grpc lookup_pb2_grpc identity_pb2_grpc messaging_pb2_grpc \
         subscriptions_pb2_grpc actions_pb2; do
  [ -f "$tmp/brazesync/v1/$f.py" ] || { echo "generate.sh: $f.py was not generated (is $protos up to date?)" >&2; exit 1; }
done
find "$tmp" -name '__init__.py' -delete   # keep namespace packages (see above)
chmod 755 "$tmp"

rm -rf "$out"
mv "$tmp" "$out"
trap - EXIT
echo "generate.sh: stubs in $out"
