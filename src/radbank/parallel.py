"""One way to run a function over many items in worker processes, keeping the input order.

Workers die with the process that started the pool (its owner), even when the owner is killed with
SIGKILL. Each worker runs a watchdog thread blocked on multiprocessing's parent sentinel: a pipe whose
write end only the owner holds, so the read end becomes ready the moment the owner is gone. The worker
then removes the temporary files of its unfinished atomic writes (`radbank.fsutil.atomic_path`) and
exits at once, so nothing is written after the owner's death. Once the workers are gone, the
forkserver exits too (it lives only while a process holds its "alive" pipe: the owner and the workers).

Linux's prctl(PR_SET_PDEATHSIG) does not help here: a worker's parent is the forkserver, not the owner,
and the forkserver outlives the owner for as long as a worker lives.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.connection import wait
from multiprocessing.context import BaseContext
from types import FrameType
from typing import TypeVar

from radbank.fsutil import discard_unfinished

T = TypeVar("T")
R = TypeVar("R")

# Below this many items, starting processes costs more than it saves.
MIN_PARALLEL_ITEMS = 48


def _exit_now(signum: int = 0, frame: FrameType | None = None) -> None:
    """End this worker at once: unfinished atomic writes are removed, nothing else runs."""
    discard_unfinished()
    os._exit(1)


def _watch(sentinel: int) -> None:
    wait([sentinel])  # returns when the owner has exited, however it died
    _exit_now()


def die_with_owner() -> None:
    """Worker initializer: end this process as soon as the process that started the pool is gone."""
    signal.signal(signal.SIGTERM, _exit_now)  # the pool's own terminate() also cleans up
    owner = mp.parent_process()
    if owner is None or owner.sentinel is None:
        return
    threading.Thread(target=_watch, args=(owner.sentinel,), name="radbank-owner-watch", daemon=True).start()


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
    (safe beside torch's threads), else `spawn`; they die with this process (see the module docstring).
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
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=die_with_owner) as pool:
        yield from pool.map(fn, items, chunksize=chunksize)


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
