#!/usr/bin/python3
"""noop-check FILE...: assertions in bats files that bash's set -e ignores.

Bats runs a test under set -e, which does not stop at a failing command
negated with "!", nor at a failing command of an "&&" list other than the
last.  Such a line asserts nothing unless it is the last command of its
block (a test or a function), whose status is the block's.  Each one found
is printed as FILE:LINE: followed by the reason; exit 1 when any was found,
0 when none.  Lines of here-documents are not commands and are passed over.
"""
import re
import sys

HEREDOC = re.compile(r"<<-?\s*(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\1")
NEGATED = re.compile(r"^\s*!\s")
TEST_AND = re.compile(r"^\s*(\[\[?|test)\s.*\]?\]\s*&&\s*(\[\[?|test)\s")


def commands(path):
    """(line number, text) of each line that is not in a here-document."""
    end = None
    with open(path, encoding="utf-8", errors="replace") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if end is not None:
                if line.lstrip("\t") == end:
                    end = None
                continue
            m = HEREDOC.search(line)
            if m and not line.lstrip().startswith("#"):
                end = m.group(2)
            yield n, line


def meaningful(text):
    s = text.strip()
    return s != "" and not s.startswith("#")


def logical(path):
    """(first line number, text) of each command, continued lines joined."""
    cmd = None
    for n, text in commands(path):
        if not meaningful(text):
            continue
        if cmd is None:
            cmd = [n, text]
        else:
            cmd[1] += " " + text.strip()
        if not re.search(r"(&&|\|\||\||\\)\s*$", text):
            yield tuple(cmd)
            cmd = None
    if cmd is not None:
        yield tuple(cmd)


def check(path):
    cmds = list(logical(path))
    found = 0
    for i, (n, text) in enumerate(cmds):
        if NEGATED.match(text) and "||" not in text:
            why = "'! cmd' is ignored by set -e: use 'run ! cmd' or 'run -N cmd'"
        elif TEST_AND.match(text) and "||" not in text:
            why = "the tests before '&&' are ignored by set -e: one test a line"
        else:
            continue
        # The last command of a block: the next line closes it.
        if i + 1 < len(cmds) and cmds[i + 1][1] == "}":
            continue
        print("%s:%d: %s" % (path, n, why))
        found += 1
    return found


def main():
    if len(sys.argv) < 2:
        print("usage: noop-check FILE...", file=sys.stderr)
        return 64
    found = 0
    for path in sys.argv[1:]:
        try:
            found += check(path)
        except OSError as e:
            print("noop-check: %s: %s" % (path, e.strerror), file=sys.stderr)
            return 66
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
