"""One way to run a function over many items in worker processes, keeping the input order."""

from __future__ import annotations

import multiprocessing as mp
import os
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
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=die_with_parent) as pool:
        yield from pool.map(fn, items, chunksize=chunksize)


def die_with_parent() -> None:
    """Worker initializer (Linux): be killed when the process that started us dies, even by SIGKILL.

    Workers are children of the forkserver, which exits as soon as the main process is gone; without this
    they would go on with their queued items, writing under PID 1."""
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: nothing to do
        return
    if os.getppid() == 1:  # the parent died before prctl took effect
        os._exit(1)


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
