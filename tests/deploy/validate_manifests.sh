#!/usr/bin/env bash
# Offline validation of deploy/: Kubernetes manifests (YAML, required fields,
# probes, security context, secrets, the ConfigMap's ServerConfig textproto)
# and deploy/Dockerfile (basic lint), plus the runtime image's package list
# against the built binaries. ctest: Deploy.ManifestsValidate.
#
#   validate_manifests.sh REPO_ROOT [BRAZESYNC_SERVER BRAZESYNC_CLI]
#
# Needs /usr/bin/python3 with python3-yaml and protoc (Debian packages);
# python3-kubernetes (optional) adds a field/type check against the
# Kubernetes API models, kubectl (optional) a `kubectl kustomize` render.
set -euo pipefail
root="$(cd "${1:?usage: $0 REPO_ROOT [BINARY...]}" && pwd)"; shift
here="$(cd "$(dirname "$0")" && pwd)"
protoc="$(command -v protoc || true)"
if [ -z "$protoc" ]; then echo "validate_manifests: protoc not found" >&2; exit 1; fi
if ! /usr/bin/python3 -c 'import yaml' 2>/dev/null; then
  echo "validate_manifests: /usr/bin/python3 lacks yaml: apt-get install python3-yaml" >&2; exit 1
fi
exec /usr/bin/python3 "$here/validate_manifests.py" "$root" "$protoc" "$@"
