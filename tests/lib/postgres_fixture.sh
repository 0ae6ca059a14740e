#!/usr/bin/env bash
# The ctest fixture behind every test labelled `postgres` (tests/CMakeLists.txt):
#   postgres_fixture.sh start STATE_DIR   starts a throwaway PostgreSQL
#       (tests/lib/postgres.sh) and writes its libpq URI to STATE_DIR/dsn
#   postgres_fixture.sh stop STATE_DIR    stops it and removes it
# Without the server binaries it writes no dsn and the tests skip, saying so.
set -euo pipefail
. "$(dirname "$0")/postgres.sh"
action="$1"
state="$2"
case "$action" in
  start)
    rm -rf "$state"
    mkdir -p "$state"
    if ! pg_available; then
      echo "PostgreSQL server binaries not found: the PostgreSQL tests will skip" \
           "(scripts/install_deps.sh installs them)"
      exit 0
    fi
    pg_start
    echo "$PG_DIR" >"$state/cluster_dir"
    echo "$PG_DSN" >"$state/dsn"
    echo "PostgreSQL started: $PG_DSN"
    ;;
  stop)
    if [ -s "$state/cluster_dir" ]; then
      PG_DIR="$(cat "$state/cluster_dir")"
      pg_remove
    fi
    rm -rf "$state"
    ;;
  *) echo "usage: $0 start|stop STATE_DIR" >&2; exit 2 ;;
esac
