"""The issue list of a validation run, and the readers it uses that turn bad files into issues."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from radbank.badinput import printable


@dataclass(frozen=True)
class Issue:
    """One problem found: level ('error' or 'warning'), the path relative to the root, and what is wrong."""

    level: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.level.upper():7} {self.path}: {self.message}"


class Checker:
    """Collects issues for the tree at `root`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.issues: list[Issue] = []

    def error(self, path: Path | str, message: str) -> None:
        self.issues.append(Issue("error", self._rel(path), message))

    def warn(self, path: Path | str, message: str) -> None:
        self.issues.append(Issue("warning", self._rel(path), message))

    def _rel(self, path: Path | str) -> str:
        p = Path(path)
        rel = p.relative_to(self.root).as_posix() if p.is_absolute() and p.is_relative_to(self.root) else str(p)
        return printable(rel)

    def tsv(self, path: Path, required: tuple[str, ...], one_of: tuple[str, ...] = ()) -> list[dict[str, str]] | None:
        """Rows of a TSV after checking its shape (and that it has `required` columns and one of `one_of`),
        or None when it cannot be used."""
        try:
            lines = path.read_text("utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            self.error(path, f"cannot be read as UTF-8 text ({exc.__class__.__name__})")
            return None
        if not lines:
            self.error(path, "empty file (a header row is required)")
            return None
        header = lines[0].split("\t")
        missing = [c for c in required if c not in header]
        if one_of and not any(c in header for c in one_of):
            missing.append(one_of[0])
        if missing:
            self.error(path, f"missing required column(s) {', '.join(missing)}")
            return None
        rows = []
        for n, line in enumerate(lines[1:], start=2):
            cells = line.split("\t")
            if len(cells) != len(header):
                self.error(path, f"line {n} has {len(cells)} cells, the header {len(header)}")
                continue
            if any(c.strip() == "" for c in cells):
                self.error(path, f"line {n} has an empty cell (write n/a for missing values)")
            rows.append(dict(zip(header, cells, strict=True)))
        return rows

    def json(self, path: Path) -> dict[str, object] | None:
        try:
            obj = json.loads(path.read_text("utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            self.error(path, f"not valid JSON ({str(exc).splitlines()[0]})")
            return None
        if not isinstance(obj, dict):
            self.error(path, "must hold a JSON object")
            return None
        return obj
