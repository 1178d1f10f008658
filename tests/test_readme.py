"""The README as a test: every documented command runs as typed (on small fixtures), every --help works,
and -q/-v work before or after any command. How placeholders and long jobs are mapped: readme_fixtures.py.
"""

from __future__ import annotations

import argparse
import re
import shlex
import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import readme_fixtures as fx
from radbank.cli import build_parser, main

README = fx.REPO / "README.md"
RADBANK = ("radbank", ".venv/bin/radbank")
SHELL_LANGS = ("", "sh", "bash", "shell", "console")
COMMAND_START = re.compile(r"^(\.venv/bin/|python3? |torchrun |pip )|^radbank\b")
PLACEHOLDER = re.compile(r"^[A-Z][A-Z0-9_]*(\.\.\.|\.[a-z]+)?$")


@dataclass(frozen=True)
class Documented:
    """One command as the README shows it, and where."""

    line: str
    where: str


def _blocks(text: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, lines) of each fenced code block in a shell language (or none)."""
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        fence = re.match(r"^```(\w*)\s*$", lines[i])
        if not fence:
            i += 1
            continue
        end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("```"))
        if fence.group(1) in SHELL_LANGS:
            yield i + 1, lines[i + 1 : end]
        i = end + 1


def documented_commands(text: str) -> list[Documented]:
    """Command lines of code blocks (`&&` chains split), of the Commands table and of inline spans."""
    out: list[Documented] = []
    for start, block in _blocks(text):
        if not any(COMMAND_START.match(line.strip()) for line in block):
            continue  # an output block (the demo's figures), not commands
        for k, line in enumerate(block):
            stripped = re.sub(r"\s+#.*$", "", line.strip())  # a trailing comment is not typed
            if stripped and not stripped.startswith("#"):
                out += [Documented(part.strip(), f"README.md:{start + k + 1}") for part in stripped.split(" && ")]
    prose = re.sub(r"^```.*?^```", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S | re.M)
    for m in re.finditer(r"`(radbank [^`]+)`", prose):
        span = " ".join(m.group(1).split())  # an inline span may wrap over two lines
        line_no = prose.count("\n", 0, m.start()) + 1
        in_table = prose.splitlines()[line_no - 1].startswith("| `radbank")
        if in_table or any(w.startswith("-") or PLACEHOLDER.match(w) for w in span.split()[1:]):
            out.append(Documented(span, f"README.md:{line_no}"))
    return sorted(out, key=lambda d: int(d.where.split(":")[1]))  # README order: later lines use earlier outputs


DOCUMENTED = documented_commands(README.read_text(encoding="utf-8"))


def _leaves(parser: argparse.ArgumentParser, words: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """(command words, sub-parser) of every runnable command."""
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        yield words, parser
        return
    for name, child in subs[0].choices.items():
        yield from _leaves(child, (*words, name))


LEAVES = dict(_leaves(build_parser()))


def _command_of(words: list[str]) -> tuple[str, ...]:
    for n in (2, 1):
        if tuple(words[:n]) in LEAVES:
            return tuple(words[:n])
    raise AssertionError(f"not a radbank command: {' '.join(words)}")


def expand(line: str) -> list[str]:
    """Optional `[...]` parts included, the first of `a|b` alternatives taken, a pipe's right side dropped."""
    line = line.split(" | ")[0]
    line = re.sub(r"\[([^\[\]]*)\]", r"\1", line)
    return [tok.split("|")[0] if "|" in tok else tok for tok in shlex.split(line, comments=True)]


