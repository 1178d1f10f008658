#!/usr/bin/env python3
"""Run every check the project has, in one command: format, lint, types, tests.

Usage: python check.py [pytest arguments...]   (e.g. `python check.py -x -k cache`)
"""

from __future__ import annotations

import subprocess
import sys
import time

STEPS = [
    ("format", [sys.executable, "-m", "ruff", "format", "--check", "."]),
    ("lint", [sys.executable, "-m", "ruff", "check", "."]),
    ("types", [sys.executable, "-m", "mypy"]),
    ("tests", [sys.executable, "-m", "pytest", "-q", *sys.argv[1:]]),
]


def main() -> int:
    results = []
    for name, cmd in STEPS:
        print(f"== {name}: {' '.join(cmd[2:])}", flush=True)
        started = time.perf_counter()
        code = subprocess.call(cmd)
        results.append((name, code, time.perf_counter() - started))
    print("\n== summary")
    for name, code, seconds in results:
        print(f"  {name:<7} {'ok' if code == 0 else f'FAILED ({code})':<12} {seconds:6.1f}s")
    return 0 if all(code == 0 for _, code, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
