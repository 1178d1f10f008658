"""The dependency rule between layers (docs/design.md), checked on the source: the library never imports the
commands that drive it, only the CLI imports the CLI, and no two modules import each other at import time."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"
CLI = ("radbank.cli", "radbank.__main__")  # and every radbank.cli_* module
DRIVERS = (
    "radbank.train",
    "radbank.evaluate",
    "radbank.predict",
    "radbank.explain",
    "radbank.demo",
    "radbank.subset",
    "radbank.serve",
)
LIBRARY = (
    "radbank.anonymize",
    "radbank.text",
    "radbank.findings",
    "radbank.risk",
    "radbank.mids",
    "radbank.sources",
    "radbank.data",
    "radbank.models",
    "radbank.io",
    "radbank.phantom",
    "radbank.report",
    "radbank.metrics",
    "radbank.tasks",
    "radbank.engine",
    "radbank.config",
    "radbank.runmeta",
    "radbank.errors",
    "radbank.fsutil",
    "radbank.badinput",
    "radbank.parallel",
    "radbank.tables",
    "radbank.cluster_bootstrap",
    "radbank.device",
    "radbank.distributed",
    "radbank.progress",
    "radbank.resources",
    "radbank.runs",
)


def _module(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module(p): p for p in (SRC / "radbank").rglob("*.py")}


def _imports(path: Path, top_level_only: bool = False) -> set[str]:
    """radbank modules imported by a file (anywhere in it, or only at import time)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    out: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("radbank"):
            out.add(node.module)
            out.update(f"{node.module}.{a.name}" for a in node.names if f"{node.module}.{a.name}" in MODULES)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("radbank"))
    return {m for m in out if m in MODULES}


def _within(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _is_cli(module: str) -> bool:
    return _within(module, CLI) or module.startswith("radbank.cli_")


def test_the_library_never_imports_the_commands_or_the_cli() -> None:
    bad = sorted(
        f"{m} -> {i}"
        for m, p in MODULES.items()
        if _within(m, LIBRARY)
        for i in _imports(p)
        if _within(i, DRIVERS) or _is_cli(i)
    )
    assert bad == []


def test_only_the_cli_imports_the_cli() -> None:
    bad = sorted(f"{m} -> {i}" for m, p in MODULES.items() if not _is_cli(m) for i in _imports(p) if _is_cli(i))
    assert bad == []


def test_no_import_time_cycles() -> None:
    graph = {m: _imports(p, top_level_only=True) for m, p in MODULES.items()}
    seen: set[str] = set()

    def cycle_from(start: str, path: tuple[str, ...]) -> tuple[str, ...] | None:
        for nxt in sorted(graph.get(start, ())):
            if nxt in path:
                return (*path[path.index(nxt) :], nxt)
            if nxt not in seen:
                found = cycle_from(nxt, (*path, nxt))
                if found:
                    return found
        seen.add(start)
        return None

    cycles = [c for m in sorted(graph) if m not in seen and (c := cycle_from(m, (m,)))]
    assert cycles == []


def test_every_module_is_in_a_layer() -> None:
    """A new top-level module must be placed in a layer above (and in docs/design.md)."""
    loose = sorted(m for m in MODULES if m != "radbank" and not (_within(m, LIBRARY + DRIVERS) or _is_cli(m)))
    assert loose == []
