"""Type-checks the INSTALLED brazesync package with mypy (its py.typed and
the generated .pyi stubs): the package itself and good_usage.py must pass,
and every line of bad_usage.py tagged ``# expect: CODE`` must be reported
with that error code (and nothing else), which shows the async client's
types are real rather than Any.

Usage: VENV/bin/python run_mypy.py CACHE_DIR   (run_tests.sh; needs Debian's mypy)
"""

import os
import re
import sys

from mypy import api

HERE = os.path.dirname(os.path.abspath(__file__))


def mypy(cache_dir: str, *targets: str) -> tuple:
    stdout, stderr, status = api.run(["--config-file", os.path.join(HERE, "mypy.ini"),
                                      "--cache-dir", cache_dir, *targets])
    return stdout + stderr, status


def main() -> int:
    cache_dir = sys.argv[1]
    failures = 0
    for targets in (["-p", "brazesync"], [os.path.join(HERE, "good_usage.py")]):
        output, status = mypy(cache_dir, *targets)
        print(f"mypy {' '.join(targets)}: {output.strip().splitlines()[-1]}")
        if status != 0:
            print(output)
            failures += 1

    bad = os.path.join(HERE, "bad_usage.py")
    with open(bad) as f:
        expected = {(n, m.group(1)) for n, line in enumerate(f, 1)
                    for m in [re.search(r"# expect: ([a-z-]+)", line)] if m}
    output, _ = mypy(cache_dir, bad)
    reported = {(int(m.group(1)), m.group(2)) for m in
                re.finditer(r"bad_usage\.py:(\d+): error: .*\[([a-z-]+)\]", output)}
    print(f"mypy bad_usage.py: {len(reported)} errors reported, {len(expected)} expected")
    if reported != expected:
        print(f"expected {sorted(expected)}\nreported {sorted(reported)}\n{output}")
        failures += 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
