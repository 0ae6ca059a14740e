#!/usr/bin/env bash
# Installs every build, test and tooling dependency of BrazeSync from Debian 12 and npm.
# Idempotent; safe to run on a fresh machine (CI) or a developer box. Needs root (or sudo).
set -euo pipefail
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive

PACKAGES=(
  build-essential cmake ninja-build pkg-config git ca-certificates tzdata curl
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev libprotoc-dev protobuf-compiler libabsl-dev grpc-proto
  libcurl4-openssl-dev libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  nlohmann-json3-dev libcpp-httplib-dev libsqlite3-dev libpq-dev postgresql libjemalloc-dev libspdlog-dev libfmt-dev prometheus-cpp-dev
  openssl libre2-dev libphonenumber-dev
  python3 python3-grpcio python3-protobuf python3-yaml python3-kubernetes
  python3-venv python3-setuptools python3-wheel python3-build mypy-protobuf mypy python3-requests
  golang-go golang-google-grpc-dev golang-google-protobuf-dev golang-github-golang-protobuf-1-5-dev protoc-gen-go protoc-gen-go-grpc
  golang-google-genproto-dev
)
# Node.js may come from another apt source with npm bundled; only ask Debian for it when absent.
command -v npm >/dev/null 2>&1 || PACKAGES+=(nodejs npm)

# --- Optional: Bazel mirror of the build (bazel/README.md, bazel/test.sh) ---
# Off by default to keep CI fast: Debian's bazel 4.2.3 pulls in ~39 packages
# incl. default-jdk-headless (~25 s of apt install on the CI box).
if [ "${BRAZESYNC_WITH_BAZEL:-0}" = 1 ]; then
  PACKAGES+=(bazel-bootstrap bazel-rules-java bazel-platforms)
fi
# --- end optional Bazel block ---

# --- Optional: quality gates (scripts/quality.sh, docs/quality.md) ---
# clang 14 for the libFuzzer build, clang-format/clang-tidy 14 (run-clang-tidy
# comes with clang-tidy-14). On Debian 12, -fsanitize=fuzzer's runtime
# (libclang_rt.fuzzer*.a) and FuzzedDataProvider.h are in libclang-rt-14-dev;
# libfuzzer-14-dev only adds a standalone libFuzzer.a, which is not needed.
if [ "${BRAZESYNC_WITH_QUALITY:-0}" = 1 ]; then
  PACKAGES+=(clang-14 libclang-rt-14-dev clang-format-14 clang-tidy-14)
fi
# --- end optional quality block ---

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# buf (lint + `buf curl`) comes from npm as a prebuilt binary inside the package; nothing downloads at run time.
root="$(cd "$(dirname "$0")/.." && pwd)"
if [ ! -x "$root/tools/node_modules/.bin/buf" ]; then
  (cd "$root/tools" && npm ci --no-audit --no-fund --loglevel=error)
fi
