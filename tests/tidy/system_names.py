#!/usr/bin/env python3
"""No system is named in shared code (issue 16): outside a system's own files
(nodes/<system>/, workloads/<system>_*, checker/<system>_*) and the registry tables, no C
code or string names a system, so the next system is added by its own files and one row
per registry. Comments may mention systems as examples; code and strings may not. The
system names come from the registry table itself (workloads/system_table.c), so a new
system is covered the day its row is added. Prints file:line: finding; exit 1 on any."""
import os
import re
import subprocess
import sys

# Names from outside the project that merely contain a system's name (POSIX's SOCK_STREAM).
FOREIGN = re.compile(r"\bSOCK_STREAM\b")
REGISTRIES = {"workloads/system_table.c", "checker/checker_table.c"}
NOT_SHARED = ("tests/", "bench/", "vm/")


def system_names(root):
    table = open(os.path.join(root, "workloads/system_table.c"), encoding="utf-8").read()
    names = re.findall(r"extern const struct system_desc (\w+)_system_desc;", table)
    if not names:
        sys.exit("system_names: no descriptors found in workloads/system_table.c")
    return names


def owned(path, names):
    return path in REGISTRIES or path.startswith(NOT_SHARED) or any(
        path.startswith((f"nodes/{n}/", f"workloads/{n}_", f"checker/{n}_")) for n in names)


def strip_comments(text):
    """The code and strings of a C file, comments blanked (line numbers kept)."""
    out, i, n = [], 0, len(text)
    while i < n:
        if text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append(re.sub(r"[^\n]", " ", text[i:end]))
            i = end
        elif text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            out.append(" " * (end - i))
            i = end
        elif text[i] in "\"'":
            quote, j = text[i], i + 1
            while j < n and text[j] != quote and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i = j + 1
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    names = system_names(root)
    word = re.compile(r"(?i)(?<![a-z0-9])(" + "|".join(map(re.escape, names)) + r")")
    compare = re.compile(r"str(n?case)?n?cmp\s*\([^;]*\"(" + "|".join(names) + r")\"")
    files = subprocess.run(["git", "-C", root, "ls-files", "*.c", "*.h"], check=True,
                           capture_output=True, text=True).stdout.split()
    shared = [p for p in files if not owned(p, names) and os.path.exists(os.path.join(root, p))]
    findings = 0
    for path in shared:
        code = strip_comments(open(os.path.join(root, path), encoding="utf-8",
                                   errors="replace").read())
        for number, line in enumerate(code.split("\n"), 1):
            line = FOREIGN.sub("", line)
            hit = compare.search(line) or word.search(line)
            if hit:
                what = "strcmp against" if hit.re is compare else "names"
                print(f"{path}:{number}: {what} system '{hit.group(hit.lastindex)}': "
                      f"{line.strip()}")
                findings += 1
    print(f"system_names: {len(shared)} shared files checked for {', '.join(names)}; "
          f"{findings} findings")
    return 1 if findings else 0


sys.exit(main())
