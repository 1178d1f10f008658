"""Atomic file writes: write to a temporary name in the same folder, then rename.

An interrupted run therefore never leaves a file that looks complete.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# mkstemp creates files readable by the owner only; outputs follow the user's umask instead.
FILE_MODE = 0o666 & ~_umask()


# Temporary files of atomic writes in progress in this process, removed by `discard_unfinished` when a
# worker must die at once (its owner was killed), so that no `.part` file is left behind.
_UNFINISHED: set[Path] = set()


def discard_unfinished() -> None:
    """Remove the temporary files of this process's unfinished atomic writes (before a hard exit)."""
    for tmp in list(_UNFINISHED):
        with contextlib.suppress(OSError):
            tmp.unlink()


@contextlib.contextmanager
def atomic_path(path: str | Path, mode: int = FILE_MODE) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success rename it to `path`, else delete it.

    The file gets `mode` (default: 0666 less the umask; pass 0o600 for secrets) before any byte is written.
    """
    target = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    except FileNotFoundError:  # the folder is missing: create it (only then, to save a system call per file)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.fchmod(fd, mode)
    os.close(fd)
    tmp_path = Path(tmp)
    _UNFINISHED.add(tmp_path)
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise
    finally:
        _UNFINISHED.discard(tmp_path)


def write_bytes(path: str | Path, data: bytes) -> None:
    """Write bytes atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_text(path: str | Path, text: str) -> None:
    """Write UTF-8 text atomically."""
    write_bytes(path, text.encode("utf-8"))


def write_text_if_changed(path: str | Path, text: str) -> bool:
    """Write UTF-8 text atomically unless the file already holds exactly it (reruns touch nothing)."""
    data = text.encode("utf-8")
    try:
        if Path(path).read_bytes() == data:
            return False
    except OSError:
        pass
    write_bytes(path, data)
    return True


def write_json(path: str | Path, obj: Any) -> None:
    """Write JSON (indented, UTF-8, NaN rejected) atomically."""
    write_text(path, json.dumps(obj, indent=2, ensure_ascii=False, allow_nan=False) + "\n")


def read_json(path: str | Path) -> Any:
    """Read a JSON file, turning a missing or malformed file into a one-line RadbankError."""
    from radbank.errors import RadbankError

    p = Path(path)
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RadbankError(f"{p}: file not found") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RadbankError(f"{p}: not valid JSON ({exc})") from None


def is_hidden(path: Path) -> bool:
    """True for dot-files and files inside dot-folders (e.g. .DS_Store, .git); pass a relative path."""
    return any(part.startswith(".") for part in path.parts)
