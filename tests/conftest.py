"""Shared fixtures: an isolated cache, and small phantom datasets generated once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from radbank.phantom import PhantomSpec, generate


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Never touch the user's ~/.cache: each test gets its own cache root."""
    root = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("RADBANK_CACHE", str(root))
    return root


@pytest.fixture(scope="session")
def phantom120(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """120 synthetic radiographs in the tutorial's layout (generated once)."""
    return generate(tmp_path_factory.mktemp("phantom120"), PhantomSpec(n=120, seed=3), workers=1)


@pytest.fixture(scope="session")
def trained_run(phantom120: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small binary run on phantom120 (32 px, 2 epochs), trained once per session."""
    from radbank.cli import main

    run = tmp_path_factory.mktemp("cli") / "run"
    assert (
        main(
            [
                "train",
                str(phantom120),
                "--out",
                str(run),
                "--size",
                "32",
                "--epochs",
                "2",
                "--workers",
                "1",
                "--cache",
                str(run.parent / "cache"),
                "-q",
            ]
        )
        == 0
    )
    return run