def to_argv(doc: Documented, work: Path) -> tuple[str, ...] | None:
    """The argv to run for a documented line (fixtures built), or None for a NOT_RUN line; fails if unknown."""
    if any(doc.line.startswith(prefix) for prefix in fx.NOT_RUN):
        return None
    tokens = expand(doc.line)
    assert tokens[0] in RADBANK, f"{doc.where}: {doc.line!r} is neither a radbank command nor in NOT_RUN"
    command = _command_of(tokens[1:])
    argv: list[str] = []
    for tok in tokens[1:]:
        typed = fx.resolve(command, tok, work, tuple(tokens))
        if typed is None:
            assert tok in fx.LITERALS or not PLACEHOLDER.match(tok), (
                f"{doc.where}: placeholder {tok!r} has no mapping in readme_fixtures"
            )
            argv.append(tok)
        elif typed:
            argv.append(typed)
    return (*argv, *fx.REDUCE.get(command, []))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve_once(app: Any, **kwargs: Any) -> None:
    """Stands in for uvicorn.run: the same app and options, on a free port, until / and /healthz answer."""
    import uvicorn

    kwargs["port"] = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, **kwargs))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.started, "server did not start"
        for path in ("/healthz", "/"):
            with urllib.request.urlopen(f"http://127.0.0.1:{kwargs['port']}{path}", timeout=10) as r:
                assert r.status == 200
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("readme")
    yield root
    fx.clean(root)


_done: set[tuple[str, ...]] = set()


@pytest.mark.parametrize("doc", DOCUMENTED, ids=[d.line[:70] for d in DOCUMENTED])
def test_readme_command_runs(doc: Documented, work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    monkeypatch.chdir(work)
    monkeypatch.setattr(uvicorn, "run", _serve_once)
    argv = to_argv(doc, work)
    if argv is None or argv in _done:
        return  # NOT_RUN (with its reason in readme_fixtures), or the same command already ran
    _done.add(argv)
    assert main(list(argv)) == 0, f"{doc.where}: radbank {' '.join(argv)}"


def test_readme_lists_commands() -> None:
    """The extraction finds the README's commands (a broken extractor must not pass silently)."""
    lines = [d.line for d in DOCUMENTED]
    assert ".venv/bin/radbank demo" in lines
    assert "radbank serve radbank-demo/run" in lines
    assert sum(line.startswith("radbank ") for line in lines) >= 25


def test_unknown_placeholder_and_command_fail(tmp_path: Path) -> None:
    with pytest.raises(AssertionError, match="no mapping"):
        to_argv(Documented("radbank train NEW_DATA --out RUN", "x"), tmp_path)
    with pytest.raises(AssertionError, match="neither a radbank command"):
        to_argv(Documented("make install", "x"), tmp_path)
    with pytest.raises(AssertionError, match="not a radbank command"):
        to_argv(Documented("radbank frobnicate IN", "x"), tmp_path)


@pytest.mark.parametrize("words", sorted(LEAVES), ids=[" ".join(w) for w in sorted(LEAVES)])
def test_help_of_every_command(words: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main([*words, "--help"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.startswith("usage: radbank " + " ".join(words))


def _minimal_args(parser: argparse.ArgumentParser) -> list[str]:
    """Values for every positional and required option of a command (what it means is not checked)."""
    args: list[str] = []
    for action in parser._actions:
        value = str(action.choices[0]) if action.choices else "x"  # type: ignore[index]
        if not action.option_strings and action.dest not in ("help",):
            args.append(value)
        elif action.required:
            args += [action.option_strings[0], value]
    return args


@pytest.mark.parametrize("where", ["before", "after"])
@pytest.mark.parametrize("flag", ["-q", "-v"])
def test_quiet_and_verbose_before_or_after_every_command(
    where: str, flag: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    parser = build_parser()
    seen: list[argparse.Namespace] = []
    for _, leaf in _leaves(parser):
        leaf.set_defaults(func=lambda args: seen.append(args) or 0)
    monkeypatch.setattr("radbank.cli.build_parser", lambda: parser)
    for words, leaf in _leaves(parser):
        rest = [*words, *_minimal_args(leaf)]
        assert main([flag, *rest] if where == "before" else [*rest, flag]) == 0, words
        args = seen.pop()
        assert args.quiet is (flag == "-q"), words
        assert args.verbose is (flag == "-v"), words
