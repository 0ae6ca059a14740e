#!/usr/bin/env bash
# Runs the whole test suite from a clean checkout: installs dependencies,
# builds, checks the protos with buf lint, and runs every test with ctest
# (unit tests, the Braze emulator, end-to-end tests over real gRPC and HTTP,
# and `buf curl` through server reflection).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
bash "$root/scripts/install_deps.sh"
bash "$root/scripts/build.sh"
(cd "$root" && tools/node_modules/.bin/buf lint && echo "buf lint: clean")
cd "$build"
ctest --output-on-failure -j "$(nproc)" --timeout 300
