"""One bad-input policy for every batch: a file that cannot be used is one line and one row, never a stop.

The policy (README, "Bad input"): a per-file problem is ONE warning line naming the file and the reason,
listed in the command's skipped/report file, and the batch goes on; a command-level problem is a
`RadbankError` (exit 2, one line); a traceback is a bug. This module is the one place that implements it.

API (for every command that walks files):

- `printable(path) -> str`: a file name as safe text. Names that are not valid UTF-8 (the file system
  hands them to Python as lone surrogates) are shown with each undecodable byte as `\\xNN`, so a log
  line, a UTF-8 CSV or the terminal never fails on them. `from_printable(text)` turns such a string
  back into the real path (the literal name wins when it exists).
- `Skipped`: a collector. `skipped.skip(path, reason)` logs exactly one warning line
  `<printable path>: <reason> (skipped)` and records `(printable path, reason)` for the command's
  skipped/report file (`skipped.rows`, or iterate it).
- `file_warnings(path)`: a context manager around the reading of ONE file; the Python warnings raised
  meanwhile (pydicom, Pillow...) become one line naming the file instead of the usual multi-line warning.
  With `emit=False` the messages are only collected (list yielded), e.g. in a worker process whose
  parent logs them with `warn_file(path, notes)`.
- `iter_files(root, skipped)`: every file under a folder, sorted, hidden files and folders left out.
  Symbolic links to files are followed; links to folders are followed once. A dangling link, a link
  loop (to itself or to a folder it lives in), a link to a folder already walked, and a folder that
  cannot be listed and special files (FIFOs, devices, sockets: reading them could block) are passed to
  `skipped.skip` with the reason, never dropped silently.
- `PRINTABLE_ERRORS`: the name of a codec error handler (registered on import) that writes lone
  surrogates of file names as `\\xNN`; pass it as `errors=` when writing text that may hold paths.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import logging
import os
import re
import stat
import warnings
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger(__name__)

PathLike = str | bytes | os.PathLike[str] | os.PathLike[bytes]
PRINTABLE_ERRORS = "radbank.printable"
_ESCAPED_BYTE = re.compile(rb"\\x([0-9a-fA-F]{2})")
SPECIAL_FILE = "not a regular file (device, FIFO or socket)"
# surrogateescape maps an undecodable byte 0xNN to the lone surrogate U+DC00 + 0xNN (0x80 <= NN <= 0xFF)
ESCAPED_LOW, ESCAPED_HIGH, ESCAPE_BASE = 0xDC80, 0xDCFF, 0xDC00


def _escape_surrogates(exc: UnicodeError) -> tuple[str, int]:
    """Codec error handler: lone surrogates U+DC80..U+DCFF (undecodable file-name bytes) -> `\\xNN`."""
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    bad = exc.object[exc.start : exc.end]
    if all(ESCAPED_LOW <= ord(c) <= ESCAPED_HIGH for c in bad):
        return "".join(f"\\x{ord(c) - ESCAPE_BASE:02x}" for c in bad), exc.end
    return "".join(f"\\u{ord(c):04x}" for c in bad), exc.end  # other lone surrogates: escaped too


codecs.register_error(PRINTABLE_ERRORS, _escape_surrogates)


def printable(path: PathLike) -> str:
    """The path as text that can always be printed and written as UTF-8 (bad bytes as `\\xNN`)."""
    text = os.fsdecode(path)
    return text.encode("utf-8", PRINTABLE_ERRORS).decode("utf-8")


def from_printable(text: str) -> str:
    """The real path for a `printable` name: the text itself if it exists, else with `\\xNN` as bytes."""
    if "\\x" not in text or os.path.lexists(text):
        return text
    raw = _ESCAPED_BYTE.sub(lambda m: bytes([int(m.group(1), 16)]), text.encode("utf-8"))
    candidate = os.fsdecode(raw)
    return candidate if os.path.lexists(candidate) else text


class Skipped:
    """The files a command leaves out, with their reasons; each is logged on one line when added."""

    def __init__(self, logger: logging.Logger | None = None, suffix: str = " (skipped)") -> None:
        self.rows: list[tuple[str, str]] = []
        self._log = logger or log
        self._suffix = suffix

    def skip(self, path: PathLike, reason: str) -> None:
        """Log `<file>: <reason> (skipped)` as one warning line and record it."""
        name = printable(path)
        reason = one_line(reason)
        self._log.warning("%s: %s%s", name, reason, self._suffix)
        self.rows.append((name, reason))

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self.rows)


def one_line(text: str) -> str:
    """A message on one line (newlines and runs of spaces folded), so that a log line stays one line."""
    return " ".join(str(text).split())


def warning_text(message: warnings.WarningMessage) -> str:
    """`Category: first line of the message`, without the source line Python would print under it."""
    first = one_line(str(message.message))
    return f"{message.category.__name__}: {first}" if first else message.category.__name__


@contextlib.contextmanager
def file_warnings(path: PathLike, emit: bool = True, logger: logging.Logger | None = None) -> Iterator[list[str]]:
    """Collect the warnings raised while one file is read; on exit log them as one line naming the file.

    Yields the list the (distinct) messages are appended to; with `emit=False` nothing is logged.
    """
    notes: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield notes
        finally:
            for message in caught:
                text = warning_text(message)
                if text not in notes:
                    notes.append(text)
            if emit:
                warn_file(path, notes, logger)


def warn_file(path: PathLike, notes: list[str], logger: logging.Logger | None = None) -> None:
    """Log the warnings of one file as one line (nothing when there are none)."""
    if notes:
        (logger or log).warning("%s: %s", printable(path), "; ".join(notes))


def _link_problem(path: Path) -> str | None:
    """Why a symbolic link cannot be followed (dangling, loop), or None when it can."""
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symbolic link loop"
        if exc.errno == errno.ENOENT:
            return f"dangling symbolic link (target {printable(os.readlink(path))} not found)"
        return f"cannot follow symbolic link ({exc.strerror or exc})"
    return None


def iter_files(root: PathLike, skipped: Skipped | None = None, hidden: bool = False) -> Iterator[Path]:
    """Every file under `root` (sorted; hidden ones left out unless `hidden`), links followed with care.

    Problems go to `skipped` (a fresh collector that only logs when None): dangling links, link loops,
    links to a folder already walked, folders that cannot be listed.
    """
    sink = skipped if skipped is not None else Skipped()
    base = Path(os.fsdecode(root))
    problem = _link_problem(base) if base.is_symlink() else None
    if problem:
        sink.skip(base, problem)
        return
    try:
        st = os.stat(base)
    except OSError as exc:
        sink.skip(base, f"cannot open ({exc.strerror or exc})")
        return
    if stat.S_ISREG(st.st_mode):
        yield base
        return
    if not stat.S_ISDIR(st.st_mode):
        sink.skip(base, SPECIAL_FILE)
        return
    yield from _walk(base, [(st.st_dev, st.st_ino)], {(st.st_dev, st.st_ino): base}, sink, hidden)


def _walk(
    folder: Path, ancestors: list[tuple[int, int]], seen: dict[tuple[int, int], Path], sink: Skipped, hidden: bool
) -> Iterator[Path]:
    try:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        sink.skip(folder, f"cannot list folder ({exc.strerror or exc})")
        return
    for entry in entries:
        if not hidden and entry.name.startswith("."):
            continue
        path = folder / entry.name
        if entry.is_symlink():
            problem = _link_problem(path)
            if problem:
                sink.skip(path, problem)
                continue
        try:
            st = os.stat(path)
        except OSError as exc:
            sink.skip(path, f"cannot read ({exc.strerror or exc})")
            continue
        if stat.S_ISREG(st.st_mode):
            yield path
            continue
        if not stat.S_ISDIR(st.st_mode):
            sink.skip(path, SPECIAL_FILE)
            continue
        ident = (st.st_dev, st.st_ino)
        if ident in ancestors:
            sink.skip(path, f"symbolic link loop (points back to {printable(seen[ident])})")
        elif ident in seen:
            sink.skip(path, f"link to a folder already walked ({printable(seen[ident])}), not read twice")
        else:
            seen[ident] = path
            yield from _walk(path, [*ancestors, ident], seen, sink, hidden)
