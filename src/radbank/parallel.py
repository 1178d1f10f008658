"""One way to run a function over many items in worker processes, keeping the input order."""

from __future__ import annotations

import multiprocessing as mp
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.context import BaseContext
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

# Below this many items, starting processes costs more than it saves.
MIN_PARALLEL_ITEMS = 48


def default_workers() -> int:
    """The number of CPU cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def map_parallel(
    fn: Callable[[T], R], items: Sequence[T], workers: int = 0, chunksize: int | None = None
) -> Iterator[R]:
    """Yield fn(item) for each item, in order, over `workers` processes (0 = all cores).

    `fn` must be a module-level function and must not raise for bad items: return the error instead,
    so that one bad item never stops the batch. Processes start with `forkserver` where available
    (safe beside torch's threads), else `spawn`.
    """
    n = len(items)
    workers = default_workers() if workers <= 0 else workers
    workers = min(workers, n)
    if workers <= 1 or n < MIN_PARALLEL_ITEMS:
        yield from map(fn, items)
        return
    context: BaseContext
    if "forkserver" in mp.get_all_start_methods():
        server = mp.get_context("forkserver")
        server.set_forkserver_preload([fn.__module__])  # imported once by the server, inherited by workers
        context = server
    else:
        context = mp.get_context("spawn")
    if chunksize is None:
        chunksize = max(1, min(64, n // (workers * 8)))
    pool = ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=die_with_parent, initargs=(os.getpid(),)
    )
    with pool:
        yield from pool.map(fn, items, chunksize=chunksize)


def die_with_parent(parent: int) -> None:
    """Worker initializer: exit as soon as the process that started the pool (`parent`) is gone, even when it
    was killed (SIGKILL runs no clean-up). Workers are children of the forkserver, which itself waits for
    them, so neither a parent-death signal nor the pool's own checks stop them: without this they would go on
    with their queued items for seconds, writing under PID 1. A daemon thread waits on the parent's pidfd
    (Linux), else polls it."""
    import threading

    def watch() -> None:
        try:
            import select

            fd = os.pidfd_open(parent)
            select.select([fd], [], [])  # readable once the parent has exited
        except (AttributeError, OSError):  # no pidfd here: poll
            while True:
                try:
                    os.kill(parent, 0)
                except ProcessLookupError:
                    break
                except PermissionError:  # another user's process took its number: ours is gone
                    break
                time.sleep(0.2)
        os._exit(1)

    threading.Thread(target=watch, name="die-with-parent", daemon=True).start()


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Split an iterable into lists of at most `size` items."""
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
