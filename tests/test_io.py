"""Reading images: formats, bit depths, DICOM display pipeline, and every kind of bad file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from helpers import (
    gradient,
    voi_lut_item,
    write_dicom,
    write_huge_png_header,
    write_png8,
    write_png16,
    write_truncated_png,
)
from radbank.errors import BadInput
from radbank.io import read_image
from radbank.io.dicom import window


def test_png8_reads_as_unit_range(tmp_path: Path) -> None:
    img = read_image(write_png8(tmp_path / "a.png"))
    assert img.shape == (40, 50)
    assert img.dtype == np.float32
    assert img[0, 0] == 0.0
    assert img[0, -1] == 1.0


def test_png16_uses_full_range_or_sbit(tmp_path: Path) -> None:
    full = read_image(write_png16(tmp_path / "full.png"))
    assert full[0, -1] == pytest.approx(1.0)
    assert full[0, 0] == 0.0
    # 12-bit data stored in 16 bits, declared by sBIT: 4095 must read as white, not as 1/16 grey.
    twelve = read_image(write_png16(tmp_path / "twelve.png", sbit=12))
    assert twelve[0, -1] == pytest.approx(1.0)
    np.testing.assert_allclose(twelve, full, atol=1e-3)


def test_rgb_and_jpeg_become_grayscale(tmp_path: Path) -> None:
    rgb = np.zeros((20, 30, 3), np.uint8)
    rgb[..., 1] = 200  # pure green -> luma 0.587 * 200
    Image.fromarray(rgb).save(tmp_path / "c.png")
    Image.fromarray(rgb).save(tmp_path / "c.jpg", quality=95)
    assert read_image(tmp_path / "c.png")[5, 5] == pytest.approx(0.587 * 200 / 255, abs=2 / 255)
    assert read_image(tmp_path / "c.jpg")[5, 5] == pytest.approx(0.587 * 200 / 255, abs=4 / 255)


def test_extension_is_not_trusted(tmp_path: Path) -> None:
    png = write_png8(tmp_path / "x.png")
    disguised = tmp_path / "x.jpg"
    disguised.write_bytes(png.read_bytes())
    np.testing.assert_array_equal(read_image(disguised), read_image(png))


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda p: p.write_bytes(b""), "empty file"),
        (lambda p: p.write_text("patient notes, not an image\n"), "not an image"),
        (write_truncated_png, "truncated"),
        (write_huge_png_header, "too large"),
        (lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40), "png"),
    ],
    ids=["zero-byte", "text", "truncated", "bomb", "garbage-after-signature"],
)
def test_bad_files_raise_one_line_reason_naming_file(tmp_path: Path, make, reason: str) -> None:
    path = tmp_path / "bad.png"
    make(path)
    with pytest.raises(BadInput) as info:
        read_image(path)
    message = str(info.value)
    assert message.startswith(str(path))
    assert "\n" not in message
    assert reason.lower() in message.lower()


def test_max_pixels_limit_is_configurable(tmp_path: Path) -> None:
    path = write_png8(tmp_path / "a.png")  # 50 x 40 = 2000 pixels
    with pytest.raises(BadInput, match="too large"):
        read_image(path, max_pixels=1999)
    assert read_image(path, max_pixels=2000).shape == (40, 50)


def test_folder_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="folder"):
        read_image(tmp_path)
    with pytest.raises(BadInput, match="cannot open"):
        read_image(tmp_path / "missing.png")


# --- DICOM -----------------------------------------------------------------------------------------

RAMP12 = (gradient(16, 64) * 4095).round().astype(np.uint16)


def test_dicom_monochrome2_min_max_when_no_window(tmp_path: Path) -> None:
    img = read_image(write_dicom(tmp_path / "m2.dcm", RAMP12))
    assert img[0, 0] == 0.0
    assert img[0, -1] == 1.0
    assert np.all(np.diff(img[0]) >= 0)


def test_dicom_monochrome1_is_inverted(tmp_path: Path) -> None:
    m2 = read_image(write_dicom(tmp_path / "m2.dcm", RAMP12))
    m1 = read_image(write_dicom(tmp_path / "m1.dcm", RAMP12, photometric="MONOCHROME1"))
    np.testing.assert_allclose(m1, 1.0 - m2, atol=1e-6)


def test_dicom_bits_stored_masks_high_bits(tmp_path: Path) -> None:
    # Garbage in the 4 bits above BitsStored=12 (e.g. overlay bits) must be ignored.
    dirty = RAMP12 | np.uint16(0xF000)
    np.testing.assert_allclose(
        read_image(write_dicom(tmp_path / "d.dcm", dirty)),
        read_image(write_dicom(tmp_path / "c.dcm", RAMP12)),
        atol=1e-6,
    )


def test_dicom_window_linear(tmp_path: Path) -> None:
    img = read_image(write_dicom(tmp_path / "w.dcm", RAMP12, WindowCenter=1024, WindowWidth=1024))
    values = RAMP12[0].astype(float)
    expected = window(values, 1024, 1024)
    np.testing.assert_allclose(img[0], expected, atol=1e-6)
    assert img[0][values < 512].max() == 0.0
    assert img[0][values > 1536].min() == 1.0


def test_dicom_rescale_before_window(tmp_path: Path) -> None:
    # Stored 0..4095 with slope 2, intercept -1000 -> -1000..7190; a window on *rescaled* values.
    img = read_image(
        write_dicom(tmp_path / "r.dcm", RAMP12, RescaleSlope=2, RescaleIntercept=-1000, WindowCenter=0, WindowWidth=2)
    )
    rescaled = RAMP12[0].astype(float) * 2 - 1000
    assert img[0][rescaled < -1].max() == 0.0
    assert img[0][rescaled > 1].min() == 1.0


def test_dicom_voi_lut_sequence(tmp_path: Path) -> None:
    # A LUT mapping stored values 0..4095 through a reversed 8-bit ramp: output decreasing.
    lut = list(range(255, -1, -1))
    item = voi_lut_item([256, 0, 8], lut)
    stored = np.tile(np.arange(256, dtype=np.uint16), (4, 1))
    img = read_image(write_dicom(tmp_path / "v.dcm", stored, bits_stored=8, VOILUTSequence=[item]))
    np.testing.assert_allclose(img[0], np.array(lut) / 255.0, atol=1e-6)


def test_dicom_window_function_variants() -> None:
    x = np.array([0.0, 50.0, 100.0])
    np.testing.assert_allclose(window(x, 50, 100, "LINEAR_EXACT"), [0.0, 0.5, 1.0])
    # PS3.3 C.11.2.1.3.1: y = 1 / (1 + exp(-4 (x - c) / w)): 1/(1+e^2) at the lower window edge.
    sig = window(x, 50, 100, "SIGMOID")
    np.testing.assert_allclose(sig, [1 / (1 + np.e**2), 0.5, 1 / (1 + np.e**-2)])


def test_dicom_without_preamble_read_by_extension(tmp_path: Path) -> None:
    img = read_image(write_dicom(tmp_path / "raw.dcm", RAMP12, preamble=False))
    assert img[0, -1] == 1.0


def test_dicom_bad_inputs(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="no pixel data"):
        read_image(write_dicom(tmp_path / "nopix.dcm", RAMP12, pixel_data=False))
    with pytest.raises(BadInput, match="PhotometricInterpretation"):
        read_image(write_dicom(tmp_path / "pal.dcm", RAMP12, photometric="PALETTE COLOR"))
    good = write_dicom(tmp_path / "good.dcm", RAMP12)
    cut = tmp_path / "cut.dcm"
    cut.write_bytes(good.read_bytes()[:-500])
    with pytest.raises(BadInput, match=r"cut\.dcm"):
        read_image(cut)


def test_pydicom_bundled_files_decode() -> None:
    from pydicom.data import get_testdata_file

    for name in ("CT_small.dcm", "MR_small.dcm"):
        path = get_testdata_file(name, download=False)
        if path is None:
            pytest.skip(f"{name} not bundled with this pydicom")
        img = read_image(path)
        assert img.min() >= 0.0
        assert img.max() <= 1.0
        assert img.std() > 0.05
