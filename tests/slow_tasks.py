"""A worker function for the kill tests: slow, and it writes a file per item (atomically)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from radbank.fsutil import write_text


def write_slowly(args: tuple[str, int]) -> int:
    """Sleep a little, then write `<out>/<i>.txt`."""
    out, i = args
    time.sleep(0.05)
    write_text(Path(out) / f"{i:05d}.txt", "x" * 100)
    return i


if __name__ == "__main__":  # python slow_tasks.py OUT: 2000 items over 2 workers
    from radbank.parallel import map_parallel

    for _ in map_parallel(write_slowly, [(sys.argv[1], i) for i in range(2000)], workers=2, chunksize=50):
        pass
