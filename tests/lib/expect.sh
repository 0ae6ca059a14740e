# Checks shared by the shell-driven end-to-end tests. Source it; each failed
# check is printed and counted in $failures, which the test reports at its end.

failures=0

# expect_contains TEXT NEEDLE WHAT: TEXT must contain NEEDLE.
expect_contains() {
  if [[ "$1" == *"$2"* ]]; then echo "ok: $3"; else
    echo "FAIL: $3: expected to find '$2' in:"; echo "$1"; failures=$((failures + 1)); fi
}
