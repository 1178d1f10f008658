#!/usr/bin/env python3
"""Training throughput: how close radbank's loop gets to what the device can compute.

For each (model, size) it measures images/s of
  (a) the model alone: forward + backward + optimizer step on random tensors already on the device
      (the compute bound), with the same settings radbank uses (channels_last; bf16 autocast and
      fused AdamW on CUDA);
  (b) radbank's training loop (`radbank.engine.train_one_epoch` over `TensorBatches`): batches
      gathered from a uint8 image tensor on the device, converted, normalised;
  (c) a plain ImageFolder-style DataLoader that decodes and resizes PNG files every epoch
      (`--loader-workers` processes), feeding the same training step.
Target (issue 3): (b) >= 0.9 x (a).

Usage:
  python benchmarks/train_throughput.py                      # CPU, small and quick
  python benchmarks/train_throughput.py --device cuda --batch 256 --files 2000 --source-size 1024 \\
      --loader-workers 16 --seconds 20
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from radbank.data.batches import TensorBatches
from radbank.device import configure, resolve_device
from radbank.engine import train_one_epoch, train_step
from radbank.models import create_model
from radbank.runmeta import Normalisation

CONFIGS = [("seedcnn", 100), ("densenet121", 224)]


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _make(name: str, size: int, device: torch.device) -> tuple[torch.nn.Module, torch.optim.Optimizer]:
    torch.manual_seed(0)
    model = create_model(name, num_outputs=1, size=size).to(device=device, memory_format=torch.channels_last)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, fused=device.type == "cuda")
    return model, opt


def _timed(step: Callable[[], int], seconds: float, device: torch.device, warmup: int = 3) -> float:
    for _ in range(warmup):
        step()
    _sync(device)
    images, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds or images == 0:
        images += step()
    _sync(device)
    return images / (time.perf_counter() - started)


def compute_bound(name: str, size: int, batch: int, device: torch.device, seconds: float) -> float:
    model, opt = _make(name, size, device)
    model.train()
    x = torch.randn(batch, 1, size, size, device=device).contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, 2, (batch,), device=device)

    def step() -> int:
        train_step(model, opt, "binary", x, y, device)
        return batch

    return _timed(step, seconds, device)


def radbank_loop(name: str, size: int, batch: int, device: torch.device, seconds: float, n_images: int) -> float:
    model, opt = _make(name, size, device)
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (n_images, size, size), dtype=np.uint8)
    targets = rng.integers(0, 2, n_images)
    batches = TensorBatches(images, targets, batch, Normalisation(0.5, 0.25), device, shuffle=True)
    epoch = [0]

    def step() -> int:
        epoch[0] += 1
        res = train_one_epoch(model, opt, batches, "binary", 0.5, seed=epoch[0], lr_of_step=lambda s: 1e-3)
        return res.images

    return _timed(step, seconds, device, warmup=1)


class FolderDataset(torch.utils.data.Dataset):
    """What a plain ImageFolder pipeline does: open, decode, grayscale, resize, to tensor, every time."""

    def __init__(self, files: list[Path], size: int) -> None:
        self.files, self.size = files, size

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        with Image.open(self.files[i]) as img:
            arr = np.asarray(img.convert("L").resize((self.size, self.size), Image.Resampling.BILINEAR))
        x = torch.from_numpy(arr.astype(np.float32) / 255.0).unsqueeze(0)
        return (x - 0.5) / 0.25, i % 2


def decoding_loader(
    name: str, size: int, batch: int, device: torch.device, seconds: float, files: list[Path], workers: int
) -> float:
    model, opt = _make(name, size, device)
    model.train()
    loader = torch.utils.data.DataLoader(
        FolderDataset(files, size),
        batch_size=batch,
        shuffle=True,
        num_workers=workers,
        pin_memory=device.type == "cuda",
        persistent_workers=workers > 0,
        drop_last=True,
    )
    it = iter(loader)

    def step() -> int:
        nonlocal it
        try:
            x, y = next(it)
        except StopIteration:
            it = iter(loader)
            x, y = next(it)
        x = x.to(device, non_blocking=True).contiguous(memory_format=torch.channels_last)
        y = y.to(device, non_blocking=True)
        train_step(model, opt, "binary", x, y, device)
        return len(y)

    return _timed(step, seconds, device, warmup=2)


def write_pngs(folder: Path, n: int, source_size: int) -> list[Path]:
    """Phantom radiographs upscaled to `source_size` (NIH's are 1024x1024 8-bit PNGs)."""
    from radbank.phantom import plan_cases, render

    files = []
    for case in plan_cases(n, seed=0):
        path = folder / f"{case.index:06d}.png"
        Image.fromarray(render(case)).resize((source_size, source_size), Image.Resampling.BILINEAR).save(path)
        files.append(path)
    return files


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="auto")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--seconds", type=float, default=6.0, help="time per measurement")
    p.add_argument("--files", type=int, default=200, help="PNG files for the decoding loader")
    p.add_argument("--source-size", type=int, default=256, help="side of those PNGs (NIH: 1024)")
    p.add_argument("--loader-workers", type=int, default=2)
    p.add_argument("--models", default="seedcnn:100,densenet121:224", help="name:size,...")
    args = p.parse_args()
    device = resolve_device(args.device)
    configure(device)
    configs = [(m.split(":")[0], int(m.split(":")[1])) for m in args.models.split(",")]
    rows = []
    with tempfile.TemporaryDirectory(prefix="radbank-tp-") as tmp:
        files = write_pngs(Path(tmp), args.files, args.source_size)
        for name, size in configs:
            n_images = max(args.batch * 8, 2048 if device.type == "cuda" else args.batch * 4)
            a = compute_bound(name, size, args.batch, device, args.seconds)
            b = radbank_loop(name, size, args.batch, device, args.seconds, n_images)
            c = decoding_loader(name, size, args.batch, device, args.seconds, files, args.loader_workers)
            rows.append((name, size, a, b, c))
            print(f"{name} {size}px: a={a:.0f} b={b:.0f} c={c:.0f} img/s", file=sys.stderr, flush=True)
    dev_name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    print(
        f"device: {dev_name}, torch {torch.__version__}, batch {args.batch}, "
        f"{args.loader_workers} loader workers, PNGs {args.source_size}px"
    )
    print("| model       | size | (a) compute bound | (b) radbank loop | (c) decoding loader | b/a  | c/a  |")
    print("|-------------|------|-------------------|------------------|---------------------|------|------|")
    for name, size, a, b, c in rows:
        print(
            f"| {name:<11} | {size:4d} | {a:13,.0f} img/s | {b:12,.0f} img/s | {c:15,.0f} img/s | {b / a:.2f} | "
            f"{c / a:.2f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
