# A throwaway PostgreSQL for the tests: initdb + pg_ctl in a temporary
# directory, listening on a unix socket only (no TCP port, so parallel runs
# cannot collide), run as a non-root user (`postgres` when the tests run as
# root, as in CI), removed afterwards. fsync is off: the page cache survives
# a killed process, which is all the tests kill; a small WAL keeps crash
# recovery to seconds.
#
# Usage: source it, then
#   pg_available                 # true when the server binaries are installed
#   pg_start                     # creates and starts a cluster in a new temporary
#                                # directory; sets PG_DIR, PG_SOCKET_DIR and PG_DSN
#                                # (libpq URI of database "brazesync")
#   pg_psql SQL                  # runs SQL against PG_DSN, prints unaligned rows
#   pg_kill                      # SIGKILLs the postmaster (a crash)
#   pg_restart                   # starts it again after pg_kill or pg_stop
#   pg_stop                      # fast shutdown
#   pg_remove                    # stops it and deletes PG_DIR

PG_BIN="${PG_BIN:-}"
if [ -z "$PG_BIN" ]; then
  if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then
    PG_BIN="$(pg_config --bindir)"
  else
    PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
  fi
fi
PG_PORT=5432

pg_available() { [ -n "$PG_BIN" ] && [ -x "$PG_BIN/initdb" ] && [ -x "$PG_BIN/pg_ctl" ]; }

# Runs a server binary as the cluster's owner.
pg_as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

pg_start() {
  # Under /tmp, so that the cluster's owner can reach it whoever runs this.
  PG_DIR="$(mktemp -d "${TMPDIR:-/tmp}/brazesync-pg.XXXXXX")"
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || { echo "pg_start: no postgres user" >&2; return 1; }
    chown postgres "$PG_DIR"
    chmod 755 "$PG_DIR"
  fi
  PG_SOCKET_DIR="$PG_DIR"
  pg_as_owner "$PG_BIN/initdb" -D "$PG_DIR/data" -U brazesync --auth=trust -E UTF8 \
    --no-sync >"$PG_DIR/initdb.log" 2>&1 || { cat "$PG_DIR/initdb.log" >&2; return 1; }
  pg_restart || return 1
  pg_as_owner "$PG_BIN/createdb" -h "$PG_SOCKET_DIR" -p "$PG_PORT" -U brazesync brazesync \
    || return 1
  PG_DSN="postgresql:///brazesync?host=${PG_SOCKET_DIR}&port=${PG_PORT}&user=brazesync"
  export PG_DSN PG_SOCKET_DIR PG_DIR
}

pg_restart() {
  pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 start \
    -o "-c listen_addresses='' -c unix_socket_directories='$PG_SOCKET_DIR' -c port=$PG_PORT \
        -c fsync=off -c full_page_writes=off -c max_wal_size=64MB -c checkpoint_timeout=30s \
        -c shared_buffers=64MB -c max_connections=200" >/dev/null \
    || { cat "$PG_DIR/server.log" >&2; return 1; }
}

pg_psql() {
  "$PG_BIN/psql" -X -A -t -q -v ON_ERROR_STOP=1 -d "$PG_DSN" -c "$1"
}

pg_kill() {
  # The postmaster and its backends at once, as when the machine or the
  # container dies; the next start recovers from the WAL.
  local pid children
  pid="$(head -1 "$PG_DIR/data/postmaster.pid" 2>/dev/null)"
  [ -n "$pid" ] || return 0
  children="$(pgrep -P "$pid" || true)"
  kill -9 "$pid" $children 2>/dev/null || true
  for _ in $(seq 1 200); do
    kill -0 "$pid" $children 2>/dev/null || break
    sleep 0.05
  done
  rm -f "$PG_DIR/data/postmaster.pid" "$PG_SOCKET_DIR"/.s.PGSQL.*
}

pg_stop() {
  [ -f "$PG_DIR/data/postmaster.pid" ] || return 0
  pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
}

pg_remove() {
  pg_stop
  rm -rf "$PG_DIR"
}
