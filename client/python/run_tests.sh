#!/usr/bin/env bash
# Packages the Python client and tests it as installed, like a user would:
#  1. copies client/python and protos/ (tracked files only) to a temp dir and
#     builds the sdist and the wheel there (`python3 -m build --no-isolation`:
#     setup.py runs protoc, grpc_python_plugin and mypy-protobuf);
#  2. builds a second wheel from the sdist with no protoc reachable, and
#     checks it holds the same files;
#  3. creates a fresh venv with --system-site-packages (Debian's grpcio and
#     protobuf) and pip-installs the wheel with --no-index (its dependencies
#     resolve against those system packages);
#  4. runs tests/test_*.py with the venv's python from outside the source
#     tree (test_package asserts brazesync comes from the venv), against a
#     live server and the Braze emulator (the tests start both);
#  5. type-checks the installed package with mypy when Debian's mypy is there.
# Usage: run_tests.sh SERVER_BIN EMULATOR_BIN
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 SERVER_BIN EMULATOR_BIN" >&2; exit 2; }
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
export BRAZESYNC_SERVER_BIN="$1" BRAZE_EMULATOR_BIN="$2"
export PYTHONDONTWRITEBYTECODE=1   # keep the source tree free of __pycache__
# Debian's interpreter: the `python3` on PATH may be a pyenv without grpc.
python=/usr/bin/python3

work="$(mktemp -d "${TMPDIR:-/tmp}/brazesync-py-pkg.XXXXXX")"
trap 'rm -rf "$work"' EXIT

echo "== clean copy of client/python and protos in $work/src"
mkdir -p "$work/src"
if git -C "$root" rev-parse --git-dir >/dev/null 2>&1; then
  git -C "$root" ls-files -co --exclude-standard client/python protos \
    | tar -C "$root" -cf - -T - | tar -C "$work/src" -xf -
else  # not a git checkout (e.g. a copy of the tracked files): drop build output
  mkdir -p "$work/src/client" && cp -r "$root/client/python" "$work/src/client/" \
    && cp -r "$root/protos" "$work/src/"
  (cd "$work/src/client/python" && rm -rf build dist src/*.egg-info src/google \
    && rm -f src/brazesync/v1/*_pb2*.py*)
fi

echo "== build sdist + wheel"
(cd "$work/src/client/python" && "$python" -m build --no-isolation --sdist --wheel \
  -o "$work/dist" . >"$work/build.log" 2>&1) || { cat "$work/build.log"; exit 1; }
ls "$work/dist"

echo "== wheel from the sdist, without protoc"
mkdir -p "$work/sdist"
tar -C "$work/sdist" -xzf "$work/dist"/brazesync-*.tar.gz
(cd "$work/sdist"/brazesync-* && PROTOC=/nonexistent/protoc GRPC_PYTHON_PLUGIN=/nonexistent \
  "$python" -m build --no-isolation --wheel -o "$work/from-sdist" . \
  >"$work/build-sdist.log" 2>&1) || { cat "$work/build-sdist.log"; exit 1; }
"$python" - "$work/dist"/*.whl "$work/from-sdist"/*.whl <<'PY'
import sys, zipfile
direct, from_sdist = (set(zipfile.ZipFile(p).namelist()) for p in sys.argv[1:])
if direct != from_sdist:
    sys.exit(f"wheel from the sdist differs: {sorted(direct ^ from_sdist)}")
print(f"ok: both wheels hold the same {len(direct)} files")
PY

echo "== fresh venv (--system-site-packages) + pip install --no-index"
"$python" -m venv --system-site-packages "$work/venv"
# With --no-index, pip can only satisfy grpcio/protobuf from the system
# packages: the install fails if the pinned ranges exclude Debian's versions.
"$work/venv/bin/pip" install --quiet --no-index --no-cache-dir "$work/dist"/brazesync-*.whl

echo "== tests, from the installed package (cwd $work)"
cd "$work"
BRAZESYNC_DIST_DIR="$work/dist" "$work/venv/bin/python" -m unittest discover \
  -s "$here/tests" -t "$here/tests" -p 'test_*.py' -v

echo "== mypy"
if "$work/venv/bin/python" -c 'import mypy' 2>/dev/null; then
  "$work/venv/bin/python" "$here/tests/typecheck/run_mypy.py" "$work/mypy-cache"
else
  echo "SKIPPED: Debian's mypy is not installed (apt-get install mypy)"
fi
