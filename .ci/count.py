#!/usr/bin/env python3
"""Counts test cases from meson's testlog.json: Criterion's synthesis line per executable;
an executable without one (it crashed or timed out first) counts as one failure."""
import json
import re
import sys

SYNTHESIS = re.compile(r"Synthesis: Tested: (\d+) \| Passing: (\d+) \| Failing: (\d+) \| Crashing: (\d+)")

def main():
    path, rc = sys.argv[1], int(sys.argv[2])
    passed = failed = 0
    try:
        lines = open(path, encoding="utf-8", errors="replace").read().splitlines()
    except OSError:
        print(f"no test log at {path}")
        print("0 passed, 1 failed")
        return 1
    for line in lines:
        test = json.loads(line)
        out = (test.get("stdout") or "") + (test.get("stderr") or "")
        found = SYNTHESIS.findall(out)
        ok = test.get("result") in ("OK", "EXPECTEDFAIL", "SKIP")
        if found:
            _, p, f, c = map(int, found[-1])
            passed += p
            failed += f + c
            if not ok and f + c == 0:
                failed += 1        # the executable failed outside any test case
        elif ok:
            passed += 1
        else:
            failed += 1
    if rc != 0 and failed == 0:
        failed = 1                 # meson failed before or around the tests
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 and rc == 0 else 1

sys.exit(main())
