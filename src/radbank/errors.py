"""Errors a user can fix: the CLI prints them as one line, without a traceback."""

from __future__ import annotations

from pathlib import Path


class RadbankError(Exception):
    """An error caused by the user's input or environment (bad file, bad option...).

    `settings` names the settings (TrainConfig fields, function parameters) the user can change to fix it;
    the library speaks of values and settings, and the CLI maps settings to its flags.
    """

    def __init__(self, message: str, *, settings: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.settings = settings


class BadInput(RadbankError):
    """One input file cannot be used; batches record it and carry on."""

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")
