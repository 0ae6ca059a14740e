#!/usr/bin/env bash
# Generates the TypeScript messages and service descriptors of protos/ into
# src/gen/ (git-ignored) with `buf generate` and the protoc-gen-es plugin from
# this package's node_modules (buf.gen.yaml); nothing is downloaded.
# buf: $BUF, else the repository's tools/node_modules/.bin/buf, else `buf` on PATH.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
buf="${BUF:-}"
if [ -z "$buf" ]; then
  if [ -x "$root/tools/node_modules/.bin/buf" ]; then buf="$root/tools/node_modules/.bin/buf";
  elif command -v buf >/dev/null 2>&1; then buf="$(command -v buf)";
  else echo "generate.sh: buf not found: set BUF, run 'npm ci' in tools/, or put buf on PATH" >&2; exit 1; fi
fi
if [ ! -x "$here/node_modules/.bin/protoc-gen-es" ]; then
  echo "generate.sh: node_modules/.bin/protoc-gen-es missing: run 'npm ci' in client/node first" >&2
  exit 1
fi
cd "$here"
"$buf" generate "$root" --template buf.gen.yaml
