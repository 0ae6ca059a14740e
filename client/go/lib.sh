# shellcheck shell=bash
# Shared by run_tests.sh and consumer_test.sh: the offline module-mode Go
# environment, and a copy of the module that vendor_debian.py may fill.
# Source it, then call copy_module.

for tool in go /usr/bin/python3; do
  command -v "$tool" >/dev/null || { echo "missing $tool: run scripts/install_deps.sh" >&2; exit 1; }
done
# Module mode with the generated vendor/: no proxy, no checksum database.
# -trimpath: the copies live in different directories; without it each
# directory would miss the build cache and recompile grpc-go (30 s and more).
export GO111MODULE=on GOFLAGS="-mod=vendor -trimpath" GOPROXY=off GOSUMDB=off
if [ -z "${HOME:-}" ] && [ -z "${XDG_CACHE_HOME:-}" ]; then
  export HOME="${TMPDIR:-/tmp}"   # go needs a build cache and a GOPATH
fi

# copy_module [WORK_DIR]: sets $work (WORK_DIR, or a temporary directory
# removed on exit) and copies the module's sources from $here (client/go:
# go.mod and the .go files, never a vendor/) to $work/client-go, which it
# sets as $module.
copy_module() {
  if [ -n "${1:-}" ]; then
    work="$(mkdir -p "$1" && cd "$1" && pwd)"
  else
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT
  fi
  module="$work/client-go"
  rm -rf "$module"
  mkdir -p "$module"
  # shellcheck disable=SC2154  # $here is the sourcing script's
  (cd "$here" && find . -path ./vendor -prune -o -type f \( -name '*.go' -o -name go.mod \) -print0 |
    xargs -0 cp --parents -t "$module")
}
