#!/usr/bin/env python3
"""Counts test cases from meson testlog.json files: Criterion's synthesis line per executable;
an executable without one (it crashed or timed out first) counts as one failure."""
import json
import re
import sys

SYNTHESIS = re.compile(r"Synthesis: Tested: (\d+) \| Passing: (\d+) \| Failing: (\d+) \| Crashing: (\d+)")

FAILURE_LINE = re.compile(r"\[FAIL\]|Assertion Failed|Crashed|Timeout|ERROR|error:")
FAILURE_LINES_MAX = 12     # lines quoted per failing executable, so the last line stays in view


def name_failure(test, out):
    """Prints which executable failed and the lines of its output that say why."""
    print(f"FAILED: {test.get('name')} ({test.get('result')}, {test.get('duration', 0):.1f} s)")
    lines = [line for line in out.splitlines() if FAILURE_LINE.search(line)]
    if not lines:
        lines = [line for line in out.splitlines() if line.strip()][-FAILURE_LINES_MAX:]
    for line in lines[:FAILURE_LINES_MAX]:
        print(f"    {line[:200]}")
    if len(lines) > FAILURE_LINES_MAX:
        print(f"    ... {len(lines) - FAILURE_LINES_MAX} more")


def count(rc, path):
    """Returns (passed, failed) for one meson run that exited with @rc."""
    passed = failed = 0
    try:
        lines = open(path, encoding="utf-8", errors="replace").read().splitlines()
    except OSError:
        print(f"no test log at {path}")
        return 0, 1
    for line in lines:
        test = json.loads(line)
        out = (test.get("stdout") or "") + (test.get("stderr") or "")
        found = SYNTHESIS.findall(out)
        ok = test.get("result") in ("OK", "EXPECTEDFAIL", "SKIP")
        if not ok or (found and sum(map(int, found[-1][2:])) > 0):
            name_failure(test, out)
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
    return passed, failed


def main():
    """Arguments: pairs of (meson exit code, testlog.json path)."""
    args = sys.argv[1:]
    passed = failed = 0
    bad_exit = False
    for rc, path in zip(args[0::2], args[1::2]):
        p, f = count(int(rc), path)
        passed, failed, bad_exit = passed + p, failed + f, bad_exit or int(rc) != 0
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 and not bad_exit else 1

sys.exit(main())
