"""Progress bars on stderr (tqdm), silenced by --quiet."""

from __future__ import annotations

import logging
import sys
from typing import Any

from tqdm.auto import tqdm

_QUIET = False


def set_quiet(quiet: bool) -> None:
    """Silence (or restore) every progress bar of this process; the CLI's --quiet calls this."""
    global _QUIET
    _QUIET = quiet


def bar(total: int | None, desc: str, unit: str = "img", **kwargs: Any) -> tqdm:
    """A progress bar on a terminal; a disabled one under --quiet or when stderr is not a terminal."""
    return tqdm(
        total=total,
        desc=desc,
        unit=unit,
        disable=True if _QUIET else None,
        leave=False,
        dynamic_ncols=True,
        mininterval=0.5,
        **kwargs,
    )


class TqdmHandler(logging.Handler):
    """Log records printed above any active progress bar instead of through it."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            tqdm.write(self.format(record), file=sys.stderr)
        except Exception:
            self.handleError(record)
