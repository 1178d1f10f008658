"""Progress bars on stderr (tqdm), shown only while radbank's logger prints info messages (not under --quiet)."""

from __future__ import annotations

import logging
import sys
from typing import Any

from tqdm.auto import tqdm


def bar(total: int | None, desc: str, unit: str = "img", **kwargs: Any) -> tqdm:
    """A progress bar on a terminal; a disabled one when info messages are off (--quiet) or stderr is no terminal."""
    quiet = not logging.getLogger("radbank").isEnabledFor(logging.INFO)
    return tqdm(
        total=total,
        desc=desc,
        unit=unit,
        disable=True if quiet else None,
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
