"""The uint8 image cache: each source image decoded once, stored at the working size, memory-mapped.

Layout, one folder per preprocessing setting (`<root>/pp-<digest>/`):
  pixels.u8     rows of size*size bytes, append-only (np.memmap for reading)
  index.sqlite  key -> row, and key -> reason for files that could not be decoded

A key is a hash of the file's absolute path, size and mtime: editing or replacing a file makes a
new key, so stale pixels are never served. Appends hold an exclusive lock; a row is indexed only
after its bytes are written, so a crash leaves at most unindexed bytes, never a wrong image.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from radbank.badinput import warn_file
from radbank.data.preprocess import Preprocess, decode_task
from radbank.io import DEFAULT_MAX_PIXELS
from radbank.parallel import batched, map_parallel

log = logging.getLogger(__name__)

APPEND_BATCH = 256


def default_cache_root() -> Path:
    """$RADBANK_CACHE, else $XDG_CACHE_HOME/radbank, else ~/.cache/radbank."""
    env = os.environ.get("RADBANK_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "radbank"


def file_key(path: str | Path) -> str:
    """Cache key of a source file: its absolute path, size and modification time."""
    p = os.fsencode(os.path.abspath(path))  # bytes: names that are not valid UTF-8 hash like the others
    st = os.stat(p)
    return hashlib.sha1(p + f"\0{st.st_size}\0{st.st_mtime_ns}".encode()).hexdigest()


@dataclass
class LoadResult:
    """Images for the paths that decoded, and the reasons for those that did not."""

    images: NDArray[Any]  # (n_ok, size, size) uint8
    ok: NDArray[Any]  # bool per input path
    errors: dict[int, str] = field(default_factory=dict)  # input index -> reason
    decoded: int = 0  # how many were decoded now (cache misses)


class ImageCache:
    """Append-only store of preprocessed uint8 images for one preprocessing setting."""

    def __init__(self, root: str | Path, pp: Preprocess) -> None:
        self.pp = pp
        self.dir = Path(root) / f"pp-{pp.digest()}"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.pixels = self.dir / "pixels.u8"
        self.row_bytes = pp.size * pp.size
        self._db = sqlite3.connect(self.dir / "index.sqlite", timeout=60)
        self._db.executescript(
            "CREATE TABLE IF NOT EXISTS rows (key TEXT PRIMARY KEY, row INTEGER NOT NULL);"
            "CREATE TABLE IF NOT EXISTS bad (key TEXT PRIMARY KEY, reason TEXT NOT NULL);"
        )

    def close(self) -> None:
        self._db.close()

    def lookup(self, keys: Sequence[str]) -> tuple[NDArray[Any], dict[int, str]]:
        """Rows for keys (-1 when absent) and the recorded failures (index -> reason)."""
        rows_by_key = dict(self._db.execute("SELECT key, row FROM rows"))
        bad_by_key = dict(self._db.execute("SELECT key, reason FROM bad"))
        rows = np.array([rows_by_key.get(k, -1) for k in keys], dtype=np.int64)
        bad = {i: bad_by_key[k] for i, k in enumerate(keys) if k in bad_by_key}
        return rows, bad

    def read(self, rows: NDArray[Any]) -> NDArray[Any]:
        """Gather rows into one (n, size, size) uint8 array in memory."""
        if len(rows) == 0:
            return np.zeros((0, self.pp.size, self.pp.size), np.uint8)
        n_rows = self.pixels.stat().st_size // self.row_bytes
        mm = np.memmap(self.pixels, dtype=np.uint8, mode="r", shape=(n_rows, self.pp.size, self.pp.size))
        order = np.argsort(rows)  # read the file front to back
        out = np.empty((len(rows), self.pp.size, self.pp.size), np.uint8)
        out[order] = mm[rows[order]]
        del mm
        return out

    def append(self, keys: Sequence[str], arrays: Sequence[NDArray[Any] | None], reasons: Sequence[str | None]) -> None:
        """Store decoded arrays (and failure reasons) for keys, atomically with respect to the index."""
        with self._locked():
            size = self.pixels.stat().st_size if self.pixels.exists() else 0
            start = size // self.row_bytes
            good = [(k, a) for k, a in zip(keys, arrays, strict=True) if a is not None]
            with open(self.pixels, "ab") as fh:
                if size % self.row_bytes:  # bytes of an interrupted append: drop them
                    fh.truncate(start * self.row_bytes)
                for _, arr in good:
                    fh.write(np.ascontiguousarray(arr, np.uint8).tobytes())
                fh.flush()
                os.fsync(fh.fileno())
            with self._db:
                self._db.executemany(
                    "INSERT OR REPLACE INTO rows VALUES (?, ?)", [(k, start + i) for i, (k, _) in enumerate(good)]
                )
                self._db.executemany(
                    "INSERT OR REPLACE INTO bad VALUES (?, ?)",
                    [(k, r) for k, a, r in zip(keys, arrays, reasons, strict=True) if a is None and r],
                )

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with open(self.dir / "lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


def load_images(
    paths: Sequence[str],
    pp: Preprocess,
    cache_root: str | Path | None = None,
    workers: int = 0,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    progress: Callable[[int], None] | None = None,
) -> LoadResult:
    """Return preprocessed uint8 images for paths, decoding only what the cache lacks (in parallel).

    Files that cannot be read are reported in `errors` and left out of `images`.
    """
    cache = ImageCache(cache_root or default_cache_root(), pp)
    try:
        keys: dict[int, str] = {}  # input index -> key, for files that exist
        errors: dict[int, str] = {}
        for i, p in enumerate(paths):
            try:
                keys[i] = file_key(p)
            except OSError as exc:
                errors[i] = f"cannot read ({exc.strerror or exc})"
        valid = list(keys)
        rows, bad = cache.lookup([keys[i] for i in valid])
        todo = [valid[j] for j in range(len(valid)) if rows[j] < 0 and j not in bad]
        for j, reason in bad.items():
            errors[valid[j]] = reason
        if progress:
            progress(len(paths) - len(todo))
        tasks = [(str(paths[i]), pp, max_pixels) for i in todo]
        results = map_parallel(decode_task, tasks, workers=workers)
        for chunk in batched(zip(todo, results, strict=True), APPEND_BATCH):
            cache.append(
                [keys[i] for i, _ in chunk],
                [r.array for _, r in chunk],
                [r.reason if r.permanent else None for _, r in chunk],
            )
            for i, r in chunk:
                warn_file(paths[i], r.warnings, log)
                if r.array is None:
                    errors[i] = r.reason or "cannot decode"
            if progress:
                progress(len(chunk))
        rows, _ = cache.lookup([keys.get(i, "") for i in range(len(paths))])
        ok = rows >= 0
        return LoadResult(cache.read(rows[ok]), ok, dict(sorted(errors.items())), decoded=len(todo))
    finally:
        cache.close()
