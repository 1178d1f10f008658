#!/usr/bin/env python3
"""Build radbank's template-method resources from pydeface 2.1.0's head template and face mask (run once).

pydeface (PyPI, MIT, Poldrack lab) ships `pydeface/data/mean_reg2mean.nii.gz`, an averaged T1w head with its face,
and `facemask.nii.gz`, 1 where the head is kept and 0 over the face, on the same 176x256x256 grid (1 x 0.977 x
0.977 mm). This tool writes, on that grid reduced by 2 per axis (block means; the registration works at 4-8 mm):
  template_2mm.nii.gz   the head (int16)
  facemask_2mm.nii.gz   P(keep) of pydeface's face mask (uint8 with scaling; 1 = keep, 0 = face)
  brain_2mm.nii.gz      a conservative brain mask: the template's brain eroded well inside its surface (QC only)
  ears_2mm.nii.gz       1 on the ears (for --ears): everything lateral to the skull between the levels of the
                        external ear, drawn here because neither pydeface nor DeepDefacer has an ear mask
The brain mask comes from the template alone (threshold at its median head intensity, erode 8 voxels to cut the
scalp and skull base away, keep the largest component, grow back 5 voxels inside the threshold, fill holes,
then keep 2 mm voxels that are brain in all 8 of their 1 mm voxels): by construction at least ~3 mm inside the
brain surface, which is what a "nothing changed in the brain" check needs.

Reproduce:
  pip download --no-deps pydeface==2.1.0 -d /tmp/w && (cd /tmp/w && unzip -o -q pydeface-2.1.0-py3-none-any.whl)
  python tools/build_deface_template.py /tmp/w/pydeface/data
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import nibabel as nib
import numpy as np
from scipy import ndimage as ndi

from radbank.anonymize.deface.template_data import BRAIN, EARS, FACEMASK, TEMPLATE

SOURCES = {  # SHA-256 of pydeface 2.1.0's files
    "mean_reg2mean.nii.gz": "fdc13571d66293f9919648cd8de9a7b3491b12175e09336353d2c9ce0466ecb6",
    "facemask.nii.gz": "8cba52c32c02e0cc28dd47606f6ef581b9c9804f1ae9d412da5a4addc57f0068",
}
FACTOR = 2
EAR_MARGIN_MM = 10.0


def reduce(data: np.ndarray, affine: np.ndarray, f: int = FACTOR) -> tuple[np.ndarray, np.ndarray]:
    """Block means of f^3 voxels, and the affine of the coarser grid (voxel centres move by (f-1)/2)."""
    shape = (np.array(data.shape) // f) * f
    d = data[: shape[0], : shape[1], : shape[2]].astype(np.float64)
    d = d.reshape(shape[0] // f, f, shape[1] // f, f, shape[2] // f, f).mean(axis=(1, 3, 5))
    a = affine.copy()
    a[:3, :3] = affine[:3, :3] * f
    a[:3, 3] = affine[:3, :3] @ np.full(3, (f - 1) / 2) + affine[:3, 3]
    return d, a


def brain_mask(head: np.ndarray) -> np.ndarray:
    """A conservative brain mask of the averaged head (see the module docstring)."""
    thr = float(np.percentile(head[head > 20], 50))
    core = ndi.binary_erosion(head > 0.9 * thr, iterations=8)
    lab, n = ndi.label(core)
    sizes = ndi.sum(core, lab, range(1, n + 1))
    core = lab == int(np.argmax(sizes)) + 1
    grown = ndi.binary_dilation(core, iterations=5) & (head > 0.6 * thr)
    return np.asarray(ndi.binary_fill_holes(grown), dtype=bool)


def ear_mask(head: np.ndarray, brain: np.ndarray, keep: np.ndarray, zooms: np.ndarray) -> np.ndarray:
    """Ears on the 2 mm grid: lateral to the conservative brain mask + EAR_MARGIN_MM (outside the skull, which
    leaves the concha that lies flat on the scalp at +16 mm), between the skull base and the temples."""
    hull = ndi.binary_dilation(brain, iterations=round(EAR_MARGIN_MM / zooms[0]))
    xs = np.nonzero(brain.any(axis=(1, 2)))[0]
    ys = np.nonzero(brain.any(axis=(0, 2)))[0]
    zs = np.nonzero(brain.any(axis=(0, 1)))[0]
    mid_y = (ys[0] + ys[-1]) / 2  # the ear sits near the middle of the brain front to back
    low_z = zs[0]  # the lowest brain (cerebellum) is about the level of the ear lobe
    y = np.arange(head.shape[1])[None, :, None]
    z = np.arange(head.shape[2])[None, None, :]
    x = np.arange(head.shape[0])[:, None, None]
    band_y = np.abs(y - mid_y) * zooms[1] <= 40
    band_z = (z >= low_z - 10 / zooms[2]) & (z <= low_z + 70 / zooms[2])
    lateral = (x < xs[0]) | (x > xs[-1])
    return ~hull & band_y & band_z & lateral & (keep >= 0.5)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", type=Path, help="pydeface/data from pydeface 2.1.0")
    args = ap.parse_args()
    for name, want in SOURCES.items():
        got = hashlib.sha256((args.data / name).read_bytes()).hexdigest()
        if got != want:
            sys.exit(f"{args.data / name}: SHA-256 {got} is not pydeface 2.1.0's ({want})")
    head_img = nib.load(args.data / "mean_reg2mean.nii.gz")
    head = np.asarray(head_img.dataobj, dtype=np.float64)
    keep = np.asarray(nib.load(args.data / "facemask.nii.gz").dataobj, dtype=np.float64)
    head2, affine2 = reduce(head, head_img.affine)
    keep2, _ = reduce(keep, head_img.affine)
    brain2, _ = reduce(brain_mask(head).astype(np.float64), head_img.affine)
    brain2b = brain2 >= 1.0
    zooms = np.linalg.norm(affine2[:3, :3], axis=0)
    ears2 = ear_mask(head2, brain2b, keep2, zooms)
    TEMPLATE.parent.mkdir(parents=True, exist_ok=True)
    outputs = [
        (TEMPLATE, np.round(head2), np.int16),
        (FACEMASK, keep2, np.uint8),
        (BRAIN, brain2b, np.uint8),
        (EARS, ears2, np.uint8),
    ]
    for path, data, dtype in outputs:
        img = nib.Nifti1Image(data.astype(np.float32 if dtype == np.uint8 and path == FACEMASK else dtype), affine2)
        img.set_data_dtype(dtype)
        img.header.set_xyzt_units("mm")
        img.header["descrip"] = b"radbank from pydeface 2.1.0 (MIT)"
        nib.save(img, path)
        print(f"{path}: {data.shape}, {int(np.count_nonzero(data)):,} non-zero voxels")
    return 0


if __name__ == "__main__":
    sys.exit(main())
