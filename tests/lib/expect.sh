# Checks shared by the shell-driven end-to-end tests. Source it; each failed
# check is printed and counted in $failures, which the test reports at its end.

failures=0

# expect_contains TEXT NEEDLE WHAT: TEXT must contain NEEDLE.
expect_contains() {
  if [[ "$1" == *"$2"* ]]; then echo "ok: $3"; else
    echo "FAIL: $3: expected to find '$2' in:"; echo "$1"; failures=$((failures + 1)); fi
}

# run ARGS...: runs the test's `brazesync` function (the CLI pointed at its
# server); the exit code goes to $code, stdout to $out, stderr to $err.
run() {
  set +e
  out="$(brazesync "$@" 2>"$WORK_DIR/stderr")"
  code=$?
  set -e
  err="$(cat "$WORK_DIR/stderr")"
}

# expect_code WANT WHAT: the last `run` exited with WANT.
expect_code() {
  if [ "$code" = "$1" ]; then echo "ok: $2 (exit $1)"; else
    echo "FAIL: $2: exit $code, want $1; stdout: $out; stderr: $err"; failures=$((failures + 1)); fi
}
