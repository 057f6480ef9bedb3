#!/usr/bin/env python3
"""STYLE S2 checks over the tracked C sources: banned calls, line width, file, header and
function length, leftover FIXME. Prints each finding as file:line: what, then a summary.
Exit 1 on any finding."""
import os
import re
import subprocess
import sys

BANNED = re.compile(r"\b(rand|srand|sprintf|strcpy|atoi|alloca)\s*\(")
LIMITS = {"c_lines": 800, "h_lines": 200, "function_lines": 70, "columns": 100}


def tracked_sources(root):
    try:
        out = subprocess.run(["git", "-C", root, "ls-files", "*.c", "*.h"], check=True,
                             capture_output=True, text=True).stdout
        return [p for p in out.splitlines() if os.path.exists(os.path.join(root, p))]
    except (OSError, subprocess.CalledProcessError):
        # Not a git checkout (a release tarball): every source outside build folders.
        found = []
        for folder, subfolders, names in os.walk(root):
            subfolders[:] = [d for d in subfolders
                             if not d.startswith(("build", ".")) and d != "store"]
            found += [os.path.relpath(os.path.join(folder, n), root)
                      for n in names if n.endswith((".c", ".h"))]
        return sorted(found)


def strip_comments_and_strings(line, in_comment):
    """Returns the code part of a line, and whether a block comment is still open."""
    code, i = [], 0
    while i < len(line):
        if in_comment:
            end = line.find("*/", i)
            if end < 0:
                return "".join(code), True
            i, in_comment = end + 2, False
        elif line.startswith("/*", i):
            in_comment, i = True, i + 2
        elif line.startswith("//", i):
            break
        elif line[i] == '"':
            j = i + 1
            while j < len(line) and line[j] != '"':
                j += 2 if line[j] == "\\" else 1
            code.append('""')
            i = j + 1
        else:
            code.append(line[i])
            i += 1
    return "".join(code), in_comment


def check_file(root, path):
    findings = []
    lines = open(os.path.join(root, path), encoding="utf-8", errors="replace").read().split("\n")
    limit = LIMITS["h_lines"] if path.endswith(".h") else LIMITS["c_lines"]
    if len(lines) > limit:
        findings.append(f"{path}:1: {len(lines)} lines, over {limit}")
    in_comment, body_start = False, None
    for number, line in enumerate(lines, 1):
        width = len(line.expandtabs(8))
        if width > LIMITS["columns"]:
            findings.append(f"{path}:{number}: {width} columns, over {LIMITS['columns']}")
        if "FIXME" in line:
            findings.append(f"{path}:{number}: leftover FIXME")
        code, in_comment = strip_comments_and_strings(line, in_comment)
        if BANNED.search(code):
            findings.append(f"{path}:{number}: banned call {BANNED.search(code).group(1)}()")
        # Kernel style: a function body opens with "{" alone in column 0 and closes with "}".
        if line == "{":
            body_start = number
        elif line.startswith("}") and body_start is not None:
            length = number - body_start - 1
            if length > LIMITS["function_lines"]:
                findings.append(f"{path}:{body_start}: function body of {length} lines, "
                                f"over {LIMITS['function_lines']}")
            body_start = None
    return findings


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    files = tracked_sources(root)
    failing = 0
    for path in files:
        findings = check_file(root, path)
        failing += bool(findings)
        for finding in findings:
            print(finding)
    # One check, not one per file: CI counts this executable as a single test.
    print(f"tidy: {len(files)} files checked, {failing} with findings")
    return 1 if failing else 0


sys.exit(main())
