"""The repository's own text files: no merge left half-done."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SUFFIXES = {".py", ".md", ".toml", ".cfg", ".yaml", ".yml", ".json", ".tsv", ".csv", ".txt", ".html"}
MARKER = re.compile(r"^(<{7} |>{7} |={7}$)", re.M)


def _text_files() -> list[Path]:
    skip = {".venv", ".git", ".mypy_cache", ".ruff_cache", ".pytest_cache", "radbank-demo", "build", "dist"}
    return [
        p for p in REPO.rglob("*") if p.suffix in SUFFIXES and p.is_file() and not skip & set(p.relative_to(REPO).parts)
    ]


def test_there_are_files_to_check() -> None:
    assert len(_text_files()) > 50


def test_no_merge_conflict_markers() -> None:
    marked = [str(p.relative_to(REPO)) for p in _text_files() if MARKER.search(p.read_text("utf-8", "replace"))]
    assert marked == []
