"""The uint8 cache: decode once, reuse, invalidate on change, remember bad files, survive crashes."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

import radbank.data.preprocess as preprocess_mod
from helpers import write_png8
from radbank.data.cache import ImageCache, load_images
from radbank.data.preprocess import Preprocess


def _images(root: Path, n: int = 6) -> list[str]:
    rng = np.random.default_rng(0)
    return [str(write_png8(root / f"img{i}.png", rng.random((64, 48)))) for i in range(n)]


def test_cold_then_warm_never_decodes_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    paths = _images(tmp_path / "src")
    pp = Preprocess(size=32)
    cold = load_images(paths, pp, tmp_path / "cache", workers=1)
    assert cold.decoded == 6
    assert cold.images.shape == (6, 32, 32)
    assert cold.images.dtype == np.uint8

    def boom(*args: object, **kwargs: object) -> None:
        raise AssertionError("a warm load must not decode image files")

    monkeypatch.setattr(preprocess_mod, "load_gray", boom)
    warm = load_images(paths, pp, tmp_path / "cache", workers=1)
    assert warm.decoded == 0
    np.testing.assert_array_equal(warm.images, cold.images)


def test_changed_file_or_setting_invalidates(tmp_path: Path) -> None:
    paths = _images(tmp_path / "src")
    pp = Preprocess(size=32)
    first = load_images(paths, pp, tmp_path / "cache", workers=1)
    write_png8(Path(paths[2]), np.zeros((64, 48)))  # new content
    st = os.stat(paths[2])
    os.utime(paths[2], ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    again = load_images(paths, pp, tmp_path / "cache", workers=1)
    assert again.decoded == 1
    assert again.images[2].max() == 0
    np.testing.assert_array_equal(again.images[[0, 1, 3]], first.images[[0, 1, 3]])
    bigger = load_images(paths, Preprocess(size=40), tmp_path / "cache", workers=1)
    assert bigger.decoded == 6
    assert bigger.images.shape[1:] == (40, 40)


def test_bad_files_reported_and_remembered(tmp_path: Path) -> None:
    paths = _images(tmp_path / "src", 3)
    bad = tmp_path / "src" / "bad.png"
    bad.write_bytes(b"")
    paths.insert(1, str(bad))
    paths.append(str(tmp_path / "src" / "gone.png"))
    res = load_images(paths, Preprocess(size=16), tmp_path / "cache", workers=1)
    assert list(res.ok) == [True, False, True, True, False]
    assert len(res.images) == 3
    assert "empty file" in res.errors[1]
    assert "cannot read" in res.errors[4]
    rerun = load_images(paths, Preprocess(size=16), tmp_path / "cache", workers=1)
    assert rerun.decoded == 0
    assert rerun.errors == res.errors


def test_interrupted_append_leaves_no_wrong_image(tmp_path: Path) -> None:
    paths = _images(tmp_path / "src", 4)
    pp = Preprocess(size=16)
    load_images(paths[:2], pp, tmp_path / "cache", workers=1)
    cache = ImageCache(tmp_path / "cache", pp)
    with open(cache.pixels, "ab") as fh:  # a crash mid-append: half a row, never indexed
        fh.write(b"\xff" * 100)
    cache.close()
    res = load_images(paths, pp, tmp_path / "cache", workers=1)
    direct = [preprocess_mod.preprocess_file(p, pp) for p in paths]
    np.testing.assert_array_equal(res.images, np.stack(direct))
    assert os.path.getsize(cache.pixels) == 4 * 16 * 16


def test_parallel_decoding_matches_serial(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    paths = [str(write_png8(tmp_path / "src" / f"{i}.png", rng.random((30, 30)))) for i in range(60)]
    serial = load_images(paths, Preprocess(size=20), tmp_path / "c1", workers=1)
    parallel = load_images(paths, Preprocess(size=20), tmp_path / "c2", workers=2)
    np.testing.assert_array_equal(serial.images, parallel.images)
